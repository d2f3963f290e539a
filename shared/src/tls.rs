//! The process-wide TLS crypto provider.
//!
//! reqwest is built with `rustls-no-provider` (the default provider,
//! aws-lc-rs, is a slow C build on small machines), so every process that
//! builds a reqwest client must install a provider first, or the build
//! panics. Cargo unifies features across the workspace, so this holds for
//! test binaries too, including ones whose own crate never asked for TLS.

/// Installs ring as the process's rustls provider; a no-op when one is
/// already installed. Call before building any HTTP client.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing it is fine: one is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
