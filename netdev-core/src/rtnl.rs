//! RTNL: the configuration lock and every configuration operation (`net/core/dev.c`,
//! `net/core/rtnetlink.c`, `net/core/link_watch.c`).
//!
//! All configuration is serialised by the [`Rtnl`] guard. Changes are published to the data path
//! through atomics and RCU-style snapshots, so packets never wait for it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use parking_lot::MutexGuard;

use crate::addr_list::flag_counter_adjust;
use crate::device::{
    AddrAssign, NameAssign, RegState, RxHandlerSlot, STATE_DORMANT, STATE_NOCARRIER, STATE_PRESENT, STATE_START,
    STATE_TESTING, VlanRxSlot,
};
use crate::kind::{KindConfig, LinkKind, NewLink};
use crate::lo::Loopback;
use crate::name::{alloc_name, check_name, is_template};
use crate::netlink::{RTM_DELLINK, RTM_NEWLINK, RTMGRP_LINK, fill_ifinfo, ifla};
use crate::netns::{Netns, NetnsId, PernetOps, ProtoSlot, ProtocolHandler};
use crate::notify::{NetdevEvent, NetdevNotifier};
use crate::rng::Rng;
use crate::tap::Tap;
use crate::world::NetnsMap;
use crate::{
    Carrier, DeviceSetup, Errno, Error, IfFlags, MAX_NEST_DEV, MacAddr, NetDevice, NetDeviceOps, Operstate, PrivFlags,
    Qdisc, Result, RxHandler, VlanRx, World,
};

/// The RTNL-protected state of the World.
pub(crate) struct RtnlState {
    pub(crate) namespaces: NetnsMap,
    pub(crate) ns_by_name: BTreeMap<String, NetnsId>,
    pub(crate) next_ns_id: u32,
    pub(crate) kinds: BTreeMap<&'static str, Arc<dyn LinkKind>>,
    pub(crate) notifiers: Vec<Arc<dyn NetdevNotifier>>,
    pub(crate) pernet: Vec<Arc<dyn PernetOps>>,
    pub(crate) rng: Rng,
    linkwatch: Vec<Arc<NetDevice>>,
    configured: BTreeMap<u64, ()>,
    depth: u32,
}

impl RtnlState {
    pub(crate) fn new(rng: Rng) -> RtnlState {
        RtnlState {
            namespaces: BTreeMap::new(),
            ns_by_name: BTreeMap::new(),
            next_ns_id: 0,
            kinds: BTreeMap::new(),
            notifiers: Vec::new(),
            pernet: Vec::new(),
            rng,
            linkwatch: Vec::new(),
            configured: BTreeMap::new(),
            depth: 0,
        }
    }
}

/// What [`Rtnl::register`] needs to register a device (`alloc_netdev` + `register_netdevice`).
pub struct Registration {
    /// The namespace to register in.
    pub netns: NetnsId,
    /// A name or `%d` template; `None` gives `<kind>%d`.
    pub name: Option<String>,
    /// An explicit ifindex (EBUSY if taken).
    pub ifindex: Option<u32>,
    /// The device's set-up.
    pub setup: DeviceSetup,
    /// `IFLA_MTU`: checked against the set-up's min/max (EINVAL).
    pub mtu: Option<u32>,
    /// `IFLA_ADDRESS`: overrides the set-up's address (EADDRNOTAVAIL if zero or multicast).
    pub address: Option<MacAddr>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// The driver.
    pub ops: Box<dyn NetDeviceOps>,
    /// The link kind that created it (`rtnl_link_ops`); `None` for devices that cannot be deleted
    /// with `ip link del`.
    pub link_kind: Option<Arc<dyn LinkKind>>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("netns", &self.netns)
            .field("name", &self.name)
            .field("kind", &self.setup.kind)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// A registration from the generic attributes of a new-link request.
    pub fn from_request(
        req: &NewLink,
        setup: DeviceSetup,
        ops: Box<dyn NetDeviceOps>,
        link_kind: Option<Arc<dyn LinkKind>>,
    ) -> Registration {
        Registration {
            netns: req.dest_netns(),
            name: req.name.clone(),
            ifindex: req.ifindex,
            setup,
            mtu: req.mtu,
            address: req.address,
            txqlen: req.txqlen,
            ops,
            link_kind,
        }
    }
}

/// The held configuration lock. Every configuration operation is a method here; drivers'
/// configuration hooks and notifiers receive `&mut Rtnl` and may call back in.
///
/// Carrier changes are processed like the kernel's link-watch: when the outermost operation
/// returns, every device whose carrier changed gets its operstate recomputed (so both ends of a
/// veth see each other's new carrier) and, if up, a `NETDEV_CHANGE` and an `RTM_NEWLINK`.
pub struct Rtnl<'w> {
    world: &'w World,
    st: MutexGuard<'w, RtnlState>,
}

impl fmt::Debug for Rtnl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rtnl").field("namespaces", &self.st.namespaces.len()).finish()
    }
}

impl Drop for Rtnl<'_> {
    fn drop(&mut self) {
        self.linkwatch_run();
    }
}

