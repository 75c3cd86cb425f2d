//! Exports of lists to Excel (xlsx) or CSV in GB18030 (what Excel on a Chinese Windows opens
//! without mojibake). Scoped like the list, masked like the list, and audited.

use minsheng_domain::Action;
use minsheng_domain::text::csv_cell;
use minsheng_store::registry;
use rust_xlsxwriter::{Format, Workbook};

use crate::registry::{HouseholdView, ListQuery};
use crate::{Actor, App, AppError, AppResult, Subject, reader};

/// The most rows one export holds; a larger area is exported region by region.
pub const EXPORT_LIMIT: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    CsvGb18030,
}

impl ExportFormat {
    pub fn from_code(code: &str) -> Option<ExportFormat> {
        match code {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::CsvGb18030),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::CsvGb18030 => "text/csv; charset=gb18030",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::CsvGb18030 => "csv",
        }
    }
}

const HEADERS: [&str; 6] = [
    "户编号",
    "所属区划",
    "区划代码",
    "地址",
    "户主",
    "户主身份证号（已脱敏）",
];

fn cells(h: &HouseholdView) -> [String; 6] {
    [
        h.id.to_string(),
        h.region_name.clone(),
        h.region_code.clone(),
        h.address.clone(),
        h.head_name.clone().unwrap_or_default(),
        h.head_id_number.clone().unwrap_or_default(),
    ]
}

impl App {
    /// The households the list would show (every page), as a file.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn export_households(
        &self,
        actor: &Actor,
        q: &ListQuery,
        format: ExportFormat,
    ) -> AppResult<Vec<u8>> {
        self.authorize(actor, Action::ViewHouseholds, Subject::new("household", ""))
            .await?;
        let mut rows: Vec<HouseholdView> = Vec::new();
        let mut page = ListQuery {
            per_page: 1000,
            page: 1,
            ..q.clone()
        };
        loop {
            let filter = crate::registry::list_filter_for_export(&page)?;
            let batch =
                registry::list_households(&mut reader(self), actor.scope(), &filter).await?;
            let done = batch.len() < 1000;
            rows.extend(batch.into_iter().map(HouseholdView::from_row));
            if done || rows.len() >= EXPORT_LIMIT {
                break;
            }
            page.page += 1;
        }
        rows.truncate(EXPORT_LIMIT);
        let detail = format!(
            "q={} region={} rows={}",
            q.q.as_deref().unwrap_or(""),
            q.region.as_deref().unwrap_or(""),
            rows.len()
        );
        self.audit_now(
            actor,
            "household.export",
            Subject::new("household", ""),
            true,
            &detail,
        )
        .await?;
        match format {
            ExportFormat::Xlsx => households_xlsx(&rows),
            ExportFormat::CsvGb18030 => households_csv_gb18030(&rows),
        }
    }
}

fn households_xlsx(rows: &[HouseholdView]) -> AppResult<Vec<u8>> {
    let error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("家庭户").map_err(error)?;
    let bold = Format::new().set_bold();
    for (col, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &bold)
            .map_err(error)?;
    }
    for (i, h) in rows.iter().enumerate() {
        for (col, value) in cells(h).iter().enumerate() {
            // Text, not numbers: codes and ID numbers must keep every digit.
            sheet
                .write_string(i as u32 + 1, col as u16, value)
                .map_err(error)?;
        }
    }
    sheet.set_column_width(3, 40).map_err(error)?;
    sheet.set_column_width(5, 22).map_err(error)?;
    book.save_to_buffer().map_err(error)
}

fn households_csv_gb18030(rows: &[HouseholdView]) -> AppResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let error = |e: csv::Error| AppError::Internal(e.to_string());
    writer.write_record(HEADERS).map_err(error)?;
    for h in rows {
        let row = cells(h);
        writer
            .write_record(row.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(error)?;
    }
    let utf8 = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let text = String::from_utf8(utf8).map_err(|e| AppError::Internal(e.to_string()))?;
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    Ok(bytes.into_owned())
}

/// One two-column sheet: its name, its headers and its rows.
type Sheet = (&'static str, [&'static str; 2], Vec<(String, String)>);

/// Writes two-column sheets: bold headers, numbers as numbers.
fn write_sheets(book: &mut Workbook, sheets: Vec<Sheet>) -> AppResult<()> {
    let error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let bold = Format::new().set_bold();
    for (name, headers, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(error)?;
        for (col, header) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, *header, &bold)
                .map_err(error)?;
        }
        for (i, (key, value)) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, key).map_err(error)?;
            match value.parse::<f64>() {
                Ok(number) => sheet.write_number(row, 1, number).map_err(error)?,
                Err(_) => sheet.write_string(row, 1, value).map_err(error)?,
            };
        }
        sheet.set_column_width(0, 28).map_err(error)?;
    }
    Ok(())
}

