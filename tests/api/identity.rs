//! The identity module against local stand-ins for App Service's managed-identity
//! endpoint, Entra ID's token endpoint and Microsoft Graph, each checking what it
//! receives and answering bodies Microsoft documents or that were recorded from the
//! real services (`tests/fixtures/README.md`). Also the `Caller` extractor through the
//! real `/mcp` transport.

use std::{
    collections::HashMap,
    io,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use rmcp::model::CallToolResult;
use rust_mcp_functions::{
    config::IdentityConfig,
    identity::{Caller, CurrentUser, GraphProfile, Identity, ProfileError},
};
use serde_json::{Value, json};
use tracing::subscriber::DefaultGuard;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::helpers::{
    Handler, call_tool,
    identity::{ALICE, TENANT, client_with},
    repo_root, result_text,
};

const OID: &str = ALICE.oid;
const APP_CLIENT_ID: &str = "535fb089-9ff3-47b6-9bfb-4f1264799865";
const MI_CLIENT_ID: &str = "7e2f0c7c-0000-4000-8000-00000000c11d";
const IDENTITY_HEADER: &str = "853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a";
/// The caller's own access token for this app, as an MCP client sends it.
const USER_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.caller-token-for-the-app.sig";
const HOST: &str = "myapp.azurewebsites.net";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The managed-identity answer documented for App Service, with `expires_on` moved
/// to an hour from now (the documented one is in 2020).
fn managed_identity_answer() -> Value {
    let mut body = fixture("managed-identity-token.json");
    let in_an_hour = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    body["expires_on"] = json!(in_an_hour.to_string());
    body
}

fn mi_token() -> String {
    fixture("managed-identity-token.json")["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn graph_token() -> String {
    fixture("entra-obo-token.json")["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The three upstreams.
struct Upstreams {
    identity: MockServer,
    entra: MockServer,
    graph: MockServer,
}

impl Upstreams {
    async fn start() -> Self {
        Self {
            identity: MockServer::start().await,
            entra: MockServer::start().await,
            graph: MockServer::start().await,
        }
    }

    /// The settings App Service and our Bicep give a deployed app, pointed here.
    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WEBSITE_AUTH_ENABLED", "True".to_owned()),
            ("WEBSITE_AUTH_CLIENT_ID", APP_CLIENT_ID.to_owned()),
            ("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", TENANT.to_owned()),
            (
                "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
                MI_CLIENT_ID.to_owned(),
            ),
            (
                "IDENTITY_ENDPOINT",
                format!("{}/msi/token", self.identity.uri()),
            ),
            ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
            ("AZURE_AUTHORITY_HOST", self.entra.uri()),
            ("GRAPH_API_BASE_URL", self.graph.uri()),
            ("WEBSITE_HOSTNAME", HOST.to_owned()),
        ]
    }

    /// [`Upstreams::vars`] and `extra`, parsed as the server parses them.
    fn config(&self, extra: &[(&str, &str)]) -> IdentityConfig {
        let mut vars: HashMap<String, String> = self
            .vars()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        IdentityConfig::from_lookup(&|name: &str| vars.get(name).cloned()).unwrap()
    }

    /// The real binary with these settings and `extra`.
    fn handler(&self, extra: &[(&str, &str)]) -> Handler {
        let vars = self.vars();
        let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        Handler::start(&all)
    }

    /// The managed identity and the exchange answer as they should, once each; Graph
    /// answers `graph`, once.
    async fn graph_answers(&self, graph: ResponseTemplate) {
        self.expect_managed_identity(1).await;
        self.exchange(json_answer(200, fixture("entra-obo-token.json")))
            .expect(1)
            .mount(&self.entra)
            .await;
        self.me(graph).expect(1).mount(&self.graph).await;
    }

    /// App Service's token endpoint: answers only the request the docs describe.
    async fn expect_managed_identity(&self, times: u64) {
        Mock::given(method("GET"))
            .and(path("/msi/token"))
            .and(query_param("api-version", "2019-08-01"))
            .and(query_param("resource", "api://AzureADTokenExchange"))
            .and(query_param("client_id", MI_CLIENT_ID))
            .and(header("x-identity-header", IDENTITY_HEADER))
            .respond_with(ResponseTemplate::new(200).set_body_json(managed_identity_answer()))
            .expect(times)
            .mount(&self.identity)
            .await;
    }

    /// Entra ID's token endpoint: answers `answer` only to an on-behalf-of request
    /// for this app, with the managed-identity token as the client assertion and the
    /// caller's token as the user assertion.
    fn exchange(&self, answer: ResponseTemplate) -> Mock {
        Mock::given(method("POST"))
            .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .and(FormIs(vec![
                ("client_id", APP_CLIENT_ID.to_owned()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ),
                ("client_assertion", mi_token()),
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
                ),
                ("assertion", USER_TOKEN.to_owned()),
                ("requested_token_use", "on_behalf_of".to_owned()),
                ("scope", format!("{}/User.Read", self.graph.uri())),
            ]))
            .respond_with(answer)
    }

    /// Graph `/me`: demands the exchanged token.
    fn me(&self, answer: ResponseTemplate) -> Mock {
        Mock::given(method("GET"))
            .and(path("/v1.0/me"))
            .and(query_param(
                "$select",
                "displayName,mail,userPrincipalName,jobTitle,officeLocation",
            ))
            .and(header(
                "authorization",
                format!("Bearer {}", graph_token()).as_str(),
            ))
            .respond_with(answer)
    }
}

/// A form body with exactly these fields, each once.
struct FormIs(Vec<(&'static str, String)>);

impl wiremock::Match for FormIs {
    fn matches(&self, request: &Request) -> bool {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        fields.len() == self.0.len()
            && self.0.iter().all(|(name, value)| {
                fields
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v)
                    .eq([value])
            })
    }
}

fn json_answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// The request a signed-in MCP client makes through built-in authentication.
fn signed_in_parts() -> http::request::Parts {
    let principal = json!({
        "auth_typ": "aad",
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": [
            {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": OID},
            {"typ": "http://schemas.microsoft.com/identity/claims/tenantid", "val": TENANT},
            {"typ": "name", "val": "Navya Canumalla"},
            {"typ": "http://schemas.microsoft.com/identity/claims/scope", "val": "user_impersonation"},
        ]
    });
    http::Request::builder()
        .header(
            "x-ms-client-principal",
            STANDARD.encode(principal.to_string()),
        )
        .header("x-ms-client-principal-id", OID)
        .header("x-ms-client-principal-idp", "aad")
        .header("authorization", format!("Bearer {USER_TOKEN}"))
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// Records every event at DEBUG and up on this thread (the tests run on a
/// current-thread runtime, so the HTTP client's tasks are recorded too).
struct Logs {
    sink: Arc<Mutex<Vec<u8>>>,
    _guard: DefaultGuard,
}

impl Logs {
    fn capture() -> Self {
        #[derive(Clone)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl io::Write for Sink {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink(Arc::default());
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        Self {
            sink: sink.0,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8(self.sink.lock().unwrap().clone()).unwrap()
    }

    /// No secret, and no personal data from the profile, in any line.
    fn assert_clean(&self) {
        let text = self.text();
        for secret in [
            USER_TOKEN.to_owned(),
            mi_token(),
            graph_token(),
            IDENTITY_HEADER.to_owned(),
            "Adele".to_owned(),
            "Navya".to_owned(),
            "contoso.com".to_owned(),
        ] {
            assert!(!text.contains(&secret), "{secret:?} logged:\n{text}");
        }
    }
}

async fn profile_of(config: &IdentityConfig) -> Result<GraphProfile, ProfileError> {
    let identity = Identity::new(config);
    let caller = identity.caller(Some(&signed_in_parts()));
    identity.profile(&caller).await
}

#[tokio::test]
async fn the_profile_comes_through_the_on_behalf_of_exchange() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    // The managed-identity token is cached: one request for two lookups.
    upstreams.expect_managed_identity(1).await;
    upstreams
        .exchange(json_answer(200, fixture("entra-obo-token.json")))
        .expect(2)
        .mount(&upstreams.entra)
        .await;
    upstreams
        .me(json_answer(200, fixture("graph-me.json")))
        .expect(2)
        .mount(&upstreams.graph)
        .await;

    let identity = Identity::new(&upstreams.config(&[]));
    let caller = identity.caller(Some(&signed_in_parts()));
    assert_eq!(caller.user_id().unwrap().as_str(), OID);
    let mut last = None;
    for _ in 0..2 {
        let profile = identity.profile(&caller).await.unwrap();
        assert_eq!(
            serde_json::to_value(&profile).unwrap(),
            json!({
                "displayName": "Adele Vance",
                "mail": "AdeleV@contoso.com",
                "userPrincipalName": "AdeleV@contoso.com",
                "jobTitle": "Retail Manager",
                "officeLocation": "18/2111",
            })
        );
        last = Some(profile);
    }
    // What the tool would report: the principal part and the profile.
    let mut user = CurrentUser::from_caller(&caller);
    user.profile = last;
    let view = serde_json::to_value(&user).unwrap();
    assert_eq!(view["userId"], OID);
    assert_eq!(view["tenantId"], TENANT);
    assert_eq!(view["profile"]["jobTitle"], "Retail Manager");
    logs.assert_clean();
    assert!(
        logs.text().contains(OID),
        "the oid may be logged:\n{}",
        logs.text()
    );
    // The `expect` counts are verified when the mock servers drop.
}

#[tokio::test]
async fn missing_consent_answers_with_the_consent_link() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(1).await;
    upstreams
        .exchange(json_answer(400, fixture("entra-obo-consent-required.json")))
        .expect(1)
        .mount(&upstreams.entra)
        .await;
    upstreams
        .me(json_answer(200, fixture("graph-me.json")))
        .expect(0)
        .mount(&upstreams.graph)
        .await;

    let error = profile_of(&upstreams.config(&[])).await.unwrap_err();
    assert!(
        matches!(error, ProfileError::ConsentRequired { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(
            "https://myapp.azurewebsites.net/.auth/login/aad?post_login_redirect_uri=/authcomplete"
        ),
        "{message}"
    );
    assert!(message.contains("AADSTS65001"), "{message}");
    // Entra ID's description is not repeated (it names the app, and can name users).
    assert!(!message.contains("TestSpWithCert"), "{message}");
    logs.assert_clean();
}

#[tokio::test]
async fn an_expired_user_token_asks_to_sign_in_again() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(1).await;
    upstreams
        .exchange(json_answer(
            400,
            fixture("entra-obo-assertion-expired.json"),
        ))
        .expect(1)
        .mount(&upstreams.entra)
        .await;

    let error = profile_of(&upstreams.config(&[])).await.unwrap_err();
    assert_eq!(
        error,
        ProfileError::UserTokenRejected {
            code: Some(500_133)
        }
    );
    let message = error.to_string();
    assert!(message.contains("Sign in again"), "{message}");
    assert!(message.contains("AADSTS500133"), "{message}");
    assert!(!message.contains("Trace ID"), "{message}");
    logs.assert_clean();
}

#[tokio::test]
async fn an_expired_client_assertion_is_renewed_once() {
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(2).await;
    // The first exchange refuses the (cached) client assertion as expired; the retry
    // with a fresh managed-identity token succeeds.
    upstreams
        .exchange(json_answer(
            401,
            fixture("entra-obo-client-assertion-expired.json"),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&upstreams.entra)
        .await;
    upstreams
        .exchange(json_answer(200, fixture("entra-obo-token.json")))
        .expect(1)
        .mount(&upstreams.entra)
        .await;
    upstreams
        .me(json_answer(200, fixture("graph-me.json")))
        .expect(1)
        .mount(&upstreams.graph)
        .await;

    let profile = profile_of(&upstreams.config(&[])).await.unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Adele Vance"));
}

#[tokio::test]
async fn graph_failing_is_reported_as_unavailable() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    upstreams
        .graph_answers(json_answer(500, fixture("graph-error-500.json")))
        .await;

    let error = profile_of(&upstreams.config(&[])).await.unwrap_err();
    assert_eq!(
        error,
        ProfileError::GraphUnavailable {
            detail: "HTTP 500, generalException".to_owned()
        }
    );
    assert!(error.to_string().contains("Try again"), "{error}");
    logs.assert_clean();
}

#[tokio::test]
async fn graph_refusing_the_token_is_reported() {
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(1).await;
    upstreams
        .exchange(json_answer(200, fixture("entra-obo-token.json")))
        .mount(&upstreams.entra)
        .await;
    // A Graph that does not accept the exchanged token: every request is a 401.
    Mock::given(method("GET"))
        .and(path("/v1.0/me"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&upstreams.graph)
        .await;

    let error = profile_of(&upstreams.config(&[])).await.unwrap_err();
    assert!(
        matches!(error, ProfileError::GraphRejected { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Sign in again"), "{error}");
}

#[tokio::test]
async fn a_slow_graph_is_abandoned_at_the_deadline() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    upstreams
        .graph_answers(
            json_answer(200, fixture("graph-me.json")).set_delay(Duration::from_secs(60)),
        )
        .await;

    let error = profile_of(&upstreams.config(&[("GRAPH_TIMEOUT_SECONDS", "0.5")]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ProfileError::Timeout {
            limit: Duration::from_millis(500)
        }
    );
    assert!(error.to_string().contains("0.5 seconds"), "{error}");
    logs.assert_clean();
}

#[tokio::test]
async fn a_failing_managed_identity_is_an_operator_problem() {
    let logs = Logs::capture();
    let upstreams = Upstreams::start().await;
    Mock::given(method("GET"))
        .and(path("/msi/token"))
        .respond_with(json_answer(
            400,
            json!({"statusCode": 400, "message": "Unable to load the proper Managed Identity."}),
        ))
        .expect(1)
        .mount(&upstreams.identity)
        .await;
    upstreams
        .exchange(json_answer(200, fixture("entra-obo-token.json")))
        .expect(0)
        .mount(&upstreams.entra)
        .await;

    let error = profile_of(&upstreams.config(&[])).await.unwrap_err();
    assert_eq!(
        error,
        ProfileError::ManagedIdentity {
            detail: "HTTP 400".to_owned()
        }
    );
    assert!(error.to_string().contains("operator"), "{error}");
    logs.assert_clean();
}

#[tokio::test]
async fn the_exchange_runs_in_the_callers_tenant_when_it_is_allowed() {
    let upstreams = Upstreams::start().await;
    // The exchange mock answers only at /{TENANT}/…, the caller's tenant, which is
    // the second allowed one.
    upstreams
        .graph_answers(json_answer(200, fixture("graph-me.json")))
        .await;
    let allowed = format!("contoso.onmicrosoft.com,{TENANT}");
    let config = upstreams.config(&[("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", &allowed)]);
    let profile = profile_of(&config).await.unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Adele Vance"));
}

#[tokio::test]
async fn anonymous_callers_and_missing_settings_send_nothing() {
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(0).await;

    // Built-in authentication off: the same headers are not believed.
    let untrusted = upstreams.config(&[("WEBSITE_AUTH_ENABLED", "False")]);
    assert_eq!(
        profile_of(&untrusted).await.unwrap_err(),
        ProfileError::NotSignedIn
    );

    // No bearer token.
    let identity = Identity::new(&upstreams.config(&[]));
    let mut parts = signed_in_parts();
    parts.headers.remove("authorization");
    let caller = identity.caller(Some(&parts));
    assert!(matches!(caller, Caller::User(_)));
    assert_eq!(
        identity.profile(&caller).await.unwrap_err(),
        ProfileError::NoUserToken
    );

    // A laptop: none of the App Service settings.
    let local = IdentityConfig::from_lookup(&|name: &str| {
        (name == "WEBSITE_AUTH_ENABLED").then(|| "True".to_owned())
    })
    .unwrap();
    let error = profile_of(&local).await.unwrap_err();
    assert!(
        matches!(error, ProfileError::NotConfigured { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("IDENTITY_ENDPOINT"), "{error}");
}

/// `get_current_user` through the real binary, as a signed-in MCP client calls it.
async fn current_user(handler: &Handler, headers: &[(&str, String)]) -> CallToolResult {
    let client = client_with(&handler.url("/mcp"), headers).await;
    let result = call_tool(&client, "get_current_user", json!({})).await;
    client.cancel().await.unwrap();
    result
}

/// The invocation id the Functions host gives the requests of the failure tests.
const INVOCATION_ID: &str = "6f1c0b9e-2a4d-4e8b-9c3f-5d7a1e0b2c4d";

/// `get_current_user` as Alice, through a host that sends [`INVOCATION_ID`], failing:
/// the text says what failed and gives the invocation id, and none of `internals`;
/// the log's error line for that invocation holds `logged`.
async fn a_quiet_failure(handler: &mut Handler, internals: &[&str], logged: &str) -> String {
    let mut headers = alice();
    headers.push(("x-azure-functions-invocationid", INVOCATION_ID.to_owned()));
    let result = current_user(handler, &headers).await;
    assert_eq!(result.is_error, Some(true));
    let text = result_text(&result);
    assert!(
        text.contains(&format!("(invocation id: {INVOCATION_ID})")),
        "{text}"
    );
    for internal in internals {
        assert!(!text.contains(internal), "{internal:?} shown:\n{text}");
    }
    let line = handler.wait_for_output(logged);
    assert!(
        line.contains("ERROR") && line.contains(INVOCATION_ID),
        "{line}"
    );
    text
}

/// A loopback address nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_and_token_endpoint_failures_are_quiet_and_logged_whole() {
    // Graph failing.
    let upstreams = Upstreams::start().await;
    upstreams
        .graph_answers(json_answer(500, fixture("graph-error-500.json")))
        .await;
    let mut handler = upstreams.handler(&[]);
    let graph = upstreams.graph.address().to_string();
    let text = a_quiet_failure(
        &mut handler,
        &[&graph, "An unspecified error", "request-id"],
        "graph_unavailable",
    )
    .await;
    assert!(text.contains("HTTP 500, generalException"), "{text}");

    // The token endpoint not answering at all: the log has the whole error, with
    // the address; the caller, neither.
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(1).await;
    let entra = closed_port();
    let mut handler = upstreams.handler(&[("AZURE_AUTHORITY_HOST", &entra)]);
    let address = entra.trim_start_matches("http://");
    let text = a_quiet_failure(&mut handler, &[address, "127.0.0.1"], "entra_unavailable").await;
    assert!(text.contains("could not connect"), "{text}");
    let log = handler.output().join("\n");
    assert!(
        log.lines()
            .any(|l| l.contains(address) && l.contains(INVOCATION_ID)),
        "{log}"
    );
}

fn alice() -> Vec<(&'static str, String)> {
    let mut headers = ALICE.headers();
    headers.retain(|(name, _)| *name != "authorization");
    headers.push(("authorization", format!("Bearer {USER_TOKEN}")));
    headers
}

#[tokio::test(flavor = "multi_thread")]
async fn get_current_user_reports_the_principal_and_the_graph_profile() {
    let upstreams = Upstreams::start().await;
    upstreams
        .graph_answers(json_answer(200, fixture("graph-me.json")))
        .await;
    let mut handler = upstreams.handler(&[("RUST_LOG", "debug")]);

    let result = current_user(&handler, &alice()).await;
    assert_eq!(result.is_error, Some(false), "{}", result_text(&result));
    let user = result.structured_content.clone().unwrap();
    assert_eq!(user["authenticated"], true, "{user}");
    assert_eq!(user["userId"], ALICE.oid);
    assert_eq!(user["name"], ALICE.name);
    assert_eq!(user["tenantId"], TENANT);
    assert_eq!(user["identityProvider"], "aad");
    assert_eq!(user["scopes"], json!(["user_impersonation"]));
    assert_eq!(user["profile"]["displayName"], "Adele Vance");
    assert_eq!(user["profile"]["jobTitle"], "Retail Manager");
    assert!(result_text(&result).contains("Job title: Retail Manager"));

    // Nobody signed in: an answer, not an error.
    let nobody = current_user(&handler, &[]).await;
    assert_eq!(nobody.is_error, Some(false));
    let nobody = nobody.structured_content.unwrap();
    assert_eq!(nobody["authenticated"], false, "{nobody}");
    assert!(
        nobody["message"]
            .as_str()
            .unwrap()
            .contains("no signed-in user"),
        "{nobody}"
    );

    // No token, name, e-mail or profile field in the log, even at debug level.
    handler.wait_for_output("get_current_user");
    let log = handler.output().join("\n");
    for secret in [
        USER_TOKEN,
        &mi_token(),
        &graph_token(),
        IDENTITY_HEADER,
        ALICE.name,
        "Adele",
        "contoso.com",
        "Retail Manager",
    ] {
        assert!(!log.contains(secret), "{secret:?} logged:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_consent_is_a_tool_error_with_the_link_and_the_principal() {
    let upstreams = Upstreams::start().await;
    upstreams.expect_managed_identity(1).await;
    upstreams
        .exchange(json_answer(400, fixture("entra-obo-consent-required.json")))
        .expect(1)
        .mount(&upstreams.entra)
        .await;
    let handler = upstreams.handler(&[]);

    let result = current_user(&handler, &alice()).await;
    assert_eq!(result.is_error, Some(true));
    let text = result_text(&result);
    assert!(
        text.contains(&format!(
            "https://{HOST}/.auth/login/aad?post_login_redirect_uri=/authcomplete"
        )),
        "{text}"
    );
    // The principal part still answers.
    assert!(text.contains(ALICE.oid), "{text}");
    let user = result.structured_content.unwrap();
    assert_eq!(user["userId"], ALICE.oid);
    assert!(user.get("profile").is_none(), "{user}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_built_in_authentication_principal_headers_are_ignored() {
    // The same headers, but nothing vouches for them: anyone could have sent them.
    let handler = Handler::start(&[]);
    let result = current_user(&handler, &alice()).await;
    assert_eq!(result.is_error, Some(false));
    let user = result.structured_content.unwrap();
    assert_eq!(user["authenticated"], false, "{user}");
    assert!(user.get("userId").is_none(), "{user}");
    assert!(
        user["message"]
            .as_str()
            .unwrap()
            .contains("Sign-in is not enabled"),
        "{user}"
    );
}
