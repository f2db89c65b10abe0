//! The bridge's control state and the kernel's 802.1D spanning tree (`net/bridge/br_stp.c`,
//! `br_stp_if.c`, `br_stp_timer.c`, `br_stp_bpdu.c`).
//!
//! [`Ctl`] is `struct net_bridge` minus what the data path reads (that lives in atomics and
//! snapshots on [`BridgeCore`](crate::device::BridgeCore)); it is guarded by one mutex, the
//! kernel's `br->lock`. The functions here are the kernel's, one for one, and keep its names.
//!
//! Timers are deadlines in virtual nanoseconds (`None` = not pending); one World timer per bridge
//! fires at the earliest of them (see `device.rs`), so `ip -d link` can show each timer's
//! remaining time exactly as `br_timer_value` does.
//!
//! Effects that need something the lock holder may not have are queued: BPDUs go to
//! [`Ctl::outbox`] (sent by whoever holds a CPU: the BPDU receive path, a timer, or the next
//! clock advance after a configuration call) and the bridge carrier decision of
//! `br_port_state_selection` to [`Ctl::want_carrier`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use netdev_core::{Carrier, Errno, Error, MacAddr, NSEC_PER_SEC, Result, TimerId};

use crate::device::BridgeCore;
use crate::fdb::LocalOwners;
use crate::port::Port;
use crate::types::{BridgeId, PORT_BITS, PortFlags, PortState, StpMode, cs_to_ns};
use crate::vlan::VlanGroup;

/// `BR_HOLD_TIME`: at most one config BPDU per port per second.
pub(crate) const HOLD_TIME: u64 = NSEC_PER_SEC;
/// `MESSAGE_AGE_INCR` (`HZ / 256 + 1` jiffies): one jiffy at `HZ = 250`.
pub(crate) const MESSAGE_AGE_INCR: u64 = 4_000_000;
/// `BR_MIN_HELLO_TIME` .. `BR_MAX_HELLO_TIME`.
const HELLO_RANGE: (u64, u64) = (NSEC_PER_SEC, 10 * NSEC_PER_SEC);
/// `BR_MIN_MAX_AGE` .. `BR_MAX_MAX_AGE`.
const MAX_AGE_RANGE: (u64, u64) = (6 * NSEC_PER_SEC, 40 * NSEC_PER_SEC);
/// `BR_MIN_FORWARD_DELAY` .. `BR_MAX_FORWARD_DELAY`.
const FORWARD_DELAY_RANGE: (u64, u64) = (2 * NSEC_PER_SEC, 30 * NSEC_PER_SEC);
/// `BR_MAX_PORT_PRIORITY` (`(u16)~0 >> BR_PORT_BITS`).
pub(crate) const MAX_PORT_PRIORITY: u16 = u16::MAX >> PORT_BITS;
/// One jiffy at `HZ = 250`: a kernel timer armed for now or the past fires on the next tick.
pub(crate) const JIFFY: u64 = 4_000_000;
/// The gc work's first run after the bridge comes up (`HZ / 10`).
const GC_FIRST: u64 = NSEC_PER_SEC / 10;

/// `round_jiffies`: round an absolute deadline to a whole second (down only within the first
/// quarter second), but never to now or earlier.
pub(crate) fn round_jiffies(t: u64, now: u64) -> u64 {
    let rem = t % NSEC_PER_SEC;
    let r = if rem < NSEC_PER_SEC / 4 { t - rem } else { t - rem + NSEC_PER_SEC };
    if r <= now { t } else { r }
}

/// `br_make_port_id`.
pub(crate) const fn make_port_id(priority: u16, port_no: u16) -> u16 {
    (priority << PORT_BITS) | (port_no & ((1 << PORT_BITS) - 1))
}

/// `struct br_config_bpdu` (times in nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConfigBpdu {
    pub(crate) topology_change: bool,
    pub(crate) topology_change_ack: bool,
    pub(crate) root: BridgeId,
    pub(crate) root_path_cost: u32,
    pub(crate) bridge_id: BridgeId,
    pub(crate) port_id: u16,
    pub(crate) message_age: u64,
    pub(crate) max_age: u64,
    pub(crate) hello_time: u64,
    pub(crate) forward_delay: u64,
}

/// A BPDU waiting to be sent out of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bpdu {
    /// `BPDU_TYPE_CONFIG`.
    Config(ConfigBpdu),
    /// `BPDU_TYPE_TCN`.
    Tcn,
}

/// Per-port STP counters (`struct bridge_stp_xstats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StpXstats {
    /// Blocking transitions.
    pub transition_blk: u64,
    /// Forwarding transitions.
    pub transition_fwd: u64,
    /// Config BPDUs received.
    pub rx_bpdu: u64,
    /// Config BPDUs sent.
    pub tx_bpdu: u64,
    /// TCN BPDUs received.
    pub rx_tcn: u64,
    /// TCN BPDUs sent.
    pub tx_tcn: u64,
}

/// The multicast and netfilter knobs the bridge accepts and shows but does not act on
/// (no IGMP/MLD snooping in the simulator), with the kernel's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // iproute2's keywords
pub struct McastOptions {
    pub mcast_snooping: u8,
    pub mcast_vlan_snooping: u8,
    pub mcast_router: u8,
    pub mcast_query_use_ifaddr: u8,
    pub mcast_querier: u8,
    pub mcast_hash_elasticity: u32,
    pub mcast_hash_max: u32,
    pub mcast_last_member_count: u32,
    pub mcast_startup_query_count: u32,
    pub mcast_last_member_interval: u64,
    pub mcast_membership_interval: u64,
    pub mcast_querier_interval: u64,
    pub mcast_query_interval: u64,
    pub mcast_query_response_interval: u64,
    pub mcast_startup_query_interval: u64,
    pub mcast_stats_enabled: u8,
    pub mcast_igmp_version: u8,
    pub mcast_mld_version: u8,
    pub nf_call_iptables: u8,
    pub nf_call_ip6tables: u8,
    pub nf_call_arptables: u8,
    pub vlan_stats_enabled: u8,
    pub vlan_stats_per_port: u8,
}

