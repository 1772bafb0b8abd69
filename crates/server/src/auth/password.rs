//! Password hashing: argon2id PHC strings with the crate's default cost (19 MiB, 2 passes).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use thiserror::Error;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Longest password accepted, in bytes (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password was not accepted or could not be hashed.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// The hasher failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Hashes `password` with argon2id and a random salt, after checking its length.
///
/// # Errors
/// [`PasswordError`].
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    hash_unchecked(password)
}

fn hash_unchecked(password: &str) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|error| PasswordError::Hash(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hash(error.to_string()))
}

/// Whether `password` matches the PHC string `hash`; with no hash (an unknown user or an
/// account without a password) the same work is done against a fixed hash and the answer is
/// false, so the time taken does not tell which emails exist.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_unchecked("not the password").unwrap_or_default());
    let (phc, real) = match hash {
        Some(hash) => (hash, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse!", Some(&hash)));
        assert!(!verify_password("correct horse", None));
        assert!(!verify_password("correct horse", Some("garbage")));
    }

    #[test]
    fn lengths_are_bounded() {
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(hash_password(&long), Err(PasswordError::TooLong));
    }
}
