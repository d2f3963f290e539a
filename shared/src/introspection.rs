//! The token introspection answer (RFC 7662) as auth-server sends it and
//! resource servers read it.
//!
//! Beyond the RFC members it carries the user fields the wallabag API shows,
//! so a resource server needs one call per token, not two.

use serde::{Deserialize, Serialize};

/// `POST /oauth/v2/introspect` response body.
///
/// An inactive token is `{"active": false}` and nothing else (RFC 7662 §2.2:
/// say nothing about a token the caller may not use).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<ActiveToken>,
}

/// The members present only when `active` is true.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ActiveToken {
    /// Space-separated scopes; empty when none were granted.
    pub scope: String,
    pub client_id: String,
    /// Absent for a client-credentials token, which acts for no user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's id as a string, or the client id for a client token.
    pub sub: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
    pub token_type: String,
    /// The token's user, absent for a client-credentials token.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub user: Option<TokenUser>,
}

/// The user a token acts for, as the API shows it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct TokenUser {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// RFC 3339 timestamps.
    pub created_at: String,
    pub updated_at: String,
}

impl IntrospectionResponse {
    pub fn inactive() -> Self {
        Self::default()
    }

    pub fn active(token: ActiveToken) -> Self {
        Self {
            active: true,
            token: Some(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_answer_is_only_the_flag() {
        let json = serde_json::to_string(&IntrospectionResponse::inactive()).unwrap();
        assert_eq!(json, r#"{"active":false}"#);
    }

    #[test]
    fn active_answer_round_trips_with_user_fields_flattened() {
        let answer = IntrospectionResponse::active(ActiveToken {
            scope: String::new(),
            client_id: "1_abc".into(),
            username: Some("alice".into()),
            sub: "7".into(),
            exp: 20,
            iat: 10,
            token_type: "bearer".into(),
            user: Some(TokenUser {
                id: 7,
                email: "a@example.com".into(),
                name: None,
                created_at: "2026-01-01T00:00:00+00:00".into(),
                updated_at: "2026-01-01T00:00:00+00:00".into(),
            }),
        });
        let value = serde_json::to_value(&answer).unwrap();
        assert_eq!(value["id"], 7);
        assert_eq!(value["username"], "alice");
        let back: IntrospectionResponse = serde_json::from_value(value).unwrap();
        assert_eq!(back, answer);
    }
}
