//! What a caller looks like from outside: its `Debug` output, its user id, the
//! `get_current_user` view.

use super::*;

#[test]
fn debug_output_leaves_out_names_and_tokens() {
    let caller = trusted().caller_from_headers(&signed_in_headers());
    let debug = format!("{caller:?}");
    assert!(debug.contains(OID), "{debug}");
    for value in [TOKEN, "Adele", "AdeleV@contoso.com", "Snippets.Admin"] {
        assert!(!debug.contains(value), "{value} in {debug}");
    }
}

#[test]
fn user_ids_are_canonical_guids() {
    let id = UserId::parse("5B5450DB-EB26-4C1A-981C-BA1D25F0483D").unwrap();
    assert_eq!(id.as_str(), OID);
    assert_eq!(id, UserId::parse(OID).unwrap());
    assert_eq!(serde_json::to_value(&id).unwrap(), json!(OID));
    for bad in [
        "",
        "5b5450db-eb26-4c1a-981c-ba1d25f0483",
        "5b5450db-eb26-4c1a-981c-ba1d25f0483dd",
        "5b5450dbxeb26-4c1a-981c-ba1d25f0483d",
        "5b5450db-eb26-4c1a-981c-ba1d25f0483g",
        "00000000-0000-0000-0000-000000000000",
        "５b5450db-eb26-4c1a-981c-ba1d25f0483",
    ] {
        assert_eq!(UserId::parse(bad), Err(InvalidUserId), "{bad:?}");
    }
}

#[test]
fn the_current_user_view_is_camel_case_and_explains_anonymity() {
    let caller = trusted().caller_from_headers(&signed_in_headers());
    let view = serde_json::to_value(CurrentUser::from_caller(&caller)).unwrap();
    assert_eq!(
        view,
        json!({
            "authenticated": true,
            "name": "Adele Vance",
            "userId": OID,
            "tenantId": TENANT,
            "identityProvider": "aad",
            "roles": ["Snippets.Admin", "Reader"],
            "scopes": ["user_impersonation", "User.Read"],
        })
    );

    let anonymous = IdentityPolicy::new(false).caller_from_headers(&HeaderMap::new());
    let view = serde_json::to_value(CurrentUser::from_caller(&anonymous)).unwrap();
    assert_eq!(view["authenticated"], false);
    let message = view["message"].as_str().unwrap();
    assert!(message.contains("MCP_AUTH_MODE=entra"), "{message}");
}
