//! The sales script on the true text of the generated dialogues through `callgauge score`,
//! outcomes joined from a CSV, and malformed scripts. No model needed: nothing is transcribed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn callgauge(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callgauge")).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Writes each dialogue's true text as a transcript in the documented simple format.
fn true_transcripts(dir: &Path) -> Value {
    let truth = read_json(&root().join("fixtures/truth.json"));
    for lang in ["en", "ru"] {
        let segments: Vec<Value> = truth[lang]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                json!({"speaker": l["speaker"], "start_s": l["start_s"], "end_s": l["end_s"], "text": l["text"]})
            })
            .collect();
        let doc =
            json!({"call_id": format!("{lang}_true"), "language": lang, "segments": segments});
        std::fs::write(dir.join(format!("{lang}_true.json")), doc.to_string()).unwrap();
    }
    truth
}

fn score_schema_valid(doc: &Value) {
    assert_valid_as(doc, "score.v1.schema.json");
}

#[test]
fn stages_from_the_true_text_are_found_with_recall_and_precision_of_at_least_095() {
    let dir = tempfile::tempdir().unwrap();
    let truth = true_transcripts(dir.path());
    let out = dir.path().join("scored");
    let outcomes = dir.path().join("outcomes.csv");
    std::fs::write(
        &outcomes,
        "call_id,agent_id,outcome,amount\nen_true,anna-1,won,750\nru_true,anna-2,lost,\n",
    )
    .unwrap();
    let (code, _, stderr) = callgauge(&[
        "score",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--outcomes",
        outcomes.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    for lang in ["en", "ru"] {
        let doc = read_json(&out.join(format!("{lang}_true.json")));
        score_schema_valid(&doc);
        let mut counts = StageCounts::default();
        counts.add(&truth[lang]["lines"], &doc["stages"]["hits"]);
        eprintln!(
            "{lang} true text: recall {:.3}, precision {:.3} ({counts:?})",
            counts.recall(),
            counts.precision()
        );
        assert!(counts.recall() >= 0.95 && counts.precision() >= 0.95, "{lang}: {counts:?}");
        assert_eq!(doc["stages"]["last"], "closing");
        let objections = doc["objections"].as_array().unwrap();
        assert_eq!(objections.len(), 1, "{objections:?}");
        assert_eq!(
            (objections[0]["category"].as_str(), objections[0]["handled"].as_bool()),
            (Some("price"), Some(true))
        );
        for item in doc["checklist"]["items"].as_array().unwrap() {
            assert_eq!(item["passed"], true, "{lang}: {item}");
        }
    }
    // Outcomes reach the documents and the score.
    let en = read_json(&out.join("en_true.json"));
    assert_eq!(en["agent_id"], "anna-1");
    assert_eq!(en["outcome"], json!({"result": "won", "amount": 750.0}));
    assert_eq!(en["score"]["components"]["deal"]["value"], 0.75);
    let ru = read_json(&out.join("ru_true.json"));
    assert_eq!(ru["score"]["components"]["conversion"]["value"], 0.0);
    let summary = read_json(&out.join("callgauge-scores.json"));
    assert_valid_as(&summary, "scores.v1.schema.json");
    assert_eq!((summary["scored"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(0)));
    assert_eq!(summary["script_funnel"]["stages"][0]["share_reached"], 1.0);
}

#[test]
fn an_edited_script_changes_the_result_without_re_transcribing() {
    let dir = tempfile::tempdir().unwrap();
    true_transcripts(dir.path());
    // A script whose closing needs a phrase nobody says: the calls now end at objection handling.
    let default = std::fs::read_to_string(root().join("scripts/default.toml")).unwrap();
    let start = default.find("id = \"closing\"").unwrap();
    let end = start + default[start..].find("# The checklist").unwrap();
    let edited = format!(
        "{}id = \"closing\"\ntitle = \"Closing\"\nphrases.en = [\"sign here\"]\nphrases.ru = [\"подпишите здесь\"]\n\n{}",
        &default[..start],
        &default[end..]
    );
    let script = dir.path().join("strict.toml");
    std::fs::write(&script, edited).unwrap();
    let input = dir.path().join("en_true.json");
    let (code, stdout, stderr) =
        callgauge(&["score", input.to_str().unwrap(), "--script", script.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    score_schema_valid(&doc);
    assert_eq!(doc["stages"]["last"], "objection_handling");
    assert_eq!(doc["script"]["path"], script.to_str().unwrap());
    let next_step = doc["checklist"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "next_step")
        .unwrap();
    assert_eq!(next_step["passed"], false);
}

#[test]
fn a_malformed_script_is_refused_with_file_line_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\n[[stages]]\nid = \"a\"\ntitle = \"A\"\nphrases.en = [\"hello\"]\n\n[[checklist]]\nid = \"c\"\ntitle = \"C\"\nrule = { kind = \"stage\", stage = \"greting\" }\n").unwrap();
    let want = format!("{}:10: checklist \"c\": no stage \"greting\" in [[stages]]", bad.display());
    for sub in ["analyze", "score"] {
        let (code, _, stderr) = callgauge(&[
            sub,
            root().join("fixtures").to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
            "--script",
            bad.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{sub}: {stderr}");
        assert!(stderr.contains(&want), "{sub}: {stderr}");
    }
    let csv = dir.path().join("o.csv");
    std::fs::write(&csv, "call_id,outcome\nc1,maybe\n").unwrap();
    let (code, _, stderr) =
        callgauge(&["score", dir.path().to_str().unwrap(), "--outcomes", csv.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&format!("{}:2: outcome \"maybe\"", csv.display())), "{stderr}");
}

#[test]
fn a_bad_transcript_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    true_transcripts(dir.path());
    std::fs::write(dir.path().join("broken.json"), "{\"segments\": [").unwrap();
    let out = dir.path().join("scored");
    let (code, _, stderr) =
        callgauge(&["score", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("broken.json: parse: EOF"), "{stderr}");
    let summary = read_json(&out.join("callgauge-scores.json"));
    assert_valid_as(&summary, "scores.v1.schema.json");
    assert_eq!((summary["scored"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(1)));
}

/// Issue 15, problem 12: `callgauge score … | head` reported 13 failed calls on a broken pipe.
/// A reader that stops early ends the run quietly with exit 0 and no failures.
#[test]
fn score_into_a_pipe_closed_early_stops_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let call: Value = read_json(&root().join("tests/data/call.json"));
    for i in 0..200 {
        let mut doc = call.clone();
        doc["call_id"] = Value::String(format!("c{i:03}"));
        std::fs::write(dir.path().join(format!("c{i:03}.json")), doc.to_string()).unwrap();
    }
    let script = format!(
        "{} score {} | head -n 1; echo \"exit ${{PIPESTATUS[0]}}\" >&2",
        env!("CARGO_BIN_EXE_callgauge"),
        dir.path().display()
    );
    let out = std::process::Command::new("bash").arg("-c").arg(&script).output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"call_id\":\"c000\""), "{stdout}");
    assert!(stderr.contains("exit 0"), "{stderr}");
    assert!(stderr.contains(", 0 failed"), "{stderr}");
    assert!(!stderr.contains("Broken pipe") && !stderr.contains("error"), "{stderr}");
}
