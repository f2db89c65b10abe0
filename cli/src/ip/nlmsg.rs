//! What `ip addr`, `ip route`, `ip neigh` and `ip monitor` share: the rtnetlink messages the
//! stack dumps and announces decoded back into structs, iproute2's argument parsers
//! (`lib/utils.c`: `get_addr_1`, `get_prefix_1`, `invarg`, `duparg`), its name tables
//! (`lib/rt_names.c`), kernel error reporting (`lib/libnetlink.c`) and a small JSON writer
//! (`lib/json_print.c`, compact output).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netdev_core::netlink::attrs;
use stack_adapter::rtnetlink::{AF_INET, AF_INET6, ifa, nda, rta};

use crate::session::Ctx;

// ---------------------------------------------------------------------------- errors

/// A kernel error as iproute2 reports it (`nl_dump_ext_ack` / `rtnl_talk`): `Error: MSG.` when
/// the kernel sent an extended ack, `RTNETLINK answers: STRERROR` otherwise; exit status 2.
pub(crate) fn kernel_error(ctx: &mut Ctx<'_>, e: &netdev_core::Error) -> i32 {
    match e.extack() {
        Some(m) => ctx.fail(2, &format!("Error: {m}.")),
        None => ctx.fail(2, &format!("RTNETLINK answers: {}", crate::util::strerror(e.errno()))),
    }
}

/// `invarg`: `Error: argument "ARG" is wrong: MSG`, exit status 255.
pub(crate) fn invarg(ctx: &mut Ctx<'_>, msg: &str, arg: &str) -> i32 {
    ctx.fail(255, &format!("Error: argument \"{arg}\" is wrong: {msg}"))
}

/// `duparg`: a keyword given twice.
pub(crate) fn duparg(ctx: &mut Ctx<'_>, key: &str, arg: &str) -> i32 {
    ctx.fail(255, &format!("Error: duplicate \"{key}\": \"{arg}\" is the second value."))
}

/// `NEXT_ARG` at the end of the line (`incomplete_command`).
pub(crate) fn incomplete(ctx: &mut Ctx<'_>) -> i32 {
    ctx.fail(255, "Command line is not complete. Try option \"help\"")
}

// ---------------------------------------------------------------------------- addresses

/// `get_addr_ipv4`: up to four dot-separated numbers (`strtoul` base 0: `010` is octal, `0x10`
/// hex), missing trailing parts are 0.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for (i, slot) in out.iter_mut().enumerate() {
        let Some(p) = parts.next() else {
            // "10.1" is 10.1.0.0, but "10." is not (an empty part).
            return (i > 0).then_some(Ipv4Addr::from(out));
        };
        let n = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u32::from_str_radix(&p[1..], 8).ok()?
        } else {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse::<u32>().ok()?
        };
        *slot = u8::try_from(n).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(out))
}

/// An address family as iproute2 names it in messages (`family_name_verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Af {
    /// `AF_UNSPEC`.
    Any,
    /// `AF_INET`.
    Inet,
    /// `AF_INET6`.
    Inet6,
}

impl Af {
    fn verbose(self) -> &'static str {
        match self {
            Af::Any => "any valid",
            Af::Inet => "inet",
            Af::Inet6 => "inet6",
        }
    }

    /// From `ip -4/-6`.
    pub(crate) fn of(f: Option<super::Family>) -> Af {
        match f {
            Some(super::Family::Inet) => Af::Inet,
            Some(super::Family::Inet6) => Af::Inet6,
            _ => Af::Any,
        }
    }

    /// The family of an address.
    pub(crate) fn of_ip(a: IpAddr) -> Af {
        if a.is_ipv4() { Af::Inet } else { Af::Inet6 }
    }

    /// True if `a` is of this family (or any).
    pub(crate) fn admits(self, a: IpAddr) -> bool {
        self == Af::Any || self == Af::of_ip(a)
    }
}

/// `get_addr_1`: an address of `family` (IPv6 if it has a colon).
pub(crate) fn parse_addr(s: &str, family: Af) -> Option<IpAddr> {
    let a = if s.contains(':') { IpAddr::V6(s.parse::<Ipv6Addr>().ok()?) } else { IpAddr::V4(parse_ipv4(s)?) };
    family.admits(a).then_some(a)
}

