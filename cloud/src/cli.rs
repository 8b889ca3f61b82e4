//! The one-shot commands: migrate, user add, keys, audit verify, edge devices,
//! enrollment codes and demo traffic. Each builds the app and calls one use case (`gasq_cloud::app`).

use std::io::BufRead as _;

use anyhow::Context;
use gasq_cloud::app::accounts::{self, AccountError, NewAccount};
use gasq_cloud::app::stations::{self, StationError};
use gasq_cloud::app::{audit, devices, enrollment, keys};
use gasq_cloud::config::Settings;
use gasq_cloud::domain::{Role, Station};
use gasq_cloud::secret::Secret;
use gasq_cloud::store::SqlStore;
use gasq_shared::StationId;

pub struct NewUserArgs {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub stations: Vec<u32>,
}

pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let url = settings.effective_database_url();
    let store = SqlStore::connect(&url, 1)
        .await
        .with_context(|| format!("cannot migrate {}", gasq_cloud::redact_url(&url)))?;
    store.close().await;
    println!("migrations applied to {}", gasq_cloud::redact_url(&url));
    Ok(())
}

pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn add_user(settings: Settings, args: NewUserArgs) -> anyhow::Result<()> {
    let stations = args
        .stations
        .iter()
        .map(|id| StationId::new(*id).map_err(|e| anyhow::anyhow!("--station: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let app = gasq_cloud::build(settings).await?;
    let name = args
        .name
        .unwrap_or_else(|| args.email.split('@').next().unwrap_or_default().to_owned());
    let account = NewAccount {
        name,
        email: args.email,
        phone: args.phone,
        password: Secret::new(args.password),
        role: args.role,
        stations,
    };
    let email = account.email.trim().to_lowercase();
    let id = accounts::create_account(&app, account)
        .await
        .map_err(|e| match e {
            AccountError::NotFound(what) => {
                anyhow::anyhow!("--station: that {what} does not exist")
            }
            AccountError::Invalid(i) if i.field == "stations" => {
                anyhow::anyhow!("--station is for station_admin and technician users")
            }
            other => other.into(),
        })?;
    println!("created {} {email} (id {id})", args.role);
    Ok(())
}

pub async fn rotate_keys(settings: Settings, lead_hours: i64) -> anyhow::Result<()> {
    if lead_hours == 0 {
        eprintln!(
            "warning: a key that signs at once is refused by edges that have not synced it yet"
        );
    }
    let app = gasq_cloud::build(settings).await?;
    let kid = keys::rotate(&app, lead_hours).await?;
    println!(
        "published key {kid}; it starts signing in {lead_hours} h (older keys keep verifying)"
    );
    Ok(())
}

pub async fn list_keys(settings: Settings) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    for k in keys::list(&app).await?.keys {
        let signing = if k.signing { "  (signing)" } else { "" };
        println!(
            "kid {:>3}  {:?}  {}{signing}",
            k.kid, k.status, k.public_key
        );
    }
    Ok(())
}

pub async fn verify_audit(settings: Settings) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    let verified = audit::verify(&app).await?;
    println!("audit log intact: {verified} entries verified");
    Ok(())
}

/// The station named by id or code, or a one-line error naming what was given.
async fn station_named(app: &gasq_cloud::App, station: &str) -> anyhow::Result<Station> {
    stations::find(app, station).await.map_err(|e| match e {
        StationError::NotFound(_) => anyhow::anyhow!("station {station} does not exist"),
        other => anyhow::Error::from(other).context(format!("--station {station}")),
    })
}

pub async fn list_devices(settings: Settings, station: &str) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    let station = station_named(&app, station).await?;
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "never".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    println!("edge boxes of {} (times in UTC):", station.code);
    for d in devices::list_as_system(&app, station.id).await? {
        let state = d.revoked_at.map_or_else(
            || "active".to_owned(),
            |t| format!("REVOKED {}", when(Some(t))),
        );
        println!(
            "{}  {:<16} {:<9} enrolled {}  last pull {}  last push {}  {state}",
            d.id,
            d.name.as_deref().unwrap_or("-"),
            d.version.as_deref().unwrap_or("-"),
            when(Some(d.enrolled_at)),
            when(d.last_pull_at),
            when(d.last_push_at),
        );
    }
    Ok(())
}

