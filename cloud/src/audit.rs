//! The audit log's hash chain. Each entry's hash covers the previous entry's hash and
//! every field of the entry, so editing, deleting or reordering any stored entry
//! breaks the chain from that point on — `gasq-cloud audit verify` finds where.

use sha2::{Digest, Sha256};

use crate::store::AuditRecord;

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

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
    fn fields(&self) -> ChainFields<'_> {
        ChainFields {
            seq: self.seq,
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
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        if r.seq != self.next_seq {
            return Err(ChainBreak::Gap {
                seq: r.seq,
                expected: self.next_seq,
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: r.seq });
        }
        if entry_hash(&r.prev_hash, &r.fields()).as_slice() != r.hash.as_slice() {
            return Err(ChainBreak::Hash { seq: r.seq });
        }
        self.prev_hash.clone_from(&r.hash);
        self.next_seq += 1;
        Ok(())
    }

    /// How many entries checked out.
    pub fn verified(&self) -> i64 {
        self.next_seq - 1
    }
}
