//! Shared setup and the measured loops of the benchmarks in `benches/`.
//!
//! The loops live here, not in the bench files, so that the criterion benches (wall time) and the
//! instruction-count target (`veth_hop_icount`, run under callgrind) measure exactly the same
//! code. Nothing here reads the clock or spawns a thread: the bench files do that.
//!
//! - [`Ring`]: the baseline, pooled 2048-byte buffers moved through a `VecDeque` on one thread.
//! - [`SkbRing`]: the same with the core's own [`Skb`] and [`SkbPool`] (what an `Skb` costs by
//!   itself, before any device).
//! - [`VethBench`] and [`veth_batch`]: a World with veth pairs, a counting sink in the initial
//!   namespace, and one batch of hops (xmit, forward to the peer, backlog, poll, sink).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netdev_core::{
    Cpu, NetDevice, NetnsId, NewLink, ProtocolHandler, SKB_HEADROOM, SKB_POOL_BUF, Skb, SkbPool, World, WorldConfig,
};
use netdev_veth::{PeerSpec, Veth, VethConfig};

/// Packets per batch: every measured iteration moves this many packets (transmits them all, then
/// drains them), like one NAPI budget.
pub const BATCH: usize = 64;
/// Length of the test frame (a minimum-size Ethernet frame without FCS).
pub const FRAME_LEN: usize = 64;
/// Free buffers kept by the baseline pools (the World's default `pool_buffers`).
pub const POOL_BUFFERS: usize = 1024;

/// A `FRAME_LEN`-byte IPv4-typed Ethernet frame to `dst`.
pub fn frame(dst: [u8; 6]) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    for (i, b) in f[14..].iter_mut().enumerate() {
        *b = i as u8;
    }
    f
}

// ---------------------------------------------------------------------------------- baselines

/// The baseline: a free list of pooled [`SKB_POOL_BUF`]-byte buffers and a `VecDeque` ring. Per
/// packet: pop a buffer from the free list, copy the frame in after [`SKB_HEADROOM`], push the
/// buffer (a pointer) on the ring; then pop it, count it and put it back on the free list.
#[derive(Debug)]
pub struct Ring {
    free: Vec<Box<[u8]>>,
    ring: VecDeque<Box<[u8]>>,
    count: u64,
}

impl Default for Ring {
    fn default() -> Self {
        Ring::new()
    }
}

impl Ring {
    /// An empty ring and free list (buffers are allocated on first use, then recycled).
    pub fn new() -> Ring {
        Ring { free: Vec::with_capacity(POOL_BUFFERS), ring: VecDeque::with_capacity(1024), count: 0 }
    }

    /// Move `n` packets holding `frame` through the ring; returns how many came out.
    #[inline(never)]
    pub fn batch(&mut self, frame: &[u8], n: usize) -> usize {
        for _ in 0..n {
            let mut buf = self.free.pop().unwrap_or_else(|| vec![0u8; SKB_POOL_BUF].into_boxed_slice());
            buf[SKB_HEADROOM..SKB_HEADROOM + frame.len()].copy_from_slice(frame);
            self.ring.push_back(buf);
        }
        let mut out = 0;
        while let Some(buf) = self.ring.pop_front() {
            out += 1;
            if self.free.len() < POOL_BUFFERS {
                self.free.push(buf);
            }
        }
        self.count += out as u64;
        out
    }

    /// Packets counted so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// The baseline with the core's packet type: [`SkbPool::alloc_frame`], a `VecDeque<Skb>`,
/// [`SkbPool::recycle`]. The difference from [`Ring`] is the cost of the `Skb` itself (a
/// 104-byte value with metadata, moved by value and cleared on recycle).
#[derive(Debug)]
pub struct SkbRing {
    pool: SkbPool,
    ring: VecDeque<Skb>,
    count: u64,
}

impl Default for SkbRing {
    fn default() -> Self {
        SkbRing::new()
    }
}

impl SkbRing {
    /// An empty ring and pool.
    pub fn new() -> SkbRing {
        SkbRing { pool: SkbPool::new(POOL_BUFFERS), ring: VecDeque::with_capacity(1024), count: 0 }
    }

