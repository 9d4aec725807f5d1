//! `scripts/scaffold.sh PATH [--force]`: makes the rmcp crate at PATH deployable to Azure
//! Functions (Flex Consumption) the way this repository deploys its own server.
//!
//! It adds the hosting crate, rmcp-functions, as a dependency (a path to this checkout),
//! and writes the deployment files: host.json, local.settings.json, azure.yaml (with the
//! postdeploy smoke check), infra/, scripts/package.sh, scripts/smoke.sh, .vscode/ and
//! .gitignore lines. The files are this repository's own, embedded when the scaffold is
//! built, with what names our server swapped for the crate's: there is one copy of each.
//! On a crate fresh from `cargo new` it also writes a starter server as src/main.rs; on a
//! crate with a `main` of its own it prints the lines to put there.
//!
//! It never overwrites a file that differs from what it would write, unless `--force`
//! says so, and never a `main` of the crate's own; it lists what it wrote.

mod files;
mod manifest;
mod target;
mod templates;

use std::{path::PathBuf, process::ExitCode};

use self::{
    files::{Outcome, Written},
    target::Crate,
};

const USAGE: &str = "usage: scripts/scaffold.sh PATH [--force] [--bin NAME]

Makes the rmcp crate at PATH deployable to Azure Functions with rmcp-functions: adds the
dependency, writes host.json, local.settings.json, azure.yaml, infra/, scripts/package.sh,
scripts/smoke.sh, .vscode/ and .gitignore lines, and on a crate fresh from `cargo new` a
starter server. Files that exist and differ are kept unless --force is given.

  --force       overwrite deployment files that exist and differ (never src/main.rs)
  --bin NAME    the binary to deploy, when the crate has several and no default-run";

/// What the command line asks for.
struct Args {
    path: PathBuf,
    force: bool,
    bin: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut path, mut force, mut bin) = (None, false, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--force" => force = true,
            "--bin" => bin = Some(args.next().ok_or("--bin needs a binary name")?),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            _ if path.is_some() => return Err(format!("one PATH only, and {arg} is a second")),
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let path = path.ok_or("PATH is missing: the directory of the crate to make deployable")?;
    Ok(Args { path, force, bin })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("scaffold: error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match scaffold(&args) {
        Ok(report) => report.print_and_exit_code(),
        Err(message) => {
            eprintln!("scaffold: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Everything the scaffold did to one crate.
struct Report {
    /// docs/host-your-own.md of the checkout, for the next steps.
    guide: PathBuf,
    krate: Crate,
    written: Vec<Written>,
    manifest: manifest::Added,
    gitignore: Vec<&'static str>,
    /// Whether src/main.rs is the crate's own (then the lines to add are printed).
    own_main: bool,
}

fn scaffold(args: &Args) -> Result<Report, String> {
    let krate = Crate::inspect(&args.path, args.bin.as_deref())?;
    let checkout = templates::Checkout::locate()?;
    let own_main = krate.has_own_main(templates::STARTER)?;
    let mut written = Vec::new();
    for (path, contents) in templates::deployment_files(&krate, &checkout)? {
        written.push(files::write(&krate.dir, &path, &contents, args.force)?);
    }
    if !own_main {
        // cargo new's "Hello, world!" becomes the starter server.
        written.push(files::replace_hello_world(&krate.dir, templates::STARTER)?);
    }
    let manifest = manifest::add_dependencies(&krate.dir.join("Cargo.toml"), &checkout, !own_main)?;
    let gitignore = files::append_gitignore(&krate.dir, templates::GITIGNORE_LINES)?;
    Ok(Report {
        guide: checkout.root.join("docs/host-your-own.md"),
        krate,
        written,
        manifest,
        gitignore,
        own_main,
    })
}

impl Report {
    fn print_and_exit_code(&self) -> ExitCode {
        println!(
            "scaffold: {} (package {}, binary {})",
            self.krate.dir.display(),
            self.krate.package,
            self.krate.bin
        );
        for file in &self.written {
            match file.outcome {
                Outcome::Wrote => println!("  wrote       {}", file.path),
                Outcome::Overwrote => println!("  overwrote   {}", file.path),
                Outcome::Unchanged => {}
                Outcome::Kept => println!(
                    "  kept        {}: it exists and differs from the scaffold's (--force overwrites it)",
                    file.path
                ),
            }
        }
        if !self.manifest.is_empty() {
            println!("  added to    Cargo.toml: {}", self.manifest.join(", "));
        }
        if !self.gitignore.is_empty() {
            println!("  appended to .gitignore: {}", self.gitignore.join(" "));
        }
        let wrote_nothing = self
            .written
            .iter()
            .all(|f| matches!(f.outcome, Outcome::Unchanged | Outcome::Kept))
            && self.manifest.is_empty()
            && self.gitignore.is_empty();
        let kept = self
            .written
            .iter()
            .filter(|f| f.outcome == Outcome::Kept)
            .count();
        if wrote_nothing && kept == 0 {
            println!("  nothing to write: the crate is scaffolded already");
        } else if wrote_nothing {
            println!("  nothing written");
        }
        if self.own_main {
            println!(
                "\nsrc/main.rs is the crate's own and stays as it is. Serve your server through the hosting crate with this main (MyServer: your ServerHandler, which must be Clone):\n\n{}",
                templates::MAIN_LINES
            );
        }
        if kept > 0 {
            println!(
                "\n{kept} file(s) kept as they are: compare them with the scaffold's, or run again with --force."
            );
            return ExitCode::FAILURE;
        }
        println!(
            "\nNext: cargo run (it serves http://localhost:7071/mcp), then azd up ({}).",
            self.guide.display()
        );
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Result<Args, String> {
        parse_args(words.iter().map(|w| (*w).to_owned()))
    }

    #[test]
    fn the_command_line_takes_a_path_force_and_a_binary() {
        let parsed = args(&["../my-server", "--force", "--bin", "server"]).unwrap();
        assert_eq!(parsed.path, PathBuf::from("../my-server"));
        assert!(parsed.force);
        assert_eq!(parsed.bin.as_deref(), Some("server"));
        assert!(!args(&["x"]).unwrap().force);
    }

    #[test]
    fn a_bad_command_line_says_what_is_wrong() {
        assert!(args(&[]).err().unwrap().contains("PATH is missing"));
        assert!(args(&["a", "b"]).err().unwrap().contains("one PATH only"));
        assert!(args(&["a", "--bin"]).err().unwrap().contains("--bin needs"));
        assert!(args(&["a", "--frce"]).err().unwrap().contains("--frce"));
        assert_eq!(args(&["--help"]).err().as_deref(), Some(""));
    }
}
