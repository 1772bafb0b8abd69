/*
 * <sightline-player server="https://sightline.example" replay="…" t="…" token="…">
 *
 * A Sightline replay player for any page. The player lives in the element's shadow root (its
 * styles too, so nothing leaks into the page). The viewer's WebAssembly module is loaded once
 * per page and server, from `{server}/viewer/`, and shared by every player on the page.
 *
 * Attributes: `server` (default: where this script came from), `replay` (required), `t` (open
 * paused at this offset in ms; changing it seeks), `token` (admin token), `event` (play from `t`
 * and pause on this error: a JS error's or a linked backend error's event id). Changing
 * `replay`, `server`, `token` or `event` remounts.
 * Methods: play(), pause(), seek(ms). Events (bubbling from the element): `timeupdate`
 * (detail {time}), `error-marker-click` (detail {time, title}; JS and backend error markers),
 * `sightline-error` (detail {message}) when the player cannot load.
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("sightline-player")) {
    return;
  }

  var script = document.currentScript;
  var defaultServer = script && script.src ? new URL(script.src).origin : location.origin;

  /* One load (module import + wasm instantiation) per server, shared by every player. */
  var loads = new Map();

  function serverBase(value) {
    return new URL(value || defaultServer, location.href).href.replace(/\/+$/, "");
  }

  function loadViewer(base) {
    var pending = loads.get(base);
    if (!pending) {
      pending = import(base + "/viewer/sightline_viewer.js").then(function (viewer) {
        return viewer
          .default({ module_or_path: base + "/viewer/sightline_viewer_bg.wasm" })
          .then(function () {
            return viewer;
          });
      });
      pending.catch(function () {
        loads.delete(base);
      });
      loads.set(base, pending);
    }
    return pending;
  }

  var HOST_STYLE =
    ":host { display: block; }" +
    ":host([hidden]) { display: none; }" +
    ".sl-status { font: 13px system-ui, sans-serif; color: #697386; padding: 12px; }" +
    ".sl-status.sl-failed { color: #d1344b; }";

  class SightlinePlayer extends HTMLElement {
    static get observedAttributes() {
      return ["server", "replay", "t", "token", "event"];
    }

    constructor() {
      super();
      this._shadow = this.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent = HOST_STYLE;
      this._shadow.appendChild(style);
      this._handle = null;
      this._container = null;
      this._status = null;
      this._generation = 0;
    }

    connectedCallback() {
      this._mount();
    }

    disconnectedCallback() {
      this._generation += 1;
      this._unmount();
    }

    attributeChangedCallback(name, previous, value) {
      if (!this.isConnected || previous === value) {
        return;
      }
      if (name === "t" && this._handle) {
        this._handle.seek(Number(value) || 0);
      } else {
        this._mount();
      }
    }

    /** Starts playing. */
    play() {
      if (this._handle) this._handle.play();
    }

    /** Pauses. */
    pause() {
      if (this._handle) this._handle.pause();
    }

    /** Moves the playhead to `ms` from the replay's start. */
    seek(ms) {
      if (this._handle) this._handle.seek(Number(ms) || 0);
    }

    _showStatus(message, failed) {
      if (!this._status) {
        this._status = document.createElement("p");
        this._shadow.appendChild(this._status);
      }
      this._status.className = failed ? "sl-status sl-failed" : "sl-status";
      this._status.textContent = message;
    }

    _clearStatus() {
      if (this._status) {
        this._status.remove();
        this._status = null;
      }
    }

    _mount() {
      this._unmount();
      var generation = ++this._generation;
      var replay = (this.getAttribute("replay") || "").trim();
      if (!replay) {
        this._showStatus("No replay selected.", false);
        return;
      }
      var base;
      try {
        base = serverBase(this.getAttribute("server"));
      } catch (error) {
        this._fail("Invalid server address.");
        return;
      }
      var options = { server: base, replay: replay };
      var t = this.getAttribute("t");
      if (t !== null && t.trim() !== "" && !isNaN(Number(t))) options.t = Number(t);
      var token = this.getAttribute("token");
      if (token) options.token = token;
      var event = this.getAttribute("event");
      if (event) options.event = event;
      this._showStatus("Loading the player…", false);
      var self = this;
      loadViewer(base).then(
        function (viewer) {
          if (generation !== self._generation || !self.isConnected) return;
          self._clearStatus();
          var container = document.createElement("div");
          self._shadow.appendChild(container);
          self._container = container;
          try {
            self._handle = viewer.mount(container, options);
          } catch (error) {
            self._fail(String((error && error.message) || error));
          }
        },
        function (error) {
          if (generation !== self._generation) return;
          self._fail("Could not load the Sightline player: " + ((error && error.message) || error));
        }
      );
    }

    _fail(message) {
      this._showStatus(message, true);
      this.dispatchEvent(new CustomEvent("sightline-error", { bubbles: true, detail: { message: message } }));
    }

    _unmount() {
      if (this._handle) {
        this._handle.destroy();
        this._handle.free();
        this._handle = null;
      }
      if (this._container) {
        this._container.remove();
        this._container = null;
      }
      this._clearStatus();
    }
  }

  window.customElements.define("sightline-player", SightlinePlayer);
})();