impl Default for McastOptions {
    /// `br_multicast_init` and friends (intervals in centiseconds as `ip -d link` shows them).
    fn default() -> Self {
        McastOptions {
            mcast_snooping: 1,
            mcast_vlan_snooping: 0,
            mcast_router: 1,
            mcast_query_use_ifaddr: 0,
            mcast_querier: 0,
            mcast_hash_elasticity: 16,
            mcast_hash_max: 4096,
            mcast_last_member_count: 2,
            mcast_startup_query_count: 2,
            mcast_last_member_interval: 100,
            mcast_membership_interval: 26000,
            mcast_querier_interval: 25500,
            mcast_query_interval: 12500,
            mcast_query_response_interval: 1000,
            mcast_startup_query_interval: 3124,
            mcast_stats_enabled: 0,
            mcast_igmp_version: 2,
            mcast_mld_version: 1,
            nf_call_iptables: 0,
            nf_call_ip6tables: 0,
            nf_call_arptables: 0,
            vlan_stats_enabled: 0,
            vlan_stats_per_port: 0,
        }
    }
}

/// The STP and configuration state of one port (`struct net_bridge_port` minus the data path).
#[derive(Debug)]
pub(crate) struct PortCtl {
    pub(crate) port: Arc<Port>,
    pub(crate) port_id: u16,
    pub(crate) priority: u16,
    pub(crate) path_cost: u32,
    pub(crate) designated_root: BridgeId,
    pub(crate) designated_bridge: BridgeId,
    pub(crate) designated_cost: u32,
    pub(crate) designated_port: u16,
    pub(crate) designated_age: u64,
    pub(crate) topology_change_ack: bool,
    pub(crate) config_pending: bool,
    pub(crate) message_age_timer: Option<u64>,
    pub(crate) forward_delay_timer: Option<u64>,
    pub(crate) hold_timer: Option<u64>,
    pub(crate) xstats: StpXstats,
    pub(crate) mcast_router: u8,
}

impl PortCtl {
    /// `new_nbp` (before `br_init_port`): priority 32, cost from the speed, disabled.
    pub(crate) fn new(port: Arc<Port>, path_cost: u32) -> PortCtl {
        let priority = 0x8000 >> PORT_BITS;
        PortCtl {
            port_id: make_port_id(priority, port.port_no),
            port,
            priority,
            path_cost,
            designated_root: BridgeId::default(),
            designated_bridge: BridgeId::default(),
            designated_cost: 0,
            designated_port: 0,
            designated_age: 0,
            topology_change_ack: false,
            config_pending: false,
            message_age_timer: None,
            forward_delay_timer: None,
            hold_timer: None,
            xstats: StpXstats::default(),
            mcast_router: 1,
        }
    }

    /// The port's STP state.
    pub(crate) fn state(&self) -> PortState {
        self.port.state()
    }

    /// The port number.
    pub(crate) fn port_no(&self) -> u16 {
        self.port.port_no
    }
}

/// `struct net_bridge` as the control path sees it (the kernel's `br->lock`).
#[derive(Debug)]
pub(crate) struct Ctl {
    /// `br->dev->flags & IFF_UP`.
    pub(crate) dev_up: bool,
    pub(crate) bridge_id: BridgeId,
    pub(crate) designated_root: BridgeId,
    pub(crate) root_path_cost: u32,
    pub(crate) root_port: u16,
    pub(crate) max_age: u64,
    pub(crate) hello_time: u64,
    pub(crate) forward_delay: u64,
    pub(crate) bridge_max_age: u64,
    pub(crate) bridge_hello_time: u64,
    pub(crate) bridge_forward_delay: u64,
    pub(crate) ageing_time: u64,
    pub(crate) bridge_ageing_time: u64,
    pub(crate) topology_change: bool,
    pub(crate) topology_change_detected: bool,
    pub(crate) stp: StpMode,
    pub(crate) hello_timer: Option<u64>,
    pub(crate) tcn_timer: Option<u64>,
    pub(crate) topology_change_timer: Option<u64>,
    pub(crate) gc_timer: Option<u64>,
    /// The ports, newest first (`list_add_rcu` at the head of `port_list`).
    pub(crate) ports: Vec<PortCtl>,
    pub(crate) group_addr: MacAddr,
    pub(crate) group_addr_set: bool,
    pub(crate) group_fwd_mask: u16,
    pub(crate) group_fwd_mask_required: u16,
    pub(crate) mtu_set_by_user: bool,
    pub(crate) no_ll_learn: bool,
    pub(crate) opts: McastOptions,
    pub(crate) vlan_enabled: bool,
    pub(crate) vlan_proto: u16,
    pub(crate) default_pvid: u16,
    /// The bridge's own ("host port") VLANs; the data path reads the published copy.
    pub(crate) vlans: VlanGroup,
    /// `br->auto_cnt`: ports that learn and flood.
    pub(crate) auto_cnt: u32,
    /// BPDUs waiting for a CPU.
    pub(crate) outbox: Vec<(Arc<Port>, Bpdu)>,
    /// The carrier `br_port_state_selection` (or the forward-delay timer) decided on.
    pub(crate) want_carrier: Option<Carrier>,
    /// The World timer armed for the earliest deadline, and that deadline.
    pub(crate) armed: Option<(TimerId, u64)>,
}

impl Ctl {
    /// `br_dev_setup`'s defaults.
    pub(crate) fn new() -> Ctl {
        let id = BridgeId { prio: 0x8000, addr: MacAddr::ZERO };
        Ctl {
            dev_up: false,
            bridge_id: id,
            designated_root: id,
            root_path_cost: 0,
            root_port: 0,
            max_age: 20 * NSEC_PER_SEC,
            hello_time: 2 * NSEC_PER_SEC,
            forward_delay: 15 * NSEC_PER_SEC,
            bridge_max_age: 20 * NSEC_PER_SEC,
            bridge_hello_time: 2 * NSEC_PER_SEC,
            bridge_forward_delay: 15 * NSEC_PER_SEC,
            ageing_time: crate::types::DEFAULT_AGEING_TIME,
            bridge_ageing_time: crate::types::DEFAULT_AGEING_TIME,
            topology_change: false,
            topology_change_detected: false,
            stp: StpMode::None,
            hello_timer: None,
            tcn_timer: None,
            topology_change_timer: None,
            gc_timer: None,
            ports: Vec::new(),
            group_addr: crate::types::STP_GROUP_ADDR,
            group_addr_set: false,
            group_fwd_mask: 0,
            group_fwd_mask_required: 0,
            mtu_set_by_user: false,
            no_ll_learn: false,
            opts: McastOptions::default(),
            vlan_enabled: false,
            vlan_proto: netdev_core::ETH_P_8021Q,
            default_pvid: 1,
            vlans: VlanGroup::default(),
            auto_cnt: 0,
            outbox: Vec::new(),
            want_carrier: None,
            armed: None,
        }
    }

