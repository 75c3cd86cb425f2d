//! The household survey (家庭家境调查): the facts an assessor records, version 2 (version 1
//! surveys are still read: the facts added in 2 are then not asked, rather than not recorded).
//!
//! One table below is the schema: the JSON reader, the JSON Schema document
//! (`models/survey.schema.json`), the web form and the expression checker all come from it,
//! so they cannot disagree. Money is yuan over the last 12 months unless a field says
//! "monthly". A fact left out (or `null`) is "not recorded": the survey is then partial, and
//! every score says what it could not see.

use std::sync::OnceLock;

use minsheng_expr::{EnumDef, FieldDef, Record, RecordDef, Schema, Ty, Value};
use minsheng_i18n::{Message, msg};

use crate::questions::{QuestionKind, Questions, Subject};
use serde_json::{Map, Value as Json};

/// The version new surveys are written in, and the oldest still read.
pub const SCHEMA_VERSION: u32 = 2;
pub const OLDEST_SCHEMA: u32 = 1;

/// The most members a household file holds; more is a data error, not a family.
pub const MAX_MEMBERS: usize = 30;
pub(crate) const MAX_MONEY: f64 = 1e9;

#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    /// Yuan, 0 to 1e9.
    Money,
    Number {
        min: f64,
        max: f64,
    },
    Bool,
    Choice(&'static [Choice]),
    Object(&'static RecordSpec),
    List(&'static RecordSpec, usize),
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// A survey without it is refused; other facts may be left out (a partial survey).
    pub required: bool,
    pub zh: &'static str,
    pub en: &'static str,
    /// The survey version that added it: a survey of an older version was never asked it.
    /// The facts added in version 2 are details whose absence means none or not applicable
    /// (a transfer not received, a parent for an adult, the district's usual 低保 line): left
    /// out, they are not gaps that make a survey partial.
    pub since: u32,
    /// Whether leaving it out makes the survey partial: the facts of version 1, not the
    /// details added in version 2 (see `since`) nor a district's questions.
    pub gap: bool,
}

impl FieldSpec {
    /// Whether leaving it out makes the survey partial.
    pub fn gap_when_left_out(&self) -> bool {
        self.gap
    }
}

#[derive(Debug)]
pub struct RecordSpec {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub fields: &'static [FieldSpec],
}

const fn f(name: &'static str, kind: Kind, zh: &'static str, en: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: false,
        zh,
        en,
        since: 1,
        gap: true,
    }
}

/// A fact added in survey version 2.
const fn f2(name: &'static str, kind: Kind, zh: &'static str, en: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: false,
        zh,
        en,
        since: 2,
        gap: false,
    }
}

const fn req(name: &'static str, kind: Kind, zh: &'static str, en: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: true,
        zh,
        en,
        since: 1,
        gap: true,
    }
}

const fn c(code: &'static str, zh: &'static str, en: &'static str) -> Choice {
    Choice { code, zh, en }
}

const MONEY: Kind = Kind::Money;
const BOOL: Kind = Kind::Bool;

pub const RELATIONS: &[Choice] = &[
    c("self", "户主", "head of household"),
    c("spouse", "配偶", "spouse"),
    c("child", "子女", "child"),
    c("child_in_law", "儿媳/女婿", "child-in-law"),
    c("grandchild", "孙子女/外孙子女", "grandchild"),
    c("parent", "父母", "parent"),
    c("parent_in_law", "公婆/岳父母", "parent-in-law"),
    c("grandparent", "祖父母/外祖父母", "grandparent"),
    c("sibling", "兄弟姐妹", "sibling"),
    c("other", "其他", "other"),
];
const SEXES: &[Choice] = &[c("male", "男", "male"), c("female", "女", "female")];
const DISABILITIES: &[Choice] = &[
    c("none", "无", "none"),
    c("physical", "肢体", "physical"),
    c("visual", "视力", "visual"),
    c("hearing", "听力", "hearing"),
    c("speech", "言语", "speech"),
    c("intellectual", "智力", "intellectual"),
    c("mental", "精神", "mental"),
    c("multiple", "多重", "multiple"),
];
const SELF_CARE: &[Choice] = &[
    c("full", "完全自理", "fully self-caring"),
    c("partial", "部分自理", "partly self-caring"),
    c("none", "完全不能自理", "not self-caring"),
];
const EMPLOYMENT: &[Choice] = &[
    c("employed", "稳定就业", "employed"),
    c("flexible", "灵活就业", "flexible or casual work"),
    c("farming", "务农", "farming"),
    c("self_employed", "个体经营", "self-employed"),
    c("unemployed", "失业", "unemployed"),
    c("retired", "退休", "retired"),
    c("student", "在校学生", "student"),
    c("preschool", "学龄前", "pre-school child"),
    c("unable", "无劳动能力", "unable to work"),
];
const EDUCATION: &[Choice] = &[
    c("none", "未上学", "none"),
    c("preschool", "学前", "pre-school"),
    c("primary", "小学", "primary"),
    c("junior", "初中", "junior secondary"),
    c("senior", "高中", "senior secondary"),
    c("vocational", "中职/高职", "vocational"),
    c("college", "大学", "college"),
    c("postgraduate", "研究生", "postgraduate"),
];
const TENURE: &[Choice] = &[
    c("owned", "自有住房", "owned"),
    c("rented", "租赁私房", "rented privately"),
    c("public_rental", "公租房/廉租房", "public rental"),
    c("borrowed", "借住", "lives with others / borrowed"),
    c("homeless", "无固定住所", "no fixed home"),
];
const CONDITION: &[Choice] = &[
    c("safe", "安全", "safe"),
    c("c_grade", "C级危房", "dangerous, grade C"),
    c("d_grade", "D级危房", "dangerous, grade D"),
];
const WATER: &[Choice] = &[
    c("safe", "安全饮用水", "safe drinking water"),
    c("unsafe", "饮水不安全", "unsafe drinking water"),
];
const SANITATION: &[Choice] = &[
    c("improved", "独立卫生厕所", "improved, own toilet"),
    c("shared", "共用厕所", "shared toilet"),
    c("unimproved", "无卫生厕所", "unimproved"),
];
const FUEL: &[Choice] = &[
    c("clean", "燃气/电", "gas or electricity"),
    c("solid", "柴草/煤", "wood, dung or coal"),
];
const FREQUENCY: &[Choice] = &[
    c("often", "经常", "often"),
    c("sometimes", "偶尔", "sometimes"),
    c("never", "从不", "never"),
];
const RELATIVES_SUPPORT: &[Choice] = &[
    c("regular", "定期资助", "regular"),
    c("occasional", "偶尔资助", "occasional"),
    c("none", "无", "none"),
];
const RESIDENCE: &[Choice] = &[c("urban", "城市", "urban"), c("rural", "农村", "rural")];
/// A child's parent, as the orphan and de-facto-unsupported-child rules read it.
const PARENT: &[Choice] = &[
    c("home", "在家共同生活", "lives at home"),
    c("away", "在外（健在，可抚养）", "alive, lives elsewhere"),
    c("dead", "死亡", "dead"),
    c("missing", "失踪/失联", "missing"),
    c(
        "imprisoned",
        "服刑/强制隔离戒毒",
        "imprisoned or in compulsory rehabilitation",
    ),
    c(
        "disabled",
        "重残/重病（无力抚养）",
        "severely disabled or ill, unable to raise a child",
    ),
];
const SHOCKS: &[Choice] = &[
    c("accident", "意外事故", "accident"),
    c("illness", "突发重病", "sudden serious illness"),
    c("disaster", "自然灾害", "natural disaster"),
    c("death", "家庭成员死亡", "death in the family"),
    c("job_loss", "失业", "job loss"),
];

