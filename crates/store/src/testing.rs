//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database on the
//! server named by `MINSHENG_TEST_POSTGRES_URL` (default: the local server, trust auth).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

use crate::{Backend, Result, Store};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Prefix of every database a test creates; `.ci/run` drops leftovers with it.
pub const TEST_DATABASE_PREFIX: &str = "minsheng_test_";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated, empty store on the given backend, plus the URL it was opened with.
pub async fn fresh_store(backend: Backend) -> Result<(Store, String)> {
    let url = match backend {
        Backend::Sqlite => {
            let dir: PathBuf =
                std::env::temp_dir().join(format!("minsheng-test-{}", unique_suffix()));
            std::fs::create_dir_all(&dir)
                .map_err(|e| crate::StoreError::Conflict(e.to_string()))?;
            format!("sqlite://{}", dir.join("minsheng.sqlite").display())
        }
        Backend::Postgres => {
            let admin_url = std::env::var("MINSHENG_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
            let name = format!("{TEST_DATABASE_PREFIX}{}", unique_suffix());
            let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            match admin_url.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => admin_url,
            }
        }
    };
    let store = Store::open(&url).await?;
    store.migrate().await?;
    Ok((store, url))
}

/// Declares two tokio tests, `sqlite::NAME` and `postgres::NAME`, for each
/// `async fn NAME(backend: Backend)` given, so every case runs on both databases.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Postgres).await })*
        }
    };
}
