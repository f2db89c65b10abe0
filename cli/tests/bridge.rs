//! `bridge`, `brctl`, the bridge's sysfs files and `ip -d link`'s `bridge_slave` line, against
//! iproute2 6.1 / bridge-utils 1.7 output (the golden `bridge-basic` transcript where it covers
//! the form).

use proptest::prelude::*;
use vnet_cli::Session;

/// Run `line`, expect success, return stdout.
fn ok(s: &mut Session, line: &str) -> String {
    let o = s.exec(line);
    assert_eq!(o.rc, 0, "{line}: {}", o.stderr);
    o.stdout
}

/// Run `line`, expect failure, return (stderr, rc).
fn err(s: &mut Session, line: &str) -> (String, i32) {
    let o = s.exec(line);
    assert_ne!(o.rc, 0, "{line} succeeded: {}", o.stdout);
    (o.stderr, o.rc)
}

/// The golden bridge-basic setup: br0 in vg-br with ports p1, p2 whose peers h1, h2 are in their
/// own namespaces, on the recorded kernel (without `CONFIG_BRIDGE_VLAN_FILTERING`).
fn golden_setup() -> Session {
    let mut s = Session::without_kinds(1, &["bridge-vlan-filtering"]).unwrap();
    for l in [
        "ip netns add vg-br",
        "ip netns add vg-h1",
        "ip netns add vg-h2",
        "ip netns exec vg-br sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1",
        "ip netns exec vg-h1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1",
        "ip netns exec vg-h2 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1",
        "ip -n vg-br link add br0 address 02:00:00:00:01:00 type bridge",
        "ip link add p1 netns vg-br address 02:00:00:00:01:01 type veth peer name h1 netns vg-h1 address 02:00:00:00:00:01",
        "ip link add p2 netns vg-br address 02:00:00:00:01:02 type veth peer name h2 netns vg-h2 address 02:00:00:00:00:02",
        "ip -n vg-br link set p1 master br0",
        "ip -n vg-br link set p2 master br0",
    ] {
        ok(&mut s, l);
    }
    s
}

/// Bring everything up as the golden script does.
fn up(s: &mut Session) {
    for l in [
        "ip -n vg-h1 addr add 10.0.1.1/24 dev h1",
        "ip -n vg-h2 addr add 10.0.1.2/24 dev h2",
        "ip -n vg-br link set br0 up",
        "ip -n vg-br link set p1 up",
        "ip -n vg-br link set p2 up",
        "ip -n vg-h1 link set h1 up",
        "ip -n vg-h2 link set h2 up",
        "sleep 0.5",
    ] {
        ok(s, l);
    }
}

#[test]
fn bridge_link_matches_the_golden_lines() {
    let mut s = golden_setup();
    assert_eq!(
        ok(&mut s, "bridge -n vg-br link"),
        "3: p1@br0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n\
         4: p2@br0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n"
    );
    up(&mut s);
    assert_eq!(
        ok(&mut s, "bridge -n vg-br -d link show dev p1"),
        "3: p1@br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state forwarding priority 32 cost 2 \n    \
         hairpin off guard off root_block off fastleave off learning on flood on mcast_flood on bcast_flood on \
         mcast_router 1 mcast_to_unicast off neigh_suppress off vlan_tunnel off isolated off locked off \n"
    );
    // -d lists the bridge itself too (br_getlink answers for it with RTEXT_FILTER_BRVLAN).
    let d = ok(&mut s, "bridge -n vg-br -d link");
    assert!(d.starts_with("2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 \n3: p1@br0:"), "{d}");
    let j = ok(&mut s, "bridge -n vg-br -j link show dev p2");
    assert_eq!(
        j,
        "[{\"ifindex\":4,\"link\":\"br0\",\"ifname\":\"p2\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\
         \"mtu\":1500,\"master\":\"br0\",\"state\":\"forwarding\",\"priority\":32,\"cost\":2}]\n"
    );
}

