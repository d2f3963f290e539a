//! Liveness and readiness probes, and Prometheus metrics. The gateway routes
//! none of these: they are for the operator's network only.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
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

/// `GET /metrics` — Prometheus text format: requests by route and status,
/// latencies, pool usage.
pub async fn show_metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared::metrics::render(&state.metrics, &state.pool),
    )
}
