//! The HTTP plumbing every request of both servers goes through: a request
//! id, one tracing span per request, and graceful shutdown.
//!
//! The span records the matched route, never the raw URI: a token sent in a
//! query string (`?access_token=...`) must not reach a log line.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Response};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::{Span, field};

/// The header carrying the request id, set when the client did not send one.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps a router in the request-id, tracing and metrics layers.
pub fn instrument(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("<unmatched>", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                method = %request.method(),
                route,
                request_id,
                status = field::Empty,
                latency_ms = field::Empty,
            )
        })
        .on_request(())
        .on_response(|response: &Response<_>, latency: Duration, span: &Span| {
            span.record("status", response.status().as_u16());
            span.record("latency_ms", latency.as_secs_f64() * 1000.0);
            tracing::info!("served");
        })
        .on_failure(());

    // Layers run outside in: the id is set before the span reads it, and
    // copied onto the response after.
    router
        .layer(axum::middleware::from_fn(crate::metrics::record_request))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Serves until Ctrl-C or SIGTERM, then stops accepting and lets in-flight
/// requests finish. Handlers can read the peer address (`ConnectInfo`).
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    serve_until(listener, router, shutdown_signal()).await
}

/// `serve`, with the moment to stop given by `shutdown`: a server with
/// responses that never finish by themselves (an event stream) ends them
/// there, or graceful shutdown would wait for them forever.
pub async fn serve_until(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(cause = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(cause = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
