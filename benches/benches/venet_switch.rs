//! OpenVZ venet switching among 1,000 containers, against the veth hop measured in the same run.
//!
//! ```text
//! CARGO_TARGET_DIR=target-bench cargo bench -p vnet-benches --bench venet_switch
//! ```
//!
//! Group `venet_switch`, every iteration moves [`BATCH`] packets (criterion's "thrpt" is
//! packets/s):
//!
//! - `veth_hop`: the baseline, `veth_hop`'s `single_thread` (one veth pair, 64-byte frames).
//! - `host_to_ct`: VE0's venet0 transmits 64-byte IPv4 packets whose destinations cycle through
//!   the 1,000 containers' addresses: `venet_xmit` looks the destination up in the address hash
//!   (512 buckets, about two entries each), hands the packet to that container's venet0
//!   (`netif_rx` on this CPU's backlog, rx counted at send time), and `poll` delivers it to the
//!   container's namespace (a counting sink).
//! - `host_to_one_ct`: the same, every packet to the first container: the switching path alone,
//!   without the cache footprint of a thousand target devices, namespaces and counters.
//! - `ct_to_host`: the 1,000 containers' venet0s take turns transmitting from their own address:
//!   the source check (the address hash again, owner compared), then VE0's venet0 receives.
//!
//! Every packet is accounted for after each bench (sink count = sent, no drop). A summary prints
//! ns/packet (median [min, max] of this run's criterion samples) and the venet/veth ratios.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use netdev_core::{Cpu, ETH_P_IP, KindConfig, NetDevice, NetnsId, NewLink, World, WorldConfig};
use netdev_venet::{IpMapOp, KIND, VE0};
use vnet_benches::{BATCH, FRAME_LEN, Record, Sink, VethBench, time_loop, veth_batch};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASUREMENT: Duration = Duration::from_secs(3);
const SAMPLES: usize = 20;
/// Containers.
const CTS: usize = 1000;

/// The address of container `i` (CTID 101 + i): 10.1.0.1 + i, consecutive addresses as a host
/// hands them out. The kernel's hash keeps only the low 9 bits of an address
/// (`ntohl(ip) & (VEIP_HASH_SZ - 1)`), so these spread over the 512 buckets, about two per chain;
/// a plan varying only higher bits (10.x.y.1) would put all 1,000 in two chains, and the
/// simulator, using the same hash, would scan them as the kernel does.
fn ct_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 1, 0, 1)) + i as u32)
}

/// A `FRAME_LEN`-byte IPv4 packet from `src` to `dst`.
fn packet(src: Ipv4Addr, dst: Ipv4Addr) -> [u8; FRAME_LEN] {
    let mut p = [0u8; FRAME_LEN];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(FRAME_LEN as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&src.octets());
    p[16..20].copy_from_slice(&dst.octets());
    p
}

/// VE0 and 1,000 containers, each with venet0 up, one address and the shared counting sink.
struct VenetBench {
    world: World,
    sink: Arc<Sink>,
    host: Arc<NetDevice>,
    cts: Vec<Arc<NetDevice>>,
    to_ct: Vec<[u8; FRAME_LEN]>,
    to_host: Vec<[u8; FRAME_LEN]>,
}

