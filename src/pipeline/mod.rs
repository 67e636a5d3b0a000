//! Pipeline: the batch — finds the recordings, chooses the stages once ([`Components`]), runs
//! each call through them on a pool of workers ([`call`]), and writes one JSON per call as soon
//! as that call is done, with the batch summary rewritten after every call.
//!
//! Takes: a [`Config`], a [`StopFlag`] (and, for tests and other backends, the
//! [`Components`]). Gives: the files in `out_dir` and a [`BatchSummary`]. A bad recording, a
//! missing input or a panic in one call becomes that call's error record and never stops the
//! batch; only problems that make every call fail (no model, no inputs, an output folder that
//! cannot be written) are fatal. A rerun into the same folder keeps the calls already done
//! ([`resume`]); a stop request lets the running calls finish and marks the summary
//! `interrupted`. Must not: parse flags, install signal handlers, or keep per-call audio after
//! its JSON is written (memory must not grow with the batch).

pub mod call;
pub mod components;
pub mod resume;
pub mod sanity;
pub mod window;

pub use components::Components;

use crate::config::Config;
use crate::discover::{BATCH_FILE, Discovered, Found, discover_audio};
use crate::error::{CallError, FatalError, Stage};
use crate::output::write_json_atomic;
use crate::report::{
    BatchEntry, BatchSummary, CallReport, ErrorInfo, SCHEMA_VERSION, Source, Status,
};
use crate::schedule::{ThreadBudget, largest_first};
use crate::stages;
use crate::transcribe::ModelInfo;
use resume::Journal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Asks a running batch to stop: no new call starts, the running ones finish. Cloned into a
/// signal handler by the binary; the library never installs one.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs the whole batch with callgauge's own stages.
pub fn run(cfg: &Config, stop: &StopFlag) -> Result<BatchSummary, FatalError> {
    run_discovered(cfg, discover_audio(&cfg.inputs)?, stop)
}

/// Runs the batch of files already discovered in `cfg.inputs` with callgauge's own stages.
/// The model is loaded before the output folder is created: a missing model creates nothing.
pub fn run_discovered(
    cfg: &Config,
    found: Discovered,
    stop: &StopFlag,
) -> Result<BatchSummary, FatalError> {
    let started = Instant::now();
    let parts = Components::standard(cfg)?;
    prepare(cfg)?;
    run_found(cfg, &parts, found, stop, started)
}

/// Runs the whole batch through the given stages.
pub fn run_with(
    cfg: &Config,
    parts: &Components,
    stop: &StopFlag,
) -> Result<BatchSummary, FatalError> {
    let started = Instant::now();
    let found = discover_audio(&cfg.inputs)?;
    prepare(cfg)?;
    run_found(cfg, parts, found, stop, started)
}

/// Makes sure the output folder is there and writable, and clears a killed run's temp files.
fn prepare(cfg: &Config) -> Result<(), FatalError> {
    let out_err = |e: std::io::Error| FatalError::OutDir {
        path: cfg.out_dir.display().to_string(),
        cause: e.to_string(),
    };
    std::fs::create_dir_all(&cfg.out_dir).map_err(out_err)?;
    // Found out now, not after a night of transcription.
    let probe = cfg.out_dir.join(format!(".callgauge-probe.{}.tmp", std::process::id()));
    std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)).map_err(out_err)?;
    resume::remove_stale_temp_files(&cfg.out_dir);
    Ok(())
}

/// What the workers share.
struct Batch<'a> {
    cfg: &'a Config,
    parts: &'a Components,
    model: ModelInfo,
    files: &'a [Found],
    journal: Journal,
    budget: Arc<ThreadBudget>,
    started: Instant,
    /// One slot per file; `None` until its call is done.
    entries: Mutex<Vec<Option<BatchEntry>>>,
    discovered: &'a Discovered,
    done: AtomicUsize,
    stop: &'a StopFlag,
}

