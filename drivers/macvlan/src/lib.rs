//! # netdev-macvlan: MAC-address based virtual devices (`drivers/net/macvlan.c`)
//!
//! A macvlan is an Ethernet device with its own MAC address stacked on a lower device (a veth
//! end, a dummy, ...). The lower device gets an rx handler, the *port*, that hands each frame
//! to the macvlan whose address it is sent to, and each macvlan transmits through the lower
//! device. How siblings on one lower device reach each other is the *mode*: `vepa` (the
//! default) sends everything out and relies on an external switch to reflect frames back;
//! `bridge` delivers directly between bridge-mode siblings; `private` never talks to siblings,
//! not even through a reflecting switch; `passthru` allows a single macvlan that takes
//! everything the lower receives, and the lower's MAC; `source` receives the frames whose
//! *source* MAC is in its list. Broadcasts and multicasts received from the wire go to the
//! lower device and, through a queue processed by a work item, to the siblings. Macvlans
//! follow their lower device's carrier and MTU, and are deleted with it; they may be moved to
//! other namespaces and stay attached.
//!
//! ```text
//! ip link add [NAME] link LOWER [address MAC] [mtu N] type macvlan
//!     [mode { private | vepa | bridge | passthru | source }] [flag { nopromisc | nodst | null }]
//!     [nopromisc] [nodst] [bcqueuelen N] [macaddr { { add | del } MAC | set [MAC ...] | flush }]
//! ip link set DEV type macvlan [mode M] [flag F] [bcqueuelen N] [macaddr ...]
//! ```
//!
//! Data path: the port publishes an immutable snapshot (arc-swap) of its macvlans; receiving a
//! unicast frame is one snapshot load, one lookup in an open-addressing table keyed by MAC, the
//! macvlan's per-CPU counters and `RX_HANDLER_ANOTHER` to the macvlan through the CPU's pin table
//! (`RxHandlerResult::AnotherPinned`). No lock, no allocation, no shared atomic write. Group
//! frames are cloned per receiver (`Cpu::skb_clone`); queued ones take the queue's mutex.
//!
//! The Rust API gives the CLI structured data: [`MacvlanConfig`] (what the arguments mean),
//! [`info`] (what `ip -d link` shows), [`port_info`] (the lower device's side), [`macaddr`],
//! [`changelink`], and [`fdb_add`]/[`fdb_del`] (`bridge fdb add ... self`).
//!
//! Deliberate deviations from Linux:
//! - The broadcast work item is a timer due at the instant the first frame was queued: queued
//!   broadcasts reach the siblings at the next advance of the virtual clock (even by 0 ns),
//!   not while the backlog is polled.
//! - A macvlan's own group filter is the exact set of its multicast addresses (plus broadcast),
//!   not a 256-bit hash mixed with its kernel address, so unrelated groups never collide into
//!   it. The port's filters use the kernel's hash exactly.
//! - No IPv4 defragmentation before the sibling broadcast (`ip_check_defrag`): fragments of a
//!   multicast datagram are flooded one by one and reassembled by each receiving stack.
//! - A passthru macvlan following a MAC change made on the lower device announces its new
//!   address (`NETDEV_CHANGEADDR`, RTM_NEWLINK); the kernel changes it silently.
//! - A passthru macvlan's `addr_assign_type` is `NET_ADDR_SET` (the kernel copies the lower's).
//! - A queue-full broadcast clone is dropped with `FULL_RING` (the kernel: `NOT_SPECIFIED`),
//!   so a drop monitor can tell why; the counter (the lower's core `rx_dropped`) is Linux's.
//! - Not modelled: `protodown` (the core has no `IFLA_PROTO_DOWN` yet), offloads
//!   (`ndo_dfwd_add_station`), macvtap, netpoll, `IFLA_MACVLAN_BC_CUTOFF` in `ip -d link`
//!   (iproute2 6.1 does not print it; [`MacvlanInfo::bc_cutoff`] has it).

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod dev;
mod port;

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use netdev_core::{
    DeviceSetup, ETH_MAX_MTU, ETH_MIN_MTU, Errno, Error, Features, KindConfig, LinkKind, MacAddr, NetDevice,
    NetdevEvent, NetdevNotifier, NetnsId, NewLink, PrivFlags, RegState, Registration, Result, Rtnl, World, dev_mc_add,
    dev_mc_del, dev_uc_add, dev_uc_del,
};
use parking_lot::Mutex;

