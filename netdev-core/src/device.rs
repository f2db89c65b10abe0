//! `struct net_device`: what the core owns for every device, and the driver contract
//! ([`NetDeviceOps`], [`RxHandler`]).

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::{Mutex, RwLock};

use crate::addr_list::{AddrLists, HwAddr};
use crate::cpu::Cpu;
use crate::kind::LinkKind;
use crate::rtnl::Rtnl;
use crate::stats::{DevStats, LinkStats64};
use crate::tap::Tap;
use crate::{Errno, Error, Features, IfFlags, MacAddr, NetnsId, PrivFlags, Result, Skb};

/// `ARPHRD_ETHER`.
pub const ARPHRD_ETHER: u16 = 1;
/// `ARPHRD_LOOPBACK`.
pub const ARPHRD_LOOPBACK: u16 = 772;
/// `ARPHRD_NETLINK`.
pub const ARPHRD_NETLINK: u16 = 824;
/// `ARPHRD_VOID` (venet and other L3 devices without a link layer).
pub const ARPHRD_VOID: u16 = 0xffff;
/// `ARPHRD_NONE`.
pub const ARPHRD_NONE: u16 = 0xfffe;

/// `ETH_MIN_MTU`.
pub const ETH_MIN_MTU: u32 = 68;
/// `ETH_DATA_LEN`.
pub const ETH_DATA_LEN: u32 = 1500;
/// `ETH_MAX_MTU`.
pub const ETH_MAX_MTU: u32 = 65535;
/// `MAX_NEST_DEV`: bound on upper/lower nesting.
pub const MAX_NEST_DEV: u8 = 8;

/// `IF_OPER_*` (RFC 2863 operational state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Operstate {
    /// `IF_OPER_UNKNOWN`: the driver never reported carrier (dummy, lo, an empty bridge).
    Unknown = 0,
    /// `IF_OPER_NOTPRESENT`.
    NotPresent = 1,
    /// `IF_OPER_DOWN`.
    Down = 2,
    /// `IF_OPER_LOWERLAYERDOWN`: carrier off because the device it stacks on is down.
    LowerLayerDown = 3,
    /// `IF_OPER_TESTING`.
    Testing = 4,
    /// `IF_OPER_DORMANT`.
    Dormant = 5,
    /// `IF_OPER_UP`.
    Up = 6,
}

impl Operstate {
    fn from_u8(v: u8) -> Operstate {
        match v {
            1 => Operstate::NotPresent,
            2 => Operstate::Down,
            3 => Operstate::LowerLayerDown,
            4 => Operstate::Testing,
            5 => Operstate::Dormant,
            6 => Operstate::Up,
            _ => Operstate::Unknown,
        }
    }

    /// The name iproute2 prints after `state`.
    pub const fn name(self) -> &'static str {
        match self {
            Operstate::Unknown => "UNKNOWN",
            Operstate::NotPresent => "NOTPRESENT",
            Operstate::Down => "DOWN",
            Operstate::LowerLayerDown => "LOWERLAYERDOWN",
            Operstate::Testing => "TESTING",
            Operstate::Dormant => "DORMANT",
            Operstate::Up => "UP",
        }
    }
}

/// The carrier (`netif_carrier_on`/`off`), as a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// Link detected.
    On,
    /// No link.
    Off,
}

/// The root qdisc `ip link` shows (`dev->qdisc`): `noop` until the device is first opened, then
/// the default one `dev_activate` attaches (`noqueue` for `IFF_NO_QUEUE` devices), kept while
/// the device goes down and up again, and `noop` again after `dev_shutdown` (a namespace move or
/// unregistration). Transmission itself follows up and carrier (see
/// [`Cpu::dev_queue_xmit`](crate::Cpu::dev_queue_xmit)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Qdisc {
    /// `noop_qdisc`.
    Noop = 0,
    /// `noqueue_qdisc`.
    Noqueue = 1,
    /// `pfifo_fast`, the kernel's default `net.core.default_qdisc`.
    PfifoFast = 2,
}

impl Qdisc {
    /// The name iproute2 prints after `qdisc`.
    pub const fn name(self) -> &'static str {
        match self {
            Qdisc::Noop => "noop",
            Qdisc::Noqueue => "noqueue",
            Qdisc::PfifoFast => "pfifo_fast",
        }
    }
}

/// `dev->reg_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RegState {
    /// Allocated, not yet registered.
    Uninitialized = 0,
    /// Registered and listed.
    Registered = 1,
    /// Being unregistered.
    Unregistering = 2,
    /// Gone: unlisted, its handlers cleared.
    Unregistered = 3,
}

