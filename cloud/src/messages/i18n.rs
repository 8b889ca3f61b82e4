//! The message catalogue: Fluent files compiled in from `cloud/locales/<language>/`.
//! Adding a language is adding its folder with a `messages.ftl`: every folder found is
//! loaded, and a message missing in a language falls back to English.

use std::collections::BTreeMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use include_dir::{Dir, include_dir};
use unic_langid::LanguageIdentifier;

static LOCALES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/locales");

/// The language everything falls back to.
pub const FALLBACK: &str = "en";

/// Every language's messages.
pub struct Catalog {
    bundles: BTreeMap<String, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("languages", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A message rendered in a language: its text and, for e-mail, its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub subject: String,
}

impl Catalog {
    /// Loads every compiled-in language. A file that does not parse is a build
    /// mistake, caught by the tests: its good entries still load.
    pub fn load() -> Self {
        let mut bundles = BTreeMap::new();
        for dir in LOCALES.dirs() {
            let Some(lang) = dir.path().file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Ok(id) = lang.parse::<LanguageIdentifier>() else {
                continue;
            };
            let Some(text) = dir
                .get_file(dir.path().join("messages.ftl"))
                .and_then(|f| f.contents_utf8())
            else {
                continue;
            };
            let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(r, _)| r);
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No bidi isolation marks: they would make every SMS UCS-2.
            bundle.set_use_isolating(false);
            let _ = bundle.add_resource(resource);
            bundles.insert(lang.to_owned(), bundle);
        }
        Self { bundles }
    }

    /// The languages there are messages in.
    pub fn languages(&self) -> Vec<&str> {
        self.bundles.keys().map(String::as_str).collect()
    }

    /// Whether `lang` is one of them.
    pub fn has(&self, lang: &str) -> bool {
        self.bundles.contains_key(lang)
    }

