//! Two namespaces over a veth: ping, counters as Linux shows them (reference/linux-golden/veth-ping).

use std::net::{IpAddr, Ipv4Addr};

use netdev_core::MacAddr;
use stack_adapter::{AddrOpts, Nud, PingEvent, PingOpts};
use vnet_tests::{StackPair, stack_pair, up};

const SEC: u64 = 1_000_000_000;

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse::<Ipv4Addr>().unwrap())
}

fn pair() -> StackPair {
    stack_pair(7, false, None)
}

fn pair_v6(ipv6: bool) -> StackPair {
    stack_pair(7, ipv6, None)
}

#[test]
fn three_pings_count_like_linux() {
    let p = pair();
    let mut cpu = p.w.cpu(0).unwrap();
    let mut o = PingOpts::new(v4("10.0.0.2"), 3);
    o.interval_ns = SEC / 5;
    o.timeout_ns = Some(SEC);
    let rep = p.stacks.of(p.a).ping(&mut cpu, &o).unwrap();
    assert_eq!((rep.transmitted, rep.received, rep.exit_code), (3, 3, 0), "{rep:?}");
    let seqs: Vec<u16> = rep
        .events
        .iter()
        .filter_map(|e| if let PingEvent::Reply { seq, .. } = e.1 { Some(seq) } else { None })
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    for d in [&p.va, &p.vb] {
        let s = d.stats64();
        assert_eq!((s.rx_bytes, s.rx_packets, s.tx_bytes, s.tx_packets), (336, 4, 336, 4), "{}", d.name());
    }
    assert_eq!(rep.time_ns, 2 * SEC / 5);
    assert_eq!(p.stacks.of(p.a).neigh_lookup(p.va.ifindex(), v4("10.0.0.2")).unwrap().0, Nud::Reachable);
    assert_eq!(p.stacks.of(p.b).neigh_lookup(p.vb.ifindex(), v4("10.0.0.1")).unwrap().0, Nud::Delay);
    // 5 s later the DELAY entry probes by unicast and is confirmed.
    drop(cpu);
    p.w.advance(6 * SEC).unwrap();
    assert_eq!(p.stacks.of(p.b).neigh_lookup(p.vb.ifindex(), v4("10.0.0.1")).unwrap().0, Nud::Reachable);
    let s = p.vb.stats64();
    assert_eq!((s.tx_bytes, s.tx_packets), (336 + 42, 5));
}

#[test]
fn absent_address_sends_three_arp_requests_and_fails() {
    let p = pair();
    let mut cpu = p.w.cpu(0).unwrap();
    let mut o = PingOpts::new(v4("10.0.0.9"), 2);
    o.timeout_ns = Some(SEC);
    let rep = p.stacks.of(p.a).ping(&mut cpu, &o).unwrap();
    assert_eq!((rep.transmitted, rep.received, rep.exit_code), (2, 0, 1), "{rep:?}");
    assert_eq!(p.va.stats64().tx_packets, 2, "two ARP requests by the time ping exits");
    assert_eq!(p.stacks.of(p.a).neigh_lookup(p.va.ifindex(), v4("10.0.0.9")).unwrap().0, Nud::Incomplete);
    cpu.advance(5 * SEC);
    let s = p.va.stats64();
    assert_eq!((s.tx_bytes, s.tx_packets), (126, 3), "three broadcast requests, nothing else");
    assert_eq!(p.stacks.of(p.a).neigh_lookup(p.va.ifindex(), v4("10.0.0.9")).unwrap().0, Nud::Failed);
    // The host-unreachable errors for the two queued pings go to 10.0.0.1 via lo, which is down.
    let lo = p.w.rtnl().dev_by_name(p.a, "lo").unwrap();
    assert_eq!(lo.stats64().tx_dropped, 2);
}

