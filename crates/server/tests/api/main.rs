//! Black-box tests: the real server on port 0 with a fresh database per test, driven over HTTP.
//! With `ASSOCD_TEST_DATABASE_URL=postgres://…` every test gets a fresh PostgreSQL database
//! instead of a SQLite file.

mod documents;
mod helpers;
mod process;

mod control;
mod envelope;
mod errors;
mod families;
mod fuzz;
mod labels;
mod limits;
mod oauth;
mod operations;
mod records;
mod server_process;
mod webhooks;
