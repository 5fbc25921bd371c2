//! Which operating-system user runs the PostgreSQL programs.
//!
//! `initdb`, `pg_ctl` and `postgres` refuse to run as root, because a database server holding root's powers is a
//! needless risk. When dealcast itself runs as root it therefore runs them as the `postgres` system user (the
//! Debian packages create it), switching user in the child process the way `sudo -u postgres` would, without
//! needing sudo. Files the server must own (its data directory) are handed to that user.
//!
//! The programs get a clean environment: only what finds programs and libraries, the locale and the time zone. The
//! server keeps its environment for as long as it runs, readable in `/proc/<pid>/environ` by the server user, and
//! dealcast's own holds secrets (X OAuth keys, `DATABASE_URL`, the admin password's hash).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Gid, Uid, User};

/// The system user a PostgreSQL server runs as when dealcast runs as root.
pub const SERVER_USER: &str = "postgres";

/// The variables of dealcast's environment that PostgreSQL's programs are given (with every `LC_*`): what finds
/// programs and libraries, the locale `initdb` records, and the time zone the server reports in.
const KEPT_VARIABLES: [&str; 6] = ["PATH", "LD_LIBRARY_PATH", "LANG", "LANGUAGE", "TZ", "TZDIR"];

/// Whether PostgreSQL's programs are given the variable `name` of dealcast's environment.
pub fn is_kept_for_postgres(name: &str) -> bool {
    KEPT_VARIABLES.contains(&name) || name.starts_with("LC_")
}

/// The user PostgreSQL programs run as: the current one, or `postgres` when dealcast is root.
#[derive(Debug, Clone)]
pub struct RunAs {
    switch_to: Option<(Uid, Gid)>,
    name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RunAsError {
    #[error(
        "dealcast is running as root, and PostgreSQL refuses to run as root, so dealcast runs it as the `{SERVER_USER}` \
         system user; but this machine has no `{SERVER_USER}` user. Create it (`adduser --system --group \
         {SERVER_USER}`; installing the `postgresql` package does this), or run dealcast as an ordinary user, or set \
         DATABASE_URL to use an existing server."
    )]
    NoServerUser,

    #[error("Could not look up the system user `{SERVER_USER}`: {0}")]
    Lookup(#[source] nix::Error),

    #[error("Could not give {path} to the `{user}` user: {source}")]
    Chown {
        path: String,
        user: String,
        #[source]
        source: nix::Error,
    },
}

impl RunAs {
    /// The current user, or `postgres` when the current user is root.
    pub fn for_server() -> Result<Self, RunAsError> {
        if !Uid::effective().is_root() {
            let name = User::from_uid(Uid::effective())
                .ok()
                .flatten()
                .map(|user| user.name)
                .unwrap_or_else(|| Uid::effective().to_string());
            return Ok(RunAs { switch_to: None, name });
        }
        let user = User::from_name(SERVER_USER).map_err(RunAsError::Lookup)?.ok_or(RunAsError::NoServerUser)?;
        Ok(RunAs { switch_to: Some((user.uid, user.gid)), name: user.name })
    }

    /// True when programs run as another user than dealcast's own.
    pub fn switches_user(&self) -> bool {
        self.switch_to.is_some()
    }

    /// The name of the user the programs run as.
    pub fn user_name(&self) -> &str {
        &self.name
    }

    /// A command for `program` that runs as this user, from `/` (a directory every user may enter; the caller's
    /// working directory may be closed to the server user), and that dies with dealcast: an `initdb` orphaned by a
    /// killed dealcast must not go on writing into a directory the next dealcast is cleaning up. (The server itself
    /// is unaffected: `pg_ctl` starts it in a session of its own.) Its environment holds only the variables
    /// [`is_kept_for_postgres`] keeps.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        command.envs(std::env::vars_os().filter(|(name, _)| name.to_str().is_some_and(is_kept_for_postgres)));
        command.current_dir("/");
        die_with_parent(&mut command);
        if let Some((uid, gid)) = self.switch_to {
            // std drops root's supplementary groups when it sets the user id.
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }

    /// The user id the programs run as.
    pub fn server_uid(&self) -> Uid {
        self.switch_to.map_or_else(Uid::effective, |(uid, _)| uid)
    }

    /// Gives the open `file` (at `path`) to this user, by its descriptor: a path could be swapped for a link between
    /// the check and the chown (a no-op when no user switch happens).
    pub fn hand_over_file(&self, file: &std::fs::File, path: &Path) -> Result<(), RunAsError> {
        self.give(path, |uid, gid| nix::unistd::fchown(file, Some(uid), Some(gid)))
    }

    /// Gives `path` to this user (a no-op when no user switch happens).
    pub fn hand_over(&self, path: &Path) -> Result<(), RunAsError> {
        self.give(path, |uid, gid| nix::unistd::chown(path, Some(uid), Some(gid)))
    }

    fn give(&self, path: &Path, chown: impl FnOnce(Uid, Gid) -> nix::Result<()>) -> Result<(), RunAsError> {
        let Some((uid, gid)) = self.switch_to else {
            return Ok(());
        };
        chown(uid, gid).map_err(|source| RunAsError::Chown {
            path: path.display().to_string(),
            user: self.name.clone(),
            source,
        })
    }
}

/// Asks the kernel to kill the child when the thread that spawned it dies (Linux; elsewhere a no-op).
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).map_err(std::io::Error::from)?;
            // The parent may have died before the request took effect.
            if nix::unistd::getppid().as_raw() as u32 != parent {
                return Err(std::io::Error::other("dealcast exited before the command started"));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_the_locale_and_time_zone_but_no_secret() {
        for kept in ["PATH", "LANG", "LC_ALL", "LC_MESSAGES", "TZ"] {
            assert!(is_kept_for_postgres(kept), "{kept}");
        }
        for dropped in ["DATABASE_URL", "DEALCAST_ADMIN_PASSWORD_HASH", "DEALCAST_MAIN_CONSUMER_SECRET", "PGPASSWORD"] {
            assert!(!is_kept_for_postgres(dropped), "{dropped}");
        }
    }
}
