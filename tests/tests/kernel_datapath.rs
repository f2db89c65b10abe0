//! Kernel-faithfulness scenarios for the core's data path over veth (reference `kernel-l2.md`
//! §1.9-1.15, scenarios T7-T8): unhandled protocols, pkt_type, rx handlers, the backlog bound,
//! scrubbing and the drop monitor. Each test names the kernel function whose behaviour it pins.

use std::sync::Arc;

use netdev_core::{
    Cpu, Direction, DropReason, Errno, MacAddr, NetDevice, NetnsId, PktType, RxHandler, RxHandlerResult, Skb, World,
    Xmit,
};
use vnet_tests::{DropLog, Sink, TapLog, drive, dummy, eth_frame, up, veth_pair, world};

const INIT: NetnsId = NetnsId::INIT;

/// An up veth pair a↔b in the initial namespace, and CPU 0.
fn setup(w: &World) -> (Arc<NetDevice>, Arc<NetDevice>, Cpu) {
    let (a, b) = veth_pair(w, INIT, "a", INIT, "b").unwrap();
    up(w, &[&a, &b]);
    (a, b, w.cpu(0).unwrap())
}

fn send(cpu: &mut Cpu, from: &Arc<NetDevice>, dst: MacAddr, ethertype: u16, len: usize) -> Xmit {
    let s = cpu.alloc_frame(&eth_frame(dst, from.address(), ethertype, &[], len));
    cpu.dev_queue_xmit(from, s)
}

/// T7, `dev.c:__netif_receive_skb_core`: no protocol handler takes 0x88B5, so the core counts
/// `rx_dropped` on the receiving device on top of veth's rx_packets; taps are not handlers.
#[test]
fn t7_unknown_ethertype_counts_rx_dropped() {
    let w = world(1);
    let (a, b, mut cpu) = setup(&w);
    assert_eq!(send(&mut cpu, &a, b.address(), 0x88b5, 100), Xmit::Ok);
    drive(&mut cpu, 10);
    let st = b.stats64();
    assert_eq!((st.rx_packets, st.rx_dropped), (1, 1), "no handler at all");
    let tap = TapLog::attach(&b);
    assert_eq!(send(&mut cpu, &a, b.address(), 0x88b5, 100), Xmit::Ok);
    drive(&mut cpu, 10);
    let st = b.stats64();
    assert_eq!((st.rx_packets, st.rx_dropped), (2, 2), "a tap on b is not a handler");
    let seen = tap.take();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].direction, seen[0].protocol), (Direction::Incoming, 0x88b5));
    // A stack that takes only IPv4 still leaves 0x88B5 unhandled.
    let sink = Sink::counting().accepting(0x0800).install(&w, INIT);
    send(&mut cpu, &a, b.address(), 0x88b5, 100);
    send(&mut cpu, &a, b.address(), 0x0800, 100);
    drive(&mut cpu, 10);
    let st = b.stats64();
    assert_eq!((st.rx_packets, st.rx_dropped, sink.delivered()), (4, 3, 1));
    assert_eq!(st.rx_nohandler, 0, "rx_nohandler is for exact-match rounds only");
    assert_eq!(w.drop_counts().get(&DropReason::UnhandledProto), Some(&3));
    assert_eq!(a.stats64().tx_dropped, 0);
}

/// T8, `etherdevice.h:eth_skb_pkt_type` via `eth_type_trans` on the receiving veth end: HOST,
/// BROADCAST, MULTICAST, OTHERHOST, seen the same by a tap on b and by the stack.
#[test]
fn t8_pkt_type_on_veth_receive() {
    let w = world(1);
    let (a, b, mut cpu) = setup(&w);
    let sink = Sink::recording().install(&w, INIT);
    let tap_b = TapLog::attach(&b);
    let tap_a = TapLog::attach(&a);
    let dsts = [b.address(), MacAddr::BROADCAST, MacAddr([1, 0, 0x5e, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 0x99])];
    for d in dsts {
        assert_eq!(send(&mut cpu, &a, d, 0x0800, 64), Xmit::Ok);
    }
    drive(&mut cpu, 10);
    let want = [PktType::Host, PktType::Broadcast, PktType::Multicast, PktType::OtherHost];
    let rx: Vec<_> = tap_b.take().iter().filter(|t| t.direction == Direction::Incoming).map(|t| t.pkt_type).collect();
    assert_eq!(rx, want);
    let delivered: Vec<_> = sink.log().iter().map(|d| d.pkt_type).collect();
    assert_eq!(delivered, want);
    let tx = tap_a.take();
    assert_eq!(tx.len(), 4, "a's tap sees each frame once, outgoing");
    assert!(tx.iter().all(|t| t.direction == Direction::Outgoing && t.pkt_type == PktType::Outgoing));
    assert!(tx.iter().zip(dsts).all(|(t, d)| t.frame[..6] == d.octets()));
}

