//! Decode: an audio file in, planar f32 channels at the file's own rate out.
//!
//! Takes: a path and [`Limits`]. Gives: [`DecodedAudio`] (1 or 2 channels, 8–48 kHz) with the
//! codec's name — whole, or a piece at a time from a [`DecodeStream`] — or a [`DecodeError`]
//! that names the cause (and the codec, when it is the codec).
//! Must not: panic or allocate without bound on untrusted input — size and duration limits are
//! checked before and during decoding; a corrupt packet is skipped and counted, other errors stop.

use crate::config::Limits;
use crate::error::DecodeError;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::LazyLock;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Decoded audio at its original sample rate.
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// One vector per channel, samples in [-1, 1].
    pub channels: Vec<Vec<f32>>,
    pub sample_rate_hz: u32,
    /// Short codec name, e.g. `pcm_s16le`, `pcm_mulaw`, `mp3`.
    pub codec: String,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: u64,
    /// Frames the container's header promises, when it says.
    pub declared_frames: Option<u64>,
}

impl DecodedAudio {
    /// Seconds the header promises, when it says.
    pub fn declared_s(&self) -> Option<f64> {
        self.declared_frames.map(|f| f as f64 / f64::from(self.sample_rate_hz.max(1)))
    }

    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate_hz.max(1))
    }
}

/// Symphonia's codecs plus Opus (libopus, built from source by the adapter crate).
static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
    let mut registry = CodecRegistry::new();
    symphonia::default::register_enabled_codecs(&mut registry);
    registry.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
    registry
});

/// Decodes the whole file at `path`.
pub fn decode_file(path: &Path, limits: &Limits) -> Result<DecodedAudio, DecodeError> {
    DecodeStream::open(path, limits)?.read_all()
}

/// Decodes a whole recording held in memory; `extension` is a hint to the container (`wav`).
pub fn decode_bytes(
    bytes: Vec<u8>,
    extension: Option<&str>,
    limits: &Limits,
) -> Result<DecodedAudio, DecodeError> {
    check_size(bytes.len() as u64, limits)?;
    let head = bytes[..bytes.len().min(HEAD_BYTES)].to_vec();
    DecodeStream::new(Box::new(std::io::Cursor::new(bytes)), &head, extension, limits)?.read_all()
}

fn check_size(size_bytes: u64, limits: &Limits) -> Result<(), DecodeError> {
    if size_bytes == 0 {
        return Err(DecodeError::Empty);
    }
    if size_bytes > limits.max_file_bytes {
        return Err(DecodeError::TooLarge { size_bytes, limit_bytes: limits.max_file_bytes });
    }
    Ok(())
}

/// A recording decoded a piece at a time, so that a 10-hour file never has to be in memory
/// whole: [`DecodeStream::read_into`] appends the next frames to the caller's buffer.
pub struct DecodeStream {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    limits: Limits,
    /// Short codec name, e.g. `pcm_s16le`, `pcm_mulaw`, `mp3`.
    pub codec: String,
    pub sample_rate_hz: u32,
    /// Frames the container's header promises, when it says.
    pub declared_frames: Option<u64>,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: u64,
    /// Channels, known from the first decoded packet.
    channels: Option<usize>,
    /// Frames decoded so far.
    frames: u64,
    planar: Vec<Vec<f32>>,
    ended: bool,
}

