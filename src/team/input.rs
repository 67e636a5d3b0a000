//! Input of the team report: call JSONs found under the given folders (any number of `analyze`
//! output folders, several nights), each read, reduced to a [`CallRow`] and dropped, joined
//! with the metadata.
//!
//! Takes: input paths, the metadata table, the path pattern. Gives: the rows and what was left
//! out. Must not: keep a call's transcript.

use super::LeftOut;
use super::calls::{CallRow, Keys};
use super::meta::{Meta, MetaTable, PathPattern};
use crate::discover::{BATCH_FILE, discover};
use crate::rescore::SCORES_FILE;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Files of the report's own output, never read as calls.
pub const OWN_FILES: [&str; 1] = ["report.json"];

fn is_call_json(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.ends_with(".json")
        && name != BATCH_FILE
        && name != SCORES_FILE
        && !OWN_FILES.contains(&name)
}

/// Reads every call JSON under `inputs`.
pub fn read_calls(
    inputs: &[PathBuf],
    table: Option<&MetaTable>,
    pattern: Option<&PathPattern>,
    min_dialogue_s: f64,
) -> (Vec<CallRow>, LeftOut) {
    let found = discover(inputs, &is_call_json);
    let mut left = LeftOut {
        unreadable_files: found
            .missing
            .iter()
            .map(|p| format!("{}: no such file or folder", p.display()))
            .chain(found.warnings.iter().cloned())
            .collect(),
        metadata_problems: table.map(|t| t.problems.clone()).unwrap_or_default(),
        ..LeftOut::default()
    };
    let mut rows = Vec::with_capacity(found.files.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let keys = Keys::default();
    let read = |path: &Path| -> Result<(CallRow, bool), String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let meta_for = |call_id: &str, source: Option<&str>| -> (Meta, bool) {
            let from_csv = table.and_then(|t| t.rows.get(call_id));
            let from_path = match (pattern, source) {
                (Some(p), Some(s)) => p.fields(s).ok(),
                _ => None,
            };
            let known = from_csv.is_some() || from_path.is_some();
            let meta = match (from_csv, from_path) {
                (Some(c), Some(p)) => c.clone().or(&p),
                (Some(c), None) => c.clone(),
                (None, Some(p)) => p,
                (None, None) => Meta::default(),
            };
            (meta, known)
        };
        CallRow::from_json_with(&text, &meta_for, &keys, min_dialogue_s)
    };
    // In parallel, a chunk at a time: each file is parsed whole, so only a chunk's documents
    // are ever in memory, never the night's.
    let read: Vec<_> = found.files.par_iter().map(|f| (&f.path, read(&f.path))).collect();
    for (path, result) in read {
        match result {
            Ok((mut row, known)) => {
                row.file = Some(path.clone());
                if (table.is_some() || pattern.is_some()) && !known {
                    left.calls_without_metadata.push(row.call_id.clone());
                }
                *seen.entry(row.call_id.clone()).or_default() += 1;
                rows.push(row);
            }
            Err(e) => left.unreadable_files.push(format!("{}: {e}", path.display())),
        }
    }
    left.duplicate_call_ids = seen.into_iter().filter(|(_, n)| *n > 1).map(|(id, _)| id).collect();
    if let Some(t) = table {
        let ids: HashSet<&str> = rows.iter().map(|r| r.call_id.as_str()).collect();
        let mut unmatched: Vec<String> =
            t.rows.keys().filter(|id| !ids.contains(id.as_str())).cloned().collect();
        unmatched.sort();
        left.metadata_without_call = unmatched;
    }
    (rows, left)
}
