//! The sysctl model: one namespace's `net.ipv4.*` and `net.ipv6.*` knobs, as `sysctl(8)` and
//! `cat /proc/sys/...` show them, with the kernel's rules for how `all`, `default` and a device's
//! own value combine and propagate.
//!
//! Linux keeps three IPv4 configurations per namespace (`conf/all`, `conf/default` and one per
//! device, `struct ipv4_devconf` in net/ipv4/devinet.c), the same three for IPv6
//! (`struct ipv6_devconf`, net/ipv6/addrconf.c), neighbour parameters per device plus a table
//! default (`struct neigh_parms`, net/core/neighbour.c) and a few namespace-wide values
//! (net/ipv4/sysctl_net_ipv4.c). [`Sysctls`] holds all of them for one namespace, keyed by
//! ifindex; device names are resolved by closures the caller passes, because devices get renamed.
//! The stack reads the typed accessors ([`Sysctls::arp_ignore`], [`Sysctls::neigh_parms`], ...),
//! users go through [`Sysctls::read`], [`Sysctls::write`] and [`Sysctls::list`].
//!
//! Rules, each cited at the code that applies it, are from 2025 mainline Linux (6.16-era devinet.c,
//! addrconf.c, neighbour.c, arp.c, ndisc.c, sysctl_net_ipv4.c, include/linux/inetdevice.h):
//!
//! - IPv4: new devices copy `conf/default`, *including its "written" bits*; a `default` write
//!   reaches every device whose bit for that knob is clear. Adding an IPv4 address sets every bit
//!   (`ipv4_devconf_setall`), so in practice `default` only reaches devices without addresses.
//!   `ip_forward`/`conf/all/forwarding` runs `inet_forward_change`, but only when the value changes.
//! - IPv6 has no such bits: `default` reaches only devices created later; writing `all` of
//!   `forwarding`, `disable_ipv6`, `ignore_routes_with_linkdown` and `addr_gen_mode` sets `default`
//!   and every device, every time.
//! - Neighbour parameters have the IPv4 scheme (`neigh_proc_update`), but a new device starts with
//!   its bits clear (`neigh_parms_alloc`), and `neigh/default` exists only in the initial namespace.
//!
//! Values are kept in the kernel's internal unit. Deliberate deviations and choices:
//!
//! - Time knobs are jiffies of a `CONFIG_HZ=1000` kernel (one jiffy = 1 ms) with `USER_HZ=100`:
//!   `net.ipv6.neigh.*.retrans_time`, which the kernel shows in raw jiffies, reads 1000 (250 on a
//!   `HZ=250` build). `unres_qlen` uses x86-64's `SKB_TRUESIZE(ETH_FRAME_LEN)` = 2090 bytes.
//! - Writing a read-only knob (`mc_forwarding`) fails with EACCES, as `proc_sys_permission`.
//! - A negative value for a `USER_HZ` knob (`retrans_time`, `locktime`, ...) is EINVAL; Linux
//!   stores a wrapped value. A value list written to a one-value knob keeps the first value.
//! - `stable_secret` is not modelled, so `addr_gen_mode=2` on a device is always EINVAL.
//! - A child namespace's devices copy the initial namespace's `neigh/default` as it was when the
//!   child was made ([`Sysctls::new_inherit`]); Linux reads the live table.
//! - Only the knobs below exist; `sysctl -a` on Linux prints many more. [`Sysctls::list`] orders
//!   them as `sysctl -a` does: procps walks `/proc/sys` in readdir order, which the kernel keeps
//!   sorted per directory (an rbtree ordered by `namecmp`, bytewise), so the order is a
//!   depth-first walk with each directory sorted by bytes: `eth0` comes before `eth0.100`.

use std::collections::BTreeMap;

use netdev_core::{Errno, IfFlags};

/// `CONFIG_HZ` of the modelled kernel: one jiffy is one millisecond.
pub const HZ: i64 = 1000;
/// `USER_HZ`: the tick in which the `*_userhz_jiffies` knobs (`retrans_time`, `locktime`) are shown.
pub const USER_HZ: i64 = 100;
const NSEC_PER_JIFFY: u64 = 1_000_000_000 / HZ as u64;
/// `SKB_TRUESIZE(ETH_FRAME_LEN)` on x86-64: the packet size `unres_qlen` counts in.
const SKB_TRUESIZE_ETH_FRAME: i64 = 1514 + 256 + 320;
/// `SK_WMEM_DEFAULT` = `SKB_TRUESIZE(256) * 256` on x86-64: the `unres_qlen_bytes` default.
const SK_WMEM_DEFAULT: i32 = (256 + 256 + 320) * 256;
/// `IPV4_MIN_MTU`: below it the device loses its IPv4 configuration (`inetdev_valid_mtu`).
const IPV4_MIN_MTU: u32 = 68;
/// `IPV6_MIN_MTU`: below it the device has no IPv6 configuration (`addrconf_notify`).
const IPV6_MIN_MTU: u32 = 1280;
const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
/// `IN6_ADDR_GEN_MODE_STABLE_PRIVACY`.
const ADDR_GEN_MODE_STABLE_PRIVACY: i64 = 2;

/// Which protocol a knob belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `AF_INET`: `net.ipv4`.
    Inet,
    /// `AF_INET6`: `net.ipv6`.
    Inet6,
}

impl Family {
    const fn dir(self) -> &'static str {
        match self {
            Family::Inet => "ipv4",
            Family::Inet6 => "ipv6",
        }
    }
}

/// Which copy of a knob: `conf/all`, `conf/default`, one device's, or a namespace-wide value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `conf/all` (`NETCONFA_IFINDEX_ALL`).
    All,
    /// `conf/default` or `neigh/default` (`NETCONFA_IFINDEX_DEFAULT`).
    Default,
    /// One device, by ifindex.
    Dev(u32),
    /// A namespace-wide value such as `ip_default_ttl`.
    Netns,
}

macro_rules! knobs {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal, $doc:literal;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $(#[doc = $doc] $v,)* }

        impl $name {
            /// Every knob, in the kernel's array order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// The file name under `/proc/sys/net/...`.
            pub const fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }

            /// The knob whose file is called `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|k| k.name() == name)
            }
        }
    };
}

knobs! {
    /// An IPv4 devconf knob (`IPV4_DEVCONF_*`, include/uapi/linux/ip.h order).
    Ipv4Knob {
        Forwarding = "forwarding", "Per device only (`IN_DEV_FORWARD`); `all` is `net.ipv4.ip_forward`.";
        McForwarding = "mc_forwarding", "Read-only; AND (`IN_DEV_MFORWARD`).";
        ProxyArp = "proxy_arp", "OR (`IN_DEV_PROXY_ARP`).";
        AcceptRedirects = "accept_redirects", "AND while the device forwards, else OR (`IN_DEV_RX_REDIRECTS`).";
        SecureRedirects = "secure_redirects", "OR (`IN_DEV_SEC_REDIRECTS`).";
        SendRedirects = "send_redirects", "OR (`IN_DEV_TX_REDIRECTS`).";
        SharedMedia = "shared_media", "OR (`IN_DEV_SHARED_MEDIA`).";
        RpFilter = "rp_filter", "MAX (`IN_DEV_RPFILTER`).";
        AcceptSourceRoute = "accept_source_route", "AND (`IN_DEV_SOURCE_ROUTE`).";
        BootpRelay = "bootp_relay", "AND (`IN_DEV_BOOTP_RELAY`).";
        LogMartians = "log_martians", "OR (`IN_DEV_LOG_MARTIANS`).";
        Tag = "tag", "Per device only (`IN_DEV_IDTAG`).";
        ArpFilter = "arp_filter", "OR (`IN_DEV_ARPFILTER`).";
        MediumId = "medium_id", "Per device only (`IN_DEV_MEDIUM_ID`).";
        DisableXfrm = "disable_xfrm", "`IPV4_DEVCONF_NOXFRM`; 1 on loopback.";
        DisablePolicy = "disable_policy", "`IPV4_DEVCONF_NOPOLICY`; 1 on loopback.";
        ForceIgmpVersion = "force_igmp_version", "`IPV4_DEVCONF_FORCE_IGMP_VERSION`.";
        ArpAnnounce = "arp_announce", "MAX (`IN_DEV_ARP_ANNOUNCE`).";
        ArpIgnore = "arp_ignore", "MAX (`IN_DEV_ARP_IGNORE`).";
        PromoteSecondaries = "promote_secondaries", "OR (`IN_DEV_PROMOTE_SECONDARIES`).";
        ArpAccept = "arp_accept", "MAX (`IN_DEV_ARP_ACCEPT`).";
        ArpNotify = "arp_notify", "MAX (`IN_DEV_ARP_NOTIFY`).";
        AcceptLocal = "accept_local", "OR (`IN_DEV_ACCEPT_LOCAL`).";
        SrcValidMark = "src_valid_mark", "OR (`IN_DEV_SRC_VMARK`).";
        ProxyArpPvlan = "proxy_arp_pvlan", "OR (`IN_DEV_PROXY_ARP_PVLAN`).";
        RouteLocalnet = "route_localnet", "OR (`IN_DEV_ROUTE_LOCALNET`).";
        Igmpv2UnsolicitedReportInterval = "igmpv2_unsolicited_report_interval", "Milliseconds, shown as stored.";
        Igmpv3UnsolicitedReportInterval = "igmpv3_unsolicited_report_interval", "Milliseconds, shown as stored.";
        IgnoreRoutesWithLinkdown = "ignore_routes_with_linkdown", "OR (`IN_DEV_IGNORE_ROUTES_WITH_LINKDOWN`).";
        DropUnicastInL2Multicast = "drop_unicast_in_l2_multicast", "OR (`IN_DEV_ORCONF`).";
        DropGratuitousArp = "drop_gratuitous_arp", "OR (`IN_DEV_ORCONF`).";
        BcForwarding = "bc_forwarding", "AND (`IN_DEV_BFORWARD`).";
        ArpEvictNocarrier = "arp_evict_nocarrier", "AND (`IN_DEV_ARP_EVICT_NOCARRIER`).";
    }
}

