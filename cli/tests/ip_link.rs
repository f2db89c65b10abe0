//! `ip link` and `ip netns` against the Linux golden transcripts
//! (`reference/linux-golden/{veth-basic,errors,veth-operstate-ifindex}`), plus the grammar:
//! abbreviations, keyword order, iproute2's error texts and exit statuses, and random word lists
//! that must never panic.

use std::path::PathBuf;

use proptest::prelude::*;
use vnet_cli::{Output, Session};

/// One `$ CMD` block of a transcript.
#[derive(Debug)]
struct Block {
    cmd: String,
    want: Output,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference/linux-golden")
}

/// Parse `transcript.txt` (`$ CMD`, `--- stdout`, `--- stderr`, `--- rc=N`; `# ` comments).
fn blocks(scenario: &str) -> Vec<Block> {
    let path = golden_dir().join(scenario).join("transcript.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut cur: Option<Block> = None;
    let mut stream: Option<bool> = None; // Some(true) stdout, Some(false) stderr
    for line in text.split_inclusive('\n') {
        if let Some(cmd) = line.strip_prefix("$ ") {
            cur = Some(Block { cmd: cmd.trim_end_matches('\n').to_string(), want: Output::default() });
            stream = None;
            continue;
        }
        let Some(b) = cur.as_mut() else { continue };
        match line.trim_end_matches('\n') {
            "--- stdout" => stream = Some(true),
            "--- stderr" => stream = Some(false),
            l if l.starts_with("--- rc=") => {
                b.want.rc = l["--- rc=".len()..].parse().unwrap();
                out.push(cur.take().unwrap());
                stream = None;
            }
            _ => match stream {
                Some(true) => b.want.stdout.push_str(line),
                Some(false) => b.want.stderr.push_str(line),
                // A `# note` between blocks.
                None => {}
            },
        }
    }
    out
}

/// `ip netns exec NS sysctl -w K=V...`: the sysctl command is another helper's; set the values
/// on the namespace's stack directly.
fn apply_sysctl(s: &mut Session, cmd: &str) {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let ns = s.world().rtnl().netns_by_name(words[3]).unwrap();
    for kv in &words[6..] {
        let (k, v) = kv.split_once('=').unwrap();
        let stack = s.stacks().of(ns);
        stack.sysctl_set(&mut s.world().rtnl(), k, v).unwrap();
    }
}

/// MACs drawn at random (the `errors` scenario) cannot match; compare everything else.
fn mask_macs(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("link/ether ") {
            Some(i) if !l[i..].contains("02:00:00") => {
                let start = i + "link/ether ".len();
                format!("{}XX:XX:XX:XX:XX:XX{}", &l[..start], &l[start + 17..])
            }
            _ => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}

/// Replay every `ip link` / `ip netns` block of `scenario` (and `sleep`), skipping what other
/// helpers build (sysctl is applied directly, `cat`, `ip addr` and `ip route` are left out), and
/// compare stdout, stderr and the exit status.
fn replay(scenario: &str, mask: bool) {
    // The recording's kernel had no 8021q module.
    let mut s = Session::without_kinds(vnet_cli::DEFAULT_SEED, &["vlan", "bridge-vlan-filtering"]).unwrap();
    let mut checked = 0;
    for b in blocks(scenario) {
        let cmd = b.cmd.as_str();
        if cmd.contains(" sysctl -w ") {
            apply_sysctl(&mut s, cmd);
            continue;
        }
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let object = words.iter().skip(1).find(|w| !w.starts_with('-') && !w.starts_with("vg-"));
        let ours =
            words.first() == Some(&"ip") && matches!(object, Some(&"link") | Some(&"netns")) && !cmd.contains(" cat ");
        if !ours {
            continue;
        }
        let got = s.exec(cmd);
        let (want_out, got_out) =
            if mask { (mask_macs(&b.want.stdout), mask_macs(&got.stdout)) } else { (b.want.stdout, got.stdout) };
        assert_eq!(got_out, want_out, "{scenario}: stdout of `{cmd}`");
        assert_eq!(got.stderr, b.want.stderr, "{scenario}: stderr of `{cmd}`");
        assert_eq!(got.rc, b.want.rc, "{scenario}: rc of `{cmd}`");
        checked += 1;
    }
    assert!(checked > 10, "{scenario}: only {checked} blocks replayed");
}

#[test]
fn golden_veth_basic() {
    replay("veth-basic", false);
}

#[test]
fn golden_errors() {
    replay("errors", true);
}

#[test]
fn golden_veth_operstate_ifindex() {
    replay("veth-operstate-ifindex", false);
}

fn run(s: &mut Session, cmd: &str) -> Output {
    s.exec(cmd)
}

fn ok(s: &mut Session, cmd: &str) -> String {
    let o = s.exec(cmd);
    assert_eq!((o.stderr.as_str(), o.rc), ("", 0), "`{cmd}`");
    o.stdout
}

fn err(s: &mut Session, cmd: &str) -> (String, i32) {
    let o = s.exec(cmd);
    (o.stderr, o.rc)
}

#[test]
fn abbreviations_and_keyword_order() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip l a d0 ty dummy");
    // `ip l s` is set (set comes before show in do_iplink), `ip li sh` is show.
    ok(&mut s, "ip l s dev d0 up");
    assert!(ok(&mut s, "ip li sh d0").contains("<BROADCAST,NOARP,UP,LOWER_UP>"));
    ok(&mut s, "ip link set d0 down mtu 1400 txqlen 50");
    ok(&mut s, "ip link set mtu 1300 dev d0");
    let out = ok(&mut s, "ip link list d0");
    assert!(out.starts_with(
        "2: d0: <BROADCAST,NOARP> mtu 1300 qdisc noqueue state DOWN mode DEFAULT group default qlen 50\n"
    ));
    ok(&mut s, "ip link set d0 addr 02:11:22:33:44:55");
    assert!(ok(&mut s, "ip link ls").contains("    link/ether 02:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff\n"));
    ok(&mut s, "ip link set d0 name d1 alias hello");
    let out = ok(&mut s, "ip link show dev d1");
    assert!(out.ends_with("\n    alias hello\n"), "{out}");
    ok(&mut s, "ip link del d1");
    let (e, rc) = err(&mut s, "ip link show d1");
    assert_eq!((e.as_str(), rc), ("Device \"d1\" does not exist.\n", 1));
    ok(&mut s, "ip link add name a type veth peer vb");
    assert!(ok(&mut s, "ip -br link").contains("a@vb             DOWN"));
    ok(&mut s, "ip link delete dev vb type veth");
    assert_eq!(ok(&mut s, "ip -br link"), "lo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n");
}

#[test]
fn flags_promisc_arp_multicast() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip link add v0 type veth peer name v1");
    ok(&mut s, "ip link set v0 promisc on allmulticast on arp off multicast off");
    let out = ok(&mut s, "ip -d link show v0");
    assert!(out.starts_with("3: v0@v1: <BROADCAST,NOARP,ALLMULTI,PROMISC,M-DOWN> mtu 1500"), "{out}");
    assert!(out.contains(" promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 \n    veth addrgenmode"), "{out}");
    ok(&mut s, "ip link set v0 promisc off arp on");
    assert!(ok(&mut s, "ip link show v0").contains("<BROADCAST,ALLMULTI,M-DOWN>"));
    let (e, rc) = err(&mut s, "ip link set v0 promisc yes");
    assert_eq!((e.as_str(), rc), ("Error: argument of \"promisc\" must be \"on\" or \"off\", not \"yes\"\n", 1));
    let (e, rc) = err(&mut s, "ip link set v0 carrier x");
    assert_eq!((e.as_str(), rc), ("Error: argument of \"carrier\" must be one of \"off\", \"on\", not \"x\"\n", 22));
}

