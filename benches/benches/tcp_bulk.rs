//! TCP bulk throughput between two namespaces over a veth, through the whole stack, against
//! smoltcp alone on its own `Loopback` device, in the same run (issue 3).
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench tcp_bulk
//! ```
//!
//! Group `tcp_bulk`; every iteration pushes [`PAYLOAD`] bytes (16 MiB) through one established
//! connection and reads them at the other end (criterion's "thrpt" is in decimal MB/s):
//!
//! - `vnet_veth`: a World with two namespaces joined by a veth (10.0.0.1/24, 10.0.0.2/24, IPv6
//!   off), a listener in one, the connection from the other, driven by `Stack::tcp_send`,
//!   `Cpu::run_until_idle` and `Stack::tcp_recv`. Each segment goes smoltcp → the stack's IPv4
//!   output, FIB and ARP → `dev_queue_xmit` → veth → the peer's backlog → `ip_rcv` → smoltcp.
//! - `loopback_1500`: the baseline. smoltcp's `phy::Loopback` with one `Interface` (`Medium::Ip`,
//!   both addresses on it), the device capabilities vnet's smoltcp interface has (MTU 1500,
//!   checksums computed and verified) and the same sockets (256 KiB buffers, 40 ms delayed ACK).
//!   Each `Interface::poll` takes every frame queued, as smoltcp's examples poll.
//! - `loopback_1500_per_frame`: the same, but each poll takes one received frame, as vnet's
//!   stack polls smoltcp once per packet it delivers. The receiver then ACKs every second
//!   segment, as in vnet (1.5 frames per data segment instead of 1.0): this separates what the
//!   polling pattern costs from what the stack's own path costs.
//! - `loopback_raw`: `Loopback` as smoltcp ships it (MTU 65535, checksums ignored), the figure
//!   smoltcp's own `examples/loopback_benchmark.rs` measures; for context only.
//!
//! All of them run the same application loop ([`transfer`]): send what fits, run the network
//! until nothing is in flight, read everything there is, and only when nothing moved let virtual
//! time run to the next deadline (a World timer in vnet, `poll_delay` for the loopback). Each
//! connection is set up and checked once outside the timed loop: one transfer of [`PAYLOAD`]
//! bytes whose count and FNV-1a hash must match what was sent. vnet must end with no drop.
//!
//! After criterion's benches, an interleaved phase times [`ROUNDS`] rounds of one transfer of each
//! scenario back to back, and the summary prints MB/s (criterion's samples and the rounds),
//! ns and frames per 1460 bytes (one full segment), virtual time per transfer, and the ratios
//! loopback / vnet taken within each round (the host's load drifts between criterion's benches).
//!
//! `tcp_bulk drive MODE MIB` (MODE: `vnet`, `loopback`, `loopback_per_frame`, `loopback_raw`)
//! skips criterion: it sets up and checks a connection, then moves MIB MiB in one never-inlined
//! function, [`drive`], for `valgrind --tool=callgrind --toggle-collect='*tcp_bulk::drive*'` and
//! `perf`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use netdev_core::{Cpu, NetDevice, NetnsId, NewLink, World, WorldConfig};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Loopback, Medium};
use smoltcp::socket::tcp;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint};
use stack_adapter::{AddrOpts, SockError, SocketId, Stack, TcpState};

/// Bytes per measured iteration.
const PAYLOAD: usize = 16 << 20;
/// Bytes per iteration in criterion's test mode (`--test`, `cargo test --benches`).
const SMOKE_PAYLOAD: usize = 1 << 20;
/// What vnet's smoltcp interface uses (stack-adapter `sock.rs`: `TCP_BUF`, `set_ack_delay`, the
/// veth's MTU).
const TCP_BUF: usize = 256 * 1024;
const ACK_DELAY_MS: u64 = 40;
const MTU: usize = 1500;
/// Payload of a full-sized segment without TCP options (MTU − 20 − 20): the unit the summary
/// normalises to ("per 1460 B"), and the bound on a transfer's rounds.
const MSS: usize = MTU - 40;
/// The application's read buffer.
const READ_BUF: usize = 64 * 1024;
const PORT: u16 = 5001;

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(5);
const SAMPLES: usize = 10;

