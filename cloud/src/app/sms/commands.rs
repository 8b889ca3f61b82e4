//! What a driver's SMS asks for. Case and spacing do not matter; the keywords also work
//! in Hindi (बुक, स्थिति, रद्द, मदद, हाँ), and a Hindi keyword makes the reply Hindi.

use chrono::NaiveTime;

/// A parsed SMS.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `BOOK <station code> <HH:MM> [kg] [vehicle registration]`.
    Book {
        station: String,
        time: Option<NaiveTime>,
        kg: Option<f64>,
        registration: Option<String>,
    },
    Status,
    /// `CANCEL <code>`; `None` when the code is missing.
    Cancel(Option<String>),
    Help,
    /// `1`: coming (to the latest reminder).
    Coming,
    /// `2`: not coming.
    NotComing,
    /// `YES`: takes a place offered from the waitlist.
    Yes,
    Unknown,
}

/// The command, and `Some("hi")` when it was written with a Hindi keyword.
pub fn parse(body: &str) -> (Command, Option<&'static str>) {
    // Devanagari digits (०–९) read as 0–9.
    let body: String = body
        .chars()
        .map(|c| match c {
            '०'..='९' => char::from_digit(u32::from(c) - u32::from('०'), 10).unwrap_or(c),
            c => c,
        })
        .collect();
    let words: Vec<String> = body.split_whitespace().map(str::to_uppercase).collect();
    let Some(first) = words.first() else {
        return (Command::Help, None);
    };
    let (keyword, hindi) = match first.as_str() {
        "BOOK" | "BUK" => ("BOOK", false),
        "बुक" => ("BOOK", true),
        "STATUS" | "STAT" => ("STATUS", false),
        "स्थिति" => ("STATUS", true),
        "CANCEL" => ("CANCEL", false),
        "रद्द" => ("CANCEL", true),
        "HELP" | "?" => ("HELP", false),
        "मदद" => ("HELP", true),
        "1" | "COMING" => ("1", false),
        "2" => ("2", false),
        "YES" | "Y" => ("YES", false),
        "हाँ" | "हां" => ("YES", true),
        _ => ("", false),
    };
    let lang = hindi.then_some("hi");
    let rest = &words[1..];
    let command = match keyword {
        "BOOK" => book(rest),
        "STATUS" => Command::Status,
        "CANCEL" => Command::Cancel(code(rest)),
        "HELP" => Command::Help,
        "1" => Command::Coming,
        "2" => Command::NotComing,
        "YES" => Command::Yes,
        _ => Command::Unknown,
    };
    (command, lang)
}

/// The booking code after CANCEL: its letters and digits, read out in groups or not
/// (`3745 4659`, `4019-4071`), up to the code's 8 characters; words after it are not
/// part of it (`CANCEL 05425723 please`).
fn code(words: &[String]) -> Option<String> {
    let mut code = String::new();
    for w in words {
        if code.len() >= 8 {
            break;
        }
        code.extend(w.chars().filter(char::is_ascii_alphanumeric));
    }
    (!code.is_empty()).then_some(code)
}

fn book(args: &[String]) -> Command {
    let station = args.first().cloned().unwrap_or_default();
    let time = args.get(1).and_then(|t| time(t));
    // After the time: an optional quantity, then the vehicle's number, which drivers
    // write with spaces (`MH 14 ZZ 9999`).
    let mut rest = args.iter().skip(2).peekable();
    // A quantity: `8`, `8KG`, `8 KG`; `0` is a full tank. Any number here is the
    // quantity (the booking checks its range), never the start of a registration — but
    // for the BH series, whose numbers start with the year (`22 BH 1234 AA`).
    let bh_series = args.get(3).is_some_and(|w| w.starts_with("BH"));
    let number = rest
        .peek()
        .and_then(|a| a.trim_end_matches("KG").parse::<f64>().ok())
        .filter(|_| !bh_series);
    if number.is_some() {
        rest.next();
        if rest.peek().is_some_and(|w| w.as_str() == "KG") {
            rest.next();
        }
    }
    let kg = number.filter(|n| *n > 0.0);
    let registration: String = rest.map(String::as_str).collect();
    let registration = (!registration.is_empty()).then_some(registration);
    Command::Book {
        station,
        time,
        kg,
        registration,
    }
}

