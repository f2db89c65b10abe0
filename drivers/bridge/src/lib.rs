//! # netdev-bridge: the Linux Ethernet bridge (`net/bridge/`)
//!
//! A bridge is a software switch. Devices enslaved to it become its ports: every frame a port
//! receives goes to the bridge's rx handler (`br_handle_frame`) and no longer reaches the port's
//! own stack. The bridge learns which MAC is behind which port (the FDB, with ageing on the
//! virtual clock), forwards known unicast to that port, floods unknown unicast, broadcast and
//! multicast to every forwarding port but the ingress one, and passes frames for itself (and
//! broadcast, multicast) up its own device, which has an IP stack like any Ethernet device.
//! Frames the bridge device transmits are switched the same way. Link-local frames
//! (01:80:c2:00:00:0X) follow `group_fwd_mask`. Ports go through the STP states; with
//! `stp_state 0` a port forwards as soon as it has carrier, with `stp_state 1` the kernel's
//! 802.1D spanning tree runs (BPDUs on the wire, root election, timers), so a loop of bridges
//! converges instead of storming. The bridge MAC follows the lowest port MAC unless set by hand,
//! its MTU the smallest port MTU unless set by hand, and it has carrier while a port forwards.
//!
//! ```text
//! ip link add [NAME] [address MAC] type bridge [forward_delay CS] [hello_time CS] [max_age CS]
//!     [ageing_time CS] [stp_state 0|1] [priority N] [group_fwd_mask MASK] [group_address MAC]
//!     [vlan_filtering 0|1] [vlan_protocol 802.1Q|802.1ad] [vlan_default_pvid VID]
//!     [mcast_snooping 0|1] [mcast_* ...] [nf_call_* ...] [no_linklocal_learn 0|1] [fdb_flush]
//! ip link set DEV master BRIDGE | nomaster
//! ip link set DEV type bridge_slave [state N] [priority N] [cost N] [hairpin|guard|root_block|
//!     learning|flood|mcast_flood|bcast_flood|isolated|locked|... on|off] [group_fwd_mask MASK]
//!     [backup_port DEV|nobackup_port] [fdb_flush]
//! ```
//!
//! [`register`] adds the `bridge` kind and the netdev notifier that makes bridges react to their
//! ports. The rest of the public API is what `bridge fdb|link|vlan`, `ip -d link` and
//! `/sys/class/net/*/bridge`, `brport`, `brif` need: [`info`], [`port_info`], [`ports`],
//! [`fill_slave_info`], [`fdb`], [`fdb_get`], [`fdb_add`], [`fdb_del`], [`set_port`],
//! [`vlan_add`], [`vlan_del`], [`vlans`], [`link_speed`], and the iproute2 parsers
//! [`parse_bridge_args`] / [`parse_port_args`], whose [`ArgError`]s print iproute2's messages.
//!
//! Deliberate deviations from Linux:
//! - No IGMP/MLD snooping: the `mcast_*` options are accepted and shown but every multicast
//!   frame is flooded (what Linux does without a querier), and the bridge sends no IGMP
//!   reports of its own (the golden `bridge-basic` scenario's 54-byte report is absent).
//! - No netfilter, MRP, CFM, MST, switchdev, VLAN tunnels, ARP/ND suppression or user-space STP
//!   (`stp_state 1` always means kernel STP: there is no `/sbin/bridge-stp`).
//! - BPDUs reach the kernel's STP straight from the rx handler instead of through the LLC layer
//!   (same result: the port device's stack never sees them), and are consumed rather than freed.
//!   BPDUs that a configuration call generates (a port coming up) are sent at the next clock
//!   advance, at the same virtual time.
//! - `CONFIG_BRIDGE_VLAN_FILTERING` is a [`KernelConfig`] choice, off by default like the
//!   recorded kernel.
//! - The port path cost comes from the device kind (veth: 10 Gb/s, cost 2; others: cost 100)
//!   since the simulator has no ethtool link settings.
//! - No netlink notifications for FDB changes (`RTM_NEWNEIGH`) or AF_BRIDGE link messages.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod device;
mod fdb;
mod forward;
mod info;
mod input;
mod port;
mod stp;
mod types;
mod vlan;

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use netdev_core::{
    Errno, Error, KindConfig, LinkKind, MacAddr, NetDevice, NetdevEvent, NetdevNotifier, NewLink, RegState,
    Registration, Result, Rtnl, World,
};

