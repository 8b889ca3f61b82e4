//! `gasq-cloud`: the command line. Parses flags, sets up logging, loads settings and
//! hands over to the library. Every failure ends as one clear line and exit code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use gasq_cloud::config::Settings;
use gasq_cloud::domain::Role;
use tokio_util::sync::CancellationToken;

mod cli;

#[derive(Parser, Debug)]
#[command(
    name = "gasq-cloud",
    version,
    about = "GasQ cloud: CNG slot booking, e-tokens, station sync"
)]
struct Cli {
    /// TOML settings file (or GASQ_CONFIG).
    #[arg(long, global = true, env = "GASQ_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: postgres://… or sqlite://… (default: SQLite under ./data).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the API and workers (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The demand forecast.
    #[command(subcommand)]
    Forecast(ForecastCommand),
    /// List or revoke a station's edge boxes.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Answer an SMS as if a driver had sent it (book, check, cancel by SMS with no
    /// Twilio account): prints GasQ's reply. Messages it causes go out through the
    /// running server's channels (the console by default).
    Sms {
        /// The driver's phone number (a 10-digit mobile or +<country><number>).
        #[arg(long)]
        from: String,
        /// The message, e.g. "BOOK MUM-0042 17:30 MH12AB1234".
        text: String,
    },
    /// Make a one-time code that enrolls an edge box for a station.
    EnrollmentCode {
        /// The station's id or code (e.g. 1 or MUM-0042).
        #[arg(long)]
        station: String,
    },
    /// Book demo traffic at the demo station (seeding the demo if needed) and write the
    /// e-tokens, one per line (for `gasq-bridge simulate --tokens FILE`). Books only
    /// slots whose e-tokens are valid now, for demo vehicles with no live booking, and
    /// says how many it booked (fewer, even none, when the station is full).
    DemoTraffic {
        /// How many bookings to make, at most.
        #[arg(long, default_value_t = 12)]
        count: usize,
        /// Also book later slots (tokens not valid yet) and reuse vehicles: many tokens
        /// for load tests.
        #[arg(long)]
        later_slots: bool,
        /// Also write the e-tokens of earlier demo bookings that are valid now and not
        /// used yet (a demo starting again on its old data).
        #[arg(long)]
        resume: bool,
        /// The file to write the e-tokens to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the default configuration as TOML.
    DefaultConfig,
}

#[derive(Args, Debug, Default)]
struct ServeArgs {
    /// Listen address (default 127.0.0.1:8080, or GASQ_LISTEN).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Seed a demo station and accounts, and print how to log in.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user of any role (e.g. the first super admin).
    Add {
        #[arg(long)]
        email: String,
        /// The password (or use --password-stdin to keep it out of the process list).
        #[arg(long, required_unless_present = "password_stdin")]
        password: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        /// driver, station_admin, technician or super_admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Station ids this station admin or technician manages (repeatable).
        #[arg(long = "station")]
        stations: Vec<u32>,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Publish a new signing key that starts signing after the lead time.
    Rotate {
        /// Hours between publishing the key and signing with it (edges sync it meanwhile).
        #[arg(long, default_value_t = 24)]
        lead_hours: i64,
    },
    /// List the keys as published.
    List,
    /// Rotate a station's lane-code secret (the key of the 8-digit codes its edge checks
    /// offline), e.g. after a box was lost. Codes given out before keep working until
    /// the next rotation.
    RotateLaneCodes {
        /// The station's id or code (e.g. 1 or MUM-0042).
        #[arg(long)]
        station: String,
    },
}

#[derive(Subcommand, Debug)]
enum DeviceCommand {
    /// The station's edge boxes: enrolled, last pull and push, revoked.
    List {
        /// The station's id or code (e.g. 1 or MUM-0042).
        #[arg(long)]
        station: String,
    },
    /// Revoke an edge box (lost, replaced, switched off): every edge route refuses it
    /// from now on. Re-enrolling the box needs a new code.
    Revoke {
        /// The device id (from `device list`).
        device: String,
    },
}

#[derive(Subcommand, Debug)]
enum ForecastCommand {
    /// Replay a station's history week by week as the cloud would (each week's level
    /// fitted only from the 28 days before it) and print MAE and RMSE of the model and
    /// of seasonal-naive (the same hour a week earlier), and their ratio.
    Backtest {
        /// CSV with a header: `timestamp,arrivals` and optionally
        /// `temp_c,humidity,rain_mm,holiday`; one row per local hour (absent hours
        /// left out, never written as 0).
        #[arg(long)]
        history: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the hash chain and report the first broken entry, if any.
    Verify,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info,tract_linalg=warn")
    });
    // Logs go to stderr: stdout carries command output (codes, listings) for scripts.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colour only on a terminal: logs redirected to a file stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gasq-cloud: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gasq-cloud: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        settings.database_url = Some(url);
    }
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args).await,
        Command::Migrate => cli::migrate(settings).await,
        Command::User(add) => user(settings, add).await,
        Command::Keys(KeysCommand::Rotate { lead_hours }) => {
            cli::rotate_keys(settings, lead_hours).await
        }
        Command::Keys(KeysCommand::List) => cli::list_keys(settings).await,
        Command::Keys(KeysCommand::RotateLaneCodes { station }) => {
            cli::rotate_lane_codes(settings, &station).await
        }
        Command::Audit(AuditCommand::Verify) => cli::verify_audit(settings).await,
        Command::Forecast(ForecastCommand::Backtest { history }) => {
            cli::backtest(&settings, &history)
        }
        Command::Device(DeviceCommand::List { station }) => {
            cli::list_devices(settings, &station).await
        }
        Command::Device(DeviceCommand::Revoke { device }) => {
            cli::revoke_device(settings, &device).await
        }
        Command::EnrollmentCode { station } => cli::enrollment_code(settings, &station).await,
        Command::Sms { from, text } => cli::sms(settings, &from, &text).await,
        Command::DemoTraffic {
            count,
            later_slots,
            resume,
            out,
        } => {
            let request = gasq_cloud::demo::TrafficRequest {
                count,
                later_slots,
                resume,
            };
            cli::demo_traffic(settings, request, &out).await
        }
        Command::DefaultConfig => {
            print!("{}", Settings::default_toml());
            Ok(())
        }
    }
}

