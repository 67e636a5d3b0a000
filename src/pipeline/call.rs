//! One call through every stage: read → decode → resample → VAD → speakers → transcribe →
//! metrics → sales script → report.
//!
//! Takes: a file, its call id, the batch's [`Components`] and [`Config`]. Gives: the call's
//! [`CallReport`]; a failure at any stage becomes an error record naming the file, the stage and
//! the cause. Must not: write files or keep audio once the report is built.

use super::components::Components;
use super::sanity;
use super::window::{Window, Windows};
use crate::config::{Config, Language};
use crate::decode::DecodeStream;
use crate::error::{CallError, Stage};
use crate::hash::file_sha256;
use crate::metrics::prosody::{PitchTracker, Prosody};
use crate::metrics::{self, SpeakerInput};
use crate::report::{CallReport, Diarization, Source, Timings, Warning};
use crate::resample::{Audio16k, to_16k};
use crate::schedule::ThreadBudget;
use crate::speakers::{self, Diarizer, Tracks};
use crate::stages::{self, Facts, Outcome};
use crate::timeline::Interval;
use crate::transcribe::{ModelInfo, Segment, Transcriber};
use crate::transcript::{Role, Utterance, Word};
use crate::vad::speech_by_channel;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Everything measured for one call, before it becomes a report.
struct Analysis {
    duration_s: f64,
    tracks: Tracks,
    language: Option<String>,
    warnings: Vec<Warning>,
    segments: Vec<Utterance>,
    questions: Vec<crate::report::QuestionOut>,
    speakers: metrics::Speakers,
    conversation: metrics::Conversation,
    rule: metrics::Rule6040,
    script: stages::ScriptResult,
    diarization: Option<Diarization>,
}

/// One call to analyze: its file, id, the file's sha256 (or why it could not be read) and the
/// batch settings' sha256 (see `resume::settings_sha256`).
pub struct CallInput<'a> {
    pub path: &'a Path,
    pub call_id: &'a str,
    pub sha256: Result<String, CallError>,
    pub settings_sha256: String,
}

/// The sha256 of a recording, or a `read` error.
pub fn source_sha256(path: &Path) -> Result<String, CallError> {
    file_sha256(path).map_err(|e| CallError::new(Stage::Read, e))
}

/// Runs one call through every stage; any failure becomes an error record.
pub fn analyze(
    input: CallInput<'_>,
    parts: &Components,
    cfg: &Config,
    threads: &Arc<ThreadBudget>,
) -> CallReport {
    let started = Instant::now();
    let CallInput { path, call_id, sha256, settings_sha256 } = input;
    let mut source = Source { path: cfg.source_path(path), ..Source::default() };
    let mut timings = Timings::default();
    let outcome = cfg.outcomes.get(call_id);
    let result = (|| {
        source.sha256 = Some(sha256?);
        let t = Instant::now();
        let stream = DecodeStream::open(path, &cfg.limits)?;
        timings.decode = t.elapsed().as_secs_f64();
        describe_source(&mut source, &stream);
        let mut transcriber = parts.asr.start_call(Arc::clone(threads))?;
        let windows = Windows::new(stream, cfg.window_s);
        let analysis = measure(windows, parts, transcriber.as_mut(), cfg, outcome, &mut timings);
        analysis.map(|(a, skipped, channels)| {
            source.skipped_packets = skipped;
            source.channels = Some(channels);
            a
        })
    })();
    timings.total = started.elapsed().as_secs_f64();
    let mut report = match result {
        Ok(a) => build_report(call_id, source, parts.asr.model(), a, timings),
        Err(e) => CallReport {
            timings_s: timings,
            ..CallReport::failed(call_id.into(), source, parts.asr.model(), &e)
        },
    };
    if let Some(o) = outcome {
        report.agent_id.clone_from(&o.agent_id);
        report.outcome = Some(o.to_out());
    }
    report.settings_sha256 = Some(settings_sha256);
    if let Some(dir) = &cfg.unredacted_dir
        && !report.segments.is_empty()
    {
        // Before redaction; a failure to write it fails nothing else.
        let path = dir.join(format!("{call_id}.segments.json"));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| crate::output::write_json_atomic(&path, &report.segments));
        if let Err(e) = written {
            eprintln!("callgauge: {}: unredacted transcript not written: {e}", path.display());
        }
    }
    report.redact(cfg.redact);
    report
}

