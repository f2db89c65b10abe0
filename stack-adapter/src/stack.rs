//! One namespace's stack: state, configuration calls, netdev events, timers, and the receive
//! entry point.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};

use netdev_core::{
    ARPHRD_ETHER, ARPHRD_LOOPBACK, AddrEvent, Cpu, DropReason, Errno, Error, IfFlags, InetAddrChain, MacAddr,
    NetDevice, NetdevEvent, NetnsId, ProtocolHandler, Result, Rng, Rtnl, Skb, TimerId, World,
};
use parking_lot::Mutex;
use smoltcp::socket::{tcp, udp};

use crate::fib::{Fib, Proto, Route, RouteAddr, RouteType, Scope};
use crate::ipv4::InAddr;
use crate::neigh::{NeighAction, NeighTable, Nud, Resolve, UpdateFlags};
use crate::sock::{Smol, SockError, SocketId, ep, listen_ep, sockaddr};
use crate::sysctl::{Family, Sysctls};
use crate::wire::{ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, HEADROOM};

/// SNMP-style counters (`/proc/net/snmp`, `/proc/net/netstat`), by their netstat names.
pub type Mib = BTreeMap<&'static str, u64>;

/// A device as the stack knows it (`struct in_device` + `struct inet6_dev`).
pub(crate) struct DevEntry {
    pub(crate) dev: Arc<NetDevice>,
    pub(crate) in4: Vec<InAddr>,
}

impl DevEntry {
    pub(crate) fn ifindex(&self) -> u32 {
        self.dev.ifindex()
    }

    pub(crate) fn is_loopback(&self) -> bool {
        self.dev.raw_flags().contains(IfFlags::LOOPBACK)
    }

    /// The device resolves neighbours (Ethernet, ARP on).
    pub(crate) fn needs_arp(&self) -> bool {
        self.dev.dev_type() == ARPHRD_ETHER && !self.dev.raw_flags().contains(IfFlags::NOARP)
    }

    /// Frames on it carry an Ethernet header (Ethernet or loopback).
    pub(crate) fn has_ether(&self) -> bool {
        matches!(self.dev.dev_type(), ARPHRD_ETHER | ARPHRD_LOOPBACK)
    }
}

/// A ping socket (`net/ipv4/ping.c`): what arrived for its identifier.
#[derive(Debug, Default)]
pub(crate) struct PingSock {
    pub(crate) rx: VecDeque<crate::ping::PingRx>,
}

/// The state behind the stack's lock.
pub(crate) struct Inner {
    pub(crate) devs: BTreeMap<u32, DevEntry>,
    pub(crate) fib4: Fib<Ipv4Addr>,
    pub(crate) fib6: Fib<Ipv6Addr>,
    pub(crate) neigh4: NeighTable<Ipv4Addr>,
    pub(crate) neigh6: NeighTable<Ipv6Addr>,
    /// Broadcast ARP requests waiting for their proxy reply (`pneigh_enqueue`).
    pub(crate) proxy_q: Vec<(u64, u32, Vec<u8>)>,
    pub(crate) conf: Sysctls,
    pub(crate) smol: Smol,
    pub(crate) smol_dirty: bool,
    pub(crate) mib: Mib,
    pub(crate) rng: Rng,
    pub(crate) ip_id: u16,
    pub(crate) pings: BTreeMap<u16, PingSock>,
    /// ICMP error rate limit per destination (`inet_peer_xrlim_allow`): (tokens, last).
    pub(crate) icmp_peers: BTreeMap<IpAddr, (u64, u64)>,
    /// Learned path MTUs (`ip_rt_update_pmtu`): destination → (mtu, expiry).
    pub(crate) pmtu: BTreeMap<IpAddr, (u32, u64)>,
    pub(crate) armed: Option<(TimerId, u64)>,
    pub(crate) now: u64,
    pub(crate) defrag4: crate::ipv4::Defrag4,
    /// Devices owed gratuitous ARPs (arp_notify on NETDEV_UP / CHANGEADDR).
    pub(crate) pending_garp: Vec<u32>,
    /// Packets to free at the next flush (queued on neighbours that went away).
    pub(crate) pending_drops: Vec<Skb>,
    /// Neighbour actions raised under RTNL, carried out at the next flush (needs a CPU).
    pub(crate) deferred_neigh4: Acts4,
    pub(crate) deferred_neigh6: Acts6,
    pub(crate) v6: crate::ipv6::V6State,
    /// What was last announced on rtnetlink (None while nobody listens).
    pub(crate) nl_last: Option<crate::rtnetlink::Snapshot>,
    /// The World's inet address chains: validators and notifiers of address changes.
    pub(crate) inetaddr: Arc<InetAddrChain>,
}

/// A namespace's IP stack. Installed as the namespace's protocol handler by [`crate::install`].
pub struct Stack {
    ns: NetnsId,
    me: Weak<Stack>,
    pub(crate) inner: Mutex<Inner>,
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack").field("ns", &self.ns).finish_non_exhaustive()
    }
}

/// A neighbour entry as `ip neigh` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighEntry {
    /// Address.
    pub addr: IpAddr,
    /// Device.
    pub ifindex: u32,
    /// Link-layer address.
    pub lladdr: Option<MacAddr>,
    /// State.
    pub state: Nud,
    /// Router flag (IPv6).
    pub router: bool,
    /// Probes sent.
    pub probes: u32,
    /// Seconds since last use, confirmation, update (`used A/B/C`), in ns.
    pub ages: (u64, u64, u64),
    /// A proxy entry (`ip neigh show proxy`).
    pub proxy: bool,
}

/// `ip route add|del` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// Destination.
    pub dst: IpAddr,
    /// Prefix length.
    pub plen: u8,
    /// `via`.
    pub gateway: Option<IpAddr>,
    /// `dev`.
    pub ifindex: Option<u32>,
    /// `src`.
    pub prefsrc: Option<IpAddr>,
    /// `metric`.
    pub metric: Option<u32>,
    /// Route type (`unicast` by default).
    pub rtype: RouteType,
    /// `proto` (boot by default).
    pub proto: Proto,
    /// `scope`.
    pub scope: Option<Scope>,
    /// `onlink`.
    pub onlink: bool,
    /// `mtu`.
    pub mtu: Option<u32>,
}

impl RouteSpec {
    /// A unicast route to `dst/plen` with everything else unset.
    pub fn new(dst: IpAddr, plen: u8) -> RouteSpec {
        RouteSpec {
            dst,
            plen,
            gateway: None,
            ifindex: None,
            prefsrc: None,
            metric: None,
            rtype: RouteType::Unicast,
            proto: Proto::Boot,
            scope: None,
            onlink: false,
            mtu: None,
        }
    }
}

