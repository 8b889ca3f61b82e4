//! The checkout page, `/pay/{booking id}`. Live (Razorpay keys set): Razorpay Checkout
//! (checkout.js, the one script loaded from another site) opens on the order, and its
//! callback is posted to the verify path. Test mode (the embedded default): a local
//! page, clearly labelled, whose Pay and Fail buttons make the local gateway take or
//! decline a payment — it sends its signed webhook through the same handler as
//! Razorpay's, and the page posts the signed callback to the same verify path.
//!
//! The page needs no login: the booking id is unguessable, and nothing here can confirm
//! a booking without a gateway signature (in test mode nobody is charged).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gasq_shared::BookingId;
use serde::Deserialize;

use super::page::{esc, html_page};
use crate::app::payments;
use crate::domain::{Booking, BookingStatus, money};
use crate::state::AppState;

const CSP_TEST: &str = "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
     connect-src 'self'; form-action 'self'";
const CSP_LIVE: &str = "default-src 'self'; style-src 'unsafe-inline'; \
     script-src 'unsafe-inline' https://checkout.razorpay.com; connect-src 'self' \
     https://api.razorpay.com https://lumberjack.razorpay.com; \
     frame-src https://api.razorpay.com https://checkout.razorpay.com; form-action 'self'";

fn page(status: StatusCode, live: bool, title: &str, body: &str) -> Response {
    let banner = if live {
        ""
    } else {
        "<div class=\"test\">TEST MODE — nobody is charged. This page stands in for \
         Razorpay Checkout.</div>"
    };
    let csp = if live { CSP_LIVE } else { CSP_TEST };
    html_page(status, title, banner, body, csp)
}

fn not_found(live: bool) -> Response {
    page(
        StatusCode::NOT_FOUND,
        live,
        "No such booking",
        "<p>Check the link, or open your bookings in GasQ.</p>",
    )
}

async fn booking(state: &AppState, id: &str) -> Option<Booking> {
    let id: BookingId = id.parse().ok()?;
    state.store.booking(id).await.ok().flatten()
}

/// What the driver is paying for, in words.
async fn summary(state: &AppState, b: &Booking) -> String {
    let station = state.store.station(b.station_id).await.ok().flatten();
    let (name, when) = match &station {
        Some(s) => (
            s.name.clone(),
            b.slot_start
                .with_timezone(&s.policy.timezone)
                .format("%a %d %b, %H:%M")
                .to_string(),
        ),
        None => (String::new(), b.slot_start.to_rfc3339()),
    };
    let kg = b
        .quantity
        .kg()
        .map_or("fill to full (settled by the fill)".to_owned(), |kg| {
            format!("{kg} kg")
        });
    format!(
        "<div class=\"card\"><div class=\"amount\">{}</div><div>{} · {}</div>\
         <div class=\"muted\">{} · booking {}</div></div>",
        money::rupees(b.amount_paise.unwrap_or_default()),
        esc(&name),
        esc(&when),
        esc(&kg),
        reference(b)
    )
}

/// How the page and the gateway name a booking: the start of its id. Never its lane
/// code — that is what the attendant accepts instead of the QR, and this page opens
/// without signing in (and Razorpay's receipt is the driver's bank's to see).
fn reference(b: &Booking) -> String {
    b.id.to_string().chars().take(8).collect()
}

/// `GET /pay/{booking id}`.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let live = state.test_gateway.is_none();
    let Some(b) = booking(&state, &id).await else {
        return not_found(live);
    };
    let what = summary(&state, &b).await;
    if b.status != BookingStatus::PendingPayment {
        let body = format!(
            "{what}<p>This booking is <b>{}</b>: there is nothing to pay.</p>",
            b.status.as_str().replace('_', " ")
        );
        return page(StatusCode::OK, live, "Nothing to pay", &body);
    }
    // The deadline in the station's own time, as the slot is shown.
    let tz = state
        .store
        .station(b.station_id)
        .await
        .ok()
        .flatten()
        .map(|s| s.policy.timezone);
    let until = b
        .hold_expires_at
        .map(|t| {
            let at = tz.map_or_else(
                || format!("{} UTC", t.format("%H:%M")),
                |tz| t.with_timezone(&tz).format("%H:%M").to_string(),
            );
            format!("<p class=\"muted\">Pay before {at} or the slot is released.</p>")
        })
        .unwrap_or_default();
    if live {
        return page(
            StatusCode::OK,
            true,
            "Pay for your booking",
            &checkout(&state, &b, &what, &until),
        );
    }
    let body = format!(
        "{what}{until}<form method=\"post\" action=\"/pay/{id}\">\
         <button class=\"pay\" name=\"outcome\" value=\"pay\">Pay {amount} (test)</button>\
         <button class=\"fail\" name=\"outcome\" value=\"fail\">Fail the payment</button></form>",
        id = b.id,
        amount = money::rupees(b.amount_paise.unwrap_or_default())
    );
    page(StatusCode::OK, false, "Pay for your booking", &body)
}

