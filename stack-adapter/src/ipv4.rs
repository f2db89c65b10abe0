//! IPv4: addresses (`devinet.c`), the local table and output routes (`fib_frontend.c`,
//! `route.c`), ARP (`arp.c`), receive, forwarding and local delivery (`ip_input.c`,
//! `ip_forward.c`), and ICMP (`icmp.c`).

use std::net::{IpAddr, Ipv4Addr};

use netdev_core::{AddrEvent, CoreStat, Cpu, DropReason, Errno, Error, IfFlags, MacAddr, PktType, Result, Skb};

use crate::fib::{Proto, Route, RouteAddr, RouteType, Scope};
use crate::neigh::{NeighAction, Nud, UpdateFlags};
use crate::ping::PingRx;
use crate::sock::SockError;
use crate::stack::{AddrOpts, Inner, OutErr, RouteGet, RouteSpec, einval};
use crate::sysctl::Family;
use crate::wire::{
    ETH_P_ARP, ETH_P_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ip4, Ip4Err, checksum, fix_ip4_csum, mc_mac4,
    write_ip4,
};

/// An IPv4 address on a device (`struct in_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InAddr {
    /// `IFA_LOCAL`.
    pub local: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// `peer`, for point-to-point addresses.
    pub peer: Option<Ipv4Addr>,
    /// `brd`.
    pub broadcast: Option<Ipv4Addr>,
    /// Scope.
    pub scope: Scope,
    /// Label (the device name unless given).
    pub label: String,
    /// `IFA_F_SECONDARY`.
    pub secondary: bool,
    /// `IFA_F_NOPREFIXROUTE`.
    pub noprefixroute: bool,
    /// Route metric of the prefix route.
    pub metric: u32,
    /// Its local route is in the table (added while up or since the last up).
    pub(crate) live: bool,
}

impl InAddr {
    /// The subnet prefix.
    pub fn prefix(&self) -> Ipv4Addr {
        self.local.mask(self.prefix_len)
    }

    /// True if `a` is in this address's subnet (`inet_ifa_match`).
    pub fn matches(&self, a: Ipv4Addr) -> bool {
        a.in_prefix(self.local, self.prefix_len)
    }

    fn subnet_broadcast(&self) -> Option<Ipv4Addr> {
        if self.prefix_len >= 31 || self.secondary {
            return None;
        }
        let host = u32::MAX >> self.prefix_len;
        Some(Ipv4Addr::from(u32::from(self.prefix()) | host))
    }
}

const ARPOP_REQUEST: u16 = 1;
const ARPOP_REPLY: u16 = 2;
const ICMP_ECHOREPLY: u8 = 0;
const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_ECHO: u8 = 8;
const ICMP_TIME_EXCEEDED: u8 = 11;
const ICMP_PARAMETERPROB: u8 = 12;
/// `ICMP_NET_UNREACH` .. codes of destination unreachable.
pub(crate) const ICMP_NET_UNREACH: u8 = 0;
pub(crate) const ICMP_HOST_UNREACH: u8 = 1;
pub(crate) const ICMP_PROT_UNREACH: u8 = 2;
pub(crate) const ICMP_FRAG_NEEDED: u8 = 4;
pub(crate) const ICMP_PKT_FILTERED: u8 = 13;
const SEC: u64 = 1_000_000_000;
/// `ip_rt_mtu_expires`.
const PMTU_EXPIRES: u64 = 600 * SEC;
/// `ip_rt_min_pmtu`.
const MIN_PMTU: u32 = 552;

fn is_zeronet(a: Ipv4Addr) -> bool {
    a.octets()[0] == 0
}

/// The output route to a destination (`ip_route_output_key`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rt4 {
    pub(crate) rtype: RouteType,
    pub(crate) ifindex: u32,
    pub(crate) gw: Option<Ipv4Addr>,
    pub(crate) src: Option<Ipv4Addr>,
    pub(crate) mtu: u32,
}

