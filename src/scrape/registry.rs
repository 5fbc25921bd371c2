//! The shops dealcast knows: every `scrapers/<shop>.toml`, loaded and checked together.
//!
//! A broken shop file must never be discovered one run at a time, so loading reads every file and reports every
//! problem of every file at once (file, line, field), including a file name that is not a valid shop id and two
//! files that would give the same id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::toml_problems::{Problem, parse_all};
use crate::scrape::shop_spec::ShopSpec;

/// Where shop files live when nothing else is configured.
pub const DEFAULT_SCRAPERS_DIR: &str = "scrapers";

/// One shop: its id (the file stem), its file and what the file says.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: String,
    pub file: PathBuf,
    pub spec: ShopSpec,
}

/// Every shop of a scrapers directory, by id.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
    shops: BTreeMap<String, Shop>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Could not read the shops directory {dir}: {source}. Create it, or point --scrapers at the right one.")]
    ReadDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{count} problem{} in the shop files:\n  {}", if *count == 1 { "" } else { "s" }, lines.join("\n  "))]
    Invalid { count: usize, lines: Vec<String> },

    #[error("There is no shop `{id}` in {dir} (known: {known}).")]
    UnknownShop { id: String, dir: PathBuf, known: String },
}

impl Registry {
    /// Loads every `*.toml` file directly inside `dir`.
    pub fn load(dir: &Path) -> Result<Registry, RegistryError> {
        let entries =
            std::fs::read_dir(dir).map_err(|source| RegistryError::ReadDir { dir: dir.to_path_buf(), source })?;
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("toml")))
            .collect();
        files.sort();

        let mut lines = Vec::new();
        let mut shops: BTreeMap<String, Shop> = BTreeMap::new();
        for file in files {
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let id_key = stem.to_ascii_lowercase().replace('-', "_");
            if let Some(other) = shops.get(&id_key) {
                lines.push(format!(
                    "{}: the shop id `{id_key}` is already used by {}; rename one of the files",
                    file.display(),
                    other.file.display()
                ));
                continue;
            }
            if !is_shop_id(&stem) {
                lines.push(format!(
                    "{}: `{stem}` is not a valid shop id: name the file in snake_case, such as `{id_key}.toml`",
                    file.display()
                ));
            }
            match load_file(&file) {
                Ok(spec) => {
                    shops.insert(id_key.clone(), Shop { id: id_key, file, spec });
                }
                Err(problems) => lines.extend(problems.iter().map(|p| p.describe(&file))),
            }
        }
        if lines.is_empty() {
            Ok(Registry { dir: dir.to_path_buf(), shops })
        } else {
            Err(RegistryError::Invalid { count: lines.len(), lines })
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn shops(&self) -> impl Iterator<Item = &Shop> {
        self.shops.values()
    }

    pub fn len(&self) -> usize {
        self.shops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shops.is_empty()
    }

    /// The shop with this id, or an error listing the known ones.
    pub fn get(&self, id: &str) -> Result<&Shop, RegistryError> {
        self.shops.get(id).ok_or_else(|| RegistryError::UnknownShop {
            id: id.to_string(),
            dir: self.dir.clone(),
            known: self.shops.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    /// Where a shop's saved pages and expected offers are (`<dir>/fixtures/<shop>/`).
    pub fn fixtures_dir(&self, id: &str) -> PathBuf {
        self.dir.join("fixtures").join(id)
    }
}

/// `snake_case`: lower-case ASCII letters, digits and underscores, starting with a letter.
pub fn is_shop_id(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Reads and checks one shop file.
pub fn load_file(file: &Path) -> Result<ShopSpec, Vec<Problem>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![Problem { line: 1, column: 1, field: None, message: format!("could not read the file: {e}") }]
    })?;
    let spec: ShopSpec = parse_all(&text)?;
    let problems: Vec<Problem> = spec
        .cross_check()
        .into_iter()
        .map(|(field, message)| {
            let (line, column) = locate_field(&text, field);
            Problem { line, column, field: Some(field.to_string()), message }
        })
        .collect();
    if problems.is_empty() { Ok(spec) } else { Err(problems) }
}

/// Where `table.key` is written in the file (its table header, or line 1 when it is not written at all).
fn locate_field(text: &str, field: &str) -> (usize, usize) {
    let (table, key) = field.rsplit_once('.').map_or((None, field), |(t, k)| (Some(t), k));
    let mut in_table = table.is_none();
    let mut table_line = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_table = table.is_some_and(|t| trimmed.trim_matches(['[', ']']).trim() == t);
            if in_table {
                table_line = Some(index + 1);
            }
            continue;
        }
        if in_table && trimmed.split('=').next().is_some_and(|k| k.trim() == key) {
            return (index + 1, line.len() - line.trim_start().len() + 1);
        }
    }
    (table_line.unwrap_or(1), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn every_problem_of_every_file_is_reported_at_once() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good_shop.toml", "name = \"Good\"\nhomepage = \"https://good.example/\"\n");
        write(dir.path(), "bad_shop.toml", "name = 3\nhomepage = \"nope\"\n");
        write(
            dir.path(),
            "feed_shop.toml",
            "name = \"F\"\nhomepage = \"https://f.example/\"\n[engine]\nkind = \"feed\"\n",
        );
        write(dir.path(), "Bad-Name.toml", "name = \"X\"\nhomepage = \"https://x.example/\"\n");
        write(dir.path(), "bad_name.toml", "name = \"Y\"\nhomepage = \"https://y.example/\"\n");
        let error = Registry::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("bad_shop.toml:1:8: name: invalid type"), "{error}");
        assert!(error.contains("bad_shop.toml:2:12: homepage: `nope` is not a URL"), "{error}");
        assert!(error.contains("feed_shop.toml:1:1: crawl.start_urls: a feed shop needs"), "{error}");
        assert!(error.contains("`Bad-Name` is not a valid shop id"), "{error}");
        assert!(error.contains("the shop id `bad_name` is already used"), "{error}");
        assert!(error.starts_with("5 problems"), "{error}");
    }

    #[test]
    fn good_files_load_by_id() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "kiabi.toml", "name = \"Kiabi\"\nhomepage = \"https://www.kiabi.com/\"\n");
        write(dir.path(), "notes.txt", "not a shop");
        let registry = Registry::load(dir.path()).unwrap();
        assert_eq!(registry.len(), 1);
        assert_eq!(registry.get("kiabi").unwrap().spec.name, "Kiabi");
        assert!(registry.get("fnac").unwrap_err().to_string().contains("known: kiabi"));
    }
}
