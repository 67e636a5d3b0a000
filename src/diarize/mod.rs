//! Diarization: who speaks when on a mono recording, as two voices.
//!
//! Every stretch of speech the VAD found is covered by 1.6 s windows (every 0.8 s; a shorter
//! stretch is repeated to fill one window), each window becomes a GE2E voice embedding
//! ([`ge2e`]), the embeddings are centred on their weighted mean and split in two by a
//! weighted spherical 2-means seeded along their main direction, and every 10 ms of speech goes
//! to the voice its covering windows are closer to, smoothed over 0.3 s. On a long recording
//! each later window learns the voices again from all embeddings so far, starting from the
//! voices already known, so a voice keeps its identity across the call.
//!
//! Takes: one window's 16 kHz mono samples and its speech intervals. Gives: two interval lists,
//! the voice that speaks first in the call first. Must not: decide which voice is the agent
//! (that needs words: see `pipeline`), or look at channels.
//!
//! Overlapping speech goes to one voice only: the embedding sees a mix, not two speakers.

pub mod ge2e;

use crate::speakers::{Diarizer, DiarizerInfo};
use crate::timeline::{Interval, normalize};
use ge2e::Ge2e;
use std::sync::Arc;

const DIM: usize = 256;
/// Embedding window step, s.
const HOP_S: f64 = 0.8;
/// Score smoothing, s.
const SMOOTH_S: f64 = 0.3;
/// Time grid of the assignment, s.
const STEP_S: f64 = 0.01;
/// A voice holding less than this share of the speech is not a second speaker.
const MIN_SHARE: f64 = 0.05;
/// Embeddings of earlier windows kept per call (1 KB each: 8 MB at most).
const MAX_KEPT: usize = 8000;
/// Windows embedded per batch (bounds memory: ~45 MB of activations).
const BATCH: usize = 64;

type Vector = [f32; DIM];

/// How the voices were told apart, for the call's JSON.
pub const METHOD: &str = "ge2e-windows-2means";

/// The call's two voices, as learnt so far.
#[derive(Debug, Clone)]
struct Voices {
    mean: Vector,
    centroids: [Vector; 2],
}

/// The GE2E diarizer: one per call (it remembers the call's voices across windows).
pub struct VoiceDiarizer {
    encoder: Arc<Ge2e>,
    voices: Option<Voices>,
    /// The call's embeddings so far (thinned past [`MAX_KEPT`]), and their weights.
    seen: Vec<Vector>,
    seen_weights: Vec<f64>,
    model: Option<(String, String)>,
}

impl VoiceDiarizer {
    pub fn new(encoder: Arc<Ge2e>) -> Self {
        VoiceDiarizer {
            encoder,
            voices: None,
            seen: Vec::new(),
            seen_weights: Vec::new(),
            model: None,
        }
    }

    /// Names the weights file (name, sha256) in the call's JSON.
    pub fn with_model(mut self, name: String, sha256: String) -> Self {
        self.model = Some((name, sha256));
        self
    }
}

/// One embedded window: where it sits and how much speech it stands for.
struct Item {
    start: usize,
    end: usize,
    weight: f64,
}

impl Diarizer for VoiceDiarizer {
    fn info(&self) -> DiarizerInfo {
        DiarizerInfo { method: METHOD, model: self.model.clone() }
    }

