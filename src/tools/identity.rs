//! Who is calling: the signed-in user, and their Microsoft Graph profile.

use rmcp::{
    handler::server::tool::schema_for_output,
    model::{CallToolResult, ContentBlock},
    tool, tool_router,
};

use super::{Tools, success};
use crate::{
    fault,
    identity::{Caller, CurrentUser, ProfileError},
};

#[tool_router(router = identity_tools, vis = "pub(super)")]
impl Tools {
    /// Get the signed-in user who is calling this server: whether they are signed in, their name, user (object) id, tenant id, identity provider, and the app roles and scopes their token carries, plus their Microsoft Graph profile (display name, e-mail, user principal name, job title, office) when the server is set up to read it. Takes no arguments. An anonymous caller gets authenticated false and how to sign in, not an error.
    #[tool(
        title = "Current user",
        output_schema = schema_for_output::<CurrentUser>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_current_user(&self, caller: Caller) -> CallToolResult {
        let mut user = CurrentUser::from_caller(&caller);
        if caller.user_id().is_none() {
            let text = user.message.clone().unwrap_or_default();
            return success(&user, format!("The caller is not signed in. {text}"));
        }
        match self.identity.profile(&caller).await {
            Ok(profile) => {
                user.profile = Some(profile);
                let text = user_text(&user);
                success(&user, text)
            }
            // Not set up for Graph (a local run): the principal is the whole answer.
            Err(error @ ProfileError::NotConfigured { .. }) => {
                user.message = Some(error.to_string());
                let text = user_text(&user);
                success(&user, text)
            }
            // The principal part still answers; the error says what to do, and is
            // logged with the invocation id it ends with.
            Err(error) => {
                let text = fault::report(&error);
                user.message = Some(error.to_string());
                let mut result = success(&user, user_text(&user));
                result.is_error = Some(true);
                result.content = vec![ContentBlock::text(format!(
                    "{text}\n\n{}",
                    user_text(&user)
                ))];
                result
            }
        }
    }
}

/// The user as a person reads it. Names and e-mail addresses go to the caller, who
/// asked about themselves; they are never logged.
fn user_text(user: &CurrentUser) -> String {
    let mut lines = vec![format!(
        "Signed in as {} (user id {}, tenant {}, signed in with {}).",
        user.name.as_deref().unwrap_or("a user without a name"),
        user.user_id.as_ref().map_or("unknown", |id| id.as_str()),
        user.tenant_id.as_deref().unwrap_or("unknown"),
        user.identity_provider
            .as_deref()
            .unwrap_or("an unknown provider"),
    )];
    if !user.roles.is_empty() {
        lines.push(format!("App roles: {}.", user.roles.join(", ")));
    }
    if !user.scopes.is_empty() {
        lines.push(format!("Scopes: {}.", user.scopes.join(", ")));
    }
    if let Some(profile) = &user.profile {
        let fields = [
            ("Display name", &profile.display_name),
            ("E-mail", &profile.mail),
            ("User principal name", &profile.user_principal_name),
            ("Job title", &profile.job_title),
            ("Office", &profile.office_location),
        ];
        lines.push("Microsoft Graph profile:".to_owned());
        for (label, value) in fields {
            if let Some(value) = value {
                lines.push(format!("- {label}: {value}"));
            }
        }
    }
    if let Some(message) = &user.message {
        lines.push(message.clone());
    }
    lines.join("\n")
}
