//! The whole pipeline with fake parts: a level-threshold VAD and a recogniser that "hears" given
//! lines in each speech interval. No model is loaded, so these run in milliseconds and protect
//! the plumbing between the stages — roles from tracks, transcripts to metrics and the script,
//! error records, the written documents against their schema — independently of Whisper.

use super::*;
use crate::config::Language;
use crate::dsp::rms_db;
use crate::error::TranscribeError;
use crate::speakers::Diarizer;
use crate::stages::script::default_script;
use crate::timeline::Interval;
use crate::transcribe::{Asr, ModelInfo, Segment, Transcriber};
use crate::transcript::Word;
use crate::vad::Vad;
use serde_json::Value;
use std::path::Path;

const RATE: usize = 16_000;

/// Every 16 ms frame louder than −40 dBFS is speech.
struct LevelVad;

impl Vad for LevelVad {
    fn frame_len(&self) -> usize {
        256
    }
    fn frame_scores(&mut self, samples: &[f32]) -> Vec<f32> {
        samples.chunks_exact(256).map(|f| if rms_db(f) > -40.0 { 1.0 } else { 0.0 }).collect()
    }
}

/// Hears `lines[track][k]` in the k-th speech interval of each track, words spread evenly;
/// panics on a call whose first track is silent (to test isolation).
struct ScriptedAsr {
    lines: Vec<Vec<&'static str>>,
}

struct ScriptedCall<'a>(&'a ScriptedAsr);

impl Asr for ScriptedAsr {
    fn model(&self) -> ModelInfo {
        ModelInfo { name: "scripted".into(), sha256: "0".repeat(64) }
    }
    fn start_call(
        &self,
        _threads: Arc<ThreadBudget>,
    ) -> Result<Box<dyn Transcriber + '_>, TranscribeError> {
        Ok(Box::new(ScriptedCall(self)))
    }
}

impl Transcriber for ScriptedCall<'_> {
    fn detect_language(
        &mut self,
        _: &[f32],
        _: &[Interval],
        candidates: &[String],
    ) -> Result<String, TranscribeError> {
        Ok(candidates.iter().find(|c| *c == "en").cloned().unwrap_or_default())
    }

    fn transcribe(
        &mut self,
        tracks: &[&[f32]],
        speech: &[&[Interval]],
        _language: &str,
    ) -> Result<Vec<Segment>, TranscribeError> {
        assert!(speech.first().is_some_and(|s| !s.is_empty()), "the first track is silent");
        let mut out = Vec::new();
        for (track, spans) in speech.iter().enumerate().take(tracks.len()) {
            let lines = self.0.lines.get(track).map_or(&[][..], Vec::as_slice);
            for (iv, line) in spans.iter().zip(lines) {
                let texts: Vec<&str> = line.split(' ').collect();
                let step = iv.len_s() / texts.len() as f64;
                let words = texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Word {
                        text: (*t).into(),
                        start_s: iv.start_s + i as f64 * step,
                        end_s: iv.start_s + (i + 1) as f64 * step,
                    })
                    .collect();
                let text = (*line).into();
                out.push(Segment { track, start_s: iv.start_s, end_s: iv.end_s, text, words });
            }
        }
        Ok(out)
    }
}

/// Tone bursts at the given times, 16 kHz.
fn bursts(spans: &[(f64, f64)], total_s: f64, hz: f64) -> Vec<f32> {
    (0..(total_s * RATE as f64) as usize)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let on = spans.iter().any(|&(a, b)| t >= a && t < b);
            if on { (0.3 * (t * hz * std::f64::consts::TAU).sin()) as f32 } else { 0.0 }
        })
        .collect()
}

