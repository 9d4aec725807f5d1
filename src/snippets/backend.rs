//! The storage backends behind one `ObjectStore` trait, built lazily on first use so
//! start-up never waits for, or fails on, storage.

use std::{path::PathBuf, sync::Arc};

use object_store::{
    ObjectStore, PutMode, PutOptions, PutPayload, azure::MicrosoftAzure, local::LocalFileSystem,
    path::Path,
};
use tokio::sync::OnceCell;

use super::{SnippetError, azure};
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
                Ok(Arc::clone(store) as Arc<dyn ObjectStore>)
            }
            Self::Azure { config, store } => {
                let store = store
                    .get_or_try_init(|| async { azure::build(config).map(Arc::new) })
                    .await
                    .map_err(storage)?;
                Ok(Arc::clone(store) as Arc<dyn ObjectStore>)
            }
            Self::Missing(reason) => Err(SnippetError::NotConfigured(reason.clone())),
        }
    }

    /// Writes one object. On Azure, a missing container (a put answers 404 only
    /// then) is created and the write retried once, so a fresh Azurite or account
    /// works without set-up, and start-up never has to reach storage.
    pub(super) async fn put(
        &self,
        path: &Path,
        payload: PutPayload,
        mode: PutMode,
    ) -> Result<(), PutError> {
        let store = self.store().await.map_err(PutError::Snippet)?;
        let put = || store.put_opts(path, payload.clone(), PutOptions::from(mode.clone()));
        let result = put().await;
        if let (
            Err(object_store::Error::NotFound { .. }),
            Self::Azure {
                config,
                store: cell,
            },
        ) = (&result, self)
            && let Some(azure) = cell.get()
        {
            azure::create_container(azure, config).await?;
            return put().await.map(drop).map_err(PutError::Store);
        }
        result.map(drop).map_err(PutError::Store)
    }
}

/// A failed write: either our own error (not configured) or the store's, which the
/// caller maps (e.g. `AlreadyExists` for a create-only save).
pub(super) enum PutError {
    Snippet(SnippetError),
    Store(object_store::Error),
}

impl From<object_store::Error> for PutError {
    fn from(e: object_store::Error) -> Self {
        Self::Store(e)
    }
}
