//! `ip neighbour` (iproute2 `ip/ipneigh.c`): `add|change|replace|del` (`ipneigh_modify`),
//! `show|list` and `flush` (`do_show_or_flush`), proxy entries with `proxy`. Entries come from
//! the stack's `RTM_GETNEIGH` dump and are printed from the decoded message by
//! [`format_neigh`] (`print_neigh`), which `ip monitor` uses too.
//!
//! Deviations: `ip neigh get`, `router`/`extern_learn`/`protocol` flags on changes and the
//! bridge family are not understood.

use std::net::IpAddr;

use netdev_core::netlink::{RTM_DELNEIGH, RTM_NEWNEIGH};
use netdev_core::{Errno, MacAddr};
use stack_adapter::Nud;
use stack_adapter::rtnetlink::{AF_INET, AF_INET6, nda};

use super::nlmsg::{self, Af, Json, Names, NeighMsg, Obj, Prefix};
use super::{IpOpts, matches};
use crate::session::Ctx;

const USAGE: &str = "Usage: ip neigh { add | del | change | replace }
                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }
                [ dev DEV ] [ router ] [ use ] [ managed ] [ extern_learn ]
                [ protocol PROTO ]

       ip neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]
                                 [ vrf NAME ] [ nomaster ]
       ip neigh get { ADDR | proxy ADDR } dev DEV

STATE := { delay | failed | incomplete | noarp | none |
           permanent | probe | reachable | stale }
";

/// `NUD_*` bits.
const NUD_NAMES: [(u16, &str); 8] = [
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];
const NUD_NOARP: u16 = 0x40;
const NUD_PERMANENT: u16 = 0x80;

/// `ip neighbour ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let Some(cmd) = args.first().map(String::as_str) else { return show_or_flush(ctx, o, &[], false) };
    let rest = &args[1..];
    if matches(cmd, "add") {
        modify(ctx, o, rest, Mode::Add)
    } else if matches(cmd, "change") || cmd == "chg" {
        modify(ctx, o, rest, Mode::Change)
    } else if matches(cmd, "replace") {
        modify(ctx, o, rest, Mode::Replace)
    } else if matches(cmd, "delete") {
        modify(ctx, o, rest, Mode::Del)
    } else if matches(cmd, "get") {
        ctx.unsupported("ip neigh", cmd)
    } else if matches(cmd, "show") || matches(cmd, "lst") || matches(cmd, "list") {
        show_or_flush(ctx, o, rest, false)
    } else if matches(cmd, "flush") {
        show_or_flush(ctx, o, rest, true)
    } else if matches(cmd, "help") {
        ctx.eprint(USAGE);
        255
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip neigh help\"."))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Change,
    Replace,
    Del,
}

/// `nud_state_a2n`.
fn nud_a2n(s: &str) -> Option<u16> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "all" => Some(0xff),
        "none" => Some(0),
        _ => NUD_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(&l))
            .map(|(b, _)| *b)
            .or_else(|| nlmsg::parse_u32(s).and_then(|v| u16::try_from(v).ok()).filter(|v| *v <= 0xff)),
    }
}

fn nud_of(bits: u16) -> Option<Nud> {
    Some(match bits {
        0x01 => Nud::Incomplete,
        0x02 => Nud::Reachable,
        0x04 => Nud::Stale,
        0x08 => Nud::Delay,
        0x10 => Nud::Probe,
        0x20 => Nud::Failed,
        0x40 => Nud::Noarp,
        0x80 => Nud::Permanent,
        _ => return None,
    })
}

