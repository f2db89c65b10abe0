//! `ping`, `ping6` (iputils) and `arping`.

use crate::session::Ctx;

/// `ping [-6] [-c N] [-i S] [-s N] [-M do|dont|want] [-I DEV|ADDR] [-W S] [-w S] [-t TTL] DST`.
pub(crate) fn ping(ctx: &mut Ctx<'_>, args: &[String], _v6: bool) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("ping");
    ctx.unsupported("ping", w)
}

/// `arping [-c N] [-I DEV] [-U|-A] [-D] DST`.
pub(crate) fn arping(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("arping");
    ctx.unsupported("arping", w)
}
