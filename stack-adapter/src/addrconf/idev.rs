//! One device's IPv6 state (`struct inet6_dev`): its address list, Duplicate Address Detection
//! per address, router solicitations, and going up and down (net/ipv6/addrconf.c).

use std::net::Ipv6Addr;

use netdev_core::{Errno, Error, Rng};

use super::mld::Mld;
use super::wire::{self, eui64_link_local, solicited_node};
use super::{AddrFlags, AddrScope, Ipv6AddrInfo, Ipv6DevCnf, LinkInfo, Output, expiry, msecs_to_jiffies};

/// `IFAPROT_KERNEL_LO`: ::1 made by `init_loopback`.
const IFAPROT_KERNEL_LO: u8 = 1;
/// `IFAPROT_KERNEL_LL`: the link-local made by `addrconf_add_linklocal`.
const IFAPROT_KERNEL_LL: u8 = 3;

/// An armed kernel timer or delayed work: when it fires and, for timers due at the same instant,
/// the order they were armed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timer {
    pub(crate) at: u64,
    pub(crate) seq: u64,
}

/// Which work a [`Timer`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// `ifp->dad_work` (`addrconf_dad_work`).
    Dad(Ipv6Addr),
    /// `idev->rs_timer` (`addrconf_rs_timer`).
    Rs,
    /// `idev->mc_ifc_work` (`mld_ifc_work`).
    MldIfc,
    /// `idev->mc_dad_work` (`mld_dad_work`).
    MldDad,
    /// A group's `mca_work` (`mld_mca_work`, MLDv1 only).
    MldGroup(Ipv6Addr),
}

/// What a call into the device may touch: the time, the device's configuration, the namespace's
/// random numbers and timer sequence, and where outputs go.
pub(crate) struct Ctx<'a> {
    pub(crate) now: u64,
    pub(crate) cnf: &'a Ipv6DevCnf,
    pub(crate) rng: &'a mut Rng,
    pub(crate) seq: &'a mut u64,
    pub(crate) out: &'a mut Vec<Output>,
}

impl Ctx<'_> {
    /// Arm a timer `delay` jiffies from now (`mod_timer`/`mod_delayed_work`).
    pub(crate) fn arm(&mut self, delay: u64) -> Timer {
        *self.seq += 1;
        Timer { at: expiry(self.now, delay), seq: *self.seq }
    }

    /// `get_random_u32_below(bound)` / `prandom_u32() % bound`; a bound of 0 or 1 draws nothing.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound <= 1 { 0 } else { self.rng.below(bound) }
    }
}

/// `enum inet6_ifaddr_state`, without DEAD: a dead address is no longer in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DadState {
    /// `INET6_IFADDR_STATE_PREDAD`: created, DAD not begun (also the state of ::1 and of an
    /// address kept over a down).
    PreDad,
    /// `INET6_IFADDR_STATE_DAD`: DAD begun (or waiting for the link: see `dad_begin`).
    Dad,
    /// `INET6_IFADDR_STATE_POSTDAD`: DAD finished or failed.
    PostDad,
}

/// One address (`struct inet6_ifaddr`).
#[derive(Clone, Debug)]
pub(crate) struct Ifaddr {
    pub(crate) addr: Ipv6Addr,
    pub(crate) prefix_len: u8,
    pub(crate) scope: AddrScope,
    pub(crate) flags: AddrFlags,
    pub(crate) proto: u8,
    pub(crate) state: DadState,
    dad_probes: u32,
    /// `ifp->dad_nonce`; `None` is the kernel's 0 (enhanced DAD off).
    nonce: Option<[u8; 6]>,
    pub(crate) dad: Option<Timer>,
}

impl Ifaddr {
    fn info(&self) -> Ipv6AddrInfo {
        Ipv6AddrInfo {
            addr: self.addr,
            prefix_len: self.prefix_len,
            scope: self.scope,
            flags: self.flags,
            proto: self.proto,
        }
    }
}

/// `ipv6_addr_scope` for a unicast address: what `ifa->scope` holds.
pub(crate) fn addr_scope(addr: Ipv6Addr) -> AddrScope {
    let s = addr.segments();
    if addr == Ipv6Addr::LOCALHOST {
        AddrScope::Host
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddrScope::Link
    } else if s[0] & 0xffc0 == 0xfec0 {
        AddrScope::Site
    } else {
        AddrScope::Global
    }
}

