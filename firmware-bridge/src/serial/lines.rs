//! Splits a serial byte stream into lines. Devices send partial lines, garbage and
//! runaway data; each complete line comes out as text, or as a reason it was dropped.

use crate::config::Terminator;

/// What one complete line turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    Line(String),
    /// Not valid UTF-8 (line noise, a wrong baud rate).
    NotUtf8,
    /// Longer than the maximum; everything up to the next terminator was discarded.
    TooLong,
}

/// Accumulates bytes and yields complete lines. `CR` lines end at `\r` (a `\n` right
/// after it is ignored); `LF` and `CRLF` lines end at `\n` with one `\r` before it
/// removed. Empty lines are skipped.
#[derive(Debug, Clone)]
pub struct LineSplitter {
    terminator: Terminator,
    max: usize,
    buf: Vec<u8>,
    overflow: bool,
}

impl LineSplitter {
    pub fn new(terminator: Terminator, max: usize) -> Self {
        Self {
            terminator,
            max: max.max(1),
            buf: Vec::new(),
            overflow: false,
        }
    }

    /// Forgets a partial line (after the port was reopened, it belongs to nobody).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }

    /// Feeds bytes; complete lines are appended to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Chunk>) {
        let end = match self.terminator {
            Terminator::CR => b'\r',
            Terminator::LF | Terminator::CRLF => b'\n',
        };
        for &b in bytes {
            if b == end {
                self.finish(out);
            } else if self.overflow
                || (b == b'\n' && self.terminator == Terminator::CR && self.buf.is_empty())
            {
                continue;
            } else {
                self.buf.push(b);
                // One extra byte for the `\r` an LF line may carry.
                if self.buf.len() > self.max + 1 {
                    self.buf.clear();
                    self.overflow = true;
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Chunk>) {
        if std::mem::take(&mut self.overflow) {
            out.push(Chunk::TooLong);
            return;
        }
        let mut line = std::mem::take(&mut self.buf);
        if self.terminator != Terminator::CR && line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() {
            return;
        }
        if line.len() > self.max {
            out.push(Chunk::TooLong);
            return;
        }
        match String::from_utf8(line) {
            Ok(text) => out.push(Chunk::Line(text)),
            Err(_) => out.push(Chunk::NotUtf8),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn split(t: Terminator, max: usize, parts: &[&[u8]]) -> Vec<Chunk> {
        let mut s = LineSplitter::new(t, max);
        let mut out = Vec::new();
        for p in parts {
            s.feed(p, &mut out);
        }
        out
    }

    fn line(s: &str) -> Chunk {
        Chunk::Line(s.into())
    }

    #[test]
    fn a_line_split_across_reads_comes_out_whole() {
        let out = split(Terminator::CR, 64, &[b"GQ1:AB", b"CD", b"\rNEXT\r"]);
        assert_eq!(out, [line("GQ1:ABCD"), line("NEXT")]);
    }

    #[test]
    fn cr_mode_tolerates_crlf_and_lf_mode_tolerates_crlf() {
        assert_eq!(
            split(Terminator::CR, 64, &[b"A\r\nB\r\n"]),
            [line("A"), line("B")]
        );
        assert_eq!(
            split(Terminator::LF, 64, &[b"A\r\nB\n"]),
            [line("A"), line("B")]
        );
        assert_eq!(
            split(Terminator::CRLF, 64, &[b"A\r", b"\nB\r\n"]),
            [line("A"), line("B")]
        );
    }

    #[test]
    fn garbage_is_reported_not_published() {
        let out = split(Terminator::CR, 64, &[b"\xff\xfe\x00\r", b"OK\r"]);
        assert_eq!(out, [Chunk::NotUtf8, line("OK")]);
    }

    #[test]
    fn an_oversized_line_is_dropped_up_to_its_terminator() {
        let long = vec![b'A'; 100];
        let out = split(Terminator::LF, 10, &[&long, &long, b"\nshort\n"]);
        assert_eq!(out, [Chunk::TooLong, line("short")]);
        // Exactly at the limit is fine.
        assert_eq!(split(Terminator::LF, 5, &[b"12345\r\n"]), [line("12345")]);
        assert_eq!(split(Terminator::LF, 5, &[b"123456\n"]), [Chunk::TooLong]);
    }

    #[test]
    fn empty_lines_are_skipped_and_reset_forgets_a_partial_line() {
        let mut s = LineSplitter::new(Terminator::CR, 64);
        let mut out = Vec::new();
        s.feed(b"\r\r\rHALF", &mut out);
        s.reset();
        s.feed(b"WHOLE\r", &mut out);
        assert_eq!(out, [line("WHOLE")]);
    }

    proptest! {
        #[test]
        fn any_byte_stream_is_split_without_panicking(
            bytes in proptest::collection::vec(any::<u8>(), 0..2000),
            cut in 0usize..2000,
        ) {
            let cut = cut.min(bytes.len());
            let out = split(Terminator::CR, 50, &[&bytes[..cut], &bytes[cut..]]);
            for chunk in out {
                if let Chunk::Line(l) = chunk {
                    prop_assert!(!l.is_empty() && l.len() <= 50 && !l.contains('\r'));
                }
            }
        }
    }
}
