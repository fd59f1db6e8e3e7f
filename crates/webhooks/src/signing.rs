//! HubSpot's request signatures, as a receiver checks them:
//! - v1: hex(SHA-256(client secret + body)), header `X-HubSpot-Signature` with
//!   `X-HubSpot-Signature-Version: v1` (what HubSpot sends with webhooks API events);
//! - v2: hex(SHA-256(client secret + method + URI + body)) (workflow webhooks; kept for
//!   completeness and its test vectors);
//! - v3: base64(HMAC-SHA256(key = client secret, method + URI + body + timestamp)), header
//!   `X-HubSpot-Signature-v3` with `X-HubSpot-Request-Timestamp` (epoch milliseconds). The URI
//!   is the full URL with the few percent-escapes HubSpot's validation guide decodes, decoded.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const V1_HEADER: &str = "x-hubspot-signature";
pub const VERSION_HEADER: &str = "x-hubspot-signature-version";
pub const V3_HEADER: &str = "x-hubspot-signature-v3";
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";

pub fn v1(client_secret: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(client_secret.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

pub fn v2(client_secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(client_secret.as_bytes());
    h.update(method.as_bytes());
    h.update(uri.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

/// The escapes HubSpot's v3 recipe decodes in the URI before signing.
const DECODED: [(&str, &str); 12] = [
    ("%3A", ":"),
    ("%2F", "/"),
    ("%3F", "?"),
    ("%40", "@"),
    ("%21", "!"),
    ("%24", "$"),
    ("%27", "'"),
    ("%28", "("),
    ("%29", ")"),
    ("%2A", "*"),
    ("%2C", ","),
    ("%3B", ";"),
];

/// The URI as v3 signs it.
pub fn v3_uri(uri: &str) -> String {
    let mut out = uri.to_string();
    for (escape, plain) in DECODED {
        for variant in [escape.to_string(), escape.to_ascii_lowercase()] {
            out = out.replace(&variant, plain);
        }
    }
    out
}

pub fn v3(client_secret: &str, method: &str, uri: &str, body: &[u8], timestamp_ms: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(method.as_bytes());
    mac.update(v3_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp_ms.to_string().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HubSpot's documented v1 example.
    #[test]
    fn v1_matches_hubspots_vector() {
        let body = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
        assert_eq!(
            v1("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", body.as_bytes()),
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
        );
    }

    /// HubSpot's v2 examples (a GET without body; the Node SDK's POST).
    #[test]
    fn v2_matches_hubspots_vectors() {
        let secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
        assert_eq!(
            v2(secret, "GET", "https://www.example.com/webhook_uri", b""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
        );
        assert_eq!(
            v2(
                secret,
                "POST",
                "https://www.example.com/webhook_uri",
                br#"{"example_field":"example_value"}"#
            ),
            "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
        );
    }

    #[test]
    fn v3_matches_the_research_vector() {
        assert_eq!(
            v3(
                "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
                "POST",
                "https://www.example.com/webhook_uri",
                br#"{"example_field":"example_value"}"#,
                1_700_000_000_000
            ),
            "rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o="
        );
    }

    #[test]
    fn v3_signs_the_uri_with_hubspots_escapes_decoded() {
        assert_eq!(
            v3_uri("http://h/p%3Aq?x=%2f%40&y=%20"),
            "http://h/p:q?x=/@&y=%20"
        );
        let a = v3("s", "POST", "http://h/a%3Ab", b"[]", 1);
        assert_eq!(a, v3("s", "POST", "http://h/a:b", b"[]", 1));
    }
}