#[test]
fn bridge_link_set_changes_the_port() {
    let mut s = golden_setup();
    up(&mut s);
    ok(&mut s, "bridge -n vg-br link set dev p1 learning off flood off hairpin on cost 7 priority 5 isolated on");
    let d = ok(&mut s, "bridge -n vg-br -d link show dev p1");
    assert!(d.contains("priority 5 cost 7 \n    hairpin on "), "{d}");
    assert!(d.contains(" learning off flood off "), "{d}");
    assert!(d.contains(" isolated on "), "{d}");
    // Without STP a blocking port is made forwarding again at once (br_port_state_selection ->
    // br_make_forwarding); a disabled one stays disabled.
    ok(&mut s, "bridge -n vg-br link set dev p1 state blocking");
    assert!(ok(&mut s, "bridge -n vg-br link show dev p1").contains(" state forwarding "));
    ok(&mut s, "bridge -n vg-br link set dev p1 state 0");
    assert!(ok(&mut s, "bridge -n vg-br link show dev p1").contains(" state disabled "));
    assert_eq!(
        err(&mut s, "bridge -n vg-br link set dev p1 learning maybe"),
        ("Error: argument of \"learning\" must be \"on\" or \"off\", not \"maybe\"\n".into(), 234)
    );
    assert_eq!(
        err(&mut s, "bridge -n vg-br link set dev p1 state bogus"),
        ("Error: invalid STP port state\n".into(), 255)
    );
    assert_eq!(err(&mut s, "bridge -n vg-br link set cost 3"), ("Device is a required argument.\n".into(), 255));
    assert_eq!(err(&mut s, "bridge -n vg-br link set dev nope cost 3"), ("Cannot find device \"nope\"\n".into(), 255));
    // Not a port: the request has no master to go to.
    assert_eq!(
        err(&mut s, "bridge -n vg-br link set dev br0 cost 3"),
        ("RTNETLINK answers: Operation not supported\n".into(), 255)
    );
    assert_eq!(err(&mut s, "bridge -n vg-br link set dev").1, 255);
    assert_eq!(
        err(&mut s, "bridge -n vg-br link frob"),
        ("Command \"frob\" is unknown, try \"bridge link help\".\n".into(), 255)
    );
}

#[test]
fn bridge_fdb_show_add_del() {
    let mut s = golden_setup();
    up(&mut s);
    assert_eq!(
        ok(&mut s, "bridge -n vg-br fdb show br br0"),
        "33:33:00:00:00:01 dev br0 self permanent\n\
         02:00:00:00:01:00 dev br0 master br0 permanent\n\
         02:00:00:00:01:01 dev p1 master br0 permanent\n\
         33:33:00:00:00:01 dev p1 self permanent\n\
         02:00:00:00:01:02 dev p2 master br0 permanent\n\
         33:33:00:00:00:01 dev p2 self permanent\n"
    );
    ok(&mut s, "bridge -n vg-br fdb add 02:aa:00:00:00:01 dev p1 master static");
    ok(&mut s, "bridge -n vg-br fdb add 02:aa:00:00:00:02 dev p2 master dynamic");
    // `dev` filters and drops the `dev` word (print_fdb).
    assert_eq!(
        ok(&mut s, "bridge -n vg-br fdb show dev p1"),
        "02:aa:00:00:00:01 master br0 static\n\
         02:00:00:00:01:01 master br0 permanent\n\
         33:33:00:00:00:01 self permanent\n"
    );
    // `dynamic` only drops NUD_PERMANENT entries (print_fdb), so static ones stay.
    assert_eq!(
        ok(&mut s, "bridge -n vg-br fdb show br br0 dynamic"),
        "02:aa:00:00:00:01 dev p1 master br0 static\n02:aa:00:00:00:02 dev p2 master br0 \n"
    );
    assert_eq!(ok(&mut s, "bridge -n vg-br fdb show state static"), "02:aa:00:00:00:01 dev p1 master br0 static\n");
    assert_eq!(
        err(&mut s, "bridge -n vg-br fdb add 02:aa:00:00:00:01 dev p1 master static"),
        ("RTNETLINK answers: File exists\n".into(), 255)
    );
    ok(&mut s, "bridge -n vg-br fdb del 02:aa:00:00:00:01 dev p1 master");
    assert!(!ok(&mut s, "bridge -n vg-br fdb show").contains("02:aa:00:00:00:01"));
    assert_eq!(
        err(&mut s, "bridge -n vg-br fdb del 02:aa:00:00:00:01 dev p1 master"),
        ("RTNETLINK answers: No such file or directory\n".into(), 255)
    );
    // Without master/self the request is `self`: the port's own address list.
    ok(&mut s, "bridge -n vg-br fdb add 01:00:5e:01:02:03 dev p1");
    assert!(ok(&mut s, "bridge -n vg-br fdb show dev p1").contains("01:00:5e:01:02:03 self permanent\n"));
    assert_eq!(err(&mut s, "bridge -n vg-br fdb add zz dev p1"), ("Invalid mac address zz\n".into(), 255));
    assert_eq!(
        err(&mut s, "bridge -n vg-br fdb add 02:aa:00:00:00:09"),
        ("Device and address are required arguments.\n".into(), 255)
    );
    assert_eq!(err(&mut s, "bridge -n vg-br fdb show br nope"), ("Cannot find bridge device \"nope\"\n".into(), 255));
    let j = ok(&mut s, "bridge -n vg-br -j fdb show br br0 dynamic");
    assert_eq!(j, "[{\"mac\":\"02:aa:00:00:00:02\",\"ifname\":\"p2\",\"flags\":[],\"master\":\"br0\"}]\n");
}

