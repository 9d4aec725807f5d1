//! Debian's nginx in front of the server, configured from
//! `tests/nginx/functions-host.conf.template` to forward the way the Functions
//! host's proxy does.

use std::{path::Path, process::Command, time::Duration};

use super::process::{Captured, repo_root, wait_until};

/// The public host name the proxy tests pretend the app has.
pub(crate) const PUBLIC_HOST: &str = "myapp.azurewebsites.net";

/// nginx as a foreground process with its config, pid file and logs in a temp dir,
/// listening on a loopback port. Killed by PID when dropped.
pub(crate) struct Nginx {
    _process: Captured,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Proxies to `127.0.0.1:upstream_port`, sending `Host: upstream_host`.
    ///
    /// nginx cannot listen on port 0, so the port comes from the OS (bound and
    /// released); should another process take it in between, nginx exits with
    /// "Address already in use" and is started again on a fresh port.
    pub(crate) fn start(upstream_port: u16, upstream_host: &str) -> Self {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if let Some(nginx) = Self::try_start(dir, port, upstream_port, upstream_host) {
                return nginx;
            }
        }
        panic!("nginx could not find a free port in 5 tries");
    }

    fn try_start(
        dir: tempfile::TempDir,
        port: u16,
        upstream_port: u16,
        upstream_host: &str,
    ) -> Option<Self> {
        let prefix = dir.path().display().to_string();
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
            .find(|p| Path::new(p).exists())
            .expect("nginx is not installed: run scripts/test.sh (it installs Debian's nginx)");
        let mut process = Captured::spawn(
            Command::new(binary)
                .args(["-p", &prefix, "-e", &format!("{prefix}/error.log"), "-c"])
                .arg(&config_path),
        );
        let error_log = dir.path().join("error.log");
        let listening = wait_until(Duration::from_secs(10), "nginx to listen", || {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(true);
            }
            process.wait(Duration::ZERO).map(|status| {
                let log = std::fs::read_to_string(&error_log).unwrap_or_default();
                assert!(
                    log.contains("Address already in use"),
                    "nginx exited with {status}: {log}"
                );
                false
            })
        });
        listening.then(|| Self {
            _process: process,
            port,
            dir,
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}
