//! `sysctl` (procps-ng 4.0.2, as in Debian 12) and the simulated `/proc/sys/net` tree it reads
//! and writes (also through `cat` and `echo V > FILE`, see [`crate::fs`]).
//!
//! The tree of a namespace is its stack's knobs (`Stack::sysctl_list/get/set`: `net.ipv4.*`,
//! `net.ipv6.*`) plus `net.core.netdev_max_backlog`, the World's, which exists in the initial
//! namespace only (the kernel registers `net_core_table` for `init_net` alone).
//!
//! The command follows procps `sysctl.c`: `main` (options through `getopt_long`, then `-a`
//! before `-p` before the operands; an operand containing `=`, or any operand under `-w`, is a
//! write), `ReadSetting`, `WriteSetting`, `DisplayAll`, `Preload`, `slashdot` and `pattern_match`
//! (a POSIX extended regular expression, [`Ere`]). The exit status is what Debian 12's procps
//! 4.0.2 gives (measured on a real kernel by `cli/tests/differential.rs`): every failed read adds
//! 1, a failed or malformed write ORs 1, so one unknown key exits 1 and two exit 2. `-e` hides unknown keys; `-q` only
//! hides the echo of a write.
//!
//! Deliberate deviations: only `net.*` exists (Linux's `sysctl -a` also prints `kernel.*`,
//! `vm.*`, `fs.*`); `--system` (which reads the host's `/etc/sysctl.d`) and `--dry-run` are not
//! understood; `-p FILE` reads FILE through [`crate::fs::read`].

use netdev_core::{Errno, NetnsId};

use crate::session::Ctx;

/// `PROC_PATH`.
const PROC_PATH: &str = "/proc/sys/";

/// procps' `DEPRECATED`: left out of a directory listing unless `--deprecated`.
const DEPRECATED: [&str; 2] = ["base_reachable_time", "retrans_time"];

/// procps' `DEFAULT_PRELOAD`, what a bare `-p` loads.
const DEFAULT_PRELOAD: &str = "/etc/sysctl.conf";

/// `Usage()` of procps-ng 4.0.2.
const USAGE: &str = "
Usage:
 sysctl [options] [variable[=value] ...]

Options:
  -a, --all            display all variables
  -A                   alias of -a
  -X                   alias of -a
      --deprecated     include deprecated parameters to listing
  -b, --binary         print value without new line
  -e, --ignore         ignore unknown variables errors
  -N, --names          print variable names without values
  -n, --values         print only values of the given variable(s)
  -p, --load[=<file>]  read values from file
  -f                   alias of -p
      --system         read values from all system directories
  -r, --pattern <expression>
                       select setting that match expression
  -q, --quiet          do not echo variable set
  -w, --write          enable writing a value to variable
  -o                   does nothing
  -x                   does nothing
  -d                   alias of -h

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see sysctl(8).
";

// ------------------------------------------------------------------------------------------------
// The /proc/sys tree
// ------------------------------------------------------------------------------------------------

/// Why a `/proc/sys` path cannot be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcError {
    /// No such file or directory (`ENOENT`).
    NotFound,
    /// The path is a directory (`EISDIR`).
    IsDir,
    /// The path is a file and the path goes on below it (`ENOTDIR`).
    NotDir,
    /// The knob's handler refused (`EINVAL`, `EACCES` for a read-only knob, ...).
    Errno(Errno),
}

impl ProcError {
    /// `strerror`'s text.
    pub(crate) fn text(self) -> &'static str {
        match self {
            ProcError::NotFound => "No such file or directory",
            ProcError::IsDir => "Is a directory",
            ProcError::NotDir => "Not a directory",
            ProcError::Errno(e) => e.strerror(),
        }
    }
}

/// The only `net.core` knob the core has.
const BACKLOG: [&str; 3] = ["net", "core", "netdev_max_backlog"];

/// `net.core.netdev_max_backlog`, which only the initial namespace has.
fn is_backlog(ctx: &Ctx<'_>, comps: &[String]) -> bool {
    ctx.ns == NetnsId::INIT && comps.iter().map(String::as_str).eq(BACKLOG)
}

/// A dotted name as the stack lists it (`net.ipv4.conf.eth0/100.rp_filter`) as path components.
fn components_of_dotted(name: &str) -> Vec<String> {
    name.split('.').map(|c| c.replace('/', ".")).collect()
}