pub(crate) fn einval(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

impl Stack {
    pub(crate) fn new(ns: NetnsId, seed: u64, inherit: Option<&Stack>, inetaddr: Arc<InetAddrChain>) -> Arc<Stack> {
        let conf = match inherit {
            Some(s) => Sysctls::new_inherit(&s.inner.lock().conf),
            None => Sysctls::new(),
        };
        let mut rng = Rng::new(seed);
        let smol_seed = rng.next_u64();
        Arc::new_cyclic(|me| Stack {
            ns,
            me: me.clone(),
            inner: Mutex::new(Inner {
                devs: BTreeMap::new(),
                fib4: Fib::default(),
                fib6: Fib::default(),
                neigh4: NeighTable::default(),
                neigh6: NeighTable::default(),
                proxy_q: Vec::new(),
                conf,
                smol: Smol::new(smol_seed, 0),
                smol_dirty: false,
                mib: Mib::new(),
                ip_id: (rng.next_u64() & 0xffff) as u16,
                rng,
                pings: BTreeMap::new(),
                icmp_peers: BTreeMap::new(),
                pmtu: BTreeMap::new(),
                armed: None,
                now: 0,
                defrag4: crate::ipv4::Defrag4::default(),
                pending_garp: Vec::new(),
                pending_drops: Vec::new(),
                deferred_neigh4: Vec::new(),
                deferred_neigh6: Vec::new(),
                v6: crate::ipv6::V6State::default(),
                nl_last: None,
                inetaddr,
            }),
        })
    }

    /// The namespace.
    pub fn netns(&self) -> NetnsId {
        self.ns
    }

    pub(crate) fn shutdown(&self, world: &World) {
        let mut g = self.inner.lock();
        if let Some((id, _)) = g.armed.take() {
            world.timer_cancel(id);
        }
    }

    // ------------------------------------------------------------------ events

    pub(crate) fn netdev_event(&self, rtnl: &mut Rtnl<'_>, ev: &NetdevEvent, dev: &Arc<NetDevice>) {
        let world = rtnl.world().clone();
        let mut g = self.inner.lock();
        g.now = world.now();
        self.nl_before(&world, &mut g);
        let ifindex = dev.ifindex();
        match ev {
            NetdevEvent::Register => {
                g.conf.add_dev(ifindex, dev.raw_flags(), dev.mtu());
                g.devs.insert(ifindex, DevEntry { dev: dev.clone(), in4: Vec::new() });
                g.v6_register(ifindex);
            }
            NetdevEvent::Up => {
                g.inet_up(ifindex);
                if g.conf.arp_notify(ifindex) > 0 {
                    g.pending_garp.push(ifindex);
                }
                g.v6_dev_event(ifindex, true);
            }
            NetdevEvent::Down => {
                g.inet_down(ifindex);
                g.v6_dev_down(ifindex);
            }
            NetdevEvent::Change => {
                if !dev.has_carrier() && g.conf.arp_evict_nocarrier(ifindex) {
                    let q = g.neigh4.flush_dev(ifindex, true, false);
                    g.pending_drops.extend(q);
                }
                g.v6_dev_event(ifindex, false);
            }
            NetdevEvent::ChangeAddr => {
                if g.conf.arp_notify(ifindex) > 0 {
                    g.pending_garp.push(ifindex);
                }
                let q = g.neigh4.flush_dev(ifindex, true, false);
                g.pending_drops.extend(q);
                let q = g.neigh6.flush_dev(ifindex, true, false);
                g.pending_drops.extend(q);
            }
            NetdevEvent::ChangeMtu => {
                g.conf.dev_mtu_changed(ifindex, dev.mtu());
                g.v6_change_mtu(ifindex);
            }
            NetdevEvent::Unregister => {
                // inetdev_destroy / addrconf_ifdown: the device's addresses go, and the address
                // chains hear of each.
                g.addr_events_down(dev);
                g.inet_down(ifindex);
                g.v6_dev_down(ifindex);
                g.v6_unregister(ifindex);
                let q = g.neigh4.flush_dev(ifindex, false, true);
                g.pending_drops.extend(q);
                let q = g.neigh6.flush_dev(ifindex, false, true);
                g.pending_drops.extend(q);
                g.fib4.retain(|r| r.ifindex != ifindex);
                g.fib6.retain(|r| r.ifindex != ifindex);
                g.devs.remove(&ifindex);
                g.conf.del_dev(ifindex);
            }
            _ => {}
        }
        g.update_smol_mtu();
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, matches!(ev, NetdevEvent::Down | NetdevEvent::Unregister));
    }

    // ------------------------------------------------------------------ notifications

    /// Before an entry point runs: the state announced last is the reference while someone
    /// listens (`rtnl_has_listeners`); a new listener's reference is the state now. Kept across
    /// entry points, so what changed in between (a device's flags before its NETDEV_UP) is
    /// announced at the next one.
    fn nl_before(&self, world: &World, g: &mut Inner) {
        if !world.netlink_has_listeners(self.ns) {
            g.nl_last = None;
        } else if g.nl_last.is_none() {
            g.nl_last = Some(g.nl_snapshot(&g.neigh_entries()));
        }
    }

    /// Announce what changed since the reference (see [`crate::rtnetlink`]) and keep the state
    /// as the next one.
    fn nl_after(&self, world: &World, g: &mut Inner, quiet_v4_dels: bool) {
        if let Some(b) = g.nl_last.take() {
            let a = g.nl_snapshot(&g.neigh_entries());
            crate::rtnetlink::publish(world, self.ns, crate::rtnetlink::diff(&b, &a, quiet_v4_dels));
            g.nl_last = Some(a);
        }
    }

    /// The address dump (`RTM_GETADDR`): one message per address, IPv4 then IPv6.
    pub fn dump_addrs(&self) -> Vec<Vec<u8>> {
        self.inner.lock().dump_addrs()
    }

    /// The route dump of every table (`RTM_GETROUTE`): IPv4 main, IPv4 local, IPv6 main, IPv6
    /// local.
    pub fn dump_routes(&self) -> Vec<Vec<u8>> {
        self.inner.lock().dump_routes()
    }

    /// The neighbour dump (`RTM_GETNEIGH`), proxy entries (`NTF_PROXY`) last.
    pub fn dump_neighs(&self) -> Vec<Vec<u8>> {
        let g = self.inner.lock();
        g.dump_neighs(&g.neigh_entries())
    }

    // ------------------------------------------------------------------ timers

    /// Arm the namespace's single World timer at the earliest deadline of anything inside.
    pub(crate) fn rearm(&self, g: &mut Inner, world: &World) {
        let want = g.next_deadline();
        match (g.armed, want) {
            // An armed timer at or before what is wanted stays: when it fires, the next
            // deadline is recomputed. Only an earlier need moves it.
            (Some((_, at)), Some(w)) if at <= w => return,
            (Some(_), None) | (None, None) => return,
            _ => {}
        }
        if let Some((id, _)) = g.armed.take() {
            world.timer_cancel(id);
        }
        if let Some(at) = want {
            let me = self.me.clone();
            let at = at.max(world.now());
            let id = world.timer_add(
                at,
                Box::new(move |cpu: &mut Cpu| {
                    if let Some(s) = me.upgrade() {
                        s.on_timer(cpu);
                    }
                    None
                }),
            );
            g.armed = Some((id, at));
        }
    }

    fn on_timer(&self, cpu: &mut Cpu) {
        let mut g = self.inner.lock();
        g.armed = None;
        g.now = cpu.now();
        let world = cpu.world().clone();
        self.nl_before(&world, &mut g);
        g.run_timers(cpu);
        g.flush(cpu);
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, false);
    }

    /// Run everything due (neighbour timers, smoltcp) and transmit; for callers that drive the
    /// stack directly.
    pub fn poll(&self, cpu: &mut Cpu) {
        let mut g = self.inner.lock();
        g.now = cpu.now();
        let world = cpu.world().clone();
        self.nl_before(&world, &mut g);
        g.smol_dirty = true;
        g.flush(cpu);
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, false);
    }

    pub(crate) fn with<R>(&self, cpu: &mut Cpu, f: impl FnOnce(&mut Inner, &mut Cpu) -> R) -> R {
        let mut g = self.inner.lock();
        g.now = cpu.now();
        let world = cpu.world().clone();
        self.nl_before(&world, &mut g);
        let r = f(&mut g, cpu);
        g.flush(cpu);
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, false);
        r
    }

    fn with_rtnl<R>(&self, rtnl: &mut Rtnl<'_>, f: impl FnOnce(&mut Inner) -> R) -> R {
        let world = rtnl.world().clone();
        let mut g = self.inner.lock();
        g.now = world.now();
        self.nl_before(&world, &mut g);
        let r = f(&mut g);
        g.update_smol_mtu();
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, false);
        r
    }

    // ------------------------------------------------------------------ addresses

    /// `ip addr add ADDR/PLEN dev DEV` for IPv4 or IPv6.
    pub fn addr_add(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, addr: IpAddr, plen: u8, opts: &AddrOpts) -> Result<()> {
        self.with_rtnl(rtnl, |g| match addr {
            IpAddr::V4(a) => g.inet_addr_add(ifindex, a, plen, opts),
            IpAddr::V6(a) => g.inet6_addr_add(ifindex, a, plen, opts),
        })
    }

    /// `ip addr del ADDR/PLEN dev DEV`.
    pub fn addr_del(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, addr: IpAddr, plen: Option<u8>) -> Result<()> {
        self.with_rtnl(rtnl, |g| match addr {
            IpAddr::V4(a) => g.inet_addr_del(ifindex, a, plen),
            IpAddr::V6(a) => g.inet6_addr_del(ifindex, a, plen),
        })
    }

    /// `ip addr flush dev DEV` (IPv4 and IPv6 unless `family` narrows it); returns the count.
    pub fn addr_flush(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, v4: bool, v6: bool) -> usize {
        self.with_rtnl(rtnl, |g| {
            let mut n = 0;
            if v4 {
                while let Some(a) = g.devs.get(&ifindex).and_then(|d| d.in4.last().map(|a| (a.local, a.prefix_len))) {
                    if g.inet_addr_del(ifindex, a.0, Some(a.1)).is_err() {
                        break;
                    }
                    n += 1;
                }
            }
            if v6 {
                while let Some(a) = g.addrs6(ifindex).last().map(|a| (a.addr, a.prefix_len)) {
                    if g.inet6_addr_del(ifindex, a.0, Some(a.1)).is_err() {
                        break;
                    }
                    n += 1;
                }
            }
            n
        })
    }

    /// The IPv4 addresses of `ifindex`, in `ip addr` order.
    pub fn addrs4(&self, ifindex: u32) -> Vec<InAddr> {
        self.inner.lock().devs.get(&ifindex).map(|d| d.in4.clone()).unwrap_or_default()
    }

    /// The IPv6 addresses of `ifindex`, in `ip addr` order.
    pub fn addrs6(&self, ifindex: u32) -> Vec<crate::addrconf::Ipv6AddrInfo> {
        self.inner.lock().addrs6(ifindex)
    }

    /// The IPv6 multicast groups of `ifindex` (`ip -6 maddr`).
    pub fn groups6(&self, ifindex: u32) -> Vec<crate::addrconf::McGroup> {
        self.inner.lock().v6.ac.groups(ifindex)
    }

    /// True if `addr` is a local address of this namespace (the weak host model's test).
    pub fn is_local(&self, addr: IpAddr) -> bool {
        let g = self.inner.lock();
        match addr {
            IpAddr::V4(a) => g.local_dev4(a).is_some(),
            IpAddr::V6(a) => g.is_local6(a),
        }
    }

    // ------------------------------------------------------------------ routes

    /// `ip route add`.
    pub fn route_add(&self, rtnl: &mut Rtnl<'_>, spec: &RouteSpec) -> Result<()> {
        self.with_rtnl(rtnl, |g| g.route_add(spec))
    }

    /// `ip route del`: ESRCH if no route matches.
    pub fn route_del(&self, rtnl: &mut Rtnl<'_>, spec: &RouteSpec) -> Result<()> {
        self.with_rtnl(rtnl, |g| g.route_del(spec))
    }

    /// The IPv4 main table, in dump order.
    pub fn routes4(&self) -> Vec<Route<Ipv4Addr>> {
        self.inner.lock().fib4.dump().into_iter().cloned().collect()
    }

    /// The IPv4 local table (derived from the addresses), in dump order.
    pub fn local_routes4(&self) -> Vec<Route<Ipv4Addr>> {
        self.inner.lock().local_table4()
    }

    /// The IPv6 main table, in dump order.
    pub fn routes6(&self) -> Vec<Route<Ipv6Addr>> {
        self.inner.lock().fib6.dump().into_iter().cloned().collect()
    }

    /// `ip route get DST [from SRC] [oif DEV]`: the route and source a packet would use.
    pub fn route_get(&self, dst: IpAddr, oif: Option<u32>) -> std::result::Result<RouteGet, SockError> {
        let g = self.inner.lock();
        match dst {
            IpAddr::V4(d) => g.route_get4(d, oif),
            IpAddr::V6(d) => g.route_get6(d, oif),
        }
    }

    // ------------------------------------------------------------------ neighbours

    /// `ip neigh add|replace ADDR lladdr MAC [nud STATE] dev DEV`.
    pub fn neigh_add(
        &self,
        rtnl: &mut Rtnl<'_>,
        ifindex: u32,
        addr: IpAddr,
        lladdr: Option<MacAddr>,
        state: Nud,
        replace: bool,
    ) -> Result<()> {
        self.with_rtnl(rtnl, |g| g.neigh_add(ifindex, addr, lladdr, state, replace))
    }

    /// `ip neigh del ADDR dev DEV`: ENOENT if absent.
    pub fn neigh_del(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, addr: IpAddr) -> Result<()> {
        self.with_rtnl(rtnl, |g| {
            let q = match addr {
                IpAddr::V4(a) => g.neigh4.remove(ifindex, a),
                IpAddr::V6(a) => g.neigh6.remove(ifindex, a),
            };
            match q {
                Some(q) => {
                    g.pending_drops.extend(q);
                    Ok(())
                }
                None => Err(Error::new(Errno::Enoent)),
            }
        })
    }

    /// `ip neigh add proxy ADDR dev DEV`: EEXIST if present.
    pub fn neigh_proxy_add(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, addr: IpAddr) -> Result<()> {
        self.with_rtnl(rtnl, |g| {
            let ok = match addr {
                IpAddr::V4(a) => g.neigh4.proxy_add(ifindex, a),
                IpAddr::V6(a) => g.neigh6.proxy_add(ifindex, a),
            };
            if ok { Ok(()) } else { Err(Error::new(Errno::Eexist)) }
        })
    }

    /// `ip neigh del proxy ADDR dev DEV`: ENOENT if absent.
    pub fn neigh_proxy_del(&self, rtnl: &mut Rtnl<'_>, ifindex: u32, addr: IpAddr) -> Result<()> {
        self.with_rtnl(rtnl, |g| {
            let ok = match addr {
                IpAddr::V4(a) => g.neigh4.proxy_del(ifindex, a),
                IpAddr::V6(a) => g.neigh6.proxy_del(ifindex, a),
            };
            if ok { Ok(()) } else { Err(Error::new(Errno::Enoent)) }
        })
    }

    /// `ip neigh flush dev DEV` (all non-permanent entries, or every entry with `all`).
    pub fn neigh_flush(&self, rtnl: &mut Rtnl<'_>, ifindex: Option<u32>, v4: bool, v6: bool) -> usize {
        self.with_rtnl(rtnl, |g| {
            let mut n = 0;
            let pred = |i: u32, n: &crate::neigh::Neigh| {
                ifindex.is_none_or(|x| x == i) && !matches!(n.state, Nud::Permanent | Nud::Noarp)
            };
            if v4 {
                let (c, q) = g.neigh4.flush_matching(|i, _, e| pred(i, e));
                n += c;
                g.pending_drops.extend(q);
            }
            if v6 {
                let (c, q) = g.neigh6.flush_matching(|i, _, e| pred(i, e));
                n += c;
                g.pending_drops.extend(q);
            }
            n
        })
    }

    /// The neighbour tables (IPv4 then IPv6) and the proxy entries, as `ip neigh` lists them:
    /// newest entries first within a device, as the kernel's hash walk tends to; here ordered by
    /// device then address, descending, for determinism.
    pub fn neighbours(&self) -> Vec<NeighEntry> {
        self.inner.lock().neigh_entries()
    }

    /// The multicast groups `ip maddr` lists as `inet` for `ifindex`: all-hosts 224.0.0.1 while
    /// the device is up (`ip_mc_up` joins it, `ip_mc_down` leaves it; every device with an
    /// `in_device`, i.e. an MTU of at least 68).
    pub fn groups4(&self, ifindex: u32) -> Vec<Ipv4Addr> {
        let g = self.inner.lock();
        match g.dev(ifindex) {
            Some(d) if d.is_up() && d.mtu() >= 68 => vec![Ipv4Addr::new(224, 0, 0, 1)],
            _ => Vec::new(),
        }
    }

    /// The device's link-layer multicast list (`dev->mc`, `/proc/net/dev_mcast`), in the order
    /// the groups were joined: the all-nodes MAC at IPv6 registration, 01:00:5e:00:00:01 at
    /// `ip_mc_up`, then the solicited-node MACs. Devices without Ethernet multicast mapping
    /// (loopback, `arp_mc_map`/`ndisc_mc_map` fail) have none.
    pub fn link_groups(&self, ifindex: u32) -> Vec<MacAddr> {
        let v6 = self.groups6(ifindex);
        let v4 = self.groups4(ifindex);
        let g = self.inner.lock();
        let Some(d) = g.devs.get(&ifindex) else { return Vec::new() };
        if d.is_loopback() || !d.has_ether() {
            return Vec::new();
        }
        let map6 = |a: Ipv6Addr| {
            let o = a.octets();
            MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
        };
        let mut out: Vec<MacAddr> = Vec::new();
        let mut add = |m: MacAddr| {
            if !out.contains(&m) {
                out.push(m);
            }
        };
        // groups6 lists the newest group first (the kernel's mc_list head insertion).
        let mut joined: Vec<Ipv6Addr> = v6.iter().map(|m| m.addr).collect();
        joined.reverse();
        let (base, rest): (Vec<Ipv6Addr>, Vec<Ipv6Addr>) = joined
            .into_iter()
            .partition(|a| a.segments()[0] == 0xff01 || *a == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1));
        base.into_iter().for_each(|a| add(map6(a)));
        for a in v4 {
            let o = a.octets();
            add(MacAddr([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]));
        }
        rest.into_iter().for_each(|a| add(map6(a)));
        out
    }
}

