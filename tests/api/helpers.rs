//! Starting the server for tests: in-process ([`TestApp`]) or as the real binary
//! started the way the Functions host starts it ([`Handler`]).

#![allow(dead_code)] // each test module uses a different subset

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rmcp::{
    RoleClient, ServiceExt,
    model::{ClientCapabilities, ClientConfig, Implementation},
    service::RunningService,
    transport::StreamableHttpClientTransport,
};
use rust_mcp_functions::{app, config::Config, server::transport};
use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// The headers every streamable-HTTP client must send.
pub const ACCEPT: &str = "application/json, text/event-stream";

/// The server running inside the test process on an ephemeral port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts with these settings on top of test defaults (snippets in a temp dir).
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = HashMap::from([(
            "SNIPPETS_DIR".to_owned(),
            dir.path().join("snippets").display().to_string(),
        )]);
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let task = tokio::spawn(app::serve(listener, config, stop.clone().cancelled_owned()));
        Self {
            addr,
            http: reqwest::Client::new(),
            stop,
            task,
            _dir: dir,
        }
    }

    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// An rmcp client that has completed the initialize handshake.
    pub async fn client(&self) -> RunningService<RoleClient, ClientConfig> {
        mcp_client(&self.mcp_url()).await
    }

    /// POSTs one JSON-RPC message with the headers a conforming client sends.
    pub async fn post(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(self.mcp_url())
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
        self.task.abort();
    }
}

pub async fn mcp_client(url: &str) -> RunningService<RoleClient, ClientConfig> {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("rust-mcp-functions-tests", "0"),
    )
    .serve(transport)
    .await
    .unwrap()
}

/// The `handler` binary, started as the Functions host starts it: a clean
/// environment with only the variables given, in its own working directory.
/// Killed (by PID) when dropped, also when the test panics.
pub struct Handler {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
}

pub fn handler_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_handler"))
}

impl Handler {
    /// Starts the binary on an ephemeral port (`FUNCTIONS_CUSTOMHANDLER_PORT=0`) and
    /// waits for its "listening on" line.
    pub fn start(vars: &[(&str, &str)]) -> Self {
        Self::start_binary(&handler_path(), tempfile::tempdir().unwrap(), vars)
    }

    /// Like [`Handler::start`], for another build of the binary (e.g. the one unpacked
    /// from the deployment zip), run in `dir` as the host runs it in the app's root.
    pub fn start_binary(program: &Path, dir: tempfile::TempDir, vars: &[(&str, &str)]) -> Self {
        let mut vars = vars.to_vec();
        if !vars
            .iter()
            .any(|(k, _)| *k == "FUNCTIONS_CUSTOMHANDLER_PORT")
        {
            vars.push(("FUNCTIONS_CUSTOMHANDLER_PORT", "0"));
        }
        let mut child = Command::new(program)
            .env_clear()
            .envs(vars.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push(line);
                }
            });
        }
        let mut handler = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output,
            dir,
        };
        handler.addr = handler.wait_for_listening();
        handler
    }

    fn wait_for_listening(&mut self) -> SocketAddr {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.output().iter().find_map(|line| {
                let rest = line.split("listening on http://").nth(1)?;
                rest.split('/').next()?.parse().ok()
            });
            if let Some(addr) = found {
                return addr;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("handler exited with {status}: {:#?}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "handler did not report its address: {:#?}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        self.wait_with_timeout(Duration::from_secs(15))
            .expect("handler did not exit within 15 s of SIGTERM")
    }

    pub fn wait_with_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion (for start-up failures) with a bounded wait.
pub fn run_handler_to_exit(vars: &[(&str, &str)]) -> (ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(handler_path())
        .env_clear()
        .envs(vars.iter().copied())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("handler kept running; expected it to exit at once");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status, text)
}

/// The path of a tool installed by `scripts/test.sh`, from its `MCP_TEST_*` variable.
pub fn installed_tool(var: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{var} is not set: run the tests with scripts/test.sh, which installs the MCP client SDKs and test tools")
    });
    assert!(
        path.exists(),
        "{var}={} does not exist: run scripts/test.sh",
        path.display()
    );
    path
}

/// The repository root, for files the tests read (host.json, tests/clients/...).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Calls a tool through an MCP client and returns its result.
pub async fn call_tool(
    client: &RunningService<RoleClient, ClientConfig>,
    name: &str,
    arguments: Value,
) -> rmcp::model::CallToolResult {
    let arguments = arguments.as_object().cloned().expect("arguments object");
    client
        .call_tool(
            rmcp::model::CallToolRequestParams::new(name.to_owned()).with_arguments(arguments),
        )
        .await
        .unwrap_or_else(|e| panic!("{name} failed at the protocol level: {e}"))
}

