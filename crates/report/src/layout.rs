//! A flow layout on A4: blocks are placed top to bottom, lines are broken between Chinese
//! characters and between words, and rows too tall for what is left of a page continue on the
//! next one (a table's header repeated). Nothing is cut: every character given is drawn.
//! The result is a list of drawing operations per page, written out by `write_pdf`.

use krilla::Document;
use krilla::color::{luma, rgb};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Paint, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use crate::fonts::Fonts;
use crate::{AssessmentReport, Block, Table};

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 15.0 * MM;
const RIGHT: f32 = PAGE_W - 15.0 * MM;
const TOP: f32 = 16.0 * MM;
const BOTTOM: f32 = PAGE_H - 16.0 * MM;
const WIDTH: f32 = RIGHT - LEFT;
/// Leading: line height as a multiple of the font size.
const LEADING: f32 = 1.45;
/// Where the baseline sits below the top of a line, in ems (CJK faces ascend about 0.88 em).
const ASCENT: f32 = 0.95;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Colour {
    Luma(u8),
    Rgb(u8, u8, u8),
}

impl Colour {
    const TEXT: Colour = Colour::Luma(0);
    const GREY: Colour = Colour::Luma(70);

    fn paint(self) -> Paint {
        match self {
            Colour::Luma(l) => luma::Color::new(l).into(),
            Colour::Rgb(r, g, b) => rgb::Color::new(r, g, b).into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    size: f32,
    bold: bool,
    colour: Colour,
}

impl Style {
    const BODY: Style = Style {
        size: 10.0,
        bold: false,
        colour: Colour::TEXT,
    };

    fn bold(self) -> Style {
        Style { bold: true, ..self }
    }

    fn size(self, size: f32) -> Style {
        Style { size, ..self }
    }

    fn colour(self, colour: Colour) -> Style {
        Style { colour, ..self }
    }

    fn line_height(self) -> f32 {
        self.size * LEADING
    }
}

/// One drawing operation, in points from the page's top left corner.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Colour>,
        stroke: Option<Colour>,
    },
    Rule {
        y: f32,
    },
}

pub(crate) type Page = Vec<Op>;

/// A line of a cell and its style.
type Line = (String, Style);

/// How a row of cells looks.
#[derive(Debug, Clone, Copy)]
struct Look {
    fill: Option<Colour>,
    border: bool,
    inset: f32,
}

const GRID: Look = Look {
    fill: None,
    border: false,
    inset: 0.0,
};
const CELL: Look = Look {
    fill: None,
    border: true,
    inset: 4.0,
};

/// A row: its cells' lines, the columns (x, width) and its look.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<Vec<Line>>,
    columns: Vec<(f32, f32)>,
    look: Look,
}

