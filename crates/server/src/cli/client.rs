//! [`ApiClient`]: JSON requests to one project of a Sightline server, with the admin token, and
//! error answers turned into [`CliError`]s that say what went wrong.

use std::time::Duration;

use serde_json::Value;

use super::CliError;

/// How long one request may take (a set-commits upload of a long history included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest answer read, in bytes.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// A client of one project's API.
#[derive(Debug)]
pub struct ApiClient {
    agent: ureq::Agent,
    base: String,
    token: String,
    project: u64,
}

impl ApiClient {
    /// A client of project `project` on the server at `url`, authenticating with `token`.
    ///
    /// # Errors
    /// [`CliError::InvalidUrl`] unless `url` is `http://…` or `https://…`.
    pub fn new(url: &str, token: &str, project: u64) -> Result<Self, CliError> {
        let base = url.trim().trim_end_matches('/').to_owned();
        let valid = ["http://", "https://"].iter().any(|scheme| {
            base.strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty())
        });
        if !valid {
            return Err(CliError::InvalidUrl(url.to_owned()));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        Ok(Self {
            agent,
            base,
            token: token.to_owned(),
            project,
        })
    }

    /// The project's API path for `rest`: `/api/0/projects/{project}/{rest}`.
    pub fn project_path(&self, rest: &str) -> String {
        format!("/api/0/projects/{}/{rest}", self.project)
    }

    /// `GET path`; the JSON answer.
    ///
    /// # Errors
    /// [`CliError`] when the server is unreachable or answers with an error.
    pub fn get(&self, path: &str) -> Result<Value, CliError> {
        self.send("GET", path, None).map(|(_, body)| body)
    }

    /// `GET path`; `None` on 404.
    ///
    /// # Errors
    /// [`CliError`] when the server is unreachable or answers with another error.
    pub fn get_optional(&self, path: &str) -> Result<Option<Value>, CliError> {
        match self.send("GET", path, None) {
            Ok((_, body)) => Ok(Some(body)),
            Err(CliError::Server { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `POST path` with a JSON body; the status and JSON answer.
    ///
    /// # Errors
    /// [`CliError`] when the server is unreachable or answers with an error.
    pub fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), CliError> {
        self.send("POST", path, Some(body))
    }

    /// `PUT path` with a JSON body; the JSON answer.
    ///
    /// # Errors
    /// [`CliError`] when the server is unreachable or answers with an error.
    pub fn put(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.send("PUT", path, Some(body)).map(|(_, body)| body)
    }

    /// `DELETE path`; the status (an empty 204 answer is success).
    ///
    /// # Errors
    /// [`CliError`] when the server is unreachable or answers with an error.
    pub fn delete(&self, path: &str) -> Result<u16, CliError> {
        self.send("DELETE", path, None).map(|(status, _)| status)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), CliError> {
        let url = format!("{}{path}", self.base);
        let authorization = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("POST", Some(body)) => self
                .agent
                .post(&url)
                .header("Authorization", &authorization)
                .send_json(body),
            ("PUT", Some(body)) => self
                .agent
                .put(&url)
                .header("Authorization", &authorization)
                .send_json(body),
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &authorization)
                .call(),
            _ => self
                .agent
                .get(&url)
                .header("Authorization", &authorization)
                .call(),
        };
        let mut response = result.map_err(|error| CliError::Unreachable {
            url: self.base.clone(),
            reason: error.to_string(),
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|error| CliError::Unreachable {
                url: self.base.clone(),
                reason: format!("reading the answer to {method} {path}: {error}"),
            })?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if status == 204 {
            return Ok((status, Value::Null));
        }
        if (200..300).contains(&status) {
            return json
                .map(|json| (status, json))
                .ok_or_else(|| CliError::Server {
                    status,
                    what: format!("{method} {path}"),
                    message: "the answer is not JSON: is this a Sightline server?".to_owned(),
                });
        }
        let message = json
            .as_ref()
            .and_then(|json| json.get("error").or_else(|| json.get("detail")))
            .and_then(Value::as_str)
            .map_or_else(|| text.chars().take(500).collect(), str::to_owned);
        if status == 401 {
            return Err(CliError::Unauthorized {
                url: self.base.clone(),
                message,
            });
        }
        Err(CliError::Server {
            status,
            what: format!("{method} {path}"),
            message,
        })
    }
}

/// `text` as one URL path segment (a release version may hold `+`, `#`, `%` …).
pub fn path_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@!$&'()*+,;=:".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_become_path_segments() {
        assert_eq!(path_segment("shop@1.4.2+build"), "shop@1.4.2+build");
        assert_eq!(path_segment("a b/c#d"), "a%20b%2Fc%23d");
    }

    #[test]
    fn only_http_urls_are_servers() {
        assert!(ApiClient::new("http://127.0.0.1:8080/", "t", 1).is_ok());
        assert!(matches!(
            ApiClient::new("127.0.0.1:8080", "t", 1),
            Err(CliError::InvalidUrl(_))
        ));
    }
}
