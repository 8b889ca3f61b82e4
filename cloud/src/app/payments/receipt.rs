//! What money looks like to people: the driver's receipt for a booking, and the
//! station's takings per day (JSON, and CSV for the accountant).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use gasq_shared::{BookingId, StationId};
use serde::Serialize;
use utoipa::ToSchema;

use super::{App, Invalid, PaymentError, Result};
use crate::app::{access, bookings};
use crate::domain::{Actor, BookingStatus, PaymentMethod, money};
use crate::store::{LedgerEntry, LedgerKind, PriceChange, RefundRecord};

/// A booking's bill: what was ordered, paid, filled, refunded and kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub booking_id: BookingId,
    pub code: String,
    pub station_name: String,
    pub status: BookingStatus,
    pub payment_method: PaymentMethod,
    /// The price per kg the booking keeps (the station's when it was made).
    pub price_paise_per_kg: Option<i64>,
    /// What the order asked for.
    pub ordered_paise: Option<i64>,
    /// What the gateway took for this booking, all payments together (a late or second
    /// payment is refunded, and shows under the refunds).
    pub paid_paise: Option<i64>,
    pub payment_id: Option<String>,
    /// The fill the dispenser reported, and what it cost at the booking's price.
    pub filled_kg: Option<f64>,
    pub fill_paise: Option<i64>,
    /// Refunds the gateway confirmed, and those still on their way.
    pub refunded_paise: i64,
    pub refund_pending_paise: i64,
    /// What a cancellation kept under the station's policy.
    pub fee_paise: i64,
    pub refunds: Vec<RefundRecord>,
    /// Every money movement of this booking.
    pub ledger: Vec<LedgerEntry>,
    /// The receipt in one line, for people.
    pub summary: String,
}

/// The receipt of a booking its driver (or its station's staff) may see.
pub async fn receipt(app: &App, user: &Actor, id: BookingId) -> Result<Receipt> {
    let b = bookings::visible(app, user, id)
        .await
        .map_err(|_| PaymentError::NotFound)?;
    let station = app.store.station(b.station_id).await?;
    let (refunds, ledger) = app.store.booking_money(id).await?;
    let sum = |pred: &dyn Fn(&RefundRecord) -> bool| -> i64 {
        refunds
            .iter()
            .filter(|r| pred(r))
            .map(|r| r.amount_paise)
            .sum()
    };
    let refunded = sum(&|r| r.status == "processed");
    let pending = sum(&|r| matches!(r.status.as_str(), "requested" | "sent"));
    let fee: i64 = ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Fee)
        .map(|e| e.amount_paise)
        .sum();
    // Every payment the gateway took for it (a late or second one too, refunded).
    let payments: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Payment)
        .collect();
    let paid = (!payments.is_empty()).then(|| payments.iter().map(|e| e.amount_paise).sum::<i64>());
    let fill_paise = b
        .filled_centikg
        .zip(b.price_paise_per_kg)
        .map(|(c, p)| money::amount_for(c, p));
    let filled_kg = b.filled_centikg.map(|c| f64::from(c) / 100.0);
    let mut summary = match (paid, filled_kg, fill_paise) {
        (Some(paid), Some(kg), Some(cost)) => format!(
            "Paid {}, filled {kg:.2} kg for {}",
            money::rupees(paid),
            money::rupees(cost)
        ),
        (Some(paid), _, _) => format!("Paid {}", money::rupees(paid)),
        (None, Some(kg), Some(cost)) => {
            format!(
                "Filled {kg:.2} kg for {}, paid at the station",
                money::rupees(cost)
            )
        }
        _ => "Not paid yet".to_owned(),
    };
    if refunded > 0 {
        let _ = write!(summary, "; refunded {}", money::rupees(refunded));
    }
    if pending > 0 {
        let _ = write!(summary, "; {} on its way back", money::rupees(pending));
    }
    if fee > 0 {
        let _ = write!(summary, "; cancellation fee {}", money::rupees(fee));
    }
    Ok(Receipt {
        booking_id: b.id,
        code: b.code,
        station_name: station.map(|s| s.name).unwrap_or_default(),
        status: b.status,
        payment_method: b.payment_method,
        price_paise_per_kg: b.price_paise_per_kg,
        ordered_paise: b.amount_paise,
        paid_paise: paid,
        payment_id: b.payment_id,
        filled_kg,
        fill_paise,
        refunded_paise: refunded,
        refund_pending_paise: pending,
        fee_paise: fee,
        refunds,
        ledger,
        summary,
    })
}

/// Closes one of the station's open reconciliation cases, saying what was done
/// (station admins and super admins; audited).
pub async fn resolve_case(
    app: &App,
    staff: &Actor,
    station: StationId,
    case: uuid::Uuid,
    resolution: &str,
) -> Result<()> {
    access::require_station(app, staff, station).await?;
    let resolution = resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 500 {
        return Err(Invalid::new("resolution", "say what was done, in 1 to 500 characters").into());
    }
    let entry = staff.audit(
        "case.resolve",
        format!("station:{station}/case:{case}"),
        serde_json::json!({ "resolution": resolution }),
    );
    if app
        .store
        .resolve_case(station, case, resolution, entry, chrono::Utc::now())
        .await?
    {
        Ok(())
    } else {
        Err(PaymentError::CaseNotFound)
    }
}

