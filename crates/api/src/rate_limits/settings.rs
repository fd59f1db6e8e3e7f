//! The portals' own rate-limit settings, read on every counted call and written rarely (the
//! control plane, fixtures, the sync task's refresh). A read lock per call is an atomic write
//! to a word every core shares; instead each thread keeps a snapshot of the map and checks a
//! version number (a plain load) before using it, taking the lock only when a write happened.

use assocd_core::rate_limit::RateLimitSetting;
use assocd_core::rate_window::FastMap;
use assocd_core::PortalId;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

type Map = FastMap<PortalId, RateLimitSetting>;

/// Names each `Settings` for the threads' snapshots (a process may run several servers).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Settings {
    id: u64,
    map: RwLock<Arc<Map>>,
    /// Bumped by every write, after the map changed.
    version: AtomicU64,
}

impl Settings {
    pub(crate) fn new() -> Self {
        Settings {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            map: RwLock::default(),
            version: AtomicU64::new(0),
        }
    }

    /// The portal's own setting, if it has one.
    pub(crate) fn get(&self, portal: PortalId) -> Option<RateLimitSetting> {
        thread_local! {
            /// (settings id, version, map) as this thread last read them.
            static SNAPSHOT: RefCell<Option<(u64, u64, Arc<Map>)>> = const { RefCell::new(None) };
        }
        let version = self.version.load(Ordering::Acquire);
        SNAPSHOT.with_borrow_mut(|snap| match snap {
            Some((id, v, map)) if *id == self.id && *v == version => map.get(&portal).copied(),
            _ => {
                let map = self.map.read().unwrap_or_else(|p| p.into_inner()).clone();
                let found = map.get(&portal).copied();
                *snap = Some((self.id, version, map));
                found
            }
        })
    }

    pub(crate) fn set(&self, portal: PortalId, setting: RateLimitSetting) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        Arc::make_mut(&mut map).insert(portal, setting);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Replaces every setting (a refresh from the store); nothing changes when they are equal.
    pub(crate) fn replace(&self, all: Map) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if **map != all {
            *map = Arc::new(all);
            self.version.fetch_add(1, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assocd_core::rate_limit::Tier;

    #[test]
    fn reads_see_every_write_and_each_settings_keeps_its_own() {
        let (a, b) = (Settings::new(), Settings::new());
        let starter = RateLimitSetting::of_tier(Tier::Starter);
        let enterprise = RateLimitSetting::of_tier(Tier::Enterprise);
        assert_eq!(a.get(1), None);
        a.set(1, starter);
        assert_eq!(a.get(1), Some(starter));
        assert_eq!(
            b.get(1),
            None,
            "another server's settings are not this one's"
        );
        a.set(1, enterprise);
        assert_eq!(a.get(1), Some(enterprise));
        a.replace(FastMap::from_iter([(2, starter)]));
        assert_eq!(a.get(1), None);
        assert_eq!(a.get(2), Some(starter));
    }
}
