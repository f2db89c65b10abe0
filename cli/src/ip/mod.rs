//! `ip` (iproute2 6.x): global options, then an object (`link`, `address`, `route`, `neighbour`,
//! `netns`, `maddress`, `monitor`) matched by unambiguous prefix in iproute2's table order, then
//! the object's own grammar.

mod addr;
mod link;
mod maddr;
mod monitor;
mod neigh;
mod netns;
mod route;

use netdev_core::NetnsId;

use crate::session::Ctx;

/// iproute2's global options (`ip [ OPTIONS ] OBJECT ...`).
#[derive(Clone, Debug, Default)]
pub(crate) struct IpOpts {
    /// `-s` given this many times.
    pub(crate) stats: u8,
    /// `-d`.
    pub(crate) details: u8,
    /// `-br`.
    pub(crate) brief: bool,
    /// `-j`.
    pub(crate) json: bool,
    /// `-p` (pretty JSON).
    pub(crate) pretty: bool,
    /// `-o`.
    pub(crate) oneline: bool,
    /// `-4` / `-6` / `-0` / `-f FAMILY`: None is unspecified (AF_UNSPEC).
    pub(crate) family: Option<Family>,
    /// `-a`/`-all` (for `ip -all netns exec`).
    pub(crate) all: bool,
}

/// An address family selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Inet,
    Inet6,
    Link,
}

/// iproute2's `matches(arg, full)`: `arg` is a non-empty prefix of `full`.
pub(crate) fn matches(arg: &str, full: &str) -> bool {
    !arg.is_empty() && full.starts_with(arg)
}

/// The usage text iproute2 prints for `ip help` (and after an unknown option).
const USAGE: &str = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |
                   link | macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | stats | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -echo | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
";

/// `ip ARGS...` in `ctx.ns`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut o = IpOpts::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if !a.starts_with('-') {
            break;
        }
        // iproute2 accepts `--opt` as `-opt`.
        let opt = if a.starts_with("--") { &a[1..] } else { a };
        if opt == "-" {
            break;
        }
        match opt {
            _ if matches(opt, "-family") => {
                i += 1;
                let Some(f) = args.get(i) else { return ctx.fail(255, "Option \"-family\" requires an argument") };
                o.family = match f.as_str() {
                    "inet" => Some(Family::Inet),
                    "inet6" => Some(Family::Inet6),
                    "link" => Some(Family::Link),
                    _ => return ctx.fail(255, &format!("Error: argument \"{f}\" is wrong: invalid protocol family")),
                };
            }
            "-4" => o.family = Some(Family::Inet),
            "-6" => o.family = Some(Family::Inet6),
            "-0" => o.family = Some(Family::Link),
            _ if matches(opt, "-stats") || matches(opt, "-statistics") => o.stats = o.stats.saturating_add(1),
            _ if matches(opt, "-details") => o.details = o.details.saturating_add(1),
            _ if matches(opt, "-oneline") => o.oneline = true,
            _ if opt == "-c" || matches(opt, "-color") || opt.starts_with("-color=") => {}
            _ if matches(opt, "-human") || matches(opt, "-human-readable") || opt == "-iec" => {}
            _ if matches(opt, "-netns") => {
                i += 1;
                let Some(name) = args.get(i) else { return ctx.fail(255, "Option \"-netns\" requires an argument") };
                match lookup_netns(ctx, name) {
                    Some(ns) => ctx.ns = ns,
                    None => {
                        return ctx.fail(
                            255,
                            &format!("Cannot open network namespace \"{name}\": No such file or directory"),
                        );
                    }
                }
            }
            _ if matches(opt, "-Numeric") => {}
            _ if matches(opt, "-all") => o.all = true,
            _ if matches(opt, "-json") => o.json = true,
            _ if matches(opt, "-pretty") => o.pretty = true,
            _ if matches(opt, "-brief") => o.brief = true,
            _ if matches(opt, "-resolve") => {}
            _ if matches(opt, "-help") => {
                ctx.eprint(USAGE);
                return 0;
            }
            _ if matches(opt, "-Version") => {
                ctx.print("ip utility, iproute2-6.1.0, libbpf 1.1.2\n");
                return 0;
            }
            _ => {
                return ctx.fail(255, &format!("Option \"{a}\" is unknown, try \"ip -help\"."));
            }
        }
        i += 1;
    }
    let rest = &args[i..];
    let Some(obj) = rest.first() else {
        ctx.eprint(USAGE);
        return 255;
    };
    let rest = &rest[1..];
    // iproute2's table order decides what a prefix means (`ip l` is link, `ip n` neighbour).
    let table: [(&str, Obj); 12] = [
        ("address", Obj::Addr),
        ("addrlabel", Obj::Other),
        ("maddress", Obj::Maddr),
        ("route", Obj::Route),
        ("rule", Obj::Other),
        ("neighbor", Obj::Neigh),
        ("neighbour", Obj::Neigh),
        ("ntable", Obj::Other),
        ("link", Obj::Link),
        ("monitor", Obj::Monitor),
        ("netns", Obj::Netns),
        ("help", Obj::Help),
    ];
    let found = table.iter().find(|(name, _)| matches(obj, name)).map(|(name, o)| (*name, *o));
    match found {
        Some((_, Obj::Addr)) => addr::main(ctx, &o, rest),
        Some((_, Obj::Maddr)) => maddr::main(ctx, &o, rest),
        Some((_, Obj::Route)) => route::main(ctx, &o, rest),
        Some((_, Obj::Neigh)) => neigh::main(ctx, &o, rest),
        Some((_, Obj::Link)) => link::main(ctx, &o, rest),
        Some((_, Obj::Monitor)) => monitor::main(ctx, &o, rest),
        Some((_, Obj::Netns)) => netns::main(ctx, &o, rest),
        Some((_, Obj::Help)) => {
            ctx.eprint(USAGE);
            255
        }
        Some((name, Obj::Other)) => ctx.unsupported("ip", name),
        None => ctx.fail(255, &format!("Object \"{obj}\" is unknown, try \"ip help\".")),
    }
}

#[derive(Clone, Copy)]
enum Obj {
    Addr,
    Maddr,
    Route,
    Neigh,
    Link,
    Monitor,
    Netns,
    Help,
    Other,
}

/// A namespace by its `ip netns` name.
pub(crate) fn lookup_netns(ctx: &Ctx<'_>, name: &str) -> Option<NetnsId> {
    ctx.s.world().rtnl().netns_by_name(name)
}
