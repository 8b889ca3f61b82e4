//! The command line: `run`, `check`, `default-config`, `simulate`. `main.rs` parses it
//! and sets up logging; [`execute`] does the rest. Exit codes: 0 done, 1 runtime
//! failure, 2 bad config or usage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gasq_shared::BookingId;
use tokio_util::sync::CancellationToken;

use crate::config::{self, Config, Overrides, Span};
use crate::simulate::{self, Control, SimOptions, tokens};

#[derive(Debug, Parser)]
#[command(
    name = "gasq-bridge",
    version,
    about = "GasQ firmware bridge: scanners, dispensers, cameras and displays on the station bus"
)]
pub struct Cli {
    /// Log as JSON lines instead of text (RUST_LOG sets the level, default info).
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the devices listed in the config.
    Run(ConfigArgs),
    /// Check a config file and print what it sets up.
    Check(ConfigArgs),
    /// Print a commented example config.
    DefaultConfig,
    /// Run virtual lanes (scanner + dispenser each) against a broker.
    Simulate(Box<SimulateArgs>),
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The TOML config file.
    #[arg(long, short, env = "GASQ_BRIDGE_CONFIG")]
    config: Option<PathBuf>,
    /// The station code (overrides `station`).
    #[arg(long)]
    station: Option<String>,
    /// The broker, mqtt://HOST:PORT (overrides `[mqtt] url`).
    #[arg(long)]
    mqtt_url: Option<String>,
    /// The MQTT client id (overrides `[mqtt] client_id`).
    #[arg(long)]
    client_id: Option<String>,
    /// The file with the JSON line `gasq-edge bus-client add` printed: username,
    /// password and verdict key (overrides `[mqtt] credentials`).
    #[arg(long)]
    credentials: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Number of virtual lanes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=500))]
    lanes: u16,
    /// A file of tokens to scan, one per line.
    #[arg(long, conflicts_with = "cloud")]
    tokens: Option<PathBuf>,
    /// Fetch tokens from the cloud API at this base URL (with --bearer and --booking/--bookings).
    #[arg(long, requires = "bearer")]
    cloud: Option<String>,
    /// Bearer token for the cloud API.
    #[arg(long, env = "GASQ_CLOUD_BEARER", hide_env_values = true)]
    bearer: Option<String>,
    /// A booking id whose token to fetch (repeatable).
    #[arg(long = "booking")]
    bookings: Vec<BookingId>,
    /// A file of booking ids, one per line.
    #[arg(long)]
    bookings_file: Option<PathBuf>,
    /// Time speed-up: 1 is real time (fills of 2-3 minutes), 60 makes a fill 2-3 s.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Every Nth fill has a fault.
    #[arg(long)]
    fault_every: Option<u64>,
    /// Probability (0-1) that a fill has a fault.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Start over when the tokens run out.
    #[arg(long = "loop")]
    repeat: bool,
    /// Keep reading the --tokens file: when its tokens run out, scan the lines added
    /// since, waiting while there are none (for a demo that keeps booking). The run
    /// then ends only at --duration or Ctrl-C.
    #[arg(long, requires = "tokens", conflicts_with = "repeat")]
    follow: bool,
    /// Stop scanning after this long (e.g. "10m"); drivers already sent to a lane are
    /// still fuelled.
    #[arg(long)]
    duration: Option<String>,
    /// How long a lane waits for a verdict.
    #[arg(long, default_value = "10s")]
    verdict_timeout: String,
    /// Price in rupees per kg, for the amounts in `end` events.
    #[arg(long, default_value_t = 88.0)]
    price: f64,
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> ExitCode {
    match cli.command {
        Command::DefaultConfig => {
            print!("{}", config::DEFAULT_CONFIG);
            ExitCode::SUCCESS
        }
        Command::Check(args) => match load(&args) {
            Ok(cfg) => {
                println!("{}", describe(&cfg));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run(args) => match load(&args) {
            Ok(cfg) => block_on(run(cfg)),
            Err(code) => code,
        },
        Command::Simulate(args) => block_on(simulate(*args)),
    }
}

fn block_on(f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => {
            eprintln!("gasq-bridge: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

fn overrides(args: &ConfigArgs) -> Overrides {
    Overrides {
        station: args.station.clone(),
        mqtt_url: args.mqtt_url.clone(),
        client_id: args.client_id.clone(),
        credentials: args.credentials.clone(),
    }
}

fn load(args: &ConfigArgs) -> Result<Config, ExitCode> {
    config::load(args.config.as_deref(), &overrides(args)).map_err(|e| {
        eprintln!("gasq-bridge: {e}");
        ExitCode::from(2)
    })
}

fn describe(cfg: &Config) -> String {
    format!(
        "config OK: station {}, broker {}, {} scanner(s), {} dispenser(s), {} camera(s), {} display(s), {} gate(s)",
        cfg.station,
        // Host and port only: a login in the URL is never printed.
        config::BrokerAddress::parse(&cfg.mqtt.url)
            .map_or_else(|_| "?".to_owned(), |a| a.to_string()),
        cfg.scanner.len(),
        cfg.dispenser.len(),
        cfg.camera.len(),
        cfg.display.len(),
        cfg.gate.len()
    )
}

async fn run(cfg: Config) -> ExitCode {
    let stop = CancellationToken::new();
    let bridge = match crate::launch(&cfg, stop.clone()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gasq-bridge: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("{}", describe(&cfg));
    shutdown_signal().await;
    tracing::info!("stopping");
    stop.cancel();
    bridge.wait().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("gasq-bridge: {msg}");
        ExitCode::from(2)
    };
    let cfg = match load(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let options = match sim_options(&args).await {
        Ok(o) => o,
        Err(msg) => return fail(msg),
    };
    if cfg.mqtt.verdict_key.is_none() {
        return fail(
            "simulated dispensers act only on verdicts signed by the edge: give --credentials FILE \
             (from `gasq-edge bus-client add`) or GASQ_MQTT_VERDICT_KEY"
                .into(),
        );
    }
    let client_id = format!("gasq-sim-{}-{}", cfg.station, std::process::id());
    let settings = match crate::bus_settings(&cfg.mqtt, client_id) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let stop = simulate::Stop::new();
    let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_controls(control_tx));
    let signals = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            "finishing: no more scans; the drivers already sent to a pump are fuelled (fast-forwarded). Ctrl-C again to stop now"
        );
        signals.finish.cancel();
        shutdown_signal().await;
        signals.now.cancel();
    });
    let summary = simulate::run(&cfg.station, settings, options, control_rx, stop).await;
    match serde_json::to_string(&summary) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("gasq-bridge: cannot print the summary: {e}"),
    }
    if summary.nothing_answered() {
        eprintln!(
            "gasq-bridge: no scan got a verdict: is gasq-edge running for this station on that broker?"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn sim_options(args: &SimulateArgs) -> Result<SimOptions, String> {
    let tokens = sim_tokens(args).await?;
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(format!("--speed {} must be above 0", args.speed));
    }
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(format!("--fault-rate {} must be 0 to 1", args.fault_rate));
    }
    let span = |flag: &str, text: &str| {
        Span::parse(text)
            .map(Span::get)
            .map_err(|e| format!("{flag}: {e}"))
    };
    Ok(SimOptions {
        lanes: args.lanes,
        tokens,
        repeat: args.repeat,
        follow: args.tokens.clone().filter(|_| args.follow),
        speed: args.speed,
        fault_every: args.fault_every.filter(|n| *n > 0),
        fault_rate: args.fault_rate,
        verdict_timeout: span("--verdict-timeout", &args.verdict_timeout)?,
        duration: args
            .duration
            .as_deref()
            .map(|d| span("--duration", d))
            .transpose()?,
        price_paise_per_kg: args.price * 100.0,
    })
}

/// The tokens to start with: from the file (which may be empty when followed), or
/// fetched from the cloud for the bookings given.
async fn sim_tokens(args: &SimulateArgs) -> Result<Vec<String>, String> {
    if let Some(path) = &args.tokens {
        let read = if args.follow {
            tokens::from_file_maybe_empty(path)
        } else {
            tokens::from_file(path)
        };
        return read.map_err(|e| e.to_string());
    }
    let Some(cloud) = &args.cloud else {
        return Err("give --tokens FILE, or --cloud URL --bearer TOKEN --booking ID".into());
    };
    let mut bookings = args.bookings.clone();
    if let Some(path) = &args.bookings_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for line in tokens::parse_list(&text) {
            bookings.push(
                line.parse()
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            );
        }
    }
    if bookings.is_empty() {
        return Err("--cloud needs --booking ID or --bookings-file FILE".into());
    }
    let bearer = args.bearer.clone().unwrap_or_default();
    tokens::from_cloud(cloud, &bearer, &bookings)
        .await
        .map_err(|e| e.to_string())
}

/// Operator commands on stdin: `fault <lane> [text]`, `ok <lane>`. Read on a plain
/// thread: stdin is blocking I/O.
fn read_controls(tx: tokio::sync::mpsc::UnboundedSender<Control>) {
    use std::io::BufRead;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        if line.trim().is_empty() {
            continue;
        }
        match Control::parse(&line) {
            Ok(c) => {
                if tx.send(c).is_err() {
                    return;
                }
            }
            Err(e) => eprintln!("{e}"),
        }
    }
}
