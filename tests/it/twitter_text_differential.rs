//! `dealcast::publish::text_length` against the official twitter-text (the JavaScript library X publishes, npm
//! package `twitter-text` 3.x, run with node) on a generated corpus of awkward texts: emoji sequences, flags,
//! Arabic and CJK, fullwidth and mathematical letters, `www.` addresses glued to words, HTML entities, `©`, and
//! whole posts composed by `compose` from the real templates (the default and the drafting variants) with shop
//! links. Every text whose weighted length or validity differs is a failure, printed with both counts.
//!
//! The corpus comes from a seeded generator (`DEALCAST_DIFFERENTIAL_SEED` replays another seed), so a failure
//! is reproduced by running the test again. All texts go to one node process, as JSON lines on stdin
//! (tests/twitter_text_official.js), and come back in order.
//!
//! The npm package is looked for under `DEALCAST_TWITTER_TEXT_DIR` (an `npm install --prefix` directory; default
//! `$XDG_CACHE_HOME/dealcast/twitter-text` or `~/.cache/dealcast/twitter-text`, where `.ci/run` installs it).
//! Without node or the package the test prints SKIPPED and passes, unless `DEALCAST_REQUIRE_TWITTER_TEXT` is set
//! (as `.ci/run` does), where either missing is a failure.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::DateTime;
use dealcast::deals::honesty::Verdict;
use dealcast::publish::compose::{DEFAULT_TEMPLATE, DealForPost, Template, compose};
use dealcast::publish::drafting::VARIANT_TEMPLATES;
use dealcast::publish::text_length::{CountingRules, measure};
use rand::seq::IndexedRandom as _;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The corpus's seed unless `DEALCAST_DIFFERENTIAL_SEED` says otherwise: any fixed number, so that every run checks
/// the same texts and a disagreement found once is found again.
const DEFAULT_SEED: u64 = 16;

/// How many texts are drawn.
const TEXTS: usize = 12_000;

/// How many of them at least must give a text (a post whose fixed parts are too long gives none).
const MIN_TEXTS: usize = 10_000;

/// Emoji: sequences joined by ZWJ, skin tones, keycaps, presentation selectors, tag sequences, text-style symbols.
const EMOJI: &[&str] = &[
    "🔥",
    "👨‍👩‍👧‍👦",
    "👍🏽",
    "❤️",
    "❤",
    "🏳️‍🌈",
    "1️⃣",
    "#️⃣",
    "🧑🏾‍💻",
    "👩‍❤️‍💋‍👨",
    "😀",
    "✨",
    "☀",
    "☀️",
    "⌚",
    "🎧",
    "🛒",
    "💶",
    "👉",
    "✅",
    "🤝🏻",
    "🫶",
    "🏴‍☠️",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "©️",
    "™️",
    "↗️",
    "⚡",
    "🧡",
    "👩🏼‍🦰",
];
/// Flags, two glued flags, and lone regional indicators.
const FLAGS: &[&str] = &["🇫🇷", "🇩🇪", "🇪🇺", "🇺🇸", "🇯🇵", "🇧🇪🇨🇭", "🇫", "🇫🇷🇫", "🇬🇧"];
/// Right-to-left scripts.
const ARABIC: &[&str] = &["سماعة", "لاسلكية", "باⅫé", "عرض خاص", "تخفيض ٥٠٪", "אוזניות", "مجاني"];
/// Chinese, Japanese, Korean.
const CJK: &[&str] = &["索尼降噪耳机", "ヘッドホン", "헤드폰", "半額", "セール", "中文", "ｶﾀｶﾅ", "东京"];
/// Fullwidth forms and mathematical alphanumerics (astral, two UTF-16 units each).
const WIDE_LETTERS: &[&str] =
    &["ＳＯＮＹ", "１２３", "ｗｗｗ．ｆｎａｃ．ｃｏｍ", "！", "𝐒𝐨𝐧𝐲", "𝕊𝕒𝕞𝕤𝕦𝕟𝕘", "𝓟𝓻𝓸𝓶𝓸", "𝟙𝟚𝟛"];
