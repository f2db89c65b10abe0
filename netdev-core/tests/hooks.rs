//! The core hooks stacked drivers need (macvlan first; vlan, bond and bridge the same way):
//! address lists and the receive mode (`net/core/dev_addr_lists.c`, `__dev_set_rx_mode`,
//! `__dev_set_promiscuity`), `ndo_init`, `skb_clone`, `RX_HANDLER_ANOTHER` moving `skb->dev`,
//! private flags and `linkwatch_fire_event`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use netdev_core::{
    Cpu, DeviceSetup, Errno, Error, IfFlags, MacAddr, NetDevice, NetDeviceOps, NetnsId, Operstate, PrivFlags,
    ProtocolHandler, Registration, Result, Rtnl, RxHandler, RxHandlerResult, Skb, World, WorldConfig, Xmit, dev_mc_add,
    dev_mc_del, dev_mc_sync, dev_mc_unsync, dev_uc_add, dev_uc_del,
};

/// A driver that counts its rx-mode and rx-flags calls, and can fail or act in `ndo_init`.
#[derive(Default)]
struct Probe {
    rx_mode: AtomicU32,
    rx_flags: Mutex<Vec<IfFlags>>,
    init: AtomicU32,
    uninit: AtomicU32,
    fail_init: bool,
    carrier_off_in_init: bool,
}

impl NetDeviceOps for Probe {
    fn xmit(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        cpu.consume_skb(skb);
        Xmit::Ok
    }

    fn init(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        self.init.fetch_add(1, Ordering::Relaxed);
        if self.fail_init {
            return Err(Error::new(Errno::Enomem));
        }
        if self.carrier_off_in_init {
            rtnl.carrier_off(dev);
        }
        Ok(())
    }

    fn uninit(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>) {
        self.uninit.fetch_add(1, Ordering::Relaxed);
    }

    fn set_rx_mode(&self, _dev: &Arc<NetDevice>) {
        self.rx_mode.fetch_add(1, Ordering::Relaxed);
    }

    fn change_rx_flags(&self, _dev: &Arc<NetDevice>, change: IfFlags) {
        self.rx_flags.lock().unwrap().push(change);
    }
}

fn reg(r: &mut Rtnl<'_>, name: &str, probe: Probe, flt: bool, ifindex: Option<u32>) -> Result<Arc<NetDevice>> {
    let mut setup = DeviceSetup::ether("probe");
    if flt {
        setup.priv_flags |= PrivFlags::UNICAST_FLT;
    }
    r.register(Registration {
        netns: NetnsId::INIT,
        name: Some(name.into()),
        ifindex,
        setup,
        mtu: None,
        address: None,
        txqlen: None,
        ops: Box::new(probe),
        link_kind: None,
    })
}

fn probe(d: &NetDevice) -> &Probe {
    d.driver::<Probe>().unwrap()
}

const U1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const G1: MacAddr = MacAddr([0x33, 0x33, 0, 0, 0, 1]);

/// __dev_set_rx_mode: nothing while down (dev_open runs it); a device without
/// IFF_UNICAST_FLT holds one promiscuity reference while its unicast list is not empty;
/// ndo_set_rx_mode runs on every change of an up device. dev_uc_del of an absent address is
/// ENOENT.
#[test]
fn unicast_list_and_uc_promisc() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let d = reg(&mut r, "p0", Probe::default(), false, None).unwrap();
    dev_uc_add(&d, U1).unwrap();
    assert_eq!((d.promiscuity(), probe(&d).rx_mode.load(Ordering::Relaxed)), (0, 0), "down: deferred");
    r.set_up(&d, true).unwrap();
    assert_eq!((d.promiscuity(), d.uc_promisc()), (1, true));
    assert!(d.raw_flags().contains(IfFlags::PROMISC) && !d.flags().contains(IfFlags::PROMISC));
    assert_eq!(probe(&d).rx_mode.load(Ordering::Relaxed), 1);
    assert_eq!(*probe(&d).rx_flags.lock().unwrap(), [IfFlags::PROMISC], "ndo_change_rx_flags on the flip");
    dev_uc_add(&d, U1).unwrap();
    assert_eq!(d.uc_addrs()[0].refcount, 2);
    dev_uc_del(&d, U1).unwrap();
    dev_uc_del(&d, U1).unwrap();
    assert_eq!((d.promiscuity(), d.uc_promisc()), (0, false));
    assert_eq!(dev_uc_del(&d, U1).unwrap_err(), Errno::Enoent);
    // With a unicast filter the device needs no promiscuity.
    let f = reg(&mut r, "p1", Probe::default(), true, None).unwrap();
    r.set_up(&f, true).unwrap();
    dev_uc_add(&f, U1).unwrap();
    assert_eq!(f.promiscuity(), 0);
}

