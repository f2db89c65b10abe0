//! `ping`, `ping6` (iputils 20221126 `ping/ping.c`) and `arping` (iputils 20221126 `arping.c`).
//!
//! `ping` parses iputils' options (glibc getopt: bundled flags, glued arguments, options after the
//! destination), checks what `ping4_run` / `ping6_run` check before sending (address family,
//! broadcast, `-I` device or address, TTL), then runs [`stack_adapter::Stack::ping`] on virtual
//! time and prints [`stack_adapter::PingReport::iputils_output`], adjusted for what only the
//! command line knows: the `from SRC DEV:` header of `-I`, the `%DEV` scope of link-local IPv6
//! addresses (`pr_addr` through `getnameinfo`), the name as typed, `-q`, and no times below 16
//! bytes of payload (`timing`). The simulator has no name service: only numeric destinations.
//!
//! `arping` sends its ARP frames itself, as its packet socket does: built here, handed to the
//! device with `dev_queue_xmit` on the session's CPU, and the answers read from a tap on the device
//! (`recv_pack`'s filters). Its event loop (`event_loop`: the interval timer, the `-w` timeout and
//! the socket, in poll order) runs on virtual time. A run that could only end at Ctrl-C (no `-c`,
//! no `-w`) is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

use netdev_core::{Direction, IfFlags, NetDevice, PktType, TIMER_RX_BUDGET, Tap, TapPacket};
use stack_adapter::{PingOpts, RouteType};

use crate::session::Ctx;

const SEC: u64 = 1_000_000_000;

const PING_USAGE: &str = "
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
";

const ARPING_USAGE: &str = "
Usage:
  arping [options] <destination>

Options:
  -f            quit on first reply
  -q            be quiet
  -b            keep on broadcasting, do not unicast
  -D            duplicate address detection mode
  -U            unsolicited ARP mode, update your neighbours
  -A            ARP answer mode, update your neighbours
  -V            print version and exit
  -c <count>    how many packets to send
  -w <timeout>  how long to wait for a reply
  -i <interval> set interval between packets (default: 1 second)
  -I <device>   which ethernet device to use
  -s <source>   source ip address
  <destination> dns name or ip address

For more details see arping(8).
";

/// What [`getopt`] found: the options with their arguments (empty for a flag), in order, and
/// the operands.
pub(crate) type Getopt = (Vec<(char, String)>, Vec<String>);

/// glibc `getopt` over `args` with `optstring` (a `:` after a letter that takes an argument):
/// options and operands may mix, `--` ends the options. Returns the options in order and the
/// operands, or the message of a bad option (`invalid option -- 'x'`, `option requires an
/// argument -- 'c'`).
pub(crate) fn getopt(args: &[String], optstring: &str) -> Result<Getopt, String> {
    let mut opts = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if a.len() < 2 || !a.starts_with('-') {
            operands.push(a.clone());
            continue;
        }
        let body = &a[1..];
        for (pos, c) in body.char_indices() {
            let Some(at) = optstring.find(c).filter(|_| c != ':') else {
                return Err(format!("invalid option -- '{c}'"));
            };
            if optstring[at + c.len_utf8()..].starts_with(':') {
                let rest = &body[pos + c.len_utf8()..];
                let v = if !rest.is_empty() {
                    rest.to_string()
                } else if let Some(next) = args.get(i) {
                    i += 1;
                    next.clone()
                } else {
                    return Err(format!("option requires an argument -- '{c}'"));
                };
                opts.push((c, v));
                break;
            }
            opts.push((c, String::new()));
        }
    }
    Ok((opts, operands))
}

/// iputils' `strtol_or_err(str, "invalid argument", min, max)`: the message after `PROG: `.
fn strtol_or_err(s: &str, min: i64, max: i64) -> Result<i64, String> {
    let t = s.trim_start();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if t.is_empty() || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("invalid argument: '{s}'"));
    }
    let Ok(n) = t.parse::<i64>() else {
        return Err(format!("invalid argument: '{s}': Numerical result out of range"));
    };
    if n < min || n > max {
        return Err(format!("invalid argument: '{s}': out of range: {min} <= value <= {max}"));
    }
    Ok(n)
}