pub async fn revoke_device(settings: Settings, device: &str) -> anyhow::Result<()> {
    let id: gasq_shared::DeviceId = device.parse().map_err(|_| {
        anyhow::anyhow!("{device:?} is not a device id (see gasq-cloud device list)")
    })?;
    let app = gasq_cloud::build(settings).await?;
    let revoked = devices::revoke_as_system(&app, id, "revoked with gasq-cloud device revoke")
        .await
        .map_err(|e| match e {
            devices::DeviceError::NotFound(_) => anyhow::anyhow!("no edge device {device}"),
            other => other.into(),
        })?;
    let at = revoked.revoked_at.unwrap_or_default();
    println!("device {id} revoked ({at}); the box needs a new enrollment code to sync again");
    Ok(())
}

pub async fn enrollment_code(settings: Settings, station: &str) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    let station = station_named(&app, station).await?;
    let code = enrollment::create_code_as_system(&app, station.id).await?;
    eprintln!(
        "one-time enrollment code for {} (valid until {}):",
        station.code, code.expires_at
    );
    println!("{}", code.code);
    Ok(())
}

/// `gasq-cloud forecast backtest --history FILE`: needs no database, only the model.
pub fn backtest(settings: &Settings, history: &std::path::Path) -> anyhow::Result<()> {
    use gasq_cloud::forecast::{DemandModel, backtest};
    let text = std::fs::read_to_string(history)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", history.display()))?;
    let (rows, notes) = backtest::parse_history_noting(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", history.display()))?;
    for note in notes {
        eprintln!("note: {note}");
    }
    let model = DemandModel::load(settings.forecast.model_path.as_deref())?;
    eprintln!(
        "replaying {} hours of {} with the {} …",
        rows.len(),
        history.display(),
        model.source
    );
    let report = backtest::run(&model, &rows)?;
    print!("{}", report.lines());
    Ok(())
}

/// `gasq-cloud keys rotate-lane-codes --station S`
pub async fn rotate_lane_codes(settings: Settings, station: &str) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    let station = station_named(&app, station).await?;
    let version = gasq_cloud::app::lanecodes::rotate(&app, None, station.id).await?;
    println!(
        "{}: new bookings get lane codes under secret version {version}; its edges get it with \
         their next pull, and codes already given out keep working",
        station.code
    );
    Ok(())
}

/// Answers one SMS as the inbound webhook would (without Twilio's signature: this is
/// the operator's own machine), printing the reply.
pub async fn sms(settings: Settings, from: &str, text: &str) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    let sid = format!("CLI{}", uuid::Uuid::new_v4().simple());
    match gasq_cloud::app::sms::inbound(&app, from, text, &sid).await? {
        Some(reply) => println!("{reply}"),
        None => {
            anyhow::bail!("{from:?} is not a phone number, or it sent too many messages this hour")
        }
    }
    Ok(())
}

pub async fn demo_traffic(
    settings: Settings,
    request: gasq_cloud::demo::TrafficRequest,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let app = gasq_cloud::build(settings).await?;
    gasq_cloud::demo::seed(&app).await?;
    let traffic = gasq_cloud::demo::traffic(&app, request).await?;
    let tokens = traffic.earlier.iter().chain(&traffic.tokens);
    let lines: String = tokens.map(|t| format!("{t}\n")).collect();
    std::fs::write(out, lines).with_context(|| format!("writing {}", out.display()))?;
    let booked = traffic.tokens.len();
    let mut said = match traffic.short {
        None => format!("booked {booked} demo slots"),
        // Not an error: a full demo station books again once places open.
        Some(why) => format!("booked {booked} of {} demo slots ({why})", request.count),
    };
    if request.resume {
        let earlier = traffic.earlier.len();
        said.push_str(&format!(", and {earlier} booked earlier are not used yet"));
    }
    println!("{said}; e-tokens in {}", out.display());
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
