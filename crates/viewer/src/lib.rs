//! Sightline viewer (work in progress).
