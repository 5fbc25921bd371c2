//! The private PostgreSQL cluster dealcast starts by itself when no `DATABASE_URL` is given.
//!
//! A new user should get from a fresh clone to a working store with nothing to set up, so dealcast keeps a
//! PostgreSQL cluster in its data directory (`<data-dir>/pg`), created with `initdb` on first use and started with
//! `pg_ctl`. It listens on a Unix socket inside that directory (mode 0700, so only its owner can connect, with
//! `trust` authentication) and on no TCP port.
//!
//! Several dealcast processes may share one data directory. Two files coordinate them, with `flock` locks that the
//! kernel releases when a process dies, so a `kill -9` never leaves a lock behind:
//! - `cluster.lock` (exclusive, held briefly) serialises creating, starting and stopping the cluster;
//! - `cluster.users.lock` is held *shared* by every process using the cluster, for its lifetime.
//!
//! A command that finds the cluster stopped starts it and leaves a marker (`cluster.autostarted`). When a process
//! lets go of the cluster and the marker is there, it stops the cluster if it can take `cluster.users.lock`
//! exclusively, that is if no other process still uses it. So the cluster is stopped by the last of the processes
//! that needed it, even when the one that started it was killed. `dealcast db start` removes the marker: a cluster
//! started on purpose keeps running until `dealcast db stop`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use sqlx::postgres::PgConnectOptions;

use crate::pg::pg_binaries::{BinariesError, PgBinaries, output_text};
use crate::pg::run_as::{RunAs, RunAsError};
use crate::pg::safe_files::{self, Access, SafeFileError};

/// The name of the cluster directory inside the data directory.
pub const CLUSTER_DIR: &str = "pg";
/// The superuser `initdb` creates; dealcast connects as it over the private socket.
pub const SUPERUSER: &str = "dealcast";
/// The database dealcast's data lives in.
pub const DATABASE: &str = "dealcast";
/// The port number only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
pub const SOCKET_PORT: u16 = 5432;
/// A Unix socket path holds at most 107 bytes (108 with its terminating NUL).
/// How long a command waits for a server another process is starting.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

const MAX_SOCKET_PATH: usize = 107;

const CONTROL_LOCK: &str = "cluster.lock";
const USERS_LOCK: &str = "cluster.users.lock";
const AUTOSTARTED_MARKER: &str = "cluster.autostarted";
const INITDB_STAGING: &str = "initdb-in-progress";
const RUNTIME_CONF: &str = "dealcast.conf";
/// Where clusters live whose data directory the server user cannot enter (see `LocalCluster::relocated_dir`).
pub const RELOCATION_ROOT: &str = "/var/lib/dealcast/clusters";
const SERVER_LOG: &str = "server.log";

/// How the cluster trades safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit reaches the disk: the default for real data.
    Durable,
    /// `fsync` off: for test clusters whose data can be lost in a power cut without harm.
    Disposable,
}

