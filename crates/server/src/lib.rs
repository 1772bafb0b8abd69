//! Sightline server (work in progress).
