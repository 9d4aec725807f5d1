//! Azurite, Microsoft's Blob Storage emulator (installed by `scripts/test.sh`).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use super::process::{Captured, installed_tool};

/// Azurite's well-known development account key (public, documented by Microsoft).
pub(crate) const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A real Azurite blob service on 127.0.0.1, on a port of its own choosing (read
/// back from its log). Killed by PID when dropped, also when a test panics.
pub(crate) struct Azurite {
    process: Option<Captured>,
    pub port: u16,
    /// Where it keeps its data; `None` means in memory (lost when it stops).
    location: Option<PathBuf>,
}

impl Azurite {
    /// In memory: fast, and gone when it stops.
    pub(crate) fn start() -> Self {
        Self::launch(0, None)
    }

    /// Data in `location`, so a restart (see [`Azurite::restart`]) keeps it.
    pub(crate) fn start_in(location: &Path) -> Self {
        Self::launch(0, Some(location.to_owned()))
    }

    fn launch(port: u16, location: Option<PathBuf>) -> Self {
        let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
        command
            .arg(installed_tool("MCP_TEST_NPM_BIN").join("azurite-blob"))
            .args(["--silent", "--disableTelemetry", "--blobHost", "127.0.0.1"])
            .args(["--blobPort", &port.to_string()]);
        match &location {
            Some(dir) => command.arg("--location").arg(dir),
            None => command.arg("--inMemoryPersistence"),
        };
        let mut process = Captured::spawn(&mut command);
        // "Azurite Blob service successfully listens on http://127.0.0.1:37319"
        let port = process.wait_for_line(Duration::from_secs(60), "Azurite to listen", |line| {
            line.split("listens on http://127.0.0.1:")
                .nth(1)
                .and_then(|p| p.trim().parse().ok())
        });
        Self {
            process: Some(process),
            port,
            location,
        }
    }

    /// The account URL, as a connection string's `BlobEndpoint`.
    pub(crate) fn blob_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/devstoreaccount1", self.port)
    }

    /// A full connection string, as `AzureWebJobsStorage` takes it.
    pub(crate) fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={}/;",
            self.blob_endpoint()
        )
    }

    /// Stops it like an operator would (SIGTERM, so it saves its data; killed if it
    /// lingers) and waits for it to exit.
    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.signal("TERM");
            process.wait(Duration::from_secs(15));
        }
    }

    /// Starts it again on the same port (and the same data, with [`Azurite::start_in`]).
    pub(crate) fn restart(&mut self) {
        self.stop();
        *self = Self::launch(self.port, self.location.clone());
    }
}
