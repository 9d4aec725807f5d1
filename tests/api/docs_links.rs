//! Every relative link in the documentation resolves: README.md, docs/*.md, each crate's
//! README.md and the Markdown under bench/ link to files that exist, and a `#anchor`
//! to a heading that exists in its file, by GitHub's rules for heading anchors. Docs
//! move between files; a link left behind fails here, not on a reader.

use std::{
    collections::HashSet,
    fs,
    path::{Component, Path, PathBuf},
};

use crate::helpers::repo_root;

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let root = repo_root();
    let files = documentation_files(&root);
    for expected in [
        "README.md",
        "docs/deploy.md",
        "crates/rmcp-functions/README.md",
    ] {
        assert!(
            files.iter().any(|f| f == &root.join(expected)),
            "{expected} is not among the files checked: {files:?}"
        );
    }

    let mut checked = 0;
    let mut broken = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for link in links(&text) {
            checked += 1;
            if let Err(why) = resolve(&root, file, &link) {
                let name = file.strip_prefix(&root).unwrap_or(file).display();
                broken.push(format!("{name}: ({link}): {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 50,
        "only {checked} links found: is the parser blind?"
    );
}

/// A link to a missing file, to a missing heading, or to a file outside the repository
/// is reported.
#[test]
fn a_broken_link_is_reported() {
    let root = repo_root();
    let readme = root.join("README.md");
    assert!(resolve(&root, &readme, "docs/deploy.md").is_ok());
    assert!(resolve(&root, &readme, "docs/deploy.md#after-azd-up").is_ok());
    assert!(resolve(&root, &readme, "#tests").is_ok());
    assert!(resolve(&root, &readme, "tests/fixtures/").is_ok());
    for broken in [
        "docs/no-such-page.md",
        "docs/deploy.md#no-such-heading",
        "#no-such-heading",
        "../outside.md",
    ] {
        assert!(
            resolve(&root, &readme, broken).is_err(),
            "{broken} should not resolve"
        );
    }
}

#[test]
fn links_are_found_outside_code_only() {
    let text = "See [a](a.md) and ![b](img/b.png \"title\").\n\
                `[not](code.md)` and <https://example.com>.\n\
                ```sh\n[not](fenced.md)\n```\n\
                [ref]: ref.md\n\
                [web](https://example.com/x.md), [mail](mailto:a@example.com)\n";
    assert_eq!(links(text), ["a.md", "img/b.png", "ref.md"]);
}

/// GitHub's anchors: the heading's text, lowercased, without punctuation but `-` and
/// `_`, spaces made hyphens; a repeated heading gets `-1`, `-2`, ...
#[test]
fn anchors_follow_github() {
    let text = "# Deploy\n## After `azd up`\n## Built-in authentication (the default)\n\
                ## The tool list, serialized once\n## Tests\n## Tests\n\
                ```sh\n# not a heading\n```\n## [Linked](x.md) `get_hourly_forecast`\n";
    let found = anchors(text);
    for anchor in [
        "deploy",
        "after-azd-up",
        "built-in-authentication-the-default",
        "the-tool-list-serialized-once",
        "tests",
        "tests-1",
        "linked-get_hourly_forecast",
    ] {
        assert!(found.contains(anchor), "{anchor} missing from {found:?}");
    }
    assert!(!found.contains("not-a-heading"));
}

/// README.md, docs/**/*.md, crates/*/README.md and bench/**/*.md.
fn documentation_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    markdown_under(&root.join("docs"), &mut files);
    markdown_under(&root.join("bench"), &mut files);
    if let Ok(crates) = fs::read_dir(root.join("crates")) {
        for entry in crates {
            let readme = entry.unwrap().path().join("README.md");
            if readme.is_file() {
                files.push(readme);
            }
        }
    }
    files.sort();
    files
}

fn markdown_under(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            // Installed packages are not ours to check.
            if name != "node_modules" {
                markdown_under(&path, files);
            }
        } else if name.ends_with(".md") {
            files.push(path);
        }
    }
}

/// Checks one link written in `from`: a path relative to that file (or an anchor alone),
/// which must stay inside the repository and exist, and whose anchor, if any, must name
/// a heading of the Markdown file it points to.
fn resolve(root: &Path, from: &Path, link: &str) -> Result<(), String> {
    let (path, anchor) = match link.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (link, None),
    };
    let target = if path.is_empty() {
        from.to_path_buf()
    } else {
        let dir = from.parent().ok_or("no parent directory")?;
        normalize(&dir.join(path)).ok_or("leaves the repository")?
    };
    if !target.starts_with(root) {
        return Err("leaves the repository".into());
    }
    if !target.exists() {
        return Err("no such file".into());
    }
    if let Some(anchor) = anchor {
        let text = fs::read_to_string(&target).map_err(|e| format!("cannot read: {e}"))?;
        if !anchors(&text).contains(anchor) {
            return Err(format!("no heading with the anchor #{anchor}"));
        }
    }
    Ok(())
}

/// `a/b/../c` as `a/c`, without touching the file system; `None` above the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// The relative targets of the inline links and images (`[text](target)`) and link
/// definitions (`[label]: target`) of a Markdown text, outside code. Links with a
/// scheme (`https:`, `mailto:`) are left out.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose_lines(text) {
        let line = without_code_spans(line);
        if let Some(target) = definition(&line) {
            found.push(target);
            continue;
        }
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            found.push(target.trim_matches(['<', '>']).to_owned());
            rest = &after[end..];
        }
    }
    found.retain(|target| !target.is_empty() && !has_scheme(target));
    found
}

/// `[label]: target` at the start of a line.
fn definition(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix('[')?;
    let (_, after) = rest.split_once("]:")?;
    Some(after.split_whitespace().next()?.to_owned())
}

fn has_scheme(target: &str) -> bool {
    target.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    })
}

/// The anchors GitHub gives the ATX headings (`#` to `######`) of a Markdown text.
fn anchors(text: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug = slug(line[hashes..].trim().trim_end_matches('#').trim());
        let mut anchor = slug.clone();
        let mut n = 0;
        while found.contains(&anchor) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        found.insert(anchor);
    }
    found
}

/// A heading's anchor: its text as rendered (a link's text, not its target), lowercased,
/// every character but letters, digits, spaces, `-` and `_` dropped, spaces made `-`.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    while let Some(at) = rest.find("](") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        rest = after.find(')').map_or("", |end| &after[end + 1..]);
    }
    text.push_str(rest);
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push(line),
            _ => {}
        }
    }
    lines
}

/// A line with its code spans (`` `…` ``, ``` ``…`` ```) removed.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let delimiter = "`".repeat(ticks);
        let inner = &rest[start + ticks..];
        match inner.find(&delimiter) {
            Some(end) => rest = &inner[end + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}
