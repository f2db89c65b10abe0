//! `ip maddress` (iproute2 `ip/ipmaddr.c`): the multicast memberships of each device, read as
//! iproute2 reads them from `/proc/net/dev_mcast` (link layer), `/proc/net/igmp` (`inet`) and
//! `/proc/net/igmp6` (`inet6`), grouped by device (`maddr_ins`) and printed by `print_mlist`.
//!
//! Deviation: `ip maddr add|del` (static link-layer entries) is not understood.

use std::net::IpAddr;

use super::nlmsg::{self, Json, Obj};
use super::{Family, IpOpts, matches};
use crate::session::Ctx;

const USAGE: &str = "Usage: ip maddr [ add | del ] MULTIADDR dev STRING
       ip maddr show [ dev STRING ]
";

/// One membership (`struct ma_info`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A link-layer address.
    Link([u8; 6]),
    /// An IPv4 or IPv6 group with its user count.
    Inet(IpAddr, u32),
}

/// `ip maddress ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let mut rest = args;
    if let Some(cmd) = args.first().map(String::as_str) {
        if matches(cmd, "add") || matches(cmd, "delete") {
            return ctx.unsupported("ip maddress", cmd);
        }
        if matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst") {
            rest = &args[1..];
        } else if matches(cmd, "help") {
            ctx.eprint(USAGE);
            return 255;
        } else if cmd != "dev" {
            return ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip maddr help\"."));
        }
    }
    let mut dev: Option<&str> = None;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        if a == "dev" {
            i += 1;
            let Some(v) = rest.get(i) else { return nlmsg::incomplete(ctx) };
            dev = Some(v);
        } else if matches(a, "help") {
            ctx.eprint(USAGE);
            return 255;
        } else {
            if dev.is_some() {
                return nlmsg::duparg(ctx, "dev", a);
            }
            dev = Some(a);
        }
        i += 1;
    }
    let devs = ctx.s.world().rtnl().devices(ctx.ns);
    if let Some(d) = dev
        && !devs.iter().any(|x| &*x.name() == d)
    {
        return ctx.fail(1, &format!("Device \"{d}\" does not exist."));
    }
    let Some(stack) = ctx.stack() else { return 0 };
    let (link, v4, v6) = match o.family {
        None => (true, true, true),
        Some(Family::Link) => (true, false, false),
        Some(Family::Inet) => (false, true, false),
        Some(Family::Inet6) => (false, false, true),
    };
    let mut out = String::new();
    let mut json = Vec::new();
    for d in devs.iter().filter(|d| dev.is_none_or(|n| *d.name() == *n)) {
        let i = d.ifindex();
        let mut entries = Vec::new();
        if link {
            entries.extend(stack.link_groups(i).into_iter().map(|m| Entry::Link(m.0)));
        }
        if v4 {
            entries.extend(stack.groups4(i).into_iter().map(|g| Entry::Inet(IpAddr::V4(g), 1)));
        }
        if v6 {
            entries.extend(stack.groups6(i).into_iter().map(|g| Entry::Inet(IpAddr::V6(g.addr), g.users)));
        }
        if entries.is_empty() {
            continue;
        }
        if o.json {
            let mut obj = Obj::default();
            obj.put("ifindex", Json::Num(u64::from(i)));
            obj.put("ifname", Json::s(d.name().to_string()));
            obj.put("maddr", Json::Arr(entries.iter().map(entry_json).collect()));
            json.push(obj.done());
            continue;
        }
        // print_mlist: the device line, then each entry (one line each, `-o` repeats the device).
        for (k, e) in entries.iter().enumerate() {
            if k == 0 || o.oneline {
                out.push_str(&format!("{i}:\t{}", d.name()));
                out.push_str(if o.oneline { " " } else { "\n" });
            }
            out.push('\t');
            match e {
                Entry::Link(m) => out.push_str(&format!("link  {}", nlmsg::lladdr_str(m))),
                Entry::Inet(a, _) => {
                    let fam = if a.is_ipv4() { "inet" } else { "inet6" };
                    out.push_str(&format!("{fam:<5} {a}"));
                }
            }
            if let Entry::Inet(_, users) = e
                && *users != 1
            {
                out.push_str(&format!(" users {users}"));
            }
            out.push('\n');
        }
    }
    if o.json {
        out = Json::document(json, o.pretty);
    }
    ctx.print(&out);
    0
}

fn entry_json(e: &Entry) -> Json {
    let mut o = Obj::default();
    match e {
        Entry::Link(m) => o.put("link", Json::s(nlmsg::lladdr_str(m))),
        Entry::Inet(a, users) => {
            o.put("family", Json::s(if a.is_ipv4() { "inet" } else { "inet6" }));
            o.put("address", Json::s(a.to_string()));
            if *users != 1 {
                o.put("users", Json::Num(u64::from(*users)));
            }
        }
    }
    o.done()
}
