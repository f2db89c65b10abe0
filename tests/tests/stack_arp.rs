//! ARP as the kernel does it (net/ipv4/arp.c, net/core/neighbour.c, fib_frontend.c, devinet.c):
//! the weak host model and its remedies (arp_ignore, arp_announce, arp_filter, rp_filter), proxy
//! ARP, the neighbour update rules, the NUD timers and the unresolved queue.
//!
//! Host H's interfaces are veths whose far ends sit in a namespace `seg` that has no addresses:
//! a test injects hand-built frames there and reads what H sent with a tap. There is no bridge
//! yet, so where a peer P must share one segment with several of H's interfaces, [`Lab::hub`]
//! copies every frame arriving at a far end out of all the others.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use netdev_core::{Cpu, Direction, DropReason, MacAddr, NetDevice, NetnsId, World};
use stack_adapter::{AddrOpts, Nud, RouteSpec, Scope, Stacks};
use vnet_tests::{TapLog, eth_frame, up, veth_pair, world};

const SEC: u64 = 1_000_000_000;
const MS: u64 = SEC / 1000;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ARPOP_REQUEST: u16 = 1;
const ARPOP_REPLY: u16 = 2;
/// The peer P's MAC (injected frames speak for P when no P namespace exists).
const PMAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x33]);
/// Another station claiming one of P's addresses.
const QMAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x44]);

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(ip(s))
}

/// H's interface `i`'s MAC.
fn hmac(i: usize) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, 0x10 + i as u8])
}

/// An ARP packet for Ethernet/IPv4 (`struct arphdr` and its four addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Arp {
    op: u16,
    sha: MacAddr,
    sip: Ipv4Addr,
    tha: MacAddr,
    tip: Ipv4Addr,
}

impl Arp {
    fn request(sha: MacAddr, sip: &str, tip: &str) -> Arp {
        Arp { op: ARPOP_REQUEST, sha, sip: ip(sip), tha: MacAddr::ZERO, tip: ip(tip) }
    }

    fn reply(sha: MacAddr, sip: &str, tha: MacAddr, tip: &str) -> Arp {
        Arp { op: ARPOP_REPLY, sha, sip: ip(sip), tha, tip: ip(tip) }
    }

    /// The Ethernet frame carrying it from `sha` to `dst`.
    fn frame(&self, dst: MacAddr) -> Vec<u8> {
        let mut p = Vec::with_capacity(28);
        p.extend_from_slice(&1u16.to_be_bytes());
        p.extend_from_slice(&ETH_P_IP.to_be_bytes());
        p.extend_from_slice(&[6, 4]);
        p.extend_from_slice(&self.op.to_be_bytes());
        p.extend_from_slice(&self.sha.0);
        p.extend_from_slice(&self.sip.octets());
        p.extend_from_slice(&self.tha.0);
        p.extend_from_slice(&self.tip.octets());
        eth_frame(dst, self.sha, ETH_P_ARP, &p, 14 + p.len())
    }

    /// (Ethernet destination, Ethernet source, ARP) of an ARP frame.
    fn parse(f: &[u8]) -> Option<(MacAddr, MacAddr, Arp)> {
        if f.len() < 42 || u16::from_be_bytes([f[12], f[13]]) != ETH_P_ARP {
            return None;
        }
        let mac = |o: usize| MacAddr([f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4], f[o + 5]]);
        let ip4 = |o: usize| Ipv4Addr::new(f[o], f[o + 1], f[o + 2], f[o + 3]);
        let op = u16::from_be_bytes([f[20], f[21]]);
        Some((mac(0), mac(6), Arp { op, sha: mac(22), sip: ip4(28), tha: mac(32), tip: ip4(38) }))
    }
}

/// The Internet checksum of `b`.
fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = b.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An IPv4 ICMP echo request from `src` to `dst`.
fn icmp_echo(src: &str, dst: &str) -> Vec<u8> {
    let mut p = vec![0u8; 20 + 16];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&36u16.to_be_bytes());
    p[8] = 64;
    p[9] = 1;
    p[12..16].copy_from_slice(&ip(src).octets());
    p[16..20].copy_from_slice(&ip(dst).octets());
    let c = csum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p[20] = 8;
    p[24..26].copy_from_slice(&0x77u16.to_be_bytes());
    p[26..28].copy_from_slice(&1u16.to_be_bytes());
    let c = csum(&p[20..]);
    p[22..24].copy_from_slice(&c.to_be_bytes());
    p
}

/// P: a namespace with one interface `p0` (10.0.0.3/24, [`PMAC`]) whose far end `wp` is in `seg`.
struct Peer {
    ns: NetnsId,
    dev: Arc<NetDevice>,
    wire: Arc<NetDevice>,
    tap: Arc<TapLog>,
}

struct Lab {
    w: World,
    stacks: Stacks,
    h: NetnsId,
    /// H's interfaces `eth0`, `eth1`, ...
    eth: Vec<Arc<NetDevice>>,
    /// Their far ends in `seg`: frames injected here arrive on H's interface.
    wire: Vec<Arc<NetDevice>>,
    /// Taps on the far ends: what H sent.
    taps: Vec<Arc<TapLog>>,
    p: Option<Peer>,
}

/// H with one interface per entry of `addrs` (each with those addresses), optionally P. IPv6 is
/// off everywhere so the taps see only what ARP and IPv4 send.
fn lab(addrs: &[&[(&str, u8)]], with_p: bool) -> Lab {
    let w = world(29);
    let stacks = stack_adapter::install(&w).unwrap();
    let (h, seg) = {
        let mut r = w.rtnl();
        (r.netns_add("h").unwrap(), r.netns_add("seg").unwrap())
    };
    let p_ns = with_p.then(|| w.rtnl().netns_add("p").unwrap());
    for ns in [Some(h), Some(seg), p_ns].into_iter().flatten() {
        let mut r = w.rtnl();
        stacks.of(ns).sysctl_set(&mut r, "net.ipv6.conf.all.disable_ipv6", "1").unwrap();
        stacks.of(ns).sysctl_set(&mut r, "net.ipv6.conf.default.disable_ipv6", "1").unwrap();
    }
    let (mut eth, mut wire) = (Vec::new(), Vec::new());
    for (i, a) in addrs.iter().enumerate() {
        let (e, x) = veth_pair(&w, h, &format!("eth{i}"), seg, &format!("w{i}")).unwrap();
        let mut r = w.rtnl();
        r.set_address(&e, hmac(i)).unwrap();
        r.set_address(&x, MacAddr([2, 0, 0, 0, 1, i as u8])).unwrap();
        for (addr, plen) in a.iter() {
            stacks.of(h).addr_add(&mut r, e.ifindex(), v4(addr), *plen, &AddrOpts::default()).unwrap();
        }
        eth.push(e);
        wire.push(x);
    }
    let refs: Vec<&Arc<NetDevice>> = eth.iter().chain(wire.iter()).collect();
    up(&w, &refs);
    let taps = wire.iter().map(|x| TapLog::attach(x)).collect();
    let p = p_ns.map(|ns| {
        let (dev, x) = veth_pair(&w, ns, "p0", seg, "wp").unwrap();
        {
            let mut r = w.rtnl();
            r.set_address(&dev, PMAC).unwrap();
            r.set_address(&x, MacAddr([2, 0, 0, 0, 1, 0x33])).unwrap();
            stacks.of(ns).addr_add(&mut r, dev.ifindex(), v4("10.0.0.3"), 24, &AddrOpts::default()).unwrap();
        }
        up(&w, &[&dev, &x]);
        let tap = TapLog::attach(&x);
        Peer { ns, dev, wire: x, tap }
    });
    Lab { w, stacks, h, eth, wire, taps, p }
}

