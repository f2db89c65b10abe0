//! kernel-l2.md §6.3: MAC rules (macvlan_addr_busy, macvlan_open, macvlan_stop,
//! macvlan_set_mac_address, macvlan_sync_address, macvlan_port_destroy, and the address lists
//! macvlan_set_mac_lists syncs to the lower).

mod common;

use common::{add, mac, req};
use netdev_core::{Errno, MacAddr, NetnsId, dev_mc_add, dev_mc_del};
use netdev_macvlan::{MACVLAN_FLAG_NOPROMISC, MacvlanConfig, MacvlanMode};

const NS: NetnsId = NetnsId::INIT;

/// T29 / macvlan_open: a clash with the lower's MAC is not checked at creation, only at `up`
/// (EADDRINUSE); the same for two macvlans with one address, once the first is up.
#[test]
fn mac_clash_is_caught_at_up() {
    let w = common::world(21);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m3 = add(&mut r, &req(NS, "m3", &a, Some(a.address())), MacvlanConfig::default()).unwrap();
    assert_eq!(r.set_up(&m3, true).unwrap_err(), Errno::Eaddrinuse);
    assert!(!m3.is_up());
    let m4 = add(&mut r, &req(NS, "m4", &a, Some(mac(4))), MacvlanConfig::default()).unwrap();
    let m5 = add(&mut r, &req(NS, "m5", &a, Some(mac(4))), MacvlanConfig::default()).unwrap();
    r.set_up(&m5, true).unwrap();
    assert_eq!(r.set_up(&m4, true).unwrap_err(), Errno::Eaddrinuse);
    r.set_up(&m5, false).unwrap();
    r.set_up(&m4, true).unwrap();
}

/// macvlan_set_mac_address: invalid → EADDRNOTAVAIL; in use (the lower's, or an open
/// sibling's) → EADDRINUSE whether this macvlan is up or down; a down sibling's address is free.
/// While up the lower's unicast list follows the change.
#[test]
fn set_mac_address_rules() {
    let w = common::world(22);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = common::mv(&mut r, "m1", &a, mac(1), MacvlanMode::Bridge);
    let m2 = add(&mut r, &req(NS, "m2", &a, Some(mac(2))), MacvlanConfig::default()).unwrap();
    assert_eq!(r.set_address(&m2, MacAddr([1, 0, 0, 0, 0, 1])).unwrap_err(), Errno::Eaddrnotavail);
    assert_eq!(r.set_address(&m2, a.address()).unwrap_err(), Errno::Eaddrinuse, "down, still busy");
    assert_eq!(r.set_address(&m2, mac(1)).unwrap_err(), Errno::Eaddrinuse);
    r.set_address(&m2, mac(2)).unwrap();
    r.set_up(&m2, true).unwrap();
    let uc = |d: &netdev_core::NetDevice| d.uc_addrs().iter().map(|h| h.addr).collect::<Vec<_>>();
    assert_eq!(uc(&a), [mac(1), mac(2)]);
    r.set_address(&m2, mac(3)).unwrap();
    assert_eq!(m2.address(), mac(3));
    assert_eq!(uc(&a), [mac(1), mac(3)]);
    // m1 down: its address is free for m2 (only open macvlans are hashed).
    r.set_up(&m1, false).unwrap();
    assert_eq!(uc(&a), [mac(3)]);
    r.set_address(&m2, mac(1)).unwrap();
    assert_eq!(r.set_up(&m1, true).unwrap_err(), Errno::Eaddrinuse);
}

