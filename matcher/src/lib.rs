//! The partnermatch matching engine: which student goes to which opening,
//! optimally and explainably. Pure: no IO beyond a reader handed in, no clock, no
//! threads of its own beyond rayon's pool; the same instance always gives the same
//! outcome. docs/matching.md is the contract.
//!
//! - [`validate`] reads the JSON instance and turns it into the model, naming the path of any bad field.
//! - [`record`] parses one student's or opening's fields once: typed, defaults applied.
//! - [`model`] holds the validated domain: students, needs, openings, partners, history.
//! - [`calendar`] does weekly time: windows, merging, free time, session placement.
//! - [`geo`] computes distances and travel times exactly as the contract writes them.
//! - [`feasibility`] says whether a pair may match and, if not, every constraint it fails.
//! - [`score`] gives a feasible pair its points per criterion.
//! - [`candidates`] finds candidate pairs through spatial and language indexes, and counts `ruledOutBy`.
//! - [`solve`] computes the optimal assignment with capacities; it knows graphs, not students.
//! - [`single`] answers for one need what a run would: its ranked candidates, one pair, its tally.
//! - [`engine`] runs kinds in order: candidates → solve → sessions.
//! - [`output`] builds the result document.
//! - [`generate`] makes realistic random instances for tests and benchmarks.

#![warn(missing_docs)]

pub mod calendar;
pub mod candidates;
pub mod engine;
mod error;
pub mod feasibility;
pub mod generate;
pub mod geo;
mod languages;
pub mod model;
pub mod output;
pub mod record;
pub mod score;
pub mod single;
pub mod solve;
pub mod validate;

pub use engine::{Observer, Options, Outcome, Phase, Silent, run};
pub use error::Error;
pub use model::Instance;
pub use output::{ResultDocument, Seconds, result_document};
pub use record::{HeldRecord, NeedRecord, OpeningRecord, PartnerRecord, StudentRecord};
pub use validate::{Parts, RawInstance, build_instance, parse_instance, read_instance};
