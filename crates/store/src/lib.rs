//! Storage of minsheng: one [`Store`] over SQLite (embedded, the default) or PostgreSQL.
//!
//! Queries are written once, in SQL both backends accept (`$1` placeholders work in SQLite
//! too), and run through the [`Conn`] trait, which a read connection and a write transaction
//! both implement. Area scope is always part of the SQL text ([`Scope::sql_condition`]), never
//! a filter applied to results.
//!
//! SQLite: WAL, `synchronous=NORMAL`, readers on a pool of read-only connections and every
//! write on one writer connection that starts its transactions with `BEGIN IMMEDIATE`, so a
//! read-then-write transaction can never fail with `SQLITE_BUSY` under concurrent requests.

pub mod assessments;
pub mod audit;
pub mod discovery;
pub mod grid;
pub mod help;
pub mod hotline;
pub mod ops;
pub mod regions;
pub mod registry;
pub mod resources;
mod sql;
pub mod sweeps;
pub mod testing;
pub mod users;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use sql::{Sql, Value};

impl StoreError {
    /// The database cannot be reached now (down, restarting, out of connections): the request
    /// may succeed later, nothing about it was wrong.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Tls(_) => true,
                // PostgreSQL's connection exceptions (08…) and operator interventions (57P…).
                sqlx::Error::Database(db) => db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
                _ => false,
            },
            _ => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; carries the constraint's message.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Optimistic locking: someone else saved the record since it was read.
    #[error("the record was changed by someone else since you opened it")]
    Stale,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && (db.is_unique_violation() || db.is_foreign_key_violation())
    {
        return StoreError::Conflict(db.message().to_string());
    }
    StoreError::Database(e)
}

/// A row type that decodes from both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Something queries run on: the read pool or a write transaction.
pub trait Conn: Send {
    fn all<T: Row>(&mut self, sql: Sql) -> impl Future<Output = Result<Vec<T>>> + Send;
    fn optional<T: Row>(&mut self, sql: Sql) -> impl Future<Output = Result<Option<T>>> + Send;
    fn execute(&mut self, sql: Sql) -> impl Future<Output = Result<u64>> + Send;
    fn backend(&self) -> Backend;

    fn one<T: Row>(&mut self, sql: Sql) -> impl Future<Output = Result<T>> + Send {
        async move { self.optional(sql).await?.ok_or(StoreError::NotFound) }
    }
}

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// The handle every part of the product uses to reach the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// Counts the committed changes to who may sign in (see [`WriteTx::auth_changed`]), here
    /// and, through PostgreSQL's notifications, on every other instance.
    auth_epoch: Arc<AtomicU64>,
}

/// The channel on which a transaction that changes sign-in state tells every instance.
const AUTH_CHANNEL: &str = "minsheng_auth";

/// Runs the same expression on whichever concrete pool or transaction is present.
macro_rules! on_backend {
    ($value:expr, $sqlite:pat, $pg:pat => $body:expr) => {
        match $value {
            $sqlite => $body,
            $pg => $body,
        }
    };
}

impl Store {
    /// Opens the database the URL names: `sqlite://PATH` / a plain file path, or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            return Ok(Store {
                pools: Pools::Postgres(pool),
                auth_epoch: Arc::default(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::open_sqlite(Path::new(path)).await
    }

