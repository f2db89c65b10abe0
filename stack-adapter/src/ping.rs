//! Ping sockets (`net/ipv4/ping.c`) and an iputils-`ping` driver on virtual time.

use std::net::IpAddr;

use netdev_core::Cpu;

use crate::sock::SockError;
use crate::stack::{OutErr, PingSock, Stack};
use crate::wire::{IPPROTO_ICMP, IPPROTO_ICMPV6, checksum, csum_add, csum_fold, pseudo6, write_ip4, write_ip6};

const SEC: u64 = 1_000_000_000;

/// What arrived on a ping socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PingRx {
    Reply { from: IpAddr, seq: u16, ttl: u8, len: usize, time: u64, payload: Vec<u8> },
    Error { from: IpAddr, seq: u16, icmp_type: u8, code: u8, info: u32, time: u64 },
}

/// iputils `ping` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingOpts {
    /// Destination.
    pub dst: IpAddr,
    /// `-c` (None: until the deadline; one of the two is required here).
    pub count: Option<u32>,
    /// `-i`, in ns (1 s by default).
    pub interval_ns: u64,
    /// `-s` (56).
    pub size: usize,
    /// `-t`.
    pub ttl: Option<u8>,
    /// `-M do`: always set DF and never fragment (default `want`: DF when it fits).
    pub pmtudisc_do: bool,
    /// `-M dont`: never set DF.
    pub pmtudisc_dont: bool,
    /// `-I DEV`.
    pub oif: Option<u32>,
    /// `-I ADDR`.
    pub src: Option<IpAddr>,
    /// `-W`, in ns: how long to wait for replies after the last probe.
    pub timeout_ns: Option<u64>,
    /// `-w`, in ns: stop after this long whatever happens.
    pub deadline_ns: Option<u64>,
    /// `-b`: allow pinging a broadcast address.
    pub broadcast: bool,
}

impl PingOpts {
    /// `ping -c COUNT DST` with iputils' defaults.
    pub fn new(dst: IpAddr, count: u32) -> PingOpts {
        PingOpts {
            dst,
            count: Some(count),
            interval_ns: SEC,
            size: 56,
            ttl: None,
            pmtudisc_do: false,
            pmtudisc_dont: false,
            oif: None,
            src: None,
            timeout_ns: None,
            deadline_ns: None,
            broadcast: false,
        }
    }
}

/// One thing `ping` prints a line for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PingEvent {
    /// `64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.000 ms` (`dup` adds ` (DUP!)`).
    Reply {
        /// Sequence number.
        seq: u16,
        /// Responder.
        from: IpAddr,
        /// TTL / hop limit of the reply.
        ttl: u8,
        /// ICMP bytes (header + payload).
        bytes: usize,
        /// Round-trip time in virtual ns.
        rtt_ns: u64,
        /// A duplicate reply.
        dup: bool,
    },
    /// `From 10.0.0.1 icmp_seq=1 Destination Host Unreachable`.
    Error {
        /// Sequence number of the probe the error quotes.
        seq: u16,
        /// Who sent the error.
        from: IpAddr,
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// The MTU of a fragmentation-needed error (else 0).
        info: u32,
        /// The error is ICMPv6.
        v6: bool,
    },
    /// `ping: local error: message too long, mtu=1400` (sendmsg failed with EMSGSIZE).
    LocalError {
        /// Sequence number of the probe.
        seq: u16,
        /// The path MTU.
        mtu: u32,
    },
    /// `ping: sendmsg: Network is unreachable`.
    SendError {
        /// Sequence number of the probe.
        seq: u16,
        /// The error.
        err: SockError,
    },
}

/// What a `ping` run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingReport {
    /// Destination.
    pub dst: IpAddr,
    /// Source address used.
    pub src: IpAddr,
    /// ICMP payload size.
    pub size: usize,
    /// Events with their virtual time (ns since the start).
    pub events: Vec<(u64, PingEvent)>,
    /// Probes sent.
    pub transmitted: u32,
    /// Distinct replies.
    pub received: u32,
    /// Errors (ICMP errors and local errors).
    pub errors: u32,
    /// Duplicates.
    pub duplicates: u32,
    /// iputils' `time`: the last send or receive, ns after the start.
    pub time_ns: u64,
    /// Round-trip times of the replies, ns.
    pub rtts: Vec<u64>,
    /// The exit status iputils gives (0 some replies, 1 none).
    pub exit_code: i32,
}

/// One `ping` run in progress: the socket's identifier, the report being filled, and when
/// each probe left.
struct PingRun<'a> {
    stack: &'a Stack,
    opts: &'a PingOpts,
    ident: u16,
    start: u64,
    rep: PingReport,
    sent_at: Vec<u64>,
    got: Vec<bool>,
    /// The last send or receive (iputils' `time`).
    last: u64,
}

