//! Pipeline: the batch — finds the recordings, chooses the stages once ([`Components`]), runs
//! each call through them on a pool of workers ([`call`]), and writes one JSON per call as soon
//! as that call is done, then a batch summary.
//!
//! Takes: a [`Config`] (and, for tests and other backends, the [`Components`]). Gives: the files
//! in `out_dir` and a [`BatchSummary`]. A bad recording becomes an error record and never stops
//! the batch; only problems that make every call fail (no model, no inputs, no output folder)
//! are fatal. Must not: parse flags, or keep per-call audio after its JSON is written (memory
//! must not grow with the batch).

pub mod call;
pub mod components;

pub use components::Components;

use crate::config::Config;
use crate::discover::{BATCH_FILE, assign_call_ids, collect_inputs};
use crate::error::{CallError, FatalError, Stage};
use crate::output::write_json_atomic;
use crate::report::{BatchEntry, BatchSummary, CallReport, ErrorInfo, SCHEMA_VERSION, Status};
use crate::schedule::{ThreadBudget, largest_first};
use crate::stages;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Runs the whole batch with callgauge's own stages.
pub fn run(cfg: &Config) -> Result<BatchSummary, FatalError> {
    let started = Instant::now();
    // Inputs and the output folder are checked before the model is loaded.
    let files = prepare(cfg)?;
    run_files(cfg, &Components::standard(cfg)?, &files, started)
}

/// Runs the whole batch through the given stages.
pub fn run_with(cfg: &Config, parts: &Components) -> Result<BatchSummary, FatalError> {
    let started = Instant::now();
    run_files(cfg, parts, &prepare(cfg)?, started)
}

fn run_files(
    cfg: &Config,
    parts: &Components,
    files: &[PathBuf],
    started: Instant,
) -> Result<BatchSummary, FatalError> {
    let ids = assign_call_ids(files);
    let jobs = cfg.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| FatalError::Threads(e.to_string()))?;
    let budget = Arc::new(ThreadBudget::new(jobs * cfg.asr.threads.max(1)));
    // Each job takes the next call from one queue, largest file first, so the batch does not end
    // with one long call running while the other jobs idle (their threads go to it then).
    let queue = largest_first(files);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let finished: Mutex<Vec<Option<BatchEntry>>> = Mutex::new(vec![None; files.len()]);
    pool.scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|_| {
                while let Some(&i) = queue.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let slot = budget.start_call();
                    let report = call::analyze(&files[i], &ids[i], parts, cfg, &budget);
                    drop(slot);
                    let entry = finish_call(report, cfg);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    eprintln!("[{n}/{}] {}", files.len(), describe(&entry));
                    finished.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(entry);
                }
            });
        }
    });
    let entries = finished.into_inner().unwrap_or_else(PoisonError::into_inner).into_iter();
    let summary = summarize(entries.flatten().collect(), cfg, started.elapsed().as_secs_f64());
    let path = cfg.out_dir.join(BATCH_FILE);
    if let Err(e) = write_json_atomic(&path, &summary) {
        eprintln!("{}: write: {e}", path.display());
    }
    Ok(summary)
}

/// The batch's files, once the output folder exists.
fn prepare(cfg: &Config) -> Result<Vec<PathBuf>, FatalError> {
    let files = collect_inputs(&cfg.inputs)?;
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| FatalError::OutDir {
        path: cfg.out_dir.display().to_string(),
        cause: e.to_string(),
    })?;
    Ok(files)
}

fn describe(e: &BatchEntry) -> String {
    match &e.error {
        Some(err) => err.message.clone(),
        None => format!("{}: ok ({:.1} s of audio)", e.path, e.duration_s.unwrap_or(0.0)),
    }
}

fn finish_call(report: CallReport, cfg: &Config) -> BatchEntry {
    let mut entry = BatchEntry::new(&report);
    let out = cfg.out_dir.join(format!("{}.json", report.call_id));
    if let Err(e) = write_json_atomic(&out, &report) {
        let err = CallError::new(Stage::Write, format!("{}: {e}", out.display()));
        entry.status = Status::Error;
        entry.error = Some(ErrorInfo::new(&entry.path, &err));
    }
    entry
}

fn summarize(calls: Vec<BatchEntry>, cfg: &Config, wall_s: f64) -> BatchSummary {
    let ok = calls.iter().filter(|c| c.status == Status::Ok).count();
    let audio_s: f64 = calls.iter().filter_map(|c| c.duration_s).sum();
    let views: Vec<stages::CallView> = calls.iter().filter_map(|c| c.view.clone()).collect();
    BatchSummary {
        schema_version: SCHEMA_VERSION,
        files: calls.len(),
        ok,
        failed: calls.len() - ok,
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
