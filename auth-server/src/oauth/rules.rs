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

/// Grants a client may be registered with.
pub const REGISTRABLE_GRANTS: &[&str] = &[
    "authorization_code",
    "password",
    "refresh_token",
    "client_credentials",
];

/// The only grants a public client (one without a secret) may use: it
/// cannot prove who it is, so it may act only for a user who signed in and
/// consented, with PKCE binding the code to it.
pub const PUBLIC_CLIENT_GRANTS: &[&str] = &["authorization_code", "refresh_token"];

/// Whether a requested redirect URI matches a registered one: the exact
/// string, except that a loopback `http` URI may name any port (RFC 8252
/// §7.3: native apps listen on an ephemeral port). Never a prefix or a
/// pattern, so a code cannot be sent anywhere else.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(mut registered), Ok(mut requested)) =
        (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    if registered.scheme() != "http" || !is_loopback(&registered) {
        return false;
    }
    // Ports aside, the two must be the same URL.
    let _ = registered.set_port(None);
    let _ = requested.set_port(None);
    registered == requested
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Why a redirect URI cannot be registered, if it cannot: an absolute URI
/// without a fragment (RFC 6749 §3.1.2), `https`, `http` on a loopback
/// address only, or a private-use scheme in reverse-domain form (RFC 8252
/// §7.1). Never `javascript:`, `data:` or `file:`.
pub fn redirect_uri_problem(uri: &str) -> Option<&'static str> {
    let Ok(url) = url::Url::parse(uri) else {
        return Some("is not an absolute URL");
    };
    if url.fragment().is_some() {
        return Some("must not contain a fragment");
    }
    match url.scheme() {
        "https" if url.host().is_some() => None,
        "http" if is_loopback(&url) => None,
        "http" => Some("must use https (plain http only on a loopback address)"),
        "javascript" | "data" | "file" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            Some("uses a scheme that cannot receive a redirect")
        }
        scheme if scheme.contains('.') => None,
        _ => Some("must be https, loopback http, or an app scheme in reverse-domain form"),
    }
}

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
    fn redirects_match_exactly_except_loopback_ports() {
        let app = "https://app.example/callback";
        assert!(redirect_matches(app, app));
        assert!(!redirect_matches(app, "https://app.example/callback/"));
        assert!(!redirect_matches(app, "https://app.example/callback?x=1"));
        assert!(!redirect_matches(app, "https://app.example:8443/callback"));
        assert!(!redirect_matches(app, "https://app.example.evil/callback"));

        let native = "http://127.0.0.1/callback";
        assert!(redirect_matches(native, "http://127.0.0.1:51234/callback"));
        assert!(redirect_matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        assert!(redirect_matches(
            "http://localhost/cb",
            "http://localhost:4000/cb"
        ));
        assert!(!redirect_matches(native, "http://127.0.0.1:51234/other"));
        assert!(!redirect_matches(native, "http://127.0.0.2:51234/callback"));
        assert!(!redirect_matches(
            native,
            "https://127.0.0.1:51234/callback"
        ));
        assert!(!redirect_matches(
            "http://10.0.0.1/callback",
            "http://10.0.0.1:8080/callback"
        ));
    }

    #[test]
    fn only_safe_redirect_uris_register() {
        assert_eq!(redirect_uri_problem("https://app.example/cb"), None);
        assert_eq!(redirect_uri_problem("http://127.0.0.1/cb"), None);
        assert_eq!(redirect_uri_problem("com.example.app:/oauth"), None);
        assert!(redirect_uri_problem("http://app.example/cb").is_some());
        assert!(redirect_uri_problem("https://app.example/cb#x").is_some());
        assert!(redirect_uri_problem("javascript:alert(1)").is_some());
        assert!(redirect_uri_problem("/relative").is_some());
        assert!(redirect_uri_problem("myapp:/cb").is_some());
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
