//! `sysctl`, `ethtool`, and the simulated `/proc/sys`, `/proc/net` and `/sys/class/net` files,
//! through the `vnet` interpreter: the blocks of reference/linux-golden byte for byte, procps' and
//! ethtool's error texts and exit codes, writes taking effect, and no panic on any input.
//!
//! Devices are made through the World (this file tests the commands that read them, not `ip`).

use std::net::{IpAddr, Ipv4Addr};

use netdev_core::{MacAddr, NetnsId, NewLink};
use proptest::prelude::*;
use stack_adapter::Nud;
use vnet_cli::{Output, Session};

fn session() -> Session {
    Session::new(1).unwrap()
}

fn run(s: &mut Session, cmd: &str) -> Output {
    s.exec(cmd)
}

/// stdout, stderr and rc of `cmd`.
fn out(s: &mut Session, cmd: &str) -> (String, String, i32) {
    let o = s.exec(cmd);
    (o.stdout, o.stderr, o.rc)
}

fn mac(s: &str) -> MacAddr {
    s.parse().unwrap()
}

/// veth-basic's pair: `veth0` (…:0a) here, its peer `veth1` (…:0b) in namespace `vg-b`.
fn veth_pair(s: &Session) {
    let w = s.world();
    let mut r = w.rtnl();
    r.netns_add("vg-b").unwrap();
    let req = NewLink {
        name: Some("veth0".into()),
        address: Some(mac("02:00:00:00:00:0a")),
        ..NewLink::in_netns(NetnsId::INIT)
    };
    r.link_add("veth", &req, &["peer", "name", "veth1", "netns", "vg-b", "address", "02:00:00:00:00:0b"]).unwrap();
}

fn dummy(s: &Session, name: &str) {
    let req = NewLink { name: Some(name.into()), ..NewLink::in_netns(NetnsId::INIT) };
    s.world().rtnl().link_add("dummy", &req, &[]).unwrap();
}

/// `ip link set NAME up|down` in namespace `ns`.
fn set_up(s: &Session, ns: NetnsId, name: &str, up: bool) {
    let w = s.world();
    let mut r = w.rtnl();
    let d = r.dev_by_name(ns, name).unwrap();
    r.set_up(&d, up).unwrap();
}

fn vg_b(s: &Session) -> NetnsId {
    s.world().rtnl().netns_by_name("vg-b").unwrap()
}

// ------------------------------------------------------------------------------------------------
// sysctl
// ------------------------------------------------------------------------------------------------

/// veth-basic: `sysctl -w a=1 b=1` echoes both settings.
#[test]
fn golden_sysctl_w_two_settings() {
    let mut s = session();
    let cmd = "sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1";
    assert_eq!(
        run(&mut s, cmd).transcript_block(cmd),
        "$ sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
--- stdout
net.ipv6.conf.all.disable_ipv6 = 1
net.ipv6.conf.default.disable_ipv6 = 1
--- rc=0
"
    );
    assert_eq!(out(&mut s, "sysctl net.ipv6.conf.default.disable_ipv6").0, "net.ipv6.conf.default.disable_ipv6 = 1\n");
}

/// Seed 004's `sysctl -a | grep net.ipv4.conf.*.arp` on a host with eth0, eth3, eth4 and venet0,
/// before and after `sysctl -w net.ipv4.conf.all.arp_ignore=1` and `arp_announce=2`: the same
/// knobs, in the order a 6.x kernel lists them (each directory of /proc/sys sorted by name).
#[test]
fn seed_004_arp_knobs_in_proc_sys_order() {
    let mut s = session();
    for d in ["eth0", "eth3", "eth4", "venet0"] {
        dummy(&s, d);
    }
    let expected = |ignore: u8, announce: u8| {
        let mut e = String::new();
        for dev in ["all", "default", "eth0", "eth3", "eth4", "lo", "venet0"] {
            let (i, a) = if dev == "all" { (ignore, announce) } else { (0, 0) };
            for (k, v) in [
                ("arp_accept", 0),
                ("arp_announce", a),
                ("arp_evict_nocarrier", 1),
                ("arp_filter", 0),
                ("arp_ignore", i),
                ("arp_notify", 0),
                ("drop_gratuitous_arp", 0),
                ("proxy_arp", 0),
                ("proxy_arp_pvlan", 0),
            ] {
                e.push_str(&format!("net.ipv4.conf.{dev}.{k} = {v}\n"));
            }
        }
        e
    };
    let (o, e, rc) = out(&mut s, "sysctl -a | grep net.ipv4.conf.*.arp");
    assert_eq!((o.as_str(), e.as_str(), rc), (expected(0, 0).as_str(), "", 0));
    assert_eq!(out(&mut s, "sysctl -w net.ipv4.conf.all.arp_ignore=1").0, "net.ipv4.conf.all.arp_ignore = 1\n");
    assert_eq!(out(&mut s, "sysctl -w net.ipv4.conf.all.arp_announce=2").0, "net.ipv4.conf.all.arp_announce = 2\n");
    assert_eq!(out(&mut s, "sysctl -a | grep net.ipv4.conf.*.arp").0, expected(1, 2));
}

