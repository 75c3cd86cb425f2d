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
        match self {
            UnitKind::CivilAffairsBureau => "民政局",
            UnitKind::TownOffice => "镇街办事处",
            UnitKind::CommunityCommittee => "村（居）委会",
            UnitKind::EducationDept => "教育部门",
            UnitKind::HealthDept => "卫生健康部门",
            UnitKind::HousingDept => "住房城建部门",
            UnitKind::HumanResourcesDept => "人力社保部门",
            UnitKind::Charity => "慈善组织",
            UnitKind::SocialWorkOrg => "社工机构",
            UnitKind::AssessmentOrg => "第三方评估机构",
            UnitKind::HotlineCentre => "12345热线中心",
            UnitKind::GridCompany => "供电公司",
            UnitKind::SystemOperator => "系统运维",
            UnitKind::GovernmentDept => "政府部门",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UnitKind::CivilAffairsBureau => "Civil affairs bureau",
            UnitKind::TownOffice => "Town or street office",
            UnitKind::CommunityCommittee => "Village or community committee",
            UnitKind::EducationDept => "Education department",
            UnitKind::HealthDept => "Health department",
            UnitKind::HousingDept => "Housing department",
            UnitKind::HumanResourcesDept => "Human resources and social security",
            UnitKind::Charity => "Charity",
            UnitKind::SocialWorkOrg => "Social-work organisation",
            UnitKind::AssessmentOrg => "Third-party assessment organisation",
            UnitKind::HotlineCentre => "12345 hotline centre",
            UnitKind::GridCompany => "Power supply company",
            UnitKind::SystemOperator => "System operations",
            UnitKind::GovernmentDept => "Government department",
        }
    }
}
