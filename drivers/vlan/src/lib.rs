//! # netdev-vlan: 802.1Q / 802.1ad VLAN devices (`net/8021q/`)
//!
//! A vlan device sits on a real (lower) device and stands for one VLAN of it: what it transmits
//! leaves through the real device tagged with its `(protocol, VID)` (`vlan_dev_hard_start_xmit`
//! puts the tag out of band; the core writes it into the packet for a real device that cannot
//! insert tags, as `validate_xmit_vlan` does), and frames the real device receives with that tag
//! are untagged and received again on the vlan device (`vlan_do_receive`, which the core calls
//! before the real device's rx handler, so a vlan on a bridge port or macvlan lower takes its
//! VID first). Frames with a VID no vlan takes go on untouched through the rx handler and then,
//! with a VID other than 0, to the protocols as `PACKET_OTHERHOST`. The vlan follows its real
//! device: up and down (unless `loose_binding`), carrier, MTU (lowered, never raised), a stolen
//! MAC address, and deletion; a namespace move of the real device leaves it in place. Vlans
//! stack (QinQ: 802.1ad outside, 802.1Q inside) up to the core's nesting bound.
//!
//! ```text
//! ip link add link DEV [name NAME] type vlan id VLANID [protocol 802.1Q|802.1ad]
//!         [reorder_hdr on|off] [gvrp on|off] [mvrp on|off] [loose_binding on|off]
//!         [bridge_binding on|off] [ingress-qos-map FROM:TO ...] [egress-qos-map FROM:TO ...]
//! ip link set DEV type vlan [reorder_hdr ...] [loose_binding ...] [ingress-qos-map ...] ...
//! ```
//!
//! Deliberate deviations from Linux:
//! - GVRP/MVRP are accepted and reported but no registration protocol runs.
//! - `bridge_binding` keeps the carrier off (no bridge drives it here).
//! - Unicast/multicast address lists and PROMISC/ALLMULTI are not pushed to the real device
//!   (the core has no address lists); features are the vlan's own set, not intersected with the
//!   real device's `vlan_features`.
//! - With `reorder_hdr off`, frames the IP stack sends get their tag out of band like with
//!   `reorder_hdr on` (the stack builds Ethernet headers itself, not through `header_ops`): the
//!   wire bytes are the same, but the vlan device's own taps see them untagged. On receive the
//!   tag is put back into the packet as Linux does.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod args;
mod group;

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use netdev_core::{
    ARPHRD_ETHER, AddrAssign, Carrier, Cpu, DevPtr, DeviceSetup, ETH_MAX_MTU, ETH_P_8021Q, Errno, Error, Features,
    IfFlags, KindConfig, LinkKind, MacAddr, NetDevice, NetDeviceOps, NetnsId, NewLink, PrivFlags, Registration, Result,
    Rtnl, Skb, Stat, VLAN_HLEN, VlanTag, World, Xmit, vlan_hw_offload_capable,
};

pub use args::{
    QosMapping, VLAN_FLAG_BRIDGE_BINDING, VLAN_FLAG_GVRP, VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_MVRP,
    VLAN_FLAG_REORDER_HDR, VLAN_FLAGS_ALL, VLAN_VID_MASK, VlanConfig, parse as parse_args, proto_name,
};
use group::{Registry, transfer_operstate, unregister_vlan_dev};

/// The link kind name.
pub const KIND: &str = "vlan";
/// `ethtool -i` driver name (`vlan_fullname`).
pub const DRV_NAME: &str = "802.1Q VLAN Support";
/// `ethtool -i` version (`vlan_version`).
pub const DRV_VERSION: &str = "1.8";

