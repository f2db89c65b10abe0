//! `ip address` (iproute2 `ip/ipaddress.c`): `add|change|replace|del` (`ipaddr_modify`),
//! `show|list` and `flush` (`ipaddr_list_flush_or_save`), with `-br`, `-o`, `-j`, `-4/-6/-0`.
//! Addresses come from the stack's `RTM_GETADDR` dump and are printed from the decoded message
//! by [`format_addr`] (`print_addrinfo`), which `ip monitor` uses too.
//!
//! Deviations: no address lifetimes (a finite `valid_lft`/`preferred_lft` is refused as not
//! understood), `change`/`replace` of an existing address leaves it as it is, `-s` prints no
//! link statistics, `save`/`restore`/`showdump` are not understood.

use std::net::IpAddr;
use std::sync::Arc;

use netdev_core::netlink::RTM_DELADDR;
use netdev_core::{Errno, NetDevice};
use stack_adapter::rtnetlink::{AF_INET, AF_INET6, ifa};
use stack_adapter::{AddrOpts, Scope};

use super::nlmsg::{self, AddrMsg, Af, Json, Names, Obj, Prefix};
use super::{Family, IpOpts, matches};
use crate::session::Ctx;

const USAGE: &str = "Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]
                                                      [ CONFFLAG-LIST ]
       ip address del IFADDR dev IFNAME [mngtmpaddr]
       ip address {save|flush} [ dev IFNAME ] [ scope SCOPE-ID ]
                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]
       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]
                         [ nomaster ]
                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ]
                         [ label LABEL ] [up] [ vrf NAME ]
                         [ proto ADDRPROTO ] ]
       ip address {showdump|restore}
IFADDR := PREFIX | ADDR peer PREFIX
          [ broadcast ADDR ] [ anycast ADDR ]
          [ label IFNAME ] [ scope SCOPE-ID ] [ metric METRIC ]
          [ proto ADDRPROTO ]
SCOPE-ID := [ host | link | global | NUMBER ]
FLAG-LIST := [ FLAG-LIST ] FLAG
FLAG  := [ permanent | dynamic | secondary | primary |
           [-]tentative | [-]deprecated | [-]dadfailed | temporary |
           CONFFLAG-LIST ]
CONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG
CONFFLAG  := [ home | nodad | mngtmpaddr | noprefixroute | autojoin ]
LIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]
LFT := forever | SECONDS
ADDRPROTO := [ NAME | NUMBER ]
TYPE := { amt | bareudp | bond | bond_slave | bridge | bridge_slave |
          dummy | erspan | geneve | gre | gretap | gtp | ifb |
          ip6erspan | ip6gre | ip6gretap | ip6tnl |
          ipip | ipoib | ipvlan | ipvtap |
          macsec | macvlan | macvtap |
          netdevsim | nlmon | rmnet | sit | team | team_slave |
          vcan | veth | vlan | vrf | vti | vxcan | vxlan | wwan |
          xfrm }
";

/// `ip address ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let Some(cmd) = args.first().map(String::as_str) else { return list_or_flush(ctx, o, &[], false) };
    let rest = &args[1..];
    if matches(cmd, "add") {
        modify(ctx, o, rest, Mode::Add)
    } else if matches(cmd, "change") || cmd == "chg" {
        modify(ctx, o, rest, Mode::Change)
    } else if matches(cmd, "replace") {
        modify(ctx, o, rest, Mode::Replace)
    } else if matches(cmd, "delete") {
        modify(ctx, o, rest, Mode::Del)
    } else if matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst") {
        list_or_flush(ctx, o, rest, false)
    } else if matches(cmd, "flush") {
        list_or_flush(ctx, o, rest, true)
    } else if matches(cmd, "save") || matches(cmd, "showdump") || matches(cmd, "restore") {
        ctx.unsupported("ip address", cmd)
    } else if matches(cmd, "help") {
        ctx.eprint(USAGE);
        255
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip address help\"."))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Change,
    Replace,
    Del,
}

