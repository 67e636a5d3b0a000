//! Rescore: `callgauge score` — applies a (new) sales script to calls already transcribed,
//! without touching audio. QA leads change scripts far more often than they re-run audio.
//!
//! Takes: a call JSON written by `callgauge analyze`, or a transcript from any ASR in the simple
//! format below, plus a script and outcomes. Gives: one [`ScoreDoc`] per input. Must not: run
//! the model or read audio.
//!
//! The transcript format (a subset of the call JSON, so both read the same way):
//!
//! ```json
//! {"call_id": "c1", "language": "en",
//!  "segments": [{"speaker": "agent", "start_s": 0.6, "end_s": 5.7, "text": "Good morning…"}]}
//! ```
//!
//! `speaker` is `agent`, `customer` or `unknown`; `call_id` defaults to the file stem,
//! `language` to every language of the script, and `words` (word times) are optional. From a
//! transcript, the agent's share of speech is the share of segment time and questions are
//! counted on the agent's utterances (segments that run on joined, as in `analyze`) with
//! callgauge's own rule.

use crate::config::TurnConfig;
use crate::discover::{BATCH_FILE, discover};
use crate::error::{CallError, FatalError, Stage};
use crate::output::{to_line, write_json_atomic};
use crate::report::SCHEMA_VERSION;
use crate::stages::{
    self, CallView, ChecklistOut, Facts, Funnel, ObjectionOut, Outcome, OutcomeOut, ScoreOut,
    Script, ScriptInfo, StagesOut, ToneOut,
};
use crate::text::is_question;
use crate::timeline::{Interval, normalize, total_s};
use crate::transcript::{Role, Utterance, utterances};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Input {
    call_id: Option<String>,
    status: Option<String>,
    language: Option<String>,
    duration_s: Option<f64>,
    #[serde(default)]
    segments: Option<Vec<Utterance>>,
    rule_60_40: Option<RuleIn>,
    speakers: Option<SpeakersIn>,
}

#[derive(Deserialize)]
struct RuleIn {
    agent_share_of_speech: Option<f64>,
    agent_questions: Option<usize>,
}

#[derive(Deserialize)]
struct SpeakersIn {
    agent: SpeakerIn,
}

#[derive(Deserialize)]
struct SpeakerIn {
    longest_monologue_s: Option<f64>,
}

/// One rescored call: what `callgauge score` writes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreDoc {
    /// The contract's version: `1`.
    pub schema_version: u32,
    /// The call's id (the transcript's `call_id`, or the file stem).
    pub call_id: String,
    /// The file scored.
    pub input: String,
    /// The transcript's language; `null` when it gave none.
    pub language: Option<String>,
    /// Length of the call, from the call JSON; `null` for a plain transcript.
    pub duration_s: Option<f64>,
    /// The agent, from `--outcomes`.
    pub agent_id: Option<String>,
    /// The sale's result, from `--outcomes`.
    pub outcome: Option<OutcomeOut>,
    /// The sales script applied.
    pub script: ScriptInfo,
    /// Script stages heard.
    pub stages: StagesOut,
    /// The checklist items.
    pub checklist: ChecklistOut,
    /// The objections raised.
    pub objections: Vec<ObjectionOut>,
    /// The quality index and its components.
    pub score: ScoreOut,
    /// The customer's and the agent's tone.
    pub tone: ToneOut,
}