#[test]
fn bridge_vlan_without_vlan_filtering() {
    let mut s = golden_setup();
    assert_eq!(ok(&mut s, "bridge -n vg-br vlan show"), "port              vlan-id  \n");
    assert_eq!(
        err(&mut s, "bridge -n vg-br vlan add vid 10 dev p1 pvid untagged"),
        ("RTNETLINK answers: Operation not supported\n".into(), 255)
    );
    assert_eq!(
        err(&mut s, "bridge -n vg-br vlan add dev p1"),
        ("Device and VLAN ID are required arguments.\n".into(), 255)
    );
    assert_eq!(err(&mut s, "bridge -n vg-br vlan add vid 5000 dev p1"), ("Invalid VLAN ID \"5000\"\n".into(), 255));
}

#[test]
fn bridge_global_options_and_objects() {
    let mut s = Session::new(1).unwrap();
    assert_eq!(ok(&mut s, "bridge -V"), "bridge utility, 6.1.0\n");
    assert_eq!(err(&mut s, "bridge -x link"), ("Option \"-x\" is unknown, try \"bridge help\".\n".into(), 255));
    assert_eq!(err(&mut s, "bridge frob"), ("Object \"frob\" is unknown, try \"bridge help\".\n".into(), 255));
    assert!(err(&mut s, "bridge").0.starts_with("Usage: bridge [ OPTIONS ] OBJECT"));
    assert_eq!(
        err(&mut s, "bridge -n nons link"),
        ("Cannot open network namespace \"nons\": No such file or directory\n".into(), 255)
    );
    assert_eq!(ok(&mut s, "bridge link"), "");
}

#[test]
fn ip_d_link_shows_bridge_slave() {
    let mut s = golden_setup();
    up(&mut s);
    let out = ok(&mut s, "ip -n vg-br -d link show p1");
    assert!(
        out.contains(
            "    veth \n    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off root_block off \
             fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 "
        ),
        "{out}"
    );
    assert!(out.contains(" isolated off locked off addrgenmode eui64 numtxqueues 2"), "{out}");
    // Not on a device that is no port.
    assert!(!ok(&mut s, "ip -n vg-h1 -d link show h1").contains("bridge_slave"));
}

#[test]
fn ip_link_bridge_argument_errors() {
    let mut s = Session::new(1).unwrap();
    assert_eq!(
        err(&mut s, "ip link add br0 type bridge forward_delay x"),
        ("Error: argument \"x\" is wrong: invalid forward_delay\n".into(), 255)
    );
    assert_eq!(
        err(&mut s, "ip link add br0 type bridge nosuch"),
        ("bridge: unknown command \"nosuch\"?\n".into(), 255)
    );
    assert_eq!(
        err(&mut s, "ip link add br0 type bridge hello_time"),
        ("Command line is not complete. Try option \"help\"\n".into(), 255)
    );
    ok(&mut s, "ip link add br0 type bridge");
    ok(&mut s, "ip link add d0 type dummy");
    ok(&mut s, "ip link set d0 master br0");
    assert_eq!(
        err(&mut s, "ip link set br0 type bridge priority 65536"),
        ("Error: argument \"65536\" is wrong: invalid priority\n".into(), 255)
    );
    assert_eq!(
        err(&mut s, "ip link set d0 type bridge_slave hairpin yes"),
        ("Error: argument of \"hairpin\" must be \"on\" or \"off\", not \"yes\"\n".into(), 255)
    );
    ok(&mut s, "ip link set br0 type bridge stp_state 1");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/stp_state"), "1\n");
    ok(&mut s, "ip netns add ns1");
    assert_eq!(err(&mut s, "ip link set br0 netns ns1"), ("Error: The interface netns is immutable.\n".into(), 2));
}

