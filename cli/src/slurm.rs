//! `cray` as a Slurm citizen: the job placeholders of `--checkpoint-dir`, the requeue of
//! a job that stopped at a checkpoint, and a `cray batch` queue handed to Slurm as a job
//! array whose tasks are the queue's own runner (`cray batch run QUEUE --job N`), so that
//! a job keeps the queue's rules (exactly once, checkpoints, finished and failed records)
//! whichever of the two runs it.
//!
//! `cray` talks to Slurm only through its client commands (`sbatch`, `squeue`,
//! `scontrol`), as a job script would, so it works with whatever Slurm the site runs.

use crate::json_file;
use crate::CliError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The placeholders `--checkpoint-dir` may hold, as sbatch's file-name patterns write
/// them, and the variable Slurm sets for each in a job's environment.
const PLACEHOLDERS: [(char, &str); 3] = [
    ('j', "SLURM_JOB_ID"),
    ('A', "SLURM_ARRAY_JOB_ID"),
    ('a', "SLURM_ARRAY_TASK_ID"),
];

/// `dir` with `%j` (the job id, which a requeued job keeps), `%A` (the array's job id)
/// and `%a` (the array task) replaced from the Slurm job's environment, and `%%` by `%`;
/// any other `%` stays as it is.
pub fn expand_job_placeholders(dir: &Path) -> Result<PathBuf, CliError> {
    expand_with(dir, |name| std::env::var(name).ok())
}

fn expand_with(dir: &Path, var: impl Fn(&str) -> Option<String>) -> Result<PathBuf, CliError> {
    let Some(text) = dir.to_str().filter(|text| text.contains('%')) else {
        return Ok(dir.to_path_buf());
    };
    let mut expanded = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if c != '%' {
            expanded.push(c);
        } else if next == Some('%') {
            chars.next();
            expanded.push('%');
        } else if let Some((letter, name)) = PLACEHOLDERS.iter().find(|(l, _)| Some(*l) == next) {
            chars.next();
            let value = var(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                CliError::new(format!(
                    "--checkpoint-dir {text}: %{letter} stands for ${name}, which is not set (run the command in a Slurm job, or write the directory out)"
                ))
            })?;
            expanded += &value;
        } else {
            expanded.push('%');
        }
    }
    Ok(PathBuf::from(expanded))
}

/// The Slurm job this process runs in, if any.
pub fn current_job() -> Option<String> {
    std::env::var("SLURM_JOB_ID")
        .ok()
        .filter(|id| !id.is_empty())
}

/// Requeues the Slurm job this process runs in (`scontrol requeue $SLURM_JOB_ID`), after
/// the job stopped at a checkpoint: the job runs again later and continues from it.
/// Returns a line for standard error saying what happened.
pub fn requeue_current_job() -> String {
    let Some(id) = current_job() else {
        return "--requeue: not in a Slurm job (SLURM_JOB_ID is not set): nothing requeued"
            .to_string();
    };
    match Command::new("scontrol").args(["requeue", &id]).output() {
        Ok(out) if out.status.success() => format!("requeued Slurm job {id}"),
        Ok(out) => format!(
            "--requeue: scontrol requeue {id} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("--requeue: scontrol: {e}"),
    }
}

/// What a queue's `slurm.json` records: the Slurm jobs the queue's jobs were handed to.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Handed {
    /// One entry a submission, oldest first.
    pub submissions: Vec<Submission>,
}

/// One `sbatch` of a queue's jobs.
#[derive(Debug, Serialize, Deserialize)]
pub struct Submission {
    /// The array's Slurm job id.
    pub array: String,
    /// The queue's job numbers, which are also the array's task ids.
    pub jobs: Vec<u32>,
}

/// The file of a queue that records what was handed to Slurm.
const HANDED: &str = "slurm.json";

impl Handed {
    /// The record of `queue` (empty when nothing was handed to Slurm).
    pub fn read(queue: &Path) -> Result<Handed, CliError> {
        Ok(
            json_file::read_if_present(&queue.join(HANDED), "a record of Slurm jobs")?
                .unwrap_or_default(),
        )
    }

    fn write(&self, queue: &Path) -> Result<(), CliError> {
        json_file::write(&queue.join(HANDED), self)
    }

    /// The Slurm job (`ARRAY_TASK`) that queue job `job` was last handed to.
    pub fn slurm_id(&self, job: u32) -> Option<String> {
        self.submissions
            .iter()
            .rev()
            .find(|s| s.jobs.contains(&job))
            .map(|s| format!("{}_{job}", s.array))
    }
}

/// The batch script of a queue's array: each task runs the queue's job of its number
/// with the embedded runner, which gives it the queue's checkpoints and records;
/// SIGUSR1 (sent `--signal=B:USR1@N` before the time limit) checkpoints and stops the
/// job, and the runner then requeues the task.
fn array_script(cray: &Path, queue: &Path, every: u64) -> String {
    format!(
        "#!/bin/sh\n\
         # Written by `cray batch run --slurm`: task N runs job N of the queue.\n\
         exec {cray} batch run {queue} --job \"$SLURM_ARRAY_TASK_ID\" --checkpoint-every {every} --sigusr1 stop --requeue\n",
        cray = shell_quoted(cray),
        queue = shell_quoted(queue),
    )
}

