//! The partnermatch service and command line. For now: the `partnermatch`
//! command's offline subcommands.
//!
//! - [`cli`] parses arguments, runs a subcommand and maps errors to exit codes.
//! - [`error`] is the crate's error type.

pub mod cli;
pub mod error;

pub use error::Error;
pub mod store;