knobs! {
    /// An IPv6 devconf knob (`struct ipv6_devconf`; the modelled subset of `addrconf_sysctl[]`).
    Ipv6Knob {
        Forwarding = "forwarding", "`addrconf_sysctl_forward`.";
        HopLimit = "hop_limit", "1..=255.";
        Mtu = "mtu", "`mtu6`: 1280..=device MTU (`addrconf_sysctl_mtu`).";
        AcceptRa = "accept_ra", "`accept_ra`.";
        AcceptRedirects = "accept_redirects", "`accept_redirects`.";
        Autoconf = "autoconf", "`autoconf`.";
        DadTransmits = "dad_transmits", "`dad_transmits`.";
        RouterSolicitations = "router_solicitations", "`rtr_solicits`: >= -1 (-1 = unlimited).";
        RouterSolicitationInterval = "router_solicitation_interval", "Shown in seconds.";
        RouterSolicitationMaxInterval = "router_solicitation_max_interval", "Shown in seconds.";
        RouterSolicitationDelay = "router_solicitation_delay", "Shown in seconds.";
        ForceMldVersion = "force_mld_version", "`force_mld_version`.";
        Mldv1UnsolicitedReportInterval = "mldv1_unsolicited_report_interval", "Shown in milliseconds.";
        Mldv2UnsolicitedReportInterval = "mldv2_unsolicited_report_interval", "Shown in milliseconds.";
        UseTempaddr = "use_tempaddr", "`use_tempaddr`; -1 on loopback.";
        ProxyNdp = "proxy_ndp", "`proxy_ndp`.";
        AcceptSourceRoute = "accept_source_route", "`accept_source_route`.";
        DisableIpv6 = "disable_ipv6", "`addrconf_sysctl_disable`.";
        AcceptDad = "accept_dad", "`accept_dad`; -1 on loopback and NOARP devices; MAX with `all`.";
        NdiscNotify = "ndisc_notify", "`ndisc_notify`; OR with `all`.";
        IgnoreRoutesWithLinkdown = "ignore_routes_with_linkdown", "`addrconf_sysctl_ignore_routes_with_linkdown`.";
        DropUnsolicitedNa = "drop_unsolicited_na", "`drop_unsolicited_na`.";
        KeepAddrOnDown = "keep_addr_on_down", "`keep_addr_on_down`; `all` wins when non-zero (`addrconf_ifdown`).";
        AddrGenMode = "addr_gen_mode", "0..=3 (`addrconf_sysctl_addr_gen_mode`).";
    }
}

knobs! {
    /// A neighbour parameter (`NEIGH_VAR_*` below `NEIGH_VAR_DATA_MAX`), named by its main sysctl.
    NeighVar {
        McastProbes = "mcast_solicit", "`mcast_solicit`.";
        UcastProbes = "ucast_solicit", "`ucast_solicit`.";
        AppProbes = "app_solicit", "`app_solicit`.";
        McastReprobes = "mcast_resolicit", "`mcast_resolicit`.";
        RetransTime = "retrans_time", "`retrans_time` (also `retrans_time_ms`).";
        BaseReachableTime = "base_reachable_time", "`base_reachable_time` (also `base_reachable_time_ms`).";
        DelayProbeTime = "delay_first_probe_time", "`delay_first_probe_time`.";
        IntervalProbeTimeMs = "interval_probe_time_ms", "`interval_probe_time_ms`.";
        GcStaletime = "gc_stale_time", "`gc_stale_time`.";
        QueueLenBytes = "unres_qlen_bytes", "`unres_qlen_bytes` (also `unres_qlen`, in packets).";
        ProxyQlen = "proxy_qlen", "`proxy_qlen`.";
        AnycastDelay = "anycast_delay", "`anycast_delay`.";
        ProxyDelay = "proxy_delay", "`proxy_delay`.";
        Locktime = "locktime", "`locktime`.";
    }
}

knobs! {
    /// A neighbour table knob, only under `neigh/default` of the initial namespace.
    NeighGc {
        GcInterval = "gc_interval", "`gc_interval`, shown in seconds.";
        GcThresh1 = "gc_thresh1", "`gc_thresh1`.";
        GcThresh2 = "gc_thresh2", "`gc_thresh2`.";
        GcThresh3 = "gc_thresh3", "`gc_thresh3`.";
    }
}

knobs! {
    /// A namespace-wide `net.ipv4` value (net/ipv4/sysctl_net_ipv4.c `ipv4_net_table`).
    GlobalKnob {
        IcmpEchoIgnoreAll = "icmp_echo_ignore_all", "0..=1, default 0.";
        IcmpEchoIgnoreBroadcasts = "icmp_echo_ignore_broadcasts", "0..=1, default 1.";
        IcmpRatelimit = "icmp_ratelimit", "Shown in milliseconds, default 1000.";
        IpDefaultTtl = "ip_default_ttl", "1..=255, default 64.";
        IpLocalPortRange = "ip_local_port_range", "Two ports; a [`Change`] packs them `high << 16 | low`.";
        IpNoPmtuDisc = "ip_no_pmtu_disc", "0..=255, default 0.";
        IpUnprivilegedPortStart = "ip_unprivileged_port_start", "0..=65535, default 1024; <= the port range low end.";
    }
}

const N4: usize = Ipv4Knob::ALL.len();
const N6: usize = Ipv6Knob::ALL.len();
const NN: usize = NeighVar::ALL.len();

/// Which knob a [`Change`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Knob {
    /// `net.ipv4.conf.*` (and `net.ipv4.ip_forward`, which is `conf.all.forwarding`).
    Ipv4(Ipv4Knob),
    /// `net.ipv6.conf.*`.
    Ipv6(Ipv6Knob),
    /// `net.ipv{4,6}.neigh.*`: the family is in [`Change::family`].
    Neigh(NeighVar),
    /// `net.ipv{4,6}.neigh.default.gc_*`.
    NeighGc(NeighGc),
    /// `net.ipv4.*` namespace-wide values.
    Global(GlobalKnob),
}

/// One value a write changed, so the stack can react (address flush on `disable_ipv6`, ...).
///
/// Values are the kernel's internal ones: time knobs in jiffies ([`HZ`]), `unres_qlen` as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// The protocol.
    pub family: Family,
    /// The knob.
    pub knob: Knob,
    /// Whose copy changed.
    pub target: Target,
    /// The value before.
    pub old: i64,
    /// The value after.
    pub new: i64,
}

/// A device's neighbour parameters in the units the stack uses (nanoseconds of virtual time).
///
/// Negative times (a user may write them) read as 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighParms {
    /// `mcast_solicit`: broadcast probes before giving up.
    pub mcast_probes: u32,
    /// `ucast_solicit`: unicast probes of a stale entry.
    pub ucast_probes: u32,
    /// `app_solicit`: probes via the user-space daemon.
    pub app_probes: u32,
    /// `mcast_resolicit`: broadcast probes after the unicast ones.
    pub mcast_reprobes: u32,
    /// `retrans_time`: between probes.
    pub retrans_time_ns: u64,
    /// `base_reachable_time`: REACHABLE lasts a random 0.5x..1.5x of it.
    pub base_reachable_time_ns: u64,
    /// `delay_first_probe_time`: DELAY before PROBE.
    pub delay_probe_time_ns: u64,
    /// `interval_probe_time_ms`: between probes of MANAGED entries.
    pub interval_probe_time_ns: u64,
    /// `gc_stale_time`: unused entries older than this may be collected.
    pub gc_staletime_ns: u64,
    /// `unres_qlen_bytes`: bytes queued on an unresolved entry.
    pub queue_len_bytes: u32,
    /// `proxy_qlen`: queued proxy requests.
    pub proxy_qlen: u32,
    /// `anycast_delay`: random delay of answers to anycast solicitations.
    pub anycast_delay_ns: u64,
    /// `proxy_delay`: random delay of proxy answers.
    pub proxy_delay_ns: u64,
    /// `locktime`: an entry is not overridden by another answer for this long.
    pub locktime_ns: u64,
}

/// A neighbour table's garbage-collection knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighGcParms {
    /// `gc_interval`.
    pub interval_ns: u64,
    /// `gc_thresh1`: no collection below this many entries.
    pub thresh1: u32,
    /// `gc_thresh2`: soft maximum.
    pub thresh2: u32,
    /// `gc_thresh3`: hard maximum.
    pub thresh3: u32,
}

/// How a knob's value is shown and parsed: which `proc_do*` handler the kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// `proc_dointvec` (and `_minmax`).
    Int,
    /// `proc_douintvec` / `proc_dou8vec_minmax`: negative values are EINVAL.
    Uint,
    /// `proc_dointvec_jiffies`: seconds.
    Jiffies,
    /// `proc_dointvec_ms_jiffies`: milliseconds.
    MsJiffies,
    /// `proc_dointvec_userhz_jiffies`: `USER_HZ` ticks.
    UserHz,
    /// `proc_unres_qlen`: packets of `SKB_TRUESIZE(ETH_FRAME_LEN)`, stored as bytes.
    Packets,
}

#[derive(Clone, Copy, Debug)]
struct Spec {
    unit: Unit,
    min: i64,
    max: i64,
}

const fn spec(unit: Unit, min: i64, max: i64) -> Spec {
    Spec { unit, min, max }
}

const INT: Spec = spec(Unit::Int, INT_MIN, INT_MAX);

