//! `ip route`.

use super::IpOpts;
use crate::session::Ctx;

/// `ip route ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, _o: &IpOpts, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("route");
    ctx.unsupported("ip route", w)
}
