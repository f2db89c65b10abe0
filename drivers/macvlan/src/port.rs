//! The port (`struct macvlan_port`): what macvlan keeps on a lower device, its receive handler
//! (`macvlan_handle_frame`), the sibling broadcast (`macvlan_broadcast`) and the broadcast queue
//! (`macvlan_broadcast_enqueue`, `macvlan_process_broadcast`).
//!
//! Configuration lives in [`PortState`] behind a mutex taken on the control path only; every
//! change republishes an immutable [`PortSnap`] (arc-swap) that the data path reads without a
//! lock: the macvlans in list order, a MAC-keyed table of the ones that are up (the kernel's
//! `vlan_hash`), the source-MAC entries and the two filters. The broadcast queue has its own
//! mutex, taken only for frames that are queued (never for unicast).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;
use netdev_core::{
    ARPHRD_ETHER, CoreStat, Cpu, DevPtr, DropReason, ETH_HLEN, Errno, Error, IfFlags, MacAddr, NetDevice, NetRx,
    PktType, PrivFlags, Result, Rtnl, RxHandler, RxHandlerResult, Skb, Stat,
};
use parking_lot::Mutex;

use crate::Registry;
use crate::config::{MACVLAN_DEFAULT_BC_CUTOFF, MACVLAN_FLAG_NODST, MacaddrMode, MacvlanConfig, MacvlanMode};

/// `ETH_P_PAUSE`: never flooded to siblings.
const ETH_P_PAUSE: u16 = 0x8808;
const GOLDEN_RATIO_64: u64 = 0x61C8_8646_80B5_83EB;
const GOLDEN_RATIO_32: u32 = 0x61C8_8647;

/// `macvlan_eth_hash`: `hash_64` of the address (read as a little-endian u64 shifted up by 16
/// bits) into `MACVLAN_HASH_BITS` = 8 bits. Only its bucket order is observable (the order in
/// which siblings get broadcast copies, and in which `ip -d link` lists source MACs).
pub(crate) fn eth_hash(mac: MacAddr) -> u8 {
    let a = mac.0;
    let v = u64::from_le_bytes([a[0], a[1], a[2], a[3], a[4], a[5], 0, 0]) << 16;
    (v.wrapping_mul(GOLDEN_RATIO_64) >> 56) as u8
}

/// `mc_hash(NULL, addr)`: `hash_32` of the last four bytes (little-endian) into
/// `MACVLAN_MC_FILTER_BITS` = 8 bits: the port's broadcast and multicast filters.
pub(crate) fn mc_hash(mac: MacAddr) -> u8 {
    let a = mac.0;
    let v = u32::from_le_bytes([a[2], a[3], a[4], a[5]]);
    (v.wrapping_mul(GOLDEN_RATIO_32) >> 24) as u8
}

/// A 256-bit filter (`DECLARE_BITMAP(.., MACVLAN_MC_FILTER_SZ)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Filter([u64; 4]);

impl Filter {
    const FULL: Filter = Filter([u64::MAX; 4]);

    // `bit >> 6` of a u8 is at most 3: the index is always in range.
    fn set(&mut self, bit: u8) {
        self.0[usize::from(bit >> 6)] |= 1 << (bit & 63);
    }

    fn test(&self, bit: u8) -> bool {
        self.0[usize::from(bit >> 6)] & (1 << (bit & 63)) != 0
    }

