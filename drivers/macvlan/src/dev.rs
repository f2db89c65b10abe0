//! The macvlan device itself (`struct macvlan_dev`, `macvlan_netdev_ops`): transmit, open and
//! stop, the MAC address, MTU, receive mode and statistics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use netdev_core::{
    Cpu, Errno, Error, IfFlags, LinkStats64, MacAddr, NetDevice, NetDeviceOps, NetnsId, Operstate, Result, Rtnl, Skb,
    Stat, Xmit, dev_mc_sync, dev_mc_unsync, dev_set_allmulti, dev_set_promiscuity, dev_uc_add, dev_uc_del, dev_uc_sync,
    dev_uc_unsync,
};
use parking_lot::Mutex;

use crate::config::{MACVLAN_FLAG_NOPROMISC, MacvlanMode};
use crate::port::{Port, VlanRec, broadcast};

/// What a macvlan brings to its port when it is initialised (`macvlan_common_newlink`'s
/// settings before `register_netdevice`).
#[derive(Debug)]
pub(crate) struct VlanInit {
    pub(crate) mode: MacvlanMode,
    pub(crate) flags: u16,
    pub(crate) bc_queue_len_req: u32,
    pub(crate) sources: Option<crate::config::MacvlanConfig>,
}

/// A macvlan's private state (`struct macvlan_dev`): its lower device and port, which never
/// change, and its mode, which the transmit path reads.
#[derive(Debug)]
pub struct Macvlan {
    pub(crate) lower: Arc<NetDevice>,
    pub(crate) port: Arc<Port>,
    mode: AtomicU32,
    init: Mutex<Option<VlanInit>>,
}

impl Macvlan {
    pub(crate) fn new(lower: Arc<NetDevice>, port: Arc<Port>, init: VlanInit) -> Macvlan {
        Macvlan { lower, port, mode: AtomicU32::new(init.mode.bits()), init: Mutex::new(Some(init)) }
    }

    /// The device this macvlan sits on (`vlan->lowerdev`; never another macvlan).
    pub fn lower(&self) -> &Arc<NetDevice> {
        &self.lower
    }

    /// The current mode.
    pub fn mode(&self) -> MacvlanMode {
        MacvlanMode::from_u32(self.mode.load(Ordering::Relaxed)).unwrap_or(MacvlanMode::Vepa)
    }

    pub(crate) fn set_mode(&self, m: MacvlanMode) {
        self.mode.store(m.bits(), Ordering::Relaxed);
    }

    /// `macvlan_queue_xmit`.
    #[inline]
    fn queue_xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        if self.mode.load(Ordering::Relaxed) == MacvlanMode::Bridge.bits() {
            let dest = skb.data().get(..6).and_then(MacAddr::from_slice);
            if let Some(dest) = dest {
                let snap = self.port.snap();
                if dest.is_multicast() {
                    // Local copies to the other bridge-mode siblings first, then the wire.
                    skb.reset_mac_header();
                    broadcast(cpu, &snap, Some(dev.id()), &skb, MacvlanMode::Bridge.bits());
                } else if snap.lookup(dest.to_u64()).is_some_and(|d| d.mode == MacvlanMode::Bridge) {
                    drop(snap);
                    // As if received on the lower device (its taps see it), never on the wire.
                    let _ = cpu.dev_forward_skb(&self.lower, skb);
                    return Xmit::Ok;
                }
            }
        }
        cpu.dev_queue_xmit(&self.lower, skb)
    }

    /// `macvlan_sync_address`: rehash under the new address (adding it to the lower's unicast
    /// list first unless passthru) if up; remember the lower's new address as the one to restore
    /// when a passthru macvlan follows a change made on the lower.
    pub(crate) fn sync_address(&self, dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        let (passthru, busy) = self.port.read(|st| (st.passthru, st.addr_busy(self.lower.address(), addr)));
        if dev.is_up() {
            if busy {
                return Err(Error::new(Errno::Eaddrinuse));
            }
            if !passthru {
                dev_uc_add(&self.lower, addr)?;
                let _ = dev_uc_del(&self.lower, dev.address());
            }
        }
        let lower_addr = self.lower.address();
        let id = dev.id();
        self.port.update(|st| {
            let hashed = st.vlan(id).is_some_and(|v| v.hashed.is_some());
            if hashed {
                st.hash_del(id);
            }
            if let Some(v) = st.vlan_mut(id) {
                v.mac = addr;
            }
            if hashed {
                st.hash_add(id);
            }
            if st.passthru && !st.addr_change {
                st.perm_addr = lower_addr;
            }
            st.addr_change = false;
        });
        Ok(())
    }
}

