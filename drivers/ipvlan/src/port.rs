//! The port: what an ipvlan lower device carries (`struct ipvl_port`): the mode and flags shared
//! by all its slaves, the table of the addresses of the slaves that are up (what the receive
//! handler and local delivery look up), the receive handler itself (`ipvlan_handle_frame`), and
//! the notifiers that make slaves follow their lower (`ipvlan_device_event`) and own their
//! addresses (`ipvlan_addr4_event` and the validators).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU16, Ordering};

use arc_swap::ArcSwap;
use netdev_core::{
    AddrEvent, Cpu, DevPtr, ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, Errno, Error, IfFlags, InetAddrNotifier,
    NetDevice, NetRx, NetdevEvent, NetdevNotifier, RegState, Result, Rtnl, RxHandler, RxHandlerResult, Skb, Stat,
};
use parking_lot::Mutex;

use crate::{IPVLAN_F_PRIVATE, IPVLAN_F_VEPA, IpvlanDev, IpvlanMode};

/// One slave as its port knows it (`struct ipvl_dev`'s shared part).
pub(crate) struct Slave {
    /// The slave device, for the data path to pin.
    pub(crate) me: DevPtr,
    /// `ipvlan->addrs`: every address of the slave, up or down.
    pub(crate) addrs: Mutex<Vec<IpAddr>>,
    /// `dev->dev_id`, unique in the port.
    pub(crate) dev_id: u16,
}

impl fmt::Debug for Slave {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slave").field("dev_id", &self.dev_id).finish_non_exhaustive()
    }
}

/// The control-plane part of a port, under its lock (RTNL serialises writers anyway).
#[derive(Default)]
struct Ctl {
    slaves: Vec<Arc<Slave>>,
    ids: BTreeSet<u16>,
    id_start: u16,
}

/// `struct ipvl_port`.
pub(crate) struct Port {
    mode: AtomicU8,
    flags: AtomicU16,
    /// The hash of the addresses of running slaves (`port->hlhead`), published for the data path.
    table: ArcSwap<BTreeMap<IpAddr, Arc<Slave>>>,
    /// The slaves (`port->ipvlans`), published for the data path (multicast distribution).
    list: ArcSwap<Vec<Arc<Slave>>>,
    ctl: Mutex<Ctl>,
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port").field("mode", &self.mode()).field("flags", &self.flags()).finish_non_exhaustive()
    }
}

impl Port {
    /// `ipvlan_port_create`: mode L3, no flags.
    fn new() -> Port {
        Port {
            mode: AtomicU8::new(IpvlanMode::L3 as u8),
            flags: AtomicU16::new(0),
            table: ArcSwap::from_pointee(BTreeMap::new()),
            list: ArcSwap::from_pointee(Vec::new()),
            ctl: Mutex::new(Ctl { id_start: 1, ..Ctl::default() }),
        }
    }

    #[inline]
    pub(crate) fn mode(&self) -> IpvlanMode {
        IpvlanMode::from_u16(u16::from(self.mode.load(Ordering::Relaxed))).unwrap_or(IpvlanMode::L3)
    }

    #[inline]
    pub(crate) fn flags(&self) -> u16 {
        self.flags.load(Ordering::Relaxed)
    }

