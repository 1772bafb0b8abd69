//! Key-name matching: which object keys (and pair names: headers, tags, query parameters) hold
//! values to scrub, like Sentry's data scrubber. Names are compared lowercased with everything
//! but letters and digits removed, so `X-Api-Key`, `api_key` and `apiKey` are all `apikey`.

/// The built-in sensitive names, normalized; a key containing any of them is sensitive.
pub const DEFAULT_SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "mysqlpwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "auth",
    "credential",
    "session",
    "cookie",
    "csrf",
    "xsrf",
    "privatekey",
    "jwt",
];

/// `name` lowercased with everything but ASCII letters and digits removed.
pub fn normalized(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    normalize_into(name, &mut out);
    out
}

/// Writes `name` normalized (see [`normalized`]) into `out`, replacing what it held.
fn normalize_into(name: &str, out: &mut String) {
    out.clear();
    out.extend(
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase()),
    );
}

/// What a key's name says about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// A safe field: nothing under it is scrubbed.
    Safe,
    /// A sensitive name: the value is replaced.
    Sensitive,
    /// Neither: the value is walked.
    Plain,
}

/// The key names of one project: the sensitive ones (built-in unless turned off, plus the
/// project's `sensitive_fields`) and the safe ones (`safe_fields`), all normalized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRules {
    sensitive: Vec<String>,
    safe: Vec<String>,
}

impl KeyRules {
    /// Rules from the built-in names (when `defaults`) and the project's lists.
    pub fn new(defaults: bool, sensitive_fields: &[String], safe_fields: &[String]) -> Self {
        let builtin = DEFAULT_SENSITIVE
            .iter()
            .filter(|_| defaults)
            .map(|name| (*name).to_owned());
        let sensitive = builtin
            .chain(sensitive_fields.iter().map(|name| normalized(name)))
            .filter(|name| !name.is_empty())
            .collect();
        let safe = safe_fields
            .iter()
            .map(|name| normalized(name))
            .filter(|name| !name.is_empty())
            .collect();
        Self { sensitive, safe }
    }

    /// What `key` is, using `buffer` for its normalized form (no allocation per key).
    pub fn classify(&self, key: &str, buffer: &mut String) -> KeyClass {
        if self.sensitive.is_empty() && self.safe.is_empty() {
            return KeyClass::Plain;
        }
        normalize_into(key, buffer);
        if self.safe.contains(buffer) {
            KeyClass::Safe
        } else if self
            .sensitive
            .iter()
            .any(|name| buffer.contains(name.as_str()))
        {
            KeyClass::Sensitive
        } else {
            KeyClass::Plain
        }
    }

    /// Whether values under `key` are scrubbed: it contains a sensitive name and is not safe.
    pub fn is_sensitive(&self, key: &str) -> bool {
        if self.sensitive.is_empty() {
            return false;
        }
        let key = normalized(key);
        !self.safe.contains(&key) && self.sensitive.iter().any(|name| key.contains(name))
    }

    /// Whether `key` is a safe field: nothing under it is scrubbed.
    pub fn is_safe(&self, key: &str) -> bool {
        !self.safe.is_empty() && self.safe.contains(&normalized(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn built_in_names_match_anywhere_in_the_key_whatever_the_spelling() {
        let rules = KeyRules::new(true, &[], &[]);
        for key in [
            "password",
            "db_password",
            "Authorization",
            "X-Api-Key",
            "apiKey",
            "Set-Cookie",
            "csrftoken",
            "SESSION_ID",
            "private_key",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(rules.is_sensitive(key), "{key}");
        }
        for key in ["user", "email", "path", "total", "Content-Type", "PWD"] {
            assert!(!rules.is_sensitive(key), "{key}");
        }
    }

    #[test]
    fn project_fields_add_and_exempt_names() {
        let rules = KeyRules::new(true, &names(&["card-pin"]), &names(&["session_id"]));
        assert!(rules.is_sensitive("CARD_PIN"));
        assert!(!rules.is_sensitive("session_id"));
        assert!(rules.is_safe("Session-Id"));
        assert!(
            rules.is_sensitive("session"),
            "only the exact safe name is exempt"
        );
        let only_custom = KeyRules::new(false, &names(&["pin"]), &[]);
        assert!(!only_custom.is_sensitive("password"));
        assert!(only_custom.is_sensitive("pin_code"));
    }
}
