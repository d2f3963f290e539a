//! `GET /oauth/v2/revocations`: who may follow it, and that every way a
//! token is revoked is announced on it, named by its digest.

use std::time::Duration;

use auth_server::store::{ClientStore, UserStore};
use sha2::{Digest, Sha256};

use crate::support::{TestClient, TestServer};

/// A follower of the stream, reading what it says as text.
struct Follower {
    response: reqwest::Response,
    read: String,
}

impl Follower {
    async fn open(server: &TestServer, caller: &TestClient) -> Self {
        let response = server
            .http
            .get(server.url("/oauth/v2/revocations"))
            .basic_auth(&caller.id, Some(&caller.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut follower = Self {
            response,
            read: String::new(),
        };
        follower.until("event: ready\ndata: ready\n\n").await;
        follower
    }

    /// Reads until `expected` has been said, for at most ten seconds.
    async fn until(&mut self, expected: &str) {
        let reading = async {
            while !self.read.contains(expected) {
                let chunk = self.response.chunk().await.unwrap().expect("stream open");
                self.read.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        tokio::time::timeout(Duration::from_secs(10), reading)
            .await
            .unwrap_or_else(|_| panic!("never said {expected:?}; said {:?}", self.read));
    }

    /// Reads until the revocation of `token` has been announced.
    async fn until_revoked(&mut self, token: &str) {
        let digest: String = Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.until(&format!("event: revoked\ndata: {digest}\n\n"))
            .await;
    }
}

async fn refresh(server: &TestServer, app: &TestClient, refresh_token: &str) -> reqwest::Response {
    server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", refresh_token),
        ])
        .await
}

/// Only resource servers (clients allowed to introspect) may follow.
#[tokio::test]
async fn the_revocation_stream_is_for_resource_servers_only() {
    let server = TestServer::start().await;
    let app = server.create_client(&["password"], false).await;
    let resource = server.create_client(&[], true).await;

    let refused = [
        ("no credentials", None),
        (
            "a client not allowed to introspect",
            Some((&app.id, app.secret.as_str())),
        ),
        (
            "a resource server's id with a wrong secret",
            Some((&resource.id, "guess")),
        ),
    ];
    for (case, credentials) in refused {
        let mut request = server.http.get(server.url("/oauth/v2/revocations"));
        if let Some((id, secret)) = credentials {
            request = request.basic_auth(id, Some(secret));
        }
        assert_eq!(request.send().await.unwrap().status(), 401, "{case}");
    }
}

/// Revoking at the endpoint, reusing a refresh token, disabling a user and
/// deleting a client each announce the access tokens they end; a stray
/// notification is not passed on.
#[tokio::test]
async fn every_way_a_token_is_revoked_is_announced() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let app = server
        .create_client(&["password", "refresh_token"], false)
        .await;
    let resource = server.create_client(&[], true).await;
    let mut follower = Follower::open(&server, &resource).await;

    // Anyone with database access may notify the channel: what is not a
    // token digest is ignored, and the listener carries on.
    server
        .sql("NOTIFY access_token_revoked, 'ééééééééé not a digest'")
        .await;

    // The revocation endpoint.
    let login = server.password_login(&app).await;
    let token = login["access_token"].as_str().unwrap();
    let revoked = server
        .http
        .post(server.url("/oauth/v2/revoke"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    follower.until_revoked(token).await;

    // A reused refresh token takes the access tokens of its family.
    let login = server.password_login(&app).await;
    let old_refresh = login["refresh_token"].as_str().unwrap();
    let rotated: serde_json::Value = refresh(&server, &app, old_refresh)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refresh(&server, &app, old_refresh).await.status(), 400);
    follower
        .until_revoked(login["access_token"].as_str().unwrap())
        .await;
    follower
        .until_revoked(rotated["access_token"].as_str().unwrap())
        .await;

    // A disabled user.
    let login = server.password_login(&app).await;
    assert!(
        UserStore::new(server.pool.clone())
            .disable("alice")
            .await
            .unwrap()
    );
    follower
        .until_revoked(login["access_token"].as_str().unwrap())
        .await;

    // A deleted client: its tokens go with it.
    server.create_user("bob", "bob@example.com").await;
    let other = server.create_client(&["password"], false).await;
    let bob = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &other.id),
            ("client_secret", &other.secret),
            ("username", "bob"),
            ("password", crate::support::PASSWORD),
        ])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(
        ClientStore::new(server.pool.clone())
            .delete(&other.id)
            .await
            .unwrap()
    );
    follower
        .until_revoked(bob["access_token"].as_str().unwrap())
        .await;
}