fn einval(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

/// The egress priority map (`egress_priority_map`): 16 buckets by `priority & 0xf`, each newest
/// first, of `(skb priority, vlan_qos)` with the PCP already shifted into the TCI's top bits.
#[derive(Clone, Debug, Default)]
struct Egress {
    buckets: [Vec<(u32, u16)>; 16],
}

/// What a vlan device's data path reads, shared with its real device's receive hook.
pub(crate) struct VlanShared {
    pub(crate) proto: u16,
    pub(crate) vid: u16,
    flags: AtomicU32,
    ingress: [AtomicU32; 8],
    egress: ArcSwap<Egress>,
    /// Mappings with a non-zero PCP (`nr_egress_mappings`): the data path skips the map at 0.
    egress_n: AtomicU32,
    /// The vlan device itself, for the receive hook to pin.
    pub(crate) me: DevPtr,
    /// `vlan->real_dev_addr`: the real device's MAC when last synced.
    real_dev_addr: AtomicU64,
}

impl fmt::Debug for VlanShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VlanShared").field("proto", &self.proto).field("vid", &self.vid).finish_non_exhaustive()
    }
}

impl VlanShared {
    fn new(proto: u16, vid: u16, flags: u32) -> VlanShared {
        VlanShared {
            proto,
            vid,
            flags: AtomicU32::new(flags),
            ingress: Default::default(),
            egress: ArcSwap::from_pointee(Egress::default()),
            egress_n: AtomicU32::new(0),
            me: DevPtr::new(),
            real_dev_addr: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `vlan_get_ingress_priority`.
    #[inline]
    pub(crate) fn ingress_priority(&self, tci: u16) -> u32 {
        self.ingress[usize::from((tci >> 13) & 7)].load(Ordering::Relaxed)
    }

    /// `vlan_dev_get_egress_qos_mask`.
    #[inline]
    fn egress_qos(&self, priority: u32) -> u16 {
        if self.egress_n.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let e = self.egress.load();
        e.buckets[(priority & 0xf) as usize].iter().find(|m| m.0 == priority).map_or(0, |m| m.1)
    }

    /// `vlan_dev_change_flags`: EINVAL for a mask with unknown bits.
    fn change_flags(&self, flags: u32, mask: u32) -> Result<()> {
        if mask & !VLAN_FLAGS_ALL != 0 {
            return Err(Error::new(Errno::Einval));
        }
        let old = self.flags();
        self.flags.store((old & !mask) | (flags & mask), Ordering::Relaxed);
        Ok(())
    }

    /// `vlan_dev_set_ingress_priority`: PCP `from` gives skb priority `to`.
    fn set_ingress(&self, m: QosMapping) {
        self.ingress[(m.from & 7) as usize].store(m.to, Ordering::Relaxed);
    }

    /// `vlan_dev_set_egress_priority`: skb priority `from` gives PCP `to`.
    fn set_egress(&self, m: QosMapping) {
        let qos = ((m.to << 13) & 0xe000) as u16;
        let mut e = Egress::clone(&self.egress.load());
        let bucket = &mut e.buckets[(m.from & 0xf) as usize];
        match bucket.iter_mut().find(|x| x.0 == m.from) {
            Some(x) => x.1 = qos,
            None => bucket.insert(0, (m.from, qos)),
        }
        let n = e.buckets.iter().flatten().filter(|x| x.1 != 0).count();
        self.egress.store(Arc::new(e));
        self.egress_n.store(n as u32, Ordering::Relaxed);
    }

    /// The ingress map as `vlan_fill_info` sends it: `from` = PCP, non-zero entries.
    fn ingress_list(&self) -> Vec<QosMapping> {
        (0..8u32)
            .filter_map(|i| {
                let to = self.ingress[i as usize].load(Ordering::Relaxed);
                (to != 0).then_some(QosMapping { from: i, to })
            })
            .collect()
    }

    /// The egress map as `vlan_fill_info` sends it: bucket order, newest first, PCP 0 skipped.
    fn egress_list(&self) -> Vec<QosMapping> {
        let e = self.egress.load();
        e.buckets
            .iter()
            .flatten()
            .filter(|x| x.1 != 0)
            .map(|x| QosMapping { from: x.0, to: u32::from(x.1 >> 13) & 7 })
            .collect()
    }

    fn apply_maps(&self, cfg: &VlanConfig) {
        for m in &cfg.ingress_qos {
            self.set_ingress(*m);
        }
        for m in &cfg.egress_qos {
            self.set_egress(*m);
        }
    }

    /// `vlan_dev_inherit_address`: a stolen address follows the real device's.
    fn inherit_address(&self, rtnl: &mut Rtnl<'_>, real: &NetDevice, dev: &Arc<NetDevice>) -> bool {
        if dev.addr_assign_type() != AddrAssign::Stolen {
            return false;
        }
        rtnl.set_hw_addr(dev, real.address());
        true
    }

    /// `vlan.c:vlan_sync_address` (the unicast-list part is not modelled).
    pub(crate) fn sync_address(&self, rtnl: &mut Rtnl<'_>, real: &NetDevice, dev: &Arc<NetDevice>) {
        let now = real.address();
        if self.real_dev_addr.load(Ordering::Relaxed) == now.to_u64() {
            return;
        }
        self.inherit_address(rtnl, real, dev);
        self.real_dev_addr.store(now.to_u64(), Ordering::Relaxed);
    }
}

/// A vlan device's private state (`struct vlan_dev_priv`).
pub struct Vlan {
    /// The real device; fixed for the vlan's life (the kernel holds a reference too).
    pub(crate) real_dev: Arc<NetDevice>,
    pub(crate) shared: Arc<VlanShared>,
    reg: Arc<Registry>,
}

impl fmt::Debug for Vlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vlan")
            .field("real_dev", &self.real_dev.name())
            .field("proto", &self.shared.proto)
            .field("vid", &self.shared.vid)
            .finish()
    }
}