    /// Bits set (for introspection).
    pub(crate) fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

/// `macvlan_compute_filter` with `vlan == NULL`: every group of the lower device that more than
/// `cutoff` macvlans synced in, plus the broadcast address; everything if the lower device is
/// PROMISC or ALLMULTI (the kernel's own flags, so a lower made promiscuous by the macvlans'
/// unicast addresses floods every group to the queue).
fn compute_port_filter(lower: &NetDevice, cutoff: i32) -> Filter {
    if lower.raw_flags().intersects(IfFlags::PROMISC | IfFlags::ALLMULTI) {
        return Filter::FULL;
    }
    let mut f = Filter::default();
    for ha in lower.mc_addrs() {
        if i64::from(ha.synced) <= i64::from(cutoff) {
            continue;
        }
        f.set(mc_hash(ha.addr));
    }
    f.set(mc_hash(lower.broadcast()));
    f
}

/// One macvlan as the port knows it (`struct macvlan_dev`'s port-side fields).
#[derive(Debug)]
pub(crate) struct VlanRec {
    pub(crate) dev: Weak<NetDevice>,
    pub(crate) id: u64,
    pub(crate) mode: MacvlanMode,
    pub(crate) flags: u16,
    pub(crate) bc_queue_len_req: u32,
    /// The address it is hashed under (the device's, kept here because a MAC change is decided
    /// before the core stores the new address).
    pub(crate) mac: MacAddr,
    /// In `vlan_hash` (the macvlan is open): the order it was added in.
    pub(crate) hashed: Option<u64>,
    /// `vlan->mc_filter` as an exact set: every group if PROMISC/ALLMULTI, else its multicast
    /// list (broadcast always passes).
    pub(crate) mc_all: bool,
    pub(crate) mc: Vec<MacAddr>,
}

#[derive(Clone, Copy, Debug)]
struct SourceEntry {
    mac: MacAddr,
    vlan: u64,
    seq: u64,
}

/// The configuration side of a port, under its mutex.
#[derive(Debug)]
pub(crate) struct PortState {
    /// `port->count`: macvlans initialised on the port.
    pub(crate) count: u32,
    /// `MACVLAN_F_PASSTHRU`.
    pub(crate) passthru: bool,
    /// `MACVLAN_F_ADDRCHANGE`: a passthru macvlan is changing the lower's address.
    pub(crate) addr_change: bool,
    /// `port->perm_addr`: the lower's address to restore when a passthru port goes.
    pub(crate) perm_addr: MacAddr,
    pub(crate) bc_cutoff: i32,
    pub(crate) bc_queue_len_used: u32,
    /// `port->vlans`, in the order added.
    pub(crate) vlans: Vec<VlanRec>,
    sources: Vec<SourceEntry>,
    pub(crate) mc_filter: Filter,
    pub(crate) bc_filter: Filter,
    seq: u64,
}

impl PortState {
    pub(crate) fn vlan(&self, id: u64) -> Option<&VlanRec> {
        self.vlans.iter().find(|v| v.id == id)
    }