const MS: u64 = 1_000_000;

fn addr(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, last)
}

// ---------------------------------------------------------------------------------- the loop

/// One established connection as the application loop sees it: the scenarios differ only here.
trait Conn {
    /// Queue `data` on the sending socket; returns how much fitted.
    fn send(&mut self, data: &[u8]) -> usize;
    /// Run the network until nothing is in flight.
    fn run(&mut self);
    /// Read what has arrived into `buf`; 0 if nothing has.
    fn recv(&mut self, buf: &mut [u8]) -> usize;
    /// Nothing moved: let virtual time run to the next deadline.
    fn idle(&mut self);
    /// Virtual time, in ns.
    fn now(&self) -> u64;
    /// Frames (IP packets) delivered so far, both directions.
    fn frames(&self) -> u64;
}

/// What one [`transfer`] took besides wall time.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    /// Times nothing moved and virtual time had to jump.
    idles: u64,
    /// Virtual time elapsed, ns.
    virt_ns: u64,
    /// Frames delivered, data and ACKs, both directions.
    frames: u64,
}

/// Push `data` through `c` and read it all at the other end, passing what arrives to `on_data`.
/// Bounded, so a stalled connection fails instead of hanging.
fn transfer<C: Conn + ?Sized>(c: &mut C, data: &[u8], buf: &mut [u8], mut on_data: impl FnMut(&[u8])) -> Cost {
    let (t0, f0) = (c.now(), c.frames());
    let (mut sent, mut got, mut idles) = (0, 0, 0u64);
    let max_rounds = 64 + 16 * data.len() / MSS;
    let mut rounds = 0;
    while got < data.len() {
        rounds += 1;
        assert!(rounds <= max_rounds && idles <= 1000, "stalled: {got} of {} bytes after {rounds} rounds", data.len());
        let mut moved = false;
        if sent < data.len() {
            let n = c.send(&data[sent..]);
            sent += n;
            moved |= n > 0;
        }
        c.run();
        loop {
            let n = c.recv(buf);
            if n == 0 {
                break;
            }
            on_data(&buf[..n]);
            got += n;
            moved = true;
        }
        if !moved {
            idles += 1;
            c.idle();
        }
    }
    assert_eq!(got, data.len(), "received more than was sent");
    Cost { idles, virt_ns: c.now() - t0, frames: c.frames() - f0 }
}

/// FNV-1a, 64 bits.
#[derive(Clone, Copy, Debug)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The bytes every transfer sends (the pattern `tests/tests/stack_route.rs` uses).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Transfer `data` once, outside any timing, and check the count and hash of what arrived.
fn verify<C: Conn + ?Sized>(c: &mut C, name: &str, data: &[u8]) -> Cost {
    let mut want = Fnv::new();
    want.update(data);
    let (mut h, mut n) = (Fnv::new(), 0usize);
    let mut buf = vec![0u8; READ_BUF];
    let cost = transfer(c, data, &mut buf, |b| {
        h.update(b);
        n += b.len();
    });
    assert_eq!((n, h.0), (data.len(), want.0), "{name}: received bytes differ from those sent");
    cost
}

/// Drive `c` until `done`, bounded.
fn drive_until<C: Conn>(c: &mut C, name: &str, mut done: impl FnMut(&mut C) -> bool) {
    for _ in 0..10_000 {
        if done(c) {
            return;
        }
        c.run();
        if !done(c) {
            c.idle();
        }
    }
    panic!("{name}: connection not established");
}

// ---------------------------------------------------------------------------------- vnet

