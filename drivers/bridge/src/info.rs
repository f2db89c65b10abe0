//! What the bridge shows: structured views for `ip -d link`, `bridge link|fdb|vlan` and
//! `/sys/class/net/BR/bridge/*`, `/sys/class/net/PORT/brport/*` (`br_fill_info`,
//! `br_port_fill_attrs`, `fdb_fill_info`), and the text iproute2 6.1 prints for the first two.

use std::fmt::{self, Write};
use std::sync::atomic::Ordering;

use netdev_core::MacAddr;

use crate::config::vlan_proto_name;
use crate::device::BridgeCore;
use crate::fdb::{
    FDB_ADDED_BY_EXT_LEARN, FDB_ADDED_BY_USER, FDB_LOCAL, FDB_LOCKED, FDB_OFFLOADED, FDB_STATIC, FDB_STICKY,
};
use crate::stp::{McastOptions, PortCtl, StpXstats};
use crate::types::{BridgeId, PortFlags, PortState, ns_to_cs};

/// A bridge's attributes (`IFLA_BR_*` as `br_fill_info` reports them). Times in centiseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the names are the kernel's attributes and iproute2's keywords
pub struct BridgeInfo {
    pub forward_delay: u64,
    pub hello_time: u64,
    pub max_age: u64,
    pub ageing_time: u64,
    pub stp_state: u32,
    pub priority: u16,
    pub vlan_filtering: u8,
    pub bridge_id: BridgeId,
    pub root_id: BridgeId,
    pub root_port: u16,
    pub root_path_cost: u32,
    pub topology_change: bool,
    pub topology_change_detected: bool,
    pub hello_timer: u64,
    pub tcn_timer: u64,
    pub topology_change_timer: u64,
    pub gc_timer: u64,
    pub group_fwd_mask: u16,
    pub group_addr: MacAddr,
    pub no_linklocal_learn: bool,
    pub fdb_n_learned: u32,
    pub fdb_max_learned: u32,
    /// `Some` only when the kernel has `CONFIG_BRIDGE_VLAN_FILTERING`: the VLAN protocol and the
    /// default PVID.
    pub vlan: Option<(u16, u16)>,
    pub mcast: McastOptions,
}

/// `%4i.%.2i` of a centisecond timer value (`_print_timer`).
fn timer(cs: u64) -> String {
    format!("{:4}.{:02}", cs / 100, cs % 100)
}

/// C's `%#x` (no prefix for 0).
fn hex0(v: u16) -> String {
    if v == 0 { "0".into() } else { format!("{v:#x}") }
}

impl BridgeInfo {
    /// The attributes as iproute2 6.1 prints them after `bridge ` in `ip -d link`
    /// (`bridge_print_opt`): each one followed by a space.
    pub fn write_iproute2(&self, out: &mut dyn Write) -> fmt::Result {
        write!(
            out,
            "forward_delay {} hello_time {} max_age {} ageing_time {} stp_state {} priority {} vlan_filtering {} ",
            self.forward_delay,
            self.hello_time,
            self.max_age,
            self.ageing_time,
            self.stp_state,
            self.priority,
            self.vlan_filtering
        )?;
        if let Some((proto, _)) = self.vlan {
            write!(out, "vlan_protocol {} ", vlan_proto_name(proto))?;
        }
        write!(
            out,
            "bridge_id {} designated_root {} root_port {} root_path_cost {} topology_change {} \
             topology_change_detected {} hello_timer {} tcn_timer {} topology_change_timer {} gc_timer {} ",
            self.bridge_id.iproute2(),
            self.root_id.iproute2(),
            self.root_port,
            self.root_path_cost,
            u8::from(self.topology_change),
            u8::from(self.topology_change_detected),
            timer(self.hello_timer),
            timer(self.tcn_timer),
            timer(self.topology_change_timer),
            timer(self.gc_timer),
        )?;
        let m = &self.mcast;
        if let Some((_, pvid)) = self.vlan {
            write!(
                out,
                "vlan_default_pvid {pvid} vlan_stats_enabled {} vlan_stats_per_port {} ",
                m.vlan_stats_enabled, m.vlan_stats_per_port
            )?;
        }
        write!(
            out,
            "group_fwd_mask {} group_address {} mcast_snooping {} no_linklocal_learn {} mcast_vlan_snooping {} \
             mcast_router {} mcast_query_use_ifaddr {} mcast_querier {} mcast_hash_elasticity {} mcast_hash_max {} \
             mcast_last_member_count {} mcast_startup_query_count {} mcast_last_member_interval {} \
             mcast_membership_interval {} mcast_querier_interval {} mcast_query_interval {} \
             mcast_query_response_interval {} mcast_startup_query_interval {} mcast_stats_enabled {} \
             mcast_igmp_version {} mcast_mld_version {} nf_call_iptables {} nf_call_ip6tables {} \
             nf_call_arptables {} ",
            hex0(self.group_fwd_mask),
            self.group_addr,
            m.mcast_snooping,
            u8::from(self.no_linklocal_learn),
            m.mcast_vlan_snooping,
            m.mcast_router,
            m.mcast_query_use_ifaddr,
            m.mcast_querier,
            m.mcast_hash_elasticity,
            m.mcast_hash_max,
            m.mcast_last_member_count,
            m.mcast_startup_query_count,
            m.mcast_last_member_interval,
            m.mcast_membership_interval,
            m.mcast_querier_interval,
            m.mcast_query_interval,
            m.mcast_query_response_interval,
            m.mcast_startup_query_interval,
            m.mcast_stats_enabled,
            m.mcast_igmp_version,
            m.mcast_mld_version,
            m.nf_call_iptables,
            m.nf_call_ip6tables,
            m.nf_call_arptables,
        )
    }
}