pub use config::{ArgError, BridgeConfig, PortConfig, parse_bridge_args, parse_port_args};
pub use device::{Bridge, KIND, KernelConfig, setup};
pub use fdb::FdbState;
pub use info::{BridgeInfo, FdbEntryInfo, FdbNud, PortInfo};
pub use stp::{McastOptions, StpXstats};
pub use types::{BridgeId, NSEC_PER_CS, PortFlags, PortState, StpMode, cs_to_ns, ns_to_cs};
pub use vlan::{VLAN_INFO_PVID, VLAN_INFO_UNTAGGED, VlanGroup};

use device::BridgeCore;
use port::port_bridge;

/// `BR_VERSION`, what `ethtool -i` shows as the bridge driver's version (driver `bridge`,
/// firmware and bus `N/A`).
pub const VERSION: &str = "2.3";

/// The kind name of a bridge port's attributes (`ip link set DEV type bridge_slave ...`).
pub const SLAVE_KIND: &str = "bridge_slave";

/// The `bridge` link kind (`br_link_ops`).
#[derive(Debug, Default)]
pub struct BridgeKind {
    kconfig: KernelConfig,
}

impl BridgeKind {
    /// The kind for a kernel built with `kconfig`.
    pub fn new(kconfig: KernelConfig) -> BridgeKind {
        BridgeKind { kconfig }
    }
}

/// An argument error as a netlink-style error (the CLI prints [`ArgError`] itself).
fn arg_error(e: &ArgError) -> Error {
    let msg = match e {
        ArgError::Invalid { msg, .. } => msg,
        ArgError::Unknown { .. } => "unknown bridge option",
        ArgError::Incomplete => "Command line is not complete",
        ArgError::InvalidLladdr(_) => "invalid lladdr",
        ArgError::OnOff { .. } => "must be \"on\" or \"off\"",
        ArgError::Help => "help",
    };
    Error::with_msg(Errno::Einval, msg)
}

/// The bridge state of `dev`, if it is a bridge.
fn core_of(dev: &NetDevice) -> Option<Arc<BridgeCore>> {
    dev.driver::<Bridge>().map(|b| b.core.clone())
}

impl LinkKind for BridgeKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `bridge_parse_opt` (see [`parse_bridge_args`], which keeps the offending word for the
    /// exact iproute2 message).
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        parse_bridge_args(args).map(|c| Box::new(c) as KindConfig).map_err(|e| arg_error(&e))
    }

    /// `br_dev_newlink`: register, take a user-given MAC as the bridge id (which runs the port
    /// state selection: no port forwards, so the carrier goes off), then `br_changelink`; if
    /// that fails the bridge is deleted again.
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let any: &dyn Any = &**cfg;
        let default = BridgeConfig::default();
        let cfg = match any.downcast_ref::<BridgeConfig>() {
            Some(c) => c,
            None if any.is::<()>() => &default,
            None => return Err(Error::new(Errno::Einval)),
        };
        let core = Arc::new(BridgeCore::new(self.kconfig, rtnl.world().downgrade()));
        let kind = rtnl.kind(KIND);
        let dev =
            rtnl.register(Registration::from_request(req, setup(), Box::new(Bridge { core: core.clone() }), kind))?;
        core.dev.store(Some(dev.clone()));
        let now = rtnl.world().now();
        if self.kconfig.vlan_filtering {
            // br_vlan_bridge_event(NETDEV_REGISTER): the default PVID on the bridge itself.
            let mut c = core.ctl.lock();
            let pvid = c.default_pvid;
            c.vlans.add(pvid, true, true);
            core.publish_vlans(&c);
            let _ = core.fdb.add_local(0, dev.address(), pvid, now);
        }
        if let Some(a) = req.address {
            let mut c = core.ctl.lock();
            let (ports, br_addr) = core.owners(&dev);
            let has_vlan = core.has_vlan_fn();
            let o = fdb::LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
            stp::Stp { core: &core, c: &mut c, now }.change_bridge_id(a, br_addr, &o);
            core.finish_rtnl(rtnl, c);
        }
        if let Err(e) = core.changelink(rtnl, &dev, cfg) {
            core.delete_all_ports(rtnl, &dev);
            rtnl.unregister(&dev)?;
            return Err(e);
        }
        Ok(dev)
    }

    /// `br_dev_delete`: release every port, then unregister.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        if let Some(core) = core_of(dev) {
            core.delete_all_ports(rtnl, dev);
        }
        rtnl.unregister(dev)
    }

    /// `br_changelink` (`ip link set BR type bridge ...`).
    fn changelink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let core = core_of(dev).ok_or(Error::new(Errno::Einval))?;
        let any: &dyn Any = &**cfg;
        match any.downcast_ref::<BridgeConfig>() {
            Some(c) => core.changelink(rtnl, dev, c),
            None if any.is::<()>() => Ok(()),
            None => Err(Error::new(Errno::Einval)),
        }
    }

    /// `br_fill_info` as iproute2 6.1 prints it (see [`BridgeInfo::write_iproute2`]).
    fn fill_info(&self, dev: &NetDevice, out: &mut dyn fmt::Write) -> fmt::Result {
        match info(dev) {
            Some(i) => i.write_iproute2(out),
            None => Ok(()),
        }
    }
}

