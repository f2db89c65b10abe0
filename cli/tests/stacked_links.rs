//! `ip link add|set ... type macvlan|vlan|ipvlan`, their `ip -d link` lines and `ethtool -i`
//! (iproute2 6.1 `iplink_macvlan.c`, `iplink_vlan.c`, `iplink_ipvlan.c`; the kernel's
//! `macvlan_fill_info`, `vlan_fill_info`, `ipvlan_nl_fillinfo` and `*_get_drvinfo`). The error
//! texts and exit statuses were checked against this machine's iproute2 6.1.

use proptest::prelude::*;
use vnet_cli::{Output, Session};

/// A session with `eth0` (ifindex 2, MAC 02:00:00:00:07:00), a veth whose peer `peer0` (3,
/// 02:00:00:00:07:ff) is in the root namespace too. Both stay down, so the stacked devices show
/// `M-DOWN` (their link is down).
fn host() -> Session {
    let mut s = Session::new(1).unwrap();
    let o = s.exec("ip link add eth0 address 02:00:00:00:07:00 type veth peer name peer0 address 02:00:00:00:07:ff");
    assert_eq!(o.rc, 0, "{o:?}");
    s
}

fn ok(s: &mut Session, line: &str) -> String {
    let o = s.exec(line);
    assert_eq!((o.rc, o.stderr.as_str()), (0, ""), "{line}");
    o.stdout
}

fn err(s: &mut Session, line: &str) -> (String, i32) {
    let o: Output = s.exec(line);
    assert_eq!(o.stdout, "", "{line}");
    (o.stderr, o.rc)
}

/// The tail every `-d` kind line ends with for a single-queue device over a veth
/// (`netif_inherit_tso_max` gives the veth's `tso_max_size`).
const TAIL: &str = "addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 \
                    tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n";

#[test]
fn vlan_add_show_and_changelink() {
    let mut s = host();
    ok(&mut s, "ip link add link eth0 name eth0.2 type vlan id 2");
    assert_eq!(
        ok(&mut s, "ip -d link show eth0.2"),
        format!(
            "4: eth0.2@eth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    \
             link/ether 02:00:00:00:07:00 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 65535 \n    \
             vlan protocol 802.1Q id 2 <REORDER_HDR> {TAIL}"
        )
    );
    ok(
        &mut s,
        "ip link add link eth0 name eth0.3 type vlan id 3 protocol 802.1ad reorder_hdr off gvrp on ingress-qos-map 1:2 egress-qos-map 3:4",
    );
    ok(&mut s, "ip link set eth0.3 type vlan reorder_hdr on loose_binding on");
    let d = ok(&mut s, "ip -d link show eth0.3");
    assert!(
        d.ends_with(&format!(
            "    vlan protocol 802.1ad id 3 <REORDER_HDR,GVRP,LOOSE_BINDING> \n      ingress-qos-map {{ 1:2 }} \n      \
             egress-qos-map {{ 3:4 }} {TAIL}"
        )),
        "{d}"
    );
    ok(&mut s, "ip link set eth0.3 type vlan gvrp off");
    assert!(ok(&mut s, "ip -d link show eth0.3").contains("vlan protocol 802.1ad id 3 <REORDER_HDR,LOOSE_BINDING> \n"));
    // ethtool -i: vlan_ethtool_get_drvinfo.
    assert_eq!(
        ok(&mut s, "ethtool -i eth0.2"),
        "driver: 802.1Q VLAN Support\nversion: 1.8\nfirmware-version: N/A\nexpansion-rom-version: \nbus-info: \n\
         supports-statistics: no\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\n\
         supports-priv-flags: no\n"
    );
}