#[test]
fn iproute2_side_errors() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip link add d0 type dummy");
    let cases: [(&str, &str, i32); 14] = [
        ("ip link set", "Not enough information: \"dev\" argument is required.\n", 255),
        ("ip link set d0 foo", "Error: either \"dev\" is duplicate, or \"foo\" is a garbage.\n", 255),
        ("ip link set d0 mtu", "Command line is not complete. Try option \"help\"\n", 255),
        ("ip link set d0 mtu x", "Error: argument \"x\" is wrong: Invalid \"mtu\" value\n\n", 255),
        ("ip link set d0 mtu 1 mtu 2", "Error: duplicate \"mtu\": \"2\" is the second value.\n", 255),
        ("ip link set d0 index 5", "index can be used only when creating devices.\n", 255),
        ("ip link set d0 address aa:bb", "Invalid address length 2 - must be 6 bytes\n", 1),
        ("ip link set d0 master nosuch", "Error: argument \"nosuch\" is wrong: Device does not exist\n\n", 255),
        ("ip link add x", "Not enough information: \"type\" argument is required\n", 1),
        ("ip link add x type dummy foo", "Garbage instead of arguments \"foo ...\". Try \"ip link help\".\n", 1),
        (
            "ip link add dev x name y type dummy",
            "both \"name\" and \"dev\" cannot be used when creating devices.\n",
            255,
        ),
        ("ip link add x name a/b type dummy", "Error: argument \"a/b\" is wrong: \"name\" not a valid ifname\n", 255),
        ("ip link frob", "Command \"frob\" is unknown, try \"ip link help\".\n", 255),
        (
            "ip link add x type veth peer name y type dummy",
            "Error: duplicate \"type\": \"dummy\" is the second value.\n",
            255,
        ),
    ];
    for (cmd, want, rc) in cases {
        assert_eq!(err(&mut s, cmd), (want.to_string(), rc), "`{cmd}`");
    }
    let o = run(&mut s, "ip link add x type veth pear y");
    assert_eq!(
        o.stdout,
        "Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n"
    );
    assert_eq!(o.rc, 1);
    // The kernel's side: the name is looked up before the kind (rtnl_newlink with NLM_F_EXCL).
    assert_eq!(err(&mut s, "ip link add d0 type nosuchkind"), ("RTNETLINK answers: File exists\n".to_string(), 2));
    assert_eq!(err(&mut s, "ip link add x type nosuchkind"), ("Error: Unknown device type.\n".to_string(), 2));
    assert_eq!(
        err(&mut s, "ip link set d0 master lo"),
        ("RTNETLINK answers: Operation not supported\n".to_string(), 2)
    );
    assert_eq!(
        err(&mut s, "ip link set d0 type veth peer name z"),
        ("RTNETLINK answers: Operation not supported\n".to_string(), 2)
    );
    assert_eq!(err(&mut s, "ip link set d0 netns 4242"), ("RTNETLINK answers: No such process\n".to_string(), 2));
}

