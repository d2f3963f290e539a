//! `GET /oauth/v2/revocations`: the revocation stream resource servers
//! follow, so a revoked token stops working at every api-server within
//! moments instead of when its cached introspection answer ends.
//!
//! Server-sent events (the `text/event-stream` format), one per notice of
//! `store::revocation`:
//!
//! - `ready`: following from now on; drop every cached answer, since
//!   revocations before this moment were not told to this subscriber;
//! - `revoked`, data the hex SHA-256 of an access token: drop its answer;
//! - `missed`: revocations may have gone untold; drop every cached answer.
//!
//! A comment line every 15 seconds keeps proxies from timing the stream
//! out and lets the subscriber notice a dead connection.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::error::OAuthError;
use super::params::OAuthParams;
use super::{AppState, authenticated_client};
use crate::store::revocation::Notice;

const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /oauth/v2/revocations` — for the clients allowed to introspect
/// (resource servers), authenticated as at the introspection endpoint;
/// anyone else gets 401, since the stream tells when tokens die.
pub async fn stream_revocations(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: OAuthParams,
) -> Result<Response, OAuthError> {
    let caller = authenticated_client(&state, &headers, &params).await?;
    if !caller.can_introspect {
        return Err(OAuthError::Unauthenticated);
    }
    tracing::info!(client_id = %caller.client_id, "resource server following revocations");

    let subscription = state.revocations.subscribe();
    let events = futures_util::stream::unfold(subscription, |mut subscription| async move {
        let event = match subscription.next().await? {
            // Never empty data: a reader per the HTML standard drops such
            // events.
            Notice::Ready => Event::default().event("ready").data("ready"),
            Notice::Revoked(digest) => Event::default().event("revoked").data(digest),
            Notice::Missed => Event::default().event("missed").data("missed"),
        };
        Some((Ok::<_, Infallible>(event), subscription))
    });

    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // nginx, in front of a scaled-out auth-server, would otherwise buffer
    // the events until its buffer fills.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
