//! The panels beside the player, one tab each: console, network, errors and metadata. Every
//! panel stays rendered (a hidden tab keeps following the playhead), only one is shown.

use leptos::prelude::*;

use super::controls::Controls;
use super::error_panel::ErrorsPanel;
use super::metadata_panel::MetadataPanel;
use super::network_panel::NetworkPanel;
use super::panels::ConsolePanel;
use crate::api::ReplaySummary;

/// A side panel's tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tab {
    Console,
    Network,
    Errors,
    Metadata,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Console, Tab::Network, Tab::Errors, Tab::Metadata];

    fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Network => "network",
            Self::Errors => "errors",
            Self::Metadata => "metadata",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Console => "Console",
            Self::Network => "Network",
            Self::Errors => "Errors",
            Self::Metadata => "Metadata",
        }
    }
}

/// The side panels; `initial` is the tab shown first.
#[component]
pub(super) fn SidePanels(
    controls: Controls,
    on_seek: Callback<u64>,
    replay_id: String,
    summary: RwSignal<Option<ReplaySummary>>,
    initial: Tab,
) -> impl IntoView {
    let active = RwSignal::new(initial);
    let error_count = move || {
        let count = controls.errors.with(Vec::len) + controls.backend.with(Vec::len);
        (count > 0).then(|| view! { <span class="count">{count}</span> })
    };
    let failed_count = move || {
        let count = controls
            .requests
            .with(|rows| rows.iter().filter(|r| r.highlighted()).count());
        (count > 0).then(|| view! { <span class="count">{count}</span> })
    };
    let tabs = Tab::ALL
        .into_iter()
        .map(|tab| {
            view! {
                <button
                    role="tab"
                    data-sl-tab=tab.as_str()
                    aria-selected=move || (active.get() == tab).to_string()
                    on:click=move |_| active.set(tab)
                >
                    {tab.title()}
                    {match tab {
                        Tab::Errors => error_count.into_any(),
                        Tab::Network => failed_count.into_any(),
                        _ => ().into_any(),
                    }}
                </button>
            }
        })
        .collect_view();
    let hidden = move |tab: Tab| move || active.get() != tab;
    view! {
        <aside class="side-panels">
            <div class="tabs" role="tablist">{tabs}</div>
            <div class="panel" role="tabpanel" data-sl-panel="console" hidden=hidden(Tab::Console)>
                <ConsolePanel controls=controls on_seek=on_seek />
            </div>
            <div class="panel" role="tabpanel" data-sl-panel="network" hidden=hidden(Tab::Network)>
                <NetworkPanel controls=controls on_seek=on_seek link_base=String::new() />
            </div>
            <div class="panel" role="tabpanel" data-sl-panel="errors" hidden=hidden(Tab::Errors)>
                <ErrorsPanel controls=controls on_seek=on_seek link_base=String::new() />
            </div>
            <div class="panel" role="tabpanel" data-sl-panel="metadata" hidden=hidden(Tab::Metadata)>
                <MetadataPanel controls=controls replay_id=replay_id summary=summary />
            </div>
        </aside>
    }
}
