//! The `/issues?query=…&sort=…` page: the query bar, the order, and one row per issue with its
//! counts and a sparkline of its last day. The address bar holds the query and the order
//! ([`crate::issue_query`]); an invalid query shows the server's message under the bar.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::app::TokenGate;
use crate::format::{format_ago, format_count};
use crate::http::{FetchError, api_resource, resource_value};
use crate::issue::Issue;
use crate::issue_query::{ListParams, Sort};
use crate::release::release_page_path;
use crate::sparkline::{bars_path, summary};

/// Size of a row's sparkline, in CSS pixels.
const SPARK_WIDTH: f64 = 96.0;
const SPARK_HEIGHT: f64 = 24.0;

/// The issues page.
#[component]
pub fn IssueList() -> impl IntoView {
    view! {
        <TokenGate>
            <IssueTable />
        </TokenGate>
    }
}

#[component]
fn IssueTable() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        query.with(|q| ListParams::from_values(q.get_str("query"), q.get_str("sort")))
    });
    let issues = api_resource(move || Some(params.get().api_path()));
    let navigate = use_navigate();
    let go = Callback::new(move |next: ListParams| {
        navigate(&next.page_url(), Default::default());
    });
    let query_error = move || match issues.get() {
        // Only the status matters here: no need to read the list.
        Some(Err(FetchError::Status {
            status: 400,
            message,
        })) => Some(message),
        _ => None,
    };
    let body = move || {
        let now = js_sys::Date::now() as u64;
        match resource_value::<Vec<Issue>>(issues.get()) {
            None => view! { <p class="muted">"Loading issues…"</p> }.into_any(),
            Some(Err(FetchError::Status { status: 400, .. })) => ().into_any(),
            Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="muted" data-sl-no-issues="">"No issues match this query."</p> }
                    .into_any()
            }
            Some(Ok(list)) => view! {
                <table class="issues" data-sl-issues="">
                    <thead>
                        <tr>
                            <th>"Issue"</th>
                            <th>"Last 24 hours"</th>
                            <th class="num">"Events"</th>
                            <th class="num">"Users"</th>
                            <th>"Releases"</th>
                            <th>"Assignee"</th>
                            <th class="num">"Replays"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.into_iter().map(|issue| issue_row(issue, now)).map(|item| item.into_any()).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        }
    };
    view! {
        <section class="issue-list">
            <h1>"Issues"</h1>
            <QueryBar params=params on_change=go />
            {move || {
                query_error()
                    .map(|message| {
                        view! {
                            <p class="error query-error" data-sl-query-error="">
                                {message}
                            </p>
                        }
                    })
            }}
            {body}
        </section>
    }
}

/// The search field and the order selector.
#[component]
fn QueryBar(params: Memo<ListParams>, on_change: Callback<ListParams>) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = input.get().map(|i| i.value()).unwrap_or_default();
        let current = params.get_untracked();
        on_change.run(ListParams::from_values(
            Some(&typed),
            Some(current.sort.as_str()),
        ));
    };
    // A new order searches what the bar holds, submitted or not.
    let change_sort = move |ev: leptos::ev::Event| {
        let typed = input.get().map(|i| i.value());
        let current = params.get_untracked();
        let query = typed.unwrap_or(current.query);
        on_change.run(ListParams::from_values(
            Some(&query),
            Some(Sort::parse(&event_target_value(&ev)).as_str()),
        ));
    };
    let options = move || {
        let current = params.get().sort;
        Sort::ALL
            .into_iter()
            .map(|sort| {
                view! {
                    <option value=sort.as_str() selected=sort == current>
                        {sort.label()}
                    </option>
                }
            })
            .map(|item| item.into_any())
            .collect_view()
    };
    view! {
        <form class="query-bar" on:submit=submit>
            <input
                type="search"
                name="query"
                data-sl-query=""
                node_ref=input
                prop:value=move || params.get().query
                placeholder="is:unresolved level:error http.status_code:500 release:shop@1.4.2"
                spellcheck="false"
                autocomplete="off"
            />
            <label>
                "Sort by "
                <select data-sl-sort="" on:change=change_sort>
                    {options}
                </select>
            </label>
            <button type="submit">"Search"</button>
        </form>
    }
}

fn issue_row(issue: Issue, now: u64) -> impl IntoView {
    let href = issue.page_path();
    let spark = bars_path(&issue.counts_24h, SPARK_WIDTH, SPARK_HEIGHT);
    let spark_title = summary(&issue.counts_24h);
    let releases = releases_cell(&issue);
    let assignee = issue.assigned_to.clone().or(issue.owner.clone());
    let seen = format!(
        "{} · first seen {}",
        format_ago(now, issue.last_seen_ms),
        format_ago(now, issue.first_seen_ms)
    );
    view! {
        <tr data-sl-issue-row=issue.id.clone()>
            <td class="issue-main">
                <a class="issue-title" href=href>
                    {issue.title.clone()}
                </a>
                <div class="culprit muted">{issue.culprit.clone()}</div>
                <div class="badges">
                    <span class=format!("badge level level-{}", issue.level)>{issue.level.clone()}</span>
                    <span class=format!("badge status status-{}", issue.status) data-sl-status=issue.status.clone()>
                        {issue.status_label()}
                    </span>
                    {issue
                        .regressed
                        .then(|| view! { <span class="badge regressed" data-sl-regressed="">"Regressed"</span> })}
                    <span class="muted seen">{seen}</span>
                </div>
            </td>
            <td class="spark" title=spark_title>
                <svg
                    width=SPARK_WIDTH
                    height=SPARK_HEIGHT
                    viewBox=format!("0 0 {SPARK_WIDTH} {SPARK_HEIGHT}")
                    data-sl-sparkline=""
                >
                    <path d=spark />
                </svg>
            </td>
            <td class="num" title=issue.count.to_string()>{format_count(issue.count)}</td>
            <td class="num">{format_count(issue.user_count)}</td>
            <td class="releases">{releases}</td>
            <td class="assignee">{assignee}</td>
            <td class="num">{issue.replay_count}</td>
        </tr>
    }
}

/// First and last release, each a link to its page (one link when they are the same).
fn releases_cell(issue: &Issue) -> impl IntoView + use<> {
    let link = |version: &String| {
        view! { <a href=release_page_path(version)>{version.clone()}</a> }
    };
    let first = issue.first_release.as_ref().map(link);
    let last = issue
        .last_release
        .as_ref()
        .filter(|last| issue.first_release.as_ref() != Some(*last))
        .map(|version| view! { " → " {link(version)} });
    view! { {first} {last} }
}
