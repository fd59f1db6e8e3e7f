//! HubSpot's rate limits in a running server (`--rate-limits hubspot`): the settings in force
//! per portal, this process's windows (`assocd_core::rate_window`), and the sync task that
//! shares counts and settings with the other replicas through the database. The layer that
//! admits or refuses calls is `layers::rate_limit`.

use assocd_core::rate_limit::{Limits, RateLimitSetting, Tier, INTERVAL_MS};
use assocd_core::rate_window::{
    Claims, FastMap, Remaining, RemoteHits, Verdict, Windows, BUCKET_MS,
};
use assocd_core::store::Store;
use assocd_core::{Clock, PortalId};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod settings;

const DAY_MS: i64 = 86_400_000;

/// How often the settings of every portal are read again (changes made on another replica
/// take effect here within this).
pub const SETTINGS_REFRESH: Duration = Duration::from_secs(1);

/// How long exchanges may fail before this replica counts alone (the database is away).
const ALONE_AFTER: Duration = Duration::from_secs(2);

/// How often rows that left every window are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The limits of one server process.
pub struct RateLimiter {
    /// The tier of portals without a setting of their own.
    default: RateLimitSetting,
    settings: settings::Settings,
    windows: Mutex<Windows>,
    /// This process's name in the shared counts.
    replica: String,
    sync_every: Duration,
    /// The day (daily window) follows this clock, so a frozen clock can cross midnight.
    clock: Clock,
    /// System time (ms) of the last counted call: the sync task idles when nothing happens.
    last_call_ms: AtomicI64,
    /// One exchange at a time; calls waiting for a claim share the next one.
    exchanging: tokio::sync::Mutex<()>,
    /// Exchanges finished (or failed) so far.
    exchanges: AtomicU64,
    /// Since when exchanges fail, if they do.
    failing_since: Mutex<Option<Instant>>,
}

