//! `GET /api/config`: the caller's reading settings.

use axum::Json;
use axum::extract::State;

use super::error::ApiError;
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};
use crate::store::config::{ConfigStore, UserConfig};

/// `GET /api/config` — wallabag-api.md §5.5 and §4.6: the settings, null
/// keys omitted, `reading_speed` a float.
#[utoipa::path(
    get,
    path = "/api/config",
    tag = "user",
    responses(
        (status = 200, body = UserConfig),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn show_config(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<UserConfig>, ApiError> {
    let config = ConfigStore::new(state.pool.clone())
        .find_or_create(user.id)
        .await?;
    Ok(Json(config))
}
