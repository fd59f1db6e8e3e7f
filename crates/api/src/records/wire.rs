//! Wire models of the record endpoints and the edge parsing of their ids, types and cursors.

use crate::error::{ApiError, ErrorDetail};
use crate::wire::{write_json_int, write_json_str};
use crate::Family;
use assocd_core::records::{parse_record_id, Cursor, Page, TypeKey};
use assocd_core::{Category, ObjectType, Pair, RecordId, TypeId};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `AssociationSpec` (request and response).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationSpec {
    pub association_category: Category,
    pub association_type_id: TypeId,
}

impl From<AssociationSpec> for TypeKey {
    fn from(s: AssociationSpec) -> Self {
        TypeKey::new(s.association_category, s.association_type_id)
    }
}

impl From<TypeKey> for AssociationSpec {
    fn from(k: TypeKey) -> Self {
        AssociationSpec {
            association_category: k.category,
            association_type_id: k.type_id,
        }
    }
}

/// `PublicObjectId` as sent: HubSpot's spec says a string; a JSON integer is accepted too, as
/// HubSpot's JSON reader coerces it.
#[derive(Debug, Deserialize)]
pub struct ObjectIdIn {
    pub id: serde_json::Value,
}

/// `PublicObjectId` as answered: always a string.
#[derive(Debug, Serialize)]
pub struct ObjectIdOut {
    pub id: String,
}

impl ObjectIdOut {
    pub fn of(id: RecordId) -> Self {
        ObjectIdOut { id: id.to_string() }
    }
}

/// `LabelsBetweenObjectPair` (ids are JSON numbers, as the live API sends them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelsBetweenObjectPair {
    pub from_object_type_id: String,
    pub from_object_id: RecordId,
    pub to_object_type_id: String,
    pub to_object_id: RecordId,
    pub labels: Vec<String>,
}

/// `PublicDefaultAssociation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultAssociation {
    pub from: ObjectIdOut,
    pub to: ObjectIdOut,
    pub association_spec: AssociationSpec,
}

