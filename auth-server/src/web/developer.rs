//! `/developer`: a signed-in user's own API clients — list, create,
//! delete — in markup the wallabag Android app's setup wizard can read
//! (wallabag-api.md §8).

use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use cookie::SameSite;
use url::form_urlencoded;

use super::cookies;
use super::page::{Nav, WebError, render, see_other};
use super::session::{self, SignedIn};
use crate::http::AppState;
use crate::oauth::rules::{PUBLIC_CLIENT_GRANTS, redirect_uri_problem};
use crate::store::{Client, NewClient};

/// How long a new secret stays visible, in the creating browser only.
const SECRET_SHOWN_FOR: Duration = Duration::from_secs(300);

/// The grants a user may give their own client, in form order.
const OFFERED_GRANTS: &[(&str, &str)] = &[
    (
        "authorization_code",
        "Authorization code with PKCE (apps that send you here to sign in)",
    ),
    ("refresh_token", "Refresh token (stay signed in)"),
    (
        "password",
        "Password (apps that ask for your password themselves)",
    ),
];

/// What a client created without choosing grants gets, as on wallabag: the
/// Android wizard posts only a name and relies on the password grant.
const DEFAULT_GRANTS: &[&str] = &["authorization_code", "password", "refresh_token"];

const MAX_NAME_CHARS: usize = 100;
const MAX_REDIRECT_URIS: usize = 10;

pub struct ClientRow {
    pub number: String,
    pub name: String,
    pub client_id: String,
    /// The secret, only right after creation.
    pub secret: Option<String>,
    pub public: bool,
    pub redirect_uris: String,
    pub grants: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "developer.html")]
pub struct DeveloperPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub clients: Vec<ClientRow>,
    pub secret_minutes: u64,
}

pub struct GrantChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "client_create.html")]
pub struct CreateClientPage {
    pub nav: Option<Nav>,
    pub csrf: String,
    pub name: String,
    pub redirect_uris: String,
    pub grants: Vec<GrantChoice>,
    pub public: bool,
    pub errors: Vec<String>,
}

/// `GET /developer`
pub async fn list_clients(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(sign_in_first("/developer"));
    };
    let fresh = cookies::read(&headers, cookies::NEW_CLIENT).and_then(|value| {
        value
            .split_once('.')
            .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
    });
    let clients = state
        .clients
        .list_owned(signed_in.user_id())
        .await?
        .into_iter()
        .map(|client| {
            let secret = fresh
                .as_ref()
                .filter(|(id, _)| *id == client.client_id && !client.is_public())
                .map(|(_, secret)| secret.clone());
            client_row(client, secret)
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &DeveloperPage {
            csrf: signed_in.session.csrf_token.clone(),
            nav: Some(signed_in.nav()),
            clients,
            secret_minutes: SECRET_SHOWN_FOR.as_secs() / 60,
        },
    ))
}

/// `GET /developer/client/create`
pub async fn show_create_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(sign_in_first("/developer/client/create"));
    };
    let form = ClientForm::default();
    Ok(render(
        StatusCode::OK,
        &create_page(&signed_in, &form, Vec::new()),
    ))
}

/// `POST /developer/client/create` — fields `client[name]`,
/// `client[redirect_uris]` (comma- or space-separated), `client[grants][]`,
/// `client[public]`, `client[_token]`. Invalid input re-renders the form
/// with the problems listed and creates nothing.
pub async fn create_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(sign_in_first("/developer/client/create"));
    };
    let form = ClientForm::parse(&body);
    signed_in.check_csrf(form.token.as_deref())?;

    let (grants, errors) = form.validate();
    if !errors.is_empty() {
        return Ok(render(
            StatusCode::BAD_REQUEST,
            &create_page(&signed_in, &form, errors),
        ));
    }
    let (client, secret) = state
        .clients
        .create_owned(
            &NewClient {
                name: form.name.trim(),
                grants: &grants,
                redirect_uris: &form.redirect_uri_list(),
                can_introspect: false,
                can_register: false,
            },
            Some(signed_in.user_id()),
            form.public,
        )
        .await?;
    tracing::info!(client_id = %client.client_id, public = form.public, "client created on the developer page");

    let mut response = see_other("/developer");
    if let Some(secret) = secret {
        // Shown from the browser's own cookie for a few minutes; the server
        // keeps only the digest, so it can never show it again.
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(
                cookies::NEW_CLIENT,
                format!("{}.{secret}", client.client_id),
                "/developer",
                SECRET_SHOWN_FOR,
                SameSite::Strict,
                state.config.secure_cookies(),
            ),
        );
    }
    Ok(response)
}

/// `POST /developer/client/delete/{number}` — deletes one of the user's
/// own clients, and with it every token it holds.
pub async fn delete_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(sign_in_first("/developer"));
    };
    let token = form_urlencoded::parse(&body)
        .find(|(key, _)| key == "_csrf_token" || key == "token")
        .map(|(_, value)| value.into_owned());
    signed_in.check_csrf(token.as_deref())?;
    let number: i64 = number.parse().map_err(|_| WebError::NotFound)?;
    // Another user's client is "not found", not "forbidden": ids are not
    // confirmed to people who do not own them.
    if !state
        .clients
        .delete_owned(signed_in.user_id(), number)
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(see_other("/developer"))
}

fn sign_in_first(path: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    see_other(&format!("/login?next={next}"))
}

