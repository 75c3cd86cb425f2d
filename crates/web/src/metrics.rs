//! Prometheus metrics, served on a listener of their own (`--metrics-listen`): requests by route
//! template, method and status, their duration, job runs and last successes, the outbox's depth,
//! the database pool, and what is overdue (leads, referrals, hotline tickets). The counters are
//! kept as requests pass; the gauges are read from the database when Prometheus scrapes.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minsheng_app::App;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobRunLabels {
    job: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhatLabels {
    what: String,
}

/// Request durations: 2 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

struct Inner {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    duration: Family<RouteLabels, Histogram>,
    job_runs: Family<JobRunLabels, Counter>,
    job_success: Family<JobLabels, Gauge<f64, AtomicU64>>,
    outbox: Gauge,
    pool: Family<StateLabels, Gauge>,
    overdue: Family<WhatLabels, Gauge>,
}

/// The process's metrics. Cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("minsheng");
        let requests = Family::<HttpLabels, Counter>::default();
        let duration =
            Family::<RouteLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
        let job_runs = Family::<JobRunLabels, Counter>::default();
        let job_success = Family::<JobLabels, Gauge<f64, AtomicU64>>::default();
        let outbox = Gauge::default();
        let pool = Family::<StateLabels, Gauge>::default();
        let overdue = Family::<WhatLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer a request, by route template and method",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "job_runs",
            "Runs of the timed jobs by job and outcome",
            job_runs.clone(),
        );
        registry.register(
            "job_last_success_timestamp_seconds",
            "When each job last finished well (Unix seconds)",
            job_success.clone(),
        );
        registry.register(
            "outbox_pending",
            "Notification deliveries still to make",
            outbox.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections of this process, by state (open, idle)",
            pool.clone(),
        );
        registry.register(
            "overdue",
            "Records past their deadline now: leads, referrals, hotline tickets",
            overdue.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            requests,
            duration,
            job_runs,
            job_success,
            outbox,
            pool,
            overdue,
        }))
    }

    /// Counts a job run (the app calls it after each).
    pub fn job_ran(&self, job: &str, outcome: &str, finished_at: i64) {
        self.0
            .job_runs
            .get_or_create(&JobRunLabels {
                job: job.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        if outcome == "ok" {
            self.0
                .job_success
                .get_or_create(&JobLabels {
                    job: job.to_string(),
                })
                .set(finished_at as f64 / 1000.0);
        }
    }

    fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        self.0
            .requests
            .get_or_create(&HttpLabels {
                route: route.clone(),
                method: method.clone(),
                status,
            })
            .inc();
        self.0
            .duration
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }

    /// The text Prometheus reads, with the gauges read from the database now.
    pub async fn render(&self, app: &App) -> Result<String, String> {
        let gauges = app.ops_gauges().await.map_err(|e| e.to_string())?;
        self.0.outbox.set(gauges.outbox_pending);
        for (what, n) in [
            ("leads", gauges.overdue_leads),
            ("referrals", gauges.overdue_referrals),
            ("hotline_tickets", gauges.overdue_tickets),
        ] {
            self.0
                .overdue
                .get_or_create(&WhatLabels {
                    what: what.to_string(),
                })
                .set(n);
        }
        let (open, idle) = app.store().pool_connections();
        for (state, n) in [("open", open as usize), ("idle", idle)] {
            self.0
                .pool
                .get_or_create(&StateLabels {
                    state: state.to_string(),
                })
                .set(n as i64);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.0.registry)
            .map_err(|e| e.to_string())?;
        Ok(text)
    }
}

/// The route layer that counts and times every request by its route template (never the raw
/// path: ids would make a series each) and writes its one log line: request id, method, route
/// template, status and time. One line at the end rather than a span around the request: a
/// span is entered and left at every poll of the request's future, and a page that streams
/// rows from the database is polled hundreds of times.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    tracing::info!(
        target: "minsheng_web::http",
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        latency = %format!("{:.1} ms", seconds * 1000.0),
        "answered"
    );
    metrics.observe(route, method, status, seconds);
    response
}

async fn scrape(State((app, metrics)): State<(App, Metrics)>) -> Response {
    match metrics.render(&app).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
    }
}

/// Serves `/metrics` on its own listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, app: App, metrics: Metrics) {
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state((app, metrics));
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!("the metrics listener stopped: {e}");
    }
}

/// Request ids: a random prefix of this process and a counter (`k3v9x2qa-0000002a`), unique
/// across processes, and cheaper than a random UUID per request (no system call).
#[derive(Clone)]
pub struct RequestIds {
    prefix: String,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    pub fn new() -> RequestIds {
        RequestIds {
            prefix: minsheng_app::auth::random_token()
                .chars()
                .take(10)
                .collect(),
            next: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _request: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{}-{n:08x}", self.prefix);
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}
