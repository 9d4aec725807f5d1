//! Why a Graph profile could not be read, in words the model can pass on.

use std::time::Duration;

use super::entra::aadsts;
use crate::fault::Fault;

/// Why the profile could not be read. `Display` is a sentence for the model: what
/// happened and what the user (or the operator) can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("The Microsoft Graph profile needs a signed-in user, and this caller is anonymous.")]
    NotSignedIn,
    #[error(
        "The Microsoft Graph profile is not available on this server: it needs App \
         Service built-in authentication with a managed identity, and these settings are \
         not set: {}.", missing.join(", ")
    )]
    NotConfigured { missing: Vec<&'static str> },
    #[error(
        "The request carried no bearer token to exchange for a Microsoft Graph token (a \
         browser session is not enough). Connect with an MCP client that signs in with \
         Microsoft Entra ID and sends its token."
    )]
    NoUserToken,
    #[error("{}", consent_text(consent_url.as_deref()))]
    ConsentRequired { consent_url: Option<String> },
    #[error(
        "Microsoft Entra ID requires another sign-in step (such as multifactor \
         authentication or a Conditional Access policy) before this app may read your \
         profile{}. {}", code_suffix(*code), sign_in_again(consent_url.as_deref())
    )]
    InteractionRequired {
        code: Option<u64>,
        consent_url: Option<String>,
    },
    #[error(
        "Microsoft Entra ID refused your sign-in token for the exchange: it has expired \
         or was not issued for this app{}. Sign in again (reconnect this MCP server in \
         your client) and retry.", code_suffix(*code)
    )]
    UserTokenRejected { code: Option<u64> },
    #[error(
        "Microsoft Entra ID refused this server's own credential (its managed identity \
         as a federated credential of the app registration){}. This is a deployment \
         problem the server's operator must fix; retrying will not help.", code_suffix(*code)
    )]
    AppCredentialRejected { code: Option<u64> },
    #[error(
        "The server's managed identity could not get a token ({detail}). This is a \
         deployment problem the server's operator must fix."
    )]
    ManagedIdentity { detail: String },
    #[error(
        "Microsoft Entra ID is not answering the token exchange right now ({detail}). \
         Try again in a minute."
    )]
    EntraUnavailable { detail: String },
    #[error("The token exchange with Microsoft Entra ID failed ({detail}).")]
    ExchangeFailed { detail: String },
    #[error("Microsoft Graph refused the exchanged token ({detail}). Sign in again and retry.")]
    GraphRejected { detail: String },
    #[error("Microsoft Graph is not answering right now ({detail}). Try again in a minute.")]
    GraphUnavailable { detail: String },
    #[error("Microsoft Graph answered with an error ({detail}).")]
    GraphFailed { detail: String },
    #[error(
        "Looking up the Microsoft Graph profile took longer than {} seconds and was \
         abandoned. Try again in a minute.", limit.as_secs_f64()
    )]
    Timeout { limit: Duration },
}

/// Already quiet: status codes and error names only, never an endpoint, a token or
/// a service's description (which can quote names), so the log line holds the same
/// text after the kind. What went wrong on the wire is logged where it happens
/// ([`super::transport_error`]).
impl Fault for ProfileError {
    fn detail(&self) -> String {
        format!("{}: {self}", self.kind())
    }
}

fn consent_text(consent_url: Option<&str>) -> String {
    let how = match consent_url {
        Some(url) => format!(
            "Open {url} in a browser, sign in and accept the permissions, then call this \
             tool again."
        ),
        None => "Ask an administrator to grant consent to the app registration for \
                 Microsoft Graph User.Read."
            .to_owned(),
    };
    format!(
        "You are signed in, but you have not yet allowed this app to read your Microsoft \
         Graph profile (consent is missing, Entra ID error {}{}). {how}",
        aadsts::PREFIX,
        aadsts::CONSENT_REQUIRED
    )
}

fn sign_in_again(consent_url: Option<&str>) -> String {
    match consent_url {
        Some(url) => format!("Open {url} in a browser, complete the sign-in, then retry."),
        None => "Sign in again in a browser, then retry.".to_owned(),
    }
}

fn code_suffix(code: Option<u64>) -> String {
    code.map(|c| format!(" (Entra ID error {}{c})", aadsts::PREFIX))
        .unwrap_or_default()
}

impl ProfileError {
    /// A short, stable name for log lines and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotSignedIn => "not_signed_in",
            Self::NotConfigured { .. } => "not_configured",
            Self::NoUserToken => "no_user_token",
            Self::ConsentRequired { .. } => "consent_required",
            Self::InteractionRequired { .. } => "interaction_required",
            Self::UserTokenRejected { .. } => "user_token_rejected",
            Self::AppCredentialRejected { .. } => "app_credential_rejected",
            Self::ManagedIdentity { .. } => "managed_identity",
            Self::EntraUnavailable { .. } => "entra_unavailable",
            Self::ExchangeFailed { .. } => "exchange_failed",
            Self::GraphRejected { .. } => "graph_rejected",
            Self::GraphUnavailable { .. } => "graph_unavailable",
            Self::GraphFailed { .. } => "graph_failed",
            Self::Timeout { .. } => "timeout",
        }
    }
}
