//! The post-deployment smoke check (`crates/rmcp-functions-smoke`, `scripts/smoke.sh`): green against
//! the real binary, directly and behind the proxy that forwards like the Functions host,
//! in each auth mode, and against a server that is not ours (the calculator example), with
//! the round trip skipped; and, against local stand-ins answering as the platform does,
//! each failure the table in docs/deploy.md lists produces its diagnosis and a non-zero exit.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use rmcp::{
    ServerHandler,
    model::{Implementation, ServerCapabilities, ServerConfig},
};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, path_regex, query_param},
};

use crate::helpers::{
    AZURITE_KEY, Handler, Nginx, PUBLIC_HOST, ServedHandler, example_binary, process::Finished,
    repo_root, run_bounded, workspace_binary,
};

/// The check's binary (crates/rmcp-functions-smoke), named as `cargo install` names it.
fn smoke_binary() -> PathBuf {
    workspace_binary("rmcp-functions-smoke", "rmcp-functions-smoke")
}

/// The check's steps; the last, the app round trip, runs only against our tools.
const STEPS: usize = 6;
const ROUND_TRIP: usize = 6;

/// What the check prints for each failure the tests below provoke. Each test asserts its
/// phrase, and the failure table in docs/deploy.md ("After `azd up`") must quote every one.
const SAYS_NO_ANSWER: &str = "no answer to GET / within";
const SAYS_CANNOT_CONNECT: &str = "cannot connect";
const SAYS_HANDLER_DOWN: &str = "the Functions host could not start the handler or reach it";
const SAYS_NO_METADATA: &str = "401 without a token, but without resource_metadata";
const SAYS_NOT_ROUTED: &str =
    "the mcp-custom-handler configuration profile or the MCP preview flag is not in effect";
const SAYS_HOST_REFUSED: &str =
    "answered 403 \"Host header is not allowed\": the handler refused Host";
const SAYS_NOT_OURS: &str = "is not rust-mcp-functions: tools/list lacks";
const SAYS_BAD_SCHEMA: &str = "has no inputSchema of type \"object\"";
const SAYS_STORAGE_REFUSED: &str = "save_snippet failed (AuthorizationPermissionMismatch)";
const SAYS_INCOMPLETE: &str = "verdict: INCOMPLETE";

#[test]
fn the_deploy_guide_failure_table_quotes_each_diagnosis() {
    let guide = std::fs::read_to_string(repo_root().join("docs/deploy.md")).unwrap();
    let section = guide
        .split("\n## After `azd up`\n")
        .nth(1)
        .expect("docs/deploy.md has a section \"After `azd up`\"");
    let section = section.split("\n## ").next().unwrap();
    let table: Vec<&str> = section.lines().filter(|l| l.starts_with("| ")).collect();
    for phrase in [
        SAYS_NO_ANSWER,
        SAYS_CANNOT_CONNECT,
        SAYS_HANDLER_DOWN,
        SAYS_NO_METADATA,
        SAYS_NOT_ROUTED,
        SAYS_HOST_REFUSED,
        SAYS_NOT_OURS,
        SAYS_BAD_SCHEMA,
        SAYS_STORAGE_REFUSED,
        SAYS_INCOMPLETE,
    ] {
        assert!(
            table.iter().any(|row| row.contains(phrase)),
            "the failure table in docs/deploy.md does not quote {phrase:?}"
        );
    }
}

const FUNCTION_KEY: &str = "fk-smoke-7d1e44b0-secret-function-key";
const TOKEN: &str = "eyJzbW9rZS10b2tlbi1zZWNyZXQtNDQyMSJ9";
const SCOPE: &str = "api://func-mcp-test/user_impersonation";

/// What one run of the check printed, and how it exited.
struct Run {
    output: Finished,
    stdout: String,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// The line of step `n` that carries `status` (`ok`, `FAIL`, `skip`).
    fn step(&self, n: usize, status: &str) -> &str {
        let prefix = format!("[{n}/{STEPS}] ");
        self.stdout
            .lines()
            .find(|l| l.starts_with(&prefix) && l.contains(&format!(" {status} ")))
            .unwrap_or_else(|| panic!("no `{status}` line for step {n}:\n{}", self.stdout))
    }

