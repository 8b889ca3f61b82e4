//! The attendant HTTP API (axum), for the lane attendant's tablet, technicians and
//! monitoring. Health and status are open; everything else needs the attendant secret
//! (the [`auth::Attendant`] extractor in a handler's signature says so).
//!
//! ```text
//! GET  /                   the attendant's screen (HTML; `/screen.js` its script)
//! POST /frames?lane=n      a photo of a QR (PNG/JPEG) → verdict
//! GET  /healthz            liveness: 503 while the lanes cannot be heard
//! GET  /status             station, online_to_cloud, last_sync_at, outbox_depth, lanes, …
//! GET  /queue              the lane queue (same JSON as the retained `queue` topic)
//! POST /validate           {"code": token or short code, "lane"?: n} → verdict
//! POST /walkins            {"vehicle"?: registration} → {ticket, lane}
//! POST /lanes/{n}/up|down  take a lane in or out of service
//! ```

pub mod auth;
pub mod error;
pub mod screen;

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use gasq_shared::topics::{LaneState, QueueSnapshot, Verdict};
use gasq_shared::{VehicleReg, token};
use serde::{Deserialize, Serialize};

use crate::queue::LaneError;
use crate::redemptions::Via;
use crate::state::AgentState;
use crate::status::StatusReport;
use crate::validator::CodeError;
use auth::Attendant;
use error::ApiError;

/// Requests are small JSON documents; anything bigger is refused unread.
const BODY_LIMIT: usize = 16 * 1024;

/// The API's routes, its table of contents.
pub fn router(state: Arc<AgentState>) -> Router {
    Router::new()
        .route("/", get(screen::page))
        .route("/screen.js", get(screen::script))
        .route(
            "/frames",
            post(screen::frame).layer(DefaultBodyLimit::max(screen::PHOTO_LIMIT)),
        )
        .route("/healthz", get(healthz))
        .route("/status", get(status))
        .route("/queue", get(queue))
        .route("/validate", post(validate))
        .route("/walkins", post(walkin))
        .route("/lanes/{lane}/{action}", post(lane))
        .fallback(|| async { ApiError::NotFound("no such endpoint on this station box".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// `Json`, but a bad body is a problem+json 400 like every other error.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection_text(&rejection))),
        }
    }
}

fn rejection_text(rejection: &JsonRejection) -> String {
    format!(
        "the request body is not what this endpoint takes: {}",
        rejection.body_text()
    )
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'static str>,
}

/// 200 while the agent works; 503 while it cannot hear the lanes (its station-bus link
/// is down), so a monitor polling it can restart an agent that stays deaf.
async fn healthz(State(state): State<Arc<AgentState>>) -> (StatusCode, Json<Health>) {
    if state.bus_link.is_up() {
        let ok = Health {
            status: "ok",
            detail: None,
        };
        return (StatusCode::OK, Json(ok));
    }
    let deaf = Health {
        status: "unavailable",
        detail: Some("the agent cannot hear the lanes: its station-bus link is down"),
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(deaf))
}

async fn status(State(state): State<Arc<AgentState>>) -> Result<Json<StatusReport>, ApiError> {
    Ok(Json(crate::status::report(&state).await?))
}

async fn queue(_: Attendant, State(state): State<Arc<AgentState>>) -> Json<QueueSnapshot> {
    Json(state.queue.snapshot())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateRequest {
    /// A token (`GQ1:…`) or a booking's short code.
    code: String,
    /// The lane the vehicle is at; its display gets the verdict too.
    #[serde(default)]
    lane: Option<u16>,
}

async fn validate(
    attendant: Attendant,
    State(state): State<Arc<AgentState>>,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<Json<Verdict>, ApiError> {
    let code = req.code.trim();
    if code.is_empty() {
        return Err(ApiError::BadRequest(
            "`code` is empty: type the token or the short code".into(),
        ));
    }
    let guesses = || state.code_guesses.lock().unwrap_or_else(|p| p.into_inner());
    let now = std::time::Instant::now();
    if guesses().locked(attendant.from, now) {
        let mut g = guesses();
        // Knocking while locked out is another wrong guess: the wait grows.
        g.failed(attendant.from, now);
        return Err(ApiError::TooManyCodes(
            g.wait_left(attendant.from, now).as_secs().max(1),
        ));
    }
    let verdict = if code.starts_with(token::PREFIX) {
        state
            .validator
            .validate_token(code, req.lane, None, Via::Manual)
            .await?
    } else {
        state
            .validator
            .validate_code(code, req.lane)
            .await
            .map_err(|e| match e {
                CodeError::Unknown(_) => {
                    guesses().failed(attendant.from, std::time::Instant::now());
                    ApiError::UnknownCode(e.to_string())
                }
                CodeError::Ambiguous => ApiError::UnknownCode(e.to_string()),
                CodeError::NoSecret => ApiError::Unavailable(e.to_string()),
                CodeError::Db(db) => ApiError::from(db),
            })?
    };
    if let Some(lane) = req.lane {
        crate::lanes::publish_verdict(&state.lanes, lane, &verdict);
    }
    Ok(Json(verdict))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WalkinRequest {
    #[serde(default)]
    vehicle: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WalkinTicket {
    pub ticket: u32,
    /// The lane to send the vehicle to (`null` while no lane is up).
    pub lane: Option<u16>,
}

async fn walkin(
    _: Attendant,
    State(state): State<Arc<AgentState>>,
    ApiJson(req): ApiJson<WalkinRequest>,
) -> Result<(StatusCode, Json<WalkinTicket>), ApiError> {
    let vehicle = req
        .vehicle
        .filter(|v| !v.trim().is_empty())
        .map(|v| VehicleReg::parse(&v).map(|r| r.to_string()))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (ticket, lane) = state.queue.walkin(vehicle).await?;
    Ok((StatusCode::CREATED, Json(WalkinTicket { ticket, lane })))
}

async fn lane(
    _: Attendant,
    State(state): State<Arc<AgentState>>,
    Path((lane, action)): Path<(String, String)>,
) -> Result<Json<LaneState>, ApiError> {
    let up = match action.as_str() {
        "up" => true,
        "down" => false,
        _ => {
            return Err(ApiError::NotFound(format!(
                "lanes can go `up` or `down`, not {action:?}"
            )));
        }
    };
    let lane: u16 = lane
        .parse()
        .map_err(|_| ApiError::NotFound(format!("{lane:?} is not a lane number")))?;
    let detail = (!up).then(|| "taken down by the attendant".to_owned());
    match state.queue.set_lane(lane, up, detail).await {
        Ok(lane) => Ok(Json(lane)),
        Err(LaneError::Unknown(e)) => Err(ApiError::NotFound(e.to_string())),
        Err(LaneError::Db(e)) => Err(e.into()),
    }
}
