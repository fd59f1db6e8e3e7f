//! The control plane under `/_assocd/`: access, portals, fixtures, the request journal, the
//! frozen clock.

mod access;
pub mod apps;
mod cli;
mod clock;
mod console;
mod fixtures;
mod journal;
mod portals;
