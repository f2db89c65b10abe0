//! The neighbour layer (`net/core/neighbour.c`), shared by ARP and NDP: entries with the kernel's
//! NUD states and timer rules, the unresolved queue, and proxy entries.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use netdev_core::{MacAddr, Rng, Skb};

pub use crate::sysctl::NeighParms;

/// A NUD state (`NUD_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nud {
    /// `NUD_INCOMPLETE`: resolving, probes are multicast/broadcast.
    Incomplete,
    /// `NUD_REACHABLE`: confirmed recently.
    Reachable,
    /// `NUD_STALE`: usable, not confirmed.
    Stale,
    /// `NUD_DELAY`: used while stale; a probe follows unless confirmed.
    Delay,
    /// `NUD_PROBE`: unicast probes.
    Probe,
    /// `NUD_FAILED`: resolution failed.
    Failed,
    /// `NUD_NOARP`: no resolution needed.
    Noarp,
    /// `NUD_PERMANENT`: static.
    Permanent,
}

impl Nud {
    /// `NUD_VALID`: the entry has a usable link-layer address.
    pub fn is_valid(self) -> bool {
        matches!(self, Nud::Reachable | Nud::Stale | Nud::Delay | Nud::Probe | Nud::Noarp | Nud::Permanent)
    }

    /// `NUD_CONNECTED`.
    pub fn is_connected(self) -> bool {
        matches!(self, Nud::Reachable | Nud::Noarp | Nud::Permanent)
    }

    /// `NUD_IN_TIMER`.
    fn in_timer(self) -> bool {
        matches!(self, Nud::Incomplete | Nud::Reachable | Nud::Delay | Nud::Probe)
    }

    /// The name `ip neigh` prints (`nud_state_a2n`).
    pub fn name(self) -> &'static str {
        match self {
            Nud::Incomplete => "INCOMPLETE",
            Nud::Reachable => "REACHABLE",
            Nud::Stale => "STALE",
            Nud::Delay => "DELAY",
            Nud::Probe => "PROBE",
            Nud::Failed => "FAILED",
            Nud::Noarp => "NOARP",
            Nud::Permanent => "PERMANENT",
        }
    }
}

impl fmt::Display for Nud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const SEC: u64 = 1_000_000_000;

/// `neigh_max_probes`.
fn max_probes(p: &NeighParms, state: Nud) -> u32 {
    p.ucast_probes + p.app_probes + if state == Nud::Probe { p.mcast_reprobes } else { p.mcast_probes }
}

/// The accounting size of a queued packet (`skb->truesize`): the data plus the kernel's
/// `SKB_TRUESIZE` overhead of struct sk_buff and skb_shared_info, rounded as kmalloc does.
pub fn truesize(len: usize) -> usize {
    len.next_power_of_two().max(512) + 576
}

/// One neighbour entry (`struct neighbour`).
pub struct Neigh {
    /// State.
    pub state: Nud,
    /// Link-layer address, once known.
    pub lladdr: Option<MacAddr>,
    /// Last change of state or address (ns; negative = before the clock started, as the
    /// kernel's `jiffies - 2 * base_reachable_time`).
    pub updated: i64,
    /// Last confirmation of reachability (ns).
    pub confirmed: i64,
    /// Last use for output (ns).
    pub used: i64,
    /// Probes sent in the current resolution.
    pub probes: u32,
    /// Entry is a router (NDP).
    pub is_router: bool,
    /// Timer deadline, for the `NUD_IN_TIMER` states.
    pub timer: Option<u64>,
    /// Packets waiting for resolution (`arp_queue`), with their accounted size.
    pub queue: VecDeque<Skb>,
    queue_bytes: usize,
    /// Added by the administrator (`ip neigh add`), as `NTF_*`/`NEIGH_UPDATE_F_ADMIN`.
    pub admin: bool,
    /// Creation order within the table (dumps list the newest first, as a bucket's chain does).
    pub seq: u64,
}

