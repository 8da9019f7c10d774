//! Replays the fuzz targets' inputs on stable, through the very harness bodies the
//! cargo-fuzz targets in `fuzz/` run (`cray_*::fuzz`): the seeds (generated here from
//! `images/` and the shared corpus), the corpus the fuzzers saved in
//! `fuzz/corpus/<target>/`, and every input that once crashed, hung or exhausted a
//! target, kept in `fuzz/regressions/<target>/`. A failing input is named.
//!
//! With `CRAY_FUZZ_SEEDS=DIR` set, the seeds are also written to `DIR/<target>/`, to
//! start the fuzzers from (docs/src/fuzzing.md); the corpus files themselves never
//! enter the repository.

use cray_cal::{assemble, Options};
use cray_chkpnt::{Image, SectionKind};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// One input: where it came from (for messages and seed file names) and its bytes.
struct Input {
    name: String,
    bytes: Vec<u8>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The files of `dir` (none if it does not exist), sorted by name.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn input_of(path: &Path) -> Input {
    Input {
        name: path.display().to_string(),
        bytes: read(path),
    }
}

/// The CAL sources of `images/` (`dir` is a subdirectory or "").
fn cal_sources(dir: &str) -> Vec<PathBuf> {
    files_in(&workspace_root().join("images").join(dir))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cal"))
        .collect()
}

fn assembled(path: &Path, options: &Options) -> cray_cal::Assembly {
    let source = String::from_utf8(read(path)).expect("UTF-8 source");
    assemble(&source, &path.display().to_string(), options)
        .unwrap_or_else(|e| panic!("{} does not assemble: {}", path.display(), e[0]))
}

fn bytes_of(words: &[u64]) -> Vec<u8> {
    cray_emulator::cos::absolute::words_to_bytes(words)
}

fn corpus_inputs(dir: &str, endings: &[&str]) -> Vec<Input> {
    isa_tests::corpus_files(dir, endings)
        .iter()
        .map(|p| input_of(p))
        .collect()
}

/// Seeds of `image`: the golden images and, since the fuzzer rarely gets a mutant past
/// an image's checksums, their kernel state sections alone.
fn image_seeds() -> Vec<Input> {
    let mut seeds = Vec::new();
    for path in files_in(&workspace_root().join("images/golden")) {
        if path.extension().is_none_or(|e| e != "chk") {
            continue;
        }
        let bytes = read(&path);
        let image = Image::from_bytes(&bytes, &path)
            .unwrap_or_else(|e| panic!("golden image does not read: {e}"));
        if let Ok(state) = image.section(SectionKind::State, 0) {
            seeds.push(Input {
                name: format!("{}.state", path.display()),
                bytes: state.into_owned(),
            });
        }
        seeds.push(Input {
            name: path.display().to_string(),
            bytes,
        });
    }
    seeds
}

/// Seeds of `cos_absolute`: the corpus's COS binaries and compiled programs, and the
/// COS samples of `images/cos` assembled raw and blocked.
fn cos_absolute_seeds() -> Vec<Input> {
    let mut seeds = corpus_inputs("cos", &[".bin"]);
    seeds.extend(corpus_inputs("compiled", &[".abs"]));
    seeds.extend(assembled_cos());
    seeds
}

fn assembled_cos() -> Vec<Input> {
    let mut seeds = Vec::new();
    for path in cal_sources("cos") {
        let assembly = assembled(&path, &Options::cos());
        for (form, words) in [
            ("raw", assembly.to_cos_raw()),
            ("blocked", assembly.to_cos_blocked()),
        ] {
            seeds.push(Input {
                name: format!("{} ({form})", path.display()),
                bytes: bytes_of(&words.expect("a COS sample has a COS binary")),
            });
        }
    }
    seeds
}

/// Seeds of `cos_blocked`: every blocked dataset of the corpus and the samples.
fn cos_blocked_seeds() -> Vec<Input> {
    let mut seeds = corpus_inputs("cos", &[".ds", ".bin"]);
    seeds.extend(corpus_inputs("compiled", &[".abs"]));
    seeds.extend(assembled_cos());
    seeds.retain(|s| {
        let words = cray_emulator::cos::absolute::words_from_bytes(&s.bytes).unwrap_or_default();
        cray_emulator::cos::dataset::is_blocked(&words)
    });
    seeds
}

/// Seeds of `aout`: the UNICOS samples of `images/` and `images/abi`, assembled.
fn aout_seeds() -> Vec<Input> {
    cal_sources("")
        .into_iter()
        .chain(cal_sources("abi"))
        .map(|path| Input {
            name: format!("{} (a.out)", path.display()),
            bytes: bytes_of(&assembled(&path, &Options::aout()).to_aout_words()),
        })
        .collect()
}

/// Seeds of `control_request`: each request as `cray ps` and `cray chkpnt` send it.
fn control_request_seeds() -> Vec<Input> {
    [
        r#""Ps""#,
        r#""Figures""#,
        r#"{"Chkpnt":{"job":true,"id":1,"file":"/tmp/x.chk","kill":false,"with_files":true,"compress":true}}"#,
        r#"{"Chkpnt":{"job":false,"id":7,"file":"/a b","kill":true,"with_files":false}}"#,
    ]
    .iter()
    .enumerate()
    .map(|(i, line)| Input {
        name: format!("request {i}"),
        bytes: format!("{line}\n").into_bytes(),
    })
    .collect()
}

/// Seeds of `cal_round_trip`: every CAL sample of `images/`.
fn cal_seeds() -> Vec<Input> {
    ["", "abi", "cos"]
        .iter()
        .flat_map(|dir| cal_sources(dir))
        .map(|p| input_of(&p))
        .collect()
}

/// The inputs the fuzzer saved for `target` and the ones that once failed it.
fn saved_inputs(target: &str) -> Vec<Input> {
    let fuzz = workspace_root().join("fuzz");
    files_in(&fuzz.join("corpus").join(target))
        .into_iter()
        .chain(files_in(&fuzz.join("regressions").join(target)))
        .map(|p| input_of(&p))
        .collect()
}

/// Writes `seeds` to `$CRAY_FUZZ_SEEDS/<target>/` when that is set.
fn export_seeds(target: &str, seeds: &[Input]) {
    let Some(dir) = std::env::var_os("CRAY_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir).join(target);
    std::fs::create_dir_all(&dir).expect("seed directory");
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:03}")), &seed.bytes).expect("seed written");
    }
}

