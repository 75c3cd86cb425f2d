//! Units, users and their roles, sessions, API tokens and login throttling.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, StoreError, WriteTx, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: i64,
    pub region_name: String,
}

const UNIT_SELECT: &str = "SELECT u.id, u.name, u.kind, u.region_code, r.name AS region_name \
     FROM units u JOIN regions r ON r.code = u.region_code";

/// Inserts a unit or updates it by name; returns its id and whether anything changed.
pub async fn upsert_unit(
    c: &mut impl Conn,
    name: &str,
    kind: &str,
    region_code: i64,
    now: i64,
) -> Result<(i64, bool)> {
    if let Some(existing) = unit_by_name(c, name).await? {
        if existing.kind == kind && existing.region_code == region_code {
            return Ok((existing.id, false));
        }
        c.execute(Sql::with(
            "UPDATE units SET kind = $1, region_code = $2 WHERE id = $3",
            vals![kind, region_code, existing.id],
        ))
        .await?;
        return Ok((existing.id, true));
    }
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO units (name, kind, region_code, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![name, kind, region_code, now],
        ))
        .await?;
    Ok((id, true))
}

pub async fn unit_by_name(c: &mut impl Conn, name: &str) -> Result<Option<UnitRow>> {
    c.optional(Sql::with(
        &format!("{UNIT_SELECT} WHERE u.name = $1"),
        vals![name],
    ))
    .await
}

pub async fn unit(c: &mut impl Conn, id: i64) -> Result<Option<UnitRow>> {
    c.optional(Sql::with(
        &format!("{UNIT_SELECT} WHERE u.id = $1"),
        vals![id],
    ))
    .await
}

/// Units whose region lies in the scope.
pub async fn units_in_scope(c: &mut impl Conn, scope: &Scope) -> Result<Vec<UnitRow>> {
    let mut sql = Sql::new(UNIT_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "u.region_code");
    sql.push(" ORDER BY u.region_code, u.name");
    c.all(sql).await
}

