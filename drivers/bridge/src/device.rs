//! The bridge device (`net/bridge/br_device.c`, `br_netlink.c`'s link ops): set-up, the
//! `ndo_*` hooks, creation with options (`br_dev_newlink`), `br_changelink`, deletion
//! (`br_dev_delete`), and the glue that runs the STP timers on the World's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use netdev_core::{
    Carrier, Cpu, DevPtr, DeviceSetup, ETH_HLEN, ETH_MAX_MTU, ETH_P_8021AD, ETH_P_8021Q, Errno, Error, Features,
    LinkStats64, MacAddr, NetDevice, NetDeviceOps, PrivFlags, RegState, Result, Rtnl, Skb, Stat, WeakWorld, World,
    Xmit,
};
use parking_lot::{Mutex, MutexGuard};

use crate::config::BridgeConfig;
use crate::fdb::{Fdb, LocalOwners};
use crate::forward::{BrPkt, Fwd};
use crate::port::{PortList, is_live};
use crate::stp::{Ctl, Stp, bpdu_frame};
use crate::types::{GROUPFWD_8021AD, GROUPFWD_RESTRICTED, StpMode, is_link_local};
use crate::vlan::{self, VlanGroup};

/// The link kind name.
pub const KIND: &str = "bridge";

/// Build options of the simulated kernel's bridge (`CONFIG_BRIDGE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelConfig {
    /// `CONFIG_BRIDGE_VLAN_FILTERING`. Off by default, as on the kernel the golden transcripts
    /// were recorded on: `vlan_filtering` (even 0) is then refused with EOPNOTSUPP, `ip -d link`
    /// shows no `vlan_protocol`/`vlan_default_pvid` and ports get no VLAN 1. On: VLAN 1 is the
    /// bridge's and every new port's PVID (untagged), and `vlan_filtering 1` filters.
    pub vlan_filtering: bool,
}

/// The state one bridge shares between its device, its ports' rx handlers and its timers.
pub(crate) struct BridgeCore {
    pub(crate) kconfig: KernelConfig,
    /// The bridge device (no reference held).
    pub(crate) dev: DevPtr,
    /// The World, for its clock (no reference held).
    pub(crate) world: WeakWorld,
    /// The ports as the data path sees them (RCU-published).
    pub(crate) ports: ArcSwap<PortList>,
    pub(crate) fdb: Fdb,
    /// `br->lock`: everything the data path does not read.
    pub(crate) ctl: Mutex<Ctl>,
    // Data-path copies of control values, written under `ctl`.
    pub(crate) stp_enabled: AtomicU8,
    pub(crate) group_fwd_mask: AtomicU16,
    pub(crate) group_fwd_mask_required: AtomicU16,
    pub(crate) group_addr: AtomicU64,
    pub(crate) hold_time: AtomicU64,
    pub(crate) no_ll_learn: AtomicBool,
    pub(crate) vlan_enabled: AtomicBool,
    pub(crate) vlan_proto: AtomicU16,
    /// The bridge's own VLANs (the "host port").
    pub(crate) vlans: ArcSwap<VlanGroup>,
}

impl std::fmt::Debug for BridgeCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeCore").field("dev", &self.dev).finish_non_exhaustive()
    }
}

/// The bridge driver's private state (`netdev_priv` of a bridge device): `ndo_*` hooks.
#[derive(Debug)]
pub struct Bridge {
    pub(crate) core: Arc<BridgeCore>,
}

/// `br_dev_setup`: an Ethernet device with a random MAC, `IFF_EBRIDGE | IFF_NO_QUEUE` (an
/// assignment: TX_SKB_SHARING and XMIT_DST_RELEASE go), netns-immutable, MTU 68..65535.
pub fn setup() -> DeviceSetup {
    let mut s = DeviceSetup::ether(KIND);
    s.priv_flags = PrivFlags::EBRIDGE | PrivFlags::NO_QUEUE;
    s.netns_immutable = true;
    s.max_mtu = ETH_MAX_MTU;
    let f = Features::SG
        | Features::FRAGLIST
        | Features::HIGHDMA
        | Features::GSO_SOFTWARE
        | Features::GSO_ENCAP_ALL
        | Features::HW_CSUM
        | Features::HW_VLAN_CTAG_TX
        | Features::HW_VLAN_STAG_TX;
    s.features = f;
    s.hw_features = f;
    s
}