/// `br_device_event`: bridges react to what happens to their ports.
#[derive(Debug, Default)]
struct BrNotifier;

impl NetdevNotifier for BrNotifier {
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        if let Some(core) = core_of(dev) {
            // A bridge unregistered without its dellink (it always has one here) must not leave
            // ports pointing at it.
            if matches!(event, NetdevEvent::Unregister) && dev.reg_state() != RegState::Registered {
                core.delete_all_ports(rtnl, dev);
            }
            return Ok(());
        }
        match port_bridge(dev) {
            Some((br, core)) => core.port_event(rtnl, &br, event, dev),
            None => Ok(()),
        }
    }
}

/// Register the `bridge` kind (a kernel without `CONFIG_BRIDGE_VLAN_FILTERING`, like the one
/// the golden transcripts come from) and the bridge's netdev notifier with `world`.
pub fn register(world: &World) -> Result<()> {
    register_with(world, KernelConfig::default())
}

/// [`register`] for a kernel built with `kconfig`.
pub fn register_with(world: &World, kconfig: KernelConfig) -> Result<()> {
    world.register_kind(Arc::new(BridgeKind::new(kconfig)))?;
    world.register_notifier(Arc::new(BrNotifier));
    Ok(())
}

/// True if `dev` is a bridge (`netif_is_bridge_master`).
pub fn is_bridge(dev: &NetDevice) -> bool {
    dev.driver::<Bridge>().is_some()
}

/// The bridge `dev` is a port of (`netif_is_bridge_port` + its master).
pub fn master_of(dev: &NetDevice) -> Option<Arc<NetDevice>> {
    port_bridge(dev).map(|(br, _)| br)
}

/// A bridge's attributes (`ip -d link show BR`, `/sys/class/net/BR/bridge/*`).
pub fn info(br: &NetDevice) -> Option<BridgeInfo> {
    core_of(br).map(|c| c.info())
}

/// A port's attributes (`bridge -d link show dev P`, `ip -d link show P`'s `bridge_slave` line,
/// `/sys/class/net/P/brport/*`).
pub fn port_info(dev: &NetDevice) -> Option<PortInfo> {
    let (_, core) = port_bridge(dev)?;
    core.port_infos().into_iter().find(|p| p.ifindex == dev.ifindex())
}

/// Every port of a bridge, newest first (the kernel's port list order).
pub fn ports(br: &NetDevice) -> Vec<PortInfo> {
    core_of(br).map(|c| c.port_infos()).unwrap_or_default()
}

/// The `bridge_slave` attributes of port `dev` as iproute2 6.1 prints them after
/// `bridge_slave ` (nothing if `dev` is not a port).
pub fn fill_slave_info(dev: &NetDevice, rtnl: &Rtnl<'_>, out: &mut dyn fmt::Write) -> fmt::Result {
    let Some(p) = port_info(dev) else { return Ok(()) };
    let backup = p.backup_port.and_then(|i| rtnl.dev_by_index(dev.netns(), i)).map(|d| d.name());
    p.write_iproute2(backup.as_deref(), out)
}

/// The FDB of a bridge as `bridge fdb show` dumps it: newest first.
pub fn fdb(br: &NetDevice) -> Vec<FdbEntryInfo> {
    core_of(br).map(|c| c.fdb_infos()).unwrap_or_default()
}

/// `br_fdb_get` (`bridge fdb get MAC br BR [vlan VID]`): ENOENT ("Fdb entry not found") if
/// there is no entry; EINVAL if `br` is not a bridge.
pub fn fdb_get(br: &NetDevice, mac: MacAddr, vid: u16) -> Result<FdbEntryInfo> {
    let core = core_of(br).ok_or(Error::new(Errno::Einval))?;
    core.fdb_infos()
        .into_iter()
        .find(|e| e.mac == mac && e.vid == vid)
        .ok_or(Error::with_msg(Errno::Enoent, "Fdb entry not found"))
}