/// Every file of the namespace's `/proc/sys`, as path components with its value, in the order
/// `sysctl -a` walks them: each directory sorted bytewise (the kernel's `namecmp` rbtree).
pub(crate) fn files(ctx: &Ctx<'_>) -> Vec<(Vec<String>, String)> {
    let mut all: Vec<(Vec<String>, String)> = match ctx.stack() {
        Some(st) => st.sysctl_list().into_iter().map(|(n, v)| (components_of_dotted(&n), v)).collect(),
        None => Vec::new(),
    };
    if ctx.ns == NetnsId::INIT {
        let v = ctx.s.world().max_backlog() as i32;
        all.push((BACKLOG.iter().map(|s| (*s).to_string()).collect(), v.to_string()));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// True if `comps` names a directory of the tree (the root included).
fn is_dir(ctx: &Ctx<'_>, comps: &[String]) -> bool {
    comps.is_empty() || files(ctx).iter().any(|(p, _)| p.len() > comps.len() && p.starts_with(comps))
}

/// Where a path that names no file fails: below a file (ENOTDIR), at a directory (EISDIR), or
/// nowhere (ENOENT).
fn classify_missing(ctx: &Ctx<'_>, comps: &[String]) -> ProcError {
    if (1..comps.len()).any(|n| read_file(ctx, &comps[..n]).is_ok()) {
        ProcError::NotDir
    } else if is_dir(ctx, comps) {
        ProcError::IsDir
    } else {
        ProcError::NotFound
    }
}

/// The path the stack's `sysctl_get`/`sysctl_set` take.
fn stack_path(comps: &[String]) -> String {
    format!("{PROC_PATH}{}", comps.join("/"))
}

/// The content of the file `comps` (without its newline), as `cat` shows it.
pub(crate) fn read_file(ctx: &Ctx<'_>, comps: &[String]) -> Result<String, ProcError> {
    if is_backlog(ctx, comps) {
        return Ok((ctx.s.world().max_backlog() as i32).to_string());
    }
    if comps.is_empty() {
        return Err(ProcError::IsDir);
    }
    let Some(st) = ctx.stack() else { return Err(ProcError::NotFound) };
    match st.sysctl_get(&stack_path(comps)) {
        Ok(v) => Ok(v),
        Err(Errno::Enoent) => Err(classify_missing(ctx, comps)),
        Err(e) => Err(ProcError::Errno(e)),
    }
}

/// `write(2)` of `data` to the file `comps`, as `echo V >` and `sysctl -w` do it.
pub(crate) fn write_file(ctx: &mut Ctx<'_>, comps: &[String], data: &str) -> Result<(), ProcError> {
    if is_backlog(ctx, comps) {
        let v = proc_dointvec(data).ok_or(ProcError::Errno(Errno::Einval))?;
        // The kernel keeps an int and compares it with an unsigned queue length, so a negative
        // value means "no limit": the same bits as a u32.
        ctx.s.world().set_max_backlog(v as u32);
        return Ok(());
    }
    if comps.is_empty() {
        return Err(ProcError::IsDir);
    }
    let Some(st) = ctx.stack() else { return Err(ProcError::NotFound) };
    let res = {
        let world = ctx.s.world();
        let mut rtnl = world.rtnl();
        st.sysctl_set(&mut rtnl, &stack_path(comps), data)
    };
    match res {
        Ok(()) => Ok(()),
        Err(Errno::Enoent) => Err(classify_missing(ctx, comps)),
        Err(e) => Err(ProcError::Errno(e)),
    }
}

/// `proc_dointvec` for a one-int knob: the first number (`strtoul` base 0, optional `-`) of
/// `data`, which must be followed by a space, tab, newline or the end; the rest is ignored.
fn proc_dointvec(data: &str) -> Option<i32> {
    let s = data.trim_start_matches(|c: char| c == ' ' || ('\t'..='\r').contains(&c));
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.starts_with('0') {
        (8, s)
    } else {
        (10, s)
    };
    let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    let (num, rest) = digits.split_at(end);
    if num.is_empty() || !(rest.is_empty() || rest.starts_with([' ', '\t', '\n'])) {
        return None;
    }
    let mag = i64::from_str_radix(num, radix).ok()?;
    i32::try_from(if neg { -mag } else { mag }).ok()
}

// ------------------------------------------------------------------------------------------------
// The command
// ------------------------------------------------------------------------------------------------

/// procps' `slashdot(p, old, new)`: from the first `.` or `/` on, every `old` becomes `new` and
/// every `new` becomes `old`, unless that first separator is `new` already. Returns the result and
/// the "separators should not be repeated" warning (the rest of the string from the first
/// doubled separator), if any.
fn slashdot(s: &str, old: char, new: char) -> (String, Option<String>) {
    let mut chars: Vec<char> = s.chars().collect();
    let Some(first) = chars.iter().position(|&c| c == '.' || c == '/') else { return (s.to_string(), None) };
    if chars[first] == new {
        return (s.to_string(), None);
    }
    let mut warning = None;
    for i in first..chars.len() {
        let c = chars[i];
        if c != '.' && c != '/' {
            continue;
        }
        if warning.is_none() && matches!(chars.get(i + 1), Some('.' | '/')) {
            warning = Some(chars[i..].iter().collect());
        }
        if c == old {
            chars[i] = new;
        } else if c == new {
            chars[i] = old;
        }
    }
    (chars.into_iter().collect(), warning)
}

/// What a bad `-r` pattern does: `regcomp` fails and `pattern_match` never matches.
enum Pattern {
    /// A compiled expression.
    Re(Ere),
    /// One `regcomp` refused.
    Invalid,
}

impl Pattern {
    /// `pattern_match`: the pattern matches somewhere in `s`.
    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Re(re) => re.is_match(s),
            Pattern::Invalid => false,
        }
    }
}

