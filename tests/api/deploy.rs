//! The deployment, checked offline: the zip `azd` uploads (built by `scripts/package.sh`,
//! which `scripts/test.sh` runs before `cargo test`), `azure.yaml`, the VS Code workspace,
//! and (in [`infra`]) the Bicep. Nothing here reaches Azure, so these checks are what keeps
//! a deployment that cannot be tried here right by construction.
//!
//! Most checks hold for any app's deployment files, ours and those `scripts/scaffold.sh`
//! writes into another crate: they are functions of the directory that holds the files,
//! declared with [`generic_checks!`], which also makes each a test of ours;
//! `tests/api/scaffold.rs` runs them all over a scaffolded crate.

/// Declares checks `fn name(root: &Path) { ... }` over the deployment files under `root`;
/// makes each a test over this repository's files (in a module `ours`), and adds
/// `generic_checks(root)`, which runs them all.
macro_rules! generic_checks {
    ($($(#[$meta:meta])* fn $name:ident($root:ident: &Path) $body:block)*) => {
        $($(#[$meta])* pub fn $name($root: &Path) $body)*

        /// Every check of this module that holds for any app, over the files under `root`.
        pub fn generic_checks(root: &Path) {
            $($name(root);)*
        }

        /// The generic checks, over this repository's own files.
        mod ours {
            $(#[test]
            fn $name() {
                super::$name(&crate::helpers::repo_root());
            })*
        }
    };
}

pub mod infra;

use std::{collections::BTreeSet, fs, io::Read, os::unix::fs::PermissionsExt, path::Path};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::helpers::{Handler, handler_path, mcp_client, repo_root};

/// The deployment package: `azure.yaml`'s `dist`, written by `scripts/package.sh`.
pub const PACKAGE: &str = "build/mcp-app.zip";

pub fn read_json(root: &Path, name: &str) -> Value {
    let text = fs::read_to_string(root.join(name)).unwrap();
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{name} is not plain JSON (no comments): {e}"))
}

/// The binary's path inside the package: what host.json tells the Functions host to start.
pub fn host_executable(root: &Path) -> String {
    read_json(root, "host.json")["customHandler"]["description"]["defaultExecutablePath"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn open_package() -> zip::ZipArchive<fs::File> {
    let path = repo_root().join(PACKAGE);
    let file = fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "{} cannot be opened ({e}): run scripts/package.sh (scripts/test.sh runs it before cargo test)",
            path.display()
        )
    });
    if let Some(newer) = newest_input_after(file.metadata().unwrap().modified().unwrap()) {
        panic!(
            "{} is older than {}: run scripts/package.sh (scripts/test.sh runs it when deploy tests run)",
            path.display(),
            newer.display()
        );
    }
    zip::ZipArchive::new(file).unwrap()
}

/// A file the package is built from that changed after `built`, if any: the zip is
/// then stale, and checking it would prove nothing about the sources.
fn newest_input_after(built: std::time::SystemTime) -> Option<std::path::PathBuf> {
    fn walk(path: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        if path.is_dir() {
            for entry in fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), found);
            }
        } else {
            found.push(path.to_owned());
        }
    }
    let mut inputs = Vec::new();
    for input in [
        "src",
        "Cargo.toml",
        "Cargo.lock",
        "host.json",
        "rust-toolchain.toml",
        "scripts/package.sh",
    ] {
        walk(&repo_root().join(input), &mut inputs);
    }
    inputs
        .into_iter()
        .find(|input| fs::metadata(input).unwrap().modified().unwrap() > built)
}

fn packaged_bytes(archive: &mut zip::ZipArchive<fs::File>, name: &str) -> Vec<u8> {
    let mut entry = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{PACKAGE} has no {name}: {e}"));
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
#[ignore = "needs the musl deployment zip (scripts/package.sh): scripts/test.sh"]
fn the_package_holds_host_json_and_the_binary_it_names_with_mode_0755() {
    check_package(&repo_root(), &mut open_package());
}

/// The package of the app at `root` holds host.json (as it is at `root`) and, at the path
/// host.json names, a static x86_64 Linux binary stored with mode 0755, and nothing else.
pub fn check_package(root: &Path, archive: &mut zip::ZipArchive<fs::File>) {
    let executable = host_executable(root);
    let names: BTreeSet<String> = archive.file_names().map(|n| n.unwrap().into()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["host.json".to_owned(), executable.clone()]),
        "the package must hold host.json at the root and the binary where host.json says"
    );

    let mode = archive.by_name(&executable).unwrap().unix_mode();
    assert_eq!(
        mode,
        Some(0o100_755),
        "{executable} must be stored as a regular file with mode 0755 (got {:?}): \
         the Flex file system is read-only, so the host may not be able to chmod it",
        mode.map(|m| format!("{m:o}"))
    );

    let packaged_host: Value =
        serde_json::from_slice(&packaged_bytes(archive, "host.json")).unwrap();
    assert_eq!(
        packaged_host,
        read_json(root, "host.json"),
        "the packaged host.json is stale: run scripts/package.sh"
    );
    let binary = packaged_bytes(archive, &executable);
    assert_eq!(static_elf_problems(&binary), Vec::<String>::new());
}

