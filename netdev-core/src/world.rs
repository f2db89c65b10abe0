//! The World: the simulated host kernel.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use arc_swap::{ArcSwap, ArcSwapOption};
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::clock::{TimerFn, TimerId, Timers};
use crate::cpu::{Cpu, CpuShared, CpuState};
use crate::drop_reason::{DropMonitor, DropReason};
use crate::inetaddr::{InetAddrChain, InetAddrNotifier};
use crate::kind::LinkKind;
use crate::netlink::{NetlinkBus, NetlinkSocket};
use crate::netns::{Netns, NetnsId, NetnsShared};
use crate::notify::NetdevNotifier;
use crate::rng::Rng;
use crate::rtnl::{Rtnl, RtnlState};
use crate::{Errno, Error, Result};

/// How a World is built.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// Seed of every random choice (MAC addresses, hashes).
    pub seed: u64,
    /// Number of simulated CPUs (each a [`Cpu`] handle one thread drives).
    pub cpus: usize,
    /// `net.core.netdev_max_backlog`.
    pub max_backlog: u32,
    /// Free packet buffers each CPU keeps.
    pub pool_buffers: usize,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig { seed: 0, cpus: 2, max_backlog: 1000, pool_buffers: 1024 }
    }
}

pub(crate) struct DropMonitorSlot(pub(crate) Arc<dyn DropMonitor>);

pub(crate) struct WorldInner {
    pub(crate) cfg: WorldConfig,
    pub(crate) rtnl: Mutex<RtnlState>,
    pub(crate) cpu_slots: Box<[Mutex<Option<CpuState>>]>,
    pub(crate) cpu_shared: Box<[Arc<CachePadded<CpuShared>>]>,
    /// Data-path view of the namespaces, indexed by id; republished under RTNL.
    pub(crate) ns_table: ArcSwap<Vec<Option<Arc<NetnsShared>>>>,
    pub(crate) ns_gen: AtomicU64,
    /// Bumped whenever devices are unregistered: CPUs then drop their stale pins.
    pub(crate) dev_gen: AtomicU64,
    pub(crate) clock_ns: AtomicU64,
    pub(crate) timers: Mutex<Timers>,
    pub(crate) has_drop_monitor: AtomicBool,
    pub(crate) drop_monitor: ArcSwapOption<DropMonitorSlot>,
    pub(crate) netlink: NetlinkBus,
    pub(crate) next_dev_id: AtomicU64,
    pub(crate) max_backlog: AtomicU32,
    pub(crate) inetaddr: Arc<InetAddrChain>,
}

/// The simulated host kernel: namespaces, the link-kind registry, RTNL, notifiers, the netlink
/// bus, the virtual clock and the seeded RNG. Cheap to clone (a handle).
///
/// Configuration goes through [`World::rtnl`]; the data path through [`Cpu`] handles from
/// [`World::cpu`].
#[derive(Clone)]
pub struct World {
    pub(crate) inner: Arc<WorldInner>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World").field("cfg", &self.inner.cfg).field("now_ns", &self.now()).finish()
    }
}

impl Default for World {
    fn default() -> Self {
        World::new(WorldConfig::default())
    }
}

impl World {
    /// A World with the initial namespace (its `lo` registered, down) and no link kinds.
    pub fn new(cfg: WorldConfig) -> World {
        let ncpus = cfg.cpus.max(1);
        let cpu_slots = (0..ncpus).map(|id| Mutex::new(Some(CpuState::new(id, cfg.pool_buffers)))).collect();
        let cpu_shared = (0..ncpus).map(|_| Arc::new(CachePadded::new(CpuShared::default()))).collect();
        let inner = Arc::new(WorldInner {
            rtnl: Mutex::new(RtnlState::new(Rng::new(cfg.seed))),
            max_backlog: AtomicU32::new(cfg.max_backlog),
            cfg: WorldConfig { cpus: ncpus, ..cfg },
            cpu_slots,
            cpu_shared,
            ns_table: ArcSwap::from_pointee(Vec::new()),
            ns_gen: AtomicU64::new(0),
            dev_gen: AtomicU64::new(0),
            clock_ns: AtomicU64::new(0),
            timers: Mutex::new(Timers::default()),
            has_drop_monitor: AtomicBool::new(false),
            drop_monitor: ArcSwapOption::empty(),
            netlink: NetlinkBus::default(),
            next_dev_id: AtomicU64::new(1),
            inetaddr: Arc::new(InetAddrChain::default()),
        });
        let world = World { inner };
        {
            let mut rtnl = world.rtnl();
            // The initial namespace cannot fail to be created in an empty World.
            if let Err(e) = rtnl.create_netns(None) {
                unreachable!("creating init_net failed: {e}");
            }
        }
        world
    }

