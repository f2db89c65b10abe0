//! A model of `vzctl` (OpenVZ's container tool, 3.x/4.x) as far as networking goes: `start`,
//! `stop`, `set --ipadd|--ipdel [--save]`, and the host-side scripts it runs (`vps-net_add`,
//! `vps-net_del` and their `vps-functions`: `vzgetnetdev`, `vzarp`, `vzarpipdetect`,
//! `vzaddrouting`, `vzdelrouting`), on top of the venet module and the IP stacks.
//!
//! Every operation returns a [`VzReport`]: the lines vzctl prints, as [`VzEvent`]s whose
//! `Display` is vzctl's text, and its exit code. `vzctl exec|enter` is the caller's business:
//! [`Vz::netns`] gives the container's namespace.
//!
//! What `start` builds:
//! - the container's namespace, named after the CTID, made a VE ([`Venet::ve_create`]), with
//!   `lo` and `venet0` up and default routes (`default dev venet0`, IPv4 and IPv6) through
//!   venet0, as the distribution scripts (`*-add_ip.sh`) set them up;
//! - the host's `venet0` in VE0's namespace, created and brought up on first use;
//! - the saved addresses ([`CtConfig`]), added as `vzctl set --ipadd` adds them.
//!
//! What `--ipadd IP` does, in vzctl's order: "Adding IP address(es): ..."; the kernel table
//! (`VE_IP_ADD` for each, all rolled back at the first failure, which prints "Unable to add IP
//! X: STRERROR"); `vps-net_add` on the host (`vzarpipdetect`: an ARP request for each address
//! from each neighbour device; then per address `vzarp add`: `ip neigh add proxy IP dev DEV` and
//! a gratuitous ARP on each neighbour device, and `vzaddrouting`: `ip route add IP dev venet0
//! [src ...]`); then the address on the container's venet0 (IPv4 labelled `venet0:N`).
//!
//! Deliberate deviations: there is no private area, template or config file (a CT's config is
//! its saved address list, created on first use); `arpsend` sends its requests and does not wait
//! for answers (so `vzarpipdetect` never warns); the CPU, memory and hostname lines vzctl also
//! prints are not produced.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::Arc;

use netdev_core::{
    Cpu, ETH_HLEN, ETH_P_ARP, ETH_P_IP, Errno, IfFlags, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, Result, Rtnl,
    World,
};
use parking_lot::Mutex;
use stack_adapter::{AddrOpts, RouteSpec, RouteType, Stack, Stacks};

use crate::{IpMapOp, KIND, VE0, Venet};

/// A container id (`CTID`, also its VE id).
pub type CtId = u32;

/// vzctl's exit codes (`vzerror.h`).
mod code {
    pub(super) const ENVCREATE_ERROR: i32 = 7;
    pub(super) const INVALID_PARAMETER_VALUE: i32 = 21;
    pub(super) const VE_NOT_RUNNING: i32 = 31;
    pub(super) const VE_RUNNING: i32 = 32;
    pub(super) const CANT_ADDIP: i32 = 34;
    pub(super) const IP_INUSE: i32 = 78;
    pub(super) const IP_NA: i32 = 89;
}

/// The `ip` command as the scripts name it (in their messages).
const IP_CMD: &str = "/sbin/ip";
/// The device every host route points at.
const VENET_DEV: &str = "venet0";

/// An address as `--ipadd` takes it: `IP` or `IP/PREFIX` (the prefix is used inside the
/// container; the kernel table keys on the address alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IpNet {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length, if given (CIDR notation).
    pub prefix_len: Option<u8>,
}

impl IpNet {
    /// An address without a prefix.
    pub fn new(addr: IpAddr) -> IpNet {
        IpNet { addr, prefix_len: None }
    }

    /// The prefix inside the container: the one given, else a host prefix (/32, /128), as the
    /// distribution scripts configure venet addresses.
    pub fn container_prefix(&self) -> u8 {
        self.prefix_len.unwrap_or(if self.addr.is_ipv4() { 32 } else { 128 })
    }
}

/// Why an `--ipadd`/`--ipdel` argument is not an address (`VZ_BADIP`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpNetError(pub String);

impl fmt::Display for IpNetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bad IP address: {}", self.0)
    }
}

impl std::error::Error for IpNetError {}

impl FromStr for IpNet {
    type Err = IpNetError;

