//! What both servers need and neither owns: configuration loading, telemetry,
//! the database pool, the HTTP plumbing every request goes through, and the
//! introspection wire types that form the contract between auth-server and
//! its resource servers.
//!
//! Nothing here knows about users, clients, tokens or entries; that business
//! logic lives in the server crates.

pub mod config;
pub mod db;
pub mod http;
pub mod introspection;
pub mod metrics;
pub mod telemetry;
pub mod tls;
