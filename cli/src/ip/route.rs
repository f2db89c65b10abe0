//! `ip route` (iproute2 `ip/iproute.c`): `add|change|replace|prepend|append|test|del`
//! (`iproute_modify`), `show|list` and `flush` (`iproute_list_flush_or_save`, `filter_nlmsg`),
//! and `get` (`iproute_get`, the kernel's `inet_rtm_getroute`/`inet6_rtm_getroute` reply).
//! Routes come from the stack's `RTM_GETROUTE` dump (main and local tables of both families) and
//! are printed from the decoded message by [`format_route`] (`print_route`), which `ip monitor`
//! uses too.
//!
//! Deviations: only the main table takes routes (`table local` and the `local`, `broadcast`,
//! `nat`, `anycast`, `multicast`, `throw` types are not understood for changes), no multipath
//! (`nexthop`), `append`/`prepend` behave as `add`, `ip route get` reports no `expires` for a
//! learned path MTU and no `cache` routes exist for `ip route show cache`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netdev_core::Errno;
use netdev_core::netlink::RTM_DELROUTE;
use stack_adapter::rtnetlink::{AF_INET, AF_INET6, rta};
use stack_adapter::{Proto, RouteSpec, RouteType, Scope};

use super::nlmsg::{self, Af, Json, Names, Obj, Prefix, RouteMsg};
use super::{IpOpts, matches};
use crate::session::Ctx;

const USAGE: &str = "Usage: ip route { list | flush } SELECTOR
       ip route save SELECTOR
       ip route restore
       ip route showdump
       ip route get [ ROUTE_GET_FLAGS ] ADDRESS
                            [ from ADDRESS iif STRING ]
                            [ oif STRING ] [ tos TOS ]
                            [ mark NUMBER ] [ vrf NAME ]
                            [ uid NUMBER ] [ ipproto PROTOCOL ]
                            [ sport NUMBER ] [ dport NUMBER ]
                            [ as ADDRESS ]
       ip route { add | del | change | append | replace } ROUTE
SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]
            [ table TABLE_ID ] [ vrf NAME ] [ proto RTPROTO ]
            [ type TYPE ] [ scope SCOPE ]
ROUTE := NODE_SPEC [ INFO_SPEC ]
NODE_SPEC := [ TYPE ] PREFIX [ tos TOS ]
             [ table TABLE_ID ] [ proto RTPROTO ]
             [ scope SCOPE ] [ metric METRIC ]
             [ ttl-propagate { enabled | disabled } ]
INFO_SPEC := { NH | nhid ID } OPTIONS FLAGS [ nexthop NH ]...
NH := [ encap ENCAPTYPE ENCAPHDR ] [ via [ FAMILY ] ADDRESS ]
	    [ dev STRING ] [ weight NUMBER ] NHFLAGS
FAMILY := [ inet | inet6 | mpls | bridge | link ]
OPTIONS := FLAGS [ mtu NUMBER ] [ advmss NUMBER ] [ as [ to ] ADDRESS ]
           [ rtt TIME ] [ rttvar TIME ] [ reordering NUMBER ]
           [ window NUMBER ] [ cwnd NUMBER ] [ initcwnd NUMBER ]
           [ ssthresh NUMBER ] [ realms REALM ] [ src ADDRESS ]
           [ rto_min TIME ] [ hoplimit NUMBER ] [ initrwnd NUMBER ]
           [ features FEATURES ] [ quickack BOOL ] [ congctl NAME ]
           [ pref PREF ] [ expires TIME ] [ fastopen_no_cookie BOOL ]
TYPE := { unicast | local | broadcast | multicast | throw |
          unreachable | prohibit | blackhole | nat }
TABLE_ID := [ local | main | default | all | NUMBER ]
SCOPE := [ host | link | global | NUMBER ]
NHFLAGS := [ onlink | pervasive ]
RTPROTO := [ kernel | boot | static | NUMBER ]
PREF := [ low | medium | high ]
TIME := NUMBER[s|ms]
BOOL := [1|0]
FEATURES := ecn
ENCAPTYPE := [ mpls | ip | ip6 | seg6 | seg6local | rpl | ioam6 | xfrm ]
ENCAPHDR := [ MPLSLABEL | SEG6HDR | SEG6LOCAL | IOAM6HDR | XFRMINFO ]
SEG6HDR := [ mode SEGMODE ] segs ADDR1,ADDRi,ADDRn [hmac HMACKEYID] [cleanup]
SEGMODE := [ encap | encap.red | inline | l2encap | l2encap.red ]
SEG6LOCAL := action ACTION [ OPTIONS ] [ count ]
ACTION := { End | End.X | End.T | End.DX2 | End.DX6 | End.DX4 |
            End.DT6 | End.DT4 | End.DT46 | End.B6 | End.B6.Encaps |
            End.BM | End.S | End.AS | End.AM | End.BPF }
