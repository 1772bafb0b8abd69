//! Payloads of the interaction, style and breadcrumb events, and the small enums they use.
//!
//! Enums travel as one small integer each; structs as positional arrays (rmp-serde's
//! struct-as-array), so no field name reaches the wire.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::node::NodeId;

/// Defines a fieldless enum that travels as a `u8`, with its fixed codes.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The code this value travels as.
            pub fn code(self) -> u8 {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The value for a wire code, if the code is known.
            pub fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u8(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = u8::deserialize(deserializer)?;
                Self::from_code(code).ok_or_else(|| {
                    serde::de::Error::custom(format_args!(
                        concat!("unknown ", stringify!($name), " {}"),
                        code
                    ))
                })
            }
        }
    };
}

wire_enum! {
    /// A pointer or focus interaction with one node.
    MouseInteraction {
        /// Primary-button click.
        Click = 0,
        /// Double click.
        DblClick = 1,
        /// Context menu (right click or long press).
        ContextMenu = 2,
        /// The node gained focus.
        Focus = 3,
        /// The node lost focus.
        Blur = 4,
        /// A touch started on the node.
        TouchStart = 5,
        /// A touch ended on the node.
        TouchEnd = 6,
        /// A mouse button went down.
        MouseDown = 7,
        /// A mouse button went up.
        MouseUp = 8,
    }
}

wire_enum! {
    /// What happened to a `<video>` or `<audio>` element.
    MediaAction {
        /// Playback started.
        Play = 0,
        /// Playback paused.
        Pause = 1,
        /// The playhead jumped.
        Seeked = 2,
        /// Volume or mute changed.
        VolumeChange = 3,
        /// Playback rate changed.
        RateChange = 4,
    }
}

wire_enum! {
    /// How the page's URL changed.
    NavigationKind {
        /// `history.pushState`.
        Push = 0,
        /// `history.replaceState`.
        Replace = 1,
        /// Back or forward (`popstate`).
        Pop = 2,
        /// The fragment changed (`hashchange`).
        Hash = 3,
        /// A full page load in the same tab that continues the replay.
        Load = 4,
    }
}

wire_enum! {
    /// Severity of a breadcrumb, covering both console methods and Sentry levels.
    Level {
        /// `console.debug`, Sentry `debug`.
        Debug = 0,
        /// `console.log`.
        Log = 1,
        /// `console.info`, Sentry `info`.
        Info = 2,
        /// `console.warn`, Sentry `warning`.
        Warning = 3,
        /// `console.error`, Sentry `error`.
        Error = 4,
        /// Sentry `fatal`.
        Fatal = 5,
    }
}

wire_enum! {
    /// A change to a stylesheet through the CSSOM.
    StyleOpKind {
        /// `insertRule(text, index)`: `path` is the index path (outer rule first for nested
        /// grouping rules such as `@media`).
        Insert = 0,
        /// `deleteRule(index)`: `path` as for insert; `text` empty.
        Delete = 1,
        /// `replace`/`replaceSync(text)`: the whole sheet; `path` empty.
        Replace = 2,
    }
}

/// Pointer positions sampled while the mouse moved, delta-coded.
///
/// The first position `(x, y)` is at the event's time; each delta moves from the previous position
/// `dt` ms later. The recorder flushes a batch before any other event, so times stay ordered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MouseMove {
    /// First x in viewport CSS pixels.
    pub x: i32,
    /// First y in viewport CSS pixels.
    pub y: i32,
    /// Later positions relative to the previous one.
    pub deltas: Vec<MouseDelta>,
}

/// One step of a [`MouseMove`] batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MouseDelta {
    /// Change in x.
    pub dx: i32,
    /// Change in y.
    pub dy: i32,
    /// Milliseconds after the previous position.
    pub dt: u32,
}

impl MouseMove {
    /// The absolute positions as `(ms after the event, x, y)`, first one included.
    pub fn positions(&self) -> impl Iterator<Item = (u64, i32, i32)> + '_ {
        let first = std::iter::once((0, self.x, self.y));
        let rest = self.deltas.iter().scan((0u64, self.x, self.y), |at, d| {
            *at = (
                at.0.saturating_add(u64::from(d.dt)),
                at.1.saturating_add(d.dx),
                at.2.saturating_add(d.dy),
            );
            Some(*at)
        });
        first.chain(rest)
    }

    /// Builds a batch from absolute `(ms, x, y)` samples in time order; `None` when empty.
    pub fn from_positions(samples: &[(u64, i32, i32)]) -> Option<Self> {
        let (&(t0, x, y), rest) = samples.split_first()?;
        let mut previous = (t0, x, y);
        let deltas = rest
            .iter()
            .map(|&(t, x, y)| {
                let delta = MouseDelta {
                    dx: x.saturating_sub(previous.1),
                    dy: y.saturating_sub(previous.2),
                    dt: u32::try_from(t.saturating_sub(previous.0)).unwrap_or(u32::MAX),
                };
                previous = (t, x, y);
                delta
            })
            .collect();
        Some(Self { x, y, deltas })
    }
}

/// The value of a form control after the user changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The `<input>`, `<textarea>` or `<select>`.
    pub id: NodeId,
    /// The value, masked unless the control is unmasked (never for passwords).
    pub value: String,
    /// `checked` of a checkbox or radio button; `None` for other controls.
    pub checked: Option<bool>,
}

/// A media element's state after a play, pause, seek, volume or rate change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// The `<video>` or `<audio>` element.
    pub id: NodeId,
    /// What happened.
    pub action: MediaAction,
    /// `currentTime` in ms.
    pub current_time: u32,
    /// `volume` in percent (0–100).
    pub volume: u8,
    /// `muted`.
    pub muted: bool,
    /// `playbackRate` in percent (100 = normal speed).
    pub rate: u16,
}

/// Which stylesheet a CSSOM change applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleSheetRule {
    /// The `<style>` or `<link>` element owning the sheet; `None` for a constructed sheet.
    pub node_id: Option<NodeId>,
    /// The constructed sheet's id (see [`AdoptedStyleSheets`]); `None` for an element's sheet.
    pub style_id: Option<u32>,
    /// The changes, in order.
    pub ops: Vec<StyleOp>,
}

/// One CSSOM change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleOp {
    /// Insert, delete or replace.
    pub kind: StyleOpKind,
    /// Rule index path (empty for replace).
    pub path: Vec<u32>,
    /// Rule or sheet text (empty for delete).
    pub text: String,
}

/// The `adoptedStyleSheets` of a document or shadow root, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptedStyleSheets {
    /// The document or shadow root node.
    pub owner_id: NodeId,
    /// The adopted sheets' ids, in cascade order.
    pub style_ids: Vec<u32>,
    /// Sheets seen for the first time in this replay, with their CSS text.
    pub new_sheets: Vec<ConstructedSheet>,
}

/// A constructed stylesheet (`new CSSStyleSheet()`) and its CSS text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstructedSheet {
    /// Id unique within the replay.
    pub style_id: u32,
    /// The sheet's rules as CSS text.
    pub text: String,
}

/// A breadcrumb: a console message or an application's own trail entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breadcrumb {
    /// `console` for console messages; otherwise the application's category (`ui.click`, `auth`).
    pub category: String,
    /// Severity.
    pub level: Level,
    /// The message, truncated and masked as the recorder's privacy settings say.
    pub message: String,
    /// Extra data as a JSON object, or empty.
    pub data: String,
}