/// `br_get_link_ksettings`: the highest speed (Mb/s) among the running, oper-up ports that
/// report one (veth: 10000); `None` is `SPEED_UNKNOWN`.
pub fn link_speed(br: &NetDevice) -> Option<u32> {
    let core = core_of(br)?;
    let ports = core.ports.load();
    ports
        .list
        .iter()
        .filter_map(|p| p.dev.load_full())
        .filter(|d| port::is_live(d) && d.kind() == "veth")
        .map(|_| 10_000)
        .max()
}

/// A `bridge fdb add|replace|append MAC dev DEV master ...` request (`RTM_NEWNEIGH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdbRequest {
    /// `permanent`, `static` or `dynamic`.
    pub state: FdbState,
    /// `sticky` (`NTF_STICKY`).
    pub sticky: bool,
    /// `use` (`NTF_USE`): behave like a frame from the address (ports only).
    pub use_: bool,
    /// `NLM_F_CREATE`.
    pub create: bool,
    /// `NLM_F_EXCL` (`add`; `replace` leaves it out).
    pub excl: bool,
}

impl Default for FdbRequest {
    /// `bridge fdb add MAC dev DEV master static`.
    fn default() -> Self {
        FdbRequest { state: FdbState::Static, sticky: false, use_: false, create: true, excl: true }
    }
}

/// Resolve `dev` (a bridge or one of its ports) for an FDB request: the bridge, the port
/// number (0: the bridge) and the VLAN group that applies.
fn fdb_target(dev: &NetDevice) -> Result<(Arc<BridgeCore>, u16, VlanGroup, bool)> {
    if let Some(core) = core_of(dev) {
        let vg = VlanGroup::clone(&core.vlans.load());
        return Ok((core, 0, vg, true));
    }
    let (_, core) = port_bridge(dev).ok_or(Error::new(Errno::Einval))?;
    let p = core.port_of(dev).ok_or(Error::new(Errno::Einval))?;
    let learns = matches!(p.state(), PortState::Learning | PortState::Forwarding);
    let vg = VlanGroup::clone(&p.vlans.load());
    Ok((core, p.port_no, vg, learns))
}

/// `br_fdb_add`: EINVAL for a zero MAC, a device that is neither the bridge nor a port, or a VID
/// not configured on it; without a VID the entry goes into VID 0 and every configured VLAN. Then
/// `fdb_add_entry`'s checks: EPERM for a dynamic entry on a port that does not learn, EINVAL for
/// a non-permanent entry on the bridge or a sticky permanent one, ENOENT without `create`,
/// EEXIST with `excl`.
pub fn fdb_add(rtnl: &mut Rtnl<'_>, dev: &NetDevice, mac: MacAddr, vid: u16, req: &FdbRequest) -> Result<()> {
    if mac.is_zero() {
        return Err(Error::new(Errno::Einval));
    }
    let (core, port, vg, learns) = fdb_target(dev)?;
    if vid != 0 && !vg.has(vid) {
        return Err(Error::new(Errno::Einval));
    }
    let now = rtnl.world().now();
    let one = |vid: u16| -> Result<()> {
        if req.use_ {
            if port == 0 {
                return Err(Error::new(Errno::Einval));
            }
            if learns {
                core.fdb.update(
                    core.hold_time.load(std::sync::atomic::Ordering::Relaxed),
                    now,
                    port,
                    mac,
                    vid,
                    fdb::FDB_ADDED_BY_USER,
                );
            }
            return Ok(());
        }
        core.fdb.add_entry(port, learns, mac, vid, req.state, req.sticky, req.create, req.excl, now)
    };
    if vid != 0 {
        return one(vid);
    }
    one(0)?;
    for v in vg.used_vids() {
        one(v)?;
    }
    Ok(())
}

/// `br_fdb_delete`: EINVAL if `dev` is neither the bridge nor a port; ENOENT if no entry for
/// `mac` on `dev` went (without a VID, VID 0 and every configured VLAN are tried).
pub fn fdb_del(_rtnl: &mut Rtnl<'_>, dev: &NetDevice, mac: MacAddr, vid: u16) -> Result<()> {
    let (core, port, vg, _) = fdb_target(dev)?;
    if vid != 0 {
        return core.fdb.delete_user(port, mac, vid);
    }
    let mut ok = core.fdb.delete_user(port, mac, 0).is_ok();
    for v in vg.used_vids() {
        ok |= core.fdb.delete_user(port, mac, v).is_ok();
    }
    if ok { Ok(()) } else { Err(Error::new(Errno::Enoent)) }
}

