//! `infra/`: every `.bicep` file parses (the `tree-sitter-bicep` grammar; the Bicep CLI is
//! not on the package registries), and the files agree with each other, with
//! `main.parameters.json` and with `azure.yaml`, and say what Flex Consumption needs.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use serde_json::Value;
use tree_sitter::{Node, Parser, Tree};

use super::azd_service_name;
use crate::helpers::repo_root;

/// tree-sitter-bicep 1.1.0 predates the `extension` statement, which imports the Microsoft
/// Graph Bicep extension that `modules/entra.bicep` needs to create the app registration.
/// That one line of that one file is blanked before parsing; the rest of the file is checked.
const GRAPH_EXTENSION: (&str, &str) = ("modules/entra.bicep", "extension microsoftGraphV1");

/// VS Code's Entra ID client id, pre-authorized by default.
const VS_CODE_CLIENT_ID: &str = "aebc6443-996d-45c2-90f0-388ff96faa56";

struct Bicep {
    /// Path relative to `infra/`, with `/`.
    name: String,
    source: String,
    tree: Tree,
}

impl Bicep {
    fn load(name: &str) -> Self {
        let mut source = fs::read_to_string(repo_root().join("infra").join(name))
            .unwrap_or_else(|e| panic!("infra/{name}: {e}"));
        if name == GRAPH_EXTENSION.0 {
            let line = GRAPH_EXTENSION.1;
            assert_eq!(
                source.lines().filter(|l| *l == line).count(),
                1,
                "infra/{name} must import the Graph extension with exactly `{line}` (the one line the parser skips)"
            );
            source = source.replacen(line, &" ".repeat(line.len()), 1);
        }
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_bicep::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(&source, None).unwrap();
        Self {
            name: name.to_owned(),
            source,
            tree,
        }
    }

