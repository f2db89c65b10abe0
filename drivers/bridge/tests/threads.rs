//! The bridge's data path on two CPUs at once (DESIGN.md §4) while RTNL churns the port list:
//! `br_handle_frame` reads the RCU port list and FDB lock-free, `br_fdb_update` creates entries
//! under `hash_lock` from both CPUs, and `br_add_if`/`br_del_if` republish the port list. No
//! frame of a known flow is lost, every learned address is there, nothing panics.

mod common;

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Lan, drive, frame, mac};
use netdev_core::{KindConfig, MacAddr, NewLink, WorldConfig};

#[test]
fn two_cpus_switch_while_ports_churn() {
    let w = netdev_core::World::new(WorldConfig { seed: 3, cpus: 2, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    netdev_dummy::register(&w).unwrap();
    netdev_bridge::register(&w).unwrap();
    let lan = Lan::build(w, 4, &[]);
    {
        let mut cpu = lan.cpu();
        for i in 1..=4 {
            lan.send_from(&mut cpu, i, &frame(MacAddr::BROADCAST, mac(i as u8), 0x0800, 0, 60));
        }
    }
    lan.receivers();
    const N: usize = 300;
    let churning = AtomicBool::new(true);
    let start = Barrier::new(3);
    std::thread::scope(|s| {
        for (cpu_id, (from, to)) in [(1usize, 2u8), (3, 4)].into_iter().enumerate() {
            let (lan, start) = (&lan, &start);
            s.spawn(move || {
                let mut cpu = lan.w.cpu(cpu_id).expect("one CPU per thread");
                start.wait();
                for n in 0..N {
                    // A known flow, and a new source address every time (learning under load).
                    let f = frame(mac(to), mac(from as u8), 0x0800, 1, 60);
                    let skb = cpu.alloc_frame(&f);
                    cpu.dev_queue_xmit(&lan.hosts[from - 1], skb);
                    let src = MacAddr([2, 0x77, cpu_id as u8, 0, (n >> 8) as u8, n as u8]);
                    let skb = cpu.alloc_frame(&frame(mac(to), src, 0x0800, 2, 60));
                    cpu.dev_queue_xmit(&lan.hosts[from - 1], skb);
                    drive(&mut cpu);
                }
            });
        }
        let (lan, start, churning) = (&lan, &start, &churning);
        s.spawn(move || {
            start.wait();
            for n in 0..100 {
                let req = NewLink { name: Some(format!("c{n}")), ..NewLink::in_netns(lan.ns) };
                let d = lan.w.rtnl().newlink("dummy", &req, &(Box::new(()) as KindConfig)).unwrap();
                common::up(&lan.w, &[&d]);
                common::enslave(&lan.w, &d, &lan.br).unwrap();
                lan.w.rtnl().dellink(&d).unwrap();
            }
            churning.store(false, Ordering::Release);
        });
    });
    assert!(!churning.load(Ordering::Acquire));
    let got2 = lan.sinks[1].take().len();
    let got4 = lan.sinks[3].take().len();
    assert_eq!((got2, got4), (2 * N, 2 * N), "every frame of both flows arrived");
    assert!(lan.sinks[0].take().is_empty() && lan.sinks[2].take().is_empty(), "nothing flooded back");
    let fdb = netdev_bridge::fdb(&lan.br);
    let learned = fdb.iter().filter(|e| e.mac.0[1] == 0x77).count();
    assert_eq!(learned, 2 * N, "every new source learned once");
    assert!(netdev_bridge::ports(&lan.br).len() == 4, "the churned ports are gone");
}
