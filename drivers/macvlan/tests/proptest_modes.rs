//! Property test of mode delivery: random macvlans in random modes (some down, some source-mode
//! with random source lists and NODST, some in a multicast group) on one lower, random frames
//! sent by siblings, by the lower, or arriving from the wire (including reflections of the
//! siblings' own frames); every frame must be delivered exactly where the kernel's rules say
//! (macvlan_queue_xmit, macvlan_handle_frame, macvlan_forward_source, macvlan_multicast_rx,
//! macvlan_broadcast), with the packet type the kernel gives, counted once on each macvlan
//! that receives it, and nothing lost (conservation).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Sink, add, frame, req, send, settle};
use netdev_core::{MacAddr, NetDevice, PktType, dev_mc_add};
use netdev_macvlan::{MACVLAN_FLAG_NODST, MacaddrOp, MacvlanConfig, MacvlanMode, changelink, macaddr};
use proptest::prelude::*;

const OUTS: [MacAddr; 2] = [MacAddr([0x02, 0xee, 0, 0, 0, 1]), MacAddr([0x02, 0xee, 0, 0, 0, 2])];
const GROUP: MacAddr = MacAddr([0x01, 0x00, 0x5e, 0, 0, 0xfb]);
const ETYPE: u16 = 0x88b5;

#[derive(Clone, Debug)]
struct Vlan {
    mode: MacvlanMode,
    up: bool,
    /// Source mode: which outside MACs it lists, and NODST.
    sources: [bool; 2],
    nodst: bool,
    /// Joined GROUP.
    group: bool,
}

/// Where a frame goes to.
#[derive(Clone, Copy, Debug)]
enum Dst {
    Vlan(usize),
    Lower,
    Outside(usize),
    Broadcast,
    Group,
}

/// Who sends it.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// Macvlan i transmits.
    Vlan(usize),
    /// The lower's own stack transmits.
    Lower,
    /// The wire, with the source MAC of an outside host.
    Wire(usize),
    /// The wire reflecting a frame of macvlan i (its MAC as the source).
    Reflect(usize),
}

fn vlan_strategy(passthru: bool) -> impl Strategy<Value = Vlan> {
    let modes = if passthru {
        Just(MacvlanMode::Passthru).boxed()
    } else {
        prop_oneof![
            Just(MacvlanMode::Private),
            Just(MacvlanMode::Vepa),
            Just(MacvlanMode::Bridge),
            Just(MacvlanMode::Source)
        ]
        .boxed()
    };
    (modes, prop::bool::weighted(0.8), any::<[bool; 2]>(), any::<bool>(), any::<bool>())
        .prop_map(|(mode, up, sources, nodst, group)| Vlan { mode, up, sources, nodst, group })
}

fn vmac(i: usize) -> MacAddr {
    MacAddr([0x02, 0, 0, 0, 0x10, i as u8])
}

