//! Helpers shared by the macvlan tests: a World with veth, dummy and macvlan, devices made the
//! way `ip link add` makes them, frames, a recording protocol handler and tap, and the
//! conservation check.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use netdev_core::{
    Cpu, Direction, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, PktType, ProtocolHandler, Result, Rtnl, Skb, Tap,
    TapPacket, World, WorldConfig,
};
use netdev_macvlan::{MacvlanConfig, MacvlanMode};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};

pub const SEC: u64 = 1_000_000_000;

/// A World (one CPU) with veth, dummy and macvlan registered.
pub fn world(seed: u64) -> World {
    let w = World::new(WorldConfig { seed, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    netdev_dummy::register(&w).unwrap();
    netdev_macvlan::register(&w).unwrap();
    w
}

pub fn mac(last: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 2, last])
}

/// `ip link add A netns NS_A type veth peer name B netns NS_B`, both up.
pub fn veth(r: &mut Rtnl<'_>, ns_a: NetnsId, a: &str, ns_b: NetnsId, b: &str) -> (Arc<NetDevice>, Arc<NetDevice>) {
    let cfg =
        VethConfig { peer: PeerSpec { name: Some(b.into()), netns: Some(PeerNetns::Id(ns_b)), ..PeerSpec::default() } };
    let req = NewLink { name: Some(a.into()), ..NewLink::in_netns(ns_a) };
    let main = r.newlink("veth", &req, &(Box::new(cfg) as KindConfig)).unwrap();
    let peer = Veth::peer_of(&main).unwrap();
    r.set_up(&main, true).unwrap();
    r.set_up(&peer, true).unwrap();
    (main, peer)
}

/// The request of `ip link add NAME link LOWER [address A] type macvlan`.
pub fn req(ns: NetnsId, name: &str, lower: &NetDevice, addr: Option<MacAddr>) -> NewLink {
    NewLink { name: Some(name.into()), link: Some(lower.ifindex()), address: addr, ..NewLink::in_netns(ns) }
}

/// `ip link add NAME link LOWER [address A] type macvlan CFG`.
pub fn add(r: &mut Rtnl<'_>, req: &NewLink, cfg: MacvlanConfig) -> Result<Arc<NetDevice>> {
    r.newlink("macvlan", req, &(Box::new(cfg) as KindConfig))
}

/// `ip link add NAME link LOWER address A type macvlan mode M` in the lower's namespace, up.
pub fn mv(r: &mut Rtnl<'_>, name: &str, lower: &NetDevice, addr: MacAddr, mode: MacvlanMode) -> Arc<NetDevice> {
    let d = add(r, &req(lower.netns(), name, lower, Some(addr)), MacvlanConfig::with_mode(mode)).unwrap();
    r.set_up(&d, true).unwrap();
    d
}

/// An Ethernet frame of `len` bytes (at least the header and two payload bytes).
pub fn frame(dst: MacAddr, src: MacAddr, ethertype: u16, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.resize(len.max(16), 0x5a);
    f
}

/// Transmit `frame` on `dev` (a raw packet socket's `sendto`).
pub fn send(cpu: &mut Cpu, dev: &Arc<NetDevice>, frame: &[u8]) {
    let skb = cpu.alloc_frame(frame);
    let _ = cpu.dev_queue_xmit(dev, skb);
}

/// Poll until the backlog is empty (bounded: a livelock fails the test).
pub fn drain(cpu: &mut Cpu) {
    for _ in 0..10_000 {
        if cpu.backlog_len() == 0 {
            return;
        }
        cpu.poll(64);
    }
    panic!("backlog not drained");
}

/// Run the broadcast work (timers due now) and drain again.
pub fn settle(cpu: &mut Cpu) {
    drain(cpu);
    cpu.advance(0);
    drain(cpu);
}

/// One delivery to a namespace's protocol handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Got {
    pub dev: String,
    pub netns: NetnsId,
    pub pkt_type: PktType,
    /// Bytes after the Ethernet header.
    pub len: usize,
    /// The first payload byte (a marker the tests put there).
    pub mark: u8,
}

