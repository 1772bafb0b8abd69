//! The default project (id 1) created on first start, with its DSN key and the admin token,
//! in the default organization (id 1) whose owner is the superuser [`ADMIN_EMAIL`]; the admin
//! token is that user's admin-scope API token.

use rand::Rng;

use crate::auth::token_digest;
use crate::store::{Project, Store, StoreError};

/// The superuser created on first start (no password: it signs in with the admin token).
pub const ADMIN_EMAIL: &str = "admin@localhost";

/// Id of the project created on first start.
pub const DEFAULT_PROJECT_ID: u64 = 1;

/// The default project, and its admin token when it was created just now (the token is shown
/// once: only its digest is stored).
#[derive(Debug, Clone)]
pub struct DefaultProject {
    /// The project.
    pub project: Project,
    /// The new admin token, `Some` only on the start that created the project.
    pub new_admin_token: Option<String>,
}

/// Returns the default project, creating it with a random public key and a random admin token
/// when the store has none.
///
/// # Errors
/// Any [`StoreError`].
pub fn ensure_default_project(store: &dyn Store) -> Result<DefaultProject, StoreError> {
    if let Some(project) = store.project(DEFAULT_PROJECT_ID)? {
        store.ensure_access_defaults(ADMIN_EMAIL)?;
        return Ok(DefaultProject {
            project,
            new_admin_token: None,
        });
    }
    let project = Project {
        id: DEFAULT_PROJECT_ID,
        public_key: random_hex::<16>(),
    };
    let token = random_hex::<32>();
    store.create_project(&project, &token_digest(&token))?;
    store.ensure_access_defaults(ADMIN_EMAIL)?;
    Ok(DefaultProject {
        project,
        new_admin_token: Some(token),
    })
}

/// The DSN of `project` served at `host` (`host:port`): `http://{key}@{host}/{id}`.
pub fn dsn(project: &Project, host: &str) -> String {
    format!("http://{}@{host}/{}", project.public_key, project.id)
}

/// `N` random bytes from the thread-local CSPRNG, as `2 * N` lowercase hex digits.
pub fn random_hex<const N: usize>() -> String {
    hex::encode(rand::rng().random::<[u8; N]>())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sightline_protocol::v1::is_hex_id;

    use super::*;
    use crate::store::{AccessStore, SqliteStore};

    #[test]
    fn first_call_creates_the_project_and_a_token_later_calls_do_not() {
        let store = SqliteStore::open_in_memory().unwrap();
        let first = ensure_default_project(&store).unwrap();
        assert_eq!(first.project.id, 1);
        assert!(is_hex_id(&first.project.public_key, 32));
        let token = first.new_admin_token.unwrap();
        assert!(is_hex_id(&token, 64));
        assert!(store.has_admin_token(&token_digest(&token)).unwrap());
        assert!(!store.has_admin_token(&token).unwrap(), "never stored raw");
        let row = store.api_token(&token_digest(&token)).unwrap().unwrap();
        assert_eq!(row.scopes, "read write admin");
        let admin = store.user(row.user_id).unwrap().unwrap();
        assert_eq!(admin.email, ADMIN_EMAIL);
        assert!(admin.is_superuser);
        let keys = store.project_keys(1).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].public_key, first.project.public_key);

        let second = ensure_default_project(&store).unwrap();
        assert_eq!(second.project, first.project);
        assert!(second.new_admin_token.is_none());
    }

    #[test]
    fn dsn_has_key_host_and_project() {
        let project = Project {
            id: 1,
            public_key: "abc".into(),
        };
        assert_eq!(
            dsn(&project, "127.0.0.1:8080"),
            "http://abc@127.0.0.1:8080/1"
        );
    }
}