/// procps' globals.
struct Sysctl {
    /// `PrintName`: `NAME = VALUE` (off with `-n`, `-b`).
    print_name: bool,
    /// `PrintNewline` (off with `-b`).
    print_newline: bool,
    /// `IgnoreError` (`-e`): unknown keys are no error.
    ignore_error: bool,
    /// `NameOnly` (`-N`).
    name_only: bool,
    /// `Quiet` (`-q`): writes are not echoed.
    quiet: bool,
    /// `IgnoreDeprecated` (cleared by `--deprecated`).
    ignore_deprecated: bool,
    /// `pattern` (`-r`).
    pattern: Option<Pattern>,
}

/// The options `getopt_long` parsed, or what to do instead.
enum Parsed {
    /// Go on: `-w`, `-a`, `-p [FILE]`, and the operands.
    Run { write: bool, all: bool, preload: Option<Option<String>>, operands: Vec<String> },
    /// Exit with this status (help, version, a bad option).
    Exit(i32),
}

/// The long options (`longopts`): name, takes an argument (None: no, Some(true): required,
/// Some(false): optional), and the short option it stands for.
const LONGOPTS: [(&str, Option<bool>, char); 13] = [
    ("all", None, 'a'),
    ("deprecated", None, 'D'),
    ("binary", None, 'b'),
    ("ignore", None, 'e'),
    ("names", None, 'N'),
    ("values", None, 'n'),
    ("load", Some(false), 'p'),
    ("quiet", None, 'q'),
    ("write", None, 'w'),
    ("system", None, 'S'),
    ("pattern", Some(true), 'r'),
    ("help", None, 'h'),
    ("version", None, 'V'),
];

/// `sysctl ARGS...` in `ctx.ns`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.is_empty() {
        ctx.eprint(USAGE);
        return 1;
    }
    let mut s = Sysctl {
        print_name: true,
        print_newline: true,
        ignore_error: false,
        name_only: false,
        quiet: false,
        ignore_deprecated: true,
        pattern: None,
    };
    let (write, all, preload, operands) = match s.getopt(ctx, args) {
        Parsed::Run { write, all, preload, operands } => (write, all, preload, operands),
        Parsed::Exit(rc) => return rc,
    };
    if all {
        return s.display_all(ctx, &[]) & 0xff;
    }
    if let Some(file) = preload {
        let mut rc = 0;
        match file {
            None if operands.is_empty() => rc |= s.preload(ctx, DEFAULT_PRELOAD),
            None => {}
            Some(f) => rc |= s.preload(ctx, &f),
        }
        for f in &operands {
            rc |= s.preload(ctx, f);
        }
        return rc & 0xff;
    }
    if operands.is_empty() {
        return ctx.fail(1, "sysctl: no variables specified\nTry `sysctl --help' for more information.");
    }
    if s.name_only && s.quiet {
        return ctx.fail(1, "sysctl: options -N and -q cannot coexist\nTry `sysctl --help' for more information.");
    }
    let mut rc: i32 = 0;
    for op in &operands {
        if write || op.contains('=') {
            rc |= s.write_setting(ctx, op);
        } else {
            rc = rc.wrapping_add(s.read_setting(ctx, op));
        }
    }
    rc & 0xff
}

