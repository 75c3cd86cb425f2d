//! Web tests: the authorisation matrix (every route × every role × inside/outside the area, on
//! SQLite and PostgreSQL), CSRF, the API with bearer tokens, and a real browser.
//!
//! One test binary on purpose: each binary costs link time.

mod browser;
mod everyday;
mod language;
mod operations;
mod security;
mod support;
mod survey;
mod walks;

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use minsheng_app::Backend;
use minsheng_domain::{Action, Role, role_permits};
use minsheng_store::Conn;
use support::{TestApp, Who};

/// What a route needs to be called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Nothing,
    Household,
    Person,
    Town,
    Region,
    Username,
    StaticFile,
    Lang,
    Lead,
    HouseholdFile,
    Sweep,
    Group,
    Photo,
    Channel,
    /// A recognised assessment.
    Assessment,
    /// A household with no assessment yet.
    FreshHousehold,
    /// A draft assigned to the caller (made on the spot).
    OwnDraft,
    /// A submitted assessment waiting for review (made on the spot).
    Submitted,
    Model,
    /// A household with a recognised assessment and a plan.
    AssessedHousehold,
    /// An item of a plan.
    PlanItem,
    /// An accepted community-level item (made on the spot).
    AcceptedItem,
    /// An approved item civil affairs pays (made on the spot).
    ApprovedCivilItem,
    /// A referral addressed to the caller's unit (made on the spot).
    OwnReferral,
    /// An emergency case of a funded town, not yet paid / paid (made on the spot).
    UnpaidCase,
    PaidCase,
    /// A returned referral in 巴南区, where two charities could take it (made on the spot).
    ReturnedReferral,
    /// A hotline request (any: the centre sees the whole city).
    HotlineRequest,
    /// A hotline ticket dispatched to the caller's unit (made on the spot).
    OwnTicket,
    /// The demo's grid network.
    GridNetwork,
    /// An open station alarm (made on the spot when none is open).
    GridAlarm,
    /// A power-dependent household's link, in or outside the caller's area (made on the spot).
    GridLink,
    /// An outage alert of such a household (made on the spot).
    GridAlert,
    /// A confirmed resource match of a household in or outside the area (made on the spot).
    Match,
    /// A confirmed match of the caller's own offer, or (outside) of another provider's.
    ProviderMatch,
    /// A volunteer assignment in or outside the area (made on the spot).
    Assignment,
    /// An open appeal for a household in or outside the area (made on the spot).
    Appeal,
    /// Any open appeal (a donor may give to any).
    OpenAppeal,
    /// A purchased-services contract in or outside the area with an unpaid advance (made on
    /// the spot).
    Contract,
    /// An API token of the caller, or (outside) of another user (made on the spot).
    OwnToken,
    /// A role grant waiting for approval, of a user in or outside the area (made on the spot).
    RoleGrant,
    /// A notification channel of a unit in or outside the area (made on the spot).
    NotifyChannel,
}

/// The matrix's own idea of every route: written here, apart from the route registry, so a
/// route added without an entry (or with a different action) fails this test.
struct Expect {
    method: Method,
    path: &'static str,
    action: Option<Action>,
    target: Target,
    ok: u16,
    /// An allowed call leaves an audit row (denied calls always do).
    audited: bool,
}