impl DecodeStream {
    /// Opens `path` and reads its header; no audio is decoded yet.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, DecodeError> {
        let size_bytes = std::fs::metadata(path)?.len();
        check_size(size_bytes, limits)?;
        let head = read_head(path)?;
        let ext = path.extension().and_then(|e| e.to_str());
        DecodeStream::new(Box::new(File::open(path)?), &head, ext, limits)
    }

    fn new(
        source: Box<dyn symphonia::core::io::MediaSource>,
        head: &[u8],
        extension: Option<&str>,
        limits: &Limits,
    ) -> Result<Self, DecodeError> {
        if let Some(codec) = wav_format_tag(head).and_then(unsupported_tag_name) {
            return Err(DecodeError::UnsupportedCodec(codec));
        }
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let mss = MediaSourceStream::new(source, Default::default());
        let format = symphonia::default::get_probe()
            .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| match e {
                SymError::IoError(io) => DecodeError::UnknownFormat(format!("read failed: {io}")),
                other => DecodeError::UnknownFormat(other.to_string()),
            })?;
        DecodeStream::start(format, limits)
    }

    fn start(format: Box<dyn FormatReader>, limits: &Limits) -> Result<Self, DecodeError> {
        let track = format.default_track(TrackType::Audio).ok_or(DecodeError::NoAudioTrack)?;
        let track_id = track.id;
        let declared_frames = track.num_frames;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(DecodeError::NoAudioTrack)?
            .clone();
        let codec = CODECS
            .get_audio_decoder(params.codec)
            .map(|d| d.codec.info.short_name.to_string())
            .ok_or_else(|| DecodeError::UnsupportedCodec(format!("id {}", params.codec)))?;
        let rate = params.sample_rate.ok_or(DecodeError::MissingParameter("sample rate"))?;
        check_rate(rate)?;
        if let Some(channels) = &params.channels {
            check_channels(channels.count())?;
        }
        if let Some(frames) = declared_frames {
            check_duration(frames, rate, limits)?;
        }
        let decoder = CODECS
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| DecodeError::UnsupportedCodec(format!("{codec} ({e})")))?;
        Ok(DecodeStream {
            format,
            decoder,
            track_id,
            limits: limits.clone(),
            codec,
            sample_rate_hz: rate,
            declared_frames,
            skipped_packets: 0,
            channels: None,
            frames: 0,
            planar: Vec::new(),
            ended: false,
        })
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Appends decoded frames to `out` (one vector per channel) until `out` holds at least
    /// `frames` frames or the recording ends. Returns `false` once the recording has ended.
    /// A truncated file ends early (what was decoded is kept); a corrupt packet is skipped and
    /// counted; other errors stop.
    pub fn read_into(
        &mut self,
        out: &mut Vec<Vec<f32>>,
        frames: usize,
    ) -> Result<bool, DecodeError> {
        while !self.ended && out.first().map_or(0, Vec::len) < frames {
            self.next_packet(out)?;
        }
        Ok(!self.ended)
    }

    /// Decodes everything that is left.
    pub fn read_all(mut self) -> Result<DecodedAudio, DecodeError> {
        let mut channels = Vec::new();
        self.read_into(&mut channels, usize::MAX)?;
        if channels.first().is_none_or(Vec::is_empty) {
            return Err(DecodeError::NoSamples);
        }
        Ok(DecodedAudio {
            channels,
            sample_rate_hz: self.sample_rate_hz,
            codec: self.codec,
            skipped_packets: self.skipped_packets,
            declared_frames: self.declared_frames,
        })
    }

    fn corrupt(&self, cause: String) -> DecodeError {
        DecodeError::Corrupt { frames: self.frames, cause }
    }

    fn next_packet(&mut self, out: &mut Vec<Vec<f32>>) -> Result<(), DecodeError> {
        let packet = match self.format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => {
                self.ended = true;
                return Ok(());
            }
            // A truncated file ends early: keep what was decoded.
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.ended = true;
                return Ok(());
            }
            Err(e) => return Err(self.corrupt(e.to_string())),
        };
        if packet.track_id != self.track_id {
            return Ok(());
        }
        let buf = match self.decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(SymError::DecodeError(_) | SymError::IoError(_)) => {
                self.skipped_packets += 1;
                return Ok(());
            }
            Err(e) => return Err(self.corrupt(e.to_string())),
        };
        let spec_rate = buf.spec().rate();
        if spec_rate != self.sample_rate_hz {
            let rate = self.sample_rate_hz;
            return Err(self.corrupt(format!("sample rate changed from {rate} to {spec_rate} Hz")));
        }
        check_channels(buf.num_planes())?;
        buf.copy_to_vecs_planar::<f32>(&mut self.planar);
        let count = *self.channels.get_or_insert(self.planar.len());
        if count != self.planar.len() {
            let cause = format!("channel count changed from {count} to {}", self.planar.len());
            return Err(self.corrupt(cause));
        }
        let added = self.planar.first().map_or(0, Vec::len);
        append_planes(out, &self.planar)?;
        self.frames += added as u64;
        check_duration(self.frames, self.sample_rate_hz, &self.limits)
    }
}

fn append_planes(channels: &mut Vec<Vec<f32>>, planar: &[Vec<f32>]) -> Result<(), DecodeError> {
    if channels.is_empty() {
        channels.resize(planar.len(), Vec::new());
    }
    if channels.len() != planar.len() {
        let cause = format!("channel count changed from {} to {}", channels.len(), planar.len());
        let frames = channels.first().map_or(0, Vec::len) as u64;
        return Err(DecodeError::Corrupt { frames, cause });
    }
    for (dst, src) in channels.iter_mut().zip(planar) {
        dst.extend(src.iter().map(|s| if s.is_finite() { s.clamp(-1.0, 1.0) } else { 0.0 }));
    }
    Ok(())
}

