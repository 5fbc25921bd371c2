//! Every command that README.md and docs/*.md show is exercised, so that none goes stale.
//!
//! The shell blocks of the documentation are read line by line. Each `dealcast` command in them (also written
//! `./target/release/dealcast`, `cargo run --release -- ...`, or nested in a benchmark runner's command line) is parsed
//! by dealcast's own command-line parser: a renamed subcommand or flag fails with the file and line. Then every
//! command, dealcast's or not, must match a line of [`RULES`], which says what exercises it:
//! - the commands that are safe here are run by this test, against a private test database, the repository's
//!   `scrapers/` and a configuration with two dry-run accounts, and must succeed and print what a user expects;
//! - the others (long-running services, the demo, posting, the private cluster's life cycle, a live shop) name the
//!   integration test that runs them, which must exist and run the binary with those arguments;
//! - the CI steps must be lines of `.ci/run`;
//! - benchmark recipes (a release build, the third-party bench kit, wrk) are not dealcast commands: the repository
//!   files they name must exist, their shell scripts must parse, their benches must be declared.
//!
//! A command nothing exercises fails, and so does a rule no command uses.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use dealcast::cli::Cli;
use dealcast::config::Config;
use dealcast::scrape::shop_spec::ShopSpec;
use support::listed_shop;
use support::loopback_shop::{self, Behaviour, LoopbackShop};
use tokio::io::AsyncWriteExt;

