//! The OAuth2 engine: oxide-auth's primitives implemented over Postgres,
//! named for their roles, and the protocol rules they apply.
//!
//! oxide-auth drives the authorization-code flow (with PKCE) and the
//! refresh grant; the password and client-credentials grants, which it lacks, mint
//! through the same `PgIssuer` and authenticate through the same
//! `PgRegistrar`, so every grant shares one token store and one set of rules.

pub mod code;
pub mod issuer;
pub mod opaque;
pub mod registrar;
pub mod rules;

pub use code::{CodeOutcome, PgAuthorizer};
pub use issuer::{PgIssuer, RefreshOutcome};
pub use registrar::PgRegistrar;

use oxide_auth::primitives::scope::Scope;

/// The scope of every grant: none are defined, as in wallabag.
pub fn empty_scope() -> Scope {
    "".parse()
        .expect("the empty string is a valid, empty scope")
}