impl Inner {
    /// The neighbour entries and proxies as [`Stack::neighbours`] lists them.
    pub(crate) fn neigh_entries(&self) -> Vec<NeighEntry> {
        let g = self;
        let now = g.now;
        let mut v = Vec::new();
        let entry = |addr: IpAddr, ifindex: u32, n: &crate::neigh::Neigh| NeighEntry {
            addr,
            ifindex,
            lladdr: n.lladdr,
            state: n.state,
            router: n.is_router,
            probes: n.probes,
            ages: age3(now, n),
            proxy: false,
        };
        v.extend(g.neigh4.iter().map(|(i, a, n)| entry(IpAddr::V4(a), i, n)));
        v.extend(g.neigh6.iter().map(|(i, a, n)| entry(IpAddr::V6(a), i, n)));
        for (i, a) in g.neigh4.proxies() {
            v.push(proxy_entry(IpAddr::V4(a), i));
        }
        for (i, a) in g.neigh6.proxies() {
            v.push(proxy_entry(IpAddr::V6(a), i));
        }
        v
    }
}

impl Stack {
    /// One neighbour's state and address.
    pub fn neigh_lookup(&self, ifindex: u32, addr: IpAddr) -> Option<(Nud, Option<MacAddr>)> {
        let g = self.inner.lock();
        match addr {
            IpAddr::V4(a) => g.neigh4.get(ifindex, a).map(|n| (n.state, n.lladdr)),
            IpAddr::V6(a) => g.neigh6.get(ifindex, a).map(|n| (n.state, n.lladdr)),
        }
    }

