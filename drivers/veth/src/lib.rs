//! # netdev-veth: virtual Ethernet pairs (`drivers/net/veth.c`)
//!
//! A veth is two Ethernet devices joined back to back: what one transmits, the other receives,
//! through `__dev_forward_skb` (the receiver must be up and the frame must fit its MTU plus 18
//! bytes) and the receiving CPU's backlog. The ends may live in different namespaces, which is
//! how containers are wired. Deleting either end deletes both. The carrier is on only while both
//! ends are up. The two ends share counters: one end's rx is the other end's tx.
//!
//! ```text
//! ip link add [NAME] type veth [peer [name] PEER [address MAC] [mtu N] [txqueuelen N]
//!                                    [index N] [netns NS]]
//! ```
//!
//! Deliberate deviations from Linux: no XDP and no NAPI/GRO mode (GRO is off by default in
//! Linux too, and the visible semantics are the same); one queue per direction.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::any::Any;
use std::sync::Arc;

use netdev_core::{
    Cpu, DevPtr, DeviceSetup, ETH_HLEN, ETH_MAX_MTU, Errno, Error, Features, KindConfig, LinkKind, LinkStats64,
    MacAddr, NetDevice, NetDeviceOps, NetRx, NetnsId, NewLink, PrivFlags, Registration, Result, Rtnl, Skb, Stat, World,
    Xmit,
};

/// The link kind name.
pub const KIND: &str = "veth";

/// Where the peer end is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerNetns {
    /// A namespace by id.
    Id(NetnsId),
    /// A namespace by `ip netns` name (resolved at creation).
    Name(String),
}

/// The peer's own attributes (`VETH_INFO_PEER`: a whole ifinfomsg plus attributes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerSpec {
    /// `IFLA_IFNAME`; `None` gives `veth%d`.
    pub name: Option<String>,
    /// `IFLA_ADDRESS`.
    pub address: Option<MacAddr>,
    /// `IFLA_MTU`.
    pub mtu: Option<u32>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// `ifi_index`: honoured only if the main device has an explicit index too.
    pub ifindex: Option<u32>,
    /// `IFLA_NET_NS_*`: the namespace of the peer (default: the caller's).
    pub netns: Option<PeerNetns>,
    /// `ifi_flags & IFF_UP`.
    pub up: bool,
}

/// The veth type-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VethConfig {
    /// The peer end.
    pub peer: PeerSpec,
}

/// One end's private state (`struct veth_priv`): the RCU-published peer pointer.
#[derive(Debug, Default)]
pub struct Veth {
    peer: DevPtr,
}

impl Veth {
    /// The other end of `dev`, if `dev` is a veth that still has one.
    pub fn peer_of(dev: &NetDevice) -> Option<Arc<NetDevice>> {
        dev.driver::<Veth>()?.peer.load_full()
    }
}

/// `veth_setup`.
pub fn setup() -> DeviceSetup {
    let features = Features::SG
        | Features::FRAGLIST
        | Features::HW_CSUM
        | Features::RXCSUM
        | Features::SCTP_CRC
        | Features::HIGHDMA
        | Features::GSO_SOFTWARE
        | Features::GSO_ENCAP_ALL
        | Features::HW_VLAN_CTAG_TX
        | Features::HW_VLAN_CTAG_RX
        | Features::HW_VLAN_STAG_TX
        | Features::HW_VLAN_STAG_RX;
    let mut s = DeviceSetup::ether(KIND);
    s.priv_flags = (s.priv_flags & !PrivFlags::TX_SKB_SHARING)
        | PrivFlags::LIVE_ADDR_CHANGE
        | PrivFlags::NO_QUEUE
        | PrivFlags::PHONY_HEADROOM
        | PrivFlags::DISABLE_NETPOLL;
    // GRO is off by default (veth_disable_gro).
    s.features = features;
    s.hw_features = features;
    s.max_mtu = ETH_MAX_MTU;
    s
}

