use clap::Parser;

/// mimalloc instead of glibc malloc: the request path allocates and frees on different worker
/// threads, where glibc's arenas spent a fifth of the CPU in profiles (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = assocd::cli::Cli::parse();
    assocd::telemetry::init(cli.log_format);
    let runtime = match assocd::runtime::build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("assocd: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        // Gives memory back after bursts (crates/server/src/runtime.rs).
        tokio::spawn(assocd::runtime::sweeper());
        assocd::cli::run(cli).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assocd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