/// What exercises the commands a rule matches.
#[derive(Debug, Clone, Copy)]
enum Exercise {
    /// Run by this test against a private test database: it must exit 0 and print `prints`.
    RunHere { prints: &'static str },
    /// Run by this test like [`Exercise::RunHere`], with the shop it names (`--shop`) played by a loopback shop of
    /// two discounted products, so that it crawls and stores for real without leaving the machine.
    RunHereWithLoopbackShop { prints: &'static str },
    /// Run by the integration test function `test`, whose file (or the helpers of tests/support) runs the binary
    /// with `runs`.
    Test { test: &'static str, runs: &'static str },
    /// A step of `.ci/run`, which must hold the command as one line.
    Ci,
    /// A benchmark recipe needing what no test has (`needs`); only for commands that are not dealcast's.
    Recipe { needs: &'static str },
}

/// A command prefix and what exercises the commands it matches. For a dealcast command the rule's words are its
/// subcommands followed by arguments it must contain (the most specific rule wins); for others, the start of the
/// command line.
struct Rule {
    command: &'static str,
    exercise: Exercise,
}

const fn rule(command: &'static str, exercise: Exercise) -> Rule {
    Rule { command, exercise }
}

const fn here(prints: &'static str) -> Exercise {
    Exercise::RunHere { prints }
}

const fn test(test: &'static str, runs: &'static str) -> Exercise {
    Exercise::Test { test, runs }
}

const fn recipe(needs: &'static str) -> Exercise {
    Exercise::Recipe { needs }
}

const RULES: &[Rule] = &[
    // Safe here: read-only or idempotent on an empty database, offline.
    rule("dealcast --help", here("Usage: dealcast")),
    rule("dealcast deals list", here("No deals match.")),
    rule("dealcast deals search", here("No deals match.")),
    rule("dealcast deals rescore", here("Rescored 0 active deals")),
    rule("dealcast shop list", here("kiabi")),
    rule("dealcast shop check", here(" 0 failed")),
    rule("dealcast extract", here("\"price\":\"19.99\"")),
    rule("dealcast config show", here("[database]")),
    rule("dealcast publish --dry-run", here("post(s) would go out now")),
    rule("dealcast scrape", Exercise::RunHereWithLoopbackShop { prints: "2 new" }),
    rule("dealcast publications", here("")),
    rule("dealcast curate list", here("")),
    rule("dealcast accounts list", here("twittzat")),
    rule("dealcast admin hash-password", here("$argon2id$")),
    // Run by the integration tests.
    rule(
        "dealcast demo",
        test(
            "the_demo_shows_deals_a_flagged_fake_discount_and_would_be_posts_within_a_minute",
            "[\"demo\", \"--listen\"",
        ),
    ),
    rule("dealcast run", test("the_private_cluster_killed_during_a_harvest_comes_back_by_itself", "[\"run\", ")),
    rule(
        "dealcast serve",
        test("serve_alone_restarts_a_private_server_that_refuses_connections_or_is_killed", "&[\"serve\"]"),
    ),
    rule(
        "dealcast worker",
        test("two_workers_scrape_each_due_shop_once_even_when_one_is_killed", "\"worker\", \"--name\""),
    ),
    rule("dealcast shop new", test("a_shopify_store_is_read_through_its_products_json", "[\"shop\", \"new\"")),
    rule(
        "dealcast shop check la_boutique",
        test("a_shopify_store_is_read_through_its_products_json", "[\"shop\", \"check\", id]"),
    ),
    rule(
        "dealcast scrape --dry-run",
        test(
            "a_shopify_store_is_read_through_its_products_json",
            "[\"scrape\", \"--dry-run\", \"--json\", \"--shop\", id]",
        ),
    ),
    rule(
        "dealcast publish --now",
        test(
            "on_the_first_day_the_dry_run_says_why_and_a_person_may_approve_a_shops_claim_worded_as_such",
            "[\"publish\", \"--account\", \"twittzat\", \"--now\"]",
        ),
    ),
    rule(
        "dealcast curate approve",
        test(
            "on_the_first_day_the_dry_run_says_why_and_a_person_may_approve_a_shops_claim_worded_as_such",
            "[\"curate\", \"approve\", &id, \"--text\"",
        ),
    ),
    rule(
        "dealcast curate reject",
        test("a_dry_run_account_records_its_posts_and_a_curated_one_waits_for_a_person", "[\"curate\", \"reject\""),
    ),
    rule(
        "dealcast accounts pause",
        test("a_dry_run_account_records_its_posts_and_a_curated_one_waits_for_a_person", "[\"accounts\", \"pause\""),
    ),
    rule(
        "dealcast accounts resume",
        test("a_dry_run_account_records_its_posts_and_a_curated_one_waits_for_a_person", "[\"accounts\", \"resume\""),
    ),
    rule(
        "dealcast publications show",
        test("a_sent_post_keeps_its_evidence_and_publications_show_prints_it", "[\"publications\", \"show\""),
    ),
    rule("dealcast db start", test("start_status_url_and_stop_work_from_a_fresh_directory", "[\"db\", \"start\"]")),
    rule("dealcast db status", test("start_status_url_and_stop_work_from_a_fresh_directory", "[\"db\", \"status\"]")),
    rule("dealcast db url", test("start_status_url_and_stop_work_from_a_fresh_directory", "[\"db\", \"url\"]")),
    rule("dealcast db stop", test("start_status_url_and_stop_work_from_a_fresh_directory", "[\"db\", \"stop\"]")),
    rule(
        "dealcast db migrate",
        test("two_migrations_started_together_on_a_new_directory_both_succeed", "[\"db\", \"migrate\"]"),
    ),
    rule(
        "dealcast db psql",
        test("db_psql_gives_the_password_through_the_environment_not_the_command_line", "[\"db\", \"psql\", \"--\""),
    ),
    rule(
        "curl http://127.0.0.1:8080/api/deals",
        test("the_api_answers_in_documented_shapes_and_pages_with_a_cursor", "site.json(\"/api/deals"),
    ),
    rule(
        "curl -i http://127.0.0.1:8080/api/deals?min_discount=abc",
        test("the_api_answers_in_documented_shapes_and_pages_with_a_cursor", "\"/api/deals?min_discount=abc\""),
    ),
    rule(
        "curl http://127.0.0.1:8080/api/shops",
        test("the_api_answers_in_documented_shapes_and_pages_with_a_cursor", "site.json(\"/api/shops\")"),
    ),
    rule(
        "curl http://127.0.0.1:8080/api/publications",
        test("where_a_deal_was_published_links_to_the_post", "\"/api/publications?account=bons_plans\""),
    ),
    // CI.
    rule("cargo test", Exercise::Ci),
    rule("cargo fmt --check", Exercise::Ci),
    rule("cargo clippy --all-targets -- -D warnings", Exercise::Ci),
    // Benchmark recipes.
    rule("cargo build --release", recipe("a release build, minutes of the machine")),
    rule("cargo bench --bench", recipe("a filled database or the bench kit's expected.jsonl")),
    rule("python3", recipe("the third-party bench kit in ../shared/bench and nginx")),
    rule("./serve.sh", recipe("the third-party bench kit in ../shared/bench and nginx")),
    rule("../shared/bench/", recipe("the third-party bench kit and a Python with psycopg")),
    rule("benches/shopbench/cheap_harvests.sh", recipe("the bench kit, nginx and a release build")),
    rule("benches/webload/run.sh", recipe("wrk and a served catalogue of a million offers")),
    rule("wrk", recipe("wrk and a served catalogue of a million offers")),
];

/// The documentation files, relative to the repository: README.md and docs/*.md.
fn documentation() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let docs = repository().join("docs");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap_or_else(|error| panic!("{}: {error}", docs.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| path.strip_prefix(repository()).unwrap().to_path_buf())
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One command of a shell block, where it was written.
#[derive(Debug, Clone)]
struct Shown {
    /// `file:line`.
    at: String,
    /// The command as written (its line, continuations joined).
    text: String,
    /// Variables assigned before the program (`NAME=value dealcast ...`).
    env: Vec<(String, String)>,
    /// The program and its arguments, quotes removed.
    words: Vec<String>,
}

impl Shown {
    /// The arguments of a dealcast command (after `dealcast`, `.../dealcast` or `cargo run [--release] --`).
    fn dealcast_args(&self) -> Option<&[String]> {
        let program = self.words.first()?;
        if program == "dealcast" || program.ends_with("/dealcast") {
            return Some(&self.words[1..]);
        }
        if self.words.get(1).is_some_and(|word| word == "run") && program == "cargo" {
            let dashes = self.words.iter().position(|word| word == "--")?;
            return Some(&self.words[dashes + 1..]);
        }
        None
    }
}

/// The languages of the fenced blocks that hold shell commands.
const SHELL_BLOCKS: [&str; 4] = ["sh", "bash", "shell", "console"];

/// The template placeholders of the bench kit's `run_bench.py`, which it fills before running a command.
const PLACEHOLDERS: [(&str, &str); 3] =
    [("{start_url}", "http://127.0.0.1:8080/"), ("{out}", "/tmp/offers.jsonl"), ("{run_dir}", "/tmp/run")];

/// The commands of the shell blocks of one Markdown text. The docs use fences at the start of a line (indented in
/// lists), so blocks are found line by line: a Markdown parser would add a dependency and still need the line
/// numbers worked out again. Lines are split into words by `shlex` (quotes, escapes, `#` comments), and into commands
/// at `|`, `||`, `&&`, `;` and `&`.
fn commands_in(file: &str, markdown: &str) -> Vec<Shown> {
    let mut commands = Vec::new();
    let mut in_shell: Option<bool> = None;
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_shell = match in_shell {
                None => Some(SHELL_BLOCKS.contains(&info.trim())),
                Some(_) => None,
            };
            continue;
        }
        if in_shell != Some(true) {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((number, String::new()));
        text.push_str(trimmed);
        if let Some(joined) = text.strip_suffix('\\') {
            pending = Some((start, format!("{} ", joined.trim_end())));
            continue;
        }
        let at = format!("{file}:{start}");
        let words = shlex::split(&text).unwrap_or_else(|| panic!("{at}: the shell line does not parse: {text}"));
        for segment in words.split(|word| matches!(word.as_str(), "|" | "||" | "&&" | ";" | "&")) {
            commands.extend(command_of(&at, &text, segment));
        }
    }
    assert!(in_shell.is_none(), "{file}: a code block is not closed");
    commands
}

/// The command of one segment (leading assignments taken apart), and a dealcast command nested in its arguments
/// (a benchmark runner's `.../dealcast ...`).
fn command_of(at: &str, text: &str, segment: &[String]) -> Vec<Shown> {
    let assignments = segment.iter().take_while(|word| is_assignment(word)).count();
    let env: Vec<(String, String)> = segment[..assignments]
        .iter()
        .map(|word| {
            let (name, value) = word.split_once('=').expect("an assignment");
            (name.to_string(), value.to_string())
        })
        .collect();
    let words: Vec<String> = segment[assignments..]
        .iter()
        .map(|word| PLACEHOLDERS.iter().fold(word.clone(), |word, (from, to)| word.replace(from, to)))
        .collect();
    if words.is_empty() || words[0] == "cd" {
        return Vec::new();
    }
    let mut found = vec![Shown { at: at.to_string(), text: text.to_string(), env: env.clone(), words: words.clone() }];
    if let Some(nested) = words.iter().skip(1).position(|word| word.ends_with("/dealcast")) {
        let words = words[nested + 1..].to_vec();
        found.push(Shown { at: at.to_string(), text: text.to_string(), env, words });
    }
    found
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// Each documentation file's name (as the reports print it) and text.
fn documentation_texts() -> Vec<(String, String)> {
    documentation()
        .iter()
        .map(|file| (file.display().to_string(), std::fs::read_to_string(repository().join(file)).unwrap()))
        .collect()
}

/// Every command of the documentation.
fn documented_commands() -> Vec<Shown> {
    documentation_texts().iter().flat_map(|(name, text)| commands_in(name, text)).collect()
}

/// The subcommands a dealcast command line names (`["deals", "list"]`), `[]` for a help request, or the parser's
/// refusal.
fn subcommands(args: &[String]) -> Result<Vec<String>, String> {
    let argv = std::iter::once("dealcast").chain(args.iter().map(String::as_str));
    match Cli::command().try_get_matches_from(argv.clone()) {
        Ok(matches) => {
            Cli::try_parse_from(argv).map_err(|error| error.to_string())?;
            let mut path = Vec::new();
            let mut current = &matches;
            while let Some((name, sub)) = current.subcommand() {
                path.push(name.to_string());
                current = sub;
            }
            Ok(path)
        }
        Err(error) if error.kind() == clap::error::ErrorKind::DisplayHelp => Ok(vec!["--help".to_string()]),
        Err(error) => Err(error.render().to_string()),
    }
}

/// The parser's refusals of the documented dealcast commands, one per line with its place.
fn refusals(commands: &[Shown]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|shown| {
            let args = shown.dealcast_args()?;
            let refusal = subcommands(args).err()?;
            Some(format!("{}: `{}`: {}", shown.at, shown.text, refusal.trim()))
        })
        .collect()
}

/// The inline mentions of dealcast commands in the prose of a Markdown text (`` `dealcast shop ack` ``), with their
/// line, outside code blocks. Code spans may wrap across lines.
fn mentions_in(file: &str, markdown: &str) -> Vec<(String, String)> {
    let mut prose = String::new();
    let mut in_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            prose.push('\n');
            continue;
        }
        prose.push_str(if in_block { "" } else { line });
        prose.push('\n');
    }
    let mut mentions = Vec::new();
    let mut offset = 0;
    for (index, part) in prose.split('`').enumerate() {
        if index % 2 == 1 && part.starts_with("dealcast ") {
            let line = prose[..offset].matches('\n').count() + 1;
            mentions.push((format!("{file}:{line}"), part.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
        offset += part.len() + 1;
    }
    mentions
}

/// What an inline mention names that dealcast does not have: a subcommand or a flag. Its other words stand for
/// values (`FILE`, `ID`, `<shop>`), so only names are checked.
fn unknown_name(mention: &str) -> Option<String> {
    let mut root = Cli::command();
    root.build();
    let mut current = &root;
    let mut words = mention.split(' ').skip(1);
    while let Some(word) = words.next() {
        if let Some(flag) = word.strip_prefix("--") {
            let (name, inline_value) = match flag.split_once('=') {
                Some((name, _)) => (name, true),
                None => (flag, false),
            };
            let arg = current.get_arguments().chain(root.get_arguments()).find(|arg| arg.get_long() == Some(name));
            match arg {
                None => return Some(format!("`{}` has no flag --{name}", current.get_name())),
                Some(arg) if arg.get_action().takes_values() && !inline_value => {
                    words.next();
                }
                Some(_) => {}
            }
        } else if word.starts_with('-') {
            continue;
        } else if let Some(sub) = current.find_subcommand(word) {
            current = sub;
        } else if current.has_subcommands() && current.get_positionals().next().is_none() {
            return Some(format!("`{}` has no subcommand {word}", current.get_name()));
        }
    }
    None
}

/// The inline mentions of the documentation that name what dealcast does not have, one per line with its place.
fn stale_mentions(mentions: &[(String, String)]) -> Vec<String> {
    mentions
        .iter()
        .filter_map(|(at, mention)| unknown_name(mention).map(|problem| format!("{at}: `{mention}`: {problem}")))
        .collect()
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The links of a documentation file (`[text](target)`) and the repository paths its code spans name
/// (`` `benches/sitemaps.md` ``) that lead nowhere: a missing file, or a heading that is not there.
fn broken_references(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(repository().join(file)).unwrap();
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut broken = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let target = &rest[..rest.find(')').unwrap_or(rest.len())];
        if target.contains("://") {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
        let linked = if path.is_empty() { file.to_path_buf() } else { dir.join(path) };
        let Ok(linked_text) = std::fs::read_to_string(repository().join(&linked)) else {
            broken.push(format!("{}: the link {target} leads to no file", file.display()));
            continue;
        };
        let headings: Vec<String> = linked_text
            .lines()
            .filter_map(|line| line.strip_prefix('#'))
            .map(|heading| anchor_of(heading.trim_start_matches('#')))
            .collect();
        if !anchor.is_empty() && !headings.iter().any(|heading| heading == anchor) {
            broken.push(format!("{}: the link {target} names no heading of {}", file.display(), linked.display()));
        }
    }
    for (index, span) in text.split('`').enumerate() {
        let local = ["src/", "tests/", "benches/", "scrapers/", "docs/", "migrations/", ".ci/"];
        let placeholder = span.contains(['<', '*', '{', ' ']);
        let named = index % 2 == 1 && !placeholder && local.iter().any(|dir| span.starts_with(dir));
        if named && !repository().join(span).exists() {
            broken.push(format!("{}: `{span}` is not in the repository", file.display()));
        }
    }
    broken
}

/// The TOML blocks of a Markdown text, with the line each starts on.
fn toml_blocks(file: &str, markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, current.as_mut()) {
            (Some(info), None) if info.trim() == "toml" => {
                current = Some((format!("{file}:{}", index + 2), String::new()))
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (None, Some((_, text))) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// Why a TOML example of the docs would be refused: a shop file (it has a `homepage`) as dealcast reads shop files,
/// anything else as `dealcast.toml`.
fn refused_example(text: &str) -> Option<String> {
    if text.lines().any(|line| line.starts_with("homepage")) {
        let problems = dealcast::common::toml_problems::parse_all::<ShopSpec>(text).err()?;
        return Some(
            problems.iter().map(|problem| problem.describe(Path::new("shop file"))).collect::<Vec<_>>().join("; "),
        );
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    Config::read_file(file.path()).err().map(|error| error.to_string())
}

/// The rule of a command (the most specific that matches), or why there is none.
fn rule_of(shown: &Shown) -> Result<&'static Rule, String> {
    let matching = RULES.iter().filter(|rule| match shown.dealcast_args() {
        Some(args) => {
            let Some(words) = rule.command.strip_prefix("dealcast ") else { return false };
            let words: Vec<&str> = words.split(' ').collect();
            let Ok(path) = subcommands(args) else { return false };
            if path == ["--help"] {
                return words == ["--help"];
            }
            words.len() >= path.len()
                && words[..path.len()].iter().zip(&path).all(|(word, name)| word == name)
                && words[path.len()..].iter().all(|word| args.iter().any(|arg| arg == word))
        }
        None => shown.words.join(" ").starts_with(rule.command),
    });
    if let Some(refusal) = shown.dealcast_args().and_then(|args| subcommands(args).err()) {
        return Err(format!("{}: `{}`: dealcast refuses it: {}", shown.at, shown.text, refusal.trim()));
    }
    matching.max_by_key(|rule| rule.command.len()).ok_or_else(|| {
        format!(
            "{}: `{}`: nothing runs this command: run it in tests/it/docs_commands.rs or name the test (or CI step) that \
             does in its RULES",
            shown.at, shown.text
        )
    })
}

/// The integration test files (tests/**/*.rs), but this one.
fn test_sources() -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(repository().join("tests"))
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("docs_commands.rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// Whether the test function `name` exists and its file, or the helpers of tests/support, run the binary with
/// `runs`; else what is wrong.
fn check_named_test(sources: &[(PathBuf, String)], name: &str, runs: &str) -> Result<(), String> {
    let signature = format!("fn {name}(");
    let (file, text) = sources
        .iter()
        .find(|(_, text)| text.contains(&signature))
        .ok_or_else(|| format!("no test function `{name}` in tests/"))?;
    let before = &text[..text.find(&signature).expect("found")];
    let attributes = before.lines().rev().take(3).collect::<Vec<_>>().join("\n");
    if !attributes.contains("#[test]") && !attributes.contains("#[tokio::test") {
        return Err(format!("`{name}` in {} is not a test", file.display()));
    }
    let helpers = sources.iter().filter(|(path, _)| path.components().any(|part| part.as_os_str() == "support"));
    if !text.contains(runs) && !helpers.clone().any(|(_, text)| text.contains(runs)) {
        return Err(format!("{} (`{name}`) does not run `{runs}`", file.display()));
    }
    Ok(())
}

/// Whether a recipe's repository files exist, its shell scripts parse and its bench is declared; else what is wrong.
fn check_recipe(shown: &Shown) -> Result<(), String> {
    if shown.dealcast_args().is_some() {
        return Err("a dealcast command must be run here or by a test, not left as a recipe".to_string());
    }
    for word in &shown.words {
        let local = ["benches/", "scrapers/", "tests/", "docs/"].iter().any(|dir| word.starts_with(dir));
        if local && !repository().join(word).exists() {
            return Err(format!("{word} is not in the repository"));
        }
        if local && word.ends_with(".sh") {
            let parsed = std::process::Command::new("bash").arg("-n").arg(repository().join(word)).output().unwrap();
            if !parsed.status.success() {
                return Err(format!("{word} does not parse: {}", String::from_utf8_lossy(&parsed.stderr)));
            }
        }
    }
    if let Some(at) = shown.words.iter().position(|word| word == "--bench") {
        let bench = shown.words.get(at + 1).ok_or("--bench names no bench")?;
        let manifest = std::fs::read_to_string(repository().join("Cargo.toml")).unwrap();
        if !manifest.contains(&format!("[[bench]]\nname = \"{bench}\"")) {
            return Err(format!("no [[bench]] named {bench} in Cargo.toml"));
        }
    }
    Ok(())
}

#[test]
fn every_dealcast_command_in_the_docs_parses_with_the_real_command_line() {
    let commands = documented_commands();
    let dealcast = commands.iter().filter(|shown| shown.dealcast_args().is_some()).count();
    assert!(dealcast >= 20, "only {dealcast} dealcast commands found in the docs: is the extraction broken?");
    let refused = refusals(&commands);
    assert!(refused.is_empty(), "the docs show commands dealcast refuses:\n{}", refused.join("\n"));
}

#[test]
fn every_dealcast_command_named_in_the_prose_has_those_subcommands_and_flags() {
    let mentions: Vec<(String, String)> =
        documentation_texts().iter().flat_map(|(name, text)| mentions_in(name, text)).collect();
    assert!(mentions.len() >= 10, "only {} mentions found: is the extraction broken? {mentions:?}", mentions.len());
    let stale = stale_mentions(&mentions);
    assert!(stale.is_empty(), "the docs name what dealcast does not have:\n{}", stale.join("\n"));
}

#[test]
fn every_link_and_repository_path_of_the_docs_leads_somewhere() {
    let broken: Vec<String> = documentation().iter().flat_map(|file| broken_references(file)).collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_toml_example_of_the_docs_is_a_file_dealcast_accepts() {
    let blocks: Vec<(String, String)> =
        documentation_texts().iter().flat_map(|(name, text)| toml_blocks(name, text)).collect();
    assert!(blocks.len() >= 4, "only {} TOML examples found: is the extraction broken?", blocks.len());
    let refused: Vec<String> =
        blocks.iter().filter_map(|(at, text)| refused_example(text).map(|why| format!("{at}: {why}"))).collect();
    assert!(refused.is_empty(), "the docs show files dealcast refuses:\n{}", refused.join("\n"));
    let misspelt = "[[accounts]]\nname = \"x\"\ndaily_caps = 3\n";
    assert!(refused_example(misspelt).is_some_and(|why| why.contains("daily_caps")), "an unknown key is refused");
}

#[test]
fn a_renamed_flag_or_an_unexercised_command_is_reported_with_its_file_and_line() {
    let doc = "Text.\n\n```sh\ndealcast deals list --min-discont 20   # a typo\ndealcast shop \\\n  ack kiabi\n```\n\n\
               ```toml\ndealcast = \"not a command\"\n```\n";
    let commands = commands_in("sample.md", doc);
    assert_eq!(commands.len(), 2, "{commands:?}");
    let refused = refusals(&commands);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("sample.md:4: `dealcast deals list --min-discont 20"), "{refused:?}");
    assert!(refused[0].contains("--min-discont"), "{refused:?}");
    let unexercised = rule_of(&commands[1]).err().expect("no rule runs `shop ack`");
    assert!(
        unexercised.starts_with("sample.md:5: `dealcast shop ack kiabi`: nothing runs this command"),
        "{unexercised}"
    );

    let prose = "See `dealcast shop ack`, `dealcast deals show ID --json` and\n`dealcast accounts\nresume A`; not\n\
                 `dealcast shop acknowledge` nor `dealcast scrape --dryrun --shop <shop>`.\n";
    let mentions = mentions_in("prose.md", prose);
    assert_eq!(mentions.len(), 5, "{mentions:?}");
    assert_eq!(mentions[2], ("prose.md:2".to_string(), "dealcast accounts resume A".to_string()));
    let stale = stale_mentions(&mentions);
    assert_eq!(
        stale,
        [
            "prose.md:4: `dealcast shop acknowledge`: `shop` has no subcommand acknowledge",
            "prose.md:4: `dealcast scrape --dryrun --shop <shop>`: `scrape` has no flag --dryrun"
        ]
    );

    let nested = commands_in(
        "bench.md",
        "```sh\nX=1 python3 run.py -- \"$OLDPWD/target/release/dealcast\" scrape --dry-run --start {start_url} && wrk\n```\n",
    );
    let words: Vec<Vec<String>> = nested.iter().map(|shown| shown.words.clone()).collect();
    assert_eq!(words.len(), 3, "{words:?}");
    assert_eq!(nested[0].env, [("X".to_string(), "1".to_string())]);
    assert_eq!(words[1][1..], ["scrape", "--dry-run", "--start", "http://127.0.0.1:8080/"].map(String::from));
    assert_eq!(nested[1].dealcast_args().map(<[String]>::len), Some(4));
    assert_eq!(words[2], ["wrk"]);
}

#[test]
fn every_other_command_in_the_docs_is_run_by_a_named_test_by_ci_or_is_a_checked_recipe() {
    let commands = documented_commands();
    let sources = test_sources();
    let ci = std::fs::read_to_string(repository().join(".ci/run")).unwrap();
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for shown in &commands {
        let rule = match rule_of(shown) {
            Ok(rule) => rule,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        used.insert(rule.command);
        let checked = match rule.exercise {
            Exercise::RunHere { .. } | Exercise::RunHereWithLoopbackShop { .. } => Ok(()),
            Exercise::Test { test, runs } => check_named_test(&sources, test, runs),
            Exercise::Ci => match ci.lines().any(|line| line.trim() == shown.words.join(" ")) {
                true => Ok(()),
                false => Err(".ci/run does not run it".to_string()),
            },
            Exercise::Recipe { needs } => {
                println!("not run by the suite (it needs {needs}): {}: {}", shown.at, shown.words.join(" "));
                check_recipe(shown)
            }
        };
        if let Err(problem) = checked {
            problems.push(format!("{}: `{}`: {problem}", shown.at, shown.text));
        }
    }
    for rule in RULES.iter().filter(|rule| !used.contains(rule.command)) {
        problems.push(format!("the rule `{}` matches no command of the docs: remove it", rule.command));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The configuration the commands run here read: two dry-run accounts, one curated, as the docs' examples name them.
const CONFIG: &str = "[[accounts]]\nname = \"twittzat\"\n\n[[accounts]]\nname = \"revue\"\nmode = \"curated\"\n";

/// What the commands run here read on standard input (`admin hash-password` reads a password there).
const STDIN: &str = "a password for the docs test\n";

/// The loopback shop that plays the shops the docs' `scrape` commands name: a listing of two discounted products.
async fn stand_in_shop() -> LoopbackShop {
    let page = |name: &str| Behaviour::Page {
        content_type: "text/html; charset=utf-8",
        body: loopback_shop::product_page(name, "19.99", Some("29.99")),
    };
    let routes = [
        ("/list".to_string(), listed_shop::listing(["/p/lampe", "/p/vase"])),
        ("/p/lampe".to_string(), page("Lampe de chevet")),
        ("/p/vase".to_string(), page("Vase en grès")),
    ];
    loopback_shop::start(routes.into_iter().collect()).await
}

/// Runs one documented command as a user would, in a fresh database of its own; returns its exit status and what it
/// printed (standard output, then standard error).
async fn run_here(shown: &Shown, stand_in: Option<&LoopbackShop>) -> (std::process::ExitStatus, String) {
    let db = support::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dealcast.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let args = shown.dealcast_args().expect("the commands run here are dealcast's");
    let mut command = tokio::process::Command::from(support::cli::dealcast());
    command
        .args(args)
        .envs(shown.env.iter().map(|(name, value)| (name, value)))
        .env("DATABASE_URL", support::database_url(&db))
        .env("DEALCAST_CONFIG", &config)
        .env("DEALCAST_DATA_DIR", dir.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(server) = stand_in {
        let at = args.iter().position(|arg| arg == "--shop").expect("a scrape run here names its shop");
        let scrapers = dir.path().join("scrapers");
        std::fs::create_dir(&scrapers).unwrap();
        std::fs::write(scrapers.join(format!("{}.toml", args[at + 1])), listed_shop::maison_file(server)).unwrap();
        command.env("DEALCAST_SCRAPERS_DIR", &scrapers);
    }
    let mut child = command.spawn().expect("start dealcast");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    // A command that does not read its input closes the pipe: that is no failure.
    let _ = stdin.write_all(STDIN.as_bytes()).await;
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{}: `{}` did not finish in 2 minutes", shown.at, shown.text))
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status, printed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_commands_that_are_safe_here_run_and_print_what_a_user_expects() {
    let shop = stand_in_shop().await;
    let mut ran = 0;
    let mut failures = Vec::new();
    for shown in documented_commands() {
        let (prints, stand_in) = match rule_of(&shown).map(|rule| rule.exercise) {
            Ok(Exercise::RunHere { prints }) => (prints, None),
            Ok(Exercise::RunHereWithLoopbackShop { prints }) => (prints, Some(&shop)),
            _ => continue,
        };
        let (status, printed) = run_here(&shown, stand_in).await;
        ran += 1;
        if !status.success() || !printed.contains(prints) {
            failures.push(format!("{}: `{}` ({status}) should print {prints:?}:\n{printed}", shown.at, shown.text));
        }
    }
    assert!(ran >= 10, "only {ran} commands of the docs were run here");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