    fn verdict(&self) -> &str {
        let last = self.stdout.lines().last().unwrap_or_default();
        assert!(last.starts_with("verdict: "), "{}", self.stdout);
        last
    }

    fn assert_says(&self, words: &[&str]) {
        for word in words {
            assert!(
                self.stdout.contains(word),
                "the output lacks {word:?}:\n{}",
                self.stdout
            );
        }
    }

    /// Passed every step: one `ok` line per step, the PASS verdict, exit 0.
    fn assert_passed(&self) {
        for n in 1..=STEPS {
            self.step(n, "ok");
        }
        assert!(
            self.verdict().starts_with("verdict: PASS"),
            "{}",
            self.stdout
        );
        assert!(
            self.verdict()
                .ends_with(&format!("all {STEPS} steps passed")),
            "{}",
            self.stdout
        );
        assert_eq!(self.code(), Some(0), "{}", self.stdout);
    }

    /// Passed every step any MCP server must pass, and skipped the round trip: returns
    /// the skip line.
    fn assert_passed_without_round_trip(&self) -> &str {
        for n in 1..ROUND_TRIP {
            self.step(n, "ok");
        }
        let skipped = self.step(ROUND_TRIP, "skip");
        assert!(
            self.verdict().starts_with("verdict: PASS")
                && self.verdict().ends_with(&format!(
                    "steps 1-{} passed, step {ROUND_TRIP} (round-trip) skipped",
                    ROUND_TRIP - 1
                )),
            "{}",
            self.stdout
        );
        assert_eq!(self.code(), Some(0), "{}", self.stdout);
        skipped
    }

    /// Stopped at step `n`: `ok` lines before it, its `FAIL` line, no later step,
    /// the FAIL verdict, exit 1.
    fn assert_failed_at(&self, n: usize) {
        for earlier in 1..n {
            self.step(earlier, "ok");
        }
        self.step(n, "FAIL");
        for later in n + 1..=STEPS {
            assert!(
                !self.stdout.contains(&format!("[{later}/{STEPS}]")),
                "step {later} ran after step {n} failed:\n{}",
                self.stdout
            );
        }
        assert!(
            self.verdict()
                .starts_with(&format!("verdict: FAIL at step {n}")),
            "{}",
            self.stdout
        );
        assert_eq!(self.code(), Some(1), "{}", self.stdout);
    }

    fn assert_no_secret(&self) {
        let stderr = &self.output.stderr;
        for secret in [FUNCTION_KEY, TOKEN] {
            assert!(
                !self.stdout.contains(secret) && !stderr.contains(secret),
                "a credential was printed:\n{}\n{stderr}",
                self.stdout
            );
        }
    }
}

