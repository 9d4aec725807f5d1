//! The `/mcp` endpoint: rmcp's stateless streamable-HTTP service, plus a thin layer
//! that makes every refusal a JSON-RPC error body.
//!
//! rmcp does the protocol work and the security checks (Host and Origin allow-lists,
//! `Accept`, `Content-Type`, `MCP-Protocol-Version`) in that order, and this layer
//! keeps the order: it only peeks at the body and forwards every request. What it
//! changes is the answers rmcp gives as plain text: a malformed body becomes a
//! JSON-RPC parse error (`-32700`, HTTP 400), a batch an invalid-request error
//! (batches are not part of the streamable-HTTP transport since 2025-06-18), and
//! other refusals keep their status with a JSON-RPC body clients can parse, with
//! the request's `id` when it is known and `null` otherwise. The peek also names the
//! MCP method and tool for the request log, and for a `tools/list` offers the handler
//! a slot for its serialized tool list, which it then splices into rmcp's answer
//! ([`tool_list`]).
//!
//! Before it reads a body, the layer reserves the body's size in the shared body
//! budget ([`crate::budget`]), waiting for room; a request that cannot get it in time
//! is answered `503` with `Retry-After`. The bytes are given back once the answer is
//! ready. The body is read into one buffer of its declared length, handed to rmcp as
//! it is, and copied only by rmcp's own read.
//!
//! One check is added: `MCP-Protocol-Version` must name a revision the handler
//! supports ([`ServerHandler::supported_protocol_versions`]), where rmcp accepts any
//! revision it knows (messages naming their revision in `_meta` are left to rmcp).
//! It runs before rmcp's Host check, so a request that fails both gets 400 rather
//! than 403; either way it is refused.

mod peek;

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};
use rmcp::{
    ServerHandler,
    model::ErrorCode,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
    },
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use self::peek::{Peek, peek, peek_failure_status};
use crate::{
    Settings,
    budget::{BodyBudget, Exhausted, Reservation},
    handler::Policy,
    tool_list,
};

/// The JSON-RPC code of a transport-level refusal that has no code of its own (a
/// disallowed `Host`, a missing `Accept`): the first of the codes JSON-RPC reserves
/// for implementation-defined server errors.
const REFUSED: ErrorCode = ErrorCode(-32000);

/// What a `503` for a spent body budget asks the caller to wait before trying again.
/// Bodies are decoded in milliseconds, so the budget frees up quickly once a burst
/// ends; a few seconds spreads the retries.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// What the layer around rmcp's service needs for every request, built once.
struct Layer {
    /// The handler's supported protocol revisions.
    versions: Arc<[String]>,
    /// The largest body accepted, in bytes.
    body_limit: usize,
    budget: BodyBudget,
    /// Offer `tools/list` handlers a slot for their serialized tool list.
    splice_tool_list: bool,
}

/// Builds the `/mcp` router. `cancel` ends in-flight MCP requests; the caller
/// fires it only after the shutdown grace period, so a SIGTERM lets them finish.
pub(crate) fn router<S>(
    server: S,
    settings: &Settings,
    policy: &Policy,
    cancel: CancellationToken,
) -> axum::Router
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    let body_limit = policy.max_request_body_bytes;
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(policy.sse_keep_alive)
        .with_allowed_hosts(settings.allowed_hosts.clone())
        .with_allowed_origins(settings.allowed_origins.clone())
        .with_max_request_body_bytes(body_limit)
        .with_cancellation_token(cancel);
    let layer = Arc::new(Layer {
        versions: server
            .supported_protocol_versions()
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect(),
        body_limit,
        budget: BodyBudget::new(
            settings
                .body_budget_bytes
                .unwrap_or(policy.body_budget_bytes),
            settings.body_budget_wait.unwrap_or(policy.body_budget_wait),
        ),
        splice_tool_list: policy.serialized_tool_list,
    });
    // rmcp's `Service::call` clones the whole service for every request (its settings,
    // with the host and origin lists), and `route_service` clones it once more; `handle`
    // is what `call` runs on that clone, so one shared service costs an `Arc` increment.
    let service = Arc::new(StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    ));
    let mcp = axum::routing::any(move |request: Request| {
        let service = Arc::clone(&service);
        async move { service.handle(request).await }
    });
    axum::Router::new()
        .route("/mcp", mcp.clone())
        .route("/mcp/", mcp)
        .layer(middleware::from_fn(move |request, next| {
            jsonrpc_errors(Arc::clone(&layer), request, next)
        }))
}

