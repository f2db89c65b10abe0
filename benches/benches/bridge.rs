//! Bridge forwarding and flooding against the veth hop, measured in the same run (issue 5).
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench bridge
//! ```
//!
//! Group `bridge`, every iteration sends [`BATCH`] frames of 64 bytes (criterion's "thrpt" is
//! ingress frames/s). The topology is `common/bridge_topo.rs`: a bridge `br0` (`stp_state 0`)
//! with veth ports `p<i>`, the hosts `h<i>` at the other ends, the FDB learned from one
//! broadcast per host before timing, a counting sink behind every host.
//!
//! - `veth_hop`: the baseline, `veth_hop.rs`'s `single_thread` (one veth pair into the sink).
//! - `bridge_fwd_2`: 2 ports, `h0` → `h1` known unicast: veth hop into `p0`, `br_handle_frame`
//!   (learning refresh of the source, FDB lookup of the destination), `br_forward` →
//!   `dev_queue_xmit(p1)`, veth hop into `h1`, the sink. Two veth hops and a bridge per frame.
//! - `bridge_fwd_64`: the same with 64 ports (FDB of 64 learned entries), `h0` → `h63`.
//! - `bridge_flood_8`: 8 ports, `h0` → a MAC nobody has (unknown unicast): `br_flood` to the 7
//!   other ports (6 copies + the original), 7 deliveries per ingress frame.
//! - `bridge_flood_8_bcast`: the same with broadcast frames: 7 ports plus `br0` itself
//!   (`br_pass_frame_up`), 8 deliveries per ingress frame.
//!
//! After each bench the sink count, consumed and delivered totals are checked against what
//! was sent, with no drop anywhere (outside the timing). The summary prints ns per ingress frame
//! (median [min, max] of this run's criterion samples), ns per delivered copy for the floods, and
//! the ratio of each to the veth hop of the same run.

mod common {
    #[path = "bridge_topo.rs"]
    pub(crate) mod bridge_topo;
}

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use common::bridge_topo::{BROADCAST, BridgeBench, UNKNOWN, bridge_batch};
use criterion::{Criterion, Throughput};
use netdev_core::{Cpu, NetDevice};
use vnet_benches::{BATCH, Record, VethBench, assert_conserved, time_loop, veth_batch};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(3);
const SAMPLES: usize = 20;

/// One bridge scenario: ports, destination, deliveries per frame.
struct Scenario {
    name: &'static str,
    ports: usize,
    dst: Dst,
    copies: u64,
}

/// Where the frames go.
#[derive(Clone, Copy)]
enum Dst {
    /// Known unicast to the last host.
    Last,
    /// A MAC the bridge never learned.
    Unknown,
    /// ff:ff:ff:ff:ff:ff.
    Broadcast,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario { name: "bridge_fwd_2", ports: 2, dst: Dst::Last, copies: 1 },
    Scenario { name: "bridge_fwd_64", ports: 64, dst: Dst::Last, copies: 1 },
    Scenario { name: "bridge_flood_8", ports: 8, dst: Dst::Unknown, copies: 7 },
    Scenario { name: "bridge_flood_8_bcast", ports: 8, dst: Dst::Broadcast, copies: 8 },
];

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();
    let mut rv = Record::default();
    let mut records: Vec<Record> = SCENARIOS.iter().map(|_| Record::default()).collect();

    let vb = VethBench::new(1, 1);
    let pair = &vb.pairs[0];
    let mut cpu = vb.cpu(0);
    let mut sent = 0u64;
    let mut group = c.benchmark_group("bridge");
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

    for (sc, rec) in SCENARIOS.iter().zip(records.iter_mut()) {
        let bb = BridgeBench::new(sc.ports);
        let f = match sc.dst {
            Dst::Last => bb.unicast(0, sc.ports - 1),
            Dst::Unknown => bb.frame(0, UNKNOWN),
            Dst::Broadcast => bb.frame(0, BROADCAST),
        };
        let tx: Arc<NetDevice> = bb.hosts[0].clone();
        let mut cpu: Cpu = bb.cpu();
        // Backlog entries per frame: the ingress port, then one per port copy (the copy up br0
        // is received at once).
        let per_frame = 1 + sc.copies.min(sc.ports as u64 - 1);
        let mut sent = 0u64;
        group.bench_function(sc.name, |b| {
            b.iter_custom(|iters| {
                let (el, got) = time_loop(iters, || bridge_batch(&mut cpu, &tx, black_box(&f), BATCH));
                assert_eq!(got, iters * BATCH as u64 * per_frame, "{}: frames dropped", sc.name);
                sent += iters * BATCH as u64;
                rec.calls.push((iters, el));
                el
            })
        });
        drop(cpu);
        bb.check(sent, sc.copies);
    }
    group.finish();
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
    println!("\nbridge summary (ns per ingress frame, median [min, max] over this run's criterion samples)");
    let v = rv.ns_per_packet(samples, BATCH);
    if let Some((m, lo, hi)) = v {
        println!("  {:<22} {m:>8.2} [{lo:.2}, {hi:.2}]", "veth_hop");
    }
    for (sc, rec) in SCENARIOS.iter().zip(&records) {
        let Some((m, lo, hi)) = rec.ns_per_packet(samples, BATCH) else { continue };
        print!("  {:<22} {m:>8.2} [{lo:.2}, {hi:.2}]", sc.name);
        if let Some((vm, _, _)) = v {
            print!("  {:.2}x veth_hop", m / vm);
        }
        if sc.copies > 1 {
            print!("  ({:.2} ns per delivered copy, {} copies)", m / sc.copies as f64, sc.copies);
        }
        println!();
    }
}
