//! The examples of README.md and of every page of the user guide (`docs/src/*.md`,
//! found by listing the directory, so a page added later is tested too) are true:
//! every command of their ```sh blocks runs, in a scratch directory, with the `cray`
//! under test on PATH, and prints what the document shows.
//!
//! The convention (README's tour says it too):
//! - in a ```sh block (indented too, as in a list item), a line that is neither blank
//!   nor a comment is a command, run with `sh -c` in a scratch directory of its block
//!   holding a link to `images/`, with `$CRAY_CORPUS` set to the corpus;
//! - `# → TEXT`, after the command or on a line of its own below it: TEXT appears in a
//!   line the command prints (standard output or error);
//! - `# → exit status N`: the command exits with N (otherwise it must exit with 0);
//! - a command whose comment starts with `# not run:` is not run (the reason follows);
//! - any other comment is prose.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What marks an expected line.
const SHOWS: &str = "# → ";
/// What marks a command the test does not run.
const NOT_RUN: &str = "# not run:";

/// One command of a document and what it must print.
#[derive(Debug, Default)]
struct Example {
    /// Where it is: the document and the line number in it (`docs/src/x.md:12`).
    place: String,
    command: String,
    /// Pieces of lines it must print.
    shows: Vec<String>,
    /// Its exit status.
    status: i32,
    run: bool,
}

/// The commands of each ```sh block of the document `name`, in order.
fn sh_blocks(name: &str, document: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut block: Option<Vec<Example>> = None;
    for (index, line) in document.lines().enumerate() {
        let place = format!("{name}:{}", index + 1);
        match (&mut block, line.trim()) {
            (None, "```sh") => block = Some(Vec::new()),
            (None, _) => {}
            (Some(_), "```") => blocks.extend(block.take()),
            (Some(examples), text) => read_line(examples, text, place),
        }
    }
    assert!(block.is_none(), "{name}: a ```sh block is not closed");
    blocks
}

/// Adds a line of a ```sh block to its examples: a new command, or what the one
/// before shows.
fn read_line(examples: &mut Vec<Example>, text: &str, place: String) {
    let (command, comment) = split_comment(text);
    if !command.is_empty() {
        examples.push(Example {
            place: place.clone(),
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
        .unwrap_or_else(|| panic!("{place}: `{SHOWS}` before any command"));
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
        "{}: `{}` printed:\n{printed}",
        example.place,
        example.command
    );
    printed
}

/// The workspace's root directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pages of the user guide, `docs/src/*.md`, by name, in order.
fn guide_pages() -> Vec<String> {
    let dir = workspace().join("docs/src");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".md") && name != "SUMMARY.md")
        .collect();
    pages.sort();
    pages
}

/// Runs every example of the document at `path` (relative to the workspace, as
/// messages name it), each block in a scratch directory of its own; how many ran.
fn run_examples_of(path: &str) -> usize {
    let document =
        std::fs::read_to_string(workspace().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let images = workspace().join("images").canonicalize().unwrap();
    let mut ran = 0;
    for block in sh_blocks(path, &document) {
        let scratch = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&images, scratch.path().join("images")).unwrap();
        for example in block.iter().filter(|example| example.run) {
            let printed = run(example, scratch.path());
            for shown in &example.shows {
                assert!(
                    printed.lines().any(|line| line.contains(shown.as_str())),
                    "{}: `{}` does not print `{shown}`; it printed:\n{printed}",
                    example.place,
                    example.command
                );
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_readme_example_prints_what_the_readme_shows() {
    let ran = run_examples_of("README.md");
    // The README's examples, not an empty set, were run.
    assert!(ran >= 10, "only {ran} README commands ran");
}

#[test]
fn every_example_of_the_user_guide_prints_what_its_page_shows() {
    let pages = guide_pages();
    assert!(
        pages.iter().any(|page| page == "commands.md"),
        "the guide's pages were found: {pages:?}"
    );
    let ran: usize = pages
        .iter()
        .map(|page| run_examples_of(&format!("docs/src/{page}")))
        .sum();
    assert!(ran >= 10, "only {ran} commands of the user guide ran");
}

#[test]
fn every_page_of_the_user_guide_is_in_its_summary() {
    let summary = std::fs::read_to_string(workspace().join("docs/src/SUMMARY.md")).unwrap();
    for page in guide_pages() {
        assert!(
            summary.contains(&format!("]({page})")),
            "docs/src/{page} is not listed in docs/src/SUMMARY.md, so the book does not show it"
        );
    }
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
  ```sh
  echo indented   # → indented
  ```
";
    let blocks = sh_blocks("test.md", text);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1][0].command, "echo indented");
    assert_eq!(blocks[1][0].place, "test.md:9");
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
