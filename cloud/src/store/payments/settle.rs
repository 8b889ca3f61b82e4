//! Money decisions taken inside other transactions: a fill settling a prepaid bill
//! (the unused part refunded, a shortfall or an unpaid fill raised as a case), and a
//! cancellation refunded by the station's policy (what it keeps entered as a fee).

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};

use super::RefundReason;
use super::refunds::request;
use crate::domain::money::{self, CancelRefund, CancelledBy};
use crate::domain::{Booking, PaymentMethod};
use crate::store::booking_rows::BookingRow;
use crate::store::db::{Tx, query};
use crate::store::ledger::{LedgerEntry, LedgerKind, append};
use crate::store::stations::station_in;
use crate::store::{StoreError, StoreResult, cases};

/// What is already being given back of a booking's payment (requested, sent or done).
async fn refunded_so_far(tx: &mut Tx, booking: BookingId, payment_id: &str) -> StoreResult<i64> {
    let q = query(
        "SELECT COALESCE(SUM(amount_paise), 0) FROM refunds WHERE booking_id = $1 \
         AND payment_id = $2 AND status <> 'failed'",
    )
    .bind(booking)
    .bind(payment_id);
    let (sum,): (i64,) = tx.fetch_one(q).await?;
    Ok(sum)
}

/// How far the dispenser's own amount may be from kg × price (its rounding) before the
/// difference is a case.
const DISPENSER_ROUNDING_PAISE: i64 = 100;

/// Settles a completed booking's bill by its fill: the unused prepayment is refunded;
/// an unpaid online booking, or a fill beyond the prepayment, becomes a case. The bill
/// is the filled kg at the booking's price; a dispenser that priced the fill otherwise
/// than the station's current price (`dispenser_paise`: a price not updated at the
/// pump) is a case too.
pub(crate) async fn settle_fill(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    filled_centikg: i32,
    dispenser_paise: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let row: BookingRow = tx
        .fetch_one(query("SELECT * FROM bookings WHERE id = $1").bind(booking))
        .await?;
    let b = Booking::try_from(row)?;
    if b.payment_method != PaymentMethod::Online {
        return Ok(());
    }
    let price = b.price_paise_per_kg.unwrap_or_default();
    let filled = u32::try_from(filled_centikg).unwrap_or(0);
    // The pump charges the station's price of the moment: a booking's own price (a
    // calm-slot discount, a price changed since) is no sign of a wrong pump.
    let pump_price = station_in(tx, station)
        .await?
        .map_or(price, |s| s.price_paise_per_kg);
    let pump_bill = money::amount_for(filled, pump_price);
    if let Some(pump) = dispenser_paise.filter(|p| (p - pump_bill).abs() > DISPENSER_ROUNDING_PAISE)
    {
        let detail = format!(
            "booking {} filled {:.2} kg: the dispenser charged {} but the station's price makes \
             it {}; the driver pays the booking's price. Check the price set at the pump",
            b.code,
            f64::from(filled) / 100.0,
            money::rupees(pump),
            money::rupees(pump_bill)
        );
        let subject = booking.to_string();
        cases::raise(
            tx,
            station,
            Some(booking),
            "dispenser_price_differs",
            Some(&subject),
            detail,
            now,
        )
        .await?;
    }
    let (Some(paid), Some(payment)) = (b.paid_paise, b.payment_id.as_deref()) else {
        let detail = format!(
            "booking {booking} was fuelled ({:.2} kg, {}) but never paid online: collect it at \
             the station or from the driver",
            f64::from(filled) / 100.0,
            money::rupees(money::amount_for(filled, price))
        );
        let subject = booking.to_string();
        cases::raise(
            tx,
            station,
            Some(booking),
            "fill_unpaid",
            Some(&subject),
            detail,
            now,
        )
        .await?;
        return Ok(());
    };
    // A booking cancelled (and refunded) before the lane fuelled it anyway keeps only
    // what was not given back.
    let kept = paid - refunded_so_far(tx, booking, payment).await?;
    let s = money::settle(kept, price, filled);
    request(
        tx,
        &b,
        payment,
        s.refund_paise,
        RefundReason::Settlement,
        now,
    )
    .await?;
    if s.shortfall_paise > 0 {
        let detail = format!(
            "booking {} has {} of its payment left but filled {:.2} kg worth {}: collect {} at \
             the station or from the driver",
            b.code,
            money::rupees(kept),
            f64::from(filled) / 100.0,
            money::rupees(s.bill_paise),
            money::rupees(s.shortfall_paise)
        );
        let subject = booking.to_string();
        cases::raise(
            tx,
            station,
            Some(booking),
            "underpaid",
            Some(&subject),
            detail,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Refunds a cancelled booking that was paid, by the station's policy (in full when the
/// station cancelled); what the policy keeps is a `fee` in the ledger.
pub(crate) async fn refund_on_cancel(
    tx: &mut Tx,
    b: &Booking,
    by: CancelledBy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<CancelRefund>> {
    let (Some(paid), Some(payment)) = (b.paid_paise, b.payment_id.as_deref()) else {
        return Ok(None);
    };
    let station = station_in(tx, b.station_id)
        .await?
        .ok_or(StoreError::NotFound("station"))?;
    let r = money::cancel_refund(&station.money, paid, b.slot_start, now, by);
    request(
        tx,
        b,
        payment,
        r.refund_paise,
        RefundReason::Cancellation,
        now,
    )
    .await?;
    if r.kept_paise > 0 {
        let entry = LedgerEntry {
            at: now,
            station_id: b.station_id,
            booking_id: Some(b.id),
            kind: LedgerKind::Fee,
            amount_paise: r.kept_paise,
            gateway_ref: None,
            actor: actor.to_owned(),
            detail: "kept on cancellation by the station's refund policy".into(),
        };
        append(tx, &entry).await?;
    }
    Ok(Some(r))
}
