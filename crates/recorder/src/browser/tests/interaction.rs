//! What the user does is recorded: inputs (masked), pointer and touch interactions, focus, mouse
//! moves, scrolls, resizes and media playback.

use sightline_protocol::v1::{EventData, Input, Media, MediaAction, MouseInteraction};
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use super::capture::{Live, run, sleep};
use crate::browser::recorder::with_recorder;
use crate::mask::PrivacyConfig;

fn inputs(events: &[EventData]) -> Vec<Input> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::Input(input) => Some(input.clone()),
            _ => None,
        })
        .collect()
}

fn input(id: u32, value: &str, checked: Option<bool>) -> Input {
    Input {
        id,
        value: value.into(),
        checked,
    }
}

const FORM: &str = "<input id=\"text\"><input id=\"pass\" type=\"password\">\
    <textarea id=\"area\"></textarea>\
    <select id=\"pick\"><option value=\"first-choice\">A</option>\
      <option value=\"second-choice\">B</option></select>\
    <input id=\"agree\" type=\"checkbox\" value=\"agree-value\">\
    <input id=\"r1\" type=\"radio\" name=\"plan\" value=\"basic-plan\" checked>\
    <input id=\"r2\" type=\"radio\" name=\"plan\" value=\"gold-plan\">\
    <div class=\"sl-ignore\"><input id=\"skip\"></div>\
    <div data-sl-unmask><input id=\"open\"><input id=\"shown-pass\" type=\"password\"></div>";

/// Sets a control's value (or checked state) the way a user does, firing `input` and `change`.
const TYPE: &str = "window.slType = function (selector, value) {\
      const control = document.querySelector(selector);\
      if (typeof value === 'boolean') control.checked = value; else control.value = value;\
      control.dispatchEvent(new Event('input', { bubbles: true }));\
      control.dispatchEvent(new Event('change', { bubbles: true }));\
    };";

#[wasm_bindgen_test]
fn inputs_are_recorded_masked_once_per_change_and_ignored_controls_are_not() -> TestResult {
    let live = Live::start(FORM, PrivacyConfig::default())?;
    run(TYPE)?;
    run(
        "slType('#text', 'Jane typed this'); slType('#pass', 'hunter2-secret');\
         slType('#area', 'A private\\nnote'); slType('#pick', 'second-choice');\
         slType('#agree', true); slType('#r2', true); slType('#skip', 'ignored-words');\
         slType('#open', 'public words'); slType('#shown-pass', 'shown-secret');\
         slType('#text', 'Jane typed this');",
    )?;
    // Showing a password never unmasks it.
    run(
        "document.querySelector('#shown-pass').type = 'text'; slType('#shown-pass', 'shown-again');",
    )?;
    let recorded = inputs(&live.events()?);
    let masked = "********";
    assert_eq!(
        recorded,
        [
            input(live.id("#text")?, masked, None),
            input(live.id("#pass")?, masked, None),
            input(live.id("#area")?, masked, None),
            input(live.id("#pick")?, masked, None),
            input(live.id("#agree")?, masked, Some(true)),
            input(live.id("#r2")?, masked, Some(true)),
            input(live.id("#r1")?, masked, Some(false)),
            input(live.id("#open")?, "public words", None),
            input(live.id("#shown-pass")?, masked, None),
        ]
    );
    let bytes = live.bytes()?;
    for secret in [
        "Jane",
        "hunter2",
        "private",
        "second-choice",
        "agree-value",
        "gold-plan",
        "ignored",
        "shown-secret",
        "shown-again",
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} reached the segment"
        );
    }
    Ok(())
}

#[wasm_bindgen_test]
fn unmasked_inputs_record_their_values_when_masking_is_off() -> TestResult {
    let config = PrivacyConfig::from_options(|name| {
        (name == "maskAllInputs").then_some(crate::mask::RawOption::Bool(false))
    });
    let live = Live::start(FORM, config)?;
    run(TYPE)?;
    run("slType('#text', 'visible'); slType('#pass', 'never-visible'); slType('#agree', true);")?;
    assert_eq!(
        inputs(&live.events()?),
        [
            input(live.id("#text")?, "visible", None),
            input(live.id("#pass")?, "********", None),
            input(live.id("#agree")?, "agree-value", Some(true)),
        ]
    );
    Ok(())
}

