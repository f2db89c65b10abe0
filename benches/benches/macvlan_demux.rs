//! Macvlan receive demux among 64 siblings against the veth hop, measured in the same run.
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench macvlan_demux
//! ```
//!
//! Group `macvlan_demux`, every iteration moves [`BATCH`] packets (criterion's "thrpt" is
//! packets/s):
//!
//! - `veth_hop`: the baseline, the veth hop of `veth_hop.rs` (xmit on one end, the peer's
//!   backlog, poll into a counting sink).
//! - `demux_64`: the same hop into a veth end that is the lower device of 64 macvlans (bridge
//!   mode, all up): each frame is addressed to the next macvlan in turn, so the port's rx
//!   handler looks the destination up among 64 (`macvlan_handle_frame`), counts it on the
//!   macvlan and hands the frame to it (`RX_HANDLER_ANOTHER`), whose receive round delivers it
//!   to the sink. The difference from `veth_hop` is the macvlan's cost.
//! - `bridge_sibling_64`: a bridge-mode macvlan transmits to a sibling among the 64
//!   (`macvlan_queue_xmit`: lookup, `dev_forward_skb` into the lower's backlog), then the same
//!   demux on receive.
//!
//! After criterion's report a summary prints ns/packet (median of this run's samples) and the
//! ratios to the veth hop.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use netdev_core::{Cpu, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, World, WorldConfig};
use netdev_macvlan::{MacvlanConfig, MacvlanMode};
use netdev_veth::{PeerSpec, Veth, VethConfig};
use vnet_benches::{BATCH, FRAME_LEN, Record, Sink, VethBench, assert_conserved, frame, time_loop, veth_batch};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(3);
const SAMPLES: usize = 20;
/// Macvlans on the lower device.
const SIBLINGS: usize = 64;

/// A veth pair `wire`/`lower`, 64 bridge-mode macvlans on `lower`, all up, a counting sink as
/// the namespace's protocol handler.
struct Demux {
    world: World,
    sink: Arc<Sink>,
    wire: Arc<NetDevice>,
    macvlans: Vec<Arc<NetDevice>>,
    /// A frame from the wire to each macvlan.
    frames: Vec<[u8; FRAME_LEN]>,
}

impl Demux {
    fn new() -> Demux {
        let world = World::new(WorldConfig { seed: 1, cpus: 1, ..WorldConfig::default() });
        netdev_veth::register(&world).expect("a fresh World has no veth kind yet");
        netdev_macvlan::register(&world).expect("a fresh World has no macvlan kind yet");
        let sink = Arc::new(Sink::new(1));
        let mut r = world.rtnl();
        r.set_protocol_handler(NetnsId::INIT, Some(sink.clone())).expect("the initial namespace exists");
        let cfg = VethConfig { peer: PeerSpec { name: Some("wire".into()), ..PeerSpec::default() } };
        let req = NewLink { name: Some("lower".into()), ..NewLink::in_netns(NetnsId::INIT) };
        let lower = r.newlink("veth", &req, &(Box::new(cfg) as KindConfig)).expect("fresh names");
        let wire = Veth::peer_of(&lower).expect("a new veth has its peer");
        r.set_up(&lower, true).expect("veth opens with a peer");
        r.set_up(&wire, true).expect("veth opens with a peer");
        let mut macvlans = Vec::with_capacity(SIBLINGS);
        let mut frames = Vec::with_capacity(SIBLINGS);
        for i in 0..SIBLINGS {
            let addr = MacAddr([0x02, 0x4d, 0x56, 0, 0, i as u8]);
            let req = NewLink {
                name: Some(format!("mv{i}")),
                link: Some(lower.ifindex()),
                address: Some(addr),
                ..NewLink::in_netns(NetnsId::INIT)
            };
            let cfg = MacvlanConfig::with_mode(MacvlanMode::Bridge);
            let m = r.newlink("macvlan", &req, &(Box::new(cfg) as KindConfig)).expect("unique names and MACs");
            r.set_up(&m, true).expect("unique MACs");
            macvlans.push(m);
            frames.push(frame(addr.octets()));
        }
        drop(r);
        Demux { world, sink, wire, macvlans, frames }
    }

    fn cpu(&self) -> Cpu {
        self.world.cpu(0).expect("CPU 0 is free")
    }
}

