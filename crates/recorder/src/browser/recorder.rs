//! The running recorder: the session, the node ids and everything hooked into the page.
//!
//! It lives in a thread-local slot; every callback borrows it with `try_borrow_mut` and does
//! nothing when it is gone or busy, so a callback can never panic into the page.

use std::cell::RefCell;

use js_sys::Reflect;
use js_sys::{Array, WeakMap};
use sightline_protocol::v1::{
    AddedNode, AttributeChange, EventData, Mutation, NavigationKind, NodeId, StyleOp, StyleOpKind,
    StyleSheetRule,
};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, MutationObserver, MutationObserverInit, ResizeObserver, Window};

use super::checkpoint::{FIRST_SNAPSHOT_MS, Pacing, SLICE_MS, carried_state};
use super::frames::{Frames, as_element, as_node, frame_load_mutation};
use super::guard::Guarded;
use super::interaction;
use super::listener::Listener;
use super::mirror::Mirror;
use super::mutations::{deferred_additions, mutation_from_records};
use super::network::{JsPattern, page_trace_id};
use super::privacy::{Context, Privacy};
use super::snapshot::{MAX_ELEMENT_DEPTH, depth_of, records_children, serialize, shadow_root};
use super::stylesheets::{StyleSheets, css_text, link_css};
use super::tab_storage;
use super::upload::warn_once;
use crate::breadcrumb::ConsoleBudget;
use crate::dsn::Dsn;
use crate::error_report::ErrorReport;
use crate::ids::hex_id;
use crate::mask::PrivacyConfig;
use crate::navigation::navigation_kind;
use crate::network::{FinishedRequest, is_failure};
use crate::propagation::targets::Targets;
use crate::propagation::{PageHeaders, Propagation, RequestTrace, span_id};
use crate::sampling::SampleRates;
use crate::session::{Session, is_activity};
use crate::tab_session::TabSession;
use crate::throttle::Throttled;
use crate::transport::{Delivery, Transport};

/// How often a loading frame is checked for a new document, in ms.
const FRAME_POLL_MS: i32 = 50;

/// How often buffered events are uploaded, in ms.
const UPLOAD_INTERVAL_MS: i32 = 5_000;

