//! Writing into the crate: a file is written when it is missing, left alone when it
//! already says the same, and kept (not overwritten) when it differs, unless forced.
//! Scripts get mode 0755, since azd runs its hooks directly.

use std::{fs, io::ErrorKind, os::unix::fs::PermissionsExt, path::Path};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Wrote,
    Overwrote,
    /// It exists and says the same already.
    Unchanged,
    /// It exists and differs; not forced, so it stays as it is.
    Kept,
}

/// One file and what became of it.
pub struct Written {
    /// Relative to the crate, with `/`.
    pub path: String,
    pub outcome: Outcome,
}

/// Writes `contents` to `dir/path` unless a different file is there and `force` is off.
pub fn write(dir: &Path, path: &str, contents: &str, force: bool) -> Result<Written, String> {
    let target = dir.join(path);
    let outcome = match fs::read_to_string(&target) {
        Ok(existing) if existing == contents => Outcome::Unchanged,
        Ok(_) if !force => Outcome::Kept,
        Ok(_) => Outcome::Overwrote,
        Err(e) if e.kind() == ErrorKind::NotFound => Outcome::Wrote,
        // Not text, or unreadable: never overwritten without --force.
        Err(_) if !force => Outcome::Kept,
        Err(_) => Outcome::Overwrote,
    };
    if matches!(outcome, Outcome::Wrote | Outcome::Overwrote) {
        write_file(&target, contents)?;
    }
    Ok(Written {
        path: path.to_owned(),
        outcome,
    })
}

fn write_file(target: &Path, contents: &str) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(target, contents).map_err(|e| format!("{}: {e}", target.display()))?;
    if target.extension().is_some_and(|e| e == "sh") {
        fs::set_permissions(target, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}

/// Replaces src/main.rs, which the caller found to be `cargo new`'s "Hello, world!".
pub fn replace_hello_world(dir: &Path, starter: &str) -> Result<Written, String> {
    write(dir, "src/main.rs", starter, true).map(|mut written| {
        if written.outcome == Outcome::Overwrote {
            written.outcome = Outcome::Wrote;
        }
        written
    })
}

/// Appends to `dir/.gitignore` each of `lines` it does not ignore yet (`/build`, `build`,
/// `build/` and `/build/` count as the same); returns those appended.
pub fn append_gitignore(
    dir: &Path,
    lines: &'static [&'static str],
) -> Result<Vec<&'static str>, String> {
    let path = dir.join(".gitignore");
    let existing = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let same = |line: &str| line.trim().trim_matches('/').to_owned();
    let present: Vec<String> = existing.lines().map(same).collect();
    let missing: Vec<&'static str> = lines
        .iter()
        .copied()
        .filter(|line| !present.contains(&same(line)))
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for line in &missing {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_differs_is_kept_unless_forced() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        assert_eq!(
            write(dir, "a/b.json", "one", false).unwrap().outcome,
            Outcome::Wrote
        );
        assert_eq!(
            write(dir, "a/b.json", "one", false).unwrap().outcome,
            Outcome::Unchanged
        );
        assert_eq!(
            write(dir, "a/b.json", "two", false).unwrap().outcome,
            Outcome::Kept
        );
        assert_eq!(fs::read_to_string(dir.join("a/b.json")).unwrap(), "one");
        assert_eq!(
            write(dir, "a/b.json", "two", true).unwrap().outcome,
            Outcome::Overwrote
        );
        assert_eq!(fs::read_to_string(dir.join("a/b.json")).unwrap(), "two");
    }

    #[test]
    fn scripts_are_executable() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        write(dir, "scripts/x.sh", "#!/bin/sh\n", false).unwrap();
        let mode = fs::metadata(dir.join("scripts/x.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn gitignore_lines_are_appended_once() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        fs::write(dir.join(".gitignore"), "target/").unwrap();
        let lines: &'static [&'static str] = &["/target", "/build"];
        assert_eq!(append_gitignore(dir, lines).unwrap(), ["/build"]);
        assert_eq!(append_gitignore(dir, lines).unwrap(), Vec::<&str>::new());
        assert_eq!(
            fs::read_to_string(dir.join(".gitignore")).unwrap(),
            "target/\n/build\n"
        );
    }
}