    /// `IP` or `IP/PREFIX` (IPv4 prefix up to 32, IPv6 up to 128).
    fn from_str(s: &str) -> std::result::Result<IpNet, IpNetError> {
        let bad = || IpNetError(s.to_string());
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match p {
            Some(p) => Some(p.parse::<u8>().ok().filter(|n| *n <= max).ok_or_else(bad)?),
            None => None,
        };
        Ok(IpNet { addr, prefix_len })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len {
            Some(p) => write!(f, "{}/{p}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// `--save`: record the change in the container's config too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Save {
    /// `--save`.
    Yes,
    /// Without `--save`: the running container changes, the config does not.
    No,
}

/// What `--ipdel` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpDel<'a> {
    /// `--ipdel IP[,IP...]`.
    Addrs(&'a [IpNet]),
    /// `--ipdel all`.
    All,
}

/// The direction of a failed address operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpOp {
    /// `VE_IP_ADD`.
    Add,
    /// `VE_IP_DEL`.
    Del,
}

/// `NEIGHBOUR_DEVS` (vz.conf): which host devices get the proxy ARP entries and the ARP
/// announcements for a container address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeighbourDevs {
    /// Every device `vzgetnetdev` finds (up, with an address, not loopback, NOARP or a slave):
    /// the behaviour the OpenVZ wiki's ARP-flux page describes.
    All,
    /// `detect` (vz.conf's value since vzctl 3.0.23): only the device the route to the address
    /// leaves through, when that route has no gateway.
    Detect,
    /// A custom script's choice: exactly these devices (by name; absent ones are skipped).
    List(Vec<String>),
}

/// The global configuration (`/etc/vz/vz.conf`) the scripts read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VzConf {
    /// `NEIGHBOUR_DEVS`.
    pub neighbour_devs: NeighbourDevs,
    /// `VE_ROUTE_SRC_DEV`: the device whose first local address becomes the `src` of the host
    /// routes. Unset (vz.conf's default) gives no `src`, and the kernel then picks the host's
    /// first global address for traffic to the containers.
    pub route_src_dev: Option<String>,
    /// `SKIP_ARPDETECT=yes`: no `vzarpipdetect` requests.
    pub skip_arpdetect: bool,
    /// `IPV6="yes"`: IPv6 addresses are accepted (else dropped with a warning).
    pub ipv6: bool,
}

impl Default for VzConf {
    fn default() -> Self {
        VzConf { neighbour_devs: NeighbourDevs::All, route_src_dev: None, skip_arpdetect: false, ipv6: true }
    }
}

/// A container's saved configuration (its `CTID.conf`, the network part): `IP_ADDRESS`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CtConfig {
    /// `IP_ADDRESS`, in the order added.
    pub ip_address: Vec<IpNet>,
}

/// Whether a container runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtStatus {
    /// Running: its namespace exists.
    Running,
    /// Known but stopped.
    Stopped,
}

/// One line of `vzlist -a`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtInfo {
    /// The CTID.
    pub ctid: CtId,
    /// Running or stopped.
    pub status: CtStatus,
    /// The addresses: the kernel's for a running container (oldest first), else the saved ones.
    pub ips: Vec<IpAddr>,
    /// The container's namespace while it runs.
    pub netns: Option<NetnsId>,
}

/// One line vzctl prints. `Display` gives vzctl's text; [`VzEvent::is_error`] tells stderr
/// lines from stdout ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VzEvent {
    /// "Starting container ...".
    Starting,
    /// "Container is mounted".
    Mounted,
    /// "Container start in progress...".
    StartInProgress,
    /// "Container start failed".
    StartFailed,
    /// "Container is already running".
    AlreadyRunning,
    /// "env_create error: STRERROR": the container's namespace or VE could not be made.
    EnvCreateError(Errno),
    /// "Stopping container ...".
    Stopping,
    /// "Container was stopped".
    Stopped,
    /// "Container is unmounted".
    Unmounted,
    /// "Unable to stop: container is not running".
    StopNotRunning,
    /// "Adding IP address(es): A B ...".
    AddingIps(Vec<IpNet>),
    /// "Deleting IP address(es): A B ...".
    DeletingIps(Vec<IpNet>),
    /// "Unable to add IP X: Address already in use" (or del), from the kernel's errno.
    IpFailed {
        /// Add or delete.
        op: IpOp,
        /// The address.
        ip: IpNet,
        /// The kernel's answer.
        errno: Errno,
    },
    /// "Unable to apply network parameters: container is not running".
    NotRunning,
    /// "WARNING: IPv6 support is disabled".
    Ipv6Disabled,
    /// A host script's error: "vps-net_add ERROR: MESSAGE".
    ScriptError {
        /// The script (`vps-net_add`).
        script: &'static str,
        /// Its message.
        message: String,
    },
    /// "Saved parameters for CT N".
    Saved(CtId),
    /// "WARNING: Settings were not saved and will be resetted to original values on next start
    /// (use --save flag)".
    NotSaved,
    /// "Invalid container id: 0" (simulator text: CTID 0 is the host).
    InvalidCtid(CtId),
}

impl VzEvent {
    /// vzctl prints this on stderr (`logger(-1, ...)` and the scripts' `vzerror`).
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            VzEvent::EnvCreateError(_)
                | VzEvent::IpFailed { .. }
                | VzEvent::NotRunning
                | VzEvent::ScriptError { .. }
                | VzEvent::StopNotRunning
                | VzEvent::AlreadyRunning
                | VzEvent::StartFailed
                | VzEvent::InvalidCtid(_)
        )
    }
}

fn join(ips: &[IpNet]) -> String {
    ips.iter().map(IpNet::to_string).collect::<Vec<_>>().join(" ")
}