pub use config::{
    ArgError, MACVLAN_DEFAULT_BC_CUTOFF, MACVLAN_DEFAULT_BC_QUEUE_LEN, MACVLAN_FLAG_NODST, MACVLAN_FLAG_NOPROMISC,
    MacaddrMode, MacaddrOp, MacvlanConfig, MacvlanMode, USAGE, parse,
};
pub use dev::Macvlan;

use dev::{VlanInit, transfer_operstate};
use port::Port;

/// The link kind name.
pub const KIND: &str = "macvlan";
/// `ethtool -i`: the driver name (`macvlan_ethtool_get_drvinfo`).
pub const DRIVER_NAME: &str = "macvlan";
/// `ethtool -i`: the driver version.
pub const DRIVER_VERSION: &str = "0.1";

/// `MACVLAN_FEATURES`, the lower device's features a macvlan may inherit (the bits the simulator
/// models).
pub const MACVLAN_FEATURES: Features = Features(
    Features::SG.bits()
        | Features::HW_CSUM.bits()
        | Features::HIGHDMA.bits()
        | Features::FRAGLIST.bits()
        | Features::TSO.bits()
        | Features::LRO.bits()
        | Features::TSO_ECN.bits()
        | Features::TSO6.bits()
        | Features::GRO.bits()
        | Features::RXCSUM.bits(),
);
/// `ALWAYS_ON_FEATURES`: on whatever the lower device has.
pub const ALWAYS_ON_FEATURES: Features = Features(
    Features::SG.bits()
        | Features::HW_CSUM.bits()
        | Features::GSO_SOFTWARE.bits()
        | Features::GSO_ROBUST.bits()
        | Features::GSO_ENCAP_ALL.bits(),
);

/// The ports of one World, by lower device (`dev->rx_handler_data` of each lower).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    ports: Mutex<BTreeMap<u64, Arc<Port>>>,
}

impl Registry {
    pub(crate) fn insert(&self, lower: u64, port: Arc<Port>) {
        self.ports.lock().insert(lower, port);
    }

    pub(crate) fn remove(&self, lower: u64) {
        self.ports.lock().remove(&lower);
    }

    fn get(&self, lower: u64) -> Option<Arc<Port>> {
        self.ports.lock().get(&lower).cloned()
    }
}

/// `macvlan_setup` and `macvlan_init` for a macvlan on `lower`: Ethernet, `IFF_UNICAST_FLT`,
/// `IFF_NO_QUEUE`, no `TX_SKB_SHARING`, the destination kept (`netif_keep_dst`), `IFF_MACVLAN`;
/// the lower's MTU and header length; its features within [`MACVLAN_FEATURES`] plus
/// [`ALWAYS_ON_FEATURES`]; `max_mtu` 65535 while a requested MTU is validated (narrowed to the
/// lower's `max_mtu` once registered).
pub fn setup(lower: &NetDevice) -> DeviceSetup {
    let mut s = DeviceSetup::ether(KIND);
    s.priv_flags = (s.priv_flags
        & !(PrivFlags::TX_SKB_SHARING | PrivFlags::XMIT_DST_RELEASE | PrivFlags::XMIT_DST_RELEASE_PERM))
        | PrivFlags::UNICAST_FLT
        | PrivFlags::NO_QUEUE
        | PrivFlags::MACVLAN;
    s.mtu = lower.mtu();
    s.max_mtu = ETH_MAX_MTU;
    s.hard_header_len = lower.hard_header_len();
    s.features = (lower.features() & MACVLAN_FEATURES) | ALWAYS_ON_FEATURES;
    s.hw_features = Features::LRO;
    s
}

/// Everything about one macvlan that `ip -d link` shows (`macvlan_fill_info`), as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacvlanInfo {
    /// `IFLA_MACVLAN_MODE`.
    pub mode: MacvlanMode,
    /// `IFLA_MACVLAN_FLAGS`.
    pub flags: u16,
    /// `IFLA_MACVLAN_MACADDR_COUNT`: the length of the source list.
    pub macaddr_count: u32,
    /// The source list, in the kernel's dump order (hash bucket, then newest first).
    pub macaddrs: Vec<MacAddr>,
    /// `IFLA_MACVLAN_BC_QUEUE_LEN`: what this macvlan asked for.
    pub bc_queue_len: u32,
    /// `IFLA_MACVLAN_BC_QUEUE_LEN_USED`: what the port uses (the largest request).
    pub bc_queue_len_used: u32,
    /// The port's `bc_cutoff` (the kernel reports `IFLA_MACVLAN_BC_CUTOFF` only when it is not 1).
    pub bc_cutoff: i32,
    /// The lower device's ifindex (`IFLA_LINK`).
    pub lower_ifindex: u32,
    /// The lower device's namespace (`IFLA_LINK_NETNSID` when it differs from the macvlan's).
    pub lower_netns: NetnsId,
}