#[test]
fn vlan_errors() {
    let mut s = host();
    ok(&mut s, "ip link add link eth0 name eth0.2 type vlan id 2");
    // Kernel errors (vlan_validate, vlan_newlink): extended acks, exit status 2.
    for (line, msg) in [
        ("ip link add link eth0 name v5 type vlan id 4095", "Error: 8021q: Invalid VLAN id.\n"),
        ("ip link add link eth0 name v5 type vlan", "Error: 8021q: VLAN properties not specified.\n"),
        ("ip link add name v5 type vlan id 5", "Error: 8021q: link not specified.\n"),
        ("ip link add link eth0 name v5 type vlan id 2", "Error: 8021q: VLAN device already exists.\n"),
    ] {
        assert_eq!(err(&mut s, line), (msg.to_string(), 2), "{line}");
    }
    // iproute2's own (vlan_parse_opt): invarg and incomplete_command exit(-1), the rest return -1.
    for (line, msg, rc) in [
        ("ip link add link eth0 name v5 type vlan id x", "Error: argument \"x\" is wrong: id is invalid\n", 255),
        ("ip link add link eth0 name v5 type vlan id", "Command line is not complete. Try option \"help\"\n", 255),
        (
            "ip link add link eth0 name v5 type vlan protocol foo",
            "Error: argument \"foo\" is wrong: protocol is invalid\n",
            255,
        ),
        (
            "ip link add link eth0 name v5 type vlan ingress-qos-map 1:2 3:x",
            "Error: argument \"3\" is wrong: invalid ingress-qos-map\n",
            255,
        ),
        (
            "ip link add link eth0 name v5 type vlan reo yes",
            "Error: argument of \"reorder_hdr\" must be \"on\" or \"off\", not \"yes\"\n",
            1,
        ),
    ] {
        assert_eq!(err(&mut s, line), (msg.to_string(), rc), "{line}");
    }
    let (e, rc) = err(&mut s, "ip link add link eth0 name v5 type vlan bogus");
    assert_eq!(rc, 1);
    assert_eq!(
        e,
        "vlan: unknown command \"bogus\"?\nUsage: ... vlan id VLANID\n\t\t[ protocol VLANPROTO ]\n\
         \t\t[ reorder_hdr { on | off } ]\n\t\t[ gvrp { on | off } ]\n\t\t[ mvrp { on | off } ]\n\
         \t\t[ loose_binding { on | off } ]\n\t\t[ bridge_binding { on | off } ]\n\t\t[ ingress-qos-map QOS-MAP ]\n\
         \t\t[ egress-qos-map QOS-MAP ]\n\nVLANID := 0-4095\nVLANPROTO: [ 802.1Q | 802.1ad ]\n\
         QOS-MAP := [ QOS-MAP ] QOS-MAPPING\nQOS-MAPPING := FROM:TO\n"
    );
    // IFLA_INFO_DATA for another kind: rtnl_newlink's EOPNOTSUPP.
    assert_eq!(
        err(&mut s, "ip link set eth0.2 type macvlan mode bridge"),
        ("RTNETLINK answers: Operation not supported\n".into(), 2)
    );
    assert_eq!(s.exec("ip link show v5").rc, 1, "nothing was created");
}

