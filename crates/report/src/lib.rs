//! A4 PDF reports, typeset with typst as a library. The caller gives the report's texts (already
//! in the reader's language, with ID numbers masked) and the CJK fonts; the fonts are embedded
//! (subset) in the PDF, so it prints the same everywhere.

use std::path::{Path, PathBuf};

use typst::layout::PagedDocument;
use typst_as_lib::TypstEngine;

/// One dimension's bar in the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub points: f64,
    pub max: f64,
    /// Deducted points (self-help capacity) are drawn in green.
    pub deduct: bool,
}

/// A table: header cells and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A titled block of lines (a list, or a signature box).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub title: String,
    pub lines: Vec<String>,
}

/// Everything the assessment report shows, in the reader's language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssessmentReport {
    pub title: String,
    /// Number, print time and state, on one line under the title.
    pub subtitle: String,
    pub household_title: String,
    /// (label, value) rows.
    pub household: Vec<(String, String)>,
    pub members: Table,
    pub privacy_note: String,
    pub result_title: String,
    /// "支出型贫困 · 34.1 分".
    pub verdict: String,
    pub verdict_note: String,
    pub meta: String,
    pub chart_title: String,
    pub bars: Vec<Bar>,
    pub reasons_title: String,
    pub reasons: Table,
    /// Vetoes, missing facts, what would change, recommendations: titled lists.
    pub lists: Vec<Block>,
    /// Assessor and reviewer boxes.
    pub signatures: Vec<Block>,
}

/// A typst string literal.
fn s(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' | '\t' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

fn table(t: &Table) -> String {
    let columns = t.header.len().max(1);
    let mut cells: Vec<String> = t
        .header
        .iter()
        .map(|h| format!("table.cell(fill: luma(235), strong({}))", s(h)))
        .collect();
    for row in &t.rows {
        for i in 0..columns {
            cells.push(s(row.get(i).map_or("", String::as_str)));
        }
    }
    format!(
        "#table(columns: {columns}, stroke: 0.5pt + luma(90), inset: 4pt, {})\n",
        cells.join(", ")
    )
}

/// The typst source of a report.
pub fn assessment_source(r: &AssessmentReport) -> String {
    let mut src = String::new();
    src.push_str(
        "#set page(paper: \"a4\", margin: (x: 15mm, y: 16mm))\n\
         #set text(font: (\"Noto Sans CJK SC\", \"Noto Serif CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Zen Hei\"), size: 10pt, lang: \"zh\", region: \"cn\")\n\
         #set par(leading: 0.6em)\n\
         #show heading: it => block(below: 4pt, above: 10pt, stroke: (bottom: 1pt), inset: (bottom: 3pt), width: 100%, text(size: 12pt, weight: \"bold\", it.body))\n",
    );
    src.push_str(&format!(
        "#align(center, text(size: 18pt, weight: \"bold\", tracking: 0.1em, {}))\n#align(center, text(size: 8.5pt, fill: luma(60), {}))\n",
        s(&r.title),
        s(&r.subtitle)
    ));
    src.push_str(&format!("#heading({})\n", s(&r.household_title)));
    let kv: Vec<String> = r
        .household
        .iter()
        .flat_map(|(k, v)| [format!("text(fill: luma(60), {})", s(k)), s(v)])
        .collect();
    src.push_str(&format!(
        "#grid(columns: (26mm, 1fr), row-gutter: 4pt, {})\n",
        kv.join(", ")
    ));
    src.push_str(&table(&r.members));
    src.push_str(&format!(
        "#text(size: 8pt, fill: luma(70), {})\n",
        s(&r.privacy_note)
    ));
    src.push_str(&format!("#heading({})\n", s(&r.result_title)));
    src.push_str(&format!(
        "#block(below: 3pt, [#text(size: 15pt, weight: \"bold\", {}) #h(4pt) #text(size: 8pt, {})])\n#block(text(size: 8.5pt, fill: luma(60), {}))\n",
        s(&r.verdict),
        s(&r.verdict_note),
        s(&r.meta)
    ));
    src.push_str(&subtitle(&r.chart_title));
    let mut bars = Vec::new();
    for bar in &r.bars {
        let share = if bar.max > 0.0 {
            (bar.points / bar.max).clamp(0.0, 1.0) * 100.0
        } else {
            0.0
        };
        let colour = if bar.deduct {
            "rgb(\"#2e7d32\")"
        } else {
            "rgb(\"#c62828\")"
        };
        bars.push(format!(
            "{}, box(width: 100%, height: 8pt, fill: luma(232), place(left, box(width: {share:.1}%, height: 8pt, fill: {colour}))), {}",
            s(&bar.label),
            s(&format!("{:.1} / {:.0}", bar.points, bar.max))
        ));
    }
    src.push_str(&format!(
        "#grid(columns: (52mm, 1fr, 24mm), column-gutter: 6pt, row-gutter: 5pt, align: horizon, {})\n",
        bars.join(", ")
    ));
    src.push_str(&subtitle(&r.reasons_title));
    src.push_str(&table(&r.reasons));
    for block in &r.lists {
        if block.lines.is_empty() {
            continue;
        }
        src.push_str(&subtitle(&block.title));
        let items: Vec<String> = block
            .lines
            .iter()
            .map(|l| format!("[{}]", markup_text(l)))
            .collect();
        src.push_str(&format!("#list({})\n", items.join(", ")));
    }
    let boxes: Vec<String> = r
        .signatures
        .iter()
        .map(|b| {
            let lines: Vec<String> = b.lines.iter().map(|l| s(l)).collect();
            format!(
                "rect(width: 100%, inset: 6pt, stroke: 0.5pt, stack(spacing: 6pt, strong({}), {}))",
                s(&b.title),
                lines.join(", ")
            )
        })
        .collect();
    if !boxes.is_empty() {
        src.push_str(&format!(
            "#v(8pt)\n#block(breakable: false, grid(columns: ({}), column-gutter: 10pt, {}))\n",
            vec!["1fr"; boxes.len()].join(", "),
            boxes.join(", ")
        ));
    }
    src
}

/// A bold title on a line of its own.
fn subtitle(text: &str) -> String {
    format!(
        "#block(above: 9pt, below: 4pt, text(weight: \"bold\", {}))\n",
        s(text)
    )
}

/// Text as a content block: the string literal inside `#`.
fn markup_text(text: &str) -> String {
    format!("#{}", s(text))
}

/// Typesets the report into a PDF with the given fonts (each a font file or collection).
pub fn assessment_pdf(r: &AssessmentReport, fonts: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    if fonts.is_empty() {
        return Err("no CJK font found: install fonts-noto-cjk or set MINSHENG_FONTS_DIR".into());
    }
    let engine = TypstEngine::builder()
        .main_file(assessment_source(r))
        .fonts(fonts.iter().map(|f| f.as_slice()))
        .build();
    let document: PagedDocument = engine
        .compile()
        .output
        .map_err(|e| format!("typesetting failed: {e:?}"))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| format!("PDF output failed: {e:?}"))
}

