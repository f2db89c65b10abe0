//! What Linux's IPv6 does by itself on a link: address configuration (the EUI-64 link-local,
//! Duplicate Address Detection), router solicitations and the unsolicited MLD reports, with the
//! kernel's packet bytes and timing (net/ipv6/addrconf.c, mcast.c, ndisc.c).
//!
//! When a device's link becomes ready (admin up with carrier) the kernel joins ff01::1 and
//! ff02::1 (joined at registration, never reported), adds fe80::/64 and the EUI-64 link-local
//! as a tentative address, joins its solicited-node group (reported twice, from :: while the
//! address is tentative), waits a random time below `rtr_solicit_delay` and sends one DAD
//! Neighbour Solicitation with a nonce; `retrans_time` later the address is ready, MLD is sent
//! again from it (twice) and the first Router Solicitation goes out at once, then one every
//! `rtr_solicit_interval` (times 0.9 .. 1.1, doubling up to `rtr_solicit_max_interval`) for as
//! long as `rtr_solicits` allows. On veth that is 6 frames and 516 bytes per side by 3 s and
//! 586 bytes by 10 s (reference/linux-golden/veth-ipv6-up).
//!
//! # Driving it
//! [`Addrconf`] is sans-IO: time is passed in (nanoseconds of the World's clock), randomness
//! comes from the caller's [`Rng`], and everything to do is returned as [`Output`]s, in the
//! order the kernel does it. The caller
//! * calls [`Addrconf::dev_register`] on NETDEV_REGISTER, [`Addrconf::dev_up`] on NETDEV_UP,
//!   [`Addrconf::dev_change`] on every carrier change of an up device (NETDEV_CHANGE),
//!   [`Addrconf::dev_down`] on NETDEV_DOWN (and on `disable_ipv6` = 1), and
//!   [`Addrconf::dev_unregister`] on NETDEV_UNREGISTER; `disable_ipv6` = 0 is a `dev_up`;
//! * maps `ip -6 addr add/del` to [`Addrconf::addr_add`] / [`Addrconf::addr_del`];
//! * arms one World timer at [`Addrconf::next_deadline`] and calls [`Addrconf::timer`] when it
//!   fires (and re-reads `next_deadline` after every call);
//! * feeds received Neighbour Solicitations and Advertisements for its addresses to
//!   [`Addrconf::rx_ns`] / [`Addrconf::rx_na`] before its own NDISC processing, and tells
//!   [`Addrconf::ra_received`] when a Router Advertisement was accepted;
//! * applies the outputs: transmits [`Output::Send`] through the device (as `dev_queue_xmit`
//!   would, so a device that is down or without carrier drops and counts it), and keeps the
//!   routes and the device's link-layer multicast list in step.
//!
//! # Time
//! Delays are computed in jiffies of a `CONFIG_HZ=250` kernel (every event of the golden
//! capture sits on a 4 ms grid), and a timer fires when the kernel's timer wheel would run it:
//! on the first tick of the bucket after its expiry (`calc_wheel_index`, kernel/time/timer.c).
//! So a 1 s DAD wait lasts 1.004 .. 1.032 s and a ~4 s RS interval may end up to 256 ms late,
//! as recorded. Work queued with no delay runs within the call that queued it.
//!
//! # Deviations
//! Only EUI-64 and "none" address generation (no stable-privacy or random modes, no temporary
//! addresses, no address lifetimes: every address is permanent), no optimistic DAD, no MLD
//! queries or source filters, no SLAAC from Router Advertisements (that is NDISC's and
//! `addrconf_prefix_rcv`'s job), `keep_addr_on_down` and the `all.*` sysctls are taken from
//! [`Ipv6DevCnf`] as the caller combines them.

mod idev;
mod mld;
mod saddr;
#[cfg(test)]
mod tests;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv6Addr;

use netdev_core::{Carrier, Errno, Error, NSEC_PER_SEC, PktType, Rng};
use smoltcp::wire::Ipv6Cidr;

use idev::{Ctx, Idev};

