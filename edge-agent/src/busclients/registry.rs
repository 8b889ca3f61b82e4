//! The credentials as the running agent holds them: the embedded broker's CONNECT check,
//! the client ids each device is connected with (to cut a removed device off), and the
//! dispenser-event sessions seen from each bridge (to refuse replays).
//!
//! The table is re-read from the database by [`super::watch`], so `gasq-edge bus-client
//! add|remove` in another process takes effect on the running agent within moments.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use rand::RngCore;

use super::{BusClient, Role, client_id_allowed, secret};

/// The agent's own login on its embedded broker (its fallback link and the connections
/// that cut a removed device off). `@` is in no device name, so no device can be it.
pub const AGENT_USER: &str = "@gasq-edge";
/// Client ids one device may connect with in one run of the agent. Every id is
/// remembered so that removing the device cuts all its connections; past this many a
/// new id is refused rather than an old one forgotten (a forgotten id would survive the
/// device's removal). Real devices keep one or two ids (the bridge's is fixed).
const IDS_PER_DEVICE: usize = 64;
/// How far behind the newest sequence number of a session an event may arrive (the
/// bridge re-sends unacknowledged events after a reconnect, not always in order).
const SEQ_WINDOW: u64 = 1024;

#[derive(Debug, Clone)]
struct Known {
    password_sha256: String,
    role: Role,
    event_key: Option<VerifyingKey>,
}

#[derive(Debug, Default)]
struct EventSession {
    boot: u64,
    seen: BTreeSet<u64>,
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<String, Known>,
    ids: HashMap<String, VecDeque<String>>,
    events: HashMap<String, EventSession>,
}

/// Why a dispenser event's session is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// From a session older than the newest seen: a replay.
    OldSession,
    /// A sequence number already seen (or too far behind): a replay.
    Seen,
}

