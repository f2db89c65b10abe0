//! vzctl on venet through the IP stacks: containers and the host ping each other, containers
//! reach each other through the host's routing, spoofing and conflicts are refused, addresses
//! come and go, `--save` decides what survives a restart; IPv6; the broadcast rules.
//! (`kernel-agg-l3.md` §7, scenarios 22, 23, 29; seed `000`, the OpenVZ wiki's "Virtual network
//! device".)

#![cfg(feature = "vzctl")]

mod common;

use std::net::{IpAddr, SocketAddr};

use common::{INIT, Ledger, SEC, Seen, host, ip, net};
use netdev_core::{ARPHRD_VOID, DropReason, ETH_P_ARP, Errno, IfFlags, Qdisc};
use netdev_venet::{CtStatus, IpDel, IpOp, Save, VE0, VzEvent};
use stack_adapter::{Nud, RouteSpec, SockError};

/// `vzctl start` (no addresses yet): the container's namespace is named after the CTID, holds
/// `lo` and `venet0` up with a default route through venet0, and the host got its own venet0
/// (`venet_newlink` in both VEs); both are `venet_init_dev` devices.
#[test]
fn start_builds_the_container_and_the_hosts_venet() {
    let mut h = host(1);
    let rep = h.vz.start(&mut h.cpu, 101);
    assert_eq!(rep.lines(), ["Starting container ...", "Container is mounted", "Container start in progress..."]);
    assert_eq!(rep.exit_code, 0);
    let ns = h.ct(101);
    assert_eq!(h.w.rtnl().netns_by_name("101"), Some(ns));
    assert_eq!(h.vz.venet().ve_of_netns(ns), Some(101));
    for d in [h.venet(ns), h.venet(INIT)] {
        assert!(d.is_up(), "{}", d.name());
        assert_eq!(d.dev_type(), ARPHRD_VOID);
        assert_eq!(d.addr_len(), 0);
        assert!(d.flags().contains(IfFlags::BROADCAST | IfFlags::POINTOPOINT | IfFlags::NOARP | IfFlags::UP));
        assert_eq!((d.mtu(), d.tx_queue_len(), d.qdisc()), (1500, 0, Qdisc::Noqueue));
        assert!(d.netns_immutable());
    }
    assert!(h.w.rtnl().dev_by_name(ns, "lo").unwrap().is_up());
    let routes = h.stack(ns).routes4();
    assert!(routes.iter().any(|r| r.plen == 0 && r.ifindex == h.venet(ns).ifindex()), "{routes:?}");
    let rep = h.vz.start(&mut h.cpu, 101);
    assert_eq!((rep.lines(), rep.exit_code), (vec!["Container is already running".to_string()], 32));
}