/// The text blocks of a tool result, joined.
pub fn result_text(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Azurite's well-known development account key (public, documented by Microsoft).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A real Azurite blob service (installed by `scripts/test.sh`) on 127.0.0.1, on a
/// port of its own choosing. Killed by PID when dropped, also when a test panics.
pub struct Azurite {
    child: Option<Child>,
    pub port: u16,
    /// Where it keeps its data; `None` means in memory (lost when it stops).
    location: Option<PathBuf>,
}

impl Azurite {
    /// In memory: fast, and gone when it stops.
    pub fn start() -> Self {
        Self::launch(0, None)
    }

    /// Data in `location`, so a restart (see [`Azurite::restart`]) keeps it.
    pub fn start_in(location: &std::path::Path) -> Self {
        Self::launch(0, Some(location.to_owned()))
    }

    fn launch(port: u16, location: Option<PathBuf>) -> Self {
        let node = installed_tool("MCP_TEST_NODE");
        let script = installed_tool("MCP_TEST_NPM_BIN").join("azurite-blob");
        let mut command = Command::new(node);
        command.arg(&script).args([
            "--silent",
            "--disableTelemetry",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
        ]);
        match &location {
            Some(dir) => command.arg("--location").arg(dir),
            None => command.arg("--inMemoryPersistence"),
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines_tx, lines) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines_tx = lines_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = lines_tx.send(line);
                }
            });
        }
        let mut azurite = Self {
            child: Some(child),
            port,
            location,
        };
        // "Azurite Blob service successfully listens on http://127.0.0.1:37319"
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(remaining) {
                Ok(line) => {
                    if let Some(port) = line
                        .split("listens on http://127.0.0.1:")
                        .nth(1)
                        .and_then(|p| p.trim().parse().ok())
                    {
                        azurite.port = port;
                        return azurite;
                    }
                    seen.push(line);
                }
                Err(_) => panic!("Azurite did not start: {seen:#?}"),
            }
        }
    }

    /// The account URL, as a connection string's `BlobEndpoint`.
    pub fn blob_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/devstoreaccount1", self.port)
    }

    /// A full connection string, as `AzureWebJobsStorage` takes it.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={}/;",
            self.blob_endpoint()
        )
    }

    /// Stops it like an operator would (SIGTERM, by PID, so it saves its data; SIGKILL
    /// if it lingers) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (and the same data, with [`Azurite::start_in`]).
    pub fn restart(&mut self) {
        self.stop();
        let restarted = Self::launch(self.port, self.location.clone());
        *self = restarted;
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Any `rmcp` handler served through the real `/mcp` transport
/// ([`transport::router`]) on an ephemeral loopback port, with the real server's
/// default Host and Origin allow-lists. Stopped when dropped.
pub struct ServedHandler {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl ServedHandler {
    pub async fn start<S>(server: S) -> Self
    where
        S: rmcp::ServerHandler + Clone + Send + Sync + 'static,
    {
        let config = Config::from_lookup(|_| None).unwrap();
        let stop = CancellationToken::new();
        let router = transport::router(
            server,
            config.allowed_hosts,
            config.allowed_origins,
            stop.child_token(),
        );
        Self::serve(router, stop).await
    }

    /// Serves any router (e.g. a header echo) the same way.
    pub async fn start_router(router: axum::Router) -> Self {
        Self::serve(router, CancellationToken::new()).await
    }

    async fn serve(router: axum::Router, stop: CancellationToken) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.clone().cancelled_owned())
                .into_future(),
        );
        Self { addr, stop, task }
    }

    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
}

impl Drop for ServedHandler {
    fn drop(&mut self) {
        self.stop.cancel();
        self.task.abort();
    }
}

/// A command that runs an npm-installed script, given by its path under
/// `tests/npm/node_modules` (e.g. `.bin/mcp-inspector`), with the pinned Node 22,
/// which also comes first in the child's `PATH`.
pub fn npm_tool(script: &str) -> Command {
    let node = installed_tool("MCP_TEST_NODE");
    let script = installed_tool("MCP_TEST_NPM_BIN").join("..").join(script);
    assert!(
        script.exists(),
        "{} is missing: run scripts/test.sh",
        script.display()
    );
    let node_dir = node.parent().unwrap().to_owned();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(node_dir).chain(std::env::split_paths(&path)))
        .unwrap();
    let mut command = Command::new(node);
    command.arg(script).env("PATH", path);
    command
}

/// Runs `command` to completion with a bound on its run time: on timeout the child
/// is killed by PID and the test fails with what it printed so far.
pub fn run_bounded(mut command: Command, timeout: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let read = |stream: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = BufReader::new(stream).read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{command:?} did not finish within {timeout:?}:\n{}\n{}",
                String::from_utf8_lossy(&stdout.join().unwrap()),
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A free loopback port (bound, read, released) for processes that cannot be
/// told to pick their own and report it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Debian's nginx configured from `tests/nginx/functions-host.conf.template`: a
/// foreground process with its config, pid file and logs in a temp dir, listening
/// on a free loopback port. Killed by PID when dropped.
pub struct Nginx {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The public host name the proxy tests pretend the app has.
pub const PUBLIC_HOST: &str = "myapp.azurewebsites.net";

impl Nginx {
    /// Proxies to `127.0.0.1:upstream_port`, sending `Host: upstream_host`.
    pub fn start(upstream_port: u16, upstream_host: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().display().to_string();
        let port = free_port();
        let template =
            std::fs::read_to_string(repo_root().join("tests/nginx/functions-host.conf.template"))
                .unwrap();
        let config = template
            .replace("{{PREFIX}}", &prefix)
            .replace("{{LISTEN_PORT}}", &port.to_string())
            .replace("{{UPSTREAM_PORT}}", &upstream_port.to_string())
            .replace("{{UPSTREAM_HOST}}", upstream_host)
            .replace("{{PUBLIC_HOST}}", PUBLIC_HOST);
        assert!(!config.contains("{{"), "unfilled placeholder:\n{config}");
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("nginx is not installed: run scripts/test.sh (it installs Debian's nginx)");
        let child = Command::new(binary)
            .args(["-p", &prefix, "-e", &format!("{prefix}/error.log"), "-c"])
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited with {status}: {}", nginx.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen: {}",
                nginx.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
