//! `brctl` (bridge-utils 1.7, `brctl/brctl.c` and `brctl/brctl_cmd.c`): `addbr`, `delbr`,
//! `addif`, `delif`, `stp`, `show`, `showmacs` over the bridge driver, with bridge-utils' texts.
//! The kernel side is the bridge ioctls (`br_ioctl_stub`: `br_add_bridge`, `br_del_bridge`,
//! `add_del_if`) and the `bridge/stp_state` and `brforward` sysfs files.
//!
//! Every failing command exits 1 (bridge-utils' `main` returns the command's `1`).

use std::sync::Arc;

use netdev_core::{ARPHRD_ETHER, Errno, Error, IfFlags, NetDevice, NewLink};

use crate::session::Ctx;

/// bridge-utils' `command_table` (name, arguments needed, help text).
const COMMANDS: [(&str, usize, &str); 16] = [
    ("addbr", 1, "<bridge>\t\tadd bridge"),
    ("delbr", 1, "<bridge>\t\tdelete bridge"),
    ("addif", 2, "<bridge> <device>\tadd interface to bridge"),
    ("delif", 2, "<bridge> <device>\tdelete interface from bridge"),
    ("hairpin", 3, "<bridge> <port> {on|off}\tturn hairpin on/off"),
    ("setageing", 2, "<bridge> <time>\t\tset ageing time"),
    ("setbridgeprio", 2, "<bridge> <prio>\t\tset bridge priority"),
    ("setfd", 2, "<bridge> <time>\t\tset bridge forward delay"),
    ("sethello", 2, "<bridge> <time>\t\tset hello time"),
    ("setmaxage", 2, "<bridge> <time>\t\tset max message age"),
    ("setpathcost", 3, "<bridge> <port> <cost>\tset path cost"),
    ("setportprio", 3, "<bridge> <port> <prio>\tset port priority"),
    ("show", 0, "[ <bridge> ]\t\tshow a list of bridges"),
    ("showmacs", 1, "<bridge>\t\tshow a list of mac addrs"),
    ("showstp", 1, "<bridge>\t\tshow bridge stp info"),
    ("stp", 2, "<bridge> {on|off}\tturn stp on/off"),
];

/// `help()`: the command list on standard output.
fn help() -> String {
    let mut s = String::from("Usage: brctl [commands]\ncommands:\n");
    for (name, _, text) in COMMANDS {
        s.push_str(&format!("\t{name:<10}\t{text}\n"));
    }
    s
}

/// `brctl ARGS...` (`main` of brctl.c): look the command up, check its argument count, run it.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        ctx.print(&help());
        return 1;
    };
    if matches!(cmd.as_str(), "-V" | "--version") {
        ctx.print("bridge-utils, 1.7\n");
        return 0;
    }
    let Some((name, nargs, text)) = COMMANDS.iter().find(|(n, _, _)| n == cmd).copied() else {
        ctx.eprint(&format!("never heard of command [{cmd}]\n"));
        ctx.print(&help());
        return 1;
    };
    if rest.len() < nargs {
        ctx.print(&format!("Incorrect number of arguments for command\nUsage: brctl {name} {text}\n"));
        return 1;
    }
    match name {
        "addbr" => addbr(ctx, &rest[0]),
        "delbr" => delbr(ctx, &rest[0]),
        "addif" => addif(ctx, &rest[0], &rest[1..], true),
        "delif" => addif(ctx, &rest[0], &rest[1..], false),
        "stp" => stp(ctx, &rest[0], &rest[1]),
        "show" => show(ctx, rest),
        "showmacs" => showmacs(ctx, &rest[0]),
        _ => ctx.unsupported("brctl", name),
    }
}

/// The device `name` in the command's namespace.
fn dev(ctx: &Ctx<'_>, name: &str) -> Option<Arc<NetDevice>> {
    ctx.s.world().rtnl().dev_by_name(ctx.ns, name)
}

/// `br_cmd_addbr`: `br_add_bridge` (SIOCBRADDBR), a bridge with default settings.
fn addbr(ctx: &mut Ctx<'_>, name: &str) -> i32 {
    let res = {
        let world = ctx.s.world();
        let mut rtnl = world.rtnl();
        let req = NewLink { name: Some(name.to_string()), ..NewLink::in_netns(ctx.ns) };
        rtnl.link_add(netdev_bridge::KIND, &req, &[]).map(|_| ())
    };
    match res {
        Ok(()) => 0,
        Err(e) if e.errno() == Errno::Eexist => {
            ctx.fail(1, &format!("device {name} already exists; can't create bridge with the same name"))
        }
        Err(e) => ctx.fail(1, &format!("add bridge failed: {}", crate::util::strerror(e.errno()))),
    }
}