/// How soon after a JS error or a failed request the events are uploaded, in ms: soon enough to
/// link a backend error quickly, late enough to upload a burst of failures together.
const PROMPT_FLUSH_DELAY_MS: i32 = 500;

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Runs `f` on the running recorder; `None` when there is none (or it is busy).
pub(crate) fn with_recorder<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    RECORDER.with(|slot| slot.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Takes the running recorder out of its slot.
pub(crate) fn take_recorder() -> Option<Recorder> {
    RECORDER.with(|slot| slot.try_borrow_mut().ok()?.take())
}

/// A recording in progress.
pub(crate) struct Recorder {
    session: Session<Box<dyn Transport>>,
    mirror: Mirror,
    privacy: Privacy,
    throttled: Throttled,
    console_budget: ConsoleBudget,
    /// Bounds the breadcrumbs the application adds.
    app_budget: ConsoleBudget,
    /// Bounds the network events of a page that polls (failed requests are always recorded).
    network_budget: ConsoleBudget,
    /// The page view's trace and the baggage of this recording.
    propagation: Propagation,
    /// Which requests get trace headers.
    targets: Targets<JsPattern>,
    /// The pending upload after an error or a failed request.
    prompt_flush: Option<i32>,
    on_prompt_flush: Guarded<dyn FnMut()>,
    /// The last recorded state of each form control, so that `input` then `change` with the
    /// same value is recorded once.
    input_states: WeakMap,
    last_href: String,
    window: Window,
    document: Document,
    observer: MutationObserver,
    _on_mutations: Guarded<dyn FnMut(Array)>,
    _listeners: Vec<Listener>,
    interval: i32,
    _on_tick: Guarded<dyn FnMut()>,
    throttle_timer: Option<i32>,
    on_throttle_timer: Guarded<dyn FnMut()>,
    style_sheets: StyleSheets,
    /// Watches the size of placeholders: an image that loads after it was recorded grows.
    resize_observer: Option<ResizeObserver>,
    _on_resize: Guarded<dyn FnMut(Array)>,
    /// The listeners of recorded same-origin frames.
    frames: Frames,
    /// When checkpoints are due, and the mutation flood detector.
    pacing: Pacing,
    /// The pending continuation of sliced serialization, or the checkpoint after a flood.
    pacing_timer: Option<i32>,
    on_pacing_timer: Guarded<dyn FnMut()>,
    /// How a new replay is sampled when this one expires.
    rates: SampleRates,
    /// The DSN's public key, for the baggage of a new replay.
    public_key: String,
}

impl Recorder {
    /// Starts recording the page as a new replay recorded in full; see [`Recorder::start_in`].
    #[cfg(test)]
    pub(crate) fn start(
        dsn: &Dsn,
        release: &str,
        environment: &str,
        privacy: PrivacyConfig,
        transport: Box<dyn Transport>,
    ) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let sampling = crate::sampling::Sampling::Session;
        let tab = TabSession::new(hex_id(random_bytes(&window)), now(), sampling);
        let rates = SampleRates::default();
        Self::start_in(dsn, tab, rates, release, environment, privacy, transport)
    }

    /// Starts recording the page as (or as the continuation of) the replay of `tab`: meta event,
    /// full snapshot, observers, listeners and the upload timer; segments go to `transport`. The
    /// snapshot is uploaded at once (kept in memory in buffer mode). A session that is not sampled
    /// records nothing and only adds trace headers (without a replay id); `rates` sample the next
    /// replay when this one expires.
    pub(crate) fn start_in(
        dsn: &Dsn,
        tab: TabSession,
        rates: SampleRates,
        release: &str,
        environment: &str,
        privacy: PrivacyConfig,
        transport: Box<dyn Transport>,
    ) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let document = window
            .document()
            .ok_or_else(|| JsValue::from_str("no document"))?;
        let session = Session::new(dsn, tab, release, environment, transport);
        let recording = session.sampling().records();
        let info = session.info();
        let propagation = Propagation::new(
            &page_trace_id(|| random_bytes(&window)),
            if recording { &info.replay_id } else { "" },
            &info.release,
            &info.environment,
            &dsn.public_key,
        );
        let mut session = session;
        let time = now();
        let meta = meta(&window)?;
        let last_href = match &meta {
            EventData::Meta { href, .. } => href.clone(),
            _ => String::new(),
        };
        session.record(time, meta);
        let mut mirror = Mirror::new();
        mirror.set_budget(FIRST_SNAPSHOT_MS);
        let privacy = Privacy::new(privacy, &document);
        if recording
            && let Some(root) = serialize(&mut mirror, &privacy, &document, 0, Context::default())
        {
            session.record(time, EventData::FullSnapshot { root });
        }
        if let Some(scroll) = interaction::window_scroll(&window, &mirror, &document) {
            session.record(time, scroll);
        }

        let on_mutations = Guarded::new(Closure::<dyn FnMut(Array)>::new(|records: Array| {
            with_recorder(|recorder| recorder.record_mutations(&records));
        }));
        let observer = MutationObserver::new(on_mutations.function())?;
        if recording {
            observer.observe_with_options(&document, &observer_options())?;
        }

        let listeners = if recording {
            interaction::listeners(&window, &document)?
        } else {
            Vec::new()
        };
        super::hooks::install(&window);
        let on_tick = Guarded::new(Closure::<dyn FnMut()>::new(|| {
            with_recorder(Recorder::tick);
        }));
        let interval = window.set_interval_with_callback_and_timeout_and_arguments_0(
            on_tick.function(),
            UPLOAD_INTERVAL_MS,
        )?;
        let on_throttle_timer = Guarded::new(Closure::<dyn FnMut()>::new(|| {
            with_recorder(|recorder| {
                recorder.throttle_timer = None;
                recorder.release_due();
            });
        }));
        let on_resize = Guarded::new(Closure::<dyn FnMut(Array)>::new(|entries: Array| {
            with_recorder(|recorder| recorder.record_resized(&entries));
        }));
        let resize_observer = ResizeObserver::new(on_resize.function()).ok();
        let on_pacing_timer = Guarded::new(Closure::<dyn FnMut()>::new(|| {
            with_recorder(|recorder| {
                recorder.pacing_timer = None;
                recorder.continue_pacing();
            });
        }));
        let on_prompt_flush = Guarded::new(Closure::<dyn FnMut()>::new(|| {
            with_recorder(|recorder| {
                recorder.prompt_flush = None;
                recorder.flush(Delivery::Background);
            });
        }));
        let mut recorder = Self {
            session,
            mirror,
            privacy,
            throttled: Throttled::new(),
            console_budget: ConsoleBudget::new(),
            app_budget: ConsoleBudget::with_subject("sightline", "breadcrumbs"),
            network_budget: ConsoleBudget::with_subject("network", "network requests"),
            propagation,
            targets: Targets::SameOrigin,
            prompt_flush: None,
            on_prompt_flush,
            input_states: WeakMap::new(),
            last_href,
            window,
            document,
            observer,
            _on_mutations: on_mutations,
            _listeners: listeners,
            interval,
            _on_tick: on_tick,
            throttle_timer: None,
            on_throttle_timer,
            style_sheets: StyleSheets::new(),
            resize_observer,
            _on_resize: on_resize,
            frames: Frames::new(),
            pacing: Pacing::new(time),
            pacing_timer: None,
            on_pacing_timer,
            rates,
            public_key: dsn.public_key.clone(),
        };
        recorder.record_initial_styles();
        recorder.flush(Delivery::Background);
        RECORDER.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = Some(recorder);
            }
        });
        Ok(())
    }

    /// The replay id of this recording (or buffer); `None` when the session is not sampled.
    pub(crate) fn replay_id(&self) -> Option<&str> {
        self.session
            .sampling()
            .records()
            .then(|| self.session.replay_id())
    }

    /// The upload timer: a checkpoint when buffer mode wants one, then an upload of what waits.
    fn tick(&mut self) {
        let time = now();
        if self.session.checkpoint_due(time) || self.pacing.checkpoint_due(time) {
            self.take_checkpoint();
        }
        if self.session.has_pending() || !self.throttled.is_empty() {
            self.flush(Delivery::Background);
        }
    }

    /// Records the page's meta and a full snapshot, with everything pending before them: a new
    /// replay and each of buffer mode's windows start from one.
    pub(crate) fn take_checkpoint(&mut self) {
        self.release_throttled();
        self.take_pending_mutations();
        let time = now();
        if let Ok(meta) = meta(&self.window) {
            self.session.record(time, meta);
        }
        if let Some(notice) = self.pacing.flood_notice() {
            self.session.record(time, EventData::Breadcrumb(notice));
        }
        // Every node gets a fresh id: nodes left to later slices must have none.
        self.mirror.reset();
        self.mirror.set_budget(SLICE_MS);
        if let Some(root) = serialize(
            &mut self.mirror,
            &self.privacy,
            &self.document,
            0,
            Context::default(),
        ) {
            self.session.record(time, EventData::FullSnapshot { root });
        }
        self.pacing.checkpointed(time);
        if let Some(scroll) = interaction::window_scroll(&self.window, &self.mirror, &self.document)
        {
            self.session.record(time, scroll);
        }
        for event in carried_state(&self.mirror) {
            self.session.record(time, event);
        }
        for (owner, text) in self.style_sheets.edited_rules() {
            if let Some(id) = self.mirror.id_of(&owner) {
                self.record_sheet_text(time, id, text);
            }
        }
        self.record_initial_styles();
    }

    /// Serializes what earlier tasks left for later, within this task's budget, or takes the
    /// checkpoint that ends a mutation flood.
    fn continue_pacing(&mut self) {
        let time = now();
        if self.pacing.checkpoint_due(time) {
            self.take_checkpoint();
            return;
        }
        for frame in self.frames.switched(&self.mirror) {
            self.record_frame_load(&frame);
        }
        if self.pacing.flood_ends_in(time).is_none() {
            self.take_pending_mutations();
            self.mirror.set_budget(SLICE_MS);
            if let Some(mutation) = deferred_additions(&mut self.mirror, &self.privacy) {
                self.session.record(now(), EventData::Mutation(mutation));
            }
            self.observe_new_nodes();
        }
        self.schedule_pacing();
    }

    /// Schedules [`Recorder::continue_pacing`]: at once when nodes wait to be serialized, at the
    /// end of a mutation flood, or soon when a frame is loading (to record its new document as
    /// soon as it shows).
    fn schedule_pacing(&mut self) {
        if self.pacing_timer.is_some() {
            return;
        }
        let delay = match self.pacing.flood_ends_in(now()) {
            Some(delay) => i32::try_from(delay).unwrap_or(i32::MAX),
            None if self.mirror.has_deferred() => 0,
            None if self.frames.loading(&self.mirror) => FRAME_POLL_MS,
            None => return,
        };
        self.pacing_timer = self
            .window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                self.on_pacing_timer.function(),
                delay,
            )
            .ok();
    }

    /// Sets the time between checkpoints (`checkpointIntervalMs`); `0` turns them off.
    pub(crate) fn set_checkpoint_interval(&mut self, interval_ms: u64) {
        self.pacing.set_interval(interval_ms);
    }

    /// Starts a new replay when the current one expired (idle or too old), before recording user
    /// activity: the new replay is sampled afresh and starts from a checkpoint.
    fn renew_if_expired(&mut self, time: u64) {
        if !self.session.sampling().records() || !self.session.is_expired(time) {
            return;
        }
        let tab = tab_storage::new_tab(self.rates, time, hex_id(random_bytes(&self.window)));
        self.session.renew(tab);
        let recording = self.session.sampling().records();
        let info = self.session.info();
        self.propagation = Propagation::new(
            self.propagation.trace_id(),
            if recording { &info.replay_id } else { "" },
            &info.release,
            &info.environment,
            &self.public_key,
        );
        tab_storage::save(&self.window, self.session.tab());
        if recording {
            self.take_checkpoint();
        }
    }

    /// The privacy rules in force.
    pub(crate) fn privacy(&self) -> &Privacy {
        &self.privacy
    }

    /// The page's window.
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    /// The recorded document.
    #[cfg(test)]
    pub(crate) fn document(&self) -> &Document {
        &self.document
    }

    /// The ids of recorded nodes.
    pub(crate) fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// Whether scrolls, resizes or mouse moves wait to be recorded.
    #[cfg(test)]
    pub(crate) fn has_throttled(&self) -> bool {
        !self.throttled.is_empty()
    }

    /// The last recorded state of form controls, keyed by element.
    pub(crate) fn input_states(&self) -> &WeakMap {
        &self.input_states
    }

    /// Records an event that happens now. Throttled events and DOM changes that are still
    /// pending happened before it, so they are recorded first.
    pub(crate) fn record(&mut self, data: EventData) {
        let time = now();
        if is_activity(&data) {
            self.renew_if_expired(time);
        }
        self.release_throttled();
        self.take_pending_mutations();
        self.session.record(time, data);
    }

    /// Runs `f` on the throttled events (a scroll, a move, a resize), then records whatever it
    /// released and makes sure the rest is released when due.
    pub(crate) fn throttle(
        &mut self,
        f: impl FnOnce(&mut Throttled, u64) -> Vec<(u64, EventData)>,
    ) {
        self.renew_if_expired(now());
        let released = f(&mut self.throttled, now());
        if !released.is_empty() {
            self.take_pending_mutations();
        }
        for (time, event) in released {
            self.session.record(time, event);
        }
        self.schedule_release();
    }

    /// Records an error the page reported, uploaded promptly; returns its event id.
    pub(crate) fn record_error(&mut self, report: ErrorReport) -> String {
        self.release_throttled();
        self.take_pending_mutations();
        let event_id = hex_id(random_bytes(&self.window));
        let event_id = self.session.record_error(now(), report, event_id);
        self.flush_soon();
        event_id
    }

    /// Records a breadcrumb the application added, within its budget.
    pub(crate) fn record_app_breadcrumb(&mut self, breadcrumb: sightline_protocol::v1::Breadcrumb) {
        let (admitted, notice) = self.app_budget.admit(now());
        if let Some(notice) = notice {
            self.record(EventData::Breadcrumb(notice));
        }
        if admitted {
            self.record(EventData::Breadcrumb(breadcrumb));
        }
    }

    /// Sets which requests get trace headers.
    pub(crate) fn set_targets(&mut self, targets: Targets<JsPattern>) {
        self.targets = targets;
    }

    /// What a request to `url` (absolute) that already has the trace headers `page` carries, and
    /// the headers to add when `can_add` and it goes to a propagation target. `None` for URLs
    /// that are not recorded (not `http(s)`).
    pub(crate) fn trace_request(
        &self,
        url: &str,
        page: &PageHeaders<'_>,
        can_add: bool,
    ) -> Option<RequestTrace> {
        crate::url::HttpUrl::parse(url)?;
        let page_url = self.window.location().href().unwrap_or_default();
        let propagate = can_add && self.targets.matches(url, &page_url);
        Some(self.propagation.plan(page, propagate, || {
            let random = random_bytes(&self.window);
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&random[..8]);
            span_id(bytes)
        }))
    }

    /// Records a finished request; a failed one (no response or a 5xx) is uploaded promptly.
    pub(crate) fn record_request(&mut self, request: FinishedRequest<'_>) {
        let Some(event) = request.into_event() else {
            return;
        };
        let failed = is_failure(event.status);
        let (admitted, notice) = self.network_budget.admit(now());
        if let Some(notice) = notice {
            self.record(EventData::Breadcrumb(notice));
        }
        if admitted || failed {
            self.record(EventData::NetworkRequest(event));
        }
        if failed {
            self.flush_soon();
        }
    }

    /// Uploads what was recorded within [`PROMPT_FLUSH_DELAY_MS`], unless an upload is already
    /// due that soon.
    pub(crate) fn flush_soon(&mut self) {
        if self.prompt_flush.is_some() {
            return;
        }
        self.prompt_flush = self
            .window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                self.on_prompt_flush.function(),
                PROMPT_FLUSH_DELAY_MS,
            )
            .ok();
    }

    /// Records a console message, within the console budget.
    pub(crate) fn record_breadcrumb(&mut self, breadcrumb: sightline_protocol::v1::Breadcrumb) {
        let (admitted, notice) = self.console_budget.admit(now());
        if let Some(notice) = notice {
            self.record(EventData::Breadcrumb(notice));
        }
        if admitted {
            self.record(EventData::Breadcrumb(breadcrumb));
        }
    }

    /// Records a navigation of `kind` when the URL changed, with a meta event for the new page.
    pub(crate) fn record_navigation(&mut self, kind: NavigationKind) {
        let Ok(href) = self.window.location().href() else {
            return;
        };
        let Some(kind) = navigation_kind(&self.last_href, &href, kind) else {
            return;
        };
        self.last_href.clone_from(&href);
        self.record(EventData::Navigation { href, kind });
        if let Ok(meta) = meta(&self.window) {
            self.record(meta);
        }
    }

    /// The id of `node`, or of its nearest recorded ancestor when it is not recorded itself
    /// (inside a clipped subtree or a placeholder).
    pub(crate) fn nearest_id(&self, node: &web_sys::Node) -> Option<NodeId> {
        let mut current = Some(node.clone());
        while let Some(node) = current {
            if let Some(id) = self.mirror.id_of(&node) {
                return Some(id);
            }
            current = node.parent_node();
        }
        None
    }

    /// Uploads everything recorded so far.
    pub(crate) fn flush(&mut self, delivery: Delivery) {
        self.release_throttled();
        self.take_pending_mutations();
        if delivery == Delivery::Unload && self.mirror.has_deferred() {
            // No later task will come: what waits for its slice is recorded now.
            self.mirror.clear_budget();
            if let Some(mutation) = deferred_additions(&mut self.mirror, &self.privacy) {
                self.session.record(now(), EventData::Mutation(mutation));
            }
            self.observe_new_nodes();
        }
        if self.session.flush(delivery).is_err() {
            warn_once("Sightline: events could not be encoded", &JsValue::NULL);
        }
        tab_storage::save(&self.window, self.session.tab());
    }

    /// Records every throttled event now.
    fn release_throttled(&mut self) {
        if self.throttled.is_empty() {
            return;
        }
        let released = self.throttled.take_all();
        self.take_pending_mutations();
        for (time, event) in released {
            self.session.record(time, event);
        }
    }

    /// Records the throttled events that are due, and waits for the rest.
    fn release_due(&mut self) {
        self.throttle(|throttled, now| throttled.take_due(now));
    }

    fn schedule_release(&mut self) {
        if self.throttle_timer.is_some() {
            return;
        }
        let Some(due) = self.throttled.due_at() else {
            return;
        };
        let delay = i32::try_from(due.saturating_sub(now())).unwrap_or(i32::MAX);
        self.throttle_timer = self
            .window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                self.on_throttle_timer.function(),
                delay,
            )
            .ok();
    }

    /// Records DOM changes the observer has queued but not yet delivered, so that they keep
    /// their place before whatever is recorded next.
    fn take_pending_mutations(&mut self) {
        let records = self.observer.take_records();
        if records.length() > 0 {
            self.record_mutations(&records);
        }
    }

    fn record_mutations(&mut self, records: &Array) {
        if !self.pacing.admit(now(), records.length()) {
            // A flood: a checkpoint records where it led.
            self.schedule_pacing();
            return;
        }
        self.mirror.set_budget(SLICE_MS);
        if let Some(mutation) = mutation_from_records(&mut self.mirror, &self.privacy, records) {
            self.session.record(now(), EventData::Mutation(mutation));
        }
        self.observe_new_nodes();
    }

    /// Records the open shadow root just attached to `host` as a new first child of the host,
    /// and observes it.
    pub(crate) fn record_attached_shadow(&mut self, host: &Element) {
        let Some(root) = host.shadow_root() else {
            return; // closed shadow roots stay private
        };
        let depth = depth_of(host);
        let Some(host_id) = self.mirror.id_of(host) else {
            return;
        };
        if self.mirror.id_of(&root).is_some()
            || depth >= MAX_ELEMENT_DEPTH
            || !records_children(&self.privacy, host)
        {
            return;
        }
        self.release_throttled();
        self.take_pending_mutations();
        let mut next_id = None;
        let mut child = host.first_child();
        while let (None, Some(current)) = (next_id, child) {
            next_id = self.mirror.id_of(&current);
            child = current.next_sibling();
        }
        let context = self.privacy.context_of(host);
        self.mirror.set_budget(SLICE_MS);
        let node = shadow_root(&mut self.mirror, &self.privacy, &root, depth + 1, context);
        let mutation = Mutation {
            adds: vec![AddedNode {
                parent_id: host_id,
                next_id,
                node,
            }],
            ..Mutation::default()
        };
        self.session.record(now(), EventData::Mutation(mutation));
        self.observe_new_nodes();
    }

    /// Records the document a recorded frame shows after it loaded.
    pub(crate) fn record_frame_load(&mut self, frame: &Element) {
        self.release_throttled();
        self.take_pending_mutations();
        self.mirror.set_budget(SLICE_MS);
        if let Some(mutation) = frame_load_mutation(&mut self.mirror, &self.privacy, frame) {
            self.session.record(now(), EventData::Mutation(mutation));
        }
        self.observe_new_nodes();
    }

    /// Records the rules the stylesheet link `link` loaded, when the page may read them.
    pub(crate) fn record_link_sheet(&mut self, link: &Element) {
        let (Some(id), Some(text)) = (self.mirror.id_of(link), link_css(link)) else {
            return;
        };
        self.release_throttled();
        self.take_pending_mutations();
        self.record_sheet_text(now(), id, text);
    }

    /// Records a size change of placeholders.
    fn record_resized(&mut self, entries: &Array) {
        let mut attributes = Vec::new();
        for entry in entries.iter() {
            let Ok(target) = Reflect::get(&entry, &JsValue::from_str("target")) else {
                continue;
            };
            let Some(element) = as_node(&target).and_then(as_element).cloned() else {
                continue;
            };
            if let (Some(id), Some(style)) = (
                self.mirror.id_of(&element),
                self.privacy.resized_style(&element),
            ) {
                attributes.push(AttributeChange {
                    id,
                    name: "style".to_owned(),
                    value: Some(style),
                });
            }
        }
        if !attributes.is_empty() {
            self.record(EventData::Mutation(Mutation {
                attributes,
                ..Mutation::default()
            }));
        }
    }

    /// Watches what was recorded since the last call: placeholders' sizes, frames' documents
    /// (mutations, user input, styles), stylesheet links, and shadow roots' mutations (a
    /// document's observer does not see into them) and adopted stylesheets; then schedules the
    /// serialization of what was deferred.
    fn observe_new_nodes(&mut self) {
        if let Some(observer) = &self.resize_observer {
            for element in self.privacy.take_new_blocked() {
                observer.observe(&element);
            }
        }
        let options = observer_options();
        for (frame, document) in self.mirror.take_new_frames() {
            let _ = self.observer.observe_with_options(&document, &options);
            self.frames.watch(&frame, &document);
            self.record_document_styles(&document);
            if let Some(window) = document.default_view()
                && let Some(scroll) = interaction::window_scroll(&window, &self.mirror, &document)
            {
                self.session.record(now(), scroll);
            }
        }
        for link in self.mirror.take_new_links() {
            self.style_sheets.watch_link(&link);
            self.record_link_sheet(&link);
        }
        for root in self.mirror.take_new_shadow_roots() {
            let _ = self.observer.observe_with_options(&root, &options);
            if let Some(id) = self.mirror.id_of(&root)
                && let Some(adopted) = self.style_sheets.adopted(&root, id, true)
            {
                self.session
                    .record(now(), EventData::AdoptedStyleSheets(adopted));
            }
        }
        self.schedule_pacing();
    }

    /// Records, after the snapshot, what the DOM does not show: the document's adopted
    /// stylesheets, and the rules of `<style>` elements filled through the CSSOM only (as CSS-in-JS
    /// libraries do in production).
    fn record_initial_styles(&mut self) {
        let document = self.document.clone();
        self.record_document_styles(&document);
        self.observe_new_nodes();
    }

    /// Records the adopted stylesheets of `document` (the page's or a frame's) and the rules of
    /// its `<style>` elements filled through the CSSOM only.
    fn record_document_styles(&mut self, document: &Document) {
        let time = now();
        if let Some(id) = self.mirror.id_of(document)
            && let Some(adopted) = self.style_sheets.adopted(document, id, true)
        {
            self.session
                .record(time, EventData::AdoptedStyleSheets(adopted));
        }
        let Ok(styles) = document.query_selector_all("style") else {
            return;
        };
        for style in (0..styles.length()).filter_map(|index| styles.item(index)) {
            let Some(id) = self.mirror.id_of(&style) else {
                continue;
            };
            if !style.text_content().unwrap_or_default().trim().is_empty() {
                continue;
            }
            let sheet = Reflect::get(&style, &JsValue::from_str("sheet")).unwrap_or_default();
            if let Some(text) = css_text(&sheet).filter(|text| !text.is_empty()) {
                self.record_sheet_text(time, id, text);
            }
        }
    }

    /// Records that element `id`'s sheet now holds exactly the rules of `text` (a `<link>`'s
    /// captured CSS, or a CSSOM-edited sheet re-sent after a checkpoint).
    fn record_sheet_text(&mut self, time: u64, id: NodeId, text: String) {
        let op = StyleOp {
            kind: StyleOpKind::Replace,
            path: Vec::new(),
            text,
        };
        let rule = StyleSheetRule {
            node_id: Some(id),
            style_id: None,
            ops: vec![op],
        };
        self.session.record(time, EventData::StyleSheetRule(rule));
    }

    /// Records a CSSOM change `op` of `sheet`: an element's sheet by the element's id, a
    /// constructed sheet by its style id (a sheet never adopted is recorded whole when it is).
    pub(crate) fn record_style_op(&mut self, sheet: &JsValue, op: StyleOp) {
        // A `<style>` added and filled in one task is not recorded yet: its addition comes first.
        self.release_throttled();
        self.take_pending_mutations();
        let owner = Reflect::get(sheet, &JsValue::from_str("ownerNode")).unwrap_or_default();
        let (node_id, style_id) = match as_node(&owner) {
            Some(node) => {
                self.style_sheets.note_edited(&owner);
                (self.mirror.id_of(node), None)
            }
            None => (None, self.style_sheets.id_of(sheet)),
        };
        if node_id.is_none() && style_id.is_none() {
            return;
        }
        self.record(EventData::StyleSheetRule(StyleSheetRule {
            node_id,
            style_id,
            ops: vec![op],
        }));
    }

    /// Records the adopted stylesheets `owner` (a document or shadow root) was just given.
    pub(crate) fn record_adopted(&mut self, owner: &JsValue) {
        let Some(id) = as_node(owner).and_then(|node| self.mirror.id_of(node)) else {
            return;
        };
        self.release_throttled();
        self.take_pending_mutations();
        if let Some(adopted) = self.style_sheets.adopted(owner, id, false) {
            self.session
                .record(now(), EventData::AdoptedStyleSheets(adopted));
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.observer.disconnect();
        self.window.clear_interval_with_handle(self.interval);
        if let Some(timer) = self.throttle_timer {
            self.window.clear_timeout_with_handle(timer);
        }
        if let Some(timer) = self.prompt_flush {
            self.window.clear_timeout_with_handle(timer);
        }
        if let Some(timer) = self.pacing_timer {
            self.window.clear_timeout_with_handle(timer);
        }
        if let Some(observer) = &self.resize_observer {
            observer.disconnect();
        }
    }
}