/// A port's attributes (`IFLA_BRPORT_*`, `br_port_fill_attrs`). Timers in centiseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the names are the kernel's attributes and iproute2's keywords
pub struct PortInfo {
    /// The port device's ifindex.
    pub ifindex: u32,
    pub state: PortState,
    pub priority: u16,
    pub cost: u32,
    pub flags: PortFlags,
    pub port_id: u16,
    pub port_no: u16,
    pub designated_port: u16,
    pub designated_cost: u32,
    pub designated_bridge: BridgeId,
    pub designated_root: BridgeId,
    pub hold_timer: u64,
    pub message_age_timer: u64,
    pub forward_delay_timer: u64,
    pub topology_change_ack: bool,
    pub config_pending: bool,
    pub mcast_router: u8,
    pub group_fwd_mask: u16,
    /// The backup port's ifindex.
    pub backup_port: Option<u32>,
    pub xstats: StpXstats,
}

/// iproute2's `print_on_off`.
fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// `_bitmask2str` with iproute2's names for bits 0, 2 and 14.
fn fwd_mask_str(mask: u16) -> String {
    let mut parts = Vec::new();
    for i in 0..16 {
        if mask & (1 << i) != 0 {
            parts.push(match i {
                0 => "stp".to_string(),
                2 => "lacp".to_string(),
                14 => "lldp".to_string(),
                _ => format!("0x{:x}", 1u32 << i),
            });
        }
    }
    if parts.is_empty() { "0x0".into() } else { parts.join(",") }
}

