//! A browser's session with the web pages (docs/architecture.md, "Web"): the API's own
//! tokens, kept in cookies the page's scripts cannot read — the short-lived access token
//! (`gasq_session`) and the rotating refresh token (`gasq_refresh`), so a driver stays
//! signed in across closed tabs and a stolen page cannot lift either. Every form carries
//! a CSRF token that must equal the `gasq_csrf` cookie (double submit: another site can
//! make the browser post, but can neither read the cookie nor set it). The language is
//! the `gasq_lang` cookie, else the browser's `Accept-Language`, else English.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fluent_bundle::FluentArgs;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::api::extract::ClientIp;
use crate::app::accounts::Tokens;
use crate::domain::Actor;
use crate::messages::i18n::FALLBACK;
use crate::secret::Secret;
use crate::state::AppState;

/// No inline script, no other site; forms post only here.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const ACCESS: &str = "gasq_session";
const REFRESH: &str = "gasq_refresh";
const CSRF: &str = "gasq_csrf";
pub const LANG: &str = "gasq_lang";

/// What a page knows of its visitor.
pub struct Web {
    pub state: AppState,
    /// Signed in as; `None` for a visitor.
    pub actor: Option<Actor>,
    pub ip: Option<IpAddr>,
    pub lang: String,
    /// The token this page's forms carry.
    pub csrf: String,
    /// Whether the request came with the CSRF cookie (a form post must).
    csrf_cookie: Option<String>,
    /// The refresh token the request came with (signing out ends its session).
    refresh: Option<String>,
    /// Cookies the response sets (a refreshed session, a first CSRF cookie).
    cookies: Vec<String>,
    secure: bool,
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v)
}

/// The first language of `Accept-Language` the catalogue has.
fn browser_language(parts: &Parts, has: impl Fn(&str) -> bool) -> Option<String> {
    let header = parts.headers.get(ACCEPT_LANGUAGE)?.to_str().ok()?;
    header
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(|tag| tag.trim().split('-').next().unwrap_or("").to_lowercase())
        .find(|l| has(l))
}

impl FromRequestParts<AppState> for Web {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, state)
            .await
            .map_or(None, |c| c.0);
        let catalog = &state.messenger.catalog;
        let lang = cookie(parts, LANG)
            .filter(|l| catalog.has(l))
            .map(str::to_owned)
            .or_else(|| browser_language(parts, |l| catalog.has(l)))
            .unwrap_or_else(|| FALLBACK.to_owned());
        let secure = state
            .settings
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        let csrf_cookie = cookie(parts, CSRF).map(str::to_owned);
        let mut web = Self {
            state: state.clone(),
            actor: None,
            ip,
            lang,
            csrf: csrf_cookie.clone().unwrap_or_else(new_csrf),
            csrf_cookie,
            refresh: cookie(parts, REFRESH).map(str::to_owned),
            cookies: Vec::new(),
            secure,
        };
        if web.csrf_cookie.is_none() {
            let set = web.cookie_line(CSRF, &web.csrf, 365 * 24 * 3600);
            web.cookies.push(set);
        }
        let access = cookie(parts, ACCESS).and_then(|t| state.access_tokens.verify(t));
        if let Some(claims) = access {
            web.actor = Some(Actor {
                id: claims.sub.into(),
                role: claims.role,
                ip,
            });
        } else if let Some(refresh) = cookie(parts, REFRESH) {
            // The access token lapsed (or the tab was closed): the refresh token, once.
            match crate::app::sessions::refresh(state, &Secret::new(refresh), ip).await {
                Ok(tokens) => web.sign_in(&tokens),
                Err(_) => web.sign_out(),
            }
        }
        Ok(web)
    }
}

/// Whether `to` is a path of this site: `/…`, never `//host` or `/\host` (which
/// browsers read as another site), nor anything with a backslash or a control character.
fn local_path(to: &str) -> bool {
    to.starts_with('/')
        && !to.starts_with("//")
        && !to.contains('\\')
        && !to.chars().any(char::is_control)
}

fn new_csrf() -> String {
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

impl Web {
    fn cookie_line(&self, name: &str, value: &str, max_age: i64) -> String {
        format!(
            "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// Keeps the session `tokens` open in this browser (and signs the visitor in).
    pub fn sign_in(&mut self, tokens: &Tokens) {
        let refresh_age = self.state.settings.auth.refresh_token_ttl_days * 24 * 3600;
        let access = self.cookie_line(ACCESS, &tokens.access_token, tokens.expires_in);
        let refresh = self.cookie_line(REFRESH, &tokens.refresh_token, refresh_age);
        self.cookies.extend([access, refresh]);
        self.actor = self
            .state
            .access_tokens
            .verify(&tokens.access_token)
            .map(|c| Actor {
                id: c.sub.into(),
                role: c.role,
                ip: self.ip,
            });
    }

    /// Forgets the session in this browser.
    pub fn sign_out(&mut self) {
        let (a, r) = (
            self.cookie_line(ACCESS, "", 0),
            self.cookie_line(REFRESH, "", 0),
        );
        self.cookies.extend([a, r]);
        self.actor = None;
    }

    /// The refresh token this browser holds, to end its session.
    pub fn refresh_token(&self) -> Option<Secret> {
        self.refresh.as_deref().map(Secret::new)
    }

    /// Remembers a language choice.
    pub fn set_language(&mut self, lang: &str) {
        self.lang = lang.to_owned();
        let line = self.cookie_line(LANG, lang, 365 * 24 * 3600);
        self.cookies.push(line);
    }

    /// Whether a posted form's token is this browser's (constant time).
    pub fn csrf_ok(&self, posted: &str) -> bool {
        self.csrf_cookie
            .as_deref()
            .is_some_and(|c| bool::from(c.as_bytes().ct_eq(posted.as_bytes())))
    }

    /// Text `id` in the visitor's language.
    pub fn t(&self, id: &str) -> String {
        self.t_with(id, &FluentArgs::new())
    }

    /// Text `id` in the visitor's language, with arguments.
    pub fn t_with(&self, id: &str, args: &FluentArgs<'_>) -> String {
        self.state
            .messenger
            .catalog
            .render(&self.lang, id, args)
            .map_or_else(|| id.to_owned(), |r| r.text)
    }

    /// A response with this visitor's cookies.
    pub fn respond(&self, status: StatusCode, html: String) -> Response {
        let mut res = (
            status,
            [
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-cache"),
                ("content-security-policy", CSP),
            ],
            html,
        )
            .into_response();
        self.add_cookies(&mut res);
        res
    }

    /// A redirect (303: the next request is a GET) to a path of this site.
    pub fn redirect(&self, to: &str) -> Response {
        let to = if local_path(to) { to } else { "/" };
        let mut res = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            res.headers_mut().insert(LOCATION, v);
        }
        self.add_cookies(&mut res);
        res
    }

    fn add_cookies(&self, res: &mut Response) {
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                res.headers_mut().append(SET_COOKIE, v);
            }
        }
    }
}