/// Two namespaces `a` (10.0.0.1, the client) and `b` (10.0.0.2, the listener) joined by veth
/// `va`/`vb`, both up, IPv6 disabled, one CPU.
struct VnetConn {
    world: World,
    cpu: Cpu,
    tx: Arc<Stack>,
    rx: Arc<Stack>,
    client: SocketId,
    server: SocketId,
    ends: [Arc<NetDevice>; 2],
}

impl VnetConn {
    fn new(seed: u64) -> VnetConn {
        let world = World::new(WorldConfig { seed, cpus: 1, ..WorldConfig::default() });
        netdev_veth::register(&world).expect("a fresh World has no veth kind yet");
        let stacks = stack_adapter::install(&world).expect("a fresh World takes the stack");
        let (na, nb, va, vb) = {
            let mut rt = world.rtnl();
            let na = rt.netns_add("a").expect("new namespace");
            let nb = rt.netns_add("b").expect("new namespace");
            for ns in [NetnsId::INIT, na, nb] {
                for k in ["all", "default"] {
                    stacks
                        .of(ns)
                        .sysctl_set(&mut rt, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1")
                        .expect("disable_ipv6 is writable");
                }
            }
            let cfg = VethConfig {
                peer: PeerSpec { name: Some("vb".into()), netns: Some(PeerNetns::Id(nb)), ..PeerSpec::default() },
            };
            let req = NewLink { name: Some("va".into()), ..NewLink::in_netns(na) };
            let va = rt.newlink(netdev_veth::KIND, &req, &(Box::new(cfg) as _)).expect("veth in fresh namespaces");
            let vb = Veth::peer_of(&va).expect("a new veth has its peer");
            rt.set_up(&va, true).expect("veth opens with a peer");
            rt.set_up(&vb, true).expect("veth opens with a peer");
            let o = AddrOpts::default();
            stacks.of(na).addr_add(&mut rt, va.ifindex(), IpAddr::V4(addr(1)), 24, &o).expect("address");
            stacks.of(nb).addr_add(&mut rt, vb.ifindex(), IpAddr::V4(addr(2)), 24, &o).expect("address");
            (na, nb, va, vb)
        };
        assert!(stacks.of(na).addrs6(va.ifindex()).is_empty(), "IPv6 is off: no link-local address");
        let mut cpu = world.cpu(0).expect("CPU 0 is free");
        let (tx, rx) = (stacks.of(na), stacks.of(nb));
        let server = rx.tcp_listen(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT)).expect("listen");
        let client = tx.tcp_connect(&mut cpu, SocketAddr::new(addr(2).into(), PORT), None).expect("connect");
        let mut c = VnetConn { world, cpu, tx, rx, client, server, ends: [va, vb] };
        drive_until(&mut c, "vnet", |c| {
            c.tx.tcp_state(c.client).state == TcpState::Established
                && c.rx.tcp_state(c.server).state == TcpState::Established
        });
        c
    }

    /// Nothing dropped anywhere: no drop reason counted, no device drop.
    fn assert_clean(&self) {
        assert_eq!(self.world.total_drops(), 0, "vnet drops: {:?}", self.world.drop_counts());
        for d in &self.ends {
            let s = d.stats64();
            assert!(s.tx_dropped == 0 && s.rx_dropped == 0, "{}: {s:?}", d.name());
        }
    }
}

impl Conn for VnetConn {
    fn send(&mut self, data: &[u8]) -> usize {
        match self.tx.tcp_send(&mut self.cpu, self.client, data) {
            Ok(n) => n,
            Err(e) => panic!("tcp_send: {e}"),
        }
    }

    fn run(&mut self) {
        while self.cpu.run_until_idle(1 << 20) > 0 {}
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        match self.rx.tcp_recv(&mut self.cpu, self.server, buf) {
            Ok(n) => n,
            Err(SockError::WouldBlock) => 0,
            Err(e) => panic!("tcp_recv: {e}"),
        }
    }

    fn idle(&mut self) {
        let now = self.cpu.now();
        let next = self.world.next_timer().unwrap_or(now + MS);
        self.cpu.advance(next.saturating_sub(now).max(1));
    }