    pub(crate) fn vlan_mut(&mut self, id: u64) -> Option<&mut VlanRec> {
        self.vlans.iter_mut().find(|v| v.id == id)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// `macvlan_addr_busy`: the lower's own address (unless passthru or a passthru address change
    /// is under way), or the address of a macvlan that is up.
    pub(crate) fn addr_busy(&self, lower_addr: MacAddr, addr: MacAddr) -> bool {
        (!self.passthru && !self.addr_change && lower_addr == addr)
            || self.vlans.iter().any(|v| v.hashed.is_some() && v.mac == addr)
    }

    /// `macvlan_hash_add`.
    pub(crate) fn hash_add(&mut self, id: u64) {
        let seq = self.next_seq();
        if let Some(v) = self.vlan_mut(id) {
            v.hashed = Some(seq);
        }
    }

    /// `macvlan_hash_del`.
    pub(crate) fn hash_del(&mut self, id: u64) {
        if let Some(v) = self.vlan_mut(id) {
            v.hashed = None;
        }
    }

    /// `update_port_bc_queue_len`: the largest length any macvlan asked for (0 with none).
    pub(crate) fn update_bc_queue_len(&mut self) {
        self.bc_queue_len_used = self.vlans.iter().map(|v| v.bc_queue_len_req).max().unwrap_or(0);
    }

    /// The source MACs of macvlan `id` in `macvlan_fill_info` order: hash bucket by bucket, the
    /// newest first within a bucket.
    pub(crate) fn sources_of(&self, id: u64) -> Vec<MacAddr> {
        let mut v: Vec<&SourceEntry> = self.sources.iter().filter(|s| s.vlan == id).collect();
        v.sort_by_key(|s| (eth_hash(s.mac), std::cmp::Reverse(s.seq)));
        v.into_iter().map(|s| s.mac).collect()
    }

    /// `macvlan_flush_sources`.
    pub(crate) fn flush_sources(&mut self, id: u64) {
        self.sources.retain(|s| s.vlan != id);
    }

    /// `macvlan_hash_add_source`: a duplicate is a silent no-op.
    fn add_source(&mut self, id: u64, mac: MacAddr) {
        if self.sources.iter().any(|s| s.vlan == id && s.mac == mac) {
            return;
        }
        let seq = self.next_seq();
        self.sources.push(SourceEntry { mac, vlan: id, seq });
    }

    /// `macvlan_changelink_sources` for macvlan `id`.
    pub(crate) fn changelink_sources(&mut self, id: u64, mode: MacaddrMode, cfg: &MacvlanConfig) -> Result<()> {
        match mode {
            MacaddrMode::Add => {
                let a = cfg.macaddr.ok_or(Error::new(Errno::Einval))?;
                self.add_source(id, a);
            }
            MacaddrMode::Del => {
                let a = cfg.macaddr.ok_or(Error::new(Errno::Einval))?;
                self.sources.retain(|s| !(s.vlan == id && s.mac == a));
            }
            MacaddrMode::Flush => self.flush_sources(id),
            MacaddrMode::Set => {
                self.flush_sources(id);
                if let Some(a) = cfg.macaddr {
                    self.add_source(id, a);
                }
                for a in cfg.macaddr_data.iter().flatten() {
                    self.add_source(id, *a);
                }
            }
        }
        Ok(())
    }

    /// `macvlan_recompute_bc_filter`.
    pub(crate) fn recompute_bc_filter(&mut self, lower: &NetDevice) {
        self.bc_filter =
            if self.bc_cutoff < 0 { Filter::default() } else { compute_port_filter(lower, self.bc_cutoff) };
    }

    /// The port half of `macvlan_set_mac_lists`: both filters from the lower's list and flags.
    pub(crate) fn recompute_filters(&mut self, lower: &NetDevice) {
        self.mc_filter = compute_port_filter(lower, 0);
        self.recompute_bc_filter(lower);
    }
}

/// One macvlan as the data path sees it.
#[derive(Debug)]
pub(crate) struct SnapVlan {
    pub(crate) dev: Weak<NetDevice>,
    /// The same device for the unicast hot path, followed through the CPU's pin table (no
    /// reference count per packet, as `rcu_dereference` of the vlan in `macvlan_handle_frame`).
    ptr: DevPtr,
    pub(crate) id: u64,
    mac: u64,
    pub(crate) mode: MacvlanMode,
    nodst: bool,
    mc_all: bool,
    mc: Box<[MacAddr]>,
}

impl SnapVlan {
    /// `test_bit(mc_hash(vlan, dest), vlan->mc_filter)`, exactly.
    fn mc_match(&self, dest: MacAddr) -> bool {
        self.mc_all || dest.is_broadcast() || self.mc.binary_search(&dest).is_ok()
    }
}

/// What the data path reads: republished whole on every configuration change.
#[derive(Debug, Default)]
pub(crate) struct PortSnap {
    passthru: bool,
    /// Every macvlan, in `port->vlans` order.
    pub(crate) vlans: Box<[SnapVlan]>,
    /// Indices of the macvlans in `vlan_hash`, in `hash_for_each` order (bucket, newest first).
    hashed: Box<[u32]>,
    /// Open-addressing table over `hashed`, keyed by MAC: index + 1, 0 for an empty slot.
    table: Box<[u32]>,
    /// (source MAC, macvlan index), sorted by MAC, the newest entry first.
    sources: Box<[(u64, u32)]>,
    mc_filter: Filter,
    bc_filter: Filter,
    bc_queue_len_used: u32,
}

#[inline]
fn slot(mac: u64, mask: usize) -> usize {
    (mac.wrapping_mul(GOLDEN_RATIO_64) >> 32) as usize & mask
}

#[inline]
fn mac_at(d: &[u8], at: usize) -> Option<MacAddr> {
    MacAddr::from_slice(d.get(at..at + 6)?)
}

impl PortSnap {
    fn build(st: &PortState) -> PortSnap {
        let vlans: Box<[SnapVlan]> = st
            .vlans
            .iter()
            .map(|v| SnapVlan {
                dev: v.dev.clone(),
                ptr: {
                    let p = DevPtr::new();
                    p.store(v.dev.upgrade());
                    p
                },
                id: v.id,
                mac: v.mac.to_u64(),
                mode: v.mode,
                nodst: v.flags & MACVLAN_FLAG_NODST != 0,
                mc_all: v.mc_all,
                mc: v.mc.clone().into_boxed_slice(),
            })
            .collect();
        let mut hashed: Vec<(u8, std::cmp::Reverse<u64>, u32)> = st
            .vlans
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.hashed.map(|s| (eth_hash(v.mac), std::cmp::Reverse(s), i as u32)))
            .collect();
        hashed.sort_unstable();
        let hashed: Box<[u32]> = hashed.into_iter().map(|h| h.2).collect();
        let size = (hashed.len() * 2).next_power_of_two().max(8);
        // `size` is a power of two at least twice the entries: `h & (size - 1)` is in range and
        // the probe finds a free slot.
        let mut table = vec![0u32; size];
        for &i in hashed.iter() {
            let Some(v) = vlans.get(i as usize) else { continue };
            let mut h = slot(v.mac, size - 1);
            while table[h] != 0 {
                h = (h + 1) & (size - 1);
            }
            table[h] = i + 1;
        }
        let mut sources: Vec<(u64, std::cmp::Reverse<u64>, u32)> = st
            .sources
            .iter()
            .filter_map(|s| {
                let i = st.vlans.iter().position(|v| v.id == s.vlan)?;
                Some((s.mac.to_u64(), std::cmp::Reverse(s.seq), i as u32))
            })
            .collect();
        sources.sort_unstable();
        PortSnap {
            passthru: st.passthru,
            vlans,
            hashed,
            table: table.into_boxed_slice(),
            sources: sources.into_iter().map(|s| (s.0, s.2)).collect(),
            mc_filter: st.mc_filter,
            bc_filter: st.bc_filter,
            bc_queue_len_used: st.bc_queue_len_used,
        }
    }

