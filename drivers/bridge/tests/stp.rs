//! The kernel's 802.1D spanning tree (kernel-l2.md §4.3, `br_stp.c`, `br_stp_if.c`,
//! `br_stp_timer.c`, `br_stp_bpdu.c`): BPDUs on the wire, root election, port roles, the
//! listening → learning → forwarding walk on the virtual clock, topology changes, and a loop of
//! three bridges that converges instead of storming (and storms without STP).

mod common;

use std::sync::Arc;

use common::{Host, SEC, bridge, bridge_set, enslave, frame, mac, netns, set_mac, up, veth, world};
use netdev_bridge::PortState;
use netdev_core::{Cpu, Direction, MacAddr, NetDevice, World};

const IP: u16 = 0x0800;

/// Three bridges in a triangle, each with a host: b1 (priority 4096, the root), b2, b3.
struct Triangle {
    w: World,
    br: Vec<Arc<NetDevice>>,
    /// Port (b_i → b_j): `links[(i, j)]`.
    links: Vec<((usize, usize), Arc<NetDevice>)>,
    hosts: Vec<Arc<NetDevice>>,
    sinks: Vec<Arc<Host>>,
}

impl Triangle {
    fn new(stp: bool) -> Triangle {
        let w = world();
        let sw = netns(&w, "sw");
        let st = if stp { "1" } else { "0" };
        let br: Vec<_> = (1..=3u8)
            .map(|i| {
                let prio = if i == 1 { "4096" } else { "32768" };
                bridge(
                    &w,
                    sw,
                    &format!("b{i}"),
                    Some(MacAddr([2, 0, 0, 0xb, 0, i])),
                    &["stp_state", st, "priority", prio],
                )
                .unwrap()
            })
            .collect();
        let mut links = Vec::new();
        for (i, j) in [(0, 1), (1, 2), (2, 0)] {
            let (a, b) = veth(&w, sw, &format!("p{}{}", i + 1, j + 1), sw, &format!("p{}{}", j + 1, i + 1));
            set_mac(&w, &a, MacAddr([2, 0, 0, 0xc, i as u8 + 1, j as u8 + 1]));
            set_mac(&w, &b, MacAddr([2, 0, 0, 0xc, j as u8 + 1, i as u8 + 1]));
            enslave(&w, &a, &br[i]).unwrap();
            enslave(&w, &b, &br[j]).unwrap();
            links.push(((i, j), a));
            links.push(((j, i), b));
        }
        let mut hosts = Vec::new();
        let mut sinks = Vec::new();
        for (i, b) in br.iter().enumerate() {
            let hns = netns(&w, &format!("h{}", i + 1));
            sinks.push(Host::install(&w, hns));
            let (p, h) = veth(&w, sw, &format!("ph{}", i + 1), hns, &format!("h{}", i + 1));
            set_mac(&w, &h, mac(i as u8 + 1));
            enslave(&w, &p, b).unwrap();
            up(&w, &[&p, &h]);
            hosts.push(h);
        }
        for b in &br {
            up(&w, &[b]);
        }
        for (_, p) in &links {
            up(&w, &[p]);
        }
        Triangle { w, br, links, hosts, sinks }
    }

    fn port(&self, i: usize, j: usize) -> &Arc<NetDevice> {
        &self.links.iter().find(|(k, _)| *k == (i, j)).unwrap().1
    }

    fn state(&self, i: usize, j: usize) -> PortState {
        netdev_bridge::port_info(self.port(i, j)).unwrap().state
    }

    /// Broadcast `tag` from host `from` and count, per host, the copies of it received.
    fn broadcast(&self, cpu: &mut Cpu, from: usize, tag: u8, max_packets: usize) -> Vec<usize> {
        for s in &self.sinks {
            s.take();
        }
        let skb = cpu.alloc_frame(&frame(MacAddr::BROADCAST, mac(from as u8 + 1), IP, tag, 60));
        cpu.dev_queue_xmit(&self.hosts[from], skb);
        cpu.run_until_idle(max_packets);
        self.sinks
            .iter()
            .map(|s| s.take().iter().filter(|g| g.frame.get(12..15) == Some(&[0x08, 0x00, tag][..])).count())
            .collect()
    }
}

