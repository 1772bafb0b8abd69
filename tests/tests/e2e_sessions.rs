//! Sessions end to end: a reload in the same tab continues the replay (one replay, the second
//! page starting with its meta and full snapshot), and buffer mode uploads nothing until an
//! error, then the kept context.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use sightline_protocol::v1::EventData;
use sightline_tests::browser::Browser;
use sightline_tests::pages::PageServer;
use sightline_tests::server::Server;

/// Waits for the loader to have started and returns the replay id, after a flush.
fn flushed_replay_id(browser: &Browser) -> Result<String> {
    browser.wait_until(
        "window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    let id = browser.eval_async(
        "const done = arguments[0]; Sightline.flush().then(() => done(Sightline.getReplayId()));",
        &[],
    )?;
    Ok(id.as_str().context("no replay id")?.to_owned())
}

/// Every stored segment of `replay`: (index, events).
fn segments(server: &Server, replay: &str) -> Result<Vec<(u32, Vec<EventData>)>> {
    Ok(server
        .segments(replay)?
        .into_iter()
        .map(|segment| {
            (
                segment.header.index,
                segment.events.into_iter().map(|e| e.data).collect(),
            )
        })
        .collect())
}

#[test]
fn a_reload_continues_the_replay_and_buffer_mode_waits_for_an_error() -> Result<()> {
    let server = Server::start()?;
    let pages = PageServer::fixtures(&server.base, &server.dsn)?;
    let browser = Browser::start()?;
    browser.set_script_timeout(Duration::from_secs(30))?;
    let url = pages.url("/spa.html");
    browser.goto(&url)?;
    let first = flushed_replay_id(&browser)?;
    browser.goto(&url)?;
    let second = flushed_replay_id(&browser)?;
    ensure!(
        first == second,
        "the reload started replay {second} after {first}"
    );
    let stored = sightline_tests::wait_for("both pages stored", Duration::from_secs(20), || {
        let segments = segments(&server, &first)?;
        let snapshots = segments
            .iter()
            .flat_map(|(_, events)| events)
            .filter(|e| matches!(e, EventData::FullSnapshot { .. }))
            .count();
        Ok((snapshots >= 2).then_some(segments))
    })?;
    let indexes: Vec<u32> = stored.iter().map(|(index, _)| *index).collect();
    ensure!(
        indexes == (0..u32::try_from(indexes.len())?).collect::<Vec<_>>(),
        "{indexes:?}"
    );

    // Buffer mode: a new tab session sampled out of full recording.
    let buffered = browser.eval_async(
        "const done = arguments[0];
         const tag = document.querySelector('script[data-dsn]');
         Sightline.stop().then(() => {
           sessionStorage.clear();
           return Sightline.init({ dsn: tag.dataset.dsn, sessionSampleRate: 0, onErrorSampleRate: 1 });
         }).then((id) => Sightline.flush().then(() => done(id)), (e) => done(String(e)));",
        &[],
    )?;
    let buffered = buffered
        .as_str()
        .context("buffer mode has a replay id")?
        .to_owned();
    ensure!(
        buffered != first,
        "a new replay after sessionStorage was cleared"
    );
    let (status, _) = server.api(&format!("/api/0/replays/{buffered}/"))?;
    ensure!(
        status == 404,
        "buffer mode uploaded before any error: {status}"
    );
    browser.eval_async(
        "const done = arguments[0];
         Sightline.captureException(new Error('checkout failed'));
         Sightline.flush().then(() => done(null));",
        &[],
    )?;
    let uploaded =
        sightline_tests::wait_for("the buffer uploaded", Duration::from_secs(20), || {
            let segments = segments(&server, &buffered).unwrap_or_default();
            let events: Vec<EventData> = segments.into_iter().flat_map(|(_, e)| e).collect();
            Ok(events
                .iter()
                .any(|e| matches!(e, EventData::JsError(_)))
                .then_some(events))
        })?;
    ensure!(
        matches!(
            uploaded[..],
            [EventData::Meta { .. }, EventData::FullSnapshot { .. }, ..]
        ),
        "the buffer starts from a checkpoint"
    );
    Ok(())
}