/// See the module docs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Registry {
    state: Arc<RwLock<State>>,
    agent_password: Arc<String>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Self {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        Self {
            state: Arc::default(),
            agent_password: Arc::new(URL_SAFE_NO_PAD.encode(raw)),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The agent's own login (a fresh random password each run, never stored).
    pub fn agent_login(&self) -> (String, String) {
        (
            AGENT_USER.to_owned(),
            self.agent_password.as_str().to_owned(),
        )
    }

    /// The broker's CONNECT check: a known device with its password and a client id
    /// bound to its name (or the agent itself, with any id).
    pub fn check_connect(&self, client_id: &str, username: &str, password: &str) -> bool {
        if username == AGENT_USER {
            return bool::from(subtle::ConstantTimeEq::ct_eq(
                password.as_bytes(),
                self.agent_password.as_bytes(),
            ));
        }
        let allowed = self.read().clients.get(username).is_some_and(|known| {
            secret::matches(password, &known.password_sha256)
                && client_id_allowed(client_id, username)
        });
        if !allowed {
            return false;
        }
        let mut state = self.write();
        let ids = state.ids.entry(username.to_owned()).or_default();
        if ids.iter().any(|id| id == client_id) {
            return true;
        }
        if ids.len() >= IDS_PER_DEVICE {
            tracing::warn!(
                device = username,
                "refused a connection: this device already used {IDS_PER_DEVICE} client ids in this run (restart gasq-edge if a device really needs more)"
            );
            return false;
        }
        ids.push_back(client_id.to_owned());
        true
    }

    /// Replaces the credentials with `clients`; returns the client ids of devices that
    /// are gone, which are to be cut off.
    pub fn replace(&self, clients: &[BusClient]) -> Vec<String> {
        let mut state = self.write();
        let fresh: HashMap<String, Known> = clients
            .iter()
            .map(|c| {
                let known = Known {
                    password_sha256: c.password_sha256.clone(),
                    role: c.role,
                    event_key: gasq_shared::bussig::parse_key(&c.event_key).ok(),
                };
                (c.username.clone(), known)
            })
            .collect();
        let gone: Vec<String> = state
            .clients
            .iter()
            .filter(|(name, old)| {
                fresh
                    .get(*name)
                    .is_none_or(|new| new.password_sha256 != old.password_sha256)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for client in clients {
            let floor = state.events.entry(client.username.clone()).or_default();
            floor.boot = floor.boot.max(client.event_boot);
        }
        let mut cut = Vec::new();
        for name in &gone {
            cut.extend(state.ids.remove(name).unwrap_or_default());
            state.events.remove(name);
        }
        state.clients = fresh;
        cut
    }

    /// How many devices are provisioned.
    pub fn len(&self) -> usize {
        self.read().clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A device's role and event key, if it is provisioned.
    pub fn event_key(&self, username: &str) -> Option<(Role, VerifyingKey)> {
        let state = self.read();
        let known = state.clients.get(username)?;
        Some((known.role, known.event_key?))
    }

    /// Accepts event `seq` of session `boot` from `username` once. `Ok(true)` when this
    /// starts a newer session (to be remembered in the database).
    pub fn accept_event(&self, username: &str, boot: u64, seq: u64) -> Result<bool, Replay> {
        let mut state = self.write();
        let session = state.events.entry(username.to_owned()).or_default();
        if boot < session.boot {
            return Err(Replay::OldSession);
        }
        let newer = boot > session.boot;
        if newer {
            *session = EventSession {
                boot,
                seen: BTreeSet::new(),
            };
        }
        let newest = session.seen.last().copied().unwrap_or(0);
        if session.seen.contains(&seq) || seq + SEQ_WINDOW < newest {
            return Err(Replay::Seen);
        }
        session.seen.insert(seq);
        let floor = seq.max(newest).saturating_sub(SEQ_WINDOW);
        session.seen = session.seen.split_off(&floor);
        Ok(newer)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn registry_with(name: &str) -> (Registry, String) {
        let (client, password) = secret::new_client(name, Role::Bridge, Utc::now());
        let registry = Registry::new();
        registry.replace(&[client]);
        (registry, password)
    }

    #[test]
    fn a_device_connects_with_its_password_and_an_id_bound_to_its_name() {
        let (registry, password) = registry_with("lane_1");
        assert!(registry.check_connect("lane_1", "lane_1", &password));
        assert!(registry.check_connect("lane_1-x", "lane_1", &password));
        assert!(!registry.check_connect("lane_1", "lane_1", "wrong"));
        assert!(!registry.check_connect("other", "lane_1", &password));
        assert!(!registry.check_connect(crate::broker::AGENT_LINK_ID, "lane_1", &password));
        assert!(!registry.check_connect("x", "nobody", &password));
        let (user, pass) = registry.agent_login();
        assert!(registry.check_connect("anything", &user, &pass));
        assert!(!registry.check_connect("anything", &user, "guess"));
    }

    #[test]
    fn a_removed_device_is_refused_and_its_connections_named_for_cutting() {
        let (registry, password) = registry_with("lane_1");
        assert!(registry.check_connect("lane_1-a", "lane_1", &password));
        assert!(registry.check_connect("lane_1-b", "lane_1", &password));
        let cut = registry.replace(&[]);
        assert_eq!(cut, ["lane_1-a", "lane_1-b"]);
        assert!(!registry.check_connect("lane_1", "lane_1", &password));
    }

    #[test]
    fn a_device_cannot_open_more_ids_than_a_removal_would_cut() {
        let (registry, password) = registry_with("lane_1");
        for n in 0..IDS_PER_DEVICE {
            assert!(registry.check_connect(&format!("lane_1-{n}"), "lane_1", &password));
        }
        // One more id would have pushed the first out of what a removal cuts.
        assert!(!registry.check_connect("lane_1-extra", "lane_1", &password));
        assert!(
            registry.check_connect("lane_1-0", "lane_1", &password),
            "known ids reconnect"
        );
        let cut = registry.replace(&[]);
        assert_eq!(cut.len(), IDS_PER_DEVICE);
        assert!(cut.iter().any(|id| id == "lane_1-0"));
    }

    #[test]
    fn replayed_events_and_old_sessions_are_refused() {
        let (registry, _) = registry_with("lane_1");
        assert_eq!(registry.accept_event("lane_1", 10, 1), Ok(true));
        assert_eq!(registry.accept_event("lane_1", 10, 2), Ok(false));
        assert_eq!(registry.accept_event("lane_1", 10, 1), Err(Replay::Seen));
        assert_eq!(registry.accept_event("lane_1", 11, 1), Ok(true));
        assert_eq!(
            registry.accept_event("lane_1", 10, 3),
            Err(Replay::OldSession)
        );
    }
}