impl PingRun<'_> {
    /// Every probe is out and each has its answer (a reply or an error).
    fn done(&self) -> bool {
        self.opts.count.is_some_and(|c| self.sent_at.len() as u32 >= c && self.rep.received + self.rep.errors >= c)
    }

    /// Move time to `target` through the timers, stopping early once every probe is answered.
    fn advance_to(&mut self, cpu: &mut Cpu, target: u64) {
        let world = cpu.world().clone();
        while cpu.now() < target {
            let step_to = world.next_timer().filter(|&t| t < target).unwrap_or(target).max(cpu.now());
            cpu.advance(step_to - cpu.now());
            self.collect();
            if self.done() || step_to >= target {
                return;
            }
        }
    }

    /// What arrived on the socket since the last look.
    fn collect(&mut self) {
        let rx: Vec<PingRx> = {
            let mut g = self.stack.inner.lock();
            g.pings.get_mut(&self.ident).map(|s| s.rx.drain(..).collect()).unwrap_or_default()
        };
        let rep = &mut self.rep;
        for r in rx {
            match r {
                PingRx::Reply { from, seq, ttl, len, time, payload } => {
                    let i = usize::from(seq).wrapping_sub(1);
                    let Some(&t0) = self.sent_at.get(i) else { continue };
                    if payload.len() != self.opts.size && len != self.opts.size + 8 {
                        continue;
                    }
                    let rtt = time.saturating_sub(t0);
                    let dup = self.got[i];
                    if dup {
                        rep.duplicates += 1;
                    } else {
                        self.got[i] = true;
                        rep.received += 1;
                        rep.rtts.push(rtt);
                    }
                    self.last = self.last.max(time);
                    let ev = PingEvent::Reply { seq, from, ttl, bytes: len, rtt_ns: rtt, dup };
                    rep.events.push((time - self.start, ev));
                }
                PingRx::Error { from, seq, icmp_type, code, info, time } => {
                    // iputils' `time` is read at sends and replies, not at errors: the seed's
                    // 4 probes with 4 late host-unreachables report "time 3016ms".
                    rep.errors += 1;
                    let v6 = self.opts.dst.is_ipv6();
                    rep.events.push((time - self.start, PingEvent::Error { seq, from, icmp_type, code, info, v6 }));
                }
            }
        }
    }
}

impl Stack {
    /// Run `ping` as iputils does, on virtual time: probes every interval, replies and errors
    /// collected as they arrive, the clock advanced through `cpu` (which must not be shared).
    /// Fails like `ping: connect: Network is unreachable` when there is no route at all.
    pub fn ping(&self, cpu: &mut Cpu, opts: &PingOpts) -> Result<PingReport, SockError> {
        let start = cpu.now();
        let (ident, src) = {
            let mut g = self.inner.lock();
            g.now = start;
            let src = match opts.src {
                Some(s) => s,
                None => g.select_source(opts.dst, opts.oif).ok_or(SockError::NetUnreachable)?,
            };
            let mut ident = (g.rng.next_u64() & 0xffff) as u16;
            while g.pings.contains_key(&ident) {
                ident = ident.wrapping_add(1);
            }
            g.pings.insert(ident, PingSock::default());
            (ident, src)
        };
        let rep = PingReport {
            dst: opts.dst,
            src,
            size: opts.size,
            events: Vec::new(),
            transmitted: 0,
            received: 0,
            errors: 0,
            duplicates: 0,
            time_ns: 0,
            rtts: Vec::new(),
            exit_code: 1,
        };
        let mut run =
            PingRun { stack: self, opts, ident, start, rep, sent_at: Vec::new(), got: Vec::new(), last: start };
        let deadline = opts.deadline_ns.map(|d| start + d);
        let mut next_send = start;
        let mut exit_at: Option<u64> = None;
        loop {
            let all_sent = opts.count.is_some_and(|c| run.sent_at.len() as u32 >= c);
            if run.done() {
                break;
            }
            if all_sent && exit_at.is_none() {
                // __schedule_exit: after the last probe, 2*tmax (at least the interval) with
                // replies, the linger time (-W, else 10 s) without.
                let wait = if run.rep.received > 0 {
                    (2 * run.rep.rtts.iter().copied().max().unwrap_or(0)).max(opts.interval_ns)
                } else {
                    opts.timeout_ns.unwrap_or(10 * SEC)
                };
                exit_at = Some(cpu.now() + wait);
            }
            // The exit alarm at T goes off before kernel timers due at the same instant (those
            // fire a timer-wheel tick late on Linux): stop just short of it.
            let target = match exit_at {
                Some(e) if all_sent => e.saturating_sub(1).max(cpu.now()),
                _ => next_send,
            };
            run.advance_to(cpu, deadline.map_or(target, |d| target.min(d)));
            if run.done() || deadline.is_some_and(|d| cpu.now() >= d) {
                break;
            }
            if all_sent {
                if exit_at.is_some_and(|e| cpu.now() >= e.saturating_sub(1)) {
                    break;
                }
                continue;
            }
            if cpu.now() < next_send {
                continue;
            }
            let seq = (run.sent_at.len() as u16).wrapping_add(1);
            let now = cpu.now();
            run.sent_at.push(now);
            run.got.push(false);
            run.rep.transmitted += 1;
            run.last = now;
            let pkt = self.build_echo(opts, src, ident, seq, now - start);
            match self.with(cpu, |g, cpu| g.local_out(cpu, &pkt, opts.oif)) {
                Ok(()) => {}
                Err(e) => {
                    run.rep.errors += 1;
                    let ev = match e {
                        OutErr::MsgSize(mtu) => PingEvent::LocalError { seq, mtu },
                        e => PingEvent::SendError { seq, err: e.into() },
                    };
                    run.rep.events.push((now - start, ev));
                }
            }
            cpu.run_until_idle(netdev_core::TIMER_RX_BUDGET);
            run.collect();
            next_send = now + opts.interval_ns;
        }
        self.inner.lock().pings.remove(&ident);
        let mut rep = run.rep;
        rep.time_ns = run.last - start;
        let short = opts.deadline_ns.is_some() && opts.count.is_some_and(|c| rep.received < c);
        rep.exit_code = if rep.received == 0 || short { 1 } else { 0 };
        Ok(rep)
    }