/// The usual H: eth0 10.0.0.1/24, eth1 192.168.1.1/24.
fn two_subnets() -> Lab {
    lab(&[&[("10.0.0.1", 24)], &[("192.168.1.1", 24)]], false)
}

/// The ARP flux H: eth0 10.0.0.1/24 and eth1 10.0.0.2/24 on one segment.
fn flux(with_p: bool) -> Lab {
    lab(&[&[("10.0.0.1", 24)], &[("10.0.0.2", 24)]], with_p)
}

impl Lab {
    fn cpu(&self) -> Cpu {
        self.w.cpu(0).unwrap()
    }

    /// `sysctl -w` in H.
    fn set(&self, name: &str, value: &str) {
        self.stacks.of(self.h).sysctl_set(&mut self.w.rtnl(), name, value).unwrap();
    }

    /// H's `ip neigh` entry for `addr` on interface `i`.
    fn neigh(&self, i: usize, addr: &str) -> Option<(Nud, Option<MacAddr>)> {
        self.stacks.of(self.h).neigh_lookup(self.eth[i].ifindex(), v4(addr))
    }

    /// Put `frame` on the wire towards H's interface `i` and let everything settle.
    fn inject(&self, cpu: &mut Cpu, i: usize, frame: &[u8]) {
        let skb = cpu.alloc_frame(frame);
        cpu.dev_queue_xmit(&self.wire[i], skb);
        cpu.run_until_idle(100_000);
    }

    /// P's request for `tip`, broadcast on H's interface `i`.
    fn ask(&self, cpu: &mut Cpu, i: usize, tip: &str) {
        self.inject(cpu, i, &Arp::request(PMAC, "10.0.0.3", tip).frame(MacAddr::BROADCAST));
    }

    /// The ARP frames H sent out of interface `i` since the last call: (Ethernet dst, src, ARP).
    fn arps(&self, i: usize) -> Vec<(MacAddr, MacAddr, Arp)> {
        arps_on(&self.taps[i])
    }

    /// The ARP replies H sent out of interface `i` since the last call.
    fn replies(&self, i: usize) -> Vec<Arp> {
        self.arps(i).into_iter().filter(|a| a.2.op == ARPOP_REPLY).map(|a| a.2).collect()
    }

    /// A UDP datagram from H's `src` to `dst` port 9 (resolution starts if needed).
    fn udp(&self, cpu: &mut Cpu, ns: NetnsId, src: &str, dst: &str) {
        let st = self.stacks.of(ns);
        let id = st.udp_bind(SocketAddr::new(v4(src), 0)).unwrap();
        st.udp_send_to(cpu, id, b"x", SocketAddr::new(v4(dst), 9)).unwrap();
        cpu.run_until_idle(100_000);
    }

    /// Advance virtual time by `ns` (timers run, and what they send is received).
    fn advance(&self, cpu: &mut Cpu, ns: u64) {
        cpu.advance(ns);
        cpu.run_until_idle(100_000);
    }

    /// One L2 segment joining H's interfaces and P: every ARP or IPv4 frame arriving at a far end
    /// is sent out of every other far end, until nothing more arrives. Returns the frames seen,
    /// with the index of the far end they arrived at (P's is `self.wire.len()`).
    fn hub(&self, cpu: &mut Cpu) -> Vec<(usize, Vec<u8>)> {
        let Some(p) = &self.p else { panic!("hub needs P") };
        let ports: Vec<(&Arc<NetDevice>, &Arc<TapLog>)> =
            self.wire.iter().zip(self.taps.iter()).chain(std::iter::once((&p.wire, &p.tap))).collect();
        let mut seen = Vec::new();
        for _ in 0..32 {
            cpu.run_until_idle(100_000);
            let mut arrived = Vec::new();
            for (i, (_, tap)) in ports.iter().enumerate() {
                for t in tap.take() {
                    let et = u16::from_be_bytes([t.frame[12], t.frame[13]]);
                    if t.direction == Direction::Incoming && (et == ETH_P_ARP || et == ETH_P_IP) {
                        arrived.push((i, t.frame));
                    }
                }
            }
            if arrived.is_empty() {
                return seen;
            }
            for (i, f) in &arrived {
                for (j, (dev, _)) in ports.iter().enumerate() {
                    if j != *i {
                        let skb = cpu.alloc_frame(f);
                        cpu.dev_queue_xmit(dev, skb);
                    }
                }
            }
            seen.extend(arrived);
        }
        panic!("the hub did not settle");
    }

    /// P's neighbour entry for `addr`.
    fn p_neigh(&self, addr: &str) -> Option<(Nud, Option<MacAddr>)> {
        let p = self.p.as_ref().unwrap();
        self.stacks.of(p.ns).neigh_lookup(p.dev.ifindex(), v4(addr))
    }
}

fn arps_on(tap: &TapLog) -> Vec<(MacAddr, MacAddr, Arp)> {
    tap.take().into_iter().filter(|t| t.direction == Direction::Incoming).filter_map(|t| Arp::parse(&t.frame)).collect()
}

/// Run `f` on a thread of its own and fail if it has not returned after `secs` seconds of wall
/// time: a World whose timers re-arm at the same instant never returns from `advance`, and that
/// must be a failing test, not a hung one.
#[allow(clippy::disallowed_methods, reason = "a test thread bounding a possible livelock; no simulation code")]
fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(RecvTimeoutError::Disconnected) => match h.join() {
            Err(e) => std::panic::resume_unwind(e),
            Ok(()) => unreachable!("the thread sends before it ends"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("no return after {secs} s of wall time: virtual time livelocked"),
    }
}

// ---------------------------------------------------------------------------------------- 1. flux

