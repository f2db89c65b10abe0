//! `tcpdump` (4.99.3 with libpcap 1.10): captures in the namespace the command runs in, through a
//! [`netdev_core::Tap`] on the device (`-i DEV`) or on the whole namespace (`-i any`, Linux cooked
//! v2 framing), both directions, as an AF_PACKET socket sees them.
//!
//! - Foreground with `-c N`: virtual time moves on (to the next timer, at most 10 ms a step) until
//!   N packets are captured, bounded by [`FOREGROUND_LIMIT_NS`] (60 s) of virtual time; a capture
//!   that reaches the bound stops as `timeout 60 tcpdump` would (the partial output, status 124).
//!   Foreground without `-c` would never end and is refused.
//! - In the background (`tcpdump ... &`) the capture runs until `kill %N` or the end of the script,
//!   then prints its lines, and its statistics on standard error, as SIGINT makes tcpdump do.
//! - `-w FILE` writes a classic pcap (`pcap.rs`) and prints no packets; `-r FILE` prints one.
//! - Without `-i`, the first device that is up and not a loopback (`pcap_lookupdev`), else `any`.
//!   What leaves a loopback device is not shown (it comes back in), as libpcap does.
//! - Timestamps are the virtual clock read as a time of day from midnight (`00:00:01.000000` is one
//!   second after the session started); pcap files carry the same seconds since the epoch.
//! - A device without a link-layer header (tun's ARPHRD_NONE, OpenVZ venet's ARPHRD_VOID) is
//!   captured as `RAW (Raw IP)`. Deviation for venet: libpcap 1.10's `map_arphrd_to_dlt` knows no
//!   ARPHRD_VOID, so real tcpdump warns "arptype 65535 not supported by libpcap - falling back to
//!   cooked socket" and captures as LINUX_SLL; vnet shows the same packets as bare IP.
//!
//! Options: `-i DEV|any`, `-c N`, `-n`/`-nn`, `-e`, `-v`/`-vv`/`-vvv`, `-q`, `-S`, `-t`,
//! `-w FILE`, `-r FILE`, `-Q in|out|inout`, `-h`, `--version`, and the accepted no-ops `-U`, `-l`,
//! `-p`, `-s N`, `--immediate-mode`; tcpdump's other options are refused as not understood by
//! vnet. The filter expression is `filter.rs`'s subset.

mod filter;
mod pcap;
mod print;
mod print6;
mod print_tcp;
mod services;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use netdev_core::{ARPHRD_LOOPBACK, ARPHRD_NONE, ARPHRD_VOID, Direction, NetDevice, NetnsId, PktType, Tap, TapPacket};

use crate::session::{Ctx, Job, Output, Session};
pub(crate) use filter::Filter;
use pcap::{LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, Record};
pub(crate) use print::{PrintOpts, Printer};

/// How much virtual time a foreground `tcpdump -c N` may wait for its packets.
pub(crate) const FOREGROUND_LIMIT_NS: u64 = 60_000_000_000;
/// The largest step of virtual time a foreground capture takes at once.
const STEP_NS: u64 = 10_000_000;

const USAGE: &str = "tcpdump version 4.99.3
libpcap version 1.10.3 (with TPACKET_V3)
OpenSSL 3.0.19 27 Jan 2026
Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
";

/// Which directions `-Q` keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dirs {
    In,
    Out,
    InOut,
}

/// The parsed command line.
#[derive(Clone, Debug)]
struct Opts {
    iface: Option<String>,
    count: Option<u64>,
    write: Option<String>,
    read: Option<String>,
    print: PrintOpts,
    no_ts: bool,
    dirs: Dirs,
    filter: Filter,
}

/// tcpdump 4.99's getopt string (`SHORTOPTS`): a `:` after an option that takes an argument.
/// The ones vnet does not implement are refused as not understood, not as invalid.
const OPTSTRING: &str = "aAbB:c:C:dDeE:fF:G:hHi:IjJ:KlLm:M:nNOpqQ:r:s:StT:uUvV:w:W:xXy:Yz:Z:#";

