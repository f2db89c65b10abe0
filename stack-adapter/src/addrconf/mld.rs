//! MLD as a host runs it without any querier around (net/ipv6/mcast.c): group membership per
//! device, and the unsolicited reports that joining, leaving, link-up and the end of DAD send.
//!
//! The groups here are the kernel's own (`ipv6_dev_mc_inc`): all-nodes, interface-local
//! all-nodes, solicited-node groups, the all-routers groups of a router. They are joined in
//! EXCLUDE mode with no sources, so of MLDv2's records only CHANGE_TO_EXCLUDE (join) and
//! CHANGE_TO_INCLUDE (leave) ever appear. ff02::1 and groups narrower than link scope are never
//! reported (`MAF_NOREPORT`, set in `mca_alloc`).
//!
//! Robustness: each change is reported `mc_qrv` (2) times, the first 2 jiffies after it and the
//! next a random time below the unsolicited report interval later (`mld_ifc_event`,
//! `mld_ifc_start_work`, `mld_ifc_work`). While the only link-local address is tentative the
//! reports leave from :: (`mld_newpack` takes `ipv6_get_lladdr(.., IFA_F_TENTATIVE)`); when DAD
//! completes, `ipv6_mc_dad_complete` sends every group again from the link-local, once at once
//! and once after a random delay. Queries, source filters and the MLDv1-querier fallback are
//! not modelled (no querier exists in a simulated namespace unless one is written).

use std::net::Ipv6Addr;

use super::AddrFlags;
use super::Output;
use super::idev::{Ctx, Idev, Timer, TimerKind};
use super::msecs_to_jiffies;
use super::wire::{self, MLD2_GREC_LEN, MLD2_REPORT_OVERHEAD, Mld2Record};

/// `MLD_QRV_DEFAULT` (`sysctl_mld_qrv`): the robustness variable.
const MLD_QRV_DEFAULT: u32 = 2;

/// One group on the device (`struct ifmcaddr6`).
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) addr: Ipv6Addr,
    /// `mca_users`: how many joined it.
    pub(crate) users: u32,
    /// `MAF_NOREPORT`.
    noreport: bool,
    /// `MAF_LOADED`: its link-layer address is in the device's multicast list.
    loaded: bool,
    /// `mca_crcount`: change reports still to send.
    crcount: u32,
    /// `mca_work` (MLDv1 repeat of the join report).
    timer: Option<Timer>,
    /// `MAF_LAST_REPORTER` (MLDv1: a done is sent on leave).
    last_reporter: bool,
}

/// A left group whose leave is still being reported (`idev->mc_tomb`).
#[derive(Clone, Debug)]
struct Tomb {
    addr: Ipv6Addr,
    crcount: u32,
}

/// The MLD half of `struct inet6_dev`.
#[derive(Debug)]
pub(crate) struct Mld {
    /// `idev->mc_list`: newest first, the order `ip -6 maddr` prints.
    pub(crate) groups: Vec<Group>,
    tomb: Vec<Tomb>,
    qrv: u32,
    ifc_count: u32,
    ifc: Option<Timer>,
    dad_count: u32,
    dad: Option<Timer>,
}

impl Default for Mld {
    fn default() -> Mld {
        Mld {
            groups: Vec::new(),
            tomb: Vec::new(),
            qrv: MLD_QRV_DEFAULT,
            ifc_count: 0,
            ifc: None,
            dad_count: 0,
            dad: None,
        }
    }
}

impl Mld {
    /// The armed MLD timers.
    pub(crate) fn timers(&self) -> impl Iterator<Item = (Timer, TimerKind)> + '_ {
        let ifc = self.ifc.map(|t| (t, TimerKind::MldIfc));
        let dad = self.dad.map(|t| (t, TimerKind::MldDad));
        let groups = self.groups.iter().filter_map(|g| g.timer.map(|t| (t, TimerKind::MldGroup(g.addr))));
        ifc.into_iter().chain(dad).chain(groups)
    }
}