#[test]
fn the_elf_check_objects_to_a_dynamically_linked_binary() {
    // The check itself can fail: the debug build the tests use links glibc dynamically.
    let dynamic = fs::read(handler_path()).unwrap();
    assert!(
        !static_elf_problems(&dynamic).is_empty(),
        "the ELF check found nothing to object to in a dynamically linked binary"
    );
}

/// Why an ELF file would not run on a Linux x86_64 host without its libraries: the wrong
/// format or machine, a program interpreter (`PT_INTERP`, the dynamic loader), or shared
/// libraries it needs (`DT_NEEDED`). Empty for a static (or static-pie) executable.
fn static_elf_problems(elf: &[u8]) -> Vec<String> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return vec!["not a 64-bit little-endian ELF file".to_owned()];
    }
    let mut problems = Vec::new();
    if u16_at(18) != 0x3e {
        problems.push(format!("machine {:#x}, not x86_64", u16_at(18)));
    }
    if !matches!(u16_at(16), 2 | 3) {
        problems.push(format!("ELF type {}, not an executable", u16_at(16)));
    }
    let (phoff, phentsize, phnum) = (u64_at(32), usize::from(u16_at(54)), u16_at(56));
    for header in (0..usize::from(phnum)).map(|i| phoff + i * phentsize) {
        let (offset, size) = (u64_at(header + 8), u64_at(header + 32));
        match u32_at(header) {
            3 => problems.push(format!(
                "needs the program interpreter {}",
                String::from_utf8_lossy(&elf[offset..offset + size]).trim_end_matches('\0')
            )),
            2 => {
                let needed = (offset..offset + size)
                    .step_by(16)
                    .map(&u64_at)
                    .take_while(|&tag| tag != 0)
                    .filter(|&tag| tag == 1)
                    .count();
                if needed > 0 {
                    problems.push(format!("needs {needed} shared libraries (DT_NEEDED)"));
                }
            }
            _ => {}
        }
    }
    problems
}

#[tokio::test]
#[ignore = "needs the musl deployment zip (scripts/package.sh): scripts/test.sh"]
async fn the_unpacked_binary_answers_readiness_and_initialize_with_only_the_port_set() {
    let dir = tempfile::tempdir().unwrap();
    open_package().extract(dir.path()).unwrap();
    let binary = dir.path().join(host_executable(&repo_root()));
    let mode = fs::metadata(&binary).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "unpacked with mode {mode:o}");

    // Started as the Functions host starts it: in the app root, with an empty environment
    // but FUNCTIONS_CUSTOMHANDLER_PORT.
    let handler = Handler::start_binary(&binary, dir, &[]);
    let ready = reqwest::get(handler.url("/")).await.unwrap();
    assert_eq!(ready.status(), 200, "the host's readiness probe");

    let client = mcp_client(&handler.url("/mcp")).await;
    let info = client.peer_info().expect("initialize result");
    let server = info.server_info.as_ref().expect("serverInfo");
    assert_eq!(server.name, "rust-mcp-functions");
    client.cancel().await.unwrap();
}

