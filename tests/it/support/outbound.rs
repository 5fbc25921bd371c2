//! The loopback allowance the tests need: dealcast refuses to fetch from loopback and private addresses unless
//! allowed (`scrape::fetch::address_policy`), and every test shop of this suite listens on 127.0.0.1.
//!
//! In-process fetchers get it through their settings ([`loopback_fetch_settings`]); `dealcast` binaries spawned by
//! a test through the environment ([`allow_loopback`], done by `cli::dealcast()`).

use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use dealcast::scrape::fetch::{FetchSettings, PrivateHostAllowance};

/// The value of `DEALCAST_ALLOW_PRIVATE_HOSTS` that allows loopback.
pub const LOOPBACK_HOSTS: &str = "127.0.0.0/8,::1";

/// The default fetch settings, loopback allowed: `..support::outbound::loopback_fetch_settings()`.
pub fn loopback_fetch_settings() -> FetchSettings {
    FetchSettings { allow_private_hosts: PrivateHostAllowance::loopback(), ..FetchSettings::default() }
}

/// Lets a spawned `dealcast` fetch from loopback.
pub fn allow_loopback(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env(ALLOW_PRIVATE_HOSTS_ENV, LOOPBACK_HOSTS)
}