OPTIONS := OPTION [ OPTIONS ]
OPTION := { flavors FLAVORS | srh SEG6HDR | nh4 ADDR | nh6 ADDR | iif DEV | oif DEV |
            table TABLEID | vrftable TABLEID | endpoint PROGNAME }
FLAVORS := { FLAVOR[,FLAVOR] }
FLAVOR := { psp | usp | usd | next-csid }
IOAM6HDR := trace prealloc type IOAM6_TRACE_TYPE ns IOAM6_NAMESPACE size IOAM6_TRACE_SIZE
XFRMINFO := if_id IF_ID [ link_dev LINK ]
ROUTE_GET_FLAGS := [ fibmatch ]
";

/// `ip route ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let Some(cmd) = args.first().map(String::as_str) else { return list_or_flush(ctx, o, &[], false) };
    let rest = &args[1..];
    if matches(cmd, "add") {
        modify(ctx, o, rest, Mode::Add)
    } else if matches(cmd, "change") || cmd == "chg" {
        modify(ctx, o, rest, Mode::Change)
    } else if matches(cmd, "replace") {
        modify(ctx, o, rest, Mode::Replace)
    } else if matches(cmd, "prepend") || matches(cmd, "append") {
        modify(ctx, o, rest, Mode::Add)
    } else if matches(cmd, "test") {
        modify(ctx, o, rest, Mode::Test)
    } else if matches(cmd, "delete") {
        modify(ctx, o, rest, Mode::Del)
    } else if matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst") {
        list_or_flush(ctx, o, rest, false)
    } else if matches(cmd, "get") {
        get(ctx, o, rest)
    } else if matches(cmd, "flush") {
        list_or_flush(ctx, o, rest, true)
    } else if matches(cmd, "save") || matches(cmd, "restore") || matches(cmd, "showdump") {
        ctx.unsupported("ip route", cmd)
    } else if matches(cmd, "help") {
        ctx.eprint(USAGE);
        255
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip route help\"."))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Change,
    Replace,
    Test,
    Del,
}

/// `rtnl_rtntype_a2n`.
fn rtn_a2n(s: &str) -> Option<u8> {
    match s {
        "local" => Some(2),
        "nat" => Some(10),
        "broadcast" | "brd" => Some(3),
        "anycast" => Some(4),
        "multicast" => Some(5),
        "prohibit" => Some(8),
        "unreachable" => Some(7),
        "blackhole" => Some(6),
        "xresolve" => Some(11),
        "unicast" => Some(1),
        "throw" => Some(9),
        _ => None,
    }
}

/// `rtnl_rttable_a2n`: `all` is 0 (every table).
fn table_a2n(s: &str) -> Option<u32> {
    match s {
        "all" | "unspec" => Some(0),
        "default" => Some(253),
        "main" => Some(254),
        "local" => Some(255),
        n => nlmsg::parse_u32(n),
    }
}

/// A destination as `iproute_modify` keeps it: `default` takes its family from what follows.
#[derive(Clone, Copy)]
struct Dst {
    p: Prefix,
    any: bool,
}