/// `ipneigh_modify`.
fn modify(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], mode: Mode) -> i32 {
    let family = Af::of(o.family);
    let mut dev: Option<&str> = None;
    let mut dst: Option<IpAddr> = None;
    let mut lladdr: Option<&str> = None;
    let mut state: u16 = NUD_PERMANENT;
    let mut proxy = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            "lladdr" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                if lladdr.is_some() {
                    return nlmsg::duparg(ctx, "lladdr", v);
                }
                lladdr = Some(v);
            }
            "nud" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match nud_a2n(v).filter(|s| *s != 0xff) {
                    Some(s) => state = s,
                    None => return nlmsg::invarg(ctx, "nud state is bad", v),
                }
            }
            "proxy" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                if dst.is_some() {
                    return nlmsg::duparg(ctx, "address", v);
                }
                match nlmsg::get_addr(ctx, v, family) {
                    Ok(x) => dst = Some(x),
                    Err(rc) => return rc,
                }
                proxy = true;
            }
            "router" | "extern_learn" | "use" | "managed" | "protocol" => {
                return ctx.unsupported("ip neigh", a);
            }
            "dev" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                dev = Some(v);
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
                if dst.is_some() {
                    return nlmsg::duparg(ctx, "to", v);
                }
                match nlmsg::get_addr(ctx, v, family) {
                    Ok(x) => dst = Some(x),
                    Err(rc) => return rc,
                }
            }
        }
        i += 1;
    }
    let (Some(d), Some(dst)) = (dev, dst) else {
        return ctx.fail(255, "Device and destination are required arguments.");
    };
    let mac = match lladdr {
        Some(l) => match nlmsg::parse_lladdr(l) {
            Some(m) => Some(MacAddr(m)),
            None => return ctx.fail(1, &format!("\"{l}\" is invalid lladdr.")),
        },
        None => None,
    };
    let Some(ifindex) = Names::of(ctx).index(d) else { return ctx.fail(1, &format!("Cannot find device \"{d}\"")) };
    let Some(stack) = ctx.stack() else { return ctx.fail(2, "RTNETLINK answers: No such device") };
    if !proxy && mode != Mode::Del && nud_of(state).is_none() {
        // NUD_NONE: the kernel creates (or keeps) an entry that resolves on use.
        return ctx.unsupported("ip neigh", "nud none");
    }
    let r = {
        let mut rtnl = ctx.s.world().rtnl();
        match (mode, proxy) {
            (Mode::Del, true) => stack.neigh_proxy_del(&mut rtnl, ifindex, dst),
            (Mode::Del, false) => stack.neigh_del(&mut rtnl, ifindex, dst),
            (Mode::Add, true) => stack.neigh_proxy_add(&mut rtnl, ifindex, dst),
            // A proxy entry exists or it is created, whatever the flags (`pneigh_lookup(.., 1)`).
            (_, true) => match stack.neigh_proxy_add(&mut rtnl, ifindex, dst) {
                Err(e) if e.errno() == Errno::Eexist => Ok(()),
                r => r,
            },
            (_, false) => {
                let exists = stack.neigh_lookup(ifindex, dst).is_some();
                match (mode, nud_of(state)) {
                    (Mode::Change, _) if !exists => Err(netdev_core::Error::new(Errno::Enoent)),
                    (_, nud) => {
                        let nud = nud.unwrap_or(Nud::Permanent);
                        stack.neigh_add(&mut rtnl, ifindex, dst, mac, nud, mode != Mode::Add)
                    }
                }
            }
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => nlmsg::kernel_error(ctx, &e),
    }
}

/// The selectors of `ip neigh show|flush`.
#[derive(Clone, Debug)]
struct Filter {
    family: Af,
    index: Option<u32>,
    state: u16,
    pfx: Option<Prefix>,
    proxy: bool,
}

impl Filter {
    /// `print_neigh`'s filters.
    fn admits(&self, m: &NeighMsg) -> bool {
        if (m.flags & nda::NTF_PROXY != 0) != self.proxy {
            return false;
        }
        let fam_ok = match self.family {
            Af::Any => true,
            Af::Inet => m.family == AF_INET,
            Af::Inet6 => m.family == AF_INET6,
        };
        if !fam_ok || self.index.is_some_and(|i| i != m.ifindex) {
            return false;
        }
        // Proxy entries carry no state; the state filter applies to the others.
        if !self.proxy && m.state & self.state == 0 && !(m.state == 0 && self.state == 0xff) {
            return false;
        }
        if let (Some(p), Some(d)) = (&self.pfx, m.dst)
            && !nlmsg::prefix_match(d, p)
        {
            return false;
        }
        true
    }
}

