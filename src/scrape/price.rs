//! Reading the price strings shops print ("19,99 €", "1 299,00 €", "€19.99", "12€99", "$1,234.56",
//! "Prix : 24,90 €TTC", "US$:12.99") into an exact amount and a currency.
//!
//! Every engine ends up holding a piece of text that a shop meant as a price, and every one of them must read it the
//! same way, so the reading lives here once. It is hand-written because no maintained Rust crate does this: the
//! money crates (`rusty-money`, `iso_currency`, `currency_rs`) parse well-formed amounts in a locale you already
//! know, not free text whose locale, currency position and separators must be guessed. The algorithm is a port in
//! spirit of Python's `price-parser` (scrapinghub/price-parser, BSD-3-Clause), whose published test cases this module
//! is checked against (`tests/price_parser_conformance.rs`): the same guesses, written as scans over the text instead
//! of backtracking regular expressions, so that no input can make it slow.
//!
//! How a price is read:
//! - the amount is the first number in the text (digits with `.`, `,`, spaces or apostrophes between them), unless
//!   the euro sign is used as a decimal separator ("12€99"); a number followed by `%` is a discount, not a price;
//! - the decimal separator is the last `.`, `,` or `€` when one, two, or four or more digits follow it: three digits
//!   after a single separator are taken as thousands ("1.299" is 1299), unless the caller says otherwise;
//! - the currency is the first unambiguous symbol or word found in the text (`€`, `£`, `zł`, `EUR`, ...), else in
//!   the hint, else a less safe symbol or ISO code (`kr`, `Ft`, `PLN`) in the text, then in the hint; a code ending
//!   in `D` next to a `$` ("NZD $5") wins over the `$`.
//!
//! Where it departs from `price-parser`, on purpose: a number followed by a spaced `%` ("-30 %") is a discount too;
//! "12€99)" reads as 12.99 (upstream keeps the `)` and fails); apostrophes are Swiss thousands separators only between
//! digits; "gratuit", "gratis" and "kostenlos" mean free like "free"; and the printed currency is also mapped to an
//! ISO code. The currency table follows upstream's (itself from the `coinify` data), with a few national spellings
//! added.
//!
//! Known limits: only ASCII digits are read (not Arabic-Indic or full-width ones); when a page prints two numbers
//! separated only by spaces ("2 12,99 €") they read as one, as spaces are also thousands separators.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

/// What a price string says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedPrice {
    /// The amount, exactly as printed (`19,90` is 19.90, with its two decimal places kept).
    pub amount: Option<Decimal>,
    /// The part of the text that was read as the amount, without spaces and apostrophes (`1 299,00` → `1299,00`).
    pub amount_text: Option<String>,
    /// The currency as printed (`€`, `US$`, `zł`, `EUR`), from the text or else from the hint.
    pub currency_text: Option<String>,
    /// The ISO 4217 code of the currency, when it can be told (see [`iso_currency`]).
    pub currency: Option<String>,
}

/// Reads a price string.
///
/// `currency_hint` is any other text of the page that may name the currency (a `priceCurrency` value, a currency
/// selector): a currency printed in `text` is preferred to one in the hint, but the hint settles a symbol that several
/// currencies share (`$` with the hint `CAD` is CAD). `decimal_separator` is the shop's decimal separator when it is
/// known (usually `.` or `,`; `€` for shops printing "12€99"); without it the separator is guessed.
pub fn parse_price(text: &str, currency_hint: Option<&str>, decimal_separator: Option<char>) -> ParsedPrice {
    let hint = currency_hint.filter(|hint| !hint.is_empty());
    let currency_text = find_currency(text, hint).map(|symbol| symbol.trim().to_string());
    let amount_text = extract_amount_text(text);
    let amount = amount_text.as_deref().and_then(|amount_text| parse_number(amount_text, decimal_separator));
    let currency = resolve_currency(currency_text.as_deref(), hint);
    ParsedPrice { amount, amount_text, currency_text, currency }
}

/// Convenience: amount and ISO currency (None when no amount).
pub fn parse_amount(text: &str) -> Option<(Decimal, Option<String>)> {
    let parsed = parse_price(text, None, None);
    parsed.amount.map(|amount| (amount, parsed.currency))
}

/// ISO 4217 code for a printed currency ("€" → EUR, "£" → GBP, "US$" → USD, "zł" → PLN, "lei" → RON, "Kč" → CZK,
/// "R$" → BRL, "руб" → RUB, ...). ISO codes pass through upper-cased ("eur" → EUR).
///
/// Symbols that several currencies print are `None` rather than a guess, because a wrong currency is worse than an
/// unknown one (the shop's configured currency or the page's hint can fill it in): `$` alone (US, Canadian,
/// Australian, Mexican... dollars), `kr` and `kr.` (Danish, Swedish, Norwegian, Icelandic crowns), `¥` (yen and
/// yuan), `Rs`, `Br`, `ƒ`. A few symbols shared on paper but not in practice are settled: `£` is GBP, `₱` PHP,
/// `лв` BGN, `₩`/`원` KRW. Units without an ISO code (the toman, the bitcoin `₿`) are `None` too.
pub fn iso_currency(currency_text: &str) -> Option<String> {
    iso_code(currency_text).map(str::to_string)
}

