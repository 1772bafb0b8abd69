//! Where finished segments go: the [`Transport`] trait and a [`CapturingTransport`] for tests.
//!
//! In the browser the transport compresses a segment with `CompressionStream('deflate-raw')` and
//! POSTs it, or beacons it uncompressed when the page is going away. Natively, the capturing
//! transport keeps every upload so that tests assert on the exact bytes that would have been sent.

use std::cell::RefCell;
use std::rc::Rc;

use crate::outbox::Dropped;
use crate::segmenter::Segment;

/// How an upload has to leave the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The page stays alive: compress first, then POST.
    Background,
    /// The page is being hidden or unloaded: send now, uncompressed, with `sendBeacon`.
    Unload,
}

/// One segment on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The DSN's upload URL, key included.
    pub url: String,
    /// The segment.
    pub segment: Segment,
    /// How it has to be sent.
    pub delivery: Delivery,
}

/// Sends segments. Implementations never fail loudly: a lost segment is logged, not thrown.
pub trait Transport {
    /// Starts sending `upload`; completion is the implementation's business.
    fn send(&mut self, upload: Upload);

    /// What the transport had to drop since the last call (server unreachable too long, or
    /// refusing), so that the session can say so in a later segment.
    fn take_dropped(&mut self) -> Option<Dropped> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, upload: Upload) {
        (**self).send(upload);
    }

    fn take_dropped(&mut self) -> Option<Dropped> {
        (**self).take_dropped()
    }
}

/// A transport that keeps every upload in memory, shared between clones.
#[derive(Debug, Clone, Default)]
pub struct CapturingTransport {
    uploads: Rc<RefCell<Vec<Upload>>>,
    dropped: Rc<RefCell<Option<Dropped>>>,
}

impl CapturingTransport {
    /// Creates an empty capturing transport.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the transport report `dropped` at the next [`Transport::take_dropped`], as a
    /// transport that lost segments would.
    pub fn report_dropped(&self, dropped: Dropped) {
        *self.dropped.borrow_mut() = Some(dropped);
    }

    /// Every upload so far, in the order sent.
    pub fn uploads(&self) -> Vec<Upload> {
        self.uploads.borrow().clone()
    }

    /// The bytes of every segment so far as sent uncompressed (`Compression::None`).
    ///
    /// # Errors
    /// [`sightline_protocol::EncodeError`] if a header could not be encoded.
    pub fn segment_bytes(&self) -> Result<Vec<Vec<u8>>, sightline_protocol::EncodeError> {
        self.uploads
            .borrow()
            .iter()
            .map(|upload| upload.segment.to_bytes())
            .collect()
    }
}

impl Transport for CapturingTransport {
    fn send(&mut self, upload: Upload) {
        self.uploads.borrow_mut().push(upload);
    }

    fn take_dropped(&mut self) -> Option<Dropped> {
        self.dropped.borrow_mut().take()
    }
}
