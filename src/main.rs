//! The custom-handler binary the Functions host starts.

use std::process::ExitCode;

use rmcp_functions::CustomHandler;
use rust_mcp_functions::{config::Config, server::McpServer};

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
    rmcp_functions::init_logging(&config.hosting);
    // Building the handler does no I/O, so the readiness probe is answered as soon
    // as `run` has bound the port.
    let server = match McpServer::new(&config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot make a requestState key: {e}");
            return ExitCode::FAILURE;
        }
    };
    CustomHandler::new(config.hosting).run(server).await
}