/// `iproute_modify`.
fn modify(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], mode: Mode) -> i32 {
    let mut family = Af::of(o.family);
    let mut dst: Option<Dst> = None;
    let mut rtype: Option<u8> = None;
    let mut gw: Option<IpAddr> = None;
    let mut dev: Option<&str> = None;
    let mut src: Option<IpAddr> = None;
    let mut metric: Option<u32> = None;
    let mut proto: Option<u8> = None;
    let mut scope: Option<u8> = None;
    let mut table: Option<u32> = None;
    let mut mtu: Option<u32> = None;
    let mut onlink = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            "src" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::get_addr(ctx, v, family) {
                    Ok(x) => {
                        family = Af::of_ip(x);
                        src = Some(x);
                    }
                    Err(rc) => return rc,
                }
            }
            "via" => {
                if gw.is_some() {
                    return nlmsg::invarg(ctx, "use nexthop syntax to specify multiple via\n", a);
                }
                let Some(mut v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                let mut fam = family;
                match v.as_str() {
                    "inet" => fam = Af::Inet,
                    "inet6" => fam = Af::Inet6,
                    "mpls" | "bridge" | "link" => return ctx.unsupported("ip route", v),
                    _ => {}
                }
                if matches!(v.as_str(), "inet" | "inet6") {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                match nlmsg::get_addr(ctx, v, fam) {
                    Ok(x) => {
                        if family == Af::Any {
                            family = Af::of_ip(x);
                        } else if !family.admits(x) {
                            // RTA_VIA: a gateway of another family.
                            return ctx.unsupported("ip route", v);
                        }
                        gw = Some(x);
                    }
                    Err(rc) => return rc,
                }
            }
            _ if matches(a, "metric") || matches(a, "priority") || a == "preference" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::parse_u32(v) {
                    Some(m) => metric = Some(m),
                    None => return nlmsg::invarg(ctx, "\"metric\" value is invalid\n", v),
                }
            }
            "scope" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::scope_a2n(v) {
                    Some(s) => scope = Some(s),
                    None => return nlmsg::invarg(ctx, "invalid \"scope\" value\n", v),
                }
            }
            "mtu" => {
                let Some(mut v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                if v == "lock" {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                match nlmsg::parse_u32(v) {
                    Some(m) => mtu = Some(m),
                    None => return nlmsg::invarg(ctx, "\"mtu\" value is invalid\n", v),
                }
            }
            _ if matches(a, "onlink") => onlink = true,
            _ if matches(a, "protocol") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::proto_a2n(v) {
                    Some(p) => proto = Some(p),
                    None => return nlmsg::invarg(ctx, "\"protocol\" value is invalid\n", v),
                }
            }
            _ if matches(a, "table") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match table_a2n(v) {
                    Some(t) => table = Some(t),
                    None => return nlmsg::invarg(ctx, "\"table\" value is invalid\n", v),
                }
            }
            "dev" | "oif" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                dev = Some(v);
            }
            "from" | "tos" | "expires" | "as" | "nexthop" | "nhid" | "encap" | "realms" | "advmss" | "rtt"
            | "rttvar" | "reordering" | "window" | "cwnd" | "initcwnd" | "ssthresh" | "rto_min" | "hoplimit"
            | "initrwnd" | "features" | "quickack" | "congctl" | "pref" | "fastopen_no_cookie" | "vrf"
            | "ttl-propagate" => return ctx.unsupported("ip route", a),
            _ => {
                let mut v = a;
                if v == "to" {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                if !v.starts_with(|c: char| c.is_ascii_digit())
                    && let Some(t) = rtn_a2n(v)
                {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    rtype = Some(t);
                    v = n;
                }
                if matches(v, "help") {
                    ctx.eprint(USAGE);
                    return 255;
                }
                if dst.is_some() {
                    return ctx.fail(255, &format!("Error: either \"to\" is duplicate, or \"{v}\" is a garbage."));
                }
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                let any = matches!(v, "default" | "any" | "all");
                if !any {
                    family = Af::of_ip(p.addr);
                }
                dst = Some(Dst { p, any });
            }
        }
        i += 1;
    }
    let Some(dst) = dst else {
        ctx.eprint(USAGE);
        return 255;
    };
    let ifindex = match dev {
        Some(d) => match Names::of(ctx).index(d) {
            Some(x) => Some(x),
            None => return ctx.fail(1, &format!("Cannot find device \"{d}\"")),
        },
        None => None,
    };
    let dst_addr = if dst.any && family == Af::Inet6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { dst.p.addr };
    let rtype = match rtype.unwrap_or(1) {
        1 => RouteType::Unicast,
        6 => RouteType::Blackhole,
        7 => RouteType::Unreachable,
        8 => RouteType::Prohibit,
        t => return ctx.unsupported("ip route", &nlmsg::rtn_name(t)),
    };
    if table.is_some_and(|t| t != rta::RT_TABLE_MAIN && !(mode == Mode::Del && t == 0)) {
        return ctx.unsupported("ip route", &format!("table {}", nlmsg::table_name(table.unwrap_or(0))));
    }
    let proto = match proto {
        None | Some(3) => Proto::Boot,
        Some(2) => Proto::Kernel,
        Some(4) => Proto::Static,
        Some(9) => Proto::Ra,
        Some(p) => return ctx.unsupported("ip route", &format!("proto {}", nlmsg::proto_name(p))),
    };
    let scope = match scope {
        None => None,
        Some(0) => Some(Scope::Universe),
        Some(200) => Some(Scope::Site),
        Some(253) => Some(Scope::Link),
        Some(254) => Some(Scope::Host),
        Some(255) => Some(Scope::Nowhere),
        Some(n) => return ctx.unsupported("ip route", &format!("scope {n}")),
    };
    let spec = RouteSpec {
        dst: dst_addr,
        plen: dst.p.len,
        gateway: gw,
        ifindex,
        prefsrc: src,
        metric,
        rtype,
        proto,
        scope,
        onlink,
        mtu,
    };
    let Some(stack) = ctx.stack() else { return ctx.fail(2, "RTNETLINK answers: No such device") };
    let r = match mode {
        Mode::Del => stack.route_del(&mut ctx.s.world().rtnl(), &spec),
        Mode::Add => stack.route_add(&mut ctx.s.world().rtnl(), &spec),
        Mode::Test => Ok(()),
        Mode::Change | Mode::Replace => {
            // NLM_F_REPLACE: the route with the same key (prefix and metric) is replaced;
            // without NLM_F_CREATE (change) it must exist.
            let key = RouteSpec {
                gateway: None,
                ifindex: None,
                prefsrc: None,
                metric: Some(metric.unwrap_or(if dst_addr.is_ipv4() { 0 } else { 1024 })),
                scope: None,
                ..spec.clone()
            };
            let existed = stack.route_del(&mut ctx.s.world().rtnl(), &key).is_ok();
            if !existed && mode == Mode::Change {
                Err(netdev_core::Error::new(Errno::Enoent))
            } else {
                stack.route_add(&mut ctx.s.world().rtnl(), &spec)
            }
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => nlmsg::kernel_error(ctx, &e),
    }
}