/// The lower device's side: its port, if macvlans sit on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// The lower device's ifindex.
    pub lower_ifindex: u32,
    /// A passthru port (one macvlan only).
    pub passthru: bool,
    /// The macvlans on it, by world-unique device id ([`NetDevice::id`]), in the order added.
    pub macvlans: Vec<u64>,
    /// `bc_queue_len_used`.
    pub bc_queue_len_used: u32,
    /// `bc_cutoff`.
    pub bc_cutoff: i32,
    /// Broadcast frames waiting for the work item.
    pub bc_queued: usize,
    /// Bits set in the port's broadcast filter (256 = every group is queued).
    pub bc_filter_bits: u32,
    /// Bits set in the port's multicast filter.
    pub mc_filter_bits: u32,
}

/// The macvlan facts of `dev`, or `None` if it is not a macvlan.
pub fn info(dev: &NetDevice) -> Option<MacvlanInfo> {
    let m = dev.driver::<Macvlan>()?;
    let id = dev.id();
    let (flags, sources, req, used, cutoff) = m.port.read(|st| {
        let v = st.vlan(id);
        (
            v.map_or(0, |v| v.flags),
            st.sources_of(id),
            v.map_or(MACVLAN_DEFAULT_BC_QUEUE_LEN, |v| v.bc_queue_len_req),
            st.bc_queue_len_used,
            st.bc_cutoff,
        )
    });
    Some(MacvlanInfo {
        mode: m.mode(),
        flags,
        macaddr_count: sources.len() as u32,
        macaddrs: sources,
        bc_queue_len: req,
        bc_queue_len_used: used,
        bc_cutoff: cutoff,
        lower_ifindex: m.lower.ifindex(),
        lower_netns: m.lower.netns(),
    })
}

/// The port on `dev`, given the lower device or any macvlan on it; `None` if neither.
pub fn port_info(dev: &NetDevice) -> Option<PortInfo> {
    let port = match dev.driver::<Macvlan>() {
        Some(m) => m.port.clone(),
        None => dev.uppers().iter().find_map(|u| u.driver::<Macvlan>().map(|m| m.port.clone()))?,
    };
    let lower_ifindex = port.lower().map_or(0, |l| l.ifindex());
    let bc_queued = port.bc_queued();
    Some(port.read(|st| PortInfo {
        lower_ifindex,
        passthru: st.passthru,
        macvlans: st.vlans.iter().map(|v| v.id).collect(),
        bc_queue_len_used: st.bc_queue_len_used,
        bc_cutoff: st.bc_cutoff,
        bc_queued,
        bc_filter_bits: st.bc_filter.count(),
        mc_filter_bits: st.mc_filter.count(),
    }))
}

/// `ip link set DEV type macvlan ...` with `cfg` (EOPNOTSUPP if `dev` is not a macvlan).
pub fn changelink(rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &MacvlanConfig) -> Result<()> {
    if dev.driver::<Macvlan>().is_none() {
        return Err(Error::new(Errno::Eopnotsupp));
    }
    MacvlanKind::apply_changelink(rtnl, dev, cfg)
}

/// `ip link set DEV type macvlan macaddr add|del|set|flush ...`: change a source-mode macvlan's
/// list (EINVAL in any other mode).
pub fn macaddr(rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, op: &MacaddrOp) -> Result<()> {
    changelink(rtnl, dev, &MacvlanConfig::macaddr_op(op))
}

/// `bridge fdb add ADDR dev DEV self` (`macvlan_fdb_add`): a unicast entry only on a passthru
/// macvlan (EOPNOTSUPP otherwise), a multicast one on any; `replace` is EOPNOTSUPP; an address
/// already listed is EEXIST (`dev_uc_add_excl`/`dev_mc_add_excl`). The entry goes on the
/// macvlan's address list, which its receive mode syncs to the lower device.
pub fn fdb_add(dev: &Arc<NetDevice>, addr: MacAddr, replace: bool) -> Result<()> {
    let m = dev.driver::<Macvlan>().ok_or(Error::new(Errno::Eopnotsupp))?;
    let passthru = m.port.read(|st| st.passthru);
    if !passthru && !addr.is_multicast() {
        return Err(Error::new(Errno::Eopnotsupp));
    }
    if replace {
        return Err(Error::new(Errno::Eopnotsupp));
    }
    let listed = if addr.is_multicast() { dev.mc_addrs() } else { dev.uc_addrs() };
    if listed.iter().any(|h| h.addr == addr) {
        return Err(Error::new(Errno::Eexist));
    }
    if addr.is_multicast() { dev_mc_add(dev, addr) } else { dev_uc_add(dev, addr) }
}