/// What the test rx handler does with each packet.
enum Verdict {
    Another(Arc<NetDevice>),
    Consume,
    Exact,
}

struct Handler(Verdict);

impl RxHandler for Handler {
    fn handle(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        match &self.0 {
            Verdict::Another(to) => RxHandlerResult::Another(skb, to.clone()),
            Verdict::Consume => {
                cpu.consume_skb(skb);
                RxHandlerResult::Consumed
            }
            Verdict::Exact => RxHandlerResult::Exact(skb),
        }
    }
}

/// `dev.c:netdev_rx_handler_register` (EBUSY when taken) and the rx-handler results of
/// `__netif_receive_skb_core`: ANOTHER re-runs the round on the new device (its taps see it),
/// CONSUMED stops, EXACT skips the namespace handlers and counts `rx_nohandler`.
#[test]
fn rx_handler_results() {
    let w = world(1);
    let (a, b, mut cpu) = setup(&w);
    let upper = dummy(&w, INIT, "up0").unwrap();
    let sink = Sink::recording().install(&w, INIT);
    let tap_b = TapLog::attach(&b);
    let tap_up = TapLog::attach(&upper);
    let mut r = w.rtnl();
    r.rx_handler_register(&b, Arc::new(Handler(Verdict::Another(upper.clone())))).unwrap();
    let e = r.rx_handler_register(&b, Arc::new(Handler(Verdict::Consume))).unwrap_err();
    assert_eq!(e.errno(), Errno::Ebusy);
    drop(r);
    send(&mut cpu, &a, b.address(), 0x0800, 64);
    drive(&mut cpu, 10);
    let log = sink.log();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].ifindex, log[0].orig_ifindex), (upper.ifindex(), b.ifindex()));
    assert_eq!(tap_b.take().len(), 1);
    let up_seen = tap_up.take();
    assert_eq!(up_seen.len(), 1, "the taps of the new skb->dev see the next round");
    assert_eq!((up_seen[0].direction, up_seen[0].ifindex), (Direction::Incoming, upper.ifindex()));

    w.rtnl().rx_handler_unregister(&b);
    w.rtnl().rx_handler_register(&b, Arc::new(Handler(Verdict::Consume))).unwrap();
    let consumed = w.total_consumed();
    send(&mut cpu, &a, b.address(), 0x0800, 64);
    drive(&mut cpu, 10);
    assert_eq!((sink.delivered(), w.total_consumed()), (1, consumed + 1), "CONSUMED stops delivery");
    assert_eq!(b.stats64().rx_dropped, 0);

    w.rtnl().rx_handler_unregister(&b);
    w.rtnl().rx_handler_register(&b, Arc::new(Handler(Verdict::Exact))).unwrap();
    send(&mut cpu, &a, b.address(), 0x0800, 64);
    drive(&mut cpu, 10);
    let st = b.stats64();
    assert_eq!(sink.delivered(), 1, "EXACT skips the namespace's handlers");
    assert_eq!((st.rx_nohandler, st.rx_dropped), (1, 0));

    w.rtnl().rx_handler_unregister(&b);
    send(&mut cpu, &a, b.address(), 0x0800, 64);
    drive(&mut cpu, 10);
    assert_eq!(sink.delivered(), 2);
}

/// `dev.c:enqueue_to_backlog`: past `netdev_max_backlog` the packet is dropped (CPU_BACKLOG)
/// with a core `rx_dropped` on the receiver; `veth_xmit` counts the failed `__netif_rx` as its
/// own tx drop.
#[test]
fn backlog_bound() {
    let w = world(1);
    w.set_max_backlog(4);
    let (a, b, mut cpu) = setup(&w);
    let sink = Sink::counting().install(&w, INIT);
    let res: Vec<_> = (0..10).map(|_| send(&mut cpu, &a, b.address(), 0x0800, 100)).collect();
    assert_eq!(res[..5], [Xmit::Ok; 5], "qlen <= max_backlog is accepted: N+1 packets fit");
    assert_eq!(res[5..], [Xmit::Drop; 5]);
    assert_eq!(cpu.backlog_len(), 5);
    let (sa, sb) = (a.stats64(), b.stats64());
    assert_eq!((sa.tx_packets, sa.tx_dropped), (5, 5));
    assert_eq!((sb.rx_packets, sb.rx_dropped), (5, 5));
    assert_eq!(w.drop_counts().get(&DropReason::CpuBacklog), Some(&5));
    assert_eq!(drive(&mut cpu, 10), 5);
    assert_eq!(sink.delivered(), 5);
    assert_eq!(w.total_drops(), 5);
}