/// iputils' `ping_strtod`: the number at the start of `s` (strtod), with the garbage warning for
/// what follows it. The error is `s` not starting with a number at all.
fn ping_strtod(ctx: &mut Ctx<'_>, s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    let b = t.as_bytes();
    if matches!(b.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    while b.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if b.get(end) == Some(&b'.') {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    let v = t[..end].parse::<f64>().unwrap_or(0.0);
    let rest = if t[..end].parse::<f64>().is_ok() { &t[end..] } else { s };
    if !rest.is_empty() {
        ctx.eprint(&format!(
            "ping: option argument contains garbage: {rest}\nping: this will become fatal error in the future\n"
        ));
    }
    v
}

/// `inet_aton`: dotted quads and the one- to three-part short forms (`1.2.3` is 1.2.0.3).
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = s
        .split('.')
        .map(|p| {
            let (digits, radix) = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                Some(h) => (h, 16),
                None if p.len() > 1 && p.starts_with('0') => (&p[1..], 8),
                None => (p, 10),
            };
            if digits.is_empty() && radix != 8 {
                return None;
            }
            if digits.is_empty() { Some(0) } else { u64::from_str_radix(digits, radix).ok() }
        })
        .collect::<Option<_>>()?;
    let n = match parts.as_slice() {
        [a] if *a <= u64::from(u32::MAX) => *a,
        [a, b] if *a < 256 && *b < (1 << 24) => (a << 24) | b,
        [a, b, c] if *a < 256 && *b < 256 && *c < (1 << 16) => (a << 24) | (b << 16) | c,
        [a, b, c, d] if *a < 256 && *b < 256 && *c < 256 && *d < 256 => (a << 24) | (b << 16) | (c << 8) | d,
        _ => return None,
    };
    Some(Ipv4Addr::from(n as u32))
}

/// A destination as `getaddrinfo` gives it with no name service: an address and, for IPv6, the
/// scope (`%DEV`) that came with it.
fn resolve(target: &str, family: Option<u8>) -> Option<(IpAddr, Option<String>)> {
    if family != Some(6)
        && let Some(a) = inet_aton(target)
    {
        return Some((IpAddr::V4(a), None));
    }
    if family == Some(4) {
        return None;
    }
    let (addr, scope) = match target.split_once('%') {
        Some((a, s)) => (a, Some(s.to_string())),
        None => (target, None),
    };
    addr.parse::<Ipv6Addr>().ok().map(|a| (IpAddr::V6(a), scope))
}

fn is_link_local(a: IpAddr) -> bool {
    matches!(a, IpAddr::V6(v) if (v.segments()[0] & 0xffc0) == 0xfe80 || v.is_multicast() && (v.segments()[0] & 0x000f) == 2)
}

/// What `ping`'s command line asked for, past the option parser.
struct PingCmd {
    /// The stack's options (the destination filled in last).
    po: PingOpts,
    /// `-4` / `-6` (`ping6` is `-6`).
    family: Option<u8>,
    /// `-q`.
    quiet: bool,
    /// `-I DEV` (or the `%DEV` of an IPv6 `-I ADDR%DEV`).
    iface: Option<String>,
    /// The destination as typed.
    target: String,
}

