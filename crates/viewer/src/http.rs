//! Calls to the server's API with the browser's `fetch`: the viewer's own pages with the
//! session cookie (and the CSRF token on state changes), an embedded player with its bearer
//! token and no cookies; and the sign-in calls (login, session, logout).

use serde::de::DeserializeOwned;
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

use crate::api::ApiError;
use crate::app::Auth;
use crate::loose::{FromLoose, Loose};
use crate::session::{
    Credential, LOGIN_PATH, LOGOUT_PATH, LoginFailure, LoginRequest, SESSION_PATH, Session,
};

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server refused the credential (HTTP 401): sign in again.
    #[error("not signed in")]
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

async fn send(path: &str, credential: &Credential) -> Result<Response, FetchError> {
    send_with(path, credential, "GET", None).await
}

/// `fetch` with `method`, the credential's headers and cookie mode, and an optional JSON body;
/// any HTTP status is an answer.
async fn fetch(
    path: &str,
    credential: Option<&Credential>,
    method: &str,
    json: Option<&str>,
) -> Result<Response, FetchError> {
    let network = |e: JsValue| FetchError::Network(js_message(&e));
    let headers = Headers::new().map_err(network)?;
    for (name, value) in credential.map(|c| c.headers(method)).unwrap_or_default() {
        headers.set(name, &value).map_err(network)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    // An embedded player's token never goes with the browser's cookies (another origin's page
    // may embed it); the viewer's own calls send the session cookie to their own origin only.
    init.set_credentials(match credential {
        Some(credential) if !credential.sends_cookies() => RequestCredentials::Omit,
        _ => RequestCredentials::SameOrigin,
    });
    if let Some(json) = json {
        headers
            .set("Content-Type", "application/json")
            .map_err(network)?;
        init.set_body(&JsValue::from_str(json));
    }
    init.set_headers_headers(&headers);
    let request = Request::new_with_str_and_init(path, &init).map_err(network)?;
    let window = web_sys::window().ok_or_else(|| FetchError::Network("no window".into()))?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)
}

/// The message of an error answer's body, else its status text.
async fn error_message(response: &Response) -> String {
    json_body::<ApiError>(response)
        .await
        .ok()
        .and_then(ApiError::into_message)
        .unwrap_or_else(|| response.status_text())
}

async fn send_with(
    path: &str,
    credential: &Credential,
    method: &str,
    json: Option<&str>,
) -> Result<Response, FetchError> {
    let response = fetch(path, Some(credential), method, json).await?;
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(FetchError::Unauthorized),
        status => Err(FetchError::Status {
            status,
            message: error_message(&response).await,
        }),
    }
}

/// Signs in (`POST /api/0/auth/login/`); the server sets the session cookie.
///
/// # Errors
/// The [`LoginFailure`] to show on the sign-in page.
pub async fn login(request: &LoginRequest) -> Result<Session, LoginFailure> {
    let response = fetch(LOGIN_PATH, None, "POST", Some(&request.body()))
        .await
        .map_err(|e| LoginFailure::Other(e.to_string()))?;
    match response.status() {
        200..=299 => read_session(&response)
            .await
            .map_err(|e| LoginFailure::Other(e.to_string()))?
            .checked()
            .map_err(|e| LoginFailure::Other(e.to_string())),
        status => {
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            let message = error_message(&response).await;
            Err(LoginFailure::from_answer(
                request,
                status,
                retry_after.as_deref(),
                Some(message),
            ))
        }
    }
}

/// Reads a session answer through the one bounded [`Loose`] decoder.
async fn read_session(response: &Response) -> Result<Session, FetchError> {
    let value: Loose = json_body(response).await?;
    Ok(Session::from_loose(&value))
}

/// The browser's current session (`GET /api/0/auth/session/`): `None` when signed out.
///
/// # Errors
/// Any other failure, as a [`FetchError`].
pub async fn current_session() -> Result<Option<Session>, FetchError> {
    let response = fetch(SESSION_PATH, None, "GET", None).await?;
    match response.status() {
        200..=299 => read_session(&response)
            .await?
            .checked()
            .map(Some)
            .map_err(|e| FetchError::Body(e.to_string())),
        401 => Ok(None),
        status => Err(FetchError::Status {
            status,
            message: error_message(&response).await,
        }),
    }
}

/// Ends the session (`POST /api/0/auth/logout/` with the CSRF token); a session the server
/// already forgot counts as ended.
///
/// # Errors
/// Any other failure, as a [`FetchError`].
pub async fn logout(credential: &Credential) -> Result<(), FetchError> {
    match send_with(LOGOUT_PATH, credential, "POST", None).await {
        Ok(_) | Err(FetchError::Unauthorized) => Ok(()),
        Err(error) => Err(error),
    }
}

/// `GET path` and parses the JSON body.
///
/// # Errors
/// Any [`FetchError`].
pub async fn get_json<T: DeserializeOwned>(
    path: &str,
    credential: &Credential,
) -> Result<T, FetchError> {
    let response = send(path, credential).await?;
    json_body(&response).await
}

/// `GET path` and returns the parsed JSON as a JS value, for responses read as several types
/// (see [`from_value`]).
///
/// # Errors
/// Any [`FetchError`].
pub async fn get_value(path: &str, credential: &Credential) -> Result<JsValue, FetchError> {
    let response = send(path, credential).await?;
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
pub async fn get_bytes(path: &str, credential: &Credential) -> Result<Vec<u8>, FetchError> {
    let response = send(path, credential).await?;
    let promise = response
        .array_buffer()
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|e| FetchError::Body(js_message(&e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A resource with the JSON answer of `GET path()` as a JS value (read it with [`from_value`]),
/// refetched when the path or the credential changes (no path: nothing is fetched, the value is
/// `null`); a refused credential brings up the sign-in page.
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
pub async fn put_loose<T: FromLoose>(
    path: &str,
    credential: &Credential,
    body: &str,
) -> Result<T, FetchError> {
    let response = send_with(path, credential, "PUT", Some(body)).await?;
    let value: Loose = json_body(&response).await?;
    Ok(T::from_loose(&value))
}
