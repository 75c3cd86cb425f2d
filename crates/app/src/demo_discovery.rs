//! Discovery in the demo: the three-level groups with their members, and clues, leads, visits and
//! household files in every district and in the demo users' own community, some of them overdue.

use std::collections::HashMap;

use minsheng_domain::time_util::CHINA_OFFSET;
use minsheng_store::discovery;
use minsheng_store::regions::{self, RegionRow};
use minsheng_store::users;
use minsheng_store::{Conn, Value, insert_rows, sync_identity};
use rand::Rng;
use rand::rngs::StdRng;

use crate::demo::DemoHousehold;
use crate::discovery::{CLOSE_REASONS, deadlines};
use crate::{App, AppResult};

/// Columns of the bulk inserts, in the order the rows below give their values.
const LEAD_COLUMNS: &[&str] = &[
    "id",
    "match_key",
    "is_open",
    "region_code",
    "household_id",
    "subject_name",
    "address",
    "urgency",
    "sources",
    "channels",
    "status",
    "first_clue_at",
    "due_at",
    "escalate_town_at",
    "escalate_district_at",
    "visited_at",
    "closed_at",
    "close_reason",
    "household_file_id",
    "updated_at",
];
const CLUE_COLUMNS: &[&str] = &[
    "channel",
    "reporter_user_id",
    "description",
    "address",
    "region_code",
    "person_name",
    "urgency",
    "lead_id",
    "created_at",
];
const FILE_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "region_code",
    "state",
    "lead_id",
    "registered_at",
    "updated_at",
];

/// A 1×1 PNG: the demo's stand-in for a photo taken on a phone.
const DEMO_PHOTO: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

const DESCRIPTIONS: [&str; 8] = [
    "独居老人，这几天没见他下楼买菜",
    "家里孩子说父亲住院了，母亲没有工作",
    "残疾人，轮椅出入不便，房子漏雨",
    "老两口都有慢性病，药费开销很大",
    "邻居反映这户最近断了水电",
    "单亲妈妈带两个孩子，失业半年",
    "老人有些糊涂，常常一个人在外面走",
    "家里刚出了车祸，主要劳动力受伤",
];

const CHANNELS: [(&str, &str); 6] = [
    ("volunteer", "banan.volunteer"),
    ("grid_worker", "banan.grid"),
    ("hotline", "hotline"),
    ("application", "banan.community"),
    ("department", "banan.education"),
    ("sweep", "banan.grid"),
];

