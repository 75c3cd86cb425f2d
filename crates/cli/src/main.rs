//! The `minsheng` command. See `../shared/docs/CLI-CONTRACT.md` for the names scripts rely on.

/// `println!` that ends the program quietly when whoever reads stdout has gone (`… | head`),
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod assess_cmd;
mod config;
mod grid_cmd;
mod hotline_cmd;
mod ops_cmd;
mod resources_cmd;
mod screen_cmd;

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_app::admin::NewUserInput;
use minsheng_app::demo::{DemoAccount, DemoOptions};
use minsheng_app::demo_discovery::DiscoveryScale;
use minsheng_app::import::{FileSource, ImportError, ImportKind, Phase, Progress};
use minsheng_app::{Actor, App, AppError};
use minsheng_domain::Role;
use minsheng_store::Store;
use minsheng_web::WebConfig;

#[derive(Parser)]
#[command(
    name = "minsheng",
    version,
    about = "民生 minsheng: proactive social assistance for a city"
)]
struct Cli {
    /// The configuration file (TOML; every key in docs/operations.md). Flags win over it.
    #[arg(long, env = "MINSHENG_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// The district questions of the household survey (TOML, as data/survey/questions.toml);
    /// default: `[survey] questions` of the configuration file, else the shipped questions.
    #[arg(long, env = "MINSHENG_SURVEY_QUESTIONS", global = true)]
    survey_questions: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DbArgs {
    /// Data directory (SQLite file, uploads, keys).
    #[arg(
        long,
        env = "MINSHENG_DATA_DIR",
        default_value = "./minsheng-data",
        global = true
    )]
    pub(crate) data_dir: PathBuf,
    /// Database URL; default: the SQLite file in the data directory. `postgres://…` for PostgreSQL.
    #[arg(long, env = "MINSHENG_DATABASE_URL", global = true)]
    pub(crate) database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Where to listen (default 127.0.0.1:8080).
    #[arg(long, env = "MINSHENG_LISTEN")]
    listen: Option<SocketAddr>,
    /// Mark cookies Secure (when served over HTTPS behind a proxy).
    #[arg(long, env = "MINSHENG_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Behind a reverse proxy: take the client's address from the last X-Forwarded-For entry.
    #[arg(long, env = "MINSHENG_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Posts per minute one client may make to the public 12345 form and Open311 (default 60;
    /// 0: no limit).
    #[arg(long, env = "MINSHENG_PUBLIC_RATE")]
    public_rate: Option<u32>,
    /// Photo reports per minute one user (or address) may send (default 30; 0: no limit).
    #[arg(long, env = "MINSHENG_UPLOAD_RATE")]
    upload_rate: Option<u32>,
    /// Sign-in attempts per minute one client address may make (default 60; 0: no limit).
    #[arg(long, env = "MINSHENG_SIGN_IN_RATE")]
    sign_in_rate: Option<u32>,
    /// Prometheus metrics at http://ADDR/metrics, on a listener of their own.
    #[arg(long, env = "MINSHENG_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Logs as text (default) or one JSON object per line.
    #[arg(long, env = "MINSHENG_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Run no timed jobs in this process (another runs them, or cron calls `jobs run`).
    #[arg(long)]
    no_jobs: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the web application and API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Create a demo database (if the data directory has none), print its accounts and serve it.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
        /// How many synthetic households to create.
        #[arg(long, default_value_t = 2000)]
        households: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Benchmark scale: this many clues (with --files) instead of the demo's hand-shaped cases.
        #[arg(long, requires = "files")]
        clues: Option<usize>,
        /// Benchmark scale: this many household files.
        #[arg(long, requires = "clues")]
        files: Option<usize>,
        /// Create the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Alkire–Foster multidimensional poverty aggregates (H, A, M0, censored headcounts,
    /// contributions) of a deprivation table, overall and by group.
    Mpi {
        /// CSV or xlsx: one row per person, one 0/1 column per indicator in weight order,
        /// optional `group` and `weight` columns.
        #[arg(long)]
        deprivations: PathBuf,
        /// Indicator weights, comma-separated, adding up to 1.
        #[arg(long, value_delimiter = ',', required = true)]
        weights: Vec<f64>,
        /// The poverty cutoff (share of weighted deprivations), e.g. 0.3333.
        #[arg(long)]
        k: f64,
        #[arg(long)]
        json: bool,
    },
    /// Assessment models: check files, list the shipped ones, what-if runs.
    Model {
        #[command(subcommand)]
        action: assess_cmd::ModelCommand,
    },
    /// Score household surveys (one JSON object per line) with a model.
    Assess {
        /// A shipped model id (cq-7d82, three-grade, global-mpi) or a model file.
        #[arg(long)]
        model: String,
        /// Household surveys, one JSON object per line (`minsheng survey schema`).
        #[arg(long)]
        input: PathBuf,
        /// One JSON result per line (see the CLI contract) instead of a summary.
        #[arg(long)]
        json: bool,
        /// What would change each conclusion (and with --json every indicator's value, degree
        /// and points).
        #[arg(long)]
        explain: bool,
        /// The recommended assistance items: amount, deadline in working days, whether on the
        /// emergency path, who decides, and the facts each item's rule read.
        #[arg(long)]
        recommend: bool,
    },
    /// Referrals (转介): chase the overdue ones and escalate those chased before (run daily).
    Referrals {
        #[command(subcommand)]
        action: ReferralsCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Social resources (社会资源): close appeals past their end date (run daily), figures.
    Resources {
        #[command(subcommand)]
        action: ResourcesCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Data cross-matching (大数据比对): department feeds against the population, warning rules.
    Screen {
        /// The warning rules (e.g. data/rules/warnings.toml).
        #[arg(long)]
        rules: PathBuf,
        /// The population file: id_number, name, household_id, region_code, relation, monthly_income.
        #[arg(long)]
        population: PathBuf,
        /// A feed as NAME=PATH (NAME is a feed schema: medical, disability, …); repeat.
        #[arg(long = "feed")]
        feeds: Vec<String>,
        /// Where warnings.csv, evidence.csv and rejected.csv go.
        #[arg(long)]
        out: PathBuf,
        /// File each warning as a clue (channel: data matching) in the database.
        #[arg(long)]
        commit: bool,
        /// A JSON summary on stdout instead of the text one.
        #[arg(long)]
        json: bool,
        /// The reference date of the time windows (default: the rule set's).
        #[arg(long)]
        as_of: Option<String>,
        /// Stop when a feed has more rejected rows than this.
        #[arg(long)]
        max_rejected: Option<u64>,
        /// With --commit: the purpose and authorisation of the run (recorded with it).
        #[arg(long)]
        purpose: Option<String>,
        /// Match on keyed hashes (HMAC-SHA256) of ID numbers, with the key shared with the
        /// departments (a file of at least 16 bytes).
        #[arg(long)]
        hmac_key_file: Option<PathBuf>,
        /// A feed whose ID column holds the hex HMAC of the ID number (needs --hmac-key-file).
        #[arg(long = "hashed-feed")]
        hashed_feeds: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Warning rules (预警规则).
    Rules {
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// The self-healing grid (零停电): network files.
    Grid {
        #[command(subcommand)]
        action: grid_cmd::GridCommand,
    },
    /// The 12345 hotline (12345热线): data checks, place finding, classification, the weekly
    /// ranking, Open311 keys.
    Hotline {
        #[command(subcommand)]
        action: hotline_cmd::HotlineCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The assistance catalog (救助事项目录).
    Catalog {
        #[command(subcommand)]
        action: assess_cmd::CatalogCommand,
    },
    /// The household survey schema and survey file checks.
    Survey {
        #[command(subcommand)]
        action: assess_cmd::SurveyCommand,
    },
    /// Synthetic data for benchmarks and trials.
    Synth {
        #[command(subcommand)]
        action: assess_cmd::SynthCommand,
    },
    /// The working-day calendar (public holidays and adjusted working days): list, count,
    /// check and import the official schedules.
    Calendar {
        #[command(subcommand)]
        action: ops_cmd::CalendarCommand,
    },
    /// The timed jobs `serve` runs (list them, run them now).
    Jobs {
        #[command(subcommand)]
        action: ops_cmd::JobsCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// A consistent snapshot of the database while `serve` writes (SQLite; PostgreSQL by
    /// pg_dump), checked, with its size and counts.
    Backup {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Restores a snapshot into an empty data directory, checks it and prints its counts.
    Restore {
        file: PathBuf,
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// The configuration file.
    Config {
        #[command(subcommand)]
        action: ops_cmd::ConfigCommand,
    },
    /// Region data files.
    Regions {
        #[command(subcommand)]
        action: RegionsCommand,
    },
    /// The message catalogs (every user-facing text, Chinese and English).
    Messages {
        #[command(subcommand)]
        action: MessagesCommand,
    },
    /// Import regions, units, users or persons from CSV (UTF-8 or GB18030) or xlsx.
    Import {
        kind: ImportWhat,
        file: PathBuf,
        /// Import the valid rows and report the bad ones (default: all or nothing).
        #[arg(long)]
        skip_invalid: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from stdin with --password-stdin, else generated and printed.
    Add {
        username: String,
        #[arg(long)]
        display_name: String,
        /// The unit's exact name.
        #[arg(long)]
        unit: String,
        /// A role code (admin, district_officer, town_officer, community_worker, grid_worker,
        /// volunteer, assessor, department_handler, charity_handler, hotline_agent, grid_operator,
        /// leader, auditor); repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from stdin with --password-stdin, else generated and printed).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user; their sessions end at once.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check rule files; every error as FILE:LINE:COLUMN: message.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ResourcesCommand {
    /// Close every open emergency appeal past its end date, moving each surplus by its rule.
    CloseDue {
        #[arg(long)]
        json: bool,
    },
    /// Concurrent donors and matchers against appeals' ledgers and an offer's capacity: the
    /// product's guarded updates beside a read-check-write; throughput, latency, reconciliation.
    /// It writes its appeals, offers and matches into the database: run it on a scratch one.
    Bench {
        #[arg(long, default_value_t = 8)]
        appeals: usize,
        #[arg(long, default_value_t = 16)]
        workers: usize,
        #[arg(long, default_value_t = 5000)]
        entries: usize,
        #[arg(long, default_value_t = 3000)]
        matches: usize,
        #[arg(long, default_value_t = 1000)]
        capacity: usize,
        #[arg(long)]
        json: bool,
    },
    /// Resources linked by provider kind and district, volunteer hours, appeals, contracts.
    Figures {
        /// One region (a code in any form); the whole municipality by default.
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReferralsCommand {
    /// Chase every open referral past its deadline; escalate those already chased.
    Chase {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Check region files (tree files first, then zone files); without files, the shipped ones.
    /// Exit 0 if valid; otherwise every error as file:line: message.
    Check { files: Vec<PathBuf> },
}

#[derive(Subcommand)]
enum MessagesCommand {
    /// Check the shipped catalogs: every file parses, no id is defined twice, each id has a
    /// text in both languages with the same arguments. Exit 0 if so; otherwise every problem.
    Check,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportWhat {
    Regions,
    Units,
    Users,
    Persons,
}

/// The configuration file of this run (the defaults when none is named).
static CONFIG: std::sync::OnceLock<config::Config> = std::sync::OnceLock::new();

pub(crate) fn config() -> &'static config::Config {
    CONFIG.get_or_init(config::Config::default)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `config check` reports a bad file itself; any other command refuses to start with one.
    if !matches!(cli.command, Command::Config { .. }) {
        match config::Config::load_or_default(cli.config.as_deref()) {
            Ok(c) => {
                let _ = CONFIG.set(c);
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(e) = install_survey_questions(cli.survey_questions.as_deref()) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    let json_logs = match &cli.command {
        Command::Serve { serve, .. } | Command::Demo { serve, .. } => serve.log_format,
        _ => None,
    }
    .map(|f| f == LogFormat::Json)
    .unwrap_or_else(|| config().server.log_format.as_deref() == Some("json"));
    // A static filter (targets and levels, `MINSHENG_LOG=info,sqlx=error`): unlike `EnvFilter`
    // it keeps no per-span state, so entering and leaving the request's span on each poll of
    // its future costs nothing measurable (EnvFilter's span bookkeeping cost a tenth of the
    // inbox's throughput on PostgreSQL).
    let filter: tracing_subscriber::filter::Targets = std::env::var("MINSHENG_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new()
                .with_default(tracing::Level::INFO)
                .with_target("sqlx", tracing::Level::ERROR)
        });
    // Log lines (one per answered request) are written by their own thread, so a slow log pipe
    // never holds a request; the guard writes what is left when the program ends.
    let (log_writer, _log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if json_logs {
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(log_writer),
            )
            .with(filter)
            .init();
    } else {
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(log_writer))
            .with(filter)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Puts the district questions in effect before anything reads a survey: the flag's file,
/// else the configuration file's, else the shipped ones. A file with mistakes stops the
/// program, every mistake with its line and column.
fn install_survey_questions(flag: Option<&Path>) -> Result<()> {
    let Some(path) = flag
        .map(Path::to_path_buf)
        .or_else(|| config().survey.questions.as_ref().map(PathBuf::from))
    else {
        return Ok(());
    };
    let questions = assess_cmd::read_questions(&path)?;
    minsheng_assess::survey::install_questions(questions)
        .map_err(|_| anyhow!("the survey's questions were already in use"))
}

pub(crate) fn database_url(db: &DbArgs) -> Result<String> {
    if let Some(url) = db
        .database_url
        .as_ref()
        .or(config().server.database_url.as_ref())
    {
        return Ok(url.clone());
    }
    // The file's data directory, unless the flag (or MINSHENG_DATA_DIR) moved it.
    let configured = config().server.data_dir.as_ref().map(PathBuf::from);
    let db = &DbArgs {
        data_dir: match configured {
            Some(dir) if db.data_dir == Path::new("./minsheng-data") => dir,
            _ => db.data_dir.clone(),
        },
        database_url: None,
    };
    std::fs::create_dir_all(&db.data_dir)
        .with_context(|| format!("cannot create the data directory {}", db.data_dir.display()))?;
    // The registry of a city's most vulnerable people: the directory is its owner's alone
    // (the database files themselves are made 0600 by the store).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db.data_dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", db.data_dir.display()))?;
    }
    Ok(format!(
        "sqlite://{}",
        db.data_dir.join("minsheng.sqlite").display()
    ))
}

pub(crate) async fn open_app(db: &DbArgs) -> Result<App> {
    let url = database_url(db)?;
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))?;
    store.migrate().await.context("cannot apply migrations")?;
    let app = App::new(store, config().settings()).map_err(|e| anyhow!("{e}"))?;
    // Years of the official schedule imported into this database count from the start.
    app.current_calendar().await.map_err(app_error)?;
    Ok(app)
}

/// Hides a password in a database URL before it is printed.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) async fn command_line_actor(app: &App) -> Result<Actor> {
    Ok(Actor::command_line(
        app.everything().await.map_err(app_error)?,
    ))
}

pub(crate) fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(fields) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow!("invalid input: {}", list.join("; "))
        }
        other => anyhow!("{other}"),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve { db, serve } => {
            let app = open_app(&db).await?;
            serve_app(app, &serve).await?;
        }
        Command::Demo {
            db,
            serve,
            households,
            seed,
            clues,
            files,
            no_serve,
        } => {
            let app = open_app(&db).await?;
            let accounts_file = db.data_dir.join("demo-accounts.txt");
            if app.is_empty().await.map_err(app_error)? {
                let discovery = clues
                    .zip(files)
                    .map(|(clues, files)| DiscoveryScale { clues, files });
                let options = DemoOptions {
                    households,
                    seed,
                    discovery,
                    assessments: 40,
                    hotline: 120,
                    resources: true,
                    communities: minsheng_app::demo::Communities::All,
                };
                let accounts = create_demo(&app, options).await?;
                save_accounts(&accounts_file, &accounts)?;
                let operator = command_line_actor(&app).await?;
                let key = app
                    .issue_open311_key(&operator, "minsheng demo client")
                    .await
                    .map_err(app_error)?;
                save_secret(&db.data_dir.join("demo-open311-key.txt"), &key)?;
            } else {
                eprintln!("The database already has data; serving it as it is.");
            }
            print_accounts(&accounts_file, &serve)?;
            if !no_serve {
                serve_app(app, &serve).await?;
            }
        }
        Command::Regions {
            action: RegionsCommand::Check { files },
        } => return regions_check(&files),
        Command::Messages {
            action: MessagesCommand::Check,
        } => return messages_check(),
        Command::Calendar { action } => return ops_cmd::calendar_command(action).await,
        Command::Jobs { action, db } => return ops_cmd::jobs_command(action, &db).await,
        Command::Backup { out, db } => return ops_cmd::backup(&db, &out).await,
        Command::Restore { file, data_dir } => return ops_cmd::restore(&file, &data_dir).await,
        Command::Config { action } => {
            return ops_cmd::config_command(action, cli.config.as_deref());
        }
        Command::Model { action } => return assess_cmd::model_command(action),
        Command::Survey { action } => return assess_cmd::survey_command(action),
        Command::Catalog { action } => return assess_cmd::catalog_command(action),
        Command::Grid { action } => return grid_cmd::grid_command(action),
        Command::Hotline { action, db } => {
            if hotline_cmd::needs_database(&action) {
                let app = open_app(&db).await?;
                return hotline_cmd::hotline_db_command(&app, action).await;
            }
            return hotline_cmd::hotline_command(action);
        }
        Command::Rules {
            action: RulesCommand::Check { files },
        } => return screen_cmd::rules_check(&files),
        Command::Screen {
            rules,
            population,
            feeds,
            out,
            commit,
            json,
            as_of,
            max_rejected,
            purpose,
            hmac_key_file,
            hashed_feeds,
            db,
        } => {
            let args = screen_cmd::ScreenArgs {
                rules,
                population,
                feeds,
                out,
                commit,
                json,
                as_of,
                max_rejected,
                purpose,
                hmac_key_file,
                hashed_feeds,
            };
            // The registry as the population, or filing clues, needs the database.
            let app = if commit || args.population.as_os_str() == "registry" {
                Some(open_app(&db).await?)
            } else {
                None
            };
            return screen_cmd::screen(&args, app.as_ref()).await;
        }
        Command::Referrals {
            action: ReferralsCommand::Chase { json },
            db,
        } => {
            let app = open_app(&db).await?;
            let actor = command_line_actor(&app).await?;
            let chased = app.chase_referrals(&actor).await.map_err(app_error)?;
            let escalated = chased.iter().filter(|(_, e)| *e).count();
            if json {
                say!(
                    "{}",
                    serde_json::json!({"chased": chased.len(), "escalated": escalated,
                        "referrals": chased.iter().map(|(id, e)| serde_json::json!({"id": id, "escalated": e})).collect::<Vec<_>>()})
                );
            } else {
                say!(
                    "{} overdue referrals chased, {escalated} escalated",
                    chased.len()
                );
            }
        }
        Command::Resources { action, db } => {
            let app = open_app(&db).await?;
            let actor = command_line_actor(&app).await?;
            match action {
                ResourcesCommand::CloseDue { json } => {
                    let closed = app.close_due_appeals(&actor).await.map_err(app_error)?;
                    if json {
                        say!("{}", serde_json::json!({"closed": closed}));
                    } else {
                        for a in &closed {
                            say!(
                                "appeal {} closed: received ¥{:.2} of ¥{:.2}, disbursed ¥{:.2}",
                                a.id,
                                a.received_yuan,
                                a.target_yuan,
                                a.disbursed_yuan
                            );
                        }
                        say!("{} appeals closed", closed.len());
                    }
                }
                ResourcesCommand::Bench {
                    appeals,
                    workers,
                    entries,
                    matches,
                    capacity,
                    json,
                } => {
                    let options = resources_cmd::BenchOptions {
                        appeals: appeals.max(1),
                        workers: workers.max(1),
                        entries,
                        matches,
                        capacity,
                    };
                    let outcomes = resources_cmd::bench(&app, &actor, options).await?;
                    if json {
                        say!("{}", serde_json::to_string(&outcomes)?);
                    } else {
                        resources_cmd::print(&outcomes, options);
                    }
                }
                ResourcesCommand::Figures { region, json } => {
                    let region = match region.as_deref() {
                        Some(code) => Some(
                            minsheng_domain::RegionCode::parse(code)
                                .map_err(|e| anyhow::anyhow!("--region: {e}"))?,
                        ),
                        None => None,
                    };
                    let f = app
                        .resource_figures(&actor, region, None)
                        .await
                        .map_err(app_error)?;
                    if json {
                        say!("{}", serde_json::to_string(&f)?);
                    } else {
                        say!("resources delivered: ¥{:.2}", f.delivered_yuan);
                        for (kind, n, y) in &f.delivered {
                            say!("  {kind}: {n} deliveries, ¥{y:.2}");
                        }
                        for (_, name, n, y) in &f.by_district {
                            say!("  {name}: {n} deliveries, ¥{y:.2}");
                        }
                        say!(
                            "volunteer visits: {} ({:.1} h, stipends ¥{:.2})",
                            f.volunteer_visits,
                            f.volunteer_hours,
                            f.stipends_yuan
                        );
                        say!(
                            "appeals: {} ({} open), target ¥{:.2}, received ¥{:.2}, disbursed ¥{:.2}",
                            f.appeals,
                            f.appeals_open,
                            f.appeals_target_yuan,
                            f.appeals_received_yuan,
                            f.appeals_disbursed_yuan
                        );
                        for (name, rate, paid, budget) in &f.contracts {
                            say!(
                                "contract {name}: {:.0} % delivered, paid ¥{paid:.2} of ¥{budget:.2}",
                                rate * 100.0
                            );
                        }
                    }
                }
            }
        }
        Command::Synth { action } => return assess_cmd::synth_command(action),
        Command::Assess {
            model,
            input,
            json,
            explain,
            recommend,
        } => return assess_cmd::assess_command(&model, &input, json, explain, recommend),
        Command::Mpi {
            deprivations,
            weights,
            k,
            json,
        } => return mpi_command(&deprivations, &weights, k, json),
        Command::Migrate { db } => {
            open_app(&db).await?;
            say!("migrations applied");
        }
        Command::User { action, db } => {
            let app = open_app(&db).await?;
            let actor = command_line_actor(&app).await?;
            user_command(&app, &actor, action).await?;
        }
        Command::Import {
            kind,
            file,
            skip_invalid,
            json,
            db,
        } => {
            let app = open_app(&db).await?;
            let actor = command_line_actor(&app).await?;
            return import_command(&app, &actor, kind, &file, skip_invalid, json).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn mpi_command(file: &Path, weights: &[f64], k: f64, json: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (names, people) =
        match minsheng_app::mpi_input::people_from_file(&file.display().to_string(), &bytes) {
            Ok(parsed) => parsed,
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                return Ok(ExitCode::from(2));
            }
        };
    if names.len() != weights.len() {
        bail!(
            "{} indicator columns but {} weights",
            names.len(),
            weights.len()
        );
    }
    let result = minsheng_assess::mpi::aggregate(&people, &names, weights, k)?;
    if json {
        say!("{}", serde_json::to_string(&result)?);
    } else {
        let o = &result.overall;
        say!(
            "H {:.4}  A {:.4}  M0 {:.4}  ({} people)",
            o.h,
            o.a,
            o.m0,
            o.population
        );
        for name in &names {
            say!(
                "  {name:<24} censored headcount {:.4}  contribution {:.4}",
                o.censored_headcount[name],
                o.contribution[name]
            );
        }
        for (group, g) in &result.groups {
            say!("{group}: H {:.4}  A {:.4}  M0 {:.4}", g.h, g.a, g.m0);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn messages_check() -> Result<ExitCode> {
    let problems = minsheng_app::i18n::problems();
    if problems.is_empty() {
        let count = |lang| minsheng_app::i18n::ids(lang).count();
        say!(
            "ok: {} messages in Chinese, {} in English",
            count(minsheng_app::Lang::Zh),
            count(minsheng_app::Lang::En)
        );
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        eprintln!("{p}");
    }
    Ok(ExitCode::FAILURE)
}

fn regions_check(files: &[PathBuf]) -> Result<ExitCode> {
    let inputs = if files.is_empty() {
        minsheng_app::region_check::shipped_region_files()
    } else {
        files
            .iter()
            .map(|f| {
                Ok((
                    f.display().to_string(),
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?
    };
    match minsheng_app::region_check::check_region_files(&inputs) {
        Ok(summary) => {
            let levels: Vec<String> = summary
                .by_level
                .iter()
                .map(|(l, n)| format!("{n} {l}"))
                .collect();
            say!(
                "ok: {}; {} zones over {} towns",
                levels.join(", "),
                summary.zones,
                summary.zone_towns
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(ExitCode::from(1))
        }
    }
}

async fn serve_app(mut app: App, serve: &ServeArgs) -> Result<()> {
    // A stored model that does not load must not score anyone: refuse to start.
    app.check_models()
        .await
        .map_err(app_error)
        .context("assessment models do not load")?;
    let file = config();
    let listen = serve
        .listen
        .or(file.server.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let web = WebConfig {
        secure_cookies: serve.secure_cookies || file.server.secure_cookies.unwrap_or(false),
        trust_forwarded_for: serve.trust_forwarded_for
            || file.server.trust_forwarded_for.unwrap_or(false),
        rates: file.rates(serve.public_rate, serve.sign_in_rate, serve.upload_rate),
        request_timeout_secs: file.server.request_timeout_secs.unwrap_or(30),
    };
    // Other instances' sign-outs, password changes and disabled accounts end this one's cached
    // sessions at once (PostgreSQL; on SQLite there is one instance and nothing to follow).
    let store = app.store().clone();
    tokio::spawn(async move { store.follow_auth_changes().await });
    let metrics = minsheng_web::metrics::Metrics::new();
    let observed = metrics.clone();
    app.observe_jobs(std::sync::Arc::new(move |job, outcome, at| {
        observed.job_ran(job, outcome, at)
    }));
    if let Some(addr) = serve.metrics_listen.or(file.server.metrics_listen) {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot serve metrics on {addr}"))?;
        tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
        tokio::spawn(minsheng_web::metrics::serve(
            listener,
            app.clone(),
            metrics.clone(),
        ));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = if serve.no_jobs || !file.jobs.enabled {
        None
    } else {
        let app = app.clone();
        let instance = format!(
            "{}:{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "serve".into()),
            std::process::id()
        );
        Some(tokio::spawn(async move {
            app.run_jobs(instance, stopped).await
        }))
    };
    let served = minsheng_web::serve(app, web, listen, metrics, stop).await;
    // The web server has drained; the jobs finish the runs they are in.
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    served.with_context(|| format!("cannot serve on {listen}"))
}

pub(crate) fn progress_bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

async fn create_demo(app: &App, options: DemoOptions) -> Result<Vec<DemoAccount>> {
    let bar = progress_bar(options.households as u64, "households");
    eprintln!(
        "Creating the demo database with {} households…",
        options.households
    );
    let accounts = app
        .create_demo(options, &|stage, done, total| {
            if stage == "households" || stage == "clues" {
                bar.set_message(stage.to_string());
                bar.set_length(total);
                bar.set_position(done);
            }
        })
        .await
        .map_err(app_error)?;
    bar.finish_and_clear();
    Ok(accounts)
}

fn save_accounts(path: &Path, accounts: &[DemoAccount]) -> Result<()> {
    let mut text = String::from("# role\tusername\tpassword\tunit\n");
    for a in accounts {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            a.role.code(),
            a.username,
            a.password,
            a.unit
        ));
    }
    // With a PostgreSQL URL the data directory holds nothing else and may not exist yet.
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    save_secret(path, &text)
}

/// Creates (or truncates) a file readable by its owner only, from the first byte on: for
/// secrets and for outputs that hold personal data (warnings, agents' corrections).
pub(crate) fn private_file(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes a secret readable by its owner only.
fn save_secret(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    private_file(path)?
        .write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn print_accounts(path: &Path, serve: &ServeArgs) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        say!("(no demo accounts file at {})", path.display());
        return Ok(());
    };
    say!("民生 minsheng demo — accounts (role, user name, password):");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        if let [role, username, password, unit] = cols[..] {
            let label = Role::from_code(role).map_or(role, |r| r.label_zh());
            say!("  {role:<20} {username:<22} {password:<16} {label} · {unit}");
        }
    }
    if let Some(parent) = path.parent()
        && let Ok(key) = std::fs::read_to_string(parent.join("demo-open311-key.txt"))
    {
        say!("open311 api_key: {}", key.trim());
    }
    let listen = serve
        .listen
        .or(config().server.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    say!("Open http://{listen} in a browser.");
    Ok(())
}

fn read_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let password = text.lines().next().unwrap_or("").to_string();
        if password.is_empty() {
            bail!("no password on stdin");
        }
        return Ok((password, false));
    }
    let mut rng_bytes = minsheng_app::auth::random_token();
    rng_bytes.truncate(16);
    Ok((rng_bytes, true))
}

async fn user_command(app: &App, actor: &Actor, action: UserCommand) -> Result<()> {
    match action {
        UserCommand::Add {
            username,
            display_name,
            unit,
            roles,
            password_stdin,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::from_code(r).ok_or_else(|| anyhow!("'{r}' is not a role")))
                .collect::<Result<Vec<_>>>()?;
            let (password, generated) = read_password(password_stdin)?;
            let input = NewUserInput {
                username: username.clone(),
                display_name,
                unit,
                roles,
                password: password.clone(),
            };
            app.add_user(actor, &input).await.map_err(app_error)?;
            say!("user {username} added");
            if generated {
                say!("password: {password}");
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            app.reset_password(actor, &username, &password)
                .await
                .map_err(app_error)?;
            say!("password of {username} changed; their sessions ended");
            if generated {
                say!("password: {password}");
            }
        }
        UserCommand::Disable { username } => {
            app.set_user_disabled(actor, &username, true)
                .await
                .map_err(app_error)?;
            say!("user {username} disabled");
        }
        UserCommand::Enable { username } => {
            app.set_user_disabled(actor, &username, false)
                .await
                .map_err(app_error)?;
            say!("user {username} enabled");
        }
    }
    Ok(())
}

async fn import_command(
    app: &App,
    actor: &Actor,
    kind: ImportWhat,
    file: &Path,
    skip_invalid: bool,
    json: bool,
) -> Result<ExitCode> {
    let kind = match kind {
        ImportWhat::Regions => ImportKind::Regions,
        ImportWhat::Units => ImportKind::Units,
        ImportWhat::Users => ImportKind::Users,
        ImportWhat::Persons => ImportKind::Persons,
    };
    let name = file.display().to_string();
    let source = FileSource::open(file, &name)?;
    // Checking counts rows as it reads (the length is not known yet); writing knows it.
    let bar = if json {
        ProgressBar::hidden()
    } else {
        progress_bar(0, "checking")
    };
    let result = app
        .import(actor, kind, &source, skip_invalid, &|p: Progress| {
            match (p.phase, p.total) {
                (Phase::Writing, Some(total)) if bar.length() != Some(total) => {
                    bar.set_message("writing");
                    bar.set_length(total);
                }
                (Phase::Checking, _) => bar.set_length(p.done),
                _ => {}
            }
            bar.set_position(p.done);
        })
        .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(ImportError::File(e)) => bail!("{e}"),
        Err(ImportError::App(e)) => return Err(app_error(e)),
    };
    if json {
        say!("{}", serde_json::to_string(&report)?);
    } else {
        for line in report.error_lines() {
            eprintln!("{line}");
        }
        if report.written {
            say!(
                "{}: {} rows ({}): {} inserted, {} updated, {} unchanged, {} skipped",
                report.file,
                report.rows,
                report.encoding,
                report.inserted,
                report.updated,
                report.unchanged,
                report.skipped
            );
        } else {
            eprintln!(
                "{}: {} bad row(s); nothing was written. Fix them, or use --skip-invalid to import the good rows.",
                report.file,
                report.errors.len()
            );
        }
    }
    Ok(if report.written && report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
