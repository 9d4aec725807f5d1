//! Step 4: `tools/list` answers, page by page, with tools any MCP client accepts.

use serde_json::{Value, json};

use super::{Check, initialize::Server};
use crate::{
    client::{Answer, Mcp},
    report::{Failure, Step},
};

pub const STEP: Step = Step {
    number: 4,
    name: "tools/list",
};

/// More pages than any server needs: a cursor that never ends is a bug to report.
const MAX_PAGES: usize = 50;

/// Every tool's name, in the order listed; empty when the server declares no tools.
pub async fn check(
    check: &Check<'_>,
    mcp: &Mcp<'_>,
    server: &Server,
    ready: &Answer,
) -> Result<(Vec<String>, String), Failure> {
    if !server.has_tools {
        return Ok((
            Vec::new(),
            "not asked: initialize declared no tools capability".to_owned(),
        ));
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 1..=MAX_PAGES {
        let params = match &cursor {
            Some(cursor) => json!({"cursor": cursor}),
            None => json!({}),
        };
        let listed = mcp
            .request("tools/list", params)
            .await
            .map_err(|e| check.mcp_failure("tools/list", e, ready))?;
        let Some(tools) = listed["tools"].as_array() else {
            return Err(Failure::new(
                format!("tools/list answered without a tools array (page {page})"),
                &[
                    "The result of tools/list must hold \"tools\": [...]: is a proxy rewriting the answer, or does the server build it by hand?",
                ],
            ));
        };
        for tool in tools {
            names.push(well_formed(tool)?);
        }
        match listed["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                let detail = format!("{} tools: {}", names.len(), names.join(", "));
                return Ok((names, detail));
            }
        }
    }
    Err(Failure::new(
        format!("tools/list still names a nextCursor after {MAX_PAGES} pages"),
        &["The server's pagination does not end: a client listing its tools never finishes."],
    ))
}

/// The tool's name, if it has one and an `inputSchema` of type object, as the
/// specification requires (MCP clients such as the TypeScript SDK refuse the whole list
/// otherwise).
fn well_formed(tool: &Value) -> Result<String, Failure> {
    let name = tool["name"].as_str();
    let schema_type = tool["inputSchema"]["type"].as_str();
    match (name, schema_type) {
        (Some(name), Some("object")) => Ok(name.to_owned()),
        (Some(name), _) => Err(Failure::new(
            format!("tools/list: the tool {name:?} has no inputSchema of type \"object\""),
            &[
                "The MCP specification requires every tool's inputSchema to be a JSON Schema with \"type\": \"object\" (a tool without parameters too); clients such as the TypeScript SDK refuse the whole list otherwise.",
            ],
        )),
        (None, _) => Err(Failure::new(
            "tools/list: a tool without a name".to_owned(),
            &["Every tool in tools/list needs a string \"name\": the name clients call it by."],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_needs_a_name_and_an_object_schema() {
        let ok = json!({"name": "sum", "inputSchema": {"type": "object"}});
        assert_eq!(well_formed(&ok).ok().as_deref(), Some("sum"));
        for (tool, says) in [
            (json!({"name": "sum"}), "has no inputSchema"),
            (
                json!({"name": "sum", "inputSchema": {"type": "string"}}),
                "has no inputSchema",
            ),
            (json!({"inputSchema": {"type": "object"}}), "without a name"),
        ] {
            let failure = well_formed(&tool).err().map(|f| f.summary);
            assert!(
                failure.as_deref().is_some_and(|s| s.contains(says)),
                "{tool}"
            );
        }
    }
}