    /// An echo request as iputils sends it: a timeval in the first 16 payload bytes, then the
    /// bytes 0x10, 0x11, ...; IPv4 with DF when it fits (pmtudisc want) or always (`-M do`).
    fn build_echo(&self, opts: &PingOpts, src: IpAddr, ident: u16, seq: u16, t: u64) -> Vec<u8> {
        let mut payload = vec![0u8; opts.size];
        for (i, b) in payload.iter_mut().enumerate() {
            *b = i as u8;
        }
        if opts.size >= 16 {
            payload[0..8].copy_from_slice(&(t / SEC).to_le_bytes());
            payload[8..16].copy_from_slice(&((t % SEC) / 1000).to_le_bytes());
        }
        let mut g = self.inner.lock();
        match (src, opts.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut out = vec![0u8; 28 + opts.size];
                out[20] = 8;
                out[24..26].copy_from_slice(&ident.to_be_bytes());
                out[26..28].copy_from_slice(&seq.to_be_bytes());
                out[28..].copy_from_slice(&payload);
                let c = checksum(&out[20..]);
                out[22..24].copy_from_slice(&c.to_be_bytes());
                let mtu = g.route_out4(d, opts.oif).map_or(1500, |r| r.mtu) as usize;
                let df = !opts.pmtudisc_dont && (opts.pmtudisc_do || out.len() <= mtu);
                let id = g.next_ip_id();
                let ttl = opts.ttl.unwrap_or_else(|| g.conf.ip_default_ttl());
                write_ip4(&mut out, 0, id, df, ttl, IPPROTO_ICMP, s, d);
                out
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mut out = vec![0u8; 48 + opts.size];
                out[40] = 128;
                out[44..46].copy_from_slice(&ident.to_be_bytes());
                out[46..48].copy_from_slice(&seq.to_be_bytes());
                out[48..].copy_from_slice(&payload);
                let hlim = opts.ttl.unwrap_or_else(|| {
                    let oif = opts.oif.unwrap_or(0);
                    g.conf.ipv6_hop_limit(oif).unwrap_or(64)
                });
                write_ip6(&mut out, IPPROTO_ICMPV6, hlim, s, d);
                let sum = csum_add(pseudo6(s, d, out.len() - 40, IPPROTO_ICMPV6), &out[40..]);
                out[42..44].copy_from_slice(&csum_fold(sum).to_be_bytes());
                out
            }
            _ => Vec::new(),
        }
    }
}