/// `vzctl set 101 --ipadd 10.0.0.101` (incremental): vzctl's lines, the kernel table, the
/// container's address (`venet0:0`, /32), the host route and the proxy entry on eth0 (vz-net_add);
/// then ping both ways through the stacks. The counters are venet's: the sender's tx and the
/// receiver's rx, counted at send time, so the two venets mirror each other.
#[test]
fn ipadd_then_container_and_host_ping_each_other() {
    let mut h = host(2);
    h.vz.start(&mut h.cpu, 101);
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::No);
    assert_eq!(
        rep.lines(),
        [
            "Adding IP address(es): 10.0.0.101",
            "WARNING: Settings were not saved and will be resetted to original values on next start (use --save flag)",
        ]
    );
    let ns = h.ct(101);
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.101")]);
    let a = &h.stack(ns).addrs4(h.venet(ns).ifindex())[0];
    assert_eq!((a.local.to_string(), a.prefix_len, a.label.as_str()), ("10.0.0.101".into(), 32, "venet0:0"));
    let hv = h.venet(INIT).ifindex();
    assert!(
        h.stack(INIT).routes4().iter().any(|r| r.dst.to_string() == "10.0.0.101" && r.plen == 32 && r.ifindex == hv)
    );
    let proxies: Vec<_> = h.stack(INIT).neighbours().into_iter().filter(|n| n.proxy).collect();
    assert_eq!(proxies.len(), 1);
    assert_eq!((proxies[0].addr, proxies[0].ifindex), (ip("10.0.0.101"), h.eth0.ifindex()));

    let ledger = Ledger::watch(&[h.venet(INIT), h.venet(ns)]);
    let rep = h.ping(INIT, "10.0.0.101", 3);
    assert_eq!((rep.transmitted, rep.received), (3, 3), "{rep:?}");
    assert_eq!(rep.src, ip("192.168.18.10"), "the kernel picks the host's first global address");
    let rep = h.ping(ns, "192.168.18.10", 2);
    assert_eq!((rep.transmitted, rep.received), (2, 2), "{rep:?}");
    assert_eq!(rep.src, ip("10.0.0.101"));
    let (hs, cs) = (h.venet(INIT).stats64(), h.venet(ns).stats64());
    assert_eq!((hs.tx_packets, hs.rx_packets, hs.tx_dropped), (5, 5, 0));
    assert_eq!((cs.tx_packets, cs.rx_packets, cs.tx_dropped), (5, 5, 0));
    assert_eq!((hs.tx_bytes, cs.rx_bytes), (5 * 84, 5 * 84), "IP packets, no link-layer header");
    assert_eq!((hs.rx_dropped, cs.rx_dropped, hs.rx_errors), (0, 0, 0));
    assert_eq!(ledger.check(), 10);
    // NOARP: no neighbour resolution on venet0, ever.
    assert!(h.stack(ns).neighbours().iter().all(|n| n.state == Nud::Noarp || n.ifindex != h.venet(ns).ifindex()));
}

/// §7.2: containers reach each other only through the host: CT101 venet0 → host venet0 → host
/// routing (ip_forward and the host route) → host venet0 → CT102 venet0. Without forwarding
/// the host drops it (`ip_route_input_slow` → InAddrErrors).
#[test]
fn container_to_container_goes_through_host_forwarding() {
    let mut h = host(3);
    for (ct, a) in [(101, "10.0.0.101"), (102, "10.0.0.102")] {
        h.vz.start(&mut h.cpu, ct);
        assert_eq!(h.vz.set_ipadd(&mut h.cpu, ct, &[net(a)], Save::Yes).exit_code, 0);
    }
    let (c1, c2) = (h.ct(101), h.ct(102));
    let ledger = Ledger::watch(&[h.venet(INIT), h.venet(c1), h.venet(c2)]);
    let rep = h.ping(c1, "10.0.0.102", 1);
    assert_eq!(rep.received, 0, "ip_forward=0 on the host");
    assert_eq!(h.w.drop_counts().get(&DropReason::IpInaddrerrors), Some(&1));
    assert_eq!(h.stack(INIT).mib().get("IpInAddrErrors"), Some(&1));
    h.stack(INIT).sysctl_set(&mut h.w.rtnl(), "net.ipv4.ip_forward", "1").unwrap();
    let rep = h.ping(c1, "10.0.0.102", 2);
    assert_eq!((rep.transmitted, rep.received), (2, 2), "{rep:?}");
    let ttls: Vec<u8> = rep
        .events
        .iter()
        .filter_map(|e| if let stack_adapter::PingEvent::Reply { ttl, .. } = e.1 { Some(ttl) } else { None })
        .collect();
    assert_eq!(ttls, [63, 63], "one routed hop: the host");
    assert_eq!(h.stack(INIT).mib().get("IpForwDatagrams"), Some(&4));
    // Host venet0 received 3 (1 dropped + 2 forwarded requests) + 2 replies, sent 4.
    let hs = h.venet(INIT).stats64();
    assert_eq!((hs.rx_packets, hs.tx_packets), (5, 4));
    assert_eq!((h.venet(c1).stats64().tx_packets, h.venet(c2).stats64().rx_packets), (3, 2));
    assert_eq!(ledger.check(), 9);
}

