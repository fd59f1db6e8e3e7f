//! The storage traits. Batch-first: slices in, per-item outcomes out; every call is one
//! transaction. Implementations live in `assocd-store`; business rules that need a consistent
//! view of stored data are pure functions in this crate (`limits`), called by the store inside
//! its transaction so every backend applies them identically.

use crate::apps::{
    App, AppId, NewApp, NewSubscription, Subscription, SubscriptionId, WebhookSettings,
};
use crate::events::{AttemptResult, ChangeSource, Claims, EventFilter, EventPage, Tick};
use crate::fixture::{Fixture, FixtureSummary};
use crate::limits::{LimitInput, PurgeInput};
use crate::oauth::{CodeGrant, NewOAuthToken, OAuthToken};
use crate::rate_limit::RateLimitSetting;
use crate::rate_window::{Decide, Delta};
use crate::records::{HighUsageReport, LinkEdit, LinkOutcome, Page};
use crate::search::{RecordPage, RecordQuery};
use crate::token::TokenInfo;
use crate::{
    Error, LabelRename, Limit, NewLabel, ObjectType, Pair, PortalId, RecordId, TypeId, UserLabel,
};
use async_trait::async_trait;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a token by hash; returns what was stored. Idempotent on the hash.
    async fn put_token(
        &self,
        hash: &str,
        portal_id: PortalId,
        scopes: &[String],
    ) -> Result<TokenInfo>;
    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>>;
    async fn list_tokens(&self) -> Result<Vec<TokenInfo>>;
    /// Revokes by public id; false when no live token has that id.
    async fn revoke_token(&self, id: &str) -> Result<bool>;
}

#[async_trait]
pub trait LabelStore: Send + Sync {
    /// The portal's own labels for one direction, in type id order.
    async fn list_labels(&self, portal: PortalId, pair: &Pair) -> Result<Vec<UserLabel>>;
    /// Creates a label (one type per direction); returns the created directions.
    async fn create_label(&self, portal: PortalId, label: &NewLabel) -> Result<Vec<UserLabel>>;
    async fn rename_label(&self, portal: PortalId, rename: &LabelRename) -> Result<()>;
    /// Deletes both directions of the label, its limits and its uses on associations (each
    /// use removed is a change event of `source`).
    async fn delete_label(
        &self,
        portal: PortalId,
        pair: &Pair,
        type_id: TypeId,
        source: &ChangeSource,
    ) -> Result<()>;
}

/// What a limits batch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitOp {
    Create,
    Update,
}

#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Every limit of the portal, or only those of one direction.
    async fn list_limits(&self, portal: PortalId, pair: Option<&Pair>) -> Result<Vec<Limit>>;
    /// Creates or updates limits; each input gets its own outcome, valid ones are applied together.
    async fn write_limits(
        &self,
        portal: PortalId,
        pair: &Pair,
        op: LimitOp,
        inputs: &[LimitInput],
        max_allowed: i64,
    ) -> Result<Vec<Result<Limit>>>;
    /// Removes limits. With `all_or_nothing`, any invalid input cancels the whole batch.
    async fn purge_limits(
        &self,
        portal: PortalId,
        pair: &Pair,
        inputs: &[PurgeInput],
        all_or_nothing: bool,
    ) -> Result<Vec<Result<()>>>;
}

#[async_trait]
pub trait AssociationStore: Send + Sync {
    /// One page of `from`'s associations to `to_type` (R1), ordered by the associated record's
    /// id, starting after `after`; at most `limit` records.
    async fn list_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        from: RecordId,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Page>;
    /// One page per input (R6): `(record, after)`.
    async fn read_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        inputs: &[(RecordId, Option<RecordId>)],
        limit: usize,
    ) -> Result<Vec<Page>>;
    /// Applies edits in order in one transaction (R2-R5, R7-R9), both directions at once and
    /// limits checked; each input gets its own outcome and a failed input writes nothing. With
    /// `all_or_nothing`, any failed input rolls the whole batch back and is the error. Every
    /// row added or removed is a change event of `source`, written in the same transaction.
    async fn write_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        edits: &[LinkEdit],
        all_or_nothing: bool,
        source: &ChangeSource,
    ) -> Result<Vec<Result<LinkOutcome>>>;
    /// Computes and keeps the portal's high-usage report (records at 80% or more of a
    /// user-enforced limit) requested by `user_id`.
    async fn create_high_usage_report(
        &self,
        portal: PortalId,
        user_id: i32,
    ) -> Result<HighUsageReport>;
    /// The last report `user_id` requested, if any.
    async fn high_usage_report(
        &self,
        portal: PortalId,
        user_id: i32,
    ) -> Result<Option<HighUsageReport>>;
    /// The records search (Q1): one page of the records of `object_type` that match the
    /// query's filter groups, and how many match in all, read in one snapshot.
    async fn search_records(
        &self,
        portal: PortalId,
        object_type: &ObjectType,
        query: &RecordQuery,
    ) -> Result<RecordPage>;
}

