//! A small work pool for bring-up: `n` items on a few threads, results in item order. After the
//! first failure no new item starts; every result made so far is returned with it, so the
//! caller can drop (and so undo) what was created.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many threads bring-up uses: the kernel work is mostly serialized (rtnl_lock), but
/// clones, mounts and execs overlap.
pub(crate) fn workers(n: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(2, |c| c.get());
    n.clamp(1, (cpus * 2).clamp(2, 8))
}

/// Runs `f(i)` for i in 0..n. Ok: every result in order. Err: the first error, and the results
/// of the items that succeeded (None for the others).
pub(crate) fn run<T: Send, E: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, (E, Vec<Option<T>>)> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    let first_err: Mutex<Option<E>> = Mutex::new(None);
    let work = || loop {
        if failed.load(Ordering::Relaxed) {
            return;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            return;
        }
        match f(i) {
            Ok(v) => slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(v),
            Err(e) => {
                failed.store(true, Ordering::Relaxed);
                first_err
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(e);
            }
        }
    };
    let threads = workers(n);
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    match first_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
        None => Ok(slots
            .into_iter()
            .map(|s| s.expect("every item ran"))
            .collect()),
        Some(e) => Err((e, slots)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_in_order_and_partial_on_failure() {
        let ok = super::run(100, |i| Ok::<_, ()>(i * 2)).unwrap();
        assert_eq!(ok, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let (e, partial) = super::run(50, |i| if i == 7 { Err(i) } else { Ok(i) }).unwrap_err();
        assert_eq!(e, 7);
        assert!(partial[7].is_none());
        assert!(partial.iter().flatten().all(|v| *v != 7));
    }
}