#[test]
fn global_options() {
    let mut s = Session::new(1).unwrap();
    let (e, rc) = err(&mut s, "ip -z link");
    assert_eq!((e.as_str(), rc), ("Option \"-z\" is unknown, try \"ip -help\".\n", 255));
    let (e, rc) = err(&mut s, "ip --zz link");
    assert_eq!((e.as_str(), rc), ("Option \"-zz\" is unknown, try \"ip -help\".\n", 255));
    let (e, rc) = err(&mut s, "ip frob");
    assert_eq!((e.as_str(), rc), ("Object \"frob\" is unknown, try \"ip help\".\n", 1));
    let (e, rc) = err(&mut s, "ip -n");
    assert_eq!((e.as_str(), rc), ("Command line is not complete. Try option \"help\"\n", 255));
    let (e, rc) = err(&mut s, "ip -f inet9 link");
    assert_eq!((e.as_str(), rc), ("Error: argument \"inet9\" is wrong: invalid protocol family\n", 255));
    assert_eq!(err(&mut s, "ip").1, 255);
    assert_eq!(ok(&mut s, "ip -V"), "ip utility, iproute2-6.1.0, libbpf 1.1.2\n");
    // -statistics twice, --details, -oneline: `\` joins the record's lines.
    let out = ok(&mut s, "ip -stat -statistics --det -o link show lo");
    assert!(out.starts_with("1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \\    RX:  bytes"), "{out}");
    assert!(out.ends_with("transns\\                     0      0       0       0       0 \n"), "{out}");
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn json_pretty_and_brief() {
    let mut s = Session::new(1).unwrap();
    let out = ok(&mut s, "ip -j -p link show lo");
    assert_eq!(
        out,
        "[ {\n        \"ifindex\": 1,\n        \"ifname\": \"lo\",\n        \"flags\": [ \"LOOPBACK\" ],\n        \
         \"mtu\": 65536,\n        \"qdisc\": \"noop\",\n        \"operstate\": \"DOWN\",\n        \
         \"linkmode\": \"DEFAULT\",\n        \"group\": \"default\",\n        \"txqlen\": 1000,\n        \
         \"link_type\": \"loopback\",\n        \"address\": \"00:00:00:00:00:00\",\n        \
         \"broadcast\": \"00:00:00:00:00:00\"\n    } ]\n"
    );
    // `a` alone would be `address` (matches("a", "address")), as in iproute2.
    assert_eq!(err(&mut s, "ip link add a type veth"), ("\"type\" is invalid lladdr.\n".to_string(), 1));
    ok(&mut s, "ip link add name a type veth peer name b");
    let out = ok(&mut s, "ip -j -br link show a");
    assert!(out.starts_with("[{\"link\":\"b\",\"ifname\":\"a\",\"operstate\":\"DOWN\",\"address\":\""), "{out}");
    assert!(out.ends_with("\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"M-DOWN\"]}]\n"), "{out}");
    let out = ok(&mut s, "ip -j -s -s link show lo");
    assert!(out.contains(",\"stats64\":{\"rx\":{\"bytes\":0,\"packets\":0,\"errors\":0,\"dropped\":0,\"over_errors\":0,\"multicast\":0,\"length_errors\":0,\"crc_errors\":0,\"frame_errors\":0,\"fifo_errors\":0,\"missed_errors\":0},\"tx\":{\"bytes\":0,\"packets\":0,\"errors\":0,\"dropped\":0,\"carrier_errors\":0,\"collisions\":0,\"aborted_errors\":0,\"fifo_errors\":0,\"window_errors\":0,\"heartbeat_errors\":0,\"carrier_changes\":0}}}]\n"), "{out}");
    let out = ok(&mut s, "ip -j -d link show a");
    assert!(
        out.contains("\"linkinfo\":{\"info_kind\":\"veth\"},\"inet6_addr_gen_mode\":\"eui64\",\"num_tx_queues\":2"),
        "{out}"
    );
    assert_eq!(ok(&mut s, "ip -j link show up"), "[]\n");
}

#[test]
fn show_filters() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip link add d0 type dummy");
    ok(&mut s, "ip link add v0 type veth peer name v1");
    ok(&mut s, "ip link set d0 up");
    let names = |o: String| {
        o.lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split(':').nth(1).unwrap().trim().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ok(&mut s, "ip link show up")), ["d0"]);
    assert_eq!(names(ok(&mut s, "ip link show type veth")), ["v1@v0", "v0@v1"]);
    assert_eq!(names(ok(&mut s, "ip link show type dummy up")), ["d0"]);
    assert_eq!(names(ok(&mut s, "ip link show group default type dummy")), ["d0"]);
    assert_eq!(ok(&mut s, "ip link show master d0"), "");
    assert_eq!(names(ok(&mut s, "ip link show if2")), ["d0"]);
    let (e, rc) = err(&mut s, "ip link show d0 v0");
    assert_eq!((e.as_str(), rc), ("Error: either \"dev\" is duplicate, or \"v0\" is a garbage.\n", 255));
}

