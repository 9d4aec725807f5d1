//! The files the scaffold writes: this repository's own deployment files, embedded when
//! the scaffold is built, with the few places that name our server swapped for the
//! crate's. Each swap must find its text exactly once, so a change to one of our files
//! that would leave our name in a user's crate fails here (and in this module's tests)
//! instead.

use std::path::{Path, PathBuf};

use crate::target::Crate;

/// This repository's files, by their path in the repository and in the crate alike.
const VERBATIM: &[(&str, &str)] = &[
    (
        "infra/main.bicep",
        include_str!("../../../infra/main.bicep"),
    ),
    (
        "infra/bicepconfig.json",
        include_str!("../../../infra/bicepconfig.json"),
    ),
    (
        "infra/modules/entra.bicep",
        include_str!("../../../infra/modules/entra.bicep"),
    ),
    (
        "infra/modules/function-app.bicep",
        include_str!("../../../infra/modules/function-app.bicep"),
    ),
    (
        "infra/modules/identity.bicep",
        include_str!("../../../infra/modules/identity.bicep"),
    ),
    (
        "infra/modules/monitoring.bicep",
        include_str!("../../../infra/modules/monitoring.bicep"),
    ),
    (
        "infra/modules/network.bicep",
        include_str!("../../../infra/modules/network.bicep"),
    ),
    (
        "infra/modules/rbac.bicep",
        include_str!("../../../infra/modules/rbac.bicep"),
    ),
    (
        "infra/modules/storage.bicep",
        include_str!("../../../infra/modules/storage.bicep"),
    ),
    (
        "scripts/package.sh",
        include_str!("../../../scripts/package.sh"),
    ),
    (
        ".vscode/extensions.json",
        include_str!("../../../.vscode/extensions.json"),
    ),
    (
        ".vscode/mcp.json",
        include_str!("../../../.vscode/mcp.json"),
    ),
    (
        ".vscode/settings.json",
        include_str!("../../../.vscode/settings.json"),
    ),
    (
        ".vscode/tasks.json",
        include_str!("../../../.vscode/tasks.json"),
    ),
];

const HOST_JSON: &str = include_str!("../../../host.json");
const LOCAL_SETTINGS: &str = include_str!("../../../local.settings.json");
const LAUNCH_JSON: &str = include_str!("../../../.vscode/launch.json");
const AZURE_YAML: &str = include_str!("../../../azure.yaml");
const SMOKE_SH: &str = include_str!("../../../scripts/smoke.sh");
const PARAMETERS_JSON: &str = include_str!("../../../infra/main.parameters.json");
/// The app's own part of infra/, as a new app starts it: no containers, and the azd
/// variables of main.parameters.json's `appParameters` passed on as settings.
const APP_BICEP: &str = include_str!("../templates/app.bicep");

/// The starter server: src/main.rs of a crate fresh from `cargo new`.
pub const STARTER: &str = include_str!("../examples/starter.rs");

/// What a crate with a `main` of its own puts there to be hosted.
pub const MAIN_LINES: &str = "    #[tokio::main]
    async fn main() -> std::process::ExitCode {
        rmcp_functions::run(MyServer::new()).await
    }";

/// What the deployment adds to a crate that git should not see: the deployment zip, the
/// build outputs, and azd's environments (which hold the deployment's values).
pub const GITIGNORE_LINES: &[&str] = &["/target", "/build", "/.azure"];

/// Our binary's name, where our files give it.
const OUR_BINARY: &str = "handler";

/// This repository's checkout, which the crate's dependency and smoke check point to.
pub struct Checkout {
    pub root: PathBuf,
}

impl Checkout {
    /// The checkout this scaffold was built from.
    pub fn locate() -> Result<Self, String> {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = crate_dir.join("../..").canonicalize().map_err(|e| {
            format!(
                "the rust-mcp-functions checkout the scaffold was built from is gone ({}): {e}",
                crate_dir.display()
            )
        })?;
        if !root.join("crates/rmcp-functions/Cargo.toml").is_file() {
            return Err(format!(
                "{} holds no crates/rmcp-functions: run the scaffold from its checkout (scripts/scaffold.sh)",
                root.display()
            ));
        }
        Ok(Self { root })
    }

    pub fn hosting_crate(&self) -> PathBuf {
        self.root.join("crates/rmcp-functions")
    }

