//! Generated error events for the issue benchmark: Python (Django), Node (Express) and Rust
//! (axum) shaped events with library and in-app frames, context lines and local variables,
//! tags, users, requests, breadcrumbs and releases, as the official SDKs send them.
//!
//! Fingerprint `f` decides the platform, the exception and the in-app functions, so events of
//! one `f` group into one issue; every tenth uses a custom `fingerprint`. Everything else (ids
//! in values, line numbers, users, times) varies per event.

use serde_json::{Value, json};

/// The releases events name, oldest first; the newest is the one the example query asks for.
pub const RELEASES: [&str; 3] = ["shop@1.4.0", "shop@1.4.1", "shop@1.4.2"];

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// A small deterministic generator (64-bit LCG), so every run sends the same events.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// The next number below `bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// The areas of the shop in-app code lives in, with the team the benchmark's ownership rules
/// give them.
const AREAS: [&str; 4] = ["payments", "cart", "catalog", "accounts"];

/// Ownership rules matching [`AREAS`]: `assigned:#payments` finds a quarter of the issues.
pub const OWNERSHIP_RULES: &str = "path:*payments* #payments\npath:*cart* #web\n\
     path:*catalog* #web\npath:*accounts* #identity\n";

/// Where an event of fingerprint `f` happened, relative to `now_ms`: one issue in 23 is new
/// (all its events in the last hour), the rest spread over the last week.
pub fn timestamp_ms(f: u64, rng: &mut Lcg, now_ms: u64) -> u64 {
    let age = if f % 23 == 7 {
        rng.below(HOUR_MS - 60_000)
    } else {
        rng.below(7 * DAY_MS)
    };
    now_ms - age
}

/// The release current at `age_ms` before now: the newest for the last day, the one before it
/// for the two days before, the oldest before that.
pub fn release_at(age_ms: u64) -> &'static str {
    match age_ms / DAY_MS {
        0 => RELEASES[2],
        1 | 2 => RELEASES[1],
        _ => RELEASES[0],
    }
}

/// The in-app file of fingerprint `f`'s innermost frame, per platform.
pub fn in_app_file(f: u64) -> String {
    let area = AREAS[(f / 3 % 4) as usize];
    match f % 3 {
        0 => format!("shop/{area}/views_{}.py", f % 97),
        1 => format!("src/{area}/handler_{}.js", f % 97),
        _ => format!("src/{area}/service_{}.rs", f % 97),
    }
}

/// One event of fingerprint `f` (JSON as an SDK sends it, without its `event_id`), at
/// `timestamp_ms`.
pub fn event(f: u64, rng: &mut Lcg, timestamp_ms: u64, now_ms: u64) -> Value {
    let area = AREAS[(f / 3 % 4) as usize];
    let environment = if rng.below(10) < 7 {
        "production"
    } else {
        "staging"
    };
    let status = if f % 3 == 1 || rng.below(10) < 3 {
        "500"
    } else {
        "502"
    };
    let user_id = rng.below(2_000);
    let order = rng.below(1_000_000);
    let path = match area {
        "payments" | "cart" => format!("/api/checkout/{order}"),
        _ => format!("/api/{area}/{order}"),
    };
    let (platform, exception) = match f % 3 {
        0 => ("python", python_exception(f, area, order, rng)),
        1 => ("node", node_exception(f, area, rng)),
        _ => ("rust", rust_exception(f, area, order, rng)),
    };
    let tier = ["free", "pro", "enterprise"][rng.below(3) as usize];
    let mut event = json!({
        "platform": platform,
        "level": if f % 17 == 3 { "fatal" } else { "error" },
        "timestamp": timestamp_ms as f64 / 1000.0,
        "release": release_at(now_ms.saturating_sub(timestamp_ms)),
        "environment": environment,
        "server_name": format!("{area}-{}", rng.below(4)),
        "exception": {"values": [exception]},
        "tags": {
            "http.status_code": status,
            "region": if rng.below(2) == 0 { "eu-west-1" } else { "us-east-1" },
            "service": area,
            "customer_tier": tier,
        },
        "user": {
            "id": format!("user-{user_id}"),
            "email": format!("user{user_id}@example.com"),
            "ip_address": format!("10.0.{}.{}", user_id / 250, user_id % 250),
        },
        "request": {
            "url": format!("https://shop.example.com{path}"),
            "method": "POST",
            "headers": {"User-Agent": "Mozilla/5.0", "Content-Type": "application/json"},
            "query_string": "currency=EUR",
        },
        "contexts": {
            "trace": {
                "trace_id": format!("{:016x}{:016x}", rng.below(u64::MAX), f),
                "span_id": format!("{:016x}", rng.below(u64::MAX)),
                "op": "http.server",
            },
            "runtime": {"name": platform},
        },
        "breadcrumbs": {"values": [
            {"timestamp": timestamp_ms as f64 / 1000.0 - 2.0, "category": "http",
             "data": {"url": "https://payments.internal/charge", "status_code": 200}},
            {"timestamp": timestamp_ms as f64 / 1000.0 - 1.0, "category": "query",
             "message": "SELECT * FROM orders WHERE id = %s"},
        ]},
        "sdk": {"name": format!("sentry.{platform}"), "version": "2.0.0"},
    });
    if f % 10 == 5 {
        // Custom fingerprints: half extend the default, half replace it.
        event["fingerprint"] = if f % 20 == 5 {
            json!(["{{ default }}", format!("tenant-{}", f % 7)])
        } else {
            json!(["upstream-timeout", area, f.to_string()])
        };
    }
    event
}

