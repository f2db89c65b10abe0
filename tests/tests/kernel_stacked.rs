//! The core hooks stacked devices (vlan, ipvlan, macvlan) stand on, each pinned on its own:
//! another receive round through the pin table, `netif_stacked_transfer_operstate`,
//! `validate_xmit_vlan`, the inet address chains, and `ip_local_out` into a namespace's stack.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use netdev_core::{
    AddrEvent, Cpu, DevPtr, DropReason, ETH_P_8021AD, ETH_P_8021Q, Errno, Error, InetAddrNotifier, MacAddr, NetDevice,
    NetnsId, Operstate, RxHandler, RxHandlerResult, Skb, VlanTag, World,
};
use stack_adapter::AddrOpts;
use vnet_tests::{DropLog, Sink, TapLog, drive, dummy, eth_frame, up, veth_pair, world};

const INIT: NetnsId = NetnsId::INIT;

/// Moves everything it receives onto `to`, naming it by its pinned id.
struct Redirect {
    to: DevPtr,
    bogus: bool,
}

impl RxHandler for Redirect {
    fn handle(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        match cpu.pin_ptr(&self.to) {
            Some(id) if !self.bogus => RxHandlerResult::AnotherPinned(skb, id),
            _ => RxHandlerResult::AnotherPinned(skb, u64::MAX),
        }
    }
}

/// `__netif_receive_skb_core` with `RX_HANDLER_ANOTHER`: a handler that names the next device
/// by its pinned id gets another round on it (taps, delivery on it, `orig_dev` kept); an id the
/// CPU never pinned is dropped.
#[test]
fn another_round_through_the_pin_table() {
    let w = world(1);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    up(&w, &[&a, &b, &d0]);
    let to = DevPtr::new();
    to.store(Some(d0.clone()));
    w.rtnl().rx_handler_register(&b, Arc::new(Redirect { to, bogus: false })).unwrap();
    let sink = Sink::recording().install(&w, INIT);
    let tap = TapLog::attach(&d0);
    let mut cpu = w.cpu(0).unwrap();
    for _ in 0..3 {
        let skb = cpu.alloc_frame(&eth_frame(b.address(), a.address(), 0x0800, &[], 60));
        cpu.dev_queue_xmit(&a, skb);
    }
    drive(&mut cpu, 10);
    let d = sink.log();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|d| d.ifindex == d0.ifindex() && d.orig_ifindex == b.ifindex()));
    assert_eq!(tap.take().len(), 3, "d0's taps ran on its round");
    assert!(cpu.pinned(d0.id()).is_some(), "put back in the pin table after the round");
    // A bogus id is a drop.
    w.rtnl().rx_handler_unregister(&b);
    let to = DevPtr::new();
    w.rtnl().rx_handler_register(&b, Arc::new(Redirect { to, bogus: true })).unwrap();
    let drops = DropLog::install(&w);
    let skb = cpu.alloc_frame(&eth_frame(b.address(), a.address(), 0x0800, &[], 60));
    cpu.dev_queue_xmit(&a, skb);
    drive(&mut cpu, 10);
    assert_eq!(drops.take()[0].reason, DropReason::NotSpecified);
    assert_eq!(w.total_consumed() + w.total_drops(), 4);
}

