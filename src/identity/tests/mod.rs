use std::{
    io,
    sync::{Arc, Mutex},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::{
    principal::{MAX_BEARER_TOKEN_BYTES, MAX_PRINCIPAL_HEADER_BYTES},
    *,
};

mod properties;
mod views;

const OID: &str = "5b5450db-eb26-4c1a-981c-ba1d25f0483d";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.user-token.signature";

/// A principal as App Service forwards it for an Entra ID user (the shape documented
/// in app-service/configure-authentication-user-identities).
fn principal_json(oid: &str) -> Value {
    json!({
        "auth_typ": "aad",
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": [
            {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": oid},
            {"typ": "http://schemas.microsoft.com/identity/claims/tenantid", "val": TENANT},
            {"typ": "name", "val": "Adele Vance"},
            {"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "val": "AdeleV@contoso.com"},
            {"typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "val": "Snippets.Admin"},
            {"typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "val": "Reader"},
            {"typ": "http://schemas.microsoft.com/identity/claims/scope", "val": "user_impersonation User.Read"},
            {"typ": "groups", "val": "f08bbbea-b793-4a36-a5fc-136c18d8aa8f"},
        ]
    })
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn encoded(principal: &Value) -> String {
    STANDARD.encode(principal.to_string())
}

fn signed_in_headers() -> HeaderMap {
    headers(&[
        ("x-ms-client-principal", &encoded(&principal_json(OID))),
        ("x-ms-client-principal-id", OID),
        ("x-ms-client-principal-name", "AdeleV@contoso.com"),
        ("x-ms-client-principal-idp", "aad"),
        ("authorization", &format!("Bearer {TOKEN}")),
    ])
}

fn trusted() -> IdentityPolicy {
    IdentityPolicy::new(true)
}

fn unreadable(caller: &Caller) -> Option<PrincipalError> {
    match caller {
        Caller::Anonymous(AnonymousReason::Unreadable(error)) => Some(*error),
        _ => None,
    }
}

/// Runs `f` with a subscriber that records every event (TRACE and up) as text.
fn logs_of<R>(f: impl FnOnce() -> R) -> (R, String) {
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
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (result, text)
}

#[test]
fn a_trusted_principal_names_the_user() {
    let caller = trusted().caller_from_headers(&signed_in_headers());
    let Caller::User(principal) = &caller else {
        panic!("expected a user, got {caller:?}");
    };
    assert_eq!(principal.user_id.as_str(), OID);
    assert_eq!(principal.name.as_deref(), Some("Adele Vance"));
    assert_eq!(principal.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(principal.identity_provider.as_deref(), Some("aad"));
    assert_eq!(principal.roles, ["Snippets.Admin", "Reader"]);
    assert_eq!(principal.scopes, ["user_impersonation", "User.Read"]);
    assert_eq!(
        principal.access_token.as_ref().map(|t| t.expose()),
        Some(TOKEN)
    );
    assert_eq!(caller.user_id().map(UserId::as_str), Some(OID));
}

#[test]
fn the_oid_claim_is_the_key_whatever_its_case() {
    let upper = OID.to_ascii_uppercase();
    let caller = trusted().caller_from_headers(&headers(&[(
        "x-ms-client-principal",
        &encoded(&principal_json(&upper)),
    )]));
    assert_eq!(caller.user_id().map(UserId::as_str), Some(OID));
}

#[test]
fn the_short_claim_names_work_too() {
    let principal = json!({"claims": [
        {"typ": "oid", "val": OID},
        {"typ": "tid", "val": TENANT},
        {"typ": "scp", "val": "user_impersonation"},
        {"typ": "roles", "val": "Reader"},
    ]});
    let caller =
        trusted().caller_from_headers(&headers(&[("x-ms-client-principal", &encoded(&principal))]));
    let principal = caller.principal().unwrap();
    assert_eq!(principal.user_id.as_str(), OID);
    assert_eq!(principal.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(principal.scopes, ["user_impersonation"]);
    assert_eq!(principal.roles, ["Reader"]);
    // No name claim, no name header: no name (the name_typ is absent too).
    assert_eq!(principal.name, None);
}

#[test]
fn without_the_oid_claim_the_id_header_stands_in() {
    let principal = json!({"auth_typ": "aad", "claims": [{"typ": "name", "val": "Adele Vance"}]});
    let caller = trusted().caller_from_headers(&headers(&[
        ("x-ms-client-principal", &encoded(&principal)),
        ("x-ms-client-principal-id", OID),
    ]));
    assert_eq!(caller.user_id().map(UserId::as_str), Some(OID));

    // And the ID headers alone are enough.
    let caller = trusted().caller_from_headers(&headers(&[
        ("x-ms-client-principal-id", OID),
        ("x-ms-client-principal-name", "AdeleV@contoso.com"),
    ]));
    let principal = caller.principal().unwrap();
    assert_eq!(principal.user_id.as_str(), OID);
    assert_eq!(principal.name.as_deref(), Some("AdeleV@contoso.com"));
}

#[test]
fn an_id_header_that_disagrees_with_the_claim_is_refused_and_logged_once() {
    let other = "0b7a7d0e-97b8-4a4e-9f4c-1d2b3c4d5e6f";
    let policy = trusted();
    let disagreeing = [
        // Another user than the claim.
        headers(&[
            ("x-ms-client-principal", &encoded(&principal_json(OID))),
            ("x-ms-client-principal-id", other),
        ]),
        // Not an id at all.
        headers(&[
            ("x-ms-client-principal", &encoded(&principal_json(OID))),
            ("x-ms-client-principal-id", "../other"),
        ]),
        // The claim's, and then another.
        headers(&[
            ("x-ms-client-principal", &encoded(&principal_json(OID))),
            ("x-ms-client-principal-id", OID),
            ("x-ms-client-principal-id", other),
        ]),
        // No claim, and two ID headers that disagree.
        headers(&[
            ("x-ms-client-principal-id", other),
            ("x-ms-client-principal-id", OID),
        ]),
    ];
    let (callers, logs) = logs_of(|| {
        disagreeing
            .iter()
            .map(|headers| policy.caller_from_headers(headers))
            .collect::<Vec<_>>()
    });
    for caller in &callers {
        assert_eq!(
            unreadable(caller),
            Some(PrincipalError::IdMismatch),
            "{caller:?}"
        );
    }
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    assert!(warnings[0].contains("names another user"), "{logs}");
    for value in [OID, other, "../other"] {
        assert!(!logs.contains(value), "{value} logged:\n{logs}");
    }

    // The same user in either spelling agrees.
    let caller = policy.caller_from_headers(&headers(&[
        ("x-ms-client-principal", &encoded(&principal_json(OID))),
        ("x-ms-client-principal-id", &OID.to_ascii_uppercase()),
    ]));
    assert_eq!(caller.user_id().map(UserId::as_str), Some(OID));
}

#[test]
fn no_principal_headers_is_an_anonymous_caller() {
    let caller = trusted().caller_from_headers(&headers(&[("authorization", "Bearer x")]));
    assert!(matches!(
        caller,
        Caller::Anonymous(AnonymousReason::NoPrincipal)
    ));
    assert!(matches!(
        trusted().caller(None),
        Caller::Anonymous(AnonymousReason::NoPrincipal)
    ));
}

#[test]
fn headers_are_ignored_unless_built_in_authentication_is_on() {
    let policy = IdentityPolicy::new(false);
    let ((first, second), logs) = logs_of(|| {
        (
            policy.caller_from_headers(&signed_in_headers()),
            policy.caller_from_headers(&signed_in_headers()),
        )
    });
    for caller in [first, second] {
        assert!(
            matches!(caller, Caller::Anonymous(AnonymousReason::SignInOff)),
            "{caller:?}"
        );
    }
    // Logged once, naming the headers, with no value from them.
    assert_eq!(logs.matches("WEBSITE_AUTH_ENABLED").count(), 1, "{logs}");
    assert!(logs.contains("WARN"), "{logs}");
    for value in [OID, TOKEN, "Adele", "AdeleV@contoso.com"] {
        assert!(!logs.contains(value), "{value} in {logs}");
    }
    // No principal headers at all: nothing to report.
    let (_, logs) = logs_of(|| {
        IdentityPolicy::new(false).caller_from_headers(&headers(&[("authorization", "Bearer x")]))
    });
    assert!(logs.is_empty(), "{logs}");
}

#[test]
fn bad_base64_is_anonymous() {
    let caller =
        trusted().caller_from_headers(&headers(&[("x-ms-client-principal", "not base64 at all!")]));
    assert_eq!(unreadable(&caller), Some(PrincipalError::NotBase64));
}

#[test]
fn bad_json_is_anonymous() {
    for body in [
        "{\"claims\": [",
        "[1, 2, 3]",
        "{\"claims\": \"oid\"}",
        "\u{0}\u{1}",
    ] {
        let caller = trusted().caller_from_headers(&headers(&[(
            "x-ms-client-principal",
            &STANDARD.encode(body),
        )]));
        assert_eq!(unreadable(&caller), Some(PrincipalError::NotJson), "{body}");
    }
}

#[test]
fn a_huge_principal_is_refused_before_it_is_decoded() {
    let mut principal = principal_json(OID);
    let filler: Vec<Value> = (0..5000)
        .map(|i| json!({"typ": "groups", "val": format!("group-{i:08}")}))
        .collect();
    principal["claims"].as_array_mut().unwrap().extend(filler);
    let value = encoded(&principal);
    assert!(value.len() > MAX_PRINCIPAL_HEADER_BYTES);
    let caller = trusted().caller_from_headers(&headers(&[("x-ms-client-principal", &value)]));
    assert_eq!(unreadable(&caller), Some(PrincipalError::TooLarge));
}

#[test]
fn an_oid_that_is_not_a_guid_is_refused() {
    for oid in [
        "not-a-guid",
        "../../../etc/passwd",
        "5b5450db-eb26-4c1a-981c-ba1d25f0483d/../x",
        "..%2F..%2Fsnippets",
        "{5b5450db-eb26-4c1a-981c-ba1d25f0483d}",
        " 5b5450db-eb26-4c1a-981c-ba1d25f0483d",
        "5b5450dbeb264c1a981cba1d25f0483d",
        "00000000-0000-0000-0000-000000000000",
        "",
    ] {
        let caller = trusted().caller_from_headers(&headers(&[(
            "x-ms-client-principal",
            &encoded(&principal_json(oid)),
        )]));
        assert_eq!(
            unreadable(&caller),
            Some(PrincipalError::InvalidUserId),
            "{oid:?}"
        );
    }
}

#[test]
fn a_path_in_the_id_header_is_refused() {
    for id in [
        "../other-user",
        "..",
        "a/b",
        "5b5450db-eb26-4c1a-981c-ba1d25f0483d/..",
    ] {
        let caller = trusted().caller_from_headers(&headers(&[("x-ms-client-principal-id", id)]));
        assert_eq!(
            unreadable(&caller),
            Some(PrincipalError::InvalidUserId),
            "{id:?}"
        );
    }
    // Not even valid UTF-8 / visible ASCII.
    let mut map = HeaderMap::new();
    map.insert(
        "x-ms-client-principal-id",
        HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
    );
    assert_eq!(
        unreadable(&trusted().caller_from_headers(&map)),
        Some(PrincipalError::InvalidUserId)
    );
}

#[test]
fn a_principal_without_any_oid_is_anonymous() {
    let principal = json!({"auth_typ": "aad", "claims": [{"typ": "name", "val": "Adele Vance"}]});
    let caller =
        trusted().caller_from_headers(&headers(&[("x-ms-client-principal", &encoded(&principal))]));
    assert_eq!(unreadable(&caller), Some(PrincipalError::NoUserId));
}

#[test]
fn two_oid_claims_must_agree() {
    let principal = json!({"claims": [
        {"typ": "oid", "val": OID},
        {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "0b7a7d0e-97b8-4a4e-9f4c-1d2b3c4d5e6f"},
    ]});
    let caller =
        trusted().caller_from_headers(&headers(&[("x-ms-client-principal", &encoded(&principal))]));
    assert_eq!(unreadable(&caller), Some(PrincipalError::InvalidUserId));
}

#[test]
fn a_repeated_principal_header_is_refused() {
    let value = encoded(&principal_json(OID));
    let caller = trusted().caller_from_headers(&headers(&[
        ("x-ms-client-principal", &value),
        ("x-ms-client-principal", &value),
    ]));
    assert_eq!(unreadable(&caller), Some(PrincipalError::Repeated));
}

#[test]
fn claims_that_are_not_strings_are_skipped() {
    let principal = json!({"claims": [
        {"typ": "oid", "val": OID},
        {"typ": "roles", "val": 10000},
        {"typ": "roles", "val": "Reader"},
        {"typ": "tid", "val": "not-a-guid"},
    ]});
    let caller =
        trusted().caller_from_headers(&headers(&[("x-ms-client-principal", &encoded(&principal))]));
    let principal = caller.principal().unwrap();
    assert_eq!(principal.roles, ["Reader"]);
    assert_eq!(principal.tenant_id, None);
}

#[test]
fn unpadded_base64_is_accepted() {
    let value = encoded(&principal_json(OID));
    let caller = trusted().caller_from_headers(&headers(&[(
        "x-ms-client-principal",
        value.trim_end_matches('='),
    )]));
    assert_eq!(caller.user_id().map(UserId::as_str), Some(OID));
}

#[test]
fn only_a_bearer_token_is_kept() {
    let token_of = |authorization: &str| {
        let caller = trusted().caller_from_headers(&headers(&[
            ("x-ms-client-principal-id", OID),
            ("authorization", authorization),
        ]));
        caller
            .principal()
            .unwrap()
            .access_token
            .as_ref()
            .map(|t| t.expose().to_owned())
    };
    assert_eq!(token_of("bearer abc.def").as_deref(), Some("abc.def"));
    assert_eq!(token_of("Basic dXNlcjpwYXNz"), None);
    assert_eq!(token_of("Bearer "), None);
    assert_eq!(token_of("Bearer"), None);
    let huge = format!("Bearer {}", "a".repeat(MAX_BEARER_TOKEN_BYTES + 1));
    assert_eq!(token_of(&huge), None);
}

#[test]
fn each_kind_of_bad_principal_warns_once_then_quietly() {
    let policy = trusted();
    let bad_base64 = headers(&[("x-ms-client-principal", "%%%")]);
    let bad_json = headers(&[("x-ms-client-principal", &STANDARD.encode("{"))]);
    let (_, logs) = logs_of(|| {
        for _ in 0..3 {
            policy.caller_from_headers(&bad_base64);
            policy.caller_from_headers(&bad_json);
        }
    });
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(warnings[0].contains("not base64"), "{logs}");
    assert!(
        warnings[1].contains("not a client principal in JSON"),
        "{logs}"
    );
    assert_eq!(
        logs.lines().filter(|l| l.contains("DEBUG")).count(),
        4,
        "{logs}"
    );
}
