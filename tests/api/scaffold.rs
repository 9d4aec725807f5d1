//! `scripts/scaffold.sh` (crates/rmcp-functions-scaffold) on crates fresh from `cargo new`:
//! what it writes passes the same deployment checks as ours (tests/api/deploy.rs and
//! deploy/infra.rs), a second run overwrites nothing without `--force`, a crate's own
//! `main` is left alone, and, the proof, the scaffolded crate builds, packages with its
//! scripts/package.sh and serves behind nginx as the Functions host would run it, with
//! the smoke check green.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use serde_json::json;

use crate::{
    deploy,
    helpers::{
        Handler, Nginx, call_tool, mcp_client, repo_root, result_text, run_bounded,
        workspace_binary,
    },
};

/// The scaffolded crate's name, and so its binary's.
const NAME: &str = "proof-server";

/// `cargo new NAME` in a temporary directory; returns the directory and the crate's.
fn fresh_crate() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join(NAME);
    let finished = run_bounded(
        cargo(&["new", "--quiet", "--vcs", "none", NAME], temp.path()),
        Duration::from_secs(60),
    );
    assert!(finished.status.success(), "cargo new: {}", finished.stderr);
    (temp, dir)
}

fn cargo(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.args(args).current_dir(dir);
    command
}

/// Runs the scaffold on `dir` with `extra` options; returns its exit code and stdout.
fn scaffold(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(workspace_binary(
        "rmcp-functions-scaffold",
        "rmcp-functions-scaffold",
    ));
    // The crate's own target directory, as a user's would be.
    command.arg(dir).args(extra).env_remove("CARGO_TARGET_DIR");
    let finished = run_bounded(command, Duration::from_secs(60));
    (
        finished.status.code(),
        format!("{}{}", finished.stdout, finished.stderr),
    )
}

/// The files listed as `wrote` in the scaffold's output.
fn wrote(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("wrote "))
        .map(str::trim)
        .collect()
}

#[test]
fn a_fresh_crate_gets_every_deployment_file_and_passes_the_deploy_checks() {
    let (_temp, dir) = fresh_crate();
    let (code, output) = scaffold(&dir, &[]);
    assert_eq!(code, Some(0), "{output}");
    let written = wrote(&output);
    for file in [
        "host.json",
        "local.settings.json",
        "azure.yaml",
        "infra/main.bicep",
        "infra/app.bicep",
        "infra/main.parameters.json",
        "infra/modules/function-app.bicep",
        "scripts/package.sh",
        "scripts/smoke.sh",
        ".vscode/mcp.json",
        ".vscode/tasks.json",
        "src/main.rs",
    ] {
        assert!(written.contains(&file), "{file} is not listed:\n{output}");
        assert!(dir.join(file).is_file(), "{file} is not there");
    }
    assert!(
        output.contains(
            "added to    Cargo.toml: rmcp-functions, rmcp, serde, schemars, tokio, [profile.release]"
        ),
        "{output}"
    );
    assert!(
        output.contains("appended to .gitignore: /target /build /.azure"),
        "{output}"
    );
    // The starter server is the scaffold's, as its own example builds it.
    let starter =
        fs::read_to_string(repo_root().join("crates/rmcp-functions-scaffold/examples/starter.rs"))
            .unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("src/main.rs")).unwrap(),
        starter
    );
    let host = deploy::read_json(&dir, "host.json");
    assert_eq!(
        host["customHandler"]["description"]["defaultExecutablePath"],
        NAME
    );

    // The consistency checks our own deployment files pass, over the scaffolded ones.
    deploy::generic_checks(&dir);
    deploy::infra::generic_checks(&dir);
}

#[test]
fn a_second_run_writes_nothing_and_a_changed_file_is_kept_unless_forced() {
    let (_temp, dir) = fresh_crate();
    assert_eq!(scaffold(&dir, &[]).0, Some(0));
    let files = |dir: &Path| {
        ["host.json", "Cargo.toml", ".gitignore", "src/main.rs"]
            .map(|f| fs::read_to_string(dir.join(f)).unwrap())
    };
    let first = files(&dir);

    let (code, output) = scaffold(&dir, &[]);
    assert_eq!(code, Some(0), "{output}");
    assert!(wrote(&output).is_empty(), "{output}");
    assert!(
        output.contains("nothing to write: the crate is scaffolded already"),
        "{output}"
    );
    assert_eq!(files(&dir), first, "no line added twice, nothing rewritten");

    let edited = "{\"version\": \"2.0\"}\n";
    fs::write(dir.join("host.json"), edited).unwrap();
    let (code, output) = scaffold(&dir, &[]);
    assert_eq!(
        code,
        Some(1),
        "a kept file is not a finished scaffold:\n{output}"
    );
    assert!(
        output.contains("kept        host.json: it exists and differs"),
        "{output}"
    );
    assert!(output.contains("--force"), "{output}");
    assert!(wrote(&output).is_empty(), "{output}");
    assert_eq!(fs::read_to_string(dir.join("host.json")).unwrap(), edited);

    let (code, output) = scaffold(&dir, &["--force"]);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("overwrote   host.json"), "{output}");
    assert_eq!(files(&dir), first);
}

