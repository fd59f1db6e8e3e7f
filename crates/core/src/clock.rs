//! The time assocd reports. Normally the system clock; a test can freeze it (through the
//! control plane) so answers that carry times (`startedAt`, `completedAt`, report and event
//! times) compare equal to a stored snapshot. One `Clock` is shared by the API and the store of
//! a process; freezing it affects that process only.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Marks "not frozen" in the atomic.
const REAL: i64 = i64::MIN;

/// A cheap, cloneable handle; clones share one setting.
#[derive(Debug, Clone)]
pub struct Clock(Arc<AtomicI64>);

impl Default for Clock {
    fn default() -> Self {
        Clock(Arc::new(AtomicI64::new(REAL)))
    }
}

impl Clock {
    /// Milliseconds since the Unix epoch: the frozen instant, else the system clock.
    pub fn now_ms(&self) -> i64 {
        match self.0.load(Ordering::Relaxed) {
            REAL => system_ms(),
            frozen => frozen,
        }
    }

    /// The frozen instant, if the clock is frozen.
    pub fn frozen(&self) -> Option<i64> {
        match self.0.load(Ordering::Relaxed) {
            REAL => None,
            frozen => Some(frozen),
        }
    }

    /// Freezes the clock at `at_ms`, or returns it to real time with `None`.
    pub fn set(&self, at_ms: Option<i64>) {
        let value = match at_ms {
            None => REAL,
            // The one instant that cannot be represented is taken as the one after it.
            Some(REAL) => REAL + 1,
            Some(ms) => ms,
        };
        self.0.store(value, Ordering::Relaxed);
    }
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn frozen_clock_reports_the_frozen_instant_until_released() {
        let clock = Clock::default();
        let shared = clock.clone();
        assert!(clock.frozen().is_none());
        shared.set(Some(1_767_225_600_000));
        assert_eq!(clock.now_ms(), 1_767_225_600_000);
        assert_eq!(clock.frozen(), Some(1_767_225_600_000));
        shared.set(None);
        assert!(clock.frozen().is_none());
        assert!(clock.now_ms() > 1_700_000_000_000);
    }
}