impl fmt::Display for VzEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VzEvent::Starting => f.write_str("Starting container ..."),
            VzEvent::Mounted => f.write_str("Container is mounted"),
            VzEvent::StartInProgress => f.write_str("Container start in progress..."),
            VzEvent::StartFailed => f.write_str("Container start failed"),
            VzEvent::AlreadyRunning => f.write_str("Container is already running"),
            VzEvent::EnvCreateError(e) => write!(f, "env_create error: {e}"),
            VzEvent::Stopping => f.write_str("Stopping container ..."),
            VzEvent::Stopped => f.write_str("Container was stopped"),
            VzEvent::Unmounted => f.write_str("Container is unmounted"),
            VzEvent::StopNotRunning => f.write_str("Unable to stop: container is not running"),
            VzEvent::AddingIps(ips) => write!(f, "Adding IP address(es): {}", join(ips)),
            VzEvent::DeletingIps(ips) => write!(f, "Deleting IP address(es): {}", join(ips)),
            VzEvent::IpFailed { op, ip, errno } => {
                let op = if *op == IpOp::Add { "add" } else { "del" };
                write!(f, "Unable to {op} IP {ip}: {errno}")
            }
            VzEvent::NotRunning => f.write_str("Unable to apply network parameters: container is not running"),
            VzEvent::Ipv6Disabled => f.write_str("WARNING: IPv6 support is disabled"),
            VzEvent::ScriptError { script, message } => write!(f, "{script} ERROR: {message}"),
            VzEvent::Saved(id) => write!(f, "Saved parameters for CT {id}"),
            VzEvent::NotSaved => f.write_str(
                "WARNING: Settings were not saved and will be resetted to original values on next start (use --save \
                 flag)",
            ),
            VzEvent::InvalidCtid(id) => write!(f, "Invalid container id: {id}"),
        }
    }
}

/// What a vzctl command printed and its exit code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VzReport {
    /// The lines, in order.
    pub events: Vec<VzEvent>,
    /// The exit code (0 on success; `vzerror.h` codes otherwise).
    pub exit_code: i32,
}

impl VzReport {
    fn push(&mut self, e: VzEvent) {
        self.events.push(e);
    }

    fn fail(mut self, code: i32) -> VzReport {
        self.exit_code = code;
        self
    }

    /// The printed lines, as vzctl prints them.
    pub fn lines(&self) -> Vec<String> {
        self.events.iter().map(VzEvent::to_string).collect()
    }
}

/// A container as vzctl knows it.
#[derive(Debug, Default)]
struct Ct {
    config: CtConfig,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    netns: NetnsId,
    venet: Arc<NetDevice>,
}

#[derive(Debug, Default)]
struct State {
    conf: VzConf,
    cts: BTreeMap<CtId, Ct>,
}

/// The vzctl model: containers, their saved configs, and the commands. One per World.
///
/// Each command takes the configuration lock (RTNL) itself, as vzctl's `ip` calls do: do not
/// call one while holding [`World::rtnl`]. The `cpu` a command takes is the one its ARP
/// announcements are queued on; they are received when that CPU polls.
#[derive(Debug)]
pub struct Vz {
    world: World,
    stacks: Stacks,
    venet: Arc<Venet>,
    state: Mutex<State>,
}

/// The exit code vzctl maps a failed `VE_IP_*` to (`ip_ctl`).
fn ip_errno_code(e: Errno) -> i32 {
    match e {
        Errno::Eaddrinuse => code::IP_INUSE,
        Errno::Esrch => code::VE_NOT_RUNNING,
        Errno::Eaddrnotavail => code::IP_NA,
        _ => code::CANT_ADDIP,
    }
}

/// A host-script failure: its message for "vps-net_add ERROR: ...".
struct ScriptFail(String);

impl Vz {
    /// A vzctl for `world`, whose namespaces have `stacks`. The venet module is registered with
    /// the World if it is not yet.
    pub fn new(world: &World, stacks: &Stacks) -> Result<Vz> {
        let venet = match Venet::of(world) {
            Some(v) => v,
            None => crate::register(world)?,
        };
        Ok(Vz { world: world.clone(), stacks: stacks.clone(), venet, state: Mutex::new(State::default()) })
    }

    /// The venet module.
    pub fn venet(&self) -> &Arc<Venet> {
        &self.venet
    }

    /// The global configuration.
    pub fn conf(&self) -> VzConf {
        self.state.lock().conf.clone()
    }

    /// Replace the global configuration (edit vz.conf).
    pub fn set_conf(&self, conf: VzConf) {
        self.state.lock().conf = conf;
    }

    /// The namespace of a running container (`vzctl exec CTID` runs there).
    pub fn netns(&self, ctid: CtId) -> Option<NetnsId> {
        self.state.lock().cts.get(&ctid).and_then(|c| c.running.as_ref()).map(|r| r.netns)
    }

    /// A container's saved configuration.
    pub fn config(&self, ctid: CtId) -> Option<CtConfig> {
        self.state.lock().cts.get(&ctid).map(|c| c.config.clone())
    }

    /// Running or stopped; `None` for a container vzctl never saw.
    pub fn status(&self, ctid: CtId) -> Option<CtStatus> {
        let st = self.state.lock();
        st.cts.get(&ctid).map(|c| if c.running.is_some() { CtStatus::Running } else { CtStatus::Stopped })
    }

