//! `assocd portal …` and `assocd fixtures apply`: the control plane's portal and fixture
//! operations for a person at a terminal, straight on the database (no server needed; a
//! running server sees the result, its token cache within a second).

use crate::app::{open_store, redact};
use crate::cli::{FixturesCommand, PortalCommand};
use assocd_control::fixture_doc::FixtureDoc;
use assocd_control::portals::{all_scopes, check_scopes, new_secret};
use assocd_control::AdminToken;
use assocd_core::fixture::FixtureSummary;
use assocd_core::store::PortalStore;
use assocd_core::token::hash_secret;
use assocd_store::SqlStore;
use std::path::Path;

/// Reads, checks and applies one fixture file; errors name the file and the bad entry.
pub async fn apply_fixture_file(
    store: &SqlStore,
    file: &Path,
    admin: Option<&AdminToken>,
    max_association_limit: i64,
) -> anyhow::Result<FixtureSummary> {
    let bytes = std::fs::read(file)
        .map_err(|e| anyhow::anyhow!("cannot read fixture {}: {e}", file.display()))?;
    let refused = |e: assocd_api::ApiError| {
        anyhow::anyhow!("fixture {} refused: {}", file.display(), error_text(e))
    };
    let fixture = FixtureDoc::parse(&bytes)
        .and_then(|doc| doc.into_fixture(admin))
        .map_err(refused)?;
    store
        .apply_fixture(&fixture, max_association_limit)
        .await
        .map_err(|e| refused(e.into()))
}

/// The message of an API error, as a person reads it.
fn error_text(e: assocd_api::ApiError) -> String {
    match e {
        assocd_api::ApiError::Domain(d) => d.message,
        assocd_api::ApiError::Invalid {
            message, details, ..
        } => match details.first() {
            Some(d) => format!("{message} ({})", d.message),
            None => message,
        },
        other => format!("{other:?}"),
    }
}

pub async fn fixtures(cmd: FixturesCommand) -> anyhow::Result<()> {
    match cmd {
        FixturesCommand::Apply {
            file,
            db,
            max_association_limit,
        } => {
            let store = open_store(&db.database, &db.options()).await?;
            let s = apply_fixture_file(&store, &file, None, max_association_limit).await?;
            println!(
                "applied {} to {}: created {} portal(s), {} token(s), {} label(s), {} limit(s), {} association(s), {} app(s)",
                file.display(),
                redact(&db.database),
                s.portals,
                s.tokens,
                s.labels,
                s.limits,
                s.associations,
                s.apps
            );
        }
    }
    Ok(())
}

pub async fn portal(cmd: PortalCommand) -> anyhow::Result<()> {
    match cmd {
        PortalCommand::Create { portal, scopes, db } => {
            if portal.is_some_and(|p| p <= 0) {
                anyhow::bail!("--portal must be a positive integer");
            }
            let scopes = if scopes.is_empty() {
                all_scopes()
            } else {
                check_scopes(&scopes, "--scope").map_err(|e| anyhow::anyhow!(error_text(e)))?;
                scopes
            };
            let store = open_store(&db.database, &db.options()).await?;
            let secret = new_secret();
            let (id, info) = store
                .create_portal(portal, &hash_secret(&secret), &scopes)
                .await?;
            eprintln!(
                "portal {id}: token {} with {} scope(s)",
                info.id,
                info.scopes.len()
            );
            println!("{id}\t{secret}");
        }
        PortalCommand::List { db } => {
            let store = open_store(&db.database, &db.options()).await?;
            println!("portal\ttokens\tlabels\tlimits\tassociations");
            for p in store.list_portals().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    p.portal_id, p.tokens, p.labels, p.limits, p.associations
                );
            }
        }
        PortalCommand::Reset { portal, db } => reset(portal, &db, false).await?,
        PortalCommand::Delete { portal, db } => reset(portal, &db, true).await?,
    }
    Ok(())
}

async fn reset(portal: i64, db: &crate::cli::DbArgs, delete: bool) -> anyhow::Result<()> {
    let store = open_store(&db.database, &db.options()).await?;
    if !store.reset_portal(portal, delete).await? {
        anyhow::bail!("no portal {portal}");
    }
    println!(
        "{} portal {portal}",
        if delete { "deleted" } else { "reset" }
    );
    Ok(())
}
