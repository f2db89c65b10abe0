//! # netdev-venet: OpenVZ's venet (`drivers/net/venetdev.c`) and a vzctl model
//!
//! venet is the layer-3 device OpenVZ gives every container (VE). Each VE, the host included
//! (VE0), has its own `venet0` in its top network namespace; there is no pairing between them.
//! A global table maps each IP address to the VE that owns it, and `venet_xmit` switches on it:
//! a packet leaving a container must come from one of that container's addresses (else it is
//! dropped: unknown source `-ESRCH`, another container's `-EACCES` with "Dropped packet, source
//! wrong") and always goes to the host's venet0, whatever its destination; a packet leaving the
//! host goes to the venet0 of the container owning its destination, or is dropped. Multicast
//! and anything that is not IPv4 or IPv6 is dropped. So containers talk to each other through
//! the host's routing (ip_forward and a host route per container address), and a container's
//! broadcast reaches the host while the host's broadcast reaches nobody. The device is
//! `BROADCAST|POINTOPOINT|NOARP`, `ARPHRD_VOID`, without a hardware address, and cannot change
//! namespace. Counters are the sender's tx and the receiver's rx, both counted at send time, and
//! the sender's `tx_dropped` for every drop.
//!
//! ```text
//! ip link add [NAME] type venet      (in a VE's top namespace; iproute2 has no venet options)
//! ```
//!
//! The address table is changed through [`Venet::ip_map`] (the `VENETCTL_VE_IP_MAP` ioctl and
//! the `ve.ip_allow`/`ip_deny` cgroup files) or `changelink` with a [`VenetCmd`]. With the
//! `vzctl` feature (on by default), `Vz` models `vzctl start|stop|set --ipadd|--ipdel` on top of
//! it and of the IP stacks (stack-adapter); the driver alone needs only netdev-core.
//!
//! Deliberate deviations from Linux:
//! - A VE is a namespace you designate ([`Venet::ve_create`]; VE0 is the initial namespace
//!   unless [`Venet::set_ve0_netns`] says otherwise): there are no VE cgroups, no capability
//!   checks (`capable_setveid`) and `changelink` cannot tell who calls it, so the "only from
//!   VE0" EPERM is not modelled.
//! - Drops name their cause: `VEIP_NO_ENTRY`, `VEIP_SOURCE_WRONG`, `IP_INVALID_DEST`
//!   (multicast), `UNHANDLED_PROTO`, `PKT_TOO_SMALL`, `DEV_READY` (target missing or down),
//!   where the kernel frees with plain `kfree_skb`. Counters are the kernel's.
//! - The 14 zeroed bytes `venet_xmit` writes in front of the packet are not written: the
//!   receiver's MAC header is the network header (`mac_len` 0), which is what every reader
//!   sees anyway.
//! - `venet_set_features` (one feature set shared by every venet) is not modelled.
//!
//! Bridging a venet fails in Linux in `br_add_if`'s first check (`dev->type != ARPHRD_ETHER`,
//! `addr_len != ETH_ALEN`: EINVAL); a bridge driver enslaving through the core's
//! `ndo_add_slave` must make that check, which [`setup`]'s `dev_type` and `addr_len` trip.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod veip;
#[cfg(feature = "vzctl")]
mod vzctl;

use std::any::Any;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use netdev_core::{
    ARPHRD_VOID, AddrAssign, Carrier, Cpu, DeviceSetup, DropReason, ETH_HLEN, ETH_P_IP, Errno, Error, Features,
    IfFlags, KindConfig, LinkKind, MacAddr, NetDevice, NetDeviceOps, NetRx, NetnsId, NewLink, PernetOps, PktType,
    PrivFlags, Registration, Result, Rtnl, Skb, Stat, World, Xmit,
};
use parking_lot::Mutex;

pub use veip::{VE0, VEIP_HASH_SZ, VeId, VeipEntry};
#[cfg(feature = "vzctl")]
pub use vzctl::{
    CtConfig, CtId, CtInfo, CtStatus, IpDel, IpNet, IpNetError, IpOp, NeighbourDevs, Save, Vz, VzConf, VzEvent,
    VzReport,
};

use veip::{Ctl, IpKey, Table, VeShared};

/// The link kind name.
pub const KIND: &str = "venet";