// ---------------------------------------------------------------------------------------------------------------
// Currency data.

/// ISO 4217 code → how shops print that currency besides its code: international symbol, national symbol, other
/// spellings. Withdrawn currencies stay, as old listings and second-hand shops still print them. Symbols that several
/// currencies share appear under each of them; [`PREFERRED`] settles the ones with an obvious reading.
const CURRENCIES: &[(&str, &[&str])] = &[
    ("AED", &["د.إ.", "درهم"]),
    ("AFN", &["Af", "؋"]),
    ("ALL", &["Lek"]),
    ("AMD", &["դր.", "դր", "֏"]),
    ("ANG", &["ƒ"]),
    ("AOA", &["Kz"]),
    ("ARS", &["AR$", "$"]),
    ("AUD", &["AU$", "A$", "$"]),
    ("AWG", &["ƒ", "Afl."]),
    ("AZN", &["₼", "ман."]),
    ("BAM", &["KM"]),
    ("BBD", &["Bds$", "$"]),
    ("BDT", &["Tk", "৳", "৲"]),
    ("BGN", &["лв.", "лв"]),
    ("BHD", &["BD", "د.ب."]),
    ("BIF", &["FBu"]),
    ("BMD", &["$"]),
    ("BND", &["BN$", "$"]),
    ("BOB", &["Bs"]),
    ("BRL", &["R$"]),
    ("BSD", &["$"]),
    ("BTN", &["Nu."]),
    ("BWP", &["P"]),
    ("BYN", &["Br"]),
    ("BZD", &["BZ$", "$"]),
    ("CAD", &["CA$", "$"]),
    ("CDF", &["FrCD"]),
    ("CHF", &["Fr."]),
    ("CLF", &["UF"]),
    ("CLP", &["CL$", "$"]),
    ("CNY", &["CN¥", "¥", "￥"]),
    ("COP", &["CO$", "$"]),
    ("CRC", &["₡"]),
    ("CUC", &["CUC$", "$"]),
    ("CUP", &["₱"]),
    ("CVE", &["CV$"]),
    ("CZK", &["Kč"]),
    ("DJF", &["Fdj"]),
    ("DKK", &["Dkr", "kr"]),
    ("DOP", &["RD$"]),
    ("DZD", &["DA", "د.ج."]),
    ("EGP", &["ج.م.", "جنيه"]),
    ("ERN", &["Nfk"]),
    ("ETB", &["Br"]),
    ("EUR", &["€", "euro", "eur"]),
    ("FJD", &["$"]),
    ("FKP", &["£"]),
    ("GBP", &["£"]),
    ("GEL", &["₾"]),
    ("GGP", &["£"]),
    ("GHS", &["GH₵"]),
    ("GIP", &["£"]),
    ("GMD", &["D"]),
    ("GNF", &["FG"]),
    ("GTQ", &["Q"]),
    ("GYD", &["$"]),
    ("HKD", &["HK$", "$"]),
    ("HNL", &["L"]),
    ("HRK", &["kn"]),
    ("HTG", &["G"]),
    ("HUF", &["Ft"]),
    ("IDR", &["Rp"]),
    ("ILS", &["₪"]),
    ("IMP", &["£"]),
    ("INR", &["Rs", "টকা", "₹", "र", "૱", "௹"]),
    ("IQD", &["د.ع."]),
    ("IRR", &["﷼", "ریال"]),
    ("ISK", &["Ikr", "kr"]),
    ("JEP", &["£"]),
    ("JMD", &["J$", "$"]),
    ("JOD", &["JD", "د.أ."]),
    ("JPY", &["¥", "￥", "円"]),
    ("KES", &["Ksh"]),
    ("KGS", &["лв"]),
    ("KHR", &["៛"]),
    ("KMF", &["CF", "FC"]),
    ("KPW", &["₩", "원"]),
    ("KRW", &["₩", "원"]),
    ("KWD", &["KD", "د.ك."]),
    ("KYD", &["$"]),
    ("KZT", &["тңг.", "тңг", "₸"]),
    ("LAK", &["₭"]),
    ("LBP", &["LB£", "ل.ل."]),
    ("LKR", &["SLRs", "SL Re", "Rs"]),
    ("LRD", &["$"]),
    ("LSL", &["L"]),
    ("LYD", &["LD", "د.ل."]),
    ("MAD", &["د.م.", "درهم"]),
    ("MDL", &[]),
    ("MGA", &[]),
    ("MKD", &[]),
    ("MMK", &["K"]),
    ("MNT", &["₮"]),
    ("MOP", &["MOP$"]),
    ("MRO", &["UM"]),
    ("MUR", &["MURs"]),
    ("MVR", &["MRf", "Rf", "ރ"]),
    ("MWK", &["MK"]),
    ("MXN", &["MX$", "$"]),
    ("MYR", &["RM"]),
    ("MZN", &["MTn"]),
    ("NAD", &["N$"]),
    ("NGN", &["₦"]),
    ("NIO", &["C$"]),
    ("NOK", &["Nkr", "kr"]),
    ("NPR", &["NPRs", "नेरू", "Rs"]),
    ("NZD", &["NZ$", "$"]),
    ("OMR", &["ر.ع.", "ريال"]),
    ("PAB", &["B/."]),
    ("PEN", &["S/."]),
    ("PGK", &["K"]),
    ("PHP", &["₱"]),
    ("PKR", &["PKRs", "₨", "Rs"]),
    ("PLN", &["zł", "Zł", "pln"]),
    ("PRB", &["руб"]),
    ("PYG", &["₲"]),
    ("QAR", &["QR", "ر.ق.", "ريال"]),
    ("RON", &["lei", "leu", "Lei", "LEI"]),
    ("RSD", &["din.", "дин.", "Dinara", "динар"]),
    ("RUB", &["руб.", "руб", "₽", "р.", "р", "Р"]),
    ("RWF", &["FR"]),
    ("SAR", &["SR", "ر.س.", "ريال"]),
    ("SBD", &["$"]),
    ("SCR", &["₨"]),
    ("SDG", &[]),
    ("SEK", &["Skr", "kr"]),
    ("SGD", &["S$", "$"]),
    ("SHP", &["£"]),
    ("SLL", &["Le"]),
    ("SOS", &["Ssh"]),
    ("SRD", &["$"]),
    ("SSP", &[]),
    ("STD", &["Db"]),
    ("SVC", &["$"]),
    ("SYP", &["SY£", "ل.س."]),
    ("SZL", &["L"]),
    ("THB", &["฿"]),
    ("TJS", &[]),
    ("TMT", &["T"]),
    ("TND", &["DT", "د.ت."]),
    ("TOP", &["T$"]),
    ("TRY", &["TL", "₺"]),
    ("TTD", &["TT$", "$"]),
    ("TVD", &["$"]),
    ("TWD", &["NT$"]),
    ("TZS", &["TSh"]),
    ("UAH", &["₴", "грн.", "грн"]),
    ("UGX", &["USh"]),
    ("USD", &["US$", "$"]),
    ("USN", &["$"]),
    ("UYI", &[]),
    ("UYU", &["$U", "$"]),
    ("UZS", &[]),
    ("VEF", &["Bs.F."]),
    ("VND", &["₫", "đ"]),
    ("VUV", &["VT"]),
    ("WST", &["WS$", "$"]),
    ("XAF", &["FCFA"]),
    ("XAG", &[]),
    ("XAU", &[]),
    ("XBA", &[]),
    ("XBB", &[]),
    ("XBC", &[]),
    ("XBD", &[]),
    ("XCD", &["$"]),
    ("XDR", &[]),
    ("XOF", &["CFA"]),
    ("XPD", &[]),
    ("XPF", &["CFP"]),
    ("XPT", &[]),
    ("XSU", &["Sucre"]),
    ("XTS", &[]),
    ("XUA", &[]),
    ("YER", &["YR", "ر.ي.", "ريال"]),
    ("ZAR", &["R"]),
    ("ZMK", &["ZK"]),
    ("ZMW", &["ZK"]),
    ("ZWD", &["Z$"]),
    ("ZWL", &["$"]),
    // Replaced by the euro.
    ("ATS", &["öS"]),
    ("BEF", &["fr."]),
    ("CYP", &["£"]),
    ("DEM", &["DM", "D-Mark"]),
    ("EEK", &["kr", "kroon"]),
    ("ESP", &["Pta", "Ptas", "₧", "Pts", "Pt"]),
    ("FIM", &["mk."]),
    ("FRF", &["F", "₣"]),
    ("GRD", &["Δρχ.", "Δρ.", "₯"]),
    ("IEP", &["IR£", "£"]),
    ("ITL", &["L", "₤"]),
    ("LTL", &["Lt", "litų"]),
    ("LUF", &["F"]),
    ("LVL", &["Ls"]),
    ("MTL", &["Lm", "₤"]),
    ("NLG", &["fl.", "ƒ"]),
    ("PTE", &["$"]),
    ("SIT", &["tolarjev"]),
    ("SKK", &["Sk"]),
    ("VAL", &["£", "₤"]),
];

