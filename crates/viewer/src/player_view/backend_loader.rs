//! Loads the backend errors linked to a replay (`GET /api/0/replays/{id}/events/`) into the
//! player's [`Controls`], then, for the errors panel, their stack traces one event at a time
//! (`GET /api/0/events/{id}/`; the replay's list has none). A failure is noted for the errors
//! panel and leaves the player as it is.

use leptos::prelude::*;

use super::controls::Controls;
use crate::backend::{BackendEvent, bounded_events, replay_events_path};
use crate::deep_link::event_path;
use crate::http::get_json;
use crate::session::Credential;

/// Most backend errors whose stack traces are fetched one by one.
const MAX_DETAIL_FETCHES: usize = 20;

/// Where to load from.
pub(super) struct BackendRequest {
    /// Prefix of every API URL.
    pub base: String,
    /// The replay.
    pub replay_id: String,
    /// The credential of the calls.
    pub token: Credential,
    /// Also fetch the stack traces (the viewer's own page shows them).
    pub with_details: bool,
}

/// Loads the events into `controls.backend`; `on_listed` runs once they are there.
pub(super) async fn load_backend_events(
    request: BackendRequest,
    controls: Controls,
    on_listed: impl Fn(),
) {
    let BackendRequest {
        base,
        replay_id,
        token,
        with_details,
    } = request;
    let url = format!("{base}{}", replay_events_path(&replay_id));
    let events = match get_json::<Vec<BackendEvent>>(&url, &token).await {
        Ok(events) => bounded_events(events),
        Err(error) => {
            controls.backend_failure.try_set(Some(error.to_string()));
            return;
        }
    };
    let pending: Vec<String> = events
        .iter()
        .filter(|e| !e.has_stack())
        .take(MAX_DETAIL_FETCHES)
        .map(|e| e.id.clone())
        .collect();
    let details = with_details && !pending.is_empty();
    controls.backend_details_loading.try_set(details);
    if controls.backend.try_set(events).is_some() {
        // The player is gone.
        return;
    }
    on_listed();
    if !details {
        return;
    }
    for event_id in pending {
        let url = format!("{base}{}", event_path(&event_id));
        if let Ok(detail) = get_json::<BackendEvent>(&url, &token).await {
            let merged = controls.backend.try_update(|events| {
                if let Some(event) = events.iter_mut().find(|e| e.id == event_id) {
                    event.merge_detail(detail);
                }
            });
            if merged.is_none() {
                return;
            }
        }
    }
    controls.backend_details_loading.try_set(false);
}