/// `get_addr`: an address or the iproute2 error (exit status 1).
pub(crate) fn get_addr(ctx: &mut Ctx<'_>, s: &str, family: Af) -> Result<IpAddr, i32> {
    parse_addr(s, family)
        .ok_or_else(|| ctx.fail(1, &format!("Error: {} address is expected rather than \"{s}\".", family.verbose())))
}

/// A prefix as `get_prefix_1` reads it: the address, the length, and whether `/N` was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// The address.
    pub(crate) addr: IpAddr,
    /// The prefix length.
    pub(crate) len: u8,
    /// `PREFIXLEN_SPECIFIED`.
    pub(crate) specified: bool,
}

/// `get_prefix_1`: `ADDR[/LEN]` (an IPv4 length may be a dotted mask), `default`/`any`/`all`.
pub(crate) fn parse_prefix(s: &str, family: Af) -> Option<Prefix> {
    if matches!(s, "default" | "any" | "all") {
        let addr =
            if family == Af::Inet6 { IpAddr::V6(Ipv6Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) };
        return Some(Prefix { addr, len: 0, specified: true });
    }
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr = parse_addr(a, family)?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let Some(l) = l else { return Some(Prefix { addr, len: max, specified: false }) };
    let len = if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) {
        l.parse::<u8>().ok().filter(|n| *n <= max)?
    } else if addr.is_ipv4() {
        // get_netmask: a dotted mask must be contiguous.
        let m = u32::from(parse_ipv4(l)?);
        let n = m.leading_ones();
        (m.checked_shl(n).unwrap_or(0) == 0).then_some(n as u8)?
    } else {
        return None;
    };
    Some(Prefix { addr, len, specified: true })
}

/// `get_prefix`: a prefix or the iproute2 error (exit status 1).
pub(crate) fn get_prefix(ctx: &mut Ctx<'_>, s: &str, family: Af) -> Result<Prefix, i32> {
    parse_prefix(s, family)
        .ok_or_else(|| ctx.fail(1, &format!("Error: {} prefix is expected rather than \"{s}\".", family.verbose())))
}

/// `inet_addr_match`: the first `bits` of `a` and `p` agree (same family).
pub(crate) fn prefix_match(a: IpAddr, p: &Prefix) -> bool {
    match (a, p.addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = u32::MAX.checked_shl(32 - u32::from(p.len.min(32))).unwrap_or(0);
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = u128::MAX.checked_shl(128 - u32::from(p.len.min(128))).unwrap_or(0);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

fn ip_of(family: u8, d: &[u8]) -> Option<IpAddr> {
    match family {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(d.get(..4)?).ok()?))),
        AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(d.get(..16)?).ok()?))),
        _ => None,
    }
}

fn u32_of(d: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(d.get(..4)?.try_into().ok()?))
}

fn str_of(d: &[u8]) -> String {
    let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
    String::from_utf8_lossy(d.get(..end).unwrap_or(&[])).into_owned()
}

/// The `nlmsg_type` and payload (after the 16-byte header) of a message.
pub(crate) fn split(msg: &[u8]) -> Option<(u16, &[u8])> {
    let len = u32_of(msg)? as usize;
    let m = msg.get(..len)?;
    let t = u16::from_ne_bytes(m.get(4..6)?.try_into().ok()?);
    Some((t, m.get(16..)?))
}

/// An `RTM_NEWADDR`/`RTM_DELADDR` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddrMsg {
    /// `nlmsg_type`.
    pub(crate) msg_type: u16,
    /// `ifa_family`.
    pub(crate) family: u8,
    /// `ifa_prefixlen`.
    pub(crate) prefixlen: u8,
    /// `IFA_FLAGS` (or `ifa_flags`).
    pub(crate) flags: u32,
    /// `ifa_scope`.
    pub(crate) scope: u8,
    /// `ifa_index`.
    pub(crate) ifindex: u32,
    /// `IFA_LOCAL` (or `IFA_ADDRESS`).
    pub(crate) local: Option<IpAddr>,
    /// `IFA_ADDRESS` (the peer when it differs).
    pub(crate) address: Option<IpAddr>,
    /// `IFA_BROADCAST`.
    pub(crate) broadcast: Option<IpAddr>,
    /// `IFA_LABEL`.
    pub(crate) label: Option<String>,
    /// `IFA_CACHEINFO`: preferred and valid lifetimes.
    pub(crate) lifetimes: Option<(u32, u32)>,
}