/// Scenario 22: CT101 sending from CT102's address is dropped on its own venet0 (tx_dropped,
/// "Dropped packet, source wrong"), from an unassigned address too (-ESRCH); the host's packet
/// to an address no container holds is dropped on the host's venet0; `--ipadd 10.0.0.102` for
/// CT101 while CT102 holds it fails with EADDRINUSE and changes nothing.
#[test]
fn spoofing_and_address_conflicts() {
    let mut h = host(4);
    for (ct, a) in [(101, "10.0.0.101"), (102, "10.0.0.102")] {
        h.vz.start(&mut h.cpu, ct);
        h.vz.set_ipadd(&mut h.cpu, ct, &[net(a)], Save::Yes);
    }
    let c1 = h.ct(101);
    let v1 = h.venet(c1);
    let ledger = Ledger::watch(&[h.venet(INIT), v1.clone(), h.venet(h.ct(102))]);
    // Root inside CT101 puts CT102's address and an unassigned one on its venet0 and sends.
    for a in ["10.0.0.102", "10.0.0.77"] {
        common::addr_add(&h.w, &h.stacks, &v1, a, 32);
        h.udp(c1, SocketAddr::new(ip(a), 0), SocketAddr::new(ip("192.168.18.10"), 9), b"x");
    }
    assert_eq!(v1.stats64().tx_dropped, 2);
    let drops = h.w.drop_counts();
    assert_eq!((drops.get(&DropReason::VeipSourceWrong), drops.get(&DropReason::VeipNoEntry)), (Some(&1), Some(&1)));
    assert_eq!(
        h.vz.venet().take_kernel_log(),
        ["Dropped packet, source wrong veid=101 src-IP=10.0.0.102 dst-IP=192.168.18.10"]
    );
    // The host routes 10.0.0.200 to venet0 but nobody owns it.
    let mut spec = RouteSpec::new(ip("10.0.0.200"), 32);
    spec.ifindex = Some(h.venet(INIT).ifindex());
    h.stack(INIT).route_add(&mut h.w.rtnl(), &spec).unwrap();
    let rep = h.ping(INIT, "10.0.0.200", 1);
    assert_eq!(rep.received, 0);
    assert_eq!(h.venet(INIT).stats64().tx_dropped, 1);
    assert_eq!(h.w.drop_counts().get(&DropReason::VeipNoEntry), Some(&2));
    // The conflict.
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.103"), net("10.0.0.102")], Save::Yes);
    assert_eq!(rep.exit_code, 78);
    assert_eq!(
        rep.lines(),
        ["Adding IP address(es): 10.0.0.103 10.0.0.102", "Unable to add IP 10.0.0.102: Address already in use"]
    );
    assert_eq!(rep.events[1], VzEvent::IpFailed { op: IpOp::Add, ip: net("10.0.0.102"), errno: Errno::Eaddrinuse });
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.101")], "10.0.0.103 rolled back");
    assert_eq!(h.vz.venet().ve_ips(102), [ip("10.0.0.102")], "CT102 keeps its address");
    assert_eq!(h.vz.config(101).unwrap().ip_address, [net("10.0.0.101")], "nothing saved");
    let ping = h.ping(INIT, "10.0.0.102", 1);
    assert_eq!(ping.received, 1, "CT102 still reachable");
    assert_eq!(ledger.check(), 5, "two spoofed, one unowned, one ping and its reply");
}

/// vzctl's `vps_ip_ctl` rolls back the whole list at the first failure, and the kernel answers
/// EADDRINUSE for an address the same container already holds (`veip_entry_conflict` does not
/// look at the owner): re-adding one's own address fails and takes it out of the kernel table
/// (its host route and the container's address stay, as vzctl leaves them).
#[test]
fn readding_an_own_address_fails_and_rolls_it_back() {
    let mut h = host(5);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::Yes);
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::Yes);
    assert_eq!(rep.exit_code, 78);
    assert_eq!(rep.lines()[1], "Unable to add IP 10.0.0.101: Address already in use");
    assert!(h.vz.venet().ve_ips(101).is_empty());
    assert_eq!(h.ping(INIT, "10.0.0.101", 1).received, 0);
    assert_eq!(h.venet(INIT).stats64().tx_dropped, 1, "no owner any more");
}