/// Epoch milliseconds of the system clock (ten-secondly windows follow real time even when
/// the reported clock is frozen, or they would never roll).
pub fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl RateLimiter {
    pub fn new(default_tier: Tier, sync_every: Duration, clock: Clock) -> Self {
        RateLimiter {
            default: RateLimitSetting::of_tier(default_tier),
            settings: settings::Settings::new(),
            windows: Mutex::default(),
            replica: uuid::Uuid::new_v4().simple().to_string(),
            sync_every,
            clock,
            last_call_ms: AtomicI64::new(0),
            exchanging: tokio::sync::Mutex::new(()),
            exchanges: AtomicU64::new(0),
            failing_since: Mutex::new(None),
        }
    }

    fn day(&self) -> i64 {
        self.clock.now_ms().div_euclid(DAY_MS)
    }

    /// The tier of portals without a setting of their own.
    pub fn default_setting(&self) -> RateLimitSetting {
        self.default
    }

    /// The setting in force for `portal` and whether it is the portal's own.
    pub fn setting(&self, portal: PortalId) -> (RateLimitSetting, bool) {
        match self.settings.get(portal) {
            Some(s) => (s, true),
            None => (self.default, false),
        }
    }

    /// Takes a portal's new setting at once in this process (others within
    /// `SETTINGS_REFRESH`).
    pub fn set(&self, portal: PortalId, setting: RateLimitSetting) {
        self.settings.set(portal, setting);
    }

    /// The limits a call of `portal` counts under: the portal's setting, except that OAuth
    /// tokens count under the `oauth` tier wherever the setting is one of HubSpot's tiers (a
    /// `custom` setting applies to every token, `off` to none).
    pub fn limits_for(&self, portal: PortalId, oauth: bool) -> Option<Limits> {
        let setting = self.setting(portal).0;
        match setting.tier {
            Tier::Off | Tier::Custom => setting.limits(),
            _ if oauth => assocd_core::rate_limit::tier_limits(Tier::Oauth),
            _ => setting.limits(),
        }
    }

    /// Counts a call (of an OAuth access token when `oauth`), or refuses it; `None` when no
    /// limits apply to the portal.
    pub fn admit(
        &self,
        token_id: &str,
        portal: PortalId,
        oauth: bool,
    ) -> Option<(Limits, Verdict)> {
        let limits = self.limits_for(portal, oauth)?;
        let now = system_ms();
        // One clock reading for both windows unless the reported clock is frozen.
        let day = self.clock.frozen().unwrap_or(now).div_euclid(DAY_MS);
        // Written only when it moved: a store per call would bounce its cache line between
        // the cores serving calls.
        if self.last_call_ms.load(Ordering::Relaxed) != now {
            self.last_call_ms.store(now, Ordering::Relaxed);
        }
        let verdict = self
            .windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit(token_id, portal, limits, now, day);
        Some((limits, verdict))
    }

    /// Counts a search call of the token (5 per second), or refuses it.
    pub fn admit_search(&self, token_id: &str) -> bool {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit_search(token_id, system_ms())
    }

    /// What a token has left (without counting a call).
    pub fn remaining(&self, token_id: &str, portal: PortalId, limits: Limits) -> Remaining {
        let now = system_ms();
        let day = self.day();
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remaining(token_id, portal, limits, now, day)
    }

    /// Reads every portal's own setting from the store.
    pub async fn load_settings(&self, store: &dyn Store) -> assocd_core::Result<()> {
        let all: FastMap<_, _> = store.all_rate_limits().await?.into_iter().collect();
        self.settings.replace(all);
        Ok(())
    }

    /// One exchange with the database: flush this process's counts, read the others', renew
    /// this replica's claims.
    async fn exchange(&self, store: &dyn Store, sweep: bool) -> assocd_core::Result<()> {
        let deltas = self
            .windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_pending();
        let now = system_ms();
        let day = self.day();
        let ten_from = (now - INTERVAL_MS).div_euclid(BUCKET_MS);
        let decide = move |rows: &[RemoteHits], alive: usize| -> Claims {
            let limits_of = |portal: PortalId| self.setting(portal).0.limits();
            let claims = self
                .windows
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .exchange(rows, alive, system_ms(), day, &limits_of);
            tracing::debug!(rows = rows.len(), alive, ?claims, "rate limits: exchange");
            claims
        };
        let result = store
            .exchange_rate_hits(&self.replica, &deltas, ten_from, day, sweep, &decide)
            .await;
        let mut failing = self.failing_since.lock().unwrap_or_else(|p| p.into_inner());
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if result.is_ok() {
            windows.commit_claims();
            *failing = None;
        } else {
            windows.restore_pending(deltas);
            // The published claims still hold; once the database has been away for a while,
            // count alone rather than refuse everything.
            let since = *failing.get_or_insert_with(Instant::now);
            if since.elapsed() >= ALONE_AFTER {
                windows.alone();
            }
        }
        drop(windows);
        drop(failing);
        self.exchanges.fetch_add(1, Ordering::Release);
        result
    }

    /// An exchange for a call whose replica has no claim left: joins one that starts after
    /// the call asked (several waiting calls share one exchange).
    pub async fn exchange_now(&self, store: &dyn Store) {
        let asked = self.exchanges.load(Ordering::Acquire);
        let _turn = self.exchanging.lock().await;
        if self.exchanges.load(Ordering::Acquire) > asked + 1 {
            return;
        }
        let _ = self.exchange(store, false).await;
    }

    /// Counts a call again after an exchange; a call still without a claim is refused.
    pub fn admit_after_exchange(
        &self,
        token_id: &str,
        portal: PortalId,
        oauth: bool,
    ) -> Option<(Limits, Verdict)> {
        match self.admit(token_id, portal, oauth)? {
            (limits, Verdict::Exchange(policy, left)) => {
                Some((limits, Verdict::Refused(policy, left)))
            }
            other => Some(other),
        }
    }

    /// The sync task: every `sync_every` while calls were counted in the last window (and a
    /// while after) and other replicas share the database, exchange counts; every second,
    /// read the settings again and exchange once (the heartbeat). Runs until `shutdown`
    /// completes.
    pub async fn run(
        self: std::sync::Arc<Self>,
        store: std::sync::Arc<dyn Store>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        // The first round runs at once: the heartbeat tells the other replicas about this one
        // before it serves anything.
        let mut rounds = Rounds {
            settings_at: Instant::now(),
            swept_at: Instant::now()
                .checked_sub(SWEEP_EVERY)
                .unwrap_or_else(Instant::now),
            failing: false,
        };
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let alone = self.round(store.as_ref(), &mut rounds).await;
            wait = wait_before_next(
                alone,
                self.sync_every,
                rounds.swept_at.elapsed(),
                rounds.settings_at.elapsed(),
            );
        }
        // Hand the last counts over, so replicas still running keep counting them, and leave:
        // without a heartbeat this replica's claims count no more.
        let _ = self.exchange(store.as_ref(), false).await;
        let _ = store.leave_rate_hits(&self.replica).await;
    }

    /// One round of the sync task; answers whether this replica is alone on the database
    /// afterwards.
    async fn round(&self, store: &dyn Store, r: &mut Rounds) -> bool {
        if r.settings_at.elapsed() >= SETTINGS_REFRESH {
            r.settings_at = Instant::now();
            if let Err(e) = self.load_settings(store).await {
                tracing::debug!(error = %e.message, "rate limits: settings not refreshed");
            }
        }
        // Idle (nothing counted here for longer than a window), or alone on the database
        // (no other replica's heartbeat): one exchange a second, for the heartbeat, the
        // daily count and to notice a replica that joins. Otherwise every round.
        let sweep = r.swept_at.elapsed() >= SWEEP_EVERY;
        let idle = system_ms() - self.last_call_ms.load(Ordering::Relaxed) > INTERVAL_MS + 1_000;
        let alone = self.is_alone();
        if (idle || alone) && !sweep {
            return alone;
        }
        if sweep {
            r.swept_at = Instant::now();
        }
        let result = {
            let _turn = self.exchanging.lock().await;
            self.exchange(store, sweep).await
        };
        match result {
            Ok(()) if r.failing => {
                r.failing = false;
                tracing::info!("rate limits: counts shared with the database again");
            }
            Ok(()) => {}
            Err(e) if !r.failing => {
                r.failing = true;
                tracing::warn!(error = %e.message, "rate limits: counts not shared (each replica counts alone until the database answers)");
            }
            Err(_) => {}
        }
        self.is_alone()
    }

    fn is_alone(&self) -> bool {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_alone()
    }
}

