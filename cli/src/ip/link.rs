//! `ip link` (iproute2 6.1 `ip/iplink.c`, `ip/ipaddress.c`), and the link records `ip link show`
//! and `ip addr show` share (`print_linkinfo`).
//!
//! - `add`, `set`/`change`, `delete` go through one parser, [`parse`] (`iplink_parse`): keywords
//!   in any order, the prefixes iproute2 accepts (`ip l s x up`, `addr`, `txq`), `dev` optional
//!   before the name, and iproute2's own errors (exit status 255 for a bad argument, 1 for a
//!   failed lookup) before anything reaches the kernel. Then the request is applied in the order
//!   of the kernel's `do_setlink`; a kernel error is `Error: MSG.` when the core gives an extended
//!   ack, else `RTNETLINK answers: STRERROR`, exit status 2.
//! - `show`/`list`/`lst` (`ipaddr_list_link`): the text record, `-d`, `-s`/`-s -s`, `-o`, `-br`,
//!   `-j`/`-j -p`.
//!
//! Not modelled (vnet names the word and exits 255): `broadcast`, `group`, `mode`, `state`, XDP,
//! `vf`, `vrf`, queue counts, `addrgenmode`, `link-netns(id)`, `protodown`, GSO/GRO limits,
//! `xstats`, `afstats`, `property`, `replace`, and `ip link help` (its text is not reproduced).
//! `-d` shows a kind's attributes from [`LinkKind::fill_info`](netdev_core::LinkKind::fill_info)
//! in text only (JSON gets `info_kind`), and no `*_slave` line.

mod json;
mod print;
mod stacked;

use std::sync::Arc;

use netdev_core::{Carrier, Errno, Error, IFNAMSIZ, IfFlags, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, Rtnl};
use netdev_veth::{PeerNetns, PeerSpec, VethConfig};

pub(crate) use json::Json;
use print::View;
#[allow(unused_imports, reason = "the shared link lines of `ip addr`, which another change builds")]
pub(crate) use print::{flag_names, header, link_suffix, stats_block};
pub(crate) use print::{record, record_json};

use super::{INCOMPLETE, IpOpts, matches};
use crate::session::Ctx;

/// `ip link ARGS...` (`do_iplink`). The first word is matched in iproute2's order, so `ip l s` is
/// `set` and `ip l sh` is `show`.
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let Some(cmd) = args.first().map(String::as_str) else { return show(ctx, o, &[]) };
    let rest = &args[1..];
    let op = if matches(cmd, "add") {
        Op::Add
    } else if matches(cmd, "set") || matches(cmd, "change") {
        Op::Set
    } else if matches(cmd, "replace") {
        return ctx.unsupported("ip link", "replace");
    } else if matches(cmd, "delete") {
        Op::Del
    } else if matches(cmd, "show") || matches(cmd, "lst") || matches(cmd, "list") {
        return show(ctx, o, rest);
    } else if matches(cmd, "xstats") || matches(cmd, "afstats") || matches(cmd, "property") || matches(cmd, "help") {
        return ctx.unsupported("ip link", cmd);
    } else {
        return ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip link help\"."));
    };
    let req = match parse(ctx, rest, op == Op::Add) {
        Ok(r) => r,
        Err(f) => return f.emit(ctx),
    };
    let kind_cfg = match req.kind.as_deref() {
        Some(kind) => match kind_args(ctx, kind, &req.kind_args) {
            Ok(k) => k,
            Err(f) => return f.emit(ctx),
        },
        None if op == Op::Add => {
            return ctx.fail(1, "Not enough information: \"type\" argument is required");
        }
        None => KindArgs::None,
    };
    match op {
        Op::Add => add(ctx, &req, kind_cfg),
        Op::Set => set(ctx, &req, kind_cfg),
        Op::Del => del(ctx, &req),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Set,
    Del,
}

// ------------------------------------------------------------------------------------- errors

/// An iproute2-side failure: what it prints and the exit status, before any netlink request.
#[derive(Debug)]
enum Fail {
    /// A message on standard error (without its final newline) and the exit status.
    Err(i32, String),
    /// A message on standard output (a link kind's `usage()`) and the exit status.
    Out(i32, String),
    /// A keyword iproute2 knows and vnet does not model.
    Unsupported(String),
}

impl Fail {
    fn emit(self, ctx: &mut Ctx<'_>) -> i32 {
        match self {
            Fail::Err(rc, msg) => {
                ctx.eprint(&msg);
                ctx.eprint("\n");
                rc
            }
            Fail::Out(rc, msg) => {
                ctx.print(&msg);
                rc
            }
            Fail::Unsupported(w) => ctx.unsupported("ip link", &w),
        }
    }
}

/// `invarg(msg, arg)`: exit(-1). A message ending in `\n` leaves an empty line, as in iproute2.
fn invarg(msg: &str, arg: &str) -> Fail {
    Fail::Err(255, format!("Error: argument \"{arg}\" is wrong: {msg}"))
}