/// What `ip -d link` and `/proc/net/vlan` report for a vlan device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VlanInfo {
    /// `IFLA_VLAN_PROTOCOL` (host order).
    pub protocol: u16,
    /// `IFLA_VLAN_ID`.
    pub id: u16,
    /// `IFLA_VLAN_FLAGS` (`VLAN_FLAG_*`).
    pub flags: u32,
    /// `IFLA_VLAN_INGRESS_QOS`: PCP → skb priority, non-zero entries.
    pub ingress_qos: Vec<QosMapping>,
    /// `IFLA_VLAN_EGRESS_QOS`: skb priority → PCP, in the kernel's order.
    pub egress_qos: Vec<QosMapping>,
    /// The real device's ifindex (`IFLA_LINK`).
    pub real_ifindex: u32,
    /// The real device's namespace (`get_link_net`).
    pub real_netns: NetnsId,
}

impl Vlan {
    /// The vlan attributes of `dev`, if it is a vlan device.
    pub fn info(dev: &NetDevice) -> Option<VlanInfo> {
        let v = dev.driver::<Vlan>()?;
        Some(VlanInfo {
            protocol: v.shared.proto,
            id: v.shared.vid,
            flags: v.shared.flags(),
            ingress_qos: v.shared.ingress_list(),
            egress_qos: v.shared.egress_list(),
            real_ifindex: v.real_dev.ifindex(),
            real_netns: v.real_dev.netns(),
        })
    }

    /// The real device under `dev`, if it is a vlan device (`vlan_dev_real_dev` one level down).
    pub fn real_dev_of(dev: &NetDevice) -> Option<Arc<NetDevice>> {
        Some(dev.driver::<Vlan>()?.real_dev.clone())
    }
}

