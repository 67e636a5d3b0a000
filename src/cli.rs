//! Command-line interface: clap definitions and their conversion into a [`Config`].

use callgauge::config::{AgentChannel, AsrConfig, Config, Language, Limits, TurnConfig, VadConfig};
use callgauge::discover::Shard;
use callgauge::schedule::split_cores;
use callgauge::stages::{Outcome, Script, ScriptError, outcomes, script};
use callgauge::transcribe::whisper::language_code;
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Measure recorded sales and support calls: one JSON per call with talk time per speaker,
/// the 60/40 rule, silences and a timed transcript.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze recordings: write <OUT>/<call_id>.json per call and <OUT>/callgauge-batch.json.
    ///
    /// Stereo files are read as agent on one channel and customer on the other; mono files get
    /// total speech and a transcript, with per-speaker figures null. Exit code: 0 all calls ok,
    /// 1 some calls failed (each has an error record), 2 usage error or fatal error.
    Analyze(Box<AnalyzeArgs>),
    /// Re-score stored calls with a sales script, without re-transcribing.
    ///
    /// Reads call JSONs written by `analyze` (or transcripts from another ASR: see README,
    /// "Scoring stored transcripts") and applies --script and --outcomes. With --out, writes
    /// <OUT>/<call_id>.json per call and <OUT>/callgauge-scores.json; without, prints one JSON
    /// document per line to stdout. Exit code: 0 all scored, 1 some inputs failed, 2 usage error.
    Score(ScoreArgs),
    /// The team report: per agent, team, script variant, week or month, with 95 % intervals,
    /// A/B comparisons, won-vs-lost patterns and a coaching queue.
    ///
    /// Reads call JSONs (any number of `analyze` output folders) plus optional metadata and
    /// writes report.json, calls.csv, calls.jsonl, agents.csv, funnel.csv, groups.csv, ab.csv
    /// and coaching.csv into <OUT>. Exit code: 0 done, 1 done but some inputs or metadata rows
    /// were left out (listed in report.json's left_out), 2 usage or fatal error.
    Report(Box<ReportArgs>),
    /// Build and measure sales scripts: a script from the text agents read, a stage model
    /// trained on labelled calls, recall and precision on labelled calls.
    #[command(subcommand)]
    Script(ScriptCommand),
    /// Write the JSON Schemas of callgauge's documents (call, batch, score, scores) to a folder.
    #[command(hide = true)]
    Schema {
        /// Folder for the schema files (created if missing).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// `callgauge script …`
#[derive(Debug, Subcommand)]
pub enum ScriptCommand {
    /// Write a script TOML from the call script agents are given, as plain text: each heading
    /// ("1. Greeting", "## Выявление потребностей", "Closing:") starts a stage, and the lines
    /// under it become the stage's examples (short lines also its phrases).
    ///
    /// Headings that name the usual stages (greeting, needs discovery, presentation, objection
    /// handling, closing; in English or Russian) get the usual stage ids and the built-in stage
    /// model; other headings become stages of their own. Lines starting with "Customer:" or
    /// "Клиент:" are left out; "Agent:" / "Менеджер:" prefixes are dropped.
    FromText {
        /// The call script, plain UTF-8 text.
        #[arg(value_name = "TEXT")]
        text: PathBuf,
        /// The script TOML to write (refused if it exists, unless --force).
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// The script's name (default: the text file's name).
        #[arg(long)]
        name: Option<String>,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Train a stage model on labelled calls and write it as a TOML file; name it in a script
    /// with `model = "<file>"` (a path relative to the script).
    ///
    /// Labels: CSV or TSV with columns call, speaker (agent/customer), stage (a stage id of the
    /// script, or - for none) and text, one utterance per row in call order (see
    /// fixtures/utterances/). The stage head learns from the agent's utterances. With a tone
    /// column the model also gets a head for the customer's tone (neutral/interested/wary),
    /// and with an objection column an objection head over the script's objection categories,
    /// both learned from the customer's utterances.
    Train {
        /// Labelled calls (CSV or TSV).
        #[arg(required = true, value_name = "LABELS")]
        labels: Vec<PathBuf>,
        /// The script whose stages the labels use (default: the built-in script).
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
        /// The model file to write (refused if it exists, unless --force).
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// The labels' language when not guessed right (Cyrillic → ru, otherwise en).
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
        /// A stage is taken from the model at this probability or above.
        #[arg(long, default_value_t = 0.5, value_name = "P")]
        min_probability: f64,
        /// A customer tone other than neutral is taken from the model at this probability or
        /// above.
        #[arg(long, default_value_t = 0.35, value_name = "P")]
        tone_min_probability: f64,
        /// An objection is taken from the model when its categories together reach this
        /// probability.
        #[arg(long, default_value_t = 0.3, value_name = "P")]
        objection_min_probability: f64,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Measure a script on labelled calls: per stage, utterance by utterance, recall and
    /// precision; stages reached per call; question detection; tone accuracy and confusion
    /// (with a `tone` column).
    Eval {
        /// Labelled calls (CSV or TSV), as for `script train`.
        #[arg(required = true, value_name = "LABELS")]
        labels: Vec<PathBuf>,
        /// The script to measure (default: the built-in script).
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
        /// The labels' language when not guessed right.
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
        /// Print the figures as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also list every utterance the script got wrong.
        #[arg(long)]
        misses: bool,
    },
}

/// The sales script and the sales outcomes, shared by `analyze` and `score`.
#[derive(Debug, clap::Args)]
pub struct ScriptArgs {
    /// Sales script (TOML): stages, checklist, objections, score weights. Default: the built-in
    /// generic B2B script (scripts/default.toml).
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,

    /// Sales outcomes CSV with columns call_id, agent_id, outcome (won/lost), amount.
    #[arg(long, value_name = "CSV")]
    pub outcomes: Option<PathBuf>,
}

impl ScriptArgs {
    /// Loads the script and the outcomes; an error names the file, the line and the problem.
    pub fn load(&self) -> Result<(Script, HashMap<String, Outcome>), ScriptError> {
        let script = match &self.script {
            Some(path) => script::load(path)?,
            None => script::default_script()?,
        };
        let outcomes = match &self.outcomes {
            Some(path) => outcomes::load(path)?,
            None => HashMap::new(),
        };
        Ok((script, outcomes))
    }
}

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// Call JSON files or transcripts, and/or folders of them (*.json; batch summaries skipped).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Folder for the scored JSON (created if missing); without it, JSON Lines go to stdout.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub script: ScriptArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Call JSON files and/or folders of them (analyze output folders, searched recursively).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Folder for the report files (created if missing; never one holding files callgauge
    /// report did not write).
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,

    /// Call metadata CSV: call_id, agent_id, team, customer_id, started_at, variant, outcome,
    /// amount (any order; other columns kept; `,` or `;`). The --outcomes file is a subset.
    #[arg(long, value_name = "CSV")]
    pub metadata: Option<PathBuf>,

    /// Fields taken from recording paths, e.g. `{agent_id}/{started_at:%Y-%m-%d_%H%M}_{customer_id}.wav`
    /// (matched against the end of each call's source path; `*` matches within one folder).
    #[arg(long, value_name = "PATTERN")]
    pub path_pattern: Option<String>,

    /// Group the figures by these dimensions (comma-separated, combinable): agent, team,
    /// variant, week, month.
    #[arg(long, value_delimiter = ',', value_name = "DIM")]
    pub by: Vec<String>,

    /// Calls shorter than this are not dialogues and are left out of every rate.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub min_dialogue_s: f64,

    /// How precisely a rate should be known, in points: the calls needed for ±this are shown.
    #[arg(long, default_value_t = 5.0, value_name = "POINTS")]
    pub margin: f64,

    /// A/B: two script variants `A,B` (A the control), or `date:YYYY-MM-DD` for calls before
    /// against calls from that date. Default: the two variants when the calls have exactly two.
    #[arg(long, value_name = "A,B|date:DAY")]
    pub ab: Option<String>,

    /// CSV for Excel in a Russian or German locale: `;` separator, decimal comma, BOM.
    #[arg(long)]
    pub csv_excel: bool,

    /// The sales script whose stage order and [team_index] weights the report uses. Default:
    /// the built-in script.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,

    /// Bootstrap resamples for the agents' rank intervals.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub bootstrap: usize,

    /// Write only the CSV and JSON files: no index.html and no calls/ pages.
    #[arg(long)]
    pub no_html: bool,
}

impl ReportArgs {
    /// Checks the values and builds the library's request.
    pub fn into_request(self) -> Result<callgauge::team::Request, String> {
        use callgauge::team::{AbSpec, GroupBy, ReportSettings, Request, export::Dialect};
        let script = match &self.script {
            Some(path) => script::load(path),
            None => script::default_script(),
        }
        .map_err(|e| e.to_string())?;
        if !(self.margin > 0.0 && self.margin < 50.0) {
            return Err(format!("--margin {} must be between 0 and 50 points", self.margin));
        }
        if self.min_dialogue_s.is_nan() || self.min_dialogue_s < 0.0 {
            return Err(format!("--min-dialogue-s {} must be ≥ 0", self.min_dialogue_s));
        }
        let mut by = Vec::new();
        for b in &self.by {
            let b = GroupBy::parse(b)?;
            if !by.contains(&b) {
                by.push(b);
            }
        }
        let ab = match self.ab.as_deref() {
            None => None,
            Some(v) => Some(match v.strip_prefix("date:") {
                Some(day) => AbSpec::Periods(
                    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                        .map_err(|e| format!("--ab {v:?}: {e} (write date:2026-11-15)"))?,
                ),
                None => match v.split_once(',') {
                    Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                        AbSpec::Variants(a.trim().into(), b.trim().into())
                    }
                    _ => {
                        return Err(format!(
                            "--ab {v:?}: write two variants `A,B` or `date:YYYY-MM-DD`"
                        ));
                    }
                },
            }),
        };
        Ok(Request {
            inputs: self.inputs,
            out_dir: self.out,
            metadata: self.metadata,
            path_pattern: self.path_pattern,
            dialect: Dialect { excel: self.csv_excel },
            settings: ReportSettings {
                min_dialogue_s: self.min_dialogue_s,
                margin: self.margin / 100.0,
                by,
                ab,
                weights: script.team_index,
                stages: script.stages.iter().map(|s| s.id.clone()).collect(),
                bootstrap: self.bootstrap,
                ..ReportSettings::default()
            },
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Audio files and/or folders (searched recursively for wav, mp3, flac, ogg, opus, m4a, …).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Folder for the JSON results (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,

    /// ggml Whisper model file. Default: `models/ggml-base.bin` in the current folder, else
    /// beside the callgauge checkout the binary was built in (built by `./setup.sh`).
    #[arg(long, value_name = "PATH", env = "CALLGAUGE_MODEL")]
    pub model: Option<PathBuf>,

    /// Spoken language: a code such as `ru` or `en`, or `auto` to detect it per call among
    /// --languages.
    #[arg(short, long, default_value = "auto", value_name = "CODE")]
    pub language: String,

    /// Candidates for `--language auto` (free detection mistakes robotic Russian for Lithuanian).
    #[arg(long, value_delimiter = ',', default_value = "ru,en", value_name = "CODES")]
    pub languages: Vec<String>,

    /// Which stereo channel carries the agent; the other carries the customer.
    #[arg(long, value_enum, default_value_t = Side::Left)]
    pub agent_channel: Side,

    /// Speaker-embedding weights for mono calls (two voices are told apart, and the one that
    /// says the script is the agent). Default: `models/ge2e-resemblyzer.f32` in the current
    /// folder, else beside the callgauge checkout the binary was built in (built by `./setup.sh`).
    #[arg(long, value_name = "PATH", env = "CALLGAUGE_SPEAKER_MODEL")]
    pub speaker_model: Option<PathBuf>,

    /// Do not separate the voices of mono calls: they keep one `unknown` speaker and `null`
    /// per-speaker figures.
    #[arg(long, conflicts_with = "speaker_model")]
    pub no_diarize: bool,

    /// Calls processed in parallel (default: cores / --threads, at most the number of files).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Whisper threads per call (default: cores / --jobs). jobs × threads ≤ cores is fastest.
    /// At a batch's tail, calls still running also get the idle jobs' threads.
    #[arg(short, long, value_name = "N")]
    pub threads: Option<usize>,

    /// Analyze every call again, even those whose finished result is already in the output
    /// folder with the same recording, model and settings (kept by default).
    #[arg(long)]
    pub force: bool,

    /// Personal data replaced by its kind ([CARD], [PHONE], [EMAIL], [NAME], …) in every text of
    /// the call JSONs: pii (card, phone, e-mail, passport, SNILS, INN, account numbers, addresses,
    /// the customer's name), strict (also every long number and every name after a cue), none.
    /// Figures and stages are measured before it, so they do not change.
    #[arg(long, value_enum, default_value_t = Redact::Pii)]
    pub redact: Redact,

    /// How source.path is written in the call JSONs: as-given, or relative to the input folder
    /// the recording was found in (a file given alone: its name), so the folders above it stay out.
    #[arg(long, value_enum, default_value_t = Paths::AsGiven)]
    pub paths: Paths,

    /// Also write each call's unredacted transcript to DIR/<call_id>.segments.json (a folder
    /// other than --out, for the people allowed to read it).
    #[arg(long, value_name = "DIR")]
    pub unredacted_dir: Option<PathBuf>,

    /// Take only part INDEX of COUNT of the calls (0-based; split by call id), so COUNT
    /// machines given the same inputs share a batch, each call done exactly once. See README,
    /// "Running on a cluster".
    #[arg(long, value_name = "INDEX/COUNT", value_parser = Shard::parse)]
    pub shard: Option<Shard>,

    /// Beam width for Whisper decoding, 1–8 (whisper.cpp's limit); 1 is greedy (see
    /// --retry-beam-below).
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u8).range(1..=8))]
    pub beam_size: u8,

    /// Greedy windows whose mean token log-probability is below this (or whose text repeats
    /// itself) are decoded again with a beam of 5 (costs a second encoder pass for those
    /// windows); `off` never retries.
    #[arg(long, default_value = "-0.22", value_name = "LOGPROB", value_parser = parse_retry)]
    pub retry_beam_below: Retry,

    /// The 60/40 rule: the agent passes if their share of speech is at most this.
    #[arg(long, default_value_t = 0.40, value_name = "SHARE")]
    pub max_agent_share: f64,

    /// A speaker's own silences shorter than this do not end their turn.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub turn_bridge_s: f64,

    /// Utterances shorter than this inside the other speaker's turn are backchannels.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub backchannel_max_s: f64,

    /// Overlap shorter than this at a turn start is a hand-over, not an interruption.
    #[arg(long, default_value_t = 0.2, value_name = "SECONDS")]
    pub interruption_min_overlap_s: f64,

    /// Silences inside a turn at least this long are pauses.
    #[arg(long, default_value_t = 0.3, value_name = "SECONDS")]
    pub pause_min_s: f64,

    /// Silences of nobody speaking at least this long are dead air.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub dead_air_min_s: f64,

    #[command(flatten)]
    pub script: ScriptArgs,

    /// Calls longer than this are refused (protects the batch from runaway files).
    #[arg(long, default_value_t = 86_400.0, value_name = "SECONDS")]
    pub max_duration_s: f64,

    /// Files larger than this are refused.
    #[arg(long, default_value_t = 4096, value_name = "MB")]
    pub max_file_mb: u64,

    /// Recordings are analyzed in windows of about this length, cut in a quiet moment, so
    /// memory stays bounded on very long files (developers' option).
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS", hide = true)]
    pub window_s: f64,
}

/// `--paths`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Paths {
    AsGiven,
    Relative,
}

/// `--redact`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Redact {
    None,
    Pii,
    Strict,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Side {
    Left,
    Right,
}

impl AnalyzeArgs {
    /// Checks the values and builds the library's configuration.
    pub fn into_config(
        self,
        files: usize,
        script: Script,
        outcomes: HashMap<String, Outcome>,
    ) -> Result<Config, String> {
        if let (Some(dir), Ok(out)) = (&self.unredacted_dir, std::path::absolute(&self.out))
            && std::path::absolute(dir).is_ok_and(|d| d.starts_with(&out))
        {
            return Err(format!(
                "--unredacted-dir {}: must be outside the output folder, whose files are shared",
                dir.display()
            ));
        }
        if !(0.0..=1.0).contains(&self.max_agent_share) {
            return Err(format!(
                "--max-agent-share {} must be between 0 and 1",
                self.max_agent_share
            ));
        }
        if self.jobs == Some(0) || self.threads == Some(0) {
            return Err("--jobs and --threads must be at least 1".into());
        }
        if self.max_duration_s.is_nan() || self.max_duration_s <= 0.0 {
            return Err(format!("--max-duration-s {} must be positive", self.max_duration_s));
        }
        if self.window_s.is_nan() || self.window_s < 5.0 {
            return Err(format!("--window-s {} must be at least 5", self.window_s));
        }
        let thresholds = [
            ("--turn-bridge-s", self.turn_bridge_s),
            ("--backchannel-max-s", self.backchannel_max_s),
            ("--interruption-min-overlap-s", self.interruption_min_overlap_s),
            ("--pause-min-s", self.pause_min_s),
            ("--dead-air-min-s", self.dead_air_min_s),
        ];
        if let Some((flag, v)) = thresholds.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
            return Err(format!("{flag} {v} must be a non-negative number of seconds"));
        }
        if self.pause_min_s >= self.turn_bridge_s {
            return Err(format!(
                "--pause-min-s {} must be below --turn-bridge-s {} (a longer silence ends the turn)",
                self.pause_min_s, self.turn_bridge_s
            ));
        }
        let language = parse_language(&self.language, &self.languages)?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, threads) = split_cores(cores, files, self.jobs, self.threads);
        let jobs = cap_jobs(jobs, threads, files, cores);
        Ok(Config {
            inputs: self.inputs,
            out_dir: self.out,
            agent_channel: match self.agent_channel {
                Side::Left => AgentChannel::Left,
                Side::Right => AgentChannel::Right,
            },
            jobs,
            max_agent_share: self.max_agent_share,
            turns: TurnConfig {
                turn_bridge_s: self.turn_bridge_s,
                backchannel_max_s: self.backchannel_max_s,
                interruption_min_overlap_s: self.interruption_min_overlap_s,
                pause_min_s: self.pause_min_s,
                dead_air_min_s: self.dead_air_min_s,
            },
            asr: AsrConfig {
                model_path: self.model.unwrap_or_else(|| beside_checkout("models/ggml-base.bin")),
                language,
                threads,
                beam_size: usize::from(self.beam_size),
                retry_beam_below: self.retry_beam_below.0,
            },
            vad: VadConfig::default(),
            speaker_model: (!self.no_diarize).then(|| {
                self.speaker_model.unwrap_or_else(|| beside_checkout("models/ge2e-resemblyzer.f32"))
            }),
            limits: Limits {
                max_duration_s: self.max_duration_s,
                max_file_bytes: self.max_file_mb << 20,
            },
            window_s: self.window_s,
            script: Arc::new(script),
            outcomes: Arc::new(outcomes),
            force: self.force,
            redact: match self.redact {
                Redact::None => callgauge::redact::Level::None,
                Redact::Pii => callgauge::redact::Level::Pii,
                Redact::Strict => callgauge::redact::Level::Strict,
            },
            unredacted_dir: self.unredacted_dir,
            paths: match self.paths {
                Paths::AsGiven => callgauge::config::PathStyle::AsGiven,
                Paths::Relative => callgauge::config::PathStyle::Relative,
            },
        })
    }
}

