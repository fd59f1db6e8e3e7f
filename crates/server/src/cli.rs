//! Command line: `serve`, `migrate`, `export`, `import` and `token create|list|revoke`. Every
//! flag also reads an environment variable; its doc comment is its `--help`.

use crate::app::{
    open_store, open_store_with, redact, shutdown_signal, Application, Migrations, Settings,
};
use crate::telemetry::LogFormat;
use assocd_api::ApiConfig;
use assocd_control::portals::{all_scopes, new_secret};
use assocd_control::AdminToken;
use assocd_core::rate_limit::Tier;
use assocd_core::store::TokenStore;
use assocd_core::token::hash_secret;
use assocd_store::{Backend, ConnectOptions};
use clap::{Args, Parser, Subcommand};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "assocd",
    version,
    about = "HubSpot CRM Associations v4 API, self-hosted"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log lines on stderr: `text`, `json` (one object per line), or `auto` (text on a
    /// terminal, JSON otherwise).
    #[arg(long, global = true, env = "ASSOCD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(MigrateArgs),
    /// Write the database (or one portal) to stdout as JSON Lines: tokens (hashes only),
    /// labels with their type ids, limits, associations and reports.
    Export(ExportArgs),
    /// Read a dump made by `assocd export` from stdin into the database, all or nothing.
    Import(ImportArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage portals (what the control plane's /_assocd/portals does, from a terminal).
    #[command(subcommand)]
    Portal(PortalCommand),
    /// Apply fixture documents (a starting state: portals, tokens, labels, limits, associations).
    #[command(subcommand)]
    Fixtures(FixturesCommand),
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Create a token for a portal (a fresh portal id when --portal is absent) and print it.
    Create {
        /// The portal (HubSpot account id); default: a fresh, never used id.
        #[arg(long)]
        portal: Option<i64>,
        /// A scope to grant (repeatable); default: every scope this API accepts.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List portals with their counts of tokens, labels, limits and associations.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove a portal's labels, limits, associations and reports (its tokens stay).
    Reset {
        portal: i64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove a portal entirely: its data and its tokens.
    Delete {
        portal: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Apply a fixture file to the database, all or nothing (applying it again changes nothing).
    Apply {
        file: std::path::PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Technical maximum of `maxToObjectIds` for the fixture's limits.
        #[arg(long, env = "ASSOCD_MAX_ASSOCIATION_LIMIT", default_value_t = 50_000)]
        max_association_limit: i64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://PATH` (embedded, the default) or `postgres://…`.
    #[arg(
        long,
        env = "ASSOCD_DATABASE",
        default_value = "sqlite://./assocd-data/assocd.sqlite"
    )]
    pub database: String,
    /// Most database connections in the pool (SQLite: readers; there is always one writer).
    #[arg(long, env = "ASSOCD_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// Milliseconds to wait for a database connection (opening one included) before answering
    /// 503; on SQLite also how long a write waits for another process's lock.
    #[arg(long, env = "ASSOCD_CONNECT_TIMEOUT_MS", default_value_t = 5000)]
    pub connect_timeout_ms: u64,
    /// PostgreSQL statement timeout in milliseconds (a slower statement is cancelled and the
    /// request answers 503).
    #[arg(long, env = "ASSOCD_STATEMENT_TIMEOUT_MS", default_value_t = 10000)]
    pub statement_timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Do not take PostgreSQL's advisory lock (for engines without `pg_advisory_lock`); then
    /// run this once, alone, and start the replicas with `serve --no-migrate`.
    #[arg(long, env = "ASSOCD_MIGRATE_NO_LOCK")]
    pub no_lock: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Export only this portal (HubSpot account id); default: every portal.
    #[arg(long)]
    pub portal: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

impl DbArgs {
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            max_connections: self.pool_size.max(1),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ASSOCD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Do not apply migrations at start; only check that `assocd migrate` has applied them.
    #[arg(long, env = "ASSOCD_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Make sure this token exists (all scopes, portal `--portal`); for local use and tests.
    #[arg(long, env = "ASSOCD_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,
    /// Portal (HubSpot account id) of the bootstrap token.
    #[arg(long, env = "ASSOCD_PORTAL", default_value_t = 1)]
    pub portal: i64,
    /// Technical maximum of `maxToObjectIds` for association limits.
    #[arg(long, env = "ASSOCD_MAX_ASSOCIATION_LIMIT", default_value_t = 50_000)]
    pub max_association_limit: i64,
    /// Largest request body in bytes; larger ones answer 413.
    #[arg(long, env = "ASSOCD_BODY_LIMIT", default_value_t = 8 * 1024 * 1024)]
    pub body_limit: usize,
    /// The control plane's admin token (`/_assocd/...` needs `Authorization: Bearer <it>`);
    /// without it the control plane is off.
    #[arg(long, env = "ASSOCD_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Requests the in-memory request journal keeps (`GET /_assocd/requests`); 0 turns it off.
    #[arg(long, env = "ASSOCD_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,
    /// HubSpot's API rate limits: `off`, or `hubspot` (every portal on the `starter` tier
    /// unless it has its own, set with `PUT /_assocd/portals/{id}/rate-limits` or a fixture).
    #[arg(long, env = "ASSOCD_RATE_LIMITS", default_value = "off", value_parser = ["off", "hubspot"])]
    pub rate_limits: String,
    /// Milliseconds between two exchanges of rate-limit counts with the database (replicas on
    /// one database count together; the smaller, the tighter) [default: 5 on PostgreSQL, 1000
    /// on SQLite].
    #[arg(long, env = "ASSOCD_RATE_LIMIT_SYNC_MS")]
    pub rate_limit_sync_ms: Option<u64>,
    /// A fixture file to apply at start (repeatable; applying one again changes nothing).
    #[arg(long = "fixtures", env = "ASSOCD_FIXTURES", value_delimiter = ',')]
    pub fixtures: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// The access log: one info line per HubSpot-API request (target `assocd::access`), and
    /// the request's correlation id on every line logged while serving it.
    #[arg(long = "access-log", env = "ASSOCD_ACCESS_LOG", value_enum, default_value_t = Switch::On)]
    pub access_log: Switch,
    /// Multiplies the webhook retry delays (1: HubSpot's 10 retries over about 24 hours;
    /// 0.001 compresses them to about 90 seconds, for tests).
    #[arg(long, env = "ASSOCD_WEBHOOK_RETRY_SCALE", default_value_t = 1.0)]
    pub webhook_retry_scale: f64,
    /// How long OAuth access tokens live (`expires_in`): a number with `ms`, `s`, `m`, `h` or
    /// `d` [HubSpot: 1800 s; make it short to test a client's refresh].
    #[arg(long, env = "ASSOCD_OAUTH_TOKEN_TTL", default_value = "1800s", value_parser = parse_duration)]
    pub oauth_token_ttl: Duration,
    /// How long change events are kept for the feed (`/_assocd/events`), delivered or not:
    /// a number with `ms`, `s`, `m`, `h` or `d` [HubSpot's journal keeps 3 days].
    #[arg(long, env = "ASSOCD_EVENT_RETENTION", default_value = "3d", value_parser = parse_duration)]
    pub event_retention: Duration,
    /// How long a replica keeps a claimed webhook delivery before another replica may take it
    /// over (PostgreSQL).
    #[arg(long, env = "ASSOCD_WEBHOOK_LEASE", default_value = "30s", value_parser = parse_duration, hide = true)]
    pub webhook_lease: Duration,
}

/// Prometheus metrics (docs/operations.md).
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Prometheus metrics: `on` (GET /metrics, no authentication) or `off` (no exporter, no
    /// metrics layer, no timed store).
    #[arg(long = "metrics", env = "ASSOCD_METRICS", value_enum, default_value_t = Switch::On)]
    pub metrics: Switch,
    /// Serve /metrics on this address only (not on the main port).
    #[arg(long = "metrics-listen", env = "ASSOCD_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Count requests per portal too (a `portal` label: one series per portal).
    #[arg(long = "metrics-per-portal", env = "ASSOCD_METRICS_PER_PORTAL")]
    pub metrics_per_portal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (the only time it is shown).
    Create {
        /// Portal (HubSpot account id) the token acts for.
        #[arg(long)]
        portal: i64,
        /// A scope to grant (repeatable); default: every scope this API accepts.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List live tokens (ids, portals, scope counts; never secrets).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its id (as `token list` shows it).
    Revoke {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate(args) => {
            let how = if args.no_lock {
                Migrations::ApplyUnlocked
            } else {
                Migrations::Apply
            };
            open_store_with(&args.db.database, &args.db.options(), how).await?;
            println!("migrations applied to {}", redact(&args.db.database));
            Ok(())
        }
        Command::Export(args) => {
            let store =
                open_store_with(&args.db.database, &args.db.options(), Migrations::Skip).await?;
            let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
            let info = crate::dump::export(&store, args.portal, out).await?;
            let rows: u64 = info.tables.iter().map(|t| t.rows).sum();
            eprintln!(
                "assocd: exported {rows} rows from {} table(s)",
                info.tables.len()
            );
            Ok(())
        }
        Command::Import(args) => {
            let store = open_store(&args.db.database, &args.db.options()).await?;
            let (info, summary) = crate::dump::import(
                &store,
                std::io::BufReader::with_capacity(1 << 16, std::io::stdin()),
            )
            .await?;
            eprintln!(
                "assocd: imported {} rows from a {} dump ({} already present)",
                summary.inserted, info.backend, summary.unchanged
            );
            Ok(())
        }
        Command::Token(cmd) => token(cmd).await,
        Command::Portal(cmd) => crate::admin::portal(cmd).await,
        Command::Fixtures(cmd) => crate::admin::fixtures(cmd).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let migrations = if args.no_migrate {
        Migrations::Check
    } else {
        Migrations::Apply
    };
    if args
        .admin_token
        .as_deref()
        .is_some_and(|a| a.trim().is_empty())
    {
        anyhow::bail!("--admin-token must not be empty");
    }
    if !(args.webhook_retry_scale.is_finite() && args.webhook_retry_scale > 0.0) {
        anyhow::bail!("--webhook-retry-scale must be a positive number");
    }
    if args.admin_token.is_some() && args.admin_token == args.bootstrap_token {
        anyhow::bail!("the admin token and the bootstrap token must differ");
    }
    if args.metrics.metrics_listen.is_some() && args.metrics.metrics == Switch::Off {
        anyhow::bail!("--metrics-listen needs --metrics on");
    }
    let store = open_store_with(&args.db.database, &args.db.options(), migrations).await?;
    let admin = args.admin_token.as_deref().map(AdminToken::new);
    for file in &args.fixtures {
        let summary = crate::admin::apply_fixture_file(
            &store,
            file,
            admin.as_ref(),
            args.max_association_limit,
        )
        .await?;
        tracing::info!(file = %file.display(), ?summary, "fixture applied");
    }
    if let Some(secret) = &args.bootstrap_token {
        store
            .put_token(&hash_secret(secret), args.portal, &all_scopes())
            .await?;
    } else if store.list_tokens().await?.is_empty() {
        let secret = new_secret();
        store
            .put_token(&hash_secret(&secret), args.portal, &all_scopes())
            .await?;
        println!(
            "assocd: created a token for portal {} (shown once): {secret}",
            args.portal
        );
    }
    let settings = Settings {
        api: ApiConfig {
            max_association_limit: args.max_association_limit,
            body_limit: args.body_limit,
            journal_size: args.journal_size,
            rate_limits: (args.rate_limits == "hubspot").then_some(Tier::Starter),
            rate_limit_sync: Duration::from_millis(
                args.rate_limit_sync_ms
                    .unwrap_or(match Backend::of_url(&args.db.database) {
                        Backend::Postgres => 5,
                        Backend::Sqlite => 1000,
                    })
                    .max(1),
            ),
            faults: args.admin_token.is_some(),
            metrics: args.metrics.metrics == Switch::On,
            metrics_per_portal: args.metrics.metrics_per_portal,
            oauth_token_ttl: args.oauth_token_ttl,
            access_log: args.access_log == Switch::On,
        },
        admin_token: args.admin_token.clone(),
        metrics_listen: args.metrics.metrics_listen.clone(),
        webhooks: assocd_webhooks::WebhookConfig {
            retry_scale: args.webhook_retry_scale,
            event_retention: args.event_retention,
            lease: args.webhook_lease,
            ..Default::default()
        },
    };
    let app = Application::build(&args.listen, store, settings).await?;
    if let Some(addr) = app.metrics_addr() {
        println!("assocd metrics on http://{addr}/metrics");
    }
    let addr = app.local_addr();
    tracing::info!(%addr, database = %redact(&args.db.database), control_plane = args.admin_token.is_some(), "assocd listening");
    println!("assocd listening on http://{addr}");
    app.run_until(shutdown_signal()).await
}

/// A duration: a number followed by `ms`, `s`, `m`, `h` or `d` (`3d`, `90s`, `500ms`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| format!("'{text}': give a unit (ms, s, m, h or d)"))?;
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a number with a unit"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => return Err(format!("'{text}': the unit is ms, s, m, h or d")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{text}': {e}"))
}

async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { portal, scopes, db } => {
            let store = open_store(&db.database, &db.options()).await?;
            let scopes = if scopes.is_empty() {
                all_scopes()
            } else {
                scopes
            };
            let secret = new_secret();
            let info = store
                .put_token(&hash_secret(&secret), portal, &scopes)
                .await?;
            eprintln!(
                "token {} for portal {} with {} scope(s)",
                info.id,
                info.portal_id,
                info.scopes.len()
            );
            println!("{secret}");
        }
        TokenCommand::List { db } => {
            let store = open_store(&db.database, &db.options()).await?;
            println!("id\tportal\tscopes\tcreated_at_ms");
            for t in store.list_tokens().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    t.id,
                    t.portal_id,
                    t.scopes.len(),
                    t.created_at_ms
                );
            }
        }
        TokenCommand::Revoke { id, db } => {
            let store = open_store(&db.database, &db.options()).await?;
            if !store.revoke_token(&id).await? {
                anyhow::bail!("no live token with id {id}");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
