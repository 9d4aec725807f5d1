//! `infra/`: every `.bicep` file parses (the `tree-sitter-bicep` grammar; the Bicep CLI is
//! not on the package registries), and the files agree with each other, with
//! `main.parameters.json` and with `azure.yaml`, and say what Flex Consumption needs.
//!
//! main.bicep and modules/ are the same for every app (scripts/scaffold.sh writes them as
//! they are); app.bicep and main.parameters.json's `appParameters` are each app's own. The
//! checks in [`generic_checks!`] hold for any app's infra/; those after it are about ours.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use serde_json::Value;
use tree_sitter::{Node, Parser, Tree};

use super::azd_service_name;
use crate::helpers::repo_root;

/// app.bicep, the one file of infra/ that is each app's own.
const APP_BICEP: &str = "app.bicep";

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
    fn load(root: &Path, name: &str) -> Self {
        let mut source = fs::read_to_string(root.join("infra").join(name))
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

    /// `(file, names)` of each `import { name as alias, ... } from 'file'`.
    fn imports(&self) -> Vec<(String, Vec<String>)> {
        self.nodes("import_functionality")
            .into_iter()
            .map(|import| {
                let mut cursor = import.walk();
                let file = import
                    .named_children(&mut cursor)
                    .find(|n| n.kind() == "string")
                    .and_then(|n| self.literal(n))
                    .unwrap();
                let text = self.text(import);
                let list = text.split('{').nth(1).unwrap().split('}').next().unwrap();
                let names = list
                    .split(',')
                    .map(|item| item.split(" as ").next().unwrap().trim().to_owned())
                    .collect();
                (file, names)
            })
            .collect()
    }

    /// The user-defined functions declared `@export()`.
    fn exported_functions(&self) -> BTreeSet<String> {
        self.nodes("user_defined_function")
            .into_iter()
            .filter(|f| {
                f.prev_named_sibling()
                    .is_some_and(|d| d.kind() == "decorators" && self.text(d).contains("@export()"))
            })
            .map(|f| self.text(f.child_by_field_name("name").unwrap()).to_owned())
            .collect()
    }

    /// The source text of what user-defined function `name` returns (after `=>`).
    fn function_body(&self, name: &str) -> String {
        let function = self
            .nodes("user_defined_function")
            .into_iter()
            .find(|f| self.text(f.child_by_field_name("name").unwrap()) == name)
            .unwrap_or_else(|| panic!("infra/{}: no func {name}", self.name));
        let body = function
            .named_child(function.named_child_count() - 1)
            .unwrap();
        self.text(body).to_owned()
    }

    /// The source text of the value of `key` in the object of the first property `key`.
    fn property(&self, key: &str) -> Option<String> {
        self.properties()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| self.text(value).to_owned())
    }
}

fn all_bicep(root: &Path) -> Vec<Bicep> {
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
    find(&root.join("infra"), "", &mut names);
    names.sort();
    assert!(names.len() > 1, "no Bicep modules found: {names:?}");
    names.iter().map(|name| Bicep::load(root, name)).collect()
}

fn bicep(root: &Path, name: &str) -> Bicep {
    Bicep::load(root, name)
}