/// iputils' `main` option loop: `Err` is the exit status after the message.
fn parse_ping(ctx: &mut Ctx<'_>, args: &[String], v6: bool) -> Result<PingCmd, i32> {
    let (opts, operands) = match getopt(args, "46?aAbBc:CdDe:fF:hi:I:l:Lm:M:nN:Op:qQ:rRs:S:t:T:UvVw:W:") {
        Ok(x) => x,
        Err(msg) => {
            ctx.eprint(&format!("ping: {msg}\n"));
            ctx.eprint(PING_USAGE);
            return Err(2);
        }
    };
    let mut po = PingOpts::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
    po.count = None;
    let mut cmd = PingCmd { po, family: v6.then_some(6), quiet: false, iface: None, target: String::new() };
    let po = &mut cmd.po;
    for (c, v) in &opts {
        let num = |min, max| strtol_or_err(v, min, max);
        match c {
            '4' | '6' => {
                let f = if *c == '4' { 4 } else { 6 };
                if cmd.family.is_some_and(|x| x != f) {
                    return Err(ctx.fail(2, "ping: only one -4 or -6 option may be specified"));
                }
                cmd.family = Some(f);
            }
            'c' => match num(1, i64::MAX) {
                Ok(n) => po.count = Some(n.min(i64::from(u32::MAX)) as u32),
                Err(e) => return Err(ctx.fail(1, &format!("ping: {e}"))),
            },
            'i' => {
                let s = ping_strtod(ctx, v);
                if s > f64::from(i32::MAX / 1000) {
                    return Err(ctx.fail(2, &format!("ping: bad timing interval: {v}")));
                }
                po.interval_ns = (s.max(0.0) * 1000.0) as u64 * 1_000_000;
            }
            'W' => {
                let s = ping_strtod(ctx, v);
                if !(0.0..=f64::from(i32::MAX / 1000)).contains(&s) {
                    return Err(ctx.fail(2, &format!("ping: bad linger time: {v}")));
                }
                po.timeout_ns = Some((s * 1000.0) as u64 * 1_000_000);
            }
            'w' => match num(0, i64::from(i32::MAX)) {
                Ok(0) => po.deadline_ns = None,
                Ok(n) => po.deadline_ns = Some(n as u64 * SEC),
                Err(e) => return Err(ctx.fail(1, &format!("ping: {e}"))),
            },
            's' => match num(0, i64::from(i32::MAX)) {
                Ok(n) => po.size = n as usize,
                Err(e) => return Err(ctx.fail(1, &format!("ping: {e}"))),
            },
            't' => match num(0, 255) {
                Ok(0) => return Err(ctx.fail(2, "ping: cannot set unicast time-to-live: Invalid argument")),
                Ok(n) => po.ttl = Some(n as u8),
                Err(e) => return Err(ctx.fail(1, &format!("ping: {e}"))),
            },
            'M' => match v.as_str() {
                "do" => (po.pmtudisc_do, po.pmtudisc_dont) = (true, false),
                "dont" => (po.pmtudisc_do, po.pmtudisc_dont) = (false, true),
                "want" => (po.pmtudisc_do, po.pmtudisc_dont) = (false, false),
                _ => return Err(ctx.fail(2, &format!("ping: invalid -M argument: {v}"))),
            },
            'I' => {
                if v.contains(':') {
                    let (a, dev) = match v.split_once('%') {
                        Some((a, d)) => (a, Some(d.to_string())),
                        None => (v.as_str(), None),
                    };
                    let Ok(a) = a.parse::<Ipv6Addr>() else {
                        return Err(ctx.fail(2, &format!("ping: invalid source address: {v}")));
                    };
                    po.src = Some(IpAddr::V6(a));
                    cmd.iface = dev;
                } else if let Ok(a) = v.parse::<Ipv4Addr>() {
                    po.src = Some(IpAddr::V4(a));
                } else {
                    cmd.iface = Some(v.clone());
                }
            }
            'q' => cmd.quiet = true,
            'b' => po.broadcast = true,
            'V' => {
                ctx.print(
                    "ping from iputils 20221126\nlibcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes\n",
                );
                return Err(0);
            }
            'h' | '?' => {
                ctx.eprint(PING_USAGE);
                return Err(2);
            }
            // Name lookups, beeps, verbosity: nothing to change in vnet's output.
            'n' | 'a' | 'v' | 'A' | 'B' | 'O' | 'L' | 'd' => {}
            other => return Err(ctx.unsupported("ping", &format!("-{other}"))),
        }
    }
    let Some(target) = operands.last().cloned() else {
        return Err(ctx.fail(1, "ping: usage error: Destination address required"));
    };
    if operands.len() > 1 {
        // Several operands are a source route, which needs IP options vnet does not model.
        return Err(ctx.unsupported("ping", &operands[0]));
    }
    cmd.target = target;
    Ok(cmd)
}

