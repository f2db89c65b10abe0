//! The shell subset scripts are written in: words with `'...'`, `"..."` and `\` quoting,
//! pipelines (`a | b`), one output redirection per stage (`> FILE`, `>> FILE`, `2> FILE`,
//! `2>&1`), and a trailing `&` that runs the line in the background.

use std::fmt;

/// One stage of a pipeline: a command and its redirections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stage {
    /// The words, quotes removed.
    pub(crate) argv: Vec<String>,
    /// `> FILE` or `>> FILE` (append when the flag is set).
    pub(crate) stdout_to: Option<(String, bool)>,
    /// `2> FILE`.
    pub(crate) stderr_to: Option<String>,
    /// `2>&1`.
    pub(crate) stderr_to_stdout: bool,
}

/// A parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) stages: Vec<Stage>,
    /// A trailing `&`.
    pub(crate) background: bool,
}

/// Why a line could not be split into words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexError {
    /// 0-based character column the lexer stopped at.
    pub(crate) col: usize,
    pub(crate) msg: String,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.col + 1, self.msg)
    }
}

enum Tok {
    Word(String),
    Pipe,
    Amp,
    Redir { fd: u8, append: bool },
    DupErr,
}

fn tokens(line: &str) -> Result<Vec<(usize, Tok)>, LexError> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        match c {
            '#' => break,
            '|' => {
                if chars.get(i + 1) == Some(&'|') {
                    return Err(LexError { col: i, msg: "\"||\" is not supported".into() });
                }
                out.push((start, Tok::Pipe));
                i += 1;
                continue;
            }
            '&' => {
                if chars.get(i + 1) == Some(&'&') {
                    return Err(LexError { col: i, msg: "\"&&\" is not supported".into() });
                }
                out.push((start, Tok::Amp));
                i += 1;
                continue;
            }
            ';' => return Err(LexError { col: i, msg: "\";\" is not supported: one command a line".into() }),
            '>' => {
                let append = chars.get(i + 1) == Some(&'>');
                out.push((start, Tok::Redir { fd: 1, append }));
                i += if append { 2 } else { 1 };
                continue;
            }
            '<' => return Err(LexError { col: i, msg: "input redirection is not supported".into() }),
            '2' if chars.get(i + 1) == Some(&'>') => {
                if chars.get(i + 2) == Some(&'&') && chars.get(i + 3) == Some(&'1') {
                    out.push((start, Tok::DupErr));
                    i += 4;
                } else {
                    out.push((start, Tok::Redir { fd: 2, append: false }));
                    i += 2;
                }
                continue;
            }
            _ => {}
        }
        // A word: runs of plain, quoted and escaped characters.
        let mut w = String::new();
        while i < chars.len() {
            let c = chars[i];
            match c {
                c if c.is_whitespace() => break,
                '|' | '&' | ';' | '>' | '<' => break,
                '\\' => {
                    match chars.get(i + 1) {
                        Some(&n) => w.push(n),
                        None => return Err(LexError { col: i, msg: "a trailing \"\\\" escapes nothing".into() }),
                    }
                    i += 2;
                }
                '\'' => {
                    let close = chars[i + 1..].iter().position(|&c| c == '\'');
                    let Some(n) = close else {
                        return Err(LexError { col: i, msg: "unterminated quote \"'\"".into() });
                    };
                    w.extend(&chars[i + 1..i + 1 + n]);
                    i += n + 2;
                }
                '"' => {
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(LexError { col: start, msg: "unterminated quote '\"'".into() }),
                            Some('"') => {
                                i += 1;
                                break;
                            }
                            Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                                w.push(chars[i + 1]);
                                i += 2;
                            }
                            Some(&c) => {
                                w.push(c);
                                i += 1;
                            }
                        }
                    }
                }
                _ => {
                    w.push(c);
                    i += 1;
                }
            }
        }
        out.push((start, Tok::Word(w)));
    }
    Ok(out)
}

/// Split `line` into a pipeline. An empty or comment-only line gives no stages.
pub(crate) fn parse(line: &str) -> Result<Line, LexError> {
    let toks = tokens(line)?;
    let mut res = Line::default();
    let mut cur = Stage::default();
    let mut it = toks.into_iter().peekable();
    while let Some((col, t)) = it.next() {
        match t {
            Tok::Word(w) => cur.argv.push(w),
            Tok::Pipe => {
                if cur.argv.is_empty() {
                    return Err(LexError { col, msg: "a pipe needs a command on its left".into() });
                }
                res.stages.push(std::mem::take(&mut cur));
            }
            Tok::Amp => {
                if it.peek().is_some() {
                    return Err(LexError { col, msg: "\"&\" must end the line".into() });
                }
                if cur.argv.is_empty() {
                    return Err(LexError { col, msg: "\"&\" needs a command".into() });
                }
                res.background = true;
            }
            Tok::Redir { fd, append } => {
                let Some((_, Tok::Word(target))) = it.next() else {
                    return Err(LexError { col, msg: "a redirection needs a file name".into() });
                };
                if fd == 1 {
                    cur.stdout_to = Some((target, append));
                } else {
                    cur.stderr_to = Some(target);
                }
            }
            Tok::DupErr => cur.stderr_to_stdout = true,
        }
    }
    if !cur.argv.is_empty() {
        res.stages.push(cur);
    } else if !res.stages.is_empty() {
        return Err(LexError { col: line.chars().count(), msg: "a pipe needs a command on its right".into() });
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        parse(line).unwrap().stages.into_iter().map(|s| s.argv).collect()
    }

    #[test]
    fn words_quotes_and_pipes() {
        assert_eq!(words("ip  link show"), vec![vec!["ip", "link", "show"]]);
        assert_eq!(words("grep 'a b' \"c\\\"d\" e\\ f"), vec![vec!["grep", "a b", "c\"d", "e f"]]);
        assert_eq!(words("ethtool -k br0 | grep netns"), vec![vec!["ethtool", "-k", "br0"], vec!["grep", "netns"]]);
        assert_eq!(words("ip link # a comment"), vec![vec!["ip", "link"]]);
        assert!(parse("   ").unwrap().stages.is_empty());
        assert!(parse("# only a comment").unwrap().stages.is_empty());
    }

    #[test]
    fn redirections_and_background() {
        let l = parse("echo 1 > /proc/sys/net/ipv4/ip_forward").unwrap();
        assert_eq!(l.stages[0].argv, vec!["echo", "1"]);
        assert_eq!(l.stages[0].stdout_to, Some(("/proc/sys/net/ipv4/ip_forward".into(), false)));
        let l = parse("tcpdump -i veth0 -w x.pcap 2>/dev/null &").unwrap();
        assert!(l.background);
        assert_eq!(l.stages[0].stderr_to.as_deref(), Some("/dev/null"));
        let l = parse("cat f 2>&1 >> out").unwrap();
        assert!(l.stages[0].stderr_to_stdout);
        assert_eq!(l.stages[0].stdout_to, Some(("out".into(), true)));
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(parse("echo 'abc").unwrap_err().col, 5);
        assert_eq!(parse("a & b").unwrap_err().col, 2);
        assert!(parse("| grep x").is_err());
        assert!(parse("ip link |").is_err());
        assert!(parse("echo >").is_err());
        assert!(parse("a; b").is_err());
        assert!(parse("a && b").is_err());
        assert!(parse("echo x\\").is_err());
    }
}
