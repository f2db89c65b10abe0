//! The venet driver alone (`venetdev.c`, `veip_mgmt.c`), without IP stacks: hand-built packets
//! into recording sinks, so every packet is accounted for (consumed + dropped = sent) and every
//! counter is checked against `venet_xmit`'s. Each test names the kernel function it pins.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use netdev_core::{
    ARPHRD_ETHER, ARPHRD_VOID, Cpu, DropReason, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, Errno, IfFlags, KindConfig, LinkKind,
    NetDevice, NetnsId, NewLink, Operstate, PktType, ProtocolHandler, Qdisc, Skb, World, WorldConfig,
};
use netdev_venet::{IpMapOp, KIND, VE0, Venet, VenetCmd, VenetDev};

const INIT: NetnsId = NetnsId::INIT;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// What a [`Sink`] saw of one delivered packet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Got {
    netns: NetnsId,
    ifindex: u32,
    protocol: u16,
    pkt_type: PktType,
    mark: u32,
    len: usize,
    mac_len: usize,
}

/// A namespace's protocol handler that records and consumes everything.
#[derive(Debug, Default)]
struct Sink(Mutex<Vec<Got>>);

impl Sink {
    fn take(&self) -> Vec<Got> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ProtocolHandler for Sink {
    fn receive(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, _o: &Arc<NetDevice>, skb: Skb) -> Result<(), Skb> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(Got {
            netns: dev.netns(),
            ifindex: dev.ifindex(),
            protocol: skb.meta.protocol,
            pkt_type: skb.meta.pkt_type,
            mark: skb.meta.mark,
            len: skb.len(),
            mac_len: skb.mac_len(),
        });
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// VE0 (the initial namespace) and containers 101 and 102, each with venet0 up and a sink;
/// 101 owns 10.0.0.101 and fd00::101, 102 owns 10.0.0.102.
struct Lab {
    w: World,
    venet: Arc<Venet>,
    cpu: Cpu,
    ns: [NetnsId; 3],
    dev: [Arc<NetDevice>; 3],
    sink: [Arc<Sink>; 3],
    sent: u64,
}

fn venet_add(w: &World, ns: NetnsId) -> netdev_core::Result<Arc<NetDevice>> {
    let req = NewLink { name: Some("venet0".into()), ..NewLink::in_netns(ns) };
    w.rtnl().newlink(KIND, &req, &(Box::new(()) as KindConfig))
}

fn lab() -> Lab {
    let w = World::new(WorldConfig { seed: 5, cpus: 1, ..WorldConfig::default() });
    let venet = netdev_venet::register(&w).unwrap();
    let (c1, c2) = {
        let mut r = w.rtnl();
        (r.netns_add("101").unwrap(), r.netns_add("102").unwrap())
    };
    {
        let mut r = w.rtnl();
        venet.ve_create(&mut r, 101, c1).unwrap();
        venet.ve_create(&mut r, 102, c2).unwrap();
    }
    let ns = [INIT, c1, c2];
    let dev = ns.map(|n| venet_add(&w, n).unwrap());
    let sink = ns.map(|n| {
        let s = Arc::new(Sink::default());
        w.rtnl().set_protocol_handler(n, Some(s.clone())).unwrap();
        s
    });
    {
        let mut r = w.rtnl();
        for d in &dev {
            r.set_up(d, true).unwrap();
        }
        venet.ip_map(&mut r, 101, IpMapOp::Add, ip("10.0.0.101")).unwrap();
        venet.ip_map(&mut r, 101, IpMapOp::Add, ip("fd00::101")).unwrap();
        venet.ip_map(&mut r, 102, IpMapOp::Add, ip("10.0.0.102")).unwrap();
    }
    let cpu = w.cpu(0).unwrap();
    Lab { w, venet, cpu, ns, dev, sink, sent: 0 }
}

/// A 40-byte IPv4 packet (UDP-typed, not checksummed: nobody parses past the addresses here).
fn ip4(src: &str, dst: &str) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&40u16.to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    let (IpAddr::V4(s), IpAddr::V4(d)) = (ip(src), ip(dst)) else { panic!("IPv4 only") };
    p[12..16].copy_from_slice(&s.octets());
    p[16..20].copy_from_slice(&d.octets());
    p
}

/// A 48-byte IPv6 packet.
fn ip6(src: &str, dst: &str) -> Vec<u8> {
    let mut p = vec![0u8; 48];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&8u16.to_be_bytes());
    p[6] = 17;
    p[7] = 64;
    let (IpAddr::V6(s), IpAddr::V6(d)) = (ip(src), ip(dst)) else { panic!("IPv6 only") };
    p[8..24].copy_from_slice(&s.octets());
    p[24..40].copy_from_slice(&d.octets());
    p
}