    // ------------------------------------------------------------------ sysctls

    /// Read a sysctl (`net.ipv4.conf.eth0.arp_ignore` or the `/` form).
    pub fn sysctl_get(&self, name: &str) -> std::result::Result<String, Errno> {
        let g = self.inner.lock();
        let by_name = |n: &str| g.devs.values().find(|d| &*d.dev.name() == n).map(DevEntry::ifindex);
        g.conf.read(name, by_name)
    }

    /// Write a sysctl; the stack reacts to what changed (forwarding, disable_ipv6, ...).
    pub fn sysctl_set(&self, rtnl: &mut Rtnl<'_>, name: &str, value: &str) -> std::result::Result<(), Errno> {
        self.with_rtnl(rtnl, |g| {
            let names: BTreeMap<String, u32> =
                g.devs.values().map(|d| (d.dev.name().to_string(), d.ifindex())).collect();
            let changes = g.conf.write(name, value, |n| names.get(n).copied())?;
            g.sysctl_changed(&changes);
            Ok(())
        })
    }

    /// Every sysctl of the namespace, in `sysctl -a` order.
    pub fn sysctl_list(&self) -> Vec<(String, String)> {
        let g = self.inner.lock();
        let names: BTreeMap<u32, String> = g.devs.values().map(|d| (d.ifindex(), d.dev.name().to_string())).collect();
        g.conf.list(|i| names.get(&i).cloned().unwrap_or_default())
    }

