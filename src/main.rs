use clap::Parser;

fn main() {
    lade::fsutil::remove_temps_on_signals();
    // `lade help --help`: what help does (clap would take --help for the
    // name of a command).
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.len() == 2 && args[0] == "help" && (args[1] == "--help" || args[1] == "-h") {
        println!(
            "Print the help of lade or of one of its commands\n\nUsage: lade help [COMMAND]..."
        );
        std::process::exit(0);
    }
    let cli = match lade::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::UnknownArgument {
                if let Some(msg) = lade::cli::misplaced_option(&args) {
                    eprint!("{msg}");
                    std::process::exit(2);
                }
            }
            // --help and --version are not errors; a closed pipe is not either.
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match lade::cmd::run(cli) {
        Ok(code) => {
            lade::fsutil::wait_if_ending();
            code
        }
        Err(e) => {
            lade::fsutil::wait_if_ending();
            if e.kind() != lade::error::Kind::BrokenPipe {
                // One line, whatever the message quotes (a tar header's
                // bytes, a server's text).
                let msg = lade::error::escape_controls(&e.to_string());
                // (None after a signal's or a timeout's last line.)
                lade::error::to_stderr(|| format!("lade: error: {msg}\n").into_bytes());
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