/// `ping [-4|-6] [-c N] [-i S] [-s N] [-M do|dont|want] [-I DEV|ADDR] [-W S] [-w S] [-t TTL] [-q]
/// [-b] DST`; `ping6` is `ping -6`.
pub(crate) fn ping(ctx: &mut Ctx<'_>, args: &[String], v6: bool) -> i32 {
    let mut cmd = match parse_ping(ctx, args, v6) {
        Ok(c) => c,
        Err(rc) => return rc,
    };
    let target = cmd.target.clone();
    let Some((dst, scope)) = resolve(&target, cmd.family) else {
        let why = if resolve(&target, None).is_some() {
            "Address family for hostname not supported"
        } else {
            "Name or service not known"
        };
        return ctx.fail(2, &format!("ping: {target}: {why}"));
    };
    cmd.po.dst = dst;
    if cmd.po.count.is_none() && cmd.po.deadline_ns.is_none() {
        let w = ctx.s.line_no().map(|n| format!("vnet: line {n}: ")).unwrap_or_else(|| "vnet: ".into());
        return ctx.fail(2, &format!("{w}ping: without -c or -w ping only ends at Ctrl-C; give -c N or -w SECONDS"));
    }
    let Some(stack) = ctx.stack() else { return ctx.fail(2, "ping: socket: Address family not supported by protocol") };
    // The device: -I DEV, else the %scope of a link-local destination (SO_BINDTODEVICE).
    let dev_name = cmd.iface.clone().or(if dst.is_ipv6() { scope } else { None });
    let found = dev_name.as_ref().and_then(|n| ctx.s.world().rtnl().dev_by_name(ctx.ns, n));
    let dev = match (&dev_name, found) {
        (Some(_), Some(d)) => Some(d),
        (Some(n), None) if cmd.iface.is_some() => {
            return ctx.fail(2, &format!("ping: SO_BINDTODEVICE {n}: No such device"));
        }
        (Some(_), None) => return ctx.fail(2, &format!("ping: {target}: Name or service not known")),
        (None, _) => None,
    };
    cmd.po.oif = dev.as_ref().map(|d| d.ifindex());
    if let Some(src) = cmd.po.src
        && !stack.is_local(src)
    {
        return ctx.fail(2, "ping: bind: Cannot assign requested address");
    }
    let route = stack.route_get(dst, cmd.po.oif);
    if let IpAddr::V4(d) = dst {
        let bcast = d == Ipv4Addr::BROADCAST || matches!(&route, Ok(r) if r.rtype == RouteType::Broadcast);
        if bcast {
            if !cmd.po.broadcast {
                return ctx
                    .fail(2, "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules");
            }
            ctx.eprint("WARNING: pinging broadcast address\n");
        }
    }
    let report = match stack.ping(ctx.s.cpu(), &cmd.po) {
        Ok(r) => r,
        Err(e) => return ctx.fail(2, &format!("ping: connect: {}", e.strerror())),
    };
    // The device a link-local address is scoped to: the one the packets used.
    let scope_dev = dev.as_ref().map(|d| d.name().to_string()).or_else(|| {
        let ifindex = route.as_ref().ok()?.ifindex;
        ctx.s.world().rtnl().dev_by_index(ctx.ns, ifindex).map(|d| d.name().to_string())
    });
    let pr_addr = |a: IpAddr| -> String {
        match (&scope_dev, is_link_local(a)) {
            (Some(d), true) => format!("{a}%{d}"),
            _ => a.to_string(),
        }
    };
    if let (Some(d), None, IpAddr::V6(_)) = (&cmd.iface, cmd.po.src, dst) {
        ctx.eprint(&format!("ping: Warning: source address might be selected on device other than: {d}\n"));
    }
    let out = rewrite_output(&report, &cmd, &pr_addr);
    let (_, err) = report.iputils_output();
    ctx.print(&out);
    ctx.eprint(&err);
    report.exit_code
}

/// The stack's iputils output with what only the command line knows: the header as
/// `ping4_run` / `ping6_run` print it (the name as typed, `from SRC DEV: ` with `-I`), scoped
/// link-local addresses, `-q`, and no times without a timestamp in the payload (below 16 bytes,
/// iputils' `timing` is off and the rtt line is empty).
fn rewrite_output(report: &stack_adapter::PingReport, cmd: &PingCmd, pr_addr: &dyn Fn(IpAddr) -> String) -> String {
    let (out, _) = report.iputils_output();
    let (target, size) = (&cmd.target, cmd.po.size);
    let from = match (&cmd.iface, cmd.po.src, report.dst) {
        (Some(d), None, IpAddr::V6(_)) => format!("from :: {d}: "),
        (Some(d), _, _) => format!("from {} {d}: ", report.src),
        (None, Some(a), _) => format!("from {a} : "),
        (None, None, _) => String::new(),
    };
    let mut s = match report.dst {
        IpAddr::V4(a) => format!("PING {target} ({a}) {from}{size}({}) bytes of data.\n", size + 28),
        a @ IpAddr::V6(_) => format!("PING {target}({}) {from}{size} data bytes\n", pr_addr(a)),
    };
    let timing = size >= 16;
    let mut in_stats = false;
    for l in out.split_inclusive('\n').skip(1) {
        if l == "\n" && !in_stats {
            in_stats = true;
            s.push_str(l);
        } else if !in_stats {
            if !cmd.quiet {
                s.push_str(&event_line(l, timing, pr_addr));
            }
        } else if l.starts_with("--- ") {
            s.push_str(&format!("--- {target} ping statistics ---\n"));
        } else if l.starts_with("rtt ") && !timing {
            s.push('\n');
        } else {
            s.push_str(l);
        }
    }
    s
}

