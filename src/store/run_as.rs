//! Which operating-system user runs the PostgreSQL programs.
//!
//! `initdb`, `pg_ctl` and `postgres` refuse to run as root, because a database server holding root's powers is a
//! needless risk. When dealcast itself runs as root it therefore runs them as the `postgres` system user (the
//! Debian packages create it), switching user in the child process the way `sudo -u postgres` would, without
//! needing sudo. Files the server must own (its data directory) are handed to that user.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Gid, Uid, User};

/// The system user a PostgreSQL server runs as when dealcast runs as root.
pub const SERVER_USER: &str = "postgres";

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
    /// is unaffected: `pg_ctl` starts it in a session of its own.)
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir("/");
        die_with_parent(&mut command);
        if let Some((uid, gid)) = self.switch_to {
            // std drops root's supplementary groups when it sets the user id.
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }

    /// Gives `path` to this user (a no-op when no user switch happens).
    pub fn hand_over(&self, path: &Path) -> Result<(), RunAsError> {
        let Some((uid, gid)) = self.switch_to else {
            return Ok(());
        };
        nix::unistd::chown(path, Some(uid), Some(gid)).map_err(|source| RunAsError::Chown {
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
