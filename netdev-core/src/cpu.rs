//! A simulated CPU: the data path (`dev_queue_xmit`, `dev_forward_skb`, `netif_rx`, the backlog
//! and `__netif_receive_skb_core`).
//!
//! A [`Cpu`] is held by one thread at a time (it is `Send` but not `Sync` or `Clone`). It owns its
//! backlog and its packet pool and is the only writer of its shard of every device's counters,
//! so the hot path takes no lock and no contended atomic.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::device::{RegState, STATE_NOCARRIER, STATE_START};
use crate::drop_reason::{DropEvent, DropReason};
use crate::netns::{NetnsShared, ProtocolHandler};
use crate::pin::{DevPtr, Pins};
use crate::skb::{ETH_HLEN, ETH_P_802_2, ETH_P_802_3, ETH_P_802_3_MIN, ETH_P_8021AD, ETH_P_8021Q, SkbPool, VLAN_HLEN};
use crate::stats::{CoreStat, Stat};
use crate::tap::{Direction, TapPacket};
use crate::{Features, MacAddr, NetDevice, NetRx, NetnsId, PktType, RxHandlerResult, Skb, World, Xmit};

/// `XMIT_RECURSION_LIMIT`.
pub const XMIT_RECURSION_LIMIT: u8 = 8;
/// Receive rounds (`another_round`) one packet may take before it is dropped as a loop.
pub const MAX_RX_ROUNDS: u32 = 32;

/// The part of a CPU that outlives the handle (its backlog and pool).
#[derive(Debug)]
pub(crate) struct CpuState {
    id: usize,
    backlog: VecDeque<Skb>,
    pool: SkbPool,
    pins: Pins,
}

impl CpuState {
    pub(crate) fn new(id: usize, pool_buffers: usize) -> CpuState {
        CpuState { id, backlog: VecDeque::with_capacity(1024), pool: SkbPool::new(pool_buffers), pins: Pins::default() }
    }
}

/// Per-CPU counters the World can read (single writer: the CPU).
#[derive(Debug)]
pub(crate) struct CpuShared {
    drops: Box<[AtomicU64]>,
    consumed: AtomicU64,
    delivered: AtomicU64,
    cloned: AtomicU64,
}

impl Default for CpuShared {
    fn default() -> Self {
        CpuShared {
            drops: DropReason::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            consumed: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            cloned: AtomicU64::new(0),
        }
    }
}

#[inline]
fn bump(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

impl CpuShared {
    pub(crate) fn drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .zip(self.drops.iter())
            .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
    }

    pub(crate) fn consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    pub(crate) fn cloned(&self) -> u64 {
        self.cloned.load(Ordering::Relaxed)
    }
}

/// A simulated CPU, claimed with [`World::cpu`]. Every data-path operation is a method here.
///
/// Aligned to two cache lines so that CPUs kept side by side (a `Vec<Cpu>` handed to threads)
/// do not share a line: the backlog and pool fields are written on every packet.
#[repr(align(128))]
pub struct Cpu {
    world: World,
    id: usize,
    backlog: VecDeque<Skb>,
    pool: SkbPool,
    pins: Pins,
    dev_gen: u64,
    shared: Arc<CachePadded<CpuShared>>,
    recursion: u8,
    ns_gen: u64,
    ns: Arc<Vec<Option<Arc<NetnsShared>>>>,
    proto: Vec<Option<Arc<dyn ProtocolHandler>>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cpu").field("id", &self.id).field("backlog", &self.backlog.len()).finish()
    }
}

impl Drop for Cpu {
    fn drop(&mut self) {
        let state = CpuState {
            id: self.id,
            backlog: std::mem::take(&mut self.backlog),
            pool: std::mem::replace(&mut self.pool, SkbPool::new(0)),
            pins: std::mem::take(&mut self.pins),
        };
        if let Some(slot) = self.world.inner.cpu_slots.get(self.id) {
            *slot.lock() = Some(state);
        }
    }
}

impl Cpu {
    pub(crate) fn new(world: World, st: CpuState, shared: Arc<CachePadded<CpuShared>>) -> Cpu {
        let mut cpu = Cpu {
            world,
            id: st.id,
            backlog: st.backlog,
            pool: st.pool,
            pins: st.pins,
            dev_gen: 0,
            shared,
            recursion: 0,
            ns_gen: u64::MAX,
            ns: Arc::new(Vec::new()),
            proto: Vec::new(),
            _not_sync: PhantomData,
        };
        cpu.refresh();
        cpu
    }

    /// This CPU's number.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The World.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Virtual time in nanoseconds.
    pub fn now(&self) -> u64 {
        self.world.now()
    }

    /// Move virtual time forward by `ns`, running every timer that falls due on this CPU, in
    /// deadline order, with the clock at each timer's deadline while it runs. Bounded: a timer
    /// that re-arms at or before its own deadline is pushed one nanosecond on, so time always
    /// advances. Packets the timers queue stay in the backlog for [`poll`](Self::poll).
    pub fn advance(&mut self, ns: u64) {
        let world = self.world.clone();
        let target = world.now().saturating_add(ns);
        world.run_timers(self, target);
    }