/// A reply or error line of the stack's output with the scope of a link-local source added and,
/// without `timing`, the round-trip time removed.
fn event_line(l: &str, timing: bool, pr_addr: &dyn Fn(IpAddr) -> String) -> String {
    let mut line = l.to_string();
    let addr_span = if let Some(rest) = l.strip_prefix("From ") {
        rest.find(' ').map(|e| (5, 5 + e))
    } else {
        l.find(" bytes from ").and_then(|i| {
            let start = i + " bytes from ".len();
            l[start..].find(": ").map(|e| (start, start + e))
        })
    };
    if let Some((a, b)) = addr_span
        && let Ok(ip) = l[a..b].parse::<IpAddr>()
    {
        line = format!("{}{}{}", &l[..a], pr_addr(ip), &l[b..]);
    }
    if !timing && let Some(i) = line.find(" time=") {
        let end = line[i..].find(" ms").map_or(line.len(), |e| i + e + 3);
        line.replace_range(i..end, "");
    }
    line
}

// ------------------------------------------------------------------------------------ arping

/// What `arping`'s command line asked for (`struct run_state`).
#[derive(Clone, Debug, Default)]
struct ArpingOpts {
    count: i64,
    timeout: u64,
    interval: u64,
    device: Option<String>,
    source: Option<String>,
    broadcast_only: bool,
    dad: bool,
    unsolicited: bool,
    advert: bool,
    quiet: bool,
    quit_on_reply: bool,
}

/// The ARP frames arping's packet socket receives (bound to ETH_P_ARP on the device).
#[derive(Default)]
struct ArpSocket {
    rx: Mutex<Vec<(u64, PktType, Vec<u8>)>>,
}

impl Tap for ArpSocket {
    fn packet(&self, pkt: &TapPacket<'_>) {
        if pkt.direction == Direction::Incoming && pkt.protocol == 0x0806 {
            let frame = pkt.frame.get(14..).unwrap_or_default().to_vec();
            self.rx.lock().unwrap_or_else(PoisonError::into_inner).push((pkt.time_ns, pkt.pkt_type, frame));
        }
    }
}

/// The run (`struct run_state`'s counters and addresses).
struct ArpRun {
    o: ArpingOpts,
    dev: Arc<NetDevice>,
    me: [u8; 6],
    he: [u8; 6],
    gsrc: Ipv4Addr,
    gdst: Ipv4Addr,
    sent: i64,
    brd_sent: i64,
    received: i64,
    brd_recv: i64,
    req_recv: i64,
    unicasting: bool,
    last: u64,
    out: String,
}

impl ArpRun {
    /// `send_pack`: one ARP request (or reply, `-A`) to the broadcast address, or to the
    /// responder once one answered.
    fn send(&mut self, ctx: &mut Ctx<'_>) {
        let op: u16 = if self.o.advert { 2 } else { 1 };
        let mut f = Vec::with_capacity(42);
        f.extend_from_slice(&self.he);
        f.extend_from_slice(&self.me);
        f.extend_from_slice(&0x0806u16.to_be_bytes());
        f.extend_from_slice(&[0, 1, 8, 0, 6, 4]);
        f.extend_from_slice(&op.to_be_bytes());
        f.extend_from_slice(&self.me);
        f.extend_from_slice(&self.gsrc.octets());
        f.extend_from_slice(if self.o.advert { &self.me } else { &self.he });
        f.extend_from_slice(&self.gdst.octets());
        let cpu = ctx.s.cpu();
        let mut skb = cpu.alloc_frame(&f);
        skb.reset_mac_header();
        skb.meta.protocol = 0x0806;
        cpu.dev_queue_xmit(&self.dev, skb);
        self.last = cpu.now();
        self.sent += 1;
        if !self.unicasting {
            self.brd_sent += 1;
        }
        cpu.run_until_idle(TIMER_RX_BUDGET);
    }

