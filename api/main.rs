//! The `partnermatch` binary. It belongs to the root package so that the black-box
//! tests in `tests/` run this very binary (`CARGO_BIN_EXE_partnermatch`); all it
//! does is hand the arguments to the command line crate.

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main(std::env::args_os())
}