impl AddrMsg {
    /// Decode; `None` if it is not an address message or is truncated.
    pub(crate) fn parse(msg: &[u8]) -> Option<AddrMsg> {
        let (t, p) = split(msg)?;
        let h = p.get(..8)?;
        let mut m = AddrMsg {
            msg_type: t,
            family: h[0],
            prefixlen: h[1],
            flags: u32::from(h[2]),
            scope: h[3],
            ifindex: u32_of(&h[4..])?,
            local: None,
            address: None,
            broadcast: None,
            label: None,
            lifetimes: None,
        };
        for (ty, d) in attrs(p.get(8..)?) {
            match ty {
                ifa::ADDRESS => m.address = ip_of(m.family, d),
                ifa::LOCAL => m.local = ip_of(m.family, d),
                ifa::BROADCAST => m.broadcast = ip_of(m.family, d),
                ifa::LABEL => m.label = Some(str_of(d)),
                ifa::FLAGS => m.flags = u32_of(d)?,
                ifa::CACHEINFO => m.lifetimes = Some((u32_of(d)?, u32_of(d.get(4..)?)?)),
                _ => {}
            }
        }
        if m.local.is_none() {
            m.local = m.address;
        }
        if m.address.is_none() {
            m.address = m.local;
        }
        Some(m)
    }
}

/// An `RTM_NEWROUTE`/`RTM_DELROUTE` message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct RouteMsg {
    /// `nlmsg_type`.
    pub(crate) msg_type: u16,
    /// `rtm_family`.
    pub(crate) family: u8,
    /// `rtm_dst_len`.
    pub(crate) dst_len: u8,
    /// `rtm_table` / `RTA_TABLE`.
    pub(crate) table: u32,
    /// `rtm_protocol`.
    pub(crate) protocol: u8,
    /// `rtm_scope`.
    pub(crate) scope: u8,
    /// `rtm_type`.
    pub(crate) rtype: u8,
    /// `rtm_flags`.
    pub(crate) flags: u32,
    /// `RTA_DST`.
    pub(crate) dst: Option<IpAddr>,
    /// `RTA_GATEWAY`.
    pub(crate) gateway: Option<IpAddr>,
    /// `RTA_OIF`.
    pub(crate) oif: Option<u32>,
    /// `RTA_PREFSRC`.
    pub(crate) prefsrc: Option<IpAddr>,
    /// `RTA_PRIORITY`.
    pub(crate) priority: Option<u32>,
    /// `RTAX_MTU` in `RTA_METRICS`.
    pub(crate) mtu: Option<u32>,
    /// `RTA_PREF`.
    pub(crate) pref: Option<u8>,
    /// `RTA_CACHEINFO` `rta_expires` (clock ticks).
    pub(crate) expires: u32,
}

