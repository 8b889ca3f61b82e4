//! The audit log's hash chain. Each sealed entry's hash covers the previous entry's
//! hash and every field of the entry, so editing, deleting or reordering any sealed
//! entry breaks the chain from that point on — `gasq-cloud audit verify` finds where.
//! The sealer (`store/seal.rs`) gives entries their chain place within a second.
//!
//! [`AuditEntry`] is what a use case writes; [`AuditRecord`] is an entry as stored.

use sha2::{Digest, Sha256};

use gasq_shared::UserId;

use super::actor::{Actor, Role};

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// One entry for the audit log: who did what to what, from where.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub actor_id: Option<UserId>,
    pub actor_role: Option<Role>,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

impl Actor {
    /// An audit entry with this user as the actor.
    pub fn audit(&self, action: &str, target: String, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            actor_id: Some(self.id),
            actor_role: Some(self.role),
            action: action.to_owned(),
            target,
            ip: self.ip.map(|ip| ip.to_string()),
            detail,
        }
    }
}

/// One entry of the audit log as stored, with its place in the chain once sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Insertion order.
    pub id: i64,
    /// Chain position; `None` until the sealer links the entry (within a second).
    pub seq: Option<i64>,
    pub at_micros: i64,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub detail: String,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

/// The fields an entry's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub at_micros: i64,
    pub actor_id: Option<uuid::Uuid>,
    pub actor_role: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub ip: Option<&'a str>,
    pub detail: &'a str,
}

fn field(h: &mut Sha256, value: Option<&[u8]>) {
    // Length-prefixed, with absent distinct from empty, so no two entries hash alike.
    match value {
        None => h.update([0u8]),
        Some(v) => {
            h.update([1u8]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v);
        }
    }
}

/// SHA-256 over `prev` and the entry's fields.
pub fn entry_hash(prev: &[u8], f: &ChainFields<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gasq-audit-v1");
    h.update(prev);
    h.update(f.seq.to_be_bytes());
    h.update(f.at_micros.to_be_bytes());
    field(&mut h, f.actor_id.as_ref().map(|u| u.as_bytes().as_slice()));
    field(&mut h, f.actor_role.map(str::as_bytes));
    field(&mut h, Some(f.action.as_bytes()));
    field(&mut h, Some(f.target.as_bytes()));
    field(&mut h, f.ip.map(str::as_bytes));
    field(&mut h, Some(f.detail.as_bytes()));
    h.finalize().into()
}

impl AuditRecord {
    /// The fields this entry's hash covers, at chain position `seq`.
    pub fn fields(&self, seq: i64) -> ChainFields<'_> {
        ChainFields {
            seq,
            at_micros: self.at_micros,
            actor_id: self.actor_id.map(|u| u.0),
            actor_role: self.actor_role.as_deref(),
            action: &self.action,
            target: &self.target,
            ip: self.ip.as_deref(),
            detail: &self.detail,
        }
    }
}

/// Where a chain stops being intact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: expected sequence number {expected} (an entry is missing or inserted)")]
    Gap { seq: i64, expected: i64 },
    #[error("entry {seq}: does not link to the entry before it")]
    Link { seq: i64 },
    #[error("entry {seq}: contents do not match its hash (edited after it was written)")]
    Hash { seq: i64 },
    #[error("entry with id {id} stands in the chain but was never sealed")]
    Unsealed { id: i64 },
}

/// Walks entries in chain order. Feed it pages; it keeps the running state.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: Vec<u8>,
    next_seq: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS.to_vec(),
            next_seq: 1,
        }
    }
}

impl ChainVerifier {
    /// Checks the next sealed entry (unsealed entries are not part of the chain yet).
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let (Some(seq), Some(prev), Some(hash)) = (r.seq, &r.prev_hash, &r.hash) else {
            return Err(ChainBreak::Unsealed { id: r.id });
        };
        if seq != self.next_seq {
            return Err(ChainBreak::Gap {
                seq,
                expected: self.next_seq,
            });
        }
        if *prev != self.prev_hash {
            return Err(ChainBreak::Link { seq });
        }
        if entry_hash(prev, &r.fields(seq)).as_slice() != hash.as_slice() {
            return Err(ChainBreak::Hash { seq });
        }
        self.prev_hash.clone_from(hash);
        self.next_seq += 1;
        Ok(())
    }

    /// How many entries checked out.
    pub fn verified(&self) -> i64 {
        self.next_seq - 1
    }
}
