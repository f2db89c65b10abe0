//! Bridge ports (`net/bridge/br_if.c`): the data-path port object, enslaving (`br_add_if`),
//! releasing (`br_del_if` / `del_nbp`), promiscuity management, port flags (`br_setport`) and the
//! reactions to events on port devices (`br.c:br_device_event`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, Ordering};

use arc_swap::ArcSwap;
use netdev_core::{
    ARPHRD_ETHER, DevPtr, Errno, Error, IfFlags, NetDevice, NetdevEvent, PrivFlags, Result, Rtnl, netlink::RTM_NEWLINK,
};

use crate::config::PortConfig;
use crate::device::{Bridge, BridgeCore};
use crate::fdb::LocalOwners;
use crate::input::PortHandler;
use crate::stp::{PortCtl, Stp};
use crate::types::{GROUPFWD_MACPAUSE, MAX_PORTS, PortFlags, PortState};
use crate::vlan::VlanGroup;

/// A port as the data path sees it (`struct net_bridge_port`'s hot fields). The STP fields live
/// in the control state ([`PortCtl`]).
#[derive(Debug)]
pub(crate) struct Port {
    /// The port device (no reference held: the device lives while its namespace lists it).
    pub(crate) dev: DevPtr,
    /// The port device's identity, for "not back out of the ingress port".
    pub(crate) dev_id: u64,
    /// `port_no`, 1..1023.
    pub(crate) port_no: u16,
    /// `BR_STATE_*`.
    pub(crate) state: AtomicU8,
    /// `BR_*` flags.
    pub(crate) flags: AtomicU32,
    /// `group_fwd_mask`.
    pub(crate) group_fwd_mask: AtomicU16,
    /// `backup_port` by number (0: none).
    pub(crate) backup: AtomicU16,
    /// The port's VLANs.
    pub(crate) vlans: ArcSwap<VlanGroup>,
}

impl Port {
    /// `p->state`.
    #[inline]
    pub(crate) fn state(&self) -> PortState {
        PortState::from_u8(self.state.load(Ordering::Acquire)).unwrap_or(PortState::Disabled)
    }

    /// `p->flags`.
    #[inline]
    pub(crate) fn flags(&self) -> PortFlags {
        PortFlags(self.flags.load(Ordering::Relaxed))
    }

    /// Change `p->flags` (control path only: one writer at a time).
    pub(crate) fn update_flags(&self, f: impl FnOnce(&mut PortFlags)) {
        let mut v = self.flags();
        f(&mut v);
        self.flags.store(v.0, Ordering::Relaxed);
    }
}

/// The data path's list of ports: newest first (the order `br_flood` walks) and by number.
#[derive(Debug, Default)]
pub(crate) struct PortList {
    pub(crate) list: Vec<Arc<Port>>,
    pub(crate) by_no: Vec<Option<Arc<Port>>>,
}

impl PortList {
    /// The snapshot of the control state's port list.
    pub(crate) fn from_ctl(ports: &[PortCtl]) -> PortList {
        let list: Vec<_> = ports.iter().map(|p| p.port.clone()).collect();
        let n = list.iter().map(|p| usize::from(p.port_no) + 1).max().unwrap_or(0);
        let mut by_no = vec![None; n];
        for p in &list {
            if let Some(slot) = by_no.get_mut(usize::from(p.port_no)) {
                *slot = Some(p.clone());
            }
        }
        PortList { list, by_no }
    }

    /// The port numbered `no`.
    #[inline]
    pub(crate) fn get(&self, no: u16) -> Option<&Arc<Port>> {
        self.by_no.get(usize::from(no)).and_then(Option::as_ref)
    }
}

/// `port_cost`: the 802.1D cost for the device's ethtool speed. The simulator's only device with
/// a speed is veth (10 Gb/s, cost 2); the others report none (cost 100, "assume old 10Mbps").
pub(crate) fn port_cost(dev: &NetDevice) -> u32 {
    if dev.kind() == "veth" { 2 } else { 100 }
}

/// `netif_running && netif_oper_up`.
pub(crate) fn is_live(dev: &NetDevice) -> bool {
    dev.is_running() && dev.is_oper_up()
}

/// The bridge a device is a port of, with its device.
pub(crate) fn port_bridge(dev: &NetDevice) -> Option<(Arc<NetDevice>, Arc<BridgeCore>)> {
    if !dev.priv_flags().contains(PrivFlags::BRIDGE_PORT) {
        return None;
    }
    let m = dev.master()?;
    let core = m.driver::<Bridge>()?.core.clone();
    Some((m, core))
}

