//! The auth-server binary: read configuration, start telemetry, dispatch.

use auth_server::cli::{Cli, Command};
use auth_server::config::Config;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load()?;
    let command = cli.command.unwrap_or(Command::Serve);
    let quiet = !matches!(command, Command::Serve | Command::Migrate);
    shared::telemetry::init(config.log_format, if quiet { "warn" } else { "info" });

    match command {
        Command::Serve => auth_server::run(config).await,
        Command::Migrate => {
            let pool = auth_server::connect(&config)?;
            auth_server::store::migrate(&pool).await
        }
        command => auth_server::cli::execute(command, &config).await,
    }
}