/// The layer around rmcp's service: reserve room in the body budget, buffer and peek,
/// check the revision, forward, then make a plain-text refusal a JSON-RPC error and
/// tell the request log what was called. The reservation is held until the answer is
/// ready.
async fn jsonrpc_errors(layer: Arc<Layer>, request: Request, next: Next) -> Response {
    let (mut request, peek, _reservation) = match buffer_json_post(request, &layer).await {
        Ok(buffered) => buffered,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = unsupported_version(&layer.versions, request.headers(), &peek) {
        return refusal;
    }
    let lists_tools =
        matches!(&peek, Peek::Message { call, .. } if call.method.as_deref() == Some("tools/list"));
    let slot = (layer.splice_tool_list && lists_tools).then(|| {
        let slot = tool_list::Slot::default();
        request.extensions_mut().insert(slot.clone());
        slot
    });
    let mut response = next.run(request).await;
    if let Some(json) = slot.and_then(|slot| slot.get()) {
        response = with_tool_list(response, &json, peek.id()).await;
    }
    let failure = peek_failure_status(response.status(), &peek);
    let (id, call) = match peek {
        Peek::Message { id, call, .. } => (id, Some(call)),
        _ => (None, None),
    };
    let mut response = as_jsonrpc_error(response, id, failure).await;
    if let Some(call) = call {
        response.extensions_mut().insert(call);
    }
    response
}

/// rmcp's answer to a `tools/list` whose handler left the serialized list to this
/// layer ([`tool_list`]), with the list in place. Any other answer (an error the
/// handler returned after all) passes as rmcp wrote it: only a result that ends in an
/// empty tool list is filled, so none reaches the client empty.
async fn with_tool_list(response: Response, json: &Bytes, id: Option<Value>) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return jsonrpc_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            id,
            ErrorCode::INTERNAL_ERROR,
            "Internal error: the answer could not be read",
        );
    };
    let bytes = collected.to_bytes();
    let spliced = (parts.status == StatusCode::OK)
        .then(|| tool_list::splice(&bytes, json))
        .flatten();
    let body = match spliced {
        Some(spliced) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            spliced
        }
        None => bytes,
    };
    Response::from_parts(parts, Body::from(body))
}

/// Reserves room for a JSON POST's body in the budget, reads the body (at most the
/// body limit) and peeks at it, handing rmcp the same bytes. Other requests pass
/// untouched, with no reservation: rmcp refuses them before it reads a body.
async fn buffer_json_post(
    request: Request,
    layer: &Layer,
) -> Result<(Request, Peek, Option<Reservation>), Response> {
    if !is_json_post(&request) {
        return Ok((request, Peek::Skipped, None));
    }
    let limit = layer.body_limit;
    let length = content_length(&request);
    if length.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let mut reservation = layer.budget.reserve(length).await.map_err(budget_spent)?;
    let (parts, body) = request.into_parts();
    let bytes = read_body(body, length, limit, &mut reservation).await?;
    let peek = peek(&bytes);
    Ok((
        Request::from_parts(parts, Body::from(bytes)),
        peek,
        Some(reservation),
    ))
}

/// The body's declared length, if it declares one.
fn content_length(request: &Request) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the whole body, growing `reservation` as it arrives beyond what it covers.
/// A body that comes in one piece (most do) is kept as it came; one in several
/// pieces is copied into one buffer of its declared length, each piece freed as soon
/// as it is copied.
async fn read_body(
    mut body: Body,
    length: Option<usize>,
    limit: usize,
    reservation: &mut Reservation,
) -> Result<Bytes, Response> {
    let mut first: Option<Bytes> = None;
    let mut buffer = BytesMut::new();
    let mut read = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            jsonrpc_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorCode::INVALID_REQUEST,
                &format!("Could not read the request body: {e}"),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read += data.len();
        if read > limit {
            return Err(too_large(limit));
        }
        reservation.cover(read).await.map_err(budget_spent)?;
        if first.is_none() && buffer.is_empty() {
            first = Some(data);
            continue;
        }
        if let Some(first) = first.take() {
            buffer.reserve(length.unwrap_or(0).max(read).min(limit));
            buffer.extend_from_slice(&first);
        }
        buffer.extend_from_slice(&data);
    }
    Ok(first.unwrap_or_else(|| buffer.freeze()))
}

