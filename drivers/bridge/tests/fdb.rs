//! The forwarding database (kernel-l2.md §4.7, scenario T20): `br_fdb_update` (learning and
//! moves), `br_fdb_cleanup` (ageing on the virtual clock), `br_set_ageing_time` (0 = hub mode),
//! `fdb_add_local`, `br_fdb_add` / `fdb_add_entry` / `br_fdb_delete` (user entries),
//! `br_stp_disable_port`'s flush, and `IFLA_BR_FDB_FLUSH` / `IFLA_BRPORT_FLUSH`.

mod common;

use common::{Lan, SEC, frame, mac};
use netdev_bridge::{FdbNud, FdbRequest, FdbState, parse_port_args};
use netdev_core::{Errno, MacAddr};

const IP: u16 = 0x0800;

fn entry(lan: &Lan, m: MacAddr) -> Option<(Option<u32>, FdbNud)> {
    netdev_bridge::fdb(&lan.br).iter().find(|e| e.mac == m).map(|e| (e.port_ifindex, e.state))
}

fn port(lan: &Lan, i: usize) -> Option<u32> {
    Some(lan.ports[i - 1].ifindex())
}

/// T20: with `ageing_time 200` (2 s) a learned entry goes 2 s after the last frame from it, no
/// earlier; frames refresh it; the gc re-arms for the next expiry.
#[test]
fn ageing_on_the_virtual_clock() {
    let lan = Lan::new(2, &["ageing_time", "200"]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 0, 60));
    assert_eq!(entry(&lan, mac(1)), Some((port(&lan, 1), FdbNud::Reachable)));
    cpu.advance(SEC);
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 0, 60));
    cpu.advance(SEC + SEC / 2);
    assert!(entry(&lan, mac(1)).is_some(), "refreshed at 1 s, so alive at 2.5 s");
    let e = netdev_bridge::fdb(&lan.br).into_iter().find(|e| e.mac == mac(1)).unwrap();
    assert_eq!(e.updated, 150, "ndm_updated: 1.5 s ago");
    cpu.advance(SEC / 2 - 1);
    assert!(entry(&lan, mac(1)).is_some());
    cpu.advance(1);
    assert!(entry(&lan, mac(1)).is_none(), "updated + hold <= now: gone at exactly 3 s");
    // Local entries never age.
    cpu.advance(1000 * SEC);
    assert_eq!(entry(&lan, lan.ports[0].address()), Some((port(&lan, 1), FdbNud::Permanent)));
}

/// The default hold time is 300 s (`BR_DEFAULT_AGEING_TIME`); the gc shows in `gc_timer`.
#[test]
fn default_ageing_is_five_minutes() {
    let lan = Lan::new(2, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 0, 60));
    cpu.advance(299 * SEC);
    assert!(entry(&lan, mac(1)).is_some());
    assert!(netdev_bridge::info(&lan.br).unwrap().gc_timer <= 100, "the gc is due within a second");
    cpu.advance(SEC);
    assert!(entry(&lan, mac(1)).is_none());
}

/// `br_fdb_update`'s "some users want to always flood": with `ageing_time 0` nothing is
/// learned and all unicast floods.
#[test]
fn ageing_time_zero_is_a_hub() {
    let lan = Lan::new(3, &["ageing_time", "0"]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 0, 60));
    lan.send_from(&mut cpu, 2, &frame(mac(1), mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), [1, 2, 3]);
    assert!(entry(&lan, mac(1)).is_none() && entry(&lan, mac(2)).is_none());
    lan.send_from(&mut cpu, 2, &frame(mac(1), mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), [1, 3], "still flooded");
}

