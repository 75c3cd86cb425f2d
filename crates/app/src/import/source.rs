//! Where an import's rows come from: a CSV file read row by row, or a table in memory.
//!
//! A registry file can hold a million rows, so a CSV file is never read whole: its encoding is
//! found by one streaming pass (UTF-8, else GB18030, checked to the last byte so no value is
//! decoded wrongly), and each pass over its rows reads it again. A workbook is read whole:
//! calamine has no streaming reader, and a sheet stops at 1,048,576 rows anyway.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{Decoder, DecoderResult};

use super::{FileError, Table, TableRow, normalise_header, read_table};

/// Rows in file order, each with its line, or what stopped the reading.
pub type RowIter = Box<dyn Iterator<Item = Result<TableRow, FileError>> + Send>;

/// Something an import can read its rows from, as often as it needs.
pub trait RowSource: Sync {
    fn file(&self) -> &str;
    fn headers(&self) -> &[String];
    fn encoding(&self) -> &'static str;
    /// A fresh pass over the rows: an import reads once to check and once to write.
    fn rows(&self) -> Result<RowIter, FileError>;
}

impl RowSource for Table {
    fn file(&self) -> &str {
        &self.file
    }
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn encoding(&self) -> &'static str {
        self.encoding
    }
    fn rows(&self) -> Result<RowIter, FileError> {
        Ok(Box::new(self.rows.clone().into_iter().map(Ok)))
    }
}

/// A file named on the command line: CSV streamed, a workbook read whole.
pub enum FileSource {
    Csv(CsvFile),
    Workbook(Table),
}

impl FileSource {
    /// Opens `path`, shown as `name` in every message.
    pub fn open(path: &Path, name: &str) -> Result<FileSource, FileError> {
        let io_error = |e: io::Error| FileError::Workbook {
            file: name.to_string(),
            message: e.to_string(),
        };
        let mut magic = [0u8; 4];
        let mut file = File::open(path).map_err(io_error)?;
        let got = read_up_to(&mut file, &mut magic).map_err(io_error)?;
        if got == 4 && (magic == *b"PK\x03\x04" || magic == [0xD0, 0xCF, 0x11, 0xE0]) {
            let bytes = std::fs::read(path).map_err(io_error)?;
            return read_table(name, &bytes).map(FileSource::Workbook);
        }
        CsvFile::open(path, name).map(FileSource::Csv)
    }
}

impl RowSource for FileSource {
    fn file(&self) -> &str {
        match self {
            FileSource::Csv(f) => f.file(),
            FileSource::Workbook(t) => t.file(),
        }
    }
    fn headers(&self) -> &[String] {
        match self {
            FileSource::Csv(f) => f.headers(),
            FileSource::Workbook(t) => t.headers(),
        }
    }
    fn encoding(&self) -> &'static str {
        match self {
            FileSource::Csv(f) => f.encoding(),
            FileSource::Workbook(t) => t.encoding(),
        }
    }
    fn rows(&self) -> Result<RowIter, FileError> {
        match self {
            FileSource::Csv(f) => f.rows(),
            FileSource::Workbook(t) => t.rows(),
        }
    }
}

/// A CSV file read row by row; memory does not grow with its length.
pub struct CsvFile {
    file: String,
    path: PathBuf,
    encoding: &'static str,
    headers: Vec<String>,
}

