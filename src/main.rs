//! The `callgauge` binary: parses flags, builds a `Config`, runs the batch, maps the outcome
//! to an exit code (0 all ok, 1 some calls failed, 2 usage or fatal error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    keep_peak_memory_flat();
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Analyze(args) => analyze(args),
        cli::Command::Score(args) => score(args),
        cli::Command::Schema { out } => schema(&out),
    }
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
    let files = match callgauge::discover::collect_inputs(&args.inputs) {
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
