//! An export's text as it streams from its file: decoded to UTF-8 as it is read
//! ([`Transcoder`]), with what the readers' messages need kept on the way (the line of a
//! position), and with no single object taking more than a whole input may
//! ([`MAX_RECORD_BYTES`]). Memory stays bounded by one object, whatever the file's size.

use std::cell::RefCell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use crate::encoding::{Decoding, Transcoder};
use crate::walk::{Oversize, MAX_RECORD_BYTES};

/// The decoded text a reader parses.
pub type Text<R> = BufReader<Tap<Transcoder<R>>>;

/// `raw` decoded as `decoding` says, and the window on it that the reader keeps its places
/// with. `record` names one object of the format in the message of one too large (`row`);
/// `lines` says whether the reader asks for lines (else nothing is kept).
pub fn text<R: Read>(
    raw: R,
    decoding: Decoding,
    record: &'static str,
    lines: bool,
) -> (Text<R>, Window) {
    let window = Window(Rc::new(RefCell::new(Seen {
        lines,
        bytes: Vec::new(),
        base: 0,
        counted: 0,
        line: 1,
        since_record: 0,
        record,
    })));
    let tap = Tap {
        inner: Transcoder::new(raw, decoding),
        window: window.clone(),
    };
    (BufReader::with_capacity(32 * 1024, tap), window)
}

/// The decoded bytes between the last place a reader counted lines to and what has been read
/// ahead of it: one object and a buffer at most.
#[derive(Debug)]
struct Seen {
    lines: bool,
    bytes: Vec<u8>,
    /// The offset in the text of `bytes[0]`.
    base: u64,
    /// Lines are counted up to `bytes[counted]`...
    counted: usize,
    /// ...where the line is this one (from 1).
    line: u64,
    /// Bytes read since the reader's object began.
    since_record: u64,
    record: &'static str,
}

/// What a reader keeps of its text as it goes, shared with the [`Tap`] that fills it.
#[derive(Debug, Clone)]
pub struct Window(Rc<RefCell<Seen>>);

impl Window {
    /// The line (from 1) of an offset in the text, at or after the last [`Window::advance`].
    pub fn line_at(&self, offset: u64) -> u64 {
        let seen = self.0.borrow();
        let end = usize::try_from(offset.saturating_sub(seen.base))
            .unwrap_or(usize::MAX)
            .min(seen.bytes.len());
        let from = seen.counted.min(end);
        seen.line + line_feeds(&seen.bytes[from..end])
    }

    /// The reader is past `offset`: lines before it are counted once and forgotten.
    pub fn advance(&self, offset: u64) {
        let mut seen = self.0.borrow_mut();
        let end = usize::try_from(offset.saturating_sub(seen.base))
            .unwrap_or(usize::MAX)
            .min(seen.bytes.len());
        if end > seen.counted {
            let counted = seen.counted;
            seen.line += line_feeds(&seen.bytes[counted..end]);
            seen.counted = end;
        }
    }

    /// The byte at `offset` and the ones after it that were read already, up to `max`.
    pub fn bytes_at(&self, offset: u64, max: usize) -> Vec<u8> {
        let seen = self.0.borrow();
        let Some(start) = offset
            .checked_sub(seen.base)
            .and_then(|s| usize::try_from(s).ok())
        else {
            return Vec::new();
        };
        let end = start.saturating_add(max).min(seen.bytes.len());
        seen.bytes
            .get(start..end)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// The first offset at or after `offset` that is not a line end (`\r`, `\n`), among the
    /// bytes read already.
    pub fn skip_line_ends(&self, offset: u64) -> u64 {
        let seen = self.0.borrow();
        let Some(start) = offset
            .checked_sub(seen.base)
            .and_then(|s| usize::try_from(s).ok())
        else {
            return offset;
        };
        let ends = seen.bytes.get(start..).map_or(0, |rest| {
            rest.iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count()
        });
        offset + ends as u64
    }

    /// A new object begins: the limit of one object counts from here.
    pub fn new_record(&self) {
        self.0.borrow_mut().since_record = 0;
    }
}

fn line_feeds(bytes: &[u8]) -> u64 {
    crate::encoding::count_line_feeds(bytes) as u64
}

/// Passes the decoded text on to the reader, keeping it in the [`Window`] until the reader
/// has counted its lines, and stopping an object larger than [`MAX_RECORD_BYTES`].
pub struct Tap<R> {
    inner: R,
    window: Window,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut seen = self.window.0.borrow_mut();
        // Forget what was counted, once it is most of what is kept: each byte is moved once
        // or twice, however long the file.
        if seen.counted > 64 * 1024 && seen.counted * 2 > seen.bytes.len() {
            let counted = seen.counted;
            seen.bytes.drain(..counted);
            seen.base += counted as u64;
            seen.counted = 0;
        }
        if seen.lines {
            seen.bytes.extend_from_slice(&buf[..n]);
        }
        seen.since_record += n as u64;
        if seen.since_record > MAX_RECORD_BYTES {
            return Err(Oversize::Record(seen.record).into_io());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    #[test]
    fn lines_are_counted_as_the_reader_goes() {
        let (mut text, window) = text(&b"a\nbb\r\ncc\n\nd"[..], Decoding::Strict, "row", true);
        let mut all = String::new();
        text.read_to_string(&mut all).unwrap();
        assert_eq!(window.line_at(0), 1);
        assert_eq!(window.line_at(2), 2);
        assert_eq!(window.line_at(6), 3);
        window.advance(6);
        assert_eq!(window.line_at(6), 3);
        assert_eq!(window.line_at(10), 5);
        assert_eq!(window.bytes_at(4, 3), b"\r\nc".to_vec());
        assert_eq!(window.bytes_at(2, 2), b"bb".to_vec());
    }

    #[test]
    fn what_was_counted_is_forgotten() {
        let line = "x".repeat(99) + "\n";
        let body = line.repeat(5_000);
        let (mut text, window) = text(body.as_bytes(), Decoding::Strict, "row", true);
        let mut offset = 0u64;
        let mut buf = String::new();
        while text.read_line(&mut buf).unwrap() > 0 {
            offset += buf.len() as u64;
            buf.clear();
            window.advance(offset);
            window.new_record();
        }
        assert_eq!(window.line_at(offset), 5_001);
        assert!(window.0.borrow().bytes.len() < 200 * 1024);
    }

    #[test]
    fn one_object_cannot_take_more_than_a_whole_file() {
        let huge = std::io::repeat(b'a').take(MAX_RECORD_BYTES + 1);
        let (mut text, _) = text(huge, Decoding::Strict, "row", true);
        let err = std::io::copy(&mut text, &mut std::io::sink()).unwrap_err();
        let oversize = err.get_ref().and_then(|e| e.downcast_ref::<Oversize>());
        assert_eq!(oversize, Some(&Oversize::Record("row")));
    }
}
