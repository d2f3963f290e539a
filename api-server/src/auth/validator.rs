//! Token validation with an in-process cache of introspection answers.
//!
//! The cache is keyed by the token's SHA-256, never the token itself. An
//! active answer lives until the token's `exp` or `TOKEN_CACHE_TTL`,
//! whichever is sooner, and a hit never extends it; an inactive answer lives
//! `INACTIVE_TOKEN_CACHE_TTL`. Concurrent misses for one token share one
//! introspection call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use moka::Expiry;
use sha2::{Digest, Sha256};
use shared::introspection::{IntrospectionResponse, TokenUser};

use super::introspection::{AuthServerClient, IntrospectionError};

/// The user a valid token acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a token is worth, as cached.
#[derive(Clone, Debug)]
pub enum Validation {
    Active {
        user: Arc<CurrentUser>,
        exp: i64,
    },
    /// Unknown, revoked, expired, or a token acting for no user.
    Inactive,
}

/// Why a token was refused, for the 401's description (§2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Invalid,
    Expired,
}

/// A token's SHA-256: what its answer is cached under, and what
/// auth-server names it by when it is revoked.
pub type Key = [u8; 32];

#[derive(Clone)]
pub struct TokenValidator {
    auth_server: AuthServerClient,
    hits: metrics::Counter,
    misses: metrics::Counter,
    answers: moka::future::Cache<Key, Validation>,
    /// Expiry times of tokens seen active, kept after their answers expire:
    /// RFC 7662 says nothing about an inactive token, yet wallabag clients
    /// refresh only when told the token "expired" (wallabag-api.md §11.2).
    seen_expiries: moka::sync::Cache<Key, i64>,
    /// Counts the revocations told (`forget`, `forget_all`): an answer
    /// fetched while one arrived may predate it, so it is not kept.
    revocations: Arc<AtomicU64>,
}

struct AnswerExpiry {
    ceiling: Duration,
    inactive: Duration,
}

impl Expiry<Key, Validation> for AnswerExpiry {
    fn expire_after_create(
        &self,
        _key: &Key,
        value: &Validation,
        _at: Instant,
    ) -> Option<Duration> {
        Some(match value {
            Validation::Active { exp, .. } => {
                let left = u64::try_from(exp - Utc::now().timestamp()).unwrap_or(0);
                Duration::from_secs(left).min(self.ceiling)
            }
            Validation::Inactive => self.inactive,
        })
    }
}

impl TokenValidator {
    pub fn new(auth_server: AuthServerClient, ceiling: Duration, inactive: Duration) -> Self {
        let answers = moka::future::Cache::builder()
            .max_capacity(100_000)
            .expire_after(AnswerExpiry { ceiling, inactive })
            .build();
        let seen_expiries = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(7 * 24 * 3600))
            .build();
        Self {
            auth_server,
            // Registered once: looking a labelled counter up on every
            // request would cost more than the cache hit it counts.
            hits: metrics::counter!("token_cache_lookups_total", "result" => "hit"),
            misses: metrics::counter!("token_cache_lookups_total", "result" => "miss"),
            answers,
            seen_expiries,
            revocations: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The user a token acts for, or why it is refused. `Err` means
    /// auth-server could not be asked: the caller answers 503, never 401.
    pub async fn validate(
        &self,
        token: &str,
    ) -> Result<Result<Arc<CurrentUser>, Refusal>, Arc<IntrospectionError>> {
        let key: Key = Sha256::digest(token.as_bytes()).into();
        let revocations = self.revocations.load(Ordering::Acquire);
        let mut missed = false;
        let validation = self
            .answers
            .try_get_with(key, async {
                missed = true;
                let answer = self.auth_server.introspect(token).await?;
                Ok::<_, IntrospectionError>(validation_of(answer))
            })
            .await?;
        if missed {
            self.misses.increment(1);
            // A revocation told while auth-server was being asked may be
            // this token's, and the answer from before it: this request
            // raced the revocation, but the next one asks again.
            if self.revocations.load(Ordering::Acquire) != revocations {
                self.answers.invalidate(&key).await;
            }
        } else {
            self.hits.increment(1);
        }
        tracing::debug!(cache = if missed { "miss" } else { "hit" }, "token checked");

        match validation {
            Validation::Active { user, exp } => {
                // Recorded when fetched; a hit has nothing new to record.
                if missed {
                    self.seen_expiries.insert(key, exp);
                }
                Ok(Ok(user))
            }
            Validation::Inactive => {
                let expired = self
                    .seen_expiries
                    .get(&key)
                    .is_some_and(|exp| Utc::now().timestamp() > exp);
                Ok(Err(if expired {
                    Refusal::Expired
                } else {
                    Refusal::Invalid
                }))
            }
        }
    }

    /// Drops the cached answer for one token, named by its digest: auth-server
    /// said it was revoked (`auth::revocation`).
    pub async fn forget(&self, key: &Key) {
        self.revocations.fetch_add(1, Ordering::AcqRel);
        self.answers.invalidate(key).await;
    }

    /// Drops every cached answer, when revocations may have gone untold.
    pub fn forget_all(&self) {
        self.revocations.fetch_add(1, Ordering::AcqRel);
        self.answers.invalidate_all();
    }
}

/// Only a token acting for a user opens the API; a client's own token
/// (client credentials) has no entries.
fn validation_of(answer: IntrospectionResponse) -> Validation {
    let Some(token) = answer.token.filter(|_| answer.active) else {
        return Validation::Inactive;
    };
    match (token.user, token.username) {
        (
            Some(TokenUser {
                id,
                email,
                name,
                created_at,
                updated_at,
            }),
            Some(username),
        ) => Validation::Active {
            user: Arc::new(CurrentUser {
                id,
                username,
                email,
                name,
                created_at,
                updated_at,
            }),
            exp: token.exp,
        },
        _ => Validation::Inactive,
    }
}
