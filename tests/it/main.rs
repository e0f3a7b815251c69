//! Black-box tests of partnermatch: the `partnermatch` command as a user runs it,
//! and the matching contract (MATCHING.md) checked by an independent oracle.

mod cli;
mod contract;
mod oracle;
