//! A `vnet` session: one simulated host (a [`World`] with every driver registered and an IP stack
//! in every namespace), the CPU that runs its data path, and the shell state of the interpreter
//! (background jobs, the line being run).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;

use netdev_core::{Cpu, Errno, NetnsId, Result, World, WorldConfig};
use stack_adapter::{Stack, Stacks};

use crate::lex;

/// What one command printed and its exit status, as a shell sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output, verbatim.
    pub stdout: String,
    /// Standard error, verbatim.
    pub stderr: String,
    /// Exit status: 0 success; iproute2 uses 1 (lookup), 2 (kernel error) and 255 (parse error).
    pub rc: i32,
}

impl Output {
    /// The transcript block of `cmd` (the format of `reference/linux-golden/common.sh`): `$ CMD`,
    /// then `--- stdout` and the output (only if any), `--- stderr` and its text (only if any),
    /// then `--- rc=N`. A stream that does not end in a newline gets one.
    pub fn transcript_block(&self, cmd: &str) -> String {
        let mut s = format!("$ {cmd}\n");
        for (head, text) in [("--- stdout", &self.stdout), ("--- stderr", &self.stderr)] {
            if !text.is_empty() {
                s.push_str(head);
                s.push('\n');
                s.push_str(text);
                if !text.ends_with('\n') {
                    s.push('\n');
                }
            }
        }
        s.push_str(&format!("--- rc={}\n", self.rc));
        s
    }
}

/// A command left running in the background (`tcpdump ... &`). It ends at `kill %N`, or when the
/// script ends, and then hands back what it printed.
pub(crate) trait Job: Send {
    /// Interrupt the job (SIGINT) and return its output.
    fn finish(self: Box<Self>, s: &mut Session) -> Output;
}

/// A background line that ran to completion at once (every command but a capture); its output is
/// held until the job is collected, as a shell's terminal would show it then.
struct Done(Output);

impl Job for Done {
    fn finish(self: Box<Self>, _s: &mut Session) -> Output {
        self.0
    }
}

struct JobEntry {
    id: usize,
    line: String,
    job: Box<dyn Job>,
}

/// One simulated host and the interpreter state around it.
pub struct Session {
    world: World,
    stacks: Stacks,
    cpu: Cpu,
    jobs: Vec<JobEntry>,
    /// The script line being run (1-based), for error messages.
    line_no: Option<usize>,
    /// Per-namespace peer namespace ids (`peernet2id_alloc`): for each namespace, the ids it has
    /// given other namespaces, allocated on first use from 0.
    peer_ids: BTreeMap<NetnsId, BTreeMap<NetnsId, u32>>,
    /// The vzctl model (containers, their saved configs), for `vzctl` and `vzlist`.
    vz: std::sync::Arc<netdev_venet::Vz>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("now_ns", &self.world.now()).field("jobs", &self.jobs.len()).finish()
    }
}

/// The seed a session uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 42;

impl Session {
    /// A fresh host: the root namespace with `lo`, every available link kind registered, an IP
    /// stack in every namespace, and the clock at 0.
    pub fn new(seed: u64) -> Result<Session> {
        Session::without_kinds(seed, &[])
    }

    /// A fresh host whose kernel lacks the link kinds named in `missing` (as a kernel without
    /// that module: `ip link add ... type vlan` is then "Unknown device type"). The recorded
    /// transcripts came from a kernel without 8021q, and are replayed with `&["vlan"]`.
    ///
    /// `"bridge-vlan-filtering"` is not a kind but the bridge's `CONFIG_BRIDGE_VLAN_FILTERING`:
    /// by default it is compiled in (as in Debian's kernel: `vlan_filtering 1`, `bridge vlan`,
    /// `bridge/vlan_filtering` in sysfs); naming it models the recorded kernel, which lacks it, so
    /// the golden replays use `&["vlan", "bridge-vlan-filtering"]`.
    pub fn without_kinds(seed: u64, missing: &[&str]) -> Result<Session> {
        let world = World::new(WorldConfig { seed, cpus: 1, ..WorldConfig::default() });
        let has = |k: &str| !missing.contains(&k);
        netdev_veth::register(&world)?;
        netdev_dummy::register(&world)?;
        if has("bridge") {
            let kconfig = netdev_bridge::KernelConfig { vlan_filtering: has("bridge-vlan-filtering") };
            netdev_bridge::register_with(&world, kconfig)?;
        }
        if has("macvlan") {
            netdev_macvlan::register(&world)?;
        }
        if has("vlan") {
            netdev_vlan::register(&world)?;
        }
        if has("ipvlan") {
            netdev_ipvlan::register(&world)?;
        }
        // The venet kind and its switch; the vzctl model below finds the switch through the World.
        netdev_venet::register(&world)?;
        let stacks = stack_adapter::install(&world)?;
        let cpu = world.cpu(0).ok_or_else(|| netdev_core::Error::new(Errno::Ebusy))?;
        let vz = std::sync::Arc::new(netdev_venet::Vz::new(&world, &stacks)?);
        Ok(Session { world, stacks, cpu, jobs: Vec::new(), line_no: None, peer_ids: BTreeMap::new(), vz })
    }

