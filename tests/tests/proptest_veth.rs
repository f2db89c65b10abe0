//! Random control-plane and data-path sequences on veth pairs across three namespaces, with the
//! invariants of DESIGN.md §3 as the oracle: conservation (every frame handed to
//! `dev_queue_xmit` is delivered or dropped with a reason, exactly once), per-flow order, no
//! delivery into the wrong namespace, consistent device tables, the veth carrier rule
//! (`veth_open`/`veth_close`), and a clean teardown that leaves only `lo`.

use std::sync::Arc;

use netdev_core::{Cpu, Errno, MacAddr, NetDevice, NetnsId, RegState, World, WorldConfig};
use proptest::prelude::*;
use vnet_tests::{FlowTracker, Sink, drive, seq_frame, veth_pair, world_with};

/// Namespace slots: 0 is the initial namespace, 1 and 2 come and go.
const SLOTS: usize = 3;
const NS_NAMES: [&str; SLOTS] = ["", "ns1", "ns2"];
const MTUS: [u32; 8] = [0, 67, 68, 100, 1500, 9000, 65535, 65536];

#[derive(Clone, Debug)]
enum Op {
    /// `ip -n A link add pN type veth peer name qN netns B`, then both ends up if `up`.
    Create { ns_a: usize, ns_b: usize, up: bool },
    /// `ip link set END up|down`.
    SetUp { pair: usize, end: usize, up: bool },
    /// Send `count` frames of `len` bytes from one end to the other end's MAC.
    Xmit { pair: usize, end: usize, count: u8, len: usize },
    /// One `poll` with `budget`.
    Poll { budget: usize },
    /// `ip link set END netns NS [name mv%d]`.
    Move { pair: usize, end: usize, ns: usize, rename: bool },
    /// `ip link set END mtu M`.
    Mtu { pair: usize, end: usize, mtu: u32 },
    /// `ip link del END`.
    Del { pair: usize, end: usize },
    /// `ip netns del NS` if it exists, else `ip netns add NS`.
    ToggleNs { slot: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let idx = 0..16usize;
    prop_oneof![
        3 => (0..SLOTS, 0..SLOTS, prop::bool::weighted(0.8)).prop_map(|(ns_a, ns_b, up)| Op::Create { ns_a, ns_b, up }),
        4 => (idx.clone(), 0..2usize, prop::bool::weighted(0.75))
            .prop_map(|(pair, end, up)| Op::SetUp { pair, end, up }),
        6 => (idx.clone(), 0..2usize, 1..8u8, 30..1600usize)
            .prop_map(|(pair, end, count, len)| Op::Xmit { pair, end, count, len }),
        3 => (1..40usize).prop_map(|budget| Op::Poll { budget }),
        2 => (idx.clone(), 0..2usize, 0..SLOTS, any::<bool>())
            .prop_map(|(pair, end, ns, rename)| Op::Move { pair, end, ns, rename }),
        2 => (idx.clone(), 0..2usize, 0..MTUS.len()).prop_map(|(pair, end, m)| Op::Mtu { pair, end, mtu: MTUS[m] }),
        1 => (idx, 0..2usize).prop_map(|(pair, end)| Op::Del { pair, end }),
        1 => (1..SLOTS).prop_map(|slot| Op::ToggleNs { slot }),
    ]
}

struct Pair {
    ends: [Arc<NetDevice>; 2],
    macs: [MacAddr; 2],
    next_seq: [u64; 2],
}

struct Sim {
    w: World,
    cpu: Cpu,
    slots: [Option<NetnsId>; SLOTS],
    /// Every sink ever installed (a deleted namespace's sink keeps its count).
    sinks: Vec<Arc<Sink>>,
    flows: Arc<FlowTracker>,
    pairs: Vec<Pair>,
    sent: u64,
    created: u32,
}

impl Sim {
    fn new() -> Sim {
        // A small backlog so CPU_BACKLOG drops happen too.
        let w = world_with(WorldConfig { seed: 5, cpus: 1, max_backlog: 16, ..WorldConfig::default() });
        let cpu = w.cpu(0).unwrap();
        let mut s = Sim {
            w,
            cpu,
            slots: [Some(NetnsId::INIT), None, None],
            sinks: Vec::new(),
            flows: Arc::new(FlowTracker::default()),
            pairs: Vec::new(),
            sent: 0,
            created: 0,
        };
        s.install_sink(NetnsId::INIT);
        for slot in 1..SLOTS {
            s.toggle_ns(slot);
        }
        s
    }

