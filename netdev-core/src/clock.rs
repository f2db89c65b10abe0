//! Virtual time and timers. Nothing in the simulation reads the wall clock: time moves only when
//! the user calls [`Cpu::advance`](crate::Cpu::advance) (or [`World::advance`](crate::World::advance),
//! which borrows a free CPU), which runs the timers that fall due, in deadline order (ties in the
//! order they were armed), on that CPU, as the kernel runs timers in softirq on some CPU.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

use crate::Cpu;

/// Nanoseconds per second.
pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// A timer callback. It runs on the CPU that advances the clock, with no lock held (so it may
/// take RTNL through `cpu.world().rtnl()` or transmit through `cpu`), and returns the absolute
/// deadline to re-arm at, or `None` to stop.
pub type TimerFn = Box<dyn FnMut(&mut Cpu) -> Option<u64> + Send>;

/// Identifies an armed timer, for [`World::timer_cancel`](crate::World::timer_cancel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(u64);

#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    armed: BTreeMap<u64, TimerFn>,
    next_seq: u64,
    /// Timers are being run at this instant: one armed now for this instant or earlier fires
    /// a nanosecond later (as a kernel timer armed from a timer fires on the next tick), so a
    /// callback that keeps arming "now" cannot stop the clock.
    pub(crate) running_at: Option<u64>,
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers").field("armed", &self.armed.len()).finish()
    }
}

impl Timers {
    pub(crate) fn arm(&mut self, deadline: u64, f: TimerFn) -> TimerId {
        let deadline = match self.running_at {
            Some(t) => deadline.max(t + 1),
            None => deadline,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse((deadline, seq)));
        self.armed.insert(seq, f);
        TimerId(seq)
    }

    pub(crate) fn rearm(&mut self, id: TimerId, deadline: u64, f: TimerFn) {
        self.heap.push(Reverse((deadline, id.0)));
        self.armed.insert(id.0, f);
    }

    pub(crate) fn cancel(&mut self, id: TimerId) -> bool {
        let found = self.armed.remove(&id.0).is_some();
        // Cancelled entries leave the heap lazily; compact once they dominate it, so a timer
        // cancelled and re-armed per packet costs amortised O(log n) and no memory growth.
        if self.heap.len() > 2 * self.armed.len() + 64 {
            let armed = &self.armed;
            self.heap.retain(|Reverse((_, seq))| armed.contains_key(seq));
        }
        found
    }

    /// The earliest armed deadline, if any (cancelled entries are skipped lazily).
    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        while let Some(Reverse((d, seq))) = self.heap.peek().copied() {
            if self.armed.contains_key(&seq) {
                return Some(d);
            }
            self.heap.pop();
        }
        None
    }

    /// Take the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(TimerId, u64, TimerFn)> {
        let d = self.next_deadline()?;
        if d > now {
            return None;
        }
        let Reverse((d, seq)) = self.heap.pop()?;
        let f = self.armed.remove(&seq)?;
        Some((TimerId(seq), d, f))
    }

    pub(crate) fn len(&self) -> usize {
        self.armed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_timers_do_not_accumulate() {
        let mut t = Timers::default();
        let keep = t.arm(5, Box::new(|_| None));
        for i in 0..10_000 {
            let id = t.arm(10 + i, Box::new(|_| None));
            assert!(t.cancel(id));
        }
        assert!(t.heap.len() <= 2 * t.armed.len() + 64, "heap {}", t.heap.len());
        assert_eq!(t.next_deadline(), Some(5));
        assert!(t.cancel(keep));
        assert_eq!(t.next_deadline(), None);
    }
}