    /// The simulated host.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The vzctl model (a shared handle: its commands also need [`Session::cpu`]).
    pub(crate) fn vz(&self) -> std::sync::Arc<netdev_venet::Vz> {
        self.vz.clone()
    }

    /// The IP stacks.
    pub fn stacks(&self) -> &Stacks {
        &self.stacks
    }

    /// The CPU that runs the data path and the timers.
    pub fn cpu(&mut self) -> &mut Cpu {
        &mut self.cpu
    }

    /// The stack of `ns`. Every live namespace has one (`stack_adapter::install`).
    pub(crate) fn stack(&self, ns: NetnsId) -> Option<std::sync::Arc<Stack>> {
        self.stacks.get(ns)
    }

    /// Move virtual time forward by `ns` nanoseconds, running timers and the data path.
    pub fn advance(&mut self, ns: u64) {
        self.cpu.advance(ns);
    }

    /// The id namespace `of` uses for namespace `peer` (`peernet2id_alloc`): allocated on first
    /// use, from 0, lowest free first.
    pub(crate) fn peer_netnsid(&mut self, of: NetnsId, peer: NetnsId) -> u32 {
        let ids = self.peer_ids.entry(of).or_default();
        if let Some(&id) = ids.get(&peer) {
            return id;
        }
        let used: std::collections::BTreeSet<u32> = ids.values().copied().collect();
        let id = (0..).find(|i| !used.contains(i)).unwrap_or(0);
        ids.insert(peer, id);
        id
    }

    /// The id namespace `of` has given namespace `peer`, if any (`peernet2id`: no allocation, what
    /// `ip netns list` asks with RTM_GETNSID).
    pub(crate) fn peer_netnsid_get(&self, of: NetnsId, peer: NetnsId) -> Option<u32> {
        self.peer_ids.get(&of)?.get(&peer).copied()
    }

    /// Forget the ids of a deleted namespace (`peernet2id` entries go with the namespace).
    pub(crate) fn forget_netns(&mut self, ns: NetnsId) {
        self.peer_ids.remove(&ns);
        for ids in self.peer_ids.values_mut() {
            ids.remove(&ns);
        }
    }

    /// The 1-based number of the script line being run, if any.
    pub fn line_no(&self) -> Option<usize> {
        self.line_no
    }

    /// Set the script line number used in error messages.
    pub fn set_line_no(&mut self, n: Option<usize>) {
        self.line_no = n;
    }

    /// Run one command line (pipes, redirections and a trailing `&` included) in the root
    /// namespace and return what it printed. Never panics on any input.
    pub fn exec(&mut self, line: &str) -> Output {
        let parsed = match lex::parse(line) {
            Ok(p) => p,
            Err(e) => {
                return Output { stderr: format!("{}: {e}\n", self.where_()), rc: 2, ..Output::default() };
            }
        };
        if parsed.stages.is_empty() {
            return Output::default();
        }
        if parsed.background {
            let mut ctx = Ctx::new(self, NetnsId::INIT);
            ctx.background = true;
            let out = ctx.run_pipeline(&parsed.stages);
            let spawned = ctx.spawned.take();
            // bash: one more than the highest job number still in the table.
            let id = self.jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1;
            let job: Box<dyn Job> = match spawned {
                Some(j) => {
                    // The pipeline's own output so far (e.g. a parse error) comes first.
                    if !out.stdout.is_empty() || !out.stderr.is_empty() {
                        return out;
                    }
                    j
                }
                None => Box::new(Done(out)),
            };
            self.jobs.push(JobEntry { id, line: line.trim().to_string(), job });
            return Output::default();
        }
        Ctx::new(self, NetnsId::INIT).run_pipeline(&parsed.stages)
    }

    /// End every background job (as the end of a script does) and return their output, oldest
    /// first, each with the line that started it.
    pub fn finish_jobs(&mut self) -> Vec<(String, Output)> {
        let jobs = std::mem::take(&mut self.jobs);
        jobs.into_iter().map(|j| (j.line, j.job.finish(self))).collect()
    }

