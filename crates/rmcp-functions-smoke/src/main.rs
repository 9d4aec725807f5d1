//! `rmcp-functions-smoke`: checks a deployed MCP server, in order, and stops at the first
//! failure with a diagnosis that says what to do. azd runs it after every deploy
//! (`scripts/smoke.sh`, the `postdeploy` hook in `azure.yaml`); anyone can run it by hand
//! against any URL. rust-mcp-functions' docs/deploy.md ("After `azd up`") lists what each
//! step proves and each diagnosis; its `tests/api/smoke.rs` checks them against local
//! stand-ins. One module per step (`steps/`):
//!
//! 1. reachable: `GET /` answers, retried through a cold start (`--wait`);
//! 2. auth: without credentials the auth layer refuses as configured (401 with the
//!    resource metadata in entra mode), with them it lets the request through;
//! 3. initialize: the server names itself and its capabilities;
//! 4. tools/list: every page, every tool with a name and an object input schema;
//! 5. host: the `Host` and `X-Forwarded-Host` the handler saw (from its `GET /` answer);
//! 6. round-trip: rust-mcp-functions' own tools, `get_alerts` and a snippet saved, read
//!    back and deleted; when `tools/list` shows them or `--round-trip` asks, else skipped.
//!
//! Steps 1-5 hold for any MCP server; a server that is not ours passes with step 6 skipped.

mod args;
mod client;
mod credentials;
mod report;
mod steps;

use std::process::ExitCode;

use args::{Args, AuthMode, USAGE, Usage};
use client::Http;
use report::{Report, STEPS};
use steps::{
    Check, app_round_trip, app_round_trip::Plan, auth, auth::Auth, forwarded_host, initialize,
    reachability, tools_list,
};

/// How the check names itself in messages.
const NAME: &str = env!("CARGO_PKG_NAME");

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(Usage::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Usage::Invalid(reason)) => {
            eprintln!("{NAME}: {reason}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{NAME}: cannot start the async runtime: {e}");
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
            report.print(&format!("{NAME}: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let check = Check::new(&args, &http, &base);

    let ready = match reachability::check(&check).await {
        Ok((ready, detail)) => {
            report.pass(reachability::STEP, &detail);
            ready
        }
        Err(failure) => return report.fail(reachability::STEP, &failure),
    };
    match auth::check(&check, &ready, missing.as_deref()).await {
        Ok(Auth::Through(detail)) => report.pass(auth::STEP, &detail),
        Ok(Auth::Unverified { detail, why }) => {
            report.pass(auth::STEP, &detail);
            report.skip(auth::STEP, &format!("with credentials: not checked, {why}"));
            report.print(&format!(
                "verdict: INCOMPLETE: steps 1-2 passed; steps 3-{STEPS} need {} ({why})",
                if args.auth == AuthMode::Key {
                    "the function key"
                } else {
                    "a bearer token"
                }
            ));
            return ExitCode::SUCCESS;
        }
        Err(failure) => return report.fail(auth::STEP, &failure),
    }
    let mut mcp = check.mcp_session();
    let server = match initialize::check(&check, &mut mcp, &ready).await {
        Ok((server, detail)) => {
            report.pass(initialize::STEP, &detail);
            server
        }
        Err(failure) => return report.fail(initialize::STEP, &failure),
    };
    let tools = match tools_list::check(&check, &mcp, &server, &ready).await {
        Ok((tools, detail)) => {
            report.pass(tools_list::STEP, &detail);
            tools
        }
        Err(failure) => return report.fail(tools_list::STEP, &failure),
    };
    report.pass(forwarded_host::STEP, &forwarded_host::seen(&ready));
    let round_trip = app_round_trip::STEP;
    match app_round_trip::plan(&args, &server, &tools) {
        Plan::Run => match app_round_trip::check(&check, &mcp, &ready).await {
            Ok(detail) => report.pass(round_trip, &detail),
            Err(failure) => return report.fail(round_trip, &failure),
        },
        Plan::Skip(why) => {
            report.skip(round_trip, &why);
            report.print(&format!(
                "verdict: PASS: {base}/mcp serves {server}; steps 1-{} passed, step {} ({}) skipped",
                round_trip.number - 1,
                round_trip.number,
                round_trip.name
            ));
            return ExitCode::SUCCESS;
        }
        Plan::Lacking(failure) => return report.fail(round_trip, &failure),
    }
    report.print(&format!(
        "verdict: PASS: {base}/mcp serves {server}; all {STEPS} steps passed"
    ));
    ExitCode::SUCCESS
}