/// `venet_init_dev` + `venet_setup`: `ARPHRD_VOID`, no hardware address, `BROADCAST|NOARP|
/// POINTOPOINT`, MTU 1500 without bounds, `tx_queue_len` 0 (so the noqueue qdisc), netns-local.
pub fn setup() -> DeviceSetup {
    DeviceSetup {
        kind: KIND,
        dev_type: ARPHRD_VOID,
        flags: IfFlags::BROADCAST | IfFlags::NOARP | IfFlags::POINTOPOINT,
        priv_flags: PrivFlags::XMIT_DST_RELEASE | PrivFlags::XMIT_DST_RELEASE_PERM,
        features: Features::HIGHDMA | Features::VLAN_CHALLENGED,
        hw_features: Features::SG | Features::IP_CSUM | Features::TSO,
        mtu: 1500,
        min_mtu: 0,
        max_mtu: 0,
        hard_header_len: ETH_HLEN as u16,
        addr: Some(MacAddr::ZERO),
        broadcast: MacAddr::BROADCAST,
        tx_queue_len: 0,
        netns_immutable: true,
        addr_len: 0,
        addr_assign: AddrAssign::Perm,
        carrier: Carrier::On,
    }
}

/// `net_ratelimit`'s defaults: `net.core.message_cost` 5 s, `message_burst` 10.
const RATELIMIT_INTERVAL_NS: u64 = 5_000_000_000;
const RATELIMIT_BURST: u32 = 10;
/// Kernel log lines kept (the oldest go first).
const KLOG_LINES: usize = 1024;

/// What the venet module prints (`printk` under `net_ratelimit`).
#[derive(Debug, Default)]
struct KernelLog {
    lines: Vec<String>,
    window_start: u64,
    printed: u32,
    missed: u32,
}

impl KernelLog {
    /// `___ratelimit` over virtual time, then the line.
    fn ratelimited(&mut self, now: u64, line: impl FnOnce() -> String) {
        if self.printed > 0 && now.saturating_sub(self.window_start) >= RATELIMIT_INTERVAL_NS {
            if self.missed > 0 {
                let missed = self.missed;
                self.push(format!("net_ratelimit: {missed} callbacks suppressed"));
            }
            self.printed = 0;
            self.missed = 0;
        }
        if self.printed == 0 {
            self.window_start = now;
        }
        if self.printed < RATELIMIT_BURST {
            self.printed += 1;
            self.push(line());
        } else {
            self.missed += 1;
        }
    }

    fn push(&mut self, s: String) {
        if self.lines.len() >= KLOG_LINES {
            self.lines.remove(0);
        }
        self.lines.push(s);
    }
}

/// The module's global state, shared by every venet of a World.
#[derive(Debug)]
struct Shared {
    table: ArcSwap<Table>,
    ctl: Mutex<Ctl>,
    klog: Mutex<KernelLog>,
}

impl Shared {
    /// Change the configuration and republish the data path's snapshot.
    fn edit<T>(&self, f: impl FnOnce(&mut Ctl) -> T) -> T {
        let mut c = self.ctl.lock();
        let r = f(&mut c);
        self.table.store(Arc::new(c.snapshot()));
        r
    }
}

/// One venet device's private state: its VE and the module's table.
#[derive(Debug)]
pub struct VenetDev {
    ve: Arc<VeShared>,
    shared: Arc<Shared>,
}

impl VenetDev {
    /// The VE this device belongs to.
    pub fn veid(&self) -> VeId {
        self.ve.veid
    }

    /// "Dropped packet, source wrong veid=%s src-IP=... dst-IP=..." (IPv4 only, ratelimited).
    #[cold]
    fn log_source_wrong(&self, now: u64, skb: &Skb) {
        let d = skb.data();
        if skb.meta.protocol != ETH_P_IP || d.len() < 20 {
            return;
        }
        let (src, dst) = (std::net::Ipv4Addr::new(d[12], d[13], d[14], d[15]), [d[16], d[17], d[18], d[19]]);
        let dst = std::net::Ipv4Addr::from(dst);
        let veid = self.ve.veid;
        self.shared
            .klog
            .lock()
            .ratelimited(now, || format!("Dropped packet, source wrong veid={veid} src-IP={src} dst-IP={dst}"));
    }
}

