//! The developer page: a signed-in user registers their own OAuth client in
//! the browser, reads its id and secret off the page, and the client works.

use auth_server::store::ClientStore;

use crate::flow::{
    CallbackApp, Pkce, REGISTERED_REDIRECT_URI, assert_api_accepts, authorize_url, exchange_code,
    random_token, sign_in,
};
use crate::harness::Browser;
use crate::support::{PASSWORD, TestApp};

/// A confidential client created on the developer page is stored as the
/// form said, its id and secret are shown once, and with them an app
/// completes the code flow with PKCE and calls the API.
#[tokio::test]
async fn a_client_created_on_the_developer_page_completes_the_code_flow() {
    let app = TestApp::start().await;
    app.create_user("carol").await;
    let mut callback = CallbackApp::start().await;
    let browser = Browser::start().await;

    browser
        .goto(&format!("{}/login", app.auth_base))
        .await
        .unwrap();
    sign_in(&browser, "carol", PASSWORD).await;
    browser.click("a[href='/developer']").await;
    browser.click("a[href='/developer/client/create']").await;
    browser.fill("#client_name", "Carol's reader").await;
    browser
        .fill("#client_redirect_uris", REGISTERED_REDIRECT_URI)
        .await;
    browser.set_checked("#grant_authorization_code", true).await;
    browser.set_checked("#grant_refresh_token", true).await;
    browser.set_checked("#grant_password", false).await;
    browser.set_checked("#client_public", false).await;
    browser.screenshot("client-create").await;
    browser.click("#client_save").await;

    let item = browser.find("li.client").await;
    let item_id = item.attr("id").await.unwrap().unwrap_or_default();
    let row_id = item_id.strip_prefix("client-").unwrap_or_default();
    assert!(
        !row_id.is_empty() && row_id.chars().all(|c| c.is_ascii_digit()),
        "li id: {item_id}"
    );
    let client_id = browser.text("li.client tr.client-id code").await;
    let secret = browser.text("li.client tr.client-secret code").await;
    browser.screenshot("developer").await;
    assert_eq!(browser.find_all("li.client").await.len(), 1);
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/developer",
        "saving redirects to the developer page"
    );

    let stored = ClientStore::new(app.auth_pool.clone())
        .find(&client_id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no client {client_id:?} stored"));
    assert_eq!(stored.name, "Carol's reader");
    assert_eq!(stored.redirect_uris, [REGISTERED_REDIRECT_URI]);
    let mut grants = stored.grants.clone();
    grants.sort();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    assert!(
        stored.verify_secret(Some(&secret)),
        "the shown secret is its"
    );

    let redirect_uri = callback.url("/callback");
    let (pkce, state) = (Pkce::new(), random_token());
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
    assert_eq!(browser.text("#client-name").await, "Carol's reader");
    browser.click("#allow").await;
    let received = callback.next().await;
    assert_eq!(received.query.get("state"), Some(&state), "{received:?}");
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