    /// The index in `ports` of port `port_no`.
    pub(crate) fn idx(&self, port_no: u16) -> Option<usize> {
        self.ports.iter().position(|p| p.port_no() == port_no)
    }

    /// `br_is_root_bridge`.
    pub(crate) fn is_root_bridge(&self) -> bool {
        self.bridge_id == self.designated_root
    }

    /// `br_is_designated_port`.
    pub(crate) fn is_designated_port(&self, i: usize) -> bool {
        self.ports.get(i).is_some_and(|p| p.designated_bridge == self.bridge_id && p.designated_port == p.port_id)
    }

    /// The hold time of learned entries (`hold_time`): `forward_delay` during a topology change.
    pub(crate) fn hold_time(&self) -> u64 {
        if self.topology_change { self.forward_delay } else { self.ageing_time }
    }

    /// The earliest pending deadline, or now if BPDUs are waiting.
    pub(crate) fn next_deadline(&self, now: u64) -> Option<u64> {
        let mut d = [self.hello_timer, self.tcn_timer, self.topology_change_timer, self.gc_timer]
            .into_iter()
            .flatten()
            .chain(self.ports.iter().flat_map(|p| [p.message_age_timer, p.forward_delay_timer, p.hold_timer]).flatten())
            .min();
        if !self.outbox.is_empty() {
            d = Some(d.map_or(now, |x| x.min(now)));
        }
        d
    }
}

/// The STP functions, over the control state of one bridge at one instant.
pub(crate) struct Stp<'a> {
    pub(crate) core: &'a BridgeCore,
    pub(crate) c: &'a mut Ctl,
    pub(crate) now: u64,
}