static BASE_MEMBER: RecordSpec = RecordSpec {
    name: "member",
    zh: "家庭成员",
    en: "Household member",
    fields: &[
        req(
            "relation",
            Kind::Choice(RELATIONS),
            "与户主关系",
            "Relation to the head",
        ),
        req("age", Kind::Int { min: 0, max: 120 }, "年龄", "Age"),
        f("sex", Kind::Choice(SEXES), "性别", "Sex"),
        f(
            "chronic_illnesses",
            Kind::Int { min: 0, max: 20 },
            "慢性病种数",
            "Number of chronic illnesses",
        ),
        f(
            "serious_illness",
            BOOL,
            "患重特大疾病",
            "Has a serious (catastrophic) illness",
        ),
        f(
            "disability",
            Kind::Choice(DISABILITIES),
            "残疾类别",
            "Disability type",
        ),
        f(
            "disability_grade",
            Kind::Int { min: 0, max: 4 },
            "残疾等级（1级最重，0为无）",
            "Disability grade (1 = most severe, 0 = none)",
        ),
        f(
            "self_care",
            Kind::Choice(SELF_CARE),
            "生活自理能力",
            "Self-care ability",
        ),
        f(
            "employment",
            Kind::Choice(EMPLOYMENT),
            "就业状况",
            "Employment",
        ),
        f(
            "monthly_income",
            MONEY,
            "月收入（元）",
            "Monthly income (yuan)",
        ),
        f(
            "vocational_skill",
            BOOL,
            "有职业技能",
            "Has a vocational skill",
        ),
        f(
            "education",
            Kind::Choice(EDUCATION),
            "教育阶段（在读或最高）",
            "Education stage (current or highest)",
        ),
        f("in_school", BOOL, "在校就读", "In school"),
        f(
            "years_schooling",
            Kind::Int { min: 0, max: 25 },
            "受教育年限",
            "Years of schooling",
        ),
        f("undernourished", BOOL, "营养不良", "Undernourished"),
        f(
            "medical_insurance",
            BOOL,
            "参加基本医疗保险",
            "Has basic medical insurance",
        ),
        f(
            "pension_insurance",
            BOOL,
            "参加养老保险",
            "Has pension insurance",
        ),
        f(
            "critical_illness_insurance",
            BOOL,
            "有大病或商业保险",
            "Has critical-illness or commercial insurance",
        ),
        f2(
            "father",
            Kind::Choice(PARENT),
            "父亲情况（未成年人填）",
            "Father (for a child)",
        ),
        f2(
            "mother",
            Kind::Choice(PARENT),
            "母亲情况（未成年人填）",
            "Mother (for a child)",
        ),
        f2("boarding", BOOL, "寄宿就读", "Boards at school"),
    ],
};

