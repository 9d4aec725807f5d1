//! The credential the deployment's auth mode needs: given in the environment, or fetched
//! with the Azure CLI. Its value is only ever put in a request header (and in the list
//! of strings the report masks); it is never printed.

use std::{
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::args::{Args, AuthMode};

/// The Azure CLI's client id: the app must pre-authorize it to hand the CLI tokens.
pub(crate) const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// Visual Studio Code's client id, pre-authorized by default (infra/main.bicep).
pub(crate) const VS_CODE_CLIENT_ID: &str = "aebc6443-996d-45c2-90f0-388ff96faa56";

/// How long one Azure CLI call may take (a token request can be slow on a cold CLI).
const AZ_TIMEOUT: Duration = Duration::from_secs(90);

pub(crate) enum Credential {
    /// A function key, sent in `x-functions-key`.
    Key(String),
    /// An Entra ID access token, sent as `Authorization: Bearer`.
    Bearer(String),
}

impl Credential {
    pub(crate) fn header(&self) -> (&'static str, String) {
        match self {
            Self::Key(key) => ("x-functions-key", key.clone()),
            Self::Bearer(token) => ("authorization", format!("Bearer {token}")),
        }
    }

    pub(crate) fn secret(&self) -> &str {
        match self {
            Self::Key(secret) | Self::Bearer(secret) => secret,
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::Key(_) => "the function key",
            Self::Bearer(_) => "the bearer token",
        }
    }
}

/// The credential for `args.auth`: `Ok(None)` in `none` mode, `Err(why)` when the mode
/// needs one and none could be had (the check then runs the steps that need none).
pub(crate) fn obtain(args: &Args) -> Result<Option<Credential>, String> {
    match args.auth {
        AuthMode::None => Ok(None),
        AuthMode::Key => {
            if let Some(key) = from_env("MCP_FUNCTION_KEY") {
                return Ok(Some(Credential::Key(key)));
            }
            let (Some(group), Some(app)) = (&args.resource_group, &args.app) else {
                return Err("no function key: set MCP_FUNCTION_KEY, or pass --resource-group and --app to fetch it with the Azure CLI".to_owned());
            };
            az(&[
                "functionapp",
                "keys",
                "list",
                "--resource-group",
                group,
                "--name",
                app,
                "--query",
                "functionKeys.default",
                "--output",
                "tsv",
            ])
            .map(|key| Some(Credential::Key(key)))
            .map_err(|e| format!("no function key: {e}"))
        }
        AuthMode::Entra => {
            if let Some(token) = from_env("MCP_BEARER_TOKEN") {
                return Ok(Some(Credential::Bearer(token)));
            }
            let Some(scope) = &args.scope else {
                return Err("no bearer token: set MCP_BEARER_TOKEN, or pass --scope to get one with the Azure CLI".to_owned());
            };
            az(&[
                "account",
                "get-access-token",
                "--scope",
                scope,
                "--query",
                "accessToken",
                "--output",
                "tsv",
            ])
            .map(|token| Some(Credential::Bearer(token)))
            .map_err(|e| {
                format!(
                    "no bearer token: {e}. The Azure CLI gets a token for this app only when the app pre-authorizes it: \
                     azd env set PRE_AUTHORIZED_CLIENT_IDS {VS_CODE_CLIENT_ID},{AZURE_CLI_CLIENT_ID}, \
                     then azd provision (or set MCP_BEARER_TOKEN)"
                )
            })
        }
    }
}

fn from_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Runs the Azure CLI and returns its trimmed stdout, or what went wrong (the first
/// line of its stderr, which holds no secret: a secret would be on stdout).
fn az(args: &[&str]) -> Result<String, String> {
    let mut child = Command::new("az")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the Azure CLI (az): {e}"))?;
    let deadline = Instant::now() + AZ_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`az {}` did not finish within {} s",
                    args[..2].join(" "),
                    AZ_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for the Azure CLI: {e}")),
        }
    };
    let read = |stream: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(stream) = stream {
            let _ = stream.read_to_string(&mut text);
        }
        text
    };
    let stdout = read(child.stdout.as_mut().map(|s| s as &mut dyn Read));
    let stderr = read(child.stderr.as_mut().map(|s| s as &mut dyn Read));
    let value = stdout.trim();
    if status.success() && !value.is_empty() && !value.contains(char::is_whitespace) {
        return Ok(value.to_owned());
    }
    let reason = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .chars()
        .take(300)
        .collect::<String>();
    Err(format!(
        "`az {}` failed ({status}): {reason}",
        args[..2].join(" ")
    ))
}