/// `netif_stacked_transfer_operstate(lower, dev)`: dormant and carrier copied from the lower.
pub(crate) fn transfer_operstate(rtnl: &mut Rtnl<'_>, lower: &NetDevice, dev: &Arc<NetDevice>) {
    rtnl.set_dormant(dev, lower.operstate_raw() == Operstate::Dormant);
    if lower.has_carrier() {
        rtnl.carrier_on(dev);
    } else {
        rtnl.carrier_off(dev);
    }
}

impl NetDeviceOps for Macvlan {
    /// `macvlan_start_xmit`: success and `NET_XMIT_CN` count tx packets and bytes (the frame's
    /// length here, Ethernet header included); anything else counts `tx_dropped`.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        let len = skb.len();
        let r = self.queue_xmit(cpu, dev, skb);
        match r {
            Xmit::Ok | Xmit::Congested => cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len),
            Xmit::Drop | Xmit::NetDown => cpu.stat_add(dev, Stat::TxDropped, 1),
        }
        r
    }

    /// `macvlan_init`: join the port (`port->count`), copy the lower's carrier and dormant state
    /// (before registration, so nothing is counted as a carrier change).
    fn init(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let init = self.init.lock().take().ok_or(Error::new(Errno::Einval))?;
        let id = dev.id();
        let res = self.port.update(|st| {
            st.count += 1;
            st.vlans.push(VlanRec {
                dev: Arc::downgrade(dev),
                id,
                mode: init.mode,
                flags: init.flags,
                bc_queue_len_req: init.bc_queue_len_req,
                mac: dev.address(),
                hashed: None,
                mc_all: false,
                mc: Vec::new(),
            });
            match &init.sources {
                Some(c) => match c.macaddr_mode {
                    Some(mm) => st.changelink_sources(id, mm, c),
                    None => Ok(()),
                },
                None => Ok(()),
            }
        });
        if !self.lower.has_carrier() {
            rtnl.carrier_off(dev);
        }
        if self.lower.operstate_raw() == Operstate::Dormant {
            rtnl.set_dormant(dev, true);
        }
        res
    }

    /// `macvlan_uninit`: leave the port (flushing this macvlan's sources); the last one out
    /// destroys it.
    fn uninit(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
        let id = dev.id();
        let last = self.port.update(|st| {
            st.flush_sources(id);
            // dellink normally took it off the list already; any other unregistration path too.
            if st.vlans.iter().any(|v| v.id == id) {
                st.vlans.retain(|v| v.id != id);
                st.update_bc_queue_len();
            }
            st.count = st.count.saturating_sub(1);
            st.count == 0
        });
        if last && !self.port.is_dead() {
            self.port.destroy(rtnl);
        }
    }

    /// `macvlan_open`: passthru takes a promiscuity reference on the lower (unless NOPROMISC);
    /// otherwise an address in use (the lower's or an open sibling's) is EADDRINUSE, the address
    /// goes on the lower's unicast list, and ALLMULTI/PROMISC are passed down. Then the macvlan
    /// is hashed: frames to its address find it.
    fn open(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let id = dev.id();
        let addr = dev.address();
        let (passthru, flags, busy) = self
            .port
            .read(|st| (st.passthru, st.vlan(id).map_or(0, |v| v.flags), st.addr_busy(self.lower.address(), addr)));
        if passthru {
            if flags & MACVLAN_FLAG_NOPROMISC == 0 {
                rtnl.dev_set_promiscuity(&self.lower, 1)?;
            }
        } else {
            if busy {
                return Err(Error::new(Errno::Eaddrinuse));
            }
            dev_uc_add(&self.lower, addr)?;
            let f = dev.raw_flags();
            if f.contains(IfFlags::ALLMULTI)
                && let Err(e) = rtnl.dev_set_allmulti(&self.lower, 1)
            {
                let _ = dev_uc_del(&self.lower, addr);
                return Err(e);
            }
            if f.contains(IfFlags::PROMISC)
                && let Err(e) = rtnl.dev_set_promiscuity(&self.lower, 1)
            {
                if f.contains(IfFlags::ALLMULTI) {
                    let _ = rtnl.dev_set_allmulti(&self.lower, -1);
                }
                let _ = dev_uc_del(&self.lower, addr);
                return Err(e);
            }
        }
        self.port.update(|st| {
            if let Some(v) = st.vlan_mut(id) {
                v.mac = addr;
            }
            st.hash_add(id);
        });
        Ok(())
    }

    /// `macvlan_stop`: the synced addresses come off the lower, the references taken at open are
    /// dropped, and the macvlan is unhashed.
    fn stop(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
        dev_uc_unsync(&self.lower, dev);
        dev_mc_unsync(&self.lower, dev);
        let id = dev.id();
        let (passthru, flags) = self.port.read(|st| (st.passthru, st.vlan(id).map_or(0, |v| v.flags)));
        if passthru {
            if flags & MACVLAN_FLAG_NOPROMISC == 0 {
                let _ = rtnl.dev_set_promiscuity(&self.lower, -1);
            }
        } else {
            let f = dev.raw_flags();
            if f.contains(IfFlags::ALLMULTI) {
                let _ = rtnl.dev_set_allmulti(&self.lower, -1);
            }
            if f.contains(IfFlags::PROMISC) {
                let _ = rtnl.dev_set_promiscuity(&self.lower, -1);
            }
            let _ = dev_uc_del(&self.lower, dev.address());
        }
        self.port.update(|st| st.hash_del(id));
    }

    /// `macvlan_set_mac_address`: EADDRNOTAVAIL for an invalid address; the same address does
    /// nothing. Passthru changes the lower device's address instead (the macvlan follows it
    /// through `NETDEV_CHANGEADDR`). Otherwise an address in use is EADDRINUSE, whether the
    /// macvlan is up or not, then `macvlan_sync_address` (rehash, the lower's unicast list).
    fn set_mac_address(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        if !addr.is_valid() {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        if dev.address() == addr {
            return Ok(());
        }
        if self.mode() == MacvlanMode::Passthru {
            self.port.update(|st| st.addr_change = true);
            let r = rtnl.set_address(&self.lower, addr);
            self.port.update(|st| st.addr_change = false);
            return r;
        }
        if self.port.read(|st| st.addr_busy(self.lower.address(), addr)) {
            return Err(Error::new(Errno::Eaddrinuse));
        }
        self.sync_address(dev, addr)
    }

    /// `macvlan_change_mtu`: not above the lower device's MTU (EINVAL).
    fn change_mtu(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, mtu: u32) -> Result<()> {
        if self.lower.mtu() < mtu {
            return Err(Error::new(Errno::Einval));
        }
        Ok(())
    }

    /// `macvlan_change_rx_flags`: while up, ALLMULTI (and, outside passthru, PROMISC) changes are
    /// passed on to the lower device.
    fn change_rx_flags(&self, dev: &Arc<NetDevice>, change: IfFlags) {
        if !dev.is_up() {
            return;
        }
        let f = dev.raw_flags();
        if change.contains(IfFlags::ALLMULTI) {
            let _ = dev_set_allmulti(&self.lower, if f.contains(IfFlags::ALLMULTI) { 1 } else { -1 });
        }
        let passthru = self.port.read(|st| st.passthru);
        if !passthru && change.contains(IfFlags::PROMISC) {
            let _ = dev_set_promiscuity(&self.lower, if f.contains(IfFlags::PROMISC) { 1 } else { -1 });
        }
    }

    /// `macvlan_set_mac_lists`: this macvlan's group filter (its multicast list and the
    /// broadcast address, everything if PROMISC/ALLMULTI), its lists synced to the lower device,
    /// then the port's filters recomputed from the lower's list.
    fn set_rx_mode(&self, dev: &Arc<NetDevice>) {
        let all = dev.raw_flags().intersects(IfFlags::PROMISC | IfFlags::ALLMULTI);
        let mut mc: Vec<MacAddr> = dev.mc_addrs().into_iter().map(|h| h.addr).collect();
        mc.sort_unstable();
        mc.dedup();
        let _ = dev_uc_sync(&self.lower, dev);
        let _ = dev_mc_sync(&self.lower, dev);
        let id = dev.id();
        let lower = &self.lower;
        self.port.update(|st| {
            if let Some(v) = st.vlan_mut(id) {
                v.mc_all = all;
                v.mc = mc;
            }
            st.recompute_filters(lower);
        });
    }

    /// `macvlan_dev_get_stats64`: rx packets, bytes and multicast; tx packets and bytes;
    /// `rx_errors`, reported as `rx_dropped` too; `tx_dropped`.
    fn get_stats64(&self, dev: &NetDevice, s: &mut LinkStats64) {
        let st = dev.stats();
        s.rx_packets = st.read(Stat::RxPackets);
        s.rx_bytes = st.read(Stat::RxBytes);
        s.multicast = st.read(Stat::Multicast);
        s.tx_packets = st.read(Stat::TxPackets);
        s.tx_bytes = st.read(Stat::TxBytes);
        s.rx_errors = st.read(Stat::RxErrors);
        s.rx_dropped = s.rx_errors;
        s.tx_dropped = st.read(Stat::TxDropped);
    }

    /// `macvlan_dev_get_iflink`: the lower device (`macvlan0@eth0`).
    fn iflink(&self, _dev: &NetDevice) -> u32 {
        self.lower.ifindex()
    }

    /// `macvlan_get_link_net`: the lower device's namespace.
    fn link_netns(&self, _dev: &NetDevice) -> NetnsId {
        self.lower.netns()
    }
}
