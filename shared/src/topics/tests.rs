use super::*;

fn mum() -> StationCode {
    StationCode::parse("MUM-0042").unwrap()
}

#[test]
fn lane_topics_round_trip() {
    let t = Topic::lane(&mum(), 3, LaneChannel::Scan);
    assert_eq!(t.to_string(), "gasq/MUM-0042/lane/3/scan");
    assert_eq!(Topic::parse("gasq/MUM-0042/lane/3/scan"), Some(t));
    assert_eq!(
        Topic::parse("gasq/MUM-0042/queue"),
        Some(Topic::Queue { station: mum() })
    );
}

#[test]
fn topics_outside_the_contract_do_not_parse() {
    for bad in [
        "gasq/MUM-0042/lane/0/scan",
        "gasq/MUM-0042/lane/01/scan",
        "gasq/MUM-0042/lane/x/scan",
        "gasq/MUM-0042/lane/1/other",
        "gasq/mum-0042/queue",
        "other/MUM-0042/queue",
        "gasq",
        "",
    ] {
        assert_eq!(Topic::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_scan_is_raw_text_or_json() {
    assert_eq!(
        Scan::parse(b"GQ1:ABC\r\n").unwrap(),
        Scan {
            id: None,
            code: "GQ1:ABC".into()
        }
    );
    let json = Scan::parse(br#"{"id":"s-1","code":"GQ1:ABC"}"#).unwrap();
    assert_eq!(json.id.as_deref(), Some("s-1"));
    assert_eq!(
        Scan::parse(br#"{"id":7,"code":"X"}"#)
            .unwrap()
            .id
            .as_deref(),
        Some("7")
    );
}

#[test]
fn a_bad_scan_is_an_error_not_a_panic() {
    assert!(Scan::parse(&[0xff, 0xfe, 0x00]).is_err());
    assert!(Scan::parse(br#"{"id":1}"#).is_err());
    assert!(Scan::parse(&vec![b'A'; MAX_SCAN_BYTES + 1]).is_err());
}

#[test]
fn verdict_json_has_the_contract_fields() {
    let v = Verdict {
        scan_id: None,
        accepted: false,
        reason: Reason::AlreadyUsed,
        booking_id: None,
        vehicle: None,
        quantity_kg: None,
        lane: Some(1),
        at: DateTime::from_timestamp(0, 0).unwrap(),
    };
    let json = serde_json::to_value(&v).unwrap();
    for key in [
        "scan_id",
        "accepted",
        "reason",
        "booking_id",
        "vehicle",
        "quantity_kg",
        "lane",
        "at",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["reason"], "already_used");
    assert_eq!(json["at"], "1970-01-01T00:00:00Z");
}

#[test]
fn dispenser_events_with_negative_numbers_are_rejected() {
    assert!(DispenserEvent::parse(br#"{"event":"end","kg":-1}"#).is_err());
    assert!(DispenserEvent::parse(br#"{"event":"bogus"}"#).is_err());
    let e = DispenserEvent::parse(br#"{"event":"end","kg":8.2,"amount_paise":72000}"#).unwrap();
    assert_eq!(e.event, DispenserEventKind::End);
}