impl Sysctl {
    /// `getopt_long(argc, argv, "bneNwfp::qoxaAXr:Vdh", longopts, NULL)` with GNU permutation:
    /// options anywhere, `--` ends them.
    fn getopt(&mut self, ctx: &mut Ctx<'_>, args: &[String]) -> Parsed {
        let (mut write, mut all, mut preload) = (false, false, None);
        let mut operands = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            i += 1;
            if a == "--" {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let exact = LONGOPTS.iter().find(|(n, _, _)| *n == name);
                let cands: Vec<_> = LONGOPTS.iter().filter(|(n, _, _)| n.starts_with(name)).collect();
                let opt = match (exact, cands.as_slice()) {
                    (Some(o), _) => o,
                    (None, [o]) => *o,
                    (None, []) => return self.bad_option(ctx, &format!("unrecognized option '{a}'")),
                    (None, many) => {
                        let list: String = many.iter().map(|(n, _, _)| format!(" '--{n}'")).collect();
                        return self.bad_option(ctx, &format!("option '{a}' is ambiguous; possibilities:{list}"));
                    }
                };
                let (full, takes, short) = *opt;
                let arg = match (takes, value) {
                    (None, Some(_)) => {
                        return self.bad_option(ctx, &format!("option '--{full}' doesn't allow an argument"));
                    }
                    (Some(true), None) => match args.get(i) {
                        Some(v) => {
                            i += 1;
                            Some(v.clone())
                        }
                        None => return self.bad_option(ctx, &format!("option '--{full}' requires an argument")),
                    },
                    (_, v) => v,
                };
                if let Some(exit) = self.option(ctx, short, arg, &mut write, &mut all, &mut preload) {
                    return exit;
                }
                continue;
            }
            let Some(shorts) = a.strip_prefix('-').filter(|s| !s.is_empty()) else {
                operands.push(a.to_string());
                continue;
            };
            for (pos, c) in shorts.char_indices() {
                let rest = &shorts[pos + c.len_utf8()..];
                let arg = match c {
                    'p' | 'f' => Some((!rest.is_empty()).then(|| rest.to_string())),
                    'r' if !rest.is_empty() => Some(Some(rest.to_string())),
                    'r' => match args.get(i) {
                        Some(v) => {
                            i += 1;
                            Some(Some(v.clone()))
                        }
                        None => return self.bad_option(ctx, "option requires an argument -- 'r'"),
                    },
                    _ => None,
                };
                let takes_rest = arg.is_some();
                if let Some(exit) = self.option(ctx, c, arg.flatten(), &mut write, &mut all, &mut preload) {
                    return exit;
                }
                if takes_rest {
                    break;
                }
            }
        }
        Parsed::Run { write, all, preload, operands }
    }

    /// One parsed option (`main`'s switch). `Some` ends the command.
    fn option(
        &mut self,
        ctx: &mut Ctx<'_>,
        c: char,
        arg: Option<String>,
        write: &mut bool,
        all: &mut bool,
        preload: &mut Option<Option<String>>,
    ) -> Option<Parsed> {
        match c {
            'b' => {
                self.print_newline = false;
                self.print_name = false;
            }
            'n' => self.print_name = false,
            'e' => self.ignore_error = true,
            'N' => self.name_only = true,
            'w' => *write = true,
            'f' | 'p' => *preload = Some(arg),
            'q' => self.quiet = true,
            'o' | 'x' => {}
            'a' | 'A' | 'X' => *all = true,
            'D' => self.ignore_deprecated = false,
            'S' => return Some(Parsed::Exit(ctx.unsupported("sysctl", "--system"))),
            'r' => {
                let p = arg.unwrap_or_default();
                self.pattern = Some(Ere::new(&p).map_or(Pattern::Invalid, Pattern::Re));
            }
            'V' => {
                ctx.print("sysctl from procps-ng 4.0.2\n");
                return Some(Parsed::Exit(0));
            }
            'd' | 'h' => {
                ctx.print(USAGE);
                return Some(Parsed::Exit(0));
            }
            other => {
                return Some(self.bad_option(ctx, &format!("invalid option -- '{other}'")));
            }
        }
        None
    }

    /// getopt's complaint, then `case '?': Usage(stdout)`, which exits 0.
    fn bad_option(&self, ctx: &mut Ctx<'_>, msg: &str) -> Parsed {
        ctx.eprint(&format!("sysctl: {msg}\n"));
        ctx.print(USAGE);
        Parsed::Exit(0)
    }

    /// `warnx`: `sysctl: MSG` on standard error.
    fn warn(ctx: &mut Ctx<'_>, msg: &str) {
        ctx.eprint(&format!("sysctl: {msg}\n"));
    }

    /// `slashdot` with its warning printed.
    fn convert(ctx: &mut Ctx<'_>, s: &str, old: char, new: char) -> String {
        let (out, warning) = slashdot(s, old, new);
        if let Some(w) = warning {
            Self::warn(ctx, &format!("separators should not be repeated: {w}"));
        }
        out
    }

    /// `ReadSetting(name)`: 0, or 1 for an unknown key.
    fn read_setting(&self, ctx: &mut Ctx<'_>, name: &str) -> i32 {
        if name.is_empty() {
            Self::warn(ctx, &format!("\"{name}\" is an unknown key"));
            return 1;
        }
        let path = Self::convert(ctx, name, '.', '/');
        let outname = Self::convert(ctx, name, '/', '.');
        let comps: Vec<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_string).collect();
        match read_file(ctx, &comps) {
            Ok(v) => {
                if self.pattern.as_ref().is_some_and(|p| !p.matches(&outname)) {
                    return 0;
                }
                self.show(ctx, &outname, &v);
                0
            }
            Err(ProcError::IsDir) => self.display_all(ctx, &comps),
            Err(e) if e == ProcError::NotFound && self.ignore_error => 0,
            Err(e) => {
                Self::warn(ctx, &format!("cannot stat {PROC_PATH}{path}: {}", e.text()));
                1
            }
        }
    }

    /// One key read: `NAME = VALUE`, `VALUE` (`-n`), `VALUE` without newline (`-b`), `NAME` (`-N`).
    fn show(&self, ctx: &mut Ctx<'_>, outname: &str, value: &str) {
        let s = if self.name_only {
            format!("{outname}\n")
        } else if self.print_name {
            format!("{outname} = {value}\n")
        } else if self.print_newline {
            format!("{value}\n")
        } else {
            value.to_string()
        };
        ctx.print(&s);
    }

    /// `DisplayAll(path)`: every file below the directory `dir`, in readdir order, deprecated
    /// ones left out unless `--deprecated`.
    fn display_all(&self, ctx: &mut Ctx<'_>, dir: &[String]) -> i32 {
        let mut rc = 0;
        for (comps, _) in files(ctx) {
            if !comps.starts_with(dir) {
                continue;
            }
            if self.ignore_deprecated && comps.iter().any(|c| DEPRECATED.contains(&c.as_str())) {
                continue;
            }
            rc |= self.read_setting(ctx, &comps.join("/"));
        }
        rc
    }

    /// `WriteSetting("NAME=VALUE")`: 0, or 1 for a key that cannot be written or a malformed setting.
    fn write_setting(&self, ctx: &mut Ctx<'_>, setting: &str) -> i32 {
        let Some((name, value)) = setting.split_once('=') else {
            // procps 4.0.2 as Debian 12 ships it (measured): the same text as a bad -p line.
            Self::warn(ctx, "command line(0): invalid syntax, continuing...");
            return 1;
        };
        if name.is_empty() {
            Self::warn(ctx, &format!("malformed setting \"{setting}\""));
            return 1;
        }
        let path = Self::convert(ctx, name, '.', '/');
        let outname = Self::convert(ctx, name, '/', '.');
        let comps: Vec<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_string).collect();
        match write_file(ctx, &comps, &format!("{value}\n")) {
            Ok(()) => {
                if !self.quiet {
                    self.show(ctx, &outname, value);
                }
                0
            }
            Err(ProcError::NotFound) if self.ignore_error => 0,
            Err(e @ (ProcError::NotFound | ProcError::NotDir)) => {
                Self::warn(ctx, &format!("cannot stat {PROC_PATH}{path}: {}", e.text()));
                1
            }
            // A read-only knob (mode 0444, e.g. conf.all.mc_forwarding): Debian 12's procps
            // prints EINVAL's text and, measured on the real kernel, still exits 0.
            Err(ProcError::Errno(Errno::Eacces)) => {
                Self::warn(ctx, &format!("setting key \"{outname}\": Invalid argument"));
                0
            }
            Err(e) => {
                Self::warn(ctx, &format!("setting key \"{outname}\": {}", e.text()));
                1
            }
        }
    }

    /// `Preload(filename)`: every `NAME = VALUE` line of the file (`-` is standard input);
    /// blank lines and `#`/`;` comments skipped.
    fn preload(&self, ctx: &mut Ctx<'_>, file: &str) -> i32 {
        let text = if file == "-" {
            ctx.stdin.take().unwrap_or_default()
        } else {
            match crate::fs::read(ctx, file) {
                Ok(t) => t,
                Err(e) => {
                    Self::warn(ctx, &format!("cannot open \"{file}\": {e}"));
                    return 1;
                }
            }
        };
        let mut rc = 0;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
            if t.len() < 2 || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            let Some((name, value)) = t.split_once('=') else {
                Self::warn(ctx, &format!("{file}({}): invalid syntax, continuing...", n + 1));
                continue;
            };
            let name = name.trim_matches(|c| c == ' ' || c == '\t');
            if name.is_empty() {
                Self::warn(ctx, &format!("{file}({}): invalid syntax, continuing...", n + 1));
                continue;
            }
            if self.pattern.as_ref().is_some_and(|p| !p.matches(name)) {
                continue;
            }
            let value = value.trim_start_matches([' ', '\t']);
            if value.is_empty() {
                Self::warn(ctx, &format!("{file}({}): invalid syntax, continuing...", n + 1));
                continue;
            }
            rc |= self.write_setting(ctx, &format!("{name}={value}"));
        }
        rc
    }
}

