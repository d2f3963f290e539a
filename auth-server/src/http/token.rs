//! `GET|POST /oauth/v2/token`: the token endpoint, wire-compatible with
//! wallabag's (wallabag-api.md §3).
//!
//! The order of checks is part of the contract: clients and their tests see
//! the first failing rule of §3.4, so the handler walks them in that order —
//! grant type, client, allowed grant, grant parameters, scope.

use std::borrow::Cow;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use oxide_auth::code_grant::accesstoken::{
    Authorization as CodeAuthorization, Error as AccessTokenError, Request as CodeRequest,
};
use oxide_auth::code_grant::error::AccessTokenErrorType;
use oxide_auth::code_grant::refresh::{Error as RefreshError, Request as RefreshRequest};
use oxide_auth_async::code_grant::access_token::{
    Endpoint as AccessTokenEndpoint, Extension as AccessTokenExtension, access_token,
};
use oxide_auth_async::code_grant::refresh::{Endpoint as RefreshEndpoint, refresh};
use oxide_auth_async::primitives::{Authorizer, Issuer, Registrar};
use serde::{Deserialize, Serialize};

use super::error::{OAuthError, no_store};
use super::params::{ClientCredentials, OAuthParams};
use super::{AppState, Credentials};
use crate::oauth::code::PkceVerifier;
use crate::oauth::rules::{PUBLIC_CLIENT_GRANTS, is_recognised_grant_type};
use crate::oauth::{CodeOutcome, PgAuthorizer, PgIssuer, PgRegistrar, RefreshOutcome};
use crate::store::Client;

/// The success body, keys in wallabag's order (§3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u32,
    pub token_type: &'static str,
    /// Always null: no scopes are defined.
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `GET|POST /oauth/v2/token` — RFC 6749 §3.2 as wallabag answers it
/// (wallabag-api.md §3): grants `password`, `refresh_token`,
/// `client_credentials` and `authorization_code`.
pub async fn issue_token(
    State(state): State<AppState>,
    parts: Parts,
    params: OAuthParams,
) -> Result<Response, OAuthError> {
    let headers = &parts.headers;
    let grant_type = params
        .get("grant_type")
        .filter(|g| is_recognised_grant_type(g))
        .ok_or(OAuthError::bad_request(
            "invalid_request",
            "Invalid grant_type parameter or parameter missing",
        ))?;

    let client = authenticate_client(&state, headers, &params).await?;
    // A public client proves nothing about itself, so whatever its row
    // says it may only redeem codes and refresh (`PUBLIC_CLIENT_GRANTS`).
    if !client.allows_grant(grant_type)
        || (client.is_public() && !PUBLIC_CLIENT_GRANTS.contains(&grant_type))
    {
        return Err(OAuthError::bad_request(
            "unauthorized_client",
            "The grant type is unauthorized for this client_id",
        ));
    }

    let token = match grant_type {
        "password" => {
            let address = state.client_address(&parts);
            password_grant(&state, &client, &params, &address).await?
        }
        "refresh_token" => refresh_grant(&state, &client, headers, &params).await?,
        "client_credentials" => client_credentials_grant(&state, &client, &params).await?,
        "authorization_code" => code_grant(&state, &client, headers, &params).await?,
        // A grant a client may be registered with but that this endpoint
        // does not serve (wallabag's `token`): row 9 of §3.4.
        _ => {
            return Err(OAuthError::bad_request(
                "invalid_request",
                "Invalid grant_type parameter or parameter missing",
            ));
        }
    };
    tracing::debug!(grant_type, client_id = %client.client_id, "issued tokens");
    Ok(no_store(StatusCode::OK, Json(token)))
}

/// Rows 2–4 of §3.4: credentials present, client known, secret right.
async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &OAuthParams,
) -> Result<Client, OAuthError> {
    let credentials =
        ClientCredentials::from_request(headers, params).ok_or(OAuthError::bad_request(
            "invalid_client",
            "Client id was not found in the headers or body",
        ))?;
    state
        .registrar
        .authenticate(&credentials.client_id, credentials.secret.as_deref())
        .await?
        .ok_or(OAuthError::bad_request(
            "invalid_client",
            "The client credentials are invalid",
        ))
}

/// Row 8: no scopes are supported, so any requested scope is refused. It is
/// checked after the grant's own credentials, as wallabag does.
fn refuse_scope(params: &OAuthParams) -> Result<(), OAuthError> {
    match params.get("scope") {
        Some(_) => Err(OAuthError::bad_request(
            "invalid_scope",
            "An unsupported scope was requested.",
        )),
        None => Ok(()),
    }
}

