//! No source can make the assembler overflow the stack, run for long or grow without
//! bound: expression nesting, macro expansion, line length, source length and the
//! number of errors are all bounded, each with a located error.

use cray_cal::{assemble, AsmError, Options, MAX_ERRORS, MAX_EXPANDED_LINES, MAX_LINE_BYTES};

fn errors(source: &str) -> Vec<AsmError> {
    match assemble(source, "hostile.cal", &Options::aout()) {
        Ok(_) => panic!("assembled without errors"),
        Err(e) => e,
    }
}

/// Runs `test` on a thread with a small stack, as a deep recursion would overflow
/// the test harness's own stack and abort the whole run.
fn on_small_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(test)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn fifty_thousand_nested_parentheses_are_a_located_error() {
    on_small_stack(|| {
        let depth = 50_000;
        let expression = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        struct NoSymbols;
        impl cray_cal::expr::Env for NoSymbols {
            fn symbol(&self, _: &str) -> Option<cray_cal::Value> {
                None
            }
            fn location_parcel(&self) -> u32 {
                0
            }
            fn base(&self) -> cray_cal::expr::Base {
                cray_cal::expr::Base::Decimal
            }
            fn first_pass(&self) -> bool {
                false
            }
            fn literal(&self, _: &str, _: usize) -> cray_cal::error::PResult<cray_cal::Value> {
                unreachable!()
            }
        }
        let problem = cray_cal::expr::evaluate(&expression, 20, &NoSymbols, false).unwrap_err();
        assert!(
            problem.message.contains("nests deeper than 256"),
            "{}",
            problem.message
        );
        assert_eq!(problem.column, 20 + 256);
        // Through the assembler: the error has a file, a line and a column.
        let source = format!(
            "         S1        {}1{}\n",
            "(".repeat(300),
            ")".repeat(300)
        );
        let e = errors(&source);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            (e[0].file.as_str(), e[0].line, e[0].column),
            ("hostile.cal", 1, 20 + 256)
        );
        assert!(
            e[0].message.contains("nests deeper than 256"),
            "{}",
            e[0].message
        );
        // As many prefix operators: the same bound.
        let source = format!("         S1        {}1\n", "-#".repeat(300));
        assert!(errors(&source)[0].message.contains("nests deeper"));
    });
}

/// A 9-line macro that calls itself twice per level: 2^32 lines at the depth limit.
const SELF_DOUBLING: &str = concat!(
    "         MACRO\n",
    "         TWICE     N\n",
    "         S1        N\n",
    "         S2        S1+1\n",
    "         S3        S2+1\n",
    "         TWICE     N+1\n",
    "         TWICE     N+1\n",
    "TWICE    ENDM\n",
    "         TWICE     1\n",
    "         END\n",
);

#[test]
fn a_macro_that_calls_itself_twice_is_stopped_by_the_expansion_bound() {
    let e = errors(SELF_DOUBLING);
    let last = e.last().unwrap();
    assert_eq!(last.line, 9, "the line of the call that started it");
    assert!(
        last.message
            .contains(&format!("more than {MAX_EXPANDED_LINES} lines"))
            && last.message.contains("macro TWICE"),
        "{}",
        last.message
    );
}

/// Macros M0 (one instruction) to M20 (M19 twice), then a call of `Mtop`.
fn doubling_chain(top: u32) -> String {
    let mut source =
        String::from("         MACRO\n         M0\n         S1        1\nM0       ENDM\n");
    for level in 1..=20 {
        let below = level - 1;
        source.push_str(&format!(
            "         MACRO\n         M{level}\n         M{below}\n         M{below}\nM{level}       ENDM\n"
        ));
    }
    source.push_str(&format!("         M{top}\n         END\n"));
    source
}

#[test]
fn a_chain_of_twenty_doubling_macros_is_stopped_by_the_expansion_bound() {
    let e = errors(&doubling_chain(20));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].line, 4 + 20 * 5 + 1);
    assert!(e[0].message.contains("macro M20"), "{}", e[0].message);
    // Below the bound the same chain assembles: 2^12 instructions, 2^13 expanded lines.
    let assembly = assemble(&doubling_chain(12), "chain.cal", &Options::aout()).unwrap();
    assert_eq!(assembly.words.len(), 1 << 10);
}

#[test]
fn a_long_line_is_an_error_quoting_only_an_excerpt() {
    let long = format!("         S1        {}\n", "\0".repeat(1 << 20));
    let e = errors(&long);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].message
            .contains(&format!("a CAL line holds at most {MAX_LINE_BYTES}")),
        "{}",
        e[0].message
    );
    let shown = e[0].to_string();
    assert!(shown.len() < 300, "{} bytes shown", shown.len());
    // A long field within the bound is quoted as an excerpt too.
    let field = format!("         {}\n", "X".repeat(900));
    let shown = errors(&field)[0].to_string();
    assert!(shown.len() < 400 && shown.contains("..."), "{shown}");
}

#[test]
fn a_file_of_errors_stops_after_the_most_errors() {
    let source = "         NOSUCH\n".repeat(5 * MAX_ERRORS);
    let e = errors(&source);
    assert_eq!(e.len(), MAX_ERRORS + 1);
    assert!(e.last().unwrap().message.contains("assembly stopped"));
}

#[test]
fn a_source_longer_than_the_bound_is_refused_whole() {
    let source = " ".repeat(cray_cal::MAX_SOURCE_BYTES as usize + 1);
    let e = errors(&source);
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("bytes long"), "{}", e[0].message);
}
