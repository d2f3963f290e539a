//! The api-server binary: read configuration, start telemetry, dispatch.

use api_server::config::Config;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "api-server", version, about = "wallabag-compatible API server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load()?;
    shared::telemetry::init(config.log_format, "info");

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => api_server::run(config).await,
        Command::Migrate => {
            let pool = api_server::connect(&config)?;
            api_server::store::migrate(&pool).await
        }
    }
}
