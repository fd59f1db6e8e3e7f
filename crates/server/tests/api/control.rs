//! The control plane under `/_assocd/`: access, portals, fixtures, the request journal, the
//! frozen clock.

mod access;
mod clock;
mod fixtures;
mod journal;
mod portals;