fn run_found(
    cfg: &Config,
    parts: &Components,
    discovered: Discovered,
    stop: &StopFlag,
    started: Instant,
) -> Result<BatchSummary, FatalError> {
    let journal = Journal::open(&cfg.out_dir).map_err(|e| FatalError::OutDir {
        path: cfg.out_dir.display().to_string(),
        cause: format!("cannot write its journal: {e}"),
    })?;
    let jobs = cfg.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| FatalError::Threads(e.to_string()))?;
    let files = &discovered.files;
    let mut entries = vec![None; files.len()];
    entries.extend(discovered.missing.iter().map(|p| Some(missing_input(p, &parts.asr.model()))));
    let batch = Batch {
        cfg,
        parts,
        model: parts.asr.model(),
        files,
        journal,
        budget: Arc::new(ThreadBudget::new(jobs * cfg.asr.threads.max(1))),
        started,
        entries: Mutex::new(entries),
        discovered: &discovered,
        done: AtomicUsize::new(0),
        stop,
    };
    // Each job takes the next call from one queue, largest file first, so the batch does not end
    // with one long call running while the other jobs idle (their threads go to it then).
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    let queue = largest_first(&paths);
    let next = AtomicUsize::new(0);
    pool.scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|_| {
                while !stop.requested() {
                    let Some(&i) = queue.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    batch.process(i);
                }
            });
        }
    });
    let summary = batch.summary();
    batch.write_summary(&summary);
    Ok(summary)
}

impl Batch<'_> {
    /// One call: kept from an earlier run, or analyzed (a panic becomes its error record), then
    /// written, and the summary rewritten.
    fn process(&self, i: usize) {
        let Found { path, call_id } = &self.files[i];
        let out = self.cfg.out_dir.join(format!("{call_id}.json"));
        let sha256 = call::source_sha256(path);
        let outcome = self.cfg.outcomes.get(call_id);
        let settings = resume::settings_sha256(self.cfg, outcome);
        let kept = sha256.as_ref().ok().and_then(|sha| {
            let doc = resume::reusable(&out, sha, &self.model.sha256, &settings)?;
            BatchEntry::from_stored(&doc)
        });
        let entry = match kept {
            Some(entry) if !self.cfg.force => {
                self.log(&format!("{}: kept from an earlier run", path.display()));
                entry
            }
            _ => self.analyze(
                call::CallInput { path, call_id, sha256, settings_sha256: settings },
                &out,
            ),
        };
        // Written under the lock, so summaries land in the order the calls finished: at most
        // one call behind if the process is killed now.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries[i] = Some(entry);
        self.write_summary(&self.summary_of(&entries));
    }

    fn analyze(&self, input: call::CallInput<'_>, out: &Path) -> BatchEntry {
        let (path, call_id) = (input.path, input.call_id.to_string());
        let gave_up = self.journal.unfinished(&call_id) >= resume::MAX_UNFINISHED;
        let report = if gave_up && !self.cfg.force {
            let cause = format!(
                "callgauge stopped {} times while analyzing this call (a crash or a kill); not \
                 tried again (--force retries it)",
                resume::MAX_UNFINISHED
            );
            self.failed(input, CallError::new(Stage::Internal, cause))
        } else {
            self.note(self.journal.started(&call_id));
            let slot = self.budget.start_call();
            let source = Source { path: self.cfg.source_path(path), ..Source::default() };
            let run = catch_unwind(AssertUnwindSafe(|| {
                call::analyze(input, self.parts, self.cfg, &self.budget)
            }));
            drop(slot);
            run.unwrap_or_else(|panic| {
                let cause = format!("panicked: {} (a bug; please report it)", panic_text(&*panic));
                let err = CallError::new(Stage::Internal, cause);
                CallReport::failed(call_id.clone(), source, self.model.clone(), &err)
            })
        };
        let mut entry = BatchEntry::new(&report);
        if let Err(e) = write_json_atomic(out, &report) {
            let err = CallError::new(Stage::Write, format!("{}: {e}", out.display()));
            entry.status = Status::Error;
            entry.error = Some(ErrorInfo::new(&entry.path, &err));
        }
        self.note(self.journal.finished(&call_id));
        self.log(&describe(&entry));
        entry
    }

    fn failed(&self, input: call::CallInput<'_>, err: CallError) -> CallReport {
        let source = Source {
            path: input.path.display().to_string(),
            sha256: input.sha256.ok(),
            ..Source::default()
        };
        let mut report = CallReport::failed(input.call_id.into(), source, self.model.clone(), &err);
        report.settings_sha256 = Some(input.settings_sha256);
        report
    }

    fn note(&self, written: std::io::Result<()>) {
        if let Err(e) = written {
            eprintln!("{}: journal: {e}", self.cfg.out_dir.display());
        }
    }

    /// One line per call, with the time left at the pace so far, for the night's log.
    fn log(&self, what: &str) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.files.len();
        let per_call = self.started.elapsed().as_secs_f64() / n as f64;
        let left = per_call * total.saturating_sub(n) as f64;
        eprintln!("[{n}/{total}, {} left] {what}", eta(left));
    }

    fn summary(&self) -> BatchSummary {
        self.summary_of(&self.entries.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn summary_of(&self, entries: &[Option<BatchEntry>]) -> BatchSummary {
        let calls: Vec<BatchEntry> = entries.iter().flatten().cloned().collect();
        let pending = entries.len() - calls.len();
        let mut s = summarize(calls, self.cfg, self.started.elapsed().as_secs_f64());
        s.files = entries.len();
        s.pending = pending;
        s.interrupted = self.stop.requested() && pending > 0;
        s.skipped_files = self.discovered.skipped.clone();
        s
    }

    fn write_summary(&self, summary: &BatchSummary) {
        let path = self.cfg.out_dir.join(BATCH_FILE);
        if let Err(e) = write_json_atomic(&path, summary) {
            eprintln!("{}: write: {e}", path.display());
        }
    }
}

/// The batch summary's record of an input path that does not exist (no call JSON is written).
fn missing_input(path: &Path, model: &ModelInfo) -> BatchEntry {
    let err = CallError::new(Stage::Read, "no such file or folder");
    let source = Source { path: path.display().to_string(), ..Source::default() };
    eprintln!("{}: read: no such file or folder", path.display());
    let id = path.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned());
    BatchEntry::new(&CallReport::failed(id, source, model.clone(), &err))
}

