//! The 12345 hotline (12345热线): requests from calls, the public form and Open311 are classified
//! (category, type, place), routed to the unit that answers with a deadline in working days, and
//! followed through return and re-dispatch (退单), chasing (催办), extensions, the reply
//! (resolved is not the same as replied), the call-back and rework (重办). Duplicates are offered
//! for merging; a request that reveals hardship becomes a social-assistance clue in one step.

use minsheng_i18n::msg;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use minsheng_domain::time_util::CHINA_OFFSET;
use minsheng_domain::{Action, RegionCode, UnitKind};
use minsheng_hotline::classify::{Classification, Classifier, Evaluation, evaluate};
use minsheng_hotline::routing::{Route, Router};
use minsheng_hotline::synth::{self, Labelled};
use minsheng_hotline::taxonomy::Taxonomy;
use minsheng_hotline::{Gazetteer, Place};
use minsheng_store::hotline::{self as store, NewEvent, NewLabel, NewRequest, RequestChange};
pub use minsheng_store::hotline::{EventRow, OPEN_STATES, RequestQuery, RequestRow};
use minsheng_store::{WriteTx, users};
use serde::{Deserialize, Serialize};
use time::{Date, Time, Weekday};

use crate::discovery::{ClueSubmission, end_of_day};
use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

/// The longest description Open311 allows (GeoReport v2: "limited to 4,000 characters").
pub const MAX_DESCRIPTION: usize = 4000;
/// How far back a new request looks for an open one it may duplicate.
pub const DUPLICATE_DAYS: i64 = 7;
/// How alike two descriptions must be to be offered for merging: the share of character pairs
/// they have in common (Jaccard), within the same district (or both without one).
pub const DUPLICATE_SIMILARITY: f64 = 0.45;
pub const CHANNELS: [&str; 3] = ["phone", "web", "open311"];
pub const SATISFACTIONS: [&str; 3] = ["satisfied", "basically_satisfied", "unsatisfied"];
const DAY_MS: i64 = 24 * 3600 * 1000;
const MUNICIPALITY: i64 = 500_000_000_000;

/// The hotline's data and its trained classifier (trained on first use, again after an agent's
/// correction, from the shipped labelled requests plus every correction in the store).
pub struct HotlineModel {
    taxonomy: Taxonomy,
    gazetteer: Gazetteer,
    router: Router,
    /// The labelled requests written from the shipped phrases.
    examples: Vec<Labelled>,
    trained: RwLock<Option<Arc<Classifier>>>,
}

impl HotlineModel {
    pub fn shipped() -> Result<HotlineModel, String> {
        let taxonomy = Taxonomy::shipped()?;
        let gazetteer = Gazetteer::shipped()?;
        let router = Router::shipped(&taxonomy, &gazetteer)?;
        let phrases = synth::phrases(synth::PHRASES_TOML, &taxonomy)?;
        let examples = synth::generate(
            &taxonomy,
            &gazetteer,
            &phrases,
            synth::TRAINING_COUNT,
            synth::TRAINING_SEED,
        );
        Ok(HotlineModel {
            taxonomy,
            gazetteer,
            router,
            examples,
            trained: RwLock::new(None),
        })
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    fn current(&self) -> Option<Arc<Classifier>> {
        self.trained.read().ok().and_then(|t| t.clone())
    }

    fn forget(&self) {
        if let Ok(mut t) = self.trained.write() {
            *t = None;
        }
    }

    /// Whether a request waits at the centre because the model was unsure of its category
    /// (the agents' review list, 待复核).
    pub fn awaits_review(&self, r: &RequestRow) -> bool {
        r.state == "centre" && r.classified_by == "model" && self.router.needs_review(r.confidence)
    }

    /// Agents' corrections as labelled requests (those naming a subcategory the taxonomy
    /// still has).
    fn labelled(&self, labels: &[store::LabelRow]) -> Vec<Labelled> {
        labels
            .iter()
            .filter_map(|l| {
                let (c, _) = self.taxonomy.subcategory(&l.subcategory)?;
                Some(Labelled {
                    text: l.text.clone(),
                    category: c.name_zh.clone(),
                    subcategory: l.subcategory.clone(),
                    request_type: l.request_type.clone(),
                    district_code: None,
                    held_out: false,
                    wording: None,
                })
            })
            .collect()
    }

    fn train(&self, examples: &[Labelled]) -> Classifier {
        Classifier::train(self.taxonomy.clone(), self.gazetteer.clone(), examples)
            .with_router(self.router.clone())
    }

    /// The category code and names of a subcategory.
    fn category_of(&self, subcategory: &str) -> Option<(&str, &str)> {
        self.taxonomy
            .subcategory(subcategory)
            .map(|(c, s)| (c.code.as_str(), s.name_zh.as_str()))
    }
}

/// One correction in this many (by request id) judges a retraining instead of training it.
const HELD_LABELS: i64 = 5;

/// What a retraining found and did.
#[derive(Debug, Clone, Serialize)]
pub struct RetrainReport {
    pub id: i64,
    /// Confirmed corrections, and how many of them the model in use has not learned.
    pub labels: usize,
    pub new_labels: usize,
    pub activated: bool,
    /// `not_worse` (activated), `worse`, or `no_new_labels`.
    pub reason: String,
    /// Held-out figures of the model in use and of the retrained one.
    pub before: RetrainFigures,
    pub after: RetrainFigures,
}

/// How a model does on what neither model learned from.
#[derive(Debug, Clone, Serialize)]
pub struct RetrainFigures {
    /// The shipped held-out wordings: the team's reference, which agents' labels cannot move.
    pub reference: Evaluation,
    /// The corrections kept aside (one in five), when there are any.
    pub corrections: Option<Evaluation>,
}

impl RetrainFigures {
    /// Not worse: the reference's category macro-F1 is not lower, and the kept-aside
    /// corrections are not more often missed (a wrong run of labels cannot vouch for itself by
    /// its own share alone).
    pub fn not_worse_than(&self, before: &RetrainFigures) -> bool {
        let reference =
            self.reference.category.macro_f1 + 1e-12 >= before.reference.category.macro_f1;
        let corrections = match (&self.corrections, &before.corrections) {
            (Some(now), Some(then)) => now.category.accuracy + 1e-12 >= then.category.accuracy,
            _ => true,
        };
        reference && corrections
    }
}

/// A request as it arrives.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestSubmission {
    #[serde(default)]
    pub channel: String,
    pub description: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    /// The agent's choice, when it differs from the classifier's (recorded as training data).
    #[serde(default)]
    pub subcategory: Option<String>,
    #[serde(default)]
    pub request_type: Option<String>,
    /// Open311 attributes: code → values.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Chosen by the sender; the same key twice is one request.
    #[serde(default)]
    pub client_key: Option<String>,
}

/// What a duplicate candidate looks like to the agent.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateCandidate {
    pub id: i64,
    pub description: String,
    pub similarity: f64,
    pub created_at: i64,
    pub state: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntakeResult {
    pub id: i64,
    pub token: String,
    pub category: String,
    pub subcategory: String,
    pub request_type: String,
    pub confidence: f64,
    pub district: Option<String>,
    pub town: Option<String>,
    pub unit: String,
    /// Nobody could be named: the centre dispatches by hand.
    pub manual: bool,
    pub due_at: i64,
    pub duplicates: Vec<DuplicateCandidate>,
    /// The same client key was sent before; nothing new was stored.
    pub resent: bool,
}

/// A request as anyone may see it: no contact, no staff notes.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRequest {
    pub id: i64,
    pub status_open: bool,
    pub state: String,
    pub category: String,
    pub subcategory: String,
    pub service_name: String,
    pub request_type: String,
    pub description: String,
    pub address: String,
    pub region_name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub unit_name: Option<String>,
    pub reply: String,
    pub resolved: Option<bool>,
    pub created_at: i64,
    pub updated_at: i64,
    pub due_at: i64,
}

/// A request with its steps, for staff.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    pub request: RequestRow,
    pub events: Vec<EventRow>,
    /// The contact is shown to the centre and to the answering unit only.
    pub contact_visible: bool,
}

/// One category's share of a week.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryShare {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub count: i64,
    /// Percent of the week's requests, one decimal.
    pub share: f64,
}

