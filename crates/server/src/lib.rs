//! The assocd binary's library: CLI, configuration, startup and shutdown.

pub mod app;
pub mod cli;
pub mod dump;
pub mod telemetry;