    /// Packets waiting in this CPU's backlog.
    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }

    /// Buffers this CPU's pool has taken from the system allocator so far.
    pub fn pool_allocated(&self) -> u64 {
        self.pool.allocated()
    }

    /// An empty packet with `headroom` reserved and room for `len` bytes, from the pool.
    pub fn alloc_skb(&mut self, headroom: usize, len: usize) -> Skb {
        self.pool.alloc(headroom, len)
    }

    /// A packet holding a copy of `frame`, from the pool.
    pub fn alloc_frame(&mut self, frame: &[u8]) -> Skb {
        self.pool.alloc_frame(frame)
    }

    /// `skb_clone`: a new packet with the same bytes (from the MAC header on), offsets, device
    /// and metadata as `skb`, from the pool. The clone is a packet of its own: it too must end
    /// consumed or dropped, and [`World::total_cloned`] counts it, so conservation reads
    /// consumed + dropped = sent + cloned. (The kernel shares the data; the simulator copies it,
    /// which no caller can observe.)
    pub fn skb_clone(&mut self, skb: &Skb) -> Skb {
        bump(&self.shared.cloned);
        self.pool.clone_skb(skb)
    }

    /// Pick up a new namespace table if the configuration republished it (one shared load on
    /// the fast path).
    #[inline(always)]
    fn refresh(&mut self) {
        if self.world.inner.ns_gen.load(Ordering::Acquire) != self.ns_gen {
            self.refresh_slow();
        }
    }

    #[cold]
    fn refresh_slow(&mut self) {
        let g = self.world.inner.ns_gen.load(Ordering::Acquire);
        self.ns = self.world.inner.ns_table.load_full();
        self.proto =
            self.ns.iter().map(|n| n.as_ref().and_then(|n| n.protocol.load_full()).map(|p| p.0.clone())).collect();
        self.ns_gen = g;
    }

    #[inline]
    fn ns_shared(&self, ns: NetnsId) -> Option<&Arc<NetnsShared>> {
        self.ns.get(ns.0 as usize).and_then(Option::as_ref)
    }

    // ------------------------------------------------------------ counters and freeing

    /// Add to one of `dev`'s per-CPU driver counters (this CPU's shard).
    #[inline]
    pub fn stat_add(&self, dev: &NetDevice, stat: Stat, n: u64) {
        dev.stats().add(self.id, stat, n);
    }

    /// Count a packet and its bytes on `dev` (rx or tx pair, like `dev_sw_netstats_*_add`).
    #[inline]
    pub fn stat_packet(&self, dev: &NetDevice, packets: Stat, bytes: Stat, len: usize) {
        dev.stats().add(self.id, packets, 1);
        dev.stats().add(self.id, bytes, len as u64);
    }

    /// Increment one of `dev`'s core counters (`dev_core_stats_*_inc`).
    #[inline]
    pub fn core_stat_inc(&self, dev: &NetDevice, stat: CoreStat) {
        dev.stats().add_core(self.id, stat, 1);
    }

    /// `kfree_skb_reason`: drop `skb`, count the reason, tell the drop monitor. `dev` names the
    /// device for the monitor when the skb is not on a receive path. Device counters are the
    /// caller's business, as in the kernel.
    pub fn kfree_skb(&mut self, skb: Skb, reason: DropReason, dev: Option<&NetDevice>) {
        let d = dev.or(self.pins.get(skb.dev).map(|d| &**d));
        let (ifindex, netns) = d.map_or((0, NetnsId::INIT), |d| (d.ifindex(), d.netns()));
        self.free_dropped(skb, reason, ifindex, netns);
    }

    fn free_dropped(&mut self, skb: Skb, reason: DropReason, ifindex: u32, netns: NetnsId) {
        if let Some(c) = self.shared.drops.get(reason as usize) {
            bump(c);
        }
        if self.world.inner.has_drop_monitor.load(Ordering::Relaxed)
            && let Some(m) = self.world.inner.drop_monitor.load_full()
        {
            let ev = DropEvent { reason, ifindex, netns, len: skb.len(), time_ns: self.world.now() };
            m.0.dropped(&ev);
        }
        self.pool.recycle(skb);
    }

    /// `consume_skb`: the packet reached its end normally (a dummy transmit, a socket read).
    pub fn consume_skb(&mut self, skb: Skb) {
        bump(&self.shared.consumed);
        self.pool.recycle(skb);
    }

    /// Drop `skb` counting the core `rx_dropped` of `dev`.
    pub fn drop_rx(&mut self, dev: &NetDevice, skb: Skb, reason: DropReason) {
        self.core_stat_inc(dev, CoreStat::RxDropped);
        self.kfree_skb(skb, reason, Some(dev));
    }

    /// Drop `skb` counting the core `tx_dropped` of `dev`.
    pub fn drop_tx(&mut self, dev: &NetDevice, skb: Skb, reason: DropReason) {
        self.core_stat_inc(dev, CoreStat::TxDropped);
        self.kfree_skb(skb, reason, Some(dev));
    }

    // ------------------------------------------------------------ transmit

    /// `dev_queue_xmit`: transmit `skb` (data at the link-layer header) on `dev`.
    ///
    /// A device that is down or has no carrier has the noop qdisc: the packet is dropped with a
    /// core `tx_dropped` before the taps and the driver, and the result is `Congested`
    /// (`NET_XMIT_CN`, which a socket sees as success). Past `XMIT_RECURSION_LIMIT` nested
    /// transmits ("Dead loop on virtual device"), `NetDown` and a core `tx_dropped`. Otherwise
    /// an out-of-band VLAN tag (`skb.meta.vlan`) the device cannot insert itself (no
    /// `HW_VLAN_CTAG_TX`/`HW_VLAN_STAG_TX` for its TPID) is written into the packet
    /// (`validate_xmit_vlan`), the taps see the frame (outgoing) and the driver's `xmit` runs.
    pub fn dev_queue_xmit(&mut self, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        let st = dev.state.load(Ordering::Relaxed);
        if !dev.is_up() || st & STATE_START == 0 || st & STATE_NOCARRIER != 0 {
            self.drop_tx(dev, skb, DropReason::QdiscDrop);
            return Xmit::Congested;
        }
        if self.recursion >= XMIT_RECURSION_LIMIT {
            self.drop_tx(dev, skb, DropReason::RecursionLimit);
            return Xmit::NetDown;
        }
        skb.netns = dev.netns.load(Ordering::Relaxed);
        skb.meta.pkt_type = PktType::Host;
        if let Some(tag) = skb.meta.vlan
            && !vlan_hw_offload_capable(dev.features(), tag.proto)
        {
            // validate_xmit_vlan: a device that cannot insert the tag gets it in the packet.
            // (The kernel makes headroom if there is none; a packet built without any is dropped.)
            if skb.vlan_insert(tag).is_none() {
                self.drop_tx(dev, skb, DropReason::Nomem);
                return Xmit::Drop;
            }
            skb.meta.vlan = None;
        }
        self.refresh();
        self.run_taps(dev, &skb, Direction::Outgoing);
        self.recursion += 1;
        let r = dev.ops().xmit(self, dev, skb);
        self.recursion -= 1;
        r
    }

    /// Feed the taps of `dev` and of its namespace, if there are any (two loads when there are
    /// none).
    #[inline(always)]
    fn run_taps(&self, dev: &NetDevice, skb: &Skb, dir: Direction) {
        let ns_taps = self.ns_shared(dev.netns()).is_some_and(|n| n.ntaps.load(Ordering::Relaxed) > 0);
        if ns_taps || dev.ntaps.load(Ordering::Relaxed) > 0 {
            self.run_taps_slow(dev, skb, dir);
        }
    }

    #[cold]
    fn run_taps_slow(&self, dev: &NetDevice, skb: &Skb, dir: Direction) {
        let ns = dev.netns();
        let ns_taps = self.ns_shared(ns).filter(|n| n.ntaps.load(Ordering::Relaxed) > 0);
        let (frame, pkt_type) = match dir {
            Direction::Outgoing => (skb.data(), PktType::Outgoing),
            Direction::Incoming => (skb.mac_frame(), skb.meta.pkt_type),
        };
        let pkt = TapPacket {
            ifindex: dev.ifindex(),
            netns: ns,
            dev_type: dev.dev_type(),
            direction: dir,
            pkt_type,
            protocol: skb.meta.protocol,
            frame,
            vlan: skb.meta.vlan,
            time_ns: self.world.now(),
        };
        if let Some(n) = ns_taps {
            for t in n.taps.load().iter() {
                t.packet(&pkt);
            }
        }
        if dev.ntaps.load(Ordering::Relaxed) > 0 {
            for t in dev.taps.load().iter() {
                t.packet(&pkt);
            }
        }
    }

    // ------------------------------------------------------------ forwarding into a device

    /// `__is_skb_forwardable`: `dev` is up and the frame fits its MTU plus the link-layer header
    /// plus one VLAN tag (or is GSO, or `check_mtu` is off).
    #[inline]
    pub fn is_skb_forwardable(dev: &NetDevice, skb: &Skb, check_mtu: bool) -> bool {
        if !dev.is_up() {
            return false;
        }
        if !check_mtu || skb.meta.gso {
            return true;
        }
        skb.len() <= dev.mtu() as usize + usize::from(dev.hard_header_len()) + VLAN_HLEN
    }

    /// `__dev_forward_skb2`: make `skb` (data at the Ethernet header) look freshly received on
    /// `dev`: the forwardable check (failure: core `rx_dropped` on `dev` and a drop), the scrub
    /// (`xnet` when the packet crosses namespaces), `priority = 0`, and `eth_type_trans`.
    /// Returns the skb ready for `netif_rx`, or `None` if it was dropped.
    ///
    /// Deliberate deviation: the kernel frees a packet failing the check with plain `kfree_skb`
    /// (`NOT_SPECIFIED`); the simulator names the cause (`PKT_TOO_BIG`, `DEV_READY`) so that a
    /// property test can tell why a frame did not arrive. Counters are the kernel's.
    pub fn forward_prepare(&mut self, dev: &Arc<NetDevice>, mut skb: Skb, check_mtu: bool) -> Option<Skb> {
        self.pins.pin(dev);
        match forward_check(dev, &mut skb, check_mtu) {
            Ok(()) => Some(skb),
            Err(reason) => {
                self.drop_rx(dev, skb, reason);
                None
            }
        }
    }

    /// `dev_forward_skb`: [`forward_prepare`](Self::forward_prepare) with the MTU check, then
    /// [`netif_rx`](Self::netif_rx).
    pub fn dev_forward_skb(&mut self, dev: &Arc<NetDevice>, skb: Skb) -> NetRx {
        self.pins.pin(dev);
        self.enqueue_to_backlog::<true>(dev.id(), skb)
    }

    /// `dev_forward_skb` to the device behind `ptr` (a veth's peer): the same as
    /// [`dev_forward_skb`](Self::dev_forward_skb), reading the device from this CPU's pin
    /// table, so no reference count is touched even when several CPUs forward into one
    /// device. `Err(skb)` if the pointer is empty (the caller counts its own drop).
    #[inline]
    pub fn dev_forward_ptr(&mut self, ptr: &DevPtr, skb: Skb) -> Result<NetRx, Skb> {
        match self.pin_ptr(ptr) {
            Some(id) => Ok(self.enqueue_to_backlog::<true>(id, skb)),
            None => Err(skb),
        }
    }

    /// `netif_rx` into the device behind `ptr` of a packet that has no link-layer header, the
    /// way an L3 device hands a packet to its receiving side (venet's `venet_xmit`; ipvlan in L3
    /// mode): the device is read from this CPU's pin table as in
    /// [`dev_forward_ptr`](Self::dev_forward_ptr).
    ///
    /// `Err(skb)`, untouched and uncounted, if the pointer is empty or the device is not up
    /// (`IFF_UP`, the check these drivers make before `netif_rx`): the caller counts its own
    /// drop. Otherwise the packet (data at the network header; `protocol`, `pkt_type` and `mark`
    /// as the caller left them) is now on that device (`skb->dev`), its MAC header is reset at
    /// the data (`mac_len` 0: taps see the bare network packet) and it is queued as
    /// [`netif_rx`](Self::netif_rx) queues: a device that is not running or a full backlog gives
    /// a core `rx_dropped` and `Ok(NetRx::Drop)`. On `Ok(NetRx::Success)` the receiver's
    /// `rx_packets`/`rx_bytes` count it (this CPU's shard, the length at entry): these drivers
    /// count the receiving side at send time (`dev_sw_netstats_rx_add` in `venet_xmit`).
    #[inline]
    pub fn netif_rx_ptr(&mut self, ptr: &DevPtr, mut skb: Skb) -> Result<NetRx, Skb> {
        let Some(id) = self.pin_ptr(ptr) else { return Err(skb) };
        let Some(dev) = self.pins.get(id) else { return Err(skb) };
        if !dev.is_up() {
            return Err(skb);
        }
        skb.dev = id;
        skb.netns = dev.netns.load(Ordering::Relaxed);
        skb.reset_mac_header();
        let len = skb.len() as u64;
        let r = self.enqueue_to_backlog::<false>(id, skb);
        if r == NetRx::Success
            && let Some(dev) = self.pins.get(id)
        {
            dev.stats().add(self.id, Stat::RxPackets, 1);
            dev.stats().add(self.id, Stat::RxBytes, len);
        }
        Ok(r)
    }

    /// Run `f` with the device behind `ptr`, borrowed from this CPU's pin table for the call
    /// (pinned on first use): how a driver follows an RCU pointer to another device on the data
    /// path without touching its reference count, as a bridge transmits out of a port
    /// (`br_dev_queue_push_xmit` → `dev_queue_xmit(p->dev)`) or passes a frame up its own device
    /// (`br_pass_frame_up`). `None` if the pointer is empty or its device is gone. Code inside
    /// `f` that needs the same device through the pin table re-pins it (one clone).
    #[inline]
    pub fn with_dev_ptr<R>(&mut self, ptr: &DevPtr, f: impl FnOnce(&mut Cpu, &Arc<NetDevice>) -> R) -> Option<R> {
        let id = ptr.id();
        if id == 0 {
            return None;
        }
        let dev = match self.pins.take(id) {
            Some(d) => d,
            None => ptr.load_full()?,
        };
        let r = f(self, &dev);
        self.pins.put(dev);
        Some(r)
    }

    /// Pin the device behind `ptr` on this CPU (one reference the first time this CPU sees it)
    /// and return its id, for [`RxHandlerResult::AnotherPinned`] and [`pinned`](Self::pinned).
    /// `None` if the pointer is empty.
    #[inline]
    pub fn pin_ptr(&mut self, ptr: &DevPtr) -> Option<u64> {
        let id = ptr.id();
        if id == 0 {
            return None;
        }
        if self.pins.get(id).is_some() {
            return Some(id);
        }
        let d = ptr.load_full()?;
        self.pins.pin(&d);
        Some(d.id())
    }

    /// A device this CPU has pinned (with [`pin_ptr`](Self::pin_ptr) or by handling its packets),
    /// borrowed from the pin table: no reference count is touched. `None` if it is not pinned
    /// here, or is the device of a receive round in progress (lent out for the round).
    #[inline]
    pub fn pinned(&self, id: u64) -> Option<&Arc<NetDevice>> {
        self.pins.get(id)
    }

    /// `ip_local_out` in namespace `netns`: hand a complete IP packet (data at the IP header,
    /// `skb.meta.protocol` set) to that namespace's stack to be routed (`oif` restricts the
    /// output device, as `flowi_oif`) and sent, as ipvlan does for its L3 slaves. `Err(skb)`
    /// if the namespace has no stack or the stack finds no unicast or local route: the caller
    /// drops it and counts its error.
    pub fn ip_local_out(&mut self, netns: NetnsId, skb: Skb, oif: Option<u32>) -> Result<(), Skb> {
        self.refresh();
        let idx = netns.0 as usize;
        // As in `deliver`: the handler is taken out of the cache for the call, no clone.
        let (h, cached) = match self.proto.get_mut(idx).and_then(Option::take) {
            Some(h) => (h, true),
            None => match self.ns_shared(netns).and_then(|n| n.protocol.load_full()) {
                Some(p) => (p.0.clone(), false),
                None => return Err(skb),
            },
        };
        let r = h.output(self, skb, oif);
        if cached && let Some(slot) = self.proto.get_mut(idx) {
            *slot = Some(h);
        }
        r
    }

    /// `enqueue_to_backlog` for the device pinned as `id` (with `FORWARD`, `__dev_forward_skb`
    /// first; a const so each caller gets its own copy without the branch), under one borrow of the pin table: the device is never lent out, so nested code
    /// still finds it. A device that is not running, or a backlog past `netdev_max_backlog`,
    /// drops the packet with a core `rx_dropped`; an unknown id drops it uncounted.
    fn enqueue_to_backlog<const FORWARD: bool>(&mut self, id: u64, mut skb: Skb) -> NetRx {
        let max_backlog = self.world.max_backlog() as usize;
        let Some(dev) = self.pins.get(id) else {
            self.kfree_skb(skb, DropReason::NotSpecified, None);
            return NetRx::Drop;
        };
        let checked = if FORWARD { forward_check(dev, &mut skb, true) } else { Ok(()) };
        let reason = match checked {
            Err(reason) => reason,
            Ok(()) if !dev.is_running() => DropReason::DevReady,
            Ok(()) if self.backlog.len() > max_backlog => DropReason::CpuBacklog,
            Ok(()) => {
                self.backlog.push_back(skb);
                return NetRx::Success;
            }
        };
        dev.stats().add_core(self.id, CoreStat::RxDropped, 1);
        let (ifindex, netns) = (dev.ifindex(), dev.netns());
        self.free_dropped(skb, reason, ifindex, netns);
        NetRx::Drop
    }

    /// `eth_type_trans`: the packet is now on `dev` (pinned on this CPU); pull the Ethernet header
    /// (data at the Ethernet header, at least 14 bytes) and set `pkt_type` (against `dev`'s
    /// address: unchanged if it is ours, else BROADCAST, MULTICAST or OTHERHOST) and the
    /// protocol, which it also returns. A frame shorter than 14 bytes is left as it is and gets
    /// protocol 0.
    #[inline]
    pub fn eth_type_trans(&mut self, skb: &mut Skb, dev: &Arc<NetDevice>) -> u16 {
        self.pins.pin(dev);
        eth_type_trans_inner(skb, dev)
    }

    /// The device a received packet is on (`skb->dev`), if this CPU has it. During an rx
    /// handler or protocol handler call the device is passed as an argument instead.
    pub fn skb_dev(&self, skb: &Skb) -> Option<&Arc<NetDevice>> {
        self.pins.get(skb.dev)
    }

    // ------------------------------------------------------------ receive

    /// `netif_rx` / `enqueue_to_backlog`: queue a received packet (its device set by
    /// `eth_type_trans`) on this CPU's backlog. A device that is not running, or a backlog past
    /// `netdev_max_backlog`, drops it with a core `rx_dropped` on the device.
    pub fn netif_rx(&mut self, skb: Skb) -> NetRx {
        self.enqueue_to_backlog::<false>(skb.dev, skb)
    }

    /// Process up to `budget` packets of the backlog (`process_backlog`); returns how many.
    pub fn poll(&mut self, budget: usize) -> usize {
        self.refresh();
        let g = self.world.inner.dev_gen.load(Ordering::Acquire);
        if g != self.dev_gen {
            self.dev_gen = g;
            self.pins.sweep(&self.backlog);
        }
        let mut n = 0;
        while n < budget {
            let Some(skb) = self.backlog.pop_front() else { break };
            self.receive(skb);
            n += 1;
        }
        n
    }

    /// Poll until the backlog is empty or `max` packets were processed (a bridge loop without STP
    /// never empties it); returns how many were processed.
    pub fn run_until_idle(&mut self, max: usize) -> usize {
        let mut total = 0;
        while total < max && !self.backlog.is_empty() {
            total += self.poll((max - total).min(64));
        }
        total
    }

    /// `netif_receive_skb`: receive now, without the backlog (what a bridge does to pass a frame
    /// up to its own device).
    pub fn netif_receive_skb(&mut self, skb: Skb) -> NetRx {
        self.refresh();
        self.receive(skb)
    }

    /// `netif_receive_skb` of a received frame handed up to `dev` by the driver of a device
    /// below it (a bridge's `br_pass_frame_up`: `skb->dev = br->dev`, then a full receive pass on
    /// the bridge device now, without the backlog). The data stays after the link-layer header
    /// and `pkt_type` and `protocol` are kept, as in the kernel. `dev` need not be pinned on this
    /// CPU.
    pub fn netif_receive_skb_on(&mut self, dev: &Arc<NetDevice>, mut skb: Skb) -> NetRx {
        self.refresh();
        skb.dev = dev.id();
        skb.netns = dev.netns.load(Ordering::Relaxed);
        let mut round = Round::default();
        let r = self.receive_on(skb, dev, &mut round);
        self.round_release(&mut round);
        r
    }

    /// `__netif_receive_skb_core`, in the kernel's order: VLAN untag, taps, `vlan_do_receive`,
    /// the rx handler (bounded rounds), then protocol delivery, else `rx_dropped` (or
    /// `rx_nohandler` after an exact-match handler result).
    fn receive(&mut self, skb: Skb) -> NetRx {
        // Borrow the device out of the pin table for the duration (no reference count).
        let Some(orig) = self.pins.take(skb.dev) else {
            self.kfree_skb(skb, DropReason::NotSpecified, None);
            return NetRx::Drop;
        };
        let mut round = Round::default();
        let r = self.receive_on(skb, &orig, &mut round);
        self.round_release(&mut round);
        self.pins.put(orig);
        r
    }

    /// Give back the device of the current round if it was borrowed from the pin table.
    #[inline]
    fn round_release(&mut self, round: &mut Round) {
        if let Some(d) = round.dev.take()
            && round.pinned
        {
            self.pins.put(d);
        }
        round.pinned = false;
    }

    /// Make `next` the device of the next receive round (`goto another_round`) and give the
    /// packet back; an id this CPU has not pinned drops it (`None`).
    fn round_switch(&mut self, round: &mut Round, orig: &Arc<NetDevice>, mut skb: Skb, next: Next) -> Option<Skb> {
        let switching = !matches!(next, Next::None);
        match next {
            Next::None => {}
            Next::Owned(d) => {
                self.round_release(round);
                // Pinned too, so `skb_dev` finds the packet's new device during the round.
                self.pins.pin(&d);
                round.dev = Some(d);
            }
            Next::Pinned(id) if id == orig.id() => self.round_release(round),
            Next::Pinned(id) if round.dev.as_ref().is_some_and(|d| d.id() == id) => {}
            Next::Pinned(id) => {
                let Some(d) = self.pins.take(id) else {
                    self.kfree_skb(skb, DropReason::NotSpecified, None);
                    return None;
                };
                self.round_release(round);
                round.dev = Some(d);
                round.pinned = true;
            }
        }
        if switching {
            // The handler set skb->dev to the next device: the packet is now on it (its
            // namespace too, for a later scrub), as the kernel's skb->dev says.
            let dev = round.dev.as_ref().unwrap_or(orig);
            skb.dev = dev.id();
            skb.netns = dev.netns.load(Ordering::Relaxed);
        }
        Some(skb)
    }

    fn receive_on(&mut self, mut skb: Skb, orig: &Arc<NetDevice>, round: &mut Round) -> NetRx {
        if orig.reg_state() != RegState::Registered {
            self.drop_rx(orig, skb, DropReason::DevUnregistered);
            return NetRx::Drop;
        }
        let mut exact = false;
        let mut rounds = 0;
        'another_round: loop {
            let dev = round.dev.as_ref().unwrap_or(orig);
            rounds += 1;
            if rounds > MAX_RX_ROUNDS {
                let dev = dev.clone();
                self.drop_rx(&dev, skb, DropReason::RxRounds);
                return NetRx::Drop;
            }
            skb.meta.skb_iif = dev.ifindex();
            if is_vlan_proto(skb.meta.protocol) && skb.meta.vlan.is_none() && skb.vlan_untag().is_none() {
                let dev = dev.clone();
                self.drop_rx(&dev, skb, DropReason::DevHdr);
                return NetRx::Drop;
            }
            self.run_taps(dev, &skb, Direction::Incoming);
            if skb.meta.vlan.is_some() {
                match self.vlan_do_receive(dev, skb) {
                    Step::Continue(s) => skb = s,
                    Step::Round(s, next) => match self.round_switch(round, orig, s, next) {
                        Some(s) => {
                            skb = s;
                            continue;
                        }
                        None => return NetRx::Drop,
                    },
                    Step::Done(r) => return r,
                }
            }
            let dev = round.dev.as_ref().unwrap_or(orig);
            if dev.has_rx_handler.load(Ordering::Acquire) {
                let guard = dev.rx_handler.load();
                if let Some(h) = guard.as_ref() {
                    let next = match h.0.handle(self, dev, skb) {
                        RxHandlerResult::Consumed => return NetRx::Success,
                        RxHandlerResult::Another(s, next) => (s, Next::Owned(next)),
                        RxHandlerResult::AnotherPinned(s, id) => (s, Next::Pinned(id)),
                        RxHandlerResult::Exact(s) => {
                            exact = true;
                            (s, Next::None)
                        }
                        RxHandlerResult::Pass(s) => (s, Next::None),
                    };
                    drop(guard);
                    if matches!(next.1, Next::None) {
                        skb = next.0;
                    } else {
                        match self.round_switch(round, orig, next.0, next.1) {
                            Some(s) => {
                                skb = s;
                                continue;
                            }
                            None => return NetRx::Drop,
                        }
                    }
                }
            }
            // A tag no vlan device took (the `check_vlan_id` block).
            while let Some(tag) = skb.meta.vlan {
                if tag.vid() != 0 {
                    skb.meta.pkt_type = PktType::OtherHost;
                    break;
                }
                if !is_vlan_proto(skb.meta.protocol) {
                    break;
                }
                // A priority tag over another tag: strip it and try the inner one.
                skb.meta.vlan = None;
                let dev = round.dev.as_ref().unwrap_or(orig);
                if skb.vlan_untag().is_none() {
                    let dev = dev.clone();
                    self.drop_rx(&dev, skb, DropReason::DevHdr);
                    return NetRx::Drop;
                }
                match self.vlan_do_receive(dev, skb) {
                    Step::Continue(s) => skb = s,
                    Step::Round(s, next) => match self.round_switch(round, orig, s, next) {
                        Some(s) => {
                            skb = s;
                            continue 'another_round;
                        }
                        None => return NetRx::Drop,
                    },
                    Step::Done(r) => return r,
                }
            }
            if skb.meta.vlan.is_some() {
                skb.meta.vlan = None;
            }
            let dev = round.dev.as_ref().unwrap_or(orig);
            return self.deliver(skb, dev, orig, exact);
        }
    }

    /// `vlan_do_receive` through the hook of `dev`, if it has one.
    fn vlan_do_receive(&mut self, dev: &Arc<NetDevice>, skb: Skb) -> Step {
        if !dev.has_vlan_rx.load(Ordering::Acquire) {
            return Step::Continue(skb);
        }
        let guard = dev.vlan_rx.load();
        let Some(h) = guard.as_ref() else { return Step::Continue(skb) };
        match h.0.vlan_do_receive(self, dev, skb) {
            RxHandlerResult::Consumed => Step::Done(NetRx::Drop),
            RxHandlerResult::Another(s, next) => Step::Round(s, Next::Owned(next)),
            RxHandlerResult::AnotherPinned(s, id) => Step::Round(s, Next::Pinned(id)),
            RxHandlerResult::Exact(s) | RxHandlerResult::Pass(s) => Step::Continue(s),
        }
    }

    fn deliver(&mut self, skb: Skb, dev: &Arc<NetDevice>, orig: &Arc<NetDevice>, exact: bool) -> NetRx {
        let mut skb = skb;
        if !exact {
            let idx = dev.netns().0 as usize;
            // Take the handler out of the cache for the call (it needs `&mut self`); a nested
            // delivery into the same namespace reloads it from the shared table.
            let h = match self.proto.get_mut(idx).and_then(Option::take) {
                Some(h) => Some((h, true)),
                None => self.ns_shared(dev.netns()).and_then(|n| n.protocol.load_full()).map(|p| (p.0.clone(), false)),
            };
            if let Some((h, cached)) = h {
                let r = h.receive(self, dev, orig, skb);
                if cached && let Some(slot) = self.proto.get_mut(idx) {
                    *slot = Some(h);
                }
                match r {
                    Ok(()) => {
                        bump(&self.shared.delivered);
                        return NetRx::Success;
                    }
                    Err(s) => skb = s,
                }
            }
        }
        let stat = if exact { CoreStat::RxNohandler } else { CoreStat::RxDropped };
        self.core_stat_inc(dev, stat);
        self.kfree_skb(skb, DropReason::UnhandledProto, Some(dev));
        NetRx::Drop
    }
}

