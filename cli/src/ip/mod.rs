//! `ip` (iproute2 6.x): global options, then an object (`link`, `address`, `route`, `neighbour`,
//! `netns`, `maddress`, `monitor`) matched by unambiguous prefix in iproute2's table order, then
//! the object's own grammar.

mod addr;
mod link;
mod maddr;
mod monitor;
mod neigh;
mod netns;
mod nlmsg;
mod route;

use netdev_core::NetnsId;

use crate::session::Ctx;

pub(crate) use link::{Json, flag_names};

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
    /// `-h`/`-human-readable`: counters with k/M/G suffixes (`print_num`).
    pub(crate) human: bool,
    /// `-iec`: powers of 1024 for `-h`.
    pub(crate) iec: bool,
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

/// iproute2's `incomplete_command()` (the `NEXT_ARG()` of a missing value): exit status 255.
pub(crate) const INCOMPLETE: &str = "Command line is not complete. Try option \"help\"";

/// `ip ARGS...` in `ctx.ns`: the option loop of iproute2 6.1's `main()` (ip/ip.c), in its order,
/// which decides what a prefix means (`-h` is `-human`, `-b` is `-batch`, `-n` is `-netns`).
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut o = IpOpts::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') {
            break;
        }
        // iproute2 accepts `--opt` as `-opt` (and names the option that way in its errors).
        let opt = if a.starts_with("--") { &a[1..] } else { a };
        // The value of an option that takes one.
        let value = args.get(i + 1).map(String::as_str);
        let Some(kind) = global_option(opt) else {
            return ctx.fail(255, &format!("Option \"{opt}\" is unknown, try \"ip -help\"."));
        };
        match kind {
            Opt::Loops | Opt::Family | Opt::Rcvbuf if value.is_none() => return usage(ctx),
            Opt::Loops => i += 1,
            Opt::Family => {
                let f = value.unwrap_or_default();
                i += 1;
                o.family = match f {
                    "inet" => Some(Family::Inet),
                    "inet6" => Some(Family::Inet6),
                    "link" => Some(Family::Link),
                    "help" => return usage(ctx),
                    "mpls" | "bridge" => return ctx.unsupported("ip", &format!("-family {f}")),
                    _ => return ctx.fail(255, &format!("Error: argument \"{f}\" is wrong: invalid protocol family")),
                };
            }
            Opt::Rcvbuf => {
                let v = value.unwrap_or_default();
                if v.parse::<u32>().is_err() {
                    return ctx.fail(255, &format!("Invalid rcvbuf size '{v}'"));
                }
                i += 1;
            }
            Opt::Fam(f) => o.family = Some(f),
            Opt::Human => o.human = true,
            Opt::Iec => o.iec = true,
            Opt::Stats => o.stats = o.stats.saturating_add(1),
            Opt::Details => o.details = o.details.saturating_add(1),
            Opt::Oneline => o.oneline = true,
            Opt::Version => {
                ctx.print("ip utility, iproute2-6.1.0, libbpf 1.1.2\n");
                return 0;
            }
            Opt::Brief => o.brief = true,
            Opt::Json => o.json = true,
            Opt::Pretty => o.pretty = true,
            Opt::Help => return usage(ctx),
            Opt::All => o.all = true,
            Opt::Netns => {
                let Some(name) = value else { return ctx.fail(255, INCOMPLETE) };
                i += 1;
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
            Opt::Unsupported => return ctx.unsupported("ip", opt),
            Opt::Ignored => {}
        }
        i += 1;
    }
    let rest = &args[i..];
    let Some(obj) = rest.first() else { return usage(ctx) };
    let rest = &rest[1..];
    // iproute2 6.1's `cmds[]` in its order: the first entry the word is a prefix of wins
    // (`ip l` is link, `ip n` neighbour, `ip net` netns).
    const TABLE: [(&str, Obj); 34] = [
        ("address", Obj::Addr),
        ("addrlabel", Obj::Other),
        ("maddress", Obj::Maddr),
        ("route", Obj::Route),
        ("rule", Obj::Other),
        ("neighbor", Obj::Neigh),
        ("neighbour", Obj::Neigh),
        ("ntable", Obj::Other),
        ("ntbl", Obj::Other),
        ("link", Obj::Link),
        ("l2tp", Obj::Other),
        ("fou", Obj::Other),
        ("ila", Obj::Other),
        ("macsec", Obj::Other),
        ("tunnel", Obj::Other),
        ("tunl", Obj::Other),
        ("tuntap", Obj::Other),
        ("tap", Obj::Other),
        ("token", Obj::Other),
        ("tcpmetrics", Obj::Other),
        ("tcp_metrics", Obj::Other),
        ("monitor", Obj::Monitor),
        ("xfrm", Obj::Other),
        ("mroute", Obj::Other),
        ("mrule", Obj::Other),
        ("netns", Obj::Netns),
        ("netconf", Obj::Other),
        ("vrf", Obj::Other),
        ("sr", Obj::Other),
        ("nexthop", Obj::Other),
        ("mptcp", Obj::Other),
        ("ioam", Obj::Other),
        ("help", Obj::Help),
        ("stats", Obj::Other),
    ];
    let found = TABLE.iter().find(|(name, _)| matches(obj, name)).map(|(name, o)| (*name, *o));
    match found {
        Some((_, Obj::Addr)) => addr::main(ctx, &o, rest),
        Some((_, Obj::Maddr)) => maddr::main(ctx, &o, rest),
        Some((_, Obj::Route)) => route::main(ctx, &o, rest),
        Some((_, Obj::Neigh)) => neigh::main(ctx, &o, rest),
        Some((_, Obj::Link)) => link::main(ctx, &o, rest),
        Some((_, Obj::Monitor)) => monitor::main(ctx, &o, rest),
        Some((_, Obj::Netns)) => netns::main(ctx, &o, rest),
        Some((_, Obj::Help)) => usage(ctx),
        Some((name, Obj::Other)) => ctx.unsupported("ip", name),
        // do_cmd: an unknown object is EXIT_FAILURE, not a parse error.
        None => ctx.fail(1, &format!("Object \"{obj}\" is unknown, try \"ip help\".")),
    }
}

