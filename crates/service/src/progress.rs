//! Progress reporting for long work; the CLI draws bars, tests ignore it.

/// Receives progress of a long operation. Implementations must be cheap:
/// `advance` is called from worker threads.
pub trait Progress: Sync {
    /// A new stage starts, e.g. "校验与计算面积", with `total` steps (0 = unknown).
    fn stage(&self, name: &str, total: u64);
    /// `n` more steps of the current stage are done.
    fn advance(&self, n: u64);
    /// The current stage is finished.
    fn finish_stage(&self);
}

/// Ignores all progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish_stage(&self) {}
}