    /// `recv_pack`: true when the run is over (`FINAL_PACKS`).
    fn recv(&mut self, time: u64, pkt_type: PktType, ah: &[u8]) -> bool {
        if !matches!(pkt_type, PktType::Host | PktType::Broadcast | PktType::Multicast) {
            return false;
        }
        let be = |i: usize| ah.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let op = be(6);
        if !matches!(op, Some(1 | 2)) || be(0) != Some(1) || be(2) != Some(0x0800) {
            return false;
        }
        if ah.get(5) != Some(&4) || ah.get(4) != Some(&6) || ah.len() < 8 + 2 * (4 + 6) {
            return false;
        }
        let sha = &ah[8..14];
        let src_ip = Ipv4Addr::new(ah[14], ah[15], ah[16], ah[17]);
        let tha = &ah[18..24];
        let dst_ip = Ipv4Addr::new(ah[24], ah[25], ah[26], ah[27]);
        if !self.o.dad {
            if src_ip != self.gdst || self.gsrc != dst_ip || tha != self.me {
                return false;
            }
        } else if src_ip != self.gdst || sha == self.me || (!self.gsrc.is_unspecified() && self.gsrc != dst_ip) {
            return false;
        }
        if !self.o.quiet {
            let kind = if pkt_type == PktType::Host { "Unicast" } else { "Broadcast" };
            let what = if op == Some(2) { "reply" } else { "request" };
            self.out.push_str(&format!("{kind} {what} from {src_ip} [{}] ", hex_upper(sha)));
            let mut s_printed = false;
            if dst_ip != self.gsrc {
                self.out.push_str(&format!("for {dst_ip} "));
                s_printed = true;
            }
            if tha != self.me {
                if !s_printed {
                    self.out.push_str("for ");
                }
                self.out.push_str(&format!("[{}]", hex_upper(tha)));
            }
            // arping's arithmetic, half-millisecond offset included.
            let mut usecs = (time.saturating_sub(self.last) + 500) as i64 / 1000;
            let msecs = (usecs + 500) / 1000;
            usecs -= msecs * 1000 - 500;
            self.out.push_str(&format!(" {msecs}.{usecs:03}ms\n"));
        }
        self.received += 1;
        if self.o.timeout > 0 && self.received == self.o.count {
            return true;
        }
        if pkt_type != PktType::Host {
            self.brd_recv += 1;
        }
        if op == Some(1) {
            self.req_recv += 1;
        }
        if self.o.quit_on_reply || (self.o.count == 0 && self.received == self.sent) {
            return true;
        }
        if !self.o.broadcast_only {
            self.he.copy_from_slice(sha);
            self.unicasting = true;
        }
        false
    }