/// `gasq-cloud user add …`
async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Add {
        email,
        password,
        password_stdin,
        role,
        name,
        phone,
        stations,
    } = command;
    let role = Role::parse(&role).with_context(|| {
        format!("unknown role {role:?}: use driver, station_admin, technician or super_admin")
    })?;
    let password = match (password, password_stdin) {
        (_, true) => cli::read_password_stdin()?,
        (Some(p), false) => p,
        (None, false) => bail!("give --password or --password-stdin"),
    };
    let args = cli::NewUserArgs {
        email,
        password,
        role,
        name,
        phone,
        stations,
    };
    cli::add_user(settings, args).await
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    let listen = settings.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} (is it in use? pick another with --listen or GASQ_LISTEN)")
    })?;
    // With port 0 the system picks one: tell the caller the address actually bound,
    // and without a public URL, links in messages point at it.
    let listen = listener.local_addr().unwrap_or(listen);
    settings.listen = listen;
    let db = gasq_cloud::redact_url(&settings.effective_database_url());
    let metrics_off = settings.metrics.token.is_none();
    let app = gasq_cloud::build(settings).await?;
    if metrics_off {
        tracing::info!(
            "metrics: /metrics is refused until a scrape token is set (GASQ_METRICS__TOKEN)"
        );
    }
    tracing::info!(database = %db, "database ready");
    if args.demo {
        for line in gasq_cloud::demo::seed(&app).await? {
            println!("{line}");
        }
    }
    println!("GasQ cloud listening on http://{listen}  (API docs: http://{listen}/docs)");
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        cli::shutdown_signal().await;
        tracing::info!("shutting down");
        stop.cancel();
    });
    gasq_cloud::serve(app, listener, shutdown).await?;
    Ok(())
}