    /// Every node, depth first.
    fn all_nodes(&self) -> Vec<Node<'_>> {
        fn walk<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
            out.push(node);
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        walk(self.tree.root_node(), &mut out);
        out
    }

    fn nodes(&self, kind: &str) -> Vec<Node<'_>> {
        self.all_nodes()
            .into_iter()
            .filter(|n| n.kind() == kind)
            .collect()
    }

    fn text(&self, node: Node<'_>) -> &str {
        &self.source[node.byte_range()]
    }

    /// A string literal without interpolation, unquoted; or a number or boolean as written.
    fn literal(&self, node: Node<'_>) -> Option<String> {
        let text = self.text(node);
        match node.kind() {
            "string"
                if (0..node.named_child_count())
                    .all(|i| node.named_child(i).unwrap().kind() != "interpolation") =>
            {
                Some(text.trim_matches('\'').to_owned())
            }
            "number" | "boolean" => Some(text.to_owned()),
            _ => None,
        }
    }

    /// The name of each `param`, and whether it has a default value.
    fn params(&self) -> BTreeMap<String, bool> {
        self.nodes("parameter_declaration")
            .into_iter()
            .map(|p| {
                let name = self.text(p.named_child(0).unwrap()).to_owned();
                (name, p.named_child_count() > 2)
            })
            .collect()
    }

    fn param_default(&self, name: &str) -> Option<String> {
        let param = self
            .nodes("parameter_declaration")
            .into_iter()
            .find(|p| self.text(p.named_child(0).unwrap()) == name)?;
        self.literal(param.named_child(2)?)
    }

    /// The values of the `@allowed([...])` decorator of `param name`, if it has one.
    fn param_allowed(&self, name: &str) -> Vec<String> {
        let param = self
            .nodes("parameter_declaration")
            .into_iter()
            .find(|p| self.text(p.named_child(0).unwrap()) == name)
            .unwrap_or_else(|| panic!("infra/{}: no param {name}", self.name));
        let Some(decorators) = param
            .prev_named_sibling()
            .filter(|n| n.kind() == "decorators")
        else {
            return Vec::new();
        };
        let mut cursor = decorators.walk();
        let allowed = decorators
            .named_children(&mut cursor)
            .find_map(|decorator| {
                let call = decorator.named_child(0)?;
                let function = call.child_by_field_name("function")?;
                (self.text(function) == "allowed").then_some(call.child_by_field_name("arguments")?)
            });
        let Some(arguments) = allowed else {
            return Vec::new();
        };
        let array = arguments.named_child(0).unwrap();
        let mut cursor = array.walk();
        array
            .named_children(&mut cursor)
            .filter_map(|value| self.literal(value))
            .collect()
    }

    /// The literal properties of `var name = { key: value ... }`.
    fn variable_object(&self, name: &str) -> BTreeMap<String, String> {
        let var = self
            .nodes("variable_declaration")
            .into_iter()
            .find(|v| self.text(v.named_child(0).unwrap()) == name)
            .unwrap_or_else(|| panic!("infra/{}: no var {name}", self.name));
        let object = var.named_child(1).unwrap();
        assert_eq!(object.kind(), "object", "infra/{}: var {name}", self.name);
        let mut cursor = object.walk();
        object
            .named_children(&mut cursor)
            .filter(|p| p.kind() == "object_property")
            .map(|p| {
                let key = self.text(p.named_child(0).unwrap()).to_owned();
                let value = self.literal(p.named_child(1).unwrap()).unwrap();
                (key, value)
            })
            .collect()
    }

    /// The source text of what module `path` is given for its param `key`.
    fn module_argument(&self, path: &str, key: &str) -> String {
        let module = self
            .nodes("module_declaration")
            .into_iter()
            .find(|m| self.literal(m.named_child(1).unwrap()).as_deref() == Some(path))
            .unwrap_or_else(|| panic!("infra/{}: no module {path}", self.name));
        self.all_nodes()
            .into_iter()
            .filter(|n| n.kind() == "object_property")
            .filter(|n| module.byte_range().contains(&n.start_byte()))
            .find(|n| self.text(n.named_child(0).unwrap()) == key)
            .map(|n| self.text(n.named_child(1).unwrap()).to_owned())
            .unwrap_or_else(|| panic!("infra/{}: {path} gets no {key}", self.name))
    }

    /// The value of `var name = '...'`, if it is a literal.
    fn variable(&self, name: &str) -> Option<String> {
        let var = self
            .nodes("variable_declaration")
            .into_iter()
            .find(|v| self.text(v.named_child(0).unwrap()) == name)?;
        self.literal(var.named_child(1)?)
    }

    /// The decorators written above `param name`, as source text (e.g. `minValue(1)`).
    fn param_decorators(&self, name: &str) -> Vec<String> {
        let Some(param) = self
            .nodes("parameter_declaration")
            .into_iter()
            .find(|p| self.text(p.named_child(0).unwrap()) == name)
        else {
            return Vec::new();
        };
        // The grammar puts them in a `decorators` node just before the declaration, or
        // inside it, depending on the statement; accept both.
        let mut holders = vec![param];
        holders.extend(param.prev_named_sibling());
        holders
            .into_iter()
            .flat_map(|holder| {
                let mut found = Vec::new();
                let mut cursor = holder.walk();
                for child in holder.named_children(&mut cursor) {
                    if child.kind() == "decorators" {
                        let mut inner = child.walk();
                        found.extend(
                            child
                                .named_children(&mut inner)
                                .map(|d| self.text(d).trim_start_matches('@').to_owned()),
                        );
                    }
                }
                if holder.kind() == "decorators" {
                    let mut inner = holder.walk();
                    found.extend(
                        holder
                            .named_children(&mut inner)
                            .map(|d| self.text(d).trim_start_matches('@').to_owned()),
                    );
                }
                found
            })
            .collect()
    }

    fn outputs(&self) -> BTreeSet<String> {
        self.nodes("output_declaration")
            .into_iter()
            .map(|o| self.text(o.named_child(0).unwrap()).to_owned())
            .collect()
    }

    /// Every `key: value` of every object literal, in file order.
    fn properties(&self) -> Vec<(String, Node<'_>)> {
        self.nodes("object_property")
            .into_iter()
            .map(|p| {
                let key = self.text(p.named_child(0).unwrap()).trim_matches('\'');
                (
                    key.to_owned(),
                    p.named_child(p.named_child_count() - 1).unwrap(),
                )
            })
            .collect()
    }

    /// The literal values given to `key`, anywhere in the file.
    fn values_of(&self, key: &str) -> Vec<String> {
        self.properties()
            .into_iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, v)| self.literal(v))
            .collect()
    }

    /// The properties of the object given to `key` (e.g. `runtime: { ... }`).
    fn object_of(&self, key: &str) -> BTreeMap<String, String> {
        let (_, object) = self
            .properties()
            .into_iter()
            .find(|(k, v)| k == key && v.kind() == "object")
            .unwrap_or_else(|| panic!("infra/{}: no `{key}: {{...}}`", self.name));
        let mut cursor = object.walk();
        object
            .named_children(&mut cursor)
            .filter(|p| p.kind() == "object_property")
            .map(|p| {
                let value = p.named_child(p.named_child_count() - 1).unwrap();
                let key = self.text(p.named_child(0).unwrap()).to_owned();
                (
                    key,
                    self.literal(value)
                        .unwrap_or_else(|| self.text(value).to_owned()),
                )
            })
            .collect()
    }

    /// `(module path, keys of its params object)` for each `module` declaration.
    fn modules(&self) -> Vec<(String, BTreeSet<String>)> {
        self.nodes("module_declaration")
            .into_iter()
            .map(|module| {
                let path = self.literal(module.named_child(1).unwrap()).unwrap();
                let keys = self
                    .all_nodes()
                    .into_iter()
                    .filter(|n| n.kind() == "object_property")
                    .filter(|n| module.byte_range().contains(&n.start_byte()))
                    .filter(|n| self.text(n.named_child(0).unwrap()) == "params")
                    .flat_map(|params| {
                        let object = params.named_child(1).unwrap();
                        let mut cursor = object.walk();
                        object
                            .named_children(&mut cursor)
                            .filter(|p| p.kind() == "object_property")
                            .map(|p| self.text(p.named_child(0).unwrap()).to_owned())
                            .collect::<Vec<_>>()
                    })
                    .collect();
                (path, keys)
            })
            .collect()
    }
}

