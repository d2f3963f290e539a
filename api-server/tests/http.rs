//! api-server over real HTTP, with a real auth-server beside it and real
//! Postgres behind both.

// A failed unwrap is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http/auth.rs"]
mod auth;
#[path = "http/entries.rs"]
mod entries;
