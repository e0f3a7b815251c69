//! Every object, input and enum of the schema, by domain. Objects resolve their own
//! links (an opening its partner, a match its student) through the store and
//! [`super::access`]; roots only build the first one.

pub mod audit;
pub mod common;
pub mod enums;
pub mod matches;
pub mod opening;
pub mod partner;
pub mod report;
pub mod run;
pub mod school;
pub mod student;
pub mod suggestion;
pub mod viewer;
pub mod webhook;