/// A station's price history, newest first (its staff).
pub async fn prices(app: &App, staff: &Actor, station: StationId) -> Result<Vec<PriceChange>> {
    access::require_station(app, staff, station).await?;
    Ok(app.store.price_history(station).await?)
}

/// One day's money at a station (its local date).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DayTakings {
    pub date: NaiveDate,
    pub payments: u32,
    pub paid_paise: i64,
    pub captured_paise: i64,
    pub refunds: u32,
    pub refunded_paise: i64,
    pub fees_paise: i64,
    /// What the gateway charged (fees and their tax).
    pub gateway_fees_paise: i64,
    /// Captured less refunded and less the gateway's fees: what the day leaves with the
    /// station.
    pub net_paise: i64,
    pub failed_payments: u32,
}

/// The longest range one request may ask for.
const MAX_DAYS: i64 = 92;

/// A station's ledger over local dates `from..=to`, checked for the caller.
async fn ledger_for(
    app: &App,
    staff: &Actor,
    station: StationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(chrono_tz::Tz, Vec<LedgerEntry>)> {
    access::require_station(app, staff, station).await?;
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(Invalid::new("to", format!("give from <= to, at most {MAX_DAYS} days")).into());
    }
    let s = app
        .store
        .station(station)
        .await?
        .ok_or(PaymentError::NotFound)?;
    let tz = s.policy.timezone;
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (Some(a), Some(b)) = (start(from), start(to + Duration::days(1))) else {
        return Err(Invalid::new("from", "not a date in the station's time zone").into());
    };
    Ok((tz, app.store.ledger_between(station, a, b).await?))
}

/// The station's takings per local day, `from..=to`.
pub async fn takings(
    app: &App,
    staff: &Actor,
    station: StationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayTakings>> {
    let (tz, ledger) = ledger_for(app, staff, station, from, to).await?;
    let mut days: BTreeMap<NaiveDate, DayTakings> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        days.insert(
            d,
            DayTakings {
                date: d,
                ..DayTakings::default()
            },
        );
        d += Duration::days(1);
    }
    for e in ledger {
        let date = e.at.with_timezone(&tz).date_naive();
        let Some(day) = days.get_mut(&date) else {
            continue;
        };
        match e.kind {
            LedgerKind::Payment => {
                day.payments += 1;
                day.paid_paise += e.amount_paise;
            }
            LedgerKind::Capture => day.captured_paise += e.amount_paise,
            LedgerKind::Refund => {
                day.refunds += 1;
                day.refunded_paise += e.amount_paise;
            }
            LedgerKind::Fee => day.fees_paise += e.amount_paise,
            LedgerKind::GatewayFee => day.gateway_fees_paise += e.amount_paise,
            LedgerKind::PaymentFailed => day.failed_payments += 1,
            LedgerKind::Order | LedgerKind::RefundFailed => {}
        }
    }
    Ok(days
        .into_values()
        .map(|mut d| {
            d.net_paise = d.captured_paise - d.refunded_paise - d.gateway_fees_paise;
            d
        })
        .collect())
}

/// The station's ledger rows `from..=to` as CSV, local times, rupees with two decimals.
pub async fn ledger_csv(
    app: &App,
    staff: &Actor,
    station: StationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String> {
    let (tz, ledger) = ledger_for(app, staff, station, from, to).await?;
    // `in_inr` and `out_inr` carry the money that moved (captured in; refunds and the
    // gateway's fees out), so their difference is the takings; `amount_inr` is each
    // row's own amount (an order's, a failed attempt's) for reference.
    let mut out = String::from(
        "date,time,booking_id,kind,amount_inr,in_inr,out_inr,gateway_ref,actor,detail\n",
    );
    for e in ledger {
        let local = e.at.with_timezone(&tz);
        let amount = inr(e.amount_paise);
        let (money_in, money_out) = match e.kind {
            LedgerKind::Capture => (amount.clone(), String::new()),
            LedgerKind::Refund | LedgerKind::GatewayFee => (String::new(), amount.clone()),
            _ => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{amount},{money_in},{money_out},{},{},{}",
            local.format("%Y-%m-%d"),
            local.format("%H:%M:%S"),
            e.booking_id.map(|b| b.to_string()).unwrap_or_default(),
            e.kind.as_str(),
            csv_field(e.gateway_ref.as_deref().unwrap_or_default()),
            csv_field(&e.actor),
            csv_field(&e.detail),
        );
    }
    Ok(out)
}

/// Paise as rupees with two decimals, no symbol (for spreadsheets).
fn inr(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", paise.abs() / 100, paise.abs() % 100)
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@` is
/// defused so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
