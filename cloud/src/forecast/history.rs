//! Reading a station's history file for `gasq-cloud forecast backtest`.
//!
//! The file: a header, then one row per hour. Columns by name (any case, any order):
//! `timestamp,arrivals` and optionally `temp_c,humidity,rain_mm,holiday`. The
//! separator is whatever the header uses of `,` `;` tab or `|`; cells may be quoted;
//! with a separator other than `,` a decimal comma (`12,5`) is read as a decimal point,
//! as European and Indian spreadsheets write it.
//!
//! Timestamps are the station's local time: `2024-03-01T08:00:00`, `2024-03-01 08:00`,
//! `2024/03/01 08:00`, seconds and fractions optional, or any of those with an offset
//! (`Z`, `+05:30`, `+0530`, `+05`) — read as the local time it names. Absent hours are
//! simply absent — never write them as 0 arrivals; a row whose arrivals cell is empty
//! or `NA` is left out like an absent hour, and counted in a note. Rows within one
//! local hour (half-hourly data, or the hour a daylight-saving change repeats) are added
//! together; the same instant twice is an error. Missing weather is the assumed weather
//! ([`super::features::ASSUMED_TEMP_C`] …), a missing holiday 0; a holiday is `1`/`0`,
//! `true`/`false` or `yes`/`no`. A byte-order mark (Excel's "CSV UTF-8") is skipped.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Timelike, Utc};

use super::features::{ASSUMED_HUMIDITY, ASSUMED_RAIN_MM, ASSUMED_TEMP_C, HourInput};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    File(String),
}

/// One hour of history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRow {
    pub input: HourInput,
    pub arrivals: f64,
}

/// Reads a history file's text.
pub fn parse_history(text: &str) -> Result<Vec<HistoryRow>, HistoryError> {
    parse_history_noting(text).map(|(rows, _)| rows)
}

/// The separators a history file may use, tried in this order on its header.
const SEPARATORS: [char; 4] = [',', ';', '\t', '|'];

/// Cells that mean "no count for this hour".
const MISSING: [&str; 6] = ["", "na", "n/a", "nan", "null", "-"];

