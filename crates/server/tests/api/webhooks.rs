//! Association change events as HubSpot's webhooks: the management API (`/webhooks/v3/...`
//! with a developer key), the events, and their delivery.

mod crash;
mod delivery;
mod events;
pub mod feed;
mod management;
mod observed;
pub mod receiver;
