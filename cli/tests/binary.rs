//! The `vnet` binary itself: `-c`, `run` (exit status, `--keep-going`, `--transcript`), the
//! shell on standard input, `demo --pcap`, and its usage errors.

use std::io::Write as _;
use std::process::{Command, Stdio};

fn vnet(args: &[&str], stdin: &str) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vnet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
        o.status.code().unwrap_or(-1),
    )
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("vnet-bin-{}-{name}", std::process::id()))
}

#[test]
fn one_line() {
    let (out, err, rc) = vnet(&["-c", "ip", "-br", "link"], "");
    assert_eq!(
        (out.as_str(), err.as_str(), rc),
        ("lo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n", "", 0)
    );
    let (_, err, rc) = vnet(&["-c", "ip link show nosuch"], "");
    assert_eq!((err.as_str(), rc), ("Device \"nosuch\" does not exist.\n", 1));
}

#[test]
fn run_stops_at_the_first_failure_and_writes_a_transcript() {
    let script = tmp("s.vnet");
    let transcript = tmp("t.txt");
    std::fs::write(&script, "# a note\nip netns add a\n! ip netns add a\nip netns add a\necho not reached\n").unwrap();
    let (out, err, rc) = vnet(&["run", "--transcript", transcript.to_str().unwrap(), script.to_str().unwrap()], "");
    assert_eq!(rc, 1, "{out}{err}");
    assert!(err.contains("vnet: line 4: exit status 1: ip netns add a"), "{err}");
    assert!(!out.contains("not reached"));
    let t = std::fs::read_to_string(&transcript).unwrap();
    assert!(t.starts_with("# a note\n$ ip netns add a\n--- rc=0\n$ ip netns add a\n--- stderr\n"), "{t}");
    let (out, _, rc) = vnet(&["run", "--keep-going", script.to_str().unwrap()], "");
    assert_eq!(rc, 1);
    assert!(out.contains("not reached"));
    let _ = std::fs::remove_file(&script);
    let _ = std::fs::remove_file(&transcript);
}

#[test]
fn shell_reads_standard_input() {
    let (out, err, _) = vnet(&[], "ip netns add a\nip netns list\nip link add x type nosuch\nexit\n");
    assert!(out.contains("a\n"), "{out}");
    assert!(err.contains("Error: Unknown device type.\n"), "{err}");
}

#[test]
fn demo_writes_the_pcap_it_names() {
    let pcap = tmp("demo.pcap");
    let (out, err, rc) = vnet(&["demo", "--pcap", pcap.to_str().unwrap()], "");
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("3 packets transmitted, 3 received"), "{out}");
    assert!(std::fs::metadata(&pcap).unwrap().len() > 24);
    let _ = std::fs::remove_file(&pcap);
}

#[test]
fn usage_errors() {
    let (_, err, rc) = vnet(&["frobnicate"], "");
    assert_eq!(rc, 2);
    assert!(err.starts_with("vnet: unknown command \"frobnicate\"\nusage:"), "{err}");
    let (_, err, rc) = vnet(&["run", "/nonexistent/script.vnet"], "");
    assert_eq!(rc, 2);
    assert!(err.starts_with("vnet: /nonexistent/script.vnet:"), "{err}");
    let (_, _, rc) = vnet(&["--seed", "x"], "");
    assert_eq!(rc, 2);
}