/// `CONFIG_HZ` of the recorded kernel.
pub const HZ: u64 = 250;
/// One jiffy in nanoseconds.
pub const TICK_NSEC: u64 = NSEC_PER_SEC / HZ;

/// `msecs_to_jiffies`: rounded up.
pub(crate) fn msecs_to_jiffies(ms: u64) -> u64 {
    ms.div_ceil(1000 / HZ)
}

/// `LVL_CLK_SHIFT` and `LVL_DEPTH` of the timer wheel (`HZ > 100`).
const LVL_CLK_SHIFT: u32 = 3;
const LVL_DEPTH: u32 = 9;

/// When a timer armed at `now` for `delay` jiffies runs: the kernel files it in the wheel level
/// whose range holds the delay and rounds its expiry up to the next bucket of that level
/// (`calc_wheel_index`, `calc_index`). A zero delay is work queued at once.
pub(crate) fn expiry(now: u64, delay: u64) -> u64 {
    if delay == 0 {
        return now;
    }
    // LVL_START(n) = (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT)
    let lvl_start = |n: u32| 63u64 << ((n - 1) * LVL_CLK_SHIFT);
    let mut lvl = 0;
    while lvl + 1 < LVL_DEPTH && delay >= lvl_start(lvl + 1) {
        lvl += 1;
    }
    let shift = lvl * LVL_CLK_SHIFT;
    let expires = now / TICK_NSEC + delay;
    (((expires >> shift) + 1) << shift) * TICK_NSEC
}

/// `IN6_ADDR_GEN_MODE_*`: how the link-local address is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrGenMode {
    /// `IN6_ADDR_GEN_MODE_EUI64` (0): from the MAC address.
    Eui64,
    /// `IN6_ADDR_GEN_MODE_NONE` (1): no link-local address.
    None,
}

/// The per-device `net.ipv6.conf.<dev>.*` settings addrconf reads, as effective values: where
/// the kernel combines `all` and the device (`accept_dad`, `enhanced_dad`, `keep_addr_on_down`,
/// `force_mld_version`), the caller passes the combination. Times are in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6DevCnf {
    /// `disable_ipv6`: no addresses, no packets.
    pub disable_ipv6: bool,
    /// `forwarding`: a router joins ff02::2 and sends no RS unless `accept_ra` is 2.
    pub forwarding: bool,
    /// `accept_ra` (0, 1, 2).
    pub accept_ra: i32,
    /// `accept_dad`: 0 no DAD, 1 DAD, 2 also disable IPv6 when the MAC-based link-local fails.
    pub accept_dad: i32,
    /// `enhanced_dad` (or `all.enhanced_dad`): DAD probes carry a nonce (RFC 7527).
    pub enhanced_dad: bool,
    /// `dad_transmits`.
    pub dad_transmits: u32,
    /// `neigh.<dev>.retrans_time_ms`: the wait after each DAD probe.
    pub retrans_time_ms: u64,
    /// `router_solicitations`: -1 for no limit.
    pub rtr_solicits: i32,
    /// `router_solicitation_interval` (in ms).
    pub rtr_solicit_interval_ms: u64,
    /// `router_solicitation_delay` (in ms): bounds the random wait before DAD.
    pub rtr_solicit_delay_ms: u64,
    /// `router_solicitation_max_interval` (in ms).
    pub rtr_solicit_max_interval_ms: u64,
    /// `force_mld_version` (0 any, 1, 2).
    pub force_mld_version: u8,
    /// `mldv1_unsolicited_report_interval`.
    pub mldv1_unsolicited_report_interval_ms: u64,
    /// `mldv2_unsolicited_report_interval`.
    pub mldv2_unsolicited_report_interval_ms: u64,
    /// `addr_gen_mode`.
    pub addr_gen_mode: AddrGenMode,
    /// `keep_addr_on_down` > 0 (or `all.keep_addr_on_down`).
    pub keep_addr_on_down: bool,
    /// `ndisc_notify`: an unsolicited NA when an address becomes ready.
    pub ndisc_notify: bool,
}

