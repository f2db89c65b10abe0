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

#[test]
fn seed_000_venet() {
    let t = replay("000-venet");
    assert!(block(&t, "ip link show venet0", 0).contains("<BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP>"));
    assert!(block(&t, "ip link show venet0", 0).contains("    link/void \n"));
    // --ipadd: a host route through venet0, a proxy entry on eth0, the address in the container.
    assert!(block(&t, "ip route", 0).contains("10.0.0.1 dev venet0 scope link \n"));
    assert!(block(&t, "ip neigh show proxy", 0).contains("10.0.0.1 dev eth0 proxy \n"));
    assert!(block(&t, "vzctl exec 101 ip addr show venet0", 0).contains("inet 10.0.0.1/32 scope global venet0:0"));
    // Both ways over venet0, captured as raw IP.
    assert!(block(&t, "ping -c 2 10.0.0.1", 0).contains("2 packets transmitted, 2 received"));
    let cap = block(&t, "kill %1", 0);
    assert!(cap.contains("link-type RAW (Raw IP)"));
    assert!(cap.contains("IP 10.0.0.1 > 192.168.0.10: ICMP echo reply"));
    assert!(block(&t, "vzctl exec 101 ping", 0).contains("1 received"));
    assert!(block(&t, "ping -c 1 fd00::101", 0).contains("1 received"));
    // --ipdel without --save: gone now (route, proxy entry, address), back after a restart.
    assert!(!block(&t, "ip route", 1).contains("10.0.0.1"));
    assert!(!block(&t, "ip neigh show proxy", 1).contains("10.0.0.1"));
    assert!(block(&t, "ping -c 1 -W 1 10.0.0.1", 0).contains("Network is unreachable"));
    assert!(block(&t, "vzctl exec 101 ip addr show venet0", 1).contains("inet 10.0.0.1/32"));
    // --ipdel all --save.
    assert!(!block(&t, "vzctl exec 101 ip addr show venet0", 2).contains("inet"));
    assert!(block(&t, "vzctl exec 101 ip -4 addr show venet0", 1).contains("inet 10.1.2.3/25"));
    assert!(block(&t, "ip link set venet0 master br0", 0).contains("RTNETLINK answers: Invalid argument"));
}

#[test]
fn seed_004_arp_flux() {
    let t = replay("004-arp-flux");
    let macs = ["00:0c:29:b3:a2:54", "00:0c:29:b3:a2:68", "00:0c:29:b3:a2:5e"];
    let replies = |cap: &str, ip: &str| macs.iter().filter(|m| cap.contains(&format!("Reply {ip} is-at {m}"))).count();
    // Example one: three replies for the host's address; after arp_ignore=1, one (eth0's).
    assert_eq!(replies(block(&t, "kill %1", 0), "192.168.18.10"), 3);
    assert!(block(&t, "sysctl -a | grep net.ipv4.conf.*.arp", 0).contains("net.ipv4.conf.venet0.arp_ignore = 0"));
    assert!(block(&t, "sysctl -a | grep net.ipv4.conf.all.arp", 0).contains("net.ipv4.conf.all.arp_ignore = 1"));
    assert!(block(&t, "sysctl -a | grep net.ipv4.conf.all.arp", 0).contains("net.ipv4.conf.all.arp_announce = 2"));
    let two = block(&t, "kill %1", 1);
    assert_eq!(replies(two, "192.168.18.10"), 1);
    assert!(two.contains("Reply 192.168.18.10 is-at 00:0c:29:b3:a2:54"));
    // Example three: the containers' addresses are proxied on every device: three replies.
    assert_eq!(replies(block(&t, "kill %1", 2), "192.168.18.101"), 3);
    let arp = block(&t, "cat /proc/net/arp", 0);
    for dev in ["eth0", "eth3", "eth4"] {
        assert!(
            arp.contains(&format!("192.168.18.101   0x1         0xc         00:00:00:00:00:00     *        {dev}"))
        );
    }
    // The fix: proxy entries on eth0 only, so one reply per container address.
    let fixed = block(&t, "kill %1", 3);
    assert_eq!(replies(fixed, "192.168.18.101"), 1);
    assert_eq!(replies(fixed, "192.168.18.102"), 1);
    assert!(!block(&t, "cat /proc/net/arp", 1).contains("0xc         00:00:00:00:00:00     *        eth3"));
    assert!(block(&t, "ip link set venet0 master br0", 0).contains("RTNETLINK answers: Invalid argument"));
}

