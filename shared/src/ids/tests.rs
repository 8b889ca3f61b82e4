use super::*;

#[test]
fn a_station_code_is_upper_cased() {
    assert_eq!(StationCode::parse("mum-0042").unwrap().as_str(), "MUM-0042");
}

#[test]
fn a_station_code_with_topic_wildcards_is_rejected() {
    for bad in ["MUM/1", "MUM+", "MUM#", "", "M", "1MUM", "MUM-", "MU--M"] {
        assert!(StationCode::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_registration_is_normalised() {
    assert_eq!(
        VehicleReg::parse("mh 12 ab-1234").unwrap().as_str(),
        "MH12AB1234"
    );
}

#[test]
fn a_registration_with_other_characters_is_rejected() {
    for bad in ["MH12AB12é", "MH12_AB", "ABCD", "1234", "MH12AB12345678901"] {
        assert!(VehicleReg::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn an_indian_mobile_becomes_e164() {
    for raw in [
        "9876543210",
        "09876543210",
        "+91 98765 43210",
        "919876543210",
    ] {
        assert_eq!(
            Phone::parse(raw).unwrap().as_str(),
            "+919876543210",
            "{raw}"
        );
    }
}

#[test]
fn a_phone_number_is_masked_in_debug_output() {
    let phone = Phone::parse("9876543210").unwrap();
    let shown = format!("{phone:?}");
    assert!(!shown.contains("9876543"), "{shown}");
    assert!(shown.ends_with("210)"), "{shown}");
}

#[test]
fn garbage_is_not_a_phone_number() {
    for bad in ["", "abc", "12345", "+", "0000000000000000000"] {
        assert!(Phone::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn quantities_round_to_ten_grams() {
    assert_eq!(Quantity::from_kg(Some(8.004)).unwrap().centikg(), 800);
    assert_eq!(Quantity::from_kg(None).unwrap(), Quantity::FILL_TO_FULL);
    assert!(Quantity::from_kg(Some(-1.0)).is_err());
    assert!(Quantity::from_kg(Some(f64::NAN)).is_err());
    assert!(Quantity::from_kg(Some(700.0)).is_err());
}

#[test]
fn station_zero_does_not_exist() {
    assert!(StationId::new(0).is_err());
    assert!(serde_json::from_str::<StationId>("-1").is_err());
    assert_eq!(serde_json::from_str::<StationId>("42").unwrap().get(), 42);
}
