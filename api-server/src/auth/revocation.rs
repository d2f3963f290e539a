//! Following auth-server's revocation stream (`GET /oauth/v2/revocations`):
//! a revoked token's cached introspection answer is dropped as soon as
//! auth-server tells, so it stops working within moments rather than when
//! its answer would have expired. Every answer is dropped when the stream
//! starts (revocations before it were not told to us) and when auth-server
//! says it may have missed some.
//!
//! While the stream is down it is opened again with growing pauses, and
//! the cache ceiling (`TOKEN_CACHE_TTL`) is what bounds how long a revoked
//! token keeps working; a warning says so.

use std::time::Duration;

use tokio::sync::watch;

use super::introspection::{AuthServerClient, IntrospectionError};
use super::validator::{Key, TokenValidator};

const RETRY_CEILING: Duration = Duration::from_secs(30);
/// auth-server sends a keep-alive every 15 s: this long without a byte
/// means the connection is dead, whatever TCP thinks.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// Follows the stream until the process ends. The receiver tells whether
/// it is being followed right now (the `revocation_stream_connected` gauge
/// says the same to operators).
pub fn spawn(auth_server: AuthServerClient, validator: TokenValidator) -> watch::Receiver<bool> {
    let (following, state) = watch::channel(false);
    tokio::spawn(async move {
        let connected = metrics::gauge!("revocation_stream_connected");
        let mut delay = Duration::from_secs(1);
        loop {
            let ended = follow(&auth_server, &validator, &following, &mut delay).await;
            following.send_replace(false);
            connected.set(0.0);
            tracing::warn!(
                cause = %ended,
                retry_in_secs = delay.as_secs(),
                "revocation stream lost: a revoked token works until its cached answer ends"
            );
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_CEILING);
        }
    });
    state
}

/// Why the stream ended.
#[derive(Debug, thiserror::Error)]
enum StreamEnd {
    #[error(transparent)]
    Unreachable(#[from] IntrospectionError),
    #[error("reading the stream failed: {0}")]
    Read(String),
    #[error("auth-server ended the stream")]
    Ended,
    #[error("nothing received for {} s", SILENCE_LIMIT.as_secs())]
    Silent,
}

/// One connection's worth of following; returns why it ended.
async fn follow(
    auth_server: &AuthServerClient,
    validator: &TokenValidator,
    following: &watch::Sender<bool>,
    delay: &mut Duration,
) -> StreamEnd {
    let mut response = match auth_server.follow_revocations().await {
        Ok(response) => response,
        Err(err) => return err.into(),
    };
    let connected = metrics::gauge!("revocation_stream_connected");
    let revoked = metrics::counter!("revocations_received_total");
    let mut parser = EventParser::default();
    loop {
        let chunk = match tokio::time::timeout(SILENCE_LIMIT, response.chunk()).await {
            Err(_) => return StreamEnd::Silent,
            Ok(Err(err)) => return StreamEnd::Read(err.without_url().to_string()),
            Ok(Ok(None)) => return StreamEnd::Ended,
            Ok(Ok(Some(chunk))) => chunk,
        };
        for event in parser.push(&chunk) {
            match event.name.as_str() {
                "ready" => {
                    validator.forget_all();
                    following.send_replace(true);
                    connected.set(1.0);
                    *delay = Duration::from_secs(1);
                    tracing::info!("following auth-server's revocations");
                }
                "revoked" => match parse_digest(&event.data) {
                    Some(key) => {
                        validator.forget(&key).await;
                        revoked.increment(1);
                        tracing::debug!(token = %&event.data[..8], "revoked token forgotten");
                    }
                    None => tracing::warn!("unreadable revocation event ignored"),
                },
                "missed" => {
                    validator.forget_all();
                    tracing::warn!("auth-server may have missed revocations: cache emptied");
                }
                _ => {}
            }
        }
    }
}

/// A token digest as auth-server writes it: 64 hex digits.
fn parse_digest(hex: &str) -> Option<Key> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (byte, pair) in key.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(key)
}

/// One event of a `text/event-stream`.
#[derive(Debug, PartialEq, Eq)]
struct StreamEvent {
    name: String,
    data: String,
}

/// Reads `text/event-stream` (as the HTML standard defines it) from bytes
/// in whatever chunks they arrive: `event` and `data` fields, comments,
/// LF or CRLF line ends. Other fields (`id`, `retry`) are ignored: the
/// stream does not use them.
#[derive(Default)]
struct EventParser {
    pending: Vec<u8>,
    name: String,
    data: Option<String>,
}

impl EventParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);

            if line.is_empty() {
                // A blank line ends an event, if it had any field.
                if let Some(data) = self.data.take() {
                    events.push(StreamEvent {
                        name: std::mem::take(&mut self.name),
                        data,
                    });
                } else {
                    self.name.clear();
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => self.name = value.to_owned(),
                "data" => match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: &str) -> StreamEvent {
        StreamEvent {
            name: name.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn events_are_read_across_chunks_and_line_ends() {
        let mut parser = EventParser::default();
        assert_eq!(
            parser.push(b"event: ready\ndata: \n\n:\n\n"),
            [event("ready", "")]
        );
        assert!(parser.push(b"event: revo").is_empty());
        assert!(parser.push(b"ked\r\ndata:ab").is_empty());
        assert_eq!(parser.push(b"cd\r\n\r\n"), [event("revoked", "abcd")]);
        assert_eq!(
            parser.push(b"data: one\ndata: two\n\n"),
            [event("", "one\ntwo")]
        );
        // A name without data makes no event.
        assert!(parser.push(b"event: missed\n\n").is_empty());
    }

    #[test]
    fn digests_are_64_hex_digits() {
        let hex = "00ff".repeat(16);
        let key = parse_digest(&hex).unwrap();
        assert_eq!((key[0], key[1], key[31]), (0x00, 0xff, 0xff));
        assert_eq!(parse_digest("00ff"), None);
        assert_eq!(parse_digest(&"zz".repeat(32)), None);
    }
}