/// macvlan_open/stop: a macvlan's address goes on the lower's unicast list while it is up; a
/// veth has no unicast filter, so the lower gets one promiscuity reference (uc_promisc) from
/// the first such address and loses it with the last.
#[test]
fn open_puts_the_address_on_the_lower() {
    let w = common::world(23);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = add(&mut r, &req(NS, "m1", &a, Some(mac(1))), MacvlanConfig::default()).unwrap();
    let m2 = add(&mut r, &req(NS, "m2", &a, Some(mac(2))), MacvlanConfig::default()).unwrap();
    assert_eq!((a.uc_addrs().len(), a.promiscuity()), (0, 0));
    r.set_up(&m1, true).unwrap();
    r.set_up(&m2, true).unwrap();
    assert_eq!((a.uc_addrs().len(), a.promiscuity(), a.uc_promisc()), (2, 1, true));
    assert!(!a.flags().contains(netdev_core::IfFlags::PROMISC), "a kernel-held promiscuity is not shown by ip link");
    r.set_up(&m1, false).unwrap();
    assert_eq!((a.uc_addrs().len(), a.promiscuity()), (1, 1));
    r.set_up(&m2, false).unwrap();
    assert_eq!((a.uc_addrs().len(), a.promiscuity(), a.uc_promisc()), (0, 0, false));
}

/// macvlan_open/macvlan_change_rx_flags/macvlan_stop: the macvlan's PROMISC and ALLMULTI are
/// passed to the lower while the macvlan is up.
#[test]
fn promisc_and_allmulti_are_passed_down() {
    let w = common::world(24);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = add(&mut r, &req(NS, "m1", &a, Some(mac(1))), MacvlanConfig::default()).unwrap();
    r.set_allmulti(&m1, true).unwrap();
    assert_eq!(a.allmulti(), 0, "not while the macvlan is down");
    r.set_up(&m1, true).unwrap();
    assert_eq!(a.allmulti(), 1);
    r.set_promisc(&m1, true).unwrap();
    assert_eq!(a.promiscuity(), 2, "uc_promisc plus the macvlan's");
    r.set_promisc(&m1, false).unwrap();
    assert_eq!(a.promiscuity(), 1);
    r.set_up(&m1, false).unwrap();
    assert_eq!((a.allmulti(), a.promiscuity()), (0, 0));
}

