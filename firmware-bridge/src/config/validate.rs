//! Checks serde cannot make: numbers in range, one dispenser per lane, no serial port
//! claimed twice, URLs the bridge can use. Each error names its key.

use std::collections::HashMap;
use std::path::PathBuf;

use gasq_shared::topics::MAX_SCAN_BYTES;

/// The longest scanner line allowed. A token is under 200 characters; wrapped in the
/// scan JSON (id, escaping) a line of this length still fits the edge's limit.
pub const MAX_SCANNER_LINE: usize = MAX_SCAN_BYTES / 4;

use super::load::ConfigError;
use super::{Config, RegisterMap, SerialSettings};
use crate::mqtt::BrokerAddress;

/// Checks a deserialised config; the first problem found is returned.
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    check_mqtt(config)?;
    let mut ports: HashMap<PathBuf, String> = HashMap::new();
    for (i, s) in config.scanner.iter().enumerate() {
        let key = format!("scanner #{}", i + 1);
        check_lane(&key, s.lane)?;
        check_serial(&key, &s.serial(), &mut ports)?;
        if s.max_line == 0 || s.max_line > MAX_SCANNER_LINE {
            return Err(at(
                &key,
                "max_line",
                format!("must be 1 to {MAX_SCANNER_LINE}"),
            ));
        }
    }
    let mut dispenser_lanes: HashMap<u16, usize> = HashMap::new();
    for (i, d) in config.dispenser.iter().enumerate() {
        let key = format!("dispenser #{}", i + 1);
        check_lane(&key, d.lane)?;
        check_serial(&key, &d.serial(), &mut ports)?;
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
        if !(1..=247).contains(&d.unit) {
            return Err(at(&key, "unit", "a Modbus unit id is 1 to 247".into()));
        }
        if d.poll_interval.get().as_millis() < 20 {
            return Err(at(&key, "poll_interval", "must be at least 20ms".into()));
        }
        if d.timeout.get().as_millis() < 10 {
            return Err(at(&key, "timeout", "must be at least 10ms".into()));
        }
        if d.ping_interval.get().as_millis() < 100 {
            return Err(at(&key, "ping_interval", "must be at least 100ms".into()));
        }
        if d.registers.kg_scale == 0 {
            return Err(at(&key, "registers.kg_scale", "must be at least 1".into()));
        }
        if d.auth_timeout.get().is_zero() {
            return Err(at(&key, "auth_timeout", "must be above zero".into()));
        }
        if d.progress_interval.get().is_zero() {
            return Err(at(&key, "progress_interval", "must be above zero".into()));
        }
        check_registers(&key, &d.registers)?;
    }
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
    for (kind, list) in [("display", &config.display), ("gate", &config.gate)] {
        for (i, d) in list.iter().enumerate() {
            let key = format!("{kind} #{}", i + 1);
            check_lane(&key, d.lane)?;
            check_serial(&key, &d.serial(), &mut ports)?;
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