/// Government transfers by kind (part of `income.transfers`): each kind's treatment in a means
/// test is the model's (most are disregarded: 低保金, 特困供养金, the disability allowances…).
pub static TRANSFERS: RecordSpec = RecordSpec {
    name: "transfers",
    zh: "转移性收入明细（近12个月，已含在政府转移性收入中）",
    en: "Government transfers by kind (last 12 months, part of government transfers)",
    fields: &[
        f2("dibao", MONEY, "低保金", "Minimum living allowance"),
        f2(
            "tekun",
            MONEY,
            "特困供养金",
            "Support for the extremely poor",
        ),
        f2(
            "disability_allowances",
            MONEY,
            "残疾人两项补贴",
            "Disability living and care allowances",
        ),
        f2("elderly_allowance", MONEY, "高龄津贴", "Old-age allowance"),
        f2(
            "orphan_allowance",
            MONEY,
            "孤儿基本生活费",
            "Orphan living allowance",
        ),
        f2(
            "special_care",
            MONEY,
            "优抚金",
            "Veterans' and martyrs' benefits",
        ),
        f2("heroic_award", MONEY, "见义勇为奖励", "Awards for bravery"),
        f2(
            "unemployment_insurance",
            MONEY,
            "失业保险金",
            "Unemployment insurance benefit",
        ),
        f2("other", MONEY, "其他转移性收入", "Other transfers"),
    ],
};

pub static INCOME: RecordSpec = RecordSpec {
    name: "income",
    zh: "近12个月收入",
    en: "Income, last 12 months",
    fields: &[
        f("wages", MONEY, "工资性收入", "Wages"),
        f("business", MONEY, "经营性收入", "Business"),
        f("farming", MONEY, "农业收入", "Farming"),
        f("property", MONEY, "财产性收入", "Property (rent, interest)"),
        f("pensions", MONEY, "养老金", "Pensions"),
        f("transfers", MONEY, "政府转移性收入", "Government transfers"),
        f(
            "support",
            MONEY,
            "赡养抚养扶养费",
            "Support payments received",
        ),
        f("other", MONEY, "其他收入", "Other"),
    ],
};

pub static EXPENDITURE: RecordSpec = RecordSpec {
    name: "expenditure",
    zh: "近12个月支出",
    en: "Expenditure, last 12 months",
    fields: &[
        f("living", MONEY, "基本生活支出", "Basic living"),
        f(
            "medical_self_pay",
            MONEY,
            "医疗自付支出",
            "Medical, self-paid",
        ),
        f2(
            "medical_inpatient",
            MONEY,
            "其中：住院自付",
            "of which inpatient, self-paid",
        ),
        f2(
            "medical_outpatient",
            MONEY,
            "其中：门诊自付",
            "of which outpatient, self-paid",
        ),
        f("education", MONEY, "教育支出", "Education"),
        f("rent", MONEY, "房租", "Rent"),
        f(
            "disability_care",
            MONEY,
            "残疾康复护理支出",
            "Disability care and rehabilitation",
        ),
        f("debt_repayment", MONEY, "偿还债务", "Debt repayment"),
        f("other", MONEY, "其他支出", "Other"),
    ],
};

pub static DEBTS: RecordSpec = RecordSpec {
    name: "debts",
    zh: "债务",
    en: "Debts",
    fields: &[
        f("total", MONEY, "债务总额", "Total debt"),
        f("medical", MONEY, "因病负债", "Debt for medical care"),
        f("education", MONEY, "因学负债", "Debt for education"),
        f("business", MONEY, "经营负债", "Business debt"),
    ],
};

pub static HOUSING: RecordSpec = RecordSpec {
    name: "housing",
    zh: "住房",
    en: "Housing",
    fields: &[
        f("tenure", Kind::Choice(TENURE), "住房性质", "Tenure"),
        f(
            "condition",
            Kind::Choice(CONDITION),
            "房屋安全等级",
            "Structural safety",
        ),
        f(
            "area_m2",
            Kind::Number {
                min: 0.0,
                max: 2000.0,
            },
            "住房面积（平方米）",
            "Floor area (m²)",
        ),
        f("hazard_fire", BOOL, "火灾隐患", "Fire hazard"),
        f("hazard_electric", BOOL, "电线老化", "Unsafe wiring"),
        f("hazard_gas", BOOL, "燃气隐患", "Gas hazard"),
        f(
            "hazard_fall",
            BOOL,
            "跌倒隐患（湿滑、无扶手）",
            "Fall hazard",
        ),
        f(
            "barrier_free_need",
            BOOL,
            "需要无障碍改造",
            "Needs barrier-free modification",
        ),
        f(
            "barrier_free_done",
            BOOL,
            "已完成无障碍改造",
            "Barrier-free modification done",
        ),
        f(
            "drinking_water",
            Kind::Choice(WATER),
            "饮用水",
            "Drinking water",
        ),
        f(
            "sanitation",
            Kind::Choice(SANITATION),
            "卫生厕所",
            "Sanitation",
        ),
        f(
            "cooking_fuel",
            Kind::Choice(FUEL),
            "炊事燃料",
            "Cooking fuel",
        ),
        f("electricity", BOOL, "通电", "Has electricity"),
        f(
            "adequate_materials",
            BOOL,
            "地面屋顶墙体完好",
            "Floor, roof and walls adequate",
        ),
    ],
};

pub static ASSETS: RecordSpec = RecordSpec {
    name: "assets",
    zh: "家庭财产",
    en: "Assets",
    fields: &[
        f("savings", MONEY, "存款及现金", "Savings and cash"),
        f("securities", MONEY, "有价证券", "Securities"),
        f(
            "vehicles",
            Kind::Int { min: 0, max: 20 },
            "机动车辆数（不含残疾人功能性补偿代步车、摩托车）",
            "Motor vehicles (not mobility scooters or motorbikes)",
        ),
        f("vehicle_value", MONEY, "车辆价值", "Value of vehicles"),
        f(
            "properties",
            Kind::Int { min: 0, max: 50 },
            "除自住外房产套数",
            "Properties besides the home",
        ),
        f(
            "business",
            BOOL,
            "有工商登记的经营实体",
            "Owns a registered business",
        ),
        f(
            "small_assets",
            Kind::Int { min: 0, max: 8 },
            "小件资产数（电视、电话、电脑、冰箱、自行车、摩托车等）",
            "Small assets (TV, phone, computer, fridge, bicycle, motorbike …)",
        ),
    ],
};