/// `addr_assign_type` (`NET_ADDR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AddrAssign {
    /// `NET_ADDR_PERM`.
    Perm = 0,
    /// `NET_ADDR_RANDOM`.
    Random = 1,
    /// `NET_ADDR_STOLEN`.
    Stolen = 2,
    /// `NET_ADDR_SET`.
    Set = 3,
}

/// `name_assign_type` (`NET_NAME_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NameAssign {
    /// `NET_NAME_UNKNOWN`.
    Unknown = 0,
    /// `NET_NAME_ENUM`: from a `%d` template.
    Enum = 1,
    /// `NET_NAME_USER`: given by the user.
    User = 3,
    /// `NET_NAME_RENAMED`.
    Renamed = 4,
}

/// What `dev_queue_xmit` and `ndo_start_xmit` return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Xmit {
    /// `NET_XMIT_SUCCESS` / `NETDEV_TX_OK`.
    Ok,
    /// `NET_XMIT_DROP`: dropped (and counted) by the driver.
    Drop,
    /// `NET_XMIT_CN`: dropped by the qdisc (noop); a socket sees success.
    Congested,
    /// `-ENETDOWN`: the device is down or the recursion limit was hit.
    NetDown,
}

/// What `netif_rx` and the forward helpers return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetRx {
    /// `NET_RX_SUCCESS`.
    Success,
    /// `NET_RX_DROP`: dropped and counted.
    Drop,
}

/// The driver hooks (`struct net_device_ops`). Only [`xmit`](NetDeviceOps::xmit) is required; every
/// other hook has the core's default. The implementing type is the driver's private state
/// (`netdev_priv`); [`NetDevice::driver`] downcasts to it.
///
/// Hooks that take `&mut Rtnl` run with the configuration lock held and may call back into it.
/// `xmit` runs on a simulated CPU without any lock and may be called from several threads at once.
pub trait NetDeviceOps: Any + Send + Sync {
    /// `ndo_start_xmit`: transmit `skb` (its data starts at the link-layer header). Called by
    /// [`Cpu::dev_queue_xmit`] once the device is up with carrier and the taps have seen the frame.
    /// The driver owns `skb` and must deliver, queue or drop it (with a reason) before returning.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> Xmit;

    /// `ndo_init`: called by registration once the name is fixed and before the ifindex is
    /// reserved and the device listed (`reg_state` still uninitialised, so carrier changes made
    /// here are not counted). An error aborts the registration; a failure after it calls
    /// [`uninit`](Self::uninit).
    fn init(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) -> Result<()> {
        Ok(())
    }

    /// `ndo_open`: the device is being brought up (`IFF_UP` is not yet set). An error aborts `up`.
    fn open(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) -> Result<()> {
        Ok(())
    }

    /// `ndo_stop`: the device is going down (the running bit is already clear).
    fn stop(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {}

    /// `ndo_uninit`: the device is being unregistered; drop references to other devices.
    fn uninit(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {}

    /// `ndo_change_mtu` checks beyond min/max (vlan against its lower device). The core has already
    /// checked `min_mtu..=max_mtu` and sets the MTU when this returns `Ok`.
    fn change_mtu(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _mtu: u32) -> Result<()> {
        Ok(())
    }

    /// `ndo_set_mac_address`. The default is `eth_mac_addr`: EBUSY while running without
    /// `IFF_LIVE_ADDR_CHANGE`, EADDRNOTAVAIL for a zero or multicast address. The core stores the
    /// address when this returns `Ok`. Return EOPNOTSUPP for a device that has no such ndo.
    fn set_mac_address(&self, _rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        eth_prepare_mac_addr_change(dev, addr)
    }

    /// `ndo_validate_addr`, called by `dev_open`. The default is `eth_validate_addr` for an
    /// Ethernet device (EADDRNOTAVAIL for a zero or multicast MAC); a driver without the ndo
    /// (the bridge, whose MAC is all zeroes once its last port leaves) returns `Ok`.
    fn validate_addr(&self, dev: &NetDevice) -> Result<()> {
        if dev.dev_type() == ARPHRD_ETHER && dev.addr_len() == 6 && !dev.address().is_valid() {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        Ok(())
    }

    /// `ndo_set_rx_mode`: the device's address lists or its PROMISC/ALLMULTI state changed while
    /// it is up (also once after every open). Runs without RTNL and without any core lock held,
    /// possibly from a receive path; see [`dev_set_rx_mode`](crate::dev_set_rx_mode).
    fn set_rx_mode(&self, _dev: &Arc<NetDevice>) {}

    /// `ndo_change_rx_flags`: the kernel's `IFF_PROMISC` or `IFF_ALLMULTI` (`change`) flipped on
    /// an up device (a stacked driver passes it on to its lower device). Runs without RTNL.
    fn change_rx_flags(&self, _dev: &Arc<NetDevice>, _change: IfFlags) {}

    /// `ndo_change_carrier` (`ip link set X carrier on|off`): EOPNOTSUPP unless the driver has it.
    fn change_carrier(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _carrier: Carrier) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }

    /// `ndo_get_stats64`: the driver's part of the counters. The core adds its own drops on top.
    fn get_stats64(&self, dev: &NetDevice, stats: &mut LinkStats64) {
        *stats = dev.stats().driver_stats();
    }

    /// `ndo_get_iflink`: the ifindex of the device this one is linked to (its own by default;
    /// a veth's peer, a vlan's lower device). 0 means none.
    fn iflink(&self, dev: &NetDevice) -> u32 {
        dev.ifindex()
    }

    /// `rtnl_link_ops.get_link_net`: the namespace `iflink` refers to.
    fn link_netns(&self, dev: &NetDevice) -> NetnsId {
        dev.netns()
    }

    /// `ndo_add_slave` (`ip link set X master THIS`). EOPNOTSUPP unless the device is a master.
    fn add_slave(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _slave: &Arc<NetDevice>) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }

    /// `ndo_del_slave` (`ip link set X nomaster`). EOPNOTSUPP unless the device is a master.
    fn del_slave(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _slave: &Arc<NetDevice>) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }
}

