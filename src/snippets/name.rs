//! Snippet names: one strict rule, so no name can escape the container or the
//! directory, and a name maps to the same blob and the same file everywhere.

use std::fmt;

/// The rule, as the model and the README read it.
pub const NAME_RULE: &str = "1 to 128 characters: letters A-Z a-z, digits, '.', '_' and '-', \
starting with a letter or digit, with no '..' and not ending in '.'";

const MAX_LEN: usize = 128;

/// A validated snippet name, e.g. `build-notes` or `v1.2_release`.
///
/// Why so strict: a `/` would create virtual directories (and, locally, escape
/// into subdirectories); `%`, spaces and non-ASCII are percent-encoded by
/// object_store, so the blob name would differ from the snippet name; a leading
/// `.` would hide the file locally; `..` and a trailing `.` are path tricks
/// Windows and some tools treat specially. Names are case-sensitive, as blob
/// names are (on a case-insensitive disk, `Notes` and `notes` are one file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnippetName(String);

/// Why a name was refused; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a valid snippet name: {problem}. A snippet name is {NAME_RULE}.")]
pub struct InvalidName {
    pub name: String,
    pub problem: &'static str,
}

impl SnippetName {
    pub fn parse(name: &str) -> Result<Self, InvalidName> {
        let problem = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_LEN {
            Some("it is longer than 128 characters")
        } else if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            Some(match c {
                '/' | '\\' => "it contains a path separator",
                ' ' => "it contains a space",
                _ => "it contains a character that is not allowed",
            })
        } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            Some("it must start with a letter or digit")
        } else if name.contains("..") {
            Some("it contains '..'")
        } else if name.ends_with('.') {
            Some("it ends in '.'")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(InvalidName {
                name: name.to_owned(),
                problem,
            }),
            None => Ok(Self(name.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The blob (and file) name: `<name>.json`, as the Azure Functions MCP samples
    /// store snippets, so each can read what the other wrote.
    pub fn object_name(&self) -> String {
        format!("{}{OBJECT_SUFFIX}", self.0)
    }

    /// Whether some valid name starts with `prefix` (the empty prefix included), so a
    /// listing by a prefix no name can have answers at once, without asking storage.
    pub fn could_start_with(prefix: &str) -> bool {
        prefix.is_empty()
            || (prefix.len() <= MAX_LEN
                && prefix.starts_with(|c: char| c.is_ascii_alphanumeric())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                && !prefix.contains(".."))
    }

    /// The snippet name of a blob or file, if it is one this server could have written.
    pub fn from_object_name(object: &str) -> Option<Self> {
        Self::parse(object.strip_suffix(OBJECT_SUFFIX)?).ok()
    }
}

const OBJECT_SUFFIX: &str = ".json";

impl fmt::Display for SnippetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Text that is mostly near a name: the allowed characters, path tricks, and
    /// anything else now and then.
    fn name_like() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9._/\\-]{0,140}",
            ".{0,140}",
            "[a-z]{1,4}(\\.\\.|/|%2e|\\.json)?[a-z.]{0,4}",
        ]
    }

    proptest! {
        #![proptest_config(crate::property::config())]

        /// Whatever arrives, a name is either refused (never a panic) or it keeps
        /// the rule, and maps to one object and back.
        #[test]
        fn fuzz_snippet_names(name in name_like()) {
            match SnippetName::parse(&name) {
                Ok(parsed) => {
                    prop_assert_eq!(parsed.as_str(), name.as_str());
                    prop_assert!((1..=MAX_LEN).contains(&name.len()));
                    prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
                    prop_assert!(name.as_bytes()[0].is_ascii_alphanumeric());
                    prop_assert!(!name.contains("..") && !name.ends_with('.'));
                    prop_assert_eq!(SnippetName::from_object_name(&parsed.object_name()), Some(parsed));
                }
                Err(error) => prop_assert!(error.to_string().contains(NAME_RULE)),
            }
            // An object name this server did not write is never taken for a snippet
            // with another name.
            if let Some(from_object) = SnippetName::from_object_name(&name) {
                prop_assert_eq!(from_object.object_name(), name);
            }
        }
    }

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "a",
            "build-notes",
            "v1.2_release",
            "A9",
            &"x".repeat(128),
            "notes.json",
        ] {
            assert_eq!(SnippetName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn refuses_paths_tricks_and_oddities_naming_the_rule() {
        for name in [
            "",
            "../x",
            "a/b",
            "a\\b",
            "%2e%2e",
            ".hidden",
            "trailing.",
            "a..b",
            "..",
            "with space",
            "ünïcode",
            "-dash",
            "_under",
            &"x".repeat(129),
            "a\nb",
            "a:b",
        ] {
            let err = SnippetName::parse(name).unwrap_err();
            assert!(err.to_string().contains(NAME_RULE), "{err}");
        }
        assert_eq!(
            SnippetName::parse("../x").unwrap_err().problem,
            "it contains a path separator"
        );
    }

    #[test]
    fn a_prefix_is_possible_only_if_a_name_could_start_with_it() {
        for prefix in ["", "a", "v1.", "build-", "x_"] {
            assert!(SnippetName::could_start_with(prefix), "{prefix}");
        }
        for prefix in ["-a", ".", "a/", "a..", "a b", "%2e", &"x".repeat(129)] {
            assert!(!SnippetName::could_start_with(prefix), "{prefix}");
        }
    }

    #[test]
    fn maps_to_and_from_json_objects() {
        let name = SnippetName::parse("hello").unwrap();
        assert_eq!(name.object_name(), "hello.json");
        assert_eq!(SnippetName::from_object_name("hello.json"), Some(name));
        assert_eq!(SnippetName::from_object_name("hello.txt"), None);
        assert_eq!(SnippetName::from_object_name(".json"), None);
        assert_eq!(SnippetName::from_object_name("bad name.json"), None);
    }
}
