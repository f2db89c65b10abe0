//! The veth hop (xmit, forward to the peer, enqueue on the backlog, poll into a counting sink)
//! against its baseline, pooled buffers moved through a plain `VecDeque` on one thread, in the
//! same run.
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench veth_hop
//! ```
//!
//! Group `veth_hop`, every iteration moves [`BATCH`] packets (criterion's "thrpt" is packets/s):
//!
//! - `baseline_ring`: a pooled 2048-byte buffer per packet, the 64-byte frame copied in, pushed
//!   through a `VecDeque`, popped, counted, returned to the free list.
//! - `baseline_skb_ring`: the same with `SkbPool::alloc_frame`, `VecDeque<Skb>`, `recycle`.
//! - `single_thread`: one veth pair, one CPU: 64 × (`alloc_frame`, `dev_queue_xmit`), `poll(64)`.
//! - `two_threads_baseline_ring`: the baseline on two threads, a ring each (the machine's own
//!   scaling, the ceiling for the next one).
//! - `two_threads_two_pairs`: two pairs, two threads each driving its own CPU on its own pair;
//!   time is wall time from the common start (a barrier) to the last thread's end, so the
//!   per-packet figure is aggregate (total time / packets of both threads).
//!
//! After criterion's own report, a summary prints ns/packet (median over criterion's samples of
//! this run), the veth/baseline ratio and the two-thread scaling factor.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use vnet_benches::{BATCH, Record, Ring, SkbRing, VethBench, assert_conserved, frame, time_loop, veth_batch};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(3);
const SAMPLES: usize = 20;

fn bench_baseline(c: &mut Criterion, name: &str, rec: &mut Record, mut batch: impl FnMut(&[u8], usize) -> usize) {
    let f = frame([0x02, 0, 0, 0, 0, 0x02]);
    let mut group = c.benchmark_group("veth_hop");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, || batch(black_box(&f), BATCH));
            assert_eq!(got, iters * BATCH as u64, "{name}: packets lost");
            rec.calls.push((iters, el));
            el
        })
    });
    group.finish();
}

fn bench_single(c: &mut Criterion, rec: &mut Record) {
    let bench = VethBench::new(2, 1);
    let mut cpu = bench.cpu(0);
    let pair = &bench.pairs[0];
    let mut sent = 0u64;
    let mut group = c.benchmark_group("veth_hop");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("single_thread", |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, || veth_batch(&mut cpu, &pair.tx, black_box(&pair.frame), BATCH));
            sent += iters * BATCH as u64;
            assert_eq!(got, iters * BATCH as u64, "single_thread: packets dropped on xmit");
            rec.calls.push((iters, el));
            el
        })
    });
    group.finish();
    drop(cpu);
    assert_conserved(&bench, sent);
}

/// Run `batch` on two threads at once, each `iters` times after a common start (a barrier). Each
/// thread owns its state for the run (moved onto its stack and back), so the two states share no
/// cache line: two adjacent `Cpu`s or rings in one array would false-share their queue and pool
/// indices, which is a property of the bench, not of the code measured. Returns the states, the
/// wall time from the earlier start to the later end, and the packets both threads moved.
// Each thread reads the wall clock after the barrier and at its end.
#[allow(clippy::disallowed_methods)]
fn on_two_threads<S: Send>(
    states: [S; 2],
    iters: u64,
    batch: impl Fn(&mut S, usize) -> usize + Sync,
) -> ([S; 2], Duration, u64) {
    let barrier = Barrier::new(2);
    let [s0, s1] = states;
    let (r0, r1) = std::thread::scope(|s| {
        let run = |mut st: S, i: usize| {
            let (barrier, batch) = (&barrier, &batch);
            s.spawn(move || {
                barrier.wait();
                let t0 = Instant::now();
                let mut got = 0u64;
                for _ in 0..iters {
                    got += batch(&mut st, i) as u64;
                }
                (st, t0, Instant::now(), got)
            })
        };
        let (h0, h1) = (run(s0, 0), run(s1, 1));
        (h0.join().expect("bench thread panicked"), h1.join().expect("bench thread panicked"))
    });
    let elapsed = r0.2.max(r1.2) - r0.1.min(r1.1);
    ([r0.0, r1.0], elapsed, r0.3 + r1.3)
}

