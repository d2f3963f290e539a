//! Protocol rules as plain functions, tested without HTTP or a database.

use chrono::{DateTime, Utc};

use crate::store::token::RefreshRecord;

/// What presenting a stored refresh token means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshCheck {
    Usable,
    /// Past its expiry: wallabag's "Refresh token has expired".
    Expired,
    /// Already rotated: someone kept a copy. The whole family must go.
    Reused,
    /// Revoked, or its user disabled: as good as unknown.
    Unusable,
}

/// Classifies a refresh token. Reuse is checked before expiry: a replayed
/// token revokes its family even when it has since expired, because its
/// successors may still be alive.
pub fn check_refresh(record: &RefreshRecord, now: DateTime<Utc>) -> RefreshCheck {
    if record.revoked || record.user_disabled {
        RefreshCheck::Unusable
    } else if record.used {
        RefreshCheck::Reused
    } else if now > record.expires_at {
        RefreshCheck::Expired
    } else {
        RefreshCheck::Usable
    }
}

/// The grant types wallabag's token endpoint recognises (wallabag-api.md
/// §3.2): the five names, or an extension URI. Anything else counts as a
/// missing `grant_type`.
pub fn is_recognised_grant_type(value: &str) -> bool {
    matches!(
        value,
        "authorization_code" | "token" | "password" | "client_credentials" | "refresh_token"
    ) || value.starts_with("urn:")
        || ((value.starts_with("http://") || value.starts_with("https://"))
            && value.len() > "https://".len())
}

/// Grants a client may be registered with today.
pub const REGISTRABLE_GRANTS: &[&str] = &["password", "refresh_token", "client_credentials"];

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn record(used: bool, revoked: bool, expires_in: i64) -> RefreshRecord {
        RefreshRecord {
            family_id: 1,
            client_id: "1_a".into(),
            user_id: 1,
            scope: String::new(),
            expires_at: Utc::now() + Duration::seconds(expires_in),
            used,
            revoked,
            user_disabled: false,
        }
    }

    #[test]
    fn a_fresh_token_is_usable() {
        assert_eq!(
            check_refresh(&record(false, false, 60), Utc::now()),
            RefreshCheck::Usable
        );
    }

    #[test]
    fn a_used_token_is_reuse_even_after_expiry() {
        assert_eq!(
            check_refresh(&record(true, false, 60), Utc::now()),
            RefreshCheck::Reused
        );
        assert_eq!(
            check_refresh(&record(true, false, -60), Utc::now()),
            RefreshCheck::Reused
        );
    }

    #[test]
    fn an_expired_token_says_so() {
        assert_eq!(
            check_refresh(&record(false, false, -1), Utc::now()),
            RefreshCheck::Expired
        );
    }

    #[test]
    fn a_revoked_family_stays_revoked() {
        assert_eq!(
            check_refresh(&record(true, true, 60), Utc::now()),
            RefreshCheck::Unusable
        );
    }

    #[test]
    fn grant_type_pattern_follows_wallabag() {
        assert!(is_recognised_grant_type("password"));
        assert!(is_recognised_grant_type(
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ));
        assert!(is_recognised_grant_type("https://example.com/grant"));
        assert!(!is_recognised_grant_type("https://"));
        assert!(!is_recognised_grant_type("Password"));
        assert!(!is_recognised_grant_type(""));
    }
}
