//! Notifications that reach people: events written to the outbox in the transaction of the
//! event itself (`tell`), delivered by the `notifications-deliver` job to the channels a unit
//! chose — a 企业微信 (WeCom) group robot, a DingTalk robot (signed with its secret), e-mail over
//! SMTP, or a webhook of the unit's own system signed with HMAC-SHA256 — retried with backoff,
//! and marked sent once (a delivery is never repeated after its receiver said yes).

use minsheng_i18n::msg;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use minsheng_domain::{Action, UnitKind};
use minsheng_store::ops::{self, DueDelivery, NewChannel, NewNotification};
use minsheng_store::{Conn, WriteTx};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Actor, App, AppError, AppResult, Subject, reader, write_audit};

/// What a unit may be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A lead not visited by its deadline.
    LeadOverdue,
    /// A lead overdue at the community, now the town's (or the district's).
    LeadEscalated,
    /// A referral past its deadline (chased, or escalated).
    ReferralOverdue,
    /// An emergency case waiting to be paid from the town's reserve fund.
    EmergencyUnpaid,
    /// A power-dependent household left without supply by a fault.
    OutageAlert,
    /// A station alarm raised by readings or by a sensor gone silent.
    StationAlarm,
    /// A hotline ticket past its deadline (chased, or escalated).
    HotlineOverdue,
    /// Next year's official working-day schedule is not loaded yet.
    CalendarMissing,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::LeadOverdue,
        EventKind::LeadEscalated,
        EventKind::ReferralOverdue,
        EventKind::EmergencyUnpaid,
        EventKind::OutageAlert,
        EventKind::StationAlarm,
        EventKind::HotlineOverdue,
        EventKind::CalendarMissing,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventKind::LeadOverdue => "lead_overdue",
            EventKind::LeadEscalated => "lead_escalated",
            EventKind::ReferralOverdue => "referral_overdue",
            EventKind::EmergencyUnpaid => "emergency_unpaid",
            EventKind::OutageAlert => "outage_alert",
            EventKind::StationAlarm => "station_alarm",
            EventKind::HotlineOverdue => "hotline_overdue",
            EventKind::CalendarMissing => "calendar_missing",
        }
    }

    pub fn from_code(code: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// The kinds of channel.
pub const CHANNEL_KINDS: [&str; 4] = ["wecom", "dingtalk", "email", "webhook"];

/// How an e-mail leaves: the SMTP server of the bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (the default), `tls` (implicit, port 465) or `none` (a relay on the same
    /// machine or network only).
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// `民生平台 <noreply@example.gov.cn>`
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_tls() -> String {
    "starttls".into()
}

/// How many times a delivery is tried before it is given up (about eight hours of backoff).
pub const MAX_ATTEMPTS: i64 = 12;

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff_millis(attempts: i64) -> i64 {
    let doublings = attempts.clamp(0, 20) as u32;
    (30_000_i64 << doublings).min(3_600_000)
}

/// Writes a notification for a unit (and its deliveries) in the caller's transaction: the
/// event and its notification commit together or not at all.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn tell(
    tx: &mut WriteTx,
    unit_id: i64,
    kind: EventKind,
    event_key: &str,
    title: &str,
    body: &str,
    link: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(ops::notify(
        tx,
        &NewNotification {
            event_key,
            kind: kind.code(),
            unit_id,
            title,
            body,
            link,
            now,
        },
    )
    .await?)
}

/// The units of these kinds based exactly in a region (a community committee of a community,
/// a town office of a town, a civil-affairs bureau of a district).
pub(crate) async fn units_at(
    c: &mut impl Conn,
    region: i64,
    kinds: &[UnitKind],
) -> AppResult<Vec<i64>> {
    let codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
    Ok(minsheng_store::users::units_at(c, region, &codes).await?)
}

/// A delivery's outcome: sent (with what the receiver said), or failed (retry or not).
#[derive(Debug)]
enum Sent {
    Ok(String),
    Retry(String),
    GiveUp(String),
}