/// `br_cmd_delbr`: `br_del_bridge`: ENXIO without such a device, EPERM for one that is not a
/// bridge, EBUSY while it is up.
fn delbr(ctx: &mut Ctx<'_>, name: &str) -> i32 {
    // ENXIO has no Errno here: `None` stands for it.
    let res = match dev(ctx, name) {
        None => Err(None),
        Some(d) if !netdev_bridge::is_bridge(&d) => Err(Some(Errno::Eperm)),
        Some(d) if d.flags().contains(IfFlags::UP) => Err(Some(Errno::Ebusy)),
        Some(d) => {
            let world = ctx.s.world();
            let mut rtnl = world.rtnl();
            rtnl.dellink(&d).map_err(|e| Some(e.errno()))
        }
    };
    match res {
        Ok(()) => 0,
        Err(None) => ctx.fail(1, &format!("bridge {name} doesn't exist; can't delete it")),
        Err(Some(Errno::Ebusy)) => ctx.fail(1, &format!("bridge {name} is still up; can't delete it")),
        Err(Some(e)) => ctx.fail(1, &format!("can't delete bridge {name}: {}", crate::util::strerror(e))),
    }
}

/// `br_cmd_addif` / `br_cmd_delif`: each device in turn (SIOCBRADDIF / SIOCBRDELIF on the
/// bridge, `br_add_if` / `br_del_if`); the first failure ends the command.
fn addif(ctx: &mut Ctx<'_>, br: &str, ifs: &[String], add: bool) -> i32 {
    for ifname in ifs {
        let port = dev(ctx, ifname);
        let bridge = dev(ctx, br);
        let res: Result<(), Errno> = match (port, bridge) {
            (None, _) | (_, None) => Err(Errno::Enodev),
            (Some(_), Some(b)) if !netdev_bridge::is_bridge(&b) => Err(Errno::Eopnotsupp),
            (Some(p), Some(b)) => port_change(ctx, &p, &b, add).map_err(|e| e.errno()),
        };
        let msg = match res {
            Ok(()) => continue,
            Err(Errno::Enodev) if dev(ctx, ifname).is_none() => format!("interface {ifname} does not exist!"),
            Err(Errno::Enodev) => format!("bridge {br} does not exist!"),
            Err(Errno::Ebusy) if add => {
                format!("device {ifname} is already a member of a bridge; can't enslave it to bridge {br}.")
            }
            Err(Errno::Eloop) if add => {
                format!("device {ifname} is a bridge device itself; can't enslave a bridge device to a bridge device.")
            }
            Err(Errno::Einval) if !add => format!("device {ifname} is not a slave of {br}"),
            Err(e) if add => format!("can't add {ifname} to bridge {br}: {}", crate::util::strerror(e)),
            Err(e) => format!("can't delete {ifname} from {br}: {}", crate::util::strerror(e)),
        };
        return ctx.fail(1, &msg);
    }
    0
}

/// `br_add_if` (ELOOP for a bridge, EINVAL for loopback or a non-Ethernet device, EBUSY for a
/// device that already has a master) or `br_del_if` (EINVAL unless a port of `br`).
fn port_change(ctx: &Ctx<'_>, p: &Arc<NetDevice>, br: &Arc<NetDevice>, add: bool) -> Result<(), Error> {
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    if add {
        if netdev_bridge::is_bridge(p) {
            return Err(Error::new(Errno::Eloop));
        }
        if p.flags().contains(IfFlags::LOOPBACK) || p.dev_type() != ARPHRD_ETHER {
            return Err(Error::new(Errno::Einval));
        }
        if p.master().is_some() {
            return Err(Error::new(Errno::Ebusy));
        }
        rtnl.set_master(p, Some(br))
    } else {
        if netdev_bridge::master_of(p).is_none_or(|m| m.ifindex() != br.ifindex()) {
            return Err(Error::new(Errno::Einval));
        }
        rtnl.set_master(p, None)
    }
}