#[test]
fn sysctl_a_lists_every_knob_sorted_with_net_core_first() {
    let mut s = session();
    let (o, _, rc) = out(&mut s, "sysctl -a");
    assert_eq!(rc, 0);
    let names: Vec<&str> = o.lines().map(|l| l.split(" = ").next().unwrap()).collect();
    assert_eq!(names.first(), Some(&"net.core.netdev_max_backlog"));
    assert!(names.contains(&"net.ipv4.ip_forward"));
    assert!(names.contains(&"net.ipv6.conf.lo.disable_ipv6"));
    // DisplayAll skips the deprecated names unless --deprecated.
    assert!(!names.iter().any(|n| n.ends_with(".retrans_time") || n.ends_with(".base_reachable_time")));
    assert!(names.contains(&"net.ipv4.neigh.lo.retrans_time_ms"));
    let dep = out(&mut s, "sysctl -a --deprecated").0;
    assert!(dep.contains("net.ipv4.neigh.lo.retrans_time = 100\n"), "{dep}");
    assert!(dep.contains("net.ipv6.neigh.default.base_reachable_time = 30\n"), "{dep}");
    // -N: names only; -n: values only.
    let n = out(&mut s, "sysctl -a -N").0;
    assert_eq!(n.lines().collect::<Vec<_>>(), names);
    let v = out(&mut s, "sysctl -aN -r ^net.core").0;
    assert_eq!(v, "net.core.netdev_max_backlog\n");
}

#[test]
fn sysctl_pattern_selects_with_an_extended_regex() {
    let mut s = session();
    let (o, _, rc) = out(&mut s, "sysctl -a -r '^net\\.ipv4\\.conf\\.(all|lo)\\.arp_(ignore|announce)$'");
    assert_eq!(rc, 0);
    assert_eq!(
        o,
        "net.ipv4.conf.all.arp_announce = 0\nnet.ipv4.conf.all.arp_ignore = 0\n\
         net.ipv4.conf.lo.arp_announce = 0\nnet.ipv4.conf.lo.arp_ignore = 0\n"
    );
    assert_eq!(
        out(&mut s, "sysctl --pattern '\\.forwarding$' -a").0.lines().count(),
        6,
        "conf.(all,default,lo).forwarding for IPv4 and IPv6"
    );
    assert_eq!(out(&mut s, "sysctl -a --pat=ip_local_port").0, "net.ipv4.ip_local_port_range = 32768\t60999\n");
    // A pattern regcomp refuses matches nothing.
    assert_eq!(out(&mut s, "sysctl -a -r '('"), (String::new(), String::new(), 0));
    // A directory operand lists the files below it, filtered too.
    assert_eq!(out(&mut s, "sysctl -r arp_ignore net.ipv4.conf.lo").0, "net.ipv4.conf.lo.arp_ignore = 0\n");
}

#[test]
fn sysctl_name_forms() {
    let mut s = session();
    dummy(&s, "eth0.100");
    assert_eq!(out(&mut s, "sysctl net/ipv4/ip_forward").0, "net.ipv4.ip_forward = 0\n");
    // A dot in a device name is `/` in the dotted form, and the other way round.
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.conf.eth0/100.forwarding=1").0,
        "net.ipv4.conf.eth0/100.forwarding = 1\n"
    );
    assert_eq!(out(&mut s, "sysctl net/ipv4/conf/eth0.100/forwarding").0, "net.ipv4.conf.eth0/100.forwarding = 1\n");
    assert_eq!(out(&mut s, "cat /proc/sys/net/ipv4/conf/eth0.100/forwarding").0, "1\n");
    assert_eq!(out(&mut s, "sysctl -a -r ipv4.conf.eth0/100.forwarding").0, "net.ipv4.conf.eth0/100.forwarding = 1\n");
    let (o, e, rc) = out(&mut s, "sysctl net..ipv4.ip_forward");
    assert_eq!((o.as_str(), rc), ("net..ipv4.ip_forward = 0\n", 0));
    assert_eq!(e, "sysctl: separators should not be repeated: ..ipv4.ip_forward\n");
}

#[test]
fn sysctl_output_options() {
    let mut s = session();
    assert_eq!(out(&mut s, "sysctl -n net.ipv4.ip_default_ttl net.ipv4.ip_forward").0, "64\n0\n");
    assert_eq!(out(&mut s, "sysctl -b net.ipv4.ip_default_ttl").0, "64");
    assert_eq!(out(&mut s, "sysctl -N net.ipv4.ip_default_ttl").0, "net.ipv4.ip_default_ttl\n");
    // procps accepts NAME=VALUE without -w; -q hides the echo, -n echoes the value only.
    assert_eq!(
        out(&mut s, "sysctl net.ipv4.ip_default_ttl=65"),
        ("net.ipv4.ip_default_ttl = 65\n".into(), String::new(), 0)
    );
    assert_eq!(out(&mut s, "sysctl -q -w net.ipv4.ip_default_ttl=66"), (String::new(), String::new(), 0));
    assert_eq!(out(&mut s, "sysctl -n -w net.ipv4.ip_default_ttl=67").0, "67\n");
    assert_eq!(out(&mut s, "sysctl -n net.ipv4.ip_default_ttl").0, "67\n");
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.ip_local_port_range='1024 65000'").0,
        "net.ipv4.ip_local_port_range = 1024 65000\n"
    );
    assert_eq!(out(&mut s, "sysctl net.ipv4.ip_local_port_range").0, "net.ipv4.ip_local_port_range = 1024\t65000\n");
    assert_eq!(out(&mut s, "sysctl -V").0, "sysctl from procps-ng 4.0.2\n");
}