/// Codes in common use that ISO 4217 does not define, with the currency they mean.
const UNOFFICIAL_CODES: &[(&str, &str)] = &[("NTD", "TWD"), ("RMB", "CNY"), ("AFL", "AWG")];

/// Shared symbols with one obvious reading in shops.
const PREFERRED: &[(&str, &str)] = &[
    ("£", "GBP"),
    ("₱", "PHP"),
    ("лв", "BGN"),
    ("лв.", "BGN"),
    ("₩", "KRW"),
    ("원", "KRW"),
    ("ZK", "ZMW"),
    ("руб", "RUB"),
    ("₤", "ITL"),
    ("درهم", "AED"),
];

/// Symbols and words that mean a currency wherever they appear in a price, searched first and in this order (the
/// `$` variants before `$`). The Arabic abbreviations end with a right-to-left mark, as they are printed.
#[rustfmt::skip]
const SAFE_SYMBOLS: &[&str] = &[
    "Bds$", "CUC$", "MOP$", "AR$", "AU$", "BN$", "BZ$", "CA$", "CL$", "CO$", "CV$", "HK$", "MX$", "NT$", "NZ$", "TT$",
    "RD$", "WS$", "US$", "$U", "C$", "J$", "N$", "R$", "S$", "T$", "Z$", "A$", "SY£", "LB£", "CN¥", "GH₵", "$", "€",
    "£", "zł", "Zł", "Kč", "₽", "¥", "￥", "฿", "դր.", "դր", "₦", "₴", "₱", "৳", "₭", "₪", "﷼", "៛", "₩", "₫", "₡",
    "টকা", "ƒ", "₲", "؋", "₮", "नेरू", "₨", "₶", "₾", "֏", "ރ", "৲", "૱", "௹", "₠", "₢", "₣", "₤", "₧", "₯", "₰", "₳",
    "₷", "₸", "₹", "₺", "₼", "₿", "ℳ", "ر.ق.\u{200f}", "د.ك.\u{200f}", "د.ع.\u{200f}", "ر.ع.\u{200f}", "ر.ي.\u{200f}",
    "ر.س.\u{200f}", "د.ج.\u{200f}", "د.م.\u{200f}", "د.إ.\u{200f}", "د.ت.\u{200f}", "د.ل.\u{200f}", "ل.س.\u{200f}",
    "د.ب.\u{200f}", "د.أ.\u{200f}", "ج.م.\u{200f}", "ل.ل.\u{200f}", " تومان", "تومان", "EUR", "euro", "eur", "CHF",
    "DKK", "Rp", "lei", "руб.", "руб", "грн.", "грн", "дин.", "Dinara", "динар", "лв.", "лв", "р.", "тңг", "тңг.",
    "ман.",
];