/// Is a line break allowed before and after this character on its own (CJK ideographs, kana,
/// full-width forms and CJK punctuation)?
fn breaks_alone(ch: char) -> bool {
    matches!(ch, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FFEF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Punctuation that may not begin a line (it hangs at the end of the line before).
fn closes(ch: char) -> bool {
    "，。、；：！？）》」』】〕,.;:!?)]}%·…—".contains(ch)
}

pub(crate) struct Flow<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    y: f32,
}

impl<'f> Flow<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Flow {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    /// Vertical space; at the foot of a page it is not carried over.
    fn space(&mut self, h: f32) {
        self.y += h;
        if self.y >= BOTTOM {
            self.new_page();
        }
    }

    /// Breaks `text` into lines no wider than `width` (a newline always breaks; a word wider
    /// than the line is broken between its characters).
    fn wrap(&self, text: &str, style: Style, width: f32) -> Vec<String> {
        let face = self.fonts.face(style.bold);
        let mut lines = Vec::new();
        for part in text.split('\n') {
            let chars: Vec<char> = part
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let clean: String = chars.iter().collect();
            let advances: Vec<f32> = face
                .glyphs(&clean)
                .iter()
                .map(|(_, a)| a * style.size)
                .collect();
            let mut line = String::new();
            let mut line_w = 0.0f32;
            let mut i = 0;
            while i < chars.len() {
                // The next token: a space, a character that breaks alone, or a word.
                let mut j = i + 1;
                if !chars[i].is_whitespace() && !breaks_alone(chars[i]) {
                    while j < chars.len()
                        && !chars[j].is_whitespace()
                        && !breaks_alone(chars[j])
                        && !closes(chars[j - 1])
                    {
                        j += 1;
                    }
                }
                let token_w: f32 = advances[i..j].iter().sum();
                if line_w + token_w <= width || (closes(chars[i]) && j == i + 1 && !line.is_empty())
                {
                    line.extend(&chars[i..j]);
                    line_w += token_w;
                } else if chars[i].is_whitespace() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                } else if token_w <= width {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.extend(&chars[i..j]);
                    line_w = token_w;
                } else {
                    // A word wider than a line: as many characters as fit on each line.
                    for k in i..j {
                        if line_w + advances[k] > width && !line.is_empty() {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0.0;
                        }
                        line.push(chars[k]);
                        line_w += advances[k];
                    }
                }
                i = j;
            }
            lines.push(line.trim_end().to_string());
        }
        lines
    }

    fn width(&self, text: &str, style: Style) -> f32 {
        self.fonts.face(style.bold).width(text, style.size)
    }

    fn text(&mut self, x: f32, top: f32, style: Style, text: String) {
        if !text.is_empty() {
            self.push(Op::Text {
                x,
                baseline: top + style.size * ASCENT,
                style,
                text,
            });
        }
    }

    /// A paragraph across the text width, left or centred.
    fn paragraph(&mut self, text: &str, style: Style, centred: bool) {
        for line in self.wrap(text, style, WIDTH) {
            let h = style.line_height();
            if h > self.room() && !self.at_top() {
                self.new_page();
            }
            let x = if centred {
                LEFT + ((WIDTH - self.width(&line, style)) / 2.0).max(0.0)
            } else {
                LEFT
            };
            self.text(x, self.y, style, line);
            self.y += h;
        }
    }

    /// A section heading with a rule under it, kept with the line after it.
    fn heading(&mut self, text: &str) {
        let style = Style::BODY.size(12.0).bold();
        self.space(10.0);
        let lines = self.wrap(text, style, WIDTH);
        let need = lines.len() as f32 * style.line_height() + 7.0 + 2.0 * Style::BODY.line_height();
        if need > self.room() && !self.at_top() {
            self.new_page();
        }
        self.paragraph(text, style, false);
        self.y += 2.0;
        self.push(Op::Rule { y: self.y });
        self.y += 5.0;
    }

    /// A bold title on a line of its own, kept with what follows.
    fn subtitle(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.space(9.0);
        if 3.0 * Style::BODY.line_height() > self.room() && !self.at_top() {
            self.new_page();
        }
        self.paragraph(text, Style::BODY.bold(), false);
        self.y += 3.0;
    }

    /// Lines of a row's cells, wrapped to their columns.
    fn cells(&self, texts: &[(&str, Style)], columns: &[(f32, f32)], inset: f32) -> Vec<Vec<Line>> {
        texts
            .iter()
            .zip(columns)
            .map(|((text, style), (_, w))| {
                self.wrap(text, *style, (w - 2.0 * inset).max(1.0))
                    .into_iter()
                    .map(|l| (l, *style))
                    .collect()
            })
            .collect()
    }

    /// Draws a row; one too tall for the rest of the page moves to the next page whole, or, when
    /// it is taller than a page, continues there (`header` repeated first). Returns the page and
    /// the top where the row began.
    fn row(&mut self, row: &Row, header: Option<&Row>) -> (usize, f32) {
        let inset = row.look.inset;
        let lines_h = |cell: &[Line]| cell.iter().map(|(_, s)| s.line_height()).sum::<f32>();
        let mut next: Vec<usize> = vec![0; row.cells.len()];
        let mut began = None;
        loop {
            let rest = row
                .cells
                .iter()
                .zip(&next)
                .map(|(c, &n)| lines_h(&c[n..]))
                .fold(Style::BODY.line_height(), f32::max)
                + 2.0 * inset;
            let first_line = Style::BODY.line_height() + 2.0 * inset;
            if rest > self.room()
                && !self.at_top()
                && (rest <= BOTTOM - TOP || self.room() < first_line)
            {
                self.new_page();
                if let Some(header) = header {
                    self.row(header, None);
                }
                continue;
            }
            // What fits of each cell on this page (at least a line, so the row always advances).
            let avail = self.room() - 2.0 * inset;
            let mut taken = Vec::with_capacity(row.cells.len());
            let mut height = Style::BODY.line_height();
            for (cell, &n) in row.cells.iter().zip(&next) {
                let mut h = 0.0;
                let mut end = n;
                while end < cell.len() && (h + cell[end].1.line_height() <= avail || end == n) {
                    h += cell[end].1.line_height();
                    end += 1;
                }
                height = height.max(h);
                taken.push(end);
            }
            let top = self.y;
            began.get_or_insert((self.pages.len() - 1, top));
            let h = height + 2.0 * inset;
            for (i, &(x, w)) in row.columns.iter().enumerate() {
                if row.look.border || row.look.fill.is_some() {
                    self.push(Op::Rect {
                        x,
                        y: top,
                        w,
                        h,
                        fill: row.look.fill,
                        stroke: row.look.border.then_some(Colour::Luma(90)),
                    });
                }
                let Some(cell) = row.cells.get(i) else {
                    continue;
                };
                let mut line_top = top + inset;
                for (text, style) in &cell[next[i]..taken[i]] {
                    self.text(x + inset, line_top, *style, text.clone());
                    line_top += style.line_height();
                }
            }
            self.y = top + h;
            next = taken;
            if row.cells.iter().zip(&next).all(|(c, &n)| n >= c.len()) {
                return began.unwrap_or((self.pages.len() - 1, top));
            }
            self.new_page();
            if let Some(header) = header {
                self.row(header, None);
            }
        }
    }

    /// Column widths: each column's natural width when all fit, otherwise narrow columns keep
    /// theirs and the wide ones share the rest in proportion.
    fn column_widths(&self, table: &Table, columns: usize) -> Vec<f32> {
        let inset = CELL.inset;
        let mut natural = vec![20.0f32; columns];
        let mut measure = |i: usize, text: &str, style: Style| {
            let longest = text
                .split('\n')
                .map(|l| self.width(l, style))
                .fold(0.0, f32::max);
            natural[i] = natural[i].max(longest + 2.0 * inset + 1.0);
        };
        for (i, text) in table.header.iter().enumerate() {
            measure(i, text, Style::BODY.bold());
        }
        for row in &table.rows {
            for (i, text) in row.iter().enumerate() {
                measure(i, text, Style::BODY);
            }
        }
        let total: f32 = natural.iter().sum();
        if total <= WIDTH {
            let extra = (WIDTH - total) / columns as f32;
            return natural.iter().map(|w| w + extra).collect();
        }
        let mut fixed = vec![false; columns];
        loop {
            let free = WIDTH
                - natural
                    .iter()
                    .zip(&fixed)
                    .filter(|(_, f)| **f)
                    .map(|(w, _)| w)
                    .sum::<f32>();
            let open: Vec<usize> = (0..columns).filter(|&i| !fixed[i]).collect();
            let share = free / open.len().max(1) as f32;
            let narrow: Vec<usize> = open
                .iter()
                .copied()
                .filter(|&i| natural[i] <= share)
                .collect();
            if narrow.is_empty() || narrow.len() == open.len() {
                let open_total: f32 = open.iter().map(|&i| natural[i]).sum::<f32>().max(1.0);
                return (0..columns)
                    .map(|i| {
                        if fixed[i] {
                            natural[i]
                        } else {
                            free * natural[i] / open_total
                        }
                    })
                    .collect();
            }
            for i in narrow {
                fixed[i] = true;
            }
        }
    }

    fn table(&mut self, table: &Table) {
        let columns = table
            .rows
            .iter()
            .map(Vec::len)
            .chain([table.header.len()])
            .max()
            .unwrap_or(0)
            .max(1);
        let widths = self.column_widths(table, columns);
        let mut x = LEFT;
        let positions: Vec<(f32, f32)> = widths
            .iter()
            .map(|w| {
                let at = (x, *w);
                x += w;
                at
            })
            .collect();
        let empty = String::new();
        let header = (!table.header.is_empty()).then(|| {
            let texts: Vec<(&str, Style)> = (0..columns)
                .map(|i| {
                    (
                        table.header.get(i).unwrap_or(&empty).as_str(),
                        Style::BODY.bold(),
                    )
                })
                .collect();
            Row {
                cells: self.cells(&texts, &positions, CELL.inset),
                columns: positions.clone(),
                look: Look {
                    fill: Some(Colour::Luma(235)),
                    ..CELL
                },
            }
        });
        if let Some(header) = &header {
            // The header stays with the first row.
            let need = 2.0 * (Style::BODY.line_height() + 2.0 * CELL.inset);
            if need > self.room() && !self.at_top() {
                self.new_page();
            }
            self.row(header, None);
        }
        for cells in &table.rows {
            let texts: Vec<(&str, Style)> = (0..columns)
                .map(|i| (cells.get(i).unwrap_or(&empty).as_str(), Style::BODY))
                .collect();
            let row = Row {
                cells: self.cells(&texts, &positions, CELL.inset),
                columns: positions.clone(),
                look: CELL,
            };
            self.row(&row, header.as_ref());
        }
    }

    fn household(&mut self, pairs: &[(String, String)]) {
        let columns = [(LEFT, 26.0 * MM), (LEFT + 26.0 * MM, WIDTH - 26.0 * MM)];
        for (label, value) in pairs {
            let texts = [
                (label.as_str(), Style::BODY.colour(Colour::GREY)),
                (value.as_str(), Style::BODY),
            ];
            let row = Row {
                cells: self.cells(&texts, &columns, 0.0),
                columns: columns.to_vec(),
                look: GRID,
            };
            self.row(&row, None);
            self.y += 3.0;
        }
        self.y += 3.0;
    }

    fn bars(&mut self, bars: &[crate::Bar]) {
        let gutter = 6.0;
        let label_w = 52.0 * MM;
        let value_w = 24.0 * MM;
        let bar_x = LEFT + label_w + gutter;
        let bar_w = WIDTH - label_w - value_w - 2.0 * gutter;
        let columns = [(LEFT, label_w), (RIGHT - value_w, value_w)];
        for bar in bars {
            let value = format!("{:.1} / {:.0}", bar.points, bar.max);
            let texts = [
                (bar.label.as_str(), Style::BODY),
                (value.as_str(), Style::BODY),
            ];
            let row = Row {
                cells: self.cells(&texts, &columns, 0.0),
                columns: columns.to_vec(),
                look: GRID,
            };
            let (page, top) = self.row(&row, None);
            let share = if bar.max > 0.0 && bar.points.is_finite() {
                (bar.points / bar.max).clamp(0.0, 1.0) as f32
            } else {
                0.0
            };
            let bar_top = top + (Style::BODY.line_height() - 8.0) / 2.0;
            let colour = if bar.deduct {
                Colour::Rgb(0x2e, 0x7d, 0x32)
            } else {
                Colour::Rgb(0xc6, 0x28, 0x28)
            };
            if let Some(ops) = self.pages.get_mut(page) {
                ops.push(Op::Rect {
                    x: bar_x,
                    y: bar_top,
                    w: bar_w,
                    h: 8.0,
                    fill: Some(Colour::Luma(232)),
                    stroke: None,
                });
                if share > 0.0 {
                    ops.push(Op::Rect {
                        x: bar_x,
                        y: bar_top,
                        w: bar_w * share,
                        h: 8.0,
                        fill: Some(colour),
                        stroke: None,
                    });
                }
            }
            self.y += 4.0;
        }
    }

    fn list(&mut self, block: &Block) {
        if block.lines.is_empty() {
            return;
        }
        self.subtitle(&block.title);
        let columns = [(LEFT + 4.0, 10.0), (LEFT + 14.0, WIDTH - 14.0)];
        for line in &block.lines {
            let texts = [("•", Style::BODY), (line.as_str(), Style::BODY)];
            let row = Row {
                cells: self.cells(&texts, &columns, 0.0),
                columns: columns.to_vec(),
                look: GRID,
            };
            self.row(&row, None);
            self.y += 2.0;
        }
    }

    /// Signature boxes side by side, kept on one page when they fit on one.
    fn signatures(&mut self, boxes: &[Block]) {
        if boxes.is_empty() {
            return;
        }
        self.space(12.0);
        let gutter = 10.0;
        let n = boxes.len() as f32;
        let w = (WIDTH - gutter * (n - 1.0)) / n;
        let columns: Vec<(f32, f32)> = (0..boxes.len())
            .map(|i| (LEFT + i as f32 * (w + gutter), w))
            .collect();
        let inset = 6.0;
        let cells = boxes
            .iter()
            .zip(&columns)
            .map(|(b, (_, w))| {
                let width = w - 2.0 * inset;
                let mut lines: Vec<Line> = self
                    .wrap(&b.title, Style::BODY.bold(), width)
                    .into_iter()
                    .map(|l| (l, Style::BODY.bold()))
                    .collect();
                for text in &b.lines {
                    lines.extend(
                        self.wrap(text, Style::BODY, width)
                            .into_iter()
                            .map(|l| (l, Style::BODY)),
                    );
                    // Room to sign under the last line.
                }
                lines.push((String::new(), Style::BODY));
                lines
            })
            .collect();
        let row = Row {
            cells,
            columns,
            look: Look { inset, ..CELL },
        };
        self.row(&row, None);
    }

    /// Page numbers ("2 / 3") centred in each page's foot.
    fn number_pages(&mut self) {
        let total = self.pages.len();
        let style = Style::BODY.size(8.0).colour(Colour::GREY);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = format!("{} / {total}", i + 1);
            let w = self.fonts.face(false).width(&text, style.size);
            page.push(Op::Text {
                x: (PAGE_W - w) / 2.0,
                baseline: PAGE_H - 8.0 * MM,
                style,
                text,
            });
        }
    }
}