    /// Take the configuration lock (RTNL). Every configuration call goes through the guard.
    pub fn rtnl(&self) -> Rtnl<'_> {
        Rtnl::new(self, self.inner.rtnl.lock())
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.inner.cfg
    }

    /// The number of simulated CPUs.
    pub fn ncpus(&self) -> usize {
        self.inner.cfg.cpus
    }

    /// Claim simulated CPU `id`. `None` if out of range or already held: each CPU has one driver
    /// at a time, which is what makes its per-CPU counters single-writer. Dropping the handle
    /// releases the CPU and keeps its backlog for the next holder.
    pub fn cpu(&self, id: usize) -> Option<Cpu> {
        let state = self.inner.cpu_slots.get(id)?.lock().take()?;
        let shared = self.inner.cpu_shared[id].clone();
        Some(Cpu::new(self.clone(), state, shared))
    }

    /// Register a link kind (`rtnl_link_register`). EEXIST if the kind name is taken.
    pub fn register_kind(&self, kind: Arc<dyn LinkKind>) -> Result<()> {
        let mut st = self.inner.rtnl.lock();
        if st.kinds.contains_key(kind.kind()) {
            return Err(Error::new(Errno::Eexist));
        }
        st.kinds.insert(kind.kind(), kind);
        Ok(())
    }

    /// Add a notifier to the netdev chain (`register_netdevice_notifier`).
    pub fn register_notifier(&self, n: Arc<dyn NetdevNotifier>) {
        self.inner.rtnl.lock().notifiers.push(n);
    }

    /// Remove a notifier (compared by pointer).
    pub fn unregister_notifier(&self, n: &Arc<dyn NetdevNotifier>) {
        self.inner.rtnl.lock().notifiers.retain(|x| !Arc::ptr_eq(x, n));
    }

    /// Add a notifier to the inet address chains (`register_inetaddr_notifier` and
    /// `register_inetaddr_validator_notifier`, and their IPv6 twins).
    pub fn register_inetaddr_notifier(&self, n: Arc<dyn InetAddrNotifier>) {
        self.inner.inetaddr.register(n);
    }

    /// The inet address chains, which an IP stack calls when addresses come and go.
    pub fn inetaddr_chain(&self) -> Arc<InetAddrChain> {
        self.inner.inetaddr.clone()
    }

    /// Install (or with `None` remove) the drop monitor.
    pub fn set_drop_monitor(&self, m: Option<Arc<dyn DropMonitor>>) {
        self.inner.has_drop_monitor.store(m.is_some(), Ordering::Release);
        self.inner.drop_monitor.store(m.map(|m| Arc::new(DropMonitorSlot(m))));
    }

    /// Drops so far, per reason, summed over CPUs.
    pub fn drop_counts(&self) -> BTreeMap<DropReason, u64> {
        let mut out = BTreeMap::new();
        for s in self.inner.cpu_shared.iter() {
            for (r, n) in s.drops() {
                *out.entry(r).or_insert(0) += n;
            }
        }
        out
    }

    /// Total drops over all reasons and CPUs.
    pub fn total_drops(&self) -> u64 {
        self.drop_counts().values().sum()
    }

    /// Packets freed normally (`consume_skb`) so far, summed over CPUs.
    pub fn total_consumed(&self) -> u64 {
        self.inner.cpu_shared.iter().map(|s| s.consumed()).sum()
    }

    /// Packets cloned so far ([`Cpu::skb_clone`]), summed over CPUs: each clone is one more
    /// packet that ends consumed or dropped.
    pub fn total_cloned(&self) -> u64 {
        self.inner.cpu_shared.iter().map(|s| s.cloned()).sum()
    }

    /// Packets handed to a namespace's protocol handler so far, summed over CPUs.
    pub fn total_delivered(&self) -> u64 {
        self.inner.cpu_shared.iter().map(|s| s.delivered()).sum()
    }

    /// Subscribe to rtnetlink multicast `groups` (e.g. [`RTMGRP_LINK`](crate::netlink::RTMGRP_LINK))
    /// of `netns`.
    pub fn netlink_subscribe(&self, netns: NetnsId, groups: u32) -> Arc<NetlinkSocket> {
        self.inner.netlink.subscribe(netns, groups)
    }

    /// True if a socket listens to rtnetlink in `netns` (`rtnl_has_listeners`): senders skip
    /// building messages nobody reads.
    pub fn netlink_has_listeners(&self, netns: NetnsId) -> bool {
        self.inner.netlink.has_listeners(netns)
    }

    /// Send `msg` to the sockets of `netns` subscribed to `group` (`rtnl_notify`), for protocol
    /// layers outside the core (addresses, routes, neighbours).
    pub fn netlink_publish(&self, netns: NetnsId, group: u32, msg: &[u8]) {
        self.inner.netlink.publish(netns, group, msg);
    }

    /// `net.core.netdev_max_backlog`.
    pub fn max_backlog(&self) -> u32 {
        self.inner.max_backlog.load(Ordering::Relaxed)
    }

    /// Set `net.core.netdev_max_backlog`.
    pub fn set_max_backlog(&self, v: u32) {
        self.inner.max_backlog.store(v, Ordering::Relaxed);
    }

    /// Virtual time, in nanoseconds since the World was made.
    pub fn now(&self) -> u64 {
        self.inner.clock_ns.load(Ordering::Acquire)
    }

    /// Arm a timer at absolute virtual time `deadline_ns`.
    pub fn timer_add(&self, deadline_ns: u64, f: TimerFn) -> TimerId {
        self.inner.timers.lock().arm(deadline_ns, f)
    }

    /// Cancel a timer; false if it already ran or was cancelled.
    pub fn timer_cancel(&self, id: TimerId) -> bool {
        self.inner.timers.lock().cancel(id)
    }

    /// Armed timers.
    pub fn timers_armed(&self) -> usize {
        self.inner.timers.lock().len()
    }

    /// The earliest armed timer deadline.
    pub fn next_timer(&self) -> Option<u64> {
        self.inner.timers.lock().next_deadline()
    }

    /// Move virtual time forward by `ns` on any free CPU (see [`Cpu::advance`]). EBUSY if every
    /// CPU is held: then advance through a [`Cpu`] you hold. Do not call it while holding RTNL:
    /// timers may take it.
    pub fn advance(&self, ns: u64) -> Result<()> {
        let mut cpu = (0..self.ncpus()).find_map(|i| self.cpu(i)).ok_or(Error::new(Errno::Ebusy))?;
        cpu.advance(ns);
        Ok(())
    }

    /// Run the timers due by `target` on `cpu`, then set the clock to `target` (if later).
    pub(crate) fn run_timers(&self, cpu: &mut Cpu, target: u64) {
        loop {
            let due = self.inner.timers.lock().pop_due(target);
            let Some((id, deadline, mut f)) = due else { break };
            self.inner.clock_ns.fetch_max(deadline, Ordering::AcqRel);
            self.inner.timers.lock().running_at = Some(deadline);
            let rearm = f(cpu);
            self.inner.timers.lock().running_at = None;
            // Softirqs run after the timer: what it sent is received before the next one fires.
            cpu.run_until_idle(TIMER_RX_BUDGET);
            if let Some(next) = rearm {
                let next = next.max(deadline + 1);
                self.inner.timers.lock().rearm(id, next, f);
            }
        }
        self.inner.clock_ns.fetch_max(target, Ordering::AcqRel);
    }

    pub(crate) fn publish_ns_table(&self, table: Vec<Option<Arc<NetnsShared>>>) {
        self.inner.ns_table.store(Arc::new(table));
        self.inner.ns_gen.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn alloc_dev_id(&self) -> u64 {
        self.inner.next_dev_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn netns_table_snapshot(st: &RtnlState) -> Vec<Option<Arc<NetnsShared>>> {
        let len = st.namespaces.keys().next_back().map_or(0, |id| id.0 as usize + 1);
        let mut v = vec![None; len];
        for (id, ns) in &st.namespaces {
            v[id.0 as usize] = Some(ns.shared.clone());
        }
        v
    }
}

/// A handle to a World that does not keep it alive (for state a World owns, such as a driver's
/// private data, that needs the virtual clock without making a reference cycle).
#[derive(Clone, Default)]
pub struct WeakWorld {
    inner: std::sync::Weak<WorldInner>,
}

impl fmt::Debug for WeakWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakWorld").field("alive", &(self.inner.strong_count() > 0)).finish()
    }
}

impl WeakWorld {
    /// The World, if it still exists.
    pub fn upgrade(&self) -> Option<World> {
        self.inner.upgrade().map(|inner| World { inner })
    }

    /// The World's virtual time, if it still exists.
    pub fn now(&self) -> Option<u64> {
        self.inner.upgrade().map(|i| i.clock_ns.load(Ordering::Acquire))
    }
}

impl World {
    /// A [`WeakWorld`] for this World.
    pub fn downgrade(&self) -> WeakWorld {
        WeakWorld { inner: Arc::downgrade(&self.inner) }
    }
}

/// Packets a CPU receives after each timer before the next one runs (a bounded softirq round).
pub const TIMER_RX_BUDGET: usize = 100_000;

/// The RTNL-side namespace table.
pub(crate) type NetnsMap = BTreeMap<NetnsId, Netns>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_world_sees_the_clock_and_does_not_keep_it_alive() {
        let w = World::default();
        let weak = w.downgrade();
        w.advance(5).unwrap();
        assert_eq!(weak.now(), Some(5));
        assert!(weak.upgrade().is_some());
        drop(w);
        assert_eq!(weak.now(), None);
        assert!(weak.upgrade().is_none());
    }
}
