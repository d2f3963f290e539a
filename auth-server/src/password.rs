//! Password hashing with Argon2id, off the async executor.
//!
//! A hash costs tens of milliseconds of CPU by design. Each one runs on the
//! blocking pool, and a semaphore bounds how many run at once, so a burst of
//! log-ins queues here instead of starving the executor threads that serve
//! token checks.

use std::sync::{Arc, LazyLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A hash of a password nobody has, verified when the user is unknown so that
/// a log-in for a missing account takes as long as one with a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_now("not-a-real-password").expect("hashing a literal cannot fail"));

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
        }
    }

    /// Hashes a new password into a PHC string (`$argon2id$...`).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(|e| HashError(e.to_string()))?
    }

    /// Checks a password against a stored hash, or against a dummy hash when
    /// there is none, so timing does not reveal whether an account exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = stored.is_some();
        let outcome = tokio::task::spawn_blocking(move || {
            let hash = stored.as_deref().unwrap_or(DUMMY_HASH.as_str());
            verify_now(&password, hash)
        })
        .await;
        known && outcome.unwrap_or(false)
    }
}

/// Hashes on the current thread; for the admin CLI and the blocking pool.
pub fn hash_now(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

fn verify_now(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let hasher = PasswordHasher::new(1);
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await
        );
        assert!(!hasher.verify("wrong horse".into(), Some(hash)).await);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(!hasher.verify("not-a-real-password".into(), None).await);
    }
}
