//! The SEP-2322 fixtures of the 2026-07-28 suite (conformance 0.2,
//! `src/scenarios/server/input-required-result.ts`): tools and a prompt that answer
//! with an *input-required* result, asking the client for an elicitation, a sampling
//! or its roots, and complete when the client retries with `inputResponses` (and the
//! echoed `requestState`).
//!
//! Nothing is kept between the rounds: what a later round needs travels in
//! `requestState`, sealed with rmcp's [`RequestStateCodec`] (HMAC-SHA256, bound to
//! the tool's name, expiring after [`STATE_TTL`]). Any instance constructed with the
//! same key can therefore answer any round, which `tests/api/input_required.rs`
//! proves with two servers. Everything a client sends back is untrusted: each input
//! response is parsed as the result type its request asked for, and a malformed one
//! is a JSON-RPC error naming the key, never a completed call.

// Sampling and roots are deprecated by SEP-2577 (2026-07-28), yet SEP-2322 still asks
// for them and the 2026-07-28 suite tests both.
#![allow(deprecated)]

use std::time::Duration;

use rmcp::{
    ErrorData as McpError, RoleServer,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities,
        CreateMessageResult, ElicitResult, ElicitationAction, GetPromptRequestParams,
        GetPromptResponse, GetPromptResult, InputRequest, InputRequests, InputRequiredResult,
        InputResponses, ListRootsResult, RequestStateCodec, SealOptions,
    },
    service::RequestContext,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::fixtures::{complete, from};

/// The input-required tools, in the order the suite's scenarios introduce them.
pub(super) const TOOLS: &[&str] = &[
    ELICITATION,
    SAMPLING,
    LIST_ROOTS,
    REQUEST_STATE,
    MULTIPLE_INPUTS,
    MULTI_ROUND,
    TAMPERED_STATE,
    CAPABILITIES,
];
pub(super) const ELICITATION: &str = "test_input_required_result_elicitation";
const SAMPLING: &str = "test_input_required_result_sampling";
const LIST_ROOTS: &str = "test_input_required_result_list_roots";
const REQUEST_STATE: &str = "test_input_required_result_request_state";
const MULTIPLE_INPUTS: &str = "test_input_required_result_multiple_inputs";
const MULTI_ROUND: &str = "test_input_required_result_multi_round";
const TAMPERED_STATE: &str = "test_input_required_result_tampered_state";
const CAPABILITIES: &str = "test_input_required_result_capabilities";

/// The prompt of `input-required-result-non-tool-request`: `prompts/get` can ask too.
pub(super) const PROMPT: &str = "test_input_required_result_prompt";

/// How long a sealed `requestState` stays valid: long enough for a person to answer.
const STATE_TTL: Duration = Duration::from_secs(600);

/// What a later round needs to know, sealed into `requestState`.
#[derive(Serialize, Deserialize)]
struct State {
    /// 1-based round the state was issued in.
    round: u8,
    /// The name given in round 1 of the multi-round tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// Seals and opens `requestState` with a key; every instance that should accept
/// another's retries must be built with the same key.
#[derive(Clone)]
pub(super) struct InputRequired {
    codec: RequestStateCodec,
}

impl InputRequired {
    /// `key` needs at least 32 bytes ([`RequestStateCodec::MIN_KEY_LENGTH`]).
    pub(super) fn new(key: &[u8]) -> Self {
        Self {
            codec: RequestStateCodec::try_new(key.to_vec())
                .expect("request-state key of 32+ bytes"),
        }
    }