/// `duparg(key, arg)`.
fn duparg(key: &str, arg: &str) -> Fail {
    Fail::Err(255, format!("Error: duplicate \"{key}\": \"{arg}\" is the second value."))
}

/// `duparg2(key, arg)`.
fn duparg2(key: &str, arg: &str) -> Fail {
    Fail::Err(255, format!("Error: either \"{key}\" is duplicate, or \"{arg}\" is a garbage."))
}

/// `nodev(dev)`: return -1.
fn nodev(dev: &str) -> Fail {
    Fail::Err(1, format!("Cannot find device \"{dev}\""))
}

/// A kernel error as `rtnl_talk` prints it: the extended ack (`nl_dump_ext_ack`, a `.` added if
/// missing), else `RTNETLINK answers: strerror(errno)`. Exit status 2.
pub(crate) fn kernel_error(ctx: &mut Ctx<'_>, e: &Error) -> i32 {
    match e.extack() {
        Some(m) if m.ends_with('.') => ctx.fail(2, &format!("Error: {m}")),
        Some(m) => ctx.fail(2, &format!("Error: {m}.")),
        None => ctx.fail(2, &format!("RTNETLINK answers: {}", crate::util::strerror(e.errno()))),
    }
}

// ------------------------------------------------------------------------------------ parsing

/// Where `netns` points (`netns_get_fd` on a name, else a PID: `IFLA_NET_NS_PID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NsRef {
    Ns(NetnsId),
    Pid(i64),
}

/// One parsed `ip link add|set|del` request (the attributes `iplink_parse` puts in the message).
#[derive(Debug, Default)]
struct LinkReq {
    /// The device the request is about (`set`, `del`), by ifindex in the caller's namespace.
    ifindex: u32,
    /// `IFLA_IFNAME`: the new device's name (`add`) or a new name (`set`).
    name: Option<String>,
    /// `index` (`add` only).
    index: u32,
    /// `link DEV` resolved (`IFLA_LINK`).
    link: Option<u32>,
    address: Option<Vec<u8>>,
    txqlen: Option<i32>,
    mtu: Option<i32>,
    netns: Option<NsRef>,
    up: Option<bool>,
    /// `ifi_change`/`ifi_flags` for the user-changeable bits (multicast, arp, dynamic, trailers).
    flag_mask: u32,
    flag_value: u32,
    promisc: Option<bool>,
    allmulti: Option<bool>,
    carrier: Option<Carrier>,
    /// `IFLA_MASTER`: 0 is `nomaster`.
    master: Option<u32>,
    alias: Option<String>,
    kind: Option<String>,
    kind_args: Vec<String>,
}

/// The words of a command line, with iproute2's `NEXT_ARG()`.
struct Words<'a> {
    args: &'a [String],
    pos: usize,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let w = self.args.get(self.pos)?;
        self.pos += 1;
        Some(w)
    }

    /// `NEXT_ARG()`: the value of the keyword just read, or "Command line is not complete".
    fn value(&mut self) -> Result<&'a str, Fail> {
        self.next().ok_or_else(|| Fail::Err(255, INCOMPLETE.to_string()))
    }

    fn rest(&self) -> Vec<String> {
        self.args.get(self.pos..).unwrap_or_default().to_vec()
    }
}