    /// `finish`: the summary and the exit status.
    fn finish(&mut self) -> i32 {
        if !self.o.quiet {
            self.out.push_str(&format!("Sent {} probes ({} broadcast(s))\n", self.sent, self.brd_sent));
            self.out.push_str(&format!("Received {} response(s)", self.received));
            if self.brd_recv > 0 || self.req_recv > 0 {
                self.out.push_str(" (");
                if self.req_recv > 0 {
                    self.out.push_str(&format!("{} request(s)", self.req_recv));
                }
                if self.brd_recv > 0 {
                    let sep = if self.req_recv > 0 { ", " } else { "" };
                    self.out.push_str(&format!("{sep}{} broadcast(s)", self.brd_recv));
                }
                self.out.push(')');
            }
            self.out.push('\n');
        }
        if self.o.dad {
            return i32::from(self.received != 0);
        }
        if self.o.unsolicited {
            return 0;
        }
        if self.o.timeout > 0 && self.o.count > 0 && !self.o.quit_on_reply {
            return i32::from(self.o.count > self.received);
        }
        i32::from(self.received == 0)
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect::<Vec<_>>().join(":")
}

/// `arping [-fqbDUA] [-c N] [-w S] [-i S] [-I DEV] [-s SRC] DST` (iputils `arping.c` `main`).
pub(crate) fn arping(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let usage = |ctx: &mut Ctx<'_>| {
        ctx.eprint(ARPING_USAGE);
        2
    };
    let (opts, operands) = match getopt(args, "h?bfDUAqc:w:i:s:I:V") {
        Ok(x) => x,
        Err(msg) => {
            ctx.eprint(&format!("arping: {msg}\n"));
            return usage(ctx);
        }
    };
    let mut o = ArpingOpts { count: -1, interval: 1, ..ArpingOpts::default() };
    for (c, v) in &opts {
        let num = |min, max| strtol_or_err(v, min, max);
        match c {
            'b' => o.broadcast_only = true,
            'D' => (o.dad, o.quit_on_reply) = (true, true),
            'U' => o.unsolicited = true,
            'A' => (o.advert, o.unsolicited) = (true, true),
            'q' => o.quiet = true,
            'f' => o.quit_on_reply = true,
            'c' => match num(1, i64::from(i32::MAX)) {
                Ok(n) => o.count = n,
                Err(e) => return ctx.fail(1, &format!("arping: {e}")),
            },
            'w' => match num(0, i64::from(i32::MAX)) {
                Ok(n) => o.timeout = n as u64,
                Err(e) => return ctx.fail(1, &format!("arping: {e}")),
            },
            'i' => match num(0, i64::from(i32::MAX)) {
                Ok(n) => o.interval = n as u64,
                Err(e) => return ctx.fail(1, &format!("arping: {e}")),
            },
            'I' => o.device = Some(v.clone()).filter(|d| !d.is_empty()),
            's' => o.source = Some(v.clone()),
            'V' => {
                ctx.print(
                    "arping from iputils 20221126\nlibcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes\n",
                );
                return 0;
            }
            _ => return usage(ctx),
        }
    }
    let [target] = operands.as_slice() else { return usage(ctx) };
    let Some(gdst) = inet_aton(target) else {
        return ctx.fail(2, &format!("arping: {target}: Name or service not known"));
    };
    if o.count < 0 && o.timeout == 0 {
        let w = ctx.s.line_no().map(|n| format!("vnet: line {n}: ")).unwrap_or_else(|| "vnet: ".into());
        return ctx
            .fail(2, &format!("{w}arping: without -c or -w arping only ends at Ctrl-C; give -c N or -w SECONDS"));
    }
    let Some(stack) = ctx.stack() else {
        return ctx.fail(2, "arping: socket: Address family not supported by protocol");
    };
    // guess_device: the route's output device.
    let name = match &o.device {
        Some(d) => d.clone(),
        None => {
            let r = stack.route_get(IpAddr::V4(gdst), None);
            let dev = r.ok().and_then(|r| ctx.s.world().rtnl().dev_by_index(ctx.ns, r.ifindex));
            match dev {
                Some(d) => d.name().to_string(),
                None => return ctx.fail(1, "arping: NETLINK_ROUTE unexpected iov element"),
            }
        }
    };
    // check_device / check_ifflags.
    let found = ctx.s.world().rtnl().dev_by_name(ctx.ns, &name);
    let Some(dev) = found else {
        return ctx.fail(2, &format!("arping: Device {name} not available."));
    };
    let flags = dev.flags();
    if !flags.contains(IfFlags::UP) {
        if !o.quiet {
            ctx.print(&format!("Interface \"{name}\" is down\n"));
        }
        return 2;
    }
    if flags.intersects(IfFlags::NOARP | IfFlags::LOOPBACK) || dev.addr_len() == 0 {
        if !o.quiet {
            ctx.print(&format!("Interface \"{name}\" is not ARPable\n"));
        }
        return if o.dad { 0 } else { 2 };
    }
    let mut gsrc = Ipv4Addr::UNSPECIFIED;
    if let Some(s) = &o.source {
        match inet_aton(s) {
            Some(a) => gsrc = a,
            None => return ctx.fail(2, &format!("arping: invalid source {s}")),
        }
    }
    if !o.dad && o.unsolicited && o.source.is_none() {
        gsrc = gdst;
    }
    if !o.dad || o.source.is_some() {
        if o.source.is_some() || !gsrc.is_unspecified() {
            if !stack.is_local(IpAddr::V4(gsrc)) {
                return ctx.fail(2, "arping: bind: Cannot assign requested address");
            }
        } else if !o.dad {
            match stack.route_get(IpAddr::V4(gdst), Some(dev.ifindex())) {
                Ok(r) => {
                    if let Some(IpAddr::V4(s)) = r.src {
                        gsrc = s;
                    }
                }
                Err(e) => return ctx.fail(2, &format!("arping: connect: {}", e.strerror())),
            }
        }
    }
    let me = dev.address().octets();
    let he = dev.broadcast().octets();
    let mut run = ArpRun {
        o,
        dev: dev.clone(),
        me,
        he,
        gsrc,
        gdst,
        sent: 0,
        brd_sent: 0,
        received: 0,
        brd_recv: 0,
        req_recv: 0,
        unicasting: false,
        last: 0,
        out: String::new(),
    };
    if !run.o.quiet {
        run.out.push_str(&format!("ARPING {gdst} from {gsrc} {name}\n"));
    }
    if run.o.source.is_none() && gsrc.is_unspecified() && !run.o.dad {
        ctx.print(&std::mem::take(&mut run.out));
        return ctx.fail(2, "arping: no source address in not-DAD mode");
    }
    let sock = Arc::new(ArpSocket::default());
    let tap: Arc<dyn Tap> = sock.clone();
    dev.add_tap(tap.clone());
    event_loop(ctx, &mut run, &sock);
    dev.remove_tap(&tap);
    let rc = run.finish();
    ctx.print(&run.out);
    rc
}