impl Lab {
    /// Hand `pkt` (protocol `proto`, mark 7) to VE `i`'s venet0 as the stack would, then let the
    /// backlog drain.
    fn send(&mut self, i: usize, proto: u16, pkt: &[u8]) {
        let mut skb = self.cpu.alloc_skb(64, pkt.len());
        skb.put(pkt.len()).unwrap().copy_from_slice(pkt);
        skb.meta.protocol = proto;
        skb.meta.mark = 7;
        self.cpu.dev_queue_xmit(&self.dev[i], skb);
        self.sent += 1;
        self.cpu.run_until_idle(1000);
    }

    /// Every packet sent was consumed by a sink or dropped with a reason, exactly once.
    fn assert_conserved(&self) {
        assert_eq!(self.cpu.backlog_len(), 0);
        assert_eq!(self.w.total_consumed() + self.w.total_drops(), self.sent, "drops: {:?}", self.w.drop_counts());
    }

    fn stats(&self, i: usize) -> (u64, u64, u64, u64, u64) {
        let s = self.dev[i].stats64();
        (s.tx_packets, s.tx_bytes, s.rx_packets, s.rx_bytes, s.tx_dropped)
    }
}

/// `venet_xmit` + `veip_lookup`: the host's packet goes to the owner of its destination, a
/// container's to the host whatever its destination; `PACKET_HOST`, the mark cleared when the
/// VE changes; no link-layer header on the receiving side; the sender's tx and the receiver's
/// rx counted at send time.
#[test]
fn switching_by_address_and_counters() {
    let mut l = lab();
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.102"));
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.101"));
    l.send(1, ETH_P_IP, &ip4("10.0.0.101", "8.8.8.8"));
    l.send(1, ETH_P_IP, &ip4("10.0.0.101", "10.0.0.102"));
    let got = |i: usize| l.sink[i].take();
    let want = |i: usize| Got {
        netns: l.ns[i],
        ifindex: l.dev[i].ifindex(),
        protocol: ETH_P_IP,
        pkt_type: PktType::Host,
        mark: 0,
        len: 40,
        mac_len: 0,
    };
    assert_eq!(got(2), [want(2)], "10.0.0.102 is CT102's");
    assert_eq!(got(1), [want(1)]);
    assert_eq!(got(0), [want(0), want(0)], "a container's packets always go to the host");
    assert_eq!(l.stats(0), (2, 80, 2, 80, 0));
    assert_eq!(l.stats(1), (2, 80, 1, 40, 0));
    assert_eq!(l.stats(2), (0, 0, 1, 40, 0));
    l.assert_conserved();
}

/// The host sending to an address it owns itself (an entry of VE0) loops back to its own
/// venet0, and keeps its mark (`ve == dev_net(dev)->owner_ve`).
#[test]
fn mark_survives_within_one_ve() {
    let mut l = lab();
    l.venet.ip_map(&mut l.w.rtnl(), VE0, IpMapOp::Add, ip("10.9.9.9")).unwrap();
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.9.9.9"));
    let g = l.sink[0].take();
    assert_eq!((g.len(), g[0].mark, g[0].ifindex), (1, 7, l.dev[0].ifindex()));
    l.assert_conserved();
}

