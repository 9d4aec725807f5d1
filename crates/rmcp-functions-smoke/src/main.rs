//! `smoke`: checks a deployed rust-mcp-functions endpoint, in order, and stops at the
//! first failure with a diagnosis that says what to do. azd runs it after every deploy
//! (`scripts/smoke.sh`, the `postdeploy` hook in `azure.yaml`); anyone can run it by hand
//! against any URL. The README's "After `azd up`" section lists what each step proves
//! and each diagnosis; `tests/api/smoke.rs` checks them against local stand-ins.
//!
//! 1. reachable: `GET /` answers, retried through a cold start (`--wait`);
//! 2. auth: without credentials the auth layer refuses as configured (401 with the
//!    resource metadata in entra mode), with them it lets the request through;
//! 3. mcp: `initialize` and `tools/list` name this server and the tools the check calls;
//! 4. tools: `get_alerts`, and a snippet saved, read back and deleted under a random name;
//! 5. host: the `Host` and `X-Forwarded-Host` the handler saw (from its `GET /` answer).

mod args;
mod client;
mod credentials;
mod report;
mod steps;

use std::process::ExitCode;

use args::{Args, USAGE, Usage};
use client::Http;
use report::Report;
use steps::{Auth, Check};

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(Usage::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Usage::Invalid(reason)) => {
            eprintln!("smoke: {reason}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("smoke: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut report = Report::default();
    let base = args.base.as_str().trim_end_matches('/').to_owned();
    report.print(&format!(
        "smoke check of {base}/mcp (auth {}; cold-start allowance {} s, {} s per request)",
        args.auth.name(),
        args.wait.as_secs_f64(),
        args.timeout.as_secs_f64(),
    ));
    let (credential, missing) = match credentials::obtain(&args) {
        Ok(credential) => (credential, None),
        Err(why) => (None, Some(why)),
    };
    if let Some(credential) = &credential {
        report.hide(credential.secret());
    }
    let http = match Http::new(&args, credential) {
        Ok(http) => http,
        Err(e) => {
            report.print(&format!("smoke: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let check = Check::new(&args, &http, &base);

    let ready = match check.reachable().await {
        Ok((ready, detail)) => {
            report.pass(1, "reachable", &detail);
            ready
        }
        Err(failure) => return report.fail(1, "reachable", &failure),
    };
    match check.auth(&ready, missing.as_deref()).await {
        Ok(Auth::Through(detail)) => report.pass(2, "auth", &detail),
        Ok(Auth::Unverified { detail, why }) => {
            report.pass(2, "auth", &detail);
            report.skip(2, "auth", &format!("with credentials: not checked, {why}"));
            report.print(&format!(
                "verdict: INCOMPLETE: steps 1-2 passed; steps 3-5 need {} ({why})",
                if args.auth == args::AuthMode::Key {
                    "the function key"
                } else {
                    "a bearer token"
                }
            ));
            return ExitCode::SUCCESS;
        }
        Err(failure) => return report.fail(2, "auth", &failure),
    }
    let mut mcp = check.mcp_session();
    match check.handshake(&mut mcp, &ready).await {
        Ok(detail) => report.pass(3, "mcp", &detail),
        Err(failure) => return report.fail(3, "mcp", &failure),
    }
    match check.tools(&mcp, &ready).await {
        Ok(detail) => report.pass(4, "tools", &detail),
        Err(failure) => return report.fail(4, "tools", &failure),
    }
    report.pass(5, "host", &check.host_seen(&ready));
    report.print(&format!(
        "verdict: PASS: {base}/mcp serves rust-mcp-functions; all {} steps passed",
        report::STEPS
    ));
    ExitCode::SUCCESS
}
