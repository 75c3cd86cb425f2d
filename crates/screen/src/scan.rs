//! Reading a big CSV file on every core: the file is cut into byte ranges, each range owns the
//! lines that start in it, and each is read with positioned reads (no shared cursor, no mmap).
//! Line numbers are counted per range and made absolute afterwards. A line holding a quote is
//! split by the `csv` crate; a quoted field that spans lines (an odd number of quotes on a line)
//! makes the caller fall back to one sequential reader, since a cut could fall inside it.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;

/// A byte range of a file; the lines that start in it are its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: u64,
    pub end: u64,
}

/// Cuts `[data_start, len)` into pieces of about `size` bytes (at most 1 GiB, so positions
/// within a piece fit 32 bits).
pub fn pieces(data_start: u64, len: u64, size: u64) -> Vec<Piece> {
    let size = size.clamp(1, 1 << 30);
    let mut out = Vec::new();
    let mut start = data_start;
    while start < len {
        let end = (start + size).min(len);
        out.push(Piece { start, end });
        start = end;
    }
    out
}

/// Reads the lines that start in `piece` into `buf`; returns the range of `buf` holding them
/// (whole lines, the last one possibly without its newline at the end of the file).
pub fn read_piece(
    file: &File,
    piece: Piece,
    data_start: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Range<usize>> {
    // One byte before the piece tells whether a line starts at its first byte.
    let from = if piece.start > data_start {
        piece.start - 1
    } else {
        piece.start
    };
    // The buffer is reused from piece to piece and only grows (no zeroing of each piece).
    let need = (piece.end - from) as usize;
    if buf.len() < need {
        buf.resize(need, 0);
    }
    file.read_exact_at(&mut buf[..need], from)?;
    let mut filled = need;
    let begin = if piece.start > data_start {
        match memchr::memchr(b'\n', &buf[..filled]) {
            Some(p) => p + 1,
            None => return Ok(0..0),
        }
    } else {
        0
    };
    if begin >= filled {
        return Ok(0..0);
    }
    // The last line may run past the piece: read on to its newline.
    let mut at = piece.end;
    while buf[filled - 1] != b'\n' && at < len {
        let more = (64 * 1024).min(len - at) as usize;
        if buf.len() < filled + more {
            buf.resize(filled + more, 0);
        }
        file.read_exact_at(&mut buf[filled..filled + more], at)?;
        at += more as u64;
        match memchr::memchr(b'\n', &buf[filled..filled + more]) {
            Some(p) => filled += p + 1,
            None => filled += more,
        }
    }
    Ok(begin..filled)
}

thread_local! {
    /// Each thread's piece buffer, kept between pieces: a fresh buffer per piece would be
    /// zeroed and faulted in by the kernel every time.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's piece buffer (a new one if it is already in use).
pub fn with_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => f(&mut buffer),
        Err(_) => f(&mut Vec::new()),
    })
}

/// The fields of one line, as byte ranges of the line (or, for a quoted line, owned cells).
#[derive(Default)]
pub struct Fields {
    bounds: Vec<(u32, u32)>,
    quoted: Option<csv::ByteRecord>,
}

/// Why a line could not be split here.
#[derive(Debug, PartialEq, Eq)]
pub enum SplitError {
    /// A quoted field continues on the next line.
    OpenQuote,
    /// The `csv` crate refused the line.
    Bad(String),
}

impl Fields {
    /// Splits `line` (without its line ending) at `delimiter`.
    pub fn split(&mut self, line: &[u8], delimiter: u8) -> Result<(), SplitError> {
        self.split_upto(line, delimiter, usize::MAX)
    }

    /// Splits `line` up to field `last` (the fields after it are not needed, though a quote among
    /// them still sends the line to the `csv` crate).
    pub fn split_upto(
        &mut self,
        line: &[u8],
        delimiter: u8,
        last: usize,
    ) -> Result<(), SplitError> {
        self.bounds.clear();
        self.quoted = None;
        // One pass over the (short) line: delimiters noted, a quote sends it to the csv crate.
        let mut start = 0u32;
        for (i, b) in line.iter().enumerate() {
            if *b == delimiter {
                self.bounds.push((start, i as u32));
                start = i as u32 + 1;
                if self.bounds.len() > last {
                    return match memchr::memchr(b'"', &line[i + 1..]) {
                        Some(_) => self.split_quoted(line, delimiter),
                        None => Ok(()),
                    };
                }
            } else if *b == b'"' {
                return self.split_quoted(line, delimiter);
            }
        }
        self.bounds.push((start, line.len() as u32));
        Ok(())
    }