/// `bridge fdb del ADDR dev DEV self` (`macvlan_fdb_del`): the same rules as [`fdb_add`];
/// ENOENT for an address not listed.
pub fn fdb_del(dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
    let m = dev.driver::<Macvlan>().ok_or(Error::new(Errno::Eopnotsupp))?;
    if !m.port.read(|st| st.passthru) && !addr.is_multicast() {
        return Err(Error::new(Errno::Eopnotsupp));
    }
    if addr.is_multicast() { dev_mc_del(dev, addr) } else { dev_uc_del(dev, addr) }
}

/// The `macvlan` link kind (`macvlan_link_ops`) and its netdev notifier
/// (`macvlan_device_event`).
#[derive(Debug)]
pub struct MacvlanKind {
    reg: Arc<Registry>,
}

fn cfg_of(cfg: &KindConfig) -> Result<MacvlanConfig> {
    let any: &dyn Any = &**cfg;
    match any.downcast_ref::<MacvlanConfig>() {
        Some(c) => Ok(c.clone()),
        None if any.is::<()>() => Ok(MacvlanConfig::default()),
        None => Err(Error::new(Errno::Einval)),
    }
}

/// `dev_validate_mtu` against `macvlan_setup`'s bounds (`rtnl_create_link`, before newlink).
fn check_mtu_range(mtu: u32) -> Result<()> {
    if mtu < ETH_MIN_MTU || mtu > i32::MAX as u32 {
        return Err(Error::with_msg(Errno::Einval, "mtu less than device minimum"));
    }
    if mtu > ETH_MAX_MTU {
        return Err(Error::with_msg(Errno::Einval, "mtu greater than device maximum"));
    }
    Ok(())
}

impl MacvlanKind {
    /// `macvlan_changelink` (after `macvlan_validate`).
    fn apply_changelink(rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &MacvlanConfig) -> Result<()> {
        cfg.validate(None)?;
        let m = dev.driver::<Macvlan>().ok_or(Error::new(Errno::Eopnotsupp))?;
        let id = dev.id();
        let cur = m.mode();
        if let Some(mode) = cfg.mode {
            // Passthru can be neither set nor cleared on a live macvlan.
            if (mode == MacvlanMode::Passthru) != (cur == MacvlanMode::Passthru) {
                return Err(Error::new(Errno::Einval));
            }
            if cur == MacvlanMode::Source && mode != cur {
                m.port.update(|st| st.flush_sources(id));
            }
        }
        if let Some(flags) = cfg.flags {
            let (passthru, old) = m.port.read(|st| (st.passthru, st.vlan(id).map_or(0, |v| v.flags)));
            if passthru && (flags ^ old) & MACVLAN_FLAG_NOPROMISC != 0 {
                // Whether the macvlan is up or not, as the kernel does.
                let inc = if flags & MACVLAN_FLAG_NOPROMISC != 0 { -1 } else { 1 };
                rtnl.dev_set_promiscuity(&m.lower, inc)?;
            }
            m.port.update(|st| {
                if let Some(v) = st.vlan_mut(id) {
                    v.flags = flags;
                }
            });
        }
        if let Some(len) = cfg.bc_queue_len {
            m.port.update(|st| {
                if let Some(v) = st.vlan_mut(id) {
                    v.bc_queue_len_req = len;
                }
                st.update_bc_queue_len();
            });
        }
        if let Some(c) = cfg.bc_cutoff {
            let lower = &m.lower;
            m.port.update(|st| {
                if st.bc_cutoff != c {
                    st.bc_cutoff = c;
                    st.recompute_bc_filter(lower);
                }
            });
        }
        if let Some(mode) = cfg.mode {
            m.set_mode(mode);
            m.port.update(|st| {
                if let Some(v) = st.vlan_mut(id) {
                    v.mode = mode;
                }
            });
        }
        if let Some(mm) = cfg.macaddr_mode {
            if m.mode() != MacvlanMode::Source {
                return Err(Error::new(Errno::Einval));
            }
            m.port.update(|st| st.changelink_sources(id, mm, cfg))?;
        }
        Ok(())
    }