/// A 16-bit PCM WAV file of the given channels.
fn write_wav(path: &Path, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: RATE as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample((c[i] * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

const AGENT: [(f64, f64); 2] = [(0.5, 3.0), (6.0, 8.0)];
const CUSTOMER: [(f64, f64); 1] = [(3.5, 5.5)];
const AGENT_LINES: [&str; 2] = [
    "Good morning, this is Anna from Northwind. Is it a convenient time to talk?",
    "What do you use for office paper today?",
];
const CUSTOMER_LINES: [&str; 1] = ["Yes, I have a few minutes."];

fn config(inputs: Vec<PathBuf>, out: &Path) -> Config {
    let mut cfg = Config::new(inputs, out.to_path_buf(), default_script().unwrap());
    cfg.asr.language = Language::Auto(vec!["ru".into(), "en".into()]);
    cfg.jobs = 2;
    cfg
}

fn parts(diarizer: Option<super::components::Factory<dyn Diarizer>>) -> Components {
    Components {
        vad: Box::new(|| Box::new(LevelVad)),
        asr: Box::new(ScriptedAsr { lines: vec![AGENT_LINES.to_vec(), CUSTOMER_LINES.to_vec()] }),
        diarizer,
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_valid(doc: &Value, file: &str) {
    let schema = crate::schema::documents().into_iter().find(|d| d.file == file).unwrap().schema;
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}");
}

fn near(got: &Value, want: f64, tol: f64) -> bool {
    got.as_f64().is_some_and(|g| (g - want).abs() <= tol)
}

#[test]
fn a_stereo_call_runs_end_to_end_with_fake_parts() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("call one.wav");
    write_wav(&wav, &[bursts(&AGENT, 9.0, 220.0), bursts(&CUSTOMER, 9.0, 330.0)]);
    let out = dir.path().join("out");
    let summary = run_with(&config(vec![wav], &out), &parts(None), &StopFlag::default()).unwrap();
    assert_eq!((summary.ok, summary.failed), (1, 0));

    let doc = read(&out.join("call one.json"));
    assert_valid(&doc, "call.v1.schema.json");
    assert_eq!((doc["status"].as_str(), doc["mode"].as_str()), (Some("ok"), Some("stereo")));
    assert_eq!(doc["language"], "en", "the fake detector's answer reaches the report");
    assert_eq!(doc["model"]["name"], "scripted");
    let agent = &doc["speakers"]["agent"];
    assert!(near(&agent["speech_s"], 4.5, 0.05), "{}", agent["speech_s"]);
    assert!(near(&doc["speakers"]["customer"]["speech_s"], 2.0, 0.05));
    assert_eq!(agent["channel"], "left");
    // 4.5 of 6.5 s: the agent breaks the 60/40 rule.
    assert!(near(&doc["rule_60_40"]["agent_share_of_speech"], 4.5 / 6.5, 0.01));
    assert_eq!(doc["rule_60_40"]["passed"], false);
    assert_eq!(doc["rule_60_40"]["agent_questions"], 2);
    let speakers: Vec<&str> = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(speakers, ["agent", "customer", "agent"]);
    assert_eq!(doc["segments"][1]["text"], CUSTOMER_LINES[0]);
    let reached: Vec<&str> =
        doc["stages"]["reached"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(reached, ["greeting", "needs_discovery"]);

    let batch = read(&out.join(BATCH_FILE));
    assert_valid(&batch, "batch.v1.schema.json");
    assert_eq!(batch["calls"][0]["call_id"], "call one");
}

#[test]
fn with_the_agent_on_the_right_the_roles_swap() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("c.wav");
    write_wav(&wav, &[bursts(&CUSTOMER, 9.0, 330.0), bursts(&AGENT, 9.0, 220.0)]);
    let out = dir.path().join("out");
    let mut cfg = config(vec![wav], &out);
    cfg.agent_channel = crate::config::AgentChannel::Right;
    let asr = ScriptedAsr { lines: vec![CUSTOMER_LINES.to_vec(), AGENT_LINES.to_vec()] };
    let parts = Components { asr: Box::new(asr), ..parts(None) };
    run_with(&cfg, &parts, &StopFlag::default()).unwrap();
    let doc = read(&out.join("c.json"));
    assert_eq!(doc["speakers"]["agent"]["channel"], "right");
    assert!(near(&doc["speakers"]["agent"]["speech_s"], 4.5, 0.05));
    assert_eq!(doc["segments"][0]["speaker"], "agent");
}

/// Splits mono speech in time: before 3.2 s and after 5.8 s the agent, in between the customer.
struct ByTime;

impl Diarizer for ByTime {
    fn diarize(&mut self, _: &[f32], speech: &[Interval]) -> Option<[Vec<Interval>; 2]> {
        let (c, a): (Vec<Interval>, Vec<Interval>) =
            speech.iter().partition(|iv| iv.start_s > 3.2 && iv.end_s < 5.8);
        Some([a, c])
    }
}

#[test]
fn a_mono_call_gets_speakers_only_from_a_diarizer_in_the_slot() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("m.wav");
    let all: Vec<(f64, f64)> = AGENT.iter().chain(&CUSTOMER).copied().collect();
    write_wav(&wav, &[bursts(&all, 9.0, 220.0)]);

    let plain = dir.path().join("plain");
    run_with(&config(vec![wav.clone()], &plain), &parts(None), &StopFlag::default()).unwrap();
    let doc = read(&plain.join("m.json"));
    assert_valid(&doc, "call.v1.schema.json");
    assert_eq!(doc["mode"], "mono");
    assert!(doc["speakers"]["agent"]["speech_s"].is_null());
    assert!(doc["speakers"]["agent"]["unavailable_reason"].is_string());
    assert!(doc["rule_60_40"]["passed"].is_null());

    // A diarized mono call is transcribed once, as one track; its words go to the voices by time.
    let diarized = dir.path().join("diarized");
    let in_call_order = vec![AGENT_LINES[0], CUSTOMER_LINES[0], AGENT_LINES[1]];
    let asr = ScriptedAsr { lines: vec![in_call_order] };
    let parts = Components {
        asr: Box::new(asr),
        ..parts(Some(Box::new(|| Box::new(ByTime) as Box<dyn Diarizer>)))
    };
    run_with(&config(vec![wav], &diarized), &parts, &StopFlag::default()).unwrap();
    let doc = read(&diarized.join("m.json"));
    assert_valid(&doc, "call.v1.schema.json");
    assert_eq!(doc["mode"], "mono");
    assert!(near(&doc["speakers"]["agent"]["speech_s"], 4.5, 0.05));
    assert!(doc["speakers"]["agent"]["channel"].is_null());
    assert_eq!(doc["rule_60_40"]["passed"], false);
    assert_eq!(doc["segments"][1]["speaker"], "customer");
    assert_eq!(doc["segments"][1]["text"], CUSTOMER_LINES[0]);
    assert_eq!(doc["diarization"]["roles_assigned"], true, "{}", doc["diarization"]);
    assert_eq!(doc["diarization"]["method"], "custom");
}

#[test]
fn a_bad_file_is_an_error_record_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, &[bursts(&AGENT, 9.0, 220.0), bursts(&CUSTOMER, 9.0, 330.0)]);
    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, b"RIFF not really a wave file").unwrap();
    let out = dir.path().join("out");
    let summary =
        run_with(&config(vec![good, bad.clone()], &out), &parts(None), &StopFlag::default())
            .unwrap();
    assert_eq!((summary.ok, summary.failed), (1, 1));
    let doc = read(&out.join("bad.json"));
    assert_valid(&doc, "call.v1.schema.json");
    assert_eq!(doc["status"], "error");
    assert_eq!(doc["error"]["stage"], "decode");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{}: decode: ", bad.display())), "{message}");
    assert!(doc["source"]["sha256"].is_string(), "what was learnt before the failure is kept");
}

