//! The partnermatch service and command line.
//!
//! - [`auth`] says who a bearer token speaks for: JWT checks, development tokens.
//! - [`cli`] parses arguments, runs a subcommand and maps errors to exit codes.
//! - [`config`] says where the database is.
//! - [`store`] is the database: migrations applied on open, records, scope loading.
//! - [`import`] reads CSV files of students, partners and openings, all rows or none.
//! - [`demo`] is the deterministic demo district.
//! - [`seed`] loads an instance file (a generated district) into an empty database.
//! - [`runner`] carries match runs to their end in the background, under a database lease.
//! - [`graphql`] is the schema and the limits every request meets; [`server`] serves it.
//! - [`error`] is the command line's error type; [`text`] the rules for typed text.

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod import;
pub mod runner;
pub mod seed;
pub mod server;
pub mod store;
pub mod text;

pub use error::Error;