/// `br_fdb_update`: an address seen on another port moves there (roaming); a sticky entry does
/// not.
#[test]
fn entries_move_unless_sticky() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(MacAddr::BROADCAST, mac(9), IP, 0, 60));
    assert_eq!(entry(&lan, mac(9)).unwrap().0, port(&lan, 1));
    lan.send_from(&mut cpu, 2, &frame(MacAddr::BROADCAST, mac(9), IP, 0, 60));
    assert_eq!(entry(&lan, mac(9)).unwrap().0, port(&lan, 2));
    lan.receivers();
    lan.send_from(&mut cpu, 3, &frame(mac(9), mac(3), IP, 0, 60));
    assert_eq!(lan.receivers(), [2], "follows the move");
    let req = FdbRequest { state: FdbState::Reachable, sticky: true, create: true, excl: false, use_: false };
    netdev_bridge::fdb_add(&mut lan.w.rtnl(), &lan.ports[0], mac(9), 0, &req).unwrap();
    lan.send_from(&mut cpu, 2, &frame(MacAddr::BROADCAST, mac(9), IP, 0, 60));
    let e = netdev_bridge::fdb(&lan.br).into_iter().find(|e| e.mac == mac(9)).unwrap();
    assert_eq!((e.port_ifindex, e.sticky), (port(&lan, 1), true));
}