impl Neigh {
    /// A NUD_NONE entry (`neigh_alloc`): never confirmed, `used` as given.
    fn new(seq: u64, now: i64, used: i64, parms: &NeighParms) -> Neigh {
        Neigh {
            seq,
            state: Nud::Failed,
            lladdr: None,
            updated: now,
            confirmed: now - 2 * parms.base_reachable_time_ns as i64,
            used,
            probes: 0,
            is_router: false,
            timer: None,
            queue: VecDeque::new(),
            queue_bytes: 0,
            admin: false,
        }
    }
}

impl fmt::Debug for Neigh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Neigh")
            .field("state", &self.state)
            .field("lladdr", &self.lladdr)
            .field("probes", &self.probes)
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

/// Flags of a `neigh_update` (`NEIGH_UPDATE_F_*`).
#[derive(Clone, Copy, Debug, Default)]
pub struct UpdateFlags {
    /// `OVERRIDE`: a different address replaces the cached one.
    pub override_: bool,
    /// `WEAK_OVERRIDE`: a different address only makes a connected entry stale.
    pub weak_override: bool,
    /// `ADMIN`: from `ip neigh`.
    pub admin: bool,
    /// `ISROUTER` with `OVERRIDE_ISROUTER`.
    pub is_router: Option<bool>,
}

/// What a timer or update asks the protocol to do.
#[derive(Debug)]
pub enum NeighAction<A> {
    /// Send a solicitation for `addr` on `ifindex`; `unicast` is the cached address for a
    /// unicast probe, `None` for a broadcast/multicast one. `trigger_src` is the source of the
    /// first queued packet (for arp_announce), if any.
    Solicit { ifindex: u32, addr: A, unicast: Option<MacAddr>, trigger_src: Option<A> },
    /// Resolution failed: these queued packets get an error report (ICMP unreachable).
    Failed { ifindex: u32, addr: A, queued: Vec<Skb> },
    /// Resolved: send the queued packets to `lladdr`.
    Flush { ifindex: u32, addr: A, lladdr: MacAddr, queued: Vec<Skb> },
}

/// The result of asking for a link-layer address to send to (`neigh_resolve_output`).
#[derive(Debug)]
pub enum Resolve {
    /// Send now to this address.
    Ready(MacAddr),
    /// The packet was queued (resolution under way).
    Queued,
    /// Queued, and older packets were pushed out of the queue (dropped).
    QueuedDropped(Vec<Skb>),
}

/// A neighbour table (`struct neigh_table`) for one address family, keyed by (ifindex, address).
pub struct NeighTable<A: Ord + Copy> {
    entries: BTreeMap<(u32, A), Neigh>,
    next_seq: u64,
    proxies: BTreeSet<(u32, A)>,
    /// `parms->reachable_time`: base_reachable_time randomised by `neigh_rand_reach_time`.
    reachable_time: BTreeMap<u32, u64>,
}

impl<A: Ord + Copy + fmt::Debug> fmt::Debug for NeighTable<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NeighTable").field("entries", &self.entries).field("proxies", &self.proxies).finish()
    }
}

impl<A: Ord + Copy> Default for NeighTable<A> {
    fn default() -> Self {
        NeighTable { entries: BTreeMap::new(), next_seq: 0, proxies: BTreeSet::new(), reachable_time: BTreeMap::new() }
    }
}

impl<A: Ord + Copy> NeighTable<A> {
    /// The entry for `addr` on `ifindex`.
    pub fn get(&self, ifindex: u32, addr: A) -> Option<&Neigh> {
        self.entries.get(&(ifindex, addr))
    }

