//! # netdev-ipvlan: IP-address-based virtual devices (`drivers/net/ipvlan/`)
//!
//! Ipvlan slaves share their lower (master) device's MAC address and are told apart by IP
//! address: the lower carries a port with a receive handler that hands a frame to the slave
//! owning its destination IP (the ARP target, the target of a DAD neighbour solicitation), and
//! an address may belong to one slave of a port only (`EADDRINUSE`). The mode is the port's,
//! shared by every slave, and the last write wins (creating a slave without `mode` sets L3):
//!
//! - **L3** (the default): slaves are NOARP; what they send to an address no slave owns is
//!   routed in the lower's namespace (its routing table, its neighbours) and sent from there;
//!   broadcast and multicast never reach a slave.
//! - **L2**: slaves do ARP; a frame to the shared MAC goes to the owning slave or else to the
//!   master's own stack; broadcast and multicast are copied to every slave and sent out.
//! - **L3S**: as L3 here (see the deviations).
//!
//! Flags (also the port's): `bridge` (slave to slave directly, the default), `private` (slave to
//! slave dropped), `vepa` (slave to slave through the wire). Slaves cannot be rx-handler lowers
//! (`IFF_NO_RX_HANDLER`) nor carry vlans (`VLAN_CHALLENGED`), have no `ndo_set_mac_address`,
//! take the lower's MTU (when created without one, and whenever the lower's changes), follow its
//! carrier, and go when it goes.
//!
//! ```text
//! ip link add link DEV [name NAME] type ipvlan [mode l2|l3|l3s] [bridge|private|vepa]
//! ip link set NAME type ipvlan [mode l2|l3|l3s] [bridge|private|vepa]
//! ```
//!
//! Deliberate deviations from Linux:
//! - **L3S** demultiplexes in the receive handler like L3: without netfilter or l3mdev in the
//!   simulator the master namespace's `NF_INET_LOCAL_IN` detour has nothing to show.
//! - Multicast distribution is done at once rather than from a work queue (so the port's
//!   1000-frame backlog never fills), and without the per-slave multicast MAC filter (the core
//!   keeps no multicast address lists): every slave that is up gets every multicast frame.
//! - A frame handed to a slave's `xmit` with no `skb->protocol` (a raw frame) is classified by
//!   its Ethernet type.
//! - Slaves' IPv6 link-local addresses are not made unique by `dev_id` (the core has no
//!   `dev_id`; `ipvlan` reports the one it allocates), and the stack only asks the address
//!   validators about addresses added with `ip addr add`.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod port;

use std::any::Any;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use netdev_core::{
    ARPHRD_ETHER, AddrAssign, Cpu, DeviceSetup, DropReason, ETH_HLEN, ETH_MAX_MTU, ETH_P_IP, ETH_P_IPV6, Errno, Error,
    Features, IfFlags, KindConfig, LinkKind, LinkStats64, MacAddr, NetDevice, NetDeviceOps, NetRx, NetnsId, NewLink,
    PktType, PrivFlags, Registration, Result, Rtnl, Skb, Stat, World, Xmit, scrub,
};

use port::{AddrNotifier, ETH_P_PAUSE, Notifier, Port, Registry, Slave, count_rx, l3_addr};

/// The link kind name.
pub const KIND: &str = "ipvlan";
/// `ethtool -i` driver name (`IPVLAN_DRV`).
pub const DRV_NAME: &str = "ipvlan";
/// `ethtool -i` version (`IPV_DRV_VER`).
pub const DRV_VERSION: &str = "0.1";
/// `IPVLAN_F_PRIVATE`: slave-to-slave traffic is dropped.
pub const IPVLAN_F_PRIVATE: u16 = 0x1;
/// `IPVLAN_F_VEPA`: slave-to-slave traffic goes out through the lower.
pub const IPVLAN_F_VEPA: u16 = 0x2;

/// `enum ipvlan_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IpvlanMode {
    /// `IPVLAN_MODE_L2`.
    L2 = 0,
    /// `IPVLAN_MODE_L3` (the default).
    L3 = 1,
    /// `IPVLAN_MODE_L3S`.
    L3s = 2,
}

impl IpvlanMode {
    /// The mode for an `IFLA_IPVLAN_MODE` value; `None` from `IPVLAN_MODE_MAX` (3) on.
    pub fn from_u16(v: u16) -> Option<IpvlanMode> {
        match v {
            0 => Some(IpvlanMode::L2),
            1 => Some(IpvlanMode::L3),
            2 => Some(IpvlanMode::L3s),
            _ => None,
        }
    }

