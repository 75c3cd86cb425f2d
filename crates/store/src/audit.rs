//! The append-only audit log: who, when, from where, what, on which subject, allowed or denied.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Sql, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub ip: &'a str,
    pub action: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: &'a str,
    pub allowed: bool,
    pub detail: &'a str,
}

pub async fn append(c: &mut impl Conn, a: &NewAudit<'_>) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO audit_log (at, user_id, username, ip, action, subject_kind, subject_id, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vals![
            a.at,
            a.user_id,
            a.username,
            a.ip,
            a.action,
            a.subject_kind,
            a.subject_id,
            if a.allowed { "allowed" } else { "denied" },
            a.detail
        ],
    ))
    .await?;
    Ok(())
}

/// What an auditor searches by; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn search(c: &mut impl Conn, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let mut sql = Sql::new(
        "SELECT id, at, user_id, username, ip, action, subject_kind, subject_id, outcome, detail \
         FROM audit_log WHERE 1 = 1",
    );
    let text_filters = [
        ("username", &f.username),
        ("action", &f.action),
        ("subject_kind", &f.subject_kind),
        ("subject_id", &f.subject_id),
        ("outcome", &f.outcome),
    ];
    for (column, value) in text_filters {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            sql.push(" AND ").push(column).push(" = ").bind(v);
        }
    }
    if let Some(from) = f.from {
        sql.push(" AND at >= ").bind(from);
    }
    if let Some(to) = f.to {
        sql.push(" AND at < ").bind(to);
    }
    if let Some(before) = f.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(f.limit.clamp(1, 1000));
    c.all(sql).await
}

pub async fn count(c: &mut impl Conn) -> Result<i64> {
    let (n,): (i64,) = c.one(Sql::new("SELECT COUNT(*) FROM audit_log")).await?;
    Ok(n)
}
