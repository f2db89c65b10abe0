//! `ip monitor` (iproute2 `ip/ipmonitor.c`): subscribes to the rtnetlink groups of the objects
//! asked for (`link`, `address`, `route`, `neigh`; all when none is named) and prints every
//! message with the `ip link`/`ip addr`/`ip route`/`ip neigh` printers (`accept_msg`), `Deleted `
//! before removals, `[LINK]`-style labels with `all` or `label`, addresses with their `N: DEV`
//! prefix (`ipaddr_reset_filter(1, ...)`), links without `qlen` (no `showqueue`).
//!
//! On Linux `ip monitor` runs until interrupted, so here it must run in the background
//! (`ip monitor ... &`): it subscribes when started and prints everything it received when the
//! job ends (`kill %N`, `wait` or the end of the script). Device names are resolved as iproute2's
//! `ll_map` does: the devices present at the start, updated by the link messages seen since.
//!
//! Deviations: no `-j`, `-t`, `file`, `all-nsid`; the other objects (`mroute`, `prefix`,
//! `netconf`, `rule`, `nsid`, `nexthop`, `stats`) are accepted and print nothing.

use std::sync::Arc;

use netdev_core::NetnsId;
use netdev_core::netlink::{
    self, NetlinkSocket, RTM_DELLINK, RTM_NEWLINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR,
    RTMGRP_IPV6_ROUTE, RTMGRP_LINK, RTMGRP_NEIGH, ifla,
};
use stack_adapter::rtnetlink::{AF_INET, AF_INET6, rta};

use super::nlmsg::{self, AddrMsg, Af, Names, NeighMsg, RouteMsg};
use super::route::Shown;
use super::{IpOpts, matches};
use crate::session::{Ctx, Job, Output, Session};

const USAGE: &str = "Usage: ip monitor [ all | OBJECTS ] [ FILE ] [ label ] [ all-nsid ]
                  [ dev DEVICE ]
OBJECTS :=  address | link | mroute | neigh | netconf |
            nexthop | nsid | prefix | route | rule | stats
FILE := file FILENAME
";

const L_LINK: u32 = 1;
const L_ADDR: u32 = 2;
const L_ROUTE: u32 = 4;
const L_NEIGH: u32 = 32;
const L_OTHER: u32 = 64;

/// What one `ip monitor` prints.
#[derive(Clone, Debug)]
struct Opts {
    banner: bool,
    family: Af,
    ifindex: Option<u32>,
    oneline: bool,
}

/// `ip monitor ARGS...` (`do_ipmonitor`).
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let mut lmask = 0u32;
    let mut banner = false;
    let mut dev: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "all" {
            banner = true;
        } else if matches(a, "file") || matches(a, "all-nsid") {
            return ctx.unsupported("ip monitor", a);
        } else if matches(a, "label") {
            banner = true;
        } else if matches(a, "link") {
            lmask |= L_LINK;
        } else if matches(a, "address") {
            lmask |= L_ADDR;
        } else if matches(a, "route") {
            lmask |= L_ROUTE;
        } else if matches(a, "mroute") || matches(a, "prefix") {
            lmask |= L_OTHER;
        } else if matches(a, "neigh") {
            lmask |= L_NEIGH;
        } else if matches(a, "netconf")
            || matches(a, "rule")
            || matches(a, "nsid")
            || matches(a, "nexthop")
            || a == "stats"
        {
            lmask |= L_OTHER;
        } else if matches(a, "help") {
            ctx.eprint(USAGE);
            return 255;
        } else if a == "dev" {
            i += 1;
            let Some(v) = args.get(i) else { return nlmsg::incomplete(ctx) };
            dev = Some(v);
        } else {
            return ctx.fail(255, &format!("Argument \"{a}\" is unknown, try \"ip monitor help\"."));
        }
        i += 1;
    }
    let names = Names::of(ctx);
    let ifindex = match dev {
        Some(d) => match names.index(d) {
            Some(x) => Some(x),
            None => return nlmsg::invarg(ctx, "Device does not exist\n", d),
        },
        None => None,
    };
    if o.json {
        return ctx.unsupported("ip monitor", "-json");
    }
    if !ctx.background {
        let w = match ctx.s.line_no() {
            Some(n) => format!("vnet: line {n}: "),
            None => "vnet: ".to_string(),
        };
        return ctx.fail(
            1,
            &format!(
                "{w}ip monitor runs until it is interrupted: start it in the background (`ip monitor ... &`) and stop it with `kill %N`"
            ),
        );
    }
    if lmask == 0 {
        lmask = u32::MAX;
    }
    let family = Af::of(o.family);
    let v4 = family != Af::Inet6;
    let v6 = family != Af::Inet;
    let mut groups = 0;
    if lmask & L_LINK != 0 {
        groups |= RTMGRP_LINK;
    }
    if lmask & L_ADDR != 0 {
        groups |= if v4 { RTMGRP_IPV4_IFADDR } else { 0 } | if v6 { RTMGRP_IPV6_IFADDR } else { 0 };
    }
    if lmask & L_ROUTE != 0 {
        groups |= if v4 { RTMGRP_IPV4_ROUTE } else { 0 } | if v6 { RTMGRP_IPV6_ROUTE } else { 0 };
    }
    if lmask & L_NEIGH != 0 {
        groups |= RTMGRP_NEIGH;
    }
    let sock = ctx.s.world().netlink_subscribe(ctx.ns, groups);
    let opts = Opts { banner, family, ifindex, oneline: o.oneline };
    ctx.spawn(Box::new(Monitor { sock, ns: ctx.ns, names, opts }));
    0
}

