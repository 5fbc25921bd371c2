//! `dealcast config`: what configuration dealcast actually runs with.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::{Config, Origin};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (file, environment and flags combined), secrets redacted.
    Show,
}

pub fn run(action: ConfigCommand, config: &Config, origin: &Origin) -> anyhow::Result<ExitCode> {
    match action {
        ConfigCommand::Show => {
            match origin {
                Origin::Defaults => println!("# No configuration file: defaults, with environment and flags applied."),
                Origin::File(path) => {
                    println!("# From {}, with environment and flags applied.", path.display())
                }
            }
            print!("{}", config.to_redacted_toml());
            Ok(ExitCode::SUCCESS)
        }
    }
}
