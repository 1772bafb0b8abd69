//! Sightline recorder (work in progress).