#[test]
fn seed_002_vlan() {
    let t = replay("002-vlan");
    assert!(
        block(&t, "ip -d link show eth0.2", 0).contains("vlan protocol 802.1Q id 2 <REORDER_HDR> addrgenmode"),
        "{t}"
    );
    assert!(block(&t, "ping -c 1 -W 1 10.0.2.2", 0).contains("1 packets transmitted, 1 received"), "{t}");
    assert!(block(&t, "ping -c 1 -W 1 10.0.3.2", 0).contains("1 packets transmitted, 1 received"), "{t}");
    // On the wire each subnet's frames carry their own VLAN tag.
    let capture = block(&t, "kill -INT %1", 0);
    assert!(
        capture.contains("vlan 2, p 0, ethertype IPv4 (0x0800), 10.0.2.1 > 10.0.2.2: ICMP echo request"),
        "{capture}"
    );
    assert!(
        capture.contains("vlan 3, p 0, ethertype IPv4 (0x0800), 10.0.3.2 > 10.0.3.1: ICMP echo reply"),
        "{capture}"
    );
    assert!(block(&t, "ip link add link eth0 name eth0.4095", 0).contains("Error: 8021q: Invalid VLAN id.\n--- rc=2"));
}

#[test]
fn seed_002_macvlan() {
    let t = replay("002-macvlan");
    // Moved into net1, the macvlan still names its lower device (in the root namespace).
    assert!(block(&t, "ip -n net1 -d link show macvlan1", 0).contains("macvlan1@if2:"), "{t}");
    assert!(block(&t, "ip -n net1 -d link show macvlan1", 0).contains("macvlan mode bridge bcqueuelen 1000"), "{t}");
    // Bridge mode: the siblings in two namespaces reach each other, and the outside.
    assert!(block(&t, "ip netns exec net1 ping", 0).contains("2 packets transmitted, 2 received, 0% packet loss"));
    assert!(block(&t, "ip netns exec net2 ping", 0).contains("2 packets transmitted, 2 received, 0% packet loss"));
    // The outside learnt macvlan2's own MAC, not eth0's.
    let mac2 = block(&t, "ip -n net2 -d link show macvlan2", 0)
        .split("link/ether ")
        .nth(1)
        .and_then(|r| r.get(..17))
        .unwrap()
        .to_string();
    assert!(block(&t, "ip -n outside neigh show", 0).contains(&format!("10.0.0.2 dev eth0 lladdr {mac2} ")), "{t}");
}

#[test]
fn seed_002_ipvlan() {
    let t = replay("002-ipvlan");
    assert!(block(&t, "ip -n ns0 -d link show ipvl0", 0).contains("ipvlan  mode l2 bridge addrgenmode eui64"), "{t}");
    assert!(block(&t, "ip netns exec ns0 ping", 0).contains("2 packets transmitted, 2 received, 0% packet loss"));
    // The slave shares eth0's MAC: the outside's neighbour entry for it is eth0's address.
    let eth0 = block(&t, "ip link show eth0", 0);
    let mac = eth0.split("link/ether ").nth(1).and_then(|r| r.get(..17)).unwrap();
    assert!(block(&t, "ip -n outside neigh show", 0).contains(&format!("10.0.0.10 dev eth0 lladdr {mac} ")), "{t}");
    assert!(
        block(&t, "ip netns exec ns0 ethtool -i ipvl0", 0)
            .starts_with("$ ip netns exec ns0 ethtool -i ipvl0\n--- stdout\ndriver: ipvlan\nversion: 0.1\n")
    );
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
