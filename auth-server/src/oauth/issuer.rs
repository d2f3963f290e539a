//! `PgIssuer`: mints, recovers and rotates tokens for every grant.
//!
//! One issuer is built per request. It remembers what it found while
//! recovering a refresh token, because oxide-auth reports every refresh
//! failure as a bare `invalid_grant` while wallabag clients expect to be told
//! whether the token was unknown or expired.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use oxide_auth::primitives::grant::{Extensions, Grant};
use oxide_auth::primitives::issuer::{IssuedToken, RefreshedToken, TokenType};
use oxide_auth_async::primitives::Issuer;
use url::Url;

use super::code::TokenFamily;
use super::opaque;
use super::rules::{RefreshCheck, check_refresh};
use crate::store::TokenStore;
use crate::store::token::{NewTokens, Rotation};

pub struct PgIssuer {
    tokens: TokenStore,
    access_ttl: Duration,
    refresh_ttl: Duration,
    /// Placeholder redirect URI for grants that have none (oxide-auth's
    /// `Grant` requires one): the issuer's own URL.
    issuer_url: Url,
    outcome: RefreshOutcome,
}

/// What the last refresh attempt ran into, for the error description.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefreshOutcome {
    #[default]
    Unknown,
    Expired,
    Reused,
    Rotated,
}

impl PgIssuer {
    pub fn new(tokens: TokenStore, access_ttl: u32, refresh_ttl: u32, issuer_url: Url) -> Self {
        Self {
            tokens,
            access_ttl: Duration::seconds(access_ttl.into()),
            refresh_ttl: Duration::seconds(refresh_ttl.into()),
            issuer_url,
            outcome: RefreshOutcome::default(),
        }
    }

    pub fn refresh_outcome(&self) -> RefreshOutcome {
        self.outcome
    }

    /// A grant for the password and client-credentials flows, which have no
    /// redirect URI. An empty `owner_id` means the client acts for itself.
    pub fn grant(&self, client_id: &str, owner_id: Option<i64>) -> Grant {
        Grant {
            owner_id: owner_id.map(|id| id.to_string()).unwrap_or_default(),
            client_id: client_id.to_owned(),
            scope: super::empty_scope(),
            redirect_uri: self.issuer_url.clone(),
            until: Utc::now() + self.access_ttl,
            extensions: Extensions::new(),
        }
    }

    /// Revokes a family after a refresh token came back a second time:
    /// whoever holds the copy, and whatever it was rotated into, is cut off.
    async fn revoke_reused_family(&self, family_id: i64, client_id: &str) {
        tracing::warn!(
            family_id,
            client_id,
            "refresh token reused; revoking its family"
        );
        if let Err(err) = self.tokens.revoke_family(family_id).await {
            tracing::error!(cause = %err, family_id, "cannot revoke a reused token family");
        }
    }

    fn expiry(&self, ttl: Duration) -> DateTime<Utc> {
        Utc::now() + ttl
    }
}

#[async_trait]
impl Issuer for PgIssuer {
    async fn issue(&mut self, grant: Grant) -> Result<IssuedToken, ()> {
        // Only a grant for a user gets a refresh token; a client acting for
        // itself re-authenticates instead (RFC 6749 §4.4.3).
        let user_id = match grant.owner_id.as_str() {
            "" => None,
            id => Some(id.parse::<i64>().map_err(|_| ())?),
        };
        let access = opaque::generate();
        let refresh = user_id.map(|_| opaque::generate());
        let access_expires_at = self.expiry(self.access_ttl);
        let access_hash = opaque::digest(&access);
        let refresh_hash = refresh.as_deref().map(opaque::digest);
        let scope = grant.scope.to_string();

        let stored = self
            .tokens
            .issue(&NewTokens {
                client_id: &grant.client_id,
                user_id,
                scope: &scope,
                access_hash: &access_hash,
                access_expires_at,
                refresh: refresh_hash
                    .as_deref()
                    .map(|hash| (hash, self.expiry(self.refresh_ttl))),
                family_id: TokenFamily::of(&grant),
            })
            .await;
        if let Err(err) = stored {
            tracing::error!(cause = %err, "cannot store issued tokens");
            return Err(());
        }

        Ok(IssuedToken {
            token: access,
            refresh,
            until: access_expires_at,
            token_type: TokenType::Bearer,
        })
    }

    /// Rotates: the presented refresh token stops working and a new pair in
    /// the same family replaces it.
    async fn refresh(&mut self, token: &str, _grant: Grant) -> Result<RefreshedToken, ()> {
        let access = opaque::generate();
        let refresh = opaque::generate();
        let old_hash = opaque::digest(token);
        let access_expires_at = self.expiry(self.access_ttl);

        let rotated = self
            .tokens
            .rotate(&Rotation {
                old_hash: &old_hash,
                access_hash: &opaque::digest(&access),
                access_expires_at,
                refresh_hash: &opaque::digest(&refresh),
                refresh_expires_at: self.expiry(self.refresh_ttl),
            })
            .await;
        match rotated {
            Ok(Some(_family)) => {
                self.outcome = RefreshOutcome::Rotated;
                Ok(RefreshedToken {
                    token: access,
                    refresh: Some(refresh),
                    until: access_expires_at,
                    token_type: TokenType::Bearer,
                })
            }
            // A concurrent request rotated the same token between recovery
            // and now: one of the two is a replay, so treat it as reuse.
            Ok(None) => {
                if let Ok(Some(record)) = self.tokens.find_refresh(&old_hash).await {
                    self.revoke_reused_family(record.family_id, &record.client_id)
                        .await;
                }
                self.outcome = RefreshOutcome::Reused;
                Err(())
            }
            Err(err) => {
                tracing::error!(cause = %err, "cannot rotate a refresh token");
                Err(())
            }
        }
    }

    async fn recover_token(&mut self, token: &str) -> Result<Option<Grant>, ()> {
        let access = self
            .tokens
            .find_active_access(&opaque::digest(token))
            .await
            .map_err(|err| tracing::error!(cause = %err, "cannot look up an access token"))?;
        Ok(access.map(|access| {
            let mut grant = self.grant(&access.client_id, access.user.map(|u| u.id));
            grant.until = access.expires_at;
            grant
        }))
    }

    async fn recover_refresh(&mut self, token: &str) -> Result<Option<Grant>, ()> {
        let record = self
            .tokens
            .find_refresh(&opaque::digest(token))
            .await
            .map_err(|err| tracing::error!(cause = %err, "cannot look up a refresh token"))?;
        let Some(record) = record else {
            self.outcome = RefreshOutcome::Unknown;
            return Ok(None);
        };

        match check_refresh(&record, Utc::now()) {
            RefreshCheck::Reused => {
                self.revoke_reused_family(record.family_id, &record.client_id)
                    .await;
                self.outcome = RefreshOutcome::Reused;
                Ok(None)
            }
            RefreshCheck::Unusable => {
                self.outcome = RefreshOutcome::Unknown;
                Ok(None)
            }
            // Handed back with its real expiry: oxide-auth refuses it, and
            // the outcome tells the endpoint which words to use.
            check @ (RefreshCheck::Expired | RefreshCheck::Usable) => {
                if check == RefreshCheck::Expired {
                    self.outcome = RefreshOutcome::Expired;
                }
                let mut grant = self.grant(&record.client_id, Some(record.user_id));
                grant.scope = record.scope.parse().map_err(|_| ())?;
                grant.until = record.expires_at;
                Ok(Some(grant))
            }
        }
    }
}