/// `--ipdel IP` and `--ipdel all`: "Deleting IP address(es): ..."; the kernel entries, host
/// routes, proxy entries and the container's addresses go; an address the container does not
/// hold is skipped silently (vzctl ignores EADDRNOTAVAIL on delete).
#[test]
fn ipdel_one_and_all() {
    let mut h = host(6);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101"), net("10.0.0.111"), net("10.0.0.121")], Save::Yes);
    let ns = h.ct(101);
    let rep = h.vz.set_ipdel(&mut h.cpu, 101, IpDel::Addrs(&[net("10.0.0.111"), net("10.0.0.99")]), Save::Yes);
    assert_eq!(rep.lines(), ["Deleting IP address(es): 10.0.0.111 10.0.0.99", "Saved parameters for CT 101"]);
    assert_eq!(rep.exit_code, 0);
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.121"), ip("10.0.0.101")]);
    assert_eq!(h.vz.config(101).unwrap().ip_address, [net("10.0.0.101"), net("10.0.0.121")]);
    let host_routes = |h: &common::Host| {
        let v = h.venet(INIT).ifindex();
        h.stack(INIT).routes4().iter().filter(|r| r.ifindex == v).map(|r| r.dst.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(host_routes(&h).len(), 2);
    assert_eq!(h.try_ping(INIT, "10.0.0.111", 1).unwrap_err(), SockError::NetUnreachable, "no host route");
    assert_eq!(h.ping(INIT, "10.0.0.121", 1).received, 1);
    let rep = h.vz.set_ipdel(&mut h.cpu, 101, IpDel::All, Save::Yes);
    assert_eq!(rep.lines()[0], "Deleting IP address(es): 10.0.0.101 10.0.0.121", "oldest first, as get_vps_ip");
    assert!(h.vz.venet().ve_ips(101).is_empty());
    assert!(host_routes(&h).is_empty());
    assert!(h.stack(INIT).neighbours().iter().all(|n| !n.proxy));
    assert!(h.stack(ns).addrs4(h.venet(ns).ifindex()).is_empty());
    assert!(h.vz.config(101).unwrap().ip_address.is_empty());
}

/// `--save` (seed 000): without it the change lives until the next start; with it the config
/// keeps it and a restart restores the saved addresses only. On a stopped container only
/// `--save` works ("Unable to apply network parameters: container is not running", 31).
#[test]
fn save_decides_what_a_restart_restores() {
    let mut h = host(7);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.1")], Save::Yes);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.2")], Save::No);
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.2"), ip("10.0.0.1")]);
    let rep = h.vz.stop(&mut h.cpu, 101);
    assert_eq!(rep.lines(), ["Stopping container ...", "Container was stopped", "Container is unmounted"]);
    assert_eq!(h.vz.status(101), Some(CtStatus::Stopped));
    assert_eq!(h.w.rtnl().netns_by_name("101"), None);
    assert!(h.vz.venet().ve_ips(101).is_empty() && h.vz.venet().ve_netns(101).is_none());
    let v = h.venet(INIT).ifindex();
    assert!(h.stack(INIT).routes4().iter().all(|r| r.ifindex != v), "vps-net_del removed the host routes");
    assert!(h.stack(INIT).neighbours().iter().all(|n| !n.proxy));
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.3")], Save::No);
    assert_eq!((rep.lines(), rep.exit_code), (vec![VzEvent::NotRunning.to_string()], 31));
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.4/24")], Save::Yes);
    assert_eq!((rep.lines(), rep.exit_code), (vec!["Saved parameters for CT 101".to_string()], 0));
    let rep = h.vz.start(&mut h.cpu, 101);
    assert_eq!(rep.lines()[2], "Adding IP address(es): 10.0.0.1 10.0.0.4/24");
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.4"), ip("10.0.0.1")]);
    let ns = h.ct(101);
    let a = h.stack(ns).addrs4(h.venet(ns).ifindex());
    assert_eq!(
        a.iter().map(|a| (a.local.to_string(), a.prefix_len)).collect::<Vec<_>>(),
        [("10.0.0.1".to_string(), 32), ("10.0.0.4".to_string(), 24)]
    );
    assert_eq!(h.ping(INIT, "10.0.0.4", 1).received, 1);
    assert_eq!(h.try_ping(INIT, "10.0.0.2", 1).unwrap_err(), SockError::NetUnreachable, "not saved: gone");
    assert_eq!(h.vz.stop(&mut h.cpu, 101).exit_code, 0);
    assert_eq!(h.vz.stop(&mut h.cpu, 101).lines(), ["Unable to stop: container is not running"]);
}

