//! `bridge` (iproute2 6.1 `bridge/`): `bridge [OPTIONS] link|fdb|vlan ...` against the bridge
//! driver (`netdev-bridge`).
//!
//! - `bridge link [show] [dev DEV]` (`brlink_show` + `print_linkinfo` of bridge/link.c): one line
//!   per bridge port (`RTM_GETLINK` of `AF_BRIDGE`, the kernel's `br_fill_ifinfo`); with `-d` the
//!   bridges themselves too (`RTEXT_FILTER_BRVLAN` makes `br_getlink` answer for them) and the
//!   port flags on a second line.
//! - `bridge link set dev PORT ...` (`brlink_modify`): `br_setport`.
//! - `bridge fdb [show] [br BR] [brport|dev DEV] [vlan N] [state S] [dynamic]` (`fdb_show`,
//!   `print_fdb`) over the kernel's `rtnl_fdb_dump`: for each device, its bridge's entries
//!   pointing at it (`br_fdb_dump` with a filter device), then its own address lists
//!   (`ndo_dflt_fdb_dump`, `self permanent`), or for a bridge its multicast list and its own
//!   local entries.
//! - `bridge fdb add|append|replace|del MAC dev DEV [master|self] [permanent|static|dynamic]
//!   [vlan N] [sticky] [use]` (`fdb_modify`, the kernel's `rtnl_fdb_add`/`rtnl_fdb_del`).
//! - `bridge [-j] [-compressvlans] vlan [show] [dev DEV] [vid N]`, `bridge vlan add|del vid N[-M]
//!   dev DEV [pvid] [untagged] [self] [master]` (`vlan_show`, `vlan_modify`; the kernel's
//!   `rtnl_bridge_setlink`/`dellink`). Without `CONFIG_BRIDGE_VLAN_FILTERING` (the recorded
//!   kernel, `Session::without_kinds(.., &["bridge-vlan-filtering"])`) there is no VLAN table.
//!
//! Exit statuses are bridge's: a failed request or parse returns -1 from `main` (255),
//! `parse_on_off` -EINVAL (234).

use std::sync::Arc;

use netdev_bridge::{FdbNud, FdbRequest, FdbState, PortConfig};
use netdev_core::{ARPHRD_ETHER, Errno, Error, IfFlags, MacAddr, NetDevice};

use crate::ip::{Json, flag_names, matches};
use crate::session::Ctx;

/// `bridge`'s global options.
#[derive(Clone, Debug, Default)]
struct BrOpts {
    stats: u8,
    details: u8,
    json: bool,
    pretty: bool,
    /// `-compressvlans`: VLAN ranges (`RTEXT_FILTER_BRVLAN_COMPRESSED`).
    compress: bool,
}

/// `usage()` of bridge/bridge.c.
const USAGE: &str = "Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }
       bridge [ -force ] -batch filename
where  OBJECT := { link | fdb | mdb | vlan | vni | monitor }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |
                    -o[neline] | -t[imestamp] | -n[etns] name |
                    -c[ompressvlans] -color -p[retty] -j[son] }
";

/// `bridge ARGS...`: the option loop of bridge/bridge.c `main()`, then `do_cmd`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut o = BrOpts::default();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') {
            break;
        }
        let opt = if a.starts_with("--") { &a[1..] } else { a.as_str() };
        if matches(opt, "-help") {
            ctx.eprint(USAGE);
            return 255;
        } else if matches(opt, "-Version") {
            ctx.print("bridge utility, 6.1.0\n");
            return 0;
        } else if matches(opt, "-stats") || matches(opt, "-statistics") {
            o.stats = o.stats.saturating_add(1);
        } else if matches(opt, "-details") {
            o.details = o.details.saturating_add(1);
        } else if matches(opt, "-oneline") || matches(opt, "-timestamp") || opt == "-4" || opt == "-6" {
        } else if matches(opt, "-family") {
            i += 1;
            if args.get(i).is_none() {
                ctx.eprint(USAGE);
                return 255;
            }
        } else if matches(opt, "-netns") {
            i += 1;
            let Some(name) = args.get(i) else {
                return ctx.fail(255, crate::ip::INCOMPLETE);
            };
            match crate::ip::lookup_netns(ctx, name) {
                Some(ns) => ctx.ns = ns,
                None => {
                    return ctx
                        .fail(255, &format!("Cannot open network namespace \"{name}\": No such file or directory"));
                }
            }
        } else if matches(opt.split('=').next().unwrap_or(opt), "-color") || matches(opt, "-force") {
        } else if matches(opt, "-compressvlans") {
            // `matches_color` comes first, so `-c` and `-co` are -color.
            o.compress = true;
        } else if matches(opt, "-json") {
            o.json = true;
        } else if matches(opt, "-pretty") {
            o.pretty = true;
        } else if matches(opt, "-batch") {
            return ctx.unsupported("bridge", opt);
        } else {
            return ctx.fail(255, &format!("Option \"{opt}\" is unknown, try \"bridge help\"."));
        }
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    let Some((obj, rest)) = rest.split_first() else {
        ctx.eprint(USAGE);
        return 255;
    };
    // do_cmd: the first object the word is a prefix of.
    if matches(obj, "link") {
        link(ctx, &o, rest)
    } else if matches(obj, "fdb") {
        fdb(ctx, &o, rest)
    } else if matches(obj, "mdb") || matches(obj, "vni") || matches(obj, "monitor") {
        ctx.unsupported("bridge", obj)
    } else if matches(obj, "vlan") {
        vlan(ctx, &o, rest)
    } else if matches(obj, "help") {
        ctx.eprint(USAGE);
        255
    } else {
        ctx.fail(255, &format!("Object \"{obj}\" is unknown, try \"bridge help\"."))
    }
}

/// A failed `rtnl_talk`: the extended ack as `Error: MSG.`, else `RTNETLINK answers: TEXT`;
/// bridge's commands then return -1 (exit status 255).
fn kernel_error(ctx: &mut Ctx<'_>, e: &Error) -> i32 {
    match e.extack() {
        Some(m) if m.ends_with('.') => ctx.fail(255, &format!("Error: {m}")),
        Some(m) => ctx.fail(255, &format!("Error: {m}.")),
        None => ctx.fail(255, &format!("RTNETLINK answers: {}", crate::util::strerror(e.errno()))),
    }
}