fn all_bicep() -> Vec<Bicep> {
    fn find(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{prefix}{}", path.file_name().unwrap().to_str().unwrap());
            if path.is_dir() {
                find(&path, &format!("{name}/"), out);
            } else if name.ends_with(".bicep") {
                out.push(name);
            }
        }
    }
    let mut names = Vec::new();
    find(&repo_root().join("infra"), "", &mut names);
    names.sort();
    assert!(names.len() > 1, "no Bicep modules found: {names:?}");
    names.iter().map(|name| Bicep::load(name)).collect()
}

fn bicep(name: &str) -> Bicep {
    Bicep::load(name)
}

#[test]
fn every_bicep_file_parses_without_syntax_errors() {
    let mut errors = Vec::new();
    for file in all_bicep() {
        for node in file.all_nodes() {
            if node.is_error() || node.is_missing() {
                let at = node.start_position();
                let what = if node.is_missing() {
                    "missing"
                } else {
                    "syntax error"
                };
                let text: String = file.text(node).chars().take(60).collect();
                errors.push(format!(
                    "infra/{}:{}:{}: {what} near `{text}`",
                    file.name,
                    at.row + 1,
                    at.column + 1
                ));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_parser_reports_a_broken_file() {
    // Guards the check above: a file with a syntax error must not pass.
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bicep::LANGUAGE.into())
        .unwrap();
    let tree = parser
        .parse(
            "param name string\nresource site 'Microsoft.Web/sites@2024-04-01' = {\n  name: name\n",
            None,
        )
        .unwrap();
    assert!(tree.root_node().has_error());
}

#[test]
fn main_parameters_json_maps_azd_variables_onto_declared_params() {
    let main = bicep("main.bicep");
    let declared = main.params();
    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let parameters = json["parameters"].as_object().unwrap();
    for (name, entry) in parameters {
        assert!(
            declared.contains_key(name),
            "main.parameters.json sets {name}, which main.bicep does not declare"
        );
        let value = entry["value"].as_str().unwrap();
        let inner = value
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{name}: {value} is not an azd ${{VARIABLE}} reference"));
        let variable = inner.split('=').next().unwrap();
        assert!(
            !variable.is_empty()
                && variable
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "{name}: {value}"
        );
    }
    for (name, has_default) in &declared {
        assert!(
            *has_default || parameters.contains_key(name),
            "main.bicep's {name} has no default and main.parameters.json does not set it"
        );
    }
    let pre_authorized = parameters["preAuthorizedClientIds"]["value"]
        .as_str()
        .unwrap();
    assert!(
        pre_authorized.contains(VS_CODE_CLIENT_ID),
        "{pre_authorized}"
    );
    assert_eq!(
        main.param_default("preAuthorizedClientIds").as_deref(),
        Some(VS_CODE_CLIENT_ID)
    );
}

#[test]
fn every_module_exists_and_gets_exactly_the_params_it_declares() {
    let mut used = BTreeSet::new();
    for file in all_bicep() {
        let dir = Path::new(&file.name).parent().unwrap().to_owned();
        for (path, passed) in file.modules() {
            let target_name = dir.join(&path).to_str().unwrap().to_owned();
            assert!(
                repo_root().join("infra").join(&target_name).is_file(),
                "infra/{} uses module {path}, which does not exist",
                file.name
            );
            let target = bicep(&target_name).params();
            for key in &passed {
                assert!(
                    target.contains_key(key),
                    "infra/{} passes {key} to {path}, which has no such param",
                    file.name
                );
            }
            for (param, has_default) in &target {
                assert!(
                    *has_default || passed.contains(param),
                    "infra/{} does not pass {path} its required param {param}",
                    file.name
                );
            }
            used.insert(target_name);
        }
    }
    for file in all_bicep() {
        assert!(
            file.name == "main.bicep" || used.contains(&file.name),
            "infra/{} is not used by any module declaration",
            file.name
        );
    }
}

#[test]
fn the_function_app_is_flex_consumption_on_the_configured_runtime_stack() {
    let app = bicep("modules/function-app.bicep");
    let sku = app.object_of("sku");
    assert_eq!(sku["tier"], "FlexConsumption");
    assert_eq!(sku["name"], "FC1");
    assert!(
        app.values_of("kind")
            .contains(&"functionapp,linux".to_owned())
    );

    let runtime = app.object_of("runtime");
    assert_eq!(
        (runtime["name"].as_str(), runtime["version"].as_str()),
        ("runtimeName", "runtimeVersion"),
        "the runtime comes from main.bicep's flexRuntime (see the runtime stack test)"
    );
    let deployment = app.object_of("storage");
    assert_eq!(deployment["type"], "blobContainer");
    assert_eq!(
        app.object_of("authentication")["type"],
        "UserAssignedIdentity"
    );
    assert_eq!(
        app.values_of("azd-service-name"),
        vec![azd_service_name()],
        "the azd-service-name tag must name azure.yaml's service"
    );
    let main = bicep("main.bicep");
    assert_eq!(
        main.param_default("instanceMemoryMB").as_deref(),
        Some("512")
    );
    assert_eq!(main.param_default("vnetEnabled").as_deref(), Some("false"));
    assert_eq!(
        main.param_default("alwaysReadyInstances").as_deref(),
        Some("0")
    );
}

#[test]
fn app_settings_reach_storage_and_telemetry_by_identity_and_leave_out_what_flex_rejects() {
    let app = bicep("modules/function-app.bicep");
    let settings: BTreeMap<String, String> = app
        .properties()
        .into_iter()
        .map(|(key, value)| (key, app.text(value).to_owned()))
        .collect();
    let setting = |name: &str| {
        settings
            .get(name)
            .unwrap_or_else(|| panic!("no app setting {name}"))
            .as_str()
    };
    assert_eq!(
        setting("AzureWebJobsFeatureFlags"),
        "'EnableMcpCustomHandlerPreview'"
    );
    assert!(setting("AzureWebJobsStorage__blobServiceUri").contains("primaryEndpoints.blob"));
    assert_eq!(
        setting("AzureWebJobsStorage__credential"),
        "'managedidentity'"
    );
    assert_eq!(setting("AzureWebJobsStorage__clientId"), "identityClientId");
    assert_eq!(setting("SNIPPETS_CONTAINER"), "snippetsContainerName");
    assert!(setting("APPLICATIONINSIGHTS_CONNECTION_STRING").contains("ConnectionString"));
    assert_eq!(
        setting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"),
        "'ClientId=${identityClientId};Authorization=AAD'"
    );
    let main = bicep("main.bicep");
    assert_eq!(
        main.variable("snippetsContainerName").as_deref(),
        Some("snippets"),
        "the snippet tools default to the `snippets` container"
    );

    // Settings of the older plans that Flex Consumption rejects or ignores: neither as an
    // object key nor as a `name: '...'` string anywhere in infra/.
    let forbidden = [
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD",
        "linuxFxVersion",
    ];
    for file in all_bicep() {
        let keys = file.properties().into_iter().map(|(key, _)| key);
        let strings = file
            .nodes("string")
            .into_iter()
            .filter_map(|s| file.literal(s));
        for found in keys.chain(strings) {
            assert!(
                !forbidden.contains(&found.as_str()),
                "infra/{} sets {found}",
                file.name
            );
        }
    }
}

#[test]
fn storage_and_monitoring_accept_entra_id_only() {
    let storage = bicep("modules/storage.bicep");
    assert_eq!(storage.values_of("allowSharedKeyAccess"), ["false"]);
    assert_eq!(storage.values_of("allowBlobPublicAccess"), ["false"]);
    assert_eq!(storage.values_of("minimumTlsVersion"), ["TLS1_2"]);
    assert_eq!(
        bicep("modules/monitoring.bicep").values_of("DisableLocalAuth"),
        ["true"]
    );
    let rbac = bicep("modules/rbac.bicep").source;
    for (role, id) in [
        (
            "Storage Blob Data Owner",
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ),
        (
            "Monitoring Metrics Publisher",
            "3913510d-42f4-4e42-8a64-420c390055eb",
        ),
    ] {
        assert!(rbac.contains(id), "no {role} role assignment");
    }
}

#[test]
fn built_in_auth_answers_401_and_advertises_protected_resource_metadata() {
    let app = bicep("modules/function-app.bicep");
    assert_eq!(app.values_of("unauthenticatedClientAction"), ["Return401"]);
    assert_eq!(app.values_of("requireAuthentication"), ["true"]);
    let prm = app
        .properties()
        .into_iter()
        .find(|(key, _)| key == "WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES")
        .map(|(_, value)| app.text(value).to_owned())
        .expect("WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES");
    assert!(prm.ends_with("/user_impersonation'"), "{prm}");
    let entra = bicep("modules/entra.bicep");
    assert_eq!(
        entra.variable("scopeName").as_deref(),
        Some("user_impersonation")
    );
    assert!(
        entra
            .values_of("signInAudience")
            .contains(&"AzureADMyOrg".to_owned())
    );
    // Key mode asks the host for a function key instead.
    assert_eq!(
        app.values_of("AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel"),
        ["function"]
    );
}

#[test]
fn main_bicep_outputs_what_azd_and_clients_need() {
    let outputs = bicep("main.bicep").outputs();
    for name in [
        "SERVICE_MCP_NAME",
        "SERVICE_MCP_DEFAULT_HOSTNAME",
        "MCP_URL",
    ] {
        assert!(outputs.contains(name), "main.bicep does not output {name}");
    }
    let service = azd_service_name().to_uppercase();
    assert!(outputs.contains(&format!("SERVICE_{service}_NAME")));
}

#[test]
fn identity_settings_reach_the_app_and_follow_the_auth_mode() {
    // azd variables, empty by default so Bicep decides.
    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let parameters = &json["parameters"];
    assert_eq!(
        parameters["tokenExchangeAudience"]["value"],
        "${TOKEN_EXCHANGE_AUDIENCE=}"
    );
    assert_eq!(parameters["snippetsScope"]["value"], "${SNIPPETS_SCOPE=}");

    // Private snippets by default exactly when built-in authentication signs users in.
    let main = bicep("main.bicep");
    let scope = main
        .nodes("variable_declaration")
        .into_iter()
        .find(|v| main.text(v.named_child(0).unwrap()) == "effectiveSnippetsScope")
        .map(|v| main.text(v.named_child(1).unwrap()).to_owned())
        .expect("var effectiveSnippetsScope");
    assert_eq!(
        scope,
        "empty(snippetsScope) ? (entraEnabled ? 'user' : 'shared') : snippetsScope"
    );

    let app = bicep("modules/function-app.bicep");
    let setting = |name: &str| {
        app.properties()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| app.text(value).to_owned())
            .unwrap_or_else(|| panic!("no app setting {name}"))
    };
    assert_eq!(setting("SNIPPETS_SCOPE"), "snippetsScope");
    assert_eq!(setting("TOKEN_EXCHANGE_AUDIENCE"), "tokenExchangeAudience");
    // What the on-behalf-of exchange needs and App Service does not set by itself.
    assert_eq!(
        setting("WEBSITE_AUTH_AAD_ALLOWED_TENANTS"),
        "tenant().tenantId"
    );
    assert_eq!(
        setting("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"),
        "identityClientId"
    );
    assert_eq!(
        app.values_of("clientSecretSettingName"),
        ["OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"]
    );

    // The federated credential trusts the audience the server asks its token for.
    let entra = bicep("modules/entra.bicep");
    let audiences = entra
        .properties()
        .into_iter()
        .find(|(key, _)| key == "audiences")
        .map(|(_, value)| entra.text(value).to_owned())
        .expect("audiences");
    assert!(
        audiences.contains(&format!(
            "empty(tokenExchangeAudience) ? '{}' : tokenExchangeAudience",
            rust_mcp_functions::config::DEFAULT_TOKEN_EXCHANGE_AUDIENCE
        )),
        "{audiences}"
    );

    // Every value the Bicep allows is one the server accepts.
    for value in ["shared", "user"] {
        rust_mcp_functions::config::Config::from_lookup(|name| {
            (name == "SNIPPETS_SCOPE").then(|| value.to_owned())
        })
        .unwrap_or_else(|e| panic!("{value}: {e}"));
    }
}

/// The runtime stack is an azd variable: `custom` 1.0 by default, `node` 22 the
/// fallback (the FC1 runtimes of the Functions stacks API). Each value reaches the app's
/// `functionAppConfig.runtime` with the version Flex offers for it.
#[test]
fn the_runtime_stack_is_custom_by_default_and_node_as_the_fallback() {
    let main = bicep("main.bicep");
    let app = bicep("modules/function-app.bicep");
    let stacks = ["custom", "node"];
    assert_eq!(main.param_allowed("flexRuntime"), stacks);
    assert_eq!(app.param_allowed("runtimeName"), stacks);
    assert_eq!(main.param_default("flexRuntime").as_deref(), Some("custom"));
    assert_eq!(
        main.param_default("flexRuntimeVersion").as_deref(),
        Some("")
    );

    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["parameters"]["flexRuntime"]["value"], "${FLEX_RUNTIME=custom}",
        "the azd variable the README and the smoke check's diagnosis name"
    );
    assert_eq!(
        json["parameters"]["flexRuntimeVersion"]["value"],
        "${FLEX_RUNTIME_VERSION=}"
    );

    let versions = main.variable_object("flexRuntimeVersions");
    for stack in stacks {
        let version = versions
            .get(stack)
            .unwrap_or_else(|| panic!("flexRuntimeVersions has no {stack}"));
        let expected = if stack == "custom" { "1.0" } else { "22" };
        assert_eq!(version, expected, "the version Flex offers for {stack}");
    }
    assert_eq!(versions.len(), stacks.len(), "{versions:?}");
    assert_eq!(
        main.module_argument("modules/function-app.bicep", "runtimeName"),
        "flexRuntime"
    );
    assert_eq!(
        main.module_argument("modules/function-app.bicep", "runtimeVersion"),
        "empty(flexRuntimeVersion) ? flexRuntimeVersions[flexRuntime] : flexRuntimeVersion"
    );
}

#[test]
fn mcp_allowed_hosts_is_an_azd_variable_that_becomes_the_app_setting() {
    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["parameters"]["allowedHosts"]["value"], "${MCP_ALLOWED_HOSTS=}",
        "the smoke check's fix for a Host refusal is `azd env set MCP_ALLOWED_HOSTS ...`"
    );
    let main = bicep("main.bicep");
    assert_eq!(
        main.module_argument("modules/function-app.bicep", "allowedHosts"),
        "allowedHosts"
    );
    let app = bicep("modules/function-app.bicep");
    let setting = app
        .properties()
        .into_iter()
        .find(|(key, _)| key == "MCP_ALLOWED_HOSTS")
        .map(|(_, value)| app.text(value).to_owned());
    assert_eq!(setting.as_deref(), Some("allowedHosts"));
}