    fn now(&self) -> u64 {
        self.cpu.now()
    }

    fn frames(&self) -> u64 {
        self.ends.iter().map(|d| d.stats64().rx_packets).sum()
    }
}

// ---------------------------------------------------------------------------------- loopback

/// smoltcp's `Loopback`, with the capabilities given (so that it can stand in for vnet's own
/// smoltcp device), counting frames. Composed around the device rather than a copy of it.
struct Counted {
    inner: Loopback,
    caps: DeviceCapabilities,
    sent: u64,
    received: u64,
    /// Frames `receive` may still hand out in this poll.
    budget: usize,
}

struct CountedTx<'a> {
    inner: <Loopback as Device>::TxToken<'a>,
    sent: &'a mut u64,
}

impl phy::TxToken for CountedTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        *self.sent += 1;
        self.inner.consume(len, f)
    }
}

impl Device for Counted {
    type RxToken<'a> = <Loopback as Device>::RxToken<'a>;
    type TxToken<'a> = CountedTx<'a>;

    fn receive(&mut self, t: smoltcp::time::Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        if self.budget == 0 {
            return None;
        }
        let (rx, tx) = self.inner.receive(t)?;
        self.budget -= 1;
        self.received += 1;
        Some((rx, CountedTx { inner: tx, sent: &mut self.sent }))
    }

    fn transmit(&mut self, t: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        let tx = self.inner.transmit(t)?;
        Some(CountedTx { inner: tx, sent: &mut self.sent })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps.clone()
    }
}

/// Which loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caps {
    /// What vnet's smoltcp device (stack-adapter `sock.rs` `Phy`) declares: `Medium::Ip`, MTU
    /// 1500, default checksum capabilities (computed on send, verified on receive).
    Vnet,
    /// `Loopback`'s own: MTU 65535, checksums ignored.
    Raw,
}

/// How many received frames one `Interface::poll` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Batch {
    /// All there are, as smoltcp's examples poll.
    All,
    /// One: what vnet does, where the stack polls smoltcp once per packet it delivers.
    PerFrame,
}

/// One `Interface` on a [`Counted`] loopback holding both addresses, a listener on 10.0.0.2 and
/// a client from 10.0.0.1, the sockets as vnet makes them.
struct LoopConn {
    iface: Interface,
    dev: Counted,
    batch: Batch,
    sockets: SocketSet<'static>,
    client: SocketHandle,
    server: SocketHandle,
    now_us: i64,
}

fn tcp_socket() -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; TCP_BUF]), tcp::SocketBuffer::new(vec![0; TCP_BUF]));
    s.set_ack_delay(Some(smoltcp::time::Duration::from_millis(ACK_DELAY_MS)));
    s
}

impl LoopConn {
    fn new(seed: u64, caps: Caps, batch: Batch) -> LoopConn {
        let inner = Loopback::new(Medium::Ip);
        let caps = match caps {
            Caps::Raw => inner.capabilities(),
            Caps::Vnet => {
                let mut c = DeviceCapabilities::default();
                c.medium = Medium::Ip;
                c.max_transmission_unit = MTU;
                c
            }
        };
        let mut dev = Counted { inner, caps, sent: 0, received: 0, budget: usize::MAX };
        let mut cfg = Config::new(HardwareAddress::Ip);
        cfg.random_seed = seed;
        let mut iface = Interface::new(cfg, &mut dev, smoltcp::time::Instant::ZERO);
        iface.update_ip_addrs(|a| {
            for last in [1, 2] {
                a.push(IpCidr::new(IpAddress::from(addr(last)), 24)).expect("two addresses fit");
            }
        });
        let mut sockets = SocketSet::new(Vec::new());
        let mut srv = tcp_socket();
        srv.listen(IpEndpoint::new(addr(2).into(), PORT)).expect("listen");
        let server = sockets.add(srv);
        let mut cli = tcp_socket();
        cli.connect(iface.context(), IpEndpoint::new(addr(2).into(), PORT), IpEndpoint::new(addr(1).into(), 49152))
            .expect("connect");
        let client = sockets.add(cli);
        let mut c = LoopConn { iface, dev, batch, sockets, client, server, now_us: 0 };
        drive_until(&mut c, "loopback", |c| {
            c.sockets.get::<tcp::Socket<'_>>(c.client).state() == tcp::State::Established
                && c.sockets.get::<tcp::Socket<'_>>(c.server).state() == tcp::State::Established
        });
        c
    }