fn interactions(events: &[EventData]) -> Vec<(MouseInteraction, u32, i32, i32)> {
    events
        .iter()
        .filter_map(|event| match event {
            EventData::MouseInteraction {
                interaction,
                id,
                x,
                y,
            } => Some((*interaction, *id, *x, *y)),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
fn pointer_touch_and_focus_interactions_are_recorded_on_their_nodes() -> TestResult {
    let live = Live::start(
        "<button id=\"buy\">Buy <b id=\"inner\">now</b></button><input id=\"field\">",
        PrivacyConfig::default(),
    )?;
    run("const buy = document.querySelector('#buy');\
         const inner = document.querySelector('#inner');\
         for (const kind of ['mousedown', 'mouseup', 'click', 'dblclick', 'contextmenu']) {\
           inner.dispatchEvent(new MouseEvent(kind, { bubbles: true, clientX: 12, clientY: 34 }));\
         }\
         const touch = new Touch({ identifier: 1, target: buy, clientX: 5, clientY: 6 });\
         buy.dispatchEvent(new TouchEvent('touchstart', { bubbles: true, changedTouches: [touch] }));\
         buy.dispatchEvent(new TouchEvent('touchend', { bubbles: true, changedTouches: [touch] }));\
         const field = document.querySelector('#field'); field.focus(); field.blur();")?;
    let inner = live.id("#inner")?;
    let buy = live.id("#buy")?;
    let field = live.id("#field")?;
    use MouseInteraction as M;
    assert_eq!(
        interactions(&live.events()?),
        [
            (M::MouseDown, inner, 12, 34),
            (M::MouseUp, inner, 12, 34),
            (M::Click, inner, 12, 34),
            (M::DblClick, inner, 12, 34),
            (M::ContextMenu, inner, 12, 34),
            (M::TouchStart, buy, 5, 6),
            (M::TouchEnd, buy, 5, 6),
            (M::Focus, field, 0, 0),
            (M::Blur, field, 0, 0),
        ]
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn mouse_moves_are_sampled_batched_and_recorded_before_the_next_event() -> TestResult {
    let live = Live::start("<p id=\"spot\">here</p>", PrivacyConfig::default())?;
    let step = "window.slMove = (x, y) => document.dispatchEvent(\
        new MouseEvent('mousemove', { clientX: x, clientY: y }));";
    run(step)?;
    run("slMove(10, 10); slMove(11, 11); slMove(12, 12);")?;
    sleep(60).await?;
    run("slMove(40, 20); slMove(45, 22);")?;
    run(
        "document.querySelector('#spot').dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 45, clientY: 22 }));",
    )?;
    let events = live.timed_events()?;
    let moves: Vec<_> = events
        .iter()
        .enumerate()
        .filter_map(|(index, (time, event))| match event {
            EventData::MouseMove(moves) => Some((index, *time, moves.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(moves.len(), 1, "one batch: {events:?}");
    let (index, _, batch) = &moves[0];
    let positions: Vec<(i32, i32)> = batch.positions().map(|(_, x, y)| (x, y)).collect();
    assert_eq!(positions, [(10, 10), (40, 20), (45, 22)]);
    let elapsed: Vec<u64> = batch.positions().map(|(t, ..)| t).collect();
    assert!(elapsed[1] >= 50, "sampled 50 ms apart: {elapsed:?}");
    assert!(
        matches!(events[index + 1].1, EventData::MouseInteraction { .. }),
        "the batch comes right before the click"
    );

    // A batch left alone is recorded within half a second, without waiting for the upload.
    run("slMove(1, 2);")?;
    assert_eq!(
        with_recorder(|recorder| recorder.has_throttled()),
        Some(true)
    );
    sleep(650).await?;
    assert_eq!(
        with_recorder(|recorder| recorder.has_throttled()),
        Some(false)
    );
    Ok(())
}

#[wasm_bindgen_test]
async fn scrolls_are_throttled_per_node_and_the_window_scrolls_the_document() -> TestResult {
    let live = Live::start(
        "<div id=\"pane\" style=\"height:50px;overflow:auto\"><div style=\"height:900px\"></div></div>\
         <div style=\"height:5000px\"></div>",
        PrivacyConfig::default(),
    )?;
    run("const pane = document.querySelector('#pane');\
         for (const top of [10, 20, 30]) { pane.scrollTop = top; pane.dispatchEvent(new Event('scroll')); }\
         window.scrollTo(0, 40); document.dispatchEvent(new Event('scroll'));")?;
    sleep(150).await?;
    assert_eq!(
        with_recorder(|recorder| recorder.has_throttled()),
        Some(false)
    );
    run(
        "const pane = document.querySelector('#pane'); pane.scrollTop = 70;\
         pane.dispatchEvent(new Event('scroll'));\
         window.dispatchEvent(new Event('resize'));",
    )?;
    let events = live.events()?;
    run("window.scrollTo(0, 0);")?;
    let pane = live.id("#pane")?;
    let document_id = with_recorder(|recorder| recorder.mirror().id_of(recorder.document()))
        .flatten()
        .ok_or("document not recorded")?;
    let scrolls: Vec<_> = events
        .iter()
        .filter(|event| matches!(event, EventData::Scroll { .. }))
        .cloned()
        .collect();
    assert_eq!(
        scrolls,
        [
            EventData::Scroll {
                id: pane,
                x: 0,
                y: 30
            },
            EventData::Scroll {
                id: document_id,
                x: 0,
                y: 40
            },
            EventData::Scroll {
                id: pane,
                x: 0,
                y: 70
            },
        ]
    );
    let (width, height) = run("return [innerWidth, innerHeight].join(' ')")?
        .as_string()
        .and_then(|size| {
            let (w, h) = size.split_once(' ')?;
            Some((w.parse().ok()?, h.parse().ok()?))
        })
        .ok_or("no viewport size")?;
    assert!(
        events.contains(&EventData::ViewportResize { width, height }),
        "{events:?}"
    );
    Ok(())
}

#[wasm_bindgen_test]
fn media_playback_is_recorded() -> TestResult {
    let live = Live::start("<video id=\"clip\"></video>", PrivacyConfig::default())?;
    run(
        "const clip = document.querySelector('#clip'); clip.muted = true;\
         clip.dispatchEvent(new Event('play')); clip.dispatchEvent(new Event('pause'));",
    )?;
    let clip = live.id("#clip")?;
    let media: Vec<Media> = live
        .events()?
        .into_iter()
        .filter_map(|event| match event {
            EventData::Media(media) => Some(media),
            _ => None,
        })
        .collect();
    let expected = |action| Media {
        id: clip,
        action,
        current_time: 0,
        volume: 100,
        muted: true,
        rate: 100,
    };
    // Setting `muted` fires `volumechange` later, after this check.
    assert_eq!(
        media,
        [expected(MediaAction::Play), expected(MediaAction::Pause)]
    );
    Ok(())
}