fn stereo_call(dir: &Path, name: &str) -> PathBuf {
    let wav = dir.join(name);
    write_wav(&wav, &[bursts(&AGENT, 9.0, 220.0), bursts(&CUSTOMER, 9.0, 330.0)]);
    wav
}

#[test]
fn a_panic_in_one_call_is_its_error_record_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = stereo_call(dir.path(), "good.wav");
    let silent = dir.path().join("silent.wav");
    write_wav(&silent, &[vec![0.0; RATE * 9], bursts(&CUSTOMER, 9.0, 330.0)]);
    let out = dir.path().join("out");
    let cfg = config(vec![good, silent], &out);
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!((summary.ok, summary.failed), (1, 1));
    let doc = read(&out.join("silent.json"));
    assert_eq!(doc["error"]["stage"], "internal");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("panicked: the first track is silent"), "{message}");
    assert_valid(&read(&out.join(BATCH_FILE)), "batch.v1.schema.json");
}

#[test]
fn a_call_unfinished_twice_is_not_tried_a_third_time() {
    let dir = tempfile::tempdir().unwrap();
    let wav = stereo_call(dir.path(), "crashy.wav");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Two earlier runs started this call and never finished it (the process died).
    std::fs::write(out.join(resume::JOURNAL_FILE), "start\tcrashy\nstart\tcrashy\n").unwrap();
    let mut cfg = config(vec![wav], &out);
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!(summary.failed, 1);
    let doc = read(&out.join("crashy.json"));
    assert_eq!(doc["error"]["stage"], "internal");
    assert!(doc["error"]["message"].as_str().unwrap().contains("--force"));
    // --force tries it again.
    cfg.force = true;
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!((summary.ok, summary.failed), (1, 0));
}