/// IPv6 (§7.2): the same switching with 128-bit keys; the host route `fd00::101 dev venet0`
/// (vzaddrouting6); no neighbour discovery on venet (NOARP: no DAD, no NS).
#[test]
fn ipv6_container_and_host() {
    let mut h = host(8);
    common::addr_add(&h.w, &h.stacks, &h.eth0, "fd00:1::1", 64);
    h.vz.start(&mut h.cpu, 101);
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("fd00::101")], Save::Yes);
    assert_eq!(rep.exit_code, 0, "{:?}", rep.lines());
    let ns = h.ct(101);
    h.cpu.advance(3 * SEC);
    let tap = Seen::on_dev(&h.venet(ns));
    let ledger = Ledger::watch(&[h.venet(INIT), h.venet(ns)]);
    let rep = h.ping(INIT, "fd00::101", 2);
    assert_eq!((rep.transmitted, rep.received), (2, 2), "{rep:?}");
    let rep = h.ping(ns, "fd00:1::1", 2);
    assert_eq!((rep.transmitted, rep.received), (2, 2), "{rep:?}");
    assert_eq!(rep.src, ip("fd00::101"));
    let seen = tap.take();
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|p| p.protocol == 0x86dd && p.frame[0] >> 4 == 6 && p.dev_type == ARPHRD_VOID));
    assert!(h.stack(INIT).routes6().iter().any(|r| r.dst == ip("fd00::101") && r.plen == 128));
    assert_eq!(h.venet(ns).stats64().tx_dropped, 0, "no multicast (NS, MLD) was ever sent");
    assert_eq!(ledger.check(), 8);
}

/// Scenario 23: a container's UDP broadcast to 255.255.255.255 reaches the host's sockets (the
/// destination is not looked at); the host's broadcast out of venet0 is dropped (no container
/// owns 255.255.255.255); no ARP ever crosses venet0.
#[test]
fn broadcast_from_a_container_reaches_the_host_and_not_the_other_way() {
    let mut h = host(9);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::Yes);
    let ns = h.ct(101);
    let taps = [Seen::on_dev(&h.venet(ns)), Seen::on_dev(&h.venet(INIT))];
    let ledger = Ledger::watch(&[h.venet(INIT), h.venet(ns)]);
    let hs = h.stack(INIT);
    let sock = hs.udp_bind(SocketAddr::new(ip("0.0.0.0"), 5000)).unwrap();
    let bcast = SocketAddr::new(ip("255.255.255.255"), 5000);
    h.udp(ns, SocketAddr::new(ip("10.0.0.101"), 0), bcast, b"hello");
    let got = hs.udp_recv_from(sock);
    assert_eq!(got.map(|(d, from)| (d, from.ip())), Some((b"hello".to_vec(), ip("10.0.0.101"))));
    // The host pings the broadcast address out of venet0.
    let mut o = stack_adapter::PingOpts::new(ip("255.255.255.255"), 1);
    o.broadcast = true;
    o.oif = Some(h.venet(INIT).ifindex());
    o.timeout_ns = Some(SEC);
    let rep = h.stack(INIT).ping(&mut h.cpu, &o).unwrap();
    assert_eq!(rep.received, 0);
    assert_eq!(h.venet(INIT).stats64().tx_dropped, 1);
    assert_eq!(h.venet(ns).stats64().rx_packets, 0);
    for t in &taps {
        assert!(t.take().iter().all(|p| p.protocol != ETH_P_ARP));
    }
    assert_eq!(ledger.check(), 2);
    assert_eq!(h.vz.venet().ve0_netns(), INIT);
    assert_eq!(h.vz.venet().ve_of_netns(INIT), Some(VE0));
}

