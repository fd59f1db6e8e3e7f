//! The tokio runtime assocd serves on, and giving memory back after a burst.
//!
//! A burst of connections (2,000 clients at once) makes each worker thread's mimalloc heap grow
//! by the connections' buffers. When they close, the blocks are free but their pages stay with
//! the heap that allocated them: blocks freed by another thread wait in that page's list until
//! the owning thread looks, and a page is returned to the OS only when its thread collects. A
//! worker that goes idle after the burst never allocates again, so it never collects, and the
//! process kept the burst's peak (about 50 MiB) indefinitely. So each worker collects its heap
//! (`mi_collect(true)`: take back the blocks other threads freed, free empty pages, return them
//! to the OS) when it parks, at most once per `COLLECT_EVERY`; a worker that parks sooner is
//! woken by `sweeper` once the interval has passed, so the last burst is collected too.
//! docs/benchmarks.md ("Memory under a connection flood") has the measurements.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The shortest time between two collections on one worker thread.
pub const COLLECT_EVERY: Duration = Duration::from_secs(1);

/// Blocking threads (file I/O, DNS): each has its own heap and stack, so keep them few.
const MAX_BLOCKING_THREADS: usize = 16;

extern "C" {
    /// mimalloc's collection of the calling thread's heap (linked by the `mimalloc` crate).
    fn mi_collect(force: bool);
}

thread_local! {
    /// When this thread last collected; `None` until the first park.
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Parks since the last collection on any worker: nonzero means some heap may hold a burst.
static PENDING: AtomicU64 = AtomicU64::new(0);

/// The multi-thread runtime with collection on park and a bounded blocking pool.
pub fn build() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .thread_keep_alive(Duration::from_secs(5))
        .on_thread_park(on_park)
        .build()
}

/// Collects this thread's heap when it last did so at least `COLLECT_EVERY` ago.
fn on_park() {
    let now = Instant::now();
    LAST.with(|last| match last.get() {
        Some(t) if now.duration_since(t) < COLLECT_EVERY => {
            PENDING.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            last.set(Some(now));
            collect();
        }
    });
}

/// Returns this thread's free memory to the OS.
pub fn collect() {
    // SAFETY: mi_collect takes no pointers; it only walks the calling thread's own heap.
    unsafe { mi_collect(true) }
}

/// Wakes the workers after a burst: while some worker parked without collecting, a few
/// short tasks a little after `COLLECT_EVERY` make each worker park once more, and collect.
pub async fn sweeper() {
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    // A collection frees pages; returning them to the OS may take the next one, so sweep a
    // few times after the last sign of activity.
    let mut rounds = 0;
    loop {
        tokio::time::sleep(COLLECT_EVERY + Duration::from_millis(100)).await;
        if PENDING.swap(0, Ordering::Relaxed) > 0 {
            rounds = 3;
        }
        if rounds == 0 {
            continue;
        }
        rounds -= 1;
        collect();
        // One yielding task per worker: idle workers steal them, run them, and park again.
        let tasks: Vec<_> = (0..workers * 2)
            .map(|_| tokio::spawn(tokio::task::yield_now()))
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }
}