/// `NEXT_ARG()` out of words: `incomplete_command()`, exit status 255.
fn incomplete(ctx: &mut Ctx<'_>) -> i32 {
    ctx.fail(255, crate::ip::INCOMPLETE)
}

/// `ll_name_to_index` in the namespace the command runs in.
fn dev_by_name(ctx: &Ctx<'_>, name: &str) -> Option<Arc<NetDevice>> {
    ctx.s.world().rtnl().dev_by_name(ctx.ns, name)
}

/// The devices of the namespace in dump order (by ifindex).
fn devices(ctx: &Ctx<'_>) -> Vec<Arc<NetDevice>> {
    let mut v = ctx.s.world().rtnl().devices(ctx.ns);
    v.sort_by_key(|d| d.ifindex());
    v
}

// ------------------------------------------------------------------------------------------- link

/// `STP` port state names (`port_states[]`).
const PORT_STATES: [&str; 5] = ["disabled", "listening", "learning", "forwarding", "blocking"];

/// `bridge link ...` (`do_link`).
fn link(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let Some((cmd, rest)) = args.split_first() else { return link_show(ctx, o, &[]) };
    if matches(cmd, "set") || matches(cmd, "change") {
        link_set(ctx, rest)
    } else if matches(cmd, "show") || matches(cmd, "lst") || matches(cmd, "list") {
        link_show(ctx, o, rest)
    } else if matches(cmd, "help") {
        ctx.eprint(LINK_USAGE);
        255
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"bridge link help\"."))
    }
}

/// `usage()` of bridge/link.c (6.1).
const LINK_USAGE: &str = "Usage: bridge link set dev DEV [ cost COST ] [ priority PRIO ] [ state STATE ]
                               [ guard {on | off} ]
                               [ hairpin {on | off} ]
                               [ fastleave {on | off} ]
                               [ root_block {on | off} ]
                               [ learning {on | off} ]
                               [ learning_sync {on | off} ]
                               [ flood {on | off} ]
                               [ mcast_router MULTICAST_ROUTER ]
                               [ mcast_flood {on | off} ]
                               [ bcast_flood {on | off} ]
                               [ mcast_to_unicast {on | off} ]
                               [ neigh_suppress {on | off} ]
                               [ vlan_tunnel {on | off} ]
                               [ isolated {on | off} ]
                               [ locked {on | off} ]
                               [ hwmode {vepa | veb} ]
                               [ backup_port DEVICE ] [ nobackup_port ]
                               [ self ] [ master ]
       bridge link show [dev DEV]
";

/// `brlink_show`: every bridge port of the namespace (with `-d` the bridges too), or the one
/// `dev DEV` names.
fn link_show(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let mut filter: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "dev" {
            let Some(v) = it.next() else { return incomplete(ctx) };
            if let Some(first) = &filter {
                let _ = first;
                return ctx.fail(255, &format!("Error: duplicate \"dev\": \"{v}\" is the second value."));
            }
            filter = Some(v.clone());
        }
    }
    let filter_index = match &filter {
        Some(name) => match dev_by_name(ctx, name) {
            Some(d) => Some(d.ifindex()),
            None => return ctx.fail(255, &format!("Cannot find device \"{name}\"")),
        },
        None => None,
    };
    let mut json = o.json.then(|| Json::new(o.pretty));
    let mut text = String::new();
    for dev in devices(ctx) {
        if filter_index.is_some_and(|i| i != dev.ifindex()) {
            continue;
        }
        let port = netdev_bridge::port_info(&dev);
        if port.is_none() && !(o.details > 0 && netdev_bridge::is_bridge(&dev)) {
            continue;
        }
        let rec = LinkRecord::of(ctx, &dev, port);
        match &mut json {
            Some(j) => rec.json(j, o),
            None => text.push_str(&rec.text(o)),
        }
    }
    match json {
        Some(j) => ctx.print(&j.finish()),
        None => ctx.print(&text),
    }
    0
}

/// What `br_fill_ifinfo` sends about one device, for `print_linkinfo`.
struct LinkRecord {
    ifindex: u32,
    /// The name with `@LINK` (`print_name_and_link` without `IFLA_LINK_NETNSID`).
    name: String,
    /// The link's name for JSON (`link`), if any.
    link: Option<String>,
    flags: Vec<&'static str>,
    mtu: u32,
    master: Option<String>,
    port: Option<netdev_bridge::PortInfo>,
    backup: Option<String>,
}

impl LinkRecord {
    fn of(ctx: &Ctx<'_>, dev: &NetDevice, port: Option<netdev_bridge::PortInfo>) -> LinkRecord {
        let rtnl = ctx.s.world().rtnl();
        // br_fill_ifinfo puts IFLA_LINK when the iflink differs from the ifindex (no netnsid):
        // iproute2 resolves it in its own namespace (`ll_index_to_name`, `ifN` if unknown) and
        // sets M-DOWN when that device is not up.
        let iflink = dev.iflink();
        let (link, mdown) = if iflink == dev.ifindex() {
            (None, false)
        } else if iflink == 0 {
            (Some("NONE".to_string()), false)
        } else {
            match rtnl.dev_by_index(ctx.ns, iflink) {
                Some(l) => (Some(l.name().to_string()), !l.flags().contains(IfFlags::UP)),
                None => (Some(format!("if{iflink}")), true),
            }
        };
        let name = match &link {
            Some(l) => format!("{}@{l}", dev.name()),
            None => dev.name().to_string(),
        };
        let backup = port
            .as_ref()
            .and_then(|p| p.backup_port)
            .and_then(|i| rtnl.dev_by_index(dev.netns(), i))
            .map(|d| d.name().to_string());
        LinkRecord {
            ifindex: dev.ifindex(),
            name,
            link,
            flags: flag_names(dev, mdown),
            mtu: dev.mtu(),
            master: dev.master().map(|m| m.name().to_string()),
            port,
            backup,
        }
    }

