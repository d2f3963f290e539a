//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// `GET /healthz` — the process is up and serving.
pub async fn show_health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz` — ready for traffic: the database answers.
pub async fn show_readiness(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let ready = match state.pool.get().await {
        Ok(conn) => conn.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if ready {
        (StatusCode::OK, Json(json!({"status": "ok"})))
    } else {
        tracing::warn!("database unreachable; not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": "unreachable"})),
        )
    }
}
