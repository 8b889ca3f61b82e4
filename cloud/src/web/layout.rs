//! The frame of every page: one phone-first column (360–412 px first, wider screens get
//! a wider column), the header with where a driver goes next, the language switch, and
//! the one small script. Nothing is loaded from another site.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::session::Web;
use crate::domain::Role;

const STYLE: &str = r"
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Noto Sans',sans-serif;margin:0;color:#14213d;background:#f6f7f9;line-height:1.45}
header{background:#0b6e4f;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
header .brand{font-size:1.2rem;margin-right:auto}
header form{display:inline;margin:0}
header button{background:none;border:0;color:#fff;font:inherit;font-weight:600;padding:0;cursor:pointer}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
a{color:#0645ad}
.card{background:#fff;border:1px solid #d9dde3;border-radius:.6rem;padding:1rem;margin:0 0 .8rem}
.muted{color:#5b6472;font-size:.92rem}
.row{display:flex;justify-content:space-between;gap:.5rem;align-items:baseline;flex-wrap:wrap}
label{display:block;font-weight:600;margin:.7rem 0 .25rem}
input,select{font:inherit;width:100%;padding:.6rem;border:1px solid #9aa3af;border-radius:.4rem;background:#fff}
input[type=radio]{width:auto;margin-right:.4rem}
.choice{font-weight:400;display:flex;align-items:center}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.7rem 1.1rem;margin:.8rem .4rem 0 0;border-radius:.4rem;border:1px solid #0b6e4f;background:#0b6e4f;color:#fff;text-decoration:none;cursor:pointer}
button.plain,.button.plain{background:#fff;color:#0b6e4f}
button.danger{background:#fff;color:#b00020;border-color:#b00020}
:focus-visible{outline:3px solid #f4a261;outline-offset:2px}
.error{background:#fdecea;border:1px solid #b00020;color:#7a0014;border-radius:.4rem;padding:.7rem;margin:0 0 1rem}
.notice{background:#e8f5ee;border:1px solid #0b6e4f;border-radius:.4rem;padding:.7rem;margin:0 0 1rem}
.days{display:flex;gap:.4rem;overflow-x:auto;padding-bottom:.3rem}
.days a{flex:0 0 auto;padding:.45rem .7rem;border-radius:1rem;border:1px solid #9aa3af;background:#fff;text-decoration:none;color:#14213d}
.days a.on{background:#14213d;color:#fff;border-color:#14213d}
.slots{display:grid;grid-template-columns:repeat(auto-fill,minmax(5.2rem,1fr));gap:.4rem}
.slot{display:block;text-align:center;padding:.5rem .2rem;border-radius:.4rem;text-decoration:none;color:#14213d;border:2px solid transparent}
.slot b{display:block;font-size:1.05rem}
.slot small{display:block}
.low{background:#d8f3dc}.medium{background:#fff3bf}.high{background:#ffd6d6}.unknown{background:#e9ecef}
.full{background:#e9ecef;color:#6c757d;text-decoration:line-through}
.slot.on{border-color:#14213d}
.legend span{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;margin:.2rem .3rem 0 0;font-size:.85rem}
.qr{display:block;width:100%;max-width:18rem;margin:.5rem auto;background:#fff}
.qr svg{width:100%;height:auto}
.code{font:700 2rem/1.2 ui-monospace,monospace;letter-spacing:.15em;text-align:center}
.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#e9ecef;font-size:.85rem}
.status.confirmed{background:#d8f3dc}.status.pending_payment{background:#fff3bf}.status.cancelled,.status.expired,.status.no_show{background:#ffd6d6}
";

/// A whole page: `title`, then `body`, framed.
pub fn page(web: &Web, title: &str, body: &Markup) -> String {
    let other = if web.lang == "hi" {
        ("en", "English")
    } else {
        ("hi", "हिन्दी")
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(web.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="theme-color" content="#0b6e4f";
                title { (title) " · GasQ" }
                link rel="manifest" href="/manifest.webmanifest";
                style { (PreEscaped(STYLE)) }
                script src="/static/app.js" defer {}
            }
            body {
                header {
                    a.brand href="/" { "GasQ" }
                    a href="/" { (web.t("web-nav-stations")) }
                    @if let Some(actor) = &web.actor {
                        @if actor.role == Role::Driver {
                            a href="/bookings" { (web.t("web-nav-bookings")) }
                        } @else if actor.role == Role::SuperAdmin {
                            a href="/admin" { (web.t("web-network")) }
                        } @else if actor.role == Role::StationAdmin {
                            a href="/admin/stations" { (web.t("web-nav-lane-boards")) }
                        }
                        @if actor.role != Role::Driver {
                            a href="/tech" { (web.t("web-nav-tech")) }
                        }
                        a href="/me" { (web.t("web-nav-me")) }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(web.csrf);
                            button { (web.t("web-nav-sign-out")) }
                        }
                    } @else {
                        a href="/login" { (web.t("web-nav-sign-in")) }
                    }
                    a href={ "/lang/" (other.0) } lang=(other.0) { (other.1) }
                }
                main { (body) }
            }
        }
    };
    markup.into_string()
}

/// An error box that says what to do next.
pub fn error(text: &str) -> Markup {
    html! { p.error role="alert" { (text) } }
}