/// `vlan_setup` + `vlan_dev_init` for a vlan of `proto` with `flags` on `real`.
pub fn setup(real: &NetDevice, proto: u16, flags: u32) -> DeviceSetup {
    let mut s = DeviceSetup::ether(KIND);
    // netif_keep_dst, then the real device's XMIT_DST_RELEASE (vlan_newlink).
    s.priv_flags = (s.priv_flags
        & !(PrivFlags::TX_SKB_SHARING | PrivFlags::XMIT_DST_RELEASE | PrivFlags::XMIT_DST_RELEASE_PERM))
        | PrivFlags::VLAN_8021Q
        | PrivFlags::NO_QUEUE
        | PrivFlags::UNICAST_FLT
        | (real.priv_flags() & PrivFlags::XMIT_DST_RELEASE);
    s.min_mtu = 0;
    s.max_mtu = ETH_MAX_MTU;
    s.flags =
        real.raw_flags() & !(IfFlags::UP | IfFlags::PROMISC | IfFlags::ALLMULTI | IfFlags::MASTER | IfFlags::SLAVE);
    s.carrier = if real.has_carrier() && flags & VLAN_FLAG_BRIDGE_BINDING == 0 { Carrier::On } else { Carrier::Off };
    let f = Features::HW_CSUM
        | Features::SG
        | Features::FRAGLIST
        | Features::GSO_SOFTWARE
        | Features::GSO_ENCAP_ALL
        | Features::HIGHDMA
        | Features::SCTP_CRC;
    s.features = f;
    s.hw_features = f;
    s.addr = Some(real.address());
    s.addr_assign = AddrAssign::Stolen;
    s.broadcast = real.broadcast();
    let tag = if vlan_hw_offload_capable(real.features(), proto) { 0 } else { VLAN_HLEN as u16 };
    s.hard_header_len = real.hard_header_len() + tag;
    s
}

impl NetDeviceOps for Vlan {
    /// `vlan_dev_hard_start_xmit`: tag (unless `reorder_hdr` is off and the frame already carries
    /// this vlan's TPID), hand to the real device, and count: `NET_XMIT_SUCCESS` or `NET_XMIT_CN`
    /// is a transmitted packet of the length at entry (without the tag), anything else a
    /// `tx_dropped`.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        let sh = &*self.shared;
        let outer = skb.data().get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]));
        if sh.flags() & VLAN_FLAG_REORDER_HDR != 0 || outer != Some(sh.proto) {
            let tci = sh.vid | sh.egress_qos(skb.meta.priority);
            skb.meta.vlan = Some(VlanTag { proto: sh.proto, tci });
        }
        let len = skb.len();
        let r = cpu.dev_queue_xmit(&self.real_dev, skb);
        match r {
            Xmit::Ok | Xmit::Congested => cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len),
            Xmit::Drop | Xmit::NetDown => cpu.stat_add(dev, Stat::TxDropped, 1),
        }
        r
    }

    /// `vlan_dev_open`: ENETDOWN while the real device is down (unless `loose_binding`); a
    /// stolen address catches up with the real device's; carrier on if the real device has it.
    fn open(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let sh = &self.shared;
        let real = &self.real_dev;
        if !real.is_up() && sh.flags() & VLAN_FLAG_LOOSE_BINDING == 0 {
            return Err(Error::new(Errno::Enetdown));
        }
        if dev.address() != real.address() {
            sh.inherit_address(rtnl, real, dev);
        }
        sh.real_dev_addr.store(real.address().to_u64(), Ordering::Relaxed);
        if real.has_carrier() && sh.flags() & VLAN_FLAG_BRIDGE_BINDING == 0 {
            rtnl.carrier_on(dev);
        }
        Ok(())
    }

    /// `vlan_dev_stop`: carrier off.
    fn stop(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
        if self.shared.flags() & VLAN_FLAG_BRIDGE_BINDING == 0 {
            rtnl.carrier_off(dev);
        }
    }

    /// Out of the real device's group, however the vlan is unregistered.
    fn uninit(&self, rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        self.reg.remove(rtnl, &self.real_dev, &self.shared);
        self.shared.me.store(None);
    }

    /// `vlan_dev_change_mtu`: ERANGE above the real device's MTU.
    fn change_mtu(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, mtu: u32) -> Result<()> {
        if mtu > self.real_dev.mtu() {
            return Err(Error::new(Errno::Erange));
        }
        Ok(())
    }

    /// `vlan_dev_set_mac_address`: any valid unicast address, also while up.
    fn set_mac_address(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        if !addr.is_valid() {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        Ok(())
    }

    /// `vlan_dev_get_iflink`: the real device (`v@eth0`).
    fn iflink(&self, _dev: &NetDevice) -> u32 {
        self.real_dev.ifindex()
    }

    /// `vlan_get_link_net`.
    fn link_netns(&self, _dev: &NetDevice) -> NetnsId {
        self.real_dev.netns()
    }
}

