//! The canonical form of a GUID, shared by the settings (client and tenant ids) and
//! the identity code (user object ids, tenant claims).

/// The nil GUID: never a user, and the example of the form in error messages.
pub(crate) const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// The lowercase form of a hyphenated GUID, or `None` if `value` is not one: the
/// form of client, tenant and user object ids, in settings and in principals alike.
pub(crate) fn canonical(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let well_formed = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    well_formed.then(|| value.to_ascii_lowercase())
}