/// `ipv6_addr_src_scope`: the RFC 4291 scope value (1 node, 2 link, 5 site, 14 global), by which
/// the address list is sorted and source addresses are chosen.
pub(crate) fn src_scope(addr: Ipv6Addr) -> u8 {
    if addr.is_multicast() {
        return addr.octets()[1] & 0x0f;
    }
    match addr_scope(addr) {
        AddrScope::Host => 0x01,
        AddrScope::Link => 0x02,
        AddrScope::Site => 0x05,
        AddrScope::Global => 0x0e,
    }
}

/// `rfc3315_s14_backoff_init`: the initial interval times 0.9 .. 1.1.
fn backoff_init(rng: &mut Rng, irt: u64) -> u64 {
    (900_000 + rng.below(200_001)) * irt / 1_000_000
}

/// `rfc3315_s14_backoff_update`: times 1.9 .. 2.1, or the maximum times 0.9 .. 1.1 past it.
fn backoff_update(rng: &mut Rng, rt: u64, mrt: u64) -> u64 {
    let tmp = (1_900_000 + rng.below(200_001)) * rt / 1_000_000;
    if tmp > mrt { (900_000 + rng.below(200_001)) * mrt / 1_000_000 } else { tmp }
}

/// `ipv6_accept_ra`: a router takes RAs (and so solicits them) only with `accept_ra = 2`.
fn accept_ra(cnf: &Ipv6DevCnf) -> bool {
    if cnf.forwarding { cnf.accept_ra == 2 } else { cnf.accept_ra != 0 }
}

/// The IPv6 side of one device.
#[derive(Debug)]
pub(crate) struct Idev {
    pub(crate) link: LinkInfo,
    /// `IFF_UP` as addrconf last heard of it.
    pub(crate) up: bool,
    /// `IF_READY`: the link became ready (up with carrier) and addresses were configured.
    pub(crate) ready: bool,
    /// `idev->dead`: the device is being unregistered.
    pub(crate) dead: bool,
    /// `IF_RA_RCVD`.
    pub(crate) ra_rcvd: bool,
    /// `idev->addr_list`: by scope, widest first, then in order of creation.
    pub(crate) addrs: Vec<Ifaddr>,
    pub(crate) rs: Option<Timer>,
    rs_probes: i32,
    rs_interval: u64,
    pub(crate) mld: Mld,
}

impl Idev {
    /// `ipv6_add_dev`: the device gets IPv6 state and joins ff01::1 and ff02::1 (and ff02::2 as a
    /// router) right away, whatever its state.
    pub(crate) fn new(link: LinkInfo, ctx: &mut Ctx<'_>) -> Idev {
        let mut idev = Idev {
            link,
            up: false,
            ready: false,
            dead: false,
            ra_rcvd: false,
            addrs: Vec::new(),
            rs: None,
            rs_probes: 0,
            rs_interval: 0,
            mld: Mld::default(),
        };
        idev.mc_inc(wire::NODE_LOCAL_ALL_NODES, ctx);
        idev.mc_inc(wire::ALL_NODES, ctx);
        if ctx.cnf.forwarding && link.multicast {
            idev.mc_inc(wire::ALL_ROUTERS, ctx);
        }
        idev
    }

    pub(crate) fn ifindex(&self) -> u32 {
        self.link.ifindex
    }

    /// Queue a packet to a multicast destination on this device.
    pub(crate) fn send(&self, ctx: &mut Ctx<'_>, dst: Ipv6Addr, packet: Vec<u8>) {
        ctx.out.push(Output::Send { ifindex: self.ifindex(), dst_mac: wire::multicast_mac(dst), packet });
    }

    fn find(&self, addr: Ipv6Addr) -> Option<usize> {
        self.addrs.iter().position(|a| a.addr == addr)
    }

    pub(crate) fn infos(&self) -> Vec<Ipv6AddrInfo> {
        self.addrs.iter().map(Ifaddr::info).collect()
    }

    pub(crate) fn flags_of(&self, addr: Ipv6Addr) -> Option<AddrFlags> {
        self.find(addr).map(|i| self.addrs[i].flags)
    }

    /// `ipv6_get_lladdr`: the newest link-local address without any of `banned`.
    pub(crate) fn lladdr(&self, banned: AddrFlags) -> Option<Ipv6Addr> {
        for a in self.addrs.iter().rev() {
            if a.scope.ifa_bits() > AddrScope::Link.ifa_bits() {
                break;
            }
            if a.scope == AddrScope::Link && !a.flags.intersects(banned) {
                return Some(a.addr);
            }
        }
        None
    }

