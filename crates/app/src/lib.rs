//! Use cases of minsheng. Every use case takes the acting user ([`Actor`]), authorises the
//! action, runs it on the store and writes the audit row, in one transaction for changes.
//! The web and CLI layers call only this crate; they never touch the store directly.

pub mod admin;
pub mod assessment;
mod audit_writer;
pub mod auth;
pub mod calendar;
pub mod demo;
pub mod demo_discovery;
mod demo_resources;
pub mod discovery;
pub mod export;
pub mod grid;
pub mod groups;
pub mod help;
pub mod hotline;
pub mod import;
pub mod jobs;
pub mod mpi_input;
pub mod notify;
pub mod region_check;
pub mod registry;
pub mod resources;
pub mod screening;
mod session_cache;
pub mod sweeps;

use minsheng_domain::Action;
pub use minsheng_i18n as i18n;
pub use minsheng_i18n::{Lang, Message, msg};
use minsheng_store::audit::{self, NewAudit};
use minsheng_store::{Conn, Scope, Store, StoreError, WriteTx};
use serde::Serialize;

pub use auth::Actor;
pub use minsheng_assess as assess;
pub use minsheng_store::Backend;
pub use minsheng_store::audit::{AuditFilter, AuditRow};

/// A problem with one field of a submitted form or file row.
/// What is wrong with one field: its name as the form and the API call it, and the sentence
/// of the catalog that says why (shown in the reader's language; English in the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: &str, message: Message) -> FieldError {
        FieldError {
            field: field.to_string(),
            message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("you are not allowed to do this")]
    Forbidden,
    /// Not there, or not in the user's area: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the record was changed by someone else since you opened it; reload and try again")]
    Stale,
    /// Refused because of the record's state or another record; the message says which.
    #[error("{0}")]
    Conflict(Message),
    /// Too many failed sign-ins: try again in this many seconds.
    #[error("too many failed sign-ins; try again in {0} seconds")]
    Locked(i64),
    /// Too many requests from this client: try again in this many seconds.
    #[error("too many requests; try again in {0} seconds")]
    RateLimited(i64),
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached now; try again shortly.
    #[error("the service is unavailable for a moment: {0}")]
    Unavailable(String),
}

impl AppError {
    pub fn invalid(field: &str, message: Message) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            return AppError::Unavailable(e.to_string());
        }
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Stale => AppError::Stale,
            // A constraint the use case did not foresee: said as a record that exists already.
            StoreError::Conflict(m) => {
                tracing::debug!("store conflict: {m}");
                AppError::Conflict(msg!("conflict-exists"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A free text as typed, trimmed; refused naming the field when longer than `max` characters
/// (never cut silently: what is kept is what was written).
pub(crate) fn bounded(field: &str, text: &str, max: usize) -> AppResult<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(AppError::invalid(field, msg!("text-too-long", max = max)));
    }
    Ok(text.to_string())
}

/// A reach outside the caller's area noticed inside a write transaction. The use case rolls
/// the transaction back and then audits the refusal ([`App::refuse_outside`]): on SQLite the
/// audit writer needs the one write connection that the transaction holds.
#[derive(Debug)]
pub(crate) struct Outside {
    pub kind: &'static str,
    pub id: String,
    pub why: &'static str,
    /// What the caller is told.
    pub answer: AppError,
}

/// What an audit row is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

impl<'a> Subject<'a> {
    pub const fn new(kind: &'a str, id: &'a str) -> Self {
        Subject { kind, id }
    }
    pub const NONE: Subject<'static> = Subject { kind: "", id: "" };
}

/// Product settings that use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Idle time after which a session ends.
    pub session_idle_millis: i64,
    /// Failed sign-ins per client address within the window before the address is locked
    /// (the per-address ceiling). One name from one address waits longer after each failure
    /// instead (`auth::pair_delay_millis`), up to `lockout_millis`.
    pub max_failures_per_ip: i64,
    /// The first wait of one name from one address after its free failures; it doubles.
    pub pair_base_delay_millis: i64,
    pub throttle_window_millis: i64,
    pub lockout_millis: i64,
    pub api_token_days: i64,
    /// Bytes of photos one user may upload in a day (China time).
    pub upload_bytes_per_user_day: i64,
    /// Seconds between runs of a job, where they differ from the job's default.
    pub job_intervals: std::collections::BTreeMap<String, u64>,
    /// The SMTP server e-mail notifications leave through.
    pub smtp: Option<notify::SmtpSettings>,
    /// How long a signed-in session is kept in memory at most (0: read on every request).
    /// Sign-outs, password changes, disabled accounts and role changes end it at once; this
    /// bounds only what they do not cover (see `session_cache.rs`).
    pub session_cache_millis: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_millis: 8 * 3600 * 1000,
            max_failures_per_ip: 50,
            pair_base_delay_millis: 1000,
            throttle_window_millis: 15 * 60 * 1000,
            lockout_millis: 15 * 60 * 1000,
            api_token_days: 90,
            upload_bytes_per_user_day: 200 << 20,
            job_intervals: std::collections::BTreeMap::new(),
            smtp: None,
            session_cache_millis: 2_000,
        }
    }
}

/// Told of each job run: (job, outcome, finished at).
pub type JobObserver = std::sync::Arc<dyn Fn(&str, &str, i64) + Send + Sync>;

/// The application: the store plus settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    settings: Settings,
    clock: minsheng_domain::time_util::Clock,
    dummy_hash: std::sync::Arc<String>,
    audit_writer: std::sync::Arc<audit_writer::AuditWriter>,
    calendar: std::sync::Arc<calendar::CalendarCell>,
    sender: std::sync::Arc<notify::Sender>,
    job_observer: Option<JobObserver>,
    models: std::sync::Arc<assessment::ModelCache>,
    hotline: std::sync::Arc<hotline::HotlineModel>,
    sessions: std::sync::Arc<session_cache::SessionCache>,
}

