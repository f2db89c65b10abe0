//! Namespace moves and teardown at the core level, with a minimal driver (`dev.c:
//! __dev_change_net_namespace`, `default_device_exit_net`).

use std::sync::Arc;

use netdev_core::{
    Cpu, DeviceSetup, Errno, KindConfig, LinkKind, NetDevice, NetDeviceOps, NetnsId, NewLink, Registration, Result,
    Rtnl, Skb, World, WorldConfig, Xmit,
};

struct Nop;

impl NetDeviceOps for Nop {
    fn xmit(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        cpu.consume_skb(skb);
        Xmit::Ok
    }
}

struct NopKind;

impl LinkKind for NopKind {
    fn kind(&self) -> &'static str {
        "nop"
    }

    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, _cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        let kind = rtnl.kind("nop");
        rtnl.register(Registration::from_request(req, DeviceSetup::ether("nop"), Box::new(Nop), kind))
    }
}

fn world() -> World {
    let w = World::new(WorldConfig::default());
    w.register_kind(Arc::new(NopKind)).unwrap();
    w
}

fn add(rtnl: &mut Rtnl<'_>, ns: NetnsId, name: &str) -> Arc<NetDevice> {
    rtnl.link_add("nop", &NewLink { name: Some(name.into()), ..NewLink::in_netns(ns) }, &[]).unwrap()
}

#[test]
fn move_with_a_template_name_on_clash_expands_once() {
    let w = world();
    let mut rtnl = w.rtnl();
    let ns1 = rtnl.netns_add("ns1").unwrap();
    add(&mut rtnl, ns1, "eth0");
    let d = add(&mut rtnl, NetnsId::INIT, "eth0");
    assert_eq!(rtnl.change_netns(&d, ns1, None, None).unwrap_err(), Errno::Eexist);
    rtnl.change_netns(&d, ns1, Some("eth%d"), None).unwrap();
    assert_eq!(&*d.name(), "eth1");
    assert_eq!(d.netns(), ns1);
}

#[test]
fn move_without_clash_applies_the_name_afterwards() {
    let w = world();
    let mut rtnl = w.rtnl();
    let ns1 = rtnl.netns_add("ns1").unwrap();
    let d = add(&mut rtnl, NetnsId::INIT, "d0");
    rtnl.change_netns(&d, ns1, Some("d9"), None).unwrap();
    assert_eq!(&*d.name(), "d9");
    assert!(rtnl.dev_by_name(ns1, "d9").is_some());
    assert!(rtnl.dev_by_name(NetnsId::INIT, "d0").is_none());
}

#[test]
fn unknown_kind_and_missing_namespace() {
    let w = world();
    let mut rtnl = w.rtnl();
    let e = rtnl.link_add("nosuch", &NewLink::in_netns(NetnsId::INIT), &[]).unwrap_err();
    assert_eq!(e, Errno::Eopnotsupp);
    assert_eq!(e.extack(), Some("Unknown device type"));
    let e = rtnl.link_add("nop", &NewLink::in_netns(NetnsId(77)), &[]).unwrap_err();
    assert_eq!(e, Errno::Enoent);
    assert_eq!(rtnl.link_add("nop", &NewLink::in_netns(NetnsId::INIT), &["x"]).unwrap_err(), Errno::Einval);
}

#[test]
fn netns_names_and_teardown() {
    let w = world();
    let mut rtnl = w.rtnl();
    let ns1 = rtnl.netns_add("ns1").unwrap();
    assert_eq!(rtnl.netns_add("ns1").unwrap_err(), Errno::Eexist);
    assert_eq!(rtnl.netns_add("a/b").unwrap_err(), Errno::Einval);
    add(&mut rtnl, ns1, "x");
    assert_eq!(rtnl.devices(ns1).len(), 2);
    rtnl.netns_del(ns1).unwrap();
    assert!(!rtnl.netns_exists(ns1));
    assert_eq!(rtnl.netns_del(ns1).unwrap_err(), Errno::Enoent);
    assert_eq!(rtnl.netns_del(NetnsId::INIT).unwrap_err(), Errno::Einval);
    // A namespace id is never reused.
    let ns2 = rtnl.netns_add("ns1").unwrap();
    assert_ne!(ns2, ns1);
}
