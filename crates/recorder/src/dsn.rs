//! The DSN: where a page's recording is uploaded and with which key.
//!
//! A DSN looks like `https://{public_key}@{host[:port]}/{project_id}`, the same shape as a Sentry
//! DSN; the recorder uploads each segment to
//! `{scheme}://{host[:port]}/api/{project_id}/replay/?sentry_key={public_key}`.

use thiserror::Error;

/// Why a DSN string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DsnError {
    /// The scheme is neither `http` nor `https`.
    #[error("DSN must start with http:// or https://")]
    Scheme,
    /// There is no `public_key@` before the host.
    #[error("DSN has no public key (expected https://KEY@HOST/PROJECT)")]
    MissingKey,
    /// The host part is empty.
    #[error("DSN has no host")]
    MissingHost,
    /// The path is not a single numeric project id.
    #[error("DSN must end with a numeric project id")]
    ProjectId,
}

/// A parsed DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The project's public key, sent as `sentry_key`.
    pub public_key: String,
    /// Host with optional port, such as `127.0.0.1:8080`.
    pub host: String,
    /// The project id.
    pub project_id: u64,
}

impl Dsn {
    /// Parses a DSN string, ignoring surrounding whitespace and a trailing slash.
    ///
    /// # Errors
    /// A [`DsnError`] naming the part that is missing or malformed.
    pub fn parse(dsn: &str) -> Result<Self, DsnError> {
        let dsn = dsn.trim();
        let (scheme, rest) = if let Some(rest) = dsn.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = dsn.strip_prefix("http://") {
            ("http", rest)
        } else {
            return Err(DsnError::Scheme);
        };
        let (authority, path) = rest.split_once('/').ok_or(DsnError::ProjectId)?;
        let (key, host) = authority.rsplit_once('@').ok_or(DsnError::MissingKey)?;
        // A Sentry DSN may carry a legacy secret after the key (`key:secret@`); only the key counts.
        let key = key.split(':').next().unwrap_or_default();
        if key.is_empty() {
            return Err(DsnError::MissingKey);
        }
        if host.is_empty() {
            return Err(DsnError::MissingHost);
        }
        let project = path.strip_suffix('/').unwrap_or(path);
        if project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DsnError::ProjectId);
        }
        let project_id = project.parse().map_err(|_| DsnError::ProjectId)?;
        Ok(Self {
            scheme,
            public_key: key.to_owned(),
            host: host.to_owned(),
            project_id,
        })
    }

    /// The URL segments are POSTed to.
    pub fn upload_url(&self) -> String {
        let mut url = String::with_capacity(self.host.len() + self.public_key.len() + 48);
        url.push_str(self.scheme);
        url.push_str("://");
        url.push_str(&self.host);
        url.push_str("/api/");
        url.push_str(&self.project_id.to_string());
        url.push_str("/replay/?sentry_key=");
        url.push_str(&self.public_key);
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_url_keeps_scheme_host_port_project_and_key() -> Result<(), DsnError> {
        let dsn = Dsn::parse("http://abc123@127.0.0.1:8080/1")?;
        assert_eq!(
            dsn.upload_url(),
            "http://127.0.0.1:8080/api/1/replay/?sentry_key=abc123"
        );
        let dsn = Dsn::parse(" https://k@sightline.example/42/ ")?;
        assert_eq!(dsn.project_id, 42);
        assert_eq!(
            dsn.upload_url(),
            "https://sightline.example/api/42/replay/?sentry_key=k"
        );
        Ok(())
    }

    #[test]
    fn legacy_secret_is_dropped() -> Result<(), DsnError> {
        let dsn = Dsn::parse("https://public:secret@host/7")?;
        assert_eq!(dsn.public_key, "public");
        Ok(())
    }

    #[test]
    fn malformed_dsns_say_what_is_wrong() {
        assert_eq!(Dsn::parse("ftp://k@h/1"), Err(DsnError::Scheme));
        assert_eq!(Dsn::parse("k@h/1"), Err(DsnError::Scheme));
        assert_eq!(Dsn::parse("https://host/1"), Err(DsnError::MissingKey));
        assert_eq!(Dsn::parse("https://@host/1"), Err(DsnError::MissingKey));
        assert_eq!(Dsn::parse("https://k@/1"), Err(DsnError::MissingHost));
        assert_eq!(Dsn::parse("https://k@host"), Err(DsnError::ProjectId));
        assert_eq!(Dsn::parse("https://k@host/"), Err(DsnError::ProjectId));
        assert_eq!(Dsn::parse("https://k@host/abc"), Err(DsnError::ProjectId));
        assert_eq!(Dsn::parse("https://k@host/1/2"), Err(DsnError::ProjectId));
        assert_eq!(
            Dsn::parse("https://k@host/99999999999999999999999"),
            Err(DsnError::ProjectId)
        );
    }
}
