//! Unit tests of the sysctl model.

use super::*;

const LO: u32 = 1;
const ETH0: u32 = 2;
const ETH1: u32 = 3;
const VLAN: u32 = 4;

fn name_of(i: u32) -> String {
    match i {
        LO => "lo",
        ETH0 => "eth0",
        ETH1 => "eth1",
        VLAN => "eth0.100",
        _ => "?",
    }
    .to_owned()
}

fn by_name(n: &str) -> Option<u32> {
    (1..=4).find(|&i| name_of(i) == n)
}

/// lo, eth0 and eth1 in the initial namespace.
fn host() -> Sysctls {
    let mut s = Sysctls::new();
    s.add_dev(LO, IfFlags::LOOPBACK, 65536);
    s.add_dev(ETH0, IfFlags::BROADCAST, 1500);
    s.add_dev(ETH1, IfFlags::BROADCAST, 1500);
    s
}

fn r(s: &Sysctls, n: &str) -> String {
    s.read(n, by_name).unwrap()
}

fn w(s: &mut Sysctls, n: &str, v: &str) -> Vec<Change> {
    s.write(n, v, by_name).unwrap()
}

fn werr(s: &mut Sysctls, n: &str, v: &str) -> Errno {
    s.write(n, v, by_name).unwrap_err()
}

fn touched(changes: &[Change]) -> Vec<(Knob, Target, i64)> {
    changes.iter().map(|c| (c.knob, c.target, c.new)).collect()
}

#[test]
fn ipv4_devconf_compiled_defaults() {
    // ipv4_devconf / ipv4_devconf_dflt
    let s = host();
    for (name, all, dflt) in [
        ("accept_redirects", "1", "1"),
        ("send_redirects", "1", "1"),
        ("secure_redirects", "1", "1"),
        ("shared_media", "1", "1"),
        ("accept_source_route", "0", "1"),
        ("igmpv2_unsolicited_report_interval", "10000", "10000"),
        ("igmpv3_unsolicited_report_interval", "1000", "1000"),
        ("arp_evict_nocarrier", "1", "1"),
        ("rp_filter", "0", "0"),
        ("forwarding", "0", "0"),
    ] {
        assert_eq!(r(&s, &format!("net.ipv4.conf.all.{name}")), all, "{name}");
        assert_eq!(r(&s, &format!("net.ipv4.conf.default.{name}")), dflt, "{name}");
        assert_eq!(r(&s, &format!("net.ipv4.conf.eth0.{name}")), dflt, "{name}");
    }
    // inetdev_event NETDEV_REGISTER on loopback.
    assert_eq!(r(&s, "net.ipv4.conf.lo.disable_xfrm"), "1");
    assert_eq!(r(&s, "net.ipv4.conf.lo.disable_policy"), "1");
    assert_eq!(r(&s, "net.ipv4.conf.eth0.disable_policy"), "0");
    // IN_DEV_SOURCE_ROUTE is AND: default's 1 is masked by all's 0.
    assert!(!s.accept_source_route(ETH0));
}

#[test]
fn max_class_takes_the_larger_of_all_and_dev() {
    // IN_DEV_MAXCONF
    let mut s = host();
    w(&mut s, "net.ipv4.conf.all.arp_ignore", "1");
    assert_eq!(r(&s, "net.ipv4.conf.eth0.arp_ignore"), "0");
    assert_eq!(s.arp_ignore(ETH0), 1);
    w(&mut s, "net.ipv4.conf.all.rp_filter", "2");
    w(&mut s, "net.ipv4.conf.eth1.rp_filter", "1");
    assert_eq!(s.rp_filter(ETH1), 2);
    w(&mut s, "net.ipv4.conf.all.rp_filter", "0");
    assert_eq!(s.rp_filter(ETH1), 1);
    w(&mut s, "net.ipv4.conf.eth0.arp_announce", "2");
    assert_eq!(s.arp_announce(ETH0), 2);
    w(&mut s, "net.ipv4.conf.all.arp_accept", "2");
    w(&mut s, "net.ipv4.conf.eth0.arp_accept", "1");
    assert_eq!(s.arp_accept(ETH0), 2);
}

