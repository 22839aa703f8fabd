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

    /// The next job, if any is left.
    pub fn take(&self) -> Option<usize> {
        self.take_below(self.len)
    }

    /// The next job if its number is below `end`; a job at or past `end` stays queued.
    pub fn take_below(&self, end: usize) -> Option<usize> {
        let end = end.min(self.len);
        let mut i = self.next.load(Ordering::Relaxed);
        loop {
            if i >= end {
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

/// How many threads to start beside the calling one: one per further core.
pub fn helper_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_taken_once_in_order() {
        let queue = JobQueue::new(3);
        assert_eq!(queue.take_below(1), Some(0));
        assert_eq!(queue.take_below(1), None, "job 1 is not below 1");
        assert_eq!(queue.take(), Some(1));
        assert_eq!(queue.take_below(usize::MAX), Some(2));
        assert_eq!(queue.take(), None);
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
}
