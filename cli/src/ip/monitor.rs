//! `ip monitor`.

use super::IpOpts;
use crate::session::Ctx;

/// `ip monitor ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, _o: &IpOpts, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("monitor");
    ctx.unsupported("ip monitor", w)
}
