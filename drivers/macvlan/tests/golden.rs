//! reference/linux-golden/macvlan-modes reproduced with IP stacks in namespaces: a veth
//! `lower0` (vg-lo) / `lower1` (vg-lp), macvlans mv1 and mv2 on lower0 moved to vg-m1 and
//! vg-m2, `ping -c 3 -i 0.2 -W 1 10.0.2.2` from vg-m1, then the counters `ip -s link` showed.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use common::{SEC, mac, req};
use netdev_core::{Errno, NetDevice, NetnsId, Operstate, World};
use netdev_macvlan::{MacvlanConfig, MacvlanMode};
use stack_adapter::{AddrOpts, Nud, PingOpts, Stacks};

struct Golden {
    w: World,
    stacks: Stacks,
    lo: NetnsId,
    m1: NetnsId,
    m2: NetnsId,
    lower0: Arc<NetDevice>,
    lower1: Arc<NetDevice>,
}

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse::<Ipv4Addr>().unwrap())
}

/// The script's set-up: four namespaces with IPv6 disabled before any device, the veth pair.
fn golden() -> Golden {
    let w = common::world(11);
    let stacks = stack_adapter::install(&w).unwrap();
    let mut r = w.rtnl();
    let names = ["vg-lo", "vg-lp", "vg-m1", "vg-m2"];
    let ns: Vec<NetnsId> = names.iter().map(|n| r.netns_add(n).unwrap()).collect();
    for &n in &ns {
        for k in ["all", "default"] {
            stacks.of(n).sysctl_set(&mut r, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1").unwrap();
        }
    }
    let (lower0, lower1) = common::veth(&mut r, ns[0], "lower0", ns[1], "lower1");
    r.set_address(&lower0, mac(0x00)).unwrap();
    r.set_address(&lower1, mac(0xff)).unwrap();
    drop(r);
    Golden { w, stacks, lo: ns[0], m1: ns[2], m2: ns[3], lower0, lower1 }
}

fn fill_info(dev: &NetDevice) -> String {
    let mut s = String::new();
    dev.link_kind().unwrap().fill_info(dev, &mut s).unwrap();
    s
}

/// The per-mode part of the script: mv1/mv2 created in vg-lo, checked, moved, addressed, up.
fn macvlans(g: &Golden, mode: MacvlanMode) -> (Arc<NetDevice>, Arc<NetDevice>) {
    let mut r = g.w.rtnl();
    let cfg = MacvlanConfig::with_mode(mode);
    let mv1 = common::add(&mut r, &req(g.lo, "mv1", &g.lower0, Some(mac(1))), cfg.clone()).unwrap();
    let mv2 = common::add(&mut r, &req(g.lo, "mv2", &g.lower0, Some(mac(2))), cfg).unwrap();
    // `mv1@lower0: <BROADCAST,MULTICAST> mtu 1500 ... minmtu 68 maxmtu 65535`
    //  `macvlan mode M bcqueuelen 1000 usedbcqueuelen 1000 `
    for d in [&mv1, &mv2] {
        assert_eq!((d.iflink(), d.link_netns()), (g.lower0.ifindex(), g.lo));
        assert_eq!((d.mtu(), d.min_mtu(), d.max_mtu(), d.tx_queue_len()), (1500, 68, 65535, 1000));
        assert_eq!(fill_info(d), format!("mode {} bcqueuelen 1000 usedbcqueuelen 1000 ", mode.name()));
        assert_eq!(d.operstate(), Operstate::Down);
    }
    // lower0 is untouched while its macvlans are down: `promiscuity 0`.
    assert_eq!(g.lower0.promiscuity(), 0);
    r.change_netns(&mv1, g.m1, None, None).unwrap();
    r.change_netns(&mv2, g.m2, None, None).unwrap();
    // `mv1@if2 ... link-netns vg-lo`: same ifindex, still attached to lower0.
    assert_eq!((mv1.iflink(), mv1.link_netns(), mv1.netns()), (2, g.lo, g.m1));
    let o = AddrOpts::default();
    g.stacks.of(g.m1).addr_add(&mut r, mv1.ifindex(), v4("10.0.2.1"), 24, &o).unwrap();
    g.stacks.of(g.m2).addr_add(&mut r, mv2.ifindex(), v4("10.0.2.2"), 24, &o).unwrap();
    r.set_up(&mv1, true).unwrap();
    r.set_up(&mv2, true).unwrap();
    assert_eq!((mv1.operstate(), mv2.operstate()), (Operstate::Up, Operstate::Up));
    (mv1, mv2)
}

fn ping(g: &Golden, cpu: &mut netdev_core::Cpu) -> stack_adapter::PingReport {
    let mut o = PingOpts::new(v4("10.0.2.2"), 3);
    o.interval_ns = SEC / 5;
    o.timeout_ns = Some(SEC);
    g.stacks.of(g.m1).ping(cpu, &o).unwrap()
}

fn counts(d: &NetDevice) -> (u64, u64, u64, u64, u64) {
    let s = d.stats64();
    (s.rx_bytes, s.rx_packets, s.multicast, s.tx_bytes, s.tx_packets)
}

/// Bridge mode (macvlan_queue_xmit): the ping works; the broadcast ARP request reaches mv2
/// (counted 56 bytes, `mcast 1`: macvlan_broadcast counts `skb->len + ETH_HLEN` with the header
/// still on) and also leaves through lower0; the unicast never touches the wire.
#[test]
fn bridge_mode_ping_counts_like_linux() {
    let g = golden();
    let (mv1, mv2) = macvlans(&g, MacvlanMode::Bridge);
    assert_eq!((mv1.ifindex(), mv2.ifindex()), (3, 4));
    let mut cpu = g.w.cpu(0).unwrap();
    let rep = ping(&g, &mut cpu);
    assert_eq!((rep.transmitted, rep.received, rep.exit_code), (3, 3, 0), "{rep:?}");
    assert_eq!(g.stacks.of(g.m1).neigh_lookup(mv1.ifindex(), v4("10.0.2.2")), Some((Nud::Reachable, Some(mac(2)))));
    assert_eq!(counts(&mv1), (336, 4, 0, 336, 4));
    assert_eq!(counts(&mv2), (350, 4, 1, 336, 4));
    assert_eq!(counts(&g.lower0), (0, 0, 0, 42, 1));
    assert_eq!(counts(&g.lower1), (42, 1, 0, 0, 0));
    for d in [&mv1, &mv2, &g.lower0, &g.lower1] {
        let s = d.stats64();
        assert_eq!((s.rx_errors, s.rx_dropped, s.tx_dropped), (0, 0, 0), "{}", d.name());
    }
    // Two macvlans up put two addresses on lower0's unicast list: a veth has no unicast
    // filter, so __dev_set_rx_mode makes it promiscuous (ip -d: `promiscuity 1`).
    assert_eq!(g.lower0.uc_addrs().len(), 2);
    assert_eq!(g.lower0.promiscuity(), 1);
    drop(cpu);
    let mut r = g.w.rtnl();
    r.dellink(&mv1).unwrap();
    r.dellink(&mv2).unwrap();
    // Both gone: the port is destroyed and lower0 back to `promiscuity 0`, no rx handler.
    assert!(!g.lower0.has_rx_handler());
    assert!(g.lower0.uc_addrs().is_empty());
    assert_eq!(g.lower0.promiscuity(), 0);
}

/// VEPA mode: everything goes out of lower0 and lower1 does not reflect it, so ARP never
/// resolves: 100% loss, INCOMPLETE, only ARP requests on the wire.
#[test]
fn vepa_mode_ping_fails_without_a_reflecting_peer() {
    let g = golden();
    // The bridge round first, as the script does (ifindexes 3 and 4 are used, then 5 and 6).
    let (a, b) = macvlans(&g, MacvlanMode::Bridge);
    {
        let mut r = g.w.rtnl();
        r.dellink(&a).unwrap();
        r.dellink(&b).unwrap();
    }
    let l0 = counts(&g.lower0);
    let l1 = counts(&g.lower1);
    let (mv1, mv2) = macvlans(&g, MacvlanMode::Vepa);
    assert_eq!((mv1.ifindex(), mv2.ifindex()), (5, 6));
    let mut cpu = g.w.cpu(0).unwrap();
    let rep = ping(&g, &mut cpu);
    assert_eq!((rep.transmitted, rep.received, rep.exit_code), (3, 0, 1), "{rep:?}");
    assert_eq!(g.stacks.of(g.m1).neigh_lookup(mv1.ifindex(), v4("10.0.2.2")).map(|n| n.0), Some(Nud::Incomplete));
    // `ip -s link show mv1` right after ping: two ARP requests so far.
    assert_eq!(counts(&mv1), (0, 0, 0, 84, 2));
    // The third request one second later (the transcript read lower0 after it had gone).
    cpu.advance(SEC);
    assert_eq!(counts(&mv1), (0, 0, 0, 126, 3));
    assert_eq!(counts(&mv2), (0, 0, 0, 0, 0));
    let d0 = counts(&g.lower0);
    let d1 = counts(&g.lower1);
    assert_eq!((d0.3 - l0.3, d0.4 - l0.4, d0.1 - l0.1), (126, 3, 0), "lower0 TX 126/3, RX 0");
    assert_eq!((d1.0 - l1.0, d1.1 - l1.1), (126, 3), "lower1 RX 126/3");
}

/// The script's end: `mode private` is created, `mode passthru` next to it is EINVAL, `mode
/// source` shows `remotes (0)`; lower0 down leaves the (down) macvlans alone.
#[test]
fn private_passthru_source_and_lower_down() {
    let g = golden();
    let mut r = g.w.rtnl();
    let mv3 = common::add(&mut r, &req(g.lo, "mv3", &g.lower0, None), MacvlanConfig::with_mode(MacvlanMode::Private))
        .unwrap();
    let e = common::add(&mut r, &req(g.lo, "mv4", &g.lower0, None), MacvlanConfig::with_mode(MacvlanMode::Passthru))
        .unwrap_err();
    assert_eq!(e, Errno::Einval);
    assert!(r.dev_by_name(g.lo, "mv4").is_none());
    let mv5 =
        common::add(&mut r, &req(g.lo, "mv5", &g.lower0, None), MacvlanConfig::with_mode(MacvlanMode::Source)).unwrap();
    // The failed mv4 never got to register_netdevice: mv5 takes the next ifindex (7, 8 there).
    assert_eq!(mv5.ifindex(), mv3.ifindex() + 1);
    assert_eq!(fill_info(&mv3), "mode private bcqueuelen 1000 usedbcqueuelen 1000 ");
    assert_eq!(fill_info(&mv5), "mode source bcqueuelen 1000 usedbcqueuelen 1000 remotes (0) ");
    // Random addresses (eth_hw_addr_random): locally administered unicast.
    assert!(mv3.address().is_valid() && mv3.address().0[0] & 2 == 2);
    r.set_up(&g.lower0, false).unwrap();
    for d in [&mv3, &mv5] {
        assert!(!d.is_up());
        assert_eq!(d.operstate(), Operstate::Down);
        assert!(!d.has_carrier(), "the carrier follows lower0's");
    }
}

/// The seed tutorial (reference/seeds, "MACVLAN"): `ip link add macvlan1 link eth0 type macvlan
/// mode bridge`, the same for macvlan2, `ip netns add net1|net2`, `ip link set macvlanN netns
/// netN`; then addresses (v4 and v6, DAD run) and pings between the namespaces, which work in
/// bridge mode: IPv6 neighbour solicitations reach the sibling through its multicast filter
/// (the solicited-node group its stack joined, synced by macvlan_set_mac_lists).
#[test]
fn seed_tutorial_bridge_macvlans_in_two_namespaces() {
    let w = common::world(12);
    let stacks = stack_adapter::install(&w).unwrap();
    let mut r = w.rtnl();
    let wire = r.netns_add("wire").unwrap();
    let (eth0, _sw) = common::veth(&mut r, NetnsId::INIT, "eth0", wire, "sw0");
    let q = |name: &str| netdev_core::NewLink {
        name: Some(name.into()),
        link: Some(eth0.ifindex()),
        ..netdev_core::NewLink::in_netns(NetnsId::INIT)
    };
    let m1 = r.link_add("macvlan", &q("macvlan1"), &["mode", "bridge"]).unwrap();
    let m2 = r.link_add("macvlan", &q("macvlan2"), &["mode", "bridge"]).unwrap();
    let net1 = r.netns_add("net1").unwrap();
    let net2 = r.netns_add("net2").unwrap();
    r.change_netns(&m1, net1, None, None).unwrap();
    r.change_netns(&m2, net2, None, None).unwrap();
    let o = AddrOpts::default();
    stacks.of(net1).addr_add(&mut r, m1.ifindex(), v4("192.168.1.1"), 24, &o).unwrap();
    stacks.of(net2).addr_add(&mut r, m2.ifindex(), v4("192.168.1.2"), 24, &o).unwrap();
    stacks.of(net1).addr_add(&mut r, m1.ifindex(), "fd00::1".parse().unwrap(), 64, &o).unwrap();
    stacks.of(net2).addr_add(&mut r, m2.ifindex(), "fd00::2".parse().unwrap(), 64, &o).unwrap();
    r.set_up(&m1, true).unwrap();
    r.set_up(&m2, true).unwrap();
    drop(r);
    let mut cpu = w.cpu(0).unwrap();
    cpu.advance(3 * SEC);
    // macvlan2's stack joined its solicited-node group; the macvlan synced it to eth0.
    let sn = netdev_core::MacAddr([0x33, 0x33, 0xff, 0, 0, 2]);
    assert!(m2.mc_addrs().iter().any(|h| h.addr == sn));
    assert!(eth0.mc_addrs().iter().any(|h| h.addr == sn && h.synced == 1));
    let rep = stacks.of(net1).ping(&mut cpu, &PingOpts::new(v4("192.168.1.2"), 2)).unwrap();
    assert_eq!(rep.received, 2, "{rep:?}");
    let rep = stacks.of(net2).ping(&mut cpu, &PingOpts::new("fd00::1".parse().unwrap(), 2)).unwrap();
    assert_eq!(rep.received, 2, "{rep:?}");
    assert_eq!(
        stacks.of(net2).neigh_lookup(m2.ifindex(), "fd00::1".parse().unwrap()).map(|n| n.0),
        Some(Nud::Reachable)
    );
    for m in [&m1, &m2] {
        let s = m.stats64();
        assert_eq!((s.rx_errors, s.tx_dropped), (0, 0), "{}", m.name());
    }
}