impl BridgeCore {
    /// `br_dev_setup`'s private state: no ports, an empty FDB, the default options.
    pub(crate) fn new(kconfig: KernelConfig, world: WeakWorld) -> BridgeCore {
        let c = Ctl::new();
        BridgeCore {
            kconfig,
            dev: DevPtr::new(),
            world,
            ports: ArcSwap::from_pointee(PortList::default()),
            fdb: Fdb::default(),
            stp_enabled: AtomicU8::new(StpMode::None as u8),
            group_fwd_mask: AtomicU16::new(0),
            group_fwd_mask_required: AtomicU16::new(0),
            group_addr: AtomicU64::new(c.group_addr.to_u64()),
            hold_time: AtomicU64::new(c.hold_time()),
            no_ll_learn: AtomicBool::new(false),
            vlan_enabled: AtomicBool::new(false),
            vlan_proto: AtomicU16::new(ETH_P_8021Q),
            vlans: ArcSwap::from_pointee(VlanGroup::default()),
            ctl: Mutex::new(c),
        }
    }

    /// Publish the port list to the data path (`list_add_rcu` / `list_del_rcu`).
    pub(crate) fn publish_ports(&self, c: &Ctl) {
        self.ports.store(Arc::new(PortList::from_ctl(&c.ports)));
    }

    /// Publish the bridge's own VLANs.
    pub(crate) fn publish_vlans(&self, c: &Ctl) {
        self.vlans.store(Arc::new(c.vlans.clone()));
    }

    /// The ports with their device MACs, and the bridge's MAC (for `fdb_delete_local`).
    pub(crate) fn owners(&self, br: &NetDevice) -> (Vec<(u16, MacAddr)>, MacAddr) {
        let ports =
            self.ports.load().list.iter().filter_map(|p| p.dev.load_full().map(|d| (p.port_no, d.address()))).collect();
        (ports, br.address())
    }