/// Scenario 22 and `veip_lookup`'s refusals, each counted on the sender's `tx_dropped` with its
/// reason: a source another container owns (-EACCES, logged), an unknown source (-ESRCH), the
/// host sending to an unowned address, multicast (IPv4 and IPv6), a protocol other than IP
/// (ARP), a runt. Nothing reaches any sink and there is no `rx_dropped` anywhere.
#[test]
fn refusals_are_counted_on_the_sender() {
    let mut l = lab();
    l.send(1, ETH_P_IP, &ip4("10.0.0.102", "192.168.18.10"));
    l.send(1, ETH_P_IP, &ip4("10.0.0.77", "192.168.18.10"));
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.77"));
    l.send(1, ETH_P_IP, &ip4("10.0.0.101", "224.0.0.251"));
    l.send(1, ETH_P_IPV6, &ip6("fd00::101", "ff02::1:ff00:101"));
    l.send(1, ETH_P_ARP, &[0u8; 28]);
    l.send(2, ETH_P_IP, &[0x45; 12]);
    assert_eq!(l.stats(1), (0, 0, 0, 0, 5));
    assert_eq!(l.stats(0), (0, 0, 0, 0, 1));
    assert_eq!(l.stats(2), (0, 0, 0, 0, 1));
    for d in &l.dev {
        assert_eq!(d.stats64().rx_dropped, 0, "venet counts no rx_dropped");
    }
    assert!(l.sink.iter().all(|s| s.take().is_empty()));
    let d = l.w.drop_counts();
    let n = |r| d.get(&r).copied().unwrap_or(0);
    assert_eq!(n(DropReason::VeipSourceWrong), 1);
    assert_eq!(n(DropReason::VeipNoEntry), 2);
    assert_eq!(n(DropReason::IpInvalidDest), 2);
    assert_eq!(n(DropReason::UnhandledProto), 1);
    assert_eq!(n(DropReason::PktTooSmall), 1);
    assert_eq!(
        l.venet.take_kernel_log(),
        ["Dropped packet, source wrong veid=101 src-IP=10.0.0.102 dst-IP=192.168.18.10"]
    );
    l.assert_conserved();
}

/// §7.2 broadcast: 255.255.255.255 is not multicast, so a container's broadcast goes to the
/// host; the host's has no owner and is dropped.
#[test]
fn broadcast_goes_up_never_down() {
    let mut l = lab();
    l.send(2, ETH_P_IP, &ip4("10.0.0.102", "255.255.255.255"));
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "255.255.255.255"));
    assert_eq!(l.sink[0].take().len(), 1);
    assert_eq!(l.stats(0).4, 1);
    assert!(l.sink[2].take().is_empty());
    l.assert_conserved();
}

/// IPv6 with 128-bit keys (`skb_extract_addr`, AF_INET6 entries).
#[test]
fn ipv6_switching() {
    let mut l = lab();
    l.send(0, ETH_P_IPV6, &ip6("fd00::1", "fd00::101"));
    l.send(1, ETH_P_IPV6, &ip6("fd00::101", "2001:db8::1"));
    l.send(1, ETH_P_IPV6, &ip6("fd00::102", "2001:db8::1"));
    l.send(0, ETH_P_IPV6, &ip6("fd00::1", "::ffff:10.0.0.101"));
    let g1 = l.sink[1].take();
    assert_eq!((g1.len(), g1[0].protocol, g1[0].len), (1, ETH_P_IPV6, 48));
    assert_eq!(l.sink[0].take().len(), 1);
    assert_eq!((l.stats(1).4, l.stats(0).4), (1, 1), "unknown v6 source; a mapped v4 is another key");
    l.assert_conserved();
}

