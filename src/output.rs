//! Output: JSON documents as callgauge writes them — figures rounded to milliseconds, written
//! atomically.
//!
//! Takes: any serde value and a path. Gives: pretty JSON in a file that is either the old one or
//! the whole new one (temp file, fsync, rename), or compact JSON lines. Rounding happens here and
//! only here: every `f64` is written rounded to 3 decimals (finer digits are noise and make
//! documents harder to diff), so no stage rounds a value it still computes with.
//! Must not: decide what is written or where (callers name the path).

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rounds to milliseconds (3 decimals), the resolution of every figure in callgauge's JSON;
/// `-0.0` becomes `0.0`.
pub fn round_ms(x: f64) -> f64 {
    let r = (x * 1000.0).round() / 1000.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A serde_json formatter that writes every float rounded by [`round_ms`] and leaves the layout
/// to the formatter it wraps.
struct Rounding<F>(F);

impl<F: Formatter> Formatter for Rounding<F> {
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        self.0.write_f64(w, round_ms(value))
    }
    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        self.0.write_f64(w, round_ms(f64::from(value)))
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn serialize<T: Serialize + ?Sized, F: Formatter>(value: &T, formatter: F) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Rounding(formatter));
    value.serialize(&mut ser).map_err(io::Error::other)?;
    Ok(bytes)
}

/// Pretty JSON with a final newline, figures rounded.
pub fn to_pretty<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    let mut bytes = serialize(value, PrettyFormatter::new())?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One line of JSON Lines (compact, newline-terminated), figures rounded.
pub fn to_line<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    let mut bytes = serialize(value, CompactFormatter)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes pretty JSON to a temporary file in the same folder, flushes it to disk, then renames
/// it into place: a killed batch or a power cut never leaves a half-written document.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> io::Result<()> {
    write_atomic(path, &to_pretty(value)?)
}

/// Writes `bytes` to `path` atomically (see [`write_json_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes `path` atomically with `fill`, which streams into a buffered temporary file in the
/// same folder: for files too large to build in memory first.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    // Unique per write, so two threads writing one path never share a temporary file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut file = io::BufWriter::new(std::fs::File::create(&tmp)?);
        fill(&mut file)?;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_rounded_only_when_written() {
        let doc = serde_json::json!({"share": 0.400_449_9, "tiny": -0.000_4, "n": 3, "none": null});
        let text = String::from_utf8(to_line(&doc).unwrap()).unwrap();
        assert_eq!(text, "{\"n\":3,\"none\":null,\"share\":0.4,\"tiny\":0.0}\n");
        let pretty = String::from_utf8(to_pretty(&[1.23456, f64::NAN]).unwrap()).unwrap();
        assert_eq!(pretty, "[\n  1.235,\n  null\n]\n");
    }

    #[test]
    fn round_ms_is_idempotent_and_never_negative_zero() {
        for x in [0.1, 0.4004, 12.3455, 1e6 + 0.0005, -3.2109] {
            assert_eq!(round_ms(round_ms(x)), round_ms(x), "{x}");
        }
        assert!(round_ms(-0.0001).is_sign_positive());
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        write_json_atomic(&path, &serde_json::json!({"a": 2})).unwrap();
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["x.json"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\n  \"a\": 2\n}\n");
    }

    #[test]
    fn threads_writing_one_path_never_mix_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        let doc = serde_json::json!({"writer": t, "pad": "x".repeat(20_000)});
                        write_json_atomic(path, &doc).unwrap();
                    }
                });
            }
        });
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(doc["writer"].is_u64());
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["summary.json"]);
    }

    #[test]
    fn a_failed_write_removes_its_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file onto a folder fails after the temp file was written.
        let target = dir.path().join("taken");
        std::fs::create_dir(target.join("inner")).unwrap_or_else(|_| {
            std::fs::create_dir_all(target.join("inner")).unwrap();
        });
        assert!(write_atomic(&target, b"{}").is_err());
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["taken"]);
    }
}
