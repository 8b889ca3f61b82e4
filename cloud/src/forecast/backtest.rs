//! `gasq-cloud forecast backtest --history FILE.csv`: replays a station's history week
//! by week as the cloud would — each week's level fitted only from the 28 days before
//! it — and scores the model against seasonal-naive (the same hour a week earlier).
//! The algorithm is the model card's ("Level algorithm of the backtest"), so the
//! numbers match `models/train.py`'s to rounding.
//!
//! The file: a header, then one row per hour. Columns by name, any order:
//! `timestamp,arrivals` and optionally `temp_c,humidity,rain_mm,holiday`. Timestamps
//! are the station's local time (`2024-03-01T08:00:00`, `2024-03-01 08:00`, or RFC 3339
//! with an offset, read as that local time); absent hours are simply absent — never
//! write them as 0 arrivals. Rows within one local hour (half-hourly data, or the hour
//! a daylight-saving change repeats) are added together; the same instant twice is an
//! error. Missing weather is the assumed weather ([`super::features::ASSUMED_TEMP_C`]
//! …), a missing holiday 0. A byte-order mark (Excel's "CSV UTF-8") is skipped.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike};

use super::features::{ASSUMED_HUMIDITY, ASSUMED_RAIN_MM, ASSUMED_TEMP_C, HourInput};
use super::level::{self, LEVEL_DAYS};
use super::{DemandModel, ModelError};

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// One hour of history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRow {
    pub input: HourInput,
    pub arrivals: f64,
}

/// Mean absolute and root-mean-square error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub mae: f64,
    pub rmse: f64,
}

/// What the replay found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Hours scored (both the model and seasonal-naive had a prediction).
    pub hours: usize,
    pub model: Scores,
    pub seasonal_naive: Scores,
    /// The level each week was predicted with (weeks counted from the first midnight).
    pub levels: BTreeMap<i64, f64>,
}

impl Report {
    /// Model MAE over seasonal-naive MAE: below 1 the model is better.
    pub fn mae_ratio(&self) -> f64 {
        self.model.mae / self.seasonal_naive.mae
    }

    /// The report as the CLI prints it: one line per model, then the ratio.
    pub fn lines(&self) -> String {
        let ratio = if self.seasonal_naive.mae > 0.0 {
            format!(
                "{:.3}  (model MAE / seasonal-naive MAE; below 1 the model is better)",
                self.mae_ratio()
            )
        } else {
            "n/a  (seasonal-naive is exact on this history: every week repeats the last)".into()
        };
        format!(
            "model           MAE {:.3}  RMSE {:.3}  ({} hours)\nseasonal-naive  MAE {:.3}  RMSE {:.3}\nratio           {ratio}\n",
            self.model.mae,
            self.model.rmse,
            self.hours,
            self.seasonal_naive.mae,
            self.seasonal_naive.rmse,
        )
    }
}

/// Reads a history file's text.
pub fn parse_history(text: &str) -> Result<Vec<HistoryRow>, BacktestError> {
    parse_history_noting(text).map(|(rows, _)| rows)
}

