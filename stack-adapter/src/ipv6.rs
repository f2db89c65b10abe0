//! IPv6: address configuration through [`crate::addrconf`], NDP address resolution
//! (`net/ipv6/ndisc.c`), receive, forwarding and local delivery (`ip6_input.c`,
//! `ip6_output.c`), ICMPv6 (`icmp.c`) and the routing table (`route.c`).

use std::net::{IpAddr, Ipv6Addr};

use netdev_core::{
    AddrEvent, Carrier, CoreStat, Cpu, DropReason, Errno, Error, IfFlags, MacAddr, PktType, Result, Skb,
};

use crate::addrconf::{AddrFlags, Addrconf, DadRx, Ipv6AddrInfo, Ipv6DevCnf, LinkInfo, Output, RxSolicit};
use crate::fib::{Proto, Route, RouteAddr, RouteType, Scope};
use crate::neigh::{NeighAction, Nud, UpdateFlags};
use crate::ping::PingRx;
use crate::sock::SockError;
use crate::stack::{AddrOpts, Inner, OutErr, RouteGet, RouteSpec, einval};
use crate::sysctl::{Family, Ipv6Knob, Target};
use crate::wire::{
    ETH_P_IPV6, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, Ip6, csum_add, csum_fold, mc_mac6, pseudo6, solicited_node,
    write_ip6,
};
use smoltcp::wire::Ipv6Cidr;

const ICMPV6_DEST_UNREACH: u8 = 1;
const ICMPV6_PKT_TOOBIG: u8 = 2;
const ICMPV6_TIME_EXCEED: u8 = 3;
const ICMPV6_PARAMPROB: u8 = 4;
const ICMPV6_ECHO_REQUEST: u8 = 128;
const ICMPV6_ECHO_REPLY: u8 = 129;
const NDISC_NEIGHBOUR_SOLICITATION: u8 = 135;
const NDISC_NEIGHBOUR_ADVERTISEMENT: u8 = 136;
const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
const ND_OPT_NONCE: u8 = 14;
const IPV6_MIN_MTU: u32 = 1280;
/// `ip6_rt_mtu_expires`.
const PMTU_EXPIRES: u64 = 600 * 1_000_000_000;
/// The metric of kernel prefix routes (`IP6_RT_PRIO_ADDRCONF`) and user routes (`IP6_RT_PRIO_USER`).
pub(crate) const RT6_PRIO_ADDRCONF: u32 = 256;
const RT6_PRIO_USER: u32 = 1024;

/// IPv6 per-namespace state.
#[derive(Debug, Default)]
pub(crate) struct V6State {
    pub(crate) ac: Addrconf,
    /// Addrconf transmissions raised without a CPU (under RTNL), sent at the next flush.
    pub(crate) pending_tx: Vec<(u32, [u8; 6], Vec<u8>)>,
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// The output route of an IPv6 packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rt6 {
    pub(crate) rtype: RouteType,
    pub(crate) ifindex: u32,
    pub(crate) gw: Option<Ipv6Addr>,
    pub(crate) mtu: u32,
}

impl Inner {
    /// The effective addrconf settings of `ifindex`.
    pub(crate) fn v6_cnf(&self, ifindex: u32) -> Ipv6DevCnf {
        let c = &self.conf;
        let dev = |k| c.ipv6_conf(Target::Dev(ifindex), k);
        let all = |k| c.ipv6_conf(Target::All, k);
        let d = Ipv6DevCnf::default();
        let ms = |v: Option<i32>, dflt: u64| v.map_or(dflt, |x| x.max(0) as u64);
        let retrans = self.conf.neigh_parms(Family::Inet6, ifindex).retrans_time_ns / 1_000_000;
        Ipv6DevCnf {
            disable_ipv6: c.ipv6_disabled(ifindex),
            forwarding: c.ipv6_forwarding(ifindex),
            accept_ra: dev(Ipv6Knob::AcceptRa).unwrap_or(d.accept_ra),
            accept_dad: c.ipv6_accept_dad(ifindex),
            enhanced_dad: d.enhanced_dad,
            dad_transmits: dev(Ipv6Knob::DadTransmits).map_or(d.dad_transmits, |v| v.max(0) as u32),
            retrans_time_ms: retrans,
            rtr_solicits: dev(Ipv6Knob::RouterSolicitations).unwrap_or(d.rtr_solicits),
            // The sysctl model keeps jiffies of a HZ=1000 kernel: milliseconds.
            rtr_solicit_interval_ms: ms(dev(Ipv6Knob::RouterSolicitationInterval), d.rtr_solicit_interval_ms),
            rtr_solicit_delay_ms: ms(dev(Ipv6Knob::RouterSolicitationDelay), d.rtr_solicit_delay_ms),
            rtr_solicit_max_interval_ms: ms(
                dev(Ipv6Knob::RouterSolicitationMaxInterval),
                d.rtr_solicit_max_interval_ms,
            ),
            force_mld_version: all(Ipv6Knob::ForceMldVersion)
                .max(dev(Ipv6Knob::ForceMldVersion))
                .map_or(0, |v| v.clamp(0, 2) as u8),
            mldv1_unsolicited_report_interval_ms: ms(
                dev(Ipv6Knob::Mldv1UnsolicitedReportInterval),
                d.mldv1_unsolicited_report_interval_ms,
            ),
            mldv2_unsolicited_report_interval_ms: ms(
                dev(Ipv6Knob::Mldv2UnsolicitedReportInterval),
                d.mldv2_unsolicited_report_interval_ms,
            ),
            addr_gen_mode: d.addr_gen_mode,
            keep_addr_on_down: c.ipv6_keep_addr_on_down(ifindex),
            ndisc_notify: c.ipv6_ndisc_notify(ifindex),
        }
    }

