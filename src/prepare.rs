//! Work that does not depend on the inputs: compiling the three schema validators and the
//! templates. It is most of a small render's CPU time, so every core takes a share while
//! the main thread reads and validates the inputs, instead of the main thread waiting for
//! it or competing with more threads than there are cores.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::input::Platform;
use crate::jobs::{self, JobQueue};
use crate::load::FileKind;
use crate::model::Model;
use crate::render::{self, Templates};
use crate::validate;

/// One piece of preparation.
enum Job {
    Validator(FileKind),
    Template(&'static str, Option<Platform>),
}

/// A queue of preparation jobs that any number of threads take from, one job at a time.
pub struct Preparation<'t> {
    templates: Option<&'t Templates>,
    jobs: Vec<Job>,
    queue: JobQueue,
    /// Cleared for a platform no selected target is on, so that its templates are skipped.
    wanted: [AtomicBool; 2],
}

/// The validators, largest schema first; they come before every template because
/// validation waits for them.
const VALIDATORS: [FileKind; 3] = [FileKind::Service, FileKind::Environment, FileKind::Project];

impl<'t> Preparation<'t> {
    /// The validators, then (when rendering) the templates.
    pub fn new(templates: Option<&'t Templates>) -> Preparation<'t> {
        let mut jobs: Vec<Job> = VALIDATORS.into_iter().map(Job::Validator).collect();
        if templates.is_some() {
            jobs.extend(
                render::render_templates()
                    .into_iter()
                    .map(|(name, platform)| Job::Template(name, platform)),
            );
        }
        Preparation {
            templates,
            queue: JobQueue::new(jobs.len()),
            jobs,
            wanted: [AtomicBool::new(true), AtomicBool::new(true)],
        }
    }

    /// Runs `work` on the calling thread while one thread per further core takes jobs from
    /// the queue. Jobs nobody has taken when `work` is done are dropped: `work` takes what it
    /// needs itself, and on invalid inputs nothing more is needed.
    pub fn alongside<T>(&self, work: impl FnOnce() -> T) -> T {
        std::thread::scope(|scope| {
            for _ in 0..jobs::helper_threads() {
                scope.spawn(|| self.help());
            }
            let done = work();
            self.queue.close();
            done
        })
    }

    /// Takes jobs until none is left.
    pub fn help(&self) {
        while let Some(i) = self.queue.take() {
            self.run(i);
        }
    }

    /// Takes jobs until every validator has been taken; validation then waits only for
    /// those other threads are still compiling.
    pub fn help_with_validators(&self) {
        while let Some(i) = self.queue.take_below(VALIDATORS.len()) {
            self.run(i);
        }
    }

    /// Skips, from now on, the templates of platforms none of `model`'s targets is on.
    pub fn narrow_to(&self, model: &Model) {
        let on = render::platforms(model);
        for platform in [Platform::Aks, Platform::AzureFlexibleServer] {
            self.wanted[platform as usize].store(on.contains(&platform), Ordering::Relaxed);
        }
    }

    /// Runs job `i`.
    fn run(&self, i: usize) {
        match self.jobs[i] {
            Job::Validator(kind) => validate::prepare_validator(kind),
            Job::Template(name, platform) => {
                let wanted =
                    platform.is_none_or(|p| self.wanted[p as usize].load(Ordering::Relaxed));
                if let (true, Some(templates)) = (wanted, self.templates) {
                    // A template that does not compile is reported by the render that uses it.
                    let _ = templates.compile(name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_validators_come_first() {
        let templates = Templates::new();
        let preparation = Preparation::new(Some(&templates));
        assert!(matches!(
            preparation.jobs[0],
            Job::Validator(FileKind::Service)
        ));
        preparation.help_with_validators();
        assert_eq!(preparation.queue.take_below(VALIDATORS.len()), None);
        preparation.alongside(|| preparation.help());
        assert_eq!(preparation.queue.take(), None);
    }

    #[test]
    fn templates_of_an_absent_platform_are_skipped() {
        let mut diagnostics = Vec::new();
        let inputs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
        let loaded = crate::load::load(&inputs, &mut diagnostics).unwrap();
        let mut model = crate::model::build(&validate::validate(&loaded, diagnostics).unwrap());
        model.targets.retain(|t| t.env.platform == Platform::Aks);
        let preparation = Preparation::new(None);
        preparation.narrow_to(&model);
        let wanted = |p: Platform| preparation.wanted[p as usize].load(Ordering::Relaxed);
        assert!(wanted(Platform::Aks));
        assert!(!wanted(Platform::AzureFlexibleServer));
    }
}
