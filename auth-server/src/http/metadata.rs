//! `GET /.well-known/oauth-authorization-server` (RFC 8414).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use crate::oauth::rules::REGISTRABLE_GRANTS;

/// `GET /.well-known/oauth-authorization-server` — RFC 8414 §2: where the
/// endpoints are and what they accept.
pub async fn show_metadata(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.config.issuer();
    let client_auth = ["client_secret_basic", "client_secret_post"];
    // Public clients authenticate with nothing but their id, and PKCE.
    let token_auth = ["client_secret_basic", "client_secret_post", "none"];
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/v2/auth"),
        "token_endpoint": format!("{issuer}/oauth/v2/token"),
        "token_endpoint_auth_methods_supported": token_auth,
        "introspection_endpoint": format!("{issuer}/oauth/v2/introspect"),
        "introspection_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint": format!("{issuer}/oauth/v2/revoke"),
        "revocation_endpoint_auth_methods_supported": client_auth,
        "grant_types_supported": REGISTRABLE_GRANTS,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        // RFC 9207: every authorization response names its issuer.
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": [],
    }))
}
