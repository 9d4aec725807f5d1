//! Properties of the principal and bearer-header decoders over generated input.

use proptest::prelude::*;

use super::*;

const OID_CLAIM: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

/// A GUID in any case, a near-GUID, or any text.
fn id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u128>().prop_map(|n| {
            let hex = format!("{n:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )
        }),
        Just(OID.to_ascii_uppercase()),
        Just(OID.to_owned()),
        "[0-9a-fA-F{}/.-]{30,40}",
        ".{0,40}",
    ]
}

/// A client principal: a few claims of the types that matter, with ids, other
/// JSON values or text, base64 of it (padded or not), or any bytes at all.
fn principal_header() -> impl Strategy<Value = Vec<u8>> {
    let typ = prop_oneof![
        Just("oid".to_owned()),
        Just(OID_CLAIM.to_owned()),
        Just("tid".to_owned()),
        Just("name".to_owned()),
        Just("scp".to_owned()),
        Just("roles".to_owned()),
        ".{0,12}",
    ];
    let val = prop_oneof![
        id_like().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!(["a", 1])),
    ];
    let claims = proptest::collection::vec((typ, val), 0..6).prop_map(|claims| {
        let claims: Vec<Value> = claims
            .into_iter()
            .map(|(typ, val)| json!({"typ": typ, "val": val}))
            .collect();
        json!({"auth_typ": "aad", "claims": claims})
    });
    prop_oneof![
        3 => claims.clone().prop_map(|p| STANDARD.encode(p.to_string()).into_bytes()),
        1 => claims.prop_map(|p| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(p.to_string())
                .into_bytes()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// An `Authorization` value: a bearer token of sorts, or any bytes.
fn authorization() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "(Bearer|bearer|BEARER|Basic) ?[ -~]{0,64}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

/// Adds `name: value` when `value` can be a header value at all.
fn insert(map: &mut HeaderMap, name: &'static str, value: &[u8]) {
    if let Ok(value) = HeaderValue::from_bytes(value) {
        map.append(name, value);
    }
}

proptest! {
    #![proptest_config(crate::property::config())]

    /// Whatever the platform (or anyone) forwards, the caller is a user with a
    /// canonical object id that every id in the request agrees with, or
    /// anonymous with a reason; never a panic.
    #[test]
    fn fuzz_principal_and_bearer_headers(
        principal in proptest::option::of(principal_header()),
        ids in proptest::collection::vec(id_like(), 0..3),
        authorization in proptest::option::of(authorization()),
    ) {
        let mut map = HeaderMap::new();
        if let Some(principal) = &principal {
            insert(&mut map, "x-ms-client-principal", principal);
        }
        for id in &ids {
            insert(&mut map, "x-ms-client-principal-id", id.as_bytes());
        }
        if let Some(authorization) = &authorization {
            insert(&mut map, "authorization", authorization);
        }
        let caller = trusted().caller_from_headers(&map);
        let Caller::User(user) = &caller else {
            return Ok(());
        };
        let id = user.user_id.as_str();
        prop_assert!(crate::guid::canonical(id).as_deref() == Some(id));
        for header in map.get_all("x-ms-client-principal-id") {
            let header = header.to_str().map(str::to_ascii_lowercase).ok();
            prop_assert_eq!(header.as_deref(), Some(id));
        }
        if let Some(tenant) = &user.tenant_id {
            prop_assert!(crate::guid::canonical(tenant).as_deref() == Some(tenant.as_str()));
        }
        if let Some(token) = &user.access_token {
            let token = token.expose();
            prop_assert!(!token.is_empty() && token.len() <= MAX_BEARER_TOKEN_BYTES);
            prop_assert!(token.bytes().all(|b| b.is_ascii_graphic()));
        }
    }
}