impl Default for Ipv6DevCnf {
    /// The kernel defaults (`ipv6_devconf_dflt`), as the golden run's sysctl dump shows them.
    fn default() -> Ipv6DevCnf {
        Ipv6DevCnf {
            disable_ipv6: false,
            forwarding: false,
            accept_ra: 1,
            accept_dad: 1,
            enhanced_dad: true,
            dad_transmits: 1,
            retrans_time_ms: 1000,
            rtr_solicits: -1,
            rtr_solicit_interval_ms: 4000,
            rtr_solicit_delay_ms: 1000,
            rtr_solicit_max_interval_ms: 3_600_000,
            force_mld_version: 0,
            mldv1_unsolicited_report_interval_ms: 10_000,
            mldv2_unsolicited_report_interval_ms: 1000,
            addr_gen_mode: AddrGenMode::Eui64,
            keep_addr_on_down: false,
            ndisc_notify: false,
        }
    }
}

/// What addrconf needs to know of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    /// `dev->ifindex`.
    pub ifindex: u32,
    /// `dev->dev_addr` of an Ethernet-like device; `None` for devices without a link-layer
    /// address (`addr_len` 0: no EUI-64 link-local, no link-layer options).
    pub mac: Option<[u8; 6]>,
    /// `dev->mtu`: IPv6 needs at least 1280.
    pub mtu: u32,
    /// `IFF_LOOPBACK`: gets ::1/128, no DAD, MLD or RS.
    pub is_loopback: bool,
    /// Not `IFF_NOARP`: DAD and solicited-node groups run (dummy and ifb are NOARP).
    pub needs_nd: bool,
    /// `IFF_MULTICAST` (a router joins ff02::2 only on multicast devices).
    pub multicast: bool,
}

/// `IFA_F_*` address flags.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrFlags(pub u32);

impl AddrFlags {
    /// `IFA_F_NODAD`: no DAD (`ip addr add ... nodad`).
    pub const NODAD: AddrFlags = AddrFlags(0x02);
    /// `IFA_F_OPTIMISTIC`.
    pub const OPTIMISTIC: AddrFlags = AddrFlags(0x04);
    /// `IFA_F_DADFAILED`: another node has the address.
    pub const DADFAILED: AddrFlags = AddrFlags(0x08);
    /// `IFA_F_HOMEADDRESS`.
    pub const HOMEADDRESS: AddrFlags = AddrFlags(0x10);
    /// `IFA_F_DEPRECATED`.
    pub const DEPRECATED: AddrFlags = AddrFlags(0x20);
    /// `IFA_F_TENTATIVE`: DAD not (successfully) finished; not usable.
    pub const TENTATIVE: AddrFlags = AddrFlags(0x40);
    /// `IFA_F_PERMANENT`: configured, no lifetime.
    pub const PERMANENT: AddrFlags = AddrFlags(0x80);
    /// `IFA_F_MANAGETEMPADDR`.
    pub const MANAGETEMPADDR: AddrFlags = AddrFlags(0x100);
    /// `IFA_F_NOPREFIXROUTE`: no prefix route for it (`noprefixroute`).
    pub const NOPREFIXROUTE: AddrFlags = AddrFlags(0x200);
    /// `IFA_F_TEMPORARY` (never set here).
    pub const TEMPORARY: AddrFlags = AddrFlags(0x01);

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: AddrFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any bit of `other` is set.
    pub const fn intersects(self, other: AddrFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Set or clear the bits of `other`.
    pub fn set(&mut self, other: AddrFlags, on: bool) {
        if on { self.0 |= other.0 } else { self.0 &= !other.0 }
    }
}

impl std::ops::BitOr for AddrFlags {
    type Output = AddrFlags;
    fn bitor(self, o: AddrFlags) -> AddrFlags {
        AddrFlags(self.0 | o.0)
    }
}

impl std::ops::BitOrAssign for AddrFlags {
    fn bitor_assign(&mut self, o: AddrFlags) {
        self.0 |= o.0;
    }
}

impl std::ops::BitAnd for AddrFlags {
    type Output = AddrFlags;
    fn bitand(self, o: AddrFlags) -> AddrFlags {
        AddrFlags(self.0 & o.0)
    }
}

impl fmt::Debug for AddrFlags {
    /// The words `ip -6 addr` prints for them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(AddrFlags, &str); 9] = [
            (AddrFlags::TEMPORARY, "temporary"),
            (AddrFlags::NODAD, "nodad"),
            (AddrFlags::OPTIMISTIC, "optimistic"),
            (AddrFlags::DADFAILED, "dadfailed"),
            (AddrFlags::HOMEADDRESS, "home"),
            (AddrFlags::DEPRECATED, "deprecated"),
            (AddrFlags::TENTATIVE, "tentative"),
            (AddrFlags::PERMANENT, "permanent"),
            (AddrFlags::NOPREFIXROUTE, "noprefixroute"),
        ];
        let names: Vec<&str> = NAMES.iter().filter(|(b, _)| self.contains(*b)).map(|(_, n)| *n).collect();
        write!(f, "{}", if names.is_empty() { "0".to_string() } else { names.join("|") })
    }
}

