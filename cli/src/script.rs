//! `vnet run FILE`: replay a script, one command a line.
//!
//! - `#` starts a comment; comment lines are copied into the transcript (as the golden scripts'
//!   `note` lines are).
//! - A line ending in `\` continues on the next.
//! - A leading `!` marks a line expected to fail: a non-zero status is what it should give, and a
//!   zero status fails the script.
//! - The run stops at the first failing line (its status becomes the run's) unless
//!   `keep_going` is set; background jobs still running at the end are collected in a final
//!   `wait` block.

use crate::session::{Output, Session};

/// One logical script line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptLine {
    /// 1-based number of the line it starts on.
    pub line_no: usize,
    /// The command (continuations joined, the `!` marker removed), or the comment text.
    pub text: String,
    /// The line began with `!`.
    pub expect_fail: bool,
    /// A `#` comment line.
    pub comment: bool,
}

/// Split a script into logical lines: continuations joined, blank lines dropped.
pub fn parse(src: &str) -> Vec<ScriptLine> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in src.lines().enumerate() {
        let (start, mut text) = match pending.take() {
            Some((n, mut acc)) => {
                // Backslash-newline disappears (bash); leading blanks after a blank are just
                // more word separation, so they are folded.
                let next = if acc.ends_with(char::is_whitespace) { raw.trim_start() } else { raw };
                acc.push_str(next);
                (n, acc)
            }
            None => (i + 1, raw.to_string()),
        };
        let continued = {
            let t = text.trim_end();
            let slashes = t.len() - t.trim_end_matches('\\').len();
            slashes % 2 == 1
        };
        if continued {
            let t = text.trim_end();
            text = t[..t.len() - 1].to_string();
            pending = Some((start, text));
            continue;
        }
        push(&mut out, start, &text);
    }
    if let Some((n, text)) = pending {
        push(&mut out, n, &text);
    }
    out
}

fn push(out: &mut Vec<ScriptLine>, line_no: usize, text: &str) {
    let t = text.trim();
    if t.is_empty() {
        return;
    }
    if t.starts_with('#') {
        out.push(ScriptLine { line_no, text: t.to_string(), expect_fail: false, comment: true });
        return;
    }
    let (expect_fail, cmd) = match t.strip_prefix('!') {
        Some(rest) if rest.starts_with(char::is_whitespace) || rest.is_empty() => (true, rest.trim()),
        _ => (false, t),
    };
    out.push(ScriptLine { line_no, text: cmd.to_string(), expect_fail, comment: false });
}

/// How to run a script.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOpts {
    /// Go on after a failing line (the run's status is still the first failure's).
    pub keep_going: bool,
}

/// One step of a run, in order: what a terminal and a transcript show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A comment line, verbatim.
    Comment(String),
    /// A command and what it printed.
    Command {
        /// 1-based script line.
        line_no: usize,
        /// The command as written (without the `!` marker).
        cmd: String,
        /// What it printed and its status.
        out: Output,
    },
    /// A line that failed the run: the message `vnet run` prints for it.
    Failure(String),
}

/// The outcome of a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Everything that happened, in order.
    pub steps: Vec<Step>,
    /// The run's exit status: 0, or the first failing line's (1 for an expected failure that
    /// succeeded).
    pub status: i32,
}

impl Report {
    /// The transcript: one block per command ([`Output::transcript_block`]), comments verbatim.
    pub fn transcript(&self) -> String {
        let mut s = String::new();
        for st in &self.steps {
            match st {
                Step::Comment(c) => {
                    s.push_str(c);
                    s.push('\n');
                }
                Step::Command { cmd, out, .. } => s.push_str(&out.transcript_block(cmd)),
                Step::Failure(_) => {}
            }
        }
        s
    }
}