    /// SNMP counters.
    pub fn mib(&self) -> Mib {
        self.inner.lock().mib.clone()
    }

    // ------------------------------------------------------------------ sockets

    /// A TCP socket listening on `addr` (`0.0.0.0:port` or `[::]:port` for any).
    pub fn tcp_listen(&self, addr: SocketAddr) -> std::result::Result<SocketId, SockError> {
        let mut g = self.inner.lock();
        if addr.port() == 0 {
            return Err(SockError::Invalid);
        }
        if !addr.ip().is_unspecified() && !g.is_local_ip(addr.ip()) {
            return Err(SockError::AddrNotAvail);
        }
        let mut s = Smol::tcp_socket();
        s.listen(listen_ep(addr)).map_err(|_| SockError::Invalid)?;
        Ok(SocketId(g.smol.sockets.add(s)))
    }

    /// Connect a new TCP socket to `remote`, from `local` (the address Linux would choose, and
    /// an ephemeral port, where not given).
    pub fn tcp_connect(
        &self,
        cpu: &mut Cpu,
        remote: SocketAddr,
        local: Option<SocketAddr>,
    ) -> std::result::Result<SocketId, SockError> {
        self.with(cpu, |g, _| {
            let src = match local.map(|l| l.ip()).filter(|ip| !ip.is_unspecified()) {
                Some(ip) => ip,
                None => g.select_source(remote.ip(), None).ok_or(SockError::NetUnreachable)?,
            };
            let port = match local.map(|l| l.port()).filter(|&p| p != 0) {
                Some(p) => p,
                None => g.ephemeral_port(),
            };
            let mut s = Smol::tcp_socket();
            let cx = g.smol.iface.context();
            s.connect(cx, ep(remote), ep(SocketAddr::new(src, port))).map_err(|_| SockError::Invalid)?;
            g.smol_dirty = true;
            Ok(SocketId(g.smol.sockets.add(s)))
        })
    }

    /// Queue `data` on a TCP socket; returns how much fitted.
    pub fn tcp_send(&self, cpu: &mut Cpu, id: SocketId, data: &[u8]) -> std::result::Result<usize, SockError> {
        self.with(cpu, |g, _| {
            let s = g.smol.sockets.get_mut::<tcp::Socket<'static>>(id.0);
            if !s.may_send() {
                return Err(SockError::NotConnected);
            }
            let n = s.send_slice(data).map_err(|_| SockError::NotConnected)?;
            g.smol_dirty = true;
            Ok(n)
        })
    }

    /// Read from a TCP socket: `Ok(0)` at end of stream, `WouldBlock` when nothing is there yet.
    pub fn tcp_recv(&self, cpu: &mut Cpu, id: SocketId, buf: &mut [u8]) -> std::result::Result<usize, SockError> {
        self.with(cpu, |g, _| {
            let s = g.smol.sockets.get_mut::<tcp::Socket<'static>>(id.0);
            if s.can_recv() {
                let n = s.recv_slice(buf).map_err(|_| SockError::NotConnected)?;
                g.smol_dirty = true;
                return Ok(n);
            }
            if s.may_recv() || matches!(s.state(), tcp::State::SynSent | tcp::State::SynReceived | tcp::State::Listen) {
                return Err(SockError::WouldBlock);
            }
            Ok(0)
        })
    }

    /// The TCP state of a socket.
    pub fn tcp_state(&self, id: SocketId) -> TcpStateOf {
        let g = self.inner.lock();
        let s = g.smol.sockets.get::<tcp::Socket<'static>>(id.0);
        TcpStateOf { state: s.state(), send_queue: s.send_queue(), recv_queue: s.recv_queue() }
    }

    /// Close (FIN) a TCP socket.
    pub fn tcp_close(&self, cpu: &mut Cpu, id: SocketId) {
        self.with(cpu, |g, _| {
            g.smol.sockets.get_mut::<tcp::Socket<'static>>(id.0).close();
            g.smol_dirty = true;
        });
    }

    /// Release a socket.
    pub fn socket_release(&self, id: SocketId) {
        let mut g = self.inner.lock();
        g.smol.sockets.remove(id.0);
    }