    /// `macvlan_hash_lookup`: the macvlan that is up with address `mac`.
    #[inline]
    pub(crate) fn lookup(&self, mac: u64) -> Option<&SnapVlan> {
        let mask = self.table.len().checked_sub(1)?;
        let mut h = slot(mac, mask);
        for _ in 0..self.table.len() {
            let e = *self.table.get(h)?;
            if e == 0 {
                return None;
            }
            let v = self.vlans.get(e as usize - 1)?;
            if v.mac == mac {
                return Some(v);
            }
            h = (h + 1) & mask;
        }
        None
    }

    fn by_id(&self, id: u64) -> Option<&SnapVlan> {
        self.vlans.iter().find(|v| v.id == id)
    }
}

/// The source of a queued broadcast: the sibling whose MAC it came from.
#[derive(Clone, Copy, Debug)]
struct BcSrc {
    id: u64,
    mode: MacvlanMode,
}

#[derive(Debug, Default)]
struct BcQueue {
    q: VecDeque<(Skb, Option<BcSrc>)>,
    /// The work item is armed (`queue_work` on a pending work does nothing).
    pending: bool,
}

/// A macvlan port: the lower device's rx handler.
#[derive(Debug)]
pub(crate) struct Port {
    me: Weak<Port>,
    lower: Weak<NetDevice>,
    lower_id: u64,
    reg: Weak<Registry>,
    st: Mutex<PortState>,
    snap: ArcSwap<PortSnap>,
    bc: Mutex<BcQueue>,
    dead: AtomicBool,
}

impl Port {
    /// `macvlan_port_create`: EINVAL for a lower that is not Ethernet or is a loopback, EBUSY if
    /// it already has an rx handler (EINVAL if it may have none); marks it `IFF_MACVLAN_PORT`.
    pub(crate) fn create(rtnl: &mut Rtnl<'_>, reg: &Arc<Registry>, lower: &Arc<NetDevice>) -> Result<Arc<Port>> {
        if lower.dev_type() != ARPHRD_ETHER || lower.raw_flags().contains(IfFlags::LOOPBACK) {
            return Err(Error::new(Errno::Einval));
        }
        let st = PortState {
            count: 0,
            passthru: false,
            addr_change: false,
            perm_addr: lower.address(),
            bc_cutoff: MACVLAN_DEFAULT_BC_CUTOFF,
            bc_queue_len_used: 0,
            vlans: Vec::new(),
            sources: Vec::new(),
            mc_filter: Filter::default(),
            bc_filter: Filter::default(),
            seq: 0,
        };
        let port = Arc::new_cyclic(|me| Port {
            me: me.clone(),
            lower: Arc::downgrade(lower),
            lower_id: lower.id(),
            reg: Arc::downgrade(reg),
            st: Mutex::new(st),
            snap: ArcSwap::from_pointee(PortSnap::default()),
            bc: Mutex::new(BcQueue::default()),
            dead: AtomicBool::new(false),
        });
        rtnl.rx_handler_register(lower, port.clone())?;
        rtnl.set_priv_flags(lower, PrivFlags::MACVLAN_PORT, true);
        reg.insert(lower.id(), port.clone());
        Ok(port)
    }

