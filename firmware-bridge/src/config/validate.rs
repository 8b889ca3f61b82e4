//! Checks serde cannot make: numbers in range, one dispenser per lane, no serial port
//! claimed twice, URLs the bridge can use. Each error names its key.

use std::collections::HashMap;
use std::path::PathBuf;

use gasq_shared::topics::MAX_SCAN_BYTES;

/// The longest scanner line allowed. A token is under 200 characters; wrapped in the
/// scan JSON (id, escaping) a line of this length still fits the edge's limit.
pub const MAX_SCANNER_LINE: usize = MAX_SCAN_BYTES / 4;

use super::address::BrokerAddress;
use super::error::ConfigError;
use super::{Config, DispenserConfig, RegisterMap, SerialSettings, Span};

/// Checks a deserialised config; the first problem found is returned.
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    check_mqtt(config)?;
    // Every serial port, with the device that claimed it first.
    let mut ports: HashMap<PathBuf, String> = HashMap::new();
    check_scanners(config, &mut ports)?;
    check_dispensers(config, &mut ports)?;
    check_cameras(config)?;
    for (kind, list) in [("display", &config.display), ("gate", &config.gate)] {
        for (i, d) in list.iter().enumerate() {
            let key = format!("{kind} #{}", i + 1);
            check_lane(&key, d.lane)?;
            check_serial(&key, &d.serial(), &mut ports)?;
        }
    }
    check_verdict_key(config)
}

fn check_scanners(
    config: &Config,
    ports: &mut HashMap<PathBuf, String>,
) -> Result<(), ConfigError> {
    for (i, s) in config.scanner.iter().enumerate() {
        let key = format!("scanner #{}", i + 1);
        check_lane(&key, s.lane)?;
        check_serial(&key, &s.serial(), ports)?;
        if s.max_line == 0 || s.max_line > MAX_SCANNER_LINE {
            return Err(at(
                &key,
                "max_line",
                format!("must be 1 to {MAX_SCANNER_LINE}"),
            ));
        }
    }
    Ok(())
}

fn check_dispensers(
    config: &Config,
    ports: &mut HashMap<PathBuf, String>,
) -> Result<(), ConfigError> {
    let mut dispenser_lanes: HashMap<u16, usize> = HashMap::new();
    for (i, d) in config.dispenser.iter().enumerate() {
        let key = format!("dispenser #{}", i + 1);
        check_lane(&key, d.lane)?;
        check_serial(&key, &d.serial(), ports)?;
        if let Some(first) = dispenser_lanes.insert(d.lane, i + 1) {
            return Err(at(
                &key,
                "lane",
                format!(
                    "lane {} already has dispenser #{first}; one dispenser per lane",
                    d.lane
                ),
            ));
        }
        check_dispenser_timing(&key, d)?;
        check_registers(&key, &d.registers)?;
    }
    Ok(())
}

/// The Modbus unit, the intervals and timeouts of one dispenser.
fn check_dispenser_timing(key: &str, d: &DispenserConfig) -> Result<(), ConfigError> {
    let millis = |span: Span| span.get().as_millis();
    let problem = if !(1..=247).contains(&d.unit) {
        Some(("unit", "a Modbus unit id is 1 to 247"))
    } else if millis(d.poll_interval) < 20 {
        Some(("poll_interval", "must be at least 20ms"))
    } else if millis(d.timeout) < 10 {
        Some(("timeout", "must be at least 10ms"))
    } else if millis(d.ping_interval) < 100 {
        Some(("ping_interval", "must be at least 100ms"))
    } else if d.registers.kg_scale == 0 {
        Some(("registers.kg_scale", "must be at least 1"))
    } else if d.auth_timeout.get().is_zero() {
        Some(("auth_timeout", "must be above zero"))
    } else if d.progress_interval.get().is_zero() {
        Some(("progress_interval", "must be above zero"))
    } else {
        None
    };
    match problem {
        Some((field, message)) => Err(at(key, field, message.into())),
        None => Ok(()),
    }
}

fn check_cameras(config: &Config) -> Result<(), ConfigError> {
    for (i, c) in config.camera.iter().enumerate() {
        let key = format!("camera #{}", i + 1);
        check_lane(&key, c.lane)?;
        let url = c.snapshot_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
            return Err(at(
                &key,
                "snapshot_url",
                format!("{url:?} is not an http(s) URL"),
            ));
        }
        if c.interval.get().as_millis() < 50 {
            return Err(at(&key, "interval", "must be at least 50ms".into()));
        }
        if c.timeout.get().as_millis() < 10 {
            return Err(at(&key, "timeout", "must be at least 10ms".into()));
        }
        if c.repeat_after.get().is_zero() {
            return Err(at(&key, "repeat_after", "must be above zero".into()));
        }
    }
    Ok(())
}

