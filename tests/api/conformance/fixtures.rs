//! The conformance server's fixtures: the `test_*` tools, `test://` resources and
//! prompts the MCP conformance suite (0.1.16 and 0.2, `src/scenarios/server/*.ts`)
//! calls. The SEP-2322 (input-required) fixtures of 2026-07-28 live in
//! [`super::input_required`].
//!
//! Only the fixtures live here. The server around them is the real one: it is served
//! through `rust_mcp_functions::hosting` (`ServedHandler` in the test helpers), the same stateless
//! transport, Host/Origin checks and JSON-RPC error layer as the `handler` binary.
//! Results are written as the JSON the suite's scenario descriptions show, so a
//! reader can compare them line by line; [`complete`] adds the `resultType` that
//! 2026-07-28 requires (rmcp sets it only in its constructors, and drops it again
//! for older clients).

// Logging is deprecated by SEP-2577 (2026-07-28), but the 0.1.16 suite still tests it.
#![allow(deprecated)]

use std::time::Duration;

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams,
        CompleteResult, CompletionInfo, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
        Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
        ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
        ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse,
        ReadResourceResult, ServerConfig, SetLevelRequestParams, SubscribeRequestParams, Tool,
        UnsubscribeRequestParams,
    },
    service::RequestContext,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::input_required::{self, InputRequired};

/// A 1x1 red PNG.
pub(crate) const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A valid, empty (0 samples) 8 kHz mono WAV file.
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";

/// Every fixture tool the suite calls; the test asserts they are all listed, so a
/// missing one cannot pass vacuously.
pub(super) const TOOLS: &[&str] = &[
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_logging",
    "test_error_handling",
    "test_tool_with_progress",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    // Diagnostic tools of the 2026-07-28 `server-stateless` scenario (suite 0.2).
    "test_missing_capability",
    "test_logging_tool",
    "test_streaming_elicitation",
    // 2026-07-28 (suite 0.2): JSON Schema 2020-12 keywords (SEP-1613, SEP-2106) and
    // a parameter mirrored into an `Mcp-Param-*` header (SEP-2243).
    JSON_SCHEMA_TOOL,
    HEADER_TOOL,
];

const JSON_SCHEMA_TOOL: &str = "json_schema_2020_12_tool";
const HEADER_TOOL: &str = "test_x_mcp_header";

/// The fixture tools and prompts, listed in full (what the tests assert is listed).
pub(super) fn all_tools() -> Vec<&'static str> {
    TOOLS.iter().chain(input_required::TOOLS).copied().collect()
}

const STATELESS: &str = "This server is stateless: it cannot send a request to the client \
(sampling/createMessage, elicitation/create) because the client's answer would arrive in a \
new POST that no session connects to this call.";

pub(super) fn from<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("fixture JSON matches the rmcp model")
}

/// A result from its JSON, marked `resultType: "complete"` as 2026-07-28 requires.
pub(super) fn complete<T: DeserializeOwned>(mut value: Value) -> T {
    value["resultType"] = json!("complete");
    from(value)
}

/// The key that seals `requestState` unless a test gives its own. Public on purpose:
/// these are test fixtures, and a test that proves statelessness builds two servers
/// with one key of its own ([`Fixtures::with_request_state_key`]).
const FIXTURE_STATE_KEY: &[u8] = b"conformance-fixtures-request-state-key-0123456789";

#[derive(Clone)]
pub(crate) struct Fixtures {
    input_required: InputRequired,
}

impl Default for Fixtures {
    fn default() -> Self {
        Self::with_request_state_key(FIXTURE_STATE_KEY)
    }
}

impl Fixtures {
    /// Servers built with one key accept each other's `requestState`.
    pub(crate) fn with_request_state_key(key: &[u8]) -> Self {
        Self {
            input_required: InputRequired::new(key),
        }
    }

