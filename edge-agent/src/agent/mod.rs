//! `gasq-edge run`: starts the components around one shared [`AgentState`] — the
//! station bus (embedded broker or external), lane workers, the queue, sync, the
//! retained status and the attendant API — and stops them on shutdown. The station bus
//! itself (broker or external link, device credentials) is started by [`station_bus`].

mod station_bus;

pub use station_bus::warnings;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gasq_shared::topics::Topic;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::attendant_secret::AttendantAuth;
use crate::bus::{self, BusIo, LinkHealth};
use crate::busclients::registry::Registry;
use crate::busclients::watch;
use crate::buskey::BusKey;
use crate::clock::TrustedClock;
use crate::config::Settings;
use crate::datadir::DataDir;
use crate::db::{Db, DbError, Mode, kv};
use crate::device::{self, Device, KeyError};
use crate::identity;
use crate::lanes::{self, LaneContext};
use crate::metrics::Counters;
use crate::queue::QueueService;
use crate::recorder::Recorder;
use crate::state::{AgentState, Listening};
use crate::station::Station;
use crate::sync::client::{CloudClient, http_client};
use crate::sync::{self, SyncHandle, SyncOptions, Syncer};
use crate::validator::Validator;
use crate::{broker, status};
use station_bus::BusStarted;

