//! The local directory's own ways: reading one page of a folder, and the lock that
//! makes a write conditional on the version it names.
//!
//! object_store's `LocalFileSystem` has no conditional update (`PutMode::Update` is
//! not implemented) and no conditional delete, and its listing is neither sorted nor
//! limited to one folder. So every change to the directory (save, replace, delete)
//! is made under one lock file, `<dir>/.lock`, held with the operating system's
//! advisory file lock: a conditional change reads the current version and writes
//! while holding it, so no other change of this server (in this process or another
//! on the same directory) lands between the check and the write. Reads take no lock:
//! each write is still a rename of a complete file, so a reader never sees half a
//! snippet.

use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    path::PathBuf,
};

use object_store::{ObjectMeta, ObjectStoreExt, UpdateVersion, local::LocalFileSystem, path::Path};

use super::SnippetName;

/// The lock file, at the top of the directory. Its name is not `<name>.json`, so no
/// listing shows it.
const LOCK_FILE: &str = ".lock";

/// The directory's lock, held until dropped (closing the file releases it).
pub(super) struct Lock {
    _file: File,
}

/// Waits for the directory's lock. Blocking, so on a blocking thread.
pub(super) async fn lock(dir: &std::path::Path) -> object_store::Result<Lock> {
    let path = dir.join(LOCK_FILE);
    let locked = tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(Lock { _file: file })
    })
    .await;
    match locked {
        Ok(Ok(lock)) => Ok(lock),
        Ok(Err(e)) => Err(generic(format!("cannot lock the snippet directory: {e}"))),
        Err(e) => Err(generic(format!("cannot lock the snippet directory: {e}"))),
    }
}

/// With the lock held: whether the object at `path` is still `expected`. A
/// different version is object_store's `Precondition`, a missing one `NotFound`, as
/// Blob Storage answers an `If-Match` that fails.
pub(super) async fn check_version(
    store: &LocalFileSystem,
    path: &Path,
    expected: &UpdateVersion,
) -> object_store::Result<()> {
    let current = store.head(path).await?;
    if expected.e_tag.is_some() && current.e_tag == expected.e_tag {
        return Ok(());
    }
    Err(object_store::Error::Precondition {
        path: path.to_string(),
        source: "the snippet changed since its version was read".into(),
    })
}

/// One page of `folder`'s snippets, in object-name order: those whose names start
/// with `prefix` and whose object names sort after `start_after`, at most `limit + 1`
/// (the extra one tells that more follow). The folder's names are read (a directory
/// has no sorted, resumable listing), but only the page's files are looked at.
pub(super) async fn page(
    store: &LocalFileSystem,
    root: &std::path::Path,
    folder: &Path,
    prefix: &str,
    start_after: &str,
    limit: usize,
) -> object_store::Result<Vec<(SnippetName, ObjectMeta)>> {
    // The folder is the root or a user id, nothing to map (see `Owner::folder`).
    let dir = match folder.as_ref() {
        "" => root.to_path_buf(),
        folder => root.join(folder),
    };
    let names = {
        let (prefix, start_after) = (prefix.to_owned(), start_after.to_owned());
        tokio::task::spawn_blocking(move || first_names(dir, &prefix, &start_after, limit + 1))
            .await
            .map_err(|e| generic(e.to_string()))??
    };
    let mut page = Vec::with_capacity(names.len());
    for name in names.into_values() {
        let path = folder.clone().join(name.object_name());
        match store.head(&path).await {
            Ok(meta) => page.push((name, meta)),
            // Deleted since its name was read, or a folder named like a snippet.
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(page)
}

/// The first `count` snippet names in `dir` (by object name) after `start_after`.
fn first_names(
    dir: PathBuf,
    prefix: &str,
    start_after: &str,
    count: usize,
) -> object_store::Result<BTreeMap<String, SnippetName>> {
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(generic(format!("cannot read {}: {e}", dir.display()))),
    };
    let mut names = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| generic(format!("cannot read {}: {e}", dir.display())))?;
        let Some(object) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if object.as_str() <= start_after {
            continue;
        }
        let Some(name) = SnippetName::from_object_name(&object) else {
            continue;
        };
        if !name.as_str().starts_with(prefix) {
            continue;
        }
        names.insert(object, name);
        if names.len() > count {
            names.pop_last();
        }
    }
    Ok(names)
}

fn generic(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> object_store::Error {
    object_store::Error::Generic {
        store: "LocalFileSystem",
        source: source.into(),
    }
}