/// `br_cmd_stp`: on/yes/1 or off/no/0, written to `bridge/stp_state` (`br_stp_set_enabled`).
fn stp(ctx: &mut Ctx<'_>, br: &str, v: &str) -> i32 {
    let on = match v {
        "on" | "yes" | "1" => "1",
        "off" | "no" | "0" => "0",
        _ => return ctx.fail(1, "expect on/off for argument"),
    };
    let res = match dev(ctx, br) {
        None => Err(Errno::Enodev),
        Some(d) if !netdev_bridge::is_bridge(&d) => Err(Errno::Eopnotsupp),
        Some(d) => {
            let world = ctx.s.world();
            let mut rtnl = world.rtnl();
            rtnl.link_change(&d, netdev_bridge::KIND, &["stp_state", on]).map_err(|e| e.errno())
        }
    };
    match res {
        Ok(()) => 0,
        Err(e) => ctx.fail(1, &format!("set stp status failed: {}", crate::util::strerror(e))),
    }
}

/// `br_dump_bridge_id`: priority and MAC as 16 hex digits with a dot after the first four.
fn bridge_id(info: &netdev_bridge::BridgeInfo) -> String {
    let m = info.bridge_id.addr.0;
    let p = info.bridge_id.prio;
    format!("{:02x}{:02x}.{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", p >> 8, p & 0xff, m[0], m[1], m[2], m[3], m[4], m[5])
}

/// `br_cmd_show`: the header, then every bridge (`br_foreach_bridge`, by name) or the named
/// ones, each with its ports by name (`br_foreach_port` scans `brif/` sorted).
fn show(ctx: &mut Ctx<'_>, names: &[String]) -> i32 {
    let mut out = String::from("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
    let list: Vec<String> = if names.is_empty() {
        let mut v: Vec<String> = ctx
            .s
            .world()
            .rtnl()
            .devices(ctx.ns)
            .iter()
            .filter(|d| netdev_bridge::is_bridge(d))
            .map(|d| d.name().to_string())
            .collect();
        v.sort();
        v
    } else {
        names.to_vec()
    };
    let mut rc = 0;
    for name in list {
        // show_bridge: the name first, then the info (or the error on stderr).
        out.push_str(&format!("{name}\t\t"));
        let info = dev(ctx, &name).and_then(|d| netdev_bridge::info(&d).map(|i| (d, i)));
        let Some((d, info)) = info else {
            ctx.print(&out);
            out.clear();
            ctx.eprint("can't get info No such device\n");
            rc = 1;
            continue;
        };
        out.push_str(&bridge_id(&info));
        out.push_str(&format!("\t{}\t\t", if info.stp_state != 0 { "yes" } else { "no" }));
        let rtnl = ctx.s.world().rtnl();
        let mut ports: Vec<String> = netdev_bridge::ports(&d)
            .iter()
            .filter_map(|p| rtnl.dev_by_index(d.netns(), p.ifindex))
            .map(|p| p.name().to_string())
            .collect();
        drop(rtnl);
        ports.sort();
        if ports.is_empty() {
            out.push('\n');
        }
        for (i, p) in ports.iter().enumerate() {
            if i > 0 {
                out.push_str("\t\t\t\t\t\t\t");
            }
            out.push_str(p);
            out.push('\n');
        }
    }
    ctx.print(&out);
    let _ = rc;
    0
}

/// `br_cmd_showmacs`: the `brforward` entries (every entry with a port, not expired: local ones
/// `yes` with a zero timer, others `no` with the time since last seen), sorted by MAC.
fn showmacs(ctx: &mut Ctx<'_>, br: &str) -> i32 {
    let Some(d) = dev(ctx, br).filter(|d| netdev_bridge::is_bridge(d)) else {
        return ctx.fail(1, "read of forward table failed: No such device");
    };
    let ports = netdev_bridge::ports(&d);
    let mut rows: Vec<(netdev_core::MacAddr, u16, bool, u64)> = netdev_bridge::fdb(&d)
        .into_iter()
        .filter(|e| e.state != netdev_bridge::FdbNud::Stale)
        .filter_map(|e| {
            let port_no = ports.iter().find(|p| Some(p.ifindex) == e.port_ifindex)?.port_no;
            let local = e.state == netdev_bridge::FdbNud::Permanent;
            Some((e.mac, port_no, local, if local { 0 } else { e.updated }))
        })
        .collect();
    // compare_fdbs: memcmp of the MACs (a stable sort keeps equal MACs in dump order).
    rows.sort_by_key(|r| r.0.0);
    let mut out = String::from("port no\tmac addr\t\tis local?\tageing timer\n");
    for (mac, port, local, cs) in rows {
        out.push_str(&format!(
            "{port:3}\t{mac}\t{}\t\t{:4}.{:02}\n",
            if local { "yes" } else { "no" },
            cs / 100,
            cs % 100
        ));
    }
    ctx.print(&out);
    0
}