#[test]
fn or_and_and_per_device_classes() {
    let mut s = host();
    // IN_DEV_ORCONF
    w(&mut s, "net.ipv4.conf.all.arp_filter", "1");
    assert!(s.arp_filter(ETH0) && s.arp_filter(ETH1));
    w(&mut s, "net.ipv4.conf.eth1.proxy_arp", "1");
    assert!(s.proxy_arp(ETH1) && !s.proxy_arp(ETH0));
    w(&mut s, "net.ipv4.conf.all.proxy_arp_pvlan", "1");
    assert!(s.proxy_arp_pvlan(ETH0));
    w(&mut s, "net.ipv4.conf.all.drop_gratuitous_arp", "1");
    assert!(s.drop_gratuitous_arp(ETH0));
    // IN_DEV_ANDCONF: arp_evict_nocarrier is 1 everywhere by default; all=0 turns it off.
    assert!(s.arp_evict_nocarrier(ETH0));
    w(&mut s, "net.ipv4.conf.all.arp_evict_nocarrier", "0");
    assert!(!s.arp_evict_nocarrier(ETH0));
    // Per device only: medium_id and forwarding ignore `all`.
    w(&mut s, "net.ipv4.conf.eth0.medium_id", "-1");
    assert_eq!((s.medium_id(ETH0), s.medium_id(ETH1)), (-1, 0));
    w(&mut s, "net.ipv4.conf.eth1.forwarding", "1");
    assert!(s.forwarding(ETH1) && !s.forwarding(ETH0) && !s.ip_forward());
}

#[test]
fn accept_redirects_is_and_while_forwarding_or_otherwise() {
    // IN_DEV_RX_REDIRECTS
    let mut s = host();
    w(&mut s, "net.ipv4.conf.all.accept_redirects", "0");
    assert!(s.accept_redirects(ETH0), "not forwarding: OR with the device's 1");
    w(&mut s, "net.ipv4.conf.eth0.forwarding", "1");
    assert!(!s.accept_redirects(ETH0), "forwarding: AND with all's 0");
    w(&mut s, "net.ipv4.conf.all.accept_redirects", "1");
    assert!(s.accept_redirects(ETH0));
}

#[test]
fn ip_forward_runs_inet_forward_change_only_on_a_change() {
    // devinet_sysctl_forward + inet_forward_change; kernel-agg-l3 §9 scenario 28.
    let mut s = host();
    let ch = w(&mut s, "net.ipv4.ip_forward", "1");
    assert!(s.ip_forward() && s.forwarding(LO) && s.forwarding(ETH0) && s.forwarding(ETH1));
    assert_eq!(r(&s, "net.ipv4.conf.all.accept_redirects"), "0");
    assert_eq!(r(&s, "net.ipv4.conf.default.forwarding"), "1");
    assert_eq!(r(&s, "net.ipv4.conf.all.forwarding"), "1");
    assert!(touched(&ch).contains(&(Knob::Ipv4(Ipv4Knob::Forwarding), Target::Dev(ETH1), 1)));
    let ch = w(&mut s, "net.ipv4.conf.eth1.forwarding", "0");
    assert_eq!(touched(&ch), vec![(Knob::Ipv4(Ipv4Knob::Forwarding), Target::Dev(ETH1), 0)]);
    assert!(s.forwarding(ETH0) && !s.forwarding(ETH1));
    // Writing the value ip_forward already has does nothing: eth1 stays off.
    assert!(w(&mut s, "net.ipv4.ip_forward", "1").is_empty());
    assert!(!s.forwarding(ETH1));
    // A real change re-applies it to every device.
    w(&mut s, "net.ipv4.ip_forward", "0");
    w(&mut s, "net/ipv4/ip_forward", "1");
    assert!(s.forwarding(ETH1));
    // default.forwarding reaches no existing device, only new ones.
    w(&mut s, "net.ipv4.conf.default.forwarding", "0");
    assert!(s.forwarding(ETH0));
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    assert!(!s.forwarding(VLAN));
}