#[test]
fn a_crate_with_its_own_main_keeps_it_and_is_told_the_lines_to_add() {
    let (_temp, dir) = fresh_crate();
    let own = "// My server.\nfn main() {\n    println!(\"mine\");\n}\n";
    fs::write(dir.join("src/main.rs"), own).unwrap();
    let (code, output) = scaffold(&dir, &[]);
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(fs::read_to_string(dir.join("src/main.rs")).unwrap(), own);
    assert!(!wrote(&output).contains(&"src/main.rs"), "{output}");
    assert!(
        output.contains("src/main.rs is the crate's own and stays as it is"),
        "{output}"
    );
    assert!(
        output.contains("    #[tokio::main]\n    async fn main() -> std::process::ExitCode {\n        rmcp_functions::run(MyServer::new()).await\n    }"),
        "{output}"
    );
    // Only what hosting needs: the crate brings its own rmcp.
    assert!(
        output.contains("added to    Cargo.toml: rmcp-functions, tokio, [profile.release]"),
        "{output}"
    );
    // --force is for the deployment files, never the crate's main.
    let (_, output) = scaffold(&dir, &["--force"]);
    assert_eq!(
        fs::read_to_string(dir.join("src/main.rs")).unwrap(),
        own,
        "{output}"
    );
}

/// The proof: from `cargo new` to a package that serves behind nginx, with no hand edit.
/// The workspace's Cargo.lock is copied into the crate first, so it resolves the versions
/// the hosting crate is tested with, and both builds use this workspace's target
/// directories, so what is built already is not built again.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs musl-tools and nginx: scripts/test.sh"]
async fn a_scaffolded_crate_builds_packages_and_passes_the_smoke_check_behind_nginx() {
    let (_temp, dir) = fresh_crate();
    fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let (code, output) = scaffold(&dir, &[]);
    assert_eq!(code, Some(0), "{output}");

    // `cargo run` builds this; local.settings.json points `func start` at it.
    let target = repo_root().join("target");
    let mut build = cargo(&["build", "--quiet"], &dir);
    build.env("CARGO_TARGET_DIR", &target);
    let finished = run_bounded(build, Duration::from_secs(900));
    assert!(
        finished.status.success(),
        "cargo build: {}",
        finished.stderr
    );
    let local = deploy::read_json(&dir, "local.settings.json");
    let debug_path =
        local["Values"]["AzureFunctionsJobHost__customHandler__description__defaultExecutablePath"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(debug_path, format!("target/debug/{NAME}"));
    assert!(target.join("debug").join(NAME).is_file());

    // The scaffolded package script, as azd's prepackage hook runs it.
    let mut package = Command::new(dir.join("scripts/package.sh"));
    package
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target.join("package"));
    let finished = run_bounded(package, Duration::from_secs(1800));
    assert!(
        finished.status.success(),
        "scripts/package.sh: {}{}",
        finished.stdout,
        finished.stderr
    );
    let zip = fs::File::open(dir.join(deploy::PACKAGE)).unwrap();
    let mut archive = zip::ZipArchive::new(zip).unwrap();
    deploy::check_package(&dir, &mut archive);

    // Unpacked and started as the Functions host starts it, nginx in front.
    let app_root = tempfile::tempdir().unwrap();
    archive.extract(app_root.path()).unwrap();
    let binary = app_root.path().join(NAME);
    let mode = fs::metadata(&binary).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "unpacked with mode {mode:o}");
    let handler = Handler::start_binary(&binary, app_root, &[]);
    let nginx = Nginx::start(handler.addr.port(), &handler.addr.to_string());

    // What a client sees: the starter's tool.
    let client = mcp_client(&nginx.url("/mcp")).await;
    let info = client.peer_info().expect("initialize result");
    assert_eq!(info.server_info.as_ref().expect("serverInfo").name, NAME);
    let sum = call_tool(&client, "sum", json!({"a": 2, "b": 3})).await;
    assert_eq!(result_text(&sum), "5");
    client.cancel().await.unwrap();

    // The postdeploy hook's check, against the endpoint behind the proxy.
    let bin = tempfile::tempdir().unwrap();
    let mut smoke = Command::new(workspace_binary(
        "rmcp-functions-smoke",
        "rmcp-functions-smoke",
    ));
    smoke
        .args([&nginx.url("/mcp"), "--wait", "5"])
        .env_clear()
        .env("PATH", bin.path());
    let run = tokio::task::spawn_blocking(move || run_bounded(smoke, Duration::from_secs(60)))
        .await
        .unwrap();
    let verdict = run.stdout.lines().last().unwrap_or_default();
    assert!(verdict.starts_with("verdict: PASS"), "{}", run.stdout);
    assert_eq!(run.status.code(), Some(0), "{}", run.stdout);

    deploy::generic_checks(&dir);
    deploy::infra::generic_checks(&dir);
}