    /// Every entry, newest first (the order `ip neigh` shows them in).
    pub fn iter(&self) -> impl Iterator<Item = (u32, A, &Neigh)> {
        let mut v: Vec<(u32, A, &Neigh)> = self.entries.iter().map(|(&(i, a), n)| (i, a, n)).collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.2.seq));
        v.into_iter()
    }

    /// Proxy entries (`pneigh`).
    pub fn proxies(&self) -> impl Iterator<Item = (u32, A)> + '_ {
        self.proxies.iter().copied()
    }

    /// `pneigh_lookup` on `ifindex` (entries for ifindex 0 match any device).
    pub fn is_proxy(&self, ifindex: u32, addr: A) -> bool {
        self.proxies.contains(&(ifindex, addr)) || self.proxies.contains(&(0, addr))
    }

    /// `ip neigh add proxy`: EEXIST if present (with NLM_F_EXCL).
    pub fn proxy_add(&mut self, ifindex: u32, addr: A) -> bool {
        self.proxies.insert((ifindex, addr))
    }

    /// `ip neigh del proxy`: false if absent (ENOENT).
    pub fn proxy_del(&mut self, ifindex: u32, addr: A) -> bool {
        self.proxies.remove(&(ifindex, addr))
    }

    fn reachable_time(&mut self, ifindex: u32, parms: &NeighParms, rng: &mut Rng) -> u64 {
        *self.reachable_time.entry(ifindex).or_insert_with(|| {
            // neigh_rand_reach_time: uniform in [base/2, 3*base/2).
            let base = parms.base_reachable_time_ns;
            if base == 0 { 0 } else { base / 2 + rng.below(base) }
        })
    }

    /// The earliest timer deadline of any entry.
    pub fn next_deadline(&self) -> Option<u64> {
        self.entries.values().filter_map(|n| n.timer).min()
    }

    /// `neigh_resolve_output` / `__neigh_event_send` for a packet to `addr` on `ifindex`.
    /// `actions` receives the probe to send now, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        &mut self,
        now: u64,
        ifindex: u32,
        addr: A,
        skb: Skb,
        parms: &NeighParms,
        actions: &mut Vec<NeighAction<A>>,
        trigger_src: Option<A>,
    ) -> (Resolve, Option<Skb>) {
        let now_u = now;
        let now = now as i64;
        let seq = self.next_seq;
        let n = self.entries.entry((ifindex, addr)).or_insert_with(|| Neigh::new(seq, now, now, parms));
        if n.seq == seq {
            self.next_seq += 1;
        }
        // A new entry starts as NUD_NONE; it behaves as FAILED below (not STALE/INCOMPLETE).
        n.used = now;
        match n.state {
            Nud::Reachable | Nud::Delay | Nud::Probe | Nud::Noarp | Nud::Permanent => {
                if let Some(ll) = n.lladdr {
                    return (Resolve::Ready(ll), Some(skb));
                }
            }
            Nud::Stale => {
                // __neigh_event_send: STALE → DELAY with the delay_first_probe timer.
                n.state = Nud::Delay;
                n.updated = now;
                n.timer = Some(now_u + parms.delay_probe_time_ns);
                if let Some(ll) = n.lladdr {
                    return (Resolve::Ready(ll), Some(skb));
                }
            }
            Nud::Incomplete => {}
            Nud::Failed => {
                if parms.mcast_probes + parms.app_probes == 0 {
                    n.state = Nud::Failed;
                    n.updated = now;
                    return (Resolve::QueuedDropped(vec![skb]), None);
                }
                n.probes = parms.ucast_probes;
                n.state = Nud::Incomplete;
                n.updated = now;
                n.timer = Some(now_u + parms.retrans_time_ns.max(SEC / 100));
                // The immediate probe (neigh_probe), with this packet as its trigger.
                n.probes += 1;
                actions.push(NeighAction::Solicit { ifindex, addr, unicast: None, trigger_src });
            }
        }
        // Queue on the unresolved entry, pushing out the oldest past unres_qlen_bytes.
        let mut dropped = Vec::new();
        let size = truesize(skb.len());
        while n.queue_bytes + size > parms.queue_len_bytes as usize {
            match n.queue.pop_front() {
                Some(old) => {
                    n.queue_bytes -= truesize(old.len());
                    dropped.push(old);
                }
                None => break,
            }
        }
        n.queue_bytes += size;
        n.queue.push_back(skb);
        if dropped.is_empty() { (Resolve::Queued, None) } else { (Resolve::QueuedDropped(dropped), None) }
    }

    /// `neigh_update`: the kernel's rules for a new state and address from the protocol or the
    /// administrator. Creates the entry if `create`. Returns false if nothing existed to update.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        now: u64,
        ifindex: u32,
        addr: A,
        lladdr: Option<MacAddr>,
        mut new: Nud,
        flags: UpdateFlags,
        create: bool,
        parms: &NeighParms,
        rng: &mut Rng,
        actions: &mut Vec<NeighAction<A>>,
    ) -> bool {
        let reach = self.reachable_time(ifindex, parms, rng);
        let now_u = now;
        let now = now as i64;
        if !create && !self.entries.contains_key(&(ifindex, addr)) {
            return false;
        }
        let seq = self.next_seq;
        let n = self
            .entries
            .entry((ifindex, addr))
            .or_insert_with(|| Neigh::new(seq, now, now - 2 * parms.base_reachable_time_ns as i64, parms));
        if n.seq == seq {
            self.next_seq += 1;
        }
        let old = n.state;
        if !flags.admin && matches!(old, Nud::Noarp | Nud::Permanent) {
            return true;
        }
        if flags.admin {
            n.admin = true;
        }
        if !new.is_valid() {
            n.timer = None;
            if old.is_connected() {
                // neigh_suspect: nothing to model.
            }
            n.state = new;
            n.updated = now;
            if matches!(old, Nud::Incomplete | Nud::Probe) && new == Nud::Failed {
                let queued: Vec<Skb> = n.queue.drain(..).collect();
                n.queue_bytes = 0;
                actions.push(NeighAction::Failed { ifindex, addr, queued });
            }
            return true;
        }
        // Compare the new address with the cached one.
        let mut ll = match lladdr {
            Some(l) => Some(l),
            None => {
                if n.lladdr.is_none() {
                    return true;
                }
                n.lladdr
            }
        };
        if new.is_connected() {
            n.confirmed = now;
        }
        let same = ll == n.lladdr && old.is_valid();
        if old.is_valid() {
            if !same && !flags.override_ {
                if flags.weak_override && old.is_connected() {
                    ll = n.lladdr;
                    new = Nud::Stale;
                } else {
                    return true;
                }
            } else if same && new == Nud::Stale && !flags.admin {
                new = old;
            }
        }
        if let Some(r) = flags.is_router {
            n.is_router = r;
        }
        let addr_changed = ll != n.lladdr;
        if new != old || addr_changed {
            n.updated = now;
        }
        if new != old {
            n.timer = None;
            if new == Nud::Probe {
                n.probes = 0;
            }
            if new.in_timer() {
                n.timer = Some(now_u + if new == Nud::Reachable { reach } else { 0 });
            }
            n.state = new;
        }
        if addr_changed {
            n.lladdr = ll;
            if !new.is_connected() {
                n.confirmed = now - 2 * parms.base_reachable_time_ns as i64;
            }
        }
        if new != old
            && !old.is_valid()
            && let Some(l) = n.lladdr
        {
            let queued: Vec<Skb> = n.queue.drain(..).collect();
            n.queue_bytes = 0;
            if !queued.is_empty() {
                actions.push(NeighAction::Flush { ifindex, addr, lladdr: l, queued });
            }
        }
        true
    }

    /// `neigh_timer_handler` for every entry due by `now`.
    pub fn run_timers(
        &mut self,
        now: u64,
        parms_of: impl Fn(u32) -> NeighParms,
        src_of: impl Fn(&Skb) -> Option<A>,
        actions: &mut Vec<NeighAction<A>>,
    ) {
        for (&(ifindex, addr), n) in self.entries.iter_mut() {
            let Some(deadline) = n.timer else { continue };
            if deadline > now {
                continue;
            }
            let parms = parms_of(ifindex);
            let reach = self.reachable_time.get(&ifindex).copied().unwrap_or(parms.base_reachable_time_ns);
            let (now_i, reach_i, delay_i) = (now as i64, reach as i64, parms.delay_probe_time_ns as i64);
            n.timer = None;
            let mut next = None;
            match n.state {
                Nud::Reachable => {
                    if now_i <= n.confirmed + reach_i {
                        next = Some((n.confirmed + reach_i).max(0) as u64);
                    } else if now_i <= n.used + delay_i {
                        n.state = Nud::Delay;
                        n.updated = now_i;
                        next = Some(now + parms.delay_probe_time_ns);
                    } else {
                        n.state = Nud::Stale;
                        n.updated = now_i;
                    }
                }
                Nud::Delay => {
                    if now_i <= n.confirmed + delay_i {
                        n.state = Nud::Reachable;
                        n.updated = now_i;
                        next = Some((n.confirmed + reach_i).max(0) as u64);
                    } else {
                        n.state = Nud::Probe;
                        n.updated = now_i;
                        n.probes = 0;
                        next = Some(now + parms.retrans_time_ns.max(SEC / 100));
                    }
                }
                Nud::Incomplete | Nud::Probe => {
                    next = Some(now + parms.retrans_time_ns.max(SEC / 100));
                }
                _ => {}
            }
            if matches!(n.state, Nud::Incomplete | Nud::Probe) && n.probes >= max_probes(&parms, n.state) {
                let old = n.state;
                n.state = Nud::Failed;
                n.updated = now as i64;
                next = None;
                if matches!(old, Nud::Incomplete | Nud::Probe) {
                    let queued: Vec<Skb> = n.queue.drain(..).collect();
                    n.queue_bytes = 0;
                    actions.push(NeighAction::Failed { ifindex, addr, queued });
                }
            }
            // The kernel never re-arms sooner than HZ/100 ahead (neigh_timer_handler).
            n.timer = next.map(|t| t.max(now + SEC / 100));
            if matches!(n.state, Nud::Incomplete | Nud::Probe) {
                // neigh_probe: the solicitation decides unicast vs broadcast from the count, and
                // takes its source from the newest queued packet (skb_peek_tail).
                let probes = n.probes;
                n.probes += 1;
                let unicast = if probes < parms.ucast_probes { n.lladdr } else { None };
                let trigger_src = n.queue.back().and_then(&src_of);
                actions.push(NeighAction::Solicit { ifindex, addr, unicast, trigger_src });
            }
        }
    }

    /// Remove one entry (`ip neigh del`): its queue is returned for dropping. None if absent.
    pub fn remove(&mut self, ifindex: u32, addr: A) -> Option<Vec<Skb>> {
        self.entries.remove(&(ifindex, addr)).map(|mut n| n.queue.drain(..).collect())
    }

    /// `neigh_ifdown` / `neigh_flush_dev`: drop every entry of `ifindex` (all but permanent ones
    /// when `keep_permanent`), and proxies when the device goes away. Returns queued packets.
    pub fn flush_dev(&mut self, ifindex: u32, keep_permanent: bool, proxies_too: bool) -> Vec<Skb> {
        let mut out = Vec::new();
        self.entries.retain(|&(i, _), n| {
            if i != ifindex || (keep_permanent && n.state == Nud::Permanent) {
                return true;
            }
            out.extend(n.queue.drain(..));
            false
        });
        if proxies_too {
            self.proxies.retain(|&(i, _)| i != ifindex);
            self.reachable_time.remove(&ifindex);
        }
        out
    }

    /// Entries of `ifindex` matching `pred`, for `ip neigh flush`.
    pub fn flush_matching(&mut self, mut pred: impl FnMut(u32, A, &Neigh) -> bool) -> (usize, Vec<Skb>) {
        let mut out = Vec::new();
        let mut n_removed = 0;
        self.entries.retain(|&(i, a), n| {
            if !pred(i, a, n) {
                return true;
            }
            n_removed += 1;
            out.extend(n.queue.drain(..));
            false
        });
        (n_removed, out)
    }

    /// `neigh_confirm` (`dst_confirm_neigh`): a higher layer saw forward progress.
    pub fn confirm(&mut self, now: u64, ifindex: u32, addr: A) {
        if let Some(n) = self.entries.get_mut(&(ifindex, addr)) {
            n.confirmed = now as i64;
        }
    }
}
