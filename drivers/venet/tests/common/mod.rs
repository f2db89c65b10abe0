//! Shared set-up of the venet integration tests: a host (VE0 = the initial namespace) with IP
//! stacks, an Ethernet `eth0` whose far end sits in a namespace `seg`, and vzctl.

#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use netdev_core::{
    Cpu, Direction, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, Tap, TapPacket, World, WorldConfig,
};
use netdev_venet::{IpNet, Vz};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};
use stack_adapter::{AddrOpts, PingOpts, PingReport, SockError, Stack, Stacks};

pub const SEC: u64 = 1_000_000_000;
pub const INIT: NetnsId = NetnsId::INIT;

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// A World with veth and venet registered and an IP stack in every namespace.
pub fn world(seed: u64) -> (World, Stacks) {
    let w = World::new(WorldConfig { seed, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    netdev_venet::register(&w).unwrap();
    let stacks = stack_adapter::install(&w).unwrap();
    (w, stacks)
}

/// `ip [-n A] link add A type veth peer name B netns NS_B`, both ends up, `a` with `mac`.
pub fn veth(
    w: &World,
    ns_a: NetnsId,
    a: &str,
    ns_b: NetnsId,
    b: &str,
    mac: MacAddr,
) -> (Arc<NetDevice>, Arc<NetDevice>) {
    let mut r = w.rtnl();
    let cfg =
        VethConfig { peer: PeerSpec { name: Some(b.into()), netns: Some(PeerNetns::Id(ns_b)), ..PeerSpec::default() } };
    let req = NewLink { name: Some(a.into()), ..NewLink::in_netns(ns_a) };
    let main = r.newlink("veth", &req, &(Box::new(cfg) as KindConfig)).unwrap();
    let peer = Veth::peer_of(&main).unwrap();
    r.set_address(&main, mac).unwrap();
    r.set_up(&main, true).unwrap();
    r.set_up(&peer, true).unwrap();
    (main, peer)
}

/// `ip addr add ADDR/PLEN dev DEV` in `dev`'s namespace.
pub fn addr_add(w: &World, stacks: &Stacks, dev: &NetDevice, a: &str, plen: u8) {
    stacks.of(dev.netns()).addr_add(&mut w.rtnl(), dev.ifindex(), ip(a), plen, &AddrOpts::default()).unwrap();
}

/// `sysctl -w NAME=VALUE` in `ns`.
pub fn sysctl(w: &World, stacks: &Stacks, ns: NetnsId, name: &str, value: &str) {
    stacks.of(ns).sysctl_set(&mut w.rtnl(), name, value).unwrap();
}

/// The standard host: `eth0` 192.168.18.10/24 (its far end `w0` in `seg`), and vzctl.
pub struct Host {
    pub w: World,
    pub stacks: Stacks,
    pub vz: Vz,
    pub cpu: Cpu,
    pub eth0: Arc<NetDevice>,
    pub seg: NetnsId,
}

pub fn host(seed: u64) -> Host {
    let (w, stacks) = world(seed);
    let seg = w.rtnl().netns_add("seg").unwrap();
    let (eth0, _) = veth(&w, INIT, "eth0", seg, "w0", MacAddr([0, 0x0c, 0x29, 0xb3, 0xa2, 0x54]));
    addr_add(&w, &stacks, &eth0, "192.168.18.10", 24);
    let vz = Vz::new(&w, &stacks).unwrap();
    let cpu = w.cpu(0).unwrap();
    Host { w, stacks, vz, cpu, eth0, seg }
}

impl Host {
    pub fn stack(&self, ns: NetnsId) -> Arc<Stack> {
        self.stacks.of(ns)
    }

    pub fn ct(&self, ctid: u32) -> NetnsId {
        self.vz.netns(ctid).unwrap()
    }

    /// `ping -c COUNT DST` from `ns` (0.2 s apart, 1 s timeout).
    pub fn ping(&mut self, ns: NetnsId, dst: &str, count: u32) -> PingReport {
        self.try_ping(ns, dst, count).unwrap()
    }

    /// [`Host::ping`], or why `ping` could not even start (`connect: Network is unreachable`).
    pub fn try_ping(&mut self, ns: NetnsId, dst: &str, count: u32) -> Result<PingReport, SockError> {
        let mut o = PingOpts::new(ip(dst), count);
        o.interval_ns = SEC / 5;
        o.timeout_ns = Some(SEC);
        self.stacks.of(ns).ping(&mut self.cpu, &o)
    }

    /// Let everything queued run.
    pub fn settle(&mut self) {
        self.cpu.run_until_idle(100_000);
    }

    pub fn venet(&self, ns: NetnsId) -> Arc<NetDevice> {
        self.w.rtnl().dev_by_name(ns, "venet0").unwrap()
    }

    /// A UDP datagram from `src` (bound) to `dst`, sent from `ns`.
    pub fn udp(&mut self, ns: NetnsId, src: SocketAddr, dst: SocketAddr, data: &[u8]) {
        let st = self.stacks.of(ns);
        let id = st.udp_bind(src).unwrap();
        st.udp_send_to(&mut self.cpu, id, data, dst).unwrap();
        self.settle();
        st.socket_release(id);
    }
}

/// One packet a [`Seen`] tap recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkt {
    pub ifindex: u32,
    pub netns: NetnsId,
    pub direction: Direction,
    pub protocol: u16,
    pub dev_type: u16,
    pub frame: Vec<u8>,
}

/// A tap that records everything (on a device or a whole namespace).
#[derive(Debug, Default)]
pub struct Seen(Mutex<Vec<Pkt>>);

impl Seen {
    pub fn on_dev(dev: &NetDevice) -> Arc<Seen> {
        let s = Arc::new(Seen::default());
        dev.add_tap(s.clone());
        s
    }

    pub fn on_netns(w: &World, ns: NetnsId) -> Arc<Seen> {
        let s = Arc::new(Seen::default());
        w.rtnl().add_netns_tap(ns, s.clone()).unwrap();
        s
    }

    pub fn take(&self) -> Vec<Pkt> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Tap for Seen {
    fn packet(&self, p: &TapPacket<'_>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(Pkt {
            ifindex: p.ifindex,
            netns: p.netns,
            direction: p.direction,
            protocol: p.protocol,
            dev_type: p.dev_type,
            frame: p.frame.to_vec(),
        });
    }
}