impl VenetBench {
    fn new() -> VenetBench {
        let world = World::new(WorldConfig { seed: 1, cpus: 1, pool_buffers: 1024, ..WorldConfig::default() });
        let venet = netdev_venet::register(&world).expect("a fresh World has no venet kind yet");
        let sink = Arc::new(Sink::new(1));
        let mut r = world.rtnl();
        let add = |r: &mut netdev_core::Rtnl<'_>, ns: NetnsId| {
            let req = NewLink { name: Some("venet0".into()), ..NewLink::in_netns(ns) };
            let d = r.newlink(KIND, &req, &(Box::new(()) as KindConfig)).expect("one venet per VE");
            r.set_up(&d, true).expect("venet opens");
            r.set_protocol_handler(ns, Some(sink.clone())).expect("the namespace exists");
            d
        };
        let host = add(&mut r, NetnsId::INIT);
        let host_ip = Ipv4Addr::new(192, 168, 0, 1);
        let mut cts = Vec::with_capacity(CTS);
        for i in 0..CTS {
            let veid = 101 + i as u32;
            let ns = r.netns_add(&veid.to_string()).expect("fresh names");
            venet.ve_create(&mut r, veid, ns).expect("fresh VE");
            cts.push(add(&mut r, ns));
            venet.ip_map(&mut r, veid, IpMapOp::Add, IpAddr::V4(ct_ip(i))).expect("fresh address");
        }
        drop(r);
        assert_eq!(venet.ve_of_netns(NetnsId::INIT), Some(VE0));
        let to_ct = (0..CTS).map(|i| packet(host_ip, ct_ip(i))).collect();
        let to_host = (0..CTS).map(|i| packet(ct_ip(i), host_ip)).collect();
        VenetBench { world, sink, host, cts, to_ct, to_host }
    }
}

/// One batch: `BATCH` × (`alloc_frame`, protocol IPv4, `dev_queue_xmit` with packet `pkts[k]` on
/// `devs[k]`, or on `devs[0]` if there is only one), `k` running on from `*next` over `pkts`,
/// then `poll(BATCH)`.
#[inline(never)]
fn venet_batch(cpu: &mut Cpu, next: &mut usize, devs: &[Arc<NetDevice>], pkts: &[[u8; FRAME_LEN]]) -> usize {
    for _ in 0..BATCH {
        let k = *next;
        *next = if k + 1 >= pkts.len() { 0 } else { k + 1 };
        let mut skb = cpu.alloc_frame(&pkts[k]);
        skb.meta.protocol = ETH_P_IP;
        let dev = if devs.len() == 1 { &devs[0] } else { &devs[k] };
        let _ = cpu.dev_queue_xmit(dev, skb);
    }
    cpu.poll(BATCH)
}

/// `venet_switch drive MODE BATCHES` (MODE: `host_to_ct`, `host_to_one_ct`, `ct_to_host`, `veth`): skip criterion,
/// set up, then run BATCHES batches in one never-inlined function, [`drive`], for `perf` and
/// `valgrind --tool=callgrind --toggle-collect='*venet_switch::drive*'`.
fn drive_main(args: &[String]) {
    let mode = args.first().map_or("host_to_ct", String::as_str);
    let batches: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if mode == "veth" {
        let bench = VethBench::new(1, 1);
        let mut cpu = bench.cpu(0);
        let pair = &bench.pairs[0];
        let got = drive(batches, || veth_batch(&mut cpu, &pair.tx, &pair.frame, BATCH));
        println!("veth: {got} packets");
        return;
    }
    let vb = VenetBench::new();
    let mut cpu = vb.world.cpu(0).expect("CPU 0 is free");
    let mut next = 0;
    let (devs, pkts) = match mode {
        "ct_to_host" => (&vb.cts[..], &vb.to_host[..]),
        "host_to_one_ct" => (std::slice::from_ref(&vb.host), &vb.to_ct[..1]),
        _ => (std::slice::from_ref(&vb.host), &vb.to_ct[..]),
    };
    // Warm up: every container once.
    for _ in 0..CTS / BATCH + 1 {
        venet_batch(&mut cpu, &mut next, devs, pkts);
    }
    let got = drive(batches, || venet_batch(&mut cpu, &mut next, devs, pkts));
    println!("{mode}: {got} packets, {} drops", vb.world.total_drops());
}