/// Razorpay Checkout on the order; its callback is posted to the verify path.
fn checkout(state: &AppState, b: &Booking, what: &str, until: &str) -> String {
    let options = serde_json::json!({
        "key": state.payments.checkout_key_id().unwrap_or_default(),
        "order_id": b.payment_order_id,
        "amount": b.amount_paise,
        "currency": "INR",
        "name": "GasQ",
        "description": format!("CNG slot, booking {}", reference(b)),
    });
    format!(
        "{what}{until}<button class=\"pay\" id=\"pay\">Pay {amount}</button><p id=\"result\"></p>\
         <script src=\"https://checkout.razorpay.com/v1/checkout.js\"></script>\
         <script>const options = {options};{VERIFY_JS}\
         options.handler = verify;\
         document.getElementById('pay').onclick = () => new Razorpay(options).open();</script>",
        amount = money::rupees(b.amount_paise.unwrap_or_default()),
        options = options.to_string().replace("</", "<\\/"),
    )
}

/// Posts a checkout callback to the verify path and shows what it did.
const VERIFY_JS: &str = "async function verify(cb) {\
  const out = document.getElementById('result'); out.textContent = 'Confirming…';\
  try {\
    const r = await fetch('/api/v1/payments/razorpay/verify', {method: 'POST',\
      headers: {'content-type': 'application/json'}, body: JSON.stringify({\
      razorpay_order_id: cb.razorpay_order_id, razorpay_payment_id: cb.razorpay_payment_id,\
      razorpay_signature: cb.razorpay_signature})});\
    const body = await r.json();\
    out.textContent = r.ok ? body.message : (body.detail || 'Could not confirm the payment: reload this page.');\
  } catch (e) { out.textContent = 'No connection: your payment is safe; reload this page in a moment.'; }\
}";

#[derive(Debug, Deserialize)]
pub struct Outcome {
    outcome: String,
}

/// `POST /pay/{booking id}` (test mode): the Pay or Fail button.
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Outcome>,
) -> Response {
    if state.test_gateway.is_none() {
        return page(
            StatusCode::NOT_FOUND,
            true,
            "Not here",
            "<p>Payments are live: pay through Razorpay Checkout.</p>",
        );
    }
    let Some(b) = booking(&state, &id).await else {
        return not_found(false);
    };
    let succeed = match form.outcome.as_str() {
        "pay" => true,
        "fail" => false,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                false,
                "Pay or fail?",
                "<p>Press Pay or Fail on the payment page.</p>",
            );
        }
    };
    if b.status != BookingStatus::PendingPayment {
        return show(State(state), Path(id)).await;
    }
    let made = match payments::test_mode_pay(&state, b.id, succeed).await {
        Ok(made) => made,
        Err(e) => {
            tracing::warn!(error = %e, "test-mode payment");
            // Paid meanwhile (another tab, a double tap): say so.
            if let Some(now) = booking(&state, &id).await
                && now.status != BookingStatus::PendingPayment
            {
                return show(State(state), Path(id)).await;
            }
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "Payment not made",
                "<p>The test gateway could not take the payment: go back and try again.</p>",
            );
        }
    };
    let what = summary(&state, &b).await;
    let Some(signature) = made.signature else {
        let body = format!(
            "{what}<p><b>The payment failed</b> (the bank declined it). Nothing was charged.</p>\
             <p><a href=\"/pay/{}\">Try again</a></p>",
            b.id
        );
        return page(StatusCode::OK, false, "Payment failed", &body);
    };
    // The callback as Checkout would hand it to the page, posted by the page itself.
    let body = format!(
        "{what}<p>Paid in test mode.</p><p id=\"result\">Confirming…</p>\
         <p><a data-booking href=\"/bookings/{id}\">Your booking and its QR</a></p>\
         <div id=\"callback\" data-order=\"{order}\" data-payment=\"{payment}\" data-signature=\"{signature}\"></div>\
         <script>{VERIFY_JS} const c = document.getElementById('callback').dataset;\
         verify({{razorpay_order_id: c.order, razorpay_payment_id: c.payment, razorpay_signature: c.signature}});</script>",
        id = b.id,
        order = esc(&made.order_id),
        payment = esc(&made.payment_id),
        signature = esc(&signature),
    );
    page(StatusCode::OK, false, "Payment made", &body)
}