/// The assessment report's pages.
pub(crate) fn assessment(r: &AssessmentReport, fonts: &Fonts) -> Vec<Page> {
    let mut flow = Flow::new(fonts);
    flow.paragraph(&r.title, Style::BODY.size(18.0).bold(), true);
    flow.y += 2.0;
    flow.paragraph(
        &r.subtitle,
        Style::BODY.size(8.5).colour(Colour::GREY),
        true,
    );
    flow.heading(&r.household_title);
    flow.household(&r.household);
    flow.table(&r.members);
    flow.y += 3.0;
    flow.paragraph(
        &r.privacy_note,
        Style::BODY.size(8.0).colour(Colour::GREY),
        false,
    );
    flow.heading(&r.result_title);
    let verdict = Style::BODY.size(15.0).bold();
    let note = Style::BODY.size(8.0);
    let inline = flow.width(&r.verdict, verdict) + 6.0 + flow.width(&r.verdict_note, note);
    if inline <= WIDTH && !r.verdict.contains('\n') && !r.verdict_note.contains('\n') {
        if verdict.line_height() > flow.room() {
            flow.new_page();
        }
        let top = flow.y;
        flow.text(LEFT, top, verdict, r.verdict.clone());
        let x = LEFT + flow.width(&r.verdict, verdict) + 6.0;
        // The note sits on the verdict's baseline.
        let note_top = top + (verdict.size - note.size) * ASCENT;
        flow.text(x, note_top, note, r.verdict_note.clone());
        flow.y += verdict.line_height();
    } else {
        flow.paragraph(&r.verdict, verdict, false);
        flow.paragraph(&r.verdict_note, note, false);
    }
    flow.paragraph(&r.meta, Style::BODY.size(8.5).colour(Colour::GREY), false);
    flow.subtitle(&r.chart_title);
    flow.bars(&r.bars);
    flow.subtitle(&r.reasons_title);
    if !r.reasons.rows.is_empty() || !r.reasons.header.is_empty() {
        flow.table(&r.reasons);
    }
    for block in &r.lists {
        flow.list(block);
    }
    flow.signatures(&r.signatures);
    flow.number_pages();
    flow.pages
}