fn expectations() -> Vec<Expect> {
    use Action as A;
    use Target as T;
    let e = |method: Method, path, action, target, ok, audited| Expect {
        method,
        path,
        action,
        target,
        ok,
        audited,
    };
    let mut assessment = vec![
        e(
            Method::GET,
            "/assessments",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/assessments/{id}",
            Some(A::ViewHouseholds),
            T::Assessment,
            200,
            true,
        ),
        e(
            Method::GET,
            "/assessments/{id}/report",
            Some(A::ViewHouseholds),
            T::Assessment,
            200,
            true,
        ),
        e(
            Method::GET,
            "/assessments/{id}/report.pdf",
            Some(A::ViewHouseholds),
            T::Assessment,
            200,
            true,
        ),
        e(
            Method::POST,
            "/assessments/{id}/draft",
            Some(A::SurveyHouseholds),
            T::OwnDraft,
            303,
            true,
        ),
        e(
            Method::POST,
            "/assessments/{id}/submit",
            Some(A::SurveyHouseholds),
            T::OwnDraft,
            303,
            true,
        ),
        e(
            Method::POST,
            "/assessments/{id}/review",
            Some(A::ReviewAssessments),
            T::Submitted,
            303,
            true,
        ),
        e(
            Method::GET,
            "/households/{id}/assess",
            Some(A::AssignAssessments),
            T::Household,
            200,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/assess",
            Some(A::AssignAssessments),
            T::FreshHousehold,
            303,
            true,
        ),
        e(
            Method::GET,
            "/models",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/models",
            Some(A::ManageModels),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/models/{id}",
            Some(A::UseAccount),
            T::Model,
            200,
            false,
        ),
        e(
            Method::POST,
            "/models/{id}/activate",
            Some(A::ManageModels),
            T::Model,
            303,
            true,
        ),
        e(
            Method::POST,
            "/models/{id}/what-if",
            Some(A::ManageModels),
            T::Model,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/assessments/{id}",
            Some(A::ViewHouseholds),
            T::Assessment,
            200,
            true,
        ),
        e(
            Method::PUT,
            "/api/v1/assessments/{id}/survey",
            Some(A::SurveyHouseholds),
            T::OwnDraft,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/survey/schema",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/households/{id}/assessment",
            Some(A::ViewHouseholds),
            T::Household,
            200,
            true,
        ),
    ];
    let mut help = vec![
        e(
            Method::GET,
            "/households/{id}/help",
            Some(A::ViewHouseholds),
            T::Household,
            200,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/plan",
            Some(A::ManageHelp),
            T::AssessedHousehold,
            303,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/plan/items",
            Some(A::ManageHelp),
            T::AssessedHousehold,
            303,
            true,
        ),
        e(
            Method::POST,
            "/plan-items/{id}/decision",
            Some(A::ManageHelp),
            T::PlanItem,
            303,
            true,
        ),
        e(
            Method::POST,
            "/plan-items/{id}/approve",
            Some(A::ApproveHelp),
            T::AcceptedItem,
            303,
            true,
        ),
        e(
            Method::POST,
            "/plan-items/{id}/deliver",
            Some(A::ManageHelp),
            T::ApprovedCivilItem,
            303,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/emergency",
            Some(A::ManageHelp),
            T::Household,
            303,
            true,
        ),
        e(
            Method::POST,
            "/emergencies/{id}/pay",
            Some(A::ManageFunds),
            T::UnpaidCase,
            303,
            true,
        ),
        e(
            Method::POST,
            "/emergencies/{id}/paperwork",
            Some(A::ManageHelp),
            T::PaidCase,
            303,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/followup",
            Some(A::ManageHelp),
            T::AssessedHousehold,
            303,
            true,
        ),
        e(
            Method::GET,
            "/followups",
            Some(A::ManageHelp),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/figures/help",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/figures/screening",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/figures/help/export",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/referrals/{id}/resend",
            Some(A::ManageHelp),
            T::ReturnedReferral,
            303,
            true,
        ),
        e(
            Method::GET,
            "/referrals",
            Some(A::HandleReferrals),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::POST,
            "/referrals/{id}/act",
            Some(A::HandleReferrals),
            T::OwnReferral,
            303,
            true,
        ),
        e(
            Method::GET,
            "/funds",
            Some(A::ManageFunds),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/funds/{code}",
            Some(A::ManageFunds),
            T::Town,
            200,
            false,
        ),
        e(
            Method::POST,
            "/funds/{code}/top-up",
            Some(A::ManageFunds),
            T::Town,
            303,
            true,
        ),
    ];
    let mut all = vec![
        e(
            Method::GET,
            "/",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(Method::GET, "/login", None, T::Nothing, 200, false),
        e(Method::POST, "/login", None, T::Nothing, 303, true),
        e(
            Method::POST,
            "/logout",
            Some(A::UseAccount),
            T::Nothing,
            303,
            true,
        ),
        e(Method::GET, "/lang/{code}", None, T::Lang, 303, false),
        e(
            Method::GET,
            "/households",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/households/export",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/households/new",
            Some(A::EditHouseholds),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/households",
            Some(A::EditHouseholds),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/households/{id}",
            Some(A::ViewHouseholds),
            T::Household,
            200,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}",
            Some(A::EditHouseholds),
            T::Household,
            303,
            true,
        ),
        e(
            Method::POST,
            "/households/{id}/members",
            Some(A::EditHouseholds),
            T::Household,
            303,
            true,
        ),
        e(
            Method::GET,
            "/persons",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/persons/{id}",
            Some(A::ViewHouseholds),
            T::Person,
            200,
            true,
        ),
        e(
            Method::POST,
            "/persons/{id}",
            Some(A::EditHouseholds),
            T::Person,
            303,
            true,
        ),
        e(
            Method::POST,
            "/persons/{id}/reveal",
            Some(A::RevealIdNumber),
            T::Person,
            200,
            true,
        ),
        e(
            Method::GET,
            "/regions",
            Some(A::ViewRegions),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/regions/{code}",
            Some(A::ViewRegions),
            T::Region,
            200,
            false,
        ),
        e(
            Method::POST,
            "/regions/{code}/communities",
            Some(A::ManageRegions),
            T::Town,
            303,
            true,
        ),
        e(
            Method::GET,
            "/units",
            Some(A::ViewUnits),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/units/channels",
            Some(A::ManageUnits),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/units/channels",
            Some(A::ManageUnits),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/units/channels/{id}/enable",
            Some(A::ManageUnits),
            T::NotifyChannel,
            303,
            true,
        ),
        e(
            Method::POST,
            "/units/channels/{id}/disable",
            Some(A::ManageUnits),
            T::NotifyChannel,
            303,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/channels",
            Some(A::ManageUnits),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/channels",
            Some(A::ManageUnits),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/users",
            Some(A::ManageUsers),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/users",
            Some(A::ManageUsers),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/users/{username}/disable",
            Some(A::ManageUsers),
            T::Username,
            303,
            true,
        ),
        e(
            Method::POST,
            "/users/{username}/enable",
            Some(A::ManageUsers),
            T::Username,
            303,
            true,
        ),
        e(
            Method::POST,
            "/users/password",
            Some(A::ManageUsers),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/users/grants/{id}/approve",
            Some(A::ManageUsers),
            T::RoleGrant,
            303,
            true,
        ),
        e(
            Method::POST,
            "/users/grants/{id}/refuse",
            Some(A::ManageUsers),
            T::RoleGrant,
            303,
            true,
        ),
        e(
            Method::GET,
            "/audit",
            Some(A::ViewAudit),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/account",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/account/password",
            Some(A::UseAccount),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::POST,
            "/account/tokens",
            Some(A::UseAccount),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::POST,
            "/account/tokens/{id}/revoke",
            Some(A::UseAccount),
            T::OwnToken,
            200,
            true,
        ),
        e(
            Method::GET,
            "/clues/new",
            Some(A::ReportClue),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/clues",
            Some(A::ReportClue),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/clues/mine",
            Some(A::ReportClue),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/inbox",
            Some(A::ViewLeads),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/leads/{id}",
            Some(A::ViewLeads),
            T::Lead,
            200,
            true,
        ),
        e(
            Method::POST,
            "/leads/{id}/visit",
            Some(A::VisitLeads),
            T::Lead,
            303,
            true,
        ),
        e(
            Method::POST,
            "/files/{id}/state",
            Some(A::ManageFiles),
            T::HouseholdFile,
            303,
            true,
        ),
        e(
            Method::GET,
            "/figures",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/figures/export",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/photos/{id}",
            Some(A::ViewLeads),
            T::Photo,
            200,
            true,
        ),
        e(
            Method::GET,
            "/sweeps",
            Some(A::RunSweeps),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/sweeps",
            Some(A::RunSweeps),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/sweeps/{id}",
            Some(A::RunSweeps),
            T::Sweep,
            200,
            true,
        ),
        e(
            Method::POST,
            "/sweeps/{id}/visits",
            Some(A::RunSweeps),
            T::Sweep,
            303,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/sweeps",
            Some(A::RunSweeps),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/sweeps",
            Some(A::RunSweeps),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/sweeps/{id}",
            Some(A::RunSweeps),
            T::Sweep,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/sweeps/{id}/visits",
            Some(A::RunSweeps),
            T::Sweep,
            200,
            true,
        ),
        e(
            Method::GET,
            "/groups",
            Some(A::ManageGroups),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/groups",
            Some(A::ManageGroups),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/groups/{id}",
            Some(A::ManageGroups),
            T::Group,
            200,
            false,
        ),
        e(
            Method::POST,
            "/groups/{id}/members",
            Some(A::ManageGroups),
            T::Group,
            303,
            true,
        ),
        e(
            Method::POST,
            "/groups/{id}/members/remove",
            Some(A::ManageGroups),
            T::Group,
            303,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/groups",
            Some(A::ManageGroups),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/groups",
            Some(A::ManageGroups),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/groups/{id}",
            Some(A::ManageGroups),
            T::Group,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/groups/{id}/members",
            Some(A::ManageGroups),
            T::Group,
            204,
            true,
        ),
        e(Method::GET, "/healthz", None, T::Nothing, 200, false),
        e(Method::GET, "/readyz", None, T::Nothing, 200, false),
        e(
            Method::GET,
            "/static/{file}",
            None,
            T::StaticFile,
            200,
            false,
        ),
        e(Method::POST, "/api/v1/session", None, T::Nothing, 200, true),
        e(
            Method::DELETE,
            "/api/v1/session",
            Some(A::UseAccount),
            T::Nothing,
            204,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/me",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/tokens",
            Some(A::UseAccount),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/tokens",
            Some(A::UseAccount),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::DELETE,
            "/api/v1/tokens/{id}",
            Some(A::UseAccount),
            T::OwnToken,
            204,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/households",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/households",
            Some(A::EditHouseholds),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/households/{id}",
            Some(A::ViewHouseholds),
            T::Household,
            200,
            true,
        ),
        e(
            Method::PUT,
            "/api/v1/households/{id}",
            Some(A::EditHouseholds),
            T::Household,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/households/{id}/members",
            Some(A::EditHouseholds),
            T::Household,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/persons",
            Some(A::ViewHouseholds),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/persons/{id}",
            Some(A::ViewHouseholds),
            T::Person,
            200,
            true,
        ),
        e(
            Method::PUT,
            "/api/v1/persons/{id}",
            Some(A::EditHouseholds),
            T::Person,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/persons/{id}/reveal-id-number",
            Some(A::RevealIdNumber),
            T::Person,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/regions",
            Some(A::ViewRegions),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/regions/{code}",
            Some(A::ViewRegions),
            T::Region,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/units",
            Some(A::ViewUnits),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/users",
            Some(A::ManageUsers),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/audit",
            Some(A::ViewAudit),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/figures",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/api/v1/clues",
            Some(A::ReportClue),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/clues/{channel}",
            Some(A::ReportClue),
            T::Channel,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/clues/mine",
            Some(A::ReportClue),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/inbox",
            Some(A::ViewLeads),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/leads/{id}",
            Some(A::ViewLeads),
            T::Lead,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/leads/{id}/visit",
            Some(A::VisitLeads),
            T::Lead,
            200,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/files/{id}/state",
            Some(A::ManageFiles),
            T::HouseholdFile,
            204,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/figures/discovery",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/api/v1/openapi.json",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/hotline",
            Some(A::TakeCalls),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/hotline/classify",
            Some(A::TakeCalls),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/hotline/requests",
            Some(A::TakeCalls),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/hotline/chase",
            Some(A::TakeCalls),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/hotline/tickets",
            Some(A::AnswerTickets),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/hotline/requests/{id}",
            Some(A::TakeCalls),
            T::HotlineRequest,
            200,
            true,
        ),
        e(
            Method::GET,
            "/hotline/tickets/{id}",
            Some(A::AnswerTickets),
            T::OwnTicket,
            200,
            true,
        ),
        e(
            Method::POST,
            "/hotline/requests/{id}/centre",
            Some(A::TakeCalls),
            T::HotlineRequest,
            303,
            true,
        ),
        e(
            Method::POST,
            "/hotline/tickets/{id}/unit",
            Some(A::AnswerTickets),
            T::OwnTicket,
            303,
            true,
        ),
        e(
            Method::POST,
            "/api/v1/hotline/requests",
            Some(A::TakeCalls),
            T::Nothing,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/hotline/requests/{id}",
            Some(A::TakeCalls),
            T::HotlineRequest,
            200,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/hotline/ranking",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/hotline/models",
            Some(A::RetrainClassifier),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/hotline/models/retrain",
            Some(A::RetrainClassifier),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::GET,
            "/hotline/ranking",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/hotline/ranking.xlsx",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(Method::GET, "/12345", None, T::Nothing, 200, false),
        e(Method::POST, "/12345", None, T::Nothing, 200, false),
        e(
            Method::GET,
            "/12345/requests/{id}",
            None,
            T::HotlineRequest,
            200,
            false,
        ),
        e(
            Method::GET,
            "/open311/v2/{file}",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/open311/v2/{file}",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/open311/v2/services/{file}",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/open311/v2/requests/{file}",
            None,
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/open311/v2/tokens/{file}",
            None,
            T::Nothing,
            200,
            false,
        ),
    ];
    let mut grid = vec![
        e(
            Method::GET,
            "/grid",
            Some(A::OperateGrid),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::GET,
            "/grid/alarms",
            Some(A::OperateGrid),
            T::Nothing,
            200,
            false,
        ),
        e(
            Method::POST,
            "/grid/alarms/{id}/ack",
            Some(A::OperateGrid),
            T::GridAlarm,
            303,
            true,
        ),
        e(
            Method::GET,
            "/grid/dependents",
            Some(A::LinkPowerDependents),
            T::Nothing,
            200,
            true,
        ),
        e(
            Method::POST,
            "/grid/links",
            Some(A::LinkPowerDependents),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/grid/links/{id}/remove",
            Some(A::LinkPowerDependents),
            T::GridLink,
            303,
            true,
        ),
        e(
            Method::POST,
            "/grid/alerts/{id}/ack",
            Some(A::LinkPowerDependents),
            T::GridAlert,
            303,
            true,
        ),
        e(
            Method::GET,
            "/grid/{id}",
            Some(A::OperateGrid),
            T::GridNetwork,
            200,
            false,
        ),
        e(
            Method::POST,
            "/grid/{id}/fault",
            Some(A::OperateGrid),
            T::GridNetwork,
            303,
            true,
        ),
    ];
    grid.push(e(
        Method::POST,
        "/api/v1/grid/networks/{id}/readings",
        Some(A::OperateGrid),
        T::GridNetwork,
        201,
        true,
    ));
    grid.push(e(
        Method::GET,
        "/api/v1/grid/alarms",
        Some(A::OperateGrid),
        T::Nothing,
        200,
        false,
    ));
    let staff = |method: Method, path, target, ok, audited| {
        e(method, path, Some(A::ManageResources), target, ok, audited)
    };
    let provider = |method: Method, path, target, ok| {
        e(method, path, Some(A::ProvideResources), target, ok, true)
    };
    let mut resources = vec![
        staff(Method::GET, "/resources", T::Nothing, 200, true),
        staff(Method::POST, "/resources/providers", T::Nothing, 303, true),
        staff(Method::POST, "/resources/offers", T::Nothing, 303, true),
        staff(
            Method::POST,
            "/resources/matches/{id}/delivery",
            T::Match,
            303,
            true,
        ),
        staff(
            Method::POST,
            "/resources/matches/{id}/cancel",
            T::Match,
            303,
            true,
        ),
        staff(
            Method::GET,
            "/households/{id}/resources",
            T::Household,
            200,
            true,
        ),
        staff(
            Method::POST,
            "/households/{id}/resources/match",
            T::Household,
            303,
            true,
        ),
        staff(
            Method::POST,
            "/households/{id}/volunteers",
            T::Household,
            303,
            true,
        ),
        staff(
            Method::POST,
            "/households/{id}/appeals",
            T::Household,
            303,
            true,
        ),
        staff(Method::GET, "/volunteers", T::Nothing, 200, true),
        staff(
            Method::POST,
            "/volunteers/{id}/visits",
            T::Assignment,
            303,
            true,
        ),
        staff(Method::GET, "/appeals", T::Nothing, 200, true),
        staff(Method::POST, "/appeals/{id}/entries", T::Appeal, 303, true),
        staff(Method::POST, "/appeals/{id}/close", T::Appeal, 303, true),
        e(
            Method::GET,
            "/appeals/{id}/public",
            None,
            T::OpenAppeal,
            200,
            false,
        ),
        staff(Method::GET, "/contracts", T::Nothing, 200, false),
        e(
            Method::POST,
            "/contracts",
            Some(A::ManageFunds),
            T::Nothing,
            303,
            true,
        ),
        e(
            Method::POST,
            "/contracts/{id}/pay",
            Some(A::ManageFunds),
            T::Contract,
            303,
            true,
        ),
        provider(Method::GET, "/provider", T::Nothing, 200),
        provider(Method::POST, "/provider/offers", T::Nothing, 303),
        provider(
            Method::POST,
            "/provider/matches/{id}/delivery",
            T::ProviderMatch,
            303,
        ),
        provider(
            Method::POST,
            "/provider/appeals/{id}/give",
            T::OpenAppeal,
            303,
        ),
        staff(
            Method::GET,
            "/api/v1/resources/offers",
            T::Nothing,
            200,
            false,
        ),
        staff(
            Method::POST,
            "/api/v1/resources/matches",
            T::Nothing,
            201,
            true,
        ),
        staff(
            Method::POST,
            "/api/v1/resources/matches/{id}/delivery",
            T::Match,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/appeals/{id}",
            None,
            T::OpenAppeal,
            200,
            false,
        ),
        staff(
            Method::POST,
            "/api/v1/appeals/{id}/entries",
            T::Appeal,
            201,
            true,
        ),
        e(
            Method::GET,
            "/api/v1/figures/resources",
            Some(A::ViewFigures),
            T::Nothing,
            200,
            false,
        ),
    ];
    all.append(&mut assessment);
    all.append(&mut help);
    all.append(&mut grid);
    all.append(&mut resources);
    all
}

/// The demo account that plays each role.
const ROLE_ACCOUNTS: [(Role, &str); 13] = [
    (Role::Admin, "admin"),
    (Role::DistrictOfficer, "banan.district"),
    (Role::TownOfficer, "banan.town"),
    (Role::CommunityWorker, "banan.community"),
    (Role::GridWorker, "banan.grid"),
    (Role::Volunteer, "banan.volunteer"),
    (Role::Assessor, "assessor"),
    (Role::DepartmentHandler, "banan.education"),
    (Role::CharityHandler, "charity"),
    (Role::HotlineAgent, "hotline"),
    (Role::GridOperator, "gridop"),
    (Role::Leader, "leader"),
    (Role::Auditor, "auditor"),
];

minsheng_store::on_both_backends!(
    authorization_matrix,
    csrf_is_required_for_cookie_changes,
    api_tokens_and_openapi
);

#[test]
fn every_route_has_a_matrix_entry_and_the_same_action() {
    let expected: HashMap<(Method, &str), Option<Action>> = expectations()
        .into_iter()
        .map(|e| ((e.method, e.path), e.action))
        .collect();
    let specs = minsheng_web::route_specs();
    for spec in &specs {
        match expected.get(&(spec.method.clone(), spec.path)) {
            None => panic!(
                "route {} {} has no entry in the authorisation matrix",
                spec.method, spec.path
            ),
            Some(action) => assert_eq!(
                *action, spec.action,
                "{} {} requires another action",
                spec.method, spec.path
            ),
        }
    }
    assert_eq!(
        specs.len(),
        expected.len(),
        "the matrix lists a route that does not exist"
    );
}

async fn authorization_matrix(backend: Backend) {
    let t = TestApp::new(backend).await;
    let mut checked = 0;
    for (role, username) in ROLE_ACCOUNTS {
        let who = t.sign_in(username).await;
        for e in expectations() {
            let Some(action) = e.action else { continue };
            for outside in [false, true] {
                let Some(path) = t.path_for(&who, e.path, e.target, outside).await else {
                    continue;
                };
                // Signing out ends the session; do it on a session of its own.
                let caller = if matches!(e.path, "/logout" | "/api/v1/session") {
                    t.sign_in(username).await
                } else {
                    who.clone()
                };
                let before = t.audit_count(username).await;
                let body = t.body_for(&caller, &e, &path, outside).await;
                let status = t.call(&caller, e.method.clone(), &path, body).await;
                let permitted = role_permits(role, action);
                let want = if !permitted {
                    StatusCode::FORBIDDEN
                } else if outside {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::from_u16(e.ok).expect("status")
                };
                assert_eq!(
                    status, want,
                    "{role:?} {} {path} (outside: {outside})",
                    e.method
                );
                let after = t.audit_count(username).await;
                if !permitted || outside || e.audited {
                    assert!(
                        after > before,
                        "{role:?} {} {path}: no audit row was written",
                        e.method
                    );
                }
                if !permitted || outside {
                    let last = t.last_audit(username).await;
                    assert_eq!(
                        last.outcome, "denied",
                        "{role:?} {} {path}: {last:?}",
                        e.method
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 13 * 40, "only {checked} cases ran");
}

async fn csrf_is_required_for_cookie_changes(backend: Backend) {
    let t = TestApp::new(backend).await;
    let who = t.sign_in("banan.district").await;
    let household = t
        .path_for(
            &who,
            "/api/v1/households/{id}/members",
            Target::Household,
            false,
        )
        .await
        .expect("household");
    let without = Who {
        csrf: String::new(),
        ..who.clone()
    };
    let body = Some((
        "application/json",
        r#"{"id_number":"x","name":"y","relation_code":"20"}"#.to_string(),
    ));
    assert_eq!(
        t.call(&without, Method::POST, &household, body.clone())
            .await,
        StatusCode::FORBIDDEN
    );
    let wrong = Who {
        csrf: "not-the-token".into(),
        ..who.clone()
    };
    assert_eq!(
        t.call(&wrong, Method::POST, &household, body.clone()).await,
        StatusCode::FORBIDDEN
    );
    // With the token, the request reaches the use case (and fails validation, not CSRF).
    assert_eq!(
        t.call(&who, Method::POST, &household, body).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A form without the field is refused too.
    let form = Some((
        "application/x-www-form-urlencoded",
        "address=x&region_code=500113003002".to_string(),
    ));
    assert_eq!(
        t.call(&without, Method::POST, "/households", form).await,
        StatusCode::FORBIDDEN
    );
}

async fn api_tokens_and_openapi(backend: Backend) {
    let t = TestApp::new(backend).await;
    let who = t.sign_in("banan.district").await;
    let (status, body) = t
        .call_json(
            &who,
            Method::POST,
            "/api/v1/tokens",
            Some(("application/json", r#"{"name":"script"}"#.into())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = body["token"].as_str().expect("token").to_string();
    let bearer = Who::bearer(&token);
    let (status, page) = t
        .call_json(&bearer, Method::GET, "/api/v1/households?per_page=5", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
    assert!(
        page["items"][0]["head_id_number"]
            .as_str()
            .is_some_and(|s| s.contains("********"))
    );
    // Bearer calls need no CSRF token.
    let id = page["items"][0]["id"].as_i64().expect("id");
    let detail = format!("/api/v1/households/{id}");
    let (status, _) = t.call_json(&bearer, Method::GET, &detail, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .call_json(
            &Who::bearer("ms_wrong"),
            Method::GET,
            "/api/v1/households",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Two saves from the same version: the second is refused with 409.
    let (_, current) = t.call_json(&bearer, Method::GET, &detail, None).await;
    let version = current["household"]["version"].as_i64().expect("version");
    let region = current["household"]["region_code"]
        .as_str()
        .expect("region")
        .to_string();
    let save = |address: &str| {
        Some((
            "application/json",
            format!(r#"{{"version":{version},"region_code":"{region}","address":"{address}"}}"#),
        ))
    };
    let (first, _) = t.call_json(&bearer, Method::PUT, &detail, save("甲")).await;
    let (second, error) = t.call_json(&bearer, Method::PUT, &detail, save("乙")).await;
    assert_eq!((first, second), (StatusCode::OK, StatusCode::CONFLICT));
    assert_eq!(error["error"], "stale");

    let (status, doc) = t
        .call_json(&Who::anonymous(), Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for spec in minsheng_web::route_specs().iter().filter(|s| s.is_api()) {
        let method = spec.method.as_str().to_lowercase();
        assert!(
            doc["paths"][spec.path][&method].is_object(),
            "{} {} missing from OpenAPI",
            spec.method,
            spec.path
        );
    }
    let (status, _) = t
        .call_json(&Who::anonymous(), Method::GET, "/healthz", None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_scoped_masked_and_readable() {
    let t = TestApp::new(Backend::Sqlite).await;
    let who = t.sign_in("banan.community").await;
    let (status, page) = t
        .call_json(&who, Method::GET, "/api/v1/households?per_page=100", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = page["total"].as_u64().expect("total") as usize;
    let (status, bytes) = t.call_bytes(&who, "/households/export?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
    assert!(!had_errors);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        listed + 1,
        "a header and every household of the area"
    );
    assert!(lines[0].contains("户主"));
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("500113") && l.contains("********"))
    );
    let (status, xlsx) = t.call_bytes(&who, "/households/export?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let table =
        minsheng_app::import::read_table("export.xlsx", &xlsx).expect("the export reads back");
    assert_eq!(table.rows.len(), listed);
    let leader = t.sign_in("leader").await;
    let (status, workbook) = t
        .call_bytes(&leader, "/figures/export?from=2020-01-01")
        .await;
    assert_eq!(status, StatusCode::OK);
    let summary =
        minsheng_app::import::read_table("figures.xlsx", &workbook).expect("the figures read back");
    assert_eq!(summary.headers, vec!["指标", "数值"]);
    assert!(
        summary
            .rows
            .iter()
            .any(|r| r.cells[0] == "建档户数" && r.cells[1].parse::<i64>().is_ok_and(|n| n > 0))
    );
    let (status, _) = t.call_bytes(&who, "/households/export?format=pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The phone form without JavaScript: multipart with the CSRF token as a field and a photo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_form_takes_photos_as_multipart() {
    let t = TestApp::new(Backend::Sqlite).await;
    let who = t.sign_in("banan.volunteer").await;
    let multipart = |csrf: &str, photo: &[u8]| {
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf_token", csrf),
            ("channel", "volunteer"),
            ("description", "楼道里有老人需要帮助"),
            ("address", "百节社区多部分测试楼"),
            ("client_key", "multipart-1"),
        ] {
            body.extend_from_slice(
                format!(
                    "--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n");
        body.extend_from_slice(photo);
        body.extend_from_slice(b"\r\n--B--\r\n");
        body
    };
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    let send = |body: Vec<u8>| {
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/clues")
            .header(
                axum::http::header::COOKIE,
                format!("ms_session={}", who.session.clone().unwrap_or_default()),
            )
            .header(
                axum::http::header::CONTENT_TYPE,
                "multipart/form-data; boundary=B",
            )
            .body(axum::body::Body::from(body))
            .expect("request");
        let router = t.router.clone();
        async move {
            tower::ServiceExt::oneshot(router, request)
                .await
                .expect("response")
                .status()
        }
    };
    assert_eq!(
        send(multipart("wrong", &png)).await,
        StatusCode::FORBIDDEN,
        "the CSRF field is checked"
    );
    assert_eq!(
        send(multipart(&who.csrf, b"GIF89a-but-not-allowed")).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(multipart(&who.csrf, &png)).await,
        StatusCode::SEE_OTHER
    );
    let (count,): (i64,) = t
        .app
        .store()
        .reader()
        .one(minsheng_store::Sql::new(
            "SELECT COUNT(*) FROM photos p JOIN clues k ON k.id = p.clue_id WHERE k.client_key LIKE 'u%:multipart-1'",
        ))
        .await
        .expect("count");
    assert_eq!(count, 1);
}

/// The PDF report (in the default build): A4, CJK text embedded, renders to a page image
/// (poppler's pdftoppm).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assessment_report_is_a_pdf_that_renders() {
    let t = TestApp::new(Backend::Sqlite).await;
    let town = t.sign_in("banan.town").await;
    let id = t
        .assessment_in(500_113_000_000)
        .expect("an assessment in 巴南区");
    let (status, pdf) = t
        .call_bytes(&town, &format!("/assessments/{id}/report.pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        String::from_utf8_lossy(&pdf).contains("/FontFile"),
        "fonts are embedded"
    );
    let dir = std::env::temp_dir().join(format!("minsheng-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("report.pdf"), &pdf).expect("write");
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(dir.join("report.pdf"))
        .arg(dir.join("page"))
        .status()
        .expect("pdftoppm (Debian's poppler-utils) is installed");
    assert!(status.success());
    let png = std::fs::read(dir.join("page.png")).expect("png");
    let (width, height) = (
        u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
        u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
    );
    assert_eq!((width, height), (497, 702), "A4 at 60 dpi");
    if let Ok(keep) = std::env::var("MINSHENG_SCREENSHOTS") {
        let _ = std::fs::copy(dir.join("page.png"), format!("{keep}/report-pdf.png"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The public page and API of an appeal: its title and figures, nothing about the household.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appeal_is_public_without_personal_data() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (id, address, head): (i64, String, String) = t
        .app
        .store()
        .reader()
        .one(minsheng_store::Sql::new(
            "SELECT a.id, h.address, p.name FROM appeals a JOIN households h ON h.id = a.household_id \
             JOIN persons p ON p.id = h.head_person_id ORDER BY a.id LIMIT 1",
        ))
        .await
        .expect("the demo's appeal");
    let anonymous = Who::anonymous();
    let (status, page) = t
        .call_bytes(&anonymous, &format!("/appeals/{id}/public"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).expect("utf-8");
    assert!(page.contains("突发火灾家庭重建急难众筹"), "the title");
    assert!(
        page.contains("¥8000.00") && page.contains("¥20000.00"),
        "received of target"
    );
    assert!(
        !page.contains(&address) && !page.contains(&head),
        "nothing personal"
    );
    let (status, json) = t
        .call_json(
            &anonymous,
            Method::GET,
            &format!("/api/v1/appeals/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["received_yuan"], 8000.0);
    assert_eq!(json["balance_yuan"], 3000.0);
    assert!(json.get("household_id").is_none(), "{json}");
    let (status, _) = t.call_bytes(&anonymous, "/appeals/999999/public").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