/// What goes wrong while preparing, starting or stopping the private cluster. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Binaries(#[from] BinariesError),

    #[error(transparent)]
    RunAs(#[from] RunAsError),

    #[error(transparent)]
    UnsafeFile(#[from] SafeFileError),

    #[error(
        "The data directory {path} belongs to user id {owner}, and dealcast runs as root: it does not write as root \
         into a directory another user controls (a link planted there could make it overwrite any file). Give the \
         directory to root (`chown root: {path}`), choose another --data-dir, or run dealcast as that user."
    )]
    DataDirOwner { path: PathBuf, owner: u32 },

    #[error(
        "The data directory {path} cannot be used ({source}). dealcast keeps its private PostgreSQL cluster there. \
         Choose a writable directory with --data-dir or DEALCAST_DATA_DIR, fix the directory's permissions, or set \
         DATABASE_URL to use an existing PostgreSQL server."
    )]
    DataDirUnusable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "dealcast runs as root, so it runs PostgreSQL as the `{user}` user, who cannot enter {blocked} and so cannot \
         reach the data directory {data_dir}. Choose a data directory `{user}` can reach (for example \
         --data-dir /var/lib/dealcast), or let it through with `setfacl -m u:{user}:x {blocked}` (or \
         `chmod o+x {blocked}`), or run dealcast as an ordinary user, or set DATABASE_URL."
    )]
    ServerUserCannotEnter { user: String, blocked: PathBuf, data_dir: PathBuf },

    #[error(
        "The data directory path is too long for PostgreSQL's Unix socket: {socket} is {length} bytes, and a socket \
         path holds at most {MAX_SOCKET_PATH}. Choose a shorter --data-dir (or DEALCAST_DATA_DIR)."
    )]
    SocketPathTooLong { socket: PathBuf, length: usize },

    #[error(
        "Another PostgreSQL server (PID {pid}) is using the socket {socket}, so the private cluster in {pgdata} \
         cannot start on it. Stop that server, or give this cluster its own data directory with --data-dir."
    )]
    SocketInUse { pid: i32, socket: PathBuf, pgdata: PathBuf },

    #[error(
        "{path} exists but is not a PostgreSQL data directory (it has no PG_VERSION file). Move it aside so that \
         dealcast can create its cluster there, or choose another --data-dir."
    )]
    NotACluster { path: PathBuf },

    #[error(
        "initdb could not create the cluster in {pgdata}. It said:\n{output}\nFix the cause above, or set \
         DATABASE_URL to use an existing PostgreSQL server."
    )]
    InitdbFailed { pgdata: PathBuf, output: String },

    #[error(
        "The private PostgreSQL cluster in {pgdata} did not start. The server log ({log}) ends with:\n{log_tail}\n\
         {pg_ctl_output}"
    )]
    StartFailed { pgdata: PathBuf, log: PathBuf, log_tail: String, pg_ctl_output: String },

    #[error("The private PostgreSQL cluster in {pgdata} did not stop. pg_ctl said:\n{output}")]
    StopFailed { pgdata: PathBuf, output: String },

    #[error("Could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError {
    let path = path.to_path_buf();
    move |source| ClusterError::Io { action, path, source }
}

/// A private PostgreSQL cluster in a data directory (which may not exist yet).
#[derive(Debug, Clone)]
pub struct LocalCluster {
    data_dir: PathBuf,
    /// `<data-dir>/pg`: the cluster itself, or a symbolic link to it when it had to live elsewhere.
    link: PathBuf,
    pg_bin_dir: Option<PathBuf>,
    durability: Durability,
    run_as: RunAs,
}

/// What `dealcast db status` reports about the private cluster.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    pub data_dir: PathBuf,
    pub pgdata: PathBuf,
    /// The major version that created the cluster, when it exists.
    pub cluster_major: Option<u32>,
    /// The postmaster's process id, when it runs.
    pub running_pid: Option<i32>,
    /// True when the cluster was started by a command that needed it (and will stop with its last user).
    pub autostarted: bool,
    /// The server programs that would run it, or why none would.
    pub binaries: Result<PgBinaries, String>,
}

/// Whether `start` found the cluster already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    Started,
    AlreadyRunning,
}