/// T29 / macvlan_open for passthru: the lower gets `promiscuity 1` (0 with `nopromisc`); no
/// unicast address is added.
#[test]
fn passthru_makes_the_lower_promiscuous() {
    let w = common::world(25);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let p = add(&mut r, &req(NS, "p0", &a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    r.set_up(&p, true).unwrap();
    assert_eq!((a.promiscuity(), a.uc_addrs().len()), (1, 0));
    r.dellink(&p).unwrap();
    assert_eq!(a.promiscuity(), 0);
    let cfg = MacvlanConfig { flags: Some(MACVLAN_FLAG_NOPROMISC), ..MacvlanConfig::with_mode(MacvlanMode::Passthru) };
    let p = add(&mut r, &req(NS, "p1", &a, None), cfg).unwrap();
    r.set_up(&p, true).unwrap();
    assert_eq!(a.promiscuity(), 0);
}

/// macvlan_set_mac_address for passthru changes the lower's address (the macvlan follows via
/// NETDEV_CHANGEADDR); macvlan_port_destroy gives the lower its original address back.
#[test]
fn passthru_mac_change_goes_to_the_lower_and_is_undone() {
    let w = common::world(26);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let orig = a.address();
    let p = add(&mut r, &req(NS, "p0", &a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    r.set_up(&p, true).unwrap();
    r.set_address(&p, mac(0x77)).unwrap();
    assert_eq!((a.address(), p.address()), (mac(0x77), mac(0x77)));
    r.dellink(&p).unwrap();
    assert_eq!(a.address(), orig);
}

/// macvlan_device_event NETDEV_CHANGEADDR: a passthru macvlan follows a change made on the
/// lower, and that address becomes the one kept when the port goes (macvlan_sync_address).
#[test]
fn passthru_follows_the_lower_mac() {
    let w = common::world(27);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let p = add(&mut r, &req(NS, "p0", &a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    r.set_up(&p, true).unwrap();
    r.set_address(&a, mac(0x55)).unwrap();
    assert_eq!(p.address(), mac(0x55));
    r.dellink(&p).unwrap();
    assert_eq!(a.address(), mac(0x55));
    // A non-passthru macvlan does not follow.
    let v = add(&mut r, &req(NS, "v0", &a, Some(mac(1))), MacvlanConfig::default()).unwrap();
    r.set_address(&a, mac(0x56)).unwrap();
    assert_eq!(v.address(), mac(1));
}

/// macvlan_set_mac_lists: the groups a macvlan joins are synced to the lower's multicast list
/// (`synced` = the number of macvlans that hold the group), and come off at stop
/// (dev_mc_unsync).
#[test]
fn multicast_lists_are_synced_to_the_lower() {
    let w = common::world(28);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = common::mv(&mut r, "m1", &a, mac(1), MacvlanMode::Bridge);
    let m2 = common::mv(&mut r, "m2", &a, mac(2), MacvlanMode::Bridge);
    let g = MacAddr([0x01, 0x00, 0x5e, 0, 0, 0xfb]);
    dev_mc_add(&m1, g).unwrap();
    dev_mc_add(&m2, g).unwrap();
    let entry = |d: &netdev_core::NetDevice| d.mc_addrs().into_iter().find(|h| h.addr == g);
    assert_eq!(entry(&a).map(|h| (h.refcount, h.synced)), Some((2, 2)));
    assert_eq!(entry(&m1).map(|h| (h.refcount, h.sync_cnt)), Some((2, 1)));
    // Leaving the group on m2 takes its sync away at the next rx-mode pass (this one).
    dev_mc_del(&m2, g).unwrap();
    assert_eq!(entry(&a).map(|h| h.synced), Some(1));
    assert_eq!(entry(&m2), None);
    r.set_up(&m1, false).unwrap();
    assert_eq!(entry(&a), None);
    assert_eq!(entry(&m1).map(|h| (h.refcount, h.sync_cnt)), Some((1, 0)));
}

/// macvlan_fdb_add/macvlan_fdb_del (`bridge fdb add MAC dev m0 self`): unicast entries only on
/// a passthru macvlan (EOPNOTSUPP otherwise), multicast on any; NLM_F_REPLACE is EOPNOTSUPP; a
/// listed address is EEXIST. The entries reach the lower through the macvlan's receive mode.
#[test]
fn fdb_entries() {
    use netdev_macvlan::{fdb_add, fdb_del};
    let w = common::world(29);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let v = common::mv(&mut r, "v0", &a, mac(1), MacvlanMode::Vepa);
    let g = MacAddr([0x01, 0x00, 0x5e, 0, 0, 7]);
    assert_eq!(fdb_add(&v, mac(9), false).unwrap_err(), Errno::Eopnotsupp);
    assert_eq!(fdb_add(&v, g, true).unwrap_err(), Errno::Eopnotsupp);
    fdb_add(&v, g, false).unwrap();
    assert_eq!(fdb_add(&v, g, false).unwrap_err(), Errno::Eexist);
    assert!(a.mc_addrs().iter().any(|h| h.addr == g && h.synced == 1));
    fdb_del(&v, g).unwrap();
    assert!(a.mc_addrs().is_empty());
    assert_eq!(fdb_del(&v, mac(9)).unwrap_err(), Errno::Eopnotsupp);
    r.dellink(&v).unwrap();
    let p = add(&mut r, &req(NS, "p0", &a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    r.set_up(&p, true).unwrap();
    fdb_add(&p, mac(9), false).unwrap();
    assert_eq!(a.uc_addrs().iter().map(|h| h.addr).collect::<Vec<_>>(), [mac(9)]);
    assert_eq!(fdb_del(&p, mac(8)).unwrap_err(), Errno::Enoent);
    fdb_del(&p, mac(9)).unwrap();
    assert!(a.uc_addrs().is_empty());
}
