//! The `sluice` command line (docs/cli.md); the commands live in the library's `cli` module.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(sluice::cli::run(std::env::args_os()) as u8)
}