    /// Answers one of [`TOOLS`].
    pub(super) fn call_tool(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.as_ref();
        let responses = request.input_responses.as_ref();
        let state = self.open(name, request.request_state.as_deref())?;
        let text = |text: String| -> CallToolResponse {
            complete::<CallToolResult>(json!({"content": [{"type": "text", "text": text}]})).into()
        };
        Ok(match name {
            ELICITATION => {
                require(context, &[Kind::Elicitation])?;
                match elicited(responses, "user_name", "name")? {
                    Some(Answer::Given(name)) => text(format!("Hello, {name}!")),
                    Some(Answer::Refused(action)) => {
                        text(format!("No name given: the user chose {action}."))
                    }
                    None => ask(&[("user_name", name_request("What is your name?"))], None),
                }
            }
            SAMPLING => {
                require(context, &[Kind::Sampling])?;
                match sampled(responses, "capital_question")? {
                    Some(answer) => text(format!("The model answered: {answer}")),
                    None => ask(
                        &[(
                            "capital_question",
                            sampling_request("What is the capital of France?", 100),
                        )],
                        None,
                    ),
                }
            }
            LIST_ROOTS => {
                require(context, &[Kind::Roots])?;
                match roots(responses, "client_roots")? {
                    Some(roots) => text(format!(
                        "The client has {} root(s): {}",
                        roots.roots.len(),
                        roots_text(&roots)
                    )),
                    None => ask(&[("client_roots", roots_request())], None),
                }
            }
            REQUEST_STATE | TAMPERED_STATE => {
                require(context, &[Kind::Elicitation])?;
                match (state, elicited(responses, "confirm", "ok")?) {
                    (Some(_), Some(answer)) => {
                        let word = if name == REQUEST_STATE {
                            "state-ok"
                        } else {
                            "integrity-ok"
                        };
                        text(format!(
                            "{word}: requestState verified; the user answered {answer}"
                        ))
                    }
                    _ => ask(&[("confirm", confirm_request())], Some(self.round1(name)?)),
                }
            }
            MULTIPLE_INPUTS => {
                require(context, &[Kind::Elicitation, Kind::Sampling, Kind::Roots])?;
                let user = elicited(responses, "user_name", "name")?;
                let greeting = sampled(responses, "greeting")?;
                let client_roots = roots(responses, "client_roots")?;
                match (state, user, greeting, client_roots) {
                    (Some(_), Some(user), Some(greeting), Some(roots)) => text(format!(
                        "Name: {user}; Greeting: {greeting}; Roots: {}",
                        roots.roots.len()
                    )),
                    _ => ask(
                        &[
                            ("user_name", name_request("What is your name?")),
                            ("greeting", sampling_request("Generate a greeting", 50)),
                            ("client_roots", roots_request()),
                        ],
                        Some(self.round1(name)?),
                    ),
                }
            }
            MULTI_ROUND => {
                require(context, &[Kind::Elicitation])?;
                let step1 = || -> Result<CallToolResponse, McpError> {
                    Ok(ask(
                        &[("step1", name_request("Step 1: What is your name?"))],
                        Some(self.round1(name)?),
                    ))
                };
                match state {
                    None => step1()?,
                    Some(State { round: 1, .. }) => match elicited(responses, "step1", "name")? {
                        Some(Answer::Given(user)) => ask(
                            &[(
                                "step2",
                                from(json!({"method": "elicitation/create", "params": {
                                    "message": "Step 2: What is your favorite color?",
                                    "requestedSchema": {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
                                }})),
                            )],
                            Some(self.seal(
                                name,
                                &State {
                                    round: 2,
                                    name: Some(user),
                                },
                            )?),
                        ),
                        Some(Answer::Refused(action)) => {
                            text(format!("Stopped at step 1: the user chose {action}."))
                        }
                        None => step1()?,
                    },
                    Some(State {
                        round: 2,
                        name: user,
                    }) => match elicited(responses, "step2", "color")? {
                        Some(Answer::Given(color)) => text(format!(
                            "Multi-round complete for {} who likes {color}",
                            user.unwrap_or_default()
                        )),
                        Some(Answer::Refused(action)) => {
                            text(format!("Stopped at step 2: the user chose {action}."))
                        }
                        None => {
                            return Err(McpError::invalid_params(
                                "inputResponses.step2 is missing",
                                None,
                            ));
                        }
                    },
                    Some(State { round, .. }) => {
                        return Err(McpError::invalid_params(
                            format!(
                                "requestState names round {round}, which this tool does not have"
                            ),
                            None,
                        ));
                    }
                }
            }
            CAPABILITIES => {
                // Asks only for what the client declared on this request.
                let declared = context.client_capabilities().unwrap_or_default();
                if let Some(responses) = responses.filter(|r| !r.is_empty()) {
                    if state.is_none() {
                        return Err(McpError::invalid_params(
                            "inputResponses without the requestState they answer",
                            None,
                        ));
                    }
                    let elicitation = elicited(Some(responses), "elicit_input", "value")?;
                    let sampling = sampled(Some(responses), "sample_input")?;
                    if (elicitation.is_some() && declared.elicitation.is_none())
                        || (sampling.is_some() && declared.sampling.is_none())
                    {
                        return Err(McpError::invalid_params(
                            "an input response for a capability this request does not declare",
                            None,
                        ));
                    }
                    let received: Vec<&str> = responses.keys().map(String::as_str).collect();
                    text(format!("capabilities-ok: received {}", received.join(",")))
                } else {
                    let mut requests = Vec::new();
                    if declared.elicitation.is_some() {
                        requests.push(("elicit_input", from(json!({"method": "elicitation/create", "params": {
                            "message": "Elicitation input",
                            "requestedSchema": {"type": "object", "properties": {"value": {"type": "string"}}, "required": ["value"]}
                        }}))));
                    }
                    if declared.sampling.is_some() {
                        requests.push(("sample_input", sampling_request("Sample request", 50)));
                    }
                    if requests.is_empty() {
                        text(
                            "The client declared neither elicitation nor sampling: nothing to ask."
                                .to_owned(),
                        )
                    } else {
                        ask(&requests, Some(self.round1(name)?))
                    }
                }
            }
            other => {
                return Err(McpError::invalid_params(
                    format!("tool not found: {other}"),
                    None,
                ));
            }
        })
    }

    /// Answers [`PROMPT`].
    pub(super) fn get_prompt(
        &self,
        request: &GetPromptRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        require(context, &[Kind::Elicitation])?;
        Ok(match elicited(request.input_responses.as_ref(), "user_context", "context")? {
            Some(answer) => complete::<GetPromptResult>(json!({"messages": [
                {"role": "user", "content": {"type": "text", "text": format!("Prompt with context: {answer}")}}
            ]}))
            .into(),
            None => InputRequiredResult::from_input_requests(requests(&[(
                "user_context",
                from(json!({"method": "elicitation/create", "params": {
                    "message": "What context should the prompt use?",
                    "requestedSchema": {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
                }})),
            )]))
            .into(),
        })
    }

    fn round1(&self, tool: &str) -> Result<String, McpError> {
        self.seal(
            tool,
            &State {
                round: 1,
                name: None,
            },
        )
    }

    fn seal(&self, tool: &str, state: &State) -> Result<String, McpError> {
        self.codec
            .seal_json_with(
                state,
                &SealOptions::new()
                    .associated_data(tool.as_bytes())
                    .ttl(STATE_TTL),
            )
            .map_err(|e| McpError::internal_error(e.to_string(), None))
    }

    /// `None` when the request carries no state (a first round); an error when the
    /// state is forged, tampered with, expired or sealed for another tool or key.
    fn open(&self, tool: &str, sealed: Option<&str>) -> Result<Option<State>, McpError> {
        sealed
            .map(|sealed| {
                self.codec
                    .open_json_with(sealed, tool.as_bytes())
                    .map_err(|e| {
                        McpError::invalid_params(
                            format!("requestState integrity check failed: {e}"),
                            None,
                        )
                    })
            })
            .transpose()
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Elicitation,
    Sampling,
    Roots,
}

/// Refuses a request whose client did not declare what the tool would ask it for
/// (SEP-2322: input requests only for declared capabilities).
fn require(context: &RequestContext<RoleServer>, kinds: &[Kind]) -> Result<(), McpError> {
    let declared = context.client_capabilities().unwrap_or_default();
    let mut missing = json!({});
    for kind in kinds {
        let (present, key) = match kind {
            Kind::Elicitation => (declared.elicitation.is_some(), "elicitation"),
            Kind::Sampling => (declared.sampling.is_some(), "sampling"),
            Kind::Roots => (declared.roots.is_some(), "roots"),
        };
        if !present {
            missing[key] = json!({});
        }
    }
    if missing.as_object().is_some_and(|m| m.is_empty()) {
        Ok(())
    } else {
        Err(McpError::missing_required_client_capability(from::<
            ClientCapabilities,
        >(
            missing
        )))
    }
}

fn requests(items: &[(&str, InputRequest)]) -> InputRequests {
    items
        .iter()
        .map(|(key, request)| ((*key).to_owned(), request.clone()))
        .collect()
}

fn ask(items: &[(&str, InputRequest)], state: Option<String>) -> CallToolResponse {
    InputRequiredResult::new(Some(requests(items)), state).into()
}

fn name_request(message: &str) -> InputRequest {
    from(json!({"method": "elicitation/create", "params": {
        "message": message,
        "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    }}))
}

fn confirm_request() -> InputRequest {
    from(json!({"method": "elicitation/create", "params": {
        "message": "Please confirm",
        "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    }}))
}

fn sampling_request(text: &str, max_tokens: u32) -> InputRequest {
    from(json!({"method": "sampling/createMessage", "params": {
        "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
        "maxTokens": max_tokens
    }}))
}

fn roots_request() -> InputRequest {
    from(json!({"method": "roots/list", "params": {}}))
}

/// An elicitation's outcome: the requested field's value, or the action that
/// refused to give it.
enum Answer {
    Given(String),
    Refused(&'static str),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Given(value) => f.write_str(value),
            Answer::Refused(action) => write!(f, "({action})"),
        }
    }
}

/// The input response under `key`, parsed as `T`: `None` when the client did not
/// send it (the tool asks again); an error naming the key when it is not a `T`.
fn input<T: DeserializeOwned>(
    responses: Option<&InputResponses>,
    key: &str,
    what: &str,
) -> Result<Option<T>, McpError> {
    let Some(value) = responses.and_then(|r| r.get(key)) else {
        return Ok(None);
    };
    serde_json::from_value(value.clone())
        .map(Some)
        .map_err(|e| {
            McpError::invalid_params(format!("inputResponses.{key} is not {what}: {e}"), None)
        })
}

/// An elicitation result whose accepted content must hold `field` (a string or a
/// boolean, rendered as text).
fn elicited(
    responses: Option<&InputResponses>,
    key: &str,
    field: &str,
) -> Result<Option<Answer>, McpError> {
    let Some(result) = input::<ElicitResult>(responses, key, "an elicitation result")? else {
        return Ok(None);
    };
    Ok(Some(match result.action {
        ElicitationAction::Accept => {
            let value = result.content.as_ref().and_then(|c| c.get(field));
            match value {
                Some(Value::String(s)) => Answer::Given(s.clone()),
                Some(Value::Bool(b)) => Answer::Given(b.to_string()),
                _ => {
                    return Err(McpError::invalid_params(
                        format!(
                            "inputResponses.{key} accepts without the requested field {field:?}"
                        ),
                        None,
                    ));
                }
            }
        }
        ElicitationAction::Decline => Answer::Refused("decline"),
        ElicitationAction::Cancel => Answer::Refused("cancel"),
        _ => {
            return Err(McpError::invalid_params(
                format!("inputResponses.{key} has an action this server does not know"),
                None,
            ));
        }
    }))
}

/// A sampling result's text.
fn sampled(responses: Option<&InputResponses>, key: &str) -> Result<Option<String>, McpError> {
    let Some(result) = input::<CreateMessageResult>(responses, key, "a sampling result")? else {
        return Ok(None);
    };
    let message = serde_json::to_value(&result.message).unwrap_or_default();
    Ok(Some(
        message["content"]["text"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("(a {} answer)", result.model)),
    ))
}

fn roots(
    responses: Option<&InputResponses>,
    key: &str,
) -> Result<Option<ListRootsResult>, McpError> {
    input(responses, key, "a roots/list result")
}

fn roots_text(roots: &ListRootsResult) -> String {
    roots
        .roots
        .iter()
        .map(|r| r.uri.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
