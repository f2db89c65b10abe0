//! iproute2's JSON writer (`lib/json_writer.c` under `lib/json_print.c`), byte for byte: the
//! compact form of `-j` and the indented one of `-j -p`.

use std::fmt::Write as _;

/// iproute2's `json_writer.c` under `new_json_obj`: a top-level array; with `-p`, members on
/// their own lines indented four spaces a level, arrays inline (`[ "UP","LOWER_UP" ]`).
#[derive(Debug)]
pub(crate) struct Json {
    out: String,
    pretty: bool,
    depth: usize,
    /// The separator owed before the next value (`self->sep`).
    sep: Option<char>,
}

impl Json {
    /// `new_json_obj`: the opening of the top-level array.
    pub(crate) fn new(pretty: bool) -> Json {
        let mut j = Json { out: String::new(), pretty, depth: 0, sep: None };
        j.begin_array();
        j
    }

    fn eor(&mut self) {
        if let Some(c) = self.sep {
            self.out.push(c);
        }
        self.sep = Some(',');
    }

    fn eol(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
    }

    fn end(&mut self, c: char) {
        self.depth = self.depth.saturating_sub(1);
        if self.sep.is_some() {
            self.eol();
        }
        self.out.push(c);
        self.sep = Some(',');
    }

    fn puts(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\u{c}' => self.out.push_str("\\f"),
                '\u{8}' => self.out.push_str("\\b"),
                '\\' => self.out.push_str("\\\\"),
                '"' => self.out.push_str("\\\""),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// `jsonw_start_object`.
    pub(crate) fn begin_object(&mut self) {
        self.eor();
        self.out.push('{');
        self.depth += 1;
        self.sep = None;
    }

    /// `jsonw_end_object`.
    pub(crate) fn end_object(&mut self) {
        self.end('}');
    }

    /// `jsonw_start_array`.
    pub(crate) fn begin_array(&mut self) {
        self.eor();
        self.out.push('[');
        self.depth += 1;
        self.sep = None;
        if self.pretty {
            self.out.push(' ');
        }
    }

    /// `jsonw_end_array`.
    pub(crate) fn end_array(&mut self) {
        if self.pretty && self.sep.is_some() {
            self.out.push(' ');
        }
        self.sep = None;
        self.end(']');
    }

    /// `jsonw_name`: a member's key.
    pub(crate) fn name(&mut self, n: &str) {
        self.eor();
        self.eol();
        self.sep = None;
        self.puts(n);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }

    /// A string value.
    pub(crate) fn string(&mut self, v: &str) {
        self.eor();
        self.puts(v);
    }

    /// An unsigned number.
    pub(crate) fn uint(&mut self, v: u64) {
        self.eor();
        let _ = write!(self.out, "{v}");
    }

    /// `true`/`false`.
    pub(crate) fn bool(&mut self, v: bool) {
        self.eor();
        self.out.push_str(if v { "true" } else { "false" });
    }

    /// `null`.
    pub(crate) fn null(&mut self) {
        self.eor();
        self.out.push_str("null");
    }

    /// An array of strings.
    pub(crate) fn strings(&mut self, v: &[&str]) {
        self.begin_array();
        for s in v {
            self.string(s);
        }
        self.end_array();
    }

    /// `delete_json_obj`: close the top-level array; the output ends in a newline.
    pub(crate) fn finish(mut self) -> String {
        self.end_array();
        self.out.push('\n');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_writer_matches_iproute2_layout() {
        let mut j = Json::new(false);
        j.begin_object();
        j.name("ifindex");
        j.uint(1);
        j.name("flags");
        j.strings(&["LOOPBACK", "UP"]);
        j.name("link");
        j.null();
        j.end_object();
        assert_eq!(j.finish(), "[{\"ifindex\":1,\"flags\":[\"LOOPBACK\",\"UP\"],\"link\":null}]\n");
        let mut j = Json::new(true);
        for i in 0..2 {
            j.begin_object();
            j.name("ifindex");
            j.uint(i);
            j.name("flags");
            j.strings(&["A", "B"]);
            j.name("o");
            j.begin_object();
            j.name("k");
            j.string("v\"\n");
            j.end_object();
            j.end_object();
        }
        let want = "[ {\n        \"ifindex\": 0,\n        \"flags\": [ \"A\",\"B\" ],\n        \"o\": {\n            \
                    \"k\": \"v\\\"\\n\"\n        }\n    },{\n        \"ifindex\": 1,\n        \"flags\": [ \"A\",\"B\" ],\n        \
                    \"o\": {\n            \"k\": \"v\\\"\\n\"\n        }\n    } ]\n";
        assert_eq!(j.finish(), want);
        assert_eq!(Json::new(true).finish(), "[ ]\n");
        assert_eq!(Json::new(false).finish(), "[]\n");
    }
}
