//! The assocd binary's library: CLI, configuration, startup and shutdown.

pub mod admin;
pub mod app;
pub mod cli;
pub mod dump;
pub mod metrics;
pub mod runtime;
pub mod telemetry;
