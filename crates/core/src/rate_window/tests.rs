use super::*;
use crate::rate_limit::Limits;

const L: Limits = Limits {
    ten_secondly: 3,
    daily: Some(5),
};

fn admitted(v: Verdict) -> bool {
    matches!(v, Verdict::Admitted(_))
}

#[test]
fn ten_secondly_window_rolls_exactly_after_10_000_ms() {
    let mut w = Windows::default();
    w.alone();
    for t in [0, 1, 2] {
        assert!(admitted(w.admit("a", 1, L, t, 0)));
    }
    assert_eq!(
        w.admit("a", 1, L, 9_999, 0),
        Verdict::Refused(
            Policy::TenSecondly,
            Remaining {
                ten_secondly: 0,
                daily: Some(2)
            }
        )
    );
    // Another token of the portal has its own window, but shares the daily count.
    assert!(admitted(w.admit("b", 1, L, 9_999, 0)));
    assert_eq!(
        w.admit("a", 1, L, 10_000, 0),
        Verdict::Admitted(Remaining {
            ten_secondly: 0,
            daily: Some(0)
        })
    );
    assert!(matches!(
        w.admit("a", 1, L, 30_000, 0),
        Verdict::Refused(Policy::Daily, _)
    ));
    // A new day starts from zero.
    assert!(admitted(w.admit("a", 1, L, 30_001, 1)));
}

#[test]
fn with_other_replicas_alive_calls_go_within_claims() {
    let limits = Limits {
        ten_secondly: 10,
        daily: None,
    };
    let of = |_| Some(limits);
    let mut w = Windows::default();
    // Before the first exchange, a call waits for one.
    assert!(matches!(
        w.admit("a", 1, limits, 999, 0),
        Verdict::Exchange(Policy::TenSecondly, _)
    ));
    // Alone: no claim needed.
    w.exchange(&[], 1, 999, 0, &of);
    assert!(admitted(w.admit("a", 1, limits, 1_000, 0)));
    let row = |kind, hits| RemoteHits {
        replica: "r2".into(),
        kind,
        scope: "a".into(),
        bucket: if kind == Kind::TenSecondly { 10 } else { 0 },
        hits,
    };
    // 1 own + 3 remote + 2 claimed by the other replica: 4 left, 2 replicas: claim 2,
    // published as 3 since the own call is not flushed yet.
    let claims = w.exchange(
        &[row(Kind::TenSecondly, 3), row(Kind::TenClaim, 2)],
        2,
        1_050,
        0,
        &of,
    );
    assert_eq!(claims, vec![(Kind::TenClaim, "a".to_string(), 3)]);
    w.commit_claims();
    assert!(admitted(w.admit("a", 1, limits, 1_060, 0)));
    assert!(admitted(w.admit("a", 1, limits, 1_070, 0)));
    assert!(matches!(
        w.admit("a", 1, limits, 1_080, 0),
        Verdict::Exchange(Policy::TenSecondly, _)
    ));
    // A scope new since the exchange has no claim yet.
    assert!(matches!(
        w.admit("b", 1, limits, 1_090, 0),
        Verdict::Exchange(Policy::TenSecondly, _)
    ));
    w.exchange(&[], 2, 1_095, 0, &of);
    // A claim decided but not committed yet does not count.
    assert!(!admitted(w.admit("b", 1, limits, 1_096, 0)));
    w.commit_claims();
    assert!(admitted(w.admit("b", 1, limits, 1_096, 0)));
    // At 11 050 the own call of 1 000 has left the window, those of 1 060 and 1 070 have
    // not, and half of the remote bucket [1 000, 1 100) is still inside.
    w.exchange(&[row(Kind::TenSecondly, 6)], 2, 11_050, 0, &of);
    assert_eq!(
        w.remaining("a", 1, limits, 11_050, 0).ten_secondly,
        10 - 2 - 3
    );
}

#[test]
fn pending_deltas_are_taken_once_and_restored_on_failure() {
    let mut w = Windows::default();
    w.alone();
    w.admit("a", 7, L, 250, 3);
    w.admit("a", 7, L, 260, 3);
    let mut d = w.take_pending();
    d.sort_by_key(|d| d.kind.code());
    assert_eq!(d[0].hits, 2);
    assert_eq!(d[0].bucket, 2);
    assert_eq!(d[1].scope, "7");
    assert!(w.take_pending().is_empty());
    w.restore_pending(d);
    assert_eq!(w.take_pending().len(), 2);
}

#[test]
fn search_allows_five_per_second() {
    let mut w = Windows::default();
    for t in 0..5 {
        assert!(w.admit_search("a", t));
    }
    assert!(!w.admit_search("a", 999));
    assert!(w.admit_search("a", 1_000));
}