/// The baseline on two threads, each with its own ring: how well this machine scales a loop that
/// shares nothing (the ceiling for the veth two-thread figure).
fn bench_two_threads_baseline(c: &mut Criterion, rec: &mut Record) {
    let f = frame([0x02, 0, 0, 0, 0, 0x02]);
    let mut rings = Some([Ring::new(), Ring::new()]);
    let mut group = c.benchmark_group("veth_hop");
    group.throughput(Throughput::Elements(2 * BATCH as u64));
    group.bench_function("two_threads_baseline_ring", |b| {
        b.iter_custom(|iters| {
            let states = rings.take().expect("rings are put back after every run");
            let (states, el, got) = on_two_threads(states, iters, |r, _| r.batch(black_box(&f), BATCH));
            rings = Some(states);
            assert_eq!(got, 2 * iters * BATCH as u64, "two_threads_baseline_ring: packets lost");
            rec.calls.push((iters, el));
            el
        })
    });
    group.finish();
}

fn bench_two_threads(c: &mut Criterion, rec: &mut Record) {
    let bench = VethBench::new(2, 2);
    let mut cpus = Some([bench.cpu(0), bench.cpu(1)]);
    let mut sent = 0u64;
    let mut group = c.benchmark_group("veth_hop");
    group.throughput(Throughput::Elements(2 * BATCH as u64));
    group.bench_function("two_threads_two_pairs", |b| {
        b.iter_custom(|iters| {
            let states = cpus.take().expect("CPUs are put back after every run");
            let (states, el, got) = on_two_threads(states, iters, |cpu, i| {
                let pair = &bench.pairs[i];
                veth_batch(cpu, &pair.tx, black_box(&pair.frame), BATCH)
            });
            cpus = Some(states);
            sent += 2 * iters * BATCH as u64;
            assert_eq!(got, 2 * iters * BATCH as u64, "two_threads: packets dropped on xmit");
            rec.calls.push((iters, el));
            el
        })
    });
    group.finish();
    drop(cpus);
    assert_conserved(&bench, sent);
    assert!(
        bench.sink.count_on(0) == sent / 2 && bench.sink.count_on(1) == sent / 2,
        "each CPU delivers its own pair's packets"
    );
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();
    let (mut ring, mut skb_ring, mut single) = (Record::default(), Record::default(), Record::default());
    let (mut ring2, mut two) = (Record::default(), Record::default());
    let mut r = Ring::new();
    bench_baseline(&mut c, "baseline_ring", &mut ring, |f, n| r.batch(f, n));
    let mut s = SkbRing::new();
    bench_baseline(&mut c, "baseline_skb_ring", &mut skb_ring, |f, n| s.batch(f, n));
    bench_single(&mut c, &mut single);
    bench_two_threads_baseline(&mut c, &mut ring2);
    bench_two_threads(&mut c, &mut two);
    c.final_summary();

    // `cargo test --benches` runs each bench once (criterion's test mode): nothing to summarise.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // The last `sample_size` calls of each bench are criterion's samples (the earlier ones are
    // its warm-up); honour a `--sample-size` given on the command line.
    let args: Vec<String> = std::env::args().collect();
    let samples = args
        .iter()
        .position(|a| a == "--sample-size")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(SAMPLES);
    let base = ring.ns_per_packet(samples, BATCH);
    let skb = skb_ring.ns_per_packet(samples, BATCH);
    let one = single.ns_per_packet(samples, BATCH);
    let base2 = ring2.ns_per_packet(samples, 2 * BATCH);
    let agg = two.ns_per_packet(samples, 2 * BATCH);
    println!("\nveth_hop summary (ns/packet: median [min, max] over this run's criterion samples)");
    let row = |name: &str, v: Option<(f64, f64, f64)>| {
        if let Some((m, lo, hi)) = v {
            println!("  {name:<38} {m:>8.2}   [{lo:.2}, {hi:.2}]");
        }
    };
    row("baseline_ring", base);
    row("baseline_skb_ring", skb);
    row("single_thread", one);
    row("two_threads_baseline_ring (aggregate)", base2);
    row("two_threads_two_pairs (aggregate)", agg);
    if let (Some(b), Some(o)) = (base, one) {
        println!("  ratio single_thread / baseline_ring     {:.2}x  (goal: <= 3x)", o.0 / b.0);
    }
    if let (Some(b), Some(o)) = (skb, one) {
        println!("  ratio single_thread / baseline_skb_ring {:.2}x", o.0 / b.0);
    }
    if let (Some(o), Some(t)) = (base, base2) {
        println!("  two-thread scaling, baseline ring       {:.2}x  (ideal: 2x)", o.0 / t.0);
    }
    if let (Some(o), Some(t)) = (one, agg) {
        println!("  two-thread scaling, veth                {:.2}x  (ideal: 2x)", o.0 / t.0);
    }
}
