//! `GET|POST /oauth/v2/auth`: the authorization endpoint (RFC 6749 §4.1)
//! with PKCE (RFC 7636) and the `iss` response parameter (RFC 9207), run
//! by oxide-auth's authorization flow over our registrar and authorizer.
//!
//! GET validates the request, then shows the consent page to a signed-in
//! user (or sends them to sign in first). POST carries the user's answer.
//! Nothing is ever redirected to a URI the client has not registered: an
//! unknown client or unmatched redirect URI gets an error page here.

use std::borrow::Cow;
use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oxide_auth::code_grant::authorization::{Error as FlowError, Request as AuthorizationRequest};
use oxide_auth_async::code_grant::authorization::{
    Endpoint, Extension, Pending, authorization_code,
};
use oxide_auth_async::primitives::{Authorizer, Registrar};
use url::{Url, form_urlencoded};

use super::AppState;
use crate::oauth::code::PkceChallenge;
use crate::oauth::{PgAuthorizer, PgRegistrar};
use crate::store::Client;
use crate::web::page::{ErrorPage, Nav, WebError, redirect, render};
use crate::web::session;

/// The parameters of an authorization request that travel through the
/// consent form; anything else is dropped.
const CARRIED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub nav: Option<Nav>,
    pub client_name: String,
    pub username: String,
    pub redirect_origin: String,
    pub refresh_days: u32,
    pub params: Vec<(String, String)>,
    pub csrf: String,
}

/// `GET /oauth/v2/auth`
pub async fn show_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params = match AuthParams::parse(query.as_bytes()) {
        Ok(params) => params,
        Err(refusal) => return refusal.respond(&state),
    };
    let (client, pending) = match params.validate(&state).await {
        Ok(valid) => valid,
        Err(refusal) => return refusal.respond(&state),
    };
    let signed_in = match session::current(&state, &headers).await {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => {
            let next: String =
                form_urlencoded::byte_serialize(format!("/oauth/v2/auth?{query}").as_bytes())
                    .collect();
            return redirect(StatusCode::FOUND, &format!("/login?next={next}"));
        }
        Err(err) => return err.into_response(),
    };

    let redirect_uri = pending.pre_grant().redirect_uri.to_url();
    render(
        StatusCode::OK,
        &ConsentPage {
            client_name: client.name.clone(),
            username: signed_in.session.username.clone(),
            redirect_origin: redirect_uri.origin().ascii_serialization(),
            refresh_days: state.config.refresh_token_ttl / 86_400,
            params: params.carried(),
            csrf: signed_in.session.csrf_token.clone(),
            nav: Some(signed_in.nav()),
        },
    )
}

/// `POST /oauth/v2/auth` — the consent form's answer: `decision=allow` or
/// `deny`, the carried parameters and the session's CSRF token.
pub async fn answer_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match AuthParams::parse(&body) {
        Ok(params) => params,
        Err(refusal) => return refusal.respond(&state),
    };
    let signed_in = match session::current(&state, &headers).await {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => {
            return WebError::Forbidden("Your session has ended. Sign in and try again.".into())
                .into_response();
        }
        Err(err) => return err.into_response(),
    };
    if let Err(err) = signed_in.check_csrf(params.get("_csrf_token")) {
        return err.into_response();
    }
    let (client, pending) = match params.validate(&state).await {
        Ok(valid) => valid,
        Err(refusal) => return refusal.respond(&state),
    };

    let answer = match params.get("decision") {
        Some("allow") => {
            let mut flow = AuthorizationFlow::new(&state, &client);
            let owner = Cow::Owned(signed_in.user_id().to_string());
            let answer = pending.authorize(&mut flow, owner).await;
            if answer.is_ok() {
                tracing::info!(client_id = %client.client_id, "authorization code issued");
            }
            answer
        }
        Some("deny") => pending.deny(),
        _ => {
            return WebError::BadRequest("Choose Allow or Deny.".into()).into_response();
        }
    };
    match answer {
        Ok(url) => back_to_client(&state, url),
        Err(err) => Refusal::from(err).respond(&state),
    }
}

/// Why an authorization request stops, and where the answer goes.
enum Refusal {
    /// Shown here: the client or its redirect URI cannot be trusted.
    Page(String),
    /// Sent back to the client's verified redirect URI.
    Redirect(Url),
    Internal(String),
}

impl Refusal {
    fn respond(self, state: &AppState) -> Response {
        match self {
            Self::Page(message) => error_page(StatusCode::BAD_REQUEST, &message),
            Self::Redirect(url) => back_to_client(state, url),
            Self::Internal(cause) => WebError::Internal(cause).into_response(),
        }
    }
}