    /// `vzlist -a`: every known container, by CTID.
    pub fn list(&self) -> Vec<CtInfo> {
        let st = self.state.lock();
        st.cts
            .iter()
            .map(|(id, c)| match &c.running {
                Some(r) => CtInfo {
                    ctid: *id,
                    status: CtStatus::Running,
                    ips: self.kernel_ips(*id).iter().map(|n| n.addr).collect(),
                    netns: Some(r.netns),
                },
                None => CtInfo {
                    ctid: *id,
                    status: CtStatus::Stopped,
                    ips: c.config.ip_address.iter().map(|n| n.addr).collect(),
                    netns: None,
                },
            })
            .collect()
    }

    /// The container's addresses as the kernel lists them, oldest first (`get_vps_ip`).
    fn kernel_ips(&self, ctid: CtId) -> Vec<IpNet> {
        self.venet.ve_ips(ctid).into_iter().rev().map(IpNet::new).collect()
    }

    fn stack(&self, ns: NetnsId) -> Option<Arc<Stack>> {
        self.stacks.get(ns)
    }

    // ------------------------------------------------------------------------------ start / stop

    /// `vzctl start CTID`: the container's namespace (named after the CTID) becomes a VE with
    /// `lo` and `venet0` up and default routes through venet0; the host's venet0 is created and
    /// brought up if needed; the saved addresses are added.
    pub fn start(&self, cpu: &mut Cpu, ctid: CtId) -> VzReport {
        let mut rep = VzReport::default();
        if ctid == VE0 {
            rep.push(VzEvent::InvalidCtid(ctid));
            return rep.fail(code::INVALID_PARAMETER_VALUE);
        }
        let mut st = self.state.lock();
        let conf = st.conf.clone();
        let ct = st.cts.entry(ctid).or_default();
        if ct.running.is_some() {
            rep.push(VzEvent::AlreadyRunning);
            return rep.fail(code::VE_RUNNING);
        }
        rep.push(VzEvent::Starting);
        let running = match self.env_create(ctid) {
            Ok(r) => r,
            Err(e) => {
                rep.push(VzEvent::EnvCreateError(e.errno()));
                return rep.fail(code::ENVCREATE_ERROR);
            }
        };
        rep.push(VzEvent::Mounted);
        let mut ips = ct.config.ip_address.clone();
        if !conf.ipv6 && strip_ipv6(&mut ips) {
            rep.push(VzEvent::Ipv6Disabled);
        }
        // The distribution's add_ip script at VE_STATE=starting: the default routes first.
        self.ct_default_routes(running.netns, &running.venet, &conf);
        let ns = running.netns;
        if !ips.is_empty() {
            let code = self.add_ips(cpu, ctid, &running, &ips, &conf, &mut rep);
            if code != 0 {
                self.env_stop(ctid, ns);
                rep.push(VzEvent::StartFailed);
                return rep.fail(code);
            }
        }
        ct.running = Some(running);
        rep.push(VzEvent::StartInProgress);
        rep
    }

    /// `vzctl stop CTID`: the container's namespace goes (and with it its venet and its
    /// addresses in the kernel table), then `vps-net_del` removes the host routes and proxy
    /// entries of the addresses it had.
    pub fn stop(&self, _cpu: &mut Cpu, ctid: CtId) -> VzReport {
        let mut rep = VzReport::default();
        let mut st = self.state.lock();
        let conf = st.conf.clone();
        let Some(ct) = st.cts.get_mut(&ctid) else {
            rep.push(VzEvent::StopNotRunning);
            return rep;
        };
        let Some(running) = ct.running.take() else {
            rep.push(VzEvent::StopNotRunning);
            return rep;
        };
        rep.push(VzEvent::Stopping);
        let ips = self.kernel_ips(ctid);
        self.env_stop(ctid, running.netns);
        self.net_del(&ips, &conf);
        rep.push(VzEvent::Stopped);
        rep.push(VzEvent::Unmounted);
        rep
    }

    /// Create the container's namespace, VE and venet0 (and the host's venet0 if missing).
    fn env_create(&self, ctid: CtId) -> Result<Running> {
        let mut r = self.world.rtnl();
        let host = self.venet.ve0_netns();
        let host_venet = match self.venet.venet_dev(VE0) {
            Some(d) => d,
            None => venet_add(&mut r, host)?,
        };
        r.set_up(&host_venet, true)?;
        let ns = r.netns_add(&ctid.to_string())?;
        let made = (|| {
            self.venet.ve_create(&mut r, ctid, ns)?;
            let venet = venet_add(&mut r, ns)?;
            if let Some(lo) = r.dev_by_name(ns, "lo") {
                r.set_up(&lo, true)?;
            }
            r.set_up(&venet, true)?;
            Ok(Running { netns: ns, venet })
        })();
        if made.is_err() {
            let _ = r.netns_del(ns);
        }
        made
    }

    /// Tear the container down: its namespace (its venet's dellink empties its address list)
    /// and its VE.
    fn env_stop(&self, ctid: CtId, ns: NetnsId) {
        let mut r = self.world.rtnl();
        let _ = r.netns_del(ns);
        let _ = self.venet.ve_destroy(&mut r, ctid);
    }