/// The weekly publication (每周热点排行): category shares of the requests received that week
/// (merged ones count once, as the request they joined), with the solved and unsolved lists.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyRanking {
    pub week: String,
    pub from: String,
    pub to: String,
    pub total: i64,
    pub categories: Vec<CategoryShare>,
    pub solved: Vec<PublicRequest>,
    pub unsolved: Vec<PublicRequest>,
}

/// Reads `2026-W33` into its Monday.
pub fn parse_week(text: &str) -> Result<Date, String> {
    let bad = || format!("{text:?} is not a week like 2026-W33");
    let (year, week) = text.trim().split_once("-W").ok_or_else(bad)?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    let week: u8 = week.parse().map_err(|_| bad())?;
    Date::from_iso_week_date(year, week, Weekday::Monday)
        .map_err(|_| format!("{text:?}: {year} has no week {week}"))
}

/// The week asked for, or this week (China time) when none is.
pub fn week_or_this(week: Option<&str>, today: Date) -> String {
    week.map(str::trim)
        .filter(|w| !w.is_empty())
        .map_or_else(|| week_of(today), str::to_string)
}

/// The week (`2026-W33`) a day falls in.
pub fn week_of(date: Date) -> String {
    let (year, week, _) = date.to_iso_week_date();
    format!("{year}-W{week:02}")
}

fn start_of_day(date: Date) -> i64 {
    date.with_time(Time::MIDNIGHT)
        .assume_offset(CHINA_OFFSET)
        .unix_timestamp()
        * 1000
}