    /// Whether port `no` (0: the bridge) has VLAN `vid`, from the published groups.
    pub(crate) fn has_vlan_fn(&self) -> impl Fn(u16, u16) -> bool + '_ {
        move |no, vid| {
            if no == 0 {
                self.vlans.load().has(vid)
            } else {
                self.ports.load().get(no).is_some_and(|p| p.vlans.load().has(vid))
            }
        }
    }

    /// `br_stp_recalculate_bridge_id`: unless the user set the bridge MAC, it follows the lowest
    /// port MAC (00:00:00:00:00:00 without ports). Returns the new MAC for the caller to store
    /// (with `NETDEV_CHANGEADDR`) once `ctl` is released.
    pub(crate) fn recalculate_bridge_id(&self, c: &mut Ctl, br: &NetDevice, now: u64) -> Option<MacAddr> {
        if br.addr_assign_type() == netdev_core::AddrAssign::Set {
            return None;
        }
        let (ports, br_addr) = self.owners(br);
        let addr = ports.iter().map(|p| p.1).min().unwrap_or(MacAddr::ZERO);
        if c.bridge_id.addr == addr {
            return None;
        }
        let has_vlan = self.has_vlan_fn();
        let o = LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
        Stp { core: self, c, now }.change_bridge_id(addr, br_addr, &o);
        Some(addr)
    }

    /// `br_mtu_auto_adjust`: unless set by hand, the bridge MTU is the smallest port MTU (1500
    /// without ports), applied like `dev_set_mtu` (a value outside 68..65535 is not applied).
    pub(crate) fn mtu_auto_adjust(&self, rtnl: &mut Rtnl<'_>, br: &Arc<NetDevice>) {
        if self.ctl.lock().mtu_set_by_user {
            return;
        }
        let min = self.ports.load().list.iter().filter_map(|p| p.dev.load_full()).map(|d| d.mtu()).min();
        let mtu = min.unwrap_or(netdev_core::ETH_DATA_LEN);
        if mtu >= br.min_mtu() && mtu <= br.max_mtu() {
            rtnl.force_mtu(br, mtu);
        }
    }

    /// Release `ctl` from a configuration call: arm the timer for the next deadline (pending
    /// BPDUs go out at the next clock advance) and apply the carrier decision.
    pub(crate) fn finish_rtnl(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, mut c: MutexGuard<'_, Ctl>) {
        let carrier = c.want_carrier.take();
        self.schedule(&mut c, rtnl.world());
        drop(c);
        if let (Some(want), Some(dev)) = (carrier, self.dev.load_full()) {
            match want {
                Carrier::On => rtnl.carrier_on(&dev),
                Carrier::Off => rtnl.carrier_off(&dev),
            }
        }
    }

    /// Release `ctl` on a CPU (BPDU receive, timers): send the queued BPDUs, re-arm the timer
    /// and apply a carrier change (taking RTNL only if the carrier really changes).
    pub(crate) fn finish_cpu(self: &Arc<Self>, cpu: &mut Cpu, mut c: MutexGuard<'_, Ctl>) {
        let bpdus = std::mem::take(&mut c.outbox);
        let carrier = c.want_carrier.take();
        let group = c.group_addr;
        let world = cpu.world().clone();
        self.schedule(&mut c, &world);
        drop(c);
        for (port, b) in bpdus {
            let _ = cpu.with_dev_ptr(&port.dev, |cpu, dev| {
                let mut skb = cpu.alloc_frame(&bpdu_frame(&b, group, dev.address()));
                skb.meta.priority = 7; // TC_PRIO_CONTROL
                skb.meta.protocol = netdev_core::ETH_P_802_2;
                cpu.dev_queue_xmit(dev, skb)
            });
        }
        if let (Some(want), Some(dev)) = (carrier, self.dev.load_full()) {
            let on = want == Carrier::On;
            if dev.has_carrier() != on {
                let mut r = world.rtnl();
                if on { r.carrier_on(&dev) } else { r.carrier_off(&dev) }
            }
        }
    }

    /// Arm (or move) this bridge's World timer to the earliest deadline.
    fn schedule(self: &Arc<Self>, c: &mut Ctl, world: &World) {
        let next = c.next_deadline(world.now());
        if c.armed.map(|a| a.1) == next {
            return;
        }
        if let Some((id, _)) = c.armed.take() {
            world.timer_cancel(id);
        }
        if let Some(d) = next {
            let weak = Arc::downgrade(self);
            let id = world.timer_add(
                d,
                Box::new(move |cpu: &mut Cpu| {
                    if let Some(core) = weak.upgrade() {
                        core.timer_fired(cpu);
                    }
                    None
                }),
            );
            c.armed = Some((id, d));
        }
    }

    /// The bridge's World timer: run every STP timer and the gc that fell due.
    fn timer_fired(self: &Arc<Self>, cpu: &mut Cpu) {
        let now = cpu.now();
        let mut c = self.ctl.lock();
        c.armed = None;
        Stp { core: self, c: &mut c, now }.run_expired();
        self.finish_cpu(cpu, c);
    }

    /// `br_changelink`, in the kernel's order; an error stops it, keeping what was applied.
    pub(crate) fn changelink(
        self: &Arc<Self>,
        rtnl: &mut Rtnl<'_>,
        br: &Arc<NetDevice>,
        cfg: &BridgeConfig,
    ) -> Result<()> {
        self.validate(cfg)?;
        let now = rtnl.world().now();
        let mut c = self.ctl.lock();
        let r = self.changelink_locked(&mut c, br, cfg, now);
        let vlan_changed = cfg.vlan_filtering.is_some();
        self.finish_rtnl(rtnl, c);
        if vlan_changed {
            self.update_port_count(rtnl);
        }
        r
    }

    /// `br_validate`'s VLAN checks (before anything is applied): EPROTONOSUPPORT for a protocol
    /// other than 802.1Q/802.1ad, EINVAL for a default PVID of 4095 or more.
    fn validate(&self, cfg: &BridgeConfig) -> Result<()> {
        if !self.kconfig.vlan_filtering {
            return Ok(());
        }
        if cfg.vlan_protocol.is_some_and(|p| p != ETH_P_8021Q && p != ETH_P_8021AD) {
            return Err(Error::new(Errno::Eprotonosupport));
        }
        if cfg.vlan_default_pvid.is_some_and(|p| p >= 4095) {
            return Err(Error::new(Errno::Einval));
        }
        Ok(())
    }

    /// `br_changelink`'s body, under `br->lock`.
    fn changelink_locked(&self, c: &mut Ctl, br: &NetDevice, cfg: &BridgeConfig, now: u64) -> Result<()> {
        let mut s = Stp { core: self, c, now };
        if let Some(v) = cfg.forward_delay {
            s.set_forward_delay(v)?;
        }
        if let Some(v) = cfg.hello_time {
            s.set_hello_time(v)?;
        }
        if let Some(v) = cfg.max_age {
            s.set_max_age(v)?;
        }
        if let Some(v) = cfg.ageing_time {
            s.set_ageing_time(v);
        }
        if let Some(v) = cfg.stp_state {
            s.set_enabled(v != 0);
        }
        if let Some(v) = cfg.priority {
            s.set_bridge_priority(v);
        }
        let c = s.c;
        if let Some(v) = cfg.vlan_filtering {
            if !self.kconfig.vlan_filtering {
                return Err(Error::new(Errno::Eopnotsupp));
            }
            c.vlan_enabled = v != 0;
            self.vlan_enabled.store(c.vlan_enabled, Ordering::Relaxed);
        }
        if self.kconfig.vlan_filtering {
            if let Some(p) = cfg.vlan_protocol {
                c.vlan_proto = p;
                self.vlan_proto.store(p, Ordering::Relaxed);
                self.recalculate_fwd_mask(c);
            }
            if let Some(p) = cfg.vlan_default_pvid {
                self.set_default_pvid(c, br, p, now);
            }
            if let Some(v) = cfg.vlan_stats_enabled {
                if v > 1 {
                    return Err(Error::new(Errno::Einval));
                }
                c.opts.vlan_stats_enabled = v;
            }
            if let Some(v) = cfg.vlan_stats_per_port {
                if v > 1 {
                    return Err(Error::new(Errno::Einval));
                }
                if c.ports.iter().any(|p| !p.port.vlans.load().vlans.is_empty()) {
                    return Err(Error::new(Errno::Ebusy));
                }
                c.opts.vlan_stats_per_port = v;
            }
        }
        if let Some(m) = cfg.group_fwd_mask {
            if m & GROUPFWD_RESTRICTED != 0 {
                return Err(Error::new(Errno::Einval));
            }
            c.group_fwd_mask = m;
            self.group_fwd_mask.store(m, Ordering::Relaxed);
        }
        if let Some(a) = cfg.group_address {
            if !is_link_local(a) || matches!(a.0[5], 1..=3) {
                return Err(Error::new(Errno::Einval));
            }
            c.group_addr = a;
            c.group_addr_set = true;
            self.group_addr.store(a.to_u64(), Ordering::Relaxed);
            self.recalculate_fwd_mask(c);
        }
        if cfg.fdb_flush {
            let (ports, br_addr) = self.owners(br);
            let has_vlan = self.has_vlan_fn();
            self.fdb.flush(None, &LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr });
        }
        let o = &mut c.opts;
        if let Some(v) = cfg.mcast_router {
            // br_multicast_set_router: disabled, temporary-query or permanent.
            if v > 2 {
                return Err(Error::new(Errno::Einval));
            }
            o.mcast_router = v;
        }
        if let Some(v) = cfg.mcast_snooping {
            o.mcast_snooping = u8::from(v != 0);
        }
        if let Some(v) = cfg.mcast_query_use_ifaddr {
            o.mcast_query_use_ifaddr = u8::from(v != 0);
        }
        if let Some(v) = cfg.mcast_querier {
            o.mcast_querier = u8::from(v != 0);
        }
        if let Some(v) = cfg.mcast_hash_max {
            o.mcast_hash_max = v;
        }
        if let Some(v) = cfg.mcast_last_member_count {
            o.mcast_last_member_count = v;
        }
        if let Some(v) = cfg.mcast_startup_query_count {
            o.mcast_startup_query_count = v;
        }
        if let Some(v) = cfg.mcast_last_member_interval {
            o.mcast_last_member_interval = v;
        }
        if let Some(v) = cfg.mcast_membership_interval {
            o.mcast_membership_interval = v;
        }
        if let Some(v) = cfg.mcast_querier_interval {
            o.mcast_querier_interval = v;
        }
        if let Some(v) = cfg.mcast_query_interval {
            // br_multicast_set_query_intvl: at least BR_MULTICAST_QUERY_INTVL_MIN (1 s).
            o.mcast_query_interval = v.max(100);
        }
        if let Some(v) = cfg.mcast_query_response_interval {
            o.mcast_query_response_interval = v;
        }
        if let Some(v) = cfg.mcast_startup_query_interval {
            o.mcast_startup_query_interval = v.max(100);
        }
        if let Some(v) = cfg.mcast_stats_enabled {
            o.mcast_stats_enabled = u8::from(v != 0);
        }
        if let Some(v) = cfg.mcast_igmp_version {
            if !(2..=3).contains(&v) {
                return Err(Error::new(Errno::Einval));
            }
            o.mcast_igmp_version = v;
        }
        if let Some(v) = cfg.mcast_mld_version {
            if !(1..=2).contains(&v) {
                return Err(Error::new(Errno::Einval));
            }
            o.mcast_mld_version = v;
        }
        if let Some(v) = cfg.nf_call_iptables {
            o.nf_call_iptables = u8::from(v != 0);
        }
        if let Some(v) = cfg.nf_call_ip6tables {
            o.nf_call_ip6tables = u8::from(v != 0);
        }
        if let Some(v) = cfg.nf_call_arptables {
            o.nf_call_arptables = u8::from(v != 0);
        }
        if let Some(v) = cfg.no_linklocal_learn {
            c.no_ll_learn = v;
            self.no_ll_learn.store(v, Ordering::Relaxed);
        }
        if let Some(v) = cfg.mcast_vlan_snooping {
            // br_multicast_toggle_vlan_snooping needs VLAN filtering on.
            if v && !c.vlan_enabled {
                return Err(Error::new(Errno::Einval));
            }
            c.opts.mcast_vlan_snooping = u8::from(v);
        }
        if let Some(v) = cfg.fdb_max_learned {
            self.fdb.set_max_learned(v);
        }
        Ok(())
    }

    /// `br_recalculate_fwd_mask`: an 802.1ad bridge with the default group address must forward
    /// the customer BPDU range.
    fn recalculate_fwd_mask(&self, c: &mut Ctl) {
        let req = if c.vlan_enabled && c.vlan_proto == ETH_P_8021AD && !c.group_addr_set {
            GROUPFWD_8021AD & !(1 << c.group_addr.0[5])
        } else {
            0
        };
        c.group_fwd_mask_required = req;
        self.group_fwd_mask_required.store(req, Ordering::Relaxed);
    }

    /// `__br_vlan_set_default_pvid`: ports and the bridge whose PVID is still the old default
    /// (untagged) move to the new one; 0 removes it.
    fn set_default_pvid(&self, c: &mut Ctl, br: &NetDevice, pvid: u16, now: u64) {
        let old = c.default_pvid;
        if old == pvid {
            return;
        }
        let untouched = |vg: &VlanGroup| old != 0 && vg.pvid == old && vg.vlans.get(&old).is_some_and(|f| *f != 0);
        if untouched(&c.vlans) {
            c.vlans.del(old);
            if pvid != 0 {
                c.vlans.add(pvid, true, true);
                let _ = self.fdb.add_local(0, br.address(), pvid, now);
            }
        }
        for p in &c.ports {
            let mut vg = VlanGroup::clone(&p.port.vlans.load());
            if untouched(&vg) {
                vg.del(old);
                if pvid != 0 {
                    vg.add(pvid, true, true);
                    if let Some(d) = p.port.dev.load_full() {
                        let _ = self.fdb.add_local(p.port_no(), d.address(), pvid, now);
                    }
                }
                p.port.vlans.store(Arc::new(vg));
            }
        }
        c.default_pvid = pvid;
        self.publish_vlans(c);
    }

    /// `br_dev_delete`: release every port, drop the bridge's own entries, stop the timers.
    pub(crate) fn delete_all_ports(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, br: &Arc<NetDevice>) {
        let ports = self.ports.load().list.clone();
        for p in ports {
            self.del_nbp(rtnl, br, &p);
        }
        let o = LocalOwners { ports: &[], has_vlan: &|_, _| true, br_addr: MacAddr::ZERO };
        self.fdb.delete_by_port(0, 0, true, &o);
        let mut c = self.ctl.lock();
        c.gc_timer = None;
        if let Some((id, _)) = c.armed.take() {
            rtnl.world().timer_cancel(id);
        }
    }
}

