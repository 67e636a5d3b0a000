//! Shared helpers for the integration tests: they run the real binary with the real model.
#![allow(dead_code)] // each test file uses a different part

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real Whisper base model; the tests do not run without it.
pub fn model() -> PathBuf {
    let path = root().join("models/ggml-base.bin");
    assert!(
        path.is_file(),
        "{} is missing: run `python3 models/provision.py` first (the integration tests use the real model)",
        path.display()
    );
    path
}

/// Real recorded speech: `jfk.wav` (11 s, 16 kHz mono), fetched from PyPI and sha256-checked.
pub fn jfk() -> std::path::PathBuf {
    let out = Command::new("python3")
        .arg(root().join("fixtures/fetch_real_speech.py"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "fetch_real_speech.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(path.is_file(), "test file is missing: {}", path.display());
    path
}

/// A real two-party telephone-band conversation (30 s, 16 kHz mono) with its speaker labels
/// (RTTM), from the pyannote.audio 3.3.2 wheel on PyPI, sha256-checked: (wav, rttm).
pub fn two_party() -> (PathBuf, PathBuf) {
    let out = Command::new("python3")
        .arg(root().join("fixtures/fetch_real_speech.py"))
        .arg("--two-party")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "fetch_real_speech.py --two-party failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wav = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (wav.clone(), wav.with_extension("rttm"))
}

pub struct Run {
    pub code: i32,
    pub stderr: String,
}

/// Runs `callgauge analyze <inputs> --out <out> <extra>` with the real model.
pub fn analyze(inputs: &[&Path], out: &Path, extra: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .arg("analyze")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--model")
        .arg(model())
        .args(extra)
        .output()
        .expect("the callgauge binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run { code: output.status.code().unwrap_or(-1), stderr }
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts a call report is valid against the published JSON Schema.
pub fn assert_schema_valid(doc: &Value) {
    assert_valid_as(doc, "call.v1.schema.json");
}

/// Asserts a document is valid against the published schema `schema/<file>`.
pub fn assert_valid_as(doc: &Value, file: &str) {
    static SCHEMAS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let validator = {
        let mut cache = SCHEMAS.get_or_init(Default::default).lock().unwrap();
        let entry = cache.entry(file.to_string()).or_insert_with(|| {
            let schema = read_json(&root().join("schema").join(file));
            Arc::new(jsonschema::validator_for(&schema).expect("the schema compiles"))
        });
        Arc::clone(entry)
    };
    let errors: Vec<String> =
        validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    let id = doc.get("call_id").unwrap_or(&Value::Null);
    assert!(errors.is_empty(), "{file}: {id} violates the schema: {errors:#?}");
}

/// The transcript of a report as one lowercase string without punctuation.
pub fn transcript(doc: &Value) -> String {
    let text: Vec<&str> = doc["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["text"].as_str())
        .collect();
    normalize(&text.join(" "))
}

pub fn normalize(text: &str) -> String {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Stage hits scored against the planted stages of a dialogue (`truth.json` lines tagged
/// `stage:<id>`): a planted line is found when a hit of its stage starts within it (±0.3 s); a
/// hit is right when it starts within a line planted with its stage, or tagged `also:<id>` (a
/// part of the line that may be read as that stage too; it need not be found).
#[derive(Debug, Default, Clone, Copy)]
pub struct StageCounts {
    pub planted: usize,
    pub found: usize,
    pub hits: usize,
    pub right: usize,
}

impl StageCounts {
    pub fn add(&mut self, lines: &Value, hits: &Value) {
        let within = |l: &Value, t: f64| {
            t >= l["start_s"].as_f64().unwrap() - 0.3 && t <= l["end_s"].as_f64().unwrap() + 0.3
        };
        let stage_of = |l: &Value| -> Vec<String> {
            l["tags"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t.as_str().unwrap().strip_prefix("stage:").map(String::from))
                .collect()
        };
        let hits = hits.as_array().unwrap();
        for line in lines.as_array().unwrap() {
            for stage in stage_of(line) {
                self.planted += 1;
                let found = hits.iter().any(|h| {
                    h["stage"] == stage.as_str() && within(line, h["start_s"].as_f64().unwrap())
                });
                self.found += usize::from(found);
            }
        }
        for h in hits {
            self.hits += 1;
            let at = h["start_s"].as_f64().unwrap();
            let also = |l: &Value| {
                l["tags"].as_array().unwrap().iter().any(|t| {
                    t.as_str().unwrap().strip_prefix("also:").is_some_and(|s| h["stage"] == s)
                })
            };
            let right = lines.as_array().unwrap().iter().any(|l| {
                within(l, at) && (stage_of(l).iter().any(|s| h["stage"] == s.as_str()) || also(l))
            });
            self.right += usize::from(right);
        }
    }

    pub fn recall(&self) -> f64 {
        self.found as f64 / self.planted.max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        self.right as f64 / self.hits.max(1) as f64
    }
}

/// fixtures/truth.json: what the generator planted in each fixture.
pub fn truth() -> Value {
    read_json(&root().join("fixtures/truth.json"))
}

/// Total seconds of a `[[start, end], …]` list.
pub fn total(list: &Value) -> f64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|iv| iv[1].as_f64().unwrap() - iv[0].as_f64().unwrap())
        .sum()
}

/// The planted truth of a language's dialogue.
pub struct Planted {
    pub dead_air: Vec<(f64, f64)>,
    pub interruption_starts: Vec<f64>,
    pub backchannels: usize,
    pub turns: [usize; 2],
    pub agent_questions: usize,
    /// Truth words per minute of own speech, agent and customer.
    pub wpm: [f64; 2],
}

pub fn planted(t: &Value) -> Planted {
    let lines = t["lines"].as_array().unwrap();
    let tagged = |l: &Value, tag: &str| l["tags"].as_array().unwrap().iter().any(|x| x == tag);
    let by = |l: &Value, who: &str| l["speaker"] == who;
    let mut speech: Vec<(f64, f64)> = ["agent", "customer"]
        .iter()
        .flat_map(|r| {
            t["speech"][r]
                .as_array()
                .unwrap()
                .iter()
                .map(|iv| (iv[0].as_f64().unwrap(), iv[1].as_f64().unwrap()))
        })
        .collect();
    speech.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut dead_air = Vec::new();
    let mut end = speech[0].1;
    for &(s, e) in &speech[1..] {
        if s - end >= 2.0 {
            dead_air.push((end, s));
        }
        end = end.max(e);
    }
    let words = |who: &str| -> f64 {
        lines
            .iter()
            .filter(|l| by(l, who))
            .map(|l| l["text"].as_str().unwrap().split_whitespace().count())
            .sum::<usize>() as f64
    };
    let wpm = ["agent", "customer"].map(|r| words(r) * 60.0 / total(&t["speech"][r]));
    Planted {
        dead_air,
        interruption_starts: lines
            .iter()
            .filter(|l| tagged(l, "interruption"))
            .map(|l| l["start_s"].as_f64().unwrap())
            .collect(),
        backchannels: lines.iter().filter(|l| tagged(l, "backchannel")).count(),
        turns: ["agent", "customer"]
            .map(|r| lines.iter().filter(|l| by(l, r) && !tagged(l, "backchannel")).count()),
        agent_questions: lines.iter().filter(|l| by(l, "agent") && tagged(l, "question")).count(),
        wpm,
    }
}

/// The call's dead air is the planted dead air: as many gaps, each edge within 0.3 s.
pub fn assert_dead_air_as_planted(doc: &Value, p: &Planted, file: &str) {
    let near = |a: f64, b: f64| (a - b).abs() <= 0.3;
    let found: Vec<(f64, f64)> = doc["conversation"]["dead_air"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["start_s"].as_f64().unwrap(), g["end_s"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        found.len(),
        p.dead_air.len(),
        "{file}: dead air {found:?}, planted {:?}",
        p.dead_air
    );
    for ((fs, fe), (ps, pe)) in found.iter().zip(&p.dead_air) {
        assert!(near(*fs, *ps) && near(*fe, *pe), "{file}: dead air {fs}-{fe}, planted {ps}-{pe}");
    }
}

/// `asked` agent questions within ±1 of the planted ones and, where `pace` (English: words are
/// counted as written), each speaker's words per minute within `wpm_tolerance` of the truth.
pub fn assert_questions_and_pace(
    doc: &Value,
    p: &Planted,
    asked: i64,
    pace: bool,
    wpm_tolerance: f64,
    file: &str,
) {
    let planted = p.agent_questions as i64;
    assert!((asked - planted).abs() <= 1, "{file}: {asked} agent questions, planted {planted}");
    if pace {
        for (role, want) in ["agent", "customer"].iter().zip(p.wpm) {
            let got = doc["speakers"][role]["words_per_minute"].as_f64().unwrap();
            assert!(
                (got - want).abs() / want <= wpm_tolerance,
                "{file}: {role} {got:.1} wpm, truth {want:.1}"
            );
        }
    }
}

/// Everything `speaker` says in a call document, normalised (see [`normalize`]).
pub fn said_by(doc: &Value, speaker: &str) -> String {
    let said: Vec<&str> = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["speaker"] == speaker)
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    normalize(&said.join(" "))
}