/// `iplink_parse`: the generic attributes, up to `type KIND` (the rest is the kind's). `create`
/// is `NLM_F_CREATE` (`add`): the name is the new device's, and `link` is resolved; otherwise the
/// device must exist (`Cannot find device`), and `name` renames it.
fn parse(ctx: &Ctx<'_>, args: &[String], create: bool) -> Result<LinkReq, Fail> {
    let mut r = LinkReq::default();
    let mut dev: Option<&str> = None;
    let mut name: Option<&str> = None;
    // `dev` was set by `name` (iproute2 compares the two pointers).
    let mut dev_is_name = false;
    let mut link: Option<&str> = None;
    let mut index_given = false;
    let mut w = Words { args, pos: 0 };
    while let Some(a) = w.next() {
        match a {
            "up" => r.up = Some(true),
            "down" => r.up = Some(false),
            "name" => {
                let v = w.value()?;
                if name.is_some() {
                    return Err(duparg("name", v));
                }
                if !check_ifname(v, IFNAMSIZ) {
                    return Err(invarg("\"name\" not a valid ifname", v));
                }
                name = Some(v);
                if dev.is_none() {
                    dev = Some(v);
                    dev_is_name = true;
                }
            }
            "index" => {
                let v = w.value()?;
                if index_given {
                    return Err(duparg("index", v));
                }
                let i = atoi(v);
                if i <= 0 {
                    return Err(invarg("Invalid \"index\" value", v));
                }
                index_given = true;
                r.index = u32::try_from(i).unwrap_or(0);
            }
            _ if matches(a, "link") => link = Some(w.value()?),
            _ if matches(a, "address") => r.address = Some(ll_addr_a2n(w.value()?)?),
            _ if matches(a, "broadcast") || a == "brd" => return Err(unsupported_with_value(&mut w, a)),
            _ if matches(a, "txqueuelen") || a == "qlen" || matches(a, "txqlen") => {
                let v = w.value()?;
                if r.txqlen.is_some() {
                    return Err(duparg("txqueuelen", v));
                }
                r.txqlen = Some(get_integer(v).ok_or_else(|| invarg("Invalid \"txqueuelen\" value\n", v))?);
            }
            "mtu" => {
                let v = w.value()?;
                if r.mtu.is_some() {
                    return Err(duparg("mtu", v));
                }
                r.mtu = Some(get_integer(v).ok_or_else(|| invarg("Invalid \"mtu\" value\n", v))?);
            }
            "netns" => {
                let v = w.value()?;
                if r.netns.is_some() {
                    return Err(duparg("netns", v));
                }
                r.netns = Some(match netns_by_path(ctx, v) {
                    Some(ns) => NsRef::Ns(ns),
                    None => NsRef::Pid(get_integer(v).ok_or_else(|| invarg("Invalid \"netns\" value\n", v))?.into()),
                });
            }
            "multicast" => flag_on_off(&mut r, &mut w, a, IfFlags::MULTICAST, false)?,
            "allmulticast" => r.allmulti = Some(on_off(a, w.value()?)?),
            "promisc" => r.promisc = Some(on_off(a, w.value()?)?),
            "trailers" => flag_on_off(&mut r, &mut w, a, IfFlags::NOTRAILERS, true)?,
            "arp" => flag_on_off(&mut r, &mut w, a, IfFlags::NOARP, true)?,
            "carrier" => {
                // parse_on_off: a prefix of "off" or "on"; a bad value returns -EINVAL, exit 22.
                let v = w.value()?;
                r.carrier = Some(if matches(v, "off") {
                    Carrier::Off
                } else if matches(v, "on") {
                    Carrier::On
                } else {
                    return Err(Fail::Err(
                        Errno::Einval.code(),
                        format!("Error: argument of \"carrier\" must be one of \"off\", \"on\", not \"{v}\""),
                    ));
                });
            }
            "vf" | "xdp" | "xdpgeneric" | "xdpdrv" | "xdpoffload" => return Err(Fail::Unsupported(a.to_string())),
            "vrf" => return Err(unsupported_with_value(&mut w, a)),
            _ if matches(a, "master") => {
                let v = w.value()?;
                let idx = name_to_index(ctx, v).ok_or_else(|| invarg("Device does not exist\n", v))?;
                r.master = Some(idx);
            }
            _ if matches(a, "nomaster") => r.master = Some(0),
            _ if matches(a, "dynamic") => flag_on_off(&mut r, &mut w, a, IfFlags::DYNAMIC, false)?,
            _ if matches(a, "type") => {
                r.kind = Some(w.value()?.to_string());
                r.kind_args = w.rest();
                break;
            }
            _ if matches(a, "alias") => {
                let v = w.value()?;
                if v.len() >= 256 {
                    return Err(invarg("alias too long\n", v));
                }
                r.alias = Some(v.to_string());
            }
            "group" | "mode" | "state" => return Err(unsupported_with_value(&mut w, a)),
            _ if matches(a, "numtxqueues")
                || matches(a, "numrxqueues")
                || matches(a, "addrgenmode")
                || matches(a, "link-netns") =>
            {
                return Err(unsupported_with_value(&mut w, a));
            }
            "link-netnsid" | "protodown" | "protodown_reason" | "gso_max_size" | "gso_max_segs" | "gro_max_size"
            | "parentdev" => return Err(unsupported_with_value(&mut w, a)),
            _ => {
                if matches(a, "help") {
                    return Err(Fail::Unsupported("help".to_string()));
                }
                let v = if a == "dev" { w.value()? } else { a };
                if dev.is_some() && !dev_is_name {
                    return Err(duparg2("dev", v));
                }
                if !check_ifname(v, ALTIFNAMSIZ) {
                    return Err(invarg("\"dev\" not a valid ifname", v));
                }
                dev = Some(v);
                dev_is_name = false;
            }
        }
    }
    // "Allow `ip link add dev` and `ip link add name`": the two are one unless both were given
    // and differ.
    let same = match (dev, name) {
        (_, None) | (None, _) => true,
        (Some(d), Some(n)) => dev_is_name || d == n,
    };
    let name = name.or(dev);
    if let (Some(d), Some(addr), false) = (dev, &r.address, create) {
        // nl_get_ll_addr_len: the device's own address length (none for devices without one).
        let halen = name_to_index(ctx, d)
            .and_then(|i| ctx.s.world().rtnl().dev_by_index(ctx.ns, i))
            .map(|dev| usize::from(dev.addr_len()))
            .filter(|l| *l > 0);
        if let Some(h) = halen.filter(|h| *h != addr.len()) {
            return Err(Fail::Err(1, format!("Invalid address length {} - must be {h} bytes", addr.len())));
        }
    }
    if !create && index_given {
        return Err(Fail::Err(255, "index can be used only when creating devices.".to_string()));
    }
    if create {
        if !same {
            return Err(Fail::Err(255, "both \"name\" and \"dev\" cannot be used when creating devices.".to_string()));
        }
        if let Some(l) = link {
            r.link = Some(name_to_index(ctx, l).ok_or_else(|| nodev(l))?);
        }
        r.name = name.map(str::to_string);
    } else {
        let Some(d) = dev else {
            return Err(Fail::Err(255, "Not enough information: \"dev\" argument is required.".to_string()));
        };
        r.ifindex = name_to_index(ctx, d).ok_or_else(|| nodev(d))?;
        // Not renaming to the same name.
        r.name = if same { None } else { name.map(str::to_string) };
    }
    Ok(r)
}