/// The kernel's answer: (receiving device, packet type) for one frame.
fn model(vs: &[Vlan], lower: MacAddr, src: Src, dst: Dst) -> Vec<(String, PktType)> {
    let name = |i: usize| format!("m{i}");
    let passthru = vs.first().is_some_and(|v| v.mode == MacvlanMode::Passthru);
    let mac_of = |i: usize| if passthru { lower } else { vmac(i) };
    let dmac = match dst {
        Dst::Vlan(i) => mac_of(i),
        Dst::Lower => lower,
        Dst::Outside(k) => OUTS[k],
        Dst::Broadcast => MacAddr::BROADCAST,
        Dst::Group => GROUP,
    };
    let group_type = if dmac == MacAddr::BROADCAST { PktType::Broadcast } else { PktType::Multicast };
    // The siblings that are up, by MAC (vlan_hash).
    let hashed = |m: MacAddr| (0..vs.len()).find(|&i| vs[i].up && mac_of(i) == m);
    let takes_group = |i: usize| dmac == MacAddr::BROADCAST || vs[i].group;
    let mut out = Vec::new();
    // The wire (b): b's eth_type_trans against its own MAC, which no test frame uses.
    let to_wire = |out: &mut Vec<(String, PktType)>| {
        let t = if dmac.is_multicast() { group_type } else { PktType::OtherHost };
        out.push(("b".to_string(), t));
    };
    // A frame arriving on the lower (from the wire, or forwarded to it by a bridge sibling).
    let receive = |out: &mut Vec<(String, PktType)>, smac: MacAddr| {
        let lower_type = if dmac.is_multicast() {
            group_type
        } else if dmac == lower {
            PktType::Host
        } else {
            PktType::OtherHost
        };
        let mut consumed = false;
        for (i, v) in vs.iter().enumerate() {
            if v.mode == MacvlanMode::Source && OUTS.iter().zip(v.sources).any(|(o, s)| s && *o == smac) {
                consumed |= v.nodst;
                if v.up {
                    let t = if dmac == mac_of(i) { PktType::Host } else { lower_type };
                    out.push((name(i), t));
                }
            }
        }
        if consumed {
            return;
        }
        if dmac.is_multicast() {
            let src = hashed(smac);
            if let Some(s) = src
                && !matches!(vs[s].mode, MacvlanMode::Vepa | MacvlanMode::Bridge)
            {
                out.push((name(s), group_type));
                return;
            }
            use MacvlanMode::*;
            let mask: &[MacvlanMode] = match src.map(|s| vs[s].mode) {
                None => &[Private, Vepa, Passthru, Bridge],
                Some(Vepa) => &[Vepa, Bridge],
                Some(_) => &[Vepa],
            };
            for (i, v) in vs.iter().enumerate() {
                if v.up && Some(i) != src && mask.contains(&v.mode) && takes_group(i) {
                    out.push((name(i), group_type));
                }
            }
            out.push(("a".to_string(), group_type));
            return;
        }
        let target = if passthru { Some(0) } else { hashed(dmac) };
        match target {
            Some(i) if vs[i].mode != MacvlanMode::Source => {
                if vs[i].up {
                    out.push((name(i), PktType::Host));
                }
            }
            _ => out.push(("a".to_string(), lower_type)),
        }
    };
    match src {
        Src::Vlan(i) => {
            if !vs[i].up {
                return out;
            }
            if vs[i].mode == MacvlanMode::Bridge {
                if dmac.is_multicast() {
                    for (j, v) in vs.iter().enumerate() {
                        if j != i && v.up && v.mode == MacvlanMode::Bridge && takes_group(j) {
                            out.push((name(j), group_type));
                        }
                    }
                } else if hashed(dmac).is_some_and(|j| vs[j].mode == MacvlanMode::Bridge) {
                    receive(&mut out, mac_of(i));
                    return out;
                }
            }
            to_wire(&mut out);
        }
        Src::Lower => to_wire(&mut out),
        Src::Wire(k) => receive(&mut out, OUTS[k]),
        Src::Reflect(i) => receive(&mut out, mac_of(i)),
    }
    out
}

fn src_strategy(n: usize) -> impl Strategy<Value = Src> {
    prop_oneof![
        (0..n).prop_map(Src::Vlan),
        Just(Src::Lower),
        (0..2usize).prop_map(Src::Wire),
        (0..n).prop_map(Src::Reflect),
    ]
}

