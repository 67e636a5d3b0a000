//! Discover: which files a batch reads, the call id each one gets, and what was passed over.
//!
//! Takes: the paths the user gave (files and folders) and a filter for files found in folders.
//! Gives: [`Discovered`] — the files, sorted, each with a stable call id; the inputs that do not
//! exist; and every file or folder passed over, counted by reason. Must not: open the files.
//!
//! **Call ids are stable**: a file's id depends only on the file and the input it was found
//! under, never on what else is in the batch. A file given directly has its stem as id; a file
//! found in a folder has its path relative to that folder, without the extension, with `__`
//! between folder names (`calls/agentA/0931.wav` under `calls` → `agentA__0931`). Only when two
//! files of one batch still get the same id (`0931.wav` beside `0931.mp3`, or the same relative
//! path under two inputs) does the later one in sorted order get `-2`, `-3`, ….

use crate::error::FatalError;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// File extensions picked up when a folder is given as input.
pub const AUDIO_EXTENSIONS: &[&str] =
    &["wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "webm", "mka", "caf"];

/// Name of the batch summary written next to the per-call files.
pub const BATCH_FILE: &str = "callgauge-batch.json";

/// One file to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub call_id: String,
}

/// What discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Sorted by path, unique.
    pub files: Vec<Found>,
    /// Inputs that do not exist (each becomes an error record, not a fatal error).
    pub missing: Vec<PathBuf>,
    /// Files and folders passed over, counted by reason (e.g. `hidden`, `extension .txt`).
    pub skipped: BTreeMap<String, usize>,
    /// What went wrong while searching folders (unreadable folders, symlink loops).
    pub warnings: Vec<String>,
}

impl Discovered {
    /// One line for the run's header: `3 hidden, 2 extension .txt`.
    pub fn skipped_line(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            self.skipped.iter().map(|(why, n)| format!("{n} {why}")).collect::<Vec<_>>().join(", ")
        })
    }
}

/// One of `count` disjoint parts of a batch (`--shard index/count`), split by call id so that
/// every machine of a cluster, given the same inputs, takes its own calls and together they
/// take each call exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `i/n` with `i < n`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("shard {text:?} must be INDEX/COUNT with 0 ≤ INDEX < COUNT, e.g. 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the call `call_id` belongs to this shard (by the sha256 of the id, the same on
    /// every machine).
    pub fn takes(&self, call_id: &str) -> bool {
        let digest = crate::hash::bytes_sha256(call_id.as_bytes());
        let head = u64::from_str_radix(&digest[..15], 16).unwrap_or(0);
        head % self.count as u64 == self.index as u64
    }

    /// Keeps this shard's files; missing inputs go to shard 0 only.
    pub fn apply(&self, found: &mut Discovered) {
        found.files.retain(|f| self.takes(&f.call_id));
        if self.index != 0 {
            found.missing.clear();
        }
    }
}

/// The audio files of `inputs`; `NoInputs` when there is nothing to do at all.
pub fn discover_audio(inputs: &[PathBuf]) -> Result<Discovered, FatalError> {
    let found = discover(inputs, &has_audio_extension);
    if found.files.is_empty() && found.missing.is_empty() {
        return Err(FatalError::NoInputs(AUDIO_EXTENSIONS.join(", ")));
    }
    Ok(found)
}

/// Files given as they are, plus those under folders that `wanted` accepts.
pub fn discover(inputs: &[PathBuf], wanted: &dyn Fn(&Path) -> bool) -> Discovered {
    let mut out = Discovered::default();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, wanted, &mut files, &mut out);
        } else if input.exists() {
            files.push((input.clone(), stem_id(input)));
        } else {
            out.missing.push(input.clone());
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    out.files = unique_ids(files);
    out
}

fn walk(
    root: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    files: &mut Vec<(PathBuf, String)>,
    out: &mut Discovered,
) {
    let hidden =
        |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    let mut it = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // An unreadable folder or a symlink loop costs only itself.
                let why = if e.loop_ancestor().is_some() { "symlink loop" } else { "unreadable" };
                *out.skipped.entry(why.into()).or_default() += 1;
                out.warnings.push(format!("{}: {why}: {e}", root.display()));
                continue;
            }
        };
        // Hidden files and folders (caches, editor files) are skipped, as ripgrep does.
        if hidden(&entry) {
            *out.skipped.entry("hidden".into()).or_default() += 1;
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        if wanted(path) {
            files.push((path.to_path_buf(), relative_id(root, path)));
        } else {
            let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
            let why = ext.map_or("no extension".into(), |e| format!("extension .{e}"));
            *out.skipped.entry(why).or_default() += 1;
        }
    }
}

fn has_audio_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The id of a file given directly: its stem.
fn stem_id(path: &Path) -> String {
    clean(&path.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned()))
}