fn describe_source(source: &mut Source, d: &DecodeStream) {
    source.codec = Some(d.codec.clone());
    source.sample_rate_hz = Some(d.sample_rate_hz);
}

/// Speech ending this close before a window's end and resuming this close after it is one
/// interval across the boundary, s.
const BOUNDARY_S: f64 = 0.05;

/// What is kept of a call's windows: speech, words and pitch frames, in call time.
#[derive(Default)]
struct Stitched {
    tracks: Option<Tracks>,
    /// Pitch and loudness frames per track, indexed like `tracks.list`.
    prosody: Vec<Prosody>,
    language: Option<String>,
    segments: Vec<Utterance>,
    /// The recording's channels before identical ones are folded.
    channels: usize,
    /// Decided on the first window: the two channels carry the same signal.
    folded: bool,
}

impl Stitched {
    /// Adds one window's tracks (window time) starting at `offset_s` of the call.
    fn add_tracks(&mut self, window: Tracks, prosody: Vec<Prosody>, offset_s: f64) {
        let shift = |iv: &Interval| Interval::new(iv.start_s + offset_s, iv.end_s + offset_s);
        let Some(all) = self.tracks.as_mut() else {
            let mut window = window;
            window.list.iter_mut().for_each(|t| t.speech = t.speech.iter().map(shift).collect());
            self.tracks = Some(window);
            self.prosody = prosody;
            return;
        };
        for (track, frames) in window.list.into_iter().zip(prosody) {
            let index = match all.list.iter().position(|t| t.role == track.role) {
                Some(i) => i,
                None => {
                    all.list.push(speakers::Track { speech: Vec::new(), ..track.clone() });
                    self.prosody.push(Prosody::default());
                    all.list.len() - 1
                }
            };
            let speech = &mut all.list[index].speech;
            for iv in track.speech.iter().map(shift) {
                // Speech running across a window's end is one interval, not two (the VAD's
                // last partial frame of a window, < 50 ms, is not a pause).
                let straddles = |prev: &Interval| {
                    offset_s - prev.end_s < BOUNDARY_S && iv.start_s - offset_s < BOUNDARY_S
                };
                match speech.last_mut() {
                    Some(prev) if straddles(prev) => prev.end_s = prev.end_s.max(iv.end_s),
                    _ => speech.push(iv),
                }
            }
            let p = &mut self.prosody[index];
            p.f0_hz.extend(frames.f0_hz);
            p.level_dbfs.extend(frames.level_dbfs);
        }
    }
}