/// Runs `entry` on the seeds and the saved inputs of `target`, naming the input that
/// panics.
fn replay(target: &str, seeds: Vec<Input>, entry: fn(&[u8])) {
    assert!(!seeds.is_empty(), "no seeds for {target}");
    export_seeds(target, &seeds);
    for input in seeds.iter().chain(&saved_inputs(target)) {
        if catch_unwind(AssertUnwindSafe(|| entry(&input.bytes))).is_err() {
            panic!("fuzz target {target} fails on {}", input.name);
        }
    }
}

#[test]
fn image_inputs_replay() {
    let seeds = image_seeds();
    // The seeds must reach past the checksums and the state decoding.
    for seed in seeds.iter().filter(|s| s.name.ends_with(".chk")) {
        let image = Image::from_bytes(&seed.bytes, &seed.name).expect("golden image reads");
        cray_sysimage::system_image::decode_system(&image)
            .unwrap_or_else(|e| panic!("{}: {e}", seed.name));
    }
    replay("image", seeds, cray_sysimage::fuzz::image);
}

#[test]
fn cos_absolute_inputs_replay() {
    let seeds = cos_absolute_seeds();
    let parsed = seeds
        .iter()
        .filter(|s| cray_emulator::cos::absolute::from_bytes(&s.bytes).is_ok())
        .count();
    assert!(parsed >= 8, "only {parsed} COS seeds parse");
    replay("cos_absolute", seeds, cray_emulator::fuzz::cos_absolute);
}

#[test]
fn cos_blocked_inputs_replay() {
    let seeds = cos_blocked_seeds();
    assert!(seeds.len() >= 8, "only {} blocked seeds", seeds.len());
    replay("cos_blocked", seeds, cray_emulator::fuzz::cos_blocked);
}

#[test]
fn aout_inputs_replay() {
    replay("aout", aout_seeds(), cray_emulator::fuzz::aout);
}

#[test]
fn control_request_inputs_replay() {
    let seeds = control_request_seeds();
    for seed in &seeds {
        let line = cray_cli::control_request::request_line(&seed.bytes).expect("one line");
        cray_cli::control_request::parse_request(line).expect("seed request parses");
    }
    replay("control_request", seeds, cray_cli::fuzz::control_request);
}

#[test]
fn cal_inputs_replay() {
    replay(
        "cal_round_trip",
        cal_seeds(),
        cray_cal::fuzz::cal_round_trip,
    );
}
