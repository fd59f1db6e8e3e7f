use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = assocd::cli::Cli::parse();
    assocd::telemetry::init();
    match assocd::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assocd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