/// A discovery code's Chinese word for a workbook cell (the code when it has none).
fn discovery_word(code: &str) -> String {
    crate::i18n::word(crate::Lang::Zh, "discovery", code).to_string()
}

impl App {
    /// The discovery figures of an area and period as a workbook: one sheet per table.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn export_discovery_figures(
        &self,
        actor: &Actor,
        region: Option<minsheng_domain::RegionCode>,
        from: time::Date,
        to_exclusive: time::Date,
    ) -> AppResult<Vec<u8>> {
        let f = self
            .discovery_figures(actor, region, from, to_exclusive)
            .await?;
        let error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let area = region.map_or_else(|| "本人管辖区域".to_string(), |r| r.short());
        let last_day = to_exclusive.previous_day().unwrap_or(to_exclusive);
        let summary: Vec<(String, String)> = vec![
            ("区域".into(), area),
            ("起始日期".into(), from.to_string()),
            ("截止日期".into(), last_day.to_string()),
            ("新线索（户）".into(), f.leads_opened.to_string()),
            ("建档户数".into(), f.registered.to_string()),
            ("已走访".into(), f.visited.to_string()),
            (
                "线索到走访（小时，中位数）".into(),
                f.median_hours_to_visit
                    .map_or_else(String::new, |h| format!("{h:.1}")),
            ),
            ("逾期未走访".into(), f.open_overdue.to_string()),
        ];
        let sheets: Vec<Sheet> = vec![
            ("概览", ["指标", "数值"], summary),
            (
                "线索渠道",
                ["渠道", "线索数"],
                f.clues_by_channel
                    .iter()
                    .map(|(k, n)| (discovery_word(k), n.to_string()))
                    .collect(),
            ),
            (
                "档案状态",
                ["状态", "户数"],
                f.files_by_state
                    .iter()
                    .map(|(k, n)| (discovery_word(k), n.to_string()))
                    .collect(),
            ),
            (
                "关闭原因",
                ["原因", "线索数"],
                f.closed_by_reason
                    .iter()
                    .map(|(k, n)| (discovery_word(k), n.to_string()))
                    .collect(),
            ),
        ];
        write_sheets(&mut book, sheets)?;
        let sheet = book.add_worksheet();
        sheet.set_name("三级甄别体系").map_err(error)?;
        for (col, header) in ["层级", "小组数", "工作人员", "志愿者"].iter().enumerate()
        {
            sheet
                .write_string_with_format(0, col as u16, *header, &bold)
                .map_err(error)?;
        }
        for (i, (level, groups, staff, volunteers)) in f.groups_by_level.iter().enumerate() {
            let row = i as u32 + 1;
            sheet
                .write_string(row, 0, discovery_word(level))
                .map_err(error)?;
            for (col, n) in [(1u16, groups), (2, staff), (3, volunteers)] {
                sheet.write_number(row, col, *n as f64).map_err(error)?;
            }
        }
        book.save_to_buffer().map_err(error)
    }

    /// The figures of help as a workbook.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn export_help_figures(
        &self,
        actor: &Actor,
        region: Option<minsheng_domain::RegionCode>,
        from: time::Date,
        to_exclusive: time::Date,
    ) -> AppResult<Vec<u8>> {
        let f = self.help_figures(actor, region, from, to_exclusive).await?;
        let error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
        let mut book = Workbook::new();
        let last_day = to_exclusive.previous_day().unwrap_or(to_exclusive);
        let summary: Vec<(String, String)> = vec![
            (
                "区域".into(),
                region.map_or_else(|| "本人管辖区域".to_string(), |r| r.short()),
            ),
            ("起始日期".into(), from.to_string()),
            ("截止日期".into(), last_day.to_string()),
            (
                "获得救助帮扶的户数".into(),
                f.assisted_households.to_string(),
            ),
            ("链接社会资源（元）".into(), format!("{:.2}", f.linked_yuan)),
            ("急难救助发放笔数".into(), f.emergency_paid.to_string()),
            ("3个工作日内发放".into(), f.emergency_in_time.to_string()),
            (
                "3个工作日内发放占比".into(),
                f.emergency_in_time_share
                    .map_or_else(String::new, |x| format!("{x:.4}")),
            ),
        ];
        let sheets: Vec<Sheet> = vec![
            ("概览", ["指标", "数值"], summary),
            (
                "分类救助笔数",
                ["类别", "笔数"],
                f.by_category
                    .iter()
                    .map(|(_, label, n, _)| (label.clone(), n.to_string()))
                    .collect(),
            ),
            (
                "分类救助金额",
                ["类别", "金额（元）"],
                f.by_category
                    .iter()
                    .map(|(_, label, _, y)| (label.clone(), format!("{y:.2}")))
                    .collect(),
            ),
            (
                "转介",
                ["承接方与结果", "件数"],
                f.referrals
                    .iter()
                    .map(|(g, s, n)| (format!("{g}·{s}"), n.to_string()))
                    .collect(),
            ),
        ];
        write_sheets(&mut book, sheets)?;
        // Social resources of the same area: deliveries and visits in the period, appeals and
        // contracts as they stand.
        let r = self
            .resource_figures(actor, region, Some((from, last_day)))
            .await?;
        let kind_zh = |k: &str| match k {
            "caring_unit" => "爱心单位",
            "company" => "爱心企业",
            "individual" => "爱心人士",
            _ => "慈善组织",
        };
        let mut linked: Vec<Vec<String>> = r
            .delivered
            .iter()
            .map(|(k, n, y)| vec![kind_zh(k).to_string(), n.to_string(), format!("{y:.2}")])
            .collect();
        linked.extend(r.by_district.iter().map(|(_, name, n, y)| {
            vec![format!("区县：{name}"), n.to_string(), format!("{y:.2}")]
        }));
        write_table(
            &mut book,
            "社会资源",
            &["提供方类型或区域", "送达次数", "价值（元）"],
            &linked,
        )?;
        let services = vec![
            vec!["志愿服务次数".to_string(), r.volunteer_visits.to_string()],
            vec![
                "志愿服务时长（小时）".into(),
                format!("{:.1}", r.volunteer_hours),
            ],
            vec![
                "志愿服务补贴（元）".into(),
                format!("{:.2}", r.stipends_yuan),
            ],
            vec!["急难众筹（个）".into(), r.appeals.to_string()],
            vec!["进行中的众筹".into(), r.appeals_open.to_string()],
            vec![
                "众筹目标（元）".into(),
                format!("{:.2}", r.appeals_target_yuan),
            ],
            vec![
                "众筹到账（元）".into(),
                format!("{:.2}", r.appeals_received_yuan),
            ],
            vec![
                "众筹拨付（元）".into(),
                format!("{:.2}", r.appeals_disbursed_yuan),
            ],
        ];
        write_table(&mut book, "志愿服务与众筹", &["指标", "数值"], &services)?;
        let contracts: Vec<Vec<String>> = r
            .contracts
            .iter()
            .map(|(name, rate, paid, budget)| {
                vec![
                    name.clone(),
                    format!("{rate:.4}"),
                    format!("{paid:.2}"),
                    format!("{budget:.2}"),
                ]
            })
            .collect();
        write_table(
            &mut book,
            "购买服务合同",
            &["合同", "完成率", "已付（元）", "预算（元）"],
            &contracts,
        )?;
        book.save_to_buffer().map_err(error)
    }
}