#[test]
fn default_reaches_only_devices_that_never_wrote_the_knob() {
    // devinet_conf_proc + devinet_copy_dflt_conf; kernel-agg-l3 §9 scenario 28.
    let mut s = host();
    w(&mut s, "net.ipv4.conf.eth1.rp_filter", "1");
    let ch = w(&mut s, "net.ipv4.conf.default.rp_filter", "2");
    assert_eq!(r(&s, "net.ipv4.conf.eth0.rp_filter"), "2");
    assert_eq!(r(&s, "net.ipv4.conf.eth1.rp_filter"), "1");
    assert!(touched(&ch).contains(&(Knob::Ipv4(Ipv4Knob::RpFilter), Target::Dev(ETH0), 2)));
    // An IPv4 address sets every bit (ipv4_devconf_setall): default no longer reaches eth0.
    s.inet_addr_added(ETH0);
    w(&mut s, "net.ipv4.conf.default.rp_filter", "0");
    assert_eq!(r(&s, "net.ipv4.conf.eth0.rp_filter"), "2");
    assert_eq!(r(&s, "net.ipv4.conf.lo.rp_filter"), "0");
    // inetdev_init copies default's bits too: a device made after a default write of a knob
    // does not follow later default writes of it.
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    assert_eq!(r(&s, "net.ipv4.conf.eth0/100.rp_filter"), "0");
    w(&mut s, "net.ipv4.conf.default.rp_filter", "1");
    assert_eq!(r(&s, "net.ipv4.conf.eth0/100.rp_filter"), "0");
    assert_eq!(r(&s, "net.ipv4.conf.lo.rp_filter"), "1");
}

#[test]
fn a_rejected_value_still_marks_the_knob_written() {
    // devinet_conf_proc sets the bit whatever proc_dointvec returned.
    let mut s = host();
    assert_eq!(werr(&mut s, "net.ipv4.conf.eth0.arp_ignore", "x"), Errno::Einval);
    w(&mut s, "net.ipv4.conf.default.arp_ignore", "2");
    assert_eq!(r(&s, "net.ipv4.conf.eth0.arp_ignore"), "0");
    assert_eq!(r(&s, "net.ipv4.conf.eth1.arp_ignore"), "2");
}

#[test]
fn flushing_knobs_never_propagate_from_default() {
    // ipv4_doint_and_flush sets no bit and copies nothing.
    let mut s = host();
    w(&mut s, "net.ipv4.conf.default.promote_secondaries", "1");
    assert!(!s.promote_secondaries(ETH0));
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    assert!(s.promote_secondaries(VLAN));
    w(&mut s, "net.ipv4.conf.all.route_localnet", "1");
    assert!(s.route_localnet(ETH0));
}

