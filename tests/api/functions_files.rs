//! The files the Functions host and Core Tools read.

use std::fs;

use serde_json::Value;

use crate::helpers::{handler_path, repo_root};

fn read_json(name: &str) -> Value {
    let text = fs::read_to_string(repo_root().join(name)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"))
}

#[test]
fn host_json_uses_the_mcp_profile_and_starts_the_packaged_binary() {
    let host = read_json("host.json");
    assert_eq!(host["version"], "2.0");
    assert_eq!(host["configurationProfile"], "mcp-custom-handler");
    let description = &host["customHandler"]["description"];
    let binary = handler_path();
    assert_eq!(
        description["defaultExecutablePath"],
        binary.file_name().unwrap().to_str().unwrap(),
        "host.json must name the binary cargo builds (and the package ships at the zip root)"
    );
    assert_eq!(description["arguments"], serde_json::json!([]));
    // camelCase, as the SchemaStore host.json schema requires.
    assert_eq!(
        host["customHandler"]["http"]["defaultAuthorizationLevel"],
        "anonymous"
    );
    let http = host["customHandler"]["http"].as_object().unwrap();
    assert_eq!(
        http.len(),
        1,
        "the schema allows no other keys under customHandler.http"
    );
    if let Some(port) = host["customHandler"].get("port") {
        assert!(port.is_u64(), "customHandler.port must be an integer");
    }
}

#[test]
fn local_settings_run_the_debug_build_as_a_custom_handler() {
    let settings = read_json("local.settings.json");
    let values = &settings["Values"];
    assert_eq!(values["FUNCTIONS_WORKER_RUNTIME"], "custom");
    assert!(
        values["AzureWebJobsFeatureFlags"]
            .as_str()
            .unwrap()
            .split(',')
            .any(|flag| flag.trim() == "EnableMcpCustomHandlerPreview")
    );
    let path = values["AzureFunctionsJobHost__customHandler__description__defaultExecutablePath"]
        .as_str()
        .unwrap();
    assert_eq!(path, "target/debug/handler");
    assert!(
        handler_path().ends_with(path.trim_start_matches("target/"))
            || handler_path().ends_with(path),
        "{path} is not where cargo builds the handler ({})",
        handler_path().display()
    );
}