    pub fn smoke_crate(&self) -> PathBuf {
        self.root.join("crates/rmcp-functions-smoke")
    }
}

/// Every deployment file for `krate`: (path in the crate, contents).
pub fn deployment_files(
    krate: &Crate,
    checkout: &Checkout,
) -> Result<Vec<(String, String)>, String> {
    let mut files: Vec<(String, String)> = VERBATIM
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    let smoke_crate = checkout.smoke_crate().display().to_string();
    if smoke_crate.contains('\'') {
        return Err(format!(
            "the checkout's path has a quote, which scripts/smoke.sh cannot hold: {smoke_crate}"
        ));
    }
    files.extend([
        (
            "host.json".to_owned(),
            swap(
                "host.json",
                HOST_JSON,
                &format!("\"defaultExecutablePath\": \"{OUR_BINARY}\""),
                &format!("\"defaultExecutablePath\": \"{}\"", krate.bin),
            )?,
        ),
        (
            "local.settings.json".to_owned(),
            swap(
                "local.settings.json",
                LOCAL_SETTINGS,
                &format!("\"target/debug/{OUR_BINARY}\""),
                &format!("\"{}\"", krate.debug_binary),
            )?,
        ),
        (
            ".vscode/launch.json".to_owned(),
            swap(
                ".vscode/launch.json",
                LAUNCH_JSON,
                &format!("${{workspaceFolder}}/target/debug/{OUR_BINARY}\""),
                &format!("${{workspaceFolder}}/{}\"", krate.debug_binary),
            )?,
        ),
        ("azure.yaml".to_owned(), azure_yaml(&krate.package)?),
        (
            "scripts/smoke.sh".to_owned(),
            swap(
                "scripts/smoke.sh",
                SMOKE_SH,
                "\nsmoke_crate=crates/rmcp-functions-smoke\n",
                &format!("\nsmoke_crate='{smoke_crate}'\n"),
            )?,
        ),
        (
            "infra/main.parameters.json".to_owned(),
            without_app_parameters(PARAMETERS_JSON)?,
        ),
        ("infra/app.bicep".to_owned(), APP_BICEP.to_owned()),
    ]);
    Ok(files)
}

/// `text` with `ours`, found exactly once, replaced by `theirs`.
fn swap(file: &str, text: &str, ours: &str, theirs: &str) -> Result<String, String> {
    match text.matches(ours).count() {
        1 => Ok(text.replacen(ours, theirs, 1)),
        n => Err(format!(
            "the scaffold's copy of {file} holds `{ours}` {n} times, not once: rebuild the scaffold from a consistent checkout"
        )),
    }
}

/// Our azure.yaml with the project named after the crate.
fn azure_yaml(package: &str) -> Result<String, String> {
    let text = swap(
        "azure.yaml",
        AZURE_YAML,
        "\nname: rust-mcp-functions\n",
        &format!("\nname: {package}\n"),
    )?;
    swap(
        "azure.yaml",
        &text,
        "\n  template: rust-mcp-functions@",
        "\n  template: rmcp-functions-scaffold@",
    )
}

/// Our main.parameters.json with `appParameters` empty: a new app has none yet.
fn without_app_parameters(json: &str) -> Result<String, String> {
    let broken = || {
        "infra/main.parameters.json has no `\"appParameters\": { \"value\": { ... } }`".to_owned()
    };
    let entry = json.find("\"appParameters\"").ok_or_else(broken)?;
    let value = entry + json[entry..].find("\"value\"").ok_or_else(broken)?;
    let open = value + json[value..].find('{').ok_or_else(broken)?;
    let close = matching_brace(json, open).ok_or_else(broken)?;
    Ok(format!("{}{{}}{}", &json[..open], &json[close + 1..]))
}