/// `arp_process` (weak host model): a broadcast request for 10.0.0.1 reaching both interfaces is
/// answered by both, each with its own MAC; P keeps the first reply (`arp_process`'s locktime
/// rule through `neigh_update` without OVERRIDE) until a second reply arrives more than
/// `locktime` (1 s) after the entry's last update.
#[test]
fn flux_both_interfaces_answer_and_the_first_reply_wins_for_locktime() {
    let lab = flux(true);
    let mut cpu = lab.cpu();
    let p = lab.p.as_ref().unwrap();
    lab.udp(&mut cpu, p.ns, "10.0.0.3", "10.0.0.1");
    let seen = lab.hub(&mut cpu);
    let replies: Vec<(usize, MacAddr, Arp)> = seen
        .iter()
        .filter_map(|(i, f)| Arp::parse(f).map(|(d, s, a)| (*i, d, s, a)))
        .filter(|x| x.3.op == ARPOP_REPLY)
        .map(|(i, d, s, a)| {
            assert_eq!((d, s), (PMAC, a.sha), "a reply goes to the requester, from the replying interface");
            (i, a.sha, a)
        })
        .collect();
    assert_eq!(
        replies,
        [
            (0, hmac(0), Arp::reply(hmac(0), "10.0.0.1", PMAC, "10.0.0.3")),
            (1, hmac(1), Arp::reply(hmac(1), "10.0.0.1", PMAC, "10.0.0.3")),
        ],
        "eth0 and eth1 both answer for 10.0.0.1"
    );
    assert_eq!(lab.p_neigh("10.0.0.1"), Some((Nud::Reachable, Some(hmac(0)))), "the first reply wins");
    // Another reply within the second: still ignored.
    lab.advance(&mut cpu, 500 * MS);
    let late = Arp::reply(hmac(1), "10.0.0.1", PMAC, "10.0.0.3").frame(PMAC);
    let skb = cpu.alloc_frame(&late);
    cpu.dev_queue_xmit(&p.wire, skb);
    cpu.run_until_idle(100_000);
    assert_eq!(lab.p_neigh("10.0.0.1").unwrap().1, Some(hmac(0)), "within locktime");
    // Past locktime since the last update: it overrides.
    lab.advance(&mut cpu, 600 * MS);
    let skb = cpu.alloc_frame(&late);
    cpu.dev_queue_xmit(&p.wire, skb);
    cpu.run_until_idle(100_000);
    assert_eq!(lab.p_neigh("10.0.0.1"), Some((Nud::Reachable, Some(hmac(1)))), "after locktime");
}

/// `arp_ignore` = 1 (MAX of all and the device): only the interface holding the address answers.
#[test]
fn flux_arp_ignore_1_only_the_owner_answers() {
    let lab = flux(false);
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.all.arp_ignore", "1");
    for (tip, owner) in [("10.0.0.1", 0), ("10.0.0.2", 1)] {
        for i in 0..2 {
            lab.ask(&mut cpu, i, tip);
        }
        let want = Arp::reply(hmac(owner), tip, PMAC, "10.0.0.3");
        assert_eq!((lab.replies(owner), lab.replies(1 - owner)), (vec![want], vec![]), "{tip}");
    }
}

/// `arp_filter` (OR): answer only if our route back to the sender leaves through the receiving
/// interface (10.0.0.0/24 dev eth0 comes first); the refusal counts `ArpFilter`.
#[test]
fn flux_arp_filter_only_the_interface_routing_back_answers() {
    let lab = flux(false);
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.eth1.arp_filter", "1");
    lab.set("net.ipv4.conf.all.arp_filter", "0");
    for tip in ["10.0.0.1", "10.0.0.2"] {
        for i in 0..2 {
            lab.ask(&mut cpu, i, tip);
        }
        assert_eq!(lab.replies(0), [Arp::reply(hmac(0), tip, PMAC, "10.0.0.3")], "{tip}");
        assert_eq!(lab.replies(1), [], "{tip}: eth1 stays quiet");
    }
    assert_eq!(lab.stacks.of(lab.h).mib().get("ArpFilter"), Some(&2));
}

/// `arp_filter` with no route back at all: `ip_route_output` fails, so no reply, but
/// LINUX_MIB_ARPFILTER counts only the wrong-device case.
#[test]

fn arp_filter_without_a_route_back_is_silent_and_uncounted() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.all.arp_filter", "1");
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "172.16.0.9", "10.0.0.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.replies(0), []);
    assert_eq!(lab.stacks.of(lab.h).mib().get("ArpFilter"), None);
}

/// `fib_validate_source` in ARP's route input: with strict rp_filter the request arriving on eth1
/// from P, whose route goes via eth0, fails route input, so eth1 does not answer even with
/// arp_ignore 0.
#[test]
fn flux_rp_filter_strict_silences_the_other_interface() {
    let lab = flux(false);
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.all.rp_filter", "1");
    for i in 0..2 {
        lab.ask(&mut cpu, i, "10.0.0.1");
    }
    assert_eq!((lab.replies(0).len(), lab.replies(1).len()), (1, 0));
    lab.set("net.ipv4.conf.all.rp_filter", "2");
    for i in 0..2 {
        lab.ask(&mut cpu, i, "10.0.0.1");
    }
    assert_eq!((lab.replies(0).len(), lab.replies(1).len()), (1, 1), "loose mode: both answer again");
}

/// `arp_solicit`: the sender IP of our own requests. arp_announce 0 takes the source of the
/// packet being resolved if it is local (10.0.0.1 out of eth1); 2 takes eth1's own
/// `inet_select_addr` (10.0.0.2); 1 keeps the source only if it shares a subnet of eth1 with the
/// target.
#[test]
fn arp_announce_picks_the_sender_ip_of_our_requests() {
    let lab = lab(&[&[("10.0.0.1", 24), ("192.168.5.1", 24)], &[("10.0.0.2", 24)]], false);
    let mut cpu = lab.cpu();
    {
        let mut spec = RouteSpec::new(v4("10.0.0.3"), 32);
        spec.ifindex = Some(lab.eth[1].ifindex());
        lab.stacks.of(lab.h).route_add(&mut lab.w.rtnl(), &spec).unwrap();
    }
    let mut sent = Vec::new();
    for announce in ["0", "1", "2"] {
        lab.set("net.ipv4.conf.all.arp_announce", announce);
        for src in ["10.0.0.1", "192.168.5.1"] {
            lab.stacks.of(lab.h).neigh_flush(&mut lab.w.rtnl(), None, true, false);
            lab.udp(&mut cpu, lab.h, src, "10.0.0.3");
            let reqs: Vec<Ipv4Addr> = lab.arps(1).iter().map(|a| a.2.sip).collect();
            sent.push((announce, src, reqs));
        }
    }
    let want = [
        ("0", "10.0.0.1", vec![ip("10.0.0.1")]),
        ("0", "192.168.5.1", vec![ip("192.168.5.1")]),
        ("1", "10.0.0.1", vec![ip("10.0.0.1")]),
        ("1", "192.168.5.1", vec![ip("10.0.0.2")]),
        ("2", "10.0.0.1", vec![ip("10.0.0.2")]),
        ("2", "192.168.5.1", vec![ip("10.0.0.2")]),
    ];
    assert_eq!(sent, want);
}

