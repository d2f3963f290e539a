//! The OAuth client's side of the authorization-code flow, for the browser
//! tests: an app on its own loopback port that records what the redirect
//! brings, PKCE, the authorization URL, and the code exchange. The browser
//! does the user's side.

use std::collections::HashMap;

use auth_server::store::{ClientStore, NewClient};
use axum::Router;
use axum::http::Uri;
use axum::response::Html;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use url::Url;

use crate::harness::{Browser, WAIT};
use crate::support::TestApp;

/// The redirect URI the app registers: a loopback IP literal without a port,
/// which must match whatever port the app listens on (RFC 8252 §7.3).
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// A request that reached the app.
#[derive(Debug)]
pub struct Callback {
    pub path: String,
    pub query: HashMap<String, String>,
}

/// The OAuth client's web app: answers every path with a small page and
/// records each request it gets.
pub struct CallbackApp {
    port: u16,
    received: mpsc::UnboundedReceiver<Callback>,
}

impl CallbackApp {
    pub async fn start() -> Self {
        let (sender, received) = mpsc::unbounded_channel();
        let router = Router::new().fallback(move |uri: Uri| {
            let sender = sender.clone();
            async move {
                let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect();
                let _ = sender.send(Callback {
                    path: uri.path().to_owned(),
                    query,
                });
                // An empty icon, so Chromium asks the app for nothing more.
                Html(
                    "<!doctype html><title>Example app</title><link rel=\"icon\" href=\"data:,\">\
                     <p>Back at the app.</p>",
                )
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { port, received }
    }

    /// `path` on the app, with the port it really listens on.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next request the app gets.
    pub async fn next(&mut self) -> Callback {
        match tokio::time::timeout(WAIT, self.received.recv()).await {
            Ok(Some(callback)) => callback,
            Ok(None) => unreachable!("the app's router holds the sender"),
            Err(_) => panic!("the app got no request within {WAIT:?}"),
        }
    }

    /// Fails if any request has reached the app.
    pub fn assert_untouched(&mut self) {
        if let Ok(callback) = self.received.try_recv() {
            panic!("the app was not to be called, but got {callback:?}");
        }
    }
}

/// A PKCE pair (RFC 7636): the verifier stays with the app, the challenge
/// goes in the authorization request.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = random_token();
        let challenge = s256_challenge(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

/// `BASE64URL(SHA256(verifier))`, the S256 method (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 32 random bytes, base64url: 43 characters, a valid verifier or state.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The authorization request the app sends the user to (RFC 6749 §4.1.1,
/// with PKCE).
pub fn authorize_url(
    app: &TestApp,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
) -> String {
    Url::parse_with_params(
        &format!("{}/oauth/v2/auth", app.auth_base),
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap()
    .into()
}

/// Registers a confidential client for the code flow, returning its id and
/// secret.
pub async fn register_client(app: &TestApp, name: &str) -> (String, String) {
    let (client, secret) = ClientStore::new(app.auth_pool.clone())
        .create(&NewClient {
            name,
            grants: &["authorization_code".to_owned(), "refresh_token".to_owned()],
            redirect_uris: &[REGISTERED_REDIRECT_URI.to_owned()],
            can_introspect: false,
            can_register: false,
        })
        .await
        .unwrap();
    (client.client_id, secret)
}

/// Fills in and submits the sign-in form on the current page.
pub async fn sign_in(browser: &Browser, username: &str, password: &str) {
    browser.fill("#username", username).await;
    browser.fill("#password", password).await;
    browser.click("#sign-in").await;
}

/// auth-server's issuer identifier, which redirects carry as `iss`
/// (RFC 9207).
pub async fn issuer(app: &TestApp) -> String {
    let metadata: Value = app
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            app.auth_base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    metadata["issuer"].as_str().unwrap().to_owned()
}

/// The code exchange (RFC 6749 §4.1.3 with the PKCE verifier); returns the
/// token response after checking its shape.
pub async fn exchange_code(
    app: &TestApp,
    client_id: &str,
    client_secret: Option<&str>,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Value {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = client_secret {
        form.push(("client_secret", secret));
    }
    let response = app
        .http
        .post(format!("{}/oauth/v2/token", app.auth_base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();

    assert_eq!(status, 200, "code exchange: {body}");
    assert!(body["access_token"].is_string(), "{body}");
    assert!(body["refresh_token"].is_string(), "{body}");
    assert!(body["expires_in"].as_u64().unwrap() > 0, "{body}");
    assert_eq!(body["token_type"], "bearer", "{body}");
    assert_eq!(body["scope"], Value::Null, "{body}");
    body
}

/// api-server serves the token's owner.
pub async fn assert_api_accepts(app: &TestApp, access_token: &str) {
    let response = app
        .http
        .get(app.url("/api/entries.json"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "GET /api/entries.json with the token"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_unreserved_characters() {
        let verifier = Pkce::new().verifier;

        assert_eq!(verifier.len(), 43);
        assert!(
            verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