    /// `kill [-INT|-TERM|-s SIG] %N|%%|%+|%-`: end a background job.
    fn kill(&mut self, args: &[String]) -> Output {
        let mut specs = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-s" => {
                    it.next();
                }
                s if s.starts_with('-') && !s.starts_with("-%") => {}
                s => specs.push(s.to_string()),
            }
        }
        if specs.is_empty() {
            return fail(2, "kill: usage: kill [-s sigspec | -sigspec] %job ...\n");
        }
        let mut out = Output::default();
        for spec in specs {
            let pos = match spec.as_str() {
                "%%" | "%+" | "%" => self.jobs.len().checked_sub(1),
                "%-" => self.jobs.len().checked_sub(2),
                s => s
                    .strip_prefix('%')
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| self.jobs.iter().position(|j| j.id == n)),
            };
            match pos {
                Some(p) => {
                    let j = self.jobs.remove(p);
                    let o = j.job.finish(self);
                    out.stdout.push_str(&o.stdout);
                    out.stderr.push_str(&o.stderr);
                }
                None => {
                    out.stderr.push_str(&format!("kill: {spec}: no such job\n"));
                    out.rc = 1;
                }
            }
        }
        out
    }

    /// `jobs`: the background jobs, as bash lists them.
    fn jobs_list(&self) -> Output {
        let n = self.jobs.len();
        let mut s = String::new();
        for (i, j) in self.jobs.iter().enumerate() {
            let mark = if i + 1 == n {
                '+'
            } else if i + 2 == n {
                '-'
            } else {
                ' '
            };
            s.push_str(&format!(
                "[{}]{mark}  Running                 {} &\n",
                j.id,
                j.line.trim_end_matches('&').trim()
            ));
        }
        Output { stdout: s, ..Output::default() }
    }

    fn where_(&self) -> String {
        match self.line_no {
            Some(n) => format!("vnet: line {n}"),
            None => "vnet".to_string(),
        }
    }
}

fn fail(rc: i32, msg: &str) -> Output {
    Output { stderr: msg.to_string(), rc, ..Output::default() }
}

/// The state one command runs with: the session, the namespace it runs in (`ip netns exec`),
/// its standard input (from a pipe) and what it has printed.
pub(crate) struct Ctx<'s> {
    pub(crate) s: &'s mut Session,
    /// The namespace the command runs in.
    pub(crate) ns: NetnsId,
    /// Piped standard input.
    pub(crate) stdin: Option<String>,
    pub(crate) out: String,
    pub(crate) err: String,
    /// The line ends in `&`: a command that can run in the background ([`Ctx::spawn`]) does.
    pub(crate) background: bool,
    spawned: Option<Box<dyn Job>>,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(s: &'s mut Session, ns: NetnsId) -> Ctx<'s> {
        Ctx { s, ns, stdin: None, out: String::new(), err: String::new(), background: false, spawned: None }
    }

    /// Leave `job` running in the background; the line returns at once.
    pub(crate) fn spawn(&mut self, job: Box<dyn Job>) {
        self.spawned = Some(job);
    }

    /// Print to standard output.
    pub(crate) fn print(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Print to standard error.
    pub(crate) fn eprint(&mut self, s: &str) {
        self.err.push_str(s);
    }

    /// Print `msg` (a whole line, newline added) to standard error and return `rc`.
    pub(crate) fn fail(&mut self, rc: i32, msg: &str) -> i32 {
        self.err.push_str(msg);
        if !msg.ends_with('\n') {
            self.err.push('\n');
        }
        rc
    }

    /// A word the interpreter does not understand, for a command that exists on Linux: the
    /// message names the script line and the word. Exit status 255, as iproute2's parse errors.
    pub(crate) fn unsupported(&mut self, cmd: &str, word: &str) -> i32 {
        let w = self.s.where_();
        self.fail(255, &format!("{w}: {cmd}: \"{word}\" is not understood by vnet"))
    }

    /// The stack of the namespace the command runs in.
    pub(crate) fn stack(&self) -> Option<std::sync::Arc<Stack>> {
        self.s.stack(self.ns)
    }

    /// Run `argv` (already split) in namespace `ns` with this context's streams: what
    /// `ip netns exec NS CMD...` does.
    pub(crate) fn exec_in(&mut self, ns: NetnsId, argv: &[String]) -> i32 {
        let saved = std::mem::replace(&mut self.ns, ns);
        let rc = crate::dispatch(self, argv);
        self.ns = saved;
        rc
    }

    fn run_pipeline(&mut self, stages: &[lex::Stage]) -> Output {
        let mut rc = 0;
        let mut stderr = String::new();
        for (i, st) in stages.iter().enumerate() {
            if i > 0 {
                self.stdin = Some(std::mem::take(&mut self.out));
                // Only the first stage of a pipeline can go to the background.
                self.background = false;
            }
            rc = crate::dispatch(self, &st.argv);
            let err = std::mem::take(&mut self.err);
            let mut out = std::mem::take(&mut self.out);
            let mut err_here = err;
            if st.stderr_to_stdout {
                out.push_str(&err_here);
                err_here.clear();
            }
            if let Some(f) = &st.stderr_to {
                if let Err(msg) = write_file(self, f, &err_here, false) {
                    stderr.push_str(&msg);
                    rc = 1;
                }
                err_here.clear();
            }
            stderr.push_str(&err_here);
            if let Some((f, append)) = &st.stdout_to {
                if let Err(msg) = write_file(self, f, &out, *append) {
                    stderr.push_str(&msg);
                    rc = 1;
                }
                out.clear();
            }
            self.out = out;
        }
        Output { stdout: std::mem::take(&mut self.out), stderr, rc }
    }
}

/// `> FILE`: the simulated `/proc` and `/sys` take writes (`echo 1 > /proc/sys/...`),
/// `/dev/null` swallows them, anything else is a real file.
fn write_file(ctx: &mut Ctx<'_>, path: &str, data: &str, append: bool) -> std::result::Result<(), String> {
    if path == "/dev/null" {
        return Ok(());
    }
    if path.starts_with("/proc/") || path.starts_with("/sys/") {
        return crate::fs::write(ctx, path, data);
    }
    let f = std::fs::OpenOptions::new().create(true).write(true).append(append).truncate(!append).open(path);
    match f.and_then(|mut f| f.write_all(data.as_bytes())) {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("bash: {path}: {}\n", crate::util::io_error_text(&e))),
    }
}

