//! The web pages in real headless Chromium, driven through chromedriver:
//! sign-in, consent and the developer page at auth-server, the OAuth2
//! authorization-code flow with PKCE end to end, and api-server's public
//! page of a shared entry. auth-server and api-server run in-process as in
//! the HTTP tests; a tiny app on another loopback port plays the OAuth
//! client that receives the redirect.
//!
//! Needs chromedriver and Chromium (`CHROMEDRIVER` and `CHROME_BIN`, else
//! PATH): deploy/test.sh provides both. Screenshots of the key pages land in
//! `SCREENSHOT_DIR`, else `screenshots/` in the target folder.

// A failed unwrap is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "browser/flow.rs"]
mod flow;
#[path = "browser/harness.rs"]
mod harness;

#[path = "browser/authorize.rs"]
mod authorize;
#[path = "browser/developer.rs"]
mod developer;
#[path = "browser/share.rs"]
mod share;
