//! Bad recordings: each gets an error record naming the file, the stage and the cause; the
//! batch goes on, the good files are done, and the exit code is 1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use std::path::Path;

fn wav_header(channels: u16, rate: u32, data_bytes: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    h.extend_from_slice(&(2 * channels).to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    h
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// (file name, expected stage, words the message must contain)
const BAD: &[(&str, &str, &str)] = &[
    ("empty.wav", "decode", "empty"),
    ("truncated_header.wav", "decode", "not a recognised audio container"),
    ("random_bytes.wav", "decode", "not a recognised audio container"),
    ("notes.mp3", "decode", "not a recognised audio container"),
    ("gsm610.wav", "decode", "unsupported codec GSM 6.10"),
    ("zero_samples.wav", "decode", "no audio samples"),
    ("six_channels.wav", "decode", "6 channels"),
];

#[test]
fn every_bad_file_gets_an_error_record_and_the_good_ones_are_done() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    write(&inputs, "empty.wav", b"");
    write(&inputs, "truncated_header.wav", &wav_header(2, 8000, 16000)[..20]);
    let mut noise = 0x2545F4914F6CDD1Du64;
    let random: Vec<u8> = (0..50_000)
        .map(|_| {
            noise ^= noise << 13;
            noise ^= noise >> 7;
            noise ^= noise << 17;
            noise as u8
        })
        .collect();
    write(&inputs, "random_bytes.wav", &random);
    write(
        &inputs,
        "notes.mp3",
        "Call notes: customer wants a callback on Monday.\n".repeat(50).as_bytes(),
    );
    std::fs::copy(root().join("tests/data/gsm610.wav"), inputs.join("gsm610.wav")).unwrap();
    write(&inputs, "zero_samples.wav", &wav_header(1, 8000, 0));
    let mut six = wav_header(6, 8000, 8000 * 12);
    six.resize(six.len() + 8000 * 12, 0);
    write(&inputs, "six_channels.wav", &six);
    // A good file with a name full of spaces, quotes and Cyrillic.
    let odd = "agent's \"best\" звонок №1.wav";
    std::fs::copy(root().join("fixtures/en_ulaw8k_crosstalk.wav"), inputs.join(odd)).unwrap();

    let out = dir.path().join("out");
    let run = analyze(&[&inputs], &out, &["--language", "en"]);
    assert_eq!(run.code, 1, "some files failed, so the exit code is 1: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    for (name, stage, cause) in BAD {
        let stem = Path::new(name).file_stem().unwrap().to_str().unwrap();
        let doc = read_json(&out.join(format!("{stem}.json")));
        assert_schema_valid(&doc);
        assert_eq!(doc["status"], "error", "{name}");
        assert_eq!(doc["error"]["stage"], *stage, "{name}: {}", doc["error"]);
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(message.contains(name), "{name}: message does not name the file: {message}");
        assert!(
            message.contains(&format!(": {stage}: ")),
            "{name}: message does not name the stage: {message}"
        );
        assert!(
            message.contains(cause),
            "{name}: message does not give the cause {cause:?}: {message}"
        );
        assert!(run.stderr.contains(message), "{name}: not reported on stderr");
    }

    let good = read_json(&out.join("agent's \"best\" звонок №1.json"));
    assert_schema_valid(&good);
    assert_eq!(good["status"], "ok", "{}", good["error"]);
    assert!(good["source"]["path"].as_str().unwrap().ends_with(odd));
    assert!(transcript(&good).contains("convenient time"), "{}", transcript(&good));

    let summary = read_json(&out.join("callgauge-batch.json"));
    assert_valid_as(&summary, "batch.v1.schema.json");
    assert_eq!(
        (summary["ok"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(BAD.len() as u64))
    );
}

/// Regression: the run failed after creating the output folder, naming a relative path.
#[test]
fn missing_model_is_fatal_with_exit_code_2_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .current_dir(dir.path())
        .args(["analyze", "--out", "out", "--model", "nope.bin"])
        .arg(root().join("tests/data/gsm610.wav"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let absolute = dir.path().join("nope.bin");
    assert!(stderr.contains(&absolute.display().to_string()), "{stderr}");
    assert!(stderr.contains("./setup.sh"), "{stderr}");
    assert!(!out.exists(), "the output folder was created");
}

/// Regression: the default model path was relative to the current folder, so a run from any
/// other folder failed.
#[test]
fn the_default_model_is_found_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    model(); // the checkout's model exists
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .current_dir(dir.path())
        .env_remove("CALLGAUGE_MODEL")
        // One thread: whisper.cpp's spinning barriers stall beside the other tests' threads.
        .args(["analyze", "--out", "out", "--language", "english", "--threads", "1"])
        .arg(root().join("fixtures/en_mono.flac"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let doc = read_json(&dir.path().join("out/en_mono.json"));
    assert_eq!(doc["language"], "en", "`english` is written as its ISO 639-1 code");
    assert!(doc["model"]["name"] == "ggml-base.bin");
}

/// Regression: `--beam-size 9` was accepted and every call then failed inside whisper.cpp.
#[test]
fn a_beam_wider_than_whisper_cpp_allows_is_a_usage_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .args(["analyze", "--out", "/tmp/x", "--beam-size", "9"])
        .arg(root().join("tests/data/gsm610.wav"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("1..=8"));
}

#[test]
fn bad_options_are_usage_errors() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .args(["analyze", "--out", "/tmp/x", "--language", "klingon"])
        .arg(root().join("tests/data/gsm610.wav"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("klingon"));
}

/// The unredacted transcripts never go where the shared results are.
#[test]
fn unredacted_transcripts_inside_the_output_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for inside in [out.clone(), out.join("raw")] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
            .args(["analyze", "--out"])
            .arg(&out)
            .arg("--unredacted-dir")
            .arg(&inside)
            .arg(root().join("tests/data/gsm610.wav"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("must be outside the output folder"), "{stderr}");
        assert!(!out.exists(), "nothing is created on a usage error");
    }
}

#[test]
fn a_bad_retry_threshold_is_a_usage_error_naming_the_rule() {
    for bad in ["0.5", "nope"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
            .args(["analyze", "--out", "/tmp/x", "--retry-beam-below", bad])
            .arg(root().join("tests/data/gsm610.wav"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("must be a log-probability ≤ 0"), "{bad}: {stderr}");
    }
}

/// Issue 15, problem 8: a WAV whose header promises 20 s but holds 1.6 s was `ok` with the
/// greeting four times in 0.6 s. Now it is analyzed as what it holds, with a `truncated`
/// warning, and left out of the batch's funnel and means.
#[test]
fn a_wav_holding_less_than_its_header_promises_is_flagged_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read(root().join("fixtures/en_pcm16k.wav")).unwrap();
    // The fixture is 16 kHz stereo 16-bit PCM with a 44-byte header: keep 1.6 s of its data
    // and a header that promises 20 s.
    let (rate, channels) = (16_000u32, 2u16);
    let kept = (rate as f64 * 1.6) as usize * 4;
    let mut bytes = wav_header(channels, rate, rate * 20 * 4);
    bytes.extend_from_slice(&real[44..44 + kept]);
    write(dir.path(), "cut.wav", &bytes);
    let out = dir.path().join("out");
    let run =
        analyze(&[&dir.path().join("cut.wav")], &out, &["--language", "en", "--threads", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = read_json(&out.join("cut.json"));
    assert_eq!(doc["status"], "ok");
    assert!((doc["duration_s"].as_f64().unwrap() - 1.6).abs() < 0.01, "{}", doc["duration_s"]);
    let codes: Vec<&str> =
        doc["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"truncated"), "{codes:?}");
    let message = &doc["warnings"].as_array().unwrap()
        [codes.iter().position(|c| *c == "truncated").unwrap()]["message"];
    assert!(message.as_str().unwrap().contains("promises 20.0 s"), "{message}");
    let summary = read_json(&out.join("callgauge-batch.json"));
    assert_eq!(summary["calls"][0]["excluded"], true);
    assert_eq!(summary["excluded"], 1);
}