/// `venet_ext_lookup`: an address in a container's ext list is an allowed source without an
/// owner; ENONET before the container's list exists, EADDRINUSE twice, EADDRNOTAVAIL to delete
/// what is not there (`venet_ext_add`, `venet_ext_del`).
#[test]
fn ext_addresses_are_allowed_sources() {
    let mut l = lab();
    l.send(1, ETH_P_IP, &ip4("10.50.0.1", "192.168.18.10"));
    l.venet.ip_map(&mut l.w.rtnl(), 101, IpMapOp::ExtAdd, ip("10.50.0.1")).unwrap();
    l.send(1, ETH_P_IP, &ip4("10.50.0.1", "192.168.18.10"));
    l.send(2, ETH_P_IP, &ip4("10.50.0.1", "192.168.18.10"));
    assert_eq!(l.sink[0].take().len(), 1);
    assert_eq!((l.stats(1).4, l.stats(2).4), (1, 1));
    let mut r = l.w.rtnl();
    assert_eq!(l.venet.ip_map(&mut r, 101, IpMapOp::ExtAdd, ip("10.50.0.1")).unwrap_err(), Errno::Eaddrinuse);
    assert_eq!(l.venet.ip_map(&mut r, 101, IpMapOp::ExtDel, ip("10.50.0.2")).unwrap_err(), Errno::Eaddrnotavail);
    assert_eq!(l.venet.ve_ext_ips(101), [ip("10.50.0.1")]);
    let c3 = r.netns_add("103").unwrap();
    l.venet.ve_create(&mut r, 103, c3).unwrap();
    assert_eq!(l.venet.ip_map(&mut r, 103, IpMapOp::ExtAdd, ip("10.50.0.3")).unwrap_err(), Errno::Enonet);
    assert_eq!(l.venet.ip_map(&mut r, 999, IpMapOp::Add, ip("10.50.0.3")).unwrap_err(), Errno::Esrch);
    drop(r);
    l.assert_conserved();
}

/// `venet_xmit`: a target VE whose venet is down ("does not want to receive packets") or gone
/// ("VE going down") drops on the sender only; the receiver counts nothing.
#[test]
fn target_down_or_missing() {
    let mut l = lab();
    l.w.rtnl().set_up(&l.dev[2], false).unwrap();
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.102"));
    assert_eq!(l.stats(0).4, 1);
    assert_eq!(l.dev[2].stats64(), netdev_core::LinkStats64::default());
    // CT101 loses its venet (`venet_dellink`): its addresses go with it.
    l.w.rtnl().dellink(&l.dev[1]).unwrap();
    assert!(l.venet.ve_ips(101).is_empty() && !l.venet.has_veip(101));
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.101"));
    // An address added back without a venet: the entry exists, the target device does not.
    l.venet.ip_map(&mut l.w.rtnl(), 101, IpMapOp::Add, ip("10.0.0.101")).unwrap();
    l.send(0, ETH_P_IP, &ip4("192.168.18.10", "10.0.0.101"));
    assert_eq!(l.stats(0).4, 3);
    let d = l.w.drop_counts();
    assert_eq!((d.get(&DropReason::DevReady), d.get(&DropReason::VeipNoEntry)), (Some(&2), Some(&1)));
    l.assert_conserved();
}

/// `netif_rx` failing (the receiving CPU's backlog is full) is a drop for `venet_xmit` too: the
/// sender's `tx_dropped`, and `enqueue_to_backlog`'s core `rx_dropped` on the receiver.
#[test]
fn full_backlog_counts_both_sides() {
    let mut l = lab();
    l.w.set_max_backlog(1);
    for _ in 0..3 {
        let pkt = ip4("192.168.18.10", "10.0.0.101");
        let mut skb = l.cpu.alloc_skb(64, pkt.len());
        skb.put(pkt.len()).unwrap().copy_from_slice(&pkt);
        skb.meta.protocol = ETH_P_IP;
        l.cpu.dev_queue_xmit(&l.dev[0], skb);
        l.sent += 1;
    }
    l.cpu.run_until_idle(100);
    assert_eq!(l.sink[1].take().len(), 2, "netdev_max_backlog 1 holds two (the check is `>`)");
    assert_eq!((l.stats(0).0, l.stats(0).4), (2, 1));
    let s1 = l.dev[1].stats64();
    assert_eq!((s1.rx_packets, s1.rx_dropped), (2, 1));
    assert_eq!(l.w.drop_counts().get(&DropReason::CpuBacklog), Some(&1));
    l.assert_conserved();
}

