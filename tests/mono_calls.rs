//! Mono recordings: the stereo fixtures mixed down to one channel (and a real two-speaker
//! recording) through the real GE2E weights, scored against the stereo truth.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;
#[path = "common/diar.rs"]
mod diar;

use callgauge::config::{Limits, VadConfig};
use callgauge::decode::decode_file;
use callgauge::diarize::{VoiceDiarizer, ge2e::Ge2e};
use callgauge::resample::to_16k;
use callgauge::speakers::Diarizer;
use callgauge::vad::{EarshotVad, speech_by_channel};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

fn encoder() -> Arc<Ge2e> {
    let path = common::root().join("models/ge2e-resemblyzer.f32");
    Arc::new(Ge2e::load(&path).unwrap_or_else(|e| {
        panic!("{e}: run `python3 models/provision_speaker.py` (the tests use the real weights)")
    }))
}

fn pairs(v: &Value) -> Vec<(f64, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|iv| (iv[0].as_f64().unwrap(), iv[1].as_f64().unwrap()))
        .collect()
}

/// The diarizer alone (VAD → voices) on a mono file: one interval list per voice.
fn voices_of(path: &Path) -> Vec<Vec<(f64, f64)>> {
    let audio = decode_file(path, &Limits::default()).unwrap();
    let audio = to_16k(audio.channels, audio.sample_rate_hz).unwrap();
    let speech = speech_by_channel(&audio, &mut EarshotVad, &VadConfig::default());
    let mut d = VoiceDiarizer::new(encoder());
    let split = d.diarize(audio.channel(0), speech.channel(0)).expect("two voices");
    split.iter().map(|l| l.iter().map(|iv| (iv.start_s, iv.end_s)).collect()).collect()
}

fn share(list: &[(f64, f64)]) -> f64 {
    list.iter().map(|(a, b)| b - a).sum()
}

const MIXES: [(&str, &str); 4] = [
    ("en", "en_pcm16k.wav"),
    ("en", "en_ulaw8k_crosstalk.wav"),
    ("ru", "ru_pcm16k.wav"),
    ("ru", "ru_ulaw8k_crosstalk.wav"),
];

fn mixed(dir: &Path, file: &str) -> PathBuf {
    let out = dir.join(file.replace(".wav", "_mono.wav"));
    diar::mono_mix(&common::root().join("fixtures").join(file), &out);
    out
}

#[test]
fn voices_on_the_fixtures_mixed_to_mono_match_the_stereo_channels() {
    let dir = tempfile::tempdir().unwrap();
    let truth = common::truth();
    let mut worst: f64 = 0.0;
    for (lang, file) in MIXES {
        let reference =
            vec![pairs(&truth[lang]["speech"]["agent"]), pairs(&truth[lang]["speech"]["customer"])];
        let hyp = voices_of(&mixed(dir.path(), file));
        let d = diar::der(&reference, &hyp, 0.25);
        let agent = hyp
            .iter()
            .position(|_| true)
            .map(|_| d.order.iter().position(|r| *r == 0).unwrap())
            .unwrap();
        let hyp_share = share(&hyp[agent]) / (share(&hyp[0]) + share(&hyp[1]));
        let ref_share = share(&reference[0]) / (share(&reference[0]) + share(&reference[1]));
        eprintln!(
            "{file}: DER {:.3} (missed {:.3}, false alarm {:.3}, confusion {:.3}); agent share {:.3} vs {:.3}",
            d.rate, d.missed, d.false_alarm, d.confusion, hyp_share, ref_share
        );
        worst = worst.max(d.rate);
        assert!(
            (hyp_share - ref_share).abs() <= 0.05,
            "{file}: agent share {hyp_share:.3} vs {ref_share:.3}"
        );
    }
    assert!(worst <= 0.10, "worst DER {worst:.3}");
}