/// How a write to an IPv4 devconf knob behaves (net/ipv4/devinet.c `devinet_sysctl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handler4 {
    /// `devinet_sysctl_forward`.
    Forward,
    /// `devinet_conf_proc`: sets the "written" bit; a `default` write propagates.
    Conf,
    /// `ipv4_doint_and_flush`: no bit, no propagation.
    Flush,
    /// Mode 0444.
    ReadOnly,
}

impl Ipv4Knob {
    const fn handler(self) -> Handler4 {
        match self {
            Ipv4Knob::Forwarding => Handler4::Forward,
            Ipv4Knob::McForwarding => Handler4::ReadOnly,
            Ipv4Knob::DisableXfrm
            | Ipv4Knob::DisablePolicy
            | Ipv4Knob::PromoteSecondaries
            | Ipv4Knob::RouteLocalnet
            | Ipv4Knob::DropUnicastInL2Multicast => Handler4::Flush,
            _ => Handler4::Conf,
        }
    }
}

impl Ipv6Knob {
    /// Handler and bounds from `addrconf_sysctl[]`; `mtu`'s upper bound is the device MTU.
    const fn spec(self) -> Spec {
        match self {
            Ipv6Knob::HopLimit => spec(Unit::Int, 1, 255),
            Ipv6Knob::Mtu => spec(Unit::Int, IPV6_MIN_MTU as i64, INT_MAX),
            Ipv6Knob::RouterSolicitations => spec(Unit::Int, -1, INT_MAX),
            Ipv6Knob::RouterSolicitationInterval
            | Ipv6Knob::RouterSolicitationMaxInterval
            | Ipv6Knob::RouterSolicitationDelay => spec(Unit::Jiffies, INT_MIN, INT_MAX),
            Ipv6Knob::Mldv1UnsolicitedReportInterval | Ipv6Knob::Mldv2UnsolicitedReportInterval => {
                spec(Unit::MsJiffies, INT_MIN, INT_MAX)
            }
            // check_addr_gen_mode: EUI64, NONE, STABLE_PRIVACY, RANDOM.
            Ipv6Knob::AddrGenMode => spec(Unit::Uint, 0, 3),
            _ => INT,
        }
    }
}

/// One file of a `neigh/<dev>` directory (net/core/neighbour.c `neigh_sysctl_template`).
#[derive(Debug)]
struct NeighEntry {
    name: &'static str,
    var: NeighVar,
    spec: Spec,
}

/// `unres_qlen_max`: `INT_MAX / SKB_TRUESIZE(ETH_FRAME_LEN)`.
const UNRES_QLEN_MAX: i64 = INT_MAX / SKB_TRUESIZE_ETH_FRAME;
const ZERO_INTMAX: Spec = spec(Unit::Int, 0, INT_MAX);
const NEIGH_ENTRIES: [NeighEntry; 17] = [
    NeighEntry { name: "mcast_solicit", var: NeighVar::McastProbes, spec: ZERO_INTMAX },
    NeighEntry { name: "ucast_solicit", var: NeighVar::UcastProbes, spec: ZERO_INTMAX },
    NeighEntry { name: "app_solicit", var: NeighVar::AppProbes, spec: ZERO_INTMAX },
    NeighEntry { name: "mcast_resolicit", var: NeighVar::McastReprobes, spec: ZERO_INTMAX },
    // IPv6 overrides this one with plain proc_dointvec (ndisc_ifinfo_sysctl_change).
    NeighEntry { name: "retrans_time", var: NeighVar::RetransTime, spec: spec(Unit::UserHz, INT_MIN, INT_MAX) },
    NeighEntry {
        name: "base_reachable_time",
        var: NeighVar::BaseReachableTime,
        spec: spec(Unit::Jiffies, INT_MIN, INT_MAX),
    },
    NeighEntry {
        name: "delay_first_probe_time",
        var: NeighVar::DelayProbeTime,
        spec: spec(Unit::Jiffies, INT_MIN, INT_MAX),
    },
    // neigh_proc_dointvec_ms_jiffies_positive: at least msecs_to_jiffies(1).
    NeighEntry {
        name: "interval_probe_time_ms",
        var: NeighVar::IntervalProbeTimeMs,
        spec: spec(Unit::MsJiffies, 1, INT_MAX),
    },
    NeighEntry { name: "gc_stale_time", var: NeighVar::GcStaletime, spec: spec(Unit::Jiffies, INT_MIN, INT_MAX) },
    NeighEntry { name: "unres_qlen_bytes", var: NeighVar::QueueLenBytes, spec: ZERO_INTMAX },
    NeighEntry { name: "proxy_qlen", var: NeighVar::ProxyQlen, spec: ZERO_INTMAX },
    NeighEntry { name: "anycast_delay", var: NeighVar::AnycastDelay, spec: spec(Unit::UserHz, INT_MIN, INT_MAX) },
    NeighEntry { name: "proxy_delay", var: NeighVar::ProxyDelay, spec: spec(Unit::UserHz, INT_MIN, INT_MAX) },
    NeighEntry { name: "locktime", var: NeighVar::Locktime, spec: spec(Unit::UserHz, INT_MIN, INT_MAX) },
    NeighEntry { name: "unres_qlen", var: NeighVar::QueueLenBytes, spec: spec(Unit::Packets, 0, UNRES_QLEN_MAX) },
    NeighEntry { name: "retrans_time_ms", var: NeighVar::RetransTime, spec: spec(Unit::MsJiffies, INT_MIN, INT_MAX) },
    NeighEntry {
        name: "base_reachable_time_ms",
        var: NeighVar::BaseReachableTime,
        spec: spec(Unit::MsJiffies, INT_MIN, INT_MAX),
    },
];

impl NeighEntry {
    fn spec(&self, family: Family) -> Spec {
        if family == Family::Inet6 && self.name == "retrans_time" { INT } else { self.spec }
    }
}

impl NeighGc {
    const fn spec(self) -> Spec {
        match self {
            NeighGc::GcInterval => spec(Unit::Jiffies, INT_MIN, INT_MAX),
            _ => ZERO_INTMAX,
        }
    }
}

impl GlobalKnob {
    const fn spec(self) -> Spec {
        match self {
            GlobalKnob::IcmpEchoIgnoreAll | GlobalKnob::IcmpEchoIgnoreBroadcasts => spec(Unit::Uint, 0, 1),
            GlobalKnob::IcmpRatelimit => spec(Unit::MsJiffies, INT_MIN, INT_MAX),
            GlobalKnob::IpDefaultTtl => spec(Unit::Uint, 1, 255),
            GlobalKnob::IpNoPmtuDisc => spec(Unit::Uint, 0, 255),
            GlobalKnob::IpLocalPortRange => spec(Unit::Int, 1, 65535),
            GlobalKnob::IpUnprivilegedPortStart => spec(Unit::Int, 0, 65535),
        }
    }
}

/// `struct ipv4_devconf`: the values and the per-knob "written" bits.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ipv4Conf {
    data: [i32; N4],
    state: u64,
}

impl Ipv4Conf {
    /// `ipv4_devconf` (`all`) and `ipv4_devconf_dflt` (net/ipv4/devinet.c).
    fn compiled(dflt: bool) -> Self {
        let mut c = Ipv4Conf { data: [0; N4], state: 0 };
        for (k, v) in [
            (Ipv4Knob::AcceptRedirects, 1),
            (Ipv4Knob::SendRedirects, 1),
            (Ipv4Knob::SecureRedirects, 1),
            (Ipv4Knob::SharedMedia, 1),
            (Ipv4Knob::Igmpv2UnsolicitedReportInterval, 10_000),
            (Ipv4Knob::Igmpv3UnsolicitedReportInterval, 1000),
            (Ipv4Knob::ArpEvictNocarrier, 1),
        ] {
            c.data[k as usize] = v;
        }
        if dflt {
            c.data[Ipv4Knob::AcceptSourceRoute as usize] = 1;
        }
        c
    }

    fn get(&self, k: Ipv4Knob) -> i32 {
        self.data[k as usize]
    }

    fn written(&self, k: Ipv4Knob) -> bool {
        self.state & (1 << k as u32) != 0
    }

    fn mark(&mut self, k: Ipv4Knob) {
        self.state |= 1 << k as u32;
    }
}

/// `struct ipv6_devconf` (the modelled fields).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ipv6Conf {
    data: [i32; N6],
}

impl Ipv6Conf {
    /// `ipv6_devconf` / `ipv6_devconf_dflt` (net/ipv6/addrconf.c); they differ only in accept_dad.
    fn compiled(dflt: bool) -> Self {
        let mut c = Ipv6Conf { data: [0; N6] };
        for (k, v) in [
            (Ipv6Knob::HopLimit, 64),
            (Ipv6Knob::Mtu, IPV6_MIN_MTU as i32),
            (Ipv6Knob::AcceptRa, 1),
            (Ipv6Knob::AcceptRedirects, 1),
            (Ipv6Knob::Autoconf, 1),
            (Ipv6Knob::DadTransmits, 1),
            (Ipv6Knob::RouterSolicitations, -1),
            (Ipv6Knob::RouterSolicitationInterval, 4 * HZ as i32),
            (Ipv6Knob::RouterSolicitationMaxInterval, 3600 * HZ as i32),
            (Ipv6Knob::RouterSolicitationDelay, HZ as i32),
            (Ipv6Knob::Mldv1UnsolicitedReportInterval, 10 * HZ as i32),
            (Ipv6Knob::Mldv2UnsolicitedReportInterval, HZ as i32),
            (Ipv6Knob::AcceptDad, i32::from(dflt)),
        ] {
            c.data[k as usize] = v;
        }
        c
    }

    fn get(&self, k: Ipv6Knob) -> i32 {
        self.data[k as usize]
    }
}

/// `struct neigh_parms`: `data[]` and `data_state`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NeighData {
    data: [i32; NN],
    state: u32,
}

impl NeighData {
    fn get(&self, v: NeighVar) -> i32 {
        self.data[v as usize]
    }
}