/// `br_root_selection`, `br_designated_port_selection`, `br_port_state_selection`: after the
/// forward delays, b1 is the root, b2 and b3 forward towards it, and on the b2-b3 link the
/// port of the worse bridge (b3) blocks. A broadcast then reaches each other host exactly once.
#[test]
fn triangle_converges_with_one_blocking_port() {
    let t = Triangle::new(true);
    let mut cpu = t.w.cpu(0).unwrap();
    // Kernel STP: ports start listening, not forwarding; the bridges have no carrier yet.
    assert_eq!(t.state(0, 1), PortState::Listening);
    assert!(!t.br[0].has_carrier());
    cpu.advance(15 * SEC + SEC / 2);
    assert_eq!(t.state(0, 1), PortState::Learning, "one forward delay later");
    cpu.advance(45 * SEC);
    let states: Vec<_> = [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)].iter().map(|&(i, j)| t.state(i, j)).collect();
    use PortState::*;
    assert_eq!(states, [Forwarding, Forwarding, Forwarding, Forwarding, Forwarding, Blocking]);
    let root = netdev_bridge::info(&t.br[0]).unwrap().bridge_id;
    for (i, b) in t.br.iter().enumerate() {
        let info = netdev_bridge::info(b).unwrap();
        assert_eq!(info.root_id, root, "b{} agrees on the root", i + 1);
        assert!(b.has_carrier());
    }
    let i2 = netdev_bridge::info(&t.br[1]).unwrap();
    assert_eq!((i2.root_port, i2.root_path_cost), (netdev_bridge::port_info(t.port(1, 0)).unwrap().port_no, 2));
    assert_eq!(netdev_bridge::info(&t.br[0]).unwrap().root_port, 0);
    let p32 = netdev_bridge::port_info(t.port(2, 1)).unwrap();
    assert_eq!(p32.designated_bridge, netdev_bridge::info(&t.br[1]).unwrap().bridge_id, "b2 is designated on the link");
    assert!(p32.xstats.rx_bpdu > 10 && p32.xstats.transition_blk >= 1);
    // A broadcast from h2 reaches h1 and h3 once each, and the loop is cut.
    assert_eq!(t.broadcast(&mut cpu, 1, 0x77, 10_000), [1, 0, 1]);
    assert_eq!(cpu.backlog_len(), 0);
    assert_eq!(t.broadcast(&mut cpu, 2, 0x78, 10_000), [1, 1, 0]);
}

/// The same triangle without STP storms the way Linux does: the broadcast circles forever, every
/// lap bounded and counted, and hosts get it again and again.
#[test]
fn triangle_without_stp_storms() {
    let t = Triangle::new(false);
    let mut cpu = t.w.cpu(0).unwrap();
    let got = t.broadcast(&mut cpu, 1, 0x77, 2_000);
    assert!(got[0] > 10 && got[2] > 10, "{got:?}");
    assert!(cpu.backlog_len() > 0, "still circling");
}

/// `br_send_config_bpdu`: the root sends 52-byte config BPDUs (802.3 + LLC 42/42/03) to
/// 01:80:c2:00:00:00 from each designated port every hello time, claiming itself root.
#[test]
fn config_bpdus_on_the_wire() {
    let t = Triangle::new(true);
    let mut cpu = t.w.cpu(0).unwrap();
    cpu.advance(60 * SEC);
    let wire = common::Wire::attach(t.port(0, 1));
    cpu.advance(4 * SEC);
    let out: Vec<Vec<u8>> = wire
        .take()
        .into_iter()
        .filter(|(d, f)| *d == Direction::Outgoing && f[..6] == [1, 0x80, 0xc2, 0, 0, 0])
        .map(|x| x.1)
        .collect();
    assert_eq!(out.len(), 2, "one per hello time");
    let f = &out[0];
    assert_eq!(f.len(), 52);
    assert_eq!(&f[6..12], &t.port(0, 1).address().0, "source: the port's MAC");
    assert_eq!(&f[12..21], &[0, 38, 0x42, 0x42, 0x03, 0, 0, 0, 0], "length, LLC, protocol, version, type");
    assert_eq!(&f[22..30], &[0x10, 0, 2, 0, 0, 0xb, 0, 1], "root: b1 with priority 4096");
    assert_eq!(&f[30..34], &[0, 0, 0, 0], "root path cost 0 from the root");
    assert_eq!(&f[42..44], &[0x80, 0x01], "port id");
    assert_eq!(&f[46..48], &[20, 0], "max age 20 s in 1/256 s");
    // The host ports get BPDUs too (they are designated), but host stacks do not learn them.
    assert!(netdev_bridge::port_info(t.port(0, 1)).unwrap().xstats.tx_bpdu >= 2);
}