/// `eth_prepare_mac_addr_change`: the checks `eth_mac_addr` makes before storing an address.
pub fn eth_prepare_mac_addr_change(dev: &NetDevice, addr: MacAddr) -> Result<()> {
    if !dev.priv_flags().contains(PrivFlags::LIVE_ADDR_CHANGE) && dev.is_running() {
        return Err(Error::new(Errno::Ebusy));
    }
    if !addr.is_valid() {
        return Err(Error::new(Errno::Eaddrnotavail));
    }
    Ok(())
}

/// What an rx handler decides (`rx_handler_result_t`).
#[derive(Debug)]
pub enum RxHandlerResult {
    /// `RX_HANDLER_CONSUMED`: the handler took the packet (delivered, queued or dropped it).
    Consumed,
    /// `RX_HANDLER_ANOTHER`: receive again as if it arrived on the given device.
    Another(Skb, Arc<NetDevice>),
    /// `RX_HANDLER_ANOTHER` naming the device by the id [`Cpu::pin_ptr`] returned for it: the
    /// core takes the device from this CPU's pin table for the next round, so no reference count
    /// is touched (what a handler on the hot path returns; [`Another`](Self::Another) clones an
    /// `Arc`). An id this CPU has not pinned drops the packet (`NOT_SPECIFIED`).
    AnotherPinned(Skb, u64),
    /// `RX_HANDLER_EXACT`: continue, delivering only to handlers bound to exactly this device.
    Exact(Skb),
    /// `RX_HANDLER_PASS`: continue as if there were no handler.
    Pass(Skb),
}