    fn install_sink(&mut self, ns: NetnsId) {
        let sink = Sink::counting().for_netns(ns).with_flows(self.flows.clone()).install(&self.w, ns);
        self.sinks.push(sink);
    }

    fn toggle_ns(&mut self, slot: usize) {
        match self.slots[slot].take() {
            Some(id) => {
                let doomed: Vec<_> = self.w.rtnl().devices(id);
                self.w.rtnl().netns_del(id).unwrap();
                assert!(doomed.iter().all(|d| d.reg_state() == RegState::Unregistered));
                for p in &self.pairs {
                    if p.ends.iter().any(|e| doomed.iter().any(|d| d.id() == e.id())) {
                        assert!(p.ends.iter().all(|e| e.reg_state() == RegState::Unregistered), "veth goes whole");
                    }
                }
            }
            None => {
                let id = self.w.rtnl().netns_add(NS_NAMES[slot]).unwrap();
                self.slots[slot] = Some(id);
                self.install_sink(id);
            }
        }
    }

    /// The end `end` of pair `pair` (indexes wrap), if there are pairs.
    fn end(&self, pair: usize, end: usize) -> Option<(usize, Arc<NetDevice>)> {
        let i = pair.checked_rem(self.pairs.len())?;
        Some((i, self.pairs[i].ends[end].clone()))
    }

    fn live(&self, pair: usize, end: usize) -> Option<Arc<NetDevice>> {
        self.end(pair, end).map(|(_, d)| d).filter(|d| d.reg_state() == RegState::Registered)
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Create { ns_a, ns_b, up } => {
                let (Some(a_ns), Some(b_ns)) = (self.slots[ns_a], self.slots[ns_b]) else { return };
                let n = self.created;
                self.created += 1;
                let (a, b) = veth_pair(&self.w, a_ns, &format!("p{n}"), b_ns, &format!("q{n}")).unwrap();
                assert_eq!((a.netns(), b.netns()), (a_ns, b_ns));
                if up {
                    vnet_tests::up(&self.w, &[&a, &b]);
                }
                self.pairs.push(Pair { macs: [a.address(), b.address()], ends: [a, b], next_seq: [0; 2] });
            }
            Op::SetUp { pair, end, up } => {
                if let Some(d) = self.live(pair, end) {
                    self.w.rtnl().set_up(&d, up).unwrap();
                    assert_eq!(d.is_up(), up);
                }
            }
            Op::Xmit { pair, end, count, len } => {
                // Sends on deleted devices too: an xmit racing `ip link del` must still be counted.
                let Some((i, dev)) = self.end(pair, end) else { return };
                let dst = self.pairs[i].macs[1 - end];
                for _ in 0..count {
                    let seq = self.pairs[i].next_seq[end];
                    self.pairs[i].next_seq[end] += 1;
                    let flow = (i * 2 + end) as u32;
                    let skb = self.cpu.alloc_frame(&seq_frame(dst, self.pairs[i].macs[end], flow, seq, len));
                    self.cpu.dev_queue_xmit(&dev, skb);
                    self.sent += 1;
                }
            }
            Op::Poll { budget } => {
                self.cpu.poll(budget);
            }
            Op::Move { pair, end, ns, rename } => {
                let (Some(d), Some(target)) = (self.live(pair, end), self.slots[ns]) else { return };
                let clash = d.netns() != target && self.w.rtnl().dev_by_name(target, &d.name()).is_some();
                let (old_index, old_ns) = (d.ifindex(), d.netns());
                let r = self.w.rtnl().change_netns(&d, target, rename.then_some("mv%d"), None);
                if clash && !rename {
                    assert_eq!(r.unwrap_err().errno(), Errno::Eexist);
                    assert_eq!(d.netns(), old_ns);
                } else {
                    r.unwrap();
                    assert_eq!(d.netns(), target);
                    if old_ns != target {
                        assert!(!d.is_up(), "a moved device arrives down");
                        let taken =
                            self.w.rtnl().devices(target).iter().any(|x| x.id() != d.id() && x.ifindex() == old_index);
                        assert!(taken || d.ifindex() == old_index, "the ifindex is kept when free");
                    }
                }
            }
            Op::Mtu { pair, end, mtu } => {
                let Some(d) = self.live(pair, end) else { return };
                let ok = (68..=65535).contains(&mtu) || mtu == d.mtu();
                let r = self.w.rtnl().set_mtu(&d, mtu);
                assert_eq!(r.is_ok(), ok, "mtu {mtu}: {r:?}");
                if ok {
                    assert_eq!(d.mtu(), mtu);
                }
            }
            Op::Del { pair, end } => {
                let Some(d) = self.live(pair, end) else { return };
                self.w.rtnl().dellink(&d).unwrap();
                let (i, _) = self.end(pair, end).unwrap();
                assert!(self.pairs[i].ends.iter().all(|e| e.reg_state() == RegState::Unregistered));
            }
            Op::ToggleNs { slot } => self.toggle_ns(slot),
        }
    }