    /// The name iproute2 prints.
    pub const fn name(self) -> &'static str {
        match self {
            IpvlanMode::L2 => "l2",
            IpvlanMode::L3 => "l3",
            IpvlanMode::L3s => "l3s",
        }
    }
}

/// The `IFLA_INFO_DATA` of an ipvlan (raw values, so that a library caller can send what
/// iproute2 would not).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpvlanConfig {
    /// `IFLA_IPVLAN_MODE` (L3 when creating without it).
    pub mode: Option<u16>,
    /// `IFLA_IPVLAN_FLAGS` (`IPVLAN_F_*`; iproute2 always sends it, 0 for `bridge`).
    pub flags: Option<u16>,
}

impl IpvlanConfig {
    /// `ipvlan_nl_validate`: EINVAL for a mode from 3 on, unknown flag bits, or PRIVATE and VEPA
    /// together.
    pub fn validate(&self) -> Result<()> {
        if self.mode.is_some_and(|m| IpvlanMode::from_u16(m).is_none()) {
            return Err(Error::new(Errno::Einval));
        }
        if let Some(f) = self.flags {
            let both = IPVLAN_F_PRIVATE | IPVLAN_F_VEPA;
            if f & !both != 0 || f & both == both {
                return Err(Error::new(Errno::Einval));
            }
        }
        Ok(())
    }
}

fn arg_err(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

/// iproute2 `ipvlan_parse_opt`: `mode l2|l3|l3s` and one of `private`, `vepa`, `bridge`; the
/// flags attribute is always sent (0 for `bridge` or none). A second flag word is refused as an
/// unknown option, so iproute2 never sends PRIVATE and VEPA together.
pub fn parse_args(args: &[&str]) -> Result<IpvlanConfig> {
    let matches = |a: &str, w: &str| !a.is_empty() && w.starts_with(a);
    let mut mode = None;
    let mut flags = 0;
    let mut flag_given = false;
    let mut it = args.iter();
    while let Some(&w) = it.next() {
        if matches(w, "mode") {
            let m = it.next().ok_or(arg_err("Command line is not complete. Try option \"help\""))?;
            mode = Some(match *m {
                "l2" => IpvlanMode::L2,
                "l3" => IpvlanMode::L3,
                "l3s" => IpvlanMode::L3s,
                _ => return Err(arg_err("argument of \"mode\" must be either \"l2\", \"l3\" or \"l3s\"")),
            } as u16);
        } else if matches(w, "private") && !flag_given {
            flags |= IPVLAN_F_PRIVATE;
            flag_given = true;
        } else if matches(w, "vepa") && !flag_given {
            flags |= IPVLAN_F_VEPA;
            flag_given = true;
        } else if matches(w, "bridge") && !flag_given {
            flag_given = true;
        } else {
            return Err(arg_err("ipvlan: unknown option"));
        }
    }
    Ok(IpvlanConfig { mode, flags: Some(flags) })
}

/// A slave's private state (`struct ipvl_dev`).
pub struct IpvlanDev {
    /// The lower (`phy_dev`), fixed for the slave's life.
    lower: Arc<NetDevice>,
    pub(crate) port: Arc<Port>,
    pub(crate) slave: Arc<Slave>,
    reg: Arc<Registry>,
}

impl fmt::Debug for IpvlanDev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IpvlanDev").field("lower", &self.lower.name()).field("port", &self.port).finish()
    }
}

/// What `ip -d link` shows for a slave, and what its port knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpvlanInfo {
    /// The port's mode.
    pub mode: IpvlanMode,
    /// The port's flags (`IPVLAN_F_*`).
    pub flags: u16,
    /// The lower's ifindex (`IFLA_LINK`).
    pub lower_ifindex: u32,
    /// The lower's namespace (`get_link_net`).
    pub lower_netns: NetnsId,
    /// `dev->dev_id` (1..=0xFFFD, unique in the port).
    pub dev_id: u16,
    /// The slave's addresses as the port knows them (`ipvlan->addrs`).
    pub addrs: Vec<IpAddr>,
}

impl IpvlanDev {
    /// The ipvlan attributes of `dev`, if it is an ipvlan slave.
    pub fn info(dev: &NetDevice) -> Option<IpvlanInfo> {
        let d = dev.driver::<IpvlanDev>()?;
        Some(IpvlanInfo {
            mode: d.port.mode(),
            flags: d.port.flags(),
            lower_ifindex: d.lower.ifindex(),
            lower_netns: d.lower.netns(),
            dev_id: d.slave.dev_id,
            addrs: d.slave.addrs.lock().clone(),
        })
    }