/// `17:30`, `1730`, `9:05`, `17.30`.
fn time(s: &str) -> Option<NaiveTime> {
    let s = s.replace('.', ":");
    NaiveTime::parse_from_str(&s, "%H:%M").ok().or_else(|| {
        (s.len() == 4)
            .then(|| NaiveTime::parse_from_str(&s, "%H%M").ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn book_takes_a_station_a_time_and_optionally_kg_and_a_vehicle() {
        assert_eq!(
            parse("  book   mum-0042 17:30 "),
            (
                Command::Book {
                    station: "MUM-0042".into(),
                    time: t(17, 30),
                    kg: None,
                    registration: None
                },
                None
            )
        );
        assert_eq!(
            parse("BOOK MUM-0042 0930 8 MH12AB1234").0,
            Command::Book {
                station: "MUM-0042".into(),
                time: t(9, 30),
                kg: Some(8.0),
                registration: Some("MH12AB1234".into())
            }
        );
        assert_eq!(
            parse("Book MUM-0042 9.05 mh12ab1234").0,
            Command::Book {
                station: "MUM-0042".into(),
                time: t(9, 5),
                kg: None,
                registration: Some("MH12AB1234".into())
            }
        );
        assert!(matches!(
            parse("BOOK MUM-0042 25:99").0,
            Command::Book { time: None, .. }
        ));
    }

    #[test]
    fn a_vehicle_number_may_be_written_with_spaces() {
        assert_eq!(
            parse("BOOK MUM-0042 17:30 8 MH 14 ZZ 9999").0,
            Command::Book {
                station: "MUM-0042".into(),
                time: t(17, 30),
                kg: Some(8.0),
                registration: Some("MH14ZZ9999".into())
            }
        );
    }

    #[test]
    fn kilograms_may_be_written_with_kg_and_zero_fills_the_tank() {
        assert!(matches!(
            parse("BOOK MUM-0042 09:00 10 kg").0,
            Command::Book { kg: Some(k), registration: None, .. } if k == 10.0
        ));
        assert!(matches!(
            parse("BOOK MUM-0042 09:00 0 MH12AB1234").0,
            Command::Book {
                kg: None,
                registration: Some(_),
                ..
            }
        ));
        assert!(matches!(
            parse("बुक MUM-0042 २०:००").0,
            Command::Book { time: Some(t), .. } if t == NaiveTime::from_hms_opt(20, 0, 0).unwrap()
        ));
    }

    #[test]
    fn hindi_keywords_work_and_ask_for_a_hindi_reply() {
        assert_eq!(parse("स्थिति"), (Command::Status, Some("hi")));
        assert_eq!(
            parse("रद्द K7M2QX9D"),
            (Command::Cancel(Some("K7M2QX9D".into())), Some("hi"))
        );
        assert!(matches!(
            parse("बुक MUM-0042 17:30"),
            (Command::Book { .. }, Some("hi"))
        ));
    }

    #[test]
    fn the_rest() {
        assert_eq!(parse("1").0, Command::Coming);
        assert_eq!(parse("2").0, Command::NotComing);
        assert_eq!(parse("cancel").0, Command::Cancel(None));
        assert_eq!(parse("").0, Command::Help);
        assert_eq!(parse("help").0, Command::Help);
        assert_eq!(parse("yes").0, Command::Yes);
        assert_eq!(parse("hello there").0, Command::Unknown);
        assert_eq!(
            parse("cancel 3745 4659").0,
            Command::Cancel(Some("37454659".into())),
            "a code read out in groups"
        );
        for text in [
            "CANCEL 05425723 please",
            "cancel 05425723.",
            "CANCEL 0542-5723",
        ] {
            assert_eq!(
                parse(text).0,
                Command::Cancel(Some("05425723".into())),
                "{text}"
            );
        }
    }

    #[test]
    fn a_number_out_of_range_is_a_quantity_not_part_of_the_vehicle() {
        let book = |text: &str| match parse(text).0 {
            Command::Book {
                kg, registration, ..
            } => (kg, registration),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            book("BOOK MUM-0042 18:30 2000 MH01AB1234"),
            (Some(2000.0), Some("MH01AB1234".into()))
        );
        // The BH series starts with a number: it is the vehicle.
        assert_eq!(
            book("BOOK MUM-0042 18:30 22 BH 1234 AA"),
            (None, Some("22BH1234AA".into()))
        );
        assert_eq!(book("BOOK MUM-0042 18:30 8 22 BH 1234 AA").0, Some(8.0));
    }
}
