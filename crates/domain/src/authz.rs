//! Who may do what: roles, actions and the one table that joins them.
//!
//! *Where* a user may act is the other half: the subtree of their unit's region, which the
//! store applies inside SQL. This module only answers "may this role ever do this action".

use serde::{Deserialize, Serialize};

/// A user's role. A user may hold several; what they may do is the union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DistrictOfficer,
    TownOfficer,
    CommunityWorker,
    GridWorker,
    Volunteer,
    Assessor,
    DepartmentHandler,
    CharityHandler,
    HotlineAgent,
    GridOperator,
    Leader,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::Admin,
        Role::DistrictOfficer,
        Role::TownOfficer,
        Role::CommunityWorker,
        Role::GridWorker,
        Role::Volunteer,
        Role::Assessor,
        Role::DepartmentHandler,
        Role::CharityHandler,
        Role::HotlineAgent,
        Role::GridOperator,
        Role::Leader,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DistrictOfficer => "district_officer",
            Role::TownOfficer => "town_officer",
            Role::CommunityWorker => "community_worker",
            Role::GridWorker => "grid_worker",
            Role::Volunteer => "volunteer",
            Role::Assessor => "assessor",
            Role::DepartmentHandler => "department_handler",
            Role::CharityHandler => "charity_handler",
            Role::HotlineAgent => "hotline_agent",
            Role::GridOperator => "grid_operator",
            Role::Leader => "leader",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    pub fn label_zh(self) -> &'static str {
        self.label(minsheng_i18n::Lang::Zh)
    }

    /// The role's name in a language (`role-*` in the catalog).
    pub fn label(self, lang: minsheng_i18n::Lang) -> &'static str {
        minsheng_i18n::word(lang, "role", self.code())
    }

    pub fn label_en(self) -> &'static str {
        minsheng_i18n::word(minsheng_i18n::Lang::En, "role", self.code())
    }
}

/// Something a user asks to do. Each route of the product names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Any signed-in user: their own home page, profile and password.
    UseAccount,
    /// Read the region tree.
    ViewRegions,
    /// Add or rename villages and communities, edit zone overlays.
    ManageRegions,
    /// See units.
    ViewUnits,
    /// Create and edit units.
    ManageUnits,
    /// Create, disable and reset users in one's area.
    ManageUsers,
    /// List and read households and persons in one's area.
    ViewHouseholds,
    /// Create and edit households, persons and memberships in one's area.
    EditHouseholds,
    /// See a full ID number (each reveal is audited).
    RevealIdNumber,
    /// Bulk-import persons and households.
    ImportPersons,
    /// Read and search the audit log.
    ViewAudit,
    /// Aggregated figures, no personal data.
    ViewFigures,
    /// Report a clue (线索) about someone who may be in hardship.
    ReportClue,
    /// See the inbox of leads in one's area and open them.
    ViewLeads,
    /// Record a verification visit and its outcome.
    VisitLeads,
    /// Change the state of a household file.
    ManageFiles,
    /// Run sweeps (扫楼) over the households of a community.
    RunSweeps,
    /// Set up the three-level work groups and recruit their members.
    ManageGroups,
    /// Assign a household's assessment (甄别) to an assessor.
    AssignAssessments,
    /// Survey households and submit assessments assigned to oneself.
    SurveyHouseholds,
    /// Review submitted assessments: recognise them or return them.
    ReviewAssessments,
    /// Upload, activate and try (what-if) assessment model versions.
    ManageModels,
    /// Retrain the hotline classifier from agents' corrections and see its held-out figures.
    RetrainClassifier,
    /// Make a household's assistance plan, refer its items, open emergency cases and pay them.
    ManageHelp,
    /// Approve plan items (each at the level the item requires).
    ApproveHelp,
    /// Work on the referrals addressed to one's own unit.
    HandleReferrals,
    /// Top up a town's reserve fund (临时备用金).
    ManageFunds,
    /// Run data cross-matching over the registry and file its warnings as clues.
    RunScreening,
    /// Take 12345 calls: record requests, correct their classification, dispatch, merge
    /// duplicates, decide extensions, make call-backs, hand hardship to social assistance.
    TakeCalls,
    /// Work on the hotline tickets addressed to one's own unit: accept or return, ask for more
    /// time, reply.
    AnswerTickets,
    /// Run the grid: networks, fault plans and simulations, station monitoring and its alarms.
    OperateGrid,
    /// Link households whose members depend on power for life to the load that feeds them
    /// (with their consent) and receive their outage alerts.
    LinkPowerDependents,
    /// Register social resources (donors, providers, their offers), match offers to households
    /// with consent, record deliveries.
    ManageResources,
    /// A provider's own account: add its offers, see the households matched to them (after
    /// consent, only what the offer needs), record deliveries.
    ProvideResources,
}