/// The stack's scope for a numeric `RT_SCOPE_*`.
fn scope_of(n: u8) -> Option<Scope> {
    match n {
        0 => Some(Scope::Universe),
        200 => Some(Scope::Site),
        253 => Some(Scope::Link),
        254 => Some(Scope::Host),
        255 => Some(Scope::Nowhere),
        _ => None,
    }
}

/// `set_lifetime`: `forever` or a number of seconds.
fn lifetime(s: &str) -> Option<u32> {
    if s == "forever" { Some(ifa::INFINITY) } else { nlmsg::parse_u32(s) }
}

/// `ipaddr_modify`.
fn modify(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], mode: Mode) -> i32 {
    let mut family = Af::of(o.family);
    let mut dev: Option<&str> = None;
    let mut label: Option<&str> = None;
    let mut local: Option<(Prefix, &str)> = None;
    let mut peer: Option<Prefix> = None;
    let mut brd: Option<Brd> = None;
    let mut scope: Option<u8> = None;
    let mut metric: Option<u32> = None;
    let (mut valid, mut preferred): (Option<u32>, Option<u32>) = (None, None);
    let (mut nodad, mut noprefixroute) = (false, false);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            "peer" | "remote" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                if peer.is_some() {
                    return nlmsg::duparg(ctx, "peer", v);
                }
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                family = Af::of_ip(p.addr);
                peer = Some(p);
            }
            _ if matches(a, "broadcast") || a == "brd" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                if brd.is_some() {
                    return nlmsg::duparg(ctx, "broadcast", v);
                }
                brd = Some(match v.as_str() {
                    "+" => Brd::Plus,
                    "-" => Brd::Minus,
                    s => match nlmsg::get_addr(ctx, s, family) {
                        Ok(b) => {
                            family = Af::of_ip(b);
                            Brd::Addr(b)
                        }
                        Err(rc) => return rc,
                    },
                });
            }
            "scope" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::scope_a2n(v) {
                    Some(s) => scope = Some(s),
                    None => return nlmsg::invarg(ctx, "invalid scope value.", v),
                }
            }
            "dev" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                dev = Some(v);
            }
            "label" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                label = Some(v);
            }
            "metric" | "priority" | "preference" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nlmsg::parse_u32(v) {
                    Some(m) => metric = Some(m),
                    None => return nlmsg::invarg(ctx, "\"metric\" value is invalid\n", v),
                }
            }
            _ if matches(a, "valid_lft") || matches(a, "preferred_lft") => {
                let is_valid = matches(a, "valid_lft");
                let key = if is_valid { "valid_lft" } else { "preferred_lft" };
                if (is_valid && valid.is_some()) || (!is_valid && preferred.is_some()) {
                    return nlmsg::duparg(ctx, key, a);
                }
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                let Some(t) = lifetime(v) else { return nlmsg::invarg(ctx, &format!("{key} value"), v) };
                if is_valid {
                    valid = Some(t);
                } else {
                    preferred = Some(t);
                }
            }
            "nodad" => nodad = true,
            "noprefixroute" => noprefixroute = true,
            "home" | "mngtmpaddr" | "autojoin" | "anycast" | "proto" => return ctx.unsupported("ip address", a),
            _ => {
                let v = if a == "local" {
                    let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v.as_str()
                } else {
                    a
                };
                if matches(v, "help") {
                    ctx.eprint(USAGE);
                    return 255;
                }
                if local.is_some() {
                    return ctx.fail(255, &format!("Error: either \"local\" is duplicate, or \"{v}\" is a garbage."));
                }
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                family = Af::of_ip(p.addr);
                local = Some((p, v));
            }
        }
        i += 1;
    }
    let Some(d) = dev else { return ctx.fail(1, "Not enough information: \"dev\" argument is required.") };
    if let Some(l) = label
        && !matches(d, l)
    {
        return ctx.fail(1, &format!("\"dev\" ({d}) must match \"label\" ({l})."));
    }
    let Some((lcl, lcl_arg)) = local else {
        // No local address: the kernel rejects the request (EINVAL for IPv4).
        return ctx.fail(2, "RTNETLINK answers: Invalid argument");
    };
    let wildcard = mode == Mode::Del && peer.is_none() && lcl.addr.is_ipv4() && !lcl.specified;
    if wildcard {
        ctx.eprint(&format!(
            "Warning: Executing wildcard deletion to stay compatible with old scripts.\n         Explicitly specify the prefix length ({lcl_arg}/{}) to avoid this warning.\n         This special behaviour is likely to disappear in further releases,\n         fix your scripts!\n",
            32
        ));
    }
    let plen = peer.map_or(lcl.len, |p| p.len);
    let broadcast = match brd {
        Some(Brd::Plus | Brd::Minus) if mode != Mode::Del => {
            let IpAddr::V4(base) = peer.map_or(lcl.addr, |p| p.addr) else {
                return ctx.fail(1, "Broadcast can be set only for IPv4 addresses");
            };
            if plen <= 30 {
                let host = u32::MAX >> plen;
                let b = if brd == Some(Brd::Plus) { u32::from(base) | host } else { u32::from(base) & !host };
                Some(b.into())
            } else {
                None
            }
        }
        Some(Brd::Addr(IpAddr::V4(b))) => Some(b),
        _ => None,
    };
    let Some(dev) = ctx.s.world().rtnl().dev_by_name(ctx.ns, d) else {
        return ctx.fail(1, &format!("Cannot find device \"{d}\""));
    };
    if valid.is_some() || preferred.is_some() {
        let (v, p) = (valid.unwrap_or(ifa::INFINITY), preferred.unwrap_or(ifa::INFINITY));
        if v == 0 {
            return ctx.fail(1, "valid_lft is zero");
        }
        if v < p {
            return ctx.fail(1, "preferred_lft is greater than valid_lft");
        }
        if v != ifa::INFINITY || p != ifa::INFINITY {
            return ctx.unsupported("ip address", "valid_lft/preferred_lft SECONDS");
        }
    }
    let Some(stack) = ctx.stack() else { return ctx.fail(2, "RTNETLINK answers: No such device") };
    if mode == Mode::Del {
        let plen = if wildcard { None } else { Some(plen) };
        let r = stack.addr_del(&mut ctx.s.world().rtnl(), dev.ifindex(), lcl.addr, plen);
        return match r {
            Ok(()) => 0,
            Err(e) => nlmsg::kernel_error(ctx, &e),
        };
    }
    let scope = match scope {
        Some(n) => match scope_of(n) {
            Some(s) => Some(s),
            None => return ctx.unsupported("ip address", &format!("scope {n}")),
        },
        None => None,
    };
    let opts = AddrOpts {
        broadcast,
        peer: peer.map(|p| p.addr),
        scope,
        label: label.map(str::to_string),
        noprefixroute,
        nodad,
        metric,
    };
    let r = stack.addr_add(&mut ctx.s.world().rtnl(), dev.ifindex(), lcl.addr, plen, &opts);
    match r {
        Ok(()) => 0,
        // NLM_F_REPLACE: an existing address is kept (its attributes are not updated here).
        Err(e) if e.errno() == Errno::Eexist && mode != Mode::Add => 0,
        Err(e) => nlmsg::kernel_error(ctx, &e),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Brd {
    Plus,
    Minus,
    Addr(IpAddr),
}

/// `struct link_filter` as `ip addr` uses it.
#[derive(Clone, Debug, Default)]
struct Filter {
    ifindex: Option<u32>,
    scope: u8,
    scopemask: u8,
    flags: u32,
    flagmask: u32,
    label: Option<String>,
    pfx: Option<Prefix>,
    up: bool,
}

/// `ifa_flag_names[]`.
const FLAG_NAMES: [(&str, u32); 13] = [
    ("secondary", 0x01),
    ("temporary", 0x01),
    ("nodad", 0x02),
    ("optimistic", 0x04),
    ("dadfailed", 0x08),
    ("home", 0x10),
    ("deprecated", 0x20),
    ("tentative", 0x40),
    ("permanent", 0x80),
    ("mngtmpaddr", 0x100),
    ("noprefixroute", 0x200),
    ("autojoin", 0x400),
    ("stable-privacy", 0x800),
];

impl Filter {
    /// `get_filter`: a flag word; false if `arg` is not one.
    fn flag(&mut self, arg: &str) -> bool {
        match arg {
            "dynamic" => {
                self.flags &= !ifa::F_PERMANENT;
                self.flagmask |= ifa::F_PERMANENT;
            }
            "primary" => {
                self.flags &= !ifa::F_SECONDARY;
                self.flagmask |= ifa::F_SECONDARY;
            }
            _ => {
                let (neg, name) = match arg.strip_prefix('-') {
                    Some(n) => (true, n),
                    None => (false, arg),
                };
                let Some(&(_, v)) = FLAG_NAMES.iter().find(|(n, _)| *n == name) else { return false };
                if neg {
                    self.flags &= v;
                } else {
                    self.flags |= v;
                }
                self.flagmask |= v;
            }
        }
        true
    }

    /// The filters `print_addrinfo` and `ipaddr_filter` apply to one address.
    fn admits(&self, m: &AddrMsg, family: Af, names: &Names) -> bool {
        if self.ifindex.is_some_and(|i| i != m.ifindex) {
            return false;
        }
        if (self.scope ^ m.scope) & self.scopemask != 0 || (self.flags ^ m.flags) & self.flagmask != 0 {
            return false;
        }
        if let Some(l) = &self.label {
            let label = m.label.clone().unwrap_or_else(|| names.name(m.ifindex));
            if !fnmatch(l, &label) {
                return false;
            }
        }
        if let (Some(p), Some(a)) = (&self.pfx, m.local)
            && !nlmsg::prefix_match(a, p)
        {
            return false;
        }
        family_admits(family, m.family)
    }
}

fn family_admits(f: Af, af: u8) -> bool {
    match f {
        Af::Any => true,
        Af::Inet => af == AF_INET,
        Af::Inet6 => af == AF_INET6,
    }
}

/// `fnmatch(pattern, s, 0)` for `*`, `?` and literal characters.
fn fnmatch(p: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
    // Iterative wildcard match with backtracking to the last star.
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The decoded address dump of the namespace.
fn dump(ctx: &Ctx<'_>) -> Vec<AddrMsg> {
    ctx.stack().map(|s| s.dump_addrs()).unwrap_or_default().iter().filter_map(|m| AddrMsg::parse(m)).collect()
}

/// `ipaddr_list_flush_or_save` for `show` and `flush`.
fn list_or_flush(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], flush: bool) -> i32 {
    let mut family = Af::of(o.family);
    let link_only = o.family == Some(Family::Link);
    if flush {
        if args.is_empty() {
            return ctx.fail(1, "Flush requires arguments.");
        }
        if link_only {
            return ctx.fail(1, "Cannot flush link addresses.");
        }
    }
    let mut f = Filter::default();
    let mut dev: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            "to" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                let p = match nlmsg::get_prefix(ctx, v, family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                if family == Af::Any {
                    family = Af::of_ip(p.addr);
                }
                f.pfx = Some(p);
            }
            "scope" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                f.scopemask = u8::MAX;
                match nlmsg::scope_a2n(v) {
                    Some(s) => f.scope = s,
                    None if v == "all" => {
                        f.scope = 255;
                        f.scopemask = 0;
                    }
                    None => return nlmsg::invarg(ctx, "invalid \"scope\"\n", v),
                }
            }
            "up" => f.up = true,
            _ if f.flag(a) => {}
            "label" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                f.label = Some(v.clone());
            }
            "group" | "master" | "vrf" | "type" | "nomaster" | "proto" => return ctx.unsupported("ip address", a),
            _ => {
                let v = if a == "dev" {
                    let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                    v.as_str()
                } else {
                    if matches(a, "help") {
                        ctx.eprint(USAGE);
                        return 255;
                    }
                    a
                };
                if let Some(_first) = dev {
                    return nlmsg::duparg(ctx, "dev", v);
                }
                dev = Some(v);
            }
        }
        i += 1;
    }
    let names = Names::of(ctx);
    if let Some(d) = dev {
        match names.index(d) {
            Some(i) => f.ifindex = Some(i),
            None => return ctx.fail(1, &format!("Device \"{d}\" does not exist.")),
        }
    }
    if flush {
        return flush_addrs(ctx, o, &f, family, &names);
    }
    let addrs = if link_only { Vec::new() } else { dump(ctx) };
    let devs: Vec<Arc<NetDevice>> = ctx
        .s
        .world()
        .rtnl()
        .devices(ctx.ns)
        .into_iter()
        .filter(|d| f.ifindex.is_none_or(|i| i == d.ifindex()))
        .filter(|d| !f.up || d.is_up())
        .collect();
    let mut out = String::new();
    let mut json = Vec::new();
    for dev in devs {
        let mine: Vec<&AddrMsg> = addrs.iter().filter(|m| m.ifindex == dev.ifindex()).collect();
        // ipaddr_filter: keep the link if one address passes, or if it has none at all and no
        // family was asked for.
        let selected: Vec<&AddrMsg> = mine.iter().copied().filter(|m| f.admits(m, family, &names)).collect();
        if !link_only && selected.is_empty() && !(mine.is_empty() && family == Af::Any) {
            continue;
        }
        if o.json {
            json.push(link_json(ctx, &dev, &selected, o.brief));
            continue;
        }
        if o.brief {
            out.push_str(&brief_link(ctx, &dev));
            for m in &selected {
                out.push_str(&format_addr(m, &names, false, "\n", true));
            }
            out.push('\n');
            continue;
        }
        if !o.oneline {
            let h = super::link::header(ctx, &dev, false);
            if family == Af::Any {
                out.push_str(&h);
            } else {
                // print_linkinfo prints the link/ line only without a family filter.
                out.push_str(h.lines().next().unwrap_or_default());
                out.push('\n');
            }
        }
        let sl = if o.oneline { "\\" } else { "\n" };
        for m in &selected {
            out.push_str(&format_addr(m, &names, o.oneline, sl, false));
        }
    }
    if o.json {
        out = Json::document(json, o.pretty);
    }
    ctx.print(&out);
    0
}

