//! Seed `004` (OpenVZ wiki, "ARP flux with containers"), end to end: a hardware node (HN) with
//! three Ethernet devices on one segment, a client on that segment, containers on venet.
//!
//! HN: eth0 192.168.18.10 (00:0c:29:b3:a2:54), eth4 192.168.18.12 (…:5e), eth3 192.168.18.11
//! (…:68), created in that order so `ip addr list` (and so vzctl's `vzgetnetdev`) walks them as
//! the page's capture does; the client P is 192.168.18.129 (00:0c:29:d2:c7:aa); CT101 holds
//! 192.168.18.101 and CT102 192.168.18.102. HN's devices are veths whose far ends sit in a
//! namespace `seg`; there is no bridge yet, so [`Lab::hub`] is the segment (the page's VMware
//! network): every frame arriving at a far end goes out of all the others, in arrival order.
//!
//! The page's findings, each a test: the HN answers ARP for its own addresses from every device
//! (the weak host model, `arp_process`) until `arp_ignore=1`/`arp_announce=2`; vzctl's proxy
//! entries on every device (`vzarp` in `vps-net_add`) make every device answer for every
//! container address whatever arp_ignore says (proxy replies are not subject to it), and its
//! `arpsend` announcements make each device answer the others; only per-device proxy entries
//! end the containers' flux.

#![cfg(feature = "vzctl")]

mod common;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};

use common::{INIT, SEC, addr_add, net, sysctl, veth, world};
use netdev_core::{Cpu, Direction, MacAddr, NetDevice, NetnsId, Tap, TapPacket, World};
use netdev_venet::{NeighbourDevs, Save, Vz, VzConf};
use stack_adapter::Stacks;

const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IP: u16 = 0x0800;
const MAC_ETH0: MacAddr = MacAddr([0, 0x0c, 0x29, 0xb3, 0xa2, 0x54]);
const MAC_ETH4: MacAddr = MacAddr([0, 0x0c, 0x29, 0xb3, 0xa2, 0x5e]);
const MAC_ETH3: MacAddr = MacAddr([0, 0x0c, 0x29, 0xb3, 0xa2, 0x68]);
const MAC_P: MacAddr = MacAddr([0, 0x0c, 0x29, 0xd2, 0xc7, 0xaa]);

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// An ARP packet seen on the wire (`tcpdump`'s view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Arp {
    eth_src: MacAddr,
    eth_dst: MacAddr,
    op: u16,
    sha: MacAddr,
    sip: Ipv4Addr,
    tip: Ipv4Addr,
}

impl Arp {
    fn parse(f: &[u8]) -> Option<Arp> {
        if f.len() < 42 || u16::from_be_bytes([f[12], f[13]]) != ETH_P_ARP {
            return None;
        }
        let mac = |o: usize| MacAddr([f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4], f[o + 5]]);
        let ip = |o: usize| Ipv4Addr::new(f[o], f[o + 1], f[o + 2], f[o + 3]);
        Some(Arp {
            eth_dst: mac(0),
            eth_src: mac(6),
            op: u16::from_be_bytes([f[20], f[21]]),
            sha: mac(22),
            sip: ip(28),
            tip: ip(38),
        })
    }

    /// `arp who-has TIP tell SIP` from `src`, broadcast.
    fn who_has(src: MacAddr, tip: &str, sip: &str) -> Arp {
        Arp { eth_src: src, eth_dst: MacAddr::BROADCAST, op: 1, sha: src, sip: v4(sip), tip: v4(tip) }
    }

    /// `arp reply TIP is-at SRC` from `src` to `dst` (our `tip` is the reply's sender IP).
    fn is_at(src: MacAddr, dst: MacAddr, ip: &str) -> (MacAddr, MacAddr, Ipv4Addr) {
        (src, dst, v4(ip))
    }

    fn reply_key(&self) -> (MacAddr, MacAddr, Ipv4Addr) {
        (self.eth_src, self.eth_dst, self.sip)
    }
}

/// The segment: one tap on every far end, logging in arrival order.
#[derive(Debug, Default)]
struct Wire(Mutex<Vec<(u32, Vec<u8>)>>);