    /// `ip route add default dev venet0` (and `ip -6 route add default dev venet0`) in the
    /// container.
    fn ct_default_routes(&self, ns: NetnsId, venet: &Arc<NetDevice>, conf: &VzConf) {
        let Some(stack) = self.stack(ns) else { return };
        let mut r = self.world.rtnl();
        let mut defaults = vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)];
        if conf.ipv6 {
            defaults.push(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
        }
        for dst in defaults {
            let mut spec = RouteSpec::new(dst, 0);
            spec.ifindex = Some(venet.ifindex());
            let _ = stack.route_add(&mut r, &spec);
        }
    }

    // ------------------------------------------------------------------------------ set

    /// `vzctl set CTID --ipadd IP[,IP...] [--save]`: incremental. On a running container the
    /// addresses are added (see the module docs); with `--save` the config gets them too, and
    /// without it vzctl warns that they will not survive a restart. On a stopped container only
    /// `--save` does anything.
    pub fn set_ipadd(&self, cpu: &mut Cpu, ctid: CtId, ips: &[IpNet], save: Save) -> VzReport {
        let mut rep = VzReport::default();
        if ctid == VE0 {
            rep.push(VzEvent::InvalidCtid(ctid));
            return rep.fail(code::INVALID_PARAMETER_VALUE);
        }
        let mut st = self.state.lock();
        let conf = st.conf.clone();
        let ct = st.cts.entry(ctid).or_default();
        let mut list = parse_list(ips);
        if !conf.ipv6 && strip_ipv6(&mut list) {
            rep.push(VzEvent::Ipv6Disabled);
        }
        match (&ct.running, save) {
            (Some(run), _) if !list.is_empty() => {
                let code = self.add_ips(cpu, ctid, run, &list, &conf, &mut rep);
                if code != 0 {
                    return rep.fail(code);
                }
            }
            (Some(_), _) => {}
            (None, Save::No) => {
                rep.push(VzEvent::NotRunning);
                return rep.fail(code::VE_NOT_RUNNING);
            }
            (None, Save::Yes) => {}
        }
        finish_set(&mut rep, ct, ctid, save, |cfg| {
            for ip in &list {
                if !cfg.ip_address.iter().any(|x| x.addr == ip.addr) {
                    cfg.ip_address.push(*ip);
                }
            }
        });
        rep
    }

    /// `vzctl set CTID --ipdel IP[,IP...]|all [--save]`: the addresses leave the kernel table
    /// (one the container does not own is silently skipped, as vzctl ignores EADDRNOTAVAIL),
    /// `vps-net_del` removes their host routes and proxy entries, and the container's venet0
    /// loses them.
    pub fn set_ipdel(&self, _cpu: &mut Cpu, ctid: CtId, ips: IpDel<'_>, save: Save) -> VzReport {
        let mut rep = VzReport::default();
        if ctid == VE0 {
            rep.push(VzEvent::InvalidCtid(ctid));
            return rep.fail(code::INVALID_PARAMETER_VALUE);
        }
        let mut st = self.state.lock();
        let conf = st.conf.clone();
        let ct = st.cts.entry(ctid).or_default();
        let list = match ips {
            IpDel::Addrs(a) => parse_list(a),
            IpDel::All => self.kernel_ips(ctid),
        };
        match &ct.running {
            Some(run) => {
                let (ns, venet) = (run.netns, run.venet.clone());
                if !list.is_empty() {
                    rep.push(VzEvent::DeletingIps(list.clone()));
                    let mut r = self.world.rtnl();
                    for (i, ip) in list.iter().enumerate() {
                        match self.venet.ip_map(&mut r, ctid, IpMapOp::Del, ip.addr) {
                            Ok(()) => {}
                            Err(e) if e.errno() == Errno::Eaddrnotavail => {}
                            Err(e) => {
                                rep.push(VzEvent::IpFailed { op: IpOp::Del, ip: *ip, errno: e.errno() });
                                for back in list[..i].iter().rev() {
                                    let _ = self.venet.ip_map(&mut r, ctid, IpMapOp::Add, back.addr);
                                }
                                return rep.fail(ip_errno_code(e.errno()));
                            }
                        }
                    }
                    drop(r);
                    self.net_del(&list, &conf);
                }
                self.ct_del_addrs(ns, &venet, &list, ips == IpDel::All);
            }
            None if save == Save::No => {
                rep.push(VzEvent::NotRunning);
                return rep.fail(code::VE_NOT_RUNNING);
            }
            None => {}
        }
        finish_set(&mut rep, ct, ctid, save, |cfg| match ips {
            IpDel::All => cfg.ip_address.clear(),
            IpDel::Addrs(_) => cfg.ip_address.retain(|x| !list.iter().any(|d| d.addr == x.addr)),
        });
        rep
    }

    // ------------------------------------------------------------------------------ the steps

    /// `vps_add_ip`: the message, the kernel table (rolled back whole at the first failure),
    /// `vps-net_add` (on failure the kernel entries are removed again), then the addresses
    /// inside the container. Returns the exit code.
    fn add_ips(
        &self,
        cpu: &mut Cpu,
        ctid: CtId,
        run: &Running,
        ips: &[IpNet],
        conf: &VzConf,
        rep: &mut VzReport,
    ) -> i32 {
        rep.push(VzEvent::AddingIps(ips.to_vec()));
        {
            let mut r = self.world.rtnl();
            for ip in ips {
                if let Err(e) = self.venet.ip_map(&mut r, ctid, IpMapOp::Add, ip.addr) {
                    rep.push(VzEvent::IpFailed { op: IpOp::Add, ip: *ip, errno: e.errno() });
                    // vps_ip_ctl's rollback: every address of the list, in reverse, whatever
                    // happened to it (one owned by another container answers EADDRNOTAVAIL,
                    // which vzctl ignores).
                    for back in ips.iter().rev() {
                        let _ = self.venet.ip_map(&mut r, ctid, IpMapOp::Del, back.addr);
                    }
                    return ip_errno_code(e.errno());
                }
            }
        }
        if let Err(ScriptFail(message)) = self.net_add(cpu, ips, conf) {
            rep.push(VzEvent::ScriptError { script: "vps-net_add", message });
            let mut r = self.world.rtnl();
            for ip in ips {
                let _ = self.venet.ip_map(&mut r, ctid, IpMapOp::Del, ip.addr);
            }
            return code::CANT_ADDIP;
        }
        self.ct_add_addrs(run.netns, &run.venet, ips);
        0
    }

    /// The distribution's add_ip script: each address on venet0 (IPv4 as alias `venet0:N`).
    fn ct_add_addrs(&self, ns: NetnsId, venet: &Arc<NetDevice>, ips: &[IpNet]) {
        let Some(stack) = self.stack(ns) else { return };
        let mut r = self.world.rtnl();
        let ifindex = venet.ifindex();
        for ip in ips {
            let mut opts = AddrOpts::default();
            if ip.addr.is_ipv4() {
                let used: Vec<String> = stack.addrs4(ifindex).into_iter().map(|a| a.label).collect();
                let label = (0..).map(|n| format!("{VENET_DEV}:{n}")).find(|l| !used.contains(l));
                opts.label = label;
            }
            // An address the container already has stays (the script's `ip addr add` fails).
            let _ = stack.addr_add(&mut r, ifindex, ip.addr, ip.container_prefix(), &opts);
        }
    }

    /// The distribution's del_ip script: the addresses leave venet0 (all of them for
    /// `IPDELALL=yes`).
    fn ct_del_addrs(&self, ns: NetnsId, venet: &Arc<NetDevice>, ips: &[IpNet], all: bool) {
        let Some(stack) = self.stack(ns) else { return };
        let mut r = self.world.rtnl();
        let ifindex = venet.ifindex();
        if all {
            stack.addr_flush(&mut r, ifindex, true, true);
            return;
        }
        for ip in ips {
            let _ = stack.addr_del(&mut r, ifindex, ip.addr, None);
        }
    }

    /// `vzgetnetdev`: the host devices that are up, not loopback, NOARP or a slave, and have an
    /// address (`ip addr list` shows an `inet`/`inet6` line), in ifindex order.
    fn netdevices(&self, r: &Rtnl<'_>, host: &Stack, ns: NetnsId) -> Vec<Arc<NetDevice>> {
        r.devices(ns)
            .into_iter()
            .filter(|d| {
                let f = d.raw_flags();
                f.contains(IfFlags::UP) && !f.intersects(IfFlags::LOOPBACK | IfFlags::NOARP | IfFlags::SLAVE)
            })
            .filter(|d| !host.addrs4(d.ifindex()).is_empty() || !host.addrs6(d.ifindex()).is_empty())
            .collect()
    }

    /// `vz_get_neighbour_devs`: the devices that get the proxy entry and announcements of `ip`.
    fn neighbour_devs(
        &self,
        r: &Rtnl<'_>,
        host: &Stack,
        ns: NetnsId,
        ip: IpAddr,
        conf: &VzConf,
    ) -> Vec<Arc<NetDevice>> {
        let netdevs = self.netdevices(r, host, ns);
        match &conf.neighbour_devs {
            NeighbourDevs::All => netdevs,
            NeighbourDevs::Detect => match host.route_get(ip, None) {
                Ok(rt) if rt.gateway.is_none_or(|g| g == ip) => {
                    netdevs.into_iter().filter(|d| d.ifindex() == rt.ifindex).collect()
                }
                _ => Vec::new(),
            },
            NeighbourDevs::List(names) => names.iter().filter_map(|n| r.dev_by_name(ns, n)).collect(),
        }
    }

    /// `vps-net_add`: `vzarpipdetect` for all the addresses, then per address `vzarp add` and
    /// `vzaddrouting`. The ARP requests are queued on `cpu` as they are sent.
    fn net_add(&self, cpu: &mut Cpu, ips: &[IpNet], conf: &VzConf) -> std::result::Result<(), ScriptFail> {
        let ns = self.venet.ve0_netns();
        let Some(host) = self.stack(ns) else { return Err(ScriptFail("no IP stack on the host".into())) };
        let mut sends: Vec<(Arc<NetDevice>, ArpFrame)> = Vec::new();
        let per_ip: Vec<(IpNet, Vec<Arc<NetDevice>>)> = {
            let r = self.world.rtnl();
            ips.iter().map(|ip| (*ip, self.neighbour_devs(&r, &host, ns, ip.addr, conf))).collect()
        };
        // vzarpipdetect: `arpsend -D -e IP DEV`, who-has IP from the device's own address.
        if !conf.skip_arpdetect {
            for (ip, devs) in &per_ip {
                let IpAddr::V4(tip) = ip.addr else { continue };
                for dev in devs {
                    let sip = host.addrs4(dev.ifindex()).first().map_or(Ipv4Addr::UNSPECIFIED, |a| a.local);
                    sends.push((dev.clone(), ArpFrame::request(dev.address(), sip, tip)));
                }
            }
        }
        self.flush_arps(cpu, &mut sends);
        for (ip, devs) in &per_ip {
            let mut r = self.world.rtnl();
            // vzarp add: the proxy entry (errors ignored) and `arpsend -U -i IP -e IP DEV`.
            for dev in devs {
                let _ = host.neigh_proxy_add(&mut r, dev.ifindex(), ip.addr);
                if let IpAddr::V4(a) = ip.addr {
                    sends.push((dev.clone(), ArpFrame::request(dev.address(), a, a)));
                }
            }
            let routed = self.vzaddrouting(&mut r, &host, ns, ip.addr, conf);
            drop(r);
            self.flush_arps(cpu, &mut sends);
            routed?;
        }
        Ok(())
    }

    /// `vzaddrouting`: nothing if `IP dev venet0` is routed already; else `ip route add IP dev
    /// venet0 [src FIRST-LOCAL-ADDRESS-OF-VE_ROUTE_SRC_DEV]` (IPv6: no `src`).
    fn vzaddrouting(
        &self,
        r: &mut Rtnl<'_>,
        host: &Stack,
        ns: NetnsId,
        ip: IpAddr,
        conf: &VzConf,
    ) -> std::result::Result<(), ScriptFail> {
        let Some(venet) = r.dev_by_name(ns, VENET_DEV) else {
            return Err(ScriptFail(format!("Unable to add route {IP_CMD} route add {ip} dev {VENET_DEV}")));
        };
        if host_route_exists(host, ip, venet.ifindex()) {
            return Ok(());
        }
        let mut src = None;
        if let (IpAddr::V4(_), Some(name)) = (ip, &conf.route_src_dev) {
            let dev = r.dev_by_name(ns, name);
            // `ip route list table local dev DEV | grep '^local' | grep -v '^127\.' | head -n 1`
            let first = dev.and_then(|d| {
                host.local_routes4()
                    .into_iter()
                    .filter(|rt| rt.ifindex == d.ifindex() && rt.rtype == RouteType::Local && rt.plen == 32)
                    .map(|rt| rt.dst)
                    .find(|a| !a.is_loopback())
            });
            match first {
                Some(a) => src = Some(IpAddr::V4(a)),
                None => return Err(ScriptFail(format!("Unable to get source ip [{name}]"))),
            }
        }
        let mut spec = RouteSpec::new(ip, if ip.is_ipv4() { 32 } else { 128 });
        spec.ifindex = Some(venet.ifindex());
        spec.prefsrc = src;
        host.route_add(r, &spec).map_err(|_| {
            let src = src.map(|s| format!(" src {s}")).unwrap_or_default();
            ScriptFail(format!("Unable to add route {IP_CMD} route add {ip} dev {VENET_DEV}{src}"))
        })
    }

    /// `vps-net_del`: per address `vzdelrouting` (if `IP dev venet0` is routed) and `vzarp del`
    /// (errors ignored).
    fn net_del(&self, ips: &[IpNet], conf: &VzConf) {
        let ns = self.venet.ve0_netns();
        let Some(host) = self.stack(ns) else { return };
        let mut r = self.world.rtnl();
        let venet = r.dev_by_name(ns, VENET_DEV);
        for ip in ips {
            if let Some(v) = &venet
                && host_route_exists(&host, ip.addr, v.ifindex())
            {
                let mut spec = RouteSpec::new(ip.addr, if ip.addr.is_ipv4() { 32 } else { 128 });
                spec.ifindex = Some(v.ifindex());
                let _ = host.route_del(&mut r, &spec);
            }
            for dev in self.neighbour_devs(&r, &host, ns, ip.addr, conf) {
                let _ = host.neigh_proxy_del(&mut r, dev.ifindex(), ip.addr);
            }
        }
    }

    /// Transmit the queued ARP frames on their devices (`arpsend`), in order.
    fn flush_arps(&self, cpu: &mut Cpu, sends: &mut Vec<(Arc<NetDevice>, ArpFrame)>) {
        for (dev, frame) in sends.drain(..) {
            let skb = cpu.alloc_frame(&frame.bytes(dev.broadcast()));
            let _ = cpu.dev_queue_xmit(&dev, skb);
        }
    }
}

