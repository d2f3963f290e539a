//! The service's own description and the caller's account:
//! `/api/version`, `/api/info`, `/api/user`.

use axum::Json;
use serde::Serialize;
use serde_json::{Value, json};

use super::wire;
use crate::auth::Authenticated;

/// The wallabag API version this server implements. Clients refuse servers
/// older than 2.1.1 and expect `X.Y.Z` (wallabag-api.md §11.12).
pub const WALLABAG_API_VERSION: &str = "2.6.14";

/// `GET /api/version` — §5.1: a bare JSON string, no token needed.
pub async fn show_version() -> Json<&'static str> {
    Json(WALLABAG_API_VERSION)
}

/// `GET /api/info` — §5.2 and §4.7, no token needed.
pub async fn show_info() -> Json<Value> {
    Json(json!({
        "appname": "wallabag",
        "version": WALLABAG_API_VERSION,
        "allowed_registration": false,
    }))
}

/// §4.5, keys in wallabag's order; `name` omitted when unset.
#[derive(Serialize)]
pub struct UserResponse {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    username: String,
    email: String,
    created_at: Option<String>,
    updated_at: Option<String>,
}

/// `GET /api/user` — §5.3: the token's user, from the introspection answer.
pub async fn show_user(Authenticated(user): Authenticated) -> Json<UserResponse> {
    Json(UserResponse {
        id: user.id,
        name: user.name.clone(),
        username: user.username.clone(),
        email: user.email.clone(),
        created_at: wire::date_from_rfc3339(&user.created_at),
        updated_at: wire::date_from_rfc3339(&user.updated_at),
    })
}