    /// Whether NDISC runs on the device: `IFF_NOARP` and loopback devices skip DAD and the
    /// solicited-node groups (`addrconf_join_solict`, `addrconf_dad_begin`).
    fn nd_capable(&self) -> bool {
        self.link.needs_nd && !self.link.is_loopback
    }

    /// `addrconf_join_solict`.
    fn join_solict(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        if self.nd_capable() {
            self.mc_inc(solicited_node(addr), ctx);
        }
    }

    /// `addrconf_leave_solict`.
    fn leave_solict(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        if self.nd_capable() {
            self.mc_dec(solicited_node(addr), ctx);
        }
    }

    /// `ipv6_find_idev` on an existing device: an up device re-runs `ipv6_mc_up`, which re-sends
    /// the reports of every group (every `ip -6 addr add` does this).
    pub(crate) fn find_idev(&mut self, ctx: &mut Ctx<'_>) {
        if self.up {
            self.mc_up(ctx);
        }
    }

    /// `addrconf_add_dev`: `ipv6_find_idev`, refusal if IPv6 is disabled, then the default
    /// multicast route.
    fn add_dev(&mut self, ctx: &mut Ctx<'_>) -> Result<(), Error> {
        self.find_idev(ctx);
        if ctx.cnf.disable_ipv6 {
            // The kernel returns EACCES, which netdev_core::Errno does not have yet.
            return Err(Error::with_msg(Errno::Eacces, "ipv6: IPv6 is disabled on this device"));
        }
        if !self.link.is_loopback {
            ctx.out.push(Output::McastRouteAdded { ifindex: self.ifindex() });
        }
        Ok(())
    }

    /// `ipv6_add_addr` past its argument checks: refuses a duplicate on this device and links the
    /// new address in scope order (`ipv6_link_dev_addr`). Returns its index.
    fn add_addr(
        &mut self,
        addr: Ipv6Addr,
        prefix_len: u8,
        scope: AddrScope,
        flags: AddrFlags,
        proto: u8,
    ) -> Result<usize, Error> {
        if self.find(addr).is_some() {
            return Err(Error::new(Errno::Eexist));
        }
        let mut flags = flags;
        if !flags.contains(AddrFlags::NODAD) {
            flags |= AddrFlags::TENTATIVE;
        }
        let ifa = Ifaddr {
            addr,
            prefix_len,
            scope,
            flags,
            proto,
            state: DadState::PreDad,
            dad_probes: 0,
            nonce: None,
            dad: None,
        };
        let scope_of_new = src_scope(addr);
        let at = self.addrs.iter().position(|a| scope_of_new > src_scope(a.addr)).unwrap_or(self.addrs.len());
        self.addrs.insert(at, ifa);
        Ok(at)
    }

    /// NETDEV_UP's `addrconf_permanent_addr`: addresses kept over a down get their prefix route
    /// back and restart DAD.
    pub(crate) fn permanent_addr(&mut self, ctx: &mut Ctx<'_>) {
        let kept: Vec<Ipv6Addr> =
            self.addrs.iter().filter(|a| a.flags.contains(AddrFlags::PERMANENT)).map(|a| a.addr).collect();
        for addr in kept {
            let Some(i) = self.find(addr) else { continue };
            let a = &self.addrs[i];
            if !a.flags.contains(AddrFlags::NOPREFIXROUTE) {
                let added =
                    Output::AddrAdded { ifindex: self.ifindex(), addr, prefix_len: a.prefix_len, prefix_route: true };
                ctx.out.push(added);
            }
            if self.addrs[i].state == DadState::PreDad {
                self.dad_start(i, ctx);
            }
        }
    }