impl NetDeviceOps for Bridge {
    /// `br_dev_xmit`: counted on the bridge's tx first, then switched like a frame from a port,
    /// with the bridge as the ingress port: broadcast and multicast flood, a known unicast goes
    /// to its port (a frame for the bridge's own MAC is dropped), an unknown one floods.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        if skb.len() < ETH_HLEN {
            cpu.kfree_skb(skb, netdev_core::DropReason::PktTooSmall, Some(dev));
            return Xmit::Ok;
        }
        cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, skb.len());
        let core = &self.core;
        let dest = MacAddr::from_slice(skb.data()).unwrap_or_default();
        skb.reset_mac_header();
        let _ = skb.pull(ETH_HLEN);
        let vlan_enabled = core.vlan_enabled.load(Ordering::Relaxed);
        let vid = if vlan_enabled {
            let vg = core.vlans.load();
            match vlan::allowed_ingress(true, core.vlan_proto.load(Ordering::Relaxed), &vg, &mut skb) {
                Some(v) => v,
                None => {
                    cpu.kfree_skb(skb, netdev_core::DropReason::VlanFilter, Some(dev));
                    return Xmit::Ok;
                }
            }
        } else {
            0
        };
        let fwd = Fwd {
            core,
            br_dev: dev,
            ingress: 0,
            src_isolated: false,
            local_orig: true,
            vlan_filtered: vlan_enabled,
            vid,
        };
        if dest.is_broadcast() {
            let _ = fwd.flood(cpu, BrPkt::Broadcast, skb, false);
        } else if dest.is_multicast() {
            let _ = fwd.flood(cpu, BrPkt::Multicast, skb, false);
        } else {
            let dst = core.fdb.load().get(&crate::fdb::key(dest, vid)).map(|e| e.dst());
            match dst {
                Some(0) => cpu.kfree_skb(skb, netdev_core::DropReason::BridgeNoForward, Some(dev)),
                Some(no) => {
                    let _ = fwd.forward_to(cpu, no, skb, false);
                }
                None => {
                    let _ = fwd.flood(cpu, BrPkt::Unicast, skb, false);
                }
            }
        }
        Xmit::Ok
    }

    /// `br_dev_open`: `br_stp_enable_bridge` (live ports are enabled, the gc starts).
    fn open(&self, rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) -> Result<()> {
        let core = &self.core;
        let now = rtnl.world().now();
        let mut c = core.ctl.lock();
        let live = |p: &crate::port::Port| p.dev.load_full().is_some_and(|d| is_live(&d));
        Stp { core, c: &mut c, now }.enable_bridge(&live);
        c.dev_up = true;
        core.finish_rtnl(rtnl, c);
        Ok(())
    }

    /// `br_dev_stop`: `br_stp_disable_bridge` (every port disabled, the timers stopped).
    fn stop(&self, rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        let core = &self.core;
        let now = rtnl.world().now();
        let mut c = core.ctl.lock();
        Stp { core, c: &mut c, now }.disable_bridge();
        c.dev_up = false;
        core.finish_rtnl(rtnl, c);
    }

    /// `br_dev_uninit`: the timers go with the device.
    fn uninit(&self, rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        let mut c = self.core.ctl.lock();
        if let Some((id, _)) = c.armed.take() {
            rtnl.world().timer_cancel(id);
        }
        c.outbox.clear();
        self.core.fdb.clear();
    }

    /// `br_change_mtu`: any MTU in 68..65535 (not checked against the ports); from now on the
    /// bridge MTU no longer follows its ports.
    fn change_mtu(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _mtu: u32) -> Result<()> {
        self.core.ctl.lock().mtu_set_by_user = true;
        Ok(())
    }

    /// `br_set_mac_address`: EADDRNOTAVAIL for an invalid address, EBUSY while not registered;
    /// the bridge id and its local FDB entries follow (the core then stores the address as set
    /// by the user, so it no longer follows the ports).
    fn set_mac_address(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        if !addr.is_valid() {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Ebusy));
        }
        let core = &self.core;
        let now = rtnl.world().now();
        let mut c = core.ctl.lock();
        if dev.address() != addr {
            let (ports, br_addr) = core.owners(dev);
            let has_vlan = core.has_vlan_fn();
            let o = LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
            Stp { core, c: &mut c, now }.change_bridge_id(addr, br_addr, &o);
        }
        core.finish_rtnl(rtnl, c);
        Ok(())
    }

    /// The bridge has no `ndo_validate_addr`: it may come up with the all-zero MAC it gets when
    /// its last port leaves.
    fn validate_addr(&self, _dev: &NetDevice) -> Result<()> {
        Ok(())
    }

    /// `dev_get_tstats64`: the per-CPU counters (rx counted in `br_pass_frame_up`, tx in
    /// `br_dev_xmit`).
    fn get_stats64(&self, dev: &NetDevice, s: &mut LinkStats64) {
        *s = dev.stats().driver_stats();
    }

    /// `br_add_slave`: `ip link set DEV master BRIDGE`.
    fn add_slave(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, slave: &Arc<NetDevice>) -> Result<()> {
        self.core.add_if(rtnl, dev, slave)
    }

    /// `br_del_slave`: `ip link set DEV nomaster`.
    fn del_slave(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, slave: &Arc<NetDevice>) -> Result<()> {
        self.core.del_if(rtnl, dev, slave)
    }
}
