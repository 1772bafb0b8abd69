//! The scrubbers of the projects in one processor batch, each read from the store once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::Scrubber;
use crate::store::{PrivacyStore, StoreError};

/// Scrubbers by project, filled on first use: one options query per project and batch, not
/// per event.
pub struct ScrubberCache<'a> {
    store: &'a dyn PrivacyStore,
    scrubbers: HashMap<u64, Scrubber>,
}

impl std::fmt::Debug for ScrubberCache<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrubberCache")
            .field("projects", &self.scrubbers.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ScrubberCache<'a> {
    /// An empty cache over `store`.
    pub fn new(store: &'a dyn PrivacyStore) -> Self {
        Self {
            store,
            scrubbers: HashMap::new(),
        }
    }

    /// The scrubber of `project_id`. Options that no longer parse scrub with the defaults
    /// (logged): scrubbing too much is the safe side.
    ///
    /// # Errors
    /// A [`StoreError`] reading the options (the batch must wait: storing unscrubbed data is
    /// never the fallback).
    pub fn for_project(&mut self, project_id: u64) -> Result<&Scrubber, StoreError> {
        match self.scrubbers.entry(project_id) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(missing) => {
                let options = match self.store.privacy_options(project_id) {
                    Ok(options) => options,
                    Err(StoreError::Corrupt(reason)) => {
                        tracing::error!(project_id, %reason, "scrubbing with the default options");
                        super::ScrubOptions::default()
                    }
                    Err(error) => return Err(error),
                };
                Ok(missing.insert(Scrubber::new(&options)))
            }
        }
    }
}