fn client_row(client: Client, secret: Option<String>) -> ClientRow {
    ClientRow {
        number: client.number().to_owned(),
        public: client.is_public(),
        redirect_uris: serde_json::to_string(&client.redirect_uris).unwrap_or_default(),
        grants: serde_json::to_string(&client.grants).unwrap_or_default(),
        created: client.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        name: client.name,
        client_id: client.client_id,
        secret,
    }
}

fn create_page(signed_in: &SignedIn, form: &ClientForm, errors: Vec<String>) -> CreateClientPage {
    let chosen = |grant: &str| {
        if form.grants_shown || !form.grants.is_empty() {
            form.grants.iter().any(|g| g == grant)
        } else {
            DEFAULT_GRANTS.contains(&grant)
        }
    };
    CreateClientPage {
        nav: Some(signed_in.nav()),
        csrf: signed_in.session.csrf_token.clone(),
        name: form.name.clone(),
        redirect_uris: form.redirect_uris.clone(),
        grants: OFFERED_GRANTS
            .iter()
            .map(|(value, label)| GrantChoice {
                value,
                label,
                checked: chosen(value),
            })
            .collect(),
        public: form.public,
        errors,
    }
}

/// The create form as posted.
#[derive(Default)]
struct ClientForm {
    name: String,
    redirect_uris: String,
    grants: Vec<String>,
    /// Set by our own form, which shows the grant boxes: then no box ticked
    /// means none chosen, not "the defaults".
    grants_shown: bool,
    public: bool,
    token: Option<String>,
}

impl ClientForm {
    fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "client[name]" => form.name = value.into_owned(),
                "client[redirect_uris]" => form.redirect_uris = value.into_owned(),
                "client[grants][]" => form.grants.push(value.into_owned()),
                "client[grants_shown]" => form.grants_shown = true,
                "client[public]" => form.public = !value.is_empty() && value != "0",
                "client[_token]" => form.token = Some(value.into_owned()),
                _ => {}
            }
        }
        form
    }

    fn redirect_uri_list(&self) -> Vec<String> {
        self.redirect_uris
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|uri| !uri.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The grants to store, and every problem with the form.
    fn validate(&self) -> (Vec<String>, Vec<String>) {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push("Give the client a name, so you can recognise it later.".to_owned());
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(format!(
                "The name is longer than {MAX_NAME_CHARS} characters."
            ));
        }

        let uris = self.redirect_uri_list();
        if uris.len() > MAX_REDIRECT_URIS {
            errors.push(format!("At most {MAX_REDIRECT_URIS} redirect URIs."));
        }
        for uri in &uris {
            if let Some(problem) = redirect_uri_problem(uri) {
                errors.push(format!("The redirect URI “{uri}” {problem}."));
            }
        }

        let mut grants: Vec<String> = if self.grants.is_empty() && !self.grants_shown {
            let defaults = if self.public {
                PUBLIC_CLIENT_GRANTS
            } else {
                DEFAULT_GRANTS
            };
            defaults.iter().map(|g| (*g).to_owned()).collect()
        } else {
            self.grants.clone()
        };
        grants.sort();
        grants.dedup();
        if grants.is_empty() {
            errors.push("Choose at least one way for the client to get tokens.".to_owned());
        }
        if let Some(unknown) = grants
            .iter()
            .find(|g| !OFFERED_GRANTS.iter().any(|(offered, _)| offered == g))
        {
            errors.push(format!("“{unknown}” is not a grant this page offers."));
        }
        if self.public
            && let Some(refused) = grants
                .iter()
                .find(|g| !PUBLIC_CLIENT_GRANTS.contains(&g.as_str()))
        {
            errors.push(format!(
                "A public client has no secret, so it can only use the authorization code \
                 (with PKCE) and refresh token grants, not “{refused}”."
            ));
        }
        if self.public && uris.is_empty() {
            errors.push("A public client needs at least one redirect URI.".to_owned());
        }
        (grants, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_android_wizard_form_gets_the_default_grants() {
        let form = ClientForm::parse(
            b"client%5Bname%5D=Android+app&client%5Bredirect_uris%5D=&client%5Bsave%5D=&client%5B_token%5D=t",
        );
        let (grants, errors) = form.validate();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(grants, ["authorization_code", "password", "refresh_token"]);
        assert_eq!(form.token.as_deref(), Some("t"));
    }

    #[test]
    fn a_public_client_is_limited_to_code_and_refresh() {
        let form = ClientForm::parse(
            b"client%5Bname%5D=App&client%5Bredirect_uris%5D=http://127.0.0.1/cb\
              &client%5Bgrants_shown%5D=1&client%5Bgrants%5D%5B%5D=password&client%5Bpublic%5D=1",
        );
        let (_, errors) = form.validate();
        assert_eq!(errors.len(), 1, "{errors:?}");

        let form = ClientForm::parse(
            b"client%5Bname%5D=App&client%5Bredirect_uris%5D=http://127.0.0.1/cb&client%5Bpublic%5D=1",
        );
        let (grants, errors) = form.validate();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(grants, ["authorization_code", "refresh_token"]);
    }

    #[test]
    fn bad_redirect_uris_and_empty_names_are_refused() {
        let form = ClientForm::parse(
            b"client%5Bname%5D=+&client%5Bredirect_uris%5D=http://example.com/cb,javascript:x",
        );
        let (_, errors) = form.validate();
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
