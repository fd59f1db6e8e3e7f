//! Writing JSON by hand where serde's generic path costs too much (large answers, webhook
//! bodies): the same bytes serde_json writes for the same values.

/// Writes `s` as a JSON string, as serde_json writes it. Most strings need no escape
/// (serde_json escapes only the quote, the backslash and control characters), and those are
/// copied as they are.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(out, s);
    }
}

/// Writes an integer in decimal, as serde_json writes it.
pub fn write_int(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

/// Writes `true` or `false`.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

#[cfg(test)]
mod tests {
    use super::{write_int, write_str};

    #[test]
    fn strings_and_integers_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain",
            "0-1",
            "Boss \"quoted\"",
            "back\\slash",
            "tab\there",
            "\u{1}\u{1f}",
            "ünïcode ✓",
            "\u{7f}",
            "é ünï 🙂",
            "</x>",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        for n in [
            0,
            7,
            10,
            42,
            279,
            i64::from(i32::MAX),
            i64::MAX,
            -1,
            i64::MIN,
            1_000_000_000_000,
        ] {
            let mut out = Vec::new();
            write_int(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap(), "{n}");
        }
    }
}
