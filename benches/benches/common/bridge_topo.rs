//! The bridge topology shared by `bridge.rs` (criterion, wall time) and `bridge_icount.rs`
//! (callgrind), so that both measure exactly the same code.
//!
//! One World (1 CPU), a bridge `br0` (`stp_state 0`, up) and `ports` veth pairs `p<i>`/`h<i>`:
//! `p<i>` is enslaved to `br0`, `h<i>` stays outside and plays the host behind port `i`. A
//! counting [`Sink`] is the namespace's protocol handler, so every frame that reaches an `h<i>`
//! (or goes up `br0` itself) is counted and consumed there. A frame sent on `h<s>` crosses the
//! veth into `p<s>` (`netif_rx`, the backlog), `br_handle_frame` takes it (the bridge's rx
//! handler), `br_forward`/`br_flood` transmit it on `p<d>` (`dev_queue_xmit`), the veth forwards it
//! to `h<d>` (the backlog again) and the poll hands it to the sink.

use std::sync::Arc;

use netdev_bridge::PortState;
use netdev_core::{Cpu, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, World, WorldConfig};
use netdev_veth::{PeerSpec, Veth, VethConfig};
use vnet_benches::{FRAME_LEN, Sink, frame};

/// A MAC that no host has, so the bridge never learns it: frames to it are unknown unicast.
pub(crate) const UNKNOWN: [u8; 6] = [0x02, 0x42, 0x52, 0x00, 0x00, 0xff];
/// The broadcast address.
pub(crate) const BROADCAST: [u8; 6] = [0xff; 6];

/// A bridge with `ports` veth ports and the hosts behind them, FDB learned for every host.
pub(crate) struct BridgeBench {
    /// The World.
    pub(crate) world: World,
    /// The counting sink of the initial namespace.
    pub(crate) sink: Arc<Sink>,
    /// `h<i>`: the host side of each port's veth pair (frames are sent here).
    pub(crate) hosts: Vec<Arc<NetDevice>>,
    /// `p<i>`: the bridge ports.
    pub(crate) ports: Vec<Arc<NetDevice>>,
    /// Sink count, consumed and delivered packets after the setup and learning, which
    /// [`BridgeBench::check`] subtracts.
    base: (u64, u64, u64),
}

impl BridgeBench {
    /// Build the topology, bring everything up, check every port forwards (`stp_state 0`: a port
    /// forwards as soon as it has carrier, `br_make_forwarding`), then let each host send one
    /// broadcast frame from its own MAC so the bridge learns it (`br_fdb_update`), and check the
    /// FDB has a learned (not local, not static) entry on the right port for every host.
    ///
    /// # Panics
    ///
    /// If the setup fails or the bridge did not learn, which would make the figures meaningless.
    pub(crate) fn new(ports: usize) -> BridgeBench {
        let world = World::new(WorldConfig { seed: 1, cpus: 1, ..WorldConfig::default() });
        netdev_veth::register(&world).expect("a fresh World has no veth kind yet");
        netdev_bridge::register(&world).expect("a fresh World has no bridge kind yet");
        let sink = Arc::new(Sink::new(1));
        let mut r = world.rtnl();
        r.set_protocol_handler(NetnsId::INIT, Some(sink.clone())).expect("the initial namespace exists");
        let req = NewLink { name: Some("br0".into()), ..NewLink::in_netns(NetnsId::INIT) };
        let br = r.link_add("bridge", &req, &["stp_state", "0"]).expect("a fresh bridge");
        r.set_up(&br, true).expect("a bridge opens");
        let (mut hosts, mut pvec) = (Vec::with_capacity(ports), Vec::with_capacity(ports));
        for i in 0..ports {
            let cfg = VethConfig { peer: PeerSpec { name: Some(format!("h{i}")), ..PeerSpec::default() } };
            let req = NewLink { name: Some(format!("p{i}")), ..NewLink::in_netns(NetnsId::INIT) };
            let p = r.newlink("veth", &req, &(Box::new(cfg) as KindConfig)).expect("unique names");
            let h = Veth::peer_of(&p).expect("a new veth has its peer");
            r.set_master(&p, Some(&br)).expect("a veth can be a bridge port");
            r.set_up(&p, true).expect("veth opens with a peer");
            r.set_up(&h, true).expect("veth opens with a peer");
            hosts.push(h);
            pvec.push(p);
        }
        drop(r);
        for p in &pvec {
            let st = netdev_bridge::port_info(p).map(|i| i.state);
            assert_eq!(st, Some(PortState::Forwarding), "port {} does not forward", p.name());
        }
        let mut cpu = world.cpu(0).expect("CPU 0 is free");
        for h in &hosts {
            let mut f = frame(BROADCAST);
            f[6..12].copy_from_slice(&h.address().octets());
            let skb = cpu.alloc_frame(&f);
            let _ = cpu.dev_queue_xmit(h, skb);
            cpu.run_until_idle(usize::MAX);
        }
        drop(cpu);
        let fdb = netdev_bridge::fdb(&br);
        for (h, p) in hosts.iter().zip(&pvec) {
            let learned = fdb
                .iter()
                .any(|e| e.mac == h.address() && e.port_ifindex == Some(p.ifindex()) && !e.added_by_user && e.vid == 0);
            assert!(learned, "the bridge did not learn {} on {}: {fdb:?}", h.address(), p.name());
        }
        // Learning: each broadcast reached the other hosts and went up br0.
        let n = ports as u64;
        assert_eq!(sink.count(), n * n, "learning broadcasts: (ports - 1) hosts + br0 each");
        assert_eq!(world.total_drops(), 0, "drops while learning: {:?}", world.drop_counts());
        let base = (sink.count(), world.total_consumed(), world.total_delivered());
        BridgeBench { world, sink, hosts, ports: pvec, base }
    }

