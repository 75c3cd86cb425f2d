//! A demo world behind the real router, and a small client that signs in as any demo user.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use minsheng_app::admin::NewUserInput;
use minsheng_app::assessment::SurveyForm;
use minsheng_app::demo::{DemoAccount, DemoOptions};
use minsheng_app::discovery::ClueSubmission;
use minsheng_app::{Actor, App, Backend, Settings};
use minsheng_domain::Role;
use minsheng_domain::id_number::check_digit;
use minsheng_store::audit::{self, AuditFilter, AuditRow};
use minsheng_store::registry::{self, ListFilter};
use minsheng_store::testing::fresh_store;
use minsheng_store::{Conn, Scope, Sql, vals};
use minsheng_web::WebConfig;
use tower::ServiceExt;

use super::{Expect, Target};

/// A signed-in caller (or an anonymous one).
#[derive(Clone)]
pub struct Who {
    pub password: String,
    pub session: Option<String>,
    pub csrf: String,
    pub bearer: Option<String>,
    pub scope: Scope,
    pub roles: Vec<Role>,
    /// The interface language asked for by cookie ("zh", "en"), or none (the default).
    pub lang: Option<&'static str>,
}

impl Who {
    pub fn anonymous() -> Who {
        Who {
            password: String::new(),
            session: None,
            csrf: String::new(),
            bearer: None,
            scope: Scope::nothing(),
            roles: Vec::new(),
            lang: None,
        }
    }

    pub fn bearer(token: &str) -> Who {
        Who {
            bearer: Some(token.to_string()),
            ..Who::anonymous()
        }
    }
}

pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub accounts: Vec<DemoAccount>,
    /// One household (and its head) in each of several areas, to pick inside or outside from.
    candidates: Vec<(i64, i64, i64)>,
    /// Open demo leads (id, region) and household files (id, household, region).
    open_leads: Vec<(i64, i64)>,
    files: Vec<(i64, i64, i64)>,
    sweeps: Vec<(i64, i64)>,
    groups: Vec<(i64, i64)>,
    photos: Vec<(i64, i64)>,
    /// Recognised assessments (id, region), one per candidate area.
    assessments: Vec<(i64, i64)>,
    /// Their households (id, region), each with a plan.
    assessed: Vec<(i64, i64)>,
    /// Items of those plans (id, region).
    plan_items: Vec<(i64, i64)>,
    /// Households without any assessment yet (id, region), taken one per use.
    fresh: std::sync::Mutex<Vec<(i64, i64)>>,
    models: Vec<i64>,
    counter: AtomicU64,
}