/// Any symbol or code of [`CURRENCIES`] in the text, longest first, searched after the safe symbols. Single capital
/// letters are left out: on their own they are far more often something else ("T-shirt", "size L").
static UNSAFE_SYMBOLS: LazyLock<Regex> = LazyLock::new(|| {
    let mut symbols: Vec<&str> = CURRENCIES
        .iter()
        .flat_map(|(code, symbols)| std::iter::once(*code).chain(symbols.iter().copied()))
        .chain(UNOFFICIAL_CODES.iter().map(|(code, _)| *code))
        .filter(|symbol| !SAFE_SYMBOLS.contains(symbol))
        .filter(|symbol| !(symbol.len() == 1 && symbol.as_bytes()[0].is_ascii_uppercase()))
        .collect();
    symbols.sort_unstable_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    symbols.dedup();
    alternation(&symbols)
});

static SAFE_SYMBOLS_REGEX: LazyLock<Regex> = LazyLock::new(|| alternation(SAFE_SYMBOLS));

/// Codes ending in `D` (for "dollar", or "dinar") standing as a word: next to a `$` they say which dollar it is.
static DOLLAR_CODES: LazyLock<Regex> = LazyLock::new(|| {
    let codes: Vec<&str> = CURRENCIES
        .iter()
        .map(|(code, _)| *code)
        .chain(UNOFFICIAL_CODES.iter().map(|(code, _)| *code))
        .filter(|code| code.ends_with('D'))
        .collect();
    // Start-up invariant: the pattern is built from the constant table above.
    Regex::new(&format!(r"\b(?:{})", codes.join("|"))).expect("the dollar-code pattern is valid")
});

/// Printed currency → the currencies it may mean. Exact spellings first; a second map, keyed by lower case, catches
/// codes and currency words printed in another case ("Euro", "eur", "Pln").
struct IsoIndex {
    exact: HashMap<&'static str, Candidates>,
    folded: HashMap<String, Candidates>,
}

/// The currencies a printed symbol may mean.
#[derive(Default)]
struct Candidates {
    codes: Vec<&'static str>,
    preferred: Option<&'static str>,
}

