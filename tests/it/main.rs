//! Black-box tests of partnermatch: the `partnermatch` command as a user runs it,
//! the matching contract (docs/matching.md) checked by an independent oracle, and the
//! storage on SQLite and PostgreSQL (see `db`).

mod auth;
mod cli;
mod clock;
mod console;
mod contract;
mod conventions;
mod db;
mod demo;
mod district;
mod edits;
mod export;
mod gql;
mod graphiql;
mod hardening;
mod http;
mod import;
mod mail;
mod matching_api;
mod oracle;
mod ordering;
mod people_api;
mod readme;
mod records_api;
mod report_api;
mod run_crash;
mod server;
mod store;
mod suggestions_api;
mod waitlist;
mod webhooks;
mod ws;