    pub(crate) fn set_flags(&self, flags: u16) {
        self.flags.store(flags, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn is_private(&self) -> bool {
        self.flags() & IPVLAN_F_PRIVATE != 0
    }

    #[inline]
    pub(crate) fn is_vepa(&self) -> bool {
        self.flags() & IPVLAN_F_VEPA != 0
    }

    /// `ipvlan_set_port_mode`: a change of mode sets (L3, L3S) or clears (L2) `IFF_NOARP` on
    /// every slave of the port, through `dev_change_flags`.
    pub(crate) fn set_mode(&self, rtnl: &mut Rtnl<'_>, mode: IpvlanMode) {
        if self.mode() == mode {
            return;
        }
        let noarp = if mode == IpvlanMode::L2 { IfFlags::EMPTY } else { IfFlags::NOARP };
        for s in self.slaves() {
            if let Some(dev) = s.me.load_full() {
                rtnl.change_flags(&dev, IfFlags::NOARP, noarp);
            }
        }
        self.mode.store(mode as u8, Ordering::Relaxed);
    }

    pub(crate) fn slaves(&self) -> Vec<Arc<Slave>> {
        self.ctl.lock().slaves.clone()
    }

    /// The slave devices, in creation order.
    pub(crate) fn devices(&self) -> Vec<Arc<NetDevice>> {
        self.slaves().iter().filter_map(|s| s.me.load_full()).collect()
    }

    /// `ida_alloc_range` from `dev_id_start` in 1..=0xFFFD, wrapping. None when all are taken.
    pub(crate) fn alloc_dev_id(&self) -> Option<u16> {
        let mut c = self.ctl.lock();
        if c.id_start == 0xfffe {
            c.id_start = 1;
        }
        let start = c.id_start;
        let id = (start..=0xfffd).chain(1..start).find(|i| !c.ids.contains(i))?;
        c.ids.insert(id);
        c.id_start = id + 1;
        Some(id)
    }

    pub(crate) fn add_slave(&self, s: Arc<Slave>) {
        let mut c = self.ctl.lock();
        c.slaves.push(s);
        self.list.store(Arc::new(c.slaves.clone()));
    }

    /// Out of the port (`ipvlan_link_delete` + `ida_free`); true if the port is now empty.
    pub(crate) fn remove_slave(&self, s: &Slave) -> bool {
        let empty = {
            let mut c = self.ctl.lock();
            c.slaves.retain(|x| !std::ptr::eq(Arc::as_ptr(x), s));
            c.ids.remove(&s.dev_id);
            self.list.store(Arc::new(c.slaves.clone()));
            c.slaves.is_empty()
        };
        self.rehash();
        empty
    }

    /// `ipvlan_addr_busy`: does any slave of the port own `addr` (up or down)?
    pub(crate) fn addr_busy(&self, addr: IpAddr) -> bool {
        self.ctl.lock().slaves.iter().any(|s| s.addrs.lock().contains(&addr))
    }

    /// Republish the table: the addresses of the slaves that are running
    /// (`ipvlan_ht_addr_add` at open and on address add, `ipvlan_ht_addr_del` at stop).
    pub(crate) fn rehash(&self) {
        let mut t = BTreeMap::new();
        for s in self.slaves() {
            if s.me.load_full().is_some_and(|d| d.is_running()) {
                for a in s.addrs.lock().iter() {
                    t.entry(*a).or_insert_with(|| s.clone());
                }
            }
        }
        self.table.store(Arc::new(t));
    }

    /// `ipvlan_ht_addr_lookup`: run `f` on the running slave that owns `addr` (under the
    /// table's read guard: no reference count is touched).
    #[inline]
    pub(crate) fn with_owner<R>(&self, addr: IpAddr, f: impl FnOnce(&Slave) -> R) -> Option<R> {
        let t = self.table.load();
        t.get(&addr).map(|s| f(s))
    }
}

/// `ipvlan_get_L3_hdr` + `ipvlan_addr_lookup`: the address a packet (data at its L3 header) is
/// looked up by: IPv4/IPv6 destination (`use_dest`) or source; the target of a DAD neighbour
/// solicitation (source `::`); the ARP target or sender IP. None for a malformed header or
/// another protocol.
pub(crate) fn l3_addr(proto: u16, l3: &[u8], use_dest: bool) -> Option<IpAddr> {
    match proto {
        ETH_P_ARP => {
            // arp_hdr_len for Ethernet: 8 + 2 × (6 + 4).
            let b = l3.get(..28)?;
            let at = if use_dest { 24 } else { 14 };
            Some(IpAddr::V4(Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])))
        }
        ETH_P_IP => {
            let b = l3.get(..20)?;
            let ihl = usize::from(b[0] & 0x0f) * 4;
            let tot = usize::from(u16::from_be_bytes([b[2], b[3]]));
            if b[0] >> 4 != 4 || ihl < 20 || l3.len() < tot || tot < ihl {
                return None;
            }
            let at = if use_dest { 16 } else { 12 };
            Some(IpAddr::V4(Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])))
        }
        ETH_P_IPV6 => {
            let b = l3.get(..40)?;
            if b[0] >> 4 != 6 {
                return None;
            }
            let v6 = |s: &[u8]| -> Option<IpAddr> {
                let a: [u8; 16] = s.get(..16)?.try_into().ok()?;
                Some(IpAddr::V6(Ipv6Addr::from(a)))
            };
            let src_any = b[8..24].iter().all(|&x| x == 0);
            if src_any && b[6] == 58 {
                // ICMPv6: only a neighbour solicitation (type 135) is looked up, by its target.
                let icmp = l3.get(40..44)?;
                if icmp[0] != 135 {
                    return None;
                }
                return v6(l3.get(48..)?);
            }
            v6(if use_dest { &b[24..40] } else { &b[8..24] })
        }
        _ => None,
    }
}

