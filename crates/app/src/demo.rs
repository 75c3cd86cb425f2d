//! The demo database: Chongqing's regions, units of every kind, a user for every role, and
//! synthetic households in three districts (渝中区, 巴南区, 城口县). Same seed, same data.

use std::collections::HashSet;

use minsheng_domain::id_number::check_digit;
use minsheng_domain::{Role, UnitKind};
use minsheng_store::regions::{self, RegionRow};
use minsheng_store::registry::{self, BulkHousehold, BulkPerson};
use minsheng_store::users::{self, NewUser};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::auth::hash_password;
use crate::import::{ImportKind, read_table};
use crate::{Actor, App, AppError, AppResult};

pub const REGIONS_CSV: &str = include_str!("../../../data/regions/chongqing.csv");
pub const ZONES_CSV: &str = include_str!("../../../data/regions/zones.csv");
/// Every village and community of Chongqing (11,270; `data/regions/README.md` says where from).
pub const COMMUNITIES_CSV: &str = include_str!("../../../data/regions/communities.csv");

/// Which villages and communities the shipped regions bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Communities {
    /// Every one of Chongqing's (the product's demo).
    All,
    /// Those of the demo districts only (tests, where 11,270 rows per database would only cost
    /// time; one test loads them all).
    DemoDistricts,
}

impl Communities {
    /// The communities file, whole or cut to the demo districts.
    fn csv(self) -> std::borrow::Cow<'static, str> {
        match self {
            Communities::All => COMMUNITIES_CSV.into(),
            Communities::DemoDistricts => {
                let mut lines = COMMUNITIES_CSV.lines();
                let mut out = String::new();
                for line in lines.next().into_iter().chain(lines.filter(|l| {
                    DEMO_DISTRICTS
                        .iter()
                        .any(|d| l.starts_with(&(d / 1_000_000).to_string()))
                })) {
                    out.push_str(line);
                    out.push('\n');
                }
                out.into()
            }
        }
    }
}

/// The districts whose communities get demo households.
pub const DEMO_DISTRICTS: [i64; 3] = [500_103_000_000, 500_113_000_000, 500_229_000_000];

/// 人和街道 (渝北区), a town of 两江新区: demo households there exercise the zone overlay.
pub const LIANGJIANG_DEMO_TOWN: i64 = 500_112_009_000;

/// A demo household, as the discovery demo needs it.
pub struct DemoHousehold {
    pub id: i64,
    pub region_code: i64,
    pub address: String,
    pub head_name: String,
}

/// An account the demo created, printed for the person trying it out.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub role: Role,
    pub username: String,
    pub password: String,
    pub unit: String,
}

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub households: usize,
    pub seed: u64,
    /// Bulk discovery data for benchmarks instead of the hand-shaped demo cases.
    pub discovery: Option<crate::demo_discovery::DiscoveryScale>,
    /// Households of 巴南区 given a demo assessment (recognised, waiting for review, draft).
    pub assessments: usize,
    /// Hotline requests taken this week (some answered).
    pub hotline: usize,
    /// The towns' reserve funds, donors, offers, a delivered match, an appeal, volunteer visits,
    /// a contract, power-dependent households linked to the grid and a station alarm.
    pub resources: bool,
    /// Which villages and communities to load (households live in the demo districts' only).
    pub communities: Communities,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            households: 2_000,
            seed: 2026,
            discovery: None,
            assessments: 40,
            hotline: 120,
            resources: true,
            communities: Communities::All,
        }
    }
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫向汤冉";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉兵春林海波宇浩然欣怡子涵梓轩雨欣思远嘉豪俊杰文博诗琪晓峰德明淑珍秀兰永福志强家乐";

fn pick(rng: &mut StdRng, chars: &[char]) -> char {
    chars[rng.random_range(0..chars.len())]
}

fn random_password(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..12)
        .map(|i| {
            if i == 4 || i == 8 {
                '-'
            } else {
                ALPHABET[rng.random_range(0..ALPHABET.len())] as char
            }
        })
        .collect()
}

