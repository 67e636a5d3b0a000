//! The `callgauge` binary: parses flags, builds a `Config`, runs the batch, maps the outcome
//! to an exit code (0 all ok, 1 some calls failed, 2 usage or fatal error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Analyze(args) => analyze(args),
        cli::Command::Score(args) => score(args),
    }
}

fn analyze(args: cli::AnalyzeArgs) -> ExitCode {
    let files = match callgauge::pipeline::collect_inputs(&args.inputs) {
        Ok(files) => files.len(),
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    let (script, outcomes) = match args.script.load() {
        Ok(loaded) => loaded,
        Err(e) => return fatal(&anyhow::Error::new(e)),
    };
    let cfg = match args.into_config(files, script, outcomes) {
        Ok(cfg) => cfg,
        Err(e) => return fatal(&anyhow::anyhow!("invalid option: {e}")),
    };
    eprintln!(
        "callgauge: {files} file(s), {} job(s) × {} whisper thread(s)",
        cfg.jobs, cfg.asr.threads
    );
    match callgauge::run(&cfg) {
        Ok(summary) => {
            eprintln!(
                "callgauge: {} ok, {} failed; {:.1} s of audio in {:.1} s ({:.1}× real time); results in {}",
                summary.ok,
                summary.failed,
                summary.audio_s,
                summary.wall_s,
                summary.audio_s_per_wall_s,
                cfg.out_dir.display()
            );
            if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => fatal(&anyhow::Error::new(e)),
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

fn fatal(e: &anyhow::Error) -> ExitCode {
    eprintln!("callgauge: error: {e:#}");
    ExitCode::from(2)
}
