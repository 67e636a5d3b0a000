//! An overnight batch that is killed or stopped loses nothing and resumes where it stopped:
//! the real binary and model on copies of real speech (`jfk.wav`, 11 s).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const CALLS: usize = 8;

/// `CALLS` copies of jfk.wav under distinct names.
fn batch_dir(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let jfk = jfk();
    for i in 0..CALLS {
        std::fs::copy(&jfk, input.join(format!("call-{i}.wav"))).unwrap();
    }
    input
}

fn start(input: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .args(["analyze", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--model", model().to_str().unwrap(), "--language", "en", "--threads", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("the callgauge binary runs")
}

/// The call results in `out` (not the summary) and their modification times.
fn results(out: &Path) -> Vec<(String, SystemTime)> {
    let mut found: Vec<(String, SystemTime)> = std::fs::read_dir(out)
        .map(|d| d.flatten().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let call =
                name.ends_with(".json") && !name.starts_with('.') && name != "callgauge-batch.json";
            call.then(|| (name, e.metadata().unwrap().modified().unwrap()))
        })
        .collect();
    found.sort();
    found
}

fn wait_for_results(out: &Path, n: usize, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while results(out).len() < n {
        assert!(child.try_wait().unwrap().is_none(), "the batch ended before {n} results");
        assert!(Instant::now() < deadline, "no {n} results after 300 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn temp_files(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

fn rerun(input: &Path, out: &Path) -> (i32, Value) {
    let run = analyze(&[input], out, &["--language", "en", "--threads", "1"]);
    let summary = read_json(&out.join("callgauge-batch.json"));
    assert_valid_as(&summary, "batch.v1.schema.json");
    (run.code, summary)
}

#[test]
fn a_batch_killed_after_two_results_resumes_without_redoing_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = batch_dir(dir.path());
    let out = dir.path().join("out");
    let mut child = start(&input, &out);
    wait_for_results(&out, 2, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = results(&out);
    assert!(before.len() >= 2 && before.len() < CALLS, "{before:?}");
    // The summary a kill leaves is at most one call behind.
    let left = read_json(&out.join("callgauge-batch.json"));
    assert!(left["ok"].as_u64().unwrap() + 1 >= before.len() as u64, "{left}");

    let (code, summary) = rerun(&input, &out);
    assert_eq!(code, 0, "{summary}");
    let after = results(&out);
    let names: Vec<String> = (0..CALLS).map(|i| format!("call-{i}.json")).collect();
    assert_eq!(
        after.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        names,
        "every call exactly once"
    );
    assert!(temp_files(&out).is_empty(), "{:?}", temp_files(&out));
    for (name, mtime) in &before {
        let now = after.iter().find(|r| &r.0 == name).unwrap().1;
        assert_eq!(&now, mtime, "{name} was done again");
    }
    assert_eq!(
        (summary["files"].as_u64(), summary["ok"].as_u64()),
        (Some(CALLS as u64), Some(CALLS as u64))
    );
    assert_eq!(summary["kept"].as_u64(), Some(before.len() as u64));
    assert_eq!(
        (summary["pending"].as_u64(), summary["interrupted"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(summary["calls"].as_array().unwrap().len(), CALLS);
}

#[test]
fn sigint_lets_running_calls_finish_marks_the_summary_and_a_rerun_does_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = batch_dir(dir.path());
    let out = dir.path().join("out");
    let mut child = start(&input, &out);
    wait_for_results(&out, 1, &mut child);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let summary = read_json(&out.join("callgauge-batch.json"));
    assert_eq!(summary["interrupted"], true, "{summary}");
    let done = results(&out).len();
    assert!(done < CALLS, "{done} calls done: the stop came too late to test anything");
    assert_eq!(summary["pending"].as_u64(), Some((CALLS - done) as u64), "{summary}");
    assert!(temp_files(&out).is_empty());

    let (code, summary) = rerun(&input, &out);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["interrupted"], false);
    assert_eq!(summary["kept"].as_u64(), Some(done as u64));
    assert_eq!(results(&out).len(), CALLS);
}

/// `--force` analyzes again what a rerun would keep.
#[test]
fn force_redoes_finished_calls() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(jfk(), input.join("a.wav")).unwrap();
    let out = dir.path().join("out");
    let (code, first) = rerun(&input, &out);
    assert_eq!((code, first["kept"].as_u64()), (0, Some(0)));
    let (_, second) = rerun(&input, &out);
    assert_eq!(second["kept"].as_u64(), Some(1));
    let run = analyze(&[&input], &out, &["--language", "en", "--threads", "1", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read_json(&out.join("callgauge-batch.json"))["kept"].as_u64(), Some(0));
}
