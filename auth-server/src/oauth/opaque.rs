//! Opaque credentials: tokens, codes and client secrets are 256 random bits,
//! base64url without padding; only their SHA-256 digest is ever stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh credential, URL-safe so it survives query strings and forms.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest under which a credential is stored and looked up.
pub fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

/// Compares a presented credential with a stored digest in constant time,
/// so response timing does not reveal how much of a guess was right.
pub fn matches(stored_digest: &[u8], presented: &str) -> bool {
    Sha256::digest(presented.as_bytes())
        .as_slice()
        .ct_eq(stored_digest)
        .into()
}

/// How a credential is named in logs: a short prefix of its digest, which
/// identifies it to an operator without revealing it.
pub fn log_id(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_are_url_safe_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn matches_only_the_exact_credential() {
        let secret = generate();
        let stored = digest(&secret);
        assert!(matches(&stored, &secret));
        assert!(!matches(&stored, &secret[1..]));
        assert!(!matches(&stored, ""));
    }
}
