// Transparent wrappers of page functions, shipped with the recorder's wasm-bindgen glue.
//
// Every wrapper calls the original with the page's own `this` and arguments and returns (or
// throws) exactly what the original did. Calls into the recorder (wasm) are wrapped in
// try/catch: a bug or a trap in the recorder can never throw into the page or break its request.

const nativeFetch = typeof fetch === 'function' ? fetch : null;
const addListener = typeof EventTarget === 'function' ? EventTarget.prototype.addEventListener : null;

// The recorder's network callbacks, set by `network`.
let begin = null;
let end = null;

// Each wrapper -> the function it wraps, for `Function.prototype.toString`.
const wrapped = new WeakMap();
let toStringWrapped = false;

// `Function.prototype.toString` of a proxy reads `function () { [native code] }`, without the
// name: a page could tell. So toString itself is wrapped once to read the original's source for
// a wrapper (its own included); for every other function it is the original, `this` and all.
function wrapToString() {
  if (toStringWrapped) return;
  toStringWrapped = true;
  try {
    const prototype = Function.prototype;
    const original = prototype.toString;
    const wrapper = new Proxy(original, {
      apply(target, self, args) {
        return Reflect.apply(target, wrapped.has(self) ? wrapped.get(self) : self, args);
      },
    });
    wrapped.set(wrapper, original);
    prototype.toString = wrapper;
  } catch (_) {
    // The source then reads without the name.
  }
}

// Replaces `target[name]` by a Proxy whose apply trap is `trap(original, thisArg, args)`. A proxy
// keeps the original's name and length, and its source reads as the original's. Returns false
// (and changes nothing) when `target[name]` is not a function or cannot be replaced.
function proxy(target, name, trap) {
  try {
    const original = target[name];
    if (typeof original !== 'function') return false;
    const wrapper = new Proxy(original, { apply: trap });
    wrapped.set(wrapper, original);
    wrapToString();
    return Reflect.set(target, name, wrapper);
  } catch (_) {
    return false;
  }
}

/// Wraps `target[name]` so that `after(thisArg, args)` runs once the original returned.
export function wrap(target, name, after) {
  return proxy(target, name, function (original, self, args) {
    const result = Reflect.apply(original, self, args);
    try {
      after(self, args);
    } catch (_) {
      // The recorder failed; the page's call did not.
    }
    return result;
  });
}

/// POSTs with the fetch the page had before any wrapper: the recorder's own uploads are neither
/// recorded nor traced.
export function uploadFetch(url, init) {
  return (nativeFetch || fetch)(url, init);
}

/// Sets the recorder's callbacks: `begin(url, sentryTrace, traceparent, baggage, canAdd)` returns
/// undefined (not recording) or `[traceId, spanId, sentryTrace?, traceparent?, baggage?]`, the
/// ids to record and the headers to add; `end(method, url, status, startedAt, traceId, spanId,
/// contentLength)` records a finished request.
export function network(onBegin, onEnd) {
  begin = onBegin;
  end = onEnd;
}

function absolute(url) {
  return new URL(url, document.baseURI).href;
}

function plan(url, headers, canAdd) {
  const value = (name) => (headers ? headers.get(name) : null);
  return begin(url, value('sentry-trace'), value('traceparent'), value('baggage'), canAdd);
}

function finish(request, status, length) {
  try {
    end(request.method, request.url, status, request.start, request.plan[0], request.plan[1], length);
  } catch (_) {
    // Not recorded; the page is unaffected.
  }
}

function isPlain(object) {
  const prototype = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}