/// `NextPage`.
#[derive(Debug, Serialize)]
pub struct NextPage {
    pub after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// `ForwardPaging` / `Paging` (assocd never sends `prev`).
#[derive(Debug, Serialize)]
pub struct Paging {
    pub next: NextPage,
}

/// Writes the `to` list of a page: the bytes serde writes for `page_items` (a test holds them
/// equal), without escaping the keys and categories of every item.
pub fn write_page_items(out: &mut Vec<u8>, family: Family, pair: &Pair, page: &Page) {
    let typed = family == Family::Dated("2026-09");
    out.push(b'[');
    for (i, r) in page.results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"toObjectId":"#);
        write_json_int(out, r.to_id);
        out.extend_from_slice(br#","associationTypes":["#);
        for (j, t) in r.types.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"category":""#);
            out.extend_from_slice(t.category.as_str().as_bytes());
            out.extend_from_slice(br#"","typeId":"#);
            write_json_int(out, i64::from(t.type_id));
            out.extend_from_slice(br#","label":"#);
            match &t.label {
                Some(label) => write_json_str(out, label),
                None => out.extend_from_slice(b"null"),
            }
            if typed {
                out.extend_from_slice(br#","fromObjectTypeId":"#);
                write_json_str(out, pair.from.as_str());
                out.extend_from_slice(br#","toObjectTypeId":"#);
                write_json_str(out, pair.to.as_str());
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
}

/// Writes R6's results (`MultiAssociatedObjectWithLabel` of each record found with its page):
/// the bytes serde writes for them (a test holds them equal).
pub fn write_batch_pages(
    out: &mut Vec<u8>,
    family: Family,
    pair: &Pair,
    pages: &[(RecordId, Page)],
) {
    out.push(b'[');
    for (i, (from, page)) in pages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"from":{"id":""#);
        write_json_int(out, *from);
        out.extend_from_slice(br#""},"to":"#);
        write_page_items(out, family, pair, page);
        if let Some(last) = page.next_after {
            out.extend_from_slice(br#","paging":{"next":{"after":"#);
            let cursor = Cursor {
                to_type: pair.to.clone(),
                after_id: last,
            };
            write_json_str(out, &encode_cursor(&cursor));
            out.extend_from_slice(b"}}");
        }
        out.push(b'}');
    }
    out.push(b']');
}

/// The size `write_batch_pages` will take, about.
pub fn batch_pages_size(pages: &[(RecordId, Page)]) -> usize {
    pages
        .iter()
        .map(|(_, p)| {
            96 + p
                .results
                .iter()
                .map(|r| 48 + 72 * r.types.len())
                .sum::<usize>()
        })
        .sum()
}

fn invalid(message: String, field: &str, context: BTreeMap<String, Vec<String>>) -> ApiError {
    ApiError::Invalid {
        details: vec![ErrorDetail {
            message: message.clone(),
            in_: Some(field.to_string()),
            code: Some("INVALID_OBJECT_ID".into()),
            context: BTreeMap::new(),
        }],
        message,
        context,
    }
}

/// HubSpot's context for ids it cannot read: `INVALID_OBJECT_IDS: ["CONTACT=abc is not valid"]`.
fn bad_id_entry(object_type: &ObjectType, raw: &str) -> String {
    format!("{}={raw} is not valid", object_type.display_name())
}

/// A record id from a path segment.
pub fn path_id(raw: &str, name: &str, object_type: &ObjectType) -> Result<RecordId, ApiError> {
    parse_record_id(raw).ok_or_else(|| {
        invalid(
            format!("Invalid path parameter {name}: '{raw}' is not an object id (a positive 64-bit integer)"),
            name,
            BTreeMap::from([
                ("INVALID_OBJECT_IDS".to_string(), vec![bad_id_entry(object_type, raw)]),
                (name.to_string(), vec![raw.to_string()]),
            ]),
        )
    })
}

/// Collects body ids; every malformed one is named in a single 400.
#[derive(Default)]
pub struct IdReader {
    bad: Vec<(String, String)>,
}

impl IdReader {
    /// Reads `value` at `field` (e.g. `inputs[0].from.id`); 0 stands in for a bad id until
    /// `finish` refuses the request.
    pub fn read(
        &mut self,
        value: &serde_json::Value,
        field: String,
        object_type: &ObjectType,
    ) -> RecordId {
        let parsed = match value {
            serde_json::Value::String(s) => parse_record_id(s),
            serde_json::Value::Number(n) => n.as_i64().filter(|v| *v > 0),
            _ => None,
        };
        parsed.unwrap_or_else(|| {
            let raw = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.bad.push((field, bad_id_entry(object_type, &raw)));
            0
        })
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.bad.is_empty() {
            return Ok(());
        }
        let (fields, entries): (Vec<String>, Vec<String>) = self.bad.into_iter().unzip();
        let first = fields[0].clone();
        Err(invalid(
            format!(
                "One or more object ids are invalid; object ids are positive 64-bit integers sent as strings of digits ({})",
                fields.join(", ")
            ),
            &first,
            BTreeMap::from([("INVALID_OBJECT_IDS".to_string(), entries), ("field".to_string(), fields)]),
        ))
    }
}

/// The opaque cursor: URL-encoded base64 of `<toObjectTypeId>-<lastToObjectId>`, the shape
/// HubSpot's cursors have (`MC0yLTc1MDI%3D`).
pub fn encode_cursor(c: &Cursor) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(c.to_text());
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads a cursor as a client may send it back: raw, once or twice URL-decoded.
pub fn decode_cursor(raw: &str, to_type: &ObjectType, field: &str) -> Result<RecordId, ApiError> {
    let parsed = (|| {
        let mut s = raw.trim().to_string();
        while s.contains('%') {
            s = percent_decode(&s)?;
        }
        let s = s.replace(' ', "+");
        let bytes = STANDARD_NO_PAD.decode(s.trim_end_matches('=')).ok()?;
        Cursor::from_text(std::str::from_utf8(&bytes).ok()?, to_type)
    })();
    parsed.map(|c| c.after_id).ok_or_else(|| {
        let message = format!(
            "Invalid {field} cursor '{raw}': use the paging.next.after value of a previous answer"
        );
        ApiError::Invalid {
            details: vec![ErrorDetail {
                message: message.clone(),
                in_: Some(field.to_string()),
                code: Some("INVALID_CURSOR".into()),
                context: BTreeMap::new(),
            }],
            message,
            context: BTreeMap::from([("field".to_string(), vec![field.to_string()])]),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::SpecWithLabel;
    use assocd_core::records::AssociatedRecord;
    use assocd_core::AssocType;

    /// `MultiAssociatedObjectWithLabel`, as serde writes it: the model `write_page_items` must
    /// match.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MultiAssociatedObject {
        to_object_id: RecordId,
        association_types: Vec<SpecWithLabel>,
    }

    /// `AssociationSpecWithLabel` of a stored type; the 2026-09 family adds the pair's type ids.
    fn spec_with_label(family: Family, pair: &Pair, t: AssocType) -> SpecWithLabel {
        let typed = family == Family::Dated("2026-09");
        SpecWithLabel {
            category: t.category,
            type_id: t.type_id,
            label: t.label,
            from_object_type_id: typed.then(|| pair.from.to_string()),
            to_object_type_id: typed.then(|| pair.to.to_string()),
        }
    }

    /// The `to` list of a page, as serde writes it.
    fn page_items(family: Family, pair: &Pair, page: Page) -> Vec<MultiAssociatedObject> {
        page.results
            .into_iter()
            .map(|r| MultiAssociatedObject {
                to_object_id: r.to_id,
                association_types: r
                    .types
                    .into_iter()
                    .map(|t| spec_with_label(family, pair, t))
                    .collect(),
            })
            .collect()
    }

    /// `PublicAssociationMultiWithLabel`, as serde writes it: the model R6's writer must match.
    #[derive(Serialize)]
    struct MultiWithLabel {
        from: ObjectIdOut,
        to: Vec<MultiAssociatedObject>,
        #[serde(skip_serializing_if = "Option::is_none")]
        paging: Option<Paging>,
    }

    #[test]
    fn written_batch_pages_are_the_serialized_models() {
        let pair = Pair::new(
            ObjectType::parse("contacts").unwrap(),
            ObjectType::parse("companies").unwrap(),
        );
        let t = |category, type_id, label: Option<&str>| AssocType {
            category,
            type_id,
            label: label.map(str::to_string),
        };
        let pages = [
            (
                7,
                Page {
                    results: vec![
                        AssociatedRecord {
                            to_id: 1,
                            types: vec![t(Category::HubspotDefined, 279, None)],
                        },
                        AssociatedRecord {
                            to_id: i64::MAX,
                            types: vec![
                                t(Category::HubspotDefined, 1, Some("Primary")),
                                t(Category::UserDefined, 1000, Some("Boss \"\\ ✓\u{1}")),
                                t(Category::IntegratorDefined, 5, Some("")),
                                t(Category::Work, 9, None),
                            ],
                        },
                    ],
                    next_after: Some(i64::MAX),
                },
            ),
            (8, Page::default()),
            (
                123456789012,
                Page {
                    results: vec![AssociatedRecord {
                        to_id: 40,
                        types: vec![t(Category::UserDefined, 2000, None)],
                    }],
                    next_after: None,
                },
            ),
        ];
        for family in [
            Family::Legacy,
            Family::LegacyAlt,
            Family::Dated("2025-09"),
            Family::Dated("2026-09"),
        ] {
            for n in 0..=pages.len() {
                let mut written = Vec::new();
                write_batch_pages(&mut written, family, &pair, &pages[..n]);
                let models: Vec<MultiWithLabel> = pages[..n]
                    .iter()
                    .map(|(from, page)| MultiWithLabel {
                        from: ObjectIdOut::of(*from),
                        to: page_items(family, &pair, page.clone()),
                        paging: page.next_after.map(|last| Paging {
                            next: NextPage {
                                after: encode_cursor(&Cursor {
                                    to_type: pair.to.clone(),
                                    after_id: last,
                                }),
                                link: None,
                            },
                        }),
                    })
                    .collect();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    serde_json::to_string(&models).unwrap(),
                    "{family:?}, {n} pages"
                );
            }
        }
    }

    #[test]
    fn cursors_round_trip_in_every_encoding_a_client_may_send() {
        let to = ObjectType::parse("companies").unwrap();
        let c = encode_cursor(&Cursor {
            to_type: to.clone(),
            after_id: 7502,
        });
        assert_eq!(c, "MC0yLTc1MDI%3D");
        for sent in [
            c.as_str(),
            "MC0yLTc1MDI=",
            "MC0yLTc1MDI",
            "MC0yLTc1MDI%253D",
        ] {
            assert_eq!(decode_cursor(sent, &to, "after").unwrap(), 7502, "{sent}");
        }
        let contacts = ObjectType::parse("contacts").unwrap();
        assert!(decode_cursor(&c, &contacts, "after").is_err());
        for bad in ["", "%%", "!!!", "MC0y"] {
            assert!(decode_cursor(bad, &to, "after").is_err(), "{bad}");
        }
    }
}
