//! Virtual time: timers run in deadline order when the clock is advanced, never by themselves.

use std::sync::Arc;

use netdev_core::{Cpu, Errno, NSEC_PER_SEC, World, WorldConfig};
use parking_lot::Mutex;

#[test]
fn timers_fire_in_deadline_order_with_the_clock_at_their_deadline() {
    let w = World::new(WorldConfig::default());
    let log = Arc::new(Mutex::new(Vec::new()));
    for (i, at) in [(1, 3 * NSEC_PER_SEC), (2, NSEC_PER_SEC), (3, 2 * NSEC_PER_SEC), (4, NSEC_PER_SEC)] {
        let log = log.clone();
        w.timer_add(
            at,
            Box::new(move |cpu: &mut Cpu| {
                log.lock().push((i, cpu.now()));
                None
            }),
        );
    }
    w.advance(NSEC_PER_SEC / 2).unwrap();
    assert!(log.lock().is_empty(), "nothing is due yet");
    w.advance(2 * NSEC_PER_SEC).unwrap();
    // Ties run in the order they were armed.
    assert_eq!(*log.lock(), vec![(2, NSEC_PER_SEC), (4, NSEC_PER_SEC), (3, 2 * NSEC_PER_SEC)]);
    assert_eq!(w.now(), 5 * NSEC_PER_SEC / 2);
    assert_eq!(w.next_timer(), Some(3 * NSEC_PER_SEC));
}

#[test]
fn rearming_and_cancelling() {
    let w = World::new(WorldConfig::default());
    let count = Arc::new(Mutex::new(0u32));
    let c = count.clone();
    // A periodic 1 s timer.
    w.timer_add(
        NSEC_PER_SEC,
        Box::new(move |cpu: &mut Cpu| {
            *c.lock() += 1;
            Some(cpu.now() + NSEC_PER_SEC)
        }),
    );
    let cancelled = w.timer_add(NSEC_PER_SEC / 2, Box::new(|_: &mut Cpu| panic!("cancelled timers never run")));
    assert!(w.timer_cancel(cancelled));
    assert!(!w.timer_cancel(cancelled));
    w.advance(10 * NSEC_PER_SEC).unwrap();
    assert_eq!(*count.lock(), 10);
    assert_eq!(w.timers_armed(), 1);
}

#[test]
fn a_timer_rearming_in_the_past_still_lets_time_move() {
    let w = World::new(WorldConfig::default());
    let runs = Arc::new(Mutex::new(0u64));
    let r = runs.clone();
    w.timer_add(
        0,
        Box::new(move |cpu: &mut Cpu| {
            *r.lock() += 1;
            Some(cpu.now()) // asks to run again "now": pushed one nanosecond on
        }),
    );
    w.advance(1000).unwrap();
    assert_eq!(*runs.lock(), 1001);
    assert_eq!(w.now(), 1000);
}

#[test]
fn timers_run_on_the_advancing_cpu_and_world_advance_needs_a_free_one() {
    let w = World::new(WorldConfig { cpus: 1, ..WorldConfig::default() });
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    w.timer_add(
        5,
        Box::new(move |cpu: &mut Cpu| {
            *s.lock() = Some(cpu.id());
            None
        }),
    );
    let mut cpu = w.cpu(0).unwrap();
    assert_eq!(w.advance(10).unwrap_err(), Errno::Ebusy, "the only CPU is held");
    cpu.advance(10);
    assert_eq!(*seen.lock(), Some(0));
    assert_eq!(w.now(), 10);
}

/// A timer whose callback keeps arming a new timer for the current instant cannot stop the
/// clock: each new one fires a nanosecond later, so `advance` returns.
#[test]
fn a_timer_arming_now_from_a_timer_cannot_livelock() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn arm(w: &World, at: u64, n: Arc<AtomicU64>) {
        let w2 = w.clone();
        w.timer_add(
            at,
            Box::new(move |cpu| {
                let k = n.fetch_add(1, Ordering::Relaxed);
                if k < 1_000_000 {
                    arm(&w2, cpu.now(), n.clone());
                }
                None
            }),
        );
    }
    let w = World::new(WorldConfig::default());
    let n = Arc::new(AtomicU64::new(0));
    arm(&w, 10, n.clone());
    w.advance(1000).unwrap();
    assert_eq!(w.now(), 1000);
    // Fired at 10, 11, ..., 1000: one per nanosecond, not a million at t=10.
    assert_eq!(n.load(Ordering::Relaxed), 991);
}