/// (device, pkt_type) deliveries a sink recorded.
pub type Deliveries = Vec<(String, PktType)>;

/// One expected delivery.
pub fn d(name: &str, t: PktType) -> (String, PktType) {
    (name.to_string(), t)
}

/// The receive and transmit tests' topology: veth `a` (the lower, namespace A) ↔ `b`
/// (namespace B, "the wire"), a recording sink as the protocol handler of each namespace, and
/// the count of frames the test sent.
pub struct Net {
    pub w: World,
    pub ns_a: NetnsId,
    pub a: Arc<NetDevice>,
    pub b: Arc<NetDevice>,
    pub sink_a: Arc<Sink>,
    pub sink_b: Arc<Sink>,
    pub sent: u64,
}

impl Net {
    pub fn new(seed: u64) -> Net {
        let w = world(seed);
        let (ns_a, ns_b) = {
            let mut r = w.rtnl();
            (r.netns_add("A").unwrap(), r.netns_add("B").unwrap())
        };
        let (a, b) = veth(&mut w.rtnl(), ns_a, "a", ns_b, "b");
        let sink_a = Sink::install(&w, ns_a);
        let sink_b = Sink::install(&w, ns_b);
        Net { w, ns_a, a, b, sink_a, sink_b, sent: 0 }
    }

    /// A macvlan on `a`.
    pub fn mv(&self, name: &str, addr: MacAddr, mode: MacvlanMode) -> Arc<NetDevice> {
        mv(&mut self.w.rtnl(), name, &self.a, addr, mode)
    }
}

/// A protocol handler that records every packet and consumes it.
#[derive(Debug, Default)]
pub struct Sink {
    got: Mutex<Vec<Got>>,
    n: AtomicU64,
}

impl Sink {
    pub fn install(w: &World, ns: NetnsId) -> Arc<Sink> {
        let s = Arc::new(Sink::default());
        w.rtnl().set_protocol_handler(ns, Some(s.clone())).unwrap();
        s
    }

    pub fn take(&self) -> Vec<Got> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }

    /// What arrived since the last look, as (device, pkt_type), sorted by device.
    pub fn take_sorted(&self) -> Deliveries {
        let mut v: Deliveries = self.take().into_iter().map(|g| (g.dev, g.pkt_type)).collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    }

    pub fn count(&self) -> u64 {
        self.n.load(Ordering::Relaxed)
    }
}

impl ProtocolHandler for Sink {
    fn receive(
        &self,
        cpu: &mut Cpu,
        dev: &Arc<NetDevice>,
        _orig: &Arc<NetDevice>,
        skb: Skb,
    ) -> std::result::Result<(), Skb> {
        self.n.fetch_add(1, Ordering::Relaxed);
        self.got.lock().unwrap().push(Got {
            dev: dev.name().to_string(),
            netns: dev.netns(),
            pkt_type: skb.meta.pkt_type,
            len: skb.len(),
            mark: skb.data().first().copied().unwrap_or(0),
        });
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// A packet tap that records (direction, pkt_type, frame length).
#[derive(Debug, Default)]
pub struct Taps {
    seen: Mutex<Vec<(Direction, PktType, usize)>>,
}

impl Taps {
    pub fn attach(dev: &NetDevice) -> Arc<Taps> {
        let t = Arc::new(Taps::default());
        dev.add_tap(t.clone());
        t
    }

    pub fn take(&self) -> Vec<(Direction, PktType, usize)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Tap for Taps {
    fn packet(&self, pkt: &TapPacket<'_>) {
        self.seen.lock().unwrap().push((pkt.direction, pkt.pkt_type, pkt.frame.len()));
    }
}

/// Conservation: every packet sent and every clone ended consumed or dropped.
pub fn assert_conserved(w: &World, sent: u64) {
    assert_eq!(
        w.total_consumed() + w.total_drops(),
        sent + w.total_cloned(),
        "consumed {} + drops {:?} != sent {sent} + cloned {}",
        w.total_consumed(),
        w.drop_counts(),
        w.total_cloned()
    );
}