    /// `macvlan_port_destroy`: unhook from the lower device, and give a passthru lower its
    /// original address back. Frames still queued for the broadcast work are dropped when it runs.
    pub(crate) fn destroy(&self, rtnl: &mut Rtnl<'_>) {
        self.dead.store(true, Ordering::Release);
        if let Some(reg) = self.reg.upgrade() {
            reg.remove(self.lower_id);
        }
        let Some(lower) = self.lower.upgrade() else { return };
        rtnl.set_priv_flags(&lower, PrivFlags::MACVLAN_PORT, false);
        rtnl.rx_handler_unregister(&lower);
        let (passthru, perm) = {
            let st = self.st.lock();
            (st.passthru, st.perm_addr)
        };
        if passthru && lower.address() != perm {
            // dev_set_mac_address on the lower; a lower being unregistered refuses, as it may.
            let _ = rtnl.set_address(&lower, perm);
        }
    }

    /// Is this port still attached to its lower device?
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// The lower device, if it still exists.
    pub(crate) fn lower(&self) -> Option<Arc<NetDevice>> {
        self.lower.upgrade()
    }

    /// Change the configuration under the port's lock and republish the data-path snapshot.
    /// `f` must not call back into RTNL or the core's address-list calls.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut PortState) -> R) -> R {
        let mut st = self.st.lock();
        let r = f(&mut st);
        self.snap.store(Arc::new(PortSnap::build(&st)));
        r
    }

    /// Read the configuration.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&PortState) -> R) -> R {
        f(&self.st.lock())
    }

    /// The current data-path snapshot.
    pub(crate) fn snap(&self) -> arc_swap::Guard<Arc<PortSnap>> {
        self.snap.load()
    }

    /// Frames waiting in the broadcast queue.
    pub(crate) fn bc_queued(&self) -> usize {
        self.bc.lock().q.len()
    }

    // ------------------------------------------------------------------ data path

    /// `macvlan_broadcast_enqueue`: a clone for the work item, unless the queue already holds
    /// `bc_queue_len_used` frames: then the clone is dropped and the core `rx_dropped` of the
    /// device the frame arrived on (the lower) counts it.
    fn broadcast_enqueue(&self, cpu: &mut Cpu, snap: &PortSnap, lower: &NetDevice, src: Option<BcSrc>, skb: &Skb) {
        let nskb = cpu.skb_clone(skb);
        let (full, arm) = {
            let mut g = self.bc.lock();
            let full = g.q.len() >= snap.bc_queue_len_used as usize;
            let nskb = if full {
                Some(nskb)
            } else {
                g.q.push_back((nskb, src));
                None
            };
            let arm = !g.pending;
            g.pending = true;
            (nskb, arm)
        };
        if arm && let Some(me) = self.me.upgrade() {
            let now = cpu.now();
            cpu.world().timer_add(
                now,
                Box::new(move |cpu: &mut Cpu| {
                    me.process_broadcast(cpu);
                    None
                }),
            );
        }
        if let Some(nskb) = full {
            cpu.core_stat_inc(lower, CoreStat::RxDropped);
            cpu.kfree_skb(nskb, DropReason::FullRing, Some(lower));
        }
    }

    /// `macvlan_process_broadcast`, the work item: every queued frame goes to the siblings by the
    /// mode rules of its source, then is consumed. Runs as a timer due at the instant the first
    /// frame was queued, so it runs at the next `advance` of the clock (any duration, even 0).
    fn process_broadcast(&self, cpu: &mut Cpu) {
        let list = {
            let mut g = self.bc.lock();
            g.pending = false;
            std::mem::take(&mut g.q)
        };
        let dead = self.is_dead();
        let snap = self.snap.load_full();
        for (skb, src) in list {
            if dead {
                cpu.kfree_skb(skb, DropReason::DevUnregistered, None);
                continue;
            }
            let src = src.map(|s| BcSrc { id: s.id, mode: snap.by_id(s.id).map_or(s.mode, |v| v.mode) });
            multicast_rx(cpu, &snap, src, &skb);
            cpu.consume_skb(skb);
        }
    }
}