/// An rx handler (`dev->rx_handler`): what a bridge, bond, team, macvlan or ipvlan installs on its
/// lower devices with [`Rtnl::rx_handler_register`]. Runs on the receive path, lock-free, possibly
/// on several CPUs at once.
pub trait RxHandler: Send + Sync {
    /// Handle `skb`, which arrived on `dev` (its data starts after the link-layer header).
    fn handle(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult;
}

/// The VLAN receive hook a lower device carries once vlan devices sit on it (`dev->vlan_info`),
/// called by the core for a frame with an out-of-band tag (`vlan_do_receive`), before the rx
/// handler, and again for the inner tag of a priority-tagged (VID 0) frame that no vlan device
/// took.
pub trait VlanRx: Send + Sync {
    /// `vlan_do_receive` for `skb` (its tag in `skb.meta.vlan`), received on `dev`:
    ///
    /// - a vlan device matches and takes it: do its work (fix `pkt_type`, clear the tag, count)
    ///   and return [`RxHandlerResult::AnotherPinned`] (or `Another`): the core runs another
    ///   receive round on the vlan device;
    /// - a vlan device matches but frees the packet (it is down): drop it and return
    ///   [`RxHandlerResult::Consumed`]; the core then reports `NET_RX_DROP`;
    /// - no match: return [`RxHandlerResult::Pass`] with the skb untouched.
    ///
    /// `Exact` is treated as `Pass`.
    fn vlan_do_receive(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult;
}

pub(crate) struct RxHandlerSlot(pub(crate) Arc<dyn RxHandler>);
pub(crate) struct VlanRxSlot(pub(crate) Arc<dyn VlanRx>);

/// How a device is set up before registration (`alloc_netdev` + the driver's `setup`).
#[derive(Clone, Debug)]
pub struct DeviceSetup {
    /// The link kind (`veth`, `dummy`, ...), also the default name prefix.
    pub kind: &'static str,
    /// `dev->type` (`ARPHRD_*`).
    pub dev_type: u16,
    /// Initial `IFF_*` flags (BROADCAST, MULTICAST, NOARP, LOOPBACK, POINTOPOINT ...).
    pub flags: IfFlags,
    /// Private flags.
    pub priv_flags: PrivFlags,
    /// Active features.
    pub features: Features,
    /// Features the user may toggle.
    pub hw_features: Features,
    /// Initial MTU.
    pub mtu: u32,
    /// `min_mtu`.
    pub min_mtu: u32,
    /// `max_mtu` (0: no upper bound).
    pub max_mtu: u32,
    /// `hard_header_len`.
    pub hard_header_len: u16,
    /// The hardware address; `None` draws a random one (`eth_hw_addr_random`).
    pub addr: Option<MacAddr>,
    /// `addr_assign_type` of `addr` when it is given: `Perm` (also sets `perm_addr`) or `Stolen`
    /// (a vlan's address copied from its lower device, which then follows it).
    pub addr_assign: AddrAssign,
    /// The broadcast address.
    pub broadcast: MacAddr,
    /// `tx_queue_len`; 0 becomes 1000 with `IFF_NO_QUEUE`, as in `alloc_netdev_mqs`.
    pub tx_queue_len: u32,
    /// `dev->netns_immutable` (≤6.11 `NETIF_F_NETNS_LOCAL`): the device may not change namespace.
    pub netns_immutable: bool,
    /// `dev->addr_len`: 6 for Ethernet, 0 for devices without a link-layer address.
    pub addr_len: u8,
    /// The carrier the device is registered with (`__LINK_STATE_NOCARRIER` as `ndo_init` leaves
    /// it; a stacked device copies its lower's). Not counted in `carrier_changes`: the device is
    /// not registered yet. Later changes go through [`Rtnl::carrier_on`]/[`Rtnl::carrier_off`].
    pub carrier: Carrier,
}

impl DeviceSetup {
    /// `ether_setup`: an Ethernet device with the kernel's defaults.
    pub fn ether(kind: &'static str) -> DeviceSetup {
        DeviceSetup {
            kind,
            dev_type: ARPHRD_ETHER,
            flags: IfFlags::BROADCAST | IfFlags::MULTICAST,
            priv_flags: PrivFlags::XMIT_DST_RELEASE | PrivFlags::XMIT_DST_RELEASE_PERM | PrivFlags::TX_SKB_SHARING,
            features: Features::EMPTY,
            hw_features: Features::EMPTY,
            mtu: ETH_DATA_LEN,
            min_mtu: ETH_MIN_MTU,
            max_mtu: ETH_DATA_LEN,
            hard_header_len: 14,
            addr: None,
            addr_assign: AddrAssign::Perm,
            broadcast: MacAddr::BROADCAST,
            tx_queue_len: 1000,
            netns_immutable: false,
            addr_len: 6,
            carrier: Carrier::On,
        }
    }