// ------------------------------------------------------------------------------------------------
// A POSIX extended regular expression subset
// ------------------------------------------------------------------------------------------------

/// A compiled POSIX extended regular expression (`regcomp(REG_EXTENDED | REG_NOSUB)`), as
/// procps' `pattern_match` uses it: an unanchored search. Supported: literals, `.`, bracket
/// expressions with ranges, negation and `[:class:]`, `^`, `$`, groups, `|`, and the `*`, `+`,
/// `?`, `{n}`, `{n,}`, `{n,m}` repetitions; `\c` is the literal `c`. Matching runs the compiled
/// program as a Pike VM (every thread in step), so the time is linear in the input whatever
/// the pattern.
#[derive(Debug)]
pub(crate) struct Ere {
    prog: Vec<Inst>,
}

/// The parsed expression.
#[derive(Debug, Clone)]
enum Node {
    /// Matches the empty string (an empty branch or group).
    Empty,
    /// One character of a set.
    Set(Set),
    /// `^`.
    Bol,
    /// `$`.
    Eol,
    /// A sequence.
    Cat(Vec<Node>),
    /// Alternatives (`|`).
    Alt(Vec<Node>),
    /// A repetition: the node, at least `min`, at most `max` (None: unbounded) times.
    Rep(Box<Node>, u32, Option<u32>),
}

/// A set of characters one position matches.
#[derive(Debug, Clone)]
enum Set {
    /// One character.
    One(char),
    /// `.`.
    Any,
    /// A bracket expression, `[^...]` when `neg`.
    Class { neg: bool, items: Vec<ClassItem> },
}