/// Writes the pages as a PDF (fonts subset and embedded).
pub(crate) fn write_pdf(
    pages: &[Page],
    fonts: &Fonts,
    title: &str,
    language: &str,
) -> Result<Vec<u8>, String> {
    let mut document = Document::new();
    let mut metadata = Metadata::new().creator("minsheng".to_string());
    if !title.trim().is_empty() {
        metadata = metadata.title(title.to_string());
    }
    if !language.is_empty() {
        metadata = metadata.language(language.to_string());
    }
    document.set_metadata(metadata);
    for ops in pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("A4 page size")?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, op, fonts);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| format!("PDF output failed: {e:?}"))
}

fn draw(surface: &mut Surface<'_>, op: &Op, fonts: &Fonts) {
    match op {
        Op::Text {
            x,
            baseline,
            style,
            text,
        } => {
            let face = fonts.face(style.bold);
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .zip(face.glyphs(text))
                .map(|((at, ch), (glyph, advance))| {
                    KrillaGlyph::new(
                        GlyphId::new(glyph),
                        advance,
                        0.0,
                        0.0,
                        0.0,
                        at..at + ch.len_utf8(),
                        None,
                    )
                })
                .collect();
            surface.set_fill(Some(Fill {
                paint: style.colour.paint(),
                ..Fill::default()
            }));
            // Without a bold face, bold is the regular face filled and outlined.
            surface.set_stroke((style.bold && fonts.synthetic_bold).then(|| Stroke {
                paint: style.colour.paint(),
                width: style.size * 0.04,
                ..Stroke::default()
            }));
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                face.pdf.clone(),
                text,
                style.size,
                false,
            );
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut builder = PathBuilder::new();
            builder.push_rect(rect);
            let Some(path) = builder.finish() else {
                return;
            };
            surface.set_fill(fill.map(|c| Fill {
                paint: c.paint(),
                ..Fill::default()
            }));
            surface.set_stroke(stroke.map(|c| Stroke {
                paint: c.paint(),
                width: 0.5,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Rule { y } => {
            let mut builder = PathBuilder::new();
            builder.move_to(LEFT, *y);
            builder.line_to(RIGHT, *y);
            let Some(path) = builder.finish() else {
                return;
            };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                width: 1.0,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
    }
}