/// An ARP request as `arpsend` builds it: Ethernet to broadcast, `who-has TIP tell SIP`.
#[derive(Clone, Copy, Debug)]
struct ArpFrame {
    sha: MacAddr,
    sip: Ipv4Addr,
    tip: Ipv4Addr,
}

impl ArpFrame {
    fn request(sha: MacAddr, sip: Ipv4Addr, tip: Ipv4Addr) -> ArpFrame {
        ArpFrame { sha, sip, tip }
    }

    fn bytes(&self, dst: MacAddr) -> [u8; ETH_HLEN + 28] {
        let mut f = [0u8; ETH_HLEN + 28];
        f[0..6].copy_from_slice(&dst.0);
        f[6..12].copy_from_slice(&self.sha.0);
        f[12..14].copy_from_slice(&ETH_P_ARP.to_be_bytes());
        let a = &mut f[ETH_HLEN..];
        a[0..2].copy_from_slice(&1u16.to_be_bytes());
        a[2..4].copy_from_slice(&ETH_P_IP.to_be_bytes());
        a[4] = 6;
        a[5] = 4;
        a[6..8].copy_from_slice(&1u16.to_be_bytes());
        a[8..14].copy_from_slice(&self.sha.0);
        a[14..18].copy_from_slice(&self.sip.octets());
        a[24..28].copy_from_slice(&self.tip.octets());
        f
    }
}