/// Reads a history file's text; also what the reader should know about how it was read
/// (rows added into one hour, rows without a count, UTC timestamps).
pub fn parse_history_noting(text: &str) -> Result<(Vec<HistoryRow>, Vec<String>), HistoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(HistoryError::File("the history file is empty".into()));
    };
    let Some((sep, columns)) = SEPARATORS.iter().find_map(|&sep| {
        let names: Vec<String> = cells(header, sep)
            .iter()
            .map(|h| h.to_lowercase())
            .collect();
        Columns::find(&names).map(|c| (sep, c))
    }) else {
        return Err(HistoryError::File(format!(
            "the header must name `timestamp` and `arrivals` (optionally temp_c, humidity, rain_mm, holiday), separated by `,` or `;`; it is {header:?}"
        )));
    };

    let mut rows: Vec<(usize, Instant, HistoryRow)> = Vec::new();
    let (mut utc_rows, mut uncounted) = (0usize, 0usize);
    for (i, line) in lines {
        let at = |message: String| HistoryError::Line {
            line: i + 1,
            message,
        };
        let cells = cells(line, sep);
        let cell = |c: usize| cells.get(c).map_or("", String::as_str);
        let number = |c: Option<usize>, name: &str, default: f64| match c.map(cell) {
            None | Some("") => Ok(default),
            Some(v) => {
                parse_number(v, sep).ok_or_else(|| at(format!("{name} {v:?} is not a number")))
            }
        };
        let stamp = cell(columns.timestamp);
        let (local, instant) = parse_time(stamp).ok_or_else(|| {
            at(format!(
                "timestamp {stamp:?} is not like 2024-03-01T08:00:00 (or 2024-03-01 08:00, optionally with an offset like +05:30)"
            ))
        })?;
        if MISSING.contains(&cell(columns.arrivals).to_lowercase().as_str()) {
            uncounted += 1;
            continue;
        }
        let arrivals = number(Some(columns.arrivals), "arrivals", f64::NAN)?;
        if arrivals < 0.0 {
            return Err(at("arrivals must be a count of 0 or more".into()));
        }
        let holiday = match columns.holiday.map(cell) {
            None => false,
            Some(v) => parse_flag(v)
                .ok_or_else(|| at(format!("holiday {v:?} is not 1/0, true/false or yes/no")))?,
        };
        utc_rows += usize::from(is_utc(stamp));
        let row = HistoryRow {
            input: HourInput {
                local,
                temp_c: number(columns.temp_c, "temp_c", ASSUMED_TEMP_C)?,
                humidity: number(columns.humidity, "humidity", ASSUMED_HUMIDITY)?,
                rain_mm: number(columns.rain_mm, "rain_mm", ASSUMED_RAIN_MM)?,
                holiday,
            },
            arrivals,
        };
        rows.push((i + 1, instant, row));
    }
    rows.sort_by_key(|(_, instant, _)| *instant);
    if let Some(w) = rows.windows(2).find(|w| w[0].1 == w[1].1) {
        return Err(HistoryError::File(format!(
            "lines {} and {} are the same time ({})",
            w[0].0.min(w[1].0),
            w[0].0.max(w[1].0),
            w[0].2.input.local
        )));
    }
    // One row per local hour: rows within an hour are added together.
    let mut hours: BTreeMap<NaiveDateTime, HistoryRow> = BTreeMap::new();
    let mut merged = 0usize;
    for (_, _, row) in rows {
        match hours.get_mut(&row.input.local) {
            Some(hour) => {
                hour.arrivals += row.arrivals;
                merged += 1;
            }
            None => {
                hours.insert(row.input.local, row);
            }
        }
    }
    let mut notes = Vec::new();
    if merged > 0 {
        notes.push(format!(
            "{merged} rows were added into an hour another row already had (half-hourly data, or a daylight-saving change)"
        ));
    }
    if uncounted > 0 {
        notes.push(format!(
            "{uncounted} rows have no arrivals count: they are left out, like absent hours"
        ));
    }
    if utc_rows > 0 {
        notes.push(format!(
            "{utc_rows} timestamps are in UTC (Z or +00:00): they are read as the hours they name, which are the station's local hours only if the station keeps UTC; convert them to local time (e.g. +05:30) for a fair score"
        ));
    }
    Ok((hours.into_values().collect(), notes))
}

/// Where the named columns are.
struct Columns {
    timestamp: usize,
    arrivals: usize,
    temp_c: Option<usize>,
    humidity: Option<usize>,
    rain_mm: Option<usize>,
    holiday: Option<usize>,
}

impl Columns {
    fn find(names: &[String]) -> Option<Self> {
        let col = |name: &str| names.iter().position(|n| n == name);
        Some(Self {
            timestamp: col("timestamp")?,
            arrivals: col("arrivals")?,
            temp_c: col("temp_c"),
            humidity: col("humidity"),
            rain_mm: col("rain_mm"),
            holiday: col("holiday"),
        })
    }
}

/// A line's cells: split at `sep` outside double quotes, a doubled quote inside
/// quotes is one quote, surrounding spaces trimmed.
fn cells(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cell, mut quoted) = (String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    out.push(cell.trim().to_owned());
    out
}

/// A finite number; with a separator other than `,`, a decimal comma too.
fn parse_number(v: &str, sep: char) -> Option<f64> {
    let parsed = v.parse::<f64>().ok().or_else(|| {
        (sep != ',')
            .then(|| v.replacen(',', ".", 1).parse::<f64>().ok())
            .flatten()
    });
    parsed.filter(|x| x.is_finite())
}

fn parse_flag(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "" | "0" | "0.0" | "false" | "no" | "n" => Some(false),
        "1" | "1.0" | "true" | "yes" | "y" => Some(true),
        _ => None,
    }
}

/// When a row happened, for telling the same instant twice from two rows of one hour:
/// the instant itself when the timestamp has an offset, else its local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Instant {
    Local(NaiveDateTime),
    Absolute(DateTime<Utc>),
}