impl App {
    pub fn new(store: Store, settings: Settings) -> AppResult<App> {
        App::with_clock(store, settings, minsheng_domain::time_util::Clock::system())
    }

    /// The application on a given clock (tests move it instead of backdating rows).
    pub fn with_clock(
        store: Store,
        settings: Settings,
        clock: minsheng_domain::time_util::Clock,
    ) -> AppResult<App> {
        let dummy_hash = auth::hash_password_blocking("minsheng-dummy-password-for-timing")?;
        Ok(App {
            clock,
            audit_writer: std::sync::Arc::new(audit_writer::AuditWriter::new(store.clone())),
            calendar: std::sync::Arc::new(calendar::CalendarCell::new()),
            sender: std::sync::Arc::new(notify::Sender::new(settings.smtp.clone())?),
            job_observer: None,
            models: std::sync::Arc::new(assessment::ModelCache::default()),
            hotline: std::sync::Arc::new(
                hotline::HotlineModel::shipped().map_err(AppError::Internal)?,
            ),
            sessions: std::sync::Arc::default(),
            store,
            settings,
            dummy_hash: std::sync::Arc::new(dummy_hash),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Calls `observe(job, outcome, finished_at)` after every job run (the metrics).
    pub fn observe_jobs(&mut self, observe: JobObserver) {
        self.job_observer = Some(observe);
    }

    pub(crate) fn job_observer(&self) -> Option<&JobObserver> {
        self.job_observer.as_ref()
    }

    /// The product's one clock.
    pub fn clock(&self) -> &minsheng_domain::time_util::Clock {
        &self.clock
    }

    /// Now, in milliseconds since the epoch, by the product's clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Today in China, by the product's clock.
    pub fn today(&self) -> time::Date {
        self.clock.today()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn healthy(&self) -> bool {
        self.store.ping().await
    }

    /// Checks the action and, when denied, records the denial before refusing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authorize(
        &self,
        actor: &Actor,
        action: Action,
        subject: Subject<'_>,
    ) -> AppResult<()> {
        if actor.may(action) {
            return Ok(());
        }
        self.audit_now(actor, action.code(), subject, false, "role does not permit")
            .await?;
        Err(AppError::Forbidden)
    }

    /// Audits a refused reach (outside the caller's area, not theirs, not in that state) and
    /// gives the answer: "not found", the same as for what does not exist.
    pub(crate) async fn not_found_audited(
        &self,
        actor: &Actor,
        action: &str,
        subject: Subject<'_>,
        why: &str,
    ) -> AppError {
        match self.audit_now(actor, action, subject, false, why).await {
            Ok(()) => AppError::NotFound,
            Err(e) => e,
        }
    }

    /// Audits a reach outside the caller's area that a write transaction noticed, once that
    /// transaction is rolled back, and gives the answer to return.
    pub(crate) async fn refuse_outside(&self, actor: &Actor, action: &str, o: Outside) -> AppError {
        match self
            .audit_now(actor, action, Subject::new(o.kind, &o.id), false, o.why)
            .await
        {
            Ok(()) => o.answer,
            Err(e) => e,
        }
    }

    /// Records a read or a refusal; returns once the row is committed (group commit).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn audit_now(
        &self,
        actor: &Actor,
        action: &str,
        subject: Subject<'_>,
        allowed: bool,
        detail: &str,
    ) -> AppResult<()> {
        self.audit_writer
            .write(audit_writer::AuditEntry {
                // The wall clock, as in `write_audit`.
                at: minsheng_domain::time_util::now_millis(),
                user_id: actor.user_id(),
                username: actor.username().to_string(),
                ip: actor.ip().to_string(),
                action: action.to_string(),
                subject_kind: subject.kind.to_string(),
                subject_id: subject.id.to_string(),
                allowed,
                detail: detail.to_string(),
            })
            .await
    }

    /// Every region code there can be, for the operator at the command line.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn everything(&self) -> AppResult<Scope> {
        Ok(Scope::from_ranges(vec![(100_000_000_000, 999_999_999_999)]))
    }
}

/// Writes an audit row inside the caller's transaction, so a change and its record commit together.
pub async fn write_audit(
    tx: &mut WriteTx,
    actor: &Actor,
    action: &str,
    subject: Subject<'_>,
    allowed: bool,
    detail: &str,
) -> AppResult<()> {
    audit::append(
        tx,
        &NewAudit {
            // The audit log keeps the wall clock: the moment a row was written, whatever the
            // product's clock says (a test that moves time does not move the record of it).
            at: minsheng_domain::time_util::now_millis(),
            user_id: actor.user_id(),
            username: actor.username(),
            ip: actor.ip(),
            action,
            subject_kind: subject.kind,
            subject_id: subject.id,
            allowed,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Audit log search for auditors.
pub async fn search_audit(
    app: &App,
    actor: &Actor,
    filter: &audit::AuditFilter,
) -> AppResult<Vec<audit::AuditRow>> {
    app.authorize(actor, Action::ViewAudit, Subject::new("audit", ""))
        .await?;
    let rows = audit::search(&mut app.store.reader(), filter).await?;
    app.audit_now(actor, "audit.search", Subject::new("audit", ""), true, "")
        .await?;
    Ok(rows)
}

/// Reads from the store on behalf of a use case.
pub(crate) fn reader(app: &App) -> impl Conn + '_ {
    app.store.reader()
}