/// The selectors of `ip route show|flush` (`struct rtfilter`).
#[derive(Clone, Debug, Default)]
struct Filter {
    /// 0: every table.
    tb: u32,
    family: Option<u8>,
    protocol: Option<u8>,
    scope: Option<u8>,
    rtype: Option<u8>,
    rdst: Option<Prefix>,
    mdst: Option<Prefix>,
    oif: Option<u32>,
    via: Option<Prefix>,
    prefsrc: Option<Prefix>,
    metric: Option<u32>,
    cloned: bool,
}

impl Filter {
    /// `filter_nlmsg`.
    fn admits(&self, r: &RouteMsg) -> bool {
        if self.family.is_some_and(|f| f != r.family) || self.cloned {
            return false;
        }
        if self.tb > 0 && self.tb != r.table {
            return false;
        }
        if self.protocol.is_some_and(|p| p != r.protocol)
            || self.scope.is_some_and(|s| s != r.scope)
            || self.rtype.is_some_and(|t| t != r.rtype)
        {
            return false;
        }
        let dst = r.dst.unwrap_or(if r.family == AF_INET6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
        if let Some(p) = &self.rdst
            && (p.len > r.dst_len || !nlmsg::prefix_match(dst, p))
        {
            return false;
        }
        if let Some(p) = &self.mdst {
            let within = Prefix { len: r.dst_len, ..*p };
            if p.len < r.dst_len || !nlmsg::prefix_match(dst, &within) {
                return false;
            }
        }
        if let Some(p) = &self.via
            && !r.gateway.is_some_and(|g| nlmsg::prefix_match(g, p))
        {
            return false;
        }
        if let Some(p) = &self.prefsrc
            && !r.prefsrc.is_some_and(|g| nlmsg::prefix_match(g, p))
        {
            return false;
        }
        if self.oif.is_some_and(|o| r.oif != Some(o)) {
            return false;
        }
        if self.metric.is_some_and(|m| r.priority.unwrap_or(0) != m) {
            return false;
        }
        true
    }
}

/// What `print_route` leaves out because a selector fixed it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shown {
    /// A table was selected: no `table X`.
    pub(crate) table_filtered: bool,
    /// `dev` selected: no `dev X`.
    pub(crate) oif_filtered: bool,
    /// `proto` selected.
    pub(crate) proto_filtered: bool,
    /// `scope` selected.
    pub(crate) scope_filtered: bool,
    /// `type` selected.
    pub(crate) type_filtered: bool,
    /// `via` selected with a full address.
    pub(crate) via_filtered: bool,
    /// `src` selected with a full address.
    pub(crate) src_filtered: bool,
    /// `-d`.
    pub(crate) details: bool,
}