/// `usage()`: the text on standard error and `exit(-1)`.
fn usage(ctx: &mut Ctx<'_>) -> i32 {
    ctx.eprint(USAGE);
    255
}

/// What a global option does (a row of [`global_option`]).
#[derive(Clone, Copy)]
enum Opt {
    Loops,
    Family,
    Fam(Family),
    Human,
    Iec,
    Stats,
    Details,
    Oneline,
    Version,
    Brief,
    Json,
    Pretty,
    Rcvbuf,
    Help,
    Netns,
    All,
    /// Accepted and without effect here (`-resolve`, `-timestamp`, `-force`, `-color`, ...).
    Ignored,
    /// Exists in iproute2, not in vnet (`-batch`, `-M`, `-B`).
    Unsupported,
}

/// The option `opt` names, by the rules and in the order of 6.1's `main()`: `matches()` prefixes
/// except for `-4`, `-6`, `-0`, `-M`, `-B` and `-echo`, which must be exact; the first row wins.
fn global_option(opt: &str) -> Option<Opt> {
    const EXACT: [(&str, Opt); 6] = [
        ("-4", Opt::Fam(Family::Inet)),
        ("-6", Opt::Fam(Family::Inet6)),
        ("-0", Opt::Fam(Family::Link)),
        ("-M", Opt::Unsupported),
        ("-B", Opt::Unsupported),
        ("-echo", Opt::Ignored),
    ];
    const PREFIX: [(&str, Opt); 24] = [
        ("-loops", Opt::Loops),
        ("-family", Opt::Family),
        ("-human", Opt::Human),
        ("-human-readable", Opt::Human),
        ("-iec", Opt::Iec),
        ("-stats", Opt::Stats),
        ("-statistics", Opt::Stats),
        ("-details", Opt::Details),
        ("-resolve", Opt::Ignored),
        ("-oneline", Opt::Oneline),
        ("-timestamp", Opt::Ignored),
        ("-tshort", Opt::Ignored),
        ("-Version", Opt::Version),
        ("-force", Opt::Ignored),
        ("-batch", Opt::Unsupported),
        ("-brief", Opt::Brief),
        ("-json", Opt::Json),
        ("-pretty", Opt::Pretty),
        ("-rcvbuf", Opt::Rcvbuf),
        // matches_color: `-c`, `-color`, `-color=never`; vnet never colours.
        ("-color", Opt::Ignored),
        ("-help", Opt::Help),
        ("-netns", Opt::Netns),
        ("-Numeric", Opt::Ignored),
        ("-all", Opt::All),
    ];
    // The exact ones sit between `-family` and `-human` in the C code; no prefix row before
    // them can match a word they match, so checking them first keeps the order.
    if let Some((_, k)) = EXACT.iter().find(|(n, _)| *n == opt) {
        return Some(*k);
    }
    PREFIX
        .iter()
        .find(|(n, _)| {
            let word = if *n == "-color" { opt.split('=').next().unwrap_or(opt) } else { opt };
            matches(word, n)
        })
        .map(|(_, k)| *k)
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