#[inline(never)]
fn drive(batches: u64, mut f: impl FnMut() -> usize) -> u64 {
    let mut got = 0;
    for _ in 0..batches {
        got += f() as u64;
    }
    got
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("drive") {
        return drive_main(&args[2..]);
    }
    let mut c = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(SAMPLES)
        .configure_from_args();
    let mut recs = [(); 4].map(|()| Record::default());

    // The baseline: the veth hop.
    {
        let bench = VethBench::new(1, 1);
        let mut cpu = bench.cpu(0);
        let pair = &bench.pairs[0];
        let mut group = c.benchmark_group("venet_switch");
        group.throughput(Throughput::Elements(BATCH as u64));
        let rec = &mut recs[0];
        let mut sent = 0u64;
        group.bench_function("veth_hop", |b| {
            b.iter_custom(|iters| {
                let (el, got) = time_loop(iters, || veth_batch(&mut cpu, &pair.tx, black_box(&pair.frame), BATCH));
                assert_eq!(got, iters * BATCH as u64, "veth_hop: packets dropped");
                sent += got;
                rec.calls.push((iters, el));
                el
            })
        });
        group.finish();
        drop(cpu);
        vnet_benches::assert_conserved(&bench, sent);
    }

    let vb = VenetBench::new();
    let mut cpu = vb.world.cpu(0).expect("CPU 0 is free");
    let mut sent = 0u64;
    {
        let mut group = c.benchmark_group("venet_switch");
        group.throughput(Throughput::Elements(BATCH as u64));
        let [_, r1, r2, r3] = &mut recs;
        let mut next = 0;
        group.bench_function("host_to_ct", |b| {
            b.iter_custom(|iters| {
                let host = std::slice::from_ref(&vb.host);
                let (el, got) = time_loop(iters, || venet_batch(&mut cpu, &mut next, host, black_box(&vb.to_ct)));
                assert_eq!(got, iters * BATCH as u64, "host_to_ct: packets dropped");
                sent += got;
                r1.calls.push((iters, el));
                el
            })
        });
        let mut next = 0;
        group.bench_function("host_to_one_ct", |b| {
            b.iter_custom(|iters| {
                let host = std::slice::from_ref(&vb.host);
                let one = &vb.to_ct[..1];
                let (el, got) = time_loop(iters, || venet_batch(&mut cpu, &mut next, host, black_box(one)));
                assert_eq!(got, iters * BATCH as u64, "host_to_one_ct: packets dropped");
                sent += got;
                r3.calls.push((iters, el));
                el
            })
        });
        let mut next = 0;
        group.bench_function("ct_to_host", |b| {
            b.iter_custom(|iters| {
                let (el, got) = time_loop(iters, || venet_batch(&mut cpu, &mut next, &vb.cts, black_box(&vb.to_host)));
                assert_eq!(got, iters * BATCH as u64, "ct_to_host: packets dropped");
                sent += got;
                r2.calls.push((iters, el));
                el
            })
        });
        group.finish();
    }
    drop(cpu);
    let w = &vb.world;
    assert!(
        vb.sink.count() == sent && w.total_consumed() == sent && w.total_drops() == 0,
        "venet lost packets: sent {sent}, sink {}, consumed {}, drops {:?}",
        vb.sink.count(),
        w.total_consumed(),
        w.drop_counts()
    );
    let s = vb.host.stats64();
    assert_eq!(s.tx_dropped, 0);
    c.final_summary();

    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let samples = args
        .iter()
        .position(|a| a == "--sample-size")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(SAMPLES);
    let [veth, h2c, c2h, h2one] = recs.each_ref().map(|r| r.ns_per_packet(samples, BATCH));
    println!("\nvenet_switch summary, {CTS} containers (ns/packet: median [min, max] over this run's samples)");
    for (name, v) in
        [("veth_hop (baseline)", veth), ("host_to_ct", h2c), ("host_to_one_ct", h2one), ("ct_to_host", c2h)]
    {
        if let Some((m, lo, hi)) = v {
            println!("  {name:<22} {m:>8.2}   [{lo:.2}, {hi:.2}]");
        }
    }
    for (name, v) in [("host_to_ct", h2c), ("host_to_one_ct", h2one), ("ct_to_host", c2h)] {
        if let (Some(b), Some(x)) = (veth, v) {
            println!("  ratio {name} / veth_hop {:>6.2}x", x.0 / b.0);
        }
    }
}