    fn delivered(&self) -> u64 {
        self.sinks.iter().map(|s| s.delivered()).sum()
    }

    /// Invariants that hold between any two operations.
    fn check(&self) {
        let pending = self.cpu.backlog_len() as u64;
        assert_eq!(self.sent, self.delivered() + self.w.total_drops() + pending, "conservation");
        assert_eq!(self.delivered(), self.w.total_delivered());
        assert_eq!(self.flows.violations(), 0, "per-flow order");
        assert!(self.sinks.iter().all(|s| s.wrong_netns() == 0), "delivered into another namespace");
        let rtnl = self.w.rtnl();
        for (id, _) in rtnl.netns_list() {
            for d in rtnl.devices(id) {
                assert_eq!((d.reg_state(), d.netns()), (RegState::Registered, id));
                assert_eq!(rtnl.dev_by_name(id, &d.name()).map(|x| x.id()), Some(d.id()));
            }
            assert_eq!(rtnl.dev_by_index(id, 1).map(|lo| lo.name().to_string()).as_deref(), Some("lo"));
        }
        for p in &self.pairs {
            let [a, b] = &p.ends;
            if a.reg_state() != RegState::Registered {
                assert_eq!(b.reg_state(), RegState::Unregistered, "deleting one end deletes both");
                continue;
            }
            for d in [a, b] {
                assert_eq!(rtnl.dev_by_index(d.netns(), d.ifindex()).map(|x| x.id()), Some(d.id()));
            }
            let both_up = a.is_up() && b.is_up();
            assert_eq!((a.has_carrier(), b.has_carrier()), (both_up, both_up), "veth carrier rule");
            assert_eq!((a.iflink(), b.iflink()), (b.ifindex(), a.ifindex()));
        }
    }

    /// Drain, check, then delete every pair and every namespace but the initial one.
    fn finish(mut self) {
        drive(&mut self.cpu, 1000);
        self.check();
        for i in 0..self.pairs.len() {
            if let Some(d) = self.live(i, 0) {
                self.w.rtnl().dellink(&d).unwrap();
            }
        }
        for slot in 1..SLOTS {
            if self.slots[slot].is_some() {
                self.toggle_ns(slot);
            }
        }
        self.check();
        let rtnl = self.w.rtnl();
        assert_eq!(rtnl.netns_list().len(), 1);
        let left: Vec<_> = rtnl.devices(NetnsId::INIT).iter().map(|d| d.name().to_string()).collect();
        assert_eq!(left, ["lo"]);
        assert!(self.pairs.iter().flat_map(|p| &p.ends).all(|d| d.reg_state() == RegState::Unregistered));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn veth_random_operations(ops in prop::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new();
        for op in &ops {
            sim.apply(op);
            sim.check();
        }
        sim.finish();
    }
}

/// A fixed sequence that exercises every operation at least once, so a regression in the
/// harness itself (an operation silently skipped) shows up without relying on the generator.
#[test]
fn veth_fixed_sequence_exercises_every_operation() {
    let mut sim = Sim::new();
    let ops = [
        Op::Create { ns_a: 0, ns_b: 1, up: false },
        Op::Create { ns_a: 2, ns_b: 2, up: true },
        Op::SetUp { pair: 0, end: 0, up: true },
        Op::SetUp { pair: 0, end: 1, up: true },
        Op::Xmit { pair: 0, end: 0, count: 5, len: 100 },
        Op::Poll { budget: 2 },
        Op::Mtu { pair: 0, end: 1, mtu: 68 },
        Op::Xmit { pair: 0, end: 0, count: 2, len: 1000 },
        Op::Move { pair: 0, end: 1, ns: 2, rename: true },
        Op::SetUp { pair: 0, end: 1, up: true },
        Op::Xmit { pair: 0, end: 1, count: 30, len: 60 },
        Op::ToggleNs { slot: 2 },
        Op::Xmit { pair: 1, end: 0, count: 1, len: 60 },
        Op::Del { pair: 0, end: 0 },
        Op::ToggleNs { slot: 2 },
    ];
    for op in &ops {
        sim.apply(op);
        sim.check();
    }
    assert!(sim.delivered() > 0);
    let drops = sim.w.drop_counts();
    assert!(drops.len() >= 3, "several drop reasons: {drops:?}");
    sim.finish();
}