    /// A UDP socket bound to `addr` (port 0 picks an ephemeral port).
    pub fn udp_bind(&self, addr: SocketAddr) -> std::result::Result<SocketId, SockError> {
        let mut g = self.inner.lock();
        if !addr.ip().is_unspecified() && !g.is_local_ip(addr.ip()) {
            return Err(SockError::AddrNotAvail);
        }
        let port = if addr.port() == 0 { g.ephemeral_port() } else { addr.port() };
        if g.smol.port_in_use(port) {
            return Err(SockError::AddrInUse);
        }
        let mut s = Smol::udp_socket();
        s.bind(listen_ep(SocketAddr::new(addr.ip(), port))).map_err(|_| SockError::Invalid)?;
        Ok(SocketId(g.smol.sockets.add(s)))
    }

    /// Send a datagram to `dst`; the source is the bound address or the one Linux would choose.
    pub fn udp_send_to(
        &self,
        cpu: &mut Cpu,
        id: SocketId,
        data: &[u8],
        dst: SocketAddr,
    ) -> std::result::Result<(), SockError> {
        self.with(cpu, |g, _| {
            let bound = g.smol.sockets.get::<udp::Socket<'static>>(id.0).endpoint().addr;
            let src = match bound {
                Some(a) => a.into(),
                None => g.select_source(dst.ip(), None).ok_or(SockError::NetUnreachable)?,
            };
            let meta =
                udp::UdpMetadata { endpoint: ep(dst), local_address: Some(src.into()), meta: Default::default() };
            g.smol.sockets.get_mut::<udp::Socket<'static>>(id.0).send_slice(data, meta).map_err(|e| match e {
                udp::SendError::BufferFull => SockError::WouldBlock,
                udp::SendError::Unaddressable => SockError::Invalid,
            })?;
            g.smol_dirty = true;
            Ok(())
        })
    }

    /// Receive a datagram: its bytes and sender.
    pub fn udp_recv_from(&self, id: SocketId) -> Option<(Vec<u8>, SocketAddr)> {
        let mut g = self.inner.lock();
        let s = g.smol.sockets.get_mut::<udp::Socket<'static>>(id.0);
        let (data, meta) = s.recv().ok()?;
        Some((data.to_vec(), sockaddr(meta.endpoint)))
    }
}

/// A TCP socket's state and queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpStateOf {
    /// State.
    pub state: tcp::State,
    /// Bytes not yet acknowledged or sent.
    pub send_queue: usize,
    /// Bytes waiting to be read.
    pub recv_queue: usize,
}

/// What `ip route get` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteGet {
    /// The route type.
    pub rtype: RouteType,
    /// Output device (lo for local).
    pub ifindex: u32,
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Source address chosen.
    pub src: Option<IpAddr>,
    /// Path MTU, if one was learned.
    pub mtu: Option<u32>,
}

/// Options of `ip addr add`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddrOpts {
    /// `brd ADDR` (`brd +` computes it).
    pub broadcast: Option<Ipv4Addr>,
    /// `peer ADDR`.
    pub peer: Option<IpAddr>,
    /// `scope`.
    pub scope: Option<Scope>,
    /// `label`.
    pub label: Option<String>,
    /// `noprefixroute`.
    pub noprefixroute: bool,
    /// `nodad` (IPv6).
    pub nodad: bool,
    /// `metric`.
    pub metric: Option<u32>,
}

fn proxy_entry(addr: IpAddr, ifindex: u32) -> NeighEntry {
    NeighEntry {
        addr,
        ifindex,
        lladdr: None,
        state: Nud::Noarp,
        router: false,
        probes: 0,
        ages: (0, 0, 0),
        proxy: true,
    }
}

impl ProtocolHandler for Stack {
    fn receive(
        &self,
        cpu: &mut Cpu,
        dev: &Arc<NetDevice>,
        _orig: &Arc<NetDevice>,
        skb: Skb,
    ) -> std::result::Result<(), Skb> {
        let proto = skb.meta.protocol;
        if proto != ETH_P_IP && proto != ETH_P_ARP && proto != ETH_P_IPV6 {
            return Err(skb);
        }
        let mut g = self.inner.lock();
        g.now = cpu.now();
        let ifindex = dev.ifindex();
        if !g.devs.contains_key(&ifindex) {
            cpu.kfree_skb(skb, DropReason::NotSpecified, Some(dev));
            return Ok(());
        }
        let world = cpu.world().clone();
        self.nl_before(&world, &mut g);
        match proto {
            ETH_P_ARP => g.arp_rcv(cpu, ifindex, skb),
            ETH_P_IP => g.ip_rcv(cpu, ifindex, skb),
            _ => g.ipv6_rcv(cpu, ifindex, skb),
        }
        g.flush(cpu);
        self.rearm(&mut g, &world);
        self.nl_after(&world, &mut g, false);
        Ok(())
    }

