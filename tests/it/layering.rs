//! The crate's layers hold: a module uses only the layers listed before its own in `src/lib.rs`'s map.
//!
//! The map is the source of truth: its numbered list ("1. [`common`]: …") gives the layers lowest first, and every
//! `crate::<layer>` path written in `src/` (imports and paths in code alike; comments are not read) must point at
//! its own layer or a lower one. A new top-level module must be placed in the list before it can be used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// `crate::name`, as a path's first segment.
static CRATE_PATH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bcrate::([a-z_]+)").unwrap());
/// `crate::{a, b::c}`, a group of paths.
static CRATE_GROUP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bcrate::\{([^}]*)\}").unwrap());

/// One use of a higher layer from a lower one.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: layer `{}` uses the higher layer `{}`", self.file, self.line, self.from, self.to)
    }
}

/// The layers in the order of the crate map's numbered list, lowest first.
fn layers_of_map(lib_rs: &str) -> Vec<String> {
    let item = Regex::new(r"^//!\s*\d+\.\s*\[`([a-z_]+)`\]").unwrap();
    lib_rs.lines().filter_map(|line| item.captures(line)).map(|found| found[1].to_string()).collect()
}

/// The top-level modules `src/lib.rs` declares.
fn declared_modules(lib_rs: &str) -> Vec<String> {
    let item = Regex::new(r"^pub mod ([a-z_]+);").unwrap();
    lib_rs.lines().filter_map(|line| item.captures(line)).map(|found| found[1].to_string()).collect()
}

/// The layer a source file belongs to: its first folder under `src/`, or its own name for a file at the root.
fn layer_of(relative: &str) -> String {
    let first = relative.split('/').next().unwrap_or(relative);
    first.trim_end_matches(".rs").to_string()
}

/// Every layer a line of code names through `crate::`, whether as `crate::x::…` or inside `crate::{x, y}`.
fn layers_named(code: &str) -> Vec<String> {
    if !code.contains("crate::") {
        return Vec::new();
    }
    let mut named: Vec<String> = CRATE_PATH.captures_iter(code).map(|found| found[1].to_string()).collect();
    for found in CRATE_GROUP.captures_iter(code) {
        named.extend(found[1].split(',').filter_map(|part| {
            let first = part.trim().split("::").next()?.trim();
            (!first.is_empty() && first != "self").then(|| first.to_string())
        }));
    }
    named
}

/// The uses of higher layers in `files` (path relative to `src/`, text), given the layers lowest first.
fn violations(layers: &[String], files: &[(String, String)]) -> Vec<Violation> {
    let rank: BTreeMap<&str, usize> = layers.iter().enumerate().map(|(at, name)| (name.as_str(), at)).collect();
    let mut found = Vec::new();
    for (relative, text) in files {
        let from = layer_of(relative);
        let Some(&from_rank) = rank.get(from.as_str()) else { continue };
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for to in layers_named(code) {
                let higher = rank.get(to.as_str()).is_none_or(|&to_rank| to_rank > from_rank);
                if higher && to != from {
                    found.push(Violation { file: relative.clone(), line: index + 1, from: from.clone(), to });
                }
            }
        }
    }
    found
}

fn rust_files(dir: &Path, root: &Path, into: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, root, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            into.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn every_module_uses_only_its_own_layer_and_the_layers_below() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib_rs = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layers = layers_of_map(&lib_rs);
    assert!(layers.len() >= 10, "the crate map in src/lib.rs lists its layers as `N. [`name`]: …`: {layers:?}");

    let mut declared = declared_modules(&lib_rs);
    declared.sort();
    let mut listed = layers.clone();
    listed.sort();
    assert_eq!(declared, listed, "every module of src/lib.rs is placed once in the layer list of its map");

    let mut files = Vec::new();
    rust_files(&src, &src, &mut files);
    files.retain(|(relative, _)| relative != "lib.rs" && relative != "main.rs");
    let found = violations(&layers, &files);
    let report: Vec<String> = found.iter().map(Violation::to_string).collect();
    assert!(found.is_empty(), "layers reaching up (see the map in src/lib.rs):\n{}", report.join("\n"));
}

#[test]
fn a_lower_layer_naming_a_higher_one_is_reported_with_its_file_and_line() {
    let layers: Vec<String> = ["common", "store", "web"].map(String::from).to_vec();
    let files = vec![
        (
            "store/queries.rs".to_string(),
            "use crate::common::x;\n// crate::web in a comment\nuse crate::web::y;".into(),
        ),
        ("web/page.rs".to_string(), "use crate::store::z;\nuse crate::{common::a, web::b};".into()),
        ("common/text.rs".to_string(), "fn f() { crate::store::g(); }".into()),
    ];
    let found: Vec<String> = violations(&layers, &files).iter().map(Violation::to_string).collect();
    assert_eq!(
        found,
        [
            "store/queries.rs:3: layer `store` uses the higher layer `web`",
            "common/text.rs:1: layer `common` uses the higher layer `store`",
        ]
    );
}

#[test]
fn the_map_gives_the_layers_in_order() {
    let map = "//! Layers:\n//! 1. [`common`]: tools;\n//! 2. [`scrape`]: shops;\n//!    more words\n//! 10. [`cli`]: commands.\npub mod common;";
    assert_eq!(layers_of_map(map), ["common", "scrape", "cli"]);
    assert_eq!(declared_modules(map), ["common"]);
}
