//! Wire helpers shared by the handlers: JSON in (with HubSpot-shaped parse errors), JSON out
//! (with HubSpot's content type), timestamps, and the batch envelope.

use crate::error::{ApiError, ErrorDetail};
use assocd_core::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

pub const JSON_UTF8: &str = "application/json;charset=utf-8";

pub(crate) fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own plain structs cannot fail; an empty object is a safe fallback.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// A JSON answer with HubSpot's content type.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    json_body(status, json_bytes(value))
}

/// An answer of JSON already written, with HubSpot's content type.
pub(crate) fn json_body(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    r
}

pub(crate) use assocd_core::json::{write_int as write_json_int, write_str as write_json_str};

/// 204 with no body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a request body, naming the field and position of any problem the way HubSpot does.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, e.inner())
    })?;
    // Anything after the document is malformed JSON too.
    de.end().map_err(|e| json_error("", &e))?;
    Ok(value)
}

fn json_error(path: &str, e: &serde_json::Error) -> ApiError {
    let (line, column) = (e.line(), e.column());
    let text = e.to_string();
    // serde_json appends " at line X column Y"; HubSpot puts the position first.
    let text = text.split(" at line ").next().unwrap_or(&text).to_string();
    let field = if path.is_empty() || path == "." {
        None
    } else {
        Some(path.to_string())
    };
    let mut field = field;
    let (message, code) = if let Some(missing) = text
        .strip_prefix("missing field `")
        .and_then(|s| s.strip_suffix('`'))
    {
        let full = match &field {
            Some(p) => format!("{p}.{missing}"),
            None => missing.to_string(),
        };
        field = Some(full.clone());
        (format!("Invalid input JSON on line {line}, column {column}. Some required fields were not set: [{full}]"), "REQUIRED_FIELD")
    } else if e.is_data() {
        let at = field
            .as_deref()
            .map(|p| format!(" (at {p})"))
            .unwrap_or_default();
        (
            format!("Invalid input JSON on line {line}, column {column}: {text}{at}"),
            "INVALID_TYPE",
        )
    } else {
        (
            format!("Invalid input JSON on line {line}, column {column}: {text}"),
            "INVALID_JSON",
        )
    };
    let detail = ErrorDetail {
        message: text,
        in_: field.clone(),
        code: Some(code.to_string()),
        context: BTreeMap::from([
            ("line".to_string(), vec![line.to_string()]),
            ("column".to_string(), vec![column.to_string()]),
        ]),
    };
    let mut context = BTreeMap::new();
    if let Some(f) = field {
        context.insert("field".to_string(), vec![f]);
    }
    ApiError::Invalid {
        message,
        details: vec![detail],
        context,
    }
}

/// `scheme://host` of the request as its client addressed it, for absolute links: the first
/// `X-Forwarded-Proto` / `X-Forwarded-Host` when a proxy set them, else `http` and `Host`.
/// Values that are not a plain scheme or authority are ignored.
pub fn origin(headers: &axum::http::HeaderMap) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = first("x-forwarded-proto")
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "http" || s == "https")
        .unwrap_or_else(|| "http".to_string());
    let is_authority = |h: &&str| {
        h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
    };
    let host = first("x-forwarded-host")
        .filter(is_authority)
        .or_else(|| first("host").filter(is_authority))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// ISO-8601 UTC with milliseconds and `Z`.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The time assocd reports now (the control plane may have frozen it).
pub fn now(clock: &assocd_core::Clock) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(clock.now_ms()).unwrap_or_default()
}

/// HubSpot's `StandardError`, one per failed input of a batch.
#[derive(Debug, Serialize)]
pub struct StandardError {
    pub status: &'static str,
    pub category: &'static str,
    #[serde(rename = "subCategory", skip_serializing_if = "Option::is_none")]
    pub sub_category: Option<String>,
    pub message: String,
    pub context: BTreeMap<String, Vec<String>>,
    pub errors: Vec<ErrorDetail>,
    pub links: BTreeMap<String, String>,
}

impl From<Error> for StandardError {
    fn from(e: Error) -> Self {
        let (_, category) = crate::error::status_of(e.kind);
        StandardError {
            status: "error",
            category,
            sub_category: None,
            message: e.message,
            context: e.context,
            errors: Vec::new(),
            links: BTreeMap::new(),
        }
    }
}

/// The batch envelope shared by every `BatchResponse*` model.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse<T: Serialize> {
    pub status: &'static str,
    pub results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<StandardError>>,
    pub started_at: String,
    pub completed_at: String,
}

impl<T: Serialize> BatchResponse<T> {
    /// Builds the envelope and its status code: the declared success code when every input
    /// succeeded; with failed inputs, `errors` in the body and 207 where the family declares it
    /// (else the success code again); `CANCELED` when nothing succeeded.
    pub fn finish(
        clock: &assocd_core::Clock,
        started: chrono::DateTime<chrono::Utc>,
        results: Vec<T>,
        errors: Vec<StandardError>,
        declared: crate::declared::Declared,
    ) -> Response {
        let completed = now(clock).max(started);
        let has_errors = !errors.is_empty();
        let body = BatchResponse {
            status: if has_errors && results.is_empty() {
                "CANCELED"
            } else {
                "COMPLETE"
            },
            results,
            num_errors: has_errors.then_some(errors.len()),
            errors: has_errors.then_some(errors),
            started_at: timestamp(started),
            completed_at: timestamp(completed),
        };
        json(declared.status(has_errors), &body)
    }
}