    /// `gen_lo_setup` (drivers/net/loopback.c).
    pub fn loopback() -> DeviceSetup {
        DeviceSetup {
            kind: "loopback",
            dev_type: ARPHRD_LOOPBACK,
            flags: IfFlags::LOOPBACK,
            priv_flags: PrivFlags::XMIT_DST_RELEASE_PERM | PrivFlags::LIVE_ADDR_CHANGE | PrivFlags::NO_QUEUE,
            features: Features::SG
                | Features::FRAGLIST
                | Features::GSO_SOFTWARE
                | Features::HW_CSUM
                | Features::RXCSUM
                | Features::SCTP_CRC
                | Features::HIGHDMA
                | Features::VLAN_CHALLENGED,
            hw_features: Features::GSO_SOFTWARE,
            mtu: 65536,
            min_mtu: 0,
            max_mtu: 0,
            hard_header_len: 14,
            addr: Some(MacAddr::ZERO),
            addr_assign: AddrAssign::Perm,
            broadcast: MacAddr::ZERO,
            tx_queue_len: 1000,
            netns_immutable: true,
            addr_len: 6,
            carrier: Carrier::On,
        }
    }
}

// __LINK_STATE_* bits in `state`.
pub(crate) const STATE_START: u32 = 1 << 0;
pub(crate) const STATE_NOCARRIER: u32 = 1 << 1;
pub(crate) const STATE_PRESENT: u32 = 1 << 2;
pub(crate) const STATE_DORMANT: u32 = 1 << 3;
pub(crate) const STATE_TESTING: u32 = 1 << 4;

#[derive(Debug, Default)]
pub(crate) struct Adjacency {
    /// (upper, is_master)
    pub(crate) uppers: Vec<(Weak<NetDevice>, bool)>,
    pub(crate) lowers: Vec<Weak<NetDevice>>,
    pub(crate) upper_level: u8,
    pub(crate) lower_level: u8,
}

/// A net device. The core owns every field here; the driver's private state is the
/// [`NetDeviceOps`] object (see [`NetDevice::driver`]).
///
/// Configuration fields change only under the RTNL lock ([`Rtnl`]); the data path reads them
/// lock-free. Getters are cheap atomic loads.
pub struct NetDevice {
    id: u64,
    kind: &'static str,
    name: RwLock<Arc<str>>,
    pub(crate) ifindex: AtomicU32,
    pub(crate) netns: AtomicU32,
    pub(crate) flags: AtomicU32,
    pub(crate) gflags: AtomicU32,
    pub(crate) priv_flags: AtomicU64,
    pub(crate) state: AtomicU32,
    pub(crate) operstate: AtomicU8,
    pub(crate) qdisc: AtomicU8,
    pub(crate) reg_state: AtomicU8,
    pub(crate) mtu: AtomicU32,
    pub(crate) min_mtu: AtomicU32,
    pub(crate) max_mtu: AtomicU32,
    hard_header_len: u16,
    dev_type: u16,
    addr_len: u8,
    pub(crate) addr: AtomicU64,
    perm_addr: AtomicU64,
    broadcast: MacAddr,
    pub(crate) addr_assign: AtomicU8,
    pub(crate) name_assign: AtomicU8,
    pub(crate) tx_queue_len: AtomicU32,
    pub(crate) features: AtomicU64,
    hw_features: AtomicU64,
    netns_immutable: bool,
    pub(crate) carrier_up: AtomicU32,
    pub(crate) carrier_down: AtomicU32,
    pub(crate) promiscuity: AtomicU32,
    pub(crate) allmulti: AtomicU32,
    pub(crate) group: AtomicU32,
    pub(crate) alias: Mutex<Option<Arc<str>>>,
    pub(crate) adj: Mutex<Adjacency>,
    pub(crate) has_rx_handler: AtomicBool,
    pub(crate) rx_handler: ArcSwapOption<RxHandlerSlot>,
    pub(crate) has_vlan_rx: AtomicBool,
    pub(crate) vlan_rx: ArcSwapOption<VlanRxSlot>,
    pub(crate) ntaps: AtomicU32,
    pub(crate) taps: ArcSwap<Vec<Arc<dyn Tap>>>,
    pub(crate) addrs: Mutex<AddrLists>,
    taps_writer: Mutex<()>,
    stats: DevStats,
    ops: Box<dyn NetDeviceOps>,
    pub(crate) link_kind: Option<Arc<dyn LinkKind>>,
}

impl fmt::Debug for NetDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetDevice")
            .field("name", &self.name())
            .field("ifindex", &self.ifindex())
            .field("netns", &self.netns())
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl NetDevice {
    pub(crate) fn new(
        id: u64,
        setup: &DeviceSetup,
        addr: MacAddr,
        addr_assign: AddrAssign,
        ncpus: usize,
        ops: Box<dyn NetDeviceOps>,
        link_kind: Option<Arc<dyn LinkKind>>,
    ) -> NetDevice {
        let mut priv_flags = setup.priv_flags;
        let mut txq = setup.tx_queue_len;
        if txq == 0 {
            priv_flags |= PrivFlags::NO_QUEUE;
            txq = 1000;
        }
        NetDevice {
            id,
            kind: setup.kind,
            name: RwLock::new(Arc::from("")),
            ifindex: AtomicU32::new(0),
            netns: AtomicU32::new(0),
            flags: AtomicU32::new(setup.flags.bits() & !IfFlags::UP.bits()),
            gflags: AtomicU32::new(0),
            priv_flags: AtomicU64::new(priv_flags.bits()),
            // Carrier starts ON (__LINK_STATE_NOCARRIER clear after allocation) unless the
            // driver's init turned it off.
            state: AtomicU32::new(if setup.carrier == Carrier::Off { STATE_NOCARRIER } else { 0 }),
            operstate: AtomicU8::new(Operstate::Unknown as u8),
            qdisc: AtomicU8::new(Qdisc::Noop as u8),
            reg_state: AtomicU8::new(RegState::Uninitialized as u8),
            mtu: AtomicU32::new(setup.mtu),
            min_mtu: AtomicU32::new(setup.min_mtu),
            max_mtu: AtomicU32::new(setup.max_mtu),
            hard_header_len: setup.hard_header_len,
            dev_type: setup.dev_type,
            addr_len: setup.addr_len,
            addr: AtomicU64::new(addr.to_u64()),
            perm_addr: AtomicU64::new(0),
            broadcast: setup.broadcast,
            addr_assign: AtomicU8::new(addr_assign as u8),
            name_assign: AtomicU8::new(NameAssign::Unknown as u8),
            tx_queue_len: AtomicU32::new(txq),
            features: AtomicU64::new(setup.features.bits()),
            hw_features: AtomicU64::new(setup.hw_features.bits()),
            netns_immutable: setup.netns_immutable,
            carrier_up: AtomicU32::new(0),
            carrier_down: AtomicU32::new(0),
            promiscuity: AtomicU32::new(0),
            allmulti: AtomicU32::new(0),
            group: AtomicU32::new(0),
            alias: Mutex::new(None),
            adj: Mutex::new(Adjacency { upper_level: 1, lower_level: 1, ..Adjacency::default() }),
            has_rx_handler: AtomicBool::new(false),
            rx_handler: ArcSwapOption::empty(),
            has_vlan_rx: AtomicBool::new(false),
            vlan_rx: ArcSwapOption::empty(),
            ntaps: AtomicU32::new(0),
            taps: ArcSwap::from_pointee(Vec::new()),
            addrs: Mutex::new(AddrLists::default()),
            taps_writer: Mutex::new(()),
            stats: DevStats::new(ncpus),
            ops,
            link_kind,
        }
    }

    /// A world-unique identity that survives renames and namespace moves (never reused).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The link kind (`veth`, `dummy`, `loopback`, ...).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The interface name.
    pub fn name(&self) -> Arc<str> {
        self.name.read().clone()
    }

    pub(crate) fn set_name(&self, name: &str) {
        *self.name.write() = Arc::from(name);
    }

    /// `dev->ifindex` (unique within the device's namespace).
    pub fn ifindex(&self) -> u32 {
        self.ifindex.load(Ordering::Relaxed)
    }

    /// The namespace the device is in.
    pub fn netns(&self) -> NetnsId {
        NetnsId(self.netns.load(Ordering::Relaxed))
    }

    /// The kernel's own flag word (`dev->flags`), including UP and kernel-held PROMISC/ALLMULTI.
    pub fn raw_flags(&self) -> IfFlags {
        IfFlags(self.flags.load(Ordering::Relaxed))
    }

    /// The flags user space sees (`netif_get_flags`): kernel PROMISC/ALLMULTI hidden unless the
    /// user asked for them; RUNNING, LOWER_UP and DORMANT computed while the device runs.
    pub fn flags(&self) -> IfFlags {
        let mut f = IfFlags(self.flags.load(Ordering::Relaxed) & !IfFlags::VOLATILE.bits());
        f |= IfFlags(self.gflags.load(Ordering::Relaxed)) & (IfFlags::PROMISC | IfFlags::ALLMULTI);
        if self.is_running() {
            if self.is_oper_up() {
                f |= IfFlags::RUNNING;
            }
            if self.has_carrier() {
                f |= IfFlags::LOWER_UP;
            }
            if self.state.load(Ordering::Relaxed) & STATE_DORMANT != 0 {
                f |= IfFlags::DORMANT;
            }
        }
        f
    }

    /// `IFF_UP` is set.
    #[inline]
    pub fn is_up(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & IfFlags::UP.bits() != 0
    }

    /// `netif_running`: the START bit (set by open before `IFF_UP`, cleared by close first).
    #[inline]
    pub fn is_running(&self) -> bool {
        self.state.load(Ordering::Relaxed) & STATE_START != 0
    }

    /// `netif_carrier_ok`.
    #[inline]
    pub fn has_carrier(&self) -> bool {
        self.state.load(Ordering::Relaxed) & STATE_NOCARRIER == 0
    }

    /// `netif_oper_up`: operstate UP or UNKNOWN.
    pub fn is_oper_up(&self) -> bool {
        matches!(self.operstate_raw(), Operstate::Up | Operstate::Unknown)
    }

    /// `dev->operstate` as the kernel keeps it (also while the device is down).
    pub fn operstate_raw(&self) -> Operstate {
        Operstate::from_u8(self.operstate.load(Ordering::Relaxed))
    }

    /// The operstate rtnetlink reports (`IFLA_OPERSTATE`): DOWN whenever the device is not
    /// running, else the kept operstate.
    pub fn operstate(&self) -> Operstate {
        if self.is_running() { self.operstate_raw() } else { Operstate::Down }
    }

    /// The root qdisc (`IFLA_QDISC`, what `ip link` prints after `qdisc`).
    pub fn qdisc(&self) -> Qdisc {
        match self.qdisc.load(Ordering::Relaxed) {
            1 => Qdisc::Noqueue,
            2 => Qdisc::PfifoFast,
            _ => Qdisc::Noop,
        }
    }

    /// Registration state.
    pub fn reg_state(&self) -> RegState {
        match self.reg_state.load(Ordering::Acquire) {
            1 => RegState::Registered,
            2 => RegState::Unregistering,
            3 => RegState::Unregistered,
            _ => RegState::Uninitialized,
        }
    }

    /// Private flags.
    pub fn priv_flags(&self) -> PrivFlags {
        PrivFlags(self.priv_flags.load(Ordering::Relaxed))
    }

    /// `dev->mtu`.
    #[inline]
    pub fn mtu(&self) -> u32 {
        self.mtu.load(Ordering::Relaxed)
    }

    /// `dev->min_mtu`.
    pub fn min_mtu(&self) -> u32 {
        self.min_mtu.load(Ordering::Relaxed)
    }

    /// `dev->max_mtu` (0: unbounded).
    pub fn max_mtu(&self) -> u32 {
        self.max_mtu.load(Ordering::Relaxed)
    }

    /// `dev->hard_header_len`.
    #[inline]
    pub fn hard_header_len(&self) -> u16 {
        self.hard_header_len
    }

    /// `dev->type` (`ARPHRD_*`).
    pub fn dev_type(&self) -> u16 {
        self.dev_type
    }

    /// `dev->addr_len`.
    pub fn addr_len(&self) -> u8 {
        self.addr_len
    }

    /// The hardware address.
    #[inline]
    pub fn address(&self) -> MacAddr {
        MacAddr::from_u64(self.addr.load(Ordering::Relaxed))
    }

    /// The permanent address (`perm_addr`), zero unless the driver set one.
    pub fn perm_address(&self) -> MacAddr {
        MacAddr::from_u64(self.perm_addr.load(Ordering::Relaxed))
    }

    /// The broadcast address.
    #[inline]
    pub fn broadcast(&self) -> MacAddr {
        self.broadcast
    }

    /// `addr_assign_type`.
    pub fn addr_assign_type(&self) -> AddrAssign {
        match self.addr_assign.load(Ordering::Relaxed) {
            1 => AddrAssign::Random,
            2 => AddrAssign::Stolen,
            3 => AddrAssign::Set,
            _ => AddrAssign::Perm,
        }
    }

    /// `name_assign_type`.
    pub fn name_assign_type(&self) -> NameAssign {
        match self.name_assign.load(Ordering::Relaxed) {
            1 => NameAssign::Enum,
            3 => NameAssign::User,
            4 => NameAssign::Renamed,
            _ => NameAssign::Unknown,
        }
    }

    /// `tx_queue_len`.
    pub fn tx_queue_len(&self) -> u32 {
        self.tx_queue_len.load(Ordering::Relaxed)
    }

    /// Active features.
    pub fn features(&self) -> Features {
        Features(self.features.load(Ordering::Relaxed))
    }

    /// Features the user may toggle.
    pub fn hw_features(&self) -> Features {
        Features(self.hw_features.load(Ordering::Relaxed))
    }

    /// `netns_immutable` (`netns-local`).
    pub fn netns_immutable(&self) -> bool {
        self.netns_immutable
    }

    /// `carrier_up_count`.
    pub fn carrier_up_count(&self) -> u32 {
        self.carrier_up.load(Ordering::Relaxed)
    }

    /// `carrier_down_count`.
    pub fn carrier_down_count(&self) -> u32 {
        self.carrier_down.load(Ordering::Relaxed)
    }

    /// `carrier_changes` (`IFLA_CARRIER_CHANGES` = up + down).
    pub fn carrier_changes(&self) -> u32 {
        self.carrier_up_count() + self.carrier_down_count()
    }

    /// The promiscuity counter (`ip -d link` `promiscuity N`).
    pub fn promiscuity(&self) -> u32 {
        self.promiscuity.load(Ordering::Relaxed)
    }

    /// The allmulti counter.
    pub fn allmulti(&self) -> u32 {
        self.allmulti.load(Ordering::Relaxed)
    }

    /// The secondary unicast address list (`dev->uc`), in the order added.
    pub fn uc_addrs(&self) -> Vec<HwAddr> {
        self.addrs.lock().uc().to_vec()
    }

    /// The link-layer multicast list (`dev->mc`, what `ip maddr` shows as `link`), in the order
    /// added.
    pub fn mc_addrs(&self) -> Vec<HwAddr> {
        self.addrs.lock().mc().to_vec()
    }

    /// `dev->uc_promisc`: the device holds a promiscuity reference for its unicast list.
    pub fn uc_promisc(&self) -> bool {
        self.addrs.lock().uc_promisc()
    }

    /// `dev->group`.
    pub fn group(&self) -> u32 {
        self.group.load(Ordering::Relaxed)
    }

    /// `ifalias`.
    pub fn alias(&self) -> Option<Arc<str>> {
        self.alias.lock().clone()
    }

    /// The per-CPU counters, for drivers to read.
    pub fn stats(&self) -> &DevStats {
        &self.stats
    }

    /// `dev_get_stats`: the driver's counters (`ndo_get_stats64`) plus the core's drops.
    pub fn stats64(&self) -> LinkStats64 {
        let mut s = LinkStats64::default();
        self.ops.get_stats64(self, &mut s);
        self.stats.add_core_to(&mut s);
        s
    }

    /// The driver's hooks.
    pub fn ops(&self) -> &dyn NetDeviceOps {
        &*self.ops
    }

    /// The driver's private state, if the driver is `T` (`netdev_priv`).
    pub fn driver<T: NetDeviceOps>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.ops;
        any.downcast_ref::<T>()
    }

