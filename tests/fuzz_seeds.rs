//! The fuzz targets' code (`fuzz/`, see `callgauge::fuzz`) over their seed corpus and thousands
//! of deterministic mutations of it, on the stable toolchain: no input may panic. The
//! coverage-guided runs (`cargo fuzz run <target>`) go much further; this keeps every target
//! exercised by `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use callgauge::error::DecodeError;
use common::root;
use std::path::PathBuf;

/// Mutations per seed file.
const MUTATIONS: usize = 2000;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("fuzz/corpus").join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// xorshift64*: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `seed`: flipped bytes, a truncation, a duplicated or deleted run, or bytes
/// set to boundary values (0, 0xFF, 0x7F, 0x80), as libFuzzer's mutators do.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(b.len());
        match rng.below(5) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b.truncate(at),
            2 => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                let run = b[at..end].to_vec();
                b.splice(at..at, run);
            }
            3 => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            _ => b[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)],
        }
    }
    b
}

fn run(target: &str, f: fn(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for (path, seed) in seeds(target) {
        f(&seed);
        for _ in 0..MUTATIONS {
            let input = mutate(&seed, &mut rng);
            f(&input);
        }
        eprintln!("{target}: {} and {MUTATIONS} mutations: no panic", path.display());
    }
}

#[test]
fn decode_seeds_are_what_they_claim() {
    let limits = callgauge::fuzz::LIMITS;
    for (path, bytes) in seeds("decode") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ext = path.extension().and_then(|e| e.to_str());
        let got = callgauge::decode::decode_bytes(bytes, ext, &limits);
        match name.as_str() {
            "gsm.wav" => assert!(matches!(got, Err(DecodeError::UnsupportedCodec(_))), "{name}"),
            "header-only.wav" => assert!(got.is_err(), "{name}"),
            _ => assert!(got.is_ok_and(|a| a.frames() > 0), "{name} does not decode"),
        }
    }
}

#[test]
fn decoder_survives_mutated_recordings() {
    run("decode", callgauge::fuzz::decode);
    run("wav_sniff", callgauge::fuzz::wav_sniff);
}

#[test]
fn script_parser_survives_mutated_scripts() {
    let text = String::from_utf8(seeds("script")[0].1.clone()).unwrap();
    assert!(callgauge::stages::script::parse(&text, "seed").is_ok(), "the seed script parses");
    run("script", callgauge::fuzz::script);
}

#[test]
fn outcomes_parser_survives_mutated_csv() {
    for (path, bytes) in seeds("outcomes") {
        let parsed = callgauge::stages::outcomes::parse(&bytes, "seed");
        assert!(parsed.is_ok_and(|o| !o.is_empty()), "{} does not parse", path.display());
    }
    run("outcomes", callgauge::fuzz::outcomes);
}

#[test]
fn metadata_parser_survives_mutated_csv_and_patterns() {
    for (path, bytes) in seeds("metadata") {
        if path.extension().is_some_and(|e| e == "csv") {
            let parsed = callgauge::team::meta::parse(&bytes, "seed").unwrap();
            assert!(parsed.problems.is_empty(), "{}: {:?}", path.display(), parsed.problems);
        }
    }
    run("metadata", callgauge::fuzz::metadata);
}
