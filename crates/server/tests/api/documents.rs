//! HubSpot's published OpenAPI documents (../shared/hubspot-openapi), read by the tests that
//! check assocd's success codes per path family against what each document declares.

use serde_json::Value;
use std::path::PathBuf;
use std::sync::LazyLock;

/// The association documents: records and schema, legacy and dated.
pub const DOCUMENTS: [&str; 8] = [
    "associations-v4.json",
    "associations-2025-09.json",
    "associations-2026-03.json",
    "associations-2026-09.json",
    "associations-schema-v4.json",
    "associations-schema-2025-09.json",
    "associations-schema-2026-03.json",
    "associations-schema-2026-09.json",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hubspot-openapi")
}

/// (document, method, path template, success codes) of one operation.
pub type DocumentedOp = (&'static str, String, String, Vec<u16>);

/// Every operation of the association documents.
pub static OPERATIONS: LazyLock<Vec<DocumentedOp>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for name in DOCUMENTS {
        let path = dir().join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).expect("a JSON document");
        for (template, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let mut codes: Vec<u16> = op["responses"]
                    .as_object()
                    .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
                    .unwrap_or_default();
                codes.sort_unstable();
                out.push((name, method.to_uppercase(), template.clone(), codes));
            }
        }
    }
    out
});

fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Whether `rest` (a path below `/crm/v4/associations`) is a labels or limits path.
pub fn is_schema_path(rest: &str) -> bool {
    let segs: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    rest.starts_with("/definitions/") || (matches!(segs.len(), 3 | 4) && segs[2] == "labels")
}

/// The success codes HubSpot's document of `path`'s family declares for `method path` (a
/// concrete path, query excluded). The `/crm/v4/associations` schema paths have no document of
/// their own: the official clients were generated from the `/crm/associations/v4` one.
pub fn declared(method: &str, path: &str) -> Vec<u16> {
    let path = path.split('?').next().unwrap_or(path);
    let schema_alias = path
        .strip_prefix("/crm/v4/associations")
        .filter(|rest| is_schema_path(rest))
        .map(|rest| format!("/crm/associations/v4{rest}"));
    let path = schema_alias.as_deref().unwrap_or(path);
    let found: Vec<&Vec<u16>> = OPERATIONS
        .iter()
        .filter(|(_, m, t, _)| m == method && matches(t, path))
        .map(|(_, _, _, codes)| codes)
        .collect();
    assert_eq!(found.len(), 1, "{method} {path}: {} matches", found.len());
    found[0].clone()
}

/// (all inputs succeeded, some failed) as `method path`'s document declares them: the lowest
/// 2xx, and 207 where declared (else the same code, with `errors` in the body).
pub fn batch_codes(method: &str, path: &str) -> (u16, u16) {
    let codes = declared(method, path);
    let ok = codes
        .iter()
        .copied()
        .find(|c| (200..300).contains(c) && *c != 207)
        .expect("a success code");
    let partial = if codes.contains(&207) { 207 } else { ok };
    (ok, partial)
}
