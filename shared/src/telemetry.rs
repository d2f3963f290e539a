//! Tracing set-up shared by both servers: `RUST_LOG` filters, `LOG_FORMAT`
//! picks text or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Call once, from `main`.
///
/// `default_filter` applies without `RUST_LOG`: servers pass `info`
/// (lifecycle and one line per request), admin commands `warn`.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Logs go to stderr so that admin commands can print JSON on stdout.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