impl NetDeviceOps for Veth {
    /// `veth_xmit`: forward to the peer (`__dev_forward_skb` + `__netif_rx`). Counted on this
    /// end's tx (the peer reads it as its rx) with the length at entry; any failure counts this
    /// end's `tx_dropped` (and the forward check's failure the peer's core `rx_dropped`).
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        let len = skb.len();
        let res = if len >= ETH_HLEN { cpu.dev_forward_ptr(&self.peer, skb) } else { Err(skb) };
        match res {
            Ok(NetRx::Success) => {
                cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len);
                Xmit::Ok
            }
            Ok(NetRx::Drop) => {
                cpu.stat_add(dev, Stat::TxDropped, 1);
                Xmit::Drop
            }
            // No peer (a race with dellink) or a runt frame.
            Err(skb) => {
                cpu.stat_add(dev, Stat::TxDropped, 1);
                cpu.kfree_skb(skb, netdev_core::DropReason::NotSpecified, Some(dev));
                Xmit::Drop
            }
        }
    }

    /// `veth_open`: ENOTCONN without a peer; carrier on for both ends if the peer is up.
    fn open(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let peer = self.peer.load_full().ok_or(Error::new(Errno::Enotconn))?;
        if peer.is_up() {
            rtnl.carrier_on(dev);
            rtnl.carrier_on(&peer);
        }
        Ok(())
    }

    /// `veth_close`: carrier off on both ends.
    fn stop(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) {
        rtnl.carrier_off(dev);
        if let Some(peer) = self.peer.load_full() {
            rtnl.carrier_off(&peer);
        }
    }

    fn uninit(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        self.peer.store(None);
    }

    /// `veth_get_stats64`: tx and tx_dropped are this end's; rx is the peer's tx.
    fn get_stats64(&self, dev: &NetDevice, s: &mut LinkStats64) {
        let own = dev.stats();
        s.tx_packets = own.read(Stat::TxPackets);
        s.tx_bytes = own.read(Stat::TxBytes);
        s.tx_dropped = own.read(Stat::TxDropped);
        s.rx_dropped = own.read(Stat::RxDropped);
        self.peer.with(|peer| {
            if let Some(peer) = peer {
                s.rx_packets = peer.stats().read(Stat::TxPackets);
                s.rx_bytes = peer.stats().read(Stat::TxBytes);
            }
        });
    }

    /// `veth_get_iflink`: the peer's ifindex, 0 without a peer.
    fn iflink(&self, _dev: &NetDevice) -> u32 {
        self.peer.with(|p| p.map_or(0, |p| p.ifindex()))
    }

    /// `veth_get_link_net`: the peer's namespace.
    fn link_netns(&self, dev: &NetDevice) -> NetnsId {
        self.peer.with(|p| p.map_or(dev.netns(), |p| p.netns()))
    }
}

/// The `veth` link kind (`veth_link_ops`).
#[derive(Debug, Default)]
pub struct VethKind;

