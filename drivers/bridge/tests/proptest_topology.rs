//! Property: in any loop-free topology of bridges (STP off) and hosts, every frame reaches
//! exactly the hosts a learning switch model says Linux delivers it to (`br_handle_frame_finish`
//! → `br_forward` / `br_flood`), once each, and every learned FDB entry points towards the
//! address's host, never back at an ingress port the frame did not come from.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Host, bridge, drive, enslave, frame, mac, netns, set_mac, up, veth, world};
use netdev_core::{MacAddr, NetDevice};
use proptest::prelude::*;

/// What is at the other end of a bridge port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    Host(usize),
    /// Bridge, and its port index facing back.
    Bridge(usize, usize),
}

#[derive(Clone, Debug)]
struct Topo {
    /// parent[k] for bridge k+1 (bridge 0 is the root of the tree).
    parents: Vec<usize>,
    /// The bridge each host hangs off.
    hosts: Vec<usize>,
    /// (source host, destination): destination < hosts is a host, == hosts is broadcast,
    /// == hosts + 1 is multicast, above is an unknown unicast address.
    frames: Vec<(usize, usize)>,
}

fn topo() -> impl Strategy<Value = Topo> {
    (1usize..=4, 2usize..=6).prop_flat_map(|(nb, nh)| {
        let parents = (1..nb).map(|k| 0..k).collect::<Vec<_>>();
        let hosts = proptest::collection::vec(0..nb, nh);
        let frames = proptest::collection::vec((0..nh, 0..nh + 4), 1..30);
        (parents, hosts, frames).prop_map(|(parents, hosts, frames)| Topo { parents, hosts, frames })
    })
}

fn host_mac(i: usize) -> MacAddr {
    mac(0x20 + i as u8)
}

/// The model: per bridge, its ports' peers and a MAC → port table.
struct Model {
    ports: Vec<Vec<Peer>>,
    fdb: Vec<BTreeMap<MacAddr, usize>>,
}

impl Model {
    /// The hosts that receive a frame from host `src` to `dst`.
    fn deliver(&mut self, src: usize, host_bridge: &[usize], dst: MacAddr) -> Vec<usize> {
        let b = host_bridge[src];
        let q = self.ports[b].iter().position(|p| *p == Peer::Host(src)).unwrap();
        let mut out = Vec::new();
        self.at(b, q, host_mac(src), dst, &mut out);
        out.sort();
        out
    }

    fn at(&mut self, b: usize, q: usize, src: MacAddr, dst: MacAddr, out: &mut Vec<usize>) {
        self.fdb[b].insert(src, q);
        let targets: Vec<usize> = if dst.is_multicast() {
            (0..self.ports[b].len()).filter(|&p| p != q).collect()
        } else {
            match self.fdb[b].get(&dst) {
                Some(&p) if p == q => vec![],
                Some(&p) => vec![p],
                None => (0..self.ports[b].len()).filter(|&p| p != q).collect(),
            }
        };
        for p in targets {
            match self.ports[b][p] {
                Peer::Host(h) => out.push(h),
                Peer::Bridge(nb, nq) => self.at(nb, nq, src, dst, out),
            }
        }
    }
}

