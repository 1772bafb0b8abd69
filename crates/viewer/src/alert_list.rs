//! The `/alerts` page: the alerts the project's rules fired, newest first, with the rule, the
//! issue, when, and whether the webhook was delivered.

use leptos::prelude::*;

use crate::api::format_started;
use crate::app::TokenGate;
use crate::http::{api_resource, resource_value};
use crate::issue::issue_page_path;
use crate::release::{Alert, alerts_path};

/// The alerts page.
#[component]
pub fn AlertList() -> impl IntoView {
    view! {
        <TokenGate>
            <AlertTable />
        </TokenGate>
    }
}

#[component]
fn AlertTable() -> impl IntoView {
    let alerts = api_resource(|| Some(alerts_path()));
    let body = move || {
        match resource_value::<Vec<Alert>>(alerts.get()) {
        None => view! { <p class="muted">"Loading alerts…"</p> }.into_any(),
        Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="muted">
                "No alerts have fired. Alert rules (new issue, regression, spike) are set with "
                <code>"POST /api/0/projects/1/alert-rules/"</code> "."
            </p>
        }
        .into_any(),
        Some(Ok(list)) => view! {
            <table class="issues alerts" data-sl-alerts="">
                <thead>
                    <tr>
                        <th>"Fired"</th>
                        <th>"Rule"</th>
                        <th>"Issue"</th>
                        <th>"Delivery"</th>
                    </tr>
                </thead>
                <tbody>{list.into_iter().map(alert_row).map(|item| item.into_any()).collect_view()}</tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section>
            <h1>"Alerts"</h1>
            {body}
        </section>
    }
}

fn alert_row(alert: Alert) -> impl IntoView {
    let issue = match alert.issue_id.clone() {
        Some(id) => {
            let title = if alert.issue_title.is_empty() {
                format!("Issue {id}")
            } else {
                alert.issue_title.clone()
            };
            view! { <a href=issue_page_path(&id)>{title}</a> }.into_any()
        }
        None => view! { <span>{alert.issue_title.clone()}</span> }.into_any(),
    };
    let attempts = match alert.attempts {
        0 => String::new(),
        1 => " after 1 attempt".to_owned(),
        n => format!(" after {n} attempts"),
    };
    view! {
        <tr data-sl-alert=alert.id.clone()>
            <td>{format_started(&alert.fired_at)}</td>
            <td>
                {alert.rule_name.clone()}
                {alert.condition().map(|c| view! { <span class="muted">{format!(" ({})", c.replace('_', " "))}</span> })}
            </td>
            <td>{issue}</td>
            <td>
                <span class=format!("badge delivery-{}", alert.status) data-sl-delivery=alert.status.clone()>
                    {alert.status.clone()}
                </span>
                <span class="muted">{attempts}</span>
                {alert.last_error.clone().map(|e| view! { <div class="error">{e}</div> })}
            </td>
        </tr>
    }
}