/// Scenario 29: a VE's venet0 cannot change namespace (`NETIF_F_NETNS_LOCAL`): EINVAL, "The
/// interface netns is immutable".
#[test]
fn venet_cannot_change_namespace() {
    let mut h = host(10);
    h.vz.start(&mut h.cpu, 101);
    let other = h.w.rtnl().netns_add("x").unwrap();
    for ns in [INIT, h.ct(101)] {
        let v = h.venet(ns);
        let e = h.w.rtnl().change_netns(&v, other, None, None).unwrap_err();
        assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("The interface netns is immutable")));
    }
}

/// Deleting the container's namespace behind vzctl's back stops the VE: its venet's dellink
/// empties its address list (`venet_dellink` → `veip_shutdown`) and the VE is gone, so the
/// host's packets to its old address are dropped.
#[test]
fn netns_deletion_stops_the_ve() {
    let mut h = host(11);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::Yes);
    let ns = h.ct(101);
    h.w.rtnl().netns_del(ns).unwrap();
    assert!(h.vz.venet().ve_ips(101).is_empty());
    assert_eq!(h.vz.venet().ve_netns(101), None);
    assert_eq!(h.ping(INIT, "10.0.0.101", 1).received, 0);
    assert_eq!(h.w.drop_counts().get(&DropReason::VeipNoEntry), Some(&1));
    let _ = IpAddr::from([0, 0, 0, 0]);
}

/// The stack over a device without a link-layer header, beyond ping: a TCP stream from the host
/// into a container (smoltcp's segments routed by the stack, `ARPHRD_VOID` output, venet
/// switching), and an ICMP error generated by the host for a container's packet, switched back
/// to the container by its destination (`icmp_send` → `venet_xmit`).
#[test]
fn tcp_and_icmp_errors_through_venet() {
    let mut h = host(12);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::Yes);
    let ns = h.ct(101);
    let ledger = Ledger::watch(&[h.venet(INIT), h.venet(ns)]);
    let (hs, cs) = (h.stack(INIT), h.stack(ns));
    let l = cs.tcp_listen(SocketAddr::new(ip("0.0.0.0"), 80)).unwrap();
    let c = hs.tcp_connect(&mut h.cpu, SocketAddr::new(ip("10.0.0.101"), 80), None).unwrap();
    h.cpu.advance(SEC / 10);
    h.settle();
    let data: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
    let mut sent = 0;
    let mut got = Vec::new();
    for _ in 0..200 {
        if sent < data.len() {
            sent += hs.tcp_send(&mut h.cpu, c, &data[sent..]).unwrap_or(0);
        }
        h.cpu.advance(SEC / 100);
        h.settle();
        let mut buf = [0u8; 4096];
        while let Ok(n) = cs.tcp_recv(&mut h.cpu, l, &mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        if got.len() == data.len() {
            break;
        }
    }
    assert_eq!(got, data, "20 kB across venet intact");
    assert_eq!(cs.tcp_state(l).state, stack_adapter::TcpState::Established);
    // CT101 pings a destination the host cannot route, with forwarding on: the host answers
    // "Network Unreachable" from its own address, back through venet by the destination.
    h.stack(INIT).sysctl_set(&mut h.w.rtnl(), "net.ipv4.ip_forward", "1").unwrap();
    let rep = h.ping(ns, "203.0.113.9", 1);
    assert_eq!((rep.received, rep.errors), (0, 1), "{rep:?}");
    let err = rep.events.iter().find_map(|e| match e.1 {
        stack_adapter::PingEvent::Error { from, icmp_type, code, .. } => Some((from, icmp_type, code)),
        _ => None,
    });
    assert_eq!(err, Some((ip("192.168.18.10"), 3, 0)));
    assert!(ledger.check() > 20);
    assert_eq!(h.venet(INIT).stats64().tx_dropped + h.venet(ns).stats64().tx_dropped, 0);
}