/// One batch from the wire: `n` frames, each to the next macvlan, then `poll(n)`.
#[inline(never)]
fn demux_batch(cpu: &mut Cpu, wire: &Arc<NetDevice>, frames: &[[u8; FRAME_LEN]], next: &mut usize, n: usize) -> usize {
    for _ in 0..n {
        let skb = cpu.alloc_frame(&frames[*next % frames.len()]);
        *next += 1;
        let _ = cpu.dev_queue_xmit(wire, skb);
    }
    cpu.poll(n)
}

/// One batch from a bridge-mode sibling: `n` frames from `src` to the next other macvlan.
#[inline(never)]
fn sibling_batch(cpu: &mut Cpu, src: &Arc<NetDevice>, frames: &[[u8; FRAME_LEN]], next: &mut usize, n: usize) -> usize {
    for _ in 0..n {
        *next += 1;
        if (*next).is_multiple_of(frames.len()) {
            *next += 1;
        }
        let skb = cpu.alloc_frame(&frames[*next % frames.len()]);
        let _ = cpu.dev_queue_xmit(src, skb);
    }
    cpu.poll(n)
}

fn check(d: &Demux, sent: u64) {
    let w = &d.world;
    assert!(
        d.sink.count() == sent && w.total_drops() == 0 && w.total_consumed() == sent && w.total_cloned() == 0,
        "macvlan demux lost packets: sent {sent}, sink {}, consumed {}, drops {:?}",
        d.sink.count(),
        w.total_consumed(),
        w.drop_counts()
    );
    let rx: u64 = d.macvlans.iter().map(|m| m.stats64().rx_packets).sum();
    assert_eq!(rx, sent, "every packet counted on one macvlan");
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();
    let (mut rv, mut rd, mut rs) = (Record::default(), Record::default(), Record::default());

    let vb = VethBench::new(1, 1);
    let pair = &vb.pairs[0];
    let mut cpu = vb.cpu(0);
    let mut sent = 0u64;
    let mut group = c.benchmark_group("macvlan_demux");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("veth_hop", |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, || veth_batch(&mut cpu, &pair.tx, black_box(&pair.frame), BATCH));
            assert_eq!(got, iters * BATCH as u64, "veth_hop: packets dropped on xmit");
            sent += iters * BATCH as u64;
            rv.calls.push((iters, el));
            el
        })
    });
    drop(cpu);
    assert_conserved(&vb, sent);

    let d = Demux::new();
    let mut cpu = d.cpu();
    let (mut sent, mut next) = (0u64, 0usize);
    group.bench_function("demux_64", |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, || demux_batch(&mut cpu, &d.wire, black_box(&d.frames), &mut next, BATCH));
            assert_eq!(got, iters * BATCH as u64, "demux_64: packets dropped on xmit");
            sent += iters * BATCH as u64;
            rd.calls.push((iters, el));
            el
        })
    });
    drop(cpu);
    check(&d, sent);

    let d = Demux::new();
    let mut cpu = d.cpu();
    let (mut sent, mut next) = (0u64, 0usize);
    let src = d.macvlans[0].clone();
    group.bench_function("bridge_sibling_64", |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, || sibling_batch(&mut cpu, &src, black_box(&d.frames), &mut next, BATCH));
            assert_eq!(got, iters * BATCH as u64, "bridge_sibling_64: packets dropped on xmit");
            sent += iters * BATCH as u64;
            rs.calls.push((iters, el));
            el
        })
    });
    group.finish();
    drop(cpu);
    check(&d, sent);
    c.final_summary();

    // `cargo test --benches` and `cargo bench -- --test` run each bench once: nothing to sum up.
    if !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--test") {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let samples = args
        .iter()
        .position(|a| a == "--sample-size")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(SAMPLES);
    let (v, dm, sb) = (rv.median_ns(samples, BATCH), rd.median_ns(samples, BATCH), rs.median_ns(samples, BATCH));
    println!("\nmacvlan_demux summary (ns/packet, median over this run's criterion samples)");
    for (name, x) in [("veth_hop", v), ("demux_64", dm), ("bridge_sibling_64", sb)] {
        if let Some(x) = x {
            println!("  {name:<20} {x:>8.2}");
        }
    }
    if let (Some(v), Some(dm)) = (v, dm) {
        println!("  demux_64 / veth_hop          {:.2}x  (+{:.1} ns for the macvlan)", dm / v, dm - v);
    }
    if let (Some(v), Some(sb)) = (v, sb) {
        println!("  bridge_sibling_64 / veth_hop {:.2}x", sb / v);
    }
}