/// `ipvlan_count_rx`.
pub(crate) fn count_rx(cpu: &Cpu, dev: &NetDevice, len: usize, success: bool, mcast: bool) {
    if success {
        cpu.stat_packet(dev, Stat::RxPackets, Stat::RxBytes, len);
        if mcast {
            cpu.stat_add(dev, Stat::Multicast, 1);
        }
    } else {
        cpu.stat_add(dev, Stat::RxErrors, 1);
    }
}

/// `ETH_P_PAUSE`: never distributed.
pub(crate) const ETH_P_PAUSE: u16 = 0x8808;

/// The Ethernet header of the frame being received (`eth_hdr`): destination, source, type.
fn eth_hdr(skb: &Skb) -> Option<([u8; 6], [u8; 6])> {
    let m = skb.mac_frame();
    let d: [u8; 6] = m.get(..6)?.try_into().ok()?;
    let s: [u8; 6] = m.get(6..12)?.try_into().ok()?;
    Some((d, s))
}

impl Port {
    /// `ipvlan_handle_mode_l3`: a destination owned by a running slave moves the frame to it
    /// (`ipvlan_rcv_frame`, not local: another round); anything else passes to the lower.
    fn handle_l3(&self, cpu: &mut Cpu, skb: Skb) -> RxHandlerResult {
        let Some(addr) = l3_addr(skb.meta.protocol, skb.data(), true) else { return RxHandlerResult::Pass(skb) };
        let Some(id) = self.with_owner(addr, |s| cpu.pin_ptr(&s.me)).flatten() else {
            return RxHandlerResult::Pass(skb);
        };
        if let Some(dev) = cpu.pinned(id) {
            count_rx(cpu, dev, skb.len() + ETH_HLEN, true, false);
        }
        RxHandlerResult::AnotherPinned(skb, id)
    }

    /// `ipvlan_external_frame`: not a frame one of our slaves sent (source MAC the lower's and
    /// source IP a slave's).
    fn external(&self, lower: &NetDevice, skb: &Skb, src: [u8; 6]) -> bool {
        if src != lower.address().octets() {
            return true;
        }
        match l3_addr(skb.meta.protocol, skb.data(), false) {
            Some(a) => self.with_owner(a, |_| ()).is_none(),
            None => true,
        }
    }

