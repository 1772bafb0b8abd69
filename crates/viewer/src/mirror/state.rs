//! What the recorded page shows besides its node tree: form values, scroll positions, media
//! playback, CSSOM edits and adopted stylesheets ([`DocumentState`], replaced by every full
//! snapshot), and what outlives snapshots ([`SessionState`]: the URL, the viewport and the
//! constructed stylesheets, which are JS objects rather than nodes).

use std::collections::BTreeMap;

use sightline_protocol::v1::{Media, MediaAction, NodeId, StyleOp, StyleOpKind};

/// The live value of a form control, as the user left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputState {
    /// `value` (masked by the recorder unless unmasked).
    pub value: String,
    /// `checked` of a checkbox or radio button; `None` for other controls.
    pub checked: Option<bool>,
}

/// A `<video>` or `<audio>` element's playback after its latest media event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaState {
    /// Whether it was playing.
    pub playing: bool,
    /// `currentTime` in ms at the event.
    pub current_time: u32,
    /// Volume in percent.
    pub volume: u8,
    /// Whether it was muted.
    pub muted: bool,
    /// Playback rate in percent.
    pub rate: u16,
}

impl MediaState {
    /// The state after `media`, given the state before it (if any).
    pub(crate) fn after(previous: Option<&Self>, media: &Media) -> Self {
        let playing = match media.action {
            MediaAction::Play => true,
            MediaAction::Pause => false,
            _ => previous.is_some_and(|p| p.playing),
        };
        Self {
            playing,
            current_time: media.current_time,
            volume: media.volume,
            muted: media.muted,
            rate: media.rate,
        }
    }
}

/// Which stylesheet a CSSOM change or a renderer update is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SheetId {
    /// The sheet of a `<style>` or `<link>` element.
    Element(NodeId),
    /// A constructed sheet (`new CSSStyleSheet()`), by the recorder's style id.
    Constructed(u32),
}

/// A constructed stylesheet: its text when it was defined or last replaced, then the rule edits
/// since.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConstructedSheetState {
    /// The CSS text given by `replace`/`replaceSync` or with the sheet's first use.
    pub text: String,
    /// Inserts and deletes since `text`, in order.
    pub ops: Vec<StyleOp>,
    /// Counts how often `text` was replaced, so a renderer knows when to start over.
    pub revision: u32,
}

/// State tied to nodes of the current snapshot; a full snapshot starts it afresh.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentState {
    /// Form values, the most recently changed last (radio buttons uncheck each other, so the
    /// order in which they are applied matters).
    pub inputs: Vec<(NodeId, InputState)>,
    /// Scroll offsets of documents (their windows) and elements; absent means `(0, 0)`.
    pub scroll: BTreeMap<NodeId, (i32, i32)>,
    /// Media elements that reported playback.
    pub media: BTreeMap<NodeId, MediaState>,
    /// CSSOM inserts and deletes on element sheets since the sheet was parsed from its text.
    pub sheet_ops: BTreeMap<NodeId, Vec<StyleOp>>,
    /// Adopted constructed sheets of documents and shadow roots, in cascade order.
    pub adopted: BTreeMap<NodeId, Vec<u32>>,
}

/// The per-node part of [`DocumentState`], carried across a move (remove and re-add in one
/// mutation), which keeps a control's value and a shadow root's adopted sheets in a browser.
#[derive(Debug, Default)]
pub(crate) struct CarriedState {
    input: Option<InputState>,
    media: Option<MediaState>,
    adopted: Option<Vec<u32>>,
}

impl DocumentState {
    /// The value of a form control, if the user changed it.
    pub fn input(&self, id: NodeId) -> Option<&InputState> {
        self.inputs.iter().find(|(i, _)| *i == id).map(|(_, s)| s)
    }

    pub(crate) fn set_input(&mut self, id: NodeId, state: InputState) {
        self.inputs.retain(|(i, _)| *i != id);
        self.inputs.push((id, state));
    }

    pub(crate) fn set_scroll(&mut self, id: NodeId, x: i32, y: i32) {
        if (x, y) == (0, 0) {
            self.scroll.remove(&id);
        } else {
            self.scroll.insert(id, (x, y));
        }
    }

    /// Records CSSOM edits of an element's sheet; a replace is impossible there (browsers throw)
    /// and is skipped. Returns whether anything was recorded.
    pub(crate) fn push_sheet_ops(&mut self, id: NodeId, ops: &[StyleOp]) -> bool {
        if ops.is_empty() {
            return false;
        }
        // A replace (a `<link>`'s captured CSS, or a sheet's rules re-sent after a checkpoint)
        // is kept in order: it resets the sheet's rules, and the edits after it build on it.
        self.sheet_ops.entry(id).or_default().extend_from_slice(ops);
        true
    }

    /// Takes everything known about `id` out, to be [`restore`](Self::restore)d if the node comes
    /// back in the same mutation.
    pub(crate) fn take(&mut self, id: NodeId) -> CarriedState {
        let input = self
            .inputs
            .iter()
            .position(|(i, _)| *i == id)
            .map(|at| self.inputs.remove(at).1);
        self.scroll.remove(&id);
        self.sheet_ops.remove(&id);
        CarriedState {
            input,
            media: self.media.remove(&id),
            adopted: self.adopted.remove(&id),
        }
    }

    /// Gives a moved node back the state it had before the move.
    pub(crate) fn restore(&mut self, id: NodeId, carried: CarriedState) {
        if let Some(input) = carried.input {
            self.set_input(id, input);
        }
        if let Some(media) = carried.media {
            self.media.insert(id, media);
        }
        if let Some(adopted) = carried.adopted {
            self.adopted.insert(id, adopted);
        }
    }
}

/// State that outlives full snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionState {
    /// The page's current URL (from the latest page load or navigation).
    pub url: Option<String>,
    /// The viewport size in CSS pixels (from the latest page load or resize).
    pub viewport: Option<(u32, u32)>,
    /// Constructed stylesheets by style id.
    pub sheets: BTreeMap<u32, ConstructedSheetState>,
}

impl SessionState {
    /// Defines (or redefines, with its current text) a constructed sheet.
    pub(crate) fn define_sheet(&mut self, style_id: u32, text: &str) {
        let sheet = self.sheets.entry(style_id).or_default();
        sheet.text = text.to_owned();
        sheet.ops.clear();
        sheet.revision = sheet.revision.wrapping_add(1);
    }

    /// Applies CSSOM edits to a known constructed sheet; returns whether it is known.
    pub(crate) fn edit_sheet(&mut self, style_id: u32, ops: &[StyleOp]) -> bool {
        let Some(sheet) = self.sheets.get_mut(&style_id) else {
            return false;
        };
        for op in ops {
            if op.kind == StyleOpKind::Replace {
                sheet.text.clone_from(&op.text);
                sheet.ops.clear();
                sheet.revision = sheet.revision.wrapping_add(1);
            } else {
                sheet.ops.push(op.clone());
            }
        }
        true
    }
}
