//! What the check prints: one line per step, a diagnosis under a failed step, a verdict.
//! Every line passes through [`Report::print`], which masks the credential, so not even a
//! server that echoes request headers back into an error body gets it printed.

use std::{io::Write, process::ExitCode};

pub const STEPS: usize = 5;

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

    pub fn pass(&self, step: usize, name: &str, detail: &str) {
        self.print(&format!("[{step}/{STEPS}] {name:<9} ok    {detail}"));
    }

    pub fn skip(&self, step: usize, name: &str, detail: &str) {
        self.print(&format!("[{step}/{STEPS}] {name:<9} skip  {detail}"));
    }

    /// Prints the failed step, its diagnosis and the verdict; the exit status is 1.
    pub fn fail(&self, step: usize, name: &str, failure: &Failure) -> ExitCode {
        self.print(&format!(
            "[{step}/{STEPS}] {name:<9} FAIL  {}",
            failure.summary
        ));
        for line in &failure.fix {
            self.print(&format!("      {line}"));
        }
        self.print(&format!(
            "verdict: FAIL at step {step} ({name}): {}",
            failure.summary
        ));
        ExitCode::FAILURE
    }
}
