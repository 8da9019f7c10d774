//! The JOB statement's parameters, as SR-0011 ("Job definition and control",
//! <https://9dok.net/article/job-definition-control-computer-systems.y964oled>)
//! gives them: `JOB,JN=jn,MFL=fl,T=tl,P=p,US=us,OLM=olm,CL=jcn,gn=nr.`, the job
//! name "1 through 7 alphanumeric characters", and `gn` a generic resource name
//! beginning with an asterisk (`*TAPE=2`). A JOB statement with another parameter,
//! or a longer name, is refused before the job starts, naming it: its meaning is
//! not known, and a deck whose first card COS would not take should not run.
//! `T=` and `MFL=` are read by modules `time_limit` and `field_limit`; `P`, `OLM`,
//! `CL` and the generic resources are taken and not used (one job runs at a time,
//! with the whole machine).

use super::catalogue::MAX_NAME;
use super::statement::{Statement, SyntaxError};

/// The keywords of the JOB statement (a generic resource, `*name`, besides).
const KNOWN: &[&str] = &["JN", "MFL", "T", "P", "US", "OLM", "CL"];

/// Longest job name (JN=).
pub const MAX_JOB_NAME: usize = 7;

/// `Err` says what is wrong with JOB statement `job`'s parameters.
pub fn check(job: &Statement) -> Result<(), SyntaxError> {
    let unknown: Vec<String> = job
        .unknown_keywords(KNOWN)
        .into_iter()
        .filter(|k| !k.starts_with('*'))
        .collect();
    if !unknown.is_empty() {
        return Err(SyntaxError(format!(
            "parameter {} is not a JOB parameter (SR-0011: JN, MFL, T, P, US, OLM, CL and *resource=n)",
            unknown.join(", ")
        )));
    }
    if let Some(line) = job.repeated_or_listed(&[]) {
        return Err(SyntaxError(line.trim_start().to_string()));
    }
    // SR-0011's JOB page: "the only required parameter is JN" (a deck without it
    // ran, its job nameless, where COS refused it).
    let Some(name) = job.value("JN") else {
        return Err(SyntaxError(
            "JN= is missing: the job name is the JOB statement's one required parameter (SR-0011)"
                .to_string(),
        ));
    };
    if name.len() > MAX_JOB_NAME || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SyntaxError(format!(
            "JN={name}: a job name is 1 to {MAX_JOB_NAME} letters and digits"
        )));
    }
    if let Some(user) = job.value("US").filter(|user| user.len() > MAX_NAME) {
        return Err(SyntaxError(format!(
            "US= has {} characters, at most {MAX_NAME}",
            user.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::deck::statement::parse;

    fn checked(image: &str) -> Result<(), String> {
        check(&parse(image).unwrap()).map_err(|e| e.0)
    }

    /// JOB took any parameter and any job name without a word.
    #[test]
    fn unknown_parameters_and_long_names_are_refused() {
        assert_eq!(
            checked("JOB,JN=A,MFL=100000,T=10,P=5,US=ME,OLM=100,CL=BATCH,*TAPE=2."),
            Ok(())
        );
        assert_eq!(
            checked("JOB,US=ME."),
            Err("JN= is missing: the job name is the JOB statement's one required parameter (SR-0011)".to_string())
        );
        let refused = checked("JOB,JN=A,FOO=BAR.").unwrap_err();
        assert!(
            refused.starts_with("parameter FOO is not a JOB parameter"),
            "{refused}"
        );
        assert_eq!(
            checked("JOB,JN=TOOLONGNAME.").unwrap_err(),
            "JN=TOOLONGNAME: a job name is 1 to 7 letters and digits"
        );
        assert!(checked("JOB,JN=SEVEN77.").is_ok());
        assert_eq!(
            checked("JOB,JN=A,JN=B.").unwrap_err(),
            "JOB: JN= is given twice"
        );
    }
}
