//! Turns the bytes of an input file into text: a whole file at once ([`decode`]), or as it
//! streams ([`Transcoder`]), by the same rules and with the same errors.
//!
//! quick-xml reads UTF-8 only, while Notepad's "Unicode" writes UTF-16 LE with a BOM (and so
//! do `Export-Clixml` and `Out-File`), so UTF-16 is transcoded first (by `encoding_rs`).
//! Plain UTF-8 is borrowed, not copied, when a whole file is decoded.

use std::borrow::Cow;
use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// The encoding a file was found in, for messages and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
        }
    }
}

/// Why the bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the file is not valid {encoding}: line {line} has a byte that is not (byte offset \
         {offset}), as when a character was saved in an ANSI code page such as Windows-1252; \
         the file is not read, and not changed: check that the collection copied it \
         unchanged (collect it again), and look at that line on the server"
    )]
    Invalid {
        encoding: &'static str,
        offset: usize,
        /// The line the offset is on, from 1.
        line: usize,
    },
}

/// Decodes `bytes` by their byte-order mark, or by the `<?` pattern of a BOM-less UTF-16
/// file, or else as UTF-8.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, TextEncoding::Utf8Bom, 3),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, TextEncoding::Utf16Le, 2),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, TextEncoding::Utf16Be, 2),
        [b'<', 0, _, 0, ..] => utf16(bytes, TextEncoding::Utf16Le, 0),
        [0, b'<', 0, _, ..] => utf16(bytes, TextEncoding::Utf16Be, 0),
        _ => utf8(bytes, TextEncoding::Utf8, 0),
    }
}

fn utf8(
    bytes: &[u8],
    encoding: TextEncoding,
    bom: usize,
) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Cow::Borrowed(text), encoding)),
        Err(e) => Err(DecodeError::Invalid {
            encoding: "UTF-8",
            offset: bom + e.valid_up_to(),
            line: 1 + count_line_feeds(&bytes[..e.valid_up_to()]),
        }),
    }
}

fn utf16(
    bytes: &[u8],
    encoding: TextEncoding,
    bom: usize,
) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    let codec = if encoding == TextEncoding::Utf16Le {
        UTF_16LE
    } else {
        UTF_16BE
    };
    // An odd length or an unpaired surrogate means the file is damaged: refuse it rather than
    // guess, since the values we read from it end up in a production change.
    match codec.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) if bytes.len() % 2 == 0 => Ok((text, encoding)),
        _ => {
            let offset = first_bad_utf16_offset(bytes, encoding);
            let line_feed = match encoding {
                TextEncoding::Utf16Be => [0, b'\n'],
                _ => [b'\n', 0],
            };
            let line = 1 + bytes[..offset.min(bytes.len())]
                .chunks_exact(2)
                .filter(|unit| *unit == line_feed)
                .count();
            Err(DecodeError::Invalid {
                encoding: encoding.label(),
                offset: bom + offset,
                line,
            })
        }
    }
}

fn first_bad_utf16_offset(bytes: &[u8], encoding: TextEncoding) -> usize {
    let units = bytes.chunks_exact(2).map(|pair| match encoding {
        TextEncoding::Utf16Be => u16::from_be_bytes([pair[0], pair[1]]),
        _ => u16::from_le_bytes([pair[0], pair[1]]),
    });
    let mut offset = 0;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => offset += c.len_utf16() * 2,
            Err(_) => return offset,
        }
    }
    offset
}

/// The byte-order mark or pattern at the start of `bytes` (at least four bytes of the file,
/// or all of a shorter one): the encoding and the length of the BOM. The same rule as
/// [`decode`].
fn sniff(bytes: &[u8]) -> (TextEncoding, usize) {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => (TextEncoding::Utf8Bom, 3),
        [0xFF, 0xFE, ..] => (TextEncoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (TextEncoding::Utf16Be, 2),
        [b'<', 0, _, 0, ..] => (TextEncoding::Utf16Le, 0),
        [0, b'<', 0, _, ..] => (TextEncoding::Utf16Be, 0),
        _ => (TextEncoding::Utf8, 0),
    }
}

impl TextEncoding {
    fn codec(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => UTF_8,
            TextEncoding::Utf16Le => UTF_16LE,
            TextEncoding::Utf16Be => UTF_16BE,
        }
    }

    /// The name a decoding error gives: a BOM does not change what UTF-8 is.
    fn error_label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => "UTF-8",
            other => other.label(),
        }
    }
}