    /// The port flags `print_protinfo` prints with `-d`, in its order.
    fn onoff(p: &netdev_bridge::PortInfo) -> Vec<(&'static str, bool)> {
        use netdev_bridge::PortFlags as F;
        let f = p.flags;
        vec![
            ("hairpin", f.contains(F::HAIRPIN)),
            ("guard", f.contains(F::BPDU_GUARD)),
            ("root_block", f.contains(F::ROOT_BLOCK)),
            ("fastleave", f.contains(F::FAST_LEAVE)),
            ("learning", f.contains(F::LEARNING)),
            ("flood", f.contains(F::FLOOD)),
            ("mcast_flood", f.contains(F::MCAST_FLOOD)),
            ("bcast_flood", f.contains(F::BCAST_FLOOD)),
        ]
    }

    /// The flags after `mcast_router`.
    fn onoff2(p: &netdev_bridge::PortInfo) -> Vec<(&'static str, bool)> {
        use netdev_bridge::PortFlags as F;
        let f = p.flags;
        vec![
            ("mcast_to_unicast", f.contains(F::MCAST_TO_UCAST)),
            ("neigh_suppress", f.contains(F::NEIGH_SUPPRESS)),
            ("vlan_tunnel", f.contains(F::VLAN_TUNNEL)),
            ("isolated", f.contains(F::ISOLATED)),
            ("locked", f.contains(F::LOCKED)),
        ]
    }

    /// `print_linkinfo` in text.
    fn text(&self, o: &BrOpts) -> String {
        let mut s = format!("{}: {}: <{}> mtu {} ", self.ifindex, self.name, self.flags.join(","), self.mtu);
        if let Some(m) = &self.master {
            s.push_str(&format!("master {m} "));
        }
        if let Some(p) = &self.port {
            s.push_str(&format!("state {} priority {} cost {} ", p.state, p.priority, p.cost));
            if o.details > 0 {
                s.push_str("\n    ");
                for (k, v) in Self::onoff(p) {
                    s.push_str(&format!("{k} {} ", if v { "on" } else { "off" }));
                }
                s.push_str(&format!("mcast_router {} ", p.mcast_router));
                for (k, v) in Self::onoff2(p) {
                    s.push_str(&format!("{k} {} ", if v { "on" } else { "off" }));
                }
                if let Some(b) = &self.backup {
                    s.push_str(&format!("backup_port {b} "));
                }
            }
        }
        s.push('\n');
        s
    }

    /// `print_linkinfo` in JSON.
    fn json(&self, j: &mut Json, o: &BrOpts) {
        j.begin_object();
        j.name("ifindex");
        j.uint(u64::from(self.ifindex));
        if let Some(l) = &self.link {
            j.name("link");
            j.string(l);
        }
        j.name("ifname");
        j.string(self.name.split('@').next().unwrap_or_default());
        j.name("flags");
        j.strings(&self.flags);
        j.name("mtu");
        j.uint(u64::from(self.mtu));
        if let Some(m) = &self.master {
            j.name("master");
            j.string(m);
        }
        if let Some(p) = &self.port {
            j.name("state");
            j.string(&p.state.to_string());
            j.name("priority");
            j.uint(u64::from(p.priority));
            j.name("cost");
            j.uint(u64::from(p.cost));
            if o.details > 0 {
                for (k, v) in Self::onoff(p) {
                    j.name(k);
                    j.bool(v);
                }
                j.name("mcast_router");
                j.uint(u64::from(p.mcast_router));
                for (k, v) in Self::onoff2(p) {
                    j.name(k);
                    j.bool(v);
                }
                if let Some(b) = &self.backup {
                    j.name("backup_port");
                    j.string(b);
                }
            }
        }
        j.end_object();
    }
}

/// iproute2's `parse_on_off`: `Err` is the message (the caller returns -EINVAL, exit 234).
fn on_off(name: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("Error: argument of \"{name}\" must be \"on\" or \"off\", not \"{v}\"")),
    }
}

/// C's `atoi`: leading blanks, a sign, digits; 0 when there are none.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let mut v: i64 = 0;
    for c in t.chars().take_while(char::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(c as u8 - b'0'));
    }
    if neg { -v } else { v }
}