/// `neigh_probe` hands `arp_solicit` the newest packet waiting on the entry
/// (`skb_peek_tail(&neigh->arp_queue)`), so with arp_announce 0 every retransmitted broadcast
/// request carries that packet's source too, not only the first.
#[test]

fn arp_announce_0_retransmissions_keep_the_queued_packets_source() {
    let lab = flux(false);
    let mut cpu = lab.cpu();
    {
        let mut spec = RouteSpec::new(v4("10.0.0.9"), 32);
        spec.ifindex = Some(lab.eth[1].ifindex());
        lab.stacks.of(lab.h).route_add(&mut lab.w.rtnl(), &spec).unwrap();
    }
    lab.udp(&mut cpu, lab.h, "10.0.0.1", "10.0.0.9");
    lab.advance(&mut cpu, 4 * SEC);
    let sips: Vec<Ipv4Addr> = lab.arps(1).iter().map(|a| a.2.sip).collect();
    assert_eq!(sips, [ip("10.0.0.1"); 3]);
}

/// Scenario 27 end to end: with defaults, H resolving P out of eth1 for a packet from 10.0.0.1
/// announces 10.0.0.1 with eth1's MAC, and P (`arp_process` → `neigh_event_ns`, always
/// OVERRIDE for a request addressed to it) repoints 10.0.0.1 to MAC1: the flux. With
/// arp_ignore=1 and arp_announce=2 only MAC0 is ever learned for 10.0.0.1.
#[test]
fn flux_end_to_end_and_its_remedy() {
    for remedy in [false, true] {
        let lab = flux(true);
        let mut cpu = lab.cpu();
        if remedy {
            lab.set("net.ipv4.conf.all.arp_ignore", "1");
            lab.set("net.ipv4.conf.all.arp_announce", "2");
        }
        let p = lab.p.as_ref().unwrap();
        lab.udp(&mut cpu, p.ns, "10.0.0.3", "10.0.0.1");
        lab.hub(&mut cpu);
        assert_eq!(lab.p_neigh("10.0.0.1").unwrap().1, Some(hmac(0)), "remedy {remedy}");
        lab.advance(&mut cpu, 2 * SEC);
        lab.hub(&mut cpu);
        // H talks to P from 10.0.0.1 through eth1 (a host route), with nothing cached there.
        {
            let mut spec = RouteSpec::new(v4("10.0.0.3"), 32);
            spec.ifindex = Some(lab.eth[1].ifindex());
            lab.stacks.of(lab.h).route_add(&mut lab.w.rtnl(), &spec).unwrap();
            lab.stacks.of(lab.h).neigh_flush(&mut lab.w.rtnl(), Some(lab.eth[1].ifindex()), true, false);
        }
        lab.udp(&mut cpu, lab.h, "10.0.0.1", "10.0.0.3");
        let seen = lab.hub(&mut cpu);
        let req = seen.iter().filter_map(|(i, f)| Arp::parse(f).map(|a| (*i, a.2))).find(|a| a.1.op == ARPOP_REQUEST);
        let (port, req) = req.expect("H asks for P");
        assert_eq!((port, req.sha), (1, hmac(1)));
        if remedy {
            assert_eq!(req.sip, ip("10.0.0.2"));
            assert_eq!(lab.p_neigh("10.0.0.1").unwrap().1, Some(hmac(0)), "only MAC0 is ever learned");
            assert_eq!(lab.p_neigh("10.0.0.2").unwrap().1, Some(hmac(1)));
        } else {
            assert_eq!(req.sip, ip("10.0.0.1"));
            assert_eq!(lab.p_neigh("10.0.0.1").unwrap().1, Some(hmac(1)), "10.0.0.1 fluxed to MAC1");
        }
    }
}

// ----------------------------------------------------------------------------------- 2. arp_ignore

/// `arp_ignore` (scenario 24): eth0 10.0.0.1/24, eth1 192.168.1.1/24, P asks on eth0.
#[test]
fn arp_ignore_values() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    let answered = |cpu: &mut Cpu, tip: &str| {
        lab.ask(cpu, 0, tip);
        let r = lab.replies(0);
        assert!(r.len() <= 1, "{r:?}");
        if let Some(a) = r.first() {
            assert_eq!(*a, Arp::reply(hmac(0), tip, PMAC, "10.0.0.3"), "answered with eth0's MAC");
        }
        !r.is_empty()
    };
    // 1: only addresses of the receiving interface; and no reply means no entry for the asker.
    lab.set("net.ipv4.conf.eth0.arp_ignore", "1");
    assert!(!answered(&mut cpu, "192.168.1.1"), "1");
    assert_eq!(lab.neigh(0, "10.0.0.3"), None, "no reply, no neigh_event_ns");
    assert!(answered(&mut cpu, "10.0.0.1"), "1, own address");
    // 0: any local address (the weak host model).
    lab.set("net.ipv4.conf.eth0.arp_ignore", "0");
    assert!(answered(&mut cpu, "192.168.1.1"), "0");
    // MAX(all, eth0).
    lab.set("net.ipv4.conf.all.arp_ignore", "1");
    assert!(!answered(&mut cpu, "192.168.1.1"), "all=1, eth0=0");
    lab.set("net.ipv4.conf.all.arp_ignore", "0");
    // 2: and the sender in the subnet of that address.
    lab.set("net.ipv4.conf.eth0.arp_ignore", "2");
    assert!(answered(&mut cpu, "10.0.0.1"), "2, sender in subnet");
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.9.9.9", "10.0.0.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.replies(0), [], "2, sender outside the subnet");
    // 4..7 are reserved and reply; 8 never replies.
    lab.set("net.ipv4.conf.eth0.arp_ignore", "5");
    assert!(answered(&mut cpu, "192.168.1.1"), "5");
    lab.set("net.ipv4.conf.eth0.arp_ignore", "8");
    assert!(!answered(&mut cpu, "10.0.0.1"), "8");
}

/// `arp_ignore` = 3: `inet_confirm_addr(..., RT_SCOPE_LINK)` over every interface: host-scope
/// addresses are not answered, others are (even on another interface).
#[test]
fn arp_ignore_3_skips_host_scope_addresses() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    let opts = AddrOpts { scope: Some(Scope::Host), ..AddrOpts::default() };
    lab.stacks.of(lab.h).addr_add(&mut lab.w.rtnl(), lab.eth[1].ifindex(), v4("172.16.0.1"), 24, &opts).unwrap();
    lab.ask(&mut cpu, 0, "172.16.0.1");
    assert_eq!(lab.replies(0).len(), 1, "arp_ignore 0 answers for a host-scope address too");
    lab.set("net.ipv4.conf.eth0.arp_ignore", "3");
    lab.ask(&mut cpu, 0, "172.16.0.1");
    assert_eq!(lab.replies(0), [], "scope host");
    lab.ask(&mut cpu, 0, "192.168.1.1");
    assert_eq!(lab.replies(0).len(), 1, "scope global on another interface");
}

