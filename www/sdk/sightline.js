/*
 * Sightline loader: a classic script that records the page with Sightline's WebAssembly SDK.
 *
 *   <script src="https://sightline.example/sdk/sightline.js"
 *           data-dsn="https://KEY@sightline.example/1"
 *           data-release="shop@1.4.2" data-environment="production"></script>
 *
 * Privacy options are attributes too: `data-mask-all-text="false"`, `data-mask-all-inputs`,
 * `data-block-all-media`, and comma-separated selector lists `data-mask`, `data-unmask`,
 * `data-block`, `data-unblock`, `data-ignore` (all text, inputs and media are masked or blocked
 * unless the page says otherwise). `data-trace-propagation-targets` lists, comma-separated, where
 * requests get trace headers (default: the page's own origin): `/api` path prefixes, URL
 * prefixes, `host[:port]`s, and `/regex/flags`.
 *
 * Sampling: `data-session-sample-rate` (0 to 1, default 1) is the share of tab sessions recorded
 * in full; `data-on-error-sample-rate` (default 1) the share of the others kept in a 30 to 60 s
 * memory buffer that is uploaded when an error or a failed request happens. The tab's replay
 * (and its sampling) continues across page loads through `sessionStorage` (`sightline.replay`)
 * until 15 minutes without activity or 60 minutes in all.
 *
 * `data-checkpoint-interval-ms` (default 30000) sets the time between two checkpoints (full
 * snapshots the viewer seeks from); 0 turns periodic ones off.
 *
 * When the server cannot be reached (down, slow, 429, 5xx), segments wait and are retried with
 * backoff (honouring `Retry-After`); `data-offline-buffer-bytes` (default 8 MiB) bounds what
 * waits, dropping the oldest segments without an error first. Waiting segments are kept in
 * IndexedDB and sent after a reload that continues the replay. A page whose CSP forbids
 * WebAssembly or blocks the upload origin is not recorded: one console warning says so.
 * See docs/recorder-resilience.md.
 *
 * It loads the ES module `sightline_recorder.js` and `sightline_recorder_bg.wasm` from the
 * directory of its own `src`, starts recording when `data-dsn` is set, and defines
 * `window.Sightline = {init, captureException, captureMessage, setUser, setTag, setTags,
 * addBreadcrumb, flush, stop, getReplayId}`. Calls made before the module has loaded are queued and
 * run in order once it has. Nothing here throws into the page.
 */
(function () {
  'use strict';
  if (window.Sightline) return; // included twice: keep the first copy

  var script = document.currentScript;
  var base = new URL('.', (script && script.src) || location.href);
  var sdk = null; // the ES module, once loaded and initialised
  var warned = false;

  function warn(message, detail) {
    if (warned) return;
    warned = true;
    if (window.console && console.warn) console.warn('Sightline: ' + message, detail);
  }

  // Resolves to the module, or to null when it cannot load (old browser, CSP, network).
  var ready = import(new URL('sightline_recorder.js', base).href)
    .then(function (module) {
      var wasm = new URL('sightline_recorder_bg.wasm', base).href;
      return module.default({ module_or_path: wasm }).then(function () {
        sdk = module;
        return module;
      });
    })
    .catch(function (error) {
      warn('the recorder could not be loaded', error);
      return null;
    });

  // Runs fn(module) now when loaded, else after everything queued before it.
  function whenReady(fn, fallback) {
    var run = function (module) {
      if (!module) return fallback;
      try {
        return fn(module);
      } catch (error) {
        warn('call failed', error);
        return fallback;
      }
    };
    return sdk ? Promise.resolve(run(sdk)) : ready.then(run);
  }

  function init(options) {
    return whenReady(function (module) {
      return module.start(options) || null; // undefined when the session is not sampled
    }, null);
  }

  // A function that calls module[name](...arguments) now when loaded (returning its result), else
  // queues the call and returns undefined.
  function forward(name) {
    return function () {
      var args = arguments;
      if (sdk) {
        try {
          return sdk[name].apply(null, args);
        } catch (e) {
          warn(name + ' failed', e);
          return undefined;
        }
      }
      whenReady(function (module) {
        return module[name].apply(null, args);
      });
      return undefined;
    };
  }

  window.Sightline = {
    /** Starts recording with {dsn, release, environment, sessionSampleRate, …}; resolves to the
     * replay id, or null when the session is not sampled or cannot be recorded. */
    init: init,
    /** Records an error; returns its event id once loaded, undefined while still loading. */
    captureException: forward('captureException'),
    /** Records a message (an error at level error/fatal, else a breadcrumb). */
    captureMessage: forward('captureMessage'),
    /** Sets the session's user ({id, email, username, …}) or clears it with null. */
    setUser: forward('setUser'),
    /** Sets one tag of the session. */
    setTag: forward('setTag'),
    /** Sets several tags of the session. */
    setTags: forward('setTags'),
    /** Adds a breadcrumb {category, message, level, data}. */
    addBreadcrumb: forward('addBreadcrumb'),
    /** Uploads what was recorded; resolves once pending segments are uploaded (or failed). */
    flush: function () {
      return whenReady(function (module) {
        return module.flush();
      }, undefined).then(function () {});
    },
    /** Stops recording and uploads the rest; resolves like flush(). Ends the tab's replay. */
    stop: function () {
      return whenReady(function (module) {
        return module.stop();
      }, undefined).then(function () {});
    },
    /** The current replay id, or null before recording has started. */
    getReplayId: function () {
      try {
        return (sdk && sdk.getReplayId()) || null;
      } catch (e) {
        return null;
      }
    },
  };

  // start() option name -> the loader attribute that sets it.
  var ATTRIBUTES = {
    release: 'data-release',
    environment: 'data-environment',
    maskAllText: 'data-mask-all-text',
    maskAllInputs: 'data-mask-all-inputs',
    blockAllMedia: 'data-block-all-media',
    mask: 'data-mask',
    unmask: 'data-unmask',
    block: 'data-block',
    unblock: 'data-unblock',
    ignore: 'data-ignore',
    tracePropagationTargets: 'data-trace-propagation-targets',
    sessionSampleRate: 'data-session-sample-rate',
    onErrorSampleRate: 'data-on-error-sample-rate',
    checkpointIntervalMs: 'data-checkpoint-interval-ms',
    offlineBufferBytes: 'data-offline-buffer-bytes',
  };

  var dsn = script && script.getAttribute('data-dsn');
  if (dsn) {
    var options = { dsn: dsn };
    for (var name in ATTRIBUTES) {
      var value = script.getAttribute(ATTRIBUTES[name]);
      // Absent attributes keep the recorder's defaults; values are parsed by the recorder.
      if (value !== null) options[name] = value;
    }
    init(options);
  }
})();
