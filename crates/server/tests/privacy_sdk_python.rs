//! Scrubbing what the official Python `sentry-sdk` really sends: a WSGI app (the SDK's own
//! middleware) fails in a function with a `password` local variable, on a request with an
//! `Authorization` header, a session cookie and a client IP. The SDK is told to send all of
//! it (`send_default_pii=True`, an empty denylist for its own scrubber), so only the server can
//! remove it — and the stored event must have it filtered.
//!
//! Needs `python3` with `venv` and PyPI access on the first run; `SIGHTLINE_SKIP_SDK_TESTS=1`
//! skips.

#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use serde_json::Value;
use sightline_tests::python::{sdk_python, skipped};
use support::running::RunningServer;

const PASSWORD: &str = "hunter2-from-python";
const BEARER: &str = "py_secret_token_1234567";
const SESSION: &str = "py_session_456789";

const SCRIPT: &str = r#"
import io, json, os
import sentry_sdk
from sentry_sdk.scrubber import EventScrubber
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

sent = []

def before_send(event, hint):
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    sent.append({"event_id": event["event_id"], "vars": frames[-1].get("vars"),
                 "request": event.get("request")})
    return event

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    release="shop-backend@2.0.0",
    send_default_pii=True,
    include_local_variables=True,
    event_scrubber=EventScrubber(denylist=[], pii_denylist=[], send_default_pii=True),
    before_send=before_send,
)

def charge(card):
    password = os.environ["PASSWORD"]
    raise ValueError("card declined")

def app(environ, start_response):
    charge("lamp")

environ = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/api/checkout",
    "QUERY_STRING": "",
    "SERVER_NAME": "shop.example",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.url_scheme": "http",
    "wsgi.input": io.BytesIO(b""),
    "REMOTE_ADDR": "198.51.100.7",
    "HTTP_AUTHORIZATION": "Bearer " + os.environ["BEARER"],
    "HTTP_COOKIE": "sessionid=" + os.environ["SESSION"] + "; theme=dark",
}
try:
    SentryWsgiMiddleware(app)(environ, lambda *args: None)
except ValueError:
    pass
sentry_sdk.flush()
print(json.dumps({"sent": sent}))
"#;

#[test]
fn a_password_variable_and_an_authorization_header_from_sentry_sdk_are_filtered() {
    if skipped() {
        eprintln!("skipped: SIGHTLINE_SKIP_SDK_TESTS is set");
        return;
    }
    let python = sdk_python("sdk-venv", false).unwrap();
    let server = RunningServer::start();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("leaky_backend.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let output = Command::new(&python)
        .arg(&script)
        .env("SENTRY_DSN", &server.dsn)
        .env("PASSWORD", PASSWORD)
        .env("BEARER", BEARER)
        .env("SESSION", SESSION)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no report from the script: {stdout}"));
    // The SDK really sent the secrets: only the server can have removed them.
    let sent = report["sent"].to_string();
    for secret in [PASSWORD, BEARER, SESSION] {
        assert!(
            sent.contains(secret),
            "the SDK did not send {secret}: {sent}"
        );
    }

    let id = report["sent"][0]["event_id"].as_str().unwrap();
    let event = server.wait_for_json(&format!("/api/0/events/{id}/"), |event| {
        event.get("exception").is_some()
    });
    let text = event.to_string();
    for secret in [PASSWORD, BEARER, SESSION] {
        assert!(!text.contains(secret), "{secret} stored: {event:#}");
    }
    let frames = event["exception"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let raised = frames.last().unwrap();
    assert_eq!(raised["function"], "charge");
    assert_eq!(raised["vars"]["password"], "[Filtered]");
    assert_eq!(raised["vars"]["card"], "'lamp'", "other variables are kept");
    let headers = event["request"]["headers"].to_string();
    assert!(headers.contains("Authorization"), "{headers}");
    assert!(headers.contains("[Filtered]"), "{headers}");
    assert_eq!(event["title"], "ValueError: card declined");
    // IP addresses are kept by default.
    assert_eq!(
        event["user"]["ip_address"], "198.51.100.7",
        "{}",
        event["user"]
    );
}
