//! Callers as App Service built-in authentication forwards them: the principal
//! headers of a signed-in user, and MCP clients that send them.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use http::{HeaderName, HeaderValue};
use rmcp::{
    RoleClient, ServiceExt,
    model::{ClientCapabilities, ClientConfig, Implementation},
    service::RunningService,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::json;

/// The tenant every test user signs in from.
pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// A user as built-in authentication describes them.
pub(crate) struct SignedIn {
    pub oid: &'static str,
    pub name: &'static str,
    /// The caller's own access token for the app (`Authorization: Bearer`).
    pub token: &'static str,
}

pub(crate) const ALICE: SignedIn = SignedIn {
    oid: "d5e979c7-3d2d-42af-8f30-727dd4c2d383",
    name: "Alice Adams",
    token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.alice-token-for-the-app.sig",
};

pub(crate) const BOB: SignedIn = SignedIn {
    oid: "0b7e8a2c-91f4-4c4e-b3a5-6f0a1e2d3c4b",
    name: "Bob Brown",
    token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bob-token-for-the-app.sig",
};

impl SignedIn {
    /// `X-MS-CLIENT-PRINCIPAL`: base64 JSON with the claims Entra ID puts in a token.
    pub(crate) fn principal(&self) -> String {
        principal_of(json!([
            {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": self.oid},
            {"typ": "http://schemas.microsoft.com/identity/claims/tenantid", "val": TENANT},
            {"typ": "name", "val": self.name},
            {"typ": "http://schemas.microsoft.com/identity/claims/scope", "val": "user_impersonation"},
        ]))
    }

    /// Every header built-in authentication forwards for this user.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("x-ms-client-principal", self.principal()),
            ("x-ms-client-principal-id", self.oid.to_owned()),
            ("x-ms-client-principal-name", self.name.to_owned()),
            ("x-ms-client-principal-idp", "aad".to_owned()),
            ("authorization", format!("Bearer {}", self.token)),
        ]
    }
}

/// A principal header holding `claims`.
pub(crate) fn principal_of(claims: serde_json::Value) -> String {
    let principal = json!({
        "auth_typ": "aad",
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": claims,
    });
    STANDARD.encode(principal.to_string())
}

/// An rmcp client at `url` sending `headers` with every request (none for an anonymous
/// caller), initialized.
pub(crate) async fn client_with(
    url: &str,
    headers: &[(&str, String)],
) -> RunningService<RoleClient, ClientConfig> {
    let headers: HashMap<HeaderName, HeaderValue> = headers
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            )
        })
        .collect();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()).custom_headers(headers),
    );
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("rust-mcp-functions-tests", "0"),
    )
    .serve(transport)
    .await
    .unwrap()
}
