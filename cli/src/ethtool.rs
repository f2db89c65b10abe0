//! `ethtool`.

use crate::session::Ctx;

/// `ethtool ARGS...`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("ethtool");
    ctx.unsupported("ethtool", w)
}