    /// The list removal half of `macvlan_dellink` (sources flushed, off the port's list).
    fn unlist(dev: &Arc<NetDevice>) {
        if let Some(m) = dev.driver::<Macvlan>() {
            let id = dev.id();
            m.port.update(|st| {
                st.flush_sources(id);
                st.vlans.retain(|v| v.id != id);
                st.update_bc_queue_len();
            });
        }
    }

    fn newlink_inner(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &MacvlanConfig) -> Result<Arc<NetDevice>> {
        cfg.validate(req.address)?;
        if let Some(m) = req.mtu {
            check_mtu_range(m)?;
        }
        let link = req.link.ok_or(Error::new(Errno::Einval))?;
        let mut lower = rtnl.dev_by_index(req.netns, link).ok_or(Error::new(Errno::Enodev))?;
        // No macvlan on a macvlan: the new one becomes a sibling on the real device.
        if let Some(m) = lower.driver::<Macvlan>() {
            lower = m.lower.clone();
        }
        if req.mtu.is_some_and(|m| m > lower.mtu()) {
            return Err(Error::new(Errno::Einval));
        }
        let (port, created) = match self.reg.get(lower.id()) {
            Some(p) => (p, false),
            None => (Port::create(rtnl, &self.reg, &lower)?, true),
        };
        let undo = |rtnl: &mut Rtnl<'_>, e: Error| -> Result<Arc<NetDevice>> {
            if created && !port.is_dead() && port.read(|st| st.count) == 0 {
                port.destroy(rtnl);
            }
            Err(e)
        };
        let mode = cfg.mode.unwrap_or(MacvlanMode::Vepa);
        let (passthru, count) = port.read(|st| (st.passthru, st.count));
        if passthru {
            return undo(rtnl, Error::new(Errno::Einval));
        }
        let mut address = req.address;
        if mode == MacvlanMode::Passthru {
            if count > 0 {
                return undo(rtnl, Error::new(Errno::Einval));
            }
            port.update(|st| st.passthru = true);
            // eth_hw_addr_inherit: the lower's address, whatever was asked for.
            address = Some(lower.address());
        }
        if cfg.macaddr_mode.is_some() && mode != MacvlanMode::Source {
            return undo(rtnl, Error::new(Errno::Einval));
        }
        if let Some(mm) = cfg.macaddr_mode {
            // macvlan_changelink_sources' argument checks, before anything is registered.
            if matches!(mm, MacaddrMode::Add | MacaddrMode::Del) && cfg.macaddr.is_none() {
                return undo(rtnl, Error::new(Errno::Einval));
            }
        }
        if let Some(c) = cfg.bc_cutoff {
            port.update(|st| {
                if st.bc_cutoff != c {
                    st.bc_cutoff = c;
                    st.recompute_bc_filter(&lower);
                }
            });
        }
        let init = VlanInit {
            mode,
            flags: cfg.flags.unwrap_or(0),
            bc_queue_len_req: cfg.bc_queue_len.unwrap_or(MACVLAN_DEFAULT_BC_QUEUE_LEN),
            sources: cfg.macaddr_mode.map(|_| cfg.clone()),
        };
        let ops = Macvlan::new(lower.clone(), port.clone(), init);
        let kind = rtnl.kind(KIND);
        let reg = Registration {
            netns: req.dest_netns(),
            name: req.name.clone(),
            ifindex: req.ifindex,
            setup: setup(&lower),
            mtu: req.mtu,
            address,
            txqlen: req.txqlen,
            ops: Box::new(ops),
            link_kind: kind,
        };
        let dev = match rtnl.register(reg) {
            Ok(d) => d,
            Err(e) => return undo(rtnl, e),
        };
        rtnl.set_mtu_bounds(&dev, ETH_MIN_MTU, lower.max_mtu());
        if let Err(e) = rtnl.upper_dev_link(&lower, &dev, false) {
            Self::unlist(&dev);
            rtnl.unregister(&dev)?;
            return Err(e);
        }
        port.update(|st| st.update_bc_queue_len());
        transfer_operstate(rtnl, &lower, &dev);
        rtnl.linkwatch_fire_event(&dev);
        Ok(dev)
    }
}

