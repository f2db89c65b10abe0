//! `tcpdump`.

use crate::session::Ctx;

/// `tcpdump ARGS...`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("tcpdump");
    ctx.unsupported("tcpdump", w)
}
