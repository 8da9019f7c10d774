//! README.md's examples are true: every command of its ```sh blocks runs, in a scratch
//! directory, with the `cray` under test on PATH, and prints what the README shows.
//!
//! The README's convention (its "Examples" paragraph says it too):
//! - in a ```sh block, a line that is neither blank nor a comment is a command, run
//!   with `sh -c` in a scratch directory of its block holding a link to `images/`,
//!   with `$CRAY_CORPUS` set to the corpus;
//! - `# → TEXT`, after the command or on a line of its own below it: TEXT appears in a
//!   line the command prints (standard output or error);
//! - `# → exit status N`: the command exits with N (otherwise it must exit with 0);
//! - a command whose comment starts with `# not run:` is not run (the reason follows);
//! - any other comment is prose.

use std::path::Path;
use std::process::Command;

/// What marks an expected line.
const SHOWS: &str = "# → ";
/// What marks a command the test does not run.
const NOT_RUN: &str = "# not run:";

/// One command of the README and what it must print.
#[derive(Debug, Default)]
struct Example {
    /// Line number in README.md.
    line: usize,
    command: String,
    /// Pieces of lines it must print.
    shows: Vec<String>,
    /// Its exit status.
    status: i32,
    run: bool,
}

/// The commands of each ```sh block, in order.
fn sh_blocks(readme: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut block: Option<Vec<Example>> = None;
    for (index, line) in readme.lines().enumerate() {
        match (&mut block, line.trim_end()) {
            (None, "```sh") => block = Some(Vec::new()),
            (None, _) => {}
            (Some(_), "```") => blocks.extend(block.take()),
            (Some(examples), text) => read_line(examples, text, index + 1),
        }
    }
    assert!(block.is_none(), "README.md: a ```sh block is not closed");
    blocks
}

/// Adds a line of a ```sh block to its examples: a new command, or what the one
/// before shows.
fn read_line(examples: &mut Vec<Example>, text: &str, line: usize) {
    let (command, comment) = split_comment(text);
    if !command.is_empty() {
        examples.push(Example {
            line,
            command: command.to_string(),
            run: !comment.starts_with(NOT_RUN),
            ..Example::default()
        });
    }
    let Some(shown) = comment.strip_prefix(SHOWS) else {
        return;
    };
    let example = examples
        .last_mut()
        .unwrap_or_else(|| panic!("README.md:{line}: `{SHOWS}` before any command"));
    match shown.trim().strip_prefix("exit status ") {
        Some(status) => example.status = status.parse().expect("exit status N"),
        None => example.shows.push(shown.trim().to_string()),
    }
}

/// A line as its command and its comment (from the first `#` outside quotes that
/// starts a word).
fn split_comment(text: &str) -> (&str, &str) {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            (None, '#') if previous.is_whitespace() => {
                return (text[..at].trim(), text[at..].trim());
            }
            _ => {}
        }
        previous = c;
    }
    (text.trim(), "")
}

/// Runs `example` in `dir`; what it printed (standard output, then error).
fn run(example: &Example, dir: &Path) -> String {
    let cray = Path::new(env!("CARGO_BIN_EXE_cray"));
    let path = std::env::join_paths(std::iter::once(cray.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new("sh")
        .args(["-c", &example.command])
        .current_dir(dir)
        .env("PATH", path)
        .env("CRAY_CORPUS", isa_tests::corpus_dir())
        .env("XDG_RUNTIME_DIR", dir)
        .output()
        .expect("sh runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(example.status),
        "README.md:{}: `{}` printed:\n{printed}",
        example.line,
        example.command
    );
    printed
}

#[test]
fn every_readme_example_prints_what_the_readme_shows() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let blocks = sh_blocks(&readme);
    let mut ran = 0;
    for block in blocks {
        let scratch = tempfile::tempdir().unwrap();
        let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
        std::os::unix::fs::symlink(
            images.canonicalize().unwrap(),
            scratch.path().join("images"),
        )
        .unwrap();
        for example in block.iter().filter(|example| example.run) {
            let printed = run(example, scratch.path());
            for shown in &example.shows {
                assert!(
                    printed.lines().any(|line| line.contains(shown.as_str())),
                    "README.md:{}: `{}` does not print `{shown}`; it printed:\n{printed}",
                    example.line,
                    example.command
                );
            }
            ran += 1;
        }
    }
    // The README's examples, not an empty set, were run.
    assert!(ran >= 10, "only {ran} README commands ran");
}

#[test]
fn the_convention_reads_commands_outputs_and_marks() {
    let text = "\
```sh
echo 'a # b' | wc -c   # →       6
cray run x  # prose only
# → exit status 3
# → second
cargo test   # not run: it runs this test
```
";
    let blocks = sh_blocks(text);
    assert_eq!(blocks.len(), 1);
    let [first, second, third] = &blocks[0][..] else {
        panic!("{:?}", blocks[0]);
    };
    assert_eq!(first.command, "echo 'a # b' | wc -c");
    assert_eq!(first.shows, ["6"]);
    assert_eq!((first.status, first.run), (0, true));
    assert_eq!(second.command, "cray run x");
    assert_eq!(second.shows, ["second"]);
    assert_eq!(second.status, 3);
    assert_eq!((third.command.as_str(), third.run), ("cargo test", false));
}