/// `____dev_forward_skb` + `eth_type_trans`: the forwardable check (a frame shorter than an
/// Ethernet header fails too), the scrub, `priority = 0`, and the move onto `dev` (already pinned
/// by the caller).
#[inline(always)]
fn forward_check(dev: &NetDevice, skb: &mut Skb, check_mtu: bool) -> Result<(), DropReason> {
    if !Cpu::is_skb_forwardable(dev, skb, check_mtu) {
        return Err(if dev.is_up() { DropReason::PktTooBig } else { DropReason::DevReady });
    }
    if skb.len() < ETH_HLEN {
        return Err(DropReason::PktTooSmall);
    }
    let xnet = skb.netns != dev.netns.load(Ordering::Relaxed);
    scrub(skb, xnet);
    skb.meta.priority = 0;
    eth_type_trans_inner(skb, dev);
    Ok(())
}

/// `skb_scrub_packet`: always reset `pkt_type`, `skb_iif` and `ignore_df`; across namespaces
/// also `mark` and the timestamp.
pub fn scrub(skb: &mut Skb, xnet: bool) {
    skb.meta.pkt_type = PktType::Host;
    skb.meta.skb_iif = 0;
    skb.meta.ignore_df = false;
    if xnet {
        skb.meta.mark = 0;
        skb.meta.tstamp = 0;
    }
}

