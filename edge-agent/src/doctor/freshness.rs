//! How fresh and healthy the box's data is: the key set (judged by the last pull), the
//! last sync, the outbox, an event the cloud keeps refusing, and quarantined events.

use chrono::{DateTime, Utc};

use super::Check;
use crate::db::{Db, DbError, kv};
use crate::identity::Enrolled;
use crate::outbox::{self, OutboxStats, StuckHead};

/// Signing keys are published this long before they sign (`gasq-cloud keys rotate
/// --lead-hours`, default 24): a box that pulled within it knows every key in use.
const KEY_LEAD_HOURS: i64 = 24;

/// The key set: present, and as fresh as the last successful pull.
pub fn key_set(
    e: &Enrolled,
    last_pull: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    out: &mut Vec<Check>,
) {
    // When the keys last changed is information only: keys may rightly stay the same
    // for months. What matters is whether this box would have heard of a new one.
    let detail = format!(
        "{} key(s), last changed {} day(s) ago",
        e.keys.keys.len(),
        (now - e.keys_updated_at).num_days()
    );
    let fix = "new signing keys arrive by pull: make this box sync (see cloud and last sync)";
    if e.keys.keys.is_empty() {
        return out.push(Check::fail(
            "key set",
            detail,
            "let the box sync; if it stays empty, enroll again",
        ));
    }
    match last_pull.map(|t| (now - t).num_hours()) {
        None => out.push(Check::warn("key set", format!("{detail}; never pulled"), fix)),
        Some(h) if h > KEY_LEAD_HOURS => out.push(Check::warn(
            "key set",
            format!("{detail}; not pulled for {h} h, so a key published since may be missing (tokens it signs: unknown_key)"),
            fix,
        )),
        Some(_) => out.push(Check::ok("key set", format!("{detail}; current as of the last pull"))),
    }
}

/// What the agent saved about its sync and outbox.
pub struct Saved {
    /// The last successful pull (and push).
    pub last_sync: Option<DateTime<Utc>>,
    error: Option<String>,
    stats: OutboxStats,
    stuck: Option<StuckHead>,
}

impl Saved {
    pub async fn load(db: &Db) -> Result<Self, DbError> {
        db.call(|c| {
            Ok(Self {
                last_sync: kv::get(c, kv::keys::LAST_SYNC_AT)?,
                error: kv::get(c, kv::keys::LAST_SYNC_ERROR)?,
                stats: outbox::stats(c)?,
                stuck: outbox::stuck_head(c)?,
            })
        })
        .await
    }
}

/// What to do about a stale sync or a waiting outbox.
const RETRY_FIX: &str =
    "see the cloud check above; the agent retries by itself once the cloud answers";

/// The last sync, the outbox, its head if the cloud keeps refusing it, and quarantine.
pub fn sync_and_outbox(
    saved: &Saved,
    poison_attempts: u32,
    now: DateTime<Utc>,
    out: &mut Vec<Check>,
) {
    out.push(last_sync(saved, now));
    out.push(outbox(&saved.stats, now));
    out.extend(saved.stuck.as_ref().map(|s| stuck_head(s, poison_attempts)));
    if saved.stats.quarantined > 0 {
        out.push(quarantine(saved.stats.quarantined));
    }
}

/// Warn after an hour without a sync, fail after a day.
fn last_sync(saved: &Saved, now: DateTime<Utc>) -> Check {
    let why = saved
        .error
        .as_ref()
        .map(|e| format!(" (last error: {e})"))
        .unwrap_or_default();
    match saved.last_sync.map(|t| (now - t).num_minutes()) {
        None => Check::warn("last sync", format!("never{why}"), RETRY_FIX),
        Some(m) if m > 24 * 60 => {
            Check::fail("last sync", format!("{} h ago{why}", m / 60), RETRY_FIX)
        }
        Some(m) if m > 60 => Check::warn("last sync", format!("{m} min ago{why}"), RETRY_FIX),
        Some(m) => Check::ok("last sync", format!("{m} min ago")),
    }
}

/// Warn when the oldest unsent event is an hour old, fail at a day.
fn outbox(stats: &OutboxStats, now: DateTime<Utc>) -> Check {
    let age_h = stats
        .oldest_unsent_at
        .map(|t| (now - t).num_hours())
        .unwrap_or(0);
    let detail = format!("{} event(s) waiting, oldest {age_h} h", stats.depth);
    match age_h {
        h if h >= 24 => Check::fail("outbox", detail, RETRY_FIX),
        h if h >= 1 => Check::warn("outbox", detail, RETRY_FIX),
        _ => Check::ok("outbox", detail),
    }
}