    /// The link became ready: `addrconf_init_auto_addrs` then `addrconf_dad_run(idev, false)`.
    pub(crate) fn link_ready(&mut self, ctx: &mut Ctx<'_>) {
        self.ready = true;
        if self.link.is_loopback {
            // init_loopback: ::1/128, usable at once, no prefix route.
            self.find_idev(ctx);
            if let Ok(i) =
                self.add_addr(Ipv6Addr::LOCALHOST, 128, AddrScope::Host, AddrFlags::PERMANENT, IFAPROT_KERNEL_LO)
            {
                self.addrs[i].flags.set(AddrFlags::TENTATIVE, false);
                let ifindex = self.ifindex();
                ctx.out.push(Output::AddrAdded {
                    ifindex,
                    addr: Ipv6Addr::LOCALHOST,
                    prefix_len: 128,
                    prefix_route: false,
                });
                ctx.out.push(Output::AddrReady { ifindex, addr: Ipv6Addr::LOCALHOST, prefix_len: 128 });
            }
        } else {
            // addrconf_dev_config -> addrconf_add_dev -> addrconf_addr_gen.
            let added = self.add_dev(ctx).is_ok();
            if let (true, super::AddrGenMode::Eui64, Some(mac)) = (added, ctx.cnf.addr_gen_mode, self.link.mac) {
                self.add_linklocal(eui64_link_local(mac), ctx);
            }
        }
        let waiting: Vec<Ipv6Addr> = self
            .addrs
            .iter()
            .filter(|a| a.flags.contains(AddrFlags::TENTATIVE) && a.state == DadState::Dad)
            .map(|a| a.addr)
            .collect();
        for addr in waiting {
            if let Some(i) = self.find(addr) {
                self.dad_kick(i, ctx);
            }
        }
    }

    /// `addrconf_add_linklocal`: fe80::/64 route at once, DAD next.
    fn add_linklocal(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        if let Ok(i) = self.add_addr(addr, 64, AddrScope::Link, AddrFlags::PERMANENT, IFAPROT_KERNEL_LL) {
            ctx.out.push(Output::AddrAdded { ifindex: self.ifindex(), addr, prefix_len: 64, prefix_route: true });
            self.dad_start(i, ctx);
        }
    }