/// `skbuff.c:skb_scrub_packet` via `____dev_forward_skb`: the mark survives a same-netns hop
/// and is cleared across namespaces; the priority is cleared on every hop.
#[test]
fn skb_scrub_mark_and_priority() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let (c, e) = veth_pair(&w, INIT, "c", ns1, "e").unwrap();
    up(&w, &[&a, &b, &c, &e]);
    let here = Sink::recording().install(&w, INIT);
    let there = Sink::recording().install(&w, ns1);
    let mut cpu = w.cpu(0).unwrap();
    for (from, to) in [(&a, &b), (&c, &e)] {
        let mut s = cpu.alloc_frame(&eth_frame(to.address(), from.address(), 0x0800, &[], 64));
        s.meta.mark = 42;
        s.meta.priority = 6;
        assert_eq!(cpu.dev_queue_xmit(from, s), Xmit::Ok);
    }
    drive(&mut cpu, 10);
    let (h, t) = (here.log(), there.log());
    assert_eq!((h.len(), t.len()), (1, 1));
    assert_eq!((h[0].ifindex, h[0].mark, h[0].priority), (b.ifindex(), 42, 0), "same netns");
    assert_eq!((t[0].netns, t[0].mark, t[0].priority), (ns1, 0, 0), "across netns");
}

/// The `kfree_skb` tracepoint (drop monitor): every drop once, with its reason and the device
/// that had the packet: noop qdisc on the sender, MTU and unhandled protocol on the receiver,
/// a runt in `veth_xmit`.
#[test]
fn drop_monitor_sees_each_drop() {
    let w = world(1);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let log = DropLog::install(&w);
    let mut cpu = w.cpu(0).unwrap();
    up(&w, &[&a]);
    assert_eq!(send(&mut cpu, &a, b.address(), 0x0800, 100), Xmit::Congested, "peer down: no carrier");
    up(&w, &[&b]);
    w.rtnl().set_mtu(&a, 9000).unwrap();
    assert_eq!(send(&mut cpu, &a, b.address(), 0x0800, 3000), Xmit::Drop);
    assert_eq!(send(&mut cpu, &a, b.address(), 0x88b5, 100), Xmit::Ok);
    assert_eq!(send(&mut cpu, &a, b.address(), 0x0800, 10), Xmit::Drop, "shorter than ETH_HLEN");
    drive(&mut cpu, 10);
    let got: Vec<_> = log.take().iter().map(|e| (e.reason, e.ifindex, e.netns, e.len)).collect();
    let (ia, ib) = (a.ifindex(), b.ifindex());
    assert_eq!(
        got,
        [
            (DropReason::QdiscDrop, ia, INIT, 100),
            (DropReason::PktTooBig, ib, INIT, 3000),
            (DropReason::NotSpecified, ia, INIT, 10),
            (DropReason::UnhandledProto, ib, INIT, 86),
        ]
    );
    assert_eq!(w.total_drops(), 4);
    let (sa, sb) = (a.stats64(), b.stats64());
    assert_eq!((sa.tx_dropped, sb.rx_dropped), (3, 2));
}

/// `netif_rx` as an L3 device calls it (`Cpu::netif_rx_ptr`, `venet_xmit`'s path): an empty
/// device pointer, then a device that is not up, hand the packet back untouched and uncounted;
/// an up device receives it with no link-layer header (the tap sees the bare packet, the stack
/// gets the protocol the sender set) and counts it in its rx counters at once.
#[test]
fn netif_rx_ptr_delivers_without_a_link_layer_header() {
    let w = world(3);
    let d = dummy(&w, INIT, "d0").unwrap();
    let sink = Sink::recording().install(&w, INIT);
    let tap = TapLog::attach(&d);
    let mut cpu = w.cpu(0).unwrap();
    let ptr = netdev_core::DevPtr::new();
    let pkt = [0x45u8; 30];
    let mut skb = cpu.alloc_frame(&pkt);
    skb.meta.protocol = 0x0800;
    let skb = cpu.netif_rx_ptr(&ptr, skb).expect_err("empty pointer");
    ptr.store(Some(d.clone()));
    let skb = cpu.netif_rx_ptr(&ptr, skb).expect_err("device down");
    assert_eq!(d.stats64().rx_dropped, 0, "refusals are the caller's to count");
    up(&w, &[&d]);
    assert!(matches!(cpu.netif_rx_ptr(&ptr, skb), Ok(netdev_core::NetRx::Success)));
    assert_eq!(d.stats64().rx_packets, 1, "counted at send time");
    drive(&mut cpu, 10);
    let log = sink.log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].ifindex, log[0].protocol, log[0].len, log[0].pkt_type),
        (d.ifindex(), 0x0800, 30, PktType::Host)
    );
    let seen = tap.take();
    assert_eq!((seen.len(), seen[0].direction), (1, Direction::Incoming));
    assert_eq!(seen[0].frame, pkt, "no Ethernet header in front");
    assert_eq!(d.stats64().rx_bytes, 30);
    assert_eq!(w.total_consumed() + w.total_drops(), 1);
}