/// The event at the head the cloud has refused before: everything behind it waits.
fn stuck_head(stuck: &StuckHead, poison_attempts: u32) -> Check {
    let last = stuck.last_error.as_deref().unwrap_or("no reason given");
    Check::warn(
        "outbox head",
        format!(
            "event #{} refused {} time(s) of {poison_attempts} before quarantine (last: {last})",
            stuck.seq, stuck.attempts
        ),
        "if the refusal names something this box can fix, fix it; otherwise the agent quarantines the event and the rest flows on",
    )
}

/// Quarantined events never reach the cloud: its bookings, fills and reports miss them
/// until someone acts, so this fails the report.
fn quarantine(count: u64) -> Check {
    Check::fail(
        "quarantine",
        format!("{count} event(s) the cloud refused for good: it never got them"),
        "list them with: sqlite3 edge.db 'SELECT seq, reason, body FROM quarantine'; once the cause is fixed, send them again with: gasq-edge outbox retry (else send the list to GasQ support)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;
    use chrono::Duration;
    use gasq_shared::keys::{KeyStatus, TokenKey, TokenKeys};
    use gasq_shared::sync::StationConfig;
    use gasq_shared::{DeviceId, StationCode, StationId};

    fn enrolled(keys_changed: DateTime<Utc>) -> Enrolled {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        Enrolled {
            device_id: DeviceId::new(),
            station: StationConfig {
                station_id: StationId::new(1).unwrap(),
                code: StationCode::parse("DOC-0001").unwrap(),
                name: "test".into(),
                policy: gasq_shared::policy::StationPolicy::with_lanes(1),
            },
            keys: TokenKeys {
                keys: vec![TokenKey::new(1, &key, KeyStatus::Active, true)],
            },
            keys_updated_at: keys_changed,
            attendant_hash: String::new(),
            lane_code_secrets: Vec::new(),
        }
    }

    fn saved() -> Saved {
        Saved {
            last_sync: Some(Utc::now()),
            error: None,
            stats: OutboxStats::default(),
            stuck: None,
        }
    }

    fn find<'a>(out: &'a [Check], what: &str) -> &'a Check {
        out.iter()
            .find(|c| c.what == what)
            .unwrap_or_else(|| panic!("no {what} check in {out:?}"))
    }

    #[test]
    fn keys_unchanged_for_months_are_fine_on_a_box_that_pulls() {
        let now = Utc::now();
        let mut out = Vec::new();
        key_set(
            &enrolled(now - Duration::days(200)),
            Some(now - Duration::minutes(2)),
            now,
            &mut out,
        );
        let check = find(&out, "key set");
        assert_eq!(check.level, Level::Ok, "{check:?}");
        assert!(
            check.detail.contains("last changed 200 day(s) ago"),
            "{check:?}"
        );
    }

    #[test]
    fn keys_are_stale_when_the_box_has_not_pulled_for_longer_than_the_key_lead() {
        let now = Utc::now();
        for last_pull in [None, Some(now - Duration::hours(30))] {
            let mut out = Vec::new();
            key_set(&enrolled(now), last_pull, now, &mut out);
            assert_eq!(find(&out, "key set").level, Level::Warn, "{last_pull:?}");
        }
    }

    #[test]
    fn quarantined_events_fail_the_report_with_the_fix() {
        let mut state = saved();
        state.stats.quarantined = 2;
        let mut out = Vec::new();
        sync_and_outbox(&state, 3, Utc::now(), &mut out);
        let check = find(&out, "quarantine");
        assert_eq!(check.level, Level::Fail);
        let fix = check.fix.as_deref().unwrap();
        assert!(
            fix.contains("FROM quarantine") && fix.contains("outbox retry"),
            "{fix}"
        );
    }

    #[test]
    fn an_event_the_cloud_keeps_refusing_at_the_head_is_reported() {
        let mut state = saved();
        state.stats.depth = 5;
        state.stuck = Some(StuckHead {
            seq: 41,
            attempts: 2,
            last_error: Some("HTTP 422: bad lane".into()),
        });
        let mut out = Vec::new();
        sync_and_outbox(&state, 3, Utc::now(), &mut out);
        let check = find(&out, "outbox head");
        assert_eq!(check.level, Level::Warn);
        assert!(
            check.detail.contains("#41 refused 2 time(s) of 3")
                && check.detail.contains("bad lane"),
            "{check:?}"
        );
        assert!(!out.iter().any(|c| c.level == Level::Fail), "{out:?}");
    }
}
