//! The v1 types written with [`Pack`]: the same positional tuples as their `Serialize` impls,
//! field by field, so the recorder encodes segments without serde.
//!
//! Keep each impl in step with the type's `Serialize` impl (in `event.rs`, `node.rs`,
//! `interaction.rs`, `header.rs`); `tests/pack_matches_serde.rs` fails when they disagree.

use super::event::{
    AddedNode, AttributeChange, Event, EventData, RemovedNode, StackFrame, TextChange,
};
use super::header::{Compression, SegmentHeader};
use super::interaction::{
    ConstructedSheet, Level, MediaAction, MouseDelta, MouseInteraction, NavigationKind, StyleOp,
    StyleOpKind,
};
use super::node::{Namespace, Node};
use crate::msgpack::{Pack, pack_tuple, write_uint};

impl Pack for Event {
    fn pack(&self, out: &mut Vec<u8>) {
        let kind = self.data.kind();
        let dt = self.dt;
        match &self.data {
            EventData::Meta {
                href,
                width,
                height,
                user_agent,
            } => pack_tuple!(out; kind, dt, href, width, height, user_agent),
            EventData::FullSnapshot { root } => pack_tuple!(out; kind, dt, root),
            EventData::Mutation(m) => {
                pack_tuple!(out; kind, dt, &m.removes, &m.adds, &m.texts, &m.attributes);
            }
            EventData::MouseInteraction {
                interaction,
                id,
                x,
                y,
            } => pack_tuple!(out; kind, dt, interaction, id, x, y),
            EventData::JsError(e) => pack_tuple!(
                out; kind, dt, &e.event_id, &e.error_type, &e.message, &e.frames, &e.release
            ),
            EventData::NetworkRequest(r) => pack_tuple!(
                out; kind, dt, &r.method, &r.url, r.status, r.duration, &r.trace_id, &r.span_id,
                r.response_size
            ),
            EventData::MouseMove(m) => pack_tuple!(out; kind, dt, m.x, m.y, &m.deltas),
            EventData::Scroll { id, x, y } => pack_tuple!(out; kind, dt, id, x, y),
            EventData::ViewportResize { width, height } => {
                pack_tuple!(out; kind, dt, width, height);
            }
            EventData::Input(i) => pack_tuple!(out; kind, dt, i.id, &i.value, i.checked),
            EventData::Media(m) => pack_tuple!(
                out; kind, dt, m.id, m.action, m.current_time, m.volume, m.muted, m.rate
            ),
            EventData::StyleSheetRule(r) => {
                pack_tuple!(out; kind, dt, r.node_id, r.style_id, &r.ops);
            }
            EventData::AdoptedStyleSheets(a) => {
                pack_tuple!(out; kind, dt, a.owner_id, &a.style_ids, &a.new_sheets);
            }
            EventData::Navigation { href, kind: how } => pack_tuple!(out; kind, dt, href, how),
            EventData::Breadcrumb(b) => {
                pack_tuple!(out; kind, dt, &b.category, b.level, &b.message, &b.data);
            }
            EventData::Custom { tag, payload } => pack_tuple!(out; kind, dt, tag, payload),
        }
    }
}

impl Pack for Node {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            Self::Document { id, children } => pack_tuple!(out; 0u8, id, children),
            Self::Doctype {
                id,
                name,
                public_id,
                system_id,
            } => pack_tuple!(out; 1u8, id, name, public_id, system_id),
            Self::Element {
                id,
                tag,
                attributes,
                children,
                namespace: Namespace::Html,
            } => pack_tuple!(out; 2u8, id, tag, attributes, children),
            Self::Element {
                id,
                tag,
                attributes,
                children,
                namespace,
            } => pack_tuple!(out; 2u8, id, tag, attributes, children, namespace.code()),
            Self::Text { id, text } => pack_tuple!(out; 3u8, id, text),
            Self::Comment { id, text } => pack_tuple!(out; 4u8, id, text),
            Self::CData { id, text } => pack_tuple!(out; 5u8, id, text),
            Self::ShadowRoot { id, children } => pack_tuple!(out; 6u8, id, children),
        }
    }
}

impl Pack for AddedNode {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.parent_id, self.next_id, &self.node);
    }
}

impl Pack for RemovedNode {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.parent_id, self.id);
    }
}

impl Pack for TextChange {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.id, &self.text);
    }
}

impl Pack for AttributeChange {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.id, &self.name, &self.value);
    }
}

impl Pack for StackFrame {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; &self.function, &self.filename, self.lineno, self.colno);
    }
}

impl Pack for MouseDelta {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.dx, self.dy, self.dt);
    }
}

impl Pack for StyleOp {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.kind, &self.path, &self.text);
    }
}

impl Pack for ConstructedSheet {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; self.style_id, &self.text);
    }
}

impl Pack for SegmentHeader {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(
            out; &self.replay_id, self.index, self.project, &self.release, &self.environment,
            self.start, self.end, self.event_count, self.flags, self.compression
        );
    }
}

/// Implements [`Pack`] for enums that travel as their one-byte code.
macro_rules! pack_codes {
    ($($code_type:ty),+) => {$(
        impl Pack for $code_type {
            fn pack(&self, out: &mut Vec<u8>) {
                write_uint(out, u64::from(self.code()));
            }
        }
    )+};
}

pack_codes!(
    MouseInteraction,
    MediaAction,
    NavigationKind,
    Level,
    StyleOpKind,
    Compression
);
