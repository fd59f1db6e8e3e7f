//! Which OAuth scopes HubSpot's published specs accept for each operation and path family
//! (any one suffices). The table is data (`data/scopes.tsv`), read once.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/scopes.tsv");

/// The operations of the Associations v4 API, keyed as in the research notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    S1,
    S2,
    S3,
    S4,
    C1,
    C2,
    C3,
    C4,
    C5,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    U1,
    /// `POST /crm/objects/{v}/{objectType}/search` (records by association; 2025-09, 2026-03).
    Q1,
}

impl Operation {
    pub const ALL: [Operation; 20] = [
        Operation::S1,
        Operation::S2,
        Operation::S3,
        Operation::S4,
        Operation::C1,
        Operation::C2,
        Operation::C3,
        Operation::C4,
        Operation::C5,
        Operation::R1,
        Operation::R2,
        Operation::R3,
        Operation::R4,
        Operation::R5,
        Operation::R6,
        Operation::R7,
        Operation::R8,
        Operation::R9,
        Operation::U1,
        Operation::Q1,
    ];

    /// The operation's key (`S1`, `C5`, ...), as the research notes, metrics and the request
    /// journal name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::S1 => "S1",
            Operation::S2 => "S2",
            Operation::S3 => "S3",
            Operation::S4 => "S4",
            Operation::C1 => "C1",
            Operation::C2 => "C2",
            Operation::C3 => "C3",
            Operation::C4 => "C4",
            Operation::C5 => "C5",
            Operation::R1 => "R1",
            Operation::R2 => "R2",
            Operation::R3 => "R3",
            Operation::R4 => "R4",
            Operation::R5 => "R5",
            Operation::R6 => "R6",
            Operation::R7 => "R7",
            Operation::R8 => "R8",
            Operation::R9 => "R9",
            Operation::U1 => "U1",
            Operation::Q1 => "Q1",
        }
    }

    /// The operation of a key (`None` for an unknown key).
    pub fn parse(key: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.as_str() == key)
    }
}

type ByOp = HashMap<&'static str, Vec<&'static str>>;

static SCOPES: LazyLock<HashMap<&'static str, ByOp>> = LazyLock::new(|| {
    let mut map: HashMap<&str, ByOp> = HashMap::new();
    for line in TABLE.lines().skip(1) {
        let mut cols = line.split('\t');
        if let (Some(f), Some(op), Some(scope)) = (cols.next(), cols.next(), cols.next()) {
            map.entry(f).or_default().entry(op).or_default().push(scope);
        }
    }
    map
});

/// The scopes accepted for `op` on the family `family` (`v4`, `2025-09`, `2026-03`, `2026-09`).
/// A family whose document lacks the operation falls back to the legacy `v4` list.
pub fn required(family: &str, op: Operation) -> &'static [&'static str] {
    let lookup = |f: &str| SCOPES.get(f).and_then(|ops| ops.get(op.as_str()));
    lookup(family)
        .or_else(|| lookup("v4"))
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Every scope any operation of the API accepts: what a default token is given.
pub fn all_known() -> Vec<&'static str> {
    let mut all: Vec<&str> = SCOPES
        .values()
        .flat_map(|ops| ops.values().flatten().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_scopes_on_every_family() {
        for f in ["v4", "2025-09", "2026-03", "2026-09"] {
            for op in [Operation::S1, Operation::C5, Operation::R1, Operation::U1] {
                assert!(!required(f, op).is_empty(), "{f} {op:?}");
            }
        }
        assert!(required("v4", Operation::C5).contains(&"crm.objects.contacts.write"));
        for f in ["2025-09", "2026-03"] {
            assert!(required(f, Operation::Q1).contains(&"crm.objects.contacts.read"));
        }
    }
}
