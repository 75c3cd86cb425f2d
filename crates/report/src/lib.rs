//! A4 PDF reports. The caller gives the report's texts (already in the reader's language, with ID
//! numbers masked) and the CJK fonts; a small flow layout (`layout`) places them on A4 pages and
//! krilla writes the PDF with the fonts subset and embedded, so it prints the same everywhere and
//! its text can be searched and copied.
//!
//! Why not a typesetting engine: typst rendered this report before, but as a library it doubled
//! the cold release build (+10 min on two cores). The report is a title, key–value lines, tables,
//! bars, lists and signature boxes in one script family, which a few hundred lines lay out;
//! krilla (typst's own PDF writer) does the part that is hard to get right — font subsetting,
//! CID fonts and text extraction maps.

mod fonts;
mod layout;

use std::path::{Path, PathBuf};

pub use fonts::{FontError, Fonts};

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
    /// The document's language tag (`zh-CN`, `en`), written into the PDF for screen readers.
    pub language: String,
}

/// Lays the report out on A4 pages and writes the PDF.
pub fn assessment_pdf(r: &AssessmentReport, fonts: &Fonts) -> Result<Vec<u8>, String> {
    let pages = layout::assessment(r, fonts);
    layout::write_pdf(&pages, fonts, &r.title, &r.language)
}

/// Where CJK fonts are looked for: `MINSHENG_FONTS_DIR` (every .ttf/.otf/.ttc in it), else the
/// CJK fonts of common systems (Debian's fonts-noto-cjk and fonts-wqy-zenhei first).
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
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:\\Windows\\Fonts\\msyh.ttc",
        "C:\\Windows\\Fonts\\msyhbd.ttc",
    ] {
        let path = PathBuf::from(candidate);
        if path.is_file() {
            files.push(path);
        }
    }
    files
}

