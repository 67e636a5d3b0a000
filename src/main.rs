//! The `callgauge` binary: parses flags, builds a `Config`, runs the batch, maps the outcome
//! to an exit code (0 all ok, 1 some calls failed, 2 usage or fatal error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    keep_peak_memory_flat();
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Analyze(args) => analyze(*args),
        cli::Command::Score(args) => score(args),
        cli::Command::Report(args) => report(*args),
        cli::Command::Script(cmd) => match script_command(cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fatal(&e),
        },
        cli::Command::Schema { out } => schema(&out),
    }
}

/// `callgauge script …`.
fn script_command(cmd: cli::ScriptCommand) -> anyhow::Result<()> {
    use callgauge::stages::{from_text, labels, script};
    let load = |path: &Option<std::path::PathBuf>| match path {
        Some(p) => script::load(p),
        None => script::default_script(),
    };
    let refuse_existing = |out: &std::path::Path, force: bool| {
        if out.exists() && !force {
            anyhow::bail!("{}: exists; pass --force to overwrite it", out.display());
        }
        Ok(())
    };
    let read_labels = |files: &[std::path::PathBuf], language: Option<&str>| {
        let mut calls = Vec::new();
        for f in files {
            calls.extend(labels::read(f, language).map_err(anyhow::Error::msg)?);
        }
        anyhow::Ok(calls)
    };
    match cmd {
        cli::ScriptCommand::FromText { text, out, name, force } => {
            refuse_existing(&out, force)?;
            let body = std::fs::read_to_string(&text)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", text.display()))?;
            let name = name.unwrap_or_else(|| {
                text.file_stem().map_or("Call script".into(), |s| s.to_string_lossy().into_owned())
            });
            let built = from_text::build(&body, &name)
                .map_err(|e| anyhow::anyhow!("{}: {e}", text.display()))?;
            // The script written must load: check it before anyone uses it.
            script::parse(&built.toml, &out.display().to_string())?;
            callgauge::output::write_atomic(&out, built.toml.as_bytes())
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            eprintln!("callgauge: wrote {} ({})", out.display(), built.summary);
        }
        cli::ScriptCommand::Train {
            labels: files,
            script,
            out,
            language,
            min_probability,
            tone_min_probability,
            objection_min_probability,
            force,
        } => {
            refuse_existing(&out, force)?;
            for (flag, p) in [
                ("--min-probability", min_probability),
                ("--tone-min-probability", tone_min_probability),
                ("--objection-min-probability", objection_min_probability),
            ] {
                if !(0.0..=1.0).contains(&p) {
                    anyhow::bail!("{flag} must lie in 0..=1");
                }
            }
            let s = load(&script)?;
            let calls = read_labels(&files, language.as_deref())?;
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            let trained_on = format!("{} ({} calls)", names.join(", "), calls.len());
            let min = labels::Thresholds {
                stages: min_probability,
                tone: tone_min_probability,
                objections: objection_min_probability,
            };
            let model = labels::train(&s, &calls, Default::default(), min, trained_on)
                .map_err(anyhow::Error::msg)?;
            let text = model.to_toml().map_err(anyhow::Error::msg)?;
            callgauge::output::write_atomic(&out, text.as_bytes())
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            let langs: Vec<&str> = model.stages.languages.keys().map(String::as_str).collect();
            let heads: Vec<&str> = [
                Some("stages"),
                model.customer_tone.as_ref().map(|_| "customer tone"),
                model.objections.as_ref().map(|_| "objections"),
            ]
            .into_iter()
            .flatten()
            .collect();
            eprintln!(
                "callgauge: wrote {} ({} calls, languages {}, heads: {}); name it in the script \
                 with model = \"{}\"",
                out.display(),
                calls.len(),
                langs.join(", "),
                heads.join(", "),
                out.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned())
            );
        }
        cli::ScriptCommand::Eval { labels: files, script, language, json, misses } => {
            let s = load(&script)?;
            let calls = read_labels(&files, language.as_deref())?;
            let evals = labels::evaluate(&s, &calls);
            if json {
                println!("{}", serde_json::to_string_pretty(&evals)?);
            } else {
                print!("{}", labels::table(&s, &evals, misses));
            }
        }
    }
    Ok(())
}