/// `ipaddr_flush`: delete what the filter selects, in rounds, as iproute2 does.
fn flush_addrs(ctx: &mut Ctx<'_>, o: &IpOpts, f: &Filter, family: Af, names: &Names) -> i32 {
    const MAX_ROUNDS: usize = 10;
    let Some(stack) = ctx.stack() else { return 0 };
    for round in 0..MAX_ROUNDS {
        let sel: Vec<AddrMsg> = dump(ctx).into_iter().filter(|m| f.admits(m, family, names)).collect();
        if sel.is_empty() {
            if o.stats > 0 {
                if round == 0 {
                    ctx.print("Nothing to flush.\n");
                } else {
                    let s = if round > 1 { "s" } else { "" };
                    ctx.print(&format!("*** Flush is complete after {round} round{s} ***\n"));
                }
            }
            return 0;
        }
        for m in &sel {
            if o.stats >= 2 {
                let line = format_addr(m, names, true, "\n", false);
                ctx.print(&line);
            }
            if let Some(a) = m.local {
                // flush_update ignores EADDRNOTAVAIL: a primary took its secondaries with it.
                let _ = stack.addr_del(&mut ctx.s.world().rtnl(), m.ifindex, a, Some(m.prefixlen));
            }
        }
        if o.stats > 0 {
            ctx.print(&format!("\n*** Round {}, deleting {} addresses ***\n", round + 1, sel.len()));
        }
        if f.flagmask & ifa::F_SECONDARY != 0 && f.flags & ifa::F_SECONDARY == 0 {
            if o.stats > 0 {
                let r = round + 1;
                let s = if r > 1 { "s" } else { "" };
                ctx.print(&format!("*** Flush is complete after {r} round{s} ***\n"));
            }
            return 0;
        }
    }
    ctx.fail(1, &format!("*** Flush remains incomplete after {MAX_ROUNDS} rounds. ***"))
}

