//! Money rules without I/O (docs/architecture.md, "Payments"): what a booking costs, what
//! a cancellation gives back under the station's refund policy, and how a fill settles a
//! prepaid bill. All amounts are paise (₹1 = 100 paise), quantities centi-kilograms.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A station's money policy, set by its admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MoneyPolicy {
    /// What "fill to full" pays up front online, in centi-kg (1200 = 12 kg); the fill
    /// settles the bill and the rest is refunded.
    pub fill_to_full_centikg: u16,
    /// Cancelled at least this many minutes before the slot: refunded in full.
    pub refund_cutoff_minutes: i64,
    /// Cancelled later, but before the slot starts: refunded less this fee.
    pub cancel_fee_paise: i64,
    /// Off the price per kg in slots the forecast expects to be calm (`low`), to move
    /// drivers out of the rush; 0 = no discount.
    pub calm_discount_paise_per_kg: i64,
}

impl Default for MoneyPolicy {
    fn default() -> Self {
        Self {
            fill_to_full_centikg: 1200,
            refund_cutoff_minutes: 60,
            cancel_fee_paise: 2000,
            calm_discount_paise_per_kg: 0,
        }
    }
}

impl MoneyPolicy {
    /// Checks the bounds the database also enforces; the message says what to send.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if !(100..=10_000).contains(&self.fill_to_full_centikg) {
            return Err((
                "fill_to_full_centikg",
                "between 100 (1 kg) and 10000 (100 kg)",
            ));
        }
        if !(0..=10_080).contains(&self.refund_cutoff_minutes) {
            return Err(("refund_cutoff_minutes", "between 0 and 10080 (a week)"));
        }
        if !(0..=100_000).contains(&self.cancel_fee_paise) {
            return Err(("cancel_fee_paise", "between 0 and 100000 (₹1,000)"));
        }
        if !(0..=2_000).contains(&self.calm_discount_paise_per_kg) {
            return Err((
                "calm_discount_paise_per_kg",
                "between 0 and 2000 (₹20 a kg)",
            ));
        }
        Ok(())
    }
}

/// The price per kg of a booking made now in a slot of `rush`: the station's price,
/// less its calm-slot discount when the slot is expected to be calm (never below 0).
pub fn slot_price(price_paise_per_kg: i64, policy: &MoneyPolicy, calm: bool) -> i64 {
    if calm {
        (price_paise_per_kg - policy.calm_discount_paise_per_kg).max(0)
    } else {
        price_paise_per_kg
    }
}

/// The price of `centikg` at `paise_per_kg`, rounded to the nearest paisa.
pub fn amount_for(centikg: u32, paise_per_kg: i64) -> i64 {
    (i64::from(centikg) * paise_per_kg + 50) / 100
}

/// Who cancelled: a driver is refunded by the station's policy; a cancellation by the
/// station (a lane fault, staff) is refunded in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Driver,
    Station,
}

/// What a cancellation of a paid booking gives back, and what the station keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelRefund {
    pub refund_paise: i64,
    pub kept_paise: i64,
}

/// The refund for cancelling a booking that paid `paid` for a slot starting at `slot`.
pub fn cancel_refund(
    policy: &MoneyPolicy,
    paid: i64,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
    by: CancelledBy,
) -> CancelRefund {
    let refund = if by == CancelledBy::Station
        || now <= slot - Duration::minutes(policy.refund_cutoff_minutes)
    {
        paid
    } else if now < slot {
        (paid - policy.cancel_fee_paise).max(0)
    } else {
        0
    };
    CancelRefund {
        refund_paise: refund,
        kept_paise: paid - refund,
    }
}

/// How a fill settles a prepaid booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// What the fill costs at the booking's price.
    pub bill_paise: i64,
    /// The unused part of the prepayment, to refund.
    pub refund_paise: i64,
    /// What the fill cost beyond the prepayment (collected at the station).
    pub shortfall_paise: i64,
}

/// Settles `paid` against a fill of `filled_centikg` at `paise_per_kg`.
pub fn settle(paid: i64, paise_per_kg: i64, filled_centikg: u32) -> Settlement {
    let bill = amount_for(filled_centikg, paise_per_kg);
    Settlement {
        bill_paise: bill,
        refund_paise: (paid - bill).max(0),
        shortfall_paise: (bill - paid).max(0),
    }
}

/// `₹1,234.50` — paise as drivers and accountants read them (Indian digit grouping).
pub fn rupees(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    let p = paise.unsigned_abs();
    let (whole, frac) = (p / 100, p % 100);
    let digits = whole.to_string();
    let grouped = if digits.len() <= 3 {
        digits
    } else {
        let (head, last3) = digits.split_at(digits.len() - 3);
        let mut out = String::new();
        for (i, c) in head.chars().enumerate() {
            if i > 0 && (head.len() - i) % 2 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{out},{last3}")
    };
    format!("{sign}₹{grouped}.{frac:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_before_slot: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let slot = Utc::now();
        (slot, slot - Duration::minutes(minutes_before_slot))
    }

    #[test]
    fn a_cancellation_before_the_cutoff_is_refunded_in_full() {
        let (slot, now) = at(61);
        let r = cancel_refund(
            &MoneyPolicy::default(),
            45_600,
            slot,
            now,
            CancelledBy::Driver,
        );
        assert_eq!((r.refund_paise, r.kept_paise), (45_600, 0));
    }

    #[test]
    fn a_late_cancellation_keeps_the_fee_and_after_the_slot_nothing_comes_back() {
        let p = MoneyPolicy::default();
        let (slot, now) = at(30);
        let r = cancel_refund(&p, 45_600, slot, now, CancelledBy::Driver);
        assert_eq!((r.refund_paise, r.kept_paise), (43_600, 2_000));
        let (slot, now) = at(-5);
        let r = cancel_refund(&p, 45_600, slot, now, CancelledBy::Driver);
        assert_eq!((r.refund_paise, r.kept_paise), (0, 45_600));
        // A fee larger than the payment keeps the payment, never more.
        let (slot, now) = at(10);
        let r = cancel_refund(&p, 1_500, slot, now, CancelledBy::Driver);
        assert_eq!((r.refund_paise, r.kept_paise), (0, 1_500));
    }

    #[test]
    fn the_station_cancelling_refunds_in_full_whenever() {
        let (slot, now) = at(-5);
        let r = cancel_refund(
            &MoneyPolicy::default(),
            45_600,
            slot,
            now,
            CancelledBy::Station,
        );
        assert_eq!(r.refund_paise, 45_600);
    }

    #[test]
    fn a_fill_settles_the_prepayment() {
        // Paid 12 kg at ₹76 (₹912), filled 7.45 kg: ₹566.20 billed, ₹345.80 back.
        let s = settle(91_200, 7_600, 745);
        assert_eq!(
            (s.bill_paise, s.refund_paise, s.shortfall_paise),
            (56_620, 34_580, 0)
        );
        let s = settle(45_600, 7_600, 650);
        assert_eq!((s.refund_paise, s.shortfall_paise), (0, 3_800));
    }

    #[test]
    fn rupees_read_the_indian_way() {
        assert_eq!(rupees(45_600), "₹456.00");
        assert_eq!(rupees(123_456_789), "₹12,34,567.89");
        assert_eq!(rupees(5), "₹0.05");
        assert_eq!(rupees(-2_000), "-₹20.00");
    }
}