/// `tcpdump ARGS...`: glibc getopt (options and expression words may mix; `--` ends the
/// options), then the capture.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match parse(ctx, args) {
        Ok(o) => o,
        Err(rc) => return rc,
    };
    if let Some(file) = o.read.clone() {
        return read_file(ctx, &o, &file);
    }
    let mut cap = match Capture::start(ctx, o) {
        Ok(c) => c,
        Err(rc) => return rc,
    };
    if ctx.background {
        ctx.spawn(Box::new(cap));
        return 0;
    }
    // parse() refuses a foreground capture without a count.
    let count = cap.o.count.unwrap_or(1);
    let limit = ctx.s.world().now().saturating_add(FOREGROUND_LIMIT_NS);
    let mut rc = 0;
    while cap.captured() < count {
        let now = ctx.s.world().now();
        if now >= limit {
            // `timeout 60 tcpdump ...`: SIGTERM, then timeout's own status.
            rc = 124;
            break;
        }
        let next = ctx.s.world().next_timer().unwrap_or(u64::MAX);
        let step = next.saturating_sub(now).clamp(1, STEP_NS).min(limit - now);
        ctx.s.advance(step);
    }
    let out = cap.stop(ctx.s, rc != 0);
    ctx.print(&out.stdout);
    ctx.eprint(&out.stderr);
    rc.max(out.rc)
}

fn usage_error(ctx: &mut Ctx<'_>, msg: &str) -> i32 {
    ctx.eprint(&format!("tcpdump: {msg}\n"));
    ctx.eprint(USAGE);
    1
}

fn parse(ctx: &mut Ctx<'_>, args: &[String]) -> Result<Opts, i32> {
    let mut o = Opts {
        iface: None,
        count: None,
        write: None,
        read: None,
        print: PrintOpts::default(),
        no_ts: false,
        dirs: Dirs::InOut,
        filter: Filter::All,
    };
    // Long options first (getopt_long), then glibc getopt over the rest.
    let mut short = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a == "--" {
            short.extend(args[i..].iter().cloned());
            break;
        }
        match a.strip_prefix("--") {
            Some("version") => {
                ctx.print(
                    "tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.19 27 Jan 2026\n",
                );
                return Err(0);
            }
            Some("immediate-mode" | "print") => {}
            Some(_) => {
                ctx.eprint(&format!("tcpdump: unrecognized option '{a}'\n"));
                ctx.eprint(USAGE);
                return Err(1);
            }
            None => short.push(a.clone()),
        }
    }
    let (opts, expr) = match crate::ping::getopt(&short, OPTSTRING) {
        Ok(x) => x,
        Err(msg) => return Err(usage_error(ctx, &msg)),
    };
    for (c, v) in opts {
        match c {
            'c' => match v.parse::<i64>() {
                Ok(n) if n > 0 => o.count = Some(n as u64),
                _ => return Err(ctx.fail(1, &format!("tcpdump: invalid packet count {v}"))),
            },
            'e' => o.print.eflag = true,
            'i' => o.iface = Some(v),
            'n' => o.print.nflag = o.print.nflag.saturating_add(1),
            'q' => o.print.qflag = true,
            'Q' => {
                o.dirs = match v.as_str() {
                    "in" => Dirs::In,
                    "out" => Dirs::Out,
                    "inout" => Dirs::InOut,
                    _ => return Err(ctx.fail(1, &format!("tcpdump: unknown capture direction '{v}'"))),
                }
            }
            'r' => o.read = Some(v),
            's' if !v.parse::<i64>().is_ok_and(|n| (0..=262_144).contains(&n)) => {
                return Err(ctx.fail(1, &format!("tcpdump: invalid snaplen {v}")));
            }
            't' => o.no_ts = true,
            'v' => o.print.vflag = o.print.vflag.saturating_add(1),
            'w' => o.write = Some(v),
            'S' => o.print.absolute_seq = true,
            'h' => {
                ctx.eprint(USAGE);
                return Err(0);
            }
            // Buffering, promiscuity and the snapshot length change nothing here.
            'l' | 'p' | 'U' | 's' => {}
            c => return Err(ctx.unsupported("tcpdump", &format!("-{c}"))),
        }
    }
    o.filter = match Filter::parse(&expr) {
        Ok(f) => f,
        Err(msg) => return Err(ctx.fail(1, &format!("tcpdump: {msg}"))),
    };
    if o.read.is_none() && o.count.is_none() && !ctx.background {
        let w = ctx.s.line_no().map(|n| format!("vnet: line {n}: ")).unwrap_or_else(|| "vnet: ".into());
        return Err(ctx.fail(
            2,
            &format!(
                "{w}tcpdump: a capture without -c only ends at Ctrl-C; run it in the background \
                 (end the line with &, stop it with kill %N) or give -c N"
            ),
        ));
    }
    Ok(o)
}

