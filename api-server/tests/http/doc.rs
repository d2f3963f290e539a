//! The API's description over real HTTP (wallabag-api.md §5.28): the
//! OpenAPI JSON and the Swagger UI page at `/api/doc`, served without a
//! token and with every file the page needs served from here.

use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

async fn openapi(app: &TestApp) -> Value {
    let response = app
        .http
        .get(app.url("/api/doc/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// §5.28: the description is JSON, needs no token, and documents the
/// routes with their bearer security.
#[tokio::test]
async fn the_openapi_description_lists_the_routes() {
    let app = TestApp::start().await;
    let doc = openapi(&app).await;

    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/entries",
        "/api/entries/{id}",
        "/api/entries/{id}/export.{format}",
        "/api/annotations/{id}",
        "/api/search",
        "/api/version",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let export = &paths["/api/entries/{id}/export.{format}"]["get"];
    let content = export["responses"]["200"]["content"].as_object().unwrap();
    assert!(content.contains_key("application/epub+zip"));
    assert!(content.contains_key("application/pdf"));

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["access_token"]["in"], "query");
    let entry = &doc["components"]["schemas"]["EntryResponse"]["properties"];
    assert!(entry["is_archived"].is_object());
    assert!(entry["_links"].is_object());
    // Anonymous routes say so.
    assert_eq!(
        paths["/api/version"]["get"]["security"],
        serde_json::json!([{}])
    );
}

/// §5.28: wallabag serves its description at `/api/doc.json`; so does this
/// server, the same document as below `/api/doc/`, and its `.json` is not
/// taken for a format suffix.
#[tokio::test]
async fn the_description_is_also_at_wallabags_path() {
    let app = TestApp::start().await;

    let response = app.http.get(app.url("/api/doc.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.url().path(), "/api/doc.json");
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc, openapi(&app).await);
}

/// Every operation described is one the server routes: with no token each
/// answers something other than "no such route" (404) or "no such method"
/// (405).
#[tokio::test]
async fn every_described_operation_is_routed() {
    let app = TestApp::start().await;
    let doc = openapi(&app).await;

    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        // The public page of a shared entry is a 404 for an unknown uid.
        if path.starts_with("/share/") {
            continue;
        }
        let concrete = path
            .replace("{id}", "1")
            .replace("{tag}", "1")
            .replace("{format}", "json");
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .http
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{method} {concrete} answered {status}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations");
}

/// §5.28: `/api/doc` is the Swagger UI page, and the scripts and styles it
/// loads come from this server, so it works offline.
#[tokio::test]
async fn the_ui_page_and_its_files_are_served_here() {
    let app = TestApp::start().await;

    let page = app.http.get(app.url("/api/doc")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.url().path(), "/api/doc/");
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = page.text().await.unwrap();

    // Every script and stylesheet the page names, relative to it.
    let mut assets: Vec<String> = Vec::new();
    for marker in ["src=\"", "href=\""] {
        for piece in html.split(marker).skip(1) {
            let target = piece.split('"').next().unwrap();
            if target.ends_with(".js") || target.ends_with(".css") {
                assets.push(target.trim_start_matches("./").to_owned());
            }
        }
    }
    assert!(
        assets.iter().any(|a| a == "swagger-ui-bundle.js"),
        "{assets:?}"
    );
    assert!(assets.iter().any(|a| a == "swagger-ui.css"), "{assets:?}");
    for asset in &assets {
        assert!(!asset.contains("://"), "{asset} is not served here");
        let response = app
            .http
            .get(app.url(&format!("/api/doc/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
    }

    // The page is pointed at this server's description, and at no online
    // validator.
    let initializer = app
        .http
        .get(app.url("/api/doc/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("/api/doc/openapi.json"),
        "{initializer}"
    );
}