impl Tap for Wire {
    fn packet(&self, p: &TapPacket<'_>) {
        if p.direction == Direction::Incoming {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push((p.ifindex, p.frame.to_vec()));
        }
    }
}

struct Lab {
    w: World,
    stacks: Stacks,
    vz: Vz,
    cpu: Cpu,
    /// HN's eth0, eth4, eth3.
    eth: [Arc<NetDevice>; 3],
    p: NetnsId,
    p0: Arc<NetDevice>,
    /// The far ends in `seg`: eth0's, eth4's, eth3's, P's.
    ports: [Arc<NetDevice>; 4],
    wire: Arc<Wire>,
    /// Everything that reached P's far end (what tcpdump on the client shows).
    at_p: Vec<Vec<u8>>,
}

fn lab(seed: u64) -> Lab {
    let (w, stacks) = world(seed);
    let (seg, p) = {
        let mut r = w.rtnl();
        (r.netns_add("seg").unwrap(), r.netns_add("client").unwrap())
    };
    for ns in [INIT, seg, p] {
        for k in ["all", "default"] {
            sysctl(&w, &stacks, ns, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1");
        }
    }
    let mk = |name: &str, far: &str, mac: MacAddr, a: &str| {
        let (e, x) = veth(&w, INIT, name, seg, far, mac);
        addr_add(&w, &stacks, &e, a, 24);
        (e, x)
    };
    let (e0, w0) = mk("eth0", "w0", MAC_ETH0, "192.168.18.10");
    let (e4, w4) = mk("eth4", "w4", MAC_ETH4, "192.168.18.12");
    let (e3, w3) = mk("eth3", "w3", MAC_ETH3, "192.168.18.11");
    let (p0, wp) = veth(&w, p, "p0", seg, "wp", MAC_P);
    addr_add(&w, &stacks, &p0, "192.168.18.129", 24);
    let wire = Arc::new(Wire::default());
    let ports = [w0, w4, w3, wp];
    for x in &ports {
        x.add_tap(wire.clone());
    }
    let vz = Vz::new(&w, &stacks).unwrap();
    let cpu = w.cpu(0).unwrap();
    let mut l = Lab { w, stacks, vz, cpu, eth: [e0, e4, e3], p, p0, ports, wire, at_p: Vec::new() };
    l.hub();
    l.at_p.clear();
    l
}

impl Lab {
    /// Repeat every frame that reached a far end out of every other far end, in arrival order,
    /// until the segment is quiet. What reaches P's far end is kept in `at_p`.
    fn hub(&mut self) {
        for _ in 0..64 {
            self.cpu.run_until_idle(100_000);
            let arrived = std::mem::take(&mut *self.wire.0.lock().unwrap_or_else(PoisonError::into_inner));
            if arrived.is_empty() {
                return;
            }
            for (ifindex, f) in arrived {
                let et = u16::from_be_bytes([f[12], f[13]]);
                if et != ETH_P_ARP && et != ETH_P_IP {
                    continue;
                }
                let from = self.ports.iter().position(|x| x.ifindex() == ifindex);
                if from == Some(3) {
                    self.at_p.push(f.clone());
                }
                for (j, x) in self.ports.iter().enumerate() {
                    if Some(j) != from {
                        let skb = self.cpu.alloc_frame(&f);
                        self.cpu.dev_queue_xmit(x, skb);
                    }
                }
                // What HN sends reaches P's far end through the hub only; P sees it too.
                if from != Some(3) {
                    self.at_p.push(f);
                }
            }
        }
        panic!("the segment did not settle");
    }

    /// Let `ns` nanoseconds pass, 10 ms at a time, the segment working in between.
    fn run(&mut self, ns: u64) {
        let step = SEC / 100;
        let mut done = 0;
        while done < ns {
            self.cpu.advance(step);
            self.hub();
            done += step;
        }
    }

    fn hn_set(&self, name: &str, value: &str) {
        sysctl(&self.w, &self.stacks, INIT, name, value);
    }

    /// The ARP packets P saw since the last call.
    fn arps_at_p(&mut self) -> Vec<Arp> {
        std::mem::take(&mut self.at_p).iter().filter_map(|f| Arp::parse(f)).collect()
    }

    /// P forgets everything (`ip neigh flush all`) and asks who has `tip`; one second passes.
    fn p_asks(&mut self, tip: &str) -> Vec<Arp> {
        self.stacks.of(self.p).neigh_flush(&mut self.w.rtnl(), None, true, false);
        self.arps_at_p();
        let st = self.stacks.of(self.p);
        let id = st.udp_bind("192.168.18.129:0".parse().unwrap()).unwrap();
        st.udp_send_to(&mut self.cpu, id, b"x", format!("{tip}:9").parse().unwrap()).unwrap();
        st.socket_release(id);
        self.hub();
        self.run(SEC);
        self.arps_at_p()
    }

    /// P's neighbour entry for `ip`.
    fn p_neigh(&self, ip: &str) -> Option<MacAddr> {
        self.stacks.of(self.p).neigh_lookup(self.p0.ifindex(), ip.parse().unwrap()).and_then(|n| n.1)
    }

    /// The replies (Ethernet source, destination, the IP they claim) among `arps`.
    fn replies(arps: &[Arp]) -> Vec<(MacAddr, MacAddr, Ipv4Addr)> {
        let mut v: Vec<_> = arps.iter().filter(|a| a.op == 2).map(Arp::reply_key).collect();
        v.sort();
        v
    }

    /// P sends a datagram to `dst`:7 and the container holding `dst` (in `ct`) answers it: true
    /// if the answer came back (two seconds with the segment working, enough for P to resolve
    /// `dst` through a delayed proxy reply).
    fn udp_round_trip(&mut self, ct: NetnsId, dst: &str) -> bool {
        let (sp, sc) = (self.stacks.of(self.p), self.stacks.of(ct));
        let server = sc.udp_bind(format!("{dst}:7").parse().unwrap()).unwrap();
        let client = sp.udp_bind("192.168.18.129:4000".parse().unwrap()).unwrap();
        sp.udp_send_to(&mut self.cpu, client, b"ping", format!("{dst}:7").parse().unwrap()).unwrap();
        self.hub();
        self.run(SEC);
        let ok = match sc.udp_recv_from(server) {
            Some((data, from)) => {
                sc.udp_send_to(&mut self.cpu, server, &data, from).unwrap();
                self.hub();
                self.run(SEC);
                sp.udp_recv_from(client).is_some_and(|(d, _)| d == b"ping")
            }
            None => false,
        };
        sp.socket_release(client);
        sc.socket_release(server);
        ok
    }
}

/// "Example One" and "Example Two" (`arp_process`, the weak host model; `arp_ignore`): P's
/// broadcast who-has for eth0's address is answered by all three devices, each with its own
/// MAC, and P keeps the first (the locktime rule); with `all.arp_ignore=1` and
/// `all.arp_announce=2` only eth0 answers.
#[test]
fn hn_arp_flux_and_the_sysctl_remedy() {
    let mut l = lab(1);
    let arps = l.p_asks("192.168.18.10");
    assert_eq!(arps[0], Arp::who_has(MAC_P, "192.168.18.10", "192.168.18.129"));
    let mut want = vec![
        Arp::is_at(MAC_ETH4, MAC_P, "192.168.18.10"),
        Arp::is_at(MAC_ETH0, MAC_P, "192.168.18.10"),
        Arp::is_at(MAC_ETH3, MAC_P, "192.168.18.10"),
    ];
    want.sort();
    assert_eq!(Lab::replies(&arps), want);
    let first = arps.iter().find(|a| a.op == 2).unwrap().eth_src;
    assert_eq!(l.p_neigh("192.168.18.10"), Some(first), "the first reply wins");
    l.hn_set("net.ipv4.conf.all.arp_ignore", "1");
    l.hn_set("net.ipv4.conf.all.arp_announce", "2");
    let arps = l.p_asks("192.168.18.10");
    assert_eq!(Lab::replies(&arps), [Arp::is_at(MAC_ETH0, MAC_P, "192.168.18.10")]);
    assert_eq!(l.p_neigh("192.168.18.10"), Some(MAC_ETH0));
}

/// "Example Three", "The ARP Cache" and "The Cause": with the HN remedy in place, `vzctl start`
/// (`vps-net_add`) puts a proxy entry for each container address on each device
/// (`ip neigh add proxy`), sends `vzarpipdetect`'s who-has from each device and `vzarp`'s
/// gratuitous who-has from each device — and each device answers the other two's gratuitous
/// requests by proxy (`arp_process` → `pneigh_lookup`; arp_ignore does not apply to proxy
/// replies): the page's twelve packets. P's who-has for a container is answered by all three
/// devices, traffic flows, and every re-announcement moves P's entry to the last device that
/// announced: the container's address drifts between the three MACs.
#[test]
fn containers_flux_through_proxy_entries_on_every_device() {
    let mut l = lab(6);
    l.hn_set("net.ipv4.conf.all.arp_ignore", "1");
    l.hn_set("net.ipv4.conf.all.arp_announce", "2");
    l.hn_set("net.ipv4.ip_forward", "1");
    for (ct, a) in [(101, "192.168.18.101"), (102, "192.168.18.102")] {
        l.vz.set_ipadd(&mut l.cpu, ct, &[net(a)], Save::Yes);
    }
    let rep = l.vz.start(&mut l.cpu, 101);
    assert_eq!(rep.exit_code, 0, "{:?}", rep.lines());
    l.hub();
    let sent = l.arps_at_p();
    assert_eq!(
        sent,
        [
            Arp::who_has(MAC_ETH0, "192.168.18.101", "192.168.18.10"),
            Arp::who_has(MAC_ETH4, "192.168.18.101", "192.168.18.12"),
            Arp::who_has(MAC_ETH3, "192.168.18.101", "192.168.18.11"),
            Arp::who_has(MAC_ETH0, "192.168.18.101", "192.168.18.101"),
            Arp::who_has(MAC_ETH4, "192.168.18.101", "192.168.18.101"),
            Arp::who_has(MAC_ETH3, "192.168.18.101", "192.168.18.101"),
        ],
        "vzarpipdetect, then vzarp's announcements, in vzgetnetdev's order"
    );
    l.run(SEC);
    let mut want: Vec<_> = [(MAC_ETH4, MAC_ETH3), (MAC_ETH4, MAC_ETH0), (MAC_ETH3, MAC_ETH0), (MAC_ETH3, MAC_ETH4)]
        .into_iter()
        .chain([(MAC_ETH0, MAC_ETH4), (MAC_ETH0, MAC_ETH3)])
        .map(|(s, d)| Arp::is_at(s, d, "192.168.18.101"))
        .collect();
    want.sort();
    assert_eq!(Lab::replies(&l.arps_at_p()), want, "each device answers the other two's announcement");
    assert_eq!(l.vz.start(&mut l.cpu, 102).exit_code, 0);
    l.run(SEC);
    // `arp -an` on the HN: PERM PUB entries for each address on each device.
    let names = |i: u32| l.w.rtnl().dev_by_index(INIT, i).unwrap().name().to_string();
    let mut proxies: Vec<(String, String)> = l
        .stacks
        .of(INIT)
        .neighbours()
        .into_iter()
        .filter(|n| n.proxy)
        .map(|n| (n.addr.to_string(), names(n.ifindex)))
        .collect();
    proxies.sort();
    let mut want = Vec::new();
    for a in ["192.168.18.101", "192.168.18.102"] {
        for d in ["eth0", "eth3", "eth4"] {
            want.push((a.to_string(), d.to_string()));
        }
    }
    assert_eq!(proxies, want);
    // P asks for CT101: three proxy replies although arp_ignore=1.
    let arps = l.p_asks("192.168.18.101");
    let mut want = vec![
        Arp::is_at(MAC_ETH0, MAC_P, "192.168.18.101"),
        Arp::is_at(MAC_ETH4, MAC_P, "192.168.18.101"),
        Arp::is_at(MAC_ETH3, MAC_P, "192.168.18.101"),
    ];
    want.sort();
    assert_eq!(Lab::replies(&arps), want);
    let first = arps.iter().find(|a| a.op == 2).unwrap().eth_src;
    assert_eq!(l.p_neigh("192.168.18.101"), Some(first), "P keeps the first proxy reply");
    assert_ne!(first, MAC_ETH3, "with this seed the first reply is not eth3's, so the drift below shows");
    let ct101 = l.vz.netns(101).unwrap();
    assert!(l.udp_round_trip(ct101, "192.168.18.101"), "P reaches CT101 through the HN");
    // Re-adding the address re-announces it from each device: P's entry follows the last one.
    l.vz.set_ipdel(&mut l.cpu, 101, netdev_venet::IpDel::Addrs(&[net("192.168.18.101")]), Save::No);
    l.vz.set_ipadd(&mut l.cpu, 101, &[net("192.168.18.101")], Save::No);
    l.run(SEC);
    assert_eq!(l.p_neigh("192.168.18.101"), Some(MAC_ETH3), "the address drifted to eth3's MAC");
}

/// "The Quick Fix": proxy entries only where the operator wants them (a custom `vps-net_add`
/// adding `ip neigh add proxy IP dev eth0` only). Only eth0 announces and answers; nothing
/// else on the segment claims the containers.
#[test]
fn per_device_proxy_entries_end_the_flux() {
    let mut l = lab(3);
    l.hn_set("net.ipv4.ip_forward", "1");
    l.vz.set_conf(VzConf { neighbour_devs: NeighbourDevs::List(vec!["eth0".into()]), ..VzConf::default() });
    l.vz.set_ipadd(&mut l.cpu, 101, &[net("192.168.18.101")], Save::Yes);
    l.vz.start(&mut l.cpu, 101);
    l.hub();
    l.run(SEC);
    let arps = l.arps_at_p();
    assert_eq!(
        arps,
        [
            Arp::who_has(MAC_ETH0, "192.168.18.101", "192.168.18.10"),
            Arp::who_has(MAC_ETH0, "192.168.18.101", "192.168.18.101"),
        ]
    );
    let proxies: Vec<u32> = l.stacks.of(INIT).neighbours().iter().filter(|n| n.proxy).map(|n| n.ifindex).collect();
    assert_eq!(proxies, [l.eth[0].ifindex()]);
    let arps = l.p_asks("192.168.18.101");
    assert_eq!(Lab::replies(&arps), [Arp::is_at(MAC_ETH0, MAC_P, "192.168.18.101")]);
    let ct101 = l.vz.netns(101).unwrap();
    assert!(l.udp_round_trip(ct101, "192.168.18.101"));
    assert_eq!(l.p_neigh("192.168.18.101"), Some(MAC_ETH0));
}

/// `NEIGHBOUR_DEVS=detect` (vzctl's `vz_get_neighbour_devs`): the device the route to the
/// address leaves through (here the first of the three connected routes, eth0's) gets the
/// entry; `vps-net_del` (on `--ipdel`) removes it again.
#[test]
fn detect_uses_the_routes_device() {
    let mut l = lab(4);
    l.vz.set_conf(VzConf { neighbour_devs: NeighbourDevs::Detect, ..VzConf::default() });
    l.vz.start(&mut l.cpu, 101);
    l.vz.set_ipadd(&mut l.cpu, 101, &[net("192.168.18.101")], Save::No);
    let proxies =
        || -> Vec<u32> { l.stacks.of(INIT).neighbours().iter().filter(|n| n.proxy).map(|n| n.ifindex).collect() };
    assert_eq!(proxies(), [l.eth[0].ifindex()]);
    l.vz.set_ipdel(&mut l.cpu, 101, netdev_venet::IpDel::All, Save::No);
    assert!(proxies().is_empty());
}

/// Scenario 23, the last sentence (`arp_process`: proxying needs `IN_DEV_FORWARD` on the
/// receiving device): with `ip_forward=0` nobody answers for the container; forwarding on eth0
/// alone makes eth0 alone answer.
#[test]
fn proxy_answers_need_forwarding_on_the_receiving_device() {
    let mut l = lab(5);
    l.vz.set_ipadd(&mut l.cpu, 101, &[net("192.168.18.101")], Save::Yes);
    l.vz.start(&mut l.cpu, 101);
    l.run(SEC);
    assert_eq!(Lab::replies(&l.p_asks("192.168.18.101")), []);
    l.hn_set("net.ipv4.conf.eth0.forwarding", "1");
    assert_eq!(Lab::replies(&l.p_asks("192.168.18.101")), [Arp::is_at(MAC_ETH0, MAC_P, "192.168.18.101")]);
}
