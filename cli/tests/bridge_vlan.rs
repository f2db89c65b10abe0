//! Bridge VLAN filtering in the `vnet` command (issue 5): the default session's bridge has
//! `CONFIG_BRIDGE_VLAN_FILTERING` (Debian's kernel), `without_kinds(.., &["bridge-vlan-filtering"])`
//! the recorded kernel's; `bridge vlan add|del|show` (iproute2 6.1 `bridge/vlan.c`), the VLAN
//! options of `ip link ... type bridge`, the VLAN files of `/sys/class/net/BR/bridge`, and the
//! scenario `scenarios/bridge-vlan.vnet` (access ports, a trunk, the ingress filter) against its
//! expected transcript.
//!
//! `VNET_BLESS=1 cargo test -p vnet-cli --test bridge_vlan` rewrites the expected transcript;
//! review the diff.

use std::path::PathBuf;

use vnet_cli::Session;
use vnet_cli::script::{self, RunOpts, Step};

fn ok(s: &mut Session, line: &str) -> String {
    let o = s.exec(line);
    assert_eq!((o.rc, o.stderr.as_str()), (0, ""), "{line}");
    o.stdout
}

fn err(s: &mut Session, line: &str) -> (String, i32) {
    let o = s.exec(line);
    assert_eq!(o.stdout, "", "{line}");
    (o.stderr, o.rc)
}

/// br0 (VLAN filtering on) in the root namespace with veth ports p1, p2 (peers q1, q2).
fn setup() -> Session {
    let mut s = Session::new(1).unwrap();
    for l in [
        "ip link add br0 address 02:00:00:00:01:00 type bridge vlan_filtering 1",
        "ip link add p1 address 02:00:00:00:01:01 type veth peer name q1",
        "ip link add p2 address 02:00:00:00:01:02 type veth peer name q2",
        "ip link set p1 master br0",
        "ip link set p2 master br0",
    ] {
        ok(&mut s, l);
    }
    s
}

#[test]
fn new_ports_get_the_default_pvid() {
    let mut s = setup();
    // br_vlan_init / nbp_vlan_init: VLAN 1, PVID, untagged, on the bridge and on every port.
    assert_eq!(
        ok(&mut s, "bridge vlan show"),
        "port              vlan-id  \n\
         br0               1 PVID Egress Untagged\n\
         p1                1 PVID Egress Untagged\n\
         p2                1 PVID Egress Untagged\n"
    );
    assert_eq!(
        ok(&mut s, "bridge -j vlan show"),
        "[{\"ifname\":\"br0\",\"vlans\":[{\"vlan\":1,\"flags\":[\"PVID\",\"Egress Untagged\"]}]},\
         {\"ifname\":\"p1\",\"vlans\":[{\"vlan\":1,\"flags\":[\"PVID\",\"Egress Untagged\"]}]},\
         {\"ifname\":\"p2\",\"vlans\":[{\"vlan\":1,\"flags\":[\"PVID\",\"Egress Untagged\"]}]}]\n"
    );
    // A device that is not a port (q1) has no VLAN table: nothing, not even with `dev`.
    assert_eq!(ok(&mut s, "bridge vlan show dev q1"), "port              vlan-id  \n");
}