    fn tools() -> Vec<Tool> {
        let no_args = json!({"type": "object", "properties": {}});
        let string_arg = |name: &str, description: &str| json!({"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]});
        all_tools()
            .into_iter()
            .map(|name| {
                let schema = match name {
                    "test_sampling" => string_arg("prompt", "The prompt to send to the LLM"),
                    "test_elicitation" => string_arg("message", "The message to show the user"),
                    JSON_SCHEMA_TOOL => json_schema_2020_12(),
                    HEADER_TOOL => json!({"type": "object", "properties": {
                        "region": {"type": "string", "description": "A region, also sent in the Mcp-Param-Region header", "x-mcp-header": "Region"}
                    }, "required": ["region"]}),
                    _ => no_args.clone(),
                };
                from(json!({"name": name, "description": format!("Conformance fixture {name}"), "inputSchema": schema}))
            })
            .collect()
    }

    async fn call(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<Value, McpError> {
        let name = request.name.as_ref();
        let arguments = Value::Object(request.arguments.clone().unwrap_or_default());
        Ok(match name {
            JSON_SCHEMA_TOOL => {
                json!({"content": [{"type": "text", "text": format!("JSON Schema 2020-12 tool called with: {arguments}")}]})
            }
            HEADER_TOOL => {
                // rmcp's transport has already checked Mcp-Param-Region against it.
                json!({"content": [{"type": "text", "text": format!("Region: {}", arguments["region"])}]})
            }
            "test_simple_text" => {
                json!({"content": [{"type": "text", "text": "This is a simple text response for testing."}]})
            }
            "test_image_content" => {
                json!({"content": [{"type": "image", "data": PNG, "mimeType": "image/png"}]})
            }
            "test_audio_content" => {
                json!({"content": [{"type": "audio", "data": WAV, "mimeType": "audio/wav"}]})
            }
            "test_embedded_resource" => json!({"content": [{"type": "resource", "resource": {
                "uri": "test://embedded-resource", "mimeType": "text/plain",
                "text": "This is an embedded resource content."}}]}),
            "test_multiple_content_types" => json!({"content": [
                {"type": "text", "text": "Multiple content types test:"},
                {"type": "image", "data": PNG, "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "test://mixed-content-resource",
                    "mimeType": "application/json", "text": "{\"test\":\"data\",\"value\":123}"}}]}),
            "test_tool_with_logging" => {
                // Notifications before the result make rmcp answer with an SSE stream
                // on this POST instead of a JSON body: that is how they reach the client.
                for (i, message) in [
                    "Tool execution started",
                    "Tool processing data",
                    "Tool execution completed",
                ]
                .into_iter()
                .enumerate()
                {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    let _ = context
                        .peer
                        .notify_logging_message(LoggingMessageNotificationParam::new(
                            LoggingLevel::Info,
                            json!(message),
                        ))
                        .await;
                }
                json!({"content": [{"type": "text", "text": "Tool with logging executed successfully"}]})
            }
            "test_tool_with_progress" => {
                let token = context.meta.get_progress_token();
                for progress in [0.0, 50.0, 100.0] {
                    if progress > 0.0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    if let Some(token) = &token {
                        let _ = context
                            .peer
                            .notify_progress(
                                ProgressNotificationParam::new(token.clone(), progress)
                                    .with_total(100.0),
                            )
                            .await;
                    }
                }
                json!({"content": [{"type": "text", "text": "Tool with progress executed successfully"}]})
            }
            "test_error_handling" => json!({"isError": true, "content": [{"type": "text",
                "text": "This tool intentionally returns an error for testing"}]}),
            "test_missing_capability" => {
                // Needs `sampling`; 2026-07-28 clients declare capabilities per request.
                let capabilities = context.meta.client_capabilities();
                if capabilities.is_none_or(|c| c.sampling.is_none()) {
                    return Err(McpError::missing_required_client_capability(from(
                        json!({"sampling": {}}),
                    )));
                }
                json!({"isError": true, "content": [{"type": "text", "text": STATELESS}]})
            }
            "test_logging_tool" => {
                // 2026-07-28: log only when the request asked for it in `_meta`.
                if let Some(level) = context.meta.log_level() {
                    let _ = context
                        .peer
                        .notify_logging_message(LoggingMessageNotificationParam::new(
                            level,
                            json!("test_logging_tool ran"),
                        ))
                        .await;
                }
                json!({"content": [{"type": "text", "text": "Logging tool executed"}]})
            }
            _ => json!({"isError": true, "content": [{"type": "text", "text": STATELESS}]}),
        })
    }
}

impl ServerHandler for Fixtures {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(from(json!({
            "tools": {}, "resources": {}, "prompts": {},
            "logging": {}, "completions": {}
        })))
        .with_server_info(Implementation::new("rust-mcp-functions-conformance", "0"))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(Self::tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        Self::tools().into_iter().find(|tool| tool.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if self.get_tool(&request.name).is_none() {
            return Err(McpError::invalid_params(
                format!("tool not found: {}", request.name),
                None,
            ));
        }
        if input_required::TOOLS.contains(&request.name.as_ref()) {
            return self.input_required.call_tool(&request, &context);
        }
        let result: CallToolResult = complete(self.call(&request, &context).await?);
        Ok(result.into())
    }

    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        // Nothing to remember between stateless requests: tools log at info level.
        Ok(())
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let values = vec!["paris".to_owned(), "park".to_owned(), "party".to_owned()];
        Ok(CompleteResult::new(
            CompletionInfo::with_all_values(values)
                .map_err(|e| McpError::internal_error(e, None))?,
        ))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(complete(json!({"resources": [
            {"uri": "test://static-text", "name": "static-text", "description": "A static text resource", "mimeType": "text/plain"},
            {"uri": "test://static-binary", "name": "static-binary", "description": "A static PNG image", "mimeType": "image/png"},
            {"uri": "test://watched-resource", "name": "watched-resource", "description": "A resource clients may subscribe to", "mimeType": "text/plain"}
        ]})))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(complete(
            json!({"resourceTemplates": [{"uriTemplate": "test://template/{id}/data",
            "name": "template", "description": "Data for an id", "mimeType": "application/json"}]}),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri.as_str();
        let content = match uri {
            "test://static-text" => json!({"uri": uri, "mimeType": "text/plain",
                "text": "This is the content of the static text resource."}),
            "test://static-binary" => json!({"uri": uri, "mimeType": "image/png", "blob": PNG}),
            "test://watched-resource" => {
                json!({"uri": uri, "mimeType": "text/plain", "text": "Watched resource content"})
            }
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|rest| rest.strip_suffix("/data"))
            {
                Some(id) => json!({"uri": uri, "mimeType": "application/json",
                    "text": json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")}).to_string()}),
                None => {
                    // SEP-2164: the code (rmcp sends -32602 to 2026-07-28 clients) and
                    // the URI in `data`.
                    return Err(McpError::resource_not_found(
                        format!("no resource {uri}"),
                        Some(json!({"uri": uri})),
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![from(content)]).into())
    }

    async fn subscribe(
        &self,
        _request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        // Accepted for clients that subscribe anyway. `subscribe` is not declared:
        // a stateless server has no stream to send updates on later.
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let arg = |name: &str, description: &str| json!({"name": name, "description": description, "required": true});
        Ok(complete(json!({"prompts": [
            {"name": "test_simple_prompt", "description": "A simple prompt without arguments"},
            {"name": "test_prompt_with_arguments", "description": "A prompt with two arguments",
             "arguments": [arg("arg1", "First test argument"), arg("arg2", "Second test argument")]},
            {"name": "test_prompt_with_embedded_resource", "description": "A prompt embedding a resource",
             "arguments": [arg("resourceUri", "URI of the resource to embed")]},
            {"name": "test_prompt_with_image", "description": "A prompt with an image"},
            {"name": input_required::PROMPT, "description": "A prompt that first asks the user for its context (SEP-2322)"}
        ]})))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        if request.name == input_required::PROMPT {
            return self.input_required.get_prompt(&request, &context);
        }
        let args = request.arguments.unwrap_or_default();
        let arg = |name: &str| {
            args.get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let text =
            |text: String| json!({"role": "user", "content": {"type": "text", "text": text}});
        let messages = match request.name.as_str() {
            "test_simple_prompt" => json!([text("This is a simple prompt for testing.".into())]),
            "test_prompt_with_arguments" => json!([text(format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                arg("arg1"),
                arg("arg2")
            ))]),
            "test_prompt_with_embedded_resource" => json!([
                {"role": "user", "content": {"type": "resource", "resource": {"uri": arg("resourceUri"),
                    "mimeType": "text/plain", "text": "Embedded resource content for testing."}}},
                text("Please process the embedded resource above.".into())
            ]),
            "test_prompt_with_image" => json!([
                {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}},
                text("Please analyze the image above.".into())
            ]),
            other => {
                return Err(McpError::invalid_params(
                    format!("prompt not found: {other}"),
                    None,
                ));
            }
        };
        Ok(GetPromptResult::new(from(messages)).into())
    }
}

/// The schema of `json-schema-2020-12` (`JSON_SCHEMA_2020_12_FIXTURE` in the suite):
/// `$schema`, `$defs` with an `$anchor`, `$ref`, composition and conditionals, all of
/// which must reach the client unchanged.
fn json_schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
    })
}