/// `__ip_local_out`'s `iph_set_totlen` + `ip_send_check`: the total length is the packet's and
/// the header checksum is recomputed. Nothing for a packet too short to hold its header.
pub(crate) fn ip_send_check(b: &mut [u8]) {
    let len = b.len();
    if Ip4::parse_partial(b).is_err() || len > usize::from(u16::MAX) {
        return;
    }
    b[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    fix_ip4_csum(b);
}

impl Inner {
    // ------------------------------------------------------------------ addresses

    pub(crate) fn inet_addr_add(&mut self, ifindex: u32, a: Ipv4Addr, plen: u8, opts: &AddrOpts) -> Result<()> {
        if plen > 32 {
            return Err(Error::new(Errno::Einval));
        }
        let Some(d) = self.devs.get(&ifindex) else { return Err(Error::new(Errno::Enodev)) };
        let up = d.dev.is_up();
        let scope = opts.scope.unwrap_or(if a.is_loopback() { Scope::Host } else { Scope::Universe });
        let mut secondary = false;
        for x in &d.in4 {
            if x.prefix_len == plen && x.matches(a) {
                if x.local == a {
                    return Err(Error::with_msg(Errno::Eexist, "ipv4: Address already assigned"));
                }
                if x.scope != scope {
                    return Err(einval("ipv4: Invalid scope value"));
                }
                secondary = true;
            }
        }
        let peer = match opts.peer {
            Some(IpAddr::V4(p)) => Some(p),
            Some(IpAddr::V6(_)) => return Err(Error::new(Errno::Einval)),
            None => None,
        };
        let ia = InAddr {
            local: a,
            prefix_len: plen,
            peer,
            broadcast: opts.broadcast,
            scope,
            label: opts.label.clone().unwrap_or_else(|| d.dev.name().to_string()),
            secondary,
            noprefixroute: opts.noprefixroute,
            metric: opts.metric.unwrap_or(0),
            live: true,
        };
        // __inet_insert_ifa: the validator chain may veto (ipvlan: the address is another slave's).
        self.inetaddr.validate(&d.dev, IpAddr::V4(a))?;
        let Some(d) = self.devs.get_mut(&ifindex) else { return Err(Error::new(Errno::Enodev)) };
        // inet_insert_ifa: a primary goes after the last primary, a secondary at the end.
        let pos = if secondary { d.in4.len() } else { d.in4.iter().rposition(|x| !x.secondary).map_or(0, |p| p + 1) };
        d.in4.insert(pos, ia.clone());
        let dev = d.dev.clone();
        self.conf.inet_addr_added(ifindex);
        self.inetaddr.event(&dev, IpAddr::V4(a), AddrEvent::Up);
        if up {
            self.fib_add_ifaddr(ifindex, &ia);
        }
        Ok(())
    }

    pub(crate) fn inet_addr_del(&mut self, ifindex: u32, a: Ipv4Addr, plen: Option<u8>) -> Result<()> {
        let not_found = || Error::with_msg(Errno::Eaddrnotavail, "ipv4: Address not found");
        let Some(d) = self.devs.get_mut(&ifindex) else { return Err(Error::new(Errno::Enodev)) };
        let Some(i) = d.in4.iter().position(|x| x.local == a && plen.is_none_or(|p| p == x.prefix_len)) else {
            return Err(not_found());
        };
        let gone = d.in4.remove(i);
        let mut removed = vec![gone.clone()];
        if !gone.secondary {
            // __inet_del_ifa: secondaries of the subnet go too, unless promote_secondaries.
            let promote = self.conf.promote_secondaries(ifindex);
            let Some(d) = self.devs.get_mut(&ifindex) else { return Ok(()) };
            if promote {
                if let Some(s) =
                    d.in4.iter_mut().find(|x| x.secondary && x.prefix_len == gone.prefix_len && gone.matches(x.local))
                {
                    s.secondary = false;
                }
            } else {
                let (drop, keep): (Vec<InAddr>, Vec<InAddr>) = std::mem::take(&mut d.in4)
                    .into_iter()
                    .partition(|x| x.secondary && x.prefix_len == gone.prefix_len && gone.matches(x.local));
                d.in4 = keep;
                removed.extend(drop);
            }
        }
        for r in &removed {
            self.fib_del_ifaddr(ifindex, r);
        }
        if let Some(dev) = self.dev(ifindex).cloned() {
            for r in &removed {
                self.inetaddr.event(&dev, IpAddr::V4(r.local), AddrEvent::Down);
            }
        }
        if self.conf.promote_secondaries(ifindex) && !gone.secondary {
            let promoted: Vec<InAddr> = self
                .devs
                .get(&ifindex)
                .map(|d| d.in4.iter().filter(|x| !x.secondary && gone.matches(x.local)).cloned().collect())
                .unwrap_or_default();
            if self.devs.get(&ifindex).is_some_and(|d| d.dev.is_up()) {
                for p in promoted {
                    self.fib_add_ifaddr(ifindex, &p);
                }
            }
        }
        Ok(())
    }

    /// `fib_add_ifaddr`: the prefix route of a primary address (the local and broadcast routes
    /// are derived from the address list).
    fn fib_add_ifaddr(&mut self, ifindex: u32, ia: &InAddr) {
        let is_lo = self.devs.get(&ifindex).is_some_and(|d| d.is_loopback());
        if ia.secondary || ia.noprefixroute || is_lo {
            return;
        }
        let (dst, plen) = match ia.peer {
            Some(p) => (p.mask(ia.prefix_len), ia.prefix_len),
            None => (ia.prefix(), ia.prefix_len),
        };
        if is_zeronet(dst) || (dst == ia.local && plen == 32) {
            return;
        }
        self.fib4.add(Route {
            dst,
            plen,
            rtype: RouteType::Unicast,
            ifindex,
            gateway: None,
            prefsrc: Some(ia.local),
            metric: ia.metric,
            proto: Proto::Kernel,
            scope: Scope::Link,
            onlink: false,
            mtu: None,
        });
    }

    fn fib_del_ifaddr(&mut self, ifindex: u32, ia: &InAddr) {
        let dst = ia.peer.map_or(ia.prefix(), |p| p.mask(ia.prefix_len));
        self.fib4.retain(|r| {
            !(r.proto == Proto::Kernel
                && r.ifindex == ifindex
                && r.dst == dst
                && r.plen == ia.prefix_len
                && r.prefsrc == Some(ia.local))
        });
    }

    /// NETDEV_UP (`inetdev_event`, `fib_netdev_event`): loopback gets 127.0.0.1/8; every
    /// address's routes come back.
    pub(crate) fn inet_up(&mut self, ifindex: u32) {
        let Some(d) = self.devs.get_mut(&ifindex) else { return };
        if d.is_loopback() && d.in4.is_empty() {
            d.in4.push(InAddr {
                local: Ipv4Addr::LOCALHOST,
                prefix_len: 8,
                peer: None,
                broadcast: None,
                scope: Scope::Host,
                label: d.dev.name().to_string(),
                secondary: false,
                noprefixroute: false,
                metric: 0,
                live: true,
            });
        }
        for a in d.in4.iter_mut() {
            a.live = true;
        }
        let addrs = d.in4.clone();
        for a in &addrs {
            self.fib_add_ifaddr(ifindex, a);
        }
    }

    /// NETDEV_DOWN: routes through the device are flushed (static ones too), the local routes go,
    /// and so do its neighbours and proxy entries (`arp_ifdown`).
    pub(crate) fn inet_down(&mut self, ifindex: u32) {
        if let Some(d) = self.devs.get_mut(&ifindex) {
            for a in d.in4.iter_mut() {
                a.live = false;
            }
        }
        self.fib4.retain(|r| r.ifindex != ifindex);
        let q = self.neigh4.flush_dev(ifindex, false, true);
        self.pending_drops.extend(q);
        self.proxy_q.retain(|p| p.1 != ifindex);
    }

    /// The device owning local address `a` (`inet_addr_type == RTN_LOCAL`), including the whole
    /// 127/8 of an up loopback.
    pub(crate) fn local_dev4(&self, a: Ipv4Addr) -> Option<u32> {
        for d in self.devs.values() {
            for x in &d.in4 {
                if !x.live {
                    continue;
                }
                if x.local == a || (d.is_loopback() && d.dev.is_up() && x.matches(a)) {
                    return Some(d.ifindex());
                }
            }
        }
        None
    }

    /// True if `a` is any address configured in the namespace (`inet_lookup_ifaddr_rcu`).
    fn has_ifaddr4(&self, a: Ipv4Addr) -> bool {
        self.devs.values().any(|d| d.in4.iter().any(|x| x.local == a))
    }

    /// A subnet or explicit broadcast address of a live address: its device.
    fn broadcast_dev4(&self, a: Ipv4Addr) -> Option<u32> {
        for d in self.devs.values() {
            if !d.dev.is_up() {
                continue;
            }
            for x in d.in4.iter().filter(|x| x.live) {
                if x.subnet_broadcast() == Some(a) || (x.broadcast == Some(a) && a != Ipv4Addr::BROADCAST) {
                    return Some(d.ifindex());
                }
            }
        }
        None
    }

    /// `inet_addr_type_dev_table` restricted to what ARP asks: LOCAL, BROADCAST, MULTICAST or
    /// UNICAST.
    fn addr_type4(&self, a: Ipv4Addr) -> RouteType {
        if is_zeronet(a) || a == Ipv4Addr::BROADCAST || self.broadcast_dev4(a).is_some() {
            return RouteType::Broadcast;
        }
        if self.local_dev4(a).is_some() {
            return RouteType::Local;
        }
        RouteType::Unicast
    }

    /// The local table as `ip route show table local` lists it.
    pub(crate) fn local_table4(&self) -> Vec<Route<Ipv4Addr>> {
        let mut v = Vec::new();
        for d in self.devs.values() {
            let i = d.ifindex();
            for x in d.in4.iter().filter(|x| x.live) {
                // fib_magic takes the source from the subnet's primary address (`prim`).
                let prim = d
                    .in4
                    .iter()
                    .find(|p| !p.secondary && p.prefix_len == x.prefix_len && p.matches(x.local))
                    .map_or(x.local, |p| p.local);
                let mk = |dst, plen, rtype, scope| Route {
                    dst,
                    plen,
                    rtype,
                    ifindex: i,
                    gateway: None,
                    prefsrc: Some(prim),
                    metric: 0,
                    proto: Proto::Kernel,
                    scope,
                    onlink: false,
                    mtu: None,
                };
                v.push(mk(x.local, 32, RouteType::Local, Scope::Host));
                if !d.dev.is_up() {
                    continue;
                }
                if d.is_loopback() && !x.secondary && x.prefix_len < 32 {
                    v.push(mk(x.prefix(), x.prefix_len, RouteType::Local, Scope::Host));
                }
                if let Some(b) = x.broadcast.filter(|b| *b != Ipv4Addr::BROADCAST) {
                    v.push(mk(b, 32, RouteType::Broadcast, Scope::Link));
                }
                if let Some(b) = x.subnet_broadcast()
                    && x.broadcast != Some(b)
                {
                    v.push(mk(b, 32, RouteType::Broadcast, Scope::Link));
                }
            }
        }
        v.sort_by_key(|r| (r.dst.bits(), r.plen));
        v.dedup_by(|a, b| a.dst == b.dst && a.plen == b.plen);
        v
    }

    /// `inet_select_addr(dev, dst, scope)`.
    pub(crate) fn inet_select_addr(&self, ifindex: u32, dst: Option<Ipv4Addr>, scope: Scope) -> Option<Ipv4Addr> {
        let mut addr = None;
        if let Some(d) = self.devs.get(&ifindex) {
            for x in d.in4.iter().filter(|x| !x.secondary) {
                if x.scope > scope {
                    continue;
                }
                if dst.is_none_or(|t| x.matches(t)) {
                    return Some(x.local);
                }
                if addr.is_none() {
                    addr = Some(x.local);
                }
            }
        }
        if addr.is_some() {
            return addr;
        }
        // Any other device's address of scope below link, loopback first (ifindex order).
        for d in self.devs.values() {
            for x in d.in4.iter().filter(|x| !x.secondary) {
                if x.scope != Scope::Link && x.scope <= scope {
                    return Some(x.local);
                }
            }
        }
        None
    }

    // ------------------------------------------------------------------ routes

    pub(crate) fn route_add4(
        &mut self,
        spec: &RouteSpec,
        dst: Ipv4Addr,
        gw: Option<Ipv4Addr>,
        src: Option<Ipv4Addr>,
    ) -> Result<()> {
        if spec.plen > 32 {
            return Err(Error::new(Errno::Einval));
        }
        if dst.mask(spec.plen) != dst {
            return Err(einval("Invalid prefix for given prefix length"));
        }
        if let Some(s) = src
            && self.local_dev4(s).is_none()
            && !self.has_ifaddr4(s)
        {
            return Err(einval("Invalid prefsrc address"));
        }
        let metric = spec.metric.unwrap_or(0);
        let mut ifindex = spec.ifindex.unwrap_or(0);
        let needs_nh = spec.rtype == RouteType::Unicast || spec.rtype == RouteType::Local;
        if needs_nh {
            if let Some(g) = gw {
                if spec.onlink {
                    if ifindex == 0 {
                        return Err(einval("Nexthop device required for onlink"));
                    }
                    if !self.dev(ifindex).is_some_and(|d| d.is_up()) {
                        return Err(Error::with_msg(Errno::Enetdown, "Nexthop device is not up"));
                    }
                } else {
                    // fib_check_nh_v4_gw: the gateway must be on a link-scope route (oif-bound if
                    // a device was given), and not local/broadcast.
                    let oif = (ifindex != 0).then_some(ifindex);
                    let via = self.fib4.lookup(g, oif, |r| r.scope >= Scope::Link && r.rtype == RouteType::Unicast);
                    let bad = || einval("Nexthop has invalid gateway");
                    if self.local_dev4(g).is_some() || g.is_multicast() || is_zeronet(g) {
                        return Err(bad());
                    }
                    let Some(via) = via else { return Err(bad()) };
                    ifindex = via.ifindex;
                    if !self.dev(ifindex).is_some_and(|d| d.is_up()) {
                        return Err(Error::with_msg(Errno::Enetdown, "Nexthop device is not up"));
                    }
                }
            } else if ifindex == 0 {
                return Err(Error::new(Errno::Enodev));
            } else if !self.dev(ifindex).is_some_and(|d| d.is_up()) {
                return Err(Error::with_msg(Errno::Enetdown, "Nexthop device is not up"));
            }
        }
        let scope = spec.scope.unwrap_or(match (spec.rtype, gw) {
            (RouteType::Local, _) => Scope::Host,
            (RouteType::Unicast, None) => Scope::Link,
            _ => Scope::Universe,
        });
        let r = Route {
            dst,
            plen: spec.plen,
            rtype: spec.rtype,
            ifindex,
            gateway: gw,
            prefsrc: src,
            metric,
            proto: spec.proto,
            scope,
            onlink: spec.onlink,
            mtu: spec.mtu,
        };
        if self.fib4.add(r) { Ok(()) } else { Err(Error::new(Errno::Eexist)) }
    }

    /// `ip_route_output_key` for `dst` (optionally bound to `oif`).
    pub(crate) fn route_out4(&self, dst: Ipv4Addr, oif: Option<u32>) -> std::result::Result<Rt4, OutErr> {
        let lo = self.lo().unwrap_or(1);
        // A local route's nexthop is the device holding the address; bound to another device
        // (SO_BINDTODEVICE, `ping -I DEV`), fib_lookup_good_nhc skips it and the main table
        // decides: the packet leaves through DEV with DEV's source.
        if let Some(i) = self.local_dev4(dst)
            && oif.is_none_or(|o| o == i)
        {
            let mtu = self.dev(lo).map_or(65536, |d| d.mtu());
            return Ok(Rt4 { rtype: RouteType::Local, ifindex: lo, gw: None, src: Some(dst), mtu });
        }
        let up = |i: u32| self.dev(i).is_some_and(|d| d.is_up());
        let mk =
            |rtype, ifindex: u32, gw: Option<Ipv4Addr>, prefsrc: Option<Ipv4Addr>, scope: Scope, rmtu: Option<u32>| {
                let dmtu = self.dev(ifindex).map_or(1500, |d| d.mtu());
                let pmtu = self.pmtu.get(&IpAddr::V4(dst)).filter(|p| p.1 > self.now).map(|p| p.0);
                let mtu = [Some(dmtu), pmtu, rmtu].into_iter().flatten().min().unwrap_or(dmtu);
                let src = prefsrc.or_else(|| self.inet_select_addr(ifindex, Some(gw.unwrap_or(dst)), scope));
                Rt4 { rtype, ifindex, gw, src, mtu }
            };
        if (dst == Ipv4Addr::BROADCAST || dst.is_multicast())
            && let Some(o) = oif
        {
            if !up(o) {
                return Err(OutErr::NoRoute);
            }
            let t = if dst.is_multicast() { RouteType::Unicast } else { RouteType::Broadcast };
            return Ok(mk(t, o, None, None, Scope::Link, None));
        }
        if let Some(i) = self.broadcast_dev4(dst)
            && oif.is_none_or(|o| o == i)
        {
            return Ok(mk(RouteType::Broadcast, i, None, None, Scope::Link, None));
        }
        match self.fib4.lookup(dst, oif, |r| r.rtype != RouteType::Unicast || up(r.ifindex)) {
            Some(r) => match r.rtype {
                RouteType::Unicast => {
                    let t = if dst == Ipv4Addr::BROADCAST { RouteType::Broadcast } else { RouteType::Unicast };
                    Ok(mk(t, r.ifindex, r.gateway, r.prefsrc, r.scope.min(Scope::Link), r.mtu))
                }
                RouteType::Local => {
                    Ok(Rt4 { rtype: RouteType::Local, ifindex: lo, gw: None, src: Some(dst), mtu: 65536 })
                }
                _ => Err(OutErr::Unreachable),
            },
            None => match oif {
                // "Apparently, routing tables are wrong. Assume, that the destination is on link."
                Some(o) if up(o) => Ok(mk(RouteType::Unicast, o, None, None, Scope::Link, None)),
                _ => Err(OutErr::NoRoute),
            },
        }
    }

    pub(crate) fn route_get4(&self, dst: Ipv4Addr, oif: Option<u32>) -> std::result::Result<RouteGet, SockError> {
        let rt = self.route_out4(dst, oif).map_err(SockError::from)?;
        let pmtu = self.pmtu.get(&IpAddr::V4(dst)).filter(|p| p.1 > self.now).map(|p| p.0);
        Ok(RouteGet {
            rtype: rt.rtype,
            ifindex: rt.ifindex,
            gateway: rt.gw.map(IpAddr::V4),
            src: rt.src.map(IpAddr::V4),
            mtu: pmtu,
        })
    }

    // ------------------------------------------------------------------ output

    /// Would `ip_route_output_flow` for this packet (with `FLOWI_FLAG_ANYSRC`) give a unicast or
    /// local route? (ipvlan refuses other route types.)
    pub(crate) fn l3_routable4(&self, pkt: &[u8], oif: Option<u32>) -> bool {
        let Ok(h) = Ip4::parse(pkt) else { return false };
        self.route_out4(h.dst, oif).is_ok_and(|rt| matches!(rt.rtype, RouteType::Unicast | RouteType::Local))
            && !h.dst.is_multicast()
    }

    /// `ip_local_out` for a complete IPv4 packet.
    pub(crate) fn output4(&mut self, cpu: &mut Cpu, pkt: &[u8], oif: Option<u32>) -> std::result::Result<(), OutErr> {
        let h = Ip4::parse(pkt).map_err(|_| OutErr::Invalid)?;
        let rt = match self.route_out4(h.dst, oif) {
            Ok(rt) => rt,
            Err(e) => {
                self.mib_inc("IpOutNoRoutes");
                return Err(e);
            }
        };
        self.mib_inc("IpOutRequests");
        if pkt.len() > rt.mtu as usize && h.df && rt.rtype != RouteType::Local {
            return Err(OutErr::MsgSize(rt.mtu));
        }
        let skb = Self::skb_from(cpu, pkt);
        self.send4(cpu, skb, &h, &rt);
        Ok(())
    }

    /// `ip_finish_output`: fragmentation past the MTU (the caller has refused DF packets that do
    /// not fit), then the neighbour.
    fn send4(&mut self, cpu: &mut Cpu, skb: Skb, h: &Ip4, rt: &Rt4) {
        if rt.rtype == RouteType::Local {
            self.xmit(cpu, rt.ifindex, skb, MacAddr([0; 6]), ETH_P_IP);
            return;
        }
        if skb.len() > rt.mtu as usize {
            let frags = fragment4(skb.data(), h, rt.mtu as usize);
            cpu.consume_skb(skb);
            self.mib_inc("IpFragOKs");
            for f in frags {
                self.mib_inc("IpFragCreates");
                let skb = Self::skb_from(cpu, &f);
                self.neigh_output4(cpu, rt, h, skb);
            }
            return;
        }
        self.neigh_output4(cpu, rt, h, skb);
    }

    /// `ip_finish_output2` → `neigh_output`.
    fn neigh_output4(&mut self, cpu: &mut Cpu, rt: &Rt4, h: &Ip4, skb: Skb) {
        let ifindex = rt.ifindex;
        let Some(d) = self.devs.get(&ifindex) else {
            cpu.kfree_skb(skb, DropReason::IpOutnoroutes, None);
            return;
        };
        let flags = d.dev.raw_flags();
        if rt.rtype == RouteType::Broadcast || h.dst == Ipv4Addr::BROADCAST {
            let b = d.dev.broadcast();
            self.xmit(cpu, ifindex, skb, b, ETH_P_IP);
            return;
        }
        if h.dst.is_multicast() {
            self.xmit(cpu, ifindex, skb, MacAddr(mc_mac4(h.dst)), ETH_P_IP);
            return;
        }
        if !d.needs_arp() {
            // arp_constructor: NOARP/loopback → the device's own address; point-to-point → broadcast.
            let mac = if flags.contains(IfFlags::POINTOPOINT) { d.dev.broadcast() } else { d.dev.address() };
            self.xmit(cpu, ifindex, skb, mac, ETH_P_IP);
            return;
        }
        let nh = rt.gw.unwrap_or(h.dst);
        let parms = self.parms(Family::Inet, ifindex);
        let mut acts = Vec::new();
        let (res, skb) = self.neigh4.resolve(self.now, ifindex, nh, skb, &parms, &mut acts, Some(h.src));
        self.resolved(cpu, ifindex, res, skb, ETH_P_IP);
        self.neigh_actions4(cpu, acts);
    }

    pub(crate) fn neigh_actions4(&mut self, cpu: &mut Cpu, acts: Vec<NeighAction<Ipv4Addr>>) {
        for a in acts {
            match a {
                NeighAction::Solicit { ifindex, addr, unicast, trigger_src } => {
                    self.arp_solicit(cpu, ifindex, addr, unicast, trigger_src);
                }
                NeighAction::Failed { queued, .. } => {
                    for skb in queued {
                        // arp_error_report → icmp_send(HOST_UNREACH) to the packet's source.
                        self.icmp_send4(cpu, skb.data(), ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, None);
                        cpu.kfree_skb(skb, DropReason::NeighFailed, None);
                    }
                }
                NeighAction::Flush { ifindex, lladdr, queued, .. } => {
                    for skb in queued {
                        self.xmit(cpu, ifindex, skb, lladdr, ETH_P_IP);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ ARP

    /// `arp_solicit`: the sender address by arp_announce, broadcast or unicast.
    fn arp_solicit(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        target: Ipv4Addr,
        unicast: Option<MacAddr>,
        trigger: Option<Ipv4Addr>,
    ) {
        let Some(d) = self.devs.get(&ifindex) else { return };
        let mut saddr = None;
        match self.conf.arp_announce(ifindex) {
            1 => {
                if let Some(s) = trigger
                    && self.local_dev4(s).is_some()
                    && d.in4.iter().any(|x| x.matches(target) && x.matches(s))
                {
                    saddr = Some(s);
                }
            }
            2 => {}
            _ => {
                if let Some(s) = trigger
                    && self.local_dev4(s).is_some()
                {
                    saddr = Some(s);
                }
            }
        }
        let saddr = saddr
            .or_else(|| self.inet_select_addr(ifindex, Some(target), Scope::Link))
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let me = d.dev.address();
        let dst = unicast.unwrap_or(d.dev.broadcast());
        self.arp_send(cpu, ifindex, ARPOP_REQUEST, dst, me, saddr, MacAddr([0; 6]), target);
    }

    /// `inetdev_send_gratuitous_arp`: one broadcast request per address, sender and target IP
    /// both the address.
    pub(crate) fn send_gratuitous_arp(&mut self, cpu: &mut Cpu, ifindex: u32) {
        let Some(d) = self.devs.get(&ifindex) else { return };
        if !d.needs_arp() {
            return;
        }
        let (me, bc) = (d.dev.address(), d.dev.broadcast());
        let addrs: Vec<Ipv4Addr> = d.in4.iter().map(|a| a.local).collect();
        for a in addrs {
            self.arp_send(cpu, ifindex, ARPOP_REQUEST, bc, me, a, MacAddr([0; 6]), a);
        }
    }

    /// `arp_create` + `arp_xmit`: a 28-byte ARP packet in an Ethernet frame.
    #[allow(clippy::too_many_arguments)]
    fn arp_send(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        op: u16,
        dst: MacAddr,
        sha: MacAddr,
        sip: Ipv4Addr,
        tha: MacAddr,
        tip: Ipv4Addr,
    ) {
        let mut b = [0u8; 28];
        b[0..2].copy_from_slice(&1u16.to_be_bytes());
        b[2..4].copy_from_slice(&ETH_P_IP.to_be_bytes());
        b[4] = 6;
        b[5] = 4;
        b[6..8].copy_from_slice(&op.to_be_bytes());
        b[8..14].copy_from_slice(&sha.0);
        b[14..18].copy_from_slice(&sip.octets());
        b[18..24].copy_from_slice(&tha.0);
        b[24..28].copy_from_slice(&tip.octets());
        let skb = Self::skb_from(cpu, &b);
        self.mib_inc(if op == ARPOP_REQUEST { "ArpOutRequests" } else { "ArpOutReplies" });
        self.xmit(cpu, ifindex, skb, dst, ETH_P_ARP);
    }

    /// `arp_rcv` + `arp_process`.
    pub(crate) fn arp_rcv(&mut self, cpu: &mut Cpu, ifindex: u32, skb: Skb) {
        let pkt_type = skb.meta.pkt_type;
        let b = skb.data().to_vec();
        let Some(d) = self.devs.get(&ifindex) else {
            cpu.kfree_skb(skb, DropReason::NotSpecified, None);
            return;
        };
        let bad = b.len() < 28 || b[4] != 6 || b[5] != 4;
        if bad {
            cpu.kfree_skb(skb, DropReason::PktTooSmall, None);
            return;
        }
        if d.dev.raw_flags().contains(IfFlags::NOARP) || matches!(pkt_type, PktType::OtherHost | PktType::Loopback) {
            cpu.consume_skb(skb);
            return;
        }
        let hrd = u16::from_be_bytes([b[0], b[1]]);
        let pro = u16::from_be_bytes([b[2], b[3]]);
        let op = u16::from_be_bytes([b[6], b[7]]);
        if !(hrd == 1 || hrd == 6) || pro != ETH_P_IP || !(op == ARPOP_REQUEST || op == ARPOP_REPLY) {
            cpu.kfree_skb(skb, DropReason::NotSpecified, None);
            return;
        }
        cpu.consume_skb(skb);
        self.arp_process(cpu, ifindex, &b, pkt_type, false);
    }

    fn arp_process(&mut self, cpu: &mut Cpu, ifindex: u32, b: &[u8], pkt_type: PktType, requeued: bool) {
        let op = u16::from_be_bytes([b[6], b[7]]);
        let sha = MacAddr([b[8], b[9], b[10], b[11], b[12], b[13]]);
        let sip = Ipv4Addr::new(b[14], b[15], b[16], b[17]);
        let tha = MacAddr([b[18], b[19], b[20], b[21], b[22], b[23]]);
        let tip = Ipv4Addr::new(b[24], b[25], b[26], b[27]);
        let Some(dev) = self.dev(ifindex).cloned() else { return };
        let me = dev.address();
        self.mib_inc(if op == ARPOP_REQUEST { "ArpInRequests" } else { "ArpInReplies" });
        if tip.is_multicast() || (!self.conf.route_localnet(ifindex) && tip.is_loopback()) {
            return;
        }
        if sip == tip && self.conf.drop_gratuitous_arp(ifindex) {
            return;
        }
        if sip.is_unspecified() {
            // A duplicate address detection probe.
            if op == ARPOP_REQUEST && self.addr_type4(tip) == RouteType::Local && !self.arp_ignore(ifindex, sip, tip) {
                self.arp_send(cpu, ifindex, ARPOP_REPLY, sha, me, tip, sha, sip);
            }
            return;
        }
        if op == ARPOP_REQUEST
            && let Some(rtype) = self.arp_route_input(ifindex, tip, sip)
        {
            if rtype == RouteType::Local {
                let mut dont_send = self.arp_ignore(ifindex, sip, tip);
                if !dont_send && self.conf.arp_filter(ifindex) {
                    dont_send = self.arp_filter(ifindex, sip, tip);
                }
                if !dont_send {
                    self.neigh_event_ns4(ifindex, sip, sha);
                    self.arp_send(cpu, ifindex, ARPOP_REPLY, sha, me, tip, sha, sip);
                }
                return;
            }
            if self.conf.forwarding(ifindex) && rtype == RouteType::Unicast {
                let out = self.route_out4(tip, None).ok().map(|r| r.ifindex);
                let proxy = self.arp_fwd_proxy(ifindex, out)
                    || (self.conf.proxy_arp_pvlan(ifindex) && out == Some(ifindex) && sip != tip)
                    || (out != Some(ifindex) && self.neigh4.is_proxy(ifindex, tip));
                if proxy {
                    self.neigh_event_ns4(ifindex, sip, sha);
                    let delay = self.parms(Family::Inet, ifindex).proxy_delay_ns;
                    if requeued || pkt_type == PktType::Host || delay == 0 {
                        self.arp_send(cpu, ifindex, ARPOP_REPLY, sha, me, tip, sha, sip);
                    } else {
                        let qlen = self.parms(Family::Inet, ifindex).proxy_qlen as usize;
                        if self.proxy_q.len() <= qlen {
                            let at = self.now + self.rng.below(delay);
                            self.proxy_q.push((at, ifindex, b.to_vec()));
                        }
                    }
                    return;
                }
            }
        }
        // Update our ARP tables.
        let existing = self.neigh4.get(ifindex, sip).is_some();
        let accept = self.arp_accept(ifindex, sip);
        let mut is_garp = false;
        let mut addr_type = None;
        if existing || accept {
            is_garp = sip == tip;
            if is_garp && op == ARPOP_REPLY {
                is_garp = tha == sha;
            }
            if is_garp {
                let t = self.addr_type4(sip);
                addr_type = Some(t);
                if t != RouteType::Unicast || sip.is_multicast() {
                    is_garp = false;
                }
            }
        }
        let mut create = false;
        if accept && !existing {
            let unicast_sip =
                !sip.is_multicast() && addr_type.unwrap_or_else(|| self.addr_type4(sip)) == RouteType::Unicast;
            create = is_garp || (op == ARPOP_REPLY && unicast_sip);
        }
        if existing || create {
            let parms = self.parms(Family::Inet, ifindex);
            let updated = self.neigh4.get(ifindex, sip).map_or(self.now as i64, |n| n.updated);
            let override_ = self.now as i64 > updated + parms.locktime_ns as i64 || is_garp;
            let state = if op != ARPOP_REPLY || pkt_type != PktType::Host { Nud::Stale } else { Nud::Reachable };
            let mut acts = Vec::new();
            let flags = UpdateFlags { override_, ..UpdateFlags::default() };
            self.neigh4.update(self.now, ifindex, sip, Some(sha), state, flags, true, &parms, &mut self.rng, &mut acts);
            self.neigh_actions4(cpu, acts);
        }
    }

    /// A delayed proxy reply whose time has come (`parp_redo`).
    pub(crate) fn arp_proxy_reply(&mut self, cpu: &mut Cpu, ifindex: u32, b: &[u8]) {
        if self.devs.contains_key(&ifindex) {
            self.arp_process(cpu, ifindex, b, PktType::Broadcast, true);
        }
    }

    /// `neigh_event_ns`: the requester's entry, STALE with override.
    fn neigh_event_ns4(&mut self, ifindex: u32, sip: Ipv4Addr, sha: MacAddr) {
        let parms = self.parms(Family::Inet, ifindex);
        let mut acts = Vec::new();
        let flags = UpdateFlags { override_: true, ..UpdateFlags::default() };
        self.neigh4.update(
            self.now,
            ifindex,
            sip,
            Some(sha),
            Nud::Stale,
            flags,
            true,
            &parms,
            &mut self.rng,
            &mut acts,
        );
        self.deferred_neigh4.extend(acts);
    }

    /// `ip_route_input_noref(tip, sip, dev)` as ARP uses it: the route type, or None where
    /// route input fails (martians, source validation, no forwarding).
    fn arp_route_input(&self, ifindex: u32, tip: Ipv4Addr, sip: Ipv4Addr) -> Option<RouteType> {
        if sip.is_multicast() || sip == Ipv4Addr::BROADCAST || is_zeronet(sip) || is_zeronet(tip) {
            return None;
        }
        if (sip.is_loopback() || tip.is_loopback()) && !self.conf.route_localnet(ifindex) {
            return None;
        }
        match self.input_route4(tip) {
            Some((RouteType::Local, _)) => {
                self.validate_source4(ifindex, sip, 0).ok()?;
                Some(RouteType::Local)
            }
            Some((RouteType::Broadcast, _)) => Some(RouteType::Broadcast),
            Some((RouteType::Unicast, out)) => {
                if !self.conf.forwarding(ifindex) {
                    return None;
                }
                self.validate_source4(ifindex, sip, out).ok()?;
                Some(RouteType::Unicast)
            }
            _ => None,
        }
    }

    /// `arp_ignore`: true means do not reply.
    fn arp_ignore(&self, ifindex: u32, sip: Ipv4Addr, tip: Ipv4Addr) -> bool {
        let on_dev = |pred: &dyn Fn(&InAddr) -> bool| {
            self.devs.get(&ifindex).is_some_and(|d| d.in4.iter().any(|x| x.local == tip && pred(x)))
        };
        match self.conf.arp_ignore(ifindex) {
            0 => false,
            // inet_confirm_addr(in_dev, 0, tip, RT_SCOPE_HOST): tip on the receiving device.
            1 => !on_dev(&|x| x.scope <= Scope::Host),
            // ... and sip in that address's subnet.
            2 => !on_dev(&|x| x.scope <= Scope::Host && x.matches(sip)),
            // tip on any device with scope at most link.
            3 => !self.devs.values().any(|d| d.in4.iter().any(|x| x.local == tip && x.scope <= Scope::Link)),
            8 => true,
            _ => false,
        }
    }

    /// `arp_filter`: reply only if our route back to sip leaves through the receiving device.
    fn arp_filter(&mut self, ifindex: u32, sip: Ipv4Addr, _tip: Ipv4Addr) -> bool {
        match self.route_out4(sip, None) {
            Ok(rt) if rt.ifindex == ifindex => false,
            Ok(_) => {
                self.mib_inc("ArpFilter");
                true
            }
            // No route back: refused, but not counted.
            Err(_) => true,
        }
    }

    /// `arp_accept`: create new entries from unsolicited ARP.
    fn arp_accept(&self, ifindex: u32, sip: Ipv4Addr) -> bool {
        match self.conf.arp_accept(ifindex) {
            1 => true,
            2 => {
                self.devs.get(&ifindex).is_some_and(|d| d.in4.iter().any(|x| x.scope <= Scope::Link && x.matches(sip)))
            }
            _ => false,
        }
    }

    /// `arp_fwd_proxy`: proxy_arp and the medium_id rule.
    fn arp_fwd_proxy(&self, ifindex: u32, out: Option<u32>) -> bool {
        let Some(out) = out else { return false };
        if out == ifindex || !self.conf.proxy_arp(ifindex) {
            return false;
        }
        let imi = self.conf.medium_id(ifindex);
        if imi == 0 {
            return true;
        }
        if imi == -1 {
            return false;
        }
        let omi = self.conf.medium_id(out);
        omi != imi && omi != -1
    }

    // ------------------------------------------------------------------ receive

    /// The route input lookup for `dst`: type and output device.
    fn input_route4(&self, dst: Ipv4Addr) -> Option<(RouteType, u32)> {
        if let Some(i) = self.local_dev4(dst) {
            return Some((RouteType::Local, i));
        }
        if dst == Ipv4Addr::BROADCAST {
            return Some((RouteType::Broadcast, 0));
        }
        if let Some(i) = self.broadcast_dev4(dst) {
            return Some((RouteType::Broadcast, i));
        }
        let up = |i: u32| self.dev(i).is_some_and(|d| d.is_up());
        self.fib4.lookup(dst, None, |r| r.rtype != RouteType::Unicast || up(r.ifindex)).map(|r| (r.rtype, r.ifindex))
    }

    /// `fib_validate_source`: rp_filter and accept_local. `oif` is the output device of a
    /// forwarded packet (0 for local delivery).
    fn validate_source4(&self, iif: u32, src: Ipv4Addr, oif: u32) -> std::result::Result<(), Errno> {
        let rpf = self.conf.rp_filter(iif);
        let accept_local = self.conf.accept_local(iif);
        if rpf == 0 && (iif != oif || !self.conf.send_redirects(iif)) {
            if accept_local {
                return Ok(());
            }
            if self.has_ifaddr4(src) {
                return Err(Errno::Einval);
            }
            return Ok(());
        }
        // Full check: the route back to the source.
        let no_addr = self.devs.get(&iif).is_none_or(|d| d.in4.is_empty());
        // A local source's route is the local route, whose nexthop is the owning device.
        let back = if let Some(owner) = self.local_dev4(src) {
            Some((RouteType::Local, owner))
        } else {
            self.fib4.lookup(src, None, |_| true).map(|r| (r.rtype, r.ifindex))
        };
        let Some((t, dev)) = back else {
            return if rpf != 0 { Err(Errno::Exdev) } else { Ok(()) };
        };
        if t != RouteType::Unicast && (t != RouteType::Local || !accept_local) {
            return Err(Errno::Einval);
        }
        if dev == iif || (t == RouteType::Local && Some(iif) == self.lo()) {
            return Ok(());
        }
        if no_addr {
            return if rpf != 0 { Err(Errno::Exdev) } else { Ok(()) };
        }
        if rpf == 1 {
            return Err(Errno::Exdev);
        }
        Ok(())
    }

    /// `ip_rcv` → `ip_rcv_finish` → route input → deliver or forward.
    pub(crate) fn ip_rcv(&mut self, cpu: &mut Cpu, ifindex: u32, mut skb: Skb) {
        if skb.meta.pkt_type == PktType::OtherHost {
            // ip_rcv_core: counted on the device (6.0+).
            if let Some(d) = self.dev(ifindex) {
                cpu.core_stat_inc(d, CoreStat::RxOtherhostDropped);
            }
            cpu.kfree_skb(skb, DropReason::Otherhost, None);
            return;
        }
        let h = match Ip4::parse(skb.data()) {
            Ok(h) => h,
            Err(e) => {
                self.mib_inc(if e == Ip4Err::Csum { "IpInCsumErrors" } else { "IpInHdrErrors" });
                let r = if e == Ip4Err::Csum { DropReason::IpCsum } else { DropReason::IpInhdr };
                cpu.kfree_skb(skb, r, None);
                return;
            }
        };
        self.mib_inc("IpInReceives");
        skb.trim(h.tot_len);
        let is_lo = self.devs.get(&ifindex).is_some_and(|d| d.is_loopback());
        if is_lo {
            // Looped-back packets keep their output route: straight to local delivery.
            let bcast = h.dst == Ipv4Addr::BROADCAST || self.broadcast_dev4(h.dst).is_some();
            self.ip_local_deliver(cpu, skb, &h, bcast);
            return;
        }
        let martian_src = |s: Ipv4Addr| s.is_multicast() || s == Ipv4Addr::BROADCAST;
        if martian_src(h.src) {
            self.mib_inc("IpInAddrErrors");
            cpu.kfree_skb(skb, DropReason::IpInvalidSource, None);
            return;
        }
        if h.dst == Ipv4Addr::BROADCAST || (h.src.is_unspecified() && h.dst.is_unspecified()) {
            self.ip_local_deliver(cpu, skb, &h, true);
            return;
        }
        if h.dst.is_multicast() {
            let mc_ok = self.dev(ifindex).is_some_and(|d| d.raw_flags().contains(IfFlags::MULTICAST));
            if mc_ok && h.dst == Ipv4Addr::new(224, 0, 0, 1) {
                self.ip_local_deliver(cpu, skb, &h, true);
            } else {
                cpu.kfree_skb(skb, DropReason::IpInvalidDest, None);
            }
            return;
        }
        let localnet = self.conf.route_localnet(ifindex);
        if is_zeronet(h.src) || (h.src.is_loopback() && !localnet) {
            self.mib_inc("IpInAddrErrors");
            cpu.kfree_skb(skb, DropReason::IpInvalidSource, None);
            return;
        }
        if is_zeronet(h.dst) || (h.dst.is_loopback() && !localnet) {
            self.mib_inc("IpInAddrErrors");
            cpu.kfree_skb(skb, DropReason::IpInvalidDest, None);
            return;
        }
        match self.input_route4(h.dst) {
            Some((RouteType::Broadcast, _)) => {
                if self.validate_source4(ifindex, h.src, 0).is_err() {
                    cpu.kfree_skb(skb, DropReason::IpInvalidSource, None);
                    return;
                }
                self.ip_local_deliver(cpu, skb, &h, true);
            }
            Some((RouteType::Local, _)) => match self.validate_source4(ifindex, h.src, 0) {
                Ok(()) => self.ip_local_deliver(cpu, skb, &h, false),
                Err(e) => {
                    let r = if e == Errno::Exdev { DropReason::IpRpfilter } else { DropReason::IpLocalSource };
                    if e == Errno::Exdev {
                        self.mib_inc("TcpExtIPReversePathFilter");
                    }
                    cpu.kfree_skb(skb, r, None);
                }
            },
            found => {
                if !self.conf.forwarding(ifindex) {
                    // ip_error with EHOSTUNREACH on a non-forwarding device: no ICMP.
                    self.mib_inc("IpInAddrErrors");
                    cpu.kfree_skb(skb, DropReason::IpInaddrerrors, None);
                    return;
                }
                match found {
                    None => {
                        self.mib_inc("IpInNoRoutes");
                        self.icmp_send4(cpu, skb.data(), ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, Some(ifindex));
                        cpu.kfree_skb(skb, DropReason::IpInnoroutes, None);
                    }
                    Some((RouteType::Blackhole, _)) => cpu.kfree_skb(skb, DropReason::IpNoroute, None),
                    Some((RouteType::Unreachable | RouteType::Prohibit, _)) => {
                        let code = if found.is_some_and(|f| f.0 == RouteType::Prohibit) {
                            ICMP_PKT_FILTERED
                        } else {
                            ICMP_HOST_UNREACH
                        };
                        self.icmp_send4(cpu, skb.data(), ICMP_DEST_UNREACH, code, 0, Some(ifindex));
                        cpu.kfree_skb(skb, DropReason::IpNoroute, None);
                    }
                    Some((_, out)) => match self.validate_source4(ifindex, h.src, out) {
                        Ok(()) => self.ip_forward(cpu, ifindex, skb, &h),
                        Err(e) => {
                            let r = if e == Errno::Exdev { DropReason::IpRpfilter } else { DropReason::IpLocalSource };
                            cpu.kfree_skb(skb, r, None);
                        }
                    },
                }
            }
        }
    }

    /// `ip_forward`.
    fn ip_forward(&mut self, cpu: &mut Cpu, iif: u32, skb: Skb, h: &Ip4) {
        if skb.meta.pkt_type != PktType::Host {
            cpu.kfree_skb(skb, DropReason::Otherhost, None);
            return;
        }
        if h.ttl <= 1 {
            self.mib_inc("IpInHdrErrors");
            self.icmp_send4(cpu, skb.data(), ICMP_TIME_EXCEEDED, 0, 0, Some(iif));
            cpu.kfree_skb(skb, DropReason::IpInhdr, None);
            return;
        }
        let rt = match self.route_out4(h.dst, None) {
            Ok(rt) => rt,
            Err(_) => {
                cpu.kfree_skb(skb, DropReason::IpOutnoroutes, None);
                return;
            }
        };
        if skb.len() > rt.mtu as usize && h.df {
            self.mib_inc("IpFragFails");
            self.icmp_send4(cpu, skb.data(), ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, rt.mtu, Some(iif));
            cpu.kfree_skb(skb, DropReason::PktTooBig, None);
            return;
        }
        // ip_decrease_ttl, in place.
        let mut skb = skb;
        let b = skb.data_mut();
        b[8] -= 1;
        fix_ip4_csum(b);
        skb.meta.vlan = None;
        self.mib_inc("IpForwDatagrams");
        let mut h2 = *h;
        h2.ttl -= 1;
        self.send4(cpu, skb, &h2, &rt);
    }

    /// `ip_local_deliver`: ICMP here, TCP/UDP to smoltcp, other protocols unreachable.
    fn ip_local_deliver(&mut self, cpu: &mut Cpu, skb: Skb, h: &Ip4, bcast: bool) {
        if h.mf || h.frag_off != 0 {
            // ip_defrag: queue the fragment; the last one delivers the whole datagram.
            self.mib_inc("IpReasmReqds");
            let r = self.defrag4.add(self.now, &skb.data()[..h.tot_len], h);
            cpu.consume_skb(skb);
            match r {
                Defrag::Queued => {}
                Defrag::Dropped => self.mib_inc("IpReasmFails"),
                Defrag::Done(whole) => {
                    self.mib_inc("IpReasmOKs");
                    let Ok(h2) = Ip4::parse(&whole) else { return };
                    let skb = Self::skb_from(cpu, &whole);
                    self.ip_local_deliver(cpu, skb, &h2, bcast);
                }
            }
            return;
        }
        self.mib_inc("IpInDelivers");
        match h.proto {
            IPPROTO_ICMP => {
                self.icmp_rcv(cpu, skb.data(), h, bcast);
                cpu.consume_skb(skb);
            }
            IPPROTO_TCP | IPPROTO_UDP => {
                self.smol.phy.rx.push_back(skb.data().to_vec());
                self.smol_dirty = true;
                cpu.consume_skb(skb);
            }
            _ => {
                if !bcast {
                    self.mib_inc("IpInUnknownProtos");
                    self.icmp_send4(cpu, skb.data(), ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, None);
                }
                cpu.kfree_skb(skb, DropReason::IpNoproto, None);
            }
        }
    }

    // ------------------------------------------------------------------ ICMP

    /// `icmp_rcv`.
    fn icmp_rcv(&mut self, cpu: &mut Cpu, pkt: &[u8], h: &Ip4, bcast: bool) {
        let icmp = &pkt[h.ihl..h.tot_len];
        self.mib_inc("IcmpInMsgs");
        if icmp.len() < 8 || checksum(icmp) != 0 {
            self.mib_inc("IcmpInCsumErrors");
            return;
        }
        match icmp[0] {
            ICMP_ECHO => {
                self.mib_inc("IcmpInEchos");
                if (bcast && self.conf.icmp_echo_ignore_broadcasts()) || self.conf.icmp_echo_ignore_all() {
                    return;
                }
                // icmp_echo → icmp_reply: source is the address asked, or the receiving
                // device's for a broadcast; TTL default, no DF.
                let src = if bcast { self.select_source(IpAddr::V4(h.src), None) } else { Some(IpAddr::V4(h.dst)) };
                let Some(IpAddr::V4(src)) = src else { return };
                let mut out = vec![0u8; 20 + icmp.len()];
                out[20..].copy_from_slice(icmp);
                out[20] = ICMP_ECHOREPLY;
                out[22] = 0;
                out[23] = 0;
                let c = checksum(&out[20..]);
                out[22..24].copy_from_slice(&c.to_be_bytes());
                let id = self.next_ip_id();
                let ttl = self.conf.ip_default_ttl();
                write_ip4(&mut out, h.tos, id, false, ttl, IPPROTO_ICMP, src, h.src);
                self.mib_inc("IcmpOutMsgs");
                self.mib_inc("IcmpOutEchoReps");
                let _ = self.output4(cpu, &out, None);
            }
            ICMP_ECHOREPLY => {
                self.mib_inc("IcmpInEchoReps");
                let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
                let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                if let Some(s) = self.pings.get_mut(&ident) {
                    s.rx.push_back(PingRx::Reply {
                        from: IpAddr::V4(h.src),
                        seq,
                        ttl: h.ttl,
                        len: icmp.len(),
                        time: self.now,
                        payload: icmp[8..].to_vec(),
                    });
                }
            }
            ICMP_DEST_UNREACH | ICMP_TIME_EXCEEDED | ICMP_PARAMETERPROB => {
                if icmp[0] == ICMP_DEST_UNREACH {
                    self.mib_inc("IcmpInDestUnreachs");
                } else if icmp[0] == ICMP_TIME_EXCEEDED {
                    self.mib_inc("IcmpInTimeExcds");
                }
                let inner = &icmp[8..];
                let Ok(ih) = Ip4::parse_partial(inner) else { return };
                let info = u32::from(u16::from_be_bytes([icmp[6], icmp[7]]));
                if icmp[0] == ICMP_DEST_UNREACH && icmp[1] == ICMP_FRAG_NEEDED {
                    // ip_rt_update_pmtu.
                    let mtu = info.max(MIN_PMTU);
                    self.pmtu.insert(IpAddr::V4(ih.dst), (mtu, self.now + PMTU_EXPIRES));
                }
                if ih.proto == IPPROTO_ICMP && inner.len() >= ih.ihl + 8 && inner[ih.ihl] == ICMP_ECHO {
                    let ident = u16::from_be_bytes([inner[ih.ihl + 4], inner[ih.ihl + 5]]);
                    let seq = u16::from_be_bytes([inner[ih.ihl + 6], inner[ih.ihl + 7]]);
                    if let Some(s) = self.pings.get_mut(&ident) {
                        s.rx.push_back(PingRx::Error {
                            from: IpAddr::V4(h.src),
                            seq,
                            icmp_type: icmp[0],
                            code: icmp[1],
                            info,
                            time: self.now,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// `icmp_send`: an ICMP error about `orig` (an IPv4 packet) back to its source. `iif` is the
    /// receiving device of a forwarded or rejected packet (None for locally generated ones).
    pub(crate) fn icmp_send4(&mut self, cpu: &mut Cpu, orig: &[u8], typ: u8, code: u8, info: u32, iif: Option<u32>) {
        let Ok(oh) = Ip4::parse_partial(orig) else { return };
        // Never about ICMP errors, fragments past the first, or non-unicast packets.
        if oh.frag_off != 0 || oh.dst.is_multicast() || oh.dst == Ipv4Addr::BROADCAST {
            return;
        }
        if self.broadcast_dev4(oh.dst).is_some() || is_zeronet(oh.src) || oh.src.is_multicast() {
            return;
        }
        if oh.proto == IPPROTO_ICMP
            && orig.len() > oh.ihl
            && !matches!(orig[oh.ihl], ICMP_ECHO | ICMP_ECHOREPLY | 13 | 14 | 15 | 16 | 17 | 18)
        {
            return;
        }
        let rt = match self.route_out4(oh.src, None) {
            Ok(rt) => rt,
            Err(_) => return,
        };
        if rt.rtype != RouteType::Local && !self.icmp_xrlim_allow(IpAddr::V4(oh.src)) {
            return;
        }
        // A packet that was for us answers from the address it was sent to.
        let saddr = if iif.is_none() && self.local_dev4(oh.dst).is_some() { Some(oh.dst) } else { rt.src };
        let Some(saddr) = saddr else { return };
        let room = (rt.mtu.min(576) as usize).saturating_sub(28);
        let data = &orig[..orig.len().min(room).min(oh.tot_len.max(oh.ihl))];
        let mut out = vec![0u8; 28 + data.len()];
        out[20] = typ;
        out[21] = code;
        if typ == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED {
            out[26..28].copy_from_slice(&(info as u16).to_be_bytes());
        }
        out[28..].copy_from_slice(data);
        let c = checksum(&out[20..]);
        out[22..24].copy_from_slice(&c.to_be_bytes());
        let tos = (oh.tos & 0x1e) | 0xc0;
        let id = self.next_ip_id();
        let ttl = self.conf.ip_default_ttl();
        write_ip4(&mut out, tos, id, false, ttl, IPPROTO_ICMP, saddr, oh.src);
        self.mib_inc("IcmpOutMsgs");
        self.mib_inc(match typ {
            ICMP_DEST_UNREACH => "IcmpOutDestUnreachs",
            ICMP_TIME_EXCEEDED => "IcmpOutTimeExcds",
            _ => "IcmpOutParmProbs",
        });
        let _ = self.output4(cpu, &out, None);
    }

    /// `inet_peer_xrlim_allow` with icmp_ratelimit (1 s) and a burst of 6.
    pub(crate) fn icmp_xrlim_allow(&mut self, peer: IpAddr) -> bool {
        let timeout = self.conf.icmp_ratelimit_ns();
        if timeout == 0 {
            return true;
        }
        let now = self.now;
        // A new peer's bucket starts full (rate_last = jiffies - 60 s, capped at the burst).
        let e = self.icmp_peers.entry(peer).or_insert((6 * timeout, now));
        let mut tokens = e.0 + (now - e.1);
        tokens = tokens.min(6 * timeout);
        e.1 = now;
        if tokens >= timeout {
            e.0 = tokens - timeout;
            true
        } else {
            e.0 = tokens;
            false
        }
    }
}

/// `ip_do_fragment`: split `pkt` into fragments of at most `mtu` bytes (8-byte aligned payloads).
fn fragment4(pkt: &[u8], h: &Ip4, mtu: usize) -> Vec<Vec<u8>> {
    let hl = h.ihl;
    let payload = &pkt[hl..h.tot_len];
    let max = ((mtu - hl) / 8) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + max).min(payload.len());
        let last = end == payload.len();
        let mut f = Vec::with_capacity(hl + end - off);
        f.extend_from_slice(&pkt[..hl]);
        f.extend_from_slice(&payload[off..end]);
        let len = f.len() as u16;
        f[2..4].copy_from_slice(&len.to_be_bytes());
        let fo = (h.frag_off as usize + off / 8) as u16 | if last && !h.mf { 0 } else { 0x2000 };
        f[6..8].copy_from_slice(&fo.to_be_bytes());
        fix_ip4_csum(&mut f);
        out.push(f);
        off = end;
    }
    out
}

/// `ipfrag_time`.
const IPFRAG_TIME: u64 = 30 * SEC;
/// `ipfrag_high_thresh`.
const IPFRAG_HIGH_THRESH: usize = 4 << 20;

/// IPv4 reassembly queues (`net/ipv4/ip_fragment.c`), keyed like `ipq` by source, destination,
/// id and protocol.
#[derive(Debug, Default)]
pub(crate) struct Defrag4 {
    queues: std::collections::BTreeMap<(Ipv4Addr, Ipv4Addr, u16, u8), FragQueue>,
    mem: usize,
}

#[derive(Debug)]
struct FragQueue {
    expires: u64,
    /// Payload pieces by offset.
    parts: std::collections::BTreeMap<usize, Vec<u8>>,
    /// The header of the first fragment (offset 0).
    first: Option<Vec<u8>>,
    /// Payload length, once the last fragment arrived.
    total: Option<usize>,
}

pub(crate) enum Defrag {
    Queued,
    Dropped,
    Done(Vec<u8>),
}

impl Defrag4 {
    pub(crate) fn add(&mut self, now: u64, pkt: &[u8], h: &Ip4) -> Defrag {
        let payload = &pkt[h.ihl..h.tot_len];
        if self.mem + payload.len() > IPFRAG_HIGH_THRESH {
            return Defrag::Dropped;
        }
        let key = (h.src, h.dst, h.id, h.proto);
        let q = self.queues.entry(key).or_insert_with(|| FragQueue {
            expires: now + IPFRAG_TIME,
            parts: std::collections::BTreeMap::new(),
            first: None,
            total: None,
        });
        let off = usize::from(h.frag_off) * 8;
        if !h.mf {
            q.total = Some(off + payload.len());
        }
        if off == 0 {
            q.first = Some(pkt[..h.ihl].to_vec());
        }
        // A repeated offset replaces the earlier piece (its bytes leave the accounting).
        if let Some(old) = q.parts.insert(off, payload.to_vec()) {
            self.mem -= old.len();
        }
        self.mem += payload.len();
        let (Some(total), Some(first)) = (q.total, q.first.as_ref()) else { return Defrag::Queued };
        let mut end = 0;
        for (&o, p) in &q.parts {
            if o > end {
                return Defrag::Queued;
            }
            end = end.max(o + p.len());
        }
        if end < total {
            return Defrag::Queued;
        }
        let mut whole = first.clone();
        let mut at = 0;
        for (&o, p) in &q.parts {
            if o + p.len() > at {
                whole.extend_from_slice(&p[at - o..]);
                at = o + p.len();
            }
        }
        let len = whole.len() as u16;
        whole[2..4].copy_from_slice(&len.to_be_bytes());
        whole[6] &= 0x40;
        whole[7] = 0;
        fix_ip4_csum(&mut whole);
        if let Some(q) = self.queues.remove(&key) {
            self.mem -= q.parts.values().map(Vec::len).sum::<usize>();
        }
        Defrag::Done(whole)
    }

    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.queues.values().map(|q| q.expires).min()
    }

    /// Expired queues (`ip_expire`): the first fragment of each, for the ICMP error.
    pub(crate) fn expire(&mut self, now: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let keys: Vec<_> = self.queues.iter().filter(|q| q.1.expires <= now).map(|q| *q.0).collect();
        for k in keys {
            if let Some(q) = self.queues.remove(&k) {
                self.mem -= q.parts.values().map(Vec::len).sum::<usize>();
                if let (Some(mut h), Some(p0)) = (q.first, q.parts.get(&0)) {
                    h.extend_from_slice(p0);
                    out.push(h);
                }
            }
        }
        out
    }
}