/// Runs the check's binary with a clean environment: `vars`, and a `PATH` holding only
/// `bin` (fake Azure CLI scripts, or nothing), so no real `az` is ever reached.
async fn smoke(args: Vec<String>, vars: Vec<(&'static str, String)>, bin: &Path) -> Run {
    let mut command = Command::new(smoke_binary());
    command.args(&args).env_clear().env("PATH", bin).envs(vars);
    finish(command).await
}

async fn finish(command: Command) -> Run {
    let output = tokio::task::spawn_blocking(move || run_bounded(command, Duration::from_secs(60)))
        .await
        .unwrap();
    let stdout = output.stdout.clone();
    let run = Run { output, stdout };
    run.assert_no_secret();
    run
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// A directory for fake CLI scripts, first (and only) on the check's `PATH`.
fn bin_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A fake `az` that prints `output` for the subcommand `first second` and records its
/// arguments in `az.args`; any other call fails as the real CLI does.
fn fake_az(bin: &Path, first: &str, second: &str, output: &str) -> PathBuf {
    let log = bin.join("az.args");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nif [ \"$1 $2\" = '{first} {second}' ]; then printf '%s\\n' '{output}'; exit 0; fi\necho \"ERROR: unexpected call\" >&2\nexit 2\n",
        log.display()
    );
    write_script(&bin.join("az"), &script);
    log
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A local NWS that answers the recorded WA alerts, and only to `area=WA`; `called`:
/// whether the test expects the check to get as far as `get_alerts`.
async fn nws(called: bool) -> MockServer {
    let server = MockServer::start().await;
    let body = std::fs::read_to_string(repo_root().join("tests/fixtures/alerts.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/alerts/active"))
        .and(query_param("area", "WA"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/geo+json"))
        .expect(if called { 1.. } else { 0.. })
        .mount(&server)
        .await;
    server
}

/// The real binary, its weather tools pointed at `nws`, with `extra` settings.
fn handler(nws: &MockServer, extra: &[(&str, &str)]) -> Handler {
    let uri = nws.uri();
    let mut vars = vec![
        ("NWS_API_BASE_URL", uri.as_str()),
        ("NWS_CONTACT", "smoke-tests@example.com"),
    ];
    vars.extend_from_slice(extra);
    Handler::start(&vars)
}

/// No snippet the check saved is left behind in the handler's local snippet directory
/// (whose lock file, `.lock`, stays).
fn assert_no_snippet_left(handler: &Handler) {
    let dir = handler.dir.path().join(".snippets");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name != ".lock")
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
}

// ---- green ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn passes_against_the_local_binary() {
    let nws = nws(true).await;
    let handler = handler(&nws, &[]);
    let bin = bin_dir();
    let run = smoke(
        words(&[&handler.url("/mcp"), "--wait", "5"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_passed();
    assert!(run.step(2, "ok").contains("open"), "{}", run.stdout);
    let initialize = run.step(3, "ok");
    assert!(
        initialize.contains("rust-mcp-functions 0.1.0 over 2025-11-25; capabilities: "),
        "{initialize}"
    );
    let tools = run.step(4, "ok");
    assert!(
        tools.contains("get_alerts") && tools.contains("delete_snippet"),
        "{tools}"
    );
    assert!(
        run.step(ROUND_TRIP, "ok")
            .contains("saved, read back and deleted"),
        "{}",
        run.stdout
    );
    let host = run.step(5, "ok");
    assert!(
        host.contains(&format!(
            "Host: {} (loopback: always allowed); X-Forwarded-Host: (none)",
            handler.addr
        )),
        "{host}"
    );
    assert_no_snippet_left(&handler);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: scripts/test.sh"]
async fn passes_through_the_proxy_and_reports_the_forwarded_host() {
    let nws = nws(true).await;
    let handler = handler(&nws, &[]);
    let nginx = Nginx::start(handler.addr.port(), &handler.addr.to_string());
    let bin = bin_dir();
    let run = smoke(
        words(&[&nginx.url("/mcp"), "--wait", "5"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_passed();
    let host = run.step(5, "ok");
    assert!(
        host.contains(&format!(
            "Host: {} (loopback: always allowed); X-Forwarded-Host: {PUBLIC_HOST}",
            handler.addr
        )),
        "{host}"
    );
    assert_no_snippet_left(&handler);
}

/// An auth layer in front of the real binary, answering as the platform's does: the
/// Functions host's key check (401, no body) or built-in authentication (401 with a
/// `WWW-Authenticate` that names the Protected Resource Metadata, which it serves
/// without a token). Requests it lets through are forwarded unchanged.
struct Gate {
    upstream: String,
    entra: bool,
    client: reqwest::Client,
}

async fn gate(upstream: &Handler, entra: bool) -> ServedHandler {
    let state = Arc::new(Gate {
        upstream: format!("http://{}", upstream.addr),
        entra,
        client: reqwest::Client::new(),
    });
    let router = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(|headers: HeaderMap| async move {
                let host = headers[header::HOST].to_str().unwrap().to_owned();
                // RFC 9728's fields, as built-in authentication fills them.
                Json(json!({
                    "resource": format!("http://{host}"),
                    "authorization_servers": ["https://login.microsoftonline.com/72f988bf-0000-0000-0000-000000000000/v2.0"],
                    "scopes_supported": [SCOPE],
                    "bearer_methods_supported": ["header"],
                }))
            }),
        )
        .fallback(forward)
        .with_state(state);
    ServedHandler::start_router(router).await
}

async fn forward(State(gate): State<Arc<Gate>>, request: Request) -> Response {
    let headers = request.headers();
    let host = headers[header::HOST].to_str().unwrap().to_owned();
    let allowed = if gate.entra {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"))
    } else {
        headers.get("x-functions-key").and_then(|v| v.to_str().ok()) == Some(FUNCTION_KEY)
    };
    if !allowed {
        let mut refusal = StatusCode::UNAUTHORIZED.into_response();
        if gate.entra {
            let challenge = format!(
                "Bearer realm=\"{host}\" resource_metadata=\"http://{host}/.well-known/oauth-protected-resource\""
            );
            refusal
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge.parse().unwrap());
        }
        return refusal;
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let target = format!("{}{}", gate.upstream, parts.uri.path_and_query().unwrap());
    let mut upstream = gate.client.request(parts.method, target).body(body);
    for (name, value) in &parts.headers {
        if name != header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn key_mode_fetches_the_key_with_the_azure_cli_and_never_prints_it() {
    let nws = nws(true).await;
    let handler = handler(&nws, &[]);
    let gate = gate(&handler, false).await;
    let bin = bin_dir();
    let az_args = fake_az(bin.path(), "functionapp", "keys", FUNCTION_KEY);
    let run = smoke(
        words(&[
            &gate.mcp_url(),
            "--auth",
            "key",
            "--resource-group",
            "rg-smoke",
            "--app",
            "func-mcp-smoke",
            "--wait",
            "5",
        ]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_passed();
    let auth = run.step(2, "ok");
    assert!(
        auth.contains("without a key: 401; with the function key: through"),
        "{auth}"
    );
    let asked = std::fs::read_to_string(az_args).unwrap();
    assert_eq!(
        asked.lines().collect::<Vec<_>>(),
        [
            "functionapp",
            "keys",
            "list",
            "--resource-group",
            "rg-smoke",
            "--name",
            "func-mcp-smoke",
            "--query",
            "functionKeys.default",
            "--output",
            "tsv"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn entra_mode_checks_the_resource_metadata_and_passes_with_a_cli_token() {
    let nws = nws(true).await;
    let handler = handler(&nws, &[]);
    let gate = gate(&handler, true).await;
    let bin = bin_dir();
    let az_args = fake_az(bin.path(), "account", "get-access-token", TOKEN);
    let run = smoke(
        words(&[
            &gate.mcp_url(),
            "--auth",
            "entra",
            "--scope",
            SCOPE,
            "--wait",
            "5",
        ]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_passed();
    let auth = run.step(2, "ok");
    assert!(
        auth.contains(&format!(
            "without a token: 401, WWW-Authenticate names http://{}/.well-known/oauth-protected-resource (authorization server https://login.microsoftonline.com/",
            gate.addr
        )),
        "{auth}"
    );
    assert!(auth.contains("with the bearer token: through"), "{auth}");
    let asked = std::fs::read_to_string(az_args).unwrap();
    assert!(asked.contains(&format!("--scope\n{SCOPE}\n")), "{asked}");
}

#[tokio::test(flavor = "multi_thread")]
async fn entra_mode_without_a_token_checks_what_it_can_and_says_what_is_missing() {
    let nws = nws(false).await;
    let handler = handler(&nws, &[]);
    let gate = gate(&handler, true).await;
    let bin = bin_dir(); // no az on PATH
    let run = smoke(
        words(&[
            &gate.mcp_url(),
            "--auth",
            "entra",
            "--scope",
            SCOPE,
            "--wait",
            "5",
        ]),
        vec![],
        bin.path(),
    )
    .await;
    run.step(1, "ok");
    run.step(2, "ok");
    let skipped = run.step(2, "skip");
    assert!(
        skipped.contains("cannot run the Azure CLI (az)"),
        "{skipped}"
    );
    assert!(
        skipped.contains("PRE_AUTHORIZED_CLIENT_IDS aebc6443-996d-45c2-90f0-388ff96faa56,04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
        "{skipped}"
    );
    assert!(
        !run.stdout.contains(&format!("[3/{STEPS}]")),
        "{}",
        run.stdout
    );
    assert!(
        run.verdict().starts_with(&format!(
            "{SAYS_INCOMPLETE}: steps 1-2 passed; steps 3-{STEPS} need a bearer token"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(run.code(), Some(0));
}

// ---- failures -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_401_without_resource_metadata_names_the_missing_setting() {
    // A 401 with no challenge at all, as the Functions host's key check answers.
    let stand_in =
        ServedHandler::start_router(Router::new().fallback(|| async { StatusCode::UNAUTHORIZED }))
            .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--auth", "entra", "--wait", "1"]),
        vec![("MCP_BEARER_TOKEN", TOKEN.to_owned())],
        bin.path(),
    )
    .await;
    run.assert_failed_at(2);
    run.assert_says(&[
        &format!("{SAYS_NO_METADATA} (no WWW-Authenticate header)"),
        "WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES",
        "AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: scripts/test.sh"]
async fn a_403_for_the_host_names_the_value_for_mcp_allowed_hosts() {
    // The platform forwarding the public Host to a handler that does not know it (no
    // WEBSITE_HOSTNAME): the real binary's real refusal.
    let nws = nws(false).await;
    let handler = Handler::start(&[("NWS_API_BASE_URL", nws.uri().as_str())]);
    let nginx = Nginx::start(handler.addr.port(), PUBLIC_HOST);
    let bin = bin_dir();
    let run = smoke(
        words(&[&nginx.url("/mcp"), "--wait", "5"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(2);
    run.assert_says(&[
        &format!("{SAYS_HOST_REFUSED} {PUBLIC_HOST}"),
        &format!("azd env set MCP_ALLOWED_HOSTS {PUBLIC_HOST}, then azd provision"),
        "the Host the handler saw",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_404_on_mcp_says_the_profile_or_the_preview_flag_is_not_in_effect() {
    // The host without the profile: no route for /mcp (an empty 404), and its homepage
    // answer to GET / (204 when the homepage is disabled: HomepageMiddleware.cs).
    let stand_in = ServedHandler::start_router(
        Router::new()
            .route("/", get(|| async { StatusCode::NO_CONTENT }))
            .fallback(|| async { StatusCode::NOT_FOUND }),
    )
    .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--wait", "1"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(2);
    run.assert_says(&[
        "POST /mcp without credentials answered 404 Not Found",
        SAYS_NOT_ROUTED,
        "\"configurationProfile\": \"mcp-custom-handler\"",
        "AzureWebJobsFeatureFlags must contain EnableMcpCustomHandlerPreview",
        "GET / did not come from the handler either (HTTP 204 No Content",
    ]);

    // Behind an auth layer the 404 shows at step 3, with the same diagnosis.
    let key_gate =
        ServedHandler::start_router(Router::new().fallback(|headers: HeaderMap| async move {
            if headers.get("x-functions-key").is_none() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::NOT_FOUND
            }
        }))
        .await;
    let run = smoke(
        words(&[&key_gate.mcp_url(), "--auth", "key", "--wait", "1"]),
        vec![("MCP_FUNCTION_KEY", FUNCTION_KEY.to_owned())],
        bin.path(),
    )
    .await;
    run.assert_failed_at(3);
    run.assert_says(&[
        "POST /mcp initialize answered 404 Not Found",
        SAYS_NOT_ROUTED,
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_502_names_the_host_log_its_query_and_the_runtime_switch() {
    // YARP's answer when the handler does not accept connections: 502, empty body.
    let stand_in =
        ServedHandler::start_router(Router::new().fallback(|| async { StatusCode::BAD_GATEWAY }))
            .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[
            &stand_in.mcp_url(),
            "--resource-group",
            "rg-smoke",
            "--app-insights",
            "appi-smoke",
            "--wait",
            "1",
            "--timeout",
            "2",
        ]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(1);
    let failed = run.step(1, "FAIL");
    assert!(
        failed.contains("GET / answered HTTP 502 Bad Gateway ("),
        "{failed}"
    );
    assert!(failed.contains(" attempts over "), "retried: {failed}");
    run.assert_says(&[
        SAYS_HANDLER_DOWN,
        "Application Insights, table traces",
        "az monitor app-insights query --app appi-smoke --resource-group rg-smoke --offset 1h --analytics-query \"traces |",
        "azd env set FLEX_RUNTIME node, then azd provision and azd deploy",
        "mode 0755",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_endpoint_times_out_within_the_allowance() {
    let stand_in =
        ServedHandler::start_router(Router::new().fallback(std::future::pending::<StatusCode>))
            .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--wait", "1", "--timeout", "0.3"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(1);
    run.assert_says(&[
        &format!("{SAYS_NO_ANSWER} 0.3 s per request ("),
        "cold-start allowance 1 s)",
        "raise it with --wait SECONDS",
        "az functionapp show",
    ]);
}

/// An MCP server that is not this one, served through the real `/mcp` transport:
/// it declares tools and lists none.
#[derive(Clone)]
struct OtherServer;

impl ServerHandler for OtherServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("other-mcp-server", "1.2.3"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_mcp_server_passes_and_the_round_trip_is_skipped_with_the_reason() {
    let stand_in = ServedHandler::start(OtherServer).await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--wait", "1"]),
        vec![],
        bin.path(),
    )
    .await;
    let skipped = run.assert_passed_without_round_trip();
    assert!(
        skipped.contains("other-mcp-server 1.2.3 lists none of the round trip's tools (rust-mcp-functions: get_alerts, save_snippet, get_snippet, delete_snippet)"),
        "{skipped}"
    );
    assert!(skipped.contains("--round-trip requires them"), "{skipped}");
    assert!(run.step(4, "ok").contains("0 tools"), "{}", run.stdout);
    assert!(
        run.verdict().contains(&format!(
            "{} serves other-mcp-server 1.2.3;",
            stand_in.mcp_url()
        )),
        "{}",
        run.stdout
    );
}

/// The calculator example (examples/calculator.rs), started as the Functions host starts
/// a handler: another rmcp server on the hosting crate.
fn calculator() -> Handler {
    Handler::start_binary(
        &example_binary("calculator"),
        tempfile::tempdir().unwrap(),
        &[],
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: scripts/test.sh"]
async fn a_server_that_is_not_ours_passes_through_the_proxy_without_the_round_trip() {
    let calculator = calculator();
    let nginx = Nginx::start(calculator.addr.port(), &calculator.addr.to_string());
    let bin = bin_dir();
    let run = smoke(
        words(&[&nginx.url("/mcp"), "--wait", "5"]),
        vec![],
        bin.path(),
    )
    .await;
    let skipped = run.assert_passed_without_round_trip();
    assert!(
        skipped.contains("calculator 1.0.0 lists none of the round trip's tools"),
        "{skipped}"
    );
    assert!(
        run.step(3, "ok")
            .contains("calculator 1.0.0 over 2025-11-25; capabilities: "),
        "{}",
        run.stdout
    );
    let tools = run.step(4, "ok");
    assert!(
        tools.contains("2 tools: ") && tools.contains("sum") && tools.contains("sub"),
        "{tools}"
    );
    let host = run.step(5, "ok");
    assert!(
        host.contains(&format!(
            "Host: {} (loopback: always allowed); X-Forwarded-Host: {PUBLIC_HOST}",
            calculator.addr
        )),
        "{host}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_round_trip_asked_of_another_server_names_the_missing_tools() {
    let calculator = calculator();
    let bin = bin_dir();
    let run = smoke(
        words(&[&calculator.url("/mcp"), "--round-trip", "--wait", "5"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(ROUND_TRIP);
    let failed = run.step(ROUND_TRIP, "FAIL");
    assert!(
        failed.contains(&format!("the MCP server calculator 1.0.0 {SAYS_NOT_OURS} get_alerts, save_snippet, get_snippet, delete_snippet; it lists: ")),
        "{failed}"
    );
    run.assert_says(&[
        "--round-trip asks for the round trip of rust-mcp-functions",
        "azd env get-value MCP_URL",
        "run the check without --round-trip: steps 1-5 check what every MCP server must pass",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_without_an_object_input_schema_is_named() {
    // A hand-written server whose tool list MCP clients would refuse.
    let stand_in = ServedHandler::start_router(Router::new().route(
        "/mcp",
        post(|Json(request): Json<Value>| async move {
            let result = match request["method"].as_str() {
                Some("initialize") => json!({
                    "protocolVersion": "2025-11-25",
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "hand-written", "version": "0.0.1"},
                }),
                Some("tools/list") => json!({"tools": [
                    {"name": "ok", "inputSchema": {"type": "object"}},
                    {"name": "echo", "inputSchema": {"type": "string"}},
                ]}),
                _ => return StatusCode::ACCEPTED.into_response(),
            };
            Json(json!({"jsonrpc": "2.0", "id": request["id"], "result": result})).into_response()
        }),
    ))
    .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--wait", "1"]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(4);
    run.assert_says(&[
        &format!("tools/list: the tool \"echo\" {SAYS_BAD_SCHEMA}"),
        "clients such as the TypeScript SDK refuse the whole list",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storage_403_on_save_says_the_identity_lacks_its_role() {
    // Blob Storage refusing the app's identity, with the service's recorded answer,
    // to every request a save makes: the listing that counts the collection (the
    // container's path) and the write of the snippet's blob.
    let blobs = MockServer::start().await;
    let refusal =
        std::fs::read(repo_root().join("tests/fixtures/storage-error-403-permission-mismatch.xml"))
            .unwrap();
    // Every request to the container: the save lists the container before it writes.
    Mock::given(path_regex("^/devstoreaccount1/snippets(/|$)"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ms-error-code", "AuthorizationPermissionMismatch")
                .set_body_raw(refusal, "application/xml"),
        )
        .expect(1..)
        .mount(&blobs)
        .await;
    let storage = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={}/devstoreaccount1/;",
        blobs.uri()
    );
    let nws = nws(true).await;
    let handler = handler(&nws, &[("AzureWebJobsStorage", &storage)]);
    let bin = bin_dir();
    let run = smoke(
        words(&[
            &handler.url("/mcp"),
            "--wait",
            "5",
            "--resource-group",
            "rg-smoke",
        ]),
        vec![],
        bin.path(),
    )
    .await;
    run.assert_failed_at(ROUND_TRIP);
    let failed = run.step(ROUND_TRIP, "FAIL");
    assert!(
        failed.contains(&format!("{SAYS_STORAGE_REFUSED}: ")),
        "{failed}"
    );
    run.assert_says(&[
        "Storage refused the app (HTTP 403)",
        "Storage Blob Data Contributor",
        "can take up to 10 minutes, so run the check again",
        "az role assignment list --all --assignee $(az identity list -g rg-smoke",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_echoed_by_the_server_is_masked() {
    // A server that pastes the request's key into an error body, which the check quotes.
    let stand_in =
        ServedHandler::start_router(Router::new().fallback(|headers: HeaderMap| async move {
            match headers.get("x-functions-key") {
                None => (StatusCode::UNAUTHORIZED, String::new()),
                Some(key) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("failure for key {}", key.to_str().unwrap()),
                ),
            }
        }))
        .await;
    let bin = bin_dir();
    let run = smoke(
        words(&[&stand_in.mcp_url(), "--auth", "key", "--wait", "1"]),
        vec![("MCP_FUNCTION_KEY", FUNCTION_KEY.to_owned())],
        bin.path(),
    )
    .await;
    run.assert_failed_at(3);
    run.assert_says(&["answered HTTP 500 Internal Server Error: failure for key [credential]"]);
}

// ---- the azd hook -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_hook_script_reads_the_deployment_from_azd() {
    let nws = nws(true).await;
    let handler = handler(&nws, &[]);
    let bin = bin_dir();
    // A fake azd that knows this environment's outputs, and fails for any other name
    // as `azd env get-value` does.
    write_script(
        &bin.path().join("azd"),
        &format!(
            "#!/bin/sh\ncase \"$1 $2 $3\" in\n  'env get-value MCP_URL') echo '{}' ;;\n  'env get-value MCP_AUTH_MODE') echo none ;;\n  'env get-value AZURE_RESOURCE_GROUP') echo rg-from-azd ;;\n  *) echo \"ERROR: key '$3' not found in the environment values\" >&2; exit 1 ;;\nesac\n",
            handler.url("/mcp")
        ),
    );
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let mut command = Command::new(repo_root().join("scripts/smoke.sh"));
    command
        .args(["--wait", "7"])
        .env_clear()
        .env("PATH", path)
        .env("SMOKE_BIN", smoke_binary());
    let run = finish(command).await;
    run.assert_passed();
    let first = run.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "smoke check of {} (auth none; cold-start allowance 7 s, 60 s per request)",
            handler.url("/mcp")
        ),
        "the URL and mode come from azd, the caller's option after them"
    );

    // A value in the environment (as azd hands its values to hooks) wins over the CLI.
    let mut command = Command::new(repo_root().join("scripts/smoke.sh"));
    command
        .args(["--wait", "1", "--timeout", "0.5"])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("SMOKE_BIN", smoke_binary())
        .env("MCP_URL", "http://127.0.0.1:9/mcp")
        .env("MCP_AUTH_MODE", "key")
        .env("MCP_FUNCTION_KEY", FUNCTION_KEY);
    let run = finish(command).await;
    assert!(
        run.stdout
            .starts_with("smoke check of http://127.0.0.1:9/mcp (auth key;"),
        "{}",
        run.stdout
    );
    run.assert_failed_at(1);
    run.assert_says(&[SAYS_CANNOT_CONNECT, "azd env get-value MCP_URL"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hook_script_runs_in_a_users_crate_with_the_installed_check() {
    // The script as the scaffold copies it into a user's crate: no cargo workspace with
    // the check's package around it, the check on PATH as `cargo install` puts it there,
    // and azd's values handed to the hook in the environment.
    let calculator = calculator();
    let users_crate = tempfile::tempdir().unwrap();
    let script = users_crate.path().join("scripts/smoke.sh");
    std::fs::create_dir(users_crate.path().join("scripts")).unwrap();
    std::fs::copy(repo_root().join("scripts/smoke.sh"), &script).unwrap();
    let bin = bin_dir();
    std::os::unix::fs::symlink(smoke_binary(), bin.path().join("rmcp-functions-smoke")).unwrap();
    // An azd that knows nothing more than the environment says.
    write_script(&bin.path().join("azd"), "#!/bin/sh\nexit 1\n");
    let mut command = Command::new(&script);
    command
        .args(["--wait", "5"])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("MCP_URL", calculator.url("/mcp"))
        .env("MCP_AUTH_MODE", "none");
    let run = finish(command).await;
    assert!(
        run.stdout.starts_with(&format!(
            "smoke check of {} (auth none; cold-start allowance 5 s,",
            calculator.url("/mcp")
        )),
        "{}",
        run.stdout
    );
    run.assert_passed_without_round_trip();
    assert!(
        !run.output.stderr.contains("==>"),
        "nothing is built or installed when the check is on PATH: {}",
        run.output.stderr
    );
}
