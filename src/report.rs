//! Report: the per-call JSON contract (schema version 1) and the batch summary.
//!
//! Takes: the results of every stage for one call. Gives: the serde types written to
//! `<out>/<call_id>.json` and `<out>/callgauge-batch.json`; `schema/*.schema.json` are generated
//! from them (`crate::schema`). Paths in the contract are never renamed or removed; new fields
//! may be added. Must not: compute metrics (see `metrics`), round figures (see `output`) or
//! write files (see `pipeline`).

use crate::error::{CallError, Stage};
use crate::metrics::{Conversation, Rule6040, Speakers};
use crate::redact::{self, Level, Side};
pub use crate::speakers::Mode;
use crate::stages::{
    CallView, ChecklistOut, Funnel, ObjectionOut, OutcomeOut, ScoreOut, ScriptResult, StagesOut,
    ToneOut, script::ScriptInfo,
};
pub use crate::transcribe::ModelInfo;
use crate::transcript::{Role, Utterance};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The contract's version; bumped only for a change that could break a reader.
pub const SCHEMA_VERSION: u32 = 1;

/// Whether the call was analyzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Error,
}

/// One call's JSON document, `<out>/<call_id>.json`. Times are seconds on the call's clock,
/// shares fractions in [0, 1], every figure rounded to 3 decimals. A failed call has
/// `status: "error"`, the `error` object, what was learnt before the failure, and `null` for
/// the rest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CallReport {
    /// The contract's version: `1`. Within it fields are only added, never renamed or removed.
    pub schema_version: u32,
    /// Version of callgauge that wrote the document.
    pub callgauge_version: &'static str,
    /// The file stem, unique within the batch (`-2`, `-3`, … appended on a clash).
    pub call_id: String,
    pub status: Status,
    /// `null`, or why the call failed.
    pub error: Option<ErrorInfo>,
    pub source: Source,
    /// Length of the recording, seconds.
    pub duration_s: Option<f64>,
    /// `stereo` (speakers by channel) or `mono`.
    pub mode: Option<Mode>,
    /// On a mono call: how its voices were told apart and which is the agent; `null` on stereo
    /// calls, with `--no-diarize`, and in documents written before 0.7.0.
    pub diarization: Option<Diarization>,
    /// ISO 639-1 code of the language the call was transcribed in; `null` when there was no
    /// speech to transcribe.
    pub language: Option<String>,
    /// What makes this call's figures unreliable or worth a look; empty for most calls. A call
    /// with `no_speech`, `too_short` or `truncated` is left out of the batch's funnel and means.
    pub warnings: Vec<Warning>,
    pub model: ModelInfo,
    /// Per-speaker figures; in a mono call every figure is `null` with `unavailable_reason`.
    pub speakers: Option<Speakers>,
    /// Whole-call timing: speech, silence, overlap, dead air, interruptions.
    pub conversation: Option<Conversation>,
    /// The 60/40 rule and the agent's questions; `null` figures when not measurable.
    pub rule_60_40: Option<Rule6040>,
    /// Every utterance counted as a question, either speaker's, in call order, with the rule
    /// that made it one; the agent's are `rule_60_40.agent_questions`. An utterance is one
    /// speaker's segments that run on with gaps under `--turn-bridge-s` (1 s) and no other
    /// speaker's segment starting between (since 0.13.0; before, each segment). `null` when the
    /// call failed and in documents written before 0.7.0.
    pub questions: Option<Vec<QuestionOut>>,
    /// The agent, from `--outcomes`; `null` when not given.
    pub agent_id: Option<String>,
    /// The sale's result, from `--outcomes`; `null` when not given.
    pub outcome: Option<OutcomeOut>,
    /// The sales script the call was scored against.
    pub script: Option<ScriptInfo>,
    /// Script stages heard: reached, when, order violations, every hit with its words.
    pub stages: Option<StagesOut>,
    /// The script's checklist items, each passed or not with its evidence.
    pub checklist: Option<ChecklistOut>,
    /// The objections the customer raised, in call order.
    pub objections: Option<Vec<ObjectionOut>>,
    /// The quality index and its components.
    pub score: Option<ScoreOut>,
    /// The customer's and the agent's tone, per call and per utterance, from the script's
    /// `[tone]` cues. `null` when the call failed and in documents written before 0.8.0.
    pub tone: Option<ToneOut>,
    /// The timed transcript, sorted by start.
    pub segments: Vec<Utterance>,
    /// What `--redact` replaced in the texts above (`null` in documents written before 0.5.0).
    pub redaction: Option<redact::RedactionOut>,
    /// Wall seconds per stage for this call.
    pub timings_s: Timings,
    /// sha256 of what besides the recording and the model shapes this document (callgauge
    /// version, options, script, the call's outcome row). A rerun into the same folder keeps a
    /// finished call whose recording, model and settings are unchanged.
    pub settings_sha256: Option<String>,
}