    fn split_quoted(&mut self, line: &[u8], delimiter: u8) -> Result<(), SplitError> {
        self.bounds.clear();
        if memchr::memchr_iter(b'"', line).count() % 2 == 1 {
            return Err(SplitError::OpenQuote);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(line);
        let mut record = csv::ByteRecord::new();
        reader
            .read_byte_record(&mut record)
            .map_err(|e| SplitError::Bad(e.to_string()))?;
        self.quoted = Some(record);
        Ok(())
    }

    /// How many fields the line last split has.
    pub fn len(&self) -> usize {
        match &self.quoted {
            Some(record) => record.len(),
            None => self.bounds.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Field `i` of the line last split (empty when the line is shorter).
    pub fn get<'a>(&'a self, line: &'a [u8], i: usize) -> &'a [u8] {
        match &self.quoted {
            Some(record) => record.get(i).unwrap_or_default(),
            None => self
                .bounds
                .get(i)
                .map_or(&[][..], |(s, e)| &line[*s as usize..*e as usize]),
        }
    }
}

/// The lines of `text`: (offset of the line from the first, the line without `\n` or `\r\n`).
/// Empty lines are skipped but counted.
pub fn lines(text: &[u8]) -> Lines<'_> {
    Lines {
        text,
        at: 0,
        number: 0,
    }
}

/// The iterator of `lines`: newlines found with `memchr`, many bytes at a time.
pub struct Lines<'t> {
    text: &'t [u8],
    at: usize,
    number: u32,
}

impl<'t> Iterator for Lines<'t> {
    type Item = (u32, &'t [u8]);

    fn next(&mut self) -> Option<(u32, &'t [u8])> {
        while self.at < self.text.len() {
            let rest = &self.text[self.at..];
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = &rest[..end];
            let number = self.number;
            self.at += end + 1;
            self.number += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                return Some((number, line));
            }
        }
        None
    }
}

/// How many lines a piece's text spans (for numbering the next piece).
pub fn line_count(text: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', text).count() as u64
        + u64::from(!text.is_empty() && text.last() != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn temp(bytes: &[u8]) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!(
            "minsheng-scan-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::write(&path, bytes).expect("write");
        let file = File::open(&path).expect("open");
        (path, file)
    }

    /// Every line read through pieces of any size, with its absolute number, equals a plain read.
    fn lines_by_pieces(bytes: &[u8], data_start: u64, size: u64) -> Vec<(u64, Vec<u8>)> {
        let (path, file) = temp(bytes);
        let len = bytes.len() as u64;
        let mut out = Vec::new();
        let mut first = 0u64;
        let mut buf = Vec::new();
        for piece in pieces(data_start, len, size) {
            let range = read_piece(&file, piece, data_start, len, &mut buf).expect("read");
            let text = &buf[range];
            for (n, line) in lines(text) {
                out.push((first + u64::from(n), line.to_vec()));
            }
            first += line_count(text);
        }
        let _ = std::fs::remove_file(path);
        out
    }

    proptest! {
        #[test]
        fn pieces_give_every_line_once_with_its_number(
            lines_in in proptest::collection::vec("[a-z,0-9]{0,12}", 0..40),
            crlf in any::<bool>(),
            last_newline in any::<bool>(),
            size in 1u64..64,
        ) {
            let ending = if crlf { "\r\n" } else { "\n" };
            let mut text = lines_in.join(ending);
            if last_newline && !lines_in.is_empty() {
                text.push_str(ending);
            }
            let expected: Vec<(u64, Vec<u8>)> = text
                .split('\n')
                .enumerate()
                .map(|(n, l)| (n as u64, l.strip_suffix('\r').unwrap_or(l).as_bytes().to_vec()))
                .filter(|(_, l)| !l.is_empty())
                .collect();
            prop_assert_eq!(lines_by_pieces(text.as_bytes(), 0, size), expected);
        }

        #[test]
        fn a_split_line_agrees_with_the_csv_crate(
            cells in proptest::collection::vec("[a-z ,\"]{0,6}", 1..6),
        ) {
            // Cells quoted the way a spreadsheet writes them.
            let line: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.contains(',') || c.contains('"') {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            let line = line.join(",");
            let mut fields = Fields::default();
            prop_assert_eq!(fields.split(line.as_bytes(), b','), Ok(()));
            for (i, cell) in cells.iter().enumerate() {
                prop_assert_eq!(fields.get(line.as_bytes(), i), cell.as_bytes());
            }
            prop_assert_eq!(fields.get(line.as_bytes(), cells.len()), b"");
            let mut some = Fields::default();
            for last in 0..cells.len() {
                prop_assert_eq!(some.split_upto(line.as_bytes(), b',', last), Ok(()));
                for (i, cell) in cells.iter().enumerate().take(last + 1) {
                    prop_assert_eq!(some.get(line.as_bytes(), i), cell.as_bytes());
                }
            }
        }
    }

    #[test]
    fn a_quote_left_open_is_named() {
        let mut fields = Fields::default();
        assert_eq!(
            fields.split(b"1,\"two\nlines", b','),
            Err(SplitError::OpenQuote)
        );
    }

    #[test]
    fn a_header_is_skipped_by_starting_after_it() {
        let text = b"id,x\n1,a\n2,b\n";
        let got = lines_by_pieces(text, 5, 3);
        assert_eq!(got, vec![(0, b"1,a".to_vec()), (1, b"2,b".to_vec())]);
    }
}