    /// The lower device under `dev`, if it is an ipvlan slave.
    pub fn lower_of(dev: &NetDevice) -> Option<Arc<NetDevice>> {
        Some(dev.driver::<IpvlanDev>()?.lower.clone())
    }

    /// `skb->protocol`, or the Ethernet type of a raw frame that has none.
    fn protocol(skb: &Skb) -> u16 {
        match skb.meta.protocol {
            0 => skb.data().get(12..14).map_or(0, |b| u16::from_be_bytes([b[0], b[1]])),
            p => p,
        }
    }

    /// The L3 address a frame being sent (data at its Ethernet header) is looked up by.
    fn tx_dest(skb: &Skb) -> Option<IpAddr> {
        l3_addr(Self::protocol(skb), skb.data().get(ETH_HLEN..)?, true)
    }

    /// `ipvlan_rcv_frame` with `local`: deliver to another slave of the port with
    /// `dev_forward_skb` (a slave that is down drops it); counted on that slave with
    /// `skb->len + ETH_HLEN`, which here (data at the Ethernet header) is the frame plus 14.
    fn rcv_frame_local(&self, cpu: &mut Cpu, target: &Slave, mut skb: Skb) {
        let len = skb.len() + ETH_HLEN;
        let Some(id) = cpu.pin_ptr(&target.me) else {
            cpu.kfree_skb(skb, DropReason::DevReady, None);
            return;
        };
        let ok = if cpu.pinned(id).is_some_and(|d| d.is_up()) {
            skb.meta.pkt_type = PktType::Host;
            match cpu.dev_forward_ptr(&target.me, skb) {
                Ok(r) => r == NetRx::Success,
                Err(skb) => {
                    cpu.kfree_skb(skb, DropReason::DevReady, None);
                    false
                }
            }
        } else {
            let dev = cpu.pinned(id).cloned();
            cpu.kfree_skb(skb, DropReason::DevReady, dev.as_deref());
            false
        };
        if let Some(d) = cpu.pinned(id) {
            count_rx(cpu, d, len, ok, false);
        }
    }

    /// A destination another slave owns: PRIVATE drops it (consumed, `NET_XMIT_DROP`), else it
    /// is delivered locally. `Err(skb)` if no slave owns it (or the port is VEPA).
    fn to_slave(&self, cpu: &mut Cpu, skb: Skb) -> std::result::Result<Xmit, Skb> {
        if self.port.is_vepa() {
            return Err(skb);
        }
        let Some(addr) = Self::tx_dest(&skb) else { return Err(skb) };
        let mut skb = Some(skb);
        let done = self.port.with_owner(addr, |target| {
            let Some(skb) = skb.take() else { return Xmit::Drop };
            if self.port.is_private() {
                cpu.consume_skb(skb);
                return Xmit::Drop;
            }
            self.rcv_frame_local(cpu, target, skb);
            Xmit::Ok
        });
        match (done, skb) {
            (Some(r), _) => Ok(r),
            (None, Some(skb)) => Err(skb),
            // The closure ran whenever the packet was taken.
            (None, None) => Ok(Xmit::Drop),
        }
    }

    /// `ipvlan_xmit_mode_l3`.
    fn xmit_l3(&self, cpu: &mut Cpu, dev: &NetDevice, skb: Skb) -> Xmit {
        let mut skb = match self.to_slave(cpu, skb) {
            Ok(r) => return r,
            Err(skb) => skb,
        };
        // ipvlan_skb_crossing_ns, then ipvlan_process_outbound.
        scrub(&mut skb, dev.netns() != self.lower.netns());
        if skb.data().first().is_some_and(|b| b & 1 == 1) {
            cpu.kfree_skb(skb, DropReason::MacIsMulticast, Some(dev));
            return Xmit::Drop;
        }
        let proto = Self::protocol(&skb);
        let _ = skb.pull(ETH_HLEN);
        skb.reset_mac_header();
        skb.meta.protocol = proto;
        if proto != ETH_P_IP && proto != ETH_P_IPV6 {
            cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
            return Xmit::Drop;
        }
        // Routed in the lower's namespace, out of the lower; a route other than unicast or
        // local is a tx_error of the lower.
        match cpu.ip_local_out(self.lower.netns(), skb, Some(self.lower.ifindex())) {
            Ok(()) => Xmit::Ok,
            Err(skb) => {
                cpu.stat_add(&self.lower, Stat::TxErrors, 1);
                cpu.kfree_skb(skb, DropReason::IpOutnoroutes, Some(&self.lower));
                Xmit::Drop
            }
        }
    }