impl PortInfo {
    /// The attributes as iproute2 6.1 prints them after `bridge_slave ` in `ip -d link`
    /// (`bridge_slave_print_opt`): each one followed by a space. `backup` is the backup port's
    /// name, if any.
    pub fn write_iproute2(&self, backup: Option<&str>, out: &mut dyn Write) -> fmt::Result {
        let f = self.flags;
        write!(
            out,
            "state {} priority {} cost {} hairpin {} guard {} root_block {} fastleave {} learning {} flood {} \
             port_id {:#x} port_no {:#x} designated_port {} designated_cost {} designated_bridge {} \
             designated_root {} hold_timer {} message_age_timer {} forward_delay_timer {} \
             topology_change_ack {} config_pending {} proxy_arp {} proxy_arp_wifi {} mcast_router {} \
             mcast_fast_leave {} mcast_flood {} bcast_flood {} mcast_to_unicast {} neigh_suppress {} \
             group_fwd_mask {} group_fwd_mask_str {} vlan_tunnel {} isolated {} locked {} ",
            self.state,
            self.priority,
            self.cost,
            on_off(f.contains(PortFlags::HAIRPIN)),
            on_off(f.contains(PortFlags::BPDU_GUARD)),
            on_off(f.contains(PortFlags::ROOT_BLOCK)),
            on_off(f.contains(PortFlags::FAST_LEAVE)),
            on_off(f.contains(PortFlags::LEARNING)),
            on_off(f.contains(PortFlags::FLOOD)),
            self.port_id,
            self.port_no,
            self.designated_port,
            self.designated_cost,
            self.designated_bridge.iproute2(),
            self.designated_root.iproute2(),
            timer(self.hold_timer),
            timer(self.message_age_timer),
            timer(self.forward_delay_timer),
            u8::from(self.topology_change_ack),
            u8::from(self.config_pending),
            on_off(f.contains(PortFlags::PROXYARP)),
            on_off(f.contains(PortFlags::PROXYARP_WIFI)),
            self.mcast_router,
            on_off(f.contains(PortFlags::FAST_LEAVE)),
            on_off(f.contains(PortFlags::MCAST_FLOOD)),
            on_off(f.contains(PortFlags::BCAST_FLOOD)),
            on_off(f.contains(PortFlags::MCAST_TO_UCAST)),
            on_off(f.contains(PortFlags::NEIGH_SUPPRESS)),
            hex0(self.group_fwd_mask),
            fwd_mask_str(self.group_fwd_mask),
            on_off(f.contains(PortFlags::VLAN_TUNNEL)),
            on_off(f.contains(PortFlags::ISOLATED)),
            on_off(f.contains(PortFlags::LOCKED)),
        )?;
        if let Some(b) = backup {
            write!(out, "backup_port {b} ")?;
        }
        Ok(())
    }
}

/// The NUD state an FDB entry is reported with (`fdb_to_nud`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdbNud {
    /// `NUD_PERMANENT`: a local entry (`permanent`).
    Permanent,
    /// `NUD_NOARP`: a static entry (`static`).
    Noarp,
    /// `NUD_REACHABLE`: a dynamic entry (no keyword).
    Reachable,
    /// `NUD_STALE`: a dynamic entry past its hold time, not yet collected (`stale`).
    Stale,
}

/// One FDB entry as `bridge fdb show` gets it (`fdb_fill_info`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdbEntryInfo {
    /// `NDA_LLADDR`.
    pub mac: MacAddr,
    /// `NDA_VLAN` (0: none).
    pub vid: u16,
    /// `ndm_ifindex`: the port device, or `None` for the bridge itself.
    pub port_ifindex: Option<u32>,
    /// `ndm_state`.
    pub state: FdbNud,
    /// `NTF_STICKY`.
    pub sticky: bool,
    /// `NTF_EXT_LEARNED`.
    pub extern_learn: bool,
    /// `NTF_OFFLOADED`.
    pub offloaded: bool,
    /// `NTF_EXT_LOCKED`.
    pub locked: bool,
    /// Added by the user (`bridge fdb add`).
    pub added_by_user: bool,
    /// `ndm_used`: centiseconds since the entry last forwarded a frame.
    pub used: u64,
    /// `ndm_updated`: centiseconds since a frame from the address was last seen.
    pub updated: u64,
}

impl BridgeCore {
    /// Virtual time (0 once the World is gone).
    fn now(&self) -> u64 {
        self.world.now().unwrap_or(0)
    }

    /// `br_fill_info`.
    pub(crate) fn info(&self) -> BridgeInfo {
        let now = self.now();
        let c = self.ctl.lock();
        let left = |t: Option<u64>| t.map_or(0, |d| ns_to_cs(d.saturating_sub(now)));
        BridgeInfo {
            forward_delay: ns_to_cs(c.forward_delay),
            hello_time: ns_to_cs(c.hello_time),
            max_age: ns_to_cs(c.max_age),
            ageing_time: ns_to_cs(c.ageing_time),
            stp_state: c.stp as u32,
            priority: c.bridge_id.prio,
            vlan_filtering: u8::from(c.vlan_enabled),
            bridge_id: c.bridge_id,
            root_id: c.designated_root,
            root_port: c.root_port,
            root_path_cost: c.root_path_cost,
            topology_change: c.topology_change,
            topology_change_detected: c.topology_change_detected,
            hello_timer: left(c.hello_timer),
            tcn_timer: left(c.tcn_timer),
            topology_change_timer: left(c.topology_change_timer),
            gc_timer: left(c.gc_timer),
            group_fwd_mask: c.group_fwd_mask,
            group_addr: c.group_addr,
            no_linklocal_learn: c.no_ll_learn,
            fdb_n_learned: self.fdb.n_learned(),
            fdb_max_learned: self.fdb.max_learned(),
            vlan: self.kconfig.vlan_filtering.then_some((c.vlan_proto, c.default_pvid)),
            mcast: c.opts.clone(),
        }
    }