fn too_large(limit: usize) -> Response {
    jsonrpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
        ErrorCode::INVALID_REQUEST,
        &format!("Request body exceeds {limit} bytes"),
    )
}

/// The answer to a request that waited for room in the body budget until its wait
/// bound passed: `503`, to be tried again after [`RETRY_AFTER`]. Its body was not read,
/// so its `id` is unknown.
fn budget_spent(_: Exhausted) -> Response {
    let seconds = RETRY_AFTER.as_secs();
    let mut response = jsonrpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        REFUSED,
        &format!(
            "Server busy: the request bodies in flight on this instance use all the memory \
             set aside for them. Try again in {seconds} s."
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn is_json_post(request: &Request) -> bool {
    request.method() == http::Method::POST
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
            })
}

/// rmcp's client errors come as plain text, or as JSON without an `id`: both become
/// a JSON-RPC error body with the request's `id` (or `null`). `failure` is what the
/// peek knows better than rmcp's status (see [`peek_failure_status`]).
async fn as_jsonrpc_error(
    response: Response,
    id: Option<Value>,
    failure: Option<(StatusCode, ErrorCode, String)>,
) -> Response {
    let status = response.status();
    if !status.is_client_error() {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return with_id(response).await;
    }
    if let Some((status, code, message)) = failure {
        return jsonrpc_error(status, id, code, &message);
    }
    let text = response_text(response.into_body()).await;
    let mut wrapped = jsonrpc_error(status, id, REFUSED, &text);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        wrapped
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    wrapped
}

/// rmcp accepts an `MCP-Protocol-Version` header naming any revision it knows; this
/// narrows it to the handler's. A message that names its revision in `_meta` is
/// left to rmcp, which answers an unsupported one with the structured
/// UnsupportedProtocolVersion error 2026-07-28 clients expect.
fn unsupported_version(
    versions: &[String],
    headers: &http::HeaderMap,
    peek: &Peek,
) -> Option<Response> {
    let Peek::Message {
        id,
        versioned: false,
        ..
    } = peek
    else {
        return None;
    };
    let value = headers.get("mcp-protocol-version")?.to_str().ok()?;
    if versions.iter().any(|v| v == value) {
        return None;
    }
    Some(jsonrpc_error(
        StatusCode::BAD_REQUEST,
        id.clone(),
        REFUSED,
        &format!("Bad Request: Unsupported MCP-Protocol-Version: {value}"),
    ))
}

/// Some of rmcp's JSON refusals (e.g. to a JSON-RPC response POSTed to a stateless
/// server) have no `id`, which JSON-RPC requires on every error response: add
/// `"id": null`, as for any error whose request id is unknown.
async fn with_id(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = Limited::new(body, 64 * 1024).collect().await else {
        return jsonrpc_error(parts.status, None, REFUSED, "Request refused");
    };
    let bytes = collected.to_bytes();
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut error))
            if error.contains_key("error") && !error.contains_key("id") =>
        {
            error.insert("id".to_owned(), Value::Null);
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = serde_json::to_vec(&error).unwrap_or_else(|_| bytes.to_vec());
            Response::from_parts(parts, Body::from(body))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

async fn response_text(body: Body) -> String {
    match Limited::new(body, 64 * 1024).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(_) => "Request refused".to_owned(),
    }
}