pub static SOCIAL: RecordSpec = RecordSpec {
    name: "social",
    zh: "社会参与",
    en: "Social participation",
    fields: &[
        f(
            "activities",
            Kind::Choice(FREQUENCY),
            "参加社区活动",
            "Takes part in community activities",
        ),
        f(
            "weekly_contact",
            BOOL,
            "每周与亲友邻居往来",
            "Weekly contact with relatives, friends or neighbours",
        ),
        f(
            "internet",
            BOOL,
            "能上网或用智能手机",
            "Uses the internet or a smartphone",
        ),
        f(
            "organisation",
            BOOL,
            "参加社会组织或志愿服务",
            "Member of a group or volunteers",
        ),
    ],
};

pub static SUPPORT: RecordSpec = RecordSpec {
    name: "support",
    zh: "亲属支持",
    en: "Support from relatives",
    fields: &[
        f(
            "relatives",
            Kind::Choice(RELATIVES_SUPPORT),
            "亲属资助",
            "Support from relatives",
        ),
        f(
            "amount",
            MONEY,
            "近12个月亲属资助金额",
            "Support received, last 12 months",
        ),
        f("neighbour_help", BOOL, "邻里互助", "Help from neighbours"),
        f(
            "dependants_outside",
            Kind::Int { min: 0, max: 20 },
            "需赡养的户外人数",
            "Dependants living elsewhere",
        ),
    ],
};

pub static SHOCK: RecordSpec = RecordSpec {
    name: "shock",
    zh: "近期变故",
    en: "Recent shock",
    fields: &[
        req("kind", Kind::Choice(SHOCKS), "变故类型", "Kind"),
        req(
            "months_ago",
            Kind::Int { min: 0, max: 60 },
            "发生于几个月前",
            "Months ago",
        ),
        f("loss", MONEY, "损失金额", "Loss (yuan)"),
    ],
};

static BASE_HOUSEHOLD: RecordSpec = RecordSpec {
    name: "household",
    zh: "家庭",
    en: "Household",
    fields: &[
        req(
            "members",
            Kind::List(&BASE_MEMBER, MAX_MEMBERS),
            "家庭成员",
            "Members",
        ),
        f2(
            "residence",
            Kind::Choice(RESIDENCE),
            "城乡类别（低保标准不同）",
            "Urban or rural (different minimum-living lines)",
        ),
        f("income", Kind::Object(&INCOME), "收入", "Income"),
        f2(
            "transfers",
            Kind::Object(&TRANSFERS),
            "转移性收入明细",
            "Transfers by kind",
        ),
        f(
            "expenditure",
            Kind::Object(&EXPENDITURE),
            "支出",
            "Expenditure",
        ),
        f("debts", Kind::Object(&DEBTS), "债务", "Debts"),
        f("housing", Kind::Object(&HOUSING), "住房", "Housing"),
        f("assets", Kind::Object(&ASSETS), "财产", "Assets"),
        f(
            "social",
            Kind::Object(&SOCIAL),
            "社会参与",
            "Social participation",
        ),
        f(
            "support",
            Kind::Object(&SUPPORT),
            "亲属支持",
            "Support from relatives",
        ),
        f(
            "shocks",
            Kind::List(&SHOCK, 20),
            "近期变故（无则填空列表）",
            "Recent shocks (an empty list if none)",
        ),
        f(
            "child_deaths_5y",
            Kind::Int { min: 0, max: 20 },
            "近5年18岁以下子女死亡数",
            "Deaths of children under 18 in the last 5 years",
        ),
    ],
};

/// The district questions in effect in this process (see `questions.rs`).
static QUESTIONS: OnceLock<Questions> = OnceLock::new();

/// Puts a district's questions in effect for this process. It must come before the first
/// survey is read or any schema is asked for (the command line does it first thing); later, the
/// survey's table is already built and the questions are given back.
pub fn install_questions(questions: Questions) -> Result<(), Questions> {
    QUESTIONS.set(questions)
}

/// The district questions in effect: those installed, else the shipped ones (whose validity
/// a test keeps).
pub fn questions() -> &'static Questions {
    QUESTIONS.get_or_init(|| Questions::shipped().unwrap_or_default())
}

struct Specs {
    household: &'static RecordSpec,
    member: &'static RecordSpec,
}

/// The survey's table: the facts above plus the district questions, built once per process.
/// Built specs are leaked on purpose: they live as long as the process, like the static ones,
/// so every reader keeps its `&'static` table.
fn specs() -> &'static Specs {
    static SPECS: OnceLock<Specs> = OnceLock::new();
    SPECS.get_or_init(|| {
        let questions = questions();
        let member = extend(
            &BASE_MEMBER,
            local_spec(questions, Subject::Member, "local"),
            None,
        );
        let household = extend(
            &BASE_HOUSEHOLD,
            local_spec(questions, Subject::Household, "local"),
            Some(member),
        );
        Specs { household, member }
    })
}

/// The household record of the survey, with the district's questions.
pub fn household_spec() -> &'static RecordSpec {
    specs().household
}

/// A member's record of the survey, with the district's questions.
pub fn member_spec() -> &'static RecordSpec {
    specs().member
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