#[test]
fn sysfs_bridge_files() {
    let mut s = golden_setup();
    up(&mut s);
    let cat = |s: &mut Session, f: &str| ok(s, &format!("ip netns exec vg-br cat {f}"));
    assert_eq!(cat(&mut s, "/sys/class/net/br0/bridge/ageing_time"), "30000\n");
    assert_eq!(cat(&mut s, "/sys/class/net/br0/bridge/bridge_id"), "8000.020000000100\n");
    assert_eq!(cat(&mut s, "/sys/class/net/br0/bridge/group_addr"), "01:80:c2:00:00:00\n");
    assert_eq!(cat(&mut s, "/sys/class/net/p1/brport/state"), "3\n");
    assert_eq!(cat(&mut s, "/sys/class/net/p1/brport/port_id"), "0x8001\n");
    assert_eq!(cat(&mut s, "/sys/class/net/br0/brif/p2/port_no"), "0x2\n");
    assert_eq!(ok(&mut s, "ip netns exec vg-br ls /sys/class/net/br0/brif"), "p1\np2\n");
    let o = s.exec("ip netns exec vg-br cat /sys/class/net/br0/bridge/vlan_filtering");
    assert_eq!(
        (o.stderr.as_str(), o.rc),
        ("cat: /sys/class/net/br0/bridge/vlan_filtering: No such file or directory\n", 1)
    );
    let o = s.exec("ip netns exec vg-br cat /sys/class/net/p1/bridge/stp_state");
    assert_eq!(o.rc, 1, "a port has no bridge/ directory");
}

#[test]
fn sysfs_bridge_writes() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip link add br0 type bridge");
    ok(&mut s, "ip link add p1 type veth peer name h1");
    ok(&mut s, "ip link set p1 master br0");
    ok(&mut s, "echo 1 > /sys/class/net/p1/brport/hairpin_mode");
    assert!(ok(&mut s, "bridge -d link show dev p1").contains("hairpin on "));
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/brif/p1/hairpin_mode"), "1\n");
    ok(&mut s, "echo 1000 > /sys/class/net/br0/bridge/forward_delay");
    assert_eq!(ok(&mut s, "cat /sys/class/net/br0/bridge/forward_delay"), "1000\n");
    let o = s.exec("echo 1 > /sys/class/net/p1/brport/state");
    assert_eq!((o.stderr.as_str(), o.rc), ("bash: /sys/class/net/p1/brport/state: Permission denied\n", 1));
}

