//! Fuzz: the entry points of callgauge's parsers of untrusted input, one per fuzz target
//! (`fuzz/`, cargo-fuzz) and run over the seed corpus by `tests/fuzz_seeds.rs`.
//!
//! Takes: arbitrary bytes. Gives: nothing; each returns normally on any input. Must not: panic,
//! hang, or allocate without bound (decoding is capped by [`LIMITS`]).

use crate::config::Limits;

/// Tight limits, so one input cannot take long or much memory: 10 min of audio, 4 MiB of file.
pub const LIMITS: Limits = Limits { max_duration_s: 600.0, max_file_bytes: 4 << 20 };

/// Decodes `data` as a recording, with and without a `.wav` hint.
pub fn decode(data: &[u8]) {
    for hint in [Some("wav"), None] {
        let _ = crate::decode::decode_bytes(data.to_vec(), hint, &LIMITS);
    }
}

/// Sniffs `data` as the start of a WAV file.
pub fn wav_sniff(data: &[u8]) {
    let _ = crate::decode::wav_format_tag(data);
}

/// Parses `data` (lossily as UTF-8) as a sales script.
pub fn script(data: &[u8]) {
    let _ = crate::stages::script::parse(&String::from_utf8_lossy(data), "fuzz.toml");
}

/// Parses `data` as an outcomes CSV.
pub fn outcomes(data: &[u8]) {
    let _ = crate::stages::outcomes::parse(data, "fuzz.csv");
}

/// Parses `data` as a team-report metadata CSV; then its first line as a `--path-pattern` and
/// the second as a path matched against it.
pub fn metadata(data: &[u8]) {
    let _ = crate::team::meta::parse(data, "fuzz.csv");
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    if let (Some(pattern), Some(path)) = (lines.next(), lines.next())
        && let Ok(p) = crate::team::meta::PathPattern::new(pattern)
    {
        let _ = p.fields(path);
    }
}
