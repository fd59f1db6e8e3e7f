//! Unit tests of the record rules.

use super::*;

fn pair(a: &str, b: &str) -> Pair {
    Pair::new(ObjectType::parse(a).unwrap(), ObjectType::parse(b).unwrap())
}
fn hs(id: TypeId) -> TypeKey {
    TypeKey::new(Category::HubspotDefined, id)
}
fn ud(id: TypeId) -> TypeKey {
    TypeKey::new(Category::UserDefined, id)
}
fn set(keys: &[TypeKey]) -> BTreeSet<TypeKey> {
    keys.iter().copied().collect()
}
fn deal_contact_labels() -> Vec<UserLabel> {
    let p = pair("deals", "contacts");
    vec![
        UserLabel {
            type_id: 10_000,
            inverse_type_id: 10_001,
            pair: p.clone(),
            name: "a".into(),
            label: Some("A".into()),
        },
        UserLabel {
            type_id: 10_001,
            inverse_type_id: 10_000,
            pair: p.reversed(),
            name: "a".into(),
            label: Some("A inv".into()),
        },
    ]
}

#[test]
fn add_writes_inverse_and_both_defaults() {
    let t = PairTypes::new(&pair("deals", "companies"), vec![]);
    let after = plan(&t, 1, 2, &Links::default(), &EditOp::Add(vec![hs(5)])).unwrap();
    assert_eq!(after.forward, set(&[hs(5), hs(341)]));
    assert_eq!(after.reverse, set(&[hs(6), hs(342)]));
}

#[test]
fn set_labels_replaces_labels_and_keeps_default() {
    let t = PairTypes::new(&pair("deals", "contacts"), deal_contact_labels());
    let before = plan(&t, 1, 2, &Links::default(), &EditOp::Add(vec![ud(10_000)])).unwrap();
    assert_eq!(before.reverse, set(&[hs(4), ud(10_001)]));
    let after = plan(&t, 1, 2, &before, &EditOp::SetLabels(vec![])).unwrap();
    assert_eq!(after.forward, set(&[hs(3)]));
    assert_eq!(after.reverse, set(&[hs(4)]));
}

#[test]
fn removing_default_clears_everything_and_labels_leave_default() {
    let t = PairTypes::new(&pair("deals", "contacts"), deal_contact_labels());
    let before = plan(&t, 1, 2, &Links::default(), &EditOp::Add(vec![ud(10_000)])).unwrap();
    let after = plan(&t, 1, 2, &before, &EditOp::Remove(vec![ud(10_000)])).unwrap();
    assert_eq!(after.forward, set(&[hs(3)]));
    assert!(plan(&t, 1, 2, &before, &EditOp::Remove(vec![hs(3)]))
        .unwrap()
        .is_empty());
}

#[test]
fn types_of_other_directions_are_invalid() {
    let t = PairTypes::new(&pair("deals", "companies"), deal_contact_labels());
    for bad in [hs(1), ud(10_000), TypeKey::new(Category::Work, 341)] {
        let e = plan(&t, 1, 2, &Links::default(), &EditOp::Add(vec![bad])).unwrap_err();
        assert_eq!(e.message, "One or more associations are invalid");
        assert_eq!(e.context["fromObjectId"], vec!["1"]);
    }
}

#[test]
fn types_without_listed_inverse_mirror_to_reverse_default_or_themselves() {
    let lead_contact = PairTypes::new(&pair("leads", "contacts"), vec![]);
    assert_eq!(lead_contact.inverse(hs(578)), hs(609));
    let after = plan(
        &lead_contact,
        1,
        2,
        &Links::default(),
        &EditOp::Add(vec![hs(578)]),
    )
    .unwrap();
    let removed = plan(&lead_contact, 1, 2, &after, &EditOp::Remove(vec![hs(578)])).unwrap();
    assert_eq!(
        removed.reverse,
        set(&[hs(609)]),
        "the reverse default stays while the forward default does"
    );
    let discount_deal = PairTypes::new(&pair("discounts", "deals"), vec![]);
    assert_eq!(discount_deal.inverse(hs(369)), hs(369));
}

#[test]
fn custom_pairs_need_a_plain_label_for_their_default() {
    let p = pair("2-7", "contacts");
    let t = PairTypes::new(&p, vec![]);
    assert!(plan(&t, 1, 2, &Links::default(), &EditOp::AddDefault).is_err());
    let plain = vec![
        UserLabel {
            type_id: 10_000,
            inverse_type_id: 10_001,
            pair: p.clone(),
            name: "_p".into(),
            label: None,
        },
        UserLabel {
            type_id: 10_001,
            inverse_type_id: 10_000,
            pair: p.reversed(),
            name: "_p".into(),
            label: None,
        },
    ];
    let t = PairTypes::new(&p, plain);
    let after = plan(&t, 1, 2, &Links::default(), &EditOp::AddDefault).unwrap();
    assert_eq!(
        (after.forward, after.reverse),
        (set(&[ud(10_000)]), set(&[ud(10_001)]))
    );
}

#[test]
fn self_association_is_refused_on_same_object_pairs() {
    let t = PairTypes::new(&pair("contacts", "contacts"), vec![]);
    assert!(plan(&t, 7, 7, &Links::default(), &EditOp::AddDefault).is_err());
    assert!(plan(&t, 7, 8, &Links::default(), &EditOp::AddDefault).is_ok());
}

#[test]
fn limit_rule_and_threshold() {
    let row = NewRow {
        pair: pair("contacts", "companies"),
        record: 9,
        key: hs(279),
    };
    assert!(check_limit(&row, 5, 4).is_ok());
    let e = check_limit(&row, 5, 5).unwrap_err();
    assert_eq!(e.context["limit"], vec!["5"]);
    assert_eq!(e.context["currentCount"], vec!["5"]);
    assert_eq!(high_usage_threshold(5), 4);
    assert_eq!(high_usage_threshold(10), 8);
    assert_eq!(high_usage_threshold(1), 1);
}

#[test]
fn ids_and_cursors() {
    assert_eq!(parse_record_id("38056537805"), Some(38_056_537_805));
    assert_eq!(parse_record_id("9223372036854775807"), Some(i64::MAX));
    for bad in [
        "",
        "0",
        "-1",
        "1.5",
        "abc",
        " 1",
        "9223372036854775808",
        "99999999999999999999",
    ] {
        assert_eq!(parse_record_id(bad), None, "{bad}");
    }
    let to = ObjectType::parse("companies").unwrap();
    let c = Cursor {
        to_type: to.clone(),
        after_id: 7502,
    };
    assert_eq!(c.to_text(), "0-2-7502");
    assert_eq!(Cursor::from_text("0-2-7502", &to), Some(c));
    assert_eq!(Cursor::from_text("0-1-7502", &to), None);
    let custom = ObjectType::parse("2-123").unwrap();
    assert_eq!(Cursor::from_text("2-123-5", &custom).unwrap().after_id, 5);
}