/// `netif_stacked_transfer_operstate`: dormant and testing follow the root's operstate, the
/// carrier its carrier (counted).
#[test]
fn stacked_transfer_operstate_copies_dormant_testing_and_carrier() {
    let w = world(1);
    let root = dummy(&w, INIT, "root").unwrap();
    let upper = dummy(&w, INIT, "upper").unwrap();
    up(&w, &[&root, &upper]);
    let mut r = w.rtnl();
    r.set_dormant(&root, true);
    r.linkwatch_run();
    assert_eq!(root.operstate(), Operstate::Dormant);
    r.stacked_transfer_operstate(&root, &upper);
    r.linkwatch_run();
    assert_eq!(upper.operstate(), Operstate::Dormant);
    r.set_dormant(&root, false);
    r.set_testing(&root, true);
    r.linkwatch_run();
    r.stacked_transfer_operstate(&root, &upper);
    r.linkwatch_run();
    assert_eq!(upper.operstate(), Operstate::Testing);
    r.set_testing(&root, false);
    r.carrier_off(&root);
    r.stacked_transfer_operstate(&root, &upper);
    r.linkwatch_run();
    assert!(!upper.has_carrier());
    assert_eq!(upper.carrier_down_count(), 1);
    r.carrier_on(&root);
    r.stacked_transfer_operstate(&root, &upper);
    drop(r);
    assert!(upper.has_carrier());
    assert_eq!(upper.operstate(), Operstate::Up);
}

/// `dev.c:validate_xmit_vlan`: an out-of-band tag stays out of band on a device that inserts
/// tags itself for that TPID (veth: CTAG and STAG), and is written into the packet on one that
/// does not (dummy); a packet without headroom for it is dropped with a core `tx_dropped`.
#[test]
fn validate_xmit_vlan_inserts_only_without_offload() {
    let w = world(1);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    up(&w, &[&a, &b, &d0]);
    let (tap_a, tap_d) = (TapLog::attach(&a), TapLog::attach(&d0));
    let mut cpu = w.cpu(0).unwrap();
    for proto in [ETH_P_8021Q, ETH_P_8021AD] {
        for dev in [&a, &d0] {
            let mut skb = cpu.alloc_frame(&eth_frame(MacAddr::BROADCAST, a.address(), 0x0800, &[], 60));
            skb.meta.vlan = Some(VlanTag { proto, tci: 7 });
            cpu.dev_queue_xmit(dev, skb);
        }
    }
    let on_a = tap_a.take();
    assert!(on_a.iter().all(|t| t.frame.len() == 60 && t.frame[12..14] == [0x08, 0x00]), "metadata on a veth");
    let on_d = tap_d.take();
    assert_eq!(&on_d[0].frame[12..18], &[0x81, 0x00, 0, 7, 0x08, 0x00]);
    assert_eq!(&on_d[1].frame[12..18], &[0x88, 0xa8, 0, 7, 0x08, 0x00]);
    assert_eq!(d0.stats64().tx_bytes, 128);
    let mut bare = cpu.alloc_skb(0, 60);
    bare.put(60).unwrap().copy_from_slice(&[0xff; 60]);
    bare.meta.vlan = Some(VlanTag { proto: ETH_P_8021Q, tci: 7 });
    assert_eq!(cpu.dev_queue_xmit(&d0, bare), netdev_core::Xmit::Drop);
    assert_eq!(d0.stats64().tx_dropped, 1);
}

/// Records what the address chains tell it and vetoes one address.
#[derive(Default)]
struct Watch {
    seen: Mutex<Vec<(String, IpAddr, AddrEvent)>>,
}

impl InetAddrNotifier for Watch {
    fn validate(&self, _dev: &Arc<NetDevice>, addr: IpAddr) -> netdev_core::Result<()> {
        if addr == IpAddr::from([10, 9, 9, 9]) {
            return Err(Error::with_msg(Errno::Eaddrinuse, "vetoed"));
        }
        Ok(())
    }

    fn event(&self, dev: &Arc<NetDevice>, addr: IpAddr, ev: AddrEvent) {
        self.seen.lock().unwrap().push((dev.name().to_string(), addr, ev));
    }
}

