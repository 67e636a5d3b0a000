//! Discover: which files a batch reads, and the call id each one gets.
//!
//! Takes: the paths the user gave (files and folders) and a filter for files found in folders.
//! Gives: a sorted, de-duplicated list of files and their call ids. Must not: open the files.

use crate::error::FatalError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// File extensions picked up when a folder is given as input.
pub const AUDIO_EXTENSIONS: &[&str] =
    &["wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "webm", "mka", "caf"];

/// Name of the batch summary written next to the per-call files.
pub const BATCH_FILE: &str = "callgauge-batch.json";

/// Expands folders (recursively, by audio extension) and keeps files as given; sorted, unique.
pub fn collect_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, FatalError> {
    collect_files(inputs, &has_audio_extension)
        .map_err(|e| e.unwrap_or_else(|| FatalError::NoInputs(AUDIO_EXTENSIONS.join(", "))))
}

/// Files given as they are, plus those under folders that `wanted` accepts; sorted, unique.
/// `Err(None)` when nothing was found.
pub fn collect_files(
    inputs: &[PathBuf],
    wanted: &dyn Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, Option<FatalError>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, wanted, &mut files)
                .map_err(|e| Some(FatalError::InputMissing(format!("{}: {e}", input.display()))))?;
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(Some(FatalError::InputMissing(input.display().to_string())));
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        return Err(None);
    }
    Ok(files)
}

fn walk(dir: &Path, wanted: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        // Hidden files and folders (caches, editor files) are skipped, as ripgrep does.
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            walk(&path, wanted, out)?;
        } else if wanted(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn has_audio_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Call ids are file stems, made unique within the batch by a `-2`, `-3`, … suffix in input
/// order. The batch summary's name is reserved.
pub fn assign_call_ids(files: &[PathBuf]) -> Vec<String> {
    let reserved = BATCH_FILE.trim_end_matches(".json");
    let mut seen: HashSet<String> = HashSet::from([reserved.to_string()]);
    files
        .iter()
        .map(|path| {
            let stem = path.file_stem().map_or("call".into(), |s| s.to_string_lossy().into_owned());
            let stem =
                if stem.is_empty() || stem.starts_with('.') { format!("call{stem}") } else { stem };
            let mut id = stem.clone();
            let mut n = 1;
            while !seen.insert(id.clone()) {
                n += 1;
                id = format!("{stem}-{n}");
            }
            id
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_are_unique_and_reserve_the_batch_file() {
        let files: Vec<PathBuf> =
            ["a/call.wav", "b/call.mp3", "c/callgauge-batch.wav", "d/звонок 1.wav", "e/.wav"]
                .iter()
                .map(PathBuf::from)
                .collect();
        assert_eq!(
            assign_call_ids(&files),
            ["call", "call-2", "callgauge-batch-2", "звонок 1", "call.wav"]
        );
    }

    #[test]
    fn folders_are_searched_by_extension_and_hidden_entries_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/.cache")).unwrap();
        for name in ["a.WAV", "sub/b.mp3", "sub/notes.txt", ".hidden.wav", "sub/.cache/c.wav"] {
            std::fs::write(root.join(name), b"x").unwrap();
        }
        let found = collect_inputs(&[root.to_path_buf()]).unwrap();
        assert_eq!(found, [root.join("a.WAV"), root.join("sub/b.mp3")]);
        assert!(matches!(
            collect_inputs(&[root.join("missing.wav")]),
            Err(FatalError::InputMissing(_))
        ));
    }
}
