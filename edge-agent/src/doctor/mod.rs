//! `gasq-edge doctor`: checks everything a station box needs and prints a readable
//! report, each problem with the fix for it. Exits non-zero when anything failed.
//!
//! Doctor only looks: it opens the database read-only, asks the cloud for changes
//! without applying them, and probes ports without holding them.

mod checks;
mod cloud;
mod freshness;

use std::fmt::Write as _;

use crate::config::{ConfigError, Settings};
use crate::datadir::DataDir;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub level: Level,
    pub what: &'static str,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            level: Level::Ok,
            what,
            detail: detail.into(),
            fix: None,
        }
    }
    pub fn warn(what: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Warn,
            what,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn fail(what: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Fail,
            what,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Everything doctor found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.level == Level::Fail)
    }

    /// The report as the technician reads it.
    pub fn render(&self, data: &DataDir) -> String {
        let mut out = format!("gasq-edge doctor — data dir {}\n", data.root().display());
        for c in &self.checks {
            let tag = match c.level {
                Level::Ok => "ok  ",
                Level::Warn => "WARN",
                Level::Fail => "FAIL",
            };
            let _ = writeln!(out, "  {tag}  {:<14}{}", c.what, c.detail);
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "        {:<14}fix: {fix}", "");
            }
        }
        let fails = self
            .checks
            .iter()
            .filter(|c| c.level == Level::Fail)
            .count();
        let warns = self
            .checks
            .iter()
            .filter(|c| c.level == Level::Warn)
            .count();
        let _ = match (fails, warns) {
            (0, 0) => writeln!(out, "All good."),
            (0, w) => writeln!(out, "No failures, {w} warning(s)."),
            (f, w) => writeln!(out, "{f} failure(s), {w} warning(s)."),
        };
        out
    }
}

/// Runs every check.
pub async fn run(data: &DataDir, settings: Result<Settings, ConfigError>) -> Report {
    let mut report = Report::default();
    let settings = match settings {
        Ok(s) => {
            report.checks.push(Check::ok("config", "settings load"));
            s
        }
        Err(e) => {
            report.checks.push(Check::fail(
                "config",
                e.to_string(),
                format!(
                    "correct {} or the GASQ_* environment",
                    data.config_file().display()
                ),
            ));
            Settings::default()
        }
    };
    checks::run_all(data, &settings, &mut report.checks).await;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_shown_with_its_fix_and_fails_the_report() {
        let report = Report {
            checks: vec![
                Check::ok("data dir", "writable"),
                Check::fail("cloud", "unreachable", "check the network"),
            ],
        };
        assert!(report.failed());
        let text = report.render(&DataDir::new("/x"));
        assert!(text.contains("FAIL  cloud"), "{text}");
        assert!(text.contains("fix: check the network"), "{text}");
        assert!(text.contains("1 failure(s)"), "{text}");
    }
}
