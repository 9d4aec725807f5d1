//! The crate being scaffolded, as `cargo metadata` describes it: its directory, package
//! name, the binary to deploy, and where cargo puts its debug build.

use std::{
    path::{Component, Path, PathBuf},
    process::Command,
};

use serde_json::Value;

/// What `cargo new` writes as src/main.rs: a crate with it has no server yet.
const HELLO_WORLD: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";

pub struct Crate {
    /// The crate's directory (canonical): where its Cargo.toml is.
    pub dir: PathBuf,
    pub package: String,
    /// The binary the Functions host starts: host.json's defaultExecutablePath.
    pub bin: String,
    /// The debug build of `bin`, relative to `dir`, with `/`: what `func start` runs.
    pub debug_binary: String,
}

impl Crate {
    /// Reads the crate at `path` with `cargo metadata` (no dependencies resolved, so
    /// nothing is downloaded). `bin` chooses among several binaries.
    pub fn inspect(path: &Path, bin: Option<&str>) -> Result<Self, String> {
        let dir = path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            return Err(format!(
                "{} has no Cargo.toml: give the directory of a crate (cargo new {} makes one)",
                dir.display(),
                path.display()
            ));
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .arg(&manifest)
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo metadata failed for {}:\n{}",
                manifest.display(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
        Self::from_metadata(dir, &metadata, bin)
    }

    fn from_metadata(dir: PathBuf, metadata: &Value, bin: Option<&str>) -> Result<Self, String> {
        let manifest = dir.join("Cargo.toml");
        let package = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
            .ok_or_else(|| {
                format!(
                    "{} is not a package (a workspace root without one?)",
                    manifest.display()
                )
            })?;
        let name = package["name"].as_str().unwrap_or_default().to_owned();
        let bins: Vec<&str> = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str())
            .collect();
        let bin = choose_binary(&bins, bin, package["default_run"].as_str())?;
        let target_dir = metadata["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .ok_or("cargo metadata names no target_directory")?;
        let debug_binary = format!("{}/debug/{bin}", relative(&target_dir, &dir));
        Ok(Self {
            dir,
            package: name,
            bin,
            debug_binary,
        })
    }

    /// Whether src/main.rs is the crate's own: neither what `cargo new` wrote nor the
    /// `starter` an earlier run wrote in its place.
    pub fn has_own_main(&self, starter: &str) -> Result<bool, String> {
        let main = self.dir.join("src/main.rs");
        match std::fs::read_to_string(&main) {
            Ok(text) => Ok(text != HELLO_WORLD && text != starter),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
            Err(e) => Err(format!("{}: {e}", main.display())),
        }
    }
}

/// The binary to deploy: the one asked for, else the package's default-run, else its only one.
fn choose_binary(
    bins: &[&str],
    asked: Option<&str>,
    default_run: Option<&str>,
) -> Result<String, String> {
    if let Some(asked) = asked {
        return if bins.contains(&asked) {
            Ok(asked.to_owned())
        } else {
            Err(format!(
                "the crate has no binary {asked}; it has: {}",
                bins.join(", ")
            ))
        };
    }
    match (default_run, bins) {
        (Some(default), _) => Ok(default.to_owned()),
        (None, [only]) => Ok((*only).to_owned()),
        (None, []) => Err(
            "the crate has no binary: the Functions host starts one (add src/main.rs)".to_owned(),
        ),
        (None, several) => Err(format!(
            "the crate has several binaries ({}): choose one with --bin NAME",
            several.join(", ")
        )),
    }
}

/// `path` relative to `base` (both absolute), with `/`; `..` where it lies outside.
fn relative(path: &Path, base: &Path) -> String {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_owned(), base.len() - common);
    let downs = path[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let parts: Vec<String> = ups.chain(downs).collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn metadata(targets: Value, default_run: Value, target_directory: &str) -> Value {
        json!({
            "packages": [{
                "name": "my-server",
                "manifest_path": "/work/my-server/Cargo.toml",
                "targets": targets,
                "default_run": default_run,
            }],
            "target_directory": target_directory,
        })
    }

    fn bin(name: &str) -> Value {
        json!({"kind": ["bin"], "name": name})
    }

    #[test]
    fn a_fresh_crate_deploys_its_one_binary_from_its_own_target_directory() {
        let meta = metadata(
            json!([bin("my-server")]),
            Value::Null,
            "/work/my-server/target",
        );
        let krate = Crate::from_metadata("/work/my-server".into(), &meta, None).unwrap();
        assert_eq!(krate.package, "my-server");
        assert_eq!(krate.bin, "my-server");
        assert_eq!(krate.debug_binary, "target/debug/my-server");
    }

    #[test]
    fn a_workspace_member_finds_the_debug_build_in_the_workspace_target() {
        let meta = metadata(json!([bin("my-server")]), Value::Null, "/work/target");
        let krate = Crate::from_metadata("/work/my-server".into(), &meta, None).unwrap();
        assert_eq!(krate.debug_binary, "../target/debug/my-server");
    }

    #[test]
    fn the_binary_is_the_one_asked_for_else_default_run_else_the_only_one() {
        let lib = json!({"kind": ["lib"], "name": "my_server"});
        let meta = metadata(json!([lib, bin("a"), bin("b")]), json!("b"), "/t");
        let dir = PathBuf::from("/work/my-server");
        assert_eq!(
            Crate::from_metadata(dir.clone(), &meta, None).unwrap().bin,
            "b"
        );
        assert_eq!(
            Crate::from_metadata(dir.clone(), &meta, Some("a"))
                .unwrap()
                .bin,
            "a"
        );
        let error = Crate::from_metadata(dir.clone(), &meta, Some("c"))
            .err()
            .unwrap();
        assert!(error.contains("no binary c; it has: a, b"), "{error}");

        let several = metadata(json!([bin("a"), bin("b")]), Value::Null, "/t");
        let error = Crate::from_metadata(dir.clone(), &several, None)
            .err()
            .unwrap();
        assert!(error.contains("--bin NAME"), "{error}");
        let none = metadata(json!([]), Value::Null, "/t");
        let error = Crate::from_metadata(dir, &none, None).err().unwrap();
        assert!(error.contains("no binary"), "{error}");
    }

    #[test]
    fn relative_paths_climb_out_with_dot_dot() {
        assert_eq!(relative(Path::new("/a/b/c"), Path::new("/a/b")), "c");
        assert_eq!(relative(Path::new("/a/x"), Path::new("/a/b/c")), "../../x");
        assert_eq!(relative(Path::new("/a"), Path::new("/a")), ".");
    }
}
