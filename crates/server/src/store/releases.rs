//! Releases, their commits and deploys; code mappings and ownership rules of a project.

/// Release, commit, deploy, code-mapping and ownership storage.
pub trait ReleaseStore {}
