//! Kinds of units (单位) that people work for.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    CivilAffairsBureau,
    TownOffice,
    CommunityCommittee,
    EducationDept,
    HealthDept,
    HousingDept,
    HumanResourcesDept,
    Charity,
    SocialWorkOrg,
    AssessmentOrg,
    HotlineCentre,
    GridCompany,
    SystemOperator,
    /// Any other government department answering hotline tickets (城管、市场监管、公安分局…).
    GovernmentDept,
}

impl UnitKind {
    pub const ALL: [UnitKind; 14] = [
        UnitKind::CivilAffairsBureau,
        UnitKind::TownOffice,
        UnitKind::CommunityCommittee,
        UnitKind::EducationDept,
        UnitKind::HealthDept,
        UnitKind::HousingDept,
        UnitKind::HumanResourcesDept,
        UnitKind::Charity,
        UnitKind::SocialWorkOrg,
        UnitKind::AssessmentOrg,
        UnitKind::HotlineCentre,
        UnitKind::GridCompany,
        UnitKind::SystemOperator,
        UnitKind::GovernmentDept,
    ];

    pub fn code(self) -> &'static str {
        match self {
            UnitKind::CivilAffairsBureau => "civil_affairs_bureau",
            UnitKind::TownOffice => "town_office",
            UnitKind::CommunityCommittee => "community_committee",
            UnitKind::EducationDept => "education_dept",
            UnitKind::HealthDept => "health_dept",
            UnitKind::HousingDept => "housing_dept",
            UnitKind::HumanResourcesDept => "human_resources_dept",
            UnitKind::Charity => "charity",
            UnitKind::SocialWorkOrg => "social_work_org",
            UnitKind::AssessmentOrg => "assessment_org",
            UnitKind::HotlineCentre => "hotline_centre",
            UnitKind::GridCompany => "grid_company",
            UnitKind::SystemOperator => "system_operator",
            UnitKind::GovernmentDept => "government_dept",
        }
    }

    pub fn from_code(code: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    pub fn label_zh(self) -> &'static str {
        minsheng_i18n::word(minsheng_i18n::Lang::Zh, "unit_kind", self.code())
    }

    pub fn label_en(self) -> &'static str {
        minsheng_i18n::word(minsheng_i18n::Lang::En, "unit_kind", self.code())
    }
}