/// The resource owner password grant (RFC 6749 §4.3), which oxide-auth does
/// not implement: the user is checked here, under the same sign-in throttle
/// as the web form (RFC 9700 §2.4: guessing is as easy here as there), then
/// tokens are minted by the same issuer as every other grant.
async fn password_grant(
    state: &AppState,
    client: &Client,
    params: &OAuthParams,
    address: &str,
) -> Result<TokenResponse, OAuthError> {
    let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
        return Err(OAuthError::bad_request(
            "invalid_request",
            "Missing parameters. \"username\" and \"password\" required",
        ));
    };

    let user_id = match state.sign_in(username, password, address).await? {
        Credentials::Valid(id) => id,
        Credentials::Invalid => {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                "Invalid username and password combination",
            ));
        }
        Credentials::Disabled => {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                "User account is disabled.",
            ));
        }
        Credentials::Throttled => {
            return Err(OAuthError::Throttled {
                retry_after: state.config.sign_in_window,
            });
        }
    };
    refuse_scope(params)?;

    let mut issuer = state.issuer();
    let grant = issuer.grant(&client.client_id, Some(user_id));
    let issued = issuer
        .issue(grant)
        .await
        .map_err(|()| OAuthError::internal("cannot issue tokens"))?;
    Ok(state.token_response(issued.token, issued.refresh))
}

/// The client credentials grant (RFC 6749 §4.4): a token for the client
/// itself, with no user and no refresh token.
async fn client_credentials_grant(
    state: &AppState,
    client: &Client,
    params: &OAuthParams,
) -> Result<TokenResponse, OAuthError> {
    refuse_scope(params)?;

    let mut issuer = state.issuer();
    let grant = issuer.grant(&client.client_id, None);
    let issued = issuer
        .issue(grant)
        .await
        .map_err(|()| OAuthError::internal("cannot issue tokens"))?;
    Ok(state.token_response(issued.token, None))
}

/// The authorization code grant (RFC 6749 §4.1.3), run by oxide-auth's
/// access-token flow: the code is claimed (single use; a replay revokes
/// what the first use issued), must belong to this client and redirect
/// URI, be unexpired, and pass PKCE (RFC 7636 §4.6).
async fn code_grant(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    params: &OAuthParams,
) -> Result<TokenResponse, OAuthError> {
    let code = params.get("code").ok_or(OAuthError::bad_request(
        "invalid_request",
        "Missing parameter. \"code\" is required",
    ))?;
    let redirect_uri = params.get("redirect_uri").ok_or(OAuthError::bad_request(
        "invalid_request",
        "The redirect URI parameter is required.",
    ))?;
    let secret = ClientCredentials::from_request(headers, params).and_then(|c| c.secret);
    let request = NormalisedCodeExchange {
        code,
        redirect_uri,
        client_id: &client.client_id,
        secret: secret.as_deref(),
        code_verifier: params.get("code_verifier"),
    };
    let mut endpoint = CodeExchangeFlow {
        registrar: &state.registrar,
        authorizer: state.authorizer(),
        issuer: state.issuer(),
        pkce: PkceVerifier { failed: false },
    };

    match access_token(&mut endpoint, &request).await {
        Ok(bearer) => issued_tokens(state, &bearer.to_json()),
        Err(AccessTokenError::Primitive(_)) => {
            Err(OAuthError::internal("code exchange failed in a primitive"))
        }
        Err(_) if endpoint.pkce.failed => Err(OAuthError::bad_request(
            "invalid_grant",
            "The code verifier is missing or does not match the code challenge",
        )),
        Err(_) if endpoint.authorizer.outcome == CodeOutcome::Expired => Err(
            OAuthError::bad_request("invalid_grant", "The authorization code has expired"),
        ),
        Err(_) => Err(OAuthError::bad_request(
            "invalid_grant",
            "Code doesn't exist or is invalid for the client",
        )),
    }
}

/// oxide-auth's access-token flow over this request's primitives.
struct CodeExchangeFlow<'a> {
    registrar: &'a PgRegistrar,
    authorizer: PgAuthorizer,
    issuer: PgIssuer,
    pkce: PkceVerifier,
}

impl AccessTokenEndpoint for CodeExchangeFlow<'_> {
    fn registrar(&self) -> &(dyn Registrar + Sync) {
        self.registrar
    }

    fn authorizer(&mut self) -> &mut (dyn Authorizer + Send) {
        &mut self.authorizer
    }

    fn issuer(&mut self) -> &mut (dyn Issuer + Send) {
        &mut self.issuer
    }

    fn extension(&mut self) -> &mut (dyn AccessTokenExtension + Send) {
        &mut self.pkce
    }
}

/// The code exchange as oxide-auth reads it: the client already
/// authenticated above, handed over as one credential pair.
struct NormalisedCodeExchange<'a> {
    code: &'a str,
    redirect_uri: &'a str,
    client_id: &'a str,
    secret: Option<&'a str>,
    code_verifier: Option<&'a str>,
}

