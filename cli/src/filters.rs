//! The text tools scripts pipe into: `echo`, `grep`, `head`, `tail`, `wc`. Enough of each for
//! `ethtool -k br0 | grep netns`, `sysctl -a | grep arp`, `ip link | wc -l`.

use crate::session::Ctx;

/// `echo [-n] [-e] WORDS...`.
pub(crate) fn echo(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut newline = true;
    let mut words = args;
    while let Some(first) = words.first() {
        match first.as_str() {
            "-n" => newline = false,
            "-e" | "-E" => {}
            _ => break,
        }
        words = &words[1..];
    }
    let mut s = words.join(" ");
    if newline {
        s.push('\n');
    }
    ctx.print(&s);
    0
}

fn input(ctx: &mut Ctx<'_>, files: &[&String], tool: &str) -> Result<String, i32> {
    if files.is_empty() {
        return Ok(ctx.stdin.take().unwrap_or_default());
    }
    let mut s = String::new();
    for f in files {
        match crate::fs::read(ctx, f) {
            Ok(t) => s.push_str(&t),
            Err(e) => {
                ctx.eprint(&format!("{tool}: {f}: {e}\n"));
                return Err(2);
            }
        }
    }
    Ok(s)
}

/// `grep [-v] [-i] [-c] [-q] [-E|-F] [-e] PATTERN [FILE...]`. Patterns are fixed strings with `^`
/// and `$` anchors, `.` and `.*`; exit status 0 when a line matched, 1 when none did, 2 on error.
pub(crate) fn grep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (mut invert, mut icase, mut count, mut quiet) = (false, false, false, false);
    let mut pattern: Option<String> = None;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-e" => pattern = it.next().cloned(),
            s if s.starts_with('-') && s.len() > 1 && pattern.is_none() => {
                for c in s[1..].chars() {
                    match c {
                        'v' => invert = true,
                        'i' => icase = true,
                        'c' => count = true,
                        'q' => quiet = true,
                        'E' | 'F' | 'G' | 'w' => {}
                        _ => return ctx.fail(2, &format!("grep: invalid option -- '{c}'")),
                    }
                }
            }
            _ if pattern.is_none() => pattern = Some(a.clone()),
            _ => files.push(a),
        }
    }
    let Some(pat) = pattern else {
        return ctx.fail(2, "Usage: grep [OPTION]... PATTERNS [FILE]...");
    };
    let text = match input(ctx, &files, "grep") {
        Ok(t) => t,
        Err(rc) => return rc,
    };
    let re = Pattern::new(&pat, icase);
    let mut n = 0;
    for line in text.lines() {
        if re.matches(line) != invert {
            n += 1;
            if !count && !quiet {
                ctx.print(line);
                ctx.print("\n");
            }
        }
    }
    if count && !quiet {
        ctx.print(&format!("{n}\n"));
    }
    if n > 0 { 0 } else { 1 }
}

/// A basic regular expression subset: literals, `.`, `*` after an atom, `^`, `$`, `\` escapes,
/// and `|` alternation (as `grep -E`).
struct Pattern {
    alts: Vec<Vec<Atom>>,
    anchored_start: Vec<bool>,
    anchored_end: Vec<bool>,
    icase: bool,
}

#[derive(Clone, Copy)]
enum Atom {
    Char(char, bool),
    Any(bool),
}

impl Pattern {
    fn new(p: &str, icase: bool) -> Pattern {
        let mut alts = Vec::new();
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for alt in p.split('|') {
            let mut chars: Vec<char> = alt.chars().collect();
            let start = chars.first() == Some(&'^');
            if start {
                chars.remove(0);
            }
            let end = chars.last() == Some(&'$') && !(chars.len() >= 2 && chars[chars.len() - 2] == '\\');
            if end {
                chars.pop();
            }
            let mut atoms = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                let a = match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        i += 1;
                        Atom::Char(chars[i], false)
                    }
                    '.' => Atom::Any(false),
                    c => Atom::Char(c, false),
                };
                i += 1;
                let star = chars.get(i) == Some(&'*');
                if star {
                    i += 1;
                }
                atoms.push(match a {
                    Atom::Char(c, _) => Atom::Char(c, star),
                    Atom::Any(_) => Atom::Any(star),
                });
            }
            alts.push(atoms);
            starts.push(start);
            ends.push(end);
        }
        Pattern { alts, anchored_start: starts, anchored_end: ends, icase }
    }

    fn matches(&self, line: &str) -> bool {
        let text: Vec<char> = if self.icase { line.to_lowercase().chars().collect() } else { line.chars().collect() };
        (0..self.alts.len()).any(|k| {
            let atoms = &self.alts[k];
            let last = if self.anchored_start[k] { 0 } else { text.len() };
            (0..=last).any(|s| self.match_here(atoms, &text[s..], self.anchored_end[k]))
        })
    }

    fn eq(&self, a: char, b: char) -> bool {
        if self.icase { a.to_lowercase().eq(b.to_lowercase()) } else { a == b }
    }

    fn match_here(&self, atoms: &[Atom], text: &[char], end: bool) -> bool {
        let Some((&first, rest)) = atoms.split_first() else {
            return !end || text.is_empty();
        };
        let one = |c: char| match first {
            Atom::Char(p, _) => self.eq(p, c),
            Atom::Any(_) => true,
        };
        let star = matches!(first, Atom::Char(_, true) | Atom::Any(true));
        if star {
            let mut i = 0;
            loop {
                if self.match_here(rest, &text[i..], end) {
                    return true;
                }
                if i < text.len() && one(text[i]) {
                    i += 1;
                } else {
                    return false;
                }
            }
        }
        !text.is_empty() && one(text[0]) && self.match_here(rest, &text[1..], end)
    }
}