    /// Move `n` packets holding `frame` through the ring; returns how many came out.
    #[inline(never)]
    pub fn batch(&mut self, frame: &[u8], n: usize) -> usize {
        for _ in 0..n {
            let skb = self.pool.alloc_frame(frame);
            self.ring.push_back(skb);
        }
        let mut out = 0;
        while let Some(skb) = self.ring.pop_front() {
            out += 1;
            self.pool.recycle(skb);
        }
        self.count += out as u64;
        out
    }

    /// Packets counted so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

// ---------------------------------------------------------------------------------- veth

#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(AtomicU64);

/// A protocol handler that counts and consumes every packet. The count is per CPU (one cache line
/// each, single writer, a relaxed load and store like the core's own counters), so two threads
/// delivering into the same namespace do not contend on it.
#[derive(Debug)]
pub struct Sink {
    per_cpu: Box<[Padded]>,
}

impl Sink {
    /// A sink for a World of `ncpus` CPUs.
    pub fn new(ncpus: usize) -> Sink {
        Sink { per_cpu: (0..ncpus.max(1)).map(|_| Padded::default()).collect() }
    }

    /// Packets received so far, over all CPUs.
    pub fn count(&self) -> u64 {
        self.per_cpu.iter().map(|c| c.0.load(Ordering::Relaxed)).sum()
    }

