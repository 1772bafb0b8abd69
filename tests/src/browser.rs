//! Headless Chromium driven through ChromeDriver's W3C WebDriver HTTP API.
//!
//! ChromeDriver is started directly (not through `wasm-bindgen-test-runner`, whose headless mode
//! was seen to hang with Debian's Chromium) on a free loopback port, with the flags that keep
//! Chromium off the network.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::wait_for;

/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium flags: headless, as root in a container, and no background traffic.
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,900",
];

/// One browser session; ChromeDriver and Chromium stop when it is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium session.
    ///
    /// # Errors
    /// When `chromedriver` or `chromium` is missing or does not start.
    pub fn start() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (install it with `cargo xtask setup --browser`)")?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir()?;
        let mut browser = Self {
            driver,
            base,
            session: String::new(),
            agent,
            _profile: profile,
        };
        wait_for("chromedriver to be ready", Duration::from_secs(20), || {
            Ok(browser
                .agent
                .get(&format!("{}/status", browser.base))
                .call()
                .ok()
                .filter(|r| r.status() == 200))
        })?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        ));
        let mut options = json!({ "args": args });
        if Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let created = browser.command(
            "POST",
            "/session",
            &json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
                "goog:loggingPrefs": { "browser": "ALL" },
            }}}),
        )?;
        browser.session = created["sessionId"]
            .as_str()
            .context("no sessionId in the new-session answer")?
            .to_owned();
        browser.command(
            "POST",
            &browser.path("/timeouts"),
            &json!({ "script": 60_000, "pageLoad": 60_000 }),
        )?;
        Ok(browser)
    }

    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Sends one WebDriver command and returns its `value`.
    fn command(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut response = match method {
            "GET" => self.agent.get(&url).call()?,
            "DELETE" => self.agent.delete(&url).call()?,
            _ => self.agent.post(&url).send_json(body)?,
        };
        let status = response.status().as_u16();
        let answer: Value = response.body_mut().read_json()?;
        if status != 200 {
            bail!(
                "WebDriver {method} {path} answered {status}: {}",
                answer["value"]
            );
        }
        Ok(answer["value"].clone())
    }

    /// Opens `url` and waits for its load event.
    ///
    /// # Errors
    /// When navigation fails.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.command("POST", &self.path("/url"), &json!({ "url": url }))
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    ///
    /// # Errors
    /// When the script throws.
    pub fn eval(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.command(
            "POST",
            &self.path("/execute/sync"),
            &json!({ "script": script, "args": args }),
        )
    }

    /// Uploads what the page's recorder holds (`Sightline.flush()`) and returns its replay id.
    ///
    /// # Errors
    /// When the flush fails or the page has no replay.
    pub fn flush_recording(&self) -> Result<String> {
        let outcome = self.eval_async(
            "const done = arguments[0];
             Sightline.flush().then(() => done({ id: Sightline.getReplayId() }),
                                    (e) => done({ error: String(e) }));",
            &[],
        )?;
        if let Some(error) = outcome["error"].as_str() {
            anyhow::bail!("Sightline.flush() failed: {error}");
        }
        match outcome["id"].as_str() {
            Some(id) if sightline_protocol::v1::is_hex_id(id, 32) => Ok(id.to_owned()),
            _ => anyhow::bail!("the page has no replay id: {outcome}"),
        }
    }

    /// Runs an asynchronous script whose last argument is the callback that ends it.
    ///
    /// # Errors
    /// When the script throws or times out.
    pub fn eval_async(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.command(
            "POST",
            &self.path("/execute/async"),
            &json!({ "script": script, "args": args }),
        )
    }

    /// Sets how long `eval_async` may run before WebDriver gives up (60 s unless changed).
    ///
    /// # Errors
    /// When WebDriver refuses the timeout.
    pub fn set_script_timeout(&self, timeout: Duration) -> Result<()> {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.command("POST", &self.path("/timeouts"), &json!({ "script": ms }))
            .map(drop)
    }

    /// Sends a Chrome DevTools Protocol command (such as `Performance.getMetrics`) to the current
    /// page through ChromeDriver, and returns its result.
    ///
    /// # Errors
    /// When the command fails.
    pub fn cdp(&self, command: &str, params: &Value) -> Result<Value> {
        self.command(
            "POST",
            &self.path("/goog/cdp/execute"),
            &json!({ "cmd": command, "params": params }),
        )
    }

    /// Clicks the first element matching `selector` with a real (WebDriver) pointer click.
    ///
    /// # Errors
    /// When no element matches or the click fails.
    pub fn click(&self, selector: &str) -> Result<()> {
        let found = self
            .command(
                "POST",
                &self.path("/element"),
                &json!({ "using": "css selector", "value": selector }),
            )
            .with_context(|| format!("finding {selector}"))?;
        let id = found[ELEMENT_KEY]
            .as_str()
            .with_context(|| format!("no element reference for {selector}"))?;
        self.command(
            "POST",
            &self.path(&format!("/element/{id}/click")),
            &json!({}),
        )
        .map(drop)
    }

    /// Waits until `condition` (a JS expression) is truthy in the page, and returns its value.
    ///
    /// # Errors
    /// On timeout.
    pub fn wait_until(&self, condition: &str, timeout: Duration) -> Result<Value> {
        let script =
            format!("try {{ return ({condition}) || null; }} catch (e) {{ return null; }}");
        wait_for(condition, timeout, || {
            let value = self.eval(&script, &[])?;
            Ok((!value.is_null()).then_some(value))
        })
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    ///
    /// # Errors
    /// When the screenshot or the write fails.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let encoded = self.command("GET", &self.path("/screenshot"), &Value::Null)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().context("screenshot is not a string")?)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// The browser console messages logged since the last call.
    ///
    /// # Errors
    /// When the log cannot be read.
    pub fn console(&self) -> Result<Vec<String>> {
        let entries = self.command("POST", &self.path("/se/log"), &json!({ "type": "browser" }))?;
        Ok(entries
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.command("DELETE", &self.path(""), &Value::Null);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
