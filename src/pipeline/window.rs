//! Windows: a recording read a piece at a time, cut where both channels are quiet.
//!
//! A call is analyzed window by window so that memory stays bounded on a 10-hour recording:
//! each window is decoded, resampled, voice-detected and transcribed on its own, and only its
//! speech intervals, words and pitch frames are kept. Calls shorter than one window (every
//! ordinary call) are a single window, analyzed exactly as a whole file. A diarizer (mono
//! calls) sees one window at a time: its speakers must be matched across windows.
//!
//! Takes: a [`DecodeStream`] and the window length. Gives: [`Window`]s at the file's own rate,
//! each with its start time; consecutive windows tile the recording without gap or overlap.
//! Must not: cut inside the loudest part of the search span when a quieter one exists.

use crate::decode::DecodeStream;
use crate::error::DecodeError;

/// How far before the window's nominal end a cut may fall, as a share of the window.
const SEARCH_SHARE: f64 = 0.1;

/// Length of the blocks whose energy is compared when looking for the quietest cut, s.
const BLOCK_S: f64 = 0.25;

/// One piece of a recording.
pub struct Window {
    /// Where the window starts in the recording, s.
    pub start_s: f64,
    /// One vector per channel, at the file's own rate.
    pub channels: Vec<Vec<f32>>,
    /// Whether this is the recording's last window.
    pub last: bool,
}

/// Reads a [`DecodeStream`] as consecutive [`Window`]s of about `window_s` seconds.
pub struct Windows {
    stream: DecodeStream,
    window_frames: usize,
    buf: Vec<Vec<f32>>,
    /// Frames already handed out in windows.
    emitted: u64,
    done: bool,
}

impl Windows {
    pub fn new(stream: DecodeStream, window_s: f64) -> Self {
        let rate = f64::from(stream.sample_rate_hz);
        let window_frames = ((window_s.max(1.0) * rate) as usize).max(1);
        Windows { stream, window_frames, buf: Vec::new(), emitted: 0, done: false }
    }

    pub fn stream(&self) -> &DecodeStream {
        &self.stream
    }

    /// The next window, or `None` after the last one. A recording without a single sample is
    /// an error ([`DecodeError::NoSamples`]).
    pub fn next_window(&mut self) -> Result<Option<Window>, DecodeError> {
        if self.done {
            return Ok(None);
        }
        let more = self.stream.read_into(&mut self.buf, self.window_frames)?;
        let held = self.buf.first().map_or(0, Vec::len);
        if !more && held == 0 && self.emitted == 0 {
            return Err(DecodeError::NoSamples);
        }
        let cut = if more {
            let block = ((BLOCK_S * f64::from(self.stream.sample_rate_hz)) as usize).max(1);
            let span = (self.window_frames as f64 * SEARCH_SHARE) as usize;
            quiet_cut(&self.buf, self.window_frames.saturating_sub(span), self.window_frames, block)
        } else {
            held
        };
        let rest: Vec<Vec<f32>> = self.buf.iter_mut().map(|ch| ch.split_off(cut)).collect();
        let channels = std::mem::replace(&mut self.buf, rest);
        let start_s = self.emitted as f64 / f64::from(self.stream.sample_rate_hz);
        self.emitted += cut as u64;
        self.done = !more;
        Ok(Some(Window { start_s, channels, last: !more }))
    }
}

/// The frame in `from..to` at the middle of the quietest `block` (energy summed over the
/// channels): where a window can end without cutting a word. `to` when the span is empty.
pub fn quiet_cut(channels: &[Vec<f32>], from: usize, to: usize, block: usize) -> usize {
    let len = channels.first().map_or(0, Vec::len);
    let to = to.min(len);
    if from + block > to {
        return to;
    }
    let energy = |start: usize| -> f64 {
        channels
            .iter()
            .map(|ch| {
                ch[start..start + block].iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>()
            })
            .sum::<f64>()
    };
    // Later blocks win ties, so a silent span is cut as late as possible.
    let quietest = (from..=to - block)
        .step_by(block)
        .min_by(|&a, &b| energy(a).total_cmp(&energy(b)).then(b.cmp(&a)))
        .unwrap_or(to - block);
    quietest + block / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_falls_in_the_quietest_block_of_the_span() {
        let mut left = vec![0.5f32; 1000];
        left[600..700].iter_mut().for_each(|s| *s = 0.0);
        // Quiet on one channel only is not quiet: the other channel talks there.
        let mut right = vec![0.5f32; 1000];
        right[800..900].iter_mut().for_each(|s| *s = 0.0);
        right[600..700].iter_mut().for_each(|s| *s = 0.0);
        assert_eq!(quiet_cut(&[left, right], 500, 1000, 100), 650);
        assert_eq!(quiet_cut(&[vec![0.0; 1000]], 500, 1000, 100), 950, "silence: cut late");
        assert_eq!(quiet_cut(&[vec![0.0; 300]], 500, 1000, 100), 300, "span past the end");
    }
}