impl Candidates {
    fn add(&mut self, code: &'static str) {
        if !self.codes.contains(&code) {
            self.codes.push(code);
        }
    }

    /// The one currency this symbol means, if it can be told.
    fn single(&self) -> Option<&'static str> {
        match self.codes.as_slice() {
            [code] => Some(code),
            _ => self.preferred,
        }
    }
}

static ISO_INDEX: LazyLock<IsoIndex> = LazyLock::new(|| {
    let mut exact: HashMap<&'static str, Candidates> = HashMap::new();
    let mut folded: HashMap<String, Candidates> = HashMap::new();
    let entries = CURRENCIES
        .iter()
        .flat_map(|(code, symbols)| std::iter::once((*code, *code)).chain(symbols.iter().map(move |s| (*s, *code))))
        .chain(UNOFFICIAL_CODES.iter().copied());
    for (symbol, code) in entries {
        exact.entry(symbol).or_default().add(code);
        if is_foldable(symbol) {
            folded.entry(symbol.to_lowercase()).or_default().add(code);
        }
    }
    for (symbol, code) in PREFERRED {
        exact.entry(symbol).or_default().preferred = Some(code);
        if is_foldable(symbol) {
            folded.entry(symbol.to_lowercase()).or_default().preferred = Some(code);
        }
    }
    IsoIndex { exact, folded }
});

/// Whether a spelling may be matched in any case: codes and words ("eur", "Euro", "LEI"), not short abbreviations
/// whose case tells currencies apart ("Fr." is the Swiss franc, "FR" the Rwandan one).
fn is_foldable(symbol: &str) -> bool {
    symbol.chars().count() >= 3 && symbol.chars().all(char::is_alphabetic)
}

fn alternation(symbols: &[&str]) -> Regex {
    let pattern = symbols.iter().map(|symbol| regex::escape(symbol)).collect::<Vec<_>>().join("|");
    // Start-up invariant: every alternative is an escaped literal.
    Regex::new(&pattern).expect("an alternation of escaped literals is a valid pattern")
}

/// The candidate currencies of a printed currency, after the cleaning every spelling gets.
fn candidates(currency_text: &str) -> Option<&'static Candidates> {
    let cleaned = currency_text.trim_matches(|c: char| c.is_whitespace() || c == '\u{200f}' || c == '\u{200e}');
    if cleaned.is_empty() {
        return None;
    }
    let index = &*ISO_INDEX;
    index
        .exact
        .get(cleaned)
        .or_else(|| index.folded.get(&cleaned.to_lowercase()))
        .or_else(|| cleaned.strip_suffix('.').and_then(|shorter| index.exact.get(shorter)))
}

fn iso_code(currency_text: &str) -> Option<&'static str> {
    candidates(currency_text).and_then(Candidates::single)
}

/// The ISO code of the printed currency; when the symbol is shared, the hint's currency if it is one of those the
/// symbol may mean (`$` and `CAD` → CAD, but `$` and `EUR` stays unknown).
fn resolve_currency(currency_text: Option<&str>, hint: Option<&str>) -> Option<String> {
    let printed = currency_text.and_then(candidates);
    if let Some(code) = printed.and_then(Candidates::single) {
        return Some(code.to_string());
    }
    let hinted = hint.and_then(|hint| find_currency(hint, None)).and_then(iso_code)?;
    match (currency_text, printed) {
        (None, _) => Some(hinted.to_string()),
        (Some(_), Some(printed)) if printed.codes.contains(&hinted) => Some(hinted.to_string()),
        _ => None,
    }
}

/// One way of looking for a currency in a text.
type SymbolSearch = fn(&str) -> Option<&str>;