    /// Packets received so far on one CPU.
    pub fn count_on(&self, cpu: usize) -> u64 {
        self.per_cpu.get(cpu).map_or(0, |c| c.0.load(Ordering::Relaxed))
    }
}

impl ProtocolHandler for Sink {
    fn receive(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, _orig: &Arc<NetDevice>, skb: Skb) -> Result<(), Skb> {
        if let Some(c) = self.per_cpu.get(cpu.id()) {
            c.0.store(c.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// One veth pair of a [`VethBench`]: frames go in at `tx`, come out of `rx` into the sink.
#[derive(Debug)]
pub struct Pair {
    /// The end the bench transmits on.
    pub tx: Arc<NetDevice>,
    /// Its peer, which receives.
    pub rx: Arc<NetDevice>,
    /// A frame addressed to `rx` (so `eth_type_trans` classifies it `PACKET_HOST`).
    pub frame: [u8; FRAME_LEN],
}

/// A World with `veth` registered, a [`Sink`] as the initial namespace's protocol handler and
/// some veth pairs, all up.
#[derive(Debug)]
pub struct VethBench {
    /// The World.
    pub world: World,
    /// The counting sink.
    pub sink: Arc<Sink>,
    /// The pairs, `va<i>` (tx) and `vb<i>` (rx).
    pub pairs: Vec<Pair>,
}

impl VethBench {
    /// A World of `cpus` CPUs with `npairs` veth pairs in the initial namespace, all up.
    ///
    /// # Panics
    ///
    /// If the World refuses the configuration, which a fresh World cannot do.
    pub fn new(cpus: usize, npairs: usize) -> VethBench {
        let world = World::new(WorldConfig { seed: 1, cpus, ..WorldConfig::default() });
        netdev_veth::register(&world).expect("a fresh World has no veth kind yet");
        let sink = Arc::new(Sink::new(cpus));
        let mut rtnl = world.rtnl();
        rtnl.set_protocol_handler(NetnsId::INIT, Some(sink.clone())).expect("the initial namespace exists");
        let mut pairs = Vec::with_capacity(npairs);
        for i in 0..npairs {
            let cfg = VethConfig { peer: PeerSpec { name: Some(format!("vb{i}")), ..PeerSpec::default() } };
            let req = NewLink { name: Some(format!("va{i}")), ..NewLink::in_netns(NetnsId::INIT) };
            let tx = rtnl.newlink("veth", &req, &(Box::new(cfg) as _)).expect("unique names in a fresh World");
            let rx = Veth::peer_of(&tx).expect("a new veth has its peer");
            rtnl.set_up(&tx, true).expect("veth opens with a peer");
            rtnl.set_up(&rx, true).expect("veth opens with a peer");
            let frame = frame(rx.address().octets());
            pairs.push(Pair { tx, rx, frame });
        }
        drop(rtnl);
        VethBench { world, sink, pairs }
    }

    /// Claim simulated CPU `id`.
    ///
    /// # Panics
    ///
    /// If the CPU is out of range or already claimed.
    pub fn cpu(&self, id: usize) -> Cpu {
        self.world.cpu(id).expect("CPU in range and not yet claimed")
    }
}

/// One batch of `n` veth hops on `cpu`: `n` times allocate `frame` from the CPU's pool and
/// `dev_queue_xmit` it on `tx` (veth_xmit forwards it to the peer and queues it on this CPU's
/// backlog), then `poll(n)`: `__netif_receive_skb_core` hands each to the sink, which consumes it
/// (the buffer goes back to the pool). Returns how many packets the poll processed: `n` unless a
/// transmit dropped (a dropped packet never reaches the backlog). [`assert_conserved`] checks the
/// rest after the timed loop.
#[inline(never)]
pub fn veth_batch(cpu: &mut Cpu, tx: &Arc<NetDevice>, frame: &[u8], n: usize) -> usize {
    for _ in 0..n {
        let skb = cpu.alloc_frame(frame);
        let _ = cpu.dev_queue_xmit(tx, skb);
    }
    cpu.poll(n)
}

/// Check that everything sent on the pairs of `bench` reached the sink: `expected` packets
/// counted, no drops, nothing consumed elsewhere, nothing left on a backlog.
///
/// # Panics
///
/// With the numbers, if anything was lost.
pub fn assert_conserved(bench: &VethBench, expected: u64) {
    let w = &bench.world;
    let (got, drops, consumed, delivered) =
        (bench.sink.count(), w.total_drops(), w.total_consumed(), w.total_delivered());
    assert!(
        got == expected && drops == 0 && consumed == expected && delivered == expected,
        "veth hop lost packets: sent {expected}, sink {got}, delivered {delivered}, consumed {consumed}, \
         drops {:?}",
        w.drop_counts()
    );
    for p in &bench.pairs {
        let (t, r) = (p.tx.stats64(), p.rx.stats64());
        assert!(t.tx_dropped == 0 && r.rx_dropped == 0, "device drops: tx {t:?} rx {r:?}");
    }
}

/// What one bench's `iter_custom` calls measured: (iterations, elapsed) per call.
#[derive(Debug, Default)]
pub struct Record {
    /// One entry per `iter_custom` call, warm-up calls first.
    pub calls: Vec<(u64, Duration)>,
}

impl Record {
    /// Median ns per packet over the last `samples` calls (criterion's measurement samples; the
    /// calls before them are its warm-up), with the min and max.
    pub fn ns_per_packet(&self, samples: usize, packets_per_iter: usize) -> Option<(f64, f64, f64)> {
        let start = self.calls.len().saturating_sub(samples);
        let mut v: Vec<f64> = self.calls[start..]
            .iter()
            .filter(|(iters, _)| *iters > 0)
            .map(|(iters, d)| d.as_nanos() as f64 / (*iters as f64 * packets_per_iter as f64))
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] };
        Some((median, v[0], v[v.len() - 1]))
    }

    /// The median alone of [`ns_per_packet`](Self::ns_per_packet).
    pub fn median_ns(&self, samples: usize, packets_per_iter: usize) -> Option<f64> {
        self.ns_per_packet(samples, packets_per_iter).map(|t| t.0)
    }
}

/// Run `f` `iters` times and return the elapsed wall time and the sum of what it returned (kept
/// so the work cannot be optimised away). Benches measure wall time with `Instant`, which
/// clippy.toml keeps out of simulation code.
#[allow(clippy::disallowed_methods)]
pub fn time_loop(iters: u64, mut f: impl FnMut() -> usize) -> (Duration, u64) {
    let t0 = Instant::now();
    let mut out = 0u64;
    for _ in 0..iters {
        out += f() as u64;
    }
    (t0.elapsed(), out)
}