/// __hw_addr_sync / __hw_addr_unsync (dev_mc_sync, dev_mc_unsync): an upper copies its groups
/// into its lower once (`synced` on the lower, `sync_cnt` and an extra reference on the upper);
/// a group the upper deleted leaves both lists at the next sync; unsync takes everything back.
#[test]
fn multicast_sync_semantics() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let low = reg(&mut r, "low", Probe::default(), false, None).unwrap();
    let up1 = reg(&mut r, "up1", Probe::default(), false, None).unwrap();
    let up2 = reg(&mut r, "up2", Probe::default(), false, None).unwrap();
    dev_mc_add(&low, G1).unwrap();
    dev_mc_add(&up1, G1).unwrap();
    dev_mc_add(&up2, G1).unwrap();
    dev_mc_sync(&low, &up1).unwrap();
    dev_mc_sync(&low, &up1).unwrap();
    dev_mc_sync(&low, &up2).unwrap();
    let h = low.mc_addrs()[0];
    assert_eq!((h.addr, h.refcount, h.synced), (G1, 3, 2));
    let u = up1.mc_addrs()[0];
    assert_eq!((u.refcount, u.sync_cnt), (2, 1));
    dev_mc_del(&up1, G1).unwrap();
    assert_eq!(up1.mc_addrs()[0].refcount, 1, "kept alive by its sync reference");
    dev_mc_sync(&low, &up1).unwrap();
    assert!(up1.mc_addrs().is_empty());
    assert_eq!((low.mc_addrs()[0].refcount, low.mc_addrs()[0].synced), (2, 1));
    dev_mc_unsync(&low, &up2);
    assert_eq!((low.mc_addrs()[0].refcount, low.mc_addrs()[0].synced), (1, 0));
    assert_eq!((up2.mc_addrs()[0].refcount, up2.mc_addrs()[0].sync_cnt), (1, 0));
    assert_eq!(dev_mc_sync(&low, &low).unwrap_err(), Errno::Einval);
    // The lists go with the device.
    r.unregister(&up2).unwrap();
    assert!(up2.mc_addrs().is_empty());
}

/// __dev_set_promiscuity / __dev_set_allmulti: ndo_change_rx_flags only on a flip of an up
/// device; `ip link set promisc` runs the receive mode.
#[test]
fn rx_flags_hook() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let d = reg(&mut r, "p0", Probe::default(), true, None).unwrap();
    r.dev_set_promiscuity(&d, 1).unwrap();
    assert!(probe(&d).rx_flags.lock().unwrap().is_empty(), "down");
    r.dev_set_promiscuity(&d, -1).unwrap();
    r.set_up(&d, true).unwrap();
    let before = probe(&d).rx_mode.load(Ordering::Relaxed);
    r.set_allmulti(&d, true).unwrap();
    r.dev_set_allmulti(&d, 1).unwrap();
    assert_eq!(*probe(&d).rx_flags.lock().unwrap(), [IfFlags::ALLMULTI], "the second reference flips nothing");
    assert!(probe(&d).rx_mode.load(Ordering::Relaxed) > before);
    assert_eq!(d.allmulti(), 2);
}

