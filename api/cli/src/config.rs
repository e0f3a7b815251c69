//! The settings of docs/api.md "Configuration": where the data is, how tokens are
//! signed. Each setting is an environment variable with a flag of the same name.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use service::auth::{AuthConfig, AuthError, DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeySource, dev_secret};
use store::clock::Zone;
use store::{Location, Store, StoreError};

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
    /// The district's time zone, an IANA name: "today" for agreements, background
    /// checks and ages.
    #[arg(long = "timezone", env = "PARTNERMATCH_TIMEZONE", default_value = "UTC")]
    pub timezone: String,
}

impl DatabaseArgs {
    /// Opens the store these settings name, judging "today" in their time zone.
    pub async fn open(&self) -> Result<Store, crate::error::Error> {
        let zone = Zone::parse(&self.timezone)
            .map_err(|err| crate::error::Error::Config(format!("timezone: {err}")))?;
        Ok(Store::open(&self.location()?).await?.in_zone(zone))
    }

    /// The database these settings name.
    pub fn location(&self) -> Result<Location, StoreError> {
        match self.database_url.as_deref().filter(|url| !url.trim().is_empty()) {
            Some(url) => Location::parse(url),
            None => Ok(Location::default_in(&self.data_dir)),
        }
    }
}

/// The token settings of docs/api.md "Configuration", shared by `token` and `serve`.
/// The data directory is not here: `serve` already has it from
/// [`DatabaseArgs`].
#[derive(Clone, Args)]
pub struct JwtArgs {
    /// The HS256 shared secret, at least 32 bytes (default: the development secret
    /// in the data directory).
    #[arg(long = "jwt-secret", env = "PARTNERMATCH_JWT_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// The accepted `iss`.
    #[arg(long = "jwt-issuer", env = "PARTNERMATCH_JWT_ISSUER", default_value = DEFAULT_ISSUER)]
    pub issuer: String,
    /// The `aud` naming this service.
    #[arg(long = "jwt-audience", env = "PARTNERMATCH_JWT_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
}

impl JwtArgs {
    /// The configured secret, else the development secret kept in `data_dir`
    /// (created on first use).
    ///
    /// # Errors
    /// Those of [`dev_secret`]. A configured secret is returned as given: its
    /// length is checked where it is used ([`Verifier::new`], [`Minter::new`]).
    pub fn secret_or_dev(&self, data_dir: &Path) -> Result<Vec<u8>, AuthError> {
        match &self.secret {
            Some(secret) => Ok(secret.as_bytes().to_vec()),
            None => dev_secret(data_dir),
        }
    }

    /// The HS256 configuration with these issuer and audience.
    pub fn hs256_config(&self, secret: Vec<u8>) -> AuthConfig {
        AuthConfig {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            key: KeySource::Hs256(secret),
        }
    }
}

impl fmt::Debug for JwtArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtArgs")
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}
