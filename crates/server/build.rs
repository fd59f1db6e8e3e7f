//! Links the code assocd runs at start and on ordinary requests next to each other.
//!
//! The kernel maps a program's code in pieces of up to 128 KiB around each page it runs
//! (fault-around, large page-cache folios), so a few thousand functions spread over 11 MiB of
//! code kept almost all of it resident. `link-order.txt` lists those functions (profiled with
//! callgrind, `scripts/idle-rss/`); the linker places them first, in that order, and idle RSS
//! falls by about 6 MiB (docs/benchmarks.md, "Idle RSS: code in link order").
//!
//! Only rust-lld reads a symbol ordering file; it is the default linker of
//! x86_64-unknown-linux-gnu since Rust 1.90. Other linkers get the usual layout. A symbol the
//! list names but the build lacks (other dependency versions, another toolchain) is skipped
//! quietly: the list then helps less, and `scripts/idle-rss/profile.sh` renews it.

use std::path::Path;
use std::process::Command;

fn main() {
    let list = Path::new(&env("CARGO_MANIFEST_DIR")).join("link-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if env("PROFILE") == "release" && links_with_rust_lld() {
        println!(
            "cargo:rustc-link-arg-bin=assocd=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=assocd=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether rustc links this build with its own lld: x86_64 Linux (GNU), Rust 1.90 or later,
/// and no linker chosen by the user (a configured linker or linker flags).
fn links_with_rust_lld() -> bool {
    if env("TARGET") != "x86_64-unknown-linux-gnu" || std::env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let flags = env("CARGO_ENCODED_RUSTFLAGS");
    if flags.contains("linker") || flags.contains("fuse-ld") {
        return false;
    }
    let Ok(out) = Command::new(env("RUSTC")).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let version = String::from_utf8_lossy(&out.stdout);
    let mut parts = version
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}
