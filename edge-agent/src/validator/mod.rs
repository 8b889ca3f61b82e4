//! The validator: turns a scanned token (or a short code typed by an attendant) into a
//! verdict, redeeming it once.
//!
//! Order (contract): structure, key, signature → station → window ([`check`]) →
//! revoked → the redemption insert (`redemptions::redeem`) → ok. Offline this works
//! the same: a correctly signed token for this station inside its window is accepted
//! once even if the booking never arrived by sync (the event says `known: false`).
//! An `accepted` verdict is only built after the redemption is durably committed.

pub mod check;

use std::sync::Arc;

use chrono::Utc;
use gasq_shared::lanecode;
use gasq_shared::token::{TokenClaims, TokenFlags};
use gasq_shared::topics::{Reason, Verdict};
use gasq_shared::{BookingId, Quantity};

use crate::clock::TrustedClock;
use crate::db::DbError;
use crate::lanecodes::{self, Found};
use crate::metrics::Counters;
use crate::queue::QueueService;
use crate::recorder::Recorder;
use crate::redemptions::{self, Outcome, Via};
use crate::station::Station;

/// A manual entry that is no token and no code any synced booking has.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error(
        "no booking synced to this station has the code {0:?}; ask for the QR token, or check that the station is syncing"
    )]
    Unknown(String),
    #[error(
        "two bookings share this code: scan the driver's QR token, or check the booking with the station office"
    )]
    Ambiguous,
    #[error(
        "this box has no lane-code secret yet: let it sync with the cloud once, or scan the QR token"
    )]
    NoSecret,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Validates scans and manual entries. Shared by the lanes and the attendant API.
#[derive(Debug, Clone)]
pub struct Validator {
    station: Arc<Station>,
    recorder: Recorder,
    queue: QueueService,
    counters: Arc<Counters>,
    tolerance_secs: i64,
    /// Token windows are judged by it, not by the bare wall clock.
    clock: Arc<TrustedClock>,
}

impl Validator {
    pub fn new(
        station: Arc<Station>,
        recorder: Recorder,
        queue: QueueService,
        counters: Arc<Counters>,
        tolerance_secs: u64,
        clock: Arc<TrustedClock>,
    ) -> Self {
        Self {
            station,
            recorder,
            queue,
            counters,
            tolerance_secs: i64::try_from(tolerance_secs).unwrap_or(i64::MAX),
            clock,
        }
    }

    /// Validates a token text scanned (or typed) at `lane`.
    ///
    /// `Err` only when the database failed: then no verdict can be given honestly.
    pub async fn validate_token(
        &self,
        text: &str,
        lane: Option<u16>,
        scan_id: Option<String>,
        via: Via,
    ) -> Result<Verdict, DbError> {
        let now = self.clock.now().at;
        let station_id = self.station.config().station_id.get();
        let keys = self.station.keys();
        match check::check_token(
            text,
            &keys,
            station_id,
            now.timestamp(),
            self.tolerance_secs,
        ) {
            Ok(claims) => self.redeem(claims, lane, scan_id, via).await,
            Err(refusal) => {
                let booking = refusal.claims.as_ref().map(|c| c.booking_id);
                self.recorder.reject(refusal.reason, booking, lane).await?;
                Ok(self.finish(scan_id, refusal.reason, refusal.claims.as_ref(), lane))
            }
        }
    }

    /// A verdict for something that is not even a scan (bad bytes, no QR in a frame).
    pub async fn malformed(
        &self,
        lane: Option<u16>,
        scan_id: Option<String>,
    ) -> Result<Verdict, DbError> {
        self.recorder.reject(Reason::Malformed, None, lane).await?;
        Ok(self.finish(scan_id, Reason::Malformed, None, lane))
    }

    /// Validates a short code quoted by a driver: an 8-digit lane code, checked with the
    /// station's lane-code secrets against the synced bookings; or an older booking's
    /// letter code, looked up as synced.
    pub async fn validate_code(&self, code: &str, lane: Option<u16>) -> Result<Verdict, CodeError> {
        let now = self.clock.now().at;
        let station = self.station.config().station_id;
        let booking = match lanecode::normalize(code) {
            Some(digits) => {
                let found = self
                    .recorder
                    .db()
                    .call(move |c| lanecodes::find(c, station, &digits, now))
                    .await?;
                match found {
                    Found::One(b) => b,
                    Found::Nothing => return Err(CodeError::Unknown(code.trim().to_owned())),
                    Found::Ambiguous => return Err(CodeError::Ambiguous),
                    Found::NoSecret => return Err(CodeError::NoSecret),
                }
            }
            None => {
                let lookup = code.to_owned();
                self.recorder
                    .db()
                    .call(move |c| redemptions::booking_by_code(c, &lookup))
                    .await?
                    .ok_or_else(|| CodeError::Unknown(code.trim().to_owned()))?
            }
        };
        let claims = TokenClaims {
            kid: 0,
            booking_id: booking.id,
            station_id: self.station.config().station_id.get(),
            valid_from: clamp_u32(booking.valid_from_unix),
            valid_until: clamp_u32(booking.valid_until_unix),
            quantity: Quantity::from_centikg(booking.quantity_centikg),
            flags: TokenFlags::default(),
            vehicle: booking.vehicle.unwrap_or_default(),
        };
        let now = now.timestamp();
        if let Err(reason) = check::check_window(
            booking.valid_from_unix,
            booking.valid_until_unix,
            now,
            self.tolerance_secs,
        ) {
            self.recorder.reject(reason, Some(booking.id), lane).await?;
            return Ok(self.finish(None, reason, Some(&claims), lane));
        }
        Ok(self.redeem(claims, lane, None, Via::ShortCode).await?)
    }

    async fn redeem(
        &self,
        claims: TokenClaims,
        lane: Option<u16>,
        scan_id: Option<String>,
        via: Via,
    ) -> Result<Verdict, DbError> {
        let booking: BookingId = claims.booking_id;
        // IMPORTANT: this await returns only after the commit is on disk
        // (docs/architecture.md, invariant 2).
        let outcome = self.recorder.redeem(booking, lane, via).await?;
        let (reason, lane) = match outcome {
            Outcome::Redeemed { .. } => {
                let vehicle = Some(claims.vehicle.clone()).filter(|v| !v.is_empty());
                (
                    Reason::Ok,
                    self.queue.arrive_booking(booking, vehicle, lane),
                )
            }
            Outcome::AlreadyUsed => (Reason::AlreadyUsed, lane),
            Outcome::Revoked => (Reason::Revoked, lane),
        };
        Ok(self.finish(scan_id, reason, Some(&claims), lane))
    }

    fn finish(
        &self,
        scan_id: Option<String>,
        reason: Reason,
        claims: Option<&TokenClaims>,
        lane: Option<u16>,
    ) -> Verdict {
        self.counters.verdict(reason);
        check::verdict(scan_id, reason, claims, lane, Utc::now())
    }
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}