#[test]
fn sysctl_errors_as_procps_prints_them() {
    let mut s = session();
    // Debian 12's procps 4.0.2, measured on the real kernel: 1 per unknown key, summed.
    let e = "sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n";
    assert_eq!(out(&mut s, "sysctl net.ipv4.nosuch"), (String::new(), e.to_string(), 1));
    let (o, e2, rc) = out(&mut s, "sysctl net.ipv4.nosuch net.ipv4.ip_forward net.nope");
    assert_eq!((o.as_str(), rc), ("net.ipv4.ip_forward = 0\n", 2));
    assert_eq!(e2, format!("{e}sysctl: cannot stat /proc/sys/net/nope: No such file or directory\n"));
    // -e ignores unknown keys; -q does not.
    assert_eq!(out(&mut s, "sysctl -e net.ipv4.nosuch"), (String::new(), String::new(), 0));
    assert_eq!(out(&mut s, "sysctl -q net.ipv4.nosuch").2, 1);
    assert_eq!(out(&mut s, "sysctl -e -w net.ipv4.nosuch=1"), (String::new(), String::new(), 0));
    // WriteSetting.
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.nosuch=1"),
        (String::new(), "sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n".into(), 1)
    );
    // The texts and statuses below were measured with Debian 12's sysctl on a real kernel.
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.conf.all.arp_ignore=abc"),
        (String::new(), "sysctl: setting key \"net.ipv4.conf.all.arp_ignore\": Invalid argument\n".into(), 1)
    );
    assert_eq!(out(&mut s, "sysctl -n net.ipv4.conf.all.arp_ignore").0, "0\n");
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.ip_forward"),
        (String::new(), "sysctl: command line(0): invalid syntax, continuing...\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.ip_forward="),
        (String::new(), "sysctl: setting key \"net.ipv4.ip_forward\": Invalid argument\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "sysctl -w net.ipv4.conf.all.mc_forwarding=1"),
        (String::new(), "sysctl: setting key \"net.ipv4.conf.all.mc_forwarding\": Invalid argument\n".into(), 0)
    );
    // A good and a bad write: ORed.
    let (o, _, rc) = out(&mut s, "sysctl -w net.ipv4.ip_forward=1 net.ipv4.ip_forward=x");
    assert_eq!((o.as_str(), rc), ("net.ipv4.ip_forward = 1\n", 1));
    // Command line errors.
    assert_eq!(
        out(&mut s, "sysctl -n"),
        (String::new(), "sysctl: no variables specified\nTry `sysctl --help' for more information.\n".into(), 1)
    );
    assert_eq!(out(&mut s, "sysctl -N -q net.ipv4.ip_forward").2, 1);
    let (o, e, rc) = out(&mut s, "sysctl -z");
    assert_eq!((e.as_str(), rc), ("sysctl: invalid option -- 'z'\n", 0));
    assert!(o.starts_with("\nUsage:\n sysctl [options] [variable[=value] ...]\n"), "{o}");
    assert_eq!(out(&mut s, "sysctl --nope").1, "sysctl: unrecognized option '--nope'\n");
    assert_eq!(out(&mut s, "sysctl -r").1, "sysctl: option requires an argument -- 'r'\n");
    let (o, e, rc) = out(&mut s, "sysctl");
    assert_eq!((o.as_str(), rc), ("", 1));
    assert!(e.contains("-w, --write          enable writing a value to variable"), "{e}");
}

#[test]
fn sysctl_p_loads_a_file_or_standard_input() {
    let mut s = session();
    let path = std::env::temp_dir().join(format!("vnet-sysctl-{}.conf", std::process::id()));
    std::fs::write(
        &path,
        "# comment\n; also\n\nnet.ipv4.ip_forward = 1\n  net.ipv4.ip_default_ttl=70  \nbogus\nnet.ipv4.nosuch = 1\n",
    )
    .unwrap();
    let p = path.display().to_string();
    let (o, e, rc) = out(&mut s, &format!("sysctl -p {p}"));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(o, "net.ipv4.ip_forward = 1\nnet.ipv4.ip_default_ttl = 70\n");
    assert_eq!(
        e,
        format!(
            "sysctl: {p}(6): invalid syntax, continuing...\n\
             sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory\n"
        )
    );
    assert_eq!(rc, 1);
    assert_eq!(out(&mut s, "echo net.ipv4.ip_default_ttl=71 | sysctl -p -").0, "net.ipv4.ip_default_ttl = 71\n");
    assert_eq!(out(&mut s, "sysctl -n net.ipv4.ip_default_ttl").0, "71\n");
    assert_eq!(
        out(&mut s, "sysctl -p /nonexistent/vnet.conf"),
        (String::new(), "sysctl: cannot open \"/nonexistent/vnet.conf\": No such file or directory\n".into(), 1)
    );
}

// ------------------------------------------------------------------------------------------------
// /proc/sys through cat and echo
// ------------------------------------------------------------------------------------------------