fn schema(out: &std::path::Path) -> ExitCode {
    let written = std::fs::create_dir_all(out).and_then(|()| {
        callgauge::schema::documents().iter().try_for_each(|doc| {
            let text = callgauge::schema::to_text(&doc.schema);
            callgauge::output::write_atomic(&out.join(doc.file), text.as_bytes())
        })
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fatal(&anyhow::anyhow!("{}: {e}", out.display())),
    }
}

fn analyze(args: cli::AnalyzeArgs) -> ExitCode {
    let mut found = match callgauge::discover::discover_audio(&args.inputs) {
        Ok(found) => found,
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    if let Some(shard) = args.shard {
        shard.apply(&mut found);
    }
    let (script, outcomes) = match args.script.load() {
        Ok(loaded) => loaded,
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    let outcomes_path = args.script.outcomes.clone();
    let cfg = match args.into_config(found.files.len(), script, outcomes) {
        Ok(cfg) => cfg,
        Err(e) => return fatal(&anyhow::anyhow!("invalid option: {e}")),
    };
    eprintln!(
        "callgauge: {} file(s){}, {} job(s) × {} whisper thread(s)",
        found.files.len(),
        found.skipped_line().map_or(String::new(), |s| format!(" (passed over: {s})")),
        cfg.jobs,
        cfg.asr.threads
    );
    for warning in &found.warnings {
        eprintln!("callgauge: warning: {warning}");
    }
    if let Some(csv) = outcomes_path {
        let ids = found.files.iter().map(|f| f.call_id.as_str()).collect();
        let unmatched = callgauge::stages::outcomes::unmatched(&cfg.outcomes, &ids);
        if !unmatched.is_empty() {
            let shown: Vec<&str> = unmatched.iter().take(10).copied().collect();
            eprintln!(
                "callgauge: warning: {}: {} outcome row(s) match no call of this batch: {}{}",
                csv.display(),
                unmatched.len(),
                shown.join(", "),
                if unmatched.len() > shown.len() { ", …" } else { "" }
            );
        }
    }
    let stop = callgauge::pipeline::StopFlag::default();
    stop_on_signals(&stop);
    match callgauge::pipeline::run_discovered(&cfg, found, &stop) {
        Ok(summary) => {
            eprintln!(
                "callgauge: {} ok ({} kept from an earlier run), {} failed, {} not done; {:.1} s \
                 of audio in {:.1} s ({:.1}× real time); results in {}",
                summary.ok,
                summary.kept,
                summary.failed,
                summary.pending,
                summary.audio_s,
                summary.wall_s,
                summary.audio_s_per_wall_s,
                cfg.out_dir.display()
            );
            if summary.interrupted {
                eprintln!("callgauge: interrupted; run the same command again to do the rest");
                ExitCode::from(130)
            } else if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fatal(&anyhow::Error::new(e)),
    }
}

/// SIGINT or SIGTERM: no new call starts, the running ones finish, the summary says
/// `interrupted` and the exit code is 130. A second signal abandons the running calls (their
/// results were not written; a rerun does them).
fn stop_on_signals(stop: &callgauge::pipeline::StopFlag) {
    let stop = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if stop.requested() {
            eprintln!("callgauge: second signal: abandoning the running calls");
            std::process::exit(130);
        }
        eprintln!("callgauge: stopping after the running calls (signal again to abandon them)");
        stop.request();
    });
    if let Err(e) = installed {
        eprintln!("callgauge: warning: cannot handle Ctrl-C / SIGTERM ({e}); a stop kills the run");
    }
}

fn score(args: cli::ScoreArgs) -> ExitCode {
    let (script, outcomes) = match args.script.load() {
        Ok(loaded) => loaded,
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    match callgauge::rescore::run(&args.inputs, args.out.as_deref(), &script, &outcomes) {
        Ok(summary) => {
            eprintln!("callgauge: {} scored, {} failed", summary.scored, summary.failed);
            if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => fatal(&anyhow::Error::new(e)),
    }
}

fn report(args: cli::ReportArgs) -> ExitCode {
    let write_html = !args.no_html;
    let request = match args.into_request() {
        Ok(r) => r,
        Err(e) => return fatal(&anyhow::anyhow!(e)),
    };
    match callgauge::team::run(&request) {
        Ok((report, rows)) => {
            let calls = rows.len();
            let html = if write_html {
                match callgauge::html::write_site(&request.out_dir, &rows, &report) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        let e = anyhow::anyhow!("{}: write HTML: {e}", request.out_dir.display());
                        return fatal(&e);
                    }
                }
            } else {
                None
            };
            let left = &report.left_out;
            for line in left.unreadable_files.iter().chain(&left.metadata_problems) {
                eprintln!("callgauge: left out: {line}");
            }
            let list = |ids: &[String]| {
                let mut text = ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
                if ids.len() > 10 {
                    text.push_str(&format!(", … ({} in report.json)", ids.len()));
                }
                text
            };
            if !left.metadata_without_call.is_empty() {
                eprintln!(
                    "callgauge: {} metadata rows match no call: {}",
                    left.metadata_without_call.len(),
                    list(&left.metadata_without_call)
                );
            }
            if !left.calls_without_metadata.is_empty() {
                eprintln!(
                    "callgauge: {} calls have no metadata: {}",
                    left.calls_without_metadata.len(),
                    list(&left.calls_without_metadata)
                );
            }
            let c = &report.team.calls;
            eprintln!(
                "callgauge: {calls} calls ({} dialogues, {} failed, {} too short, {} one-sided), {} agents → {}",
                c.dialogue,
                c.failed,
                c.excluded_too_short,
                c.excluded_one_sided,
                report.agents.len(),
                request.out_dir.display()
            );
            let mut incomplete =
                !(left.unreadable_files.is_empty() && left.metadata_problems.is_empty());
            if let Some(w) = html {
                for p in &w.problems {
                    eprintln!("callgauge: no page: {p}");
                }
                incomplete |= !w.problems.is_empty();
                eprintln!(
                    "callgauge: {} → {} call pages{}",
                    request.out_dir.join(callgauge::html::INDEX).display(),
                    w.call_pages,
                    if w.stale_removed > 0 {
                        format!(
                            " (removed {} stale pages of calls no longer in the report)",
                            w.stale_removed
                        )
                    } else {
                        String::new()
                    }
                );
            }
            if incomplete { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => fatal(&anyhow::anyhow!(e)),
    }
}

/// Keeps a batch's peak memory flat however many files it has. Each call's Whisper state
/// allocates buffers of 1–90 MB and frees them when the call ends. By default glibc raises its
/// mmap threshold to the size of the first such buffer freed and serves later ones from its
/// heaps, where they fragment: peak RSS crept up with the number of files (copies of an 11 s
/// call: 100 files 1.11×, 300 files 1.09–1.12× the peak for 5). A fixed threshold keeps them
/// mapped, so each is returned with its call (1.04× for both, from a 7 % lower base). It sits
/// above the 400 KB vector whisper.cpp allocates for every token, and the trim threshold keeps
/// that one's heap space instead of returning and faulting it in again per token.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_peak_memory_flat() {
    const MMAP_THRESHOLD: libc::c_int = 512 * 1024;
    const TRIM_THRESHOLD: libc::c_int = 4 * 1024 * 1024;
    // SAFETY: mallopt only sets allocator parameters, and no other thread exists yet.
    #[allow(unsafe_code)]
    let set = unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            & libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    };
    debug_assert_eq!(set, 1, "glibc refused an allocator parameter");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_peak_memory_flat() {}

fn fatal(e: &anyhow::Error) -> ExitCode {
    eprintln!("callgauge: error: {e:#}");
    ExitCode::from(2)
}
