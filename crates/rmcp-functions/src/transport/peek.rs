//! The peek at a POST body: which JSON-RPC message it is (method, tool, `id`, revision),
//! read without copying, for the request log, the revision check and better errors than
//! rmcp's plain `415`.

use std::borrow::Cow;

use axum::http::StatusCode;
use bytes::Bytes;
use rmcp::model::ErrorCode;
use serde::Deserialize;
use serde_json::Value;

use crate::logging::{McpCall, clip};

/// What the peek found in a POST body.
pub(super) enum Peek {
    /// Not a JSON POST: rmcp decides what to say.
    Skipped,
    /// A single JSON-RPC message.
    Message {
        id: Option<Value>,
        call: McpCall,
        /// It names its protocol revision in `_meta` (2026-07-28 style).
        versioned: bool,
    },
    Batch,
    Malformed(String),
}

impl Peek {
    /// The request's `id`, if the body is a message that has one.
    pub(super) fn id(&self) -> Option<Value> {
        match self {
            Peek::Message { id, .. } => id.clone(),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Params<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
pub(super) struct Meta {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", default)]
    protocol_version: Option<serde::de::IgnoredAny>,
}

/// rmcp answers 415 for any body it cannot deserialize; the peek knows why.
pub(super) fn peek_failure_status(
    status: StatusCode,
    peek: &Peek,
) -> Option<(StatusCode, ErrorCode, String)> {
    if status != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return None;
    }
    match peek {
        Peek::Malformed(reason) => Some((
            StatusCode::BAD_REQUEST,
            ErrorCode::PARSE_ERROR,
            format!("Parse error: {reason}"),
        )),
        Peek::Batch => Some((
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: JSON-RPC batches are not supported; send one message per request"
                .to_owned(),
        )),
        Peek::Message { .. } => Some((
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: not a valid JSON-RPC 2.0 message".to_owned(),
        )),
        Peek::Skipped => None,
    }
}

pub(super) fn peek(bytes: &Bytes) -> Peek {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Peek::Batch,
            Err(e) => Peek::Malformed(e.to_string()),
        };
    }
    match serde_json::from_slice::<Envelope<'_>>(bytes) {
        Ok(envelope) => Peek::Message {
            id: envelope.id,
            versioned: envelope
                .params
                .as_ref()
                .and_then(|p| p.meta.as_ref())
                .is_some_and(|m| m.protocol_version.is_some()),
            call: McpCall {
                tool: envelope
                    .params
                    .and_then(|p| p.name)
                    .filter(|_| envelope.method.as_deref() == Some("tools/call"))
                    .map(|name| clip(&name).into_owned()),
                method: envelope.method.map(|method| clip(&method).into_owned()),
            },
        },
        // Why the envelope did not parse says little: a field of the wrong type stops
        // the parse before a syntax error after it, and serde_json reports an object
        // written as a too-long array as "trailing characters". So the body is parsed
        // again as any JSON: valid JSON that is not a message is rmcp's to refuse
        // (Invalid Request), anything else is a parse error.
        Err(_) => match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Peek::Message {
                id: None,
                call: McpCall::default(),
                versioned: false,
            },
            Err(syntax) => Peek::Malformed(syntax.to_string()),
        },
    }
}
