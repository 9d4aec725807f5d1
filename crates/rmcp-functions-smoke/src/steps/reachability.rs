//! Step 1: `GET /` answers at all, retried through a cold start.

use std::time::{Duration, Instant};

use super::{Check, is_gateway_error};
use crate::{
    client::{Answer, SendError},
    report::{Failure, Step},
};

pub const STEP: Step = Step {
    number: 1,
    name: "reachable",
};

/// `GET /` (with credentials, if any), retried while the app cold-starts: on no
/// answer, a timeout, or 502/503/504 from the platform, until `--wait` runs out.
/// The answer is kept: later diagnoses and step 5 read the Host line the hosting crate
/// puts in it.
pub async fn check(check: &Check<'_>) -> Result<(Answer, String), Failure> {
    let started = Instant::now();
    let deadline = started + check.args.wait;
    let mut pause = (check.args.wait / 4).min(Duration::from_secs(1));
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = check.http.get(&check.ready_url, true).await;
        let retry = match &outcome {
            Ok(answer) => is_gateway_error(answer.status),
            Err(_) => true,
        };
        let now = Instant::now();
        if !retry || now >= deadline {
            let spent = format!(
                "{attempts} attempt{} over {:.1} s",
                if attempts == 1 { "" } else { "s" },
                now.duration_since(started).as_secs_f64()
            );
            return match outcome {
                Ok(answer) if !retry => {
                    let detail = format!("GET / answered HTTP {} ({spent})", answer.status);
                    Ok((answer, detail))
                }
                Ok(answer) => Err(check.handler_not_started("GET /", &answer, &spent)),
                Err(error) => Err(unreachable(check, &error, &spent)),
            };
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

fn unreachable(check: &Check<'_>, error: &SendError, spent: &str) -> Failure {
    let wait = check.args.wait.as_secs_f64();
    match error {
        SendError::Timeout => Failure::with_fix(
            format!(
                "no answer to GET / within {} s per request ({spent}; cold-start allowance {wait} s)",
                check.args.timeout.as_secs_f64()
            ),
            vec![
                "The app accepted no request in time: it may be stopped, still starting, or out of reach from here (a firewall, a proxy, private networking).".to_owned(),
                format!("Is it running? az functionapp show -g {} -n {} --query state -o tsv", check.group(), check.app()),
                "A slower first start than the allowance: run the check again, or raise it with --wait SECONDS.".to_owned(),
                format!("Still nothing: look at the host's log (Application Insights, table traces): {}", check.log_query()),
            ],
        ),
        SendError::Failed(reason) => Failure::with_fix(
            format!("cannot connect ({spent}): {reason}"),
            vec![
                "Check the URL: azd env get-value MCP_URL prints the deployed one.".to_owned(),
                "A DNS error means no app has this name (deleted, or another azd environment is selected: azd env list); a refused or reset connection means nothing listens there.".to_owned(),
            ],
        ),
    }
}