/// Writes a sheet of string columns (numbers as numbers) with bold headers.
fn write_table(
    book: &mut Workbook,
    name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> AppResult<()> {
    let error = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(error)?;
    for (col, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &bold)
            .map_err(error)?;
        sheet.set_column_width(col as u16, 16).map_err(error)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            let (r, c) = (i as u32 + 1, col as u16);
            match value.parse::<f64>() {
                Ok(number) if !value.is_empty() => {
                    sheet.write_number(r, c, number).map_err(error)?
                }
                _ => sheet.write_string(r, c, value).map_err(error)?,
            };
        }
    }
    Ok(())
}

impl App {
    /// The weekly publication as a workbook: the ranking, the solved requests with the unit's
    /// reply, the unsolved ones. Public data only.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn export_weekly_ranking(&self, week: &str) -> AppResult<Vec<u8>> {
        let ranking = self.weekly_ranking(week).await?;
        let mut book = Workbook::new();
        let shares: Vec<Vec<String>> = ranking
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    (i + 1).to_string(),
                    c.name_zh.clone(),
                    c.count.to_string(),
                    format!("{:.1}", c.share),
                ]
            })
            .collect();
        write_table(
            &mut book,
            "热点排行",
            &["排名", "类别", "件数", "占比(%)"],
            &shares,
        )?;
        let list = |rows: &[crate::hotline::PublicRequest],
                    last: fn(&crate::hotline::PublicRequest) -> String| {
            rows.iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.category.clone(),
                        r.service_name.clone(),
                        r.region_name.clone(),
                        r.description.clone(),
                        r.unit_name.clone().unwrap_or_default(),
                        last(r),
                    ]
                })
                .collect::<Vec<_>>()
        };
        write_table(
            &mut book,
            "已解决",
            &[
                "编号",
                "类别",
                "事项",
                "区域",
                "诉求内容",
                "承办单位",
                "答复",
            ],
            &list(&ranking.solved, |r| r.reply.clone()),
        )?;
        write_table(
            &mut book,
            "未解决",
            &[
                "编号",
                "类别",
                "事项",
                "区域",
                "诉求内容",
                "承办单位",
                "状态",
            ],
            &list(&ranking.unsolved, |r| r.state.clone()),
        )?;
        book.save_to_buffer()
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}