impl RouteMsg {
    /// Decode; `None` if it is not a route message or is truncated.
    pub(crate) fn parse(msg: &[u8]) -> Option<RouteMsg> {
        let (t, p) = split(msg)?;
        let h = p.get(..12)?;
        let mut m = RouteMsg {
            msg_type: t,
            family: h[0],
            dst_len: h[1],
            table: u32::from(h[4]),
            protocol: h[5],
            scope: h[6],
            rtype: h[7],
            flags: u32_of(&h[8..])?,
            ..RouteMsg::default()
        };
        for (ty, d) in attrs(p.get(12..)?) {
            match ty {
                rta::DST => m.dst = ip_of(m.family, d),
                rta::GATEWAY => m.gateway = ip_of(m.family, d),
                rta::OIF => m.oif = u32_of(d),
                rta::PREFSRC => m.prefsrc = ip_of(m.family, d),
                rta::PRIORITY => m.priority = u32_of(d),
                rta::TABLE => m.table = u32_of(d)?,
                rta::PREF => m.pref = d.first().copied(),
                rta::CACHEINFO => m.expires = u32_of(d.get(8..)?)?,
                rta::METRICS => {
                    for (mt, md) in attrs(d) {
                        if mt == rta::RTAX_MTU {
                            m.mtu = u32_of(md);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(m)
    }
}

/// An `RTM_NEWNEIGH`/`RTM_DELNEIGH` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NeighMsg {
    /// `nlmsg_type`.
    pub(crate) msg_type: u16,
    /// `ndm_family`.
    pub(crate) family: u8,
    /// `ndm_ifindex`.
    pub(crate) ifindex: u32,
    /// `ndm_state` (`NUD_*` bits).
    pub(crate) state: u16,
    /// `ndm_flags` (`NTF_*`).
    pub(crate) flags: u8,
    /// `NDA_DST`.
    pub(crate) dst: Option<IpAddr>,
    /// `NDA_LLADDR`.
    pub(crate) lladdr: Option<Vec<u8>>,
    /// `NDA_PROBES`.
    pub(crate) probes: Option<u32>,
    /// `NDA_CACHEINFO`: confirmed, used, updated (clock ticks), refcnt.
    pub(crate) cacheinfo: Option<[u32; 4]>,
}

impl NeighMsg {
    /// Decode; `None` if it is not a neighbour message or is truncated.
    pub(crate) fn parse(msg: &[u8]) -> Option<NeighMsg> {
        let (t, p) = split(msg)?;
        let h = p.get(..12)?;
        let mut m = NeighMsg {
            msg_type: t,
            family: h[0],
            ifindex: u32_of(&h[4..])?,
            state: u16::from_ne_bytes([h[8], h[9]]),
            flags: h[10],
            dst: None,
            lladdr: None,
            probes: None,
            cacheinfo: None,
        };
        for (ty, d) in attrs(p.get(12..)?) {
            match ty {
                nda::DST => m.dst = ip_of(m.family, d),
                nda::LLADDR => m.lladdr = Some(d.to_vec()),
                nda::PROBES => m.probes = u32_of(d),
                nda::CACHEINFO => {
                    let v = |i: usize| u32_of(d.get(i * 4..).unwrap_or(&[]));
                    m.cacheinfo = Some([v(0)?, v(1)?, v(2)?, v(3)?]);
                }
                _ => {}
            }
        }
        Some(m)
    }
}

// ---------------------------------------------------------------------------- names

/// `ll_map`: device names and flags by ifindex, as iproute2 caches them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    map: BTreeMap<u32, (String, u32)>,
}

impl Names {
    /// The devices of the namespace the command runs in.
    pub(crate) fn of(ctx: &Ctx<'_>) -> Names {
        let devs = ctx.s.world().rtnl().devices(ctx.ns);
        Names { map: devs.iter().map(|d| (d.ifindex(), (d.name().to_string(), d.flags().bits()))).collect() }
    }

    /// `ll_index_to_name`: the name, or `ifN` when unknown.
    pub(crate) fn name(&self, i: u32) -> String {
        self.map.get(&i).map_or_else(|| format!("if{i}"), |e| e.0.clone())
    }

    /// `ll_index_to_flags`.
    pub(crate) fn flags(&self, i: u32) -> u32 {
        self.map.get(&i).map_or(0, |e| e.1)
    }

    /// `ll_remember_index` for a link message.
    pub(crate) fn remember(&mut self, i: u32, name: Option<String>, flags: u32, deleted: bool) {
        if deleted {
            self.map.remove(&i);
        } else if let Some(n) = name {
            self.map.insert(i, (n, flags));
        }
    }

    /// `ll_name_to_index`.
    pub(crate) fn index(&self, name: &str) -> Option<u32> {
        self.map.iter().find(|(_, (n, _))| n == name).map(|(i, _)| *i)
    }
}

// ---------------------------------------------------------------------------- name tables

/// `rtnl_rtscope_n2a`.
pub(crate) fn scope_name(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// `rtnl_rtscope_a2n`.
pub(crate) fn scope_a2n(s: &str) -> Option<u8> {
    match s {
        "global" => Some(0),
        "site" => Some(200),
        "link" => Some(253),
        "host" => Some(254),
        "nowhere" => Some(255),
        n => parse_u32(n).and_then(|v| u8::try_from(v).ok()),
    }
}

/// `rtnl_rtprot_n2a`.
pub(crate) fn proto_name(p: u8) -> String {
    match p {
        0 => "unspec".into(),
        1 => "redirect".into(),
        2 => "kernel".into(),
        3 => "boot".into(),
        4 => "static".into(),
        8 => "gated".into(),
        9 => "ra".into(),
        10 => "mrt".into(),
        11 => "zebra".into(),
        12 => "bird".into(),
        13 => "dnrouted".into(),
        14 => "xorp".into(),
        15 => "ntk".into(),
        16 => "dhcp".into(),
        42 => "babel".into(),
        186 => "bgp".into(),
        187 => "isis".into(),
        188 => "ospf".into(),
        189 => "rip".into(),
        192 => "eigrp".into(),
        n => n.to_string(),
    }
}

/// `rtnl_rtprot_a2n`.
pub(crate) fn proto_a2n(s: &str) -> Option<u8> {
    (0..=255u8).find(|&p| proto_name(p) == s).or_else(|| parse_u32(s).and_then(|v| u8::try_from(v).ok()))
}

/// `rtnl_rtntype_n2a`.
pub(crate) fn rtn_name(t: u8) -> String {
    match t {
        0 => "none".into(),
        1 => "unicast".into(),
        2 => "local".into(),
        3 => "broadcast".into(),
        4 => "anycast".into(),
        5 => "multicast".into(),
        6 => "blackhole".into(),
        7 => "unreachable".into(),
        8 => "prohibit".into(),
        9 => "throw".into(),
        10 => "nat".into(),
        11 => "xresolve".into(),
        n => n.to_string(),
    }
}

/// `rtnl_rttable_n2a`.
pub(crate) fn table_name(t: u32) -> String {
    match t {
        0 => "unspec".into(),
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        n => n.to_string(),
    }
}

/// `get_u32` with base 0 (decimal, `0x` hex, leading-0 octal).
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `ll_addr_n2a`: colon-separated lowercase hex.
pub(crate) fn lladdr_str(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

/// `ll_addr_a2n` for a 6-byte Ethernet address.
pub(crate) fn parse_lladdr(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0;
    for (i, p) in s.split(':').enumerate() {
        if i >= 6 || p.is_empty() || p.len() > 2 {
            return None;
        }
        out[i] = u8::from_str_radix(p, 16).ok()?;
        n = i + 1;
    }
    (n == 6).then_some(out)
}

// ---------------------------------------------------------------------------- link flags

/// `print_link_flags` from raw `ifi_flags`: NO-CARRIER when up without RUNNING, the flags in the
/// kernel's bit order, the remaining bits in hex, then M-DOWN.
pub(crate) fn link_flags(flags: u32, m_down: bool) -> Vec<String> {
    const NAMES: [(u32, &str); 18] = [
        (0x8, "LOOPBACK"),
        (0x2, "BROADCAST"),
        (0x10, "POINTOPOINT"),
        (0x1000, "MULTICAST"),
        (0x80, "NOARP"),
        (0x200, "ALLMULTI"),
        (0x100, "PROMISC"),
        (0x400, "MASTER"),
        (0x800, "SLAVE"),
        (0x4, "DEBUG"),
        (0x8000, "DYNAMIC"),
        (0x4000, "AUTOMEDIA"),
        (0x2000, "PORTSEL"),
        (0x20, "NOTRAILERS"),
        (0x1, "UP"),
        (0x10000, "LOWER_UP"),
        (0x20000, "DORMANT"),
        (0x40000, "ECHO"),
    ];
    let mut out = Vec::new();
    let mut f = flags;
    if f & 0x1 != 0 && f & 0x40 == 0 {
        out.push("NO-CARRIER".to_string());
    }
    f &= !0x40;
    for (bit, name) in NAMES {
        if f & bit != 0 {
            f &= !bit;
            out.push(name.to_string());
        }
    }
    if f != 0 {
        out.push(format!("{f:x}"));
    }
    if m_down {
        out.push("M-DOWN".to_string());
    }
    out
}

/// `oper_states[]`.
pub(crate) fn operstate_name(s: u8) -> String {
    const N: [&str; 7] = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"];
    N.get(usize::from(s)).map_or_else(|| format!("{s:#x}"), |n| (*n).to_string())
}

// ---------------------------------------------------------------------------- JSON

/// A JSON value built before printing (the dumps are filtered and ordered first), printed by
/// iproute2's writer ([`super::link::Json`]: compact for `-j`, indented for `-j -p`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    /// A string.
    Str(String),
    /// An unsigned number.
    Num(u64),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// A string value.
    pub(crate) fn s(v: impl Into<String>) -> Json {
        Json::Str(v.into())
    }

    /// Write `self` through iproute2's writer.
    fn emit(&self, w: &mut super::link::Json) {
        match self {
            Json::Str(s) => w.string(s),
            Json::Num(n) => w.uint(*n),
            Json::Bool(b) => w.bool(*b),
            Json::Null => w.null(),
            Json::Arr(v) => {
                w.begin_array();
                v.iter().for_each(|x| x.emit(w));
                w.end_array();
            }
            Json::Obj(v) => {
                w.begin_object();
                for (k, x) in v {
                    w.name(k);
                    x.emit(w);
                }
                w.end_object();
            }
        }
    }

    /// The whole document: the top-level array of `items` and a newline, as `ip -j` ends it.
    pub(crate) fn document(items: Vec<Json>, pretty: bool) -> String {
        let mut w = super::link::Json::new(pretty);
        items.iter().for_each(|x| x.emit(&mut w));
        w.finish()
    }
}

/// Object builder shorthand.
#[derive(Debug, Default)]
pub(crate) struct Obj(pub(crate) Vec<(String, Json)>);

impl Obj {
    /// Add a key.
    pub(crate) fn put(&mut self, k: &str, v: Json) {
        self.0.push((k.to_string(), v));
    }

    /// The object.
    pub(crate) fn done(self) -> Json {
        Json::Obj(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_addr_ipv4_accepts_short_and_based_forms() {
        assert_eq!(parse_ipv4("10.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(parse_ipv4("10.1"), Some(Ipv4Addr::new(10, 1, 0, 0)));
        assert_eq!(parse_ipv4("0x0a.010.0.1"), Some(Ipv4Addr::new(10, 8, 0, 1)));
        assert_eq!(parse_ipv4("10.0.0.300"), None);
        assert_eq!(parse_ipv4("10.0.0.1.5"), None);
        assert_eq!(parse_ipv4("10..1"), None);
        assert_eq!(parse_ipv4(""), None);
        assert_eq!(parse_ipv4("a.b"), None);
    }

    #[test]
    fn get_prefix_forms() {
        let p = parse_prefix("10.0.0.1/24", Af::Any).unwrap();
        assert_eq!((p.len, p.specified), (24, true));
        let p = parse_prefix("10.0.0.1", Af::Any).unwrap();
        assert_eq!((p.len, p.specified), (32, false));
        assert_eq!(parse_prefix("10.0.0.1/255.255.0.0", Af::Any).unwrap().len, 16);
        assert_eq!(parse_prefix("10.0.0.1/255.0.255.0", Af::Any), None);
        assert_eq!(parse_prefix("10.0.0.1/33", Af::Any), None);
        assert_eq!(parse_prefix("10.0.0.300/24", Af::Any), None);
        assert_eq!(parse_prefix("fe80::1/64", Af::Inet), None);
        assert_eq!(parse_prefix("fe80::1/64", Af::Inet6).unwrap().len, 64);
        assert_eq!(parse_prefix("default", Af::Inet6).unwrap().addr, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    }

    #[test]
    fn prefix_matching() {
        let p = parse_prefix("10.0.0.0/8", Af::Any).unwrap();
        assert!(prefix_match("10.9.9.9".parse().unwrap(), &p));
        assert!(!prefix_match("11.0.0.1".parse().unwrap(), &p));
        assert!(!prefix_match("::1".parse().unwrap(), &p));
        let all = parse_prefix("all", Af::Any).unwrap();
        assert!(prefix_match("1.2.3.4".parse().unwrap(), &all));
    }

    #[test]
    fn flags_in_iproute2_order() {
        assert_eq!(link_flags(0x1003, false), vec!["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]);
        assert_eq!(link_flags(0x11043, true), vec!["BROADCAST", "MULTICAST", "UP", "LOWER_UP", "M-DOWN"]);
    }

    #[test]
    fn json_is_compact_and_escaped() {
        let mut o = Obj::default();
        o.put("a", Json::s("x\"y"));
        o.put("n", Json::Num(3));
        o.put("f", Json::Arr(vec![Json::Bool(true), Json::Null]));
        assert_eq!(Json::document(vec![o.done()], false), "[{\"a\":\"x\\\"y\",\"n\":3,\"f\":[true,null]}]\n");
    }

    #[test]
    fn lladdr_round_trip() {
        assert_eq!(parse_lladdr("02:00:00:00:00:0a"), Some([2, 0, 0, 0, 0, 10]));
        assert_eq!(lladdr_str(&[2, 0, 0, 0, 0, 10]), "02:00:00:00:00:0a");
        assert_eq!(parse_lladdr("zz"), None);
        assert_eq!(parse_lladdr("1:2:3:4:5"), None);
        assert_eq!(parse_lladdr("1:2:3:4:5:6:7"), None);
    }
}