/// The currency as printed in `text`, else in `hint`, as `price-parser` finds it.
fn find_currency<'a>(text: &'a str, hint: Option<&'a str>) -> Option<&'a str> {
    let text = Some(text).filter(|text| !text.is_empty());
    let searches: [(SymbolSearch, Option<&'a str>); 6] = [
        (find_dollar_code, text.filter(|text| text.contains('$'))),
        (find_dollar_code, hint.filter(|hint| hint.contains('$'))),
        (find_safe_symbol, text),
        (find_safe_symbol, hint),
        (find_unsafe_symbol, text),
        (find_unsafe_symbol, hint),
    ];
    searches.into_iter().find_map(|(search, haystack)| haystack.and_then(search))
}

fn find_safe_symbol(text: &str) -> Option<&str> {
    SAFE_SYMBOLS_REGEX.find(text).map(|found| found.as_str())
}

fn find_unsafe_symbol(text: &str) -> Option<&str> {
    UNSAFE_SYMBOLS.find(text).map(|found| found.as_str())
}

/// A code like `NZD` not followed by a letter ("NZD $5", "SGD$5", "AUD5"; not "CADDY").
fn find_dollar_code(text: &str) -> Option<&str> {
    DOLLAR_CODES.find_iter(text).find_map(|found| {
        // A `$` right after the code is not a letter, so it needs no case of its own.
        let next = text[found.end()..].chars().next();
        let stands_alone = next.is_none_or(|c| c.is_ascii_digit() || !(c.is_alphanumeric() || c == '_'));
        stands_alone.then(|| found.as_str())
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Amount.

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// Characters a printed number is made of (digits and the separators between them).
fn is_number_char(c: char) -> bool {
    is_digit(c) || c.is_whitespace() || c == '.' || c == ','
}

/// Words that, with no number in the text, mean the price is zero.
const FREE_WORDS: &[&str] = &["free", "gratuit", "gratis", "kostenlos"];

/// The text of the amount: the first number of `text`, or a number with the euro sign as decimal separator.
fn extract_amount_text(text: &str) -> Option<String> {
    let normalized = normalize(text);
    let text = normalized.as_str();
    if let Some(amount) = euro_separated_amount(text) {
        return Some(amount);
    }
    if let Some(number) = first_number(text) {
        let number = number.trim_end_matches([',', '.']);
        let number = if number.matches('.').count() == 1 { number } else { number.trim_start_matches([',', '.']) };
        return Some(number.trim().to_string());
    }
    let is_free = FREE_WORDS
        .iter()
        .any(|word| text.as_bytes().windows(word.len()).any(|window| window.eq_ignore_ascii_case(word.as_bytes())));
    is_free.then(|| "0".to_string())
}

/// The text with every run of whitespace (no-break and narrow no-break spaces included) made one space, and
/// apostrophes between digits dropped (Swiss thousands: "1'049.95", "1’049.95").
fn normalize(text: &str) -> String {
    let mut normalized = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            if previous != Some(' ') {
                normalized.push(' ');
            }
            previous = Some(' ');
            continue;
        }
        let between_digits = previous.is_some_and(is_digit) && chars.peek().is_some_and(|next| is_digit(*next));
        if matches!(c, '\'' | '’' | 'ʼ') && between_digits {
            continue;
        }
        normalized.push(c);
        previous = Some(c);
    }
    normalized
}

/// "12€99", "12 € 99", "1 235€99": with exactly one euro sign in the text, a number right before it and either
/// digits right after it or, after a space, exactly two digits (three would be another price: "35€ 999").
fn euro_separated_amount(text: &str) -> Option<String> {
    let mut euros = text.match_indices('€');
    let (euro, _) = euros.next()?;
    if euros.next().is_some() {
        return None;
    }
    let before = text[..euro].trim_end_matches(char::is_whitespace);
    if !before.chars().next_back().is_some_and(is_digit) {
        return None;
    }
    let start =
        before.len() - before.chars().rev().take_while(|c| is_number_char(*c)).map(char::len_utf8).sum::<usize>();
    let after = &text[euro + '€'.len_utf8()..];
    let cents = after.trim_start_matches(char::is_whitespace);
    let digits = cents.bytes().take_while(u8::is_ascii_digit).count();
    let spaced = cents.len() != after.len();
    if digits == 0 || (spaced && digits != 2) {
        return None;
    }
    let end = text.len() - cents.len() + digits;
    Some(text[start..end].chars().filter(|c| !c.is_whitespace()).collect())
}

/// The first number of the text that is not a percentage: a digit (or a `.` and a digit) followed by digits,
/// spaces, `.` and `,`. A number followed by `%`, spaced or not, is skipped whole: `price-parser` only skips "30%"
/// and reads "-30 %" (French typography) as 30, or "1.5%" as 1.
fn first_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let starts_number = bytes[position].is_ascii_digit()
            || (bytes[position] == b'.' && bytes.get(position + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number {
            position += text[position..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let run = &text[position..];
        let run_length = run.len() - run.trim_start_matches(is_number_char).len();
        if !text[position + run_length..].starts_with('%') {
            return Some(&run[..run_length]);
        }
        position += run_length;
    }
    None
}

/// The amount in an amount text, with the decimal separator given or guessed.
fn parse_number(amount_text: &str, decimal_separator: Option<char>) -> Option<Decimal> {
    let number = amount_text.trim();
    let separator = decimal_separator.or_else(|| guess_decimal_separator(number));
    let mut mantissa: i128 = 0;
    let mut digits = 0u32;
    let mut scale: Option<u32> = None;
    for c in number.chars() {
        if let Some(digit) = c.to_digit(10) {
            mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(digit))?;
            digits += 1;
            if let Some(scale) = scale.as_mut() {
                *scale += 1;
            }
        } else if Some(c) == separator {
            if scale.is_some() {
                return None;
            }
            scale = Some(0);
        } else if !(c.is_whitespace() || c == '.' || c == ',') {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale.unwrap_or(0)).ok()
}

/// The last `.`, `,` or `€` after a digit (or leading the number), when the digits after it are one, two, or four or more: three are taken
/// as a thousands group ("1.299" is 1299, "12,99" is 12.99, "3,0000" is 3).
fn guess_decimal_separator(number: &str) -> Option<char> {
    let cents = number.trim_end_matches(|c: char| c.is_whitespace() || is_digit(c));
    let digits_after = number[cents.len()..].chars().filter(|c| is_digit(*c)).count();
    let separator = cents.chars().next_back().filter(|c| matches!(c, '.' | ',' | '€'))?;
    let before = &cents[..cents.len() - separator.len_utf8()];
    // A leading separator (".75") is a decimal point too.
    let before = before.trim_end_matches(char::is_whitespace);
    let digit_before = before.is_empty() || before.chars().next_back().is_some_and(is_digit);
    (digit_before && digits_after != 0 && digits_after != 3).then_some(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn read(text: &str) -> (Option<Decimal>, Option<String>) {
        let parsed = parse_price(text, None, None);
        (parsed.amount, parsed.currency)
    }

    fn euros(text: &str) -> (Option<Decimal>, Option<String>) {
        (Some(amount(text)), Some("EUR".to_string()))
    }

    #[test]
    fn a_french_price_with_a_decimal_comma_is_read() {
        assert_eq!(read("19,99 €"), euros("19.99"));
        assert_eq!(read("0,99€"), euros("0.99"));
    }

    #[test]
    fn a_price_with_a_narrow_no_break_space_is_read() {
        assert_eq!(read("1\u{202f}299,00\u{202f}€"), euros("1299.00"));
    }

    #[test]
    fn a_price_with_a_no_break_space_is_read() {
        assert_eq!(read("1\u{a0}299,00\u{a0}€"), euros("1299.00"));
        assert_eq!(read("1 299,00 €"), euros("1299.00"));
    }

    #[test]
    fn a_price_followed_by_ttc_is_read() {
        let parsed = parse_price("Prix : 24,90 €TTC", None, None);
        assert_eq!(parsed.amount, Some(amount("24.90")));
        assert_eq!(parsed.amount_text.as_deref(), Some("24,90"));
        assert_eq!(parsed.currency_text.as_deref(), Some("€"));
        assert_eq!(parsed.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn the_euro_sign_as_decimal_separator_is_read() {
        assert_eq!(read("12€99"), euros("12.99"));
        assert_eq!(read("12 € 99"), euros("12.99"));
        assert_eq!(read("1 235€99"), euros("1235.99"));
        assert_eq!(parse_price("12€99", None, None).amount_text.as_deref(), Some("12€99"));
    }

    #[test]
    fn three_digits_after_a_spaced_euro_sign_are_another_price() {
        assert_eq!(read("35€ 999"), euros("35"));
    }

    #[test]
    fn the_amount_keeps_its_printed_decimal_places() {
        assert_eq!(read("19,90 €").0.map(|amount| amount.scale()), Some(2));
    }

    #[test]
    fn english_and_symbol_first_prices_are_read() {
        assert_eq!(read("€19.99"), euros("19.99"));
        assert_eq!(read("EUR 5"), euros("5"));
        assert_eq!(read("from £5"), (Some(amount("5")), Some("GBP".to_string())));
        assert_eq!(read("US$:12.99"), (Some(amount("12.99")), Some("USD".to_string())));
        assert_eq!(read("R$ 1.299,90"), (Some(amount("1299.90")), Some("BRL".to_string())));
    }

    #[test]
    fn a_dollar_amount_without_a_hint_has_no_iso_currency() {
        let parsed = parse_price("$1,234.56", None, None);
        assert_eq!(parsed.amount, Some(amount("1234.56")));
        assert_eq!(parsed.currency_text.as_deref(), Some("$"));
        assert_eq!(parsed.currency, None);
    }

    #[test]
    fn a_hint_settles_a_shared_symbol_it_is_compatible_with() {
        assert_eq!(parse_price("$5", Some("CAD"), None).currency.as_deref(), Some("CAD"));
        assert_eq!(parse_price("$5", Some("EUR"), None).currency, None);
        assert_eq!(parse_price("5", Some("EUR"), None).currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_dollar_code_wins_over_the_dollar_sign() {
        let parsed = parse_price("NZD $12", None, None);
        assert_eq!(parsed.currency_text.as_deref(), Some("NZD"));
        assert_eq!(parsed.currency.as_deref(), Some("NZD"));
    }

    #[test]
    fn a_dash_for_no_cents_is_read() {
        assert_eq!(read("1.299,-"), (Some(amount("1299")), None));
        assert_eq!(read("1.299,- €"), euros("1299"));
    }

    #[test]
    fn three_digits_after_a_lone_separator_are_thousands_unless_the_shop_says_otherwise() {
        assert_eq!(read("1.299").0, Some(amount("1299")));
        assert_eq!(parse_price("1.299", None, Some('.')).amount, Some(amount("1.299")));
        let dinars = parse_price(" 423.923 KD", None, Some('.'));
        assert_eq!((dinars.amount, dinars.currency.as_deref()), (Some(amount("423.923")), Some("KWD")));
    }

    #[test]
    fn swiss_apostrophe_thousands_are_read() {
        assert_eq!(read("CHF 1'049.95"), (Some(amount("1049.95")), Some("CHF".to_string())));
        assert_eq!(read("CHF 1’049.95"), (Some(amount("1049.95")), Some("CHF".to_string())));
    }

    #[test]
    fn a_percentage_is_not_a_price() {
        assert_eq!(read("-50%").0, None);
        assert_eq!(read("-30 % : 19,99 €"), euros("19.99"));
        assert_eq!(read("1.5% cashback, 20 €"), euros("20"));
    }

    #[test]
    fn free_reads_as_zero() {
        assert_eq!(read("Gratuit").0, Some(Decimal::ZERO));
        assert_eq!(read("FREE").0, Some(Decimal::ZERO));
    }

    #[test]
    fn text_without_a_price_reads_as_nothing() {
        assert_eq!(parse_price("Rupture de stock", None, None), ParsedPrice::default());
        assert_eq!(parse_price("", None, None), ParsedPrice::default());
        assert_eq!(parse_amount("Voir le prix"), None);
    }

    #[test]
    fn parse_amount_returns_the_amount_and_the_iso_currency() {
        assert_eq!(parse_amount("19,99 €"), Some((amount("19.99"), Some("EUR".to_string()))));
        assert_eq!(parse_amount("42"), Some((amount("42"), None)));
    }

    #[test]
    fn hostile_input_does_not_panic_or_overflow() {
        let long_number = "9".repeat(10_000);
        assert_eq!(parse_price(&long_number, None, None).amount, None);
        let percentages = "1%".repeat(10_000);
        assert_eq!(parse_price(&percentages, None, None).amount, None);
        let separators = "1.".repeat(10_000) + "%";
        assert_eq!(parse_price(&separators, None, None).amount, None);
        for text in ["€", "€€", "1€", "€1", ".", ",", " ", "\u{202f}€\u{a0}", "..%", "1 %", "$", "NZD"] {
            let _ = parse_price(text, Some(text), Some('€'));
        }
    }

    #[test]
    fn printed_currencies_map_to_iso_codes() {
        let cases = [
            ("€", "EUR"),
            ("£", "GBP"),
            ("US$", "USD"),
            ("CHF", "CHF"),
            ("zł", "PLN"),
            ("Zł", "PLN"),
            ("lei", "RON"),
            ("Lei", "RON"),
            ("Kč", "CZK"),
            ("R$", "BRL"),
            ("руб", "RUB"),
            ("руб.", "RUB"),
            ("₽", "RUB"),
            ("Ft", "HUF"),
            ("грн", "UAH"),
            ("₺", "TRY"),
            ("Fr.", "CHF"),
            ("د.إ.\u{200f}", "AED"),
            ("NTD", "TWD"),
        ];
        for (printed, code) in cases {
            assert_eq!(iso_currency(printed).as_deref(), Some(code), "{printed}");
        }
    }

    #[test]
    fn iso_codes_pass_through_upper_cased() {
        assert_eq!(iso_currency("eur").as_deref(), Some("EUR"));
        assert_eq!(iso_currency(" Euro ").as_deref(), Some("EUR"));
        assert_eq!(iso_currency("pln").as_deref(), Some("PLN"));
        assert_eq!(iso_currency("sek").as_deref(), Some("SEK"));
    }

    #[test]
    fn shared_or_unknown_symbols_have_no_iso_code() {
        for printed in ["$", "kr", "kr.", "¥", "Rs", "Br", "Fr", "₿", "تومان", "", "XYZ", "LEI5"] {
            assert_eq!(iso_currency(printed), None, "{printed}");
        }
    }

    #[test]
    fn every_symbol_of_the_currency_table_is_mapped_or_knowingly_shared() {
        for (code, symbols) in CURRENCIES {
            assert_eq!(iso_currency(code).as_deref(), Some(*code));
            for symbol in *symbols {
                let candidates = candidates(symbol).unwrap_or_else(|| panic!("{symbol} is not indexed"));
                assert!(candidates.codes.contains(code), "{symbol} does not list {code}");
            }
        }
        for (symbol, code) in PREFERRED {
            assert!(candidates(symbol).is_some_and(|c| c.codes.contains(code)), "{symbol} is not a symbol of {code}");
        }
    }
}
