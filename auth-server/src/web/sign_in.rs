//! `GET /`, `GET /login`, `POST /login_check`, `POST /logout`: signing in
//! and out of the web pages, at the paths and with the field names the
//! wallabag Android app's setup wizard uses (wallabag-api.md §8).

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use cookie::SameSite;
use serde::Deserialize;

use super::cookies;
use super::extract::{Form, Query};
use super::page::{Nav, WebError, render, see_other};
use super::session::{self, local_path, tokens_match};
use crate::http::{AppState, Credentials};
use crate::oauth::opaque;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub next: Option<String>,
    pub username: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub nav: Option<Nav>,
    pub username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(rename = "_username")]
    username: Option<String>,
    #[serde(rename = "_password")]
    password: Option<String>,
    #[serde(rename = "_csrf_token")]
    csrf_token: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(rename = "_csrf_token")]
    csrf_token: Option<String>,
}

/// `GET /` — the account's home when signed in, the sign-in form otherwise.
pub async fn show_home(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    match session::current(&state, &headers).await? {
        Some(signed_in) => Ok(render(
            StatusCode::OK,
            &HomePage {
                username: signed_in.session.username.clone(),
                nav: Some(signed_in.nav()),
            },
        )),
        None => Ok(sign_in_page(
            &state,
            &headers,
            StatusCode::OK,
            None,
            "",
            None,
        )),
    }
}

/// `GET /login[?next=/path]` — the sign-in form.
pub async fn show_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = local_path(query.next.as_deref());
    if session::current(&state, &headers).await?.is_some() {
        return Ok(see_other(next.unwrap_or("/")));
    }
    Ok(sign_in_page(
        &state,
        &headers,
        StatusCode::OK,
        next,
        "",
        None,
    ))
}

/// `POST /login_check` — checks the form's CSRF token, then the password
/// under the sign-in throttle (`AppState::sign_in`); on success opens a
/// session and goes where `next` says.
pub async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let headers = &parts.headers;
    let next = local_path(form.next.as_deref());
    let username = form.username.as_deref().unwrap_or_default().trim();
    let password = form.password.as_deref().unwrap_or_default();
    let form_again = |status, error: &str| {
        sign_in_page(
            &state,
            headers,
            status,
            next,
            username,
            Some(error.to_owned()),
        )
    };

    // Login CSRF: the token must be the one this browser was given with the
    // form, so another site cannot sign the victim in to its own account.
    let expected = cookies::read(headers, cookies::SIGN_IN).unwrap_or_default();
    if !tokens_match(&expected, form.csrf_token.as_deref()) {
        return Ok(form_again(
            StatusCode::FORBIDDEN,
            "This form has expired. Please sign in again.",
        ));
    }
    if username.is_empty() || password.is_empty() {
        return Ok(form_again(
            StatusCode::OK,
            "Enter your username (or e-mail address) and your password.",
        ));
    }

    // 200 with the form again on a wrong password: the Android wizard
    // treats any other status as a broken server rather than a wrong
    // password.
    let address = state.client_address(&parts);
    let user_id = match state.sign_in(username, password, &address).await? {
        Credentials::Valid(user_id) => user_id,
        Credentials::Invalid => {
            return Ok(form_again(StatusCode::OK, "Invalid username or password."));
        }
        Credentials::Disabled => {
            return Ok(form_again(StatusCode::OK, "This account is disabled."));
        }
        Credentials::Throttled => {
            let window = state.config.sign_in_window;
            let mut response = form_again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed sign-ins. Try again in {} minutes.",
                    window.div_ceil(60)
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(window));
            return Ok(response);
        }
    };

    let session_cookie = session::start(&state, user_id).await?;
    let mut response = see_other(next.unwrap_or("/"));
    let set = response.headers_mut();
    set.append(header::SET_COOKIE, session_cookie);
    set.append(
        header::SET_COOKIE,
        cookies::clear(cookies::SIGN_IN, "/", state.config.secure_cookies()),
    );
    Ok(response)
}

/// `POST /logout` — ends the session. A post with the session's token, so
/// no other site can sign the user out.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Result<Response, WebError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(see_other("/login"));
    };
    signed_in.check_csrf(form.csrf_token.as_deref())?;
    let cleared = session::end(&state, &signed_in).await?;
    let mut response = see_other("/login");
    response.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(response)
}

/// The sign-in form, reusing the browser's sign-in CSRF cookie when it has
/// one (several tabs may be open) and setting one otherwise.
fn sign_in_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: Option<&str>,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = cookies::read(headers, cookies::SIGN_IN)
        .filter(|token| !token.is_empty())
        .unwrap_or_else(opaque::generate);
    let mut response = render(
        status,
        &SignInPage {
            nav: None,
            csrf: csrf.clone(),
            next: next.map(str::to_owned),
            username: username.to_owned(),
            error,
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::SIGN_IN,
            csrf,
            "/",
            Duration::from_secs(3600),
            SameSite::Strict,
            state.config.secure_cookies(),
        ),
    );
    response.into_response()
}
