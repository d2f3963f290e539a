//! The service's own description and the caller's account:
//! `/api/version`, `/api/info`, `/api/user` (and signing up with `PUT`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::ApiError;
use super::params::Body;
use super::wire;
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};

/// The wallabag API version this server implements. Clients refuse servers
/// older than 2.1.1 and expect `X.Y.Z` (wallabag-api.md §11.12).
pub const WALLABAG_API_VERSION: &str = "2.6.14";

/// `GET /api/version` — §5.1: a bare JSON string, no token needed.
#[utoipa::path(
    get,
    path = "/api/version",
    tag = "info",
    responses(
        (status = 200,
            description = "The wallabag API version implemented",
            body = String, example = json!("2.6.14")),
    ),
    security(()),
)]
pub async fn show_version() -> Json<&'static str> {
    Json(WALLABAG_API_VERSION)
}

/// §4.7: `appname` is always `wallabag`.
#[derive(Serialize, ToSchema)]
pub struct InfoResponse {
    appname: &'static str,
    version: &'static str,
    allowed_registration: bool,
}

/// `GET /api/info` — §5.2 and §4.7, no token needed.
#[utoipa::path(
    get,
    path = "/api/info",
    tag = "info",
    responses(
        (status = 200, body = InfoResponse),
    ),
    security(()),
)]
pub async fn show_info(State(state): State<AppState>) -> Json<InfoResponse> {
    Json(InfoResponse {
        appname: "wallabag",
        version: WALLABAG_API_VERSION,
        allowed_registration: state.config.registration_enabled,
    })
}

/// §4.5, keys in wallabag's order; `name` omitted when unset.
#[derive(Serialize, ToSchema)]
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
#[utoipa::path(
    get,
    path = "/api/user",
    tag = "user",
    responses(
        (status = 200, body = UserResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
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

/// `PUT /api/user` — §5.4: sign up, without a token, when registration is
/// enabled. The user and their default client are created by auth-server,
/// which owns users; the client may use the password and refresh grants, so
/// the app that signed the user up can log them in.
#[utoipa::path(
    put,
    path = "/api/user",
    tag = "user",
    request_body(
        description = "The new account",
        content(
            (Object = "application/x-www-form-urlencoded"),
            (Object = "application/json", example = json!({
                "username": "alice",
                "password": "correct horse",
                "email": "alice@example.org",
                "client_name": "My app",
            })),
        ),
    ),
    responses(
        (status = 201,
            description = "The user; `default_client` holds `client_id` and `client_secret`"),
        (status = 400, description = "`{\"error\": {field: [messages]}}`"),
        (status = 403,
            description = "Registration is off: \
                           `{\"error\": \"Server doesn't allow registrations\"}`"),
    ),
    security(()),
)]
pub async fn register_user(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    if !state.config.registration_enabled {
        return Ok((
            StatusCode::FORBIDDEN,
            Json(json!({"error": "Server doesn't allow registrations"})),
        )
            .into_response());
    }

    let fields = json!({
        "username": body.string("username").unwrap_or_default(),
        "email": body.string("email").unwrap_or_default(),
        "password": body.string("password").unwrap_or_default(),
        "client_name": body.non_empty("client_name").unwrap_or_else(|| "Default client".into()),
    });
    let answer = state
        .auth_server
        .register_user(&fields)
        .await
        .map_err(|err| {
            tracing::warn!(cause = %err, "auth-server unreachable; cannot register");
            ApiError::AuthUnavailable
        })?;

    match answer.status.as_u16() {
        201 => {
            let user = &answer.body["user"];
            let client = &answer.body["client"];
            let date = |key: &str| user[key].as_str().and_then(wire::date_from_rfc3339);
            let mut created = json!({
                "id": user["id"],
                "username": user["username"],
                "email": user["email"],
                "created_at": date("created_at"),
                "updated_at": date("updated_at"),
                "default_client": {
                    "client_secret": client["client_secret"],
                    "client_id": client["client_id"],
                    "name": client["name"],
                },
            });
            if let Some(name) = user["name"].as_str() {
                created["name"] = json!(name);
            }
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        400 => Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({"error": answer.body["fields"]})),
        )
            .into_response()),
        status => Err(ApiError::internal(format!(
            "auth-server refused the registration with {status}: does this server's client \
             have --register?"
        ))),
    }
}