/// The `vlan` link kind (`vlan_link_ops`) and the vlan groups of every real device.
#[derive(Debug, Default)]
pub struct VlanKind {
    reg: Arc<Registry>,
}

impl VlanKind {
    /// The vlan devices on `real`, in `(protocol, VID)` order.
    pub fn vlans_on(&self, real: &NetDevice) -> Vec<Arc<NetDevice>> {
        self.reg.group(real).map(|g| g.devices()).unwrap_or_default()
    }
}

/// The kind's config: `None` for no `IFLA_INFO_DATA` (no arguments after `type vlan`).
fn config_of(cfg: &KindConfig) -> Result<Option<&VlanConfig>> {
    let any: &dyn Any = &**cfg;
    if let Some(c) = any.downcast_ref::<VlanConfig>() {
        Ok(Some(c))
    } else if any.is::<()>() {
        Ok(None)
    } else {
        Err(Error::new(Errno::Einval))
    }
}

impl LinkKind for VlanKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// iproute2 `vlan_parse_opt`; no arguments at all give no `IFLA_INFO_DATA`.
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        if args.is_empty() {
            return Ok(Box::new(()));
        }
        Ok(Box::new(args::parse(args)?))
    }

    /// `vlan_validate`, `vlan_newlink`, `vlan_check_real_dev`, `register_vlan_dev`, in the
    /// kernel's order of checks.
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        if req.address.is_some_and(|a| !a.is_valid()) {
            return Err(Error::with_msg(Errno::Eaddrnotavail, "8021q: Invalid link address"));
        }
        let cfg = config_of(cfg)?.ok_or(einval("8021q: VLAN properties not specified"))?;
        cfg.validate()?;
        let vid = cfg.id.ok_or(einval("8021q: VLAN id not specified"))?;
        let link = req.link.ok_or(einval("8021q: link not specified"))?;
        let real =
            rtnl.dev_by_index(req.netns, link).ok_or(Error::with_msg(Errno::Enodev, "8021q: link does not exist"))?;
        let proto = cfg.protocol.unwrap_or(ETH_P_8021Q);
        // vlan_check_real_dev
        if real.features().contains(Features::VLAN_CHALLENGED) || real.dev_type() != ARPHRD_ETHER {
            return Err(Error::with_msg(Errno::Eopnotsupp, "8021q: VLANs not supported on device"));
        }
        if self.reg.group(&real).is_some_and(|g| g.find(proto, vid).is_some()) {
            return Err(Error::with_msg(Errno::Eexist, "8021q: VLAN device already exists"));
        }
        // The generic IFLA_MTU check (rtnl_create_link) comes first, then the real device's.
        let mtu = match req.mtu {
            None => real.mtu(),
            Some(m) if m > ETH_MAX_MTU => return Err(einval("mtu greater than device maximum")),
            Some(m) if m > real.mtu() => return Err(Error::new(Errno::Einval)),
            Some(m) => m,
        };
        // vlan_changelink before registration: flags and QoS maps.
        let shared = Arc::new(VlanShared::new(proto, vid, VLAN_FLAG_REORDER_HDR));
        if let Some((f, m)) = cfg.flags {
            shared.change_flags(f, m)?;
        }
        shared.apply_maps(cfg);
        let ops = Vlan { real_dev: real.clone(), shared: shared.clone(), reg: self.reg.clone() };
        let mut reg =
            Registration::from_request(req, setup(&real, proto, shared.flags()), Box::new(ops), rtnl.kind(KIND));
        reg.mtu = Some(mtu);
        let dev = rtnl.register(reg)?;
        shared.me.store(Some(dev.clone()));
        shared.real_dev_addr.store(real.address().to_u64(), Ordering::Relaxed);
        if let Err(e) = rtnl.upper_dev_link(&real, &dev, false) {
            rtnl.unregister(&dev)?;
            return Err(e);
        }
        transfer_operstate(rtnl, &real, &dev);
        rtnl.linkwatch_fire_event(&dev);
        self.reg.add(rtnl, &real, shared);
        Ok(dev)
    }

    /// `unregister_vlan_dev`: only this vlan goes.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        unregister_vlan_dev(rtnl, &self.reg, dev);
        Ok(())
    }

    /// `vlan_validate` + `vlan_changelink`: flags and QoS maps (an ID or protocol given here is
    /// checked but ignored, as in Linux).
    fn changelink(&self, _rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let Some(cfg) = config_of(cfg)? else { return Ok(()) };
        cfg.validate()?;
        let v = dev.driver::<Vlan>().ok_or(Error::new(Errno::Eopnotsupp))?;
        if let Some((f, m)) = cfg.flags {
            v.shared.change_flags(f, m)?;
        }
        v.shared.apply_maps(cfg);
        Ok(())
    }

    /// `vlan_fill_info` as iproute2 6.1 prints it: `protocol 802.1Q id 10 <REORDER_HDR>`.
    fn fill_info(&self, dev: &NetDevice, out: &mut dyn fmt::Write) -> fmt::Result {
        let Some(i) = Vlan::info(dev) else { return Ok(()) };
        args::print_opt(out, i.protocol, i.id, i.flags, &i.ingress_qos, &i.egress_qos)
    }
}

