//! Proactive discovery (主动发现): clues from every channel are triaged into leads (one per
//! household or person while open), routed to the community of their area with a deadline in
//! working days, visited, and end in a household file (建档) or a recorded reason.

use minsheng_domain::authz::channels_for;
use minsheng_domain::time_util::CHINA_OFFSET;
use minsheng_domain::{
    Action, IdNumber, RegionCode, RegionLevel, Role, WorkdayCalendar, mask_id_number, relation,
    text,
};
use minsheng_i18n::{Lang, msg};
use minsheng_store::discovery::{self, ClueInput, LeadInput, MyClueRow, PhotoOwner, VisitInput};
pub use minsheng_store::discovery::{ClueRow, DiscoveryFigures, FileRow, LeadRow, TimelineRow};
use minsheng_store::registry;
use minsheng_store::{Conn, Scope, WriteTx, regions};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};

use crate::registry::{MemberInput, validate_member};
use crate::{Actor, App, AppError, AppResult, FieldError, Outside, Subject, reader, write_audit};

pub const CHANNELS: [&str; 7] = [
    "volunteer",
    "grid_worker",
    "sweep",
    "hotline",
    "screening",
    "application",
    "department",
];
pub const URGENCIES: [&str; 3] = ["normal", "urgent", "emergency"];
pub const CLOSE_REASONS: [&str; 5] = [
    "not_in_difficulty",
    "moved_away",
    "unreachable",
    "duplicate",
    "other",
];
pub const FILE_STATES: [&str; 4] = ["watch", "assisted", "not_eligible_helped", "closed"];

/// Working days to the first visit, by urgency; an emergency is visited the same day.
pub fn visit_workdays(urgency: &str) -> u32 {
    match urgency {
        "emergency" => 0,
        "urgent" => 1,
        _ => 3,
    }
}

/// Working days an overdue lead waits at the town before it reaches the district.
pub const TOWN_GRACE_WORKDAYS: u32 = 2;

/// The last millisecond of a day in China time.
pub(crate) fn end_of_day(date: Date) -> i64 {
    let end = date.with_time(Time::MIDNIGHT).assume_offset(CHINA_OFFSET) + time::Duration::days(1);
    end.unix_timestamp() * 1000 - 1
}

/// When a lead of this urgency, opened today, must be visited; and when it escalates to the
/// district if it is not.
pub fn deadlines(calendar: &WorkdayCalendar, today: Date, urgency: &str) -> (i64, i64) {
    let due = calendar.add_workdays(today, visit_workdays(urgency));
    let district = calendar.add_workdays(due, TOWN_GRACE_WORKDAYS);
    (end_of_day(due), end_of_day(district))
}

/// A clue as it arrives, from the phone form or an API channel.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClueSubmission {
    #[serde(default)]
    pub channel: String,
    pub description: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub person_name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Chosen by the sender; the same key twice is one clue (a resend after a lost answer).
    #[serde(default)]
    pub client_key: Option<String>,
    /// The other system's reference (hotline ticket, screening run, department case).
    #[serde(default)]
    pub source_ref: String,
    /// A key the product itself gives (`screen:…`, `12345:…`): one clue per warning or
    /// request, whoever files it. Never read from a sender.
    #[serde(skip)]
    pub system_key: Option<String>,
    /// Photos from the phone form (multipart); not part of the JSON API.
    #[serde(skip)]
    pub photos: Vec<Vec<u8>>,
}

/// At most this many photos with one clue.
pub const MAX_PHOTOS: usize = 4;
/// At most this many bytes a photo.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Keeps the photos that are images of allowed size, and records an error for each that is not.
fn validate_photos(
    photos: &[Vec<u8>],
    errors: &mut Vec<FieldError>,
) -> Vec<(&'static str, Vec<u8>)> {
    if photos.len() > MAX_PHOTOS {
        errors.push(FieldError::new(
            "photos",
            msg!("too-many-photos", max = MAX_PHOTOS),
        ));
    }
    let mut valid = Vec::new();
    for (i, bytes) in photos.iter().enumerate() {
        match sniff_image(bytes) {
            _ if bytes.len() > MAX_PHOTO_BYTES => errors.push(FieldError::new(
                "photos",
                msg!(
                    "photo-too-large",
                    n = i + 1,
                    mb = MAX_PHOTO_BYTES / 1024 / 1024
                ),
            )),
            Some(kind) => valid.push((kind, bytes.clone())),
            None => errors.push(FieldError::new("photos", msg!("not-a-photo", n = i + 1))),
        }
    }
    valid
}

