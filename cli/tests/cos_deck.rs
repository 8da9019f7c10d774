//! COS job decks: `cray run DECK.job` with the control-statement interpreter, the
//! permanent-dataset catalogue (`--pds`), the system directory (`--system-dir`), a
//! corpus utility run from a deck, and a deck checkpointed in the middle of a step.
mod common;

use common::{cray, holds_checkpoint, text, wait_until};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A root with `sys/COPY.bin` (images/cos/copy.cal: copies `$IN` to `$OUT` up to an
/// EOF) and a permanent-dataset store `pds`.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sys")).unwrap();
        let site = Site { dir };
        site.install_program("COPY", &common::image("cos/copy.cal"));
        site
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Assembles CAL `source` as a COS absolute binary into the system directory as
    /// `sys/NAME.bin`, the program the deck verb NAME runs.
    fn install_program(&self, name: &str, source: &Path) {
        let status = cray()
            .args(["asm", "--format", "cos"])
            .arg(source)
            .arg("-o")
            .arg(self.path(&format!("sys/{name}.bin")))
            .status()
            .unwrap();
        assert!(status.success(), "{name}: {}", source.display());
    }

    /// Runs `deck` (as NAME.job) with `extra`, a checkpoint every `every` clock
    /// periods into `ck/` and `--resume`, stopped at clock period `stop` (asserted to
    /// fail); then runs it again the same way with no stop, so that it continues from
    /// its newest checkpoint to its end, writing its statistics to `resumed.json`.
    /// The stopped run's output and the resumed run's.
    fn stop_and_resume(
        &self,
        name: &str,
        deck: &str,
        every: u64,
        stop: u64,
        extra: &[&str],
    ) -> (Output, Output) {
        let (every, stop) = (every.to_string(), stop.to_string());
        let ck = self.path("ck");
        let json = self.path("resumed.json");
        let resumable = [
            extra,
            &[
                "--checkpoint-every",
                &every,
                "--checkpoint-dir",
                ck.to_str().unwrap(),
                "--resume",
            ],
        ]
        .concat();
        let stopped = self.run(
            name,
            deck,
            &[&resumable[..], &["--max-cycles", &stop]].concat(),
        );
        assert_ne!(stopped.status.code(), Some(0), "{}", text(&stopped.stderr));
        let resumed = self.run_file(
            &self.path(&format!("{name}.job")),
            &[&resumable[..], &["--stats-json", json.to_str().unwrap()]].concat(),
        );
        (stopped, resumed)
    }

    /// Installs SPIN, a program that jumps to itself for ever.
    fn install_spin(&self) {
        let spin = self.path("spin.cal");
        std::fs::write(
            &spin,
            "         IDENT     SPIN\n         START     MAIN\nMAIN     J         MAIN\n         END\n",
        )
        .unwrap();
        self.install_program("SPIN", &spin);
    }

    /// Installs BURN, a program that counts down 262 144 times (about 2 360 000
    /// clock periods) and ends: a step long enough to be checkpointed in.
    fn install_burn(&self) {
        let burn = self.path("burn.cal");
        let source = [
            "         IDENT     BURN",
            "         START     MAIN",
            "MAIN     A1        O'1000000",
            "LOOP     A1        A1-1",
            "         A0        A1",
            "         JAN       LOOP",
            "         S0        0",
            "         EX",
            "         END",
        ];
        std::fs::write(&burn, source.join("\n") + "\n").unwrap();
        self.install_program("BURN", &burn);
    }

    /// The (PDN, edition) of every entry of the store's catalogue.
    fn editions(&self) -> Vec<(String, u64)> {
        let catalogue = self.catalogue_json();
        catalogue["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["pdn"].as_str().unwrap().to_string(),
                    e["edition"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// How many editions of `pdn` the store's catalogue holds.
    fn editions_of(&self, pdn: &str) -> usize {
        self.editions().iter().filter(|(p, _)| p == pdn).count()
    }

    /// The text of the store's catalogue file.
    fn catalogue(&self) -> String {
        std::fs::read_to_string(self.path("pds/catalogue.json")).unwrap()
    }

    /// The store's catalogue, parsed.
    fn catalogue_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.catalogue()).unwrap()
    }

    /// Runs `deck` (written to NAME.job) with the site's directories and `extra`.
    fn run(&self, name: &str, deck: &str, extra: &[&str]) -> Output {
        let file = self.path(&format!("{name}.job"));
        std::fs::write(&file, deck).unwrap();
        self.run_file(&file, extra)
    }

    /// Restarts checkpoint `image` with the site's directories and `extra`.
    fn restart(&self, image: &Path, extra: &[&str]) -> Output {
        cray()
            .arg("restart")
            .arg("-f")
            .arg(image)
            .arg("--root")
            .arg(self.dir.path())
            .arg("--system-dir")
            .arg(self.path("sys"))
            .arg("--pds")
            .arg(self.path("pds"))
            .args(extra)
            .output()
            .unwrap()
    }

    fn run_file(&self, file: &Path, extra: &[&str]) -> Output {
        cray()
            .arg("run")
            .arg("--root")
            .arg(self.dir.path())
            .arg("--system-dir")
            .arg(self.path("sys"))
            .arg("--pds")
            .arg(self.path("pds"))
            .args(extra)
            .arg(file)
            .output()
            .unwrap()
    }
}

fn ok(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

#[test]
fn each_step_reads_the_next_file_of_in_and_the_log_records_each_statement() {
    let site = Site::new();
    let log = site.path("job.log");
    let deck = "JOB,JN=TWO,US=ME.\n* copy two files\nCOPY.\nCOPY. the second\n/EOF\nfirst a\nfirst b\n/EOF\nsecond\n";
    let out = site.run("two", deck, &["--log", log.to_str().unwrap()]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "first a\nfirst b\nsecond\n");
    let log = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        log,
        "JOB,JN=TWO,US=ME.\n* copy two files\nCOPY.\nCOPY. the second\n JOB ENDED\n"
    );
    assert_eq!(stderr, log, "the job log is shown as it is written");
}

#[test]
fn rewind_dispose_assign_release() {
    let site = Site::new();
    let deck = "JOB,JN=R.\nCOPY.\nREWIND,DN=$IN.\nCOPY.\nASSIGN,DN=EMPTY.\nDISPOSE,DN=$IN.\nRELEASE,DN=EMPTY:NONE.\n/EOF\nx\n";
    let out = site.run("r", deck, &[]);
    ok(&out);
    // Twice by COPY, then the whole of $IN by DISPOSE.
    assert_eq!(text(&out.stdout), "x\nx\nx\n");
}

/// FETCH stages host files under the root (the front end's files) as local
/// datasets: text lines by TEXT's name in lower case, and an absolute binary that
/// then runs by its dataset name, as `corpus/cos/jinstall.job` fetches and runs
/// LOADCAT; a missing file, a bad DF and a dataset the job has are refused.
#[test]
fn fetch_stages_host_files_as_local_datasets() {
    let site = Site::new();
    std::fs::create_dir(site.path("bin")).unwrap();
    std::fs::write(site.path("bin/notes"), "FROM THE FRONT END\n").unwrap();
    std::fs::copy(site.path("sys/COPY.bin"), site.path("bin/copier")).unwrap();
    let deck = "JOB,JN=F.\nFETCH,DN=NOTES,MF=AP,AC=ST,TEXT=BIN/NOTES.\nFETCH,DN=CP,TEXT=BIN/COPIER,DF=TR.\nDISPOSE,DN=NOTES.\nCP.\n/EOF\ncopied\n";
    let out = site.run("f", deck, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "FROM THE FRONT END\ncopied\n");
    assert!(
        stderr.contains(" FETCH: NOTES: 19 bytes from bin/notes"),
        "{stderr}"
    );

    for (statement, says) in [
        ("FETCH,DN=X,TEXT=BIN/NONE.", "FETCH: bin/none"),
        ("FETCH,DN=X,TEXT=BIN/NOTES,DF=ZZ.", "DF=ZZ"),
        ("FETCH,DN=X,TEXT=BIN/COPIER,DF=CB.", "not text"),
        ("FETCH,DN=$IN,TEXT=BIN/NOTES.", "already a local dataset"),
    ] {
        let out = site.run("bad", &format!("JOB,JN=B.\n{statement}\n"), &[]);
        assert_eq!(out.status.code(), Some(1), "{statement}");
        assert!(
            text(&out.stderr).contains(says),
            "{statement}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn save_then_access_in_another_job() {
    let site = Site::new();
    let save = "JOB,JN=S,US=ME.\nSAVE,DN=$IN,PDN=DATA,ID=X,R=RPW,M=MPW,TEXT='the data'.\n/EOF\nkept 1\nkept 2\n";
    let stderr = ok(&site.run("save", save, &[]));
    assert!(
        stderr.contains(" PDN=DATA ID=X ED=1 OWN=ME SAVED FROM $IN"),
        "{stderr}"
    );
    let catalogue = site.catalogue();
    assert!(catalogue.contains("\"text\": \"the data\""), "{catalogue}");
    let access = "JOB,JN=A,US=ME.\nRELEASE,DN=$IN.\nACCESS,DN=$IN,PDN=DATA,ID=X,R=RPW.\nCOPY.\n";
    let out = site.run("access", access, &[]);
    let stderr = ok(&out);
    assert!(
        stderr.contains(" PDN=DATA ID=X ED=1 OWN=ME ACCESSED AS $IN, PERMISSION W"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "kept 1\nkept 2\n");
    // A second SAVE makes edition 2; ACCESS takes the highest unless ED says.
    let again = "JOB,JN=S2,US=ME.\nSAVE,DN=$IN,PDN=DATA,ID=X,M=MPW.\n/EOF\nnew\n";
    ok(&site.run("again", again, &[]));
    let first = "JOB,JN=A1,US=ME.\nRELEASE,DN=$IN.\nACCESS,DN=$IN,PDN=DATA,ID=X,ED=1,R=RPW.\nCOPY.\nRELEASE,DN=$IN.\nACCESS,DN=$IN,PDN=DATA,ID=X.\nCOPY.\n";
    let out = site.run("first", first, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "kept 1\nkept 2\nnew\n");
}

#[test]
fn permissions_refuse_and_the_abort_skips_to_exit() {
    let site = Site::new();
    let save = "JOB,JN=S,US=OWNER.\nSAVE,DN=$IN,PDN=SECRET,R=RPW,M=MPW.\n/EOF\nsecret\n";
    ok(&site.run("save", save, &[]));
    let wrong = "JOB,JN=W,US=OWNER.\nACCESS,DN=D,PDN=SECRET,R=BAD.\nCOPY.\nEXIT.\n* error processing\nCOPY.\n/EOF\nafter exit\n";
    let out = site.run("wrong", wrong, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" PDN=SECRET ID= ED=1 OWN=OWNER: PERMISSION DENIED (read password wrong)"),
        "{stderr}"
    );
    // The COPY before EXIT is skipped; the one after it runs.
    assert_eq!(text(&out.stdout), "after exit\n");
    assert!(stderr.contains(" JOB ENDED ABORTED (status 1)"), "{stderr}");
    // Another user needs a permit as well as the password.
    let other = "JOB,JN=O,US=OTHER.\nACCESS,DN=D,PDN=SECRET,OWN=OWNER,R=RPW.\n";
    let stderr = text(&site.run("other", other, &[]).stderr);
    assert!(
        stderr.contains("user OTHER is not the owner and has no R permission"),
        "{stderr}"
    );
    let permit = "JOB,JN=P,US=OWNER.\nPERMIT,PDN=SECRET,M=MPW,USER=OTHER,AM=R.\n";
    ok(&site.run("permit", permit, &[]));
    let out = site.run(
        "other2",
        "JOB,JN=O,US=OTHER.\nRELEASE,DN=$IN.\nACCESS,DN=$IN,PDN=SECRET,OWN=OWNER,R=RPW.\nCOPY.\n",
        &[],
    );
    ok(&out);
    assert_eq!(text(&out.stdout), "secret\n");
    // NA: the refusal is logged, the job goes on.
    let na = "JOB,JN=N,US=OTHER.\nDELETE,PDN=SECRET,OWN=OWNER,M=MPW,NA.\nCOPY.\n/EOF\ngoes on\n";
    let out = site.run("na", na, &[]);
    let stderr = ok(&out);
    assert!(stderr.contains("PERMISSION DENIED"), "{stderr}");
    assert_eq!(text(&out.stdout), "goes on\n");
}

#[test]
fn delete_modify_and_adjust() {
    let site = Site::new();
    let deck = "JOB,JN=M,US=ME.\n\
SAVE,DN=$IN,PDN=A,M=MPW.\n\
ACCESS,DN=L,PDN=A,M=MPW.\n\
MODIFY,DN=L,PDN=B,TEXT='renamed'.\n\
ADJUST,DN=L.\n\
DELETE,PDN=B,M=WRONG,NA.\n\
DELETE,PDN=B,M=MPW.\n\
DELETE,PDN=B,M=MPW.\n\
EXIT.\n\
/EOF\nx\n";
    let out = site.run("m", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for line in [
        " PDN=A ID= ED=1 OWN=ME SAVED FROM $IN",
        " PDN=B ID= ED=1 OWN=ME MODIFIED",
        " PDN=B ID= ED=1 OWN=ME ADJUSTED",
        "PERMISSION DENIED (maintenance password wrong)",
        " PDN=B ID= ED=1 OWN=ME DELETED",
        " DELETE: PDN=B ID= OWN=ME: DATASET NOT FOUND",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    let catalogue = site.catalogue();
    assert!(catalogue.contains("\"entries\": []"), "{catalogue}");
    // The deleted dataset's file is kept while the job may be continued from a
    // checkpoint taken before it read it, and goes when another job starts.
    let files = || std::fs::read_dir(site.path("pds/data")).unwrap().count();
    assert_eq!(files(), 1);
    ok(&site.run("n", "JOB,JN=N.\n", &[]));
    assert_eq!(files(), 0, "the deleted dataset's file is gone");
}

#[test]
fn set_if_else_endif() {
    let site = Site::new();
    let deck = "JOB,JN=I.\n\
SET(J1=2)\n\
IF(J1.EQ.2)\n\
COPY.\n\
ELSE.\n\
DISPOSE,DN=$IN.\n\
ENDIF.\n\
IF(J1+1.LT.3)\n\
COPY.\n\
ELSEIF(J1.GT.1.AND..NOT.J2.NE.0)\n\
SET(J3=7)\n\
ENDIF.\n\
IF(J3.EQ.7)\n\
COPY.\n\
ENDIF.\n\
IF((J1+1)*2.EQ.6.AND.(J3.GT.(J1*3)))\n\
COPY.\n\
ENDIF.\n\
/EOF\none\n/EOF\ntwo\n/EOF\nthree\n";
    let out = site.run("i", deck, &[]);
    ok(&out);
    // The last condition's parentheses are the expression's, not the statement's.
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n");
}

/// LOOP, EXITLOOP and ENDLOOP as COS's own diagnostic deck writes them
/// (`loop.` ... `exitloop(J1.EQ.0)` ... `endloop.`): nested loops, a bare EXITLOOP
/// inside an IF block, which the loop's end closes (70 rounds would leave more than
/// the 64 IF blocks a job may have open), and a count kept in a symbol.
#[test]
fn loops_run_rounds_until_exitloop() {
    let site = Site::new();
    let deck = "JOB,JN=L.\n\
SET(J1=70)\n\
SET(J3=0)\n\
loop.\n\
  exitloop(J1.EQ.0)\n\
  SET(J2=2)\n\
  LOOP.\n\
    IF(J2.EQ.1)\n\
      EXITLOOP.\n\
    ENDIF.\n\
    SET(J3=J3+1)\n\
    SET(J2=J2-1)\n\
  ENDLOOP.\n\
  SET(J1=J1-1)\n\
endloop.\n\
IF(J3.EQ.70)\n\
COPY.\n\
ENDIF.\n\
/EOF\nseventy rounds\n";
    let out = site.run("l", deck, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "seventy rounds\n");

    // A SAVE in a loop saves once a round: the store remembers each round's apart.
    let deck = "JOB,JN=S,US=ME.\nSET(J1=2)\nLOOP.\nEXITLOOP(J1.EQ.0)\n\
        SAVE,DN=$IN,PDN=IN.\nSET(J1=J1-1)\nENDLOOP.\n/EOF\nx\n";
    ok(&site.run("s", deck, &[]));
    assert_eq!(site.editions_of("IN"), 2, "{}", site.catalogue());

    // Blocks that do not fit together are refused before the job starts.
    for (deck, why) in [
        (
            "JOB,JN=U.\nLOOP.\nCOPY.\n",
            "statement 2 (LOOP.): no ENDLOOP closes it",
        ),
        (
            "JOB,JN=U.\nCOPY.\nENDLOOP.\n",
            "statement 3 (ENDLOOP.): no LOOP is open",
        ),
        (
            "JOB,JN=U.\nEXITLOOP.\n",
            "statement 2 (EXITLOOP.): no LOOP is open",
        ),
    ] {
        let out = site.run("u", deck, &[]);
        assert_eq!(out.status.code(), Some(2), "{deck}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("control statements: {why}")),
            "{stderr}"
        );
    }
}

/// A loop that runs no program uses the job's time (each round costs it), so
/// `LOOP. ENDLOOP.` ends at the job's time limit, at once on the host; without a
/// limit it ends as a runaway loop, the job skipping to EXIT.
#[test]
fn a_runaway_loop_ends_at_the_time_limit_or_as_a_runaway() {
    let site = Site::new();
    let started = std::time::Instant::now();
    let out = site.run("t", "JOB,JN=T,T=1.\nLOOP.\nENDLOOP.\n", &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" JOB TIME LIMIT OF 1 SECONDS EXCEEDED\n JOB ENDED ABORTED (status 1)"),
        "{stderr}"
    );
    let out = site.run(
        "r",
        "JOB,JN=R.\nLOOP.\nENDLOOP.\nEXIT.\nCOPY.\n/EOF\nafter EXIT\n",
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" ENDLOOP: 131072 STATEMENTS OF LOOPS RAN NO PROGRAM: A RUNAWAY LOOP"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "after EXIT\n");
    // A long round counts by its statements, so that the log stays bounded.
    let body = "SET(J1=J1+1)\n".repeat(1000);
    let out = site.run("b", &format!("JOB,JN=B.\nLOOP.\n{body}ENDLOOP.\n"), &[]);
    let stderr = text(&out.stderr);
    let start: String = stderr.chars().take(300).collect();
    assert!(stderr.contains(" A RUNAWAY LOOP"), "{start}");
    assert!(
        stderr.lines().count() < 140_000,
        "{}",
        stderr.lines().count()
    );
    // A loop holding its own EXIT comes back to it after the runaway's abort; it
    // runs away a second time with no program run, and then the job ends. Before,
    // it looped on with no end (no program returned to the machine's run, so not
    // even SIGTERM stopped `cray run`), its log growing 12 MB a second.
    let deck = "JOB,JN=X.\nLOOP.\nSKIPR,DN=NONE.\nEXIT.\nENDLOOP.\n";
    let started = std::time::Instant::now();
    let out = site.run("x", deck, &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &stderr[stderr.len().saturating_sub(600)..]
    );
    assert_eq!(stderr.matches(" A RUNAWAY LOOP").count(), 2);
    assert!(
        stderr.ends_with(
            " ENDLOOP: THE LOOP RAN AWAY AGAIN AFTER ITS ABORT, WITH NO PROGRAM RUN: THE JOB ENDS\n JOB ENDED ABORTED (status 1)\n"
        ),
        "{}",
        &stderr[stderr.len().saturating_sub(600)..]
    );
}

/// A deck checkpointed in the middle of a step in the second round of a loop, and
/// restarted, ends as a run straight through: the interpreter's place in the loop
/// is its place in the deck.
#[test]
fn a_deck_checkpointed_inside_a_loop_restarts_the_same() {
    let deck = format!(
        "JOB,JN=LC.\nSET(J1=3)\nLOOP.\nEXITLOOP(J1.EQ.0)\nCOPY.\nSET(J1=J1-1)\nENDLOOP.\n{}",
        three_files_of_200_lines()
    );
    checkpointed_half_way_ends_as_straight_through("lc", &deck, &[], "the second round's COPY");
}

/// SUBMIT,DN=dn queues the deck the job wrote into `dn`, here as COS's
/// `jdiaggo_0.txt` writes it (`copyf, o=JDIAG.` `rewind,dn=$IN.` `copyd, o=JDIAG.`
/// `submit,dn=JDIAG.`): the new job's statements, then the same statements as its
/// `$IN`, which it prints. Under `cray batch run` the queue is the runner's own, and
/// the new job runs after the one that submitted it, with its directories; under
/// `cray run` only with `--queue`; a dataset that is not a deck, and a parameter
/// not known here, are refused.
#[test]
fn submit_queues_a_local_dataset_as_a_new_job() {
    let site = Site::new();
    let deck = "JOB,JN=GO.\ncopyf,  o=NEW.\nrewind,dn=$IN.\ncopyd,  o=NEW.\n\
        submit,dn=NEW.\n/EOF\nJOB,JN=NEW.\nCOPY.\n";
    std::fs::write(site.path("go.job"), deck).unwrap();
    let queue = site.path("queue");
    let dir = site.dir.path().to_str().unwrap();
    let batch = |args: &[&str]| {
        cray()
            .arg("batch")
            .args(args)
            .current_dir(site.dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let q = queue.to_str().unwrap();
    let sys = site.path("sys");
    let pds = site.path("pds");
    let out = batch(&[
        "submit",
        q,
        "--root",
        dir,
        "--system-dir",
        sys.to_str().unwrap(),
        "--pds",
        pds.to_str().unwrap(),
        "go.job",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = batch(&["run", q]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log = std::fs::read_to_string(queue.join("0001/stderr")).unwrap();
    assert!(log.contains(" SUBMIT: DN=NEW SUBMITTED\n"), "{log}");
    assert!(log.contains("cray: SUBMIT: NEW is job 2 of queue"), "{log}");
    let second = std::fs::read_to_string(queue.join("0002/stdout")).unwrap();
    assert_eq!(second, "JOB,JN=NEW.\nCOPY.\n", "the same run ran it");
    let status = text(&batch(&["status", q]).stdout);
    assert_eq!(status.matches("ended").count(), 2, "{status}");

    // `cray run` has no queue unless given one.
    let out = site.run("go", deck, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(" SUBMIT: no input queue here (give cray run --queue DIR"),
        "{stderr}"
    );
    for (deck, why) in [
        (
            "JOB,JN=B.\nCOPYF,O=NEW.\nSUBMIT,DN=NEW.\n/EOF\nCOPY.\n",
            " SUBMIT: DN=NEW: not a job deck: the first statement is \"COPY.\", not JOB",
        ),
        (
            "JOB,JN=B.\nSUBMIT,DN=$IN,TID=X.\n",
            " SUBMIT: parameter TID is not served (only DN= is known here)",
        ),
        (
            "JOB,JN=B.\nSUBMIT,DN=NONE.\n",
            " SUBMIT: DN=NONE: the job has no such local dataset",
        ),
    ] {
        let out = site.run("b", deck, &["--queue", "other"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{why:?} in {stderr}");
    }
    assert!(!site.path("other").join("0001.json").exists());
}

/// One job submits at most `MAX_SUBMITS_PER_JOB` jobs: a deck that submits in a
/// loop has that many queued, then the next SUBMIT is refused with the limit named
/// in the job's log and the job ends with it. A new job may submit again.
#[test]
fn a_job_submits_at_most_the_limit() {
    use cray_emulator::cos::deck::submit::MAX_SUBMITS_PER_JOB;
    let site = Site::new();
    let deck = "JOB,JN=FAN.\nCOPYF,O=NEW.\nLOOP.\nSUBMIT,DN=NEW.\nENDLOOP.\n\
                /EOF\nJOB,JN=NEW.\n";
    let queue = site.path("q");
    let q = queue.to_str().unwrap();
    let out = site.run("fan", deck, &["--queue", q]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let limit = format!(
        " SUBMIT: DN=NEW: the job has submitted {MAX_SUBMITS_PER_JOB} jobs, the most one \
         job may (MAX_SUBMITS_PER_JOB = {MAX_SUBMITS_PER_JOB})"
    );
    assert!(stderr.contains(&limit), "{stderr}");
    assert_eq!(
        stderr.matches(" SUBMIT: DN=NEW SUBMITTED").count(),
        MAX_SUBMITS_PER_JOB
    );
    let queued = |n: usize| queue.join(format!("{n:04}.json")).exists();
    assert!(queued(MAX_SUBMITS_PER_JOB));
    assert!(!queued(MAX_SUBMITS_PER_JOB + 1), "one past the limit");
    let deck = "JOB,JN=ONE.\nCOPYF,O=NEW.\nSUBMIT,DN=NEW.\n/EOF\nJOB,JN=NEW.\n";
    ok(&site.run("one", deck, &["--queue", q]));
    assert!(queued(MAX_SUBMITS_PER_JOB + 1), "another job's SUBMIT");
    // Without a store or a checkpoint directory the queue cannot tell the job's
    // submissions from another run's: the run counts its own.
    let file = site.path("fan.job");
    let out = cray()
        .arg("run")
        .arg("--root")
        .arg(site.dir.path())
        .args(["--queue", q])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&limit), "{stderr}");
    assert!(queued(2 * MAX_SUBMITS_PER_JOB + 1));
    assert!(!queued(2 * MAX_SUBMITS_PER_JOB + 2), "one past the limit");
}

/// A job restarted from a checkpoint taken before its SUBMIT submits once: the
/// queue keeps who submitted each job (the job's number, the statement, the clock
/// period), and the same image restarted again queues nothing more. Another run of
/// the deck is another job, and submits again.
#[test]
fn a_restarted_job_submits_once() {
    let site = Site::new();
    let lines: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let deck = format!(
        "JOB,JN=GO.\nCOPYF,O=NEW.\nCOPY.\nSUBMIT,DN=NEW.\n/EOF\nJOB,JN=NEW.\n/EOF\n{lines}"
    );
    let json = site.path("whole.json");
    let queue = site.path("q");
    let q = queue.to_str().unwrap();
    let out = site.run("go", &deck, &["--stats-json", json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "no queue: refused");
    let half = (stats(&json)["cycles"].as_u64().unwrap() / 2).to_string();
    let image = site.path("half.chk");
    let out = site.run(
        "go",
        &deck,
        &[
            "--queue",
            q,
            "--stop-at",
            &half,
            "--checkpoint",
            image.to_str().unwrap(),
        ],
    );
    assert!(image.exists(), "{}", text(&out.stderr));
    assert!(
        !queue.join("0001.json").exists(),
        "stopped before the SUBMIT"
    );
    for _ in 0..2 {
        ok(&site.restart(&image, &["--queue", q]));
        assert!(queue.join("0001.json").exists());
        assert!(!queue.join("0002.json").exists(), "submitted once");
    }
    ok(&site.run("go", &deck, &["--queue", q]));
    assert!(queue.join("0002.json").exists(), "a new job submits again");
}

/// As `cray batch run` runs a job (`--resume --checkpoint-dir`): stopped after its
/// SUBMIT, with its newest periodic checkpoint before it, the job resumes from that
/// checkpoint, runs the SUBMIT again and queues nothing more.
#[test]
fn a_resumed_job_submits_once() {
    let lines = |file: u32| -> String { (0..200).map(|i| format!("{file} {i}\n")).collect() };
    let deck = format!(
        "JOB,JN=GO.\nCOPYF,O=NEW.\nCOPY.\nSUBMIT,DN=NEW.\nCOPY.\n\
         /EOF\nJOB,JN=NEW.\n/EOF\n{}/EOF\n{}",
        lines(1),
        lines(2)
    );
    let straight = Site::new();
    let json = straight.path("straight.json");
    let q = straight.path("q");
    let out = straight.run(
        "go",
        &deck,
        &[
            "--queue",
            q.to_str().unwrap(),
            "--stats-json",
            json.to_str().unwrap(),
        ],
    );
    ok(&out);
    let cycles = stats(&json)["cycles"].as_u64().unwrap();

    let site = Site::new();
    let queue = site.path("q");
    let (stopped, out) = site.stop_and_resume(
        "go",
        &deck,
        cycles / 3,
        cycles * 3 / 5,
        &["--queue", queue.to_str().unwrap()],
    );
    assert!(
        text(&stopped.stderr).contains(" SUBMIT: DN=NEW SUBMITTED"),
        "submitted before the stop: {}",
        text(&stopped.stderr)
    );
    let stderr = ok(&out);
    assert!(
        stderr.contains("cray: resume: continuing job 1 from"),
        "{stderr}"
    );
    assert!(
        stderr.contains(" SUBMIT: DN=NEW SUBMITTED"),
        "the SUBMIT ran again: {stderr}"
    );
    assert!(queue.join("0001.json").exists(), "submitted");
    assert!(!queue.join("0002.json").exists(), "submitted once");
}

/// DUMPJOB after EXIT (COS's `jdiaggo_1.txt`: `exit.` ... `dumpjob.`
/// `dump,lw=3777,v.`) writes the job's image as its last step left it to `$DUMP`;
/// DUMP prints the exchange package, the field's words FW to LW (octal) and, with
/// V, the vector registers. Here the last step was COPY, whose JCB holds its own
/// statement at word 5 (JCCCI).
#[test]
fn dumpjob_writes_the_last_steps_image_and_dump_prints_it() {
    let site = Site::new();
    let deck = "JOB,JN=D.\nCOPY.\nSKIPR,DN=NONE.\nEXIT.\nDUMPJOB.\nDUMP,FW=5,LW=5.\n\
        DUMP,LW=3,V.\nDUMP,I=$DUMP.\n/EOF\nx\n";
    let out = site.run("d", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" DUMPJOB: $DUMP WRITTEN (FIELD OF "),
        "{stderr}"
    );
    assert!(
        stderr.contains(" DUMP: parameter I is not served (FW=, LW= and V are known here)"),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    let word5 = format!(" 00000005 {:022o}\n", u64::from_be_bytes(*b"COPY.\0\0\0"));
    let first = stdout
        .split(" EXCHANGE PACKAGE\n")
        .nth(1)
        .unwrap_or_default();
    assert!(
        first.contains(&format!(" FIELD WORDS 00000005 TO 00000005\n{word5}")),
        "{stdout}"
    );
    assert_eq!(
        first.lines().count(),
        4 + 2,
        "the package, the one word: {stdout}"
    );
    let second = stdout
        .split(" EXCHANGE PACKAGE\n")
        .nth(2)
        .unwrap_or_default();
    assert!(
        second.contains(" FIELD WORDS 00000000 TO 00000003\n"),
        "{stdout}"
    );
    assert!(second.contains(" VECTOR REGISTERS\n V0 00 "), "{stdout}");
    assert!(second.contains("\n V7 74 "), "{stdout}");
    assert!(second.contains("\n VM "), "{stdout}");

    // Before any step the field is empty, and DUMP says so (it panicked on the
    // empty slice when COS's own jdiaggo job aborted before its first program).
    let out = site.run("e", "JOB,JN=E.\nDUMPJOB.\nDUMP,LW=3777,V.\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(" DUMPJOB: $DUMP WRITTEN (FIELD OF 0 WORDS)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(" DUMP: NO FIELD WORDS OF $DUMP PRINTED"),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .contains(" FIELD EMPTY: NO STEP HAD RUN WHEN $DUMP WAS WRITTEN\n VECTOR REGISTERS\n"),
        "{stdout}"
    );

    // Without DUMPJOB there is nothing to print.
    let out = site.run("n", "JOB,JN=N.\nDUMP.\n", &[]);
    assert!(
        text(&out.stderr).contains(" DUMP: the job has no $DUMP (DUMPJOB writes it)"),
        "{}",
        text(&out.stderr)
    );
}

/// RERUN, NORERUN, ROLLJOB and DELAY are refused by name with their reason, not
/// looked up as programs: their forms are not known here (the first three), or the
/// machine has no idle time to wait in (DELAY, as COS's diagnostic deck writes it).
#[test]
fn statements_not_served_are_refused_with_their_reason() {
    let site = Site::new();
    for (statement, why) in [
        (
            "RERUN.",
            " RERUN: not served: SR-0011 lists the statement, but its form",
        ),
        (
            "NORERUN.",
            " NORERUN: not served: SR-0011 lists the statement",
        ),
        (
            "ROLLJOB.",
            " ROLLJOB: not served: SR-0011 lists the statement",
        ),
        (
            "delay,interval=00:10:00.",
            " DELAY: not served: the emulated machine has no idle time",
        ),
        (
            "MODE,M=1.",
            " MODE: not served: SR-0011 lists the statement, but its form",
        ),
        (
            "SWITCH,1=ON.",
            " SWITCH: not served: SR-0011 lists the statement, but its form",
        ),
        ("ECHO,ON=JCL.", " ECHO: ON=JCL: not served: "),
        // System verbs of SR-0011's list (part 1, 4.2.1) whose pages are not at
        // hand: they were looked up as programs, "not a system verb".
        (
            "LIBRARY,DN=*:$DIAGLB.",
            " LIBRARY: not served: SR-0011 lists it among the system verbs",
        ),
        (
            "EXITIF(J1.EQ.0)",
            " EXITIF: not served: SR-0011 lists it among the system verbs",
        ),
        (
            "PRINT(J1)",
            " PRINT: not served: SR-0011 lists it among the system verbs",
        ),
        (
            "CHARGES.",
            " CHARGES: not served: SR-0011 lists it among the system verbs",
        ),
    ] {
        let deck = format!("JOB,JN=R.\n{statement}\nEXIT.\nCOPY.\n/EOF\nafter EXIT\n");
        let out = site.run("r", &deck, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{why:?} in {stderr}");
        assert!(!stderr.contains("is not a system verb"), "{stderr}");
        assert_eq!(text(&out.stdout), "after EXIT\n");
    }
}

#[test]
fn bad_statements_abort_the_step() {
    let site = Site::new();
    let deck = "JOB,JN=B.\nNOSUCH.\nCOPY.\nEXIT.\nSAVE,DN=$IN,PDN=X,BOGUS=1.\nCOPY;X.\nCOPY.\n/EOF\nlast\n";
    let out = site.run("b", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "NOSUCH is not a system verb, a local dataset or a program of the system directory"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(" SAVE: unknown parameter BOGUS"),
        "{stderr}"
    );
    // After the first abort the job skipped to EXIT; the second abort (SAVE) has no
    // EXIT after it, so the job ends there.
    assert_eq!(text(&out.stdout), "");
    assert!(!stderr.contains("COPY;X"), "{stderr}");
}

#[test]
fn not_a_deck_is_refused_with_its_reason() {
    let site = Site::new();
    let out = site.run("bad", "AUDIT.\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a job deck: the first statement is \"AUDIT.\", not JOB"),
        "{}",
        text(&out.stderr)
    );
}

/// The corpus utilities are found in the system directory and run as steps; each
/// reads its own file of `$IN` (ACCTDEF the first, LOADCAT the second, both empty),
/// so COPY gets the third.
#[test]
fn a_corpus_utility_runs_from_a_deck_to_its_normal_end() {
    let site = Site::new();
    let corpus = isa_tests::corpus_dir().join("cos");
    let deck =
        "JOB,JN=ADMIN,US=SYSTEM.\nACCOUNT,AC=ADMIN.\nACCTDEF.\nLOADCAT.\nCOPY.\n/EOF\n/EOF\n/EOF\ndone\n";
    let file = site.path("admin.job");
    std::fs::write(&file, deck).unwrap();
    let out = cray()
        .arg("run")
        .arg("--root")
        .arg(site.dir.path())
        .arg("--system-dir")
        .arg(&corpus)
        .arg("--dataset")
        .arg(format!("COPY={}", "sys/COPY.bin"))
        .args(["--max-cycles", "100000000"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = ok(&out);
    let expected = [
        "JOB,JN=ADMIN,US=SYSTEM.",
        "ACCOUNT,AC=ADMIN.",
        "ACCTDEF.",
        "UT010 - STOP          in ACCTDEF",
        "LOADCAT.",
        "UT010 - STOP          in DIRECT",
        "COPY.",
        " JOB ENDED",
    ];
    let mut at = 0;
    for line in expected {
        let found = stderr[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} after byte {at} of {stderr}"));
        at += found + line.len();
    }
    // LOADCAT's listing, left in its `$OUT` buffer at its end, is written when its
    // step ends; then COPY's line. Its library compresses blanks with the initiator
    // the DSP holds (ESC), and the terminal gets them expanded.
    let stdout = text(&out.stdout);
    let heading = format!(
        "1 L O A D C A T{}I = $IN{}L = $OUT{}RUN ON 01/01/70 AT 00:00:00.\n0{}INPUT DIRECTIVES:\n",
        " ".repeat(5),
        " ".repeat(10),
        " ".repeat(12),
        " ".repeat(8)
    );
    assert!(stdout.starts_with(&heading), "{stdout:?}");
    assert!(!stdout.contains(['\0', '\x1b']), "{stdout:?}");
    assert!(
        stdout.ends_with(" <ERROR> EMPTY DIRECTIVES FILE.\ndone\n"),
        "{stdout}"
    );
}

fn stats(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A deck checkpointed in the middle of its second step and restarted ends as a run
/// straight through: same output, clock and state hash, and the SAVE of its first
/// step is in the catalogue once.
#[test]
fn a_deck_checkpointed_mid_step_and_restarted_ends_the_same() {
    let site = Site::new();
    let lines: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let deck =
        format!("JOB,JN=CK,US=ME.\nSAVE,DN=$IN,PDN=IN.\nCOPY.\nSAVE,DN=$IN,PDN=IN.\n/EOF\n{lines}");
    let file = site.path("ck.job");
    std::fs::write(&file, deck).unwrap();
    let whole_json = site.path("whole.json");
    let out = site.run_file(&file, &["--stats-json", whole_json.to_str().unwrap()]);
    ok(&out);
    let whole_stdout = text(&out.stdout);
    assert_eq!(whole_stdout, lines);
    let whole = stats(&whole_json);
    let catalogue = Site::catalogue;
    let whole_catalogue = catalogue(&site);
    assert!(whole_catalogue.contains("\"edition\": 2"));

    let site2 = Site::new();
    let file = site2.path("ck.job");
    std::fs::write(&file, std::fs::read(site.path("ck.job")).unwrap()).unwrap();
    let image = site2.path("half.chk");
    let half = (whole["cycles"].as_u64().unwrap() / 2).to_string();
    let out = site2.run_file(
        &file,
        &["--stop-at", &half, "--checkpoint", image.to_str().unwrap()],
    );
    assert!(image.exists(), "{}", text(&out.stderr));
    let first_part = text(&out.stdout);
    assert!(first_part.len() < lines.len(), "stopped inside COPY");
    let inspect = cray().arg("inspect").arg(&image).output().unwrap();
    assert!(
        text(&inspect.stdout).contains("COS deck jobs: jid"),
        "{}",
        text(&inspect.stdout)
    );
    let restarted_json = site2.path("restarted.json");
    let out = site2.restart(&image, &["--stats-json", restarted_json.to_str().unwrap()]);
    ok(&out);
    assert_eq!(first_part + &text(&out.stdout), whole_stdout);
    let restarted = stats(&restarted_json);
    assert_eq!(restarted["cycles"], whole["cycles"]);
    assert_eq!(restarted["state_hash"], whole["state_hash"]);
    let editions = site2.editions_of("IN");
    assert_eq!(editions, 2, "each SAVE once: {}", catalogue(&site2));

    // Restarting the same image again repeats nothing that is already done.
    let out = site2.restart(&image, &[]);
    ok(&out);
    assert_eq!(site2.editions_of("IN"), 2);
}

/// `--resume` continues a deck job stopped in the middle of a step (here by
/// `--max-cycles`) from its newest periodic checkpoint, to the end a run straight
/// through reaches.
#[test]
fn a_stopped_deck_resumes_from_its_checkpoint_directory() {
    let lines: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let deck =
        format!("JOB,JN=RS,US=ME.\nSAVE,DN=$IN,PDN=IN.\nCOPY.\nSAVE,DN=$IN,PDN=IN.\n/EOF\n{lines}");
    let straight = Site::new();
    let json = straight.path("straight.json");
    let out = straight.run("rs", &deck, &["--stats-json", json.to_str().unwrap()]);
    ok(&out);
    let whole = stats(&json);
    let cycles = whole["cycles"].as_u64().unwrap();

    let site = Site::new();
    let (_, out) = site.stop_and_resume("rs", &deck, cycles / 5, cycles * 3 / 5, &[]);
    let stderr = ok(&out);
    assert!(
        stderr.contains("cray: resume: continuing job 1 from"),
        "{stderr}"
    );
    let resumed = stats(&site.path("resumed.json"));
    assert_eq!(resumed["cycles"], whole["cycles"]);
    assert_eq!(resumed["state_hash"], whole["state_hash"]);
    assert_eq!(site.editions_of("IN"), 2, "{}", site.catalogue());
}

/// COPYR, COPYF, COPYD, SKIPR, SKIPF and SKIPD on `$IN` (three files) and on local
/// datasets they write: record verbs stop at an EOF, file verbs count EOFs, backward
/// skips stop at the start of a file, and `O=$OUT` prints.
#[test]
fn copy_and_skip_verbs_move_over_records_files_and_the_dataset() {
    let site = Site::new();
    let deck = "JOB,JN=CP.\n\
        COPYR,O=A,NR=2.\n\
        SKIPR.\n\
        COPYR,O=A.\n\
        SKIPF.\n\
        COPYF,O=A.\n\
        COPYD,O=A.\n\
        REWIND,DN=A.\n\
        COPYD,I=A,O=B.\n\
        SKIPF,DN=B,NF=-1.\n\
        COPYR,I=B,NR=*.\n\
        SKIPR,DN=B,NR=-1.\n\
        COPYR,I=B.\n\
        SKIPD,DN=B.\n\
        SKIPR,DN=B,NR=-1.\n\
        REWIND,DN=A.\n\
        COPYF,I=A.\n\
        SKIPR,DN=A,NR=X.\n\
        COPYR,I=A,O=A.\n\
        EXIT.\n\
        COPYR,I=NONE.\n\
        /EOF\na1\na2\na3\n/EOF\nb1\n/EOF\nc1\nc2\n";
    let out = site.run("cp", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "c1\nc2\nc2\na1\na2\nb1\n", "{stderr}");
    let expected = [
        " COPYR: 2 RECORDS, 0 FILES COPIED FROM $IN TO A",
        " SKIPR: 1 RECORDS, 0 FILES SKIPPED ON $IN",
        " COPYR: 0 RECORDS, 0 FILES COPIED FROM $IN TO A",
        " SKIPF: 0 RECORDS, 1 FILES SKIPPED ON $IN",
        " COPYF: 1 RECORDS, 1 FILES COPIED FROM $IN TO A",
        // The last file of the deck's data ends with an EOF too.
        " COPYD: 2 RECORDS, 1 FILES COPIED FROM $IN TO A",
        " COPYD: 5 RECORDS, 2 FILES COPIED FROM A TO B",
        " SKIPF: 0 RECORDS, 1 FILES SKIPPED ON B",
        " COPYR: 2 RECORDS, 0 FILES COPIED FROM B TO $OUT",
        " SKIPR: 1 RECORDS, 0 FILES SKIPPED ON B",
        " COPYR: 1 RECORDS, 0 FILES COPIED FROM B TO $OUT",
        " SKIPD: 0 RECORDS, 1 FILES SKIPPED ON B",
        // A record skip does not cross the EOF in front of the EOD.
        " SKIPR: 0 RECORDS, 0 FILES SKIPPED ON B",
        " COPYF: 3 RECORDS, 1 FILES COPIED FROM A TO $OUT",
        " SKIPR: NR=X is not a count (a number or *)",
        "COPYR,I=NONE.",
        " COPYR: NONE is not a local dataset of the job",
    ];
    let mut at = 0;
    for line in expected {
        let found = stderr[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} after byte {at} of {stderr}"));
        at += found + line.len();
    }
    // The abort of SKIPR skipped COPYR,I=A,O=A up to EXIT.
    assert!(!stderr.contains("I= and O= name the same"), "{stderr}");
    let same = site.run("same", "JOB,JN=S.\nCOPYR,I=$IN,O=$IN.\n", &[]);
    assert_eq!(same.status.code(), Some(1));
    assert!(text(&same.stderr).contains(" COPYR: I= and O= name the same dataset $IN"));
}

/// Whether `--trace-requests` output `stderr` has a request line that starts with
/// `request` (through S1's digits up to its address, which the field layout
/// decides) and names dataset `name`.
fn traced(stderr: &str, request: &str, name: &str) -> bool {
    let quoted = format!("(\"{name}\")");
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("cray: "))
        .any(|line| {
            line.find(request).is_some_and(|at| {
                line[at + request.len()..].split(' ').nth(1) == Some(quoted.as_str())
            })
        })
}

/// PRVDEF finds its user in the validation dataset (`corpus/cos/validation.ds` as
/// `$USER`) by reading it by block number (F$RDC with the sign bit of S1) and, with
/// no directives on `$IN`, ends normally; before that read was served it aborted
/// with `SL019 - PBNREAD $USER UNDEFINED I/O ERROR`.
#[test]
fn prvdef_reads_the_validation_dataset_by_block_number_to_its_normal_end() {
    let out = run_prvdef("JOB,JN=P,US=SYSTEM.\nPRVDEF.\n");
    let stderr = ok(&out);
    assert!(!stderr.contains("SL019"), "{stderr}");
    assert!(!stderr.contains("ABORTED"), "{stderr}");
    // The read by block number of block 0 of `$USER`, then the normal end.
    assert!(
        traced(&stderr, "F$RDC    S1=1000000000000000", "$USER"),
        "{stderr}"
    );
    assert!(stderr.contains("F$ADV"), "{stderr}");
    assert!(stderr.ends_with(" JOB ENDED\n"), "{stderr}");
}

/// Runs `deck` (which runs PRVDEF) with a writable copy of the corpus's validation
/// dataset as `$USER`, tracing the requests; returns the site (the copy is its
/// `validation.ds`) and the run.
fn run_prvdef_at(deck: &str) -> (Site, Output) {
    let site = Site::new();
    let corpus = isa_tests::corpus_dir().join("cos");
    let copy = site.path("validation.ds");
    std::fs::copy(corpus.join("validation.ds"), &copy).unwrap();
    let mut permissions = std::fs::metadata(&copy).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&copy, permissions).unwrap();
    let file = site.path("p.job");
    std::fs::write(&file, deck).unwrap();
    let out = cray()
        .arg("run")
        .arg("--root")
        .arg(site.dir.path())
        .arg("--system-dir")
        .arg(&corpus)
        .args(["--dataset", "$USER=validation.ds", "--trace-requests"])
        .args(["--max-cycles", "100000000"])
        .arg(&file)
        .output()
        .unwrap();
    (site, out)
}

/// [`run_prvdef_at`] without the site.
fn run_prvdef(deck: &str) -> Output {
    run_prvdef_at(deck).1
}

fn run_corpus_deck(site: &Site, name: &str, deck: &str) -> Output {
    run_corpus_deck_with(site, name, deck, &[])
}

/// [`run_corpus_deck`] with `extra` options.
fn run_corpus_deck_with(site: &Site, name: &str, deck: &str, extra: &[&str]) -> Output {
    let file = site.path(&format!("{name}.job"));
    std::fs::write(&file, deck).unwrap();
    cray()
        .arg("run")
        .arg("--root")
        .arg(site.dir.path())
        .arg("--system-dir")
        .arg(isa_tests::corpus_dir().join("cos"))
        .arg("--pds")
        .arg(site.path("pds"))
        .args(["--max-cycles", "100000000"])
        .args(extra)
        .arg(&file)
        .output()
        .unwrap()
}

/// AUDIT lists each dataset's size, the DSC entry's DADSZ (`cos::dsc`): the words
/// of an unblocked dataset (RAW, two blocks written by block number: 1024) and
/// the blocked form of a blocked one (one line: BCW, the line, EOR, EOF, EOD: 5),
/// and totals them, with the blocks each takes (2 + 1).
#[test]
fn audit_lists_the_size_of_blocked_and_unblocked_datasets() {
    let site = site_with_block_programs();
    let epoch = ["--epoch", "604672496"];
    let save = "JOB,JN=S,US=SYSTEM.\nWBLOCKS.\nSAVE,DN=RAW,PDN=RAW.\n\
                SAVE,DN=$IN,PDN=TEXT.\n/EOF\nkept\n";
    ok(&site.run("save", save, &epoch));
    let out = run_corpus_deck_with(&site, "a", "JOB,JN=A,US=SYSTEM.\nAUDIT.\n", &epoch);
    let stderr = ok(&out);
    let total = "AU003 -        2 DATASETS,        3 BLOCKS,        1029 WORDS";
    assert!(stderr.contains(total), "{stderr}");
    let stdout = text(&out.stdout);
    let size_after = |pdn: &str| {
        let mut lines = stdout
            .lines()
            .skip_while(|l| !l.starts_with(&format!(" {pdn} ")));
        lines
            .nth(1)
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
    };
    assert_eq!(size_after("RAW").as_deref(), Some("1024"), "{stdout}");
    assert_eq!(size_after("TEXT").as_deref(), Some("5"), "{stdout}");
    assert!(
        stdout.contains("        2 DATASETS,        3 BLOCKS,                1029 WORDS"),
        "{stdout}"
    );
}

/// F$PDM over an empty store: AUDIT's catalogue accesses (`$MCD`, ...) are served
/// and it lists no dataset to its normal end; DMP10's catalogue page request gets
/// no page and DMP10 ends normally. RELOAD gets past its catalogue accesses and
/// its F$DTT to its normal end.
#[test]
fn audit_and_dmp10_read_an_empty_catalogue_to_their_normal_end() {
    let site = Site::new();
    let out = run_corpus_deck(&site, "a", "JOB,JN=A,US=SYSTEM.\nAUDIT.\nDMP10.\n");
    let stderr = ok(&out);
    assert!(stderr.contains("AU003 - NO DATASETS SELECTED"), "{stderr}");
    // With the job's owner in its F$ACT block, AUDIT asks for the owner's key in
    // the (empty) MCD, function 0430, which is not served (`cos::pdm`).
    let stderr = stderr.replace(
        "cray: pid 1: F$PDM function 430: function code not known to this COS\n",
        "",
    );
    assert!(!stderr.contains("F$PDM"), "{stderr}");
    assert!(!stderr.contains("ABORTED"), "{stderr}");
    assert!(stderr.ends_with(" JOB ENDED\n"), "{stderr}");
    let out = run_corpus_deck(&site, "r", "JOB,JN=R,US=SYSTEM.\nRELOAD.\n");
    let stderr = ok(&out);
    assert!(!stderr.contains("F$PDM"), "{stderr}");
    assert!(!stderr.contains("F$DTT"), "{stderr}");
    assert!(!stderr.contains("ABORTED"), "{stderr}");
    assert!(stderr.ends_with(" JOB ENDED\n"), "{stderr}");
}

/// DMP10 ends without finishing the `$PDS` it began (one block given to F$WDC, the
/// rest of its header record and no EOD left in its buffer); the end of its step
/// closes it, so the header record is kept, and its `$OUT` listing is written.
/// PLD10 after it in the deck reads that dump (no longer `PD808 - DATASET NOT
/// CREATED BY PDSDUMP`, as over an empty `$PDS`) and, the dump holding no dataset,
/// stops with `PD814`.
#[test]
fn dmp10_leaves_a_dump_that_pld10_reads() {
    let site = Site::new();
    let out = run_corpus_deck(&site, "d", "JOB,JN=D.\nDMP10.\nPLD10.\n");
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("no EOD"), "{stderr}");
    assert!(
        stderr.contains(" PLD10 ABORTED (exit status 1)"),
        "{stderr}"
    );
    assert!(
        stdout.contains("0 DATASETS SELECTED FOR DUMPING"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PD814 - UNABLE TO FIND D.S. MATCHING SPECIFICATION"),
        "{stdout}"
    );
    assert!(!stdout.contains("PD808"), "{stdout}");
    // Alone, PLD10 finds no dump.
    let out = run_corpus_deck(&site, "p", "JOB,JN=P.\nPLD10.\n");
    assert!(text(&out.stdout).contains("PD808 - DATASET NOT CREATED BY PDSDUMP"));
}

/// PRVDEF's CREATE directive converts now to a timestamp (F$DTT), adds the
/// password expiry period its library's UNITTS gives for 30 days, and converts the
/// sum back (F$TDT): with timestamps of 1.024 ns units the expiry is 30 days on,
/// 01/31/70. The user entry it builds (name, password, that date) is not looked at
/// here: what its library then writes to `$USER` is not that entry (docs/src/
/// cos-jobs.md, PRVDEF). The job ends normally.
#[test]
fn prvdef_create_converts_the_expiry_date_with_f_tdt_and_ends_normally() {
    let out = run_prvdef("JOB,JN=P,US=SYSTEM.\nPRVDEF.\n/EOF\nCREATE,US=NEWUSER,UPW=SECRET.\n");
    let stderr = ok(&out);
    // 01/01/70 00:00:00 is 1096 days before the base of timestamps.
    assert!(
        stderr.contains(
            "F$ 067 F$DTT    S1=300611363006113633460 S2=300601643006016430060 P=265324: S0=0"
        ),
        "{stderr}"
    );
    // 1066 days before the base: 30 days after 01/01/70.
    let expiry = (-1066i64 * 86_400 * 976_562_500) as u64;
    assert!(
        stderr.contains(&format!("F$ 066 F$TDT    S1={expiry:o} ")),
        "{stderr}"
    );
    assert!(!stderr.contains("not served"), "{stderr}");
    assert!(stderr.ends_with(" JOB ENDED\n"), "{stderr}");
    assert!(text(&out.stdout).contains("CREATE,US=NEWUSER,UPW=SECRET."));
}

/// PRVDEF's CREATE with a directive after it: its library gives `$USER`'s last
/// block, with one more 64-word record, to F$WDC, and that block takes the place of
/// the dataset's block 4 (the 2347 words of the corpus's dataset become 2412). The
/// record is not NEWUSER's entry: the routine its WRITE needs is `<<<<MISSING>>>>`
/// in this binary and the words come from a scratch area that holds `CREATE`'s
/// keyword names (docs/src/cos-jobs.md, "PRVDEF's CREATE"). A second PRVDEF step
/// reads the dataset as written and does not find NEWUSER.
#[test]
fn prvdef_create_then_another_directive_writes_a_record_past_the_last_user() {
    let deck = "JOB,JN=P,US=SYSTEM.\nPRVDEF.\nPRVDEF.\n/EOF\nCREATE,US=NEWUSER,UPW=SECRET.\nVIEW,US=SYSTEM.\n/EOF\nVIEW,US=NEWUSER.\n";
    let (site, out) = run_prvdef_at(deck);
    let stderr = ok(&out);
    assert!(traced(&stderr, "F$ 023 F$WDC    S1=", "$USER"), "{stderr}");
    assert!(
        !traced(&stderr, "F$ 023 F$WDC    S1=1000000000000000", "$USER"),
        "a plain write, not by block number: {stderr}"
    );
    assert!(!stderr.contains("F$WDC data"), "{stderr}");
    let bytes = std::fs::read(site.path("validation.ds")).unwrap();
    let words: Vec<u64> = bytes
        .chunks(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(words.len(), 2412);
    let original = std::fs::read(isa_tests::corpus_dir().join("cos/validation.ds")).unwrap();
    assert_eq!(
        bytes[..2344 * 8],
        original[..2344 * 8],
        "blocks 0-3 and block 4's users kept"
    );
    // The EOR of the last user now points at 64 data words; then EOR, EOF, EOD.
    assert_eq!(words[2344] & 0o777, 64);
    assert_eq!(words[2347], u64::from_be_bytes(*b"EXDATE\0\0"));
    assert_eq!(words[2345], 0, "no user name");
    assert_eq!(
        words[2409..].iter().map(|w| w >> 60).collect::<Vec<_>>(),
        [0o10, 0o16, 0o17]
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Details of user : SYSTEM"), "{stdout}");
    let second = &stdout[stdout
        .find("VIEW,US=NEWUSER.")
        .expect("the second step's directive")..];
    assert!(second.contains("***** USER NEWUSER"), "{stdout}");
    assert!(second.contains("NOT DEFINED."), "{stdout}");
}

/// PRVDEF's VIEW directive lists a user of the validation dataset on `$OUT`, and
/// says so of one it does not hold.
#[test]
fn prvdef_view_lists_a_user_of_the_validation_dataset() {
    let out = run_prvdef("JOB,JN=P,US=SYSTEM.\nPRVDEF.\n/EOF\nVIEW,US=SYSTEM.\nVIEW,US=NOBODY.\n");
    let stderr = ok(&out);
    assert!(stderr.ends_with(" JOB ENDED\n"), "{stderr}");
    let stdout = text(&out.stdout);
    let expected = [
        "VIEW,US=SYSTEM.",
        "Details of user : SYSTEM",
        "Password was last changed on 09/30/88 at 18:49:54",
        "Password expires on 10/14/88",
        "User last accessed system on 10/01/88 at 02:04:55",
        "This record last updated on 02/11/88 at 12:51:41",
        "VIEW,US=NOBODY.",
        "***** USER NOBODY",
        "NOT DEFINED.",
    ];
    let mut at = 0;
    for line in expected {
        let found = stdout[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} after byte {at} of {stdout}"));
        at += found + line.len();
    }
}

/// A catalogue built with SAVE, in the DSC layout (`cos::dsc`): AUDIT's MCD
/// access is refused (its layout is not known: AU019), it reads the DSC pages,
/// selects the job's two datasets (their owner is the one F$ACT gives) and prints
/// its header for `OWN = SYSTEM`; its REPORT then re-reads each entry's page by
/// block number and lists both datasets (PDN, ID, edition, dates) to its normal
/// end. DMP10 reads the pages with function 040, names each dataset and
/// makes it local with function 0170 and dumps it; a PLD10 after it reads the
/// dump, writes the first dataset's blocks by block number and asks F$PDM (050)
/// to make it permanent, refused while the edition is still there: PD810, its
/// normal end. The
/// epoch is 1989: before 1973 a COS timestamp is negative, and AUDIT's date
/// selection overflows on one. The store's entries stay as SAVE left them.
#[test]
fn audit_and_dmp10_read_a_catalogue_built_with_save() {
    let site = Site::new();
    let epoch = ["--epoch", "604672496"];
    let save = "JOB,JN=S,US=SYSTEM.\nSAVE,DN=$IN,PDN=DATA.\nSAVE,DN=$IN,PDN=LONGERNAME12345,ID=XID.\n/EOF\nkept\n";
    ok(&site.run("save", save, &epoch));
    let entries = |site: &Site| site.catalogue_json()["entries"].clone();
    let before = entries(&site);
    let out = run_corpus_deck_with(&site, "a", "JOB,JN=A,US=SYSTEM.\nAUDIT.\n", &epoch);
    let stderr = ok(&out);
    for line in [
        "F$PDM function 233: the store holds 2 dataset(s)",
        "PD612 - CATALOG ACCESS ERROR: FC =00000233 STATUS =00007777",
        "AU019 - MCD ACCESS FAILED, USING DSC.",
        "AU003 -        2 DATASETS,        2 BLOCKS,          10 WORDS",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    for absent in ["AU023", "AU002", "ABORTED"] {
        assert!(!stderr.contains(absent), "{absent}: {stderr}");
    }
    // REPORT re-reads each entry's page by block number after the catalogue read
    // met the end (`cos::circular`, DP_EOD_STATUS) and lists both to its end.
    let stdout = text(&out.stdout);
    for line in [
        "  OWN = SYSTEM",
        " PDN             ID          ED             LAST     LAST     LAST     DEVICE",
        " DATA                         1  02/28/89 02/28/89 02/28/89 12/31/72",
        " LONGERNAME12345 XID          1  02/28/89 02/28/89 02/28/89 12/31/72",
        "          5     0      0 N  RWM  12:34:56 12:34:56 12:34:56 23:59:59   ON  N/A",
        "        2 DATASETS,        2 BLOCKS,                  10 WORDS",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    // PDN= selects one dataset, ID= the other.
    for (option, kept, left) in [
        ("PDN=DATA", " DATA ", "LONGERNAME12345"),
        ("ID=XID", "LONGERNAME12345 XID", " DATA "),
    ] {
        let deck = format!("JOB,JN=A,US=SYSTEM.\nAUDIT,{option}.\n");
        let out = run_corpus_deck_with(&site, "o", &deck, &epoch);
        ok(&out);
        let stdout = text(&out.stdout);
        assert!(stdout.contains(kept), "{option}: {stdout}");
        assert!(!stdout.contains(left), "{option}: {stdout}");
        assert!(stdout.contains("        1 DATASETS,"), "{option}: {stdout}");
    }
    let out = run_corpus_deck_with(&site, "d", "JOB,JN=D,US=SYSTEM.\nDMP10.\n", &epoch);
    let stderr = ok(&out);
    // Each dataset's read by block number ends with DPERR's EOD bit, which DMP10
    // takes as the end (`cos::circular::set_read_status`), not as an I/O error;
    // its dump time call (F$PDM 0100) is served.
    for absent in ["PD907", "PD918", "PD935"] {
        assert!(!stderr.contains(absent), "{absent}: {stderr}");
    }
    let stdout = text(&out.stdout);
    for line in [
        " DATA            ED=0001 ID=         OWN=SYSTEM          DUMPED",
        " LONGERNAME12345 ED=0001 ID=XID      OWN=SYSTEM          DUMPED",
        "2 DATASETS SELECTED FOR DUMPING",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    // The entries are as SAVE left them, but for the dump time DMP10 recorded
    // (the epoch plus the clock: 1989-02-28 12:34:56 and a fraction of a second).
    let mut after = entries(&site);
    for entry in after.as_array_mut().unwrap() {
        let dumped = entry["dumped"].as_u64().unwrap();
        assert_eq!(dumped, 604_672_496, "{entry}");
        entry.as_object_mut().unwrap().remove("dumped");
    }
    let mut before = before;
    for entry in before.as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("dumped");
    }
    assert_eq!(before, after, "the entries are otherwise as SAVE left them");
    let out = run_corpus_deck_with(&site, "p", "JOB,JN=P,US=SYSTEM.\nDMP10.\nPLD10.\n", &epoch);
    // DMP10's `$PDS` is kept whole: F$WDC takes only whole blocks, so the library
    // sets each block's BCW forward index before the block is written
    // (`cos::circular`). PLD10 takes it for a dump (no PD808), writes DATA's block
    // by block number (F$WDC with the sign bit: no PD811) and asks F$PDM for
    // function 050 to make it permanent again, which SAVE's rule refuses while
    // the dumped edition is still in the store: PD810, and its normal end.
    let stderr = ok(&out);
    assert!(!stderr.contains("F$WDC"), "{stderr}");
    assert!(!stderr.contains("ABORTED"), "{stderr}");
    assert!(
        stderr.contains(
            "F$PDM function 50: SAVE: PDN=DATA ID= ED=1 OWN=SYSTEM: EDITION ALREADY EXISTS"
        ),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("2 DATASETS SELECTED FOR DUMPING"),
        "{stdout}"
    );
    for absent in ["PD808", "PD811"] {
        assert!(!stdout.contains(absent), "{absent}: {stdout}");
    }
    assert!(
        stdout.contains(" PD810 - DATASET LOAD ERROR      DATA            ED=   1"),
        "{stdout}"
    );
}

/// The dump and reload the issue asks for: DMP10 dumps a catalogue built with
/// SAVE into `$PDS`, the deck deletes both datasets, and PLD10 reloads them from
/// the dump with F$PDM function 050 (`cos::pdm`, RELOAD), releasing its dataset
/// `WRITE` after each (F$RLS, so the next one starts empty). Each dataset is then
/// there once, under its PDN, ID, edition and owner, with its own records. The
/// read password DATA had is not in the dump (the DSC pages hold none), so the
/// reloaded edition has none. A second PLD10 of the same dump is refused edition
/// by edition: nothing is there twice.
#[test]
fn dmp10_and_pld10_dump_and_reload_a_catalogue() {
    let site = Site::new();
    let epoch = ["--epoch", "604672496"];
    let save = "JOB,JN=S,US=SYSTEM.\nCOPYF,I=$IN,O=A.\nCOPYF,I=$IN,O=B.\n\
                SAVE,DN=A,PDN=DATA,R=RP.\nSAVE,DN=B,PDN=LONGERNAME12345,ID=XID.\n\
                /EOF\nfirst one\n/EOF\nsecond\nand more\n";
    ok(&site.run("save", save, &epoch));
    let deck = "JOB,JN=D,US=SYSTEM.\nDMP10.\nDELETE,PDN=DATA.\n\
                DELETE,PDN=LONGERNAME12345,ID=XID.\nREWIND,DN=$PDS.\nPLD10.\n\
                REWIND,DN=$PDS.\nPLD10.\n\
                ACCESS,DN=X,PDN=DATA.\nCOPYD,I=X.\n\
                ACCESS,DN=Y,PDN=LONGERNAME12345,ID=XID.\nCOPYD,I=Y.\n";
    let out = run_corpus_deck_with(&site, "d", deck, &epoch);
    let stderr = ok(&out);
    for line in [
        " PDN=DATA ID= ED=1 OWN=SYSTEM DELETED",
        " PDN=DATA ID= ED=1 OWN=SYSTEM SAVED FROM WRITE",
        " PDN=LONGERNAME12345 ID=XID ED=1 OWN=SYSTEM SAVED FROM WRITE",
        // The second PLD10: each edition is there already.
        "F$PDM function 50: SAVE: PDN=DATA ID= ED=1 OWN=SYSTEM: EDITION ALREADY EXISTS",
        " PDN=DATA ID= ED=1 OWN=SYSTEM ACCESSED AS X, PERMISSION M",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    assert!(!stderr.contains("ABORTED"), "{stderr}");
    let stdout = text(&out.stdout);
    for line in [
        " DATA            ED=   1 ID=         OWN=SYSTEM          LOADED",
        " LONGERNAME12345 ED=   1 ID=XID      OWN=SYSTEM          LOADED",
        "               2 DATASETS LOADED",
        "first one\n",
        "second\nand more\n",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    let catalogue = site.catalogue_json();
    let entries = catalogue["entries"].as_array().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["pdn"].as_str().unwrap()).collect();
    assert_eq!(names, ["DATA", "LONGERNAME12345"], "each once");
    assert_eq!(entries[0]["read"], "", "the dump carries no password");
}

/// `JOB,...,T=1.`: a step that never ends is stopped when the job has used one
/// second of the machine's clock (1 s / 9.5 ns on the X-MP: 105 263 157 clock
/// periods), the log says so and the job ends aborted without the statements after
/// EXIT (`cos::deck::time_limit`). The job stops at the same clock period, in the
/// same state, when it was checkpointed half way and restarted: the clock that
/// measures its time is part of the image.
#[test]
fn a_job_time_limit_ends_a_job_that_would_run_for_ever() {
    // Each run in a site of its own: the store numbers the jobs, and the number is
    // part of the state.
    let spin_site = || {
        let site = Site::new();
        site.install_spin();
        site
    };
    let site = spin_site();
    let deck = "JOB,JN=T,T=1.\nCOPY.\nSPIN.\nEXIT.\nCOPY.\n/EOF\nbefore\n/EOF\nafter\n";
    let whole_json = site.path("whole.json");
    let out = site.run("t", deck, &["--stats-json", whole_json.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for line in [
        " SPIN ABORTED (time limit)",
        " JOB TIME LIMIT OF 1 SECONDS EXCEEDED",
        " JOB ENDED ABORTED (status 1)",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    assert_eq!(text(&out.stdout), "before\n", "nothing after EXIT runs");
    let whole = stats(&whole_json);
    let cycles = whole["cycles"].as_u64().unwrap();
    let limit = 1_000_000_000_000 / 9_500;
    assert!(
        (limit..limit + 16).contains(&cycles),
        "stopped at the first instruction boundary at or past {limit}: {cycles}"
    );

    let site = spin_site();
    let image = site.path("half.chk");
    let half = (limit / 2).to_string();
    let out = site.run(
        "t",
        deck,
        &["--stop-at", &half, "--checkpoint", image.to_str().unwrap()],
    );
    assert!(image.exists(), "{}", text(&out.stderr));
    let restarted_json = site.path("restarted.json");
    let out = site.restart(&image, &["--stats-json", restarted_json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let restarted = stats(&restarted_json);
    assert_eq!(restarted["cycles"], whole["cycles"]);
    assert_eq!(restarted["state_hash"], whole["state_hash"]);

    // A limit that is not a number is refused before the job starts.
    let out = site.run("bad", "JOB,JN=B,T=SOON.\nCOPY.\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("JOB statement: T=SOON: the job time limit is a whole number of seconds"),
        "{stderr}"
    );
}

/// DISPOSE by disposition code: PR prints, ST stages to a host file under the root
/// (the front end), SC scratches; DEFER keeps the dataset with the job; `$OUT`,
/// which reaches the terminal as it is written, is left as it is (COS's station
/// decks end with `DISPOSE,DN=$OUT,DC=SC,DEFER.`); DC=IN is refused by name.
#[test]
fn dispose_prints_stages_or_scratches() {
    let site = Site::new();
    let deck = "JOB,JN=D.\nCOPYF,I=$IN,O=A.\nCOPYF,I=$IN,O=B.\nCOPYF,I=$IN,O=C.\n\
                DISPOSE,DN=A.\nDISPOSE,DN=B,DC=ST,SDN=BOUT.\nDISPOSE,DN=C,DC=SC,DEFER.\n\
                REWIND,DN=C.\nCOPYD,I=C.\nDISPOSE,DN=$OUT,DC=SC,DEFER.\n\
                DISPOSE,DN=A,NA.\nDISPOSE,DN=C,DC=ST,TEXT='../OUTSIDE',DEFER,NA.\n\
                DISPOSE,DN=C,DC=IN.\n\
                /EOF\nalpha\n/EOF\nbeta\n/EOF\ngamma\n";
    let out = site.run("d", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "alpha\ngamma\n");
    assert_eq!(
        std::fs::read_to_string(site.path("BOUT")).unwrap(),
        "beta\n"
    );
    for line in [
        " DISPOSE: B: 5 bytes to BOUT",
        " COPYD: 1 RECORDS, 1 FILES COPIED FROM C TO $OUT",
        " DISPOSE: $OUT reaches the terminal as the job writes it",
        // Printed without DEFER, A is gone (NA: logged only).
        " DISPOSE: A is not a local dataset of the job",
        " DISPOSE: C: ../OUTSIDE: not a file name under the root",
        " DISPOSE: DC=IN (to the input queue as a job) is not served here",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    assert!(!site.dir.path().join("../OUTSIDE").exists());
}

/// JCSDEF reads its directives from FT05 (Fortran unit 5) and lists them on FT06,
/// which the deck prints: blank-compressed by the library, expanded for the
/// terminal. With only a comment it checks the empty definition and reports what a
/// job class structure needs, then aborts (JC001). A directive that is not a
/// comment goes to the library's CRACK, which this binary holds damaged: 64 of its
/// words are `<<<<MISSING>>>>` fill in the file (file words 046531-046630; ACCTDEF
/// and LOADCAT hold the same routine whole), so it stops at an error exit there.
#[test]
fn jcsdef_reads_its_directives_and_lists_them() {
    let site = Site::new();
    let deck = "JOB,JN=X.\nCOPYF,I=$IN,O=FT05.\nREWIND,DN=FT05.\nJCSDEF.\nEXIT.\n\
                REWIND,DN=FT06.\nCOPYD,I=FT06.\n/EOF\n* ONLY A COMMENT\n";
    let out = run_corpus_deck(&site, "j", deck);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(" JCSDEF ABORTED (exit status 1)"),
        "{stderr}"
    );
    assert!(stderr.contains("JC001 - **** ERROR ****"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(!stdout.contains(['\0', '\x1b']), "{stdout:?}");
    let listing: Vec<&str> = stdout.lines().map(str::trim_end).collect();
    let title = format!("1JOB CLASS DEFINITION UTILITY{}JCSDEF 1.15", " ".repeat(45));
    assert!(listing[0].starts_with(&title), "{stdout}");
    for line in [
        " DIR =   5         DEF = $JCS     LIST = 6",
        " * ONLY A COMMENT",
        "       **** ERROR ****    TOTAL MAX JXTS LESS THAN 1.",
        "       **** ERROR ****    SLIMIT IS A REQUIRED DIRECTIVE.",
        "       **** ERROR ****    CHAR=JSE IS A REQUIRED CLASS CHAR.",
    ] {
        assert!(listing.contains(&line), "{line:?} in {stdout}");
    }

    let deck = "JOB,JN=X.\nCOPYF,I=$IN,O=FT05.\nREWIND,DN=FT05.\nJCSDEF.\n/EOF\nSLIMIT,ALL.\n";
    let out = run_corpus_deck(&site, "k", deck);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error exit at P=233714 (46763a)"),
        "{stderr}"
    );
}

/// The JOB statement's MFL (SR-0011's JOB page: decimal words, rounded up to a
/// multiple of 512): each step's field is the whole of it, JCFL and JCMFL both
/// (JCB word 0101 bits 40–63, word 0103 bits 16–39), with the I/O area at its top,
/// so that a program grows its user area into it with F$MEMORY. A program that
/// needs more than the MFL is refused and the job skips to EXIT; an MFL that is
/// not a number refuses the job before it starts.
#[test]
fn a_step_runs_in_the_jobs_maximum_field_length() {
    let site = Site::new();
    let deck = site.path("m.job");
    std::fs::write(&deck, "JOB,JN=M,MFL=100000.\nCOPY.\n/EOF\nx\n").unwrap();
    // 100 000 words rounded up: 0304000 (100 352) in JCFL and in JCMFL.
    let (jcfl, jcmfl, said) = jcb_at_start(&site, &deck);
    assert_eq!(jcfl, 0o304000, "JCFL: {said}");
    assert_eq!(jcmfl, 0o304000, "JCMFL: {said}");

    let small = site.run("small", "JOB,JN=S,MFL=1000.\nCOPY.\n/EOF\nx\n", &[]);
    assert_eq!(small.status.code(), Some(1));
    assert!(text(&small.stderr).contains(
        " COPY: needs a field of 84992 words, above the job's maximum field length of 1024 words (JOB,MFL=)"
    ), "{}", text(&small.stderr));
    let bad = site.run("bad", "JOB,JN=B,MFL=1K.\nCOPY.\n", &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("MFL=1K: the maximum field length is a whole number of words")
    );
}

/// Hostile decks found by fault injection: each ends at once, with its exit status
/// and a log line or message that says what is wrong, never a crash.
#[test]
fn hostile_decks_end_with_a_message() {
    let site = Site::new();
    let run = |deck: &str| {
        let out = site.run("h", deck, &[]);
        (out.status.code(), text(&out.stderr), text(&out.stdout))
    };
    let expect = |deck: &str, code: i32, words: &[&str]| {
        let (status, stderr, _) = run(deck);
        assert_eq!(status, Some(code), "{stderr}");
        for word in words {
            assert!(stderr.contains(word), "{word:?} not in {stderr}");
        }
        stderr
    };
    // The expression parser recursed once per .NOT. and overflowed the stack
    // (a statement of 2 000 line images, each within a card's 80 characters).
    let not = format!(
        "JOB,JN=H.\nIF({}1)\nENDIF.\n",
        format!("{}^\n", ".NOT.".repeat(10)).repeat(2_000)
    );
    expect(&not, 1, &[" expression: nested more than 64 deep"]);
    // Each statement looked at every open IF block: 100000 nested IFs took 16 s.
    let deep = format!("JOB,JN=H.\n{}COPY.\n", "IF(1)\n".repeat(100_000));
    let stderr = expect(&deep, 1, &[" IF: more than 64 IF blocks would be open"]);
    assert!(stderr.len() < 2000, "the job ends at the 65th IF");
    // Each ELSEIF copied every symbol: 40000 SETs and ELSEIFs took minutes.
    let n = 10_000;
    let many: String = (0..n).map(|k| format!("SET(S{k}={k})\n")).collect();
    let deck = format!(
        "JOB,JN=H.\n{many}IF(0)\n{}ELSEIF(S9.EQ.9)\nCOPY.\nENDIF.\n/EOF\nx\n",
        "ELSEIF(1.EQ.0)\n".repeat(n)
    );
    let started = std::time::Instant::now();
    let (status, stderr, stdout) = run(&deck);
    assert_eq!((status, stdout.as_str()), (Some(0), "x\n"), "{stderr}");
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(15), "{took:?}");
    // Rounding MFL up to 512 words wrapped to 0.
    expect(
        "JOB,JN=H,MFL=18446744073709551615.\nEXIT.\n",
        2,
        &["MFL=18446744073709551615: above the system maximum field length"],
    );
    // A deck of statements only ended, and then its T=0 ended it a second time.
    let stderr = expect("JOB,JN=H,T=0.\nASSIGN,DN=A.\nEXIT.\n", 0, &[]);
    assert_eq!(stderr.matches(" JOB ENDED").count(), 1, "{stderr}");
    assert!(!stderr.contains("TIME LIMIT"), "{stderr}");
    // MODIFY took any u32 edition, and the next SAVE's edition overflowed.
    expect(
        "JOB,JN=H.\nSAVE,DN=$IN,PDN=P.\nACCESS,DN=B,PDN=P.\nMODIFY,DN=B,ED=4294967295.\n",
        1,
        &[" MODIFY: ED=4294967295: editions are 1 to 4095"],
    );
    // Only a plain name is looked for in the system directory (an absolute verb,
    // /TMP/X, named a host file outside it).
    std::fs::create_dir(site.path("sys/SUB")).unwrap();
    std::fs::copy(site.path("sys/COPY.bin"), site.path("sys/SUB/COPY.bin")).unwrap();
    expect(
        "JOB,JN=H.\nSUB/COPY.\n/EOF\nx\n",
        1,
        &["SUB/COPY is not a system verb"],
    );
    // A dataset copied into itself doubles at each round: refused at 256 MiB.
    let mut doubling = "JOB,JN=H.\nCOPYF,I=$IN,O=A.\n".to_string();
    for _ in 0..40 {
        doubling += "REWIND,DN=A.\nCOPYD,I=A,O=B.\nREWIND,DN=B.\nSKIPD,DN=A.\nCOPYD,I=B,O=A.\n";
    }
    doubling += "/EOF\nrecord\n";
    expect(&doubling, 1, &["bytes (256 MiB) they may take together"]);
    // FETCH names what is wrong with the file as words, not as Errno(13).
    expect(
        "JOB,JN=H.\nFETCH,DN=F,TEXT='../x'.\n",
        1,
        &[" FETCH: ../x: not a file name under the root (EACCES (13))"],
    );
    // A user longer than the catalogue's 15 characters saved datasets that its
    // pages showed cut short, so DMP10 could not find them.
    expect(
        &format!("JOB,JN=H,US={}.\nEXIT.\n", "U".repeat(16)),
        2,
        &["US= has 16 characters, at most 15"],
    );
    expect(
        &format!("JOB,JN=H.\nACCOUNT,US={}.\n", "U".repeat(16)),
        1,
        &[" ACCOUNT: US= has more than 15 characters"],
    );
    // JOB without a terminator is a JOB statement, as the syntax takes it.
    let (status, stderr, stdout) = run("JOB,JN=H\nCOPY.\n/EOF\nx\n");
    assert_eq!((status, stdout.as_str()), (Some(0), "x\n"), "{stderr}");
    // A file of one long line that is not a deck gets a short message.
    let (status, stderr, _) = run(&"x".repeat(100_000));
    assert_eq!(status, Some(2));
    assert!(stderr.len() < 400, "{} bytes: {stderr}", stderr.len());
}

/// A deck cannot replace the files of the permanent-dataset store when `--pds` lies
/// under `--root` (as the site's `pds` does): DISPOSE to the front end naming the
/// catalogue, or a dataset in the store's directory, is refused with the reason, and
/// the catalogue still holds what SAVE put there.
#[test]
fn dispose_cannot_replace_the_store() {
    let site = Site::new();
    let deck = "JOB,JN=D.\nSAVE,DN=$IN,PDN=KEEP.\n\
DISPOSE,DN=$IN,DC=ST,DF=CB,TEXT='pds/catalogue.json'.\n/EOF\nx\n";
    let out = site.run("d", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a file of the permanent-dataset store (--pds)"),
        "{stderr}"
    );
    assert_eq!(site.catalogue_json()["entries"][0]["pdn"], "KEEP");
}

/// The site with `sys/WBLOCKS.bin`, `sys/RBLOCKS.bin` and `sys/RSEQ.bin` too
/// (images/cos/wblocks.cal writes dataset RAW as two unblocked blocks by block
/// number, rblocks.cal reads them back by block number and rseq.cal with plain
/// F$RDCs; each reader aborts unless it gets the words written).
fn site_with_block_programs() -> Site {
    let site = Site::new();
    for name in ["wblocks", "rblocks", "rseq"] {
        site.install_program(
            &name.to_ascii_uppercase(),
            &common::image(&format!("cos/{name}.cal")),
        );
    }
    site
}

/// A dataset a step writes by block number that is not a blocked dataset is kept
/// whole as an unblocked dataset: a later step reads the same words back by block
/// number, SAVE keeps it in the store as such (its entry says so and counts its
/// words), and ACCESS in another job gives it back, read by block number again;
/// DISPOSE stages its words (DF=TR) and refuses to print it. Without the writer,
/// the reader finds no such words and aborts.
#[test]
fn an_unblocked_dataset_written_by_block_number_is_kept_saved_and_accessed() {
    let site = site_with_block_programs();
    let deck = "JOB,JN=W,US=ME.\nWBLOCKS.\nRBLOCKS.\nSAVE,DN=RAW,PDN=RAWDS.\n\
                RELEASE,DN=RAW.\nACCESS,DN=RAW,PDN=RAWDS.\nRBLOCKS.\n";
    let stderr = ok(&site.run("w", deck, &[]));
    assert!(!stderr.contains("F$WDC data"), "{stderr}");
    assert!(
        stderr.contains(" PDN=RAWDS ID= ED=1 OWN=ME SAVED FROM RAW"),
        "{stderr}"
    );
    let catalogue = site.catalogue_json();
    let entry = &catalogue["entries"][0];
    assert_eq!(entry["unblocked"], true, "{catalogue}");
    assert_eq!(entry["words"], 1024, "two blocks");
    let file = site.path("pds/data").join(entry["file"].as_str().unwrap());
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(bytes.len(), 1024 * 8, "the words as they are");
    assert_eq!(bytes[8..16], (1u64 << 63 | 1).to_be_bytes());

    let deck = "JOB,JN=A,US=ME.\nACCESS,DN=RAW,PDN=RAWDS.\nRBLOCKS.\nDISPOSE,DN=RAW,NA.\n\
                DISPOSE,DN=RAW,DC=ST,DF=TR,SDN=RAWOUT.\n";
    let stderr = ok(&site.run("a", deck, &[]));
    assert!(stderr.contains("ACCESSED AS RAW"), "{stderr}");
    assert!(
        stderr.contains(" DISPOSE: RAW is an unblocked dataset, without records"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(site.path("RAWOUT")).unwrap(), bytes);
    let out = site.run("n", "JOB,JN=N,US=ME.\nRBLOCKS.\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(" RBLOCKS ABORTED (exit status 1)"));
}

/// A plain (sequential) F$RDC of an unblocked dataset reads its words as they
/// are, as COS's F$RDC moved a dataset's blocks without looking inside them: RSEQ
/// gets the 1024 words WBLOCKS wrote, then the EOF status in DPERR and no more
/// words. The read leaves the dataset as it was (RBLOCKS reads it by block number
/// after it, and SAVE keeps its 1024 words); it is no longer refused as `F$WDC
/// data` that is not a blocked dataset. Without the writer, RSEQ finds nothing.
#[test]
fn a_plain_read_of_an_unblocked_dataset_gets_its_words() {
    let site = site_with_block_programs();
    // Each step opens RAW afresh: the second RSEQ reads from block 0 again.
    let deck = "JOB,JN=Q,US=ME.\nWBLOCKS.\nRSEQ.\nRBLOCKS.\nRSEQ.\nSAVE,DN=RAW,PDN=SEQ.\n";
    let stderr = ok(&site.run("q", deck, &[]));
    assert!(!stderr.contains("F$WDC data"), "{stderr}");
    let catalogue = site.catalogue_json();
    let entry = &catalogue["entries"][0];
    assert_eq!(entry["unblocked"], true, "{catalogue}");
    assert_eq!(entry["words"], 1024, "{catalogue}");
    let out = site.run("n", "JOB,JN=N,US=ME.\nRSEQ.\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(" RSEQ ABORTED (exit status 1)"));
}

/// A store written before unblocked datasets were kept has no `unblocked` in its
/// entries: they read as blocked, as every dataset of such a store is, and a store
/// of blocked datasets is written without the key, as before.
#[test]
fn a_store_without_the_unblocked_mark_reads_as_blocked() {
    let site = Site::new();
    let deck = "JOB,JN=S,US=ME.\nSAVE,DN=$IN,PDN=TEXT.\n/EOF\nline\n";
    ok(&site.run("s", deck, &[]));
    assert!(
        !site.catalogue().contains("unblocked"),
        "{}",
        site.catalogue()
    );
    let deck = "JOB,JN=R,US=ME.\nACCESS,DN=T,PDN=TEXT.\nCOPYD,I=T.\n";
    let out = site.run("r", deck, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "line\n");
}

/// The deck of the checkpoint tests: dataset A (one line) disposed with DEFER,
/// an unblocked dataset written by block number, then a long COPY (where the
/// checkpoint falls) and a read of the unblocked blocks.
fn deferred_deck(lines: &str) -> String {
    format!(
        "JOB,JN=DF,US=ME.\nCOPYF,I=$IN,O=A.\nDISPOSE,DN=A,DEFER.\nWBLOCKS.\nCOPY.\nRBLOCKS.\n\
         /EOF\ndeferred line\n/EOF\n{lines}"
    )
}

/// DISPOSE,DEFER as COS did it: the disposition is kept in the job and done when
/// the dataset is released (before the output of the steps after the RELEASE) or,
/// without a RELEASE, when the job ends (after the output of every step); a later
/// DISPOSE of the dataset takes its place.
#[test]
fn a_deferred_disposition_is_done_at_the_release_or_at_the_end_of_the_job() {
    let site = Site::new();
    let at_release = "JOB,JN=R.\nCOPYF,I=$IN,O=A.\nDISPOSE,DN=A,DEFER.\nCOPY.\n\
                      RELEASE,DN=A.\nCOPY.\n/EOF\nfirst\n/EOF\nsecond\n/EOF\nthird\n";
    let out = site.run("r", at_release, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "second\nfirst\nthird\n");
    assert!(
        stderr.contains(" DISPOSE: A: deferred to its release or the end of the job"),
        "{stderr}"
    );

    let at_end =
        "JOB,JN=E.\nCOPYF,I=$IN,O=A.\nCOPYF,I=$IN,O=B.\nDISPOSE,DN=B,DC=ST,SDN=BOUT,DEFER.\n\
                  DISPOSE,DN=A,DEFER.\nCOPY.\n/EOF\nfirst\n/EOF\nsecond\n/EOF\nthird\n";
    let out = site.run("e", at_end, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "third\nfirst\n");
    assert_eq!(
        std::fs::read_to_string(site.path("BOUT")).unwrap(),
        "second\n"
    );
    // In the order given, then the job ends.
    let staged = stderr.find(" DISPOSE: B: 7 bytes to BOUT").unwrap();
    assert!(staged < stderr.find(" JOB ENDED").unwrap(), "{stderr}");

    let replaced = "JOB,JN=P.\nCOPYF,I=$IN,O=A.\nDISPOSE,DN=A,DEFER.\nDISPOSE,DN=A,DC=SC,DEFER.\n\
                    /EOF\nfirst\n";
    let out = site.run("p", replaced, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "", "scratched: the later disposition");
}

/// A deck checkpointed in the middle of a step after a DISPOSE,DEFER and the write
/// of an unblocked dataset, and restarted, ends as a run straight through: the
/// deferred line is printed once, at the end, the unblocked words read back, and
/// the clock and state hash are the same.
#[test]
fn a_deferred_disposition_and_an_unblocked_dataset_outlive_a_checkpoint() {
    let lines: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let deck = deferred_deck(&lines);
    let site = site_with_block_programs();
    let whole_json = site.path("whole.json");
    let out = site.run("df", &deck, &["--stats-json", whole_json.to_str().unwrap()]);
    ok(&out);
    let whole_stdout = text(&out.stdout);
    assert_eq!(whole_stdout, format!("{lines}deferred line\n"));
    let whole = stats(&whole_json);

    let site = site_with_block_programs();
    let image = site.path("half.chk");
    let half = (whole["cycles"].as_u64().unwrap() / 2).to_string();
    let out = site.run(
        "df",
        &deck,
        &["--stop-at", &half, "--checkpoint", image.to_str().unwrap()],
    );
    assert!(image.exists(), "{}", text(&out.stderr));
    let first_part = text(&out.stdout);
    assert!(first_part.len() < lines.len(), "stopped inside COPY");
    let json = site.path("restarted.json");
    let out = site.restart(&image, &["--stats-json", json.to_str().unwrap()]);
    ok(&out);
    assert_eq!(first_part + &text(&out.stdout), whole_stdout);
    let restarted = stats(&json);
    assert_eq!(restarted["cycles"], whole["cycles"]);
    assert_eq!(restarted["state_hash"], whole["state_hash"]);
}

/// `--resume` after a crash (here `--max-cycles` inside the COPY step, past the
/// DISPOSE,DEFER) continues from the newest periodic image: the deferred line is
/// printed once, by the run that reaches the end, and the job ends as a run
/// straight through does.
#[test]
fn a_deferred_disposition_is_done_once_by_a_resumed_deck() {
    let lines: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let deck = deferred_deck(&lines);
    let straight = site_with_block_programs();
    let json = straight.path("straight.json");
    ok(&straight.run("df", &deck, &["--stats-json", json.to_str().unwrap()]));
    let whole = stats(&json);
    let cycles = whole["cycles"].as_u64().unwrap();

    let site = site_with_block_programs();
    let (stopped, out) = site.stop_and_resume("df", &deck, cycles / 5, cycles * 3 / 5, &[]);
    assert!(!text(&stopped.stdout).contains("deferred line"));
    let stderr = ok(&out);
    assert!(
        stderr.contains("cray: resume: continuing job 1 from"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout).matches("deferred line").count(), 1);
    assert!(text(&out.stdout).ends_with("line 299\ndeferred line\n"));
    let resumed = stats(&site.path("resumed.json"));
    assert_eq!(resumed["cycles"], whole["cycles"]);
    assert_eq!(resumed["state_hash"], whole["state_hash"]);
}

/// The JCB words 0101-0103 a step sees at its third instruction under `cray debug`.
fn jcb_at_start(site: &Site, deck: &Path) -> (u64, u64, String) {
    use std::io::Write;
    let mut debug = cray()
        .args(["debug", "--system-dir"])
        .arg(site.path("sys"))
        .arg(deck)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    debug
        .stdin
        .take()
        .unwrap()
        .write_all(b"goto instruction 3\nx 0101 3\nq\n")
        .unwrap();
    let out = debug.wait_with_output().unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let jcb = said
        .lines()
        .find(|l| l.trim_start().starts_with("0101:"))
        .unwrap_or_else(|| panic!("{said}"));
    let words: Vec<u64> = jcb
        .split_whitespace()
        .skip(1)
        .map(|w| u64::from_str_radix(w, 8).unwrap())
        .collect();
    (words[0] & 0xFF_FFFF, words[2] >> 24 & 0xFF_FFFF, said)
}

/// MEMORY,FL= (decimal words, rounded up to 512) gives the later steps that field
/// instead of the whole MFL, in JCFL and JCMFL; MEMORY,AUTO gives them the MFL
/// again. A field above the MFL, a parameter not grounded here (USER), or
/// neither FL nor AUTO is refused with a line that names it.
#[test]
fn memory_sets_the_field_length_of_the_later_steps() {
    let site = Site::new();
    let deck = site.path("m.job");
    std::fs::write(
        &deck,
        "JOB,JN=M,MFL=200000.\nMEMORY,FL=100000.\nCOPY.\n/EOF\nx\n",
    )
    .unwrap();
    let (fl, mfl, said) = jcb_at_start(&site, &deck);
    // 100 000 words rounded up: 0304000 (100 352).
    assert_eq!((fl, mfl), (0o304000, 0o304000), "{said}");
    std::fs::write(
        &deck,
        "JOB,JN=M,MFL=200000.\nMEMORY,FL=100000.\nMEMORY,AUTO.\nCOPY.\n/EOF\nx\n",
    )
    .unwrap();
    let (fl, mfl, said) = jcb_at_start(&site, &deck);
    // The MFL: 200 000 rounded up, 0607000 (200 192).
    assert_eq!((fl, mfl), (0o607000, 0o607000), "{said}");

    let out = site.run(
        "m2",
        "JOB,JN=M,MFL=200000.\nMEMORY,FL=100000.\nCOPY.\nMEMORY,AUTO.\nCOPY.\n/EOF\nx\n/EOF\ny\n",
        &[],
    );
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "x\ny\n");
    assert!(
        stderr.contains(" MEMORY: FL=100352 for the steps that follow"),
        "{stderr}"
    );
    assert!(
        stderr.contains(" MEMORY: AUTO: the steps that follow get the MFL, 200192 words"),
        "{stderr}"
    );
    for (statement, line) in [
        (
            "MEMORY,FL=300000.",
            " MEMORY: FL=300000: above the job's maximum field length of 200192 words (JOB,MFL=)",
        ),
        (
            "MEMORY,FL=90000,USER.",
            " MEMORY: USER not served here (only FL= and AUTO are known",
        ),
        ("MEMORY.", " MEMORY: FL= or AUTO is required"),
    ] {
        let out = site.run(
            "m3",
            &format!("JOB,JN=M,MFL=200000.\n{statement}\nCOPY.\n/EOF\nx\n"),
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{statement}");
        assert!(
            text(&out.stderr).contains(line),
            "{line:?} in {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "the step after it is skipped");
    }
}

/// GENCAT (COS 1.17, held out of the repository: `CRAY_HELD_SYS`, default
/// /work/held/sys, must hold gencat.bin, else the test passes without running)
/// saves `$MASTER` right after defining it, then writes its regions by block
/// number: the saved edition takes the words at the job's end, as an unblocked
/// dataset as large as the catalogue installed, and a later job ACCESSes it.
#[test]
fn gencat_s_master_catalog_is_kept_whole_in_the_store() {
    let held = std::env::var_os("CRAY_HELD_SYS")
        .map_or_else(|| PathBuf::from("/work/held/sys"), PathBuf::from);
    let gencat = held.join("gencat.bin");
    if !gencat.is_file() {
        eprintln!("skipped: {} is absent", gencat.display());
        return;
    }
    let site = Site::new();
    std::fs::copy(&gencat, site.path("sys/GENCAT.bin")).unwrap();
    // GENCAT reads the Dataset Catalog: a store with one dataset (as the store of
    // the runs that found this, /tmp/gc2/pds0, has).
    ok(&site.run(
        "s",
        "JOB,JN=S,US=SYSTEM.\nSAVE,DN=$IN,PDN=DATA.\n/EOF\nx\n",
        &[],
    ));
    let deck = "JOB,JN=JGENCAT,US=SYSTEM,T.\nACCOUNT,AC=CRAY,APW=XYZZY,UPW=QUASAR.\nGENCAT.\nEXIT.\n\
                /EOF\nMCD,PDN=$MASTER,R=QUASAR,W=QUASAR,M=QUASAR.\n\
                BCD,PDN=$BACKUP,R=QUASAR,W=QUASAR,M=QUASAR.\nCREATE,CAT=BACKUP.\nCREATE,CAT=MASTER.\n";
    let out = site.run("g", deck, &["--max-cycles", "4000000000"]);
    let stderr = ok(&out);
    assert!(stderr.contains("GC012 - GENCAT complete."), "{stderr}");
    assert!(!stderr.contains("F$WDC data"), "{stderr}");
    let catalogue = site.catalogue_json();
    let entries = catalogue["entries"].as_array().unwrap();
    let master = entries
        .iter()
        .find(|e| e["pdn"] == "$MASTER")
        .unwrap_or_else(|| panic!("{catalogue}\n{stderr}"));
    assert_eq!(master["unblocked"], true, "{catalogue}");
    // Its size is the catalogue GENCAT installed: 51 regions of 36 sectors.
    let installed = catalogue["installed"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["pdn"] == "$MASTER"))
        .unwrap_or_else(|| panic!("{catalogue}"));
    let sectors = installed["regions"].as_u64().unwrap() * installed["sectors"].as_u64().unwrap();
    assert_eq!(master["words"].as_u64(), Some(sectors * 512), "{catalogue}");
    let access = "JOB,JN=A,US=SYSTEM.\nACCESS,DN=M,PDN=$MASTER,R=QUASAR.\n";
    let stderr = ok(&site.run("a", access, &[]));
    assert!(stderr.contains("ACCESSED AS M"), "{stderr}");
}

/// A crash of `cray batch` (the runner and its job killed at once, after a periodic
/// checkpoint taken past a DISPOSE,DEFER) and the next `cray batch run`: the job
/// continues from its checkpoint, its output file cut back to the checkpoint's mark,
/// and the deferred disposition, done at the job's end, is in the output once.
#[test]
fn a_deferred_disposition_is_printed_once_after_a_crash_of_cray_batch() {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let site = Site::new();
    site.install_spin();
    // COPY prints, then SPIN runs until the time limit (one second of the machine's
    // clock) ends the job, whose end disposes of A.
    let deck = site.path("b.job");
    std::fs::write(
        &deck,
        "JOB,JN=B,T=1.\nCOPYF,I=$IN,O=A.\nDISPOSE,DN=A,DEFER.\nCOPY.\nSPIN.\n\
         /EOF\ndeferred line\n/EOF\nbefore\n",
    )
    .unwrap();
    let queue = site.path("q");
    let dir = site.dir.path().to_str().unwrap();
    let submitted = cray()
        .args(["batch", "submit"])
        .arg(&queue)
        .args(["--root", dir, "--system-dir"])
        .arg(site.path("sys"))
        .arg("--pds")
        .arg(site.path("pds"))
        .arg(&deck)
        .output()
        .unwrap();
    ok(&submitted);
    let runner = || {
        let mut command = cray();
        command
            .args(["batch", "run"])
            .arg(&queue)
            .args(["--checkpoint-every", "20000000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut first = runner().process_group(0).spawn().unwrap();
    let job = queue.join("0001");
    wait_until("the job's first checkpoint", || holds_checkpoint(&job));
    let crash = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", first.id())])
        .status()
        .unwrap();
    assert!(crash.success());
    let _ = first.wait();
    let out = runner().output().unwrap();
    let said = text(&out.stderr);
    assert!(said.contains("job 1 ended"), "{said}");
    let stdout = std::fs::read_to_string(job.join("stdout")).unwrap();
    assert_eq!(stdout, "before\ndeferred line\n");
    let stderr = std::fs::read_to_string(job.join("stderr")).unwrap();
    assert!(stderr.contains("resume: continuing job 1"), "{stderr}");
}

/// CALL,DN=dn runs a local dataset's statements as a procedure: a program it names
/// runs as a step of the job (COPY reads the next file of `$IN`), RETURN ends it
/// (the statements after it are not run), the end of its statements returns too,
/// and procedures nest; the JCL symbols are the job's.
#[test]
fn call_runs_a_datasets_statements_as_a_procedure_and_return_ends_it() {
    let site = Site::new();
    std::fs::write(
        site.path("p"),
        "* the procedure P\nSET(J1=J1+1)\nCOPY.\nRETURN.\nSET(J2=99)\n",
    )
    .unwrap();
    std::fs::write(site.path("a"), "COPY.\nCALL,DN=B.\nSET(J3=J3+1)\n").unwrap();
    std::fs::write(site.path("b"), "SET(J3=J3+10)\nCOPY.\n").unwrap();
    let log = site.path("c.log");
    let deck = "JOB,JN=C.\n\
FETCH,DN=P,TEXT=P,DF=CB.\n\
FETCH,DN=A,TEXT=A.\n\
FETCH,DN=B,TEXT=B.\n\
CALL,DN=P.\n\
CALL,DN=P.\n\
CALL,DN=A.\n\
IF(J1.EQ.2.AND.J2.EQ.0.AND.J3.EQ.11)\n\
COPY.\n\
ENDIF.\n\
/EOF\nfirst\n/EOF\nsecond\n/EOF\nthird\n/EOF\nfourth\n/EOF\nfifth\n";
    let out = site.run("c", deck, &["--log", log.to_str().unwrap()]);
    ok(&out);
    assert_eq!(text(&out.stdout), "first\nsecond\nthird\nfourth\nfifth\n");
    let log = std::fs::read_to_string(&log).unwrap();
    let from_call = &log[log.find("CALL,DN=P.").unwrap()..];
    assert!(
        from_call.starts_with(
            "CALL,DN=P.\n* the procedure P\nSET(J1=J1+1)\nCOPY.\nRETURN.\nCALL,DN=P.\n"
        ),
        "{log}"
    );
    assert!(
        log.contains("CALL,DN=A.\nCOPY.\nCALL,DN=B.\nSET(J3=J3+10)\nCOPY.\nSET(J3=J3+1)\nIF("),
        "{log}"
    );
    assert!(!log.contains("SET(J2=99)"), "{log}");

    // A dataset --dataset maps to a host file is found as a program is.
    std::fs::write(site.path("m"), "COPY.\n").unwrap();
    let out = site.run(
        "m",
        "JOB,JN=M.\nCALL,DN=M.\n/EOF\nmapped\n",
        &["--dataset", "M=m"],
    );
    ok(&out);
    assert_eq!(text(&out.stdout), "mapped\n");
}

/// What CALL and RETURN refuse, and how an abort inside a procedure is handled:
/// it skips to the procedure's next EXIT, or, with none, returns and skips to its
/// caller's; a procedure that calls itself ends at the nesting limit.
#[test]
fn an_abort_in_a_procedure_skips_to_its_exit_or_its_callers() {
    let site = Site::new();
    std::fs::write(site.path("e"), "NOSUCH.\nCOPY.\nEXIT.\nCOPY.\n").unwrap();
    std::fs::write(site.path("n"), "NOSUCH.\nCOPY.\n").unwrap();
    std::fs::write(site.path("r"), "SET(J1=J1+1)\nCALL,DN=R.\nCOPY.\n").unwrap();
    let fetch = "FETCH,DN=E,TEXT=E.\nFETCH,DN=N,TEXT=N.\nFETCH,DN=R,TEXT=R.\n";
    let input = "/EOF\none\n/EOF\ntwo\n/EOF\nthree\n";

    // The procedure's own EXIT: its last COPY runs, then the deck goes on.
    let out = site.run(
        "e",
        &format!("JOB,JN=E.\n{fetch}CALL,DN=E.\nCOPY.\n{input}"),
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("NOSUCH is not a system verb"), "{stderr}");
    assert_eq!(text(&out.stdout), "one\ntwo\n");

    // No EXIT in the procedure: the caller's.
    let deck = format!("JOB,JN=N.\n{fetch}CALL,DN=N.\nCOPY.\nEXIT.\nCOPY.\n{input}");
    let out = site.run("n", &deck, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "one\n");

    // A procedure calling itself: 16 deep, then refused, and no COPY of any runs.
    let deck = format!("JOB,JN=R.\n{fetch}CALL,DN=R.\nEXIT.\nIF(J1.EQ.16)\nCOPY.\nENDIF.\n{input}");
    let out = site.run("r", &deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" CALL: DN=R: procedures would nest more than 16 deep"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "one\n");

    for (statement, says) in [
        ("RETURN.", " RETURN: no procedure is running"),
        (
            "CALL,DN=Q.",
            " CALL: DN=Q: the job has no such local dataset",
        ),
        ("CALL.", " CALL: DN= is required"),
        ("CALL,DN=E,CNS.", " CALL: parameter CNS is not served"),
        ("RETURN,ABORT.", " RETURN: parameter ABORT is not served"),
    ] {
        let deck = format!("JOB,JN=B.\n{fetch}{statement}\nEXIT.\nCOPY.\n{input}");
        let out = site.run("b", &deck, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{statement}: {stderr}");
        assert!(stderr.contains(says), "{says:?} in {stderr}");
        assert_eq!(text(&out.stdout), "one\n", "{statement}");
    }
    // A procedure whose blocks do not fit is refused at the CALL.
    std::fs::write(site.path("l"), "LOOP.\nCOPY.\n").unwrap();
    let deck = "JOB,JN=L.\nFETCH,DN=L,TEXT=L.\nCALL,DN=L.\n";
    let out = site.run("l", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" CALL: DN=L: statement 1 (LOOP.): no ENDLOOP closes it"),
        "{stderr}"
    );
}

/// A deck checkpointed in the middle of a step of a CALLed procedure, and
/// restarted (or resumed), ends as a run straight through: the procedure's
/// statements and the caller's place are part of the deck's saved state.
#[test]
fn a_deck_checkpointed_inside_a_procedure_restarts_the_same() {
    let deck = format!(
        "JOB,JN=PC.\nFETCH,DN=P,TEXT=P.\nCALL,DN=P.\nIF(J1.EQ.1)\nCOPY.\nENDIF.\n{}",
        three_files_of_200_lines()
    );
    let procedure = "COPY.\nSET(J1=1)\nCOPY.\nRETURN.\nCOPY.\n";
    checkpointed_half_way_ends_as_straight_through(
        "pc",
        &deck,
        &[("p", procedure)],
        "the procedure's second COPY",
    );
}

/// Three data files for a deck's `$IN`, each `/EOF` then 200 lines `file F line I`.
fn three_files_of_200_lines() -> String {
    (0..3)
        .map(|f| {
            let lines: String = (0..200).map(|i| format!("file {f} line {i}\n")).collect();
            format!("/EOF\n{lines}")
        })
        .collect()
}

/// Runs `deck` (named `name`, with the host files `files` beside it) straight
/// through, copying its `$IN` (600 lines) to its output; then stopped half way with
/// a checkpoint, which must fall inside `inside` (after the second file's first line
/// and before its last), and restarted from the image; then stopped at a seventh and
/// resumed from its newest periodic checkpoint. Both must print what the straight
/// run printed and end at its clock and state hash.
fn checkpointed_half_way_ends_as_straight_through(
    name: &str,
    deck: &str,
    files: &[(&str, &str)],
    inside: &str,
) {
    let site_with_files = || {
        let site = Site::new();
        for (file, text) in files {
            std::fs::write(site.path(file), text).unwrap();
        }
        site
    };
    let site = site_with_files();
    let whole_json = site.path("whole.json");
    let out = site.run(name, deck, &["--stats-json", whole_json.to_str().unwrap()]);
    ok(&out);
    let whole_stdout = text(&out.stdout);
    assert_eq!(whole_stdout.lines().count(), 600);
    let whole = stats(&whole_json);

    let site = site_with_files();
    let image = site.path("half.chk");
    let half = (whole["cycles"].as_u64().unwrap() / 2).to_string();
    let out = site.run(
        name,
        deck,
        &["--stop-at", &half, "--checkpoint", image.to_str().unwrap()],
    );
    assert!(image.exists(), "{}", text(&out.stderr));
    let first_part = text(&out.stdout);
    assert!(
        first_part.contains("file 1 line 0\n") && !first_part.contains("file 1 line 199\n"),
        "stopped inside {inside}: {first_part}"
    );
    let restarted_json = site.path("restarted.json");
    let out = site.restart(&image, &["--stats-json", restarted_json.to_str().unwrap()]);
    ok(&out);
    assert_eq!(first_part + &text(&out.stdout), whole_stdout);
    let restarted = stats(&restarted_json);
    assert_eq!(restarted["cycles"], whole["cycles"]);
    assert_eq!(restarted["state_hash"], whole["state_hash"]);

    let cycles = whole["cycles"].as_u64().unwrap();
    let site = site_with_files();
    ok(&site
        .stop_and_resume(name, deck, cycles / 7, cycles / 2, &[])
        .1);
    let resumed = stats(&site.path("resumed.json"));
    assert_eq!(resumed["cycles"], whole["cycles"]);
    assert_eq!(resumed["state_hash"], whole["state_hash"]);
}

/// ACQUIRE is ACCESS of a dataset the store has (front-end parameters accepted);
/// one the store lacks is refused with the reason (no front end to get it from).
#[test]
fn acquire_accesses_a_stored_dataset_or_says_why_not() {
    let site = Site::new();
    ok(&site.run(
        "save",
        "JOB,JN=S,US=ME.\nSAVE,DN=$IN,PDN=DATA,ID=X.\n/EOF\nkept\n",
        &[],
    ));
    let acquire = "JOB,JN=A,US=ME.\nRELEASE,DN=$IN.\n\
ACQUIRE,DN=$IN,PDN=DATA,ID=X,DF=CB,MF=AP,TEXT='USER,GUEST.GET,DATA.'.\nCOPY.\n";
    let out = site.run("acquire", acquire, &[]);
    let stderr = ok(&out);
    assert!(
        stderr.contains(" PDN=DATA ID=X ED=1 OWN=ME ACCESSED AS $IN, PERMISSION M"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "kept\n");
    let out = site.run(
        "missing",
        "JOB,JN=M,US=ME.\nACQUIRE,DN=D,PDN=NONE,MF=AP.\n",
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            " ACQUIRE: PDN=NONE ID= OWN=ME: DATASET NOT FOUND: ACQUIRE takes it from the permanent-dataset store only"
        ),
        "{stderr}"
    );
    let out = site.run(
        "bad",
        "JOB,JN=B,US=ME.\nACQUIRE,DN=D,PDN=DATA,ID=X,XX=1.\n",
        &[],
    );
    assert!(text(&out.stderr).contains(" ACQUIRE: unknown parameter XX"));
}

/// ECHO,OFF=ALL stops the echo of the statements in the job log (the
/// interpreter's own lines stay) and ECHO,ON=ALL (COS-Tools' decks) starts it
/// again; another class is refused by name.
#[test]
fn echo_off_and_on_all_switch_the_statements_echo() {
    let site = Site::new();
    let log = site.path("e.log");
    let deck = "JOB,JN=E.\nECHO,OFF=ALL.\n* not echoed\nCOPY.\nNOSUCH,NA.\n\
                ECHO,ON=ALL.\nCOPY.\n/EOF\none\n/EOF\ntwo\n";
    let out = site.run("e", deck, &["--log", log.to_str().unwrap()]);
    ok(&out);
    assert_eq!(text(&out.stdout), "one\ntwo\n");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.starts_with(
            "JOB,JN=E.\nECHO,OFF=ALL.\n CONTROL STATEMENT ERROR: NOSUCH is not a system verb"
        ),
        "{log}"
    );
    assert!(log.ends_with("\nCOPY.\n JOB ENDED\n"), "{log}");
    assert!(
        !log.contains("not echoed") && !log.contains("ECHO,ON"),
        "{log}"
    );

    let out = site.run("j", "JOB,JN=J.\nECHO,ON=JCL.\nEXIT.\nCOPY.\n/EOF\nx\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" ECHO: ON=JCL: not served: SR-0011's message classes"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "x\n");
}

/// PROC ... ENDPROC defines a procedure in the deck, run by its name as CALL runs
/// a dataset's statements; a definition inside one is defined when the outer one
/// runs; an EXIT in a definition is not the deck's; formal parameters (whose
/// substitution is not known here) are refused.
#[test]
fn proc_defines_a_procedure_run_by_its_name() {
    let site = Site::new();
    let input = "/EOF\none\n/EOF\ntwo\n/EOF\nthree\n";
    let deck = format!(
        "JOB,JN=D.\nPROC.\n* the prototype\nTWICE.\nCOPY.\nCOPY.\nENDPROC.\nTWICE.\n\
         PROC.\nOUTER.\nPROC.\nINNER.\nCOPY.\nENDPROC.\nINNER.\nENDPROC.\nOUTER.\n{input}"
    );
    let out = site.run("d", &deck, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n");
    for defined in [
        " PROC: TWICE DEFINED",
        " PROC: OUTER DEFINED",
        " PROC: INNER DEFINED",
    ] {
        assert!(stderr.contains(defined), "{defined} in {stderr}");
    }
    assert!(
        stderr.contains(" PROC: TWICE DEFINED\nTWICE.\nCOPY.\nCOPY.\nPROC."),
        "the body is skipped at the definition and run at the invocation: {stderr}"
    );

    // INNER is not defined before OUTER runs; the definition's EXIT is skipped.
    let deck = format!(
        "JOB,JN=N.\nPROC.\nOUTER.\nPROC.\nINNER.\nEXIT.\nENDPROC.\nENDPROC.\nINNER.\n\
         EXIT.\nCOPY.\n{input}"
    );
    let out = site.run("n", &deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("INNER is not a system verb"), "{stderr}");
    assert!(!stderr.contains("ENDPROC: no PROC is open"), "{stderr}");
    assert_eq!(text(&out.stdout), "one\n");

    for (statements, says) in [
        (
            "PROC.\nP,X=1.\nCOPY.\nENDPROC.",
            " PROC: P: formal parameters are not served",
        ),
        ("ENDPROC.", " ENDPROC: no PROC is open"),
        (
            "PROC.\nP.\nCOPY.",
            " PROC: no ENDPROC closes the definition",
        ),
        ("PROC.\nENDPROC.", " PROC: no prototype statement"),
        ("PROC,X.\nP.\nENDPROC.", " PROC: takes no parameters"),
        (
            "PROC.\nP.\nCOPY.\nENDPROC.\nP,DN=X.",
            " P: the procedure has no formal parameters",
        ),
    ] {
        let deck = format!("JOB,JN=B.\n{statements}\nEXIT.\nCOPY.\n{input}");
        let out = site.run("b", &deck, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{statements}: {stderr}");
        assert!(stderr.contains(says), "{says:?} in {stderr}");
        assert_eq!(text(&out.stdout), "one\n", "{statements}");
    }
}

/// A deck job that crashes after a SAVE and before its first checkpoint (the SAVE
/// runs as the deck starts) starts again from its beginning under the number the
/// store knows it by (kept in its checkpoint directory): the SAVE is found made, and
/// the dataset is there once, as edition 1.
#[test]
fn a_deck_that_crashed_before_its_first_checkpoint_saves_once() {
    let site = Site::new();
    site.install_burn();
    let deck = "JOB,JN=S,US=ME.\nSAVE,DN=$IN,PDN=A.\nBURN.\n/EOF\nsaved once\n";
    // No image falls due before the crash, inside BURN.
    let (stopped, resumed) = site.stop_and_resume("s", deck, 100_000_000, 1_000_000, &[]);
    assert!(text(&stopped.stderr).contains(" PDN=A ID= ED=1 OWN=ME SAVED FROM $IN"));
    let stderr = ok(&resumed);
    assert!(stderr.contains("no checkpoint in"), "{stderr}");
    assert!(
        stderr.contains(" PDN=A ID= ED=1 OWN=ME SAVED FROM $IN"),
        "{stderr}"
    );
    assert_eq!(site.editions(), [("A".to_string(), 1)]);
}

/// A deck job continued from a checkpoint taken before an ACCESS, a MODIFY that
/// renames the dataset and a SAVE, which it made before a crash, makes them again
/// in effect only: the ACCESS finds the dataset under the name MODIFY gave it, and
/// each operation logs its line again, as in a run straight through; the store
/// holds each dataset once.
#[test]
fn a_resumed_deck_makes_the_store_operations_after_its_checkpoint_again_in_effect_only() {
    let site = Site::new();
    site.install_burn();
    ok(&site.run(
        "a",
        "JOB,JN=A,US=ME.\nSAVE,DN=$IN,PDN=A,M=MPW.\n/EOF\nx\n",
        &[],
    ));
    let deck = "JOB,JN=M,US=ME.\nBURN.\nACCESS,DN=L,PDN=A,M=MPW.\nMODIFY,DN=L,PDN=B.\n\
                SAVE,DN=$IN,PDN=C.\nBURN.\n/EOF\ndata\n";
    // The statements run at about clock period 2 360 000, between the image taken at
    // 2 000 000 and the crash at 3 000 000.
    let (stopped, resumed) = site.stop_and_resume("m", deck, 2_000_000, 3_000_000, &[]);
    let lines = [
        " PDN=A ID= ED=1 OWN=ME ACCESSED AS L, PERMISSION M",
        " PDN=B ID= ED=1 OWN=ME MODIFIED",
        " PDN=C ID= ED=1 OWN=ME SAVED FROM $IN",
    ];
    for line in lines {
        assert!(text(&stopped.stderr).contains(line), "{line:?}");
    }
    let stderr = ok(&resumed);
    assert!(stderr.contains("continuing job 1 from"), "{stderr}");
    for line in lines {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    assert_eq!(
        site.editions(),
        [("B".to_string(), 1), ("C".to_string(), 1)]
    );
}

/// A deck job continued from a checkpoint taken before it accessed a dataset that
/// it then deleted, before a crash, reads the dataset again: the store keeps a
/// deleted dataset's file until another job starts with it.
#[test]
fn a_resumed_deck_reads_again_a_dataset_it_deleted_after_its_checkpoint() {
    let site = Site::new();
    site.install_burn();
    ok(&site.run(
        "a",
        "JOB,JN=A,US=ME.\nSAVE,DN=$IN,PDN=A,M=MPW.\n/EOF\nkept for a rerun\n",
        &[],
    ));
    let deck = "JOB,JN=D,US=ME.\nBURN.\nACCESS,DN=Z,PDN=A,M=MPW.\nDELETE,DN=Z.\n\
                COPYF,I=Z,O=$OUT.\nBURN.\n";
    let (stopped, resumed) = site.stop_and_resume("d", deck, 2_000_000, 3_000_000, &[]);
    assert_eq!(text(&stopped.stdout), "kept for a rerun\n");
    let stderr = ok(&resumed);
    assert!(stderr.contains("continuing job 1 from"), "{stderr}");
    assert!(
        stderr.contains(" PDN=A ID= ED=1 OWN=ME DELETED"),
        "{stderr}"
    );
    assert_eq!(text(&resumed.stdout), "kept for a rerun\n");
    assert!(site.editions().is_empty());
    let data = || std::fs::read_dir(site.path("pds/data")).unwrap().count();
    assert_eq!(data(), 1, "kept while the job may be continued");
    ok(&site.run("n", "JOB,JN=N,US=ME.\n", &[]));
    assert_eq!(data(), 0, "gone once another job started");
}

/// A deck job continued from a checkpoint taken before an ACCESS, a write and an
/// ADJUST that it made before a crash leaves the dataset as the first ADJUST did:
/// stored, not written since, so the end of the job writes nothing back and the
/// store's entry is the one a run straight through leaves (same file, same times).
#[test]
fn a_resumed_deck_does_not_write_back_what_its_adjust_stored() {
    let deck = "JOB,JN=J,US=ME.\nBURN.\nACCESS,DN=S,PDN=A,M=MPW.\nCOPYF,I=$IN,O=S.\n\
                ADJUST,DN=S.\nBURN.\n/EOF\nnew contents\n";
    let site = || {
        let site = Site::new();
        site.install_burn();
        ok(&site.run(
            "a",
            "JOB,JN=A,US=ME.\nSAVE,DN=$IN,PDN=A,M=MPW.\n/EOF\nold\n",
            &[],
        ));
        site
    };
    let straight = site();
    ok(&straight.run("j", deck, &[]));
    let resumed = site();
    let (_, out) = resumed.stop_and_resume("j", deck, 2_000_000, 3_000_000, &[]);
    let stderr = ok(&out);
    assert!(stderr.contains("continuing job 1 from"), "{stderr}");
    assert!(
        stderr.contains(" PDN=A ID= ED=1 OWN=ME ADJUSTED"),
        "{stderr}"
    );
    assert_eq!(
        resumed.catalogue_json()["entries"],
        straight.catalogue_json()["entries"]
    );
}

/// A deck indented with tabs on the host: a tab before the verb left "no verb",
/// and one between parameters was "not allowed outside a literal".
#[test]
fn tabs_in_a_deck_are_blanks() {
    let site = Site::new();
    let deck = "JOB,JN=T.\t\n\tCOPY.\t* the first file\nSAVE,DN=$IN,\tPDN=TABBED.\n\
                \tIF(1.EQ.1)\n\t\tCOPY.\n\tENDIF.\nEXIT.\n/EOF\nx\n/EOF\ny\n";
    let out = site.run("t", deck, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "x\ny\n", "{stderr}");
    assert!(stderr.contains(" PDN=TABBED ID= ED=1"), "{stderr}");
}

/// Text after a statement's terminator is a comment (SR-0011), parentheses and
/// all: `IF(J1.EQ.5) then (copy)` read `J1.EQ.5)then(copy` as its expression and
/// failed. A failing expression names its statement (` SET: expression: ...`).
#[test]
fn a_comment_after_a_conditional_statement_is_not_its_expression() {
    let site = Site::new();
    let deck = "JOB,JN=C.\nSET(J1=0). start (at zero)\nLOOP.\n\
                EXITLOOP(J1.GE.2) stop at two (twice)\nSET(J1=J1+1) one more (again)\n\
                IF(J1.EQ.2) the second (round)\nCOPY.\nELSEIF(J1.EQ.9) never (nine)\n\
                ENDIF.\nENDLOOP.\nECHO,OFF=ALL.\nSET(J2=1/0)\nEXIT.\n/EOF\nx\n";
    let out = site.run("c", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "x\n", "{stderr}");
    assert!(!stderr.contains("unexpected"), "{stderr}");
    assert!(
        stderr.contains("\n SET: expression: division by zero\n"),
        "{stderr}"
    );
}

/// An abort skips to the next EXIT, and the job goes on inside the IF blocks
/// around that EXIT: their ENDIF closed no block ("ENDIF: no IF is open") and
/// aborted the job a second time. A procedure's abort keeps the IF blocks its
/// caller had open at the CALL, which the caller's ENDIF then closes.
#[test]
fn an_abort_skips_to_an_exit_inside_an_if_block() {
    let site = Site::new();
    let deck = "JOB,JN=E.\nIF(1.EQ.1)\nNOSUCH.\nCOPY.\nEXIT.\nCOPY.\nELSE.\nCOPY.\nENDIF.\n\
                COPY.\n/EOF\none\n/EOF\ntwo\n/EOF\nthree\n";
    let out = site.run("e", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("no IF is open"), "{stderr}");
    assert_eq!(text(&out.stdout), "one\ntwo\n", "{stderr}");

    std::fs::write(site.path("p"), "NOSUCH.\nCOPY.\nEXIT.\nCOPY.\n").unwrap();
    let deck = "JOB,JN=P.\nFETCH,DN=P,TEXT=P.\nIF(1.EQ.1)\nCALL,DN=P.\nCOPY.\nENDIF.\n\
                COPY.\n/EOF\none\n/EOF\ntwo\n/EOF\nthree\n";
    let out = site.run("p", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("no IF is open"), "{stderr}");
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n", "{stderr}");
}

/// The JOB statement takes SR-0011's parameters (JN of at most 7 characters, MFL,
/// T, P, US, OLM, CL, `*resource=n`); another, or a longer job name, was taken
/// without a word. A JOB statement that is not the deck's first is refused as
/// such, not looked for as a program.
#[test]
fn the_job_statement_takes_sr_0011_parameters_only() {
    let site = Site::new();
    let deck = "JOB,JN=PAYROLL,US=ME,T=10,MFL=200000,P=5,OLM=100,CL=BATCH,*TAPE=1.\n\
                COPY.\n/EOF\nx\n";
    let out = site.run("j", deck, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "x\n");
    for (job, says) in [
        ("JOB,JN=A,FOO=BAR.", "parameter FOO is not a JOB parameter"),
        (
            "JOB,JN=PAYROLL1.",
            "JN=PAYROLL1: a job name is 1 to 7 letters and digits",
        ),
        // SR-0011: "the only required parameter is JN"; such a deck ran nameless.
        (
            "JOB,US=ME.",
            "JN= is missing: the job name is the JOB statement's one required parameter",
        ),
        ("JOB.", "JN= is missing"),
    ] {
        let out = site.run("j", &format!("{job}\nCOPY.\n/EOF\nx\n"), &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{says:?} in {stderr}");
        assert_eq!(text(&out.stdout), "");
    }
    let out = site.run("j", "JOB,JN=A.\nJOB,JN=B.\nEXIT.\nCOPY.\n/EOF\nx\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(" JOB: only the deck's first statement is its JOB statement"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "x\n");
}

/// SR-0011: "The JOB, ACCOUNT, DUMPJOB, EXIT, and comment control statements
/// cannot be continued." `EXIT.^` joined the next statement to its comment, so the
/// error processing after it never ran; a continued JOB statement is refused.
#[test]
fn exit_and_job_statements_are_not_continued() {
    let site = Site::new();
    let out = site.run("e", "JOB,JN=E.\nNOSUCH.\nEXIT.^\nCOPY.\n/EOF\nx\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "x\n", "{stderr}");
    let out = site.run("j", "JOB,JN=J,^\nUS=ME.\nCOPY.\n/EOF\nx\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let says = "JOB: a caret (^) continues a statement only as the last character of its line";
    assert!(stderr.contains(says), "{stderr}");
}

/// A deck line longer than a card's 80 columns is taken (a host text deck is not
/// cut into cards, and what COS's stations did with a longer line is not known
/// here), as is a long statement continued over lines; but a program's statement
/// must fit the 80 characters of its image (JCCCI, which F$GNS hands the program):
/// a longer one aborts the step, saying so, and the job skips to EXIT.
#[test]
fn a_long_line_is_taken_but_a_program_statement_must_fit_its_image() {
    let site = Site::new();
    let long = format!("SAVE,DN=$IN,PDN=LONG,TEXT='{}'.", "A".repeat(100));
    let continued = format!("SAVE,DN=$IN,PDN=CONT,^\nTEXT='{}'.", "A".repeat(70));
    let program = format!("COPY,{}.", "B".repeat(90));
    let deck = format!(
        "JOB,JN=L.\n*{}\n{long}\n{continued}\n{program}\nCOPY.\nEXIT.\nCOPY.\n/EOF\nx\n/EOF\ny\n",
        "=".repeat(100)
    );
    let out = site.run("l", &deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(" PDN=LONG ID= ED=1"), "{stderr}");
    assert!(stderr.contains(" PDN=CONT ID= ED=1"), "{stderr}");
    assert!(
        stderr.contains("has 96 characters, at most 80 fit"),
        "{stderr}"
    );
    // The COPY before EXIT was skipped: the one after it copied the first file.
    assert_eq!(text(&out.stdout), "x\n");
}

/// ASSIGN, RELEASE, REWIND and DISPOSE took any parameter without a word (a
/// misspelt `DC`, an option whose effect is not served); SR-0011's ASSIGN
/// parameters are taken, another is refused by name and the job skips to EXIT.
#[test]
fn local_dataset_verbs_refuse_a_parameter_they_do_not_know() {
    let site = Site::new();
    let deck = "JOB,JN=A.\nASSIGN,DN=A,BS=20,DV=DD19,RDM,U.\nREWIND,DN=A.\nRELEASE,DN=A.\nEXIT.\n";
    ok(&site.run("a", deck, &[]));
    for (statement, says) in [
        ("ASSIGN,DN=A,XYZ=Q.", " ASSIGN: parameter XYZ is not served"),
        ("REWIND,DN=$IN,FOO.", " REWIND: parameter FOO is not served"),
        (
            "RELEASE,DN=$IN,HOLD.",
            " RELEASE: parameter HOLD is not served",
        ),
        (
            "DISPOSE,DN=$IN,NRLS.",
            " DISPOSE: parameter NRLS is not served",
        ),
    ] {
        aborts_to_exit(&site, statement, says);
    }
}

/// The copy and skip verbs took any parameter: `SKIPD,NR=2` skipped the whole
/// dataset and `COPYF,N=2` copied one file, without a word. A parameter a verb
/// does not take is refused by name.
#[test]
fn copy_and_skip_verbs_refuse_a_parameter_they_do_not_take() {
    let site = Site::new();
    for (statement, says) in [
        (
            "COPYF,I=$IN,O=X,N=2.",
            " COPYF: parameter N is not served (known here: I, O, NF, NA)",
        ),
        (
            "SKIPD,DN=$IN,NR=2.",
            " SKIPD: parameter NR is not served (known here: DN, NA)",
        ),
        (
            "COPYD,I=$IN,O=X,NF=1.",
            " COPYD: parameter NF is not served",
        ),
        ("SKIPR,DN=$IN,NF=1.", " SKIPR: parameter NF is not served"),
    ] {
        aborts_to_exit(&site, statement, says);
    }
}

/// ACCOUNT took any parameter, and SET any name (`SET(1=2)` made a symbol `1`
/// that no expression could read): each is refused by name.
#[test]
fn account_and_set_refuse_what_they_do_not_take() {
    let site = Site::new();
    let deck = "JOB,JN=A.\nACCOUNT,AC=123,APW=X,US=ME,UPW=Y.\nSET($N1=2)\nIF($N1.EQ.2)\nCOPY.\nENDIF.\n/EOF\nx\n";
    let out = site.run("a", deck, &[]);
    ok(&out);
    assert_eq!(text(&out.stdout), "x\n");
    for (statement, says) in [
        (
            "ACCOUNT,AC=1,FOO=2.",
            " ACCOUNT: parameter FOO is not served",
        ),
        ("SET(1=2)", " SET: \"1\" is not a symbol name"),
        (
            "IF(1.EQ.1)\nENDIF,X.",
            " ENDIF: parameter X is not served (ENDIF takes none)",
        ),
    ] {
        aborts_to_exit(&site, statement, says);
    }
}

/// A system verb read the first value of the first of its keywords: `SAVE,DN=A,
/// DN=B` saved A and `PDN=A:B` saved A, without a word. A keyword given twice, or
/// a list where one value belongs, is refused; RELEASE's and REWIND's DN lists are
/// lists.
#[test]
fn a_keyword_given_twice_or_a_list_for_one_value_is_refused() {
    let site = Site::new();
    let deck = "JOB,JN=A.\nCOPYF,I=$IN,O=X.\nCOPYF,I=$IN,O=Y.\nREWIND,DN=X:Y.\nRELEASE,DN=X:Y.\n\
                /EOF\none\n/EOF\ntwo\n";
    ok(&site.run("a", deck, &[]));
    for (statement, says) in [
        ("SAVE,DN=$IN,DN=X,PDN=P.", " SAVE: DN= is given twice"),
        (
            "SAVE,DN=$IN,PDN=A:B.",
            " SAVE: PDN=A:B: PDN takes one value",
        ),
        ("COPYF,I=$IN,O=X:Y.", " COPYF: O=X:Y: O takes one value"),
    ] {
        aborts_to_exit(&site, statement, says);
    }
    assert!(!site.catalogue().contains("\"A\""), "nothing saved as A");
}

/// Runs `statement` between a JOB and a `COPY. EXIT. COPY.` of a two-file `$IN`:
/// it must abort its step saying `says`, so that the job skips the first COPY to
/// the EXIT, copies the first file after it, and ends aborted.
fn aborts_to_exit(site: &Site, statement: &str, says: &str) {
    let deck = format!("JOB,JN=B.\n{statement}\nCOPY.\nEXIT.\nCOPY.\n/EOF\none\n/EOF\ntwo\n");
    let out = site.run("b", &deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{statement}: {stderr}");
    assert!(stderr.contains(says), "{says:?} in {stderr}");
    assert_eq!(text(&out.stdout), "one\n", "{statement}");
}

/// SR-0011: "Blanks are ignored unless they are embedded in a literal string", in
/// the verb too: ` C O P Y R , N R = 1 .` read the verb `C` and refused the `O`
/// after it as a separator.
#[test]
fn blanks_inside_a_verb_are_ignored() {
    let site = Site::new();
    let deck = "JOB,JN=B.\n C O P Y R , N R = 1 .\nS E T(J1=2)\nI F(J1.EQ.2)\nCOPY R.\n\
                END IF.\n/EOF\nx\ny\n";
    let out = site.run("b", deck, &[]);
    let stderr = ok(&out);
    assert_eq!(text(&out.stdout), "x\ny\n", "{stderr}");
}

/// An IF block that no ENDIF closes by the end of the deck, or of a procedure, is
/// logged as a control-statement error naming the IF, and the job takes it as an
/// abort: it ended quietly, the block's mistake unseen. (SR-0011's pages at hand
/// do not say what COS did; the emulator's choice.)
#[test]
fn an_if_block_left_open_at_the_end_is_a_control_statement_error() {
    let site = Site::new();
    let deck = "JOB,JN=I.\nSET(J1=1)\nIF(J1.EQ.1)\nIF(J1.EQ.2)\nCOPY.\n/EOF\nx\n";
    let out = site.run("open", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "\n CONTROL STATEMENT ERROR: END OF THE DECK INSIDE AN IF BLOCK: statement 3 \
             (IF(J1.EQ.1)), statement 4 (IF(J1.EQ.2)): no ENDIF closes them\n JOB ENDED ABORTED"
        ),
        "{stderr}"
    );
    // In a procedure: the abort goes on at the caller's EXIT.
    let deck = "JOB,JN=P.\nCOPYF,I=$IN,O=P.\nCALL,DN=P.\nEXIT.\nCOPY.\n\
                /EOF\nSET(J1=1)\nIF(J1.EQ.1)\nSET(J2=2)\n/EOF\nafter\n";
    let out = site.run("proc", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "after\n", "{stderr}");
    assert!(
        stderr.contains(
            "\n CONTROL STATEMENT ERROR: END OF PROCEDURE P INSIDE AN IF BLOCK: statement 2 \
             (IF(J1.EQ.1)): no ENDIF closes it\n"
        ),
        "{stderr}"
    );
    // Closed, or left by EXIT in normal processing, a block is no error.
    let deck = "JOB,JN=E.\nIF(1.EQ.1)\nCOPY.\nEXIT.\n/EOF\nx\n";
    ok(&site.run("exit", deck, &[]));
}

/// An IF whose expression fails opens its block all the same: the abort skipped to
/// the EXIT past the IF's ENDIF, which closed the enclosing block instead, and that
/// block's own ENDIF then failed (` ENDIF: no IF is open`).
#[test]
fn an_if_whose_expression_fails_still_opens_its_block() {
    let site = Site::new();
    let deck = "JOB,JN=F.\nIF(1.EQ.1)\nIF(1/0.EQ.1)\nCOPY.\nENDIF.\nEXIT.\nCOPY.\nENDIF.\n\
                COPY.\n/EOF\nin the outer block\n/EOF\nafter it\n";
    let out = site.run("f", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        text(&out.stdout),
        "in the outer block\nafter it\n",
        "{stderr}"
    );
    assert!(
        stderr.contains("\n IF: expression: division by zero\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("no IF is open"), "{stderr}");
    // An EXIT inside the failed IF's block goes on in it, as in a branch taken.
    let deck = "JOB,JN=G.\nIF(NOSUCH.EQ.1)\nEXIT.\nCOPY.\nELSE.\nCOPY.\nENDIF.\n/EOF\nx\n/EOF\ny\n";
    let out = site.run("g", deck, &[]);
    assert_eq!(text(&out.stdout), "x\n", "{}", text(&out.stderr));
}

/// A second ELSE in an IF block, or an ELSEIF after its ELSE, is refused by name:
/// it was taken as a branch never run, without a word.
#[test]
fn a_second_else_or_an_elseif_after_else_is_refused() {
    let site = Site::new();
    for (name, second) in [("else", "ELSE."), ("elseif", "ELSEIF(1.EQ.1)")] {
        let deck = format!(
            "JOB,JN=E.\nIF(0.EQ.1)\nCOPY.\nELSE.\nCOPY.\n{second}\nCOPY.\nENDIF.\nEXIT.\n\
             COPY.\n/EOF\nelse\n/EOF\nafter exit\n"
        );
        let out = site.run(name, &deck, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(text(&out.stdout), "else\nafter exit\n", "{stderr}");
        let verb = &second[..second.find(['.', '(']).unwrap()];
        assert!(
            stderr.contains(&format!("\n {verb}: its IF block has had its ELSE already")),
            "{stderr}"
        );
    }
    // Nested blocks have their own ELSE.
    let deck = "JOB,JN=N.\nIF(1.EQ.1)\nIF(0.EQ.1)\nELSE.\nENDIF.\nELSE.\nENDIF.\nEXIT.\n";
    ok(&site.run("nested", deck, &[]));
}

/// ACCESS says which permission it withheld though the statement gave its
/// password, and why: the owner who gave `M=` but not the write password was told
/// `PERMISSION R` only, and learned at MODIFY that the access had no maintenance.
#[test]
fn access_says_why_a_permission_asked_for_is_withheld() {
    let site = Site::new();
    let save = "JOB,JN=S,US=BOB.\nSAVE,DN=$IN,PDN=PAY,R=RP,W=WP,M=MP.\n\
                PERMIT,PDN=PAY,M=MP,USER=CAROL,AM=R.\n/EOF\nx\n";
    ok(&site.run("save", save, &[]));
    let owner = "JOB,JN=O,US=BOB.\nACCESS,DN=P,PDN=PAY,R=RP,M=MP.\n";
    let stderr = ok(&site.run("owner", owner, &[]));
    assert!(
        stderr.contains(
            " ACCESSED AS P, PERMISSION R, M NOT GRANTED (maintenance includes write: \
             write password not given)\n"
        ),
        "{stderr}"
    );
    let other = "JOB,JN=C,US=CAROL.\nACCESS,DN=P,PDN=PAY,OWN=BOB,R=RP,W=WP.\n";
    let stderr = ok(&site.run("other", other, &[]));
    assert!(
        stderr.contains(
            " ACCESSED AS P, PERMISSION R, W NOT GRANTED (user CAROL is not the owner \
             and has no W permission)\n"
        ),
        "{stderr}"
    );
    // Asked for and granted: the line as before.
    let all = "JOB,JN=A,US=BOB.\nACCESS,DN=P,PDN=PAY,R=RP,W=WP,M=MP.\n";
    let stderr = ok(&site.run("all", all, &[]));
    assert!(
        stderr.contains(" ACCESSED AS P, PERMISSION M\n"),
        "{stderr}"
    );
}

/// F$SYM (056) reads a JCL symbol of the deck (module `cos::symbols`): the block
/// laid out as the library's one caller lays it out (AUDIT 66553d–66563b: the name
/// in word 1, the result word's address in word 3 bits 40–63, S2 = 0) gets the
/// value SET gave the symbol in its result word, here shown as the characters of
/// the word; a symbol never set leaves the word zero, "no value". It was answered
/// with nothing stored.
#[test]
fn f_sym_reads_a_symbol_the_deck_set() {
    let site = Site::new();
    let source = site.path("symbol.cal");
    std::fs::write(
        &source,
        "         IDENT     SYMBOL\n         START     SYMBOL\n\
         SYMBOL   A5        BLOCK\n         A4        RESULT\n\
         \x20        S6        3,A5\n         S7        A4\n         S6        S6!S7\n\
         \x20        3,A5      S6\n         S2        0\n         S1        A5\n\
         \x20        S0        O'56\n         EX\n\
         \x20        S1        MSG\n         S2        O'17\n         S0        O'4\n\
         \x20        EX\n         S0        0\n         EX\n\
         BLOCK    CON       0\n         CON       'NOTEXT'L\n         CON       0\n\
         \x20        CON       O'2000000000\n\
         MSG      DATA      'VALUE   'H\nRESULT   CON       0\n         CON       0\n\
         \x20        END\n",
    )
    .unwrap();
    site.install_program("SYMBOL", &source);
    // 0x4142434445464748: the word "ABCDEFGH".
    let deck = "JOB,JN=S.\nSYMBOL.\nSET(NOTEXT=4702394921427289928)\nSYMBOL.\n";
    let stderr = ok(&site.run("s", deck, &[]));
    assert!(
        stderr.contains(
            "SYMBOL.\nVALUE\nSET(NOTEXT=4702394921427289928)\nSYMBOL.\nVALUE   ABCDEFGH\n"
        ),
        "{stderr}"
    );
}

/// SR-0011: "A control statement verb cannot be continued to a second record":
/// `COP^` then `YR.` was joined into `COPYR.` and run. A statement continued after
/// its verb still joins.
#[test]
fn a_verb_continued_to_a_second_line_is_refused() {
    let site = Site::new();
    let deck = "JOB,JN=V.\nCOP^\nYR.\nEXIT.\nCOPYR,^\nNR=1.\nCOPYR^\n,NR=1.\n/EOF\nx\ny\nz\n";
    let out = site.run("v", deck, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("\nCOP^\n CONTROL STATEMENT ERROR: COP: a caret (^) continues a statement"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "x\ny\n", "{stderr}");
}