/// A keyword vnet does not model that takes a value: iproute2's `NEXT_ARG()` still applies.
fn unsupported_with_value(w: &mut Words<'_>, key: &str) -> Fail {
    match w.value() {
        Ok(_) => Fail::Unsupported(key.to_string()),
        Err(f) => f,
    }
}

/// `ifi_change`/`ifi_flags` for one of the on/off flags; `inverted` for `arp` (IFF_NOARP) and
/// `trailers` (IFF_NOTRAILERS).
fn flag_on_off(r: &mut LinkReq, w: &mut Words<'_>, key: &str, flag: IfFlags, inverted: bool) -> Result<(), Fail> {
    let on = on_off(key, w.value()?)? != inverted;
    r.flag_mask |= flag.bits();
    if on {
        r.flag_value |= flag.bits();
    } else {
        r.flag_value &= !flag.bits();
    }
    Ok(())
}

/// `on_off()`: exactly `on` or `off`, else an error and exit status 1.
fn on_off(key: &str, v: &str) -> Result<bool, Fail> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(Fail::Err(1, format!("Error: argument of \"{key}\" must be \"on\" or \"off\", not \"{v}\""))),
    }
}

/// `ALTIFNAMSIZ`: the limit `check_altifname` applies to a device given by name.
const ALTIFNAMSIZ: usize = 128;

/// `check_ifname`/`check_altifname`: non-empty, shorter than `size`, no `/` and no white space.
fn check_ifname(name: &str, size: usize) -> bool {
    !name.is_empty() && name.len() < size && !name.bytes().any(|b| b == b'/' || b.is_ascii_whitespace())
}

/// `ll_name_to_index` in the caller's namespace: the name, else `ifN` (`ll_idx_a2n`).
fn name_to_index(ctx: &Ctx<'_>, name: &str) -> Option<u32> {
    if let Some(d) = ctx.s.world().rtnl().dev_by_name(ctx.ns, name) {
        return Some(d.ifindex());
    }
    let digits: String = name.strip_prefix("if")?.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u32>().ok().filter(|i| *i != 0)
}

/// `netns_get_fd`: a name under `/run/netns`, or a path to one.
fn netns_by_path(ctx: &Ctx<'_>, v: &str) -> Option<NetnsId> {
    let name =
        if v.contains('/') { v.strip_prefix("/run/netns/").or_else(|| v.strip_prefix("/var/run/netns/"))? } else { v };
    super::lookup_netns(ctx, name)
}

/// C's `strtol(arg, &end, 0)` over the whole word: optional space and sign, `0x` hex, `0` octal.
fn strtol(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// `get_integer(&val, arg, 0)`: the whole word, within `int`.
fn get_integer(s: &str) -> Option<i32> {
    strtol(s).and_then(|v| i32::try_from(v).ok())
}

/// C's `atoi`: leading digits, 0 if none.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = t
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |a, d| a.saturating_mul(10).saturating_add(i64::from(d - b'0')).min(i64::from(u32::MAX) + 1));
    if neg { -v } else { v }
}

/// `ll_addr_a2n` (lib/ll_addr.c): `aa:bb:...` (each part `%x`, at most 255) or a dotted IPv4
/// address; the error names the part that failed, exit status 1.
fn ll_addr_a2n(arg: &str) -> Result<Vec<u8>, Fail> {
    let bad = |part: &str| Fail::Err(1, format!("\"{part}\" is invalid lladdr."));
    if arg.contains('.') {
        let ip: std::net::Ipv4Addr = arg.parse().map_err(|_| bad(arg))?;
        return Ok(ip.octets().to_vec());
    }
    let mut out = Vec::new();
    for part in arg.split(':') {
        // The buffer holds 32 bytes; iproute2 stops there.
        if out.len() == 32 {
            break;
        }
        let v = scan_hex(part).ok_or_else(|| bad(part))?;
        out.push(u8::try_from(v).map_err(|_| bad(part))?);
    }
    Ok(out)
}

