//! The config as a technician meets it: the example parses, and every mistake gets one
//! line naming the key.

use super::*;

fn error(text: &str) -> String {
    parse_str(text).unwrap_err().to_string()
}

const MINIMAL: &str = "station = \"MUM-0042\"\n";

#[test]
fn the_printed_example_config_is_valid() {
    let cfg = parse_str(DEFAULT_CONFIG).unwrap();
    assert_eq!(cfg.station.as_str(), "MUM-0042");
    assert_eq!(cfg.scanner[0].terminator, Terminator::CR);
    assert_eq!(cfg.dispenser[1].protocol, DispenserProtocol::Modbus);
    assert_eq!(cfg.dispenser[1].parity, Parity::Even);
    assert_eq!(cfg.camera[0].interval, Span::secs(1));
}

#[test]
fn a_minimal_config_gets_the_defaults() {
    let cfg = parse_str(MINIMAL).unwrap();
    assert_eq!(cfg.mqtt.url, "mqtt://127.0.0.1:1883");
    assert_eq!(cfg.mqtt.buffer, 1000);
    assert!(cfg.scanner.is_empty());
}

#[test]
fn a_missing_station_is_named() {
    assert_eq!(
        error("[mqtt]\nurl = \"mqtt://x:1\"\n"),
        "bad config (config): station: is missing"
    );
}

#[test]
fn a_misspelt_key_is_named_with_its_block() {
    let e = error(&format!(
        "{MINIMAL}[[scanner]]\nlane = 1\nport = \"/dev/x\"\nbaudrate = 9600\n"
    ));
    assert!(e.contains("scanner #1 baudrate: is not a known key"), "{e}");
}

#[test]
fn a_value_of_the_wrong_type_is_named() {
    let e = error(&format!(
        "{MINIMAL}[[scanner]]\nlane = 1\nport = \"/dev/a\"\n[[scanner]]\nlane = 2\nport = \"/dev/b\"\nbaud = \"fast\"\n"
    ));
    assert!(e.contains("scanner #2 baud"), "{e}");
}

#[test]
fn an_unknown_terminator_lists_the_choices() {
    let e = error(&format!(
        "{MINIMAL}[[display]]\nlane = 1\nport = \"/dev/a\"\nterminator = \"NUL\"\n"
    ));
    assert!(
        e.contains("display #1 terminator") && e.contains("CRLF"),
        "{e}"
    );
}

#[test]
fn a_port_used_twice_is_refused() {
    let e = error(&format!(
        "{MINIMAL}[[scanner]]\nlane = 1\nport = \"/dev/a\"\n[[display]]\nlane = 1\nport = \"/dev/a\"\n"
    ));
    assert!(
        e.contains("display #1 port: /dev/a is already used by scanner #1"),
        "{e}"
    );
}

#[test]
fn two_dispensers_on_one_lane_are_refused() {
    let e = error(&format!(
        "{MINIMAL}[[dispenser]]\nlane = 1\nport = \"/dev/a\"\nprotocol = \"line\"\n[[dispenser]]\nlane = 1\nport = \"/dev/b\"\nprotocol = \"modbus\"\n"
    ));
    assert!(e.contains("dispenser #2 lane"), "{e}");
}

#[test]
fn an_unknown_protocol_and_a_zero_lane_are_named() {
    let e = error(&format!(
        "{MINIMAL}[[dispenser]]\nlane = 1\nport = \"/dev/a\"\nprotocol = \"can\"\n"
    ));
    assert!(e.contains("dispenser #1 protocol"), "{e}");
    let e = error(&format!(
        "{MINIMAL}[[camera]]\nlane = 0\nsnapshot_url = \"http://cam/snap.jpg\"\n"
    ));
    assert!(
        e.contains("camera #1 lane: lanes are numbered from 1"),
        "{e}"
    );
}

#[test]
fn a_bad_broker_url_is_named() {
    let e = error(&format!("{MINIMAL}[mqtt]\nurl = \"http://edge:1883\"\n"));
    assert!(e.starts_with("bad config (config): mqtt.url:"), "{e}");
}

#[test]
fn a_toml_syntax_error_gives_line_and_column() {
    let e = error("station = \"MUM-0042\"\n[[scanner]\n");
    assert!(e.contains("line 2, column"), "{e}");
}

#[test]
fn a_bad_duration_is_named() {
    let e = error(&format!(
        "{MINIMAL}[[camera]]\nlane = 1\nsnapshot_url = \"http://cam/a.jpg\"\ninterval = \"often\"\n"
    ));
    assert!(
        e.contains("camera #1 interval") && e.contains("not a duration"),
        "{e}"
    );
}

#[test]
fn every_message_is_one_line() {
    for text in [
        "",
        "station = 5",
        "station = \"MUM-0042\"\n[[scanner]\n",
        "[x]\ny = 1",
    ] {
        let e = error(text);
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn a_secret_never_shows_in_debug_output() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "[redacted]");
    assert_eq!(s.expose(), "hunter2");
}

#[test]
fn a_register_map_that_overflows_or_overlaps_is_named() {
    let modbus = |registers: &str| {
        error(&format!(
            "{MINIMAL}[[dispenser]]\nlane = 1\nport = \"/dev/a\"\nprotocol = \"modbus\"\n[dispenser.registers]\n{registers}"
        ))
    };
    // A 32-bit value starting at the last address would read past the address space.
    let e = modbus("delivered = 65535\n");
    assert!(e.contains("dispenser #1 registers.delivered"), "{e}");
    // The authorised quantity written over the delivered quantity read back.
    let e = modbus("auth_quantity = 2\n");
    assert!(
        e.contains("registers.auth_quantity") && e.contains("overlaps registers.delivered"),
        "{e}"
    );
    // Registers read may share addresses (some controllers mirror them); the default map
    // is fine.
    let key = "[mqtt]\nverdict_key = \"WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY\"\n";
    assert!(
        parse_str(&format!(
            "{MINIMAL}{key}[[dispenser]]\nlane = 1\nport = \"/dev/a\"\nprotocol = \"modbus\"\n"
        ))
        .is_ok()
    );
}

#[test]
fn a_dispenser_without_the_edges_verdict_key_is_refused() {
    let e = error(&format!(
        "{MINIMAL}[[dispenser]]\nlane = 1\nport = \"/dev/a\"\nprotocol = \"line\"\n"
    ));
    assert!(
        e.contains("mqtt.verdict_key") && e.contains("bus-client add"),
        "{e}"
    );
    let e = error(&format!("{MINIMAL}[mqtt]\nverdict_key = \"nope\"\n"));
    assert!(e.contains("mqtt.verdict_key"), "{e}");
}

#[test]
fn zero_timings_are_refused() {
    let e = error(&format!(
        "{MINIMAL}[[camera]]\nlane = 1\nsnapshot_url = \"http://cam/a.jpg\"\nrepeat_after = \"0s\"\n"
    ));
    assert!(e.contains("camera #1 repeat_after"), "{e}");
    let e = error(&format!(
        "{MINIMAL}[[camera]]\nlane = 1\nsnapshot_url = \"http://cam/a.jpg\"\ntimeout = \"0s\"\n"
    ));
    assert!(e.contains("camera #1 timeout"), "{e}");
    let e = error(&format!(
        "{MINIMAL}[[scanner]]\nlane = 1\nport = \"/dev/a\"\nmax_line = 4000\n"
    ));
    assert!(e.contains("scanner #1 max_line: must be 1 to 1024"), "{e}");
}
