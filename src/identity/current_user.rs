//! What `get_current_user` reports: the caller as the principal describes them, and,
//! when it could be read, their Graph profile.

use schemars::JsonSchema;
use serde::Serialize;

use super::{
    principal::{AnonymousReason, Caller},
    profile::GraphProfile,
    user_id::UserId,
};

/// The current user, as the tool returns it (camelCase on the wire).
#[derive(Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUser {
    /// Whether the caller is a user signed in through the server's built-in authentication.
    pub authenticated: bool,
    /// The user's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's Microsoft Entra ID object id (a lowercase GUID): the key their private data is stored under.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub user_id: Option<UserId>,
    /// The Microsoft Entra ID tenant (directory) id the user signed in from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The identity provider the user signed in with, e.g. "aad" for Microsoft Entra ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<String>,
    /// The app roles the user holds in this app.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The delegated permissions (scopes) the user's token grants this app.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The user's Microsoft Graph profile, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<GraphProfile>,
    /// Why the caller is anonymous, or why the profile is missing, and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl CurrentUser {
    /// The principal part: always available, no network.
    pub fn from_caller(caller: &Caller) -> Self {
        match caller {
            Caller::User(principal) => Self {
                authenticated: true,
                name: principal.name.clone(),
                user_id: Some(principal.user_id.clone()),
                tenant_id: principal.tenant_id.clone(),
                identity_provider: principal.identity_provider.clone(),
                roles: principal.roles.clone(),
                scopes: principal.scopes.clone(),
                profile: None,
                message: None,
            },
            Caller::Anonymous(reason) => Self::anonymous(*reason),
        }
    }

    fn anonymous(reason: AnonymousReason) -> Self {
        Self {
            authenticated: false,
            name: None,
            user_id: None,
            tenant_id: None,
            identity_provider: None,
            roles: Vec::new(),
            scopes: Vec::new(),
            profile: None,
            message: Some(reason.message()),
        }
    }
}