/// Analyzes the call window by window, keeping only what the metrics need (see
/// [`super::window`]). Gives the analysis, the skipped packets and the recording's channels.
fn measure(
    mut windows: Windows,
    parts: &Components,
    transcriber: &mut dyn Transcriber,
    cfg: &Config,
    outcome: Option<&Outcome>,
    timings: &mut Timings,
) -> Result<(Analysis, u64, usize), CallError> {
    let mut all = Stitched::default();
    let mut tracker = PitchTracker::default();
    let mut diarizer = parts.diarizer.as_ref().map(|make| make());
    loop {
        let t = Instant::now();
        let window = windows.next_window()?;
        timings.decode += t.elapsed().as_secs_f64();
        let Some(window) = window else { break };
        analyze_window(
            window,
            windows.stream().sample_rate_hz,
            &mut all,
            &mut tracker,
            parts,
            diarizer.as_mut().map(|d| &mut **d as &mut dyn Diarizer),
            transcriber,
            cfg,
            timings,
        )?;
    }
    let t = Instant::now();
    let stream = windows.stream();
    let duration_s = stream.frames() as f64 / f64::from(stream.sample_rate_hz.max(1));
    let declared_s =
        stream.declared_frames.map(|f| f as f64 / f64::from(stream.sample_rate_hz.max(1)));
    let mut warnings = sanity::recording(duration_s, declared_s);
    let mut tracks = all
        .tracks
        .take()
        .unwrap_or_else(|| Tracks { mode: speakers::Mode::Mono, list: Vec::new() });
    let speech_s: f64 = tracks.list.iter().flat_map(|t| &t.speech).map(Interval::len_s).sum();
    // Without speech there is nothing to transcribe, and no language to detect.
    let (language, mut segments) = match sanity::speech(speech_s) {
        Some(silent) => {
            warnings.push(silent);
            (None, Vec::new())
        }
        None => {
            let mut segments = std::mem::take(&mut all.segments);
            segments
                .sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.speaker.cmp(&b.speaker)));
            (all.language.take(), sanity::dedupe(segments))
        }
    };
    let mut prosody = std::mem::take(&mut all.prosody);
    let (diarization, reason) = match (tracks.mode, diarizer.as_deref()) {
        (speakers::Mode::Mono, Some(d)) => {
            let roles = (&mut tracks, &mut segments, &mut prosody);
            let (out, reason) = assign_roles(roles, d, language.as_deref(), outcome, cfg);
            (Some(out), reason)
        }
        _ => (None, metrics::NO_DIARIZER_REASON.to_owned()),
    };
    // Questions are counted per utterance, not per segment Whisper happened to cut.
    let utterances = crate::transcript::utterances(&segments, cfg.turns.turn_bridge_s);
    let (speakers, conversation, rule) =
        call_metrics(&tracks, prosody, &utterances, duration_s, cfg, reason);
    let questions = crate::report::QuestionOut::find(&utterances);
    let facts = Facts {
        language: language.clone(),
        agent_share_of_speech: rule.agent_share_of_speech,
        agent_questions: rule.agent_questions,
        agent_longest_monologue_s: speakers.agent.longest_monologue_s,
    };
    let bridge_s = cfg.turns.turn_bridge_s;
    let script = stages::evaluate_turns(&cfg.script, &segments, bridge_s, &facts, outcome);
    if tracks.mode == speakers::Mode::Stereo {
        warnings.extend(sanity::swapped_channels(cfg, &segments, &facts, outcome, &script));
    }
    timings.metrics += t.elapsed().as_secs_f64();
    let analysis = Analysis {
        duration_s,
        tracks,
        language,
        warnings,
        segments,
        questions,
        speakers,
        conversation,
        rule,
        script,
        diarization,
    };
    Ok((analysis, windows.stream().skipped_packets, all.channels))
}

/// One window through resampling, VAD, speaker tracks, language and transcription.
#[allow(clippy::too_many_arguments)]
fn analyze_window(
    window: Window,
    rate_hz: u32,
    all: &mut Stitched,
    tracker: &mut PitchTracker,
    parts: &Components,
    diarizer: Option<&mut dyn Diarizer>,
    transcriber: &mut dyn Transcriber,
    cfg: &Config,
    timings: &mut Timings,
) -> Result<(), CallError> {
    let t = Instant::now();
    let first = all.tracks.is_none();
    if first {
        all.channels = window.channels.len();
    }
    let mut audio = to_16k(window.channels, rate_hz)?;
    if first {
        all.folded = audio.identical_channels();
    }
    if all.folded {
        audio = audio.first_channel_only();
    }
    timings.resample += t.elapsed().as_secs_f64();
    let t = Instant::now();
    let speech = speech_by_channel(&audio, (parts.vad)().as_mut(), &cfg.vad);
    timings.vad += t.elapsed().as_secs_f64();
    let t = Instant::now();
    let tracks = speakers::assign(&audio, speech, cfg.agent_channel, diarizer);
    timings.diarize += t.elapsed().as_secs_f64();
    let t = Instant::now();
    let speech_s: f64 = tracks.list.iter().flat_map(|t| &t.speech).map(Interval::len_s).sum();
    if speech_s > 0.0 {
        let language = match &all.language {
            Some(known) => known.clone(),
            None => choose_language(&audio, &tracks, transcriber, &cfg.asr.language)?,
        };
        let found = transcribe(&audio, &tracks, transcriber, &language)?;
        all.segments.extend(found.into_iter().map(|u| shifted(u, window.start_s)));
        all.language = Some(language);
    }
    timings.transcribe += t.elapsed().as_secs_f64();
    let t = Instant::now();
    let prosody =
        tracks.list.iter().map(|t| tracker.measure(audio.channel(t.channel), &t.speech)).collect();
    all.add_tracks(tracks, prosody, window.start_s);
    timings.metrics += t.elapsed().as_secs_f64();
    Ok(())
}

