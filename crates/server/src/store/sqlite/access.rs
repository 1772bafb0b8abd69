//! The SQL behind [`AccessStore`].

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{SqliteStore, now_ms};
use crate::store::StoreError;
use crate::store::access::{
    AccessStore, ApiToken, NewUser, OrgProject, Organization, ProjectKey, Session,
    TOKEN_USE_RESOLUTION_MS, User,
};

const USER_COLUMNS: &str = "id, email, name, password_hash, is_superuser";
const TOKEN_COLUMNS: &str =
    "id, user_id, label, scopes, created_at_ms, revoked_at_ms, last_used_at_ms";
const KEY_COLUMNS: &str = "public_key, project_id, label, created_at_ms, revoked_at_ms";

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        password_hash: row.get(3)?,
        is_superuser: row.get(4)?,
    })
}

fn token_row(row: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: row.get(0)?,
        user_id: row.get(1)?,
        label: row.get(2)?,
        scopes: row.get(3)?,
        created_at_ms: row.get(4)?,
        revoked_at_ms: row.get(5)?,
        last_used_at_ms: row.get(6)?,
    })
}

fn key_row(row: &Row<'_>) -> rusqlite::Result<ProjectKey> {
    Ok(ProjectKey {
        public_key: row.get(0)?,
        project_id: row.get(1)?,
        label: row.get(2)?,
        created_at_ms: row.get(3)?,
        revoked_at_ms: row.get(4)?,
    })
}

fn org_row(row: &Row<'_>) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
    })
}

fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

/// A unique-constraint failure as [`StoreError::Conflict`] with `message`.
fn conflict(error: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    match error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(message())
        }
        other => other.into(),
    }
}

fn user_by(
    connection: &Connection,
    clause: &str,
    value: &dyn rusqlite::ToSql,
) -> Result<Option<User>, StoreError> {
    Ok(connection
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE {clause}"),
            [value],
            user_row,
        )
        .optional()?)
}