/// `macvlan_count_rx`.
pub(crate) fn count_rx(cpu: &Cpu, dev: &NetDevice, len: usize, ok: bool, multicast: bool) {
    if ok {
        cpu.stat_packet(dev, Stat::RxPackets, Stat::RxBytes, len);
        if multicast {
            cpu.stat_add(dev, Stat::Multicast, 1);
        }
    } else {
        cpu.stat_add(dev, Stat::RxErrors, 1);
    }
}

/// Put a received frame (data after the Ethernet header) on `dev`: `skb->dev = dev` plus
/// `eth_type_trans`'s classification against `dev`.
fn retarget(cpu: &mut Cpu, skb: &mut Skb, dev: &Arc<NetDevice>) {
    skb.push_mac();
    cpu.eth_type_trans(skb, dev);
}

/// `macvlan_multicast_rx`: who gets a received group frame, by its source sibling's mode.
fn multicast_rx(cpu: &mut Cpu, snap: &PortSnap, src: Option<BcSrc>, skb: &Skb) {
    use MacvlanMode::{Bridge, Passthru, Private, Vepa};
    match src {
        None => broadcast(cpu, snap, None, skb, Private.bits() | Vepa.bits() | Passthru.bits() | Bridge.bits()),
        Some(s) if s.mode == Vepa => broadcast(cpu, snap, Some(s.id), skb, Vepa.bits() | Bridge.bits()),
        Some(s) => broadcast(cpu, snap, Some(s.id), skb, Vepa.bits()),
    }
}

/// `macvlan_broadcast`: a clone for every sibling that is up, is not `src`, has a mode in `mask`
/// and whose filter takes the destination. With `mask == BRIDGE` (the transmit path) the clone
/// goes through `__dev_forward_skb` of the sibling; otherwise it is put on the sibling as
/// received. Counted on the sibling with `skb->len + ETH_HLEN`, which on the transmit path
/// (data at the Ethernet header) is 14 bytes more than the frame, as Linux counts it.
pub(crate) fn broadcast(cpu: &mut Cpu, snap: &PortSnap, src: Option<u64>, skb: &Skb, mask: u32) {
    let (dest, proto) = {
        let f = skb.mac_frame();
        let Some(dest) = mac_at(f, 0) else { return };
        let proto = f.get(12..14).map_or(0, |p| u16::from_be_bytes([p[0], p[1]]));
        (dest, proto)
    };
    if proto == ETH_P_PAUSE {
        return;
    }
    let local = mask == MacvlanMode::Bridge.bits();
    for &i in snap.hashed.iter() {
        let Some(v) = snap.vlans.get(i as usize) else { continue };
        if Some(v.id) == src || v.mode.bits() & mask == 0 || !v.mc_match(dest) {
            continue;
        }
        let Some(vdev) = v.dev.upgrade() else { continue };
        let mut nskb = cpu.skb_clone(skb);
        let ok = if local {
            match cpu.forward_prepare(&vdev, nskb, true) {
                Some(s) => cpu.netif_rx(s) == NetRx::Success,
                None => false,
            }
        } else {
            retarget(cpu, &mut nskb, &vdev);
            cpu.netif_rx(nskb) == NetRx::Success
        };
        count_rx(cpu, &vdev, skb.len() + ETH_HLEN, ok, true);
    }
}

/// `macvlan_forward_source`: a clone for every source-mode macvlan that lists `src_mac` and is
/// up. True if one of them (up or not) has `NODST`: the frame is then not delivered otherwise.
fn forward_source(cpu: &mut Cpu, snap: &PortSnap, skb: &Skb, dest: MacAddr, src_mac: u64) -> bool {
    let start = snap.sources.partition_point(|s| s.0 < src_mac);
    let mut consume = false;
    for &(mac, i) in snap.sources.get(start..).unwrap_or(&[]) {
        if mac != src_mac {
            break;
        }
        let Some(v) = snap.vlans.get(i as usize) else { continue };
        consume |= v.nodst;
        let Some(vdev) = v.dev.upgrade() else { continue };
        if !vdev.is_up() {
            continue;
        }
        let mut nskb = cpu.skb_clone(skb);
        let len = nskb.len() + ETH_HLEN;
        let lower_type = nskb.meta.pkt_type;
        retarget(cpu, &mut nskb, &vdev);
        nskb.meta.pkt_type = if dest == vdev.address() { PktType::Host } else { lower_type };
        let ok = cpu.netif_rx(nskb) == NetRx::Success;
        count_rx(cpu, &vdev, len, ok, false);
    }
    consume
}

