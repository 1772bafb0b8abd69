//! "Open replay at error": from an event (`/events/{event_id}`) to the replay 5 s before it,
//! playing up to the error and pausing on it.

use crate::api::encode_segment_path;
use crate::backend::BackendEvent;

/// How long before the error the replay starts, in ms.
pub const LEAD_IN_MS: u64 = 5_000;

impl BackendEvent {
    /// The viewer address that opens the replay at the error:
    /// `/replays/{replay_id}?t={offset − 5 s}&event={id}`, or `None` when the event has no replay.
    pub fn replay_link(&self) -> Option<String> {
        let replay = self
            .replay_id
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())?;
        let start = self
            .replay_offset_ms
            .unwrap_or(0)
            .saturating_sub(LEAD_IN_MS);
        Some(format!(
            "/replays/{}?t={start}&event={}",
            encode_segment_path(replay),
            encode_segment_path(&self.id)
        ))
    }
}

/// `GET` path of one event.
pub fn event_path(id: &str) -> String {
    format!("/api/0/events/{}/", encode_segment_path(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: &str) -> Result<BackendEvent, serde_json::Error> {
        serde_json::from_str(body)
    }

    #[test]
    fn an_event_with_a_replay_links_five_seconds_before_it() -> Result<(), serde_json::Error> {
        let e = event(
            r#"{"id":"aa11","replay_id":"0123456789abcdef0123456789abcdef",
                "replay_offset_ms":12345,"title":"TypeError: x is undefined","level":"error"}"#,
        )?;
        assert_eq!(
            e.replay_link().as_deref(),
            Some("/replays/0123456789abcdef0123456789abcdef?t=7345&event=aa11")
        );
        Ok(())
    }

    #[test]
    fn an_error_in_the_first_seconds_starts_at_zero() -> Result<(), serde_json::Error> {
        let e = event(r#"{"id":"bb","replay_id":"r1","replay_offset_ms":3000,"title":"t"}"#)?;
        assert_eq!(e.replay_link().as_deref(), Some("/replays/r1?t=0&event=bb"));
        Ok(())
    }

    #[test]
    fn an_event_without_replay_has_no_link() -> Result<(), serde_json::Error> {
        for body in [
            r#"{"id":"cc","title":"Error: boom"}"#,
            r#"{"id":"cc","replay_id":null,"replay_offset_ms":null,"title":"Error: boom"}"#,
            r#"{"id":"cc","replay_id":"","title":"Error: boom"}"#,
        ] {
            let e = event(body)?;
            assert_eq!(e.replay_link(), None);
            assert_eq!(e.title, "Error: boom");
        }
        Ok(())
    }

    #[test]
    fn ids_cannot_escape_their_path() {
        assert_eq!(event_path("ab/../x"), "/api/0/events/ab%2F..%2Fx/");
        let e = BackendEvent {
            id: "a&t=1".into(),
            replay_id: Some("r?x".into()),
            replay_offset_ms: Some(9_000),
            ..BackendEvent::default()
        };
        assert_eq!(
            e.replay_link().as_deref(),
            Some("/replays/r%3Fx?t=4000&event=a%26t%3D1")
        );
    }
}
