//! The seed tutorials (`reference/seeds/`) as vnet scripts: `scenarios/seeds/NAME.vnet` must run
//! to its end (lines marked `!` must fail, all others succeed), its transcript must equal
//! `scenarios/seeds/NAME.expected` byte for byte (vnet is deterministic), and the outcome the
//! tutorial describes is asserted on top, so a blessed expected file cannot hide a wrong outcome.
//!
//! `VNET_BLESS=1 cargo test -p vnet-cli --test scenarios` rewrites the expected files; review the
//! diff before committing it.

use std::path::PathBuf;

use vnet_cli::Session;
use vnet_cli::script::{self, RunOpts, Step};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds")
}

/// Run a seed scenario, check it against its expected transcript, and return the transcript.
fn replay(name: &str) -> String {
    let src = std::fs::read_to_string(dir().join(format!("{name}.vnet"))).unwrap();
    let mut s = Session::new(vnet_cli::DEFAULT_SEED).unwrap();
    let rep = script::run(&mut s, &src, RunOpts::default(), &mut |_| {});
    let failures: Vec<&String> =
        rep.steps.iter().filter_map(|st| if let Step::Failure(m) = st { Some(m) } else { None }).collect();
    let t = rep.transcript();
    assert!(failures.is_empty(), "{name}: {failures:?}\n{t}");
    assert_eq!(rep.status, 0);
    let path = dir().join(format!("{name}.expected"));
    if std::env::var_os("VNET_BLESS").is_some() {
        std::fs::write(&path, &t).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(t == want, "{name}: transcript differs from {}:\n{t}", path.display());
    t
}

/// The block of the `n`th (0-based) command that starts with `prefix`.
fn block<'t>(t: &'t str, prefix: &str, n: usize) -> &'t str {
    let needle = format!("$ {prefix}");
    let mut starts = t.match_indices(&needle).map(|(i, _)| i);
    let start = starts.nth(n).unwrap_or_else(|| panic!("no block {n} for {prefix}"));
    let end = t[start + 2..].find("\n$ ").map_or(t.len(), |e| start + 2 + e + 1);
    &t[start..end]
}

#[test]
fn seed_002_dummy() {
    let t = replay("002-dummy");
    assert!(block(&t, "ip addr show dummy1", 0).contains("inet 1.1.1.1/24 scope global dummy1"));
    assert!(block(&t, "ip route", 0).contains("1.1.1.0/24 dev dummy1 proto kernel scope link src 1.1.1.1"));
    // The address is local: the echo goes through lo, not the dummy.
    assert!(block(&t, "ping", 0).contains("2 packets transmitted, 2 received, 0% packet loss"));
}

#[test]
fn seed_002_veth_netns() {
    let t = replay("002-veth-netns");
    assert!(block(&t, "ip -n net1 link show", 0).contains("veth1@if2:"));
    assert!(block(&t, "ip -n net2 link show", 0).contains("veth2@if2:"));
    assert!(block(&t, "ip netns exec net1 ping", 0).contains("2 packets transmitted, 2 received"));
}

#[test]
fn seed_003_netns_veth() {
    let t = replay("003-netns-veth");
    // Before the move both ends are in the root namespace and name each other.
    assert!(block(&t, "ip link list", 0).contains("sunldveth01@sunldveth02"));
    // After it, the root namespace's end shows the moved peer as @ifN in another namespace.
    let after = block(&t, "ip link list", 1);
    assert!(!after.contains("sunldveth01"));
    assert!(after.contains("sunldveth02@if") && after.contains("link-netns sunldnamespace01"), "{after}");
    assert!(block(&t, "ip netns exec sunldnamespace01 ip addr list", 0).contains("inet 100.2.96.2/16"));
}

#[test]
fn seed_003_two_netns() {
    let t = replay("003-two-netns");
    assert!(block(&t, "ip netns exec sunldns1 ping", 0).contains("3 packets transmitted, 3 received"));
}