    /// Claim CPU 0.
    ///
    /// # Panics
    ///
    /// If it is already claimed.
    pub(crate) fn cpu(&self) -> Cpu {
        self.world.cpu(0).expect("CPU 0 is free")
    }

    /// A frame from host `src` to `dst`.
    pub(crate) fn frame(&self, src: usize, dst: [u8; 6]) -> [u8; FRAME_LEN] {
        let mut f = frame(dst);
        if let Some(h) = self.hosts.get(src) {
            f[6..12].copy_from_slice(&h.address().octets());
        }
        f
    }

    /// A frame from host `src` to host `dst` (known unicast).
    pub(crate) fn unicast(&self, src: usize, dst: usize) -> [u8; FRAME_LEN] {
        let mac = self.hosts.get(dst).map_or(MacAddr([0; 6]), |h| h.address());
        self.frame(src, mac.octets())
    }

    /// Check conservation after `sent` frames of which each made `copies` deliveries (1 for known
    /// unicast): the sink counted every copy, every copy was consumed, none dropped, and every copy
    /// beyond the first was a clone (`World::total_cloned`).
    ///
    /// # Panics
    ///
    /// With the numbers, if anything was lost.
    pub(crate) fn check(&self, sent: u64, copies: u64) {
        let w = &self.world;
        let (s0, c0, d0) = self.base;
        let cloned = w.total_cloned();
        let (got, consumed, delivered) = (self.sink.count() - s0, w.total_consumed() - c0, w.total_delivered() - d0);
        let want = sent * copies;
        assert!(
            got == want
                && consumed == want
                && delivered == want
                && w.total_drops() == 0
                && cloned >= sent * (copies - 1),
            "bridge lost packets: sent {sent} x {copies}, sink {got}, delivered {delivered}, consumed {consumed}, \
             drops {:?}",
            w.drop_counts()
        );
        for d in self.hosts.iter().chain(&self.ports) {
            let s = d.stats64();
            assert!(s.tx_dropped == 0 && s.rx_dropped == 0, "{} dropped: {s:?}", d.name());
        }
    }
}

/// One batch: `n` frames sent on `tx`, then the CPU runs until its backlog is empty. Returns the
/// backlog entries processed: 2 per known-unicast frame (`p<s>`, then `h<d>`), 1 + the port copies
/// per flooded one (the copy up `br0` is received at once, `netif_receive_skb`, not queued).
#[inline(never)]
pub(crate) fn bridge_batch(cpu: &mut Cpu, tx: &Arc<NetDevice>, f: &[u8], n: usize) -> usize {
    for _ in 0..n {
        let skb = cpu.alloc_frame(f);
        let _ = cpu.dev_queue_xmit(tx, skb);
    }
    cpu.run_until_idle(usize::MAX)
}