/// `print_linkinfo_brief` for `ip -br addr`: `NAME@LINK` padded to 16, the operstate to 14.
fn brief_link(ctx: &mut Ctx<'_>, dev: &NetDevice) -> String {
    let name = format!("{}{}", dev.name(), super::link::link_suffix(ctx, dev));
    format!("{name:<16} {:<14} ", dev.operstate().name())
}

/// `print_addrinfo`: one address. `oneline` prefixes `N: DEV` (as `-o`, flush and monitor do);
/// `sl` is iproute2's `_SL_` (a newline, or `\` with `-o`); `brief` prints `ADDR/LEN ` only.
pub(crate) fn format_addr(m: &AddrMsg, names: &Names, oneline: bool, sl: &str, brief: bool) -> String {
    let mut s = String::new();
    if m.msg_type == RTM_DELADDR {
        s.push_str("Deleted ");
    }
    if !brief {
        if oneline {
            s.push_str(&format!("{}: {}", m.ifindex, names.name(m.ifindex)));
        }
        match m.family {
            AF_INET => s.push_str("    inet "),
            AF_INET6 => s.push_str("    inet6 "),
            f => s.push_str(&format!("    family {f} ")),
        }
    }
    if let Some(l) = m.local {
        s.push_str(&l.to_string());
        if let Some(a) = m.address.filter(|a| *a != l) {
            s.push_str(&format!(" peer {a}"));
        }
        s.push_str(&format!("/{} ", m.prefixlen));
    }
    if brief {
        return s;
    }
    if let Some(b) = m.broadcast {
        s.push_str(&format!("brd {b} "));
    }
    s.push_str(&format!("scope {} ", nlmsg::scope_name(m.scope)));
    let mut flags = m.flags;
    for (name, mask) in FLAG_NAMES {
        if mask == ifa::F_PERMANENT {
            if flags & mask == 0 {
                s.push_str("dynamic ");
            }
        } else if flags & mask != 0 {
            if mask == ifa::F_SECONDARY && m.family == AF_INET6 {
                s.push_str("temporary ");
            } else {
                s.push_str(name);
                s.push(' ');
            }
        }
        flags &= !mask;
    }
    if flags != 0 {
        s.push_str(&format!("flags {flags:02x} "));
    }
    if let Some(l) = &m.label {
        s.push_str(l);
    }
    if let Some((pref, valid)) = m.lifetimes {
        let lft = |v: u32| if v == ifa::INFINITY { "forever".to_string() } else { format!("{v}sec") };
        s.push_str(&format!("{sl}       valid_lft {} preferred_lft {}", lft(valid), lft(pref)));
    }
    s.push('\n');
    s
}

