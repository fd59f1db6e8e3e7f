//! When a failed delivery is tried again: HubSpot retries a failed notification up to 10 times
//! over the next 24 hours with growing delays, randomised per notification. The delays are
//! data: a minute at first, then longer, eight hours at the end; 23.8 hours in all, each
//! randomised by up to ±20 %. `--webhook-retry-scale` multiplies them (0.001: about 90
//! seconds in all, for tests).

use std::time::Duration;

/// Seconds before retry 1, 2, …, 10.
pub const RETRY_DELAYS_SECS: [u64; 10] = [60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 28800];
/// How far each delay is randomised, both ways.
pub const JITTER: f64 = 0.2;

/// The delay before the next try after attempt `attempt` (0 = the first try) failed, or
/// `None` when that was the last retry. `unit` is a random number in `[0, 1)`.
pub fn retry_delay(attempt: i64, scale: f64, unit: f64) -> Option<Duration> {
    let base = *RETRY_DELAYS_SECS.get(usize::try_from(attempt).ok()?)? as f64;
    let factor = 1.0 + JITTER * (2.0 * unit - 1.0);
    Duration::try_from_secs_f64(base * factor * scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_retries_over_about_a_day() {
        let total: u64 = RETRY_DELAYS_SECS.iter().sum();
        assert!((22 * 3600..=24 * 3600).contains(&total), "{total}");
        assert!(RETRY_DELAYS_SECS.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(retry_delay(0, 1.0, 0.5), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(9, 1.0, 0.5), Some(Duration::from_secs(28800)));
        assert_eq!(
            retry_delay(10, 1.0, 0.5),
            None,
            "the 10th retry was the last"
        );
        assert_eq!(retry_delay(0, 0.001, 0.5), Some(Duration::from_millis(60)));
        let low = retry_delay(3, 1.0, 0.0).unwrap().as_secs_f64();
        let high = retry_delay(3, 1.0, 0.999_999).unwrap().as_secs_f64();
        assert!((479.0..=481.0).contains(&low) && (719.0..=720.1).contains(&high));
    }
}
