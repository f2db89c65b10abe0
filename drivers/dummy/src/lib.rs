//! # netdev-dummy: the dummy device (`drivers/net/dummy.c`)
//!
//! A device that counts what it is asked to transmit and frees it. It never delivers anything
//! and has no receive path. It is `NOARP` and not multicast, accepts any MTU from 0 up
//! (`min_mtu = max_mtu = 0`), keeps `state UNKNOWN` when up because the driver never touches the
//! carrier, and is the one device here whose carrier the user may set
//! (`ip link set dummy0 carrier off`).
//!
//! ```text
//! ip link add [NAME] type dummy
//! ```
//!
//! Deliberate deviations from Linux: the module parameter `numdummies` (which creates `dummy0`
//! at module load) is not modelled; `ip link add` creates every dummy.

// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::sync::Arc;

use netdev_core::{
    Carrier, Cpu, DeviceSetup, Features, IfFlags, KindConfig, LinkKind, NetDevice, NetDeviceOps, NewLink, PrivFlags,
    Registration, Result, Rtnl, Skb, Stat, World, Xmit,
};

/// The link kind name.
pub const KIND: &str = "dummy";

/// The dummy driver (no private state).
#[derive(Debug, Default)]
pub struct Dummy;

/// `dummy_setup`.
pub fn setup() -> DeviceSetup {
    let mut s = DeviceSetup::ether(KIND);
    s.flags = (s.flags | IfFlags::NOARP) & !IfFlags::MULTICAST;
    s.priv_flags |= PrivFlags::LIVE_ADDR_CHANGE | PrivFlags::NO_QUEUE;
    let f = Features::SG
        | Features::FRAGLIST
        | Features::GSO_SOFTWARE
        | Features::HW_CSUM
        | Features::HIGHDMA
        | Features::GSO_ENCAP_ALL;
    s.features = f;
    s.hw_features = f;
    s.min_mtu = 0;
    s.max_mtu = 0;
    s
}

impl NetDeviceOps for Dummy {
    /// `dummy_xmit`: count tx packets and bytes (the whole frame) and free the packet.
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, skb.len());
        cpu.consume_skb(skb);
        Xmit::Ok
    }

    /// `dummy_change_carrier`.
    fn change_carrier(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>, carrier: Carrier) -> Result<()> {
        match carrier {
            Carrier::On => rtnl.carrier_on(dev),
            Carrier::Off => rtnl.carrier_off(dev),
        }
        Ok(())
    }
}

/// The `dummy` link kind (`dummy_link_ops`: the generic newlink and dellink).
#[derive(Debug, Default)]
pub struct DummyKind;

impl LinkKind for DummyKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, _cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let kind = rtnl.kind(KIND);
        rtnl.register(Registration::from_request(req, setup(), Box::new(Dummy), kind))
    }
}

/// Register the `dummy` kind with `world`.
pub fn register(world: &World) -> Result<()> {
    world.register_kind(Arc::new(DummyKind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_matches_dummy_setup() {
        let s = setup();
        assert!(s.flags.contains(IfFlags::NOARP | IfFlags::BROADCAST));
        assert!(!s.flags.contains(IfFlags::MULTICAST));
        assert_eq!((s.min_mtu, s.max_mtu), (0, 0));
    }
}
