//! Pipeline: the batch. Finds the recordings, loads the model once, runs each call through
//! decode → resample → VAD → transcribe → metrics on a pool of workers, and writes one JSON per
//! call atomically as soon as that call is done, then a batch summary.
//!
//! Takes: a [`Config`]. Gives: the files in `out_dir` and a [`BatchSummary`]. A bad recording
//! becomes an error record and never stops the batch; only problems that make every call fail
//! (no model, no inputs, no output folder) are fatal. Must not: parse flags, or keep per-call
//! audio after its JSON is written (memory must not grow with the batch).

use crate::config::{AUDIO_EXTENSIONS, AgentChannel, Config, Language, ThreadBudget};
use crate::decode::{DecodedAudio, decode_file};
use crate::error::{CallError, FatalError, Stage};
use crate::metrics::{self, SpeakerInput, prosody::PitchTracker};
use crate::report::{
    BatchEntry, BatchSummary, CallReport, ErrorInfo, Mode, ModelInfo, Role, SCHEMA_VERSION,
    SegmentOut, Source, Status, Timings, WordOut, ms,
};
use crate::resample::to_16k;
use crate::stages::{self, Facts, Outcome, ScriptResult};
use crate::timeline::Interval;
use crate::transcribe::{Segment, Transcriber, WhisperModel, file_sha256};
use crate::vad::{EarshotVad, speech_by_channel};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

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

/// Runs the whole batch.
pub fn run(cfg: &Config) -> Result<BatchSummary, FatalError> {
    let started = Instant::now();
    let files = collect_inputs(&cfg.inputs)?;
    let ids = assign_call_ids(&files);
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| FatalError::OutDir {
        path: cfg.out_dir.display().to_string(),
        cause: e.to_string(),
    })?;
    let model = WhisperModel::load(&cfg.asr.model_path)?;
    let info = ModelInfo { name: model.name.clone(), sha256: model.sha256.clone() };
    let jobs = cfg.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| FatalError::Threads(e.to_string()))?;
    let budget = Arc::new(ThreadBudget::new(jobs * cfg.asr.threads.max(1)));
    // Each job takes the next call from one queue, largest file first, so the batch does not end
    // with one long call running while the other jobs idle (their threads go to it then).
    let queue = largest_first(&files);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let finished: Mutex<Vec<Option<BatchEntry>>> = Mutex::new(vec![None; files.len()]);
    pool.scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|_| {
                while let Some(&i) = queue.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let slot = budget.start_call();
                    let report = analyze(&files[i], &ids[i], &info, &model, cfg, &budget);
                    drop(slot);
                    let entry = finish_call(report, cfg);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    eprintln!("[{n}/{}] {}", files.len(), describe(&entry));
                    finished.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(entry);
                }
            });
        }
    });
    let entries = finished.into_inner().unwrap_or_else(PoisonError::into_inner).into_iter();
    let summary = summarize(entries.flatten().collect(), cfg, started.elapsed().as_secs_f64());
    let path = cfg.out_dir.join(BATCH_FILE);
    if let Err(e) = write_json_atomic(&path, &summary) {
        eprintln!("{}: write: {e}", path.display());
    }
    Ok(summary)
}

/// Indices of `files`, largest first (files that cannot be read last, in input order).
fn largest_first(files: &[PathBuf]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    // Cached: one stat per file, not one per comparison.
    order.sort_by_cached_key(|&i| {
        std::cmp::Reverse(std::fs::metadata(&files[i]).map_or(0, |m| m.len()))
    });
    order
}

fn describe(e: &BatchEntry) -> String {
    match &e.error {
        Some(err) => err.message.clone(),
        None => format!("{}: ok ({:.1} s of audio)", e.path, e.duration_s.unwrap_or(0.0)),
    }
}

fn finish_call(report: CallReport, cfg: &Config) -> BatchEntry {
    let mut entry = BatchEntry::new(&report);
    let out = cfg.out_dir.join(format!("{}.json", report.call_id));
    if let Err(e) = write_json_atomic(&out, &report) {
        let err = CallError::new(Stage::Write, format!("{}: {e}", out.display()));
        entry.status = Status::Error;
        entry.error = Some(ErrorInfo::new(&entry.path, &err));
    }
    entry
}