impl From<FlowError> for Refusal {
    fn from(err: FlowError) -> Self {
        match err {
            // No registered redirect URI matched: never redirect (RFC 6749
            // §4.1.2.1), tell the person instead.
            FlowError::Ignore => Self::Page(
                "The app asked to send you back to an address it has not registered, \
                 so the request was stopped. Nothing was shared."
                    .into(),
            ),
            FlowError::Redirect(error_url) => Self::Redirect(error_url.into()),
            FlowError::PrimitiveError => {
                Self::Internal("authorization flow failed in a primitive".into())
            }
        }
    }
}

/// The request's parameters, each given at most once (RFC 6749 §3.1).
struct AuthParams(HashMap<String, String>);

impl AuthParams {
    fn parse(encoded: &[u8]) -> Result<Self, Refusal> {
        let mut params = HashMap::new();
        for (key, value) in form_urlencoded::parse(encoded) {
            if params
                .insert(key.clone().into_owned(), value.into_owned())
                .is_some()
                && CARRIED.contains(&key.as_ref())
            {
                return Err(Refusal::Page(format!(
                    "The parameter “{key}” was given more than once."
                )));
            }
        }
        Ok(Self(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn carried(&self) -> Vec<(String, String)> {
        CARRIED
            .iter()
            .filter_map(|name| {
                self.get(name)
                    .map(|value| ((*name).to_owned(), value.to_owned()))
            })
            .collect()
    }

    /// Runs oxide-auth's checks: client known, redirect URI registered,
    /// `response_type=code`, PKCE as this client needs it. Failures that
    /// may go back to the client do so; the others become a page.
    async fn validate(&self, state: &AppState) -> Result<(Client, Pending), Refusal> {
        let client = match self.get("client_id") {
            Some(client_id) => state.clients.find(client_id).await,
            None => Ok(None),
        };
        let client = match client {
            Ok(Some(client)) => client,
            Ok(None) => {
                return Err(Refusal::Page(
                    "This app is not registered here (unknown client_id), \
                     so it cannot ask for access."
                        .into(),
                ));
            }
            Err(err) => return Err(Refusal::Internal(err.to_string())),
        };

        let mut flow = AuthorizationFlow::new(state, &client);
        let pending = authorization_code(&mut flow, self).await?;

        // The redirect URI is known good now, so this error may go back.
        if !client.allows_grant("authorization_code") {
            let mut url = pending.pre_grant().redirect_uri.to_url();
            url.query_pairs_mut()
                .append_pair("error", "unauthorized_client")
                .extend_pairs(self.get("state").map(|s| ("state", s)));
            return Err(Refusal::Redirect(url));
        }
        Ok((client, pending))
    }
}

impl AuthorizationRequest for AuthParams {
    fn valid(&self) -> bool {
        true
    }

    fn client_id(&self) -> Option<Cow<'_, str>> {
        self.get("client_id").map(Cow::Borrowed)
    }

    fn scope(&self) -> Option<Cow<'_, str>> {
        self.get("scope").map(Cow::Borrowed)
    }

    fn redirect_uri(&self) -> Option<Cow<'_, str>> {
        self.get("redirect_uri").map(Cow::Borrowed)
    }

    fn state(&self) -> Option<Cow<'_, str>> {
        self.get("state").map(Cow::Borrowed)
    }

    fn response_type(&self) -> Option<Cow<'_, str>> {
        self.get("response_type").map(Cow::Borrowed)
    }

    fn extension(&self, key: &str) -> Option<Cow<'_, str>> {
        self.get(key).map(Cow::Borrowed)
    }
}

/// oxide-auth's authorization flow over this request's primitives.
struct AuthorizationFlow<'a> {
    registrar: &'a PgRegistrar,
    authorizer: PgAuthorizer,
    pkce: PkceChallenge,
}

impl<'a> AuthorizationFlow<'a> {
    fn new(state: &'a AppState, client: &Client) -> Self {
        Self {
            registrar: &state.registrar,
            authorizer: state.authorizer(),
            pkce: PkceChallenge {
                required: client.is_public(),
            },
        }
    }
}

impl Endpoint for AuthorizationFlow<'_> {
    fn registrar(&self) -> &(dyn Registrar + Sync) {
        self.registrar
    }

    fn authorizer(&mut self) -> &mut (dyn Authorizer + Send) {
        &mut self.authorizer
    }

    fn extension(&mut self) -> &mut (dyn Extension + Send) {
        &mut self.pkce
    }
}

/// A redirect to the client's (already verified) redirect URI, naming this
/// server as the issuer so the client can tell which server answered
/// (RFC 9207, against mix-up attacks).
fn back_to_client(state: &AppState, mut url: Url) -> Response {
    url.query_pairs_mut()
        .append_pair("iss", &state.config.issuer());
    redirect(StatusCode::SEE_OTHER, url.as_str())
}

fn error_page(status: StatusCode, message: &str) -> Response {
    render(
        status,
        &ErrorPage {
            nav: None,
            title: "This app cannot be authorized",
            message,
            element_id: "oauth-error",
        },
    )
}