impl AccessStore for SqliteStore {
    fn ensure_access_defaults(&self, admin_email: &str) -> Result<i64, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();
        tx.execute(
            "INSERT OR IGNORE INTO organizations (id, slug, name, created_at_ms) \
             VALUES (1, 'default', 'Default', ?1)",
            [now],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO users (email, name, is_superuser, created_at_ms) \
             VALUES (?1, 'Admin', 1, ?2)",
            params![admin_email, now],
        )?;
        let admin: i64 = tx.query_row(
            "SELECT id FROM users WHERE email = ?1",
            [admin_email],
            |row| row.get(0),
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO memberships (user_id, organization_id, role) \
             VALUES (?1, 1, 'owner')",
            [admin],
        )?;
        tx.execute(
            "UPDATE projects SET organization_id = 1 WHERE organization_id IS NULL",
            [],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO project_keys (public_key, project_id, label, created_at_ms) \
             SELECT public_key, id, 'Default', created_at_ms FROM projects",
            [],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO api_tokens (token_sha256, user_id, label, scopes, \
             created_at_ms) SELECT token_sha256, ?1, 'Admin token', 'read write admin', \
             created_at_ms FROM admin_tokens",
            [admin],
        )?;
        tx.commit()?;
        Ok(admin)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        user_by(&self.connection(), "email = ?1", &email)
    }

    fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        user_by(&self.connection(), "id = ?1", &id)
    }

    fn create_user(
        &self,
        user: &NewUser,
        memberships: &[(i64, String)],
    ) -> Result<User, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO users (email, name, password_hash, is_superuser, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                user.email,
                user.name,
                user.password_hash,
                user.is_superuser,
                now()
            ],
        )
        .map_err(|error| conflict(error, || format!("user {} exists", user.email)))?;
        let id = tx.last_insert_rowid();
        for (organization, role) in memberships {
            tx.execute(
                "INSERT OR REPLACE INTO memberships (user_id, organization_id, role) \
                 VALUES (?1, ?2, ?3)",
                params![id, organization, role],
            )?;
        }
        let created = user_by(&tx, "id = ?1", &id)?
            .ok_or_else(|| StoreError::Corrupt(format!("user {id} vanished")))?;
        tx.commit()?;
        Ok(created)
    }

    fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        self.connection().execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![user_id, hash],
        )?;
        Ok(())
    }

    fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let connection = self.connection();
        let mut statement =
            connection.prepare("SELECT id, slug, name FROM organizations ORDER BY id")?;
        let rows = statement.query_map([], org_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn organization_by_slug(&self, slug: &str) -> Result<Option<Organization>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT id, slug, name FROM organizations WHERE slug = ?1",
                [slug],
                org_row,
            )
            .optional()?)
    }

    fn create_organization(&self, slug: &str, name: &str) -> Result<Organization, StoreError> {
        let connection = self.connection();
        connection
            .execute(
                "INSERT INTO organizations (slug, name, created_at_ms) VALUES (?1, ?2, ?3)",
                params![slug, name, now()],
            )
            .map_err(|error| conflict(error, || format!("organization {slug} exists")))?;
        Ok(Organization {
            id: connection.last_insert_rowid(),
            slug: slug.to_owned(),
            name: name.to_owned(),
        })
    }

    fn memberships(&self, user_id: i64) -> Result<Vec<(Organization, String)>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT o.id, o.slug, o.name, m.role FROM memberships m \
             JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = ?1 ORDER BY o.id",
        )?;
        let rows = statement.query_map([user_id], |row| Ok((org_row(row)?, row.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn members(&self, organization_id: i64) -> Result<Vec<(User, String)>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT u.id, u.email, u.name, u.password_hash, u.is_superuser, m.role \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = ?1 ORDER BY u.id",
        )?;
        let rows =
            statement.query_map([organization_id], |row| Ok((user_row(row)?, row.get(5)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_membership(
        &self,
        user_id: i64,
        organization_id: i64,
        role: &str,
    ) -> Result<(), StoreError> {
        self.connection().execute(
            "INSERT OR REPLACE INTO memberships (user_id, organization_id, role) \
             VALUES (?1, ?2, ?3)",
            params![user_id, organization_id, role],
        )?;
        Ok(())
    }

    fn member_project_ids(&self, user_id: i64) -> Result<Vec<u64>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT p.id FROM projects p JOIN memberships m \
             ON m.organization_id = p.organization_id WHERE m.user_id = ?1 ORDER BY p.id",
        )?;
        let rows = statement.query_map([user_id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn org_projects(&self) -> Result<Vec<OrgProject>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT id, organization_id, public_key, name FROM projects ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok(OrgProject {
                id: row.get(0)?,
                organization_id: row.get(1)?,
                public_key: row.get(2)?,
                name: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn create_org_project(
        &self,
        organization_id: i64,
        name: &str,
        public_key: &str,
    ) -> Result<OrgProject, StoreError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();
        tx.execute(
            "INSERT INTO projects (public_key, created_at_ms, organization_id, name) \
             VALUES (?1, ?2, ?3, ?4)",
            params![public_key, now, organization_id, name],
        )?;
        let id = u64::try_from(tx.last_insert_rowid())
            .map_err(|_| StoreError::Corrupt("negative project id".into()))?;
        tx.execute(
            "INSERT INTO project_keys (public_key, project_id, label, created_at_ms) \
             VALUES (?1, ?2, 'Default', ?3)",
            params![public_key, id, now],
        )?;
        tx.commit()?;
        Ok(OrgProject {
            id,
            organization_id,
            name: name.to_owned(),
            public_key: public_key.to_owned(),
        })
    }

    fn api_token(&self, token_sha256: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_sha256 = ?1"),
                [token_sha256],
                token_row,
            )
            .optional()?)
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ?1 ORDER BY id"
        ))?;
        let rows = statement.query_map([user_id], token_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn revoke_embed_tokens(&self, replay_id: &str, now_ms: i64) -> Result<(), StoreError> {
        self.connection().execute(
            "INSERT INTO embed_revocations (replay_id, revoked_before_ms) VALUES (?1, ?2) \
             ON CONFLICT (replay_id) DO UPDATE SET revoked_before_ms = \
             max(revoked_before_ms, excluded.revoked_before_ms)",
            params![replay_id, now_ms],
        )?;
        Ok(())
    }

    fn embed_tokens_revoked_before(&self, replay_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT revoked_before_ms FROM embed_revocations WHERE replay_id = ?1",
                [replay_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn touch_api_token(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        self.connection().execute(
            "UPDATE api_tokens SET last_used_at_ms = ?2 WHERE id = ?1 \
             AND (last_used_at_ms IS NULL OR last_used_at_ms <= ?2 - ?3)",
            params![id, now_ms, TOKEN_USE_RESOLUTION_MS],
        )?;
        Ok(())
    }

    fn create_api_token(
        &self,
        user_id: i64,
        token_sha256: &str,
        label: &str,
        scopes: &str,
    ) -> Result<ApiToken, StoreError> {
        let connection = self.connection();
        connection
            .execute(
                "INSERT INTO api_tokens (token_sha256, user_id, label, scopes, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_sha256, user_id, label, scopes, now()],
            )
            .map_err(|error| conflict(error, || "the token exists".to_owned()))?;
        let id = connection.last_insert_rowid();
        Ok(connection.query_row(
            &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"),
            [id],
            token_row,
        )?)
    }

    fn revoke_api_token(&self, user_id: Option<i64>, id: i64) -> Result<bool, StoreError> {
        let changed = self.connection().execute(
            "UPDATE api_tokens SET revoked_at_ms = ?3 WHERE id = ?1 \
             AND (?2 IS NULL OR user_id = ?2) AND revoked_at_ms IS NULL",
            params![id, user_id, now()],
        )?;
        Ok(changed > 0)
    }

    fn create_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError> {
        let connection = self.connection();
        let now = now();
        connection.execute("DELETE FROM sessions WHERE expires_at_ms <= ?1", [now])?;
        connection.execute(
            "INSERT INTO sessions (id_sha256, user_id, csrf_token, created_at_ms, \
             expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id_sha256,
                session.user_id,
                session.csrf_token,
                now,
                session.expires_at_ms
            ],
        )?;
        Ok(())
    }

    fn session(&self, id_sha256: &str, now_ms: i64) -> Result<Option<Session>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT user_id, csrf_token, expires_at_ms FROM sessions \
                 WHERE id_sha256 = ?1 AND expires_at_ms > ?2",
                params![id_sha256, now_ms],
                |row| {
                    Ok(Session {
                        user_id: row.get(0)?,
                        csrf_token: row.get(1)?,
                        expires_at_ms: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.connection()
            .execute("DELETE FROM sessions WHERE id_sha256 = ?1", [id_sha256])?;
        Ok(())
    }

    fn project_keys(&self, project_id: u64) -> Result<Vec<ProjectKey>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = ?1 \
             ORDER BY created_at_ms, rowid"
        ))?;
        let rows = statement.query_map([project_id], key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn project_key(&self, public_key: &str) -> Result<Option<ProjectKey>, StoreError> {
        Ok(self
            .connection()
            .query_row(
                &format!("SELECT {KEY_COLUMNS} FROM project_keys WHERE public_key = ?1"),
                [public_key],
                key_row,
            )
            .optional()?)
    }

    fn add_project_key(
        &self,
        project_id: u64,
        public_key: &str,
        label: &str,
    ) -> Result<ProjectKey, StoreError> {
        let connection = self.connection();
        connection
            .execute(
                "INSERT INTO project_keys (public_key, project_id, label, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![public_key, project_id, label, now()],
            )
            .map_err(|error| conflict(error, || "the key exists".to_owned()))?;
        Ok(connection.query_row(
            &format!("SELECT {KEY_COLUMNS} FROM project_keys WHERE public_key = ?1"),
            [public_key],
            key_row,
        )?)
    }

    fn revoke_project_key(&self, project_id: u64, public_key: &str) -> Result<bool, StoreError> {
        let changed = self.connection().execute(
            "UPDATE project_keys SET revoked_at_ms = ?3 WHERE project_id = ?1 \
             AND public_key = ?2 AND revoked_at_ms IS NULL",
            params![project_id, public_key, now()],
        )?;
        Ok(changed > 0)
    }

    fn server_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StoreError> {
        let connection = self.connection();
        connection.execute(
            "INSERT OR IGNORE INTO server_secrets (name, value, created_at_ms) \
             VALUES (?1, ?2, ?3)",
            params![name, fresh, now()],
        )?;
        Ok(connection.query_row(
            "SELECT value FROM server_secrets WHERE name = ?1",
            [name],
            |row| row.get(0),
        )?)
    }
}