/// `arp_process`: a duplicate address detection probe (sender IP 0) for a local address is
/// answered with `arp_send_dst(ARPOP_REPLY, ..., dest_ip = sip (0), src_ip = tip, dest_hw = sha,
/// target_hw = sha)`, subject to arp_ignore, and creates no neighbour entry.
#[test]
fn dad_probe_gets_a_reply_with_target_ip_zero() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "0.0.0.0", "192.168.1.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.arps(0), [(PMAC, hmac(0), Arp::reply(hmac(0), "192.168.1.1", PMAC, "0.0.0.0"))]);
    assert!(lab.stacks.of(lab.h).neighbours().is_empty());
    lab.set("net.ipv4.conf.eth0.arp_ignore", "1");
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "0.0.0.0", "192.168.1.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.arps(0), [], "arp_ignore applies to probes");
}

/// `ip_route_input_slow` refuses martian senders (loopback, multicast, limited broadcast), so
/// ARP's route input fails: no reply, no entry.
#[test]
fn requests_from_martian_senders_are_not_answered() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    for sip in ["127.0.0.5", "224.0.0.5", "255.255.255.255"] {
        lab.inject(&mut cpu, 0, &Arp::request(PMAC, sip, "10.0.0.1").frame(MacAddr::BROADCAST));
        assert_eq!(lab.replies(0), [], "{sip}");
    }
    assert!(lab.stacks.of(lab.h).neighbours().is_empty());
}

/// `ip_route_input_slow`: `ipv4_is_zeronet(saddr)` is a martian source too (only sip 0.0.0.0
/// itself is special, as a DAD probe).
#[test]

fn requests_from_a_zeronet_sender_are_not_answered() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "0.0.0.5", "10.0.0.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.replies(0), []);
    assert!(lab.stacks.of(lab.h).neighbours().is_empty());
}

/// `arp_process`: with drop_gratuitous_arp (OR) any packet with sip == tip is dropped before
/// anything else, even for an existing entry.
#[test]
fn drop_gratuitous_arp_ignores_garp_entirely() {
    let lab = reachable_lab();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.all.arp_accept", "1");
    lab.set("net.ipv4.conf.eth0.drop_gratuitous_arp", "1");
    lab.inject(&mut cpu, 0, &Arp::request(QMAC, "10.0.0.3", "10.0.0.3").frame(MacAddr::BROADCAST));
    lab.inject(&mut cpu, 0, &Arp::request(QMAC, "10.0.0.8", "10.0.0.8").frame(MacAddr::BROADCAST));
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Reachable, Some(PMAC))));
    assert_eq!(lab.neigh(0, "10.0.0.8"), None);
}

// ------------------------------------------------------------------------------------ 3. rp_filter

/// `fib_validate_source` for ARP (scenario 25): a request on eth1 from 10.0.0.3, whose route is
/// via eth0. rp_filter is MAX(all, eth1): 0 and 2 answer, 1 does not; a sender with no route at
/// all fails every mode but 0.
#[test]
fn rp_filter_on_arp_requests() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    let asks = |cpu: &mut Cpu, sip: &str| {
        lab.inject(cpu, 1, &Arp::request(PMAC, sip, "192.168.1.1").frame(MacAddr::BROADCAST));
        lab.replies(1).len()
    };
    assert_eq!(asks(&mut cpu, "10.0.0.3"), 1, "rp_filter 0");
    lab.set("net.ipv4.conf.eth1.rp_filter", "1");
    assert_eq!(asks(&mut cpu, "10.0.0.3"), 0, "all 0, eth1 1: strict");
    assert_eq!(asks(&mut cpu, "192.168.1.7"), 1, "strict, sender routed via eth1");
    lab.set("net.ipv4.conf.all.rp_filter", "2");
    assert_eq!(asks(&mut cpu, "10.0.0.3"), 1, "all 2, eth1 1: loose");
    assert_eq!(asks(&mut cpu, "172.16.9.9"), 0, "loose, no route to the sender");
    lab.set("net.ipv4.conf.all.rp_filter", "0");
    lab.set("net.ipv4.conf.eth1.rp_filter", "0");
    assert_eq!(asks(&mut cpu, "172.16.9.9"), 1, "rp_filter 0 accepts an unroutable sender");
}

/// `fib_validate_source` for IP: strict mode drops a packet whose source routes via another
/// interface (IP_RPFILTER, IPReversePathFilter); rp_filter 0 drops a packet whose source is one
/// of our addresses (IP_LOCAL_SOURCE) unless accept_local.
#[test]
fn rp_filter_and_accept_local_on_ip() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    let echos = || lab.stacks.of(lab.h).mib().get("IcmpInEchos").copied().unwrap_or(0);
    let drops = |r: DropReason| lab.w.drop_counts().get(&r).copied().unwrap_or(0);
    let send = |cpu: &mut Cpu, i: usize, src: &str, dst: &str| {
        lab.inject(cpu, i, &eth_frame(hmac(i), PMAC, ETH_P_IP, &icmp_echo(src, dst), 14 + 36));
    };
    send(&mut cpu, 1, "10.0.0.3", "192.168.1.1");
    assert_eq!(echos(), 1, "rp_filter 0: asymmetric is fine");
    lab.set("net.ipv4.conf.eth1.rp_filter", "1");
    send(&mut cpu, 1, "10.0.0.3", "192.168.1.1");
    assert_eq!((echos(), drops(DropReason::IpRpfilter)), (1, 1), "strict");
    assert_eq!(lab.stacks.of(lab.h).mib().get("TcpExtIPReversePathFilter"), Some(&1));
    lab.set("net.ipv4.conf.eth1.rp_filter", "2");
    send(&mut cpu, 1, "10.0.0.3", "192.168.1.1");
    assert_eq!(echos(), 2, "loose");
    // A local source: martian unless accept_local.
    send(&mut cpu, 0, "192.168.1.1", "10.0.0.1");
    assert_eq!((echos(), drops(DropReason::IpLocalSource)), (2, 1), "local source, rp_filter 0");
    lab.set("net.ipv4.conf.eth0.accept_local", "1");
    send(&mut cpu, 0, "192.168.1.1", "10.0.0.1");
    assert_eq!(echos(), 3, "accept_local");
    // Strict with accept_local: the local route of 192.168.1.1 is on eth1, not eth0.
    lab.set("net.ipv4.conf.eth0.rp_filter", "1");
    send(&mut cpu, 0, "192.168.1.1", "10.0.0.1");
    assert_eq!((echos(), drops(DropReason::IpRpfilter)), (3, 2), "strict, the source lives on eth1");
}

/// `__fib_validate_source`: the local route of an address has the owning interface as its
/// nexthop device, so with accept_local a packet arriving on that very interface passes strict
/// rp_filter (`fib_info_nh_uses_dev`).
#[test]