    fn link_info(&self, ifindex: u32) -> Option<LinkInfo> {
        let d = self.devs.get(&ifindex)?;
        let f = d.dev.raw_flags();
        Some(LinkInfo {
            ifindex,
            mac: if d.has_ether() && !d.is_loopback() { Some(d.dev.address().0) } else { None },
            mtu: d.dev.mtu(),
            is_loopback: d.is_loopback(),
            needs_nd: d.needs_arp(),
            multicast: f.contains(IfFlags::MULTICAST),
        })
    }

    fn carrier(&self, ifindex: u32) -> Carrier {
        if self.devs.get(&ifindex).is_some_and(|d| d.dev.has_carrier()) { Carrier::On } else { Carrier::Off }
    }

    /// Carry out what addrconf asked for.
    pub(crate) fn apply_v6(&mut self, outs: Vec<Output>) {
        for o in outs {
            match o {
                Output::Send { ifindex, dst_mac, packet } => self.v6.pending_tx.push((ifindex, dst_mac, packet)),
                Output::AddrAdded { ifindex, addr, prefix_len, prefix_route } => {
                    self.conf.inet6_addr_added(ifindex);
                    if prefix_route && prefix_len < 128 {
                        self.fib6.add(Route {
                            dst: addr.mask(prefix_len),
                            plen: prefix_len,
                            rtype: RouteType::Unicast,
                            ifindex,
                            gateway: None,
                            prefsrc: None,
                            metric: RT6_PRIO_ADDRCONF,
                            proto: Proto::Kernel,
                            scope: Scope::Universe,
                            onlink: false,
                            mtu: None,
                        });
                    }
                }
                Output::AddrRemoved { ifindex, addr, prefix_len, delete_prefix_route } => {
                    if delete_prefix_route {
                        let dst = addr.mask(prefix_len);
                        self.fib6.retain(|r| {
                            !(r.proto == Proto::Kernel && r.ifindex == ifindex && r.dst == dst && r.plen == prefix_len)
                        });
                    }
                }
                Output::Ipv6Disabled { ifindex } => {
                    let name = self.dev(ifindex).map(|d| d.name().to_string());
                    if let Some(n) = name {
                        let key = format!("net.ipv6.conf.{}.disable_ipv6", n.replace('.', "/"));
                        let _ = self.conf.write(&key, "1", |x| (x == n).then_some(ifindex));
                    }
                }
                // The device's link-layer multicast list (what a macvlan filters on, what `ip
                // maddr` shows): igmp6_group_added/dropped's dev_mc_add/dev_mc_del.
                Output::LinkMcAdd { ifindex, mac } => {
                    if let Some(d) = self.dev(ifindex) {
                        let _ = netdev_core::dev_mc_add(d, netdev_core::MacAddr(mac));
                    }
                }
                Output::LinkMcDel { ifindex, mac } => {
                    if let Some(d) = self.dev(ifindex) {
                        let _ = netdev_core::dev_mc_del(d, netdev_core::MacAddr(mac));
                    }
                }
                Output::AddrReady { .. } | Output::AddrDadFailed { .. } | Output::McastRouteAdded { .. } => {}
            }
        }
    }

    /// NETDEV_REGISTER / UP / CHANGE for IPv6.
    pub(crate) fn v6_dev_event(&mut self, ifindex: u32, up: bool) {
        let Some(link) = self.link_info(ifindex) else { return };
        let cnf = self.v6_cnf(ifindex);
        let carrier = self.carrier(ifindex);
        let now = self.now;
        let is_up = self.devs.get(&ifindex).is_some_and(|d| d.dev.is_up());
        let Inner { v6, rng, .. } = self;
        let outs = if up {
            v6.ac.dev_up(now, &link, &cnf, carrier, rng)
        } else if is_up {
            v6.ac.dev_change(now, &link, &cnf, carrier, rng)
        } else {
            Vec::new()
        };
        self.apply_v6(outs);
    }

    pub(crate) fn v6_register(&mut self, ifindex: u32) {
        let Some(link) = self.link_info(ifindex) else { return };
        let cnf = self.v6_cnf(ifindex);
        let Inner { v6, rng, .. } = self;
        let outs = v6.ac.dev_register(&link, &cnf, rng);
        self.apply_v6(outs);
    }

    pub(crate) fn v6_dev_down(&mut self, ifindex: u32) {
        let cnf = self.v6_cnf(ifindex);
        let now = self.now;
        let Inner { v6, rng, .. } = self;
        let outs = v6.ac.dev_down(now, ifindex, &cnf, rng);
        self.apply_v6(outs);
        self.fib6.retain(|r| r.ifindex != ifindex);
        let q = self.neigh6.flush_dev(ifindex, false, true);
        self.pending_drops.extend(q);
    }

    pub(crate) fn v6_unregister(&mut self, ifindex: u32) {
        let outs = self.v6.ac.dev_unregister(ifindex);
        self.apply_v6(outs);
        self.v6.pending_tx.retain(|p| p.0 != ifindex);
    }

    pub(crate) fn v6_change_mtu(&mut self, ifindex: u32) {
        let mtu = self.dev(ifindex).map_or(0, |d| d.mtu());
        if mtu < IPV6_MIN_MTU {
            self.v6_dev_down(ifindex);
        } else if self.devs.get(&ifindex).is_some_and(|d| d.dev.is_up()) {
            self.v6_dev_event(ifindex, true);
        }
    }