/// When the sync task last did its once-a-second work, and whether exchanges fail.
struct Rounds {
    settings_at: Instant,
    swept_at: Instant,
    failing: bool,
}

/// How long the sync task sleeps before its next round. Alone on the database, a replica has
/// nothing to share between its once-a-second rounds (heartbeat, daily count, settings), so it
/// sleeps until the next of them instead of waking every `sync_every` to find nothing to do
/// (200 wake-ups a second on PostgreSQL, whose `sync_every` is 5 ms). A replica that joins is
/// noticed at that once-a-second exchange, as before.
fn wait_before_next(
    alone: bool,
    sync_every: Duration,
    since_sweep: Duration,
    since_settings: Duration,
) -> Duration {
    if !alone {
        return sync_every;
    }
    let sweep = SWEEP_EVERY.saturating_sub(since_sweep);
    let settings = SETTINGS_REFRESH.saturating_sub(since_settings);
    sweep.min(settings).max(sync_every)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn with_other_replicas_the_task_wakes_every_sync_interval() {
        assert_eq!(wait_before_next(false, 5 * MS, 2 * MS, 700 * MS), 5 * MS);
        assert_eq!(wait_before_next(false, 5 * MS, 999 * MS, 999 * MS), 5 * MS);
    }

    #[test]
    fn alone_the_task_sleeps_until_its_next_once_a_second_round() {
        // Just swept and refreshed: a second.
        assert_eq!(
            wait_before_next(true, 5 * MS, Duration::ZERO, Duration::ZERO),
            SWEEP_EVERY
        );
        // The settings refresh comes first.
        assert_eq!(wait_before_next(true, 5 * MS, 100 * MS, 700 * MS), 300 * MS);
        // The sweep comes first.
        assert_eq!(wait_before_next(true, 5 * MS, 900 * MS, 200 * MS), 100 * MS);
        // Overdue: no sooner than the sync interval, so the task never spins.
        assert_eq!(
            wait_before_next(true, 5 * MS, 1_500 * MS, 1_200 * MS),
            5 * MS
        );
        // SQLite's interval is a second: the same as before.
        assert_eq!(
            wait_before_next(true, 1_000 * MS, 10 * MS, 10 * MS),
            1_000 * MS
        );
    }
}