impl RxHandler for Port {
    /// `macvlan_handle_frame`.
    fn handle(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> RxHandlerResult {
        if skb.meta.pkt_type == PktType::Loopback {
            return RxHandlerResult::Pass(skb);
        }
        let snap = self.snap.load();
        let (dest, src_mac) = {
            let f = skb.mac_frame();
            match (mac_at(f, 0), mac_at(f, 6)) {
                (Some(d), Some(s)) => (d, s),
                _ => return RxHandlerResult::Pass(skb),
            }
        };
        let src_key = src_mac.to_u64();
        if dest.is_multicast() {
            if !snap.sources.is_empty() && forward_source(cpu, &snap, &skb, dest, src_key) {
                cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
                return RxHandlerResult::Consumed;
            }
            let src = snap.lookup(src_key);
            if let Some(v) = src
                && !matches!(v.mode, MacvlanMode::Vepa | MacvlanMode::Bridge)
            {
                // A reflection of its own frame: back to that macvlan only. The kernel counts it
                // with `len` still 0 (one packet, no bytes, not multicast).
                let Some(vdev) = v.dev.upgrade() else {
                    cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
                    return RxHandlerResult::Consumed;
                };
                retarget(cpu, &mut skb, &vdev);
                let ok = cpu.netif_rx(skb) == NetRx::Success;
                count_rx(cpu, &vdev, 0, ok, false);
                return RxHandlerResult::Consumed;
            }
            let src = src.map(|v| BcSrc { id: v.id, mode: v.mode });
            let hash = mc_hash(dest);
            if snap.bc_filter.test(hash) {
                self.broadcast_enqueue(cpu, &snap, dev, src, &skb);
            } else if snap.mc_filter.test(hash) {
                multicast_rx(cpu, &snap, src, &skb);
            }
            return RxHandlerResult::Pass(skb);
        }
        if !snap.sources.is_empty() && forward_source(cpu, &snap, &skb, dest, src_key) {
            cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
            return RxHandlerResult::Consumed;
        }
        let vlan = if snap.passthru { snap.vlans.first() } else { snap.lookup(dest.to_u64()) };
        let Some(v) = vlan else { return RxHandlerResult::Pass(skb) };
        if v.mode == MacvlanMode::Source {
            return RxHandlerResult::Pass(skb);
        }
        let Some(id) = cpu.pin_ptr(&v.ptr) else { return RxHandlerResult::Pass(skb) };
        let Some(up) = cpu.pinned(id).map(|d| d.is_up()) else { return RxHandlerResult::Pass(skb) };
        if !up {
            cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
            return RxHandlerResult::Consumed;
        }
        let len = skb.len() + ETH_HLEN;
        skb.meta.pkt_type = PktType::Host;
        if let Some(vdev) = cpu.pinned(id) {
            count_rx(cpu, vdev, len, true, false);
        }
        RxHandlerResult::AnotherPinned(skb, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_bits() {
        let mut f = Filter::default();
        f.set(0);
        f.set(255);
        f.set(64);
        assert!(f.test(0) && f.test(255) && f.test(64) && !f.test(63));
        assert_eq!(f.count(), 3);
        assert_eq!(Filter::FULL.count(), 256);
    }

    /// include/linux/hash.h hash_32/hash_64 with GOLDEN_RATIO_32/64, as macvlan uses them.
    #[test]
    fn kernel_hashes() {
        // hash_32(0, 8) = 0; the broadcast address: val = 0xffffffff.
        assert_eq!(mc_hash(MacAddr::ZERO), 0);
        let v: u32 = 0xffff_ffff;
        assert_eq!(mc_hash(MacAddr::BROADCAST), (v.wrapping_mul(0x61C8_8647) >> 24) as u8);
        // Only the six address bytes count.
        let a = MacAddr([2, 0, 0, 0, 0, 1]);
        let v = 0x0100_0000_0002u64 << 16;
        assert_eq!(eth_hash(a), (v.wrapping_mul(0x61C8_8646_80B5_83EB) >> 56) as u8);
    }
}
