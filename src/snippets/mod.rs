//! Snippet domain: named pieces of text kept in Blob Storage or a local directory.

use crate::config::StorageConfig;

/// The snippet store shared by all requests.
#[derive(Debug)]
pub struct Snippets {
    #[allow(dead_code)]
    config: StorageConfig,
}

impl Snippets {
    pub fn new(config: StorageConfig) -> Self {
        Self { config }
    }
}