/// `ifa->scope`, which `ip -6 addr` prints as `scope host/link/site/global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrScope {
    /// Global (`IFA_GLOBAL`, 0).
    Global,
    /// Site-local fec0::/10 (`IFA_SITE`, 0x40).
    Site,
    /// Link-local fe80::/10 (`IFA_LINK`, 0x20).
    Link,
    /// ::1 (`IFA_HOST`, 0x10).
    Host,
}

impl AddrScope {
    /// The kernel's `IFA_*` value, which `ipv6_get_lladdr` and friends compare numerically.
    pub const fn ifa_bits(self) -> u8 {
        match self {
            AddrScope::Global => 0x00,
            AddrScope::Host => 0x10,
            AddrScope::Link => 0x20,
            AddrScope::Site => 0x40,
        }
    }
}

/// One address as `ip -6 addr` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6AddrInfo {
    /// The address.
    pub addr: Ipv6Addr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// Its scope.
    pub scope: AddrScope,
    /// `IFA_F_*`.
    pub flags: AddrFlags,
    /// `IFA_PROTO`: 0 unspecified (user), 1 `kernel_lo`, 3 `kernel_ll`.
    pub proto: u8,
}

/// A multicast group of a device as `ip -6 maddr` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct McGroup {
    /// The group.
    pub addr: Ipv6Addr,
    /// `mca_users`.
    pub users: u32,
}

