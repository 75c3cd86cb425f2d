//! HTTP for minsheng: HTML pages (askama + htmx) and the JSON API under `/api/v1`.
//! The only crate that knows HTTP. Handlers translate requests into `minsheng_app` use cases
//! and their results into responses; they never touch the store.

mod api;
mod assessment_pages;
mod auth;
mod charts;
mod discovery_pages;
mod error;
mod grid_pages;
mod help_pages;
mod hotline_pages;
mod html;
pub mod i18n;
pub mod limits;
pub mod metrics;
mod open311;
mod openapi;
mod resource_pages;
mod routes;

use std::net::SocketAddr;

use axum::Router;
use minsheng_app::App;

pub use routes::{RouteSpec, route_specs};

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Behind a reverse proxy or load balancer: take the client's address from the last
    /// `X-Forwarded-For` entry (the one our proxy added), so audit rows and sign-in throttling
    /// see people, not the proxy.
    pub trust_forwarded_for: bool,
    /// Per-client rate limits of public posts and photo uploads.
    pub rates: limits::RateSettings,
    /// Seconds a request may take before it is answered 503 (0: the default, 60).
    pub request_timeout_secs: u64,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The same app behind one pointer, for request extensions (an `App` clone copies many
    /// handles; this is one count).
    pub shared_app: std::sync::Arc<App>,
    pub config: WebConfig,
    pub limits: std::sync::Arc<limits::Limits>,
}

/// The whole HTTP application.
pub fn router(app: App, config: WebConfig) -> Router {
    router_with_metrics(app, config, metrics::Metrics::new())
}

/// The HTTP application counting its requests into `metrics`.
pub fn router_with_metrics(app: App, config: WebConfig, metrics: metrics::Metrics) -> Router {
    let limits = limits::Limits::new(config.rates);
    let state = AppState {
        shared_app: std::sync::Arc::new(app.clone()),
        app,
        config,
        limits,
    };
    routes::build(state, metrics)
}

/// Serves until Ctrl-C or SIGTERM, then drains: requests in flight are answered before it
/// returns. `stop` is turned true when the signal comes, for the jobs to finish theirs.
pub async fn serve(
    app: App,
    config: WebConfig,
    listen: SocketAddr,
    metrics: metrics::Metrics,
    stop: tokio::sync::watch::Sender<bool>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!("minsheng listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router_with_metrics(app, config, metrics)
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("stopping: answering the requests in flight, letting running jobs finish");
        let _ = stop.send(true);
    })
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
