//! Differential test against this machine's kernel (DESIGN §7): the scripts in
//! `scenarios/diff/` run on vnet and, as root, on real Linux in throwaway namespaces, and the two
//! transcripts must agree block for block (ping outcomes, error texts, exit codes, `ip -s link`
//! counters, sysfs and sysctl values), with only what two Linux runs disagree on masked.
//!
//! Each scenario uses its own namespace names, so the tests can run in parallel.
//!
//! Safety (the project's rules for tests that run real Linux): the scripts may only create and
//! use namespaces named `vd-*`, every command runs inside one (`ip -n vd-...`, `ip netns exec
//! vd-...`), nothing is connected to the root namespace, every ping is bounded (`-c`, `-W`),
//! the namespaces are deleted by a trap on exit, and the test checks each line against those
//! rules before running anything. It skips with a message when not root, when `ip`/`ping`/
//! `sysctl` are missing, or when namespaces cannot be created.

mod common;

use std::path::PathBuf;
use std::process::Command;

use vnet_cli::Session;
use vnet_cli::script::{self, RunOpts};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Why real Linux cannot be used here, if it cannot.
fn linux_unavailable() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2));
    if euid != Some("0") {
        return Some("not root".into());
    }
    for tool in ["ip", "ping", "sysctl", "bash", "timeout"] {
        let ok = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().map(|o| o.status.success());
        if !matches!(ok, Ok(true)) {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    let probe = format!("vd-probe-{}", std::process::id());
    let add = Command::new("ip").args(["netns", "add", &probe]).output();
    let _ = Command::new("ip").args(["netns", "del", &probe]).output();
    match add {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("cannot create a network namespace: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Some(format!("cannot run ip: {e}")),
    }
}

/// The safety rules, checked on every line before anything runs on the real kernel.
fn assert_safe(line: &str) {
    let ok = line.starts_with("ip -n vd-")
        || line.starts_with("ip netns add vd-")
        || line.starts_with("ip netns del vd-")
        || line.starts_with("ip netns exec vd-")
        || line.starts_with("sleep ");
    assert!(ok, "refusing to run on the host: {line:?} (only vd-* namespaces may be touched)");
    if line.contains("ping") {
        assert!(line.contains(" -c ") && line.contains(" -W "), "unbounded ping: {line:?}");
    }
    assert!(!line.contains('&') && !line.contains(';') && !line.contains('`') && !line.contains('$'), "{line:?}");
}

/// Run `src` on the real kernel with the transcript format of `reference/linux-golden/common.sh`.
fn run_on_linux(name: &str, src: &str) -> String {
    let lines = script::parse(src);
    let mut namespaces = std::collections::BTreeSet::new();
    let mut body = String::new();
    for l in &lines {
        if l.comment {
            continue;
        }
        assert_safe(&l.text);
        for w in l.text.split_whitespace().filter(|w| w.starts_with("vd-")) {
            namespaces.insert(w.to_string());
        }
        if l.text.starts_with("sleep ") {
            body.push_str(&l.text);
            body.push('\n');
        } else {
            // Single-quote the command for `run`, which evals it.
            body.push_str(&format!("run '{}'\n", l.text.replace('\'', "'\\''")));
        }
    }
    let ns_list = namespaces.into_iter().collect::<Vec<_>>().join(" ");
    let dir = std::env::temp_dir().join(format!("vnet-diff-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join("transcript.txt");
    let runner = format!(
        r#"set -u
export LC_ALL=C
T="{t}"
cleanup() {{ for n in {ns_list}; do ip netns del "$n" 2>/dev/null; done; }}
trap cleanup EXIT INT TERM
cleanup
: >"$T"
run() {{
  local o e rc
  o=$(mktemp); e=$(mktemp)
  eval "$1" >"$o" 2>"$e"; rc=$?
  {{
    printf '$ %s\n' "$1"
    if [ -s "$o" ]; then echo '--- stdout'; cat "$o"; [ -n "$(tail -c1 "$o")" ] && echo; fi
    if [ -s "$e" ]; then echo '--- stderr'; cat "$e"; [ -n "$(tail -c1 "$e")" ] && echo; fi
    echo "--- rc=$rc"
  }} >>"$T"
  rm -f "$o" "$e"
}}
{body}"#,
        t = transcript.display()
    );
    let script = dir.join("run.sh");
    std::fs::write(&script, runner).unwrap();
    let out = Command::new("timeout").arg("300").arg("bash").arg(&script).output().unwrap();
    assert!(out.status.success(), "the Linux run failed: {}", String::from_utf8_lossy(&out.stderr));
    let t = std::fs::read_to_string(&transcript).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    t
}

fn differential(name: &str, known: &[(&str, &str)]) {
    if let Some(why) = linux_unavailable() {
        eprintln!("skipping the differential test {name} against real Linux: {why}");
        return;
    }
    // Namespaces `vd-X` become `vd-<pid>X`, on both sides: two test processes (two checkouts)
    // running at once on one machine never share a namespace.
    let tag = format!("vd-{}", std::process::id());
    let src = std::fs::read_to_string(root().join(format!("scenarios/diff/{name}.vnet"))).unwrap().replace("vd-", &tag);
    let linux = run_on_linux(name, &src);
    let mut s = Session::new(1).unwrap();
    let rep = script::run(&mut s, &src, RunOpts { keep_going: true }, &mut |_| {});
    let diffs = common::diff_transcripts(name, &rep.transcript(), &linux, false);
    let known: Vec<(String, &str)> = known.iter().map(|(k, why)| (k.replace("vd-", &tag), *why)).collect();
    let known: Vec<(&str, &str)> = known.iter().map(|(k, why)| (k.as_str(), *why)).collect();
    common::check_known(name, &diffs, &known);
}

#[test]
fn safety_rules_reject_host_commands() {
    for bad in [
        "ip link add x type veth",
        "ip netns exec vd-a ping 10.0.0.2",
        "ping -c 1 -W 1 10.0.0.1",
        "ip -n vd-a link; reboot",
    ] {
        assert!(std::panic::catch_unwind(|| assert_safe(bad)).is_err(), "{bad}");
    }
    assert_safe("ip -n vd-a link show");
    assert_safe("ip netns exec vd-a ping -c 2 -W 1 10.0.0.9");
}

#[test]
fn differential_veth() {
    differential("veth", &[]);
}

#[test]
fn differential_accept_local() {
    const WHY: &str = "ping -I sunld-veth0 while ARP for 192.168.100.1 is still failing: Linux prints no \
        Destination Host Unreachable for the bound socket (the errors come back through lo, and raw_icmp_error \
        matches the socket's bound device against lo), vnet's ping socket takes them; lo's byte count differs \
        by the same errors";
    differential(
        "accept-local",
        &[("ip netns exec vd-l ping -c 2 -W 1 192.168.100.1 -I sunld-veth0", WHY), ("ip -n vd-l -s link", WHY)],
    );
}

#[test]
fn differential_macvlan() {
    differential("macvlan", &[]);
}
