//! Reading a TOML file into typed structures while collecting *every* problem in it, with its line, column and
//! field, instead of stopping at the first.
//!
//! A user fixing a configuration or shop file wants all mistakes in one pass. serde stops at the first error, so
//! after each one the entry it points at is blanked out (keeping byte offsets, so later positions stay true) and
//! parsing goes on, until the text parses or nothing is left to blank. Hand-written because no TOML or
//! configuration crate reports all problems of a file with their positions.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;

/// One thing wrong in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    /// The dotted key the problem is about (`crawl.start_urls`), when it can be told.
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    /// `path:line:column: field: message`, the form editors and terminals make clickable.
    pub fn describe(&self, path: &Path) -> String {
        match &self.field {
            Some(field) => format!("{}:{}:{}: {field}: {}", path.display(), self.line, self.column, self.message),
            None => format!("{}:{}:{}: {}", path.display(), self.line, self.column, self.message),
        }
    }
}

/// All problems of one file, as one readable paragraph.
pub fn describe_problems(what: &str, path: &Path, problems: &[Problem]) -> String {
    let count = problems.len();
    let mut text = format!("{what} {} has {count} problem{}:", path.display(), if count == 1 { "" } else { "s" });
    for problem in problems {
        text.push_str("\n  ");
        text.push_str(&problem.describe(path));
    }
    text
}

/// Parses `text` as `T`, or returns every problem found.
pub fn parse_all<T: DeserializeOwned>(text: &str) -> Result<T, Vec<Problem>> {
    let mut remaining = text.to_string();
    let mut problems: Vec<Problem> = Vec::new();
    loop {
        match toml::from_str::<T>(&remaining) {
            Ok(value) if problems.is_empty() => return Ok(value),
            Ok(_) => return Err(sorted(problems)),
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let (line, column) = line_and_column(text, span.start);
                let message = error.message().trim().to_string();
                if problems.iter().any(|p| p.line == line && p.message == message)
                    || blanked_earlier(&problems, &message)
                {
                    return Err(sorted(problems));
                }
                problems.push(Problem { line, column, field: field_at(text, span.start), message });
                match blank_entry(&remaining, span) {
                    Some(next) => remaining = next,
                    None => return Err(sorted(problems)),
                }
            }
        }
    }
}

/// True for "missing field `k`" when `k` is missing only because its bad value was blanked out: not a problem of
/// its own.
fn blanked_earlier(problems: &[Problem], message: &str) -> bool {
    let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) else {
        return false;
    };
    problems.iter().filter_map(|p| p.field.as_deref()).any(|f| f == missing || f.ends_with(&format!(".{missing}")))
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The dotted key of the `key = value` line at `offset`, under the nearest `[table]` header above it.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let header = |line: &str| -> Option<String> {
        let inner = line
            .strip_prefix("[[")
            .and_then(|l| l.split("]]").next())
            .or_else(|| line.strip_prefix('[').and_then(|l| l.split(']').next()))?;
        Some(inner.trim().to_string())
    };
    if line.starts_with('[') {
        return header(line);
    }
    let key = line.split_once('=')?.0.trim().trim_matches('"');
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    let table = text[..line_start].lines().rev().map(str::trim).find(|l| l.starts_with('[')).and_then(header);
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

/// Replaces the lines of the entry at `span` with spaces. A table header takes its whole table with it.
fn blank_entry(text: &str, span: Range<usize>) -> Option<String> {
    let span_start = floor_char_boundary(text, span.start);
    let start = text[..span_start].rfind('\n').map_or(0, |i| i + 1);
    let end_from = floor_char_boundary(text, span.end.max(span.start));
    let mut end = text[end_from..].find('\n').map_or(text.len(), |i| end_from + i);
    if text[start..].trim_start().starts_with('[') {
        // The whole table: up to the next header line.
        let mut cursor = end;
        end = text.len();
        while cursor < text.len() {
            let next_line_start = cursor + 1;
            if text[next_line_start.min(text.len())..].trim_start().starts_with('[') {
                end = cursor;
                break;
            }
            cursor = text[next_line_start.min(text.len())..].find('\n').map_or(text.len(), |i| next_line_start + i);
        }
    }
    if text[start..end].trim().is_empty() {
        return None;
    }
    let blanked: String = text[start..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
    Some(format!("{}{}{}", &text[..start], blanked, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        #[serde(default)]
        limits: Limits,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Limits {
        #[serde(default)]
        max_pages: u32,
    }

    #[test]
    fn every_problem_gets_its_line_and_field() {
        let problems = parse_all::<Sample>("name = 5\ncolour = \"é\"\n[limits]\nmax_pages = -3\n").unwrap_err();
        let located: Vec<(usize, Option<&str>)> = problems.iter().map(|p| (p.line, p.field.as_deref())).collect();
        assert_eq!(located, [(1, Some("name")), (2, Some("colour")), (4, Some("limits.max_pages"))], "{problems:#?}");
        assert!(problems[0].describe(Path::new("shop.toml")).starts_with("shop.toml:1:8: name: "));
    }

    #[test]
    fn a_missing_required_field_is_reported() {
        let problems = parse_all::<Sample>("[limits]\nmax_pages = 3\n").unwrap_err();
        assert!(problems[0].message.contains("missing field `name`"), "{problems:#?}");
    }
}
