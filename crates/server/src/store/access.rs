//! Accounts, organizations, API tokens, sessions, DSN keys and the server's signing secrets.

use super::StoreError;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Email, unique without regard to case.
    pub email: String,
    /// Display name (may be empty).
    pub name: String,
    /// The argon2id PHC string of the password; `None` for an account that signs in with a
    /// token only.
    pub password_hash: Option<String>,
    /// Whether the user sees and administers everything.
    pub is_superuser: bool,
}

/// A new user account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The argon2id PHC string of the password, if any.
    pub password_hash: Option<String>,
    /// Whether the user is a superuser.
    pub is_superuser: bool,
}

/// An organization: it owns projects; users see the projects of their organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Row id (1 is the default organization).
    pub id: i64,
    /// URL-safe short name.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// An API token's stored row (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// The user the token acts as.
    pub user_id: i64,
    /// What the token is for.
    pub label: String,
    /// Space-separated subset of `read write admin`.
    pub scopes: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at_ms: Option<i64>,
}

/// How often a token's last use is written: at most once a minute, so reads stay reads.
pub const TOKEN_USE_RESOLUTION_MS: i64 = 60_000;

/// A browser session's stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The signed-in user.
    pub user_id: i64,
    /// The token state-changing requests must echo in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When the session ends, ms since the Unix epoch.
    pub expires_at_ms: i64,
}

/// A DSN key of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    /// The key (32 hex), the user part of the DSN.
    pub public_key: String,
    /// The project it is valid for.
    pub project_id: u64,
    /// What the key is for.
    pub label: String,
    /// Creation time, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
}

/// A project with its organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgProject {
    /// Project id.
    pub id: u64,
    /// Owning organization.
    pub organization_id: i64,
    /// Display name.
    pub name: String,
    /// The project's first DSN key.
    pub public_key: String,
}

/// Accounts, organizations, API tokens, sessions, DSN keys and the server's signing secrets.
pub trait AccessStore {
    /// Ensures the default organization (id 1), the superuser `admin_email`, every project in
    /// an organization and a DSN key row, and an admin-scope API token of that superuser for
    /// each legacy admin token. Idempotent; returns the superuser's id.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn ensure_access_defaults(&self, admin_email: &str) -> Result<i64, StoreError>;

    /// The user with this email (case-insensitive).
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    /// The user with this id.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn user(&self, id: i64) -> Result<Option<User>, StoreError>;

    /// Creates a user with memberships `(organization id, role)`, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the email is taken.
    fn create_user(
        &self,
        user: &NewUser,
        memberships: &[(i64, String)],
    ) -> Result<User, StoreError>;

    /// Replaces a user's password hash.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError>;

    /// Every organization, by id.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn organizations(&self) -> Result<Vec<Organization>, StoreError>;

    /// The organization with this slug.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn organization_by_slug(&self, slug: &str) -> Result<Option<Organization>, StoreError>;

    /// Creates an organization.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the slug is taken.
    fn create_organization(&self, slug: &str, name: &str) -> Result<Organization, StoreError>;

    /// The user's organizations and role in each.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn memberships(&self, user_id: i64) -> Result<Vec<(Organization, String)>, StoreError>;

    /// An organization's members and their roles.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn members(&self, organization_id: i64) -> Result<Vec<(User, String)>, StoreError>;

    /// Adds a member or changes their role.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn set_membership(
        &self,
        user_id: i64,
        organization_id: i64,
        role: &str,
    ) -> Result<(), StoreError>;

    /// The ids of the projects of the user's organizations.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn member_project_ids(&self, user_id: i64) -> Result<Vec<u64>, StoreError>;

    /// Every project with its organization, by id.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn org_projects(&self) -> Result<Vec<OrgProject>, StoreError>;

    /// Creates a project in an organization with its first DSN key; returns it.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn create_org_project(
        &self,
        organization_id: i64,
        name: &str,
        public_key: &str,
    ) -> Result<OrgProject, StoreError>;

    /// The API token with this SHA-256 hex digest, revoked or not.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn api_token(&self, token_sha256: &str) -> Result<Option<ApiToken>, StoreError>;

    /// A user's API tokens, by id.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError>;

    /// Stores a new API token by digest.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the digest exists.
    fn create_api_token(
        &self,
        user_id: i64,
        token_sha256: &str,
        label: &str,
        scopes: &str,
    ) -> Result<ApiToken, StoreError>;

    /// Revokes every embed token of `replay_id` issued at or before `now_ms`.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn revoke_embed_tokens(&self, replay_id: &str, now_ms: i64) -> Result<(), StoreError>;

    /// The time up to which `replay_id`'s embed tokens are revoked, if they ever were.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn embed_tokens_revoked_before(&self, replay_id: &str) -> Result<Option<i64>, StoreError>;

    /// Records that token `id` was used at `now_ms`, unless that was already recorded within
    /// [`TOKEN_USE_RESOLUTION_MS`].
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn touch_api_token(&self, id: i64, now_ms: i64) -> Result<(), StoreError>;

    /// Revokes a token of `user_id` (any user's when `None`); false if there was none.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn revoke_api_token(&self, user_id: Option<i64>, id: i64) -> Result<bool, StoreError>;

    /// Stores a session by the digest of its cookie value.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn create_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError>;

    /// The unexpired session with this digest at `now_ms` (expired ones are deleted).
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn session(&self, id_sha256: &str, now_ms: i64) -> Result<Option<Session>, StoreError>;

    /// Deletes a session.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError>;

    /// A project's DSN keys, oldest first.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn project_keys(&self, project_id: u64) -> Result<Vec<ProjectKey>, StoreError>;

    /// The DSN key row with this key.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn project_key(&self, public_key: &str) -> Result<Option<ProjectKey>, StoreError>;

    /// Adds a DSN key to a project.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn add_project_key(
        &self,
        project_id: u64,
        public_key: &str,
        label: &str,
    ) -> Result<ProjectKey, StoreError>;

    /// Revokes a project's key; false if the project has no such unrevoked key.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn revoke_project_key(&self, project_id: u64, public_key: &str) -> Result<bool, StoreError>;

    /// The secret `name`, stored as `fresh` if there was none yet.
    ///
    /// # Errors
    /// Any [`StoreError`].
    fn server_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StoreError>;
}