/// `eth_type_trans` without the pinning (see [`Cpu::eth_type_trans`]): the packet is now on `dev`; pull the Ethernet header (data at the Ethernet
/// header, at least 14 bytes) and set `pkt_type` (against `dev`'s address: unchanged if it is
/// ours, else BROADCAST, MULTICAST or OTHERHOST) and the protocol, which it also returns. A frame
/// shorter than 14 bytes is left as it is and gets protocol 0.
#[inline(always)]
fn eth_type_trans_inner(skb: &mut Skb, dev: &NetDevice) -> u16 {
    skb.dev = dev.id();
    skb.netns = dev.netns.load(Ordering::Relaxed);
    skb.reset_mac_header();
    let (dest, proto, llc) = {
        let d = skb.data();
        if d.len() < ETH_HLEN {
            skb.meta.protocol = 0;
            return 0;
        }
        let dest = MacAddr([d[0], d[1], d[2], d[3], d[4], d[5]]);
        let proto = u16::from_be_bytes([d[12], d[13]]);
        let raw = d.len() >= ETH_HLEN + 2 && d[14] == 0xff && d[15] == 0xff;
        (dest, proto, raw)
    };
    let _ = skb.pull(ETH_HLEN);
    if dest != dev.address() {
        skb.meta.pkt_type = if dest.is_multicast() {
            if dest == dev.broadcast() { PktType::Broadcast } else { PktType::Multicast }
        } else {
            PktType::OtherHost
        };
    }
    let p = if proto >= ETH_P_802_3_MIN {
        proto
    } else if llc {
        ETH_P_802_3
    } else {
        ETH_P_802_2
    };
    skb.meta.protocol = p;
    p
}