#[test]
fn a_rerun_keeps_finished_calls_and_redoes_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let a = stereo_call(dir.path(), "a.wav");
    let b = stereo_call(dir.path(), "b.wav");
    let out = dir.path().join("out");
    let cfg = config(vec![a, b.clone()], &out);
    run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    let first = read(&out.join("a.json"));
    // b's recording changes; a's settings do not.
    write_wav(&b, &[bursts(&AGENT, 8.0, 220.0), bursts(&CUSTOMER, 8.0, 330.0)]);
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!((summary.ok, summary.kept), (2, 1));
    assert_eq!(read(&out.join("a.json")), first, "a was written again");
    assert!(summary.calls.iter().any(|c| c.call_id == "a" && c.kept));
    assert_eq!(summary.script_funnel.calls, 2, "kept calls count in the funnel");
    // A rerun that keeps everything analysed no audio: 0, not -0 (an empty f64 sum).
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!(summary.kept, 2);
    assert!(summary.audio_s == 0.0 && summary.audio_s.is_sign_positive(), "{}", summary.audio_s);
    // Other settings: nothing is kept.
    let mut stricter = cfg.clone();
    stricter.max_agent_share = 0.30;
    let summary = run_with(&stricter, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!(summary.kept, 0);
}

#[test]
fn a_stop_request_leaves_the_rest_pending_and_the_summary_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> =
        (0..3).map(|i| stereo_call(dir.path(), &format!("c{i}.wav"))).collect();
    let out = dir.path().join("out");
    let stop = StopFlag::default();
    stop.request();
    let summary = run_with(&config(files, &out), &parts(None), &stop).unwrap();
    assert_eq!((summary.files, summary.ok, summary.pending), (3, 0, 3));
    assert!(summary.interrupted);
    let written = read(&out.join(BATCH_FILE));
    assert_eq!(written["interrupted"], true);
}

/// Regression: one missing path among good inputs aborted the whole batch (exit 2).
#[test]
fn a_missing_input_is_one_error_record() {
    let dir = tempfile::tempdir().unwrap();
    let good = stereo_call(dir.path(), "good.wav");
    let out = dir.path().join("out");
    let cfg = config(vec![good, dir.path().join("gone.wav")], &out);
    let summary = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap();
    assert_eq!((summary.files, summary.ok, summary.failed), (2, 1, 1));
    let missing = summary.calls.iter().find(|c| c.status == Status::Error).unwrap();
    let message = &missing.error.as_ref().unwrap().message;
    assert!(message.ends_with("gone.wav: read: no such file or folder"), "{message}");
}

#[test]
fn eta_reads_like_a_clock() {
    assert_eq!(eta(9.4), "9s");
    assert_eq!(eta(723.0), "12m03s");
    assert_eq!(eta(3900.0), "1h05m");
    assert_eq!(eta(-1.0), "0s");
}

/// Regression: an output folder that cannot be written was found out only at the first write,
/// after the night's transcription.
#[test]
fn an_unwritable_output_folder_is_fatal_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let wav = stereo_call(dir.path(), "a.wav");
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let cfg = config(vec![wav], &blocker.join("out"));
    let err = run_with(&cfg, &parts(None), &StopFlag::default()).unwrap_err();
    assert!(matches!(err, FatalError::OutDir { .. }), "{err}");
}
