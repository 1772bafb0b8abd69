//! The `/replays` page: every recorded session, newest first.

use leptos::prelude::*;

use crate::api::{REPLAYS_PATH, ReplaySummary, format_clock, format_started};
use crate::app::{Auth, TokenGate};
use crate::http::{FetchError, get_json};

/// The replays page.
#[component]
pub fn ReplayList() -> impl IntoView {
    view! {
        <TokenGate>
            <ReplayTable />
        </TokenGate>
    }
}

#[component]
fn ReplayTable() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let replays = LocalResource::new(move || {
        let token = auth.token();
        async move {
            match token {
                Some(token) => get_json::<Vec<ReplaySummary>>(REPLAYS_PATH, &token).await,
                None => Err(FetchError::Unauthorized),
            }
        }
    });
    Effect::new(move || {
        if let Some(Err(FetchError::Unauthorized)) = replays.get() {
            auth.reject();
        }
    });
    let rows = move || {
        match replays.get() {
        None => view! { <p class="muted">"Loading replays…"</p> }.into_any(),
        Some(Err(error)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <p class="muted">"No replays yet. Pages recorded with the Sightline SDK show up here."</p>
        }
        .into_any(),
        Some(Ok(list)) => view! {
            <table class="replays" data-sl-replays="">
                <thead>
                    <tr>
                        <th>"Started"</th>
                        <th>"Duration"</th>
                        <th>"Page"</th>
                        <th>"Release"</th>
                        <th>"Environment"</th>
                        <th class="num">"Segments"</th>
                        <th class="num">"Errors"</th>
                    </tr>
                </thead>
                <tbody>{list.into_iter().map(replay_row).collect_view()}</tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section>
            <h1>"Replays"</h1>
            {rows}
        </section>
    }
}

fn replay_row(replay: ReplaySummary) -> impl IntoView {
    let href = format!("/replays/{}", replay.id);
    let errors = replay.error_ids.len();
    let error_class = if errors > 0 { "num has-errors" } else { "num" };
    view! {
        <tr data-sl-replay=replay.id.clone()>
            <td>
                <a href=href.clone()>{format_started(&replay.started_at)}</a>
            </td>
            <td>{format_clock(replay.duration_ms)}</td>
            <td class="url">
                <a href=href>{replay.first_url().to_owned()}</a>
            </td>
            <td>{replay.release.clone()}</td>
            <td>{replay.environment.clone()}</td>
            <td class="num">{replay.segment_count}</td>
            <td class=error_class>
                {errors}
            </td>
        </tr>
    }
}
