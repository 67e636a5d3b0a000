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
use std::sync::Arc;

fn encoder() -> Arc<Ge2e> {
    let path = common::root().join("models/ge2e-resemblyzer.f32");
    Arc::new(Ge2e::load(&path).unwrap_or_else(|e| {
        panic!("{e}: run `python3 models/provision_speaker.py` (the tests use the real weights)")
    }))
}

fn truth() -> Value {
    common::read_json(&common::root().join("fixtures/truth.json"))
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
    let truth = truth();
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