/// A `struct neigh_table`: the default parms and the gc knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NeighTable {
    parms: NeighData,
    gc_interval: i32,
    gc_thresh: [i32; 3],
}

impl NeighTable {
    /// `arp_tbl` (net/ipv4/arp.c) and `nd_tbl` (net/ipv6/ndisc.c); only `nd_tbl` has no locktime.
    fn compiled(family: Family) -> Self {
        let mut data = [0; NN];
        let hz = HZ as i32;
        for (v, x) in [
            (NeighVar::McastProbes, 3),
            (NeighVar::UcastProbes, 3),
            (NeighVar::RetransTime, hz),
            (NeighVar::BaseReachableTime, 30 * hz),
            (NeighVar::DelayProbeTime, 5 * hz),
            (NeighVar::IntervalProbeTimeMs, 5 * hz),
            (NeighVar::GcStaletime, 60 * hz),
            (NeighVar::QueueLenBytes, SK_WMEM_DEFAULT),
            (NeighVar::ProxyQlen, 64),
            (NeighVar::AnycastDelay, hz),
            (NeighVar::ProxyDelay, 8 * hz / 10),
            (NeighVar::Locktime, if family == Family::Inet { hz } else { 0 }),
        ] {
            data[v as usize] = x;
        }
        NeighTable { parms: NeighData { data, state: 0 }, gc_interval: 30 * hz, gc_thresh: [128, 512, 1024] }
    }
}

/// `struct in_device`: the IPv4 devconf and the ARP parms.
#[derive(Clone, Debug)]
struct InDev {
    cnf: Ipv4Conf,
    arp: NeighData,
}

/// `struct inet6_dev`: the IPv6 devconf and the ND parms.
#[derive(Clone, Debug)]
struct Inet6Dev {
    cnf: Ipv6Conf,
    nd: NeighData,
}

#[derive(Clone, Debug)]
struct Dev {
    flags: IfFlags,
    mtu: u32,
    v4: Option<InDev>,
    v6: Option<Inet6Dev>,
}

/// Namespace-wide values, in the kernel's internal units.
#[derive(Clone, Debug)]
struct Globals {
    icmp_echo_ignore_all: i32,
    icmp_echo_ignore_broadcasts: i32,
    icmp_ratelimit: i32,
    ip_default_ttl: i32,
    ip_local_port_range: [i32; 2],
    ip_no_pmtu_disc: i32,
    ip_unprivileged_port_start: i32,
}

impl Globals {
    /// `inet_init_net` and `icmp_sk_init` defaults.
    fn compiled() -> Self {
        Globals {
            icmp_echo_ignore_all: 0,
            icmp_echo_ignore_broadcasts: 1,
            icmp_ratelimit: HZ as i32,
            ip_default_ttl: 64,
            ip_local_port_range: [32768, 60999],
            ip_no_pmtu_disc: 0,
            ip_unprivileged_port_start: 1024,
        }
    }

    /// The value as a [`Change`] reports it.
    fn get(&self, k: GlobalKnob) -> i64 {
        let v = match k {
            GlobalKnob::IcmpEchoIgnoreAll => self.icmp_echo_ignore_all,
            GlobalKnob::IcmpEchoIgnoreBroadcasts => self.icmp_echo_ignore_broadcasts,
            GlobalKnob::IcmpRatelimit => self.icmp_ratelimit,
            GlobalKnob::IpDefaultTtl => self.ip_default_ttl,
            GlobalKnob::IpLocalPortRange => {
                return i64::from(self.ip_local_port_range[1]) << 16 | i64::from(self.ip_local_port_range[0]);
            }
            GlobalKnob::IpNoPmtuDisc => self.ip_no_pmtu_disc,
            GlobalKnob::IpUnprivilegedPortStart => self.ip_unprivileged_port_start,
        };
        v.into()
    }

    fn slot(&mut self, k: GlobalKnob) -> Option<&mut i32> {
        match k {
            GlobalKnob::IcmpEchoIgnoreAll => Some(&mut self.icmp_echo_ignore_all),
            GlobalKnob::IcmpEchoIgnoreBroadcasts => Some(&mut self.icmp_echo_ignore_broadcasts),
            GlobalKnob::IcmpRatelimit => Some(&mut self.icmp_ratelimit),
            GlobalKnob::IpDefaultTtl => Some(&mut self.ip_default_ttl),
            GlobalKnob::IpNoPmtuDisc => Some(&mut self.ip_no_pmtu_disc),
            GlobalKnob::IpLocalPortRange | GlobalKnob::IpUnprivilegedPortStart => None,
        }
    }
}

/// A resolved sysctl file.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Conf4(Target, Ipv4Knob),
    Conf6(Target, Ipv6Knob),
    Neigh(Family, Target, usize),
    Gc(Family, NeighGc),
    Global(GlobalKnob),
}

/// One namespace's networking sysctls. See the module documentation.
#[derive(Clone, Debug)]
pub struct Sysctls {
    /// `neigh/default` and the gc knobs exist only in `init_net`.
    init_net: bool,
    v4_all: Ipv4Conf,
    v4_dflt: Ipv4Conf,
    v6_all: Ipv6Conf,
    v6_dflt: Ipv6Conf,
    /// `arp_tbl`, `nd_tbl`.
    neigh: [NeighTable; 2],
    globals: Globals,
    devs: BTreeMap<u32, Dev>,
}

impl Default for Sysctls {
    fn default() -> Self {
        Self::new()
    }
}

/// Record and apply one value change.
fn put(out: &mut Vec<Change>, family: Family, knob: Knob, target: Target, slot: &mut i32, new: i32) {
    if *slot != new {
        out.push(Change { family, knob, target, old: (*slot).into(), new: new.into() });
        *slot = new;
    }
}

const fn fam_idx(family: Family) -> usize {
    match family {
        Family::Inet => 0,
        Family::Inet6 => 1,
    }
}

fn ns(jiffies: i32) -> u64 {
    u64::try_from(jiffies).unwrap_or(0) * NSEC_PER_JIFFY
}

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

impl Sysctls {
    /// The initial namespace with the compiled-in defaults (`devinet_init_net`,
    /// `addrconf_init_net` and the neighbour tables for `init_net`).
    pub fn new() -> Self {
        Sysctls {
            init_net: true,
            v4_all: Ipv4Conf::compiled(false),
            v4_dflt: Ipv4Conf::compiled(true),
            v6_all: Ipv6Conf::compiled(false),
            v6_dflt: Ipv6Conf::compiled(true),
            neigh: [NeighTable::compiled(Family::Inet), NeighTable::compiled(Family::Inet6)],
            globals: Globals::compiled(),
            devs: BTreeMap::new(),
        }
    }

    /// A new namespace with `net.core.devconf_inherit_init_net=0`: IPv4 `all` and `default` are
    /// copied from `init` (`devinet_init_net`, case 0), IPv6 uses the compiled-in values
    /// (`addrconf_init_net`, cases 0 and 2), and the namespace-wide values are compiled-in
    /// (`inet_init_net`, `icmp_sk_init`). It has no `neigh/default`; its devices copy `init`'s (the
    /// neighbour tables are global).
    pub fn new_inherit(init: &Sysctls) -> Self {
        Sysctls {
            init_net: false,
            v4_all: init.v4_all.clone(),
            v4_dflt: init.v4_dflt.clone(),
            neigh: init.neigh.clone(),
            ..Self::new()
        }
    }

    /// A device was registered (`inetdev_event`/`addrconf_notify` on `NETDEV_REGISTER`).
    ///
    /// IPv4: `inetdev_init` copies `conf/default` with its "written" bits; a loopback device gets
    /// `disable_xfrm` and `disable_policy` set. IPv6 (`ipv6_add_dev`), only if `mtu` >= 1280:
    /// copies `conf/default`, `mtu` is the device's, `accept_dad` is -1 on loopback and NOARP
    /// devices, `use_tempaddr` -1 on loopback. Neighbour parms copy the table default with no bit
    /// set (`neigh_parms_alloc`).
    pub fn add_dev(&mut self, ifindex: u32, flags: IfFlags, mtu: u32) {
        let mut dev = Dev { flags, mtu, v4: Some(self.inetdev_init()), v6: None };
        if let (Some(in_dev), true) = (&mut dev.v4, flags.contains(IfFlags::LOOPBACK)) {
            for k in [Ipv4Knob::DisableXfrm, Ipv4Knob::DisablePolicy] {
                in_dev.cnf.data[k as usize] = 1;
                in_dev.cnf.mark(k);
            }
        }
        if mtu >= IPV6_MIN_MTU {
            dev.v6 = Some(self.ipv6_add_dev(flags, mtu));
        }
        self.devs.insert(ifindex, dev);
    }

    /// A device was unregistered: its `conf/<dev>` and `neigh/<dev>` directories go.
    pub fn del_dev(&mut self, ifindex: u32) {
        self.devs.remove(&ifindex);
    }

    /// The device's MTU changed (`NETDEV_CHANGEMTU`).
    ///
    /// IPv4 (`inetdev_event`): below 68 the IPv4 configuration is destroyed, and made afresh
    /// from `default` when the MTU is valid again. IPv6 (`addrconf_notify`): below 1280 it is
    /// destroyed (loopback keeps it), otherwise `mtu` follows the device or a new one is made.
    pub fn dev_mtu_changed(&mut self, ifindex: u32, mtu: u32) {
        let fresh4 = self.inetdev_init();
        let Some(flags) = self.devs.get(&ifindex).map(|d| d.flags) else { return };
        let fresh6 = self.ipv6_add_dev(flags, mtu);
        let Some(dev) = self.devs.get_mut(&ifindex) else { return };
        dev.mtu = mtu;
        match (&dev.v4, mtu >= IPV4_MIN_MTU) {
            (Some(_), false) => dev.v4 = None,
            (None, true) => dev.v4 = Some(fresh4),
            _ => {}
        }
        if mtu < IPV6_MIN_MTU {
            if !flags.contains(IfFlags::LOOPBACK) {
                dev.v6 = None;
            }
        } else if let Some(idev) = &mut dev.v6 {
            idev.cnf.data[Ipv6Knob::Mtu as usize] = i32::try_from(mtu).unwrap_or(i32::MAX);
        } else {
            dev.v6 = Some(fresh6);
        }
    }