/// `iproute_list_flush_or_save` for `show` and `flush`.
fn list_or_flush(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], flush: bool) -> i32 {
    let mut family = Af::of(o.family);
    if flush && args.is_empty() {
        return ctx.fail(1, "\"ip route flush\" requires arguments.");
    }
    let mut f = Filter { tb: rta::RT_TABLE_MAIN, ..Filter::default() };
    let mut shown = Shown { details: o.details > 0, ..Shown::default() };
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            _ if matches(a, "table") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match table_a2n(v) {
                    Some(t) => f.tb = t,
                    None if v == "cache" => f.cloned = true,
                    None => return nlmsg::invarg(ctx, "table id value is invalid\n", v),
                }
            }
            "vrf" | "realm" | "realms" | "iif" | "mark" | "from" | "tos" | "dsfield" => {
                return ctx.unsupported("ip route", a);
            }
            _ if matches(a, "cached") || matches(a, "cloned") => f.cloned = true,
            _ if matches(a, "protocol") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::proto_a2n(v) {
                    Some(p) => f.protocol = Some(p),
                    None if v == "all" => f.protocol = None,
                    None => return nlmsg::invarg(ctx, "invalid \"protocol\"\n", v),
                }
                shown.proto_filtered = f.protocol.is_some();
            }
            "scope" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::scope_a2n(v) {
                    Some(s) => f.scope = Some(s),
                    None if v == "all" => f.scope = None,
                    None => return nlmsg::invarg(ctx, "invalid \"scope\"\n", v),
                }
                shown.scope_filtered = f.scope.is_some();
            }
            "type" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match rtn_a2n(v) {
                    Some(t) => f.rtype = Some(t),
                    None => return nlmsg::invarg(ctx, "node type value is invalid\n", v),
                }
                shown.type_filtered = true;
            }
            "dev" | "oif" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match Names::of(ctx).index(v) {
                    Some(x) => f.oif = Some(x),
                    None => return ctx.fail(1, &format!("Cannot find device \"{v}\"")),
                }
                shown.oif_filtered = true;
            }
            "via" | "src" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                if family == Af::Any {
                    family = Af::of_ip(p.addr);
                }
                let full = p.len == if p.addr.is_ipv4() { 32 } else { 128 };
                if a == "via" {
                    f.via = Some(p);
                    shown.via_filtered = full;
                } else {
                    f.prefsrc = Some(p);
                    shown.src_filtered = full;
                }
            }
            _ if matches(a, "metric") || matches(a, "priority") || a == "preference" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::parse_u32(v) {
                    Some(m) => f.metric = Some(m),
                    None => return nlmsg::invarg(ctx, "\"metric\" value is invalid\n", v),
                }
            }
            _ => {
                let mut v = a;
                if matches(v, "to") {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                let kind = if matches(v, "root") {
                    1
                } else if matches(v, "match") {
                    2
                } else {
                    if matches(v, "exact") {
                        let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                        v = n;
                        3
                    } else {
                        if matches(v, "help") {
                            ctx.eprint(USAGE);
                            return 255;
                        }
                        3
                    }
                };
                if kind != 3 {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                if family == Af::Any && !matches!(v, "default" | "any" | "all") {
                    family = Af::of_ip(p.addr);
                }
                match kind {
                    1 => f.rdst = Some(p),
                    2 => f.mdst = Some(p),
                    _ => {
                        f.rdst = Some(p);
                        f.mdst = Some(p);
                    }
                }
            }
        }
        i += 1;
    }
    // do_ipv6: without -4/-6, a table selector means IPv4; `table all` dumps both families.
    f.family = match family {
        Af::Inet => Some(AF_INET),
        Af::Inet6 => Some(AF_INET6),
        Af::Any if f.tb != 0 => Some(AF_INET),
        Af::Any => None,
    };
    shown.table_filtered = f.tb != 0;
    let names = Names::of(ctx);
    let routes: Vec<RouteMsg> = dump(ctx).into_iter().filter(|r| f.admits(r)).collect();
    if flush {
        return flush_routes(ctx, o, &routes, &names, shown);
    }
    let out = if o.json {
        Json::document(routes.iter().map(|r| route_json(r, &names, shown)).collect(), o.pretty)
    } else {
        routes.iter().map(|r| format_route(r, &names, shown)).collect()
    };
    ctx.print(&out);
    0
}

/// The decoded route dump of the namespace.
fn dump(ctx: &Ctx<'_>) -> Vec<RouteMsg> {
    ctx.stack().map(|s| s.dump_routes()).unwrap_or_default().iter().filter_map(|m| RouteMsg::parse(m)).collect()
}

