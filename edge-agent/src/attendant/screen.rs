//! The attendant's screen on the station box, at `/` (it works with no internet: it is
//! served by the box, on the station LAN): sign in with the station's attendant secret,
//! type a token or a booking's short code — or photograph the driver's QR with the
//! phone's camera (`<input type=file capture>`, shrunk in the browser and posted as a
//! frame to the box's own decoder: no QR library in the page) — and see the verdict big
//! and coloured; give walk-in tickets; take lanes out and back; the queue; and the box's
//! sync health in words. The page calls the same attendant API a tablet app would.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use gasq_shared::topics::{MAX_FRAME_BYTES, Verdict};
use serde::Deserialize;

use super::auth::Attendant;
use super::error::ApiError;
use crate::redemptions::Via;
use crate::state::AgentState;

const PAGE: &str = include_str!("screen/index.html");
const SCRIPT: &str = include_str!("screen/screen.js");

/// The largest photo the screen may post: the frame budget.
pub const PHOTO_LIMIT: usize = MAX_FRAME_BYTES;

/// `GET /`.
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ],
        PAGE,
    )
}

/// `GET /screen.js`.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct FrameQuery {
    /// The lane the vehicle is at (empty or absent: none).
    #[serde(default)]
    lane: String,
}

/// `POST /frames?lane=N`: a photo (PNG or JPEG) of the driver's QR → the verdict, as if
/// the lane's camera had seen it. Decoded within the frame budgets, off the async
/// threads; a photo with no readable QR is a 422 that says how to take a better one.
pub async fn frame(
    _: Attendant,
    State(state): State<Arc<AgentState>>,
    Query(q): Query<FrameQuery>,
    photo: Bytes,
) -> Result<Json<Verdict>, ApiError> {
    let lane = q.lane.trim().parse::<u16>().ok();
    let texts = tokio::task::spawn_blocking(move || gasq_shared::frames::decode_frame(&photo))
        .await
        .map_err(|e| ApiError::Unavailable(format!("the decoder failed: {e}")))?
        .map_err(|e| ApiError::BadRequest(format!("{e}: send a PNG or JPEG photo")))?;
    let Some(text) = texts
        .iter()
        .find(|t| t.starts_with(gasq_shared::token::PREFIX))
    else {
        return Err(ApiError::NoQr);
    };
    let verdict = state
        .validator
        .validate_token(text, lane, None, Via::Frame)
        .await?;
    if let Some(lane) = lane {
        crate::lanes::publish_verdict(&state.lanes, lane, &verdict);
    }
    Ok(Json(verdict))
}