/// `brlink_modify` (`bridge link set dev PORT ...`): the port attributes in `IFLA_PROTINFO`,
/// then `rtnl_bridge_setlink` (the master's `br_setlink` unless only `self` is given).
fn link_set(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut cfg = PortConfig::default();
    let mut dev: Option<String> = None;
    let (mut is_self, mut is_master) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.as_str();
        // The on/off attributes, by exact keyword.
        let flag: Option<fn(&mut PortConfig, bool)> = match a {
            "guard" => Some(|c, v| c.guard = Some(v)),
            "hairpin" => Some(|c, v| c.hairpin = Some(v)),
            "fastleave" => Some(|c, v| c.fastleave = Some(v)),
            "root_block" => Some(|c, v| c.root_block = Some(v)),
            "learning" => Some(|c, v| c.learning = Some(v)),
            "flood" => Some(|c, v| c.flood = Some(v)),
            "mcast_flood" => Some(|c, v| c.mcast_flood = Some(v)),
            "bcast_flood" => Some(|c, v| c.bcast_flood = Some(v)),
            "mcast_to_unicast" => Some(|c, v| c.mcast_to_unicast = Some(v)),
            "neigh_suppress" => Some(|c, v| c.neigh_suppress = Some(v)),
            "vlan_tunnel" => Some(|c, v| c.vlan_tunnel = Some(v)),
            "isolated" => Some(|c, v| c.isolated = Some(v)),
            "locked" => Some(|c, v| c.locked = Some(v)),
            _ => None,
        };
        if let Some(set) = flag {
            let Some(v) = it.next() else { return incomplete(ctx) };
            match on_off(a, v) {
                Ok(b) => set(&mut cfg, b),
                Err(m) => return ctx.fail(234, &m),
            }
            continue;
        }
        match a {
            "dev" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                dev = Some(v.clone());
            }
            "cost" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                // `cost = atoi()`, sent only when positive.
                let c = atoi(v) as u32;
                if c > 0 {
                    cfg.cost = Some(c);
                }
            }
            "priority" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                // `__s16 priority = atoi()`, sent when not negative.
                let p = atoi(v) as i16;
                if p >= 0 {
                    cfg.priority = Some(p as u16);
                }
            }
            "state" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                // strtol, else a state name; `__s8`, sent when not negative.
                let st = match v.parse::<i64>() {
                    Ok(n) => n as i8,
                    Err(_) => match PORT_STATES.iter().position(|s| s == v) {
                        Some(n) => n as i8,
                        None => return ctx.fail(255, "Error: invalid STP port state"),
                    },
                };
                if st >= 0 {
                    cfg.state = Some(st as u8);
                }
            }
            "mcast_router" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                cfg.mcast_router = Some(atoi(v) as u8);
            }
            "backup_port" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                if dev_by_name(ctx, v).is_none() {
                    return ctx.fail(255, &format!("Cannot find device \"{v}\""));
                }
                cfg.backup_port = Some(Some(v.clone()));
            }
            "nobackup_port" => cfg.backup_port = Some(None),
            "self" => is_self = true,
            "master" => is_master = true,
            "hwmode" | "learning_sync" => return ctx.unsupported("bridge link set", a),
            _ => {
                ctx.eprint(LINK_USAGE);
                return 255;
            }
        }
    }
    let Some(d) = dev else { return ctx.fail(255, "Device is a required argument.") };
    let Some(dev) = dev_by_name(ctx, &d) else {
        return ctx.fail(255, &format!("Cannot find device \"{d}\""));
    };
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    // rtnl_bridge_setlink: the master unless only `self` was asked for; `self` goes to the
    // device's own ndo_bridge_setlink (a bridge's br_setlink, which without a port has nothing
    // to set here).
    let mut res = Ok(());
    if !is_self || is_master {
        res = match netdev_bridge::master_of(&dev) {
            Some(_) => netdev_bridge::set_port(&mut rtnl, &dev, &cfg),
            None => Err(Error::new(Errno::Eopnotsupp)),
        };
    }
    if res.is_ok() && is_self && !netdev_bridge::is_bridge(&dev) {
        res = Err(Error::new(Errno::Eopnotsupp));
    }
    drop(rtnl);
    match res {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

// -------------------------------------------------------------------------------------------- fdb

/// `NUD_*` bits `print_fdb` tests.
const NUD_REACHABLE: u32 = 0x02;
const NUD_STALE: u32 = 0x04;
const NUD_NOARP: u32 = 0x40;
const NUD_PERMANENT: u32 = 0x80;

/// One neighbour message of an `AF_BRIDGE` fdb dump (`fdb_fill_info` or
/// `nlmsg_populate_fdb_fill`).
#[derive(Clone, Debug)]
struct FdbMsg {
    mac: MacAddr,
    ifindex: u32,
    vid: u16,
    state: u32,
    is_self: bool,
    extern_learn: bool,
    offload: bool,
    sticky: bool,
    master: Option<u32>,
    /// `NDA_CACHEINFO` (`used`, `updated`) in centiseconds, for bridge entries.
    cache: Option<(u64, u64)>,
}

/// `bridge fdb ...` (`do_fdb`).
fn fdb(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let Some((cmd, rest)) = args.split_first() else { return fdb_show(ctx, o, &[]) };
    if matches(cmd, "add") {
        fdb_modify(ctx, rest, FdbOp::Add)
    } else if matches(cmd, "append") {
        fdb_modify(ctx, rest, FdbOp::Append)
    } else if matches(cmd, "replace") {
        fdb_modify(ctx, rest, FdbOp::Replace)
    } else if matches(cmd, "delete") {
        fdb_modify(ctx, rest, FdbOp::Del)
    } else if matches(cmd, "get") || matches(cmd, "flush") {
        ctx.unsupported("bridge fdb", cmd)
    } else if matches(cmd, "show") || matches(cmd, "lst") || matches(cmd, "list") {
        fdb_show(ctx, o, rest)
    } else if matches(cmd, "help") {
        ctx.unsupported("bridge fdb", "help")
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"bridge fdb help\"."))
    }
}

/// `state_a2n`: a state name or number for `state S`.
fn state_a2n(s: &str) -> Option<u32> {
    if matches(s, "permanent") {
        Some(NUD_PERMANENT)
    } else if matches(s, "static") || matches(s, "temp") {
        Some(NUD_NOARP)
    } else if matches(s, "stale") {
        Some(NUD_STALE)
    } else if matches(s, "reachable") || matches(s, "dynamic") {
        Some(NUD_REACHABLE)
    } else if s == "all" {
        Some(!0)
    } else {
        parse_u32_base0(s)
    }
}