    pub(crate) fn v6_next_deadline(&self) -> Option<u64> {
        if !self.v6.pending_tx.is_empty() {
            return Some(self.now);
        }
        self.v6.ac.next_deadline()
    }

    pub(crate) fn v6_timers(&mut self, _cpu: &mut Cpu) {
        let now = self.now;
        let cnfs: std::collections::BTreeMap<u32, Ipv6DevCnf> =
            self.devs.keys().map(|&i| (i, self.v6_cnf(i))).collect();
        let Inner { v6, rng, .. } = self;
        let outs = v6.ac.timer(now, |i| cnfs.get(&i).copied().unwrap_or_default(), rng);
        self.apply_v6(outs);
    }

    /// Send what addrconf queued, as `dev_queue_xmit` would.
    pub(crate) fn v6_flush_tx(&mut self, cpu: &mut Cpu) {
        for (ifindex, mac, pkt) in std::mem::take(&mut self.v6.pending_tx) {
            let skb = Self::skb_from(cpu, &pkt);
            self.xmit(cpu, ifindex, skb, MacAddr(mac), ETH_P_IPV6);
        }
    }

    pub(crate) fn v6_sysctl_changed(&mut self, c: &crate::sysctl::Change) {
        use crate::sysctl::Knob;
        let ifaces: Vec<u32> = match c.target {
            Target::Dev(i) => vec![i],
            Target::All => self.devs.keys().copied().collect(),
            _ => Vec::new(),
        };
        match c.knob {
            Knob::Ipv6(Ipv6Knob::DisableIpv6) => {
                for i in ifaces {
                    if self.conf.ipv6_disabled(i) {
                        self.v6_dev_down(i);
                    } else if self.devs.get(&i).is_some_and(|d| d.dev.is_up()) {
                        self.v6_dev_event(i, true);
                    }
                }
            }
            Knob::Ipv6(Ipv6Knob::Forwarding) => {
                for i in ifaces {
                    let cnf = self.v6_cnf(i);
                    let now = self.now;
                    let Inner { v6, rng, .. } = self;
                    let outs = v6.ac.forwarding_changed(now, i, &cnf, rng);
                    self.apply_v6(outs);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn is_local6(&self, a: Ipv6Addr) -> bool {
        self.v6.ac.is_local(a)
    }

    /// The device owning local address `a`.
    fn local_dev6(&self, a: Ipv6Addr) -> Option<u32> {
        self.devs
            .keys()
            .copied()
            .find(|&i| self.v6.ac.addresses(i).iter().any(|x| x.addr == a && !x.flags.contains(AddrFlags::TENTATIVE)))
    }

    pub(crate) fn inet6_addr_add(&mut self, ifindex: u32, a: Ipv6Addr, plen: u8, opts: &AddrOpts) -> Result<()> {
        if !self.devs.contains_key(&ifindex) {
            return Err(Error::new(Errno::Enodev));
        }
        let cnf = self.v6_cnf(ifindex);
        let mut flags = AddrFlags::PERMANENT;
        if opts.nodad {
            flags |= AddrFlags::NODAD;
        }
        if opts.noprefixroute {
            flags |= AddrFlags::NOPREFIXROUTE;
        }
        let now = self.now;
        if plen > 128 {
            return Err(Error::new(Errno::Einval));
        }
        // ipv6_add_addr: the validator chain may veto before anything else is checked.
        let dev = self.dev(ifindex).cloned();
        if let Some(dev) = &dev {
            self.inetaddr.validate(dev, IpAddr::V6(a))?;
        }
        let Inner { v6, rng, .. } = self;
        let outs = v6.ac.addr_add(now, ifindex, Ipv6Cidr::new(a, plen), flags, &cnf, rng)?;
        self.apply_v6(outs);
        if let Some(dev) = &dev {
            self.inetaddr.event(dev, IpAddr::V6(a), AddrEvent::Up);
        }
        Ok(())
    }

    pub(crate) fn inet6_addr_del(&mut self, ifindex: u32, a: Ipv6Addr, plen: Option<u8>) -> Result<()> {
        let cnf = self.v6_cnf(ifindex);
        let plen = plen
            .or_else(|| self.v6.ac.addresses(ifindex).iter().find(|x| x.addr == a).map(|x| x.prefix_len))
            .unwrap_or(128);
        let now = self.now;
        let Inner { v6, rng, .. } = self;
        let outs = v6.ac.addr_del(now, ifindex, Ipv6Cidr::new(a, plen.min(128)), &cnf, rng)?;
        self.apply_v6(outs);
        if let Some(dev) = self.dev(ifindex).cloned() {
            self.inetaddr.event(&dev, IpAddr::V6(a), AddrEvent::Down);
        }
        Ok(())
    }

    /// The IPv6 addresses of a device.
    pub(crate) fn addrs6(&self, ifindex: u32) -> Vec<Ipv6AddrInfo> {
        self.v6.ac.addresses(ifindex)
    }

    // ------------------------------------------------------------------ routes

    pub(crate) fn route_add6(
        &mut self,
        spec: &RouteSpec,
        dst: Ipv6Addr,
        gw: Option<Ipv6Addr>,
        src: Option<Ipv6Addr>,
    ) -> Result<()> {
        if spec.plen > 128 {
            return Err(Error::new(Errno::Einval));
        }
        let mut ifindex = spec.ifindex.unwrap_or(0);
        if spec.rtype == RouteType::Unicast {
            if let Some(g) = gw {
                if ifindex == 0 {
                    if is_link_local(g) {
                        return Err(einval("Nexthop has invalid gateway"));
                    }
                    match self.fib6.lookup(g, None, |r| r.gateway.is_none()) {
                        Some(r) => ifindex = r.ifindex,
                        None => return Err(Error::with_msg(Errno::Ehostunreach, "Nexthop has invalid gateway")),
                    }
                }
                if self.is_local6(g) {
                    return Err(einval("Invalid gateway address"));
                }
            } else if ifindex == 0 {
                return Err(Error::new(Errno::Enodev));
            }
            if !self.dev(ifindex).is_some_and(|d| d.is_up()) {
                return Err(Error::with_msg(Errno::Enetdown, "Nexthop device is not up"));
            }
        }
        let r = Route {
            dst: dst.mask(spec.plen),
            plen: spec.plen,
            rtype: spec.rtype,
            ifindex,
            gateway: gw,
            prefsrc: src,
            metric: spec.metric.unwrap_or(RT6_PRIO_USER),
            proto: spec.proto,
            scope: Scope::Universe,
            onlink: spec.onlink,
            mtu: spec.mtu,
        };
        if self.fib6.add(r) { Ok(()) } else { Err(Error::new(Errno::Eexist)) }
    }

    fn route_out6(&self, dst: Ipv6Addr, oif: Option<u32>) -> std::result::Result<Rt6, OutErr> {
        let lo = self.lo().unwrap_or(1);
        if self.is_local6(dst) {
            return Ok(Rt6 { rtype: RouteType::Local, ifindex: lo, gw: None, mtu: 65536 });
        }
        let up = |i: u32| self.dev(i).is_some_and(|d| d.is_up());
        let mk = |ifindex: u32, gw: Option<Ipv6Addr>, rmtu: Option<u32>| {
            let dmtu = self.dev(ifindex).map_or(1500, |d| d.mtu());
            let cmtu = self.conf.ipv6_mtu(ifindex).unwrap_or(dmtu);
            let pmtu = self.pmtu.get(&IpAddr::V6(dst)).filter(|p| p.1 > self.now).map(|p| p.0);
            let mtu = [Some(dmtu), Some(cmtu), pmtu, rmtu].into_iter().flatten().min().unwrap_or(dmtu);
            Rt6 { rtype: RouteType::Unicast, ifindex, gw, mtu }
        };
        if dst.is_multicast() || is_link_local(dst) {
            return match oif {
                Some(o) if up(o) => Ok(mk(o, None, None)),
                _ if dst.is_multicast() => Err(OutErr::NoRoute),
                _ => Err(OutErr::Invalid),
            };
        }
        match self.fib6.lookup(dst, oif, |r| r.rtype != RouteType::Unicast || up(r.ifindex)) {
            Some(r) if r.rtype == RouteType::Unicast => Ok(mk(r.ifindex, r.gateway, r.mtu)),
            Some(_) => Err(OutErr::Unreachable),
            None => Err(OutErr::NoRoute),
        }
    }

    pub(crate) fn route_get6(&self, dst: Ipv6Addr, oif: Option<u32>) -> std::result::Result<RouteGet, SockError> {
        let rt = self.route_out6(dst, oif).map_err(SockError::from)?;
        let src =
            if rt.rtype == RouteType::Local { Some(dst) } else { self.v6.ac.select_source(dst, Some(rt.ifindex)) };
        let pmtu = self.pmtu.get(&IpAddr::V6(dst)).filter(|p| p.1 > self.now).map(|p| p.0);
        Ok(RouteGet {
            rtype: rt.rtype,
            ifindex: rt.ifindex,
            gateway: rt.gw.map(IpAddr::V6),
            src: src.map(IpAddr::V6),
            mtu: pmtu,
        })
    }

    // ------------------------------------------------------------------ output

    /// `ip6_local_out` for a complete IPv6 packet.
    /// Would `ip6_route_output` for this packet give a usable route? (ipvlan's L3 outbound.)
    pub(crate) fn l3_routable6(&self, pkt: &[u8], oif: Option<u32>) -> bool {
        Ip6::parse(pkt).is_some_and(|h| self.route_out6(h.dst, oif).is_ok())
    }

    pub(crate) fn output6(&mut self, cpu: &mut Cpu, pkt: &[u8], oif: Option<u32>) -> std::result::Result<(), OutErr> {
        let h = Ip6::parse(pkt).ok_or(OutErr::Invalid)?;
        let rt = self.route_out6(h.dst, oif)?;
        if self.conf.ipv6_disabled(rt.ifindex) && rt.rtype != RouteType::Local {
            return Err(OutErr::NoRoute);
        }
        if rt.rtype == RouteType::Local {
            let skb = Self::skb_from(cpu, pkt);
            self.xmit(cpu, rt.ifindex, skb, MacAddr([0; 6]), ETH_P_IPV6);
            return Ok(());
        }
        if pkt.len() > rt.mtu as usize {
            return Err(OutErr::MsgSize(rt.mtu));
        }
        let skb = Self::skb_from(cpu, pkt);
        self.neigh_output6(cpu, &rt, &h, skb);
        Ok(())
    }

    fn neigh_output6(&mut self, cpu: &mut Cpu, rt: &Rt6, h: &Ip6, skb: Skb) {
        let ifindex = rt.ifindex;
        let Some(d) = self.devs.get(&ifindex) else {
            cpu.kfree_skb(skb, DropReason::IpOutnoroutes, None);
            return;
        };
        if h.dst.is_multicast() {
            self.xmit(cpu, ifindex, skb, MacAddr(mc_mac6(h.dst)), ETH_P_IPV6);
            return;
        }
        if !d.needs_arp() {
            let mac = d.dev.address();
            self.xmit(cpu, ifindex, skb, mac, ETH_P_IPV6);
            return;
        }
        let nh = rt.gw.unwrap_or(h.dst);
        let parms = self.parms(Family::Inet6, ifindex);
        let mut acts = Vec::new();
        let (res, skb) = self.neigh6.resolve(self.now, ifindex, nh, skb, &parms, &mut acts, Some(h.src));
        self.resolved(cpu, ifindex, res, skb, ETH_P_IPV6);
        self.neigh_actions6(cpu, acts);
    }

    pub(crate) fn neigh_actions6(&mut self, cpu: &mut Cpu, acts: Vec<NeighAction<Ipv6Addr>>) {
        for a in acts {
            match a {
                NeighAction::Solicit { ifindex, addr, unicast, trigger_src } => {
                    self.ndisc_solicit(cpu, ifindex, addr, unicast, trigger_src);
                }
                NeighAction::Failed { queued, .. } => {
                    for skb in queued {
                        // ndisc_error_report → icmpv6 address unreachable (code 3).
                        self.icmp6_send(cpu, skb.data(), ICMPV6_DEST_UNREACH, 3, 0, None);
                        cpu.kfree_skb(skb, DropReason::NeighFailed, None);
                    }
                }
                NeighAction::Flush { ifindex, lladdr, queued, .. } => {
                    for skb in queued {
                        self.xmit(cpu, ifindex, skb, lladdr, ETH_P_IPV6);
                    }
                }
            }
        }
    }

    /// `ndisc_solicit` → `ndisc_send_ns`: to the solicited-node group (or the cached address for
    /// a unicast probe), with our link-layer address.
    fn ndisc_solicit(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        target: Ipv6Addr,
        unicast: Option<MacAddr>,
        trigger: Option<Ipv6Addr>,
    ) {
        let Some(d) = self.devs.get(&ifindex) else { return };
        let me = d.dev.address();
        let src = trigger
            .filter(|s| {
                self.v6.ac.addresses(ifindex).iter().any(|x| x.addr == *s && !x.flags.contains(AddrFlags::TENTATIVE))
            })
            .or_else(|| self.v6.ac.select_source(target, Some(ifindex)));
        let Some(src) = src else { return };
        let dst = if unicast.is_some() { target } else { solicited_node(target) };
        let p = crate::addrconf::wire::ns(src, dst, target, Some(me.0), None);
        let mac = unicast.unwrap_or(MacAddr(mc_mac6(dst)));
        let skb = Self::skb_from(cpu, &p);
        self.mib_inc("Icmp6OutNeighborSolicits");
        self.xmit(cpu, ifindex, skb, mac, ETH_P_IPV6);
    }

    fn icmp6_finish(&self, p: &mut [u8], hlim: u8, src: Ipv6Addr, dst: Ipv6Addr) {
        write_ip6(p, IPPROTO_ICMPV6, hlim, src, dst);
        p[42] = 0;
        p[43] = 0;
        let sum = csum_add(pseudo6(src, dst, p.len() - 40, IPPROTO_ICMPV6), &p[40..]);
        p[42..44].copy_from_slice(&csum_fold(sum).to_be_bytes());
    }

    // ------------------------------------------------------------------ receive

    /// `ipv6_rcv` → `ip6_rcv_finish` → deliver or forward.
    pub(crate) fn ipv6_rcv(&mut self, cpu: &mut Cpu, ifindex: u32, mut skb: Skb) {
        if self.conf.ipv6_disabled(ifindex) || !self.v6.ac.has_idev(ifindex) {
            self.mib_inc("Ip6InDiscards");
            cpu.kfree_skb(skb, DropReason::Ipv6Disabled, None);
            return;
        }
        if skb.meta.pkt_type == PktType::OtherHost {
            // ip6_rcv_core: counted on the device (6.0+).
            if let Some(d) = self.dev(ifindex) {
                cpu.core_stat_inc(d, CoreStat::RxOtherhostDropped);
            }
            cpu.kfree_skb(skb, DropReason::Otherhost, None);
            return;
        }
        let Some(h) = Ip6::parse(skb.data()) else {
            self.mib_inc("Ip6InHdrErrors");
            cpu.kfree_skb(skb, DropReason::IpInhdr, None);
            return;
        };
        self.mib_inc("Ip6InReceives");
        skb.trim(40 + h.payload_len);
        let is_lo = self.devs.get(&ifindex).is_some_and(|d| d.is_loopback());
        if h.src.is_multicast() || (!is_lo && (h.dst.is_loopback() || h.src.is_loopback())) {
            self.mib_inc("Ip6InAddrErrors");
            cpu.kfree_skb(skb, DropReason::IpInvalidSource, None);
            return;
        }
        // Skip a hop-by-hop header (MLD reports carry one).
        let (next, off) = match skb.data() {
            d if h.next == 0 && d.len() >= 48 => (d[40], 40 + (usize::from(d[41]) + 1) * 8),
            _ => (h.next, 40),
        };
        if off > skb.len() {
            cpu.kfree_skb(skb, DropReason::IpInhdr, None);
            return;
        }
        if h.dst.is_multicast() {
            if self.v6.ac.has_group(ifindex, h.dst) || h.dst == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1) {
                self.ip6_local_deliver(cpu, ifindex, skb.data(), &h, next, off, true, PktType::Multicast);
                cpu.consume_skb(skb);
            } else {
                cpu.kfree_skb(skb, DropReason::IpInvalidDest, None);
            }
            return;
        }
        if is_lo || self.local_dev6(h.dst).is_some() {
            let pt = skb.meta.pkt_type;
            self.ip6_local_deliver(cpu, ifindex, skb.data(), &h, next, off, false, pt);
            cpu.consume_skb(skb);
            return;
        }
        // Not for us: forward when all.forwarding is on (ip6_forward).
        if self.conf.ipv6_conf(Target::All, Ipv6Knob::Forwarding).unwrap_or(0) == 0 {
            self.mib_inc("Ip6InAddrErrors");
            cpu.kfree_skb(skb, DropReason::IpInaddrerrors, None);
            return;
        }
        if skb.meta.pkt_type != PktType::Host {
            cpu.kfree_skb(skb, DropReason::Otherhost, None);
            return;
        }
        self.ip6_forward(cpu, ifindex, skb, &h);
    }

    /// `ip6_forward`: errors answer with ICMPv6 and drop the packet; otherwise the hop limit
    /// goes down in place and the packet leaves.
    fn ip6_forward(&mut self, cpu: &mut Cpu, iif: u32, mut skb: Skb, h: &Ip6) {
        let refuse = |g: &mut Inner, cpu: &mut Cpu, skb: Skb, t: u8, code: u8, info: u32, r: DropReason| {
            g.icmp6_send(cpu, skb.data(), t, code, info, Some(iif));
            cpu.kfree_skb(skb, r, None);
        };
        if is_link_local(h.src) || is_link_local(h.dst) {
            return refuse(self, cpu, skb, ICMPV6_DEST_UNREACH, 2, 0, DropReason::NotSpecified);
        }
        if h.hlim <= 1 {
            self.mib_inc("Ip6InHdrErrors");
            return refuse(self, cpu, skb, ICMPV6_TIME_EXCEED, 0, 0, DropReason::IpInhdr);
        }
        let rt = match self.route_out6(h.dst, None) {
            Ok(rt) => rt,
            Err(_) => {
                self.mib_inc("Ip6InNoRoutes");
                return refuse(self, cpu, skb, ICMPV6_DEST_UNREACH, 0, 0, DropReason::IpNoroute);
            }
        };
        if skb.len() > rt.mtu as usize {
            self.mib_inc("Ip6InTooBigErrors");
            return refuse(self, cpu, skb, ICMPV6_PKT_TOOBIG, 0, rt.mtu, DropReason::PktTooBig);
        }
        skb.data_mut()[7] -= 1;
        skb.meta.vlan = None;
        self.mib_inc("Ip6OutForwDatagrams");
        let mut h2 = *h;
        h2.hlim -= 1;
        self.neigh_output6(cpu, &rt, &h2, skb);
    }

    #[allow(clippy::too_many_arguments)]
    fn ip6_local_deliver(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        pkt: &[u8],
        h: &Ip6,
        next: u8,
        off: usize,
        mcast: bool,
        pkt_type: PktType,
    ) {
        self.mib_inc("Ip6InDelivers");
        match next {
            IPPROTO_ICMPV6 => self.icmp6_rcv(cpu, ifindex, pkt, h, off, mcast, pkt_type),
            IPPROTO_TCP | IPPROTO_UDP if off == 40 => {
                self.smol.phy.rx.push_back(pkt.to_vec());
                self.smol_dirty = true;
            }
            _ => {
                if !mcast {
                    self.icmp6_send(cpu, pkt, ICMPV6_PARAMPROB, 1, 6, None);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn icmp6_rcv(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        pkt: &[u8],
        h: &Ip6,
        off: usize,
        mcast: bool,
        pkt_type: PktType,
    ) {
        let icmp = &pkt[off..];
        self.mib_inc("Icmp6InMsgs");
        if icmp.len() < 8 || csum_fold(csum_add(pseudo6(h.src, h.dst, icmp.len(), IPPROTO_ICMPV6), icmp)) != 0 {
            self.mib_inc("Icmp6InCsumErrors");
            return;
        }
        match icmp[0] {
            ICMPV6_ECHO_REQUEST => {
                let src = if mcast { self.v6.ac.select_source(h.src, Some(ifindex)) } else { Some(h.dst) };
                let Some(src) = src else { return };
                let mut out = vec![0u8; 40 + icmp.len()];
                out[40..].copy_from_slice(icmp);
                out[40] = ICMPV6_ECHO_REPLY;
                let hlim = self.conf.ipv6_hop_limit(ifindex).unwrap_or(64);
                self.icmp6_finish(&mut out, hlim, src, h.src);
                let oif = is_link_local(h.src).then_some(ifindex);
                let _ = self.output6(cpu, &out, oif);
            }
            ICMPV6_ECHO_REPLY => {
                let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
                let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                if let Some(s) = self.pings.get_mut(&ident) {
                    s.rx.push_back(PingRx::Reply {
                        from: IpAddr::V6(h.src),
                        seq,
                        ttl: h.hlim,
                        len: icmp.len(),
                        time: self.now,
                        payload: icmp[8..].to_vec(),
                    });
                }
            }
            ICMPV6_DEST_UNREACH | ICMPV6_PKT_TOOBIG | ICMPV6_TIME_EXCEED | ICMPV6_PARAMPROB => {
                let inner = &icmp[8..];
                let Some(ih) = Ip6::parse_partial(inner) else { return };
                let info = u32::from_be_bytes([icmp[4], icmp[5], icmp[6], icmp[7]]);
                if icmp[0] == ICMPV6_PKT_TOOBIG {
                    let mtu = info.max(IPV6_MIN_MTU);
                    self.pmtu.insert(IpAddr::V6(ih.dst), (mtu, self.now + PMTU_EXPIRES));
                }
                if ih.next == IPPROTO_ICMPV6 && inner.len() >= 48 && inner[40] == ICMPV6_ECHO_REQUEST {
                    let ident = u16::from_be_bytes([inner[44], inner[45]]);
                    let seq = u16::from_be_bytes([inner[46], inner[47]]);
                    if let Some(s) = self.pings.get_mut(&ident) {
                        s.rx.push_back(PingRx::Error {
                            from: IpAddr::V6(h.src),
                            seq,
                            icmp_type: icmp[0],
                            code: icmp[1],
                            info,
                            time: self.now,
                        });
                    }
                }
            }
            NDISC_NEIGHBOUR_SOLICITATION => self.ndisc_recv_ns(cpu, ifindex, icmp, h),
            NDISC_NEIGHBOUR_ADVERTISEMENT => self.ndisc_recv_na(cpu, ifindex, icmp, h, pkt_type),
            _ => {}
        }
    }

    /// The options of an ND message after its fixed part: (SLLA/TLLA, nonce).
    fn nd_opts(opts: &[u8], want: u8) -> Option<(Option<MacAddr>, Option<[u8; 6]>)> {
        let mut ll = None;
        let mut nonce = None;
        let mut o = opts;
        while o.len() >= 2 {
            let len = usize::from(o[1]) * 8;
            if len == 0 || len > o.len() {
                return None;
            }
            if o[0] == want && len >= 8 {
                ll = Some(MacAddr([o[2], o[3], o[4], o[5], o[6], o[7]]));
            }
            if o[0] == ND_OPT_NONCE && len == 8 {
                nonce = Some([o[2], o[3], o[4], o[5], o[6], o[7]]);
            }
            o = &o[len..];
        }
        Some((ll, nonce))
    }

    /// What addrconf made of an NS/NA for one of our addresses: true if NDISC goes on with it.
    fn dad_continue(&mut self, r: DadRx) -> bool {
        match r {
            DadRx::Continue => true,
            DadRx::DadFailed(outs) => {
                self.apply_v6(outs);
                false
            }
            DadRx::LoopedBack | DadRx::Dropped => false,
        }
    }

    /// `ndisc_recv_ns`.
    fn ndisc_recv_ns(&mut self, cpu: &mut Cpu, ifindex: u32, icmp: &[u8], h: &Ip6) {
        if h.hlim != 255 || icmp.len() < 24 || icmp[1] != 0 {
            return;
        }
        let mut t = [0u8; 16];
        t.copy_from_slice(&icmp[8..24]);
        let target = Ipv6Addr::from(t);
        if target.is_multicast() {
            return;
        }
        let Some((slla, nonce)) = Self::nd_opts(&icmp[24..], ND_OPT_SOURCE_LL_ADDR) else { return };
        let dad = h.src.is_unspecified();
        if dad && (h.dst != solicited_node(target) || slla.is_some()) {
            return;
        }
        self.mib_inc("Icmp6InNeighborSolicits");
        let cnf = self.v6_cnf(ifindex);
        let now = self.now;
        let r = {
            let Inner { v6, rng, .. } = self;
            v6.ac.rx_ns(now, ifindex, &RxSolicit { target, src: h.src, nonce }, &cnf, rng)
        };
        if !self.dad_continue(r) {
            return;
        }
        // Only an address of the receiving device is answered (no weak host model in NDP).
        let ours = self
            .v6
            .ac
            .addresses(ifindex)
            .iter()
            .any(|x| x.addr == target && !x.flags.intersects(AddrFlags::TENTATIVE | AddrFlags::DADFAILED));
        let proxied = !ours
            && self.conf.ipv6_conf(Target::Dev(ifindex), Ipv6Knob::ProxyNdp).unwrap_or(0) > 0
            && self.neigh6.is_proxy(ifindex, target);
        if !ours && !proxied {
            return;
        }
        if !dad && let Some(ll) = slla {
            let parms = self.parms(Family::Inet6, ifindex);
            let mut acts = Vec::new();
            let flags = UpdateFlags { override_: true, is_router: None, ..UpdateFlags::default() };
            self.neigh6.update(
                now,
                ifindex,
                h.src,
                Some(ll),
                Nud::Stale,
                flags,
                true,
                &parms,
                &mut self.rng,
                &mut acts,
            );
            self.neigh_actions6(cpu, acts);
        }
        // ndisc_send_na: solicited (unless DAD) and override (unless proxied), router if forwarding.
        let (dst, solicited) = if dad { (Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), false) } else { (h.src, true) };
        let router = self.conf.ipv6_forwarding(ifindex);
        self.ndisc_send_na(cpu, ifindex, dst, target, solicited, !proxied, router, slla);
    }

    #[allow(clippy::too_many_arguments)]
    fn ndisc_send_na(
        &mut self,
        cpu: &mut Cpu,
        ifindex: u32,
        dst: Ipv6Addr,
        target: Ipv6Addr,
        solicited: bool,
        override_: bool,
        router: bool,
        dst_ll: Option<MacAddr>,
    ) {
        let Some(d) = self.devs.get(&ifindex) else { return };
        let me = d.dev.address();
        let src = if self.is_local6(target) { Some(target) } else { self.v6.ac.select_source(dst, Some(ifindex)) };
        let Some(src) = src else { return };
        let flags = (u8::from(router) << 7) | (u8::from(solicited) << 6) | (u8::from(override_) << 5);
        let p = crate::addrconf::wire::na(src, dst, target, flags, Some(me.0));
        let mac = if dst.is_multicast() { MacAddr(mc_mac6(dst)) } else { dst_ll.unwrap_or(MacAddr(mc_mac6(dst))) };
        self.mib_inc("Icmp6OutNeighborAdvertisements");
        if dst.is_multicast() || dst_ll.is_some() {
            let skb = Self::skb_from(cpu, &p);
            self.xmit(cpu, ifindex, skb, mac, ETH_P_IPV6);
        } else {
            let _ = self.output6(cpu, &p, Some(ifindex));
        }
    }

    /// `ndisc_recv_na`.
    fn ndisc_recv_na(&mut self, cpu: &mut Cpu, ifindex: u32, icmp: &[u8], h: &Ip6, pkt_type: PktType) {
        if h.hlim != 255 || icmp.len() < 24 || icmp[1] != 0 {
            return;
        }
        let mut t = [0u8; 16];
        t.copy_from_slice(&icmp[8..24]);
        let target = Ipv6Addr::from(t);
        let solicited = icmp[4] & 0x40 != 0;
        if target.is_multicast() || (solicited && h.dst.is_multicast()) {
            return;
        }
        let Some((tlla, _)) = Self::nd_opts(&icmp[24..], ND_OPT_TARGET_LL_ADDR) else { return };
        self.mib_inc("Icmp6InNeighborAdvertisements");
        let cnf = self.v6_cnf(ifindex);
        let now = self.now;
        let r = {
            let Inner { v6, rng, .. } = self;
            v6.ac.rx_na(now, ifindex, target, pkt_type, &cnf, rng)
        };
        if !self.dad_continue(r) {
            return;
        }
        if self.neigh6.get(ifindex, target).is_none() {
            return;
        }
        let router = icmp[4] & 0x80 != 0;
        let override_ = icmp[4] & 0x20 != 0;
        let state = if solicited { Nud::Reachable } else { Nud::Stale };
        let flags = UpdateFlags { override_, weak_override: true, admin: false, is_router: Some(router) };
        let parms = self.parms(Family::Inet6, ifindex);
        let mut acts = Vec::new();
        self.neigh6.update(now, ifindex, target, tlla, state, flags, false, &parms, &mut self.rng, &mut acts);
        self.neigh_actions6(cpu, acts);
    }

    /// `icmp6_send`: an ICMPv6 error about `orig` back to its source.
    pub(crate) fn icmp6_send(&mut self, cpu: &mut Cpu, orig: &[u8], typ: u8, code: u8, info: u32, iif: Option<u32>) {
        let Some(oh) = Ip6::parse_partial(orig) else { return };
        if oh.src.is_unspecified() || oh.src.is_multicast() {
            return;
        }
        if oh.dst.is_multicast() && !(typ == ICMPV6_PKT_TOOBIG || (typ == ICMPV6_PARAMPROB && code == 2)) {
            return;
        }
        if oh.next == IPPROTO_ICMPV6 && orig.len() > 40 && orig[40] < 128 {
            return;
        }
        let oif = if is_link_local(oh.src) { iif } else { None };
        let rt = match self.route_out6(oh.src, oif) {
            Ok(rt) => rt,
            Err(_) => return,
        };
        if rt.rtype != RouteType::Local && !self.icmp_xrlim_allow(IpAddr::V6(oh.src)) {
            return;
        }
        let saddr = if iif.is_none() && self.is_local6(oh.dst) {
            Some(oh.dst)
        } else {
            self.v6.ac.select_source(oh.src, Some(rt.ifindex))
        };
        let Some(saddr) = saddr else { return };
        let room = (rt.mtu.min(IPV6_MIN_MTU) as usize).saturating_sub(48);
        let data = &orig[..orig.len().min(room)];
        let mut out = vec![0u8; 48 + data.len()];
        out[40] = typ;
        out[41] = code;
        out[44..48].copy_from_slice(&info.to_be_bytes());
        out[48..].copy_from_slice(data);
        let hlim = self.conf.ipv6_hop_limit(rt.ifindex).unwrap_or(64);
        self.icmp6_finish(&mut out, hlim, saddr, oh.src);
        self.mib_inc("Icmp6OutMsgs");
        let _ = self.output6(cpu, &out, oif);
    }
}

impl Ip6 {
    /// The header of a possibly truncated packet quoted in an ICMPv6 error.
    pub(crate) fn parse_partial(b: &[u8]) -> Option<Ip6> {
        if b.len() < 40 || b[0] >> 4 != 6 {
            return None;
        }
        let mut s = [0u8; 16];
        s.copy_from_slice(&b[8..24]);
        let mut d = [0u8; 16];
        d.copy_from_slice(&b[24..40]);
        Some(Ip6 {
            payload_len: usize::from(u16::from_be_bytes([b[4], b[5]])),
            next: b[6],
            hlim: b[7],
            src: Ipv6Addr::from(s),
            dst: Ipv6Addr::from(d),
        })
    }
}