fn einval(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

impl<'w> Rtnl<'w> {
    pub(crate) fn new(world: &'w World, st: MutexGuard<'w, RtnlState>) -> Rtnl<'w> {
        Rtnl { world, st }
    }

    /// The World this lock belongs to.
    pub fn world(&self) -> &'w World {
        self.world
    }

    /// Run `f` as one configuration operation: link-watch runs when the outermost one returns.
    fn op<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.st.depth += 1;
        let r = f(self);
        self.st.depth -= 1;
        if self.st.depth == 0 {
            self.linkwatch_run();
        }
        r
    }

    // ---------------------------------------------------------------- namespaces

    pub(crate) fn create_netns(&mut self, name: Option<&str>) -> Result<NetnsId> {
        let id = NetnsId(self.st.next_ns_id);
        self.st.next_ns_id += 1;
        self.st.namespaces.insert(id, Netns::new(id, name.map(str::to_owned)));
        if let Some(n) = name {
            self.st.ns_by_name.insert(n.to_owned(), id);
        }
        self.publish_ns();
        let lo = Registration {
            netns: id,
            name: Some("lo".into()),
            ifindex: None,
            setup: DeviceSetup::loopback(),
            mtu: None,
            address: None,
            txqlen: None,
            ops: Box::new(Loopback),
            link_kind: None,
        };
        self.register(lo)?;
        for ops in self.st.pernet.clone() {
            ops.init(self, id)?;
        }
        Ok(id)
    }

    /// `register_pernet_subsys`: run `ops.init` for every existing namespace now and for every
    /// new one from now on; `ops.exit` runs when a namespace is deleted.
    pub fn register_pernet(&mut self, ops: Arc<dyn PernetOps>) -> Result<()> {
        self.op(|r| {
            let ids: Vec<NetnsId> = r.st.namespaces.keys().copied().collect();
            for id in ids {
                ops.init(r, id)?;
            }
            r.st.pernet.push(ops);
            Ok(())
        })
    }

    fn publish_ns(&self) {
        self.world.publish_ns_table(World::netns_table_snapshot(&self.st));
    }

    /// `ip netns add NAME`: a new namespace with its own `lo` (ifindex 1, down). EEXIST if the
    /// name is taken, EINVAL for an empty name or one with `/`.
    pub fn netns_add(&mut self, name: &str) -> Result<NetnsId> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(Errno::Einval));
        }
        if self.st.ns_by_name.contains_key(name) {
            return Err(Error::new(Errno::Eexist));
        }
        self.op(|r| r.create_netns(Some(name)))
    }

    /// `ip netns del`: tear the namespace down as `default_device_exit` does: devices made by a
    /// link kind are deleted through it (a veth takes its peer along, wherever it is), devices
    /// without one move to the initial namespace as `dev<ifindex>`, then `lo` goes.
    /// EINVAL for the initial namespace, ENOENT if it does not exist.
    pub fn netns_del(&mut self, id: NetnsId) -> Result<()> {
        if id == NetnsId::INIT {
            return Err(Error::new(Errno::Einval));
        }
        if !self.st.namespaces.contains_key(&id) {
            return Err(Error::new(Errno::Enoent));
        }
        self.op(|r| {
            for dev in r.devices(id) {
                if dev.reg_state() != RegState::Registered || dev.netns() != id {
                    continue;
                }
                if dev.link_kind().is_some() {
                    // A dellink failure leaves the device to the unregister below.
                    let _ = r.dellink(&dev);
                } else if !dev.netns_immutable() {
                    let name = format!("dev{}", dev.ifindex());
                    let pat = if r.netns_has_name(NetnsId::INIT, &name) { "dev%d".to_owned() } else { name };
                    if r.change_netns(&dev, NetnsId::INIT, Some(&pat), None).is_err() {
                        let _ = r.unregister(&dev);
                    }
                }
            }
            let rest: Vec<_> = r.devices(id);
            r.unregister_many(&rest);
            for ops in r.st.pernet.clone().iter().rev() {
                ops.exit(r, id);
            }
            if let Some(ns) = r.st.namespaces.remove(&id)
                && let Some(n) = ns.name
            {
                r.st.ns_by_name.remove(&n);
            }
            r.publish_ns();
            Ok(())
        })
    }

    /// The namespace named `name` (`ip netns add NAME`).
    pub fn netns_by_name(&self, name: &str) -> Option<NetnsId> {
        self.st.ns_by_name.get(name).copied()
    }

    /// A namespace's name (`None` for the initial namespace or an unknown id).
    pub fn netns_name(&self, id: NetnsId) -> Option<String> {
        self.st.namespaces.get(&id).and_then(|n| n.name.clone())
    }

    /// Every namespace, in creation order.
    pub fn netns_list(&self) -> Vec<(NetnsId, Option<String>)> {
        self.st.namespaces.values().map(|n| (n.id, n.name.clone())).collect()
    }

    /// True if the namespace exists.
    pub fn netns_exists(&self, id: NetnsId) -> bool {
        self.st.namespaces.contains_key(&id)
    }

    fn netns_has_name(&self, id: NetnsId, name: &str) -> bool {
        self.st.namespaces.get(&id).is_some_and(|n| n.name_in_use(name))
    }

    fn ns(&self, id: NetnsId) -> Result<&Netns> {
        self.st.namespaces.get(&id).ok_or(Error::new(Errno::Enoent))
    }

    fn ns_mut(&mut self, id: NetnsId) -> Result<&mut Netns> {
        self.st.namespaces.get_mut(&id).ok_or(Error::new(Errno::Enoent))
    }

    // ---------------------------------------------------------------- lookups

    /// The device named `name` in `ns`.
    pub fn dev_by_name(&self, ns: NetnsId, name: &str) -> Option<Arc<NetDevice>> {
        self.st.namespaces.get(&ns)?.by_name.get(name).cloned()
    }

    /// The device with `ifindex` in `ns`.
    pub fn dev_by_index(&self, ns: NetnsId, ifindex: u32) -> Option<Arc<NetDevice>> {
        self.st.namespaces.get(&ns)?.by_index.get(&ifindex).cloned()
    }

    /// Every device of `ns`, in ifindex order.
    pub fn devices(&self, ns: NetnsId) -> Vec<Arc<NetDevice>> {
        self.st.namespaces.get(&ns).map(|n| n.by_index.values().cloned().collect()).unwrap_or_default()
    }

    /// The registered link kind named `kind`.
    pub fn kind(&self, kind: &str) -> Option<Arc<dyn LinkKind>> {
        self.st.kinds.get(kind).cloned()
    }

    /// The World's seeded RNG.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.st.rng
    }

    /// `eth_random_addr` from the World's RNG.
    pub fn random_mac(&mut self) -> MacAddr {
        MacAddr::random_from(self.st.rng.next_u64())
    }

    // ---------------------------------------------------------------- links

    /// `ip link add ... type KIND ARGS`: parse `args` with the kind, then [`newlink`](Self::newlink).
    pub fn link_add(&mut self, kind: &str, req: &NewLink, args: &[&str]) -> Result<Arc<NetDevice>> {
        self.check_create(req)?;
        let k = self.kind(kind).ok_or(Error::with_msg(Errno::Eopnotsupp, "Unknown device type"))?;
        let cfg = k.parse_args(args)?;
        self.newlink(kind, req, &cfg)
    }

    /// What `rtnl_newlink` checks before it looks at the kind: the name's attribute policy, the
    /// caller's namespace, and that no device has the requested index (else name) there — a
    /// create request (NLM_F_EXCL, as `ip link add` sends) for an existing one is EEXIST.
    fn check_create(&self, req: &NewLink) -> Result<()> {
        if let Some(n) = &req.name {
            ifname_policy(n)?;
        }
        self.ns(req.netns)?;
        let exists = match (req.ifindex, &req.name) {
            (Some(i), _) if i > 0 => self.dev_by_index(req.netns, i).is_some(),
            (_, Some(n)) => self.dev_by_name(req.netns, n).is_some(),
            _ => false,
        };
        if exists { Err(Error::new(Errno::Eexist)) } else { Ok(()) }
    }

    /// `rtnl_newlink`: create a device of `kind` with `cfg` and bring it up if `req.up` (if that
    /// fails, the device is deleted again and the error returned).
    /// EOPNOTSUPP ("Unknown device type") for an unregistered kind; ENOENT for a missing namespace.
    pub fn newlink(&mut self, kind: &str, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>> {
        self.check_create(req)?;
        let k = self.kind(kind).ok_or(Error::with_msg(Errno::Eopnotsupp, "Unknown device type"))?;
        self.ns(req.dest_netns())?;
        self.op(|r| {
            let dev = k.newlink(r, req, cfg)?;
            // rtnl_newlink_create: a device that cannot be configured (brought up) is deleted
            // again through its kind, and the error returned.
            if let Err(e) = r.configure_link(&dev, req.up) {
                if k.dellink(r, &dev).is_err() {
                    r.unregister(&dev)?;
                }
                return Err(e);
            }
            Ok(dev)
        })
    }

    /// `ip link set DEV type KIND ARGS`: parse `args` with the device's kind, then
    /// [`changelink`](Self::changelink). EOPNOTSUPP if `kind` is not the device's.
    pub fn link_change(&mut self, dev: &Arc<NetDevice>, kind: &str, args: &[&str]) -> Result<()> {
        let k = dev.link_kind().cloned().ok_or(Error::new(Errno::Eopnotsupp))?;
        if k.kind() != kind {
            return Err(Error::new(Errno::Eopnotsupp));
        }
        let cfg = k.parse_args(args)?;
        self.changelink(dev, &cfg)
    }

    /// `__rtnl_newlink` on an existing device with `IFLA_INFO_DATA`: the kind's `changelink`.
    /// EOPNOTSUPP for a device no link kind made; ENODEV if it is not registered.
    pub fn changelink(&mut self, dev: &Arc<NetDevice>, cfg: &KindConfig) -> Result<()> {
        let k = dev.link_kind().cloned().ok_or(Error::new(Errno::Eopnotsupp))?;
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Enodev));
        }
        self.op(|r| k.changelink(r, dev, cfg))
    }

    /// `rtnl_configure_link`: the first RTM_NEWLINK of a device created by a link kind, after
    /// applying `up`. Does nothing the second time.
    pub fn configure_link(&mut self, dev: &Arc<NetDevice>, up: bool) -> Result<()> {
        if self.st.configured.insert(dev.id(), ()).is_some() {
            return Ok(());
        }
        if up {
            return self.dev_open(dev);
        }
        self.op(|r| r.rtmsg_ifinfo(RTM_NEWLINK, dev, !0, &[]));
        Ok(())
    }

    /// `register_netdevice`: validate address and MTU, fix the name (expanding a `%d` template),
    /// reserve the ifindex, list the device, send `NETDEV_REGISTER` and (for devices not created
    /// by a link kind) `RTM_NEWLINK`.
    pub fn register(&mut self, reg: Registration) -> Result<Arc<NetDevice>> {
        self.op(|r| r.register_inner(reg))
    }

    fn register_inner(&mut self, reg: Registration) -> Result<Arc<NetDevice>> {
        let Registration { netns, name, ifindex, setup, mtu, address, txqlen, ops, link_kind } = reg;
        if let Some(a) = address {
            if setup.addr_len != 6 {
                return Err(Error::new(Errno::Einval));
            }
            if !a.is_valid() {
                return Err(Error::new(Errno::Eaddrnotavail));
            }
        }
        if let Some(m) = mtu {
            validate_mtu(m, setup.min_mtu, setup.max_mtu)?;
        }
        let template = name.unwrap_or_else(|| format!("{}%d", setup.kind));
        let name_assign = if is_template(&template) { NameAssign::Enum } else { NameAssign::User };
        let name = self.prep_name(netns, &template)?;
        let (addr, assign) = match (address, setup.addr) {
            (Some(a), _) => (a, AddrAssign::Set),
            (None, Some(a)) => (a, setup.addr_assign),
            (None, None) => (self.random_mac(), AddrAssign::Random),
        };
        let has_kind = link_kind.is_some();
        let dev = Arc::new(NetDevice::new(
            self.world.alloc_dev_id(),
            &setup,
            addr,
            assign,
            self.world.ncpus(),
            ops,
            link_kind,
        ));
        if let Some(m) = mtu {
            dev.mtu.store(m, Ordering::Relaxed);
        }
        if let Some(q) = txqlen {
            dev.tx_queue_len.store(q, Ordering::Relaxed);
        }
        dev.set_name(&name);
        dev.netns.store(netns.0, Ordering::Relaxed);
        dev.ops().init(self, &dev)?;
        let index = match self.ns_mut(netns).and_then(|n| n.reserve_ifindex(ifindex)) {
            Ok(i) => i,
            Err(e) => {
                dev.ops().uninit(self, &dev);
                return Err(e);
            }
        };
        dev.name_assign.store(name_assign as u8, Ordering::Relaxed);
        dev.ifindex.store(index, Ordering::Relaxed);
        if assign == AddrAssign::Perm {
            dev.set_perm_addr(addr);
        }
        dev.set_state_bit(STATE_PRESENT, true);
        dev.reg_state.store(RegState::Registered as u8, Ordering::Release);
        self.list(netns, &dev)?;
        // linkwatch_init_dev: the operstate is computed only if the carrier is off or the device
        // dormant or testing; otherwise it stays UNKNOWN.
        let st = dev.state.load(Ordering::Relaxed);
        if st & (STATE_NOCARRIER | STATE_DORMANT | STATE_TESTING) != 0 {
            let op = self.default_operstate(&dev);
            dev.operstate.store(op as u8, Ordering::Relaxed);
        }
        if let Err(e) = self.call_notifiers(&NetdevEvent::Register, &dev) {
            self.unregister_many(std::slice::from_ref(&dev));
            return Err(e);
        }
        if !has_kind {
            self.st.configured.insert(dev.id(), ());
            self.rtmsg_ifinfo(RTM_NEWLINK, &dev, !0, &[]);
        }
        Ok(dev)
    }

    /// `dev_prep_valid_name` in `ns`: EINVAL for a bad name, EEXIST if taken, `%d` expanded.
    fn prep_name(&self, ns: NetnsId, name: &str) -> Result<String> {
        let n = self.ns(ns)?;
        if is_template(name) {
            alloc_name(name, n.by_name.keys().map(|k| &**k))
        } else {
            check_name(name)?;
            if n.name_in_use(name) {
                return Err(Error::new(Errno::Eexist));
            }
            Ok(name.to_owned())
        }
    }

    fn list(&mut self, ns: NetnsId, dev: &Arc<NetDevice>) -> Result<()> {
        let n = self.ns_mut(ns)?;
        n.by_name.insert(dev.name(), dev.clone());
        n.by_index.insert(dev.ifindex(), dev.clone());
        Ok(())
    }

    fn relist_as(&mut self, ns: NetnsId, dev: &Arc<NetDevice>, name: &str) {
        self.unlist(dev);
        dev.set_name(name);
        // The namespace is the device's own, so it exists.
        let _ = self.list(ns, dev);
    }

    fn unlist(&mut self, dev: &NetDevice) {
        if let Some(n) = self.st.namespaces.get_mut(&dev.netns()) {
            let idx = dev.ifindex();
            if n.by_index.get(&idx).is_some_and(|d| d.id() == dev.id()) {
                n.by_index.remove(&idx);
            }
            let name = dev.name();
            if n.by_name.get(&name).is_some_and(|d| d.id() == dev.id()) {
                n.by_name.remove(&name);
            }
        }
    }

    /// `ip link del`: the link kind's `dellink`. EOPNOTSUPP for a device no link kind made (lo).
    pub fn dellink(&mut self, dev: &Arc<NetDevice>) -> Result<()> {
        let kind = dev.link_kind().cloned().ok_or(Error::new(Errno::Eopnotsupp))?;
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Enodev));
        }
        self.op(|r| kind.dellink(r, dev))
    }

    /// `unregister_netdevice` of one device.
    pub fn unregister(&mut self, dev: &Arc<NetDevice>) -> Result<()> {
        self.op(|r| r.unregister_many(std::slice::from_ref(dev)));
        Ok(())
    }

    /// `unregister_netdevice_many`: close the devices, unlist them, send `NETDEV_UNREGISTER`
    /// (uppers react: bridges drop the port, vlans delete themselves), `ndo_uninit`, RTM_DELLINK;
    /// then cut whatever links remain. Devices already gone are skipped.
    pub fn unregister_many(&mut self, devs: &[Arc<NetDevice>]) {
        self.op(|r| {
            let devs: Vec<_> = devs.iter().filter(|d| d.reg_state() == RegState::Registered).cloned().collect();
            for dev in &devs {
                r.dev_close(dev);
            }
            for dev in &devs {
                dev.reg_state.store(RegState::Unregistering as u8, Ordering::Release);
                r.unlist(dev);
                dev_shutdown(dev);
            }
            for dev in &devs {
                let _ = r.call_notifiers(&NetdevEvent::Unregister, dev);
                let msg = r.build_ifinfo(RTM_DELLINK, dev, 0, &[]);
                dev.ops().uninit(r, dev);
                dev.addrs.lock().flush();
                if let Some(m) = msg {
                    r.world.inner.netlink.publish(dev.netns(), RTMGRP_LINK, &m);
                }
            }
            for dev in &devs {
                r.cut_links(dev);
                dev.set_state_bit(STATE_PRESENT, false);
                dev.reg_state.store(RegState::Unregistered as u8, Ordering::Release);
                r.st.configured.remove(&dev.id());
                r.st.linkwatch.retain(|d| d.id() != dev.id());
            }
            if !devs.is_empty() {
                r.world.inner.dev_gen.fetch_add(1, Ordering::AcqRel);
            }
        });
    }

    /// Remove every upper/lower link and handler left on `dev` (the kernel WARNs if a driver left
    /// any; the simulator cleans up so nothing keeps a dead device reachable).
    fn cut_links(&mut self, dev: &Arc<NetDevice>) {
        for up in dev.uppers() {
            self.adj_remove(dev, &up);
        }
        for low in dev.lowers() {
            self.adj_remove(&low, dev);
        }
        dev.has_rx_handler.store(false, Ordering::Release);
        dev.rx_handler.store(None);
        dev.has_vlan_rx.store(false, Ordering::Release);
        dev.vlan_rx.store(None);
    }

    // ---------------------------------------------------------------- up / down

    /// `ip link set DEV up|down`.
    pub fn set_up(&mut self, dev: &Arc<NetDevice>, up: bool) -> Result<()> {
        if up {
            self.dev_open(dev)
        } else {
            self.op(|r| r.dev_close(dev));
            Ok(())
        }
    }

    /// `dev_open`: nothing if already up; else `NETDEV_PRE_UP` (may veto), the running bit,
    /// address validation (EADDRNOTAVAIL for an Ethernet device with a zero or multicast MAC),
    /// `ndo_open`, `IFF_UP`, RTM_NEWLINK, `NETDEV_UP`.
    pub fn dev_open(&mut self, dev: &Arc<NetDevice>) -> Result<()> {
        if dev.is_up() {
            return Ok(());
        }
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Enodev));
        }
        self.op(|r| {
            r.call_notifiers(&NetdevEvent::PreUp, dev)?;
            dev.set_state_bit(STATE_START, true);
            if let Err(e) = dev.ops().validate_addr(dev) {
                dev.set_state_bit(STATE_START, false);
                return Err(e);
            }
            if let Err(e) = dev.ops().open(r, dev) {
                dev.set_state_bit(STATE_START, false);
                return Err(e);
            }
            dev.set_flag(IfFlags::UP, true);
            crate::dev_set_rx_mode(dev);
            // dev_activate: attach_default_qdiscs when the root is still noop (even without
            // carrier: only the activation waits for the carrier).
            if dev.qdisc() == Qdisc::Noop {
                let q = if dev.priv_flags().contains(PrivFlags::NO_QUEUE) { Qdisc::Noqueue } else { Qdisc::PfifoFast };
                dev.qdisc.store(q as u8, Ordering::Relaxed);
            }
            r.rtmsg_ifinfo(RTM_NEWLINK, dev, IfFlags::UP.bits(), &[]);
            let _ = r.call_notifiers(&NetdevEvent::Up, dev);
            Ok(())
        })
    }

    /// `dev_close`: nothing if down; else `NETDEV_GOING_DOWN`, clear running, `ndo_stop`, clear
    /// `IFF_UP`, RTM_NEWLINK, `NETDEV_DOWN`.
    pub fn dev_close(&mut self, dev: &Arc<NetDevice>) {
        if !dev.is_up() {
            return;
        }
        self.op(|r| {
            let _ = r.call_notifiers(&NetdevEvent::GoingDown, dev);
            dev.set_state_bit(STATE_START, false);
            dev.ops().stop(r, dev);
            dev.set_flag(IfFlags::UP, false);
            r.rtmsg_ifinfo(RTM_NEWLINK, dev, IfFlags::UP.bits(), &[]);
            let _ = r.call_notifiers(&NetdevEvent::Down, dev);
        });
    }

    // ---------------------------------------------------------------- carrier and operstate

    /// `netif_carrier_on` (for drivers): counts and fires link-watch only if the carrier was off
    /// and the device is registered.
    pub fn carrier_on(&mut self, dev: &Arc<NetDevice>) {
        if dev.set_state_bit(STATE_NOCARRIER, false) && dev.reg_state() != RegState::Uninitialized {
            dev.carrier_up.fetch_add(1, Ordering::Relaxed);
            self.linkwatch_fire(dev);
        }
    }

    /// `netif_carrier_off` (for drivers), the mirror of [`carrier_on`](Self::carrier_on).
    pub fn carrier_off(&mut self, dev: &Arc<NetDevice>) {
        if dev.set_state_bit(STATE_NOCARRIER, true) && dev.reg_state() != RegState::Uninitialized {
            dev.carrier_down.fetch_add(1, Ordering::Relaxed);
            self.linkwatch_fire(dev);
        }
    }

    /// Set or clear the dormant state (`netif_dormant_on`/`off`).
    pub fn set_dormant(&mut self, dev: &Arc<NetDevice>, dormant: bool) {
        if dev.set_state_bit(STATE_DORMANT, dormant) {
            self.linkwatch_fire(dev);
        }
    }

    /// Set or clear the testing state (`netif_testing_on`/`off`).
    pub fn set_testing(&mut self, dev: &Arc<NetDevice>, testing: bool) {
        if dev.set_state_bit(STATE_TESTING, testing) {
            self.linkwatch_fire(dev);
        }
    }

    /// `netif_stacked_transfer_operstate`: a stacked device (vlan, macvlan, ipvlan) takes its
    /// lower's state: dormant and testing from the lower's operstate, the carrier from its
    /// carrier (counted, with link-watch, as [`carrier_on`](Self::carrier_on) does).
    pub fn stacked_transfer_operstate(&mut self, root: &NetDevice, dev: &Arc<NetDevice>) {
        let op = root.operstate_raw();
        self.set_dormant(dev, op == Operstate::Dormant);
        self.set_testing(dev, op == Operstate::Testing);
        if root.has_carrier() {
            self.carrier_on(dev);
        } else {
            self.carrier_off(dev);
        }
    }

    /// `ip link set DEV carrier on|off` (`IFLA_CARRIER`): the driver's `ndo_change_carrier`,
    /// EOPNOTSUPP if it has none.
    pub fn change_carrier(&mut self, dev: &Arc<NetDevice>, carrier: Carrier) -> Result<()> {
        self.op(|r| dev.ops().change_carrier(r, dev, carrier))
    }

    /// `linkwatch_fire_event`: have `dev`'s operstate recomputed (and, if it is up, a
    /// `NETDEV_CHANGE` and an RTM_NEWLINK sent) when the outermost configuration call returns,
    /// as a stacked device does once registered (`register_vlan_dev`, `macvlan_common_newlink`).
    pub fn linkwatch_fire_event(&mut self, dev: &Arc<NetDevice>) {
        self.linkwatch_fire(dev);
    }

    fn linkwatch_fire(&mut self, dev: &Arc<NetDevice>) {
        if !self.st.linkwatch.iter().any(|d| d.id() == dev.id()) {
            self.st.linkwatch.push(dev.clone());
        }
        if self.st.depth == 0 {
            self.linkwatch_run();
        }
    }

    /// `link_watch.c:default_operstate`.
    fn default_operstate(&self, dev: &NetDevice) -> Operstate {
        let st = dev.state.load(Ordering::Relaxed);
        if st & STATE_TESTING != 0 {
            return Operstate::Testing;
        }
        if st & STATE_NOCARRIER != 0 {
            let iflink = dev.iflink();
            if iflink == dev.ifindex() {
                return Operstate::Down;
            }
            // The "peer" is looked up by iflink in the device's own namespace (a known quirk when
            // the peer lives elsewhere).
            return match self.dev_by_index(dev.netns(), iflink) {
                Some(peer) if !peer.has_carrier() => Operstate::LowerLayerDown,
                _ => Operstate::Down,
            };
        }
        if st & STATE_DORMANT != 0 {
            return Operstate::Dormant;
        }
        Operstate::Up
    }

    /// Process pending link-watch events now (`linkwatch_do_dev`): recompute each device's
    /// operstate and, if it is up, send `NETDEV_CHANGE` and RTM_NEWLINK. Runs by itself when the
    /// outermost configuration call returns.
    pub fn linkwatch_run(&mut self) {
        while !self.st.linkwatch.is_empty() {
            let pending = std::mem::take(&mut self.st.linkwatch);
            self.st.depth += 1;
            for dev in pending {
                if dev.reg_state() != RegState::Registered {
                    continue;
                }
                let op = self.default_operstate(&dev);
                dev.operstate.store(op as u8, Ordering::Relaxed);
                if dev.is_up() {
                    let _ = self.call_notifiers(&NetdevEvent::Change, &dev);
                    self.rtmsg_ifinfo(RTM_NEWLINK, &dev, 0, &[]);
                }
            }
            self.st.depth -= 1;
        }
    }

    // ---------------------------------------------------------------- attributes

    /// `ip link set DEV mtu N` (`netif_set_mtu_ext`): equal to the current MTU returns at once;
    /// else EINVAL below `min_mtu` or above a non-zero `max_mtu`, `NETDEV_PRECHANGEMTU` (may
    /// veto), the driver's `ndo_change_mtu`, then `NETDEV_CHANGEMTU`.
    pub fn set_mtu(&mut self, dev: &Arc<NetDevice>, mtu: u32) -> Result<()> {
        if mtu == dev.mtu() {
            return Ok(());
        }
        validate_mtu(mtu, dev.min_mtu(), dev.max_mtu())?;
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Enodev));
        }
        self.op(|r| {
            r.call_notifiers(&NetdevEvent::PreChangeMtu(mtu), dev)?;
            dev.ops().change_mtu(r, dev, mtu)?;
            let old = dev.mtu.swap(mtu, Ordering::AcqRel);
            if let Err(e) = r.call_notifiers(&NetdevEvent::ChangeMtu, dev) {
                // Put the old MTU back and tell everyone again, so they can revert.
                dev.mtu.store(old, Ordering::Release);
                let _ = r.call_notifiers(&NetdevEvent::ChangeMtu, dev);
                return Err(e);
            }
            Ok(())
        })
    }

    /// Set the MTU bounds (drivers whose bounds follow another device: vlan, macvlan).
    pub fn set_mtu_bounds(&mut self, dev: &NetDevice, min: u32, max: u32) {
        dev.min_mtu.store(min, Ordering::Relaxed);
        dev.max_mtu.store(max, Ordering::Relaxed);
    }

    /// Set the MTU without checks or driver hook, then `NETDEV_CHANGEMTU` (what a driver does
    /// when it follows another device's MTU, like a bridge or vlan).
    pub fn force_mtu(&mut self, dev: &Arc<NetDevice>, mtu: u32) {
        if dev.mtu() == mtu {
            return;
        }
        dev.mtu.store(mtu, Ordering::Release);
        self.op(|r| {
            let _ = r.call_notifiers(&NetdevEvent::ChangeMtu, dev);
        });
    }

    /// `ip link set DEV address MAC` (`netif_set_mac_address`): EINVAL for a device without a
    /// 6-byte address, `NETDEV_PRE_CHANGEADDR` (may veto), the driver's `ndo_set_mac_address`
    /// if the address differs, then `addr_assign_type = NET_ADDR_SET` and `NETDEV_CHANGEADDR`.
    pub fn set_address(&mut self, dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
        if dev.addr_len() != 6 {
            return Err(Error::new(Errno::Einval));
        }
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Enodev));
        }
        self.op(|r| {
            r.call_notifiers(&NetdevEvent::PreChangeAddr, dev)?;
            if dev.address() != addr {
                dev.ops().set_mac_address(r, dev, addr)?;
                dev.addr.store(addr.to_u64(), Ordering::Release);
            }
            dev.addr_assign.store(AddrAssign::Set as u8, Ordering::Relaxed);
            let _ = r.call_notifiers(&NetdevEvent::ChangeAddr, dev);
            Ok(())
        })
    }

    /// Store a hardware address chosen by the driver (a bridge electing its MAC) and send
    /// `NETDEV_CHANGEADDR` if it changed. The assign type is left alone.
    pub fn set_hw_addr(&mut self, dev: &Arc<NetDevice>, addr: MacAddr) {
        if dev.address() == addr {
            return;
        }
        dev.addr.store(addr.to_u64(), Ordering::Release);
        self.op(|r| {
            let _ = r.call_notifiers(&NetdevEvent::ChangeAddr, dev);
        });
    }

    /// `ip link set DEV name NEW` (`netif_change_name`): the same name returns at once; EINVAL for
    /// a bad name, EEXIST if taken (a `%d` template is expanded); allowed while up.
    pub fn rename(&mut self, dev: &Arc<NetDevice>, name: &str) -> Result<()> {
        ifname_policy(name)?;
        if &*dev.name() == name {
            return Ok(());
        }
        let ns = dev.netns();
        let new = self.prep_name(ns, name)?;
        self.op(|r| {
            let old = dev.name();
            let old_assign = dev.name_assign.load(Ordering::Relaxed);
            r.relist_as(ns, dev, &new);
            dev.name_assign.store(NameAssign::Renamed as u8, Ordering::Relaxed);
            if let Err(e) = r.call_notifiers(&NetdevEvent::ChangeName, dev) {
                // netif_change_name's rollback: the old name back, notified once more.
                r.relist_as(ns, dev, &old);
                dev.name_assign.store(old_assign, Ordering::Relaxed);
                let _ = r.call_notifiers(&NetdevEvent::ChangeName, dev);
                return Err(e);
            }
            Ok(())
        })
    }

    /// `ip link set DEV txqueuelen N`.
    pub fn set_txqlen(&mut self, dev: &Arc<NetDevice>, q: u32) -> Result<()> {
        if dev.tx_queue_len() == q {
            return Ok(());
        }
        dev.tx_queue_len.store(q, Ordering::Relaxed);
        self.op(|r| r.rtmsg_ifinfo(RTM_NEWLINK, dev, 0, &[]));
        Ok(())
    }

    /// `ip link set DEV alias TEXT` (`None` or empty clears). EINVAL at 256 bytes or more.
    pub fn set_alias(&mut self, dev: &Arc<NetDevice>, alias: Option<&str>) -> Result<()> {
        let alias = alias.filter(|a| !a.is_empty());
        if alias.is_some_and(|a| a.len() >= 256) {
            return Err(Error::new(Errno::Einval));
        }
        *dev.alias.lock() = alias.map(Arc::from);
        self.op(|r| r.rtmsg_ifinfo(RTM_NEWLINK, dev, 0, &[]));
        Ok(())
    }

    /// `ip link set DEV arp on|off|multicast on|off|...`: the user-changeable `IFF_*` bits
    /// (`__dev_change_flags`); other bits in `mask` are ignored.
    pub fn change_flags(&mut self, dev: &Arc<NetDevice>, mask: IfFlags, value: IfFlags) {
        let mask = mask & IfFlags::USER_CHANGEABLE;
        let old = dev.raw_flags();
        let new = IfFlags((old.bits() & !mask.bits()) | (value.bits() & mask.bits()));
        if new == old {
            return;
        }
        dev.flags.store(new.bits(), Ordering::Release);
        self.op(|r| {
            r.rtmsg_ifinfo(RTM_NEWLINK, dev, old.bits() ^ new.bits(), &[]);
            if dev.is_up() {
                let _ = r.call_notifiers(&NetdevEvent::Change, dev);
            }
        });
    }

    /// `ip link set DEV promisc on|off`: the user's request (`gflags`) plus one promiscuity
    /// reference.
    pub fn set_promisc(&mut self, dev: &Arc<NetDevice>, on: bool) -> Result<()> {
        self.set_user_flag(dev, IfFlags::PROMISC, on)
    }

    /// `ip link set DEV allmulticast on|off`: as [`set_promisc`](Self::set_promisc) for allmulti.
    pub fn set_allmulti(&mut self, dev: &Arc<NetDevice>, on: bool) -> Result<()> {
        self.set_user_flag(dev, IfFlags::ALLMULTI, on)
    }

    /// `__dev_change_flags` for PROMISC/ALLMULTI: flip the user's `gflags` bit and take or drop
    /// one reference on the matching counter.
    fn set_user_flag(&mut self, dev: &Arc<NetDevice>, flag: IfFlags, on: bool) -> Result<()> {
        if IfFlags(dev.gflags.load(Ordering::Relaxed)).contains(flag) == on {
            return Ok(());
        }
        flag_counter_adjust(dev, flag, if on { 1 } else { -1 })?;
        dev.gflags.fetch_xor(flag.bits(), Ordering::Relaxed);
        crate::dev_set_rx_mode(dev);
        self.op(|r| r.rtmsg_ifinfo(RTM_NEWLINK, dev, flag.bits(), &[]));
        Ok(())
    }

    /// `dev_set_promiscuity`: the kernel's promiscuity counter (a bridge port takes one).
    /// `IFF_PROMISC` is set while it is above zero; EOVERFLOW on overflow. When the flag flips on
    /// an up device, the driver's `ndo_change_rx_flags` and then the receive mode run.
    pub fn dev_set_promiscuity(&mut self, dev: &Arc<NetDevice>, inc: i32) -> Result<()> {
        crate::dev_set_promiscuity(dev, inc)
    }

    /// `dev_set_allmulti`: the allmulti counter, as [`dev_set_promiscuity`](Self::dev_set_promiscuity).
    pub fn dev_set_allmulti(&mut self, dev: &Arc<NetDevice>, inc: i32) -> Result<()> {
        crate::dev_set_allmulti(dev, inc)
    }

    /// Set or clear private flags of `dev` (`dev->priv_flags`), as a driver does on a device it
    /// stacks on or a master does to its ports (`IFF_MACVLAN_PORT`; `IFF_BRIDGE_PORT`, set in
    /// `br_add_if` and cleared in `del_nbp`).
    pub fn set_priv_flags(&mut self, dev: &NetDevice, flags: PrivFlags, on: bool) {
        if on {
            dev.priv_flags.fetch_or(flags.bits(), Ordering::AcqRel);
        } else {
            dev.priv_flags.fetch_and(!flags.bits(), Ordering::AcqRel);
        }
    }

    // ---------------------------------------------------------------- namespaces moves

    /// `__dev_change_net_namespace` followed by `do_setlink`'s rename: move `dev` to `target`.
    ///
    /// EINVAL ("The interface netns is immutable") for a netns-immutable device or one not
    /// registered; nothing if `target` is its namespace; EEXIST if its name is taken in
    /// `target` and no `name` was given; `name` is the new name (used to avoid the clash, and
    /// applied afterwards otherwise); `new_ifindex` is reserved (EBUSY if taken), else the
    /// ifindex is kept if free in `target`. The device arrives down.
    pub fn change_netns(
        &mut self,
        dev: &Arc<NetDevice>,
        target: NetnsId,
        name: Option<&str>,
        new_ifindex: Option<u32>,
    ) -> Result<()> {
        if dev.netns_immutable() {
            return Err(einval("The interface netns is immutable"));
        }
        if dev.reg_state() != RegState::Registered {
            return Err(Error::new(Errno::Einval));
        }
        let from = dev.netns();
        self.ns(target)?;
        if from == target {
            return match name {
                Some(n) => self.rename(dev, n),
                None => Ok(()),
            };
        }
        let cur = dev.name();
        let clash = self.netns_has_name(target, &cur);
        let new_name = if clash {
            match name {
                None => {
                    return Err(Error::with_msg(
                        Errno::Eexist,
                        "An interface with the same name exists in the target netns",
                    ));
                }
                Some(pat) => self.prep_name(target, pat)?,
            }
        } else {
            cur.to_string()
        };
        let index = match new_ifindex {
            Some(i) => self.ns_mut(target)?.reserve_ifindex(Some(i))?,
            None => {
                let keep = dev.ifindex();
                if self.ns(target)?.by_index.contains_key(&keep) {
                    self.ns_mut(target)?.reserve_ifindex(None)?
                } else {
                    keep
                }
            }
        };
        self.op(|r| {
            r.dev_close(dev);
            r.unlist(dev);
            dev_shutdown(dev);
            // reg_state stays REGISTERED: uppers tell a move from a deletion by it.
            let _ = r.call_notifiers(&NetdevEvent::Unregister, dev);
            r.rtmsg_ifinfo(RTM_DELLINK, dev, 0, &[(ifla::NEW_NETNSID, target.0), (ifla::NEW_IFINDEX, index)]);
            dev.addrs.lock().flush();
            dev.netns.store(target.0, Ordering::Release);
            dev.ifindex.store(index, Ordering::Release);
            dev.set_name(&new_name);
            r.list(target, dev)?;
            let _ = r.call_notifiers(&NetdevEvent::Register, dev);
            r.rtmsg_ifinfo(RTM_NEWLINK, dev, !0, &[]);
            // do_setlink applies IFLA_IFNAME after the move; on a clash it was the pattern.
            if let Some(n) = name.filter(|_| !clash) {
                r.rename(dev, n)?;
            }
            Ok(())
        })
    }

    // ---------------------------------------------------------------- upper / lower

    /// `ip link set DEV master M` / `nomaster` (`do_set_master`): the same master does nothing;
    /// a different current master's `ndo_del_slave` runs first, then the new one's
    /// `ndo_add_slave` (EOPNOTSUPP if it is not a master device). So `master br1` moves a port
    /// of br0.
    pub fn set_master(&mut self, dev: &Arc<NetDevice>, master: Option<&Arc<NetDevice>>) -> Result<()> {
        let cur = dev.master();
        if let (Some(c), Some(m)) = (&cur, master)
            && c.id() == m.id()
        {
            return Ok(());
        }
        self.op(|r| {
            if let Some(c) = &cur {
                c.ops().del_slave(r, c, dev)?;
            }
            if let Some(m) = master {
                m.ops().add_slave(r, m, dev)?;
            }
            Ok(())
        })
    }

    /// `__netdev_upper_dev_link`: make `upper` an upper device of `dev` (its master if `master`).
    /// EBUSY linking a device to itself or into a loop; EMLINK beyond `MAX_NEST_DEV` levels;
    /// EEXIST for an existing link (or the same master); EBUSY for a second master;
    /// `NETDEV_PRECHANGEUPPER` may veto; then `NETDEV_CHANGEUPPER`.
    pub fn upper_dev_link(&mut self, dev: &Arc<NetDevice>, upper: &Arc<NetDevice>, master: bool) -> Result<()> {
        if dev.id() == upper.id() || has_upper(upper, dev) {
            return Err(Error::new(Errno::Ebusy));
        }
        if dev.nest_levels().1 + upper.nest_levels().0 > MAX_NEST_DEV {
            return Err(Error::new(Errno::Emlink));
        }
        if master {
            if let Some(m) = dev.master() {
                return Err(Error::new(if m.id() == upper.id() { Errno::Eexist } else { Errno::Ebusy }));
            }
        } else if dev.uppers().iter().any(|u| u.id() == upper.id()) {
            return Err(Error::new(Errno::Eexist));
        }
        self.op(|r| {
            r.call_notifiers(&NetdevEvent::PreChangeUpper { upper: upper.clone(), linking: true }, dev)?;
            dev.adj.lock().uppers.push((Arc::downgrade(upper), master));
            upper.adj.lock().lowers.push(Arc::downgrade(dev));
            update_upper_level(dev);
            update_lower_level(upper);
            if let Err(e) = r.call_notifiers(&NetdevEvent::ChangeUpper { upper: upper.clone(), linking: true }, dev) {
                r.adj_remove(dev, upper);
                return Err(e);
            }
            Ok(())
        })
    }

    /// `netdev_upper_dev_unlink`.
    pub fn upper_dev_unlink(&mut self, dev: &Arc<NetDevice>, upper: &Arc<NetDevice>) {
        self.op(|r| {
            let _ = r.call_notifiers(&NetdevEvent::PreChangeUpper { upper: upper.clone(), linking: false }, dev);
            r.adj_remove(dev, upper);
            let _ = r.call_notifiers(&NetdevEvent::ChangeUpper { upper: upper.clone(), linking: false }, dev);
        });
    }

    fn adj_remove(&mut self, dev: &Arc<NetDevice>, upper: &Arc<NetDevice>) {
        dev.adj.lock().uppers.retain(|(w, _)| !ptr_is(w, upper));
        upper.adj.lock().lowers.retain(|w| !ptr_is(w, dev));
        update_upper_level(dev);
        update_lower_level(upper);
    }

    // ---------------------------------------------------------------- handlers

    /// `netdev_rx_handler_register`: EBUSY if `dev` already has one (it is already a port or
    /// lower of something), EINVAL for a device with `IFF_NO_RX_HANDLER`.
    pub fn rx_handler_register(&mut self, dev: &Arc<NetDevice>, handler: Arc<dyn RxHandler>) -> Result<()> {
        if dev.has_rx_handler() {
            return Err(Error::new(Errno::Ebusy));
        }
        if dev.priv_flags().contains(crate::PrivFlags::NO_RX_HANDLER) {
            return Err(Error::new(Errno::Einval));
        }
        dev.rx_handler.store(Some(Arc::new(RxHandlerSlot(handler))));
        dev.has_rx_handler.store(true, Ordering::Release);
        Ok(())
    }

    /// `netdev_rx_handler_unregister`.
    pub fn rx_handler_unregister(&mut self, dev: &Arc<NetDevice>) {
        dev.has_rx_handler.store(false, Ordering::Release);
        dev.rx_handler.store(None);
    }

    /// Install or remove the VLAN receive hook of a lower device (`dev->vlan_info`).
    pub fn set_vlan_rx(&mut self, dev: &Arc<NetDevice>, hook: Option<Arc<dyn VlanRx>>) {
        dev.has_vlan_rx.store(hook.is_some(), Ordering::Release);
        dev.vlan_rx.store(hook.map(|h| Arc::new(VlanRxSlot(h))));
    }

    /// Install or remove the protocol handler (IP stack) of a namespace. ENOENT if it does not
    /// exist.
    pub fn set_protocol_handler(&mut self, ns: NetnsId, h: Option<Arc<dyn ProtocolHandler>>) -> Result<()> {
        let n = self.ns(ns)?;
        n.shared.protocol.store(h.map(|h| Arc::new(ProtoSlot(h))));
        self.publish_ns();
        Ok(())
    }

    /// Attach a tap to every device of a namespace (`tcpdump -i any`). ENOENT if it does not exist.
    pub fn add_netns_tap(&mut self, ns: NetnsId, tap: Arc<dyn Tap>) -> Result<()> {
        self.ns(ns)?.shared.edit_taps(|v| v.push(tap));
        Ok(())
    }

    /// Detach a namespace tap (compared by pointer).
    pub fn remove_netns_tap(&mut self, ns: NetnsId, tap: &Arc<dyn Tap>) -> Result<()> {
        self.ns(ns)?.shared.edit_taps(|v| v.retain(|t| !Arc::ptr_eq(t, tap)));
        Ok(())
    }

    // ---------------------------------------------------------------- notifications

    /// `call_netdevice_notifiers`: the rtnetlink notifier first (RTM_NEWLINK for MTU, address,
    /// name and upper changes, as `rtnetlink_event`), then every registered notifier in order.
    /// The first error stops the chain and is returned (`NOTIFY_BAD`); the caller decides, as
    /// in the kernel: `PRE*` events veto, REGISTER unregisters, CHANGENAME, CHANGEMTU and
    /// CHANGEUPPER roll back, the others ignore it.
    pub fn call_notifiers(&mut self, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        if matches!(
            event,
            NetdevEvent::ChangeMtu
                | NetdevEvent::ChangeAddr
                | NetdevEvent::ChangeName
                | NetdevEvent::ChangeUpper { .. }
        ) {
            self.rtmsg_ifinfo(RTM_NEWLINK, dev, 0, &[]);
        }
        let chain = self.st.notifiers.clone();
        for n in chain {
            n.event(self, event, dev)?;
        }
        Ok(())
    }

    /// Send an RTM_NEWLINK/RTM_DELLINK for `dev` to its namespace's subscribers (`rtmsg_ifinfo`).
    pub fn rtmsg_ifinfo(&mut self, msg_type: u16, dev: &NetDevice, change: u32, extra: &[(u16, u32)]) {
        if let Some(m) = self.build_ifinfo(msg_type, dev, change, extra) {
            self.world.inner.netlink.publish(dev.netns(), RTMGRP_LINK, &m);
        }
    }

    fn build_ifinfo(&self, msg_type: u16, dev: &NetDevice, change: u32, extra: &[(u16, u32)]) -> Option<Vec<u8>> {
        let bus = &self.world.inner.netlink;
        if !bus.has_listeners(dev.netns()) {
            return None;
        }
        Some(fill_ifinfo(dev, msg_type, bus.next_seq(), change, extra))
    }
}

