//! Shared harness for the workspace scenario tests in `tests/tests/`.
//!
//! - [`world`]/[`world_with`]: a World with the `veth` and `dummy` kinds registered.
//! - [`veth_pair`], [`dummy`], [`dummy_req`]: devices through the same calls `ip link add` makes.
//! - [`eth_frame`], [`seq_frame`], [`parse_seq`]: Ethernet frames, optionally carrying a flow id
//!   and a sequence number so receivers can check per-flow order.
//! - [`Sink`]: a counting (optionally recording) [`ProtocolHandler`], with a shared
//!   [`FlowTracker`].
//! - [`Recorder`]: a [`NetdevNotifier`] that logs every event and can veto one `PRE*` event.
//! - [`TapLog`], [`DropLog`]: a packet tap and a drop monitor that keep what they see.
//! - [`drive`]: poll a CPU until its backlog is empty, bounded so a livelock fails instead of
//!   hanging (quinn's `drive_bounded`).
//! - [`fuzz`]: the bodies of the fuzz targets.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use netdev_core::{
    Cpu, DropEvent, DropMonitor, Errno, Error, KindConfig, MacAddr, NetDevice, NetdevEvent, NetdevNotifier, NetnsId,
    NewLink, PktType, ProtocolHandler, RegState, Result, Rtnl, Skb, Tap, TapPacket, World, WorldConfig,
};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};

pub mod fuzz;

/// The ethertype [`seq_frame`] uses (IPv4, so a stack-like sink would take it).
pub const SEQ_ETHERTYPE: u16 = 0x0800;
/// Marker at the start of a [`seq_frame`] payload.
const SEQ_MAGIC: [u8; 4] = *b"VNET";
/// Bytes of payload [`seq_frame`] needs: magic, flow id, sequence number.
pub const SEQ_PAYLOAD: usize = 16;

/// A World with `seed`, the default CPUs and backlog, and the `veth` and `dummy` kinds.
pub fn world(seed: u64) -> World {
    world_with(WorldConfig { seed, ..WorldConfig::default() })
}

/// A World built from `cfg` with the `veth` and `dummy` kinds registered.
pub fn world_with(cfg: WorldConfig) -> World {
    let w = World::new(cfg);
    netdev_veth::register(&w).expect("veth kind registers once");
    netdev_dummy::register(&w).expect("dummy kind registers once");
    w
}

/// `ip [-n NS_A] link add A type veth peer name B netns NS_B`: returns (main, peer).
pub fn veth_pair(
    w: &World,
    ns_a: NetnsId,
    a: &str,
    ns_b: NetnsId,
    b: &str,
) -> Result<(Arc<NetDevice>, Arc<NetDevice>)> {
    veth_pair_locked(&mut w.rtnl(), ns_a, a, ns_b, b)
}

/// [`veth_pair`] under an RTNL guard the caller already holds.
pub fn veth_pair_locked(
    rtnl: &mut Rtnl<'_>,
    ns_a: NetnsId,
    a: &str,
    ns_b: NetnsId,
    b: &str,
) -> Result<(Arc<NetDevice>, Arc<NetDevice>)> {
    let cfg =
        VethConfig { peer: PeerSpec { name: Some(b.into()), netns: Some(PeerNetns::Id(ns_b)), ..PeerSpec::default() } };
    let req = NewLink { name: Some(a.into()), ..NewLink::in_netns(ns_a) };
    let main = rtnl.newlink(netdev_veth::KIND, &req, &(Box::new(cfg) as KindConfig))?;
    let peer = Veth::peer_of(&main).ok_or(Error::new(Errno::Enotconn))?;
    Ok((main, peer))
}

/// `ip [-n NS] link add NAME type dummy`.
pub fn dummy(w: &World, ns: NetnsId, name: &str) -> Result<Arc<NetDevice>> {
    dummy_req(w, NewLink { name: Some(name.into()), ..NewLink::in_netns(ns) })
}

/// `ip link add ... type dummy` with every generic attribute of `req`.
pub fn dummy_req(w: &World, req: NewLink) -> Result<Arc<NetDevice>> {
    w.rtnl().newlink(netdev_dummy::KIND, &req, &(Box::new(()) as KindConfig))
}

/// Bring `devs` up, in order; panics on failure (a harness precondition).
pub fn up(w: &World, devs: &[&Arc<NetDevice>]) {
    let mut rtnl = w.rtnl();
    for d in devs {
        rtnl.set_up(d, true).expect("set_up succeeds");
    }
}