/// `ip route flush`: delete the selected routes (of the main table; the local one is derived from
/// the addresses), one round.
fn flush_routes(ctx: &mut Ctx<'_>, o: &IpOpts, routes: &[RouteMsg], names: &Names, shown: Shown) -> i32 {
    let Some(stack) = ctx.stack() else { return 0 };
    let mine: Vec<&RouteMsg> = routes.iter().filter(|r| r.table == rta::RT_TABLE_MAIN).collect();
    if mine.is_empty() {
        if o.stats > 0 {
            ctx.print("Nothing to flush.\n");
        }
        return 0;
    }
    for r in &mine {
        if o.stats >= 2 {
            let line = format_route(r, names, shown);
            ctx.print(&line);
        }
        let Some(dst) = r.dst.or(Some(if r.family == AF_INET6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        })) else {
            continue;
        };
        let spec = RouteSpec {
            gateway: r.gateway,
            ifindex: r.oif,
            metric: Some(r.priority.unwrap_or(0)),
            ..RouteSpec::new(dst, r.dst_len)
        };
        let _ = stack.route_del(&mut ctx.s.world().rtnl(), &spec);
    }
    if o.stats > 0 {
        ctx.print(&format!(
            "\n*** Round 1, deleting {} entries ***\n*** Flush is complete after 1 round ***\n",
            mine.len()
        ));
    }
    0
}

/// `format_host`/`rt_addr_n2a` of a destination: `default`, `ADDR` for a host route, `ADDR/LEN`.
fn dst_text(r: &RouteMsg) -> String {
    let host = if r.family == AF_INET6 { 128 } else { 32 };
    match r.dst {
        Some(d) if r.dst_len == host => d.to_string(),
        Some(d) => format!("{d}/{}", r.dst_len),
        None if r.dst_len > 0 => format!("0/{}", r.dst_len),
        None => "default".to_string(),
    }
}

/// `print_rt_flags`.
fn flag_words(flags: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    if flags & rta::RTNH_F_DEAD != 0 {
        v.push("dead");
    }
    if flags & rta::RTNH_F_ONLINK != 0 {
        v.push("onlink");
    }
    if flags & rta::RTNH_F_LINKDOWN != 0 {
        v.push("linkdown");
    }
    v
}

/// `print_route`: one route, as `ip route show` and `ip monitor` print it.
pub(crate) fn format_route(r: &RouteMsg, names: &Names, shown: Shown) -> String {
    let mut s = String::new();
    if r.msg_type == RTM_DELROUTE {
        s.push_str("Deleted ");
    }
    if (r.rtype != 1 || shown.details) && !shown.type_filtered {
        s.push_str(&format!("{} ", nlmsg::rtn_name(r.rtype)));
    }
    s.push_str(&dst_text(r));
    s.push(' ');
    if let Some(g) = r.gateway.filter(|_| !shown.via_filtered) {
        s.push_str(&format!("via {g} "));
    }
    if let Some(o) = r.oif.filter(|_| !shown.oif_filtered) {
        s.push_str(&format!("dev {} ", names.name(o)));
    }
    if r.table != 0 && (r.table != rta::RT_TABLE_MAIN || shown.details) && !shown.table_filtered {
        s.push_str(&format!("table {} ", nlmsg::table_name(r.table)));
    }
    if r.flags & rta::RTM_F_CLONED == 0 {
        if (r.protocol != 3 || shown.details) && !shown.proto_filtered {
            s.push_str(&format!("proto {} ", nlmsg::proto_name(r.protocol)));
        }
        if (r.scope != 0 || shown.details) && !shown.scope_filtered {
            s.push_str(&format!("scope {} ", nlmsg::scope_name(r.scope)));
        }
    }
    if let Some(p) = r.prefsrc.filter(|_| !shown.src_filtered) {
        s.push_str(&format!("src {p} "));
    }
    if let Some(m) = r.priority {
        s.push_str(&format!("metric {m} "));
    }
    for w in flag_words(r.flags) {
        s.push_str(w);
        s.push(' ');
    }
    if r.expires != 0 {
        s.push_str(&format!("expires {}sec ", r.expires / 100));
    }
    if let Some(m) = r.mtu {
        s.push_str(&format!("mtu {m} "));
    }
    if let Some(p) = r.pref {
        s.push_str(&format!("pref {}", pref_name(p)));
    }
    s.push('\n');
    s
}

/// `print_rt_pref`.
fn pref_name(p: u8) -> String {
    match p {
        0 => "medium".into(),
        1 => "high".into(),
        3 => "low".into(),
        n => n.to_string(),
    }
}

