//! Running the `dealcast` binary as a user does, for the tests that drive the command line.

use std::path::Path;
use std::process::{Command, Output};

/// The `dealcast` binary, with nothing inherited from the environment that would point it elsewhere, allowed to
/// fetch from the test's loopback servers.
pub fn dealcast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
    command.env_remove("DATABASE_URL").env_remove("DEALCAST_CONFIG").env_remove("DEALCAST_SCRAPERS_DIR");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    super::outbound::allow_loopback(&mut command);
    command
}

/// `dealcast scrape --dry-run --json --shop loopback` with `shop_file` as `loopback.toml` in a scrapers directory of
/// its own, and no configuration file. Run off the async runtime, so a loopback shop of the test can answer.
pub async fn scrape_dry_run(shop_file: String) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("loopback.toml"), shop_file).unwrap();
    tokio::task::spawn_blocking(move || {
        let scrapers: &Path = dir.path();
        dealcast()
            .arg("--scrapers")
            .arg(scrapers)
            .args(["scrape", "--dry-run", "--json", "--shop", "loopback"])
            .env("DEALCAST_CONFIG", "/dev/null")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}
