//! The `partnermatch` command line: everything a person runs.
//!
//! - [`cli`] parses arguments, runs a subcommand and maps errors to exit codes.
//! - [`config`] says where the database is and how tokens are signed.
//! - [`demo`] is the deterministic demo district.
//! - [`seed`] loads an instance file (a generated district) into an empty database.
//! - [`error`] is the command line's error type.

pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod seed;

pub use cli::main;
pub use error::Error;