// What fetch(input, init) will request, and the arguments that add the trace headers.
function prepareFetch(args) {
  if (!begin) return null;
  const input = args[0];
  const init = args[1];
  const isRequest = typeof Request === 'function' && input instanceof Request;
  if (!isRequest && typeof input !== 'string' && !(input instanceof URL)) return null;
  const url = absolute(isRequest ? input.url : String(input));
  const hasInit = init !== undefined && init !== null;
  const method = hasInit && init.method !== undefined ? String(init.method) : isRequest ? input.method : 'GET';
  // As `new Request()` would, init's headers replace the Request's.
  const source = hasInit && init.headers !== undefined ? init.headers : isRequest ? input.headers : undefined;
  let headers = null;
  try {
    headers = new Headers(source);
  } catch (_) {
    // Invalid headers: fetch will reject; record it untraced.
  }
  const mode = hasInit && init.mode !== undefined ? init.mode : isRequest ? input.mode : 'cors';
  // A no-cors request silently drops non-safelisted headers: its ids would not be sent.
  const canAdd =
    headers !== null && mode !== 'no-cors' && (!hasInit || (typeof init === 'object' && isPlain(init)));
  const traced = plan(url, headers, canAdd);
  if (traced === undefined) return null;
  const request = { method: method.toUpperCase(), url, start: Date.now(), plan: traced, args };
  if (traced[2] || traced[3] || traced[4]) {
    if (traced[2]) headers.set('sentry-trace', traced[2]);
    if (traced[3]) headers.set('traceparent', traced[3]);
    if (traced[4]) headers.append('baggage', traced[4]);
    // A copy of init (never the caller's object) with the new headers; inherited members too.
    const copy = {};
    let empty = true;
    if (hasInit) {
      for (const key in init) {
        copy[key] = init[key];
        empty = false;
      }
    }
    if (isRequest && empty) {
      // A non-empty init resets these on the new Request; keep the page's.
      copy.referrer = input.referrer;
      copy.referrerPolicy = input.referrerPolicy;
    }
    copy.headers = headers;
    const call = Array.prototype.slice.call(args);
    call[1] = copy;
    request.args = call;
  }
  return request;
}

/// Wraps `target.fetch` (a window's): traces requests to the propagation targets and records
/// every request; returns the original's promise, observed on a side branch.
export function wrapFetch(target) {
  return proxy(target, 'fetch', function (original, self, args) {
    let request = null;
    try {
      request = prepareFetch(args);
    } catch (_) {
      request = null;
    }
    const promise = Reflect.apply(original, self, request ? request.args : args);
    if (request) {
      try {
        promise.then(
          (response) => {
            let status = 0;
            let length = null;
            try {
              status = response.status;
              length = response.headers.get('content-length');
            } catch (_) {
              // Not a Response: record what is known.
            }
            finish(request, status, length);
          },
          () => finish(request, 0, null),
        );
      } catch (_) {
        // Not a thenable: nothing to observe.
      }
    }
    return promise;
  });
}

/// Wraps `open`, `setRequestHeader` and `send` of an `XMLHttpRequest` prototype: traces requests
/// to the propagation targets and records every request when it ends.
export function wrapXhr(prototype) {
  const states = new WeakMap();
  const setHeader = prototype.setRequestHeader;
  const names = ['sentry-trace', 'traceparent', 'baggage'];
  // Recorded on the change to DONE (4), which comes before load, error, abort and loadend: the
  // request is recorded before the page's handlers of those react to it.
  function onDone() {
    const state = states.get(this);
    if (!state || state.start === undefined || this.readyState !== 4) return;
    const request = { method: state.method, url: state.url, start: state.start, plan: state.plan };
    state.start = undefined;
    let status = 0;
    let length = null;
    try {
      status = this.status;
      length = this.getResponseHeader('content-length');
    } catch (_) {
      // Record what is known.
    }
    finish(request, status, length);
  }
  const opened = proxy(prototype, 'open', function (original, self, args) {
    const result = Reflect.apply(original, self, args);
    try {
      const previous = states.get(self);
      states.set(self, {
        method: String(args[0]).toUpperCase(),
        url: absolute(String(args[1])),
        headers: {},
      });
      // Listening from open() on puts the recorder ahead of handlers added before send().
      if (!previous && addListener) Reflect.apply(addListener, self, ['readystatechange', onDone]);
    } catch (_) {
      states.delete(self);
    }
    return result;
  });
  const headed = proxy(prototype, 'setRequestHeader', function (original, self, args) {
    const result = Reflect.apply(original, self, args);
    try {
      const state = states.get(self);
      const name = String(args[0]).toLowerCase();
      if (state && names.indexOf(name) >= 0) {
        const value = String(args[1]);
        state.headers[name] = name in state.headers ? state.headers[name] + ', ' + value : value;
      }
    } catch (_) {
      // Not tracked.
    }
    return result;
  });
  const sent = proxy(prototype, 'send', function (original, self, args) {
    let state;
    try {
      state = states.get(self);
      if (state && state.start === undefined && begin) {
        const headers = { get: (name) => (name in state.headers ? state.headers[name] : null) };
        const traced = plan(state.url, headers, true);
        if (traced !== undefined) {
          if (traced[2]) Reflect.apply(setHeader, self, ['sentry-trace', traced[2]]);
          if (traced[3]) Reflect.apply(setHeader, self, ['traceparent', traced[3]]);
          if (traced[4]) Reflect.apply(setHeader, self, ['baggage', traced[4]]);
          state.plan = traced;
          state.start = Date.now();
        }
      }
    } catch (_) {
      if (state) state.start = undefined;
    }
    try {
      return Reflect.apply(original, self, args);
    } catch (error) {
      if (state) state.start = undefined;
      throw error;
    }
  });
  return opened && headed && sent;
}