impl LinkKind for MacvlanKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// iproute2 6.1's `macvlan_parse_opt` (see [`parse`]); the error is EINVAL with the gist of
    /// iproute2's message ([`parse`] gives the exact text).
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        match parse(args) {
            Ok(c) => Ok(Box::new(c)),
            Err(e) => Err(e.to_error()),
        }
    }

    /// `macvlan_validate` + `macvlan_common_newlink`: EINVAL without `link` (ENODEV if it does
    /// not exist); a macvlan lower means its own lower; an MTU above the lower's is EINVAL; the
    /// port is created (EINVAL for a non-Ethernet or loopback lower, EBUSY if the lower already
    /// has an rx handler); a passthru port takes no second macvlan, and passthru needs a port
    /// without macvlans (EINVAL); `macaddr` outside source mode is EINVAL. A MAC clash is not
    /// checked here but at `up`.
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let cfg = cfg_of(cfg)?;
        self.newlink_inner(rtnl, req, &cfg)
    }

    /// `macvlan_dellink`: off the port's list, unlinked from the lower, unregistered (the last
    /// macvlan out destroys the port).
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        Self::unlist(dev);
        if let Some(m) = dev.driver::<Macvlan>() {
            let lower = m.lower.clone();
            rtnl.upper_dev_unlink(&lower, dev);
        }
        rtnl.unregister(dev)
    }

    /// `macvlan_changelink`: passthru can be neither set nor cleared (EINVAL); leaving source
    /// mode flushes the list; toggling NOPROMISC on passthru moves the lower's promiscuity;
    /// `bcqueuelen` and `bc_cutoff` update the port; `macaddr` needs source mode (EINVAL).
    fn changelink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let cfg = cfg_of(cfg)?;
        Self::apply_changelink(rtnl, dev, &cfg)
    }

    /// iproute2 6.1's `macvlan_print_opt` text (each item followed by a space), e.g.
    /// `mode bridge bcqueuelen 1000 usedbcqueuelen 1000 `.
    fn fill_info(&self, dev: &NetDevice, out: &mut dyn fmt::Write) -> fmt::Result {
        let Some(i) = info(dev) else { return Ok(()) };
        config::print_opt(out, i.mode, i.flags, i.bc_queue_len, i.bc_queue_len_used, &i.macaddrs)
    }
}

impl NetdevNotifier for MacvlanKind {
    /// `macvlan_device_event`, for events on a lower device: UP, DOWN and CHANGE copy its
    /// carrier and dormant state to every macvlan (which stay administratively up); CHANGEMTU
    /// lowers the macvlans above the new MTU; CHANGEADDR makes a passthru macvlan follow; a real
    /// UNREGISTER deletes every macvlan (a namespace move changes nothing).
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        if !dev.priv_flags().contains(PrivFlags::MACVLAN_PORT) {
            return Ok(());
        }
        let Some(port) = self.reg.get(dev.id()) else { return Ok(()) };
        let vlans: Vec<Arc<NetDevice>> = port.read(|st| st.vlans.iter().filter_map(|v| v.dev.upgrade()).collect());
        match event {
            NetdevEvent::Up | NetdevEvent::Down | NetdevEvent::Change => {
                for v in &vlans {
                    transfer_operstate(rtnl, dev, v);
                }
            }
            NetdevEvent::ChangeMtu => {
                let mtu = dev.mtu();
                for v in vlans.iter().filter(|v| v.mtu() > mtu) {
                    let _ = rtnl.set_mtu(v, mtu);
                }
            }
            NetdevEvent::ChangeAddr => {
                let (passthru, own) = port.read(|st| (st.passthru, st.addr_change));
                if !passthru {
                    return Ok(());
                }
                if let Some(v) = vlans.first()
                    && let Some(m) = v.driver::<Macvlan>()
                {
                    let addr = dev.address();
                    m.sync_address(v, addr)?;
                    // A change the macvlan asked for is stored by the core when it returns.
                    if !own {
                        rtnl.set_hw_addr(v, addr);
                    }
                }
            }
            NetdevEvent::Unregister if dev.reg_state() == RegState::Unregistering => {
                for v in &vlans {
                    Self::unlist(v);
                    rtnl.upper_dev_unlink(dev, v);
                }
                rtnl.unregister_many(&vlans);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Register the `macvlan` kind and its notifier with `world` (EEXIST if already registered).
pub fn register(world: &World) -> Result<()> {
    let kind = Arc::new(MacvlanKind { reg: Arc::new(Registry::default()) });
    world.register_kind(kind.clone())?;
    world.register_notifier(kind);
    Ok(())
}
