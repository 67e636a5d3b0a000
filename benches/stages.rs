//! Criterion benchmarks of the non-ASR stages, each on one minute of a real stereo call
//! (fixtures/en_ulaw8k_crosstalk.wav: 8 kHz µ-law with crosstalk, the usual call-centre format).
//! Criterion reports time per iteration = time per minute of call audio.
//!
//! Run: `cargo bench --bench stages`

#![allow(clippy::expect_used)] // benchmark setup: a failure is a broken fixture

use callgauge::config::{Limits, TurnConfig, VadConfig};
use callgauge::decode::decode_file;
use callgauge::metrics::prosody::PitchTracker;
use callgauge::metrics::turns;
use callgauge::resample::to_16k;
use callgauge::vad::{EarshotVad, speech_by_channel};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/en_ulaw8k_crosstalk.wav")
}

/// Repeats the call's channels until they last exactly one minute.
fn one_minute(channels: &[Vec<f32>], rate: usize) -> Vec<Vec<f32>> {
    channels.iter().map(|c| c.iter().copied().cycle().take(rate * 60).collect()).collect()
}

fn stages(c: &mut Criterion) {
    let decoded = decode_file(&fixture(), &Limits::default()).expect("fixture decodes");
    let rate = decoded.sample_rate_hz as usize;
    let minute_8k = one_minute(&decoded.channels, rate);
    let minute_16k = to_16k(minute_8k.clone(), decoded.sample_rate_hz).expect("resamples");
    let speech = speech_by_channel(&minute_16k, &mut EarshotVad, &VadConfig::default());

    let mut group = c.benchmark_group("per minute of stereo call");
    group.throughput(Throughput::Elements(60));
    group.sample_size(10);
    group.bench_function("decode (8 kHz µ-law WAV, 56 s)", |b| {
        b.iter(|| decode_file(black_box(&fixture()), &Limits::default()).expect("decodes"))
    });
    group.bench_function("resample 8 -> 16 kHz", |b| {
        b.iter(|| to_16k(black_box(minute_8k.clone()), decoded.sample_rate_hz).expect("resamples"))
    });
    group.bench_function("vad + crosstalk", |b| {
        b.iter(|| speech_by_channel(black_box(&minute_16k), &mut EarshotVad, &VadConfig::default()))
    });
    group.bench_function("turn-taking metrics", |b| {
        b.iter(|| {
            turns::analyze([speech.channel(0), speech.channel(1)], 60.0, &TurnConfig::default())
        })
    });
    group.bench_function("pitch + loudness", |b| {
        let mut tracker = PitchTracker::default();
        b.iter(|| {
            (
                tracker.measure(minute_16k.channel(0), speech.channel(0)),
                tracker.measure(minute_16k.channel(1), speech.channel(1)),
            )
        })
    });
    group.finish();
}

/// The sales script (phrases, examples and the built-in stage model) on a 10-minute call: the
/// labelled development calls of fixtures/utterances/ one after another, 4 s per utterance,
/// until 150 utterances (600 s).
fn script(c: &mut Criterion) {
    use callgauge::stages::{Facts, evaluate, evaluate_turns, labels, script};
    let script = script::default_script().expect("the default script parses");
    for lang in ["en", "ru"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("fixtures/utterances/dev/{lang}.tsv"));
        let calls = labels::read(&path, Some(lang)).expect("the corpus reads");
        let mut segments: Vec<_> = calls.iter().flat_map(|c| c.segments()).collect();
        segments.truncate(150);
        for (i, s) in segments.iter_mut().enumerate() {
            s.start_s = 4.0 * i as f64;
            s.end_s = s.start_s + 3.0;
        }
        let facts = Facts { language: Some(lang.into()), ..Facts::default() };
        c.bench_function(&format!("sales script, 10-minute call ({lang}, 150 utterances)"), |b| {
            b.iter(|| evaluate(&script, black_box(&segments), &facts, None))
        });
        // As `analyze` scores a call: the same utterances 0.5 s apart, so one speaker's run
        // joins into turns that the model judges a second time.
        for s in segments.iter_mut() {
            s.end_s = s.start_s + 3.5;
        }
        let name = format!("sales script by turn, 10-minute call ({lang}, 150 utterances)");
        c.bench_function(&name, |b| {
            b.iter(|| evaluate_turns(&script, black_box(&segments), 1.0, &facts, None))
        });
    }
}

/// Diarization of one minute of the same call mixed to mono (VAD speech given), with the real
/// GE2E weights (`models/ge2e-resemblyzer.f32`, built by `./setup.sh`).
fn diarize(c: &mut Criterion) {
    use callgauge::diarize::{VoiceDiarizer, ge2e::Ge2e};
    use callgauge::resample::Audio16k;
    use callgauge::speakers::Diarizer;
    use std::sync::Arc;
    let weights = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ge2e-resemblyzer.f32");
    let encoder = Arc::new(Ge2e::load(&weights).expect("run ./setup.sh: the GE2E weights"));
    let decoded = decode_file(&fixture(), &Limits::default()).expect("fixture decodes");
    let rate = decoded.sample_rate_hz as usize;
    let minute = one_minute(&decoded.channels, rate);
    let mono: Vec<f32> = minute[0].iter().zip(&minute[1]).map(|(l, r)| 0.5 * (l + r)).collect();
    let mono = to_16k(vec![mono], decoded.sample_rate_hz).expect("resamples");
    let speech = speech_by_channel(&mono, &mut EarshotVad, &VadConfig::default());
    let mono = Audio16k::new(mono.into_channels());
    let mut group = c.benchmark_group("per minute of mono call");
    group.throughput(Throughput::Elements(60));
    group.sample_size(10);
    group.bench_function("diarize (GE2E windows + 2-means)", |b| {
        b.iter(|| {
            let mut d = VoiceDiarizer::new(encoder.clone());
            d.diarize(black_box(mono.channel(0)), speech.channel(0))
        })
    });
    group.finish();
}

criterion_group!(benches, stages, script, diarize);
criterion_main!(benches);