/// `sscanf(s, "%x")`: optional space, sign and `0x`, then at least one hex digit (the rest of the
/// word is ignored).
fn scan_hex(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) if h.starts_with(|c: char| c.is_ascii_hexdigit()) => h,
        _ => t,
    };
    let digits: String = t.chars().take_while(char::is_ascii_hexdigit).collect();
    if digits.is_empty() {
        return None;
    }
    let v = if digits.len() > 8 { i64::MAX } else { i64::from_str_radix(&digits, 16).ok()? };
    Some(if neg { -v } else { v })
}

// ---------------------------------------------------------------------------------- link kinds

/// The link kinds iproute2 6.1 knows and whether its `link_util` has a `parse_opt` (takes
/// arguments after `type KIND`). A kind it does not know, or one without `parse_opt`, given
/// arguments is "Garbage instead of arguments".
const IPROUTE2_KINDS: [(&str, bool); 47] = [
    ("amt", true),
    ("bareudp", true),
    ("batadv", true),
    ("bond", true),
    ("bond_slave", true),
    ("bridge", true),
    ("bridge_slave", true),
    ("can", true),
    ("dsa", true),
    ("dummy", false),
    ("erspan", true),
    ("geneve", true),
    ("gre", true),
    ("gretap", true),
    ("gtp", true),
    ("hsr", true),
    ("ifb", false),
    ("ip6erspan", true),
    ("ip6gre", true),
    ("ip6gretap", true),
    ("ip6tnl", true),
    ("ipip", true),
    ("ipoib", true),
    ("ipvlan", true),
    ("ipvtap", true),
    ("lowpan", false),
    ("macsec", true),
    ("macvlan", true),
    ("macvtap", true),
    ("netdevsim", false),
    ("nlmon", false),
    ("rmnet", true),
    ("sit", true),
    ("team", false),
    ("team_slave", false),
    ("vcan", false),
    ("veth", true),
    ("virt_wifi", false),
    ("vlan", true),
    ("vrf", true),
    ("vti", true),
    ("vti6", true),
    ("vxcan", true),
    ("vxlan", true),
    ("wwan", true),
    ("xfrm", true),
    ("macvlan_slave", false),
];

/// What follows `type KIND`, as iproute2 hands it to the kernel.
#[derive(Debug)]
enum KindArgs {
    /// No type-specific arguments (no `IFLA_INFO_DATA`).
    None,
    /// veth's `peer ...` (`VETH_INFO_PEER`), parsed here as iproute2's `veth_parse_opt` does.
    Veth(VethPeer),
    /// Another kind's arguments, for the kind's own [`LinkKind::parse_args`](netdev_core::LinkKind).
    Raw(Vec<String>),
    /// `IFLA_INFO_DATA` already parsed here with iproute2's errors (macvlan, vlan, ipvlan:
    /// [`stacked`]).
    Parsed(KindConfig),
}

/// veth's peer as iproute2 sends it, with what the kernel will refuse in it.
#[derive(Debug)]
struct VethPeer {
    cfg: VethConfig,
    /// `netns PID` for a PID that does not exist (ESRCH).
    no_such_pid: bool,
    /// An address that is not six bytes long (EINVAL).
    bad_address: bool,
}

/// iproute2's handling of the words after `type KIND` (`iplink_modify`): the kind's `parse_opt`,
/// or "Garbage instead of arguments" for a kind that takes none.
fn kind_args(ctx: &Ctx<'_>, kind: &str, args: &[String]) -> Result<KindArgs, Fail> {
    let Some(first) = args.first() else { return Ok(KindArgs::None) };
    let takes_args = IPROUTE2_KINDS.iter().any(|(k, p)| *k == kind && *p);
    if !takes_args {
        if matches(first, "help") {
            return Err(Fail::Unsupported("help".to_string()));
        }
        return Err(Fail::Err(1, format!("Garbage instead of arguments \"{first} ...\". Try \"ip link help\".")));
    }
    if let Some(parsed) = stacked::parse(kind, args) {
        return parsed.map(KindArgs::Parsed);
    }
    if kind != netdev_veth::KIND {
        // bridge_parse_opt / bridge_slave_parse_opt fail in iproute2, before any request.
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let parsed = match kind {
            "bridge" => netdev_bridge::parse_bridge_args(&words).err(),
            "bridge_slave" => netdev_bridge::parse_port_args(&words).err(),
            _ => None,
        };
        match parsed {
            Some(netdev_bridge::ArgError::Help) => return Err(Fail::Unsupported("help".to_string())),
            Some(e) => return Err(Fail::Err(255, e.to_string())),
            None => {}
        }
        return Ok(KindArgs::Raw(args.to_vec()));
    }
    // veth_parse_opt: `peer` and then the peer's own iplink_parse (with NLM_F_CREATE).
    if first != "peer" {
        return Err(Fail::Out(
            1,
            "Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n"
                .to_string(),
        ));
    }
    let p = parse(ctx, &args[1..], true)?;
    if let Some(k) = p.kind {
        return Err(duparg("type", &k));
    }
    let (netns, no_such_pid) = match p.netns {
        None => (None, false),
        Some(NsRef::Ns(id)) => (Some(PeerNetns::Id(id)), false),
        // Only PID 1 runs here, in the initial namespace.
        Some(NsRef::Pid(1)) => (Some(PeerNetns::Id(NetnsId::INIT)), false),
        Some(NsRef::Pid(_)) => (None, true),
    };
    let address = p.address.as_deref().map(MacAddr::from_slice);
    let peer = PeerSpec {
        name: p.name,
        address: address.flatten(),
        mtu: p.mtu.map(|m| m as u32),
        txqlen: p.txqlen.map(|q| q as u32),
        ifindex: (p.index > 0).then_some(p.index),
        netns,
        up: p.up == Some(true),
    };
    let bad_address = address.is_some_and(|a| a.is_none());
    Ok(KindArgs::Veth(VethPeer { cfg: VethConfig { peer }, no_such_pid, bad_address }))
}

