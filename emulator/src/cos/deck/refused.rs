//! Control statements of COS that the interpreter knows by name and refuses, each
//! with its reason, rather than looking them up as programs (which would say only
//! that no such program exists).
//!
//! - RERUN, NORERUN and ROLLJOB are statements of SR-0011's "Job definition and
//!   control" section (its list of statements,
//!   <https://9dok.net/article/job-definition-control-cray-cray-mp-computer-systems.y6e46dwn>),
//!   but their pages, and so their parameters and exact effect, are not at hand,
//!   and no deck at hand uses them. The job's rerun mark and its own rollout are
//!   served to programs (F$RRN, F$NRN, F$UROLL; `cos::rollout`).
//! - DELAY (`delay,interval=00:10:00.` in COS's diagnostic deck, `jdiaggo_1.txt`)
//!   would make the job wait in emulated time. The emulated machine has no idle
//!   time: its one clock counts the periods the CPU runs, and it is at once the
//!   job's time used, which the time limit (`JOB,T=`) counts, and its time of day
//!   (F$TIM, F$DAT: the epoch plus the clock). Moving it on by the interval would
//!   charge the wait to the job's time limit, and keeping a second clock would be
//!   new saved state, so the wait is refused.
//! - MODE and SWITCH are statements of the same section (the floating-point
//!   interrupt mode of the job's exchange package; the job's pseudo sense
//!   switches, which programs read and set with F$TSW, F$SSW and F$CSW), but their
//!   pages are not at hand: neither their parameters (which switch, which mode bit,
//!   in what words) nor whether a mode set lasts for the later steps are known, and
//!   no deck at hand uses them, so they are refused rather than guessed.
//! - CHARGES, EXITIF, HOLD, NOHOLD, IOAREA, LIBRARY, OPTION, PRINT, RESTORE,
//!   RETIRE and TARGET are system verbs of SR-0011's list (part 1, 4.2.1,
//!   <https://9dok.net/article/verbs-dataset-verbs-local.y4w415ov>; CHARGES of its
//!   "Job definition and control" section), whose pages are not at hand. COS looks
//!   a verb up among the system verbs first, so they were never programs; looked up
//!   as programs here, they were refused as "not a system verb", which SR-0011
//!   says they are.

/// The reason statement `verb` is refused, if it is one of these.
pub(super) fn refusal(verb: &str) -> Option<String> {
    let why = match verb {
        "RERUN" | "NORERUN" | "ROLLJOB" => {
            "not served: SR-0011 lists the statement, but its form is not known here \
             (programs reach the rerun mark and rollout by F$RRN, F$NRN and F$UROLL)"
        }
        "DELAY" => {
            "not served: the emulated machine has no idle time (its one clock is the \
             job's time used, which T= limits, and its time of day), so a wait would be \
             charged to the job's time limit"
        }
        "MODE" | "SWITCH" => {
            "not served: SR-0011 lists the statement, but its form is not known here \
             (which mode bit or pseudo sense switch, and for which steps)"
        }
        "LIBRARY" => {
            "not served: SR-0011 lists it among the system verbs, but its page, and \
             the layout of a library dataset, are not at hand"
        }
        "CHARGES" | "EXITIF" | "HOLD" | "NOHOLD" | "IOAREA" | "OPTION" | "PRINT" | "RESTORE"
        | "RETIRE" | "TARGET" => {
            "not served: SR-0011 lists it among the system verbs, but its page, and so \
             its form and effect, are not at hand"
        }
        _ => return None,
    };
    Some(format!(" {verb}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refused_statements_say_why() {
        for verb in [
            "RERUN", "NORERUN", "ROLLJOB", "DELAY", "MODE", "SWITCH", "LIBRARY", "EXITIF", "PRINT",
            "CHARGES",
        ] {
            let line = refusal(verb).unwrap();
            assert!(
                line.starts_with(&format!(" {verb}: not served: ")),
                "{line}"
            );
        }
        assert_eq!(refusal("COPY"), None);
    }
}