/// `dev_shutdown`: the qdiscs go, so the root is `noop` again.
fn dev_shutdown(dev: &NetDevice) {
    dev.qdisc.store(Qdisc::Noop as u8, Ordering::Relaxed);
}

/// The netlink policy of `IFLA_IFNAME` (`NLA_STRING`, at most `IFNAMSIZ - 1` bytes), checked
/// before any device code sees the name.
fn ifname_policy(name: &str) -> Result<()> {
    if name.len() >= crate::IFNAMSIZ {
        return Err(einval("Attribute failed policy validation"));
    }
    Ok(())
}

/// `dev_validate_mtu`.
fn validate_mtu(mtu: u32, min: u32, max: u32) -> Result<()> {
    if mtu > i32::MAX as u32 || mtu < min {
        return Err(einval("mtu less than device minimum"));
    }
    if max > 0 && mtu > max {
        return Err(einval("mtu greater than device maximum"));
    }
    Ok(())
}

fn ptr_is(w: &Weak<NetDevice>, d: &Arc<NetDevice>) -> bool {
    std::ptr::eq(w.as_ptr(), Arc::as_ptr(d))
}

/// Is `target` an upper of `dev`, at any distance (`__netdev_has_upper_dev`)?
fn has_upper(dev: &NetDevice, target: &NetDevice) -> bool {
    dev.uppers().iter().any(|u| u.id() == target.id() || has_upper(u, target))
}

/// Recompute `upper_level` of `dev` and of everything below it.
fn update_upper_level(dev: &NetDevice) {
    let lvl = 1 + dev.uppers().iter().map(|u| u.nest_levels().0).max().unwrap_or(0);
    dev.adj.lock().upper_level = lvl;
    for low in dev.lowers() {
        update_upper_level(&low);
    }
}

/// Recompute `lower_level` of `dev` and of everything above it.
fn update_lower_level(dev: &NetDevice) {
    let lvl = 1 + dev.lowers().iter().map(|l| l.nest_levels().1).max().unwrap_or(0);
    dev.adj.lock().lower_level = lvl;
    for up in dev.uppers() {
        update_lower_level(&up);
    }
}