    /// `ipvlan_xmit_mode_l2`.
    fn xmit_l2(&self, cpu: &mut Cpu, dev: &NetDevice, skb: Skb) -> Xmit {
        let (dst, src) = {
            let d = skb.data();
            let mac = |at: usize| d.get(at..).and_then(MacAddr::from_slice).unwrap_or_default();
            (mac(0), mac(6))
        };
        if !self.port.is_vepa() && dst == src {
            let skb = match self.to_slave(cpu, skb) {
                Ok(r) => return r,
                Err(skb) => skb,
            };
            // Addressed to the shared MAC but no slave's: the master's own stack gets it.
            let _ = cpu.dev_forward_skb(&self.lower, skb);
            return Xmit::Ok;
        }
        if dst.is_multicast() {
            let mut skb = skb;
            scrub(&mut skb, true);
            if Self::protocol(&skb) == ETH_P_PAUSE {
                cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
                return Xmit::Ok;
            }
            self.port.multicast(cpu, skb.data(), dev.id(), true);
            // The worker then sends it out of the lower; the slave has already counted success.
            let _ = cpu.dev_queue_xmit(&self.lower, skb);
            return Xmit::Ok;
        }
        cpu.dev_queue_xmit(&self.lower, skb)
    }
}

/// `ipvlan_link_setup` + `ipvlan_init` for a slave of `lower`.
pub fn setup(lower: &NetDevice) -> DeviceSetup {
    let mut s = DeviceSetup::ether(KIND);
    s.max_mtu = ETH_MAX_MTU;
    s.priv_flags = (s.priv_flags & !(PrivFlags::XMIT_DST_RELEASE | PrivFlags::TX_SKB_SHARING))
        | PrivFlags::UNICAST_FLT
        | PrivFlags::NO_QUEUE
        | PrivFlags::NO_RX_HANDLER;
    // IPVLAN_FEATURES of the lower, plus IPVLAN_ALWAYS_ON; none of them is user-changeable.
    let from_lower = Features::SG
        | Features::HW_CSUM
        | Features::HIGHDMA
        | Features::FRAGLIST
        | Features::TSO
        | Features::TSO_ECN
        | Features::TSO_MANGLEID
        | Features::TSO6
        | Features::GSO_ROBUST
        | Features::GRO
        | Features::RXCSUM;
    s.features = (lower.features() & from_lower)
        | Features::SG
        | Features::HW_CSUM
        | Features::GSO_ROBUST
        | Features::GSO_SOFTWARE
        | Features::GSO_ENCAP_ALL
        | Features::VLAN_CHALLENGED;
    s.hw_features = Features::EMPTY;
    s.hard_header_len = lower.hard_header_len();
    s.carrier = if lower.has_carrier() { netdev_core::Carrier::On } else { netdev_core::Carrier::Off };
    s.addr = Some(lower.address());
    s
}

impl NetDeviceOps for IpvlanDev {
    /// `ipvlan_start_xmit` → `ipvlan_queue_xmit`: success or `NET_XMIT_CN` counts the length at
    /// entry, anything else a `tx_dropped`.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        let len = skb.len();
        let r = if len < ETH_HLEN {
            cpu.kfree_skb(skb, DropReason::PktTooSmall, Some(dev));
            Xmit::Drop
        } else {
            match self.port.mode() {
                IpvlanMode::L2 => self.xmit_l2(cpu, dev, skb),
                IpvlanMode::L3 | IpvlanMode::L3s => self.xmit_l3(cpu, dev, skb),
            }
        };
        match r {
            Xmit::Ok | Xmit::Congested => cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len),
            Xmit::Drop | Xmit::NetDown => cpu.stat_add(dev, Stat::TxDropped, 1),
        }
        r
    }

    /// `ipvlan_open`: NOARP as the port's mode says; the slave's addresses join the port's table.
    fn open(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let noarp = if self.port.mode() == IpvlanMode::L2 { IfFlags::EMPTY } else { IfFlags::NOARP };
        rtnl.change_flags(dev, IfFlags::NOARP, noarp);
        self.port.rehash();
        Ok(())
    }

    /// `ipvlan_stop`: the slave's addresses leave the port's table.
    fn stop(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        self.port.rehash();
    }

    /// `ipvlan_uninit` (+ the port part of `ipvlan_link_delete`): out of the port; the last slave
    /// destroys it.
    fn uninit(&self, rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        self.slave.me.store(None);
        if self.port.remove_slave(&self.slave) {
            self.reg.port_destroy(rtnl, &self.lower);
        }
    }

    /// No `ndo_set_mac_address`: the MAC is the lower's.
    fn set_mac_address(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _addr: MacAddr) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }

    /// `ipvlan_get_stats64`: `rx_errors` and `rx_dropped` are both the receive errors.
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
        s.tx_errors = st.read(Stat::TxErrors);
    }

    /// `ipvlan_get_iflink`: the lower (`ipv0@eth0`).
    fn iflink(&self, _dev: &NetDevice) -> u32 {
        self.lower.ifindex()
    }

    /// `ipvlan_get_link_net`.
    fn link_netns(&self, _dev: &NetDevice) -> NetnsId {
        self.lower.netns()
    }
}