/// reference/linux-golden/veth-ipv6-up: what IPv6 sends on link-up, counted on each end.
#[test]
fn ipv6_link_up_traffic_counts_like_linux() {
    let p = pair_v6(true);
    let mut cpu = p.w.cpu(0).unwrap();
    cpu.advance(3 * SEC);
    for d in [&p.va, &p.vb] {
        let s = d.stats64();
        assert_eq!((s.tx_bytes, s.tx_packets, s.rx_bytes, s.rx_packets), (516, 6, 516, 6), "{} at 3 s", d.name());
    }
    cpu.advance(7 * SEC);
    for d in [&p.va, &p.vb] {
        let s = d.stats64();
        assert_eq!((s.tx_bytes, s.tx_packets, s.rx_bytes, s.rx_packets), (586, 7, 586, 7), "{} at 10 s", d.name());
    }
    let ll: Vec<_> =
        p.stacks.of(p.a).addrs6(p.va.ifindex()).iter().map(|a| (a.addr.to_string(), a.prefix_len)).collect();
    assert_eq!(ll, [("fe80::ff:fe00:a".to_string(), 64)]);
    // A link-local ping: NS with SLLA (86), NA (86), echo 118 bytes each way.
    let mut o = PingOpts::new("fe80::ff:fe00:b".parse().unwrap(), 1);
    o.oif = Some(p.va.ifindex());
    let before = p.va.stats64();
    let rep = p.stacks.of(p.a).ping(&mut cpu, &o).unwrap();
    assert_eq!(rep.received, 1, "{rep:?}");
    let s = p.va.stats64();
    assert_eq!((s.tx_bytes - before.tx_bytes, s.tx_packets - before.tx_packets), (86 + 118, 2));
    assert_eq!((s.rx_bytes - before.rx_bytes, s.rx_packets - before.rx_packets), (86 + 118, 2));
}

#[test]
fn disable_ipv6_sends_nothing() {
    let p = pair();
    let mut cpu = p.w.cpu(0).unwrap();
    cpu.advance(10 * SEC);
    assert_eq!(p.va.stats64().tx_packets, 0);
    assert!(p.stacks.of(p.a).addrs6(p.va.ifindex()).is_empty());
}

/// Global IPv6 addresses on both ends: after DAD, ping6 resolves with NDP and gets its replies;
/// ::1 answers once lo is up.
#[test]
fn ipv6_global_ping_and_loopback() {
    let p = pair_v6(true);
    {
        let mut r = p.w.rtnl();
        p.stacks
            .of(p.a)
            .addr_add(&mut r, p.va.ifindex(), "fd00::1".parse().unwrap(), 64, &AddrOpts::default())
            .unwrap();
        p.stacks
            .of(p.b)
            .addr_add(&mut r, p.vb.ifindex(), "fd00::2".parse().unwrap(), 64, &AddrOpts::default())
            .unwrap();
    }
    let mut cpu = p.w.cpu(0).unwrap();
    // Tentative until DAD completes: no source yet.
    assert!(!p.stacks.of(p.a).is_local("fd00::1".parse().unwrap()));
    cpu.advance(3 * SEC);
    assert!(p.stacks.of(p.a).is_local("fd00::1".parse().unwrap()));
    let rep = p.stacks.of(p.a).ping(&mut cpu, &PingOpts::new("fd00::2".parse().unwrap(), 2)).unwrap();
    assert_eq!(rep.received, 2, "{rep:?}");
    assert_eq!(rep.src, "fd00::1".parse::<IpAddr>().unwrap());
    let (state, ll) = p.stacks.of(p.a).neigh_lookup(p.va.ifindex(), "fd00::2".parse().unwrap()).unwrap();
    assert_eq!((state, ll), (Nud::Reachable, Some(MacAddr([2, 0, 0, 0, 0, 0x0b]))));
    let lo = p.w.rtnl().dev_by_name(p.a, "lo").unwrap();
    up(&p.w, &[&lo]);
    let a6: Vec<String> =
        p.stacks.of(p.a).addrs6(lo.ifindex()).iter().map(|a| format!("{}/{}", a.addr, a.prefix_len)).collect();
    assert_eq!(a6, ["::1/128"]);
    let rep = p.stacks.of(p.a).ping(&mut cpu, &PingOpts::new("::1".parse().unwrap(), 1)).unwrap();
    assert_eq!(rep.received, 1, "{rep:?}");
}
