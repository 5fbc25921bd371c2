//! Finding the PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`) that run the private cluster.
//!
//! dealcast never bundles PostgreSQL: it uses the server binaries the system already has. They are looked for in
//! an explicit directory when one is configured, otherwise on `PATH` and then under `/usr/lib/postgresql/<major>/bin`
//! (Debian and Ubuntu install them there, off `PATH`), newest major first. When a cluster already exists, the binaries
//! of its major version are preferred, because a server refuses a data directory of another major version.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg::run_as::RunAs;

/// The programs a private cluster needs, all from one directory.
pub const REQUIRED_PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// The oldest PostgreSQL major version dealcast's schema is written for.
pub const MIN_MAJOR: u32 = 14;

/// Where Debian and Ubuntu put each installed major version (`/usr/lib/postgresql/15/bin`, ...).
pub const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// One directory holding a complete set of PostgreSQL server programs, and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    /// The directory holding `initdb`, `pg_ctl` and `postgres`.
    pub dir: PathBuf,
    /// The major version (15 for 15.18).
    pub major: u32,
    /// The full version string printed by `postgres --version`, such as `15.18`.
    pub version: String,
}

/// Why no usable server programs were found.
#[derive(Debug, thiserror::Error)]
pub enum BinariesError {
    #[error(
        "PostgreSQL server program `{program}` was not found ({searched}). dealcast runs its own private \
         PostgreSQL cluster from the installed server binaries when DATABASE_URL is not set. Install them with \
         `apt-get install postgresql` (Debian/Ubuntu), `dnf install postgresql-server` (Fedora) or \
         `brew install postgresql` (macOS), or point dealcast at them with --pg-bin-dir / DEALCAST_PG_BIN_DIR, \
         or set DATABASE_URL to use an existing PostgreSQL server."
    )]
    Missing { program: &'static str, searched: String },

    #[error(
        "The private cluster was created by PostgreSQL {cluster_major}, but only PostgreSQL {found} server binaries \
         were found. A PostgreSQL server cannot open a data directory of another major version. Install \
         PostgreSQL {cluster_major} (`apt-get install postgresql-{cluster_major}`), or upgrade the cluster with \
         `pg_upgrade`, or move the data directory aside to start a new, empty one."
    )]
    OtherMajor { cluster_major: u32, found: String },

    #[error(
        "The PostgreSQL server binaries in {dir} are version {version}; dealcast needs PostgreSQL {MIN_MAJOR} or \
         newer. Install a newer one (`apt-get install postgresql`) or set DATABASE_URL to a newer server."
    )]
    TooOld { dir: PathBuf, version: String },

    #[error("Could not run {program} to read its version: {source}")]
    Version {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{program} printed a version dealcast cannot read: {printed:?}")]
    UnreadableVersion { program: PathBuf, printed: String },
}

impl PgBinaries {
    /// Path of one of the server programs in this set.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Finds the server programs on this machine.
    ///
    /// `explicit_dir` (from `--pg-bin-dir`) is the only place looked at when given. `wanted_major` is the major
    /// version of an existing cluster, whose binaries are then required.
    pub fn discover(
        explicit_dir: Option<&Path>,
        wanted_major: Option<u32>,
        run_as: &RunAs,
    ) -> Result<Self, BinariesError> {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let candidates = match explicit_dir {
            Some(dir) => vec![dir.to_path_buf()],
            None => candidate_dirs(&path_var, Path::new(DEBIAN_ROOT)),
        };
        let searched = match explicit_dir {
            Some(dir) => format!("looked in {}", dir.display()),
            None => format!("looked on PATH and in {DEBIAN_ROOT}/*/bin"),
        };
        let complete = complete_sets(&candidates, &searched)?;

        let mut found = Vec::new();
        for dir in complete {
            let (major, version) = read_version(&dir, run_as)?;
            let binaries = PgBinaries { dir, major, version };
            match wanted_major {
                Some(wanted) if wanted == binaries.major => return Ok(binaries),
                Some(_) => found.push(binaries),
                None if binaries.major < MIN_MAJOR => {
                    return Err(BinariesError::TooOld { dir: binaries.dir, version: binaries.version });
                }
                None => return Ok(binaries),
            }
        }
        let cluster_major = wanted_major.unwrap_or_default();
        let mut majors: Vec<String> = found.iter().map(|b| b.major.to_string()).collect();
        majors.dedup();
        Err(BinariesError::OtherMajor { cluster_major, found: majors.join(", ") })
    }
}