    /// An IPv4 address was added to the device (`inet_rtm_to_ifa`, `inet_set_ifa`, loopback's
    /// `NETDEV_UP`): every devconf and ARP knob counts as written from now on
    /// (`ipv4_devconf_setall`, `neigh_parms_data_state_setall`), so `default` no longer reaches it.
    pub fn inet_addr_added(&mut self, ifindex: u32) {
        if let Some(in_dev) = self.devs.get_mut(&ifindex).and_then(|d| d.v4.as_mut()) {
            in_dev.cnf.state = u64::MAX;
            in_dev.arp.state = u32::MAX;
        }
    }

    /// An IPv6 address was added to the device, link-local ones included (`ipv6_add_addr`): every
    /// ND knob counts as written from now on (`neigh_parms_data_state_setall`).
    pub fn inet6_addr_added(&mut self, ifindex: u32) {
        if let Some(idev) = self.devs.get_mut(&ifindex).and_then(|d| d.v6.as_mut()) {
            idev.nd.state = u32::MAX;
        }
    }

    fn inetdev_init(&self) -> InDev {
        InDev { cnf: self.v4_dflt.clone(), arp: self.neigh_parms_alloc(Family::Inet) }
    }

    fn ipv6_add_dev(&self, flags: IfFlags, mtu: u32) -> Inet6Dev {
        let mut cnf = self.v6_dflt.clone();
        cnf.data[Ipv6Knob::Mtu as usize] = i32::try_from(mtu).unwrap_or(i32::MAX);
        if flags.intersects(IfFlags::NOARP | IfFlags::LOOPBACK) {
            cnf.data[Ipv6Knob::AcceptDad as usize] = -1;
        }
        if flags.contains(IfFlags::LOOPBACK) {
            cnf.data[Ipv6Knob::UseTempaddr as usize] = -1;
        }
        Inet6Dev { cnf, nd: self.neigh_parms_alloc(Family::Inet6) }
    }

    fn neigh_parms_alloc(&self, family: Family) -> NeighData {
        NeighData { state: 0, ..self.neigh[fam_idx(family)].parms.clone() }
    }

    // ---- typed accessors for the stack ------------------------------------------------------

    /// The IPv4 devconf copy of `target`, if it exists (`all`, `default`, or a device with IPv4).
    fn conf4(&self, target: Target) -> Option<&Ipv4Conf> {
        match target {
            Target::All => Some(&self.v4_all),
            Target::Default => Some(&self.v4_dflt),
            Target::Dev(i) => self.devs.get(&i).and_then(|d| d.v4.as_ref()).map(|d| &d.cnf),
            Target::Netns => None,
        }
    }

    fn conf6(&self, target: Target) -> Option<&Ipv6Conf> {
        match target {
            Target::All => Some(&self.v6_all),
            Target::Default => Some(&self.v6_dflt),
            Target::Dev(i) => self.devs.get(&i).and_then(|d| d.v6.as_ref()).map(|d| &d.cnf),
            Target::Netns => None,
        }
    }

    /// One raw IPv4 devconf value (`IPV4_DEVCONF`), or None if that copy does not exist.
    pub fn ipv4_conf(&self, target: Target, knob: Ipv4Knob) -> Option<i32> {
        self.conf4(target).map(|c| c.get(knob))
    }

    /// One raw IPv6 devconf value, or None if that copy does not exist (no `inet6_dev`).
    pub fn ipv6_conf(&self, target: Target, knob: Ipv6Knob) -> Option<i32> {
        self.conf6(target).map(|c| c.get(knob))
    }

    /// (all, device) values; an unknown device (no `in_device`) reads as all zeros.
    fn pair(&self, ifindex: u32, k: Ipv4Knob) -> (i32, i32) {
        (self.v4_all.get(k), self.ipv4_conf(Target::Dev(ifindex), k).unwrap_or(0))
    }

    fn max4(&self, ifindex: u32, k: Ipv4Knob) -> i32 {
        let (all, dev) = self.pair(ifindex, k);
        all.max(dev)
    }

    fn or4(&self, ifindex: u32, k: Ipv4Knob) -> bool {
        let (all, dev) = self.pair(ifindex, k);
        all != 0 || dev != 0
    }

    fn and4(&self, ifindex: u32, k: Ipv4Knob) -> bool {
        let (all, dev) = self.pair(ifindex, k);
        all != 0 && dev != 0
    }

    /// `IN_DEV_FORWARD`: the device's own value only.
    pub fn forwarding(&self, ifindex: u32) -> bool {
        self.pair(ifindex, Ipv4Knob::Forwarding).1 != 0
    }

    /// `IN_DEV_MFORWARD`: AND.
    pub fn mc_forwarding(&self, ifindex: u32) -> bool {
        self.and4(ifindex, Ipv4Knob::McForwarding)
    }

    /// `IN_DEV_BFORWARD`: AND.
    pub fn bc_forwarding(&self, ifindex: u32) -> bool {
        self.and4(ifindex, Ipv4Knob::BcForwarding)
    }

    /// `IN_DEV_RPFILTER`: MAX (0 off, 1 strict, 2 loose).
    pub fn rp_filter(&self, ifindex: u32) -> i32 {
        self.max4(ifindex, Ipv4Knob::RpFilter)
    }