impl Stp<'_> {
    /// `mod_timer(timer, jiffies + delay)`: at least one tick from now (a BPDU may carry times of
    /// 0, which must not make a timer fire again at the same instant forever).
    fn after(&self, delay: u64) -> Option<u64> {
        Some(self.now + delay.max(JIFFY))
    }

    /// Publish the hold time learning uses.
    fn sync_hold_time(&self) {
        self.core.hold_time.store(self.c.hold_time(), Ordering::Relaxed);
    }

    /// `br_set_state`: the data path sees the new state at once.
    pub(crate) fn set_state(&mut self, i: usize, state: PortState) {
        let kernel = self.c.stp == StpMode::Kernel;
        if let Some(p) = self.c.ports.get_mut(i) {
            p.port.state.store(state as u8, Ordering::Release);
            if kernel {
                match state {
                    PortState::Blocking => p.xstats.transition_blk += 1,
                    PortState::Forwarding => p.xstats.transition_fwd += 1,
                    _ => {}
                }
            }
        }
    }

    /// The state of the port at index `i`.
    fn state(&self, i: usize) -> PortState {
        self.c.ports.get(i).map_or(PortState::Disabled, PortCtl::state)
    }

    /// `br_should_become_root_port`.
    fn should_become_root_port(&self, i: usize, root_port: u16) -> bool {
        let Some(p) = self.c.ports.get(i) else { return false };
        if p.state() == PortState::Disabled || self.c.is_designated_port(i) {
            return false;
        }
        if self.c.bridge_id <= p.designated_root {
            return false;
        }
        if root_port == 0 {
            return true;
        }
        let Some(rp) = self.c.idx(root_port).and_then(|r| self.c.ports.get(r)) else { return true };
        let key = |q: &PortCtl| {
            (
                q.designated_root,
                q.designated_cost.saturating_add(q.path_cost),
                q.designated_bridge,
                q.designated_port,
                q.port_id,
            )
        };
        key(p) < key(rp)
    }

    /// `br_root_port_block`.
    fn root_port_block(&mut self, i: usize) {
        self.set_state(i, PortState::Listening);
        let t = self.after(self.c.forward_delay);
        if self.c.forward_delay > 0
            && let Some(p) = self.c.ports.get_mut(i)
        {
            p.forward_delay_timer = t;
        }
    }

    /// `br_root_selection`.
    fn root_selection(&mut self) {
        let mut root_port = 0;
        for i in 0..self.c.ports.len() {
            if !self.should_become_root_port(i, root_port) {
                continue;
            }
            if self.c.ports[i].port.flags().contains(PortFlags::ROOT_BLOCK) {
                self.root_port_block(i);
            } else {
                root_port = self.c.ports[i].port_no();
            }
        }
        self.c.root_port = root_port;
        match self.c.idx(root_port).and_then(|r| self.c.ports.get(r)) {
            Some(p) if root_port != 0 => {
                self.c.designated_root = p.designated_root;
                self.c.root_path_cost = p.designated_cost.saturating_add(p.path_cost);
            }
            _ => {
                self.c.designated_root = self.c.bridge_id;
                self.c.root_path_cost = 0;
            }
        }
    }

    /// `br_become_root_bridge`.
    pub(crate) fn become_root_bridge(&mut self) {
        self.c.max_age = self.c.bridge_max_age;
        self.c.hello_time = self.c.bridge_hello_time;
        self.c.forward_delay = self.c.bridge_forward_delay;
        self.topology_change_detection();
        self.c.tcn_timer = None;
        if self.c.dev_up {
            self.config_bpdu_generation();
            self.c.hello_timer = self.after(self.c.hello_time);
        }
        self.sync_hold_time();
    }

    /// `br_transmit_config`.
    pub(crate) fn transmit_config(&mut self, i: usize) {
        let Some(p) = self.c.ports.get(i) else { return };
        if p.hold_timer.is_some() {
            self.c.ports[i].config_pending = true;
            return;
        }
        let message_age = if self.c.is_root_bridge() {
            0
        } else {
            let age = self.c.idx(self.c.root_port).and_then(|r| self.c.ports.get(r)).map_or(0, |r| r.designated_age);
            self.now.saturating_sub(age) + MESSAGE_AGE_INCR
        };
        let bpdu = ConfigBpdu {
            topology_change: self.c.topology_change,
            topology_change_ack: p.topology_change_ack,
            root: self.c.designated_root,
            root_path_cost: self.c.root_path_cost,
            bridge_id: self.c.bridge_id,
            port_id: p.port_id,
            message_age,
            max_age: self.c.max_age,
            hello_time: self.c.hello_time,
            forward_delay: self.c.forward_delay,
        };
        if bpdu.message_age < self.c.max_age {
            self.send_bpdu(i, Bpdu::Config(bpdu));
            let kernel = self.c.stp == StpMode::Kernel;
            let now = self.now;
            let p = &mut self.c.ports[i];
            p.topology_change_ack = false;
            p.config_pending = false;
            if kernel {
                p.hold_timer = Some(round_jiffies(now + HOLD_TIME, now));
            }
        }
    }

    /// `br_send_config_bpdu` / `br_send_tcn_bpdu`: only kernel STP sends.
    fn send_bpdu(&mut self, i: usize, b: Bpdu) {
        if self.c.stp != StpMode::Kernel {
            return;
        }
        if let Some(p) = self.c.ports.get_mut(i) {
            match b {
                Bpdu::Config(_) => p.xstats.tx_bpdu += 1,
                Bpdu::Tcn => p.xstats.tx_tcn += 1,
            }
            self.c.outbox.push((p.port.clone(), b));
        }
    }

    /// `br_record_config_information`.
    fn record_config_information(&mut self, i: usize, b: &ConfigBpdu) {
        let now = self.now;
        if let Some(p) = self.c.ports.get_mut(i) {
            p.designated_root = b.root;
            p.designated_cost = b.root_path_cost;
            p.designated_bridge = b.bridge_id;
            p.designated_port = b.port_id;
            p.designated_age = now.saturating_sub(b.message_age);
            p.message_age_timer = Some(now + b.max_age.saturating_sub(b.message_age).max(JIFFY));
        }
    }

    /// `br_record_config_timeout_values`.
    fn record_config_timeout_values(&mut self, b: &ConfigBpdu) {
        self.c.max_age = b.max_age;
        self.c.hello_time = b.hello_time;
        self.c.forward_delay = b.forward_delay;
        self.set_topology_change(b.topology_change);
    }

    /// `br_transmit_tcn`: out of the root port.
    fn transmit_tcn(&mut self) {
        if let Some(i) = self.c.idx(self.c.root_port) {
            self.send_bpdu(i, Bpdu::Tcn);
        }
    }

    /// `br_should_become_designated_port`.
    fn should_become_designated_port(&self, i: usize) -> bool {
        let Some(p) = self.c.ports.get(i) else { return false };
        if self.c.is_designated_port(i) || p.designated_root != self.c.designated_root {
            return true;
        }
        (self.c.root_path_cost, self.c.bridge_id, p.port_id)
            < (p.designated_cost, p.designated_bridge, p.designated_port)
    }

    /// `br_designated_port_selection`.
    fn designated_port_selection(&mut self) {
        for i in 0..self.c.ports.len() {
            if self.state(i) != PortState::Disabled && self.should_become_designated_port(i) {
                self.become_designated_port(i);
            }
        }
    }

    /// `br_supersedes_port_info`.
    fn supersedes_port_info(&self, i: usize, b: &ConfigBpdu) -> bool {
        let Some(p) = self.c.ports.get(i) else { return false };
        if (b.root, b.root_path_cost, b.bridge_id) != (p.designated_root, p.designated_cost, p.designated_bridge) {
            return (b.root, b.root_path_cost, b.bridge_id)
                < (p.designated_root, p.designated_cost, p.designated_bridge);
        }
        b.bridge_id != self.c.bridge_id || b.port_id <= p.designated_port
    }

    /// `br_topology_change_acknowledged`.
    fn topology_change_acknowledged(&mut self) {
        self.c.topology_change_detected = false;
        self.c.tcn_timer = None;
    }

    /// `br_topology_change_detection`.
    pub(crate) fn topology_change_detection(&mut self) {
        if self.c.stp != StpMode::Kernel {
            return;
        }
        if self.c.is_root_bridge() {
            self.set_topology_change(true);
            self.c.topology_change_timer = self.after(self.c.bridge_forward_delay + self.c.bridge_max_age);
        } else if !self.c.topology_change_detected {
            self.transmit_tcn();
            self.c.tcn_timer = self.after(self.c.bridge_hello_time);
        }
        self.c.topology_change_detected = true;
    }

    /// `br_config_bpdu_generation`.
    pub(crate) fn config_bpdu_generation(&mut self) {
        for i in 0..self.c.ports.len() {
            if self.state(i) != PortState::Disabled && self.c.is_designated_port(i) {
                self.transmit_config(i);
            }
        }
    }

    /// `br_configuration_update`.
    pub(crate) fn configuration_update(&mut self) {
        self.root_selection();
        self.designated_port_selection();
    }

    /// `br_become_designated_port`.
    pub(crate) fn become_designated_port(&mut self, i: usize) {
        let (root, cost, id) = (self.c.designated_root, self.c.root_path_cost, self.c.bridge_id);
        if let Some(p) = self.c.ports.get_mut(i) {
            p.designated_root = root;
            p.designated_cost = cost;
            p.designated_bridge = id;
            p.designated_port = p.port_id;
        }
    }

    /// `br_make_blocking`.
    fn make_blocking(&mut self, i: usize) {
        let st = self.state(i);
        if st != PortState::Disabled && st != PortState::Blocking {
            if matches!(st, PortState::Forwarding | PortState::Learning) {
                self.topology_change_detection();
            }
            self.set_state(i, PortState::Blocking);
            if let Some(p) = self.c.ports.get_mut(i) {
                p.forward_delay_timer = None;
            }
        }
    }

    /// `br_make_forwarding`: with STP off (or no forward delay) at once; with kernel STP through
    /// listening and learning. The forward-delay timer is armed even with STP off (its expiry
    /// then only notifies), which is why `ip -d link` shows it counting down.
    fn make_forwarding(&mut self, i: usize) {
        if self.state(i) != PortState::Blocking {
            return;
        }
        if self.c.stp == StpMode::None || self.c.forward_delay == 0 {
            self.set_state(i, PortState::Forwarding);
            self.topology_change_detection();
            if let Some(p) = self.c.ports.get_mut(i) {
                p.forward_delay_timer = None;
            }
        } else if self.c.stp == StpMode::Kernel {
            self.set_state(i, PortState::Listening);
        } else {
            self.set_state(i, PortState::Learning);
        }
        let t = self.after(self.c.forward_delay);
        if self.c.forward_delay != 0
            && let Some(p) = self.c.ports.get_mut(i)
        {
            p.forward_delay_timer = t;
        }
    }

    /// `br_port_state_selection`: root and designated ports forward, the others block; the
    /// bridge has carrier while some port forwards.
    pub(crate) fn port_state_selection(&mut self) {
        let mut live = 0;
        for i in 0..self.c.ports.len() {
            if self.state(i) == PortState::Disabled {
                continue;
            }
            if self.c.stp != StpMode::User {
                if self.c.ports[i].port_no() == self.c.root_port {
                    self.c.ports[i].config_pending = false;
                    self.c.ports[i].topology_change_ack = false;
                    self.make_forwarding(i);
                } else if self.c.is_designated_port(i) {
                    self.c.ports[i].message_age_timer = None;
                    self.make_forwarding(i);
                } else {
                    self.c.ports[i].config_pending = false;
                    self.c.ports[i].topology_change_ack = false;
                    self.make_blocking(i);
                }
            }
            if self.state(i) == PortState::Forwarding {
                live += 1;
            }
        }
        self.c.want_carrier = Some(if live == 0 { Carrier::Off } else { Carrier::On });
    }

    /// `br_topology_change_acknowledge`.
    fn topology_change_acknowledge(&mut self, i: usize) {
        if let Some(p) = self.c.ports.get_mut(i) {
            p.topology_change_ack = true;
        }
        self.transmit_config(i);
    }

    /// `br_received_config_bpdu`.
    pub(crate) fn received_config_bpdu(&mut self, i: usize, b: &ConfigBpdu) {
        if let Some(p) = self.c.ports.get_mut(i) {
            p.xstats.rx_bpdu += 1;
        }
        let was_root = self.c.is_root_bridge();
        if self.supersedes_port_info(i, b) {
            self.record_config_information(i, b);
            self.configuration_update();
            self.port_state_selection();
            if !self.c.is_root_bridge() && was_root {
                self.c.hello_timer = None;
                if self.c.topology_change_detected {
                    self.c.topology_change_timer = None;
                    self.transmit_tcn();
                    self.c.tcn_timer = self.after(self.c.bridge_hello_time);
                }
            }
            if self.c.ports.get(i).is_some_and(|p| p.port_no() == self.c.root_port) {
                self.record_config_timeout_values(b);
                self.config_bpdu_generation();
                if b.topology_change_ack {
                    self.topology_change_acknowledged();
                }
            }
        } else if self.c.is_designated_port(i) {
            self.transmit_config(i);
        }
    }

    /// `br_received_tcn_bpdu`.
    pub(crate) fn received_tcn_bpdu(&mut self, i: usize) {
        if let Some(p) = self.c.ports.get_mut(i) {
            p.xstats.rx_tcn += 1;
        }
        if self.c.is_designated_port(i) {
            self.topology_change_detection();
            self.topology_change_acknowledge(i);
        }
    }

    /// `br_set_hello_time` (centiseconds): ERANGE outside 1..10 s.
    pub(crate) fn set_hello_time(&mut self, cs: u32) -> Result<()> {
        let t = cs_to_ns(u64::from(cs));
        if t < HELLO_RANGE.0 || t > HELLO_RANGE.1 {
            return Err(Error::new(Errno::Erange));
        }
        self.c.bridge_hello_time = t;
        if self.c.is_root_bridge() {
            self.c.hello_time = t;
        }
        Ok(())
    }

    /// `br_set_max_age` (centiseconds): ERANGE outside 6..40 s.
    pub(crate) fn set_max_age(&mut self, cs: u32) -> Result<()> {
        let t = cs_to_ns(u64::from(cs));
        if t < MAX_AGE_RANGE.0 || t > MAX_AGE_RANGE.1 {
            return Err(Error::new(Errno::Erange));
        }
        self.c.bridge_max_age = t;
        if self.c.is_root_bridge() {
            self.c.max_age = t;
        }
        Ok(())
    }

    /// `__br_set_forward_delay`.
    fn set_forward_delay_raw(&mut self, t: u64) {
        self.c.bridge_forward_delay = t;
        if self.c.is_root_bridge() {
            self.c.forward_delay = t;
        }
        self.sync_hold_time();
    }

    /// `br_set_forward_delay` (centiseconds): ERANGE outside 2..30 s, checked only while STP
    /// runs.
    pub(crate) fn set_forward_delay(&mut self, cs: u32) -> Result<()> {
        let t = cs_to_ns(u64::from(cs));
        if self.c.stp != StpMode::None && (t < FORWARD_DELAY_RANGE.0 || t > FORWARD_DELAY_RANGE.1) {
            return Err(Error::new(Errno::Erange));
        }
        self.set_forward_delay_raw(t);
        Ok(())
    }

    /// `br_set_ageing_time` (centiseconds): any value; 0 means never age and never learn. The
    /// gc runs at once.
    pub(crate) fn set_ageing_time(&mut self, cs: u32) {
        let t = cs_to_ns(u64::from(cs));
        self.c.bridge_ageing_time = t;
        self.c.ageing_time = t;
        self.c.gc_timer = Some(self.now);
        self.sync_hold_time();
    }

    /// `__br_set_topology_change`: with kernel STP the ageing time drops to twice the forward
    /// delay during a topology change.
    pub(crate) fn set_topology_change(&mut self, val: bool) {
        if self.c.stp == StpMode::Kernel && self.c.topology_change != val {
            self.c.ageing_time = if val { 2 * self.c.forward_delay } else { self.c.bridge_ageing_time };
        }
        self.c.topology_change = val;
        self.sync_hold_time();
    }

    /// `br_init_port`.
    pub(crate) fn init_port(&mut self, i: usize) {
        if let Some(p) = self.c.ports.get_mut(i) {
            p.port_id = make_port_id(p.priority, p.port_no());
        }
        self.become_designated_port(i);
        self.set_state(i, PortState::Blocking);
        if let Some(p) = self.c.ports.get_mut(i) {
            p.topology_change_ack = false;
            p.config_pending = false;
        }
    }

    /// `br_stp_enable_bridge` (the bridge came up): `live` says which ports are running and
    /// oper-up.
    pub(crate) fn enable_bridge(&mut self, live: &dyn Fn(&Port) -> bool) {
        if self.c.stp == StpMode::Kernel {
            self.c.hello_timer = self.after(self.c.hello_time);
        }
        self.c.gc_timer = self.after(GC_FIRST);
        self.config_bpdu_generation();
        for i in 0..self.c.ports.len() {
            if live(&self.c.ports[i].port) {
                self.enable_port(i);
            }
        }
    }

    /// `br_stp_disable_bridge` (the bridge goes down).
    pub(crate) fn disable_bridge(&mut self) {
        for i in 0..self.c.ports.len() {
            if self.state(i) != PortState::Disabled {
                self.disable_port(i);
            }
        }
        self.c.topology_change = false;
        self.c.topology_change_detected = false;
        self.c.hello_timer = None;
        self.c.topology_change_timer = None;
        self.c.tcn_timer = None;
        self.c.gc_timer = None;
        self.sync_hold_time();
    }

    /// `br_stp_enable_port`.
    pub(crate) fn enable_port(&mut self, i: usize) {
        self.init_port(i);
        self.port_state_selection();
    }

    /// `br_stp_disable_port`: disabled, its learned entries flushed, the tree recomputed.
    pub(crate) fn disable_port(&mut self, i: usize) {
        let was_root = self.c.is_root_bridge();
        self.become_designated_port(i);
        self.set_state(i, PortState::Disabled);
        let Some(p) = self.c.ports.get_mut(i) else { return };
        p.topology_change_ack = false;
        p.config_pending = false;
        p.message_age_timer = None;
        p.forward_delay_timer = None;
        p.hold_timer = None;
        let (no, backup) = (p.port_no(), p.port.backup.load(Ordering::Relaxed));
        if backup == 0 {
            // Without do_all only non-static entries go, and those are never local.
            let o = LocalOwners { ports: &[], has_vlan: &|_, _| true, br_addr: MacAddr::ZERO };
            self.core.fdb.delete_by_port(no, 0, false, &o);
        }
        self.configuration_update();
        self.port_state_selection();
        if self.c.is_root_bridge() && !was_root {
            self.become_root_bridge();
        }
    }

    /// `br_stp_start`: there is no `/sbin/bridge-stp`, so this is always kernel STP.
    pub(crate) fn stp_start(&mut self) {
        let fd = self.c.bridge_forward_delay.clamp(FORWARD_DELAY_RANGE.0, FORWARD_DELAY_RANGE.1);
        if fd != self.c.bridge_forward_delay {
            self.set_forward_delay_raw(fd);
        }
        self.c.stp = StpMode::Kernel;
        self.core.stp_enabled.store(StpMode::Kernel as u8, Ordering::Relaxed);
        if self.c.dev_up {
            self.c.hello_timer = self.after(self.c.hello_time);
        }
        self.port_state_selection();
    }

    /// `br_stp_set_enabled`.
    pub(crate) fn set_enabled(&mut self, on: bool) {
        if on {
            if self.c.stp == StpMode::None {
                self.stp_start();
            }
        } else if self.c.stp != StpMode::None {
            // br_stp_stop: only a user-space STP needed stopping; the kernel's timers die out.
            self.c.stp = StpMode::None;
            self.core.stp_enabled.store(StpMode::None as u8, Ordering::Relaxed);
            self.sync_hold_time();
        }
    }

    /// `br_stp_change_bridge_id`: the FDB entries of the old bridge MAC (`old_dev_addr`) move
    /// to the new one, and so do the designated fields that named the old id.
    pub(crate) fn change_bridge_id(&mut self, addr: MacAddr, old_dev_addr: MacAddr, owners: &LocalOwners<'_>) {
        let was_root = self.c.is_root_bridge();
        let vids: Vec<u16> = self.c.vlans.used_vids();
        self.core.fdb.change_mac_address(old_dev_addr, addr, &vids, owners, self.now);
        let old = self.c.bridge_id.addr;
        self.c.bridge_id.addr = addr;
        for p in &mut self.c.ports {
            if p.designated_bridge.addr == old {
                p.designated_bridge.addr = addr;
            }
            if p.designated_root.addr == old {
                p.designated_root.addr = addr;
            }
        }
        self.configuration_update();
        self.port_state_selection();
        if self.c.is_root_bridge() && !was_root {
            self.become_root_bridge();
        }
    }

    /// `br_stp_set_bridge_priority`.
    pub(crate) fn set_bridge_priority(&mut self, prio: u16) {
        let was_root = self.c.is_root_bridge();
        for i in 0..self.c.ports.len() {
            if self.state(i) != PortState::Disabled && self.c.is_designated_port(i) {
                self.c.ports[i].designated_bridge.prio = prio;
            }
        }
        self.c.bridge_id.prio = prio;
        self.configuration_update();
        self.port_state_selection();
        if self.c.is_root_bridge() && !was_root {
            self.become_root_bridge();
        }
    }

    /// `br_stp_set_port_priority`: ERANGE above 63.
    pub(crate) fn set_port_priority(&mut self, i: usize, prio: u16) -> Result<()> {
        if prio > MAX_PORT_PRIORITY {
            return Err(Error::new(Errno::Erange));
        }
        let designated = self.c.is_designated_port(i);
        let id = self.c.bridge_id;
        let Some(p) = self.c.ports.get_mut(i) else { return Ok(()) };
        let new_id = make_port_id(prio, p.port_no());
        if designated {
            p.designated_port = new_id;
        }
        p.port_id = new_id;
        p.priority = prio;
        if id == p.designated_bridge && p.port_id < p.designated_port {
            self.become_designated_port(i);
            self.port_state_selection();
        }
        Ok(())
    }

    /// `br_stp_set_path_cost`: ERANGE outside 1..65535; the cost is then admin-set.
    pub(crate) fn set_path_cost(&mut self, i: usize, cost: u32) -> Result<()> {
        if !(1..=65535).contains(&cost) {
            return Err(Error::new(Errno::Erange));
        }
        if let Some(p) = self.c.ports.get_mut(i) {
            p.port.update_flags(|f| f.set(PortFlags::ADMIN_COST, true));
            p.path_cost = cost;
        }
        self.configuration_update();
        self.port_state_selection();
        Ok(())
    }

    /// `br_is_designated_for_some_port`.
    fn is_designated_for_some_port(&self) -> bool {
        self.c.ports.iter().any(|p| p.state() != PortState::Disabled && p.designated_bridge == self.c.bridge_id)
    }

    /// Run every timer due at `now`, earliest first (ties: bridge timers, then each port's in
    /// list order).
    pub(crate) fn run_expired(&mut self) {
        // Every expiry clears its timer and re-arms at least a jiffy later, so this ends; the
        // bound is a backstop against a livelock at one instant.
        for _ in 0..100_000 {
            let now = self.now;
            let mut best: Option<(u64, TimerKind)> = None;
            let mut consider = |t: Option<u64>, k: TimerKind| {
                if let Some(d) = t.filter(|&d| d <= now)
                    && best.is_none_or(|(b, _)| d < b)
                {
                    best = Some((d, k));
                }
            };
            consider(self.c.hello_timer, TimerKind::Hello);
            consider(self.c.tcn_timer, TimerKind::Tcn);
            consider(self.c.topology_change_timer, TimerKind::TopologyChange);
            consider(self.c.gc_timer, TimerKind::Gc);
            for (i, p) in self.c.ports.iter().enumerate() {
                consider(p.message_age_timer, TimerKind::MessageAge(i));
                consider(p.forward_delay_timer, TimerKind::ForwardDelay(i));
                consider(p.hold_timer, TimerKind::Hold(i));
            }
            let Some((_, kind)) = best else { break };
            self.expire(kind);
        }
    }

    /// One timer expiry (the `br_*_timer_expired` functions and `br_fdb_cleanup`).
    fn expire(&mut self, kind: TimerKind) {
        match kind {
            TimerKind::Hello => {
                // br_hello_timer_expired
                self.c.hello_timer = None;
                if self.c.dev_up {
                    self.config_bpdu_generation();
                    if self.c.stp == StpMode::Kernel {
                        self.c.hello_timer = Some(round_jiffies(self.now + self.c.hello_time.max(JIFFY), self.now));
                    }
                }
            }
            TimerKind::Tcn => {
                // br_tcn_timer_expired
                self.c.tcn_timer = None;
                if !self.c.is_root_bridge() && self.c.dev_up {
                    self.transmit_tcn();
                    self.c.tcn_timer = self.after(self.c.bridge_hello_time);
                }
            }
            TimerKind::TopologyChange => {
                // br_topology_change_timer_expired
                self.c.topology_change_timer = None;
                self.c.topology_change_detected = false;
                self.set_topology_change(false);
            }
            TimerKind::Gc => {
                // br_fdb_cleanup
                let delay = self.core.fdb.cleanup(self.c.hold_time(), self.now);
                self.c.gc_timer = self.after(delay);
            }
            TimerKind::MessageAge(i) => {
                // br_message_age_timer_expired
                self.c.ports[i].message_age_timer = None;
                if self.state(i) == PortState::Disabled {
                    return;
                }
                let was_root = self.c.is_root_bridge();
                self.become_designated_port(i);
                self.configuration_update();
                self.port_state_selection();
                if self.c.is_root_bridge() && !was_root {
                    self.become_root_bridge();
                }
            }
            TimerKind::ForwardDelay(i) => {
                // br_forward_delay_timer_expired
                self.c.ports[i].forward_delay_timer = None;
                match self.state(i) {
                    PortState::Listening => {
                        self.set_state(i, PortState::Learning);
                        self.c.ports[i].forward_delay_timer = self.after(self.c.forward_delay);
                    }
                    PortState::Learning => {
                        self.set_state(i, PortState::Forwarding);
                        if self.is_designated_for_some_port() {
                            self.topology_change_detection();
                        }
                        self.c.want_carrier = Some(Carrier::On);
                    }
                    _ => {}
                }
            }
            TimerKind::Hold(i) => {
                // br_hold_timer_expired
                self.c.ports[i].hold_timer = None;
                if self.c.ports[i].config_pending {
                    self.transmit_config(i);
                }
            }
        }
    }
}