fn rp_filter_strict_accepts_a_local_source_on_its_own_interface() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.eth0.accept_local", "1");
    lab.set("net.ipv4.conf.eth0.rp_filter", "1");
    lab.inject(&mut cpu, 0, &eth_frame(hmac(0), PMAC, ETH_P_IP, &icmp_echo("10.0.0.1", "10.0.0.1"), 14 + 36));
    assert_eq!(lab.stacks.of(lab.h).mib().get("IcmpInEchos"), Some(&1), "{:?}", lab.w.drop_counts());
}

// ------------------------------------------------------------------------------------ 4. proxy ARP

/// H with `ip neigh add proxy 10.0.0.50 dev eth0` and `ip route add 10.0.0.50/32 dev eth1`.
fn proxy_lab() -> Lab {
    let lab = two_subnets();
    let st = lab.stacks.of(lab.h);
    let mut r = lab.w.rtnl();
    let mut spec = RouteSpec::new(v4("10.0.0.50"), 32);
    spec.ifindex = Some(lab.eth[1].ifindex());
    st.route_add(&mut r, &spec).unwrap();
    st.neigh_proxy_add(&mut r, lab.eth[0].ifindex(), v4("10.0.0.50")).unwrap();
    drop(r);
    lab
}

/// `arp_process` + `pneigh_enqueue` (scenario 26): a proxy entry answers only while the
/// receiving interface forwards; a broadcast request is answered after a random delay below
/// proxy_delay (0.8 s), a unicast one at once, both with the receiving interface's MAC.
#[test]
fn proxy_entry_needs_forwarding_and_delays_broadcast_requests() {
    let lab = proxy_lab();
    let mut cpu = lab.cpu();
    let want = Arp::reply(hmac(0), "10.0.0.50", PMAC, "10.0.0.3");
    lab.ask(&mut cpu, 0, "10.0.0.50");
    lab.advance(&mut cpu, SEC);
    assert_eq!(lab.replies(0), [], "ip_forward 0");
    lab.set("net.ipv4.ip_forward", "1");
    lab.ask(&mut cpu, 0, "10.0.0.50");
    assert_eq!(lab.replies(0), [], "a broadcast request is not answered at once");
    assert_eq!(lab.neigh(0, "10.0.0.3").map(|n| n.0), Some(Nud::Stale), "the asker is learned at once");
    let mut waited = 0;
    let got = loop {
        lab.advance(&mut cpu, 10 * MS);
        waited += 10 * MS;
        let r = lab.replies(0);
        if !r.is_empty() || waited >= 2 * SEC {
            break r;
        }
    };
    assert_eq!(got, [want]);
    assert!(waited <= 800 * MS, "answered after {waited} ns");
    lab.advance(&mut cpu, SEC);
    assert_eq!(lab.replies(0), [], "once");
    // Unicast to us (PACKET_HOST): at once.
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", "10.0.0.50").frame(hmac(0)));
    assert_eq!(lab.replies(0), [want]);
}

/// `arp_process`: only the receiving interface's forwarding matters (IN_DEV_FORWARD).
#[test]
fn proxy_entry_follows_the_receiving_interfaces_forwarding() {
    let lab = proxy_lab();
    let mut cpu = lab.cpu();
    let unicast = Arp::request(PMAC, "10.0.0.3", "10.0.0.50").frame(hmac(0));
    lab.set("net.ipv4.conf.eth1.forwarding", "1");
    lab.inject(&mut cpu, 0, &unicast);
    assert_eq!(lab.replies(0), [], "eth1 forwarding only");
    lab.set("net.ipv4.conf.eth1.forwarding", "0");
    lab.set("net.ipv4.conf.eth0.forwarding", "1");
    lab.inject(&mut cpu, 0, &unicast);
    assert_eq!(lab.replies(0).len(), 1, "eth0 forwarding only");
}

/// `arp_process`: a proxy entry is used only if the route to the target leaves through another
/// interface (`rt->dst.dev != dev`).
#[test]
fn proxy_entry_is_ignored_when_the_target_routes_back_out_the_same_interface() {
    let lab = proxy_lab();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.ip_forward", "1");
    let mut spec = RouteSpec::new(v4("10.0.0.50"), 32);
    spec.ifindex = Some(lab.eth[1].ifindex());
    lab.stacks.of(lab.h).route_del(&mut lab.w.rtnl(), &spec).unwrap();
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", "10.0.0.50").frame(hmac(0)));
    lab.ask(&mut cpu, 0, "10.0.0.50");
    lab.advance(&mut cpu, SEC);
    assert_eq!(lab.replies(0), [], "10.0.0.50 is routed out of eth0 itself");
}

/// `arp_fwd_proxy`: proxy_arp answers for any target routed out of another interface, with the
/// medium_id rule (0: yes; -1: no; else only towards a different, non -1 medium).
#[test]
fn proxy_arp_and_medium_id() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.ip_forward", "1");
    lab.set("net.ipv4.conf.eth0.proxy_arp", "1");
    let mut asks = |tip: &str| {
        lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", tip).frame(hmac(0)));
        let r = lab.replies(0);
        if let Some(a) = r.first() {
            assert_eq!(*a, Arp::reply(hmac(0), tip, PMAC, "10.0.0.3"));
        }
        r.len()
    };
    assert_eq!(asks("192.168.1.77"), 1, "routed out of eth1");
    assert_eq!(asks("10.0.0.77"), 0, "routed out of eth0 itself");
    assert_eq!(asks("172.16.0.1"), 0, "no route");
    lab.set("net.ipv4.conf.eth0.medium_id", "1");
    lab.set("net.ipv4.conf.eth1.medium_id", "1");
    assert_eq!(asks("192.168.1.77"), 0, "same medium");
    lab.set("net.ipv4.conf.eth1.medium_id", "2");
    assert_eq!(asks("192.168.1.77"), 1, "different media");
    lab.set("net.ipv4.conf.eth1.medium_id", "-1");
    assert_eq!(asks("192.168.1.77"), 0, "out medium -1");
    lab.set("net.ipv4.conf.eth0.medium_id", "-1");
    lab.set("net.ipv4.conf.eth1.medium_id", "0");
    assert_eq!(asks("192.168.1.77"), 0, "in medium -1");
}

/// `arp_fwd_pvlan` (RFC 3069): with proxy_arp_pvlan the interface answers for targets routed
/// back out of itself, except self-probes (sip == tip).
#[test]
fn proxy_arp_pvlan_answers_on_the_same_interface() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.ip_forward", "1");
    lab.set("net.ipv4.conf.eth0.proxy_arp_pvlan", "1");
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", "10.0.0.77").frame(hmac(0)));
    assert_eq!(lab.replies(0), [Arp::reply(hmac(0), "10.0.0.77", PMAC, "10.0.0.3")]);
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.77", "10.0.0.77").frame(hmac(0)));
    assert_eq!(lab.replies(0), [], "self probe");
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", "192.168.1.77").frame(hmac(0)));
    assert_eq!(lab.replies(0), [], "routed out of another interface: that is proxy_arp's job");
}