impl CodeRequest for NormalisedCodeExchange<'_> {
    fn valid(&self) -> bool {
        true
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.code))
    }

    fn authorization(&self) -> CodeAuthorization<'_> {
        CodeAuthorization::UsernamePassword(
            Cow::Borrowed(self.client_id),
            Cow::Borrowed(self.secret.unwrap_or_default().as_bytes()),
        )
    }

    fn client_id(&self) -> Option<Cow<'_, str>> {
        None
    }

    fn redirect_uri(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.redirect_uri))
    }

    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("authorization_code"))
    }

    fn extension(&self, key: &str) -> Option<Cow<'_, str>> {
        match key {
            "code_verifier" => self.code_verifier.map(Cow::Borrowed),
            _ => None,
        }
    }
}

/// The refresh grant (RFC 6749 §6), run by oxide-auth's refresh flow over
/// our registrar and issuer. The issuer rotates the token and detects reuse.
async fn refresh_grant(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    params: &OAuthParams,
) -> Result<TokenResponse, OAuthError> {
    let token = params.get("refresh_token").ok_or(OAuthError::bad_request(
        "invalid_request",
        "No \"refresh_token\" parameter found",
    ))?;
    // Already authenticated above; handing oxide-auth one normalised pair
    // spares it from seeing Basic and body credentials as a duplicate.
    let secret = ClientCredentials::from_request(headers, params).and_then(|c| c.secret);
    let request = NormalisedRefresh {
        token,
        scope: params.get("scope"),
        client_id: &client.client_id,
        secret: secret.as_deref(),
    };
    let mut endpoint = RefreshFlow {
        registrar: &state.registrar,
        issuer: state.issuer(),
    };

    match refresh(&mut endpoint, &request).await {
        Ok(bearer) => issued_tokens(state, &bearer.to_json()),
        Err(err) => Err(refresh_error(err, endpoint.issuer.refresh_outcome())),
    }
}

/// Maps oxide-auth's refresh failure to wallabag's words (§3.4 rows 7b, 7c,
/// 8), using what the issuer saw to tell an expired token from an unknown.
fn refresh_error(mut err: RefreshError, outcome: RefreshOutcome) -> OAuthError {
    let kind = err.description().map(|d| d.kind());
    match (kind, outcome) {
        (Some(AccessTokenErrorType::InvalidScope), _) => {
            OAuthError::bad_request("invalid_scope", "An unsupported scope was requested.")
        }
        (_, RefreshOutcome::Expired) => {
            OAuthError::bad_request("invalid_grant", "Refresh token has expired")
        }
        (Some(_), _) | (None, RefreshOutcome::Reused) => {
            OAuthError::bad_request("invalid_grant", "Invalid refresh token")
        }
        (None, _) => OAuthError::internal("refresh flow failed in a primitive"),
    }
}

/// The two tokens of oxide-auth's serialised answer.
#[derive(Deserialize)]
struct IssuedPair {
    access_token: String,
    refresh_token: Option<String>,
}

/// oxide-auth's answer, reshaped as wallabag's (§3.3): its own has other
/// keys and a numeric scope-less `expires_in` of its choosing.
fn issued_tokens(state: &AppState, bearer_json: &str) -> Result<TokenResponse, OAuthError> {
    let issued: IssuedPair = serde_json::from_str(bearer_json)
        .map_err(|e| OAuthError::internal(format!("unreadable issued token: {e}")))?;
    Ok(state.token_response(issued.access_token, issued.refresh_token))
}

/// oxide-auth's refresh flow over this request's registrar and issuer.
struct RefreshFlow<'a> {
    registrar: &'a PgRegistrar,
    issuer: PgIssuer,
}

impl RefreshEndpoint for RefreshFlow<'_> {
    fn registrar(&self) -> &(dyn Registrar + Sync) {
        self.registrar
    }

    fn issuer(&mut self) -> &mut (dyn Issuer + Send) {
        &mut self.issuer
    }
}

/// The refresh request as oxide-auth reads it, with credentials in one place.
struct NormalisedRefresh<'a> {
    token: &'a str,
    scope: Option<&'a str>,
    client_id: &'a str,
    secret: Option<&'a str>,
}

impl RefreshRequest for NormalisedRefresh<'_> {
    fn valid(&self) -> bool {
        true
    }

    fn refresh_token(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.token))
    }

    fn scope(&self) -> Option<Cow<'_, str>> {
        self.scope.map(Cow::Borrowed)
    }

    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("refresh_token"))
    }

    fn authorization(&self) -> Option<(Cow<'_, str>, Cow<'_, [u8]>)> {
        Some((
            Cow::Borrowed(self.client_id),
            Cow::Borrowed(self.secret.unwrap_or_default().as_bytes()),
        ))
    }

    fn extension(&self, _key: &str) -> Option<Cow<'_, str>> {
        None
    }
}
