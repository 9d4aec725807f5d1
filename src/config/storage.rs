//! Where snippets are stored, chosen from the same settings the Functions host uses.

use std::path::PathBuf;

use super::ConfigError;

/// The snippet storage backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A local directory: the embedded default, so `cargo run` needs no Azure.
    Local { dir: PathBuf },
}

impl StorageConfig {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let dir = get("SNIPPETS_DIR").map_or_else(|| PathBuf::from(".snippets"), PathBuf::from);
        Ok(Self::Local { dir })
    }
}
