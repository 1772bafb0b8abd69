//! The issue page's buttons: resolve, resolve in the next release, ignore, reopen, and assign.
//! Each sends `PUT /api/0/issues/{id}/` and shows the issue the server answers with.

use leptos::prelude::*;

use crate::app::Auth;
use crate::http::{FetchError, put_loose};
use crate::issue::{Issue, IssueAction, issue_path};

/// The status buttons and the assignee field.
#[component]
pub(super) fn ActionBar(issue: RwSignal<Issue>, on_changed: Callback<Issue>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let run = move |action: IssueAction| {
        let Some(token) = auth.token_untracked() else {
            return;
        };
        let path = issue_path(&issue.with_untracked(|i| i.id.clone()));
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match put_loose::<Issue>(&path, &token, &action.body()).await {
                Ok(updated) => on_changed.run(updated),
                Err(FetchError::Unauthorized) => auth.reject(),
                Err(error) => {
                    failure.try_set(Some(error.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let status_buttons = move || {
        let status = issue.with(|i| i.status.clone());
        [
            (IssueAction::Resolve, "Resolve"),
            (IssueAction::ResolveInNextRelease, "Resolve in next release"),
            (IssueAction::Ignore, "Ignore"),
            (IssueAction::Unresolve, "Unresolve"),
        ]
        .into_iter()
        .filter(|(action, _)| action.applies_to(&status))
        .map(|(action, label)| {
            let name = action.name();
            view! {
                <button
                    type="button"
                    data-sl-action=name
                    disabled=move || busy.get()
                    on:click=move |_| run(action.clone())
                >
                    {label}
                </button>
            }
        })
        .map(|item| item.into_any())
        .collect_view()
    };
    let input = NodeRef::<leptos::html::Input>::new();
    let assign = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = input.get().map(|i| i.value()).unwrap_or_default();
        run(IssueAction::assign(&typed));
    };
    view! {
        <div class="issue-actions">
            {status_buttons}
            <form class="assign" on:submit=assign>
                <input
                    type="text"
                    name="assignee"
                    data-sl-assignee=""
                    node_ref=input
                    placeholder="#team, @user or email"
                    prop:value=move || issue.with(|i| i.assigned_to.clone().unwrap_or_default())
                />
                <button type="submit" data-sl-action="assign" disabled=move || busy.get()>
                    "Assign"
                </button>
            </form>
            {move || {
                failure.get().map(|message| view! { <p class="error" data-sl-action-error="">{message}</p> })
            }}
        </div>
    }
}