/// The `local` record of one subject's questions, or `None` when the district asks none.
fn local_spec(
    questions: &Questions,
    subject: Subject,
    name: &'static str,
) -> Option<&'static RecordSpec> {
    let fields: Vec<FieldSpec> = questions
        .of(subject)
        .map(|q| FieldSpec {
            name: leak(&q.name),
            kind: match &q.kind {
                QuestionKind::Bool => Kind::Bool,
                QuestionKind::Money => Kind::Money,
                QuestionKind::Int { min, max } => Kind::Int {
                    min: *min,
                    max: *max,
                },
                QuestionKind::Number { min, max } => Kind::Number {
                    min: *min,
                    max: *max,
                },
                QuestionKind::Choice(answers) => Kind::Choice(Box::leak(
                    answers
                        .iter()
                        .map(|(code, zh, en)| Choice {
                            code: leak(code),
                            zh: leak(zh),
                            en: leak(en),
                        })
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                )),
            },
            required: false,
            zh: leak(&q.zh),
            en: leak(&q.en),
            since: 1,
            gap: false,
        })
        .collect();
    if fields.is_empty() {
        return None;
    }
    Some(Box::leak(Box::new(RecordSpec {
        name,
        zh: "地方调查项目",
        en: "District questions",
        fields: Box::leak(fields.into_boxed_slice()),
    })))
}

/// A base record with its `local` questions (and the household's members with theirs).
fn extend(
    base: &'static RecordSpec,
    local: Option<&'static RecordSpec>,
    members: Option<&'static RecordSpec>,
) -> &'static RecordSpec {
    let members = members.filter(|m| !std::ptr::eq(*m, &BASE_MEMBER));
    if local.is_none() && members.is_none() {
        return base;
    }
    let mut fields: Vec<FieldSpec> = base.fields.to_vec();
    if let Some(members) = members {
        for field in &mut fields {
            if let Kind::List(inner, max) = field.kind
                && std::ptr::eq(inner, &BASE_MEMBER)
            {
                field.kind = Kind::List(members, max);
            }
        }
    }
    if let Some(local) = local {
        fields.push(FieldSpec {
            name: "local",
            kind: Kind::Object(local),
            required: false,
            zh: local.zh,
            en: local.en,
            since: 1,
            gap: false,
        });
    }
    Box::leak(Box::new(RecordSpec {
        name: base.name,
        zh: base.zh,
        en: base.en,
        fields: Box::leak(fields.into_boxed_slice()),
    }))
}

/// Fields of the survey envelope, outside the facts.
const ENVELOPE: [&str; 5] = ["schema", "household", "surveyed_on", "region_code", "note"];

/// A read survey: the facts, and what was not recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub household: String,
    pub surveyed_on: Option<String>,
    pub region_code: Option<String>,
    pub note: Option<String>,
    pub facts: Record,
    /// Facts left out, as paths (`income.wages`, `members[1].age`).
    pub not_recorded: Vec<String>,
    /// The survey version it was written in.
    pub schema: u32,
}

impl Survey {
    pub fn is_partial(&self) -> bool {
        !self.not_recorded.is_empty()
    }
}

/// One thing wrong with a survey, at a path such as `members[2].age`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: Message,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Record ids of the expression schema, in the order [`expr_schema`] lays them out.
struct Layout {
    schema: Schema,
    /// The spec of every record, by record id.
    records: Vec<&'static RecordSpec>,
}

fn layout() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        let mut layout = Layout {
            schema: Schema::default(),
            records: Vec::new(),
        };
        add_record(&mut layout, household_spec(), "", false);
        layout
    })
}

fn add_record(layout: &mut Layout, spec: &'static RecordSpec, path: &str, is_list: bool) -> usize {
    let id = layout.schema.records.len();
    layout.schema.records.push(RecordDef {
        name: spec.name.to_string(),
        path: path.to_string(),
        is_list,
        fields: Vec::new(),
    });
    layout.records.push(spec);
    let mut fields = Vec::new();
    for field in spec.fields {
        let ty = match field.kind {
            Kind::Int { .. } | Kind::Money | Kind::Number { .. } => Ty::Num,
            Kind::Bool => Ty::Bool,
            Kind::Choice(choices) => {
                let values = choices.iter().map(|c| c.code.to_string()).collect();
                let enum_name = if path.is_empty() {
                    field.name.to_string()
                } else {
                    format!("{}.{}", spec.name, field.name)
                };
                layout.schema.enums.push(EnumDef {
                    name: enum_name,
                    values,
                });
                Ty::Enum(layout.schema.enums.len() - 1)
            }
            Kind::Object(inner) => Ty::Rec(add_record(layout, inner, field.name, false)),
            Kind::List(inner, _) => Ty::Recs(add_record(layout, inner, field.name, true)),
        };
        fields.push(FieldDef {
            name: field.name.to_string(),
            ty,
        });
    }
    layout.schema.records[id].fields = fields;
    id
}

/// The schema expressions are checked against. Record 0 is the household.
pub fn expr_schema() -> &'static Schema {
    &layout().schema
}

/// Read one survey (one JSON object). Every wrong field is reported, each with its path; a
/// survey with any error is refused whole.
pub fn read(json: &str) -> Result<Survey, Vec<FieldError>> {
    if let Some(survey) = crate::survey_fast::read(json) {
        return Ok(survey);
    }
    let value: Json = serde_json::from_str(json).map_err(|e| {
        vec![FieldError {
            field: String::new(),
            message: msg!(
                "survey-not-json",
                line = e.line(),
                column = e.column(),
                error = e
            ),
        }]
    })?;
    from_json(&value)
}