/// `fib_add_ifaddr` → `fib_magic(RTM_NEWROUTE, ..., NLM_F_CREATE | NLM_F_APPEND)`: each address
/// gets its prefix route even when another interface already has the same prefix (different
/// nexthop, so `fib_table_insert` finds no exact match); with eth0 down, 10.0.0.0/24 is still
/// reachable through eth1.
#[test]

fn flux_both_prefix_routes_exist() {
    let lab = flux(false);
    let st = lab.stacks.of(lab.h);
    let devs: Vec<u32> =
        st.routes4().iter().filter(|r| r.dst == ip("10.0.0.0") && r.plen == 24).map(|r| r.ifindex).collect();
    assert_eq!(devs, [lab.eth[0].ifindex(), lab.eth[1].ifindex()]);
    lab.w.rtnl().set_up(&lab.eth[0], false).unwrap();
    let rt = st.route_get(v4("10.0.0.3"), None).expect("route via eth1");
    assert_eq!((rt.ifindex, rt.src), (lab.eth[1].ifindex(), Some(v4("10.0.0.2"))));
}

// ----------------------------------------------------------------------------- 5. neighbour updates

/// H resolves 10.0.0.3 on eth0 and P answers by unicast: REACHABLE with [`PMAC`].
fn reachable_lab() -> Lab {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.udp(&mut cpu, lab.h, "10.0.0.1", "10.0.0.3");
    let req = lab.arps(0);
    assert_eq!(req, [(MacAddr::BROADCAST, hmac(0), Arp::request(hmac(0), "10.0.0.1", "10.0.0.3"))]);
    lab.inject(&mut cpu, 0, &Arp::reply(PMAC, "10.0.0.3", hmac(0), "10.0.0.1").frame(hmac(0)));
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Reachable, Some(PMAC))));
    lab
}

/// `arp_process` → `neigh_update`: a broadcast request (STALE) with the cached MAC leaves a
/// REACHABLE entry REACHABLE, whether it asks for us or not; a request for us from a new MAC
/// overrides at once (`neigh_event_ns` always passes OVERRIDE).
#[test]
fn reachable_entry_survives_requests_with_the_same_mac() {
    let lab = reachable_lab();
    let mut cpu = lab.cpu();
    lab.ask(&mut cpu, 0, "10.0.0.1");
    assert_eq!(lab.replies(0).len(), 1);
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Reachable, Some(PMAC))), "request for us");
    lab.ask(&mut cpu, 0, "10.0.0.77");
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Reachable, Some(PMAC))), "request for another host");
    lab.inject(&mut cpu, 0, &Arp::request(QMAC, "10.0.0.3", "10.0.0.1").frame(MacAddr::BROADCAST));
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Stale, Some(QMAC))), "a request for us overrides");
}

/// `arp_process`: for packets not for us, a different MAC overrides only once `locktime` has
/// passed since the entry's last update, or for a gratuitous ARP (`arp_is_garp`).
#[test]
fn locktime_protects_an_entry_from_other_packets_but_not_from_garp() {
    let lab = reachable_lab();
    let mut cpu = lab.cpu();
    let other = Arp::request(QMAC, "10.0.0.3", "10.0.0.77").frame(MacAddr::BROADCAST);
    lab.advance(&mut cpu, 500 * MS);
    lab.inject(&mut cpu, 0, &other);
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Reachable, Some(PMAC))), "within locktime");
    lab.advance(&mut cpu, 600 * MS);
    lab.inject(&mut cpu, 0, &other);
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Stale, Some(QMAC))), "after locktime");
    // Just updated; a gratuitous request overrides anyway.
    lab.inject(&mut cpu, 0, &Arp::request(PMAC, "10.0.0.3", "10.0.0.3").frame(MacAddr::BROADCAST));
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Stale, Some(PMAC))), "garp");
}

/// `arp_accept` (MAX): whether unsolicited ARP creates an entry. 0: never; 1: from gratuitous
/// ARP (STALE) and unsolicited unicast replies (REACHABLE); 2: as 1 for senders in a subnet of
/// the receiving interface.
#[test]
fn arp_accept_controls_new_entries_from_unsolicited_arp() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    let garp = |sip: &str| Arp::request(PMAC, sip, sip).frame(MacAddr::BROADCAST);
    lab.inject(&mut cpu, 0, &garp("10.0.0.3"));
    lab.inject(&mut cpu, 0, &Arp::reply(PMAC, "10.0.0.4", hmac(0), "10.0.0.1").frame(hmac(0)));
    assert!(lab.stacks.of(lab.h).neighbours().is_empty(), "arp_accept 0");
    lab.set("net.ipv4.conf.eth0.arp_accept", "1");
    lab.inject(&mut cpu, 0, &garp("10.0.0.3"));
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Stale, Some(PMAC))), "garp request");
    lab.inject(&mut cpu, 0, &Arp::reply(PMAC, "10.0.0.4", hmac(0), "10.0.0.1").frame(hmac(0)));
    assert_eq!(lab.neigh(0, "10.0.0.4"), Some((Nud::Reachable, Some(PMAC))), "unsolicited unicast reply");
    lab.inject(&mut cpu, 0, &garp("172.16.0.5"));
    assert_eq!(lab.neigh(0, "172.16.0.5").map(|n| n.0), Some(Nud::Stale), "1: any sender");
    lab.set("net.ipv4.conf.eth0.arp_accept", "0");
    lab.set("net.ipv4.conf.all.arp_accept", "2");
    lab.inject(&mut cpu, 0, &garp("10.0.0.5"));
    lab.inject(&mut cpu, 0, &garp("172.16.0.6"));
    assert_eq!(lab.neigh(0, "10.0.0.5").map(|n| n.0), Some(Nud::Stale), "2: sender in eth0's subnet");
    assert_eq!(lab.neigh(0, "172.16.0.6"), None, "2: sender outside");
    lab.inject(&mut cpu, 0, &garp("192.168.1.9"));
    assert_eq!(lab.neigh(0, "192.168.1.9"), None, "2: a subnet of another interface does not count");
}

/// `arp_process`: an unsolicited reply creates an entry only for a unicast sender
/// (`inet_addr_type_dev_table(sip) == RTN_UNICAST`); a multicast sender is RTN_MULTICAST.
#[test]

fn arp_accept_never_creates_an_entry_for_a_multicast_sender() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.conf.eth0.arp_accept", "1");
    lab.inject(&mut cpu, 0, &Arp::reply(PMAC, "224.0.0.9", hmac(0), "10.0.0.1").frame(hmac(0)));
    assert!(lab.stacks.of(lab.h).neighbours().is_empty());
}