/// The JSON object of one address (`print_addrinfo` under `-j`).
pub(crate) fn addr_json(m: &AddrMsg, brief: bool) -> Json {
    let mut o = Obj::default();
    if m.msg_type == RTM_DELADDR {
        o.put("deleted", Json::Bool(true));
    }
    if !brief {
        let fam = match m.family {
            AF_INET => "inet",
            AF_INET6 => "inet6",
            _ => "unknown",
        };
        o.put("family", Json::s(fam));
    }
    if let Some(l) = m.local {
        o.put("local", Json::s(l.to_string()));
        if let Some(a) = m.address.filter(|a| *a != l) {
            o.put("address", Json::s(a.to_string()));
        }
        o.put("prefixlen", Json::Num(u64::from(m.prefixlen)));
    }
    if brief {
        return o.done();
    }
    if let Some(b) = m.broadcast {
        o.put("broadcast", Json::s(b.to_string()));
    }
    o.put("scope", Json::s(nlmsg::scope_name(m.scope)));
    let mut flags = m.flags;
    for (name, mask) in FLAG_NAMES {
        if mask == ifa::F_PERMANENT {
            if flags & mask == 0 {
                o.put("dynamic", Json::Bool(true));
            }
        } else if flags & mask != 0 {
            let n = if mask == ifa::F_SECONDARY && m.family == AF_INET6 { "temporary" } else { name };
            o.put(n, Json::Bool(true));
        }
        flags &= !mask;
    }
    if flags != 0 {
        o.put("ifa_flags", Json::s(format!("{flags:02x}")));
    }
    if let Some(l) = &m.label {
        o.put("label", Json::s(l.as_str()));
    }
    if let Some((pref, valid)) = m.lifetimes {
        o.put("valid_life_time", Json::Num(u64::from(valid)));
        o.put("preferred_life_time", Json::Num(u64::from(pref)));
    }
    o.done()
}

