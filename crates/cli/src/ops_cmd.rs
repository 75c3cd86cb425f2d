//! Operations at the command line: the working-day calendar (`calendar`), the timed jobs
//! (`jobs list|run`), snapshots (`backup`, `restore`) and the configuration file
//! (`config check`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use minsheng_app::calendar::CalendarImportError;
use minsheng_domain::WorkdayCalendar;
use minsheng_domain::time_util::format_millis;
use minsheng_store::Store;

use crate::{DbArgs, app_error, command_line_actor, open_app};

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// One day per line from --from to --to (inclusive); with --json, one JSON object per line.
    List {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Prints the Nth working day strictly after DATE (the deadline of "within N working
    /// days"), with the years imported into the database when one is named. A date counted
    /// through a year with no official schedule is printed still (weekends only), the year is
    /// named on stderr and the exit code is 3.
    AddWorkdays {
        date: String,
        n: u32,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
    /// Checks a calendar file (default: the shipped one); errors as file:line: message.
    Check { file: Option<PathBuf> },
    /// Loads whole years of the official schedule (CSV `date,kind,name`, as
    /// data/calendar/china.csv) into the database: all or nothing.
    Import {
        file: PathBuf,
        #[arg(long, default_value = "./minsheng-data")]
        data_dir: PathBuf,
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
}

fn parse_date(text: &str) -> Result<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| anyhow!("'{text}' is not a date (YYYY-MM-DD)"))
}

/// The calendar of a database (the shipped one plus its imports), or the shipped one.
async fn calendar_of(
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
) -> Result<std::sync::Arc<WorkdayCalendar>> {
    if data_dir.is_none() && database_url.is_none() {
        return Ok(std::sync::Arc::new(WorkdayCalendar::china()));
    }
    let db = DbArgs {
        data_dir: data_dir.unwrap_or_else(|| PathBuf::from("./minsheng-data")),
        database_url,
    };
    let app = open_app(&db).await?;
    app.current_calendar().await.map_err(app_error)
}

pub async fn calendar_command(action: CalendarCommand) -> Result<ExitCode> {
    match action {
        CalendarCommand::List { from, to, json } => {
            let calendar = WorkdayCalendar::china();
            let (from, to) = (parse_date(&from)?, parse_date(&to)?);
            if to < from {
                bail!("--to is before --from");
            }
            let mut day = from;
            while day <= to {
                let kind = calendar.kind(day);
                let name = calendar.name(day);
                if json {
                    let line = serde_json::json!({
                        "date": day.to_string(),
                        "workday": kind.is_workday(),
                        "kind": kind.code(),
                        "name": name,
                    });
                    say!("{line}");
                } else {
                    say!("{day} {:<16} {}", kind.code(), name.unwrap_or(""));
                }
                day = day.next_day().ok_or_else(|| anyhow!("date out of range"))?;
            }
        }
        CalendarCommand::AddWorkdays {
            date,
            n,
            data_dir,
            database_url,
        } => {
            let calendar = calendar_of(data_dir, database_url).await?;
            let deadline = calendar.deadline(parse_date(&date)?, n);
            say!("{}", deadline.date);
            if deadline.provisional() {
                let years: Vec<String> = deadline
                    .missing_years
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                eprintln!(
                    "provisional: no official working-day schedule of {} is loaded (counted on weekends only); import it with `minsheng calendar import`",
                    years.join(", ")
                );
                return Ok(ExitCode::from(3));
            }
        }
        CalendarCommand::Check { file } => {
            let (name, text) = match file {
                Some(f) => (
                    f.display().to_string(),
                    std::fs::read_to_string(&f)
                        .with_context(|| format!("cannot read {}", f.display()))?,
                ),
                None => (
                    "data/calendar/china.csv".to_string(),
                    include_str!("../../../data/calendar/china.csv").to_string(),
                ),
            };
            match WorkdayCalendar::parse(&text) {
                Ok(c) => say!("ok: holidays of {:?}", c.years()),
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{name}:{}: {}", e.line, e.message);
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
        CalendarCommand::Import {
            file,
            data_dir,
            database_url,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let app = open_app(&DbArgs {
                data_dir,
                database_url,
            })
            .await?;
            let operator = command_line_actor(&app).await?;
            match app.import_calendar(&operator, &text).await {
                Ok(done) => say!(
                    "imported {} days of {}",
                    done.rows,
                    done.years
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Err(CalendarImportError::File(errors)) => {
                    for e in &errors {
                        if e.line > 0 {
                            eprintln!("{}:{}: {}", file.display(), e.line, e.message);
                        } else {
                            eprintln!("{}: {}", file.display(), e.message);
                        }
                    }
                    eprintln!("nothing was imported");
                    return Ok(ExitCode::from(2));
                }
                Err(CalendarImportError::App(e)) => return Err(app_error(e)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Each job: its interval, its last run and how it ended.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Runs jobs now (all of them without names), one after the other; exit 1 if one failed.
    Run {
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn jobs_command(action: JobsCommand, db: &DbArgs) -> Result<ExitCode> {
    let app = open_app(db).await?;
    match action {
        JobsCommand::List { json } => {
            let status = app.job_status().await.map_err(app_error)?;
            if json {
                say!("{}", serde_json::to_string(&status)?);
            } else {
                say!(
                    "{:<22} {:>8}  {:<16}  {:<8}  detail",
                    "job",
                    "every",
                    "last run",
                    "outcome"
                );
                for s in status {
                    say!(
                        "{:<22} {:>7}s  {:<16}  {:<8}  {}",
                        s.name,
                        s.every_secs,
                        s.last_started_at
                            .map(format_millis)
                            .unwrap_or_else(|| "never".into()),
                        s.last_outcome.unwrap_or_default(),
                        s.last_detail.unwrap_or_default()
                    );
                }
            }
        }
        JobsCommand::Run { names, json } => {
            let names: Vec<String> = if names.is_empty() {
                app.job_specs().iter().map(|j| j.name.to_string()).collect()
            } else {
                names
            };
            let instance = format!("cli:{}", std::process::id());
            let mut failed = false;
            for name in names {
                let report = app.run_job(&name, &instance).await.map_err(app_error)?;
                failed |= report.outcome == "failed" || report.outcome == "timeout";
                if json {
                    say!("{}", serde_json::to_string(&report)?);
                } else {
                    say!("{:<22} {:<8} {}", report.job, report.outcome, report.detail);
                }
            }
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `minsheng backup --out FILE`: a consistent snapshot while `serve` writes.
pub async fn backup(db: &DbArgs, out: &Path) -> Result<ExitCode> {
    if out.exists() {
        bail!("{} exists: name a new file", out.display());
    }
    // The flag, the environment or the config file's database: PostgreSQL is pg_dump's.
    let url = crate::database_url(db)?;
    if url.starts_with("postgres") {
        return backup_postgres(&url, out);
    }
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open {}", crate::redact(&url)))?;
    // Written beside the target and renamed when whole and checked: a killed backup leaves
    // no file that looks like a snapshot.
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    store
        .snapshot_into(&partial)
        .await
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let snapshot = Store::open(&format!("sqlite://{}", partial.display())).await?;
    let check = snapshot.integrity_check().await?;
    if check != "ok" {
        let _ = std::fs::remove_file(&partial);
        bail!("the snapshot does not pass integrity_check: {check}");
    }
    let counts = snapshot.table_counts().await?;
    drop(snapshot);
    std::fs::rename(&partial, out)?;
    let size = std::fs::metadata(out)?.len();
    say!(
        "snapshot {} ({:.1} MB), integrity ok",
        out.display(),
        size as f64 / 1e6
    );
    for (table, n) in counts {
        say!("  {table:<24} {n}");
    }
    Ok(ExitCode::SUCCESS)
}

fn backup_postgres(url: &str, out: &Path) -> Result<ExitCode> {
    let command = format!(
        "pg_dump -Fc --no-owner -f {} '{}'",
        out.display(),
        crate::redact(url)
    );
    let found = std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        say!("pg_dump is not installed here; on a machine with PostgreSQL's client, run:");
        say!("  {command}");
        return Ok(ExitCode::from(3));
    }
    let status = std::process::Command::new("pg_dump")
        .args(["-Fc", "--no-owner", "-f"])
        .arg(out)
        .arg(url)
        .status()
        .context("cannot run pg_dump")?;
    if !status.success() {
        bail!("pg_dump failed ({status})");
    }
    // A dump holds the registry: its owner's alone, like the SQLite files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600))?;
    }
    let size = std::fs::metadata(out)?.len();
    say!(
        "snapshot {} ({:.1} MB) by pg_dump; restore with pg_restore -d URL {}",
        out.display(),
        size as f64 / 1e6,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `minsheng restore FILE --data-dir DIR`: into an empty directory only.
pub async fn restore(file: &Path, data_dir: &Path) -> Result<ExitCode> {
    if data_dir.exists()
        && std::fs::read_dir(data_dir)
            .with_context(|| format!("cannot read {}", data_dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty: restore into a new, empty directory (nothing was changed)",
            data_dir.display()
        );
    }
    let check = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .with_context(|| format!("{} is not a minsheng snapshot", file.display()))?
        .integrity_check()
        .await?;
    if check != "ok" {
        bail!("{} does not pass integrity_check: {check}", file.display());
    }
    std::fs::create_dir_all(data_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let target = data_dir.join("minsheng.sqlite");
    let partial = data_dir.join("minsheng.sqlite.partial");
    std::fs::copy(file, &partial)?;
    std::fs::rename(&partial, &target)?;
    let store = Store::open(&format!("sqlite://{}", target.display())).await?;
    store.migrate().await.context("cannot apply migrations")?;
    let check = store.integrity_check().await?;
    if check != "ok" {
        bail!("the restored database does not pass integrity_check: {check}");
    }
    say!(
        "restored {} into {}, integrity ok",
        file.display(),
        target.display()
    );
    for (table, n) in store.table_counts().await? {
        say!("  {table:<24} {n}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Reads the configuration file and prints what is in effect (secrets hidden); every
    /// mistake as FILE:LINE:COLUMN: message.
    Check,
}

pub fn config_command(action: ConfigCommand, path: Option<&Path>) -> Result<ExitCode> {
    match action {
        ConfigCommand::Check => {
            let Some(path) = path else {
                bail!("name the file with --config FILE (or MINSHENG_CONFIG)");
            };
            match crate::config::Config::load(path) {
                Ok(config) => {
                    say!("ok: {}", path.display());
                    say!("{}", config.effective_text());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