/// Every azd value `scripts/smoke.sh` (the postdeploy hook) reads is an output of
/// main.bicep, so azd has it after `azd provision`.
#[test]
fn the_smoke_hook_reads_only_values_main_bicep_outputs() {
    let script = fs::read_to_string(repo_root().join("scripts/smoke.sh")).unwrap();
    let read: BTreeSet<String> = script
        .split("$(azd_value ")
        .skip(1)
        .map(|rest| rest.split(')').next().unwrap().to_owned())
        .collect();
    assert!(read.len() >= 6, "{read:?}");
    let outputs = bicep("main.bicep").outputs();
    for name in &read {
        assert!(
            outputs.contains(name),
            "scripts/smoke.sh reads {name}, which main.bicep does not output"
        );
    }
}

/// The per-instance HTTP concurrency comes from one azd variable, `HTTP_CONCURRENCY`, with
/// one default everywhere it is written down (main.bicep, main.parameters.json, the table of
/// choices in docs/deploy.md), within the platform's range, and reaches the site's
/// `scaleAndConcurrency.triggers.http.perInstanceConcurrency`.
#[test]
fn http_concurrency_comes_from_one_azd_variable_with_one_default_in_range() {
    let main = bicep("main.bicep");
    let default = main
        .param_default("httpConcurrency")
        .expect("main.bicep declares httpConcurrency with a literal default");
    let value: u32 = default.parse().unwrap();
    assert!((1..=1000).contains(&value), "default {value}");
    let range = ["minValue(1)".to_owned(), "maxValue(1000)".to_owned()];
    for file in [&main, &bicep("modules/function-app.bicep")] {
        let decorators = file.param_decorators("httpConcurrency");
        for bound in &range {
            assert!(
                decorators.contains(bound),
                "infra/{}: httpConcurrency lacks @{bound}: {decorators:?}",
                file.name
            );
        }
    }

    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["parameters"]["httpConcurrency"]["value"].as_str(),
        Some(format!("${{HTTP_CONCURRENCY={default}}}").as_str()),
        "main.parameters.json must map HTTP_CONCURRENCY, with main.bicep's default"
    );

    // main.bicep hands it to the module, which puts it where Flex reads it.
    let passed = main
        .properties()
        .into_iter()
        .filter(|(key, _)| key == "httpConcurrency")
        .map(|(_, value)| main.text(value).to_owned())
        .collect::<Vec<_>>();
    assert_eq!(passed, ["httpConcurrency"], "main.bicep's module params");
    let app = bicep("modules/function-app.bicep");
    assert_eq!(
        app.object_of("http")
            .get("perInstanceConcurrency")
            .map(String::as_str),
        Some("httpConcurrency")
    );
    let scale = app.object_of("scaleAndConcurrency");
    assert!(
        scale
            .get("triggers")
            .is_some_and(|t| t.contains("perInstanceConcurrency")),
        "perInstanceConcurrency must sit under scaleAndConcurrency.triggers.http: {scale:?}"
    );

    let guide = fs::read_to_string(repo_root().join("docs/deploy.md")).unwrap();
    let row = guide
        .lines()
        .find(|line| line.starts_with("| `HTTP_CONCURRENCY` |"))
        .expect("the table of choices in docs/deploy.md has a row for HTTP_CONCURRENCY");
    assert!(
        row.trim_end().ends_with(&format!("| `{default}` |")),
        "docs/deploy.md's HTTP_CONCURRENCY row must give the default {default}: {row}"
    );
}