/// One item of a bracket expression.
#[derive(Debug, Clone)]
enum ClassItem {
    /// A character (`a` is `a-a`) or a range.
    Range(char, char),
    /// A `[:class:]`.
    Named(fn(char) -> bool),
}

impl Set {
    /// True if `c` is in the set (`.` matches anything but a newline).
    fn matches(&self, c: char) -> bool {
        match self {
            Set::One(x) => *x == c,
            Set::Any => c != '\n',
            Set::Class { neg, items } => {
                let hit = items.iter().any(|i| match i {
                    ClassItem::Range(a, b) => (*a..=*b).contains(&c),
                    ClassItem::Named(f) => f(c),
                });
                hit != *neg
            }
        }
    }
}

/// An instruction of the compiled program (Thompson's construction).
#[derive(Debug, Clone)]
enum Inst {
    /// Read one character of the set.
    Set(Set),
    /// Continue at both.
    Split(usize, usize),
    /// Continue there.
    Jmp(usize),
    /// Only at the start of the text.
    Bol,
    /// Only at the end of the text.
    Eol,
    /// The expression matched.
    Match,
}

/// `RE_DUP_MAX`: the largest repetition count.
const DUP_MAX: u32 = 255;
/// A bound on the compiled program (beyond it glibc would report `REG_ESPACE`).
const PROG_MAX: usize = 20_000;

/// The recursive-descent parser of [`Ere::new`] (`parse_reg_exp` in glibc's regcomp.c).
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    /// The next character, not consumed.
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// `BRANCH ('|' BRANCH)*`; `depth` bounds the nesting of groups.
    fn alt(&mut self, depth: usize) -> Option<Node> {
        if depth > 100 {
            return None;
        }
        let mut alts = vec![self.cat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.cat(depth)?);
        }
        Some(if alts.len() == 1 { alts.pop()? } else { Node::Alt(alts) })
    }

    /// A branch: pieces up to `|`, `)` or the end.
    fn cat(&mut self, depth: usize) -> Option<Node> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            items.push(self.repeats(atom)?);
        }
        Some(match items.len() {
            0 => Node::Empty,
            1 => items.pop()?,
            _ => Node::Cat(items),
        })
    }

    /// One atom: a group, `.`, an anchor, a bracket expression, an escaped or plain character.
    fn atom(&mut self, depth: usize) -> Option<Node> {
        let c = self.peek()?;
        self.pos += 1;
        Some(match c {
            '(' => {
                let inner = self.alt(depth + 1)?;
                if self.peek() != Some(')') {
                    return None;
                }
                self.pos += 1;
                inner
            }
            '.' => Node::Set(Set::Any),
            '^' => Node::Bol,
            '$' => Node::Eol,
            '[' => Node::Set(self.bracket()?),
            '\\' => {
                let e = self.peek()?;
                self.pos += 1;
                Node::Set(Set::One(e))
            }
            // A repetition with nothing to repeat (REG_BADRPT).
            '*' | '+' | '?' => return None,
            c => Node::Set(Set::One(c)),
        })
    }

    /// The repetitions following an atom (`*`, `+`, `?`, `{n,m}`), applied in turn.
    fn repeats(&mut self, mut node: Node) -> Option<Node> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') if self.chars.get(self.pos + 1).is_some_and(char::is_ascii_digit) => {
                    self.pos += 1;
                    let min = self.number()?;
                    let max = if self.peek() == Some(',') {
                        self.pos += 1;
                        if self.peek() == Some('}') { None } else { Some(self.number()?) }
                    } else {
                        Some(min)
                    };
                    if self.peek() != Some('}') || max.is_some_and(|m| m < min) {
                        return None;
                    }
                    (min, max)
                }
                _ => return Some(node),
            };
            self.pos += 1;
            node = Node::Rep(Box::new(node), min, max);
        }
    }

    /// A repetition count, at most `RE_DUP_MAX`.
    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let s: String = self.chars.get(start..self.pos)?.iter().collect();
        s.parse().ok().filter(|&n| n <= DUP_MAX)
    }

    /// A bracket expression after its `[`.
    fn bracket(&mut self) -> Option<Set> {
        let neg = self.peek() == Some('^');
        if neg {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.peek() == Some(':') {
                let rest: String = self.chars[self.pos + 1..].iter().collect();
                let end = rest.find(":]")?;
                let f: fn(char) -> bool = match &rest[..end] {
                    "alpha" => |c| c.is_ascii_alphabetic(),
                    "digit" => |c| c.is_ascii_digit(),
                    "alnum" => |c| c.is_ascii_alphanumeric(),
                    "upper" => |c| c.is_ascii_uppercase(),
                    "lower" => |c| c.is_ascii_lowercase(),
                    "space" => |c| c == ' ' || ('\t'..='\r').contains(&c),
                    "blank" => |c| c == ' ' || c == '\t',
                    "punct" => |c| c.is_ascii_punctuation(),
                    "print" => |c| (' '..='~').contains(&c),
                    "graph" => |c| c.is_ascii_graphic(),
                    "cntrl" => |c| c.is_ascii_control(),
                    "xdigit" => |c| c.is_ascii_hexdigit(),
                    _ => return None,
                };
                self.pos += 1 + rest[..end].chars().count() + 2;
                items.push(ClassItem::Named(f));
                continue;
            }
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                let hi = *self.chars.get(self.pos + 1)?;
                self.pos += 2;
                if hi < c {
                    return None;
                }
                items.push(ClassItem::Range(c, hi));
            } else {
                items.push(ClassItem::Range(c, c));
            }
        }
        Some(Set::Class { neg, items })
    }
}

