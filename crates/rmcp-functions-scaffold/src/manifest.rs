//! The crate's Cargo.toml, edited in place (its comments and layout kept): the hosting
//! crate as a dependency, what the starter server needs on a fresh crate, and this
//! repository's release profile. Dependencies the crate has already stay as they are.
//! Versions come from this repository's workspace manifest, so they are the ones the
//! hosting crate is built and tested with.

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::templates::Checkout;

const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

/// The rmcp features the starter server uses: the server, `#[tool]` and its schemas, and
/// the streamable HTTP service the hosting crate serves.
const RMCP_FEATURES: &[&str] = &[
    "server",
    "macros",
    "schemars",
    "transport-streamable-http-server",
];

/// What was added, for the report: dependency names and `[profile.release]`.
pub type Added = Vec<String>;

pub fn add_dependencies(path: &Path, checkout: &Checkout, starter: bool) -> Result<Added, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut manifest: DocumentMut = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?;
    let ours: DocumentMut = WORKSPACE_MANIFEST
        .parse()
        .map_err(|e| format!("the scaffold's copy of Cargo.toml: {e}"))?;
    let added = add(&mut manifest, &ours, checkout, starter)?;
    if !added.is_empty() {
        std::fs::write(path, manifest.to_string())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(added)
}

fn add(
    manifest: &mut DocumentMut,
    ours: &DocumentMut,
    checkout: &Checkout,
    starter: bool,
) -> Result<Added, String> {
    let mut wanted = vec![(
        "rmcp-functions",
        path_dependency(&checkout.hosting_crate())?,
    )];
    if starter {
        wanted.push((
            "rmcp",
            dependency(&version(ours, "rmcp")?, Some(false), RMCP_FEATURES),
        ));
        wanted.push((
            "serde",
            dependency(&version(ours, "serde")?, None, &["derive"]),
        ));
        wanted.push(("schemars", Value::from(version(ours, "schemars")?)));
    }
    // `#[tokio::main]`, in the starter and in the main printed for a crate's own.
    wanted.push((
        "tokio",
        dependency(
            &version(ours, "tokio")?,
            None,
            &["macros", "rt-multi-thread"],
        ),
    ));

    let dependencies = manifest
        .entry("dependencies")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or("Cargo.toml's `dependencies` is not a table")?;
    let mut added = Vec::new();
    for (name, spec) in wanted {
        if !dependencies.contains_key(name) {
            dependencies.insert(name, Item::Value(spec));
            added.push(name.to_owned());
        }
    }

    // The deployment build: ours, comments and all.
    let release = ours
        .get("profile")
        .and_then(|p| p.get("release"))
        .ok_or("the scaffold's copy of Cargo.toml has no [profile.release]")?;
    let profile = manifest
        .entry("profile")
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_like_mut()
        .ok_or("Cargo.toml's `profile` is not a table")?;
    if !profile.contains_key("release") {
        profile.insert("release", release.clone());
        added.push("[profile.release]".to_owned());
    }
    Ok(added)
}

/// `{ path = "..." }`.
fn path_dependency(path: &Path) -> Result<Value, String> {
    let path = path
        .to_str()
        .ok_or_else(|| format!("the checkout's path is not UTF-8: {}", path.display()))?;
    let mut table = InlineTable::new();
    table.insert("path", Value::from(path));
    Ok(Value::InlineTable(table))
}

/// `{ version = "...", default-features = ..., features = [...] }`.
fn dependency(version: &str, default_features: Option<bool>, features: &[&str]) -> Value {
    let mut table = InlineTable::new();
    table.insert("version", Value::from(version));
    if let Some(default_features) = default_features {
        table.insert("default-features", Value::from(default_features));
    }
    let features: Array = features.iter().copied().collect();
    table.insert("features", Value::Array(features));
    Value::InlineTable(table)
}

/// The version our workspace uses for `name`: `[workspace.dependencies]`, else our
/// package's own `[dependencies]`.
fn version(ours: &DocumentMut, name: &str) -> Result<String, String> {
    let declared = ours
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(name))
        .or_else(|| ours.get("dependencies").and_then(|d| d.get(name)))
        .ok_or_else(|| format!("the scaffold's copy of Cargo.toml has no dependency {name}"))?;
    declared
        .as_str()
        .or_else(|| declared.get("version").and_then(Item::as_str))
        .map(str::to_owned)
        .ok_or_else(|| format!("the scaffold's copy of Cargo.toml gives {name} no version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> DocumentMut {
        WORKSPACE_MANIFEST.parse().unwrap()
    }

    fn checkout() -> Checkout {
        Checkout::locate().unwrap()
    }

    const FRESH: &str = "[package]\nname = \"my-server\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n";

    #[test]
    fn a_fresh_crate_gets_the_starters_dependencies_at_our_versions() {
        let mut manifest: DocumentMut = FRESH.parse().unwrap();
        let added = add(&mut manifest, &ours(), &checkout(), true).unwrap();
        assert_eq!(
            added,
            [
                "rmcp-functions",
                "rmcp",
                "serde",
                "schemars",
                "tokio",
                "[profile.release]"
            ]
        );
        let text = manifest.to_string();
        let rmcp = version(&ours(), "rmcp").unwrap();
        assert!(rmcp.starts_with("3."), "{rmcp}");
        assert!(
            text.contains(&format!(
                "rmcp = {{ version = \"{rmcp}\", default-features = false, features = [\"server\", \"macros\", \"schemars\", \"transport-streamable-http-server\"] }}"
            )),
            "{text}"
        );
        let hosting = checkout().hosting_crate();
        assert!(
            text.contains(&format!(
                "rmcp-functions = {{ path = \"{}\" }}",
                hosting.display()
            )),
            "{text}"
        );
        assert!(text.contains("[profile.release]\nlto = true"), "{text}");
        assert!(text.contains("panic = \"unwind\""), "{text}");
        // Parsed back, it is a manifest with those tables.
        let back: DocumentMut = text.parse().unwrap();
        assert_eq!(back["package"]["name"].as_str(), Some("my-server"));
    }

    #[test]
    fn what_the_crate_has_stays_as_it_is_and_a_second_run_adds_nothing() {
        let own = "[package]\nname = \"s\"\nversion = \"0.1.0\"\n\n# my comment\n[dependencies]\nrmcp = { version = \"3\", features = [\"server\"] }\ntokio = \"1\"\n\n[profile.release]\nopt-level = 2\n";
        let mut manifest: DocumentMut = own.parse().unwrap();
        let added = add(&mut manifest, &ours(), &checkout(), false).unwrap();
        assert_eq!(added, ["rmcp-functions"]);
        let text = manifest.to_string();
        assert!(text.contains("# my comment\n[dependencies]\nrmcp = { version = \"3\", features = [\"server\"] }\ntokio = \"1\"\n"), "{text}");
        assert!(
            text.contains("[profile.release]\nopt-level = 2\n"),
            "{text}"
        );
        assert!(!text.contains("lto"), "{text}");
        assert!(
            add(&mut manifest, &ours(), &checkout(), false)
                .unwrap()
                .is_empty()
        );
    }
}