/// `ipvlan_link_delete`: unlinked from the lower and unregistered (the port part is in uninit).
pub(crate) fn link_delete(rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
    if let Some(d) = dev.driver::<IpvlanDev>() {
        rtnl.upper_dev_unlink(&d.lower, dev);
    }
    let _ = rtnl.unregister(dev);
}

/// The `ipvlan` link kind (`ipvlan_link_ops`) and the ports of every lower device.
#[derive(Debug, Default)]
pub struct IpvlanKind {
    reg: Arc<Registry>,
}

impl IpvlanKind {
    /// The slaves of the port on `lower`, in creation order.
    pub fn slaves_of(&self, lower: &NetDevice) -> Vec<Arc<NetDevice>> {
        self.reg.port(lower).map(|p| p.devices()).unwrap_or_default()
    }
}

fn config_of(cfg: &KindConfig) -> Result<Option<&IpvlanConfig>> {
    let any: &dyn Any = &**cfg;
    if let Some(c) = any.downcast_ref::<IpvlanConfig>() {
        Ok(Some(c))
    } else if any.is::<()>() {
        Ok(None)
    } else {
        Err(Error::new(Errno::Einval))
    }
}

impl LinkKind for IpvlanKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// iproute2 `ipvlan_parse_opt`; no arguments give no `IFLA_INFO_DATA`.
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        if args.is_empty() {
            return Ok(Box::new(()));
        }
        Ok(Box::new(parse_args(args)?))
    }

    /// `ipvlan_nl_validate` + `ipvlan_link_new` (+ `ipvlan_init`, `ipvlan_port_create`).
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let cfg = config_of(cfg)?;
        if let Some(c) = cfg {
            c.validate()?;
        }
        let link = req.link.ok_or(Error::new(Errno::Einval))?;
        let mut lower = rtnl.dev_by_index(req.netns, link).ok_or(Error::new(Errno::Enodev))?;
        if let Some(l) = IpvlanDev::lower_of(&lower) {
            // A slave as the lower: its master is meant.
            lower = l;
        } else if self.reg.port(&lower).is_none() {
            // "Master is either lo or non-ether device" / "Device is already in use."
            if lower.dev_type() != ARPHRD_ETHER || lower.raw_flags().contains(IfFlags::LOOPBACK) {
                return Err(Error::new(Errno::Einval));
            }
            if lower.has_rx_handler() {
                return Err(Error::new(Errno::Ebusy));
            }
        }
        let port = self.reg.port_create(rtnl, &lower)?;
        let dev_id = match port.alloc_dev_id() {
            Some(id) => id,
            // ida_alloc_range's ENOSPC, after 65533 slaves.
            None => return Err(Error::new(Errno::Enomem)),
        };
        let slave = Arc::new(Slave { me: netdev_core::DevPtr::new(), addrs: Default::default(), dev_id });
        let ops = IpvlanDev { lower: lower.clone(), port: port.clone(), slave: slave.clone(), reg: self.reg.clone() };
        let mut s = setup(&lower);
        if req.address.is_some() {
            // IFLA_ADDRESS is overwritten by the lower's MAC; only its assign type stays.
            s.addr_assign = AddrAssign::Set;
        }
        let mut r = Registration::from_request(req, s, Box::new(ops), rtnl.kind(KIND));
        r.address = None;
        r.mtu = Some(req.mtu.unwrap_or(lower.mtu()));
        let dev = match rtnl.register(r) {
            Ok(d) => d,
            Err(e) => {
                if port.remove_slave(&slave) {
                    self.reg.port_destroy(rtnl, &lower);
                }
                return Err(e);
            }
        };
        slave.me.store(Some(dev.clone()));
        if let Err(e) = rtnl.upper_dev_link(&lower, &dev, false) {
            rtnl.unregister(&dev)?;
            return Err(e);
        }
        // Flags are the port's and the latest wins; so is the mode, L3 when not given. (The new
        // slave is not on the port's list yet when the mode changes, as in Linux: it gets its
        // NOARP at open.)
        if let Some(f) = cfg.and_then(|c| c.flags) {
            port.set_flags(f);
        }
        let mode = cfg.and_then(|c| c.mode).and_then(IpvlanMode::from_u16).unwrap_or(IpvlanMode::L3);
        port.set_mode(rtnl, mode);
        port.add_slave(slave);
        rtnl.stacked_transfer_operstate(&lower, &dev);
        Ok(dev)
    }

    /// `ipvlan_link_delete`.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        link_delete(rtnl, dev);
        Ok(())
    }

    /// `ipvlan_nl_changelink`: the mode and flags of the whole port.
    fn changelink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let Some(cfg) = config_of(cfg)? else { return Ok(()) };
        cfg.validate()?;
        let d = dev.driver::<IpvlanDev>().ok_or(Error::new(Errno::Eopnotsupp))?;
        if let Some(m) = cfg.mode.and_then(IpvlanMode::from_u16) {
            d.port.set_mode(rtnl, m);
        }
        if let Some(f) = cfg.flags {
            d.port.set_flags(f);
        }
        Ok(())
    }

    /// `ipvlan_nl_fillinfo` as iproute2 6.1 prints it. iproute2 writes ` mode %s ` right after
    /// `ipvlan `, so the text starts with a space (`ip -d link` shows `ipvlan  mode l3 bridge`).
    fn fill_info(&self, dev: &NetDevice, out: &mut dyn fmt::Write) -> fmt::Result {
        let Some(i) = IpvlanDev::info(dev) else { return Ok(()) };
        let flag = if i.flags & IPVLAN_F_PRIVATE != 0 {
            "private"
        } else if i.flags & IPVLAN_F_VEPA != 0 {
            "vepa"
        } else {
            "bridge"
        };
        write!(out, " mode {} {flag}", i.mode.name())
    }
}