#[test]
fn vlan_add_del_and_show_filters() {
    let mut s = setup();
    ok(&mut s, "bridge vlan add vid 10 dev p1 pvid untagged");
    ok(&mut s, "bridge vlan add vid 20-22 dev p1");
    ok(&mut s, "bridge vlan add vid 24 dev p1 untagged");
    assert_eq!(
        ok(&mut s, "bridge vlan show dev p1"),
        "port              vlan-id  \n\
         p1                1 Egress Untagged\n                  \
                           10 PVID Egress Untagged\n                  \
                           20\n                  \
                           21\n                  \
                           22\n                  \
                           24 Egress Untagged\n"
    );
    // -compressvlans: RTEXT_FILTER_BRVLAN_COMPRESSED ranges; `-c` alone is -color (matched first).
    assert_eq!(
        ok(&mut s, "bridge -compressvlans vlan show dev p1"),
        "port              vlan-id  \n\
         p1                1 Egress Untagged\n                  \
                           10 PVID Egress Untagged\n                  \
                           20-22\n                  \
                           24 Egress Untagged\n"
    );
    assert_eq!(
        ok(&mut s, "bridge -com -j vlan show dev p1"),
        "[{\"ifname\":\"p1\",\"vlans\":[{\"vlan\":1,\"flags\":[\"Egress Untagged\"]},\
         {\"vlan\":10,\"flags\":[\"PVID\",\"Egress Untagged\"]},{\"vlan\":20,\"vlanEnd\":22},\
         {\"vlan\":24,\"flags\":[\"Egress Untagged\"]}]}]\n"
    );
    assert_eq!(ok(&mut s, "bridge -c vlan show dev p1").lines().count(), 7, "-c is -color: no ranges");
    // vid N: filter_vlan_check keeps the entries holding N.
    assert_eq!(ok(&mut s, "bridge vlan show vid 21"), "port              vlan-id  \np1                21\n");
    assert_eq!(
        ok(&mut s, "bridge -compressvlans vlan show vid 21"),
        "port              vlan-id  \np1                20-22\n"
    );
    // Deleting, also a VLAN that is not there (br_vlan_info ignores nbp_vlan_delete's ENOENT).
    ok(&mut s, "bridge vlan del vid 20-22 dev p1");
    ok(&mut s, "bridge vlan delete vid 300 dev p1");
    ok(&mut s, "bridge vlan del vid 1 dev p1");
    ok(&mut s, "bridge vlan del vid 24 dev p1");
    assert_eq!(
        ok(&mut s, "bridge vlan show dev p1"),
        "port              vlan-id  \np1                10 PVID Egress Untagged\n"
    );
    // The PVID moves when another VLAN is added with pvid; re-adding without flags clears them.
    ok(&mut s, "bridge vlan add vid 11 dev p1 pvid");
    ok(&mut s, "bridge vlan add vid 10 dev p1");
    assert_eq!(
        ok(&mut s, "bridge vlan show dev p1"),
        "port              vlan-id  \np1                10\n                  11 PVID\n"
    );
    // The bridge's own VLANs need `self`.
    ok(&mut s, "bridge vlan add vid 10 dev br0 self");
    ok(&mut s, "bridge vlan del vid 1 dev br0 self");
    assert_eq!(ok(&mut s, "bridge vlan show dev br0"), "port              vlan-id  \nbr0               10\n");
}

#[test]
fn vlan_errors_are_bridges() {
    let mut s = setup();
    let e = |m: &str| (format!("{m}\n"), 255);
    assert_eq!(err(&mut s, "bridge vlan add dev p1"), e("Device and VLAN ID are required arguments."));
    assert_eq!(err(&mut s, "bridge vlan add vid 10"), e("Device and VLAN ID are required arguments."));
    // The device is looked up before the VID is checked.
    assert_eq!(err(&mut s, "bridge vlan add vid 5000 dev nope"), e("Cannot find bridge device \"nope\""));
    assert_eq!(err(&mut s, "bridge vlan add vid 5000 dev p1"), e("Invalid VLAN ID \"5000\""));
    assert_eq!(err(&mut s, "bridge vlan add vid 30-20 dev p1"), e("Invalid VLAN range \"30-20\""));
    assert_eq!(err(&mut s, "bridge vlan add vid 30-5000 dev p1"), e("Invalid VLAN range \"30-5000\""));
    assert_eq!(err(&mut s, "bridge vlan add vid 30-40 dev p1 pvid"), e("pvid cannot be configured for a vlan range"));
    // Kernel errors: br_vlan_valid_id's extack, rtnl_bridge_setlink's EOPNOTSUPP for a device
    // without a master (the bridge itself without `self`) or without its own handler (`self`
    // on a veth).
    assert_eq!(err(&mut s, "bridge vlan add vid 0 dev p1"), e("Error: Vlan id is invalid."));
    assert_eq!(err(&mut s, "bridge vlan add vid 4095 dev p1"), e("Error: Vlan id is invalid."));
    assert_eq!(err(&mut s, "bridge vlan add vid 10 dev br0"), e("RTNETLINK answers: Operation not supported"));
    assert_eq!(err(&mut s, "bridge vlan add vid 10 dev p1 self"), e("RTNETLINK answers: Operation not supported"));
    assert_eq!(err(&mut s, "bridge vlan add vid 10 dev q1"), e("RTNETLINK answers: Operation not supported"));
    // `master self` on a port: the master's part is done before `self` fails.
    assert_eq!(
        err(&mut s, "bridge vlan add vid 12 dev p1 master self"),
        e("RTNETLINK answers: Operation not supported")
    );
    assert!(ok(&mut s, "bridge vlan show dev p1").contains("                  12\n"));
    assert_eq!(err(&mut s, "bridge vlan show dev nope"), e("Cannot find device \"nope\""));
    assert_eq!(
        err(&mut s, "bridge vlan show dev p1 dev p2"),
        e("Error: duplicate \"dev\": \"p2\" is the second value.")
    );
    assert_eq!(err(&mut s, "bridge vlan show vid"), e("Command line is not complete. Try option \"help\""));
    assert_eq!(err(&mut s, "bridge vlan frob"), e("Command \"frob\" is unknown, try \"bridge vlan help\"."));
}

