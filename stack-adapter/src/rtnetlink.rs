//! The stack's rtnetlink messages: addresses (`inet_fill_ifaddr`, `inet6_fill_ifaddr`), routes
//! (`fib_dump_info`, `rt6_fill_node`) and neighbours (`neigh_fill_info`), as the real bytes
//! (`nlmsghdr` + `ifaddrmsg` / `rtmsg` / `ndmsg` + attributes, host byte order). The same
//! builders serve dumps (`ip addr`, `ip route`, `ip neigh` read them) and notifications (`ip
//! monitor`, nlmon).
//!
//! # Notifications
//! Rather than a call at every place that changes state, the stack compares what it would dump
//! before and after each entry point (configuration call, netdev event, timer, received packet)
//! and sends the difference, in the order the kernel does for the common cases: deleted
//! addresses, deleted routes, new addresses, new routes (local, then prefix, then broadcast, as
//! `fib_add_ifaddr`), then neighbours. Nothing is compared while no socket listens. Deviations,
//! each what the kernel does too in the common case: IPv4 routes flushed by NETDEV_DOWN go
//! silently (`fib_flush` does not notify); neighbour moves the kernel does not announce
//! (creation as INCOMPLETE, REACHABLE to DELAY, DELAY to PROBE) are not sent; tentative IPv6
//! addresses are announced when DAD ends (`addrconf_dad_completed`); a state passed through
//! within one entry point is not seen.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netdev_core::netlink::{
    MsgBuilder, RTM_DELADDR, RTM_DELNEIGH, RTM_DELROUTE, RTM_NEWADDR, RTM_NEWNEIGH, RTM_NEWROUTE, RTMGRP_IPV4_IFADDR,
    RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE, RTMGRP_NEIGH,
};
use netdev_core::{NetnsId, World};

use crate::addrconf::{AddrFlags, AddrScope, Ipv6AddrInfo};
use crate::fib::{Proto, Route, RouteType, Scope};
use crate::ipv4::InAddr;
use crate::neigh::Nud;
use crate::stack::{Inner, NeighEntry};

