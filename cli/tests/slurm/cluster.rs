//! A one-node Slurm cluster of the test's own: munged, slurmctld and slurmd from
//! Debian's packages, each in the foreground under the test's control, with a key,
//! configuration, state and spool directories in a temporary directory, and stopped by
//! pid when the cluster is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The daemons a cluster runs, and where each is installed by Debian's packages.
const DAEMONS: [&str; 3] = [
    "/usr/sbin/munged",
    "/usr/sbin/slurmctld",
    "/usr/sbin/slurmd",
];

/// The client commands the tests use.
const CLIENTS: [&str; 4] = ["sbatch", "squeue", "scontrol", "sinfo"];

/// Ports of the test cluster, away from Slurm's defaults (6817, 6818) so that a cluster
/// the host may run is left alone.
const CONTROLLER_PORT: u16 = 16817;
const NODE_PORT: u16 = 16818;

/// The states Slurm does not go on from.
const ENDED: [&str; 6] = [
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
];

/// A running one-node cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    daemons: Vec<Child>,
    node: String,
}

/// Why the packages are missing, or `None` when they are all there.
pub fn missing_packages() -> Option<String> {
    let missing: Vec<&str> = DAEMONS
        .iter()
        .copied()
        .filter(|path| !Path::new(path).exists())
        .chain(CLIENTS.iter().copied().filter(|name| which(name).is_none()))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "not installed: {} (apt-get install slurmctld slurmd slurm-client munge)",
            missing.join(", ")
        )
    })
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.exists())
}

impl Cluster {
    /// Starts munged (as the munge user, with a key made for this cluster), slurmctld
    /// and slurmd, and waits until the node is idle.
    pub fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("cray-slurm-")
            .tempdir()
            .unwrap();
        // munged checks that every directory above its socket may be entered by all.
        chmod(dir.path(), 0o711);
        for sub in ["state", "spool", "log", "munge"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let node = hostname();
        let mut cluster = Cluster {
            dir,
            daemons: Vec::new(),
            node,
        };
        cluster.write_munge_key();
        cluster.write_config();
        cluster.start_munged();
        cluster.start_daemon("/usr/sbin/slurmctld");
        cluster.start_daemon("/usr/sbin/slurmd");
        cluster.wait_for_idle_node();
        cluster
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The directory the tests may use for their jobs' files.
    pub fn work_dir(&self) -> PathBuf {
        let work = self.path("work");
        std::fs::create_dir_all(&work).unwrap();
        work
    }

    fn write_munge_key(&self) {
        let munge = self.path("munge");
        let key = munge.join("munge.key");
        let mut random = std::fs::File::open("/dev/urandom").unwrap();
        let mut contents = vec![0u8; 1024];
        std::io::Read::read_exact(&mut random, &mut contents).unwrap();
        std::fs::write(&key, contents).unwrap();
        chmod(&key, 0o400);
        chown_to_munge(&key);
        // The socket's directory: munged owns it; the others only pass through.
        chmod(&munge, 0o711);
        chown_to_munge(&munge);
    }

    fn write_config(&self) {
        let dir = self.dir.path().display();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let config = format!(
            "ClusterName=craytest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={CONTROLLER_PORT}
SlurmdPort={NODE_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={dir}/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobRequeue=1
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/log/slurmctld.log
SlurmdLogFile={dir}/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
KillWait=30
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
",
            node = self.node,
        );
        std::fs::write(self.path("slurm.conf"), config).unwrap();
    }

    fn start_munged(&mut self) {
        let munge = self.path("munge");
        let child = Command::new("runuser")
            .args(["-u", "munge", "--", "/usr/sbin/munged", "--foreground"])
            .arg(format!("--key-file={}", munge.join("munge.key").display()))
            .arg(format!("--socket={}", munge.join("munge.socket").display()))
            .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
            .arg(format!("--log-file={}", munge.join("munged.log").display()))
            .arg(format!(
                "--seed-file={}",
                munge.join("munged.seed").display()
            ))
            .stdin(Stdio::null())
            .stdout(self.log_file("munged.out"))
            .stderr(self.log_file("munged.err"))
            .spawn()
            .expect("runuser starts munged");
        self.daemons.push(child);
        self.wait_until("munged's socket", || munge.join("munge.socket").exists());
    }

    /// Kills slurmd with SIGKILL, as a crashed node daemon dies (the jobs' slurmstepd
    /// processes go on), and returns when it is gone.
    pub fn kill_slurmd(&mut self) {
        let index = self.slurmd_index();
        let mut slurmd = self.daemons.remove(index);
        slurmd.kill().unwrap();
        slurmd.wait().unwrap();
    }

    /// Starts slurmd again after `kill_slurmd`; its state comes back from its spool
    /// directory.
    pub fn start_slurmd(&mut self) {
        self.start_daemon("/usr/sbin/slurmd");
    }

    /// Where slurmd is among the daemons: it is always the last one started.
    fn slurmd_index(&self) -> usize {
        self.daemons.len() - 1
    }

    fn start_daemon(&mut self, program: &str) {
        let name = Path::new(program).file_name().unwrap().to_str().unwrap();
        let child = Command::new(program)
            .arg("-D")
            .arg("-f")
            .arg(self.path("slurm.conf"))
            .stdin(Stdio::null())
            .stdout(self.append_log(&format!("{name}.out")))
            .stderr(self.append_log(&format!("{name}.err")))
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts: {e}"));
        self.daemons.push(child);
    }

    fn log_file(&self, name: &str) -> std::fs::File {
        std::fs::File::create(self.path("log").join(name)).unwrap()
    }

    /// A daemon's log, kept across its restarts.
    fn append_log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("log").join(name))
            .unwrap()
    }