fn context(line: &str) -> Value {
    json!({
        "pre_context": ["", "    order = load_order(order_id)", "    amount = order.total()"],
        "context_line": line,
        "post_context": ["    return receipt", ""],
    })
}

fn frame(filename: &str, module: &str, function: &str, lineno: u64, in_app: bool) -> Value {
    json!({
        "filename": filename,
        "module": module,
        "function": function,
        "lineno": lineno,
        "in_app": in_app,
    })
}

fn app_frame(filename: String, module: String, function: String, lineno: u64, line: &str) -> Value {
    let mut frame = frame(&filename, &module, &function, lineno, true);
    let extra = context(line);
    for key in ["pre_context", "context_line", "post_context"] {
        frame[key] = extra[key].clone();
    }
    frame["abs_path"] = json!(format!("/app/{filename}"));
    frame["vars"] = json!({"order_id": "'ord_123'", "amount": "4200", "self": "<Charge>"});
    frame
}

fn python_exception(f: u64, area: &str, order: u64, rng: &mut Lcg) -> Value {
    let types = ["KeyError", "ValueError", "IntegrityError", "TimeoutError"];
    let file = in_app_file(f);
    let module = file.trim_end_matches(".py").replace('/', ".");
    json!({
        "type": types[(f / 12 % 4) as usize],
        "value": format!("order {order} could not be charged: {}", rng.below(10_000)),
        "module": "builtins",
        "mechanism": {"type": "django", "handled": false},
        "stacktrace": {"frames": [
            frame("django/core/handlers/base.py", "django.core.handlers.base", "_get_response", 197, false),
            frame("django/views/generic/base.py", "django.views.generic.base", "view", 104, false),
            app_frame(format!("shop/{area}/api.py"), format!("shop.{area}.api"), "post".into(), 30 + rng.below(5), "    return service.run(order_id)"),
            app_frame(file, module, format!("charge_{f}"), 40 + rng.below(20), "    raise PaymentDeclined(order_id)"),
        ]},
    })
}

fn node_exception(f: u64, area: &str, rng: &mut Lcg) -> Value {
    let properties = ["price", "items", "currency", "customerId"];
    let file = in_app_file(f);
    json!({
        "type": "TypeError",
        "value": format!("Cannot read properties of undefined (reading '{}')", properties[(f / 12 % 4) as usize]),
        "mechanism": {"type": "onuncaughtexception", "handled": false},
        "stacktrace": {"frames": [
            frame("node_modules/express/lib/router/layer.js", "express.lib.router:layer", "Layer.handle [as handle_request]", 95, false),
            frame("node_modules/express/lib/router/route.js", "express.lib.router:route", "next", 149, false),
            app_frame(format!("src/{area}/routes.js"), format!("{area}:routes"), "router.post".into(), 12 + rng.below(3), "  const total = await totals(cart);"),
            app_frame(file, format!("{area}:handler"), format!("computeTotal{f}"), 20 + rng.below(30), "  return cart.lines.reduce((sum, l) => sum + l.product.price, 0);"),
        ]},
    })
}

fn rust_exception(f: u64, area: &str, order: u64, rng: &mut Lcg) -> Value {
    let file = in_app_file(f);
    json!({
        "type": "PaymentError",
        "value": format!("upstream returned 503 for order {order} after {} ms", rng.below(5_000)),
        "module": format!("shop::{area}"),
        "mechanism": {"type": "panic", "handled": false},
        "stacktrace": {"frames": [
            frame("/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/ops/function.rs", "core::ops::function", "FnOnce::call_once", 250, false),
            frame("/home/ci/.cargo/registry/src/index.crates.io-6f17d22bba15001f/axum-0.8.4/src/routing/route.rs", "axum::routing::route", "Route::call", 68, false),
            app_frame(format!("src/{area}/routes.rs"), format!("shop::{area}::routes"), "checkout".into(), 88 + rng.below(3), "    let receipt = service.charge(&order).await?;"),
            app_frame(file, format!("shop::{area}::service_{}", f % 97), format!("authorize_{f}"), 120 + rng.below(40), "        return Err(PaymentError::Upstream(status));"),
        ]},
    })
}

/// A Sentry envelope holding `event`.
pub fn envelope(event: &Value) -> Vec<u8> {
    let mut bytes = json!({"event_id": event["event_id"], "sent_at": "2026-11-26T12:00:00Z"})
        .to_string()
        .into_bytes();
    bytes.extend_from_slice(b"\n{\"type\":\"event\"}\n");
    bytes.extend_from_slice(event.to_string().as_bytes());
    bytes.push(b'\n');
    bytes
}