#[test]
fn voices_on_a_real_two_party_recording_match_its_labels() {
    let (wav, rttm) = common::two_party();
    let labels = diar::rttm(&std::fs::read_to_string(rttm).unwrap());
    assert_eq!(labels.len(), 2);
    let reference: Vec<Vec<(f64, f64)>> = labels.iter().map(|(_, l)| l.clone()).collect();
    let hyp = voices_of(&wav);
    let d = diar::der(&reference, &hyp, 0.25);
    let first = d.order.iter().position(|r| *r == 0).unwrap();
    let hyp_share = share(&hyp[first]) / (share(&hyp[0]) + share(&hyp[1]));
    let ref_share = share(&reference[0]) / (share(&reference[0]) + share(&reference[1]));
    eprintln!(
        "pyannote sample.wav: DER {:.3} (missed {:.3}, false alarm {:.3}, confusion {:.3}); {} share {:.3} vs {:.3}",
        d.rate, d.missed, d.false_alarm, d.confusion, labels[0].0, hyp_share, ref_share
    );
    assert!((hyp_share - ref_share).abs() <= 0.05, "share {hyp_share:.3} vs {ref_share:.3}");
    assert!(d.rate <= 0.20, "DER {:.3}", d.rate);
}

/// The four mixes through `callgauge analyze` at its defaults (diarization on), once.
fn batch() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let inputs = dir.join("in");
        std::fs::create_dir_all(&inputs).unwrap();
        for (_, file) in MIXES {
            diar::mono_mix(&common::root().join("fixtures").join(file), &inputs.join(file));
        }
        let out = dir.join("out");
        let run = common::analyze(&[&inputs], &out, &["--jobs", "2", "--threads", "1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        out
    })
}

fn report(file: &str) -> Value {
    common::read_json(&batch().join(file.replace(".wav", ".json")))
}

fn speech_of(doc: &Value, role: &str) -> Vec<(f64, f64)> {
    doc["speakers"][role]["speech_intervals"]
        .as_array()
        .unwrap_or_else(|| panic!("no {role} speech: {}", doc["speakers"][role]))
        .iter()
        .map(|iv| (iv["start_s"].as_f64().unwrap(), iv["end_s"].as_f64().unwrap()))
        .collect()
}

/// Roles right on every call: scored with the agent voice held to the agent (no reordering),
/// the DER is the same bound as with the best order.
#[test]
fn mono_mixes_get_the_agent_and_the_customer_right_with_their_shares() {
    let truth = common::truth();
    for (lang, file) in MIXES {
        let doc = report(file);
        common::assert_schema_valid(&doc);
        assert_eq!(doc["mode"], "mono", "{file}");
        let d = &doc["diarization"];
        assert_eq!(
            (d["speakers"].as_u64(), d["roles_assigned"].as_bool()),
            (Some(2), Some(true)),
            "{file}: {d}"
        );
        assert!(d["confidence"].as_f64().unwrap() >= 0.7, "{file}: {d}");
        let hyp = vec![speech_of(&doc, "agent"), speech_of(&doc, "customer")];
        let reference =
            vec![pairs(&truth[lang]["speech"]["agent"]), pairs(&truth[lang]["speech"]["customer"])];
        let best = diar::der(&reference, &hyp, 0.25);
        assert_eq!(best.order, [0, 1], "{file}: the agent's voice was labelled customer");
        let share = doc["rule_60_40"]["agent_share_of_speech"].as_f64().unwrap();
        let want = common::total(&truth[lang]["speech"]["agent"])
            / (common::total(&truth[lang]["speech"]["agent"])
                + common::total(&truth[lang]["speech"]["customer"]));
        eprintln!(
            "{file} via analyze: DER {:.3}, agent share {share:.3} vs {want:.3}, roles confidence {}",
            best.rate, d["confidence"]
        );
        assert!(best.rate <= 0.10, "{file}: DER {:.3}", best.rate);
        assert!((share - want).abs() <= 0.05, "{file}: agent share {share:.3}, truth {want:.3}");
    }
}

