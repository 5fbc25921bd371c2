//! Opening the files dealcast writes beside the private cluster without being tricked into writing elsewhere.
//!
//! Run as root, dealcast writes files in directories the `postgres` user controls (the cluster directory:
//! `dealcast.conf`, the staging `postgresql.conf`) and in its data directory (lock and marker files). Whoever runs
//! code as `postgres` could plant a symbolic link there (`dealcast.conf -> /etc/shadow`), and a plain open would
//! make root overwrite or chown its target. So these files are opened with `O_NOFOLLOW` (a link in the last
//! component fails with `ELOOP`), never emptied before their owner is checked on the open file (a hard link to a
//! file of another owner is refused too), and handed over with `fchown` on that same open file, never by path.
//! Written by hand on std's `OpenOptionsExt` because no maintained crate does "open, refuse links, check owner";
//! `nix` (already a dependency) gives `fchown`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::Uid;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Created if missing, emptied (once its owner is checked), written from the start.
    Replace,
    /// An existing file, written at its end.
    Append,
    /// Created if missing, kept as it is (a lock or marker file).
    Keep,
}

/// A file that is not safe to write.
#[derive(Debug, thiserror::Error)]
pub enum SafeFileError {
    #[error(
        "{path} is a symbolic link, and dealcast does not follow links there: in a directory another user may \
         write to, a planted link could make dealcast (running as root) overwrite the file it points to. Remove the \
         link (`rm {path}`) and try again."
    )]
    Symlink { path: PathBuf },

    #[error(
        "{path} belongs to user id {owner}, not to {expected}: dealcast does not write to a file someone else owns \
         there. Remove it, or give it back with chown, and try again."
    )]
    WrongOwner { path: PathBuf, owner: u32, expected: String },

    #[error(
        "{path} is not a plain file of its own (a directory, a device, or a file with other hard links): dealcast \
         does not write to it. Remove it and try again."
    )]
    NotPlain { path: PathBuf },

    #[error("Could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Opens `path` for writing as `access` says, refusing a symbolic link and a file not owned by one of `owners`.
pub fn open(path: &Path, access: Access, owners: &[Uid]) -> Result<File, SafeFileError> {
    let mut options = OpenOptions::new();
    options.write(true).custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC).mode(0o600);
    match access {
        Access::Replace | Access::Keep => options.create(true).truncate(false),
        Access::Append => options.append(true),
    };
    let file = options.open(path).map_err(|source| match source.raw_os_error() {
        Some(nix::libc::ELOOP) => SafeFileError::Symlink { path: path.to_path_buf() },
        _ => SafeFileError::Io { action: "open", path: path.to_path_buf(), source },
    })?;
    let metadata =
        file.metadata().map_err(|source| SafeFileError::Io { action: "inspect", path: path.into(), source })?;
    if !metadata.file_type().is_file() || metadata.nlink() != 1 {
        return Err(SafeFileError::NotPlain { path: path.to_path_buf() });
    }
    if !owners.iter().any(|owner| owner.as_raw() == metadata.uid()) {
        let expected = owners.iter().map(|owner| format!("user id {owner}")).collect::<Vec<_>>().join(" or ");
        return Err(SafeFileError::WrongOwner { path: path.to_path_buf(), owner: metadata.uid(), expected });
    }
    if access == Access::Replace {
        file.set_len(0).map_err(|source| SafeFileError::Io { action: "empty", path: path.into(), source })?;
    }
    Ok(file)
}

/// Writes `contents` to `path` through [`open`] (`Replace` or `Append`).
pub fn write(path: &Path, access: Access, owners: &[Uid], contents: &str) -> Result<File, SafeFileError> {
    use std::io::Write;
    let mut file = open(path, access, owners)?;
    file.write_all(contents.as_bytes()).map_err(|source| SafeFileError::Io {
        action: "write",
        path: path.into(),
        source,
    })?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Vec<Uid> {
        vec![Uid::effective()]
    }

    #[test]
    fn a_planted_link_is_not_followed_and_its_target_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("dealcast.conf");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for access in [Access::Replace, Access::Append, Access::Keep] {
            let error = write(&link, access, &me(), "overwritten").unwrap_err();
            assert!(matches!(error, SafeFileError::Symlink { .. }), "{error}");
            assert!(error.to_string().contains("symbolic link"), "{error}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }

    #[test]
    fn a_hard_link_and_a_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        let hard = dir.path().join("marker");
        std::fs::hard_link(&target, &hard).unwrap();
        let error = write(&hard, Access::Replace, &me(), "x").unwrap_err();
        assert!(matches!(error, SafeFileError::NotPlain { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert!(open(dir.path(), Access::Keep, &me()).is_err());
    }

    #[test]
    fn a_file_of_another_owner_is_refused_before_it_is_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dealcast.conf");
        std::fs::write(&path, "theirs").unwrap();
        let someone_else = Uid::from_raw(Uid::effective().as_raw().wrapping_add(4242));
        let error = write(&path, Access::Replace, &[someone_else], "ours").unwrap_err();
        assert!(matches!(error, SafeFileError::WrongOwner { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
    }

    #[test]
    fn plain_files_are_created_replaced_and_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dealcast.conf");
        write(&path, Access::Replace, &me(), "a much longer first text\n").unwrap();
        write(&path, Access::Replace, &me(), "first\n").unwrap();
        write(&path, Access::Append, &me(), "second\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\nsecond\n");
        open(&dir.path().join("marker"), Access::Keep, &me()).unwrap();
        assert!(dir.path().join("marker").is_file());
    }
}