/// iputils' `%g` for the loss percentage (six significant digits, no trailing zeros).
fn pct_g(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = 6 - 1 - v.abs().log10().floor() as i32;
    let s = format!("{:.*}", digits.max(0) as usize, v);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// `time=` as iputils prints a trip time given in microseconds.
fn trip(us: u64) -> String {
    if us >= 100_000 - 50 {
        format!("{}", (us + 500) / 1000)
    } else if us >= 10_000 - 5 {
        format!("{}.{:01}", (us + 50) / 1000, ((us + 50) % 1000) / 100)
    } else if us >= 1000 {
        format!("{}.{:02}", (us + 5) / 1000, ((us + 5) % 1000) / 10)
    } else {
        format!("{}.{:03}", us / 1000, us % 1000)
    }
}

fn icmp4_error_text(t: u8, code: u8, info: u32) -> String {
    match (t, code) {
        (3, 0) => "Destination Net Unreachable".into(),
        (3, 1) => "Destination Host Unreachable".into(),
        (3, 2) => "Destination Protocol Unreachable".into(),
        (3, 3) => "Destination Port Unreachable".into(),
        (3, 4) => format!("Frag needed and DF set (mtu = {info})"),
        (3, 13) => "Packet filtered".into(),
        (3, c) => format!("Dest Unreachable, Bad Code: {c}"),
        (11, 0) => "Time to live exceeded".into(),
        (11, 1) => "Frag reassembly time exceeded".into(),
        (12, _) => "Parameter problem".into(),
        (t, c) => format!("Bad ICMP type: {t}, code: {c}"),
    }
}

fn icmp6_error_text(t: u8, code: u8, info: u32) -> String {
    match (t, code) {
        (1, 0) => "Destination unreachable: No route".into(),
        (1, 1) => "Destination unreachable: Administratively prohibited".into(),
        (1, 2) => "Destination unreachable: Beyond scope of source address".into(),
        (1, 3) => "Destination unreachable: Address unreachable".into(),
        (1, 4) => "Destination unreachable: Port unreachable".into(),
        (2, _) => format!("Packet too big: mtu={info}"),
        (3, 0) => "Time exceeded: Hop limit".into(),
        (3, 1) => "Time exceeded: Defragmentation failure".into(),
        (4, _) => "Parameter problem".into(),
        (t, c) => format!("Unknown icmp type: {t}, code: {c}"),
    }
}

impl PingReport {
    /// What iputils `ping` (20221126) prints: (stdout, stderr). Times are virtual.
    pub fn iputils_output(&self) -> (String, String) {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut err = String::new();
        match self.dst {
            IpAddr::V4(d) => {
                let _ = writeln!(out, "PING {d} ({d}) {}({}) bytes of data.", self.size, self.size + 28);
            }
            IpAddr::V6(d) => {
                let _ = writeln!(out, "PING {d}({d}) {} data bytes", self.size);
            }
        }
        for (_, e) in &self.events {
            match e {
                PingEvent::Reply { seq, from, ttl, bytes, rtt_ns, dup } => {
                    let _ = write!(
                        out,
                        "{bytes} bytes from {from}: icmp_seq={seq} ttl={ttl} time={} ms",
                        trip(rtt_ns / 1000)
                    );
                    if *dup {
                        out.push_str(" (DUP!)");
                    }
                    out.push('\n');
                }
                PingEvent::Error { seq, from, icmp_type, code, info, v6 } => {
                    let text = if *v6 {
                        icmp6_error_text(*icmp_type, *code, *info)
                    } else {
                        icmp4_error_text(*icmp_type, *code, *info)
                    };
                    let _ = writeln!(out, "From {from} icmp_seq={seq} {text}");
                }
                PingEvent::LocalError { mtu, .. } => {
                    let _ = writeln!(err, "ping: local error: message too long, mtu={mtu}");
                }
                PingEvent::SendError { err: e, .. } => {
                    let _ = writeln!(err, "ping: sendmsg: {e}");
                }
            }
        }
        let _ = writeln!(out, "\n--- {} ping statistics ---", self.dst);
        let _ = write!(out, "{} packets transmitted, {} received", self.transmitted, self.received);
        if self.duplicates > 0 {
            let _ = write!(out, ", +{} duplicates", self.duplicates);
        }
        if self.errors > 0 {
            let _ = write!(out, ", +{} errors", self.errors);
        }
        if self.transmitted > 0 {
            let loss =
                f64::from(self.transmitted - self.received.min(self.transmitted)) * 100.0 / f64::from(self.transmitted);
            let _ = write!(out, ", {}% packet loss", pct_g(loss));
        }
        let _ = writeln!(out, ", time {}ms", self.time_ns / 1_000_000);
        if self.received > 0 {
            let us: Vec<u64> = self.rtts.iter().map(|r| r / 1000).collect();
            let n = us.len() as u64;
            let (min, max) = (us.iter().copied().min().unwrap_or(0), us.iter().copied().max().unwrap_or(0));
            let sum: u64 = us.iter().sum();
            let sum2: u128 = us.iter().map(|&x| u128::from(x) * u128::from(x)).sum();
            let avg = sum / n;
            let var = (sum2 / u128::from(n)).saturating_sub(u128::from(avg) * u128::from(avg));
            let mdev = (var as f64).sqrt() as u64;
            let ms = |v: u64| format!("{}.{:03}", v / 1000, v % 1000);
            let _ = writeln!(out, "rtt min/avg/max/mdev = {}/{}/{}/{} ms", ms(min), ms(avg), ms(max), ms(mdev));
        } else {
            out.push('\n');
        }
        (out, err)
    }
}