/// The id of a file found under `root`: its relative path without the extension, `__` between
/// folder names.
fn relative_id(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts: Vec<String> = rel
        .parent()
        .into_iter()
        .flat_map(|p| p.iter())
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    parts.push(stem_id(rel));
    clean(&parts.join("__"))
}

/// An id is a file name: never empty, never hidden.
fn clean(id: &str) -> String {
    if id.is_empty() || id.starts_with('.') { format!("call{id}") } else { id.to_string() }
}

/// Makes ids unique in sorted path order (see the module's rules); the batch summary's name is
/// reserved.
fn unique_ids(files: Vec<(PathBuf, String)>) -> Vec<Found> {
    let reserved = BATCH_FILE.trim_end_matches(".json");
    let mut seen: HashSet<String> = HashSet::from([reserved.to_string()]);
    files
        .into_iter()
        .map(|(path, id)| {
            let mut call_id = id.clone();
            let mut n = 1;
            while !seen.insert(call_id.clone()) {
                n += 1;
                call_id = format!("{id}-{n}");
            }
            Found { path, call_id }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(d: &Discovered) -> Vec<&str> {
        d.files.iter().map(|f| f.call_id.as_str()).collect()
    }

    fn touch(root: &Path, names: &[&str]) {
        for name in names {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
    }

    #[test]
    fn files_given_directly_keep_their_stem_and_clashes_get_a_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(
            r,
            &["a/call.wav", "b/call.mp3", "c/callgauge-batch.wav", "d/звонок 1.wav", "e/.wav"],
        );
        let given: Vec<PathBuf> =
            ["a/call.wav", "b/call.mp3", "c/callgauge-batch.wav", "d/звонок 1.wav", "e/.wav"]
                .iter()
                .map(|n| r.join(n))
                .collect();
        let d = discover_audio(&given).unwrap();
        assert_eq!(ids(&d), ["call", "call-2", "callgauge-batch-2", "звонок 1", "call.wav"]);
    }

    /// Regression: `agentA/0931.wav` and `agentB/0931.wav` were `0931` and `0931-2`, and which
    /// was which depended on the batch.
    #[test]
    fn ids_of_files_in_folders_do_not_depend_on_the_batch() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, &["agentA/0931.wav", "agentB/0931.wav"]);
        let both = discover_audio(&[r.to_path_buf()]).unwrap();
        assert_eq!(ids(&both), ["agentA__0931", "agentB__0931"]);
        std::fs::remove_file(r.join("agentA/0931.wav")).unwrap();
        let one = discover_audio(&[r.to_path_buf()]).unwrap();
        assert_eq!(ids(&one), ["agentB__0931"]);
    }

    #[test]
    fn skipped_files_are_counted_by_reason() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, &["a.WAV", "sub/b.mp3", "sub/notes.txt", "x.gsm", "README", ".hidden.wav"]);
        touch(r, &["sub/.cache/c.wav", "sub/.cache/d.wav"]);
        let d = discover_audio(&[r.to_path_buf()]).unwrap();
        assert_eq!(
            d.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            [r.join("a.WAV"), r.join("sub/b.mp3")]
        );
        assert_eq!(ids(&d), ["a", "sub__b"]);
        let want: BTreeMap<String, usize> =
            [("extension .gsm", 1), ("extension .txt", 1), ("hidden", 2), ("no extension", 1)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        assert_eq!(d.skipped, want);
        assert_eq!(
            d.skipped_line().unwrap(),
            "1 extension .gsm, 1 extension .txt, 2 hidden, 1 no extension"
        );
    }

    #[test]
    fn a_missing_input_is_listed_not_fatal_and_nothing_at_all_is() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), &["a.wav"]);
        let d = discover_audio(&[dir.path().join("a.wav"), dir.path().join("gone.wav")]).unwrap();
        assert_eq!((d.files.len(), d.missing.len()), (1, 1));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            discover_audio(&[empty.path().to_path_buf()]),
            Err(FatalError::NoInputs(_))
        ));
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_batch() {
        let ids: Vec<String> = (0..300).map(|i| format!("agent{}__call{i}", i % 7)).collect();
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for id in &ids {
            let takers = shards.iter().filter(|s| s.takes(id)).count();
            assert_eq!(takers, 1, "{id}");
        }
        let sizes: Vec<usize> =
            shards.iter().map(|s| ids.iter().filter(|id| s.takes(id)).count()).collect();
        assert!(sizes.iter().all(|&n| (70..=130).contains(&n)), "{sizes:?}");
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["3/3", "1/0", "x/2", "1"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), &["sub/a.wav"]);
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
        let d = discover_audio(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(ids(&d), ["sub__a"]);
        assert_eq!(d.skipped.get("symlink loop"), Some(&1), "{d:?}");
    }
}
