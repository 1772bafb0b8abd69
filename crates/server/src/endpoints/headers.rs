//! Security headers on every response: viewer pages and assets get a Content-Security-Policy
//! (frame-ancestors from `--frame-ancestors`), `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: strict-origin-when-cross-origin`; API responses get nosniff and
//! `Cache-Control: no-store` (unless the handler chose a cache policy, as immutable segments do).
//!
//! HTML pages may carry inline `<script>` blocks (the viewer's loader, the player demo): their
//! SHA-256 hashes are added to `script-src`, so no `'unsafe-inline'` is needed for scripts.
//! Styles may be inline and the replayed page's images, fonts, media and stylesheets may come
//! from anywhere: the player renders recorded markup in a sandboxed frame that inherits this
//! policy.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Largest HTML page whose inline scripts are hashed; bigger pages get no inline scripts.
const MAX_HASHED_HTML_BYTES: usize = 4 * 1024 * 1024;

/// Most inline scripts hashed per page.
const MAX_INLINE_SCRIPTS: usize = 32;

/// Marks a response whose body is one of the project's HTML files, read from disk as is.
#[derive(Debug, Clone, Copy)]
pub struct AssetHtml;

/// Adds the security headers to the response of `request`.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if is_api {
        let mut response = response;
        let headers = response.headers_mut();
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if !headers.contains_key(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        return response;
    }
    // Only the project's own HTML files get their inline scripts allowed: a page built from
    // request data must never have an injected script hashed into its policy.
    let is_asset_html = response.extensions().get::<AssetHtml>().is_some();
    let frame_ancestors = state.access().config().frame_ancestors.clone();
    let (mut response, hashes) = if is_asset_html {
        hash_inline_scripts(response).await
    } else {
        (response, Vec::new())
    };
    let headers = response.headers_mut();
    set_page_headers(headers, &policy(&frame_ancestors, &hashes));
    response
}

fn set_page_headers(headers: &mut HeaderMap, policy: &str) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let value = HeaderValue::from_str(policy).unwrap_or_else(|_| {
        // A frame-ancestors value with bytes a header cannot hold: fall back to 'self'.
        HeaderValue::from_str(&self::policy("'self'", &[]))
            .unwrap_or(HeaderValue::from_static("default-src 'self'"))
    });
    headers.insert(CONTENT_SECURITY_POLICY, value);
}

/// The Content-Security-Policy of viewer pages with these inline script hashes.
pub fn policy(frame_ancestors: &str, script_hashes: &[String]) -> String {
    let hashes: String = script_hashes
        .iter()
        .map(|hash| format!(" 'sha256-{hash}'"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline' http: https: data: blob:; \
         img-src * data: blob:; font-src * data: blob:; media-src * data: blob:; \
         connect-src 'self'; frame-src 'self' blob: data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Buffers an HTML response and returns it with the base64 SHA-256 of each inline script.
async fn hash_inline_scripts(response: Response) -> (Response, Vec<String>) {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_HASHED_HTML_BYTES).await else {
        parts.headers.remove(CONTENT_LENGTH);
        return (Response::from_parts(parts, Body::empty()), Vec::new());
    };
    let hashes = inline_scripts(&String::from_utf8_lossy(&bytes))
        .into_iter()
        .map(|script| STANDARD.encode(Sha256::digest(script.as_bytes())))
        .collect();
    (Response::from_parts(parts, Body::from(bytes)), hashes)
}

/// The text of each `<script>` element without a `src` attribute.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while scripts.len() < MAX_INLINE_SCRIPTS {
        let Some(start) = find_ascii_ci(rest, "<script") else {
            break;
        };
        let after = &rest[start + "<script".len()..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attributes = &after[..tag_end];
        let content = &after[tag_end + 1..];
        let Some(end) = find_ascii_ci(content, "</script") else {
            break;
        };
        if !attributes.to_ascii_lowercase().contains("src=") {
            scripts.push(&content[..end]);
        }
        rest = &content[end..];
    }
    scripts
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = "<p><SCRIPT type=module>a()</SCRIPT><script src=x.js></script>\
                    <script>\n b() \n</script>";
        assert_eq!(inline_scripts(html), vec!["a()", "\n b() \n"]);
        assert!(inline_scripts("<script>never closed").is_empty());
    }

    #[test]
    fn policy_names_hashes_and_frame_ancestors() {
        let policy = policy("'self' https://dash.example", &["abc=".to_owned()]);
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='"));
        assert!(policy.ends_with("frame-ancestors 'self' https://dash.example"));
        assert!(policy.contains("object-src 'none'"));
    }
}
