//! Instruction counts of the veth hop and its baselines, for regressions (wall time on a shared VM
//! is too noisy to catch a few percent). A plain `main`: it runs N hops of each kind, each in its
//! own never-inlined function so callgrind can collect exactly that function:
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench veth_hop_icount --no-run
//! BIN=$(ls -t target-bench/release/deps/veth_hop_icount-* | grep -v '\.d$' | head -1)
//! valgrind --tool=callgrind --callgrind-out-file=cg.veth --dump-instr=no \
//!     --collect-atstart=no --toggle-collect='*icount_veth_hops*' $BIN veth 100000
//! callgrind_annotate --inclusive=yes cg.veth | head     # total Ir / 100000 = instructions per hop
//! ```
//!
//! Arguments: `[ring|skb_ring|veth|veth2|veth2_same|all|setup] [N]` (default `all 100000`).
//! `setup` builds everything and warms up but measures nothing, for the other method:
//! Ir(`veth N`) minus Ir(`setup`), divided by N (this also works with `perf stat -e
//! instructions`). `veth2` runs N hops on each of two threads, each with its own CPU and its
//! own pair; `veth2_same` runs N hops on each of two threads into the same receiving device
//! (both CPUs transmit on one end). Under `perf stat -e cycles`, (cycles(`veth2*` N) -
//! cycles(`setup`)) / 2N against the single-thread figure shows what the threads cost each
//! other (false sharing, contended atomics), independent of how busy the host is.

use std::hint::black_box;
use std::sync::Arc;

use netdev_core::{Cpu, NetDevice};
use vnet_benches::{BATCH, Ring, SkbRing, VethBench, assert_conserved, frame, veth_batch};

const WARM: usize = 4096;

#[inline(never)]
fn icount_ring(ring: &mut Ring, f: &[u8], n: usize) -> usize {
    let mut done = 0;
    while done < n {
        done += ring.batch(black_box(f), BATCH.min(n - done));
    }
    done
}

#[inline(never)]
fn icount_skb_ring(ring: &mut SkbRing, f: &[u8], n: usize) -> usize {
    let mut done = 0;
    while done < n {
        done += ring.batch(black_box(f), BATCH.min(n - done));
    }
    done
}

#[inline(never)]
fn icount_veth_hops(cpu: &mut Cpu, tx: &Arc<NetDevice>, f: &[u8], n: usize) -> usize {
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        let got = veth_batch(cpu, tx, black_box(f), k);
        assert_eq!(got, k, "veth hop dropped packets");
        done += got;
    }
    done
}

fn main() {
    // `cargo bench` passes `--bench`; flags are not ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let what = args.first().map_or("all", String::as_str);
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let (ring_on, skb_on, veth_on) = match what {
        "ring" => (true, false, false),
        "skb_ring" => (false, true, false),
        "veth" => (false, false, true),
        "all" => (true, true, true),
        "setup" => (false, false, false),
        "veth2" | "veth2_same" => {
            two_threads(what == "veth2_same", n);
            return;
        }
        other => panic!("unknown mode {other:?}: expected ring, skb_ring, veth, all or setup"),
    };

    // Setup and warm-up (pools filled, backlog and rings at capacity), outside the measured
    // functions and the same in every mode.
    let f = frame([0x02, 0, 0, 0, 0, 0x02]);
    let mut ring = Ring::new();
    let mut skb_ring = SkbRing::new();
    let bench = VethBench::new(2, 1);
    let mut cpu = bench.cpu(0);
    let pair = &bench.pairs[0];
    let mut sent = 0u64;
    for _ in 0..WARM / BATCH {
        ring.batch(&f, BATCH);
        skb_ring.batch(&f, BATCH);
        sent += veth_batch(&mut cpu, &pair.tx, &pair.frame, BATCH) as u64;
    }

    if ring_on {
        let got = icount_ring(&mut ring, &f, n);
        println!("ring: {got} packets");
    }
    if skb_on {
        let got = icount_skb_ring(&mut skb_ring, &f, n);
        println!("skb_ring: {got} packets");
    }
    if veth_on {
        let got = icount_veth_hops(&mut cpu, &pair.tx, &pair.frame, n);
        sent += got as u64;
        println!("veth: {got} hops");
    }
    drop(cpu);
    assert_conserved(&bench, sent);
    assert_eq!(cpu_pool_growth(&bench), 0, "the hop allocated after warm-up");
}

/// Buffers allocated by CPU 0's pool beyond the warm-up's one batch: a hop that allocates would
/// show up here.
fn cpu_pool_growth(bench: &VethBench) -> u64 {
    let cpu = bench.cpu(0);
    cpu.pool_allocated().saturating_sub(BATCH as u64)
}

/// N hops on each of two threads (see the module doc).
fn two_threads(same_pair: bool, n: usize) {
    let bench = VethBench::new(2, 2);
    let mut cpus = [bench.cpu(0), bench.cpu(1)];
    let txs = [&bench.pairs[0], if same_pair { &bench.pairs[0] } else { &bench.pairs[1] }];
    for (cpu, p) in cpus.iter_mut().zip(txs) {
        for _ in 0..WARM / BATCH {
            veth_batch(cpu, &p.tx, &p.frame, BATCH);
        }
    }
    let [mut c0, mut c1] = cpus;
    std::thread::scope(|s| {
        s.spawn(|| icount_veth_hops(&mut c0, &txs[0].tx, &txs[0].frame, n));
        s.spawn(|| icount_veth_hops(&mut c1, &txs[1].tx, &txs[1].frame, n));
    });
    println!("veth2 (same pair: {same_pair}): {n} hops on each of 2 threads");
    drop((c0, c1));
    assert_conserved(&bench, 2 * (n + WARM) as u64);
}
