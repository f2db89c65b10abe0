//! Instruction counts of the bridge paths of `bridge.rs` beside the veth hop, for regressions
//! (wall time on a shared VM is too noisy). A plain `main`: N frames through one path, in a
//! never-inlined function callgrind can collect alone:
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench bridge_icount --no-run
//! BIN=$(ls -t target-bench/release/deps/bridge_icount-* | grep -v '\.d$' | head -1)
//! valgrind --tool=callgrind --callgrind-out-file=cg.br --dump-instr=no \
//!     --collect-atstart=no --toggle-collect='*icount_path*' $BIN fwd_2 100000
//! ```
//!
//! Arguments: `[hop|fwd_2|fwd_64|flood_8|flood_8_bcast] [N]` (default `fwd_2 100000`);
//! "Collected" / N is instructions per ingress frame. Conservation is checked after the run.

mod common {
    #[path = "bridge_topo.rs"]
    pub(crate) mod bridge_topo;
}

use std::hint::black_box;
use std::sync::Arc;

use common::bridge_topo::{BROADCAST, BridgeBench, UNKNOWN, bridge_batch};
use netdev_core::{Cpu, NetDevice};
use vnet_benches::{BATCH, VethBench, assert_conserved, veth_batch};

const WARM: usize = 4096;

/// The measured loop: `n` frames in batches of [`BATCH`]; `hop` selects the plain veth hop.
#[inline(never)]
fn icount_path(cpu: &mut Cpu, tx: &Arc<NetDevice>, f: &[u8], n: usize, hop: bool) -> usize {
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        if hop {
            assert_eq!(veth_batch(cpu, tx, black_box(f), k), k, "packets dropped");
        } else {
            black_box(bridge_batch(cpu, tx, black_box(f), k));
        }
        done += k;
    }
    done
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("fwd_2", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if mode == "hop" {
        let vb = VethBench::new(1, 1);
        let pair = &vb.pairs[0];
        let mut cpu = vb.cpu(0);
        icount_path(&mut cpu, &pair.tx, &pair.frame, WARM, true);
        let done = icount_path(&mut cpu, &pair.tx, &pair.frame, n, true);
        drop(cpu);
        assert_conserved(&vb, (WARM + done) as u64);
        println!("hop: {done} packets");
        return;
    }
    let (ports, copies) = match mode {
        "fwd_64" => (64, 1),
        "flood_8" => (8, 7),
        "flood_8_bcast" => (8, 8),
        _ => (2, 1),
    };
    let bb = BridgeBench::new(ports);
    let f = match mode {
        "flood_8" => bb.frame(0, UNKNOWN),
        "flood_8_bcast" => bb.frame(0, BROADCAST),
        _ => bb.unicast(0, ports - 1),
    };
    let tx = bb.hosts[0].clone();
    let mut cpu = bb.cpu();
    icount_path(&mut cpu, &tx, &f, WARM, false);
    let done = icount_path(&mut cpu, &tx, &f, n, false);
    drop(cpu);
    bb.check((WARM + done) as u64, copies);
    println!("{mode}: {done} frames, {copies} deliveries each");
}
