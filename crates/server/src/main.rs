use clap::Parser;

/// mimalloc instead of glibc malloc: the request path allocates and frees on different worker
/// threads, where glibc's arenas spent a fifth of the CPU in profiles (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = assocd::cli::Cli::parse();
    assocd::telemetry::init(cli.log_format);
    match assocd::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assocd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
