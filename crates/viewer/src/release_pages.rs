//! The `/releases` page (every release of the project, newest first) and the
//! `/releases/{version}` page (its new issues, regressions, counts, crash-free sessions,
//! commits and deploys).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::format_started;
use crate::app::TokenGate;
use crate::format::{first_line, format_count, short_sha};
use crate::http::{api_resource, from_loose, resource_value};
use crate::issue::{issue_page_path, status_label};
use crate::release::{
    Commit, IssueLite, Release, ReleaseExtras, release_page_path, release_path, releases_path,
};

/// The releases page.
#[component]
pub fn ReleaseList() -> impl IntoView {
    view! {
        <TokenGate>
            <ReleaseTable />
        </TokenGate>
    }
}

#[component]
fn ReleaseTable() -> impl IntoView {
    let releases = api_resource(|| Some(releases_path()));
    let body = move || {
        match resource_value::<Vec<Release>>(releases.get()) {
        None => view! { <p class="muted">"Loading releases…"</p> }.into_any(),
        Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="muted">
                "No releases yet. Events and replays that name a release create it; "
                <code>"sightline releases new VERSION"</code> " does too."
            </p>
        }
        .into_any(),
        Some(Ok(list)) => view! {
            <table class="issues releases" data-sl-releases="">
                <thead>
                    <tr>
                        <th>"Version"</th>
                        <th>"Created"</th>
                        <th class="num">"New issues"</th>
                        <th class="num">"Regressions"</th>
                        <th class="num">"Events"</th>
                        <th class="num">"Crash-free sessions"</th>
                        <th class="num">"Commits"</th>
                        <th>"Last deploy"</th>
                    </tr>
                </thead>
                <tbody>{list.into_iter().map(release_row).map(|item| item.into_any()).collect_view()}</tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section>
            <h1>"Releases"</h1>
            {body}
        </section>
    }
}

fn release_row(release: Release) -> impl IntoView {
    let deploy = release
        .last_deploy
        .clone()
        .or_else(|| release.deploys.last().cloned())
        .map(|d| d.label());
    view! {
        <tr data-sl-release-row=release.version.clone()>
            <td>
                <a href=release_page_path(&release.version)>{release.version.clone()}</a>
            </td>
            <td>{format_started(&release.created_at)}</td>
            <td class="num">{release.new_issue_count}</td>
            <td class="num">{release.regression_count}</td>
            <td class="num">{format_count(release.event_count)}</td>
            <td class="num">{release.crash_free_label()}</td>
            <td class="num">{release.commit_count}</td>
            <td>{deploy}</td>
        </tr>
    }
}

/// One release's page.
#[component]
pub fn ReleasePage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <TokenGate>
            {move || {
                params
                    .with(|p| p.get("version"))
                    .map(|version| view! { <ReleaseView version=decode_path_param(&version) /> })
            }}
        </TokenGate>
    }
}

/// A path segment as the address bar may hold it (`shop%401.4.2`), decoded.
fn decode_path_param(param: &str) -> String {
    if !param.contains('%') {
        return param.to_owned();
    }
    crate::token::query_value(&format!("v={}", param.replace('+', "%2B")), "v")
        .unwrap_or_else(|| param.to_owned())
}

#[component]
fn ReleaseView(version: String) -> impl IntoView {
    let path = release_path(&version);
    let release = api_resource(move || Some(path.clone()));
    let shown = version.clone();
    let body = move || {
        let loaded = release.get().map(|answer| {
            answer.and_then(|value| {
                Ok((
                    from_loose::<Release>(&value)?,
                    from_loose::<ReleaseExtras>(&value)?,
                ))
            })
        });
        match loaded {
            None => view! { <p class="muted">"Loading the release…"</p> }.into_any(),
            Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
            Some(Ok((release, extras))) => release_details(release, extras).into_any(),
        }
    };
    view! {
        <section class="release-page" data-sl-release=version>
            <h1>"Release " <code>{shown}</code></h1>
            {body}
        </section>
    }
}

fn release_details(release: Release, extras: ReleaseExtras) -> impl IntoView {
    let deploys = release
        .deploys
        .iter()
        .map(|d| view! { <li>{d.label()}</li> })
        .map(|item| item.into_any())
        .collect_view();
    view! {
        <dl class="issue-counts">
            <dt>"Events"</dt>
            <dd>{format_count(release.event_count)}</dd>
            <dt>"New issues"</dt>
            <dd data-sl-new-issue-count="">{release.new_issue_count}</dd>
            <dt>"Regressions"</dt>
            <dd>{release.regression_count}</dd>
            <dt>"Crash-free sessions"</dt>
            <dd data-sl-crash-free="">{release.crash_free_label()}</dd>
            <dt>"Created"</dt>
            <dd>{format_started(&release.created_at)}</dd>
        </dl>
        <h2>"New issues"</h2>
        {issue_table(extras.new_issues, "new")}
        <h2>"Regressions"</h2>
        {issue_table(extras.regressed_issues, "regressed")}
        <h2>"Deploys"</h2>
        {release.deploys.is_empty().then(|| view! { <p class="muted">"Not deployed yet."</p> })}
        <ul class="deploys">{deploys}</ul>
        <h2>{format!("Commits ({})", release.commit_count)}</h2>
        {commit_list(extras.commits)}
    }
}

fn issue_table(issues: Vec<IssueLite>, kind: &'static str) -> impl IntoView {
    if issues.is_empty() {
        return view! { <p class="muted">"None."</p> }.into_any();
    }
    view! {
        <table class="issues" data-sl-release-issues=kind>
            <tbody>
                {issues
                    .into_iter()
                    .map(|issue| {
                        view! {
                            <tr data-sl-issue-row=issue.id.clone()>
                                <td class="issue-main">
                                    <a class="issue-title" href=issue_page_path(&issue.id)>
                                        {issue.title}
                                    </a>
                                    <div class="culprit muted">{issue.culprit}</div>
                                </td>
                                <td>{status_label(&issue.status)}</td>
                                <td class="num">{format_count(issue.count)}</td>
                            </tr>
                        }
                    })
                    .map(|item| item.into_any()).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn commit_list(commits: Vec<Commit>) -> impl IntoView {
    if commits.is_empty() {
        return view! {
            <p class="muted">
                "No commits. " <code>"sightline releases set-commits VERSION --from-git"</code>
                " attaches them."
            </p>
        }
        .into_any();
    }
    view! {
        <ul class="commits">
            {commits
                .into_iter()
                .map(|commit| {
                    view! {
                        <li data-sl-commit=commit.id.clone()>
                            <code title=commit.id.clone()>{short_sha(&commit.id)}</code>
                            " "
                            {first_line(&commit.message)}
                            <span class="muted">
                                {format!(" — {} · {}", commit.author_name, format_started(&commit.timestamp))}
                            </span>
                        </li>
                    }
                })
                .map(|item| item.into_any()).collect_view()}
        </ul>
    }
    .into_any()
}
