//! The data path racing the control path (DESIGN.md §4): two CPUs transmit across a veth pair
//! in both directions while a third thread deletes and recreates the pair under the same names.
//! An xmit that races `ip link del` is delivered or dropped with a reason, never lost, never a
//! panic; per-flow order holds on each CPU.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use netdev_core::{MacAddr, NetnsId, WorldConfig};
use netdev_veth::Veth;
use vnet_tests::{Sink, drive, seq_frame, up, veth_pair, world_with};

const INIT: NetnsId = NetnsId::INIT;
/// Rounds each transmitter makes at least, and at most (it goes on while the pair churns).
const XMIT_ROUNDS: u64 = 3000;
const MAX_XMIT_ROUNDS: u64 = 100_000;
const BURST: u64 = 4;
const RECREATE_ROUNDS: usize = 200;

/// `veth.c:veth_xmit` reading `priv->peer` under RCU while `veth_dellink` clears it and
/// `unregister_netdevice_many` flushes: conservation across concurrent deletion.
#[test]
fn xmit_races_delete_and_recreate() {
    let w = world_with(WorldConfig { seed: 9, cpus: 2, max_backlog: 64, ..WorldConfig::default() });
    let sink = Sink::counting().install(&w, INIT);
    let (a, b) = veth_pair(&w, INIT, "ta", INIT, "tb").unwrap();
    up(&w, &[&a, &b]);
    drop((a, b));
    let sent = [AtomicU64::new(0), AtomicU64::new(0)];
    let recreated = AtomicU64::new(0);
    let churning = AtomicBool::new(true);
    let start = Barrier::new(3);
    std::thread::scope(|s| {
        for (cpu_id, (src, flow)) in [("ta", 0u32), ("tb", 1u32)].into_iter().enumerate() {
            let (w, sent, churning, start) = (&w, &sent[cpu_id], &churning, &start);
            s.spawn(move || {
                start.wait();
                let mut cpu = w.cpu(cpu_id).expect("each thread claims its own CPU");
                let mut seq = 0;
                for round in 0..MAX_XMIT_ROUNDS {
                    if round >= XMIT_ROUNDS && !churning.load(Ordering::Relaxed) {
                        break;
                    }
                    // Looked up every round: the device may be gone or be a new one.
                    let dev = w.rtnl().dev_by_name(INIT, src);
                    if let Some(dev) = dev {
                        let dst = Veth::peer_of(&dev).map_or(MacAddr::BROADCAST, |p| p.address());
                        for _ in 0..BURST {
                            let skb = cpu.alloc_frame(&seq_frame(dst, dev.address(), flow, seq, 64));
                            seq += 1;
                            cpu.dev_queue_xmit(&dev, skb);
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if round % 3 == 0 {
                        cpu.poll(16);
                    }
                }
                drive(&mut cpu, 1000);
            });
        }
        s.spawn(|| {
            start.wait();
            for i in 0..RECREATE_ROUNDS {
                let mut rtnl = w.rtnl();
                let a = rtnl.dev_by_name(INIT, "ta").expect("only this thread deletes");
                rtnl.dellink(&a).unwrap();
                assert!(rtnl.dev_by_name(INIT, "tb").is_none(), "the peer went with it");
                if i % 2 == 1 {
                    // Let the transmitters find the names missing.
                    drop(rtnl);
                    rtnl = w.rtnl();
                }
                let (a, b) = vnet_tests::veth_pair_locked(&mut rtnl, INIT, "ta", INIT, "tb").unwrap();
                rtnl.set_up(&a, true).unwrap();
                rtnl.set_up(&b, true).unwrap();
                drop(rtnl);
                recreated.fetch_add(1, Ordering::Relaxed);
            }
            churning.store(false, Ordering::Relaxed);
        });
    });
    // Whatever is still queued (nothing, if the threads drained) is drained here.
    for id in 0..2 {
        let mut cpu = w.cpu(id).expect("the threads released their CPUs");
        drive(&mut cpu, 1000);
        assert_eq!(cpu.backlog_len(), 0);
    }
    let sent: u64 = sent.iter().map(|s| s.load(Ordering::Relaxed)).sum();
    assert_eq!(recreated.load(Ordering::Relaxed), RECREATE_ROUNDS as u64);
    assert!((1..=2 * MAX_XMIT_ROUNDS * BURST).contains(&sent));
    assert_eq!(sent, sink.delivered() + w.total_drops(), "conservation: {:?}", w.drop_counts());
    assert_eq!(sink.delivered(), w.total_delivered());
    assert!(sink.delivered() > 0);
    assert_eq!(sink.flows().violations(), 0, "per-flow order on each CPU");
    let names: Vec<_> = w.rtnl().devices(INIT).iter().map(|d| d.name().to_string()).collect();
    assert_eq!(names, ["lo", "tb", "ta"]);
}
