//! The domain error: what went wrong, in terms a HubSpot client understands. The API layer maps
//! each kind to one HTTP status in one place.

use std::collections::BTreeMap;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input: 400 `VALIDATION_ERROR`.
    Validation,
    /// The named thing does not exist: 404 `OBJECT_NOT_FOUND`.
    NotFound,
    /// A unique name is taken: 409 `OBJECT_ALREADY_EXISTS`.
    Conflict,
    /// Too many association types between two objects: HubSpot's 437.
    TooManyTypes,
    /// The database cannot be reached right now: 503.
    Unavailable,
    /// A bug or an unexpected storage failure: 500 (details are logged, never sent).
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// HubSpot's `context`: a map of string to string array.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: BTreeMap::new(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    /// Adds one `context` entry.
    pub fn with(mut self, key: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.context
            .entry(key.to_string())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }
}