impl CsvFile {
    pub fn open(path: &Path, name: &str) -> Result<CsvFile, FileError> {
        let encoding = detect_encoding(path, name)?;
        let mut csv = CsvFile {
            file: name.to_string(),
            path: path.to_path_buf(),
            encoding,
            headers: Vec::new(),
        };
        let mut reader = csv.reader()?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv.csv_error(e))?
            .iter()
            .map(normalise_header)
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(FileError::Empty {
                file: name.to_string(),
            });
        }
        csv.headers = headers;
        Ok(csv)
    }

    fn reader(&self) -> Result<csv::Reader<Box<dyn Read + Send>>, FileError> {
        let file = File::open(&self.path).map_err(|e| FileError::Csv {
            file: self.file.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        let text: Box<dyn Read + Send> = if self.encoding == "GB18030" {
            Box::new(Gb18030Reader::new(file))
        } else {
            Box::new(file)
        };
        Ok(csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(text))
    }

    fn csv_error(&self, e: csv::Error) -> FileError {
        csv_error(&self.file, e)
    }
}

pub(super) fn csv_error(file: &str, e: csv::Error) -> FileError {
    FileError::Csv {
        file: file.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

impl RowSource for CsvFile {
    fn file(&self) -> &str {
        &self.file
    }
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn encoding(&self) -> &'static str {
        self.encoding
    }
    fn rows(&self) -> Result<RowIter, FileError> {
        let mut reader = self.reader()?;
        // The header row is read first so that the records after it are the data.
        reader.headers().map_err(|e| self.csv_error(e))?;
        let file = self.file.clone();
        Ok(Box::new(reader.into_records().filter_map(
            move |record| match record {
                Ok(record) => table_row(&record),
                Err(e) => Some(Err(csv_error(&file, e))),
            },
        )))
    }
}

/// A record as a row of trimmed cells; a row with every cell empty is no row.
pub(super) fn table_row(record: &csv::StringRecord) -> Option<Result<TableRow, FileError>> {
    let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
    if cells.iter().all(String::is_empty) {
        return None;
    }
    let line = record.position().map_or(0, |p| p.line());
    Some(Ok(TableRow { line, cells }))
}

/// Reads until `buf` is full or the file ends.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// UTF-8 if every byte is, else GB18030 if every byte is; a NUL byte means a binary file.
/// Two streaming passes at most, in 1 MiB pieces.
fn detect_encoding(path: &Path, name: &str) -> Result<&'static str, FileError> {
    let io_error = |e: io::Error| FileError::Csv {
        file: name.to_string(),
        line: 0,
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(io_error)?;
    let mut buf = vec![0u8; 1 << 20];
    // Bytes of a character cut by the end of a piece, carried to the next.
    let mut carried = 0usize;
    let mut offset = 0usize;
    let mut total = 0usize;
    let mut first_bad_utf8: Option<usize> = None;
    loop {
        let n = read_up_to(&mut file, &mut buf[carried..]).map_err(io_error)?;
        if n == 0 {
            if carried > 0 && first_bad_utf8.is_none() {
                first_bad_utf8 = Some(offset);
            }
            break;
        }
        total += n;
        let filled = carried + n;
        if buf[carried..filled].contains(&0) {
            return Err(FileError::Binary {
                file: name.to_string(),
            });
        }
        carried = 0;
        if first_bad_utf8.is_none() {
            match std::str::from_utf8(&buf[..filled]) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() => {
                    carried = filled - e.valid_up_to();
                    buf.copy_within(e.valid_up_to()..filled, 0);
                }
                Err(e) => first_bad_utf8 = Some(offset + e.valid_up_to()),
            }
        }
        offset += filled - carried;
    }
    if total == 0 {
        return Err(FileError::Empty {
            file: name.to_string(),
        });
    }
    let Some(bad) = first_bad_utf8 else {
        return Ok("UTF-8");
    };
    let file = File::open(path).map_err(io_error)?;
    match io::copy(
        &mut BufReader::new(Gb18030Reader::new(file)),
        &mut io::sink(),
    ) {
        Ok(_) => Ok("GB18030"),
        Err(_) => Err(FileError::Encoding {
            file: name.to_string(),
            offset: bad,
        }),
    }
}

/// Decodes GB18030 to UTF-8 as it reads, refusing a malformed byte instead of replacing it
/// (`encoding_rs_io` replaces, which would change a value without a word).
pub struct Gb18030Reader<R> {
    inner: R,
    decoder: Decoder,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    at_end: bool,
    /// The decoder has had its last input (using it again would panic).
    finished: bool,
    offset: u64,
}

impl<R: Read> Gb18030Reader<R> {
    pub fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0u8; 1 << 16].into_boxed_slice(),
            start: 0,
            end: 0,
            at_end: false,
            finished: false,
            offset: 0,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.len() < 4 {
            // One character can take four bytes of UTF-8; the callers here read in pages.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "read GB18030 text into a buffer of at least 4 bytes",
            ));
        }
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.start == self.end && !self.at_end {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.at_end = self.end == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                out,
                self.at_end,
            );
            self.start += read;
            self.offset += read as u64;
            if let DecoderResult::Malformed(_, _) = result {
                self.finished = true;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not GB18030 text near byte {}", self.offset),
                ));
            }
            if self.at_end && result == DecoderResult::InputEmpty {
                self.finished = true;
            }
            if written > 0 || self.at_end {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A file removed when the test ends.
    struct Scratch(PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn write(bytes: &[u8]) -> (Scratch, PathBuf) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("minsheng-source-{}-{n}.csv", std::process::id()));
        std::fs::write(&path, bytes).expect("write");
        (Scratch(path.clone()), path)
    }

    fn all_rows(source: &dyn RowSource) -> Vec<TableRow> {
        source
            .rows()
            .expect("rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("read")
    }

    #[test]
    fn a_streamed_file_reads_as_the_whole_file_does() {
        let text = "\u{feff}code,name\n50,重庆市\n\n500113,\"巴南区\n(新)\"\n";
        let (_dir, path) = write(text.as_bytes());
        let whole = read_table("f.csv", text.as_bytes()).expect("whole");
        let streamed = CsvFile::open(&path, "f.csv").expect("open");
        assert_eq!(streamed.headers(), whole.headers.as_slice());
        assert_eq!(all_rows(&streamed), whole.rows);
        assert_eq!(streamed.encoding(), "UTF-8");
        // A second pass reads the same rows again.
        assert_eq!(all_rows(&streamed), whole.rows);
    }

    #[test]
    fn gb18030_is_found_even_when_the_first_megabyte_is_ascii() {
        let mut text = String::from("code,name\n");
        while text.len() < (1 << 20) + 10 {
            text.push_str("50,chongqing\n");
        }
        text.push_str("500113,巴南区\n");
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        let (_dir, path) = write(&gbk);
        let streamed = CsvFile::open(&path, "f.csv").expect("open");
        assert_eq!(streamed.encoding(), "GB18030");
        let rows = all_rows(&streamed);
        assert_eq!(
            rows.last().map(|r| r.cells.clone()),
            Some(vec!["500113".to_string(), "巴南区".to_string()])
        );
    }

    #[test]
    fn bad_bytes_binary_and_empty_files_are_named() {
        let (_dir, path) = write(b"code,name\n50,\xff\xff\n");
        assert!(matches!(
            CsvFile::open(&path, "f.csv"),
            Err(FileError::Encoding { offset: 13, .. })
        ));
        let (_dir, path) = write(b"code\0,name\n");
        assert!(matches!(
            CsvFile::open(&path, "f.csv"),
            Err(FileError::Binary { .. })
        ));
        let (_dir, path) = write(b"");
        assert!(matches!(
            FileSource::open(&path, "f.csv"),
            Err(FileError::Empty { .. })
        ));
    }

    proptest! {
        #[test]
        fn streaming_reads_arbitrary_bytes_as_the_whole_file_does(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let (_dir, path) = write(&bytes);
            let whole = read_table("f.csv", &bytes);
            let streamed = FileSource::open(&path, "f.csv")
                .and_then(|s| s.rows().and_then(|rows| rows.collect::<Result<Vec<_>, _>>()).map(|rows| (s.headers().to_vec(), rows)));
            match (whole, streamed) {
                (Ok(t), Ok((headers, rows))) => {
                    prop_assert_eq!(t.headers, headers);
                    prop_assert_eq!(t.rows, rows);
                }
                (Err(_), Err(_)) => {}
                (w, s) => prop_assert!(false, "whole {:?} streamed {:?}", w.map(|t| t.rows.len()), s.map(|s| s.1.len())),
            }
        }
    }
}