    /// `ipvlan_multicast_enqueue` + `ipvlan_process_multicast`, done at once: a copy of the frame
    /// (data at its Ethernet header) for every slave that is up but `except`; TX-originated
    /// copies go through `dev_forward_skb`, RX ones through `netif_rx`. Each counts as multicast
    /// with `skb->len + ETH_HLEN`, which for a TX-originated frame (its `len` already includes
    /// the Ethernet header) is the frame plus 14, as in Linux.
    pub(crate) fn multicast(&self, cpu: &mut Cpu, frame: &[u8], except: u64, tx: bool) {
        let len = frame.len() + if tx { ETH_HLEN } else { 0 };
        let list = self.list.load();
        for s in list.iter() {
            let Some(id) = cpu.pin_ptr(&s.me) else { continue };
            if id == except || !cpu.pinned(id).is_some_and(|d| d.is_up()) {
                continue;
            }
            let mut nskb = cpu.alloc_frame(frame);
            let ok = if tx {
                matches!(cpu.dev_forward_ptr(&s.me, nskb), Ok(NetRx::Success))
            } else if let Some(dev) = cpu.pinned(id).cloned() {
                // pkt_type BROADCAST or MULTICAST, as eth_type_trans finds for a group address.
                cpu.eth_type_trans(&mut nskb, &dev);
                cpu.netif_rx(nskb) == NetRx::Success
            } else {
                cpu.kfree_skb(nskb, netdev_core::DropReason::DevReady, None);
                false
            };
            if let Some(dev) = cpu.pinned(id) {
                count_rx(cpu, dev, len, ok, true);
            }
        }
    }
}

impl RxHandler for Port {
    /// `ipvlan_handle_frame` on the lower device.
    fn handle(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        match self.mode() {
            IpvlanMode::L3 | IpvlanMode::L3s => self.handle_l3(cpu, skb),
            IpvlanMode::L2 => {
                let Some((dst, src)) = eth_hdr(&skb) else { return RxHandlerResult::Pass(skb) };
                if dst[0] & 1 == 0 {
                    return self.handle_l3(cpu, skb);
                }
                // ipvlan_handle_mode_l2: an external multicast frame is copied to the slaves;
                // the original passes to the lower.
                if skb.meta.protocol != ETH_P_PAUSE && self.external(dev, &skb, src) {
                    let frame = skb.mac_frame().to_vec();
                    self.multicast(cpu, &frame, 0, false);
                }
                RxHandlerResult::Pass(skb)
            }
        }
    }
}

/// Every port, by lower device id (`netif_is_ipvlan_port`).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    ports: Mutex<BTreeMap<u64, Arc<Port>>>,
}

impl Registry {
    pub(crate) fn port(&self, lower: &NetDevice) -> Option<Arc<Port>> {
        self.ports.lock().get(&lower.id()).cloned()
    }

    /// `ipvlan_port_create`: the receive handler on the lower (EBUSY if it has another one).
    pub(crate) fn port_create(&self, rtnl: &mut Rtnl<'_>, lower: &Arc<NetDevice>) -> Result<Arc<Port>> {
        if let Some(p) = self.port(lower) {
            return Ok(p);
        }
        let p = Arc::new(Port::new());
        rtnl.rx_handler_register(lower, p.clone())?;
        self.ports.lock().insert(lower.id(), p.clone());
        Ok(p)
    }

    /// `ipvlan_port_destroy`.
    pub(crate) fn port_destroy(&self, rtnl: &mut Rtnl<'_>, lower: &Arc<NetDevice>) {
        if self.ports.lock().remove(&lower.id()).is_some() {
            rtnl.rx_handler_unregister(lower);
        }
    }
}

/// `ipvlan_device_event`: slaves follow their lower device.
pub(crate) struct Notifier(pub(crate) Arc<Registry>);

