//! The replay of a browser tab: its id, age, last user activity, next segment index and sampling,
//! kept in `sessionStorage` so that a full page load in the same tab continues the same replay.
//!
//! The value is stored under [`STORAGE_KEY`] (`sightline.replay`) as
//! `1:{replay_id}:{started_ms}:{last_activity_ms}:{next_index}:{s|b|o}`. A stored replay is
//! continued unless it [expired](TabSession::is_expired): 15 minutes without user activity
//! ([`IDLE_TIMEOUT_MS`]) or 60 minutes after it started ([`MAX_REPLAY_MS`]).
//!
//! ```
//! use sightline_recorder::sampling::Sampling;
//! use sightline_recorder::tab_session::TabSession;
//!
//! let mut tab = TabSession::new("00112233445566778899aabbccddeeff".into(), 1_000, Sampling::Session);
//! tab.next_index = 4;
//! let stored = tab.encode();
//! let resumed = TabSession::resume(Some(&stored), 61_000).expect("a minute later it continues");
//! assert_eq!((resumed.replay_id.as_str(), resumed.next_index), (tab.replay_id.as_str(), 4));
//! assert!(TabSession::resume(Some(&stored), 1_000 + 16 * 60_000).is_none());
//! ```

use sightline_protocol::v1::is_hex_id;

use crate::sampling::Sampling;

/// The `sessionStorage` key of the tab's replay.
pub const STORAGE_KEY: &str = "sightline.replay";

/// A replay without user activity for this long (ms) is over; activity starts a new one.
pub const IDLE_TIMEOUT_MS: u64 = 15 * 60 * 1000;

/// A replay this old (ms) is over; the next activity starts a new one.
pub const MAX_REPLAY_MS: u64 = 60 * 60 * 1000;

/// Longest stored value read back; anything longer was not written by us.
const MAX_STORED_LEN: usize = 128;

/// The format version at the start of the stored value.
const STORED_VERSION: &str = "1";

/// One tab's replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabSession {
    /// The replay id (32 hex).
    pub replay_id: String,
    /// When the replay started (ms since epoch).
    pub started_at: u64,
    /// The last user activity (ms since epoch).
    pub last_activity_at: u64,
    /// The index the next uploaded segment gets.
    pub next_index: u32,
    /// How the replay is recorded.
    pub sampling: Sampling,
}

impl TabSession {
    /// A new replay `replay_id` starting at `now`.
    pub fn new(replay_id: String, now: u64, sampling: Sampling) -> Self {
        Self {
            replay_id,
            started_at: now,
            last_activity_at: now,
            next_index: 0,
            sampling,
        }
    }

    /// Continues the stored replay at `now` (a page load counts as activity), or `None` when
    /// nothing readable is stored or the stored replay expired.
    pub fn resume(stored: Option<&str>, now: u64) -> Option<Self> {
        let mut tab = Self::parse(stored?)?;
        if tab.is_expired(now) {
            return None;
        }
        tab.touch(now);
        Some(tab)
    }

    /// Whether the replay is over at `now`: idle for [`IDLE_TIMEOUT_MS`] or older than
    /// [`MAX_REPLAY_MS`].
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.last_activity_at) >= IDLE_TIMEOUT_MS
            || now.saturating_sub(self.started_at) >= MAX_REPLAY_MS
    }

    /// Notes user activity at `now`.
    pub fn touch(&mut self, now: u64) {
        self.last_activity_at = self.last_activity_at.max(now);
    }

    /// The value stored under [`STORAGE_KEY`].
    pub fn encode(&self) -> String {
        format!(
            "{STORED_VERSION}:{}:{}:{}:{}:{}",
            self.replay_id,
            self.started_at,
            self.last_activity_at,
            self.next_index,
            self.sampling.code()
        )
    }

    /// Reads a stored value; `None` when it is not one we wrote.
    pub fn parse(stored: &str) -> Option<Self> {
        if stored.len() > MAX_STORED_LEN {
            return None;
        }
        let mut fields = stored.split(':');
        if fields.next()? != STORED_VERSION {
            return None;
        }
        let replay_id = fields.next()?;
        if !is_hex_id(replay_id, 32) {
            return None;
        }
        let started_at = fields.next()?.parse().ok()?;
        let last_activity_at = fields.next()?.parse().ok()?;
        let next_index = fields.next()?.parse().ok()?;
        let sampling = Sampling::from_code(fields.next()?)?;
        if fields.next().is_some() || last_activity_at < started_at {
            return None;
        }
        Some(Self {
            replay_id: replay_id.to_owned(),
            started_at,
            last_activity_at,
            next_index,
            sampling,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";
    const MINUTE: u64 = 60_000;
    const T0: u64 = 1_700_000_000_000;

    fn tab() -> TabSession {
        TabSession::new(ID.into(), T0, Sampling::Session)
    }

    #[test]
    fn a_page_load_continues_the_replay_and_its_segment_numbering() {
        let mut tab = tab();
        tab.next_index = 12;
        let stored = tab.encode();
        let resumed = TabSession::resume(Some(&stored), T0 + 3 * MINUTE);
        assert_eq!(
            resumed,
            Some(TabSession {
                replay_id: ID.into(),
                started_at: T0,
                last_activity_at: T0 + 3 * MINUTE,
                next_index: 12,
                sampling: Sampling::Session,
            })
        );
    }

    #[test]
    fn fifteen_idle_minutes_end_the_replay_but_activity_keeps_it_going() {
        let mut tab = tab();
        assert!(!tab.is_expired(T0 + 15 * MINUTE - 1));
        assert!(tab.is_expired(T0 + 15 * MINUTE));
        tab.touch(T0 + 10 * MINUTE);
        assert!(!tab.is_expired(T0 + 24 * MINUTE));
        assert!(TabSession::resume(Some(&tab.encode()), T0 + 24 * MINUTE).is_some());
        assert!(TabSession::resume(Some(&tab.encode()), T0 + 25 * MINUTE).is_none());
    }

    #[test]
    fn an_hour_ends_the_replay_however_busy_the_user_is() {
        let mut tab = tab();
        for minute in 1..60 {
            tab.touch(T0 + minute * MINUTE);
            assert!(!tab.is_expired(T0 + minute * MINUTE));
        }
        tab.touch(T0 + 60 * MINUTE);
        assert!(tab.is_expired(T0 + 60 * MINUTE));
    }

    #[test]
    fn the_sampling_decision_survives_a_page_load() {
        for sampling in [Sampling::Buffer, Sampling::Off] {
            let tab = TabSession::new(ID.into(), T0, sampling);
            let resumed = TabSession::resume(Some(&tab.encode()), T0 + 1);
            assert_eq!(resumed.map(|t| t.sampling), Some(sampling));
        }
    }

    #[test]
    fn clock_going_backwards_neither_expires_nor_rewinds_activity() {
        let mut tab = tab();
        tab.touch(T0 - MINUTE);
        assert_eq!(tab.last_activity_at, T0);
        assert!(!tab.is_expired(T0 - MINUTE));
    }

    #[test]
    fn values_we_did_not_write_start_a_new_replay() {
        let good = tab().encode();
        for stored in [
            "",
            "garbage",
            &good.replacen("1:", "2:", 1),
            &good.replace(ID, "not-hex"),
            &format!("{good}:extra"),
            &good.replace(":s", ":q"),
            &format!("1:{ID}:{}:{}:0:s", T0, T0 - 1),
            &"1".repeat(500),
        ] {
            assert_eq!(TabSession::resume(Some(stored), T0), None, "{stored}");
        }
        assert_eq!(TabSession::resume(None, T0), None);
    }
}