/// Open311 forbids HTML in a description: tags are taken out, the text kept.
pub fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let starts_tag = c == '<'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!');
        if starts_tag {
            for n in chars.by_ref() {
                if n == '>' {
                    break;
                }
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Character pairs of a text's letters and digits.
fn char_pairs(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The Jaccard similarity of two texts' character pairs.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (char_pairs(a), char_pairs(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// The region code of a place: its town, else its district.
fn place_region(place: Option<&Place>) -> (i64, Option<i64>) {
    let code = |text: &str| RegionCode::parse(text).ok().map(|c| c.as_i64());
    let Some(place) = place else {
        return (MUNICIPALITY, None);
    };
    let district = code(&place.district.code);
    let town = place.town.as_ref().and_then(|t| code(&t.code));
    (town.or(district).unwrap_or(MUNICIPALITY), district)
}

/// A text for publication: phone and ID numbers however written, e-mail addresses and names
/// after 我叫 / 联系人 … are masked ([`minsheng_domain::scrub::scrub_public`]).
pub fn scrub_personal(text: &str) -> String {
    minsheng_domain::scrub::scrub_public(text)
}

/// A position for publication: about 100 m, enough to find the pothole, not the door.
fn public_degrees(value: Option<f64>) -> Option<f64> {
    value.map(|v| (v * 1000.0).round() / 1000.0)
}

fn public(r: &RequestRow, taxonomy: &Taxonomy) -> PublicRequest {
    let (category, service_name) = taxonomy
        .subcategory(&r.subcategory)
        .map(|(c, s)| (c.name_zh.clone(), s.name_zh.clone()))
        .unwrap_or_default();
    PublicRequest {
        id: r.id,
        status_open: OPEN_STATES.contains(&r.state.as_str()),
        state: r.state.clone(),
        category,
        subcategory: r.subcategory.clone(),
        service_name,
        request_type: r.request_type.clone(),
        description: scrub_personal(&r.description),
        address: scrub_personal(&r.address),
        region_name: r.region_name.clone(),
        latitude: public_degrees(r.latitude),
        longitude: public_degrees(r.longitude),
        unit_name: r.unit_name.clone(),
        reply: scrub_personal(&r.reply),
        resolved: r.resolved,
        created_at: r.created_at,
        updated_at: r.updated_at,
        due_at: r.due_at,
    }
}

/// One step of a request: who may take it, from which states, what it changes and records.
struct Step<'a> {
    action: Action,
    audit: &'a str,
    from: &'a [&'a str],
    /// The step is the answering unit's: the request must be addressed to the actor's unit.
    unit_only: bool,
    change: RequestChange<'a>,
    event: &'a str,
    note: String,
    public_note: String,
    /// Tell the answering unit (through its notification channels), with this title.
    tell: Option<(crate::notify::EventKind, String)>,
}

/// A unit a request can be dispatched to.
pub type DispatchUnit = users::UnitRow;

/// Where an agent may send a request by hand: the units its subcategory names first.
#[derive(Debug, Clone, Default)]
pub struct DispatchChoices {
    pub suggested: Vec<users::UnitRow>,
    pub others: Vec<users::UnitRow>,
}

impl App {
    pub fn hotline(&self) -> &HotlineModel {
        &self.hotline
    }

    /// The Chinese name of a subcategory, category or request type of the taxonomy (the code
    /// when it names none), for the lines a request's log records.
    fn hotline_name_zh(&self, code: &str) -> String {
        let taxonomy = &self.hotline.taxonomy;
        if let Some((_, sub)) = taxonomy.subcategory(code) {
            return sub.name_zh.clone();
        }
        if let Some(c) = taxonomy.categories.iter().find(|c| c.code == code) {
            return c.name_zh.clone();
        }
        taxonomy
            .request_type(code)
            .map_or_else(|| code.to_string(), |t| t.name_zh.clone())
    }

    /// The classifier in use: trained on the shipped requests and the agents' confirmed
    /// corrections up to the latest activated retraining (`retrain_classifier`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_classifier(&self) -> AppResult<Arc<Classifier>> {
        if let Some(c) = self.hotline.current() {
            return Ok(c);
        }
        let mut r = reader(self);
        let cutoff = store::active_label_cutoff(&mut r).await?;
        let labels = store::confirmed_labels(&mut r, cutoff).await?;
        drop(r);
        let model = self.hotline.clone();
        let classifier = tokio::task::spawn_blocking(move || {
            let mut examples = model.examples.clone();
            examples.extend(model.labelled(&labels));
            Arc::new(model.train(&examples))
        })
        .await
        .map_err(|e| AppError::Internal(format!("training the classifier: {e}")))?;
        if let Ok(mut t) = self.hotline.trained.write() {
            *t = Some(classifier.clone());
        }
        Ok(classifier)
    }

    /// Retrains the classifier from the shipped phrases plus every confirmed correction, and
    /// activates it only if it is not worse: both the model in use and the new one are trained
    /// without the held-out wordings and one correction in five (by request), and judged on
    /// those; activated, the new model learns from all of them. Each run is recorded.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn retrain_classifier(&self, actor: &Actor) -> AppResult<RetrainReport> {
        self.authorize(
            actor,
            Action::RetrainClassifier,
            Subject::new("hotline_model", ""),
        )
        .await?;
        let mut r = reader(self);
        let active = store::active_label_cutoff(&mut r).await?;
        let last = store::last_label_id(&mut r).await?;
        let all = store::confirmed_labels(&mut r, last).await?;
        drop(r);
        let new_labels = all.iter().filter(|l| l.id > active).count();
        let label_count = all.len();
        let model = self.hotline.clone();
        let (before, after) = tokio::task::spawn_blocking(move || {
            let held_label = |l: &&store::LabelRow| l.request_id % HELD_LABELS == 0;
            let reference: Vec<Labelled> = model
                .examples
                .iter()
                .filter(|e| e.held_out)
                .cloned()
                .collect();
            let held_labels: Vec<store::LabelRow> =
                all.iter().filter(held_label).cloned().collect();
            let corrections = model.labelled(&held_labels);
            let shipped: Vec<Labelled> = model
                .examples
                .iter()
                .filter(|e| !e.held_out)
                .cloned()
                .collect();
            let judge = |cutoff: i64| {
                let learnt: Vec<store::LabelRow> = all
                    .iter()
                    .filter(|l| l.id <= cutoff && !held_label(l))
                    .cloned()
                    .collect();
                let mut examples = shipped.clone();
                examples.extend(model.labelled(&learnt));
                let classifier = model.train(&examples);
                RetrainFigures {
                    reference: evaluate(&classifier, &reference),
                    corrections: (!corrections.is_empty())
                        .then(|| evaluate(&classifier, &corrections)),
                }
            };
            (judge(active), judge(last))
        })
        .await
        .map_err(|e| AppError::Internal(format!("retraining the classifier: {e}")))?;
        let not_worse = after.not_worse_than(&before);
        let (activated, reason) = match (new_labels, not_worse) {
            (0, _) => (false, "no_new_labels"),
            (_, true) => (true, "not_worse"),
            (_, false) => (false, "worse"),
        };
        let figures = |e: &RetrainFigures| serde_json::to_string(e).unwrap_or_default();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = store::insert_model(
            &mut tx,
            &store::NewModel {
                trained_at: now,
                label_cutoff: if activated { last } else { active },
                labels: label_count as i64,
                before_figures: &figures(&before),
                after_figures: &figures(&after),
                activated,
                reason,
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "hotline.retrain",
            Subject::new("hotline_model", &id.to_string()),
            true,
            &format!(
                "{reason}: macro-F1 {:.3} → {:.3}, {} confirmed corrections ({new_labels} new)",
                before.reference.category.macro_f1, after.reference.category.macro_f1, label_count
            ),
        )
        .await?;
        tx.commit().await?;
        if activated {
            self.hotline.forget();
        }
        Ok(RetrainReport {
            id,
            labels: label_count,
            new_labels,
            activated,
            reason: reason.to_string(),
            before,
            after,
        })
    }

    /// The classifier's retrainings, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_models(&self, actor: &Actor) -> AppResult<Vec<store::ModelRow>> {
        self.authorize(
            actor,
            Action::RetrainClassifier,
            Subject::new("hotline_model", ""),
        )
        .await?;
        Ok(store::models(&mut reader(self), 50).await?)
    }

    /// Classifies a text as intake would (the agent form shows it while typing).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn classify_request(&self, actor: &Actor, text: &str) -> AppResult<Classification> {
        self.authorize(actor, Action::TakeCalls, Subject::new("hotline", ""))
            .await?;
        // The classifier's work grows with the text: no more than a request may hold.
        let text = crate::bounded("description", text, MAX_DESCRIPTION + 200)?;
        Ok(self.hotline_classifier().await?.classify(&text))
    }

    fn validate_request(&self, s: &RequestSubmission) -> AppResult<RequestSubmission> {
        let mut errors = Vec::new();
        let description = strip_html(&s.description);
        if description.is_empty() {
            errors.push(FieldError::new("description", msg!("describe-request")));
        } else if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                msg!("text-too-long", max = MAX_DESCRIPTION),
            ));
        }
        let address = strip_html(&s.address);
        if address.chars().count() > 200 {
            errors.push(FieldError::new("address", msg!("text-too-long", max = 200)));
        }
        if let Some(lat) = s.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            errors.push(FieldError::new("lat", msg!("latitude-range")));
        }
        if let Some(lon) = s.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            errors.push(FieldError::new("long", msg!("longitude-range")));
        }
        let phone = s.contact_phone.trim();
        if !phone.is_empty()
            && (phone.len() > 20
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ')))
        {
            errors.push(FieldError::new("phone", msg!("phone-chars")));
        }
        let email = s.contact_email.trim();
        if !email.is_empty() && (email.len() > 200 || !email.contains('@')) {
            errors.push(FieldError::new("email", msg!("not-an-email")));
        }
        if s.contact_name.chars().count() > 50 {
            errors.push(FieldError::new("name", msg!("text-too-long", max = 50)));
        }
        if let Some(sub) = s.subcategory.as_deref().filter(|c| !c.is_empty())
            && self.hotline.taxonomy.subcategory(sub).is_none()
        {
            errors.push(FieldError::new(
                "subcategory",
                msg!("unknown-subcategory", code = sub),
            ));
        }
        if let Some(t) = s.request_type.as_deref().filter(|c| !c.is_empty())
            && self.hotline.taxonomy.request_type(t).is_none()
        {
            errors.push(FieldError::new(
                "request_type",
                msg!("unknown-request-type", code = t),
            ));
        }
        if !CHANNELS.contains(&s.channel.as_str()) {
            errors.push(FieldError::new(
                "channel",
                msg!("hotline-channel-choices", choices = CHANNELS.join(", ")),
            ));
        }
        let client_key = s
            .client_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        if client_key.is_some_and(|k| k.len() > 100) {
            errors.push(FieldError::new(
                "client_key",
                msg!("text-too-long", max = 100),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(RequestSubmission {
            channel: s.channel.clone(),
            description,
            address,
            latitude: s.latitude,
            longitude: s.longitude,
            contact_name: s.contact_name.trim().to_string(),
            contact_phone: phone.to_string(),
            contact_email: email.to_string(),
            subcategory: s.subcategory.clone().filter(|c| !c.is_empty()),
            request_type: s.request_type.clone().filter(|c| !c.is_empty()),
            attributes: s.attributes.clone(),
            client_key: client_key.map(str::to_string),
        })
    }

    /// Takes a request: an agent's call (`actor` may take calls), or from the public form or
    /// Open311 (`actor` is the anonymous citizen or the client application).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn submit_request(
        &self,
        actor: &Actor,
        s: &RequestSubmission,
    ) -> AppResult<IntakeResult> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        if s.channel == "phone" {
            self.authorize(actor, Action::TakeCalls, Subject::new("hotline", ""))
                .await?;
        }
        let mut s = self.validate_request(s)?;
        // A sender's key is kept with the sender: one citizen's or system's key never finds
        // (or blocks) another's request.
        s.client_key = s
            .client_key
            .map(|key| match (actor.user_id(), actor.open311_key()) {
                (Some(user), _) => format!("u{user}:{key}"),
                (None, Some(client)) => format!("o{client}:{key}"),
                (None, None) => format!("{}@{}:{key}", actor.username(), actor.ip()),
            });
        if let Some(key) = s.client_key.as_deref()
            && let Some(id) = store::request_by_client_key(&mut reader(self), key).await?
        {
            let r = store::request_public(&mut reader(self), id)
                .await?
                .ok_or(AppError::NotFound)?;
            return Ok(self.intake_result(&r, false, Vec::new(), true));
        }
        let classifier = self.hotline_classifier().await?;
        let text = format!("{} {}", s.description, s.address);
        let model = classifier.classify(&text);
        let subcategory = s.subcategory.clone().unwrap_or(model.subcategory.clone());
        let request_type = s.request_type.clone().unwrap_or(model.type_code.clone());
        // An agent's choice that differs from the model is a correction (training data); a
        // citizen's choice of service (Open311) is kept but not learned from.
        let differs = subcategory != model.subcategory || request_type != model.type_code;
        let by_agent = s.channel == "phone" && differs;
        let classified_by = match (by_agent, s.subcategory.is_some()) {
            (true, _) => "agent",
            (false, true) if s.channel != "phone" => "citizen",
            _ => "model",
        };
        let place = self.hotline.gazetteer.locate(&text);
        // A category the model is unsure of is looked at by an agent before anyone is sent.
        let review = classified_by == "model" && classifier.needs_review(&model);
        let route = if review {
            Route {
                unit: minsheng_hotline::routing::MANUAL_DISPATCH.to_string(),
                rule_line: None,
                manual: true,
            }
        } else {
            self.hotline
                .router
                .route(&self.hotline.taxonomy, &subcategory, place.as_ref())
        };
        let (region_code, district_code) = place_region(place.as_ref());
        let category = self
            .hotline
            .category_of(&subcategory)
            .map(|(c, _)| c.to_string())
            .unwrap_or_default();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let unit = match route.manual {
            true => None,
            false => users::unit_by_name(&mut tx, &route.unit).await?,
        };
        let due_at = self.hotline_due(&request_type);
        let token = crate::auth::random_token();
        let attributes =
            serde_json::to_string(&s.attributes).map_err(|e| AppError::Internal(e.to_string()))?;
        let inserted = store::insert_request(
            &mut tx,
            &NewRequest {
                token: &token,
                client_key: s.client_key.as_deref(),
                channel: &s.channel,
                description: &s.description,
                address: &s.address,
                latitude: s.latitude,
                longitude: s.longitude,
                attributes: &attributes,
                contact_name: &s.contact_name,
                contact_phone: &s.contact_phone,
                contact_email: &s.contact_email,
                category: &category,
                subcategory: &subcategory,
                request_type: &request_type,
                confidence: model.confidence,
                classified_by,
                region_code,
                district_code,
                unit_id: unit.as_ref().map(|u| u.id),
                due_at,
                created_by: actor.user_id(),
                open311_key_id: actor.open311_key(),
                now,
            },
        )
        .await;
        let id = match inserted {
            Ok(id) => id,
            // The same client key at the same moment: the other copy won.
            Err(minsheng_store::StoreError::Conflict(_)) if s.client_key.is_some() => {
                drop(tx);
                let key = s.client_key.as_deref().unwrap_or_default();
                let id = store::request_by_client_key(&mut reader(self), key)
                    .await?
                    .ok_or(AppError::Conflict(msg!("duplicate-submission")))?;
                let r = store::request_public(&mut reader(self), id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                return Ok(self.intake_result(&r, false, Vec::new(), true));
            }
            Err(e) => return Err(e.into()),
        };
        self.hotline_event(
            &mut tx,
            actor,
            id,
            "received",
            &format!(
                "{} · {} {:.0}%",
                crate::i18n::word(crate::Lang::Zh, "hotline_channel", &s.channel),
                self.hotline_name_zh(&model.subcategory),
                model.confidence * 100.0
            ),
            "已受理",
        )
        .await?;
        if by_agent {
            self.record_label(
                &mut tx,
                actor,
                id,
                &text,
                &subcategory,
                &request_type,
                &model,
            )
            .await?;
        }
        if review {
            self.hotline_event(
                &mut tx,
                actor,
                id,
                "centre",
                &format!(
                    "分类置信度{:.0}%低于复核线{:.0}%，转人工复核",
                    model.confidence * 100.0,
                    self.hotline.router.review_below() * 100.0
                ),
                "",
            )
            .await?;
        } else {
            self.route_event(&mut tx, actor, id, &route, unit.as_ref())
                .await?;
        }
        write_audit(
            &mut tx,
            actor,
            "hotline.intake",
            Subject::new("hotline_request", &id.to_string()),
            true,
            &format!("{} → {}", s.channel, route.unit),
        )
        .await?;
        tx.commit().await?;
        // Other people's requests are shown to agents only.
        let duplicates = if actor.may(Action::TakeCalls) {
            self.duplicate_candidates(id).await?
        } else {
            Vec::new()
        };
        let r = store::request_public(&mut reader(self), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut result = self.intake_result(&r, route.manual || unit.is_none(), duplicates, false);
        result.confidence = model.confidence;
        Ok(result)
    }

    fn intake_result(
        &self,
        r: &RequestRow,
        manual: bool,
        duplicates: Vec<DuplicateCandidate>,
        resent: bool,
    ) -> IntakeResult {
        let place = self
            .hotline
            .gazetteer
            .locate(&format!("{} {}", r.description, r.address));
        IntakeResult {
            id: r.id,
            token: r.token.clone(),
            category: r.category.clone(),
            subcategory: r.subcategory.clone(),
            request_type: r.request_type.clone(),
            confidence: r.confidence,
            district: place.as_ref().map(|p| p.district.name.clone()),
            town: place.and_then(|p| p.town.map(|t| t.name)),
            unit: r
                .unit_name
                .clone()
                .unwrap_or_else(|| minsheng_hotline::routing::MANUAL_DISPATCH.to_string()),
            manual: manual || r.unit_id.is_none(),
            due_at: r.due_at,
            duplicates,
            resent,
        }
    }

    /// The end of the day `days` working days from today for a request type.
    /// A ticket's reply deadline: its type's working days from today, by the current calendar.
    fn hotline_due(&self, request_type: &str) -> i64 {
        let days = self
            .hotline
            .taxonomy
            .request_type(request_type)
            .map_or(5, |t| t.days);
        end_of_day(self.deadline_after(self.today(), days).date)
    }

    async fn hotline_event(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        request_id: i64,
        kind: &str,
        note: &str,
        public_note: &str,
    ) -> AppResult<()> {
        store::add_event(
            tx,
            &NewEvent {
                request_id,
                at: self.now(),
                user_id: actor.user_id(),
                username: actor.username(),
                unit_id: actor.unit_id(),
                kind,
                note,
                public_note,
            },
        )
        .await?;
        Ok(())
    }

    /// Records where routing sent a request (or why the centre holds it).
    async fn route_event(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        id: i64,
        route: &Route,
        unit: Option<&users::UnitRow>,
    ) -> AppResult<()> {
        let rule = route
            .rule_line
            .map(|l| format!(" (routing.toml line {l})"))
            .unwrap_or_default();
        match unit {
            Some(u) => {
                self.hotline_event(
                    tx,
                    actor,
                    id,
                    "dispatched",
                    &format!("{}{rule}", u.name),
                    &format!("已派单至{}", u.name),
                )
                .await
            }
            None if route.manual => {
                self.hotline_event(
                    tx,
                    actor,
                    id,
                    "centre",
                    "诉求中没有可定位的地点，转人工派单",
                    "",
                )
                .await
            }
            None => {
                self.hotline_event(
                    tx,
                    actor,
                    id,
                    "centre",
                    &format!("“{}”不是已登记的单位，转人工派单", route.unit),
                    "",
                )
                .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_label(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        id: i64,
        text: &str,
        subcategory: &str,
        request_type: &str,
        model: &Classification,
    ) -> AppResult<()> {
        store::insert_label(
            tx,
            &NewLabel {
                request_id: id,
                text,
                subcategory,
                request_type,
                model_subcategory: &model.subcategory,
                model_type: &model.type_code,
                user_id: actor.user_id(),
                at: self.now(),
            },
        )
        .await?;
        self.hotline_event(
            tx,
            actor,
            id,
            "corrected",
            &format!(
                "{}/{} → {}/{}",
                self.hotline_name_zh(&model.subcategory),
                self.hotline_name_zh(&model.type_code),
                self.hotline_name_zh(subcategory),
                self.hotline_name_zh(request_type)
            ),
            "",
        )
        .await
    }

    /// Open requests like this one: same district, last week, similar words.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn duplicates_of(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<Vec<DuplicateCandidate>> {
        self.authorize(
            actor,
            Action::TakeCalls,
            Subject::new("hotline_request", &id.to_string()),
        )
        .await?;
        self.duplicate_candidates(id).await
    }

    /// The open requests near a request that may be the same one (also shown to whoever just
    /// sent it, before an agent looks).
    async fn duplicate_candidates(&self, id: i64) -> AppResult<Vec<DuplicateCandidate>> {
        let mut c = reader(self);
        let Some(r) = store::request_public(&mut c, id).await? else {
            return Ok(Vec::new());
        };
        let since = r.created_at - DUPLICATE_DAYS * DAY_MS;
        let mut found: Vec<DuplicateCandidate> =
            store::open_near(&mut c, r.district_code, since, id)
                .await?
                .into_iter()
                .filter(|o| o.id < id)
                .map(|o| DuplicateCandidate {
                    similarity: (similarity(&r.description, &o.description) * 100.0).round()
                        / 100.0,
                    id: o.id,
                    description: o.description.chars().take(120).collect(),
                    created_at: o.created_at,
                    state: o.state,
                })
                .filter(|d| d.similarity >= DUPLICATE_SIMILARITY)
                .collect();
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        found.truncate(5);
        Ok(found)
    }

    /// A request with its steps: for the centre (`Action::TakeCalls`, their area) or for the
    /// answering unit (`Action::AnswerTickets`, addressed to their unit). Every read is audited,
    /// a refusal too.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_request(
        &self,
        actor: &Actor,
        id: i64,
        as_role: Action,
    ) -> AppResult<RequestDetail> {
        let subject = id.to_string();
        self.authorize(actor, as_role, Subject::new("hotline_request", &subject))
            .await?;
        let agent = as_role == Action::TakeCalls;
        let found = self
            .visible_request(&mut reader(self), actor, id, agent)
            .await?;
        let Some(mut request) = found else {
            self.audit_now(
                actor,
                "hotline.view",
                Subject::new("hotline_request", &subject),
                false,
                "not found",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        let events = store::events(&mut reader(self), id).await?;
        self.audit_now(
            actor,
            "hotline.view",
            Subject::new("hotline_request", &subject),
            true,
            "",
        )
        .await?;
        let contact_visible =
            agent || request.unit_id.is_some() && request.unit_id == actor.unit_id();
        if !contact_visible {
            request.contact_name.clear();
            request.contact_phone.clear();
            request.contact_email.clear();
        }
        Ok(RequestDetail {
            request,
            events,
            contact_visible,
        })
    }

    /// A request as the centre (its area) or the answering unit (its own tickets) sees it.
    async fn visible_request(
        &self,
        c: &mut impl minsheng_store::Conn,
        actor: &Actor,
        id: i64,
        agent: bool,
    ) -> AppResult<Option<RequestRow>> {
        let nothing = minsheng_store::Scope::from_ranges(Vec::new());
        Ok(if agent {
            store::request(c, actor.scope(), None, id).await?
        } else {
            store::request(c, &nothing, Some(actor.unit_id().unwrap_or(-1)), id).await?
        })
    }

    /// The work list: the centre sees what it holds, what waits for a call-back and what is
    /// overdue; a unit sees what is addressed to it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_queue(&self, actor: &Actor) -> AppResult<Vec<RequestRow>> {
        let agent = actor.may(Action::TakeCalls);
        if !agent {
            self.authorize(actor, Action::AnswerTickets, Subject::new("hotline", ""))
                .await?;
        }
        let query = if agent {
            RequestQuery {
                scope: Some(actor.scope().clone()),
                states: vec![
                    "centre".into(),
                    "replied".into(),
                    "dispatched".into(),
                    "accepted".into(),
                ],
                limit: 500,
                ..RequestQuery::default()
            }
        } else {
            RequestQuery {
                unit_id: Some(actor.unit_id().unwrap_or(-1)),
                states: vec!["dispatched".into(), "accepted".into(), "replied".into()],
                limit: 500,
                ..RequestQuery::default()
            }
        };
        let mut rows = store::requests(&mut reader(self), &query).await?;
        // Most urgent first: what the centre must act on (those awaiting review at the top),
        // then by deadline.
        rows.sort_by_key(|r| {
            (
                r.state != "centre",
                !self.hotline.awaits_review(r),
                r.state == "replied",
                r.due_at,
            )
        });
        Ok(rows)
    }

    /// A request the centre acts on: the caller must take calls, and the request be in their
    /// area (a miss is audited as a refusal).
    async fn centre_request(&self, actor: &Actor, id: i64) -> AppResult<RequestRow> {
        let subject = id.to_string();
        self.authorize(
            actor,
            Action::TakeCalls,
            Subject::new("hotline_request", &subject),
        )
        .await?;
        match store::request(&mut reader(self), actor.scope(), None, id).await? {
            Some(r) => Ok(r),
            None => {
                self.audit_now(
                    actor,
                    "hotline.step",
                    Subject::new("hotline_request", &subject),
                    false,
                    "not found",
                )
                .await?;
                Err(AppError::NotFound)
            }
        }
    }

    /// Runs one step on a request in one transaction: checks who may, moves it from the states
    /// given at the version read, records the event and the audit row.
    async fn step(&self, actor: &Actor, id: i64, version: i64, step: Step<'_>) -> AppResult<()> {
        self.authorize(
            actor,
            step.action,
            Subject::new("hotline_request", &id.to_string()),
        )
        .await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let found = self
            .visible_request(&mut tx, actor, id, !step.unit_only)
            .await?;
        let Some(r) = found else {
            drop(tx);
            self.audit_now(
                actor,
                step.audit,
                Subject::new("hotline_request", &id.to_string()),
                false,
                "not found",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        if !step.from.contains(&r.state.as_str()) {
            return Err(AppError::Conflict(
                msg!("request-step-refused").word("state", "hotline", &r.state),
            ));
        }
        let moved =
            store::change_request(&mut tx, id, version, step.from, &step.change, now).await?;
        if moved == 0 {
            return Err(AppError::Stale);
        }
        self.hotline_event(
            &mut tx,
            actor,
            id,
            step.event,
            &step.note,
            &step.public_note,
        )
        .await?;
        if let (Some((kind, title)), Some(unit)) = (&step.tell, r.unit_id) {
            crate::notify::tell(
                &mut tx,
                unit,
                *kind,
                &format!("hotline:{id}:{}:{now}", step.event),
                title,
                &r.description.chars().take(200).collect::<String>(),
                &format!("/hotline/requests/{id}"),
                now,
            )
            .await?;
        }
        write_audit(
            &mut tx,
            actor,
            step.audit,
            Subject::new("hotline_request", &id.to_string()),
            true,
            &step.note,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The centre corrects a request's subcategory and type; the correction becomes training
    /// data, and a request not yet accepted is routed again.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn correct_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        subcategory: &str,
        request_type: &str,
    ) -> AppResult<()> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        self.authorize(
            actor,
            Action::TakeCalls,
            Subject::new("hotline_request", &id.to_string()),
        )
        .await?;
        let Some((category, _)) = self.hotline.category_of(subcategory) else {
            return Err(AppError::invalid(
                "subcategory",
                msg!("unknown-subcategory", code = subcategory),
            ));
        };
        if self.hotline.taxonomy.request_type(request_type).is_none() {
            return Err(AppError::invalid(
                "request_type",
                msg!("unknown-request-type", code = request_type),
            ));
        }
        let classifier = self.hotline_classifier().await?;
        let mut tx = self.store().begin().await?;
        let r = store::request(&mut tx, actor.scope(), None, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let text = format!("{} {}", r.description, r.address);
        let model = classifier.classify(&text);
        let reroute = matches!(r.state.as_str(), "centre" | "dispatched");
        let place = self.hotline.gazetteer.locate(&text);
        let route = self
            .hotline
            .router
            .route(&self.hotline.taxonomy, subcategory, place.as_ref());
        let unit = match (reroute, route.manual) {
            (true, false) => users::unit_by_name(&mut tx, &route.unit).await?,
            _ => None,
        };
        let mut change = RequestChange {
            category: Some((category, subcategory, request_type)),
            classified_by_agent: true,
            ..RequestChange::default()
        };
        if reroute {
            change.unit_id = Some(unit.as_ref().map(|u| u.id));
            change.state = Some(if unit.is_some() {
                "dispatched"
            } else {
                "centre"
            });
            change.due_at = Some(self.hotline_due(request_type));
        }
        let from = ["centre", "dispatched", "accepted", "replied", "closed"];
        if store::change_request(&mut tx, id, version, &from, &change, self.now()).await? == 0 {
            return Err(AppError::Stale);
        }
        self.record_label(&mut tx, actor, id, &text, subcategory, request_type, &model)
            .await?;
        if reroute && r.unit_id != unit.as_ref().map(|u| u.id) {
            self.route_event(&mut tx, actor, id, &route, unit.as_ref())
                .await?;
        }
        write_audit(
            &mut tx,
            actor,
            "hotline.correct",
            Subject::new("hotline_request", &id.to_string()),
            true,
            &format!("{} → {subcategory}/{request_type}", r.subcategory),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The centre sends a request it holds (manual dispatch, or after a return) to a unit.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dispatch_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        unit_id: i64,
    ) -> AppResult<()> {
        let r = self.centre_request(actor, id).await?;
        let unit = users::unit(&mut reader(self), unit_id)
            .await?
            .ok_or_else(|| AppError::invalid("unit_id", msg!("no-such-unit")))?;
        // A request back from a unit (退单) goes out again: the return counted the transfer.
        let redispatch = r.transfers > 0;
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::TakeCalls,
                audit: "hotline.dispatch",
                from: &["centre"],
                unit_only: false,
                change: RequestChange {
                    state: Some("dispatched"),
                    unit_id: Some(Some(unit.id)),
                    ..RequestChange::default()
                },
                event: if redispatch {
                    "redispatched"
                } else {
                    "dispatched"
                },
                note: unit.name.clone(),
                public_note: format!("已派单至{}", unit.name),
                tell: None,
            },
        )
        .await
    }

    /// The unit takes the request on.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_request(&self, actor: &Actor, id: i64, version: i64) -> AppResult<()> {
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::AnswerTickets,
                audit: "hotline.accept",
                from: &["dispatched"],
                unit_only: true,
                change: RequestChange {
                    state: Some("accepted"),
                    ..RequestChange::default()
                },
                event: "accepted",
                note: String::new(),
                public_note: "承办单位已签收".into(),
                tell: None,
            },
        )
        .await
    }

    /// The unit returns a misrouted request (退单) with its reason; the centre re-dispatches.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn return_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reason: &str,
    ) -> AppResult<()> {
        let reason = crate::bounded("reason", reason, 500)?;
        let reason = reason.as_str();
        if reason.chars().count() < 4 {
            return Err(AppError::invalid("reason", msg!("say-why-not-ours")));
        }
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::AnswerTickets,
                audit: "hotline.return",
                from: &["dispatched", "accepted"],
                unit_only: true,
                change: RequestChange {
                    state: Some("centre"),
                    unit_id: Some(None),
                    add_transfer: true,
                    ..RequestChange::default()
                },
                event: "returned",
                note: reason.to_string(),
                public_note: String::new(),
                tell: None,
            },
        )
        .await
    }

    /// The unit asks for more time, with a reason.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn request_extension(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        days: i64,
        reason: &str,
    ) -> AppResult<()> {
        if !(1..=30).contains(&days) {
            return Err(AppError::invalid("days", msg!("extension-days")));
        }
        let reason = crate::bounded("reason", reason, 500)?;
        let reason = reason.as_str();
        if reason.is_empty() {
            return Err(AppError::invalid("reason", msg!("say-why-more-time")));
        }
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::AnswerTickets,
                audit: "hotline.extension_request",
                from: &["accepted"],
                unit_only: true,
                change: RequestChange {
                    extension: Some(("requested", Some(days), reason)),
                    ..RequestChange::default()
                },
                event: "extension_requested",
                note: format!("{days} working days: {reason}"),
                public_note: String::new(),
                tell: None,
            },
        )
        .await
    }

    /// The centre grants (the deadline moves by the days asked, from the current deadline) or
    /// refuses an extension.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn decide_extension(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        grant: bool,
    ) -> AppResult<()> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        let r = self.centre_request(actor, id).await?;
        if r.extension_state.as_deref() != Some("requested") {
            return Err(AppError::Conflict(msg!("no-extension-asked")));
        }
        let days = r.extension_days.unwrap_or(0).clamp(0, 30) as u32;
        let due = time::OffsetDateTime::from_unix_timestamp(r.due_at / 1000)
            .map(|t| t.to_offset(CHINA_OFFSET).date())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let new_due = end_of_day(self.deadline_after(due, days).date);
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::TakeCalls,
                audit: "hotline.extension_decide",
                from: &["accepted"],
                unit_only: false,
                change: RequestChange {
                    extension_decided: Some(if grant { "granted" } else { "refused" }),
                    due_at: grant.then_some(new_due),
                    ..RequestChange::default()
                },
                event: if grant {
                    "extension_granted"
                } else {
                    "extension_refused"
                },
                note: format!("{days} 个工作日"),
                public_note: if grant {
                    "办理期限已延长".into()
                } else {
                    String::new()
                },
                tell: None,
            },
        )
        .await
    }

    /// The unit's reply, saying whether the problem itself was solved.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reply_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reply: &str,
        resolved: bool,
    ) -> AppResult<()> {
        let reply = strip_html(reply);
        if reply.chars().count() < 10 {
            return Err(AppError::invalid("reply", msg!("reply-required")));
        }
        if reply.chars().count() > MAX_DESCRIPTION {
            return Err(AppError::invalid(
                "reply",
                msg!("text-too-long", max = MAX_DESCRIPTION),
            ));
        }
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::AnswerTickets,
                audit: "hotline.reply",
                from: &["accepted"],
                unit_only: true,
                change: RequestChange {
                    state: Some("replied"),
                    reply: Some((&reply, resolved)),
                    ..RequestChange::default()
                },
                event: "replied",
                note: if resolved {
                    "resolved"
                } else {
                    "replied, not resolved"
                }
                .into(),
                public_note: reply.clone(),
                tell: None,
            },
        )
        .await
    }

    /// The centre's call-back (回访): satisfied closes the request; unsatisfied sends it back to
    /// the same unit to be handled again (重办) with a new deadline.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_callback(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        satisfaction: &str,
        note: &str,
    ) -> AppResult<()> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        if !SATISFACTIONS.contains(&satisfaction) {
            return Err(AppError::invalid(
                "satisfaction",
                msg!(
                    "hotline-satisfaction-choices",
                    choices = SATISFACTIONS.join(", ")
                ),
            ));
        }
        let note = crate::bounded("note", note, 1000)?;
        let note = note.as_str();
        let r = self.centre_request(actor, id).await?;
        let rework = satisfaction == "unsatisfied";
        let change = if rework {
            RequestChange {
                state: Some("accepted"),
                add_rework: true,
                clear_reply: true,
                due_at: Some(self.hotline_due(&r.request_type)),
                ..RequestChange::default()
            }
        } else {
            RequestChange {
                state: Some("closed"),
                satisfaction: Some(satisfaction),
                closed: true,
                ..RequestChange::default()
            }
        };
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::TakeCalls,
                audit: "hotline.callback",
                from: &["replied"],
                unit_only: false,
                change,
                event: if rework { "rework" } else { "closed" },
                note: format!(
                    "{}：{}",
                    crate::i18n::word(crate::Lang::Zh, "hotline_satisfaction", satisfaction),
                    note.trim()
                ),
                public_note: if rework {
                    "回访不满意，重新办理".into()
                } else {
                    "已办结".into()
                },
                tell: None,
            },
        )
        .await
    }

    /// A closed request reopened (the citizen calls again: the problem is back): handled again
    /// by the same unit.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reopen_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        reason: &str,
    ) -> AppResult<()> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        let r = self.centre_request(actor, id).await?;
        let reason = crate::bounded("reason", reason, 500)?;
        if r.unit_id.is_none() {
            return Err(AppError::Conflict(msg!("no-unit-answered")));
        }
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::TakeCalls,
                audit: "hotline.reopen",
                from: &["closed"],
                unit_only: false,
                change: RequestChange {
                    state: Some("accepted"),
                    add_rework: true,
                    clear_reply: true,
                    due_at: Some(self.hotline_due(&r.request_type)),
                    ..RequestChange::default()
                },
                event: "rework",
                note: reason.clone(),
                public_note: "重新办理".into(),
                tell: None,
            },
        )
        .await
    }

    /// Merges a request into an open one about the same thing: it stops counting on its own.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn merge_request(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        into: i64,
    ) -> AppResult<()> {
        if id == into {
            return Err(AppError::invalid("into", msg!("merge-into-itself")));
        }
        let target = store::request(&mut reader(self), actor.scope(), None, into)
            .await?
            .ok_or_else(|| AppError::invalid("into", msg!("no-such-request")))?;
        if target.state == "merged" {
            return Err(AppError::invalid(
                "into",
                msg!(
                    "request-merged-elsewhere",
                    into = into,
                    target = target.merged_into.unwrap_or(0)
                ),
            ));
        }
        self.step(
            actor,
            id,
            version,
            Step {
                action: Action::TakeCalls,
                audit: "hotline.merge",
                from: &["centre", "dispatched", "accepted"],
                unit_only: false,
                change: RequestChange {
                    state: Some("merged"),
                    merged_into: Some(into),
                    closed: true,
                    ..RequestChange::default()
                },
                event: "merged",
                note: format!("into #{into}"),
                public_note: format!("与第{into}号诉求合并办理"),
                tell: None,
            },
        )
        .await
    }

    /// Open requests past their deadline: chased (催办) once, escalated if chased already and
    /// still overdue a working day later. Returns (id, escalated).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn chase_requests(&self, actor: &Actor) -> AppResult<Vec<(i64, bool)>> {
        self.authorize(actor, Action::TakeCalls, Subject::new("hotline", ""))
            .await?;
        let now = self.now();
        let overdue = store::requests(
            &mut reader(self),
            &RequestQuery {
                scope: Some(actor.scope().clone()),
                states: vec!["dispatched".into(), "accepted".into()],
                overdue_at: Some(now),
                limit: 1000,
                ..RequestQuery::default()
            },
        )
        .await?;
        let mut done = Vec::new();
        for r in overdue {
            if r.chased_at.is_some_and(|at| now - at < DAY_MS) {
                continue;
            }
            let escalate = r.chased_at.is_some();
            let step = Step {
                action: Action::TakeCalls,
                audit: "hotline.chase",
                from: &["dispatched", "accepted"],
                unit_only: false,
                change: RequestChange {
                    chased_at: Some(now),
                    escalated: escalate.then_some(true),
                    ..RequestChange::default()
                },
                event: if escalate { "escalated" } else { "chased" },
                note: r.unit_name.clone().unwrap_or_default(),
                public_note: String::new(),
                tell: Some((
                    crate::notify::EventKind::HotlineOverdue,
                    if escalate {
                        format!("12345工单 #{} 超期未办结，已升级督办", r.id)
                    } else {
                        format!("12345工单 #{} 超期，请尽快办理", r.id)
                    },
                )),
            };
            match self.step(actor, r.id, r.row_version, step).await {
                Ok(()) => done.push((r.id, escalate)),
                // Moved on meanwhile: nothing to chase.
                Err(AppError::Stale | AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Hands a request that reveals a household in difficulty to social assistance as a clue
    /// (one step, the link kept both ways: the clue's source is the request).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn request_to_clue(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        town_code: Option<&str>,
        person_name: &str,
        urgency: &str,
    ) -> AppResult<i64> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        let r = self.centre_request(actor, id).await?;
        if let Some(clue) = r.clue_id {
            return Err(AppError::Conflict(msg!(
                "request-is-clue-already",
                clue = clue
            )));
        }
        let region = match town_code.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None if r.region_code % 1000 == 0 && r.region_code % 1_000_000 != 0 => {
                RegionCode::from_i64(r.region_code)
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            }
            None => {
                return Err(AppError::invalid("town_code", msg!("request-no-town")));
            }
        };
        // Where: the address given, else the place the request names.
        let address = if r.address.is_empty() {
            self.hotline
                .gazetteer
                .locate(&r.description)
                .map(|p| {
                    format!(
                        "{}{}",
                        p.district.name,
                        p.town.map(|t| t.name).unwrap_or_default()
                    )
                })
                .unwrap_or_default()
        } else {
            r.address.clone()
        };
        let submission = ClueSubmission {
            channel: "hotline".into(),
            description: r.description.clone(),
            address,
            region_code: Some(region),
            person_name: person_name.trim().to_string(),
            urgency: if urgency.is_empty() {
                "normal".into()
            } else {
                urgency.to_string()
            },
            latitude: r.latitude,
            longitude: r.longitude,
            system_key: Some(format!("12345:{}", r.token)),
            source_ref: format!("12345:{id}"),
            ..ClueSubmission::default()
        };
        let clue = self.check_clue(actor, &submission).await?;
        let mut tx = self.store().begin().await?;
        let (clue_id, lead_id, _) = self.file_clue(&mut tx, actor, &clue).await?;
        let change = RequestChange {
            clue_id: Some(clue_id),
            ..RequestChange::default()
        };
        let states = [
            "centre",
            "dispatched",
            "accepted",
            "replied",
            "closed",
            "merged",
        ];
        if store::change_request(&mut tx, id, version, &states, &change, self.now()).await? == 0 {
            return Err(AppError::Stale);
        }
        self.hotline_event(
            &mut tx,
            actor,
            id,
            "clue",
            &format!("线索 {clue_id}，待走访 {lead_id}"),
            "",
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "hotline.to_clue",
            Subject::new("hotline_request", &id.to_string()),
            true,
            &format!("线索 {clue_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(clue_id)
    }

    /// The weekly publication: public data only (no contact, no staff notes), so no sign-in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn weekly_ranking(&self, week: &str) -> AppResult<WeeklyRanking> {
        let monday = parse_week(week)
            .map_err(|_| AppError::invalid("week", msg!("not-a-week", text = week.trim())))?;
        let next = monday + time::Duration::days(7);
        let (from, to) = (start_of_day(monday), start_of_day(next));
        let mut c = reader(self);
        let counts = store::category_counts(&mut c, from, to).await?;
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        let mut categories: Vec<CategoryShare> = self
            .hotline
            .taxonomy
            .categories
            .iter()
            .map(|cat| {
                let count = counts
                    .iter()
                    .find(|(code, _)| code == &cat.code)
                    .map_or(0, |(_, n)| *n);
                CategoryShare {
                    code: cat.code.clone(),
                    name_zh: cat.name_zh.clone(),
                    name_en: cat.name_en.clone(),
                    count,
                    share: if total > 0 {
                        (count as f64 * 1000.0 / total as f64).round() / 10.0
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        categories.sort_by_key(|c| std::cmp::Reverse(c.count));
        let rows = store::requests(
            &mut c,
            &RequestQuery {
                created_from: Some(from),
                created_to: Some(to),
                limit: 1000,
                ..RequestQuery::default()
            },
        )
        .await?;
        let (mut solved, mut unsolved) = (Vec::new(), Vec::new());
        for r in rows.iter().filter(|r| r.state != "merged") {
            if r.resolved == Some(true) {
                solved.push(public(r, &self.hotline.taxonomy));
            } else {
                unsolved.push(public(r, &self.hotline.taxonomy));
            }
        }
        Ok(WeeklyRanking {
            week: week_of(monday),
            from: monday.to_string(),
            to: (next - time::Duration::days(1)).to_string(),
            total,
            categories,
            solved,
            unsolved,
        })
    }

    /// Requests for Open311 and public lists: no contact, no staff notes.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn public_requests(&self, query: &RequestQuery) -> AppResult<Vec<PublicRequest>> {
        let mut query = query.clone();
        query.scope = None;
        query.unit_id = None;
        let rows = store::requests(&mut reader(self), &query).await?;
        Ok(rows
            .iter()
            .map(|r| public(r, &self.hotline.taxonomy))
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn public_request(&self, id: i64) -> AppResult<PublicRequest> {
        let r = store::request_public(&mut reader(self), id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(public(&r, &self.hotline.taxonomy))
    }

    /// The request id of an Open311 token.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn request_of_token(&self, token: &str) -> AppResult<Option<i64>> {
        Ok(store::request_by_token(&mut reader(self), token).await?)
    }

    /// Public steps in a time window (Open311 servicerequestupdates).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn public_updates(&self, from: i64, to: i64) -> AppResult<Vec<EventRow>> {
        let mut events = store::public_events(&mut reader(self), from, to, 1000).await?;
        for e in &mut events {
            e.public_note = scrub_personal(&e.public_note);
        }
        Ok(events)
    }

    /// A citizen's further word on a request through an Open311 client: kept for the staff (not
    /// published: it may hold personal data). Returns the update's id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn citizen_update(&self, actor: &Actor, id: i64, text: &str) -> AppResult<i64> {
        let text = strip_html(text);
        if text.is_empty() || text.chars().count() > MAX_DESCRIPTION {
            return Err(AppError::invalid(
                "description",
                msg!("text-length-no-html", max = MAX_DESCRIPTION),
            ));
        }
        // A client system adds to the requests it sent, not to anyone else's.
        let subject_id = id.to_string();
        let own = match actor.open311_key() {
            Some(key) => store::sent_by_open311_key(&mut reader(self), id, key).await?,
            None => false,
        };
        if !own {
            return Err(self
                .not_found_audited(
                    actor,
                    "hotline.citizen_update",
                    Subject::new("hotline_request", &subject_id),
                    "not a request this client sent",
                )
                .await);
        }
        let mut tx = self.store().begin().await?;
        let event = store::add_event(
            &mut tx,
            &NewEvent {
                request_id: id,
                at: self.now(),
                user_id: None,
                username: actor.username(),
                unit_id: None,
                kind: "citizen_update",
                note: &text,
                public_note: "",
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "hotline.citizen_update",
            Subject::new("hotline_request", &id.to_string()),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(event)
    }

    /// The units an agent may dispatch a request to by hand, the ones its subcategory names
    /// first (the responsible unit's kind, in the request's district when it is known), then
    /// the others. Nothing is chosen for the agent.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dispatch_choices(
        &self,
        actor: &Actor,
        subcategory: &str,
        district_code: Option<i64>,
    ) -> AppResult<DispatchChoices> {
        let units = self.hotline_units(actor, district_code).await?;
        // The responsible unit's name without its place: "卫生健康委员会", "办事处".
        let kind_of_unit = self
            .hotline()
            .taxonomy()
            .subcategory(subcategory)
            .map(|(_, sub)| {
                let mut name = sub.unit.clone();
                for placeholder in ["{district}", "{zone}", "{town}"] {
                    name = name.replace(placeholder, "");
                }
                name
            })
            .filter(|name| !name.is_empty());
        let (suggested, others) = units.into_iter().partition(|u| {
            kind_of_unit
                .as_deref()
                .is_some_and(|name| u.name.ends_with(name))
        });
        Ok(DispatchChoices { suggested, others })
    }

    /// The units the centre may dispatch a request of a district to: that district's, the
    /// zones' and the city-wide ones.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_units(
        &self,
        actor: &Actor,
        district_code: Option<i64>,
    ) -> AppResult<Vec<users::UnitRow>> {
        self.authorize(actor, Action::TakeCalls, Subject::new("hotline", ""))
            .await?;
        let units = users::units_in_scope(&mut reader(self), actor.scope()).await?;
        let district = |code: i64| code / 1_000_000;
        Ok(units
            .into_iter()
            .filter(|u| u.kind != UnitKind::SystemOperator.code())
            .filter(|u| match district_code {
                Some(d) => {
                    district(u.region_code) == district(d)
                        || u.region_code == MUNICIPALITY
                        || district(u.region_code) >= 509_000
                }
                None => true,
            })
            .collect())
    }

    /// The agents' corrections, for training elsewhere (an audited read: they hold callers'
    /// words).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hotline_labels(&self, actor: &Actor) -> AppResult<Vec<store::LabelRow>> {
        self.authorize(actor, Action::TakeCalls, Subject::new("hotline_labels", ""))
            .await?;
        let labels = store::labels(&mut reader(self)).await?;
        self.audit_now(
            actor,
            "hotline.labels",
            Subject::new("hotline_labels", ""),
            true,
            &format!("{} rows", labels.len()),
        )
        .await?;
        Ok(labels)
    }

    /// Issues an Open311 key for a client application (shown once, stored as a hash).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn issue_open311_key(&self, actor: &Actor, client_name: &str) -> AppResult<String> {
        self.authorize(actor, Action::ManageUnits, Subject::new("open311_key", ""))
            .await?;
        let name = client_name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid(
                "client_name",
                msg!("text-length", max = 100),
            ));
        }
        let key = format!("o311_{}", crate::auth::random_token());
        let mut tx = self.store().begin().await?;
        store::insert_open311_key(&mut tx, &crate::auth::token_hash(&key), name, self.now())
            .await?;
        write_audit(
            &mut tx,
            actor,
            "open311.key",
            Subject::new("open311_key", name),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Registers the units the routing can name in the given districts or zones (name, region),
    /// so tickets there reach someone: the taxonomy's units and the rules' fixed units. Returns
    /// how many were added; units already there are kept.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn install_hotline_units(&self, areas: &[(&str, i64)]) -> AppResult<usize> {
        let mut names: Vec<(String, i64)> = Vec::new();
        for (area, region) in areas {
            for c in &self.hotline.taxonomy.categories {
                for s in &c.sub {
                    names.push((s.unit_in(area), *region));
                }
            }
        }
        for rule in self.hotline.router.rules() {
            if !rule.unit.contains('{') {
                names.push((rule.unit.clone(), MUNICIPALITY));
            }
        }
        names.sort();
        names.dedup_by(|a, b| a.0 == b.0);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut added = 0;
        for (name, region) in &names {
            // A unit already registered (with its own kind) is left as it is.
            if users::unit_by_name(&mut tx, name).await?.is_none() {
                users::upsert_unit(&mut tx, name, UnitKind::GovernmentDept.code(), *region, now)
                    .await?;
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }
}

impl App {
    /// Registers the answering units of every district and county and of the functional zones.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn install_all_hotline_units(&self) -> AppResult<usize> {
        let code = |text: &str| RegionCode::parse(text).ok().map(|c| c.as_i64());
        let mut areas: Vec<(String, i64)> = Vec::new();
        for d in self.hotline.gazetteer.districts() {
            if let Some(region) = code(&d.code) {
                areas.push((d.name.clone(), region));
            }
        }
        for z in self.hotline.gazetteer.zones() {
            if let Some(region) = code(&z.code) {
                areas.push((z.name.clone(), region));
            }
        }
        let areas: Vec<(&str, i64)> = areas.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        self.install_hotline_units(&areas).await
    }

    /// Demo requests of this week taken by the demo agent (classified and routed as any call),
    /// some answered by 渝中区城市管理局, so queues and the ranking have something to show.
    pub(crate) async fn create_demo_hotline(&self, count: usize, seed: u64) -> AppResult<()> {
        let mut c = reader(self);
        let user = |name: &'static str| async move {
            users::user_by_name(&mut reader(self), name)
                .await?
                .ok_or_else(|| AppError::Internal(format!("demo user {name} is missing")))
        };
        let agent =
            crate::auth::actor_for(&mut c, &user("hotline").await?, "demo", "", self.today())
                .await?;
        let handler = crate::auth::actor_for(
            &mut c,
            &user("yuzhong.cityadmin").await?,
            "demo",
            "",
            self.today(),
        )
        .await?;
        drop(c);
        let phrases = synth::phrases(synth::PHRASES_TOML, &self.hotline.taxonomy)
            .map_err(AppError::Internal)?;
        let rows = synth::generate(
            &self.hotline.taxonomy,
            &self.hotline.gazetteer,
            &phrases,
            count,
            seed,
        );
        for (i, row) in rows.iter().enumerate() {
            let taken = self
                .submit_request(
                    &agent,
                    &RequestSubmission {
                        channel: "phone".into(),
                        description: row.text.clone(),
                        contact_name: "市民".into(),
                        contact_phone: format!("1380000{:04}", i % 10_000),
                        ..RequestSubmission::default()
                    },
                )
                .await?;
            if taken.unit != handler.unit_name() {
                continue;
            }
            let version = |id| async move {
                store::request_public(&mut reader(self), id)
                    .await?
                    .map(|r| r.row_version)
                    .ok_or(AppError::NotFound)
            };
            self.accept_request(&handler, taken.id, version(taken.id).await?)
                .await?;
            if i % 3 != 2 {
                self.reply_request(
                    &handler,
                    taken.id,
                    version(taken.id).await?,
                    "已安排执法人员到现场核实处理，问题已整改完毕，感谢您的监督。",
                    i % 3 == 0,
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Stand-in actor for people and systems that are not users: a citizen on the public form, an
/// Open311 client application.
pub fn outside_actor(name: &str, ip: &str) -> Actor {
    Actor::outside(name, ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_read_and_print() {
        let monday = parse_week("2026-W33").expect("week");
        assert_eq!(monday.to_string(), "2026-08-10");
        assert_eq!(week_of(monday + time::Duration::days(6)), "2026-W33");
        assert!(parse_week("2026-W54").is_err());
        assert!(parse_week("W33").is_err());
    }

    #[test]
    fn phone_and_id_numbers_are_masked_for_publication() {
        assert_eq!(scrub_personal("电话13812345678请回电"), "电话＊＊＊请回电");
        assert_eq!(scrub_personal("身份证50010319800101123X"), "身份证＊＊＊");
        assert_eq!(scrub_personal("3号楼2单元502室"), "3号楼2单元502室");
    }

    #[test]
    fn html_is_taken_out_and_text_kept() {
        assert_eq!(
            strip_html("路灯<b>不亮</b><script>x</script>"),
            "路灯 不亮 x"
        );
        assert_eq!(strip_html("3 < 5 且 a>b"), "3 < 5 且 a>b");
    }

    #[test]
    fn similar_requests_are_alike_and_different_ones_not() {
        let a = "小区门口的路灯坏了一个多月没人修";
        let b = "小区门口路灯坏了一个多月了都没人来修";
        let c = "公司拖欠三个月工资";
        assert!(
            similarity(a, b) >= DUPLICATE_SIMILARITY,
            "{}",
            similarity(a, b)
        );
        assert!(similarity(a, c) < 0.1);
    }
}