/// `get_unsigned(.., 0)`: strtoul base 0 of the whole word.
fn parse_u32_base0(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// `state_n2a`.
fn state_n2a(s: u32) -> String {
    if s & NUD_PERMANENT != 0 {
        "permanent".into()
    } else if s & NUD_NOARP != 0 {
        "static".into()
    } else if s & NUD_STALE != 0 {
        "stale".into()
    } else if s & NUD_REACHABLE != 0 {
        String::new()
    } else {
        // C's "%#x" prints 0 without the prefix.
        if s == 0 { "state=0".into() } else { format!("state={s:#x}") }
    }
}

/// `ndo_dflt_fdb_dump`: an Ethernet device's secondary unicast then multicast addresses, as
/// `self permanent` entries.
fn dflt_dump(dev: &NetDevice, out: &mut Vec<FdbMsg>) {
    if dev.dev_type() != ARPHRD_ETHER {
        return;
    }
    for ha in dev.uc_addrs().into_iter().chain(dev.mc_addrs()) {
        out.push(FdbMsg {
            mac: ha.addr,
            ifindex: dev.ifindex(),
            vid: 0,
            state: NUD_PERMANENT,
            is_self: true,
            extern_learn: false,
            offload: false,
            sticky: false,
            master: None,
            cache: None,
        });
    }
}

/// `br_fdb_dump` of bridge `br`: with `filter` the entries pointing at that port, else the
/// bridge's own address lists and its local entries (no port).
fn br_dump(br: &NetDevice, filter: Option<&NetDevice>, out: &mut Vec<FdbMsg>) {
    if filter.is_none() {
        dflt_dump(br, out);
    }
    for e in netdev_bridge::fdb(br) {
        let wanted = match filter {
            Some(p) => e.port_ifindex == Some(p.ifindex()),
            None => e.port_ifindex.is_none(),
        };
        if !wanted {
            continue;
        }
        let state = match e.state {
            FdbNud::Permanent => NUD_PERMANENT,
            FdbNud::Noarp => NUD_NOARP,
            FdbNud::Reachable => NUD_REACHABLE,
            FdbNud::Stale => NUD_STALE,
        };
        out.push(FdbMsg {
            mac: e.mac,
            ifindex: e.port_ifindex.unwrap_or(br.ifindex()),
            vid: e.vid,
            state,
            is_self: false,
            extern_learn: e.extern_learn,
            offload: e.offloaded,
            sticky: e.sticky,
            master: Some(br.ifindex()),
            cache: Some((e.used, e.updated)),
        });
    }
}

/// The kernel's `rtnl_fdb_dump` for the namespace: `br` and `brport` are the `IFLA_MASTER` and
/// ifindex filters of the request.
fn fdb_dump(ctx: &Ctx<'_>, br: Option<&Arc<NetDevice>>, brport: Option<u32>) -> Vec<FdbMsg> {
    let mut out = Vec::new();
    for dev in devices(ctx) {
        if brport.is_some_and(|i| i != dev.ifindex()) {
            continue;
        }
        let master = netdev_bridge::master_of(&dev);
        if let Some(b) = br {
            let is_port = master.is_some();
            if dev.ifindex() != b.ifindex() && !is_port {
                continue;
            }
            if master.as_ref().is_none_or(|m| m.ifindex() != b.ifindex()) && !netdev_bridge::is_bridge(&dev) {
                continue;
            }
        }
        if let Some(m) = &master {
            br_dump(m, Some(&dev), &mut out);
        }
        if netdev_bridge::is_bridge(&dev) {
            br_dump(&dev, None, &mut out);
        } else {
            dflt_dump(&dev, &mut out);
        }
    }
    out
}

/// `fdb_show` + `print_fdb`.
fn fdb_show(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let (mut filter_dev, mut br): (Option<String>, Option<String>) = (None, None);
    let (mut filter_vlan, mut filter_state, mut dynamic) = (0u16, 0u32, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "brport" | "dev" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                filter_dev = Some(v.clone());
            }
            "br" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                br = Some(v.clone());
            }
            "vlan" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                if filter_vlan != 0 {
                    return ctx.fail(255, &format!("Error: duplicate \"vlan\": \"{v}\" is the second value."));
                }
                filter_vlan = atoi(v) as u16;
            }
            "state" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                match state_a2n(v) {
                    Some(s) => filter_state |= s,
                    None => return ctx.fail(255, &format!("Error: argument \"{v}\" is wrong: invalid state")),
                }
            }
            "dynamic" => dynamic = true,
            w if matches(w, "help") => return ctx.unsupported("bridge fdb", "help"),
            _ => {}
        }
    }
    let br_dev = match &br {
        Some(name) => match dev_by_name(ctx, name) {
            Some(d) => Some(d),
            None => return ctx.fail(255, &format!("Cannot find bridge device \"{name}\"")),
        },
        None => None,
    };
    let filter_index = match &filter_dev {
        Some(name) => match dev_by_name(ctx, name) {
            Some(d) => Some(d.ifindex()),
            None => return ctx.fail(255, &format!("Cannot find device \"{name}\"")),
        },
        None => None,
    };
    if br_dev.as_ref().is_some_and(|b| !netdev_bridge::is_bridge(b)) {
        // rtnl_fdb_dump: a master that is not a bridge has no ndo_fdb_dump for its ports; the
        // device itself still dumps its own lists.
    }
    let msgs = fdb_dump(ctx, br_dev.as_ref(), filter_index);
    let names = |i: u32| -> String {
        ctx.s.world().rtnl().dev_by_index(ctx.ns, i).map_or_else(|| format!("if{i}"), |d| d.name().to_string())
    };
    let mut json = o.json.then(|| Json::new(o.pretty));
    let mut text = String::new();
    for m in &msgs {
        if filter_index.is_some_and(|i| i != m.ifindex)
            || (filter_state != 0 && m.state & filter_state == 0)
            || (filter_vlan != 0 && filter_vlan != m.vid)
            || (dynamic && m.state & NUD_PERMANENT != 0)
        {
            continue;
        }
        match &mut json {
            Some(j) => {
                j.begin_object();
                j.name("mac");
                j.string(&m.mac.to_string());
                if filter_index.is_none() && m.ifindex != 0 {
                    j.name("ifname");
                    j.string(&names(m.ifindex));
                }
                if m.vid != 0 {
                    j.name("vlan");
                    j.uint(u64::from(m.vid));
                }
                if let (Some((used, updated)), true) = (m.cache, o.stats > 0) {
                    j.name("used");
                    j.uint(used / 100);
                    j.name("updated");
                    j.uint(updated / 100);
                }
                j.name("flags");
                let mut fl = Vec::new();
                if m.is_self {
                    fl.push("self");
                }
                if m.extern_learn {
                    fl.push("extern_learn");
                }
                if m.offload {
                    fl.push("offload");
                }
                if m.sticky {
                    fl.push("sticky");
                }
                j.strings(&fl);
                if let Some(b) = m.master {
                    j.name("master");
                    j.string(&names(b));
                }
                let st = state_n2a(m.state);
                if !st.is_empty() {
                    j.name("state");
                    j.string(&st);
                }
                j.end_object();
            }
            None => {
                text.push_str(&format!("{} ", m.mac));
                if filter_index.is_none() && m.ifindex != 0 {
                    text.push_str(&format!("dev {} ", names(m.ifindex)));
                }
                if m.vid != 0 {
                    text.push_str(&format!("vlan {} ", m.vid));
                }
                if let (Some((used, updated)), true) = (m.cache, o.stats > 0) {
                    text.push_str(&format!("used {}/{} ", used / 100, updated / 100));
                }
                for (on, w) in [
                    (m.is_self, "self"),
                    (m.extern_learn, "extern_learn"),
                    (m.offload, "offload"),
                    (m.sticky, "sticky"),
                ] {
                    if on {
                        text.push_str(w);
                        text.push(' ');
                    }
                }
                if let Some(b) = m.master {
                    text.push_str(&format!("master {} ", names(b)));
                }
                text.push_str(&state_n2a(m.state));
                text.push('\n');
            }
        }
    }
    match json {
        Some(j) => ctx.print(&j.finish()),
        None => ctx.print(&text),
    }
    0
}