/// `path` as one word of a POSIX shell command line.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// Hands `jobs` of `queue` to Slurm as one job array (task id = job number), with the
/// site's `sbatch_args` after cray's own; returns the array's job id.
pub fn submit_array(
    queue: &Path,
    jobs: &[u32],
    every: u64,
    sbatch_args: &[String],
) -> Result<String, CliError> {
    let cray = std::env::current_exe().map_err(|e| CliError::io(Path::new("cray"), e))?;
    let script = queue.join("slurm.sbatch");
    std::fs::write(&script, array_script(&cray, queue, every))
        .map_err(|e| CliError::io(&script, e))?;
    let tasks: Vec<String> = jobs.iter().map(u32::to_string).collect();
    let output = queue.join("slurm-%A_%a.out");
    let out = Command::new("sbatch")
        .arg("--parsable")
        .arg(format!("--array={}", tasks.join(",")))
        .args(["--requeue", "--open-mode=append", "--signal=B:USR1@120"])
        .arg(format!("--job-name=cray-{}", queue_name(queue)))
        .arg(format!("--output={}", output.display()))
        .args(sbatch_args)
        .arg(&script)
        .current_dir(queue)
        .output()
        .map_err(|e| CliError::new(format!("batch run --slurm: sbatch: {e}")))?;
    if !out.status.success() {
        return Err(CliError::new(format!(
            "batch run --slurm: sbatch refused the array: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let array = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if array.is_empty() || !array.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::new(format!(
            "batch run --slurm: sbatch printed no job id: {stdout:?}"
        )));
    }
    let mut handed = Handed::read(queue)?;
    handed.submissions.push(Submission {
        array: array.clone(),
        jobs: jobs.to_vec(),
    });
    handed.write(queue)?;
    Ok(array)
}

fn queue_name(queue: &Path) -> String {
    queue
        .file_name()
        .map_or("queue".to_string(), |n| n.to_string_lossy().to_string())
}

/// Slurm's state of each of `ids` (`ARRAY_TASK` ids) that Slurm still knows, by id.
pub fn states(ids: &[String]) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut known = std::collections::BTreeMap::new();
    if ids.is_empty() {
        return Ok(known);
    }
    let out = Command::new("squeue")
        .args(["-h", "-r", "-t", "all", "-o", "%i %T", "-j"])
        .arg(ids.join(","))
        .output()
        .map_err(|e| format!("squeue: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "squeue: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((id, state)) = line.trim().split_once(' ') {
            known.insert(id.to_string(), state.to_string());
        }
    }
    Ok(known)
}

/// Whether a Slurm job in `state` may still run (so the queue must not hand it again).
pub fn may_still_run(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "CONFIGURING"
            | "COMPLETING"
            | "REQUEUED"
            | "REQUEUE_HOLD"
            | "REQUEUE_FED"
            | "RESIZING"
            | "SUSPENDED"
            | "STOPPED"
            | "SIGNALING"
            | "STAGE_OUT"
            | "RESV_DEL_HOLD"
            | "SPECIAL_EXIT"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slurm_env(name: &str) -> Option<String> {
        match name {
            "SLURM_JOB_ID" => Some("4242".into()),
            "SLURM_ARRAY_JOB_ID" => Some("4240".into()),
            "SLURM_ARRAY_TASK_ID" => Some("2".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_replaced_from_the_slurm_environment() {
        let expanded = expand_with(Path::new("/ckpt/%A-%a/job-%j/100%%"), slurm_env).unwrap();
        assert_eq!(expanded, Path::new("/ckpt/4240-2/job-4242/100%"));
    }

    #[test]
    fn a_directory_without_placeholders_is_left_alone() {
        for dir in ["/ckpt/plain", "/ckpt/50%done", "/ckpt/%x"] {
            assert_eq!(
                expand_with(Path::new(dir), |_| None).unwrap(),
                Path::new(dir)
            );
        }
    }

    #[test]
    fn a_placeholder_outside_a_slurm_job_is_refused_by_name() {
        let error = expand_with(Path::new("/ckpt/job-%j"), |_| None).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("%j") && message.contains("SLURM_JOB_ID"),
            "{message}"
        );
    }

    #[test]
    fn the_array_script_runs_the_task_of_its_number_with_the_queue_runner() {
        let script = array_script(Path::new("/bin/cray"), Path::new("/q"), 7);
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains(
            "exec '/bin/cray' batch run '/q' --job \"$SLURM_ARRAY_TASK_ID\" --checkpoint-every 7 --sigusr1 stop --requeue"
        ));
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(shell_quoted(Path::new("/a b/it's")), "'/a b/it'\\''s'");
    }

    #[test]
    fn the_last_submission_of_a_job_names_its_slurm_task() {
        let handed = Handed {
            submissions: vec![
                Submission {
                    array: "10".into(),
                    jobs: vec![1, 2],
                },
                Submission {
                    array: "12".into(),
                    jobs: vec![2],
                },
            ],
        };
        assert_eq!(handed.slurm_id(1).as_deref(), Some("10_1"));
        assert_eq!(handed.slurm_id(2).as_deref(), Some("12_2"));
        assert_eq!(handed.slurm_id(3), None);
    }
}