pub fn from_json(value: &Json) -> Result<Survey, Vec<FieldError>> {
    let mut reader = Reader {
        errors: Vec::new(),
        not_recorded: Vec::new(),
        version: SCHEMA_VERSION,
    };
    let Some(object) = value.as_object() else {
        return Err(vec![FieldError {
            field: String::new(),
            message: msg!("survey-not-object"),
        }]);
    };
    match object.get("schema") {
        Some(Json::Number(n))
            if n.as_u64().is_some_and(|v| {
                (u64::from(OLDEST_SCHEMA)..=u64::from(SCHEMA_VERSION)).contains(&v)
            }) =>
        {
            reader.version = n.as_u64().map_or(SCHEMA_VERSION, |v| v as u32);
        }
        Some(other) => reader.error(
            "schema",
            msg!("survey-schema-version", want = SCHEMA_VERSION, got = other),
        ),
        None => reader.error(
            "schema",
            msg!("survey-schema-required", want = SCHEMA_VERSION),
        ),
    }
    let household = match object.get("household") {
        Some(Json::String(s)) if !s.trim().is_empty() && s.chars().count() <= 64 => {
            s.trim().to_string()
        }
        Some(Json::Number(n)) => n.to_string(),
        Some(_) => {
            reader.error("household", msg!("survey-household-id"));
            String::new()
        }
        None => {
            reader.error("household", msg!("survey-household-required"));
            String::new()
        }
    };
    let surveyed_on = reader.optional_text(
        object,
        "surveyed_on",
        |s| time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok(),
        msg!("date-format"),
    );
    let region_code = reader.optional_text(
        object,
        "region_code",
        |s| {
            (s.len() == 6 || s.len() == 9 || s.len() == 12) && s.bytes().all(|b| b.is_ascii_digit())
        },
        msg!("survey-region-code"),
    );
    let note = reader.optional_text(
        object,
        "note",
        |s| s.chars().count() <= 2000,
        msg!("text-too-long", max = 2000),
    );
    let facts = reader.record(household_spec(), object, "", 0, &ENVELOPE);
    if reader.errors.is_empty() {
        Ok(Survey {
            household,
            surveyed_on,
            region_code,
            note,
            facts,
            not_recorded: reader.not_recorded,
            schema: reader.version,
        })
    } else {
        Err(reader.errors)
    }
}

struct Reader {
    errors: Vec<FieldError>,
    not_recorded: Vec<String>,
    /// The survey's version: facts added later were not asked.
    version: u32,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Reader {
    fn error(&mut self, field: impl Into<String>, message: Message) {
        self.errors.push(FieldError {
            field: field.into(),
            message,
        });
    }

    fn optional_text(
        &mut self,
        object: &Map<String, Json>,
        name: &str,
        valid: impl Fn(&str) -> bool,
        what: Message,
    ) -> Option<String> {
        match object.get(name) {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if valid(s.trim()) => Some(s.trim().to_string()),
            Some(_) => {
                self.error(name, what);
                None
            }
        }
    }

    fn record(
        &mut self,
        spec: &'static RecordSpec,
        object: &Map<String, Json>,
        prefix: &str,
        index: u32,
        envelope: &[&str],
    ) -> Record {
        for key in object.keys() {
            if !envelope.contains(&key.as_str()) && !spec.fields.iter().any(|f| f.name == key) {
                let known: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
                self.error(
                    join(prefix, key),
                    msg!(
                        "survey-unknown-field",
                        record = spec.name,
                        known = known.join(", ")
                    ),
                );
            }
        }
        let fields: Vec<Value> = spec
            .fields
            .iter()
            .map(|field| {
                let path = join(prefix, field.name);
                let value = object.get(field.name);
                if field.since > self.version {
                    // Not asked in the survey's version: neither recorded nor missing.
                    if value.is_some_and(|v| !v.is_null()) {
                        self.error(
                            &path,
                            msg!(
                                "survey-field-newer",
                                since = field.since,
                                version = self.version
                            ),
                        );
                    }
                    return Value::Missing;
                }
                match value {
                    None | Some(Json::Null) => {
                        if field.required {
                            self.error(
                                &path,
                                msg!("survey-required").both("field", field.zh, field.en),
                            );
                        } else if field.gap_when_left_out() {
                            match field.kind {
                                // A whole section left out: every fact in it is not recorded.
                                Kind::Object(inner) => self.not_recorded.extend(
                                    inner
                                        .fields
                                        .iter()
                                        .filter(|f| f.gap_when_left_out())
                                        .map(|f| join(&path, f.name)),
                                ),
                                _ => self.not_recorded.push(path),
                            }
                        }
                        // (A version-2 detail left out is none or not applicable: no gap.)
                        Value::Missing
                    }
                    Some(value) => self.value(field, value, &path),
                }
            })
            .collect();
        Record {
            fields: fields.into(),
            index,
        }
    }

    fn value(&mut self, field: &FieldSpec, value: &Json, path: &str) -> Value {
        match field.kind {
            Kind::Int { min, max } => match value.as_f64() {
                Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Value::Num(n),
                Some(n) if n.fract() != 0.0 => {
                    self.error(path, msg!("survey-not-whole", n = n));
                    Value::Missing
                }
                Some(n) => {
                    self.error(
                        path,
                        msg!("survey-out-of-range", n = n, min = min, max = max),
                    );
                    Value::Missing
                }
                None => self.wrong_type(path, "whole_number", value),
            },
            Kind::Money => match value.as_f64() {
                Some(n) if (0.0..=MAX_MONEY).contains(&n) => Value::Num(n),
                Some(n) => {
                    self.error(path, msg!("survey-not-money", n = n));
                    Value::Missing
                }
                None => self.wrong_type(path, "money", value),
            },
            Kind::Number { min, max } => match value.as_f64() {
                Some(n) if n >= min && n <= max => Value::Num(n),
                Some(n) => {
                    self.error(
                        path,
                        msg!("survey-out-of-range", n = n, min = min, max = max),
                    );
                    Value::Missing
                }
                None => self.wrong_type(path, "number", value),
            },
            Kind::Bool => match value {
                Json::Bool(b) => Value::Bool(*b),
                other => self.wrong_type(path, "true or false", other),
            },
            Kind::Choice(choices) => match value.as_str() {
                Some(code) => match choices.iter().position(|c| c.code == code) {
                    Some(index) => Value::Enum(index as u16),
                    None => {
                        let codes: Vec<&str> = choices.iter().map(|c| c.code).collect();
                        self.error(
                            path,
                            msg!(
                                "survey-not-a-choice",
                                code = code,
                                choices = codes.join(", ")
                            ),
                        );
                        Value::Missing
                    }
                },
                None => self.wrong_type(path, "code", value),
            },
            Kind::Object(inner) => match value {
                Json::Object(map) => Value::Rec(Box::new(self.record(inner, map, path, 0, &[]))),
                other => self.wrong_type(path, "an object", other),
            },
            Kind::List(inner, max_items) => match value {
                Json::Array(items) if items.len() > max_items => {
                    self.error(
                        path,
                        msg!("survey-too-many", n = items.len(), max = max_items),
                    );
                    Value::Missing
                }
                Json::Array(items) if field.required && items.is_empty() => {
                    self.error(path, msg!("survey-at-least-one"));
                    Value::Missing
                }
                Json::Array(items) => {
                    let mut records = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let item_path = format!("{path}[{i}]");
                        match item {
                            Json::Object(map) => {
                                records.push(self.record(inner, map, &item_path, i as u32, &[]));
                            }
                            other => {
                                self.wrong_type(&item_path, "object", other);
                            }
                        }
                    }
                    Value::Recs(records)
                }
                other => self.wrong_type(path, "list", other),
            },
        }
    }

