//! Non-trivial CAL programs written as a user would (macros for the system calls,
//! macros with label parameters), assembled on the fly by `cray run`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn image(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../images")
        .join(name)
}

#[test]
fn sieve_prints_the_primes_below_1000() {
    let out = Command::new(env!("CARGO_BIN_EXE_cray"))
        .args(["run", image("sieve.cal").to_str().unwrap()])
        .output()
        .expect("cray runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The expectation by trial division, independent of the program's method.
    let expected: String = (2u32..1000)
        .filter(|n| (2..*n).all(|d| n % d != 0))
        .map(|p| format!("{p}\n"))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