/// A portal (HubSpot account) and how much it holds, for the control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSummary {
    pub portal_id: PortalId,
    /// Live tokens.
    pub tokens: i64,
    /// The portal's own labels (a paired label once, plain types not at all).
    pub labels: i64,
    pub limits: i64,
    /// Associated record pairs (each pair once, whatever its types).
    pub associations: i64,
}

/// Portals as a whole: what the control plane (`/_assocd/`) and the CLI manage.
#[async_trait]
pub trait PortalStore: Send + Sync {
    /// Registers `portal` (a fresh id, never used before, when `None`) and stores a token for
    /// it, in one transaction.
    async fn create_portal(
        &self,
        portal: Option<PortalId>,
        hash: &str,
        scopes: &[String],
    ) -> Result<(PortalId, TokenInfo)>;
    /// Every portal with its counts, in id order.
    async fn list_portals(&self) -> Result<Vec<PortalSummary>>;
    /// Removes every label, limit, association and report of the portal (and its tokens, and
    /// the portal itself, with `delete`); false when there is no such portal.
    async fn reset_portal(&self, portal: PortalId, delete: bool) -> Result<bool>;
    /// Resets every portal at once (tokens stay).
    async fn reset_all(&self) -> Result<()>;
    /// Applies a fixture in one transaction: any bad entry fails the whole document with a
    /// validation error naming the entry, and nothing is applied. Limits on associations are
    /// enforced as for the API; `max_limit` is the technical maximum of a limit.
    async fn apply_fixture(&self, fixture: &Fixture, max_limit: i64) -> Result<FixtureSummary>;
}

/// HubSpot's rate limits: each portal's own setting, and the calls each replica admitted, so
/// replicas on one database count together.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Sets a portal's own setting; false when there is no such portal.
    async fn put_rate_limits(&self, portal: PortalId, setting: &RateLimitSetting) -> Result<bool>;
    /// Whether the portal exists, and its own setting if it has one.
    async fn rate_limits_of(&self, portal: PortalId) -> Result<(bool, Option<RateLimitSetting>)>;
    /// Every portal's own setting.
    async fn all_rate_limits(&self) -> Result<Vec<(PortalId, RateLimitSetting)>>;
    /// One exchange of `replica`, in one serializable transaction: adds its deltas and a
    /// heartbeat; reads the other replicas' hits of the current windows (ten-secondly buckets
    /// from `ten_from` on, daily ones of `day`) and the claims of those alive (heartbeat in the
    /// last 3 s); calls `decide` with them and the number of replicas alive (this one
    /// included); and stores the claims `decide` returns as this replica's only ones. `decide`
    /// may run more than once (the transaction is retried on conflicts). With `sweep`, also
    /// removes rows that left every window (any replica's, so a stopped replica leaves nothing
    /// behind).
    /// Removes `replica`'s heartbeat and claims (its counts stay, for the windows), so the other
    /// replicas stop counting it at once when it shuts down.
    async fn leave_rate_hits(&self, replica: &str) -> Result<()>;
    #[allow(clippy::too_many_arguments)]
    async fn exchange_rate_hits(
        &self,
        replica: &str,
        deltas: &[Delta],
        ten_from: i64,
        day: i64,
        sweep: bool,
        decide: &Decide<'_>,
    ) -> Result<()>;
}

/// Apps (the control plane's `/_assocd/apps`) and where they are installed.
#[async_trait]
pub trait AppStore: Send + Sync {
    /// Creates an app (a fresh id when none is given) and installs it in its portals, which are
    /// registered when new. An id or developer key already in use is a conflict.
    async fn create_app(&self, app: &NewApp) -> Result<App>;
    /// Every app, in id order.
    async fn list_apps(&self) -> Result<Vec<App>>;
    async fn get_app(&self, app_id: AppId) -> Result<Option<App>>;
    /// Removes the app, its installs, settings, subscriptions and pending deliveries; false
    /// when there is no such app.
    async fn delete_app(&self, app_id: AppId) -> Result<bool>;
    /// Installs the app in a portal (registered when new); `None` when there is no such app,
    /// else whether the install is new.
    async fn install_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>>;
    /// Uninstalls the app from a portal: drops its pending deliveries there and revokes its
    /// OAuth codes and tokens there; `None` when there is no such app, else whether it was
    /// installed.
    async fn uninstall_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>>;
    /// The app whose developer API key hashes to `key_hash`.
    async fn app_for_key(&self, key_hash: &str) -> Result<Option<AppId>>;
}