    /// `br_port_fill_attrs` for every port, in list order (newest first).
    pub(crate) fn port_infos(&self) -> Vec<PortInfo> {
        let now = self.now();
        let c = self.ctl.lock();
        c.ports.iter().map(|p| port_info(p, &c.ports, now)).collect()
    }

    /// The FDB as `bridge fdb show` dumps it (newest first).
    pub(crate) fn fdb_infos(&self) -> Vec<FdbEntryInfo> {
        let now = self.now();
        let hold = self.hold_time.load(Ordering::Relaxed);
        let ports = self.ports.load();
        self.fdb
            .entries()
            .iter()
            .map(|e| {
                let f = e.flags();
                let dst = e.dst();
                let port_ifindex = if dst == 0 {
                    None
                } else {
                    Some(ports.get(dst).and_then(|p| p.dev.load_full()).map_or(0, |d| d.ifindex()))
                };
                let state = if f & FDB_LOCAL != 0 {
                    FdbNud::Permanent
                } else if f & FDB_STATIC != 0 {
                    FdbNud::Noarp
                } else if e.has_expired(hold, now) {
                    FdbNud::Stale
                } else {
                    FdbNud::Reachable
                };
                FdbEntryInfo {
                    mac: e.addr,
                    vid: e.vid,
                    port_ifindex,
                    state,
                    sticky: f & FDB_STICKY != 0,
                    extern_learn: f & FDB_ADDED_BY_EXT_LEARN != 0,
                    offloaded: f & FDB_OFFLOADED != 0,
                    locked: f & FDB_LOCKED != 0,
                    added_by_user: f & FDB_ADDED_BY_USER != 0,
                    used: ns_to_cs(now.saturating_sub(e.used.load(Ordering::Relaxed))),
                    updated: ns_to_cs(now.saturating_sub(e.updated.load(Ordering::Relaxed))),
                }
            })
            .collect()
    }
}

/// `br_port_fill_attrs` for one port.
fn port_info(p: &PortCtl, all: &[PortCtl], now: u64) -> PortInfo {
    let left = |t: Option<u64>| t.map_or(0, |d| ns_to_cs(d.saturating_sub(now)));
    let backup = p.port.backup.load(Ordering::Relaxed);
    let backup_port = (backup != 0)
        .then(|| all.iter().find(|q| q.port_no() == backup).and_then(|q| q.port.dev.load_full()).map(|d| d.ifindex()))
        .flatten();
    PortInfo {
        ifindex: p.port.dev.load_full().map_or(0, |d| d.ifindex()),
        state: p.state(),
        priority: p.priority,
        cost: p.path_cost,
        flags: p.port.flags(),
        port_id: p.port_id,
        port_no: p.port_no(),
        designated_port: p.designated_port,
        designated_cost: p.designated_cost,
        designated_bridge: p.designated_bridge,
        designated_root: p.designated_root,
        hold_timer: left(p.hold_timer),
        message_age_timer: left(p.message_age_timer),
        forward_delay_timer: left(p.forward_delay_timer),
        topology_change_ack: p.topology_change_ack,
        config_pending: p.config_pending,
        mcast_router: p.mcast_router,
        group_fwd_mask: p.port.group_fwd_mask.load(Ordering::Relaxed),
        backup_port,
        xstats: p.xstats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_and_masks_print_like_iproute2() {
        assert_eq!(timer(0), "   0.00");
        assert_eq!(timer(1444), "  14.44");
        assert_eq!(timer(30012), " 300.12");
        assert_eq!(hex0(0), "0");
        assert_eq!(hex0(0x4000), "0x4000");
        assert_eq!(fwd_mask_str(0), "0x0");
        assert_eq!(fwd_mask_str(0x4005), "stp,lacp,lldp");
        assert_eq!(fwd_mask_str(0x8), "0x8");
    }
}
