//! HubSpot's operating envelope: rate limits as HubSpot enforces them, and injected faults.

mod faults;
mod rate_limits;
