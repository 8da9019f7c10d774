//! Non-trivial CAL programs written as a user would (macros for the system calls,
//! macros with label parameters), assembled on the fly by `cray run`.

mod common;

use common::{cray, image, text};

#[test]
fn sieve_prints_the_primes_below_1000() {
    let out = cray()
        .args(["run", image("sieve.cal").to_str().unwrap()])
        .output()
        .expect("cray runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The expectation by trial division, independent of the program's method.
    let expected: String = (2u32..1000)
        .filter(|n| (2..*n).all(|d| n % d != 0))
        .map(|p| format!("{p}\n"))
        .collect();
    assert_eq!(text(&out.stdout), expected);
}