/// The text of a file's first bytes, for recognising it: decoded as [`decode`] would, except
/// that a character cut by the end of `head` is left out (the file goes on).
pub fn decode_head(head: &[u8]) -> Result<(String, TextEncoding), DecodeError> {
    let mut transcoder = Transcoder::new(head, Decoding::Strict);
    transcoder.partial = true;
    let mut text = String::new();
    match transcoder.read_to_string(&mut text) {
        Ok(_) => Ok((text, transcoder.encoding.unwrap_or(TextEncoding::Utf8))),
        Err(e) => Err(DecodeError::of_io(&e).unwrap_or(DecodeError::Empty)),
    }
}

/// How a [`Transcoder`] reads bytes that are not the file's encoding.
#[derive(Debug, Clone)]
pub enum Decoding {
    /// A malformed byte ends the reading with [`DecodeError::Invalid`], as [`decode`] does.
    Strict,
    /// For a BOM-less file that is not UTF-8: every byte that is not ASCII is read as `?`,
    /// and counted here. How a CSV that Excel saved in the machine's ANSI code page (1252,
    /// 1250...) is read, since the bytes do not say which code page it was. A NUL byte (as in
    /// UTF-16) ends the reading with [`NotAnsi`].
    AnsiAsUnknown(std::rc::Rc<std::cell::Cell<u64>>),
}

/// A NUL byte in a file read as [`Decoding::AnsiAsUnknown`]: it is not ANSI text either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a NUL byte at offset {0}: the file is not text in an ANSI code page")]
pub struct NotAnsi(pub u64);

impl DecodeError {
    /// The decoding error an I/O error from a [`Transcoder`] carries, if it is one.
    pub fn of_io(error: &io::Error) -> Option<DecodeError> {
        error.get_ref()?.downcast_ref::<DecodeError>().cloned()
    }
}

/// The text of a file as it is read, in UTF-8, whatever its encoding ([`decode`]'s rules):
/// a reader over a reader, so that no file has to be in memory whole. A malformed byte is an
/// `io::Error` carrying [`DecodeError::Invalid`] with the same offset and line [`decode`]
/// gives; an empty file one carrying [`DecodeError::Empty`].
///
/// Written over `encoding_rs`'s `Decoder` rather than taken from a crate: the crates that wrap
/// a reader (`encoding_rs_io`) replace a malformed byte with U+FFFD, while the tool refuses a
/// damaged file and names its line.
pub struct Transcoder<R> {
    inner: R,
    decoding: Decoding,
    /// Known once the first bytes are read.
    encoding: Option<TextEncoding>,
    decoder: Option<Decoder>,
    input: Vec<u8>,
    /// The unread part of `input`.
    start: usize,
    /// The inner reader has ended.
    eof: bool,
    /// Decoding is complete (or failed).
    done: bool,
    /// Decoded bytes not yet given out: `output[given..]`.
    output: Vec<u8>,
    given: usize,
    /// Input bytes given to the decoder so far, BOM included: offsets for messages.
    consumed: u64,
    /// Line feeds decoded so far: lines for messages.
    line_feeds: usize,
    /// Leave out a character cut by the end of the input ([`decode_head`]).
    partial: bool,
}

const CHUNK: usize = 32 * 1024;

impl<R: Read> Transcoder<R> {
    pub fn new(inner: R, decoding: Decoding) -> Self {
        Transcoder {
            inner,
            decoding,
            encoding: None,
            decoder: None,
            input: Vec::with_capacity(CHUNK),
            start: 0,
            eof: false,
            done: false,
            output: Vec::with_capacity(CHUNK * 3),
            given: 0,
            consumed: 0,
            line_feeds: 0,
            partial: false,
        }
    }