/// Something for the caller to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Transmit `packet` (a whole IPv6 packet) on the device to `dst_mac`.
    Send {
        /// The device.
        ifindex: u32,
        /// The Ethernet destination (33:33 and the low 32 bits of the IPv6 destination).
        dst_mac: [u8; 6],
        /// The IPv6 packet.
        packet: Vec<u8>,
    },
    /// An address was added (tentative unless it skips DAD). With `prefix_route` the kernel adds
    /// `prefix/len dev X proto kernel metric 256` now (`addrconf_prefix_route`); adding an
    /// existing route is a no-op, as the kernel's EEXIST is ignored.
    AddrAdded {
        /// The device.
        ifindex: u32,
        /// The address.
        addr: Ipv6Addr,
        /// Its prefix length.
        prefix_len: u8,
        /// Whether to add the prefix route.
        prefix_route: bool,
    },
    /// DAD succeeded (or was skipped): the address is usable, RTM_NEWADDR, and the kernel inserts
    /// its `local` route in table local (`__ipv6_ifa_notify`).
    AddrReady {
        /// The device.
        ifindex: u32,
        /// The address.
        addr: Ipv6Addr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// DAD failed: the address stays, tentative and `dadfailed`, unusable.
    AddrDadFailed {
        /// The device.
        ifindex: u32,
        /// The address.
        addr: Ipv6Addr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// The address is gone (RTM_DELADDR): remove its local route, and its prefix route when
    /// `delete_prefix_route` (on NETDEV_DOWN the device's routes are flushed anyway).
    AddrRemoved {
        /// The device.
        ifindex: u32,
        /// The address.
        addr: Ipv6Addr,
        /// Its prefix length.
        prefix_len: u8,
        /// Whether no other address needs the prefix route any more.
        delete_prefix_route: bool,
    },
    /// `addrconf_add_mroute`: `multicast ff00::/8 dev X table local proto kernel metric 256`
    /// (a no-op if present).
    McastRouteAdded {
        /// The device.
        ifindex: u32,
    },
    /// `dev_mc_add`: one more reference to a link-layer multicast address of the device.
    LinkMcAdd {
        /// The device.
        ifindex: u32,
        /// The Ethernet multicast address.
        mac: [u8; 6],
    },
    /// `dev_mc_del`: one reference less.
    LinkMcDel {
        /// The device.
        ifindex: u32,
        /// The Ethernet multicast address.
        mac: [u8; 6],
    },
    /// DAD failed for the MAC-based link-local with `accept_dad = 2`: the kernel set
    /// `disable_ipv6 = 1` on the device (and took its IPv6 down); the caller stores that.
    Ipv6Disabled {
        /// The device.
        ifindex: u32,
    },
}

/// What a received Neighbour Solicitation or Advertisement means for DAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DadRx {
    /// Not about a tentative address of this device (NS), or not about an address of this device
    /// at all (NA): the caller's NDISC processing goes on.
    Continue,
    /// Our own DAD probe came back (same nonce): dropped (`ndisc_recv_ns`).
    LoopedBack,
    /// About our address, and dropped: a non-DAD NS for a tentative address (RFC 4862 5.4.3), an
    /// NA for an address that is ours, or a conflict arriving after DAD ended.
    Dropped,
    /// Someone else has the address: DAD failed.
    DadFailed(Vec<Output>),
}

/// What DAD needs of a received Neighbour Solicitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxSolicit {
    /// The target address.
    pub target: Ipv6Addr,
    /// The IPv6 source: :: for a DAD probe.
    pub src: Ipv6Addr,
    /// The nonce option (RFC 7527), if any.
    pub nonce: Option<[u8; 6]>,
}

/// The IPv6 autoconfiguration and MLD state of one network namespace.
#[derive(Debug, Default)]
pub struct Addrconf {
    devs: BTreeMap<u32, Idev>,
    /// Orders timers due at the same instant by when they were armed.
    seq: u64,
}

impl Addrconf {
    /// A namespace with no devices.
    pub fn new() -> Addrconf {
        Addrconf::default()
    }

    fn ctx<'a>(seq: &'a mut u64, now: u64, cnf: &'a Ipv6DevCnf, rng: &'a mut Rng, out: &'a mut Vec<Output>) -> Ctx<'a> {
        Ctx { now, cnf, rng, seq, out }
    }

    /// NETDEV_REGISTER (`ipv6_add_dev`): ff01::1 and ff02::1 are joined now, whatever the state
    /// of the device. Devices with an MTU below 1280 get no IPv6. Idempotent.
    pub fn dev_register(&mut self, link: &LinkInfo, cnf: &Ipv6DevCnf, rng: &mut Rng) -> Vec<Output> {
        let mut out = Vec::new();
        if link.mtu >= 1280 && !self.devs.contains_key(&link.ifindex) {
            let mut ctx = Self::ctx(&mut self.seq, 0, cnf, rng, &mut out);
            let idev = Idev::new(*link, &mut ctx);
            self.devs.insert(link.ifindex, idev);
        }
        out
    }