/// `do_show_or_flush`.
fn show_or_flush(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String], flush: bool) -> i32 {
    if flush && args.is_empty() {
        return ctx.fail(1, "Flush requires arguments.");
    }
    let mut f = Filter {
        family: Af::of(o.family),
        index: None,
        state: if flush { !(NUD_PERMANENT | NUD_NOARP) & 0xff } else { 0xff & !NUD_NOARP },
        pfx: None,
        proxy: false,
    };
    let mut state_given = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = |i: &mut usize| -> Option<&String> {
            *i += 1;
            args.get(*i)
        };
        match a {
            "dev" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                match Names::of(ctx).index(v) {
                    Some(x) => f.index = Some(x),
                    None => return ctx.fail(1, &format!("Cannot find device \"{v}\"")),
                }
            }
            "master" | "vrf" | "nomaster" => return ctx.unsupported("ip neigh", a),
            "unused" => return ctx.unsupported("ip neigh", a),
            "nud" => {
                let Some(v) = next(&mut i) else { return nlmsg::incomplete(ctx) };
                let Some(s) = nud_a2n(v) else { return nlmsg::invarg(ctx, "nud state is bad", v) };
                if !state_given {
                    f.state = 0;
                    state_given = true;
                }
                f.state |= if s == 0 { 0 } else { s };
                if s == 0xff {
                    f.state = 0xff;
                }
            }
            "proxy" => f.proxy = true,
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
                let p = match nlmsg::get_prefix(ctx, v, f.family) {
                    Ok(p) => p,
                    Err(rc) => return rc,
                };
                if f.family == Af::Any && !matches!(v, "all" | "any" | "default") {
                    f.family = Af::of_ip(p.addr);
                }
                f.pfx = Some(p).filter(|p| p.len > 0);
            }
        }
        i += 1;
    }
    let names = Names::of(ctx);
    let Some(stack) = ctx.stack() else { return 0 };
    let sel: Vec<NeighMsg> =
        stack.dump_neighs().iter().filter_map(|m| NeighMsg::parse(m)).filter(|m| f.admits(m)).collect();
    if flush {
        if sel.is_empty() {
            if o.stats > 0 {
                ctx.print("Nothing to flush.\n");
            }
            return 0;
        }
        let mut rtnl = ctx.s.world().rtnl();
        for m in &sel {
            if let Some(d) = m.dst {
                let _ = if f.proxy {
                    stack.neigh_proxy_del(&mut rtnl, m.ifindex, d)
                } else {
                    stack.neigh_del(&mut rtnl, m.ifindex, d)
                };
            }
        }
        drop(rtnl);
        if o.stats > 0 {
            let n = sel.len();
            ctx.print(&format!("\n*** Round 1, deleting {n} entries ***\n*** Flush is complete after 1 round ***\n"));
        }
        return 0;
    }
    let out = if o.json {
        Json::document(sel.iter().map(|m| neigh_json(m, &names, f.index.is_some(), o.stats > 0)).collect(), o.pretty)
    } else {
        sel.iter().map(|m| format_neigh(m, &names, f.index.is_some(), o.stats > 0)).collect()
    };
    ctx.print(&out);
    0
}