impl Ere {
    /// Compile `pattern`; `None` where `regcomp` would fail.
    pub(crate) fn new(pattern: &str) -> Option<Ere> {
        let mut p = Parser { chars: pattern.chars().collect(), pos: 0 };
        let ast = p.alt(0)?;
        if p.pos != p.chars.len() {
            return None;
        }
        let mut prog = Vec::new();
        emit(&ast, &mut prog)?;
        prog.push(Inst::Match);
        Some(Ere { prog })
    }

    /// `regexec(re, s) == 0`: the pattern matches somewhere in `s`.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        let text: Vec<char> = s.chars().collect();
        let n = self.prog.len();
        let mut seen = vec![usize::MAX; n];
        let mut clist: Vec<usize> = Vec::new();
        for i in 0..=text.len() {
            // Unanchored: a new thread starts at every position.
            if self.add(&mut clist, &mut seen, 0, i, &text) {
                return true;
            }
            let Some(&c) = text.get(i) else { break };
            let mut nlist = Vec::new();
            for &pc in &clist {
                if let Some(Inst::Set(set)) = self.prog.get(pc)
                    && set.matches(c)
                    && self.add(&mut nlist, &mut seen, pc + 1, i + 1, &text)
                {
                    return true;
                }
            }
            clist = nlist;
        }
        false
    }

    /// Add the thread at `pc` (and everything it reaches without reading) to `list` at text
    /// position `at`. True if it reaches `Match`.
    fn add(&self, list: &mut Vec<usize>, seen: &mut [usize], pc: usize, at: usize, text: &[char]) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            let Some(mark) = seen.get_mut(pc) else { continue };
            if *mark == at {
                continue;
            }
            *mark = at;
            match self.prog.get(pc) {
                Some(Inst::Match) => return true,
                Some(Inst::Jmp(x)) => stack.push(*x),
                Some(Inst::Split(x, y)) => {
                    stack.push(*y);
                    stack.push(*x);
                }
                Some(Inst::Bol) if at == 0 => stack.push(pc + 1),
                Some(Inst::Eol) if at == text.len() => stack.push(pc + 1),
                Some(Inst::Set(_)) => list.push(pc),
                _ => {}
            }
        }
        false
    }
}