/// `ip link add venet0 type venet` in `ns`.
fn venet_add(r: &mut Rtnl<'_>, ns: NetnsId) -> Result<Arc<NetDevice>> {
    let req = NewLink { name: Some(VENET_DEV.into()), ..NewLink::in_netns(ns) };
    r.newlink(KIND, &req, &(Box::new(()) as KindConfig))
}

/// `ip route list table all IP | fgrep "IP dev venet0"`.
fn host_route_exists(host: &Stack, ip: IpAddr, venet: u32) -> bool {
    match ip {
        IpAddr::V4(a) => host.routes4().iter().any(|r| r.dst == a && r.plen == 32 && r.ifindex == venet),
        IpAddr::V6(a) => host.routes6().iter().any(|r| r.dst == a && r.plen == 128 && r.ifindex == venet),
    }
}

/// `parse_ip`: duplicates collapse (the first spelling wins), `0.0.0.0` and `::` are skipped.
fn parse_list(ips: &[IpNet]) -> Vec<IpNet> {
    let mut out: Vec<IpNet> = Vec::new();
    for ip in ips {
        if ip.addr.is_unspecified() || out.iter().any(|x| x.addr == ip.addr) {
            continue;
        }
        out.push(*ip);
    }
    out
}

/// `remove_ipv6_addr`: true if any was removed.
fn strip_ipv6(ips: &mut Vec<IpNet>) -> bool {
    let before = ips.len();
    ips.retain(|ip| ip.addr.is_ipv4());
    ips.len() != before
}

