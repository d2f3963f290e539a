//! `PgRegistrar`: oxide-auth's view of the `clients` table.

use std::borrow::Cow;

use async_trait::async_trait;
use oxide_auth::primitives::registrar::{
    BoundClient, ClientUrl, ExactUrl, PreGrant, RegisteredUrl, RegistrarError,
};
use oxide_auth::primitives::scope::Scope;
use oxide_auth_async::primitives::Registrar;

use super::rules::redirect_matches;
use crate::store::{Client, ClientStore, StoreError};

#[derive(Clone)]
pub struct PgRegistrar {
    clients: ClientStore,
}

impl PgRegistrar {
    pub fn new(clients: ClientStore) -> Self {
        Self { clients }
    }

    /// Authenticates a client by id and secret; `None` when either is wrong.
    /// The token endpoint calls this directly because it must tell a missing
    /// client from a wrong secret in a fixed order (wallabag-api.md §3.4).
    pub async fn authenticate(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Option<Client>, StoreError> {
        let client = self.clients.find(client_id).await?;
        Ok(client.filter(|c| c.verify_secret(secret)))
    }
}

#[async_trait]
impl Registrar for PgRegistrar {
    /// Binds a redirect URI by exact match against the registered ones,
    /// loopback ports aside (`rules::redirect_matches`). The requested URI
    /// is what gets bound, so the code goes back to the port the app
    /// listens on.
    async fn bound_redirect<'a>(
        &self,
        bound: ClientUrl<'a>,
    ) -> Result<BoundClient<'a>, RegistrarError> {
        let client = self
            .clients
            .find(&bound.client_id)
            .await
            .map_err(|_| RegistrarError::PrimitiveError)?
            .ok_or(RegistrarError::Unspecified)?;

        let chosen = match &bound.redirect_uri {
            Some(requested) => client
                .redirect_uris
                .iter()
                .any(|uri| redirect_matches(uri, requested.as_str()))
                .then(|| requested.as_str()),
            // Without a requested URI, only an unambiguous registration binds.
            None if client.redirect_uris.len() == 1 => {
                client.redirect_uris.first().map(String::as_str)
            }
            None => None,
        };
        let uri: ExactUrl = chosen
            .ok_or(RegistrarError::Unspecified)?
            .parse()
            .map_err(|_| RegistrarError::Unspecified)?;

        Ok(BoundClient {
            client_id: bound.client_id,
            redirect_uri: Cow::Owned(RegisteredUrl::Exact(uri)),
        })
    }

    /// No scopes are defined (wallabag's `scope` is always null), so every
    /// grant carries the empty scope.
    async fn negotiate<'a>(
        &self,
        bound: BoundClient<'a>,
        _scope: Option<Scope>,
    ) -> Result<PreGrant, RegistrarError> {
        Ok(PreGrant {
            client_id: bound.client_id.into_owned(),
            redirect_uri: bound.redirect_uri.into_owned(),
            scope: super::empty_scope(),
        })
    }

    async fn check(
        &self,
        client_id: &str,
        passphrase: Option<&[u8]>,
    ) -> Result<(), RegistrarError> {
        // oxide-auth passes an empty passphrase for a client without one.
        let secret = match passphrase
            .filter(|p| !p.is_empty())
            .map(std::str::from_utf8)
        {
            Some(Ok(secret)) => Some(secret),
            Some(Err(_)) => return Err(RegistrarError::Unspecified),
            None => None,
        };
        match self.authenticate(client_id, secret).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(RegistrarError::Unspecified),
            Err(_) => Err(RegistrarError::PrimitiveError),
        }
    }
}
