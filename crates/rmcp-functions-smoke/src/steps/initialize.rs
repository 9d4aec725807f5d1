//! Step 3: `initialize`, with credentials, as any MCP client starts: the server names
//! itself, the protocol revision it chose and what it offers.

use std::fmt;

use serde_json::Value;

use super::Check;
use crate::{
    client::{Answer, Mcp},
    report::{Failure, Step},
};

pub const STEP: Step = Step {
    number: 3,
    name: "initialize",
};

/// What `initialize` said about the server.
pub struct Server {
    pub name: String,
    pub version: String,
    /// Whether it declared the `tools` capability (else step 4 does not ask).
    pub has_tools: bool,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// `initialize` and `notifications/initialized`; returns the server and the step's detail.
pub async fn check(
    check: &Check<'_>,
    mcp: &mut Mcp<'_>,
    ready: &Answer,
) -> Result<(Server, String), Failure> {
    let result = mcp
        .initialize()
        .await
        .map_err(|e| check.mcp_failure("initialize", e, ready))?;
    let text = |field: &Value, missing: &str| field.as_str().unwrap_or(missing).to_owned();
    let capabilities = &result["capabilities"];
    let server = Server {
        name: text(&result["serverInfo"]["name"], "(no name)"),
        version: text(&result["serverInfo"]["version"], "?"),
        has_tools: capabilities.get("tools").is_some(),
    };
    let offered: Vec<&str> = capabilities
        .as_object()
        .map(|c| c.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let detail = format!(
        "{server} over {}; capabilities: {}",
        mcp.version(),
        if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(", ")
        }
    );
    Ok((server, detail))
}