/// `pcap_datalink_val_to_name` / `_description`.
fn linktype_text(lt: u32) -> &'static str {
    match lt {
        LINKTYPE_ETHERNET => "EN10MB (Ethernet)",
        LINKTYPE_LINUX_SLL2 => "LINUX_SLL2 (Linux cooked v2)",
        LINKTYPE_RAW => "RAW (Raw IP)",
        _ => "unknown",
    }
}

/// `tcpdump -r FILE`: print (or, with `-w`, copy) the packets of a capture file.
fn read_file(ctx: &mut Ctx<'_>, o: &Opts, path: &str) -> i32 {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return ctx.fail(1, &format!("tcpdump: {path}: {}", crate::util::io_error_text(&e))),
    };
    let file = match pcap::read(&bytes) {
        Ok(f) => f,
        Err(msg) => return ctx.fail(1, &format!("tcpdump: {msg}")),
    };
    ctx.eprint(&format!(
        "reading from file {path}, link-type {}, snapshot length {}\n",
        linktype_text(file.linktype),
        file.snaplen
    ));
    if file.linktype == LINKTYPE_LINUX_SLL2 {
        ctx.eprint("Warning: interface names might be incorrect\n");
    }
    if let Err(msg) = o.filter.check(file.linktype) {
        return ctx.fail(1, &format!("tcpdump: {msg}"));
    }
    let mut printer = Printer::new(o.print, ifnames(ctx.s, ctx.ns));
    let mut kept = Vec::new();
    for r in file.records.iter().filter(|r| o.filter.matches(file.linktype, &r.data)) {
        if o.count.is_some_and(|c| kept.len() as u64 >= c) {
            break;
        }
        kept.push(r.clone());
    }
    if let Some(w) = &o.write {
        if let Err(e) = std::fs::write(w, pcap::write(file.linktype, &kept)) {
            return ctx.fail(1, &format!("tcpdump: {w}: {}", crate::util::io_error_text(&e)));
        }
        return 0;
    }
    for r in &kept {
        let line = line(&mut printer, o, file.linktype, r);
        ctx.print(&line);
    }
    if let Some(t) = file.truncated {
        return ctx.fail(1, &format!("tcpdump: pcap_loop: {t}"));
    }
    0
}

/// One printed packet, with or without its timestamp (`-t`).
fn line(printer: &mut Printer, o: &Opts, linktype: u32, r: &Record) -> String {
    let s = printer.packet(linktype, r.ts_ns, &r.data, r.orig_len);
    if o.no_ts {
        // The timestamp is the first 16 characters ("HH:MM:SS.uuuuuu ").
        s.get(16..).map(str::to_string).unwrap_or(s)
    } else {
        s
    }
}

/// The interface names of namespace `ns`, for the cooked-capture printer.
fn ifnames(s: &Session, ns: NetnsId) -> BTreeMap<u32, String> {
    s.world().rtnl().devices(ns).iter().map(|d| (d.ifindex(), d.name().to_string())).collect()
}

/// What the tap collects.
#[derive(Debug, Default)]
struct CapState {
    /// The packets that passed the filter, up to the count.
    records: Vec<Record>,
    /// Packets that passed the filter (`ps_recv`).
    received: u64,
}

/// The tap of one capture: frames become records (cooked for `any`), filtered.
struct CaptureTap {
    linktype: u32,
    dirs: Dirs,
    filter: Filter,
    count: Option<u64>,
    state: Arc<Mutex<CapState>>,
}