/// Scores the call JSON or transcript at `path`.
pub fn score_file(
    path: &Path,
    script: &Script,
    outcomes: &HashMap<String, Outcome>,
) -> Result<ScoreDoc, CallError> {
    let text = std::fs::read_to_string(path).map_err(|e| CallError::new(Stage::Read, e))?;
    let input: Input = serde_json::from_str(&text).map_err(|e| CallError::new(Stage::Parse, e))?;
    if input.status.as_deref() == Some("error") {
        return Err(CallError::new(Stage::Parse, "the call failed in analysis; nothing to score"));
    }
    let Some(segments) = input.segments else {
        return Err(CallError::new(
            Stage::Parse,
            "no `segments` array: not a call JSON or transcript",
        ));
    };
    let call_id = input.call_id.unwrap_or_else(|| {
        path.file_stem().map_or("call".into(), |s| s.to_string_lossy().into_owned())
    });
    let facts = match input.rule_60_40 {
        Some(rule) => Facts {
            language: input.language.clone(),
            agent_share_of_speech: rule.agent_share_of_speech,
            agent_questions: rule.agent_questions,
            agent_longest_monologue_s: input.speakers.and_then(|s| s.agent.longest_monologue_s),
        },
        None => transcript_facts(input.language.clone(), &segments),
    };
    let outcome = outcomes.get(&call_id);
    // As `analyze` scores them: the model judges turns joined by the default turn bridge.
    let bridge_s = TurnConfig::default().turn_bridge_s;
    let r = stages::evaluate_turns(script, &segments, bridge_s, &facts, outcome);
    Ok(ScoreDoc {
        schema_version: SCHEMA_VERSION,
        call_id,
        input: path.display().to_string(),
        language: input.language,
        duration_s: input.duration_s,
        agent_id: outcome.and_then(|o| o.agent_id.clone()),
        outcome: outcome.map(Outcome::to_out),
        script: r.script,
        stages: r.stages,
        checklist: r.checklist,
        objections: r.objections,
        score: r.score,
        tone: r.tone,
    })
}

/// The call figures a plain transcript can give.
fn transcript_facts(language: Option<String>, segments: &[Utterance]) -> Facts {
    let time = |role: Role| {
        let spans = segments
            .iter()
            .filter(|s| s.speaker == role && s.end_s > s.start_s)
            .map(|s| Interval::new(s.start_s, s.end_s))
            .collect();
        total_s(&normalize(spans))
    };
    let (agent, customer) = (time(Role::Agent), time(Role::Customer));
    let mut known: Vec<Utterance> =
        segments.iter().filter(|s| s.speaker != Role::Unknown).cloned().collect();
    known.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    // As `analyze` counts them: per utterance, segments within the default turn bridge
    // (`--turn-bridge-s`) joined.
    let said = utterances(&known, TurnConfig::default().turn_bridge_s);
    let agent_said = || said.iter().filter(|s| s.speaker == Role::Agent);
    let stereo = agent > 0.0 || customer > 0.0;
    Facts {
        language,
        agent_share_of_speech: (agent + customer > 0.0).then(|| agent / (agent + customer)),
        agent_questions: stereo.then(|| agent_said().filter(|s| is_question(&s.text)).count()),
        // The longest agent utterance: the transcript's view of the longest monologue.
        agent_longest_monologue_s: stereo
            .then(|| agent_said().map(|s| s.end_s - s.start_s).fold(0.0, f64::max)),
    }
}

/// Name of the summary `callgauge score --out` writes next to the scored calls.
pub const SCORES_FILE: &str = "callgauge-scores.json";

/// One line of the scores summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreEntry {
    /// The call's id; `null` when the input could not be read.
    pub call_id: Option<String>,
    /// The file scored.
    pub input: String,
    /// `null` when scored; else `<path>: <stage>: <cause>`.
    pub error: Option<String>,
    /// The agent, from `--outcomes`.
    pub agent_id: Option<String>,
    /// The furthest stage reached.
    pub last_stage: Option<String>,
    /// Weighted share of applicable checklist items passed.
    pub checklist_share: Option<f64>,
    /// The call's quality index (0–100).
    pub quality_index: Option<f64>,
}

/// `<out>/callgauge-scores.json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreSummary {
    /// The contract's version: `1`.
    pub schema_version: u32,
    /// The sales script applied.
    pub script: ScriptInfo,
    /// Inputs scored.
    pub scored: usize,
    /// Inputs that could not be scored.
    pub failed: usize,
    /// Stages reached, objections and mean quality over the scored calls.
    pub script_funnel: Funnel,
    /// One entry per input.
    pub calls: Vec<ScoreEntry>,
}

fn is_call_json(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.ends_with(".json") && name != BATCH_FILE && name != SCORES_FILE
}