/// `event_loop` on virtual time: the first probe at once, then the interval timer, the `-w`
/// timeout and the socket, handled in poll's order when they fall due together. A run left with
/// nothing that could end it stops after [`crate::tcpdump::FOREGROUND_LIMIT_NS`] of virtual time,
/// as if interrupted.
fn event_loop(ctx: &mut Ctx<'_>, run: &mut ArpRun, sock: &ArpSocket) {
    let start = ctx.s.world().now();
    let never = u64::MAX;
    let mut next_tick = if run.o.interval > 0 { start + run.o.interval * SEC } else { never };
    let timeout_at = if run.o.timeout > 0 { start + run.o.timeout * SEC } else { never };
    let limit = start.saturating_add(crate::tcpdump::FOREGROUND_LIMIT_NS);
    let mut total_expires: i64 = 1;
    run.send(ctx);
    loop {
        if run.sent == run.o.count && run.o.unsolicited {
            return;
        }
        let rx = std::mem::take(&mut *sock.rx.lock().unwrap_or_else(PoisonError::into_inner));
        for (t, ty, ah) in rx {
            if run.recv(t, ty, &ah) {
                return;
            }
        }
        let now = ctx.s.world().now();
        let target = next_tick.min(timeout_at);
        if now >= target {
            if now >= next_tick {
                total_expires += 1;
                next_tick += run.o.interval * SEC;
                if run.o.count > 0 && run.o.count < total_expires {
                    return;
                }
                run.send(ctx);
            }
            if now >= timeout_at {
                return;
            }
            continue;
        }
        if now >= limit {
            return;
        }
        let next_timer = ctx.s.world().next_timer().unwrap_or(never);
        let to = target.min(next_timer.max(now + 1)).min(limit);
        ctx.s.advance(to - now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getopt_is_glibcs() {
        let a = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let (o, rest) = getopt(&a("-c3 10.0.0.2 -i 0.2 -qW1"), "c:i:qW:").unwrap();
        assert_eq!(
            o,
            [('c', "3".into()), ('i', "0.2".into()), ('q', String::new()), ('W', "1".into())]
                .map(|(c, v): (char, String)| (c, v))
        );
        assert_eq!(rest, ["10.0.0.2"]);
        assert_eq!(getopt(&a("-Z"), "c:").unwrap_err(), "invalid option -- 'Z'");
        assert_eq!(getopt(&a("-c"), "c:").unwrap_err(), "option requires an argument -- 'c'");
        assert_eq!(getopt(&a("-- -c"), "c:").unwrap().1, ["-c"]);
    }

    #[test]
    fn numbers_as_iputils_reads_them() {
        assert_eq!(strtol_or_err("3", 1, 10), Ok(3));
        assert_eq!(strtol_or_err("abc", 1, 10).unwrap_err(), "invalid argument: 'abc'");
        assert_eq!(strtol_or_err("0", 1, 10).unwrap_err(), "invalid argument: '0': out of range: 1 <= value <= 10");
        assert_eq!(
            strtol_or_err("99999999999999999999", 0, 10).unwrap_err(),
            "invalid argument: '99999999999999999999': Numerical result out of range"
        );
        assert_eq!(inet_aton("1.2.3"), Some(Ipv4Addr::new(1, 2, 0, 3)));
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("256.1.1.1"), None);
        assert_eq!(inet_aton("nosuch"), None);
    }

    #[test]
    fn event_lines_get_scopes_and_lose_times() {
        let pr = |a: IpAddr| if is_link_local(a) { format!("{a}%veth0") } else { a.to_string() };
        assert_eq!(
            event_line("64 bytes from fe80::1: icmp_seq=1 ttl=64 time=0.074 ms\n", true, &pr),
            "64 bytes from fe80::1%veth0: icmp_seq=1 ttl=64 time=0.074 ms\n"
        );
        assert_eq!(
            event_line("16 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.000 ms\n", false, &pr),
            "16 bytes from 10.0.0.2: icmp_seq=1 ttl=64\n"
        );
        assert_eq!(
            event_line("From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n", true, &pr),
            "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n"
        );
    }
}