    fn instant(&self) -> smoltcp::time::Instant {
        smoltcp::time::Instant::from_micros(self.now_us)
    }
}

impl Conn for LoopConn {
    fn send(&mut self, data: &[u8]) -> usize {
        self.sockets.get_mut::<tcp::Socket<'_>>(self.client).send_slice(data).expect("client can send")
    }

    fn run(&mut self) {
        // Like `run_until_idle`: poll until every frame sent has been received.
        loop {
            let now = self.instant();
            self.dev.budget = if self.batch == Batch::PerFrame { 1 } else { usize::MAX };
            let _ = self.iface.poll(now, &mut self.dev, &mut self.sockets);
            if self.dev.sent == self.dev.received {
                break;
            }
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> usize {
        let s = self.sockets.get_mut::<tcp::Socket<'_>>(self.server);
        if !s.can_recv() {
            return 0;
        }
        s.recv_slice(buf).expect("server can receive")
    }

    fn idle(&mut self) {
        let now = self.instant();
        let d = self.iface.poll_delay(now, &self.sockets).map_or(1000, |d| d.total_micros() as i64);
        self.now_us += d.max(1);
    }

    fn now(&self) -> u64 {
        self.now_us as u64 * 1000
    }

    fn frames(&self) -> u64 {
        self.dev.received
    }
}

// ---------------------------------------------------------------------------------- criterion

/// What one bench's `iter_custom` calls measured, and what its transfers cost besides time.
#[derive(Default)]
struct Record {
    calls: Vec<(u64, Duration)>,
    cost: Cost,
    transfers: u64,
}

impl Record {
    /// Median MB/s over the last `samples` calls (criterion's samples; the earlier calls are its
    /// warm-up), with the min and max.
    fn mb_per_s(&self, samples: usize, payload: usize) -> Option<(f64, f64, f64)> {
        let start = self.calls.len().saturating_sub(samples);
        stats(
            self.calls[start..]
                .iter()
                .filter(|(iters, d)| *iters > 0 && !d.is_zero())
                .map(|(iters, d)| (*iters as f64 * payload as f64) / d.as_secs_f64() / 1e6)
                .collect(),
        )
    }

    fn add(&mut self, c: Cost) {
        self.cost.idles += c.idles;
        self.cost.virt_ns += c.virt_ns;
        self.cost.frames += c.frames;
        self.transfers += 1;
    }
}

// Benches measure wall time with `Instant`, which clippy.toml keeps out of simulation code.
#[allow(clippy::disallowed_methods)]
fn timed<C: Conn>(c: &mut C, iters: u64, data: &[u8], buf: &mut [u8], rec: &mut Record) -> Duration {
    let mut costs = Vec::with_capacity(iters as usize);
    let t0 = Instant::now();
    for _ in 0..iters {
        let mut n = 0usize;
        let cost = transfer(c, black_box(data), buf, |b| n += b.len());
        assert_eq!(n, data.len());
        costs.push(cost);
    }
    let el = t0.elapsed();
    for cost in costs {
        rec.add(cost);
    }
    rec.calls.push((iters, el));
    el
}

fn bench<C: Conn>(c: &mut Criterion, name: &str, conn: &mut C, data: &[u8], rec: &mut Record) {
    let mut buf = vec![0u8; READ_BUF];
    let mut group = c.benchmark_group("tcp_bulk");
    group.throughput(Throughput::BytesDecimal(data.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function(name, |b| b.iter_custom(|iters| timed(conn, iters, data, &mut buf, rec)));
    group.finish();
}

/// The scenarios, in the order they are benched and printed; the last is vnet.
const NAMES: [&str; 4] = ["loopback_raw", "loopback_1500", "loopback_1500_per_frame", "vnet_veth"];
/// Rounds of the interleaved phase.
const ROUNDS: usize = 30;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("drive") {
        return drive_main(&args[2..]);
    }
    // `cargo test --benches` runs without `--bench`, `cargo bench -- --test` with `--test`: each
    // bench then runs once, so a smaller payload keeps the smoke test to a second or two.
    let smoke = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
    let payload = if smoke { SMOKE_PAYLOAD } else { PAYLOAD };
    let data = pattern(payload);

    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();

    let mut raw = LoopConn::new(1, Caps::Raw, Batch::All);
    let mut lo = LoopConn::new(1, Caps::Vnet, Batch::All);
    let mut lof = LoopConn::new(1, Caps::Vnet, Batch::PerFrame);
    let mut vnet = VnetConn::new(1);
    verify(&mut raw, NAMES[0], &data);
    verify(&mut lo, NAMES[1], &data);
    verify(&mut lof, NAMES[2], &data);
    verify(&mut vnet, NAMES[3], &data);

    // Each bench on its concrete type, so the measured loop is monomorphic.
    let mut recs = [(); 4].map(|()| Record::default());
    let [r0, r1, r2, r3] = &mut recs;
    bench(&mut c, NAMES[0], &mut raw, &data, r0);
    bench(&mut c, NAMES[1], &mut lo, &data, r1);
    bench(&mut c, NAMES[2], &mut lof, &data, r2);
    bench(&mut c, NAMES[3], &mut vnet, &data, r3);
    c.final_summary();
    if smoke {
        vnet.assert_clean();
        return;
    }
    let inter = interleaved(&mut [&mut raw, &mut lo, &mut lof, &mut vnet], &data);
    vnet.assert_clean();

    let samples = args
        .iter()
        .position(|a| a == "--sample-size")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(SAMPLES);
    summary(payload, samples, &recs, &inter);
}

/// `ROUNDS` rounds, each timing one transfer of every scenario back to back (starting with a
/// different one each round): MB/s per scenario and round. The host's load drifts over seconds,
/// so ratios taken within a round hold up better than ratios of criterion's figures, which are
/// measured one scenario after the other.
// Wall time, which clippy.toml keeps out of simulation code.
#[allow(clippy::disallowed_methods)]
fn interleaved(conns: &mut [&mut dyn Conn; 4], data: &[u8]) -> [Vec<f64>; 4] {
    let mut buf = vec![0u8; READ_BUF];
    let mut out = [(); 4].map(|()| Vec::with_capacity(ROUNDS));
    for round in 0..ROUNDS {
        for k in 0..conns.len() {
            let i = (round + k) % conns.len();
            let t0 = Instant::now();
            let mut n = 0usize;
            transfer(&mut *conns[i], black_box(data), &mut buf, |b| n += b.len());
            let el = t0.elapsed();
            assert_eq!(n, data.len());
            out[i].push(data.len() as f64 / el.as_secs_f64() / 1e6);
        }
    }
    out
}

/// Median, min and max.
fn stats(mut v: Vec<f64>) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] };
    Some((median, v[0], v[v.len() - 1]))
}

