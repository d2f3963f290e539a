//! The web pages people use in a browser: sign in and out, the consent
//! screen of the authorization endpoint, and the developer page where a
//! user manages their own API clients. Server-rendered, no script, usable
//! on a phone; the markup keeps what the official wallabag Android app's
//! setup wizard reads (wallabag-api.md §8).

pub mod cookies;
pub mod developer;
pub mod extract;
pub mod page;
pub mod session;
pub mod sign_in;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::http::AppState;

/// The routes of the web pages and their static assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(sign_in::show_home))
        .route("/login", get(sign_in::show_sign_in))
        .route("/login_check", post(sign_in::sign_in))
        .route("/logout", post(sign_in::sign_out))
        .route("/developer", get(developer::list_clients))
        .route(
            "/developer/client/create",
            get(developer::show_create_form).post(developer::create_client),
        )
        .route(
            "/developer/client/delete/{number}",
            post(developer::delete_client),
        )
        .route("/static/style.css", get(stylesheet))
        .route("/static/logo.svg", get(logo))
}

async fn stylesheet() -> impl IntoResponse {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
}

async fn logo() -> impl IntoResponse {
    asset("image/svg+xml", include_str!("../../static/logo.svg"))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
}
