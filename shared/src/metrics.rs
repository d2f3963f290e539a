//! Prometheus metrics: the process's recorder, per-request counts and
//! latencies, and database pool usage.
//!
//! The `metrics` facade is global by design, so the recorder is installed
//! once per process and every app built in it (tests build many) renders the
//! same registry.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use deadpool_postgres::Pool;
pub use metrics_exporter_prometheus::PrometheusHandle;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

/// Seconds; request latencies on loopback range from tens of microseconds
/// to the seconds of a password hash or an article fetch.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder; installs it on first use. Call before anything
/// registers a metric, or that metric goes nowhere.
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("the bucket list is not empty");
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is already global (not ours); render an
                // empty registry rather than fail the server.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Middleware: counts each request and records its latency, labelled by
/// method, matched route (never the raw path, which may carry a token) and
/// status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();

    let response = next.run(request).await;

    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Renders the registry, with the pool's current usage.
pub fn render(handle: &PrometheusHandle, pool: &Pool) -> String {
    let status = pool.status();
    metrics::gauge!("db_pool_max_connections").set(status.max_size as f64);
    metrics::gauge!("db_pool_connections").set(status.size as f64);
    metrics::gauge!("db_pool_idle_connections").set(status.available as f64);
    metrics::gauge!("db_pool_waiting_requests").set(status.waiting as f64);
    handle.render()
}