/// Reads the fonts and picks a regular and a bold CJK face (done once: the files are large).
pub fn load_fonts(dir: Option<&Path>) -> Result<Fonts, FontError> {
    let files: Vec<Vec<u8>> = font_files(dir)
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    Fonts::from_files(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn test_fonts() -> Option<Fonts> {
        let dir = std::env::var_os("MINSHENG_FONTS_DIR");
        match load_fonts(dir.as_deref().map(Path::new)) {
            Ok(fonts) => Some(fonts),
            Err(e) if std::env::var("MINSHENG_SKIP_PDF").is_ok_and(|v| v == "1") => {
                eprintln!("skipped: {e}");
                None
            }
            Err(e) => panic!("{e} (set MINSHENG_SKIP_PDF=1 to skip)"),
        }
    }

    pub(crate) fn sample() -> AssessmentReport {
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
            language: "zh-CN".into(),
        }
    }

    /// The PDF's text as poppler's `pdftotext` reads it (None when poppler is not installed).
    fn pdf_text(pdf: &[u8], name: &str) -> Option<String> {
        let dir =
            std::env::temp_dir().join(format!("minsheng-report-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("report.pdf");
        std::fs::write(&path, pdf).expect("write");
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .ok();
        let _ = std::fs::remove_dir_all(&dir);
        out.map(|o| {
            assert!(o.status.success(), "pdftotext reads the PDF");
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
    }

    /// Pages and their size in pixels at 40 dpi, as poppler's `pdftoppm` renders them.
    fn rendered_pages(pdf: &[u8], name: &str) -> Option<Vec<(u32, u32, usize)>> {
        let dir =
            std::env::temp_dir().join(format!("minsheng-render-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("report.pdf");
        std::fs::write(&path, pdf).expect("write");
        let status = std::process::Command::new("pdftoppm")
            .args(["-gray", "-r", "40"])
            .arg(&path)
            .arg(dir.join("page"))
            .status()
            .ok()?;
        assert!(status.success(), "pdftoppm reads the PDF");
        let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("read dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
            .collect();
        pages.sort();
        let out = pages
            .iter()
            .map(|p| {
                let pgm = std::fs::read(p).expect("pgm");
                let (w, h, pixels) = parse_pgm(&pgm);
                let ink = pixels.iter().filter(|&&v| v < 128).count();
                (w, h, ink)
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        Some(out)
    }

    /// A binary PGM (P5): width, height and the pixels.
    fn parse_pgm(data: &[u8]) -> (u32, u32, &[u8]) {
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while data[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while !data[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(
                std::str::from_utf8(&data[start..i])
                    .expect("ascii")
                    .to_string(),
            );
        }
        let w: u32 = fields[1].parse().expect("width");
        let h: u32 = fields[2].parse().expect("height");
        (w, h, &data[i + 1..])
    }

    #[test]
    fn the_report_is_an_a4_pdf_with_its_cjk_font_embedded_and_its_text_readable() {
        let Some(fonts) = test_fonts() else { return };
        let pdf = assessment_pdf(&sample(), &fonts).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("/FontFile"), "the font is embedded");
        assert!(
            raw.contains("CJK") || raw.contains("Hei"),
            "the CJK font is used"
        );
        if let Some(text) = pdf_text(&pdf, "text") {
            for expected in [
                "家庭困难程度评估报告",
                "巴南区龙洲湾街道 \"测试\" 1号",
                "支出型贫困 · 34.1 分",
                "医疗自付负担 #1 $x \\ [a]",
                "15.9 / 35",
                "income.wages: 0 → 15772",
                "审核人",
            ] {
                assert!(text.contains(expected), "{expected:?} in\n{text}");
            }
            let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(joined.ends_with("1/1"), "the page number");
        }
        // Rendered by poppler: one A4 page (331 × 468 pixels at 40 dpi) with ink on it.
        if let Some(pages) = rendered_pages(&pdf, "one") {
            assert_eq!(pages.len(), 1);
            let (w, h, ink) = pages[0];
            assert_eq!((w, h), (331, 468));
            assert!(ink > 500, "{ink} dark pixels");
        }
    }

    #[test]
    fn long_tables_and_texts_flow_onto_more_pages_with_nothing_dropped() {
        let Some(fonts) = test_fonts() else { return };
        let mut report = sample();
        report.reasons.rows = (1..=120)
            .map(|i| vec![format!("第{i}项指标 的说明文字"), format!("{i}.00")])
            .collect();
        let long = "很长的地址".repeat(300);
        report.household.push(("备注".into(), long.clone()));
        report.lists[0].lines.push("x".repeat(2_000));
        let pdf = assessment_pdf(&report, &fonts).expect("pdf");
        if let Some(out) = std::env::var_os("MINSHENG_REPORT_OUT") {
            // To look at it: MINSHENG_REPORT_OUT=/tmp/long.pdf cargo test -p minsheng-report
            std::fs::write(out, &pdf).expect("write the sample");
        }
        let pages = rendered_pages(&pdf, "many");
        if let Some(pages) = &pages {
            assert!(pages.len() >= 3, "{} pages", pages.len());
            assert!(
                pages
                    .iter()
                    .all(|&(w, h, ink)| (w, h) == (331, 468) && ink > 0)
            );
        }
        if let Some(text) = pdf_text(&pdf, "many") {
            let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            for i in [1, 60, 120] {
                assert!(
                    joined.contains(&format!("第{i}项指标的说明文字")),
                    "row {i}"
                );
            }
            assert_eq!(
                joined.matches("很长的地址").count(),
                300,
                "the long value whole"
            );
            assert_eq!(joined.matches('x').count(), 2_000, "the long word whole");
            let n = pages.map_or(0, |p| p.len());
            assert!(joined.contains(&format!("{n}/{n}")), "page numbers");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever a household's texts hold (control characters, emoji, nothing, very long
        /// words), the report is laid out without a panic and every page stays A4.
        #[test]
        fn any_text_lays_out(texts in proptest::collection::vec(any::<String>(), 1..12), points in any::<f64>(), max in any::<f64>()) {
            let Some(fonts) = test_fonts() else { return Ok(()) };
            let mut report = sample();
            report.title = texts[0].clone();
            report.household = texts.iter().map(|t| (t.clone(), t.clone())).collect();
            report.members.rows = texts.iter().map(|t| vec![t.clone(); 3]).collect();
            report.bars.push(Bar { label: texts[texts.len() - 1].clone(), points, max, deduct: false });
            report.lists.push(Block { title: texts[0].clone(), lines: texts.clone() });
            report.signatures[0].lines = texts.clone();
            let pages = layout::assessment(&report, &fonts);
            prop_assert!(!pages.is_empty());
            let pdf = layout::write_pdf(&pages, &fonts, &report.title, "zh-CN");
            prop_assert!(pdf.is_ok(), "{:?}", pdf.err());
        }
    }
}