/// `--retry-beam-below`: a log-probability (≤ 0) or `off`.
#[derive(Debug, Clone, Copy)]
pub struct Retry(Option<f32>);

fn parse_retry(v: &str) -> Result<Retry, String> {
    if v == "off" {
        return Ok(Retry(None));
    }
    match v.parse::<f32>() {
        Ok(x) if x.is_finite() && x <= 0.0 => Ok(Retry(Some(x))),
        _ => Err(format!("{v:?} must be a log-probability ≤ 0 (e.g. -0.22) or `off`")),
    }
}

/// More parallel calls than files, or than the cores hold at `threads` each, only add threads
/// that wait (idle jobs lend theirs to running calls): capped, with a warning.
fn cap_jobs(jobs: usize, threads: usize, files: usize, cores: usize) -> usize {
    let cap = jobs.min(files.max(1)).min((cores / threads.max(1)).max(1));
    if cap < jobs {
        eprintln!(
            "callgauge: warning: --jobs {jobs} lowered to {cap} ({files} file(s), {cores} core(s) \
             at {threads} whisper thread(s) per job)"
        );
    }
    cap
}

/// A model file (`models/…`) in the current folder if it is there, else in the checkout the
/// binary was built in (`target/release/callgauge` → `models/`).
fn beside_checkout(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.is_file() {
        return here;
    }
    let exe = std::env::current_exe().ok().and_then(|p| p.canonicalize().ok());
    let beside = exe.as_deref().and_then(|e| e.ancestors().nth(3)).map(|root| root.join(&here));
    beside.filter(|p| p.is_file()).unwrap_or(here)
}