/// An utterance counted as a question, and why.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct QuestionOut {
    pub speaker: Role,
    /// When the utterance starts.
    pub at_s: f64,
    /// The utterance's words: its segments' texts joined by a space.
    pub text: String,
    /// What made it a question: `question mark`, `tag question` (", right?", ", да"), `asking
    /// phrase` («ли», «скажите, …», "could you tell me"), `alternative question` («вам нужен
    /// кабинет или места в зале»), `opening «а»` («А с трудоустройством помогаете»), `вы and a
    /// verb` («Вы сейчас набираете менеджеров»), `opening verb of «вы»` («Сможете подъехать в
    /// пятницу»), `verb of «вы»` («Квартиру давно сдаёте»), `opening «то есть»` («То есть если
    /// штраф, платите вы»), `question word` (first word), `auxiliary and subject` ("do you",
    /// "are we"), `infinitive question` («Отправить вам счёт»), or `question word after a
    /// comma`.
    pub rule: String,
}

impl QuestionOut {
    /// The questions among a call's utterances.
    pub fn find(segments: &[Utterance]) -> Vec<QuestionOut> {
        segments
            .iter()
            .filter_map(|u| {
                let rule = crate::text::question_rule(&u.text)?;
                Some(QuestionOut {
                    speaker: u.speaker,
                    at_s: u.start_s,
                    text: u.text.clone(),
                    rule: rule.into(),
                })
            })
            .collect()
    }
}

/// How a mono call's voices were separated, and which one was taken for the agent.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Diarization {
    /// Voices found: 2, or 1 when one voice holds (nearly) all the speech.
    pub speakers: usize,
    /// `ge2e-windows-2means`: GE2E voice embeddings of 1.6 s windows of speech every 0.8 s,
    /// split in two by spherical 2-means; each 10 ms of speech goes to the nearer voice.
    pub method: String,
    /// The speaker-embedding weights.
    pub model: Option<ModelInfo>,
    /// How sure the agent/customer assignment is, from 0.5 (a coin toss) to 1; `null` with one
    /// voice.
    pub confidence: Option<f64>,
    /// The roles were assigned (`confidence` ≥ 0.7). When `false`, the call keeps one `unknown`
    /// speaker and per-speaker figures are `null` with the reason.
    pub roles_assigned: bool,
    /// What decided which voice is the agent: the script stages each voice reaches when taken
    /// for the agent, and who spoke first.
    pub evidence: Option<String>,
}

/// Something about a call that makes its figures unreliable or worth a look.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Warning {
    pub code: WarningCode,
    /// What was found, in words.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Less than 0.5 s of speech: nothing was transcribed.
    NoSpeech,
    /// Shorter than 5 s.
    TooShort,
    /// The file holds less than 90 % of the audio its header promises.
    Truncated,
    /// A stereo call whose customer channel says more of the agent's script than the agent's
    /// channel: `--agent-channel` is probably wrong for this recorder.
    ChannelsMaySwapped,
}

impl WarningCode {
    /// Whether a call with this warning is left out of the batch's funnel and means.
    pub fn excludes(self) -> bool {
        !matches!(self, WarningCode::ChannelsMaySwapped)
    }
}

/// Why a call failed: the stage and a message naming the file, the stage and the cause.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorInfo {
    pub stage: Stage,
    /// `<path>: <stage>: <cause>`.
    pub message: String,
}

impl ErrorInfo {
    /// The error of the file at `path`: the message reads `<path>: <stage>: <cause>`.
    pub fn new(path: &str, err: &CallError) -> Self {
        ErrorInfo { stage: err.stage, message: format!("{path}: {err}") }
    }
}

/// The recording as found on disk.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Source {
    /// The path the recording was read from.
    pub path: String,
    /// sha256 of the file's bytes.
    pub sha256: Option<String>,
    /// The codec as the decoder names it (e.g. `pcm_mulaw`, `mp3`).
    pub codec: Option<String>,
    /// The recording's sample rate.
    pub sample_rate_hz: Option<u32>,
    /// 1 or 2.
    pub channels: Option<usize>,
    /// Packets the decoder could not read and skipped.
    pub skipped_packets: u64,
}