    async fn open_sqlite(path: &Path) -> Result<Store> {
        // The writer's page cache: a registry import of a million persons inserts into a dozen
        // indexes at random places, and with 32 MB it spilled pages to the journal and read them
        // back (74 s; with 256 MB 30-odd). SQLite fills the cache only as pages are touched, so
        // daily writes never use it.
        const WRITER_CACHE: &str = "-262144";
        restrict_sqlite_files(path)?;
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32000")
            .pragma("temp_store", "memory");
        // One writer: writes queue in the pool instead of racing for SQLite's lock. A file's
        // connection cannot go stale, so it is not pinged on every acquire (that ping was a
        // round trip to the connection's thread per query: a household page makes nine).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone().pragma("cache_size", WRITER_CACHE))
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true))
            .await?;
        Ok(Store {
            pools: Pools::Sqlite { read, write },
            auth_epoch: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => migrator(SQLITE_MIGRATIONS).run(write).await?,
            Pools::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        // Rows written before the search columns existed get them (pinyin is computed here,
        // not in SQL).
        let mut tx = self.begin().await?;
        let keyed = registry::backfill_search(&mut tx).await?;
        tx.commit().await?;
        if keyed > 0 {
            tracing::info!(persons = keyed, "search keys filled in");
        }
        Ok(())
    }

    /// A connection for reads (the read-only pool on SQLite).
    pub fn reader(&self) -> Reader<'_> {
        Reader(self)
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<WriteTx> {
        let tx = match &self.pools {
            Pools::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(WriteTx {
            tx,
            auth_epoch: self.auth_epoch.clone(),
            auth_changed: false,
        })
    }

    /// The number of changes to sign-in state seen so far: a cache of sessions is good while
    /// it stays the same.
    pub fn auth_epoch(&self) -> u64 {
        self.auth_epoch.load(Ordering::Acquire)
    }

    /// On PostgreSQL, follows the other instances' changes to sign-in state for as long as it
    /// runs (spawn it beside the server); a lost connection counts as a change, as its
    /// notifications may be lost with it. On SQLite (one instance) it returns at once.
    pub async fn follow_auth_changes(&self) {
        let Pools::Postgres(pool) = &self.pools else {
            return;
        };
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for sign-in changes; retrying");
                    self.auth_epoch.fetch_add(1, Ordering::AcqRel);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(AUTH_CHANNEL).await {
                tracing::warn!(error = %e, "cannot listen for sign-in changes; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Listening from now on: whatever changed before may have been missed.
            self.auth_epoch.fetch_add(1, Ordering::AcqRel);
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => {
                        self.auth_epoch.fetch_add(1, Ordering::AcqRel);
                    }
                    // The connection was lost (and is made again on the next call).
                    Ok(None) => {
                        self.auth_epoch.fetch_add(1, Ordering::AcqRel);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the sign-in change listener");
                        self.auth_epoch.fetch_add(1, Ordering::AcqRel);
                        break;
                    }
                }
            }
        }
    }

    /// This process's connections: (open, idle).
    pub fn pool_connections(&self) -> (u32, usize) {
        match &self.pools {
            Pools::Sqlite { read, write } => (
                read.size() + write.size(),
                read.num_idle() + write.num_idle(),
            ),
            Pools::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Whether every migration this build knows has been applied (and none it does not know).
    pub async fn migrations_current(&self) -> Result<bool> {
        let known: i64 = match &self.pools {
            Pools::Sqlite { .. } => SQLITE_MIGRATIONS.len() as i64,
            Pools::Postgres(_) => POSTGRES_MIGRATIONS.len() as i64,
        };
        let (applied, latest): (i64, Option<i64>) = self
            .reader()
            .one(Sql::new(
                "SELECT COUNT(*), MAX(version) FROM _sqlx_migrations WHERE success",
            ))
            .await?;
        Ok(applied == known && latest == Some(known))
    }

    /// Writes a consistent snapshot of a SQLite database to `path` while others write
    /// (`VACUUM INTO` reads one snapshot of the database; a new file, never a partial one of
    /// an earlier name). PostgreSQL is dumped with `pg_dump` instead.
    pub async fn snapshot_into(&self, path: &Path) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { read, .. } => {
                let target = path.to_string_lossy().replace('\'', "''");
                sqlx::query(&format!("VACUUM INTO '{target}'"))
                    .execute(read)
                    .await?;
                restrict_sqlite_files(path)?;
                Ok(())
            }
            Pools::Postgres(_) => Err(StoreError::Database(sqlx::Error::Configuration(
                "a PostgreSQL database is dumped with pg_dump".into(),
            ))),
        }
    }

    /// `ok`, or what SQLite's integrity check found (PostgreSQL: `ok` when it answers).
    pub async fn integrity_check(&self) -> Result<String> {
        match &self.pools {
            Pools::Sqlite { read, .. } => {
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(read)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(r,)| r)
                    .collect::<Vec<_>>()
                    .join("; "))
            }
            Pools::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok("ok".into())
            }
        }
    }

    /// Rows in the tables people's records live in (what a backup or restore says it holds).
    pub async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        const TABLES: [&str; 12] = [
            "regions",
            "units",
            "users",
            "households",
            "persons",
            "leads",
            "clues",
            "household_files",
            "assessments",
            "referrals",
            "hotline_requests",
            "audit_log",
        ];
        let mut out = Vec::new();
        for table in TABLES {
            let (n,): (i64,) = self
                .reader()
                .one(Sql::new(&format!("SELECT COUNT(*) FROM {table}")))
                .await?;
            out.push((table, n));
        }
        Ok(out)
    }

    /// Refreshes the planner's statistics after a bulk load (demo data, large imports).
    pub async fn optimize(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                sqlx::query("ANALYZE").execute(write).await?;
            }
            Pools::Postgres(pool) => {
                // Every table: fresh statistics for the planner, and the visibility map set so
                // counts can be answered from indexes alone.
                sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> bool {
        self.reader()
            .optional::<(i64,)>(Sql::new("SELECT CAST(1 AS BIGINT)"))
            .await
            .is_ok()
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

struct MigrationFile {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// The migrations of one backend's folder, in order. Applied files are never edited.
macro_rules! migrations {
    ($backend:literal: $(($version:literal, $description:literal, $file:literal)),* $(,)?) => {
        &[$(MigrationFile {
            version: $version,
            description: $description,
            sql: include_str!(concat!("../migrations/", $backend, "/", $file)),
        }),*]
    };
}

const SQLITE_MIGRATIONS: &[MigrationFile] = migrations!("sqlite":
    (1, "foundation", "0001_foundation.sql"),
    (2, "discovery", "0002_discovery.sql"),
    (3, "discovery rollups", "0003_discovery_rollups.sql"),
    (4, "sweeps", "0004_sweeps.sql"),
    (5, "photos", "0005_photos.sql"),
    (6, "assessments", "0006_assessments.sql"),
    (7, "help", "0007_help.sql"),
    (8, "screening", "0008_screening.sql"),
    (9, "hotline", "0009_hotline.sql"),
    (10, "grid", "0010_grid.sql"),
    (11, "resources", "0011_resources.sql"),
    (12, "appeals", "0012_appeals.sql"),
    (13, "volunteer services", "0013_volunteer_services.sql"),
    (14, "service contracts", "0014_service_contracts.sql"),
    (15, "security", "0015_security.sql"),
    (16, "operations", "0016_operations.sql"),
    (17, "survey forms", "0017_survey_forms.sql"),
    (18, "timeline records", "0018_timeline_records.sql"),
    (19, "hotline models", "0019_hotline_models.sql"),
    (20, "search", "0020_search.sql"),
    (21, "city scale", "0021_city_scale.sql"),
);

const POSTGRES_MIGRATIONS: &[MigrationFile] = migrations!("postgres":
    (1, "foundation", "0001_foundation.sql"),
    (2, "discovery", "0002_discovery.sql"),
    (3, "discovery rollups", "0003_discovery_rollups.sql"),
    (4, "sweeps", "0004_sweeps.sql"),
    (5, "photos", "0005_photos.sql"),
    (6, "assessments", "0006_assessments.sql"),
    (7, "help", "0007_help.sql"),
    (8, "screening", "0008_screening.sql"),
    (9, "hotline", "0009_hotline.sql"),
    (10, "grid", "0010_grid.sql"),
    (11, "resources", "0011_resources.sql"),
    (12, "appeals", "0012_appeals.sql"),
    (13, "volunteer services", "0013_volunteer_services.sql"),
    (14, "service contracts", "0014_service_contracts.sql"),
    (15, "security", "0015_security.sql"),
    (16, "operations", "0016_operations.sql"),
    (17, "survey forms", "0017_survey_forms.sql"),
    (18, "timeline records", "0018_timeline_records.sql"),
    (19, "hotline models", "0019_hotline_models.sql"),
    (20, "search", "0020_search.sql"),
    (21, "city scale", "0021_city_scale.sql"),
);

fn migrator(files: &'static [MigrationFile]) -> Migrator {
    let migrations: Vec<Migration> = files
        .iter()
        .map(|f| {
            Migration::new(
                f.version,
                Cow::Borrowed(f.description),
                MigrationType::Simple,
                Cow::Borrowed(f.sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// Reads on the read pool.
pub struct Reader<'a>(&'a Store);

impl Conn for Reader<'_> {
    fn backend(&self) -> Backend {
        self.0.backend()
    }

    async fn all<T: Row>(&mut self, sql: Sql) -> Result<Vec<T>> {
        on_backend!(&self.0.pools, Pools::Sqlite { read: pool, .. }, Pools::Postgres(pool) => {
            sql::bind_all!(sqlx::query_as::<_, T>(&sql.text), &sql.binds)
                .fetch_all(pool).await.map_err(map_err)
        })
    }

    async fn optional<T: Row>(&mut self, sql: Sql) -> Result<Option<T>> {
        on_backend!(&self.0.pools, Pools::Sqlite { read: pool, .. }, Pools::Postgres(pool) => {
            sql::bind_all!(sqlx::query_as::<_, T>(&sql.text), &sql.binds)
                .fetch_optional(pool).await.map_err(map_err)
        })
    }

    async fn execute(&mut self, sql: Sql) -> Result<u64> {
        on_backend!(&self.0.pools, Pools::Sqlite { read: pool, .. }, Pools::Postgres(pool) => {
            sql::bind_all!(sqlx::query(&sql.text), &sql.binds)
                .execute(pool).await.map(|r| r.rows_affected()).map_err(map_err)
        })
    }
}

/// A write transaction. Dropped without [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    tx: Tx,
    auth_epoch: Arc<AtomicU64>,
    auth_changed: bool,
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    /// Marks that this transaction changes who may sign in or what they may do (a sign-out,
    /// a password, a disabled account, roles): once it commits, every instance's cached
    /// sessions are stale.
    pub(crate) fn auth_changed(&mut self) {
        self.auth_changed = true;
    }

    pub async fn commit(mut self) -> Result<()> {
        if self.auth_changed && self.backend() == Backend::Postgres {
            // Delivered to every listener when (and only if) the transaction commits.
            self.execute(Sql::new(&format!("NOTIFY {AUTH_CHANNEL}")))
                .await?;
        }
        on_backend!(self.tx, Tx::Sqlite(tx), Tx::Postgres(tx) => tx.commit().await?);
        if self.auth_changed {
            self.auth_epoch.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }
}

impl Conn for WriteTx {
    fn backend(&self) -> Backend {
        match self.tx {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    async fn all<T: Row>(&mut self, sql: Sql) -> Result<Vec<T>> {
        on_backend!(&mut self.tx, Tx::Sqlite(tx), Tx::Postgres(tx) => {
            sql::bind_all!(sqlx::query_as::<_, T>(&sql.text), &sql.binds)
                .fetch_all(&mut **tx).await.map_err(map_err)
        })
    }

    async fn optional<T: Row>(&mut self, sql: Sql) -> Result<Option<T>> {
        on_backend!(&mut self.tx, Tx::Sqlite(tx), Tx::Postgres(tx) => {
            sql::bind_all!(sqlx::query_as::<_, T>(&sql.text), &sql.binds)
                .fetch_optional(&mut **tx).await.map_err(map_err)
        })
    }

    async fn execute(&mut self, sql: Sql) -> Result<u64> {
        on_backend!(&mut self.tx, Tx::Sqlite(tx), Tx::Postgres(tx) => {
            sql::bind_all!(sqlx::query(&sql.text), &sql.binds)
                .execute(&mut **tx).await.map(|r| r.rows_affected()).map_err(map_err)
        })
    }
}

/// Makes the database file its owner's alone (0600) before SQLite opens it — created so if
/// missing, narrowed if it was wider. SQLite gives its `-wal` and `-shm` files the database
/// file's mode; any left from an earlier, wider run are narrowed too.
fn restrict_sqlite_files(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| StoreError::Database(sqlx::Error::Io(e));
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            if file.exists() {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
        }
    }
    Ok(())
}

/// Where a user may act: the union of region subtrees (12-digit code ranges).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    ranges: Vec<(i64, i64)>,
}

impl Scope {
    pub fn from_ranges(mut ranges: Vec<(i64, i64)>) -> Scope {
        ranges.sort_unstable();
        ranges.dedup();
        Scope { ranges }
    }

    pub fn nothing() -> Scope {
        Scope::default()
    }

    pub fn ranges(&self) -> &[(i64, i64)] {
        &self.ranges
    }

    pub fn contains(&self, code: i64) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&code))
    }

    /// Appends `(col BETWEEN lo AND hi OR …)` to the query; an empty scope matches nothing.
    pub fn sql_condition(&self, sql: &mut Sql, column: &str) {
        if self.ranges.is_empty() {
            sql.push("1 = 0");
            return;
        }
        sql.push("(");
        for (i, (lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(column).push(" BETWEEN ");
            sql.bind(*lo).push(" AND ").bind(*hi);
        }
        sql.push(")");
    }
}

/// Inserts many rows with multi-row `INSERT`s (for bulk loads such as the demo data).
pub async fn insert_rows(
    c: &mut impl Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    // Thousands of rows on SQLite go through a staging table: each statement into a table with
    // indexes and a full-text index copies the pages it touches to a statement journal, and
    // FTS5 writes out its pending terms at every statement, so one `INSERT … SELECT` a batch
    // beats many `INSERT … VALUES` (a million-person import: 74 s → see the README).
    if c.backend() == Backend::Sqlite && rows.len() >= STAGE_FROM_ROWS {
        let list = columns.join(", ");
        c.execute(Sql::new(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS stage_{table} AS SELECT {list} FROM main.{table} WHERE 0"
        )))
        .await?;
        insert_values(c, &format!("temp.stage_{table}"), columns, rows).await?;
        c.execute(Sql::new(&format!(
            "INSERT INTO main.{table} ({list}) SELECT {list} FROM temp.stage_{table} ORDER BY rowid"
        )))
        .await?;
        c.execute(Sql::new(&format!("DELETE FROM temp.stage_{table}")))
            .await?;
        return Ok(());
    }
    insert_values(c, table, columns, rows).await
}

/// From how many rows [`insert_rows`] stages them on SQLite.
const STAGE_FROM_ROWS: usize = 2_000;

/// Multi-row `INSERT … VALUES` statements.
async fn insert_values(
    c: &mut impl Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    // SQLite looks numbered parameters up by a linear scan, so a statement with thousands of
    // `$n` costs quadratic time there: it gets anonymous `?`, up to 8,192 a statement (a
    // registry import of 100,000 rows took 4.0 s with 8,192, 4.75 with 2,048, 5.0 with 256).
    let sqlite = c.backend() == Backend::Sqlite;
    let per_statement = if sqlite { 8_192 } else { 30_000 } / columns.len().max(1);
    let per_statement = per_statement.clamp(1, 1000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(");
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                if sqlite {
                    sql.bind_anonymous(value);
                } else {
                    sql.bind(value);
                }
            }
            sql.push(")");
        }
        c.execute(sql).await?;
    }
    Ok(())
}

/// Writes many rows in a write transaction the fastest way each database has: PostgreSQL's
/// `COPY … FROM STDIN` (CSV), SQLite's staged [`insert_rows`].
pub async fn bulk_insert(
    tx: &mut WriteTx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let Tx::Postgres(pg) = &mut tx.tx else {
        return insert_rows(tx, table, columns, rows).await;
    };
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = pg
        .copy_in_raw(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT csv)",
            columns.join(", ")
        ))
        .await?;
    let mut buffer = String::with_capacity(1 << 20);
    for row in rows {
        for (i, value) in row.into_iter().enumerate() {
            if i > 0 {
                buffer.push(',');
            }
            copy_csv_field(&mut buffer, value);
        }
        buffer.push('\n');
        if buffer.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buffer).into_bytes()).await?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One field of `COPY`'s CSV: NULL unquoted and empty, text always quoted (so an empty text is
/// `""`, not NULL).
fn copy_csv_field(out: &mut String, value: Value) {
    use std::fmt::Write as _;
    let quoted = |out: &mut String, text: &str| {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    };
    match value {
        Value::Int(v) | Value::OptInt(Some(v)) => {
            let _ = write!(out, "{v}");
        }
        Value::OptFloat(Some(v)) => {
            let _ = write!(out, "{v:?}");
        }
        Value::Bool(v) => out.push_str(if v { "t" } else { "f" }),
        Value::Text(t) | Value::OptText(Some(t)) => quoted(out, &t),
        Value::Bytes(b) => {
            out.push_str("\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
        Value::OptInt(None) | Value::OptText(None) | Value::OptFloat(None) => {}
    }
}

/// After rows were inserted with explicit ids, moves PostgreSQL's identity past them.
pub async fn sync_identity(tx: &mut WriteTx, table: &str) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        tx.execute(Sql::new(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )))
        .await?;
    }
    Ok(())
}
