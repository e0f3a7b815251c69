//! The reads, one root per domain; [`super::schema`] merges them into `Query`.

pub mod audit;
pub mod matches;
pub mod people;
pub mod records;
pub mod report;
pub mod runs;
pub mod suggest;
pub mod viewer;
pub mod webhooks;