pub const MATRIX_TARGET_USER: &str = "matrix.target";
const MATRIX_ASSESSOR: &str = "matrix.assessor";
const MATRIX_ASSESSOR_PASSWORD: &str = "matrix-assessor-password";
const EVERYTHING: (i64, i64) = (100_000_000_000, 999_999_999_999);

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        let (store, _) = fresh_store(backend).await.expect("store");
        let app = App::new(store, Settings::default()).expect("app");
        let accounts = app
            .create_demo(
                DemoOptions {
                    households: 120,
                    seed: 11,
                    discovery: None,
                    assessments: 6,
                    hotline: 40,
                    resources: true,
                    communities: minsheng_app::demo::Communities::DemoDistricts,
                },
                &|_, _, _| {},
            )
            .await
            .expect("demo");
        let operator = Actor::command_line(app.everything().await.expect("scope"));
        app.add_user(
            &operator,
            &NewUserInput {
                username: MATRIX_TARGET_USER.into(),
                display_name: "矩阵测试".into(),
                unit: "巴南区民政局".into(),
                roles: vec![Role::Volunteer],
                password: "matrix-target-password".into(),
            },
        )
        .await
        .expect("target user");
        // An assessor of a city-wide organisation, so every candidate area can be assessed.
        app.add_user(
            &operator,
            &NewUserInput {
                username: MATRIX_ASSESSOR.into(),
                display_name: "全市评估员".into(),
                unit: "重庆市民政局".into(),
                roles: vec![Role::Assessor],
                password: MATRIX_ASSESSOR_PASSWORD.into(),
            },
        )
        .await
        .expect("matrix assessor");
        let mut candidates = Vec::new();
        for region in [
            500_113_003_002_i64,
            500_229_000_000,
            500_103_000_000,
            500_112_009_000,
        ] {
            let code = minsheng_domain::RegionCode::from_i64(region).expect("code");
            let scope = Scope::from_ranges(vec![code.subtree()]);
            let filter = ListFilter {
                limit: 1,
                ..ListFilter::default()
            };
            let found = registry::list_households(&mut app.store().reader(), &scope, &filter)
                .await
                .expect("list");
            if let Some(h) = found.first() {
                candidates.push((h.id, h.head_person_id.expect("head"), h.region_code));
            }
        }
        assert_eq!(
            candidates.len(),
            4,
            "the demo must have households in every candidate area"
        );
        let open_leads: Vec<(i64, i64)> = app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT id, region_code FROM leads WHERE is_open ORDER BY id",
            ))
            .await
            .expect("leads");
        let files: Vec<(i64, i64, i64)> = app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT id, household_id, region_code FROM household_files ORDER BY id",
            ))
            .await
            .expect("files");
        let sweeps: Vec<(i64, i64)> = app
            .store()
            .reader()
            .all(Sql::new("SELECT id, region_code FROM sweeps ORDER BY id"))
            .await
            .expect("sweeps");
        assert!(
            sweeps.len() >= 2,
            "the demo has sweeps inside and outside 巴南区"
        );
        let groups: Vec<(i64, i64)> = app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT id, region_code FROM work_groups WHERE level = 'district' ORDER BY id",
            ))
            .await
            .expect("groups");
        let photos: Vec<(i64, i64)> = app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT p.id, l.region_code FROM photos p JOIN clues k ON k.id = p.clue_id \
                 JOIN leads l ON l.id = k.lead_id ORDER BY p.id",
            ))
            .await
            .expect("photos");
        // Assessments: one recognised in each candidate area; other households stay fresh.
        let mut assessments = Vec::new();
        let mut assessed_households = Vec::new();
        let mut plan_items = Vec::new();
        let mut fresh = Vec::new();
        let assessor = app
            .login(MATRIX_ASSESSOR, MATRIX_ASSESSOR_PASSWORD, "10.0.0.9")
            .await
            .expect("assessor signs in")
            .actor;
        let already: Vec<(i64,)> = app
            .store()
            .reader()
            .all(Sql::new("SELECT household_id FROM assessments"))
            .await
            .expect("demo assessments");
        for (_, _, region) in &candidates {
            let code = minsheng_domain::RegionCode::from_i64(*region).expect("code");
            let scope = Scope::from_ranges(vec![code.subtree()]);
            let filter = ListFilter {
                limit: 200,
                ..ListFilter::default()
            };
            let found = registry::list_households(&mut app.store().reader(), &scope, &filter)
                .await
                .expect("list");
            let found: Vec<_> = found
                .into_iter()
                .filter(|h| !already.iter().any(|(a,)| *a == h.id))
                .collect();
            let Some((first, rest)) = found.split_first() else {
                continue;
            };
            let id = assessed(&app, &operator, &assessor, first.id, true).await;
            assessments.push((id, first.region_code));
            assessed_households.push((first.id, first.region_code));
            let plan = app.create_plan(&operator, first.id).await.expect("plan");
            let items: Vec<(i64,)> = app
                .store()
                .reader()
                .all(Sql::with(
                    "SELECT id FROM plan_items WHERE plan_id = $1 ORDER BY id",
                    vals![plan],
                ))
                .await
                .expect("items");
            plan_items.extend(items.into_iter().map(|(i,)| (i, first.region_code)));
            fresh.extend(rest.iter().map(|h| (h.id, h.region_code)));
        }
        let models = app
            .list_models(&operator)
            .await
            .expect("models")
            .into_iter()
            .filter(|m| m.model_id == "global-mpi")
            .map(|m| m.id)
            .collect();
        let router = minsheng_web::router(app.clone(), WebConfig::default());
        TestApp {
            assessments,
            assessed: assessed_households,
            plan_items,
            fresh: std::sync::Mutex::new(fresh),
            models,
            app,
            router,
            accounts,
            candidates,
            open_leads,
            files,
            sweeps,
            groups,
            photos,
            counter: AtomicU64::new(1),
        }
    }

    pub fn password(&self, username: &str) -> String {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .map(|a| a.password.clone())
            .expect("demo account")
    }

    /// Signs in through the API and returns a caller holding the cookie and CSRF token.
    pub async fn sign_in(&self, username: &str) -> Who {
        let password = self.password(username);
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {username}");
        let session = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix("ms_session=")
                    .map(|rest| rest.split(';').next().unwrap_or("").to_string())
            })
            .expect("session cookie");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let csrf = json["csrf_token"].as_str().expect("csrf").to_string();
        let actor = self
            .app
            .session_actor(&session, "test")
            .await
            .expect("lookup")
            .expect("actor");
        Who {
            password,
            session: Some(session),
            csrf,
            bearer: None,
            scope: actor.scope().clone(),
            roles: actor.roles().to_vec(),
            lang: None,
        }
    }

    fn household(&self, who: &Who, outside: bool) -> Option<(i64, i64, i64)> {
        let mut found = self
            .candidates
            .iter()
            .copied()
            .filter(|(_, _, region)| who.scope.contains(*region) != outside);
        match (found.next(), outside) {
            (Some(c), _) => Some(c),
            // A role with no files in its area still gets a real id, to be refused.
            (None, false) => self.candidates.first().copied(),
            (None, true) => None,
        }
    }

    /// The concrete path to call for a route pattern, or `None` when the case does not exist
    /// (nothing lies outside an area that covers the whole city).
    pub async fn path_for(
        &self,
        who: &Who,
        pattern: &str,
        target: Target,
        outside: bool,
    ) -> Option<String> {
        let fill = |value: String| {
            let start = pattern.find('{')?;
            let end = pattern.find('}')?;
            Some(format!(
                "{}{}{}",
                &pattern[..start],
                value,
                &pattern[end + 1..]
            ))
        };
        match target {
            // The export needs its format; every other plain route is called as it is.
            Target::Nothing if pattern == "/households/export" => {
                (!outside).then(|| format!("{pattern}?format=xlsx"))
            }
            Target::Nothing => (!outside).then(|| pattern.to_string()),
            Target::Household => self
                .household(who, outside)
                .and_then(|(h, _, _)| fill(h.to_string())),
            Target::Person => self
                .household(who, outside)
                .and_then(|(_, p, _)| fill(p.to_string())),
            Target::Town => {
                let towns = [500_113_003_000_i64, 500_229_001_000, 500_112_009_000];
                let town = towns
                    .iter()
                    .find(|t| who.scope.contains(**t) != outside)
                    .or(if outside { None } else { towns.first() })?;
                let code = minsheng_domain::RegionCode::from_i64(*town)?.short();
                fill(code)
            }
            Target::Region => (!outside).then(|| fill("500113".into())).flatten(),
            Target::Username => (!outside)
                .then(|| fill(MATRIX_TARGET_USER.into()))
                .flatten(),
            Target::StaticFile => (!outside).then(|| fill("app.css".into())).flatten(),
            // A visit decides a lead once: each call gets a fresh one.
            Target::Lead if pattern.ends_with("/visit") => {
                let (_, _, region) = self.household(who, outside)?;
                fill(self.fresh_lead(region).await.to_string())
            }
            Target::Lead => fill(pick(&self.open_leads, who, outside)?.to_string()),
            // A channel the caller may use (a role without one is refused before it matters).
            Target::Channel => {
                let channel = who
                    .roles
                    .iter()
                    .find_map(|r| minsheng_domain::authz::channels_for(*r).first())
                    .copied()
                    .unwrap_or("hotline");
                (!outside).then(|| fill(channel.into())).flatten()
            }
            Target::Photo => fill(pick(&self.photos, who, outside)?.to_string()),
            Target::Group => fill(pick(&self.groups, who, outside)?.to_string()),
            Target::Sweep => fill(pick(&self.sweeps, who, outside)?.to_string()),
            Target::HouseholdFile => {
                let file = self
                    .files
                    .iter()
                    .find(|(_, _, r)| who.scope.contains(*r) != outside)?;
                fill(file.0.to_string())
            }
            Target::Lang => (!outside).then(|| fill("en".into())).flatten(),
            // A grant someone else asked for, for the matrix's user (in 巴南区).
            Target::RoleGrant => {
                if who.scope.contains(500_113_000_000) == outside {
                    return None;
                }
                let mut tx = self.app.store().begin().await.expect("begin");
                tx.execute(Sql::with(
                    "INSERT INTO role_grants (user_id, role, requested_by, requested_by_name, requested_at, state) \
                     SELECT id, 'district_officer', NULL, 'matrix', 1, 'pending' FROM users WHERE username = $1 \
                     ON CONFLICT DO NOTHING",
                    vals![MATRIX_TARGET_USER],
                ))
                .await
                .expect("grant");
                let (id,): (i64,) = tx
                    .one(Sql::with(
                        "SELECT g.id FROM role_grants g JOIN users u ON u.id = g.user_id \
                         WHERE u.username = $1 AND g.state = 'pending'",
                        vals![MATRIX_TARGET_USER],
                    ))
                    .await
                    .expect("pending grant");
                tx.commit().await.expect("commit");
                fill(id.to_string())
            }
            Target::NotifyChannel => {
                let units: Vec<(i64, i64)> = self
                    .app
                    .store()
                    .reader()
                    .all(Sql::new("SELECT id, region_code FROM units ORDER BY id"))
                    .await
                    .expect("units");
                let (unit, _) = units
                    .into_iter()
                    .find(|(_, region)| who.scope.contains(*region) != outside)?;
                let mut tx = self.app.store().begin().await.expect("begin");
                let (id,): (i64,) = tx
                    .one(Sql::with(
                        "INSERT INTO notification_channels (unit_id, kind, target, secret, events, enabled, created_at) \
                         VALUES ($1, 'webhook', 'https://receiver.invalid/hook', '', '*', TRUE, 1) RETURNING id",
                        vals![unit],
                    ))
                    .await
                    .expect("channel");
                tx.commit().await.expect("commit");
                fill(id.to_string())
            }
            // Another user's token is as absent as one that does not exist.
            Target::OwnToken => {
                let owner = if outside {
                    self.app
                        .login(MATRIX_TARGET_USER, "matrix-target-password", "10.0.0.9")
                        .await
                        .ok()?
                        .actor
                } else {
                    self.app
                        .session_actor(who.session.as_deref()?, "test")
                        .await
                        .ok()??
                };
                self.app.issue_api_token(&owner, "matrix").await.ok()?;
                let id = self.app.own_api_tokens(&owner).await.ok()?.first()?.id;
                fill(id.to_string())
            }
            // The centre sees the whole city: no request is outside an agent's area.
            Target::HotlineRequest => {
                if outside {
                    return None;
                }
                let (id,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::new("SELECT MIN(id) FROM hotline_requests"))
                    .await
                    .expect("a demo request");
                fill(id.to_string())
            }
            Target::OwnTicket => fill(self.ticket_for(who, outside).await?.to_string()),
            Target::GridNetwork => {
                if outside {
                    return None;
                }
                fill(self.grid_network().await.to_string())
            }
            // Alarms have no area: an operator sees them all.
            Target::GridAlarm => {
                if outside {
                    return None;
                }
                fill(self.grid_alarm().await.to_string())
            }
            Target::GridLink => fill(self.grid_link(who, outside).await?.to_string()),
            Target::GridAlert => {
                let link = self.grid_link(who, outside).await?;
                fill(self.grid_alert(link).await.to_string())
            }
            Target::Match => {
                let (household, _, _) = self.household(who, outside)?;
                let offer = self.matrix_offer(true).await;
                fill(self.fresh_match(household, offer).await.to_string())
            }
            Target::ProviderMatch => {
                let (household, _, _) = *self.candidates.first()?;
                let offer = self.matrix_offer(!outside).await;
                fill(self.fresh_match(household, offer).await.to_string())
            }
            Target::Assignment => {
                let (household, _, _) = self.household(who, outside)?;
                fill(self.fresh_assignment(household).await.to_string())
            }
            Target::Appeal => {
                let (household, _, _) = self.household(who, outside)?;
                fill(self.fresh_appeal(household).await.to_string())
            }
            Target::OpenAppeal => {
                if outside {
                    return None;
                }
                let (household, _, _) = *self.candidates.first()?;
                fill(self.fresh_appeal(household).await.to_string())
            }
            Target::Contract => {
                let (_, _, region) = self.household(who, outside)?;
                fill(self.fresh_contract(region).await.to_string())
            }
            Target::Assessment => fill(pick(&self.assessments, who, outside)?.to_string()),
            Target::Model => (!outside)
                .then(|| fill(self.models.first()?.to_string()))
                .flatten(),
            Target::FreshHousehold => fill(self.take_fresh(who, outside)?.to_string()),
            Target::AssessedHousehold => fill(pick(&self.assessed, who, outside)?.to_string()),
            Target::PlanItem => fill(pick(&self.plan_items, who, outside)?.to_string()),
            Target::ReturnedReferral => {
                let permitted =
                    minsheng_domain::roles_permit(&who.roles, minsheng_domain::Action::ManageHelp);
                if outside || !permitted {
                    let any = self.all_referrals().await;
                    let fallback = if outside {
                        None
                    } else {
                        any.first().map(|r| r.0)
                    };
                    return fill(pick(&any, who, outside).or(fallback)?.to_string());
                }
                fill(self.returned_referral(who).await?.to_string())
            }
            Target::AcceptedItem
            | Target::ApprovedCivilItem
            | Target::OwnReferral
            | Target::UnpaidCase
            | Target::PaidCase => {
                let action = match target {
                    Target::AcceptedItem => minsheng_domain::Action::ApproveHelp,
                    Target::OwnReferral => minsheng_domain::Action::HandleReferrals,
                    _ => minsheng_domain::Action::ManageHelp,
                };
                let permitted = minsheng_domain::roles_permit(&who.roles, action);
                let existing = match target {
                    Target::UnpaidCase | Target::PaidCase => {
                        self.emergency_case(who, outside).await
                    }
                    Target::OwnReferral => pick(&self.all_referrals().await, who, outside),
                    _ => pick(&self.plan_items, who, outside),
                };
                if outside || !permitted {
                    return fill(
                        existing
                            .or(if outside {
                                None
                            } else {
                                self.plan_items.first().map(|p| p.0)
                            })?
                            .to_string(),
                    );
                }
                let id = self.fresh_help_target(who, target).await?;
                fill(id.to_string())
            }
            Target::OwnDraft | Target::Submitted => {
                let action = if target == Target::OwnDraft {
                    minsheng_domain::Action::SurveyHouseholds
                } else {
                    minsheng_domain::Action::ReviewAssessments
                };
                let permitted = minsheng_domain::roles_permit(&who.roles, action);
                if outside || !permitted {
                    return fill(
                        pick(&self.assessments, who, outside)
                            .or(if outside {
                                None
                            } else {
                                self.assessments.first().map(|a| a.0)
                            })?
                            .to_string(),
                    );
                }
                let operator = Actor::command_line(self.app.everything().await.expect("scope"));
                let household = self.take_fresh(who, false)?;
                let id = if target == Target::OwnDraft {
                    let surveyor = self
                        .app
                        .session_actor(who.session.as_deref()?, "test")
                        .await
                        .expect("lookup")
                        .expect("actor");
                    assessed(&self.app, &operator, &surveyor, household, false).await
                } else {
                    let assessor = self
                        .app
                        .login(MATRIX_ASSESSOR, MATRIX_ASSESSOR_PASSWORD, "10.0.0.9")
                        .await
                        .expect("assessor")
                        .actor;
                    let id = assessed(&self.app, &operator, &assessor, household, false).await;
                    submitted(&self.app, &assessor, id).await;
                    id
                };
                fill(id.to_string())
            }
        }
    }

    fn operator(&self) -> Actor {
        Actor::command_line(Scope::from_ranges(vec![EVERYTHING]))
    }

    /// The demo charity's own provider (its unit has the `charity` account), or (`own` false)
    /// a provider without accounts.
    async fn matrix_provider(&self, own: bool) -> i64 {
        let sql = if own {
            "SELECT MIN(p.id) FROM resource_providers p JOIN users u ON u.unit_id = p.unit_id \
             WHERE u.username = 'charity'"
        } else {
            "SELECT MIN(id) FROM resource_providers WHERE unit_id IS NULL"
        };
        let (id,): (Option<i64>,) = self
            .app
            .store()
            .reader()
            .one(Sql::new(sql))
            .await
            .expect("provider");
        id.expect("the demo registers providers")
    }

    /// A city-wide offer with room for every test, of the charity (`own`) or of another
    /// provider; made on first use.
    async fn matrix_offer(&self, own: bool) -> i64 {
        let what = if own {
            "矩阵测试资源"
        } else {
            "矩阵测试他方资源"
        };
        let found: Option<(i64,)> = self
            .app
            .store()
            .reader()
            .optional(Sql::with(
                "SELECT id FROM resource_offers WHERE what = $1",
                vals![what],
            ))
            .await
            .expect("offer");
        if let Some((id,)) = found {
            return id;
        }
        let provider_id = self.matrix_provider(own).await;
        self.app
            .add_offer(
                &self.operator(),
                &minsheng_app::resources::OfferInput {
                    provider_id,
                    kind: "goods".into(),
                    what: what.into(),
                    description: String::new(),
                    region: "500000000000".into(),
                    capacity: 1_000_000.0,
                    unit: "items".into(),
                    valid_until: None,
                },
            )
            .await
            .expect("matrix offer")
    }

    async fn fresh_match(&self, household: i64, offer: i64) -> i64 {
        self.app
            .match_offer(
                &self.operator(),
                &minsheng_app::resources::MatchInput {
                    offer_id: offer,
                    household_id: household,
                    need: "矩阵测试需求".into(),
                    quantity: 1.0,
                    consent_by: "户主本人".into(),
                },
            )
            .await
            .expect("match")
    }

    async fn fresh_assignment(&self, household: i64) -> i64 {
        let today = minsheng_domain::time_util::today_in_china();
        self.app
            .assign_volunteer(
                &self.operator(),
                &minsheng_app::resources::AssignmentInput {
                    household_id: household,
                    volunteer: "矩阵志愿者".into(),
                    service: "探访".into(),
                    every_days: 7,
                    starts_on: (today - time::Duration::days(14)).to_string(),
                    ends_on: None,
                    stipend_yuan: None,
                    stipend_payer: String::new(),
                },
            )
            .await
            .expect("assignment")
    }

    async fn fresh_appeal(&self, household: i64) -> i64 {
        let today = minsheng_domain::time_util::today_in_china();
        self.app
            .open_appeal(
                &self.operator(),
                &minsheng_app::resources::AppealInput {
                    household_id: household,
                    title: "矩阵测试众筹".into(),
                    target_yuan: 10_000.0,
                    ends_on: (today + time::Duration::days(30)).to_string(),
                    surplus_rule: "转入临时救助备用金".into(),
                },
            )
            .await
            .expect("appeal")
    }

    /// A contract of the demo social-work organisation (no accounts, so no one's area moves).
    async fn fresh_contract(&self, region: i64) -> i64 {
        let today = minsheng_domain::time_util::today_in_china();
        let unit = self.social_work_unit().await;
        self.app
            .create_contract(
                &self.operator(),
                &minsheng_app::resources::ContractInput {
                    unit_id: unit,
                    name: "矩阵测试合同".into(),
                    region: region.to_string(),
                    budget_yuan: 1000.0,
                    starts_on: (today - time::Duration::days(1)).to_string(),
                    ends_on: (today + time::Duration::days(30)).to_string(),
                    deliverables: vec![("service_visits".into(), 10)],
                    milestones: vec![("首期".into(), 100.0, 0.0)],
                },
            )
            .await
            .expect("contract")
    }

    async fn social_work_unit(&self) -> i64 {
        let (id,): (i64,) = self
            .app
            .store()
            .reader()
            .one(Sql::new(
                "SELECT MIN(id) FROM units WHERE kind = 'social_work_org'",
            ))
            .await
            .expect("a social-work organisation");
        id
    }

    /// A provider of the caller's area (staff add offers for it).
    async fn provider_in(&self, who: &Who) -> i64 {
        let all: Vec<(i64, i64)> = self
            .app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT id, region_code FROM resource_providers ORDER BY region_code DESC, id",
            ))
            .await
            .expect("providers");
        all.iter()
            .find(|(_, r)| who.scope.contains(*r))
            .or(all.first())
            .map_or(0, |p| p.0)
    }

    /// Every referral (id, region).
    async fn all_referrals(&self) -> Vec<(i64, i64)> {
        self.app
            .store()
            .reader()
            .all(Sql::new(
                "SELECT id, region_code FROM referrals ORDER BY id",
            ))
            .await
            .expect("referrals")
    }

    /// A charity referral of a 巴南区 household in the caller's area, returned by its receiver
    /// (巴南区红十字会), so it can go on to 重庆市慈善总会.
    async fn returned_referral(&self, who: &Who) -> Option<i64> {
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let household = self
            .assessed
            .iter()
            .find(|(_, r)| {
                who.scope.contains(*r) && (500_113_000_000..=500_113_999_999).contains(r)
            })?
            .0;
        let plan = self
            .app
            .create_plan(&operator, household)
            .await
            .expect("plan");
        let item = match self
            .app
            .add_plan_item(&operator, plan, "other_charity", None, "matrix")
            .await
        {
            Ok(id) => id,
            Err(_) => {
                let (id,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT id FROM plan_items WHERE plan_id = $1 AND item_code = 'other_charity'",
                        vals![plan],
                    ))
                    .await
                    .expect("item");
                id
            }
        };
        let (version,): (i64,) = self
            .app
            .store()
            .reader()
            .one(Sql::with(
                "SELECT row_version FROM plan_items WHERE id = $1",
                vals![item],
            ))
            .await
            .expect("version");
        self.app
            .decide_plan_item(&operator, item, version, true, "")
            .await
            .expect("accept");
        let referral = self
            .app
            .approve_plan_item(&operator, item, version + 1)
            .await
            .expect("approve")?;
        let mut tx = self.app.store().begin().await.expect("tx");
        tx.execute(Sql::with(
            "UPDATE referrals SET state = 'returned' WHERE id = $1",
            vals![referral],
        ))
        .await
        .expect("returned");
        tx.commit().await.expect("commit");
        Some(referral)
    }

    /// An emergency case inside (or outside) the caller's area, made on the spot.
    async fn emergency_case(&self, who: &Who, outside: bool) -> Option<i64> {
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let household = self.take_fresh(who, outside)?;
        Some(
            self.app
                .open_emergency(&operator, household, "temporary_emergency", "matrix")
                .await
                .expect("case"),
        )
    }

    /// A hotline ticket made on the spot and dispatched to the caller's unit (or, outside, to
    /// another unit).
    pub async fn grid_network(&self) -> i64 {
        let (id,): (i64,) = self
            .app
            .store()
            .reader()
            .one(Sql::new("SELECT MIN(id) FROM grid_networks"))
            .await
            .expect("the demo network");
        id
    }

    /// An open alarm: the oldest, or a smoke alarm raised now.
    async fn grid_alarm(&self) -> i64 {
        let open: Option<(i64,)> = self
            .app
            .store()
            .reader()
            .optional(Sql::new(
                "SELECT id FROM grid_alarms WHERE state = 'open' ORDER BY id LIMIT 1",
            ))
            .await
            .expect("alarms");
        if let Some((id,)) = open {
            return id;
        }
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let raised = self
            .app
            .record_readings(
                &operator,
                self.grid_network().await,
                &[minsheng_app::grid::ReadingIn {
                    sensor: "P2-S".into(),
                    at: None,
                    value: 1.0,
                    source: None,
                }],
            )
            .await
            .expect("readings");
        raised[0]
    }

    /// A link of a household in (or outside) the caller's area, written directly.
    async fn grid_link(&self, who: &Who, outside: bool) -> Option<i64> {
        let (household, _, region) = self.household(who, outside)?;
        let network = self.grid_network().await;
        let mut tx = self.app.store().begin().await.expect("tx");
        let (id,): (i64,) = tx
            .one(Sql::with(
                "INSERT INTO grid_links (network_id, load_id, household_id, region_code, consent_by, consent_at, \
                 created_at) VALUES ($1, $2, $3, $4, '矩阵测试', 1, 1) RETURNING id",
                vals![network, format!("matrix-{}", self.next()), household, region],
            ))
            .await
            .expect("link");
        tx.commit().await.expect("commit");
        Some(id)
    }

    async fn grid_alert(&self, link: i64) -> i64 {
        let mut tx = self.app.store().begin().await.expect("tx");
        let (id,): (i64,) = tx
            .one(Sql::with(
                "INSERT INTO grid_alerts (link_id, region_code, kind, fault, expected_minutes, raised_at) \
                 SELECT id, region_code, 'outage', 'line L3', 240.0, 1 FROM grid_links WHERE id = $1 RETURNING id",
                vals![link],
            ))
            .await
            .expect("alert");
        tx.commit().await.expect("commit");
        id
    }

    async fn ticket_for(&self, who: &Who, outside: bool) -> Option<i64> {
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let caller = self
            .app
            .session_actor(who.session.as_deref()?, "test")
            .await
            .expect("lookup")?;
        let own = caller.unit_id()?;
        let (unit,): (i64,) = if outside {
            self.app
                .store()
                .reader()
                .one(Sql::with(
                    "SELECT MIN(id) FROM units WHERE id <> $1",
                    vals![own],
                ))
                .await
                .expect("another unit")
        } else {
            (own,)
        };
        let taken = self
            .app
            .submit_request(
                &operator,
                &minsheng_app::hotline::RequestSubmission {
                    channel: "phone".into(),
                    description: format!("矩阵测试：门口路灯不亮{}", self.next()),
                    ..Default::default()
                },
            )
            .await
            .expect("intake");
        let version = self.hotline_version(taken.id).await;
        self.app
            .dispatch_request(&operator, taken.id, version, unit)
            .await
            .expect("dispatch");
        Some(taken.id)
    }

    async fn hotline_version(&self, id: i64) -> i64 {
        self.app
            .store()
            .reader()
            .optional::<(i64,)>(Sql::with(
                "SELECT row_version FROM hotline_requests WHERE id = $1",
                vals![id],
            ))
            .await
            .expect("request")
            .map_or(1, |(v,)| v)
    }

    /// Makes what a help route acts on, inside the caller's area, fresh for each call.
    async fn fresh_help_target(&self, who: &Who, target: Target) -> Option<i64> {
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let caller = self
            .app
            .session_actor(who.session.as_deref()?, "test")
            .await
            .expect("lookup")
            .expect("actor");
        let mut c = self.app.store().reader();
        match target {
            Target::UnpaidCase | Target::PaidCase => {
                let case = self.emergency_case(who, false).await?;
                let (town,): (i64,) = c
                    .one(Sql::with(
                        "SELECT town_code FROM emergency_cases WHERE id = $1",
                        vals![case],
                    ))
                    .await
                    .expect("case");
                let code = minsheng_domain::RegionCode::from_i64(town)?.short();
                self.app
                    .top_up_fund(&operator, &code, 1000.0, "matrix")
                    .await
                    .expect("top up");
                if target == Target::PaidCase {
                    self.app
                        .pay_emergency(&operator, case, 100.0)
                        .await
                        .expect("pay");
                }
                Some(case)
            }
            Target::OwnReferral => {
                let item = if caller.roles().contains(&Role::CharityHandler) {
                    "other_charity"
                } else {
                    "education_work_study"
                };
                for (household, _) in &self.assessed {
                    let plan = self
                        .app
                        .create_plan(&operator, *household)
                        .await
                        .expect("plan");
                    let Ok(added) = self
                        .app
                        .add_plan_item(&operator, plan, item, None, "matrix")
                        .await
                    else {
                        continue;
                    };
                    self.app
                        .decide_plan_item(&operator, added, 1, true, "")
                        .await
                        .expect("accept");
                    let Ok(Some(referral)) = self.app.approve_plan_item(&operator, added, 2).await
                    else {
                        continue;
                    };
                    let (unit,): (i64,) = c
                        .one(Sql::with(
                            "SELECT receiver_unit_id FROM referrals WHERE id = $1",
                            vals![referral],
                        ))
                        .await
                        .expect("referral");
                    if Some(unit) == caller.unit_id() {
                        return Some(referral);
                    }
                }
                None
            }
            _ => {
                // A new plan of the caller's assessed household, with an item made ready.
                let household = pick(&self.assessed, who, false)?;
                let plan = self
                    .app
                    .create_plan(&operator, household)
                    .await
                    .expect("plan");
                let (level, codes): (&str, &[&str]) = if target == Target::AcceptedItem {
                    (
                        "community",
                        &[
                            "risk_regular_visits",
                            "employment_job_registration",
                            "housing_safety_repair",
                        ],
                    )
                } else {
                    (
                        "town",
                        &[
                            "other_funeral_relief",
                            "other_legal_aid",
                            "tekun_dispersed_care",
                            "temporary_homeless_relief",
                            "risk_dynamic_monitoring",
                        ],
                    )
                };
                let taken: Vec<(String,)> = c
                    .all(Sql::with(
                        "SELECT item_code FROM plan_items WHERE plan_id = $1 UNION SELECT item_code FROM benefits WHERE household_id = $2",
                        vals![plan, household],
                    ))
                    .await
                    .expect("taken");
                let code = codes
                    .iter()
                    .find(|code| !taken.iter().any(|(t,)| t == *code))?;
                let item = self
                    .app
                    .add_plan_item(&operator, plan, code, None, "matrix")
                    .await
                    .expect("add");
                self.app
                    .decide_plan_item(&operator, item, 1, true, "")
                    .await
                    .expect("accept");
                if target == Target::ApprovedCivilItem {
                    self.app
                        .approve_plan_item(&operator, item, 2)
                        .await
                        .expect("approve");
                }
                let _ = level;
                Some(item)
            }
        }
    }

    /// A recognised assessment in a region's subtree.
    pub fn assessment_in(&self, region: i64) -> Option<i64> {
        let (lo, hi) = minsheng_domain::RegionCode::from_i64(region)?.subtree();
        self.assessments
            .iter()
            .find(|(_, r)| (lo..=hi).contains(r))
            .map(|(id, _)| *id)
    }

    /// A household with a recognised assessment and a plan in a region's subtree.
    pub fn assessed_in(&self, region: i64) -> Option<i64> {
        let (lo, hi) = minsheng_domain::RegionCode::from_i64(region)?.subtree();
        self.assessed
            .iter()
            .find(|(_, r)| (lo..=hi).contains(r))
            .map(|(id, _)| *id)
    }

    /// A household with no assessment yet in a region's subtree.
    pub fn fresh_household_in(&self, region: i64) -> Option<i64> {
        let (lo, hi) = minsheng_domain::RegionCode::from_i64(region)?.subtree();
        let mut fresh = self.fresh.lock().expect("lock");
        let index = fresh.iter().position(|(_, r)| (lo..=hi).contains(r))?;
        Some(fresh.remove(index).0)
    }

    /// A household with no assessment yet, inside or outside the caller's area.
    fn take_fresh(&self, who: &Who, outside: bool) -> Option<i64> {
        let mut fresh = self.fresh.lock().expect("lock");
        let index = fresh
            .iter()
            .position(|(_, region)| who.scope.contains(*region) != outside)?;
        Some(fresh.remove(index).0)
    }

    /// Opens a new lead in a region, as the screening job would.
    async fn fresh_lead(&self, region: i64) -> i64 {
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        let code = minsheng_domain::RegionCode::from_i64(region)
            .expect("code")
            .short();
        let n = self.next();
        let clue = ClueSubmission {
            channel: "screening".into(),
            description: "比对发现的疑点".into(),
            address: format!("矩阵测试{n}号"),
            region_code: Some(code),
            ..ClueSubmission::default()
        };
        self.app
            .submit_clue(&operator, &clue)
            .await
            .expect("lead")
            .lead_id
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn fresh_id_number(&self) -> String {
        let n = self.next();
        let first17 = format!(
            "50011319{:02}{:02}{:02}{:03}",
            60 + (n / 28_000) % 30,
            1 + (n / 28) % 12,
            1 + n % 28,
            (n * 7) % 1000
        );
        let mut digits = [0u8; 17];
        for (slot, b) in digits.iter_mut().zip(first17.bytes()) {
            *slot = b - b'0';
        }
        format!("{first17}{}", check_digit(&digits))
    }

    fn id_in(path: &str) -> i64 {
        path.split('/').find_map(|s| s.parse().ok()).unwrap_or(0)
    }

    /// A valid body for the route, so a permitted call succeeds.
    pub async fn body_for(
        &self,
        who: &Who,
        e: &Expect,
        path: &str,
        outside: bool,
    ) -> Option<(&'static str, String)> {
        let everything = Scope::from_ranges(vec![EVERYTHING]);
        let api = path.starts_with("/api/");
        let n = self.next();
        let own_region = self
            .household(who, false)
            .and_then(|(_, _, r)| minsheng_domain::RegionCode::from_i64(r))
            .map(|c| c.short())
            .unwrap_or_default();
        let mut fields: Vec<(&str, String)> = Vec::new();
        match (e.method.as_str(), e.path) {
            (_, p)
                if e.method == Method::GET
                    || e.method == Method::DELETE
                    || p.ends_with("/reveal")
                    || p.ends_with("/reveal-id-number") => {}
            (_, "/households" | "/api/v1/households") => {
                fields.push(("region_code", own_region));
                fields.push(("address", format!("测试地址{n}号")));
            }
            (_, "/households/{id}" | "/api/v1/households/{id}") => {
                let h = registry::household(
                    &mut self.app.store().reader(),
                    &everything,
                    Self::id_in(path),
                )
                .await
                .expect("read")
                .expect("household");
                let region = minsheng_domain::RegionCode::from_i64(h.region_code)
                    .expect("code")
                    .short();
                fields.push(("version", h.version.to_string()));
                fields.push(("region_code", region));
                fields.push(("address", format!("修改地址{n}号")));
                let _ = outside;
            }
            (_, "/households/{id}/members" | "/api/v1/households/{id}/members") => {
                fields.push(("id_number", self.fresh_id_number()));
                fields.push(("name", format!("新成员{n}")));
                fields.push(("relation_code", "20".into()));
            }
            (_, "/persons/{id}" | "/api/v1/persons/{id}") => {
                let p = registry::person(
                    &mut self.app.store().reader(),
                    &everything,
                    Self::id_in(path),
                )
                .await
                .expect("read")
                .expect("person");
                fields.push(("version", p.version.to_string()));
                fields.push(("name", format!("改名{n}")));
            }
            (_, "/regions/{code}/communities") => fields.push(("name", format!("新社区{n}"))),
            (_, "/users") => {
                fields.push(("username", format!("mx{n}")));
                fields.push(("display_name", "新用户".into()));
                fields.push(("unit", "巴南区民政局".into()));
                fields.push(("role", "volunteer".into()));
                fields.push(("password", "long-password-1".into()));
            }
            (_, "/users/password") => {
                fields.push(("username", MATRIX_TARGET_USER.into()));
                fields.push(("password", format!("another-password-{n}")));
            }
            (_, "/account/password") => {
                fields.push(("old_password", who.password.clone()));
                fields.push(("new_password", who.password.clone()));
            }
            (_, "/units/channels" | "/api/v1/channels") => {
                fields.push(("unit", "巴南区民政局".into()));
                fields.push(("kind", "webhook".into()));
                fields.push(("target", format!("https://receiver.invalid/hook/{n}")));
                fields.push(("events", "*".into()));
            }
            (_, "/account/tokens" | "/api/v1/tokens") => {
                fields.push(("name", format!("token {n}")))
            }
            (_, "/groups" | "/api/v1/groups") => {
                // A community of the caller's area: one group per region, so repeats are fine.
                fields.push(("name", format!("矩阵小组{n}")));
                fields.push(("region_code", own_region.clone()));
            }
            (
                _,
                "/groups/{id}/members"
                | "/api/v1/groups/{id}/members"
                | "/groups/{id}/members/remove",
            ) => {
                fields.push(("username", MATRIX_TARGET_USER.into()));
                fields.push(("position", "volunteer".into()));
            }
            (_, "/sweeps" | "/api/v1/sweeps") => {
                fields.push(("name", format!("矩阵扫楼{n}")));
                fields.push(("region_code", own_region.clone()));
            }
            (_, "/sweeps/{id}/visits" | "/api/v1/sweeps/{id}/visits") => {
                let id = Self::id_in(path);
                let (region,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT region_code FROM sweeps WHERE id = $1",
                        vals![id],
                    ))
                    .await
                    .expect("sweep");
                let (lo, hi) = minsheng_domain::RegionCode::from_i64(region)
                    .expect("code")
                    .subtree();
                let (household,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT id FROM households WHERE region_code BETWEEN $1 AND $2 LIMIT 1",
                        vals![lo, hi],
                    ))
                    .await
                    .expect("household in the sweep");
                fields.push(("household_id", household.to_string()));
                fields.push(("finding", "fine".into()));
            }
            (_, "/clues" | "/api/v1/clues" | "/api/v1/clues/{channel}") => {
                let channel = who
                    .roles
                    .iter()
                    .find_map(|r| minsheng_domain::authz::channels_for(*r).first())
                    .copied()
                    .unwrap_or("volunteer");
                fields.push(("channel", channel.into()));
                fields.push(("description", format!("矩阵测试线索{n}")));
                fields.push(("address", format!("矩阵测试{n}栋")));
                fields.push(("region_code", own_region.clone()));
                fields.push(("client_key", format!("matrix-{n}")));
            }
            (_, "/leads/{id}/visit" | "/api/v1/leads/{id}/visit") => {
                fields.push(("version", "1".into()));
                fields.push(("findings", "无人应答".into()));
                fields.push(("outcome", "close".into()));
                fields.push(("close_reason", "unreachable".into()));
            }
            (_, "/files/{id}/state" | "/api/v1/files/{id}/state") => {
                let id = Self::id_in(path);
                let (version, household): (i64, i64) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT version, household_id FROM household_files WHERE id = $1",
                        vals![id],
                    ))
                    .await
                    .expect("file");
                fields.push(("version", version.to_string()));
                fields.push(("household_id", household.to_string()));
                fields.push(("state", "assisted".into()));
            }
            (_, "/households/{id}/assess") => {
                fields.push(("model_id", "cq-7d82".into()));
                fields.push(("assessor", MATRIX_ASSESSOR.into()));
                fields.push(("trigger", "first".into()));
            }
            (_, "/assessments/{id}/draft") => {
                fields.push(("members.0.relation", "self".into()));
                fields.push(("members.0.age", "50".into()));
            }
            (_, "/assessments/{id}/submit" | "/assessments/{id}/review") => {
                let (version,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT row_version FROM assessments WHERE id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("assessment");
                fields.push(("version", version.to_string()));
                fields.push(("decision", "approve".into()));
            }
            (_, "/models") => {
                let source = include_str!("../../../../models/three-grade.toml")
                    .replace("version = \"2026.1\"", &format!("version = \"matrix-{n}\""));
                fields.push(("source", source));
            }
            (
                _,
                "/plan-items/{id}/decision"
                | "/plan-items/{id}/approve"
                | "/plan-items/{id}/deliver",
            ) => {
                let (version, household): (i64, i64) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT i.row_version, p.household_id FROM plan_items i JOIN assistance_plans p ON p.id = i.plan_id WHERE i.id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("item");
                fields.push(("version", version.to_string()));
                fields.push(("household_id", household.to_string()));
                fields.push(("decision", "accept".into()));
                fields.push(("amount", "50".into()));
            }
            (_, "/households/{id}/plan/items") => {
                let household = Self::id_in(path);
                let taken: Vec<(String,)> = self
                    .app
                    .store()
                    .reader()
                    .all(Sql::with(
                        "SELECT i.item_code FROM plan_items i WHERE i.plan_id = (SELECT MAX(id) FROM assistance_plans WHERE household_id = $1)",
                        vals![household],
                    ))
                    .await
                    .expect("taken");
                let code = minsheng_app::assess::catalog::shipped()
                    .expect("catalog")
                    .items
                    .iter()
                    .map(|i| i.code.clone())
                    .find(|code| !taken.iter().any(|(t,)| t == code))
                    .unwrap_or_default();
                fields.push(("item_code", code));
                fields.push(("reason", format!("矩阵测试{n}")));
            }
            (_, "/households/{id}/followup") => {
                fields.push(("note", format!("矩阵回访{n}")));
                fields.push(("satisfaction", "satisfied".into()));
            }
            (_, "/households/{id}/emergency") => {
                fields.push(("item_code", "temporary_emergency".into()));
                fields.push(("note", format!("矩阵{n}")));
            }
            (_, "/emergencies/{id}/pay" | "/emergencies/{id}/paperwork") => {
                let (household,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT household_id FROM emergency_cases WHERE id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("case");
                fields.push(("household_id", household.to_string()));
                fields.push(("amount", "100".into()));
            }
            (_, "/referrals/{id}/act") => {
                // A caller refused before the use case may hold any id: default the version.
                let version = self
                    .app
                    .store()
                    .reader()
                    .optional::<(i64,)>(Sql::with(
                        "SELECT row_version FROM referrals WHERE id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("referral")
                    .map_or(1, |(v,)| v);
                fields.push(("version", version.to_string()));
                fields.push(("action", "accept".into()));
            }
            (_, "/hotline/requests" | "/hotline/classify" | "/api/v1/hotline/requests") => {
                fields.push(("description", format!("渝中区解放碑步行街路灯不亮{n}")));
            }
            (_, "/hotline/requests/{id}/centre") => {
                let version = self.hotline_version(Self::id_in(path)).await;
                fields.push(("version", version.to_string()));
                fields.push(("step", "correct".into()));
                fields.push(("subcategory", "manhole_streetlight".into()));
                fields.push(("request_type", "complaint".into()));
            }
            (_, "/api/v1/grid/networks/{id}/readings") => {
                return Some((
                    "application/json",
                    r#"[{"sensor": "K1-T", "value": 24.5, "source": "robot"}]"#.to_string(),
                ));
            }
            (_, "/grid/alarms/{id}/ack") => fields.push(("note", "矩阵测试".into())),
            (_, "/grid/{id}/fault") => fields.push(("fault", "L3".into())),
            (_, "/grid/links") => {
                let loads = ["D-K1", "D-P1", "D-P2", "D-P3", "D-P4", "D-K2"];
                let household = self.household(who, false).map_or(0, |h| h.0);
                // A load this household is not linked to yet (one link per household and load).
                let linked: Vec<(String,)> = self
                    .app
                    .store()
                    .reader()
                    .all(Sql::with(
                        "SELECT load_id FROM grid_links WHERE household_id = $1",
                        vals![household],
                    ))
                    .await
                    .expect("links");
                let load = loads
                    .iter()
                    .find(|l| !linked.iter().any(|(x,)| x == *l))
                    .unwrap_or(&loads[(n as usize) % loads.len()]);
                fields.push(("network_id", self.grid_network().await.to_string()));
                fields.push(("load_id", (*load).into()));
                fields.push(("household_id", household.to_string()));
                fields.push(("consent_by", "户主本人".into()));
                fields.push(("need", "制氧机".into()));
            }
            (_, "/resources/providers") => {
                fields.push(("name", format!("矩阵爱心单位{n}")));
                fields.push(("kind", "caring_unit".into()));
                fields.push(("region", own_region.clone()));
            }
            (_, "/resources/offers" | "/provider/offers") => {
                let provider = if e.path == "/provider/offers" {
                    self.matrix_provider(true).await
                } else {
                    self.provider_in(who).await
                };
                fields.push(("provider_id", provider.to_string()));
                fields.push(("kind", "service".into()));
                fields.push(("what", format!("矩阵上门服务{n}")));
                fields.push(("region", own_region.clone()));
                fields.push(("capacity", "10".into()));
                fields.push(("unit", "visits".into()));
            }
            (
                _,
                "/resources/matches/{id}/delivery"
                | "/provider/matches/{id}/delivery"
                | "/api/v1/resources/matches/{id}/delivery",
            ) => {
                let today = minsheng_domain::time_util::today_in_china().to_string();
                if api {
                    let body = serde_json::json!({"what": "米面油", "value_yuan": 120.5,
                        "delivered_on": today, "delivered_by": "矩阵志愿者"});
                    return Some(("application/json", body.to_string()));
                }
                fields.push(("what", "米面油".into()));
                fields.push(("value_yuan", "120.5".into()));
                fields.push(("delivered_on", today));
                fields.push(("delivered_by", "矩阵志愿者".into()));
                fields.push(("feedback", "谢谢".into()));
            }
            (_, "/resources/matches/{id}/cancel") => fields.push(("reason", "户主婉拒".into())),
            (_, "/households/{id}/resources/match") => {
                fields.push(("offer_id", self.matrix_offer(true).await.to_string()));
                fields.push(("need", "矩阵测试需求".into()));
                fields.push(("quantity", "1".into()));
                fields.push(("consent_by", "户主本人".into()));
            }
            (_, "/api/v1/resources/matches") => {
                let household = self.household(who, false).map_or(0, |h| h.0);
                let body = serde_json::json!({"offer_id": self.matrix_offer(true).await,
                    "household_id": household, "need": "矩阵测试需求", "quantity": 1.0,
                    "consent_by": "户主本人"});
                return Some(("application/json", body.to_string()));
            }
            (_, "/households/{id}/volunteers") => {
                let today = minsheng_domain::time_util::today_in_china().to_string();
                fields.push(("volunteer", "矩阵志愿者".into()));
                fields.push(("service", "探访".into()));
                fields.push(("every_days", "7".into()));
                fields.push(("starts_on", today));
            }
            (_, "/households/{id}/appeals") => {
                let today = minsheng_domain::time_util::today_in_china();
                fields.push(("title", "矩阵测试众筹".into()));
                fields.push(("target_yuan", "5000".into()));
                fields.push(("ends_on", (today + time::Duration::days(30)).to_string()));
                fields.push(("surplus_rule", "转入临时救助备用金".into()));
            }
            (_, "/volunteers/{id}/visits") => {
                let today = minsheng_domain::time_util::today_in_china().to_string();
                fields.push(("visited_on", today));
                fields.push(("hours", "1.5".into()));
            }
            (
                _,
                "/appeals/{id}/entries"
                | "/provider/appeals/{id}/give"
                | "/api/v1/appeals/{id}/entries",
            ) => {
                let donor = self.matrix_provider(true).await;
                if api {
                    let body = serde_json::json!({"kind": "pledge", "amount_yuan": 100.0,
                        "provider_id": donor});
                    return Some(("application/json", body.to_string()));
                }
                fields.push(("kind", "pledge".into()));
                fields.push(("provider_id", donor.to_string()));
                fields.push(("amount_yuan", "100".into()));
            }
            (_, "/contracts") => {
                let today = minsheng_domain::time_util::today_in_china();
                fields.push(("unit_id", self.social_work_unit().await.to_string()));
                fields.push(("name", format!("矩阵合同{n}")));
                fields.push(("region", own_region.clone()));
                fields.push(("budget_yuan", "1000".into()));
                fields.push(("starts_on", today.to_string()));
                fields.push(("ends_on", (today + time::Duration::days(30)).to_string()));
                fields.push(("deliverable_kind", "service_visits".into()));
                fields.push(("deliverable_target", "10".into()));
                fields.push(("milestones", "首期,100,0\n尾款,900,1".into()));
            }
            (_, "/contracts/{id}/pay") => {
                let (milestone,): (i64,) = self
                    .app
                    .store()
                    .reader()
                    .one(Sql::with(
                        "SELECT MIN(id) FROM contract_milestones WHERE contract_id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("milestone");
                fields.push(("milestone_id", milestone.to_string()));
            }
            (_, "/hotline/tickets/{id}/unit") => {
                let version = self.hotline_version(Self::id_in(path)).await;
                fields.push(("version", version.to_string()));
                fields.push(("step", "accept".into()));
            }
            (_, "/referrals/{id}/resend") => {
                let household = self
                    .app
                    .store()
                    .reader()
                    .optional::<(i64,)>(Sql::with(
                        "SELECT household_id FROM referrals WHERE id = $1",
                        vals![Self::id_in(path)],
                    ))
                    .await
                    .expect("referral")
                    .map_or(0, |(h,)| h);
                fields.push(("household_id", household.to_string()));
            }
            (_, "/funds/{code}/top-up") => {
                fields.push(("amount", "500".into()));
                fields.push(("note", "矩阵".into()));
            }
            (_, "/api/v1/assessments/{id}/survey") => {
                return Some(("application/json", valid_survey().to_string()));
            }
            _ => {}
        }
        if api {
            if e.method == Method::GET || e.method == Method::DELETE {
                return None;
            }
            let mut object = serde_json::Map::new();
            for (k, v) in fields {
                let value = if matches!(k, "version" | "household_id") {
                    serde_json::Value::from(v.parse::<i64>().unwrap_or(0))
                } else {
                    serde_json::Value::from(v)
                };
                object.insert(k.to_string(), value);
            }
            return Some((
                "application/json",
                serde_json::Value::Object(object).to_string(),
            ));
        }
        if e.method == Method::GET {
            return None;
        }
        // HTML forms carry the CSRF token as a field, as a browser would send it.
        fields.push(("csrf_token", who.csrf.clone()));
        let form: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        Some(("application/x-www-form-urlencoded", form.join("&")))
    }

    fn request(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<(&'static str, String)>,
    ) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(path);
        let mut cookies = Vec::new();
        if let Some(session) = &who.session {
            cookies.push(format!("ms_session={session}"));
        }
        if let Some(lang) = who.lang {
            cookies.push(format!("lang={lang}"));
        }
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        if who.session.is_some() && path.starts_with("/api/") && !who.csrf.is_empty() {
            builder = builder.header("x-csrf-token", &who.csrf);
        }
        if let Some(token) = &who.bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some((content_type, text)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                Body::from(text)
            }
            None => Body::empty(),
        };
        builder.body(body).expect("request")
    }

    pub async fn call(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<(&'static str, String)>,
    ) -> StatusCode {
        let response = self
            .router
            .clone()
            .oneshot(self.request(who, method, path, body))
            .await
            .expect("response");
        response.status()
    }

    pub async fn call_json(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<(&'static str, String)>,
    ) -> (StatusCode, serde_json::Value) {
        let response = self
            .router
            .clone()
            .oneshot(self.request(who, method, path, body))
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn call_bytes(&self, who: &Who, path: &str) -> (StatusCode, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(self.request(who, Method::GET, path, None))
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 26)
            .await
            .expect("body");
        (status, bytes.to_vec())
    }

    /// A page as a browser gets it: status, content type and text.
    pub async fn page(&self, who: &Who, path: &str) -> (StatusCode, String, String) {
        let response = self.raw(who, Method::GET, path, None).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 26)
            .await
            .expect("body");
        (
            status,
            content_type,
            String::from_utf8_lossy(&bytes).to_string(),
        )
    }

    /// A fresh 巴南 household's assessment assigned to the demo assessor; its id.
    pub async fn assigned_to_assessor(&self) -> i64 {
        let household = self
            .fresh_household_in(500_113_003_000)
            .expect("a 巴南 household");
        let operator = Actor::command_line(self.app.everything().await.expect("scope"));
        self.app
            .assign_assessment(
                &operator,
                &minsheng_app::assessment::AssignInput {
                    household_id: household,
                    model_id: "cq-7d82".into(),
                    assessor: "assessor".into(),
                    trigger: "first".into(),
                    note: String::new(),
                },
            )
            .await
            .expect("assign")
    }

    /// The whole answer to a request (status, headers, body).
    pub async fn raw(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<(&'static str, String)>,
    ) -> axum::http::Response<Body> {
        self.router
            .clone()
            .oneshot(self.request(who, method, path, body))
            .await
            .expect("response")
    }

    /// Sends a page's form (with the caller's CSRF token), as a browser would or, with `htmx`,
    /// as htmx does; the status and the answer's text.
    pub async fn send_form(
        &self,
        who: &Who,
        path: &str,
        fields: &[(&str, &str)],
        htmx: bool,
    ) -> (StatusCode, String) {
        let mut body = format!("csrf_token={}", urlencode(&who.csrf));
        for (name, value) in fields {
            body.push_str(&format!("&{}={}", urlencode(name), urlencode(value)));
        }
        let mut request = self.request(
            who,
            Method::POST,
            path,
            Some(("application/x-www-form-urlencoded", body)),
        );
        if htmx {
            request
                .headers_mut()
                .insert("hx-request", header::HeaderValue::from_static("true"));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 26)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).to_string())
    }

    pub async fn audit_count(&self, username: &str) -> i64 {
        let (n,): (i64,) = self
            .app
            .store()
            .reader()
            .one(Sql::with(
                "SELECT COUNT(*) FROM audit_log WHERE username = $1",
                vals![username],
            ))
            .await
            .expect("count");
        n
    }

    pub async fn last_audit(&self, username: &str) -> AuditRow {
        let filter = AuditFilter {
            username: Some(username.into()),
            limit: 1,
            ..AuditFilter::default()
        };
        audit::search(&mut self.app.store().reader(), &filter)
            .await
            .expect("search")
            .remove(0)
    }
}

/// The id of the first `(id, region)` inside the caller's area, or outside it.
/// A valid survey for any household: a family whose medical bills eat a fair wage (支出型贫困
/// under cq-7d82), so it gets recommendations.
pub fn valid_survey() -> serde_json::Value {
    let line = include_str!("../../../assess/tests/fixtures/income-and-expenditure.jsonl")
        .lines()
        .nth(1)
        .expect("the fixture's second household");
    serde_json::from_str(line).expect("fixture JSON")
}

/// Assigns a household's assessment to `surveyor` and saves a valid survey; with `recognise`,
/// also submits it and has it recognised. Returns its id.
async fn assessed(
    app: &App,
    operator: &Actor,
    surveyor: &Actor,
    household: i64,
    recognise: bool,
) -> i64 {
    let id = app
        .assign_assessment(
            operator,
            &minsheng_app::assessment::AssignInput {
                household_id: household,
                model_id: "cq-7d82".into(),
                assessor: surveyor.username().to_string(),
                trigger: "first".into(),
                note: String::new(),
            },
        )
        .await
        .expect("assign");
    app.save_assessment_draft(surveyor, id, &SurveyForm::facts(&valid_survey()))
        .await
        .expect("draft");
    if recognise {
        submitted(app, surveyor, id).await;
        let version = app
            .assessment_detail(operator, id)
            .await
            .expect("detail")
            .row
            .row_version;
        app.review_assessment(operator, id, version, true, "")
            .await
            .expect("recognise");
    }
    id
}

async fn submitted(app: &App, surveyor: &Actor, id: i64) {
    let version = app
        .assessment_detail(surveyor, id)
        .await
        .expect("detail")
        .row
        .row_version;
    app.submit_assessment(surveyor, id, &SurveyForm::saved(version))
        .await
        .expect("submit");
}

fn pick(items: &[(i64, i64)], who: &Who, outside: bool) -> Option<i64> {
    items
        .iter()
        .find(|(_, region)| who.scope.contains(*region) != outside)
        .map(|(id, _)| *id)
}

pub fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