fn at(block: &str, field: &str, message: String) -> ConfigError {
    ConfigError::new(format!("{block} {field}"), message)
}

fn check_mqtt(config: &Config) -> Result<(), ConfigError> {
    let m = &config.mqtt;
    BrokerAddress::parse(&m.url).map_err(|e| ConfigError::new("mqtt.url", e))?;
    if m.buffer == 0 {
        return Err(ConfigError::new("mqtt.buffer", "must be at least 1"));
    }
    if m.reconnect_min.get().is_zero() || m.reconnect_min > m.reconnect_max {
        return Err(ConfigError::new(
            "mqtt.reconnect_min",
            "must be above zero and not above mqtt.reconnect_max",
        ));
    }
    if m.scan_ttl.get().as_secs() < 1 {
        return Err(ConfigError::new("mqtt.scan_ttl", "must be at least 1s"));
    }
    if m.keep_alive.get().as_secs() < 1 {
        return Err(ConfigError::new("mqtt.keep_alive", "must be at least 1s"));
    }
    if m.verdict_max_age.get().as_secs() < 1 {
        return Err(ConfigError::new(
            "mqtt.verdict_max_age",
            "must be at least 1s",
        ));
    }
    if m.password.is_some() && m.username.is_none() {
        return Err(ConfigError::new(
            "mqtt.password",
            "is set without mqtt.username",
        ));
    }
    if m.client_id
        .as_deref()
        .is_some_and(|id| id.is_empty() || id.len() > 64)
    {
        return Err(ConfigError::new(
            "mqtt.client_id",
            "must be 1 to 64 characters",
        ));
    }
    Ok(())
}

/// A bridge that shows verdicts or arms pumps must be able to tell the edge's verdicts
/// from forgeries (docs/architecture.md, invariant 8).
fn check_verdict_key(config: &Config) -> Result<(), ConfigError> {
    match &config.mqtt.verdict_key {
        Some(key) => gasq_shared::bussig::parse_key(key)
            .map(|_| ())
            .map_err(|e| ConfigError::new("mqtt.verdict_key", e)),
        None if !(config.dispenser.is_empty()
            && config.display.is_empty()
            && config.gate.is_empty()) =>
        {
            Err(ConfigError::new(
                "mqtt.verdict_key",
                "is missing: dispensers, displays and gates act only on verdicts signed by the edge; \
                 set mqtt.credentials to the file `gasq-edge bus-client add` wrote (or verdict_key itself)",
            ))
        }
        None => Ok(()),
    }
}

/// Every register inside the address space, 32-bit values included, and the two
/// written ones apart from each other and from everything read.
fn check_registers(block: &str, map: &RegisterMap) -> Result<(), ConfigError> {
    let fields = [
        ("status", map.status, 1, false),
        ("delivered", map.delivered, 2, false),
        ("amount", map.amount, 2, false),
        ("fault_code", map.fault_code, 1, false),
        ("auth_quantity", map.auth_quantity, 2, true),
        ("auth_command", map.auth_command, 1, true),
    ];
    for (name, at_addr, width, _) in fields {
        if u32::from(at_addr) + width > 0x1_0000 {
            return Err(at(
                block,
                &format!("registers.{name}"),
                format!(
                    "{at_addr} leaves no room for its {width} registers (addresses end at 65535)"
                ),
            ));
        }
    }
    let span = |addr: u16, width: u32| u32::from(addr)..u32::from(addr) + width;
    for (i, (name, addr, width, written)) in fields.iter().enumerate() {
        for (other, other_addr, other_width, other_written) in &fields[..i] {
            let (a, b) = (span(*addr, *width), span(*other_addr, *other_width));
            let overlap = a.start < b.end && b.start < a.end;
            if overlap && (*written || *other_written) {
                return Err(at(
                    block,
                    &format!("registers.{name}"),
                    format!(
                        "overlaps registers.{other}: a written register must not share an address"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_lane(block: &str, lane: u16) -> Result<(), ConfigError> {
    if lane == 0 {
        return Err(at(block, "lane", "lanes are numbered from 1".into()));
    }
    Ok(())
}

fn check_serial(
    block: &str,
    serial: &SerialSettings,
    ports: &mut HashMap<PathBuf, String>,
) -> Result<(), ConfigError> {
    serial
        .check()
        .map_err(|(field, message)| at(block, field, message))?;
    if let Some(first) = ports.insert(serial.port.clone(), block.to_owned()) {
        return Err(at(
            block,
            "port",
            format!("{} is already used by {first}", serial.port.display()),
        ));
    }
    Ok(())
}