/// The cause of a write to a stdout whose reader has gone (`score … | head`): the run stops
/// quietly, as `grep … | head` does.
const READER_GONE: &str = "the reader of stdout has gone";

/// Writes a score document, but never over a file it did not write: a call JSON of `analyze`
/// (its transcript and metrics cannot be had again without the audio) or anything else.
fn write_score(path: &Path, doc: &ScoreDoc) -> std::io::Result<()> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let existing: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let is_score = existing.get("input").is_some() && existing.get("segments").is_none();
        if !is_score {
            return Err(std::io::Error::other(format!(
                "{} exists and is not a score document (a call JSON of `analyze`?); not \
                 overwritten: give `score` its own --out folder",
                path.display()
            )));
        }
    }
    write_json_atomic(path, doc)
}

/// Scores every input; with `out`, writes one document per call and the summary there, else
/// prints the documents to stdout as JSON Lines. A bad input is reported and skipped.
pub fn run(
    inputs: &[PathBuf],
    out: Option<&Path>,
    script: &Script,
    outcomes: &HashMap<String, Outcome>,
) -> Result<ScoreSummary, FatalError> {
    let found = discover(inputs, &is_call_json);
    if found.files.is_empty() && found.missing.is_empty() {
        return Err(FatalError::NoInputs("call JSON or transcript *.json".into()));
    }
    let files: Vec<PathBuf> =
        found.missing.iter().cloned().chain(found.files.into_iter().map(|f| f.path)).collect();
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| FatalError::OutDir {
            path: dir.display().to_string(),
            cause: e.to_string(),
        })?;
    }
    let mut calls = Vec::new();
    let mut views = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for path in &files {
        let shown = path.display().to_string();
        let written = score_file(path, script, outcomes).and_then(|doc| {
            match out {
                Some(dir) => write_score(&dir.join(format!("{}.json", doc.call_id)), &doc),
                None => to_line(&doc).and_then(|line| stdout.write_all(&line)),
            }
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => CallError::new(Stage::Write, READER_GONE),
                _ => CallError::new(Stage::Write, e),
            })?;
            Ok(doc)
        });
        // Regression: `score … | head` counted every call after `head` quit as failed.
        if written.as_ref().is_err_and(|e| e.cause == READER_GONE) {
            break;
        }
        let entry = match written {
            Ok(doc) => {
                eprintln!(
                    "{shown}: last stage {}, checklist {}, quality {}",
                    doc.stages.last.as_deref().unwrap_or("none"),
                    doc.checklist.share.map_or("n/a".into(), |s| format!("{:.0} %", 100.0 * s)),
                    doc.score.quality_index.map_or("n/a".into(), |q| format!("{q:.1}")),
                );
                views.push(CallView::new(&doc.stages, &doc.objections, doc.score.quality_index));
                ScoreEntry {
                    call_id: Some(doc.call_id),
                    input: shown,
                    error: None,
                    agent_id: doc.agent_id,
                    last_stage: doc.stages.last,
                    checklist_share: doc.checklist.share,
                    quality_index: doc.score.quality_index,
                }
            }
            Err(e) => {
                let message = format!("{shown}: {e}");
                eprintln!("{message}");
                ScoreEntry {
                    call_id: None,
                    input: shown,
                    error: Some(message),
                    agent_id: None,
                    last_stage: None,
                    checklist_share: None,
                    quality_index: None,
                }
            }
        };
        calls.push(entry);
    }
    let failed = calls.iter().filter(|c| c.error.is_some()).count();
    let summary = ScoreSummary {
        schema_version: SCHEMA_VERSION,
        script: script.info(),
        scored: calls.len() - failed,
        failed,
        script_funnel: Funnel::new(script, &views),
        calls,
    };
    if let Some(dir) = out {
        let path = dir.join(SCORES_FILE);
        if let Err(e) = write_json_atomic(&path, &summary) {
            eprintln!("{}: write: {e}", path.display());
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn scores_a_plain_transcript() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c7.json",
            r#"{"language":"en","segments":[
              {"speaker":"agent","start_s":0,"end_s":3,"text":"Good morning! How many orders do you place?"},
              {"speaker":"customer","start_s":3.5,"end_s":5.5,"text":"That is too expensive."},
              {"speaker":"agent","start_s":6,"end_s":9,"text":"I understand, our prices are lower."}]}"#,
        );
        let script = stages::script::default_script().unwrap();
        let outcomes = HashMap::from([(
            "c7".to_string(),
            Outcome { agent_id: Some("a1".into()), won: Some(true), amount: Some(2000.0) },
        )]);
        let doc = score_file(&p, &script, &outcomes).unwrap();
        assert_eq!(doc.call_id, "c7");
        assert_eq!(doc.agent_id.as_deref(), Some("a1"));
        assert_eq!(doc.stages.reached, ["greeting", "needs_discovery", "objection_handling"]);
        assert_eq!(doc.objections.len(), 1);
        assert_eq!(doc.objections[0].agent_pause_s, Some(0.5));
        assert_eq!(doc.score.components.rule_60_40.value, Some(0.0)); // agent share 6/8 = 0.75
        assert_eq!(doc.score.components.deal.value, Some(1.0));
    }

    #[test]
    fn a_transcript_counts_questions_per_utterance_not_per_segment() {
        let seg = |speaker, start_s, end_s, text: &str| Utterance {
            speaker,
            start_s,
            end_s,
            text: text.into(),
            words: Vec::new(),
        };
        let (a, c) = (Role::Agent, Role::Customer);
        // Out of order, as another ASR may write them; one question cut in two.
        let segments = [
            seg(a, 1.2, 1.6, "down?"),
            seg(a, 0.0, 1.2, "Are you putting them"),
            seg(c, 2.0, 3.0, "Yes."),
            seg(a, 3.5, 5.0, "Which day suits you?"),
            seg(a, 5.2, 9.5, "We come at eight."),
        ];
        let facts = transcript_facts(None, &segments);
        assert_eq!(facts.agent_questions, Some(2));
        assert_eq!(facts.agent_longest_monologue_s, Some(6.0));
    }

    /// Regression: `callgauge score out/ --out out/` replaced every call JSON (transcript,
    /// speakers, metrics) with a score document.
    #[test]
    fn score_never_overwrites_a_call_json() {
        let dir = tempfile::tempdir().unwrap();
        let call = r#"{"call_id":"c1","status":"ok","language":"en","segments":[
            {"speaker":"agent","start_s":0,"end_s":3,"text":"Good morning!"}]}"#;
        let p = write(dir.path(), "c1.json", call);
        let script = stages::script::default_script().unwrap();
        let summary =
            run(std::slice::from_ref(&p), Some(dir.path()), &script, &HashMap::new()).unwrap();
        assert_eq!((summary.scored, summary.failed), (0, 1));
        let error = summary.calls[0].error.as_deref().unwrap();
        assert!(error.contains("is not a score document"), "{error}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), call, "the call JSON was touched");
        // Its own earlier output it replaces.
        let out = dir.path().join("scored");
        run(std::slice::from_ref(&p), Some(&out), &script, &HashMap::new()).unwrap();
        let again = run(&[p], Some(&out), &script, &HashMap::new()).unwrap();
        assert_eq!((again.scored, again.failed), (1, 0));
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let script = stages::script::default_script().unwrap();
        let none = HashMap::new();
        let err = |name: &str, text: &str| {
            score_file(&write(dir.path(), name, text), &script, &none).unwrap_err().to_string()
        };
        assert!(err("a.json", "{not json").starts_with("parse: key must be a string"));
        assert!(err("b.json", r#"{"call_id":"x"}"#).contains("no `segments` array"));
        assert!(
            err("c.json", r#"{"status":"error","segments":[]}"#).contains("failed in analysis")
        );
        let e =
            err("d.json", r#"{"segments":[{"speaker":"boss","start_s":0,"end_s":1,"text":"hi"}]}"#);
        assert!(e.contains("unknown variant `boss`"), "{e}");
        let missing = score_file(&dir.path().join("nope.json"), &script, &none).unwrap_err();
        assert_eq!(missing.stage, Stage::Read);
    }
}
