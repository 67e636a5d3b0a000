//! HTML: the report people look at. `index.html` for the team and `calls/<call_id>.html` for
//! every call, written next to the report's CSVs: plain files that open offline and from a file
//! share, with no request to any host (no CDN, no web font; charts are SVG computed here, the
//! little JavaScript for sorting, paging and seeking is inline).
//!
//! Pages come from askama templates (`src/html/templates/`) with automatic HTML escaping: a
//! transcript or a file name holding `<script>` is shown as text. The only unescaped insertions
//! are the templates' own style sheet and scripts and the calls table's data, which is JSON with
//! `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026` (see [`script_json`]).
//!
//! Colours are the Okabe–Ito palette (distinguishable with every common colour-vision
//! deficiency); speakers also differ by label and pattern (the customer's lane is hatched), and
//! pass/fail is written as a word, so nothing depends on colour alone.
//!
//! Takes: the [`TeamReport`], its [`CallRow`]s (each with the call JSON it came from) and the
//! output folder. Gives: the pages. Must not: fetch anything, keep more than one call document
//! per thread in memory, overwrite a page it did not write.

mod call_page;
mod chart;
mod index_page;

use crate::output::write_atomic;
use crate::team::TeamReport;
use crate::team::calls::CallRow;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

pub use call_page::{CallDoc, render_call};
pub use index_page::render_index;

pub use crate::team::export::{CALLS_DIR, INDEX_HTML as INDEX};
/// Every page carries this, so a rerun knows which pages are its own.
pub const GENERATOR: &str = "callgauge report";

/// What writing the pages did.
#[derive(Debug, Default)]
pub struct Written {
    /// Call pages written.
    pub call_pages: usize,
    /// `path: cause` of call JSONs whose page could not be made (the index still lists them).
    pub problems: Vec<String>,
    /// Pages of an earlier run for calls no longer in the report, removed.
    pub stale_removed: usize,
}

/// The file name of a call's page: the call id (a file stem already) plus `.html`, or a hash
/// of the id when the id cannot be a file name (a `/`, a control character, a leading dot, too
/// long).
pub fn page_name(call_id: &str) -> String {
    let usable = !call_id.is_empty()
        && call_id.len() <= 200
        && !call_id.starts_with('.')
        && !call_id.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if usable {
        format!("{call_id}.html")
    } else {
        format!("call-{}.html", &crate::hash::bytes_sha256(call_id.as_bytes())[..16])
    }
}

/// Characters left as they are in a URL path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A relative URL from path segments, each percent-encoded.
fn url<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    segments
        .into_iter()
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The link from the index to a call's page.
pub fn call_href(call_id: &str) -> String {
    url([CALLS_DIR, &page_name(call_id)])
}

/// JSON to place inside `<script type="application/json">`: `<`, `>` and `&` occur in JSON only
/// inside strings, where `\u003c` etc. mean the same characters, so the text can never close
/// the script element or start a comment.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Writes `index.html` and one page per call into `dir` (the report's output folder, already
/// checked to be the report's own) and removes the pages of calls no longer in the report.
pub fn write_site(dir: &Path, rows: &[CallRow], report: &TeamReport) -> io::Result<Written> {
    let pages_dir = dir.join(CALLS_DIR);
    std::fs::create_dir_all(&pages_dir)?;
    let cwd = std::env::current_dir()?;
    let pages_abs = pages_dir.canonicalize()?;
    let results: Vec<Result<String, String>> = rows
        .par_iter()
        .filter_map(|row| row.file.as_ref().map(|f| (row, f)))
        .map(|(row, file)| {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("{}: read: {e}", file.display()))?;
            let doc: CallDoc = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a call JSON: {e}", file.display()))?;
            drop(text);
            let audio = doc.source.path.as_deref().and_then(|p| audio_href(p, &cwd, &pages_abs));
            let html = render_call(&doc, row, audio.as_deref())
                .map_err(|e| format!("{}: render: {e}", file.display()))?;
            let name = page_name(&row.call_id);
            write_atomic(&pages_dir.join(&name), html.as_bytes())
                .map_err(|e| format!("{}: write: {e}", pages_dir.join(&name).display()))?;
            Ok(name)
        })
        .collect();
    let mut written = Written::default();
    let mut names = HashSet::new();
    for r in results {
        match r {
            Ok(name) => {
                written.call_pages += 1;
                names.insert(name);
            }
            Err(e) => written.problems.push(e),
        }
    }
    written.stale_removed = remove_stale(&pages_dir, &names)?;
    let pages: HashSet<String> = names;
    let index = render_index(report, rows, &|id: &str| pages.contains(&page_name(id)))
        .map_err(|e| io::Error::other(format!("render index.html: {e}")))?;
    write_atomic(&dir.join(INDEX), index.as_bytes())?;
    Ok(written)
}

/// The recording's URL relative to the call pages, when the file is reachable from here (a
/// relative source path is taken from the current folder, as `analyze` was given it).
fn audio_href(source: &str, cwd: &Path, pages_abs: &Path) -> Option<String> {
    let p = PathBuf::from(source);
    let abs = if p.is_absolute() { p } else { cwd.join(p) };
    let abs = abs.canonicalize().ok().filter(|p| p.is_file())?;
    let rel = pathdiff::diff_paths(&abs, pages_abs)?;
    let parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    Some(url(parts.iter().map(String::as_str)))
}

/// Removes `*.html` in the pages folder that a report wrote (they carry [`GENERATOR`]) and that
/// are not in `keep`. Anything else is left alone.
fn remove_stale(pages_dir: &Path, keep: &HashSet<String>) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(pages_dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".html") || keep.contains(&name) {
            continue;
        }
        if is_ours(&entry.path()) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether an HTML file was written by `callgauge report` (its head names the generator).
pub fn is_ours(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    let marker = format!("<meta name=\"generator\" content=\"{GENERATOR}");
    String::from_utf8_lossy(&head[..n]).contains(&marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_are_the_id_or_a_hash_when_the_id_is_no_file_name() {
        assert_eq!(page_name("agentA__0931"), "agentA__0931.html");
        assert_eq!(page_name("a \"b\" & c"), "a \"b\" & c.html");
        for bad in ["", "../x", "a/b", ".hidden", "tab\there"] {
            let name = page_name(bad);
            assert!(name.starts_with("call-") && name.len() == 5 + 16 + 5, "{bad:?} → {name}");
        }
        assert_ne!(page_name("a/b"), page_name("a/c"));
    }

    #[test]
    fn links_are_percent_encoded() {
        assert_eq!(call_href("a \"b\" & c#1?"), "calls/a%20%22b%22%20%26%20c%231%3F.html");
        assert_eq!(call_href("звонок-1"), "calls/%D0%B7%D0%B2%D0%BE%D0%BD%D0%BE%D0%BA-1.html");
    }

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let v = serde_json::json!(["</script><script>alert(1)</script>", "a & b", "<!--"]);
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'), "{s}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&s).unwrap(), v);
    }
}