impl Tap for CaptureTap {
    fn packet(&self, pkt: &TapPacket<'_>) {
        let outgoing = pkt.direction == Direction::Outgoing;
        if (self.dirs == Dirs::In && outgoing) || (self.dirs == Dirs::Out && !outgoing) {
            return;
        }
        // libpcap (`pcap-linux.c`) skips what leaves a loopback device: it comes back in anyway.
        if outgoing && pkt.dev_type == ARPHRD_LOOPBACK {
            return;
        }
        let wire = pkt.wire();
        let data = match self.linktype {
            LINKTYPE_LINUX_SLL2 => cooked(pkt, &wire),
            _ => wire,
        };
        if !self.filter.matches(self.linktype, &data) {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if self.count.is_some_and(|c| st.received >= c) {
            return;
        }
        st.received += 1;
        let orig_len = data.len() as u32;
        st.records.push(Record { ts_ns: pkt.time_ns, orig_len, data });
    }
}

/// A frame in Linux cooked v2 framing (`struct sll2_header`, libpcap's `pcap-linux.c`): protocol,
/// reserved, ifindex, hardware type, packet type, address length, the source address padded to
/// 8 bytes, then the frame without its link-layer header.
fn cooked(pkt: &TapPacket<'_>, wire: &[u8]) -> Vec<u8> {
    // Devices without a link-layer header (tun's ARPHRD_NONE, venet's ARPHRD_VOID) hand the
    // network header to the tap.
    let ether = !matches!(pkt.dev_type, ARPHRD_NONE | ARPHRD_VOID) && wire.len() >= 14;
    let (proto, src, payload): (u16, &[u8], &[u8]) = if ether {
        (u16::from_be_bytes([wire[12], wire[13]]), &wire[6..12], &wire[14..])
    } else {
        (pkt.protocol, &[], wire)
    };
    let pkttype = match (pkt.direction, pkt.pkt_type) {
        (Direction::Outgoing, _) | (_, PktType::Outgoing) => 4,
        (_, t) => t as u8,
    };
    let mut v = Vec::with_capacity(20 + payload.len());
    v.extend_from_slice(&proto.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&pkt.ifindex.to_be_bytes());
    v.extend_from_slice(&pkt.dev_type.to_be_bytes());
    v.push(pkttype);
    v.push(src.len() as u8);
    let mut addr = [0u8; 8];
    addr[..src.len()].copy_from_slice(src);
    v.extend_from_slice(&addr);
    v.extend_from_slice(payload);
    v
}

/// Where a capture's tap is attached.
enum Attach {
    Dev(Arc<NetDevice>),
    Netns(NetnsId),
}

/// A running capture: the tap, what it collected, and the output options. As a background job it
/// ends at `kill %N` or at the end of the script.
struct Capture {
    world: netdev_core::World,
    o: Opts,
    ns: NetnsId,
    iface: String,
    linktype: u32,
    attach: Attach,
    tap: Arc<dyn Tap>,
    state: Arc<Mutex<CapState>>,
    /// What tcpdump printed on standard error when it started.
    banner: String,
    /// Interface names seen at the start (`-i any` prints them).
    names: BTreeMap<u32, String>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").field("iface", &self.iface).field("linktype", &self.linktype).finish()
    }
}

impl Capture {
    /// Open the device (`pcap_activate`) and the output file, attach the tap, and write the
    /// banner: tcpdump's checks in its order, with its messages.
    fn start(ctx: &mut Ctx<'_>, o: Opts) -> Result<Capture, i32> {
        let ns = ctx.ns;
        let iface = match &o.iface {
            Some(i) => i.clone(),
            None => default_device(ctx.s, ns),
        };
        let (attach, linktype) = if iface == "any" {
            (Attach::Netns(ns), LINKTYPE_LINUX_SLL2)
        } else {
            let dev = ctx.s.world().rtnl().dev_by_name(ns, &iface);
            let Some(dev) = dev else {
                return Err(ctx.fail(1, &format!("tcpdump: {iface}: No such device exists\n(No such device exists)")));
            };
            if !dev.is_up() {
                return Err(ctx.fail(1, &format!("tcpdump: {iface}: That device is not up")));
            }
            // A device without a link-layer header (tun, venet) is captured as bare IP. (libpcap's
            // `map_arphrd_to_dlt` has no case for venet's ARPHRD_VOID and falls back to a cooked
            // socket with a warning; vnet shows it as tun is shown: see the module docs.)
            let lt = if matches!(dev.dev_type(), ARPHRD_NONE | ARPHRD_VOID) { LINKTYPE_RAW } else { LINKTYPE_ETHERNET };
            (Attach::Dev(dev), lt)
        };
        if let Err(msg) = o.filter.check(linktype) {
            return Err(ctx.fail(1, &format!("tcpdump: {msg}")));
        }
        if let Some(w) = &o.write
            && let Err(e) = std::fs::write(w, pcap::header(linktype))
        {
            return Err(ctx.fail(1, &format!("tcpdump: {w}: {}", crate::util::io_error_text(&e))));
        }
        let mut banner = String::new();
        if linktype == LINKTYPE_LINUX_SLL2 {
            banner.push_str("tcpdump: data link type LINUX_SLL2\n");
        }
        if o.print.vflag == 0 && o.write.is_none() {
            banner.push_str("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n");
        } else {
            banner.push_str("tcpdump: ");
        }
        banner.push_str(&format!(
            "listening on {iface}, link-type {}, snapshot length {} bytes\n",
            linktype_text(linktype),
            pcap::SNAPLEN
        ));
        let state = Arc::new(Mutex::new(CapState::default()));
        let tap: Arc<dyn Tap> = Arc::new(CaptureTap {
            linktype,
            dirs: o.dirs,
            filter: o.filter.clone(),
            count: o.count,
            state: state.clone(),
        });
        match &attach {
            Attach::Dev(d) => d.add_tap(tap.clone()),
            Attach::Netns(n) => {
                if ctx.s.world().rtnl().add_netns_tap(*n, tap.clone()).is_err() {
                    return Err(ctx.fail(1, "tcpdump: any: No such device exists\n(No such device exists)"));
                }
            }
        }
        let names = ifnames(ctx.s, ns);
        let world = ctx.s.world().clone();
        Ok(Capture { world, o, ns, iface, linktype, attach, tap, state, banner, names })
    }

