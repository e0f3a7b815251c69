//! The partnermatch service: what answers over the network.
//!
//! - [`auth`] says who a bearer token speaks for: JWT checks, development tokens.
//! - [`graphql`] is the schema and the limits every request meets.
//! - [`server`] serves it over HTTP and websocket; [`export`] the CSV files.
//! - [`graphiql`] is the in-browser editor at `GET /graphql`, its assets embedded.
//! - [`console`] is the web console at `GET /` for every role, its files embedded.
//! - [`runner`] carries match runs to their end in the background, under a database lease.
//! - [`notify`] delivers the outbox: signed webhooks, retried with backoff, under a lease;
//!   [`mail`] writes and sends the mail about matches.

pub mod auth;
pub mod console;
pub mod cors;
pub mod export;
pub mod graphiql;
pub mod graphql;
pub mod mail;
pub mod notify;
pub mod runner;
pub mod server;
pub mod ws;