    /// `IN_DEV_ACCEPT_LOCAL`: OR.
    pub fn accept_local(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::AcceptLocal)
    }

    /// `IN_DEV_ROUTE_LOCALNET`: OR.
    pub fn route_localnet(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::RouteLocalnet)
    }

    /// `IN_DEV_ARP_IGNORE`: MAX.
    pub fn arp_ignore(&self, ifindex: u32) -> i32 {
        self.max4(ifindex, Ipv4Knob::ArpIgnore)
    }

    /// `IN_DEV_ARP_ANNOUNCE`: MAX.
    pub fn arp_announce(&self, ifindex: u32) -> i32 {
        self.max4(ifindex, Ipv4Knob::ArpAnnounce)
    }

    /// `IN_DEV_ARPFILTER`: OR.
    pub fn arp_filter(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::ArpFilter)
    }

    /// `IN_DEV_ARP_ACCEPT`: MAX (0, 1, or 2 = only from a configured subnet).
    pub fn arp_accept(&self, ifindex: u32) -> i32 {
        self.max4(ifindex, Ipv4Knob::ArpAccept)
    }

    /// `IN_DEV_ARP_NOTIFY`: MAX.
    pub fn arp_notify(&self, ifindex: u32) -> i32 {
        self.max4(ifindex, Ipv4Knob::ArpNotify)
    }

    /// `IN_DEV_ARP_EVICT_NOCARRIER`: AND.
    pub fn arp_evict_nocarrier(&self, ifindex: u32) -> bool {
        self.and4(ifindex, Ipv4Knob::ArpEvictNocarrier)
    }

    /// `IN_DEV_PROXY_ARP`: OR.
    pub fn proxy_arp(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::ProxyArp)
    }

    /// `IN_DEV_PROXY_ARP_PVLAN`: OR (since 5.10; per device before).
    pub fn proxy_arp_pvlan(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::ProxyArpPvlan)
    }

    /// `IN_DEV_MEDIUM_ID`: the device's own value only.
    pub fn medium_id(&self, ifindex: u32) -> i32 {
        self.pair(ifindex, Ipv4Knob::MediumId).1
    }

    /// `IN_DEV_ORCONF(DROP_GRATUITOUS_ARP)`: OR.
    pub fn drop_gratuitous_arp(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::DropGratuitousArp)
    }

    /// `IN_DEV_ORCONF(DROP_UNICAST_IN_L2_MULTICAST)`: OR.
    pub fn drop_unicast_in_l2_multicast(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::DropUnicastInL2Multicast)
    }

    /// `IN_DEV_LOG_MARTIANS`: OR.
    pub fn log_martians(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::LogMartians)
    }

    /// `IN_DEV_TX_REDIRECTS`: OR.
    pub fn send_redirects(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::SendRedirects)
    }

    /// `IN_DEV_RX_REDIRECTS`: AND while the device forwards, OR while it does not.
    pub fn accept_redirects(&self, ifindex: u32) -> bool {
        if self.forwarding(ifindex) {
            self.and4(ifindex, Ipv4Knob::AcceptRedirects)
        } else {
            self.or4(ifindex, Ipv4Knob::AcceptRedirects)
        }
    }

    /// `IN_DEV_SEC_REDIRECTS`: OR.
    pub fn secure_redirects(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::SecureRedirects)
    }

    /// `IN_DEV_SHARED_MEDIA`: OR.
    pub fn shared_media(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::SharedMedia)
    }

    /// `IN_DEV_PROMOTE_SECONDARIES`: OR.
    pub fn promote_secondaries(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::PromoteSecondaries)
    }

    /// `IN_DEV_SOURCE_ROUTE`: AND.
    pub fn accept_source_route(&self, ifindex: u32) -> bool {
        self.and4(ifindex, Ipv4Knob::AcceptSourceRoute)
    }

    /// `IN_DEV_SRC_VMARK`: OR.
    pub fn src_valid_mark(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::SrcValidMark)
    }

    /// `IN_DEV_IGNORE_ROUTES_WITH_LINKDOWN`: OR.
    pub fn ignore_routes_with_linkdown(&self, ifindex: u32) -> bool {
        self.or4(ifindex, Ipv4Knob::IgnoreRoutesWithLinkdown)
    }

    /// IPv6 `forwarding` of the device (`idev->cnf.forwarding`); false without an `inet6_dev`.
    pub fn ipv6_forwarding(&self, ifindex: u32) -> bool {
        self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::Forwarding).is_some_and(|v| v != 0)
    }

    /// IPv6 is off on the device: `disable_ipv6` set, or no `inet6_dev` (MTU below 1280).
    pub fn ipv6_disabled(&self, ifindex: u32) -> bool {
        self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::DisableIpv6).is_none_or(|v| v != 0)
    }

    /// The device's IPv6 MTU (`mtu6`), if it has an `inet6_dev`.
    pub fn ipv6_mtu(&self, ifindex: u32) -> Option<u32> {
        self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::Mtu).and_then(|v| u32::try_from(v).ok())
    }

    /// The device's IPv6 `hop_limit`, if it has an `inet6_dev`.
    pub fn ipv6_hop_limit(&self, ifindex: u32) -> Option<u8> {
        self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::HopLimit).and_then(|v| u8::try_from(v).ok())
    }

    /// MAX of `all` and the device's `accept_dad` (`addrconf_dad_begin`: DAD runs when it is
    /// >= 1; `addrconf_dad_work`: > 1 disables IPv6 on a MAC-based link-local collision).
    pub fn ipv6_accept_dad(&self, ifindex: u32) -> i32 {
        let dev = self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::AcceptDad).unwrap_or(0);
        self.v6_all.get(Ipv6Knob::AcceptDad).max(dev)
    }

    /// OR of `all` and the device's `ndisc_notify` (`addrconf_dad_completed`).
    pub fn ipv6_ndisc_notify(&self, ifindex: u32) -> bool {
        let dev = self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::NdiscNotify).unwrap_or(0);
        self.v6_all.get(Ipv6Knob::NdiscNotify) != 0 || dev != 0
    }

    /// `keep_addr_on_down` as `addrconf_ifdown` reads it: `all` if non-zero, else the device's; > 0.
    pub fn ipv6_keep_addr_on_down(&self, ifindex: u32) -> bool {
        let all = self.v6_all.get(Ipv6Knob::KeepAddrOnDown);
        let v =
            if all != 0 { all } else { self.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::KeepAddrOnDown).unwrap_or(0) };
        v > 0
    }

    /// The neighbour parameters the device's entries use (`in_dev->arp_parms`,
    /// `idev->nd_parms`), or the table default when the device has none.
    pub fn neigh_parms(&self, family: Family, ifindex: u32) -> NeighParms {
        let p = self.dev_parms(family, ifindex).unwrap_or(&self.neigh[fam_idx(family)].parms);
        NeighParms {
            mcast_probes: count(p.get(NeighVar::McastProbes)),
            ucast_probes: count(p.get(NeighVar::UcastProbes)),
            app_probes: count(p.get(NeighVar::AppProbes)),
            mcast_reprobes: count(p.get(NeighVar::McastReprobes)),
            retrans_time_ns: ns(p.get(NeighVar::RetransTime)),
            base_reachable_time_ns: ns(p.get(NeighVar::BaseReachableTime)),
            delay_probe_time_ns: ns(p.get(NeighVar::DelayProbeTime)),
            interval_probe_time_ns: ns(p.get(NeighVar::IntervalProbeTimeMs)),
            gc_staletime_ns: ns(p.get(NeighVar::GcStaletime)),
            queue_len_bytes: count(p.get(NeighVar::QueueLenBytes)),
            proxy_qlen: count(p.get(NeighVar::ProxyQlen)),
            anycast_delay_ns: ns(p.get(NeighVar::AnycastDelay)),
            proxy_delay_ns: ns(p.get(NeighVar::ProxyDelay)),
            locktime_ns: ns(p.get(NeighVar::Locktime)),
        }
    }

    /// The table's garbage-collection knobs (global: a child namespace sees `init_net`'s).
    pub fn neigh_gc(&self, family: Family) -> NeighGcParms {
        let t = &self.neigh[fam_idx(family)];
        NeighGcParms {
            interval_ns: ns(t.gc_interval),
            thresh1: count(t.gc_thresh[0]),
            thresh2: count(t.gc_thresh[1]),
            thresh3: count(t.gc_thresh[2]),
        }
    }

    fn dev_parms(&self, family: Family, ifindex: u32) -> Option<&NeighData> {
        let dev = self.devs.get(&ifindex)?;
        match family {
            Family::Inet => dev.v4.as_ref().map(|d| &d.arp),
            Family::Inet6 => dev.v6.as_ref().map(|d| &d.nd),
        }
    }

    /// `net.ipv4.ip_forward` (= `conf/all/forwarding`).
    pub fn ip_forward(&self) -> bool {
        self.v4_all.get(Ipv4Knob::Forwarding) != 0
    }

    /// `net.ipv4.ip_default_ttl`.
    pub fn ip_default_ttl(&self) -> u8 {
        u8::try_from(self.globals.ip_default_ttl).unwrap_or(64)
    }

    /// `net.ipv4.icmp_echo_ignore_all`.
    pub fn icmp_echo_ignore_all(&self) -> bool {
        self.globals.icmp_echo_ignore_all != 0
    }

    /// `net.ipv4.icmp_echo_ignore_broadcasts`.
    pub fn icmp_echo_ignore_broadcasts(&self) -> bool {
        self.globals.icmp_echo_ignore_broadcasts != 0
    }

    /// `net.ipv4.icmp_ratelimit`: the minimum gap between rate-limited ICMP messages.
    pub fn icmp_ratelimit_ns(&self) -> u64 {
        ns(self.globals.icmp_ratelimit)
    }

    /// `net.ipv4.ip_no_pmtu_disc` (0..=3 are meaningful).
    pub fn ip_no_pmtu_disc(&self) -> u8 {
        u8::try_from(self.globals.ip_no_pmtu_disc).unwrap_or(0)
    }

    /// `net.ipv4.ip_local_port_range`: (low, high), inclusive.
    pub fn ip_local_port_range(&self) -> (u16, u16) {
        let [lo, hi] = self.globals.ip_local_port_range;
        (u16::try_from(lo).unwrap_or(32768), u16::try_from(hi).unwrap_or(60999))
    }

    /// `net.ipv4.ip_unprivileged_port_start`.
    pub fn ip_unprivileged_port_start(&self) -> u16 {
        u16::try_from(self.globals.ip_unprivileged_port_start).unwrap_or(1024)
    }

    // ---- the text interface -------------------------------------------------------------------

    /// The value of `name`, as `sysctl -n` prints it and `cat /proc/sys/...` shows it (without
    /// the trailing newline; a value list is tab-separated).
    ///
    /// `name` is `net.ipv4.conf.eth0.arp_ignore`, `net/ipv4/conf/eth0/arp_ignore` or
    /// `/proc/sys/net/ipv4/conf/eth0/arp_ignore`; in the dotted form a dot inside a device name
    /// is written `/` (`net.ipv4.conf.eth0/100.rp_filter`), as procps `sysctl` does. ENOENT for
    /// anything that is not a modelled file.
    pub fn read(&self, name: &str, dev_by_name: impl Fn(&str) -> Option<u32>) -> Result<String, Errno> {
        let entry = self.resolve(name, &dev_by_name)?;
        Ok(self.show(entry))
    }

    /// Write `value` to `name` (forms as for [`Sysctls::read`]) and return every value that
    /// changed as a result, side effects included.
    ///
    /// ENOENT for an unknown name; EINVAL for a value the kernel's handler rejects (not an
    /// integer, out of range); EACCES for a read-only knob. Some handlers have side effects even
    /// when they reject the value, and some never reject one; both are documented where applied.
    pub fn write(
        &mut self,
        name: &str,
        value: &str,
        dev_by_name: impl Fn(&str) -> Option<u32>,
    ) -> Result<Vec<Change>, Errno> {
        match self.resolve(name, &dev_by_name)? {
            Entry::Conf4(t, k) => self.write_conf4(t, k, value),
            Entry::Conf6(t, k) => self.write_conf6(t, k, value),
            Entry::Neigh(f, t, i) => self.write_neigh(f, t, i, value),
            Entry::Gc(f, k) => self.write_gc(f, k, value),
            Entry::Global(k) => self.write_global(k, value),
        }
    }

    /// Every modelled name and value, in the order `sysctl -a` prints them (see the module
    /// documentation), names in the dotted form.
    pub fn list(&self, dev_name: impl Fn(u32) -> String) -> Vec<(String, String)> {
        let mut all: Vec<(Vec<String>, Entry)> = Vec::new();
        let mut add = |path: &[&str], e: Entry| all.push((path.iter().map(|s| (*s).to_owned()).collect(), e));
        add(&["net", "ipv4", "ip_forward"], Entry::Conf4(Target::All, Ipv4Knob::Forwarding));
        for &k in GlobalKnob::ALL {
            add(&["net", "ipv4", k.name()], Entry::Global(k));
        }
        let mut scopes = vec![("all".to_owned(), Target::All), ("default".to_owned(), Target::Default)];
        scopes.extend(self.devs.keys().map(|&i| (dev_name(i), Target::Dev(i))));
        for (s, t) in &scopes {
            if self.conf4(*t).is_some() {
                for &k in Ipv4Knob::ALL {
                    add(&["net", "ipv4", "conf", s, k.name()], Entry::Conf4(*t, k));
                }
            }
            if self.conf6(*t).is_some() {
                for &k in Ipv6Knob::ALL {
                    add(&["net", "ipv6", "conf", s, k.name()], Entry::Conf6(*t, k));
                }
            }
            for f in [Family::Inet, Family::Inet6] {
                if self.parms(f, *t).is_some() {
                    for (i, e) in NEIGH_ENTRIES.iter().enumerate() {
                        add(&["net", f.dir(), "neigh", s, e.name], Entry::Neigh(f, *t, i));
                    }
                    if *t == Target::Default {
                        for &k in NeighGc::ALL {
                            add(&["net", f.dir(), "neigh", s, k.name()], Entry::Gc(f, k));
                        }
                    }
                }
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter()
            .map(|(path, e)| {
                let name = path.iter().map(|c| c.replace('.', "/")).collect::<Vec<_>>().join(".");
                (name, self.show(e))
            })
            .collect()
    }

    fn resolve(&self, name: &str, dev_by_name: &dyn Fn(&str) -> Option<u32>) -> Result<Entry, Errno> {
        let path = components(name);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let target = |dev: &str| match dev {
            "all" => Some(Target::All),
            "default" => Some(Target::Default),
            // A device named "all" or "default" cannot exist (sysctl_dev_name_is_allowed).
            name => dev_by_name(name).map(Target::Dev),
        };
        let entry = match path.as_slice() {
            ["net", "ipv4", "ip_forward"] => Some(Entry::Conf4(Target::All, Ipv4Knob::Forwarding)),
            ["net", "ipv4", "conf", dev, knob] => target(dev)
                .filter(|&t| self.conf4(t).is_some())
                .and_then(|t| Ipv4Knob::from_name(knob).map(|k| Entry::Conf4(t, k))),
            ["net", "ipv6", "conf", dev, knob] => target(dev)
                .filter(|&t| self.conf6(t).is_some())
                .and_then(|t| Ipv6Knob::from_name(knob).map(|k| Entry::Conf6(t, k))),
            ["net", fam @ ("ipv4" | "ipv6"), "neigh", dev, knob] => {
                let f = if *fam == "ipv4" { Family::Inet } else { Family::Inet6 };
                let t = target(dev).unwrap_or(Target::Netns);
                match (self.parms(f, t), NEIGH_ENTRIES.iter().position(|e| e.name == *knob)) {
                    (Some(_), Some(i)) => Some(Entry::Neigh(f, t, i)),
                    (Some(_), None) if t == Target::Default => NeighGc::from_name(knob).map(|k| Entry::Gc(f, k)),
                    _ => None,
                }
            }
            ["net", "ipv4", knob] => GlobalKnob::from_name(knob).map(Entry::Global),
            _ => None,
        };
        entry.ok_or(Errno::Enoent)
    }

    /// The neighbour parms behind `neigh/<target>`: `default` only in `init_net`, no `all`.
    fn parms(&self, family: Family, target: Target) -> Option<&NeighData> {
        match target {
            Target::Default if self.init_net => Some(&self.neigh[fam_idx(family)].parms),
            Target::Dev(i) => self.dev_parms(family, i),
            _ => None,
        }
    }

    fn show(&self, entry: Entry) -> String {
        match entry {
            Entry::Conf4(t, k) => self.ipv4_conf(t, k).map_or_else(String::new, |v| show(Unit::Int, v)),
            Entry::Conf6(t, k) => self.ipv6_conf(t, k).map_or_else(String::new, |v| show(k.spec().unit, v)),
            Entry::Neigh(f, t, i) => {
                let e = &NEIGH_ENTRIES[i];
                self.parms(f, t).map_or_else(String::new, |p| show(e.spec(f).unit, p.get(e.var)))
            }
            Entry::Gc(f, k) => {
                let t = &self.neigh[fam_idx(f)];
                let v = match k {
                    NeighGc::GcInterval => t.gc_interval,
                    NeighGc::GcThresh1 => t.gc_thresh[0],
                    NeighGc::GcThresh2 => t.gc_thresh[1],
                    NeighGc::GcThresh3 => t.gc_thresh[2],
                };
                show(k.spec().unit, v)
            }
            Entry::Global(GlobalKnob::IpLocalPortRange) => {
                let [lo, hi] = self.globals.ip_local_port_range;
                format!("{lo}\t{hi}")
            }
            Entry::Global(k) => show(k.spec().unit, i32::try_from(self.globals.get(k)).unwrap_or_default()),
        }
    }

    fn conf4_mut(&mut self, target: Target) -> Option<&mut Ipv4Conf> {
        match target {
            Target::All => Some(&mut self.v4_all),
            Target::Default => Some(&mut self.v4_dflt),
            Target::Dev(i) => self.devs.get_mut(&i).and_then(|d| d.v4.as_mut()).map(|d| &mut d.cnf),
            Target::Netns => None,
        }
    }

    fn conf6_mut(&mut self, target: Target) -> Option<&mut Ipv6Conf> {
        match target {
            Target::All => Some(&mut self.v6_all),
            Target::Default => Some(&mut self.v6_dflt),
            Target::Dev(i) => self.devs.get_mut(&i).and_then(|d| d.v6.as_mut()).map(|d| &mut d.cnf),
            Target::Netns => None,
        }
    }

    fn set4(&mut self, out: &mut Vec<Change>, target: Target, k: Ipv4Knob, v: i32) {
        if let Some(c) = self.conf4_mut(target) {
            put(out, Family::Inet, Knob::Ipv4(k), target, &mut c.data[k as usize], v);
        }
    }

    fn set6(&mut self, out: &mut Vec<Change>, target: Target, k: Ipv6Knob, v: i32) {
        if let Some(c) = self.conf6_mut(target) {
            put(out, Family::Inet6, Knob::Ipv6(k), target, &mut c.data[k as usize], v);
        }
    }

    fn dev_targets(&self) -> Vec<Target> {
        self.devs.keys().map(|&i| Target::Dev(i)).collect()
    }

    /// An IPv4 devconf write, by the knob's handler (net/ipv4/devinet.c).
    fn write_conf4(&mut self, target: Target, k: Ipv4Knob, value: &str) -> Result<Vec<Change>, Errno> {
        let parsed = parse(value, INT);
        let mut out = Vec::new();
        match k.handler() {
            Handler4::ReadOnly => return Err(Errno::Eacces),
            // devinet_sysctl_forward: nothing happens unless the value changes, and a device or
            // `default` write sets no "written" bit and reaches nothing else.
            Handler4::Forward => {
                let new = parsed?;
                if self.ipv4_conf(target, k) == Some(new) {
                    return Ok(out);
                }
                self.set4(&mut out, target, k, new);
                if target == Target::All {
                    // inet_forward_change: no loopback exception; every device's bit is set.
                    self.set4(&mut out, Target::All, Ipv4Knob::AcceptRedirects, i32::from(new == 0));
                    self.set4(&mut out, Target::Default, k, new);
                    for t in self.dev_targets() {
                        self.set4(&mut out, t, k, new);
                        if let Some(c) = self.conf4_mut(t) {
                            c.mark(k);
                        }
                    }
                }
            }
            // devinet_conf_proc: the bit is set and `default` is copied to devices whose bit is
            // clear even when proc_dointvec rejected the value.
            Handler4::Conf => {
                if let Ok(v) = parsed {
                    self.set4(&mut out, target, k, v);
                }
                if let Some(c) = self.conf4_mut(target) {
                    c.mark(k);
                }
                if target == Target::Default {
                    // devinet_copy_dflt_conf
                    let v = self.v4_dflt.get(k);
                    for t in self.dev_targets() {
                        if self.conf4(t).is_some_and(|c| !c.written(k)) {
                            self.set4(&mut out, t, k, v);
                        }
                    }
                }
                parsed?;
            }
            // ipv4_doint_and_flush
            Handler4::Flush => self.set4(&mut out, target, k, parsed?),
        }
        Ok(out)
    }

    /// An IPv6 devconf write (net/ipv6/addrconf.c `addrconf_sysctl[]`). IPv6 has no "written"
    /// bits: `default` reaches only devices made later.
    fn write_conf6(&mut self, target: Target, k: Ipv6Knob, value: &str) -> Result<Vec<Change>, Errno> {
        let mut out = Vec::new();
        let old = self.ipv6_conf(target, k).ok_or(Errno::Enoent)?;
        match k {
            // addrconf_sysctl_forward, _disable, _ignore_routes_with_linkdown parse into a copy
            // and then call the fixup whatever proc_dointvec said, whose return value replaces
            // the error: a bad value re-applies the current one. `all` also sets `default` and
            // every device (addrconf_fixup_forwarding, addrconf_disable_ipv6,
            // addrconf_fixup_linkdown), even when the value does not change.
            Ipv6Knob::Forwarding | Ipv6Knob::DisableIpv6 | Ipv6Knob::IgnoreRoutesWithLinkdown => {
                let new = parse(value, INT).unwrap_or(old);
                self.set6(&mut out, target, k, new);
                if target == Target::All {
                    self.set6(&mut out, Target::Default, k, new);
                    for t in self.dev_targets() {
                        self.set6(&mut out, t, k, new);
                    }
                }
            }
            // addrconf_sysctl_addr_gen_mode: stable privacy needs a stable_secret on a device.
            Ipv6Knob::AddrGenMode => {
                let new = parse(value, k.spec())?;
                if matches!(target, Target::Dev(_)) && i64::from(new) == ADDR_GEN_MODE_STABLE_PRIVACY {
                    return Err(Errno::Einval);
                }
                if target == Target::All {
                    self.set6(&mut out, Target::Default, k, new);
                    for t in self.dev_targets() {
                        self.set6(&mut out, t, k, new);
                    }
                }
                self.set6(&mut out, target, k, new);
            }
            // addrconf_sysctl_mtu: a device's upper bound is the device MTU.
            Ipv6Knob::Mtu => {
                let mut s = k.spec();
                if let Target::Dev(i) = target {
                    s.max = self.devs.get(&i).map_or(INT_MAX, |d| i64::from(d.mtu));
                }
                let new = parse(value, s)?;
                self.set6(&mut out, target, k, new);
            }
            _ => {
                let new = parse(value, k.spec())?;
                self.set6(&mut out, target, k, new);
            }
        }
        Ok(out)
    }

    /// A neighbour parms write: the handler, then `neigh_proc_update`, which runs whether or not
    /// the handler accepted the value: it sets the bit and copies a `default` value to every
    /// device of the family whose bit is clear (`neigh_copy_dflt_parms`).
    fn write_neigh(&mut self, f: Family, target: Target, i: usize, value: &str) -> Result<Vec<Change>, Errno> {
        let e = &NEIGH_ENTRIES[i];
        let (var, parsed) = (e.var, parse(value, e.spec(f)));
        let mut out = Vec::new();
        let knob = Knob::Neigh(var);
        let p = match target {
            Target::Default if self.init_net => &mut self.neigh[fam_idx(f)].parms,
            Target::Dev(i) => {
                let dev = self.devs.get_mut(&i).ok_or(Errno::Enoent)?;
                match f {
                    Family::Inet => dev.v4.as_mut().map(|d| &mut d.arp),
                    Family::Inet6 => dev.v6.as_mut().map(|d| &mut d.nd),
                }
                .ok_or(Errno::Enoent)?
            }
            _ => return Err(Errno::Enoent),
        };
        if let Ok(v) = parsed {
            put(&mut out, f, knob, target, &mut p.data[var as usize], v);
        }
        p.state |= 1 << var as u32;
        if target == Target::Default {
            let v = p.get(var);
            for (&ifindex, dev) in &mut self.devs {
                let dp = match f {
                    Family::Inet => dev.v4.as_mut().map(|d| &mut d.arp),
                    Family::Inet6 => dev.v6.as_mut().map(|d| &mut d.nd),
                };
                if let Some(dp) = dp.filter(|dp| dp.state & (1 << var as u32) == 0) {
                    put(&mut out, f, knob, Target::Dev(ifindex), &mut dp.data[var as usize], v);
                }
            }
        }
        parsed.map(|_| out)
    }

    fn write_gc(&mut self, f: Family, k: NeighGc, value: &str) -> Result<Vec<Change>, Errno> {
        let new = parse(value, k.spec())?;
        let t = &mut self.neigh[fam_idx(f)];
        let slot = match k {
            NeighGc::GcInterval => &mut t.gc_interval,
            NeighGc::GcThresh1 => &mut t.gc_thresh[0],
            NeighGc::GcThresh2 => &mut t.gc_thresh[1],
            NeighGc::GcThresh3 => &mut t.gc_thresh[2],
        };
        let mut out = Vec::new();
        put(&mut out, f, Knob::NeighGc(k), Target::Default, slot, new);
        Ok(out)
    }

    fn write_global(&mut self, k: GlobalKnob, value: &str) -> Result<Vec<Change>, Errno> {
        let mut out = Vec::new();
        let g = &mut self.globals;
        let old = g.get(k);
        match k {
            // ipv4_local_port_range: each bound 1..=65535, low <= high, and low not below
            // ip_unprivileged_port_start; a single value replaces only the low bound.
            GlobalKnob::IpLocalPortRange => {
                let mut range = g.ip_local_port_range;
                for (slot, (neg, mag)) in range.iter_mut().zip(parse_longs(value, 2)?) {
                    *slot = convert(k.spec(), neg, mag)?;
                }
                if range[1] < range[0] || range[0] < g.ip_unprivileged_port_start {
                    return Err(Errno::Einval);
                }
                g.ip_local_port_range = range;
            }
            // ipv4_privileged_ports: must not overlap the local port range.
            GlobalKnob::IpUnprivilegedPortStart => {
                let new = parse(value, k.spec())?;
                if g.ip_local_port_range[0] < new {
                    return Err(Errno::Einval);
                }
                g.ip_unprivileged_port_start = new;
            }
            _ => {
                let new = parse(value, k.spec())?;
                if let Some(slot) = g.slot(k) {
                    *slot = new;
                }
            }
        }
        let new = g.get(k);
        if new != old {
            out.push(Change { family: Family::Inet, knob: Knob::Global(k), target: Target::Netns, old, new });
        }
        Ok(out)
    }
}

/// Split a sysctl name into `/proc/sys` path components, the way procps `sysctl` does: if the
/// first separator is a dot, dots and slashes swap (`slashdot`), so `eth0/100` in the dotted
/// form names the directory `eth0.100`.
fn components(name: &str) -> Vec<String> {
    let name = name.strip_prefix("/proc/sys/").unwrap_or(name);
    let path: String = if name.chars().find(|&c| c == '.' || c == '/') == Some('.') {
        name.chars()
            .map(|c| match c {
                '.' => '/',
                '/' => '.',
                c => c,
            })
            .collect()
    } else {
        name.to_owned()
    };
    path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// `isspace` as `proc_skip_spaces` uses it.
fn is_space(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

/// One number as `proc_get_long` reads it: an optional `-`, then `strtoul` with base 0 (`0x`
/// hex, leading `0` octal), at most 21 characters, followed by the end or by space, tab or
/// newline. Returns (negative, magnitude, bytes used).
fn proc_get_long(s: &[u8]) -> Result<(bool, u64, usize), Errno> {
    const TMPBUFLEN: usize = 22;
    let tmp = &s[..s.len().min(TMPBUFLEN - 1)];
    let neg = tmp.first() == Some(&b'-') && s.len() > 1;
    let i = usize::from(neg);
    if !tmp.get(i).is_some_and(u8::is_ascii_digit) {
        return Err(Errno::Einval);
    }
    // _parse_integer_fixup_radix
    let hex = tmp.get(i) == Some(&b'0')
        && tmp.get(i + 1).is_some_and(|c| c.eq_ignore_ascii_case(&b'x'))
        && tmp.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let (base, mut j) = match (hex, tmp.get(i)) {
        (true, _) => (16, i + 2),
        (false, Some(b'0')) => (8, i),
        _ => (10, i),
    };
    let mut v: u64 = 0;
    while let Some(d) = tmp.get(j).and_then(|&c| char::from(c).to_digit(base)) {
        v = v.checked_mul(u64::from(base)).and_then(|v| v.checked_add(u64::from(d))).ok_or(Errno::Einval)?;
        j += 1;
    }
    if j == TMPBUFLEN - 1 || s.get(j).is_some_and(|c| !matches!(c, b' ' | b'\t' | b'\n')) {
        return Err(Errno::Einval);
    }
    Ok((neg, v, j))
}

/// Up to `max` numbers, the write loop of `__do_proc_dointvec`: none at all is EINVAL, anything
/// after the last wanted number is ignored.
fn parse_longs(value: &str, max: usize) -> Result<Vec<(bool, u64)>, Errno> {
    let mut s = value.as_bytes();
    let mut out = Vec::new();
    while out.len() < max {
        s = &s[s.iter().take_while(|&&c| is_space(c)).count()..];
        if s.is_empty() {
            break;
        }
        let (neg, mag, used) = proc_get_long(s)?;
        out.push((neg, mag));
        s = &s[used..];
    }
    if out.is_empty() { Err(Errno::Einval) } else { Ok(out) }
}

/// User value to kernel value: the `do_proc_*_conv` of the unit, then the min/max check.
fn convert(spec: Spec, neg: bool, mag: u64) -> Result<i32, Errno> {
    let signed = |limit: u64| {
        let m = i64::try_from(mag).ok().filter(|&m| m as u64 <= limit).ok_or(Errno::Einval)?;
        Ok::<i64, Errno>(if neg { -m } else { m })
    };
    let v: i64 = match spec.unit {
        // do_proc_dointvec_conv: -(INT_MAX + 1)..=INT_MAX.
        Unit::Int | Unit::Packets => signed(if neg { INT_MAX as u64 + 1 } else { INT_MAX as u64 })?,
        Unit::Uint if neg => return Err(Errno::Einval),
        Unit::Uint => i64::try_from(mag).ok().filter(|&m| m <= i64::from(u32::MAX)).ok_or(Errno::Einval)?,
        // do_proc_dointvec_jiffies_conv: |value| <= INT_MAX / HZ.
        Unit::Jiffies => signed((INT_MAX / HZ) as u64)? * HZ,
        // do_proc_dointvec_ms_jiffies_conv: msecs_to_jiffies takes an unsigned int, and a value
        // that is negative as an int becomes MAX_JIFFY_OFFSET, which is rejected.
        Unit::MsJiffies => {
            let m = if neg { mag.wrapping_neg() } else { mag } as u32;
            i64::from(i32::try_from(m).map_err(|_| Errno::Einval)?)
        }
        // clock_t_to_jiffies; negative values are a deviation (see the module documentation).
        Unit::UserHz if neg => return Err(Errno::Einval),
        Unit::UserHz => signed(INT_MAX as u64)? * (HZ / USER_HZ),
    };
    if v < spec.min || v > spec.max {
        return Err(Errno::Einval);
    }
    let v = if spec.unit == Unit::Packets { v * SKB_TRUESIZE_ETH_FRAME } else { v };
    i32::try_from(v).map_err(|_| Errno::Einval)
}

/// One value for a one-value knob.
fn parse(value: &str, spec: Spec) -> Result<i32, Errno> {
    let (neg, mag) = parse_longs(value, 1)?.first().copied().ok_or(Errno::Einval)?;
    convert(spec, neg, mag)
}

/// Kernel value to text: the read side of the unit's conversion, `proc_put_long` style.
fn show(unit: Unit, v: i32) -> String {
    let mag = i64::from(v).unsigned_abs();
    let mag = match unit {
        Unit::Int | Unit::Uint | Unit::MsJiffies => mag,
        Unit::Jiffies => mag / HZ as u64,
        Unit::UserHz => mag / (HZ / USER_HZ) as u64,
        Unit::Packets => mag / SKB_TRUESIZE_ETH_FRAME as u64,
    };
    format!("{}{mag}", if v < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests;