impl NetdevNotifier for Notifier {
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        let Some(port) = self.0.port(dev) else { return Ok(()) };
        let slaves = port.devices();
        match event {
            NetdevEvent::Up | NetdevEvent::Down | NetdevEvent::Change => {
                for s in &slaves {
                    rtnl.stacked_transfer_operstate(dev, s);
                }
            }
            NetdevEvent::Unregister => {
                if dev.reg_state() != RegState::Unregistering {
                    return Ok(());
                }
                for s in &slaves {
                    crate::link_delete(rtnl, s);
                }
            }
            NetdevEvent::ChangeMtu => {
                // ipvlan_adjust_mtu: every slave takes the lower's MTU, up or down, larger or smaller.
                for s in &slaves {
                    rtnl.force_mtu(s, dev.mtu());
                }
            }
            NetdevEvent::PreChangeAddr => {
                for s in &slaves {
                    rtnl.call_notifiers(&NetdevEvent::PreChangeAddr, s)?;
                }
            }
            NetdevEvent::ChangeAddr => {
                for s in &slaves {
                    rtnl.set_hw_addr(s, dev.address());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The inet address notifiers and validators (`ipvlan_addr4_event`,
/// `ipvlan_addr4_validator_event` and their IPv6 twins).
#[derive(Debug)]
pub(crate) struct AddrNotifier;

fn slave_of(dev: &NetDevice) -> Option<&IpvlanDev> {
    dev.driver::<IpvlanDev>()
}

impl InetAddrNotifier for AddrNotifier {
    /// An address another slave of the same port owns (even a slave that is down) is refused.
    fn validate(&self, dev: &Arc<NetDevice>, addr: IpAddr) -> Result<()> {
        match slave_of(dev) {
            Some(s) if s.port.addr_busy(addr) => {
                Err(Error::with_msg(Errno::Eaddrinuse, "Address already assigned to an ipvlan device"))
            }
            _ => Ok(()),
        }
    }

    /// `ipvlan_add_addr` / `ipvlan_del_addr`: the slave's list, and the port's table if it runs.
    fn event(&self, dev: &Arc<NetDevice>, addr: IpAddr, ev: AddrEvent) {
        let Some(s) = slave_of(dev) else { return };
        match ev {
            AddrEvent::Up => {
                if s.port.addr_busy(addr) {
                    return;
                }
                s.slave.addrs.lock().push(addr);
            }
            AddrEvent::Down => s.slave.addrs.lock().retain(|a| *a != addr),
        }
        s.port.rehash();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_addr_picks_what_ipvlan_addr_lookup_uses() {
        let mut ip = vec![0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        assert_eq!(l3_addr(ETH_P_IP, &ip, true), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))));
        assert_eq!(l3_addr(ETH_P_IP, &ip, false), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
        ip[3] = 40; // tot_len beyond the packet
        assert_eq!(l3_addr(ETH_P_IP, &ip, true), None);
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1];
        arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 9]);
        assert_eq!(l3_addr(ETH_P_ARP, &arp, true), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9))));
        assert_eq!(l3_addr(ETH_P_ARP, &arp, false), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
        assert_eq!(l3_addr(ETH_P_ARP, &arp[..27], true), None);
        // A DAD neighbour solicitation: source ::, ICMPv6 135, looked up by its target.
        let mut ns = vec![0x60, 0, 0, 0, 0, 24, 58, 255];
        ns.extend_from_slice(&[0; 16]);
        ns.extend_from_slice(&[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 5]);
        ns.extend_from_slice(&[135, 0, 0, 0, 0, 0, 0, 0]);
        ns.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(l3_addr(ETH_P_IPV6, &ns, true), Some("fd00::5".parse().unwrap()));
        assert_eq!(l3_addr(0x88b5, &ns, true), None);
    }

    #[test]
    fn dev_ids_are_allocated_cyclically() {
        let p = Port::new();
        assert_eq!(p.alloc_dev_id(), Some(1));
        assert_eq!(p.alloc_dev_id(), Some(2));
        p.ctl.lock().ids.remove(&1);
        assert_eq!(p.alloc_dev_id(), Some(3), "from dev_id_start on, not the lowest free");
        p.ctl.lock().id_start = 0xfffd;
        assert_eq!(p.alloc_dev_id(), Some(0xfffd));
        assert_eq!(p.alloc_dev_id(), Some(1), "wraps past 0xFFFD (0xFFFE is the master's)");
    }
}