    /// NETDEV_UP (`addrconf_notify`): with carrier the link is ready and the device configures
    /// itself; without, nothing happens until [`Addrconf::dev_change`] brings carrier.
    pub fn dev_up(
        &mut self,
        now: u64,
        link: &LinkInfo,
        cnf: &Ipv6DevCnf,
        carrier: Carrier,
        rng: &mut Rng,
    ) -> Vec<Output> {
        let mut out = self.dev_register(link, cnf, rng);
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        let Some(idev) = self.devs.get_mut(&link.ifindex) else { return out };
        idev.link = *link;
        idev.up = true;
        if !cnf.disable_ipv6 {
            idev.permanent_addr(&mut ctx);
            if carrier == Carrier::On {
                idev.link_ready(&mut ctx);
            }
            idev.run_due(&mut ctx);
        }
        out
    }

    /// NETDEV_CHANGE: carrier came or went on an up device. The first carrier makes the link
    /// ready; later carrier returns only re-send the MLD reports (`ipv6_mc_up`). Losing carrier
    /// changes nothing here (timers go on; the device drops what they send).
    pub fn dev_change(
        &mut self,
        now: u64,
        link: &LinkInfo,
        cnf: &Ipv6DevCnf,
        carrier: Carrier,
        rng: &mut Rng,
    ) -> Vec<Output> {
        let mut out = self.dev_register(link, cnf, rng);
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        let Some(idev) = self.devs.get_mut(&link.ifindex) else { return out };
        idev.link = *link;
        if cnf.disable_ipv6 || !idev.up || carrier == Carrier::Off {
            return out;
        }
        if idev.ready {
            idev.mc_up(&mut ctx);
        } else {
            idev.link_ready(&mut ctx);
        }
        idev.run_due(&mut ctx);
        out
    }

    /// NETDEV_DOWN (`addrconf_ifdown`): addresses are removed (permanent global ones kept with
    /// `keep_addr_on_down`), the link-local with them, DAD, RS and the MLD works stop.
    pub fn dev_down(&mut self, now: u64, ifindex: u32, cnf: &Ipv6DevCnf, rng: &mut Rng) -> Vec<Output> {
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        if let Some(idev) = self.devs.get_mut(&ifindex) {
            idev.up = false;
            idev.ifdown(false, cnf.disable_ipv6, &mut ctx);
        }
        out
    }

    /// NETDEV_UNREGISTER: everything of the device goes, silently.
    pub fn dev_unregister(&mut self, ifindex: u32) -> Vec<Output> {
        let Some(mut idev) = self.devs.remove(&ifindex) else { return Vec::new() };
        let mut out = Vec::new();
        let (cnf, mut rng, mut seq) = (Ipv6DevCnf::default(), Rng::new(0), 0);
        // Nothing below draws randomness or arms timers: a dead device sends no leaves.
        let mut ctx = Self::ctx(&mut seq, 0, &cnf, &mut rng, &mut out);
        idev.ifdown(true, false, &mut ctx);
        out
    }

    /// `ip -6 addr add addr/prefix_len dev <ifindex> [flags]` (`inet6_rtm_newaddr`): the address
    /// is added tentative and DAD starts (or waits for the link). Of `flags` the kernel keeps
    /// `nodad`, `home`, `mngtmpaddr` and `noprefixroute`.
    ///
    /// Errors, as the kernel's: ENODEV for an unknown device, EEXIST "address already assigned"
    /// if the device has it (whatever the prefix length), EADDRNOTAVAIL for ::, a
    /// multicast or (off loopback) the loopback address; EACCES "ipv6: IPv6 is disabled on this
    /// device" with `disable_ipv6`.
    pub fn addr_add(
        &mut self,
        now: u64,
        ifindex: u32,
        cidr: Ipv6Cidr,
        flags: AddrFlags,
        cnf: &Ipv6DevCnf,
        rng: &mut Rng,
    ) -> Result<Vec<Output>, Error> {
        let Some(idev) = self.devs.get_mut(&ifindex) else {
            return Err(Error::with_msg(Errno::Enodev, "ipv6: Unable to find the interface"));
        };
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        let (addr, prefix_len) = (cidr.address(), cidr.prefix_len());
        idev.find_idev(&mut ctx);
        if idev.index_of(addr).is_some() {
            return Err(Error::with_msg(Errno::Eexist, "ipv6: address already assigned"));
        }
        let keep = AddrFlags::NODAD | AddrFlags::HOMEADDRESS | AddrFlags::MANAGETEMPADDR | AddrFlags::NOPREFIXROUTE;
        idev.addr_add(addr, prefix_len, flags & keep, &mut ctx)?;
        idev.run_due(&mut ctx);
        Ok(out)
    }

