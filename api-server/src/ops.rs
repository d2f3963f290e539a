//! Operations endpoints: liveness, readiness and Prometheus metrics. They
//! are not under `/api`, so the gateway does not expose them.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::AppState;

/// `GET /healthz` — the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "The process is up", body = Object),
    ),
    security(()),
)]
pub async fn show_health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz` — the database answers and auth-server is reachable.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Database and auth-server reachable", body = Object),
        (status = 503, description = "One of them is not", body = Object),
    ),
    security(()),
)]
pub async fn show_readiness(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match state.pool.get().await {
        Ok(conn) => conn.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    let auth_server = state.auth_server_reachable().await;
    let status = if database && auth_server {
        StatusCode::OK
    } else {
        tracing::warn!(database, auth_server, "not ready");
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    (
        status,
        Json(json!({
            "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
            "database": word(database),
            "auth_server": word(auth_server),
        })),
    )
}

/// `GET /metrics` — Prometheus text format: requests by route and status,
/// token cache hits and misses, introspection latency, pool usage.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
    ),
    security(()),
)]
pub async fn show_metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared::metrics::render(&state.metrics, &state.pool),
    )
}
