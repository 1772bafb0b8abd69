//! Embed tokens: `sle1.<payload>.<signature>`, both base64url without padding; the payload is
//! JSON naming one replay, its project and the expiry (seconds since the Unix epoch), the
//! signature HMAC-SHA256 over `sle1.<payload>` with the server's embed signing key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// The prefix that marks an embed token.
pub const PREFIX: &str = "sle1.";

/// Longest embed token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Default lifetime of an embed token, in seconds.
pub const DEFAULT_EXPIRES_IN: u64 = 3600;

/// Longest lifetime of an embed token, in seconds (30 days).
pub const MAX_EXPIRES_IN: u64 = 30 * 24 * 3600;

/// What an embed token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedGrant {
    /// The replay.
    #[serde(rename = "r")]
    pub replay_id: String,
    /// Its project.
    #[serde(rename = "p")]
    pub project_id: u64,
    /// Expiry, seconds since the Unix epoch.
    #[serde(rename = "e")]
    pub expires_at: u64,
    /// When it was issued, ms since the Unix epoch (0 in tokens from before revocation
    /// existed): revoking a replay's embed tokens refuses every token issued until then.
    #[serde(rename = "i", default)]
    pub issued_at_ms: u64,
}

/// Why an embed token was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmbedTokenError {
    /// Not `sle1.<payload>.<signature>` or longer than [`MAX_TOKEN_BYTES`].
    #[error("malformed embed token")]
    Malformed,
    /// The signature does not match.
    #[error("embed token signature is not valid")]
    BadSignature,
    /// The expiry has passed.
    #[error("embed token expired")]
    Expired,
    /// The replay's embed tokens were revoked after this one was issued.
    #[error("embed token revoked")]
    Revoked,
}

/// Signs `grant` with `key`.
pub fn sign(grant: &EmbedGrant, key: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(grant).unwrap_or_default());
    let signed = format!("{PREFIX}{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(key, signed.as_bytes()));
    format!("{signed}.{signature}")
}

/// The grant of `token` if its signature matches `key` and it has not expired at `now_secs`.
///
/// # Errors
/// [`EmbedTokenError`].
pub fn verify(token: &str, key: &[u8], now_secs: u64) -> Result<EmbedGrant, EmbedTokenError> {
    if token.len() > MAX_TOKEN_BYTES || !token.starts_with(PREFIX) {
        return Err(EmbedTokenError::Malformed);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(EmbedTokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| EmbedTokenError::Malformed)?;
    let mut check = Hmac::<Sha256>::new_from_slice(key).map_err(|_| EmbedTokenError::Malformed)?;
    check.update(signed.as_bytes());
    check
        .verify_slice(&signature)
        .map_err(|_| EmbedTokenError::BadSignature)?;
    let payload = signed
        .strip_prefix(PREFIX)
        .ok_or(EmbedTokenError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| EmbedTokenError::Malformed)?;
    let grant: EmbedGrant =
        serde_json::from_slice(&payload).map_err(|_| EmbedTokenError::Malformed)?;
    if grant.expires_at <= now_secs {
        return Err(EmbedTokenError::Expired);
    }
    Ok(grant)
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn grant() -> EmbedGrant {
        EmbedGrant {
            replay_id: "a".repeat(32),
            project_id: 1,
            expires_at: 1000,
            issued_at_ms: 0,
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let token = sign(&grant(), b"key");
        assert!(token.starts_with(PREFIX));
        assert_eq!(verify(&token, b"key", 999), Ok(grant()));
        assert_eq!(verify(&token, b"key", 1000), Err(EmbedTokenError::Expired));
        assert_eq!(
            verify(&token, b"other key", 999),
            Err(EmbedTokenError::BadSignature)
        );
    }

    #[test]
    fn a_changed_payload_breaks_the_signature() {
        let token = sign(&grant(), b"key");
        let mut other = grant();
        other.replay_id = "b".repeat(32);
        let forged_payload = sign(&other, b"key");
        let (_, signature) = token.rsplit_once('.').unwrap();
        let (signed, _) = forged_payload.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&format!("{signed}.{signature}"), b"key", 1),
            Err(EmbedTokenError::BadSignature)
        );
        assert_eq!(verify("sle1.x", b"key", 1), Err(EmbedTokenError::Malformed));
        assert_eq!(verify("nope", b"key", 1), Err(EmbedTokenError::Malformed));
    }
}
