//! Which service sent a transaction, span, log or event.

use serde_json::Value;

use super::MAX_NAME_CHARS;
use super::bounded::truncate;

/// The service named by a payload: its `service` tag, else its server name, else the name
/// part of its release (`billing@2.0.0` → `billing`), else `project {project_id}`.
///
/// `tags` is a payload's `tags` (an object, or Sentry's list of `[key, value]` pairs).
pub fn service_of(
    tags: Option<&Value>,
    server_name: Option<&str>,
    release: Option<&str>,
    project_id: u64,
) -> String {
    let tagged = tags.and_then(|tags| tag(tags, "service"));
    let released = release.and_then(|release| release.split('@').next());
    [tagged, server_name, released]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|name| !name.is_empty())
        .map_or_else(
            || format!("project {project_id}"),
            |name| truncate(name, MAX_NAME_CHARS),
        )
}

/// The value of tag `key` in an object of tags or a list of pairs.
fn tag<'a>(tags: &'a Value, key: &str) -> Option<&'a str> {
    match tags {
        Value::Object(map) => map.get(key)?.as_str(),
        Value::Array(pairs) => pairs.iter().find_map(|pair| {
            let pair = pair.as_array()?;
            (pair.first()?.as_str()? == key)
                .then(|| pair.get(1)?.as_str())
                .flatten()
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tag_then_server_name_then_release_then_project() {
        let tags = json!({"service": "billing"});
        assert_eq!(service_of(Some(&tags), Some("host"), None, 1), "billing");
        let pairs = json!([["region", "eu"], ["service", "auth"]]);
        assert_eq!(service_of(Some(&pairs), None, None, 1), "auth");
        assert_eq!(service_of(None, Some("host-1"), Some("a@1"), 1), "host-1");
        assert_eq!(
            service_of(Some(&json!({})), None, Some("shop@1.4.2"), 1),
            "shop"
        );
        assert_eq!(service_of(None, Some(" "), None, 7), "project 7");
    }
}