/// The end of `vzctl set`: with `--save` the config changes ("Saved parameters for CT N");
/// without it, on a running container, the warning.
fn finish_set(rep: &mut VzReport, ct: &mut Ct, ctid: CtId, save: Save, edit: impl FnOnce(&mut CtConfig)) {
    match save {
        Save::Yes => {
            edit(&mut ct.config);
            rep.push(VzEvent::Saved(ctid));
        }
        Save::No if ct.running.is_some() => rep.push(VzEvent::NotSaved),
        Save::No => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// vzctl's texts (`vps_add_ip`, `ip_ctl`, `vps_net_ctl`, `vps_set`), byte for byte.
    #[test]
    fn messages_are_vzctls() {
        let a: IpNet = "10.0.0.1".parse().unwrap();
        let b: IpNet = "10.1.2.3/25".parse().unwrap();
        assert_eq!(VzEvent::AddingIps(vec![a, b]).to_string(), "Adding IP address(es): 10.0.0.1 10.1.2.3/25");
        assert_eq!(
            VzEvent::IpFailed { op: IpOp::Add, ip: a, errno: Errno::Eaddrinuse }.to_string(),
            "Unable to add IP 10.0.0.1: Address already in use"
        );
        assert_eq!(VzEvent::DeletingIps(vec![a]).to_string(), "Deleting IP address(es): 10.0.0.1");
        assert_eq!(VzEvent::Saved(101).to_string(), "Saved parameters for CT 101");
        assert!(VzEvent::NotSaved.to_string().ends_with("on next start (use --save flag)"));
        assert!(VzEvent::NotRunning.is_error() && !VzEvent::AddingIps(vec![]).is_error());
    }

    #[test]
    fn ipnet_parses_cidr_and_rejects_nonsense() {
        assert_eq!("fd00::101".parse::<IpNet>().unwrap().container_prefix(), 128);
        assert_eq!("10.1.2.3/25".parse::<IpNet>().unwrap().container_prefix(), 25);
        assert_eq!("10.1.2.3".parse::<IpNet>().unwrap().container_prefix(), 32);
        for bad in ["10.1.2", "10.1.2.3/33", "fd00::1/129", "x", "10.0.0.1/"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        let l = parse_list(&["10.0.0.1".parse().unwrap(), "0.0.0.0".parse().unwrap(), "10.0.0.1/24".parse().unwrap()]);
        assert_eq!(l, ["10.0.0.1".parse().unwrap()]);
    }

    /// `arpsend`'s request: 42 bytes, broadcast, `who-has TIP tell SIP`.
    #[test]
    fn arp_frame_layout() {
        let f = ArpFrame::request(MacAddr([2, 0, 0, 0, 0, 1]), Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 9))
            .bytes(MacAddr::BROADCAST);
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1], "ARPOP_REQUEST");
        assert_eq!(&f[28..32], &[10, 0, 0, 1]);
        assert_eq!(&f[38..42], &[10, 0, 0, 9]);
    }
}