#[test]
fn netns_moves_and_link_netns() {
    let mut s = Session::new(1).unwrap();
    ok(&mut s, "ip netns add a");
    ok(&mut s, "ip link add v0 type veth peer name v1");
    ok(&mut s, "ip link set v1 netns a name w1 mtu 1400 up");
    assert!(ok(&mut s, "ip link show v0").contains("v0@if2: <BROADCAST,MULTICAST> mtu 1500"));
    let out = ok(&mut s, "ip -n a link show w1");
    assert!(out.starts_with("2: w1@if3: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1400 qdisc noqueue state"), "{out}");
    // The peer is in the unnamed initial namespace: an id, no name.
    assert!(out.contains(" link-netnsid 0\n"), "{out}");
    // Moving back with PID 1 (the initial namespace).
    ok(&mut s, "ip -n a link set w1 netns 1");
    assert!(ok(&mut s, "ip link show w1").starts_with("2: w1@v0:"));
    let (e, rc) = err(&mut s, "ip link set lo netns a");
    assert_eq!((e.as_str(), rc), ("Error: The interface netns is immutable.\n", 2));
}

/// Words of the `ip link` grammar (and some that are not), for the no-panic property.
const WORDS: [&str; 40] = [
    "add",
    "set",
    "del",
    "show",
    "dev",
    "name",
    "type",
    "veth",
    "dummy",
    "peer",
    "netns",
    "a",
    "up",
    "down",
    "mtu",
    "0",
    "65536",
    "-1",
    "address",
    "zz",
    "02:00:00:00:00:01",
    "txqlen",
    "index",
    "7",
    "master",
    "nomaster",
    "promisc",
    "on",
    "off",
    "carrier",
    "alias",
    "link",
    "lo",
    "v0",
    "v1",
    "group",
    "help",
    "l",
    "s",
    "if1",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// No word list panics, and every failure says something on stderr.
    #[test]
    fn random_link_commands_never_panic(words in proptest::collection::vec(0..WORDS.len(), 0..10)) {
        let mut s = Session::new(1).unwrap();
        s.exec("ip netns add a");
        s.exec("ip link add v0 type veth peer name v1");
        for prefix in ["ip link", "ip -d -s -j -n a link", "ip netns"] {
            let line = format!("{prefix} {}", words.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "));
            let o = s.exec(&line);
            prop_assert!(o.rc == 0 || !o.stderr.is_empty() || !o.stdout.is_empty(), "{line}: silent failure");
        }
    }
}