    /// Message `id` in `lang` (else English) with `args`; `None` if no language has it.
    pub fn render(&self, lang: &str, id: &str, args: &FluentArgs<'_>) -> Option<Rendered> {
        [lang, FALLBACK].into_iter().find_map(|l| {
            let bundle = self.bundles.get(l)?;
            let message = bundle.get_message(id)?;
            let mut errors = Vec::new();
            let text = bundle
                .format_pattern(message.value()?, Some(args), &mut errors)
                .into_owned();
            let subject = message
                .get_attribute("subject")
                .map(|a| {
                    bundle
                        .format_pattern(a.value(), Some(args), &mut errors)
                        .into_owned()
                })
                .unwrap_or_else(|| text.clone());
            errors.is_empty().then_some(Rendered { text, subject })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::segments::{Encoding, measure};

    /// Every message, with the longest arguments it is sent with.
    const MESSAGES: &[&str] = &[
        "booking-confirmed",
        "booking-cancelled",
        "refund-processed",
        "reminder",
        "reminder-coming",
        "lane-moved",
        "code-changed",
        "your-turn",
        "slot-offered",
        "sms-booked",
        "sms-full",
        "sms-no-station",
        "sms-need-time",
        "sms-need-vehicle",
        "sms-status-none",
        "sms-cancelled",
        "sms-not-found",
        "sms-need-code",
        "sms-help",
        "sms-unknown",
        "sms-no-reminder",
        "sms-limit",
        "sms-no-offer",
    ];

    fn longest_args(refund: bool) -> FluentArgs<'static> {
        let mut args = FluentArgs::new();
        args.set("station", "W".repeat(24));
        args.set("when", "Sat 30 Nov 17:45");
        args.set("time", "17:45");
        args.set("code", "K7M2QX9D");
        args.set("amount", "₹12,345.67");
        args.set("refund", if refund { "₹12,345.67" } else { "none" });
        args.set("lane", "12");
        args.set("minutes", "10");
        // The reminder's one-click link: public URL and a signed token.
        // As long as a real token: base64url of 26 bytes.
        args.set(
            "link",
            "https://gasq.example.in/r/AbCdEfGhIjKlMnOpQrStUvWxYz0123456",
        );
        args.set("station_code", "MUM-0042");
        args.set("times", "17:45, 18:00, 18:15");
        args.set("first", "17:45 MH12AB1234");
        args.set("km", "14.9");
        args.set("channel", "sms");
        args.set("calm", "17:45, 18:00");
        args.set("until", "Sun 17:45");
        args
    }

    #[test]
    fn english_and_hindi_are_loaded_and_each_has_every_message() {
        let c = Catalog::load();
        for lang in ["en", "hi"] {
            assert!(c.has(lang), "{c:?}");
            let bundle = &c.bundles[lang];
            for id in MESSAGES {
                assert!(bundle.has_message(id), "{lang} lacks {id}");
            }
        }
    }

    #[test]
    fn every_message_fits_two_sms_segments_in_every_language() {
        let c = Catalog::load();
        for lang in c.languages() {
            for id in MESSAGES {
                for refund in [false, true] {
                    let mut text = c.render(lang, id, &longest_args(refund)).unwrap().text;
                    // A full slot's answer may name a station nearby; a booking in a
                    // rush slot, the calmer times.
                    // (The nearby line is added only where it fits: English always.)
                    let added = match *id {
                        "sms-full" if lang == "en" => Some("sms-nearby"),
                        "sms-booked" => Some("sms-rush-note"),
                        _ => None,
                    };
                    if let Some(added) = added {
                        let more = c.render(lang, added, &longest_args(refund));
                        text = format!("{text} {}", more.unwrap().text);
                    }
                    let (encoding, segments) = measure(&text);
                    assert!(
                        segments <= 2,
                        "{lang} {id}: {segments} segments ({encoding:?}): {text}"
                    );
                    if lang == "en" && !text.contains('₹') {
                        assert_eq!(encoding, Encoding::Gsm7, "{id}: {text}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_refusal_by_sms_fits_two_segments_and_says_no_field_names() {
        let c = Catalog::load();
        let whys = [
            "closed",
            "full-today",
            "kg",
            "vehicle",
            "driver",
            "rate",
            "no-caller",
            "other",
        ];
        for lang in c.languages() {
            assert!(
                c.bundles[lang].has_message("refusal"),
                "{lang} lacks refusal"
            );
            let mut seen = std::collections::HashSet::new();
            for why in whys {
                let mut args = longest_args(false);
                args.set("why", why);
                args.set("until", "Sun 17:45");
                let reason = c.render(lang, "refusal", &args).unwrap().text;
                assert!(seen.insert(reason.clone()), "{lang} {why}: said twice");
                assert!(!reason.contains('_'), "{lang} {why}: {reason}");
                args.set("reason", reason);
                let r = c.render(lang, "sms-refused", &args).unwrap();
                let (encoding, segments) = measure(&r.text);
                assert!(
                    segments <= 2,
                    "{lang} {why}: {segments} ({encoding:?}): {}",
                    r.text
                );
            }
        }
    }

    #[test]
    fn every_language_has_every_english_message() {
        let c = Catalog::load();
        let english = include_str!("../../locales/en/messages.ftl");
        let ids: Vec<&str> = english
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .collect();
        assert!(ids.len() > 80, "{ids:?}");
        for lang in c.languages() {
            for id in &ids {
                assert!(c.bundles[lang].has_message(id), "{lang} lacks {id}");
            }
        }
    }

    #[test]
    fn a_message_missing_in_a_language_falls_back_to_english() {
        let c = Catalog::load();
        let r = c.render("xx", "your-turn", &longest_args(false)).unwrap();
        assert!(r.text.starts_with("GasQ: your turn"), "{r:?}");
        assert!(
            c.render("hi", "no-such-message", &longest_args(false))
                .is_none()
        );
    }
}
