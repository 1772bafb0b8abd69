//! The issue page's smaller sections: suspect commits, releases, owner, tags, replays, the
//! latest trace and activity.

use leptos::prelude::*;

use crate::api::{encode_segment_path, format_started};
use crate::format::{first_line, format_count, short_sha};
use crate::issue::{Activity, Issue, TagSummary};
use crate::release::release_page_path;
use crate::trace::trace_page_path;

/// The commits that most likely caused the issue, with the frame each matched.
pub(super) fn suspects_view(issue: &Issue) -> impl IntoView + use<> {
    let commits = issue.suspect_commits.clone();
    view! {
        <section class="suspects">
            <h2>"Suspect commits"</h2>
            {if commits.is_empty() {
                view! {
                    <p class="muted">
                        "No suspect commits: none of the release's commits changed a file of this stack trace."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="suspect-list">
                        {commits
                            .into_iter()
                            .map(|commit| {
                                let release = commit.release.clone();
                                view! {
                                    <li data-sl-suspect-commit=commit.id.clone()>
                                        <code class="sha" title=commit.id.clone()>
                                            {short_sha(&commit.id)}
                                        </code>
                                        " "
                                        <span class="message">{first_line(&commit.message)}</span>
                                        <div class="muted">
                                            {commit.author_name.clone()}
                                            {(!commit.author_email.is_empty())
                                                .then(|| format!(" <{}>", commit.author_email))}
                                            {(!commit.timestamp.is_empty())
                                                .then(|| format!(" · {}", format_started(&commit.timestamp)))}
                                            {release
                                                .map(|r| {
                                                    view! {
                                                        " · in " <a href=release_page_path(&r)>{r.clone()}</a>
                                                    }
                                                })}
                                        </div>
                                        <div class="matched">
                                            "changed "
                                            <code>{commit.path.clone().unwrap_or_default()}</code>
                                            ", matching frame "
                                            <code data-sl-suspect-frame="">{commit.frame.label()}</code>
                                        </div>
                                    </li>
                                }
                            })
                            .map(|item| item.into_any()).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

/// First seen and last seen, with their releases.
pub(super) fn releases_view(issue: &Issue) -> impl IntoView + use<> {
    let row = |label: &'static str, key: &'static str, when: &str, release: Option<String>| {
        let when = format_started(when);
        view! {
            <dt>{label}</dt>
            <dd data-sl-seen=key>
                {when}
                {release
                    .map(|r| {
                        view! {
                            <br />
                            <a data-sl-release=r.clone() href=release_page_path(&r)>
                                {r.clone()}
                            </a>
                        }
                    })}
            </dd>
        }
    };
    view! {
        <section class="issue-releases">
            <h2>"Releases"</h2>
            <dl class="metadata">
                {row("First seen", "first", &issue.first_seen, issue.first_release.clone())}
                {row("Last seen", "last", &issue.last_seen, issue.last_release.clone())}
            </dl>
        </section>
    }
}

/// The owner, the rule that made them the owner, and the assignee.
pub(super) fn owner_view(issue: &Issue) -> impl IntoView + use<> {
    let owner = issue.owner.clone();
    let owner_attr = owner.clone().unwrap_or_default();
    let rule = issue.owner_rule.clone();
    let assigned = issue.assigned_to.clone();
    let assigned_attr = assigned.clone().unwrap_or_default();
    view! {
        <section class="issue-owner">
            <h2>"Ownership"</h2>
            <dl class="metadata">
                <dt>"Owner"</dt>
                <dd data-sl-owner=owner_attr>
                    {owner.unwrap_or_else(|| "No owner rule matched".to_owned())}
                </dd>
                {rule
                    .map(|rule| {
                        view! {
                            <dt>"Matched rule"</dt>
                            <dd>
                                <code data-sl-owner-rule="">{rule}</code>
                            </dd>
                        }
                    })}
                <dt>"Assignee"</dt>
                <dd data-sl-assigned=assigned_attr>
                    {assigned.unwrap_or_else(|| "Unassigned".to_owned())}
                </dd>
            </dl>
        </section>
    }
}

/// Each tag key with its most common values as bars.
pub(super) fn tags_view(tags: &[TagSummary]) -> impl IntoView + use<> {
    let keys = tags
        .iter()
        .map(|tag| {
            let bars = tag
                .bars()
                .into_iter()
                .map(|(value, count, percent)| {
                    view! {
                        <li title=format!("{count} events")>
                            <span class="bar" style=format!("width: {percent}%")></span>
                            <span class="value">{value}</span>
                            <span class="percent">{format!("{percent}%")}</span>
                        </li>
                    }
                })
                .map(|item| item.into_any())
                .collect_view();
            view! {
                <div class="tag" data-sl-tag=tag.key.clone()>
                    <h3>{tag.key.clone()} <span class="muted">{format_count(tag.total)}</span></h3>
                    <ul class="tag-values">{bars}</ul>
                </div>
            }
        })
        .map(|item| item.into_any())
        .collect_view();
    view! {
        <section class="issue-tags" data-sl-tags="">
            <h2>"Tags"</h2>
            {tags.is_empty().then(|| view! { <p class="muted">"No tags."</p> })}
            {keys}
        </section>
    }
}

/// The replays that recorded the issue.
pub(super) fn replays_view(replay_ids: &[String]) -> impl IntoView + use<> {
    let items = replay_ids
        .iter()
        .map(|id| {
            view! {
                <li>
                    <a data-sl-linked-replay=id.clone() href=format!("/replays/{}", encode_segment_path(id))>
                        <code>{short_sha(id)}</code>
                    </a>
                </li>
            }
        })
        .map(|item| item.into_any()).collect_view();
    view! {
        <section class="issue-replays">
            <h2>"Replays"</h2>
            {replay_ids
                .is_empty()
                .then(|| view! { <p class="muted">"No recorded session saw this issue."</p> })}
            <ul class="replay-links">{items}</ul>
        </section>
    }
}

/// The newest event's trace: the request followed across services.
pub(super) fn trace_view(latest_trace_id: Option<&str>) -> impl IntoView + use<> {
    latest_trace_id.filter(|t| !t.is_empty()).map(|trace| {
        view! {
            <section class="issue-trace">
                <h2>"Trace"</h2>
                <a data-sl-trace-link=trace.to_owned() href=trace_page_path(trace)>
                    "Follow the latest event's request across services"
                </a>
            </section>
        }
    })
}

/// The issue's history, newest last.
pub(super) fn activity_view(activity: &[Activity]) -> impl IntoView + use<> {
    let items = activity
        .iter()
        .map(|entry| {
            view! {
                <li data-sl-activity=entry.kind.clone()>
                    <span class="muted">{format_started(&entry.at)}</span>
                    " "
                    {entry.sentence()}
                </li>
            }
        })
        .map(|item| item.into_any())
        .collect_view();
    view! {
        <section class="issue-activity">
            <h2>"Activity"</h2>
            <ul class="issue-history">{items}</ul>
        </section>
    }
}
