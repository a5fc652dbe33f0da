//! Users and API tokens. The store keeps what the service computed — an
//! argon2 PHC string for a password, the SHA-256 of a token — and never sees
//! a password or a token itself.

use rusqlite::{params, OptionalExtension};

use crate::{Store, StoreError};

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    /// `000000` (the whole country) or a region code.
    pub region: String,
    /// Role code (`county`, `city`, …).
    pub role: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Who created it.
    pub created_by: String,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: String,
    pub created_by: String,
    pub disabled_at: Option<String>,
}

const USER_COLUMNS: &str =
    "id, name, region, role, password_hash, created_at, created_by, disabled_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        region: r.get(2)?,
        role: r.get(3)?,
        password_hash: r.get(4)?,
        created_at: r.get(5)?,
        created_by: r.get(6)?,
        disabled_at: r.get(7)?,
    })
}

impl Store {
    /// Create a user; a taken name is refused.
    pub fn add_user(&mut self, user: &NewUser) -> Result<UserRecord, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let taken: bool = tx
            .query_row("SELECT 1 FROM users WHERE name = ?1", [&user.name], |_| {
                Ok(())
            })
            .optional()?
            .is_some();
        if taken {
            return Err(StoreError::Invalid(format!(
                "用户名 “{}” 已存在",
                user.name
            )));
        }
        tx.execute(
            "INSERT INTO users (name, region, role, password_hash, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                user.name,
                user.region,
                user.role,
                user.password_hash,
                now,
                user.created_by
            ],
        )?;
        let id = tx.last_insert_rowid();
        let rec = tx.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_row,
        )?;
        tx.commit()?;
        self.written();
        Ok(rec)
    }

    /// Set a user's region and role, and whether the account is disabled;
    /// a change of region or role or a disabling ends the user's sessions.
    /// One transaction with its audit record.
    pub fn update_user(
        &mut self,
        user_id: i64,
        region: &str,
        role: &str,
        disabled: bool,
        audit: &crate::NewAudit,
    ) -> Result<UserRecord, StoreError> {
        let now = self.now()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE users SET region = ?1, role = ?2,
                    disabled_at = CASE WHEN ?3 THEN COALESCE(disabled_at, ?4) ELSE NULL END
              WHERE id = ?5",
            params![region, role, disabled, now, user_id],
        )?;
        tx.execute(
            "UPDATE sessions SET ended_at = ?1 WHERE user_id = ?2 AND ended_at IS NULL",
            params![now, user_id],
        )?;
        crate::answers::append_audit(&tx, &now, audit)?;
        let rec = tx.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [user_id],
            user_row,
        )?;
        tx.commit()?;
        self.written();
        Ok(rec)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                user_row,
            )
            .optional()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
        let rows = stmt.query_map([], user_row)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// Record a token (its SHA-256, hex) for a user.
    pub fn add_token(
        &mut self,
        user_id: i64,
        sha256_hex: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        self.conn.execute(
            "INSERT INTO api_tokens (token_sha256, user_id, label, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha256_hex, user_id, label, now],
        )?;
        self.written();
        Ok(())
    }

    /// The user holding a live token (not revoked, user not disabled).
    pub fn user_by_token(&self, sha256_hex: &str) -> Result<Option<UserRecord>, StoreError> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {cols} FROM api_tokens t JOIN users u ON u.id = t.user_id
                      WHERE t.token_sha256 = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
                ),
                [sha256_hex],
                user_row,
            )
            .optional()?)
    }

    /// Start a browser session for a user, valid until `expires_at`
    /// (stored timestamp form).
    pub fn add_session(
        &mut self,
        user_id: i64,
        sha256_hex: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        self.conn.execute(
            "INSERT INTO sessions (token_sha256, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha256_hex, user_id, now, expires_at],
        )?;
        self.written();
        Ok(())
    }

    /// The user of a live session (not ended, not expired, user not disabled).
    pub fn user_by_session(&self, sha256_hex: &str) -> Result<Option<UserRecord>, StoreError> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let now = self.now()?;
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {cols} FROM sessions s JOIN users u ON u.id = s.user_id
                      WHERE s.token_sha256 = ?1 AND s.ended_at IS NULL AND s.expires_at > ?2
                        AND u.disabled_at IS NULL"
                ),
                params![sha256_hex, now],
                user_row,
            )
            .optional()?)
    }

    /// End one session (sign-out).
    pub fn end_session(&mut self, sha256_hex: &str) -> Result<(), StoreError> {
        let now = self.now()?;
        self.conn.execute(
            "UPDATE sessions SET ended_at = ?1 WHERE token_sha256 = ?2 AND ended_at IS NULL",
            params![now, sha256_hex],
        )?;
        self.written();
        Ok(())
    }

    /// Set a user's password hash and end every session of theirs but
    /// `keep`, in one transaction, with its audit record.
    pub fn set_password(
        &mut self,
        user_id: i64,
        password_hash: &str,
        keep: Option<&str>,
        audit: &crate::NewAudit,
    ) -> Result<(), StoreError> {
        let now = self.now()?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE users SET password_hash = ?1, password_changed_at = ?2 WHERE id = ?3",
            params![password_hash, now, user_id],
        )?;
        tx.execute(
            "UPDATE sessions SET ended_at = ?1
              WHERE user_id = ?2 AND ended_at IS NULL AND token_sha256 IS NOT ?3",
            params![now, user_id, keep],
        )?;
        crate::answers::append_audit(&tx, &now, audit)?;
        tx.commit()?;
        self.written();
        Ok(())
    }

    /// Revoke every token of a user; returns how many were live.
    pub fn revoke_tokens(&mut self, user_id: i64) -> Result<usize, StoreError> {
        let now = self.now()?;
        let n = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
            params![now, user_id],
        )?;
        self.written();
        Ok(n)
    }
}
