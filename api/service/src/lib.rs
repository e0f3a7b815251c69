//! The partnermatch service: what answers over the network.
//!
//! - [`auth`] says who a bearer token speaks for: JWT checks, development tokens.
//! - [`graphql`] is the schema and the limits every request meets.
//! - [`server`] serves it over HTTP and websocket; [`export`] the CSV files.
//! - [`runner`] carries match runs to their end in the background, under a database lease.

pub mod auth;
pub mod export;
pub mod graphql;
pub mod runner;
pub mod server;