impl Action {
    pub const ALL: [Action; 34] = [
        Action::UseAccount,
        Action::ViewRegions,
        Action::ManageRegions,
        Action::ViewUnits,
        Action::ManageUnits,
        Action::ManageUsers,
        Action::ViewHouseholds,
        Action::EditHouseholds,
        Action::RevealIdNumber,
        Action::ImportPersons,
        Action::ViewAudit,
        Action::ViewFigures,
        Action::ReportClue,
        Action::ViewLeads,
        Action::VisitLeads,
        Action::ManageFiles,
        Action::RunSweeps,
        Action::ManageGroups,
        Action::AssignAssessments,
        Action::SurveyHouseholds,
        Action::ReviewAssessments,
        Action::ManageModels,
        Action::RetrainClassifier,
        Action::ManageHelp,
        Action::ApproveHelp,
        Action::HandleReferrals,
        Action::ManageFunds,
        Action::RunScreening,
        Action::TakeCalls,
        Action::AnswerTickets,
        Action::OperateGrid,
        Action::LinkPowerDependents,
        Action::ManageResources,
        Action::ProvideResources,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::UseAccount => "use_account",
            Action::ViewRegions => "view_regions",
            Action::ManageRegions => "manage_regions",
            Action::ViewUnits => "view_units",
            Action::ManageUnits => "manage_units",
            Action::ManageUsers => "manage_users",
            Action::ViewHouseholds => "view_households",
            Action::EditHouseholds => "edit_households",
            Action::RevealIdNumber => "reveal_id_number",
            Action::ImportPersons => "import_persons",
            Action::ViewAudit => "view_audit",
            Action::ViewFigures => "view_figures",
            Action::ReportClue => "report_clue",
            Action::ViewLeads => "view_leads",
            Action::VisitLeads => "visit_leads",
            Action::ManageFiles => "manage_files",
            Action::RunSweeps => "run_sweeps",
            Action::ManageGroups => "manage_groups",
            Action::AssignAssessments => "assign_assessments",
            Action::SurveyHouseholds => "survey_households",
            Action::ReviewAssessments => "review_assessments",
            Action::ManageModels => "manage_models",
            Action::RetrainClassifier => "retrain_classifier",
            Action::ManageHelp => "manage_help",
            Action::ApproveHelp => "approve_help",
            Action::HandleReferrals => "handle_referrals",
            Action::ManageFunds => "manage_funds",
            Action::RunScreening => "run_screening",
            Action::TakeCalls => "take_calls",
            Action::AnswerTickets => "answer_tickets",
            Action::OperateGrid => "operate_grid",
            Action::LinkPowerDependents => "link_power_dependents",
            Action::ManageResources => "manage_resources",
            Action::ProvideResources => "provide_resources",
        }
    }
}