/// The units of these kinds based exactly in a region: who is told of an event there.
pub async fn units_at(c: &mut impl Conn, region: i64, kinds: &[&str]) -> Result<Vec<i64>> {
    let mut sql = Sql::new("SELECT id FROM units WHERE region_code = ");
    sql.bind(region).push(" AND kind IN (");
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*kind);
    }
    if kinds.is_empty() {
        sql.push("''");
    }
    sql.push(") ORDER BY id");
    let rows: Vec<(i64,)> = c.all(sql).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Every unit of a kind (the grid company's dispatch, say).
pub async fn units_of_kind(c: &mut impl Conn, kind: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = c
        .all(Sql::with(
            "SELECT id FROM units WHERE kind = $1 ORDER BY id",
            vals![kind],
        ))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The units with an enabled user holding a role (the administrators' units, say).
pub async fn units_of_role(c: &mut impl Conn, role: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = c
        .all(Sql::with(
            "SELECT DISTINCT u.unit_id FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE r.role = $1 AND NOT u.disabled ORDER BY u.unit_id",
            vals![role],
        ))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Social-work and third-party assessment organisations, wherever based (they are contracted
/// across districts).
pub async fn service_organisations(c: &mut impl Conn) -> Result<Vec<UnitRow>> {
    c.all(Sql::new(&format!(
        "{UNIT_SELECT} WHERE u.kind IN ('social_work_org', 'assessment_org') ORDER BY u.name"
    )))
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: i64,
    /// The level of the unit's region (`zone` for a functional zone).
    pub region_level: String,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub password_changed_at: i64,
}

const USER_COLUMNS: &str = "us.id, us.username, us.display_name, us.unit_id, un.name AS unit_name, \
     un.region_code, rg.level AS region_level, us.password_hash, us.disabled, us.password_changed_at";

const USER_JOINS: &str =
    " JOIN units un ON un.id = us.unit_id JOIN regions rg ON rg.code = un.region_code";

fn user_select() -> String {
    format!("SELECT {USER_COLUMNS} FROM users us{USER_JOINS}")
}

pub async fn user_by_name(c: &mut impl Conn, username: &str) -> Result<Option<UserRow>> {
    c.optional(Sql::with(
        &format!("{} WHERE us.username = $1", user_select()),
        vals![username],
    ))
    .await
}

pub async fn user(c: &mut impl Conn, id: i64) -> Result<Option<UserRow>> {
    c.optional(Sql::with(
        &format!("{} WHERE us.id = $1", user_select()),
        vals![id],
    ))
    .await
}

/// Users whose unit lies in the scope.
pub async fn users_in_scope(c: &mut impl Conn, scope: &Scope) -> Result<Vec<UserRow>> {
    let mut sql = Sql::new(&user_select());
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "un.region_code");
    sql.push(" ORDER BY un.region_code, us.username");
    c.all(sql).await
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: i64,
    pub password_hash: &'a str,
    pub roles: &'a [String],
    pub now: i64,
}

pub async fn insert_user(c: &mut impl Conn, u: &NewUser<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO users (username, display_name, unit_id, password_hash, disabled, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING id",
            vals![u.username, u.display_name, u.unit_id, u.password_hash, u.now],
        ))
        .await?;
    set_roles(c, id, u.roles).await?;
    Ok(id)
}

/// Updates name, unit and roles of an existing user; returns whether anything changed.
pub async fn update_user_profile(
    c: &mut WriteTx,
    id: i64,
    display_name: &str,
    unit_id: i64,
    roles: &[String],
) -> Result<bool> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    let changed = c
        .execute(Sql::with(
            "UPDATE users SET display_name = $1, unit_id = $2 WHERE id = $3 \
             AND (display_name <> $1 OR unit_id <> $2)",
            vals![display_name, unit_id, id],
        ))
        .await?
        > 0;
    let mut wanted: Vec<String> = roles.to_vec();
    wanted.sort();
    wanted.dedup();
    let current = user_roles(c, id).await?;
    if current == wanted {
        return Ok(changed);
    }
    set_roles(c, id, &wanted).await?;
    Ok(true)
}

async fn set_roles(c: &mut impl Conn, user_id: i64, roles: &[String]) -> Result<()> {
    c.execute(Sql::with(
        "DELETE FROM user_roles WHERE user_id = $1",
        vals![user_id],
    ))
    .await?;
    for role in roles {
        c.execute(Sql::with(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vals![user_id, role.as_str()],
        ))
        .await?;
    }
    Ok(())
}

pub async fn user_roles(c: &mut impl Conn, user_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = c
        .all(Sql::with(
            "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role",
            vals![user_id],
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

// ---- role grants waiting for a second administrator ----

/// A role that opens household files, requested for a user and waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct RoleGrantRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: String,
    pub role: String,
    pub requested_by: Option<i64>,
    pub requested_by_name: String,
    pub requested_at: i64,
}

pub async fn request_role_grant(
    c: &mut impl Conn,
    user_id: i64,
    role: &str,
    requested_by: Option<i64>,
    requested_by_name: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO role_grants (user_id, role, requested_by, requested_by_name, requested_at, state) \
             VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
            vals![user_id, role, requested_by, requested_by_name, now],
        ))
        .await?;
    Ok(id)
}

const GRANT_SELECT: &str = "SELECT g.id, g.user_id, u.username, u.display_name, n.name AS unit_name, g.role, \
     g.requested_by, g.requested_by_name, g.requested_at FROM role_grants g JOIN users u ON u.id = g.user_id \
     JOIN units n ON n.id = u.unit_id";

/// Grants waiting for approval, for users whose unit lies in the scope.
pub async fn pending_role_grants(c: &mut impl Conn, scope: &Scope) -> Result<Vec<RoleGrantRow>> {
    let mut sql = Sql::new(GRANT_SELECT);
    sql.push(" WHERE g.state = 'pending' AND ");
    scope.sql_condition(&mut sql, "n.region_code");
    sql.push(" ORDER BY g.id LIMIT 500");
    c.all(sql).await
}

/// A pending grant of a user in the scope.
pub async fn pending_role_grant(
    c: &mut impl Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<RoleGrantRow>> {
    let mut sql = Sql::new(GRANT_SELECT);
    sql.push(" WHERE g.state = 'pending' AND g.id = ")
        .bind(id)
        .push(" AND ");
    scope.sql_condition(&mut sql, "n.region_code");
    c.optional(sql).await
}

/// Decides a pending grant (once; never by its requester, which the database refuses too);
/// an approval adds the role. Returns false when it was no longer pending.
pub async fn decide_role_grant(
    c: &mut WriteTx,
    id: i64,
    decided_by: i64,
    approve: bool,
    now: i64,
) -> Result<bool> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    let state = if approve { "approved" } else { "refused" };
    let n = c
        .execute(Sql::with(
            "UPDATE role_grants SET state = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND state = 'pending' AND (requested_by IS NULL OR requested_by <> $2) \
             AND user_id <> $2",
            vals![state, decided_by, now, id],
        ))
        .await?;
    if n == 0 {
        return Ok(false);
    }
    if approve {
        c.execute(Sql::with(
            "INSERT INTO user_roles (user_id, role) SELECT user_id, role FROM role_grants WHERE id = $1 \
             ON CONFLICT DO NOTHING",
            vals![id],
        ))
        .await?;
    }
    Ok(true)
}

pub async fn set_password(c: &mut WriteTx, user_id: i64, hash: &str, now: i64) -> Result<()> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    let n = c
        .execute(Sql::with(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
            vals![hash, now, user_id],
        ))
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_disabled(c: &mut WriteTx, user_id: i64, disabled: bool) -> Result<()> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    let n = c
        .execute(Sql::with(
            "UPDATE users SET disabled = $1 WHERE id = $2",
            vals![disabled, user_id],
        ))
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ---- sessions ----

/// A live session's row together with its user, read in one query per request.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    pub csrf_token: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

pub async fn insert_session(
    c: &mut impl Conn,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
    ip: &str,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, ip) \
         VALUES ($1, $2, $3, $4, $5, $4, $6)",
        vals![token_hash, user_id, csrf, now, expires_at, ip],
    ))
    .await?;
    Ok(())
}

