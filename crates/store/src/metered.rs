//! `Metered`: the store traits around any store, timing each call into
//! `assocd_store_call_duration_seconds{kind}` where `kind` is the trait method (`find_token`,
//! `list_associations`, `write_associations`, ...).
//!
//! Why a decorator and not timers inside `SqlStore`: it measures what a caller waits for (the
//! group-commit queue, transaction retries and the pool wait included), it covers every method
//! of every trait the same way without touching the SQL code, and when metrics are off the
//! server does not wrap the store at all, so it costs nothing. A method added to a store trait
//! gets one line below (the compiler asks for it).
//!
//! Handles are registered on first use and kept in a static per method: wrap the store only
//! after the metrics recorder is installed.

use assocd_core::apps::{
    App, AppId, NewApp, NewSubscription, Subscription, SubscriptionId, WebhookSettings,
};
use assocd_core::events::{AttemptResult, ChangeSource, Claims, EventFilter, EventPage, Tick};
use assocd_core::fixture::{Fixture, FixtureSummary};
use assocd_core::limits::{LimitInput, PurgeInput};
use assocd_core::oauth::{CodeGrant, NewOAuthToken, OAuthToken};
use assocd_core::rate_limit::RateLimitSetting;
use assocd_core::rate_window::{Decide, Delta};
use assocd_core::records::{HighUsageReport, LinkEdit, LinkOutcome, Page};
use assocd_core::search::{RecordPage, RecordQuery};
use assocd_core::store::{
    AppStore, AssociationStore, BrowseStore, LabelStore, LimitOp, LimitStore, LimitUsage,
    OAuthStore, OutboxStore, PortalStore, PortalSummary, RateLimitStore, Result, StoreHealth,
    TokenStore, WebhookStore,
};
use assocd_core::token::TokenInfo;
use assocd_core::{
    LabelRename, Limit, NewLabel, ObjectType, Pair, PortalId, RecordId, TypeId, UserLabel,
};
use async_trait::async_trait;

pub const STORE_CALL_DURATION: &str = "assocd_store_call_duration_seconds";

/// A store whose calls are timed.
pub struct Metered<S> {
    inner: S,
}

impl<S> Metered<S> {
    pub fn new(inner: S) -> Self {
        Metered { inner }
    }
}

/// `impl Trait for Metered<S>`: each listed method delegates to the inner store and records
/// its duration under its name; `extra` items are copied as they are.
macro_rules! timed {
    ($trait:ident { $(async fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)* } $($extra:item)*) => {
        #[async_trait]
        impl<S: $trait> $trait for Metered<S> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    static HISTOGRAM: std::sync::OnceLock<metrics::Histogram> =
                        std::sync::OnceLock::new();
                    let started = std::time::Instant::now();
                    let out = self.inner.$name($($arg),*).await;
                    HISTOGRAM
                        .get_or_init(|| {
                            metrics::histogram!(STORE_CALL_DURATION, "kind" => stringify!($name))
                        })
                        .record(started.elapsed().as_secs_f64());
                    out
                }
            )*
            $($extra)*
        }
    };
}

timed! { TokenStore {
    async fn put_token(&self, hash: &str, portal_id: PortalId, scopes: &[String]) -> Result<TokenInfo>;
    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>>;
    async fn list_tokens(&self) -> Result<Vec<TokenInfo>>;
    async fn revoke_token(&self, id: &str) -> Result<bool>;
} }

timed! { LabelStore {
    async fn list_labels(&self, portal: PortalId, pair: &Pair) -> Result<Vec<UserLabel>>;
    async fn create_label(&self, portal: PortalId, label: &NewLabel) -> Result<Vec<UserLabel>>;
    async fn rename_label(&self, portal: PortalId, rename: &LabelRename) -> Result<()>;
    async fn delete_label(&self, portal: PortalId, pair: &Pair, type_id: TypeId, source: &ChangeSource) -> Result<()>;
} }

timed! { LimitStore {
    async fn list_limits(&self, portal: PortalId, pair: Option<&Pair>) -> Result<Vec<Limit>>;
    async fn write_limits(&self, portal: PortalId, pair: &Pair, op: LimitOp, inputs: &[LimitInput], max_allowed: i64) -> Result<Vec<Result<Limit>>>;
    async fn purge_limits(&self, portal: PortalId, pair: &Pair, inputs: &[PurgeInput], all_or_nothing: bool) -> Result<Vec<Result<()>>>;
} }

timed! { AssociationStore {
    async fn list_associations(&self, portal: PortalId, pair: &Pair, from: RecordId, after: Option<RecordId>, limit: usize) -> Result<Page>;
    async fn read_associations(&self, portal: PortalId, pair: &Pair, inputs: &[(RecordId, Option<RecordId>)], limit: usize) -> Result<Vec<Page>>;
    async fn write_associations(&self, portal: PortalId, pair: &Pair, edits: &[LinkEdit], all_or_nothing: bool, source: &ChangeSource) -> Result<Vec<Result<LinkOutcome>>>;
    async fn create_high_usage_report(&self, portal: PortalId, user_id: i32) -> Result<HighUsageReport>;
    async fn high_usage_report(&self, portal: PortalId, user_id: i32) -> Result<Option<HighUsageReport>>;
    async fn search_records(&self, portal: PortalId, object_type: &ObjectType, query: &RecordQuery) -> Result<RecordPage>;
} }