/// Web addresses, with and without a scheme, some of them not addresses at all.
const ADDRESSES: &[&str] = &[
    "www.exemple.fr",
    "www.fnac.com/a1699",
    "exemple.com",
    "fnac.fr",
    "amzn.eu/d/abc",
    "https://www.darty.com/nav/achat/x.html",
    "http://t.co/abc",
    "café.fr",
    "exemple.com/é",
    "www.exemple.fr.",
    "a.b",
    "xn--caf-dma.fr",
    "example.co.uk/x?y=1#z",
    "HTTPS://WWW.EXEMPLE.FR",
    "boulanger.com",
    "www.amazon.fr/dp/B0C8?tag=x-21",
    "cdiscount.com/p/123.html",
    "www.leroymerlin.fr",
    "hotel.spa",
    "www.exemple.music/x",
    "москва.рф",
    "www.exemple.中国",
];
/// HTML entities as scraped titles sometimes keep them.
const ENTITIES: &[&str] = &["&amp;", "&lt;", "&gt;", "&quot;", "&#233;", "&eacute;", "&nbsp;", "&#x1F525;", "&"];
/// Symbols and invisible characters of shop titles and French typography.
const SYMBOLS: &[&str] = &[
    "©", "®", "™", "°", "€", "£", "«", "»", "–", "—", "…", "\u{202F}", "\u{A0}", "e\u{301}", "\u{200D}", "\u{200E}",
    "\u{200F}", "·", "’", "½", "ℹ", "↗", "★", "♥", "☺", "‼", "⁉", "℗", "Ⅻ", "\u{FE0F}",
];
/// Latin words of product titles.
const LATIN: &[&str] = &[
    "Casque",
    "Bluetooth",
    "Sony",
    "WH-1000XM5",
    "noir",
    "Téléviseur",
    "OLED",
    "çà",
    "œuvre",
    "Straße",
    "prix",
    "promo",
    "-50%",
    "2x",
    "4K",
    "Lot",
    "de",
    "3",
    "Pull",
    "col",
    "roulé",
    "#pub",
    "@fnac",
    "#BonPlan",
    "$AAPL",
    "Édition",
    "limitée",
    "(reconditionné)",
    "v2.0",
    "1.5kg",
    "Wi-Fi",
    "USB-C",
];
const CLASSES: &[&[&str]] = &[EMOJI, FLAGS, ARABIC, CJK, WIDE_LETTERS, ADDRESSES, ENTITIES, SYMBOLS, LATIN];

/// What goes between two words of a title: mostly a space, sometimes nothing (a glued address), punctuation.
const SEPARATORS: &[&str] = &[" ", " ", " ", " ", "", "", "-", ", ", "/", " - ", ":"];

const SHOPS: &[&str] = &[
    "Fnac",
    "Darty",
    "Kiabi",
    "Cdiscount",
    "Amazon.fr",
    "Boulanger",
    "Sephora",
    "La Redoute",
    "Rue du Commerce",
    "Leroy Merlin",
    "Aliexpress 🇨🇳",
    "Carrefour",
];
const LINKS: &[&str] = &[
    "https://www.fnac.com/a16995431/Sony-WH-1000XM5",
    "https://www.darty.com/nav/achat/hifi_video/casque/sony_wh1000xm5.html",
    "https://www.kiabi.com/jean-slim-femme_P123456C123456",
    "https://www.amazon.fr/dp/B09XS7JWHH?tag=dealcast-21",
    "https://aff.example/r?u=https%3A%2F%2Fwww.cdiscount.com%2Fp%2F123.html",
    "https://www.boulanger.com/ref/1234567",
    "https://www.sephora.fr/p/mascara-P987.html",
    "http://shop.example/p/casque-123?ref=dealcast",
];
const DISCLOSURES: &[&str] = &["#pub", "#ad", "Lien affilié"];
const CURRENCIES: &[&str] = &["EUR", "EUR", "EUR", "USD", "CHF", "GBP"];