/// `BatchResponse::finish` for results written by `write_results` (one JSON array) instead of
/// serialized: the same envelope, status code and bytes (a test holds them equal), for an
/// answer too large to go through serde's escaping of every key and string (R6: up to 1,000
/// pages). `any_results`: whether the array has an item; `capacity`: the expected size.
pub fn batch_written(
    clock: &assocd_core::Clock,
    started: chrono::DateTime<chrono::Utc>,
    any_results: bool,
    capacity: usize,
    write_results: impl FnOnce(&mut Vec<u8>),
    errors: Vec<StandardError>,
    declared: crate::declared::Declared,
) -> Response {
    let completed = now(clock).max(started);
    let times = [timestamp(started), timestamp(completed)];
    let body = batch_body(any_results, capacity, write_results, &errors, &times);
    json_body(declared.status(!errors.is_empty()), body)
}

/// The body of `batch_written`, with its start and end times.
fn batch_body(
    any_results: bool,
    capacity: usize,
    write_results: impl FnOnce(&mut Vec<u8>),
    errors: &[StandardError],
    [started, completed]: &[String; 2],
) -> Vec<u8> {
    let has_errors = !errors.is_empty();
    let mut body = Vec::with_capacity(capacity + 128);
    body.extend_from_slice(if has_errors && !any_results {
        br#"{"status":"CANCELED","results":"#
    } else {
        br#"{"status":"COMPLETE","results":"#
    });
    write_results(&mut body);
    if has_errors {
        body.extend_from_slice(br#","numErrors":"#);
        write_json_int(&mut body, errors.len() as i64);
        body.extend_from_slice(br#","errors":"#);
        let _ = serde_json::to_writer(&mut body, errors);
    }
    body.extend_from_slice(br#","startedAt":"#);
    write_json_str(&mut body, started);
    body.extend_from_slice(br#","completedAt":"#);
    write_json_str(&mut body, completed);
    body.push(b'}');
    body
}

/// `{"inputs": [...]}` with the batch-level checks every batch endpoint applies.
#[derive(Debug, serde::Deserialize)]
pub struct BatchInput<T> {
    pub inputs: Vec<T>,
}

pub fn parse_batch<T: DeserializeOwned>(
    body: &[u8],
    max_inputs: usize,
) -> Result<Vec<T>, ApiError> {
    let batch: BatchInput<T> = parse(body)?;
    if batch.inputs.is_empty() {
        return Err(ApiError::Invalid {
            message: "inputs must contain at least one input".into(),
            details: vec![ErrorDetail {
                message: "inputs is empty".into(),
                in_: Some("inputs".into()),
                code: Some("EMPTY".into()),
                context: BTreeMap::new(),
            }],
            context: BTreeMap::from([("field".to_string(), vec!["inputs".to_string()])]),
        });
    }
    if batch.inputs.len() > max_inputs {
        return Err(ApiError::Invalid {
            message: format!(
                "Too many inputs: {} given, at most {max_inputs} are allowed in one batch",
                batch.inputs.len()
            ),
            details: vec![ErrorDetail {
                message: format!("at most {max_inputs} inputs"),
                in_: Some("inputs".into()),
                code: Some("TOO_MANY_INPUTS".into()),
                context: BTreeMap::from([("maxInputs".to_string(), vec![max_inputs.to_string()])]),
            }],
            context: BTreeMap::from([("field".to_string(), vec!["inputs".to_string()])]),
        });
    }
    Ok(batch.inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_batch_has_the_serialized_envelope() {
        let times = [
            "2026-12-01T10:00:00.000Z".to_string(),
            "2026-12-01T10:00:00.005Z".to_string(),
        ];
        let error =
            || StandardError::from(Error::not_found("No company").with("fromObjectId", ["7"]));
        for (results, errors) in [
            (vec![1, 2], vec![]),
            (vec![1], vec![error()]),
            (vec![], vec![error(), error()]),
            (vec![], vec![]),
        ] {
            let written = batch_body(
                !results.is_empty(),
                0,
                |out| serde_json::to_writer(out, &results).unwrap(),
                &errors,
                &times,
            );
            let has_errors = !errors.is_empty();
            let serialized = serde_json::to_vec(&BatchResponse {
                status: if has_errors && results.is_empty() {
                    "CANCELED"
                } else {
                    "COMPLETE"
                },
                results,
                num_errors: has_errors.then_some(errors.len()),
                errors: has_errors.then_some(errors),
                started_at: times[0].clone(),
                completed_at: times[1].clone(),
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(serialized).unwrap()
            );
        }
    }
}