/// An utterance moved from window time to call time, kept to the millisecond.
fn shifted(mut u: Utterance, offset_s: f64) -> Utterance {
    if offset_s == 0.0 {
        return u;
    }
    let ms = crate::output::round_ms;
    u.start_s = ms(u.start_s + offset_s);
    u.end_s = ms(u.end_s + offset_s);
    for w in &mut u.words {
        w.start_s = ms(w.start_s + offset_s);
        w.end_s = ms(w.end_s + offset_s);
    }
    u
}

/// The call's language: fixed, or detected among the candidates on one track: the agent's when
/// the agent says anything (≥ 1 s), else the one with most speech.
fn choose_language(
    audio: &Audio16k,
    tracks: &Tracks,
    transcriber: &mut dyn Transcriber,
    language: &Language,
) -> Result<String, CallError> {
    let candidates = match language {
        Language::Fixed(code) => return Ok(code.clone()),
        Language::Auto(candidates) => candidates,
    };
    let amount = |t: &&speakers::Track| t.speech.iter().map(Interval::len_s).sum::<f64>();
    let agent = tracks.list.iter().find(|t| t.role == Role::Agent && amount(t) >= 1.0);
    let most = tracks.list.iter().max_by(|a, b| amount(a).total_cmp(&amount(b)));
    let Some(chosen) = agent.or(most) else { return Ok(candidates[0].clone()) };
    Ok(transcriber.detect_language(audio.channel(chosen.channel), &chosen.speech, candidates)?)
}

/// Every track's words, as utterances of its speaker sorted by start. Times are kept to the
/// millisecond, the resolution of the call JSON, so that `callgauge score` on a stored call
/// finds exactly what `analyze` found.
fn transcribe(
    audio: &Audio16k,
    tracks: &Tracks,
    transcriber: &mut dyn Transcriber,
    language: &str,
) -> Result<Vec<Utterance>, CallError> {
    // A mono call's voices share one channel: it is transcribed once, as one track, and its
    // words go to the voices by time (two passes over the channel would cost twice the
    // windows and cut sentences where a voice boundary was misplaced).
    if tracks.mode == speakers::Mode::Mono && tracks.list.len() == 2 {
        let all =
            tracks.list.iter().fold(Vec::new(), |acc, t| crate::timeline::union(&acc, &t.speech));
        let found = transcriber.transcribe(&[audio.channel(0)], &[all.as_slice()], language)?;
        let mut segments: Vec<Utterance> =
            found.into_iter().flat_map(|s| by_voice(utterance(s, Role::Unknown), tracks)).collect();
        segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.speaker.cmp(&b.speaker)));
        return Ok(segments);
    }
    let samples: Vec<&[f32]> = tracks.list.iter().map(|t| audio.channel(t.channel)).collect();
    let speech: Vec<&[Interval]> = tracks.list.iter().map(|t| t.speech.as_slice()).collect();
    let found = transcriber.transcribe(&samples, &speech, language)?;
    let mut segments: Vec<Utterance> = found
        .into_iter()
        .filter_map(|s| {
            let role = tracks.list.get(s.track)?.role;
            Some(utterance(s, role))
        })
        .collect();
    segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.speaker.cmp(&b.speaker)));
    Ok(segments)
}

