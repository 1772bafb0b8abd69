//! The `/issues/{id}` page: what the issue is, where it started (releases, suspect commits,
//! owner), one of its events in full (`?event=` picks it; the newest by default) with the
//! navigation between them, its tags, replays and history, and the buttons that resolve,
//! ignore, reopen or assign it (`PUT /api/0/issues/{id}/`).

mod actions;
mod event_view;
mod sections;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use self::actions::ActionBar;
use self::event_view::EventSection;
use self::sections::{
    activity_view, owner_view, releases_view, replays_view, suspects_view, tags_view, trace_view,
};
use crate::app::{Auth, TokenGate};
use crate::deep_link::event_path;
use crate::event_detail::EventDetail;
use crate::format::format_count;
use crate::http::{FetchError, api_resource, from_loose, from_value, get_value};
use crate::issue::{Issue, IssueDetail, IssueExtras, issue_path};
use crate::session::Credential;
use crate::sparkline::{bars_path, summary};

/// What the page shows while and after loading the issue.
#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Loaded,
    Failed(String),
}

/// The issue page.
#[component]
pub fn IssuePage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <TokenGate>
            {move || params.with(|p| p.get("id")).map(|id| view! { <IssueView id=id /> })}
        </TokenGate>
    }
}

/// Fetches the issue (its own fields and the page's extras from one response).
async fn fetch_detail(id: &str, token: &Credential) -> Result<IssueDetail, FetchError> {
    let value = get_value(&issue_path(id), token).await?;
    let latest = js_sys::Reflect::get(&value, &"latest_event".into()).unwrap_or_default();
    let mut extras = from_loose::<IssueExtras>(&value)?;
    extras.latest_event = from_value::<Option<EventDetail>>(&latest)?;
    Ok(IssueDetail {
        issue: from_loose::<Issue>(&value)?,
        extras,
    })
}

#[component]
fn IssueView(id: String) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let load = RwSignal::new(Load::Loading);
    let issue = RwSignal::new(Issue::default());
    let extras = RwSignal::new(IssueExtras::default());
    // Bumped after a change, to reload the activity.
    let version = RwSignal::new(0_u32);
    let issue_id = StoredValue::new(id.clone());
    Effect::new(move || {
        version.track();
        let Some(token) = auth.token_untracked() else {
            return;
        };
        let id = issue_id.get_value();
        leptos::task::spawn_local(async move {
            match fetch_detail(&id, &token).await {
                Ok(detail) => {
                    issue.try_set(detail.issue);
                    extras.try_set(detail.extras);
                    load.try_set(Load::Loaded);
                }
                Err(FetchError::Unauthorized) => auth.reject(),
                Err(error) => {
                    load.try_set(Load::Failed(error.to_string()));
                }
            }
        });
    });
    let query = use_query_map();
    let picked = Memo::new(move |_| query.with(|q| q.get("event")));
    // Without `?event=`, the issue's own latest event is shown and nothing is fetched.
    let picked_event = api_resource(move || picked.get().map(|e| event_path(&e)));
    let event = Signal::derive(move || match picked.get() {
        None => extras.with(|e| e.latest_event.clone()).map(Ok),
        Some(_) => picked_event
            .get()
            .map(|answer| answer.and_then(|value| from_value::<EventDetail>(&value)))
            .map(|answer| answer.map_err(|error| error.to_string())),
    });
    let on_changed = Callback::new(move |updated: Issue| {
        issue.set(updated);
        version.update(|v| *v += 1);
    });
    view! {
        <section class="issue-page" data-sl-issue=id.clone()>
            {move || match load.get() {
                Load::Loading => view! { <p class="muted">"Loading the issue…"</p> }.into_any(),
                Load::Failed(message) => {
                    view! {
                        <h1>"Issue " {issue_id.get_value()}</h1>
                        <p class="error">{message}</p>
                    }
                        .into_any()
                }
                Load::Loaded => {
                    view! {
                        <IssueHeader issue=issue />
                        <ActionBar issue=issue on_changed=on_changed />
                        <div class="issue-columns">
                            <div class="issue-main-column">
                                {move || issue.with(suspects_view).into_any()}
                                <EventSection issue=issue extras=extras event=event />
                            </div>
                            <aside class="issue-side">
                                {move || issue.with(releases_view).into_any()}
                                {move || issue.with(owner_view).into_any()}
                                {move || extras.with(|e| tags_view(&e.tags)).into_any()}
                                {move || {
                                    extras
                                        .with(|e| trace_view(e.latest_trace_id.as_deref()))
                                        .into_any()
                                }}
                                {move || extras.with(|e| replays_view(&e.replay_ids)).into_any()}
                                {move || extras.with(|e| activity_view(&e.activity)).into_any()}
                            </aside>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Title, culprit, badges and counts.
#[component]
fn IssueHeader(issue: RwSignal<Issue>) -> impl IntoView {
    move || {
        issue.with(|issue| {
            let spark = bars_path(&issue.counts_24h, 240.0, 40.0);
            let spark_title = summary(&issue.counts_24h);
            view! {
                <header class="issue-head">
                    <h1 class="error-type">{issue.title.clone()}</h1>
                    <p class="culprit muted">{issue.culprit.clone()}</p>
                    <div class="badges">
                        <span class=format!(
                            "badge level level-{}",
                            issue.level,
                        )>{issue.level.clone()}</span>
                        <span
                            class=format!("badge status status-{}", issue.status)
                            data-sl-status=issue.status.clone()
                            title=issue.status_detail()
                        >
                            {issue.status_label()}
                        </span>
                        {issue
                            .regressed
                            .then(|| {
                                view! {
                                    <span class="badge regressed" data-sl-regressed="">
                                        "Regressed"
                                    </span>
                                }
                            })}
                    </div>
                    <dl class="issue-counts">
                        <dt>"Events"</dt>
                        <dd data-sl-count="">{format_count(issue.count)}</dd>
                        <dt>"Users"</dt>
                        <dd>{format_count(issue.user_count)}</dd>
                        <dt>"Last hour"</dt>
                        <dd>{format_count(issue.events_1h)}</dd>
                        <dt>"Environments"</dt>
                        <dd>{issue.environments.join(", ")}</dd>
                    </dl>
                    <div class="spark" title=spark_title>
                        <svg width="240" height="40" viewBox="0 0 240 40" data-sl-sparkline="">
                            <path d=spark />
                        </svg>
                    </div>
                </header>
            }
        })
    }
}
