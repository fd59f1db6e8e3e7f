//! HubSpot's API rate limits as data: the tiers (`data/rate_limit_tiers.tsv`, HubSpot's
//! documented numbers) and a portal's setting (a tier, `custom` numbers, or `off`). What the
//! numbers mean at run time (windows, counting) is `rate_window`'s business.

use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/rate_limit_tiers.tsv");

/// The ten-secondly window, in milliseconds.
pub const INTERVAL_MS: i64 = 10_000;

/// HubSpot's per-token limit on the CRM search endpoints: this many requests per second.
pub const SEARCH_PER_SECOND: u64 = 5;

/// A portal's rate-limit tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    Starter,
    Professional,
    Enterprise,
    ApiPack,
    Oauth,
    /// Numbers of the caller's choosing (small ones make tests fast).
    Custom,
    /// No limits for this portal.
    Off,
}

impl Tier {
    pub const ALL: [Tier; 7] = [
        Tier::Starter,
        Tier::Professional,
        Tier::Enterprise,
        Tier::ApiPack,
        Tier::Oauth,
        Tier::Custom,
        Tier::Off,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Starter => "starter",
            Tier::Professional => "professional",
            Tier::Enterprise => "enterprise",
            Tier::ApiPack => "api-pack",
            Tier::Oauth => "oauth",
            Tier::Custom => "custom",
            Tier::Off => "off",
        }
    }

    pub fn parse(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The limits in force for a portal: requests per token in any 10 s, and per portal per UTC
/// day (`None`: no daily cap, as for OAuth apps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub ten_secondly: u64,
    pub daily: Option<u64>,
}

/// A tier's documented numbers; `None` for `custom` and `off`, which have none of their own.
pub fn tier_limits(tier: Tier) -> Option<Limits> {
    static TIERS: LazyLock<Vec<(Tier, Limits)>> = LazyLock::new(|| {
        TABLE
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                let tier = Tier::parse(cols[0]).expect("rate_limit_tiers.tsv: known tier");
                let ten = cols[1].parse().expect("rate_limit_tiers.tsv: ten_secondly");
                let daily = cols
                    .get(2)
                    .filter(|d| !d.is_empty())
                    .map(|d| d.parse().expect("rate_limit_tiers.tsv: daily"));
                (
                    tier,
                    Limits {
                        ten_secondly: ten,
                        daily,
                    },
                )
            })
            .collect()
    });
    TIERS.iter().find(|(t, _)| *t == tier).map(|(_, l)| *l)
}

/// Largest number a `custom` limit takes.
pub const MAX_CUSTOM: u64 = 1_000_000_000_000;

/// A portal's own setting, as stored and as the control plane takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSetting {
    pub tier: Tier,
    /// Only for `custom`.
    pub ten_secondly: Option<u64>,
    /// Only for `custom`.
    pub daily: Option<u64>,
}

impl RateLimitSetting {
    /// Checks a setting: `custom` needs both numbers (1 to `MAX_CUSTOM`), the other tiers take
    /// none. The message names the offending field.
    pub fn new(tier: Tier, ten_secondly: Option<u64>, daily: Option<u64>) -> Result<Self, String> {
        let in_range = |v: u64| (1..=MAX_CUSTOM).contains(&v);
        match (tier, ten_secondly, daily) {
            (Tier::Custom, Some(t), Some(d)) if in_range(t) && in_range(d) => {}
            (Tier::Custom, Some(t), Some(_)) if !in_range(t) => {
                return Err(format!(
                    "tenSecondly: {t} is not between 1 and {MAX_CUSTOM}"
                ))
            }
            (Tier::Custom, Some(_), Some(d)) => {
                return Err(format!("daily: {d} is not between 1 and {MAX_CUSTOM}"))
            }
            (Tier::Custom, _, _) => {
                return Err("tier custom needs both tenSecondly and daily".to_string())
            }
            (_, None, None) => {}
            (t, _, _) => {
                return Err(format!(
                    "tenSecondly and daily are only taken with tier custom, not {}",
                    t.as_str()
                ))
            }
        }
        Ok(RateLimitSetting {
            tier,
            ten_secondly,
            daily,
        })
    }

    /// The limits in force (`None`: no limits, tier `off`).
    pub fn limits(&self) -> Option<Limits> {
        match self.tier {
            Tier::Off => None,
            Tier::Custom => Some(Limits {
                ten_secondly: self.ten_secondly.unwrap_or(1),
                daily: self.daily,
            }),
            t => tier_limits(t),
        }
    }

    pub fn of_tier(tier: Tier) -> Self {
        RateLimitSetting {
            tier,
            ten_secondly: None,
            daily: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_carry_hubspots_documented_numbers() {
        let l = |t| tier_limits(t).unwrap();
        assert_eq!(l(Tier::Starter).ten_secondly, 100);
        assert_eq!(l(Tier::Starter).daily, Some(250_000));
        assert_eq!(l(Tier::Professional).ten_secondly, 190);
        assert_eq!(l(Tier::Professional).daily, Some(625_000));
        assert_eq!(l(Tier::Enterprise).daily, Some(1_000_000));
        assert_eq!(l(Tier::ApiPack).ten_secondly, 250);
        assert_eq!(l(Tier::ApiPack).daily, Some(1_250_000));
        assert_eq!(l(Tier::Oauth).ten_secondly, 110);
        assert_eq!(l(Tier::Oauth).daily, None);
        assert!(tier_limits(Tier::Custom).is_none());
    }

    #[test]
    fn custom_needs_both_numbers_and_others_take_none() {
        assert!(RateLimitSetting::new(Tier::Custom, Some(5), Some(100)).is_ok());
        assert!(RateLimitSetting::new(Tier::Custom, Some(5), None).is_err());
        assert!(RateLimitSetting::new(Tier::Custom, Some(0), Some(1)).is_err());
        assert!(RateLimitSetting::new(Tier::Starter, Some(5), None).is_err());
        assert!(RateLimitSetting::new(Tier::Off, None, None)
            .unwrap()
            .limits()
            .is_none());
    }
}
