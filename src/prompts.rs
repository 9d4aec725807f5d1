//! Prompts a person picks in their client: a saved snippet dropped into the chat,
//! and a weather briefing that puts the weather tools to work.

use rmcp::{
    ErrorData as McpError, RoleServer,
    handler::server::{router::prompt::PromptRouter, wrapper::Parameters},
    model::{GetPromptResult, PromptMessage, ResourceContents, Role},
    prompt, prompt_router,
    service::RequestContext,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{
    access::{SnippetAccess, rpc_error},
    identity::Identity,
    resources::{SNIPPET_URI_PREFIX, mime_type},
};

/// The prompts, over the caller's snippets and identity.
#[derive(Clone)]
pub(crate) struct Prompts {
    pub snippets: SnippetAccess,
    pub identity: Identity,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct UseSnippetArgs {
    /// The name of a saved snippet, as list_snippets shows it.
    name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct BriefingArgs {
    /// A place name anywhere in the world, e.g. "Seattle" or "Berlin".
    location: String,
}

#[prompt_router(vis = "pub")]
impl Prompts {
    /// Put a saved snippet into the conversation: its text, as an embedded resource the model can read and quote.
    #[prompt(name = "use_snippet")]
    async fn use_snippet(
        &self,
        Parameters(args): Parameters<UseSnippetArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResult, McpError> {
        let caller = self
            .identity
            .caller(context.extensions.get::<http::request::Parts>());
        let collection = self.snippets.collection(&caller).map_err(rpc_error)?;
        let snippet = collection.get(&args.name).await.map_err(rpc_error)?;
        let resource = ResourceContents::TextResourceContents {
            uri: format!("{SNIPPET_URI_PREFIX}{}", snippet.name),
            mime_type: Some(mime_type(&snippet.name).to_owned()),
            text: snippet.content,
            meta: None,
        };
        Ok(GetPromptResult::new(vec![
            PromptMessage::new_text(
                Role::User,
                format!("Here is my saved snippet {:?}:", snippet.name),
            ),
            PromptMessage::new(Role::User, rmcp::model::ContentBlock::resource(resource)),
        ])
        .with_description(format!("The saved snippet {:?}", snippet.name)))
    }

    /// A weather briefing for a place: current conditions anywhere, and for places in the US the active alerts and the coming days' forecast.
    #[prompt(name = "weather_briefing")]
    async fn weather_briefing(
        &self,
        Parameters(args): Parameters<BriefingArgs>,
    ) -> Result<GetPromptResult, McpError> {
        let location = args.location.trim();
        if location.is_empty() {
            return Err(McpError::invalid_params(
                "`location` is empty; give a place name such as \"Seattle\"",
                None,
            ));
        }
        let text = format!(
            "Give me a weather briefing for {location}. Get the current conditions with \
             get_weather. If {location} is in the United States, also check get_alerts for \
             its state and get_forecast for its coordinates (get_weather reports them). Then \
             summarise, in a few sentences, what to expect today and in the coming days, and \
             anything to prepare for."
        );
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(format!("Weather briefing for {location}")),
        )
    }
}

impl Prompts {
    /// Every prompt, to be built once and kept by the handler.
    pub(crate) fn router() -> PromptRouter<Self> {
        Self::prompt_router()
    }
}