/// Directories that may hold server programs, in the order they are preferred: each `PATH` entry holding an
/// `initdb` (resolved through symbolic links, so `/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb`
/// counts as the latter directory), then `<debian_root>/<major>/bin`, newest major first.
pub fn candidate_dirs(path_var: &OsStr, debian_root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in std::env::split_paths(path_var) {
        let initdb = entry.join("initdb");
        if initdb.is_file() {
            let dir = std::fs::canonicalize(&initdb)
                .ok()
                .and_then(|real| real.parent().map(Path::to_path_buf))
                .unwrap_or(entry);
            push_unique(&mut dirs, dir);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(debian_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    for (_, dir) in versioned {
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        push_unique(&mut dirs, dir);
    }
    dirs
}

fn push_unique(dirs: &mut Vec<PathBuf>, dir: PathBuf) {
    if !dirs.contains(&dir) {
        dirs.push(dir);
    }
}

/// Keeps the candidate directories holding every required program; when none does, names the first program
/// missing from the most complete candidate (or `initdb` when there is no candidate at all).
pub fn complete_sets(candidates: &[PathBuf], searched: &str) -> Result<Vec<PathBuf>, BinariesError> {
    let complete: Vec<PathBuf> = candidates
        .iter()
        .filter(|dir| REQUIRED_PROGRAMS.iter().all(|program| dir.join(program).is_file()))
        .cloned()
        .collect();
    if !complete.is_empty() {
        return Ok(complete);
    }
    let program = candidates
        .iter()
        .filter_map(|dir| REQUIRED_PROGRAMS.iter().find(|program| !dir.join(program).is_file()))
        .find(|program| **program != "initdb")
        .copied()
        .unwrap_or("initdb");
    let searched = match candidates.first() {
        Some(dir) if program != "initdb" => format!("{searched}; {} has no `{program}`", dir.display()),
        _ => searched.to_string(),
    };
    Err(BinariesError::Missing { program, searched })
}

/// Runs `postgres --version` (as the user that will run the server) and reads the major version.
fn read_version(dir: &Path, run_as: &RunAs) -> Result<(u32, String), BinariesError> {
    let program = dir.join("postgres");
    let output = run_as
        .command(&program)
        .arg("--version")
        .output()
        .map_err(|source| BinariesError::Version { program: program.clone(), source })?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_string();
    parse_version(&printed).ok_or(BinariesError::UnreadableVersion { program, printed })
}

/// Reads `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` as `(15, "15.18")`.
pub fn parse_version(printed: &str) -> Option<(u32, String)> {
    let version = printed.split(')').nth(1)?.split_whitespace().next()?;
    let major = version.split(['.', 'b', 'r', 'd']).next()?.parse::<u32>().ok()?;
    Some((major, version.to_string()))
}

/// Runs a command and folds its output into one string, for error messages.
pub fn output_text(command: &mut Command) -> std::io::Result<(bool, String)> {
    let output = command.output()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_printed_by_postgres_are_read() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some((15, "15.18".to_string()))
        );
        assert_eq!(parse_version("postgres (PostgreSQL) 17beta2"), Some((17, "17beta2".to_string())));
        assert_eq!(parse_version("postgres (PostgreSQL) 9.6.24"), Some((9, "9.6.24".to_string())));
        assert_eq!(parse_version("something else"), None);
    }

    #[test]
    fn a_machine_without_binaries_names_initdb_and_the_install_command() {
        let empty = std::env::temp_dir().join(format!("dealcast-nobin-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let candidates = candidate_dirs(empty.as_os_str(), &empty.join("no-such-root"));
        assert!(candidates.is_empty());
        let error = complete_sets(&candidates, "looked on PATH").unwrap_err().to_string();
        assert!(error.contains("`initdb` was not found"), "{error}");
        assert!(error.contains("apt-get install postgresql"), "{error}");
        std::fs::remove_dir_all(&empty).unwrap();
    }

    #[test]
    fn a_directory_missing_pg_ctl_names_pg_ctl() {
        let dir = std::env::temp_dir().join(format!("dealcast-halfbin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("initdb"), "").unwrap();
        std::fs::write(dir.join("postgres"), "").unwrap();
        let error = complete_sets(std::slice::from_ref(&dir), "looked in it").unwrap_err().to_string();
        assert!(error.contains("`pg_ctl` was not found"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn versioned_debian_directories_come_newest_first_after_path() {
        let root = std::env::temp_dir().join(format!("dealcast-debroot-{}", std::process::id()));
        for major in ["13", "16", "9"] {
            std::fs::create_dir_all(root.join(major).join("bin")).unwrap();
        }
        let dirs = candidate_dirs(OsStr::new(""), &root);
        let majors: Vec<String> =
            dirs.iter().map(|d| d.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(majors, ["16", "13", "9"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