    fn diarize(&mut self, audio: &[f32], speech: &[Interval]) -> Option<[Vec<Interval>; 2]> {
        let (items, windows) = cut(audio, speech);
        if items.is_empty() {
            return None;
        }
        let mut emb = Vec::with_capacity(windows.len());
        for chunk in windows.chunks(BATCH) {
            let refs: Vec<&[f32]> = chunk.iter().map(Vec::as_slice).collect();
            emb.extend(self.encoder.embed(&refs));
        }
        let weights: Vec<f64> = items.iter().map(|i| i.weight).collect();
        // The voices are learnt again on every window, from all of the call's embeddings so
        // far, starting from the voices already known (a later window sharpens them and cannot
        // swap them).
        let kept = self.seen.len();
        self.seen.extend(&emb);
        self.seen_weights.extend(&weights);
        let voices = match learn(&self.seen, &self.seen_weights, self.voices.as_ref()) {
            Some(v) => v,
            None => {
                let Some(known) = self.voices.clone() else {
                    // No two voices yet: this window is not remembered.
                    self.seen.truncate(kept);
                    self.seen_weights.truncate(kept);
                    return None;
                };
                known
            }
        };
        self.voices = Some(voices.clone());
        if self.seen.len() > MAX_KEPT {
            // Long recordings: keep every other embedding, so memory stays bounded.
            self.seen = self.seen.iter().copied().step_by(2).collect();
            self.seen_weights = self.seen_weights.iter().copied().step_by(2).collect();
        }
        let centred: Vec<Vector> = emb.iter().map(|e| unit_centred(e, &voices.mean)).collect();
        let diff: Vec<f64> = centred
            .iter()
            .map(|e| f64::from(dot(e, &voices.centroids[0]) - dot(e, &voices.centroids[1])))
            .collect();
        let frames = (audio.len() as f64 / ge2e::RATE as f64 / STEP_S).ceil() as usize;
        let (mut sum, mut count) = (vec![0.0; frames], vec![0u32; frames]);
        for (item, d) in items.iter().zip(&diff) {
            for f in item.start..item.end.min(frames) {
                sum[f] += d;
                count[f] += 1;
            }
        }
        let score: Vec<f64> = sum
            .iter()
            .zip(&count)
            .map(|(s, c)| if *c > 0 { s / f64::from(*c) } else { 0.0 })
            .collect();
        let mut out = [Vec::new(), Vec::new()];
        for iv in speech {
            let (a, b) = (frame(iv.start_s).min(frames), frame(iv.end_s).min(frames));
            if b <= a {
                continue;
            }
            let smooth = moving_average(&score[a..b], (SMOOTH_S / STEP_S) as usize);
            let mut run_start = iv.start_s;
            let mut current = usize::from(smooth[0] < 0.0);
            for (k, s) in smooth.iter().enumerate().skip(1) {
                let voice = usize::from(*s < 0.0);
                if voice != current {
                    let t = (a + k) as f64 * STEP_S;
                    out[current].push(Interval::new(run_start, t));
                    run_start = t;
                    current = voice;
                }
            }
            out[current].push(Interval::new(run_start, iv.end_s));
        }
        let [a, b] = out;
        Some([normalize(a), normalize(b)])
    }
}

fn frame(t: f64) -> usize {
    (t / STEP_S).round().max(0.0) as usize
}

/// The embedding windows covering `speech`, with their 10 ms frame spans and weights.
fn cut(audio: &[f32], speech: &[Interval]) -> (Vec<Item>, Vec<Vec<f32>>) {
    let rate = ge2e::RATE as f64;
    let win_s = ge2e::WINDOW as f64 / rate;
    let (mut items, mut windows) = (Vec::new(), Vec::new());
    for iv in speech {
        let a = ((iv.start_s * rate) as usize).min(audio.len());
        let b = ((iv.end_s * rate) as usize).min(audio.len());
        if b <= a + 160 {
            continue;
        }
        if b - a <= ge2e::WINDOW {
            let piece = &audio[a..b];
            windows.push(piece.iter().copied().cycle().take(ge2e::WINDOW).collect());
            items.push(Item {
                start: frame(iv.start_s),
                end: frame(iv.end_s),
                weight: (b - a) as f64 / rate,
            });
            continue;
        }
        let len_s = (b - a) as f64 / rate;
        let n = ((len_s - win_s) / HOP_S).ceil() as usize + 1;
        for k in 0..n {
            let s = (a + (k as f64 * HOP_S * rate) as usize).min(b - ge2e::WINDOW);
            windows.push(audio[s..s + ge2e::WINDOW].to_vec());
            let t = s as f64 / rate;
            items.push(Item { start: frame(t), end: frame(t + win_s), weight: HOP_S.min(win_s) });
        }
    }
    (items, windows)
}

/// Two voices from the embeddings, or `None` when one voice holds nearly all speech. Without
/// `known` voices, voice 0 is the one heard first (`emb[0]`'s); with them, the split starts
/// from them and each new voice keeps the identity of the known one it is nearer to.
fn learn(emb: &[Vector], weights: &[f64], known: Option<&Voices>) -> Option<Voices> {
    if emb.len() < 2 {
        return None;
    }
    let total: f64 = weights.iter().sum();
    let mut mean = [0.0f32; DIM];
    for (e, w) in emb.iter().zip(weights) {
        for (m, v) in mean.iter_mut().zip(e) {
            *m += (f64::from(*v) * w / total) as f32;
        }
    }
    let centred: Vec<Vector> = emb.iter().map(|e| unit_centred(e, &mean)).collect();
    let nearer = |e: &Vector, c: &[Vector; 2]| usize::from(dot(e, &c[1]) > dot(e, &c[0]));
    let mut label: Vec<usize> = match known {
        Some(v) => {
            // The known centroids, moved into this centring.
            let old: Vec<Vector> = emb.iter().map(|e| unit_centred(e, &v.mean)).collect();
            old.iter().map(|e| nearer(e, &v.centroids)).collect()
        }
        None => {
            let axis = main_direction(&centred, weights);
            centred.iter().map(|e| usize::from(dot(e, &axis) < 0.0)).collect()
        }
    };
    let mut centroids = [[0.0f32; DIM]; 2];
    for _ in 0..50 {
        centroids =
            [centroid(&centred, weights, &label, 0), centroid(&centred, weights, &label, 1)];
        let next: Vec<usize> = centred.iter().map(|e| nearer(e, &centroids)).collect();
        if next == label {
            break;
        }
        label = next;
    }
    let share0: f64 =
        label.iter().zip(weights).filter(|(l, _)| **l == 0).map(|(_, w)| w).sum::<f64>() / total;
    if share0.min(1.0 - share0) < MIN_SHARE {
        return None;
    }
    if known.is_none() && label[0] == 1 {
        centroids.swap(0, 1);
    }
    Some(Voices { mean, centroids })
}