fn check_rate(rate: u32) -> Result<(), DecodeError> {
    if (8000..=48000).contains(&rate) { Ok(()) } else { Err(DecodeError::SampleRate(rate)) }
}

fn check_channels(count: usize) -> Result<(), DecodeError> {
    if (1..=2).contains(&count) { Ok(()) } else { Err(DecodeError::Channels(count)) }
}

fn check_duration(frames: u64, rate: u32, limits: &Limits) -> Result<(), DecodeError> {
    if frames as f64 / f64::from(rate) > limits.max_duration_s {
        Err(DecodeError::TooLong { limit_s: limits.max_duration_s })
    } else {
        Ok(())
    }
}

/// Bytes of a file's start that are enough to sniff a WAV header.
const HEAD_BYTES: usize = 64;

/// The first [`HEAD_BYTES`] of the file (fewer if it is shorter).
fn read_head(path: &Path) -> Result<Vec<u8>, DecodeError> {
    let mut head = vec![0u8; HEAD_BYTES];
    let mut file = File::open(path)?;
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..])? {
            0 => break,
            n => len += n,
        }
    }
    head.truncate(len);
    Ok(head)
}

/// The `fmt ` chunk's format tag when `head` starts a RIFF/WAVE file and `fmt ` comes first.
pub fn wav_format_tag(head: &[u8]) -> Option<u16> {
    if head.len() < 22 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    if &head[12..16] != b"fmt " {
        return None;
    }
    Some(u16::from_le_bytes([head[20], head[21]]))
}

/// The name of a WAV format tag Symphonia cannot decode (`None` for one it can): Symphonia
/// rejects such files with a generic "unsupported wave format"; a QA lead needs to know it is,
/// say, GSM 6.10 so they can ask for a different export.
fn unsupported_tag_name(tag: u16) -> Option<String> {
    let name = match tag {
        // Decodable by Symphonia: PCM, IEEE float, A-law, µ-law, IMA ADPCM, MS ADPCM, extensible.
        0x0001 | 0x0003 | 0x0006 | 0x0007 | 0x0011 | 0x0002 | 0xFFFE => return None,
        0x0031 => "GSM 6.10 (WAV format tag 0x0031)",
        0x0022 => "TrueSpeech (WAV format tag 0x0022)",
        0x0040 => "G.721 ADPCM (WAV format tag 0x0040)",
        0x0064 => "G.726 ADPCM (WAV format tag 0x0064)",
        0x0055 => return None, // MP3 in WAV: let Symphonia try.
        other => return Some(format!("WAV format tag {other:#06x}")),
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_header(tag: u16) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00");
        h.extend_from_slice(&tag.to_le_bytes());
        h.extend_from_slice(&[1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
        h
    }

    #[test]
    fn wav_tags_name_unsupported_codecs_only() {
        assert_eq!(wav_format_tag(&wav_header(0x31)), Some(0x31));
        assert!(unsupported_tag_name(0x31).is_some_and(|n| n.contains("GSM 6.10")));
        for ok in [0x0001, 0x0003, 0x0006, 0x0007, 0x0011, 0xFFFE] {
            assert_eq!(unsupported_tag_name(ok), None, "tag {ok:#x}");
        }
        assert_eq!(wav_format_tag(b"RIFF"), None);
        assert_eq!(wav_format_tag(&[0u8; 64]), None);
    }

    #[test]
    fn planes_are_clamped_and_non_finite_zeroed() {
        let mut channels = Vec::new();
        append_planes(&mut channels, &[vec![2.0, f32::NAN, -0.5]]).unwrap();
        assert_eq!(channels, vec![vec![1.0, 0.0, -0.5]]);
        assert!(append_planes(&mut channels, &[vec![0.0], vec![0.0]]).is_err());
    }

    #[test]
    fn limits_are_checked() {
        let limits = Limits { max_duration_s: 10.0, max_file_bytes: 1 };
        assert!(check_duration(16_000 * 10, 16_000, &limits).is_ok());
        assert!(check_duration(16_000 * 10 + 1, 16_000, &limits).is_err());
        assert!(
            check_rate(7999).is_err() && check_rate(8000).is_ok() && check_rate(48001).is_err()
        );
        assert!(check_channels(6).is_err() && check_channels(2).is_ok());
    }
}
