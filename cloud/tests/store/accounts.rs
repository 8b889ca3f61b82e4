//! Accounts and sessions: unique accounts, refresh-token families, logouts, login
//! throttle counters.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::domain::Role;
use gasq_cloud::domain::throttle::{Attempt, ThrottleRule};
use gasq_cloud::store::{AuditFilter, NewRefreshToken, NewUser, RefreshOutcome, Store, StoreError};
use gasq_shared::UserId;

use super::support::*;

crate::on_both_backends!(
    a_second_account_with_the_same_email_is_a_conflict,
    a_reused_refresh_token_revokes_its_family,
    a_refresh_token_racing_itself_within_the_grace_is_no_theft,
    logging_out_ends_the_session_once_and_audits_it,
    racing_login_attempts_on_one_counter_are_decided_one_at_a_time,
);

async fn a_second_account_with_the_same_email_is_a_conflict(store: Arc<dyn Store>) {
    user(&store, "dup").await;
    let u = NewUser {
        id: UserId::new(),
        name: "dup".into(),
        email_enc: vec![1],
        email_hash: b"email:dup".to_vec(),
        phone_enc: None,
        phone_hash: None,
        password_hash: "x".into(),
        role: Role::Driver,
        created_at: Utc::now(),
    };
    assert!(matches!(
        store.create_user(u, audit("u")).await,
        Err(StoreError::Conflict(_))
    ));
}

fn no_grace() -> Duration {
    Duration::zero()
}

/// Two requests of one browser refresh at once with the same token: within the grace
/// both get a successor and the session lives on; after it, the same token ends the
/// session.
async fn a_refresh_token_racing_itself_within_the_grace_is_no_theft(store: Arc<dyn Store>) {
    let u = user(&store, "racing").await;
    let t0 = Utc::now();
    let token = |h: &[u8]| NewRefreshToken {
        token_hash: h.to_vec(),
        family_id: uuid::Uuid::nil(),
        user_id: u,
        issued_at: t0,
        expires_at: t0 + Duration::days(1),
    };
    let grace = Duration::seconds(20);
    let rotate = |old: &'static [u8], new: &'static [u8], at: Duration| {
        let (store, new) = (store.clone(), token(new));
        async move {
            let audit = audit("auth.refresh_reused");
            store
                .rotate_refresh_token(old, new, t0 + at, grace, audit)
                .await
                .unwrap()
        }
    };
    store
        .insert_refresh_token(token(b"r1"), audit("auth.login"))
        .await
        .unwrap();
    assert_eq!(
        rotate(b"r1", b"r2", Duration::zero()).await,
        RefreshOutcome::Rotated(u)
    );
    // The racing request, a moment later: its own successor, both work on.
    let racing = rotate(b"r1", b"r3", Duration::seconds(2)).await;
    assert_eq!(racing, RefreshOutcome::Rotated(u));
    assert_eq!(
        rotate(b"r2", b"r4", Duration::seconds(3)).await,
        RefreshOutcome::Rotated(u)
    );
    assert_eq!(
        rotate(b"r3", b"r5", Duration::seconds(3)).await,
        RefreshOutcome::Rotated(u)
    );
    // The first token again, long after: stolen; the whole session ends.
    assert_eq!(
        rotate(b"r1", b"r6", Duration::minutes(5)).await,
        RefreshOutcome::Reused
    );
    assert_eq!(
        rotate(b"r5", b"r7", Duration::minutes(5)).await,
        RefreshOutcome::Invalid
    );
    assert_eq!(
        rotate(b"r4", b"r8", Duration::minutes(5)).await,
        RefreshOutcome::Invalid
    );
    // Within the grace of its use, but the session was logged out since: no successor.
    store
        .insert_refresh_token(token(b"q1"), audit("auth.login"))
        .await
        .unwrap();
    assert_eq!(
        rotate(b"q1", b"q2", Duration::zero()).await,
        RefreshOutcome::Rotated(u)
    );
    store
        .revoke_refresh_family(b"q2", t0, audit("auth.logout"))
        .await
        .unwrap();
    assert_eq!(
        rotate(b"q1", b"q3", Duration::seconds(1)).await,
        RefreshOutcome::Reused
    );
}