/// A running `ip monitor`.
struct Monitor {
    sock: Arc<NetlinkSocket>,
    ns: NetnsId,
    names: Names,
    opts: Opts,
}

impl Job for Monitor {
    fn finish(self: Box<Self>, s: &mut Session) -> Output {
        let mut me = *self;
        let mut out = String::new();
        for m in me.sock.drain() {
            out.push_str(&me.accept(s, &m));
        }
        Output { stdout: out, ..Output::default() }
    }
}

impl Monitor {
    /// `accept_msg`: one message, printed.
    fn accept(&mut self, s: &mut Session, m: &[u8]) -> String {
        let Some((t, _)) = nlmsg::split(m) else { return String::new() };
        let sl = if self.opts.oneline { "\\" } else { "\n" };
        let banner = |l: &str| if self.opts.banner { l.to_string() } else { String::new() };
        match t {
            RTM_NEWLINK | RTM_DELLINK => self.link(s, m),
            netlink::RTM_NEWADDR | netlink::RTM_DELADDR => match AddrMsg::parse(m) {
                Some(a) if self.opts.ifindex.is_none_or(|i| i == a.ifindex) => {
                    banner("[ADDR]") + &super::addr::format_addr(&a, &self.names, true, sl, false)
                }
                _ => String::new(),
            },
            netlink::RTM_NEWROUTE | netlink::RTM_DELROUTE => match RouteMsg::parse(m) {
                Some(r) if r.flags & rta::RTM_F_CLONED == 0 && self.opts.ifindex.is_none_or(|i| r.oif == Some(i)) => {
                    let shown = Shown { oif_filtered: self.opts.ifindex.is_some(), ..Shown::default() };
                    banner("[ROUTE]") + &super::route::format_route(&r, &self.names, shown)
                }
                _ => String::new(),
            },
            netlink::RTM_NEWNEIGH | netlink::RTM_DELNEIGH => match NeighMsg::parse(m) {
                Some(n)
                    if self.opts.ifindex.is_none_or(|i| i == n.ifindex)
                        && match self.opts.family {
                            Af::Any => true,
                            Af::Inet => n.family == AF_INET,
                            Af::Inet6 => n.family == AF_INET6,
                        } =>
                {
                    banner("[NEIGH]") + &super::neigh::format_neigh(&n, &self.names, self.opts.ifindex.is_some(), false)
                }
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    /// `ll_remember_index` then `print_linkinfo` (no `mode`, no `qlen`).
    fn link(&mut self, s: &mut Session, m: &[u8]) -> String {
        let Some((t, p)) = nlmsg::split(m) else { return String::new() };
        let Some(h) = p.get(..16) else { return String::new() };
        let u32_at = |o: usize| h.get(o..o + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_ne_bytes);
        let dev_type = u16::from_ne_bytes([h[2], h[3]]);
        let (index, flags) = (u32_at(4), u32_at(8));
        let mut name = None;
        let (mut mtu, mut qdisc, mut master, mut oper, mut group, mut link) = (None, None, None, None, None, None);
        let (mut addr, mut brd) = (None, None);
        for (ty, d) in netlink::attrs(p.get(16..).unwrap_or(&[])) {
            let v = d.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_ne_bytes);
            match ty {
                ifla::IFNAME => {
                    name = Some(String::from_utf8_lossy(d.split(|c| *c == 0).next().unwrap_or(&[])).into_owned())
                }
                ifla::MTU => mtu = v,
                ifla::QDISC => {
                    qdisc = Some(String::from_utf8_lossy(d.split(|c| *c == 0).next().unwrap_or(&[])).into_owned())
                }
                ifla::MASTER => master = v,
                ifla::OPERSTATE => oper = d.first().copied(),
                ifla::GROUP => group = v,
                ifla::LINK => link = v,
                ifla::ADDRESS => addr = Some(d.to_vec()),
                ifla::BROADCAST => brd = Some(d.to_vec()),
                _ => {}
            }
        }
        self.names.remember(index, name.clone(), flags, t == RTM_DELLINK);
        if self.opts.ifindex.is_some_and(|i| i != index) {
            return String::new();
        }
        let mut out = String::new();
        if self.opts.banner {
            out.push_str("[LINK]");
        }
        if t == RTM_DELLINK {
            out.push_str("Deleted ");
        }
        out.push_str(&format!("{index}: {}", name.as_deref().unwrap_or("<nil>")));
        // The link's namespace (IFLA_LINK_NETNSID) as the live device tells it.
        let live = s.world().rtnl().dev_by_index(self.ns, index);
        let other_ns = live.as_ref().map(|d| d.link_netns()).filter(|n| *n != self.ns);
        let mut m_down = false;
        match link {
            Some(0) => out.push_str("@NONE: "),
            Some(l) if other_ns.is_some() => out.push_str(&format!("@if{l}: ")),
            Some(l) => {
                out.push_str(&format!("@{}: ", self.names.name(l)));
                m_down = self.names.flags(l) & 1 == 0;
            }
            None => out.push_str(": "),
        }
        out.push_str(&format!("<{}> ", nlmsg::link_flags(flags, m_down).join(",")));
        if let Some(v) = mtu {
            out.push_str(&format!("mtu {v} "));
        }
        if let Some(q) = qdisc {
            out.push_str(&format!("qdisc {q} "));
        }
        if let Some(mi) = master {
            out.push_str(&format!("master {} ", self.names.name(mi)));
        }
        if let Some(st) = oper {
            out.push_str(&format!("state {} ", nlmsg::operstate_name(st)));
        }
        if let Some(g) = group {
            let g = if g == 0 { "default".to_string() } else { g.to_string() };
            out.push_str(&format!("group {g} "));
        }
        let kind = match dev_type {
            1 => "ether".to_string(),
            772 => "loopback".to_string(),
            65534 => "none".to_string(),
            n => format!("[{n}]"),
        };
        let sl = if self.opts.oneline { "\\" } else { "\n" };
        out.push_str(&format!("{sl}    link/{kind} "));
        if let Some(a) = addr {
            out.push_str(&nlmsg::lladdr_str(&a));
        }
        if let Some(b) = brd {
            let word = if flags & 0x10 != 0 { "peer" } else { "brd" };
            out.push_str(&format!(" {word} {}", nlmsg::lladdr_str(&b)));
        }
        if let Some(peer_ns) = other_ns {
            let id = s.peer_netnsid(self.ns, peer_ns);
            out.push_str(&format!(" link-netnsid {id}"));
        }
        out.push('\n');
        out
    }
}