/// Conservation on a set of venets: every packet handed to one of them (its outgoing tap) ends
/// exactly once, as the sender's `tx_packets` (and then as some venet's `rx_packets`, counted at
/// send time) or as its `tx_dropped`.
pub struct Ledger {
    devs: Vec<(Arc<NetDevice>, Arc<Seen>, netdev_core::LinkStats64)>,
}

impl Ledger {
    /// Watch `devs` from now on.
    pub fn watch(devs: &[Arc<NetDevice>]) -> Ledger {
        Ledger { devs: devs.iter().map(|d| (d.clone(), Seen::on_dev(d), d.stats64())).collect() }
    }

    /// Check the books; returns the packets handed to the venets since [`Ledger::watch`].
    pub fn check(&self) -> u64 {
        let (mut handed, mut tx, mut rx, mut dropped) = (0u64, 0u64, 0u64, 0u64);
        for (d, tap, s0) in &self.devs {
            let s = d.stats64();
            handed += tap.take().iter().filter(|p| p.direction == Direction::Outgoing).count() as u64;
            tx += s.tx_packets - s0.tx_packets;
            rx += s.rx_packets - s0.rx_packets;
            dropped += s.tx_dropped - s0.tx_dropped;
        }
        assert_eq!(handed, tx + dropped, "every packet a venet was given is sent or dropped, once");
        assert_eq!(tx, rx, "what one venet sends another receives");
        handed
    }
}