/// `1h05m`, `12m03s` or `9s`.
fn eta(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

fn describe(e: &BatchEntry) -> String {
    match &e.error {
        Some(err) => err.message.clone(),
        None => format!("{}: ok ({:.1} s of audio)", e.path, e.duration_s.unwrap_or(0.0)),
    }
}

fn summarize(calls: Vec<BatchEntry>, cfg: &Config, wall_s: f64) -> BatchSummary {
    let ok = calls.iter().filter(|c| c.status == Status::Ok).count();
    // Calls kept from an earlier run took no time now: they do not count in the speed.
    // A fold from +0: an empty `sum` of f64 is -0, printed "-0.0 s of audio" when all is kept.
    let audio_s =
        calls.iter().filter(|c| !c.kept).filter_map(|c| c.duration_s).fold(0.0, |a, d| a + d);
    // Calls too short, silent or truncated are no conversations: left out of the funnel.
    let counted = calls.iter().filter(|c| !c.excluded);
    let views: Vec<stages::CallView> = counted.filter_map(|c| c.view.clone()).collect();
    BatchSummary {
        schema_version: SCHEMA_VERSION,
        files: calls.len(),
        ok,
        failed: calls.len() - ok,
        pending: 0,
        interrupted: false,
        kept: calls.iter().filter(|c| c.kept).count(),
        excluded: calls.iter().filter(|c| c.excluded).count(),
        skipped_files: Default::default(),
        jobs: cfg.jobs,
        threads_per_job: cfg.asr.threads,
        audio_s,
        wall_s,
        audio_s_per_wall_s: if wall_s > 0.0 { audio_s / wall_s } else { 0.0 },
        script_funnel: stages::Funnel::new(&cfg.script, &views),
        calls,
    }
}

#[cfg(test)]
mod tests;