fn summarize(calls: Vec<BatchEntry>, cfg: &Config, wall_s: f64) -> BatchSummary {
    let ok = calls.iter().filter(|c| c.status == Status::Ok).count();
    let audio_s: f64 = calls.iter().filter_map(|c| c.duration_s).sum();
    let views: Vec<stages::CallView> = calls.iter().filter_map(|c| c.view.clone()).collect();
    BatchSummary {
        schema_version: SCHEMA_VERSION,
        files: calls.len(),
        ok,
        failed: calls.len() - ok,
        jobs: cfg.jobs,
        threads_per_job: cfg.asr.threads,
        audio_s: ms(audio_s),
        wall_s: ms(wall_s),
        audio_s_per_wall_s: if wall_s > 0.0 { ms(audio_s / wall_s) } else { 0.0 },
        script_funnel: stages::Funnel::new(&cfg.script, &views),
        calls,
    }
}

/// Writes JSON to a temporary file in the same folder, then renames it into place, so a killed
/// batch never leaves a half-written document.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Everything measured for one call, before it becomes a report.
struct Analysis {
    duration_s: f64,
    mode: Mode,
    language: String,
    segments: Vec<SegmentOut>,
    speakers: metrics::Speakers,
    conversation: metrics::Conversation,
    rule: metrics::Rule6040,
    script: ScriptResult,
}

/// Runs one call through every stage; any failure becomes an error record.
fn analyze(
    path: &Path,
    call_id: &str,
    info: &ModelInfo,
    model: &WhisperModel,
    cfg: &Config,
    threads: &Arc<ThreadBudget>,
) -> CallReport {
    let started = Instant::now();
    let mut source = Source { path: path.display().to_string(), ..Source::default() };
    let mut timings = Timings::default();
    let outcome = cfg.outcomes.get(call_id);
    let result = (|| {
        source.sha256 = Some(file_sha256(path).map_err(|e| CallError::new(Stage::Read, e))?);
        let t = Instant::now();
        let decoded = decode_file(path, &cfg.limits)?;
        timings.decode = t.elapsed().as_secs_f64();
        describe_source(&mut source, &decoded);
        // A fresh decoding state per call, not one kept warm per worker: whisper.cpp's beam
        // search draws its candidates from a random generator that lives in the state, so a
        // reused state made a call's words depend on the calls before it. Creating one takes
        // about 30 ms.
        let mut worker = model.worker(&cfg.asr, Arc::clone(threads))?;
        measure(decoded, &mut worker, cfg, outcome, &mut timings)
    })();
    timings.total = started.elapsed().as_secs_f64();
    let timings = round_timings(timings);
    let mut report = match result {
        Ok(a) => build_report(call_id, source, info.clone(), a, timings),
        Err(e) => CallReport {
            timings_s: timings,
            ..CallReport::failed(call_id.into(), source, info.clone(), &e)
        },
    };
    if let Some(o) = outcome {
        report.agent_id.clone_from(&o.agent_id);
        report.outcome = Some(o.to_out());
    }
    report
}

fn describe_source(source: &mut Source, d: &DecodedAudio) {
    source.codec = Some(d.codec.clone());
    source.sample_rate_hz = Some(d.sample_rate_hz);
    source.channels = Some(d.channels.len());
    source.skipped_packets = d.skipped_packets;
}

fn measure(
    decoded: DecodedAudio,
    worker: &mut dyn Transcriber,
    cfg: &Config,
    outcome: Option<&Outcome>,
    timings: &mut Timings,
) -> Result<Analysis, CallError> {
    let duration_s = decoded.duration_s();
    let t = Instant::now();
    let mut channels = to_16k(decoded.channels, decoded.sample_rate_hz)?;
    timings.resample = t.elapsed().as_secs_f64();
    let mode = if channels.len() == 2 && !same_signal(&channels[0], &channels[1]) {
        Mode::Stereo
    } else {
        channels.truncate(1);
        Mode::Mono
    };
    let t = Instant::now();
    let speech = speech_by_channel(&channels, &mut EarshotVad, &cfg.vad);
    timings.vad = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let roles = roles(mode, cfg.agent_channel);
    let language = choose_language(&channels, &speech, roles, worker, &cfg.asr.language)?;
    let audio: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    let spans: Vec<&[Interval]> = speech.iter().map(Vec::as_slice).collect();
    let found = worker.transcribe(&audio, &spans, &language)?;
    let mut segments: Vec<SegmentOut> = found
        .into_iter()
        .map(|s| {
            let role = roles[s.channel.min(1)];
            segment_out(s, role)
        })
        .collect();
    segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.speaker.cmp(&b.speaker)));
    timings.transcribe = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (speakers, conversation, rule) =
        call_metrics(mode, &channels, &speech, &segments, duration_s, cfg);
    let facts = Facts {
        language: Some(language.clone()),
        agent_share_of_speech: rule.agent_share_of_speech,
        agent_questions: rule.agent_questions,
        agent_longest_monologue_s: speakers.agent.longest_monologue_s,
    };
    let script = stages::evaluate(&cfg.script, &segments, &facts, outcome);
    timings.metrics = t.elapsed().as_secs_f64();
    Ok(Analysis { duration_s, mode, language, segments, speakers, conversation, rule, script })
}