pub async fn session_user(c: &mut impl Conn, token_hash: &str) -> Result<Option<SessionUser>> {
    c.optional(Sql::with(
        &format!(
            "SELECT s.csrf_token, s.expires_at, s.last_seen_at, {USER_COLUMNS} \
             FROM sessions s JOIN users us ON us.id = s.user_id{USER_JOINS} WHERE s.token_hash = $1"
        ),
        vals![token_hash],
    ))
    .await
}

/// Slides the session's idle expiry forward.
pub async fn touch_session(
    c: &mut impl Conn,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
        vals![now, expires_at, token_hash],
    ))
    .await?;
    Ok(())
}

pub async fn delete_session(c: &mut WriteTx, token_hash: &str) -> Result<()> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    c.execute(Sql::with(
        "DELETE FROM sessions WHERE token_hash = $1",
        vals![token_hash],
    ))
    .await?;
    Ok(())
}

/// Ends every session of a user except, optionally, one (after a password change).
pub async fn delete_user_sessions(c: &mut WriteTx, user_id: i64, keep: Option<&str>) -> Result<()> {
    // Cached sessions of every instance are stale once this commits.
    c.auth_changed();
    c.execute(Sql::with(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
        vals![user_id, keep.unwrap_or("")],
    ))
    .await?;
    Ok(())
}

pub async fn delete_expired_sessions(c: &mut impl Conn, now: i64) -> Result<u64> {
    c.execute(Sql::with(
        "DELETE FROM sessions WHERE expires_at < $1",
        vals![now],
    ))
    .await
}

// ---- API tokens ----

pub async fn insert_api_token(
    c: &mut impl Conn,
    token_hash: &str,
    user_id: i64,
    name: &str,
    now: i64,
    expires_at: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vals![token_hash, user_id, name, now, expires_at],
        ))
        .await?;
    Ok(id)
}

/// The user a live token belongs to.
pub async fn api_token_user(c: &mut impl Conn, token_hash: &str, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
            vals![token_hash, now],
        ))
        .await?;
    Ok(row.map(|r| r.0))
}

/// A user's API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ApiTokenRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// A user's tokens, newest first (revoked and expired ones too, so the owner sees what ended).
pub async fn api_tokens_of(c: &mut impl Conn, user_id: i64) -> Result<Vec<ApiTokenRow>> {
    c.all(Sql::with(
        "SELECT id, name, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 \
         ORDER BY id DESC LIMIT 200",
        vals![user_id],
    ))
    .await
}

/// Revokes one of the user's own live tokens; false when there is none of that id.
pub async fn revoke_api_token(c: &mut impl Conn, user_id: i64, id: i64, now: i64) -> Result<bool> {
    let n = c
        .execute(Sql::with(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            vals![now, id, user_id],
        ))
        .await?;
    Ok(n > 0)
}

/// Revokes every live token of a user (a password change or reset, a disabled account).
pub async fn revoke_user_tokens(c: &mut impl Conn, user_id: i64, now: i64) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        vals![now, user_id],
    ))
    .await
}

// ---- login throttling ----

#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct ThrottleRow {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

pub async fn throttle(c: &mut impl Conn, key: &str) -> Result<Option<ThrottleRow>> {
    c.optional(Sql::with(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE throttle_key = $1",
        vals![key],
    ))
    .await
}

pub async fn put_throttle(c: &mut impl Conn, key: &str, row: ThrottleRow) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, \
         window_start = excluded.window_start, locked_until = excluded.locked_until",
        vals![key, row.failures, row.window_start, row.locked_until],
    ))
    .await?;
    Ok(())
}

/// Forgets throttle rows whose window and lock are both over.
pub async fn purge_throttle(
    c: &mut impl Conn,
    window_started_before: i64,
    now: i64,
) -> Result<u64> {
    c.execute(Sql::with(
        "DELETE FROM login_throttle WHERE window_start < $1 AND locked_until < $2",
        vals![window_started_before, now],
    ))
    .await
}

pub async fn clear_throttle(c: &mut impl Conn, key: &str) -> Result<()> {
    c.execute(Sql::with(
        "DELETE FROM login_throttle WHERE throttle_key = $1",
        vals![key],
    ))
    .await?;
    Ok(())
}