fn load_yaml(root: &Path, name: &str) -> Yaml {
    let text = fs::read_to_string(root.join(name)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
    assert_eq!(docs.len(), 1, "{name} must hold one YAML document");
    docs.remove(0)
}

/// The azure.yaml name of the one service, as the Bicep's `azd-service-name` tag must say.
pub fn azd_service_name(root: &Path) -> String {
    let yaml = load_yaml(root, "azure.yaml");
    let services = yaml["services"].as_hash().expect("azure.yaml has services");
    assert_eq!(services.len(), 1, "one service: the MCP server");
    services.keys().next().unwrap().as_str().unwrap().to_owned()
}

/// The `${input:...}` ids a VS Code config string refers to.
fn input_refs(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            for rest in s.split("${input:").skip(1) {
                found.insert(rest.split('}').next().unwrap().to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| input_refs(v, found)),
        Value::Object(map) => map.values().for_each(|v| input_refs(v, found)),
        _ => {}
    }
}

generic_checks! {
    fn azure_yaml_deploys_the_package_as_a_custom_language_function(root: &Path) {
        let yaml = load_yaml(root, "azure.yaml");
        assert!(!yaml["name"].as_str().unwrap_or_default().is_empty());
        // The first release whose zip handling keeps Unix modes (we build our own zip, but a
        // user who points `dist` at a directory would rely on it).
        assert_eq!(yaml["requiredVersions"]["azd"].as_str(), Some(">= 1.26.0"));
        assert_eq!(yaml["infra"]["provider"].as_str(), Some("bicep"));
        let infra = root.join(yaml["infra"]["path"].as_str().unwrap());
        let module = yaml["infra"]["module"].as_str().unwrap();
        assert!(infra.join(format!("{module}.bicep")).is_file());
        assert!(infra.join(format!("{module}.parameters.json")).is_file());

        assert_eq!(azd_service_name(root), "mcp");
        let mcp = &yaml["services"]["mcp"];
        assert_eq!(mcp["project"].as_str(), Some("."));
        assert_eq!(mcp["host"].as_str(), Some("function"));
        // Any other value (e.g. `rust`) is refused by azd; `custom` needs the alpha flag.
        assert_eq!(mcp["language"].as_str(), Some("custom"));
        assert_eq!(
            mcp["dist"].as_str(),
            Some(PACKAGE),
            "azd uploads this zip as-is"
        );

        // Before packaging: build the zip. After deploying: the smoke check of the new
        // endpoint (crates/rmcp-functions-smoke), whose verdict ends `azd up`; a failed check fails the
        // command, so the hook must not continue on error.
        let hooks = mcp["hooks"].as_hash().expect("the mcp service has hooks");
        let names: BTreeSet<&str> = hooks.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(names, BTreeSet::from(["prepackage", "postdeploy"]));
        for (event, expected) in [
            ("prepackage", "scripts/package.sh"),
            ("postdeploy", "scripts/smoke.sh"),
        ] {
            let hook = &mcp["hooks"][event]["posix"];
            assert_eq!(hook["shell"].as_str(), Some("sh"), "{event}");
            let script = root.join(hook["run"].as_str().unwrap());
            assert!(script.ends_with(expected), "{event}: {}", script.display());
            let mode = fs::metadata(&script).unwrap().permissions().mode();
            assert_ne!(
                mode & 0o111,
                0,
                "azd executes the {event} hook script directly: it must be executable"
            );
            let first_line = fs::read_to_string(&script).unwrap();
            assert_eq!(
                first_line.lines().next(),
                Some("#!/bin/sh"),
                "{event}: a POSIX sh script (Linux, macOS, WSL)"
            );
            let known_keys = ["shell", "run", "continueOnError", "interactive"];
            for key in hook.as_hash().unwrap().keys() {
                assert!(
                    known_keys.contains(&key.as_str().unwrap()),
                    "{event}: {key:?}"
                );
            }
            assert!(
                hook["continueOnError"].as_bool() != Some(true),
                "{event}: a failure must fail the azd command"
            );
        }
        // The hook runs the check with no arguments: everything comes from azd.
        assert_eq!(
            mcp["hooks"]["postdeploy"]["posix"]["run"].as_str(),
            Some("scripts/smoke.sh")
        );
    }

    fn vscode_mcp_json_defines_the_local_and_remote_servers(root: &Path) {
        let mcp = read_json(root, ".vscode/mcp.json");
        let servers = &mcp["servers"];
        assert_eq!(servers["local-mcp-server"]["type"], "http");
        assert_eq!(
            servers["local-mcp-server"]["url"],
            "http://localhost:7071/mcp"
        );
        assert_eq!(servers["remote-mcp-server"]["type"], "http");
        assert_eq!(
            servers["remote-mcp-server"]["url"],
            "https://${input:functionapp-domain}/mcp"
        );
        let keyed = &servers["remote-mcp-server-key"];
        assert_eq!(keyed["url"], servers["remote-mcp-server"]["url"]);
        let key_ref = keyed["headers"]["x-functions-key"].as_str().unwrap();

        let inputs = mcp["inputs"].as_array().unwrap();
        let declared: BTreeSet<String> = inputs
            .iter()
            .map(|input| input["id"].as_str().unwrap().to_owned())
            .collect();
        let mut used = BTreeSet::new();
        input_refs(servers, &mut used);
        assert_eq!(used, declared, "every input is declared once and used");
        let key_input = inputs
            .iter()
            .find(|input| key_ref == format!("${{input:{}}}", input["id"].as_str().unwrap()))
            .expect("the key header comes from an input");
        assert_eq!(
            key_input["password"], true,
            "the key is typed as a password"
        );
    }

    fn vscode_tasks_launch_and_settings_build_run_debug_and_deploy(root: &Path) {
        let tasks = read_json(root, ".vscode/tasks.json");
        let tasks = tasks["tasks"].as_array().unwrap();
        let task = |label: &str| {
            tasks
                .iter()
                .find(|t| t["label"] == label)
                .unwrap_or_else(|| panic!("no task {label:?}"))
        };
        let labels: BTreeSet<&str> = tasks.iter().map(|t| t["label"].as_str().unwrap()).collect();
        assert_eq!(task("cargo: build")["type"], "cargo");
        let func = task("func: host start");
        assert_eq!(func["type"], "func");
        assert_eq!(func["command"], "host start");
        assert_eq!(func["dependsOn"], "cargo: build");
        assert_eq!(func["isBackground"], true);

        let launch = read_json(root, ".vscode/launch.json");
        let attach = &launch["configurations"][0];
        assert_eq!(attach["type"], "lldb", "CodeLLDB");
        assert_eq!(attach["request"], "attach");
        // The binary func starts locally (local.settings.json's override of host.json).
        let local = read_json(root, "local.settings.json");
        let debug_path =
            local["Values"]["AzureFunctionsJobHost__customHandler__description__defaultExecutablePath"]
                .as_str()
                .unwrap();
        assert_eq!(
            attach["program"],
            format!("${{workspaceFolder}}/{debug_path}")
        );
        assert!(labels.contains(attach["preLaunchTask"].as_str().unwrap()));

        let extensions = read_json(root, ".vscode/extensions.json");
        let recommended: BTreeSet<&str> = extensions["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap())
            .collect();
        for id in [
            "ms-azuretools.vscode-azurefunctions",
            "rust-lang.rust-analyzer",
            "vadimcn.vscode-lldb",
        ] {
            assert!(recommended.contains(id), "{id} is not recommended");
        }

        let settings = read_json(root, ".vscode/settings.json");
        assert_eq!(settings["azureFunctions.projectLanguage"], "Custom");
        assert_eq!(settings["azureFunctions.projectRuntime"], "~4");
        // The extension's "Deploy to Function App" deploys the same zip azd does.
        assert_eq!(settings["azureFunctions.deploySubpath"], PACKAGE);
        let pre_deploy = settings["azureFunctions.preDeployTask"].as_str().unwrap();
        assert!(labels.contains(pre_deploy));
        assert!(
            task(pre_deploy)["command"]
                .as_str()
                .unwrap()
                .ends_with("scripts/package.sh")
        );
    }

    /// The deployment package holds the server's binary only, the one host.json names (so
    /// the name is written once): the smoke check is a tool for the machine that deploys,
    /// and scripts/package.sh builds nothing else.
    fn the_package_script_builds_the_binary_host_json_names_only(root: &Path) {
        let script = fs::read_to_string(root.join("scripts/package.sh")).unwrap();
        let builds: Vec<&str> = script
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("cargo build"))
            .collect();
        assert_eq!(
            builds,
            ["cargo build $locked --release --target \"$target\" --bin \"$bin\""]
        );
        let bin = script
            .lines()
            .find(|l| l.starts_with("bin="))
            .expect("package.sh sets bin");
        assert!(bin.contains("defaultExecutablePath"), "{bin}");
    }

    /// `func start` runs the debug build of the binary host.json names.
    fn local_settings_start_the_debug_build_of_the_binary_host_json_names(root: &Path) {
        let local = read_json(root, "local.settings.json");
        let values = &local["Values"];
        assert_eq!(values["FUNCTIONS_WORKER_RUNTIME"], "custom");
        assert_eq!(values["AzureWebJobsFeatureFlags"], "EnableMcpCustomHandlerPreview");
        let debug_path = values
            ["AzureFunctionsJobHost__customHandler__description__defaultExecutablePath"]
            .as_str()
            .unwrap();
        let executable = host_executable(root);
        let name = Path::new(&executable).file_name().unwrap();
        assert!(
            debug_path.ends_with(&format!("debug/{}", name.to_str().unwrap())),
            "local.settings.json starts {debug_path}, host.json names {executable}"
        );
    }
}
