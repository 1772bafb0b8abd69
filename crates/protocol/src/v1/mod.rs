//! Version 1 of the wire format: the segment header, the events and the DOM node tree.
//!
//! Every type here encodes as a MessagePack **array** (rmp-serde's struct-as-array): field names
//! never reach the wire. Events and nodes are tagged tuples `[kind, …fields]` written by hand so
//! that the tag is one small integer. Optional trailing fields may be omitted by the encoder.

mod event;
mod header;
mod interaction;
mod node;
mod pack;
mod tuple;

pub use event::{
    AddedNode, AttributeChange, Event, EventData, JsError, Mutation, NetworkRequest, RemovedNode,
    StackFrame, TextChange,
};
pub use header::{
    Compression, FLAG_CONTAINS_CHECKPOINT, FLAG_CONTAINS_ERROR, SegmentHeader, is_hex_id,
};
pub use interaction::{
    AdoptedStyleSheets, Breadcrumb, ConstructedSheet, Input, Level, Media, MediaAction, MouseDelta,
    MouseInteraction, MouseMove, NavigationKind, StyleOp, StyleOpKind, StyleSheetRule,
};
pub use node::{Namespace, Node, NodeId};
