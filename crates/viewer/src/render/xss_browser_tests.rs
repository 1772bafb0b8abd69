//! The XSS corpus (`xss_corpus.rs`) rendered by the real renderer in headless Chromium (run as
//! the other renderer tests: see `render/tests.rs`).
//!
//! Each payload tries to append its name to `top.__slXss`. The corpus is played payload by
//! payload (incremental changes, as during playback) and also sought to the end at once
//! (a rebuild), twice over:
//! - in a frame sandboxed like the player's (no `allow-scripts`): the real setup;
//! - in a frame **without any sandbox**, where the page may run scripts: the sanitizer alone
//!   must stop every payload. A script the test itself adds there proves that scripts do run in
//!   that frame, so silence from the payloads means something.
//!
//! After rendering, the test waits until the frames have loaded what they load, then asserts that
//! no payload ran and that the rendered DOM (documents, shadow roots and frame documents, as the
//! browser parses them) holds no event handler, no `srcdoc`, no URL the browser resolves to
//! `javascript:`/`vbscript:` or to a `data:` document, no live script, no frame without the
//! player's sandbox, no meta refresh and no live `@import`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Document, HtmlIFrameElement};

use super::Renderer;
use super::xss_corpus::{self, MARKER};
use crate::player::Player;

type TestResult = Result<(), JsValue>;

/// A frame in the runner's page, with `sandbox` when given.
fn frame_document(sandbox: Option<&str>) -> Result<Document, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let frame = document.create_element("iframe")?;
    if let Some(sandbox) = sandbox {
        frame.set_attribute("sandbox", sandbox)?;
    }
    frame.set_attribute("style", "width:400px;height:300px")?;
    document.body().ok_or("no body")?.append_child(&frame)?;
    frame
        .unchecked_ref::<HtmlIFrameElement>()
        .content_document()
        .ok_or_else(|| "no content document".into())
}

/// Resolves after `ms` milliseconds.
async fn pause(ms: i32) -> TestResult {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    JsFuture::from(promise).await.map(|_| ())
}

/// What the payloads marked so far ("" when none ran).
fn marked() -> Result<String, JsValue> {
    let value = Reflect::get(&js_sys::global(), &MARKER.into())?;
    Ok(value.as_string().unwrap_or_default())
}

fn clear_marks() -> TestResult {
    Reflect::set(&js_sys::global(), &MARKER.into(), &JsValue::UNDEFINED).map(|_| ())
}

/// Everything dangerous left in the rendered DOM, as the browser sees it, as a JSON array.
fn dom_problems(document: &Document) -> Result<String, JsValue> {
    let check = Function::new_with_args(
        "doc",
        r#"
        const problems = [];
        const URLS = ['href', 'src', 'action', 'formaction', 'data', 'poster', 'background',
                      'ping', 'codebase', 'cite', 'lowsrc', 'dynsrc'];
        const IMAGES = ['img', 'image', 'use', 'source', 'video', 'link', 'feimage'];
        const DOCS = /^\s*data:\s*(text\/html|application\/xhtml|text\/xml|application\/xml|text\/xsl|image\/svg)/i;
        const scripted = (el, value, base) => {
          let protocol = '';
          try { protocol = new URL(value, base).protocol; } catch (e) { return false; }
          if (protocol === 'javascript:' || protocol === 'vbscript:') return true;
          const m = DOCS.exec(value.replace(/[\t\n\r]/g, ''));
          return protocol === 'data:' && !!m &&
            !(m[1].toLowerCase() === 'image/svg' && IMAGES.includes(el.localName.toLowerCase()));
        };
        const visit = (root, where) => {
          const base = (root.baseURI || doc.baseURI);
          if (String(base).startsWith('javascript:')) problems.push(`${where}: base URL ${base}`);
          for (const el of root.querySelectorAll('*')) {
            const tag = `${where} ${el.localName}`;
            for (const a of Array.from(el.attributes)) {
              const name = a.localName.toLowerCase();
              if (name.startsWith('on')) problems.push(`${tag}[${a.name}]: event handler`);
              if (name === 'srcdoc') problems.push(`${tag}[${a.name}]: srcdoc`);
              if (URLS.includes(name) && scripted(el, a.value, base))
                problems.push(`${tag}[${a.name}=${a.value}]: scripted URL`);
              if (['to', 'from', 'by', 'values'].includes(name) &&
                  a.value.split(';').some((v) => scripted(el, v.trim(), base)))
                problems.push(`${tag}[${a.name}=${a.value}]: animates to a scripted URL`);
            }
            if (el.localName === 'script' && el.getAttribute('type') !== 'text/x-sightline-inert')
              problems.push(`${tag}: live script (type ${el.getAttribute('type')})`);
            if (el.localName === 'iframe' && el.namespaceURI === 'http://www.w3.org/1999/xhtml'
                && el.getAttribute('sandbox') !== 'allow-same-origin')
              problems.push(`${tag}: sandbox ${el.getAttribute('sandbox')}`);
            if (el.localName === 'meta' && /refresh/i.test(el.getAttribute('http-equiv') || ''))
              problems.push(`${tag}: meta refresh`);
            if (el.shadowRoot) visit(el.shadowRoot, `${tag} #shadow`);
            if ((el.localName === 'iframe' || el.localName === 'frame') && el.contentDocument)
              visit(el.contentDocument, `${tag} #document`);
          }
          const sheets = [...Array.from(root.styleSheets || []), ...(root.adoptedStyleSheets || [])];
          for (const sheet of sheets) {
            let rules = [];
            try { rules = Array.from(sheet.cssRules); } catch (e) { continue; }
            for (const rule of rules)
              if (rule.type === 3 && rule.href !== 'about:invalid')
                problems.push(`${where}: live @import of ${rule.href}`);
          }
        };
        visit(doc, 'page');
        return JSON.stringify(problems);
        "#,
    );
    check
        .call1(&JsValue::NULL, document)?
        .as_string()
        .ok_or_else(|| "no problems list".into())
}

