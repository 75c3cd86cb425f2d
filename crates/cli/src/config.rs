//! The configuration file (`--config FILE`, `MINSHENG_CONFIG`): every setting that is not a
//! command-line flag's business, in TOML. Flags and environment variables win over the file;
//! the file wins over the defaults. `minsheng config check` reads it and prints what is in
//! effect (secrets hidden). Every key is documented in `docs/operations.md`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use minsheng_app::Settings;
use minsheng_app::jobs::JOBS;
use minsheng_app::notify::SmtpSettings;
use minsheng_web::limits::RateSettings;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub rates: RatesConfig,
    /// Seconds between runs, by job name; `enabled = false` runs none in `serve`.
    #[serde(default)]
    pub jobs: JobsConfig,
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    #[serde(default)]
    pub survey: SurveyConfig,
}

/// The household survey's district questions.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyConfig {
    /// The district questions file (default: the shipped `data/survey/questions.toml`).
    pub questions: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub secure_cookies: Option<bool>,
    pub trust_forwarded_for: Option<bool>,
    /// Prometheus metrics at `http://ADDR/metrics` on a listener of their own.
    pub metrics_listen: Option<SocketAddr>,
    /// `text` (default) or `json`.
    pub log_format: Option<String>,
    /// Seconds a request may take before it is answered 503.
    pub request_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    pub session_idle_minutes: Option<i64>,
    pub max_failures_per_ip: Option<i64>,
    pub pair_base_delay_ms: Option<i64>,
    pub throttle_window_minutes: Option<i64>,
    pub lockout_minutes: Option<i64>,
    pub api_token_days: Option<i64>,
    pub upload_mb_per_user_day: Option<i64>,
    /// Milliseconds a signed-in session is kept in memory at most (0: never).
    pub session_cache_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RatesConfig {
    pub public_per_minute: Option<u32>,
    pub sign_ins_per_minute: Option<u32>,
    pub uploads_per_minute: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub every_secs: BTreeMap<String, u64>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            enabled: true,
            every_secs: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

impl Config {
    /// Reads and checks a file; every mistake names its line and column.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("{}:{line}:{column}: ", path.display())
                })
                .unwrap_or_else(|| format!("{}: ", path.display()));
            anyhow!("{place}{}", e.message())
        })?;
        config
            .check()
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(config)
    }

    /// The file's `--config`, or the defaults when there is none.
    pub fn load_or_default(path: Option<&Path>) -> Result<Config> {
        match path {
            Some(path) => Config::load(path),
            None => Ok(Config::default()),
        }
    }

    fn check(&self) -> Result<(), String> {
        for name in self.jobs.every_secs.keys() {
            if !JOBS.iter().any(|j| j.name == name) {
                return Err(format!(
                    "[jobs.every_secs] {name}: no such job (the jobs are {})",
                    JOBS.map(|j| j.name).join(", ")
                ));
            }
        }
        if let Some(f) = &self.server.log_format
            && f != "text"
            && f != "json"
        {
            return Err(format!("[server] log_format = {f:?}: text or json"));
        }
        if let Some(smtp) = &self.smtp
            && !["starttls", "tls", "none"].contains(&smtp.tls.as_str())
        {
            return Err(format!(
                "[smtp] tls = {:?}: starttls, tls or none",
                smtp.tls
            ));
        }
        let positive = [
            ("session_idle_minutes", self.security.session_idle_minutes),
            ("max_failures_per_ip", self.security.max_failures_per_ip),
            (
                "throttle_window_minutes",
                self.security.throttle_window_minutes,
            ),
            ("lockout_minutes", self.security.lockout_minutes),
            ("api_token_days", self.security.api_token_days),
        ];
        for (key, value) in positive {
            if value.is_some_and(|v| v <= 0) {
                return Err(format!("[security] {key} must be above 0"));
            }
        }
        Ok(())
    }

    /// The product's settings: defaults, then this file.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        let sec = &self.security;
        if let Some(v) = sec.session_idle_minutes {
            s.session_idle_millis = v * 60_000;
        }
        if let Some(v) = sec.max_failures_per_ip {
            s.max_failures_per_ip = v;
        }
        if let Some(v) = sec.pair_base_delay_ms {
            s.pair_base_delay_millis = v.max(0);
        }
        if let Some(v) = sec.throttle_window_minutes {
            s.throttle_window_millis = v * 60_000;
        }
        if let Some(v) = sec.lockout_minutes {
            s.lockout_millis = v * 60_000;
        }
        if let Some(v) = sec.api_token_days {
            s.api_token_days = v;
        }
        if let Some(v) = sec.upload_mb_per_user_day {
            s.upload_bytes_per_user_day = v.max(0) << 20;
        }
        if let Some(v) = sec.session_cache_ms {
            s.session_cache_millis = v.clamp(0, 60_000);
        }
        s.job_intervals = self.jobs.every_secs.clone();
        s.smtp = self.smtp.clone();
        s
    }

    /// Rate limits: defaults, then this file, then the flags given.
    pub fn rates(
        &self,
        public: Option<u32>,
        sign_ins: Option<u32>,
        uploads: Option<u32>,
    ) -> RateSettings {
        let d = RateSettings::default();
        RateSettings {
            public_per_minute: public
                .or(self.rates.public_per_minute)
                .unwrap_or(d.public_per_minute),
            sign_ins_per_minute: sign_ins
                .or(self.rates.sign_ins_per_minute)
                .unwrap_or(d.sign_ins_per_minute),
            uploads_per_minute: uploads
                .or(self.rates.uploads_per_minute)
                .unwrap_or(d.uploads_per_minute),
        }
    }

    /// What is in effect, as TOML, with secrets hidden.
    pub fn effective_text(&self) -> String {
        let mut shown = self.clone();
        if let Some(smtp) = &mut shown.smtp
            && !smtp.password.is_empty()
        {
            smtp.password = "***".into();
        }
        if let Some(url) = &mut shown.server.database_url {
            *url = crate::redact(url);
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}
