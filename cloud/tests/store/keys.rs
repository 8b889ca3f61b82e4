//! Token signing keys.

use std::sync::Arc;

use chrono::{Duration, DurationRound, Utc};
use gasq_cloud::store::{SigningKeyRecord, Store, StoreError};
use gasq_shared::StationCode;

use super::support::*;

crate::on_both_backends!(signing_keys_list_in_kid_order_and_a_taken_kid_is_a_conflict,);

async fn signing_keys_list_in_kid_order_and_a_taken_kid_is_a_conflict(store: Arc<dyn Store>) {
    station(&store, "KOL-0001", 1).await;
    let now = Utc::now().duration_trunc(Duration::seconds(1)).unwrap();
    let key = |kid: u8, fill: u8| SigningKeyRecord {
        kid,
        public_key: [fill; 32],
        private_key_enc: vec![fill; 48],
        created_at: now,
        signing_from: now + Duration::hours(i64::from(kid)),
    };
    assert!(store.signing_keys().await.unwrap().is_empty());
    store
        .insert_signing_key(key(2, 0xbb), audit("key.create"))
        .await
        .unwrap();
    store
        .insert_signing_key(key(1, 0xaa), audit("key.create"))
        .await
        .unwrap();
    // Another replica made kid 2 first: refused, and the stored key is untouched.
    let taken = store
        .insert_signing_key(key(2, 0xcc), audit("key.create"))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let keys = store.signing_keys().await.unwrap();
    let seen: Vec<_> = keys
        .iter()
        .map(|k| {
            (
                k.kid,
                k.public_key[0],
                k.private_key_enc.clone(),
                k.signing_from,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 0xaa, vec![0xaa; 48], now + Duration::hours(1)),
            (2, 0xbb, vec![0xbb; 48], now + Duration::hours(2)),
        ]
    );
    // The station's edges are told to pull the new keys.
    let s = store
        .station_by_code(&StationCode::parse("KOL-0001").unwrap())
        .await
        .unwrap()
        .unwrap();
    let page = store.changes_since(s.id, 0, 100).await.unwrap();
    let key_changes = page
        .entries
        .iter()
        .filter(|(_, kind)| matches!(kind, gasq_cloud::store::ChangeKind::Keys))
        .count();
    assert_eq!(key_changes, 2);
}