/// `br_fdb_add` / `fdb_add_entry` / `br_fdb_delete`: static entries steer unicast and never
/// age; the checks come in the kernel's order.
#[test]
fn user_entries() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    let st = FdbRequest::default();
    {
        let mut r = lan.w.rtnl();
        netdev_bridge::fdb_add(&mut r, &lan.ports[2], mac(0x44), 0, &st).unwrap();
        assert_eq!(netdev_bridge::fdb_add(&mut r, &lan.ports[2], mac(0x44), 0, &st), Err(Errno::Eexist.into()));
        assert_eq!(netdev_bridge::fdb_add(&mut r, &lan.ports[2], MacAddr::ZERO, 0, &st), Err(Errno::Einval.into()));
        assert_eq!(
            netdev_bridge::fdb_add(&mut r, &lan.hosts[0], mac(0x45), 0, &st),
            Err(Errno::Einval.into()),
            "not a port"
        );
        assert_eq!(
            netdev_bridge::fdb_add(&mut r, &lan.ports[0], mac(0x45), 5, &st),
            Err(Errno::Einval.into()),
            "no VLAN 5"
        );
        let dynamic_on_bridge = FdbRequest { state: FdbState::Static, ..st };
        assert_eq!(
            netdev_bridge::fdb_add(&mut r, &lan.br, mac(0x46), 0, &dynamic_on_bridge),
            Err(Errno::Einval.into())
        );
        let perm = FdbRequest { state: FdbState::Permanent, ..st };
        netdev_bridge::fdb_add(&mut r, &lan.br, mac(0x46), 0, &perm).unwrap();
        let replace = FdbRequest { create: false, excl: false, ..st };
        assert_eq!(netdev_bridge::fdb_add(&mut r, &lan.ports[0], mac(0x47), 0, &replace), Err(Errno::Enoent.into()));
    }
    assert_eq!(entry(&lan, mac(0x44)), Some((port(&lan, 3), FdbNud::Noarp)));
    assert_eq!(entry(&lan, mac(0x46)), Some((None, FdbNud::Permanent)));
    lan.send_from(&mut cpu, 1, &frame(mac(0x44), mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [3]);
    // Frames to a permanent entry on the bridge go up the bridge.
    lan.local.take();
    lan.send_from(&mut cpu, 1, &frame(mac(0x46), mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert_eq!(lan.local.take().len(), 1);
    cpu.advance(1000 * SEC);
    assert!(entry(&lan, mac(0x44)).is_some(), "static entries never age");
    {
        let mut r = lan.w.rtnl();
        assert_eq!(
            netdev_bridge::fdb_del(&mut r, &lan.ports[0], mac(0x44), 0),
            Err(Errno::Enoent.into()),
            "on p3, not p1"
        );
        netdev_bridge::fdb_del(&mut r, &lan.ports[2], mac(0x44), 0).unwrap();
        assert_eq!(netdev_bridge::fdb_del(&mut r, &lan.ports[2], mac(0x44), 0), Err(Errno::Enoent.into()));
    }
    assert!(entry(&lan, mac(0x44)).is_none());
    // A dynamic user entry needs a port that learns (EPERM otherwise).
    common::down(&lan.w, &lan.hosts[1]);
    let dynamic = FdbRequest { state: FdbState::Reachable, ..st };
    assert_eq!(
        netdev_bridge::fdb_add(&mut lan.w.rtnl(), &lan.ports[1], mac(0x48), 0, &dynamic),
        Err(Errno::Eperm.into())
    );
}

/// `br_stp_disable_port` deletes the port's dynamic entries (not its static ones); bridge and
/// port flushes remove only non-static entries.
#[test]
fn flushes() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    for i in 1..=3 {
        lan.send_from(&mut cpu, i, &frame(MacAddr::BROADCAST, mac(i as u8), IP, 0, 60));
    }
    netdev_bridge::fdb_add(&mut lan.w.rtnl(), &lan.ports[0], mac(0x50), 0, &FdbRequest::default()).unwrap();
    common::down(&lan.w, &lan.hosts[0]);
    assert!(entry(&lan, mac(1)).is_none(), "disabled port: learned entries flushed");
    assert!(entry(&lan, mac(0x50)).is_some(), "static entries stay");
    let cfg = parse_port_args(&["fdb_flush"]).unwrap();
    netdev_bridge::set_port(&mut lan.w.rtnl(), &lan.ports[1], &cfg).unwrap();
    assert!(entry(&lan, mac(2)).is_none());
    assert!(entry(&lan, mac(3)).is_some(), "another port's entry");
    common::bridge_set(&lan.w, &lan.br, &["fdb_flush"]).unwrap();
    assert!(entry(&lan, mac(3)).is_none());
    assert!(entry(&lan, mac(0x50)).is_some());
    assert!(entry(&lan, lan.br.address()).is_some(), "local entries are static");
}

/// `fdb_add_local`: a port whose MAC was learned elsewhere takes the entry over as local; two
/// ports with one MAC share a local entry that follows the remaining one (`fdb_delete_local`).
#[test]
fn local_entries_take_over_and_hand_over() {
    let lan = Lan::new(2, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(MacAddr::BROADCAST, mac(0x60), IP, 0, 60));
    assert_eq!(entry(&lan, mac(0x60)), Some((port(&lan, 1), FdbNud::Reachable)));
    let req = netdev_core::NewLink { name: Some("d0".into()), ..netdev_core::NewLink::in_netns(lan.ns) };
    let d0 = lan.w.rtnl().newlink("dummy", &req, &(Box::new(()) as netdev_core::KindConfig)).unwrap();
    common::set_mac(&lan.w, &d0, mac(0x60));
    common::enslave(&lan.w, &d0, &lan.br).unwrap();
    assert_eq!(entry(&lan, mac(0x60)), Some((Some(d0.ifindex()), FdbNud::Permanent)));
    let req = netdev_core::NewLink { name: Some("d1".into()), ..netdev_core::NewLink::in_netns(lan.ns) };
    let d1 = lan.w.rtnl().newlink("dummy", &req, &(Box::new(()) as netdev_core::KindConfig)).unwrap();
    common::set_mac(&lan.w, &d1, mac(0x60));
    common::enslave(&lan.w, &d1, &lan.br).unwrap();
    assert_eq!(entry(&lan, mac(0x60)).unwrap().0, Some(d0.ifindex()), "the first port keeps it");
    lan.w.rtnl().set_master(&d0, None).unwrap();
    assert_eq!(entry(&lan, mac(0x60)), Some((Some(d1.ifindex()), FdbNud::Permanent)), "handed over");
}

/// `__br_fdb_add` with `NTF_USE`: like a frame from the address on the port (learned as
/// user-added), refused on the bridge itself.
#[test]
fn fdb_use_learns_like_a_frame() {
    let lan = Lan::new(2, &[]);
    let req = FdbRequest { use_: true, ..FdbRequest::default() };
    netdev_bridge::fdb_add(&mut lan.w.rtnl(), &lan.ports[1], mac(0x70), 0, &req).unwrap();
    let e = netdev_bridge::fdb(&lan.br).into_iter().find(|e| e.mac == mac(0x70)).unwrap();
    assert_eq!((e.port_ifindex, e.state, e.added_by_user), (port(&lan, 2), FdbNud::Reachable, true));
    assert_eq!(netdev_bridge::fdb_add(&mut lan.w.rtnl(), &lan.br, mac(0x71), 0, &req), Err(Errno::Einval.into()));
}
