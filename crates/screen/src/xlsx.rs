//! `.xlsx` feeds: the first sheet streamed cell by cell (calamine's cell reader), so a sheet of a
//! million rows is never held whole. Cells become the text a CSV export would hold: numbers
//! without a spurious `.0`, dates as `YYYY-MM-DD`.

use std::path::Path;

use calamine::{DataRef, Reader, Xlsx, open_workbook};

use crate::ScreenError;

/// The text of a cell, as a CSV export of the sheet would show it.
fn text(value: &DataRef<'_>, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    match value {
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            let _ = write!(out, "{}", *f as i64);
        }
        DataRef::Float(f) => {
            let _ = write!(out, "{f}");
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
        }
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DataRef::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            let _ = write!(out, "{y:04}-{m:02}-{day:02}");
        }
        DataRef::Error(_) | DataRef::Empty => {}
    }
}

/// What is done with each row: (line, cells).
pub type RowFn<'f> = dyn FnMut(u64, &[String]) -> Result<(), ScreenError> + 'f;

/// Calls `row(line, cells)` for each row of the workbook's first sheet, in order; `line` is the
/// row's number in the sheet (1 = the first row), as a spreadsheet shows it.
pub fn for_each_row(path: &Path, row: &mut RowFn<'_>) -> Result<(), ScreenError> {
    let error = |e: calamine::XlsxError| ScreenError::File(format!("{}: {e}", path.display()));
    let mut workbook: Xlsx<_> = open_workbook(path).map_err(error)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(ScreenError::File(format!(
            "{}: the workbook has no sheet",
            path.display()
        )));
    };
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(error)?;
    let mut current: Option<u32> = None;
    let mut values: Vec<String> = Vec::new();
    let mut width = 0usize;
    while let Some(cell) = cells.next_cell().map_err(error)? {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(previous) = current {
                row(u64::from(previous) + 1, &values[..width])?;
            }
            current = Some(r);
            width = 0;
        }
        let c = c as usize;
        if values.len() <= c {
            values.resize_with(c + 1, String::new);
        }
        // Cells skipped in the row (empty) are cleared.
        for skipped in &mut values[width..c] {
            skipped.clear();
        }
        text(cell.get_value(), &mut values[c]);
        width = c + 1;
    }
    if let Some(previous) = current {
        row(u64::from(previous) + 1, &values[..width])?;
    }
    Ok(())
}
