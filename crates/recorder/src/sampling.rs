//! Which tab sessions are recorded: `sessionSampleRate` and `onErrorSampleRate`.
//!
//! A new tab session rolls once against `sessionSampleRate`: a hit records and uploads everything
//! ([`Sampling::Session`]). A miss rolls against `onErrorSampleRate`: a hit keeps only the last
//! minute or so in memory and uploads it when an error happens ([`Sampling::Buffer`]); a miss
//! records nothing ([`Sampling::Off`]). The decision is kept with the replay id, so a page load
//! in the same tab does not roll again.

/// How a tab session is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Record everything and upload it as it comes.
    Session,
    /// Record into a bounded in-memory buffer; upload it, and go on as [`Sampling::Session`],
    /// when an error or a failed request happens.
    Buffer,
    /// Record and upload nothing (trace headers are still sent, without a replay id).
    Off,
}

impl Sampling {
    /// The one-letter code kept in `sessionStorage`.
    pub fn code(self) -> char {
        match self {
            Self::Session => 's',
            Self::Buffer => 'b',
            Self::Off => 'o',
        }
    }

    /// The sampling a stored code stands for.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "s" => Some(Self::Session),
            "b" => Some(Self::Buffer),
            "o" => Some(Self::Off),
            _ => None,
        }
    }

    /// Whether a replay is being recorded or buffered (and its id belongs in `baggage`).
    pub fn records(self) -> bool {
        self != Self::Off
    }
}

/// The two sample rates, each between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleRates {
    /// Share of tab sessions recorded in full.
    pub session: f64,
    /// Share of the other tab sessions buffered and uploaded on error.
    pub on_error: f64,
}

impl Default for SampleRates {
    /// Record and upload every session.
    fn default() -> Self {
        Self {
            session: 1.0,
            on_error: 1.0,
        }
    }
}

impl SampleRates {
    /// The rates the page asked for; an absent or unreadable rate keeps its default (1), and
    /// rates outside 0..1 are clamped.
    pub fn new(session: Option<f64>, on_error: Option<f64>) -> Self {
        let rate = |value: Option<f64>| value.filter(|v| !v.is_nan()).map(|v| v.clamp(0.0, 1.0));
        let defaults = Self::default();
        Self {
            session: rate(session).unwrap_or(defaults.session),
            on_error: rate(on_error).unwrap_or(defaults.on_error),
        }
    }

    /// Decides a new tab session from two uniform random numbers in `[0, 1)`.
    pub fn decide(&self, session_roll: f64, error_roll: f64) -> Sampling {
        if session_roll < self.session {
            Sampling::Session
        } else if error_roll < self.on_error {
            Sampling::Buffer
        } else {
            Sampling::Off
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_every_session_is_recorded_in_full() {
        let rates = SampleRates::new(None, None);
        assert_eq!(rates.decide(0.999, 0.999), Sampling::Session);
    }

    #[test]
    fn sessions_missed_by_the_session_rate_are_buffered_by_the_error_rate() {
        let rates = SampleRates::new(Some(0.1), Some(0.5));
        assert_eq!(rates.decide(0.05, 0.9), Sampling::Session);
        assert_eq!(rates.decide(0.2, 0.4), Sampling::Buffer);
        assert_eq!(rates.decide(0.2, 0.6), Sampling::Off);
        let none = SampleRates::new(Some(0.0), Some(0.0));
        assert_eq!(none.decide(0.0, 0.0), Sampling::Off);
        let buffer_only = SampleRates::new(Some(0.0), None);
        assert_eq!(buffer_only.decide(0.0, 0.999), Sampling::Buffer);
    }

    #[test]
    fn rates_are_clamped_and_unreadable_ones_keep_the_default() {
        assert_eq!(SampleRates::new(Some(7.0), Some(-1.0)).session, 1.0);
        assert_eq!(SampleRates::new(Some(7.0), Some(-1.0)).on_error, 0.0);
        assert_eq!(SampleRates::new(Some(f64::NAN), None).session, 1.0);
    }

    #[test]
    fn codes_round_trip() {
        for sampling in [Sampling::Session, Sampling::Buffer, Sampling::Off] {
            assert_eq!(
                Sampling::from_code(&sampling.code().to_string()),
                Some(sampling)
            );
        }
        assert_eq!(Sampling::from_code("x"), None);
    }
}