/// Compile `node` onto `prog` (Thompson's construction); `None` when too large.
fn emit(node: &Node, prog: &mut Vec<Inst>) -> Option<()> {
    if prog.len() > PROG_MAX {
        return None;
    }
    match node {
        Node::Empty => {}
        Node::Set(s) => prog.push(Inst::Set(s.clone())),
        Node::Bol => prog.push(Inst::Bol),
        Node::Eol => prog.push(Inst::Eol),
        Node::Cat(items) => {
            for n in items {
                emit(n, prog)?;
            }
        }
        Node::Alt(alts) => {
            let mut jumps = Vec::new();
            for (k, a) in alts.iter().enumerate() {
                if k + 1 < alts.len() {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    emit(a, prog)?;
                    jumps.push(prog.len());
                    prog.push(Inst::Jmp(0));
                    let next = prog.len();
                    prog[split] = Inst::Split(split + 1, next);
                } else {
                    emit(a, prog)?;
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jmp(end);
            }
        }
        Node::Rep(inner, min, max) => {
            for _ in 0..*min {
                emit(inner, prog)?;
            }
            match max {
                None => {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    emit(inner, prog)?;
                    prog.push(Inst::Jmp(split));
                    let end = prog.len();
                    prog[split] = Inst::Split(split + 1, end);
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(0, 0));
                        emit(inner, prog)?;
                    }
                    let end = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    (prog.len() <= PROG_MAX).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    #[test]
    fn slashdot_swaps_from_the_first_separator() {
        assert_eq!(slashdot("net.ipv4.ip_forward", '.', '/'), ("net/ipv4/ip_forward".into(), None));
        assert_eq!(slashdot("net/ipv4/ip_forward", '.', '/'), ("net/ipv4/ip_forward".into(), None));
        // A dot in a device name is written `/` in the dotted form.
        assert_eq!(slashdot("net.ipv4.conf.eth0/1.rp_filter", '.', '/').0, "net/ipv4/conf/eth0.1/rp_filter");
        assert_eq!(slashdot("net/ipv4/conf/eth0.1/rp_filter", '/', '.').0, "net.ipv4.conf.eth0/1.rp_filter");
        assert_eq!(slashdot("net..ipv4", '.', '/'), ("net//ipv4".into(), Some("..ipv4".into())));
        assert_eq!(slashdot("kernel", '.', '/'), ("kernel".into(), None));
    }

    #[test]
    fn ere_subset() {
        let m = |p: &str, s: &str| Ere::new(p).map(|r| r.is_match(s));
        assert_eq!(m("arp", "net.ipv4.conf.all.arp_ignore"), Some(true));
        assert_eq!(m("^net\\.ipv4\\.conf\\..*\\.arp_", "net.ipv4.conf.lo.arp_filter"), Some(true));
        assert_eq!(m("^net\\.ipv6", "net.ipv4.ip_forward"), Some(false));
        assert_eq!(m("forward$", "net.ipv4.ip_forward"), Some(true));
        assert_eq!(m("forward$", "net.ipv4.conf.all.mc_forwarding"), Some(false));
        assert_eq!(m("arp_(ignore|announce)", "net.ipv4.conf.all.arp_announce"), Some(true));
        assert_eq!(m("arp_(ignore|announce)", "net.ipv4.conf.all.arp_accept"), Some(false));
        assert_eq!(m("eth[0-9]+\\.", "net.ipv4.conf.eth12.rp_filter"), Some(true));
        assert_eq!(m("conf\\.[^ad]", "net.ipv4.conf.all.x"), Some(false));
        assert_eq!(m("[[:digit:]]{2}", "a1b22"), Some(true));
        assert_eq!(m("^a{2,3}$", "aaaa"), Some(false));
        assert_eq!(m("^a{2,3}$", "aaa"), Some(true));
        assert_eq!(m("^(ab)?c$", "c"), Some(true));
        assert_eq!(m("", "anything"), Some(true));
        // regcomp failures.
        for bad in ["(", "a)", "[abc", "*a", "a{3,2}", "[z-a]", "[[:nope:]]"] {
            assert!(Ere::new(bad).is_none(), "{bad}");
        }
        // Linear time on a pathological pattern.
        let p = "a*".repeat(30) + "b";
        assert_eq!(m(&p, &"a".repeat(200)), Some(false));
    }

    proptest::proptest! {
        /// regcomp/regexec never panic, and a pattern without special characters is a substring
        /// search.
        #[test]
        fn ere_never_panics(p in "[a-c.*+?()|\\[\\]{}^$\\\\0-9,:-]{0,16}", s in "[a-c0-9.]{0,24}") {
            if let Some(re) = Ere::new(&p) {
                let _ = re.is_match(&s);
            }
        }

        #[test]
        fn ere_literals_are_substring_search(p in "[a-z_]{0,6}", s in "[a-z_]{0,12}") {
            proptest::prop_assert_eq!(Ere::new(&p).map(|re| re.is_match(&s)), Some(s.contains(&p)));
        }
    }

    #[test]
    fn proc_dointvec_parses_like_the_kernel() {
        assert_eq!(proc_dointvec("1000\n"), Some(1000));
        assert_eq!(proc_dointvec("  -5"), Some(-5));
        assert_eq!(proc_dointvec("0x10\n"), Some(16));
        assert_eq!(proc_dointvec("010"), Some(8));
        assert_eq!(proc_dointvec("12 34"), Some(12));
        assert_eq!(proc_dointvec("12x"), None);
        assert_eq!(proc_dointvec(""), None);
        assert_eq!(proc_dointvec("2147483648"), None);
    }

    #[test]
    fn netdev_max_backlog_only_in_the_initial_namespace() {
        let mut s = Session::new(1).unwrap();
        let ns = s.world().rtnl().netns_add("other").unwrap();
        let mut ctx = Ctx::new(&mut s, ns);
        let args: Vec<String> = ["net.core.netdev_max_backlog"].iter().map(|a| a.to_string()).collect();
        assert_eq!(main(&mut ctx, &args), 1);
        assert_eq!(ctx.err, "sysctl: cannot stat /proc/sys/net/core/netdev_max_backlog: No such file or directory\n");
        let mut ctx = Ctx::new(&mut s, NetnsId::INIT);
        assert_eq!(main(&mut ctx, &args), 0);
        assert_eq!(ctx.out, "net.core.netdev_max_backlog = 1000\n");
    }

    #[test]
    fn knobs_are_per_namespace() {
        let mut s = Session::new(1).unwrap();
        let ns = s.world().rtnl().netns_add("other").unwrap();
        let w = |s: &mut Session, ns, a: &str| {
            let mut ctx = Ctx::new(s, ns);
            let rc = main(&mut ctx, &a.split(' ').map(str::to_string).collect::<Vec<_>>());
            (rc, ctx.out, ctx.err)
        };
        assert_eq!(w(&mut s, ns, "-w net.ipv4.ip_forward=1").0, 0);
        assert_eq!(w(&mut s, ns, "-n net.ipv4.ip_forward").1, "1\n");
        assert_eq!(w(&mut s, NetnsId::INIT, "-n net.ipv4.ip_forward").1, "0\n");
    }
}
