//! Every route of the product, registered in one place with the action it needs. The same list
//! builds the router, the OpenAPI document and the authorisation-matrix test, so a route cannot
//! exist without being described.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodFilter, on};
use minsheng_domain::Action;

use axum::extract::DefaultBodyLimit;

use crate::{
    AppState, api, assessment_pages as ap, auth, discovery_pages as dp, grid_pages as gp,
    help_pages as hp, hotline_pages as hl, html, limits, open311, openapi, resource_pages as rp,
};

/// One route: method, path (axum syntax), the action it requires (`None`: public), a summary,
/// the largest body it reads and the rate limit it is under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub action: Option<Action>,
    pub summary: &'static str,
    pub max_body: usize,
    pub limited: Option<limits::Bucket>,
}

impl RouteSpec {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        action: Option<Action>,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            Method::GET => MethodFilter::GET,
            Method::POST => MethodFilter::POST,
            Method::PUT => MethodFilter::PUT,
            Method::DELETE => MethodFilter::DELETE,
            _ => MethodFilter::PATCH,
        };
        let (max_body, limited) = limits::boundary(&method, path);
        let mut route = on(filter, handler).layer(DefaultBodyLimit::max(max_body));
        if let Some(bucket) = limited {
            route = route.route_layer(middleware::from_fn(
                move |req: axum::extract::Request, next: middleware::Next| {
                    limits::limit(bucket, req, next)
                },
            ));
        }
        // Outermost: the route's action is checked before anything else of it runs.
        if let Some(action) = action {
            route = route.route_layer(middleware::from_fn(
                move |req: axum::extract::Request, next: middleware::Next| {
                    auth::enforce_action(action, req, next)
                },
            ));
        }
        self.router = self.router.route(path, route);
        self.specs.push(RouteSpec {
            method,
            path,
            action,
            summary,
            max_body,
            limited,
        });
        self
    }
}

