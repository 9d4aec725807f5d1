//! Asking the person behind the model to confirm a destructive step, without a
//! session: a tool answers with an *input-required* result (SEP-2322, protocol
//! 2026-07-28) that carries the question and a sealed `requestState`, and the client
//! retries the same call with the answer and the state, to whichever instance.
//!
//! The state is sealed with rmcp's [`RequestStateCodec`] (an HMAC with the key every
//! instance shares, `MCP_REQUEST_STATE_KEY`) and bound to the call it belongs to (the
//! tool, the caller's collection, the snippet name and, for a save, the new text): a
//! state from another call, another user or another server, or one edited on the
//! way, does not open. It holds what the person was shown (the snippet's size and
//! last-saved time), so a step is not taken on something that changed since.

use std::time::Duration;

use rmcp::{
    ErrorData as McpError, RoleServer,
    model::{
        ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
        InputRequest, InputRequests, InputRequiredResult, InputResponses, ProtocolVersion,
        RequestStateCodec, RequestStateError, SealOptions,
    },
    service::RequestContext,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::config::{MIN_REQUEST_STATE_KEY_BYTES, RequestStateKey};

/// How long a person has to answer before the question must be asked again.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10 * 60);

/// The key of the one question in `inputRequests` and `inputResponses`.
const QUESTION: &str = "confirm";
/// The field of the question's form.
const FIELD: &str = "confirm";

/// Seals and opens confirmation states. Built once; cloning shares the key.
#[derive(Clone)]
pub struct Confirmations {
    codec: RequestStateCodec,
}

/// What the person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    /// Accepted the form with the box unticked.
    No,
    Declined,
    Cancelled,
}

/// A retry, read.
pub enum Reply<T> {
    /// The state opened; the person answered.
    Answered(T, Answer),
    /// The state opened, but the answer is missing: ask again.
    Unanswered(T),
    /// The state did not open: expired, edited, or not issued by this server for this
    /// call. One answer for all of them, as rmcp asks of applications, so the reply
    /// tells a forger nothing; the reason is logged.
    Invalid,
}

impl Confirmations {
    /// With the shared key, or a random one for this process only.
    pub fn new(key: &RequestStateKey) -> Result<Self, RequestStateError> {
        let codec = match key {
            RequestStateKey::Shared(secret) => RequestStateCodec::try_new(secret.expose())?,
            RequestStateKey::PerProcess => {
                let mut key = [0u8; MIN_REQUEST_STATE_KEY_BYTES];
                getrandom::fill(&mut key).map_err(|_| RequestStateError::KeyTooShort {
                    minimum: MIN_REQUEST_STATE_KEY_BYTES,
                    actual: 0,
                })?;
                RequestStateCodec::try_new(key.to_vec())?
            }
        };
        Ok(Self { codec })
    }

    /// Whether this request's client can be asked: it speaks 2026-07-28 or later
    /// (input-required results exist there only, and rmcp refuses to send one to an
    /// older client) and declares form elicitation. Everyone else keeps the answer a
    /// tool gave before confirmations existed.
    pub fn can_ask(context: &RequestContext<RoleServer>) -> bool {
        let recent = context
            .protocol_version()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        let forms = context
            .client_capabilities()
            .and_then(|c| c.elicitation)
            // An empty elicitation capability means forms, for older clients' sake.
            .is_some_and(|e| e.form.is_some() || e.url.is_none());
        recent && forms
    }

    /// The input-required result that asks `question`, with `facts` (what the person
    /// is shown) sealed and bound to `call`.
    pub fn ask<T: Serialize>(
        &self,
        question: String,
        facts: &T,
        call: &[u8],
    ) -> Result<InputRequiredResult, McpError> {
        let options = SealOptions::new().associated_data(call).ttl(ANSWER_WITHIN);
        let state = self
            .codec
            .seal_json_with(facts, &options)
            .map_err(|e| McpError::internal_error(format!("cannot seal the state: {e}"), None))?;
        let schema = ElicitationSchema::builder()
            .required_bool_with(FIELD, |b| {
                b.title("Yes, go ahead")
                    .description("Tick to go ahead; leave unticked to change nothing.")
            })
            .build()
            .map_err(|e| McpError::internal_error(e, None))?;
        let request = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: question,
            requested_schema: schema,
        });
        let requests =
            InputRequests::from([(QUESTION.to_owned(), InputRequest::Elicitation(request))]);
        Ok(InputRequiredResult::new(Some(requests), Some(state)))
    }

    /// Reads a retry of the call `call`: opens `state` and reads the answer among
    /// `responses`, both untrusted. An answer that is not an elicitation result is
    /// the client's error.
    pub fn read<T: DeserializeOwned>(
        &self,
        state: &str,
        responses: Option<&InputResponses>,
        call: &[u8],
    ) -> Result<Reply<T>, McpError> {
        let facts = match self.codec.open_json_with(state, call) {
            Ok(facts) => facts,
            Err(reason) => {
                tracing::info!(%reason, "a confirmation's requestState did not open");
                return Ok(Reply::Invalid);
            }
        };
        let Some(response) = responses.and_then(|r| r.get(QUESTION)) else {
            return Ok(Reply::Unanswered(facts));
        };
        let not_a_result = |e: &dyn std::fmt::Display| {
            McpError::invalid_params(
                format!("inputResponses.{QUESTION} is not an elicitation result: {e}"),
                None,
            )
        };
        // serde also reads a struct from an array (`["accept", {"confirm": true}]`);
        // an elicitation result is an object, and nothing else is taken for a yes.
        if !response.is_object() {
            return Err(not_a_result(&"expected an object"));
        }
        let result = ElicitResult::deserialize(response).map_err(|e| not_a_result(&e))?;
        let answer = match result.action {
            ElicitationAction::Accept => {
                let ticked = result
                    .content
                    .as_ref()
                    .and_then(|c| c.get(FIELD))
                    .and_then(serde_json::Value::as_bool);
                if ticked == Some(true) {
                    Answer::Yes
                } else {
                    Answer::No
                }
            }
            ElicitationAction::Decline => Answer::Declined,
            // Cancel, and any action a later revision adds: go no further.
            _ => Answer::Cancelled,
        };
        Ok(Reply::Answered(facts, answer))
    }
}