    fn wait_for_idle_node(&self) {
        self.wait_until("the node to be idle", || {
            let out = self.client("sinfo").args(["-h", "-o", "%t"]).output();
            out.is_ok_and(|out| text(&out.stdout).trim() == "idle")
        });
    }

    /// Polls `ready` every 200 ms for up to 60 s, and fails the test with the daemons'
    /// logs when it never holds.
    pub fn wait_until(&self, what: &str, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ready() {
            if start.elapsed() > Duration::from_secs(60) {
                panic!("waited 60 s for {what}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The daemons' logs, for a failed test's message.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        // The jobs' own error files, and a queue's Slurm outputs and job stderr.
        let work = self.path("work");
        let queue = work.join("queue");
        let queue_jobs = std::fs::read_dir(&queue)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("stderr"));
        let jobs_errors: Vec<PathBuf> = [work, queue]
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "err" || x == "out"))
            .chain(queue_jobs.filter(|p| p.is_file()))
            .collect();
        let daemons = std::fs::read_dir(self.path("log"))
            .unwrap()
            .flatten()
            .map(|e| e.path());
        for path in daemons.chain(jobs_errors) {
            let contents = std::fs::read_to_string(&path).unwrap_or_default();
            let tail: Vec<&str> = contents.lines().rev().take(20).collect();
            all += &format!("--- {}\n", path.display());
            for line in tail.into_iter().rev() {
                all += line;
                all.push('\n');
            }
        }
        all
    }

    /// The cluster's `slurm.conf`, for `SLURM_CONF`.
    pub fn conf(&self) -> PathBuf {
        self.path("slurm.conf")
    }

    /// A Slurm client command (`sbatch`, `scontrol`, ...) that talks to this cluster.
    pub fn client(&self, name: &str) -> Command {
        let mut command = Command::new(name);
        command.env("SLURM_CONF", self.conf());
        command
    }

    /// Runs a client command and returns its output; fails the test when it fails.
    pub fn run(&self, name: &str, args: &[&str]) -> Output {
        let out = self.client(name).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{name} {args:?}: {}{}",
            text(&out.stderr),
            self.logs()
        );
        out
    }

    /// One field (`JobState`, `Restarts`, ...) of `scontrol show job ID`.
    pub fn job_field(&self, id: &str, field: &str) -> String {
        let out = self.run("scontrol", &["show", "job", id]);
        let shown = text(&out.stdout);
        let key = format!("{field}=");
        shown
            .split_whitespace()
            .find_map(|word| word.strip_prefix(&key))
            .unwrap_or_else(|| panic!("no {field} in scontrol show job {id}: {shown}"))
            .to_string()
    }

    /// Waits until job `id` has ended (any state Slurm does not go on from), releasing
    /// it whenever it waits only for the begin time Slurm gives every requeued job (two
    /// minutes after the requeue: the test has no reason to wait for it), and returns
    /// its final state.
    pub fn wait_for_end(&self, id: &str, limit: Duration) -> String {
        let start = Instant::now();
        let mut held_since: Option<Instant> = None;
        loop {
            let state = self.job_field(id, "JobState");
            if ENDED.contains(&state.as_str()) {
                // A job requeued while it ends (its own `scontrol requeue` after it
                // stopped at a checkpoint, with status 75) shows FAILED for a moment
                // before Slurm puts it back in the queue: an end counts once it holds.
                std::thread::sleep(Duration::from_secs(3));
                if self.job_field(id, "JobState") == state {
                    return state;
                }
                continue;
            }
            let held = state == "PENDING" && self.job_field(id, "Reason") == "BeginTime";
            let since = *held_since.get_or_insert_with(Instant::now);
            if !held {
                held_since = None;
            }
            // Released only once the run before has had time to finish ending: a job
            // started again within the second of its requeue finds its credential
            // revoked and fails ("Killing non-startable batch job").
            if held && since.elapsed() > Duration::from_secs(5) {
                self.release(id);
            }
            if start.elapsed() > limit {
                panic!("job {id} still {state} after {limit:?}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Cluster {
    /// Waits until a job just requeued has left the node and is back in the queue, then
    /// (once its earlier run has had time to finish ending) releases it from the begin
    /// time Slurm gives every requeued job.
    pub fn wait_for_requeue(&self, id: &str) {
        self.wait_until("the requeued job to be back in the queue", || {
            self.job_field(id, "JobState") == "PENDING"
        });
        std::thread::sleep(Duration::from_secs(5));
        self.release(id);
    }

    /// Lets a held job start now (`scontrol update JobId=ID StartTime=now`).
    fn release(&self, id: &str) {
        let _ = self
            .client("scontrol")
            .args(["update", &format!("JobId={id}"), "StartTime=now"])
            .output();
    }
}

impl Drop for Cluster {
    /// Stops the daemons by pid, slurmd first, and waits for each.
    fn drop(&mut self) {
        for child in self.daemons.iter_mut().rev() {
            let pid = rustix::process::Pid::from_child(child);
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        // munged runs under runuser: its own pid is in its pid file.
        if let Ok(pid) = std::fs::read_to_string(self.path("munge").join("munged.pid")) {
            if let Some(pid) = pid
                .trim()
                .parse()
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
    }
}

fn hostname() -> String {
    let node = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    node.trim()
        .split('.')
        .next()
        .unwrap_or("localhost")
        .to_string()
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown_to_munge(path: &Path) {
    let out = Command::new("chown")
        .arg("munge:munge")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "chown munge: {}", text(&out.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}
