//! Building and running the server: open the store, migrate, bind, serve until a signal.

use anyhow::Context;
use assocd_api::{ApiConfig, AppState};
use assocd_control::{AdminToken, ControlState};
use assocd_core::store::Store;
use assocd_store::{ConnectOptions, SqlStore};
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// What opening the database does about migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply pending migrations under the advisory lock (the default: safe for replicas).
    Apply,
    /// Apply pending migrations without the lock (engines without `pg_advisory_lock`; run
    /// alone).
    ApplyUnlocked,
    /// Apply nothing; fail when the database lacks a migration this assocd needs.
    Check,
    /// Apply and check nothing (export: read whatever is there).
    Skip,
}

/// Opens the database named by `url` and applies migrations.
pub async fn open_store(url: &str, opts: &ConnectOptions) -> anyhow::Result<SqlStore> {
    open_store_with(url, opts, Migrations::Apply).await
}

/// Opens the database named by `url`, doing `migrations`.
pub async fn open_store_with(
    url: &str,
    opts: &ConnectOptions,
    migrations: Migrations,
) -> anyhow::Result<SqlStore> {
    let store = SqlStore::connect(url, opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact(url)))?;
    match migrations {
        Migrations::Apply | Migrations::ApplyUnlocked => store
            .migrate_with_lock(migrations == Migrations::Apply)
            .await
            .map_err(|e| anyhow::anyhow!("cannot migrate database: {e}"))?,
        Migrations::Check => {
            let pending = store.pending_migrations().await?;
            if !pending.is_empty() {
                anyhow::bail!(
                    "the database lacks migration(s) {pending:?}; run `assocd migrate` first"
                );
            }
        }
        Migrations::Skip => {}
    }
    Ok(store)
}

/// Hides a password in a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// What the server runs with beyond the store.
#[derive(Default)]
pub struct Settings {
    pub api: ApiConfig,
    /// The control plane's admin token; `None` turns the control plane off.
    pub admin_token: Option<String>,
    /// With metrics on (`api.metrics`): serve /metrics on this address instead of the main one.
    pub metrics_listen: Option<String>,
    /// The webhook worker (dispatch, delivery, retention).
    pub webhooks: assocd_webhooks::WebhookConfig,
}

/// A bound, ready server. Binding first lets callers use port 0 and learn the real port.
pub struct Application {
    listener: TcpListener,
    store: SqlStore,
    settings: Settings,
    state: AppState,
    metrics: Option<Metrics>,
}

/// The exporter and, with `--metrics-listen`, its own listener.
struct Metrics {
    handle: metrics_exporter_prometheus::PrometheusHandle,
    listener: Option<TcpListener>,
}

impl Application {
    pub async fn build(listen: &str, store: SqlStore, settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let metrics = match settings.api.metrics {
            true => {
                let handle = crate::metrics::install();
                crate::metrics::set_build_info(store.backend().as_str());
                let listener = match &settings.metrics_listen {
                    Some(addr) => Some(
                        TcpListener::bind(addr)
                            .await
                            .with_context(|| format!("cannot listen on {addr} for metrics"))?,
                    ),
                    None => None,
                };
                Some(Metrics { handle, listener })
            }
            false => None,
        };
        // With metrics on, every store call is timed (after the recorder is installed).
        let shared: Arc<dyn Store> = match metrics {
            Some(_) => Arc::new(assocd_store::Metered::new(store.clone())),
            None => Arc::new(store.clone()),
        };
        let mut api = settings.api.clone();
        // Faults are managed through the control plane: on whenever it is.
        api.faults |= settings.admin_token.is_some();
        let state = AppState::new(shared, api, store.clock().clone());
        Ok(Application {
            listener,
            store,
            settings,
            state,
            metrics,
        })
    }

    /// Starts the background workers (the rate-limit sync, PostgreSQL's auto-ANALYZE); they stop when `stop` turns true.
    async fn start_workers(
        &self,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut workers = Vec::new();
        if let Some(limiter) = self.state.rate_limits.clone() {
            let store = self.state.store.clone();
            if let Err(e) = limiter.load_settings(store.as_ref()).await {
                tracing::warn!(error = %e.message, "rate limits: portal settings not read at start");
            }
            let mut stop = stop.clone();
            workers.push(tokio::spawn(limiter.run(store, async move {
                let _ = stop.wait_for(|s| *s).await;
            })));
        }
        // PostgreSQL: ANALYZE of tables that grew, off the request path (assocd_store::analyze).
        let mut analyze_stop = stop.clone();
        workers.push(tokio::spawn(self.store.clone().auto_analyze(async move {
            let _ = analyze_stop.wait_for(|s| *s).await;
        })));
        let mut stop = stop.clone();
        workers.push(tokio::spawn(assocd_webhooks::run(
            self.state.store.clone(),
            self.state.clock.clone(),
            self.settings.webhooks.clone(),
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        )));
        workers
    }

    /// Where /metrics is served when it has an address of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref()?.listener.as_ref()?.local_addr().ok()
    }

    /// The HubSpot API's state (store, clock, journal), for in-process tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then drains in-flight requests (at most 10 s).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let admin = self.settings.admin_token.as_deref().map(AdminToken::new);
        let control = assocd_control::router(ControlState::new(self.state.clone(), admin));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = self.start_workers(stop_rx).await;
        let mut app = assocd_api::router(self.state).merge(control);
        let (stop_metrics, mut metrics_stopped) = tokio::sync::watch::channel(false);
        if let Some(m) = self.metrics {
            let exporter = crate::metrics::router(m.handle, self.store.clone());
            match m.listener {
                None => app = app.merge(exporter),
                Some(listener) => {
                    let exporter = assocd_api::middleware::outer(exporter);
                    tokio::spawn(async move {
                        let stopped = async move {
                            let _ = metrics_stopped.wait_for(|s| *s).await;
                        };
                        if let Err(e) = axum::serve(listener, exporter)
                            .with_graceful_shutdown(stopped)
                            .await
                        {
                            tracing::error!(error = %e, "the metrics listener failed");
                        }
                    });
                }
            }
        }
        let app = assocd_api::middleware::outer(app);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            assocd_api::conn::Listener(self.listener),
            app.into_make_service_with_connect_info::<assocd_api::conn::ConnInfo>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_metrics.send(true);
            let _ = tx.send(());
        });
        // On a worker, not on the thread that blocks on `main`: the accept loop allocates every
        // connection's task, and only workers give their free memory back when they go idle
        // (crate::runtime).
        let server = tokio::spawn(server.into_future());
        let drained = async {
            let _ = rx.await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        };
        tokio::select! {
            r = server => r.context("server task failed")?.context("server failed")?,
            _ = drained => tracing::warn!("shutdown: requests still running after 10 s; stopping anyway"),
        }
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        self.store.close().await;
        Ok(())
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