/// The bytes a state is bound to: which tool, whose collection, which snippet, and
/// for a save the text itself.
pub fn call_binding(tool: &str, collection: &str, name: &str, text: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{tool}\n{collection}\n{name}\n").into_bytes();
    bytes.extend_from_slice(text);
    bytes
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    const CALL: &[u8] = b"delete_snippet\nshared\nnotes\n";

    fn confirmations() -> Confirmations {
        Confirmations::new(&RequestStateKey::PerProcess).unwrap()
    }

    /// A state this server sealed for [`CALL`].
    fn sealed(confirmations: &Confirmations) -> String {
        confirmations
            .ask("Delete?".to_owned(), &json!({"size_bytes": 3}), CALL)
            .unwrap()
            .request_state
            .unwrap()
    }

    /// What a client could send as `inputResponses.confirm`.
    fn response() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,16}".prop_map(Value::from),
            prop_oneof![Just("accept"), Just("decline"), Just("cancel")].prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("action".to_owned()),
                        Just("content".to_owned()),
                        Just(FIELD.to_owned()),
                        ".{0,6}"
                    ],
                    inner,
                    0..4
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        });
        prop_oneof![
            value.clone(),
            (
                prop_oneof![
                    Just("accept".to_owned()),
                    Just("decline".to_owned()),
                    ".{0,8}"
                ],
                value
            )
                .prop_map(
                    |(action, content)| json!({"action": action, "content": {FIELD: content}})
                ),
        ]
    }

    /// Found by `fuzz_confirmation_answers`: serde reads a struct from an array, so
    /// `["accept", {"confirm": true}]` was taken for a yes.
    #[test]
    fn only_an_object_is_an_answer() {
        let confirmations = confirmations();
        let state = sealed(&confirmations);
        let array = json!(["accept", {FIELD: true}, null]);
        let responses = InputResponses::from([(QUESTION.to_owned(), array)]);
        let reply = confirmations.read::<Value>(&state, Some(&responses), CALL);
        let Err(error) = reply else {
            panic!("an array was read as an answer");
        };
        assert_eq!(error.code, rmcp::model::ErrorCode::INVALID_PARAMS);
        assert!(
            error.message.contains("expected an object"),
            "{}",
            error.message
        );
    }

    proptest! {
        #![proptest_config(crate::property::config())]

        /// A state this server did not seal, or sealed and someone changed, never
        /// opens, whatever the answer beside it; never a panic.
        #[test]
        fn fuzz_request_state(
            forged in prop_oneof![".{0,300}", "[A-Za-z0-9_.~-]{0,300}"],
            edit in (any::<prop::sample::Index>(), any::<char>()),
            answer in proptest::option::of(response()),
        ) {
            let confirmations = confirmations();
            let responses = answer.map(|a| InputResponses::from([(QUESTION.to_owned(), a)]));
            let reply = confirmations.read::<Value>(&forged, responses.as_ref(), CALL);
            prop_assert!(matches!(reply, Ok(Reply::Invalid)));

            let state = sealed(&confirmations);
            let (index, replacement) = edit;
            let mut chars: Vec<char> = state.chars().collect();
            let at = index.index(chars.len());
            prop_assume!(chars[at] != replacement);
            chars[at] = replacement;
            let edited: String = chars.into_iter().collect();
            let reply = confirmations.read::<Value>(&edited, responses.as_ref(), CALL);
            prop_assert!(matches!(reply, Ok(Reply::Invalid)));
        }

        /// A genuine state with any answer: a reply, or the client's error; never a
        /// panic, and only an accepted, ticked form is a yes.
        #[test]
        fn fuzz_confirmation_answers(answer in response()) {
            let confirmations = confirmations();
            let state = sealed(&confirmations);
            let responses = InputResponses::from([(QUESTION.to_owned(), answer.clone())]);
            match confirmations.read::<Value>(&state, Some(&responses), CALL) {
                Ok(Reply::Answered(_, Answer::Yes)) => {
                    prop_assert_eq!(&answer["action"], "accept");
                    prop_assert_eq!(&answer["content"][FIELD], true);
                }
                Ok(Reply::Answered(..)) => {}
                Ok(other) => prop_assert!(false, "not an answer: {}", matches!(other, Reply::Invalid)),
                Err(error) => prop_assert_eq!(error.code, rmcp::model::ErrorCode::INVALID_PARAMS),
            }
        }
    }
}
