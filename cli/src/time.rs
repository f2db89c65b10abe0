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

/// `date [-u] [+FORMAT]`: the virtual clock as a date, its epoch 1970-01-01 00:00:00 UTC (a
/// session starts at the epoch). FORMAT knows `%H %M %S %N %s %T %F %Y %m %d %%`; the default
/// output is coreutils' `Thu Jan  1 00:00:00 UTC 1970` form.
pub(crate) fn date(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let now = ctx.s.world().now();
    let mut fmt: Option<&str> = None;
    for a in args {
        match a.as_str() {
            "-u" | "--utc" | "--universal" => {}
            f if f.starts_with('+') => fmt = Some(&f[1..]),
            other => return ctx.fail(1, &format!("date: invalid date '{other}'")),
        }
    }
    let secs = now / 1_000_000_000;
    let nanos = now % 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let (y, mo, d) = civil_from_days(days);
    const WDAY: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let Some(fmt) = fmt else {
        let wd = WDAY[(days % 7) as usize];
        let mon = MON[(mo - 1) as usize % 12];
        ctx.print(&format!("{wd} {mon} {d:>2} {h:02}:{m:02}:{s:02} UTC {y}\n"));
        return 0;
    };
    let mut out = String::new();
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('H') => out.push_str(&format!("{h:02}")),
            Some('M') => out.push_str(&format!("{m:02}")),
            Some('S') => out.push_str(&format!("{s:02}")),
            Some('N') => out.push_str(&format!("{nanos:09}")),
            Some('s') => out.push_str(&secs.to_string()),
            Some('T') => out.push_str(&format!("{h:02}:{m:02}:{s:02}")),
            Some('F') => out.push_str(&format!("{y:04}-{mo:02}-{d:02}")),
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('m') => out.push_str(&format!("{mo:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out.push('\n');
    ctx.print(&out);
    0
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod date_tests {
    use crate::Session;

    #[test]
    fn date_prints_the_virtual_clock() {
        let mut s = Session::new(1).unwrap();
        assert_eq!(s.exec("date -u").stdout, "Thu Jan  1 00:00:00 UTC 1970\n");
        s.exec("advance 90061.5");
        assert_eq!(s.exec("date -u +%H:%M:%S.%N").stdout, "01:01:01.500000000\n");
        assert_eq!(s.exec("date +%F").stdout, "1970-01-02\n");
        assert_eq!(s.exec("date").stdout, "Fri Jan  2 01:01:01 UTC 1970\n");
        assert_eq!(s.exec("date yesterday").rc, 1);
    }
}