impl BridgeCore {
    /// `br_add_if`, in the kernel's check order: EINVAL for a loopback, non-Ethernet or
    /// invalid-MAC device; ELOOP for a bridge ("Can not enslave a bridge to a bridge"); EBUSY
    /// if it already has a master; EOPNOTSUPP for `IFF_DONT_BRIDGE`; EXFULL without a free port
    /// number; then the rx handler (EBUSY/EINVAL) and the upper link (EBUSY/EMLINK).
    pub(crate) fn add_if(
        self: &Arc<Self>,
        rtnl: &mut Rtnl<'_>,
        br: &Arc<NetDevice>,
        dev: &Arc<NetDevice>,
    ) -> Result<()> {
        if dev.raw_flags().contains(IfFlags::LOOPBACK)
            || dev.dev_type() != ARPHRD_ETHER
            || dev.addr_len() != 6
            || !dev.address().is_valid()
        {
            return Err(Error::new(Errno::Einval));
        }
        if dev.driver::<Bridge>().is_some() {
            return Err(Error::with_msg(Errno::Eloop, "Can not enslave a bridge to a bridge"));
        }
        if dev.master().is_some() {
            return Err(Error::new(Errno::Ebusy));
        }
        if dev.priv_flags().contains(PrivFlags::DONT_BRIDGE) {
            return Err(Error::with_msg(Errno::Eopnotsupp, "Device does not allow enslaving to a bridge"));
        }
        let port_no = {
            let c = self.ctl.lock();
            (1..MAX_PORTS).find(|n| c.idx(*n).is_none()).ok_or(Error::new(Errno::Exfull))?
        };
        let port = Arc::new(Port {
            dev: DevPtr::new(),
            dev_id: dev.id(),
            port_no,
            state: AtomicU8::new(PortState::Disabled as u8),
            flags: AtomicU32::new(PortFlags::DEFAULT.0),
            group_fwd_mask: AtomicU16::new(0),
            backup: AtomicU16::new(0),
            vlans: ArcSwap::from_pointee(VlanGroup::default()),
        });
        port.dev.store(Some(dev.clone()));
        rtnl.dev_set_allmulti(dev, 1)?;
        let handler = Arc::new(PortHandler { br_dev: br.clone(), core: self.clone(), port: port.clone() });
        if let Err(e) = rtnl.rx_handler_register(dev, handler) {
            let _ = rtnl.dev_set_allmulti(dev, -1);
            return Err(e);
        }
        rtnl.set_priv_flags(dev, PrivFlags::BRIDGE_PORT, true);
        if let Err(e) = rtnl.upper_dev_link(dev, br, true) {
            rtnl.set_priv_flags(dev, PrivFlags::BRIDGE_PORT, false);
            rtnl.rx_handler_unregister(dev);
            let _ = rtnl.dev_set_allmulti(dev, -1);
            return Err(e);
        }
        let now = rtnl.world().now();
        {
            let mut c = self.ctl.lock();
            let pc = PortCtl::new(port.clone(), port_cost(dev));
            c.ports.insert(0, pc);
            self.publish_ports(&c);
        }
        self.update_port_count(rtnl);
        let _ = self.fdb.add_local(port_no, dev.address(), 0, now);
        if br.addr_assign_type() != netdev_core::AddrAssign::Set {
            // netif_pre_changeaddr_notify: may veto.
            if let Err(e) = rtnl.call_notifiers(&NetdevEvent::PreChangeAddr, br) {
                self.del_nbp(rtnl, br, &port);
                return Err(e);
            }
        }
        if self.kconfig.vlan_filtering {
            let c = self.ctl.lock();
            if c.default_pvid != 0 {
                let pvid = c.default_pvid;
                let mut vg = VlanGroup::default();
                vg.add(pvid, true, true);
                port.vlans.store(Arc::new(vg));
                let _ = self.fdb.add_local(port_no, dev.address(), pvid, now);
            }
        }
        let changed = {
            let mut c = self.ctl.lock();
            let changed = self.recalculate_bridge_id(&mut c, br, now);
            if is_live(dev)
                && br.is_up()
                && let Some(i) = c.idx(port_no)
            {
                Stp { core: self, c: &mut c, now }.enable_port(i);
            }
            self.finish_rtnl(rtnl, c);
            changed
        };
        if let Some(a) = changed {
            rtnl.set_hw_addr(br, a);
        }
        rtnl.rtmsg_ifinfo(RTM_NEWLINK, dev, 0, &[]);
        self.mtu_auto_adjust(rtnl, br);
        Ok(())
    }

