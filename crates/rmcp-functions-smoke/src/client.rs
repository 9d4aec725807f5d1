//! HTTP and just enough of an MCP client: each request is one POST, answered with JSON or
//! an SSE stream, as the streamable HTTP transport allows.

use std::{cell::Cell, fmt};

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};

use crate::{args::Args, credentials::Credential};

/// The revision this check speaks. Elicitation is not declared, so no tool can ask for
/// a confirmation (`delete_snippet` in the round trip would).
pub const PROTOCOL_VERSION: &str = "2025-11-25";
const ACCEPT: &str = "application/json, text/event-stream";
/// How the check names itself, as `clientInfo` and as its user agent.
const CLIENT_NAME: &str = env!("CARGO_PKG_NAME");
const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `initialize` request's params: this client, without capabilities.
pub fn initialize_params() -> Value {
    json!({
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": CLIENT_NAME, "version": CLIENT_VERSION},
    })
}

/// An HTTP answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The start of the body on one line, for a diagnosis.
    pub fn excerpt(&self) -> String {
        let text = self.body.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut excerpt: String = text.chars().take(200).collect();
        if excerpt.len() < text.len() {
            excerpt.push('…');
        }
        if excerpt.is_empty() {
            "(empty body)".to_owned()
        } else {
            excerpt
        }
    }
}

/// A request that got no HTTP answer.
pub enum SendError {
    Timeout,
    Failed(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer in time"),
            Self::Failed(reason) => f.write_str(reason),
        }
    }
}

pub struct Http {
    client: reqwest::Client,
    credential: Option<Credential>,
}

impl Http {
    pub fn new(args: &Args, credential: Option<Credential>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(args.timeout)
            .connect_timeout(args.timeout)
            // A redirect is an answer to report (e.g. to a sign-in page), not to follow.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(format!("{CLIENT_NAME}/{CLIENT_VERSION}"))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, credential })
    }

    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    pub async fn get(&self, url: &str, authenticated: bool) -> Result<Answer, SendError> {
        self.send(self.client.get(url), authenticated).await
    }

    /// POSTs a JSON-RPC message as a streamable HTTP client does.
    pub async fn post_mcp(
        &self,
        url: &str,
        message: &Value,
        protocol_version: Option<&str>,
        authenticated: bool,
    ) -> Result<Answer, SendError> {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .body(message.to_string());
        if let Some(version) = protocol_version {
            request = request.header("mcp-protocol-version", version);
        }
        self.send(request, authenticated).await
    }

    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        authenticated: bool,
    ) -> Result<Answer, SendError> {
        if let (true, Some(credential)) = (authenticated, &self.credential) {
            let (name, value) = credential.header();
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(send_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(send_error)?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// reqwest's error with its causes ("error sending request" alone says nothing).
fn send_error(error: reqwest::Error) -> SendError {
    if error.is_timeout() {
        return SendError::Timeout;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::Failed(text)
}

/// Why an MCP request failed.
pub enum McpError {
    /// No HTTP answer.
    Send(SendError),
    /// An HTTP answer other than 200.
    Status(Answer),
    /// A JSON-RPC error object.
    Rpc { code: i64, message: String },
    /// A 200 whose body is not the JSON-RPC answer expected.
    Malformed(String),
}

/// A stateless MCP session: nothing is kept between requests but the negotiated
/// protocol revision, sent in `MCP-Protocol-Version` after `initialize`.
pub struct Mcp<'a> {
    http: &'a Http,
    url: String,
    version: Option<String>,
    next_id: Cell<u64>,
}

impl<'a> Mcp<'a> {
    pub fn new(http: &'a Http, url: String) -> Self {
        Self {
            http,
            url,
            version: None,
            next_id: Cell::new(1),
        }
    }

    /// `initialize`; returns its result (serverInfo, protocolVersion, capabilities).
    pub async fn initialize(&mut self) -> Result<Value, McpError> {
        let result = self.request("initialize", initialize_params()).await?;
        let version = result["protocolVersion"]
            .as_str()
            .unwrap_or(PROTOCOL_VERSION)
            .to_owned();
        self.version = Some(version);
        let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let answer = self
            .http
            .post_mcp(&self.url, &notification, self.version.as_deref(), true)
            .await
            .map_err(McpError::Send)?;
        if !answer.status.is_success() {
            return Err(McpError::Status(answer));
        }
        Ok(result)
    }

    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or(PROTOCOL_VERSION)
    }

    pub async fn request(&self, method: &str, params: Value) -> Result<Value, McpError> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = self
            .http
            .post_mcp(&self.url, &message, self.version.as_deref(), true)
            .await
            .map_err(McpError::Send)?;
        if answer.status != StatusCode::OK {
            return Err(McpError::Status(answer));
        }
        let reply = reply_with_id(&answer, id).ok_or_else(|| {
            McpError::Malformed(format!(
                "no JSON-RPC answer with id {id} in the {} body: {}",
                answer.header("content-type").unwrap_or("untyped"),
                answer.excerpt()
            ))
        })?;
        if let Some(error) = reply.get("error") {
            return Err(McpError::Rpc {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or("").to_owned(),
            });
        }
        Ok(reply.get("result").cloned().unwrap_or(Value::Null))
    }

    /// `tools/call`: whether the tool reported an error, and its text blocks joined.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<ToolResult, McpError> {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        let content = result["content"].as_array().cloned().unwrap_or_default();
        let text = content
            .iter()
            .filter_map(|block| block["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolResult {
            is_error: result["isError"].as_bool().unwrap_or(false),
            has_content: !content.is_empty(),
            text,
        })
    }
}

pub struct ToolResult {
    pub is_error: bool,
    pub has_content: bool,
    pub text: String,
}

/// The JSON-RPC response with `id`, from a JSON body or from the `data:` lines of an
/// SSE stream (which may carry notifications first).
fn reply_with_id(answer: &Answer, id: u64) -> Option<Value> {
    let is_sse = answer
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"));
    let messages: Vec<Value> = if is_sse {
        answer
            .body
            .replace("\r\n", "\n")
            .split("\n\n")
            .filter_map(|event| {
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                serde_json::from_str(&data.join("\n")).ok()
            })
            .collect()
    } else {
        serde_json::from_str(&answer.body)
            .ok()
            .into_iter()
            .collect()
    };
    messages.into_iter().find(|m| m["id"] == json!(id))
}
