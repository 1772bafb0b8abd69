"""A tiny shop backend instrumented with the official Sentry SDK, used by Sightline's tests.

It is an unmodified sentry-sdk setup, the way a backend team would write it: WSGI middleware,
tracing on, DSN from the environment. Sightline's tests point the DSN at a running Sightline
server and check what arrives there.

Environment:
    SENTRY_DSN          where to send events (required)
    SENTRY_RELEASE      release name (default shop-backend@2.0.0)

Run with the venv's Python; it listens on 127.0.0.1 on a free port and prints
`LISTENING <port>` once ready. Routes:
    POST /api/checkout   fails with ZeroDivisionError -> HTTP 500, captured by the SDK
    GET  /api/products   200 with a JSON list
    POST /flush          waits until the SDK has sent everything, then 200
"""

import json
import os
from wsgiref.simple_server import WSGIRequestHandler, make_server

import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    release=os.environ.get("SENTRY_RELEASE", "shop-backend@2.0.0"),
    environment="production",
    server_name="shop-backend",
    traces_sample_rate=1.0,
    include_local_variables=True,
)


def price_per_item(cart):
    total = sum(item["price"] for item in cart)
    return total / len(cart)


def respond(start_response, status, body):
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))])
    return [payload]


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    if method == "POST" and path == "/api/checkout":
        cart = []
        return respond(start_response, "200 OK", {"per_item": price_per_item(cart)})
    if method == "GET" and path == "/api/products":
        return respond(start_response, "200 OK", [{"id": 1, "name": "Lamp", "price": 40}])
    if method == "POST" and path == "/flush":
        sentry_sdk.flush(timeout=10)
        return respond(start_response, "200 OK", {})
    return respond(start_response, "404 Not Found", {"error": "no route"})


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, SentryWsgiMiddleware(app), handler_class=QuietHandler)
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()