fn arg_err(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

fn parse_num(v: Option<&&str>, msg: &'static str) -> Result<u32> {
    v.and_then(|s| s.parse().ok()).ok_or(arg_err(msg))
}

impl LinkKind for VethKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `peer [name] NAME [address MAC] [mtu N] [txqueuelen N] [index N] [netns NS] [up]`.
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        let mut cfg = VethConfig::default();
        let mut it = args.iter();
        match it.next() {
            None => return Ok(Box::new(cfg)),
            Some(&"peer") => {}
            Some(_) => return Err(arg_err("veth: expected \"peer\"")),
        }
        let p = &mut cfg.peer;
        while let Some(&w) = it.next() {
            match w {
                "name" | "dev" => p.name = Some(it.next().ok_or(arg_err("missing peer name"))?.to_string()),
                "address" => {
                    p.address = Some(
                        it.next().ok_or(arg_err("missing address"))?.parse().map_err(|_| arg_err("invalid address"))?,
                    )
                }
                "mtu" => p.mtu = Some(parse_num(it.next(), "invalid mtu")?),
                "txqueuelen" | "txqlen" | "qlen" => p.txqlen = Some(parse_num(it.next(), "invalid txqueuelen")?),
                "index" => p.ifindex = Some(parse_num(it.next(), "invalid index")?),
                "netns" => p.netns = Some(PeerNetns::Name(it.next().ok_or(arg_err("missing netns"))?.to_string())),
                "up" => p.up = true,
                name if p.name.is_none() => p.name = Some(name.to_string()),
                _ => return Err(arg_err("unknown veth peer argument")),
            }
        }
        Ok(Box::new(cfg))
    }

    /// `veth_newlink`: the peer is created and registered first (so unnamed pairs are
    /// veth0 = peer, veth1 = main), its carrier set off (counted: `carrier_changes 1`), then the
    /// main device; then the two peer pointers are published.
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let any: &dyn Any = &**cfg;
        let default = VethConfig::default();
        let cfg = match any.downcast_ref::<VethConfig>() {
            Some(c) => c,
            None if any.is::<()>() => &default,
            None => return Err(Error::new(Errno::Einval)),
        };
        let kind = rtnl.kind(KIND);
        let p = &cfg.peer;
        let peer_ns = match &p.netns {
            None => req.netns,
            Some(PeerNetns::Id(id)) => *id,
            Some(PeerNetns::Name(n)) => {
                rtnl.netns_by_name(n).ok_or(Error::with_msg(Errno::Einval, "Invalid \"netns\" value"))?
            }
        };
        let peer = rtnl.register(Registration {
            netns: peer_ns,
            name: p.name.clone(),
            ifindex: if req.ifindex.is_some() { p.ifindex } else { None },
            setup: setup(),
            mtu: p.mtu,
            address: p.address,
            txqlen: p.txqlen,
            ops: Box::new(Veth::default()),
            link_kind: kind.clone(),
        })?;
        rtnl.carrier_off(&peer);
        // The peer is configured (and its first RTM_NEWLINK sent, with IFLA_LINK 0) before the
        // main device exists; so `peer ... up` fails with ENOTCONN from veth_open, as in Linux.
        if let Err(e) = rtnl.configure_link(&peer, p.up) {
            rtnl.unregister(&peer)?;
            return Err(e);
        }
        let main = match rtnl.register(Registration::from_request(req, setup(), Box::new(Veth::default()), kind)) {
            Ok(m) => m,
            Err(e) => {
                rtnl.unregister(&peer)?;
                return Err(e);
            }
        };
        rtnl.carrier_off(&main);
        if let (Some(a), Some(b)) = (main.driver::<Veth>(), peer.driver::<Veth>()) {
            a.peer.store(Some(peer.clone()));
            b.peer.store(Some(main.clone()));
        }
        Ok(main)
    }

    /// `veth_dellink`: clear both peer pointers and unregister both ends together.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        let peer = dev.driver::<Veth>().and_then(|v| v.peer.swap(None));
        let mut batch = vec![dev.clone()];
        if let Some(p) = peer {
            if let Some(v) = p.driver::<Veth>() {
                v.peer.store(None);
            }
            batch.push(p);
        }
        rtnl.unregister_many(&batch);
        Ok(())
    }
}

/// Register the `veth` kind with `world`.
pub fn register(world: &World) -> Result<()> {
    world.register_kind(Arc::new(VethKind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_peer_forms() {
        let k = VethKind;
        let c = k.parse_args(&["peer", "name", "b", "mtu", "1400", "netns", "ns1"]).unwrap();
        let c = c.downcast_ref::<VethConfig>().unwrap();
        assert_eq!(c.peer.name.as_deref(), Some("b"));
        assert_eq!(c.peer.mtu, Some(1400));
        assert_eq!(c.peer.netns, Some(PeerNetns::Name("ns1".into())));
        let c = k.parse_args(&["peer", "b2"]).unwrap();
        assert_eq!(c.downcast_ref::<VethConfig>().unwrap().peer.name.as_deref(), Some("b2"));
        assert!(k.parse_args(&["pear"]).is_err());
        assert!(k.parse_args(&["peer", "mtu", "x"]).is_err());
        assert!(k.parse_args(&["peer", "address", "zz"]).is_err());
    }

    #[test]
    fn setup_matches_veth_setup() {
        let s = setup();
        assert_eq!((s.min_mtu, s.max_mtu), (68, 65535));
        assert!(s.priv_flags.contains(PrivFlags::NO_QUEUE | PrivFlags::LIVE_ADDR_CHANGE));
        assert!(!s.priv_flags.contains(PrivFlags::TX_SKB_SHARING));
        assert!(!s.features.contains(Features::GRO));
    }
}