#[test]
fn ip_link_bridge_vlan_options() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip link add br0 address 02:00:00:00:01:00 type bridge vlan_filtering 1 vlan_default_pvid 5");
    let d = ok(&mut s, "ip -d link show br0");
    // bridge_print_opt with CONFIG_BRIDGE_VLAN_FILTERING: vlan_protocol after vlan_filtering,
    // vlan_default_pvid and the VLAN stats switches after gc_timer.
    assert!(d.contains(" vlan_filtering 1 vlan_protocol 802.1Q bridge_id 8000.2:0:0:0:1:0 "), "{d}");
    assert!(d.contains(" vlan_default_pvid 5 vlan_stats_enabled 0 vlan_stats_per_port 0 group_fwd_mask 0 "), "{d}");
    assert_eq!(
        ok(&mut s, "bridge vlan show"),
        "port              vlan-id  \nbr0               5 PVID Egress Untagged\n"
    );
    ok(&mut s, "ip link set br0 type bridge vlan_filtering 0 vlan_protocol 802.1ad");
    let d = ok(&mut s, "ip -d link show br0");
    assert!(d.contains(" vlan_filtering 0 vlan_protocol 802.1ad "), "{d}");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/vlan_protocol"), "0x88a8\n");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/default_pvid"), "5\n");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/vlan_filtering"), "0\n");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/vlan_stats_enabled"), "0\n");
    // The sysfs stores (vlan_filtering_store: !!val; default_pvid_store).
    ok(&mut s, "echo 7 > /sys/class/net/br0/bridge/vlan_filtering");
    ok(&mut s, "echo 9 > /sys/class/net/br0/bridge/default_pvid");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/vlan_filtering"), "1\n");
    assert!(ok(&mut s, "ip -d link show br0").contains(" vlan_filtering 1 vlan_protocol 802.1ad "));
    assert_eq!(
        ok(&mut s, "bridge vlan show"),
        "port              vlan-id  \nbr0               9 PVID Egress Untagged\n"
    );
    // br_validate: a default PVID of 4095 or more is EINVAL, an unknown protocol EPROTONOSUPPORT.
    assert_eq!(
        err(&mut s, "ip link set br0 type bridge vlan_default_pvid 4095"),
        ("RTNETLINK answers: Invalid argument\n".into(), 2)
    );
    assert_eq!(
        err(&mut s, "ip link set br0 type bridge vlan_protocol 0x1234"),
        ("RTNETLINK answers: Protocol not supported\n".into(), 2)
    );
}

#[test]
fn the_recorded_kernel_has_no_vlan_filtering() {
    let mut s = Session::without_kinds(1, &["bridge-vlan-filtering"]).unwrap();
    assert_eq!(
        err(&mut s, "ip link add br0 type bridge vlan_filtering 1"),
        ("RTNETLINK answers: Operation not supported\n".into(), 2)
    );
    ok(&mut s, "ip link add br0 type bridge");
    ok(&mut s, "ip link add p1 type veth peer name q1");
    ok(&mut s, "ip link set p1 master br0");
    let d = ok(&mut s, "ip -d link show br0");
    assert!(d.contains(" vlan_filtering 0 bridge_id "), "no vlan_protocol: {d}");
    assert!(!d.contains("vlan_default_pvid"), "{d}");
    assert_eq!(ok(&mut s, "bridge vlan show"), "port              vlan-id  \n");
    assert_eq!(
        err(&mut s, "bridge vlan add vid 10 dev p1"),
        ("RTNETLINK answers: Operation not supported\n".into(), 255)
    );
    let o = s.exec("cat /sys/class/net/br0/bridge/vlan_filtering");
    assert_eq!(
        (o.stderr.as_str(), o.rc),
        ("cat: /sys/class/net/br0/bridge/vlan_filtering: No such file or directory\n", 1)
    );
}