/// `IPV6_ADDR_MC_SCOPE`.
fn mc_scope(group: Ipv6Addr) -> u8 {
    group.octets()[1] & 0x0f
}

/// `IPV6_ADDR_SCOPE_LINKLOCAL`.
const SCOPE_LINKLOCAL: u8 = 2;

impl Idev {
    /// `mld_in_v1_mode` without a querier: only `force_mld_version = 1`.
    fn mld_v1(ctx: &Ctx<'_>) -> bool {
        ctx.cnf.force_mld_version == 1
    }

    /// `unsolicited_report_interval`, in jiffies, at least 1.
    fn report_interval(ctx: &Ctx<'_>) -> u64 {
        let ms = if Self::mld_v1(ctx) {
            ctx.cnf.mldv1_unsolicited_report_interval_ms
        } else {
            ctx.cnf.mldv2_unsolicited_report_interval_ms
        };
        msecs_to_jiffies(ms).max(1)
    }

    /// The source of MLD messages: the link-local once it is no longer tentative, else ::.
    fn mld_src(&self) -> Ipv6Addr {
        self.lladdr(AddrFlags::TENTATIVE).unwrap_or(Ipv6Addr::UNSPECIFIED)
    }

    /// The link-layer multicast address `ndisc_mc_map` gives (Ethernet-like devices only).
    fn mc_mac(&self, group: Ipv6Addr) -> Option<[u8; 6]> {
        (self.link.mac.is_some() && !self.link.is_loopback).then(|| wire::multicast_mac(group))
    }

    /// `ipv6_dev_mc_inc`.
    pub(crate) fn mc_inc(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        if let Some(g) = self.mld.groups.iter_mut().find(|g| g.addr == addr) {
            g.users += 1;
            return;
        }
        let noreport = addr == wire::ALL_NODES || mc_scope(addr) < SCOPE_LINKLOCAL;
        let group = Group { addr, users: 1, noreport, loaded: false, crcount: 0, timer: None, last_reporter: false };
        self.mld.groups.insert(0, group);
        self.del_delrec(addr);
        self.group_added(addr, ctx);
    }

    /// `__ipv6_dev_mc_dec`.
    pub(crate) fn mc_dec(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        let Some(i) = self.mld.groups.iter().position(|g| g.addr == addr) else { return };
        self.mld.groups[i].users -= 1;
        if self.mld.groups[i].users == 0 {
            let mut g = self.mld.groups.remove(i);
            self.group_dropped(&mut g, ctx);
        }
    }

    /// `mld_del_delrec`: a group joined again is no longer being reported as left, and its join
    /// is reported `qrv` times.
    fn del_delrec(&mut self, addr: Ipv6Addr) {
        if let Some(t) = self.mld.tomb.iter().position(|t| t.addr == addr) {
            self.mld.tomb.remove(t);
            let qrv = self.mld.qrv;
            if let Some(g) = self.mld.groups.iter_mut().find(|g| g.addr == addr) {
                g.crcount = qrv;
            }
        }
    }

    /// `igmp6_group_added`.
    fn group_added(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        if mc_scope(addr) < SCOPE_LINKLOCAL {
            return;
        }
        let ifindex = self.ifindex();
        let mac = self.mc_mac(addr);
        let (up, qrv) = (self.up, self.mld.qrv);
        let Some(g) = self.mld.groups.iter_mut().find(|g| g.addr == addr) else { return };
        if !g.loaded {
            g.loaded = true;
            if let Some(mac) = mac {
                ctx.out.push(Output::LinkMcAdd { ifindex, mac });
            }
        }
        if !up || g.noreport {
            return;
        }
        if Self::mld_v1(ctx) {
            self.join_group_v1(addr, ctx);
            return;
        }
        g.crcount = qrv;
        self.ifc_event(ctx);
    }