/// `print_neigh`: one entry. `dev_filtered` leaves out `dev X` (a device was selected);
/// `stats` adds `ref`/`used`/`probes` (`-s`).
pub(crate) fn format_neigh(m: &NeighMsg, names: &Names, dev_filtered: bool, stats: bool) -> String {
    let mut s = String::new();
    if m.msg_type == RTM_DELNEIGH {
        s.push_str("Deleted ");
    } else if m.msg_type != RTM_NEWNEIGH {
        s.push_str("miss ");
    }
    if let Some(d) = m.dst {
        s.push_str(&format!("{d} "));
    }
    if !dev_filtered && m.ifindex != 0 {
        s.push_str(&format!("dev {} ", names.name(m.ifindex)));
    }
    if let Some(l) = &m.lladdr {
        s.push_str(&format!("lladdr {} ", nlmsg::lladdr_str(l)));
    }
    if m.flags & nda::NTF_ROUTER != 0 {
        s.push_str("router ");
    }
    if m.flags & nda::NTF_PROXY != 0 {
        s.push_str("proxy ");
    }
    if stats {
        if let Some(ci) = m.cacheinfo {
            // print_cacheinfo: ticks of USER_HZ (100) shown in seconds.
            if ci[3] != 0 {
                s.push_str(&format!(" ref {}", ci[3]));
            }
            s.push_str(&format!(" used {}/{}/{}", ci[1] / 100, ci[0] / 100, ci[2] / 100));
        }
        if let Some(p) = m.probes {
            s.push_str(&format!("probes {p} "));
        }
    }
    for (bit, name) in NUD_NAMES {
        if m.state & bit != 0 {
            s.push_str(name);
            s.push(' ');
        }
    }
    s.push('\n');
    s
}

/// `print_neigh` under `-j`.
pub(crate) fn neigh_json(m: &NeighMsg, names: &Names, dev_filtered: bool, stats: bool) -> Json {
    let mut o = Obj::default();
    if m.msg_type == RTM_DELNEIGH {
        o.put("deleted", Json::Bool(true));
    }
    if let Some(d) = m.dst {
        o.put("dst", Json::s(d.to_string()));
    }
    if !dev_filtered && m.ifindex != 0 {
        o.put("dev", Json::s(names.name(m.ifindex)));
    }
    if let Some(l) = &m.lladdr {
        o.put("lladdr", Json::s(nlmsg::lladdr_str(l)));
    }
    if m.flags & nda::NTF_ROUTER != 0 {
        o.put("router", Json::Null);
    }
    if m.flags & nda::NTF_PROXY != 0 {
        o.put("proxy", Json::Null);
    }
    if stats {
        if let Some(ci) = m.cacheinfo {
            if ci[3] != 0 {
                o.put("refcnt", Json::Num(u64::from(ci[3])));
            }
            o.put("used", Json::Num(u64::from(ci[1] / 100)));
            o.put("confirmed", Json::Num(u64::from(ci[0] / 100)));
            o.put("updated", Json::Num(u64::from(ci[2] / 100)));
        }
        if let Some(p) = m.probes {
            o.put("probes", Json::Num(u64::from(p)));
        }
    }
    if m.state != 0 {
        let st = NUD_NAMES.iter().filter(|(b, _)| m.state & b != 0).map(|(_, n)| Json::s(*n)).collect();
        o.put("state", Json::Arr(st));
    }
    o.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: u16, lladdr: bool) -> NeighMsg {
        NeighMsg {
            msg_type: RTM_NEWNEIGH,
            family: AF_INET,
            ifindex: 2,
            state,
            flags: 0,
            dst: Some("10.0.0.9".parse().unwrap()),
            lladdr: lladdr.then(|| vec![2, 0, 0, 0, 0, 0xb]),
            probes: Some(6),
            cacheinfo: Some([6700, 600, 400, 0]),
        }
    }

    #[test]
    fn print_neigh_plain_and_stats() {
        let names = Names::default();
        assert_eq!(format_neigh(&entry(0x20, false), &names, false, false), "10.0.0.9 dev if2 FAILED \n");
        assert_eq!(
            format_neigh(&entry(0x20, false), &names, false, true),
            "10.0.0.9 dev if2  used 6/67/4probes 6 FAILED \n"
        );
        assert_eq!(
            format_neigh(&entry(0x02, true), &names, true, false),
            "10.0.0.9 lladdr 02:00:00:00:00:0b REACHABLE \n"
        );
    }

    #[test]
    fn nud_names() {
        assert_eq!(nud_a2n("permanent"), Some(0x80));
        assert_eq!(nud_a2n("STALE"), Some(0x04));
        assert_eq!(nud_a2n("all"), Some(0xff));
        assert_eq!(nud_a2n("bogus"), None);
    }
}