fn run(t: &Topo) -> Result<(), TestCaseError> {
    let w = world();
    let sw = netns(&w, "sw");
    let _local = Host::install(&w, sw);
    let nb = t.parents.len() + 1;
    let brs: Vec<Arc<NetDevice>> = (0..nb)
        .map(|k| bridge(&w, sw, &format!("b{k}"), Some(MacAddr([2, 0, 0, 0xb, 0, k as u8])), &[]).unwrap())
        .collect();
    // Per bridge: (port device, peer), in the order added.
    let mut ports: Vec<Vec<(Arc<NetDevice>, Peer)>> = vec![Vec::new(); nb];
    for (k, &parent) in t.parents.iter().enumerate() {
        let child = k + 1;
        let (a, b) = veth(&w, sw, &format!("l{child}a"), sw, &format!("l{child}b"));
        set_mac(&w, &a, MacAddr([2, 0, 0, 0xa, child as u8, 1]));
        set_mac(&w, &b, MacAddr([2, 0, 0, 0xa, child as u8, 2]));
        enslave(&w, &a, &brs[parent]).unwrap();
        enslave(&w, &b, &brs[child]).unwrap();
        let (pa, pb) = (ports[parent].len(), ports[child].len());
        ports[parent].push((a, Peer::Bridge(child, pb)));
        ports[child].push((b, Peer::Bridge(parent, pa)));
    }
    let mut hosts = Vec::new();
    let mut sinks = Vec::new();
    for (i, &b) in t.hosts.iter().enumerate() {
        let hns = netns(&w, &format!("h{i}"));
        sinks.push(Host::install(&w, hns));
        let (p, h) = veth(&w, sw, &format!("ph{i}"), hns, &format!("h{i}"));
        set_mac(&w, &p, MacAddr([2, 0, 0, 0xd, 0, i as u8]));
        set_mac(&w, &h, host_mac(i));
        enslave(&w, &p, &brs[b]).unwrap();
        ports[b].push((p, Peer::Host(i)));
        up(&w, &[&h]);
        hosts.push(h);
    }
    for b in &brs {
        up(&w, &[b]);
    }
    for (d, _) in ports.iter().flatten() {
        up(&w, &[d]);
    }
    let mut model = Model {
        ports: ports.iter().map(|v| v.iter().map(|(_, p)| *p).collect()).collect(),
        fdb: vec![BTreeMap::new(); nb],
    };
    let mut cpu = w.cpu(0).unwrap();
    for (n, &(src, d)) in t.frames.iter().enumerate() {
        let nh = t.hosts.len();
        let dst = match d {
            d if d < nh => host_mac(d),
            d if d == nh => MacAddr::BROADCAST,
            d if d == nh + 1 => MacAddr([1, 0, 0x5e, 0, 0, 7]),
            d => MacAddr([2, 0, 0, 0xe, 0, d as u8]),
        };
        let tag = n as u8;
        let skb = cpu.alloc_frame(&frame(dst, host_mac(src), 0x0800, tag, 60));
        cpu.dev_queue_xmit(&hosts[src], skb);
        drive(&mut cpu);
        let mut got = Vec::new();
        for (i, s) in sinks.iter().enumerate() {
            for g in s.take() {
                prop_assert_eq!(g.frame.get(14), Some(&tag), "a stale frame reached h{}", i);
                got.push(i);
            }
        }
        got.sort();
        let want = model.deliver(src, &t.hosts, dst);
        prop_assert_eq!(&got, &want, "frame {} from h{} to {}", n, src, dst);
        // Every learned entry points at the port the model learned it on.
        for (b, br) in brs.iter().enumerate() {
            for e in netdev_bridge::fdb(br) {
                if e.state == netdev_bridge::FdbNud::Permanent {
                    continue;
                }
                let want_port = model.fdb[b].get(&e.mac).map(|&p| ports[b][p].0.ifindex());
                prop_assert_eq!(e.port_ifindex, want_port, "b{} entry {}", b, e.mac);
            }
        }
    }
    prop_assert_eq!(cpu.backlog_len(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn frames_reach_exactly_the_hosts_linux_delivers_to(t in topo()) {
        run(&t)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Any bytes a host sends (link-local, BPDU-like, tagged, garbage) into a bridge with or
    /// without STP: no panic, and everything settles (the backlog drains, timers keep running).
    #[test]
    fn arbitrary_frames_neither_panic_nor_leak(
        stp in any::<bool>(),
        frames in proptest::collection::vec((0usize..3, proptest::collection::vec(any::<u8>(), 14..120), any::<u8>()), 1..40),
    ) {
        let lan = common::Lan::new(3, &["stp_state", if stp { "1" } else { "0" }]);
        let mut cpu = lan.cpu();
        cpu.advance(40 * common::SEC);
        for (from, mut bytes, kind) in frames {
            // Steer some frames at the interesting destinations.
            match kind % 4 {
                0 => bytes[..6].copy_from_slice(&[1, 0x80, 0xc2, 0, 0, kind % 16]),
                1 => bytes[..6].copy_from_slice(&[0xff; 6]),
                2 => bytes[..6].copy_from_slice(&lan.br.address().0),
                _ => {}
            }
            if kind % 3 == 0 && bytes.len() > 17 {
                bytes[12..17].copy_from_slice(&[0, 38, 0x42, 0x42, 0x03]);
            }
            let skb = cpu.alloc_frame(&bytes);
            cpu.dev_queue_xmit(&lan.hosts[from], skb);
            cpu.run_until_idle(100_000);
        }
        cpu.advance(10 * common::SEC);
        prop_assert_eq!(cpu.backlog_len(), 0);
    }
}