/// Which timer expired.
#[derive(Clone, Copy, Debug)]
enum TimerKind {
    Hello,
    Tcn,
    TopologyChange,
    Gc,
    MessageAge(usize),
    ForwardDelay(usize),
    Hold(usize),
}

/// `STP_HZ`: BPDU times are in 1/256 s.
const STP_HZ: u64 = 256;

/// `br_set_ticks`.
fn to_ticks(ns: u64) -> u16 {
    (ns.saturating_mul(STP_HZ) / NSEC_PER_SEC) as u16
}

/// `br_get_ticks`.
fn from_ticks(t: u16) -> u64 {
    (u64::from(t) * NSEC_PER_SEC).div_ceil(STP_HZ)
}

/// `BPDU_TYPE_CONFIG`.
const BPDU_TYPE_CONFIG: u8 = 0;
/// `BPDU_TYPE_TCN`.
const BPDU_TYPE_TCN: u8 = 0x80;
/// `LLC_SAP_BSPAN`.
const LLC_SAP_BSPAN: u8 = 0x42;
/// `LLC_PDU_TYPE_U` with the UI command (`llc_pdu_init_as_ui_cmd`).
const LLC_UI: u8 = 0x03;

/// `br_send_bpdu`: the whole frame, an 802.3 frame with an LLC header (`llc_mac_hdr_init`):
/// destination the group address, source the port's MAC, the length field, DSAP/SSAP 0x42,
/// UI, then the BPDU. Not padded.
pub(crate) fn bpdu_frame(b: &Bpdu, dst: MacAddr, src: MacAddr) -> Vec<u8> {
    let mut body = Vec::with_capacity(35);
    match b {
        Bpdu::Tcn => body.extend_from_slice(&[0, 0, 0, BPDU_TYPE_TCN]),
        Bpdu::Config(c) => {
            body.extend_from_slice(&[0, 0, 0, BPDU_TYPE_CONFIG]);
            body.push(u8::from(c.topology_change) | if c.topology_change_ack { 0x80 } else { 0 });
            body.extend_from_slice(&c.root.octets());
            body.extend_from_slice(&c.root_path_cost.to_be_bytes());
            body.extend_from_slice(&c.bridge_id.octets());
            body.extend_from_slice(&c.port_id.to_be_bytes());
            for t in [c.message_age, c.max_age, c.hello_time, c.forward_delay] {
                body.extend_from_slice(&to_ticks(t).to_be_bytes());
            }
        }
    }
    let mut f = Vec::with_capacity(14 + 3 + body.len());
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&((3 + body.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[LLC_SAP_BSPAN, LLC_SAP_BSPAN, LLC_UI]);
    f.extend_from_slice(&body);
    f
}

/// `stp_pdu_rcv` + `br_stp_rcv`'s parsing: the LLC header and BPDU after the Ethernet header.
/// `None` for anything that is not an STP BPDU (wrong SAPs, protocol id or version, too short)
/// or a config BPDU older than its max age.
pub(crate) fn parse_bpdu(d: &[u8]) -> Option<Bpdu> {
    if d.get(..3)? != [LLC_SAP_BSPAN, LLC_SAP_BSPAN, LLC_UI] {
        return None;
    }
    let b = d.get(3..)?;
    if b.get(..3)? != [0, 0, 0] {
        return None;
    }
    match *b.get(3)? {
        BPDU_TYPE_TCN => Some(Bpdu::Tcn),
        BPDU_TYPE_CONFIG => {
            let b = b.get(3..35)?;
            let id = |o: usize| -> Option<BridgeId> { Some(BridgeId::from_octets(b.get(o..o + 8)?.try_into().ok()?)) };
            let u16_at = |o: usize| -> Option<u16> { Some(u16::from_be_bytes(b.get(o..o + 2)?.try_into().ok()?)) };
            let c = ConfigBpdu {
                topology_change: b.get(1)? & 0x01 != 0,
                topology_change_ack: b.get(1)? & 0x80 != 0,
                root: id(2)?,
                root_path_cost: u32::from_be_bytes(b.get(10..14)?.try_into().ok()?),
                bridge_id: id(14)?,
                port_id: u16_at(22)?,
                message_age: from_ticks(u16_at(24)?),
                max_age: from_ticks(u16_at(26)?),
                hello_time: from_ticks(u16_at(28)?),
                forward_delay: from_ticks(u16_at(30)?),
            };
            (c.message_age <= c.max_age).then_some(Bpdu::Config(c))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpdu_round_trips_through_the_wire_format() {
        let c = ConfigBpdu {
            topology_change: true,
            topology_change_ack: false,
            root: BridgeId { prio: 0x8000, addr: MacAddr([2, 0, 0, 0, 0, 1]) },
            root_path_cost: 4,
            bridge_id: BridgeId { prio: 0x8000, addr: MacAddr([2, 0, 0, 0, 0, 2]) },
            port_id: 0x8002,
            message_age: NSEC_PER_SEC,
            max_age: 20 * NSEC_PER_SEC,
            hello_time: 2 * NSEC_PER_SEC,
            forward_delay: 15 * NSEC_PER_SEC,
        };
        let f = bpdu_frame(&Bpdu::Config(c), crate::types::STP_GROUP_ADDR, MacAddr([2, 0, 0, 0, 0, 9]));
        assert_eq!(f.len(), 14 + 3 + 35, "config BPDUs are 52-byte frames");
        assert_eq!(&f[12..17], &[0, 38, 0x42, 0x42, 0x03]);
        assert_eq!(&f[22..24], &[0x80, 0x00], "root priority");
        assert_eq!(&f[44..46], &[1, 0], "message age 1 s = 256 ticks");
        assert_eq!(parse_bpdu(&f[14..]), Some(Bpdu::Config(c)));
        let t = bpdu_frame(&Bpdu::Tcn, crate::types::STP_GROUP_ADDR, MacAddr([2, 0, 0, 0, 0, 9]));
        assert_eq!(t.len(), 21);
        assert_eq!(parse_bpdu(&t[14..]), Some(Bpdu::Tcn));
        assert_eq!(parse_bpdu(&t[14..18]), None);
        assert_eq!(parse_bpdu(&[0x42, 0x42, 0x03, 0, 0, 1, 0]), None, "version must be 0");
        let mut old = c;
        old.message_age = 21 * NSEC_PER_SEC;
        let f = bpdu_frame(&Bpdu::Config(old), crate::types::STP_GROUP_ADDR, MacAddr([2, 0, 0, 0, 0, 9]));
        assert_eq!(parse_bpdu(&f[14..]), None, "older than max age");
        assert_eq!(parse_bpdu(&f[14..40]), None, "truncated");
    }

    #[test]
    fn round_jiffies_rounds_to_whole_seconds() {
        let s = NSEC_PER_SEC;
        assert_eq!(round_jiffies(5 * s + s / 10, 0), 5 * s);
        assert_eq!(round_jiffies(5 * s + s / 2, 0), 6 * s);
        assert_eq!(round_jiffies(5 * s + s / 10, 5 * s), 5 * s + s / 10, "never at or before now");
        assert_eq!(make_port_id(32, 1), 0x8001);
        assert_eq!(make_port_id(63, 1023), 0xffff);
    }
}
