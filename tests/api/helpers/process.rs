//! Child processes: the real `handler` binary started the way the Functions host
//! starts it ([`Handler`]), one way to spawn anything and capture its output
//! ([`Captured`]), one way to wait for something with a deadline ([`wait_until`]),
//! and the tools `scripts/test.sh` installs.
//!
//! Every child is killed by PID when its value drops, also when a test panics.

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Polls `check` every 10 ms until it returns `Some`, and returns that; fails the
/// test, naming `what`, when `timeout` passes first.
pub(crate) fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Which stream a captured line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// A running child whose stdout and stderr are collected, line by line, as it writes
/// them. Killed when dropped.
pub(crate) struct Captured {
    child: Child,
    lines: Arc<Mutex<Vec<(Stream, String)>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Captured {
    pub(crate) fn spawn(command: &mut Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let streams: [(Stream, Box<dyn Read + Send>); 2] = [
            (Stream::Stdout, Box::new(child.stdout.take().unwrap())),
            (Stream::Stderr, Box::new(child.stderr.take().unwrap())),
        ];
        let readers = streams
            .into_iter()
            .map(|(stream, reader)| {
                let lines = Arc::clone(&lines);
                std::thread::spawn(move || {
                    for line in BufReader::new(reader).lines().map_while(Result::ok) {
                        lines.lock().unwrap().push((stream, line));
                    }
                })
            })
            .collect();
        Self {
            child,
            lines,
            readers,
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line written so far, both streams, in arrival order.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|(_, line)| line.clone())
            .collect()
    }

    /// The lines one stream wrote so far, joined.
    pub(crate) fn text(&self, stream: Stream) -> String {
        let lines = self.lines.lock().unwrap();
        let mut text = String::new();
        for (_, line) in lines.iter().filter(|(s, _)| *s == stream) {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Waits until a line makes `find` return `Some`. Fails if the child exits or
    /// `timeout` passes first, printing what it wrote.
    pub(crate) fn wait_for_line<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        find: impl Fn(&str) -> Option<T>,
    ) -> T {
        wait_until(timeout, what, || {
            if let Some(found) = self.lines().iter().find_map(|line| find(line)) {
                return Some(found);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the process exited ({status}) before {what}: {:#?}",
                    self.lines()
                );
            }
            None
        })
    }

    /// Waits for the child to exit, at most `timeout`; `None` if it is still running.
    pub(crate) fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its pipes are closed: let the readers take the last lines.
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` (e.g. "TERM") to the child.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a command printed and how it ended ([`run_bounded`]).
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` to completion within `timeout`: on timeout the child is killed and
/// the test fails with what it printed so far.
pub(crate) fn run_bounded(mut command: Command, timeout: Duration) -> Finished {
    let mut child = Captured::spawn(&mut command);
    let Some(status) = child.wait(timeout) else {
        panic!(
            "{command:?} did not finish within {timeout:?}:\n{}",
            child.lines().join("\n")
        );
    };
    Finished {
        status,
        stdout: child.text(Stream::Stdout),
        stderr: child.text(Stream::Stderr),
    }
}

/// The `handler` binary, started as the Functions host starts it: a clean
/// environment with only the variables given, in its own working directory, on an
/// ephemeral port (`FUNCTIONS_CUSTOMHANDLER_PORT=0`, read back from its log).
pub(crate) struct Handler {
    process: Captured,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
}

pub(crate) fn handler_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_handler"))
}

/// Where cargo put this test binary's sibling artefacts: `target/debug` for
/// `target/debug/deps/api-<hash>`.
pub(crate) fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_owned()
}

/// The binary `bin` of the workspace crate `package`, built on first use, since cargo
/// hands a test only its own crate's binaries.
pub(crate) fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    cargo_built(&["-p", package, "--bin", bin], bin)
}

/// The example `name` of this crate, built on first use, since `cargo test` builds the
/// examples only when no test target is named.
pub(crate) fn example_binary(name: &str) -> PathBuf {
    cargo_built(
        &["-p", env!("CARGO_PKG_NAME"), "--example", name],
        &format!("examples/{name}"),
    )
}

/// Runs `cargo build` with `selection` once per test process and returns `artefact`
/// under the target directory: up to date whichever test filter selected the caller.
fn cargo_built(selection: &[&str], artefact: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let key = selection.join(" ");
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.contains(&key) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--locked"])
            .args(selection)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build {key} failed");
        built.push(key);
    }
    target_profile_dir().join(artefact)
}

/// Starts `program` with exactly `vars` as its environment, in `dir`.
fn handler_command(program: &Path, dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .envs(vars.iter().copied())
        .current_dir(dir);
    command
}

impl Handler {
    /// Starts the binary with `vars` and waits for its "listening on" line.
    pub(crate) fn start(vars: &[(&str, &str)]) -> Self {
        Self::start_binary(&handler_path(), tempfile::tempdir().unwrap(), vars)
    }

    /// Like [`Handler::start`], for another build of the binary (e.g. the one unpacked
    /// from the deployment zip), run in `dir` as the host runs it in the app's root.
    pub(crate) fn start_binary(
        program: &Path,
        dir: tempfile::TempDir,
        vars: &[(&str, &str)],
    ) -> Self {
        let mut vars = vars.to_vec();
        if !vars
            .iter()
            .any(|(k, _)| *k == "FUNCTIONS_CUSTOMHANDLER_PORT")
        {
            vars.push(("FUNCTIONS_CUSTOMHANDLER_PORT", "0"));
        }
        let mut process = Captured::spawn(&mut handler_command(program, dir.path(), &vars));
        let addr = process.wait_for_line(Duration::from_secs(20), "its address", |line| {
            let rest = line.split("listening on http://").nth(1)?;
            rest.split('/').next()?.parse().ok()
        });
        Self { process, addr, dir }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub(crate) fn output(&self) -> Vec<String> {
        self.process.lines()
    }

    /// Waits until a line of the output contains `text`, and returns that line.
    pub(crate) fn wait_for_output(&mut self, text: &str) -> String {
        self.process
            .wait_for_line(Duration::from_secs(10), text, |line| {
                line.contains(text).then(|| line.to_owned())
            })
    }

    /// Sends SIGTERM.
    pub(crate) fn signal_terminate(&self) {
        self.process.signal("TERM");
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        self.signal_terminate();
        self.wait_for_exit()
    }

    /// Waits (bounded) for the process to exit.
    pub(crate) fn wait_for_exit(&mut self) -> ExitStatus {
        self.process
            .wait(Duration::from_secs(15))
            .unwrap_or_else(|| panic!("handler did not exit: {:#?}", self.output()))
    }
}

/// Runs the binary with `vars` to completion (for start-up failures), expecting it
/// to exit at once; returns its status and everything it printed.
pub(crate) fn run_handler_to_exit(vars: &[(&str, &str)]) -> (ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let command = handler_command(&handler_path(), dir.path(), vars);
    let finished = run_bounded(command, Duration::from_secs(10));
    (
        finished.status,
        format!("{}{}", finished.stdout, finished.stderr),
    )
}

/// The path of a tool installed by `scripts/test.sh`, from its `MCP_TEST_*` variable.
pub(crate) fn installed_tool(var: &str) -> PathBuf {
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

/// A command that runs an npm-installed script, given by its path under
/// `tests/npm/node_modules` (e.g. `.bin/mcp-inspector`), with the pinned Node 22,
/// which also comes first in the child's `PATH`.
pub(crate) fn npm_tool(script: &str) -> Command {
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

/// The repository root, for files the tests read (host.json, tests/fixtures/...).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