/// What happens to a demo household, chosen by its place in its area's list.
enum Fate {
    File(&'static str),
    OpenLead,
    ClosedLead,
    Nothing,
}

fn fate(n: usize) -> Fate {
    match n {
        0 => Fate::File("watch"),
        1 => Fate::File("assisted"),
        2 => Fate::File("not_eligible_helped"),
        3 | 4 => Fate::OpenLead,
        5 => Fate::ClosedLead,
        n if n % 20 == 0 => {
            Fate::File(["watch", "assisted", "assisted", "not_eligible_helped"][n / 20 % 4])
        }
        n if n % 25 == 0 => Fate::OpenLead,
        n if n % 40 == 0 => Fate::ClosedLead,
        _ => Fate::Nothing,
    }
}

impl App {
    pub(crate) async fn create_demo_discovery(
        &self,
        rng: &mut StdRng,
        communities: &[RegionRow],
        focus: &RegionRow,
        households: &[DemoHousehold],
    ) -> AppResult<()> {
        let now = self.now();
        let mut user_ids: HashMap<&str, i64> = HashMap::new();
        {
            let mut c = self.store().reader();
            for name in [
                "banan.volunteer",
                "banan.grid",
                "hotline",
                "banan.community",
                "banan.education",
                "banan.town",
                "banan.district",
                "yuzhong.district",
            ] {
                if let Some(u) = users::user_by_name(&mut c, name).await? {
                    user_ids.insert(name, u.id);
                }
            }
        }
        self.create_demo_groups(communities, focus, &user_ids, now)
            .await?;

        let mut leads = Vec::new();
        let mut clues = Vec::new();
        let mut files = Vec::new();
        let mut visits = Vec::new();
        let mut timeline = Vec::new();
        let mut seen: HashMap<i64, usize> = HashMap::new();
        let (mut lead_id, mut file_id) = (0i64, 0i64);
        for h in households {
            // The demo users' own community counts apart, so it always has a bit of everything.
            let bucket = if h.region_code == focus.code {
                h.region_code
            } else {
                h.region_code / 1_000_000
            };
            let n = seen.entry(bucket).or_insert(0);
            let fate = fate(*n);
            *n += 1;
            if matches!(fate, Fate::Nothing) {
                continue;
            }
            lead_id += 1;
            // Open leads are recent (some due, some overdue); decided ones spread over two months.
            let days_ago = if matches!(fate, Fate::OpenLead) {
                rng.random_range(0..8i64)
            } else {
                rng.random_range(0..60i64)
            };
            let first_at = now - days_ago * 86_400_000 - rng.random_range(0..36_000_000i64);
            let urgency =
                ["normal", "normal", "normal", "urgent", "emergency"][rng.random_range(0..5)];
            let first_day = time::OffsetDateTime::from_unix_timestamp(first_at / 1000)
                .map(|t| t.to_offset(CHINA_OFFSET).date())
                .unwrap_or(time::Date::MIN);
            let (due_at, district_at) = deadlines(&self.calendar(), first_day, urgency);
            let sources = rng.random_range(1..=3usize);
            let mut channels: Vec<&str> = Vec::new();
            for k in 0..sources {
                let (channel, reporter) = CHANNELS[rng.random_range(0..CHANNELS.len())];
                if !channels.contains(&channel) {
                    channels.push(channel);
                }
                clues.push(vec![
                    Value::Text(channel.into()),
                    Value::OptInt(user_ids.get(reporter).copied()),
                    Value::Text(DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())].into()),
                    Value::Text(h.address.clone()),
                    Value::Int(h.region_code),
                    Value::Text(if k == 0 {
                        h.head_name.clone()
                    } else {
                        String::new()
                    }),
                    Value::Text(urgency.into()),
                    Value::Int(lead_id),
                    Value::Int((first_at + k as i64 * 3_600_000).min(now)),
                ]);
            }
            // Nothing in the demo happens in the future.
            let visited_at = (first_at + rng.random_range(2..72i64) * 3_600_000).min(now);
            let (status, is_open, file, reason, visited) = match fate {
                Fate::File(state) => {
                    file_id += 1;
                    files.push(vec![
                        Value::Int(file_id),
                        Value::Int(h.id),
                        Value::Int(h.region_code),
                        Value::Text(state.into()),
                        Value::Int(lead_id),
                        Value::Int(visited_at),
                        Value::Int(visited_at),
                    ]);
                    for (at, kind, text) in [
                        (first_at, "clue", "收到线索".to_string()),
                        (visited_at, "visit", "入户走访并建档".to_string()),
                        (
                            visited_at + 86_400_000,
                            "file",
                            format!("档案状态：watch → {state}"),
                        ),
                    ] {
                        if kind == "file" && state == "watch" {
                            continue;
                        }
                        timeline.push(vec![
                            Value::Int(h.id),
                            Value::Int(at),
                            Value::Text("demo".into()),
                            Value::Text(kind.into()),
                            Value::Text(text),
                        ]);
                    }
                    ("registered", false, Some(file_id), None, Some(visited_at))
                }
                Fate::ClosedLead => {
                    let reason = CLOSE_REASONS[rng.random_range(0..CLOSE_REASONS.len() - 1)];
                    ("closed", false, None, Some(reason), Some(visited_at))
                }
                _ => ("open", true, None, None, None),
            };
            if let Some(at) = visited {
                visits.push(vec![
                    Value::Int(lead_id),
                    Value::Int(at),
                    Value::Text("入户核实".into()),
                    Value::Text(
                        if status == "closed" {
                            "close"
                        } else {
                            "register"
                        }
                        .into(),
                    ),
                    Value::OptInt(file),
                    Value::OptText(reason.map(str::to_string)),
                    Value::Int(at),
                ]);
            }
            leads.push(vec![
                Value::Int(lead_id),
                Value::Text(crate::discovery::lead_key(
                    h.region_code,
                    &format!("hh:{}", h.id),
                )),
                Value::Bool(is_open),
                Value::Int(h.region_code),
                Value::Int(h.id),
                Value::Text(h.head_name.clone()),
                Value::Text(h.address.clone()),
                Value::Text(urgency.into()),
                Value::Int(sources as i64),
                Value::Text(channels.join(",")),
                Value::Text(status.into()),
                Value::Int(first_at),
                Value::Int(due_at),
                Value::Int(due_at),
                Value::Int(district_at),
                Value::OptInt(visited),
                Value::OptInt(visited),
                Value::OptText(reason.map(str::to_string)),
                Value::OptInt(file),
                Value::Int(now),
            ]);
        }
        self.create_demo_sweeps(rng, focus, households, &user_ids, now)
            .await?;
        let mut tx = self.store().begin().await?;
        insert_rows(&mut tx, "leads", LEAD_COLUMNS, leads).await?;
        insert_rows(&mut tx, "clues", CLUE_COLUMNS, clues).await?;
        insert_rows(&mut tx, "household_files", FILE_COLUMNS, files).await?;
        insert_rows(
            &mut tx,
            "visits",
            &[
                "lead_id",
                "visited_at",
                "findings",
                "outcome",
                "household_file_id",
                "close_reason",
                "created_at",
            ],
            visits,
        )
        .await?;
        insert_rows(
            &mut tx,
            "timeline",
            &["household_id", "at", "username", "kind", "text"],
            timeline,
        )
        .await?;
        for table in ["leads", "clues", "household_files", "visits", "timeline"] {
            sync_identity(&mut tx, table).await?;
        }
        // A photo with the first clue of each district and of the demo users' community.
        let mut areas: Vec<(i64, i64)> = vec![(focus.code, focus.code)];
        for d in [500_103_000_000i64, 500_113_000_000, 500_229_000_000] {
            areas.push((d, d + 999_999));
        }
        for (lo, hi) in areas {
            let first: Option<(Option<i64>,)> = tx
                .optional(minsheng_store::Sql::with(
                    "SELECT MIN(id) FROM clues WHERE region_code BETWEEN $1 AND $2",
                    minsheng_store::vals![lo, hi],
                ))
                .await?;
            if let Some((Some(clue),)) = first {
                discovery::insert_photo(
                    &mut tx,
                    discovery::PhotoOwner::Clue(clue),
                    None,
                    "image/png",
                    DEMO_PHOTO,
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A sweep in the demo users' community, a third of it visited, and one in each district.
    async fn create_demo_sweeps(
        &self,
        rng: &mut StdRng,
        focus: &RegionRow,
        households: &[DemoHousehold],
        users: &HashMap<&str, i64>,
        now: i64,
    ) -> AppResult<()> {
        let grid = users.get("banan.grid").copied();
        let mut tx = self.store().begin().await?;
        let focus_sweep = minsheng_store::sweeps::insert_sweep(
            &mut tx,
            focus.code,
            &format!("{}冬季扫楼", focus.name),
            grid,
            now,
        )
        .await?;
        for h in households
            .iter()
            .filter(|h| h.region_code == focus.code)
            .take(40)
        {
            if rng.random_bool(0.35) {
                continue;
            }
            let finding = ["fine", "fine", "fine", "absent"][rng.random_range(0..4)];
            minsheng_store::sweeps::record_sweep_visit(
                &mut tx,
                &minsheng_store::sweeps::SweepVisit {
                    sweep_id: focus_sweep,
                    household_id: h.id,
                    visited_by: grid,
                    finding,
                    note: "",
                    clue_id: None,
                    now: now - rng.random_range(0..7 * 86_400_000i64),
                },
            )
            .await?;
        }
        let mut districts_done: Vec<i64> = Vec::new();
        for h in households {
            let district = h.region_code / 1_000_000;
            if h.region_code == focus.code || districts_done.contains(&district) {
                continue;
            }
            districts_done.push(district);
            minsheng_store::sweeps::insert_sweep(&mut tx, h.region_code, "过筛子排查", None, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_demo_groups(
        &self,
        communities: &[RegionRow],
        focus: &RegionRow,
        users: &HashMap<&str, i64>,
        now: i64,
    ) -> AppResult<()> {
        let mut tx = self.store().begin().await?;
        let mut towns: Vec<i64> = communities.iter().filter_map(|c| c.parent_code).collect();
        towns.sort_unstable();
        towns.dedup();
        let mut districts: Vec<i64> = towns.iter().map(|t| t / 1_000_000 * 1_000_000).collect();
        districts.dedup();
        for code in districts {
            let name = regions::get(&mut tx, code)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            discovery::upsert_group(
                &mut tx,
                "district",
                code,
                &format!("{name}困难群众主动发现项目组"),
                now,
            )
            .await?;
        }
        for code in &towns {
            let name = regions::get(&mut tx, *code)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            discovery::upsert_group(&mut tx, "town", *code, &format!("{name}甄别工作组"), now)
                .await?;
        }
        for c in communities {
            discovery::upsert_group(
                &mut tx,
                "community",
                c.code,
                &format!("{}行动小组", c.name),
                now,
            )
            .await?;
        }
        let town = focus.parent_code.unwrap_or(focus.code);
        let memberships = [
            ("banan.district", "district", 500_113_000_000, "leader"),
            ("yuzhong.district", "district", 500_103_000_000, "leader"),
            ("banan.town", "town", town, "leader"),
            ("banan.community", "community", focus.code, "leader"),
            ("banan.grid", "community", focus.code, "grid_worker"),
            ("banan.volunteer", "community", focus.code, "volunteer"),
        ];
        for (user, level, region, position) in memberships {
            let Some(user_id) = users.get(user) else {
                continue;
            };
            let group = discovery::upsert_group(&mut tx, level, region, "", now).await?;
            discovery::add_group_member(&mut tx, group, *user_id, position, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// How much discovery data a benchmark database holds.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryScale {
    pub clues: usize,
    pub files: usize,
}

impl App {
    /// Bulk discovery data for benchmarks: `files` household files (with their registered
    /// leads), further leads open and closed, and `clues` clues spread over a year.
    pub(crate) async fn create_scaled_discovery(
        &self,
        rng: &mut StdRng,
        households: &[DemoHousehold],
        scale: DiscoveryScale,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<()> {
        if households.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let files = scale.files.min(households.len());
        let total_leads = (scale.clues / 2).max(files).max(1);
        let per_lead = scale.clues / total_leads;
        let extra = scale.clues % total_leads;
        let step = (households.len() / files.max(1)).max(1);
        let year = 365 * 86_400_000i64;
        let mut lead_rows = Vec::new();
        let mut clue_rows = Vec::new();
        let mut file_rows = Vec::new();
        let mut written_clues = 0usize;
        for lead in 0..total_leads {
            let lead_id = lead as i64 + 1;
            let registered = lead < files;
            let h = if registered {
                &households[(lead * step) % households.len()]
            } else {
                &households[rng.random_range(0..households.len())]
            };
            let open = !registered && rng.random_bool(0.2);
            let first_at = if open {
                now - rng.random_range(0..30 * 86_400_000i64)
            } else {
                now - rng.random_range(0..year)
            };
            let urgency = ["normal", "normal", "urgent", "emergency"][rng.random_range(0..4)];
            let visited =
                (!open).then(|| (first_at + rng.random_range(1..96i64) * 3_600_000).min(now));
            let due_at = first_at + 3 * 86_400_000;
            let reason = (!open && !registered)
                .then(|| CLOSE_REASONS[rng.random_range(0..CLOSE_REASONS.len() - 1)]);
            let status = if registered {
                "registered"
            } else if open {
                "open"
            } else {
                "closed"
            };
            let file = registered.then_some(lead_id);
            if registered {
                let state = ["watch", "assisted", "assisted", "not_eligible_helped"]
                    [rng.random_range(0..4)];
                let at = visited.unwrap_or(first_at);
                file_rows.push(vec![
                    Value::Int(lead_id),
                    Value::Int(h.id),
                    Value::Int(h.region_code),
                    Value::Text(state.into()),
                    Value::Int(lead_id),
                    Value::Int(at),
                    Value::Int(at),
                ]);
            }
            let count = per_lead + usize::from(lead < extra);
            let mut channels: Vec<&str> = Vec::new();
            for k in 0..count {
                let (channel, _) = CHANNELS[rng.random_range(0..CHANNELS.len())];
                if !channels.contains(&channel) {
                    channels.push(channel);
                }
                clue_rows.push(vec![
                    Value::Text(channel.into()),
                    Value::OptInt(None),
                    Value::Text(DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())].into()),
                    Value::Text(h.address.clone()),
                    Value::Int(h.region_code),
                    Value::Text(String::new()),
                    Value::Text(urgency.into()),
                    Value::Int(lead_id),
                    Value::Int((first_at + k as i64 * 600_000).min(now)),
                ]);
            }
            lead_rows.push(vec![
                Value::Int(lead_id),
                Value::Text(if registered {
                    crate::discovery::lead_key(h.region_code, &format!("hh:{}", h.id))
                } else {
                    format!("bench:{lead_id}")
                }),
                Value::Bool(open),
                Value::Int(h.region_code),
                Value::Int(h.id),
                Value::Text(h.head_name.clone()),
                Value::Text(h.address.clone()),
                Value::Text(urgency.into()),
                Value::Int(count as i64),
                Value::Text(channels.join(",")),
                Value::Text(status.into()),
                Value::Int(first_at),
                Value::Int(due_at),
                Value::Int(due_at),
                Value::Int(due_at + 2 * 86_400_000),
                Value::OptInt(visited),
                Value::OptInt(visited),
                Value::OptText(reason.map(str::to_string)),
                Value::OptInt(file),
                Value::Int(now),
            ]);
            if clue_rows.len() >= 50_000 || lead + 1 == total_leads {
                written_clues += clue_rows.len();
                let mut tx = self.store().begin().await?;
                insert_rows(
                    &mut tx,
                    "leads",
                    LEAD_COLUMNS,
                    std::mem::take(&mut lead_rows),
                )
                .await?;
                insert_rows(
                    &mut tx,
                    "clues",
                    CLUE_COLUMNS,
                    std::mem::take(&mut clue_rows),
                )
                .await?;
                insert_rows(
                    &mut tx,
                    "household_files",
                    FILE_COLUMNS,
                    std::mem::take(&mut file_rows),
                )
                .await?;
                tx.commit().await?;
                progress("clues", written_clues as u64, scale.clues as u64);
            }
        }
        let mut tx = self.store().begin().await?;
        for table in ["leads", "clues", "household_files"] {
            sync_identity(&mut tx, table).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