fn summary(payload: usize, samples: usize, recs: &[Record; 4], inter: &[Vec<f64>; 4]) {
    let segs = payload.div_ceil(MSS) as f64;
    println!("\ntcp_bulk summary ({} MiB per transfer, MB/s = 10^6 bytes/s; median [min, max])", payload >> 20);
    println!(
        "  {:<24} {:>26} {:>26}  per 1460 B (interleaved)  per transfer",
        "", "criterion samples", "interleaved rounds"
    );
    for ((name, r), v) in NAMES.iter().zip(recs).zip(inter) {
        let (Some(c), Some(i)) = (r.mb_per_s(samples, payload), stats(v.clone())) else { continue };
        let t = r.transfers.max(1) as f64;
        println!(
            "  {name:<24} {:>7.1} [{:>6.1}, {:>6.1}] {:>7.1} [{:>6.1}, {:>6.1}]  {:>5.0} ns, {:.2} frames  \
             {:.1} ms virtual, {:.1} idle jumps",
            c.0,
            c.1,
            c.2,
            i.0,
            i.1,
            i.2,
            payload as f64 / i.0 * 1e3 / segs,
            r.cost.frames as f64 / t / segs,
            r.cost.virt_ns as f64 / t / 1e6,
            r.cost.idles as f64 / t,
        );
    }
    let vnet = &inter[3];
    for (name, v) in NAMES.iter().zip(inter).take(3) {
        let ratios: Vec<f64> = v.iter().zip(vnet).map(|(l, x)| l / x).collect();
        if let Some((m, lo, hi)) = stats(ratios) {
            println!("  ratio {name} / vnet_veth, per round {:>w$.2}x [{lo:.2}, {hi:.2}]", m, w = 26 - name.len());
        }
    }
}