fn count_arg(args: &[String], tool: &str) -> Result<(usize, Vec<String>), String> {
    let mut n = 10;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = if a == "-n" {
            it.next().cloned()
        } else if let Some(v) = a.strip_prefix("-n") {
            Some(v.to_string())
        } else if let Some(v) = a.strip_prefix('-').filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())) {
            Some(v.to_string())
        } else {
            files.push(a.clone());
            continue;
        };
        let v = v.unwrap_or_default();
        n = v.parse().map_err(|_| format!("{tool}: invalid number of lines: '{v}'"))?;
    }
    Ok((n, files))
}

/// `head [-n N|-N] [FILE]`.
pub(crate) fn head(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (n, files) = match count_arg(args, "head") {
        Ok(x) => x,
        Err(e) => return ctx.fail(1, &e),
    };
    let text = match input(ctx, &files.iter().collect::<Vec<_>>(), "head") {
        Ok(t) => t,
        Err(_) => return 1,
    };
    let out: String = text.split_inclusive('\n').take(n).collect();
    ctx.print(&out);
    0
}

/// `tail [-n N|-N] [FILE]`.
pub(crate) fn tail(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (n, files) = match count_arg(args, "tail") {
        Ok(x) => x,
        Err(e) => return ctx.fail(1, &e),
    };
    let text = match input(ctx, &files.iter().collect::<Vec<_>>(), "tail") {
        Ok(t) => t,
        Err(_) => return 1,
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let out: String = lines[lines.len().saturating_sub(n)..].concat();
    ctx.print(&out);
    0
}

/// `wc [-l|-w|-c]` on standard input.
pub(crate) fn wc(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let text = ctx.stdin.take().unwrap_or_default();
    let l = text.matches('\n').count();
    let w = text.split_whitespace().count();
    let c = text.len();
    let out = match args.first().map(String::as_str) {
        Some("-l") => format!("{l}\n"),
        Some("-w") => format!("{w}\n"),
        Some("-c") => format!("{c}\n"),
        None => format!("{l:>7} {w:>7} {c:>7}\n"),
        Some(o) => return ctx.fail(1, &format!("wc: unsupported option '{o}'")),
    };
    ctx.print(&out);
    0
}

#[cfg(test)]
mod tests {
    use crate::Session;

    fn run(line: &str) -> (String, i32) {
        let o = Session::new(1).unwrap().exec(line);
        (o.stdout, o.rc)
    }

    #[test]
    fn grep_forms() {
        assert_eq!(run("echo netns-local: off | grep netns"), ("netns-local: off\n".into(), 0));
        assert_eq!(run("echo abc | grep -v b"), ("".into(), 1));
        assert_eq!(run("echo abc | grep -c b"), ("1\n".into(), 0));
        assert_eq!(run("echo abc | grep -q b"), ("".into(), 0));
        assert_eq!(run("echo abc | grep ^b"), ("".into(), 1));
        assert_eq!(run("echo abc | grep '^a.c$'"), ("abc\n".into(), 0));
        assert_eq!(run("echo ABC | grep -i abc"), ("ABC\n".into(), 0));
        assert_eq!(run("echo net.ipv4.conf.all.arp_ignore | grep 'net.ipv4.conf.*.arp'").1, 0);
        assert_eq!(run("echo x | grep -E 'y|x'").1, 0);
        assert_eq!(run("echo x | grep").1, 2);
    }

    #[test]
    fn head_tail_wc() {
        let mut s = Session::new(1).unwrap();
        assert_eq!(s.exec("echo a | head -n 0").stdout, "");
        assert_eq!(s.exec("echo a | head -1").stdout, "a\n");
        assert_eq!(s.exec("echo a | tail -n 1").stdout, "a\n");
        assert_eq!(s.exec("echo a b | wc -l").stdout, "1\n");
        assert_eq!(s.exec("echo a b | wc -w").stdout, "2\n");
        assert_eq!(s.exec("echo a b | wc").stdout, "      1       2       4\n");
        assert_eq!(s.exec("echo a | head -n x").rc, 1);
    }
}