fn jsonrpc_error(
    status: StatusCode,
    id: Option<Value>,
    code: ErrorCode,
    message: &str,
) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(Value::Null),
        "error": { "code": code.0, "message": message },
    });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use proptest::{prelude::*, test_runner::Config};
    use serde_json::{Map, Value, json};

    use super::*;

    /// A few cases in `cargo test`; `PROPTEST_CASES` for a long run (the workspace's
    /// docs/testing.md).
    fn config() -> Config {
        let mut config = Config::default();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 64;
        }
        config
    }

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// A JSON-RPC message as a client might send it, right or wrong in any field.
    fn message() -> impl Strategy<Value = Value> {
        let method = prop_oneof![
            Just(json!("tools/call")),
            Just(json!("tools/list")),
            Just(json!("initialize")),
            any_json(),
        ];
        let meta = prop_oneof![
            Just(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"})),
            any_json(),
        ];
        let params = (proptest::option::of(any_json()), proptest::option::of(meta)).prop_map(
            |(name, meta)| {
                let mut params = Map::new();
                if let Some(name) = name {
                    params.insert("name".to_owned(), name);
                }
                if let Some(meta) = meta {
                    params.insert("_meta".to_owned(), meta);
                }
                Value::Object(params)
            },
        );
        let params = prop_oneof![params, any_json()];
        (
            proptest::option::of(any_json()),
            proptest::option::of(method),
            proptest::option::of(params),
            proptest::option::of(any_json()),
        )
            .prop_map(|(id, method, params, extra)| {
                let mut message = Map::new();
                message.insert("jsonrpc".to_owned(), json!("2.0"));
                for (key, value) in [
                    ("id", id),
                    ("method", method),
                    ("params", params),
                    ("x", extra),
                ] {
                    if let Some(value) = value {
                        message.insert(key.to_owned(), value);
                    }
                }
                Value::Object(message)
            })
    }

    /// A body: a message, a batch, cut short, or any bytes at all.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => message().prop_map(|m| m.to_string().into_bytes()),
            1 => proptest::collection::vec(message(), 0..3)
                .prop_map(|batch| Value::from(batch).to_string().into_bytes()),
            1 => (message(), any::<prop::sample::Index>()).prop_map(|(m, cut)| {
                let mut bytes = m.to_string().into_bytes();
                bytes.truncate(cut.index(bytes.len() + 1));
                bytes
            }),
            1 => proptest::collection::vec(any::<u8>(), 0..64),
        ]
    }

    /// Found by `fuzz_jsonrpc_body_peek`: a wrong type ahead of a syntax error made
    /// a body that is not JSON look like a message (Invalid Request, not Parse
    /// error), and an object written as a long array made valid JSON look malformed.
    #[test]
    fn a_body_is_malformed_exactly_when_it_is_not_json() {
        for body in [
            &b"0\0"[..],
            b"{\"method\": 5,",
            b"{\"id\": [], \"params\": 1} }",
        ] {
            let peek = peek(&Bytes::from_static(body));
            assert!(
                matches!(peek, Peek::Malformed(_)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        for body in [
            &b"{\"method\": 5}"[..],
            b"{\"jsonrpc\":\"2.0\",\"params\":{\"_meta\":[null,null]}}",
        ] {
            let peek = peek(&Bytes::from_static(body));
            assert!(
                matches!(peek, Peek::Message { .. }),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Any body: a batch (only valid JSON starting with `[`), a message (any
        /// other valid JSON), or malformed (anything else), never a panic; the id
        /// is the message's own, and a tool is named only for `tools/call`.
        #[test]
        fn fuzz_jsonrpc_body_peek(body in body()) {
            let bytes = Bytes::from(body);
            let valid = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            let array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
            match peek(&bytes) {
                Peek::Batch => prop_assert!(valid && array),
                Peek::Malformed(_) => prop_assert!(!valid),
                Peek::Skipped => prop_assert!(false, "a POST body is never skipped"),
                Peek::Message { id, call, .. } => {
                    prop_assert!(valid && !array);
                    if let Some(id) = id {
                        let parsed: Value = serde_json::from_slice(&bytes).unwrap();
                        prop_assert_eq!(&parsed["id"], &id);
                        prop_assert!(!id.is_null());
                    }
                    if call.tool.is_some() {
                        prop_assert_eq!(call.method.as_deref(), Some("tools/call"));
                    }
                }
            }
        }
    }
}
