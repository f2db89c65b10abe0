//! `sysctl`.

use crate::session::Ctx;

/// `sysctl ARGS...`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("sysctl");
    ctx.unsupported("sysctl", w)
}
