//! The authorization-code flow as a person lives it: sent from an app to
//! auth-server, signed in, asked for consent, sent back to the app. Covers
//! allow, deny, a wrong password and a redirect URI the client never
//! registered.

use reqwest::redirect::Policy;
use url::Url;

use crate::flow::{
    CallbackApp, Pkce, assert_api_accepts, authorize_url, exchange_code, issuer, random_token,
    register_client, sign_in,
};
use crate::harness::Browser;
use crate::support::{PASSWORD, TestApp};

/// Signed out, the authorization request leads to the sign-in page; after
/// signing in and allowing, the app receives a code and the state on the
/// port it listens on, though it registered its URI without one, and the
/// code with the PKCE verifier buys a token api-server accepts.
#[tokio::test]
async fn signing_in_and_allowing_gives_the_app_a_code_for_a_working_token() {
    let app = TestApp::start().await;
    app.create_user("alice").await;
    let (client_id, secret) = register_client(&app, "Reading app").await;
    let mut callback = CallbackApp::start().await;
    let redirect_uri = callback.url("/callback");
    let (pkce, state) = (Pkce::new(), random_token());
    let browser = Browser::start().await;

    browser
        .goto(&authorize_url(
            &app,
            &client_id,
            &redirect_uri,
            &state,
            &pkce,
        ))
        .await
        .unwrap();
    browser.find("form[name=loginform]").await;
    let login = browser.current_url().await.unwrap();
    assert_eq!(login.path(), "/login", "{login}");
    let next = query_value(&login, "next").expect("/login?next=...");
    assert!(next.starts_with("/oauth/v2/auth?"), "{next}");
    let carried = browser.find("input[name=next]").await;
    assert_eq!(
        carried.prop("value").await.unwrap().as_deref(),
        Some(&*next)
    );
    browser.screenshot("sign-in").await;

    sign_in(&browser, "alice", PASSWORD).await;
    assert_eq!(browser.text("#client-name").await, "Reading app");
    browser.screenshot("consent").await;
    browser.click("#allow").await;
    let received = callback.next().await;

    assert_eq!(received.path, "/callback");
    assert_eq!(received.query.get("state"), Some(&state), "{received:?}");
    assert_eq!(received.query.get("iss"), Some(&issuer(&app).await));
    let code = received.query.get("code").expect("a code");
    let tokens = exchange_code(
        &app,
        &client_id,
        Some(&secret),
        code,
        &redirect_uri,
        &pkce.verifier,
    )
    .await;
    assert_api_accepts(&app, tokens["access_token"].as_str().unwrap()).await;
    browser.close().await;
}

/// Denying sends the app `access_denied` with its own state, and no code.
#[tokio::test]
async fn denying_consent_sends_the_app_access_denied_with_its_state() {
    let app = TestApp::start().await;
    app.create_user("alice").await;
    let (client_id, _) = register_client(&app, "Reading app").await;
    let mut callback = CallbackApp::start().await;
    let redirect_uri = callback.url("/callback");
    let (pkce, state) = (Pkce::new(), random_token());
    let browser = Browser::start().await;

    browser
        .goto(&authorize_url(
            &app,
            &client_id,
            &redirect_uri,
            &state,
            &pkce,
        ))
        .await
        .unwrap();
    sign_in(&browser, "alice", PASSWORD).await;
    browser.find("#client-name").await;
    browser.click("#deny").await;
    let received = callback.next().await;

    assert_eq!(received.path, "/callback");
    let query = &received.query;
    assert_eq!(
        query.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(query.get("state"), Some(&state), "{received:?}");
    assert_eq!(query.get("iss"), Some(&issuer(&app).await));
    assert!(!query.contains_key("code"), "{received:?}");
    browser.close().await;
}

/// A wrong password leaves the user on the sign-in form with the error; the
/// right one then signs in, and signing out brings the form back.
#[tokio::test]
async fn a_wrong_password_keeps_the_sign_in_page_with_an_error() {
    let app = TestApp::start().await;
    app.create_user("alice").await;
    let browser = Browser::start().await;

    browser
        .goto(&format!("{}/login", app.auth_base))
        .await
        .unwrap();
    sign_in(&browser, "alice", "not the password").await;
    let error = browser.text(".error").await;
    assert!(
        error.contains("Invalid username or password"),
        "error shown: {error}"
    );
    browser.find("form[name=loginform]").await;
    browser.screenshot("sign-in-error").await;

    sign_in(&browser, "alice", PASSWORD).await;
    browser.find("form[action='/logout'] #sign-out").await;
    browser.find("a[href='/developer']").await;
    browser.click("#sign-out").await;
    browser.find("form[name=loginform]").await;
    browser.close().await;
}

/// A redirect URI the client did not register gets an error page at
/// auth-server with status 400, and the browser is never sent to it.
#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let app = TestApp::start().await;
    app.create_user("alice").await;
    let (client_id, _) = register_client(&app, "Reading app").await;
    let mut callback = CallbackApp::start().await;
    // Registered: http://127.0.0.1/callback. Same host, any port, other path.
    let unregistered = callback.url("/elsewhere");
    let request = authorize_url(
        &app,
        &client_id,
        &unregistered,
        &random_token(),
        &Pkce::new(),
    );
    let browser = Browser::start().await;

    // Whether auth-server checks the URI before or after sign-in is its
    // choice; either way the user must end on its error page.
    browser.goto(&request).await.unwrap();
    let page = browser.find("form[name=loginform], #oauth-error").await;
    if page.attr("id").await.unwrap().as_deref() != Some("oauth-error") {
        sign_in(&browser, "alice", PASSWORD).await;
    }
    let message = browser.text("#oauth-error").await;
    browser.screenshot("oauth-error").await;

    assert!(!message.trim().is_empty(), "the error page explains itself");
    let page_url = browser.current_url().await.unwrap();
    assert!(
        page_url.as_str().starts_with(&app.auth_base),
        "left auth-server for {page_url}"
    );
    let status = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(&request)
        .header("cookie", browser.cookie_header().await)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "the same request, signed in");
    callback.assert_untouched();
    browser.close().await;
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}