    /// `ip -6 addr del addr/prefix_len dev <ifindex>` (`inet6_addr_del`): EADDRNOTAVAIL "address
    /// not found" unless address and prefix length match.
    pub fn addr_del(
        &mut self,
        now: u64,
        ifindex: u32,
        cidr: Ipv6Cidr,
        cnf: &Ipv6DevCnf,
        rng: &mut Rng,
    ) -> Result<Vec<Output>, Error> {
        let Some(idev) = self.devs.get_mut(&ifindex) else {
            return Err(Error::with_msg(Errno::Enodev, "ipv6: Unable to find the interface"));
        };
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        idev.addr_del(cidr.address(), cidr.prefix_len(), &mut ctx)?;
        Ok(out)
    }

    /// A Neighbour Solicitation arrived on the device (`ndisc_recv_ns`). The caller has already
    /// dropped malformed DAD probes (not to a solicited-node group, or with a source link-layer
    /// option).
    pub fn rx_ns(&mut self, now: u64, ifindex: u32, ns: &RxSolicit, cnf: &Ipv6DevCnf, rng: &mut Rng) -> DadRx {
        let Some(idev) = self.devs.get_mut(&ifindex) else { return DadRx::Continue };
        let Some(i) = idev.index_of(ns.target) else { return DadRx::Continue };
        let flags = idev.addrs[i].flags;
        if !flags.intersects(AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC) {
            return DadRx::Continue;
        }
        if !ns.src.is_unspecified() {
            return if flags.contains(AddrFlags::OPTIMISTIC) { DadRx::Continue } else { DadRx::Dropped };
        }
        if ns.nonce.is_some() && ns.nonce == idev.dad_nonce(i) {
            return DadRx::LoopedBack;
        }
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        if idev.dad_failure(i, &mut ctx) { DadRx::DadFailed(out) } else { DadRx::Dropped }
    }

    /// A Neighbour Advertisement for `target` arrived on the device (`ndisc_recv_na`): one for a
    /// tentative address of ours fails its DAD unless it is our own looped back
    /// (`PACKET_LOOPBACK`); one for an address of ours is dropped either way.
    pub fn rx_na(
        &mut self,
        now: u64,
        ifindex: u32,
        target: Ipv6Addr,
        pkt_type: PktType,
        cnf: &Ipv6DevCnf,
        rng: &mut Rng,
    ) -> DadRx {
        let Some(idev) = self.devs.get_mut(&ifindex) else { return DadRx::Continue };
        let Some(i) = idev.index_of(target) else { return DadRx::Continue };
        if pkt_type == PktType::Loopback || !idev.addrs[i].flags.contains(AddrFlags::TENTATIVE) {
            return DadRx::Dropped;
        }
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        if idev.dad_failure(i, &mut ctx) { DadRx::DadFailed(out) } else { DadRx::Dropped }
    }

    /// `net.ipv6.conf.<dev>.forwarding` changed to `cnf.forwarding` (`dev_forward_change`): a
    /// multicast device joins (or leaves) ff02::2, ff01::2 and ff05::2, which MLD reports. The
    /// subnet-router anycast addresses are the caller's.
    pub fn forwarding_changed(&mut self, now: u64, ifindex: u32, cnf: &Ipv6DevCnf, rng: &mut Rng) -> Vec<Output> {
        let mut out = Vec::new();
        let mut ctx = Self::ctx(&mut self.seq, now, cnf, rng, &mut out);
        if let Some(idev) = self.devs.get_mut(&ifindex) {
            idev.forward_change(&mut ctx);
        }
        out
    }

