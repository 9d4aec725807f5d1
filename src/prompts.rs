//! Prompts a person picks in their client: a saved snippet dropped into the chat,
//! and a weather briefing that puts the weather tools to work.

use std::sync::Arc;

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
    config::SnippetsScope,
    fault,
    identity::Identity,
    resources::{SNIPPET_URI_PREFIX, mime_type},
    snippets::{Owner, SnippetError, Snippets},
};

/// The prompts, over the snippet store and the caller's identity.
#[derive(Clone)]
pub struct Prompts {
    pub snippets: Arc<Snippets>,
    pub scope: SnippetsScope,
    pub identity: Identity,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UseSnippetArgs {
    /// The name of a saved snippet, as list_snippets shows it.
    name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BriefingArgs {
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
        let owner = Owner::of(self.scope, &caller)
            .map_err(|e| McpError::invalid_request(e.sentence(), None))?;
        let snippet = match self.snippets.get(&owner, &args.name).await {
            Ok(snippet) => snippet,
            Err(e @ (SnippetError::NotFound { .. } | SnippetError::InvalidName(_))) => {
                return Err(McpError::invalid_params(e.sentence(), None));
            }
            Err(e) => return Err(McpError::internal_error(fault::report(&e), None)),
        };
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
    pub fn router() -> PromptRouter<Self> {
        Self::prompt_router()
    }
}
