//! Work that does not depend on the inputs: compiling the templates. It is the largest part
//! of a small render's CPU time, so every core takes a share while the main thread reads and
//! validates the inputs, instead of the main thread waiting for it or competing with more
//! threads than there are cores.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::input::Platform;
use crate::jobs::{self, JobQueue};
use crate::model::Model;
use crate::render::{self, Templates};

/// A queue of templates to compile (with the platform each is for, if only one) that any
/// number of threads take from, one template at a time.
pub struct Preparation<'t> {
    templates: &'t Templates,
    jobs: Vec<(&'static str, Option<Platform>)>,
    queue: JobQueue,
    /// Cleared for a platform no selected target is on, so that its templates are skipped.
    wanted: [AtomicBool; 2],
}

impl<'t> Preparation<'t> {
    /// Every template a render may use, largest first.
    pub fn new(templates: &'t Templates) -> Preparation<'t> {
        let jobs = render::render_templates();
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
            // The first helper starts before the number of cores is known: finding it out
            // reads cgroup files, about a tenth of a millisecond that this thread, which
            // reads the inputs, does not wait for. (With one core, that helper just ends.)
            scope.spawn(|| {
                let helpers = jobs::helper_threads();
                std::thread::scope(|more| {
                    for _ in 1..helpers {
                        more.spawn(|| self.help());
                    }
                    if helpers > 0 {
                        self.help();
                    }
                });
            });
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

    /// Skips, from now on, the templates of platforms none of `model`'s targets is on.
    pub fn narrow_to(&self, model: &Model) {
        let on = render::platforms(model);
        for platform in [Platform::Aks, Platform::AzureFlexibleServer] {
            self.wanted[platform as usize].store(on.contains(&platform), Ordering::Relaxed);
        }
    }

    /// Compiles template `i` unless no selected target is on its platform.
    fn run(&self, i: usize) {
        let (name, platform) = self.jobs[i];
        if platform.is_none_or(|p| self.wanted[p as usize].load(Ordering::Relaxed)) {
            // A template that does not compile is reported by the render that uses it.
            let _ = self.templates.compile(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_taken_largest_first() {
        let templates = Templates::new();
        let preparation = Preparation::new(&templates);
        let size = |name: &str| crate::render::template_source(name).map_or(0, str::len);
        assert!(
            preparation
                .jobs
                .windows(2)
                .all(|pair| size(pair[0].0) >= size(pair[1].0))
        );
        preparation.alongside(|| preparation.help());
        assert_eq!(preparation.queue.take(), None);
    }

    #[test]
    fn templates_of_an_absent_platform_are_skipped() {
        let mut diagnostics = Vec::new();
        let inputs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
        let loaded = crate::load::load(&inputs, &mut diagnostics).unwrap();
        let design = crate::validate::validate(loaded, diagnostics).unwrap();
        let mut model = crate::model::build(&design);
        model.targets.retain(|t| t.env.platform == Platform::Aks);
        let templates = Templates::new();
        let preparation = Preparation::new(&templates);
        preparation.narrow_to(&model);
        let wanted = |p: Platform| preparation.wanted[p as usize].load(Ordering::Relaxed);
        assert!(wanted(Platform::Aks));
        assert!(!wanted(Platform::AzureFlexibleServer));
    }
}