    /// A Router Advertisement was accepted on the device (`IF_RA_RCVD`): no more solicitations.
    pub fn ra_received(&mut self, ifindex: u32) {
        if let Some(idev) = self.devs.get_mut(&ifindex) {
            idev.ra_rcvd = true;
        }
    }

    /// Run every timer due at `now`, across devices, in the order they expire.
    pub fn timer(&mut self, now: u64, cnf_of: impl Fn(u32) -> Ipv6DevCnf, rng: &mut Rng) -> Vec<Output> {
        let mut out = Vec::new();
        loop {
            let due = self
                .devs
                .iter()
                .filter_map(|(&ifindex, idev)| idev.earliest().map(|(t, kind)| (t, ifindex, kind)))
                .min_by_key(|&(t, _, _)| t);
            let Some((t, ifindex, kind)) = due else { break };
            if t.at > now {
                break;
            }
            let cnf = cnf_of(ifindex);
            let mut ctx = Self::ctx(&mut self.seq, now, &cnf, rng, &mut out);
            if let Some(idev) = self.devs.get_mut(&ifindex) {
                idev.run(kind, &mut ctx);
            }
        }
        out
    }

    /// When [`Addrconf::timer`] must next be called.
    pub fn next_deadline(&self) -> Option<u64> {
        self.devs.values().filter_map(|d| d.earliest().map(|(t, _)| t.at)).min()
    }

    /// The device's addresses in `ip -6 addr` order: widest scope first, then oldest first
    /// (`ipv6_link_dev_addr`, dumped in list order by `in6_dump_addrs`).
    pub fn addresses(&self, ifindex: u32) -> Vec<Ipv6AddrInfo> {
        self.devs.get(&ifindex).map(Idev::infos).unwrap_or_default()
    }

    /// The device has IPv6 state (`__in6_dev_get` is not NULL).
    pub fn has_idev(&self, ifindex: u32) -> bool {
        self.devs.contains_key(&ifindex)
    }

    /// `ipv6_chk_addr(net, addr, NULL, 0)`: the address is on some device and not tentative.
    pub fn is_local(&self, addr: Ipv6Addr) -> bool {
        self.devs.values().any(|d| {
            d.flags_of(addr).is_some_and(|f| !f.contains(AddrFlags::TENTATIVE) || f.contains(AddrFlags::OPTIMISTIC))
        })
    }

    /// Whether the device has `addr` and it is tentative (DAD running, waiting or failed).
    pub fn is_tentative(&self, ifindex: u32, addr: Ipv6Addr) -> bool {
        self.devs.get(&ifindex).and_then(|d| d.flags_of(addr)).is_some_and(|f| f.contains(AddrFlags::TENTATIVE))
    }

    /// `ipv6_get_lladdr(dev, .., IFA_F_TENTATIVE)`: the device's usable link-local address, the
    /// source of its NS, RS and MLD.
    pub fn link_local(&self, ifindex: u32) -> Option<Ipv6Addr> {
        self.devs.get(&ifindex).and_then(|d| d.lladdr(AddrFlags::TENTATIVE))
    }

    /// The device's IPv6 multicast groups in `ip -6 maddr` order (newest first).
    pub fn groups(&self, ifindex: u32) -> Vec<McGroup> {
        self.devs
            .get(&ifindex)
            .map(|d| d.groups().map(|(addr, users)| McGroup { addr, users }).collect())
            .unwrap_or_default()
    }

    /// `ipv6_chk_mcast_addr` without sources: whether the device listens to `group`.
    pub fn has_group(&self, ifindex: u32, group: Ipv6Addr) -> bool {
        self.devs.get(&ifindex).is_some_and(|d| d.groups().any(|(g, _)| g == group))
    }

    /// `ipv6_dev_get_saddr`: the source address for `dst` leaving through `out_ifindex`.
    pub fn select_source(&self, dst: Ipv6Addr, out_ifindex: Option<u32>) -> Option<Ipv6Addr> {
        saddr::select(&self.devs, dst, out_ifindex)
    }
}