impl NetDeviceOps for VenetDev {
    /// `venet_xmit`: switch on the address table (see the crate docs). On success the packet is
    /// `PACKET_HOST` on the target venet, its mark cleared if it changes VE, and counted as this
    /// device's tx and the target's rx; every failure counts this device's `tx_dropped`. Like
    /// the kernel it reports `NETDEV_TX_OK` either way.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        let len = skb.len();
        let table = self.shared.table.load();
        let target = match table.route(self.ve.veid, skb.meta.protocol, skb.data()) {
            Ok(t) => t,
            Err(reason) => {
                if reason == DropReason::VeipSourceWrong {
                    self.log_source_wrong(cpu.now(), &skb);
                }
                cpu.stat_add(dev, Stat::TxDropped, 1);
                cpu.kfree_skb(skb, reason, Some(dev));
                return Xmit::Ok;
            }
        };
        skb.meta.pkt_type = PktType::Host;
        if target.veid != self.ve.veid {
            skb.meta.mark = 0;
        }
        match cpu.netif_rx_ptr(&target.dev, skb) {
            Ok(NetRx::Success) => cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len),
            Ok(NetRx::Drop) => cpu.stat_add(dev, Stat::TxDropped, 1),
            // The target VE has no venet (stopping) or it is not up.
            Err(skb) => {
                cpu.stat_add(dev, Stat::TxDropped, 1);
                cpu.kfree_skb(skb, DropReason::DevReady, Some(dev));
            }
        }
        Xmit::Ok
    }

    /// Whatever unregisters the device, its VE no longer has it.
    fn uninit(&self, _rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
        if self.ve.dev.id() == dev.id() {
            self.ve.dev.store(None);
        }
    }

    /// venet has no `ndo_set_mac_address`.
    fn set_mac_address(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _addr: MacAddr) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }
}

/// The operations of the address table (`VE_IP_ADD`, `VE_IP_DEL`, `VE_IP_EXT_ADD`,
/// `VE_IP_EXT_DEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpMapOp {
    /// `VE_IP_ADD`: the VE owns the address (its list is started if needed); EADDRINUSE if any
    /// VE, this one included, owns it already.
    Add,
    /// `VE_IP_DEL`: EADDRNOTAVAIL if the VE does not own it.
    Del,
    /// `VE_IP_EXT_ADD`: an extra allowed source address; ENONET before the VE's list exists,
    /// EADDRINUSE for a duplicate.
    ExtAdd,
    /// `VE_IP_EXT_DEL`: ENONET before the VE's list exists, EADDRNOTAVAIL if absent.
    ExtDel,
}

/// The `changelink` command (`VENET_INFO_CMD`, a `struct venetaddrmsg`): `ip link set venet0
/// type venet` as vzctl's netlink path sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VenetCmd {
    /// `VENET_IP_ADD`.
    IpAdd(IpAddr),
    /// `VENET_IP_DEL`.
    IpDel(IpAddr),
}

/// The `venet` link kind (`venet_link_ops`) and the module's state: the VEs and the address
/// table. One per World ([`register`]); [`Venet::of`] finds it again.
#[derive(Debug)]
pub struct Venet {
    shared: Arc<Shared>,
}

impl Default for Venet {
    fn default() -> Self {
        Venet::new()
    }
}

impl Venet {
    /// A fresh module state: VE0 in the initial namespace, no addresses.
    pub fn new() -> Venet {
        let ve0 = VeShared::new(VE0);
        let shared = Arc::new(Shared {
            table: ArcSwap::from_pointee(Table::empty(ve0.clone())),
            ctl: Mutex::new(Ctl::new(ve0)),
            klog: Mutex::new(KernelLog::default()),
        });
        Venet { shared }
    }

    /// The venet module registered with `world`, if any.
    pub fn of(world: &World) -> Option<Arc<Venet>> {
        let kind = world.rtnl().kind(KIND)?;
        let any: Arc<dyn Any + Send + Sync> = kind;
        any.downcast::<Venet>().ok()
    }

    /// The host's namespace (VE0's).
    pub fn ve0_netns(&self) -> NetnsId {
        self.shared.ctl.lock().ve0_netns()
    }

    /// Designate the host's namespace. EBUSY while the host has its venet or if `ns` is a
    /// container's; ENOENT if `ns` does not exist.
    pub fn set_ve0_netns(&self, rtnl: &mut Rtnl<'_>, ns: NetnsId) -> Result<()> {
        if !rtnl.netns_exists(ns) {
            return Err(Error::new(Errno::Enoent));
        }
        self.shared.edit(|c| c.set_ve0_netns(ns))
    }