/// The image type a file's first bytes say it is; `None` for anything that is not a photo.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1")
    {
        Some("image/heic")
    } else {
        None
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmitResult {
    pub clue_id: i64,
    pub lead_id: i64,
    /// The clue joined an open lead about the same people.
    pub merged: bool,
    /// The same client key was sent before; nothing new was stored.
    pub resent: bool,
}

/// How the clue was matched to people already known.
struct Match {
    key: String,
    person_id: Option<i64>,
    household_id: Option<i64>,
    /// Where the matched person lives (inside the clue's area): the lead goes there.
    region: Option<i64>,
}

pub(crate) struct ValidClue {
    photos: Vec<(&'static str, Vec<u8>)>,
    channel: String,
    description: String,
    address: String,
    region: i64,
    person_name: String,
    id_number: Option<IdNumber>,
    urgency: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    client_key: Option<String>,
    source_ref: String,
}

fn limited(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.push(FieldError::new(field, msg!("text-too-long", max = max)));
    }
    value.to_string()
}

impl App {
    /// Refuses photos past the user's daily upload quota, saying what is used and left.
    async fn check_upload_quota(
        &self,
        actor: &Actor,
        photos: &[(&'static str, Vec<u8>)],
    ) -> AppResult<()> {
        let adding: i64 = photos.iter().map(|(_, b)| b.len() as i64).sum();
        let Some(user) = actor.user_id().filter(|_| adding > 0) else {
            return Ok(());
        };
        let today = end_of_day(self.today()) - 86_400_000;
        let used = discovery::uploaded_bytes_since(&mut reader(self), user, today).await?;
        let quota = self.settings().upload_bytes_per_user_day;
        if used + adding > quota {
            let mb = |b: i64| b as f64 / (1 << 20) as f64;
            return Err(AppError::invalid(
                "photos",
                msg!(
                    "photo-quota",
                    quota = format!("{:.0}", mb(quota)),
                    used = format!("{:.1}", mb(used)),
                    adding = format!("{:.1}", mb(adding))
                ),
            ));
        }
        Ok(())
    }

    fn may_use_channel(actor: &Actor, channel: &str) -> bool {
        actor
            .roles()
            .iter()
            .any(|r| channels_for(*r).contains(&channel))
    }

    async fn validate_clue(&self, actor: &Actor, s: &ClueSubmission) -> AppResult<ValidClue> {
        let mut errors = Vec::new();
        let channel = s.channel.trim().to_string();
        if !CHANNELS.contains(&channel.as_str()) {
            errors.push(FieldError::new(
                "channel",
                msg!("not-a-channel", channel = channel),
            ));
        } else if !Self::may_use_channel(actor, &channel) {
            errors.push(FieldError::new(
                "channel",
                msg!("channel-not-for-role").word("channel", "discovery", &channel),
            ));
        }
        let description = limited("description", &s.description, 2000, &mut errors);
        if description.is_empty() {
            errors.push(FieldError::new("description", msg!("say-what-you-noticed")));
        }
        let address = limited("address", &s.address, 200, &mut errors);
        let person_name = limited("person_name", &s.person_name, 50, &mut errors);
        let urgency = if s.urgency.trim().is_empty() {
            "normal".to_string()
        } else {
            s.urgency.trim().to_string()
        };
        if !URGENCIES.contains(&urgency.as_str()) {
            errors.push(FieldError::new("urgency", msg!("urgency-choices")));
        }
        let id_number = match s
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(text) => match IdNumber::parse(text) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(FieldError::new("id_number", e.message()));
                    None
                }
            },
            None => None,
        };
        let (latitude, longitude) = (s.latitude, s.longitude);
        if latitude.is_some() != longitude.is_some()
            || latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v))
            || longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v))
        {
            errors.push(FieldError::new("location", msg!("lat-long-both")));
        }
        let has_location = !address.is_empty() || latitude.is_some();
        let has_person = !person_name.is_empty() || id_number.is_some();
        if !has_location && !has_person {
            errors.push(FieldError::new("address", msg!("clue-where-or-who")));
        }
        let sent_key = s
            .client_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        if sent_key.is_some_and(|k| k.len() > 100) {
            errors.push(FieldError::new("client_key", msg!("client-key-too-long")));
        }
        let client_key = s
            .system_key
            .clone()
            .or_else(|| sent_key.map(|k| sender_key(actor, k)));
        let photos = validate_photos(&s.photos, &mut errors);
        if let Err(e) = self.check_upload_quota(actor, &photos).await {
            match e {
                AppError::Invalid(mut list) => errors.append(&mut list),
                other => return Err(other),
            }
        }
        let region = self
            .clue_region(
                actor,
                s.region_code.as_deref(),
                id_number.as_ref(),
                &mut errors,
            )
            .await?;
        match region {
            Some(region) if errors.is_empty() => Ok(ValidClue {
                photos,
                channel,
                description,
                address,
                region,
                person_name,
                id_number,
                urgency,
                latitude,
                longitude,
                client_key,
                source_ref: s.source_ref.trim().chars().take(100).collect(),
            }),
            _ => Err(AppError::Invalid(errors)),
        }
    }

    /// The town or community a clue belongs to: as given, else where the person lives, else the
    /// reporter's own community or town.
    async fn clue_region(
        &self,
        actor: &Actor,
        given: Option<&str>,
        id_number: Option<&IdNumber>,
        errors: &mut Vec<FieldError>,
    ) -> AppResult<Option<i64>> {
        let mut c = reader(self);
        if let Some(text) = given.map(str::trim).filter(|t| !t.is_empty()) {
            let code = match RegionCode::parse(text) {
                Ok(code) => code,
                Err(e) => {
                    errors.push(FieldError::new("region_code", e.message()));
                    return Ok(None);
                }
            };
            let known = regions::get(&mut c, code.as_i64()).await?;
            return Ok(match known {
                Some(r) if r.level == "town" || r.level == "community" => {
                    if actor.scope().contains(code.as_i64()) {
                        Some(code.as_i64())
                    } else {
                        errors.push(FieldError::new("region_code", msg!("region-outside-area")));
                        None
                    }
                }
                _ => {
                    errors.push(FieldError::new(
                        "region_code",
                        msg!("town-or-community-code"),
                    ));
                    None
                }
            });
        }
        if let Some(id) = id_number
            && let Some(p) =
                registry::person_by_id_number(&mut c, actor.scope(), id.as_str()).await?
        {
            return Ok(Some(p.region_code));
        }
        let own = RegionCode::from_i64(actor.region_code()).map(|c| c.level());
        if matches!(own, Some(RegionLevel::Town | RegionLevel::Community))
            && actor.scope().contains(actor.region_code())
        {
            return Ok(Some(actor.region_code()));
        }
        errors.push(FieldError::new("region_code", msg!("clue-which-area")));
        Ok(None)
    }

    /// Finds who a clue is about, only among the people of the lead's own area (the clue's town
    /// or community, inside the reporter's area): by ID number; else by name and a similar
    /// address; else by the address alone. Someone registered elsewhere is not matched, so a
    /// lead never carries another area's household.
    async fn match_clue(&self, c: &mut impl Conn, clue: &ValidClue) -> AppResult<Match> {
        let area = lead_area(clue.region)?;
        if let Some(id) = &clue.id_number {
            return Ok(
                match registry::person_by_id_number(c, &area, id.as_str()).await? {
                    Some(p) => Match {
                        key: p
                            .household_id
                            .map_or_else(|| format!("id:{id}"), |h| format!("hh:{h}")),
                        person_id: Some(p.id),
                        household_id: p.household_id,
                        region: Some(p.region_code),
                    },
                    None => Match {
                        key: format!("id:{id}"),
                        person_id: None,
                        household_id: None,
                        region: None,
                    },
                },
            );
        }
        let town = clue.region / 1000 * 1000;
        if !clue.person_name.is_empty() {
            let candidates = registry::persons_named(c, &area, &clue.person_name, 50).await?;
            let best = candidates
                .iter()
                .map(|(p, h, addr, region)| {
                    (
                        text::similarity(addr.as_deref().unwrap_or(""), &clue.address),
                        *p,
                        *h,
                        *region,
                    )
                })
                .filter(|(score, _, _, _)| *score >= 0.5 || clue.address.is_empty())
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let unique_by_name = candidates.len() == 1 && clue.address.is_empty();
            if let Some((_, person, household, region)) =
                best.filter(|_| !clue.address.is_empty() || unique_by_name)
            {
                return Ok(Match {
                    key: household
                        .map_or_else(|| format!("person:{person}"), |h| format!("hh:{h}")),
                    person_id: Some(person),
                    household_id: household,
                    region: Some(region),
                });
            }
            return Ok(Match {
                key: format!(
                    "na:{town}:{}:{}",
                    text::normalize(&clue.person_name),
                    text::normalize(&clue.address)
                ),
                person_id: None,
                household_id: None,
                region: None,
            });
        }
        Ok(Match {
            key: format!("ad:{town}:{}", text::normalize(&clue.address)),
            person_id: None,
            household_id: None,
            region: None,
        })
    }

    /// Files a clue from any channel: validates, matches, merges into a lead or opens one,
    /// routes it to its community with a deadline, and records it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn submit_clue(&self, actor: &Actor, s: &ClueSubmission) -> AppResult<SubmitResult> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        self.authorize(actor, Action::ReportClue, Subject::new("clue", ""))
            .await?;
        if let Some(key) = s
            .client_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            && let Some((clue_id, lead_id)) = discovery::clue_by_client_key(
                &mut reader(self),
                actor.scope(),
                &sender_key(actor, key),
            )
            .await?
        {
            return Ok(SubmitResult {
                clue_id,
                lead_id,
                merged: true,
                resent: true,
            });
        }
        let clue = self.validate_clue(actor, s).await?;
        let mut tx = self.store().begin().await?;
        let filed = self.file_clue(&mut tx, actor, &clue).await;
        let (clue_id, lead_id, merged) = match filed {
            Ok(filed) => filed,
            // The same client key arrived twice at once: the other copy won.
            Err(AppError::Conflict(_)) if clue.client_key.is_some() => {
                drop(tx);
                let key = clue.client_key.as_deref().unwrap_or_default();
                let (clue_id, lead_id) =
                    discovery::clue_by_client_key(&mut reader(self), actor.scope(), key)
                        .await?
                        .ok_or(AppError::Conflict(msg!("duplicate-submission")))?;
                return Ok(SubmitResult {
                    clue_id,
                    lead_id,
                    merged: true,
                    resent: true,
                });
            }
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(SubmitResult {
            clue_id,
            lead_id,
            merged,
            resent: false,
        })
    }

    /// Checks a clue as `submit_clue` does, without filing it (a batch checks all first).
    pub(crate) async fn check_clue(
        &self,
        actor: &Actor,
        s: &ClueSubmission,
    ) -> AppResult<ValidClue> {
        self.validate_clue(actor, s).await
    }

    /// Whether a clue with this system key (`screen:…`, `12345:…`) was filed already within
    /// the actor's area: (clue, lead).
    pub(crate) async fn clue_of_key(
        &self,
        actor: &Actor,
        key: &str,
    ) -> AppResult<Option<(i64, i64)>> {
        Ok(discovery::clue_by_client_key(&mut reader(self), actor.scope(), key).await?)
    }

    /// Files a checked clue inside the caller's transaction: matches it, merges it into a lead or
    /// opens one, routes it and records it. Returns (clue, lead, merged).
    pub(crate) async fn file_clue(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        clue: &ValidClue,
    ) -> AppResult<(i64, i64, bool)> {
        let now = self.now();
        let (due_at, district_at) = deadlines(&self.calendar(), self.today(), &clue.urgency);
        let found = self.match_clue(tx, clue).await?;
        // A lead about someone known goes to where they live (inside the clue's area), so a
        // clue coded with the town and one with the community find the same lead.
        let lead_region = found.region.unwrap_or(clue.region);
        let key = lead_key(lead_region, &found.key);
        let lead_input = LeadInput {
            match_key: &key,
            region_code: lead_region,
            person_id: found.person_id,
            household_id: found.household_id,
            subject_name: &clue.person_name,
            address: &clue.address,
            urgency: &clue.urgency,
            channel: &clue.channel,
            now,
            due_at,
            escalate_town_at: due_at,
            escalate_district_at: district_at,
        };
        let (lead_id, merged) =
            discovery::open_or_merge_lead(tx, actor.scope(), &lead_input).await?;
        let inserted = discovery::insert_clue(
            tx,
            &ClueInput {
                channel: &clue.channel,
                reporter_user_id: actor.user_id(),
                source_ref: &clue.source_ref,
                client_key: clue.client_key.as_deref(),
                description: &clue.description,
                address: &clue.address,
                region_code: clue.region,
                person_name: &clue.person_name,
                id_number: clue.id_number.as_ref().map(IdNumber::as_str),
                urgency: &clue.urgency,
                latitude: clue.latitude,
                longitude: clue.longitude,
                lead_id,
                now,
            },
        )
        .await;
        let clue_id = inserted?;
        for (kind, bytes) in &clue.photos {
            discovery::insert_photo(
                tx,
                PhotoOwner::Clue(clue_id),
                actor.user_id(),
                kind,
                bytes,
                now,
            )
            .await?;
        }
        if let Some(household) = found.household_id {
            let text = format!(
                "线索（{}）：{}",
                minsheng_i18n::word(Lang::Zh, "discovery", &clue.channel),
                clue.description.chars().take(80).collect::<String>()
            );
            discovery::add_timeline(
                tx,
                &discovery::NewTimeline {
                    household_id: household,
                    at: now,
                    user_id: actor.user_id(),
                    username: actor.username(),
                    kind: "clue",
                    text: &text,
                    record_id: Some(lead_id),
                },
            )
            .await?;
        }
        discovery::bump(tx, clue.region, now, &format!("clue:{}", clue.channel), 1).await?;
        if !merged {
            discovery::bump(tx, clue.region, now, "lead", 1).await?;
        }
        let detail = format!("lead {lead_id}{}", if merged { " (merged)" } else { "" });
        write_audit(
            tx,
            actor,
            "clue.submit",
            Subject::new("clue", &clue_id.to_string()),
            true,
            &detail,
        )
        .await?;
        Ok((clue_id, lead_id, merged))
    }

    /// The reporter's own clues and what became of them; nothing of the household.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn my_clues(&self, actor: &Actor, page: u32) -> AppResult<MyClues> {
        self.authorize(actor, Action::ReportClue, Subject::new("clue", ""))
            .await?;
        let page = page.clamp(1, 10_000);
        let Some(user_id) = actor.user_id() else {
            return Ok(MyClues {
                items: Vec::new(),
                page,
                has_next: false,
            });
        };
        let offset = i64::from(page - 1) * MY_CLUES_PER_PAGE;
        // One row more than the page shows tells whether there is a next page.
        let mut rows =
            discovery::clues_of_reporter(&mut reader(self), user_id, MY_CLUES_PER_PAGE + 1, offset)
                .await?;
        let has_next = rows.len() as i64 > MY_CLUES_PER_PAGE;
        rows.truncate(MY_CLUES_PER_PAGE as usize);
        Ok(MyClues {
            items: rows.into_iter().map(MyClue::from_row).collect(),
            page,
            has_next,
        })
    }

    /// Leads waiting for a visit in the actor's area. Community workers see every open lead;
    /// a town sees those overdue at the community; a district those overdue at the town.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inbox(&self, actor: &Actor) -> AppResult<Inbox> {
        self.authorize(actor, Action::ViewLeads, Subject::new("lead", ""))
            .await?;
        let level = inbox_level(actor);
        let now = self.now();
        let rows = discovery::inbox(&mut reader(self), actor.scope(), level, now, 200).await?;
        let overdue = rows.iter().filter(|l| l.due_at < now).count();
        self.audit_now(
            actor,
            "lead.inbox",
            Subject::new("lead", ""),
            true,
            &format!("shown={}", rows.len()),
        )
        .await?;
        Ok(Inbox {
            level,
            overdue,
            items: rows,
            now,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn lead_detail(&self, actor: &Actor, id: i64) -> AppResult<LeadDetail> {
        let subject_id = id.to_string();
        let subject = Subject::new("lead", &subject_id);
        self.authorize(actor, Action::ViewLeads, subject).await?;
        let lead = self.lead_in_area(actor, id, "lead.read").await?;
        let mut clues = discovery::clues_of_lead(&mut reader(self), actor.scope(), id).await?;
        // Full numbers leave only through the audited reveal of the person they belong to.
        for clue in &mut clues {
            clue.id_number = clue.id_number.as_deref().map(mask_id_number);
            clue.description = minsheng_domain::scrub::mask_id_numbers(&clue.description);
        }
        let photos = discovery::photos_of_lead(&mut reader(self), actor.scope(), id).await?;
        self.audit_now(actor, "lead.read", subject, true, "")
            .await?;
        Ok(LeadDetail {
            lead,
            clues,
            photos,
        })
    }

    /// A clue's photo, for those who may open its lead; every view is audited.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn clue_photo(&self, actor: &Actor, id: i64) -> AppResult<(String, Vec<u8>)> {
        let subject_id = id.to_string();
        let subject = Subject::new("photo", &subject_id);
        self.authorize(actor, Action::ViewLeads, subject).await?;
        let Some((kind, data)) = discovery::photo(&mut reader(self), actor.scope(), id).await?
        else {
            self.audit_now(actor, "photo.read", subject, false, "not found in area")
                .await?;
            return Err(AppError::NotFound);
        };
        self.audit_now(actor, "photo.read", subject, true, "")
            .await?;
        Ok((kind, data))
    }

    async fn lead_in_area(&self, actor: &Actor, id: i64, action: &str) -> AppResult<LeadRow> {
        if let Some(lead) = discovery::lead(&mut reader(self), actor.scope(), id).await? {
            return Ok(lead);
        }
        let subject_id = id.to_string();
        self.audit_now(
            actor,
            action,
            Subject::new("lead", &subject_id),
            false,
            "not found in area",
        )
        .await?;
        Err(AppError::NotFound)
    }

    /// Records the verification visit and what it decided.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_visit(
        &self,
        actor: &Actor,
        lead_id: i64,
        v: &VisitSubmission,
    ) -> AppResult<VisitResult> {
        let subject_id = lead_id.to_string();
        let subject = Subject::new("lead", &subject_id);
        self.authorize(actor, Action::VisitLeads, subject).await?;
        let lead = self.lead_in_area(actor, lead_id, "lead.visit").await?;
        if lead.status != "open" {
            return Err(AppError::invalid("outcome", msg!("lead-already-decided")));
        }
        let mut photo_errors = Vec::new();
        let photos = validate_photos(&v.photos, &mut photo_errors);
        if !photo_errors.is_empty() {
            return Err(AppError::Invalid(photo_errors));
        }
        self.check_upload_quota(actor, &photos).await?;
        let findings = v.findings.trim().to_string();
        if findings.is_empty() || findings.chars().count() > 4000 {
            return Err(AppError::invalid(
                "findings",
                msg!("visit-findings-required"),
            ));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let (status, file_id, household_id, reason) = match v.outcome.as_str() {
            "register" => {
                let (file, household, merged) =
                    match self.register_file(&mut tx, actor, &lead, v, now).await? {
                        Ok(registered) => registered,
                        Err(outside) => {
                            drop(tx);
                            return Err(self.refuse_outside(actor, "lead.visit", outside).await);
                        }
                    };
                (
                    if merged { "merged" } else { "registered" },
                    Some(file),
                    Some(household),
                    None,
                )
            }
            "merge" => {
                let household = v.household_id.ok_or_else(|| {
                    AppError::invalid("household_id", msg!("choose-merge-household"))
                })?;
                if registry::household(&mut tx, actor.scope(), household)
                    .await?
                    .is_none()
                {
                    return Err(AppError::invalid(
                        "household_id",
                        msg!("no-such-household-in-area"),
                    ));
                }
                let file = discovery::file_of_household(&mut tx, actor.scope(), household)
                    .await?
                    .ok_or_else(|| AppError::invalid("household_id", msg!("household-no-file")))?;
                ("merged", Some(file.id), Some(household), None)
            }
            "close" => {
                let reason = v.close_reason.as_deref().map(str::trim).unwrap_or("");
                if !CLOSE_REASONS.contains(&reason) {
                    return Err(AppError::invalid(
                        "close_reason",
                        msg!("close-reason-required"),
                    ));
                }
                if reason == "other" && v.note.trim().is_empty() {
                    return Err(AppError::invalid("note", msg!("say-why-other")));
                }
                ("closed", None, lead.household_id, Some(reason.to_string()))
            }
            _ => {
                return Err(AppError::invalid("outcome", msg!("visit-outcome-choices")));
            }
        };
        discovery::finish_lead(
            &mut tx,
            actor.scope(),
            lead_id,
            v.version,
            status,
            file_id,
            reason.as_deref(),
            now,
        )
        .await?;
        let visit_id = discovery::insert_visit(
            &mut tx,
            &VisitInput {
                lead_id,
                visitor_user_id: actor.user_id(),
                visited_at: now,
                findings: &findings,
                outcome: &v.outcome,
                household_file_id: file_id,
                close_reason: reason.as_deref(),
                note: v.note.trim(),
                now,
            },
        )
        .await?;
        for (kind, bytes) in &photos {
            discovery::insert_photo(
                &mut tx,
                PhotoOwner::Visit(visit_id),
                actor.user_id(),
                kind,
                bytes,
                now,
            )
            .await?;
        }
        if let Some(household) = household_id {
            let text = match status {
                "registered" => format!(
                    "走访并建档：{}",
                    findings.chars().take(80).collect::<String>()
                ),
                "merged" => format!(
                    "走访，并入已有档案：{}",
                    findings.chars().take(80).collect::<String>()
                ),
                _ => format!(
                    "走访后关闭（{}）",
                    minsheng_i18n::word(Lang::Zh, "discovery", reason.as_deref().unwrap_or(""))
                ),
            };
            if matches!(status, "registered" | "merged") {
                // The clues reported before the household was known come along, linked back.
                discovery::add_lead_clues_to_timeline(&mut tx, actor.scope(), lead_id, household)
                    .await?;
            }
            discovery::add_timeline(
                &mut tx,
                &discovery::NewTimeline {
                    household_id: household,
                    at: now,
                    user_id: actor.user_id(),
                    username: actor.username(),
                    kind: "visit",
                    text: &text,
                    record_id: Some(lead_id),
                },
            )
            .await?;
        }
        let hours = (now - lead.first_clue_at) / 3_600_000;
        let bucket = discovery::visit_bucket(hours);
        discovery::bump(
            &mut tx,
            lead.region_code,
            now,
            &format!("visit:{bucket}"),
            1,
        )
        .await?;
        match (status, reason.as_deref()) {
            ("registered", _) => discovery::bump(&mut tx, lead.region_code, now, "file", 1).await?,
            ("closed", Some(r)) => {
                discovery::bump(&mut tx, lead.region_code, now, &format!("closed:{r}"), 1).await?
            }
            _ => {}
        }
        write_audit(&mut tx, actor, "lead.visit", subject, true, status).await?;
        tx.commit().await?;
        Ok(VisitResult {
            status: status.to_string(),
            household_id,
            household_file_id: file_id,
        })
    }

    /// Opens the household's file, creating the household if the lead had none. A household
    /// that already has a file keeps it: the lead merges into it. Returns (file, household, merged).
    ///
    /// Everything happens inside the visitor's area: the lead's household must lie in it, and a
    /// head whose ID number is registered outside it is refused (audited), never moved here.
    async fn register_file(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        lead: &LeadRow,
        v: &VisitSubmission,
        now: i64,
    ) -> AppResult<Result<(i64, i64, bool), Outside>> {
        let (household, household_region) = match lead.household_id {
            Some(h) => {
                let Some(row) = registry::household(tx, actor.scope(), h).await? else {
                    return Ok(Err(Outside {
                        kind: "household",
                        id: h.to_string(),
                        why: "the lead's household is outside the visitor's area",
                        answer: AppError::NotFound,
                    }));
                };
                (h, row.region_code)
            }
            None => {
                let address = if v.address.trim().is_empty() {
                    lead.address.clone()
                } else {
                    v.address.trim().to_string()
                };
                if address.is_empty() {
                    return Err(AppError::invalid(
                        "address",
                        msg!("address-needed-to-register"),
                    ));
                }
                let head = v.head.as_ref().map(validate_member).transpose()?;
                let household =
                    registry::insert_household(tx, None, lead.region_code, &address, now).await?;
                if let Some(member) = head {
                    let person = match self
                        .person_here_or_new(tx, actor, &member, lead.region_code, now)
                        .await?
                    {
                        Ok(person) => person,
                        Err(outside) => return Ok(Err(outside)),
                    };
                    self.move_person_audited(
                        tx,
                        actor,
                        person,
                        Some((household, relation::HEAD)),
                        now,
                        "建档",
                    )
                    .await?;
                    registry::set_head(tx, actor.scope(), household, Some(person), now).await?;
                }
                (household, lead.region_code)
            }
        };
        if let Some(file) = discovery::file_of_household(tx, actor.scope(), household).await? {
            return Ok(Ok((file.id, household, true)));
        }
        let file = discovery::insert_file(
            tx,
            actor.scope(),
            household,
            Some(lead.id),
            actor.user_id(),
            now,
        )
        .await?;
        // Counted where the file is: its household's region.
        discovery::move_file_state(tx, household_region, None, "watch").await?;
        Ok(Ok((file, household, false)))
    }

    /// Moves a household file to another state; closing needs a reason.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_file_state(
        &self,
        actor: &Actor,
        file_id: i64,
        expected_version: i64,
        state: &str,
        reason: Option<&str>,
    ) -> AppResult<()> {
        let subject_id = file_id.to_string();
        let subject = Subject::new("household_file", &subject_id);
        self.authorize(actor, Action::ManageFiles, subject).await?;
        let file = discovery::file(&mut reader(self), actor.scope(), file_id).await?;
        let Some(file) = file else {
            self.audit_now(actor, "file.state", subject, false, "not found in area")
                .await?;
            return Err(AppError::NotFound);
        };
        if !FILE_STATES.contains(&state) {
            return Err(AppError::invalid("state", msg!("file-state-choices")));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if state == "closed" && reason.is_none() {
            return Err(AppError::invalid("reason", msg!("close-file-reason")));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        discovery::set_file_state(
            &mut tx,
            actor.scope(),
            file_id,
            expected_version,
            state,
            reason,
            now,
        )
        .await?;
        discovery::move_file_state(&mut tx, file.region_code, Some(&file.state), state).await?;
        if state == "closed" {
            // Leaving the watch (with its reason, above) ends the scheduled follow-ups.
            minsheng_store::help::drop_open_followups(&mut tx, file.household_id).await?;
        }
        let text = format!(
            "档案状态：{} → {}{}",
            minsheng_i18n::word(Lang::Zh, "discovery", &file.state),
            minsheng_i18n::word(Lang::Zh, "discovery", state),
            reason
                .map(|r| format!("（{}）", minsheng_i18n::word(Lang::Zh, "discovery", r)))
                .unwrap_or_default()
        );
        discovery::add_timeline(
            &mut tx,
            &discovery::NewTimeline {
                household_id: file.household_id,
                at: now,
                user_id: actor.user_id(),
                username: actor.username(),
                kind: "file",
                text: &text,
                record_id: None,
            },
        )
        .await?;
        write_audit(&mut tx, actor, "file.state", subject, true, state).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A household's file and timeline, for its page (read rights as for the household).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn household_file(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> AppResult<(Option<FileRow>, Vec<TimelineRow>)> {
        self.authorize(
            actor,
            Action::ViewHouseholds,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        let mut c = reader(self);
        if registry::household(&mut c, actor.scope(), household_id)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        Ok((
            discovery::file_of_household(&mut c, actor.scope(), household_id).await?,
            discovery::timeline(&mut c, actor.scope(), household_id).await?,
        ))
    }

    /// Discovery figures for the actor's area, or a region inside it, over `[from, to)`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn discovery_figures(
        &self,
        actor: &Actor,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> AppResult<DiscoveryFigures> {
        self.authorize(actor, Action::ViewFigures, Subject::new("figures", ""))
            .await?;
        let scope = actor.scope_within(region)?;
        let start = |d: Date| {
            d.with_time(Time::MIDNIGHT)
                .assume_offset(CHINA_OFFSET)
                .unix_timestamp()
                * 1000
        };
        let (from, to, now) = (start(from), start(to), self.now());
        // Whole towns and above read the daily counts; a single community reads the rows.
        let community = region.is_some_and(|r| r.level() == RegionLevel::Community);
        let figures = if community {
            discovery::figures(&mut reader(self), &scope, from, to, now).await?
        } else {
            discovery::figures_from_rollups(
                &mut reader(self),
                &scope,
                discovery::day_of(from),
                discovery::day_of(to),
                now,
            )
            .await?
        };
        Ok(figures)
    }
}

/// The inbox level of an actor: 0 community, 1 town, 2 district.
/// A lead's match key: the region it belongs to, then who or where it is about. Leads merge
/// only within one region, so a clue can never join (or reveal) another area's lead.
pub fn lead_key(region: i64, key: &str) -> String {
    format!("{region}|{key}")
}

/// The area a lead's matching looks in: the clue's own town or community.
fn lead_area(region: i64) -> AppResult<Scope> {
    let code = RegionCode::from_i64(region)
        .ok_or_else(|| AppError::Internal(format!("clue region {region} is not a region code")))?;
    Ok(Scope::from_ranges(vec![code.subtree()]))
}

/// A sender's client key as stored: with the sender, so one user's key never finds (or
/// blocks) another's clue.
fn sender_key(actor: &Actor, key: &str) -> String {
    match actor.user_id() {
        Some(user) => format!("u{user}:{key}"),
        None => format!("{}:{key}", actor.username()),
    }
}

fn inbox_level(actor: &Actor) -> u8 {
    if actor
        .roles()
        .iter()
        .any(|r| matches!(r, Role::CommunityWorker | Role::GridWorker))
    {
        0
    } else if actor.roles().contains(&Role::TownOfficer) {
        1
    } else {
        2
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub level: u8,
    pub overdue: usize,
    pub items: Vec<LeadRow>,
    pub now: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeadDetail {
    pub lead: LeadRow,
    pub clues: Vec<ClueRow>,
    /// Photos of its clues and its visit: (photo id, content type, bytes).
    pub photos: Vec<(i64, String, i64)>,
}

/// What the visitor decided.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitSubmission {
    /// The lead's version when the form was opened.
    pub version: i64,
    pub findings: String,
    /// register, merge or close.
    pub outcome: String,
    #[serde(default)]
    pub close_reason: Option<String>,
    #[serde(default)]
    pub note: String,
    /// For a merge: the household whose file the lead joins.
    #[serde(default)]
    pub household_id: Option<i64>,
    /// For registering a new household: its address (default: the lead's).
    #[serde(default)]
    pub address: String,
    /// For registering a new household: its head.
    #[serde(default)]
    pub head: Option<MemberInput>,
    /// Photos taken at the visit (multipart form); not part of the JSON API.
    #[serde(skip)]
    pub photos: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitResult {
    pub status: String,
    pub household_id: Option<i64>,
    pub household_file_id: Option<i64>,
}

/// How many of their clues a reporter sees on one page (a phone's screenful or two).
pub const MY_CLUES_PER_PAGE: i64 = 20;

/// One page of a reporter's own clues, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct MyClues {
    pub items: Vec<MyClue>,
    pub page: u32,
    pub has_next: bool,
}

/// A reporter's clue with its status in the reporter's words.
#[derive(Debug, Clone, Serialize)]
pub struct MyClue {
    pub id: i64,
    pub description: String,
    pub address: String,
    pub urgency: String,
    pub created_at: i64,
    /// received, visited, helped or closed.
    pub status: &'static str,
}

impl MyClue {
    fn from_row(r: MyClueRow) -> MyClue {
        let status = match (r.lead_status.as_str(), r.file_state.as_deref()) {
            (_, Some("assisted" | "not_eligible_helped")) => "helped",
            ("closed", _) => "closed",
            (_, _) if r.visited_at.is_some() => "visited",
            _ => "received",
        };
        MyClue {
            id: r.id,
            description: r.description,
            address: r.address,
            urgency: r.urgency,
            created_at: r.created_at,
            status,
        }
    }
}

/// When a clue filed at `at` is due, for display: the date in China time.
pub fn due_date(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at / 1000)
        .map(|t| t.to_offset(CHINA_OFFSET).date().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn deadlines_follow_the_working_day_calendar() {
        let calendar = WorkdayCalendar::china();
        // Friday 13 February 2026: the Spring Festival follows a worked Saturday.
        let (emergency, _) = deadlines(&calendar, date!(2026 - 02 - 13), "emergency");
        assert_eq!(due_date(emergency), "2026-02-13");
        let (normal, district) = deadlines(&calendar, date!(2026 - 02 - 13), "normal");
        assert_eq!(due_date(normal), "2026-02-25");
        assert_eq!(due_date(district), "2026-02-27");
    }
}
