//! Entra ID's error answers to the on-behalf-of exchange: which fields are safe to
//! read, what their codes mean, and which [`ProfileError`] each becomes.

use reqwest::StatusCode;
use serde::Deserialize;

use super::ProfileError;

/// Entra ID error codes (`AADSTS<n>`) the exchange acts on, named after Microsoft's
/// list (learn.microsoft.com, "Microsoft Entra authentication and authorization error
/// codes").
pub(super) mod aadsts {
    /// How every code is written in messages: `AADSTS65001`.
    pub(crate) const PREFIX: &str = "AADSTS";

    /// The user (or an admin) has not consented to the app's use of Graph.
    pub(crate) const CONSENT_REQUIRED: u64 = 65_001;

    /// Multifactor authentication is required.
    pub(crate) const MFA_REQUIRED: u64 = 50_076;
    /// The user must register for multifactor authentication.
    pub(crate) const MFA_ENROLLMENT_REQUIRED: u64 = 50_079;
    /// Strong authentication is required (interrupt).
    pub(crate) const STRONG_AUTH_REQUIRED: u64 = 50_074;
    /// An external security challenge was not satisfied.
    pub(crate) const EXTERNAL_CHALLENGE_NOT_SATISFIED: u64 = 50_158;
    /// A Conditional Access policy blocked the sign-in.
    pub(crate) const BLOCKED_BY_CONDITIONAL_ACCESS: u64 = 53_003;

    /// The client assertion (our cached managed-identity token) is not within its
    /// valid time range: it expired under us.
    pub(crate) const CLIENT_ASSERTION_EXPIRED: u64 = 700_024;
    /// The client secret (here: assertion) is invalid.
    pub(crate) const INVALID_CLIENT_SECRET: u64 = 7_000_215;
    /// The application was not found in the tenant.
    pub(crate) const APP_NOT_FOUND: u64 = 700_016;
    /// No federated identity credential matches the assertion.
    pub(crate) const NO_MATCHING_FEDERATED_CREDENTIAL: u64 = 70_021;
    /// No federated identity credential matches the assertion's issuer.
    pub(crate) const FEDERATED_ISSUER_MISMATCH: u64 = 700_211;
    /// No federated identity credential matches the assertion's audience.
    pub(crate) const FEDERATED_AUDIENCE_MISMATCH: u64 = 700_212;
    /// No federated identity credential matches the assertion's subject.
    pub(crate) const FEDERATED_SUBJECT_MISMATCH: u64 = 700_213;
}

/// Codes that ask the user for another sign-in step.
const INTERACTION_REQUIRED: [u64; 5] = [
    aadsts::MFA_REQUIRED,
    aadsts::MFA_ENROLLMENT_REQUIRED,
    aadsts::STRONG_AUTH_REQUIRED,
    aadsts::EXTERNAL_CHALLENGE_NOT_SATISFIED,
    aadsts::BLOCKED_BY_CONDITIONAL_ACCESS,
];

/// Codes that refuse the app's own credential: a deployment problem.
const APP_CREDENTIAL_REJECTED: [u64; 7] = [
    aadsts::CLIENT_ASSERTION_EXPIRED,
    aadsts::INVALID_CLIENT_SECRET,
    aadsts::APP_NOT_FOUND,
    aadsts::NO_MATCHING_FEDERATED_CREDENTIAL,
    aadsts::FEDERATED_ISSUER_MISMATCH,
    aadsts::FEDERATED_AUDIENCE_MISMATCH,
    aadsts::FEDERATED_SUBJECT_MISMATCH,
];

/// The fields of an Entra ID error answer that are safe to act on: names and numbers.
/// `error_description` is read only for its leading `AADSTS<n>` code.
#[derive(Default, Deserialize)]
pub(super) struct EntraError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_codes: Vec<u64>,
    #[serde(default)]
    suberror: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl EntraError {
    fn code(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            let description = self.error_description.as_deref()?;
            let digits: String = description
                .strip_prefix(aadsts::PREFIX)?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
    }

    /// The [`ProfileError`] this answer (with `status`) means; `consent_url` is where
    /// the user can grant consent or sign in again.
    pub(super) fn classify(&self, status: StatusCode, consent_url: Option<&str>) -> ProfileError {
        let code = self.code();
        let name = self.error.as_deref().filter(|e| is_code_name(e));
        let has = |c: u64| self.error_codes.contains(&c) || code == Some(c);
        let named = |n: &str| name == Some(n) || self.suberror.as_deref() == Some(n);
        let detail = || {
            let mut parts = vec![format!("HTTP {}", status.as_u16())];
            parts.extend(name.map(str::to_owned));
            parts.extend(code.map(|c| format!("{}{c}", aadsts::PREFIX)));
            parts.join(", ")
        };
        let consent_url = consent_url.map(str::to_owned);
        if has(aadsts::CONSENT_REQUIRED) || named("consent_required") {
            ProfileError::ConsentRequired { consent_url }
        } else if named("interaction_required") || INTERACTION_REQUIRED.into_iter().any(has) {
            ProfileError::InteractionRequired { code, consent_url }
        } else if name == Some("invalid_client") || APP_CREDENTIAL_REJECTED.into_iter().any(has) {
            ProfileError::AppCredentialRejected { code }
        } else if name == Some("invalid_grant") {
            // AADSTS500133 (expired), 50013 (bad signature or audience), 50173, ...
            ProfileError::UserTokenRejected { code }
        } else if status.is_server_error()
            || matches!(name, Some("temporarily_unavailable" | "server_error"))
        {
            ProfileError::EntraUnavailable { detail: detail() }
        } else {
            ProfileError::ExchangeFailed { detail: detail() }
        }
    }
}

/// Error names worth repeating: short identifiers, nothing a service could smuggle
/// text (or a token) through.
pub(super) fn is_code_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}
