//! Real recorded speech (jfk.wav, fetched from PyPI at test time) through the real model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;

#[test]
fn jfk_transcript_holds_the_famous_line() {
    let input = jfk();
    let out = tempfile::tempdir().unwrap();
    let run = analyze(&[&input], out.path(), &["--language", "auto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = read_json(&out.path().join("jfk.json"));
    assert_schema_valid(&doc);
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["mode"], "mono");
    assert_eq!(doc["language"], "en");
    assert_eq!(doc["source"]["sample_rate_hz"], 16000);
    let text = transcript(&doc);
    assert!(text.contains("ask not what your country can do for you"), "transcript: {text}");
    // Mono: per-speaker figures are null with a reason, never invented.
    assert!(doc["speakers"]["agent"]["share_of_speech"].is_null());
    assert!(doc["speakers"]["agent"]["unavailable_reason"].is_string());
    assert!(doc["rule_60_40"]["passed"].is_null());
    // Words carry times inside the clip, in order.
    let words: Vec<f64> = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap().iter().map(|w| w["start_s"].as_f64().unwrap()))
        .collect();
    assert!(words.len() >= 20, "{} words", words.len());
    assert!(words.windows(2).all(|w| w[0] <= w[1]), "word starts out of order: {words:?}");
    assert!(words.iter().all(|&t| (0.0..=11.0).contains(&t)));
}