    /// Reads more input when all of it was decoded; returns whether there is any left.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.input.len() {
            return Ok(true);
        }
        self.input.clear();
        self.start = 0;
        while !self.eof && self.input.len() < CHUNK {
            let old = self.input.len();
            self.input.resize(CHUNK, 0);
            match self.inner.read(&mut self.input[old..]) {
                Ok(0) => {
                    self.input.truncate(old);
                    self.eof = true;
                }
                Ok(n) => {
                    self.input.truncate(old + n);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.input.truncate(old),
                Err(e) => {
                    self.input.truncate(old);
                    return Err(e);
                }
            }
        }
        Ok(!self.input.is_empty())
    }

    /// Reads the first bytes (four at least, when the file has them) and sets the decoder
    /// their BOM calls for.
    fn begin(&mut self) -> io::Result<()> {
        while !self.eof && self.input.len() < 4 {
            let mut byte = [0u8; 4];
            let want = 4 - self.input.len();
            match self.inner.read(&mut byte[..want]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.input.extend_from_slice(&byte[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.input.is_empty() && self.eof {
            self.done = true;
            return Err(io::Error::other(DecodeError::Empty));
        }
        let (encoding, bom) = sniff(&self.input);
        self.encoding = Some(encoding);
        self.start = bom;
        self.consumed = bom as u64;
        if let Decoding::Strict = self.decoding {
            self.decoder = Some(encoding.codec().new_decoder_without_bom_handling());
        }
        Ok(())
    }

    /// Decodes the next piece of input into `output`.
    fn decode_more(&mut self) -> io::Result<()> {
        if self.encoding.is_none() {
            self.begin()?;
        }
        let more = self.fill()?;
        if !more && !self.eof {
            return Ok(());
        }
        self.output.clear();
        self.given = 0;
        let src = &self.input[self.start..];
        let last = self.eof && !self.partial;
        let Some(decoder) = self.decoder.as_mut() else {
            let read = src.len();
            let unknown = ansi_as_unknown(src, &mut self.output, self.consumed)?;
            if let Decoding::AnsiAsUnknown(count) = &self.decoding {
                count.set(count.get() + unknown);
            }
            return self.advance(read, self.eof);
        };
        self.output.resize(
            decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(CHUNK * 3)
                .max(4),
            0,
        );
        let (result, read, written) =
            decoder.decode_to_utf8_without_replacement(src, &mut self.output, last);
        self.output.truncate(written);
        match result {
            DecoderResult::Malformed(bad, extra) => {
                let offset = self.consumed + read as u64 - u64::from(extra) - u64::from(bad);
                self.line_feeds += count_line_feeds(&self.output);
                self.done = true;
                Err(io::Error::other(DecodeError::Invalid {
                    encoding: self.encoding.map_or("UTF-8", TextEncoding::error_label),
                    offset: usize::try_from(offset).unwrap_or(usize::MAX),
                    line: self.line_feeds + 1,
                }))
            }
            DecoderResult::InputEmpty => self.advance(read, self.eof),
            DecoderResult::OutputFull => self.advance(read, false),
        }
    }

    /// `read` input bytes were decoded into `output`.
    fn advance(&mut self, read: usize, finished: bool) -> io::Result<()> {
        self.start += read;
        self.consumed += read as u64;
        self.line_feeds += count_line_feeds(&self.output);
        if finished && self.start >= self.input.len() {
            self.done = true;
        }
        Ok(())
    }
}

/// The line feeds in `bytes`: the one line count of every reader. Counted in a byte-wide
/// counter per block of 255 bytes, which the compiler makes 16 bytes a step; a count into a
/// `usize` went 4 bytes a step, and counting lines was a tenth of reading a large web.config.
pub fn count_line_feeds(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            let count = block
                .iter()
                .fold(0u8, |count, &b| count + u8::from(b == b'\n'));
            usize::from(count)
        })
        .sum()
}

/// [`Decoding::AnsiAsUnknown`]: ASCII kept, every other byte `?`; how many there were.
fn ansi_as_unknown(src: &[u8], out: &mut Vec<u8>, offset: u64) -> io::Result<u64> {
    let mut unknown = 0;
    for (i, &b) in src.iter().enumerate() {
        if b == 0 {
            return Err(io::Error::other(NotAnsi(offset + i as u64)));
        }
        if b.is_ascii() {
            out.push(b);
        } else {
            out.push(b'?');
            unknown += 1;
        }
    }
    Ok(unknown)
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.given >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            self.decode_more()?;
        }
        let available = &self.output[self.given..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.given += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_counted_in_blocks_as_one_by_one() {
        let text: String = (0..2000)
            .map(|i| {
                if i % 7 == 0 || i % 300 == 1 {
                    '\n'
                } else {
                    'x'
                }
            })
            .collect();
        for end in [0, 1, 254, 255, 256, 510, 1999, 2000] {
            let slice = &text.as_bytes()[..end];
            let expected = slice.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(count_line_feeds(slice), expected, "first {end} bytes");
        }
        let all_newlines = vec![b'\n'; 1000];
        assert_eq!(count_line_feeds(&all_newlines), 1000);
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    fn utf16be(text: &str) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF];
        out.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        out
    }

    #[test]
    fn plain_utf8_is_borrowed() {
        let (text, enc) = decode(b"<configuration/>").unwrap();
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(enc, TextEncoding::Utf8);
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let (text, enc) = decode(b"\xEF\xBB\xBF<a>Z\xC3\xBCrich</a>").unwrap();
        assert_eq!(text, "<a>Zürich</a>");
        assert_eq!(enc, TextEncoding::Utf8Bom);
    }

    #[test]
    fn utf16_le_and_be_with_bom() {
        let bytes = utf16le("<a>東京</a>", true);
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("<a>東京</a>", TextEncoding::Utf16Le));
        let bytes = utf16be("<a>é</a>");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("<a>é</a>", TextEncoding::Utf16Be));
    }

    #[test]
    fn utf16_le_without_bom_is_sniffed() {
        let bytes = utf16le("<?xml version=\"1.0\"?><a/>", false);
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, TextEncoding::Utf16Le);
        assert!(text.starts_with("<?xml"));
    }

    #[test]
    fn invalid_bytes_are_refused_with_offset() {
        let err = decode(b"<a>\xFF</a>").unwrap_err();
        assert_eq!(
            err,
            DecodeError::Invalid {
                encoding: "UTF-8",
                offset: 3,
                line: 1
            }
        );
        // A Windows-1252 'é' in a comment on line 3: said by line, not only by offset.
        let err = decode(b"<a>\r\n<!-- ok -->\r\n<!-- caf\xE9 --></a>").unwrap_err();
        assert!(
            matches!(err, DecodeError::Invalid { line: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(
            !err.to_string().contains("Notepad"),
            "the evidence is never edited"
        );
        let mut odd = utf16le("<a/>", true);
        odd.push(0x41);
        assert!(matches!(decode(&odd), Err(DecodeError::Invalid { .. })));
        // An unpaired high surrogate.
        let mut bad = vec![0xFF, 0xFE, b'<', 0];
        bad.extend([0x00, 0xD8, b'a', 0]);
        assert_eq!(
            decode(&bad).unwrap_err(),
            DecodeError::Invalid {
                encoding: "UTF-16 LE",
                offset: 4,
                line: 1
            }
        );
    }

    #[test]
    fn empty_is_an_error() {
        assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
    }

    /// A reader that gives `chunk` bytes at a time, to cut characters and BOMs apart.
    struct Trickle<'a> {
        bytes: &'a [u8],
        chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn streamed(bytes: &[u8], chunk: usize) -> Result<String, DecodeError> {
        let mut text = String::new();
        Transcoder::new(Trickle { bytes, chunk }, Decoding::Strict)
            .read_to_string(&mut text)
            .map(|_| text)
            .map_err(|e| DecodeError::of_io(&e).expect("a decoding error"))
    }

    #[test]
    fn streaming_reads_what_decode_reads_and_fails_where_it_fails() {
        let mut odd = utf16le("<a/>", true);
        odd.push(0x41);
        let mut lone_surrogate = vec![0xFF, 0xFE, b'<', 0];
        lone_surrogate.extend([0x00, 0xD8, b'a', 0]);
        let mut late_surrogate = utf16le("<a>\r\n\r\nb", true);
        late_surrogate.extend([0x00, 0xDC]);
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"<configuration/>".to_vec(),
            b"\xEF\xBB\xBF<a>Z\xC3\xBCrich</a>".to_vec(),
            b"\xEF\xBB\xBF".to_vec(),
            utf16le("<a>\u{6771}\u{4eac} \u{1F600}</a>", true),
            utf16be("<a>\u{e9}</a>"),
            utf16le("<?xml version=\"1.0\"?><a/>", false),
            b"<a>\xFF</a>".to_vec(),
            b"<a>\r\n<!-- ok -->\r\n<!-- caf\xE9 --></a>".to_vec(),
            b"abc\xC3".to_vec(),
            b"\xEF\xBB\xBFa\nb\xE9".to_vec(),
            odd,
            lone_surrogate,
            late_surrogate,
        ];
        for bytes in &cases {
            let whole = decode(bytes).map(|(text, _)| text.into_owned());
            for chunk in [1, 2, 3, 7, 4096] {
                assert_eq!(
                    streamed(bytes, chunk),
                    whole,
                    "{bytes:?} in chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn a_head_leaves_out_a_cut_character() {
        assert_eq!(decode_head(b"ab\xC3").unwrap().0, "ab");
        assert_eq!(decode_head(&[0xFF, 0xFE, b'a', 0, b'b']).unwrap().0, "a");
        assert!(matches!(
            decode_head(b"a\xFFb"),
            Err(DecodeError::Invalid { offset: 1, .. })
        ));
        assert_eq!(decode_head(b""), Err(DecodeError::Empty));
    }

    #[test]
    fn ansi_bytes_are_unknown_and_counted() {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut text = String::new();
        Transcoder::new(&b"caf\xE9 \xFC"[..], Decoding::AnsiAsUnknown(count.clone()))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!((text.as_str(), count.get()), ("caf? ?", 2));
        let err = Transcoder::new(&b"a\xE9\x00"[..], Decoding::AnsiAsUnknown(count))
            .read_to_string(&mut String::new())
            .unwrap_err();
        let not_ansi = err.get_ref().and_then(|e| e.downcast_ref::<NotAnsi>());
        assert_eq!(not_ansi, Some(&NotAnsi(2)));
    }
}