    /// `del_nbp`: drop the promiscuity and allmulti references, disable STP on the port, forget
    /// its VLANs and all its FDB entries (static and local too), unlink it and unregister the rx
    /// handler.
    pub(crate) fn del_nbp(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, br: &Arc<NetDevice>, port: &Arc<Port>) {
        let dev = port.dev.load_full();
        if let Some(d) = &dev {
            let _ = rtnl.dev_set_allmulti(d, -1);
            if port.flags().contains(PortFlags::PROMISC) {
                let _ = rtnl.dev_set_promiscuity(d, -1);
            }
        }
        let now = rtnl.world().now();
        {
            let mut c = self.ctl.lock();
            if let Some(i) = c.idx(port.port_no) {
                Stp { core: self, c: &mut c, now }.disable_port(i);
            }
            c.ports.retain(|p| p.port_no() != port.port_no);
            for p in &c.ports {
                if p.port.backup.load(Ordering::Relaxed) == port.port_no {
                    p.port.backup.store(0, Ordering::Relaxed);
                }
            }
            self.publish_ports(&c);
            port.vlans.store(Arc::new(VlanGroup::default()));
            self.finish_rtnl(rtnl, c);
        }
        let (ports, br_addr) = self.owners(br);
        let has_vlan = self.has_vlan_fn();
        let o = LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
        self.fdb.delete_by_port(port.port_no, 0, true, &o);
        self.update_port_count(rtnl);
        if let Some(d) = &dev {
            rtnl.upper_dev_unlink(d, br);
            rtnl.set_priv_flags(d, PrivFlags::BRIDGE_PORT, false);
            rtnl.rx_handler_unregister(d);
        }
        port.dev.store(None);
    }

    /// `br_del_if`: EINVAL if `dev` is not a port of this bridge; then `del_nbp`, the MTU, and
    /// the bridge id (a MAC not set by hand follows the lowest remaining port MAC, or becomes
    /// 00:00:00:00:00:00).
    pub(crate) fn del_if(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, br: &Arc<NetDevice>, dev: &NetDevice) -> Result<()> {
        let port = self.port_of(dev).ok_or(Error::new(Errno::Einval))?;
        self.del_nbp(rtnl, br, &port);
        self.mtu_auto_adjust(rtnl, br);
        let now = rtnl.world().now();
        let changed = {
            let mut c = self.ctl.lock();
            let ch = self.recalculate_bridge_id(&mut c, br, now);
            self.finish_rtnl(rtnl, c);
            ch
        };
        if let Some(a) = changed {
            rtnl.set_hw_addr(br, a);
        }
        Ok(())
    }

    /// The port whose device is `dev`.
    pub(crate) fn port_of(&self, dev: &NetDevice) -> Option<Arc<Port>> {
        self.ports.load().list.iter().find(|p| p.dev_id == dev.id()).cloned()
    }

    /// `nbp_update_port_count` + `br_manage_promisc`: with VLAN filtering off (or the bridge
    /// promiscuous) every port is promiscuous; otherwise ports that filter unicast may stay
    /// non-promiscuous while at most one "auto" port exists.
    pub(crate) fn update_port_count(&self, rtnl: &mut Rtnl<'_>) {
        let (ports, vlan_enabled, auto_cnt) = {
            let mut c = self.ctl.lock();
            c.auto_cnt = c.ports.iter().filter(|p| p.port.flags().0 & PortFlags::AUTO_MASK.0 != 0).count() as u32;
            (c.ports.iter().map(|p| p.port.clone()).collect::<Vec<_>>(), c.vlan_enabled, c.auto_cnt)
        };
        let br_promisc = self.dev.load_full().is_some_and(|d| d.raw_flags().contains(IfFlags::PROMISC));
        let set_all = br_promisc || !vlan_enabled;
        for p in ports {
            let Some(dev) = p.dev.load_full() else { continue };
            let auto = p.flags().0 & PortFlags::AUTO_MASK.0 != 0;
            let promisc = p.flags().contains(PortFlags::PROMISC);
            let want = set_all
                || !(dev.priv_flags().contains(PrivFlags::UNICAST_FLT) && (auto_cnt == 0 || (auto_cnt == 1 && auto)));
            if want && !promisc {
                if rtnl.dev_set_promiscuity(&dev, 1).is_ok() {
                    p.update_flags(|f| f.set(PortFlags::PROMISC, true));
                }
            } else if !want && promisc {
                let _ = rtnl.dev_set_promiscuity(&dev, -1);
                p.update_flags(|f| f.set(PortFlags::PROMISC, false));
            }
        }
    }