/// An Ethernet frame: `dst`, `src`, `ethertype`, then `payload`, zero-padded to `len` bytes
/// (which includes the 14-byte header; a shorter `len` cuts the frame, for runts).
pub fn eth_frame(dst: MacAddr, src: MacAddr, ethertype: u16, payload: &[u8], len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len.max(14 + payload.len()));
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f.resize(len, 0);
    f
}

/// A frame of `len` bytes (at least `14 + SEQ_PAYLOAD`) whose payload carries `flow` and `seq`.
pub fn seq_frame(dst: MacAddr, src: MacAddr, flow: u32, seq: u64, len: usize) -> Vec<u8> {
    let mut p = [0u8; SEQ_PAYLOAD];
    p[..4].copy_from_slice(&SEQ_MAGIC);
    p[4..8].copy_from_slice(&flow.to_be_bytes());
    p[8..16].copy_from_slice(&seq.to_be_bytes());
    eth_frame(dst, src, SEQ_ETHERTYPE, &p, len.max(14 + SEQ_PAYLOAD))
}

/// The (flow, seq) of a [`seq_frame`] payload (data after the Ethernet header).
pub fn parse_seq(payload: &[u8]) -> Option<(u32, u64)> {
    if payload.get(..4)? != SEQ_MAGIC {
        return None;
    }
    let flow = u32::from_be_bytes(payload.get(4..8)?.try_into().ok()?);
    let seq = u64::from_be_bytes(payload.get(8..16)?.try_into().ok()?);
    Some((flow, seq))
}

/// Poll `cpu` until its backlog is empty, at most `max_rounds` polls of 64 packets; returns the
/// packets processed. Panics if the backlog is still not empty (a livelock or a storm).
pub fn drive(cpu: &mut Cpu, max_rounds: usize) -> usize {
    let mut total = 0;
    for _ in 0..max_rounds {
        if cpu.backlog_len() == 0 {
            return total;
        }
        total += cpu.poll(64);
    }
    assert_eq!(cpu.backlog_len(), 0, "backlog not drained after {max_rounds} polls");
    total
}

/// Lock `m`, ignoring poisoning (a panicking test thread already failed the test).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Per-flow order: the sequence numbers of each flow must arrive increasing.
#[derive(Debug, Default)]
pub struct FlowTracker {
    last: Mutex<BTreeMap<u32, u64>>,
    violations: AtomicU64,
}

impl FlowTracker {
    /// Record `seq` of `flow`; counts a violation if it is not above the last one seen.
    pub fn observe(&self, flow: u32, seq: u64) {
        let mut last = lock(&self.last);
        match last.insert(flow, seq) {
            Some(prev) if prev >= seq => {
                self.violations.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Out-of-order (or duplicated) deliveries seen.
    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }
}

/// One delivery a recording [`Sink`] kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// ifindex of `skb->dev` at delivery.
    pub ifindex: u32,
    /// Namespace of `skb->dev` at delivery.
    pub netns: NetnsId,
    /// ifindex of the device the packet first arrived on (`orig_dev`).
    pub orig_ifindex: u32,
    /// `skb->pkt_type`.
    pub pkt_type: PktType,
    /// `skb->protocol`.
    pub protocol: u16,
    /// `skb->mark`.
    pub mark: u32,
    /// `skb->priority`.
    pub priority: u32,
    /// Bytes after the Ethernet header.
    pub len: usize,
    /// (flow, seq) if it was a [`seq_frame`].
    pub seq: Option<(u32, u64)>,
}

/// A protocol handler standing in for a namespace's IP stack: it takes every packet (or only
/// one ethertype), counts it, optionally records it, feeds the flow tracker, and consumes it.
#[derive(Debug, Default)]
pub struct Sink {
    delivered: AtomicU64,
    wrong_netns: AtomicU64,
    accept: Option<u16>,
    netns: Option<NetnsId>,
    log: Option<Mutex<Vec<Delivery>>>,
    flows: Arc<FlowTracker>,
}

impl Sink {
    /// A sink that takes every packet and only counts.
    pub fn counting() -> Sink {
        Sink::default()
    }

    /// A sink that takes every packet and records each delivery.
    pub fn recording() -> Sink {
        Sink { log: Some(Mutex::new(Vec::new())), ..Sink::default() }
    }

    /// Take only `ethertype`; other packets are refused (the core counts them unhandled).
    pub fn accepting(mut self, ethertype: u16) -> Sink {
        self.accept = Some(ethertype);
        self
    }