/// The text of a notification as a message: its title, body and link.
fn message_text(d: &DueDelivery) -> String {
    let mut text = format!("【民生】{}\n{}", d.title, d.body);
    if !d.link.is_empty() {
        text.push('\n');
        text.push_str(&d.link);
    }
    text
}

/// Truncates to at most `max` bytes on a character boundary.
fn at_most(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// DingTalk's robot signature: HMAC-SHA256 over `timestamp\nsecret` keyed with the secret,
/// base64.
pub fn dingtalk_sign(secret: &str, timestamp_millis: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_hmac());
    mac.update(format!("{timestamp_millis}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature of a webhook body: `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}`
/// keyed with the subscription's secret (receivers recompute it, and refuse old timestamps).
pub fn webhook_signature(secret: &str, timestamp_secs: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_hmac());
    mac.update(format!("{timestamp_secs}.").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// HMAC takes a key of any length, so making one never fails.
fn unreachable_hmac() -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(b"k") {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes any key length"),
    }
}

/// The robots' answer: `{"errcode":0,"errmsg":"ok"}` when it took the message.
#[derive(Debug, Deserialize)]
struct RobotAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Robot error codes worth trying again: busy, too fast.
fn robot_retryable(code: i64) -> bool {
    matches!(code, -1 | 45009 | 130101)
}

/// Sends and delivers: one HTTP client for the process.
pub(crate) struct Sender {
    http: reqwest::Client,
    smtp: Option<SmtpSettings>,
}

impl Sender {
    pub fn new(smtp: Option<SmtpSettings>) -> AppResult<Sender> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AppError::Internal(format!("HTTP client: {e}")))?;
        Ok(Sender { http, smtp })
    }

    async fn send(&self, d: &DueDelivery, now: i64) -> Sent {
        match d.channel_kind.as_str() {
            "wecom" => {
                let body = serde_json::json!({
                    "msgtype": "text",
                    "text": {"content": at_most(&message_text(d), 2000)},
                });
                self.robot(&d.target, &body).await
            }
            "dingtalk" => {
                let mut url = match reqwest::Url::parse(&d.target) {
                    Ok(url) => url,
                    Err(e) => return Sent::GiveUp(format!("not a URL: {e}")),
                };
                if !d.secret.is_empty() {
                    // Signed when sent (DingTalk refuses a timestamp an hour old).
                    url.query_pairs_mut()
                        .append_pair("timestamp", &now.to_string())
                        .append_pair("sign", &dingtalk_sign(&d.secret, now));
                }
                let body = serde_json::json!({
                    "msgtype": "text",
                    "text": {"content": at_most(&message_text(d), 4000)},
                });
                self.robot(url.as_str(), &body).await
            }
            "webhook" => self.webhook(d, now).await,
            "email" => self.email(d).await,
            other => Sent::GiveUp(format!("unknown channel kind {other}")),
        }
    }

    async fn robot(&self, url: &str, body: &serde_json::Value) -> Sent {
        let response = match self.http.post(url).json(body).send().await {
            Ok(r) => r,
            Err(e) => return Sent::Retry(format!("unreachable: {e}")),
        };
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Sent::Retry(format!("HTTP {status}"));
        }
        if !status.is_success() {
            return Sent::GiveUp(format!("HTTP {status}"));
        }
        match response.json::<RobotAnswer>().await {
            Ok(a) if a.errcode == 0 => Sent::Ok("errcode 0".into()),
            Ok(a) if robot_retryable(a.errcode) => {
                Sent::Retry(format!("errcode {}: {}", a.errcode, a.errmsg))
            }
            Ok(a) => Sent::GiveUp(format!("errcode {}: {}", a.errcode, a.errmsg)),
            Err(e) => Sent::Retry(format!("unreadable answer: {e}")),
        }
    }

    async fn webhook(&self, d: &DueDelivery, now: i64) -> Sent {
        let payload = serde_json::json!({
            "delivery_id": d.id,
            "event_key": d.event_key,
            "kind": d.kind,
            "title": d.title,
            "body": d.body,
            "link": d.link,
            "created_at": d.created_at,
        });
        let body = payload.to_string().into_bytes();
        let timestamp = now / 1000;
        let signature = webhook_signature(&d.secret, timestamp, &body);
        let response = self
            .http
            .post(&d.target)
            .header("content-type", "application/json")
            .header("x-minsheng-timestamp", timestamp.to_string())
            .header("x-minsheng-signature", signature)
            .header("x-minsheng-delivery", d.id.to_string())
            .body(body)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Sent::Ok(format!("HTTP {}", r.status().as_u16())),
            Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                Sent::GiveUp(format!("HTTP {}", r.status().as_u16()))
            }
            Ok(r) => Sent::Retry(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Sent::Retry(format!("unreachable: {e}")),
        }
    }

    async fn email(&self, d: &DueDelivery) -> Sent {
        use lettre::message::header::ContentType;
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let Some(smtp) = &self.smtp else {
            return Sent::Retry("no SMTP server configured ([smtp] in the config file)".into());
        };
        let from = match smtp.from.parse() {
            Ok(from) => from,
            Err(e) => return Sent::Retry(format!("[smtp] from: {e}")),
        };
        let to = match d.target.parse() {
            Ok(to) => to,
            Err(e) => return Sent::GiveUp(format!("not an address: {e}")),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(format!("【民生】{}", d.title))
            .header(ContentType::TEXT_PLAIN)
            .body(message_text(d));
        let message = match message {
            Ok(m) => m,
            Err(e) => return Sent::GiveUp(format!("message: {e}")),
        };
        let builder = match smtp.tls.as_str() {
            "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &smtp.host,
            )),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        };
        let mut builder = match builder {
            Ok(b) => b.port(smtp.port).timeout(Some(Duration::from_secs(20))),
            Err(e) => return Sent::Retry(format!("SMTP: {e}")),
        };
        if !smtp.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                smtp.username.clone(),
                smtp.password.clone(),
            ));
        }
        match builder.build().send(message).await {
            Ok(answer) => Sent::Ok(format!("SMTP {}", answer.code())),
            Err(e) if e.is_permanent() => Sent::GiveUp(format!("SMTP: {e}")),
            Err(e) => Sent::Retry(format!("SMTP: {e}")),
        }
    }
}

