//! The storage backends behind one `ObjectStore` trait, built lazily on first use so
//! start-up never waits for, or fails on, storage. What the trait does not offer
//! alike on both (a listing page, conditional writes) is done here per backend.

use std::{path::PathBuf, sync::Arc};

use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    azure::MicrosoftAzure, local::LocalFileSystem, path::Path,
};
use tokio::sync::OnceCell;

use super::{SnippetError, SnippetName, azure, local};
use crate::config::{AzureStorage, StorageConfig};

pub(super) enum Backend {
    Local {
        dir: PathBuf,
        store: OnceCell<Arc<LocalFileSystem>>,
    },
    Azure {
        config: AzureStorage,
        store: OnceCell<Arc<MicrosoftAzure>>,
    },
    Missing(String),
}

/// The store, built.
enum Built<'a> {
    Local(Arc<LocalFileSystem>, &'a std::path::Path),
    Azure(Arc<MicrosoftAzure>, &'a AzureStorage),
}

impl Backend {
    pub(super) fn new(config: StorageConfig) -> Self {
        match config {
            StorageConfig::Local { dir } => Self::Local {
                dir,
                store: OnceCell::new(),
            },
            StorageConfig::Azure(config) => Self::Azure {
                config,
                store: OnceCell::new(),
            },
            StorageConfig::Missing { reason } => Self::Missing(reason),
        }
    }

    /// Names the backend in the log line of a storage failure, never to the caller
    /// (see [`SnippetError::Storage`]).
    pub(super) fn label(&self) -> String {
        match self {
            Self::Local { dir, .. } => format!("the local snippet directory {}", dir.display()),
            Self::Azure { config, .. } => format!(
                "Azure Blob Storage {} (container {:?})",
                config.endpoint, config.container
            ),
            Self::Missing(_) => "snippet storage".to_owned(),
        }
    }

    /// The store, built on first use. A failure is not cached: the next call tries again.
    pub(super) async fn store(&self) -> Result<Arc<dyn ObjectStore>, SnippetError> {
        Ok(match self.built().await? {
            Built::Local(store, _) => store as Arc<dyn ObjectStore>,
            Built::Azure(store, _) => store as Arc<dyn ObjectStore>,
        })
    }

    async fn built(&self) -> Result<Built<'_>, SnippetError> {
        let storage = |source| SnippetError::Storage {
            backend: self.label(),
            source,
        };
        match self {
            Self::Local { dir, store } => {
                let store = store
                    .get_or_try_init(|| async {
                        // Created here, not at start-up: `cargo run` leaves no empty
                        // folder behind unless snippets are used.
                        // The io::Error itself, so the caller's text can name its
                        // kind; the directory is in the log line ([`Self::label`]).
                        tokio::fs::create_dir_all(dir).await.map_err(|e| {
                            object_store::Error::Generic {
                                store: "LocalFileSystem",
                                source: Box::new(e),
                            }
                        })?;
                        // fsync: a save that returned is on disk. Snippets are small.
                        LocalFileSystem::new_with_prefix(dir)
                            .map(|fs| Arc::new(fs.with_fsync(true)))
                    })
                    .await
                    .map_err(storage)?;
                Ok(Built::Local(Arc::clone(store), dir))
            }
            Self::Azure { config, store } => {
                let store = store
                    .get_or_try_init(|| async { azure::build(config).map(Arc::new) })
                    .await
                    .map_err(storage)?;
                Ok(Built::Azure(Arc::clone(store), config))
            }
            Self::Missing(reason) => Err(SnippetError::NotConfigured(reason.clone())),
        }
    }

    /// Writes one object. `PutMode::Update` writes only over that version (on Azure
    /// `If-Match`; locally under the directory's lock), answering `Precondition` (or
    /// `NotFound` if it is gone) otherwise. On Azure, a missing container (a put
    /// answers 404 only then) is created and the write retried once, so a fresh
    /// Azurite or account works without set-up, and start-up never has to reach
    /// storage.
    pub(super) async fn put(
        &self,
        path: &Path,
        payload: PutPayload,
        mode: PutMode,
    ) -> Result<(), BackendError> {
        match self.built().await? {
            Built::Local(store, dir) => {
                let _lock = local::lock(dir).await?;
                if let PutMode::Update(version) = &mode {
                    local::check_version(&store, path, version).await?;
                }
                let mode = match mode {
                    PutMode::Update(_) => PutMode::Overwrite,
                    mode => mode,
                };
                store.put_opts(path, payload, mode.into()).await?;
                Ok(())
            }
            Built::Azure(store, config) => {
                let put = || store.put_opts(path, payload.clone(), PutOptions::from(mode.clone()));
                let result = match put().await {
                    // Not for an update: its 404 may be the blob's.
                    Err(object_store::Error::NotFound { .. })
                        if !matches!(mode, PutMode::Update(_)) =>
                    {
                        azure::create_container(&store, config).await?;
                        put().await
                    }
                    result => result,
                };
                result.map(drop).map_err(BackendError::Store)
            }
        }
    }

    /// Deletes one object; with `version`, only that version of it (on Azure
    /// `If-Match`; locally under the directory's lock), answering `Precondition`
    /// otherwise. A missing object is `NotFound`.
    pub(super) async fn delete(
        &self,
        path: &Path,
        version: Option<&str>,
    ) -> Result<(), BackendError> {
        match self.built().await? {
            Built::Local(store, dir) => {
                let _lock = local::lock(dir).await?;
                if let Some(version) = version {
                    let version = object_store::UpdateVersion {
                        e_tag: Some(version.to_owned()),
                        version: None,
                    };
                    local::check_version(&store, path, &version).await?;
                }
                Ok(store.delete(path).await?)
            }
            Built::Azure(store, config) => match version {
                Some(version) => Ok(azure::delete_if_match(&store, config, path, version).await?),
                None => Ok(store.delete(path).await?),
            },
        }
    }

    /// One page of `folder`'s snippets, in the order Blob Storage lists them (by
    /// object name, `<name>.json`): those whose names start with `prefix` and whose
    /// object names sort after `start_after`, at most `limit + 1` (the extra one
    /// tells that more follow). Only a page is read from storage, not the folder.
    pub(super) async fn page(
        &self,
        folder: &Path,
        prefix: &str,
        start_after: &str,
        limit: usize,
    ) -> Result<Vec<(SnippetName, ObjectMeta)>, BackendError> {
        Ok(match self.built().await? {
            Built::Local(store, dir) => {
                local::page(&store, dir, folder, prefix, start_after, limit).await?
            }
            Built::Azure(store, _) => {
                azure::page(&store, folder, prefix, start_after, limit).await?
            }
        })
    }
}

/// A failed call: either our own error (not configured) or the store's, which the
/// caller maps (e.g. `AlreadyExists` for a create-only save).
pub(super) enum BackendError {
    Snippet(SnippetError),
    Store(object_store::Error),
}

impl From<object_store::Error> for BackendError {
    fn from(e: object_store::Error) -> Self {
        Self::Store(e)
    }
}

impl From<SnippetError> for BackendError {
    fn from(e: SnippetError) -> Self {
        Self::Snippet(e)
    }
}