fn parameters_json(root: &Path) -> Value {
    let text = fs::read_to_string(root.join("infra/main.parameters.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

generic_checks! {
    fn every_bicep_file_parses_without_syntax_errors(root: &Path) {
        let mut errors = Vec::new();
        for file in all_bicep(root) {
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

    fn main_parameters_json_maps_azd_variables_onto_declared_params(root: &Path) {
        let main = bicep(root, "main.bicep");
        let declared = main.params();
        let json = parameters_json(root);
        let parameters = json["parameters"].as_object().unwrap();
        for (name, entry) in parameters {
            assert!(
                declared.contains_key(name),
                "main.parameters.json sets {name}, which main.bicep does not declare"
            );
            // The app's own parameters are an object of azd references.
            let values: Vec<&Value> = match &entry["value"] {
                Value::Object(object) if name == "appParameters" => object.values().collect(),
                value => vec![value],
            };
            for value in values {
                let value = value.as_str().unwrap();
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

    fn every_module_exists_and_gets_exactly_the_params_it_declares(root: &Path) {
        let mut used = BTreeSet::new();
        for file in all_bicep(root) {
            let dir = Path::new(&file.name).parent().unwrap().to_owned();
            for (path, passed) in file.modules() {
                let target_name = dir.join(&path).to_str().unwrap().to_owned();
                assert!(
                    root.join("infra").join(&target_name).is_file(),
                    "infra/{} uses module {path}, which does not exist",
                    file.name
                );
                let target = bicep(root, &target_name).params();
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
            for (path, names) in file.imports() {
                let target_name = dir.join(&path).to_str().unwrap().to_owned();
                let exported = bicep(root, &target_name).exported_functions();
                for name in &names {
                    assert!(
                        exported.contains(name),
                        "infra/{} imports {name} from {path}, which does not export it: {exported:?}",
                        file.name
                    );
                }
                used.insert(target_name);
            }
        }
        for file in all_bicep(root) {
            assert!(
                file.name == "main.bicep" || used.contains(&file.name),
                "infra/{} is not used by any module declaration or import",
                file.name
            );
        }
    }

    /// The app's own part is app.bicep's two functions: main.bicep creates the containers
    /// one returns next to the deployment package's, and hands the settings the other
    /// returns to the function app, whose own settings come after them and win.
    fn the_app_settings_and_containers_come_from_app_bicep(root: &Path) {
        let main = bicep(root, "main.bicep");
        assert_eq!(
            main.imports(),
            [(APP_BICEP.to_owned(), vec!["containers".to_owned(), "settings".to_owned()])]
        );
        assert_eq!(
            main.module_argument("modules/storage.bicep", "containerNames"),
            "concat([deploymentContainerName], appContainers())"
        );
        let passed = main.module_argument("modules/function-app.bicep", "appSettings");
        assert!(passed.starts_with("appSettings({"), "{passed}");
        assert!(passed.ends_with("}, appParameters)"), "{passed}");
        for context in [
            "authMode: authMode",
            "generatedSecret: '${generatedKeyPartA}${generatedKeyPartB}'",
            "graphEndpoint: environment().graph",
            "tokenExchangeAudience: tokenExchangeAudience",
        ] {
            assert!(passed.contains(context), "app.bicep's context lacks {context}: {passed}");
        }
        assert!(
            main.param_decorators("appParameters")
                .contains(&"secure()".to_owned()),
            "main.bicep: appParameters may hold secrets, so it must be @secure()"
        );
        let app = bicep(root, "modules/function-app.bicep");
        assert!(
            app.param_decorators("appSettings")
                .contains(&"secure()".to_owned())
        );
        let union = app
            .source
            .lines()
            .find(|l| l.starts_with("var settings = "))
            .expect("function-app.bicep: var settings");
        assert!(
            union.starts_with("var settings = union(appSettings, baseSettings,"),
            "the app's settings first, so the platform's win: {union}"
        );
        assert!(app.source.contains("for setting in items(settings): {"));
    }

    /// A sovereign-cloud deployment sends its tokens to its own cloud: the Entra ID and
    /// Graph endpoints come from `environment()`, and no public-cloud host is written.
    fn cloud_endpoints_come_from_the_deployment_environment(root: &Path) {
        let app = bicep(root, "modules/function-app.bicep");
        assert_eq!(
            app.property("AZURE_AUTHORITY_HOST").as_deref(),
            Some("environment().authentication.loginEndpoint")
        );
        let main = bicep(root, "main.bicep");
        assert!(
            main.module_argument("modules/function-app.bicep", "appSettings")
                .contains("graphEndpoint: environment().graph")
        );
        for file in all_bicep(root) {
            for host in [
                "login.microsoftonline.com",
                "graph.microsoft.com",
                "management.azure.com",
            ] {
                assert!(
                    !file.source.contains(host),
                    "infra/{} names the public cloud's {host}: use environment()",
                    file.name
                );
            }
        }
    }

    fn the_function_app_is_flex_consumption_on_the_configured_runtime_stack(root: &Path) {
        let app = bicep(root, "modules/function-app.bicep");
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
            vec![azd_service_name(root)],
            "the azd-service-name tag must name azure.yaml's service"
        );
        let main = bicep(root, "main.bicep");
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

    fn app_settings_reach_storage_and_telemetry_by_identity_and_leave_out_what_flex_rejects(root: &Path) {
        let app = bicep(root, "modules/function-app.bicep");
        let setting = |name: &str| {
            app.property(name)
                .unwrap_or_else(|| panic!("no app setting {name}"))
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
        assert!(setting("APPLICATIONINSIGHTS_CONNECTION_STRING").contains("ConnectionString"));
        assert_eq!(
            setting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"),
            "'ClientId=${identityClientId};Authorization=AAD'"
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
        for file in all_bicep(root) {
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

    fn storage_and_monitoring_accept_entra_id_only(root: &Path) {
        let storage = bicep(root, "modules/storage.bicep");
        assert_eq!(storage.values_of("allowSharedKeyAccess"), ["false"]);
        assert_eq!(storage.values_of("allowBlobPublicAccess"), ["false"]);
        assert_eq!(storage.values_of("minimumTlsVersion"), ["TLS1_2"]);
        assert_eq!(
            bicep(root, "modules/monitoring.bicep").values_of("DisableLocalAuth"),
            ["true"]
        );
    }

    /// Each role assignment is the least its holder needs, and says why above it: the app's
    /// identity reads and writes blobs (Storage Blob Data Contributor: the host, the
    /// deployment package, the tools) and publishes metrics; the person running azd reads
    /// blobs. Storage Blob Data Owner (ACLs and ownership) is given to no one.
    fn storage_roles_are_the_least_each_holder_needs_and_say_why(root: &Path) {
        let rbac = bicep(root, "modules/rbac.bicep");
        let assigned: BTreeMap<String, String> = rbac
            .nodes("resource_declaration")
            .into_iter()
            .map(|resource| {
                let name = rbac.text(resource.named_child(0).unwrap()).to_owned();
                let role = rbac
                    .all_nodes()
                    .into_iter()
                    .filter(|n| resource.byte_range().contains(&n.start_byte()))
                    .find(|n| {
                        n.kind() == "object_property"
                            && rbac.text(n.named_child(0).unwrap()) == "roleDefinitionId"
                    })
                    .map(|n| rbac.text(n.named_child(1).unwrap()).to_owned());
                (name, role.unwrap_or_default())
            })
            .filter(|(_, role)| !role.is_empty())
            .collect();
        let role_of = |variable: &str| {
            format!(
                "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', {variable})"
            )
        };
        assert_eq!(
            assigned,
            BTreeMap::from([
                ("appBlobContributor".to_owned(), role_of("storageBlobDataContributor")),
                ("appMetricsPublisher".to_owned(), role_of("monitoringMetricsPublisher")),
                ("userBlobReader".to_owned(), role_of("storageBlobDataReader")),
            ])
        );
        for (variable, id) in [
            ("storageBlobDataContributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
            ("storageBlobDataReader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),
            ("monitoringMetricsPublisher", "3913510d-42f4-4e42-8a64-420c390055eb"),
        ] {
            assert_eq!(rbac.variable(variable).as_deref(), Some(id), "{variable}");
        }
        // Storage Blob Data Owner, nowhere in infra/.
        for file in all_bicep(root) {
            assert!(
                !file.source.contains("b7e6dc6d-f1e8-4753-8033-0f276bb0955b"),
                "infra/{} assigns Storage Blob Data Owner",
                file.name
            );
        }
        // A comment right above each assignment says why its holder needs it.
        let lines: Vec<&str> = rbac.source.lines().collect();
        for name in assigned.keys() {
            let at = lines
                .iter()
                .position(|l| l.starts_with(&format!("resource {name} ")))
                .unwrap();
            assert!(
                at > 0 && lines[at - 1].starts_with("// "),
                "infra/modules/rbac.bicep: no comment above {name} saying why"
            );
        }
    }

    fn built_in_auth_answers_401_and_advertises_protected_resource_metadata(root: &Path) {
        let app = bicep(root, "modules/function-app.bicep");
        assert_eq!(app.values_of("unauthenticatedClientAction"), ["Return401"]);
        assert_eq!(app.values_of("requireAuthentication"), ["true"]);
        let prm = app
            .property("WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES")
            .expect("WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES");
        assert!(prm.ends_with("/user_impersonation'"), "{prm}");
        let entra = bicep(root, "modules/entra.bicep");
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

    /// The token store keeps signed-in users' tokens for /.auth/me and X-MS-TOKEN-*
    /// headers; off, since no code reads them (`the_token_store_has_no_reader`, for ours).
    fn built_in_auth_keeps_no_token_store(root: &Path) {
        let app = bicep(root, "modules/function-app.bicep");
        assert_eq!(
            app.object_of("tokenStore").get("enabled").map(String::as_str),
            Some("false")
        );
    }

    fn main_bicep_outputs_what_azd_and_clients_need(root: &Path) {
        let outputs = bicep(root, "main.bicep").outputs();
        for name in [
            "SERVICE_MCP_NAME",
            "SERVICE_MCP_DEFAULT_HOSTNAME",
            "MCP_URL",
        ] {
            assert!(outputs.contains(name), "main.bicep does not output {name}");
        }
        let service = azd_service_name(root).to_uppercase();
        assert!(outputs.contains(&format!("SERVICE_{service}_NAME")));
    }

    /// The runtime stack is an azd variable: `custom` 1.0 by default, `node` 22 the
    /// fallback (the FC1 runtimes of the Functions stacks API). Each value reaches the app's
    /// `functionAppConfig.runtime` with the version Flex offers for it.
    fn the_runtime_stack_is_custom_by_default_and_node_as_the_fallback(root: &Path) {
        let main = bicep(root, "main.bicep");
        let app = bicep(root, "modules/function-app.bicep");
        let stacks = ["custom", "node"];
        assert_eq!(main.param_allowed("flexRuntime"), stacks);
        assert_eq!(app.param_allowed("runtimeName"), stacks);
        assert_eq!(main.param_default("flexRuntime").as_deref(), Some("custom"));
        assert_eq!(
            main.param_default("flexRuntimeVersion").as_deref(),
            Some("")
        );

        let json = parameters_json(root);
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

    fn mcp_allowed_hosts_is_an_azd_variable_that_becomes_the_app_setting(root: &Path) {
        let json = parameters_json(root);
        assert_eq!(
            json["parameters"]["allowedHosts"]["value"], "${MCP_ALLOWED_HOSTS=}",
            "the smoke check's fix for a Host refusal is `azd env set MCP_ALLOWED_HOSTS ...`"
        );
        let main = bicep(root, "main.bicep");
        assert_eq!(
            main.module_argument("modules/function-app.bicep", "allowedHosts"),
            "allowedHosts"
        );
        let app = bicep(root, "modules/function-app.bicep");
        assert_eq!(app.property("MCP_ALLOWED_HOSTS").as_deref(), Some("allowedHosts"));
    }

    /// Every azd value `scripts/smoke.sh` (the postdeploy hook) reads is an output of
    /// main.bicep, so azd has it after `azd provision`.
    fn the_smoke_hook_reads_only_values_main_bicep_outputs(root: &Path) {
        let script = fs::read_to_string(root.join("scripts/smoke.sh")).unwrap();
        let read: BTreeSet<String> = script
            .split("$(azd_value ")
            .skip(1)
            .map(|rest| rest.split(')').next().unwrap().to_owned())
            .collect();
        assert!(read.len() >= 6, "{read:?}");
        let outputs = bicep(root, "main.bicep").outputs();
        for name in &read {
            assert!(
                outputs.contains(name),
                "scripts/smoke.sh reads {name}, which main.bicep does not output"
            );
        }
    }

    /// The per-instance HTTP concurrency comes from one azd variable, `HTTP_CONCURRENCY`,
    /// with one default in main.bicep and main.parameters.json, within the platform's
    /// range, and reaches the site's `scaleAndConcurrency.triggers.http.perInstanceConcurrency`.
    fn http_concurrency_comes_from_one_azd_variable_with_one_default_in_range(root: &Path) {
        let main = bicep(root, "main.bicep");
        let default = http_concurrency_default(root);
        let value: u32 = default.parse().unwrap();
        assert!((1..=1000).contains(&value), "default {value}");
        let range = ["minValue(1)".to_owned(), "maxValue(1000)".to_owned()];
        for file in [&main, &bicep(root, "modules/function-app.bicep")] {
            let decorators = file.param_decorators("httpConcurrency");
            for bound in &range {
                assert!(
                    decorators.contains(bound),
                    "infra/{}: httpConcurrency lacks @{bound}: {decorators:?}",
                    file.name
                );
            }
        }

        let json = parameters_json(root);
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
        let app = bicep(root, "modules/function-app.bicep");
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
    }
}

fn http_concurrency_default(root: &Path) -> String {
    bicep(root, "main.bicep")
        .param_default("httpConcurrency")
        .expect("main.bicep declares httpConcurrency with a literal default")
}

// ---- ours: this repository's app.bicep and main.parameters.json ------------------

#[test]
fn the_parser_reports_a_broken_file() {
    // Guards the parse check: a file with a syntax error must not pass.
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

/// Our azd variables, in main.parameters.json's `appParameters`, empty by default so
/// app.bicep decides; each becomes the setting our server reads.
#[test]
fn our_azd_variables_become_our_tools_settings() {
    let json = parameters_json(&repo_root());
    assert_eq!(
        json["parameters"]["appParameters"]["value"],
        serde_json::json!({
            "nwsContact": "${NWS_CONTACT=}",
            "requestStateKey": "${MCP_REQUEST_STATE_KEY=}",
            "snippetsScope": "${SNIPPETS_SCOPE=}",
        })
    );
    let app = bicep(&repo_root(), APP_BICEP);
    assert_eq!(
        app.exported_functions(),
        BTreeSet::from(["containers".to_owned(), "settings".to_owned()])
    );
    assert_eq!(
        app.function_body("settings"),
        "union(toolSettings(context, parameters), contactSettings(parameters), tokenExchangeSettings(context))"
    );
    let tools = app.function_body("toolSettings");
    for line in [
        "SNIPPETS_CONTAINER: snippetsContainer()",
        // Private snippets by default exactly when built-in authentication signs users in.
        "SNIPPETS_SCOPE: empty(parameters.snippetsScope) ? (context.authMode == 'entra' ? 'user' : 'shared') : parameters.snippetsScope",
        "MCP_REQUEST_STATE_KEY: empty(parameters.requestStateKey) ? context.generatedSecret : parameters.requestStateKey",
        "GRAPH_API_BASE_URL: context.graphEndpoint",
    ] {
        assert!(
            tools.contains(line),
            "app.bicep's toolSettings lacks {line}: {tools}"
        );
    }
    assert_eq!(
        app.function_body("contactSettings"),
        "empty(parameters.nwsContact) ? {} : { NWS_CONTACT: parameters.nwsContact }"
    );
    assert_eq!(
        app.function_body("tokenExchangeSettings"),
        "context.authMode == 'entra' && !empty(context.tokenExchangeAudience) ? { TOKEN_EXCHANGE_AUDIENCE: context.tokenExchangeAudience } : {}"
    );
    // The snippet tools' container is created, under the name the setting gives them.
    assert_eq!(app.function_body("snippetsContainer"), "'snippets'");
    assert!(
        app.function_body("containers")
            .contains("snippetsContainer()"),
        "app.bicep creates the snippets container"
    );

    // Every value the Bicep can give is one the server accepts: both scopes, the
    // generated key (what newGuid() twice gives), and the public cloud's endpoints.
    let generated = "9f1c2b7e-3a4d-4e5f-8a6b-7c8d9e0f1a2b0d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
    for (name, value) in [
        ("SNIPPETS_SCOPE", "shared"),
        ("SNIPPETS_SCOPE", "user"),
        ("MCP_REQUEST_STATE_KEY", generated),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/"),
        ("GRAPH_API_BASE_URL", "https://graph.microsoft.com/"),
    ] {
        rust_mcp_functions::config::Config::from_lookup(|n| (n == name).then(|| value.to_owned()))
            .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
    }
    let config = rust_mcp_functions::config::Config::from_lookup(|name| {
        (name == "MCP_REQUEST_STATE_KEY").then(|| generated.to_owned())
    })
    .unwrap();
    assert!(matches!(
        config.request_state_key,
        rust_mcp_functions::config::RequestStateKey::Shared(_)
    ));
}

/// The two cloud endpoints the Bicep sets are the names our server reads: a bad value
/// of either fails start-up, naming it.
#[test]
fn the_cloud_endpoint_settings_are_the_names_the_server_reads() {
    for name in ["AZURE_AUTHORITY_HOST", "GRAPH_API_BASE_URL"] {
        let error = rust_mcp_functions::config::Config::from_lookup(|n| {
            (n == name).then(|| "ftp://not-a-cloud".to_owned())
        })
        .err()
        .unwrap_or_else(|| panic!("{name} is not read by the server's config"));
        assert!(error.to_string().contains(name), "{error}");
    }
}

/// The federated credential trusts the audience the server asks its token for, and the
/// settings the on-behalf-of exchange needs reach the app.
#[test]
fn identity_settings_reach_the_app_and_follow_the_auth_mode() {
    let root = repo_root();
    let json = parameters_json(&root);
    assert_eq!(
        json["parameters"]["tokenExchangeAudience"]["value"],
        "${TOKEN_EXCHANGE_AUDIENCE=}"
    );
    let app = bicep(&root, "modules/function-app.bicep");
    let setting = |name: &str| {
        app.property(name)
            .unwrap_or_else(|| panic!("no app setting {name}"))
    };
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
    let entra = bicep(&root, "modules/entra.bicep");
    let audiences = entra.property("audiences").expect("audiences");
    assert!(
        audiences.contains(&format!(
            "empty(tokenExchangeAudience) ? '{}' : tokenExchangeAudience",
            rust_mcp_functions::config::DEFAULT_TOKEN_EXCHANGE_AUDIENCE
        )),
        "{audiences}"
    );
}

/// Every instance seals requestState with one key: from the azd variable when set, else
/// generated once per provision; secure all the way to the app setting.
#[test]
fn the_request_state_key_reaches_every_instance_as_a_secret() {
    let main = bicep(&repo_root(), "main.bicep");
    for param in ["appParameters", "generatedKeyPartA", "generatedKeyPartB"] {
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
}

/// The token store is off (a generic check); it stays so while nothing of ours reads it:
/// the X-MS-TOKEN-* headers and /.auth/me are where its tokens would surface.
#[test]
fn the_token_store_has_no_reader() {
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(&repo_root().join("src"), &mut files);
    sources(&repo_root().join("crates"), &mut files);
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        let text = fs::read_to_string(&file).unwrap().to_ascii_lowercase();
        for reader in ["x-ms-token-", "/.auth/me"] {
            assert!(
                !text.contains(reader),
                "{} reads {reader}: turn the token store on in infra/modules/function-app.bicep",
                file.display()
            );
        }
    }
}

/// The table of choices in docs/deploy.md gives main.bicep's HTTP_CONCURRENCY default.
#[test]
fn the_deploy_guide_gives_the_http_concurrency_default() {
    let default = http_concurrency_default(&repo_root());
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
