//! VLAN filtering (kernel-l2.md §4.8, scenario T24) on a kernel with
//! `CONFIG_BRIDGE_VLAN_FILTERING`: `br_vlan_init`/`nbp_vlan_init` (VLAN 1 PVID untagged),
//! `br_allowed_ingress`, `br_allowed_egress`, `br_handle_vlan`, `nbp_vlan_add`/`nbp_vlan_delete`,
//! `br_validate`, and the kernel without it (EOPNOTSUPP).

mod common;

use common::{Lan, Wire, bridge_set, frame, mac, world, world_vlan};
use netdev_core::{Direction, ETH_P_8021Q, Errno, MacAddr, VlanTag};

const IP: u16 = 0x0800;

fn vids(dev: &netdev_core::NetDevice) -> (Vec<u16>, u16) {
    let g = netdev_bridge::vlans(dev).unwrap();
    (g.used_vids(), g.pvid)
}

/// Defaults: the bridge and every port get VLAN 1 as PVID, untagged, with local FDB entries in
/// VID 1 as well as 0; `ip -d link` then shows the VLAN attributes.
#[test]
fn default_pvid_everywhere() {
    let lan = Lan::build(world_vlan(), 2, &[]);
    assert_eq!(vids(&lan.br), (vec![1], 1));
    assert_eq!(vids(&lan.ports[0]), (vec![1], 1));
    let g = netdev_bridge::vlans(&lan.ports[0]).unwrap();
    assert_eq!(g.vlans.get(&1), Some(&netdev_bridge::VLAN_INFO_UNTAGGED));
    let fdb: Vec<(MacAddr, u16)> = netdev_bridge::fdb(&lan.br).iter().map(|e| (e.mac, e.vid)).collect();
    for m in [lan.br.address(), lan.ports[0].address(), lan.ports[1].address()] {
        assert!(fdb.contains(&(m, 0)) && fdb.contains(&(m, 1)), "{m} in VID 0 and 1");
    }
    let mut line = String::new();
    lan.w.rtnl().kind("bridge").unwrap().fill_info(&lan.br, &mut line).unwrap();
    assert!(line.contains(" vlan_filtering 0 vlan_protocol 802.1Q bridge_id "), "{line}");
    assert!(
        line.contains(" vlan_default_pvid 1 vlan_stats_enabled 0 vlan_stats_per_port 0 group_fwd_mask 0 "),
        "{line}"
    );
    // Filtering off: everything is VID 0 and flows as before.
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(MacAddr::BROADCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
}

/// T24: an access port (PVID 10 untagged) and a trunk port (10 tagged): an untagged frame in the
/// access port leaves the trunk tagged with 10 and never reaches a VLAN-1-only port; a tagged
/// VID 20 frame is dropped; an untagged frame into a port without PVID is dropped; learning is
/// per VID.
#[test]
fn access_and_trunk_ports() {
    let lan = Lan::build(world_vlan(), 3, &[]);
    let mut cpu = lan.cpu();
    bridge_set(&lan.w, &lan.br, &["vlan_filtering", "1"]).unwrap();
    {
        let mut r = lan.w.rtnl();
        netdev_bridge::vlan_add(&mut r, &lan.ports[0], 10, true, true).unwrap();
        netdev_bridge::vlan_del(&mut r, &lan.ports[0], 1).unwrap();
        netdev_bridge::vlan_add(&mut r, &lan.ports[1], 10, false, false).unwrap();
    }
    assert_eq!(vids(&lan.ports[0]), (vec![10], 10));
    assert_eq!(vids(&lan.ports[1]), (vec![1, 10], 1));
    let wire = Wire::attach(&lan.hosts[1]);
    lan.send_from(&mut cpu, 1, &frame(MacAddr::BROADCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
    let got: Vec<Vec<u8>> = wire.take().into_iter().filter(|(d, _)| *d == Direction::Incoming).map(|x| x.1).collect();
    assert_eq!(&got[0][12..16], &[0x81, 0x00, 0x00, 0x0a], "tagged with VID 10 on the trunk");
    assert!(lan.local.take().is_empty(), "br0 is not in VLAN 10");
    let learned = netdev_bridge::fdb(&lan.br).into_iter().find(|e| e.mac == mac(1)).unwrap();
    assert_eq!(learned.vid, 10);
    // Tagged VID 20 into the trunk: not on the port, dropped at ingress.
    let mut skb = cpu.alloc_frame(&frame(MacAddr::BROADCAST, mac(2), IP, 0, 60));
    skb.meta.vlan = Some(VlanTag { proto: ETH_P_8021Q, tci: 20 });
    cpu.dev_queue_xmit(&lan.hosts[1], skb);
    common::drive(&mut cpu);
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert!(lan.w.drop_counts().contains_key(&netdev_core::DropReason::VlanFilter));
    // Tagged VID 10 from the trunk reaches the access port untagged.
    let mut skb = cpu.alloc_frame(&frame(mac(1), mac(2), IP, 0, 60));
    skb.meta.vlan = Some(VlanTag { proto: ETH_P_8021Q, tci: 10 });
    cpu.dev_queue_xmit(&lan.hosts[1], skb);
    common::drive(&mut cpu);
    let got = lan.sinks[0].take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].pkt_type, netdev_core::PktType::Host, "untagged: a tag left on would make it OTHERHOST");
    assert!(lan.receivers().is_empty());
    // No PVID: untagged frames into the trunk after VLAN 1 goes are dropped.
    netdev_bridge::vlan_del(&mut lan.w.rtnl(), &lan.ports[1], 1).unwrap();
    lan.send_from(&mut cpu, 2, &frame(MacAddr::BROADCAST, mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
}

/// `br_validate`, `br_vlan_valid_id`, `nbp_vlan_delete`: the errors.
#[test]
fn vlan_errors() {
    let lan = Lan::build(world_vlan(), 1, &[]);
    assert_eq!(bridge_set(&lan.w, &lan.br, &["vlan_default_pvid", "4095"]), Err(Errno::Einval.into()));
    assert_eq!(bridge_set(&lan.w, &lan.br, &["vlan_protocol", "0x800"]), Err(Errno::Eprotonosupport.into()));
    let mut r = lan.w.rtnl();
    for vid in [0, 4095] {
        let e = netdev_bridge::vlan_add(&mut r, &lan.ports[0], vid, false, false).unwrap_err();
        assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("Vlan id is invalid")));
    }
    assert_eq!(netdev_bridge::vlan_del(&mut r, &lan.ports[0], 7), Err(Errno::Enoent.into()));
    assert_eq!(netdev_bridge::vlan_add(&mut r, &lan.hosts[0], 7, false, false), Err(Errno::Einval.into()));
    // vlan_default_pvid 0 removes the untouched default PVID from bridge and ports.
    drop(r);
    bridge_set(&lan.w, &lan.br, &["vlan_default_pvid", "0"]).unwrap();
    assert_eq!(vids(&lan.ports[0]), (vec![], 0));
    assert_eq!(vids(&lan.br), (vec![], 0));
    bridge_set(&lan.w, &lan.br, &["vlan_default_pvid", "5"]).unwrap();
    assert_eq!(netdev_bridge::info(&lan.br).unwrap().vlan, Some((ETH_P_8021Q, 5)));
}

/// Without `CONFIG_BRIDGE_VLAN_FILTERING` (the recorded kernel) VLAN requests are EOPNOTSUPP
/// and ports get no VLANs.
#[test]
fn no_vlan_support_in_the_default_kernel() {
    let lan = Lan::build(world(), 1, &[]);
    assert_eq!(vids(&lan.ports[0]), (vec![], 0));
    let e = netdev_bridge::vlan_add(&mut lan.w.rtnl(), &lan.ports[0], 10, false, false);
    assert_eq!(e, Err(Errno::Eopnotsupp.into()));
    assert_eq!(bridge_set(&lan.w, &lan.br, &["vlan_filtering", "1"]), Err(Errno::Eopnotsupp.into()));
    assert_eq!(netdev_bridge::info(&lan.br).unwrap().vlan, None);
}