/// The authorisation table: may `role` ever perform `action`?
///
/// Least privilege: household data is for the people who find, verify and help households in
/// their area. Administrators run the system but do not read files; volunteers report clues
/// but see nothing of households; leaders see figures; auditors see the audit log.
pub fn role_permits(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::UseAccount | A::ViewRegions => true,
        A::ManageRegions | A::ManageUnits | A::ManageUsers | A::RetrainClassifier => {
            role == R::Admin
        }
        A::ViewUnits => matches!(
            role,
            R::Admin
                | R::DistrictOfficer
                | R::TownOfficer
                | R::CommunityWorker
                | R::Leader
                | R::Auditor
        ),
        A::ViewHouseholds => matches!(
            role,
            R::DistrictOfficer | R::TownOfficer | R::CommunityWorker | R::GridWorker | R::Assessor
        ),
        A::EditHouseholds | A::RevealIdNumber => matches!(
            role,
            R::DistrictOfficer | R::TownOfficer | R::CommunityWorker
        ),
        A::ImportPersons => matches!(role, R::DistrictOfficer | R::TownOfficer),
        A::ViewAudit => role == R::Auditor,
        A::ViewFigures => matches!(role, R::DistrictOfficer | R::TownOfficer | R::Leader),
        A::ReportClue => matches!(
            role,
            R::Volunteer
                | R::GridWorker
                | R::CommunityWorker
                | R::TownOfficer
                | R::DistrictOfficer
                | R::HotlineAgent
                | R::DepartmentHandler
        ),
        A::ViewLeads | A::VisitLeads | A::RunSweeps => matches!(
            role,
            R::CommunityWorker | R::GridWorker | R::TownOfficer | R::DistrictOfficer
        ),
        A::ManageGroups | A::AssignAssessments | A::ReviewAssessments => {
            matches!(role, R::DistrictOfficer | R::TownOfficer)
        }
        A::SurveyHouseholds => matches!(role, R::Assessor | R::CommunityWorker),
        A::ManageModels => role == R::DistrictOfficer,
        A::ManageHelp | A::ApproveHelp => matches!(
            role,
            R::CommunityWorker | R::TownOfficer | R::DistrictOfficer
        ),
        A::HandleReferrals => matches!(role, R::DepartmentHandler | R::CharityHandler),
        A::ManageFunds => matches!(role, R::TownOfficer | R::DistrictOfficer),
        A::RunScreening => role == R::DistrictOfficer,
        A::TakeCalls => role == R::HotlineAgent,
        A::AnswerTickets => matches!(
            role,
            R::DepartmentHandler | R::TownOfficer | R::DistrictOfficer
        ),
        A::ManageFiles => matches!(
            role,
            R::CommunityWorker | R::TownOfficer | R::DistrictOfficer
        ),
        A::OperateGrid => role == R::GridOperator,
        A::ManageResources => matches!(
            role,
            R::CommunityWorker | R::TownOfficer | R::DistrictOfficer
        ),
        A::ProvideResources => role == R::CharityHandler,
        A::LinkPowerDependents => matches!(
            role,
            R::CommunityWorker | R::TownOfficer | R::DistrictOfficer
        ),
    }
}

/// The channels (渠道) through which a role may file a clue.
pub fn channels_for(role: Role) -> &'static [&'static str] {
    match role {
        Role::Volunteer => &["volunteer"],
        Role::GridWorker => &["grid_worker", "sweep"],
        Role::CommunityWorker => &["sweep", "application", "grid_worker"],
        Role::TownOfficer => &["application", "department", "sweep"],
        Role::DistrictOfficer => &["application", "department", "screening", "sweep"],
        Role::HotlineAgent => &["hotline"],
        Role::DepartmentHandler => &["department"],
        _ => &[],
    }
}

/// Whether any of the roles permits the action.
pub fn roles_permit(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|r| role_permits(*r, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn volunteers_and_admins_never_see_households() {
        for role in [Role::Volunteer, Role::Admin, Role::Leader, Role::Auditor] {
            assert!(!role_permits(role, Action::ViewHouseholds), "{role:?}");
            assert!(!role_permits(role, Action::RevealIdNumber), "{role:?}");
        }
    }

    #[test]
    fn only_auditors_read_the_audit_log() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| role_permits(*r, Action::ViewAudit))
            .collect();
        assert_eq!(readers, vec![Role::Auditor]);
    }
}