    /// `inet6_addr_add` after `inet6_rtm_newaddr`'s checks.
    pub(crate) fn addr_add(
        &mut self,
        addr: Ipv6Addr,
        prefix_len: u8,
        flags: AddrFlags,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Error> {
        // (A prefix length over 128, EINVAL "Invalid prefix length", cannot reach here: the
        // caller's Ipv6Cidr rules it out.)
        if flags.contains(AddrFlags::MANAGETEMPADDR) && prefix_len != 64 {
            let msg = "ipv6: address with \"mngtmpaddr\" flag must have a prefix length of 64";
            return Err(Error::with_msg(Errno::Einval, msg));
        }
        self.add_dev(ctx)?;
        if addr.is_unspecified() {
            return Err(Error::with_msg(Errno::Eaddrnotavail, "ipv6: Invalid address"));
        }
        if addr.is_multicast() {
            let msg = "ipv6: Cannot assign multicast address without \"IFA_F_MCAUTOJOIN\" flag";
            return Err(Error::with_msg(Errno::Eaddrnotavail, msg));
        }
        if addr.is_loopback() && !self.link.is_loopback {
            return Err(Error::with_msg(Errno::Eaddrnotavail, "ipv6: Cannot assign loopback address on this device"));
        }
        let i = self.add_addr(addr, prefix_len, addr_scope(addr), flags | AddrFlags::PERMANENT, 0)?;
        let prefix_route = !flags.contains(AddrFlags::NOPREFIXROUTE);
        ctx.out.push(Output::AddrAdded { ifindex: self.ifindex(), addr, prefix_len, prefix_route });
        self.dad_start(i, ctx);
        Ok(())
    }

    /// `inet6_addr_del`: the address must match with its prefix length.
    pub(crate) fn addr_del(&mut self, addr: Ipv6Addr, prefix_len: u8, ctx: &mut Ctx<'_>) -> Result<(), Error> {
        match self.addrs.iter().position(|a| a.addr == addr && a.prefix_len == prefix_len) {
            Some(i) => {
                self.del_addr(i, ctx);
                Ok(())
            }
            None => Err(Error::with_msg(Errno::Eaddrnotavail, "ipv6: address not found")),
        }
    }

    /// `ipv6_del_addr`: unlink, stop DAD, RTM_DELADDR (which leaves the solicited-node group),
    /// and drop the prefix route unless another address still needs it
    /// (`check_cleanup_prefix_route`; every address here is permanent).
    fn del_addr(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let a = self.addrs.remove(i);
        let shared =
            self.addrs.iter().any(|o| o.prefix_len == a.prefix_len && same_prefix(o.addr, a.addr, a.prefix_len));
        let delete_prefix_route = !a.flags.contains(AddrFlags::NOPREFIXROUTE) && !shared;
        let ifindex = self.ifindex();
        ctx.out.push(Output::AddrRemoved { ifindex, addr: a.addr, prefix_len: a.prefix_len, delete_prefix_route });
        self.leave_solict(a.addr, ctx);
    }

    /// `addrconf_dad_start`: PREDAD, and the DAD work queued at once.
    fn dad_start(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        self.addrs[i].state = DadState::PreDad;
        self.addrs[i].dad = Some(ctx.arm(0));
    }

    /// `addrconf_dad_work`.
    pub(crate) fn dad_work(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        let Some(i) = self.find(addr) else { return };
        self.addrs[i].dad = None;
        if self.addrs[i].state == DadState::PreDad {
            self.addrs[i].state = DadState::Dad;
            self.dad_begin(addr, ctx);
            return;
        }
        if self.addrs[i].dad_probes == 0 {
            // addrconf_dad_end
            if self.addrs[i].state != DadState::Dad {
                return;
            }
            self.addrs[i].state = DadState::PostDad;
        }
        if self.dead || !self.ready {
            return;
        }
        let a = &mut self.addrs[i];
        if a.dad_probes == 0 {
            let send_na = a.flags.contains(AddrFlags::TENTATIVE) && !a.flags.contains(AddrFlags::OPTIMISTIC);
            a.flags.set(AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC | AddrFlags::DADFAILED, false);
            self.dad_completed(addr, send_na, ctx);
            return;
        }
        a.dad_probes -= 1;
        let nonce = a.nonce;
        // max(NEIGH_VAR(RETRANS_TIME), HZ/100)
        let retrans = msecs_to_jiffies(ctx.cnf.retrans_time_ms).max(super::HZ / 100);
        self.addrs[i].dad = Some(ctx.arm(retrans));
        let mcaddr = solicited_node(addr);
        let pkt = wire::ns(Ipv6Addr::UNSPECIFIED, mcaddr, addr, self.link.mac, nonce);
        self.send(ctx, mcaddr, pkt);
    }

    /// `addrconf_dad_begin`.
    fn dad_begin(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        self.join_solict(addr, ctx);
        let Some(i) = self.find(addr) else { return };
        let flags = self.addrs[i].flags;
        if !self.nd_capable()
            || ctx.cnf.accept_dad < 1
            || !flags.contains(AddrFlags::TENTATIVE)
            || flags.contains(AddrFlags::NODAD)
        {
            let send_na = flags.contains(AddrFlags::TENTATIVE) && !flags.contains(AddrFlags::OPTIMISTIC);
            self.addrs[i].flags.set(AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC | AddrFlags::DADFAILED, false);
            self.dad_completed(addr, send_na, ctx);
            return;
        }
        if !self.ready {
            // addrconf_dad_stop(ifp, 0): a permanent address waits, tentative, for the link;
            // addrconf_dad_run kicks it when the link becomes ready.
            self.addrs[i].dad = None;
            return;
        }
        self.dad_kick(i, ctx);
    }

    /// `addrconf_dad_kick`: a random delay below `rtr_solicit_delay`, a fresh nonce, and
    /// `dad_transmits` probes.
    fn dad_kick(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let delay = if self.addrs[i].flags.contains(AddrFlags::OPTIMISTIC) {
            0
        } else {
            ctx.below(msecs_to_jiffies(ctx.cnf.rtr_solicit_delay_ms).max(1))
        };
        let nonce = ctx.cnf.enhanced_dad.then(|| {
            loop {
                let bytes = ctx.rng.next_u64().to_le_bytes();
                let nonce = [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]];
                if nonce != [0; 6] {
                    break nonce;
                }
            }
        });
        let a = &mut self.addrs[i];
        a.nonce = nonce;
        a.dad_probes = ctx.cnf.dad_transmits;
        a.dad = Some(ctx.arm(delay));
    }

    /// `ipv6_lonely_lladdr`: no other usable permanent link-local address.
    fn lonely_lladdr(&self, addr: Ipv6Addr) -> bool {
        let busy = AddrFlags::PERMANENT | AddrFlags::TENTATIVE | AddrFlags::OPTIMISTIC | AddrFlags::DADFAILED;
        for a in self.addrs.iter().rev() {
            if a.scope.ifa_bits() > AddrScope::Link.ifa_bits() {
                break;
            }
            if a.addr != addr && a.scope == AddrScope::Link && a.flags & busy == AddrFlags::PERMANENT {
                return false;
            }
        }
        true
    }