fn centroid(v: &[Vector], weights: &[f64], label: &[usize], which: usize) -> Vector {
    let mut c = [0.0f32; DIM];
    for ((e, w), l) in v.iter().zip(weights).zip(label) {
        if *l == which {
            for (a, b) in c.iter_mut().zip(e) {
                *a += b * *w as f32;
            }
        }
    }
    unit(c)
}

/// The first principal direction of weighted unit vectors (power iteration on X'WX).
fn main_direction(v: &[Vector], weights: &[f64]) -> Vector {
    // Seed: the heaviest vector (deterministic, and never orthogonal to the data).
    let heaviest = (0..v.len()).max_by(|a, b| weights[*a].total_cmp(&weights[*b])).unwrap_or(0);
    let mut axis = v.get(heaviest).copied().unwrap_or([0.0; DIM]);
    for _ in 0..100 {
        let mut next = [0.0f32; DIM];
        for (e, w) in v.iter().zip(weights) {
            let p = dot(e, &axis) * *w as f32;
            for (n, x) in next.iter_mut().zip(e) {
                *n += p * x;
            }
        }
        axis = unit(next);
    }
    axis
}

fn dot(a: &Vector, b: &Vector) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn unit(mut v: Vector) -> Vector {
    let n = dot(&v, &v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

fn unit_centred(e: &Vector, mean: &Vector) -> Vector {
    let mut c = [0.0f32; DIM];
    for ((c, a), m) in c.iter_mut().zip(e).zip(mean) {
        *c = a - m;
    }
    unit(c)
}

fn moving_average(x: &[f64], width: usize) -> Vec<f64> {
    if width <= 1 || x.len() <= width {
        return x.to_vec();
    }
    let half = width / 2;
    let mut prefix = vec![0.0; x.len() + 1];
    for (i, v) in x.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    (0..x.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(x.len()));
            (prefix[b] - prefix[a]) / (b - a) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(usize, f32)]) -> Vector {
        let mut x = [0.0; DIM];
        for (i, a) in pairs {
            x[*i] = *a;
        }
        unit(x)
    }

    #[test]
    fn two_groups_of_embeddings_become_two_voices_the_first_heard_first() {
        let a = |k: f32| v(&[(0, 1.0), (1, 0.2), (2, 0.1 * k)]);
        let b = |k: f32| v(&[(0, 1.0), (3, 0.6), (4, 0.1 * k)]);
        let emb = [b(1.0), a(1.0), a(2.0), b(2.0), a(3.0), b(3.0)];
        let voices = learn(&emb, &[1.0; 6], None).unwrap();
        let side = |e: &Vector| {
            let c = unit_centred(e, &voices.mean);
            usize::from(dot(&c, &voices.centroids[1]) > dot(&c, &voices.centroids[0]))
        };
        assert_eq!(emb.iter().map(side).collect::<Vec<_>>(), [0, 1, 1, 0, 1, 0]);
    }

    #[test]
    fn one_voice_with_a_stray_window_is_not_two_speakers() {
        let mut emb: Vec<Vector> = (0..40).map(|_| v(&[(0, 1.0), (1, 0.2)])).collect();
        emb.push(v(&[(5, 1.0)]));
        assert!(learn(&emb, &[1.0; 41], None).is_none());
    }

    #[test]
    fn windows_cover_each_stretch_of_speech_to_its_end() {
        let audio = vec![0.0f32; 16_000 * 10];
        let speech = [Interval::new(0.5, 1.0), Interval::new(2.0, 6.1), Interval::new(9.0, 9.005)];
        let (items, windows) = cut(&audio, &speech);
        assert!(windows.iter().all(|w| w.len() == ge2e::WINDOW));
        assert_eq!((items[0].start, items[0].end), (50, 100), "a short stretch is one window");
        let long: Vec<&Item> = items[1..].iter().collect();
        assert_eq!(long.first().unwrap().start, 200);
        assert_eq!(long.last().unwrap().end, 610, "the last window ends where the speech ends");
        assert_eq!(
            items.len(),
            1 + 5,
            "4.1 s: windows at 2.0, 2.8, 3.6, 4.4 and 4.5 (pulled back)"
        );
    }

    #[test]
    fn smoothing_keeps_length_and_flattens_a_blip() {
        let mut x = vec![1.0; 100];
        x[50] = -5.0;
        let s = moving_average(&x, 30);
        assert_eq!(s.len(), 100);
        assert!(s.iter().all(|v| *v > 0.0));
    }
}