/// vz.conf's knobs as `vps-functions` reads them: `VE_ROUTE_SRC_DEV` puts the device's first
/// local address (in the local table's order) as `src` of the host routes, and a device without
/// one fails the script ("Unable to get source ip", exit 34, the kernel entries rolled back);
/// `IPV6="no"` drops IPv6 addresses with a warning; `SKIP_ARPDETECT` sends no detection requests.
#[test]
fn vz_conf_knobs() {
    let mut h = host(13);
    common::addr_add(&h.w, &h.stacks, &h.eth0, "192.168.18.5", 24);
    h.vz.set_conf(netdev_venet::VzConf { route_src_dev: Some("eth0".into()), ..netdev_venet::VzConf::default() });
    h.vz.start(&mut h.cpu, 101);
    assert_eq!(h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::No).exit_code, 0);
    let r = h.stack(INIT).routes4().into_iter().find(|r| r.dst.to_string() == "10.0.0.101").unwrap();
    assert_eq!(r.prefsrc.map(|a| a.to_string()), Some("192.168.18.5".into()), "the lowest local address first");
    assert_eq!(h.ping(INIT, "10.0.0.101", 1).src, ip("192.168.18.5"));
    h.vz.set_conf(netdev_venet::VzConf { route_src_dev: Some("eth9".into()), ..netdev_venet::VzConf::default() });
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.102")], Save::No);
    assert_eq!(rep.exit_code, 34);
    assert_eq!(rep.lines()[1], "vps-net_add ERROR: Unable to get source ip [eth9]");
    assert_eq!(h.vz.venet().ve_ips(101), [ip("10.0.0.101")], "10.0.0.102 left the kernel table again");
    h.vz.set_conf(netdev_venet::VzConf { ipv6: false, skip_arpdetect: true, ..netdev_venet::VzConf::default() });
    h.settle();
    let wire = Seen::on_netns(&h.w, h.seg);
    let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net("fd00::101"), net("10.0.0.103")], Save::Yes);
    assert_eq!(rep.lines()[..2], ["WARNING: IPv6 support is disabled", "Adding IP address(es): 10.0.0.103"]);
    h.settle();
    let arps: Vec<Vec<u8>> = wire
        .take()
        .into_iter()
        .filter(|p| p.direction == netdev_core::Direction::Incoming && p.protocol == ETH_P_ARP)
        .map(|p| p.frame)
        .collect();
    assert_eq!(arps.len(), 1, "only vzarp's announcement, no vzarpipdetect: {arps:x?}");
    assert_eq!((&arps[0][28..32], &arps[0][38..42]), (&[10, 0, 0, 103][..], &[10, 0, 0, 103][..]), "gratuitous");
    assert_eq!(h.vz.config(101).unwrap().ip_address, [net("10.0.0.103")]);
}

/// vzlist's view and the CTID rules: CTID 0 is the host (refused); a container's listing shows
/// the kernel's addresses while it runs and the saved ones when stopped.
#[test]
fn listing_and_ctid_zero() {
    let mut h = host(14);
    let rep = h.vz.start(&mut h.cpu, 0);
    assert_eq!((rep.exit_code, rep.events[0].is_error()), (21, true));
    h.vz.set_ipadd(&mut h.cpu, 102, &[net("10.0.0.102")], Save::Yes);
    h.vz.start(&mut h.cpu, 101);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.101")], Save::No);
    let l = h.vz.list();
    assert_eq!(l.len(), 2);
    assert_eq!((l[0].ctid, l[0].status, l[0].ips.clone()), (101, CtStatus::Running, vec![ip("10.0.0.101")]));
    assert_eq!(l[0].netns, Some(h.ct(101)));
    assert_eq!(
        (l[1].ctid, l[1].status, l[1].ips.clone(), l[1].netns),
        (102, CtStatus::Stopped, vec![ip("10.0.0.102")], None)
    );
    assert_eq!(h.vz.status(103), None);
}