fn register() -> Routes {
    use Action as A;
    use Method as M;
    let r = Routes {
        router: Router::new(),
        specs: Vec::new(),
    };
    r
        // Pages.
        .add(
            M::GET,
            "/",
            Some(A::UseAccount),
            "Home page for the user's roles",
            html::home,
        )
        .add(M::GET, "/login", None, "Sign-in page", html::login_page)
        .add(M::POST, "/login", None, "Sign in", html::login_submit)
        .add(
            M::POST,
            "/logout",
            Some(A::UseAccount),
            "Sign out",
            html::logout,
        )
        .add(
            M::GET,
            "/lang/{code}",
            None,
            "Switch the interface language",
            html::switch_language,
        )
        .add(
            M::GET,
            "/households",
            Some(A::ViewHouseholds),
            "Household list",
            html::households,
        )
        .add(
            M::GET,
            "/households/export",
            Some(A::ViewHouseholds),
            "Household list as xlsx or GB18030 CSV",
            html::households_export,
        )
        .add(
            M::GET,
            "/households/new",
            Some(A::EditHouseholds),
            "New household form",
            html::household_new,
        )
        .add(
            M::POST,
            "/households",
            Some(A::EditHouseholds),
            "Create a household",
            html::household_create,
        )
        .add(
            M::GET,
            "/households/{id}",
            Some(A::ViewHouseholds),
            "Household detail",
            html::household,
        )
        .add(
            M::POST,
            "/households/{id}",
            Some(A::EditHouseholds),
            "Save a household",
            html::household_save,
        )
        .add(
            M::POST,
            "/households/{id}/members",
            Some(A::EditHouseholds),
            "Add a member",
            html::household_add_member,
        )
        .add(
            M::GET,
            "/persons",
            Some(A::ViewHouseholds),
            "Person list",
            html::persons,
        )
        .add(
            M::GET,
            "/persons/{id}",
            Some(A::ViewHouseholds),
            "Person detail",
            html::person,
        )
        .add(
            M::POST,
            "/persons/{id}",
            Some(A::EditHouseholds),
            "Save a person",
            html::person_save,
        )
        .add(
            M::POST,
            "/persons/{id}/reveal",
            Some(A::RevealIdNumber),
            "Show a full ID number",
            html::person_reveal,
        )
        .add(
            M::GET,
            "/regions",
            Some(A::ViewRegions),
            "Region tree",
            html::regions,
        )
        .add(
            M::GET,
            "/regions/{code}",
            Some(A::ViewRegions),
            "A region and its children",
            html::region,
        )
        .add(
            M::POST,
            "/regions/{code}/communities",
            Some(A::ManageRegions),
            "Add a village or community",
            html::region_add_community,
        )
        .add(
            M::GET,
            "/units",
            Some(A::ViewUnits),
            "Units in the user's area",
            html::units,
        )
        .add(
            M::GET,
            "/units/channels",
            Some(A::ManageUnits),
            "Notification channels of the units in the admin's area, and their latest deliveries",
            html::channels,
        )
        .add(
            M::POST,
            "/units/channels",
            Some(A::ManageUnits),
            "Add a notification channel (WeCom or DingTalk robot, e-mail, signed webhook) to a unit",
            html::channel_create,
        )
        .add(
            M::POST,
            "/units/channels/{id}/enable",
            Some(A::ManageUnits),
            "Turn a notification channel on",
            html::channel_enable,
        )
        .add(
            M::POST,
            "/units/channels/{id}/disable",
            Some(A::ManageUnits),
            "Turn a notification channel off",
            html::channel_disable,
        )
        .add(
            M::GET,
            "/users",
            Some(A::ManageUsers),
            "Users in the admin's area",
            html::users,
        )
        .add(
            M::POST,
            "/users",
            Some(A::ManageUsers),
            "Add a user",
            html::user_create,
        )
        .add(
            M::POST,
            "/users/{username}/disable",
            Some(A::ManageUsers),
            "Disable a user",
            html::user_disable,
        )
        .add(
            M::POST,
            "/users/{username}/enable",
            Some(A::ManageUsers),
            "Enable a user",
            html::user_enable,
        )
        .add(
            M::POST,
            "/users/password",
            Some(A::ManageUsers),
            "Reset a user's password",
            html::user_reset_password,
        )
        .add(
            M::POST,
            "/users/grants/{id}/approve",
            Some(A::ManageUsers),
            "Approve a role grant another administrator asked for",
            html::grant_approve,
        )
        .add(
            M::POST,
            "/users/grants/{id}/refuse",
            Some(A::ManageUsers),
            "Refuse a role grant another administrator asked for",
            html::grant_refuse,
        )
        .add(
            M::GET,
            "/audit",
            Some(A::ViewAudit),
            "Search the audit log",
            html::audit,
        )
        .add(
            M::GET,
            "/account",
            Some(A::UseAccount),
            "Own account",
            html::account,
        )
        .add(
            M::POST,
            "/account/password",
            Some(A::UseAccount),
            "Change own password",
            html::account_password,
        )
        .add(
            M::POST,
            "/account/tokens",
            Some(A::UseAccount),
            "Issue an API token",
            html::account_token,
        )
        .add(
            M::POST,
            "/account/tokens/{id}/revoke",
            Some(A::UseAccount),
            "Revoke one of one's own API tokens",
            html::account_token_revoke,
        )
        .add(
            M::GET,
            "/clues/new",
            Some(A::ReportClue),
            "The clue report form (phone first)",
            dp::clue_new,
        )
        .add(
            M::POST,
            "/clues",
            Some(A::ReportClue),
            "Report a clue",
            dp::clue_create,
        )
        .add(
            M::GET,
            "/clues/mine",
            Some(A::ReportClue),
            "The reporter's own clues and their status",
            dp::my_clues,
        )
        .add(
            M::GET,
            "/inbox",
            Some(A::ViewLeads),
            "Leads waiting for a visit",
            dp::inbox,
        )
        .add(
            M::GET,
            "/leads/{id}",
            Some(A::ViewLeads),
            "A lead, its clues and the visit form",
            dp::lead,
        )
        .add(
            M::POST,
            "/leads/{id}/visit",
            Some(A::VisitLeads),
            "Record a verification visit",
            dp::lead_visit,
        )
        .add(
            M::POST,
            "/files/{id}/state",
            Some(A::ManageFiles),
            "Change a household file's state",
            dp::file_state,
        )
        .add(
            M::GET,
            "/figures",
            Some(A::ViewFigures),
            "Discovery figures dashboard",
            dp::figures,
        )
        .add(
            M::GET,
            "/figures/export",
            Some(A::ViewFigures),
            "Discovery figures as an xlsx workbook",
            dp::figures_export,
        )
        .add(
            M::GET,
            "/photos/{id}",
            Some(A::ViewLeads),
            "A photo sent with a clue (audited)",
            dp::photo,
        )
        .add(
            M::GET,
            "/sweeps",
            Some(A::RunSweeps),
            "Sweeps in the user's area with coverage",
            dp::sweeps,
        )
        .add(
            M::POST,
            "/sweeps",
            Some(A::RunSweeps),
            "Start a sweep of a community or town",
            dp::sweep_create,
        )
        .add(
            M::GET,
            "/sweeps/{id}",
            Some(A::RunSweeps),
            "A sweep's households and findings",
            dp::sweep,
        )
        .add(
            M::POST,
            "/sweeps/{id}/visits",
            Some(A::RunSweeps),
            "Record a household's sweep visit",
            dp::sweep_visit,
        )
        .add(
            M::GET,
            "/groups",
            Some(A::ManageGroups),
            "Three-level work groups in the user's area",
            dp::groups,
        )
        .add(
            M::POST,
            "/groups",
            Some(A::ManageGroups),
            "Set up a work group",
            dp::group_create,
        )
        .add(
            M::GET,
            "/groups/{id}",
            Some(A::ManageGroups),
            "A work group and its members",
            dp::group,
        )
        .add(
            M::POST,
            "/groups/{id}/members",
            Some(A::ManageGroups),
            "Recruit a member into a group",
            dp::group_member_add,
        )
        .add(
            M::POST,
            "/groups/{id}/members/remove",
            Some(A::ManageGroups),
            "Remove a member from a group",
            dp::group_member_remove,
        )
        .add(
            M::GET,
            "/healthz",
            None,
            "200 when the database answers",
            html::healthz,
        )
        .add(
            M::GET,
            "/readyz",
            None,
            "200 when the database answers, its migrations are current and no job is stuck",
            html::readyz,
        )
        .add(
            M::GET,
            "/static/{file}",
            None,
            "Stylesheet and scripts",
            html::static_file,
        )
        // JSON API.
        .add(
            M::POST,
            "/api/v1/session",
            None,
            "Sign in; sets the session cookie and returns the CSRF token",
            api::login,
        )
        .add(
            M::DELETE,
            "/api/v1/session",
            Some(A::UseAccount),
            "Sign out",
            api::logout,
        )
        .add(
            M::GET,
            "/api/v1/me",
            Some(A::UseAccount),
            "The signed-in user",
            api::me,
        )
        .add(
            M::POST,
            "/api/v1/tokens",
            Some(A::UseAccount),
            "Issue an API token for the signed-in user (from a session, not with a token)",
            api::issue_token,
        )
        .add(
            M::GET,
            "/api/v1/tokens",
            Some(A::UseAccount),
            "The signed-in user's API tokens (names and dates, never the tokens)",
            api::tokens,
        )
        .add(
            M::DELETE,
            "/api/v1/tokens/{id}",
            Some(A::UseAccount),
            "Revoke one of one's own API tokens",
            api::revoke_token,
        )
        .add(
            M::GET,
            "/api/v1/households",
            Some(A::ViewHouseholds),
            "List households in the user's area",
            api::households,
        )
        .add(
            M::POST,
            "/api/v1/households",
            Some(A::EditHouseholds),
            "Create a household",
            api::household_create,
        )
        .add(
            M::GET,
            "/assessments",
            Some(A::ViewHouseholds),
            "Assessments in the user's area (or assigned to them)",
            ap::list,
        )
        .add(
            M::GET,
            "/assessments/{id}",
            Some(A::ViewHouseholds),
            "An assessment: survey form, result with reasons, review",
            ap::detail,
        )
        .add(
            M::GET,
            "/assessments/{id}/report",
            Some(A::ViewHouseholds),
            "The printable A4 assessment report",
            ap::report,
        )
        .add(
            M::GET,
            "/assessments/{id}/report.pdf",
            Some(A::ViewHouseholds),
            "The assessment report as PDF (A4, CJK fonts embedded)",
            ap::report_pdf,
        )
        .add(
            M::POST,
            "/assessments/{id}/draft",
            Some(A::SurveyHouseholds),
            "Save the survey draft (autosave)",
            ap::save_draft,
        )
        .add(
            M::POST,
            "/assessments/{id}/submit",
            Some(A::SurveyHouseholds),
            "Submit the survey for review; it is scored with the active model version",
            ap::submit,
        )
        .add(
            M::POST,
            "/assessments/{id}/review",
            Some(A::ReviewAssessments),
            "Recognise an assessment or return it with comments",
            ap::review,
        )
        .add(
            M::GET,
            "/households/{id}/assess",
            Some(A::AssignAssessments),
            "Form to assign a household's assessment",
            ap::assign_form,
        )
        .add(
            M::POST,
            "/households/{id}/assess",
            Some(A::AssignAssessments),
            "Assign a household's assessment to an assessor",
            ap::assign,
        )
        .add(M::GET, "/households/{id}/help", Some(A::ViewHouseholds), "A household's recommendations, plan, referrals, benefits and emergency cases", hp::help)
        .add(M::POST, "/households/{id}/plan", Some(A::ManageHelp), "Make the household's plan from the recommendations", hp::create_plan)
        .add(M::POST, "/households/{id}/plan/items", Some(A::ManageHelp), "Add a catalog item to the household's plan", hp::add_item)
        .add(M::POST, "/plan-items/{id}/decision", Some(A::ManageHelp), "Accept or decline a plan item (declining needs a reason)", hp::decide_item)
        .add(M::POST, "/plan-items/{id}/approve", Some(A::ApproveHelp), "Approve a plan item at its level; another body's item is referred", hp::approve_item)
        .add(M::POST, "/plan-items/{id}/deliver", Some(A::ManageHelp), "Pay an approved civil-affairs item (no duplicate benefit)", hp::deliver_item)
        .add(M::POST, "/households/{id}/emergency", Some(A::ManageHelp), "Open an emergency case (help first, 3 working days)", hp::open_emergency)
        .add(M::POST, "/emergencies/{id}/pay", Some(A::ManageFunds), "Pay an emergency case from the town's reserve fund", hp::pay_emergency)
        .add(M::POST, "/emergencies/{id}/paperwork", Some(A::ManageHelp), "Record that a paid case's paperwork is complete", hp::emergency_paperwork)
        .add(M::POST, "/households/{id}/followup", Some(A::ManageHelp), "Record a follow-up visit; the next is scheduled by tier", hp::record_followup)
        .add(M::GET, "/followups", Some(A::ManageHelp), "Follow-up visits due in the user's area", hp::followups)
        .add(M::GET, "/figures/help", Some(A::ViewFigures), "Figures of help: households, amounts by category, referrals, resources linked, emergency timeliness", hp::figures)
        .add(M::GET, "/figures/screening", Some(A::ViewFigures), "Per-rule hit rates of the data-matching warnings", hp::screening_figures)
        .add(M::GET, "/figures/help/export", Some(A::ViewFigures), "The figures of help as xlsx", hp::figures_export)
        .add(M::POST, "/referrals/{id}/resend", Some(A::ManageHelp), "Refer a returned referral's item to another unit", hp::resend_referral)
        .add(M::GET, "/referrals", Some(A::HandleReferrals), "Referrals addressed to the user's unit", hp::referrals)
        .add(M::POST, "/referrals/{id}/act", Some(A::HandleReferrals), "Accept, return, start, complete or fail a referral", hp::act_on_referral)
        .add(M::GET, "/funds", Some(A::ManageFunds), "The reserve funds of the towns in the caller's area", hp::funds)
        .add(M::GET, "/funds/{code}", Some(A::ManageFunds), "A town's reserve fund: balance and ledger", hp::fund)
        .add(M::POST, "/funds/{code}/top-up", Some(A::ManageFunds), "Top up a town's reserve fund", hp::top_up)
        .add(
            M::GET,
            "/models",
            Some(A::UseAccount),
            "Assessment model versions",
            ap::models,
        )
        .add(
            M::POST,
            "/models",
            Some(A::ManageModels),
            "Upload a model version (checked; stored as a draft)",
            ap::upload_model,
        )
        .add(
            M::GET,
            "/models/{id}",
            Some(A::UseAccount),
            "A model version: dimensions, indicators, rules",
            ap::model,
        )
        .add(
            M::POST,
            "/models/{id}/activate",
            Some(A::ManageModels),
            "Make a model version the one new assessments use",
            ap::activate_model,
        )
        .add(
            M::POST,
            "/models/{id}/what-if",
            Some(A::ManageModels),
            "Re-score the area's recognised assessments under a version; nothing is written",
            ap::what_if,
        )
        .add(
            M::GET,
            "/api/v1/assessments/{id}",
            Some(A::ViewHouseholds),
            "An assessment with its survey, result and history",
            api::assessment,
        )
        .add(
            M::PUT,
            "/api/v1/assessments/{id}/survey",
            Some(A::SurveyHouseholds),
            "Save a survey draft (JSON, schema version 2); returns the mistakes so far",
            api::assessment_survey,
        )
        .add(
            M::GET,
            "/api/v1/survey/schema",
            Some(A::UseAccount),
            "The JSON Schema of the household survey, with the district's questions",
            api::survey_schema,
        )
        .add(
            M::GET,
            "/api/v1/households/{id}/assessment",
            Some(A::ViewHouseholds),
            "The household's current recognised assessment (互认共享)",
            api::household_assessment,
        )
        .add(
            M::GET,
            "/api/v1/households/{id}",
            Some(A::ViewHouseholds),
            "A household with its members",
            api::household,
        )
        .add(
            M::PUT,
            "/api/v1/households/{id}",
            Some(A::EditHouseholds),
            "Save a household (optimistic locking by version)",
            api::household_save,
        )
        .add(
            M::POST,
            "/api/v1/households/{id}/members",
            Some(A::EditHouseholds),
            "Add a member to a household",
            api::household_add_member,
        )
        .add(
            M::GET,
            "/api/v1/persons",
            Some(A::ViewHouseholds),
            "List persons in the user's area",
            api::persons,
        )
        .add(
            M::GET,
            "/api/v1/persons/{id}",
            Some(A::ViewHouseholds),
            "A person with membership history",
            api::person,
        )
        .add(
            M::PUT,
            "/api/v1/persons/{id}",
            Some(A::EditHouseholds),
            "Save a person (optimistic locking by version)",
            api::person_save,
        )
        .add(
            M::POST,
            "/api/v1/persons/{id}/reveal-id-number",
            Some(A::RevealIdNumber),
            "The full ID number (audited)",
            api::person_reveal,
        )
        .add(
            M::GET,
            "/api/v1/regions",
            Some(A::ViewRegions),
            "Top of the region tree",
            api::regions,
        )
        .add(
            M::GET,
            "/api/v1/regions/{code}",
            Some(A::ViewRegions),
            "A region and its children",
            api::region,
        )
        .add(
            M::GET,
            "/api/v1/units",
            Some(A::ViewUnits),
            "Units in the user's area",
            api::units,
        )
        .add(
            M::GET,
            "/api/v1/channels",
            Some(A::ManageUnits),
            "Notification channels of the units in the admin's area, and their latest deliveries",
            api::channels,
        )
        .add(
            M::POST,
            "/api/v1/channels",
            Some(A::ManageUnits),
            "Add a notification channel to a unit",
            api::channel_create,
        )
        .add(
            M::GET,
            "/api/v1/users",
            Some(A::ManageUsers),
            "Users in the admin's area",
            api::users,
        )
        .add(
            M::GET,
            "/api/v1/audit",
            Some(A::ViewAudit),
            "Search the audit log",
            api::audit,
        )
        .add(
            M::GET,
            "/api/v1/figures",
            Some(A::ViewFigures),
            "Households and persons by district in the user's area",
            api::figures,
        )
        .add(
            M::POST,
            "/api/v1/clues",
            Some(A::ReportClue),
            "File a clue through any channel the caller may use (client_key makes resends safe)",
            api::clue_submit,
        )
        .add(M::POST, "/api/v1/clues/{channel}", Some(A::ReportClue), "File a clue through the channel named in the path (hotline, screening, application, department, sweep)", api::clue_submit_channel)
        .add(
            M::GET,
            "/api/v1/clues/mine",
            Some(A::ReportClue),
            "The caller's clues and their status",
            api::my_clues,
        )
        .add(
            M::GET,
            "/api/v1/inbox",
            Some(A::ViewLeads),
            "Leads waiting for a visit in the caller's area",
            api::inbox,
        )
        .add(
            M::GET,
            "/api/v1/leads/{id}",
            Some(A::ViewLeads),
            "A lead with its clues",
            api::lead,
        )
        .add(
            M::POST,
            "/api/v1/leads/{id}/visit",
            Some(A::VisitLeads),
            "Record a verification visit and its outcome",
            api::lead_visit,
        )
        .add(
            M::POST,
            "/api/v1/files/{id}/state",
            Some(A::ManageFiles),
            "Change a household file's state",
            api::file_state,
        )
        .add(
            M::GET,
            "/api/v1/figures/discovery",
            Some(A::ViewFigures),
            "Discovery figures for an area and period",
            api::discovery_figures,
        )
        .add(
            M::GET,
            "/api/v1/sweeps",
            Some(A::RunSweeps),
            "Sweeps in the caller's area with coverage",
            api::sweeps,
        )
        .add(
            M::POST,
            "/api/v1/sweeps",
            Some(A::RunSweeps),
            "Start a sweep",
            api::sweep_create,
        )
        .add(
            M::GET,
            "/api/v1/sweeps/{id}",
            Some(A::RunSweeps),
            "A sweep's households and findings (paged)",
            api::sweep,
        )
        .add(
            M::POST,
            "/api/v1/sweeps/{id}/visits",
            Some(A::RunSweeps),
            "Record a household's sweep visit; a concern files a clue",
            api::sweep_visit,
        )
        .add(
            M::GET,
            "/api/v1/groups",
            Some(A::ManageGroups),
            "Work groups in the caller's area",
            api::groups,
        )
        .add(
            M::POST,
            "/api/v1/groups",
            Some(A::ManageGroups),
            "Set up a work group",
            api::group_create,
        )
        .add(
            M::GET,
            "/api/v1/groups/{id}",
            Some(A::ManageGroups),
            "A work group and its members",
            api::group,
        )
        .add(
            M::POST,
            "/api/v1/groups/{id}/members",
            Some(A::ManageGroups),
            "Recruit a member into a group",
            api::group_member_add,
        )
        // The self-healing grid.
        .add(
            M::GET,
            "/grid",
            Some(A::OperateGrid),
            "The first network drawn, with a fault replayed step by step (?fault=LINE or ?channel=NAME)",
            gp::index,
        )
        .add(
            M::GET,
            "/grid/alarms",
            Some(A::OperateGrid),
            "Station monitoring alarms, open and recent",
            gp::alarms,
        )
        .add(
            M::POST,
            "/grid/alarms/{id}/ack",
            Some(A::OperateGrid),
            "Acknowledge an alarm with what was done",
            gp::acknowledge_alarm,
        )
        .add(
            M::GET,
            "/grid/dependents",
            Some(A::LinkPowerDependents),
            "Power-dependent households of one's area: links to loads, outage alerts",
            gp::dependents,
        )
        .add(
            M::POST,
            "/grid/links",
            Some(A::LinkPowerDependents),
            "Link a household to the load that feeds it, with consent",
            gp::link,
        )
        .add(
            M::POST,
            "/grid/links/{id}/remove",
            Some(A::LinkPowerDependents),
            "End a link",
            gp::unlink,
        )
        .add(
            M::POST,
            "/grid/alerts/{id}/ack",
            Some(A::LinkPowerDependents),
            "Acknowledge an outage alert",
            gp::acknowledge_alert,
        )
        .add(
            M::GET,
            "/grid/{id}",
            Some(A::OperateGrid),
            "A network drawn, with a fault replayed step by step",
            gp::network,
        )
        .add(
            M::POST,
            "/grid/{id}/fault",
            Some(A::OperateGrid),
            "Report a fault: plan it and alert the community workers of linked households it strands",
            gp::raise_fault,
        )
        // Social resources.
        .add(M::GET, "/resources", Some(A::ManageResources), "Matching desk: needs government items do not cover, matches and deliveries, offers, donors", rp::desk)
        .add(M::POST, "/resources/providers", Some(A::ManageResources), "Register a donor or provider of one's area", rp::register_provider)
        .add(M::POST, "/resources/offers", Some(A::ManageResources), "Add an offer of a provider of one's area", rp::add_offer)
        .add(M::POST, "/resources/matches/{id}/delivery", Some(A::ManageResources), "Record a match's delivery (what, ¥, date, by whom, feedback)", rp::deliver)
        .add(M::POST, "/resources/matches/{id}/cancel", Some(A::ManageResources), "Cancel a match not yet delivered; its quantity goes back to the offer", rp::cancel_match)
        .add(M::GET, "/households/{id}/resources", Some(A::ManageResources), "Offers that reach a household, with the consent form; its deliveries", rp::household)
        .add(M::POST, "/households/{id}/resources/match", Some(A::ManageResources), "Match an offer to a household, with consent, within capacity", rp::match_offer)
        .add(M::POST, "/households/{id}/volunteers", Some(A::ManageResources), "Assign a volunteer to a household for recurring visits", rp::assign_volunteer)
        .add(M::POST, "/households/{id}/appeals", Some(A::ManageResources), "Open an emergency appeal for a household", rp::open_appeal)
        .add(M::GET, "/volunteers", Some(A::ManageResources), "Volunteer assignments with hours, stipends and missed visits", rp::volunteers)
        .add(M::POST, "/volunteers/{id}/visits", Some(A::ManageResources), "Log a volunteer's visit", rp::log_visit)
        .add(M::GET, "/appeals", Some(A::ManageResources), "Emergency appeals of one's area with their ledgers", rp::appeals)
        .add(M::POST, "/appeals/{id}/entries", Some(A::ManageResources), "A ledger entry: pledge, receipt or disbursement", rp::appeal_entry)
        .add(M::POST, "/appeals/{id}/close", Some(A::ManageResources), "Close an appeal, moving the surplus by its rule", rp::close_appeal)
        .add(M::GET, "/appeals/{id}/public", None, "An appeal's public page: title and figures, nothing personal", rp::public_appeal)
        .add(M::GET, "/contracts", Some(A::ManageResources), "Purchased-services contracts with their delivery and payments", rp::contracts)
        .add(M::POST, "/contracts", Some(A::ManageFunds), "Record a contract with its deliverable and milestones", rp::create_contract)
        .add(M::POST, "/contracts/{id}/pay", Some(A::ManageFunds), "Pay a milestone once its share is delivered", rp::pay_milestone)
        .add(M::GET, "/provider", Some(A::ProvideResources), "A provider's own page: households matched to it, its offers, open appeals", rp::provider)
        .add(M::POST, "/provider/offers", Some(A::ProvideResources), "A provider adds an offer of its own", rp::provider_offer)
        .add(M::POST, "/provider/matches/{id}/delivery", Some(A::ProvideResources), "A provider records a delivery to a household matched to it", rp::provider_deliver)
        .add(M::POST, "/provider/appeals/{id}/give", Some(A::ProvideResources), "A registered donor pledges to an appeal or records a payment", rp::provider_give)
        .add(M::GET, "/api/v1/resources/offers", Some(A::ManageResources), "Offers that reach into one's area", api::resource_offers)
        .add(M::POST, "/api/v1/resources/matches", Some(A::ManageResources), "Match an offer to a household ({offer_id, household_id, need, quantity, consent_by})", api::resource_match)
        .add(M::POST, "/api/v1/resources/matches/{id}/delivery", Some(A::ManageResources), "Record a delivery ({what, value_yuan, delivered_on, delivered_by, feedback})", api::resource_delivery)
        .add(M::GET, "/api/v1/appeals/{id}", None, "An appeal's public figures", api::public_appeal)
        .add(M::POST, "/api/v1/appeals/{id}/entries", Some(A::ManageResources), "A ledger entry ({kind, amount_yuan, provider_id, note}); the figures after it", api::appeal_entry)
        .add(M::GET, "/api/v1/figures/resources", Some(A::ViewFigures), "Social-resource figures (?region=)", api::resource_figures)
        // The 12345 hotline.
        .add(
            M::GET,
            "/hotline",
            Some(A::TakeCalls),
            "Hotline desk: take a call, the centre's queue",
            hl::desk,
        )
        .add(
            M::POST,
            "/hotline/classify",
            Some(A::TakeCalls),
            "Classification of a call being typed (htmx fragment)",
            hl::preview,
        )
        .add(
            M::POST,
            "/hotline/requests",
            Some(A::TakeCalls),
            "Create a ticket from a call",
            hl::take_call,
        )
        .add(
            M::POST,
            "/hotline/chase",
            Some(A::TakeCalls),
            "Chase overdue tickets",
            hl::chase,
        )
        .add(
            M::GET,
            "/hotline/tickets",
            Some(A::AnswerTickets),
            "Tickets addressed to the user's unit",
            hl::tickets,
        )
        .add(
            M::GET,
            "/hotline/requests/{id}",
            Some(A::TakeCalls),
            "A hotline request with its steps, for the centre",
            hl::request,
        )
        .add(
            M::GET,
            "/hotline/tickets/{id}",
            Some(A::AnswerTickets),
            "A ticket addressed to the user's unit, with its steps",
            hl::ticket,
        )
        .add(
            M::POST,
            "/hotline/requests/{id}/centre",
            Some(A::TakeCalls),
            "A step of the centre: correct, dispatch, extension decision, call-back, reopen, merge, hand over as a clue",
            hl::centre_step,
        )
        .add(
            M::POST,
            "/hotline/tickets/{id}/unit",
            Some(A::AnswerTickets),
            "A step of the answering unit: accept, return, ask for time, reply",
            hl::unit_step,
        )
        .add(
            M::GET,
            "/hotline/models",
            Some(A::RetrainClassifier),
            "The hotline classifier's retrainings with their held-out figures",
            hl::models,
        )
        .add(
            M::POST,
            "/hotline/models/retrain",
            Some(A::RetrainClassifier),
            "Retrain the hotline classifier now; activated only if not worse",
            hl::retrain,
        )
        .add(
            M::GET,
            "/hotline/ranking",
            None,
            "The weekly hot-topic ranking with solved and unsolved requests (public)",
            hl::ranking,
        )
        .add(
            M::GET,
            "/hotline/ranking.xlsx",
            None,
            "The weekly publication as xlsx (public)",
            hl::ranking_xlsx,
        )
        .add(
            M::GET,
            "/12345",
            None,
            "The public request form",
            hl::public_form,
        )
        .add(
            M::POST,
            "/12345",
            None,
            "Send a request from the public form",
            hl::public_submit,
        )
        .add(
            M::GET,
            "/12345/requests/{id}",
            None,
            "A request's progress (public, no personal data)",
            hl::public_status,
        )
        .add(
            M::POST,
            "/api/v1/grid/networks/{id}/readings",
            Some(A::OperateGrid),
            "Readings of a network's sensors and inspection robots ([{sensor, at, value, source}]), all or none; the alarms raised",
            api::grid_readings,
        )
        .add(
            M::GET,
            "/api/v1/grid/alarms",
            Some(A::OperateGrid),
            "Station alarms (open ones; ?all=true for the recent ones too)",
            api::grid_alarms,
        )
        .add(
            M::POST,
            "/api/v1/hotline/requests",
            Some(A::TakeCalls),
            "Take a call from another system: classified, routed, duplicates offered",
            api::hotline_create,
        )
        .add(
            M::GET,
            "/api/v1/hotline/requests/{id}",
            Some(A::TakeCalls),
            "A hotline request with its steps",
            api::hotline_request,
        )
        .add(
            M::GET,
            "/api/v1/hotline/ranking",
            None,
            "The weekly hot-topic ranking (?week=2026-W33; public)",
            api::hotline_ranking,
        )
        // Open311 GeoReport v2 (public; POST needs an api_key).
        .add(
            M::GET,
            "/open311/v2/{file}",
            None,
            "Open311: discovery, services, requests (.json or .xml)",
            open311::get_root,
        )
        .add(
            M::POST,
            "/open311/v2/{file}",
            None,
            "Open311: create a request, post an update (.json or .xml)",
            open311::post_root,
        )
        .add(
            M::GET,
            "/open311/v2/services/{file}",
            None,
            "Open311: a service definition (its attributes)",
            open311::service_definition,
        )
        .add(
            M::GET,
            "/open311/v2/requests/{file}",
            None,
            "Open311: one request",
            open311::one_request,
        )
        .add(
            M::GET,
            "/open311/v2/tokens/{file}",
            None,
            "Open311: the request id of a token",
            open311::token,
        )
        .add(
            M::GET,
            "/api/v1/openapi.json",
            None,
            "This API's OpenAPI 3 document",
            openapi::document,
        )
}

