//! The frame of the small server-rendered pages (checkout, reminder replies): one
//! phone-sized column, escaped text, a strict Content-Security-Policy, never cached.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page: `title` (escaped here), then `banner` and `body` (HTML, escaped by the
/// caller), under `csp`.
pub fn html_page(status: StatusCode, title: &str, banner: &str, body: &str, csp: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · GasQ</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:28rem;margin:0 auto;padding:1rem;color:#111}}\
         .test{{background:#ffe08a;border:2px dashed #b8860b;padding:.6rem;font-weight:700;text-align:center}}\
         .card{{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}}\
         .amount{{font-size:2rem;font-weight:700}}\
         button{{font-size:1.1rem;padding:.7rem 1.2rem;margin:.3rem .3rem 0 0;border-radius:.4rem;border:1px solid #555}}\
         .pay{{background:#0a7d32;color:#fff;border-color:#0a7d32}} .fail{{background:#fff;color:#a00}}\
         .muted{{color:#555}} a{{color:#0645ad}}</style></head><body>{banner}<h1>{title}</h1>{body}\
         <p><a href=\"/\">Back to GasQ</a></p></body></html>",
        title = esc(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, csp),
        ],
        html,
    )
        .into_response()
}

/// The CSP of the one-click link pages: no script at all.
const LINK_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";

/// A page a one-click link opens (a reminder's answer, a waitlist offer).
pub fn link_page(status: StatusCode, title: &str, body: &str) -> Response {
    html_page(status, title, "", body, LINK_CSP)
}