timed! { PortalStore {
    async fn create_portal(&self, portal: Option<PortalId>, hash: &str, scopes: &[String]) -> Result<(PortalId, TokenInfo)>;
    async fn list_portals(&self) -> Result<Vec<PortalSummary>>;
    async fn reset_portal(&self, portal: PortalId, delete: bool) -> Result<bool>;
    async fn reset_all(&self) -> Result<()>;
    async fn apply_fixture(&self, fixture: &Fixture, max_limit: i64) -> Result<FixtureSummary>;
} }

timed! { RateLimitStore {
    async fn put_rate_limits(&self, portal: PortalId, setting: &RateLimitSetting) -> Result<bool>;
    async fn rate_limits_of(&self, portal: PortalId) -> Result<(bool, Option<RateLimitSetting>)>;
    async fn all_rate_limits(&self) -> Result<Vec<(PortalId, RateLimitSetting)>>;
    async fn leave_rate_hits(&self, replica: &str) -> Result<()>;
    async fn exchange_rate_hits(&self, replica: &str, deltas: &[Delta], ten_from: i64, day: i64, sweep: bool, decide: &Decide<'_>) -> Result<()>;
} }

timed! { AppStore {
    async fn create_app(&self, app: &NewApp) -> Result<App>;
    async fn list_apps(&self) -> Result<Vec<App>>;
    async fn get_app(&self, app_id: AppId) -> Result<Option<App>>;
    async fn delete_app(&self, app_id: AppId) -> Result<bool>;
    async fn install_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>>;
    async fn uninstall_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>>;
    async fn app_for_key(&self, key_hash: &str) -> Result<Option<AppId>>;
} }

timed! { OAuthStore {
    async fn app_for_client(&self, client_id: &str) -> Result<Option<App>>;
    async fn authorize(&self, code_hash: &str, grant: &CodeGrant) -> Result<Option<()>>;
    async fn find_code(&self, code_hash: &str) -> Result<Option<CodeGrant>>;
    async fn redeem_code(&self, code_hash: &str, tokens: &[NewOAuthToken]) -> Result<bool>;
    async fn put_oauth_tokens(&self, tokens: &[NewOAuthToken]) -> Result<()>;
    async fn find_oauth_token(&self, hash: &str) -> Result<Option<OAuthToken>>;
    async fn revoke_oauth_token(&self, hash: &str) -> Result<bool>;
} }

timed! { WebhookStore {
    async fn webhook_settings(&self, app_id: AppId) -> Result<Option<WebhookSettings>>;
    async fn put_webhook_settings(&self, app_id: AppId, target_url: &str, max_concurrent_requests: i64) -> Result<WebhookSettings>;
    async fn delete_webhook_settings(&self, app_id: AppId) -> Result<bool>;
    async fn list_subscriptions(&self, app_id: AppId) -> Result<Vec<Subscription>>;
    async fn create_subscription(&self, app_id: AppId, new: &NewSubscription) -> Result<Subscription>;
    async fn subscription(&self, app_id: AppId, id: SubscriptionId) -> Result<Option<Subscription>>;
    async fn set_subscriptions_active(&self, app_id: AppId, changes: &[(SubscriptionId, bool)]) -> Result<Vec<Result<Subscription>>>;
    async fn delete_subscription(&self, app_id: AppId, id: SubscriptionId) -> Result<bool>;
} }

timed! { OutboxStore {
    async fn outbox_tick(&self, owner: &str, results: &[AttemptResult], max_events: usize) -> Result<Tick>;
    async fn claim_batches(&self, owner: &str, now_ms: i64, lease_ms: i64, max: usize) -> Result<Claims>;
    async fn redeliver(&self, event_id: i64, now_ms: i64) -> Result<Option<usize>>;
    async fn outbox_depth(&self) -> Result<i64>;
    async fn list_events(&self, filter: &EventFilter) -> Result<EventPage>;
    async fn clean_events(&self, events_before: i64, deliveries_before: i64) -> Result<u64>;
}
    // A wait, not a call: not timed.
    async fn changes_committed(&self) {
        self.inner.changes_committed().await
    }
}

timed! { BrowseStore {
    async fn portal_summaries(&self, after: Option<PortalId>, limit: usize) -> Result<Vec<PortalSummary>>;
    async fn portal_labels(&self, portal: PortalId, after: Option<TypeId>, limit: usize) -> Result<Vec<UserLabel>>;
    async fn linked_types(&self, portal: PortalId, object_type: &ObjectType, record: RecordId) -> Result<Vec<ObjectType>>;
    async fn limit_usage(&self, portal: PortalId, limit: &Limit, top: usize) -> Result<LimitUsage>;
    async fn records_at_usage(&self, portal: PortalId, limit: &Limit, min_count: i64, after: Option<RecordId>, page: usize) -> Result<Vec<(RecordId, i64)>>;
    async fn portal_tokens(&self, portal: PortalId, limit: usize) -> Result<Vec<TokenInfo>>;
    async fn events_waiting(&self, first: PortalId, last: PortalId) -> Result<Vec<(PortalId, i64)>>;
} }

timed! { StoreHealth {
    async fn ping(&self) -> Result<()>;
    async fn pending_migrations(&self) -> Result<Vec<i64>>;
}
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }
}