fn dst_strategy(n: usize) -> impl Strategy<Value = Dst> {
    prop_oneof![
        (0..n).prop_map(Dst::Vlan),
        Just(Dst::Lower),
        (0..2usize).prop_map(Dst::Outside),
        Just(Dst::Broadcast),
        Just(Dst::Group),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<Vlan>, Vec<(Src, Dst)>)> {
    prop_oneof![
        4 => prop::collection::vec(vlan_strategy(false), 1..7),
        1 => prop::collection::vec(vlan_strategy(true), 1..2),
    ]
    .prop_flat_map(|vs| {
        let n = vs.len();
        (Just(vs), prop::collection::vec((src_strategy(n), dst_strategy(n)), 1..24))
    })
}

fn run(vs: &[Vlan], frames: &[(Src, Dst)]) -> Result<(), TestCaseError> {
    let w = common::world(99);
    let (ns_a, ns_b) = {
        let mut r = w.rtnl();
        (r.netns_add("A").unwrap(), r.netns_add("B").unwrap())
    };
    let (a, b) = common::veth(&mut w.rtnl(), ns_a, "a", ns_b, "b");
    let sink_a = Sink::install(&w, ns_a);
    let sink_b = Sink::install(&w, ns_b);
    let devs: Vec<Arc<NetDevice>> = {
        let mut r = w.rtnl();
        let devs: Vec<Arc<NetDevice>> = vs
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let d = add(&mut r, &req(ns_a, &format!("m{i}"), &a, Some(vmac(i))), MacvlanConfig::with_mode(v.mode))
                    .unwrap();
                r.set_up(&d, true).unwrap();
                d
            })
            .collect();
        for (d, v) in devs.iter().zip(vs) {
            if v.mode == MacvlanMode::Source {
                let list: Vec<MacAddr> = OUTS.iter().zip(v.sources).filter(|(_, s)| *s).map(|(o, _)| *o).collect();
                macaddr(&mut r, d, &MacaddrOp::Set(list)).unwrap();
                if v.nodst {
                    let c = MacvlanConfig { flags: Some(MACVLAN_FLAG_NODST), ..MacvlanConfig::default() };
                    changelink(&mut r, d, &c).unwrap();
                }
            }
            if v.group {
                dev_mc_add(d, GROUP).unwrap();
            }
        }
        for (d, v) in devs.iter().zip(vs) {
            if !v.up {
                r.set_up(d, false).unwrap();
            }
        }
        devs
    };
    let lower = a.address();
    let mut cpu = w.cpu(0).unwrap();
    let mut expected_rx: BTreeMap<String, u64> = BTreeMap::new();
    for (k, &(src, dst)) in frames.iter().enumerate() {
        let passthru = vs[0].mode == MacvlanMode::Passthru;
        let mac_of = |i: usize| if passthru { lower } else { vmac(i) };
        let dmac = match dst {
            Dst::Vlan(i) => mac_of(i),
            Dst::Lower => lower,
            Dst::Outside(j) => OUTS[j],
            Dst::Broadcast => MacAddr::BROADCAST,
            Dst::Group => GROUP,
        };
        let (dev, smac) = match src {
            Src::Vlan(i) => (&devs[i], mac_of(i)),
            Src::Lower => (&a, lower),
            Src::Wire(j) => (&b, OUTS[j]),
            Src::Reflect(i) => (&b, mac_of(i)),
        };
        let mut f = frame(dmac, smac, ETYPE, 64);
        f[14] = k as u8;
        send(&mut cpu, dev, &f);
        settle(&mut cpu);
        let mut got: Vec<(String, PktType)> = sink_a
            .take()
            .into_iter()
            .chain(sink_b.take())
            .map(|g| {
                prop_assert_eq!(g.mark, k as u8);
                Ok((g.dev, g.pkt_type))
            })
            .collect::<Result<_, TestCaseError>>()?;
        let mut want = model(vs, lower, src, dst);
        got.sort_by_key(|(d, t)| (d.clone(), *t as u8));
        want.sort_by_key(|(d, t)| (d.clone(), *t as u8));
        prop_assert_eq!(&got, &want, "frame {} {:?} -> {:?} with {:?}", k, src, dst, vs);
        for (d, _) in want.iter().filter(|(d, _)| d.starts_with('m')) {
            *expected_rx.entry(d.clone()).or_default() += 1;
        }
    }
    for (i, d) in devs.iter().enumerate() {
        let name = format!("m{i}");
        let s = d.stats64();
        prop_assert_eq!(s.rx_packets, expected_rx.get(&name).copied().unwrap_or(0), "{} rx_packets", name);
        prop_assert_eq!(s.rx_errors, 0);
    }
    drop(cpu);
    prop_assert_eq!(
        w.total_consumed() + w.total_drops(),
        frames.len() as u64 + w.total_cloned(),
        "conservation: drops {:?}",
        w.drop_counts()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn frames_go_where_the_kernel_sends_them((vs, frames) in scenario()) {
        run(&vs, &frames)?;
    }
}