    /// `want` and what was found are `json_kind` words of the catalog.
    fn wrong_type(&mut self, path: &str, want: &str, got: &Json) -> Value {
        let got = match got {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "text",
            Json::Array(_) => "list",
            Json::Object(_) => "object",
        };
        self.error(
            path,
            msg!("survey-wrong-type")
                .word("want", "json_kind", want)
                .word("got", "json_kind", got),
        );
        Value::Missing
    }
}

/// The facts as JSON again (for storing drafts and for what-if changes).
pub fn to_json(survey: &Survey) -> Json {
    let mut object = match record_json(household_spec(), &survey.facts) {
        Json::Object(map) => map,
        _ => Map::new(),
    };
    object.insert("schema".into(), Json::from(survey.schema));
    object.insert("household".into(), Json::from(survey.household.clone()));
    for (key, value) in [
        ("surveyed_on", &survey.surveyed_on),
        ("region_code", &survey.region_code),
        ("note", &survey.note),
    ] {
        if let Some(v) = value {
            object.insert(key.into(), Json::from(v.clone()));
        }
    }
    Json::Object(object)
}

fn record_json(spec: &RecordSpec, record: &Record) -> Json {
    let mut map = Map::new();
    for (field, value) in spec.fields.iter().zip(record.fields.iter()) {
        let json = match (field.kind, value) {
            (_, Value::Missing) => continue,
            (Kind::Choice(choices), Value::Enum(i)) => {
                Json::from(choices.get(*i as usize).map_or("", |c| c.code))
            }
            (_, Value::Num(n)) => {
                if n.fract() == 0.0 && n.abs() < 9e15 {
                    Json::from(*n as i64)
                } else {
                    Json::from(*n)
                }
            }
            (_, Value::Bool(b)) => Json::from(*b),
            (_, Value::Str(s)) => Json::from(s.to_string()),
            (Kind::Object(inner), Value::Rec(r)) => record_json(inner, r),
            (Kind::List(inner, _), Value::Recs(rs)) => {
                Json::Array(rs.iter().map(|r| record_json(inner, r)).collect())
            }
            _ => continue,
        };
        map.insert(field.name.to_string(), json);
    }
    Json::Object(map)
}

/// The JSON Schema (draft 2020-12) of the survey (version 2, with the district questions in
/// effect), generated from the table above.
pub fn json_schema() -> Json {
    let mut root = record_schema(household_spec());
    if let Json::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            Json::from("https://json-schema.org/draft/2020-12/schema"),
        );
        map.insert(
            "$id".into(),
            Json::from("https://minsheng.example/schemas/survey-v2.json"),
        );
        map.insert(
            "title".into(),
            Json::from("家庭家境调查 Household survey, version 2"),
        );
        if let Some(Json::Object(props)) = map.get_mut("properties") {
            props.insert(
                "schema".into(),
                serde_json::json!({"enum": (OLDEST_SCHEMA..=SCHEMA_VERSION).collect::<Vec<_>>(), "description": "schema version (facts added after a survey's version were not asked)"}),
            );
            props.insert("household".into(), serde_json::json!({"type": ["string", "integer"], "description": "the household's id"}));
            props.insert(
                "surveyed_on".into(),
                serde_json::json!({"type": "string", "format": "date"}),
            );
            props.insert(
                "region_code".into(),
                serde_json::json!({"type": "string", "pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12})$"}),
            );
            props.insert(
                "note".into(),
                serde_json::json!({"type": "string", "maxLength": 2000}),
            );
        }
        if let Some(Json::Array(required)) = map.get_mut("required") {
            required.insert(0, Json::from("household"));
            required.insert(0, Json::from("schema"));
        }
    }
    root
}