/// Register the `ipvlan` kind with `world`, the notifier that makes slaves follow their lower,
/// and the address notifier that makes an address one slave's only.
pub fn register(world: &World) -> Result<()> {
    let kind = Arc::new(IpvlanKind::default());
    world.register_kind(kind.clone())?;
    world.register_notifier(Arc::new(Notifier(kind.reg.clone())));
    world.register_inetaddr_notifier(Arc::new(AddrNotifier));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ipvlan_parse_opt_grammar() {
        assert_eq!(parse_args(&["mode", "l2"]).unwrap(), IpvlanConfig { mode: Some(0), flags: Some(0) });
        assert_eq!(parse_args(&["m", "l3s", "private"]).unwrap(), IpvlanConfig { mode: Some(2), flags: Some(1) });
        assert_eq!(parse_args(&["vepa"]).unwrap(), IpvlanConfig { mode: None, flags: Some(2) });
        assert_eq!(parse_args(&["bridge"]).unwrap(), IpvlanConfig { mode: None, flags: Some(0) });
        // A second flag word is an unknown option to iproute2.
        assert_eq!(parse_args(&["mode", "l3", "private", "vepa"]).unwrap_err(), Errno::Einval);
        assert_eq!(parse_args(&["mode", "l4"]).unwrap_err(), Errno::Einval);
        assert_eq!(parse_args(&["mode"]).unwrap_err(), Errno::Einval);
        assert_eq!(parse_args(&["nonsense"]).unwrap_err(), Errno::Einval);
    }

    #[test]
    fn ipvlan_nl_validate_rules() {
        let ok = |mode, flags| IpvlanConfig { mode, flags }.validate();
        assert_eq!(ok(Some(2), Some(2)), Ok(()));
        assert_eq!(ok(Some(3), None).unwrap_err(), Errno::Einval);
        assert_eq!(ok(None, Some(3)).unwrap_err(), Errno::Einval, "private and vepa together");
        assert_eq!(ok(None, Some(4)).unwrap_err(), Errno::Einval);
    }
}
