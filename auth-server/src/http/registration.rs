//! `POST /internal/users`: self-registration on behalf of a resource server.
//!
//! People sign up through api-server (`PUT /api/user`, wallabag-api.md
//! §5.4), but users belong to auth-server: api-server forwards the sign-up
//! here, authenticated as a client allowed to register. The gateway does not
//! route `/internal/`, so only services on the operator's network reach it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::OAuthError;
use super::params::OAuthParams;
use super::{AppState, authenticated_client};
use crate::store::user::looks_like_email;
use crate::store::{NewClient, NewUser};

const ALREADY_USED: &str = "This value is already used.";

/// `POST /internal/users` — creates an enabled user and a client of their
/// own allowed the password and refresh grants (so the app that signed
/// them up can log them in, unlike wallabag's default client). 201 with
/// both, 400 with messages per field, 401 for a caller not allowed to
/// register.
pub async fn register_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: OAuthParams,
) -> Result<Response, OAuthError> {
    let caller = authenticated_client(&state, &headers, &params).await?;
    if !caller.can_register {
        return Err(OAuthError::Unauthenticated);
    }

    let username = params.get("username").unwrap_or_default().trim();
    let email = params.get("email").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let client_name = params.get("client_name").unwrap_or("Default client");
    let mut errors = field_errors(username, email, password);
    if !errors.is_empty() {
        return Ok(invalid(errors));
    }

    let password_hash = state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(OAuthError::internal)?;
    let grants = ["password".to_owned(), "refresh_token".to_owned()];
    let registered = state
        .users
        .register(
            &NewUser {
                username,
                email,
                name: params.get("name"),
                password_hash: &password_hash,
            },
            &NewClient {
                name: client_name,
                grants: &grants,
                redirect_uris: &[],
                can_introspect: false,
                can_register: false,
            },
        )
        .await?;
    let (user, client, secret) = match registered {
        Ok(created) => created,
        Err(taken) => {
            if taken.username {
                errors.entry("username").or_default().push(ALREADY_USED);
            }
            if taken.email {
                errors.entry("email").or_default().push(ALREADY_USED);
            }
            return Ok(invalid(errors));
        }
    };

    tracing::info!(user_id = user.id, "user registered");
    let body = json!({
        "user": user,
        "client": {"client_id": client.client_id, "client_secret": secret, "name": client.name},
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The rules of a new account, each failure under its field.
fn field_errors(
    username: &str,
    email: &str,
    password: &str,
) -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut errors: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    if username.is_empty() {
        errors
            .entry("username")
            .or_default()
            .push("This value should not be blank.");
    } else if username.chars().any(char::is_whitespace) || looks_like_email(username) {
        // A username shaped like an address would be looked up by e-mail
        // at log-in, so its owner could never use it.
        errors
            .entry("username")
            .or_default()
            .push("The username must not contain spaces or look like an e-mail address.");
    }
    if !looks_like_email(email) {
        errors
            .entry("email")
            .or_default()
            .push("This value is not a valid email address.");
    }
    if password.chars().count() < 8 {
        errors
            .entry("password")
            .or_default()
            .push("Your password must be at least 8 characters.");
    }
    errors
}

fn invalid(errors: BTreeMap<&'static str, Vec<&'static str>>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": "invalid_request",
            "error_description": "The account cannot be created as given",
            "fields": errors,
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::field_errors;

    #[test]
    fn every_broken_rule_is_reported_under_its_field() {
        let errors = field_errors("", "nope", "short");
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["email", "password", "username"]
        );
        assert!(field_errors("alice", "alice@example.com", "long enough").is_empty());
        assert!(
            field_errors("a@b.co", "alice@example.com", "long enough").contains_key("username")
        );
    }
}
