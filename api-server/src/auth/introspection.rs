//! Calls to auth-server: token introspection (RFC 7662), its revocation
//! stream, and registering users who sign up through the API (users belong
//! to auth-server).

use std::time::{Duration, Instant};

use shared::config::Secret;
use shared::introspection::IntrospectionResponse;
use url::Url;

/// Talks to auth-server, authenticated as this resource server.
#[derive(Clone)]
pub struct AuthServerClient {
    http: reqwest::Client,
    /// For the revocation stream, a response that never ends: without the
    /// overall timeout of `http`, which would cut it.
    streaming: reqwest::Client,
    endpoint: Url,
    registration: Url,
    revocations: Url,
    client_id: String,
    client_secret: Secret,
}

/// auth-server could not give an answer: unreachable, slow, or not making
/// sense. Never a reason to call a token invalid.
#[derive(Debug, thiserror::Error)]
#[error("introspection failed: {0}")]
pub struct IntrospectionError(pub String);

impl AuthServerClient {
    pub fn new(
        auth_server_url: &Url,
        client_id: String,
        client_secret: Secret,
        timeout: Duration,
    ) -> Result<Self, IntrospectionError> {
        let endpoint = auth_server_url
            .join("/oauth/v2/introspect")
            .map_err(|e| IntrospectionError(e.to_string()))?;
        let registration = auth_server_url
            .join("/internal/users")
            .map_err(|e| IntrospectionError(e.to_string()))?;
        let revocations = auth_server_url
            .join("/oauth/v2/revocations")
            .map_err(|e| IntrospectionError(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| IntrospectionError(e.to_string()))?;
        let streaming = reqwest::Client::builder()
            .connect_timeout(timeout)
            .build()
            .map_err(|e| IntrospectionError(e.to_string()))?;
        Ok(Self {
            http,
            streaming,
            endpoint,
            registration,
            revocations,
            client_id,
            client_secret,
        })
    }

    pub async fn introspect(
        &self,
        token: &str,
    ) -> Result<IntrospectionResponse, IntrospectionError> {
        let started = Instant::now();
        let send = || {
            self.http
                .post(self.endpoint.clone())
                .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                .form(&[("token", token)])
                .send()
        };
        // A kept-alive connection to an auth-server replica that has just
        // gone away fails at once; introspection only reads, so one more
        // try on a fresh connection is safe and usually reaches a live one.
        let response = match send().await {
            Err(err) if (err.is_connect() || err.is_request()) && !err.is_timeout() => send().await,
            other => other,
        }
        .map_err(|e| IntrospectionError(e.without_url().to_string()))?;
        let status = response.status();
        // A refused caller is a misconfiguration of this server, not a
        // verdict on the user's token.
        if !status.is_success() {
            return Err(IntrospectionError(format!("auth-server answered {status}")));
        }
        let answer = response
            .json::<IntrospectionResponse>()
            .await
            .map_err(|e| IntrospectionError(e.without_url().to_string()))?;
        let elapsed = started.elapsed();
        metrics::histogram!("introspection_duration_seconds").record(elapsed.as_secs_f64());
        Ok(answer)
    }

    /// Opens auth-server's revocation stream (`auth::revocation` reads it).
    pub async fn follow_revocations(&self) -> Result<reqwest::Response, IntrospectionError> {
        let response = self
            .streaming
            .get(self.revocations.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| IntrospectionError(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(IntrospectionError(format!("auth-server answered {status}")));
        }
        Ok(response)
    }
}

/// auth-server's answer to a sign-up: its status and JSON body.
pub struct RegistrationAnswer {
    pub status: reqwest::StatusCode,
    pub body: serde_json::Value,
}

impl AuthServerClient {
    /// Forwards a sign-up to auth-server's `/internal/users`.
    pub async fn register_user(
        &self,
        fields: &serde_json::Value,
    ) -> Result<RegistrationAnswer, IntrospectionError> {
        let response = self
            .http
            .post(self.registration.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .json(fields)
            .send()
            .await
            .map_err(|e| IntrospectionError(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .json()
            .await
            .map_err(|e| IntrospectionError(e.without_url().to_string()))?;
        Ok(RegistrationAnswer { status, body })
    }
}