#[test]
fn proc_sys_reads_and_writes_take_effect() {
    let mut s = session();
    assert_eq!(out(&mut s, "cat /proc/sys/net/ipv4/ip_forward"), ("0\n".into(), String::new(), 0));
    assert_eq!(out(&mut s, "echo 1 > /proc/sys/net/ipv4/ip_forward"), (String::new(), String::new(), 0));
    assert_eq!(out(&mut s, "sysctl -n net.ipv4.ip_forward").0, "1\n");
    // ip_forward is conf/all/forwarding; inet_forward_change copies it everywhere.
    assert_eq!(out(&mut s, "cat /proc/sys/net/ipv4/conf/lo/forwarding").0, "1\n");
    assert_eq!(out(&mut s, "echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce").2, 0);
    assert_eq!(out(&mut s, "sysctl net.ipv4.conf.all.arp_announce").0, "net.ipv4.conf.all.arp_announce = 2\n");
    assert_eq!(
        out(&mut s, "echo abc > /proc/sys/net/ipv4/conf/all/arp_ignore"),
        (String::new(), "bash: echo: write error: Invalid argument\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "echo 1 > /proc/sys/net/ipv4/nosuch"),
        (String::new(), "bash: /proc/sys/net/ipv4/nosuch: No such file or directory\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "echo 1 > /proc/sys/net/ipv4/conf/all/mc_forwarding"),
        (String::new(), "bash: /proc/sys/net/ipv4/conf/all/mc_forwarding: Permission denied\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "cat /proc/sys/net/ipv4"),
        (String::new(), "cat: /proc/sys/net/ipv4: Is a directory\n".into(), 1)
    );
    assert_eq!(
        out(&mut s, "cat /proc/sys/net/ipv4/ip_forward/x").1,
        "cat: /proc/sys/net/ipv4/ip_forward/x: Not a directory\n"
    );
    assert_eq!(out(&mut s, "cat /proc/sys/net/nosuch").1, "cat: /proc/sys/net/nosuch: No such file or directory\n");
    // Vector values are tab-separated.
    assert_eq!(out(&mut s, "cat /proc/sys/net/ipv4/ip_local_port_range").0, "32768\t60999\n");
    // grep reads the tree too.
    assert_eq!(out(&mut s, "grep 6 /proc/sys/net/ipv4/ip_default_ttl").0, "64\n");
}

#[test]
fn netdev_max_backlog_is_the_worlds() {
    let mut s = session();
    assert_eq!(out(&mut s, "cat /proc/sys/net/core/netdev_max_backlog").0, "1000\n");
    assert_eq!(out(&mut s, "echo 10 > /proc/sys/net/core/netdev_max_backlog").2, 0);
    assert_eq!(s.world().max_backlog(), 10);
    assert_eq!(out(&mut s, "sysctl -w net.core.netdev_max_backlog=-1").0, "net.core.netdev_max_backlog = -1\n");
    assert_eq!(out(&mut s, "sysctl -n net.core.netdev_max_backlog").0, "-1\n");
    assert_eq!(s.world().max_backlog(), u32::MAX);
    assert_eq!(out(&mut s, "sysctl -w net.core.netdev_max_backlog=x").2, 1);
}

// ------------------------------------------------------------------------------------------------
// /sys/class/net
// ------------------------------------------------------------------------------------------------

fn sys(s: &mut Session, dev: &str, attr: &str) -> (String, String, i32) {
    out(s, &format!("cat /sys/class/net/{dev}/{attr}"))
}

/// The sysfs blocks of reference/linux-golden/veth-basic for veth0, at each stage.
#[test]
fn golden_veth_basic_sysfs() {
    let mut s = session();
    veth_pair(&s);
    for (attr, v) in
        [("addr_assign_type", "3"), ("ifindex", "2"), ("iflink", "2"), ("type", "1"), ("tx_queue_len", "1000")]
    {
        assert_eq!(sys(&mut s, "veth0", attr), (format!("{v}\n"), String::new(), 0), "{attr}");
    }
    let stage = |s: &mut Session, oper: &str, carrier: Option<&str>, counts: [&str; 3], flags: &str| {
        assert_eq!(sys(s, "veth0", "operstate").0, format!("{oper}\n"));
        match carrier {
            Some(c) => assert_eq!(sys(s, "veth0", "carrier"), (format!("{c}\n"), String::new(), 0)),
            None => assert_eq!(
                sys(s, "veth0", "carrier"),
                (String::new(), "cat: /sys/class/net/veth0/carrier: Invalid argument\n".into(), 1)
            ),
        }
        assert_eq!(sys(s, "veth0", "carrier_changes").0, format!("{}\n", counts[0]));
        assert_eq!(sys(s, "veth0", "carrier_up_count").0, format!("{}\n", counts[1]));
        assert_eq!(sys(s, "veth0", "carrier_down_count").0, format!("{}\n", counts[2]));
        assert_eq!(sys(s, "veth0", "flags").0, format!("{flags}\n"));
        assert_eq!(sys(s, "veth0", "mtu").0, "1500\n");
    };
    // both down
    stage(&mut s, "down", None, ["1", "0", "1"], "0x1002");
    // veth0 up, veth1 down
    set_up(&s, NetnsId::INIT, "veth0", true);
    stage(&mut s, "down", Some("0"), ["1", "0", "1"], "0x1003");
    // both up
    set_up(&s, vg_b(&s), "veth1", true);
    stage(&mut s, "up", Some("1"), ["2", "1", "1"], "0x1003");
    // veth1 down again
    set_up(&s, vg_b(&s), "veth1", false);
    stage(&mut s, "down", Some("0"), ["3", "1", "2"], "0x1003");
}

#[test]
fn sysfs_attributes() {
    let mut s = session();
    veth_pair(&s);
    dummy(&s, "dummy0");
    assert_eq!(sys(&mut s, "veth0", "address").0, "02:00:00:00:00:0a\n");
    assert_eq!(sys(&mut s, "veth0", "broadcast").0, "ff:ff:ff:ff:ff:ff\n");
    assert_eq!(sys(&mut s, "veth0", "addr_len").0, "6\n");
    assert_eq!(sys(&mut s, "veth0", "name_assign_type").0, "3\n");
    assert_eq!(sys(&mut s, "veth0", "dev_id").0, "0x0\n");
    assert_eq!(sys(&mut s, "veth0", "netdev_group").0, "0\n");
    assert_eq!(sys(&mut s, "veth0", "ifalias"), (String::new(), String::new(), 0));
    assert_eq!(sys(&mut s, "lo", "type").0, "772\n");
    assert_eq!(sys(&mut s, "lo", "flags").0, "0x8\n");
    assert_eq!(sys(&mut s, "dummy0", "flags").0, "0x82\n");
    // speed_show/duplex_show: EINVAL unless running; veth reports 10000/full, dummy nothing.
    assert_eq!(sys(&mut s, "veth0", "speed").1, "cat: /sys/class/net/veth0/speed: Invalid argument\n");
    set_up(&s, NetnsId::INIT, "veth0", true);
    set_up(&s, NetnsId::INIT, "dummy0", true);
    assert_eq!(sys(&mut s, "veth0", "speed").0, "10000\n");
    assert_eq!(sys(&mut s, "veth0", "duplex").0, "full\n");
    assert_eq!(sys(&mut s, "dummy0", "speed").2, 1);
    assert_eq!(sys(&mut s, "veth0", "dormant").0, "0\n");
    // dummy never reports carrier: operstate unknown.
    assert_eq!(sys(&mut s, "dummy0", "operstate").0, "unknown\n");
    // The peer lives in vg-b: another namespace's sysfs.
    assert_eq!(sys(&mut s, "veth1", "mtu").1, "cat: /sys/class/net/veth1/mtu: No such file or directory\n");
    assert_eq!(sys(&mut s, "veth0", "nosuch").1, "cat: /sys/class/net/veth0/nosuch: No such file or directory\n");
    assert_eq!(out(&mut s, "cat /sys/class/net/veth0").1, "cat: /sys/class/net/veth0: Is a directory\n");
    assert_eq!(
        out(&mut s, "cat /sys/class/net/veth0/statistics").1,
        "cat: /sys/class/net/veth0/statistics: Is a directory\n"
    );
    // The bridge issue adds these.
    assert_eq!(
        sys(&mut s, "veth0", "bridge/stp_state").1,
        "cat: /sys/class/net/veth0/bridge/stp_state: No such file or directory\n"
    );
}

#[test]
fn sysfs_statistics_are_the_24_counters() {
    let mut s = session();
    veth_pair(&s);
    let all = [
        "collisions",
        "multicast",
        "rx_bytes",
        "rx_compressed",
        "rx_crc_errors",
        "rx_dropped",
        "rx_errors",
        "rx_fifo_errors",
        "rx_frame_errors",
        "rx_length_errors",
        "rx_missed_errors",
        "rx_nohandler",
        "rx_over_errors",
        "rx_packets",
        "tx_aborted_errors",
        "tx_bytes",
        "tx_carrier_errors",
        "tx_compressed",
        "tx_dropped",
        "tx_errors",
        "tx_fifo_errors",
        "tx_heartbeat_errors",
        "tx_packets",
        "tx_window_errors",
    ];
    for a in all {
        assert_eq!(sys(&mut s, "veth0", &format!("statistics/{a}")), ("0\n".into(), String::new(), 0), "{a}");
    }
    assert_eq!(sys(&mut s, "veth0", "statistics/nope").2, 1);
    // A frame sent on a down device is counted nowhere; one that crosses the pair is.
    let dev = s.world().rtnl().dev_by_name(NetnsId::INIT, "veth0").unwrap();
    set_up(&s, NetnsId::INIT, "veth0", true);
    set_up(&s, vg_b(&s), "veth1", true);
    let frame = [0xffu8; 60];
    let skb = netdev_core::Skb::from_bytes(&frame);
    let _ = s.cpu().dev_queue_xmit(&dev, skb);
    s.advance(1_000_000);
    assert_eq!(sys(&mut s, "veth0", "statistics/tx_packets").0, "1\n");
    assert_eq!(sys(&mut s, "veth0", "statistics/tx_bytes").0, "60\n");
}

#[test]
fn sysfs_writes() {
    let mut s = session();
    veth_pair(&s);
    dummy(&s, "dummy0");
    let w = |s: &mut Session, cmd: &str| out(s, cmd);
    assert_eq!(w(&mut s, "echo 9000 > /sys/class/net/veth0/mtu"), (String::new(), String::new(), 0));
    assert_eq!(sys(&mut s, "veth0", "mtu").0, "9000\n");
    assert_eq!(
        w(&mut s, "echo 67 > /sys/class/net/veth0/mtu"),
        (String::new(), "bash: echo: write error: Invalid argument\n".into(), 1)
    );
    assert_eq!(w(&mut s, "echo abc > /sys/class/net/veth0/mtu").1, "bash: echo: write error: Invalid argument\n");
    assert_eq!(w(&mut s, "echo 0x10 > /sys/class/net/veth0/tx_queue_len").2, 0);
    assert_eq!(sys(&mut s, "veth0", "tx_queue_len").0, "16\n");
    assert_eq!(
        w(&mut s, "echo 4294967296 > /sys/class/net/veth0/tx_queue_len").1,
        "bash: echo: write error: Numerical result out of range\n"
    );
    assert_eq!(w(&mut s, "echo uplink to the lab > /sys/class/net/veth0/ifalias").2, 0);
    assert_eq!(sys(&mut s, "veth0", "ifalias").0, "uplink to the lab\n");
    // carrier_store: EINVAL while down, then the driver's ndo_change_carrier (veth has none).
    assert_eq!(w(&mut s, "echo 0 > /sys/class/net/dummy0/carrier").1, "bash: echo: write error: Invalid argument\n");
    assert_eq!(w(&mut s, "echo 0x1083 > /sys/class/net/dummy0/flags").2, 0, "flags_store brings it up");
    assert_eq!(sys(&mut s, "dummy0", "operstate").0, "unknown\n");
    assert_eq!(w(&mut s, "echo 0 > /sys/class/net/dummy0/carrier").2, 0);
    assert_eq!(sys(&mut s, "dummy0", "carrier").0, "0\n");
    assert_eq!(sys(&mut s, "dummy0", "operstate").0, "down\n");
    set_up(&s, NetnsId::INIT, "veth0", true);
    assert_eq!(
        w(&mut s, "echo 0 > /sys/class/net/veth0/carrier").1,
        "bash: echo: write error: Operation not supported\n"
    );
    assert_eq!(
        w(&mut s, "echo 1 > /sys/class/net/veth0/proto_down").1,
        "bash: echo: write error: Operation not supported\n"
    );
    assert_eq!(
        w(&mut s, "echo 5 > /sys/class/net/veth0/netdev_group"),
        (String::new(), "vnet: echo: \"/sys/class/net/veth0/netdev_group\" is not understood by vnet\n".into(), 1)
    );
    assert_eq!(w(&mut s, "echo 0x1002 > /sys/class/net/veth0/flags").2, 0);
    assert_eq!(sys(&mut s, "veth0", "flags").0, "0x1002\n");
    // Read-only attributes and missing files fail at the open.
    assert_eq!(
        w(&mut s, "echo up > /sys/class/net/veth0/operstate"),
        (String::new(), "bash: /sys/class/net/veth0/operstate: Permission denied\n".into(), 1)
    );
    assert_eq!(
        w(&mut s, "echo 1 > /sys/class/net/veth1/mtu").1,
        "bash: /sys/class/net/veth1/mtu: No such file or directory\n"
    );
    assert_eq!(
        w(&mut s, "echo 1 > /sys/class/net/veth0/statistics/rx_bytes").1,
        "bash: /sys/class/net/veth0/statistics/rx_bytes: Permission denied\n"
    );
}

// ------------------------------------------------------------------------------------------------
// /proc/net
// ------------------------------------------------------------------------------------------------

/// Seed 004's `/proc/net/arp` proxy lines (flags 0xc, a zero address), plus resolved entries.
#[test]
fn proc_net_arp() {
    let mut s = session();
    for d in ["eth0", "eth3"] {
        dummy(&s, d);
    }
    let st = s.stacks().of(NetnsId::INIT);
    {
        let w = s.world();
        let mut r = w.rtnl();
        let idx = |r: &netdev_core::Rtnl<'_>, n: &str| r.dev_by_name(NetnsId::INIT, n).unwrap().ifindex();
        let (eth0, eth3) = (idx(&r, "eth0"), idx(&r, "eth3"));
        let a = |x: u8| IpAddr::V4(Ipv4Addr::new(192, 168, 18, x));
        st.neigh_proxy_add(&mut r, eth3, a(102)).unwrap();
        st.neigh_add(&mut r, eth0, a(129), Some(mac("00:0c:29:d2:c7:aa")), Nud::Reachable, false).unwrap();
        st.neigh_add(&mut r, eth0, a(130), Some(mac("00:0c:29:d2:c7:ab")), Nud::Permanent, false).unwrap();
    }
    let (o, _, rc) = out(&mut s, "cat /proc/net/arp");
    assert_eq!(rc, 0);
    let mut lines = o.lines();
    assert_eq!(lines.next(), Some("IP address       HW type     Flags       HW address            Mask     Device"));
    let mut rest: Vec<&str> = lines.collect();
    let proxy = rest.pop().unwrap();
    assert_eq!(proxy, "192.168.18.102   0x1         0xc         00:00:00:00:00:00     *        eth3");
    rest.sort_unstable();
    assert_eq!(
        rest,
        [
            "192.168.18.129   0x1         0x2         00:0c:29:d2:c7:aa     *        eth0",
            "192.168.18.130   0x1         0x6         00:0c:29:d2:c7:ab     *        eth0",
        ]
    );
}

#[test]
fn proc_net_dev() {
    let mut s = session();
    dummy(&s, "dummy0");
    assert_eq!(
        out(&mut s, "cat /proc/net/dev").0,
        "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
dummy0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
"
    );
    assert_eq!(out(&mut s, "cat /proc/net/nosuch").1, "cat: /proc/net/nosuch: No such file or directory\n");
    assert_eq!(out(&mut s, "echo x > /proc/net/dev").1, "bash: /proc/net/dev: Permission denied\n");
}

// ------------------------------------------------------------------------------------------------
// ethtool
// ------------------------------------------------------------------------------------------------

/// What `ethtool -k` prints for a veth on the golden kernel: veth_setup's VETH_FEATURES (hw and
/// active), register_netdevice's soft features, GRO turned off by veth_newlink.
const VETH_K: &str = "rx-checksumming: on
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
\ttx-checksum-ipv6: off [fixed]
\ttx-checksum-fcoe-crc: off [fixed]
\ttx-checksum-sctp: on
scatter-gather: on
\ttx-scatter-gather: on
\ttx-scatter-gather-fraglist: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: on
\ttx-tcp-ecn-segmentation: on
\ttx-tcp-mangleid-segmentation: on
\ttx-tcp6-segmentation: on
\ttx-tcp-accecn-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: off
large-receive-offload: off [fixed]
rx-vlan-offload: on
tx-vlan-offload: on
ntuple-filters: off [fixed]
receive-hashing: off [fixed]
highdma: on
rx-vlan-filter: off [fixed]
vlan-challenged: off [fixed]
tx-gso-robust: off [fixed]
tx-fcoe-segmentation: off [fixed]
tx-gre-segmentation: on
tx-gre-csum-segmentation: on
tx-ipxip4-segmentation: on
tx-ipxip6-segmentation: on
tx-udp_tnl-segmentation: on
tx-udp_tnl-csum-segmentation: on
tx-gso-partial: off [fixed]
tx-tunnel-remcsum-segmentation: off [fixed]
tx-sctp-segmentation: on
tx-esp-segmentation: off [fixed]
tx-udp-segmentation: on
tx-gso-list: on
tx-nocache-copy: off
loopback: off [fixed]
rx-fcs: off [fixed]
rx-all: off [fixed]
tx-vlan-stag-hw-insert: on
rx-vlan-stag-hw-parse: on
rx-vlan-stag-filter: off [fixed]
l2-fwd-offload: off [fixed]
hw-tc-offload: off [fixed]
esp-hw-offload: off [fixed]
esp-tx-csum-hw-offload: off [fixed]
rx-udp_tunnel-port-offload: off [fixed]
tls-hw-tx-offload: off [fixed]
tls-hw-rx-offload: off [fixed]
rx-gro-hw: off [fixed]
tls-hw-record: off [fixed]
rx-gro-list: off
macsec-hw-offload: off [fixed]
rx-udp-gro-forwarding: off
hsr-tag-ins-offload: off [fixed]
hsr-tag-rm-offload: off [fixed]
hsr-fwd-offload: off [fixed]
hsr-dup-offload: off [fixed]
";

#[test]
fn ethtool_k_veth() {
    let mut s = session();
    veth_pair(&s);
    assert_eq!(out(&mut s, "ethtool -k veth0"), (format!("Features for veth0:\n{VETH_K}"), String::new(), 0));
    assert_eq!(out(&mut s, "ethtool --show-offload veth0").0, format!("Features for veth0:\n{VETH_K}"));
    // bridge-basic: `ethtool -k p1 | grep netns` (p1 is a veth) prints nothing, rc 1.
    assert_eq!(out(&mut s, "ethtool -k veth0 | grep netns"), (String::new(), String::new(), 1));
    assert_eq!(out(&mut s, "ethtool -k veth0 | grep -c fixed").0, "31\n");
}

#[test]
fn ethtool_k_loopback_and_dummy() {
    let mut s = session();
    dummy(&s, "dummy0");
    let lo = out(&mut s, "ethtool -k lo").0;
    for line in [
        "rx-checksumming: on [fixed]\n",
        "\ttx-checksum-ip-generic: on [fixed]\n",
        "\ttx-checksum-sctp: on [fixed]\n",
        "\ttx-scatter-gather: on [fixed]\n",
        "\ttx-tcp-segmentation: on\n",
        "generic-receive-offload: on\n",
        "highdma: on [fixed]\n",
        "vlan-challenged: on [fixed]\n",
        "tx-nocache-copy: off [fixed]\n",
        "loopback: on [fixed]\n",
    ] {
        assert!(lo.contains(line), "{line:?} in {lo}");
    }
    let d = out(&mut s, "ethtool -k dummy0").0;
    for line in ["rx-checksumming: off [fixed]\n", "generic-receive-offload: on\n", "tx-vlan-offload: off [fixed]\n"] {
        assert!(d.contains(line), "{line:?} in {d}");
    }
}

/// bridge-basic: `ethtool -i p1` on a veth.
#[test]
fn golden_ethtool_i_veth() {
    let mut s = session();
    veth_pair(&s);
    assert_eq!(
        run(&mut s, "ethtool -i veth0").transcript_block("ethtool -i p1"),
        "$ ethtool -i p1
--- stdout
driver: veth
version: 1.0
firmware-version: 
expansion-rom-version: 
bus-info: 
supports-statistics: yes
supports-test: no
supports-eeprom-access: no
supports-register-dump: no
supports-priv-flags: no
--- rc=0
"
    );
}

#[test]
fn ethtool_i_other_drivers_and_errors() {
    let mut s = session();
    dummy(&s, "dummy0");
    let (o, _, rc) = out(&mut s, "ethtool --driver dummy0");
    assert_eq!(rc, 0);
    assert!(o.starts_with("driver: dummy\nversion: 6.18.44-fc-v595\nfirmware-version: \n"), "{o}");
    assert!(o.contains("supports-statistics: no\n"));
    assert_eq!(
        out(&mut s, "ethtool -i lo"),
        (String::new(), "Cannot get driver information: Operation not supported\n".into(), 71)
    );
    assert_eq!(
        out(&mut s, "ethtool -i nosuch"),
        (String::new(), "Cannot get driver information: No such device\n".into(), 71)
    );
}

#[test]
fn ethtool_s() {
    let mut s = session();
    veth_pair(&s);
    assert_eq!(
        out(&mut s, "ethtool -S veth0").0,
        "NIC statistics:
     peer_ifindex: 2
     rx_queue_0_xdp_packets: 0
     rx_queue_0_xdp_bytes: 0
     rx_queue_0_drops: 0
     rx_queue_0_xdp_redirect: 0
     rx_queue_0_xdp_drops: 0
     rx_queue_0_xdp_tx: 0
     rx_queue_0_xdp_tx_errors: 0
     tx_queue_0_xdp_xmit: 0
     tx_queue_0_xdp_xmit_errors: 0
"
    );
    assert_eq!(out(&mut s, "ethtool -S lo"), (String::new(), "no stats available\n".into(), 94));
    assert_eq!(
        out(&mut s, "ethtool --statistics nosuch"),
        (String::new(), "Cannot get stats strings information: No such device\n".into(), 96)
    );
}

#[test]
fn ethtool_settings() {
    let mut s = session();
    veth_pair(&s);
    dummy(&s, "dummy0");
    let veth = |link: &str| {
        format!(
            "Settings for veth0:
\tSupported ports: [  ]
\tSupported link modes:   Not reported
\tSupported pause frame use: No
\tSupports auto-negotiation: No
\tSupported FEC modes: Not reported
\tAdvertised link modes:  Not reported
\tAdvertised pause frame use: No
\tAdvertised auto-negotiation: No
\tAdvertised FEC modes: Not reported
\tSpeed: 10000Mb/s
\tDuplex: Full
\tAuto-negotiation: off
\tPort: Twisted Pair
\tPHYAD: 0
\tTransceiver: internal
\tMDI-X: Unknown
\tLink detected: {link}
"
        )
    };
    assert_eq!(out(&mut s, "ethtool veth0"), (veth("no"), String::new(), 0));
    set_up(&s, NetnsId::INIT, "veth0", true);
    set_up(&s, vg_b(&s), "veth1", true);
    assert_eq!(out(&mut s, "ethtool veth0").0, veth("yes"));
    assert_eq!(out(&mut s, "ethtool lo").0, "Settings for lo:\n\tLink detected: no\n");
    assert_eq!(out(&mut s, "ethtool dummy0"), ("No data available\n".into(), String::new(), 75));
    let (o, e, rc) = out(&mut s, "ethtool nosuch");
    assert_eq!((o.as_str(), rc), ("No data available\n", 75));
    assert_eq!(e, "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n".repeat(5));
}

#[test]
fn ethtool_big_k() {
    let mut s = session();
    veth_pair(&s);
    // A fixed feature cannot change: ethtool shows what the kernel did instead.
    assert_eq!(
        out(&mut s, "ethtool -K veth0 lro on"),
        ("Actual changes:\nrx-lro: off [requested on]\n".into(), String::new(), 0)
    );
    assert_eq!(
        out(&mut s, "ethtool -K veth0 rx-fcs on loopback on").0,
        "Actual changes:\nloopback: off [requested on]\nrx-fcs: off [requested on]\n"
    );
    // Asking for what is already there changes nothing and says nothing.
    assert_eq!(out(&mut s, "ethtool -K veth0 gro off tso on"), (String::new(), String::new(), 0));
    // Unknown names: the kernel's extack points at the BIT_NAME attribute.
    assert_eq!(
        out(&mut s, "ethtool -K veth0 foo on"),
        (
            String::new(),
            "netlink error: bit name not found (offset 56)\nnetlink error: Operation not supported\n".into(),
            92
        )
    );
    assert_eq!(
        out(&mut s, "ethtool -K veth0 lro off foo on").1.lines().next(),
        Some("netlink error: bit name not found (offset 72)")
    );
    assert_eq!(
        out(&mut s, "ethtool -K veth0 gro maybe").1,
        "ethtool (-K): flag 'maybe' for parameter '(null)' is not followed by 'on' or 'off'\n"
    );
    assert_eq!(
        out(&mut s, "ethtool -K nosuch gro on"),
        (
            String::new(),
            "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n".into(),
            92
        )
    );
    // A change Linux would make, which the core cannot.
    assert_eq!(out(&mut s, "ethtool -K veth0 gro on").2, 255);
}

#[test]
fn ethtool_command_line_errors() {
    let mut s = session();
    veth_pair(&s);
    let bad =
        (String::new(), "ethtool: bad command line argument(s)\nFor more information run ethtool -h\n".to_string(), 1);
    assert_eq!(out(&mut s, "ethtool"), bad);
    assert_eq!(out(&mut s, "ethtool -i"), bad);
    assert_eq!(out(&mut s, "ethtool -i veth0 extra"), bad);
    assert_eq!(out(&mut s, "ethtool -z veth0"), bad);
    assert_eq!(
        out(&mut s, "ethtool -k nosuch"),
        (String::new(), "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n".into(), 1)
    );
    assert_eq!(out(&mut s, "ethtool --version").0, "ethtool version 6.1\n");
    assert_eq!(out(&mut s, "ethtool -g veth0").2, 255);
}

// ------------------------------------------------------------------------------------------------
// No panics
// ------------------------------------------------------------------------------------------------

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-a".to_string()),
        Just("-w".to_string()),
        Just("-n".to_string()),
        Just("-r".to_string()),
        Just("-p".to_string()),
        Just("-K".to_string()),
        Just("-k".to_string()),
        Just("-i".to_string()),
        Just("-S".to_string()),
        Just("veth0".to_string()),
        Just("lo".to_string()),
        Just("on".to_string()),
        Just("net.ipv4.ip_forward=1".to_string()),
        Just("net.ipv4.conf.veth0.arp_ignore".to_string()),
        "[a-z0-9./=_:*+?()\\[\\]{}|^$-]{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_any_arguments(cmd in prop_oneof![Just("sysctl"), Just("ethtool"), Just("cat"), Just("sysctl -a -r")],
                                 words in prop::collection::vec(word(), 0..5)) {
        let mut s = session();
        veth_pair(&s);
        let line = format!("{cmd} {}", words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "));
        let o = s.exec(&line);
        prop_assert!(o.rc >= 0 && o.rc <= 255);
    }

    #[test]
    fn no_panic_on_any_path(dir in prop_oneof![Just("/proc/sys/net/ipv4"), Just("/sys/class/net/veth0"), Just("/proc/net"), Just("/sys/class/net")],
                            tail in "[a-z0-9._/]{0,30}", value in "[a-z0-9 x+-]{0,12}") {
        let mut s = session();
        veth_pair(&s);
        let path = format!("{dir}/{tail}");
        let r = s.exec(&format!("cat '{path}'"));
        prop_assert!(r.rc == 0 || r.stderr.starts_with("cat: "));
        let w = s.exec(&format!("echo '{value}' > '{path}'"));
        prop_assert!(w.rc == 0 || w.rc == 1, "{:?}", w);
    }
}
