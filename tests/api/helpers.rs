//! Starting the server for tests: in-process ([`TestApp`]) or as the real binary
//! started the way the Functions host starts it ([`Handler`]).

#![allow(dead_code)] // each test module uses a different subset

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rmcp::{
    RoleClient, ServiceExt,
    model::{ClientCapabilities, ClientConfig, Implementation},
    service::RunningService,
    transport::StreamableHttpClientTransport,
};
use rust_mcp_functions::{app, config::Config};
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
