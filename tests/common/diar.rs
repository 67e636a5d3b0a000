//! Mono mixes of the stereo fixtures, and the diarization error rate.

use callgauge::config::Limits;
use callgauge::decode::decode_file;
use std::path::Path;

/// Mixes a stereo recording down to one channel (the mean of the two, as a PBX sums the legs)
/// and writes it as 16-bit PCM at the file's own rate. The codec's own noise (µ-law, crosstalk,
/// line noise) stays in the mix.
pub fn mono_mix(stereo: &Path, out: &Path) {
    let audio = decode_file(stereo, &Limits::default()).expect("fixture decodes");
    assert_eq!(audio.channels.len(), 2, "{} is not stereo", stereo.display());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: audio.sample_rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(out, spec).expect("mix is writable");
    for (l, r) in audio.channels[0].iter().zip(&audio.channels[1]) {
        let v = ((l + r) * 0.5).clamp(-1.0, 1.0);
        w.write_sample((v * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// The standard diarization error rate: (missed + false alarm + confused speaker time) ÷
/// reference speaker time, on a 10 ms grid, overlap counted (a frame where two reference
/// speakers talk counts twice), no scoring within `collar_s` of a reference boundary, and the
/// hypothesis speakers mapped to the reference ones in the best of all orders. `ref_` and `hyp`
/// hold one interval list per speaker, as `(start, end)` in seconds.
pub fn der(reference: &[Vec<(f64, f64)>], hyp: &[Vec<(f64, f64)>], collar_s: f64) -> Der {
    let end = reference.iter().chain(hyp).flatten().map(|iv| iv.1).fold(0.0, f64::max);
    let n = (end / 0.01).ceil() as usize + 1;
    let grid = |list: &[(f64, f64)]| {
        let mut g = vec![false; n];
        for (a, b) in list {
            let (lo, hi) = ((a / 0.01).round() as usize, ((b / 0.01).round() as usize).min(n));
            g.iter_mut().take(hi).skip(lo).for_each(|v| *v = true);
        }
        g
    };
    let r: Vec<Vec<bool>> = reference.iter().map(|l| grid(l)).collect();
    let h: Vec<Vec<bool>> = hyp.iter().map(|l| grid(l)).collect();
    let mut scored = vec![true; n];
    let collar = (collar_s / 0.01).round() as usize;
    for list in reference {
        for (a, b) in list {
            for t in [a, b] {
                let f = (t / 0.01).round() as usize;
                let (lo, hi) = (f.saturating_sub(collar), (f + collar).min(n));
                scored.iter_mut().take(hi).skip(lo).for_each(|v| *v = false);
            }
        }
    }
    let mut best: Option<Der> = None;
    for order in permutations(h.len().max(r.len())) {
        let (mut total, mut miss, mut fa, mut conf) = (0usize, 0usize, 0usize, 0usize);
        for f in (0..n).filter(|f| scored[*f]) {
            let nref = r.iter().filter(|g| g[f]).count();
            let nhyp = h.iter().filter(|g| g[f]).count();
            let correct = order
                .iter()
                .enumerate()
                .filter(|(hi, ri)| {
                    h.get(*hi).is_some_and(|g| g[f]) && r.get(**ri).is_some_and(|g| g[f])
                })
                .count();
            total += nref;
            miss += nref.saturating_sub(nhyp);
            fa += nhyp.saturating_sub(nref);
            conf += nref.min(nhyp) - correct;
        }
        let t = total.max(1) as f64;
        let d = Der {
            rate: (miss + fa + conf) as f64 / t,
            missed: miss as f64 / t,
            false_alarm: fa as f64 / t,
            confusion: conf as f64 / t,
            order: order.clone(),
        };
        if best.as_ref().is_none_or(|b| d.rate < b.rate) {
            best = Some(d);
        }
    }
    best.expect("at least one order")
}

#[derive(Debug, Clone)]
pub struct Der {
    pub rate: f64,
    pub missed: f64,
    pub false_alarm: f64,
    pub confusion: f64,
    /// `order[h]` is the reference speaker hypothesis speaker `h` stands for.
    pub order: Vec<usize>,
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n <= 1 {
        return vec![(0..n).collect()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

/// Reads an RTTM file: one interval list per speaker name, in order of first appearance.
pub fn rttm(text: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("SPEAKER")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (start, dur): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        let name = f[7].to_string();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, list)) => list.push((start, start + dur)),
            None => out.push((name, vec![(start, start + dur)])),
        }
    }
    out
}

#[test]
fn der_counts_miss_false_alarm_and_confusion_once_each() {
    let reference = vec![vec![(0.0, 10.0)], vec![(10.0, 20.0)]];
    // Perfect, with the speakers' names swapped: 0.
    assert!(der(&reference, &[vec![(10.0, 20.0)], vec![(0.0, 10.0)]], 0.0).rate < 1e-9);
    // One second of B labelled A: 1 s confusion of 20.
    let d = der(&reference, &[vec![(0.0, 11.0)], vec![(11.0, 20.0)]], 0.0);
    assert!((d.confusion - 0.05).abs() < 1e-3 && d.missed == 0.0, "{d:?}");
    // The collar hides it.
    assert!(der(&reference, &[vec![(0.0, 10.2)], vec![(10.2, 20.0)]], 0.25).rate < 1e-9);
}