/// The local hour a timestamp falls in, and its instant.
fn parse_time(s: &str) -> Option<(NaiveDateTime, Instant)> {
    let (local, offset) = split_offset(s.trim())?;
    let t = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(local, f).ok())?;
    let instant = match offset {
        None => Instant::Local(t),
        Some(o) => Instant::Absolute(t.and_local_timezone(o).single()?.with_timezone(&Utc)),
    };
    // Hours, as the model sees them: a row at 08:30 is the 08:00 hour.
    let hour = t.with_minute(0).and_then(|t| t.with_second(0))?;
    let hour = hour.with_nanosecond(0)?;
    Some((hour, instant))
}

/// Whether a timestamp says it is UTC (`Z`, `+00:00`, `+0000`, `-00`).
fn is_utc(stamp: &str) -> bool {
    matches!(
        split_offset(stamp.trim()),
        Some((_, Some(o))) if o.local_minus_utc() == 0
    )
}

/// Splits `2024-03-01T08:00+05:30` into the local part and its offset, if any: `Z`,
/// `+05:30`, `+0530` or `+05` (and `-`). `None` when the offset is malformed.
fn split_offset(s: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(local) = s.strip_suffix(['Z', 'z']) {
        return Some((local.trim_end(), FixedOffset::east_opt(0)));
    }
    // An offset's sign comes after the time's first colon (the date has `-` too).
    let Some(sign_at) = s
        .find(':')
        .and_then(|colon| s[colon..].rfind(['+', '-']).map(|i| colon + i))
    else {
        return Some((s, None));
    };
    let (local, offset) = s.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![2, 4].contains(&digits.len()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = match &digits[2..] {
        "" => 0,
        m => m.parse().ok()?,
    };
    if minutes >= 60 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?;
    Some((local.trim_end(), Some(offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn timestamps_in_the_common_shapes_read_as_their_local_hour() {
        for s in [
            "2024-03-01T08:00:00",
            "2024-03-01 08:00",
            "2024-03-01T08:15:30.250",
            "2024/03/01 08:59",
            "2024-03-01T08:00:00+05:30",
            "2024-03-01T08:00:00+0530",
            "2024-03-01 08:00+05",
            "2024-03-01T08:00:00Z",
            "2024-03-01T08:00:00-04:00",
        ] {
            let (local, _) = parse_time(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(local, hour("2024-03-01 08:00"), "{s}");
        }
        for bad in [
            "01/03/2024 08:00",
            "2024-03-01",
            "2024-03-01T08:00+5:3x",
            "soon",
        ] {
            assert!(parse_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn offsets_tell_a_repeated_local_hour_from_the_same_instant() {
        let (_, a) = parse_time("2024-11-03T01:30:00-04:00").unwrap();
        let (_, b) = parse_time("2024-11-03T01:30:00-05:00").unwrap();
        assert_ne!(a, b);
        let (_, c) = parse_time("2024-03-01T08:00:00+0530").unwrap();
        let (_, d) = parse_time("2024-03-01T02:30:00Z").unwrap();
        assert_eq!(c, d);
    }

    #[test]
    fn semicolon_files_with_quotes_decimal_commas_and_gaps_are_read() {
        let text = "\u{feff}\"Timestamp\";\"Arrivals\";\"temp_c\";\"Holiday\"\n\
                    2024-03-01 08:00;4;21,5;no\n\
                    2024-03-01 09:00;NA;22;no\n\
                    2024-03-01 10:00;\"7\";;yes\n";
        let (rows, notes) = parse_history_noting(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert!((rows[0].input.temp_c - 21.5).abs() < 1e-9);
        assert!(!rows[0].input.holiday && rows[1].input.holiday);
        assert!((rows[1].arrivals - 7.0).abs() < 1e-9);
        assert!(
            notes.iter().any(|n| n.contains("1 rows have no arrivals")),
            "{notes:?}"
        );
        let (_, notes) =
            parse_history_noting("timestamp,arrivals\n2024-03-01T08:00:00+00:00,3\n").unwrap();
        assert!(notes.iter().any(|n| n.contains("in UTC")), "{notes:?}");
    }

    #[test]
    fn tab_separated_files_are_read_and_quoted_commas_stay_in_their_cell() {
        let text = "timestamp\tarrivals\n2024-03-01T08:00\t3\n";
        assert_eq!(parse_history(text).unwrap().len(), 1);
        assert_eq!(cells("a,\"b,c\",\"d\"\"e\"", ','), ["a", "b,c", "d\"e"]);
    }
}