/// Commands the session itself implements: jobs and shell builtins.
pub(crate) fn builtin(ctx: &mut Ctx<'_>, argv: &[String]) -> Option<i32> {
    let o = match argv[0].as_str() {
        "kill" => ctx.s.kill(&argv[1..]),
        "jobs" => ctx.s.jobs_list(),
        "wait" => {
            let mut o = Output::default();
            for (_, j) in ctx.s.finish_jobs() {
                o.stdout.push_str(&j.stdout);
                o.stderr.push_str(&j.stderr);
            }
            o
        }
        "true" | ":" => Output::default(),
        "false" => Output { rc: 1, ..Output::default() },
        _ => return None,
    };
    ctx.out.push_str(&o.stdout);
    ctx.err.push_str(&o.stderr);
    Some(o.rc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_block_format() {
        let o = Output { stdout: "a\n".into(), stderr: String::new(), rc: 0 };
        assert_eq!(o.transcript_block("ip link"), "$ ip link\n--- stdout\na\n--- rc=0\n");
        let o = Output { stdout: String::new(), stderr: "bad".into(), rc: 2 };
        assert_eq!(o.transcript_block("x"), "$ x\n--- stderr\nbad\n--- rc=2\n");
        assert_eq!(Output::default().transcript_block("y"), "$ y\n--- rc=0\n");
    }

    #[test]
    fn peer_netnsids_are_allocated_from_zero_per_namespace() {
        let mut s = Session::new(1).unwrap();
        let (a, b, c) = (NetnsId(10), NetnsId(11), NetnsId(12));
        assert_eq!(s.peer_netnsid(a, b), 0);
        assert_eq!(s.peer_netnsid(a, c), 1);
        assert_eq!(s.peer_netnsid(a, b), 0);
        assert_eq!(s.peer_netnsid(b, a), 0);
        s.forget_netns(b);
        assert_eq!(s.peer_netnsid(a, NetnsId(13)), 0);
    }

    #[test]
    fn background_jobs_and_kill() {
        let mut s = Session::new(1).unwrap();
        assert_eq!(s.exec("echo hi &").rc, 0);
        let o = s.exec("jobs");
        assert_eq!(o.stdout, "[1]+  Running                 echo hi &\n");
        let o = s.exec("kill -INT %1");
        assert_eq!((o.stdout.as_str(), o.rc), ("hi\n", 0));
        let o = s.exec("kill %1");
        assert_eq!((o.stderr.as_str(), o.rc), ("kill: %1: no such job\n", 1));
        // Job numbers restart once the table is empty, as bash's do.
        s.exec("echo a &");
        s.exec("echo b &");
        assert_eq!(s.exec("jobs").stdout.lines().last(), Some("[2]+  Running                 echo b &"));
        assert_eq!(s.exec("kill %%").stdout, "b\n");
        let left = s.finish_jobs();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1.stdout, "a\n");
    }

    #[test]
    fn pipes_and_redirections() {
        let mut s = Session::new(1).unwrap();
        let o = s.exec("echo hello | grep nothing");
        assert_eq!((o.stdout.as_str(), o.rc), ("", 1));
        let o = s.exec("echo hello | grep ell");
        assert_eq!((o.stdout.as_str(), o.rc), ("hello\n", 0));
        let o = s.exec("echo hidden > /dev/null");
        assert_eq!((o.stdout.as_str(), o.rc), ("", 0));
        let o = s.exec("echo 'unterminated");
        assert_eq!(o.rc, 2);
        assert!(o.stderr.contains("unterminated"), "{}", o.stderr);
    }
}
