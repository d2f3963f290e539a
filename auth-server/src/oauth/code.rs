//! The authorization-code grant's primitives: `PgAuthorizer` (codes over
//! Postgres) and the two extensions oxide-auth runs around it, PKCE and the
//! reserved token family.

use async_trait::async_trait;
use chrono::{Duration, Utc};
use oxide_auth::code_grant::accesstoken::Request as TokenRequest;
use oxide_auth::code_grant::authorization::Request as AuthorizationRequest;
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::{Extensions, Grant, GrantExtension, Value};
use oxide_auth_async::code_grant::{access_token, authorization};
use oxide_auth_async::primitives::Authorizer;
use serde_json::{Map, Value as Json};

use super::opaque;
use crate::store::TokenStore;
use crate::store::code::{Claim, CodeStore, NewCode};

/// Why a code exchange failed, as far as the primitives could tell; the
/// token endpoint words its error from this.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CodeOutcome {
    #[default]
    Unknown,
    Expired,
    Replayed,
    /// The PKCE check failed, or a verifier came for a code issued without
    /// a challenge.
    PkceFailed,
    Claimed,
}

/// Issues and claims authorization codes. One per request.
pub struct PgAuthorizer {
    codes: CodeStore,
    tokens: TokenStore,
    ttl: Duration,
    pub outcome: CodeOutcome,
}

impl PgAuthorizer {
    pub fn new(codes: CodeStore, tokens: TokenStore, ttl_secs: u32) -> Self {
        Self {
            codes,
            tokens,
            ttl: Duration::seconds(ttl_secs.into()),
            outcome: CodeOutcome::default(),
        }
    }
}

#[async_trait]
impl Authorizer for PgAuthorizer {
    async fn authorize(&mut self, grant: Grant) -> Result<String, ()> {
        let user_id: i64 = grant.owner_id.parse().map_err(|_| ())?;
        let code = opaque::generate();
        // Our own lifetime, not oxide-auth's ten minutes: a code is meant
        // to be exchanged at once (RFC 6749 §4.1.2 caps it at ten).
        let expires_at = Utc::now() + self.ttl;
        self.codes
            .insert(&NewCode {
                code_hash: &opaque::digest(&code),
                client_id: &grant.client_id,
                user_id,
                redirect_uri: grant.redirect_uri.as_str(),
                scope: &grant.scope.to_string(),
                extensions: &extensions_to_json(&grant.extensions),
                expires_at,
            })
            .await
            .map_err(|err| tracing::error!(cause = %err, "cannot store an authorization code"))?;
        Ok(code)
    }

    /// Claims the code. A second presentation is a replay: whatever the
    /// first one issued is revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
    async fn extract(&mut self, code: &str) -> Result<Option<Grant>, ()> {
        let claim =
            self.codes.claim(&opaque::digest(code)).await.map_err(
                |err| tracing::error!(cause = %err, "cannot claim an authorization code"),
            )?;
        match claim {
            Claim::Unknown => Ok(None),
            Claim::Replayed { family_id } => {
                self.outcome = CodeOutcome::Replayed;
                if let Some(family_id) = family_id {
                    tracing::warn!(
                        family_id,
                        "authorization code replayed; revoking its tokens"
                    );
                    self.tokens.revoke_family(family_id).await.map_err(|err| {
                        tracing::error!(cause = %err, "cannot revoke a replayed code's tokens");
                    })?;
                }
                Ok(None)
            }
            Claim::Claimed(claimed) if claimed.user_disabled => Ok(None),
            Claim::Claimed(claimed) => {
                if claimed.expires_at < Utc::now() {
                    self.outcome = CodeOutcome::Expired;
                } else {
                    self.outcome = CodeOutcome::Claimed;
                }
                let mut extensions = extensions_from_json(&claimed.extensions);
                extensions.set(
                    &TokenFamily,
                    Value::private(Some(claimed.family_id.to_string())),
                );
                // Handed back with its real expiry: oxide-auth refuses an
                // expired grant itself.
                Ok(Some(Grant {
                    owner_id: claimed.user_id.to_string(),
                    client_id: claimed.client_id,
                    scope: claimed.scope.parse().map_err(|_| ())?,
                    redirect_uri: claimed.redirect_uri.parse().map_err(|_| ())?,
                    until: claimed.expires_at,
                    extensions,
                }))
            }
        }
    }
}