    /// Count deliveries whose device is not in `ns` (this sink is `ns`'s stack).
    pub fn for_netns(mut self, ns: NetnsId) -> Sink {
        self.netns = Some(ns);
        self
    }

    /// Share `flows` with other sinks (a flow may change namespace when its device moves).
    pub fn with_flows(mut self, flows: Arc<FlowTracker>) -> Sink {
        self.flows = flows;
        self
    }

    /// Install as `ns`'s protocol handler and return it.
    pub fn install(self, w: &World, ns: NetnsId) -> Arc<Sink> {
        let s = Arc::new(self);
        w.rtnl().set_protocol_handler(ns, Some(s.clone())).expect("namespace exists");
        s
    }

    /// Packets taken.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Packets taken on a device outside this sink's namespace (must stay 0).
    pub fn wrong_netns(&self) -> u64 {
        self.wrong_netns.load(Ordering::Relaxed)
    }

    /// The flow tracker.
    pub fn flows(&self) -> &Arc<FlowTracker> {
        &self.flows
    }

    /// The recorded deliveries (empty unless built with [`Sink::recording`]).
    pub fn log(&self) -> Vec<Delivery> {
        self.log.as_ref().map(|l| lock(l).clone()).unwrap_or_default()
    }
}

impl ProtocolHandler for Sink {
    fn receive(
        &self,
        cpu: &mut Cpu,
        dev: &Arc<NetDevice>,
        orig_dev: &Arc<NetDevice>,
        skb: Skb,
    ) -> std::result::Result<(), Skb> {
        if self.accept.is_some_and(|t| t != skb.meta.protocol) {
            return Err(skb);
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        if self.netns.is_some_and(|ns| ns != dev.netns()) {
            self.wrong_netns.fetch_add(1, Ordering::Relaxed);
        }
        let seq = parse_seq(skb.data());
        if let Some((flow, s)) = seq {
            self.flows.observe(flow, s);
        }
        if let Some(log) = &self.log {
            lock(log).push(Delivery {
                ifindex: dev.ifindex(),
                netns: dev.netns(),
                orig_ifindex: orig_dev.ifindex(),
                pkt_type: skb.meta.pkt_type,
                protocol: skb.meta.protocol,
                mark: skb.meta.mark,
                priority: skb.meta.priority,
                len: skb.len(),
                seq,
            });
        }
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// One notifier event as a [`Recorder`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `NETDEV_*` name.
    pub name: &'static str,
    /// The device's name at the time.
    pub dev: String,
    /// The device's ifindex at the time.
    pub ifindex: u32,
    /// The device's namespace at the time.
    pub netns: NetnsId,
    /// The device's `reg_state` at the time.
    pub reg_state: RegState,
}

/// A netdev notifier that records every event and can veto one `PRE*` event by name.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
    veto: Mutex<Option<(&'static str, Errno)>>,
}

impl Recorder {
    /// A recorder registered on `w`'s notifier chain.
    pub fn install(w: &World) -> Arc<Recorder> {
        let r = Arc::new(Recorder::default());
        w.register_notifier(r.clone());
        r
    }

    /// Make event `name` (e.g. `"NETDEV_PRE_UP"`) fail with `errno`; `None` stops vetoing.
    pub fn set_veto(&self, veto: Option<(&'static str, Errno)>) {
        *lock(&self.veto) = veto;
    }

    /// Take the events recorded so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.events))
    }

    /// Take the events recorded so far, as (event name, device name) pairs.
    pub fn take_names(&self) -> Vec<(&'static str, String)> {
        self.take().into_iter().map(|e| (e.name, e.dev)).collect()
    }
}

impl NetdevNotifier for Recorder {
    fn event(&self, _rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        lock(&self.events).push(Event {
            name: event.name(),
            dev: dev.name().to_string(),
            ifindex: dev.ifindex(),
            netns: dev.netns(),
            reg_state: dev.reg_state(),
        });
        match *lock(&self.veto) {
            Some((name, errno)) if name == event.name() => Err(Error::new(errno)),
            _ => Ok(()),
        }
    }
}

/// One frame a [`TapLog`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tapped {
    /// The device's ifindex.
    pub ifindex: u32,
    /// Incoming or outgoing.
    pub direction: netdev_core::Direction,
    /// `pkt_type` as the socket sees it.
    pub pkt_type: PktType,
    /// `skb->protocol`.
    pub protocol: u16,
    /// The frame from the link-layer header on.
    pub frame: Vec<u8>,
}

/// A packet tap (an AF_PACKET socket) that keeps every frame it sees.
#[derive(Debug, Default)]
pub struct TapLog {
    seen: Mutex<Vec<Tapped>>,
}

impl TapLog {
    /// A tap attached to `dev`.
    pub fn attach(dev: &NetDevice) -> Arc<TapLog> {
        let t = Arc::new(TapLog::default());
        dev.add_tap(t.clone());
        t
    }

