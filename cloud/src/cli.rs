//! The one-shot commands: migrate, user add, keys, audit verify.

use std::io::BufRead as _;

use anyhow::{Context, bail};
use chrono::Duration;
use gasq_cloud::audit::ChainVerifier;
use gasq_cloud::config::Settings;
use gasq_cloud::domain::{AuditEntry, Role};
use gasq_cloud::secret::Secret;
use gasq_cloud::store::{AuditStore, SqlStore};
use gasq_shared::{Phone, StationId};

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
    let email = gasq_cloud::api::auth::normalize_email(&args.email)?;
    gasq_cloud::auth::password::check_policy(&args.password)
        .map_err(|m| anyhow::anyhow!("password: {m}"))?;
    let phone = args
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("phone: {e}"))?;
    if !args.stations.is_empty() && !matches!(args.role, Role::StationAdmin | Role::Technician) {
        bail!("--station is for station_admin and technician users");
    }
    let state = gasq_cloud::build(settings).await?;
    let mut stations = Vec::new();
    for id in &args.stations {
        let id = StationId::new(*id).map_err(|e| anyhow::anyhow!("--station: {e}"))?;
        state
            .store
            .station(id)
            .await?
            .with_context(|| format!("station {id} does not exist"))?;
        stations.push(id);
    }
    let name = args
        .name
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let id = gasq_cloud::api::auth::create_account(
        &state,
        &name,
        &email,
        phone.as_ref(),
        Secret::new(args.password),
        args.role,
        None,
    )
    .await?;
    for station in stations {
        let audit = AuditEntry {
            action: "station.assign_staff".into(),
            target: format!("station:{station}"),
            detail: serde_json::json!({ "user_id": id, "via": "cli" }),
            ..AuditEntry::default()
        };
        state.store.assign_station(id, station, audit).await?;
    }
    println!("created {} {email} (id {id})", args.role);
    Ok(())
}

pub async fn rotate_keys(settings: Settings, lead_hours: i64) -> anyhow::Result<()> {
    if !(0..=24 * 30).contains(&lead_hours) {
        bail!("--lead-hours must be 0 to 720");
    }
    if lead_hours < 1 {
        eprintln!(
            "warning: a key that signs at once is refused by edges that have not synced it yet"
        );
    }
    let state = gasq_cloud::build(settings).await?;
    let audit = AuditEntry {
        detail: serde_json::json!({ "via": "cli" }),
        ..AuditEntry::default()
    };
    let kid = state
        .signer
        .rotate(Duration::hours(lead_hours), Some(audit))
        .await?;
    println!(
        "published key {kid}; it starts signing in {lead_hours} h (older keys keep verifying)"
    );
    Ok(())
}

pub async fn list_keys(settings: Settings) -> anyhow::Result<()> {
    let state = gasq_cloud::build(settings).await?;
    for k in state.signer.published().await?.keys {
        let signing = if k.signing { "  (signing)" } else { "" };
        println!(
            "kid {:>3}  {:?}  {}{signing}",
            k.kid, k.status, k.public_key
        );
    }
    Ok(())
}

pub async fn verify_audit(settings: Settings) -> anyhow::Result<()> {
    let url = settings.effective_database_url();
    let store = SqlStore::connect(&url, 2).await?;
    // Link whatever committed since the last seal, so the check covers every entry.
    while AuditStore::seal_audit(&store, 1000).await? > 0 {}
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = AuditStore::audit_chain(&store, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq.unwrap_or(after);
        for record in &page {
            if let Err(broken) = verifier.check(record) {
                bail!(
                    "audit log is NOT intact: {broken} ({} entries before it verified)",
                    verifier.verified()
                );
            }
        }
    }
    println!("audit log intact: {} entries verified", verifier.verified());
    Ok(())
}

pub async fn enrollment_code(settings: Settings, station: &str) -> anyhow::Result<()> {
    let state = gasq_cloud::build(settings).await?;
    let found = match station.parse::<StationId>() {
        Ok(id) => state.store.station(id).await?,
        Err(_) => {
            let code = gasq_shared::StationCode::parse(station)
                .map_err(|e| anyhow::anyhow!("--station: {e}"))?;
            state.store.station_by_code(&code).await?
        }
    };
    let station = found.with_context(|| format!("station {station} does not exist"))?;
    let audit = AuditEntry {
        action: "edge.enrollment_code".into(),
        target: format!("station:{}", station.id),
        ..AuditEntry::default()
    };
    let code = gasq_cloud::api::edge::new_enrollment_code(&state, station.id, None, audit).await?;
    eprintln!(
        "one-time enrollment code for {} (valid until {}):",
        station.code, code.expires_at
    );
    println!("{}", code.code);
    Ok(())
}

pub async fn demo_traffic(
    settings: Settings,
    request: gasq_cloud::demo::TrafficRequest,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let state = gasq_cloud::build(settings).await?;
    gasq_cloud::demo::seed(&state).await?;
    let traffic = gasq_cloud::demo::traffic(&state, request).await?;
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
