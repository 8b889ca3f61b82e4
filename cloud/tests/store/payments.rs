//! Payments in the store, on both backends: invariant 4 (one confirmation per booking
//! under racing reports, a second payment refunded once), refunds claimed by one worker
//! at a time, and a paid cancellation's refund and fee.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::domain::money::CancelledBy;
use gasq_cloud::domain::{BookingStatus, PaymentMethod};
use gasq_cloud::store::{
    CreateBooking, PaymentOutcome, PaymentSeen, PaymentSource, RefundReason, Store,
};

use super::support::*;

crate::on_both_backends!(
    twenty_racing_reports_of_one_payment_confirm_once,
    a_second_payment_for_a_paid_booking_is_refunded_once,
    a_refund_is_claimed_by_one_worker_at_a_time,
    a_paid_cancellation_requests_one_refund_and_the_ledger_keeps_the_fee,
);

/// A booking held for payment of ₹456 under order `order`.
async fn held(store: &Arc<dyn Store>, code: &str, order: &str) -> gasq_cloud::domain::Booking {
    let s = station(store, code, 2).await;
    let driver = user(store, code).await;
    let mut b = booking(driver, &s, next_slot());
    b.payment_method = PaymentMethod::Online;
    b.status = BookingStatus::PendingPayment;
    b.amount_paise = Some(45_600);
    b.payment_provider = Some("test".into());
    b.payment_order_id = Some(order.into());
    b.hold_expires_at = Some(Utc::now() + Duration::minutes(10));
    let CreateBooking::Created(b) = store.create_booking(b, None, audit("b")).await.unwrap() else {
        panic!("not created")
    };
    b
}

fn seen(order: &str, payment: &str, source: PaymentSource) -> PaymentSeen {
    PaymentSeen {
        order_id: order.into(),
        payment_id: payment.into(),
        amount_paise: 45_600,
        captured: source == PaymentSource::Webhook,
        source,
    }
}

async fn twenty_racing_reports_of_one_payment_confirm_once(store: Arc<dyn Store>) {
    let b = held(&store, "PAY-0001", "order_race").await;
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (store, start) = (store.clone(), start.clone());
        let source = if i % 2 == 0 {
            PaymentSource::Checkout
        } else {
            PaymentSource::Webhook
        };
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store
                .record_payment(seen("order_race", "pay_race", source), Utc::now())
                .await
        }));
    }
    let mut confirmed = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            PaymentOutcome::Confirmed(_) => confirmed += 1,
            PaymentOutcome::AlreadyConfirmed(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(confirmed, 1);
    let (refunds, ledger) = store.booking_money(b.id).await.unwrap();
    assert!(refunds.is_empty());
    let kinds: Vec<&str> = ledger.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["order", "payment", "capture"], "each fact once");
    let now = store.booking(b.id).await.unwrap().unwrap();
    assert_eq!(now.status, BookingStatus::Confirmed);
    assert_eq!(now.paid_paise, Some(45_600));
}

async fn a_second_payment_for_a_paid_booking_is_refunded_once(store: Arc<dyn Store>) {
    let b = held(&store, "PAY-0002", "order_twice").await;
    let first = store
        .record_payment(
            seen("order_twice", "pay_one", PaymentSource::Checkout),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(matches!(first, PaymentOutcome::Confirmed(_)));
    for _ in 0..3 {
        let second = store
            .record_payment(
                seen("order_twice", "pay_two", PaymentSource::Webhook),
                Utc::now(),
            )
            .await
            .unwrap();
        assert!(
            matches!(
                second,
                PaymentOutcome::Refunding(_, RefundReason::DuplicatePayment)
            ),
            "{second:?}"
        );
    }
    let (refunds, _) = store.booking_money(b.id).await.unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].amount_paise, 45_600);
    assert_eq!(
        store
            .booking(b.id)
            .await
            .unwrap()
            .unwrap()
            .payment_id
            .as_deref(),
        Some("pay_one"),
        "the first payment stays the booking's"
    );
}

async fn a_refund_is_claimed_by_one_worker_at_a_time(store: Arc<dyn Store>) {
    let b = held(&store, "PAY-0003", "order_claim").await;
    store
        .record_payment(
            seen("order_claim", "pay_claim", PaymentSource::Webhook),
            Utc::now(),
        )
        .await
        .unwrap();
    store
        .cancel_paid_booking(b.id, Utc::now(), CancelledBy::Station, audit("cancel"))
        .await
        .unwrap();
    let lease = Duration::minutes(2);
    let (a, c) = tokio::join!(
        store.claim_refunds(Utc::now(), lease, 10),
        store.claim_refunds(Utc::now(), lease, 10)
    );
    let (a, c) = (a.unwrap(), c.unwrap());
    assert_eq!(a.len() + c.len(), 1, "one worker takes it: {a:?} {c:?}");
    let job = a.into_iter().chain(c).next().unwrap();
    assert_eq!(job.amount_paise, 45_600);
    // While the lease lasts nobody else takes it; after, it comes back with the same key.
    assert!(
        store
            .claim_refunds(Utc::now(), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = store
        .claim_refunds(Utc::now() + Duration::minutes(3), lease, 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].idempotency_key(), job.idempotency_key());
    store
        .refund_sent(&later[0], "rfnd_1", true, Utc::now())
        .await
        .unwrap();
    let (refunds, ledger) = store.booking_money(b.id).await.unwrap();
    assert_eq!(refunds[0].status, "processed");
    assert_eq!(
        ledger
            .iter()
            .filter(|e| e.kind.as_str() == "refund")
            .count(),
        1
    );
    assert!(
        store
            .claim_refunds(Utc::now() + Duration::hours(1), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a processed refund is never sent again"
    );
}

async fn a_paid_cancellation_requests_one_refund_and_the_ledger_keeps_the_fee(
    store: Arc<dyn Store>,
) {
    let s = station(&store, "PAY-0004", 2).await;
    let driver = user(&store, "late").await;
    // A slot 30 minutes away: inside the 60-minute cut-off, so the ₹20 fee is kept.
    let slot = Utc::now() + Duration::minutes(30);
    let mut nb = booking(driver, &s, slot);
    nb.payment_method = PaymentMethod::Online;
    nb.status = BookingStatus::PendingPayment;
    nb.amount_paise = Some(45_600);
    nb.payment_order_id = Some("order_late".into());
    let CreateBooking::Created(b) = store.create_booking(nb, None, audit("b")).await.unwrap()
    else {
        panic!()
    };
    store
        .record_payment(
            seen("order_late", "pay_late", PaymentSource::Checkout),
            Utc::now(),
        )
        .await
        .unwrap();
    let cancelled = store
        .cancel_paid_booking(b.id, Utc::now(), CancelledBy::Driver, audit("cancel"))
        .await
        .unwrap();
    let refund = cancelled.refund.unwrap();
    assert_eq!((refund.refund_paise, refund.kept_paise), (43_600, 2_000));
    let (refunds, ledger) = store.booking_money(b.id).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert!(
        ledger
            .iter()
            .any(|e| e.kind.as_str() == "fee" && e.amount_paise == 2_000)
    );
}