/// The stereo per-speaker tests (`stereo_calls.rs`), on the mixes. Tolerances (README, "Mono
/// recordings"): dead air and agent questions as on stereo (±0.3 s, ±1); turns ±1 per speaker;
/// words per minute within 15 % (EN); overlap, interruptions and backchannels are `null`.
#[test]
fn per_speaker_metrics_on_mono_mixes_match_the_planted_truth() {
    let truth = common::truth();
    for (lang, file) in MIXES {
        let p = common::planted(&truth[lang]);
        let doc = report(file);
        let conv = &doc["conversation"];
        common::assert_dead_air_as_planted(&doc, &p, file);
        let (agent, customer) = (&doc["speakers"]["agent"], &doc["speakers"]["customer"]);
        for (got, want, who) in
            [(&agent["turns"], p.turns[0], "agent"), (&customer["turns"], p.turns[1], "customer")]
        {
            let got = got.as_i64().unwrap();
            assert!((got - want as i64).abs() <= 1, "{file}: {who} turns {got}, planted {want}");
        }
        let asked = doc["rule_60_40"]["agent_questions"].as_i64().unwrap();
        common::assert_questions_and_pace(&doc, &p, asked, lang == "en", 0.15, file);
        assert!(conv["overlap_s"].is_null() && conv["interruptions"].is_null(), "{file}: {conv}");
        assert!(
            agent["backchannels"].is_null() && customer["interruptions_made"].is_null(),
            "{file}"
        );
        assert_eq!(
            doc["stages"]["reached"].as_array().unwrap().len(),
            5,
            "{file}: {}",
            doc["stages"]["reached"]
        );
    }
}

#[test]
fn mono_transcripts_are_split_between_the_voices_by_time() {
    let cases = [
        ("en_pcm16k.wav", "agent", "convenient time to talk"),
        ("en_ulaw8k_crosstalk.wav", "customer", "orders a month"),
        ("ru_pcm16k.wav", "agent", "удобно сейчас говорить"),
        ("ru_ulaw8k_crosstalk.wav", "customer", "звучит дорого"),
    ];
    for (file, speaker, phrase) in cases {
        let doc = report(file);
        let text = common::said_by(&doc, speaker);
        assert!(text.contains(phrase), "{file}: {speaker} never says {phrase:?}: {text}");
    }
}

#[test]
fn without_diarization_a_mono_call_keeps_one_unknown_speaker() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed(dir.path(), "en_pcm16k.wav");
    let out = dir.path().join("out");
    let run = common::analyze(&[&input], &out, &["--no-diarize", "--language", "en"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = common::read_json(&out.join("en_pcm16k_mono.json"));
    assert!(doc["diarization"].is_null());
    assert!(doc["rule_60_40"]["agent_share_of_speech"].is_null());
    let reason = doc["speakers"]["agent"]["unavailable_reason"].as_str().unwrap();
    assert!(reason.contains("--no-diarize"), "{reason}");
    assert!(doc["segments"].as_array().unwrap().iter().all(|s| s["speaker"] == "unknown"));
}

#[test]
fn a_missing_speaker_model_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed(dir.path(), "en_pcm16k.wav");
    let missing = dir.path().join("nope.f32");
    let run = common::analyze(
        &[&input],
        &dir.path().join("out"),
        &["--speaker-model", missing.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("nope.f32") && run.stderr.contains("--no-diarize"),
        "{}",
        run.stderr
    );
}

/// A long mono recording is analyzed in windows; the voices learnt in the first window keep
/// their roles in the later ones.
#[test]
fn a_mono_call_cut_into_windows_keeps_its_voices_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = mixed(dir.path(), "en_pcm16k.wav");
    let out = dir.path().join("out");
    let run = common::analyze(&[&input], &out, &["--window-s", "20", "--language", "en"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = common::read_json(&out.join("en_pcm16k_mono.json"));
    assert_eq!(doc["diarization"]["roles_assigned"], true, "{}", doc["diarization"]);
    let truth = common::truth();
    let reference =
        vec![pairs(&truth["en"]["speech"]["agent"]), pairs(&truth["en"]["speech"]["customer"])];
    let hyp = vec![speech_of(&doc, "agent"), speech_of(&doc, "customer")];
    let d = diar::der(&reference, &hyp, 0.25);
    assert_eq!(d.order, [0, 1], "roles swapped in a later window");
    assert!(d.rate <= 0.10, "DER {:.3} across 20 s windows", d.rate);
}
