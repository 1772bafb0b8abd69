//! The `sightline` command-line client: `releases` (new, set-commits, deploy) against a server.