    /// Make `ns` the top namespace of container `veid` (what `vzctl start` does when it creates
    /// the VE). EEXIST if the VE exists (VE0 always does), EBUSY if `ns` belongs to a VE
    /// already, ENOENT if it does not exist.
    pub fn ve_create(&self, rtnl: &mut Rtnl<'_>, veid: VeId, ns: NetnsId) -> Result<()> {
        if !rtnl.netns_exists(ns) {
            return Err(Error::new(Errno::Enoent));
        }
        self.shared.edit(|c| c.ve_create(veid, ns))
    }

    /// Stop VE `veid`: its addresses and its venet pointer go (`veip_stop`); its namespace stays.
    /// ESRCH if unknown, EINVAL for VE0. Deleting the namespace does this by itself.
    pub fn ve_destroy(&self, _rtnl: &mut Rtnl<'_>, veid: VeId) -> Result<()> {
        self.shared.edit(|c| c.ve_destroy(veid))
    }

    /// The VE whose top namespace is `ns` (VE0 for the host's).
    pub fn ve_of_netns(&self, ns: NetnsId) -> Option<VeId> {
        self.shared.ctl.lock().ve_of_netns(ns)
    }

    /// The top namespace of VE `veid`.
    pub fn ve_netns(&self, veid: VeId) -> Option<NetnsId> {
        self.shared.ctl.lock().ve_netns(veid)
    }

    /// Every VE and its namespace, VE0 first.
    pub fn ves(&self) -> Vec<(VeId, NetnsId)> {
        self.shared.ctl.lock().ves()
    }

    /// The venet device of VE `veid` (`ve->venet_dev`).
    pub fn venet_dev(&self, veid: VeId) -> Option<Arc<NetDevice>> {
        self.shared.ctl.lock().shared(veid).and_then(|v| v.dev.load_full())
    }

    /// True if VE `veid` has its address list (`ve->veip`).
    pub fn has_veip(&self, veid: VeId) -> bool {
        self.shared.ctl.lock().has_veip(veid)
    }

    /// `do_ve_ip_map` (the `VENETCTL_VE_IP_MAP` ioctl): ESRCH for an unknown VE, then the
    /// operation's own errors (see [`IpMapOp`]).
    pub fn ip_map(&self, _rtnl: &mut Rtnl<'_>, veid: VeId, op: IpMapOp, addr: IpAddr) -> Result<()> {
        let key = IpKey::new(addr);
        self.shared.edit(|c| {
            if c.ve_netns(veid).is_none() {
                return Err(Error::new(Errno::Esrch));
            }
            match op {
                IpMapOp::Add => c.entry_add(veid, key),
                IpMapOp::Del => c.entry_del(veid, key),
                IpMapOp::ExtAdd => c.ext_add(veid, key),
                IpMapOp::ExtDel => c.ext_del(veid, key),
            }
        })
    }

    /// The addresses VE `veid` owns, newest first (`ve.ip_list`, `veaddr_seq_print`).
    pub fn ve_ips(&self, veid: VeId) -> Vec<IpAddr> {
        self.shared.ctl.lock().ve_ips(veid)
    }

    /// VE `veid`'s extra allowed source addresses, newest first.
    pub fn ve_ext_ips(&self, veid: VeId) -> Vec<IpAddr> {
        self.shared.ctl.lock().ve_ext_ips(veid)
    }

    /// Every address and its owner, in the hash's order (`/proc/vz/veip`).
    pub fn veip(&self) -> Vec<VeipEntry> {
        self.shared.ctl.lock().veip()
    }

    /// The text of `/proc/vz/veip`.
    pub fn proc_veip(&self) -> String {
        self.shared.ctl.lock().proc_veip()
    }

    /// Take what the module printed to the kernel log (`dmesg`) since the last call.
    pub fn take_kernel_log(&self) -> Vec<String> {
        std::mem::take(&mut self.shared.klog.lock().lines)
    }

    fn dev_of(dev: &NetDevice) -> Result<&VenetDev> {
        dev.driver::<VenetDev>().ok_or(Error::new(Errno::Einval))
    }
}