/// OAuth codes and tokens of apps (HubSpot's `/oauth/...`), stored by hash. Access tokens are
/// also found by `TokenStore::find_token`, like portal tokens.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// The app whose OAuth client id is `client_id`.
    async fn app_for_client(&self, client_id: &str) -> Result<Option<App>>;
    /// Installs the app in `portal` (registered when new) and stores an authorization code
    /// (by hash) granting `grant`; `None` when there is no such app.
    async fn authorize(&self, code_hash: &str, grant: &CodeGrant) -> Result<Option<()>>;
    /// The code of that hash, used or not.
    async fn find_code(&self, code_hash: &str) -> Result<Option<CodeGrant>>;
    /// Marks the code used and stores `tokens`, in one transaction; false (nothing stored)
    /// when the code is unknown, already used, or its app no longer installed in its portal.
    async fn redeem_code(&self, code_hash: &str, tokens: &[NewOAuthToken]) -> Result<bool>;
    /// Stores OAuth tokens (refreshed access tokens, client-credential tokens).
    async fn put_oauth_tokens(&self, tokens: &[NewOAuthToken]) -> Result<()>;
    /// A live (not revoked) OAuth token of any kind, expired or not.
    async fn find_oauth_token(&self, hash: &str) -> Result<Option<OAuthToken>>;
    /// Revokes one OAuth token; false when no live one has that hash.
    async fn revoke_oauth_token(&self, hash: &str) -> Result<bool>;
}

/// An app's webhook settings and subscriptions (HubSpot's `/webhooks/v3/{appId}/...`).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn webhook_settings(&self, app_id: AppId) -> Result<Option<WebhookSettings>>;
    /// Creates or replaces the settings (keeping `createdAt`).
    async fn put_webhook_settings(
        &self,
        app_id: AppId,
        target_url: &str,
        max_concurrent_requests: i64,
    ) -> Result<WebhookSettings>;
    /// false when the app had no settings.
    async fn delete_webhook_settings(&self, app_id: AppId) -> Result<bool>;
    /// The app's subscriptions in id order.
    async fn list_subscriptions(&self, app_id: AppId) -> Result<Vec<Subscription>>;
    /// Creates a subscription: the same event type, object type and property twice is a
    /// conflict; more than `MAX_SUBSCRIPTIONS_PER_APP` a validation error.
    async fn create_subscription(
        &self,
        app_id: AppId,
        new: &NewSubscription,
    ) -> Result<Subscription>;
    async fn subscription(&self, app_id: AppId, id: SubscriptionId)
        -> Result<Option<Subscription>>;
    /// Sets `active` on each subscription, in order, in one transaction; an unknown id is that
    /// input's `NotFound`.
    async fn set_subscriptions_active(
        &self,
        app_id: AppId,
        changes: &[(SubscriptionId, bool)],
    ) -> Result<Vec<Result<Subscription>>>;
    /// false when the app has no such subscription.
    async fn delete_subscription(&self, app_id: AppId, id: SubscriptionId) -> Result<bool>;
}