    fn captured(&self) -> u64 {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).records.len() as u64
    }

    /// Detach the tap and produce tcpdump's output: the packet lines (or the file), and on
    /// standard error the banner and the statistics. `interrupted`: stopped by a signal, after
    /// which tcpdump ends the last line with an extra newline when it prints packets.
    fn stop(&mut self, s: &mut Session, interrupted: bool) -> Output {
        self.detach();
        let st = std::mem::take(&mut *self.state.lock().unwrap_or_else(PoisonError::into_inner));
        let mut out = Output { stderr: self.banner.clone(), ..Output::default() };
        if let Some(w) = &self.o.write {
            if let Err(e) = std::fs::write(w, pcap::write(self.linktype, &st.records)) {
                out.stderr.push_str(&format!("tcpdump: {w}: {}\n", crate::util::io_error_text(&e)));
                out.rc = 1;
            }
        } else {
            let mut names = ifnames(s, self.ns);
            for (k, v) in &self.names {
                names.insert(*k, v.clone());
            }
            let mut printer = Printer::new(self.o.print, names);
            for r in &st.records {
                out.stdout.push_str(&line(&mut printer, &self.o, self.linktype, r));
            }
            if interrupted {
                out.stdout.push('\n');
            }
        }
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let n = st.records.len() as u64;
        out.stderr.push_str(&format!("{n} packet{} captured\n", plural(n)));
        out.stderr.push_str(&format!("{} packet{} received by filter\n", st.received, plural(st.received)));
        out.stderr.push_str("0 packets dropped by kernel\n");
        out
    }
}

impl Capture {
    /// Take the tap off the device or namespace (closing the packet socket). Harmless twice.
    fn detach(&self) {
        match &self.attach {
            Attach::Dev(d) => d.remove_tap(&self.tap),
            Attach::Netns(n) => {
                let _ = self.world.rtnl().remove_netns_tap(*n, &self.tap);
            }
        }
    }
}

impl Drop for Capture {
    /// A capture dropped without being collected (its session went away) closes its socket too.
    fn drop(&mut self) {
        self.detach();
    }
}

impl Job for Capture {
    fn finish(mut self: Box<Self>, s: &mut Session) -> Output {
        let done = self.o.count.is_some_and(|c| self.captured() >= c);
        self.stop(s, !done)
    }
}

/// `pcap_lookupdev`: the first device that is up and not a loopback, else `any`.
fn default_device(s: &Session, ns: NetnsId) -> String {
    let devs = s.world().rtnl().devices(ns);
    devs.iter()
        .find(|d| d.is_up() && !d.flags().contains(netdev_core::IfFlags::LOOPBACK))
        .map(|d| d.name().to_string())
        .unwrap_or_else(|| "any".into())
}