#[test]
fn value_parsing_follows_proc_dointvec() {
    // proc_get_long, do_proc_dointvec_conv, proc_dointvec_minmax
    let mut s = host();
    for (v, want) in [("0x10", "16"), ("010", "8"), ("  3\n", "3"), ("-2147483648", "-2147483648"), ("4 5", "4")] {
        w(&mut s, "net.ipv4.conf.eth0.tag", v);
        assert_eq!(r(&s, "net.ipv4.conf.eth0.tag"), want, "{v:?}");
    }
    for v in ["", " ", "abc", "1x", "08", "+1", "2147483648", "-2147483649", "1.5", "000000000000000000001"] {
        assert_eq!(werr(&mut s, "net.ipv4.conf.eth0.tag", v), Errno::Einval, "{v:?}");
    }
    assert_eq!(werr(&mut s, "net.ipv4.ip_default_ttl", "0"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.ip_default_ttl", "256"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.ip_default_ttl", "-1"), Errno::Einval);
    w(&mut s, "net.ipv4.ip_default_ttl", "255");
    assert_eq!(s.ip_default_ttl(), 255);
    assert_eq!(werr(&mut s, "net.ipv4.icmp_echo_ignore_all", "2"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.conf.all.mc_forwarding", "1"), Errno::Eacces);
}

#[test]
fn unknown_names_are_enoent() {
    let mut s = host();
    for n in [
        "net.ipv4.conf.eth9.rp_filter",
        "net.ipv4.conf.eth0.no_such_knob",
        "net.ipv4.conf.all",
        "net.ipv4.neigh.all.locktime",
        "net.ipv6.neigh.eth0.gc_thresh1",
        "net.ipv5.ip_forward",
        "kernel.hostname",
    ] {
        assert_eq!(s.read(n, by_name), Err(Errno::Enoent), "{n}");
        assert_eq!(s.write(n, "1", by_name), Err(Errno::Enoent), "{n}");
    }
    s.del_dev(ETH1);
    assert_eq!(s.read("net.ipv4.conf.eth1.rp_filter", by_name), Err(Errno::Enoent));
}

#[test]
fn both_name_syntaxes_and_dotted_device_names() {
    // procps sysctl slashdot(): the first separator decides which form the name is in.
    let mut s = host();
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    w(&mut s, "net/ipv4/conf/eth0.100/arp_ignore", "2");
    assert_eq!(r(&s, "net.ipv4.conf.eth0/100.arp_ignore"), "2");
    assert_eq!(r(&s, "/proc/sys/net/ipv4/conf/eth0.100/arp_ignore"), "2");
    assert_eq!(s.arp_ignore(VLAN), 2);
    assert_eq!(s.arp_ignore(ETH0), 0);
    // A dot in the dotted form is a separator: eth0.100 is not a device there.
    assert_eq!(s.read("net.ipv4.conf.eth0.100.arp_ignore", by_name), Err(Errno::Enoent));
    let listed = s.list(name_of);
    assert!(listed.contains(&("net.ipv4.conf.eth0/100.arp_ignore".to_owned(), "2".to_owned())));
}

#[test]
fn list_is_sorted_depth_first_by_bytes() {
    // proc_sys_readdir walks each directory's rbtree (namecmp), procps prints in that order.
    let mut s = host();
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    let names: Vec<String> = s.list(name_of).into_iter().map(|(n, _)| n).collect();
    let pos = |n: &str| names.iter().position(|x| x == n).unwrap_or_else(|| panic!("{n} not listed"));
    assert!(pos("net.ipv4.conf.all.accept_local") < pos("net.ipv4.conf.all.accept_redirects"));
    assert!(pos("net.ipv4.conf.all.tag") < pos("net.ipv4.conf.default.accept_local"));
    assert!(pos("net.ipv4.conf.eth0.tag") < pos("net.ipv4.conf.eth0/100.accept_local"));
    assert!(pos("net.ipv4.conf.eth1.tag") < pos("net.ipv4.conf.lo.accept_local"));
    assert!(pos("net.ipv4.conf.lo.tag") < pos("net.ipv4.icmp_echo_ignore_all"));
    assert!(pos("net.ipv4.ip_default_ttl") < pos("net.ipv4.ip_forward"));
    assert!(pos("net.ipv4.ip_unprivileged_port_start") < pos("net.ipv4.neigh.default.anycast_delay"));
    assert!(pos("net.ipv4.neigh.default.base_reachable_time") < pos("net.ipv4.neigh.default.base_reachable_time_ms"));
    assert!(pos("net.ipv4.neigh.lo.unres_qlen_bytes") < pos("net.ipv6.conf.all.accept_dad"));
    assert!(pos("net.ipv6.conf.lo.use_tempaddr") < pos("net.ipv6.neigh.default.anycast_delay"));
    let expected = 2 + GlobalKnob::ALL.len() - 1
        + 6 * Ipv4Knob::ALL.len()
        + 6 * Ipv6Knob::ALL.len()
        + 2 * (5 * NEIGH_ENTRIES.len() + NeighGc::ALL.len());
    assert_eq!(names.len(), expected);
    let mut sorted = names.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no duplicates");
}

#[test]
fn ipv6_defaults_and_loopback() {
    // ipv6_devconf(_dflt), ipv6_add_dev; golden transcript veth-ipv6-up.
    let mut s = host();
    s.add_dev(VLAN, IfFlags::NOARP, 1500);
    for (k, v) in [
        ("disable_ipv6", "0"),
        ("dad_transmits", "1"),
        ("router_solicitations", "-1"),
        ("router_solicitation_interval", "4"),
        ("router_solicitation_max_interval", "3600"),
        ("router_solicitation_delay", "1"),
        ("mldv1_unsolicited_report_interval", "10000"),
        ("mldv2_unsolicited_report_interval", "1000"),
        ("force_mld_version", "0"),
        ("addr_gen_mode", "0"),
        ("hop_limit", "64"),
        ("mtu", "1500"),
        ("accept_dad", "1"),
        ("use_tempaddr", "0"),
    ] {
        assert_eq!(r(&s, &format!("net.ipv6.conf.eth0.{k}")), v, "{k}");
    }
    assert_eq!(r(&s, "net.ipv6.conf.all.mtu"), "1280");
    assert_eq!(r(&s, "net.ipv6.conf.all.accept_dad"), "0");
    assert_eq!(r(&s, "net.ipv6.conf.lo.mtu"), "65536");
    assert_eq!(r(&s, "net.ipv6.conf.lo.accept_dad"), "-1");
    assert_eq!(r(&s, "net.ipv6.conf.lo.use_tempaddr"), "-1");
    assert_eq!(r(&s, "net.ipv6.conf.eth0/100.accept_dad"), "-1");
    assert_eq!(s.ipv6_accept_dad(ETH0), 1);
    assert_eq!(s.ipv6_hop_limit(ETH0), Some(64));
}

#[test]
fn ipv6_disable_all_sets_default_and_every_device() {
    // addrconf_disable_ipv6 / addrconf_disable_change
    let mut s = host();
    let ch = w(&mut s, "net.ipv6.conf.all.disable_ipv6", "1");
    assert!(s.ipv6_disabled(LO) && s.ipv6_disabled(ETH0) && s.ipv6_disabled(ETH1));
    assert_eq!(r(&s, "net.ipv6.conf.default.disable_ipv6"), "1");
    assert_eq!(ch.len(), 5);
    assert!(ch.iter().all(|c| c.family == Family::Inet6 && c.old == 0 && c.new == 1));
    // A device write reaches that device only; default reaches no existing device.
    w(&mut s, "net.ipv6.conf.eth0.disable_ipv6", "0");
    assert!(!s.ipv6_disabled(ETH0) && s.ipv6_disabled(ETH1));
    w(&mut s, "net.ipv6.conf.default.disable_ipv6", "0");
    assert!(s.ipv6_disabled(ETH1));
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    assert!(!s.ipv6_disabled(VLAN));
    // all=1 again reaches eth0 even though all already was 1.
    let ch = w(&mut s, "net.ipv6.conf.all.disable_ipv6", "1");
    assert_eq!(
        touched(&ch),
        vec![
            (Knob::Ipv6(Ipv6Knob::DisableIpv6), Target::Default, 1),
            (Knob::Ipv6(Ipv6Knob::DisableIpv6), Target::Dev(ETH0), 1),
            (Knob::Ipv6(Ipv6Knob::DisableIpv6), Target::Dev(VLAN), 1),
        ]
    );
}

#[test]
fn ipv6_forwarding_all_reapplies_and_bad_values_are_swallowed() {
    // addrconf_sysctl_forward: the fixup's return value replaces proc_dointvec's error.
    let mut s = host();
    w(&mut s, "net.ipv6.conf.all.forwarding", "1");
    w(&mut s, "net.ipv6.conf.eth1.forwarding", "0");
    assert!(!s.ipv6_forwarding(ETH1));
    let ch = w(&mut s, "net.ipv6.conf.all.forwarding", "junk");
    assert_eq!(touched(&ch), vec![(Knob::Ipv6(Ipv6Knob::Forwarding), Target::Dev(ETH1), 1)]);
    assert!(s.ipv6_forwarding(ETH1));
    assert!(w(&mut s, "net.ipv6.conf.eth0.disable_ipv6", "junk").is_empty());
    // IPv6 forwarding does not touch IPv4.
    assert!(!s.ip_forward());
}

#[test]
fn ipv6_bounds() {
    // addrconf_sysctl_mtu, hop_limit 1..255, router_solicitations >= -1, addr_gen_mode.
    let mut s = host();
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.mtu", "1279"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.mtu", "1501"), Errno::Einval);
    w(&mut s, "net.ipv6.conf.eth0.mtu", "1400");
    assert_eq!(s.ipv6_mtu(ETH0), Some(1400));
    w(&mut s, "net.ipv6.conf.all.mtu", "9000");
    assert_eq!(werr(&mut s, "net.ipv6.conf.all.mtu", "1000"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.hop_limit", "0"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.hop_limit", "256"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.router_solicitations", "-2"), Errno::Einval);
    w(&mut s, "net.ipv6.conf.eth0.router_solicitation_interval", "2");
    assert_eq!(s.ipv6_conf(Target::Dev(ETH0), Ipv6Knob::RouterSolicitationInterval), Some(2000));
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.addr_gen_mode", "4"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.addr_gen_mode", "-1"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv6.conf.eth0.addr_gen_mode", "2"), Errno::Einval);
    w(&mut s, "net.ipv6.conf.all.addr_gen_mode", "1");
    assert_eq!(r(&s, "net.ipv6.conf.default.addr_gen_mode"), "1");
    assert_eq!(r(&s, "net.ipv6.conf.eth1.addr_gen_mode"), "1");
}

#[test]
fn mtu_changes_create_and_destroy_configurations() {
    // addrconf_notify NETDEV_REGISTER/CHANGEMTU, inetdev_event NETDEV_CHANGEMTU.
    let mut s = host();
    s.add_dev(VLAN, IfFlags::BROADCAST, 1000);
    assert_eq!(s.read("net.ipv6.conf.eth0/100.mtu", by_name), Err(Errno::Enoent));
    assert_eq!(s.read("net.ipv6.neigh.eth0/100.locktime", by_name), Err(Errno::Enoent));
    assert!(s.ipv6_disabled(VLAN));
    assert_eq!(r(&s, "net.ipv4.conf.eth0/100.forwarding"), "0");
    s.dev_mtu_changed(VLAN, 1300);
    assert_eq!(s.ipv6_mtu(VLAN), Some(1300));
    s.dev_mtu_changed(VLAN, 9000);
    assert_eq!(r(&s, "net.ipv6.conf.eth0/100.mtu"), "9000");
    s.dev_mtu_changed(VLAN, 60);
    assert_eq!(s.ipv6_mtu(VLAN), None);
    assert_eq!(s.read("net.ipv4.conf.eth0/100.forwarding", by_name), Err(Errno::Enoent));
    // Loopback keeps its inet6_dev below 1280.
    s.dev_mtu_changed(LO, 1000);
    assert_eq!(s.ipv6_mtu(LO), Some(65536));
}

#[test]
fn neigh_defaults_in_proc_units() {
    // arp_tbl, nd_tbl, neigh_sysctl_template.
    let s = host();
    for (k, v4, v6) in [
        ("mcast_solicit", "3", "3"),
        ("ucast_solicit", "3", "3"),
        ("app_solicit", "0", "0"),
        ("mcast_resolicit", "0", "0"),
        ("retrans_time", "100", "1000"),
        ("retrans_time_ms", "1000", "1000"),
        ("base_reachable_time", "30", "30"),
        ("base_reachable_time_ms", "30000", "30000"),
        ("delay_first_probe_time", "5", "5"),
        ("interval_probe_time_ms", "5000", "5000"),
        ("gc_stale_time", "60", "60"),
        ("unres_qlen_bytes", "212992", "212992"),
        ("unres_qlen", "101", "101"),
        ("proxy_qlen", "64", "64"),
        ("anycast_delay", "100", "100"),
        ("proxy_delay", "80", "80"),
        ("locktime", "100", "0"),
    ] {
        assert_eq!(r(&s, &format!("net.ipv4.neigh.eth0.{k}")), v4, "ipv4 {k}");
        assert_eq!(r(&s, &format!("net.ipv6.neigh.eth0.{k}")), v6, "ipv6 {k}");
        assert_eq!(r(&s, &format!("net.ipv4.neigh.default.{k}")), v4, "ipv4 default {k}");
    }
    for (k, v) in [("gc_interval", "30"), ("gc_thresh1", "128"), ("gc_thresh2", "512"), ("gc_thresh3", "1024")] {
        assert_eq!(r(&s, &format!("net.ipv4.neigh.default.{k}")), v, "{k}");
        assert_eq!(r(&s, &format!("net.ipv6.neigh.default.{k}")), v, "{k}");
    }
    let p = s.neigh_parms(Family::Inet, ETH0);
    assert_eq!(p.retrans_time_ns, 1_000_000_000);
    assert_eq!(p.proxy_delay_ns, 800_000_000);
    assert_eq!(p.locktime_ns, 1_000_000_000);
    assert_eq!(p.base_reachable_time_ns, 30_000_000_000);
    assert_eq!(s.neigh_parms(Family::Inet6, ETH0).locktime_ns, 0);
    assert_eq!(s.neigh_gc(Family::Inet).thresh3, 1024);
}

#[test]
fn neigh_writes_convert_units_and_propagate_from_default() {
    // neigh_proc_update + neigh_copy_dflt_parms, proc_unres_qlen, the userhz/ms handlers.
    let mut s = host();
    w(&mut s, "net.ipv4.neigh.eth0.unres_qlen", "10");
    assert_eq!(r(&s, "net.ipv4.neigh.eth0.unres_qlen_bytes"), "20900");
    w(&mut s, "net.ipv4.neigh.eth0.retrans_time", "50");
    assert_eq!(r(&s, "net.ipv4.neigh.eth0.retrans_time_ms"), "500");
    assert_eq!(werr(&mut s, "net.ipv4.neigh.eth0.mcast_solicit", "-1"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.neigh.eth0.interval_probe_time_ms", "0"), Errno::Einval);
    // eth0's base_reachable_time is untouched, but the failed write above marked
    // mcast_solicit as written on eth0.
    let ch = w(&mut s, "net.ipv4.neigh.default.mcast_solicit", "7");
    assert_eq!(r(&s, "net.ipv4.neigh.eth0.mcast_solicit"), "3");
    assert_eq!(r(&s, "net.ipv4.neigh.eth1.mcast_solicit"), "7");
    assert_eq!(r(&s, "net.ipv6.neigh.eth1.mcast_solicit"), "3");
    assert!(ch.iter().all(|c| c.family == Family::Inet));
    w(&mut s, "net.ipv4.neigh.default.base_reachable_time_ms", "20000");
    assert_eq!(r(&s, "net.ipv4.neigh.eth0.base_reachable_time"), "20");
    // An IPv6 address sets every ND bit (ipv6_add_addr).
    s.inet6_addr_added(ETH1);
    w(&mut s, "net.ipv6.neigh.default.retrans_time_ms", "2000");
    assert_eq!(r(&s, "net.ipv6.neigh.eth1.retrans_time_ms"), "1000");
    assert_eq!(r(&s, "net.ipv6.neigh.eth0.retrans_time_ms"), "2000");
    assert_eq!(s.neigh_parms(Family::Inet6, ETH0).retrans_time_ns, 2_000_000_000);
    // New devices start with default's values and no bits.
    s.add_dev(VLAN, IfFlags::BROADCAST, 1500);
    assert_eq!(r(&s, "net.ipv4.neigh.eth0/100.mcast_solicit"), "7");
    w(&mut s, "net.ipv4.neigh.default.mcast_solicit", "4");
    assert_eq!(r(&s, "net.ipv4.neigh.eth0/100.mcast_solicit"), "4");
    w(&mut s, "net.ipv4.neigh.default.gc_thresh3", "4096");
    assert_eq!(s.neigh_gc(Family::Inet).thresh3, 4096);
}

#[test]
fn globals_and_the_port_range() {
    // ipv4_local_port_range, ipv4_privileged_ports, icmp_sk_init defaults.
    let mut s = host();
    assert_eq!(r(&s, "net.ipv4.ip_local_port_range"), "32768\t60999");
    assert_eq!(r(&s, "net.ipv4.icmp_echo_ignore_broadcasts"), "1");
    assert_eq!(r(&s, "net.ipv4.icmp_ratelimit"), "1000");
    assert_eq!(r(&s, "net.ipv4.ip_default_ttl"), "64");
    assert_eq!(werr(&mut s, "net.ipv4.ip_local_port_range", "1000 2000"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.ip_local_port_range", "40000 30000"), Errno::Einval);
    assert_eq!(werr(&mut s, "net.ipv4.ip_local_port_range", "2000 70000"), Errno::Einval);
    let ch = w(&mut s, "net.ipv4.ip_local_port_range", "40000\t50000");
    assert_eq!(s.ip_local_port_range(), (40000, 50000));
    assert_eq!(ch[0].new, 50000 << 16 | 40000);
    w(&mut s, "net.ipv4.ip_local_port_range", "45000");
    assert_eq!(s.ip_local_port_range(), (45000, 50000));
    assert_eq!(werr(&mut s, "net.ipv4.ip_unprivileged_port_start", "45001"), Errno::Einval);
    w(&mut s, "net.ipv4.ip_unprivileged_port_start", "0");
    w(&mut s, "net.ipv4.ip_local_port_range", "10 20");
    assert_eq!(s.ip_local_port_range(), (10, 20));
    w(&mut s, "net.ipv4.icmp_ratelimit", "250");
    assert_eq!(s.icmp_ratelimit_ns(), 250_000_000);
    assert_eq!(werr(&mut s, "net.ipv4.icmp_ratelimit", "-1"), Errno::Einval);
}

#[test]
fn new_namespace_inherits_ipv4_only() {
    // devinet_init_net (inherit 0: copy init_net), addrconf_init_net (0: compiled).
    let mut init = host();
    w(&mut init, "net.ipv4.conf.all.rp_filter", "1");
    w(&mut init, "net.ipv4.conf.default.rp_filter", "2");
    w(&mut init, "net.ipv4.ip_forward", "1");
    w(&mut init, "net.ipv6.conf.all.disable_ipv6", "1");
    w(&mut init, "net.ipv4.ip_default_ttl", "99");
    w(&mut init, "net.ipv4.neigh.default.locktime", "50");
    let mut child = Sysctls::new_inherit(&init);
    child.add_dev(ETH0, IfFlags::BROADCAST, 1500);
    assert_eq!(r(&child, "net.ipv4.conf.all.rp_filter"), "1");
    assert_eq!(r(&child, "net.ipv4.conf.eth0.rp_filter"), "2");
    assert!(child.ip_forward() && child.forwarding(ETH0));
    assert_eq!(r(&child, "net.ipv6.conf.all.disable_ipv6"), "0");
    assert!(!child.ipv6_disabled(ETH0));
    assert_eq!(child.ip_default_ttl(), 64);
    assert_eq!(r(&child, "net.ipv4.neigh.eth0.locktime"), "50");
    assert_eq!(child.read("net.ipv4.neigh.default.locktime", by_name), Err(Errno::Enoent));
    assert_eq!(child.write("net.ipv4.neigh.default.gc_thresh1", "1", by_name), Err(Errno::Enoent));
    assert!(child.list(name_of).iter().all(|(n, _)| !n.contains("neigh.default")));
    // The child's default carries init's "written" bit for rp_filter, and eth0 copied it.
    w(&mut child, "net.ipv4.conf.default.rp_filter", "0");
    assert_eq!(r(&child, "net.ipv4.conf.eth0.rp_filter"), "2");
    assert_eq!(r(&child, "net.ipv4.conf.eth0.arp_ignore"), "0");
    w(&mut child, "net.ipv4.conf.default.arp_ignore", "1");
    assert_eq!(r(&child, "net.ipv4.conf.eth0.arp_ignore"), "1");
}

#[test]
fn jiffies_conversions_round_trip() {
    assert_eq!(show(Unit::Jiffies, -1500), "-1");
    assert_eq!(show(Unit::UserHz, 1000), "100");
    assert_eq!(show(Unit::Packets, 212_992), "101");
    assert_eq!(parse("2147483", spec(Unit::Jiffies, INT_MIN, INT_MAX)), Ok(2_147_483_000));
    assert_eq!(parse("2147484", spec(Unit::Jiffies, INT_MIN, INT_MAX)), Err(Errno::Einval));
    assert_eq!(parse("-3", spec(Unit::Jiffies, INT_MIN, INT_MAX)), Ok(-3000));
    assert_eq!(parse("4294967296", spec(Unit::MsJiffies, INT_MIN, INT_MAX)), Ok(0));
    assert_eq!(parse("-5", spec(Unit::UserHz, INT_MIN, INT_MAX)), Err(Errno::Einval));
}
