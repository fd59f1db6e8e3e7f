//! Domain model of assocd: object types, association types (built-in and user labels),
//! limits, record associations, errors, and the storage traits. No HTTP and no SQL here.

pub mod apps;
pub mod builtin;
pub mod clock;
pub mod dump;
pub mod error;
pub mod events;
pub mod fixture;
pub mod json;
pub mod label_rules;
pub mod limits;
pub mod model;
pub mod oauth;
pub mod object_type;
pub mod rate_limit;
pub mod rate_window;
pub mod records;
pub mod scopes;
pub mod search;
pub mod store;
pub mod token;

pub use clock::Clock;
pub use error::{Error, ErrorKind, Result};
pub use model::*;
pub use object_type::ObjectType;