/// Every route with the action it requires.
pub fn route_specs() -> Vec<RouteSpec> {
    register().specs
}

pub(crate) fn build(state: AppState, metrics: crate::metrics::Metrics) -> Router {
    use tower::ServiceBuilder;
    use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::timeout::TimeoutLayer;
    let timeout = match state.config.request_timeout_secs {
        0 => 60,
        secs => secs,
    };
    let routes = register();
    routes
        .router
        .fallback(html::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(state)
        // Outermost first: every request gets an id (answered as X-Request-Id and written in
        // its log line), a bounded time, and its count, duration and log line by route.
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(
                    crate::metrics::RequestIds::new(),
                ))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(
                    metrics,
                    crate::metrics::track,
                ))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    std::time::Duration::from_secs(timeout),
                )),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use minsheng_app::Actor;
    use tower::ServiceExt;

    /// The action a route declares is checked by the router itself: a handler that checks
    /// nothing is still unreachable without the right role.
    #[tokio::test]
    async fn the_router_refuses_what_a_route_does_not_permit_before_its_handler_runs() {
        let (store, _guard) = minsheng_store::testing::fresh_store(minsheng_app::Backend::Sqlite)
            .await
            .expect("store");
        let app = minsheng_app::App::new(store, minsheng_app::Settings::default()).expect("app");
        let state = AppState {
            shared_app: std::sync::Arc::new(app.clone()),
            app,
            config: crate::WebConfig::default(),
            limits: limits::Limits::new(limits::RateSettings::default()),
        };
        let routes = Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
        .add(
            Method::GET,
            "/guarded",
            Some(Action::ManageUsers),
            "a handler that checks nothing",
            || async { "the handler ran" },
        );
        let router: Router = routes
            .router
            .layer(middleware::from_fn(
                |mut req: axum::extract::Request, next: middleware::Next| async move {
                    let who = req
                        .headers()
                        .get("x-who")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    match who.as_deref() {
                        Some("operator") => {
                            req.extensions_mut()
                                .insert(Actor::command_line(minsheng_store::Scope::nothing()));
                        }
                        Some(name) => {
                            req.extensions_mut()
                                .insert(Actor::outside(name, "10.0.0.1"));
                        }
                        None => {}
                    }
                    next.run(req).await
                },
            ))
            .with_state(state);
        let call = |who: Option<&'static str>| {
            let router = router.clone();
            async move {
                let mut request = Request::builder().uri("/guarded");
                if let Some(who) = who {
                    request = request.header("x-who", who);
                }
                router
                    .oneshot(request.body(Body::empty()).expect("request"))
                    .await
                    .expect("response")
                    .status()
            }
        };
        assert_eq!(call(Some("operator")).await, StatusCode::OK);
        assert_eq!(call(Some("citizen")).await, StatusCode::FORBIDDEN);
        assert_eq!(
            call(None).await,
            StatusCode::SEE_OTHER,
            "anonymous: sign in first"
        );
    }
}
