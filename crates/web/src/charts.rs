//! Charts on the figures pages. The server sends each chart's figures twice: as JSON that
//! `static/charts.js` draws with ECharts (vendored, served from the binary: nothing comes from a
//! CDN) and as a table beside it, which screen readers, printing and a phone without script read.

use std::fmt;

use askama::Template;
use serde::Serialize;

/// How the figures are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Horizontal bars, one per row, the series side by side.
    Bar,
    /// Shares of a whole (the first series only).
    Pie,
}

/// One row: its label and, per series, the value drawn and the text shown.
#[derive(Debug, Clone, Serialize)]
pub struct ChartRow {
    pub label: String,
    pub values: Vec<f64>,
    pub shown: Vec<String>,
}

/// A chart with its table.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// The element id (tests and links find the figure by it).
    pub id: &'static str,
    pub kind: ChartKind,
    /// Said to screen readers as the table's caption.
    pub caption: String,
    /// The heading of the label column.
    pub label_heading: String,
    /// The series' names (the value columns' headings).
    pub series: Vec<String>,
    pub rows: Vec<ChartRow>,
}

impl Chart {
    pub fn new(
        id: &'static str,
        kind: ChartKind,
        caption: impl Into<String>,
        label_heading: impl Into<String>,
        series: &[&str],
    ) -> Chart {
        Chart {
            id,
            kind,
            caption: caption.into(),
            label_heading: label_heading.into(),
            series: series.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of (value, shown text) per series.
    pub fn row(mut self, label: impl Into<String>, cells: &[(f64, String)]) -> Chart {
        self.rows.push(ChartRow {
            label: label.into(),
            values: cells.iter().map(|c| c.0).collect(),
            shown: cells.iter().map(|c| c.1.clone()).collect(),
        });
        self
    }

    /// Adds rows of one value each, shown as given.
    pub fn rows<I, L>(mut self, rows: I) -> Chart
    where
        I: IntoIterator<Item = (L, f64, String)>,
        L: Into<String>,
    {
        for (label, value, shown) in rows {
            self = self.row(label, &[(value, shown)]);
        }
        self
    }

    /// The figures for the script, safe inside `<script type="application/json">`.
    pub fn json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c")
    }
}

#[derive(Template)]
#[template(path = "chart.html")]
struct ChartHtml<'a> {
    chart: &'a Chart,
}

/// Renders as the figure (chart and table), for `{{ chart|safe }}` in a page.
impl fmt::Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let html = ChartHtml { chart: self }.render().map_err(|_| fmt::Error)?;
        f.write_str(&html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_drawn_from_json_beside_a_table_of_the_same_figures() {
        let chart = Chart::new("by-kind", ChartKind::Bar, "按类型", "类型", &["金额"]).rows([(
            "慈善组织</script><b>",
            300.0,
            "¥300.00".to_string(),
        )]);
        let html = chart.to_string();
        assert!(html.contains("id=\"by-kind\""));
        assert!(
            !html.contains("</script><b>"),
            "labels cannot leave the script or the table"
        );
        assert!(
            html.contains("慈善组织&#60;/script&#62;&#60;b&#62;")
                || html.contains("慈善组织&lt;/script&gt;&lt;b&gt;")
        );
        assert!(html.contains("<td class=\"num\">¥300.00</td>"));
        assert!(chart.json().contains("\\u003c/script>"));
    }
}