impl LinkKind for Venet {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `venet_newlink`: only in a VE's top namespace (else ENOSYS, "Don't create venet-s in sub
    /// net namespaces"), one per VE (EEXIST once the VE's address list exists, which the first
    /// [`IpMapOp::Add`] also creates); it starts the VE's list, is netns-local, and becomes the
    /// VE's venet. `tx_queue_len` is 0 whatever was asked (`venet_init_dev` runs at
    /// registration).
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        if !(&**cfg as &dyn Any).is::<()>() {
            return Err(Error::new(Errno::Einval));
        }
        let ns = req.netns;
        let ve = self.shared.edit(|c| {
            let veid = c.ve_of_netns(ns).ok_or(Error::new(Errno::Enosys))?;
            if req.dest_netns() != ns {
                return Err(Error::new(Errno::Enosys));
            }
            if c.has_veip(veid) {
                return Err(Error::new(Errno::Eexist));
            }
            c.veip_start(veid)?;
            c.shared(veid).ok_or(Error::new(Errno::Esrch))
        })?;
        let ops = Box::new(VenetDev { ve: ve.clone(), shared: self.shared.clone() });
        let mut reg = Registration::from_request(req, setup(), ops, rtnl.kind(KIND));
        reg.txqlen = Some(0);
        match rtnl.register(reg) {
            Ok(dev) => {
                ve.dev.store(Some(dev.clone()));
                Ok(dev)
            }
            Err(e) => {
                self.shared.edit(|c| c.veip_shutdown(ve.veid));
                Err(e)
            }
        }
    }

    /// `venet_dellink`: the VE's addresses and extra sources go (`veip_shutdown`), it has no
    /// venet any more, and the device is unregistered.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        if let Ok(v) = Venet::dev_of(dev) {
            let veid = v.ve.veid;
            self.shared.edit(|c| c.veip_shutdown(veid));
            if v.ve.dev.id() == dev.id() {
                v.ve.dev.store(None);
            }
        }
        rtnl.unregister(dev)
    }

    /// `venet_changelink`: EINVAL on VE0's own venet or without a [`VenetCmd`], then
    /// [`Venet::ip_map`] for the device's VE.
    fn changelink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let veid = Venet::dev_of(dev)?.ve.veid;
        if veid == VE0 {
            return Err(Error::new(Errno::Einval));
        }
        match (&**cfg as &dyn Any).downcast_ref::<VenetCmd>() {
            Some(VenetCmd::IpAdd(a)) => self.ip_map(rtnl, veid, IpMapOp::Add, *a),
            Some(VenetCmd::IpDel(a)) => self.ip_map(rtnl, veid, IpMapOp::Del, *a),
            None => Err(Error::new(Errno::Einval)),
        }
    }
}

/// The VE bookkeeping's per-namespace hook: a VE stops when its top namespace goes.
#[derive(Debug)]
struct VenetPernet(Arc<Shared>);

impl PernetOps for VenetPernet {
    fn init(&self, _rtnl: &mut Rtnl<'_>, _ns: NetnsId) -> Result<()> {
        Ok(())
    }

    fn exit(&self, _rtnl: &mut Rtnl<'_>, ns: NetnsId) {
        self.0.edit(|c| c.netns_gone(ns));
    }
}

/// Register the `venet` kind with `world` (`venet_init`) and return the module's handle.
/// EEXIST if it is registered already.
pub fn register(world: &World) -> Result<Arc<Venet>> {
    let venet = Arc::new(Venet::new());
    world.register_kind(venet.clone())?;
    world.rtnl().register_pernet(Arc::new(VenetPernet(venet.shared.clone())))?;
    Ok(venet)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `venet_init_dev`: type, flags, MTU, queue, broadcast address; `br_add_if` would refuse
    /// it (not ARPHRD_ETHER, no 6-byte address).
    #[test]
    fn setup_matches_venet_init_dev() {
        let s = setup();
        assert_eq!(s.dev_type, ARPHRD_VOID);
        assert_eq!(s.flags, IfFlags::BROADCAST | IfFlags::NOARP | IfFlags::POINTOPOINT);
        assert_eq!((s.mtu, s.min_mtu, s.max_mtu, s.tx_queue_len), (1500, 0, 0, 0));
        assert_eq!(s.broadcast, MacAddr::BROADCAST);
        assert!(s.netns_immutable && s.features.contains(Features::VLAN_CHALLENGED));
        assert_eq!(s.addr_len, 0);
    }

    /// `net_ratelimit`: 10 lines per 5 s, then a count of what was suppressed.
    #[test]
    fn kernel_log_is_ratelimited() {
        let mut k = KernelLog::default();
        for i in 0..15 {
            k.ratelimited(i, || format!("line {i}"));
        }
        assert_eq!(k.lines.len(), 10);
        k.ratelimited(RATELIMIT_INTERVAL_NS + 20, || "late".into());
        assert_eq!(k.lines[10], "net_ratelimit: 5 callbacks suppressed");
        assert_eq!(k.lines[11], "late");
    }
}
