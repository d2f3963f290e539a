//! Configuration loading: environment variables, optionally layered over a
//! TOML file named by `CONFIG_FILE`.
//!
//! Each server declares its own typed config; this module only knows how to
//! read one and how to keep secrets out of `Debug` output.

use std::fmt;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Reads a server's configuration once, at start-up.
///
/// Keys are the lower-cased environment variable names (`DATABASE_URL` is
/// `database_url`). Environment variables win over the file, so a container
/// can override one setting of a mounted file.
pub fn load<T: DeserializeOwned>() -> Result<T, Box<figment::Error>> {
    let mut figment = Figment::new();
    if let Ok(path) = std::env::var("CONFIG_FILE") {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(Env::raw().ignore(&["CONFIG_FILE"]))
        .extract()
        .map_err(Box::new)
}

/// A configuration value that must never reach a log line.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call it only where the value is used, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `text` for people at a terminal, `json` for log collectors.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
    }
}