/// Which `fdb_modify` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FdbOp {
    Add,
    Append,
    Replace,
    Del,
}

/// `fdb_modify`, then the kernel's `rtnl_fdb_add` / `rtnl_fdb_del`: the master bridge's
/// handler when `master` is given or no flag is (for a port), then with `self` the device's own
/// (a bridge's `br_fdb_add`, else `ndo_dflt_fdb_add` on its address lists).
fn fdb_modify(ctx: &mut Ctx<'_>, args: &[String], op: FdbOp) -> i32 {
    let (mut dev, mut addr): (Option<String>, Option<String>) = (None, None);
    let (mut is_self, mut is_master, mut sticky, mut use_) = (false, false, false, false);
    // ndm_state starts as NUD_NOARP.
    let mut state = NUD_NOARP;
    let mut vid: Option<i64> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let w = a.as_str();
        if w == "dev" {
            let Some(v) = it.next() else { return incomplete(ctx) };
            dev = Some(v.clone());
        } else if matches!(w, "dst" | "nhid" | "port" | "vni" | "src_vni" | "via") {
            return ctx.unsupported("bridge fdb", w);
        } else if w == "self" {
            is_self = true;
        } else if matches(w, "master") {
            is_master = true;
        } else if matches(w, "router") || matches(w, "extern_learn") {
            return ctx.unsupported("bridge fdb", w);
        } else if matches(w, "local") || matches(w, "permanent") {
            state |= NUD_PERMANENT;
        } else if matches(w, "temp") || matches(w, "static") {
            state |= NUD_REACHABLE;
        } else if matches(w, "dynamic") {
            state |= NUD_REACHABLE;
            state &= !NUD_NOARP;
        } else if matches(w, "vlan") {
            if vid.is_some() {
                let next = it.clone().next().map_or("", String::as_str);
                return ctx.fail(255, &format!("Error: either \"vlan\" is duplicate, or \"{next}\" is a garbage."));
            }
            let Some(v) = it.next() else { return incomplete(ctx) };
            vid = Some(i64::from(atoi(v) as i16));
        } else if matches(w, "use") {
            use_ = true;
        } else if matches(w, "sticky") {
            sticky = true;
        } else {
            let w = if w == "to" {
                match it.next() {
                    Some(v) => v.as_str(),
                    None => return incomplete(ctx),
                }
            } else {
                w
            };
            if matches(w, "help") {
                return ctx.unsupported("bridge fdb", "help");
            }
            if addr.is_some() {
                return ctx.fail(255, &format!("Error: either \"to\" is duplicate, or \"{w}\" is a garbage."));
            }
            addr = Some(w.to_string());
        }
    }
    let (Some(d), Some(addr)) = (dev, addr) else {
        return ctx.fail(255, "Device and address are required arguments.");
    };
    // Assume self; assume permanent.
    if !is_self && !is_master {
        is_self = true;
    }
    if state & (NUD_PERMANENT | NUD_REACHABLE) == 0 {
        state |= NUD_PERMANENT;
    }
    let Some(mac) = sscanf_mac(&addr) else {
        return ctx.fail(255, &format!("Invalid mac address {addr}"));
    };
    let Some(dev) = dev_by_name(ctx, &d) else {
        return ctx.fail(255, &format!("Cannot find device \"{d}\""));
    };
    let res = fdb_request(ctx, &dev, mac, vid, state, (is_self, is_master, sticky, use_), op);
    match res {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

/// `sscanf(addr, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx")`: six hex fields (each taken modulo 256,
/// trailing text ignored).
fn sscanf_mac(s: &str) -> Option<MacAddr> {
    let mut b = [0u8; 6];
    let mut rest = s;
    for (i, slot) in b.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(':')?;
        }
        let t = rest.trim_start();
        let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
        let n = t.chars().take_while(char::is_ascii_hexdigit).count();
        if n == 0 {
            return None;
        }
        let mut v: u8 = 0;
        for c in t[..n].chars() {
            v = v.wrapping_mul(16).wrapping_add(c.to_digit(16).unwrap_or(0) as u8);
        }
        *slot = v;
        rest = &t[n..];
    }
    Some(MacAddr(b))
}

/// The kernel side of an fdb add/del (`rtnl_fdb_add`, `rtnl_fdb_del`).
fn fdb_request(
    ctx: &Ctx<'_>,
    dev: &Arc<NetDevice>,
    mac: MacAddr,
    vid: Option<i64>,
    state: u32,
    (is_self, is_master, sticky, use_): (bool, bool, bool, bool),
    op: FdbOp,
) -> Result<(), Error> {
    if dev.dev_type() != ARPHRD_ETHER {
        let what = if op == FdbOp::Del {
            "FDB delete only supported for Ethernet devices"
        } else {
            "FDB add only supported for Ethernet devices"
        };
        return Err(Error::with_msg(Errno::Einval, what));
    }
    let vid = match vid {
        None => 0,
        Some(v) if v <= 0 || v >= 4095 => return Err(Error::with_msg(Errno::Einval, "invalid vlan id")),
        Some(v) => v as u16,
    };
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    let port_master = netdev_bridge::master_of(dev);
    if (!is_self || is_master) && port_master.is_some() {
        if op == FdbOp::Del {
            netdev_bridge::fdb_del(&mut rtnl, dev, mac, vid)?;
        } else {
            let req = fdb_req(state, sticky, use_, op);
            netdev_bridge::fdb_add(&mut rtnl, dev, mac, vid, &req)?;
        }
    }
    if !is_self {
        if port_master.is_none() {
            return Err(Error::new(Errno::Einval));
        }
        return Ok(());
    }
    if netdev_bridge::is_bridge(dev) {
        return if op == FdbOp::Del {
            netdev_bridge::fdb_del(&mut rtnl, dev, mac, vid)
        } else {
            netdev_bridge::fdb_add(&mut rtnl, dev, mac, vid, &fdb_req(state, sticky, use_, op))
        };
    }
    // ndo_dflt_fdb_add / ndo_dflt_fdb_del on the device's own address lists.
    if op != FdbOp::Del && state & NUD_PERMANENT == 0 {
        return Err(Error::new(Errno::Einval));
    }
    if vid != 0 {
        return Err(Error::new(Errno::Einval));
    }
    let multicast = mac.0[0] & 1 != 0;
    let list = if multicast { dev.mc_addrs() } else { dev.uc_addrs() };
    let present = list.iter().any(|h| h.addr == mac);
    drop(rtnl);
    match op {
        FdbOp::Del => {
            if !present {
                return Err(Error::new(Errno::Enoent));
            }
            if multicast { netdev_core::dev_mc_del(dev, mac) } else { netdev_core::dev_uc_del(dev, mac) }
        }
        _ => {
            if present {
                return Err(Error::new(Errno::Eexist));
            }
            if multicast { netdev_core::dev_mc_add(dev, mac) } else { netdev_core::dev_uc_add(dev, mac) }
        }
    }
}

