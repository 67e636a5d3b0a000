//! Report: the per-call JSON contract (schema version 1) and the batch summary.
//!
//! Takes: the results of every stage for one call. Gives: the serde types written to
//! `<out>/<call_id>.json`, field for field as documented in README.md and published as
//! `schema/call.v1.schema.json`. Paths in the contract are never renamed or removed; new fields
//! may be added. Must not: compute metrics (see `metrics`) or write files (see `pipeline`).

use crate::error::{CallError, Stage};
use crate::metrics::{Conversation, Rule6040, Speakers};
use crate::stages::{
    CallView, ChecklistOut, Funnel, ObjectionOut, OutcomeOut, ScoreOut, ScriptResult, StagesOut,
    script::ScriptInfo,
};
use serde::{Deserialize, Serialize};

/// The contract's version; bumped only for a change that could break a reader.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Stereo,
    Mono,
}

/// One call's JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    pub schema_version: u32,
    pub callgauge_version: &'static str,
    pub call_id: String,
    pub status: Status,
    pub error: Option<ErrorInfo>,
    pub source: Source,
    pub duration_s: Option<f64>,
    pub mode: Option<Mode>,
    pub language: Option<String>,
    pub model: ModelInfo,
    pub speakers: Option<Speakers>,
    pub conversation: Option<Conversation>,
    pub rule_60_40: Option<Rule6040>,
    /// The agent, from `--outcomes`; `null` when not given.
    pub agent_id: Option<String>,
    /// The sale's result, from `--outcomes`; `null` when not given.
    pub outcome: Option<OutcomeOut>,
    /// The sales script the call was scored against.
    pub script: Option<ScriptInfo>,
    pub stages: Option<StagesOut>,
    pub checklist: Option<ChecklistOut>,
    pub objections: Option<Vec<ObjectionOut>>,
    pub score: Option<ScoreOut>,
    pub segments: Vec<SegmentOut>,
    pub timings_s: Timings,
}

/// Why a call failed: the stage and a message naming the file, the stage and the cause.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorInfo {
    pub stage: Stage,
    pub message: String,
}

impl ErrorInfo {
    /// The error of the file at `path`: the message reads `<path>: <stage>: <cause>`.
    pub fn new(path: &str, err: &CallError) -> Self {
        ErrorInfo { stage: err.stage, message: format!("{path}: {err}") }
    }
}

/// The recording as found on disk.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Source {
    pub path: String,
    pub sha256: Option<String>,
    pub codec: Option<String>,
    pub sample_rate_hz: Option<u32>,
    pub channels: Option<usize>,
    /// Packets the decoder could not read and skipped.
    pub skipped_packets: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub name: String,
    pub sha256: String,
}

/// Who speaks: `agent`, `customer`, or `unknown` (mono).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Customer,
    Unknown,
}

/// A transcribed stretch of one speaker's speech.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentOut {
    pub speaker: Role,
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    /// Word times from Whisper's alignment; may be absent from transcripts made elsewhere.
    #[serde(default)]
    pub words: Vec<WordOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WordOut {
    pub text: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// Wall-clock seconds per stage for this call (these vary run to run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub decode: f64,
    pub resample: f64,
    pub vad: f64,
    pub transcribe: f64,
    pub metrics: f64,
    pub total: f64,
}

impl CallReport {
    /// A report with nothing measured yet.
    pub fn new(call_id: String, source: Source, model: ModelInfo) -> Self {
        CallReport {
            schema_version: SCHEMA_VERSION,
            callgauge_version: env!("CARGO_PKG_VERSION"),
            call_id,
            status: Status::Ok,
            error: None,
            source,
            duration_s: None,
            mode: None,
            language: None,
            model,
            speakers: None,
            conversation: None,
            rule_60_40: None,
            agent_id: None,
            outcome: None,
            script: None,
            stages: None,
            checklist: None,
            objections: None,
            score: None,
            segments: Vec::new(),
            timings_s: Timings::default(),
        }
    }

    /// Adds what the sales script found.
    pub fn set_script(&mut self, r: ScriptResult) {
        self.script = Some(r.script);
        self.stages = Some(r.stages);
        self.checklist = Some(r.checklist);
        self.objections = Some(r.objections);
        self.score = Some(r.score);
    }

    /// The record of a call that failed at some stage; what was learnt before it is kept.
    pub fn failed(call_id: String, source: Source, model: ModelInfo, err: &CallError) -> Self {
        let error = Some(ErrorInfo::new(&source.path, err));
        CallReport { status: Status::Error, error, ..CallReport::new(call_id, source, model) }
    }
}

/// One line of the batch summary.
#[derive(Debug, Clone, Serialize)]
pub struct BatchEntry {
    pub call_id: String,
    pub path: String,
    pub status: Status,
    pub error: Option<ErrorInfo>,
    pub duration_s: Option<f64>,
    pub agent_id: Option<String>,
    /// The furthest script stage reached.
    pub last_stage: Option<String>,
    pub quality_index: Option<f64>,
    /// What the batch's funnel needs of this call.
    #[serde(skip)]
    pub view: Option<CallView>,
}

impl BatchEntry {
    pub fn new(r: &CallReport) -> Self {
        let view = r.stages.as_ref().map(|s| {
            let quality = r.score.as_ref().and_then(|s| s.quality_index);
            CallView::new(s, r.objections.as_deref().unwrap_or_default(), quality)
        });
        BatchEntry {
            call_id: r.call_id.clone(),
            path: r.source.path.clone(),
            status: r.status,
            error: r.error.clone(),
            duration_s: r.duration_s,
            agent_id: r.agent_id.clone(),
            last_stage: r.stages.as_ref().and_then(|s| s.last.clone()),
            quality_index: r.score.as_ref().and_then(|s| s.quality_index),
            view,
        }
    }
}

/// `<out>/callgauge-batch.json`: what a batch did, written when it ends.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    pub schema_version: u32,
    pub files: usize,
    pub ok: usize,
    pub failed: usize,
    pub jobs: usize,
    pub threads_per_job: usize,
    pub audio_s: f64,
    pub wall_s: f64,
    /// Seconds of call audio processed per wall-clock second.
    pub audio_s_per_wall_s: f64,
    /// Stages reached, objections and mean quality over the calls that were scored.
    pub script_funnel: Funnel,
    pub calls: Vec<BatchEntry>,
}

/// Rounds to milliseconds: finer digits are noise and make documents harder to diff.
pub fn ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
