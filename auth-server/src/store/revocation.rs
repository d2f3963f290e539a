//! Revocations as they happen: one connection per auth-server `LISTEN`s on
//! the channel the `access_tokens` trigger announces on (migration V4), and
//! hands each revoked token's digest to every subscriber of this process.
//! The HTTP stream resource servers follow is `http::revocations`.
//!
//! The listener starts with the first subscriber, so the admin commands and
//! a server nobody follows open no extra connection. A connection lost is
//! opened again, and subscribers are told they may have missed
//! revocations, since PostgreSQL keeps no notification for a listener that
//! was away.

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use shared::config::Secret;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel the trigger of migration V4 notifies.
const CHANNEL: &str = "access_token_revoked";
/// Revocations a slow subscriber may fall behind by before it is told it
/// missed some.
const BACKLOG: usize = 1024;
const RETRY_CEILING: Duration = Duration::from_secs(30);

/// What a subscriber learns, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Listening: every revocation from now on will be told.
    Ready,
    /// This access token (hex SHA-256 digest) was revoked.
    Revoked(String),
    /// Revocations may have gone untold (a lost database connection, or a
    /// subscriber too far behind): whatever was cached may be stale.
    Missed,
}

/// Shared by every request of this process; cheap to clone.
#[derive(Clone)]
pub struct RevocationHub {
    inner: Arc<Inner>,
}

struct Inner {
    database_url: Secret,
    started: AtomicBool,
    events: broadcast::Sender<Notice>,
    /// True while the listener's `LISTEN` is in force.
    listening: watch::Sender<bool>,
    /// True once the server is shutting down: every subscription ends.
    closed: watch::Sender<bool>,
}

impl RevocationHub {
    pub fn new(database_url: Secret) -> Self {
        Self {
            inner: Arc::new(Inner {
                database_url,
                started: AtomicBool::new(false),
                events: broadcast::channel(BACKLOG).0,
                listening: watch::channel(false).0,
                closed: watch::channel(false).0,
            }),
        }
    }

    /// A new subscription; the first one starts the listener.
    pub fn subscribe(&self) -> Subscription {
        // Subscribed before anything else, so nothing announced after the
        // `Ready` this subscription reports can slip past it.
        let events = self.inner.events.subscribe();
        if !self.inner.started.swap(true, Ordering::SeqCst) {
            tokio::spawn(listen(Arc::clone(&self.inner)));
        }
        Subscription {
            events,
            listening: self.inner.listening.subscribe(),
            closed: self.inner.closed.subscribe(),
            ready: false,
        }
    }

    /// Ends every subscription, so graceful shutdown is not held up by
    /// streams that would otherwise never finish.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }
}

/// One subscriber's view of the revocations.
pub struct Subscription {
    events: broadcast::Receiver<Notice>,
    listening: watch::Receiver<bool>,
    closed: watch::Receiver<bool>,
    ready: bool,
}

impl Subscription {
    /// The next notice; `None` once the hub is closed. The first is `Ready`,
    /// as soon as the listener is listening.
    pub async fn next(&mut self) -> Option<Notice> {
        let mut closed = self.closed.clone();
        let closing = async move {
            // A dropped sender means the hub is gone: closed too.
            let _ = closed.wait_for(|closed| *closed).await;
        };
        tokio::select! {
            biased;
            () = closing => None,
            notice = self.next_notice() => Some(notice),
        }
    }

    async fn next_notice(&mut self) -> Notice {
        if !self.ready {
            // The sender lives in the hub, which outlives this subscription.
            let _ = self.listening.wait_for(|listening| *listening).await;
            self.ready = true;
            return Notice::Ready;
        }
        match self.events.recv().await {
            Ok(notice) => notice,
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                tracing::warn!(skipped, "a revocation subscriber fell behind");
                Notice::Missed
            }
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// Listens until the process ends, opening the connection again whenever
/// it is lost.
async fn listen(inner: Arc<Inner>) {
    let mut delay = Duration::from_secs(1);
    let mut first = true;
    loop {
        let err = listen_once(&inner, &mut first).await;
        inner.listening.send_replace(false);
        tracing::warn!(
            cause = %err,
            retry_in_secs = delay.as_secs(),
            "not listening for token revocations"
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RETRY_CEILING);
    }
}

/// One connection's worth of listening; returns why it ended.
async fn listen_once(inner: &Inner, first: &mut bool) -> ListenError {
    let (client, mut connection) =
        match tokio_postgres::connect(inner.database_url.expose(), NoTls).await {
            Ok(connected) => connected,
            Err(err) => return err.into(),
        };
    // The connection delivers notifications only while it is polled, and
    // polling it is also what carries the `LISTEN` below.
    let (payloads, mut received) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(notification))) => {
                    let _ = payloads.send(notification.payload().to_owned());
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return Some(err),
                None => return None,
            }
        }
    });

    if let Err(err) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        driver.abort();
        return err.into();
    }
    if !*first {
        // Away for a while: what was revoked meanwhile is lost.
        let _ = inner.events.send(Notice::Missed);
    }
    *first = false;
    inner.listening.send_replace(true);
    tracing::info!("listening for token revocations");

    while let Some(payload) = received.recv().await {
        // Anyone who may use the database can notify the channel too: only
        // what the trigger sends, a hex SHA-256, goes on to subscribers.
        if !is_digest(&payload) {
            tracing::warn!("a notification that names no token was ignored");
            continue;
        }
        tracing::debug!(token = %&payload[..8], "token revoked");
        // No subscriber right now is no error: nothing is cached anywhere.
        let _ = inner.events.send(Notice::Revoked(payload));
    }
    drop(client);
    match driver.await {
        Ok(Some(err)) => err.into(),
        _ => ListenError::Closed,
    }
}

/// Whether a payload is what the trigger writes: 64 lower-case hex digits.
fn is_digest(payload: &str) -> bool {
    payload.len() == 64
        && payload
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a listening connection ended.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
    #[error("the database closed the connection")]
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_digests_are_passed_on() {
        assert!(is_digest(&"0123456789abcdef".repeat(4)));
        assert!(!is_digest(&"0123456789ABCDEF".repeat(4)));
        assert!(!is_digest("abc"));
        assert!(!is_digest(&"é".repeat(32)));
    }

    /// Closing the hub (shutdown) ends a subscription, even one still
    /// waiting for a database that never answers.
    #[tokio::test]
    async fn closing_ends_every_subscription() {
        let hub = RevocationHub::new(Secret::new("postgres://127.0.0.1:1/none"));
        let mut subscription = hub.subscribe();
        hub.close();
        assert_eq!(subscription.next().await, None);
    }
}