/// What a delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
}

/// A channel as an administrator adds it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChannelInput {
    /// The unit's exact name.
    pub unit: String,
    pub kind: String,
    /// A robot's webhook URL, an e-mail address, or the unit's own system's URL.
    pub target: String,
    /// DingTalk's signing secret, or the webhook's HMAC key.
    #[serde(default)]
    pub secret: String,
    /// Event kinds separated by commas, or `*` for all.
    #[serde(default)]
    pub events: String,
}

impl App {
    /// Delivers what is due now; failures wait longer each time and are given up after
    /// [`MAX_ATTEMPTS`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn deliver_notifications(&self, limit: i64) -> AppResult<Delivered> {
        let now = self.now();
        let due = ops::due_deliveries(&mut reader(self), now, limit).await?;
        let mut done = Delivered::default();
        for d in due {
            let outcome = self.sender.send(&d, self.now()).await;
            let mut tx = self.store().begin().await?;
            match outcome {
                Sent::Ok(status) => {
                    ops::delivered(&mut tx, d.id, &status, self.now()).await?;
                    done.sent += 1;
                }
                Sent::Retry(status) if d.attempts + 1 < MAX_ATTEMPTS => {
                    let next = self.now() + backoff_millis(d.attempts);
                    ops::attempt_failed(&mut tx, d.id, &status, next, false).await?;
                    done.retried += 1;
                }
                Sent::Retry(status) | Sent::GiveUp(status) => {
                    ops::attempt_failed(&mut tx, d.id, &status, self.now(), true).await?;
                    done.failed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Adds a channel for a unit of the administrator's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_channel(&self, actor: &Actor, input: &ChannelInput) -> AppResult<i64> {
        self.authorize(actor, Action::ManageUnits, Subject::new("channel", ""))
            .await?;
        let unit = self.unit_in_scope(actor, &input.unit).await?;
        let kind = input.kind.trim();
        if !CHANNEL_KINDS.contains(&kind) {
            return Err(AppError::invalid("kind", msg!("channel-kind-choices")));
        }
        let target = crate::bounded("target", &input.target, 500)?;
        let valid_target = match kind {
            "email" => target.contains('@') && !target.contains(char::is_whitespace),
            _ => target.starts_with("https://") || target.starts_with("http://"),
        };
        if !valid_target {
            return Err(AppError::invalid(
                "target",
                if kind == "email" {
                    msg!("email-target")
                } else {
                    msg!("url-target")
                },
            ));
        }
        let secret = crate::bounded("secret", &input.secret, 200)?;
        let events = input.events.trim();
        let events = if events.is_empty() { "*" } else { events };
        if events != "*" {
            for code in events.split(',') {
                if EventKind::from_code(code).is_none() {
                    return Err(AppError::invalid(
                        "events",
                        msg!("not-an-event-kind", code = code.trim()),
                    ));
                }
            }
        }
        let events: String = if events == "*" {
            "*".into()
        } else {
            events
                .split(',')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(",")
        };
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = ops::insert_channel(
            &mut tx,
            &NewChannel {
                unit_id: unit.id,
                kind,
                target: &target,
                secret: &secret,
                events: &events,
                now,
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "channel.add",
            Subject::new("channel", &id.to_string()),
            true,
            &format!("{kind} for {} ({events})", unit.name),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// A channel's target as pages show it: a robot's URL without its query, where WeCom and
/// DingTalk put the key that lets anyone post to the group.
pub fn shown_target(target: &str) -> String {
    match target.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => target.to_string(),
    }
}

/// A unit's channels and what was delivered to them lately, as an administrator sees them.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelsView {
    pub channels: Vec<ops::ChannelRow>,
    pub deliveries: Vec<ops::DeliveryRow>,
}

impl App {
    /// The channels of units in the administrator's area, and their latest deliveries.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn channels(&self, actor: &Actor) -> AppResult<ChannelsView> {
        self.authorize(actor, Action::ManageUnits, Subject::new("channel", ""))
            .await?;
        let mut c = reader(self);
        let mut channels = ops::channels(&mut c, actor.scope()).await?;
        for channel in &mut channels {
            channel.target = shown_target(&channel.target);
        }
        Ok(ChannelsView {
            channels,
            deliveries: ops::deliveries(&mut c, actor.scope(), 100).await?,
        })
    }

    /// Turns a channel on or off (a robot that was removed, an address that left).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_channel_enabled(
        &self,
        actor: &Actor,
        id: i64,
        enabled: bool,
    ) -> AppResult<()> {
        let subject = id.to_string();
        self.authorize(
            actor,
            Action::ManageUnits,
            Subject::new("channel", &subject),
        )
        .await?;
        let mut tx = self.store().begin().await?;
        if ops::set_channel_enabled(&mut tx, actor.scope(), id, enabled).await? == 0 {
            return Err(AppError::NotFound);
        }
        write_audit(
            &mut tx,
            actor,
            if enabled {
                "channel.enable"
            } else {
                "channel.disable"
            },
            Subject::new("channel", &subject),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signs_as_its_sample_does() {
        // Computed with DingTalk's own Python sample.
        assert_eq!(
            dingtalk_sign("SEC0123456789abcdef", 1_700_000_000_000),
            "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_millis(0), 30_000);
        assert_eq!(backoff_millis(1), 60_000);
        assert_eq!(backoff_millis(10), 3_600_000);
        assert_eq!(at_most("一二三", 4), "一");
    }
}
