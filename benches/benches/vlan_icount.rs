//! Instruction counts of the vlan paths of `benches/vlan.rs` beside the veth hop they ride on,
//! for regressions (wall time on a shared VM is too noisy). A plain `main`: N packets through one
//! path, in a never-inlined function callgrind can collect alone:
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench vlan_icount --no-run
//! BIN=$(ls -t target-bench/release/deps/vlan_icount-* | grep -v '\.d$' | head -1)
//! valgrind --tool=callgrind --callgrind-out-file=cg.vlan --dump-instr=no \
//!     --collect-atstart=no --toggle-collect='*icount_path*' $BIN tag_untag 100000
//! ```
//!
//! Arguments: `[hop|tag_untag|inband_untag] [N]` (default `tag_untag 100000`); "Collected" / N
//! is instructions per packet.

use std::hint::black_box;
use std::sync::Arc;

use netdev_core::{Cpu, NetDevice, NetnsId, NewLink};
use vnet_benches::{BATCH, FRAME_LEN, VethBench, frame, veth_batch};

const WARM: usize = 4096;

/// The warm-up (pools filled, queues at capacity, devices pinned), outside the collection.
#[inline(never)]
fn warm_up(cpu: &mut Cpu, tx: &Arc<NetDevice>, f: &[u8]) {
    for _ in 0..WARM / BATCH {
        assert_eq!(veth_batch(cpu, tx, black_box(f), BATCH), BATCH, "packets dropped");
    }
}

#[inline(never)]
fn icount_path(cpu: &mut Cpu, tx: &Arc<NetDevice>, f: &[u8], n: usize) -> usize {
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        let got = veth_batch(cpu, tx, black_box(f), k);
        assert_eq!(got, k, "packets dropped");
        done += got;
    }
    done
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("tag_untag", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let bench = VethBench::new(1, 1);
    netdev_vlan::register(&bench.world).expect("a fresh World has no vlan kind yet");
    let pair = &bench.pairs[0];
    let mut vlans = Vec::new();
    for lower in [&pair.tx, &pair.rx] {
        let mut r = bench.world.rtnl();
        let req = NewLink { link: Some(lower.ifindex()), ..NewLink::in_netns(NetnsId::INIT) };
        let v = r.link_add("vlan", &req, &["id", "10"]).expect("a fresh vlan");
        r.set_up(&v, true).expect("the lower is up");
        vlans.push(v);
    }
    let mut tagged = [0u8; FRAME_LEN + 4];
    tagged[..12].copy_from_slice(&pair.frame[..12]);
    tagged[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 0x0a]);
    tagged[16..].copy_from_slice(&pair.frame[12..]);
    let plain = frame(vlans[1].address().octets());
    let (tx, f): (&Arc<NetDevice>, &[u8]) = match mode {
        "hop" => (&pair.tx, &pair.frame),
        "inband_untag" => (&pair.tx, &tagged),
        _ => (&vlans[0], &plain),
    };
    let mut cpu = bench.cpu(0);
    warm_up(&mut cpu, tx, f);
    let done = icount_path(&mut cpu, tx, f, n);
    println!("{mode}: {done} packets");
}
