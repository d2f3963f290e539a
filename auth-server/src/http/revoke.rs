//! `POST /oauth/v2/revoke` (RFC 7009).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::error::{OAuthError, no_store};
use super::params::OAuthParams;
use super::{AppState, authenticated_client};
use crate::oauth::opaque;
use crate::store::token::TokenKind;

/// `POST /oauth/v2/revoke` — RFC 7009 §2. The client that holds the token
/// authenticates; revoking a refresh token revokes its whole family and the
/// access tokens it issued. An unknown token is a success (§2.2): the
/// client's goal, a token that no longer works, is met.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: OAuthParams,
) -> Result<Response, OAuthError> {
    let client = authenticated_client(&state, &headers, &params).await?;
    let token = params.get("token").ok_or(OAuthError::bad_request(
        "invalid_request",
        "The token parameter is required",
    ))?;

    let hash = opaque::digest(token);
    let Some(identity) = state.tokens.find_identity(&hash).await? else {
        return Ok(no_store(StatusCode::OK, ()));
    };
    // §2.1: a client may revoke only tokens issued to it.
    if identity.client_id != client.client_id {
        return Err(OAuthError::bad_request(
            "unauthorized_client",
            "The token was issued to another client",
        ));
    }

    match (identity.kind, identity.family_id) {
        (TokenKind::Refresh, Some(family_id)) => state.tokens.revoke_family(family_id).await?,
        _ => state.tokens.revoke_access(&hash).await?,
    }
    tracing::info!(token = %opaque::log_id(token), kind = ?identity.kind, "revoked");
    Ok(no_store(StatusCode::OK, ()))
}