    /// `br_setport` (`ip link set DEV type bridge_slave ...`, `bridge link set dev DEV ...`): the
    /// flags first (EINVAL for `mab` without `locked` and `learning`, flags restored), then cost,
    /// priority, state, flush, the group forward mask (EINVAL with the PAUSE bit) and the backup
    /// port; an error stops there, keeping what was already applied, as the kernel does.
    pub(crate) fn set_port(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, dev: &NetDevice, cfg: &PortConfig) -> Result<()> {
        let port = self.port_of(dev).ok_or(Error::new(Errno::Einval))?;
        let old = port.flags();
        let mut f = old;
        let table = [
            (cfg.hairpin, PortFlags::HAIRPIN),
            (cfg.guard, PortFlags::BPDU_GUARD),
            (cfg.fastleave, PortFlags::FAST_LEAVE),
            (cfg.root_block, PortFlags::ROOT_BLOCK),
            (cfg.learning, PortFlags::LEARNING),
            (cfg.flood, PortFlags::FLOOD),
            (cfg.mcast_flood, PortFlags::MCAST_FLOOD),
            (cfg.mcast_to_unicast, PortFlags::MCAST_TO_UCAST),
            (cfg.bcast_flood, PortFlags::BCAST_FLOOD),
            (cfg.proxy_arp, PortFlags::PROXYARP),
            (cfg.proxy_arp_wifi, PortFlags::PROXYARP_WIFI),
            (cfg.vlan_tunnel, PortFlags::VLAN_TUNNEL),
            (cfg.neigh_suppress, PortFlags::NEIGH_SUPPRESS),
            (cfg.isolated, PortFlags::ISOLATED),
            (cfg.locked, PortFlags::LOCKED),
            (cfg.mab, PortFlags::MAB),
        ];
        for (v, bit) in table {
            if let Some(on) = v {
                f.set(bit, on);
            }
        }
        if f.contains(PortFlags::MAB) && (!f.contains(PortFlags::LOCKED) || !f.contains(PortFlags::LEARNING)) {
            return Err(Error::with_msg(
                Errno::Einval,
                "Bridge port must be locked and have learning enabled when MAB is enabled",
            ));
        }
        port.flags.store(f.0, Ordering::Relaxed);
        if (old.0 ^ f.0) & PortFlags::AUTO_MASK.0 != 0 {
            self.update_port_count(rtnl);
        }
        let now = rtnl.world().now();
        let mut c = self.ctl.lock();
        let i = c.idx(port.port_no).ok_or(Error::new(Errno::Einval))?;
        let r = (|| {
            if let Some(cost) = cfg.cost {
                Stp { core: self, c: &mut c, now }.set_path_cost(i, cost)?;
            }
            if let Some(prio) = cfg.priority {
                Stp { core: self, c: &mut c, now }.set_port_priority(i, prio)?;
            }
            if let Some(st) = cfg.state {
                self.set_port_state(&mut c, i, &port, st, now)?;
            }
            if cfg.fdb_flush {
                let o = LocalOwners { ports: &[], has_vlan: &|_, _| true, br_addr: netdev_core::MacAddr::ZERO };
                self.fdb.delete_by_port(port.port_no, 0, false, &o);
            }
            if let Some(r) = cfg.mcast_router {
                if r > 3 {
                    return Err(Error::new(Errno::Einval));
                }
                if let Some(p) = c.ports.get_mut(i) {
                    p.mcast_router = r;
                }
            }
            if let Some(m) = cfg.group_fwd_mask {
                if m & GROUPFWD_MACPAUSE != 0 {
                    return Err(Error::new(Errno::Einval));
                }
                port.group_fwd_mask.store(m, Ordering::Relaxed);
            }
            if let Some(b) = &cfg.backup_port {
                let no = match b {
                    None => 0,
                    Some(name) => {
                        let bdev = rtnl.dev_by_name(dev.netns(), name).ok_or(Error::new(Errno::Enoent))?;
                        let bp = match port_bridge(&bdev) {
                            None => return Err(Error::new(Errno::Enoent)),
                            Some((_, core)) if !Arc::ptr_eq(&core, self) => return Err(Error::new(Errno::Einval)),
                            Some(_) => self.port_of(&bdev).ok_or(Error::new(Errno::Enoent))?,
                        };
                        if bp.port_no == port.port_no {
                            return Err(Error::new(Errno::Einval));
                        }
                        bp.port_no
                    }
                };
                port.backup.store(no, Ordering::Relaxed);
            }
            Ok(())
        })();
        self.finish_rtnl(rtnl, c);
        rtnl.rtmsg_ifinfo(RTM_NEWLINK, dev, 0, &[]);
        r
    }