/// Wall-clock seconds per stage for this call (these vary run to run).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Timings {
    /// Reading and decoding the file.
    pub decode: f64,
    /// Resampling to 16 kHz.
    pub resample: f64,
    /// Voice activity detection and speaker tracks.
    pub vad: f64,
    /// Separating a mono call's voices (part of no other stage; 0 on stereo calls).
    pub diarize: f64,
    /// Language detection and transcription.
    pub transcribe: f64,
    /// Metrics and the sales script.
    pub metrics: f64,
    /// The whole call, hashing and writing included.
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
            diarization: None,
            language: None,
            warnings: Vec::new(),
            model,
            speakers: None,
            conversation: None,
            rule_60_40: None,
            questions: None,
            agent_id: None,
            outcome: None,
            script: None,
            stages: None,
            checklist: None,
            objections: None,
            score: None,
            tone: None,
            segments: Vec::new(),
            redaction: None,
            timings_s: Timings::default(),
            settings_sha256: None,
        }
    }

    /// Adds what the sales script found.
    pub fn set_script(&mut self, r: ScriptResult) {
        self.script = Some(r.script);
        self.stages = Some(r.stages);
        self.checklist = Some(r.checklist);
        self.objections = Some(r.objections);
        self.score = Some(r.score);
        self.tone = Some(r.tone);
    }

    /// Redacts every text of a call document: segments and their words, stage hits, checklist
    /// evidence and objections.
    pub fn redact(&mut self, level: Level) {
        let mut counts = BTreeMap::new();
        if level != Level::None {
            for u in &mut self.segments {
                redact::redact_segment(u, level, &mut counts);
            }
            let mut scratch = BTreeMap::new();
            if let Some(st) = &mut self.stages {
                for h in &mut st.hits {
                    h.text = redact::redact(&h.text, Side::from(h.speaker), level, &mut scratch);
                    // The model's evidence quotes the call's words.
                    if h.method == crate::stages::Method::Model {
                        h.phrase =
                            redact::redact(&h.phrase, Side::from(h.speaker), level, &mut scratch);
                    }
                }
            }
            if let Some(c) = &mut self.checklist {
                for item in &mut c.items {
                    if let Some(e) = &mut item.evidence {
                        e.text = redact::redact(&e.text, Side::Agent, level, &mut scratch);
                    }
                }
            }
            for o in self.objections.iter_mut().flatten() {
                o.text = redact::redact(&o.text, Side::Customer, level, &mut scratch);
            }
            for q in self.questions.iter_mut().flatten() {
                q.text = redact::redact(&q.text, Side::from(q.speaker), level, &mut scratch);
            }
            for l in self.tone.iter_mut().flat_map(|t| &mut t.labels) {
                l.text = redact::redact(&l.text, Side::from(l.speaker), level, &mut scratch);
                l.matched = redact::redact(&l.matched, Side::from(l.speaker), level, &mut scratch);
            }
        }
        self.redaction = Some(redact::RedactionOut { level, redacted: counts });
    }

    /// The record of a call that failed at some stage; what was learnt before it is kept.
    pub fn failed(call_id: String, source: Source, model: ModelInfo, err: &CallError) -> Self {
        let error = Some(ErrorInfo::new(&source.path, err));
        CallReport { status: Status::Error, error, ..CallReport::new(call_id, source, model) }
    }
}

/// One line of the batch summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchEntry {
    /// The call's id: its JSON is `<call_id>.json`.
    pub call_id: String,
    /// The recording's path.
    pub path: String,
    pub status: Status,
    /// `null`, or why the call failed.
    pub error: Option<ErrorInfo>,
    /// Length of the recording, seconds; `null` if unknown.
    pub duration_s: Option<f64>,
    /// `stereo` or `mono`; `null` when the call failed.
    pub mode: Option<Mode>,
    /// The call's language; `null` when it failed or holds no speech.
    pub language: Option<String>,
    /// The agent's share of speech (the 60/40 rule's figure); `null` on mono calls whose voices
    /// were not told apart.
    pub agent_share_of_speech: Option<f64>,
    /// The 60/40 verdict: `true` when the agent talked at most the allowed share.
    pub passed_60_40: Option<bool>,
    /// The agent, from `--outcomes`.
    pub agent_id: Option<String>,
    /// The furthest script stage reached.
    pub last_stage: Option<String>,
    /// The call's quality index (0–100).
    pub quality_index: Option<f64>,
    /// `tone.customer.irritated`: the customer was irritated at least once; `null` when the
    /// customer was not heard apart (mono without voices) or the call failed.
    pub customer_irritated: Option<bool>,
    /// `tone.customer.shares.interested`.
    pub customer_interested_share: Option<f64>,
    /// `true` when the result was kept from an earlier run into the same folder, not analyzed
    /// again.
    pub kept: bool,
    /// The codes of the call's warnings.
    pub warnings: Vec<WarningCode>,
    /// `true` when a warning leaves the call out of the funnel and means (no speech, too short,
    /// truncated).
    pub excluded: bool,
    /// What the batch's funnel needs of this call.
    #[serde(skip)]
    pub view: Option<CallView>,
}

