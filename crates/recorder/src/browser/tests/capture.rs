//! A live recording of the test page: real listeners, real DOM events, segments captured by a
//! [`CapturingTransport`] and decoded as the server would.

use js_sys::{Function, Promise};
use sightline_protocol::decode_segment;
use sightline_protocol::v1::{EventData, NodeId};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::Element;

use super::document;
use crate::browser::recorder::{Recorder, take_recorder, with_recorder};
use crate::dsn::Dsn;
use crate::mask::PrivacyConfig;
use crate::transport::{CapturingTransport, Delivery};

/// A running recorder of the test page with `html` appended to its body.
pub(super) struct Live {
    pub(super) container: Element,
    transport: CapturingTransport,
}

impl Live {
    pub(super) fn start(html: &str, config: PrivacyConfig) -> Result<Self, JsValue> {
        Self::start_prepared(html, config, || Ok(()))
    }

    /// Like [`Live::start`], running `prepare` once the page holds `html`, before recording.
    pub(super) fn start_prepared(
        html: &str,
        config: PrivacyConfig,
        prepare: impl FnOnce() -> Result<(), JsValue>,
    ) -> Result<Self, JsValue> {
        drop(take_recorder());
        let document = document()?;
        let container = document.create_element("section")?;
        container.set_inner_html(html);
        document
            .body()
            .ok_or_else(|| JsValue::from_str("no body"))?
            .append_child(&container)?;
        prepare()?;
        let transport = CapturingTransport::new();
        let dsn = Dsn::parse("http://key@127.0.0.1:9/1").map_err(|e| e.to_string())?;
        Recorder::start(&dsn, "", "test", config, Box::new(transport.clone()))?;
        Ok(Self {
            container,
            transport,
        })
    }

    /// Every event recorded so far, after a flush, with its time.
    pub(super) fn timed_events(&self) -> Result<Vec<(u64, EventData)>, JsValue> {
        with_recorder(|recorder| recorder.flush(Delivery::Background)).ok_or("not recording")?;
        let mut events = Vec::new();
        for bytes in self.transport.segment_bytes().map_err(|e| e.to_string())? {
            let segment = decode_segment(&bytes).map_err(|e| e.to_string())?;
            events.extend(
                segment
                    .timed_events()
                    .map(|(time, event)| (time, event.data.clone())),
            );
        }
        Ok(events)
    }

    /// Every event recorded so far, after a flush.
    pub(super) fn events(&self) -> Result<Vec<EventData>, JsValue> {
        Ok(self
            .timed_events()?
            .into_iter()
            .map(|(_, event)| event)
            .collect())
    }

    /// The uncompressed bytes of every segment uploaded so far, after a flush.
    pub(super) fn bytes(&self) -> Result<Vec<u8>, JsValue> {
        with_recorder(|recorder| recorder.flush(Delivery::Background)).ok_or("not recording")?;
        Ok(self
            .transport
            .segment_bytes()
            .map_err(|e| e.to_string())?
            .concat())
    }

    /// How many segments were uploaded so far, without flushing.
    pub(super) fn uploads(&self) -> usize {
        self.transport.uploads().len()
    }

    /// The recorded id of the element `selector` finds in the container.
    pub(super) fn id(&self, selector: &str) -> Result<NodeId, JsValue> {
        let element = self
            .container
            .query_selector(selector)?
            .ok_or_else(|| JsValue::from_str(selector))?;
        with_recorder(|recorder| recorder.mirror().id_of(&element))
            .flatten()
            .ok_or_else(|| JsValue::from_str(&format!("{selector} is not recorded")))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        drop(take_recorder());
        self.container.remove();
    }
}

/// Runs `script` in the page and returns its value.
pub(super) fn run(script: &str) -> Result<JsValue, JsValue> {
    Function::new_no_args(script).call0(&JsValue::UNDEFINED)
}

/// Runs the body of an async function in the page and awaits its promise.
pub(super) async fn run_async(script: &str) -> Result<JsValue, JsValue> {
    let promise = run(&format!("return (async () => {{ {script} }})();"))?;
    JsFuture::from(Promise::from(promise)).await
}

/// Waits `ms` milliseconds, letting the page's timers run.
pub(super) async fn sleep(ms: i32) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    JsFuture::from(promise).await.map(drop)
}
