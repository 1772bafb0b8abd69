//! The demo's alert rules and the webhook receiver that prints what they fire, so a new user
//! sees the alert of the bad deploy arrive next to the server's log.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};

/// Largest webhook body the receiver reads.
const MAX_BODY: usize = 1 << 20;

/// Starts a webhook receiver on a free loopback port that prints each alert it gets; returns
/// its URL.
///
/// # Errors
/// When no port can be bound.
pub fn start_receiver() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the webhook receiver")?;
    let url = format!("http://{}/alerts", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            match read_alert(stream) {
                Ok(alert) => println!(
                    "[alert] {}: {} ({} events, owner {}) {}",
                    alert["rule"]["name"].as_str().unwrap_or("?"),
                    alert["issue"]["title"].as_str().unwrap_or("?"),
                    alert["issue"]["count"],
                    alert["issue"]["owner"].as_str().unwrap_or("none"),
                    alert["issue"]["url"].as_str().unwrap_or(""),
                ),
                Err(error) => eprintln!("[alert] unreadable webhook: {error:#}"),
            }
        }
    });
    Ok(url)
}

/// Reads one webhook request, answers 200 and returns its JSON body.
fn read_alert(stream: TcpStream) -> Result<Value> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("the connection closed before the body");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().context("content-length")?;
        }
    }
    if length > MAX_BODY {
        bail!("a body of {length} bytes");
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut stream = stream;
    stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
    Ok(serde_json::from_slice(&body)?)
}

/// Creates the demo project's alert rules, all delivered to `webhook_url`: a new issue in
/// `environment`, a regression, and a spike of more than 5 events of an issue in 1 minute.
///
/// # Errors
/// When the server refuses a rule.
pub fn create_rules(base: &str, token: &str, environment: &str, webhook_url: &str) -> Result<()> {
    let rules = [
        json!({"name": "new issue in the demo", "condition": "new_issue",
               "environment": environment, "webhook_url": webhook_url}),
        json!({"name": "issue regressed", "condition": "regression", "webhook_url": webhook_url}),
        json!({"name": "checkout spike", "condition": "spike", "threshold": 5,
               "window_minutes": 1, "webhook_url": webhook_url}),
    ];
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for rule in rules {
        let mut response = agent
            .post(&format!("{base}/api/0/projects/1/alert-rules/"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(rule.to_string())?;
        if !response.status().is_success() {
            bail!(
                "creating alert rule {} answered {}: {}",
                rule["name"],
                response.status(),
                response.body_mut().read_to_string().unwrap_or_default()
            );
        }
    }
    Ok(())
}
