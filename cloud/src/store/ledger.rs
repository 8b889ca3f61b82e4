//! The ledger: one row per money movement, never updated or deleted (the database
//! refuses both). A gateway fact — a payment, a capture, a refund, by its gateway id —
//! is entered once however often it is reported.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::store::StoreResult;
use crate::store::db::{Db, Tx, query};

/// What moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// An order made for the driver to pay (no money yet).
    Order,
    /// A payment authorized by the gateway.
    Payment,
    /// A payment captured (the money is the station's).
    Capture,
    /// A payment attempt that failed (no money moved).
    PaymentFailed,
    /// Money returned to the driver (confirmed by the gateway).
    Refund,
    /// A refund the gateway reported failed (it is tried again).
    RefundFailed,
    /// What a cancellation kept under the station's policy.
    Fee,
    /// What the gateway charged for a payment (its fee, tax included).
    GatewayFee,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Payment => "payment",
            Self::Capture => "capture",
            Self::PaymentFailed => "payment_failed",
            Self::Refund => "refund",
            Self::RefundFailed => "refund_failed",
            Self::Fee => "fee",
            Self::GatewayFee => "gateway_fee",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Order,
            Self::Payment,
            Self::Capture,
            Self::PaymentFailed,
            Self::Refund,
            Self::RefundFailed,
            Self::Fee,
            Self::GatewayFee,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One ledger row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub at: DateTime<Utc>,
    #[schema(value_type = u32)]
    pub station_id: StationId,
    #[schema(value_type = Option<String>)]
    pub booking_id: Option<BookingId>,
    pub kind: LedgerKind,
    pub amount_paise: i64,
    /// The gateway's id for it (order, payment or refund id).
    pub gateway_ref: Option<String>,
    /// Who or what made it happen: `driver:<id>`, `staff:<id>`, `gateway webhook`, …
    pub actor: String,
    pub detail: String,
}

/// Appends a row; a gateway fact already entered is skipped. Returns whether it was new.
pub(crate) async fn append(tx: &mut Tx, e: &LedgerEntry) -> StoreResult<bool> {
    let added = tx
        .execute(
            query(
                "INSERT INTO ledger (at, station_id, booking_id, kind, amount_paise, gateway_ref, \
                 actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(e.at)
            .bind(e.station_id)
            .bind(e.booking_id)
            .bind(e.kind.as_str())
            .bind(e.amount_paise)
            .bind(e.gateway_ref.clone())
            .bind(e.actor.clone())
            .bind(e.detail.clone()),
        )
        .await?;
    Ok(added > 0)
}

#[derive(sqlx::FromRow)]
struct LedgerRow {
    at: DateTime<Utc>,
    station_id: i64,
    booking_id: Option<Uuid>,
    kind: String,
    amount_paise: i64,
    gateway_ref: Option<String>,
    actor: String,
    detail: String,
}

fn entries(rows: Vec<LedgerRow>) -> Vec<LedgerEntry> {
    rows.into_iter()
        .filter_map(|r| {
            Some(LedgerEntry {
                at: r.at,
                station_id: StationId::try_from(r.station_id).ok()?,
                booking_id: r.booking_id.map(Into::into),
                kind: LedgerKind::parse(&r.kind)?,
                amount_paise: r.amount_paise,
                gateway_ref: r.gateway_ref,
                actor: r.actor,
                detail: r.detail,
            })
        })
        .collect()
}

const COLUMNS: &str = "at, station_id, booking_id, kind, amount_paise, gateway_ref, actor, detail";

pub(crate) async fn of_booking(db: &Db, booking: BookingId) -> StoreResult<Vec<LedgerEntry>> {
    let q = crate::store::db::Query::assembled(format!(
        "SELECT {COLUMNS} FROM ledger WHERE booking_id = $1 ORDER BY id"
    ))
    .bind(booking);
    Ok(entries(db.fetch_all(q).await?))
}

pub(crate) async fn between(
    db: &Db,
    station: StationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<LedgerEntry>> {
    let q = crate::store::db::Query::assembled(format!(
        "SELECT {COLUMNS} FROM ledger WHERE station_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id"
    ))
    .bind(station)
    .bind(from)
    .bind(to);
    Ok(entries(db.fetch_all(q).await?))
}