/// `venet_newlink`: ENOSYS outside a VE's top namespace (a plain `ip netns add` namespace, or
/// another destination namespace); one per VE (EEXIST), and EEXIST too once the VE's address
/// list exists (an address added before the device); `tx_queue_len` 0 whatever was asked
/// (`venet_init_dev`); iproute2 has no venet options.
#[test]
fn newlink_rules() {
    let l = lab();
    let w = &l.w;
    let plain = w.rtnl().netns_add("plain").unwrap();
    assert_eq!(venet_add(w, plain).unwrap_err(), Errno::Enosys);
    let req = NewLink { name: Some("v1".into()), target_netns: Some(l.ns[1]), ..NewLink::in_netns(INIT) };
    assert_eq!(w.rtnl().newlink(KIND, &req, &(Box::new(()) as KindConfig)).unwrap_err(), Errno::Enosys);
    assert_eq!(venet_add(w, l.ns[1]).unwrap_err(), Errno::Eexist);
    assert_eq!(venet_add(w, INIT).unwrap_err(), Errno::Eexist, "the host has its venet already");
    let c3 = w.rtnl().netns_add("103").unwrap();
    l.venet.ve_create(&mut w.rtnl(), 103, c3).unwrap();
    l.venet.ip_map(&mut w.rtnl(), 103, IpMapOp::Add, ip("10.0.0.103")).unwrap();
    assert_eq!(venet_add(w, c3).unwrap_err(), Errno::Eexist, "veip_entry_add started the list");
    let c4 = w.rtnl().netns_add("104").unwrap();
    l.venet.ve_create(&mut w.rtnl(), 104, c4).unwrap();
    let req = NewLink { name: Some("venet7".into()), txqlen: Some(500), mtu: Some(9000), ..NewLink::in_netns(c4) };
    let d = w.rtnl().newlink(KIND, &req, &(Box::new(()) as KindConfig)).unwrap();
    assert_eq!((d.tx_queue_len(), d.mtu(), d.qdisc()), (0, 9000, Qdisc::Noop));
    assert_eq!(d.driver::<VenetDev>().map(VenetDev::veid), Some(104));
    assert_eq!(l.venet.venet_dev(104).map(|v| v.id()), Some(d.id()));
    assert!(l.venet.parse_args(&["mode", "x"]).is_err());
    assert!(l.venet.parse_args(&[]).is_ok());
    // No bridge yet; what br_add_if checks first refuses a venet: not ARPHRD_ETHER, no MAC.
    let refused_by_br_add_if = |d: &NetDevice| d.dev_type() != ARPHRD_ETHER || d.addr_len() != 6;
    assert!(refused_by_br_add_if(&d));
    assert_eq!(w.rtnl().set_master(&d, Some(&l.dev[0])).unwrap_err(), Errno::Eopnotsupp, "a venet is no master");
}

/// `venet_init_dev` seen from `ip link`: up, a venet reports no carrier change, so its
/// operstate stays UNKNOWN and it shows `<BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP>`, qdisc
/// noqueue (no queue: `tx_queue_len` 0).
#[test]
fn link_attributes() {
    let l = lab();
    let d = &l.dev[1];
    assert_eq!(d.operstate(), Operstate::Unknown);
    assert_eq!(
        d.flags(),
        IfFlags::BROADCAST | IfFlags::POINTOPOINT | IfFlags::NOARP | IfFlags::UP | IfFlags::RUNNING | IfFlags::LOWER_UP
    );
    assert_eq!((d.dev_type(), d.addr_len(), d.qdisc(), d.kind()), (ARPHRD_VOID, 0, Qdisc::Noqueue, KIND));
    let mut info = String::new();
    l.venet.fill_info(d, &mut info).unwrap();
    assert_eq!(info, "", "iproute2 prints nothing after `venet`");
}

