//! A `tools/list` answer whose tool list is serialized once, at start-up.
//!
//! rmcp writes every answer from its typed form, and for `tools/list` that is the whole
//! tool list: every tool's input and output schema, a tree of `serde_json` maps, about
//! 15 KB of JSON escaped character by character on every call. Most of what a
//! `tools/list` cost went there (bench/instructions.sh). The list does not change while
//! the process runs, so this serializes it once and lets rmcp do everything else:
//!
//! 1. For a `tools/list` POST, the `/mcp` layer puts an empty [`Slot`] in the request's
//!    extensions, which rmcp hands to the handler with the request's parts.
//! 2. rmcp checks the request as always (Host, Origin, `Accept`, `Content-Type`, the
//!    protocol version, the body) and dispatches it to the handler's `list_tools`, which
//!    calls [`ToolList::for_request`]: that leaves the serialized list in the slot and
//!    answers no tools. The handler sets the rest of the result (cache hints) itself.
//! 3. rmcp post-processes the result for the request's revision (`resultType` and cache
//!    hints on 2026-07-28, none on older revisions) and serializes it. The tool list is
//!    the last field of the result, and the result the last of the JSON-RPC response, so
//!    the answer ends in `"tools":[]}}`; [`splice`] puts the serialized list between the
//!    brackets. A string in JSON cannot contain that suffix (its quotes would be escaped).
//!
//! The bytes are the ones rmcp would have written with the list in place, since they
//! come from the same `Serialize` impl; tests/api/tool_list_bytes.rs compares them with
//! rmcp's own answer for every claimed revision. Served any other way (no slot, or the
//! splice turned off with `CustomHandler::serialized_tool_list(false)`), the handler
//! answers the full list as usual.
//!
//! One list is never spliced: one with a tool whose `outputSchema` is not an object
//! schema (a root `type` other than `"object"`). rmcp drops such schemas from the list
//! it writes for clients of revisions before 2026-07-28, which require object output,
//! so the bytes would differ by revision; such a list is answered in full, for rmcp to
//! write.

use std::sync::{Arc, OnceLock};

use bytes::{BufMut, Bytes, BytesMut};
use rmcp::{RoleServer, model::Tool, service::RequestContext};

/// The end of rmcp's serialized answer to `tools/list` when the handler left the list
/// to the hosting layer: an empty `tools` array, the end of the result and of the
/// JSON-RPC response.
const EMPTY_TAIL: &[u8] = br#""tools":[]}}"#;

/// A server's tools, with their JSON serialized once.
#[derive(Debug, Clone)]
pub struct ToolList {
    tools: Arc<[Tool]>,
    /// `None` if the list is not spliced (a tool's output is not an object) or could not
    /// be serialized; then the handler answers in full and rmcp writes the list, or
    /// reports the error, as it would have.
    json: Option<Bytes>,
}

impl ToolList {
    pub fn new(tools: Vec<Tool>) -> Self {
        let json = tools
            .iter()
            .all(has_object_output)
            .then(|| serde_json::to_vec(&tools).ok().map(Bytes::from))
            .flatten();
        Self {
            tools: tools.into(),
            json,
        }
    }

    /// All the tools.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tools a `list_tools` handler puts in this request's result: none when the
    /// hosting layer will splice in the serialized list (it offered a slot), all of them
    /// otherwise.
    pub fn for_request(&self, context: &RequestContext<RoleServer>) -> Vec<Tool> {
        let slot = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Slot>());
        match (slot, &self.json) {
            (Some(slot), Some(json)) => {
                slot.0.get_or_init(|| json.clone());
                Vec::new()
            }
            _ => self.tools.to_vec(),
        }
    }
}

/// Whether `tool`'s output schema, if it has one, is one rmcp writes for every revision:
/// its root `type` is `"object"`, the test rmcp applies for older clients
/// (`ServerResult::strip_non_object_output_for_legacy_peer`).
fn has_object_output(tool: &Tool) -> bool {
    tool.output_schema.as_deref().is_none_or(|schema| {
        schema.get("type").and_then(serde_json::Value::as_str) == Some("object")
    })
}

/// Where the handler leaves the serialized tool list for the `/mcp` layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slot(Arc<OnceLock<Bytes>>);

impl Slot {
    /// The serialized list, if the handler left it here.
    pub(crate) fn get(&self) -> Option<Bytes> {
        self.0.get().cloned()
    }
}

/// rmcp's answer `body` with the serialized tool list `json` in place of its empty
/// `tools` array; `None` if the answer does not end as such an answer does.
pub(crate) fn splice(body: &[u8], json: &[u8]) -> Option<Bytes> {
    let head = body.strip_suffix(EMPTY_TAIL)?;
    let mut spliced = BytesMut::with_capacity(body.len() + json.len());
    spliced.put_slice(head);
    spliced.put_slice(br#""tools":"#);
    spliced.put_slice(json);
    spliced.put_slice(b"}}");
    Some(spliced.freeze())
}

#[cfg(test)]
mod tests {
    use super::splice;

    #[test]
    fn splices_the_list_into_the_empty_array_at_the_end() {
        let body = br#"{"jsonrpc":"2.0","id":"\"tools\":[]}}","result":{"ttlMs":1,"tools":[]}}"#;
        assert_eq!(
            splice(body, br#"[{"name":"a"}]"#).unwrap(),
            &br#"{"jsonrpc":"2.0","id":"\"tools\":[]}}","result":{"ttlMs":1,"tools":[{"name":"a"}]}}"#[..]
        );
    }

    #[test]
    fn refuses_an_answer_that_does_not_end_in_an_empty_list() {
        assert!(splice(br#"{"result":{"tools":[{"name":"a"}]}}"#, b"[]").is_none());
        assert!(splice(br#"{"error":{"code":-32603}}"#, b"[]").is_none());
    }
}