/// The bridge request for `ndm_state` and the netlink flags of `op` (`br_fdb_add`).
fn fdb_req(state: u32, sticky: bool, use_: bool, op: FdbOp) -> FdbRequest {
    let st = if state & NUD_PERMANENT != 0 {
        FdbState::Permanent
    } else if state & NUD_NOARP != 0 {
        FdbState::Static
    } else {
        FdbState::Reachable
    };
    FdbRequest { state: st, sticky, use_, create: true, excl: op == FdbOp::Add }
}

// ------------------------------------------------------------------------------------------- vlan

/// `bridge vlan ...` (`do_vlan`).
fn vlan(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let Some((cmd, rest)) = args.split_first() else { return vlan_show(ctx, o, &[]) };
    if matches(cmd, "add") {
        vlan_modify(ctx, rest, true)
    } else if matches(cmd, "delete") {
        vlan_modify(ctx, rest, false)
    } else if matches(cmd, "show") || matches(cmd, "lst") || matches(cmd, "list") {
        vlan_show(ctx, o, rest)
    } else if matches(cmd, "set") || matches(cmd, "tunnelshow") || matches(cmd, "global") || matches(cmd, "help") {
        ctx.unsupported("bridge vlan", cmd)
    } else {
        ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"bridge vlan help\"."))
    }
}

/// `vlan_modify` (bridge/vlan.c): `vid N[-M] dev DEV [pvid] [untagged] [self] [master]`, then
/// the kernel's `rtnl_bridge_setlink` / `rtnl_bridge_dellink`.
///
/// iproute2 keeps the VIDs in `short`s filled by `atoi`, looks the device up before checking
/// them, and ignores words it does not know.
fn vlan_modify(ctx: &mut Ctx<'_>, args: &[String], add: bool) -> i32 {
    let mut dev: Option<String> = None;
    let (mut vid, mut vid_end): (i16, i16) = (-1, -1);
    let mut range = false;
    let (mut pvid, mut untagged, mut is_self, mut is_master) = (false, false, false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "dev" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                dev = Some(v.clone());
            }
            "vid" => {
                let Some(v) = it.next() else { return incomplete(ctx) };
                match v.split_once('-') {
                    Some((a, b)) => {
                        vid = atoi(a) as i16;
                        vid_end = atoi(b) as i16;
                        range = true;
                    }
                    None => vid = atoi(v) as i16,
                }
            }
            "tunnel_info" => return ctx.unsupported("bridge vlan", "tunnel_info"),
            "self" => is_self = true,
            "master" => is_master = true,
            "pvid" => pvid = true,
            "untagged" => untagged = true,
            w if matches(w, "help") => return ctx.unsupported("bridge vlan", "help"),
            _ => {}
        }
    }
    let Some(d) = dev.filter(|_| vid != -1) else {
        return ctx.fail(255, "Device and VLAN ID are required arguments.");
    };
    let Some(dev) = dev_by_name(ctx, &d) else {
        return ctx.fail(255, &format!("Cannot find bridge device \"{d}\""));
    };
    // "%hu" of the shorts.
    let (u, u_end) = (vid as u16, vid_end as u16);
    if vid >= 4096 {
        return ctx.fail(255, &format!("Invalid VLAN ID \"{u}\""));
    }
    if range {
        if vid_end == -1 || vid_end >= 4096 || vid >= vid_end {
            return ctx.fail(255, &format!("Invalid VLAN range \"{u}-{u_end}\""));
        }
        if pvid {
            return ctx.fail(255, "pvid cannot be configured for a vlan range");
        }
    }
    let end = if range { u_end } else { u };
    match vlan_setlink(ctx, &dev, (u, end), (pvid, untagged), (is_self, is_master), add) {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

/// The kernel side of `bridge vlan add|del`: `rtnl_bridge_setlink` / `rtnl_bridge_dellink`
/// send the request to the master bridge's `br_setlink` / `br_dellink` for the port when no
/// flag or `master` is given (EOPNOTSUPP without a master), then with `self` to the device's
/// own handler (only a bridge has one: its own VLANs). `br_process_vlan_info` walks the range
/// and `br_vlan_info` checks each VID (`br_vlan_valid_id`); deleting a VLAN that is not there
/// is not an error (`br_vlan_info` ignores `nbp_vlan_delete`'s result).
fn vlan_setlink(
    ctx: &Ctx<'_>,
    dev: &Arc<NetDevice>,
    (vid, end): (u16, u16),
    (pvid, untagged): (bool, bool),
    (is_self, is_master): (bool, bool),
    add: bool,
) -> Result<(), Error> {
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    let apply = |rtnl: &mut netdev_core::Rtnl<'_>| -> Result<(), Error> {
        for v in vid..=end {
            if v == 0 || v >= 4095 {
                return Err(Error::with_msg(Errno::Einval, "Vlan id is invalid"));
            }
            if add {
                netdev_bridge::vlan_add(rtnl, dev, v, pvid, untagged)?;
            } else {
                match netdev_bridge::vlan_del(rtnl, dev, v) {
                    Err(e) if e.errno() == Errno::Enoent => {}
                    r => r?,
                }
            }
        }
        Ok(())
    };
    if !is_self || is_master {
        if netdev_bridge::master_of(dev).is_none() {
            return Err(Error::new(Errno::Eopnotsupp));
        }
        apply(&mut rtnl)?;
    }
    if is_self {
        if !netdev_bridge::is_bridge(dev) {
            return Err(Error::new(Errno::Eopnotsupp));
        }
        apply(&mut rtnl)?;
    }
    Ok(())
}