/// `new RegExp(source, flags)`, or null when the pattern or flags are invalid.
export function regex(source, flags) {
  try {
    return new RegExp(source, flags);
  } catch (_) {
    return null;
  }
}

// The outbox's IndexedDB store: segments waiting for the server survive a reload. Every call
// resolves (never rejects) and none throws: without IndexedDB (private modes, sandboxed frames,
// quota) the recorder simply keeps its queue in memory.
let outboxDb = null;

function openOutbox() {
  if (!outboxDb) {
    outboxDb = new Promise((resolve) => {
      try {
        const request = indexedDB.open('sightline-outbox', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('segments');
        request.onsuccess = () => resolve(request.result);
        request.onerror = request.onblocked = () => resolve(null);
      } catch (_) {
        resolve(null);
      }
    });
  }
  return outboxDb;
}

function outboxWrite(run) {
  return openOutbox().then(
    (db) =>
      new Promise((resolve) => {
        try {
          const tx = db.transaction('segments', 'readwrite');
          run(tx.objectStore('segments'));
          tx.oncomplete = () => resolve(true);
          tx.onerror = tx.onabort = () => resolve(false);
          // Commit now: the page may be unloading.
          if (tx.commit) tx.commit();
        } catch (_) {
          resolve(false);
        }
      }),
  );
}

/// Stores `bytes` (a Uint8Array) under `key`.
export function outboxPut(key, bytes) {
  return outboxWrite((store) => store.put(bytes, key));
}

/// Deletes the records under `keys` (an array of strings).
export function outboxDelete(keys) {
  return outboxWrite((store) => keys.forEach((key) => store.delete(key)));
}

/// Resolves to `[[key, Uint8Array], …]`: at most `limit` stored records, in key order; `[]` when
/// IndexedDB is unavailable or does not answer within 3 s.
export function outboxLoad(limit) {
  const load = openOutbox().then(
    (db) =>
      new Promise((resolve) => {
        const found = [];
        try {
          const request = db.transaction('segments', 'readonly').objectStore('segments').openCursor();
          request.onsuccess = () => {
            const cursor = request.result;
            if (!cursor || found.length >= limit) return resolve(found);
            if (typeof cursor.key === 'string' && cursor.value instanceof Uint8Array) {
              found.push([cursor.key, cursor.value]);
            }
            cursor.continue();
          };
          request.onerror = () => resolve(found);
        } catch (_) {
          resolve(found);
        }
      }),
  );
  return Promise.race([load, new Promise((resolve) => setTimeout(() => resolve([]), 3000))]);
}

/// Calls `onBlocked()` once when the page's Content-Security-Policy (enforced, not report-only)
/// blocks a connection to `origin`.
export function watchCsp(origin, onBlocked) {
  if (!addListener) return;
  let done = false;
  try {
    Reflect.apply(addListener, document, [
      'securitypolicyviolation',
      (event) => {
        try {
          const directive = String(event.effectiveDirective || event.violatedDirective || '');
          const blocked = String(event.blockedURI || '');
          if (done || event.disposition === 'report' || directive.indexOf('connect-src') !== 0) return;
          if (blocked !== origin && blocked.indexOf(origin + '/') !== 0) return;
          done = true;
          onBlocked();
        } catch (_) {
          // The page is unaffected.
        }
      },
    ]);
  } catch (_) {
    // No CSP events: uploads simply keep failing quietly.
  }
}

/// `fn` behind a try/catch: what the browser calls (listeners, observers, timers) never throws
/// into the page, not even when the recorder fails or its wasm traps.
export function guard(fn) {
  return function () {
    try {
      return Reflect.apply(fn, this, arguments);
    } catch (_) {
      return undefined;
    }
  };
}
