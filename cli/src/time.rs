//! `sleep` and `advance`: move virtual time. Timers fire and the data path runs on the way, so a
//! `sleep 5` lets ARP retries, neighbour timers and DAD happen exactly as five seconds would.

use crate::session::Ctx;
use crate::util::parse_duration_ns;

/// `sleep NUMBER[SUFFIX]...` (coreutils: the arguments add up).
pub(crate) fn sleep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.is_empty() {
        return ctx.fail(1, "sleep: missing operand\nTry 'sleep --help' for more information.");
    }
    let mut total: u64 = 0;
    for a in args {
        match parse_duration_ns(a) {
            Some(ns) => total = total.saturating_add(ns),
            None => {
                return ctx
                    .fail(1, &format!("sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information."));
            }
        }
    }
    ctx.s.advance(total);
    0
}

/// `advance DURATION` (vnet's own): the same as `sleep`, with `ms`/`us`/`ns` suffixes too.
pub(crate) fn advance(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args {
        [d] => match parse_duration_ns(d) {
            Some(ns) => {
                ctx.s.advance(ns);
                0
            }
            None => ctx.fail(1, &format!("advance: invalid duration \"{d}\" (e.g. 5, 0.2, 300ms, 2m)")),
        },
        _ => ctx.fail(1, "advance: usage: advance DURATION (e.g. 5, 0.2, 300ms, 2m)"),
    }
}

#[cfg(test)]
mod tests {
    use crate::Session;

    #[test]
    fn sleep_moves_virtual_time() {
        let mut s = Session::new(1).unwrap();
        assert_eq!(s.exec("sleep 1.5").rc, 0);
        assert_eq!(s.world().now(), 1_500_000_000);
        assert_eq!(s.exec("sleep 1 2").rc, 0);
        assert_eq!(s.world().now(), 4_500_000_000);
        assert_eq!(s.exec("advance 250ms").rc, 0);
        assert_eq!(s.world().now(), 4_750_000_000);
        let o = s.exec("sleep abc");
        assert_eq!(o.rc, 1);
        assert_eq!(o.stderr, "sleep: invalid time interval 'abc'\nTry 'sleep --help' for more information.\n");
        assert_eq!(s.exec("sleep").rc, 1);
        assert_eq!(s.world().now(), 4_750_000_000);
    }
}
