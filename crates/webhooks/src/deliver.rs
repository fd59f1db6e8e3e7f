//! One attempt to deliver a batch: the JSON array of HubSpot's payloads with this attempt's
//! `attemptNumber`, both signatures, one POST, and what to do next.

use crate::client::Client;
use crate::schedule::retry_delay;
use crate::signing;
use assocd_core::events::{AttemptResult, ClaimedBatch, Outcome};
use assocd_core::Clock;

/// Milliseconds since the epoch by the system clock (signatures and schedules use real time).
pub(crate) fn real_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

use crate::body::body;

/// Makes one attempt and says what comes next.
pub(crate) async fn attempt(
    client: &Client,
    batch: &ClaimedBatch,
    retry_scale: f64,
    clock: &Clock,
) -> AttemptResult {
    let (status, error) = if batch.items.is_empty() {
        (None, Some("its events are no longer kept".to_string()))
    } else if batch.target_url.is_empty() {
        (None, Some("the app has no target URL".to_string()))
    } else {
        let body = body(batch);
        let timestamp = real_now_ms();
        let secret = &batch.client_secret;
        let headers = [
            (signing::V1_HEADER, signing::v1(secret, &body)),
            (signing::VERSION_HEADER, "v1".to_string()),
            (
                signing::V3_HEADER,
                signing::v3(secret, "POST", &batch.target_url, &body, timestamp),
            ),
            (signing::TIMESTAMP_HEADER, timestamp.to_string()),
        ];
        match client.post(&batch.target_url, body, &headers).await {
            Ok(s) if (200..300).contains(&s) => (Some(s), None),
            Ok(s) => (Some(s), Some(format!("HTTP {s}"))),
            Err(f) => (None, Some(f.message(client.timeout))),
        }
    };
    let at = real_now_ms();
    let outcome = if error.is_none() {
        record_delays(batch, at, clock);
        metrics::counter!("assocd_webhook_deliveries_total", "result" => "delivered").increment(1);
        Outcome::Delivered
    } else {
        match retry_delay(batch.attempt, retry_scale, rand::random::<f64>()) {
            Some(delay) => {
                metrics::counter!("assocd_webhook_deliveries_total", "result" => "retry")
                    .increment(1);
                Outcome::Retry {
                    at: at + delay.as_millis() as i64,
                }
            }
            None => {
                metrics::counter!("assocd_webhook_deliveries_total", "result" => "failed")
                    .increment(1);
                Outcome::Failed
            }
        }
    };
    if let Some(e) = &error {
        tracing::warn!(
            app_id = batch.app_id,
            portal_id = batch.portal_id,
            url = %without_secrets(&batch.target_url),
            status,
            error = %e,
            attempt_number = batch.attempt,
            events = batch.items.len(),
            next = outcome_text(&outcome),
            "webhook delivery attempt failed"
        );
    }
    AttemptResult {
        batch_id: batch.batch_id,
        attempt: batch.attempt,
        at,
        status,
        error,
        outcome,
    }
}

/// What follows a failed attempt, for the log.
fn outcome_text(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered => "none",
        Outcome::Retry { .. } => "retry",
        Outcome::Failed => "failed (last retry)",
    }
}

/// The target URL for a log line: no user name, password or query string (where a secret
/// may travel), no fragment. An unparsable URL is not shown.
pub fn without_secrets(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let hidden = u.query().is_some();
            u.set_query(None);
            u.set_fragment(None);
            let mut shown = u.to_string();
            if hidden {
                shown.push_str("?…");
            }
            shown
        }
        Err(_) => "(not a URL)".to_string(),
    }
}

/// Commit-to-delivery delay of each delivered event (not while the clock is frozen: then
/// `occurredAt` is not the commit's real time).
fn record_delays(batch: &ClaimedBatch, at: i64, clock: &Clock) {
    if clock.frozen().is_some() {
        return;
    }
    let h = metrics::histogram!("assocd_webhook_delivery_delay_seconds");
    for (event, _, _) in &batch.items {
        h.record((at - event.occurred_at).max(0) as f64 / 1000.0);
    }
}

#[cfg(test)]
mod tests {
    use super::without_secrets;

    #[test]
    fn log_urls_lose_credentials_and_query_strings() {
        assert_eq!(
            without_secrets("http://user:pw@127.0.0.1:8080/hook?token=s3cret#x"),
            "http://127.0.0.1:8080/hook?…"
        );
        assert_eq!(
            without_secrets("http://example.test/a/b"),
            "http://example.test/a/b"
        );
        assert_eq!(without_secrets("::"), "(not a URL)");
    }
}