/// What the mutation observer watches: everything under its target.
fn observer_options() -> MutationObserverInit {
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_attributes(true);
    options.set_character_data(true);
    options.set_subtree(true);
    options
}

/// The meta event of the page as it is now.
pub(crate) fn meta(window: &Window) -> Result<EventData, JsValue> {
    let (width, height) = viewport(window);
    Ok(EventData::Meta {
        href: window.location().href()?,
        width,
        height,
        user_agent: window.navigator().user_agent()?,
    })
}

/// The viewport's size in CSS pixels.
pub(crate) fn viewport(window: &Window) -> (u32, u32) {
    let pixels = |value: Result<JsValue, JsValue>| {
        // Viewport sizes are small non-negative numbers; `as` saturates anything else.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        value
            .ok()
            .and_then(|value| value.as_f64())
            .map_or(0, |pixels| pixels as u32)
    };
    (pixels(window.inner_width()), pixels(window.inner_height()))
}

/// The current time in ms since the Unix epoch.
pub(crate) fn now() -> u64 {
    // `Date.now()` is a non-negative integer.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let now = js_sys::Date::now() as u64;
    now
}

/// 16 random bytes from `crypto.getRandomValues`, or `Math.random` where crypto is missing.
pub(crate) fn random_bytes(window: &Window) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = window
        .crypto()
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes))
        .is_ok();
    if !filled {
        for byte in &mut bytes {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let random = (js_sys::Math::random() * 256.0) as u8;
            *byte = random;
        }
    }
    bytes
}