/// register_netdevice: ndo_init runs before the device is listed (a carrier change there is not
/// counted, and the operstate is computed from it); its error aborts the registration; a later
/// failure (a taken ifindex) calls ndo_uninit.
#[test]
fn ndo_init_hook() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let d = reg(&mut r, "p0", Probe { carrier_off_in_init: true, ..Probe::default() }, false, None).unwrap();
    assert_eq!(probe(&d).init.load(Ordering::Relaxed), 1);
    assert!(!d.has_carrier());
    assert_eq!((d.carrier_changes(), d.operstate_raw()), (0, Operstate::Down));
    let e = reg(&mut r, "p1", Probe { fail_init: true, ..Probe::default() }, false, None).unwrap_err();
    assert_eq!(e, Errno::Enomem);
    assert!(r.dev_by_name(NetnsId::INIT, "p1").is_none());
    let taken = d.ifindex();
    let e = reg(&mut r, "p2", Probe::default(), false, Some(taken)).unwrap_err();
    assert_eq!(e, Errno::Ebusy);
    assert!(r.dev_by_name(NetnsId::INIT, "p2").is_none());
}

/// linkwatch_fire_event: the operstate of a registered device with carrier is computed (UNKNOWN
/// until then); set_priv_flags sets and clears private flags.
#[test]
fn linkwatch_and_priv_flags() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let d = reg(&mut r, "p0", Probe::default(), false, None).unwrap();
    assert_eq!(d.operstate_raw(), Operstate::Unknown);
    r.linkwatch_fire_event(&d);
    drop(r);
    assert_eq!(d.operstate_raw(), Operstate::Up);
    let mut r = w.rtnl();
    r.set_priv_flags(&d, PrivFlags::MACVLAN_PORT, true);
    assert!(d.priv_flags().contains(PrivFlags::MACVLAN_PORT));
    r.set_priv_flags(&d, PrivFlags::MACVLAN_PORT, false);
    assert!(!d.priv_flags().contains(PrivFlags::MACVLAN_PORT));
}

/// An rx handler that clones each frame (consuming the clone itself) and hands the original
/// to another device (RX_HANDLER_ANOTHER).
struct Redirect(Arc<NetDevice>);

impl RxHandler for Redirect {
    fn handle(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        let c = cpu.skb_clone(&skb);
        assert_eq!((c.data(), c.mac_frame(), &c.meta), (skb.data(), skb.mac_frame(), &skb.meta));
        cpu.consume_skb(c);
        RxHandlerResult::Another(skb, self.0.clone())
    }
}

#[derive(Default)]
struct Seen(Mutex<Vec<(u64, NetnsId, u64)>>);

impl ProtocolHandler for Seen {
    fn receive(
        &self,
        cpu: &mut Cpu,
        dev: &Arc<NetDevice>,
        _o: &Arc<NetDevice>,
        skb: Skb,
    ) -> std::result::Result<(), Skb> {
        let on = cpu.skb_dev(&skb).map_or(0, |d| d.id());
        self.0.lock().unwrap().push((dev.id(), dev.netns(), on));
        cpu.consume_skb(skb);
        Ok(())
    }
}

/// RX_HANDLER_ANOTHER: the packet is now on the new device (`skb->dev`), in its namespace;
/// skb_clone makes an independent copy, counted so that consumed + dropped = sent + cloned.
#[test]
fn another_moves_the_skb_and_clones_are_counted() {
    let w = World::new(WorldConfig::default());
    let mut r = w.rtnl();
    let ns1 = r.netns_add("ns1").unwrap();
    let low = reg(&mut r, "low", Probe::default(), false, None).unwrap();
    let upper = reg(&mut r, "upper", Probe::default(), false, None).unwrap();
    r.change_netns(&upper, ns1, None, None).unwrap();
    r.set_up(&low, true).unwrap();
    r.set_up(&upper, true).unwrap();
    r.rx_handler_register(&low, Arc::new(Redirect(upper.clone()))).unwrap();
    let seen = Arc::new(Seen::default());
    r.set_protocol_handler(ns1, Some(seen.clone())).unwrap();
    drop(r);
    let mut cpu = w.cpu(0).unwrap();
    let mut f = vec![0u8; 60];
    f[..6].copy_from_slice(&low.address().octets());
    f[12] = 0x08;
    let skb = cpu.alloc_frame(&f);
    let skb = cpu.forward_prepare(&low, skb, true).unwrap();
    cpu.netif_rx(skb);
    cpu.run_until_idle(100);
    assert_eq!(*seen.0.lock().unwrap(), [(upper.id(), ns1, upper.id())]);
    assert_eq!((w.total_cloned(), w.total_consumed(), w.total_drops()), (1, 2, 0));
}