#[test]
fn seed_003_veth_accept_local() {
    let t = replay("003-veth-accept-local");
    // No address on the peer: ARP is never answered.
    let first = block(&t, "ping -c 4 192.168.100.1", 0);
    assert!(first.contains("Destination Host Unreachable"), "{first}");
    assert!(first.contains("4 packets transmitted, 0 received, +4 errors, 100% packet loss"), "{first}");
    let capture = block(&t, "kill -INT %1", 0);
    assert!(capture.contains("ARP, Request who-has 192.168.100.1 tell 192.168.100.11, length 28"), "{capture}");
    // Address added but accept_local off: the ARP request's source is local, so it is ignored.
    assert!(block(&t, "ping -c 4 -i 0.2 -W 1 192.168.100.1 -I sunld-veth0", 0).contains("0 received"));
    // accept_local on, rp_filter off: four replies, which come back through lo.
    assert!(block(&t, "ping -c 4 192.168.100.1 -I sunld-veth0", 0).contains("4 packets transmitted, 4 received"));
    let lo = block(&t, "kill -INT %2", 0);
    assert!(lo.contains("IP 192.168.100.1 > 192.168.100.11: ICMP echo reply"), "{lo}");
}

/// `vnet demo` (`scenarios/demo.vnet`): seed 003's bridge with two veth pairs; every line
/// succeeds, the namespaces reach each other and the bridge, and the capture is a pcap file.
#[test]
fn demo_runs_and_writes_a_pcap() {
    let src = std::fs::read_to_string(dir().join("../demo.vnet")).unwrap();
    let pcap = std::env::temp_dir().join(format!("vnet-demo-test-{}.pcap", std::process::id()));
    let src = src.replace("vnet-demo.pcap", &pcap.display().to_string());
    let mut s = Session::new(vnet_cli::DEFAULT_SEED).unwrap();
    let rep = script::run(&mut s, &src, RunOpts::default(), &mut |_| {});
    let t = rep.transcript();
    assert_eq!(rep.status, 0, "{t}");
    assert!(block(&t, "ip netns exec ns1 ping", 0).contains("3 packets transmitted, 3 received"), "{t}");
    assert!(block(&t, "ip netns exec ns2 ping", 0).contains("2 packets transmitted, 2 received"), "{t}");
    let bytes = std::fs::read(&pcap).unwrap();
    let _ = std::fs::remove_file(&pcap);
    assert_eq!(bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1], "classic pcap, little-endian");
    // Header (24) plus at least the ARP exchange and three echo pairs through the port.
    assert!(bytes.len() > 24 + 8 * (16 + 42), "{} bytes", bytes.len());
}

/// Seed 003's bridge section: `brctl` builds the bridge, two namespaces reach each other and the
/// bridge's own address through it, and the bridge learned both hosts.
#[test]
fn seed_003_bridge() {
    let t = replay("003-bridge");
    let show = block(&t, "brctl show", 0);
    assert!(show.contains("br-testsunld01\t\t8000."), "{show}");
    assert!(show.contains("\tno\t\tbr-sunldtap1\n\t\t\t\t\t\t\tbr-sunldtap2\n"), "{show}");
    let link = block(&t, "bridge link", 0);
    assert_eq!(link.matches("master br-testsunld01 state forwarding priority 32 cost 2 \n").count(), 2, "{link}");
    assert!(block(&t, "ethtool -k", 0).ends_with("--- rc=1\n"), "no netns-local line");
    assert!(block(&t, "ip link set br-testsunld01 netns", 0).contains("Error: The interface netns is immutable.\n"));
    assert!(block(&t, "ip netns exec sunldns1 ping", 0).contains("3 packets transmitted, 3 received, 0% packet loss"));
    assert!(block(&t, "ip netns exec sunldns2 ping", 0).contains("2 packets transmitted, 2 received, 0% packet loss"));
    let dynamic = block(&t, "bridge fdb show", 0);
    assert!(dynamic.contains(" dev br-sunldtap1 master br-testsunld01 \n"), "{dynamic}");
    assert!(dynamic.contains(" dev br-sunldtap2 master br-testsunld01 \n"), "{dynamic}");
}