/// How long components get to finish after shutdown is asked for.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(
        "{0} is not enrolled: run `gasq-edge enroll --cloud URL --code CODE --data-dir {0}` first"
    )]
    NotEnrolled(String),
    #[error("no cloud_url is configured: enroll again, or set cloud_url in {0}")]
    NoCloud(String),
    #[error("the stored key set is unusable: {0}")]
    Keys(String),
    #[error("attendant API port {0} is in use: stop what holds it or choose another --http-listen")]
    HttpPortInUse(SocketAddr),
    #[error("attendant API cannot listen on {0}: {1}")]
    HttpListen(SocketAddr, String),
    #[error(transparent)]
    Broker(#[from] broker::BrokerError),
    #[error(transparent)]
    Link(#[from] bus::local::LinkError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What `run` needs from the data dir before anything starts.
struct Loaded {
    db: Db,
    enrolled: identity::Enrolled,
    device: Device,
    keys: gasq_shared::token::KeySet,
    cloud_url: String,
    bus_key: BusKey,
    devices: Registry,
    clock: Arc<TrustedClock>,
}

async fn load(settings: &Settings, data: &DataDir) -> Result<Loaded, AgentError> {
    let db = Db::open(&data.db(), Mode::ReadWrite)?;
    let enrolled = identity::load(&db)
        .await?
        .ok_or_else(|| AgentError::NotEnrolled(data.root().display().to_string()))?;
    let cloud_url = settings
        .cloud_url
        .clone()
        .ok_or_else(|| AgentError::NoCloud(data.config_file().display().to_string()))?;
    let device = Device::new(enrolled.device_id, device::load_key(&data.device_key())?)?;
    let keys = enrolled
        .keys
        .key_set()
        .map_err(|e| AgentError::Keys(e.to_string()))?;
    let bus_key = BusKey::load_or_create(data)?;
    let devices = Registry::new();
    watch::reload(&db, &devices).await?;
    let last_good = db.call(|c| kv::get(c, kv::keys::LAST_GOOD_TIME)).await?;
    let clock = Arc::new(TrustedClock::new(last_good, settings.clock_max_drift_secs));
    Ok(Loaded {
        db,
        enrolled,
        device,
        keys,
        cloud_url,
        bus_key,
        devices,
        clock,
    })
}

/// The components, built and connected, not yet running.
struct Built {
    state: Arc<AgentState>,
    syncer: Syncer,
}

async fn build(
    settings: &Settings,
    loaded: Loaded,
    (bus, bus_link): (&bus::Bus, LinkHealth),
    listening: Listening,
    counters: Arc<Counters>,
) -> Result<Built, AgentError> {
    let Loaded {
        db,
        enrolled,
        device,
        keys,
        cloud_url,
        bus_key,
        devices,
        clock,
    } = loaded;
    let config = enrolled.station.clone();
    let recorder = Recorder::new(db.clone());
    let station = Arc::new(Station::new(config.clone(), keys));
    let queue = QueueService::load(
        recorder.clone(),
        config.policy.lanes,
        config.policy.service_minutes,
    )
    .await?;
    let validator = Validator::new(
        station.clone(),
        recorder.clone(),
        queue.clone(),
        counters.clone(),
        settings.clock_skew_tolerance_secs,
        clock.clone(),
    );
    let lanes = Arc::new(LaneContext {
        station: config.code.clone(),
        validator: validator.clone(),
        queue: queue.clone(),
        bus: bus.clone(),
        counters: counters.clone(),
        signer: bus_key,
        devices,
        anonymous: settings.allow_anonymous,
        db: db.clone(),
        decoders: Arc::new(tokio::sync::Semaphore::new(lanes::frames::decoders())),
    });
    let pull_every = settings.pull_interval().max(settings.pull_wait());
    let sync = SyncHandle::new(sync::saved_state(&db).await?, pull_every);
    let state = Arc::new(AgentState {
        station,
        device_id: device.id,
        recorder,
        queue,
        validator,
        sync,
        counters,
        attendant: Arc::new(AttendantAuth::new(enrolled.attendant_hash)),
        lanes,
        listening,
        bus_link,
        anonymous: settings.allow_anonymous,
        clock,
        code_guesses: std::sync::Mutex::default(),
    });
    let syncer = syncer(
        settings,
        &state,
        CloudClient::new(http_client(), &cloud_url, device)
            .with_timeout(settings.request_timeout())
            .with_clock(state.clock.clone()),
    );
    Ok(Built { state, syncer })
}

/// The sync component, on the state's recorder, station, queue and sync handle.
fn syncer(settings: &Settings, state: &AgentState, client: CloudClient) -> Syncer {
    Syncer {
        client,
        recorder: state.recorder.clone(),
        station: state.station.clone(),
        queue: state.queue.clone(),
        handle: state.sync.clone(),
        options: SyncOptions {
            pull_interval: settings.pull_interval(),
            pull_wait: settings.pull_wait(),
            backoff_max: settings.backoff_max(),
            batch: settings.push_batch,
            poison_attempts: settings.poison_attempts,
        },
    }
}

/// Runs the agent until `shutdown` resolves. `ready` is called once everything listens,
/// with the addresses actually bound.
pub async fn run(
    settings: Settings,
    data: DataDir,
    shutdown: impl Future<Output = ()>,
    ready: impl FnOnce(&Listening),
) -> Result<(), AgentError> {
    let loaded = load(&settings, &data).await?;
    let code = loaded.enrolled.station.code.clone();
    let counters = Arc::new(Counters::default());
    let BusStarted {
        io,
        address: bus_address,
        embedded,
    } = station_bus::start(
        &settings,
        &code,
        loaded.device.id,
        &loaded.devices,
        counters.clone(),
        // The link's tasks go beside the lanes, on the database thread.
        loaded.db.runtime(),
    )?;
    let watcher = (loaded.db.clone(), loaded.devices.clone(), embedded);
    let http = bind_http(settings.http_listen).await?;
    let listening = Listening {
        http: http
            .local_addr()
            .map_err(|e| AgentError::HttpListen(settings.http_listen, e.to_string()))?,
        bus: bus_address,
    };
    let bound = listening.http;
    let noted = loaded
        .db
        .call(move |c| kv::set(c, kv::keys::HTTP_BOUND, &bound, chrono::Utc::now()))
        .await;
    if let Err(e) = noted {
        tracing::warn!(error = %e, "cannot note the attendant API's address for gasq-edge status");
    }
    let BusIo {
        bus,
        incoming,
        publisher,
        health,
    } = io;
    let built = build(
        &settings,
        loaded,
        (&bus, health),
        listening.clone(),
        counters,
    )
    .await?;

    let stop = CancellationToken::new();
    let mut tasks = spawn_components(built, &bus, incoming, http, &stop);
    let (db, devices, embedded) = watcher;
    tasks.push(tokio::spawn(watch::run(
        db,
        devices,
        embedded,
        stop.clone(),
    )));
    let (http, mqtt) = (listening.http, &listening.bus);
    tracing::info!(station = %code, %http, %mqtt, "gasq-edge running");
    ready(&listening);

    shutdown.await;
    tracing::info!("shutting down");
    stop.cancel();
    for task in tasks {
        if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
            tracing::warn!("a component did not stop in time");
        }
    }
    bus.close().await;
    let _ = tokio::time::timeout(STOP_TIMEOUT, publisher).await;
    Ok(())
}

/// Starts the lane workers, the queue, the retained status, sync and the attendant API;
/// each stops when `stop` is cancelled.
fn spawn_components(
    Built { state, syncer }: Built,
    bus: &bus::Bus,
    incoming: tokio::sync::mpsc::Receiver<bus::Message>,
    http: TcpListener,
    stop: &CancellationToken,
) -> Vec<JoinHandle<()>> {
    let station = state.station.config().code.clone();
    let queue_topic = Topic::Queue {
        station: station.clone(),
    };
    let status_topic = Topic::EdgeStatus { station };
    let queue = state.queue.clone();
    // The lanes run on the database thread: a verdict's commit needs no hand-off there.
    let lanes = lanes::dispatch(incoming, state.lanes.clone(), stop.clone());
    vec![
        state.recorder.db().spawn(lanes),
        tokio::spawn(queue.run(bus.clone(), queue_topic, stop.clone())),
        tokio::spawn(status::publish_loop(
            state.clone(),
            bus.clone(),
            status_topic,
            stop.clone(),
        )),
        tokio::spawn(syncer.run(stop.clone())),
        tokio::spawn(serve_http(http, state, stop.clone())),
    ]
}

async fn bind_http(addr: SocketAddr) -> Result<TcpListener, AgentError> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => AgentError::HttpPortInUse(addr),
        _ => AgentError::HttpListen(addr, e.to_string()),
    })
}

async fn serve_http(listener: TcpListener, state: Arc<AgentState>, stop: CancellationToken) {
    // Connect info: the attendant secret is throttled per client address.
    let app = crate::attendant::router(state).into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::error!(error = %e, "attendant API stopped");
    }
}