impl LocalCluster {
    /// Describes the cluster of `data_dir` (made absolute, so the socket path does not depend on where a command
    /// runs). Nothing is created yet.
    pub fn new(data_dir: &Path, pg_bin_dir: Option<&Path>, durability: Durability) -> Result<Self, ClusterError> {
        let data_dir = std::path::absolute(data_dir).map_err(io_error("resolve", data_dir))?;
        let link = data_dir.join(CLUSTER_DIR);
        Ok(LocalCluster {
            data_dir,
            link,
            pg_bin_dir: pg_bin_dir.map(Path::to_path_buf),
            durability,
            run_as: RunAs::for_server()?,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The PostgreSQL data directory, which is also the socket directory: `<data-dir>/pg`, or where that link
    /// points when the cluster had to live elsewhere (see [`RELOCATION_ROOT`]).
    pub fn pgdata(&self) -> PathBuf {
        match std::fs::read_link(&self.link) {
            Ok(target) => self.data_dir.join(target),
            Err(_) => self.link.clone(),
        }
    }

    /// How to connect to `database` over the private socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new_without_pgpass()
            .socket(self.pgdata())
            .port(SOCKET_PORT)
            .username(SUPERUSER)
            .database(database)
            .application_name("dealcast")
    }

    /// A connection URL for `psql`, other PostgreSQL tools and sqlx. The `host` parameter (the socket directory)
    /// wins over the `localhost` before it, which is there only because URL parsers refuse an empty host.
    pub fn url(&self, database: &str) -> String {
        const PATH_SAFE: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.');
        let host = percent_encoding::utf8_percent_encode(&self.pgdata().to_string_lossy(), PATH_SAFE).to_string();
        format!("postgresql://{SUPERUSER}@localhost/{database}?host={host}&port={SOCKET_PORT}")
    }

    /// Makes sure the cluster exists and runs, and registers this process as one of its users until the lease is
    /// dropped. A cluster this call had to start is stopped by its last user.
    pub fn acquire(&self) -> Result<ClusterLease, ClusterError> {
        let _control = self.lock_control()?;
        let binaries = self.ensure_initialized()?;
        let users = self.open_lock_file(USERS_LOCK)?;
        users.lock_shared().map_err(io_error("lock", &self.data_dir.join(USERS_LOCK)))?;
        // A server found running may still be starting (its starter killed while waiting for it): wait until it
        // accepts connections, or until it is gone and must be started again.
        if self.running_pid()?.is_some() && !self.wait_until_ready()? {
            tracing::info!("the server found starting went away; starting it again");
        }
        if self.running_pid()?.is_none() {
            // The marker goes first: a process killed while the server starts must still leave it behind, or the
            // server it started would run on with nobody to stop it.
            let marker = self.data_dir.join(AUTOSTARTED_MARKER);
            safe_files::open(&marker, Access::Keep, &[nix::unistd::Uid::effective()])?;
            if let Err(error) = self.start_server(&binaries) {
                self.remove_autostarted_marker()?;
                return Err(error);
            }
            tracing::info!(pgdata = %self.pgdata().display(), "started the private PostgreSQL cluster");
        }
        Ok(ClusterLease { cluster: self.clone(), users: Some(users) })
    }

    /// True when the cluster's postmaster runs (a `postmaster.pid` left by a dead server is removed on the way).
    pub fn is_running(&self) -> Result<bool, ClusterError> {
        Ok(self.running_pid()?.is_some())
    }

    /// Starts the server again after it went away (killed, crashed) while this process held a lease, under the
    /// same control lock as a first start: of several processes that notice at once, the first starts it and the
    /// others find it running. PostgreSQL's own crash recovery replays the write-ahead log as it starts. The
    /// autostart marker is left as it was, so whoever was to stop the cluster still does. Returns whether this call
    /// started it.
    pub fn revive(&self) -> Result<bool, ClusterError> {
        let _control = self.lock_control()?;
        let binaries = self.ensure_initialized()?;
        if self.running_pid()?.is_some() && self.wait_until_ready()? {
            return Ok(false);
        }
        self.start_server(&binaries)?;
        Ok(true)
    }

    /// The running postmaster's PID, if the cluster runs (a stale `postmaster.pid` is removed on the way).
    pub fn postmaster_pid(&self) -> Result<Option<i32>, ClusterError> {
        self.running_pid()
    }

    /// Stops and starts again the server `pid`, which runs and says it is ready but refuses connections (its
    /// socket removed, say), under the same control lock as a first start. Nothing is done when another process
    /// restarted it meanwhile (another postmaster runs) or when the server is starting or stopping (its
    /// `postmaster.pid` says so): then it is not refusing, it is busy. Returns whether this call restarted it.
    pub fn restart_refusing(&self, pid: i32) -> Result<bool, ClusterError> {
        let _control = self.lock_control()?;
        let binaries = self.ensure_initialized()?;
        match self.running_pid()? {
            Some(running) if running != pid => return Ok(false),
            Some(_) => {
                let pid_file = self.pgdata().join("postmaster.pid");
                let contents = std::fs::read_to_string(&pid_file).unwrap_or_default();
                if contents.lines().nth(7).map(str::trim) != Some("ready") {
                    return Ok(false);
                }
                self.stop_server()?;
            }
            None => {}
        }
        self.start_server(&binaries)?;
        Ok(true)
    }

    /// Starts the cluster on purpose (`dealcast db start`): it then keeps running until [`LocalCluster::stop`].
    pub fn start(&self) -> Result<StartOutcome, ClusterError> {
        let _control = self.lock_control()?;
        let binaries = self.ensure_initialized()?;
        let outcome = if self.running_pid()?.is_some() {
            StartOutcome::AlreadyRunning
        } else {
            self.start_server(&binaries)?;
            StartOutcome::Started
        };
        self.remove_autostarted_marker()?;
        Ok(outcome)
    }

    /// Stops the cluster if it runs (`dealcast db stop`); connected clients are disconnected. Returns whether it
    /// was running.
    pub fn stop(&self) -> Result<bool, ClusterError> {
        let _control = self.lock_control()?;
        let was_running = self.stop_server()?;
        self.remove_autostarted_marker()?;
        Ok(was_running)
    }

    /// Reports on the cluster without changing anything.
    pub fn status(&self) -> Result<ClusterStatus, ClusterError> {
        let cluster_major = self.cluster_major()?;
        let running_pid = if cluster_major.is_some() { self.running_pid()? } else { None };
        let binaries =
            PgBinaries::discover(self.pg_bin_dir.as_deref(), cluster_major, &self.run_as).map_err(|e| e.to_string());
        Ok(ClusterStatus {
            data_dir: self.data_dir.clone(),
            pgdata: self.pgdata(),
            cluster_major,
            running_pid,
            autostarted: self.data_dir.join(AUTOSTARTED_MARKER).exists(),
            binaries,
        })
    }

    /// Creates the data directory if needed and takes the exclusive control lock.
    fn lock_control(&self) -> Result<File, ClusterError> {
        if !self.data_dir.is_dir() {
            // Only the server user needs to pass through: 0711 lets it reach the cluster without listing the rest.
            let mode = if self.run_as.switches_user() { 0o711 } else { 0o700 };
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(&self.data_dir)
                .map_err(|source| ClusterError::DataDirUnusable { path: self.data_dir.clone(), source })?;
        }
        self.check_data_dir_owner()?;
        let control = self.open_lock_file(CONTROL_LOCK)?;
        control.lock().map_err(io_error("lock", &self.data_dir.join(CONTROL_LOCK)))?;
        Ok(control)
    }

    /// As root, refuses a data directory another user owns: the files dealcast writes there must not be
    /// replaceable by anyone else.
    fn check_data_dir_owner(&self) -> Result<(), ClusterError> {
        use std::os::unix::fs::MetadataExt;
        if !nix::unistd::Uid::effective().is_root() {
            return Ok(());
        }
        let metadata = std::fs::metadata(&self.data_dir)
            .map_err(|source| ClusterError::DataDirUnusable { path: self.data_dir.clone(), source })?;
        match metadata.uid() {
            0 => Ok(()),
            owner => Err(ClusterError::DataDirOwner { path: self.data_dir.clone(), owner }),
        }
    }

    fn open_lock_file(&self, name: &str) -> Result<File, ClusterError> {
        let path = self.data_dir.join(name);
        safe_files::open(&path, Access::Keep, &[nix::unistd::Uid::effective()]).map_err(|error| match error {
            SafeFileError::Io { source, .. } => ClusterError::DataDirUnusable { path: self.data_dir.clone(), source },
            unsafe_file => ClusterError::UnsafeFile(unsafe_file),
        })
    }

    /// Who may own the files dealcast writes in the cluster directory: the server user, or dealcast itself.
    fn cluster_file_owners(&self) -> [nix::unistd::Uid; 2] {
        [self.run_as.server_uid(), nix::unistd::Uid::effective()]
    }

    fn remove_autostarted_marker(&self) -> Result<(), ClusterError> {
        let marker = self.data_dir.join(AUTOSTARTED_MARKER);
        match std::fs::remove_file(&marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", &marker)(e)),
            _ => Ok(()),
        }
    }

    /// The major version recorded in `PG_VERSION`, or `None` when there is no cluster yet.
    fn cluster_major(&self) -> Result<Option<u32>, ClusterError> {
        let version_file = self.pgdata().join("PG_VERSION");
        match std::fs::read_to_string(&version_file) {
            Ok(text) => Ok(text.trim().parse::<u32>().ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ClusterError::DataDirUnusable { path: self.pgdata(), source: e }),
        }
    }

    /// Creates the cluster if it does not exist, and returns the binaries that run it. Must hold the control lock.
    ///
    /// `initdb` writes into a staging directory renamed into place only when it succeeded, so a process killed
    /// half-way leaves nothing that looks like a cluster; the next one clears the staging directory and starts over.
    fn ensure_initialized(&self) -> Result<PgBinaries, ClusterError> {
        if let Some(major) = self.cluster_major()? {
            self.check_server_user_can_enter(&self.pgdata())?;
            return Ok(PgBinaries::discover(self.pg_bin_dir.as_deref(), Some(major), &self.run_as)?);
        }
        if self.link.exists() {
            let empty = std::fs::read_dir(&self.link).map_err(io_error("read", &self.link))?.next().is_none();
            if !empty {
                return Err(ClusterError::NotACluster { path: self.link.clone() });
            }
            std::fs::remove_dir(&self.link).map_err(io_error("remove", &self.link))?;
        }
        let target = match self.first_blocked_dir(&self.data_dir) {
            None => self.link.clone(),
            Some(_) => self.relocated_dir()?,
        };
        if target != self.link && target.join("PG_VERSION").is_file() {
            // Created elsewhere by a process killed before it could link it.
            return self.link_relocated(&target).and_then(|()| self.ensure_initialized());
        }
        let binaries = PgBinaries::discover(self.pg_bin_dir.as_deref(), None, &self.run_as)?;
        // A staging directory of this process's own: the helpers of an initdb orphaned by a killed dealcast may
        // still be writing into theirs for a moment. Those left from earlier attempts are cleared when they can be.
        let target_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let staging_prefix = format!("{target_name}.{INITDB_STAGING}-");
        let parent = target.parent().unwrap_or(Path::new("/"));
        for entry in std::fs::read_dir(parent).map_err(io_error("read", parent))?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&staging_prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let staging = parent.join(format!("{staging_prefix}{}", std::process::id()));
        let fresh_staging = || -> Result<(), ClusterError> {
            if staging.exists() {
                std::fs::remove_dir_all(&staging).map_err(io_error("remove", &staging))?;
            }
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&staging)
                .map_err(|source| ClusterError::DataDirUnusable { path: self.data_dir.clone(), source })?;
            Ok(self.run_as.hand_over(&staging)?)
        };
        fresh_staging()?;
        let mut output = self.run_initdb(&binaries, &staging, "C.UTF-8")?;
        if !output.0 && output.1.contains("locale") {
            // A system without the C.UTF-8 locale: fall back to plain C (byte semantics for case folding).
            fresh_staging()?;
            output = self.run_initdb(&binaries, &staging, "C")?;
        }
        if !output.0 {
            return Err(ClusterError::InitdbFailed { pgdata: target, output: output.1 });
        }
        // initdb ran as the server user, who could have left a link in place of the file.
        let conf = staging.join("postgresql.conf");
        let text = format!(
            "\n# dealcast writes {RUNTIME_CONF} at each start (socket location and tuning); \
             settings below this line override it.\ninclude_if_exists = '{RUNTIME_CONF}'\n"
        );
        safe_files::write(&conf, Access::Append, &self.cluster_file_owners(), &text)?;
        std::fs::rename(&staging, &target).map_err(io_error("rename", &staging))?;
        if target != self.link {
            self.link_relocated(&target)?;
        }
        tracing::info!(pgdata = %target.display(), version = %binaries.version, "created the private PostgreSQL cluster");
        Ok(binaries)
    }

    fn run_initdb(&self, binaries: &PgBinaries, dir: &Path, locale: &str) -> Result<(bool, String), ClusterError> {
        let mut command = self.run_as.command(&binaries.program("initdb"));
        command
            .arg("--pgdata")
            .arg(dir)
            .args(["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8"])
            .arg(format!("--locale={locale}"))
            // Byte-order collation: stable across glibc upgrades, so indexes never need rebuilding.
            .arg("--lc-collate=C")
            .arg("--no-instructions");
        if self.durability == Durability::Disposable {
            command.arg("--no-sync");
        }
        output_text(&mut command).map_err(io_error("run", &binaries.program("initdb")))
    }

    /// Where a cluster goes when the server user cannot reach the data directory (dealcast runs as root, and the
    /// data directory is under `/root`, say): a directory of its own under [`RELOCATION_ROOT`], named after the
    /// data directory, that `<data-dir>/pg` then links to. Root's directories keep their permissions.
    fn relocated_dir(&self) -> Result<PathBuf, ClusterError> {
        let root = Path::new(RELOCATION_ROOT);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(root)
            .map_err(|source| ClusterError::DataDirUnusable { path: root.to_path_buf(), source })?;
        if let Some(blocked) = self.first_blocked_dir(root) {
            return Err(ClusterError::ServerUserCannotEnter {
                user: self.run_as.user_name().to_string(),
                blocked,
                data_dir: self.data_dir.clone(),
            });
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&self.data_dir, &mut hasher);
        let parent_name = self
            .data_dir
            .parent()
            .and_then(Path::file_name)
            .map(|name| name.to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect())
            .unwrap_or_else(|| "root".to_string());
        Ok(root.join(format!("{parent_name}-{:08x}", std::hash::Hasher::finish(&hasher) as u32)))
    }

    fn link_relocated(&self, target: &Path) -> Result<(), ClusterError> {
        std::os::unix::fs::symlink(target, &self.link).map_err(io_error("link", &self.link))?;
        tracing::info!(
            pgdata = %target.display(),
            link = %self.link.display(),
            "the `postgres` user cannot enter the data directory, so the cluster lives outside it"
        );
        Ok(())
    }

    /// When PostgreSQL runs as another user, checks that it can enter `dir`, naming the first directory on the
    /// way that stops it.
    fn check_server_user_can_enter(&self, dir: &Path) -> Result<(), ClusterError> {
        match self.first_blocked_dir(dir) {
            None => Ok(()),
            Some(blocked) => Err(ClusterError::ServerUserCannotEnter {
                user: self.run_as.user_name().to_string(),
                blocked,
                data_dir: self.data_dir.clone(),
            }),
        }
    }

    /// The first directory on the way to `dir` (or `dir` itself) that the server user cannot enter, if any.
    fn first_blocked_dir(&self, dir: &Path) -> Option<PathBuf> {
        if !self.run_as.switches_user() {
            return None;
        }
        let can_enter = |dir: &Path| {
            self.run_as
                .command(Path::new("test"))
                .arg("-x")
                .arg(dir)
                .status()
                .map(|status| status.success())
                .unwrap_or(true)
        };
        // The directories that do not exist yet will be created by dealcast, enterable.
        let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(Path::new("/"));
        if can_enter(existing) {
            return None;
        }
        let mut ancestors: Vec<&Path> = existing.ancestors().collect();
        ancestors.reverse();
        Some(ancestors.into_iter().find(|d| !can_enter(d)).unwrap_or(existing).to_path_buf())
    }

    /// The postmaster's PID when the cluster runs. A `postmaster.pid` left by a server that died (or whose PID now
    /// belongs to another program) is stale: it is removed, so it cannot block the next start.
    fn running_pid(&self) -> Result<Option<i32>, ClusterError> {
        let pid_file = self.pgdata().join("postmaster.pid");
        let Some(pid) = read_pid(&pid_file) else {
            return Ok(None);
        };
        if is_live_postgres(pid) {
            return Ok(Some(pid));
        }
        tracing::info!(pid, "removing a stale postmaster.pid left by a server that is gone");
        match std::fs::remove_file(&pid_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", &pid_file)(e)),
            _ => Ok(None),
        }
    }

    /// Waits (up to [`READY_WAIT`]) until the running server says it is ready in its `postmaster.pid` (the
    /// status line PostgreSQL keeps there: starting, ready, stopping). False when the server went away meanwhile.
    fn wait_until_ready(&self) -> Result<bool, ClusterError> {
        let pid_file = self.pgdata().join("postmaster.pid");
        let deadline = std::time::Instant::now() + READY_WAIT;
        loop {
            let Ok(contents) = std::fs::read_to_string(&pid_file) else { return Ok(false) };
            let status = contents.lines().nth(7).map(str::trim).unwrap_or("");
            if status == "ready" || std::time::Instant::now() >= deadline {
                return Ok(true);
            }
            if self.running_pid()?.is_none() {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn socket_path(&self) -> PathBuf {
        self.pgdata().join(format!(".s.PGSQL.{SOCKET_PORT}"))
    }

    /// Starts the server and waits until it accepts connections. Must hold the control lock.
    fn start_server(&self, binaries: &PgBinaries) -> Result<(), ClusterError> {
        let socket = self.socket_path();
        let length = socket.as_os_str().len();
        if length > MAX_SOCKET_PATH {
            return Err(ClusterError::SocketPathTooLong { socket, length });
        }
        // A socket lock file names the server holding the socket. A live PostgreSQL is a real conflict; anything
        // else is left over from a crash (no server of this cluster runs: we checked, under the control lock).
        let socket_lock = self.pgdata().join(format!(".s.PGSQL.{SOCKET_PORT}.lock"));
        if let Some(pid) = read_pid(&socket_lock) {
            if is_live_postgres(pid) {
                return Err(ClusterError::SocketInUse { pid, socket, pgdata: self.pgdata() });
            }
            let _ = std::fs::remove_file(&socket_lock);
        }
        self.write_runtime_conf()?;

        let log = self.pgdata().join(SERVER_LOG);
        let log_start = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let mut command = self.run_as.command(&binaries.program("pg_ctl"));
        command.arg("start").arg("--pgdata").arg(self.pgdata()).arg("--log").arg(&log).args([
            "--wait",
            "--timeout",
            "120",
            "--silent",
        ]);
        let (ok, pg_ctl_output) = output_text(&mut command).map_err(io_error("run", &binaries.program("pg_ctl")))?;
        if ok {
            return Ok(());
        }
        let log_tail = read_from(&log, log_start);
        if log_tail.contains("is another postmaster") || log_tail.contains("could not create lock file") {
            let pid = read_pid(&socket_lock).unwrap_or_default();
            return Err(ClusterError::SocketInUse { pid, socket, pgdata: self.pgdata() });
        }
        Err(ClusterError::StartFailed { pgdata: self.pgdata(), log, log_tail, pg_ctl_output })
    }

    /// Writes the settings that make the cluster private: no TCP, a socket only its owner can open, inside the
    /// cluster directory (rewritten at each start, so a moved data directory still works).
    fn write_runtime_conf(&self) -> Result<(), ClusterError> {
        let socket_dir = self.pgdata().to_string_lossy().replace('\\', "\\\\").replace('\'', "''");
        let mut conf = format!(
            "# Written by dealcast at each start; edits here are lost. Put your own settings in postgresql.conf.\n\
             listen_addresses = ''\n\
             port = {SOCKET_PORT}\n\
             unix_socket_directories = '{socket_dir}'\n\
             unix_socket_permissions = 0700\n"
        );
        if self.durability == Durability::Disposable {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let path = self.pgdata().join(RUNTIME_CONF);
        let file = safe_files::write(&path, Access::Replace, &self.cluster_file_owners(), &conf)?;
        self.run_as.hand_over_file(&file, &path)?;
        Ok(())
    }

    /// Stops the server if it runs. Must hold the control lock.
    fn stop_server(&self) -> Result<bool, ClusterError> {
        if self.running_pid()?.is_none() {
            return Ok(false);
        }
        let major = self.cluster_major()?;
        let binaries = PgBinaries::discover(self.pg_bin_dir.as_deref(), major, &self.run_as)?;
        let mut command = self.run_as.command(&binaries.program("pg_ctl"));
        command.arg("stop").arg("--pgdata").arg(self.pgdata()).args([
            "--mode",
            "fast",
            "--wait",
            "--timeout",
            "60",
            "--silent",
        ]);
        let (ok, output) = output_text(&mut command).map_err(io_error("run", &binaries.program("pg_ctl")))?;
        if !ok && self.running_pid()?.is_some() {
            return Err(ClusterError::StopFailed { pgdata: self.pgdata(), output });
        }
        tracing::info!(pgdata = %self.pgdata().display(), "stopped the private PostgreSQL cluster");
        Ok(true)
    }

    /// Lets go of the cluster for this process, stopping it when it was started on demand and nobody else uses it.
    fn release(&self, users: File) -> Result<(), ClusterError> {
        let _control = self.lock_control()?;
        drop(users);
        if !self.data_dir.join(AUTOSTARTED_MARKER).exists() {
            return Ok(());
        }
        let exclusive = self.open_lock_file(USERS_LOCK)?;
        if exclusive.try_lock().is_err() {
            return Ok(());
        }
        self.stop_server()?;
        self.remove_autostarted_marker()
    }
}

/// This process's use of the private cluster; dropping it may stop the cluster (see the module documentation).
#[derive(Debug)]
pub struct ClusterLease {
    cluster: LocalCluster,
    users: Option<File>,
}

impl ClusterLease {
    pub fn cluster(&self) -> &LocalCluster {
        &self.cluster
    }

    /// Lets go of the cluster now, reporting a failure to stop it.
    pub fn release(mut self) -> Result<(), ClusterError> {
        match self.users.take() {
            Some(users) => self.cluster.release(users),
            None => Ok(()),
        }
    }
}

impl Drop for ClusterLease {
    fn drop(&mut self) {
        if let Some(users) = self.users.take()
            && let Err(error) = self.cluster.release(users)
        {
            tracing::warn!(%error, "could not let go of the private PostgreSQL cluster");
        }
    }
}

/// The PID on the first line of a PostgreSQL lock file (`postmaster.pid`, `.s.PGSQL.5432.lock`).
fn read_pid(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().next()?.trim().parse::<i32>().ok().filter(|pid| *pid > 0)
}

/// True when `pid` is a running PostgreSQL server process (not a PID reused by another program).
fn is_live_postgres(pid: i32) -> bool {
    let alive = match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    };
    if !alive {
        return false;
    }
    // A zombie (killed, not yet reaped by its parent) answers the signal test but is gone for every purpose here.
    if is_zombie(pid) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.trim_end() == "postgres" || comm.starts_with("postmaster"),
        // No /proc (not Linux): trust the liveness check.
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

/// Whether process `pid` has ended but is not yet reaped by its parent (Linux's `/proc`; false elsewhere). A killed
/// postmaster stays so until init reaps it, which some container inits do only now and then.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, fields)| fields.trim_start().starts_with('Z')))
}

/// The last lines of a log written since `offset`, for an error message.
fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.take(64 * 1024).read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_process_not_yet_reaped_is_a_zombie_and_not_alive() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        assert!(!is_zombie(pid), "running");
        child.kill().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !is_zombie(pid) {
            assert!(std::time::Instant::now() < deadline, "killed but never a zombie");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!is_live_postgres(pid), "a zombie is not a live server");
        child.wait().unwrap();
        assert!(!is_zombie(pid), "reaped: gone");
    }
}