// --------------------------------------------------------------------------------- add/set/del

/// The namespace a `netns` value names, or the kernel's ESRCH for a PID that does not exist.
fn target_netns(r: &LinkReq) -> Result<Option<NetnsId>, Error> {
    match r.netns {
        None => Ok(None),
        Some(NsRef::Ns(id)) => Ok(Some(id)),
        Some(NsRef::Pid(1)) => Ok(Some(NetnsId::INIT)),
        Some(NsRef::Pid(_)) => Err(Error::new(Errno::Esrch)),
    }
}

/// `ip link add` (`rtnl_newlink` with NLM_F_CREATE|NLM_F_EXCL).
fn add(ctx: &mut Ctx<'_>, r: &LinkReq, kargs: KindArgs) -> i32 {
    let ns = ctx.ns;
    let res = {
        let mut rtnl = ctx.s.world().rtnl();
        add_in(&mut rtnl, ns, r, kargs)
    };
    match res {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

fn add_in(rtnl: &mut Rtnl<'_>, ns: NetnsId, r: &LinkReq, kargs: KindArgs) -> Result<(), Error> {
    let kind = r.kind.as_deref().unwrap_or_default();
    let target = target_netns(r)?;
    let address = match &r.address {
        Some(a) => Some(MacAddr::from_slice(a).ok_or(Error::new(Errno::Einval))?),
        None => None,
    };
    let req = NewLink {
        netns: ns,
        target_netns: target,
        name: r.name.clone(),
        ifindex: (r.index > 0).then_some(r.index),
        mtu: r.mtu.map(|m| m as u32),
        address,
        txqlen: r.txqlen.map(|q| q as u32),
        up: r.up == Some(true),
        link: r.link,
    };
    let dev = match kargs {
        KindArgs::Veth(p) if rtnl.kind(kind).is_some() => {
            // The peer's attributes go through the same policy as the main ones (veth_newlink's
            // rtnl_nla_parse_ifinfomsg) and its namespace is resolved the same way.
            if p.cfg.peer.name.as_deref().is_some_and(|n| n.len() >= IFNAMSIZ) {
                return Err(Error::with_msg(Errno::Einval, "Attribute failed policy validation"));
            }
            if p.no_such_pid {
                return Err(Error::new(Errno::Esrch));
            }
            if p.bad_address {
                return Err(Error::new(Errno::Einval));
            }
            let cfg: KindConfig = Box::new(p.cfg);
            rtnl.newlink(kind, &req, &cfg)?
        }
        KindArgs::Raw(args) => {
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            rtnl.link_add(kind, &req, &words)?
        }
        KindArgs::Parsed(cfg) => rtnl.newlink(kind, &req, &cfg)?,
        _ => rtnl.link_add(kind, &req, &[])?,
    };
    // rtnl_configure_link applies the other ifi_flags; IFLA_MASTER follows (do_set_master).
    if r.flag_mask != 0 {
        rtnl.change_flags(&dev, IfFlags(r.flag_mask), IfFlags(r.flag_value));
    }
    if let Some(p) = r.promisc {
        rtnl.set_promisc(&dev, p)?;
    }
    if let Some(a) = r.allmulti {
        rtnl.set_allmulti(&dev, a)?;
    }
    if let Some(m) = r.master.filter(|m| *m != 0 && dev.netns() == ns) {
        let master = rtnl.dev_by_index(ns, m).ok_or(Error::new(Errno::Einval))?;
        rtnl.set_master(&dev, Some(&master))?;
    }
    Ok(())
}

/// `ip link set` (`rtnl_newlink` on an existing device: the kind's `changelink`, then
/// `do_setlink` in its order: namespace, address, MTU, name, alias, flags, master, carrier,
/// txqueuelen). What succeeded before an error stays done, as in the kernel.
fn set(ctx: &mut Ctx<'_>, r: &LinkReq, kargs: KindArgs) -> i32 {
    let ns = ctx.ns;
    let res = {
        let mut rtnl = ctx.s.world().rtnl();
        set_in(&mut rtnl, ns, r, kargs)
    };
    match res {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

fn set_in(rtnl: &mut Rtnl<'_>, ns: NetnsId, r: &LinkReq, kargs: KindArgs) -> Result<(), Error> {
    let dev = rtnl.dev_by_index(ns, r.ifindex).ok_or(Error::new(Errno::Enodev))?;
    let kind = r.kind.as_deref().unwrap_or_default();
    if !matches!(kargs, KindArgs::None) {
        // IFLA_INFO_DATA needs the device's own kind, and one with a changelink.
        let own = dev.link_kind().filter(|k| k.kind() == kind).cloned().ok_or(Error::new(Errno::Eopnotsupp))?;
        let cfg: KindConfig = match kargs {
            KindArgs::Veth(p) => Box::new(p.cfg),
            KindArgs::Raw(args) => {
                let words: Vec<&str> = args.iter().map(String::as_str).collect();
                own.parse_args(&words)?
            }
            KindArgs::Parsed(cfg) => cfg,
            KindArgs::None => Box::new(()),
        };
        own.changelink(rtnl, &dev, &cfg)?;
    }
    let mut renamed = false;
    if let Some(target) = target_netns(r)? {
        rtnl.change_netns(&dev, target, r.name.as_deref(), None)?;
        renamed = true;
    }
    if let Some(a) = &r.address {
        let mac = MacAddr::from_slice(a).ok_or(Error::new(Errno::Einval))?;
        rtnl.set_address(&dev, mac)?;
    }
    if let Some(m) = r.mtu {
        rtnl.set_mtu(&dev, m as u32)?;
    }
    if let Some(n) = r.name.as_deref().filter(|_| !renamed) {
        rtnl.rename(&dev, n)?;
    }
    if let Some(a) = &r.alias {
        rtnl.set_alias(&dev, Some(a))?;
    }
    // __dev_change_flags: the plain flags, then up/down, then promisc and allmulti.
    if r.flag_mask != 0 {
        rtnl.change_flags(&dev, IfFlags(r.flag_mask), IfFlags(r.flag_value));
    }
    if let Some(up) = r.up {
        rtnl.set_up(&dev, up)?;
    }
    if let Some(p) = r.promisc {
        rtnl.set_promisc(&dev, p)?;
    }
    if let Some(a) = r.allmulti {
        rtnl.set_allmulti(&dev, a)?;
    }
    if let Some(m) = r.master {
        let master = match m {
            0 => None,
            m => Some(rtnl.dev_by_index(dev.netns(), m).ok_or(Error::new(Errno::Einval))?),
        };
        rtnl.set_master(&dev, master.as_ref())?;
    }
    if let Some(c) = r.carrier {
        rtnl.change_carrier(&dev, c)?;
    }
    if let Some(q) = r.txqlen {
        rtnl.set_txqlen(&dev, q as u32)?;
    }
    Ok(())
}

/// `ip link delete` (`rtnl_dellink`: the kind's `dellink`; EOPNOTSUPP for `lo`).
fn del(ctx: &mut Ctx<'_>, r: &LinkReq) -> i32 {
    let ns = ctx.ns;
    let res = {
        let mut rtnl = ctx.s.world().rtnl();
        match rtnl.dev_by_index(ns, r.ifindex) {
            Some(dev) => rtnl.dellink(&dev),
            None => Err(Error::new(Errno::Enodev)),
        }
    };
    match res {
        Ok(()) => 0,
        Err(e) => kernel_error(ctx, &e),
    }
}

// --------------------------------------------------------------------------------------- show

/// The filters of `ip link show` (`ipaddr_list_flush_or_save`'s argument loop).
#[derive(Debug, Default)]
struct ShowFilter {
    /// `dev NAME` / `NAME`, resolved (`ll_name_to_index`).
    ifindex: Option<u32>,
    up: bool,
    kind: Option<String>,
    master: Option<u32>,
    nomaster: bool,
    group: Option<u32>,
    /// `label`: `print_linkinfo` prints no link at all under a label filter.
    label: bool,
}

impl ShowFilter {
    fn parse(ctx: &Ctx<'_>, args: &[String]) -> Result<ShowFilter, Fail> {
        let mut f = ShowFilter::default();
        let mut dev: Option<&str> = None;
        let mut w = Words { args, pos: 0 };
        while let Some(a) = w.next() {
            match a {
                "up" => f.up = true,
                "to" | "scope" => {
                    w.value()?;
                }
                "label" => {
                    w.value()?;
                    f.label = true;
                }
                "group" => {
                    let v = w.value()?;
                    let g = if v == "default" { Some(0) } else { strtol(v).and_then(|g| u32::try_from(g).ok()) };
                    f.group = Some(g.ok_or_else(|| invarg("Invalid \"group\" value\n", v))?);
                }
                "master" => {
                    let v = w.value()?;
                    f.master = Some(name_to_index(ctx, v).ok_or_else(|| invarg("Device does not exist\n", v))?);
                }
                "vrf" => return Err(Fail::Unsupported(a.to_string())),
                "nomaster" => f.nomaster = true,
                "type" => f.kind = Some(w.value()?.to_string()),
                // get_filter: address flags filter addresses, which `ip link` does not list.
                "dynamic" | "permanent" | "secondary" | "primary" | "tentative" | "-tentative" | "deprecated"
                | "-deprecated" | "home" | "nodad" | "mngtmpaddr" | "noprefixroute" | "autojoin" | "dadfailed"
                | "-dadfailed" | "temporary" => {}
                _ => {
                    let v = if a == "dev" {
                        w.value()?
                    } else if matches(a, "help") {
                        return Err(Fail::Unsupported("help".to_string()));
                    } else {
                        a
                    };
                    if dev.is_some() {
                        return Err(duparg2("dev", v));
                    }
                    dev = Some(v);
                }
            }
        }
        if let Some(d) = dev {
            let i = name_to_index(ctx, d).ok_or_else(|| Fail::Err(1, format!("Device \"{d}\" does not exist.")))?;
            f.ifindex = Some(i);
        }
        Ok(f)
    }

    /// `print_linkinfo`'s filters.
    fn keeps(&self, d: &NetDevice) -> bool {
        let master_ok = match (self.master, d.master()) {
            (Some(m), Some(dm)) => dm.ifindex() == m,
            (Some(_), None) => false,
            (None, m) => !self.nomaster || m.is_none(),
        };
        !self.label
            && master_ok
            && self.ifindex.is_none_or(|i| d.ifindex() == i)
            && (!self.up || d.flags().contains(IfFlags::UP))
            && self.group.is_none_or(|g| d.group() == g)
            && self.kind.as_deref().is_none_or(|k| d.link_kind().is_some_and(|lk| lk.kind() == k))
    }
}

/// `ip link show [dev] [NAME] [up] [type KIND] [master DEV] [nomaster] [group G]`
/// (`ipaddr_list_link`): the namespace's devices in ifindex order.
fn show(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let f = match ShowFilter::parse(ctx, args) {
        Ok(f) => f,
        Err(e) => return e.emit(ctx),
    };
    let devs: Vec<Arc<NetDevice>> = ctx.s.world().rtnl().devices(ctx.ns);
    let devs: Vec<Arc<NetDevice>> = devs.into_iter().filter(|d| f.keeps(d)).collect();
    if o.json {
        let mut j = Json::new(o.pretty);
        for d in &devs {
            j.begin_object();
            if o.brief {
                View::of(ctx, d, o, true).json_brief(&mut j);
            } else {
                record_json(ctx, d, o, true, &mut j);
            }
            j.end_object();
        }
        let out = j.finish();
        ctx.print(&out);
        return 0;
    }
    for d in &devs {
        let s = if o.brief { View::of(ctx, d, o, true).brief() } else { record(ctx, d, o, true) };
        ctx.print(&s);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lladdr_parsing_follows_ll_addr_a2n() {
        assert_eq!(ll_addr_a2n("02:00:00:00:00:0a").unwrap(), vec![2, 0, 0, 0, 0, 10]);
        assert_eq!(ll_addr_a2n("2:0:0:0:0:A").unwrap(), vec![2, 0, 0, 0, 0, 10]);
        assert_eq!(ll_addr_a2n("1.2.3.4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(ll_addr_a2n("aa").unwrap(), vec![0xaa]);
        for (bad, part) in [("zz", "zz"), ("02:zz:00", "zz"), ("100", "100"), ("02::01", ""), ("1.2.3", "1.2.3")] {
            match ll_addr_a2n(bad) {
                Err(Fail::Err(1, m)) => assert_eq!(m, format!("\"{part}\" is invalid lladdr.")),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(get_integer("1500"), Some(1500));
        assert_eq!(get_integer("0x10"), Some(16));
        assert_eq!(get_integer("010"), Some(8));
        assert_eq!(get_integer("-1"), Some(-1));
        assert_eq!(get_integer("08"), None);
        assert_eq!(get_integer("1500x"), None);
        assert_eq!(get_integer(""), None);
        assert_eq!(get_integer("0x"), None);
        assert_eq!(get_integer("99999999999"), None);
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(scan_hex("0x1f"), Some(31));
        assert_eq!(scan_hex("1g"), Some(1));
        assert_eq!(scan_hex("g"), None);
    }
}