fn parse_language(language: &str, candidates: &[String]) -> Result<Language, String> {
    let check = |code: &str| {
        language_code(code).ok_or_else(|| {
            format!("language `{code}` is not one Whisper knows (use codes like ru, en, de)")
        })
    };
    if language == "auto" {
        let list = candidates.iter().map(|c| check(c.trim())).collect::<Result<Vec<_>, _>>()?;
        if list.is_empty() {
            return Err("--languages must name at least one language".into());
        }
        Ok(Language::Auto(list))
    } else {
        Ok(Language::Fixed(check(language)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Config::new` documents the library's defaults as the CLI's: the two must not drift.
    #[test]
    fn cli_defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["callgauge", "analyze", "in.wav", "--out", "out"]);
        let Command::Analyze(args) = cli.command else { panic!("not analyze") };
        let script = callgauge::stages::script::default_script().unwrap();
        let mut from_cli = args.into_config(1, script.clone(), HashMap::new()).unwrap();
        let lib = Config::new(vec!["in.wav".into()], "out".into(), script);
        // The CLI sizes jobs and threads to the machine; the library takes 1 × 1.
        (from_cli.jobs, from_cli.asr.threads) = (lib.jobs, lib.asr.threads);
        // The model is looked for beside the binary too, and may come from CALLGAUGE_MODEL.
        from_cli.asr.model_path.clone_from(&lib.asr.model_path);
        from_cli.speaker_model.clone_from(&lib.speaker_model);
        assert_eq!(format!("{from_cli:?}"), format!("{lib:?}"));
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    fn analyze_args(extra: &[&str]) -> Result<AnalyzeArgs, clap::Error> {
        let args = ["callgauge", "analyze", "in.wav", "--out", "out"].iter().chain(extra);
        let Command::Analyze(a) = Cli::try_parse_from(args)?.command else { panic!("not analyze") };
        Ok(*a)
    }

    /// Regression: `--beam-size 9` was accepted, then every call failed in whisper.cpp.
    #[test]
    fn beam_size_is_1_to_8() {
        assert!(analyze_args(&["--beam-size", "9"]).is_err());
        assert!(analyze_args(&["--beam-size", "0"]).is_err());
        assert_eq!(analyze_args(&["--beam-size", "8"]).unwrap().beam_size, 8);
    }

    /// Regression: `--jobs 99` on one file ran 198 threads on 2 cores.
    #[test]
    fn jobs_are_capped_at_files_and_cores() {
        assert_eq!(cap_jobs(99, 1, 1, 2), 1);
        assert_eq!(cap_jobs(99, 1, 50, 2), 2);
        assert_eq!(cap_jobs(4, 2, 50, 8), 4);
        assert_eq!(cap_jobs(3, 4, 50, 2), 1);
    }

    /// Regression: `--language english` was accepted and written as "english".
    #[test]
    fn languages_are_written_as_iso_639_1() {
        assert_eq!(parse_language("english", &[]), Ok(Language::Fixed("en".into())));
        let auto = parse_language("auto", &["Russian".into(), " en".into()]);
        assert_eq!(auto, Ok(Language::Auto(vec!["ru".into(), "en".into()])));
        assert!(parse_language("elvish", &[]).unwrap_err().contains("`elvish`"));
    }
}