/// One entry of `IFLA_AF_SPEC` as `br_fill_ifvlaninfo` sends it: a VID (or with `-c` a range of
/// VIDs with the same flags, `br_fill_ifvlaninfo_compressed`) and its `PVID` / `Egress
/// Untagged` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct VlanEntry {
    start: u16,
    end: u16,
    pvid: bool,
    untagged: bool,
}

/// The entries of a VLAN group in VID order; with `compress`, consecutive VIDs with equal flags
/// merge (the PVID is alone by its flag).
fn vlan_entries(vg: &netdev_bridge::VlanGroup, compress: bool) -> Vec<VlanEntry> {
    let mut out: Vec<VlanEntry> = Vec::new();
    for (&vid, &flags) in &vg.vlans {
        let e = VlanEntry {
            start: vid,
            end: vid,
            pvid: vg.pvid == vid,
            untagged: flags & netdev_bridge::VLAN_INFO_UNTAGGED != 0,
        };
        match out.last_mut() {
            Some(l)
                if compress && vid.checked_sub(l.end) == Some(1) && (l.pvid, l.untagged) == (e.pvid, e.untagged) =>
            {
                l.end = vid;
            }
            _ => out.push(e),
        }
    }
    out
}

/// `vlan_show` (bridge/vlan.c, iproute2 6.1): the header, then for every device the kernel's
/// `rtnl_bridge_getlink` answers for (each bridge port through its master's `br_getlink`, each
/// bridge itself since the request carries `RTEXT_FILTER_BRVLAN`) with VLANs, `print_vlan_info`:
/// the name padded to IFNAMSIZ and two spaces on the first line, as many spaces on the others,
/// then `print_range` and `print_vlan_flags`. `vid N` keeps the entries that contain N
/// (`filter_vlan_check`).
fn vlan_show(ctx: &mut Ctx<'_>, o: &BrOpts, args: &[String]) -> i32 {
    let mut filter: Option<String> = None;
    let mut filter_vlan: u16 = 0;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "dev" {
            let Some(v) = it.next() else { return incomplete(ctx) };
            if filter.is_some() {
                return ctx.fail(255, &format!("Error: duplicate \"dev\": \"{v}\" is the second value."));
            }
            filter = Some(v.clone());
        } else if a == "vid" {
            let Some(v) = it.next() else { return incomplete(ctx) };
            if filter_vlan != 0 {
                return ctx.fail(255, &format!("Error: duplicate \"vid\": \"{v}\" is the second value."));
            }
            // An `unsigned int` from atoi; VIDs are 16 bits, so a larger one matches nothing.
            filter_vlan = u16::try_from(atoi(v) as u32).unwrap_or(u16::MAX);
        }
    }
    let filter_index = match &filter {
        Some(name) => match dev_by_name(ctx, name) {
            Some(d) => Some(d.ifindex()),
            None => return ctx.fail(255, &format!("Cannot find device \"{name}\"")),
        },
        None => None,
    };
    let mut json = o.json.then(|| Json::new(o.pretty));
    let mut text = String::new();
    if json.is_none() {
        text.push_str(&format!("{:<16}  {:<9}\n", "port", "vlan-id"));
    }
    for dev in devices(ctx) {
        if filter_index.is_some_and(|i| i != dev.ifindex()) {
            continue;
        }
        let Some(vg) = netdev_bridge::vlans(&dev) else { continue };
        let entries: Vec<VlanEntry> = vlan_entries(&vg, o.compress)
            .into_iter()
            .filter(|e| filter_vlan == 0 || (e.start..=e.end).contains(&filter_vlan))
            .collect();
        if entries.is_empty() {
            continue;
        }
        match &mut json {
            Some(j) => {
                j.begin_object();
                j.name("ifname");
                j.string(&dev.name());
                j.name("vlans");
                j.begin_array();
                for e in &entries {
                    j.begin_object();
                    j.name("vlan");
                    j.uint(u64::from(e.start));
                    if e.end != e.start {
                        j.name("vlanEnd");
                        j.uint(u64::from(e.end));
                    }
                    let fl: Vec<&str> = [(e.pvid, "PVID"), (e.untagged, "Egress Untagged")]
                        .iter()
                        .filter(|f| f.0)
                        .map(|f| f.1)
                        .collect();
                    if !fl.is_empty() {
                        j.name("flags");
                        j.strings(&fl);
                    }
                    j.end_object();
                }
                j.end_array();
                j.end_object();
            }
            None => {
                for (n, e) in entries.iter().enumerate() {
                    let lead = if n == 0 { dev.name().to_string() } else { String::new() };
                    text.push_str(&format!("{lead:<16}  {}", e.start));
                    if e.end != e.start {
                        text.push_str(&format!("-{}", e.end));
                    }
                    if e.pvid {
                        text.push_str(" PVID");
                    }
                    if e.untagged {
                        text.push_str(" Egress Untagged");
                    }
                    text.push('\n');
                }
            }
        }
    }
    match json {
        Some(j) => ctx.print(&j.finish()),
        None => ctx.print(&text),
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_follow_c() {
        assert_eq!(atoi(" 12x"), 12);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(atoi("x"), 0);
        assert_eq!(sscanf_mac("2:0:0:0:1:ff"), Some(MacAddr([2, 0, 0, 0, 1, 0xff])));
        assert_eq!(sscanf_mac("02:00:00:00:01"), None);
        assert_eq!(state_n2a(NUD_PERMANENT), "permanent");
        assert_eq!(state_n2a(NUD_REACHABLE), "");
        assert_eq!(state_n2a(0), "state=0");
        assert_eq!(state_a2n("dyn"), Some(NUD_REACHABLE));
        assert_eq!(state_a2n("bogus"), None);
        assert_eq!(on_off("x", "yes").unwrap_err(), "Error: argument of \"x\" must be \"on\" or \"off\", not \"yes\"");
    }
}
