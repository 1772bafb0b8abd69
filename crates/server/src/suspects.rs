//! Suspect commits: the commits of an issue's first releases that touched its in-app frames.