/// Reads a history file's text; also what the reader should know about how it was read
/// (rows added into one hour, UTC timestamps).
pub fn parse_history_noting(text: &str) -> Result<(Vec<HistoryRow>, Vec<String>), BacktestError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(BacktestError::File("the history file is empty".into()));
    };
    let names: Vec<String> = header
        .split(',')
        .map(|h| unquote(h).to_lowercase())
        .collect();
    let col = |name: &str| names.iter().position(|n| n == name);
    let (Some(ts_col), Some(arr_col)) = (col("timestamp"), col("arrivals")) else {
        return Err(BacktestError::File(format!(
            "the header must name `timestamp` and `arrivals` (optionally temp_c, humidity, rain_mm, holiday); it is {header:?}"
        )));
    };
    let (temp, hum, rain, hol) = (
        col("temp_c"),
        col("humidity"),
        col("rain_mm"),
        col("holiday"),
    );
    let mut rows: Vec<(usize, Instant, HistoryRow)> = Vec::new();
    let mut utc_rows = 0usize;
    for (i, line) in lines {
        let at = |message: String| BacktestError::Line {
            line: i + 1,
            message,
        };
        let cells: Vec<&str> = line.split(',').map(unquote).collect();
        let cell = |c: usize| cells.get(c).copied().unwrap_or("");
        let number = |c: Option<usize>, name: &str, default: f64| match c.map(cell) {
            None | Some("") => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| at(format!("{name} {v:?} is not a number"))),
        };
        let (local, instant) = parse_time(cell(ts_col)).ok_or_else(|| {
            at(format!(
                "timestamp {:?} is not like 2024-03-01T08:00:00",
                cell(ts_col)
            ))
        })?;
        let arrivals = number(Some(arr_col), "arrivals", f64::NAN)?;
        if arrivals.is_nan() || arrivals < 0.0 {
            return Err(at("arrivals must be a count of 0 or more".into()));
        }
        let holiday = number(hol, "holiday", 0.0)?;
        utc_rows += usize::from(cell(ts_col).ends_with(['Z', 'z']));
        let row = HistoryRow {
            input: HourInput {
                local,
                temp_c: number(temp, "temp_c", ASSUMED_TEMP_C)?,
                humidity: number(hum, "humidity", ASSUMED_HUMIDITY)?,
                rain_mm: number(rain, "rain_mm", ASSUMED_RAIN_MM)?,
                holiday: holiday != 0.0,
            },
            arrivals,
        };
        rows.push((i + 1, instant, row));
    }
    rows.sort_by_key(|(_, instant, _)| *instant);
    if let Some(w) = rows.windows(2).find(|w| w[0].1 == w[1].1) {
        return Err(BacktestError::File(format!(
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
    if utc_rows > 0 {
        notes.push(format!(
            "{utc_rows} timestamps are in UTC (Z): they are read as the station's local hours; convert them to local time for a fair score"
        ));
    }
    Ok((hours.into_values().collect(), notes))
}

/// When a row happened, for telling the same instant twice from two rows of one hour:
/// the instant itself when the timestamp has an offset, else its local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Instant {
    Local(NaiveDateTime),
    Absolute(DateTime<chrono::Utc>),
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"').trim()
}

/// The local hour a timestamp falls in, and its instant.
fn parse_time(s: &str) -> Option<(NaiveDateTime, Instant)> {
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok());
    let (t, instant) = match naive {
        Some(t) => (t, Instant::Local(t)),
        None => {
            let d = DateTime::parse_from_rfc3339(s).ok()?;
            (
                d.naive_local(),
                Instant::Absolute(d.with_timezone(&chrono::Utc)),
            )
        }
    };
    // Hours, as the model sees them: a row at 08:30 is the 08:00 hour.
    let hour = t.with_minute(0).and_then(|t| t.with_second(0))?;
    Some((hour, instant))
}

/// Replays `rows` (sorted, from [`parse_history`]) week by week.
pub fn run(model: &DemandModel, rows: &[HistoryRow]) -> Result<Report, BacktestError> {
    let Some(first) = rows.first() else {
        return Err(BacktestError::File("the history has no hours".into()));
    };
    let features: Vec<_> = rows.iter().map(|r| r.input.features()).collect();
    let shapes = model.shapes(&features)?;
    let start = first
        .input
        .local
        .date()
        .and_hms_opt(0, 0, 0)
        .unwrap_or(first.input.local);
    let day_of = |t: NaiveDateTime| (t - start).num_days();
    let by_time: HashMap<NaiveDateTime, f64> =
        rows.iter().map(|r| (r.input.local, r.arrivals)).collect();

    let mut levels = BTreeMap::new();
    let (mut n, mut model_abs, mut model_sq, mut naive_abs, mut naive_sq) =
        (0usize, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (i, row) in rows.iter().enumerate() {
        let week = day_of(row.input.local) / 7;
        if week < 1 {
            continue;
        }
        let level = match levels.get(&week) {
            Some(l) => *l,
            None => {
                let from = (7 * week - LEVEL_DAYS).max(0);
                let window = rows.iter().zip(&shapes).filter(|(r, _)| {
                    let d = day_of(r.input.local);
                    d >= from && d < 7 * week
                });
                let Some(l) = level::fit(window.map(|(r, s)| (r.arrivals, *s))) else {
                    continue;
                };
                levels.insert(week, l);
                l
            }
        };
        let Some(naive) = by_time.get(&(row.input.local - Duration::days(7))) else {
            continue;
        };
        let predicted = level * f64::from(shapes[i]);
        let (e_model, e_naive) = (predicted - row.arrivals, naive - row.arrivals);
        n += 1;
        model_abs += e_model.abs();
        model_sq += e_model * e_model;
        naive_abs += e_naive.abs();
        naive_sq += e_naive * e_naive;
    }
    if n == 0 {
        return Err(BacktestError::File(
            "nothing to score: the history needs at least two weeks of hours".into(),
        ));
    }
    #[allow(clippy::cast_precision_loss)] // hours in a history: far below 2^52
    let count = n as f64;
    Ok(Report {
        hours: n,
        model: Scores {
            mae: model_abs / count,
            rmse: (model_sq / count).sqrt(),
        },
        seasonal_naive: Scores {
            mae: naive_abs / count,
            rmse: (naive_sq / count).sqrt(),
        },
        levels,
    })
}