/// Where CJK fonts are looked for: `MINSHENG_FONTS_DIR` (every .ttf/.otf/.ttc in it), else the
/// Noto CJK files of Debian's `fonts-noto-cjk`.
pub fn font_files(dir: Option<&Path>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let font = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc")
                });
                if font {
                    files.push(path);
                }
            }
        }
        files.sort();
        return files;
    }
    for candidate in [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ] {
        let path = PathBuf::from(candidate);
        if path.is_file() {
            files.push(path);
        }
    }
    files
}

/// Reads the fonts (done once at start: they are large).
pub fn load_fonts(dir: Option<&Path>) -> Vec<Vec<u8>> {
    font_files(dir)
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AssessmentReport {
        AssessmentReport {
            title: "家庭困难程度评估报告".into(),
            subtitle: "编号 PG-1 · 2026-11-29".into(),
            household_title: "家庭基本情况".into(),
            household: vec![("地址".into(), "巴南区龙洲湾街道 \"测试\" 1号".into())],
            members: Table {
                header: vec!["关系".into(), "年龄".into()],
                rows: vec![vec!["户主".into(), "72".into()]],
            },
            privacy_note: "不含身份证号码".into(),
            result_title: "评估结果".into(),
            verdict: "支出型贫困 · 34.1 分".into(),
            verdict_note: "0–100".into(),
            meta: "cq-7d82 2026.1".into(),
            chart_title: "各维度得分".into(),
            bars: vec![
                Bar {
                    label: "家庭收支状况".into(),
                    points: 15.9,
                    max: 35.0,
                    deduct: false,
                },
                Bar {
                    label: "家庭自救能力".into(),
                    points: 6.0,
                    max: 19.0,
                    deduct: true,
                },
            ],
            reasons_title: "主要困难因素".into(),
            reasons: Table {
                header: vec!["指标".into(), "得分".into()],
                rows: vec![vec!["医疗自付负担 #1 $x \\ [a]".into(), "6.00".into()]],
            },
            lists: vec![Block {
                title: "哪些变化会改变结论".into(),
                lines: vec!["income.wages: 0 → 15772".into()],
            }],
            signatures: vec![
                Block {
                    title: "评估员".into(),
                    lines: vec!["张三".into(), "签字：".into()],
                },
                Block {
                    title: "审核人".into(),
                    lines: vec!["李四".into(), "签字：".into()],
                },
            ],
        }
    }

    #[test]
    fn strings_cannot_break_out_of_their_literals() {
        assert_eq!(s("a\"b\\c#d"), "\"a\\\"b\\\\c#d\"");
        let src = assessment_source(&sample());
        assert!(src.contains("\"医疗自付负担 #1 $x \\\\ [a]\""));
    }

    #[test]
    fn the_report_typesets_to_a_pdf_with_embedded_cjk_fonts() {
        let fonts = load_fonts(
            std::env::var_os("MINSHENG_FONTS_DIR")
                .as_deref()
                .map(Path::new),
        );
        if fonts.is_empty() && std::env::var("MINSHENG_SKIP_PDF").is_ok_and(|v| v == "1") {
            return;
        }
        let pdf = assessment_pdf(&sample(), &fonts).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile"), "the font is embedded");
        assert!(
            text.contains("NotoSansCJK") || text.contains("Noto"),
            "the CJK font is used"
        );
        // Rendered to PNG (poppler's pdftoppm, when installed): one A4 page with ink on it.
        let dir = std::env::temp_dir().join(format!("minsheng-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let pdf_path = dir.join("report.pdf");
        std::fs::write(&pdf_path, &pdf).expect("write");
        let rendered = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "40", "-singlefile"])
            .arg(&pdf_path)
            .arg(dir.join("page"))
            .status();
        if let Ok(status) = rendered {
            assert!(status.success(), "pdftoppm reads the PDF");
            let png = std::fs::read(dir.join("page.png")).expect("png");
            assert!(png.starts_with(b"\x89PNG"));
            // A4 at 40 dpi is 331 × 468 pixels.
            let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
            let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
            assert_eq!((width, height), (331, 468));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
