//! What the check prints: one line per step, a diagnosis under a failed step, a verdict.
//! Every line passes through [`Report::print`], which masks the credential, so not even a
//! server that echoes request headers back into an error body gets it printed.

use std::{io::Write, process::ExitCode};

/// How many steps the check has (the last, the app round trip, may be skipped).
pub const STEPS: usize = 6;

/// A step's number and the name its line shows.
#[derive(Clone, Copy)]
pub struct Step {
    pub number: usize,
    pub name: &'static str,
}

/// A failed step: what happened, and what to do about it (one instruction or command
/// per line, so commands can be copied whole).
pub struct Failure {
    pub summary: String,
    pub fix: Vec<String>,
}

impl Failure {
    pub fn new(summary: impl Into<String>, fix: &[&str]) -> Self {
        Self {
            summary: summary.into(),
            fix: fix.iter().map(|line| (*line).to_owned()).collect(),
        }
    }

    pub fn with_fix(summary: impl Into<String>, fix: Vec<String>) -> Self {
        Self {
            summary: summary.into(),
            fix,
        }
    }
}

#[derive(Default)]
pub struct Report {
    secrets: Vec<String>,
}

impl Report {
    /// Never print `secret`, in any line, from here on.
    pub fn hide(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.push(secret.to_owned());
        }
    }

    pub fn print(&self, line: &str) {
        let mut line = line.to_owned();
        for secret in &self.secrets {
            line = line.replace(secret.as_str(), "[credential]");
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }

    pub fn pass(&self, step: Step, detail: &str) {
        self.line(step, "ok  ", detail);
    }

    pub fn skip(&self, step: Step, detail: &str) {
        self.line(step, "skip", detail);
    }

    /// Prints the failed step, its diagnosis and the verdict; the exit status is 1.
    pub fn fail(&self, step: Step, failure: &Failure) -> ExitCode {
        self.line(step, "FAIL", &failure.summary);
        for line in &failure.fix {
            self.print(&format!("      {line}"));
        }
        self.print(&format!(
            "verdict: FAIL at step {} ({}): {}",
            step.number, step.name, failure.summary
        ));
        ExitCode::FAILURE
    }

    fn line(&self, step: Step, status: &str, detail: &str) {
        let Step { number, name } = step;
        self.print(&format!("[{number}/{STEPS}] {name:<10} {status}  {detail}"));
    }
}
