//! What a call is told: admitted with what is left, refused, or to wait for an exchange.

/// The HubSpot policy a refused call hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    TenSecondly,
    Daily,
    Secondly,
}

impl Policy {
    /// HubSpot's `policyName`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::TenSecondly => "TEN_SECONDLY_ROLLING",
            Policy::Daily => "DAILY",
            Policy::Secondly => "SECONDLY",
        }
    }
}

/// An admitted call's remaining allowance (after counting it), for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub ten_secondly: u64,
    pub daily: Option<u64>,
}

/// The verdict on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admitted(Remaining),
    /// Refused; the remaining allowance is what it was (refused calls do not count).
    Refused(Policy, Remaining),
    /// This replica's claim on the window is used up (or it has none yet): ask again after an
    /// exchange; refused with this policy if there is still none then.
    Exchange(Policy, Remaining),
}