/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_INET6`.
pub const AF_INET6: u8 = 10;

/// `IFA_*` attributes.
#[allow(missing_docs)]
pub mod ifa {
    pub const ADDRESS: u16 = 1;
    pub const LOCAL: u16 = 2;
    pub const LABEL: u16 = 3;
    pub const BROADCAST: u16 = 4;
    pub const CACHEINFO: u16 = 6;
    pub const FLAGS: u16 = 8;
    pub const RT_PRIORITY: u16 = 9;
    pub const PROTO: u16 = 11;
    /// `IFA_F_SECONDARY`.
    pub const F_SECONDARY: u32 = 0x01;
    /// `IFA_F_PERMANENT`.
    pub const F_PERMANENT: u32 = 0x80;
    /// `IFA_F_NOPREFIXROUTE`.
    pub const F_NOPREFIXROUTE: u32 = 0x200;
    /// `INFINITY_LIFE_TIME`.
    pub const INFINITY: u32 = u32::MAX;
}

/// `RTA_*` attributes, `RTN_*` types, `RTPROT_*`, `RTNH_F_*` flags and tables.
#[allow(missing_docs)]
pub mod rta {
    pub const DST: u16 = 1;
    pub const OIF: u16 = 4;
    pub const GATEWAY: u16 = 5;
    pub const PRIORITY: u16 = 6;
    pub const PREFSRC: u16 = 7;
    pub const METRICS: u16 = 8;
    pub const CACHEINFO: u16 = 12;
    pub const TABLE: u16 = 15;
    pub const PREF: u16 = 20;
    /// `RTAX_MTU`, nested in `RTA_METRICS`.
    pub const RTAX_MTU: u16 = 2;
    pub const RT_TABLE_MAIN: u32 = 254;
    pub const RT_TABLE_LOCAL: u32 = 255;
    pub const RTNH_F_DEAD: u32 = 1;
    pub const RTNH_F_ONLINK: u32 = 4;
    pub const RTNH_F_LINKDOWN: u32 = 16;
    /// `RTM_F_CLONED`.
    pub const RTM_F_CLONED: u32 = 0x200;
}

/// `NDA_*` attributes and `NTF_*` flags.
#[allow(missing_docs)]
pub mod nda {
    pub const DST: u16 = 1;
    pub const LLADDR: u16 = 2;
    pub const CACHEINFO: u16 = 3;
    pub const PROBES: u16 = 4;
    pub const NTF_PROXY: u8 = 0x08;
    pub const NTF_ROUTER: u8 = 0x80;
}

/// `RTN_*` of a route type.
pub fn rtn(t: RouteType) -> u8 {
    match t {
        RouteType::Unicast => 1,
        RouteType::Local => 2,
        RouteType::Broadcast => 3,
        RouteType::Blackhole => 6,
        RouteType::Unreachable => 7,
        RouteType::Prohibit => 8,
    }
}

/// `RTPROT_*` of a route origin.
pub fn rtprot(p: Proto) -> u8 {
    match p {
        Proto::Boot => 3,
        Proto::Kernel => 2,
        Proto::Static => 4,
        Proto::Ra => 9,
    }
}

/// `NUD_*` bits of a neighbour state.
pub fn nud_bits(n: Nud) -> u16 {
    match n {
        Nud::Incomplete => 0x01,
        Nud::Reachable => 0x02,
        Nud::Stale => 0x04,
        Nud::Delay => 0x08,
        Nud::Probe => 0x10,
        Nud::Failed => 0x20,
        Nud::Noarp => 0x40,
        Nud::Permanent => 0x80,
    }
}

/// `RT_SCOPE_*` of an IPv6 address scope (`ipv6_addr_scope` → `rt_scope`).
fn scope6(s: AddrScope) -> u8 {
    match s {
        AddrScope::Global => 0,
        AddrScope::Site => 200,
        AddrScope::Link => 253,
        AddrScope::Host => 254,
    }
}

fn ifaddrmsg(m: &mut MsgBuilder, family: u8, plen: u8, flags: u32, scope: u8, ifindex: u32) {
    m.raw(&[family, plen, (flags & 0xff) as u8, scope]);
    m.raw(&ifindex.to_ne_bytes());
}

/// `put_cacheinfo`: created/updated stamps (0: the stack keeps none) and infinite lifetimes.
fn ifa_cacheinfo(m: &mut MsgBuilder) {
    let mut ci = Vec::with_capacity(16);
    for v in [ifa::INFINITY, ifa::INFINITY, 0, 0] {
        ci.extend_from_slice(&v.to_ne_bytes());
    }
    m.attr(ifa::CACHEINFO, &ci);
}

/// `inet_fill_ifaddr`: one IPv4 address of `ifindex`.
pub fn fill_addr4(msg_type: u16, ifindex: u32, a: &InAddr) -> Vec<u8> {
    let mut flags = ifa::F_PERMANENT;
    if a.secondary {
        flags |= ifa::F_SECONDARY;
    }
    if a.noprefixroute {
        flags |= ifa::F_NOPREFIXROUTE;
    }
    let mut m = MsgBuilder::new(msg_type, 0);
    ifaddrmsg(&mut m, AF_INET, a.prefix_len, flags, a.scope.value(), ifindex);
    m.attr(ifa::ADDRESS, &a.peer.unwrap_or(a.local).octets());
    m.attr(ifa::LOCAL, &a.local.octets());
    if let Some(b) = a.broadcast {
        m.attr(ifa::BROADCAST, &b.octets());
    }
    m.attr_str(ifa::LABEL, &a.label);
    m.attr_u32(ifa::FLAGS, flags);
    if a.metric != 0 {
        m.attr_u32(ifa::RT_PRIORITY, a.metric);
    }
    ifa_cacheinfo(&mut m);
    m.finish()
}

/// `inet6_fill_ifaddr`: one IPv6 address of `ifindex`.
pub fn fill_addr6(msg_type: u16, ifindex: u32, a: &Ipv6AddrInfo) -> Vec<u8> {
    let mut m = MsgBuilder::new(msg_type, 0);
    ifaddrmsg(&mut m, AF_INET6, a.prefix_len, a.flags.0, scope6(a.scope), ifindex);
    m.attr(ifa::ADDRESS, &a.addr.octets());
    ifa_cacheinfo(&mut m);
    m.attr_u32(ifa::FLAGS, a.flags.0);
    if a.proto != 0 {
        m.attr_u8(ifa::PROTO, a.proto);
    }
    m.finish()
}

/// What a route message needs besides the route itself.
#[derive(Clone, Copy, Debug)]
pub struct RouteCtx {
    /// `RT_TABLE_MAIN` or `RT_TABLE_LOCAL`.
    pub table: u32,
    /// The device has no carrier (`RTNH_F_LINKDOWN` on non-local nexthops).
    pub linkdown: bool,
}

/// `struct rtmsg`: family, lengths, tos, table, then `[protocol, scope, type]` and the flags.
fn rtmsg(m: &mut MsgBuilder, family: u8, dst_len: u8, table: u32, pst: [u8; 3], flags: u32) {
    let t = if table < 256 { table as u8 } else { 252 };
    m.raw(&[family, dst_len, 0, 0, t, pst[0], pst[1], pst[2]]);
    m.raw(&flags.to_ne_bytes());
}

fn route_flags<A: crate::fib::RouteAddr>(r: &Route<A>, c: RouteCtx) -> u32 {
    let mut f = 0;
    if c.linkdown && r.rtype != RouteType::Local && r.ifindex != 0 {
        f |= rta::RTNH_F_LINKDOWN;
    }
    if r.onlink {
        f |= rta::RTNH_F_ONLINK;
    }
    f
}

fn metrics(m: &mut MsgBuilder, mtu: Option<u32>) {
    if let Some(mtu) = mtu {
        let at = m.nest_start(rta::METRICS);
        m.attr_u32(rta::RTAX_MTU, mtu);
        m.nest_end(at);
    }
}

/// `fib_dump_info`: one IPv4 route of table `c.table`.
pub fn fill_route4(msg_type: u16, r: &Route<Ipv4Addr>, c: RouteCtx) -> Vec<u8> {
    let mut m = MsgBuilder::new(msg_type, 0);
    rtmsg(&mut m, AF_INET, r.plen, c.table, [rtprot(r.proto), r.scope.value(), rtn(r.rtype)], route_flags(r, c));
    m.attr_u32(rta::TABLE, c.table);
    if r.plen > 0 {
        m.attr(rta::DST, &r.dst.octets());
    }
    if r.metric != 0 {
        m.attr_u32(rta::PRIORITY, r.metric);
    }
    metrics(&mut m, r.mtu);
    if let Some(s) = r.prefsrc {
        m.attr(rta::PREFSRC, &s.octets());
    }
    if let Some(g) = r.gateway {
        m.attr(rta::GATEWAY, &g.octets());
    }
    if r.ifindex != 0 {
        m.attr_u32(rta::OIF, r.ifindex);
    }
    m.finish()
}

/// `rt6_fill_node`: one IPv6 route of table `c.table`.
pub fn fill_route6(msg_type: u16, r: &Route<Ipv6Addr>, c: RouteCtx) -> Vec<u8> {
    let mut m = MsgBuilder::new(msg_type, 0);
    rtmsg(&mut m, AF_INET6, r.plen, c.table, [rtprot(r.proto), 0, rtn(r.rtype)], route_flags(r, c));
    m.attr_u32(rta::TABLE, c.table);
    if r.plen > 0 {
        m.attr(rta::DST, &r.dst.octets());
    }
    if let Some(s) = r.prefsrc {
        m.attr(rta::PREFSRC, &s.octets());
    }
    metrics(&mut m, r.mtu);
    m.attr_u32(rta::PRIORITY, r.metric);
    if let Some(g) = r.gateway {
        m.attr(rta::GATEWAY, &g.octets());
    }
    if r.ifindex != 0 {
        m.attr_u32(rta::OIF, r.ifindex);
    }
    m.attr(rta::CACHEINFO, &[0u8; 32]);
    // ICMPV6_ROUTER_PREF_MEDIUM.
    m.attr_u8(rta::PREF, 0);
    m.finish()
}

/// `neigh_fill_info` (and `pneigh_fill_info` for proxy entries).
pub fn fill_neigh(msg_type: u16, n: &NeighEntry) -> Vec<u8> {
    let (family, dst): (u8, Vec<u8>) = match n.addr {
        IpAddr::V4(a) => (AF_INET, a.octets().to_vec()),
        IpAddr::V6(a) => (AF_INET6, a.octets().to_vec()),
    };
    let mut m = MsgBuilder::new(msg_type, 0);
    let (state, flags) =
        if n.proxy { (0u16, nda::NTF_PROXY) } else { (nud_bits(n.state), if n.router { nda::NTF_ROUTER } else { 0 }) };
    m.raw(&[family, 0, 0, 0]);
    m.raw(&n.ifindex.to_ne_bytes());
    m.raw(&state.to_ne_bytes());
    // ndm_type: RTN_UNICAST.
    m.raw(&[flags, 1]);
    m.attr(nda::DST, &dst);
    if n.proxy {
        return m.finish();
    }
    if let Some(mac) = n.lladdr.filter(|_| n.state.is_valid()) {
        m.attr(nda::LLADDR, &mac.0);
    }
    m.attr_u32(nda::PROBES, n.probes);
    // struct nda_cacheinfo: confirmed, used, updated (clock_t, USER_HZ 100), refcnt.
    let ticks = |ns: u64| (ns / 10_000_000).min(u64::from(u32::MAX)) as u32;
    let refcnt = u32::from(n.lladdr.is_some() && matches!(n.state, Nud::Reachable | Nud::Delay | Nud::Probe));
    let mut ci = Vec::with_capacity(16);
    for v in [ticks(n.ages.1), ticks(n.ages.0), ticks(n.ages.2), refcnt] {
        ci.extend_from_slice(&v.to_ne_bytes());
    }
    m.attr(nda::CACHEINFO, &ci);
    m.finish()
}

/// The type of a message (`nlmsg_type`).
fn msg_type(m: &[u8]) -> u16 {
    m.get(4..6).map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]))
}

/// `m` with another `nlmsg_type`.
fn retype(m: &[u8], t: u16) -> Vec<u8> {
    let mut v = m.to_vec();
    if let Some(b) = v.get_mut(4..6) {
        b.copy_from_slice(&t.to_ne_bytes());
    }
    v
}

/// One entry of a dump with its identity, for comparison.
#[derive(Clone, Debug)]
struct Item {
    group: u32,
    key: Vec<u8>,
    /// What must differ for a change to be announced.
    sig: Vec<u8>,
    msg: Vec<u8>,
    /// Sort rank within its kind (route types, see the module doc).
    rank: u8,
    nud: Option<Nud>,
}

/// Everything the stack would dump, in dump order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    addrs: Vec<Item>,
    routes: Vec<Item>,
    neighs: Vec<Item>,
}

impl Inner {
    fn carrierless(&self, ifindex: u32) -> bool {
        self.dev(ifindex).is_some_and(|d| !d.has_carrier())
    }

    /// Every address message (`RTM_GETADDR` dump): IPv4 then IPv6, by device.
    pub(crate) fn dump_addrs(&self) -> Vec<Vec<u8>> {
        self.addr_items().into_iter().map(|i| i.msg).collect()
    }

    fn addr_items(&self) -> Vec<Item> {
        let mut v = Vec::new();
        for (&i, d) in &self.devs {
            for a in &d.in4 {
                let msg = fill_addr4(RTM_NEWADDR, i, a);
                let key = [&[AF_INET][..], &i.to_ne_bytes(), &a.local.octets(), &[a.prefix_len]].concat();
                v.push(Item { group: RTMGRP_IPV4_IFADDR, key, sig: msg.clone(), msg, rank: 0, nud: None });
            }
        }
        for &i in self.devs.keys() {
            for a in self.addrs6(i) {
                let msg = fill_addr6(RTM_NEWADDR, i, &a);
                let key = [&[AF_INET6][..], &i.to_ne_bytes(), &a.addr.octets(), &[a.prefix_len]].concat();
                let tentative = a.flags.contains(AddrFlags::TENTATIVE) && !a.flags.contains(AddrFlags::DADFAILED);
                let rank = u8::from(tentative);
                v.push(Item { group: RTMGRP_IPV6_IFADDR, key, sig: msg.clone(), msg, rank, nud: None });
            }
        }
        v
    }

    /// Every route message (`RTM_GETROUTE` dump of all tables): IPv4 main and local, then IPv6.
    pub(crate) fn dump_routes(&self) -> Vec<Vec<u8>> {
        self.route_items().into_iter().map(|i| i.msg).collect()
    }

    fn route_items(&self) -> Vec<Item> {
        let mut v = Vec::new();
        let mut push = |group: u32, msg: Vec<u8>, rtype: RouteType, table: u32| {
            // The identity is the message without rtm_flags (linkdown comes and goes silently).
            let mut key = msg.clone();
            if let Some(f) = key.get_mut(24..28) {
                f.copy_from_slice(&[0; 4]);
            }
            let rank = match (rtype, table) {
                (RouteType::Local, _) => 0,
                (RouteType::Broadcast, _) => 2,
                _ => 1,
            };
            v.push(Item { group, key: key.clone(), sig: key, msg, rank, nud: None });
        };
        let ctx = |table, ifindex| RouteCtx { table, linkdown: self.carrierless(ifindex) };
        for r in self.fib4.dump() {
            push(RTMGRP_IPV4_ROUTE, fill_route4(RTM_NEWROUTE, r, ctx(rta::RT_TABLE_MAIN, r.ifindex)), r.rtype, 254);
        }
        for r in self.local_table4() {
            let m = fill_route4(RTM_NEWROUTE, &r, ctx(rta::RT_TABLE_LOCAL, r.ifindex));
            push(RTMGRP_IPV4_ROUTE, m, r.rtype, 255);
        }
        for r in self.fib6.dump() {
            push(RTMGRP_IPV6_ROUTE, fill_route6(RTM_NEWROUTE, r, ctx(rta::RT_TABLE_MAIN, r.ifindex)), r.rtype, 254);
        }
        for (r, mcast) in self.local_table6() {
            let mut m = fill_route6(RTM_NEWROUTE, &r, RouteCtx { table: rta::RT_TABLE_LOCAL, linkdown: false });
            if mcast && let Some(t) = m.get_mut(23) {
                // rtm_type: RTN_MULTICAST.
                *t = 5;
            }
            push(RTMGRP_IPV6_ROUTE, m, if mcast { RouteType::Broadcast } else { r.rtype }, 255);
        }
        v
    }

    /// IPv6's local table as the kernel fills it: a `local` route per usable address
    /// (`__ipv6_ifa_notify` → `ip6_ins_rt`) and `multicast ff00::/8` per configured device
    /// (flagged true: `RouteType` has no multicast), kept apart from the main table here.
    pub(crate) fn local_table6(&self) -> Vec<(Route<Ipv6Addr>, bool)> {
        let mut v = Vec::new();
        for (&i, d) in &self.devs {
            if !d.dev.is_up() {
                continue;
            }
            for a in self.addrs6(i) {
                if a.flags.intersects(AddrFlags::TENTATIVE | AddrFlags::DADFAILED) {
                    continue;
                }
                v.push((local6(a.addr, 128, RouteType::Local, i, 0), false));
            }
            // addrconf_add_mroute: the multicast route of a configured (non-loopback) device.
            if !d.is_loopback() && !self.addrs6(i).is_empty() {
                let ff00 = Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0);
                v.push((local6(ff00, 8, RouteType::Unicast, i, 256), true));
            }
        }
        // The fib6 tree walks keys in order.
        v.sort_by_key(|(r, _)| (u128::from(r.dst), r.plen, r.ifindex));
        v
    }

    /// Every neighbour message (`RTM_GETNEIGH` dump), proxies last.
    pub(crate) fn dump_neighs(&self, entries: &[NeighEntry]) -> Vec<Vec<u8>> {
        entries.iter().map(|n| fill_neigh(RTM_NEWNEIGH, n)).collect()
    }

    fn neigh_items(&self, entries: &[NeighEntry]) -> Vec<Item> {
        entries
            .iter()
            .filter(|n| !n.proxy)
            .map(|n| {
                let msg = fill_neigh(RTM_NEWNEIGH, n);
                let key = [&n.ifindex.to_ne_bytes()[..], msg.get(16..17).unwrap_or(&[]), &ip_bytes(n.addr)].concat();
                let mut sig = vec![u8::from(n.router)];
                sig.extend_from_slice(&nud_bits(n.state).to_ne_bytes());
                if let Some(mac) = n.lladdr.filter(|_| n.state.is_valid()) {
                    sig.extend_from_slice(&mac.0);
                }
                Item { group: RTMGRP_NEIGH, key, sig, msg, rank: 0, nud: Some(n.state) }
            })
            .collect()
    }

    /// What a notification compares.
    pub(crate) fn nl_snapshot(&self, neighs: &[NeighEntry]) -> Snapshot {
        Snapshot { addrs: self.addr_items(), routes: self.route_items(), neighs: self.neigh_items(neighs) }
    }
}

/// A route of IPv6's local table.
fn local6(dst: Ipv6Addr, plen: u8, rtype: RouteType, ifindex: u32, metric: u32) -> Route<Ipv6Addr> {
    Route {
        dst,
        plen,
        rtype,
        ifindex,
        gateway: None,
        prefsrc: None,
        metric,
        proto: Proto::Kernel,
        scope: Scope::Universe,
        onlink: false,
        mtu: None,
    }
}

fn ip_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The neighbour changes the kernel announces (`neigh_update_notify` after `__neigh_update`, and
/// the timer's REACHABLE→STALE, DELAY→REACHABLE, →FAILED), not the silent ones.
fn neigh_announced(old: Option<Nud>, new: Nud) -> bool {
    !matches!((old, new), (_, Nud::Incomplete) | (Some(Nud::Reachable | Nud::Stale), Nud::Delay) | (_, Nud::Probe))
}

/// The messages that turn `before` into `after`, in kernel order; `quiet_v4_route_dels` for
/// NETDEV_DOWN, whose IPv4 route flush the kernel does not announce.
pub(crate) fn diff(before: &Snapshot, after: &Snapshot, quiet_v4_route_dels: bool) -> Vec<(u32, Vec<u8>)> {
    let find = |v: &[Item], k: &[u8]| v.iter().position(|i| i.key == k);
    let mut out = Vec::new();
    // Deleted addresses, then deleted routes (main before broadcast before local).
    let del_addr = |old: &Item| old.rank == 0;
    for o in before.addrs.iter().filter(|o| find(&after.addrs, &o.key).is_none() && del_addr(o)) {
        let del = retype(&o.msg, RTM_DELADDR);
        out.push((o.group, del));
    }
    let mut dels: Vec<&Item> = before
        .routes
        .iter()
        .filter(|o| find(&after.routes, &o.key).is_none())
        .filter(|o| !(quiet_v4_route_dels && o.group == RTMGRP_IPV4_ROUTE))
        .collect();
    // IPv4 (`fib_del_ifaddr`): prefix, broadcast, local; IPv6 (`ipv6_del_addr`): the local
    // route with the address, then the prefix route.
    dels.sort_by_key(|i| match (i.group == RTMGRP_IPV6_ROUTE, i.rank) {
        (false, 1) | (true, 0) => 0,
        (false, 2) => 1,
        _ => 2,
    });
    out.extend(dels.into_iter().map(|o| (o.group, retype(&o.msg, RTM_DELROUTE))));
    // New routes and addresses. IPv6 configures a link before its addresses are announced
    // (`addrconf_add_dev`: the multicast route, then `addrconf_prefix_route`), so those come
    // first; then new or changed addresses (tentative IPv6 ones wait for DAD); then the routes
    // an address brings: local, prefix, broadcast (`fib_add_ifaddr`, `__ipv6_ifa_notify`).
    let mut news: Vec<&Item> = after.routes.iter().filter(|n| find(&before.routes, &n.key).is_none()).collect();
    news.sort_by_key(|i| (i.group, i.rank));
    let (early, late): (Vec<&Item>, Vec<&Item>) =
        news.into_iter().partition(|i| i.group == RTMGRP_IPV6_ROUTE && i.rank != 0);
    let mut early = early;
    early.sort_by_key(|i| i.rank != 2);
    out.extend(early.into_iter().map(|n| (n.group, n.msg.clone())));
    for n in after.addrs.iter().filter(|n| n.rank == 0) {
        let changed = match find(&before.addrs, &n.key) {
            Some(p) => before.addrs[p].sig != n.sig,
            None => true,
        };
        if changed {
            out.push((n.group, n.msg.clone()));
        }
    }
    out.extend(late.into_iter().map(|n| (n.group, n.msg.clone())));
    for n in &after.neighs {
        let old = find(&before.neighs, &n.key).map(|p| &before.neighs[p]);
        let Some(state) = n.nud else { continue };
        let changed = old.is_none_or(|o| o.sig != n.sig);
        if changed && neigh_announced(old.and_then(|o| o.nud), state) {
            out.push((n.group, n.msg.clone()));
        }
    }
    for o in &before.neighs {
        if find(&after.neighs, &o.key).is_none() {
            out.push((o.group, retype(&o.msg, RTM_DELNEIGH)));
        }
    }
    out
}

/// Publish `msgs` to `ns`'s listeners.
pub(crate) fn publish(world: &World, ns: NetnsId, msgs: Vec<(u32, Vec<u8>)>) {
    for (group, m) in msgs {
        debug_assert!(msg_type(&m) != 0);
        world.netlink_publish(ns, group, &m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(local: [u8; 4]) -> InAddr {
        InAddr {
            local: local.into(),
            prefix_len: 24,
            peer: None,
            broadcast: None,
            scope: Scope::Universe,
            label: "veth0".into(),
            secondary: false,
            noprefixroute: false,
            metric: 0,
            live: true,
        }
    }

    #[test]
    fn inet_fill_ifaddr_layout() {
        let m = fill_addr4(RTM_NEWADDR, 2, &addr([10, 0, 0, 1]));
        assert_eq!(u32::from_ne_bytes([m[0], m[1], m[2], m[3]]) as usize, m.len());
        assert_eq!(msg_type(&m), RTM_NEWADDR);
        // ifaddrmsg: family, prefixlen, flags (PERMANENT), scope, index.
        assert_eq!(&m[16..20], &[AF_INET, 24, 0x80, 0]);
        assert_eq!(u32::from_ne_bytes([m[20], m[21], m[22], m[23]]), 2);
        let attrs: Vec<u16> = netdev_core::netlink::attrs(&m[24..]).map(|(t, _)| t).collect();
        assert_eq!(attrs, vec![ifa::ADDRESS, ifa::LOCAL, ifa::LABEL, ifa::FLAGS, ifa::CACHEINFO]);
    }

    #[test]
    fn neigh_announcements_follow_the_kernel() {
        assert!(!neigh_announced(None, Nud::Incomplete));
        assert!(neigh_announced(None, Nud::Stale));
        assert!(!neigh_announced(Some(Nud::Reachable), Nud::Delay));
        assert!(neigh_announced(Some(Nud::Delay), Nud::Reachable));
        assert!(neigh_announced(Some(Nud::Incomplete), Nud::Failed));
        assert!(neigh_announced(Some(Nud::Reachable), Nud::Stale));
    }

    #[test]
    fn diff_orders_address_before_routes_and_deletes_quietly_on_down() {
        let a = Item {
            group: 1,
            key: vec![1],
            sig: vec![1],
            msg: fill_addr4(RTM_NEWADDR, 2, &addr([10, 0, 0, 1])),
            rank: 0,
            nud: None,
        };
        let r = Item { group: 2, key: vec![2], sig: vec![2], msg: vec![0, 0, 0, 0, 24, 0], rank: 1, nud: None };
        let empty = Snapshot::default();
        let full = Snapshot { addrs: vec![a], routes: vec![r], neighs: vec![] };
        let up = diff(&empty, &full, false);
        assert_eq!(up.iter().map(|(g, _)| *g).collect::<Vec<_>>(), vec![1, 2]);
        let down = diff(&full, &empty, false);
        assert_eq!(msg_type(&down[0].1), RTM_DELADDR);
        assert_eq!(msg_type(&down[1].1), RTM_DELROUTE);
        let quiet = diff(&full, &Snapshot { addrs: full.addrs.clone(), ..Snapshot::default() }, true);
        // The route's group is not IPv4's here, so it is still announced.
        assert_eq!(quiet.len(), 1);
    }
}