/// The token family reserved when a code is claimed, carried through the
/// grant's extensions to the issuer so the tokens land in it.
pub struct TokenFamily;

impl GrantExtension for TokenFamily {
    fn identifier(&self) -> &'static str {
        "token_family"
    }
}

impl TokenFamily {
    /// The reserved family of a grant, if it has one.
    pub fn of(grant: &Grant) -> Option<i64> {
        grant
            .extensions
            .private()
            .find(|(key, _)| *key == TokenFamily.identifier())
            .and_then(|(_, value)| value)
            .and_then(|value| value.parse().ok())
    }
}

/// PKCE at the authorization endpoint: S256 only (`plain` is refused), and
/// required for public clients, which have no secret to prove who they are
/// (RFC 7636, RFC 9700 §2.1.1).
pub struct PkceChallenge {
    pub required: bool,
}

#[async_trait]
impl authorization::Extension for PkceChallenge {
    async fn extend(
        &mut self,
        request: &(dyn AuthorizationRequest + Sync),
    ) -> Result<Extensions, ()> {
        let challenge = request.extension("code_challenge");
        // RFC 7636 §4.2: a SHA-256 challenge is 43 base64url characters.
        if let Some(challenge) = &challenge
            && !is_s256_challenge(challenge)
        {
            return Err(());
        }
        let pkce = pkce(self.required);
        let mut extensions = Extensions::new();
        if let Some(encoded) =
            pkce.challenge(request.extension("code_challenge_method"), challenge)?
        {
            extensions.set(&pkce, encoded);
        }
        Ok(extensions)
    }
}

/// PKCE at the token endpoint, and the downgrade guard: a `code_verifier`
/// sent for a code that was issued without a challenge is refused (RFC 9700
/// §2.1.1), so an attacker cannot strip the challenge from a request.
pub struct PkceVerifier {
    pub failed: bool,
}

#[async_trait]
impl access_token::Extension for PkceVerifier {
    async fn extend(
        &mut self,
        request: &(dyn TokenRequest + Sync),
        mut data: Extensions,
    ) -> Result<Extensions, ()> {
        let pkce = pkce(false);
        let challenge = data.remove(&pkce);
        let verifier = request.extension("code_verifier");
        let verified = match (&challenge, &verifier) {
            (None, Some(_)) => Err(()),
            _ => pkce.verify(challenge, verifier),
        };
        if verified.is_err() {
            self.failed = true;
            return Err(());
        }
        // Only the reserved family goes on to the issuer.
        let mut issued = Extensions::new();
        if let Some(family) = data.remove(&TokenFamily) {
            issued.set(&TokenFamily, family);
        }
        Ok(issued)
    }
}

fn pkce(required: bool) -> Pkce {
    if required {
        Pkce::required()
    } else {
        Pkce::optional()
    }
}

fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Private extension values as a JSON object, for the `extensions` column.
fn extensions_to_json(extensions: &Extensions) -> Json {
    let map: Map<String, Json> = extensions
        .private()
        .map(|(key, value)| (key.to_owned(), value.map_or(Json::Null, Json::from)))
        .collect();
    Json::Object(map)
}

fn extensions_from_json(json: &Json) -> Extensions {
    let mut extensions = Extensions::new();
    if let Json::Object(map) = json {
        for (key, value) in map {
            let content = value.as_str().map(str::to_owned);
            extensions.set_raw(key.clone(), Value::private(content));
        }
    }
    extensions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_survive_the_database_round_trip() {
        let mut extensions = Extensions::new();
        extensions.set(&pkce(true), Value::private(Some("abcS".into())));
        let back = extensions_from_json(&extensions_to_json(&extensions));
        assert_eq!(back, extensions);
    }

    #[test]
    fn only_well_formed_s256_challenges_pass() {
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(good));
        assert!(!is_s256_challenge("short"));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }
}