// ---------------------------------------------------------------------------------- 6. NUD timers

/// `__neigh_event_send` + `neigh_timer_handler`: INCOMPLETE sends mcast_solicit (3) broadcast
/// requests retrans_time (1 s) apart and fails at 3 s.
#[test]
fn incomplete_probes_three_times_then_fails() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.udp(&mut cpu, lab.h, "10.0.0.1", "10.0.0.9");
    let mut log = Vec::new();
    for t in [0, 990, 1000, 1990, 2000, 2990, 3000, 5000] {
        let now = cpu.now();
        lab.advance(&mut cpu, (t * MS).saturating_sub(now));
        let n = lab.arps(0);
        for (dst, _, a) in &n {
            assert_eq!((*dst, a.op, a.tip), (MacAddr::BROADCAST, ARPOP_REQUEST, ip("10.0.0.9")));
        }
        log.push((t, n.len(), lab.neigh(0, "10.0.0.9").unwrap().0));
    }
    use Nud::{Failed, Incomplete};
    assert_eq!(
        log,
        [
            (0, 1, Incomplete),
            (990, 0, Incomplete),
            (1000, 1, Incomplete),
            (1990, 0, Incomplete),
            (2000, 1, Incomplete),
            (2990, 0, Incomplete),
            (3000, 0, Failed),
            (5000, 0, Failed),
        ]
    );
}

/// `__neigh_event_send` + `neigh_timer_handler`: a STALE entry goes DELAY when used, PROBE
/// after delay_first_probe_time (5 s) with ucast_solicit (3) unicast requests 1 s apart, and
/// FAILED after the third goes unanswered (mcast_resolicit 0: no broadcast).
#[test]
fn stale_delay_probe_failed_when_the_peer_vanished() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.ask(&mut cpu, 0, "10.0.0.1");
    assert_eq!(lab.replies(0).len(), 1);
    assert_eq!(lab.neigh(0, "10.0.0.3"), Some((Nud::Stale, Some(PMAC))));
    lab.advance(&mut cpu, 10 * SEC);
    let t0 = cpu.now();
    lab.udp(&mut cpu, lab.h, "10.0.0.1", "10.0.0.3");
    assert_eq!(lab.neigh(0, "10.0.0.3").unwrap().0, Nud::Delay);
    assert_eq!(lab.arps(0), [], "sent at once to the cached MAC, no request");
    let mut log = Vec::new();
    for t in [4990, 5000, 5990, 6000, 6990, 7000, 7990, 8000, 9000] {
        let now = cpu.now();
        lab.advance(&mut cpu, (t0 + t * MS) - now);
        let n = lab.arps(0);
        for (dst, _, a) in &n {
            assert_eq!((*dst, a.op, a.sip, a.tip), (PMAC, ARPOP_REQUEST, ip("10.0.0.1"), ip("10.0.0.3")));
        }
        log.push((t, n.len(), lab.neigh(0, "10.0.0.3").unwrap().0));
    }
    use Nud::{Delay, Failed, Probe};
    assert_eq!(
        log,
        [
            (4990, 0, Delay),
            (5000, 1, Probe),
            (5990, 0, Probe),
            (6000, 1, Probe),
            (6990, 0, Probe),
            (7000, 1, Probe),
            (7990, 0, Probe),
            (8000, 0, Failed),
            (9000, 0, Failed),
        ]
    );
}

/// `neigh_timer_handler`: a REACHABLE entry nobody uses goes STALE once `reachable_time`
/// (`neigh_rand_reach_time`: uniform in [base/2, 3*base/2) = [15 s, 45 s)) has passed since its
/// confirmation. The timer fires at exactly `confirmed + reachable_time`, where
/// `time_before_eq(now, confirmed + reachable_time)` still holds, so the kernel re-arms it at
/// `next = confirmed + reachable_time`, floored to `jiffies + HZ/100`: STALE 10 ms later.
#[test]

fn reachable_goes_stale_after_reachable_time() {
    let when = bounded(60, || {
        let lab = reachable_lab();
        let mut cpu = lab.cpu();
        let t0 = cpu.now();
        while cpu.now() - t0 < 50 * SEC {
            lab.advance(&mut cpu, 100 * MS);
            match lab.neigh(0, "10.0.0.3").unwrap().0 {
                Nud::Reachable => {}
                Nud::Stale => return Some(cpu.now() - t0),
                s => panic!("{s} at {}", cpu.now() - t0),
            }
        }
        None
    });
    let when = when.expect("went stale");
    assert!((15 * SEC..45 * SEC + 100 * MS).contains(&when), "stale after {when} ns");
}

// --------------------------------------------------------------------------------- 7. arp_queue

/// `__neigh_event_send`: packets for an unresolved neighbour wait on it up to unres_qlen_bytes;
/// past that the oldest go (NEIGH_QUEUEFULL). Once resolved, the survivors leave in order.
/// Every packet is accounted for: sent, dropped or consumed.
#[test]
fn unresolved_queue_drops_the_oldest_and_counts_everything() {
    let lab = two_subnets();
    let mut cpu = lab.cpu();
    lab.set("net.ipv4.neigh.eth0.unres_qlen_bytes", "8192");
    let st = lab.stacks.of(lab.h);
    let id = st.udp_bind(SocketAddr::new(v4("10.0.0.1"), 5000)).unwrap();
    const N: u8 = 40;
    let (drops0, consumed0) = (lab.w.total_drops(), lab.w.total_consumed());
    for i in 0..N {
        st.udp_send_to(&mut cpu, id, &[i], SocketAddr::new(v4("10.0.0.3"), 9)).unwrap();
        cpu.run_until_idle(100_000);
    }
    assert_eq!(lab.arps(0).len(), 1, "one request");
    let full = lab.w.drop_counts().get(&DropReason::NeighQueueFull).copied().unwrap_or(0);
    assert!(full > 0 && full < u64::from(N), "{full} dropped");
    lab.inject(&mut cpu, 0, &Arp::reply(PMAC, "10.0.0.3", hmac(0), "10.0.0.1").frame(hmac(0)));
    let sent: Vec<u8> = lab.taps[0]
        .take()
        .into_iter()
        .filter(|t| t.direction == Direction::Incoming && t.frame[12..14] == ETH_P_IP.to_be_bytes())
        .map(|t| *t.frame.last().unwrap())
        .collect();
    let kept = u64::from(N) - full;
    assert_eq!(sent, (N - kept as u8..N).collect::<Vec<u8>>(), "the newest {kept} survive, in order");
    // Ledger: N datagrams, one request, one injected reply; none still queued anywhere.
    cpu.run_until_idle(100_000);
    let drops = lab.w.total_drops() - drops0;
    let consumed = lab.w.total_consumed() - consumed0;
    assert_eq!(drops + consumed + cpu.backlog_len() as u64, u64::from(N) + 2, "{:?}", lab.w.drop_counts());
}