/// Run `src` on `session`. `on_step` sees every step as it happens (to print it live).
pub fn run(session: &mut Session, src: &str, opts: RunOpts, on_step: &mut dyn FnMut(&Step)) -> Report {
    let mut rep = Report::default();
    let mut emit = |rep: &mut Report, st: Step| {
        on_step(&st);
        rep.steps.push(st);
    };
    for l in parse(src) {
        if l.comment {
            emit(&mut rep, Step::Comment(l.text));
            continue;
        }
        session.set_line_no(Some(l.line_no));
        let out = session.exec(&l.text);
        let rc = out.rc;
        emit(&mut rep, Step::Command { line_no: l.line_no, cmd: l.text.clone(), out });
        let failure = match (l.expect_fail, rc) {
            (false, 0) | (true, 1..) | (true, ..0) => None,
            (false, rc) => Some((rc, format!("vnet: line {}: exit status {rc}: {}", l.line_no, l.text))),
            (true, 0) => Some((1, format!("vnet: line {}: expected to fail but succeeded: {}", l.line_no, l.text))),
        };
        if let Some((rc, msg)) = failure {
            emit(&mut rep, Step::Failure(msg));
            if rep.status == 0 {
                rep.status = rc;
            }
            if !opts.keep_going {
                break;
            }
        }
    }
    session.set_line_no(None);
    let jobs = session.finish_jobs();
    if !jobs.is_empty() {
        let mut out = Output::default();
        for (_, o) in jobs {
            out.stdout.push_str(&o.stdout);
            out.stderr.push_str(&o.stderr);
        }
        emit(&mut rep, Step::Command { line_no: 0, cmd: "wait".into(), out });
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_lines() {
        let src = "# note\n\necho a \\\n  b\necho c\\\nd\n! false\n!echo x\necho c\\\\\n";
        let l = parse(src);
        assert_eq!(l.len(), 6);
        assert!(l[0].comment);
        assert_eq!((l[1].line_no, l[1].text.as_str()), (3, "echo a b"));
        assert_eq!(l[2].text, "echo cd");
        assert_eq!((l[3].text.as_str(), l[3].expect_fail), ("false", true));
        // `!echo` is not the marker (bash needs the space too).
        assert_eq!((l[4].text.as_str(), l[4].expect_fail), ("!echo x", false));
        assert_eq!(l[5].text, "echo c\\\\");
    }

    fn go(src: &str, keep_going: bool) -> Report {
        let mut s = Session::new(1).unwrap();
        run(&mut s, src, RunOpts { keep_going }, &mut |_| {})
    }

    #[test]
    fn stops_at_the_first_failure() {
        let r = go("echo a\nfalse\necho b\n", false);
        assert_eq!(r.status, 1);
        assert_eq!(r.transcript(), "$ echo a\n--- stdout\na\n--- rc=0\n$ false\n--- rc=1\n");
        assert!(matches!(&r.steps[2], Step::Failure(m) if m == "vnet: line 2: exit status 1: false"));
        let r = go("echo a\nfalse\necho b\n", true);
        assert_eq!(r.status, 1);
        assert!(r.transcript().ends_with("$ echo b\n--- stdout\nb\n--- rc=0\n"));
    }

    #[test]
    fn expected_failures() {
        let r = go("! false\necho ok\n", false);
        assert_eq!(r.status, 0);
        assert_eq!(r.transcript(), "$ false\n--- rc=1\n$ echo ok\n--- stdout\nok\n--- rc=0\n");
        let r = go("! true\n", false);
        assert_eq!(r.status, 1);
    }

    #[test]
    fn unknown_commands_name_the_line() {
        let r = go("echo a\nfrobnicate now\n", false);
        assert_eq!(r.status, 127);
        let Step::Command { out, .. } = &r.steps[1] else { panic!() };
        assert_eq!(out.stderr, "vnet: line 2: frobnicate: command not found\n");
    }

    #[test]
    fn jobs_left_running_are_collected_at_the_end() {
        let r = go("echo bg &\necho fg\n", false);
        assert_eq!(
            r.transcript(),
            "$ echo bg &\n--- rc=0\n$ echo fg\n--- stdout\nfg\n--- rc=0\n$ wait\n--- stdout\nbg\n--- rc=0\n"
        );
    }
}
