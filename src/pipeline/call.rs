//! One call through every stage: read → decode → resample → VAD → speakers → transcribe →
//! metrics → sales script → report.
//!
//! Takes: a file, its call id, the batch's [`Components`] and [`Config`]. Gives: the call's
//! [`CallReport`]; a failure at any stage becomes an error record naming the file, the stage and
//! the cause. Must not: write files or keep audio once the report is built.

use super::components::Components;
use super::sanity;
use crate::config::{Config, Language};
use crate::decode::{DecodedAudio, decode_file};
use crate::error::{CallError, Stage};
use crate::hash::file_sha256;
use crate::metrics::{self, SpeakerInput, prosody::PitchTracker};
use crate::report::{CallReport, Source, Timings, Warning};
use crate::resample::{Audio16k, to_16k};
use crate::schedule::ThreadBudget;
use crate::speakers::{self, Tracks};
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
    speakers: metrics::Speakers,
    conversation: metrics::Conversation,
    rule: metrics::Rule6040,
    script: stages::ScriptResult,
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
    let mut source = Source { path: path.display().to_string(), ..Source::default() };
    let mut timings = Timings::default();
    let outcome = cfg.outcomes.get(call_id);
    let result = (|| {
        source.sha256 = Some(sha256?);
        let t = Instant::now();
        let decoded = decode_file(path, &cfg.limits)?;
        timings.decode = t.elapsed().as_secs_f64();
        describe_source(&mut source, &decoded);
        let mut transcriber = parts.asr.start_call(Arc::clone(threads))?;
        measure(decoded, parts, transcriber.as_mut(), cfg, outcome, &mut timings)
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
    parts: &Components,
    transcriber: &mut dyn Transcriber,
    cfg: &Config,
    outcome: Option<&Outcome>,
    timings: &mut Timings,
) -> Result<Analysis, CallError> {
    let duration_s = decoded.duration_s();
    let mut warnings = sanity::recording(duration_s, decoded.declared_s());
    let t = Instant::now();
    let audio = to_16k(decoded.channels, decoded.sample_rate_hz)?.fold_identical_channels();
    timings.resample = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let speech = speech_by_channel(&audio, (parts.vad)().as_mut(), &cfg.vad);
    let mut diarizer = parts.diarizer.as_ref().map(|make| make());
    let diarizer = diarizer.as_mut().map(|d| &mut **d as &mut dyn speakers::Diarizer);
    let tracks = speakers::assign(&audio, speech, cfg.agent_channel, diarizer);
    timings.vad = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let speech_s: f64 = tracks.list.iter().flat_map(|t| &t.speech).map(Interval::len_s).sum();
    // Without speech there is nothing to transcribe, and no language to detect.
    let (language, segments) = match sanity::speech(speech_s) {
        Some(silent) => {
            warnings.push(silent);
            (None, Vec::new())
        }
        None => {
            let language = choose_language(&audio, &tracks, transcriber, &cfg.asr.language)?;
            let segments = transcribe(&audio, &tracks, transcriber, &language)?;
            (Some(language), sanity::dedupe(segments))
        }
    };
    timings.transcribe = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (speakers, conversation, rule) = call_metrics(&audio, &tracks, &segments, duration_s, cfg);
    let facts = Facts {
        language: language.clone(),
        agent_share_of_speech: rule.agent_share_of_speech,
        agent_questions: rule.agent_questions,
        agent_longest_monologue_s: speakers.agent.longest_monologue_s,
    };
    let script = stages::evaluate(&cfg.script, &segments, &facts, outcome);
    if tracks.mode == speakers::Mode::Stereo {
        warnings.extend(sanity::swapped_channels(cfg, &segments, &facts, outcome, &script));
    }
    timings.metrics = t.elapsed().as_secs_f64();
    Ok(Analysis {
        duration_s,
        tracks,
        language,
        warnings,
        segments,
        speakers,
        conversation,
        rule,
        script,
    })
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

fn call_metrics(
    audio: &Audio16k,
    tracks: &Tracks,
    segments: &[Utterance],
    duration_s: f64,
    cfg: &Config,
) -> (metrics::Speakers, metrics::Conversation, metrics::Rule6040) {
    let (Some(agent), Some(customer)) =
        (tracks.by_role(Role::Agent), tracks.by_role(Role::Customer))
    else {
        let speech = tracks.list.first().map_or(&[][..], |t| t.speech.as_slice());
        return metrics::one_track(speech, duration_s, cfg.max_agent_share, &cfg.turns);
    };
    let mut tracker = PitchTracker::default();
    let agent_in = speaker_input(agent, audio, segments, &mut tracker);
    let customer_in = speaker_input(customer, audio, segments, &mut tracker);
    let names = (agent.channel_name, customer.channel_name);
    metrics::two_speakers(
        &agent_in,
        &customer_in,
        names,
        duration_s,
        cfg.max_agent_share,
        &cfg.turns,
    )
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
        language: a.language,
        warnings: a.warnings,
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

/// What the metrics need of one speaker's track.
fn speaker_input<'a>(
    track: &'a speakers::Track,
    audio: &Audio16k,
    segments: &'a [Utterance],
    tracker: &mut PitchTracker,
) -> SpeakerInput<'a> {
    SpeakerInput {
        speech: &track.speech,
        said: segments
            .iter()
            .filter(|s| s.speaker == track.role)
            .map(|s| (s.start_s, s.text.as_str()))
            .collect(),
        prosody: tracker.measure(audio.channel(track.channel), &track.speech),
    }
}
