//! `ip netns`.

use super::IpOpts;
use crate::session::Ctx;

/// `ip netns ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, _o: &IpOpts, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("netns");
    ctx.unsupported("ip netns", w)
}
