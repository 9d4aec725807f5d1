//! rmcp's share of a request, for `bench/instructions.sh`: this server's handler
//! ([`McpServer`], the same tools) behind rmcp's stateless streamable-HTTP service with
//! the settings the hosting layer gives it, and nothing else: no request log, no
//! JSON-RPC error layer, no serialized tool list (rmcp writes the list itself), no log
//! subscriber. Same runtime and allocator as the deployed binary.
//!
//! What a `ping` costs here is what rmcp costs per request whatever the handler does;
//! the deployed binary's count minus this one is the hosting layer's.
//!
//! `cargo run --release --example rmcp_floor` reads the same environment variables as
//! the server, prints `listening on http://127.0.0.1:PORT/mcp` and serves until SIGTERM
//! or Ctrl-C.

use std::{net::SocketAddr, sync::Arc};

use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use rmcp_functions as hosting;
use rust_mcp_functions::{config::Config, server::McpServer};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let server = McpServer::new(&config)?;
    let settings = &config.hosting;
    // The settings of crates/rmcp-functions/src/transport.rs.
    let rmcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(Some(hosting::DEFAULT_SSE_KEEP_ALIVE))
        .with_allowed_hosts(settings.allowed_hosts.clone())
        .with_allowed_origins(settings.allowed_origins.clone())
        .with_max_request_body_bytes(hosting::DEFAULT_MAX_REQUEST_BODY_BYTES);
    // Shared, as the hosting layer shares it: `handle` is what rmcp's `Service::call`
    // runs after cloning the whole service.
    let service = Arc::new(StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        rmcp_config,
    ));
    let router = axum::Router::new().route(
        "/mcp",
        axum::routing::any(move |request: axum::extract::Request| {
            let service = Arc::clone(&service);
            async move { service.handle(request).await }
        }),
    );
    let listener =
        TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], settings.port.number))).await?;
    println!("listening on http://{}/mcp", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(hosting::shutdown_signal())
        .await?;
    Ok(())
}