/// A title of `words` tokens, each of a class chosen at random.
fn title(rng: &mut ChaCha8Rng, words: usize) -> String {
    let mut text = String::new();
    for index in 0..words {
        if index > 0 {
            text.push_str(SEPARATORS.choose(rng).expect("separators"));
        }
        let class = CLASSES.choose(rng).expect("classes");
        text.push_str(class.choose(rng).expect("tokens"));
    }
    text
}

/// A deal as the harvest leaves it, with an awkward title.
fn deal(rng: &mut ChaCha8Rng) -> DealForPost {
    let words = rng.random_range(1..=45);
    let cents: i64 = rng.random_range(1..10_000_000);
    let reference = rng.random_bool(0.7).then(|| Decimal::new(cents + rng.random_range(0..5_000_000), 2));
    DealForPost {
        title: title(rng, words),
        shop_name: SHOPS.choose(rng).expect("shops").to_string(),
        price: Decimal::new(cents, 2),
        currency: CURRENCIES.choose(rng).expect("currencies").to_string(),
        reference_price: reference,
        real_discount_pct: None,
        verdict: *[Verdict::Honest, Verdict::Inflated, Verdict::Unverified].choose(rng).expect("verdicts"),
        claimed_previous: reference.map(|reference| reference + Decimal::ONE),
        link: rng.random_bool(0.9).then(|| LINKS.choose(rng).expect("links").to_string()),
        promo_code: rng.random_bool(0.2).then(|| format!("PROMO{}", rng.random_range(1..100))),
        ends_at: rng
            .random_bool(0.2)
            .then(|| DateTime::from_timestamp(rng.random_range(1.7e9 as i64..1.9e9 as i64), 0))
            .flatten(),
        time_zone: chrono_tz::Europe::Paris,
    }
}

/// One text of the corpus as drawn: a bare title, or a deal to compose with one of the templates.
enum Draw {
    Title(String),
    Post { deal: Box<DealForPost>, template: usize, disclosure: Option<&'static str> },
}

/// The corpus: two texts in five are bare titles (some far over the limit), the others whole posts. The draws
/// come from the seeded generator in order; composing them (the slow part) is shared between threads.
fn corpus(seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut templates = vec![Template::new(DEFAULT_TEMPLATE).expect("the default template")];
    templates.extend(VARIANT_TEMPLATES.iter().map(|text| Template::new(*text).expect("a variant template")));
    let draws: Vec<Draw> = (0..TEXTS)
        .map(|_| {
            if rng.random_bool(0.4) {
                let words = rng.random_range(1..=90);
                return Draw::Title(title(&mut rng, words));
            }
            let deal = Box::new(deal(&mut rng));
            let template = rng.random_range(0..templates.len());
            let disclosure = rng.random_bool(0.3).then(|| *DISCLOSURES.choose(&mut rng).expect("disclosures"));
            Draw::Post { deal, template, disclosure }
        })
        .collect();
    let texts: Vec<String> = in_parallel(&draws, |draw| match draw {
        Draw::Title(title) => Some(title.clone()),
        // A deal whose post cannot be composed (its fixed parts are too long) has no text to compare.
        Draw::Post { deal, template, disclosure } => compose(deal, &templates[*template], *disclosure).ok(),
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(texts.len() >= MIN_TEXTS, "only {} of {TEXTS} draws gave a text", texts.len());
    texts
}

/// `work` done on every item, the items shared between the machine's cores; the results in the items' order.
fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(work).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("a worker thread")).collect()
    })
}

/// What the official library says of one text.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Official {
    weighted_length: usize,
    valid: bool,
}

#[derive(Deserialize)]
struct Banner {
    version: String,
}

/// The npm prefix holding `node_modules/twitter-text`.
fn package_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DEALCAST_TWITTER_TEXT_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("dealcast/twitter-text")
}

