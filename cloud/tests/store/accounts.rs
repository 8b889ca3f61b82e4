//! Accounts and sessions: unique accounts, refresh-token families, logouts, failed
//! logins.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::domain::Role;
use gasq_cloud::store::{AuditFilter, NewRefreshToken, NewUser, RefreshOutcome, Store, StoreError};
use gasq_shared::UserId;

use super::support::*;

crate::on_both_backends!(
    a_second_account_with_the_same_email_is_a_conflict,
    a_reused_refresh_token_revokes_its_family,
    logging_out_ends_the_session_once_and_audits_it,
    failed_logins_count_per_account_in_the_window_until_cleared_or_pruned,
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
                .rotate_refresh_token(old, new, now, audit("auth.refresh_reused"))
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
            .rotate_refresh_token(b"s1", next, now, audit("auth.refresh_reused"))
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

async fn failed_logins_count_per_account_in_the_window_until_cleared_or_pruned(
    store: Arc<dyn Store>,
) {
    let now = Utc::now();
    let ago = |minutes: i64| now - Duration::minutes(minutes);
    for minutes in [20, 5, 1] {
        store
            .record_login_failure(b"alice", ago(minutes))
            .await
            .unwrap();
    }
    store.record_login_failure(b"bob", ago(1)).await.unwrap();
    let count = |account: &'static [u8], since| {
        let store = store.clone();
        async move { store.login_failures_since(account, since).await.unwrap() }
    };
    assert_eq!(count(b"alice", ago(10)).await, 2, "only the window counts");
    assert_eq!(count(b"alice", ago(30)).await, 3);
    assert_eq!(
        count(b"bob", ago(30)).await,
        1,
        "accounts are counted apart"
    );
    assert_eq!(count(b"carol", ago(30)).await, 0);
    // Pruning forgets old failures only.
    assert_eq!(store.prune_login_failures(ago(10)).await.unwrap(), 1);
    assert_eq!(count(b"alice", ago(30)).await, 2);
    // A successful login clears that account's failures, and no one else's.
    store.clear_login_failures(b"alice").await.unwrap();
    assert_eq!(count(b"alice", ago(30)).await, 0);
    assert_eq!(count(b"bob", ago(30)).await, 1);
}
