//! Where the service keeps its data: API.md "Configuration". Each setting is an
//! environment variable with a flag of the same name.

use std::path::PathBuf;

use clap::Args;

use crate::store::{Location, StoreError};

/// The database settings shared by every subcommand that opens the store.
#[derive(Clone, Debug, Args)]
pub struct DatabaseArgs {
    /// `postgres://…` or `sqlite://FILE`; default: an SQLite file in the data directory.
    #[arg(long = "database-url", env = "PARTNERMATCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the embedded database (and later, development secrets) live; created
    /// on first use.
    #[arg(long = "data-dir", env = "PARTNERMATCH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The database these settings name.
    pub fn location(&self) -> Result<Location, StoreError> {
        match self.database_url.as_deref().filter(|url| !url.trim().is_empty()) {
            Some(url) => Location::parse(url),
            None => Ok(Location::default_in(&self.data_dir)),
        }
    }
}