    /// `ip_local_out` / `ip6_local_out` for a driver (ipvlan's L3 slaves): route the packet in
    /// this namespace and send it; `Err` without a unicast or local route.
    fn output(&self, cpu: &mut Cpu, mut skb: Skb, oif: Option<u32>) -> std::result::Result<(), Skb> {
        if skb.meta.protocol == ETH_P_IP {
            crate::ipv4::ip_send_check(skb.data_mut());
        }
        let mut g = self.inner.lock();
        g.now = cpu.now();
        let routable = match skb.meta.protocol {
            ETH_P_IP => g.l3_routable4(skb.data(), oif),
            ETH_P_IPV6 => g.l3_routable6(skb.data(), oif),
            _ => false,
        };
        if !routable {
            return Err(skb);
        }
        // The stack builds its own skb from the bytes (as for every packet it sends).
        let _ = g.local_out(cpu, skb.data(), oif);
        cpu.consume_skb(skb);
        g.flush(cpu);
        self.rearm(&mut g, &cpu.world().clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------- Inner: common machinery

impl Inner {
    /// Tell the address chains that every address of `dev` is gone (the device leaves the stack).
    fn addr_events_down(&self, dev: &Arc<NetDevice>) {
        if self.inetaddr.is_empty() {
            return;
        }
        let ifindex = dev.ifindex();
        let v4 = self.devs.get(&ifindex).map(|d| d.in4.iter().map(|a| IpAddr::V4(a.local)).collect::<Vec<_>>());
        let v6 = self.v6.ac.addresses(ifindex).into_iter().map(|a| IpAddr::V6(a.addr));
        for a in v4.unwrap_or_default().into_iter().chain(v6) {
            self.inetaddr.event(dev, a, AddrEvent::Down);
        }
    }

    pub(crate) fn dev(&self, ifindex: u32) -> Option<&Arc<NetDevice>> {
        self.devs.get(&ifindex).map(|d| &d.dev)
    }

    pub(crate) fn lo(&self) -> Option<u32> {
        self.devs.values().find(|d| d.is_loopback()).map(DevEntry::ifindex)
    }

    /// The neighbour parameters of `ifindex` for `family`.
    pub(crate) fn parms(&self, family: Family, ifindex: u32) -> crate::neigh::NeighParms {
        self.conf.neigh_parms(family, ifindex)
    }

    pub(crate) fn mib_inc(&mut self, name: &'static str) {
        *self.mib.entry(name).or_insert(0) += 1;
    }

    pub(crate) fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }

    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        // ip_local_port_range 32768..=60999; the kernel starts at a random offset.
        for _ in 0..64 {
            let p = 32768 + self.rng.below(60999 - 32768 + 1) as u16;
            if !self.smol.port_in_use(p) {
                return p;
            }
        }
        32768
    }

    pub(crate) fn is_local_ip(&self, a: IpAddr) -> bool {
        match a {
            IpAddr::V4(a) => self.local_dev4(a).is_some(),
            IpAddr::V6(a) => self.is_local6(a),
        }
    }

    pub(crate) fn select_source(&self, dst: IpAddr, oif: Option<u32>) -> Option<IpAddr> {
        match dst {
            IpAddr::V4(d) => self.route_get4(d, oif).ok().and_then(|r| r.src),
            IpAddr::V6(d) => self.route_get6(d, oif).ok().and_then(|r| r.src),
        }
    }

    /// smoltcp segments to the largest MTU of the namespace's non-loopback devices (1500 if
    /// there are none): one MSS for the whole namespace, where Linux takes the route's MTU.
    pub(crate) fn update_smol_mtu(&mut self) {
        let mtu = self.devs.values().filter(|d| !d.is_loopback()).map(|d| d.dev.mtu()).max().unwrap_or(1500);
        self.smol.phy.mtu = mtu.clamp(1280, 65535) as usize;
    }

    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        let now = self.now;
        let mut d = [
            self.neigh4.next_deadline(),
            self.neigh6.next_deadline(),
            self.proxy_q.iter().map(|p| p.0).min(),
            self.v6_next_deadline(),
            self.defrag4.next_deadline(),
            self.smol.poll_at(now),
        ]
        .into_iter()
        .flatten()
        .min();
        if self.smol_dirty
            || !self.pending_drops.is_empty()
            || !self.deferred_neigh4.is_empty()
            || !self.deferred_neigh6.is_empty()
            || !self.pending_garp.is_empty()
        {
            d = Some(now);
        }
        d
    }

    /// Timer work due now.
    pub(crate) fn run_timers(&mut self, cpu: &mut Cpu) {
        let now = self.now;
        let mut acts = Vec::new();
        let src4 = |skb: &Skb| {
            let d = skb.data();
            (d.len() >= 20).then(|| Ipv4Addr::new(d[12], d[13], d[14], d[15]))
        };
        let conf = &self.conf;
        self.neigh4.run_timers(now, |i| conf.neigh_parms(Family::Inet, i), src4, &mut acts);
        self.neigh_actions4(cpu, acts);
        let mut acts6 = Vec::new();
        let src6 = |skb: &Skb| {
            let d = skb.data();
            let mut a = [0u8; 16];
            a.copy_from_slice(d.get(8..24)?);
            Some(Ipv6Addr::from(a))
        };
        let conf = &self.conf;
        self.neigh6.run_timers(now, |i| conf.neigh_parms(Family::Inet6, i), src6, &mut acts6);
        self.neigh_actions6(cpu, acts6);
        // Proxy ARP replies whose delay is over.
        let due: Vec<(u64, u32, Vec<u8>)> = {
            let (due, keep) = std::mem::take(&mut self.proxy_q).into_iter().partition(|p| p.0 <= now);
            self.proxy_q = keep;
            due
        };
        for (_, ifindex, arp) in due {
            self.arp_proxy_reply(cpu, ifindex, &arp);
        }
        self.v6_timers(cpu);
        for first in self.defrag4.expire(now) {
            // ip_expire: "fragment reassembly time exceeded" when the first fragment came.
            self.mib_inc("IpReasmTimeout");
            self.icmp_send4(cpu, &first, 11, 1, 0, None);
        }
        self.smol_dirty = true;
    }

    /// After every entry: drop what is pending, run smoltcp, route what it emitted.
    pub(crate) fn flush(&mut self, cpu: &mut Cpu) {
        for skb in std::mem::take(&mut self.pending_drops) {
            cpu.kfree_skb(skb, DropReason::NeighDead, None);
        }
        let a4 = std::mem::take(&mut self.deferred_neigh4);
        self.neigh_actions4(cpu, a4);
        let a6 = std::mem::take(&mut self.deferred_neigh6);
        self.neigh_actions6(cpu, a6);
        self.v6_flush_tx(cpu);
        for ifindex in std::mem::take(&mut self.pending_garp) {
            self.send_gratuitous_arp(cpu, ifindex);
        }
        let mut rounds = 0;
        while self.smol_dirty && rounds < 8 {
            rounds += 1;
            self.smol_dirty = false;
            let out = self.smol.poll(self.now);
            for pkt in out {
                let _ = self.local_out(cpu, &pkt, None);
            }
        }
    }

    /// `ip_local_out` / `ip6_local_out` for a complete IP packet built locally.
    pub(crate) fn local_out(&mut self, cpu: &mut Cpu, pkt: &[u8], oif: Option<u32>) -> std::result::Result<(), OutErr> {
        match pkt.first().map(|b| b >> 4) {
            Some(4) => self.output4(cpu, pkt, oif),
            Some(6) => self.output6(cpu, pkt, oif),
            _ => Err(OutErr::Invalid),
        }
    }

    /// Put `pkt` (an L3 packet) in an skb with headroom.
    pub(crate) fn skb_from(cpu: &mut Cpu, pkt: &[u8]) -> Skb {
        let mut skb = cpu.alloc_skb(HEADROOM, pkt.len());
        if let Some(b) = skb.put(pkt.len()) {
            b.copy_from_slice(pkt);
        }
        skb
    }

    /// What a neighbour lookup decided for `skb` (`neigh_output` / `__neigh_event_send`): send
    /// it now, leave it queued, or drop what the queue pushed out.
    pub(crate) fn resolved(&mut self, cpu: &mut Cpu, ifindex: u32, res: Resolve, skb: Option<Skb>, proto: u16) {
        match res {
            Resolve::Ready(mac) => {
                if let Some(skb) = skb {
                    self.xmit(cpu, ifindex, skb, mac, proto);
                }
            }
            Resolve::Queued => {}
            Resolve::QueuedDropped(old) => {
                for s in old {
                    cpu.kfree_skb(s, DropReason::NeighQueueFull, None);
                }
            }
        }
    }