impl BatchEntry {
    pub fn new(r: &CallReport) -> Self {
        let customer = r.tone.as_ref().and_then(|t| t.customer.as_ref());
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
            mode: r.mode,
            language: r.language.clone(),
            agent_share_of_speech: r.rule_60_40.as_ref().and_then(|x| x.agent_share_of_speech),
            passed_60_40: r.rule_60_40.as_ref().and_then(|x| x.passed),
            agent_id: r.agent_id.clone(),
            last_stage: r.stages.as_ref().and_then(|s| s.last.clone()),
            quality_index: r.score.as_ref().and_then(|s| s.quality_index),
            customer_irritated: customer.map(|c| c.irritated),
            customer_interested_share: customer.map(|c| c.shares.interested),
            kept: false,
            warnings: r.warnings.iter().map(|w| w.code).collect(),
            excluded: r.warnings.iter().any(|w| w.code.excludes()),
            view,
        }
    }

    /// The entry of a call JSON written by an earlier run (`kept`); `None` if it is not one.
    pub fn from_stored(doc: &Value) -> Option<Self> {
        let text = |v: &Value| v.as_str().map(String::from);
        let status = match doc["status"].as_str()? {
            "ok" => Status::Ok,
            _ => Status::Error,
        };
        let quality_index = doc["score"]["quality_index"].as_f64();
        let warnings: Vec<WarningCode> = doc["warnings"]
            .as_array()
            .map(|a| {
                a.iter().filter_map(|w| serde_json::from_value(w["code"].clone()).ok()).collect()
            })
            .unwrap_or_default();
        let excluded = warnings.iter().any(|w| w.excludes());
        let view = doc["stages"].is_object().then(|| CallView {
            reached: doc["stages"]["reached"]
                .as_array()
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default(),
            last: text(&doc["stages"]["last"]),
            objections: doc["objections"]
                .as_array()
                .map(|a| {
                    let pair = |o: &Value| Some((text(&o["category"])?, o["handled"].as_bool()?));
                    a.iter().filter_map(pair).collect()
                })
                .unwrap_or_default(),
            quality_index,
        });
        Some(BatchEntry {
            call_id: text(&doc["call_id"])?,
            path: text(&doc["source"]["path"])?,
            status,
            error: None,
            duration_s: doc["duration_s"].as_f64(),
            mode: serde_json::from_value(doc["mode"].clone()).ok(),
            language: text(&doc["language"]),
            agent_share_of_speech: doc["rule_60_40"]["agent_share_of_speech"].as_f64(),
            passed_60_40: doc["rule_60_40"]["passed"].as_bool(),
            agent_id: text(&doc["agent_id"]),
            last_stage: text(&doc["stages"]["last"]),
            quality_index,
            customer_irritated: doc["tone"]["customer"]["irritated"].as_bool(),
            customer_interested_share: doc["tone"]["customer"]["shares"]["interested"].as_f64(),
            kept: true,
            warnings,
            excluded,
            view,
        })
    }
}

/// `<out>/callgauge-batch.json`: what a batch did, rewritten after every call, so a killed
/// batch leaves a summary at most one call behind.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchSummary {
    /// The contract's version: `1`.
    pub schema_version: u32,
    /// Inputs in the batch: files found plus input paths that do not exist.
    pub files: usize,
    /// Calls analyzed, or kept from an earlier run.
    pub ok: usize,
    /// Calls with an error record.
    pub failed: usize,
    /// Calls not done (yet): the batch is running, or was stopped.
    pub pending: usize,
    /// `true` when the batch was stopped (SIGINT or SIGTERM) before every call was done; a rerun
    /// into the same folder does the rest.
    pub interrupted: bool,
    /// Calls kept from an earlier run into the same folder (same recording, model and
    /// settings), not analyzed again.
    pub kept: usize,
    /// Calls left out of the funnel and its means: no speech, too short or truncated.
    pub excluded: usize,
    /// Files and folders under the inputs that were passed over, counted by reason (`hidden`,
    /// `extension .txt`, `symlink loop`, …).
    pub skipped_files: BTreeMap<String, usize>,
    /// Calls processed in parallel.
    pub jobs: usize,
    /// Whisper threads per call (idle jobs lend theirs at the batch's tail).
    pub threads_per_job: usize,
    /// Seconds of audio in the calls analyzed by this run (kept calls left out).
    pub audio_s: f64,
    /// Wall-clock seconds the batch took.
    pub wall_s: f64,
    /// Seconds of call audio processed per wall-clock second.
    pub audio_s_per_wall_s: f64,
    /// Stages reached, objections and mean quality over the calls that were scored.
    pub script_funnel: Funnel,
    /// One entry per file, in input order.
    pub calls: Vec<BatchEntry>,
}