/// `br_setport` on port `dev` (`ip link set DEV type bridge_slave ...`, `bridge link set dev
/// DEV ...`). EOPNOTSUPP if `dev` is not a bridge port.
pub fn set_port(rtnl: &mut Rtnl<'_>, dev: &NetDevice, cfg: &PortConfig) -> Result<()> {
    let (_, core) = port_bridge(dev).ok_or(Error::new(Errno::Eopnotsupp))?;
    core.set_port(rtnl, dev, cfg)
}

/// The VLANs of a bridge (its own, `self`) or of a port (`bridge vlan show`). `None` if `dev`
/// is neither.
pub fn vlans(dev: &NetDevice) -> Option<VlanGroup> {
    if let Some(core) = core_of(dev) {
        return Some(VlanGroup::clone(&core.vlans.load()));
    }
    let (_, core) = port_bridge(dev)?;
    core.port_of(dev).map(|p| VlanGroup::clone(&p.vlans.load()))
}

/// `bridge vlan add vid VID dev DEV [pvid] [untagged] [self]` (`nbp_vlan_add` on a port,
/// `br_vlan_add` on the bridge itself): EOPNOTSUPP without `CONFIG_BRIDGE_VLAN_FILTERING`,
/// EINVAL ("Vlan id is invalid") outside 1..4094 or for a device that is neither; an existing
/// VLAN has its flags updated. A new VLAN gets a local FDB entry for the device's MAC.
pub fn vlan_add(rtnl: &mut Rtnl<'_>, dev: &NetDevice, vid: u16, pvid: bool, untagged: bool) -> Result<()> {
    let (core, port) = vlan_target(dev)?;
    if vid == 0 || vid > vlan::VLAN_VID_MAX {
        return Err(Error::with_msg(Errno::Einval, "Vlan id is invalid"));
    }
    let now = rtnl.world().now();
    match port {
        None => {
            let mut c = core.ctl.lock();
            let new = !c.vlans.has(vid);
            c.vlans.add(vid, pvid, untagged);
            core.publish_vlans(&c);
            drop(c);
            if new {
                let _ = core.fdb.add_local(0, dev.address(), vid, now);
            }
        }
        Some(p) => {
            let mut vg = VlanGroup::clone(&p.vlans.load());
            let new = !vg.has(vid);
            vg.add(vid, pvid, untagged);
            p.vlans.store(Arc::new(vg));
            if new {
                let _ = core.fdb.add_local(p.port_no, dev.address(), vid, now);
            }
        }
    }
    Ok(())
}

/// `bridge vlan del vid VID dev DEV [self]`: ENOENT if the VLAN is not there; its local entry
/// and the device's learned entries in the VLAN go.
pub fn vlan_del(_rtnl: &mut Rtnl<'_>, dev: &NetDevice, vid: u16) -> Result<()> {
    let (core, port) = vlan_target(dev)?;
    let br = core.dev.load_full().ok_or(Error::new(Errno::Enodev))?;
    let no = port.as_ref().map_or(0, |p| p.port_no);
    match &port {
        None => {
            let mut c = core.ctl.lock();
            if !c.vlans.del(vid) {
                return Err(Error::new(Errno::Enoent));
            }
            core.publish_vlans(&c);
        }
        Some(p) => {
            let mut vg = VlanGroup::clone(&p.vlans.load());
            if !vg.del(vid) {
                return Err(Error::new(Errno::Enoent));
            }
            p.vlans.store(Arc::new(vg));
        }
    }
    let (ports, br_addr) = core.owners(&br);
    let has_vlan = core.has_vlan_fn();
    let o = fdb::LocalOwners { ports: &ports, has_vlan: &has_vlan, br_addr };
    core.fdb.find_delete_local(no, dev.address(), vid, &o);
    core.fdb.delete_by_port(no, vid, false, &o);
    Ok(())
}

/// The bridge and (for a port) the port a VLAN request is for; EOPNOTSUPP without VLAN support.
fn vlan_target(dev: &NetDevice) -> Result<(Arc<BridgeCore>, Option<Arc<port::Port>>)> {
    let (core, port) = match core_of(dev) {
        Some(c) => (c, None),
        None => {
            let (_, core) = port_bridge(dev).ok_or(Error::new(Errno::Einval))?;
            let p = core.port_of(dev).ok_or(Error::new(Errno::Einval))?;
            (core, Some(p))
        }
    };
    if !core.kconfig.vlan_filtering {
        return Err(Error::new(Errno::Eopnotsupp));
    }
    Ok((core, port))
}