    /// Add the link-layer header for `dst_mac` and transmit on `ifindex` (`dev_hard_header` +
    /// `dev_queue_xmit`).
    pub(crate) fn xmit(&mut self, cpu: &mut Cpu, ifindex: u32, mut skb: Skb, dst_mac: MacAddr, proto: u16) {
        let Some(d) = self.devs.get(&ifindex) else {
            cpu.kfree_skb(skb, DropReason::DevReady, None);
            return;
        };
        let dev = d.dev.clone();
        if d.has_ether() {
            let src = dev.address();
            let Some(h) = skb.push(ETH_HLEN) else {
                cpu.kfree_skb(skb, DropReason::Nomem, Some(&dev));
                return;
            };
            h[0..6].copy_from_slice(&dst_mac.0);
            h[6..12].copy_from_slice(&src.0);
            h[12..14].copy_from_slice(&proto.to_be_bytes());
        }
        skb.reset_mac_header();
        skb.meta.protocol = proto;
        cpu.dev_queue_xmit(&dev, skb);
    }

    pub(crate) fn route_add(&mut self, spec: &RouteSpec) -> Result<()> {
        match (spec.dst, spec.gateway, spec.prefsrc) {
            (IpAddr::V4(d), gw, src) => {
                let gw = match gw {
                    Some(IpAddr::V4(g)) => Some(g),
                    None => None,
                    Some(IpAddr::V6(_)) => return Err(einval("Invalid gateway address")),
                };
                let src = match src {
                    Some(IpAddr::V4(s)) => Some(s),
                    None => None,
                    Some(IpAddr::V6(_)) => return Err(Error::new(Errno::Einval)),
                };
                self.route_add4(spec, d, gw, src)
            }
            (IpAddr::V6(d), gw, src) => {
                let gw = match gw {
                    Some(IpAddr::V6(g)) => Some(g),
                    None => None,
                    Some(IpAddr::V4(_)) => return Err(einval("Invalid gateway address")),
                };
                let src = match src {
                    Some(IpAddr::V6(s)) => Some(s),
                    None => None,
                    Some(IpAddr::V4(_)) => return Err(Error::new(Errno::Einval)),
                };
                self.route_add6(spec, d, gw, src)
            }
        }
    }

    pub(crate) fn route_del(&mut self, spec: &RouteSpec) -> Result<()> {
        fn matches<A: RouteAddr>(r: &Route<A>, spec: &RouteSpec, d: A, gw: Option<A>) -> bool {
            r.dst == d.mask(spec.plen)
                && r.plen == spec.plen
                && spec.ifindex.is_none_or(|i| i == r.ifindex)
                && (gw.is_none() || r.gateway == gw)
                && spec.metric.is_none_or(|m| m == r.metric)
                && (spec.rtype == RouteType::Unicast || spec.rtype == r.rtype)
        }
        let found = match spec.dst {
            IpAddr::V4(d) => {
                let gw = match spec.gateway {
                    Some(IpAddr::V4(g)) => Some(g),
                    _ => None,
                };
                self.fib4.del(|r| matches(r, spec, d, gw)).is_some()
            }
            IpAddr::V6(d) => {
                let gw = match spec.gateway {
                    Some(IpAddr::V6(g)) => Some(g),
                    _ => None,
                };
                self.fib6.del(|r| matches(r, spec, d, gw)).is_some()
            }
        };
        if found { Ok(()) } else { Err(Error::new(Errno::Esrch)) }
    }

    pub(crate) fn neigh_add(
        &mut self,
        ifindex: u32,
        addr: IpAddr,
        lladdr: Option<MacAddr>,
        state: Nud,
        replace: bool,
    ) -> Result<()> {
        if !self.devs.contains_key(&ifindex) {
            return Err(Error::new(Errno::Enodev));
        }
        let exists = match addr {
            IpAddr::V4(a) => self.neigh4.get(ifindex, a).is_some(),
            IpAddr::V6(a) => self.neigh6.get(ifindex, a).is_some(),
        };
        if exists && !replace {
            return Err(Error::new(Errno::Eexist));
        }
        if lladdr.is_none() && state.is_valid() && state != Nud::Noarp {
            return Err(einval("No link layer address given."));
        }
        let now = self.now;
        let flags = UpdateFlags { override_: true, admin: true, ..UpdateFlags::default() };
        let mut acts4 = Vec::new();
        let mut acts6 = Vec::new();
        match addr {
            IpAddr::V4(a) => {
                let p = self.parms(Family::Inet, ifindex);
                self.neigh4.update(now, ifindex, a, lladdr, state, flags, true, &p, &mut self.rng, &mut acts4);
            }
            IpAddr::V6(a) => {
                let p = self.parms(Family::Inet6, ifindex);
                self.neigh6.update(now, ifindex, a, lladdr, state, flags, true, &p, &mut self.rng, &mut acts6);
            }
        }
        self.deferred_neigh4.extend(acts4);
        self.deferred_neigh6.extend(acts6);
        Ok(())
    }

    fn sysctl_changed(&mut self, changes: &[crate::sysctl::Change]) {
        for c in changes {
            self.v6_sysctl_changed(c);
        }
    }
}

/// Why a locally generated packet could not be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutErr {
    /// No route (`ENETUNREACH`).
    NoRoute,
    /// Larger than the path MTU with DF (`EMSGSIZE`), with the MTU.
    MsgSize(u32),
    /// Not an IP packet.
    Invalid,
    /// Prohibited or unreachable route type (`EACCES`/`EHOSTUNREACH`).
    Unreachable,
}

impl From<OutErr> for SockError {
    fn from(e: OutErr) -> SockError {
        match e {
            OutErr::NoRoute | OutErr::Unreachable => SockError::NetUnreachable,
            OutErr::MsgSize(_) => SockError::MsgSize,
            OutErr::Invalid => SockError::Invalid,
        }
    }
}

// Keep the type-level link used by the neighbour action vectors.
pub(crate) type Acts4 = Vec<NeighAction<Ipv4Addr>>;
pub(crate) type Acts6 = Vec<NeighAction<Ipv6Addr>>;

fn age3(now: u64, n: &crate::neigh::Neigh) -> (u64, u64, u64) {
    let a = |t: i64| (now as i64 - t).max(0) as u64;
    (a(n.used), a(n.confirmed), a(n.updated))
}