// ---------------------------------------------------------------------------------- drive mode

/// `drive MODE MIB`: set up and check one connection (one transfer of [`PAYLOAD`] bytes), then
/// move `MIB` MiB (rounded up to whole transfers) through it in [`drive`]. For cycles per byte,
/// subtract a `perf stat` of `MIB` = 16 (one transfer) from one of a larger `MIB`.
// Reports wall time, which clippy.toml keeps out of simulation code.
#[allow(clippy::disallowed_methods)]
fn drive_main(args: &[String]) {
    let mode = args.first().map_or("vnet", String::as_str);
    let mib: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let data = pattern(PAYLOAD);
    let transfers = (mib << 20).div_ceil(PAYLOAD);
    let t0 = Instant::now();
    let cost = match mode {
        "vnet" => {
            let mut c = VnetConn::new(1);
            verify(&mut c, mode, &data);
            let cost = drive(&mut c, &data, transfers);
            c.assert_clean();
            cost
        }
        "loopback" | "loopback_per_frame" | "loopback_raw" => {
            let caps = if mode == "loopback_raw" { Caps::Raw } else { Caps::Vnet };
            let batch = if mode == "loopback_per_frame" { Batch::PerFrame } else { Batch::All };
            let mut c = LoopConn::new(1, caps, batch);
            verify(&mut c, mode, &data);
            drive(&mut c, &data, transfers)
        }
        _ => panic!("usage: tcp_bulk drive vnet|loopback|loopback_per_frame|loopback_raw [MIB]"),
    };
    let el = t0.elapsed().as_secs_f64();
    let bytes = (transfers * PAYLOAD) as f64;
    println!(
        "{mode}: {} MiB in {el:.3} s with setup ({:.1} MB/s), {} frames ({:.2} per data segment), {:.1} ms virtual, \
         {} idle jumps",
        (transfers * PAYLOAD) >> 20,
        bytes / el / 1e6,
        cost.frames,
        cost.frames as f64 / (bytes / MSS as f64),
        cost.virt_ns as f64 / 1e6,
        cost.idles
    );
}

/// The measured part of drive mode: `transfers` transfers of `data`.
#[inline(never)]
fn drive<C: Conn>(c: &mut C, data: &[u8], transfers: usize) -> Cost {
    let mut buf = vec![0u8; READ_BUF];
    let mut total = Cost::default();
    for _ in 0..transfers {
        let cost = transfer(c, data, &mut buf, |b| {
            black_box(b);
        });
        total.idles += cost.idles;
        total.virt_ns += cost.virt_ns;
        total.frames += cost.frames;
    }
    total
}