    /// `igmp6_group_dropped`.
    fn group_dropped(&mut self, g: &mut Group, ctx: &mut Ctx<'_>) {
        if mc_scope(g.addr) < SCOPE_LINKLOCAL {
            return;
        }
        if g.loaded {
            g.loaded = false;
            if let Some(mac) = self.mc_mac(g.addr) {
                ctx.out.push(Output::LinkMcDel { ifindex: self.ifindex(), mac });
            }
        }
        if g.noreport {
            return;
        }
        if !self.dead {
            self.leave_group(g, ctx);
        }
        g.timer = None;
    }

    /// `igmp6_leave_group`: MLDv1 sends a done if we sent the last report; MLDv2 reports the
    /// leave `qrv` times from the tomb (`mld_add_delrec`).
    fn leave_group(&mut self, g: &Group, ctx: &mut Ctx<'_>) {
        if Self::mld_v1(ctx) {
            if g.last_reporter {
                let pkt = wire::mld1(self.mld_src(), wire::ICMPV6_MGM_REDUCTION, g.addr);
                self.send(ctx, wire::ALL_ROUTERS, pkt);
            }
        } else {
            self.mld.tomb.insert(0, Tomb { addr: g.addr, crcount: self.mld.qrv });
            self.ifc_event(ctx);
        }
    }

    /// `mld_ifc_event`.
    fn ifc_event(&mut self, ctx: &mut Ctx<'_>) {
        if Self::mld_v1(ctx) {
            return;
        }
        self.mld.ifc_count = self.mld.qrv;
        self.ifc_start(1, ctx);
    }

    /// `mld_ifc_start_work`: a random part of `delay`, plus 2 jiffies.
    fn ifc_start(&mut self, delay: u64, ctx: &mut Ctx<'_>) {
        let tv = ctx.below(delay);
        self.mld.ifc = Some(ctx.arm(tv + 2));
    }

    /// `mld_ifc_work`.
    pub(crate) fn mld_ifc_work(&mut self, ctx: &mut Ctx<'_>) {
        self.mld.ifc = None;
        self.send_cr(ctx);
        if self.mld.ifc_count > 0 {
            self.mld.ifc_count -= 1;
            if self.mld.ifc_count > 0 {
                let iv = Self::report_interval(ctx);
                self.ifc_start(iv, ctx);
            }
        }
    }

    /// `mld_send_cr`: the pending leaves (tomb) first, then the pending joins.
    fn send_cr(&mut self, ctx: &mut Ctx<'_>) {
        let mut records = Vec::new();
        for t in &mut self.mld.tomb {
            if t.crcount > 0 {
                records.push((Mld2Record::ChangeToInclude, t.addr));
                t.crcount -= 1;
            }
        }
        self.mld.tomb.retain(|t| t.crcount > 0);
        for g in &mut self.mld.groups {
            if g.crcount > 0 {
                if !g.noreport {
                    records.push((Mld2Record::ChangeToExclude, g.addr));
                }
                g.crcount -= 1;
            }
        }
        self.send_records(&records, ctx);
    }

    /// `mld_send_initial_cr`: every reportable group, as a join.
    fn send_initial_cr(&mut self, ctx: &mut Ctx<'_>) {
        if Self::mld_v1(ctx) {
            return;
        }
        let records: Vec<_> =
            self.mld.groups.iter().filter(|g| !g.noreport).map(|g| (Mld2Record::ChangeToExclude, g.addr)).collect();
        self.send_records(&records, ctx);
    }

    /// Records into as many reports as the MTU needs (`add_grec` starts a new packet when a
    /// record no longer fits). The kernel also caps the skb at about half a page plus slab
    /// slack, which only matters with jumbo MTUs and is not modelled.
    fn send_records(&self, records: &[(Mld2Record, Ipv6Addr)], ctx: &mut Ctx<'_>) {
        if records.is_empty() || self.link.mtu < 1280 {
            return;
        }
        let per_packet = ((self.link.mtu as usize).saturating_sub(MLD2_REPORT_OVERHEAD) / MLD2_GREC_LEN).max(1);
        let src = self.mld_src();
        for chunk in records.chunks(per_packet) {
            self.send(ctx, wire::ALL_MLDV2_ROUTERS, wire::mld2_report(src, chunk));
        }
    }

