//! The shop page: `www/demo/index.html` with the recorder's loader pointed at Sightline, and the
//! page's other files from `www/demo/`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// Replaced by the Sightline base URL the loader script comes from (`{sdk}/sdk/sightline.js`).
pub const SDK_PLACEHOLDER: &str = "%SIGHTLINE_SDK%";
/// Replaced by the DSN the recorder uploads with.
pub const DSN_PLACEHOLDER: &str = "%SIGHTLINE_DSN%";
/// Replaced by the shop's release.
pub const RELEASE_PLACEHOLDER: &str = "%SHOP_RELEASE%";
/// Replaced by the shop's environment.
pub const ENVIRONMENT_PLACEHOLDER: &str = "%SHOP_ENVIRONMENT%";

/// Largest page template the shop reads.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// What the page is filled in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSettings {
    /// Base URL of the Sightline server serving `/sdk/sightline.js`, without a trailing slash.
    pub sdk_base: String,
    /// The Sightline DSN the recorder uploads with.
    pub dsn: String,
    /// Release of the shop (page and backend ship together).
    pub release: String,
    /// Environment of the shop.
    pub environment: String,
}

/// The page settings and where the page's files are.
#[derive(Debug, Clone)]
pub struct Page {
    settings: Arc<PageSettings>,
    dir: PathBuf,
}

impl Page {
    /// The page of `www/demo/` under the project root `assets`, filled in with `settings`.
    pub fn new(settings: PageSettings, assets: &std::path::Path) -> Self {
        Self {
            settings: Arc::new(settings),
            dir: assets.join("www").join("demo"),
        }
    }

    /// The directory holding the page's files.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The shop's release.
    pub fn release(&self) -> &str {
        &self.settings.release
    }
}

/// `GET /`: the shop page with the loader filled in.
pub async fn index(State(page): State<Page>) -> Response {
    let path = page.dir.join("index.html");
    let template = match read_template(&path).await {
        Ok(template) => template,
        Err(message) => {
            tracing::error!(path = %path.display(), %message, "cannot serve the shop page");
            return (StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
        }
    };
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        render(&template, &page.settings),
    )
        .into_response()
}

async fn read_template(path: &std::path::Path) -> Result<String, String> {
    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    if metadata.len() > MAX_TEMPLATE_BYTES {
        return Err(format!("{} is larger than 1 MiB", path.display()));
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))
}

/// `template` with every placeholder replaced by its setting, escaped for an HTML attribute.
pub fn render(template: &str, settings: &PageSettings) -> String {
    [
        (SDK_PLACEHOLDER, &settings.sdk_base),
        (DSN_PLACEHOLDER, &settings.dsn),
        (RELEASE_PLACEHOLDER, &settings.release),
        (ENVIRONMENT_PLACEHOLDER, &settings.environment),
    ]
    .into_iter()
    .fold(template.to_owned(), |html, (placeholder, value)| {
        html.replace(placeholder, &escape_attribute(value))
    })
}

/// `value` safe inside a double- or single-quoted HTML attribute.
fn escape_attribute(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PageSettings {
        PageSettings {
            sdk_base: "http://127.0.0.1:8080".into(),
            dsn: "http://abc@127.0.0.1:8080/1".into(),
            release: "shop@1.4.2".into(),
            environment: "demo".into(),
        }
    }

    #[test]
    fn the_loader_points_at_sightline_with_the_shops_release() {
        let html = render(
            r#"<script src="%SIGHTLINE_SDK%/sdk/sightline.js" data-dsn="%SIGHTLINE_DSN%" data-release="%SHOP_RELEASE%" data-environment="%SHOP_ENVIRONMENT%"></script>"#,
            &settings(),
        );
        assert_eq!(
            html,
            r#"<script src="http://127.0.0.1:8080/sdk/sightline.js" data-dsn="http://abc@127.0.0.1:8080/1" data-release="shop@1.4.2" data-environment="demo"></script>"#
        );
    }

    #[test]
    fn settings_cannot_break_out_of_the_attribute() {
        let mut settings = settings();
        settings.release = r#""><script>alert(1)</script>"#.into();
        let html = render(
            r#"<script data-release="%SHOP_RELEASE%"></script>"#,
            &settings,
        );
        assert_eq!(
            html,
            r#"<script data-release="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"></script>"#
        );
    }
}