/// Splits a mono call's utterance between its voices: each word goes to the voice whose speech
/// covers most of it (the nearest, when none does), and consecutive words of one voice stay one
/// utterance.
fn by_voice(u: Utterance, tracks: &Tracks) -> Vec<Utterance> {
    let voice_of = |a: f64, b: f64| -> Role {
        let covered = |t: &speakers::Track| {
            t.speech.iter().map(|iv| (iv.end_s.min(b) - iv.start_s.max(a)).max(0.0)).sum::<f64>()
        };
        let distance = |t: &speakers::Track| {
            t.speech
                .iter()
                .map(|iv| (iv.start_s - b).max(a - iv.end_s).max(0.0))
                .fold(f64::INFINITY, f64::min)
        };
        let best = tracks.list.iter().max_by(|x, y| {
            covered(x).total_cmp(&covered(y)).then(distance(y).total_cmp(&distance(x)))
        });
        best.map_or(Role::Unknown, |t| t.role)
    };
    if u.words.is_empty() {
        let speaker = voice_of(u.start_s, u.end_s);
        return vec![Utterance { speaker, ..u }];
    }
    let mut out: Vec<Utterance> = Vec::new();
    let last = u.words.len() - 1;
    for (i, w) in u.words.iter().enumerate() {
        let speaker = voice_of(w.start_s, w.end_s);
        match out.last_mut() {
            Some(cur) if cur.speaker == speaker => {
                cur.text.push(' ');
                cur.text.push_str(&w.text);
                cur.end_s = if i == last { u.end_s } else { w.end_s };
                cur.words.push(w.clone());
            }
            _ => out.push(Utterance {
                speaker,
                start_s: if i == 0 { u.start_s } else { w.start_s },
                end_s: if i == last { u.end_s } else { w.end_s },
                text: w.text.clone(),
                words: vec![w.clone()],
            }),
        }
    }
    out
}

fn utterance(s: Segment, speaker: Role) -> Utterance {
    let ms = crate::output::round_ms;
    Utterance {
        speaker,
        start_s: ms(s.start_s),
        end_s: ms(s.end_s),
        text: s.text,
        words: s
            .words
            .into_iter()
            .map(|w| Word { text: w.text, start_s: ms(w.start_s), end_s: ms(w.end_s) })
            .collect(),
    }
}

/// On a mono call the diarizer saw: decides which voice is the agent (see [`crate::roles`]),
/// swaps the provisional roles if needed, or folds the voices back into one `unknown` speaker
/// when unsure. Gives the `diarization` block and, for the unsure case, why per-speaker
/// figures are `null`.
fn assign_roles(
    (tracks, segments, prosody): (&mut Tracks, &mut Vec<Utterance>, &mut Vec<Prosody>),
    diarizer: &dyn Diarizer,
    language: Option<&str>,
    outcome: Option<&Outcome>,
    cfg: &Config,
) -> (Diarization, String) {
    let info = diarizer.info();
    let two = tracks.by_role(Role::Agent).is_some() && tracks.by_role(Role::Customer).is_some();
    let decision = two.then(|| crate::roles::decide(&cfg.script, segments, language, outcome));
    let mut out = Diarization {
        speakers: if two { 2 } else { 1 },
        method: info.method.to_owned(),
        model: info.model.map(|(name, sha256)| ModelInfo { name, sha256 }),
        confidence: decision.as_ref().map(|d| crate::output::round_ms(d.confidence)),
        roles_assigned: false,
        evidence: decision.as_ref().map(|d| d.evidence.clone()),
    };
    let Some(decision) = decision else {
        return (out, metrics::ONE_VOICE_REASON.to_owned());
    };
    if decision.swap {
        for t in &mut tracks.list {
            t.role = match t.role {
                Role::Agent => Role::Customer,
                Role::Customer => Role::Agent,
                other => other,
            };
        }
        *segments = crate::roles::swapped(segments);
    }
    if decision.assigned() {
        out.roles_assigned = true;
        return (out, String::new());
    }
    // Unsure: one unknown speaker again, as without a diarizer.
    let speech =
        tracks.list.iter().fold(Vec::new(), |acc, t| crate::timeline::union(&acc, &t.speech));
    let merged = prosody.drain(..).fold(Prosody::default(), |mut acc, p| {
        acc.f0_hz.extend(p.f0_hz);
        acc.level_dbfs.extend(p.level_dbfs);
        acc
    });
    prosody.push(merged);
    tracks.list.truncate(1);
    tracks.list[0] = speakers::Track { role: Role::Unknown, speech, ..tracks.list[0].clone() };
    segments.iter_mut().for_each(|s| s.speaker = Role::Unknown);
    let reason = format!(
        "mono recording: the speech was split into two voices, but which one is the agent is \
         unsure (confidence {:.2} < {:.2}; {}), so per-speaker figures are not measured",
        decision.confidence,
        crate::roles::MIN_CONFIDENCE,
        decision.evidence
    );
    (out, reason)
}

