//! What the tests share, by concern:
//! - `app`: our server, or any rmcp handler, served in the test process through
//!   the real hosting layer ([`TestApp`], [`ServedHandler`]), and MCP clients for them;
//! - `process`: child processes: the real binary ([`Handler`]), spawning with
//!   captured output, waiting with a deadline, the tools `scripts/test.sh` installs;
//! - `upstreams`: local stand-ins for the weather APIs;
//! - `identity`: signed-in callers, as built-in authentication forwards them;
//! - `storage`: Azurite;
//! - `proxy`: nginx forwarding like the Functions host;
//! - `clients`: the TypeScript and Python SDK clients.

pub(crate) mod app;
pub(crate) mod clients;
pub(crate) mod identity;
pub(crate) mod process;
pub(crate) mod proxy;
pub(crate) mod storage;
pub(crate) mod upstreams;

pub(crate) use self::{
    app::{ACCEPT, ServedHandler, TestApp, call_tool, mcp_client, result_text},
    clients::{PYTHON_SDKS, python_client, typescript_client},
    process::{
        Handler, example_binary, handler_path, installed_tool, npm_tool, repo_root, run_bounded,
        run_handler_to_exit, wait_until, workspace_binary,
    },
    proxy::{Nginx, PUBLIC_HOST},
    storage::{AZURITE_KEY, Azurite},
    upstreams::{USER_AGENT, Upstreams, answer, fixture},
};
