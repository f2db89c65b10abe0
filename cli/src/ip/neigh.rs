//! `ip neigh`.

use super::IpOpts;
use crate::session::Ctx;

/// `ip neigh ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, _o: &IpOpts, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("neigh");
    ctx.unsupported("ip neigh", w)
}