fn call_metrics(
    tracks: &Tracks,
    prosody: Vec<Prosody>,
    utterances: &[Utterance],
    duration_s: f64,
    cfg: &Config,
    unavailable: String,
) -> (metrics::Speakers, metrics::Conversation, metrics::Rule6040) {
    let role_index = |role| tracks.list.iter().position(|t| t.role == role);
    let (Some(agent), Some(customer)) = (role_index(Role::Agent), role_index(Role::Customer))
    else {
        let speech = tracks.list.first().map_or(&[][..], |t| t.speech.as_slice());
        return metrics::one_track(
            speech,
            duration_s,
            cfg.max_agent_share,
            &cfg.turns,
            unavailable,
        );
    };
    let mut prosody: Vec<Option<Prosody>> = prosody.into_iter().map(Some).collect();
    let mut input = |i: usize| {
        let frames = prosody.get_mut(i).and_then(Option::take).unwrap_or_default();
        speaker_input(&tracks.list[i], utterances, frames)
    };
    let (agent_in, customer_in) = (input(agent), input(customer));
    let names = (tracks.list[agent].channel_name, tracks.list[customer].channel_name);
    let (mut figures, mut conversation, rule) = metrics::two_speakers(
        &agent_in,
        &customer_in,
        names,
        duration_s,
        cfg.max_agent_share,
        &cfg.turns,
    );
    if tracks.mode == speakers::Mode::Mono {
        metrics::without_overlap(&mut figures, &mut conversation);
    }
    (figures, conversation, rule)
}

fn build_report(
    call_id: &str,
    source: Source,
    model: ModelInfo,
    a: Analysis,
    timings_s: Timings,
) -> CallReport {
    let mut report = CallReport {
        duration_s: Some(a.duration_s),
        mode: Some(a.tracks.mode),
        diarization: a.diarization,
        language: a.language,
        warnings: a.warnings,
        speakers: Some(a.speakers),
        conversation: Some(a.conversation),
        rule_60_40: Some(a.rule),
        questions: Some(a.questions),
        segments: a.segments,
        timings_s,
        ..CallReport::new(call_id.into(), source, model)
    };
    report.set_script(a.script);
    report
}

/// What the metrics need of one speaker's track; `utterances` as
/// [`crate::transcript::utterances`] joins them.
fn speaker_input<'a>(
    track: &'a speakers::Track,
    utterances: &'a [Utterance],
    prosody: Prosody,
) -> SpeakerInput<'a> {
    SpeakerInput {
        speech: &track.speech,
        said: utterances
            .iter()
            .filter(|s| s.speaker == track.role)
            .map(|s| (s.start_s, s.text.as_str()))
            .collect(),
        prosody,
    }
}
