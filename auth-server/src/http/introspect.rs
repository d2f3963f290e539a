//! `POST /oauth/v2/introspect` (RFC 7662) for resource servers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use shared::introspection::{ActiveToken, IntrospectionResponse, TokenUser};

use super::AppState;
use super::error::{OAuthError, no_store};
use super::params::{ClientCredentials, OAuthParams};
use crate::oauth::opaque;

/// `POST /oauth/v2/introspect` — RFC 7662 §2. Only clients registered to
/// introspect may ask (§4: the endpoint must not be an oracle for anyone
/// holding a token); an access token that is unknown, expired, revoked or
/// belongs to a disabled user, and any refresh token, is `{"active":false}`.
pub async fn introspect_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: OAuthParams,
) -> Result<Response, OAuthError> {
    let credentials =
        ClientCredentials::from_request(&headers, &params).ok_or(OAuthError::Unauthenticated)?;
    let token = params.get("token").unwrap_or_default();

    // One round trip finds both the caller and the token; nothing about the
    // token is used until the caller is verified.
    let found = state
        .tokens
        .introspect(&credentials.client_id, &opaque::digest(token))
        .await?
        .ok_or(OAuthError::Unauthenticated)?;
    let caller_ok = match (&found.caller_secret_hash, credentials.secret.as_deref()) {
        (Some(stored), Some(presented)) => opaque::matches(stored, presented),
        _ => false,
    };
    if !(caller_ok && found.caller_can_introspect) {
        return Err(OAuthError::Unauthenticated);
    }
    if token.is_empty() {
        return Err(OAuthError::bad_request(
            "invalid_request",
            "The token parameter is required",
        ));
    }

    let answer = match found.token {
        Some(access) => IntrospectionResponse::active(ActiveToken {
            scope: access.scope,
            username: access.user.as_ref().map(|u| u.username.clone()),
            sub: access
                .user
                .as_ref()
                .map_or_else(|| access.client_id.clone(), |u| u.id.to_string()),
            client_id: access.client_id,
            exp: access.expires_at.timestamp(),
            iat: access.created_at.timestamp(),
            token_type: "bearer".to_owned(),
            user: access.user.map(|u| TokenUser {
                id: u.id,
                email: u.email,
                name: u.name,
                created_at: u.created_at.to_rfc3339(),
                updated_at: u.updated_at.to_rfc3339(),
            }),
        }),
        None => IntrospectionResponse::inactive(),
    };
    tracing::debug!(token = %opaque::log_id(token), active = answer.active, "introspected");
    Ok(no_store(StatusCode::OK, Json(answer)))
}