/// `print_route` under `-j`.
pub(crate) fn route_json(r: &RouteMsg, names: &Names, shown: Shown) -> Json {
    let mut o = Obj::default();
    if r.msg_type == RTM_DELROUTE {
        o.put("deleted", Json::Bool(true));
    }
    if (r.rtype != 1 || shown.details) && !shown.type_filtered {
        o.put("type", Json::s(nlmsg::rtn_name(r.rtype)));
    }
    o.put("dst", Json::s(dst_text(r)));
    if let Some(g) = r.gateway.filter(|_| !shown.via_filtered) {
        o.put("gateway", Json::s(g.to_string()));
    }
    if let Some(x) = r.oif.filter(|_| !shown.oif_filtered) {
        o.put("dev", Json::s(names.name(x)));
    }
    if r.table != 0 && (r.table != rta::RT_TABLE_MAIN || shown.details) && !shown.table_filtered {
        o.put("table", Json::s(nlmsg::table_name(r.table)));
    }
    if r.flags & rta::RTM_F_CLONED == 0 {
        if (r.protocol != 3 || shown.details) && !shown.proto_filtered {
            o.put("protocol", Json::s(nlmsg::proto_name(r.protocol)));
        }
        if (r.scope != 0 || shown.details) && !shown.scope_filtered {
            o.put("scope", Json::s(nlmsg::scope_name(r.scope)));
        }
    }
    if let Some(p) = r.prefsrc.filter(|_| !shown.src_filtered) {
        o.put("prefsrc", Json::s(p.to_string()));
    }
    if let Some(m) = r.priority {
        o.put("metric", Json::Num(u64::from(m)));
    }
    o.put("flags", Json::Arr(flag_words(r.flags).into_iter().map(Json::s).collect()));
    if let Some(m) = r.mtu {
        let mut mx = Obj::default();
        mx.put("mtu", Json::Num(u64::from(m)));
        o.put("metrics", Json::Arr(vec![mx.done()]));
    }
    if let Some(p) = r.pref {
        o.put("pref", Json::s(pref_name(p)));
    }
    o.done()
}