    /// `br_set_port_state`: EINVAL above 4, EBUSY while kernel STP runs, ENETDOWN if the port
    /// is not running, or not oper-up for a state other than disabled.
    fn set_port_state(&self, c: &mut crate::stp::Ctl, i: usize, port: &Port, st: u8, now: u64) -> Result<()> {
        let state = PortState::from_u8(st).ok_or(Error::new(Errno::Einval))?;
        if c.stp == crate::types::StpMode::Kernel {
            return Err(Error::new(Errno::Ebusy));
        }
        let dev = port.dev.load_full().ok_or(Error::new(Errno::Enetdown))?;
        if !dev.is_running() || (!dev.is_oper_up() && state != PortState::Disabled) {
            return Err(Error::new(Errno::Enetdown));
        }
        let mut s = Stp { core: self, c, now };
        s.set_state(i, state);
        s.port_state_selection();
        Ok(())
    }

    /// `br_device_event` for a port device.
    pub(crate) fn port_event(
        self: &Arc<Self>,
        rtnl: &mut Rtnl<'_>,
        br: &Arc<NetDevice>,
        event: &NetdevEvent,
        dev: &Arc<NetDevice>,
    ) -> Result<()> {
        let Some(port) = self.port_of(dev) else { return Ok(()) };
        let now = rtnl.world().now();
        match event {
            NetdevEvent::ChangeMtu => self.mtu_auto_adjust(rtnl, br),
            NetdevEvent::PreChangeAddr if br.addr_assign_type() != netdev_core::AddrAssign::Set => {
                rtnl.call_notifiers(&NetdevEvent::PreChangeAddr, br)?;
            }
            NetdevEvent::ChangeAddr => {
                let (ports, br_addr) = self.owners(br);
                let has_vlan = self.has_vlan_fn();
                let o = LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
                let vids = port.vlans.load().used_vids();
                self.fdb.changeaddr(port.port_no, dev.address(), &vids, &o, now);
                let changed = {
                    let mut c = self.ctl.lock();
                    let ch = self.recalculate_bridge_id(&mut c, br, now);
                    self.finish_rtnl(rtnl, c);
                    ch
                };
                if let Some(a) = changed {
                    rtnl.set_hw_addr(br, a);
                }
            }
            NetdevEvent::Change => self.port_carrier_check(rtnl, &port, dev, now),
            NetdevEvent::Down => {
                let mut c = self.ctl.lock();
                if br.is_up()
                    && let Some(i) = c.idx(port.port_no)
                {
                    Stp { core: self, c: &mut c, now }.disable_port(i);
                }
                self.finish_rtnl(rtnl, c);
            }
            NetdevEvent::Up => {
                let mut c = self.ctl.lock();
                if br.is_running()
                    && dev.is_oper_up()
                    && let Some(i) = c.idx(port.port_no)
                {
                    Stp { core: self, c: &mut c, now }.enable_port(i);
                }
                self.finish_rtnl(rtnl, c);
            }
            NetdevEvent::Unregister => {
                self.del_if(rtnl, br, dev)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `br_port_carrier_check`: refresh the path cost (unless set by hand), then enable a live
    /// disabled port or disable a port that is no longer live.
    fn port_carrier_check(self: &Arc<Self>, rtnl: &mut Rtnl<'_>, port: &Port, dev: &NetDevice, now: u64) {
        let mut c = self.ctl.lock();
        let Some(i) = c.idx(port.port_no) else { return };
        if !port.flags().contains(PortFlags::ADMIN_COST) && is_live(dev) {
            c.ports[i].path_cost = port_cost(dev);
        }
        if let Some(br) = self.dev.load_full()
            && br.is_running()
        {
            let mut s = Stp { core: self, c: &mut c, now };
            if is_live(dev) {
                if s.c.ports[i].state() == PortState::Disabled {
                    s.enable_port(i);
                }
            } else if s.c.ports[i].state() != PortState::Disabled {
                s.disable_port(i);
            }
        }
        self.finish_rtnl(rtnl, c);
    }
}