/// Plays the corpus into `document` payload by payload, then seeks to the end in a second
/// renderer (`rebuilt`), and waits until both have loaded what they load.
async fn render_corpus(played: &Document, rebuilt: &Document) -> TestResult {
    let mut renderer = Renderer::new(played.clone());
    let mut player = Player::new(xss_corpus::timeline());
    let step = player.seek(0);
    renderer.update(player.mirror(), &step);
    let count = xss_corpus::payloads().len() as u64;
    for t in (1..=count).map(|n| n * 100 + 50) {
        let step = player.seek(t);
        renderer.update(player.mirror(), &step);
    }
    let mut fresh = Player::new(xss_corpus::timeline());
    let step = fresh.seek(fresh.duration());
    Renderer::new(rebuilt.clone()).update(fresh.mirror(), &step);
    // Loads (data: documents, objects, images that fail) and their handlers are asynchronous:
    // give them a generous moment (this only delays the check; it never makes it pass).
    pause(1_500).await
}

fn fail_on(what: &str, problems: &str, marks: &str) -> TestResult {
    if problems != "[]" || !marks.is_empty() {
        return Err(format!("{what}: ran {marks:?}; left in the DOM {problems}").into());
    }
    Ok(())
}

#[wasm_bindgen_test]
async fn no_mutation_payload_runs_in_the_players_sandbox() -> TestResult {
    clear_marks()?;
    let played = frame_document(Some("allow-same-origin"))?;
    let rebuilt = frame_document(Some("allow-same-origin"))?;
    render_corpus(&played, &rebuilt).await?;
    let marks = marked()?;
    fail_on("played", &dom_problems(&played)?, &marks)?;
    fail_on("rebuilt", &dom_problems(&rebuilt)?, &marks)
}

#[wasm_bindgen_test]
async fn no_mutation_payload_runs_even_without_the_sandbox() -> TestResult {
    clear_marks()?;
    let played = frame_document(None)?;
    let rebuilt = frame_document(None)?;
    render_corpus(&played, &rebuilt).await?;
    let problems = [dom_problems(&played)?, dom_problems(&rebuilt)?];
    let marks = marked()?;
    // The control: a script the test adds itself does run in these frames.
    for document in [&played, &rebuilt] {
        let script = document.create_element("script")?;
        script.set_text_content(Some("top.__slControl = (top.__slControl || 0) + 1"));
        document.body().ok_or("no body")?.append_child(&script)?;
    }
    let control = Reflect::get(&js_sys::global(), &"__slControl".into())?;
    if control.as_f64() != Some(2.0) {
        return Err(format!(
            "the control script did not run in the unsandboxed frames: {control:?}"
        )
        .into());
    }
    fail_on("played", &problems[0], &marks)?;
    fail_on("rebuilt", &problems[1], &marks)
}