/// The outbox of change events: dispatch (a round for the feed's order, deliveries for the
/// apps that subscribe), claims and results of delivery attempts, the feed, and retention.
/// `owner` names the calling worker (one per process): PostgreSQL leases carry it.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Records `results` (each applies only once, to the attempt it names), then dispatches
    /// the oldest undispatched changes, up to about `max_events` events: gives them the next
    /// dispatch round (one replica at a time, so rounds follow commit order) and queues their
    /// deliveries in batches of at most 100 events per app and portal. Dispatch does nothing
    /// while another replica dispatches.
    async fn outbox_tick(
        &self,
        owner: &str,
        results: &[AttemptResult],
        max_events: usize,
    ) -> Result<Tick>;
    /// Claims due deliveries, at most `max` in all and, per app, as many as keep its requests
    /// in flight (claimed and not yet recorded, by any replica) within its
    /// `maxConcurrentRequests`. A claim is the caller's until its result is recorded or, on
    /// PostgreSQL, until `lease_ms` pass (then another replica may take it over).
    async fn claim_batches(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        max: usize,
    ) -> Result<Claims>;
    /// Queues the event again for the subscriptions it went out for (or, if it never did, the
    /// ones it matches now), from `attemptNumber` 0; `None` when no such event is kept, else
    /// how many deliveries were queued.
    async fn redeliver(&self, event_id: i64, now_ms: i64) -> Result<Option<usize>>;
    /// Events waiting in the outbox: undispatched, or in deliveries not yet made.
    async fn outbox_depth(&self) -> Result<i64>;
    /// Resolves when this process has committed a change since the last call (or at once when
    /// it did before), so the worker need not poll while nothing happens.
    async fn changes_committed(&self);
    /// A page of the dispatched events, in dispatch order, with their delivery attempts.
    async fn list_events(&self, filter: &EventFilter) -> Result<EventPage>;
    /// Removes dispatched events that occurred before `events_before` (the store's clock) and
    /// finished deliveries last attempted before `deliveries_before` (real time); returns how
    /// many events.
    async fn clean_events(&self, events_before: i64, deliveries_before: i64) -> Result<u64>;
}

/// How full the records under one limit are: the console's usage bars.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LimitUsage {
    /// Records at or above the high-usage threshold (80%) of the limit.
    pub at_or_above: i64,
    /// The records with the most associations under the limit's type, fullest first (ties by
    /// record id), each with its count.
    pub fullest: Vec<(RecordId, i64)>,
}

/// Reads for a person browsing a portal (the console): every answer is one bounded page or one
/// aggregate, never the whole portal.
#[async_trait]
pub trait BrowseStore: Send + Sync {
    /// Portals with their counts (as `list_portals`), in id order after `after`, at most
    /// `limit`.
    async fn portal_summaries(
        &self,
        after: Option<PortalId>,
        limit: usize,
    ) -> Result<Vec<PortalSummary>>;
    /// The portal's own label rows (both directions of each label), in type id order after
    /// `after`, at most `limit`.
    async fn portal_labels(
        &self,
        portal: PortalId,
        after: Option<TypeId>,
        limit: usize,
    ) -> Result<Vec<UserLabel>>;
    /// The object types `record` (of `object_type`) has associations to, in type id order.
    async fn linked_types(
        &self,
        portal: PortalId,
        object_type: &ObjectType,
        record: RecordId,
    ) -> Result<Vec<ObjectType>>;
    /// How full the records of `limit`'s direction are under its type: how many are at or
    /// above the high-usage threshold, and the `top` fullest.
    async fn limit_usage(&self, portal: PortalId, limit: &Limit, top: usize) -> Result<LimitUsage>;
    /// The records with at least `min_count` associations under `limit`'s type, in record id
    /// order after `after`, at most `page`, each with its count.
    async fn records_at_usage(
        &self,
        portal: PortalId,
        limit: &Limit,
        min_count: i64,
        after: Option<RecordId>,
        page: usize,
    ) -> Result<Vec<(RecordId, i64)>>;
    /// The portal's live tokens in id order, at most `limit`.
    async fn portal_tokens(&self, portal: PortalId, limit: usize) -> Result<Vec<TokenInfo>>;
    /// Events waiting in the outbox (undispatched, or in deliveries not yet made) per portal
    /// from `first` to `last`, for the portals that have any.
    async fn events_waiting(&self, first: PortalId, last: PortalId)
        -> Result<Vec<(PortalId, i64)>>;
}

/// Whether the database can serve: for health and readiness checks.
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Answers when the database answers.
    async fn ping(&self) -> Result<()>;
    /// Versions of the migrations this build needs that the database has not applied (empty
    /// when it is up to date; a newer database's extra migrations do not count).
    async fn pending_migrations(&self) -> Result<Vec<i64>>;
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
}

/// Everything assocd stores.
pub trait Store:
    TokenStore
    + LabelStore
    + LimitStore
    + AssociationStore
    + PortalStore
    + RateLimitStore
    + AppStore
    + OAuthStore
    + WebhookStore
    + OutboxStore
    + BrowseStore
    + StoreHealth
{
}
impl<T> Store for T where
    T: TokenStore
        + LabelStore
        + LimitStore
        + AssociationStore
        + PortalStore
        + RateLimitStore
        + AppStore
        + OAuthStore
        + WebhookStore
        + OutboxStore
        + BrowseStore
        + StoreHealth
{
}