    /// The link kind's ops (`rtnl_link_ops`), if the device was created through one.
    pub fn link_kind(&self) -> Option<&Arc<dyn LinkKind>> {
        self.link_kind.as_ref()
    }

    /// `dev_get_iflink`.
    pub fn iflink(&self) -> u32 {
        self.ops.iflink(self)
    }

    /// The namespace `iflink` refers to.
    pub fn link_netns(&self) -> NetnsId {
        self.ops.link_netns(self)
    }

    /// The master device (bridge, bond), if any.
    pub fn master(&self) -> Option<Arc<NetDevice>> {
        self.adj.lock().uppers.iter().find(|(_, m)| *m).and_then(|(w, _)| w.upgrade())
    }

    /// Devices directly above this one.
    pub fn uppers(&self) -> Vec<Arc<NetDevice>> {
        self.adj.lock().uppers.iter().filter_map(|(w, _)| w.upgrade()).collect()
    }

    /// Devices directly below this one.
    pub fn lowers(&self) -> Vec<Arc<NetDevice>> {
        self.adj.lock().lowers.iter().filter_map(Weak::upgrade).collect()
    }

    /// `upper_level` and `lower_level` (both 1 for a device with no links).
    pub fn nest_levels(&self) -> (u8, u8) {
        let a = self.adj.lock();
        (a.upper_level, a.lower_level)
    }