async fn a_reused_refresh_token_revokes_its_family(store: Arc<dyn Store>) {
    let u = user(&store, "refresh").await;
    let now = Utc::now();
    let token = |h: &[u8]| NewRefreshToken {
        token_hash: h.to_vec(),
        family_id: uuid::Uuid::nil(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    let rotate = |old: &'static [u8], new: &'static [u8]| {
        let store = store.clone();
        let new = token(new);
        async move {
            store
                .rotate_refresh_token(old, new, now, no_grace(), audit("auth.refresh_reused"))
                .await
                .unwrap()
        }
    };
    store
        .insert_refresh_token(token(b"t1"), audit("auth.login"))
        .await
        .unwrap();
    assert_eq!(rotate(b"t1", b"t2").await, RefreshOutcome::Rotated(u));
    assert_eq!(rotate(b"t1", b"t3").await, RefreshOutcome::Reused);
    assert_eq!(rotate(b"t2", b"t4").await, RefreshOutcome::Invalid);
    assert_eq!(rotate(b"nope", b"t5").await, RefreshOutcome::Invalid);
    // Once more: still refused, but the family was already ended — nothing new to audit.
    assert_eq!(rotate(b"t1", b"t6").await, RefreshOutcome::Reused);
    let filter = |action: &str| AuditFilter {
        action: Some(action.into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let reused = store
        .audit_entries(filter("auth.refresh_reused"))
        .await
        .unwrap();
    assert_eq!(reused.len(), 1, "{reused:?}");
    assert_eq!(reused[0].actor_id, Some(u));
    assert_eq!(reused[0].actor_role.as_deref(), Some("driver"));
    assert_eq!(reused[0].target, format!("user:{u}"));
    assert_eq!(
        store
            .audit_entries(filter("auth.login"))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn logging_out_ends_the_session_once_and_audits_it(store: Arc<dyn Store>) {
    let u = user(&store, "logout").await;
    let now = Utc::now();
    let t = NewRefreshToken {
        token_hash: b"s1".to_vec(),
        family_id: uuid::Uuid::now_v7(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    store
        .insert_refresh_token(t, audit("auth.login"))
        .await
        .unwrap();
    for _ in 0..2 {
        store
            .revoke_refresh_family(b"s1", now, audit("auth.logout"))
            .await
            .unwrap();
    }
    store
        .revoke_refresh_family(b"unknown", now, audit("auth.logout"))
        .await
        .unwrap();
    let next = NewRefreshToken {
        token_hash: b"s2".to_vec(),
        family_id: uuid::Uuid::nil(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    assert_eq!(
        store
            .rotate_refresh_token(b"s1", next, now, no_grace(), audit("auth.refresh_reused"))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    let filter = AuditFilter {
        action: Some("auth.logout".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let logouts = store.audit_entries(filter).await.unwrap();
    assert_eq!(logouts.len(), 1, "only the logout that ended something");
    assert_eq!(logouts[0].actor_id, Some(u));
}

/// Login throttling ("Login guessing", docs/architecture.md): twenty attempts at once on
/// one counter that lets five through get exactly five through; a cleared counter starts
/// again; pruning forgets only counters that have been quiet.
async fn racing_login_attempts_on_one_counter_are_decided_one_at_a_time(store: Arc<dyn Store>) {
    let rule = ThrottleRule {
        free: 5,
        first_delay: Duration::hours(1),
        window: Duration::hours(1),
    };
    let now = Utc::now();
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, start) = (store.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.login_attempt(b"alice", now, &rule).await.unwrap()
            })
        })
        .collect();
    let mut went = 0;
    for t in tasks {
        match t.await.unwrap() {
            Attempt::Go(_) => went += 1,
            Attempt::Wait { retry_after_secs } => assert!(retry_after_secs > 3000),
        }
    }
    assert_eq!(went, 5);
    // Another counter is not touched; a cleared one goes again.
    assert!(matches!(
        store
            .login_attempt(b"bob", now - Duration::hours(5), &rule)
            .await
            .unwrap(),
        Attempt::Go(_)
    ));
    store.clear_login_attempts(b"alice").await.unwrap();
    let again = store.login_attempt(b"alice", now, &rule).await.unwrap();
    assert!(
        matches!(again, Attempt::Go(c) if c.failures == 1),
        "{again:?}"
    );
    // Bob's counter has been quiet for hours; Alice's is not.
    assert_eq!(
        store
            .prune_login_attempts(now - Duration::hours(1))
            .await
            .unwrap(),
        1
    );
    let alice = store.login_attempt(b"alice", now, &rule).await.unwrap();
    assert!(
        matches!(alice, Attempt::Go(c) if c.failures == 2),
        "{alice:?}"
    );
}
