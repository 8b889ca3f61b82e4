//! The command line: `gasq-edge enroll | run | doctor | status | config | outbox |
//! bus-client`. Each command prints a clear one-line error and exits non-zero when it
//! fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{FlagOverrides, Settings};
use crate::datadir::DataDir;

/// GasQ edge agent: validates e-tokens at the station's lanes, runs the lane queue and
/// syncs with the GasQ cloud — also while offline.
#[derive(Debug, Parser)]
#[command(name = "gasq-edge", version)]
pub struct Cli {
    /// The data dir (database, device key, edge.toml).
    #[arg(
        long,
        global = true,
        env = "GASQ_DATA_DIR",
        default_value = "data/edge"
    )]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enroll this box with a one-time code from the cloud.
    Enroll {
        /// The cloud's base URL, e.g. https://gasq.example.in
        #[arg(long)]
        cloud: String,
        /// The one-time enrollment code.
        #[arg(long)]
        code: String,
        /// Enroll again even though this data dir is enrolled (keeps redemptions and
        /// unsent events).
        #[arg(long)]
        force: bool,
    },
    /// Run the agent: station bus, validator, lane queue, sync, attendant API.
    Run(RunArgs),
    /// Check this box and print what to fix.
    Doctor,
    /// Print the station's status (from the running agent, else from the data dir).
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the effective settings (secrets masked).
    Config,
    /// Manage the outbox of events waiting for the cloud.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Station-bus credentials, one per device.
    #[command(subcommand)]
    BusClient(BusClientCommand),
}

/// `gasq-edge outbox …`.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Send the quarantined events again (after fixing why the cloud refused them);
    /// they go back in their original order. A running agent picks them up by itself.
    Retry,
}

/// `gasq-edge bus-client …`.
#[derive(Debug, Subcommand)]
pub enum BusClientCommand {
    /// Make credentials for a device; prints {"username","password",...} once.
    Add {
        /// The device's name: a-z, 0-9, _ and . (no -), e.g. lane_1.
        name: String,
        /// `bridge` (dispensers, displays, scanners) or `scanner` (scans only).
        #[arg(long, default_value = "bridge")]
        role: String,
    },
    /// List the devices (never their passwords).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a device's credentials; a running agent cuts it off.
    Remove { name: String },
    /// Write a password file, an ACL file and a config snippet for an external Mosquitto.
    Mosquitto {
        /// The directory to write them into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Flags of `run` (each also settable in edge.toml or as GASQ_<NAME>).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Where the embedded station-bus broker listens [default: 127.0.0.1:1883].
    #[arg(long)]
    pub mqtt_listen: Option<SocketAddr>,
    /// Where the attendant HTTP API listens [default: 127.0.0.1:8181].
    #[arg(long)]
    pub http_listen: Option<SocketAddr>,
    /// Use this external broker (mqtt://host:port) instead of the embedded one.
    #[arg(long)]
    pub mqtt_url: Option<String>,
}

impl RunArgs {
    fn overrides(&self) -> FlagOverrides {
        FlagOverrides {
            cloud_url: None,
            mqtt_listen: self.mqtt_listen,
            http_listen: self.http_listen,
            mqtt_url: self.mqtt_url.clone(),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let data = DataDir::new(cli.data_dir);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Enroll { cloud, code, force } => {
                crate::logs::init("warn");
                crate::commands::enroll(&data, &cloud, &code, force).await
            }
            Command::Run(args) => {
                let settings =
                    Settings::load(data.root(), &args.overrides()).map_err(|e| e.to_string())?;
                crate::logs::init(&settings.log);
                crate::commands::run(settings, data).await
            }
            Command::Doctor => {
                crate::logs::init("error");
                crate::commands::doctor(&data).await
            }
            Command::Status { json } => {
                crate::logs::init("error");
                crate::commands::status(&data, json).await
            }
            Command::Outbox(OutboxCommand::Retry) => {
                crate::logs::init("error");
                crate::commands::outbox_retry(&data).await
            }
            Command::BusClient(command) => {
                crate::logs::init("error");
                bus_client(&data, command).await
            }
            Command::Config => {
                let settings = Settings::load(data.root(), &FlagOverrides::default())
                    .map_err(|e| e.to_string())?;
                print!("{}", settings.to_redacted_toml());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

async fn bus_client(data: &DataDir, command: BusClientCommand) -> Result<(), String> {
    use crate::commands::bus_client;
    match command {
        BusClientCommand::Add { name, role } => bus_client::add(data, &name, &role).await,
        BusClientCommand::List { json } => bus_client::list(data, json).await,
        BusClientCommand::Remove { name } => bus_client::remove(data, &name).await,
        BusClientCommand::Mosquitto { out } => bus_client::mosquitto(data, &out).await,
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("gasq-edge: error: {}", message.replace('\n', " "));
    ExitCode::FAILURE
}