/// The index of the `}` closing the JSON object that opens at `open`, skipping strings.
fn matching_brace(json: &str, open: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, c) in json.char_indices().skip_while(|(at, _)| *at < open) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn krate() -> Crate {
        Crate {
            dir: PathBuf::from("/work/my-server"),
            package: "my-server".to_owned(),
            bin: "my-server".to_owned(),
            debug_binary: "target/debug/my-server".to_owned(),
        }
    }

    fn rendered() -> Vec<(String, String)> {
        let checkout = Checkout::locate().unwrap();
        deployment_files(&krate(), &checkout).unwrap()
    }

    fn file(name: &str) -> String {
        rendered()
            .into_iter()
            .find(|(path, _)| path == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    }

    /// Every file of infra/ and .vscode/ is written: a module added to ours cannot be
    /// missing from a user's crate.
    #[test]
    fn every_file_of_our_infra_and_vscode_is_written() {
        let root = Checkout::locate().unwrap().root;
        let mut ours = BTreeSet::new();
        for dir in ["infra", "infra/modules", ".vscode"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    ours.insert(format!(
                        "{dir}/{}",
                        path.file_name().unwrap().to_str().unwrap()
                    ));
                }
            }
        }
        let written: BTreeSet<String> = rendered().into_iter().map(|(path, _)| path).collect();
        let missing: Vec<&String> = ours.difference(&written).collect();
        assert!(missing.is_empty(), "not written: {missing:?}");
        for path in [
            "host.json",
            "local.settings.json",
            "azure.yaml",
            "scripts/package.sh",
            "scripts/smoke.sh",
        ] {
            assert!(written.contains(path), "{path}");
        }
    }

    #[test]
    fn nothing_written_names_our_server() {
        for (path, text) in rendered() {
            for ours in [
                "\"handler\"",
                "debug/handler",
                "name: rust-mcp-functions",
                "NWS_CONTACT",
                "SNIPPETS_",
                "snippets",
            ] {
                assert!(!text.contains(ours), "{path} holds {ours}");
            }
        }
    }

    #[test]
    fn the_files_name_the_crate_and_its_binary() {
        let host: Value = serde_json::from_str(&file("host.json")).unwrap();
        assert_eq!(
            host["customHandler"]["description"]["defaultExecutablePath"],
            "my-server"
        );
        let local: Value = serde_json::from_str(&file("local.settings.json")).unwrap();
        assert_eq!(
            local["Values"]["AzureFunctionsJobHost__customHandler__description__defaultExecutablePath"],
            "target/debug/my-server"
        );
        let launch: Value = serde_json::from_str(&file(".vscode/launch.json")).unwrap();
        assert_eq!(
            launch["configurations"][0]["program"],
            "${workspaceFolder}/target/debug/my-server"
        );
        let yaml = file("azure.yaml");
        assert!(yaml.contains("\nname: my-server\n"), "{yaml}");
        let smoke = file("scripts/smoke.sh");
        let crate_line = smoke
            .lines()
            .find(|l| l.starts_with("smoke_crate="))
            .unwrap();
        let smoke_crate = Checkout::locate().unwrap().smoke_crate();
        assert_eq!(
            crate_line,
            format!("smoke_crate='{}'", smoke_crate.display())
        );
    }

    #[test]
    fn a_new_app_has_no_app_parameters_and_passes_its_own_on_as_settings() {
        let ours: Value = serde_json::from_str(PARAMETERS_JSON).unwrap();
        let theirs: Value = serde_json::from_str(&file("infra/main.parameters.json")).unwrap();
        assert_eq!(
            theirs["parameters"]["appParameters"]["value"],
            serde_json::json!({})
        );
        let mut expected = ours.clone();
        expected["parameters"]["appParameters"]["value"] = serde_json::json!({});
        assert_eq!(theirs, expected, "only appParameters differs");
        assert_ne!(ours, expected, "ours has parameters of its own");
        let app = file("infra/app.bicep");
        assert!(app.contains("func containers() array => []"), "{app}");
        assert!(
            app.contains("func settings(context object, parameters object) object => parameters"),
            "{app}"
        );
    }

    #[test]
    fn a_swap_that_does_not_find_its_text_once_is_an_error() {
        assert_eq!(swap("f", "a b a", "b", "c").unwrap(), "a c a");
        assert!(
            swap("f", "a b a", "a", "c")
                .err()
                .unwrap()
                .contains("2 times")
        );
        assert!(
            swap("f", "a b a", "x", "c")
                .err()
                .unwrap()
                .contains("0 times")
        );
    }

    #[test]
    fn braces_inside_strings_do_not_end_the_object() {
        let json = r#"{"appParameters": {"value": {"a": "${A=}", "b": "}{\"}"}}, "z": 1}"#;
        let emptied = without_app_parameters(json).unwrap();
        assert_eq!(emptied, r#"{"appParameters": {"value": {}}, "z": 1}"#);
        assert!(without_app_parameters(r#"{"other": {}}"#).is_err());
    }
}