    /// Take the frames seen so far.
    pub fn take(&self) -> Vec<Tapped> {
        std::mem::take(&mut *lock(&self.seen))
    }
}

impl Tap for TapLog {
    fn packet(&self, pkt: &TapPacket<'_>) {
        lock(&self.seen).push(Tapped {
            ifindex: pkt.ifindex,
            direction: pkt.direction,
            pkt_type: pkt.pkt_type,
            protocol: pkt.protocol,
            frame: pkt.frame.to_vec(),
        });
    }
}

/// A drop monitor that keeps every drop event.
#[derive(Debug, Default)]
pub struct DropLog {
    seen: Mutex<Vec<DropEvent>>,
}

impl DropLog {
    /// A drop log installed as `w`'s drop monitor.
    pub fn install(w: &World) -> Arc<DropLog> {
        let d = Arc::new(DropLog::default());
        w.set_drop_monitor(Some(d.clone()));
        d
    }

    /// Take the drops seen so far.
    pub fn take(&self) -> Vec<DropEvent> {
        std::mem::take(&mut *lock(&self.seen))
    }
}

impl DropMonitor for DropLog {
    fn dropped(&self, ev: &DropEvent) {
        lock(&self.seen).push(*ev);
    }
}

/// The README's code blocks, compiled and run as doctests so the README stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Two namespaces with IP stacks, `vg-a` and `vg-b`, joined by veth0 (02:00:00:00:00:0a,
/// 10.0.0.1/24) and veth1 (02:00:00:00:00:0b, 10.0.0.2/24), both up: the set-up of
/// `reference/linux-golden/veth-ping`.
#[derive(Debug)]
pub struct StackPair {
    /// The World.
    pub w: World,
    /// Its stacks.
    pub stacks: stack_adapter::Stacks,
    /// `vg-a`.
    pub a: NetnsId,
    /// `vg-b`.
    pub b: NetnsId,
    /// veth0, in `vg-a`.
    pub va: Arc<NetDevice>,
    /// veth1, in `vg-b`.
    pub vb: Arc<NetDevice>,
}

/// [`StackPair`] with `seed`; without `ipv6`, `net.ipv6.conf.{all,default}.disable_ipv6=1` in
/// both namespaces before the devices exist (as the recording did); `mtu_b` for veth1.
pub fn stack_pair(seed: u64, ipv6: bool, mtu_b: Option<u32>) -> StackPair {
    let w = world(seed);
    let stacks = stack_adapter::install(&w).expect("first install");
    let mut r = w.rtnl();
    let a = r.netns_add("vg-a").expect("fresh name");
    let b = r.netns_add("vg-b").expect("fresh name");
    if !ipv6 {
        for ns in [a, b] {
            for k in ["all", "default"] {
                let name = format!("net.ipv6.conf.{k}.disable_ipv6");
                stacks.of(ns).sysctl_set(&mut r, &name, "1").expect("known sysctl");
            }
        }
    }
    let (va, vb) = veth_pair_locked(&mut r, a, "veth0", b, "veth1").expect("fresh names");
    r.set_address(&va, MacAddr([2, 0, 0, 0, 0, 0x0a])).expect("unicast MAC");
    r.set_address(&vb, MacAddr([2, 0, 0, 0, 0, 0x0b])).expect("unicast MAC");
    if let Some(m) = mtu_b {
        r.set_mtu(&vb, m).expect("valid MTU");
    }
    let o = stack_adapter::AddrOpts::default();
    stacks.of(a).addr_add(&mut r, va.ifindex(), [10, 0, 0, 1].into(), 24, &o).expect("fresh address");
    stacks.of(b).addr_add(&mut r, vb.ifindex(), [10, 0, 0, 2].into(), 24, &o).expect("fresh address");
    r.set_up(&va, true).expect("veth up");
    r.set_up(&vb, true).expect("veth up");
    drop(r);
    StackPair { w, stacks, a, b, va, vb }
}
