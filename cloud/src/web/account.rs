//! Signing in, signing up, signing out, and the language switch. The forms post the
//! contract's fields (`login`, `password`; `name`, `email`, `phone`, `password`) and the
//! CSRF token; the API's own account use cases do the work, with the same throttles.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fluent_bundle::FluentArgs;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{error, page};
use super::session::Web;
use crate::app::accounts::{self, AccountError, Registration};
use crate::app::login::{self, LoginAttempt};
use crate::secret::Secret;

#[derive(Debug, Default, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    /// Where to go after (a path of this site).
    #[serde(default)]
    next: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SignUp {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

fn sign_in_form(web: &Web, login: &str, next: &str, problem: Option<&str>) -> Markup {
    html! {
        h1 { (web.t("web-sign-in-title")) }
        @if let Some(p) = problem { (error(p)) }
        form.card method="post" action="/login" {
            input type="hidden" name="csrf" value=(web.csrf);
            input type="hidden" name="next" value=(next);
            label for="login" { (web.t("web-login-label")) }
            input #login name="login" value=(login) autocomplete="username" required;
            label for="password" { (web.t("web-password-label")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button { (web.t("web-sign-in")) }
        }
        p { (web.t("web-no-account")) " " a href="/register" { (web.t("web-register")) } }
    }
}

/// `GET /login`.
pub async fn show_sign_in(web: Web, Query(q): Query<Next>) -> Response {
    let body = sign_in_form(&web, "", &q.next, None);
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-sign-in-title"), &body),
    )
}

/// What went wrong with an account form, for the person at it.
fn say(web: &Web, e: &AccountError) -> String {
    match e {
        AccountError::WrongCredentials => web.t("web-wrong-credentials"),
        AccountError::TooManyFailures { retry_after_secs } => {
            let mut args = FluentArgs::new();
            args.set("seconds", *retry_after_secs);
            web.t_with("web-too-many", &args)
        }
        AccountError::Exists(_) => web.t("web-account-exists"),
        AccountError::Invalid(bad) => {
            let label = match bad.field.as_str() {
                "email" => web.t("web-email-label"),
                "phone" => web.t("web-phone-label"),
                "password" => web.t("web-password-label"),
                "name" => web.t("web-name-label"),
                _ => String::new(),
            };
            format!("{label}: {}", bad.message)
        }
        _ => web.t("web-try-later"),
    }
}

/// `POST /login`.
pub async fn sign_in(mut web: Web, Form(f): Form<SignIn>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    if let Some(ip) = web.ip
        && web.state.auth_limiter.check(ip).is_err()
    {
        let body = sign_in_form(&web, &f.login, &f.next, Some(&web.t("web-slow-down")));
        return web.respond(
            StatusCode::TOO_MANY_REQUESTS,
            page(&web, &web.t("web-sign-in-title"), &body),
        );
    }
    let attempt = LoginAttempt {
        login: f.login.clone(),
        password: Secret::new(f.password),
        ip: web.ip,
        device_token: None,
    };
    match login::login(&web.state, attempt).await {
        Ok(tokens) => {
            web.sign_in(&tokens);
            // Staff start at their lane board, super admins at the network, drivers at
            // the stations.
            let staff = web
                .actor
                .is_some_and(|a| a.role == crate::domain::Role::StationAdmin);
            let root = web
                .actor
                .is_some_and(|a| a.role == crate::domain::Role::SuperAdmin);
            let technician = web
                .actor
                .is_some_and(|a| a.role == crate::domain::Role::Technician);
            let next = match f.next.as_str() {
                "" if staff => "/admin/stations",
                "" if root => "/admin",
                "" if technician => "/tech",
                "" => "/",
                next => next,
            };
            web.redirect(next)
        }
        Err(e) => {
            let status = match e {
                AccountError::TooManyFailures { .. } => StatusCode::TOO_MANY_REQUESTS,
                AccountError::Store(_) | AccountError::Internal(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::UNAUTHORIZED,
            };
            let body = sign_in_form(&web, &f.login, &f.next, Some(&say(&web, &e)));
            web.respond(status, page(&web, &web.t("web-sign-in-title"), &body))
        }
    }
}

fn sign_up_form(web: &Web, f: &SignUp, problem: Option<&str>) -> Markup {
    html! {
        h1 { (web.t("web-register-title")) }
        @if let Some(p) = problem { (error(p)) }
        form.card method="post" action="/register" {
            input type="hidden" name="csrf" value=(web.csrf);
            label for="name" { (web.t("web-name-label")) }
            input #name name="name" value=(f.name) autocomplete="name" required;
            label for="phone" { (web.t("web-phone-label")) }
            input #phone name="phone" type="tel" value=(f.phone) autocomplete="tel" required;
            label for="email" { (web.t("web-email-label")) }
            input #email name="email" type="email" value=(f.email) autocomplete="email" required;
            label for="password" { (web.t("web-password-label")) }
            input #password type="password" name="password" autocomplete="new-password" minlength="8" required;
            p.muted { (web.t("web-password-hint")) }
            button { (web.t("web-register")) }
        }
        p { (web.t("web-have-account")) " " a href="/login" { (web.t("web-sign-in")) } }
    }
}

/// `GET /register`.
pub async fn show_sign_up(web: Web) -> Response {
    let body = sign_up_form(&web, &SignUp::default(), None);
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-register-title"), &body),
    )
}

/// `POST /register`: the account, then signed in.
pub async fn sign_up(mut web: Web, Form(f): Form<SignUp>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let refuse = |web: &Web, status: StatusCode, problem: String, f: &SignUp| {
        let body = sign_up_form(web, f, Some(&problem));
        web.respond(status, page(web, &web.t("web-register-title"), &body))
    };
    if let Some(ip) = web.ip
        && web.state.auth_limiter.check(ip).is_err()
    {
        return refuse(
            &web,
            StatusCode::TOO_MANY_REQUESTS,
            web.t("web-slow-down"),
            &f,
        );
    }
    let registration = Registration {
        name: f.name.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        password: Secret::new(f.password.clone()),
    };
    if let Err(e) = accounts::register(&web.state, registration, web.ip).await {
        let status = match e {
            AccountError::Exists(_) => StatusCode::CONFLICT,
            AccountError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        return refuse(&web, status, say(&web, &e), &f);
    }
    let attempt = LoginAttempt {
        login: f.email.clone(),
        password: Secret::new(f.password.clone()),
        ip: web.ip,
        device_token: None,
    };
    match login::login(&web.state, attempt).await {
        Ok(tokens) => {
            web.sign_in(&tokens);
            web.redirect("/")
        }
        Err(_) => web.redirect("/login"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session everywhere it was open in this browser.
pub async fn sign_out(mut web: Web, Form(f): Form<Csrf>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    if let Some(token) = web.refresh_token() {
        let _ = crate::app::sessions::logout(&web.state, &token, web.ip).await;
    }
    web.sign_out();
    web.redirect("/")
}

/// `GET /lang/{code}`: remembers the language, back to the page it was chosen on.
pub async fn language(mut web: Web, Path(code): Path<String>, headers: HeaderMap) -> Response {
    if web.state.messenger.catalog.has(&code) {
        web.set_language(&code);
    }
    // Back to the page the switch was on: only its path, never another site.
    let back = headers
        .get("referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".into());
    web.redirect(&back)
}

/// A form posted without this browser's CSRF token (an old tab, or another site).
pub fn expired_form(web: &Web) -> Response {
    let body = html! {
        h1 { (web.t("web-form-expired-title")) }
        (error(&web.t("web-form-expired")))
        p { a href="/" { (web.t("web-nav-stations")) } }
    };
    web.respond(
        StatusCode::FORBIDDEN,
        page(web, &web.t("web-form-expired-title"), &body),
    )
}
