//! VLAN tag and untag (`vlan_dev_hard_start_xmit`, `vlan_do_receive`) against the veth hop
//! they ride on, measured in the same run.
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench vlan
//! ```
//!
//! Group `vlan`, every iteration moves [`BATCH`] packets of 64 bytes on one thread:
//!
//! - `veth_hop`: the baseline, `va0` → `vb0` untagged into a counting sink (as `veth_hop`'s
//!   `single_thread`).
//! - `tag_untag`: transmitted on `va0.10` (the tag goes out of band), through the veth, and
//!   received on `vb0.10` (`vlan_do_receive` takes it): one vlan transmit, one veth hop, one
//!   extra receive round.
//! - `inband_untag`: a frame tagged in the packet, sent on `va0`; on `vb0` the core moves the tag
//!   out of band (`skb_vlan_untag`, a 12-byte move) and `vb0.10` takes it.
//!
//! After criterion's report, a summary prints ns/packet (median over this run's samples) and the
//! cost of each vlan path over the veth hop.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use netdev_core::{Cpu, NetDevice, NetnsId, NewLink};
use vnet_benches::{BATCH, FRAME_LEN, Record, VethBench, frame, time_loop, veth_batch};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(3);
const SAMPLES: usize = 20;

/// `ip link add link LOWER name NAME type vlan id 10`, up.
fn vlan10(bench: &VethBench, lower: &NetDevice, name: &str) -> std::sync::Arc<NetDevice> {
    let mut r = bench.world.rtnl();
    let req = NewLink { name: Some(name.into()), link: Some(lower.ifindex()), ..NewLink::in_netns(NetnsId::INIT) };
    let v = r.link_add("vlan", &req, &["id", "10"]).expect("a fresh vlan on an up veth");
    r.set_up(&v, true).expect("the lower is up");
    v
}

fn bench_one(c: &mut Criterion, name: &str, rec: &mut Record, sent: &mut u64, mut batch: impl FnMut() -> usize) {
    let mut group = c.benchmark_group("vlan");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (el, got) = time_loop(iters, &mut batch);
            *sent += iters * BATCH as u64;
            assert_eq!(got, iters * BATCH as u64, "{name}: packets dropped on xmit");
            rec.calls.push((iters, el));
            el
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();
    let bench = VethBench::new(1, 1);
    netdev_vlan::register(&bench.world).expect("a fresh World has no vlan kind yet");
    let pair = &bench.pairs[0];
    let va = vlan10(&bench, &pair.tx, "va0.10");
    let vb = vlan10(&bench, &pair.rx, "vb0.10");
    let mut tagged = [0u8; FRAME_LEN + 4];
    tagged[..12].copy_from_slice(&pair.frame[..12]);
    tagged[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 0x0a]);
    tagged[16..].copy_from_slice(&pair.frame[12..]);
    let plain = frame(vb.address().octets());
    let mut cpu: Cpu = bench.cpu(0);
    let (mut hop, mut tag, mut inband) = (Record::default(), Record::default(), Record::default());
    let (mut n_hop, mut n_tag, mut n_inband) = (0u64, 0u64, 0u64);
    bench_one(&mut c, "veth_hop", &mut hop, &mut n_hop, || {
        veth_batch(&mut cpu, &pair.tx, black_box(&pair.frame), BATCH)
    });
    bench_one(&mut c, "tag_untag", &mut tag, &mut n_tag, || veth_batch(&mut cpu, &va, black_box(&plain), BATCH));
    bench_one(&mut c, "inband_untag", &mut inband, &mut n_inband, || {
        veth_batch(&mut cpu, &pair.tx, black_box(&tagged), BATCH)
    });
    c.final_summary();
    drop(cpu);

    // Conservation: every packet reached the sink, the tagged ones through vb0.10.
    let w = &bench.world;
    let sent = n_hop + n_tag + n_inband;
    assert!(
        bench.sink.count() == sent && w.total_consumed() == sent && w.total_drops() == 0,
        "vlan bench lost packets: sent {sent}, sink {}, consumed {}, drops {:?}",
        bench.sink.count(),
        w.total_consumed(),
        w.drop_counts()
    );
    assert_eq!(vb.stats64().rx_packets, n_tag + n_inband, "every tagged packet was untagged onto vb0.10");
    assert_eq!(va.stats64().tx_packets, n_tag);

    // Test mode (`cargo test --benches`, or `cargo bench -- --test`) runs each bench once:
    // nothing to summarise.
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
    let (h, t, i) = (hop.median_ns(samples, BATCH), tag.median_ns(samples, BATCH), inband.median_ns(samples, BATCH));
    println!("\nvlan summary (ns/packet, median over this run's criterion samples)");
    for (name, v) in [("veth_hop (baseline)", h), ("tag_untag", t), ("inband_untag", i)] {
        if let Some(v) = v {
            println!("  {name:<22} {v:>8.2}");
        }
    }
    if let (Some(h), Some(t), Some(i)) = (h, t, i) {
        println!("  tag+untag over the hop   {:>8.2}  ({:.2}x the hop)", t - h, t / h);
        println!("  in-band untag over it    {:>8.2}  ({:.2}x the hop)", i - h, i / h);
    }
}