    /// `addrconf_dad_completed`: RTM_NEWADDR, then for the device's only link-local the MLD
    /// reports again from it (`ipv6_mc_dad_complete`) and the first router solicitation at once
    /// (DAD's random delay already spread the hosts out).
    fn dad_completed(&mut self, addr: Ipv6Addr, send_na: bool, ctx: &mut Ctx<'_>) {
        let Some(i) = self.find(addr) else { return };
        self.addrs[i].dad = None;
        let (prefix_len, scope) = (self.addrs[i].prefix_len, self.addrs[i].scope);
        ctx.out.push(Output::AddrReady { ifindex: self.ifindex(), addr, prefix_len });
        let send_mld = scope == AddrScope::Link && self.lonely_lladdr(addr);
        let send_rs = send_mld && accept_ra(ctx.cnf) && ctx.cnf.rtr_solicits != 0 && !self.link.is_loopback;
        if send_mld {
            self.mc_dad_complete(ctx);
        }
        if send_na && ctx.cnf.ndisc_notify {
            let mac = self.link.mac.filter(|_| self.link.needs_nd);
            let pkt = wire::unsolicited_na(addr, ctx.cnf.forwarding, mac);
            self.send(ctx, wire::ALL_NODES, pkt);
        }
        if send_rs {
            let Some(ll) = self.lladdr(AddrFlags::TENTATIVE) else { return };
            self.send(ctx, wire::ALL_ROUTERS, wire::rs(ll, self.link.mac));
            self.rs_interval = backoff_init(ctx.rng, msecs_to_jiffies(ctx.cnf.rtr_solicit_interval_ms));
            self.rs_probes = 1;
            self.rs = Some(ctx.arm(self.rs_interval));
        }
    }

    /// `addrconf_rs_timer`.
    pub(crate) fn rs_timer(&mut self, ctx: &mut Ctx<'_>) {
        self.rs = None;
        if self.dead || !self.ready || !accept_ra(ctx.cnf) || self.ra_rcvd {
            return;
        }
        let solicits = ctx.cnf.rtr_solicits;
        let sent = self.rs_probes;
        self.rs_probes += 1;
        if sent < solicits || solicits < 0 {
            let Some(ll) = self.lladdr(AddrFlags::TENTATIVE) else { return };
            self.send(ctx, wire::ALL_ROUTERS, wire::rs(ll, self.link.mac));
            let max = msecs_to_jiffies(ctx.cnf.rtr_solicit_max_interval_ms);
            self.rs_interval = backoff_update(ctx.rng, self.rs_interval, max);
            // The wait after the last probe can be shorter.
            let next = if self.rs_probes == solicits {
                msecs_to_jiffies(ctx.cnf.rtr_solicit_delay_ms)
            } else {
                self.rs_interval
            };
            self.rs = Some(ctx.arm(next));
        }
    }

    /// `addrconf_dad_failure` and the DAD work's abort branch, which the kernel queues with no
    /// delay: the address keeps TENTATIVE and gets DADFAILED (`addrconf_dad_stop`); with
    /// `accept_dad > 1` a failed MAC-derived link-local disables IPv6 on the device.
    pub(crate) fn dad_failure(&mut self, i: usize, ctx: &mut Ctx<'_>) -> bool {
        // addrconf_dad_end: only a DAD in progress can fail.
        if self.addrs[i].state != DadState::Dad {
            return false;
        }
        self.addrs[i].state = DadState::PostDad;
        let a = &self.addrs[i];
        let disable = ctx.cnf.accept_dad > 1
            && !ctx.cnf.disable_ipv6
            && self.link.mac.is_some_and(|mac| eui64_link_local(mac) == a.addr);
        let a = &mut self.addrs[i];
        a.flags |= AddrFlags::DADFAILED | AddrFlags::TENTATIVE;
        a.flags.set(AddrFlags::OPTIMISTIC, false);
        a.dad = None;
        let (addr, prefix_len) = (a.addr, a.prefix_len);
        ctx.out.push(Output::AddrDadFailed { ifindex: self.ifindex(), addr, prefix_len });
        if disable {
            ctx.out.push(Output::Ipv6Disabled { ifindex: self.ifindex() });
            self.ifdown(false, true, ctx);
        }
        true
    }

