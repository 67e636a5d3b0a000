//! Resume: what an earlier run of the same batch into the same folder already did.
//!
//! A call whose result is there with status `ok` and the same recording (sha256), model (sha256)
//! and settings ([`settings_sha256`]) is kept, not redone. A journal in the output folder
//! (`.callgauge-journal`) records each call as it starts and finishes, so a call that crashed
//! the process (a library abort, the machine killed) is tried once more on the next run and,
//! should it be unfinished twice, becomes an error record instead of crashing the batch again.
//!
//! Takes: the output folder and the batch's settings. Gives: the decision per call. Must not:
//! delete or overwrite anything but its own journal and temporary files.

use crate::config::Config;
use crate::hash::bytes_sha256;
use crate::stages::Outcome;
use serde_json::Value;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The journal's file name in the output folder.
pub const JOURNAL_FILE: &str = ".callgauge-journal";

/// Attempts after which an unfinished call is not tried again.
pub const MAX_UNFINISHED: usize = 2;

/// sha256 of what besides the recording and the model shapes a call's document: the callgauge
/// version, the analysis options, the script and the call's outcome row. Threads, jobs and
/// paths do not change a result and are left out.
pub fn settings_sha256(cfg: &Config, outcome: Option<&Outcome>) -> String {
    let text = format!(
        "callgauge {}\nagent {:?}\nmax share {:?}\nturns {:?}\nlanguage {:?}\nbeam {} retry {:?}\n\
         vad {:?}\nwindow {}\nscript {}\noutcome {:?}\nredact {:?}\ndiarize {}\n",
        env!("CARGO_PKG_VERSION"),
        cfg.agent_channel,
        cfg.max_agent_share,
        cfg.turns,
        cfg.asr.language,
        cfg.asr.beam_size,
        cfg.asr.retry_beam_below,
        cfg.vad,
        cfg.window_s,
        cfg.script.sha256,
        outcome,
        cfg.redact,
        cfg.speaker_model.is_some(),
    );
    bytes_sha256(text.as_bytes())
}

/// The stored document at `path` if it is a finished call with this recording, model and
/// settings: such a call is kept instead of redone.
pub fn reusable(
    path: &Path,
    source_sha256: &str,
    model_sha256: &str,
    settings: &str,
) -> Option<Value> {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let same = doc["status"] == "ok"
        && doc["source"]["sha256"] == source_sha256
        && doc["model"]["sha256"] == model_sha256
        && doc["settings_sha256"] == settings;
    same.then_some(doc)
}

/// The append-only record of calls started and finished in an output folder.
pub struct Journal {
    file: Mutex<File>,
    /// Per call id: attempts that started and never finished, from earlier runs.
    unfinished: HashMap<String, usize>,
}

impl Journal {
    /// Opens (or creates) the folder's journal and reads what earlier runs left unfinished.
    pub fn open(out_dir: &Path) -> io::Result<Self> {
        let path = out_dir.join(JOURNAL_FILE);
        let earlier = std::fs::read_to_string(&path).unwrap_or_default();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Journal { file: Mutex::new(file), unfinished: unfinished(&earlier) })
    }

    /// Attempts at `call_id` that started in an earlier run and never finished.
    pub fn unfinished(&self, call_id: &str) -> usize {
        self.unfinished.get(call_id).copied().unwrap_or(0)
    }

    pub fn started(&self, call_id: &str) -> io::Result<()> {
        self.append(&format!("start\t{call_id}\n"))
    }

    pub fn finished(&self, call_id: &str) -> io::Result<()> {
        self.append(&format!("done\t{call_id}\n"))
    }

    fn append(&self, line: &str) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }
}

/// Per call id, the number of starts not followed by a finish.
fn unfinished(journal: &str) -> HashMap<String, usize> {
    let mut open: HashMap<String, usize> = HashMap::new();
    for line in journal.lines() {
        match line.split_once('\t') {
            Some(("start", id)) => *open.entry(id.to_string()).or_default() += 1,
            Some(("done", id)) => {
                open.remove(id);
            }
            _ => {}
        }
    }
    open
}

/// Removes temporary files a killed run left in `out_dir` (`.<name>.<pid>.tmp`, written by
/// `output::write_atomic`); returns how many.
pub fn remove_stale_temp_files(out_dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(out_dir) else { return 0 };
    let stale: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .collect();
    stale.iter().filter(|p| std::fs::remove_file(p).is_ok()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_without_a_finish_is_unfinished() {
        let log = "start\ta\ndone\ta\nstart\tb\nstart\tc\nstart\tb\ndone\tc\ngarbage\n";
        let open = unfinished(log);
        assert_eq!(open.get("a"), None);
        assert_eq!(open.get("b"), Some(&2));
        assert_eq!(open.get("c"), None);
    }

    #[test]
    fn the_journal_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        j.started("x").unwrap();
        j.started("y").unwrap();
        j.finished("y").unwrap();
        drop(j);
        let j = Journal::open(dir.path()).unwrap();
        assert_eq!((j.unfinished("x"), j.unfinished("y")), (1, 0));
    }

    #[test]
    fn only_a_finished_call_with_the_same_inputs_is_reusable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let doc = |status: &str| {
            serde_json::json!({"status": status, "source": {"sha256": "s"},
                               "model": {"sha256": "m"}, "settings_sha256": "x"})
        };
        std::fs::write(&path, doc("ok").to_string()).unwrap();
        assert!(reusable(&path, "s", "m", "x").is_some());
        assert!(reusable(&path, "other", "m", "x").is_none());
        assert!(reusable(&path, "s", "other", "x").is_none());
        assert!(reusable(&path, "s", "m", "other").is_none());
        std::fs::write(&path, doc("error").to_string()).unwrap();
        assert!(reusable(&path, "s", "m", "x").is_none());
        assert!(reusable(&dir.path().join("none.json"), "s", "m", "x").is_none());
    }

    #[test]
    fn settings_change_with_the_options_that_shape_a_result() {
        let script = crate::stages::script::default_script().unwrap();
        let cfg = Config::new(vec![], "out".into(), script);
        let base = settings_sha256(&cfg, None);
        let mut more_jobs = cfg.clone();
        more_jobs.jobs = 8;
        assert_eq!(settings_sha256(&more_jobs, None), base);
        let mut stricter = cfg.clone();
        stricter.max_agent_share = 0.35;
        assert_ne!(settings_sha256(&stricter, None), base);
        let won = Outcome { agent_id: Some("a".into()), won: Some(true), amount: None };
        assert_ne!(settings_sha256(&cfg, Some(&won)), base);
    }

    #[test]
    fn stale_temp_files_are_removed_and_results_are_not() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".a.json.123.tmp", "a.json", ".callgauge-journal"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(remove_stale_temp_files(dir.path()), 1);
        assert!(dir.path().join("a.json").exists() && dir.path().join(JOURNAL_FILE).exists());
    }
}