/// `venet_changelink` (`VENET_INFO_CMD`): EINVAL on VE0's venet and without a command; add and
/// delete on a container's.
#[test]
fn changelink_commands() {
    let l = lab();
    let mut r = l.w.rtnl();
    let add = |a: &str| Box::new(VenetCmd::IpAdd(ip(a))) as KindConfig;
    assert_eq!(l.venet.changelink(&mut r, &l.dev[0], &add("10.1.1.1")).unwrap_err(), Errno::Einval);
    assert_eq!(l.venet.changelink(&mut r, &l.dev[2], &(Box::new(()) as KindConfig)).unwrap_err(), Errno::Einval);
    l.venet.changelink(&mut r, &l.dev[2], &add("10.1.1.2")).unwrap();
    assert_eq!(l.venet.ve_ips(102), [ip("10.1.1.2"), ip("10.0.0.102")]);
    let del = Box::new(VenetCmd::IpDel(ip("10.0.0.102"))) as KindConfig;
    l.venet.changelink(&mut r, &l.dev[2], &del).unwrap();
    assert_eq!(l.venet.changelink(&mut r, &l.dev[2], &del).unwrap_err(), Errno::Eaddrnotavail);
}

/// `/proc/vz/veip` (`veip_seq_show`) and the bookkeeping of VEs: deleting a container's
/// namespace stops its VE (its entries go), and a VE id or namespace cannot be taken twice.
#[test]
fn proc_veip_and_ve_lifecycle() {
    let l = lab();
    let text = l.venet.proc_veip();
    assert_eq!(
        text,
        format!("Version: 2.5\n{:>39} 0\n{:>39} 0\n{:>39} 0\n", "10.0.0.101", "10.0.0.102", "fd00:0:0:0:0:0:0:101")
    );
    assert_eq!(l.venet.ves(), [(VE0, INIT), (101, l.ns[1]), (102, l.ns[2])]);
    let mut r = l.w.rtnl();
    assert_eq!(l.venet.ve_create(&mut r, 101, INIT).unwrap_err(), Errno::Eexist);
    let x = r.netns_add("x").unwrap();
    assert_eq!(l.venet.ve_create(&mut r, 105, l.ns[2]).unwrap_err(), Errno::Ebusy);
    assert_eq!(l.venet.ve_create(&mut r, 105, INIT).unwrap_err(), Errno::Ebusy, "VE0's namespace");
    assert_eq!(l.venet.set_ve0_netns(&mut r, x).unwrap_err(), Errno::Ebusy, "VE0 has its venet");
    r.netns_del(l.ns[2]).unwrap();
    assert_eq!(l.venet.ve_of_netns(l.ns[2]), None);
    assert_eq!(l.venet.veip().len(), 2);
    assert!(l.venet.venet_dev(102).is_none());
    assert_eq!(l.venet.ve_destroy(&mut r, VE0).unwrap_err(), Errno::Einval);
    assert_eq!(l.venet.ve_destroy(&mut r, 102).unwrap_err(), Errno::Esrch);
}

/// `Venet::of` finds the registered module (`rtnl_link_register` once: EEXIST the second time).
#[test]
fn one_module_per_world() {
    let l = lab();
    let found = Venet::of(&l.w).unwrap();
    assert!(Arc::ptr_eq(&found, &l.venet));
    assert_eq!(netdev_venet::register(&l.w).unwrap_err(), Errno::Eexist);
    assert!(Venet::of(&World::default()).is_none());
}