impl App {
    /// Whether the database already holds data (then `demo` only serves it).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn is_empty(&self) -> AppResult<bool> {
        Ok(regions::count(&mut self.store().reader()).await? == 0)
    }

    /// Loads the shipped region data (municipality, districts, towns, zones, and the villages
    /// and communities asked for).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn load_shipped_regions(
        &self,
        actor: &Actor,
        communities: Communities,
    ) -> AppResult<()> {
        let communities = communities.csv();
        let files = [
            ("chongqing.csv", REGIONS_CSV),
            ("zones.csv", ZONES_CSV),
            ("communities.csv", communities.as_ref()),
        ];
        for (name, text) in files {
            let table =
                read_table(name, text.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
            let report = self
                .import(actor, ImportKind::Regions, &table, false, &|_| {})
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            if !report.errors.is_empty() {
                return Err(AppError::Internal(format!(
                    "shipped {name} is invalid: {:?}",
                    report.error_lines()
                )));
            }
        }
        Ok(())
    }

    /// Fills an empty database with the demo; returns the accounts and their passwords.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_demo(
        &self,
        options: DemoOptions,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<Vec<DemoAccount>> {
        let actor = Actor::command_line(self.everything().await?);
        progress("regions", 0, 1);
        self.load_shipped_regions(&actor, options.communities)
            .await?;
        let actor = Actor::command_line(self.everything().await?);
        progress("regions", 1, 1);
        let mut rng = StdRng::seed_from_u64(options.seed);
        let communities = demo_communities(self).await?;
        if communities.is_empty() {
            return Err(AppError::Internal("no demo communities were loaded".into()));
        }
        let (accounts, focus) = self.create_demo_people(&mut rng, &communities).await?;
        let made = self
            .create_demo_households(
                &mut rng,
                &communities,
                focus.clone(),
                options.households,
                progress,
            )
            .await?;
        match options.discovery {
            Some(scale) => {
                self.create_scaled_discovery(&mut rng, &made, scale, progress)
                    .await?
            }
            None => {
                self.create_demo_discovery(&mut rng, &communities, &focus, &made)
                    .await?
            }
        }
        if options.discovery.is_none() && options.assessments > 0 {
            progress("assessments", 0, 1);
            self.create_demo_assessments(&made, options.seed, options.assessments)
                .await?;
            progress("assessments", 1, 1);
        }
        if options.hotline > 0 {
            progress("hotline", 0, 1);
            self.create_demo_hotline(options.hotline, options.seed)
                .await?;
            progress("hotline", 1, 1);
        }
        if options.resources && options.discovery.is_none() {
            progress("resources", 0, 1);
            self.create_demo_resources(&made, &focus).await?;
            progress("resources", 1, 1);
        }
        let mut tx = self.store().begin().await?;
        minsheng_store::discovery::rebuild_rollups(&mut tx).await?;
        tx.commit().await?;
        self.store().optimize().await?;
        self.audit_now(
            &actor,
            "demo.create",
            crate::Subject::new("demo", ""),
            true,
            &format!("{} households", options.households),
        )
        .await?;
        Ok(accounts)
    }

    /// Units and one account per role; returns them with the community whose committee has users.
    async fn create_demo_people(
        &self,
        rng: &mut StdRng,
        communities: &[RegionRow],
    ) -> AppResult<(Vec<DemoAccount>, RegionRow)> {
        // The first two towns of 巴南区 with communities, and their first communities.
        let banan_town = communities
            .iter()
            .filter(|c| c.code / 1_000_000 == 500_113)
            .filter_map(|c| c.parent_code)
            .next()
            .ok_or_else(|| AppError::Internal("巴南区 has no demo communities".into()))?;
        let banan_community = communities
            .iter()
            .find(|c| c.parent_code == Some(banan_town))
            .ok_or_else(|| AppError::Internal("no community in the first 巴南区 town".into()))?;
        let yuzhong_town = communities
            .iter()
            .filter(|c| c.code / 1_000_000 == 500_103)
            .filter_map(|c| c.parent_code)
            .next()
            .ok_or_else(|| AppError::Internal("渝中区 has no demo communities".into()))?;
        let mut r = self.store().reader();
        let town_name = |row: Option<RegionRow>| row.map(|r| r.name).unwrap_or_default();
        let banan_town_name = town_name(regions::get(&mut r, banan_town).await?);
        let yuzhong_town_name = town_name(regions::get(&mut r, yuzhong_town).await?);

        let units: Vec<(String, UnitKind, i64)> = vec![
            (
                "民生平台系统运维".into(),
                UnitKind::SystemOperator,
                500_000_000_000,
            ),
            (
                "重庆市民政局".into(),
                UnitKind::CivilAffairsBureau,
                500_000_000_000,
            ),
            (
                "渝中区民政局".into(),
                UnitKind::CivilAffairsBureau,
                500_103_000_000,
            ),
            (
                "巴南区民政局".into(),
                UnitKind::CivilAffairsBureau,
                500_113_000_000,
            ),
            (
                "城口县民政局".into(),
                UnitKind::CivilAffairsBureau,
                500_229_000_000,
            ),
            (
                "两江新区社会保障局".into(),
                UnitKind::CivilAffairsBureau,
                509_001_000_000,
            ),
            (
                office_name(&banan_town_name),
                UnitKind::TownOffice,
                banan_town,
            ),
            (
                office_name(&yuzhong_town_name),
                UnitKind::TownOffice,
                yuzhong_town,
            ),
            (
                committee_name(&banan_community.name),
                UnitKind::CommunityCommittee,
                banan_community.code,
            ),
            (
                "巴南区教育委员会".into(),
                UnitKind::EducationDept,
                500_113_000_000,
            ),
            (
                "巴南区卫生健康委员会".into(),
                UnitKind::HealthDept,
                500_113_000_000,
            ),
            (
                "巴南区住房和城乡建设委员会".into(),
                UnitKind::HousingDept,
                500_113_000_000,
            ),
            (
                "巴南区人力资源和社会保障局".into(),
                UnitKind::HumanResourcesDept,
                500_113_000_000,
            ),
            ("重庆市慈善总会".into(), UnitKind::Charity, 500_000_000_000),
            ("巴南区红十字会".into(), UnitKind::Charity, 500_113_000_000),
            (
                "巴南区启航社会工作服务中心".into(),
                UnitKind::SocialWorkOrg,
                500_113_000_000,
            ),
            (
                "重庆民生评估咨询有限公司".into(),
                UnitKind::AssessmentOrg,
                500_113_000_000,
            ),
            (
                "重庆市12345政务服务便民热线中心".into(),
                UnitKind::HotlineCentre,
                500_000_000_000,
            ),
            (
                "国网重庆市电力公司".into(),
                UnitKind::GridCompany,
                500_000_000_000,
            ),
        ];
        // The hotline's answering units of every district, county and zone.
        self.install_all_hotline_units().await?;
        // The grid's demonstration zone, for the operators' page and the power-dependent links.
        self.install_demo_network().await?;
        let community_committee = units[8].0.clone();
        let town_office = units[6].0.clone();
        let plan: Vec<(&str, &str, Role, String)> = vec![
            ("admin", "系统管理员", Role::Admin, units[0].0.clone()),
            (
                "banan.district",
                "巴南区民政干部",
                Role::DistrictOfficer,
                units[3].0.clone(),
            ),
            (
                "yuzhong.district",
                "渝中区民政干部",
                Role::DistrictOfficer,
                units[2].0.clone(),
            ),
            (
                "liangjiang.district",
                "两江新区社保干部",
                Role::DistrictOfficer,
                units[5].0.clone(),
            ),
            ("banan.town", "镇街干部", Role::TownOfficer, town_office),
            (
                "banan.community",
                "社区书记",
                Role::CommunityWorker,
                community_committee.clone(),
            ),
            (
                "banan.grid",
                "网格员",
                Role::GridWorker,
                community_committee.clone(),
            ),
            (
                "banan.volunteer",
                "眼线志愿者",
                Role::Volunteer,
                community_committee,
            ),
            ("assessor", "评估员", Role::Assessor, units[16].0.clone()),
            (
                "banan.education",
                "教委经办人",
                Role::DepartmentHandler,
                units[9].0.clone(),
            ),
            // The other departments referrals go to, so each referral can be walked to its end.
            (
                "banan.health",
                "卫健委经办人",
                Role::DepartmentHandler,
                units[10].0.clone(),
            ),
            (
                "banan.housing",
                "住建委经办人",
                Role::DepartmentHandler,
                units[11].0.clone(),
            ),
            (
                "banan.hrss",
                "人社局经办人",
                Role::DepartmentHandler,
                units[12].0.clone(),
            ),
            (
                "charity",
                "慈善总会经办人",
                Role::CharityHandler,
                units[13].0.clone(),
            ),
            (
                "hotline",
                "热线座席",
                Role::HotlineAgent,
                units[17].0.clone(),
            ),
            (
                "yuzhong.cityadmin",
                "城管局经办人",
                Role::DepartmentHandler,
                "渝中区城市管理局".to_string(),
            ),
            (
                "gridop",
                "电网调度员",
                Role::GridOperator,
                units[18].0.clone(),
            ),
            ("leader", "市民政局领导", Role::Leader, units[1].0.clone()),
            ("auditor", "审计员", Role::Auditor, units[1].0.clone()),
        ];
        let now = self.now();
        let mut accounts = Vec::new();
        let mut tx = self.store().begin().await?;
        for (name, kind, region) in &units {
            users::upsert_unit(&mut tx, name, kind.code(), *region, now).await?;
        }
        for (username, display, role, unit) in plan {
            let password = random_password(rng);
            let hash = hash_password(password.clone()).await?;
            let unit_row = users::unit_by_name(&mut tx, &unit)
                .await?
                .ok_or(AppError::NotFound)?;
            users::insert_user(
                &mut tx,
                &NewUser {
                    username,
                    display_name: display,
                    unit_id: unit_row.id,
                    password_hash: &hash,
                    roles: &[role.code().to_string()],
                    now,
                },
            )
            .await?;
            accounts.push(DemoAccount {
                role,
                username: username.to_string(),
                password,
                unit,
            });
        }
        tx.commit().await?;
        Ok((accounts, banan_community.clone()))
    }

    async fn create_demo_households(
        &self,
        rng: &mut StdRng,
        communities: &[RegionRow],
        focus: RegionRow,
        count: usize,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<Vec<DemoHousehold>> {
        let mut made = Vec::with_capacity(count);
        let surnames: Vec<char> = SURNAMES.chars().collect();
        let given: Vec<char> = GIVEN.chars().collect();
        let now = self.now();
        let mut used_ids: HashSet<String> = HashSet::new();
        let zone_town = regions::get(&mut self.store().reader(), LIANGJIANG_DEMO_TOWN)
            .await?
            .ok_or_else(|| {
                AppError::Internal("人和街道 is missing from the shipped regions".into())
            })?;
        let mut next_person: i64 = 1;
        let batch = 5_000;
        let mut done = 0usize;
        while done < count {
            let n = batch.min(count - done);
            let mut households = Vec::with_capacity(n);
            let mut persons = Vec::with_capacity(n * 3);
            for i in 0..n {
                let household_id = (done + i + 1) as i64;
                // Every tenth household lives in the community whose committee has demo users,
                // every fiftieth in a 两江新区 town, so every role has files in its area.
                let community = if household_id % 50 == 0 {
                    &zone_town
                } else if household_id % 10 == 0 {
                    &focus
                } else {
                    &communities[rng.random_range(0..communities.len())]
                };
                let address = format!(
                    "{}{}栋{}单元{}{:02}号",
                    short_community_name(&community.name),
                    rng.random_range(1..40),
                    rng.random_range(1..5),
                    rng.random_range(1..30),
                    rng.random_range(1..6)
                );
                let surname = pick(rng, &surnames);
                let size = [1, 1, 2, 2, 3, 3, 3, 4, 4, 5][rng.random_range(0..10)];
                let head_age: i32 = rng.random_range(25..92);
                let mut members: Vec<(String, i32, bool, &str)> = Vec::new();
                let head_male = rng.random_bool(0.55);
                members.push((
                    format!("{surname}{}", given_name(rng, &given)),
                    head_age,
                    head_male,
                    "02",
                ));
                if size >= 2 {
                    let spouse_surname = pick(rng, &surnames);
                    let spouse_age = (head_age + rng.random_range(-5..5)).clamp(20, 95);
                    let relation = if head_male { "12" } else { "11" };
                    members.push((
                        format!("{spouse_surname}{}", given_name(rng, &given)),
                        spouse_age,
                        !head_male,
                        relation,
                    ));
                }
                for _ in 2..size {
                    if head_age > 45 && rng.random_bool(0.3) {
                        let male = rng.random_bool(0.5);
                        let age = (head_age + rng.random_range(22..32)).min(104);
                        members.push((
                            format!("{}{}", pick(rng, &surnames), given_name(rng, &given)),
                            age,
                            male,
                            if male { "51" } else { "52" },
                        ));
                    } else {
                        let male = rng.random_bool(0.5);
                        let age = (head_age - rng.random_range(20..34)).max(0);
                        members.push((
                            format!("{surname}{}", given_name(rng, &given)),
                            age,
                            male,
                            if male { "20" } else { "30" },
                        ));
                    }
                }
                let district = community.code / 1_000_000;
                let head_person_id = next_person;
                made.push(DemoHousehold {
                    id: household_id,
                    region_code: community.code,
                    address: address.clone(),
                    head_name: members[0].0.clone(),
                });
                let mut member_keys: Vec<String> = Vec::new();
                for (name, age, male, relation) in members {
                    let id_number = loop {
                        let candidate = synthetic_id_number(rng, district, age, male);
                        if used_ids.insert(candidate.clone()) {
                            break candidate;
                        }
                    };
                    let birth = format!(
                        "{}-{}-{}",
                        &id_number[6..10],
                        &id_number[10..12],
                        &id_number[12..14]
                    );
                    let phone = (relation == "02").then(|| {
                        format!(
                            "1{}{:09}",
                            rng.random_range(3..10),
                            rng.random_range(0..1_000_000_000u64)
                        )
                    });
                    let search_key = minsheng_domain::text::person_search_key(
                        &name,
                        &id_number,
                        phone.as_deref(),
                    );
                    member_keys.push(search_key.clone());
                    persons.push(BulkPerson {
                        id: next_person,
                        id_number,
                        initials: minsheng_domain::text::pinyin_of(&name).1,
                        name,
                        sex: if male { "male" } else { "female" },
                        birth_date: birth,
                        phone,
                        household_id,
                        relation_code: relation.into(),
                        region_code: community.code,
                        search_key,
                    });
                    next_person += 1;
                }
                let search_text = minsheng_store::registry::household_search_text(
                    &address,
                    member_keys.iter().map(String::as_str),
                );
                households.push(BulkHousehold {
                    id: household_id,
                    external_key: None,
                    region_code: community.code,
                    address,
                    head_person_id: Some(head_person_id),
                    search_text,
                });
            }
            let mut tx = self.store().begin().await?;
            registry::insert_bulk_households(&mut tx, households, now).await?;
            registry::insert_bulk_persons(&mut tx, persons, "demo", now).await?;
            tx.commit().await?;
            done += n;
            progress("households", done as u64, count as u64);
        }
        Ok(made)
    }
}

/// "百节社区居民委员会" → "百节社区": the committee suffix does not belong in an address.
fn short_community_name(name: &str) -> &str {
    ["居民委员会", "村民委员会", "居委会", "村委会"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

fn given_name(rng: &mut StdRng, given: &[char]) -> String {
    let first = pick(rng, given);
    if rng.random_bool(0.7) {
        format!("{first}{}", pick(rng, given))
    } else {
        first.to_string()
    }
}

/// A valid ID number issued in `district` (12-digit region code / 1e6) for someone of `age`.
fn synthetic_id_number(rng: &mut StdRng, district: i64, age: i32, male: bool) -> String {
    let year = 2026 - age;
    let month = rng.random_range(1..=12u32);
    let day = rng.random_range(1..=28u32);
    let seq = rng.random_range(0..100u32) * 10
        + if male {
            2 * rng.random_range(0..5u32) + 1
        } else {
            2 * rng.random_range(0..5u32)
        };
    let first17 = format!("{district:06}{year:04}{month:02}{day:02}{seq:03}");
    let mut digits = [0u8; 17];
    for (slot, b) in digits.iter_mut().zip(first17.bytes()) {
        *slot = b - b'0';
    }
    format!("{first17}{}", check_digit(&digits))
}

async fn demo_communities(app: &App) -> AppResult<Vec<RegionRow>> {
    let scope = minsheng_store::Scope::from_ranges(
        DEMO_DISTRICTS.iter().map(|d| (*d, *d + 999_999)).collect(),
    );
    Ok(regions::in_scope(&mut app.store().reader(), &scope, "community").await?)
}

/// The office of a town: a sub-district (街道) has an 办事处, a town or township (镇, 乡) a
/// people's government.
fn office_name(town: &str) -> String {
    if town.ends_with('镇') || town.ends_with('乡') {
        format!("{town}人民政府")
    } else {
        format!("{town}办事处")
    }
}

/// The committee of a community or village; the official region list often names the
/// committee itself ("百节社区居民委员会"), which is then the unit's name as it is.
fn committee_name(community: &str) -> String {
    if community.ends_with("委员会") {
        community.to_string()
    } else if community.ends_with('村') {
        format!("{community}村民委员会")
    } else if community.ends_with("社区") {
        format!("{community}居民委员会")
    } else {
        format!("{community}居（村）民委员会")
    }
}

#[cfg(test)]
mod names {
    use super::{committee_name, office_name};

    #[test]
    fn units_are_named_as_their_places_call_them_without_repeating_a_word() {
        assert_eq!(committee_name("百节社区居民委员会"), "百节社区居民委员会");
        assert_eq!(committee_name("鱼胡路社区"), "鱼胡路社区居民委员会");
        assert_eq!(committee_name("双星村"), "双星村村民委员会");
        assert_eq!(committee_name("双星村村民委员会"), "双星村村民委员会");
        assert_eq!(office_name("龙洲湾街道"), "龙洲湾街道办事处");
        assert_eq!(office_name("界石镇"), "界石镇人民政府");
    }
}