/// Seed 000 (OpenVZ wiki, "Virtual network device"), its commands in order: `--ipadd 10.0.0.1
/// --save`, `--ipadd fd00::101 --save`, then `--ipdel 10.0.0.1` and `--ipdel fd00::101`
/// without `--save`: the addresses are gone from the running container, "but IP configuration
/// will not be changed in container config file. And after container reboot IP address
/// 10.0.0.1 will be assigned to this container again."
#[test]
fn seed_000_wiki_commands() {
    let mut h = host(15);
    common::addr_add(&h.w, &h.stacks, &h.eth0, "fd00:1::1", 64);
    h.vz.start(&mut h.cpu, 101);
    for a in ["10.0.0.1", "fd00::101"] {
        let rep = h.vz.set_ipadd(&mut h.cpu, 101, &[net(a)], Save::Yes);
        assert_eq!(rep.lines(), [format!("Adding IP address(es): {a}"), "Saved parameters for CT 101".into()]);
    }
    h.cpu.advance(3 * SEC); // fd00:1::1 on eth0 leaves DAD
    assert_eq!(h.ping(INIT, "10.0.0.1", 1).received, 1);
    assert_eq!(h.ping(INIT, "fd00::101", 1).received, 1);
    for a in ["10.0.0.1", "fd00::101"] {
        let rep = h.vz.set_ipdel(&mut h.cpu, 101, IpDel::Addrs(&[net(a)]), Save::No);
        assert_eq!(rep.lines()[0], format!("Deleting IP address(es): {a}"));
        assert_eq!(rep.events[1], VzEvent::NotSaved);
    }
    assert!(h.vz.venet().ve_ips(101).is_empty());
    assert!(h.try_ping(INIT, "10.0.0.1", 1).is_err(), "the host route went with it");
    assert_eq!(h.vz.config(101).unwrap().ip_address, [net("10.0.0.1"), net("fd00::101")]);
    h.vz.stop(&mut h.cpu, 101);
    h.vz.start(&mut h.cpu, 101);
    assert_eq!(h.vz.venet().ve_ips(101), [ip("fd00::101"), ip("10.0.0.1")]);
    assert_eq!(h.ping(INIT, "10.0.0.1", 1).received, 1, "assigned again after the reboot");
    assert_eq!(h.ping(INIT, "fd00::101", 1).received, 1);
}

/// A saved address another running container holds makes `vzctl start` fail (`vps_net_ctl` →
/// EADDRINUSE): the container is torn down again and stays stopped.
#[test]
fn start_fails_on_an_address_in_use() {
    let mut h = host(16);
    h.vz.set_ipadd(&mut h.cpu, 102, &[net("10.0.0.102")], Save::Yes);
    h.vz.start(&mut h.cpu, 102);
    h.vz.set_ipadd(&mut h.cpu, 101, &[net("10.0.0.102")], Save::Yes);
    let rep = h.vz.start(&mut h.cpu, 101);
    assert_eq!(rep.exit_code, 78);
    assert_eq!(
        rep.lines()[2..],
        [
            "Adding IP address(es): 10.0.0.102",
            "Unable to add IP 10.0.0.102: Address already in use",
            "Container start failed"
        ]
    );
    assert_eq!(h.vz.status(101), Some(CtStatus::Stopped));
    assert_eq!(h.w.rtnl().netns_by_name("101"), None);
    assert_eq!(h.vz.venet().ve_netns(101), None);
    assert_eq!(h.vz.venet().ve_ips(102), [ip("10.0.0.102")]);
    assert_eq!(h.ping(INIT, "10.0.0.102", 1).received, 1);
}