fn record_schema(spec: &RecordSpec) -> Json {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in spec.fields {
        let mut schema = match field.kind {
            Kind::Int { min, max } => {
                serde_json::json!({"type": "integer", "minimum": min, "maximum": max})
            }
            Kind::Money => {
                serde_json::json!({"type": "number", "minimum": 0, "maximum": MAX_MONEY})
            }
            Kind::Number { min, max } => {
                serde_json::json!({"type": "number", "minimum": min, "maximum": max})
            }
            Kind::Bool => serde_json::json!({"type": "boolean"}),
            Kind::Choice(choices) => serde_json::json!({
                "enum": choices.iter().map(|c| c.code).collect::<Vec<_>>(),
                "x-labels-zh": choices.iter().map(|c| (c.code, c.zh)).collect::<std::collections::BTreeMap<_, _>>(),
            }),
            Kind::Object(inner) => record_schema(inner),
            Kind::List(inner, max) => serde_json::json!({
                "type": "array",
                "maxItems": max,
                "minItems": if field.required { 1 } else { 0 },
                "items": record_schema(inner),
            }),
        };
        if let Json::Object(map) = &mut schema {
            map.insert(
                "title".into(),
                Json::from(format!("{} {}", field.zh, field.en)),
            );
        }
        if field.required {
            required.push(Json::from(field.name));
        }
        properties.insert(field.name.to_string(), schema);
    }
    serde_json::json!({
        "type": "object",
        "title": format!("{} {}", spec.zh, spec.en),
        "additionalProperties": false,
        "properties": properties,
        "required": required,
    })
}

/// The spec of a record of the expression schema, by record id.
pub fn record_spec(record: usize) -> Option<&'static RecordSpec> {
    layout().records.get(record).copied()
}

/// The field at a fact's path (`members[1].age`) and the words for the path, in Chinese or
/// English (家庭成员 2 · 年龄); `None` for a path the survey does not have.
fn field_at(path: &str, chinese: bool) -> Option<(&'static FieldSpec, String)> {
    let mut spec = household_spec();
    let mut words = Vec::new();
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let field = spec.fields.iter().find(|f| f.name == name)?;
        let last = segments.peek().is_none();
        match (field.kind, index) {
            (Kind::List(inner, _), Some(i)) if !last => {
                let record = if chinese { inner.zh } else { inner.en };
                words.push(format!("{record} {}", i + 1));
                spec = inner;
            }
            (Kind::Object(inner), None) if !last => {
                words.push(if chinese { field.zh } else { field.en }.to_string());
                spec = inner;
            }
            (Kind::List(..) | Kind::Object(_), _) => return None,
            (_, None) if last => {
                words.push(if chinese { field.zh } else { field.en }.to_string());
                return Some((field, words.join(" · ")));
            }
            _ => return None,
        }
    }
    None
}

/// The words for a fact's path (`members[1].age` → 家庭成员 2 · 年龄).
pub fn path_label(path: &str, chinese: bool) -> Option<String> {
    field_at(path, chinese).map(|(_, words)| words)
}

/// A fact's value in words: a choice's label, yes or no; numbers and text as they are.
pub fn value_label(path: &str, value: &str, chinese: bool) -> String {
    let word = |zh: &'static str, en: &'static str| if chinese { zh } else { en };
    match field_at(path, chinese).map(|(field, _)| field.kind) {
        Some(Kind::Choice(choices)) => choices
            .iter()
            .find(|c| c.code == value)
            .map(|c| word(c.zh, c.en).to_string())
            .unwrap_or_else(|| value.to_string()),
        Some(Kind::Bool) => match value {
            "true" => word("是", "yes").to_string(),
            "false" => word("否", "no").to_string(),
            _ => value.to_string(),
        },
        _ => value.to_string(),
    }
}

/// The words of a choice code found anywhere in the survey (an indicator's value that is a
/// choice, where the fact it came from is not known), or `None`.
pub fn choice_word(code: &str, chinese: bool) -> Option<&'static str> {
    fn search(spec: &'static RecordSpec, code: &str, chinese: bool) -> Option<&'static str> {
        spec.fields.iter().find_map(|f| match f.kind {
            Kind::Choice(choices) => choices
                .iter()
                .find(|c| c.code == code)
                .map(|c| if chinese { c.zh } else { c.en }),
            Kind::Object(inner) | Kind::List(inner, _) => search(inner, code, chinese),
            _ => None,
        })
    }
    search(household_spec(), code, chinese)
}

#[cfg(test)]
mod path_label_tests {
    use super::path_label;

    #[test]
    fn paths_read_as_words() {
        assert_eq!(
            path_label("members[1].age", true).as_deref(),
            Some("家庭成员 2 · 年龄")
        );
        assert_eq!(
            path_label("members[0].age", false).as_deref(),
            Some("Household member 1 · Age")
        );
        assert_eq!(path_label("no.such", true), None);
        assert_eq!(
            super::value_label("members[0].relation", "self", true),
            "户主"
        );
        assert_eq!(super::value_label("members[0].age", "7", false), "7");
        assert_eq!(path_label("members.age", true), None);
    }
}
