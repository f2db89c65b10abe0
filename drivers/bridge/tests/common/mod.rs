//! Shared harness for the bridge's integration tests: a World with veth, dummy and bridge, the
//! calls `ip link` makes, hosts that record what reaches them, frame builders, and a bounded
//! driver for the CPU.
#![allow(dead_code)] // each test file uses a different subset
#![allow(unreachable_pub)] // a test-only module shared by several test crates

use std::sync::{Arc, Mutex};

use netdev_core::{
    Cpu, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, PktType, ProtocolHandler, Result, Skb, Tap, TapPacket,
    World, WorldConfig,
};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};

pub const SEC: u64 = 1_000_000_000;

/// A World with veth, dummy and the bridge (kernel without VLAN filtering).
pub fn world() -> World {
    let w = World::new(WorldConfig { seed: 7, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    netdev_dummy::register(&w).unwrap();
    netdev_bridge::register(&w).unwrap();
    w
}

/// A World whose bridge has `CONFIG_BRIDGE_VLAN_FILTERING`.
pub fn world_vlan() -> World {
    let w = World::new(WorldConfig { seed: 7, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    netdev_dummy::register(&w).unwrap();
    netdev_bridge::register_with(&w, netdev_bridge::KernelConfig { vlan_filtering: true }).unwrap();
    w
}

/// `02:00:00:00:00:NN`.
pub fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

/// `ip [-n NS] link add NAME [address MAC] type bridge ARGS`.
pub fn bridge(w: &World, ns: NetnsId, name: &str, address: Option<MacAddr>, args: &[&str]) -> Result<Arc<NetDevice>> {
    let req = NewLink { name: Some(name.into()), address, ..NewLink::in_netns(ns) };
    w.rtnl().link_add("bridge", &req, args)
}

/// `ip link set BR type bridge ARGS`.
pub fn bridge_set(w: &World, br: &Arc<NetDevice>, args: &[&str]) -> Result<()> {
    let mut r = w.rtnl();
    let kind = r.kind("bridge").unwrap();
    let cfg = kind.parse_args(args)?;
    kind.changelink(&mut r, br, &cfg)
}

/// `ip link add A netns NS_A type veth peer name B netns NS_B`, MACs set: (a, b).
pub fn veth(w: &World, ns_a: NetnsId, a: &str, ns_b: NetnsId, b: &str) -> (Arc<NetDevice>, Arc<NetDevice>) {
    let cfg =
        VethConfig { peer: PeerSpec { name: Some(b.into()), netns: Some(PeerNetns::Id(ns_b)), ..PeerSpec::default() } };
    let req = NewLink { name: Some(a.into()), ..NewLink::in_netns(ns_a) };
    let mut r = w.rtnl();
    let main = r.newlink("veth", &req, &(Box::new(cfg) as KindConfig)).unwrap();
    let peer = Veth::peer_of(&main).unwrap();
    (main, peer)
}

/// `ip link set DEV address MAC`.
pub fn set_mac(w: &World, dev: &Arc<NetDevice>, m: MacAddr) {
    w.rtnl().set_address(dev, m).unwrap();
}

/// `ip link set DEV master BR`.
pub fn enslave(w: &World, dev: &Arc<NetDevice>, br: &Arc<NetDevice>) -> Result<()> {
    w.rtnl().set_master(dev, Some(br))
}

/// `ip link set DEV up` for each.
pub fn up(w: &World, devs: &[&Arc<NetDevice>]) {
    let mut r = w.rtnl();
    for d in devs {
        r.set_up(d, true).unwrap();
    }
}

/// `ip link set DEV down`.
pub fn down(w: &World, d: &Arc<NetDevice>) {
    w.rtnl().set_up(d, false).unwrap();
}

/// `ip netns add NAME`.
pub fn netns(w: &World, name: &str) -> NetnsId {
    w.rtnl().netns_add(name).unwrap()
}

/// An Ethernet frame of `len` bytes (at least 60).
pub fn frame(dst: MacAddr, src: MacAddr, ethertype: u16, tag: u8, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.push(tag);
    f.resize(len.max(60), 0);
    f
}

/// Transmit `f` on `dev` and run the CPU until everything settled.
pub fn send(cpu: &mut Cpu, dev: &Arc<NetDevice>, f: &[u8]) {
    let skb = cpu.alloc_frame(f);
    cpu.dev_queue_xmit(dev, skb);
    drive(cpu);
}

/// Poll until the backlog is empty; panics on a livelock.
pub fn drive(cpu: &mut Cpu) -> usize {
    let mut n = 0;
    for _ in 0..100_000 {
        if cpu.backlog_len() == 0 {
            return n;
        }
        n += cpu.poll(64);
    }
    panic!("backlog not drained");
}

/// One frame a [`Host`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Got {
    /// The device it arrived on.
    pub dev: String,
    /// `pkt_type`.
    pub pkt_type: PktType,
    /// The whole frame from the MAC header.
    pub frame: Vec<u8>,
}

/// A namespace's protocol handler that keeps every frame (the hosts behind the bridge ports,
/// or the bridge's own namespace to see what goes up the bridge device).
#[derive(Debug, Default)]
pub struct Host {
    got: Mutex<Vec<Got>>,
}

impl Host {
    /// Install as the protocol handler of `ns`.
    pub fn install(w: &World, ns: NetnsId) -> Arc<Host> {
        let h = Arc::new(Host::default());
        w.rtnl().set_protocol_handler(ns, Some(h.clone())).unwrap();
        h
    }

    /// Take what arrived so far.
    pub fn take(&self) -> Vec<Got> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }

    /// Take the names of the devices frames arrived on, sorted.
    pub fn take_devs(&self) -> Vec<String> {
        let mut v: Vec<String> = self.take().into_iter().map(|g| g.dev).collect();
        v.sort();
        v
    }
}

impl ProtocolHandler for Host {
    fn receive(
        &self,
        cpu: &mut Cpu,
        dev: &Arc<NetDevice>,
        _orig: &Arc<NetDevice>,
        skb: Skb,
    ) -> std::result::Result<(), Skb> {
        self.got.lock().unwrap().push(Got {
            dev: dev.name().to_string(),
            pkt_type: skb.meta.pkt_type,
            frame: skb.mac_frame().to_vec(),
        });
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// A tap that keeps the frames a device sends and receives.
#[derive(Debug, Default)]
pub struct Wire {
    seen: Mutex<Vec<(netdev_core::Direction, Vec<u8>)>>,
}

impl Wire {
    /// Attach to `dev`.
    pub fn attach(dev: &NetDevice) -> Arc<Wire> {
        let t = Arc::new(Wire::default());
        dev.add_tap(t.clone());
        t
    }

    /// Take the frames seen so far.
    pub fn take(&self) -> Vec<(netdev_core::Direction, Vec<u8>)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Tap for Wire {
    fn packet(&self, pkt: &TapPacket<'_>) {
        self.seen.lock().unwrap().push((pkt.direction, pkt.wire()));
    }
}

/// A bridge `br0` in namespace `br` with `n` veth ports `p1..pN` (MAC 02:..:1N), whose peers
/// `h1..hN` (MAC 02:..:0N) each live in namespace `hN` with a recording [`Host`]; everything up
/// and forwarding (STP off).
pub struct Lan {
    pub w: World,
    pub ns: NetnsId,
    pub br: Arc<NetDevice>,
    pub ports: Vec<Arc<NetDevice>>,
    pub hosts: Vec<Arc<NetDevice>>,
    pub sinks: Vec<Arc<Host>>,
    /// What goes up br0 (the bridge namespace's handler).
    pub local: Arc<Host>,
}

impl Lan {
    pub fn new(n: u8, args: &[&str]) -> Lan {
        Lan::build(world(), n, args)
    }

    pub fn build(w: World, n: u8, args: &[&str]) -> Lan {
        let ns = netns(&w, "br");
        let local = Host::install(&w, ns);
        let br = bridge(&w, ns, "br0", Some(MacAddr([2, 0, 0, 0, 1, 0])), args).unwrap();
        let mut ports = Vec::new();
        let mut hosts = Vec::new();
        let mut sinks = Vec::new();
        for i in 1..=n {
            let hns = netns(&w, &format!("h{i}"));
            sinks.push(Host::install(&w, hns));
            let (p, h) = veth(&w, ns, &format!("p{i}"), hns, &format!("h{i}"));
            set_mac(&w, &p, mac(0x10 + i));
            set_mac(&w, &h, mac(i));
            enslave(&w, &p, &br).unwrap();
            ports.push(p);
            hosts.push(h);
        }
        up(&w, &[&br]);
        for (p, h) in ports.iter().zip(&hosts) {
            up(&w, &[p, h]);
        }
        Lan { w, ns, br, ports, hosts, sinks, local }
    }

    pub fn cpu(&self) -> Cpu {
        self.w.cpu(0).unwrap()
    }

    /// Host `i` (1-based) sends `f`.
    pub fn send_from(&self, cpu: &mut Cpu, i: usize, f: &[u8]) {
        send(cpu, &self.hosts[i - 1], f);
    }

    /// Which hosts (1-based) received something since the last call, clearing the logs.
    pub fn receivers(&self) -> Vec<usize> {
        self.sinks.iter().enumerate().filter(|(_, s)| !s.take().is_empty()).map(|(i, _)| i + 1).collect()
    }
}
