//! Ownership: a project's rules (`path:`, `url:`, `tags.NAME:`) and `CODEOWNERS`, and who owns
//! an event.

/// The owner an event was assigned to, and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerMatch {
    /// `#team`, `@user` or `user@example.com`, as the rule names it.
    pub owner: String,
    /// The matching rule as written, such as `path:src/payment/* #payments`.
    pub rule: String,
}
