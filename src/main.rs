//! The custom-handler binary the Functions host starts.

use std::{
    net::{Ipv4Addr, SocketAddr},
    process::ExitCode,
};

use rust_mcp_functions::{app, config::Config, telemetry};
use tokio::net::TcpListener;

/// The deployed binary links musl statically, and musl's own allocator made every
/// request cost 2 to 4 times the CPU it costs on glibc (measured with bench/run.sh:
/// tools/list 80-160 µs against ~40 µs). mimalloc brings the musl build back to
/// glibc's figures, on every target alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(config.log_format, &config.log_filter);

    // IPv4 loopback: the host dials 127.0.0.1, and nothing else should reach us.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port.number));
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {addr} ({}): {e}", config.port);
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => tracing::info!("listening on http://{bound}/mcp"),
        Err(e) => tracing::warn!("listening, but the bound address is unknown: {e}"),
    }

    if let Err(e) = app::serve(listener, config, app::shutdown_signal()).await {
        tracing::error!("server failed: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