/// `vlan_hw_offload_capable`: the device inserts a `proto` tag itself (`HW_VLAN_CTAG_TX` for
/// 802.1Q, `HW_VLAN_STAG_TX` for 802.1AD).
#[inline]
pub fn vlan_hw_offload_capable(features: Features, proto: u16) -> bool {
    match proto {
        ETH_P_8021Q => features.contains(Features::HW_VLAN_CTAG_TX),
        ETH_P_8021AD => features.contains(Features::HW_VLAN_STAG_TX),
        _ => false,
    }
}

/// `eth_type_vlan`: 802.1Q or 802.1AD.
#[inline]
fn is_vlan_proto(proto: u16) -> bool {
    proto == ETH_P_8021Q || proto == ETH_P_8021AD
}

/// The device of the current receive round when it is not the original one.
#[derive(Default)]
struct Round {
    dev: Option<Arc<NetDevice>>,
    /// `dev` was taken out of the pin table and goes back there.
    pinned: bool,
}

/// The device a handler moved the packet to.
enum Next {
    None,
    Owned(Arc<NetDevice>),
    Pinned(u64),
}

/// What `vlan_do_receive` decided.
enum Step {
    /// No vlan device took it: go on on the same device.
    Continue(Skb),
    /// Another round on a vlan device.
    Round(Skb, Next),
    /// Freed (the vlan device is down).
    Done(NetRx),
}