#[test]
fn macvlan_forms_and_source_lists() {
    let mut s = host();
    ok(&mut s, "ip link add mv1 link eth0 address 02:00:00:00:07:01 type macvlan mode bridge");
    assert_eq!(
        ok(&mut s, "ip -d link show mv1"),
        format!(
            "4: mv1@eth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    \
             link/ether 02:00:00:00:07:01 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n    \
             macvlan mode bridge bcqueuelen 1000 usedbcqueuelen 1000 {TAIL}"
        )
    );
    // Beside other macvlans passthru is refused (macvlan_common_newlink), with no extended ack.
    assert_eq!(
        err(&mut s, "ip link add mv9 link eth0 type macvlan mode passthru"),
        ("RTNETLINK answers: Invalid argument\n".into(), 2)
    );
    // macaddr outside source mode, and passthru by changelink: EINVAL.
    assert_eq!(
        err(&mut s, "ip link set mv1 type macvlan macaddr add 02:00:00:00:00:01"),
        ("RTNETLINK answers: Invalid argument\n".into(), 2)
    );
    assert_eq!(
        err(&mut s, "ip link set mv1 type macvlan mode passthru"),
        ("RTNETLINK answers: Invalid argument\n".into(), 2)
    );
    ok(&mut s, "ip link set mv1 type macvlan mode vepa bcqueuelen 50");
    assert!(
        ok(&mut s, "ip -d link show mv1").contains("    macvlan mode vepa bcqueuelen 50 usedbcqueuelen 50 addrgenmode")
    );

    ok(&mut s, "ip link add mv2 link eth0 address 02:00:00:00:07:02 type macvlan mode source");
    // The port's queue is the largest any macvlan asked for (update_port_bc_queue_len).
    assert!(
        ok(&mut s, "ip -d link show mv1")
            .contains("    macvlan mode vepa bcqueuelen 50 usedbcqueuelen 1000 addrgenmode")
    );
    let src = |s: &mut Session| {
        let d = ok(s, "ip -d link show mv2");
        let start = d.find("macvlan mode").unwrap();
        d[start..d.find("addrgenmode").unwrap()].to_string()
    };
    assert_eq!(src(&mut s), "macvlan mode source bcqueuelen 1000 usedbcqueuelen 1000 remotes (0) ");
    ok(&mut s, "ip link set mv2 type macvlan macaddr add 02:00:00:00:00:01");
    ok(&mut s, "ip link set mv2 type macvlan macaddr add 02:00:00:00:00:02");
    assert_eq!(
        src(&mut s),
        "macvlan mode source bcqueuelen 1000 usedbcqueuelen 1000 remotes (2) 02:00:00:00:00:02 02:00:00:00:00:01 "
    );
    ok(&mut s, "ip link set mv2 type macvlan macaddr del 02:00:00:00:00:01");
    assert!(src(&mut s).ends_with("remotes (1) 02:00:00:00:00:02 "));
    ok(&mut s, "ip link set mv2 type macvlan macaddr set 02:00:00:00:00:03 02:00:00:00:00:04");
    assert!(src(&mut s).ends_with("remotes (2) 02:00:00:00:00:04 02:00:00:00:00:03 "));
    ok(&mut s, "ip link set mv2 type macvlan macaddr flush");
    assert!(src(&mut s).ends_with("remotes (0) "));
    assert_eq!(
        ok(&mut s, "ethtool -i mv1"),
        "driver: macvlan\nversion: 0.1\nfirmware-version: \nexpansion-rom-version: \nbus-info: \n\
         supports-statistics: no\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\n\
         supports-priv-flags: no\n"
    );
}

#[test]
fn macvlan_argument_errors() {
    let mut s = host();
    for (line, msg, rc) in [
        (
            "ip link add mv3 link eth0 type macvlan mode bogus",
            "Error: argument of \"mode\" must be \"private\", \"vepa\", \"bridge\", \"passthru\" or \"source\", not \"bogus\"\n",
            1,
        ),
        ("ip link add mv3 link eth0 type macvlan mode", "Command line is not complete. Try option \"help\"\n", 255),
        ("ip link add mv3 link eth0 type macvlan macaddr add zz", "\"zz\" is invalid lladdr.\n", 1),
        (
            "ip link add mv3 link eth0 type macvlan bcqueuelen -1",
            "Error: argument of \"bcqueuelen\" must be a positive integer [0-4294967295], not \"-1\"\n",
            1,
        ),
    ] {
        assert_eq!(err(&mut s, line), (msg.to_string(), rc), "{line}");
    }
    let (e, rc) = err(&mut s, "ip link add mv3 link eth0 type macvlan nosuchword");
    assert_eq!(rc, 1);
    assert_eq!(
        e,
        "macvlan: unknown option \"nosuchword\"?\n\
         Usage: ... macvlan mode MODE [flag MODE_FLAG] MODE_OPTS [bcqueuelen BC_QUEUE_LEN]\n\n\
         MODE: private | vepa | bridge | passthru | source\nMODE_FLAG: null | nopromisc | nodst\n\
         MODE_OPTS: for mode \"source\":\n\
         \tmacaddr { { add | del } <macaddr> | set [ <macaddr> [ <macaddr>  ... ] ] | flush }\n\
         BC_QUEUE_LEN: Length of the rx queue for broadcast/multicast: [0-4294967295]\n"
    );
    let (e, rc) = err(&mut s, "ip link add mv3 link eth0 type macvlan nopromisc");
    assert_eq!((e.lines().next(), rc), (Some("macvlan: nopromisc flag only valid in passthru mode"), 1));
}