/// `scenarios/bridge-vlan.vnet` runs to its end and matches `bridge-vlan.expected`; returns the
/// transcript.
fn replay() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let src = std::fs::read_to_string(dir.join("bridge-vlan.vnet")).unwrap();
    let mut s = Session::new(vnet_cli::DEFAULT_SEED).unwrap();
    let rep = script::run(&mut s, &src, RunOpts::default(), &mut |_| {});
    let failures: Vec<&String> =
        rep.steps.iter().filter_map(|st| if let Step::Failure(m) = st { Some(m) } else { None }).collect();
    let t = rep.transcript();
    assert!(failures.is_empty(), "{failures:?}\n{t}");
    assert_eq!(rep.status, 0);
    let path = dir.join("bridge-vlan.expected");
    if std::env::var_os("VNET_BLESS").is_some() {
        std::fs::write(&path, &t).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(t == want, "transcript differs from {}:\n{t}", path.display());
    t
}

/// The block of the `n`th (0-based) command that is exactly `cmd`, without the comments after it.
fn block<'t>(t: &'t str, cmd: &str, n: usize) -> &'t str {
    let needle = format!("$ {cmd}\n");
    let start = t.match_indices(&needle).nth(n).unwrap_or_else(|| panic!("no block {n} for {cmd}")).0;
    // Up to the next command or comment line.
    let rest = &t[start + 2..];
    let next = [rest.find("\n$ "), rest.find("\n# ")].into_iter().flatten().min();
    let end = next.map_or(t.len(), |e| start + 2 + e + 1);
    &t[start..end]
}

#[test]
fn scenario_access_ports_and_a_trunk() {
    let t = replay();
    assert_eq!(
        block(&t, "bridge -n sw vlan show", 1),
        "$ bridge -n sw vlan show\n--- stdout\n\
         port              vlan-id  \n\
         br0               1 PVID Egress Untagged\n\
         p1                10 PVID Egress Untagged\n\
         p2                10 PVID Egress Untagged\n\
         p3                20 PVID Egress Untagged\n\
         trunk             1 PVID Egress Untagged\n                  \
                           10\n                  \
                           20\n\
         --- rc=0\n"
    );
    // Same VLAN: h1 reaches h2.
    assert!(block(&t, "ip netns exec h1 ping -c 2 -i 0.2 10.0.10.2", 0).contains("2 received, 0% packet loss"));
    // VLAN 20 (same subnet): the ingress filter keeps h3 out.
    assert!(block(&t, "ip netns exec h3 ping -c 2 -i 0.2 -W 1 10.0.10.1", 0).contains("0 received, 100% packet loss"));
    // The trunk: VLAN 10 and 20 tagged, the router answers on eth0.10.
    let cap = block(&t, "kill %1", 0);
    assert!(cap.contains(
        "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype 802.1Q (0x8100), length 46: vlan 10, p 0, \
         ethertype ARP (0x0806), Request who-has 10.0.10.2 tell 10.0.10.1, length 28\n"
    ));
    assert!(cap.contains(
        "02:00:00:00:00:03 > ff:ff:ff:ff:ff:ff, ethertype 802.1Q (0x8100), length 46: vlan 20, p 0, \
         ethertype ARP (0x0806), Request who-has 10.0.10.1 tell 10.0.10.3, length 28\n"
    ));
    assert!(cap.contains(
        "02:00:00:00:00:04 > 02:00:00:00:00:01, ethertype 802.1Q (0x8100), length 102: vlan 10, p 0, \
         ethertype IPv4 (0x0800), 10.0.10.254 > 10.0.10.1: ICMP echo reply"
    ));
    assert!(!cap.contains("ethertype IPv4 (0x0800), length"), "nothing untagged on the trunk");
    assert_eq!(
        block(&t, "bridge -n sw fdb show br br0 dynamic", 0),
        "$ bridge -n sw fdb show br br0 dynamic\n--- stdout\n\
         02:00:00:00:00:01 dev p1 vlan 10 master br0 \n\
         02:00:00:00:00:02 dev p2 vlan 10 master br0 \n\
         02:00:00:00:00:03 dev p3 vlan 20 master br0 \n\
         02:00:00:00:00:04 dev trunk vlan 10 master br0 \n\
         --- rc=0\n"
    );
    // Moved into VLAN 10, h3 gets through.
    assert!(block(&t, "ip netns exec h3 ping -c 1 10.0.10.2", 0).contains("1 received, 0% packet loss"));
    assert_eq!(
        block(&t, "bridge -n sw -compressvlans vlan show dev trunk", 0),
        "$ bridge -n sw -compressvlans vlan show dev trunk\n--- stdout\n\
         port              vlan-id  \n\
         trunk             1 PVID Egress Untagged\n                  \
                           10\n                  \
                           20\n                  \
                           100-103\n\
         --- rc=0\n"
    );
}
