//! The floor for `bench/instructions.sh`: the least a Rust HTTP/1.1 server on tokio does
//! per request, with nothing of MCP in it.
//!
//! It answers every request on every path with the same bytes, read once at start-up
//! from the file named by its first argument (the harness saves our server's own
//! `tools/list` answer there), as `application/json`. It reads each request body in
//! full, as any server must, and looks at nothing else: no routing, no header checks,
//! no JSON. Same runtime (tokio, multi-threaded), allocator (mimalloc) and HTTP stack
//! (hyper 1, as under axum) as the server, so the instruction count per request that
//! `bench/instructions.sh` measures for it is what HTTP/1.1 keep-alive costs at the
//! least, and the rest of the server's count is ours.
//!
//! `cargo run --release --example floor -- body.json` prints
//! `listening on http://127.0.0.1:PORT` and serves until SIGTERM or Ctrl-C.

use std::{convert::Infallible, net::SocketAddr, path::PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, header, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The allocator the deployed server uses, so the floor is not cheaper for a reason the
/// server cannot share.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: floor BODY_FILE");
        std::process::exit(2);
    };
    let body = Bytes::from(std::fs::read(&path)?);
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    println!("listening on http://{}", listener.local_addr()?);

    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stop => return Ok(()),
        };
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let body = body.clone();
                async move {
                    // Read the request to its end, as a real server must before answering
                    // on a kept-alive connection; a broken body is the client's problem.
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(body));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            // A connection that fails (the client went away) ends only itself.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Resolves on SIGTERM or Ctrl-C, so the process exits normally (and a profiler running
/// it writes its output).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
