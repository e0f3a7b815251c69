use std::process::ExitCode;

fn main() -> ExitCode {
    partnermatch_api::cli::main(std::env::args_os())
}
