//! The success answers each operation declares on each path family, as HubSpot's document of
//! that family lists them (the legacy `/crm/v4` schema family has no document of its own: it
//! follows the official clients, which were generated from the `/crm/associations/v4` one).
//! Handlers and assocd's own OpenAPI document both read this one table.

use crate::Family;
use assocd_core::scopes::Operation;
use axum::http::StatusCode;

/// What an operation answers when it succeeds on a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    /// The code when every input succeeded (204: no body).
    pub ok: StatusCode,
    /// Whether the family declares 207 for a batch whose inputs partly failed. When it does
    /// not, such a batch answers `ok` with `errors`/`numErrors` in the body.
    pub multi_status: bool,
}

const fn plain(ok: StatusCode) -> Declared {
    Declared {
        ok,
        multi_status: false,
    }
}

const fn with_207(ok: StatusCode) -> Declared {
    Declared {
        ok,
        multi_status: true,
    }
}

/// Whether the dated family `version` has the records search (Q1): its document lists it in
/// 2025-09 and 2026-03, not in 2026-09.
pub fn search_served(version: &str) -> bool {
    matches!(version, "2025-09" | "2026-03")
}

/// The success answer of `op` on `family`.
pub fn declared(op: Operation, family: Family) -> Declared {
    use Operation::*;
    use StatusCode as S;
    // The families whose documents keep the older 201/207 batch answers.
    let (schema_207, records_207) = match family {
        Family::Legacy | Family::LegacyAlt => (true, true),
        Family::Dated(v) => (v == "2026-03", v != "2026-09"),
    };
    let legacy = family == Family::Legacy;
    match op {
        S1 | S2 | C1 | C2 | R1 | R4 | R9 | U1 | Q1 => plain(S::OK),
        S3 | S4 | R3 => plain(S::NO_CONTENT),
        R2 => plain(S::CREATED),
        C3 if schema_207 => with_207(S::CREATED),
        C3 => plain(S::OK),
        C4 if schema_207 => with_207(S::OK),
        C4 => plain(S::OK),
        // Purge: 204 on /crm/v4 (clients, live service); elsewhere the batch body with 200 only,
        // as the seed's reference page and the dated documents show it (docs/compat.md C5).
        C5 | R7 | R8 if legacy => plain(S::NO_CONTENT),
        C5 | R7 | R8 => plain(S::OK),
        R5 if records_207 => with_207(S::CREATED),
        R5 => plain(S::OK),
        R6 if records_207 => with_207(S::OK),
        R6 => plain(S::OK),
    }
}

impl Declared {
    /// The status of a batch answer with or without failed inputs.
    pub fn status(self, has_errors: bool) -> StatusCode {
        if has_errors && self.multi_status {
            StatusCode::MULTI_STATUS
        } else {
            self.ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2026_09_documents_declare_no_207() {
        let f = Family::Dated("2026-09");
        for op in [Operation::C3, Operation::C4, Operation::R5, Operation::R6] {
            assert!(!declared(op, f).multi_status, "{op:?}");
        }
        assert_eq!(declared(Operation::C3, f).ok, StatusCode::OK);
        assert_eq!(declared(Operation::R5, f).ok, StatusCode::OK);
        assert_eq!(
            declared(Operation::C3, Family::Dated("2025-09")).ok,
            StatusCode::OK
        );
    }

    #[test]
    fn purge_never_answers_207() {
        for f in [
            Family::Legacy,
            Family::LegacyAlt,
            Family::Dated("2025-09"),
            Family::Dated("2026-03"),
            Family::Dated("2026-09"),
        ] {
            assert_ne!(
                declared(Operation::C5, f).status(true),
                StatusCode::MULTI_STATUS
            );
        }
        assert_eq!(
            declared(Operation::C5, Family::Legacy).ok,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            declared(Operation::C5, Family::LegacyAlt).ok,
            StatusCode::OK
        );
    }
}