/// Register the `vlan` kind with `world`, and the notifier that makes vlans follow their real
/// devices.
pub fn register(world: &World) -> Result<()> {
    let kind = Arc::new(VlanKind::default());
    world.register_kind(kind.clone())?;
    world.register_notifier(Arc::new(group::Notifier(kind.reg.clone())));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_maps_follow_the_kernel_structures() {
        let s = VlanShared::new(ETH_P_8021Q, 5, VLAN_FLAG_REORDER_HDR);
        s.set_ingress(QosMapping { from: 9, to: 77 }); // PCP masked to 1
        assert_eq!(s.ingress_priority(1 << 13), 77);
        assert_eq!(s.ingress_list(), [QosMapping { from: 1, to: 77 }]);
        s.set_egress(QosMapping { from: 1, to: 3 });
        s.set_egress(QosMapping { from: 17, to: 5 }); // same bucket, goes first
        s.set_egress(QosMapping { from: 2, to: 0 }); // kept, but not reported
        assert_eq!(s.egress_qos(1), 3 << 13);
        assert_eq!(s.egress_qos(17), 5 << 13);
        assert_eq!(s.egress_qos(33), 0);
        assert_eq!(s.egress_list(), [QosMapping { from: 17, to: 5 }, QosMapping { from: 1, to: 3 }]);
        s.set_egress(QosMapping { from: 17, to: 0 });
        assert_eq!(s.egress_list(), [QosMapping { from: 1, to: 3 }]);
        assert_eq!(s.change_flags(0, 0x20).unwrap_err(), Errno::Einval);
        s.change_flags(VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_LOOSE_BINDING | VLAN_FLAG_REORDER_HDR).unwrap();
        assert_eq!(s.flags(), VLAN_FLAG_LOOSE_BINDING);
    }
}
