//! The cloud checks: this box's clock against the cloud's, then whether the cloud
//! accepts this device.
//!
//! The clock comes first, from an unauthenticated answer (`GET /healthz` and its HTTP
//! `Date` header): every later call carries a device JWT, and a box whose clock is off
//! by more than the cloud's leeway gets 401 for all of them. Judged from that 401
//! alone, doctor would send the technician to re-enroll a box that only needs NTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gasq_shared::sync::DEVICE_JWT_LEEWAY_SECS;
use reqwest::header::DATE;

use super::Check;
use crate::config::Settings;
use crate::datadir::DataDir;
use crate::db::{Db, kv};
use crate::device::{self, Device};
use crate::identity::Enrolled;
use crate::outbox;
use crate::sync::client::{CloudClient, DEVICE_REVOKED, Health, SyncError, http_client};

const NTP_FIX: &str = "turn on time sync: timedatectl set-ntp true (check with timedatectl status)";

pub async fn cloud(
    data: &DataDir,
    settings: &Settings,
    db: &Db,
    e: &Enrolled,
    out: &mut Vec<Check>,
) {
    let Some(url) = &settings.cloud_url else {
        out.push(Check::fail(
            "cloud",
            "no cloud_url configured",
            format!("set cloud_url in {}", data.config_file().display()),
        ));
        return;
    };
    let Ok(device) = device::load_key(&data.device_key()).and_then(|k| Device::new(e.device_id, k))
    else {
        return;
    };
    let (since, health) = db
        .call(|c| {
            let cursor: i64 = kv::get(c, kv::keys::CURSOR)?.unwrap_or(0);
            Ok((cursor, Health::from(&outbox::stats(c)?)))
        })
        .await
        .unwrap_or_default();
    let http = http_client();
    let tolerance = settings.clock_skew_tolerance_secs;
    let skew = date_skew(&http, url).await;
    if let Some(skew) = skew {
        clock(skew, tolerance, out);
    }
    let client = CloudClient::new(http, url, device);
    let sent = Utc::now();
    match client.changes(since, Duration::ZERO, &health).await {
        Ok(page) => {
            out.push(Check::ok(
                "cloud",
                format!("{url} answers and accepts this device"),
            ));
            if skew.is_none() {
                // No Date header to go by: the signed answer's server_time will do.
                clock(
                    skew_secs(page.server_time, sent, Utc::now()),
                    tolerance,
                    out,
                );
            }
        }
        Err(err) => out.push(cloud_failure(url, &err, data, skew)),
    }
}

/// Cloud clock minus ours, in seconds, from the `Date` header of `GET {url}/healthz`
/// (any answer will do: it needs no credentials). `None` if the cloud did not answer
/// or sent no readable date.
async fn date_skew(http: &reqwest::Client, url: &str) -> Option<i64> {
    let sent = Utc::now();
    let response = http
        .get(format!("{}/healthz", url.trim_end_matches('/')))
        .send()
        .await
        .ok()?;
    let received = Utc::now();
    let date = response.headers().get(DATE)?.to_str().ok()?;
    let cloud = DateTime::parse_from_rfc2822(date).ok()?.with_timezone(&Utc);
    // The header has whole seconds: the cloud's clock was somewhere in that second.
    let cloud = cloud + chrono::Duration::milliseconds(500);
    Some(skew_secs(cloud, sent, received))
}

/// `cloud` minus the middle of our `[sent, received]`, in whole seconds.
fn skew_secs(cloud: DateTime<Utc>, sent: DateTime<Utc>, received: DateTime<Utc>) -> i64 {
    let ms = (cloud - (sent + (received - sent) / 2)).num_milliseconds();
    (ms as f64 / 1000.0).round() as i64
}

/// The check for a failed signed call. `skew`: cloud clock minus ours, if known.
fn cloud_failure(url: &str, err: &SyncError, data: &DataDir, skew: Option<i64>) -> Check {
    if let SyncError::Auth { .. } = err
        && let Some(skew) = skew.filter(|s| s.abs() > DEVICE_JWT_LEEWAY_SECS)
    {
        return Check::fail(
            "cloud",
            format!(
                "{err} — this box's clock is {}s off the cloud's, more than the {DEVICE_JWT_LEEWAY_SECS}s the cloud allows for device tokens",
                skew.abs()
            ),
            format!(
                "the clock is the problem, not the enrollment (do not re-enroll): {NTP_FIX}; then run doctor again"
            ),
        );
    }
    let fix = match err {
        SyncError::Network { .. } => format!(
            "check the uplink (ping, DNS) and cloud_url in {}",
            data.config_file().display()
        ),
        SyncError::Auth { code, .. } if code == DEVICE_REVOKED => "this device was revoked in the cloud (replaced or switched off by staff): get a new enrollment code from the station's admin and run gasq-edge enroll --force --cloud URL --code CODE".into(),
        SyncError::Auth { .. } => "this device is not (or no longer) accepted: get a new code and run gasq-edge enroll --force".into(),
        SyncError::NotTheCloud { .. } => format!("something between this box and the cloud answered instead of it: check cloud_url in {} and the proxy in front of the cloud", data.config_file().display()),
        SyncError::Server { .. } => "the cloud is failing: retry later, tell GasQ operations if it lasts".into(),
        _ => format!("check that {url} is the GasQ cloud and versions match"),
    };
    Check::fail("cloud", err.to_string(), fix)
}

fn clock(skew_secs: i64, tolerance: u64, out: &mut Vec<Check>) {
    let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
    let detail = format!(
        "this box is {}s {} the cloud",
        skew_secs.abs(),
        if skew_secs > 0 { "behind" } else { "ahead of" }
    );
    if skew_secs.abs() > tolerance {
        out.push(Check::fail("clock", detail, NTP_FIX));
    } else if skew_secs.abs() > tolerance / 2 {
        out.push(Check::warn("clock", detail, NTP_FIX));
    } else {
        out.push(Check::ok("clock", detail));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> SyncError {
        SyncError::Auth {
            status: 401,
            code: "unauthorized".into(),
            detail: "the device token does not verify".into(),
        }
    }

    #[test]
    fn a_401_with_a_skewed_clock_blames_the_clock_not_the_enrollment() {
        let data = DataDir::new("/x");
        let check = cloud_failure("http://cloud", &refused(), &data, Some(-3600));
        let fix = check.fix.unwrap();
        assert!(fix.contains("set-ntp true"), "{fix}");
        assert!(!fix.contains("enroll --force"), "{fix}");
        assert!(check.detail.contains("3600s"), "{}", check.detail);
    }

    #[test]
    fn a_401_with_a_good_clock_or_an_unknown_one_is_about_enrollment() {
        let data = DataDir::new("/x");
        for skew in [Some(3), None] {
            let check = cloud_failure("http://cloud", &refused(), &data, skew);
            assert!(check.fix.unwrap().contains("enroll --force"));
        }
    }

    #[test]
    fn skew_is_measured_from_the_middle_of_the_round_trip() {
        let sent = DateTime::from_timestamp(1_000, 0).unwrap();
        let received = DateTime::from_timestamp(1_002, 0).unwrap();
        let cloud = DateTime::from_timestamp(1_301, 0).unwrap();
        assert_eq!(skew_secs(cloud, sent, received), 300, "the box is behind");
        assert_eq!(skew_secs(sent, sent, received), -1);
    }
}