/// `__inet_insert_ifa` (the validator chain after the stack's own checks, `inetaddr_chain` on
/// insert), `__inet_del_ifa`, `inetdev_destroy` (every address goes on unregister), and
/// `ipv6_add_addr` (the IPv6 validators first).
#[test]
fn inet_address_chains_validate_and_notify() {
    let w = world(1);
    let st = stack_adapter::install(&w).unwrap();
    let watch = Arc::new(Watch::default());
    w.register_inetaddr_notifier(watch.clone());
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let o = AddrOpts::default();
    let s = st.of(INIT);
    let mut r = w.rtnl();
    s.addr_add(&mut r, d0.ifindex(), [10, 0, 0, 1].into(), 24, &o).unwrap();
    let e = s.addr_add(&mut r, d0.ifindex(), [10, 9, 9, 9].into(), 24, &o).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eaddrinuse, Some("vetoed")));
    assert_eq!(s.addrs4(d0.ifindex()).len(), 1, "the vetoed address is not there");
    s.addr_add(&mut r, d0.ifindex(), "fd00::1".parse().unwrap(), 64, &o).unwrap();
    s.addr_add(&mut r, d0.ifindex(), [10, 0, 0, 2].into(), 24, &o).unwrap(); // a secondary
    s.addr_del(&mut r, d0.ifindex(), [10, 0, 0, 1].into(), Some(24)).unwrap(); // takes it along
    s.addr_add(&mut r, d0.ifindex(), [10, 0, 1, 1].into(), 24, &o).unwrap();
    r.dellink(&d0).unwrap();
    drop(r);
    let v4 = |a: [u8; 4]| IpAddr::from(a);
    let v6: IpAddr = "fd00::1".parse().unwrap();
    let seen = watch.seen.lock().unwrap().clone();
    let want = [
        (v4([10, 0, 0, 1]), AddrEvent::Up),
        (v6, AddrEvent::Up),
        (v4([10, 0, 0, 2]), AddrEvent::Up),
        (v4([10, 0, 0, 1]), AddrEvent::Down),
        (v4([10, 0, 0, 2]), AddrEvent::Down),
        (v4([10, 0, 1, 1]), AddrEvent::Up),
        (v4([10, 0, 1, 1]), AddrEvent::Down),
        (v6, AddrEvent::Down),
    ];
    assert_eq!(seen.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(), want);
    assert!(seen.iter().all(|s| s.0 == "d0"));
}

/// `Cpu::ip_local_out` (what ipvlan's `ipvlan_process_v4_outbound` does): a namespace without a
/// stack refuses the packet; with one, it is routed and sent out (here after resolving the
/// neighbour), and a broadcast destination is refused (not a unicast or local route).
#[test]
fn ip_local_out_into_a_namespace_stack() {
    let w: World = world(1);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    up(&w, &[&a, &b]);
    let mut cpu = w.cpu(0).unwrap();
    let ip = |dst: [u8; 4]| {
        let mut p = vec![0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 1, 5];
        p.extend_from_slice(&dst);
        p.extend_from_slice(&[0; 8]);
        p
    };
    let pkt = |cpu: &mut Cpu, dst| {
        let mut skb = cpu.alloc_frame(&ip(dst));
        skb.meta.protocol = 0x0800;
        skb
    };
    let skb = pkt(&mut cpu, [10, 0, 0, 2]);
    assert!(cpu.ip_local_out(INIT, skb, Some(a.ifindex())).is_err(), "no stack yet");
    drop(cpu);
    let st = stack_adapter::install(&w).unwrap();
    let mut r = w.rtnl();
    st.of(INIT).addr_add(&mut r, a.ifindex(), [10, 0, 0, 1].into(), 24, &AddrOpts::default()).unwrap();
    drop(r);
    let tap = TapLog::attach(&a);
    let mut cpu = w.cpu(0).unwrap();
    let skb = pkt(&mut cpu, [10, 0, 0, 2]);
    assert!(cpu.ip_local_out(INIT, skb, Some(a.ifindex())).is_ok());
    assert_eq!(tap.take()[0].protocol, 0x0806, "the stack resolves the next hop first");
    let skb = pkt(&mut cpu, [10, 0, 0, 255]);
    assert!(cpu.ip_local_out(INIT, skb, Some(a.ifindex())).is_err(), "a broadcast route");
}
