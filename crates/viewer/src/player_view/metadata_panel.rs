//! The metadata panel: browser, system, viewport, URLs, release, environment, replay id, start
//! and duration, from [`crate::metadata`].

use leptos::prelude::*;

use super::controls::Controls;
use crate::api::ReplaySummary;
use crate::metadata::metadata_rows;

/// The metadata panel.
#[component]
pub(super) fn MetadataPanel(
    controls: Controls,
    replay_id: String,
    summary: RwSignal<Option<ReplaySummary>>,
) -> impl IntoView {
    let rows = Memo::new(move |_| {
        let duration = controls.duration.get();
        summary.with(|summary| {
            controls
                .meta
                .with(|meta| metadata_rows(&replay_id, summary.as_ref(), meta.as_ref(), duration))
        })
    });
    let items = move || {
        rows.get()
            .into_iter()
            .map(|row| {
                view! {
                    <dt>{row.label}</dt>
                    <dd data-sl-meta=row.label.to_ascii_lowercase()>
                        {row
                            .values
                            .into_iter()
                            .map(|value| view! { <div>{value}</div> })
                            .collect_view()}
                    </dd>
                }
            })
            .collect_view()
    };
    view! { <dl class="metadata" data-sl-metadata="">{items}</dl> }
}
