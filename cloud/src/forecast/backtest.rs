//! `gasq-cloud forecast backtest --history FILE.csv`: replays a station's history week
//! by week as the cloud would — each week's level fitted only from the 28 days before
//! it — and scores the model against seasonal-naive (the same hour a week earlier).
//! The algorithm is the model card's ("Level algorithm of the backtest"), so the
//! numbers match `models/train.py`'s to rounding.
//!
//! The history file is read by [`super::history`].

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};

use super::level::{self, LEVEL_DAYS};
use super::{DemandModel, ModelError};

pub use super::history::{HistoryRow, parse_history, parse_history_noting};

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    History(#[from] super::history::HistoryError),
    #[error(transparent)]
    Model(#[from] ModelError),
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
