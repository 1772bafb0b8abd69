//! Calls to the server's read API with the browser's `fetch`, authenticated with the admin token.

use serde::de::DeserializeOwned;
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use crate::api::ApiError;
use crate::app::Auth;
use crate::loose::{FromLoose, Loose};
use crate::token::bearer;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server refused the token (HTTP 401): ask for a new one.
    #[error("the server did not accept the token")]
    Unauthorized,
    /// The server answered with another error status.
    #[error("HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's error message, or the status text.
        message: String,
    },
    /// The request did not complete.
    #[error("network error: {0}")]
    Network(String),
    /// The response body was not what the API promises.
    #[error("unexpected response: {0}")]
    Body(String),
}

fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

async fn send(path: &str, token: &str) -> Result<Response, FetchError> {
    send_with(path, token, "GET", None).await
}

async fn send_with(
    path: &str,
    token: &str,
    method: &str,
    json: Option<&str>,
) -> Result<Response, FetchError> {
    let network = |e: JsValue| FetchError::Network(js_message(&e));
    let headers = Headers::new().map_err(network)?;
    headers
        .set("Authorization", &bearer(token))
        .map_err(network)?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(json) = json {
        headers
            .set("Content-Type", "application/json")
            .map_err(network)?;
        init.set_body(&JsValue::from_str(json));
    }
    init.set_headers_headers(&headers);
    let request = Request::new_with_str_and_init(path, &init).map_err(network)?;
    let window = web_sys::window().ok_or_else(|| FetchError::Network("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)?;
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(FetchError::Unauthorized),
        status => {
            let message = json_body::<ApiError>(&response)
                .await
                .ok()
                .and_then(ApiError::into_message)
                .unwrap_or_else(|| response.status_text());
            Err(FetchError::Status { status, message })
        }
    }
}

/// `GET path` and parses the JSON body.
///
/// # Errors
/// Any [`FetchError`].
pub async fn get_json<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, FetchError> {
    let response = send(path, token).await?;
    json_body(&response).await
}

/// `GET path` and returns the parsed JSON as a JS value, for responses read as several types
/// (see [`from_value`]).
///
/// # Errors
/// Any [`FetchError`].
pub async fn get_value(path: &str, token: &str) -> Result<JsValue, FetchError> {
    let response = send(path, token).await?;
    let promise = response
        .json()
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| FetchError::Body(js_message(&e)))
}

/// Reads a JS value from [`get_value`] as `T`.
///
/// # Errors
/// [`FetchError::Body`] when it is not a `T`.
pub fn from_value<T: DeserializeOwned>(value: &JsValue) -> Result<T, FetchError> {
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| FetchError::Body(e.to_string()))
}

/// Parses a response body with the browser's own JSON parser, then converts the JS value into `T`
/// with serde-wasm-bindgen (no JSON parser of our own in the bundle).
async fn json_body<T: DeserializeOwned>(response: &Response) -> Result<T, FetchError> {
    let promise = response
        .json()
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    let value = JsFuture::from(promise)
        .await
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| FetchError::Body(e.to_string()))
}

/// `GET path` and returns the body's bytes.
///
/// # Errors
/// Any [`FetchError`].
pub async fn get_bytes(path: &str, token: &str) -> Result<Vec<u8>, FetchError> {
    let response = send(path, token).await?;
    let promise = response
        .array_buffer()
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A resource with the JSON answer of `GET path()` as a JS value (read it with [`from_value`]),
/// refetched when the path or the token changes (no path: nothing is fetched, the value is
/// `null`); a refused token brings up the token form.
/// Every page shares this one resource type, which keeps the bundle smaller than a resource per
/// response type.
pub fn api_resource(
    path: impl Fn() -> Option<String> + 'static,
) -> leptos::prelude::LocalResource<Result<JsValue, FetchError>> {
    use leptos::prelude::*;
    let auth = expect_context::<Auth>();
    let resource = LocalResource::new(move || {
        let token = auth.token();
        let path = path();
        async move {
            match (path, token) {
                (None, _) => Ok(JsValue::NULL),
                (Some(path), Some(token)) => get_value(&path, &token).await,
                (Some(_), None) => Err(FetchError::Unauthorized),
            }
        }
    });
    Effect::new(move || {
        if resource.with(|r| matches!(r, Some(Err(FetchError::Unauthorized)))) {
            auth.reject();
        }
    });
    resource
}

/// What an [`api_resource`] holds, read as `T` (see [`FromLoose`]): `None` while loading.
pub fn resource_value<T: FromLoose>(
    loaded: Option<Result<JsValue, FetchError>>,
) -> Option<Result<T, FetchError>> {
    loaded.map(|answer| answer.and_then(|value| from_loose(&value)))
}

/// Reads a JS value from [`get_value`] as `T` through one bounded [`Loose`] decoder.
///
/// # Errors
/// [`FetchError::Body`] when it is not JSON data at all.
pub fn from_loose<T: FromLoose>(value: &JsValue) -> Result<T, FetchError> {
    let loose: Loose = from_value(value)?;
    Ok(T::from_loose(&loose))
}

/// `PUT path` with a JSON body and reads the answer as `T`.
///
/// # Errors
/// Any [`FetchError`].
pub async fn put_loose<T: FromLoose>(path: &str, token: &str, body: &str) -> Result<T, FetchError> {
    let response = send_with(path, token, "PUT", Some(body)).await?;
    let value: Loose = json_body(&response).await?;
    Ok(T::from_loose(&value))
}
