//! Sharing work among the cores: a queue of job numbers that threads take from one at a
//! time, so that a thread done early takes the next job instead of idling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Job numbers `0..len`, each handed out once, in order, to whichever thread asks.
pub struct JobQueue {
    next: AtomicUsize,
    len: usize,
}

impl JobQueue {
    /// A queue of `len` jobs.
    pub fn new(len: usize) -> JobQueue {
        JobQueue {
            next: AtomicUsize::new(0),
            len,
        }
    }

    /// Drops every job not taken yet.
    pub fn close(&self) {
        self.next.fetch_max(self.len, Ordering::Relaxed);
    }

    /// The next job, if any is left. (Never counts past the end, unlike a `fetch_add`.)
    pub fn take(&self) -> Option<usize> {
        let mut i = self.next.load(Ordering::Relaxed);
        loop {
            if i >= self.len {
                return None;
            }
            match self
                .next
                .compare_exchange_weak(i, i + 1, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some(i),
                Err(current) => i = current,
            }
        }
    }
}

/// How many threads to start beside the calling one: one per further core. Asked once per
/// process: the answer reads cgroup files, and both preparation and rendering ask.
pub fn helper_threads() -> usize {
    static HELPERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *HELPERS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from) - 1)
}

/// Runs `job(i)` for every `i < jobs` on every core, this thread included, each thread
/// taking the next job when it is done with one; returns each thread's state.
pub fn on_every_core<T: Send>(
    jobs: usize,
    job: impl Fn(usize, &mut T) + Sync,
    init: impl Fn() -> T + Sync,
) -> Vec<T> {
    let queue = JobQueue::new(jobs);
    let work = || {
        let mut state = init();
        while let Some(i) = queue.take() {
            job(i, &mut state);
        }
        state
    };
    let helpers = helper_threads().min(jobs.saturating_sub(1));
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (0..helpers).map(|_| scope.spawn(work)).collect();
        let mut states = vec![work()];
        states.extend(
            helpers
                .into_iter()
                .map(|h| h.join().expect("a worker thread panicked")),
        );
        states
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_taken_once_in_order() {
        let queue = JobQueue::new(3);
        assert_eq!(queue.take(), Some(0));
        assert_eq!(queue.take(), Some(1));
        assert_eq!(queue.take(), Some(2));
        assert_eq!(queue.take(), None);
        assert_eq!(queue.take(), None, "an empty queue stays empty");
        let closed = JobQueue::new(2);
        closed.close();
        assert_eq!(closed.take(), None);
    }

    #[test]
    fn threads_share_the_jobs_without_repeats() {
        let queue = JobQueue::new(10_000);
        let taken: Vec<Vec<usize>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| std::iter::from_fn(|| queue.take()).collect()))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut all: Vec<usize> = taken.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn on_every_core_runs_each_job_once_and_returns_every_state() {
        let states = on_every_core(1_000, |i, done: &mut Vec<usize>| done.push(i), Vec::new);
        assert!(states.len() <= helper_threads() + 1);
        let mut all: Vec<usize> = states.concat();
        all.sort_unstable();
        assert_eq!(all, (0..1_000).collect::<Vec<_>>());
        assert_eq!(on_every_core(0, |_, _: &mut ()| {}, || ()).len(), 1);
    }
}