/// `br_topology_change_detection` / `__br_set_topology_change`: when ports reach forwarding the
/// root flags a topology change for forward delay + max age, with learned entries held only
/// 2 × forward delay meanwhile; it then clears.
#[test]
fn topology_change_shortens_ageing() {
    let t = Triangle::new(true);
    let mut cpu = t.w.cpu(0).unwrap();
    cpu.advance(31 * SEC);
    let i = netdev_bridge::info(&t.br[0]).unwrap();
    assert!(i.topology_change && i.topology_change_detected);
    assert_eq!(i.ageing_time, 3000);
    assert!(i.topology_change_timer > 0);
    cpu.advance(60 * SEC);
    let i = netdev_bridge::info(&t.br[0]).unwrap();
    assert!(!i.topology_change);
    assert_eq!(i.ageing_time, 30000);
}

/// `br_message_age_timer_expired` + re-election: when the b1-b2 link goes down, b3's stored
/// information on the blocked link ages out, it becomes designated there, and b2 reaches the
/// root through b3; hosts can talk again after the timers run.
#[test]
fn failover_after_a_link_goes_down() {
    let t = Triangle::new(true);
    let mut cpu = t.w.cpu(0).unwrap();
    cpu.advance(60 * SEC);
    common::down(&t.w, t.port(0, 1));
    assert_eq!(t.state(1, 0), PortState::Disabled, "b2 lost its root port");
    cpu.advance(80 * SEC);
    assert_eq!(t.state(2, 1), PortState::Forwarding, "b3 now designated on the b2-b3 link");
    assert_eq!(t.state(1, 2), PortState::Forwarding, "b2's new root port");
    assert_eq!(netdev_bridge::info(&t.br[1]).unwrap().root_path_cost, 4);
    assert_eq!(t.broadcast(&mut cpu, 1, 0x79, 10_000), [1, 0, 1]);
}

/// `br_set_port_state`: EBUSY while kernel STP runs; `stp_state 0` afterwards leaves the kernel
/// STP (`br_stp_stop`).
#[test]
fn manual_port_state_is_busy_under_kernel_stp() {
    let t = Triangle::new(true);
    let cfg = netdev_bridge::parse_port_args(&["state", "3"]).unwrap();
    let r = netdev_bridge::set_port(&mut t.w.rtnl(), t.port(0, 1), &cfg);
    assert_eq!(r, Err(netdev_core::Errno::Ebusy.into()));
    bridge_set(&t.w, &t.br[0], &["stp_state", "0"]).unwrap();
    assert_eq!(netdev_bridge::info(&t.br[0]).unwrap().stp_state, 0);
    netdev_bridge::set_port(&mut t.w.rtnl(), t.port(0, 1), &cfg).unwrap();
    assert_eq!(t.state(0, 1), PortState::Forwarding);
}

/// `br_stp_rcv` against hostile input: BPDUs claiming a better root with all timers 0, truncated
/// BPDUs and random bytes after the LLC header neither panic nor stop the clock; the timers stay
/// at one World timer per bridge and the bridge keeps switching.
#[test]
fn hostile_bpdus_neither_panic_nor_hang() {
    let t = Triangle::new(true);
    let mut cpu = t.w.cpu(0).unwrap();
    cpu.advance(60 * SEC);
    let mut evil = vec![1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 0x66, 0, 38, 0x42, 0x42, 0x03, 0, 0, 0, 0, 0];
    evil.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]); // root 0000.02:00:00:00:00:00
    evil.extend_from_slice(&[0, 0, 0, 0]); // cost 0
    evil.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]); // bridge id
    evil.extend_from_slice(&[0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]); // port id, all times 0
    for n in 0..evil.len() + 8 {
        let mut f = evil.clone();
        f.truncate(n.min(f.len()));
        if n > evil.len() {
            f.extend(std::iter::repeat_n(0xa5u8 ^ n as u8, n));
        }
        let skb = cpu.alloc_frame(&f);
        cpu.dev_queue_xmit(&t.hosts[0], skb);
        cpu.run_until_idle(10_000);
    }
    cpu.advance(120 * SEC);
    assert!(t.w.timers_armed() <= 3, "one timer per bridge");
    assert_eq!(cpu.backlog_len(), 0);
    let got = t.broadcast(&mut cpu, 1, 0x7a, 10_000);
    assert_eq!(got[1], 0, "never back to the sender");
    assert!(got.iter().all(|&n| n <= 1), "no loop: {got:?}");
}
