//! The generated stereo dialogues (fixtures/, truth in fixtures/truth.json) through the whole
//! pipeline with the real model: talk shares, languages, transcripts, determinism.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TOLERANCE: f64 = 0.03;

fn truth() -> Value {
    read_json(&root().join("fixtures/truth.json"))
}

fn total(list: &Value) -> f64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|iv| iv[1].as_f64().unwrap() - iv[0].as_f64().unwrap())
        .sum()
}

/// All fixtures analysed once with 2 jobs × 1 thread; the folder is shared by the tests here.
fn batch() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = tempfile::tempdir().unwrap().keep();
        let run = analyze(
            &[&root().join("fixtures")],
            &out,
            &["--jobs", "2", "--threads", "1"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        out
    })
}

fn report(out: &Path, file: &str) -> Value {
    let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
    read_json(&out.join(format!("{stem}.json")))
}

#[test]
fn fixtures_are_what_the_tests_think() {
    let truth = truth();
    for lang in ["en", "ru"] {
        let t = &truth[lang];
        let (a, c) = (
            total(&t["speech"]["agent"]),
            total(&t["speech"]["customer"]),
        );
        assert!(
            a > 20.0 && c > 8.0,
            "test file is broken: {lang} speech {a} / {c}"
        );
        for file in t["files"].as_array().unwrap() {
            let path = root().join("fixtures").join(file.as_str().unwrap());
            assert!(
                path.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
                "test file is broken: {}",
                path.display()
            );
        }
    }
}

#[test]
fn agent_share_is_within_three_points_of_the_truth_in_every_form() {
    let truth = truth();
    let out = batch();
    let mut checked = 0;
    for lang in ["en", "ru"] {
        let t = &truth[lang];
        let (a, c) = (
            total(&t["speech"]["agent"]),
            total(&t["speech"]["customer"]),
        );
        let want = a / (a + c);
        for file in t["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
        {
            let doc = report(out, file);
            assert_schema_valid(&doc);
            assert_eq!(doc["status"], "ok", "{file}: {}", doc["error"]);
            assert_eq!(doc["language"], lang, "{file}");
            if file.contains("mono") {
                assert_eq!(doc["mode"], "mono", "{file}");
                assert!(doc["speakers"]["agent"]["speech_s"].is_null(), "{file}");
                continue;
            }
            assert_eq!(doc["mode"], "stereo", "{file}");
            let got = doc["rule_60_40"]["agent_share_of_speech"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= TOLERANCE,
                "{file}: agent share {got:.3}, truth {want:.3}"
            );
            let agent_s = doc["speakers"]["agent"]["speech_s"].as_f64().unwrap();
            // VAD bridges pauses under 0.25 s that the truth splits on; crosstalk counted as speech
            // would add the customer's ~12 s.
            assert!(
                (agent_s - a).abs() / a < 0.15,
                "{file}: agent speech {agent_s:.2} s, truth {a:.2} s"
            );
            assert_eq!(
                doc["rule_60_40"]["passed"], false,
                "{file}: the agent talks ~70 %"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn transcripts_are_the_dialogue_and_attributed_to_the_right_speaker() {
    let out = batch();
    let cases = [
        ("en_pcm16k.wav", "agent", "convenient time to talk"),
        ("en_ulaw8k_crosstalk.wav", "customer", "orders a month"),
        ("en_mp3.mp3", "agent", "send you a contract"),
        ("ru_pcm16k.wav", "agent", "удобно сейчас говорить"),
        ("ru_ulaw8k_crosstalk.wav", "customer", "звучит дорого"),
        ("ru_mp3.mp3", "agent", "отправлю прямо сейчас"),
    ];
    for (file, speaker, phrase) in cases {
        let doc = report(out, file);
        let said: Vec<&str> = doc["segments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["speaker"] == speaker)
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        let text = normalize(&said.join(" "));
        assert!(
            text.contains(phrase),
            "{file}: {speaker} never says {phrase:?}: {text}"
        );
        let starts: Vec<f64> = doc["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["start_s"].as_f64().unwrap())
            .collect();
        assert!(
            starts.windows(2).all(|w| w[0] <= w[1]),
            "{file}: segments not sorted"
        );
    }
}

#[test]
fn batch_summary_counts_every_file() {
    let summary = read_json(&batch().join("callgauge-batch.json"));
    assert_eq!(summary["files"], 7);
    assert_eq!(summary["ok"], 7);
    assert_eq!(summary["jobs"], 2);
    assert!(summary["audio_s_per_wall_s"].as_f64().unwrap() > 0.0);
}

fn without_timings(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("timings_s");
    doc
}

#[test]
fn output_is_identical_whatever_the_jobs_and_threads() {
    let shared = batch();
    let out = tempfile::tempdir().unwrap();
    let files =
        ["en_ulaw8k_crosstalk.wav", "ru_pcm16k.wav"].map(|f| root().join("fixtures").join(f));
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let run = analyze(&inputs, out.path(), &["--jobs", "1", "--threads", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in ["en_ulaw8k_crosstalk.wav", "ru_pcm16k.wav"] {
        let a = without_timings(report(shared, file));
        let b = without_timings(report(out.path(), file));
        assert_eq!(
            a, b,
            "{file}: 2 jobs x 1 thread and 1 job x 2 threads differ"
        );
    }
}