#[test]
fn brctl_commands() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "brctl addbr br1");
    assert_eq!(
        err(&mut s, "brctl addbr br1"),
        ("device br1 already exists; can't create bridge with the same name\n".into(), 1)
    );
    ok(&mut s, "ip link add a0 address 02:00:00:00:00:0a type veth peer name a1");
    ok(&mut s, "ip link add b0 address 02:00:00:00:00:0b type veth peer name b1");
    ok(&mut s, "brctl addif br1 b0 a0");
    assert_eq!(
        err(&mut s, "brctl addif br1 a0"),
        ("device a0 is already a member of a bridge; can't enslave it to bridge br1.\n".into(), 1)
    );
    assert_eq!(err(&mut s, "brctl addif br1 zz"), ("interface zz does not exist!\n".into(), 1));
    assert_eq!(err(&mut s, "brctl addif nobr a1"), ("bridge nobr does not exist!\n".into(), 1));
    ok(&mut s, "brctl addbr br2");
    assert_eq!(
        err(&mut s, "brctl addif br1 br2"),
        ("device br2 is a bridge device itself; can't enslave a bridge device to a bridge device.\n".into(), 1)
    );
    let id = ok(&mut s, "cat /sys/class/net/br1/bridge/bridge_id");
    assert_eq!(id, "8000.02000000000a\n", "the lowest port MAC");
    assert_eq!(
        ok(&mut s, "brctl show"),
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n\
         br1\t\t8000.02000000000a\tno\t\ta0\n\t\t\t\t\t\t\tb0\n"
            .to_string()
            + &format!("br2\t\t{}\tno\t\t\n", ok(&mut s, "cat /sys/class/net/br2/bridge/bridge_id").trim())
    );
    ok(&mut s, "brctl stp br1 on");
    assert!(ok(&mut s, "brctl show br1").contains("\tyes\t\t"));
    assert_eq!(err(&mut s, "brctl stp br1 maybe"), ("expect on/off for argument\n".into(), 1));
    assert_eq!(err(&mut s, "brctl delif br2 a0"), ("device a0 is not a slave of br2\n".into(), 1));
    ok(&mut s, "brctl delif br1 a0");
    ok(&mut s, "ip link set br2 up");
    assert_eq!(err(&mut s, "brctl delbr br2"), ("bridge br2 is still up; can't delete it\n".into(), 1));
    assert_eq!(err(&mut s, "brctl delbr nobr"), ("bridge nobr doesn't exist; can't delete it\n".into(), 1));
    ok(&mut s, "ip link set br2 down");
    ok(&mut s, "brctl delbr br2");
    let o = s.exec("brctl frob");
    assert_eq!((o.stderr.as_str(), o.rc), ("never heard of command [frob]\n", 1));
    assert!(o.stdout.starts_with("Usage: brctl [commands]\ncommands:\n\taddbr     \t<bridge>\t\tadd bridge\n"));
    let o = s.exec("brctl addif br1");
    assert_eq!(
        (o.stdout.as_str(), o.rc),
        (
            "Incorrect number of arguments for command\nUsage: brctl addif <bridge> <device>\tadd interface to bridge\n",
            1
        )
    );
}

#[test]
fn brctl_showmacs() {
    let mut s = golden_setup();
    up(&mut s);
    ok(&mut s, "ip netns exec vg-h1 ping -c 1 10.0.1.2");
    assert_eq!(
        ok(&mut s, "ip netns exec vg-br brctl showmacs br0"),
        "port no\tmac addr\t\tis local?\tageing timer\n  \
         1\t02:00:00:00:00:01\tno\t\t   0.00\n  \
         2\t02:00:00:00:00:02\tno\t\t   0.00\n  \
         1\t02:00:00:00:01:01\tyes\t\t   0.00\n  \
         2\t02:00:00:00:01:02\tyes\t\t   0.00\n"
    );
    assert_eq!(err(&mut s, "brctl showmacs nobr"), ("read of forward table failed: No such device\n".into(), 1));
}

/// Words of the bridge/brctl grammars (and some that are not), for the no-panic property.
const WORDS: [&str; 40] = [
    "link",
    "fdb",
    "vlan",
    "show",
    "set",
    "add",
    "del",
    "dev",
    "p1",
    "br0",
    "br",
    "brport",
    "master",
    "self",
    "static",
    "permanent",
    "dynamic",
    "vlan",
    "vid",
    "1",
    "4095",
    "-1",
    "0x10",
    "state",
    "cost",
    "priority",
    "learning",
    "on",
    "off",
    "hairpin",
    "pvid",
    "untagged",
    "02:00:00:00:00:09",
    "zz",
    "-d",
    "-s",
    "-j",
    "addif",
    "showmacs",
    "stp",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// No word list panics `bridge` or `brctl`, and every failure says something.
    #[test]
    fn random_bridge_commands_never_panic(words in proptest::collection::vec(0..WORDS.len(), 0..9)) {
        let mut s = golden_setup();
        for prefix in ["bridge -n vg-br", "bridge -n vg-br -d -s -j", "ip netns exec vg-br brctl"] {
            let line = format!("{prefix} {}", words.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "));
            let o = s.exec(&line);
            prop_assert!(o.rc == 0 || !o.stderr.is_empty() || !o.stdout.is_empty(), "{line}: silent failure");
        }
    }
}