/// `iproute_get`: the route a packet to ADDRESS would take, printed as the kernel's reply
/// (`rt_fill_info` with `RTM_F_CLONED` for IPv4, `rt6_fill_node` for IPv6).
fn get(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let mut family = Af::of(o.family);
    let mut dst: Option<IpAddr> = None;
    let mut from: Option<IpAddr> = None;
    let mut oif: Option<&str> = None;
    let mut uid: u32 = 0;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            _ if matches(a, "from") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => {
                        family = Af::of_ip(p.addr);
                        from = Some(p.addr);
                    }
                    Err(rc) => return rc,
                }
            }
            _ if matches(a, "oif") || a == "dev" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                oif = Some(v);
            }
            _ if matches(a, "uid") => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::parse_u32(v) {
                    Some(u) => uid = u,
                    None => return nlmsg::invarg(ctx, "invalid UID\n", v),
                }
            }
            _ if matches(a, "connected") || matches(a, "fibmatch") => {}
            _ if matches(a, "tos")
                || matches(a, "dsfield")
                || matches(a, "iif")
                || matches(a, "mark")
                || matches(a, "notify")
                || matches(a, "vrf")
                || matches!(a, "as" | "sport" | "dport" | "ipproto") =>
            {
                return ctx.unsupported("ip route get", a);
            }
            _ => {
                let mut v = a;
                if v == "to" {
                    let Some(n) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v = n;
                }
                if matches(v, "help") {
                    ctx.eprint(USAGE);
                    return 255;
                }
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                family = Af::of_ip(p.addr);
                let full = if p.addr.is_ipv4() { 32 } else { 128 };
                if p.len != full {
                    ctx.eprint(&format!(
                        "Warning: /{} as prefix is invalid, only /{full} (or none) is supported.\n",
                        p.len
                    ));
                }
                dst = Some(p.addr);
            }
        }
        i += 1;
    }
    let Some(dst) = dst else { return ctx.fail(1, "need at least a destination address") };
    let names = Names::of(ctx);
    let oif = match oif {
        Some(d) => match names.index(d) {
            Some(x) => Some(x),
            None => return ctx.fail(1, &format!("Cannot find device \"{d}\"")),
        },
        None => None,
    };
    let Some(stack) = ctx.stack() else { return ctx.fail(2, "RTNETLINK answers: Network is unreachable") };
    let rt = match stack.route_get(dst, oif) {
        Ok(r) => r,
        Err(e) => return ctx.fail(2, &format!("RTNETLINK answers: {}", e.strerror())),
    };
    let rtype = match rt.rtype {
        RouteType::Unicast => 1,
        RouteType::Local => 2,
        RouteType::Broadcast => 3,
        RouteType::Blackhole => 6,
        RouteType::Unreachable => 7,
        RouteType::Prohibit => 8,
    };
    let mut s = String::new();
    if rtype != 1 {
        s.push_str(&format!("{} ", nlmsg::rtn_name(rtype)));
    }
    s.push_str(&format!("{dst} "));
    if dst.is_ipv4() {
        if let Some(f) = from {
            s.push_str(&format!("from {f} "));
        }
        if let Some(g) = rt.gateway {
            s.push_str(&format!("via {g} "));
        }
        s.push_str(&format!("dev {} ", names.name(rt.ifindex)));
        if let Some(src) = rt.src.filter(|x| Some(*x) != from) {
            s.push_str(&format!("src {src} "));
        }
        s.push_str(&format!("uid {uid} \n    cache "));
        match rt.rtype {
            RouteType::Local => s.push_str("<local> "),
            RouteType::Broadcast => s.push_str("<local,brd> "),
            _ => {}
        }
        if let Some(m) = rt.mtu {
            s.push_str(&format!("mtu {m} "));
        }
        s.push('\n');
    } else {
        // The route the lookup used, for its protocol and metric.
        let routes = dump(ctx);
        let used = routes
            .iter()
            .filter(|r| r.family == AF_INET6 && r.oif == Some(rt.ifindex) && r.rtype == rtype)
            .filter(|r| {
                let d = r.dst.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
                nlmsg::prefix_match(dst, &Prefix { addr: d, len: r.dst_len, specified: true })
                    && (rtype != 2 || r.dst == Some(dst))
            })
            .max_by_key(|r| r.dst_len);
        s.push_str(&format!("from {} ", from.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))));
        if let Some(g) = rt.gateway {
            s.push_str(&format!("via {g} "));
        }
        s.push_str(&format!("dev {} ", names.name(rt.ifindex)));
        if let Some(r) = used {
            if r.table != rta::RT_TABLE_MAIN {
                s.push_str(&format!("table {} ", nlmsg::table_name(r.table)));
            }
            s.push_str(&format!("proto {} ", nlmsg::proto_name(r.protocol)));
        }
        if let Some(src) = rt.src {
            s.push_str(&format!("src {src} "));
        }
        s.push_str(&format!("metric {} ", used.and_then(|r| r.priority).unwrap_or(0)));
        if let Some(m) = rt.mtu {
            s.push_str(&format!("mtu {m} "));
        }
        s.push_str("pref medium\n");
    }
    ctx.print(&s);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dst: &str, len: u8) -> RouteMsg {
        RouteMsg {
            msg_type: netdev_core::netlink::RTM_NEWROUTE,
            family: AF_INET,
            dst_len: len,
            table: 254,
            protocol: 2,
            scope: 253,
            rtype: 1,
            dst: Some(dst.parse().unwrap()),
            oif: Some(7),
            prefsrc: Some("10.0.0.1".parse().unwrap()),
            ..RouteMsg::default()
        }
    }

    #[test]
    fn print_route_kernel_prefix_route() {
        let names = Names::default();
        let r = route("10.0.0.0", 24);
        assert_eq!(
            format_route(&r, &names, Shown::default()),
            "10.0.0.0/24 dev if7 proto kernel scope link src 10.0.0.1 \n"
        );
        let shown = Shown { oif_filtered: true, ..Shown::default() };
        assert_eq!(format_route(&r, &names, shown), "10.0.0.0/24 proto kernel scope link src 10.0.0.1 \n");
    }

    #[test]
    fn print_route_local_table_and_deleted() {
        let names = Names::default();
        let mut r = route("10.0.0.1", 32);
        r.rtype = 2;
        r.table = 255;
        r.scope = 254;
        r.msg_type = RTM_DELROUTE;
        assert_eq!(
            format_route(&r, &names, Shown::default()),
            "Deleted local 10.0.0.1 dev if7 table local proto kernel scope host src 10.0.0.1 \n"
        );
    }

    #[test]
    fn exact_match_selects_one_prefix_length() {
        let p = nlmsg::parse_prefix("10.0.0.0/24", Af::Any).unwrap();
        let f = Filter { rdst: Some(p), mdst: Some(p), ..Filter::default() };
        assert!(f.admits(&route("10.0.0.0", 24)));
        assert!(!f.admits(&route("10.0.0.0", 16)));
        assert!(!f.admits(&route("10.0.0.128", 25)));
        let root = Filter { rdst: Some(nlmsg::parse_prefix("10.0.0.0/16", Af::Any).unwrap()), ..Filter::default() };
        assert!(root.admits(&route("10.0.0.0", 24)));
        assert!(!root.admits(&route("10.0.0.0", 8)));
    }

    #[test]
    fn table_names() {
        assert_eq!(table_a2n("all"), Some(0));
        assert_eq!(table_a2n("main"), Some(254));
        assert_eq!(table_a2n("100"), Some(100));
        assert_eq!(table_a2n("bogus"), None);
    }
}
