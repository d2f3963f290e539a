//! api-server over real HTTP, with a real auth-server beside it and real
//! Postgres behind both.

// A failed unwrap is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http/auth.rs"]
mod auth;
#[path = "http/entries_access.rs"]
mod entries_access;
#[path = "http/entries_change.rs"]
mod entries_change;
#[path = "http/entries_create.rs"]
mod entries_create;
#[path = "http/entries_list.rs"]
mod entries_list;
#[path = "http/entries_read.rs"]
mod entries_read;
#[path = "http/entries_support.rs"]
mod entries_support;

#[path = "http/annotations.rs"]
mod annotations;
#[path = "http/batch.rs"]
mod batch;
#[path = "http/config.rs"]
mod config;
#[path = "http/doc.rs"]
mod doc;
#[path = "http/export.rs"]
mod export;
#[path = "http/registration.rs"]
mod registration;
#[path = "http/search.rs"]
mod search;
#[path = "http/share.rs"]
mod share;
#[path = "http/tags.rs"]
mod tags;