/// The link part of `ip -j addr` (`print_linkinfo` without `linkmode`) and its `addr_info`.
fn link_json(ctx: &mut Ctx<'_>, dev: &NetDevice, addrs: &[&AddrMsg], brief: bool) -> Json {
    let mut o = Obj::default();
    let ns = ctx.ns;
    let iflink = dev.iflink();
    let peer_here = dev.link_netns() == ns;
    let mut link_index = None;
    if brief {
        o.put("ifname", Json::s(dev.name().to_string()));
        o.put("operstate", Json::s(dev.operstate().name()));
    } else {
        o.put("ifindex", Json::Num(u64::from(dev.ifindex())));
        if iflink != 0 && !(iflink == dev.ifindex() && peer_here) {
            if peer_here {
                let name = ctx.s.world().rtnl().dev_by_index(ns, iflink).map(|p| p.name().to_string());
                o.put("link", name.map_or(Json::Null, Json::s));
            } else {
                link_index = Some(iflink);
                o.put("link_index", Json::Num(u64::from(iflink)));
            }
        }
        o.put("ifname", Json::s(dev.name().to_string()));
        let flags = super::link::flag_names(dev, false).into_iter().map(Json::s).collect();
        o.put("flags", Json::Arr(flags));
        o.put("mtu", Json::Num(u64::from(dev.mtu())));
        o.put("qdisc", Json::s(dev.qdisc().name()));
        if let Some(m) = dev.master() {
            o.put("master", Json::s(m.name().to_string()));
        }
        o.put("operstate", Json::s(dev.operstate().name()));
        o.put("group", Json::s("default"));
        o.put("txqlen", Json::Num(u64::from(dev.tx_queue_len())));
        let kind = if dev.flags().contains(netdev_core::IfFlags::LOOPBACK) { "loopback" } else { "ether" };
        o.put("link_type", Json::s(kind));
        o.put("address", Json::s(dev.address().to_string()));
        o.put("broadcast", Json::s(dev.broadcast().to_string()));
        if link_index.is_some() {
            let id = ctx.s.peer_netnsid(ns, dev.link_netns());
            o.put("link_netnsid", Json::Num(u64::from(id)));
        }
    }
    o.put("addr_info", Json::Arr(addrs.iter().map(|m| addr_json(m, brief)).collect()));
    o.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netdev_core::netlink::RTM_NEWADDR;

    #[test]
    fn fnmatch_globs() {
        assert!(fnmatch("veth*", "veth0"));
        assert!(fnmatch("v?th0", "veth0"));
        assert!(!fnmatch("veth1", "veth0"));
        assert!(fnmatch("*", ""));
        assert!(!fnmatch("a*b", "acd"));
    }

    #[test]
    fn print_addrinfo_ipv4_and_flags() {
        let m = AddrMsg {
            msg_type: RTM_NEWADDR,
            family: AF_INET,
            prefixlen: 24,
            flags: 0x80 | 0x01,
            scope: 0,
            ifindex: 2,
            local: Some("10.0.0.2".parse().unwrap()),
            address: Some("10.0.0.2".parse().unwrap()),
            broadcast: Some("10.0.0.255".parse().unwrap()),
            label: Some("veth0".into()),
            lifetimes: Some((ifa::INFINITY, ifa::INFINITY)),
        };
        let names = Names::default();
        assert_eq!(
            format_addr(&m, &names, false, "\n", false),
            "    inet 10.0.0.2/24 brd 10.0.0.255 scope global secondary veth0\n       valid_lft forever preferred_lft forever\n"
        );
        assert_eq!(
            format_addr(&m, &names, true, "\\", false),
            "2: if2    inet 10.0.0.2/24 brd 10.0.0.255 scope global secondary veth0\\       valid_lft forever preferred_lft forever\n"
        );
        assert_eq!(format_addr(&m, &names, false, "\n", true), "10.0.0.2/24 ");
        let mut d = m.clone();
        d.msg_type = RTM_DELADDR;
        d.flags = 0;
        assert!(format_addr(&d, &names, false, "\n", false).starts_with("Deleted     inet 10.0.0.2/24"));
        assert!(format_addr(&d, &names, false, "\n", false).contains("scope global dynamic veth0"));
    }
}