    /// Answers [`DadRx`](super::DadRx) questions: the nonce of a tentative address.
    pub(crate) fn dad_nonce(&self, i: usize) -> Option<[u8; 6]> {
        self.addrs[i].nonce
    }

    pub(crate) fn index_of(&self, addr: Ipv6Addr) -> Option<usize> {
        self.find(addr)
    }

    /// `addrconf_ifdown`: addresses go (a permanent non-link-local one stays, tentative, with
    /// `keep_addr_on_down`), DAD and RS stop, the link is no longer ready, and MLD goes down
    /// (`ipv6_mc_down`, only if it was ready). `disabled` is the effective `disable_ipv6`.
    pub(crate) fn ifdown(&mut self, unregister: bool, disabled: bool, ctx: &mut Ctx<'_>) {
        if unregister {
            self.dead = true;
        }
        let keep_addr = !unregister && !disabled && ctx.cnf.keep_addr_on_down;
        self.rs = None;
        let was_ready = self.ready;
        if !unregister {
            self.ready = false;
            self.ra_rcvd = false;
        }
        let all: Vec<Ipv6Addr> = self.addrs.iter().map(|a| a.addr).collect();
        for addr in all {
            let Some(i) = self.find(addr) else { continue };
            self.addrs[i].dad = None;
            let a = &self.addrs[i];
            let is_local = addr.is_loopback() || a.scope == AddrScope::Link;
            if keep_addr && a.flags.contains(AddrFlags::PERMANENT) && !is_local {
                let a = &mut self.addrs[i];
                a.state = DadState::PreDad;
                if !a.flags.contains(AddrFlags::NODAD) {
                    a.flags |= AddrFlags::TENTATIVE;
                }
                self.leave_solict(addr, ctx);
            } else {
                let a = self.addrs.remove(i);
                let ifindex = self.ifindex();
                ctx.out.push(Output::AddrRemoved {
                    ifindex,
                    addr,
                    prefix_len: a.prefix_len,
                    delete_prefix_route: false,
                });
                self.leave_solict(addr, ctx);
            }
        }
        if !unregister && was_ready {
            self.mc_down(ctx);
        }
    }

    /// `dev_forward_change`: the all-routers groups follow `forwarding`.
    pub(crate) fn forward_change(&mut self, ctx: &mut Ctx<'_>) {
        if !self.link.multicast {
            return;
        }
        for group in [wire::ALL_ROUTERS, wire::NODE_LOCAL_ALL_ROUTERS, wire::SITE_LOCAL_ALL_ROUTERS] {
            if ctx.cnf.forwarding {
                self.mc_inc(group, ctx);
            } else {
                self.mc_dec(group, ctx);
            }
        }
    }

    /// The earliest armed timer of the device.
    pub(crate) fn earliest(&self) -> Option<(Timer, TimerKind)> {
        let dad = self.addrs.iter().filter_map(|a| a.dad.map(|t| (t, TimerKind::Dad(a.addr))));
        let rs = self.rs.map(|t| (t, TimerKind::Rs));
        dad.chain(rs).chain(self.mld.timers()).min_by_key(|&(t, _)| t)
    }

    /// Run one expired timer.
    pub(crate) fn run(&mut self, kind: TimerKind, ctx: &mut Ctx<'_>) {
        match kind {
            TimerKind::Dad(addr) => self.dad_work(addr, ctx),
            TimerKind::Rs => self.rs_timer(ctx),
            TimerKind::MldIfc => self.mld_ifc_work(ctx),
            TimerKind::MldDad => self.mld_dad_work(ctx),
            TimerKind::MldGroup(group) => self.mld_mca_work(group, ctx),
        }
    }

    /// Run every timer of this device due at `ctx.now`, in expiry order.
    pub(crate) fn run_due(&mut self, ctx: &mut Ctx<'_>) {
        while let Some((t, kind)) = self.earliest() {
            if t.at > ctx.now {
                break;
            }
            self.run(kind, ctx);
        }
    }
}

/// `ipv6_prefix_equal`.
pub(crate) fn same_prefix(a: Ipv6Addr, b: Ipv6Addr, len: u8) -> bool {
    let len = u32::from(len.min(128));
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - len);
    u128::from(a) & mask == u128::from(b) & mask
}