fn call_metrics(
    mode: Mode,
    channels: &[Vec<f32>],
    speech: &[Vec<Interval>],
    segments: &[SegmentOut],
    duration_s: f64,
    cfg: &Config,
) -> (metrics::Speakers, metrics::Conversation, metrics::Rule6040) {
    if mode == Mode::Mono {
        return metrics::mono(&speech[0], duration_s, cfg.max_agent_share, &cfg.turns);
    }
    let agent = cfg.agent_channel.agent_index();
    let mut tracker = PitchTracker::default();
    let mut input = |c: usize, role: Role| SpeakerInput {
        speech: &speech[c],
        said: segments
            .iter()
            .filter(|s| s.speaker == role)
            .map(|s| (s.start_s, s.text.as_str()))
            .collect(),
        prosody: tracker.measure(&channels[c], &speech[c]),
    };
    let agent_in = input(agent, Role::Agent);
    let customer_in = input(1 - agent, Role::Customer);
    let names = if agent == 0 { ("left", "right") } else { ("right", "left") };
    metrics::stereo(&agent_in, &customer_in, names, duration_s, cfg.max_agent_share, &cfg.turns)
}

/// A stereo file whose channels carry the same signal is a mono recording.
fn same_signal(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
}

/// The role of each channel: `[left, right]` for stereo, `[unknown]` for mono.
fn roles(mode: Mode, agent: AgentChannel) -> [Role; 2] {
    match (mode, agent) {
        (Mode::Mono, _) => [Role::Unknown, Role::Unknown],
        (Mode::Stereo, AgentChannel::Left) => [Role::Agent, Role::Customer],
        (Mode::Stereo, AgentChannel::Right) => [Role::Customer, Role::Agent],
    }
}

/// The call's language: fixed, or detected among the candidates on one channel.
fn choose_language(
    channels: &[Vec<f32>],
    speech: &[Vec<Interval>],
    roles: [Role; 2],
    worker: &mut dyn Transcriber,
    language: &Language,
) -> Result<String, CallError> {
    let candidates = match language {
        Language::Fixed(code) => return Ok(code.clone()),
        Language::Auto(candidates) => candidates,
    };
    // The agent's channel when the agent says anything (≥ 1 s), else the one with most speech.
    let amount = |c: usize| speech[c].iter().map(Interval::len_s).sum::<f64>();
    let agent = (0..channels.len()).find(|&c| roles[c] == Role::Agent && amount(c) >= 1.0);
    let most = (0..channels.len()).max_by(|&a, &b| amount(a).total_cmp(&amount(b)));
    let chosen = agent.or(most).unwrap_or(0);
    Ok(worker.detect_language(&channels[chosen], &speech[chosen], candidates)?)
}

fn segment_out(s: Segment, speaker: Role) -> SegmentOut {
    SegmentOut {
        speaker,
        start_s: ms(s.start_s),
        end_s: ms(s.end_s),
        text: s.text,
        words: s
            .words
            .into_iter()
            .map(|w| WordOut { text: w.text, start_s: ms(w.start_s), end_s: ms(w.end_s) })
            .collect(),
    }
}

fn round_timings(t: Timings) -> Timings {
    Timings {
        decode: ms(t.decode),
        resample: ms(t.resample),
        vad: ms(t.vad),
        transcribe: ms(t.transcribe),
        metrics: ms(t.metrics),
        total: ms(t.total),
    }
}

fn build_report(
    call_id: &str,
    source: Source,
    model: ModelInfo,
    a: Analysis,
    timings_s: Timings,
) -> CallReport {
    let mut report = CallReport {
        duration_s: Some(ms(a.duration_s)),
        mode: Some(a.mode),
        language: Some(a.language),
        speakers: Some(a.speakers),
        conversation: Some(a.conversation),
        rule_60_40: Some(a.rule),
        segments: a.segments,
        timings_s,
        ..CallReport::new(call_id.into(), source, model)
    };
    report.set_script(a.script);
    report
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
    fn calls_are_queued_largest_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = [("a.wav", 10), ("b.wav", 30), ("c.wav", 20)]
            .iter()
            .map(|(name, len)| {
                let path = dir.path().join(name);
                std::fs::write(&path, vec![0u8; *len]).unwrap();
                path
            })
            .chain([dir.path().join("missing.wav")])
            .collect();
        assert_eq!(largest_first(&files), [1, 2, 0, 3]);
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["x.json"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\n  \"a\": 1\n}\n");
    }
}
