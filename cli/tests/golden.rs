//! The recorded Linux transcripts (`reference/linux-golden/<scenario>/transcript.txt`) replayed on
//! vnet: `scenarios/golden/<scenario>.vnet` (generated from the scenario's `script.sh` by
//! `tools/golden2vnet.sh`) is run, and every command block of its transcript must equal the
//! recorded one byte for byte, after masking only what differs between two Linux runs too (ping
//! round-trip times, neighbour `used` ages, random MACs where the script asked for random ones).
//!
//! Lines vnet adds to drive time and captures (`sleep`, the background `tcpdump`, `kill`, the
//! final `wait`) are not in the recording and are left out of the comparison. A block that is
//! known to differ is listed in the scenario's `KNOWN` table with the reason; the test fails both
//! when an unlisted block differs and when a listed one has started to match (so the table stays
//! true).

mod common;

use std::path::PathBuf;

use vnet_cli::Session;
use vnet_cli::script::{self, RunOpts};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Run a golden scenario on vnet and check it against the recording and its known differences.
fn check(name: &str, random_macs: bool, known: &[(&str, &str)]) {
    let src = std::fs::read_to_string(root().join(format!("scenarios/golden/{name}.vnet"))).unwrap();
    let want = std::fs::read_to_string(root().join(format!("reference/linux-golden/{name}/transcript.txt"))).unwrap();
    // The recordings came from a kernel without the 8021q module (their README).
    let mut s = Session::without_kinds(1, &["vlan", "bridge-vlan-filtering"]).unwrap();
    let rep = script::run(&mut s, &src, RunOpts { keep_going: true }, &mut |_| {});
    let diffs = common::diff_transcripts(name, &rep.transcript(), &want, random_macs);
    common::check_known(name, &diffs, known);
}
#[test]
fn golden_veth_basic() {
    check("veth-basic", false, &[]);
}

#[test]
fn golden_veth_ping() {
    check(
        "veth-ping",
        false,
        &[(
            "ip -n vg-b addr",
            "linkwatch: veth1's carrier-on came from its own open, before its qdisc was activated, so the \
         kernel treats it as non-urgent and applies it up to 1 s later (linkwatch_urgent_event, \
         linkwatch_schedule_work); Linux shows NO-CARRIER/state DOWN for that second, vnet's \
         link-watch runs at once",
        )],
    );
}

#[test]
fn golden_veth_ipv6_up() {
    check(
        "veth-ipv6-up",
        false,
        &[(
            "date -u +%H:%M:%S.%N",
            "the recording's wall clock against vnet's virtual clock (the script prints the time beside the captures)",
        )],
    );
}

#[test]
fn golden_veth_operstate_ifindex() {
    check("veth-operstate-ifindex", false, &[]);
}

#[test]
fn golden_errors() {
    check("errors", true, &[]);
}

#[test]
fn golden_macvlan_modes() {
    // Only the MACs of mv3 and mv5 differ: the script gives them none, so both kernels draw one
    // (eth_hw_addr_random). The other MACs are compared exactly, which masking every MAC would not do.
    const RANDOM: &str = "mv3 and mv5 were created without an address: eth_hw_addr_random draws a different one on \
                          each kernel (everything else in the block matches)";
    check("macvlan-modes", false, &[("ip -n vg-lo -d link show", RANDOM), ("ip -n vg-lo link show", RANDOM)]);
}

#[test]
fn golden_bridge_basic() {
    const IGMP: &str = "the bridge sends no IGMP report of its own (no multicast snooping, netdev-bridge's documented \
         deviation): Linux's br0 TX 54 B / 1 packet / 1 dropped and each port's and peer's extra 54 B / 1 packet \
         are absent";
    check(
        "bridge-basic",
        false,
        &[
            (
                "ip -n vg-br -d link show p1",
                "forward_delay_timer is 14.44 on Linux (wall-clock time between the port's carrier and the command, \
                 sleep 0.5 plus process start-up) and 14.50 on vnet's virtual clock",
            ),
            (
                "bridge -n vg-br fdb show br br0",
                "the `self permanent` lines come from the devices' multicast lists: vnet's IPv4 stack does not put \
                 01:00:5e:00:00:01 (224.0.0.1, ip_mc_up) into them, and the bridge has no multicast snooping, so \
                 it does not join 224.0.0.106 / ff02::6a (01:00:5e:00:00:6a, 33:33:00:00:00:6a)",
            ),
            ("ip -n vg-br -s link", IGMP),
            ("ip -n vg-h1 -s link show h1", IGMP),
            ("ip -n vg-h2 -s link show h2", IGMP),
            ("ip -n vg-br -s -s link", IGMP),
            ("ip -n vg-h1 -s -s link", IGMP),
            ("ip -n vg-h2 -s -s link", IGMP),
            (
                "ip netns exec vg-br ethtool -k br0",
                "the bridge's GSO features (tx-gso-robust, tx-fcoe-segmentation `off [requested on]`, \
                 tx-gso-partial, tx-tunnel-remcsum-segmentation, tx-esp-segmentation `on`: br_dev_setup's \
                 NETIF_F_GSO_MASK) are not in vnet's ethtool feature table for bridges",
            ),
        ],
    );
}