/// Every instance seals requestState with one key: from the azd variable when set, else
/// generated once per provision; a secure parameter all the way to the app setting.
#[test]
fn the_request_state_key_reaches_every_instance_as_a_secret() {
    let text = fs::read_to_string(repo_root().join("infra/main.parameters.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["parameters"]["requestStateKey"]["value"],
        "${MCP_REQUEST_STATE_KEY=}"
    );
    let main = bicep("main.bicep");
    for param in ["requestStateKey", "generatedKeyPartA", "generatedKeyPartB"] {
        assert!(
            main.param_decorators(param)
                .contains(&"secure()".to_owned()),
            "main.bicep: {param} must be @secure()"
        );
    }
    for part in ["generatedKeyPartA", "generatedKeyPartB"] {
        let param = main
            .nodes("parameter_declaration")
            .into_iter()
            .find(|p| main.text(p.named_child(0).unwrap()) == part)
            .unwrap();
        assert_eq!(
            main.text(param.named_child(2).unwrap()),
            "newGuid()",
            "{part}"
        );
    }
    assert!(
        main.source.contains(
            "requestStateKey: empty(requestStateKey) ? '${generatedKeyPartA}${generatedKeyPartB}' : requestStateKey"
        ),
        "main.bicep must pass the azd key, or the generated one, to the app"
    );
    let app = bicep("modules/function-app.bicep");
    assert!(
        app.param_decorators("requestStateKey")
            .contains(&"secure()".to_owned())
    );
    let setting = app
        .properties()
        .into_iter()
        .find(|(key, _)| key == "MCP_REQUEST_STATE_KEY")
        .map(|(_, value)| app.text(value).to_owned());
    assert_eq!(setting.as_deref(), Some("requestStateKey"));
    // What newGuid() twice gives is a key the server accepts.
    let generated = "9f1c2b7e-3a4d-4e5f-8a6b-7c8d9e0f1a2b0d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
    let config = rust_mcp_functions::config::Config::from_lookup(|name| {
        (name == "MCP_REQUEST_STATE_KEY").then(|| generated.to_owned())
    })
    .unwrap();
    assert!(matches!(
        config.request_state_key,
        rust_mcp_functions::config::RequestStateKey::Shared(_)
    ));
}
