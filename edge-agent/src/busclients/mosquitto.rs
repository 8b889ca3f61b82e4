//! What an external Mosquitto needs to enforce the station-bus rules
//! (`gasq-edge bus-client mosquitto --out DIR`): a password file with every device
//! (and the agent's own login from `mqtt_username`/`mqtt_password`), an ACL file that
//! lets each role publish only where it may, and a config snippet tying them together.
//!
//! Mosquitto does enforce topic ACLs, so there a scanner cannot even publish a verdict;
//! the signatures on verdicts and dispenser events are checked all the same.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gasq_shared::StationCode;

use super::{BusClient, Role, secret};

/// The agent's login on the external broker, if configured.
pub type AgentLogin<'a> = Option<(&'a str, &'a str)>;

/// Writes `passwd`, `acl` and `mosquitto.conf` into `dir`; returns their paths.
pub fn write(
    dir: &Path,
    station: &StationCode,
    clients: &[BusClient],
    agent: AgentLogin<'_>,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let passwd = dir.join("passwd");
    let acl = dir.join("acl");
    let conf = dir.join("mosquitto.conf");
    crate::datadir::write_private(&passwd, password_file(clients, agent).as_bytes())?;
    std::fs::write(&acl, acl_file(station, clients, agent))?;
    std::fs::write(&conf, config_snippet(&passwd, &acl))?;
    Ok(vec![passwd, acl, conf])
}

fn password_file(clients: &[BusClient], agent: AgentLogin<'_>) -> String {
    let mut out = String::new();
    if let Some((user, password)) = agent {
        let _ = writeln!(out, "{user}:{}", secret::mosquitto_hash(password));
    }
    for c in clients {
        let _ = writeln!(out, "{}:{}", c.username, c.mosquitto_hash);
    }
    out
}

fn acl_file(station: &StationCode, clients: &[BusClient], agent: AgentLogin<'_>) -> String {
    let lane = format!("gasq/{station}/lane/+");
    let mut out =
        String::from("# Written by gasq-edge bus-client mosquitto; regenerate after add/remove.\n");
    if let Some((user, _)) = agent {
        let _ = writeln!(
            out,
            "\n# the edge agent\nuser {user}\ntopic readwrite gasq/{station}/#"
        );
    }
    for c in clients {
        let _ = writeln!(
            out,
            "\n# {} ({})\nuser {}",
            c.username,
            c.role.as_str(),
            c.username
        );
        let _ = writeln!(out, "topic write {lane}/scan\ntopic write {lane}/frame");
        if c.role == Role::Bridge {
            let _ = writeln!(out, "topic write {lane}/dispenser");
        }
        let _ = writeln!(
            out,
            "topic read {lane}/verdict\ntopic read gasq/{station}/queue\ntopic read gasq/{station}/edge/status"
        );
    }
    out
}

fn config_snippet(passwd: &Path, acl: &Path) -> String {
    format!(
        "# Station bus on Mosquitto 2 (include from mosquitto.conf). Written by gasq-edge.\n\
         listener 1883\n\
         allow_anonymous false\n\
         password_file {}\n\
         acl_file {}\n\
         # A client's id becomes its username: no device can take another's session.\n\
         use_username_as_clientid true\n",
        passwd.display(),
        acl.display()
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn scanners_may_not_publish_dispenser_events_and_every_user_has_a_hash() {
        let station = StationCode::parse("MUM-0042").unwrap();
        let (bridge, _) = secret::new_client("bridge_1", Role::Bridge, Utc::now());
        let (scanner, _) = secret::new_client("scan_1", Role::Scanner, Utc::now());
        let clients = [bridge, scanner];
        let acl = acl_file(&station, &clients, Some(("edge", "pw")));
        let scanner_part = acl.split("user scan_1").nth(1).unwrap();
        assert!(!scanner_part.contains("dispenser"), "{acl}");
        assert!(
            acl.contains("user edge\ntopic readwrite gasq/MUM-0042/#"),
            "{acl}"
        );
        let passwd = password_file(&clients, Some(("edge", "pw")));
        assert_eq!(passwd.lines().count(), 3);
        assert!(passwd.lines().all(|l| l.contains(":$7$101$")), "{passwd}");
    }
}