/// The `node_modules` folder holding the official library, when node and the package are installed; else `None`,
/// after saying why, or a failure when `DEALCAST_REQUIRE_TWITTER_TEXT` is set.
fn official_library() -> Option<PathBuf> {
    let required = std::env::var_os("DEALCAST_REQUIRE_TWITTER_TEXT").is_some();
    let modules = package_dir().join("node_modules");
    let skip = |why: String| {
        assert!(!required, "DEALCAST_REQUIRE_TWITTER_TEXT is set but {why}");
        println!("SKIPPED twitter-text differential test: {why}");
        None
    };
    if Command::new("node").arg("--version").stdout(Stdio::null()).status().is_err() {
        return skip("node is not installed".to_string());
    }
    if !modules.join("twitter-text/package.json").is_file() {
        return skip(format!(
            "the npm package twitter-text is not in {} (npm install --prefix {} twitter-text@3, or set \
             DEALCAST_TWITTER_TEXT_DIR)",
            modules.display(),
            package_dir().display()
        ));
    }
    Some(modules)
}

/// The official measures of `texts`, in order, and the package's version, from one node process.
fn official_measures(modules: &Path, texts: &[String]) -> (String, Vec<Official>) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/twitter_text_official.js");
    let mut child = Command::new("node")
        .arg(&script)
        .env("NODE_PATH", modules)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let mut input = String::new();
    for text in texts {
        input.push_str(&serde_json::to_string(text).expect("a JSON string"));
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("node's stdin");
    // Written from another thread: node answers while it reads, and both pipes have a bounded buffer.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("node's answer");
    writer.join().expect("the writer thread").expect("the texts are written to node");
    assert!(output.status.success(), "node {} failed: {}", script.display(), output.status);
    let stdout = String::from_utf8(output.stdout).expect("node writes UTF-8");
    let mut lines = stdout.lines();
    let banner: Banner = serde_json::from_str(lines.next().expect("the version line")).expect("a version");
    let measures: Vec<Official> = lines.map(|line| serde_json::from_str(line).expect("one measure per line")).collect();
    assert_eq!(measures.len(), texts.len(), "node answered for {} texts of {}", measures.len(), texts.len());
    (banner.version, measures)
}

#[test]
fn every_generated_text_has_the_weighted_length_and_validity_of_the_official_twitter_text() {
    let seed = std::env::var("DEALCAST_DIFFERENTIAL_SEED")
        .map(|seed| seed.parse().expect("DEALCAST_DIFFERENTIAL_SEED is a number"))
        .unwrap_or(DEFAULT_SEED);
    let Some(modules) = official_library() else { return };
    let texts = corpus(seed);
    // Node measures the texts while this process does.
    let ((version, official), ours) = std::thread::scope(|scope| {
        let node = scope.spawn(|| official_measures(&modules, &texts));
        let ours = in_parallel(&texts, |text| measure(text, CountingRules::V3));
        (node.join().expect("the node thread"), ours)
    });
    assert!(version.starts_with("3."), "twitter-text {version} is installed; the test compares with 3.x");

    let mut disagreements = Vec::new();
    for ((text, official), ours) in texts.iter().zip(&official).zip(&ours) {
        if ours.weighted_length != official.weighted_length || ours.valid != official.valid {
            disagreements.push(format!(
                "{text:?}: twitter-text {version} counts {} ({}), dealcast {} ({})",
                official.weighted_length,
                if official.valid { "valid" } else { "invalid" },
                ours.weighted_length,
                if ours.valid { "valid" } else { "invalid" },
            ));
        }
    }
    let over_limit = official.iter().filter(|o| o.weighted_length > 280).count();
    println!(
        "seed {seed}: {} texts ({over_limit} over 280 officially), {} disagreements with twitter-text {version}",
        texts.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} texts (seed {seed}) are not counted as twitter-text {version} counts them:\n{}",
        disagreements.len(),
        texts.len(),
        disagreements.join("\n")
    );
}