#[test]
fn ipvlan_forms_and_errors() {
    let mut s = host();
    ok(&mut s, "ip link add link eth0 name ipv1 type ipvlan mode l2");
    // iproute2 prints " mode %s " right after the kind: two spaces.
    assert_eq!(
        ok(&mut s, "ip -d link show ipv1"),
        format!(
            "4: ipv1@eth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    \
             link/ether 02:00:00:00:07:00 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n    \
             ipvlan  mode l2 bridge {TAIL}"
        )
    );
    // Mode and flags belong to the port: a second slave changes them for both.
    ok(&mut s, "ip link add link eth0 name ipv2 type ipvlan mode l3 private");
    assert!(ok(&mut s, "ip -d link show ipv1").contains("    ipvlan  mode l3 private addrgenmode"));
    ok(&mut s, "ip link set ipv2 type ipvlan mode l3s vepa");
    assert!(ok(&mut s, "ip -d link show ipv1").contains("    ipvlan  mode l3s vepa addrgenmode"));
    // A macvlan on a lower that carries an ipvlan port: the rx handler is taken.
    assert_eq!(
        err(&mut s, "ip link add link eth0 name mv1 type macvlan"),
        ("RTNETLINK answers: Device or resource busy\n".into(), 2)
    );
    assert_eq!(
        err(&mut s, "ip link add link eth0 name ipv3 type ipvlan mode l4"),
        ("Error: argument of \"mode\" must be either \"l2\", \"l3\" or \"l3s\"\n".into(), 1)
    );
    assert_eq!(
        err(&mut s, "ip link add link eth0 name ipv3 type ipvlan private vepa"),
        (
            "ipvlan: unknown option \"vepa\"?\nUsage: ... ipvlan [ mode MODE ] [ FLAGS ]\n\nMODE: l3 | l3s | l2\n\
             FLAGS: bridge | private | vepa\n(first values are the defaults if nothing is specified).\n"
                .into(),
            1
        )
    );
    assert_eq!(
        err(&mut s, "ip link add link eth0 name ipv3 type ipvlan mode"),
        ("Command line is not complete. Try option \"help\"\n".into(), 255)
    );
    assert_eq!(
        ok(&mut s, "ethtool -i ipv1"),
        "driver: ipvlan\nversion: 0.1\nfirmware-version: \nexpansion-rom-version: \nbus-info: \n\
         supports-statistics: no\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\n\
         supports-priv-flags: no\n"
    );
}

/// A word of the three kinds' grammars, or a stray one.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "mode",
            "bridge",
            "vepa",
            "private",
            "passthru",
            "source",
            "l2",
            "l3",
            "l3s",
            "flag",
            "nopromisc",
            "nodst",
            "null",
            "macaddr",
            "add",
            "del",
            "set",
            "flush",
            "bcqueuelen",
            "id",
            "protocol",
            "802.1Q",
            "802.1ad",
            "reorder_hdr",
            "gvrp",
            "mvrp",
            "loose_binding",
            "bridge_binding",
            "ingress-qos-map",
            "egress-qos-map",
            "on",
            "off",
            "help",
            "02:00:00:00:00:01",
            "1:2",
            "4095",
            "0x10",
            "1:",
            ":",
            "",
        ])
        .prop_map(str::to_string),
        "[a-z0-9:.x-]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No input panics, every outcome has an exit status iproute2 can give, and a failed `add`
    /// leaves nothing behind.
    #[test]
    fn argument_grammar_never_panics(kind in prop::sample::select(vec!["macvlan", "vlan", "ipvlan"]),
                                     words in prop::collection::vec(word(), 0..7), set in any::<bool>()) {
        let mut s = host();
        let args = words.iter().map(|w| if w.is_empty() { "''".to_string() } else { w.clone() }).collect::<Vec<_>>().join(" ");
        let line = if set {
            format!("ip link set peer0 type {kind} {args}")
        } else {
            format!("ip link add link eth0 name x0 type {kind} {args}")
        };
        let o = s.exec(&line);
        prop_assert!(matches!(o.rc, 0 | 1 | 2 | 255), "{line}: {o:?}");
        if o.rc != 0 {
            prop_assert!(!o.stderr.is_empty(), "{line}: {o:?}");
            prop_assert_eq!(s.exec("ip link show x0").rc, 1, "{}", line);
        }
    }
}