    /// `ipv6_mc_dad_complete`: report every group again, now from the link-local.
    pub(crate) fn mc_dad_complete(&mut self, ctx: &mut Ctx<'_>) {
        self.mld.dad_count = self.mld.qrv;
        if self.mld.dad_count > 0 {
            self.send_initial_cr(ctx);
            self.mld.dad_count -= 1;
            if self.mld.dad_count > 0 {
                let iv = Self::report_interval(ctx);
                self.dad_start_mld(iv, ctx);
            }
        }
    }

    /// `mld_dad_start_work`.
    fn dad_start_mld(&mut self, delay: u64, ctx: &mut Ctx<'_>) {
        let tv = ctx.below(delay);
        self.mld.dad = Some(ctx.arm(tv + 2));
    }

    /// `mld_dad_work`.
    pub(crate) fn mld_dad_work(&mut self, ctx: &mut Ctx<'_>) {
        self.mld.dad = None;
        self.send_initial_cr(ctx);
        if self.mld.dad_count > 0 {
            self.mld.dad_count -= 1;
            if self.mld.dad_count > 0 {
                let iv = Self::report_interval(ctx);
                self.dad_start_mld(iv, ctx);
            }
        }
    }

    /// `ipv6_mc_up`: reset the robustness variable and (re)announce every group.
    pub(crate) fn mc_up(&mut self, ctx: &mut Ctx<'_>) {
        self.mld.qrv = MLD_QRV_DEFAULT;
        let groups: Vec<Ipv6Addr> = self.mld.groups.iter().map(|g| g.addr).collect();
        for addr in groups {
            self.del_delrec(addr);
            self.group_added(addr, ctx);
        }
    }

    /// `ipv6_mc_down`: withdraw every group (MLDv2 puts them in the tomb) and stop the works.
    pub(crate) fn mc_down(&mut self, ctx: &mut Ctx<'_>) {
        let mut groups = std::mem::take(&mut self.mld.groups);
        for g in &mut groups {
            self.group_dropped(g, ctx);
        }
        self.mld.groups = groups;
        self.mld.ifc_count = 0;
        self.mld.ifc = None;
        self.mld.dad = None;
    }

    /// `igmp6_join_group` (MLDv1): a report now, another at a random time below the interval
    /// unless one is already pending.
    fn join_group_v1(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        let pkt = wire::mld1(self.mld_src(), wire::ICMPV6_MGM_REPORT, addr);
        self.send(ctx, addr, pkt);
        let delay = ctx.below(Self::report_interval(ctx));
        let armed = ctx.arm(delay);
        if let Some(g) = self.mld.groups.iter_mut().find(|g| g.addr == addr) {
            g.timer = g.timer.or(Some(armed));
            g.last_reporter = true;
        }
    }

    /// `mld_mca_work`.
    pub(crate) fn mld_mca_work(&mut self, addr: Ipv6Addr, ctx: &mut Ctx<'_>) {
        let Some(g) = self.mld.groups.iter_mut().find(|g| g.addr == addr) else { return };
        g.timer = None;
        g.last_reporter = true;
        if Self::mld_v1(ctx) {
            let pkt = wire::mld1(self.mld_src(), wire::ICMPV6_MGM_REPORT, addr);
            self.send(ctx, addr, pkt);
        } else {
            // mld_send_report: a current-state record (MODE_IS_EXCLUDE).
            self.send_records(&[(Mld2Record::ModeIsExclude, addr)], ctx);
        }
    }

    /// The device's groups, newest first, with their user counts.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (Ipv6Addr, u32)> + '_ {
        self.mld.groups.iter().map(|g| (g.addr, g.users))
    }
}