    /// True if an rx handler is registered (the device is a bridge port, macvlan lower, ...).
    pub fn has_rx_handler(&self) -> bool {
        self.has_rx_handler.load(Ordering::Acquire)
    }

    /// Attach a packet tap (what an AF_PACKET socket bound to this device sees): every frame
    /// handed to the driver (outgoing) and every frame received on each receive round (incoming).
    pub fn add_tap(&self, tap: Arc<dyn Tap>) {
        let _w = self.taps_writer.lock();
        let mut v = Vec::clone(&self.taps.load());
        v.push(tap);
        self.ntaps.store(v.len() as u32, Ordering::Release);
        self.taps.store(Arc::new(v));
    }

    /// Detach a tap added with [`add_tap`](Self::add_tap) (compared by pointer).
    pub fn remove_tap(&self, tap: &Arc<dyn Tap>) {
        let _w = self.taps_writer.lock();
        let mut v = Vec::clone(&self.taps.load());
        v.retain(|t| !Arc::ptr_eq(t, tap));
        self.ntaps.store(v.len() as u32, Ordering::Release);
        self.taps.store(Arc::new(v));
    }

    pub(crate) fn set_perm_addr(&self, a: MacAddr) {
        self.perm_addr.store(a.to_u64(), Ordering::Relaxed);
    }

    pub(crate) fn set_state_bit(&self, bit: u32, on: bool) -> bool {
        let old =
            if on { self.state.fetch_or(bit, Ordering::AcqRel) } else { self.state.fetch_and(!bit, Ordering::AcqRel) };
        (old & bit != 0) != on
    }

    pub(crate) fn set_flag(&self, flag: IfFlags, on: bool) {
        if on {
            self.flags.fetch_or(flag.bits(), Ordering::AcqRel);
        } else {
            self.flags.fetch_and(!flag.bits(), Ordering::AcqRel);
        }
    }
}
