//! Sign-in, sessions, API tokens and passwords.
//!
//! - Passwords: argon2id, hashed off the async threads.
//! - An unknown user name is checked against a dummy hash, and every failure gives the same
//!   message, so neither words nor timing tell whether an account exists.
//! - Failures are counted per (user name, client address) pair, with a delay that doubles
//!   after the first few, so whoever guesses slows only themselves: the real user signing in
//!   from elsewhere is never locked out by someone else. A client address that fails too often
//!   overall is locked for a while (the per-address ceiling). Both keys are bounded (a hash of
//!   the name), so failed sign-ins cannot fill the disk whatever name they send.
//! - Sessions and tokens are random 256-bit values; only their SHA-256 is stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use minsheng_domain::{Action, Role};
use minsheng_i18n::msg;
use minsheng_store::users::{self, ThrottleRow, UserRow};
use minsheng_store::{Conn, regions};
use rand::RngCore;
use sha2::{Digest, Sha256};

use minsheng_domain::roles_permit;
use minsheng_store::Scope;

use crate::{App, AppError, AppResult, Subject, write_audit};

/// Who is acting, from where, and over which area.
///
/// Built only here: from a session or token ([`App::session_actor`], [`App::token_actor`]), a
/// sign-in, the operator at the command line ([`Actor::command_line`]) or a citizen or client
/// system that is not a user ([`Actor::outside`]). Its fields are private, so no use case or
/// handler can widen an area or add a role.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the operator at the command line and for outside parties.
    user_id: Option<i64>,
    username: String,
    display_name: String,
    unit_id: Option<i64>,
    unit_name: String,
    region_code: i64,
    roles: Vec<Role>,
    scope: Scope,
    ip: String,
    /// The CSRF token of the session the actor came through (empty for tokens and CLI).
    csrf_token: String,
    /// For an Open311 client application: the id of the key it came with.
    open311_key: Option<i64>,
    /// Came with an API token (not a session): may not mint tokens.
    via_token: bool,
}

impl Actor {
    pub fn may(&self, action: Action) -> bool {
        roles_permit(&self.roles, action)
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user_id
    }
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    pub fn unit_id(&self) -> Option<i64> {
        self.unit_id
    }
    pub fn unit_name(&self) -> &str {
        &self.unit_name
    }
    /// The region of the user's unit (12 digits).
    pub fn region_code(&self) -> i64 {
        self.region_code
    }
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
    /// Where the actor may act; every query over people renders it into its SQL.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn ip(&self) -> &str {
        &self.ip
    }
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
    /// The Open311 key an outside client system came with.
    pub fn open311_key(&self) -> Option<i64> {
        self.open311_key
    }

    /// The actor's area, or one region of it (figures narrowed to a district or town); a
    /// region outside the area is refused.
    pub fn scope_within(&self, region: Option<minsheng_domain::RegionCode>) -> AppResult<Scope> {
        match region {
            Some(code) if self.scope.contains(code.as_i64()) => {
                Ok(Scope::from_ranges(vec![code.subtree()]))
            }
            Some(_) => Err(AppError::invalid("region", msg!("region-outside-area"))),
            None => Ok(self.scope.clone()),
        }
    }

    /// The operator at the command line: all roles over the given area. Used by
    /// `minsheng user|import|demo|…`, which need shell access to the data directory anyway.
    pub fn command_line(scope: Scope) -> Actor {
        let os_user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Actor {
            user_id: None,
            username: format!("cli:{os_user}"),
            display_name: "command line".into(),
            unit_id: None,
            unit_name: String::new(),
            region_code: 500_000_000_000,
            roles: Role::ALL.to_vec(),
            scope,
            ip: "local".into(),
            csrf_token: String::new(),
            open311_key: None,
            via_token: false,
        }
    }

    /// A timed job of the product itself: all roles over the given area, recorded in the audit
    /// log as `job:NAME`.
    pub fn job(name: &str, scope: Scope) -> Actor {
        Actor {
            username: format!("job:{name}"),
            display_name: format!("job {name}"),
            ip: "local".into(),
            ..Actor::command_line(scope)
        }
    }

    /// Someone who is not a user — a citizen on a public page, an Open311 client system, a
    /// failed sign-in — with no role and no area. `name` is what the audit log records.
    pub fn outside(name: &str, ip: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.chars().take(64).collect(),
            display_name: name.chars().take(64).collect(),
            unit_id: None,
            unit_name: String::new(),
            region_code: 500_000_000_000,
            roles: Vec::new(),
            scope: Scope::nothing(),
            ip: ip.to_string(),
            csrf_token: String::new(),
            open311_key: None,
            via_token: false,
        }
    }
}

/// A session's idle expiry is slid at most this often (a write per request would throttle the
/// whole server).
const SESSION_TOUCH_MILLIS: i64 = 60_000;

pub const MIN_PASSWORD_CHARS: usize = 8;

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

pub(crate) fn hash_password_blocking(password: &str) -> AppResult<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Passwords refused whatever else is said of them (`data/security/common-passwords.txt`).
const COMMON_PASSWORDS: &str = include_str!("../../../data/security/common-passwords.txt");

/// The weakest strength a password may have: zxcvbn's 3, at least 10^8 guesses.
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

fn common_passwords() -> impl Iterator<Item = &'static str> {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Checks a new password against the policy: at least 8 characters, not the user name, not
/// one of the passwords people in China use most, and strong enough by zxcvbn (score 3 of 4),
/// which also sees through the user name, the product's and the city's names inside it.
pub fn check_password_policy(username: &str, password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            msg!("password-too-short", min = MIN_PASSWORD_CHARS),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid("password", msg!("password-too-long")));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(AppError::invalid("password", msg!("password-is-username")));
    }
    let lower = password.to_lowercase();
    if common_passwords().any(|common| common.eq_ignore_ascii_case(&lower)) {
        return Err(AppError::invalid("password", msg!("password-common")));
    }
    let mut hints: Vec<&str> = vec![username, "minsheng", "chongqing", "mingsheng", "12345"];
    for common in common_passwords() {
        hints.push(common);
    }
    let strength = zxcvbn::zxcvbn(password, &hints);
    if strength.score() < MIN_STRENGTH {
        return Err(AppError::invalid("password", msg!("password-weak")));
    }
    Ok(())
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session just opened: the token goes into the cookie, the CSRF token into forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub actor: Actor,
}

/// The longest user name there can be; a longer one is a failed sign-in without a lookup.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Failures of one name from one address before each further one waits.
const FREE_FAILURES_PER_PAIR: i64 = 3;

/// A short fixed-size digest, for throttle keys: whatever a client sends, the key is bounded.
fn short_digest(text: &str) -> String {
    token_hash(text)[..32].to_string()
}

fn pair_key(username: &str, ip: &str) -> String {
    format!(
        "pair:{}:{}",
        short_digest(&username.trim().to_lowercase()),
        short_digest(ip)
    )
}

fn ip_key(ip: &str) -> String {
    format!("ip:{}", short_digest(ip))
}

/// How long one name from one address waits after its `failures`-th failure: nothing for the
/// first few, then `base`, doubling each time, up to `cap`.
pub fn pair_delay_millis(failures: i64, base: i64, cap: i64) -> i64 {
    if failures < FREE_FAILURES_PER_PAIR {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES_PER_PAIR).clamp(0, 40) as u32;
    base.saturating_mul(1_i64 << doublings).min(cap)
}

impl App {
    /// Signs a user in. Every failure, for whatever reason, is the same `Unauthenticated`,
    /// except a lockout, which applies equally to names that do not exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn login(&self, username: &str, password: &str, ip: &str) -> AppResult<NewSession> {
        let now = self.now();
        let username = username.trim();
        let ip: String = ip.chars().take(64).collect();
        let ip = ip.as_str();
        let keys = [pair_key(username, ip), ip_key(ip)];
        let mut reader = self.store().reader();
        for key in &keys {
            if let Some(row) = users::throttle(&mut reader, key).await?
                && row.locked_until > now
            {
                let seconds = (row.locked_until - now + 999) / 1000;
                self.audit_anonymous(username, ip, "auth.login", false, "locked")
                    .await?;
                return Err(AppError::Locked(seconds));
            }
        }
        // No account has a longer name: no lookup, and nothing of it is kept beyond the
        // bounded audit line and throttle keys.
        let user = if username.chars().count() > MAX_USERNAME_CHARS || password.len() > 1024 {
            None
        } else {
            users::user_by_name(&mut reader, username).await?
        };
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let password_ok = verify_password(password.to_string(), hash).await;
        let user = match user {
            Some(u) if password_ok && !u.disabled => u,
            _ => {
                self.record_failure(&keys, now).await?;
                self.audit_anonymous(username, ip, "auth.login", false, "bad credentials")
                    .await?;
                return Err(AppError::Unauthenticated);
            }
        };
        let token = random_token();
        let csrf_token = random_token();
        let mut tx = self.store().begin().await?;
        users::clear_throttle(&mut tx, &keys[0]).await?;
        users::insert_session(
            &mut tx,
            &token_hash(&token),
            user.id,
            &csrf_token,
            now,
            now + self.settings.session_idle_millis,
            ip,
        )
        .await?;
        let actor = actor_for(&mut tx, &user, ip, &csrf_token, self.today()).await?;
        write_audit(
            &mut tx,
            &actor,
            "auth.login",
            Subject::new("user", &user.id.to_string()),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            token,
            csrf_token,
            actor,
        })
    }

    /// Counts a failure: the pair waits longer after each (doubling), the address is locked
    /// at its ceiling.
    async fn record_failure(&self, keys: &[String; 2], now: i64) -> AppResult<()> {
        let mut tx = self.store().begin().await?;
        for (i, key) in keys.iter().enumerate() {
            let previous = users::throttle(&mut tx, key).await?;
            let mut row = match previous {
                Some(r) if now - r.window_start < self.settings.throttle_window_millis => r,
                _ => ThrottleRow {
                    failures: 0,
                    window_start: now,
                    locked_until: 0,
                },
            };
            row.failures += 1;
            if i == 0 {
                let delay = pair_delay_millis(
                    row.failures,
                    self.settings.pair_base_delay_millis,
                    self.settings.lockout_millis,
                );
                if delay > 0 {
                    row.locked_until = now + delay;
                }
            } else if row.failures >= self.settings.max_failures_per_ip {
                row.locked_until = now + self.settings.lockout_millis;
            }
            users::put_throttle(&mut tx, key, row).await?;
        }
        // Now and then, forget the rows that no longer hold anyone back, so failures from ever
        // new addresses do not pile up.
        if rand::random::<u8>() < 4 {
            users::purge_throttle(&mut tx, now - self.settings.throttle_window_millis, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_anonymous(
        &self,
        username: &str,
        ip: &str,
        action: &str,
        allowed: bool,
        detail: &str,
    ) -> AppResult<()> {
        let actor = Actor::outside(username, ip);
        self.audit_now(&actor, action, Subject::new("user", ""), allowed, detail)
            .await
    }

    /// The actor behind a session cookie, sliding its idle expiry. `None`: not signed in.
    /// Kept in memory for a moment (`session_cache.rs`); a sign-out, a password change, a
    /// disabled account or changed roles end that at once, on every instance.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session_actor(&self, token: &str, ip: &str) -> AppResult<Option<Actor>> {
        let now = self.now();
        let hash = token_hash(token);
        // Read before the session: a change committed in between leaves what is cached stale.
        let epoch = self.store().auth_epoch();
        if let Some(actor) =
            self.sessions
                .get(&hash, epoch, now, self.settings.session_cache_millis)
        {
            return Ok(Some(Actor {
                ip: ip.to_string(),
                ..actor
            }));
        }
        let mut reader = self.store().reader();
        let Some(session) = users::session_user(&mut reader, &hash).await? else {
            return Ok(None);
        };
        if session.expires_at <= now || session.user.disabled {
            return Ok(None);
        }
        let (mut last_seen, mut expires_at) = (session.last_seen_at, session.expires_at);
        // Touch at most once a minute: a write per request would throttle the whole server.
        if now - session.last_seen_at > SESSION_TOUCH_MILLIS {
            let mut tx = self.store().begin().await?;
            expires_at = now + self.settings.session_idle_millis;
            users::touch_session(&mut tx, &hash, now, expires_at).await?;
            tx.commit().await?;
            last_seen = now;
        }
        let actor = actor_for(
            &mut reader,
            &session.user,
            ip,
            &session.csrf_token,
            self.today(),
        )
        .await?;
        let good_until = expires_at.min(last_seen + SESSION_TOUCH_MILLIS + 1);
        if self.settings.session_cache_millis > 0 {
            self.sessions.put(&hash, &actor, epoch, now, good_until);
        }
        Ok(Some(actor))
    }

    /// The actor behind an API bearer token.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_actor(&self, token: &str, ip: &str) -> AppResult<Option<Actor>> {
        let mut reader = self.store().reader();
        let Some(user_id) =
            users::api_token_user(&mut reader, &token_hash(token), self.now()).await?
        else {
            return Ok(None);
        };
        let Some(user) = users::user(&mut reader, user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let actor = actor_for(&mut reader, &user, ip, "", self.today()).await?;
        Ok(Some(Actor {
            via_token: true,
            ..actor
        }))
    }

    /// The actor of an Open311 client application with a valid key (`None`: no such key).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open311_actor(&self, api_key: &str, ip: &str) -> AppResult<Option<Actor>> {
        let key = api_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Ok(None);
        }
        let found =
            minsheng_store::hotline::open311_client(&mut self.store().reader(), &token_hash(key))
                .await?;
        Ok(found.map(|(id, client)| Actor {
            open311_key: Some(id),
            ..Actor::outside(&format!("open311:{client}"), ip)
        }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn logout(&self, token: &str, actor: &Actor) -> AppResult<()> {
        let mut tx = self.store().begin().await?;
        users::delete_session(&mut tx, &token_hash(token)).await?;
        write_audit(&mut tx, actor, "auth.logout", Subject::NONE, true, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the actor's own password; every other session of theirs ends.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn change_own_password(
        &self,
        actor: &Actor,
        current_session_token: Option<&str>,
        old_password: &str,
        new_password: &str,
    ) -> AppResult<()> {
        self.authorize(actor, Action::UseAccount, Subject::NONE)
            .await?;
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        let user = users::user(&mut self.store().reader(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !verify_password(old_password.to_string(), user.password_hash.clone()).await {
            return Err(AppError::invalid(
                "old_password",
                msg!("password-current-wrong"),
            ));
        }
        check_password_policy(&user.username, new_password)?;
        let hash = hash_password(new_password.to_string()).await?;
        let mut tx = self.store().begin().await?;
        users::set_password(&mut tx, user_id, &hash, self.now()).await?;
        let keep = current_session_token.map(token_hash);
        end_credentials(&mut tx, user_id, keep.as_deref(), self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "user.password",
            Subject::new("user", &user_id.to_string()),
            true,
            "own",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues an API token for the actor; the token is shown once and never stored.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn issue_api_token(&self, actor: &Actor, name: &str) -> AppResult<String> {
        self.authorize(actor, Action::UseAccount, Subject::NONE)
            .await?;
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        // A token cannot mint tokens: a leaked one must not outlive its own revocation.
        if actor.via_token {
            return Err(AppError::invalid(
                "authorization",
                msg!("token-from-session"),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", msg!("token-name-length")));
        }
        let token = format!("ms_{}", random_token());
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = users::insert_api_token(
            &mut tx,
            &token_hash(&token),
            user_id,
            name,
            now,
            now + self.settings.api_token_days * 86_400_000,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "token.issue",
            Subject::new("api_token", &id.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor's own API tokens (names and dates; the tokens themselves are never kept).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn own_api_tokens(&self, actor: &Actor) -> AppResult<Vec<users::ApiTokenRow>> {
        self.authorize(actor, Action::UseAccount, Subject::NONE)
            .await?;
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        Ok(users::api_tokens_of(&mut self.store().reader(), user_id).await?)
    }

    /// Revokes one of the actor's own tokens at once; another user's token is not found.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_own_api_token(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let subject_id = id.to_string();
        let subject = Subject::new("api_token", &subject_id);
        self.authorize(actor, Action::UseAccount, subject).await?;
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        let mut tx = self.store().begin().await?;
        if !users::revoke_api_token(&mut tx, user_id, id, self.now()).await? {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "token.revoke",
                    subject,
                    "not the caller's live token",
                )
                .await);
        }
        write_audit(&mut tx, actor, "token.revoke", subject, true, "").await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Ends what a user holds: every session (but `keep`, the one changing its own password) and
/// every API token. Called when a password changes or is reset and when an account is
/// disabled, in the same transaction.
pub(crate) async fn end_credentials(
    tx: &mut minsheng_store::WriteTx,
    user_id: i64,
    keep: Option<&str>,
    now: i64,
) -> AppResult<()> {
    users::delete_user_sessions(tx, user_id, keep).await?;
    users::revoke_user_tokens(tx, user_id, now).await?;
    Ok(())
}

/// Builds the actor for a user: roles and the area their unit covers.
pub(crate) async fn actor_for(
    c: &mut impl Conn,
    user: &UserRow,
    ip: &str,
    csrf_token: &str,
    today: time::Date,
) -> AppResult<Actor> {
    let roles: Vec<Role> = users::user_roles(c, user.id)
        .await?
        .iter()
        .filter_map(|r| Role::from_code(r))
        .collect();
    let mut scope = regions::scope_for(c, user.region_code, &user.region_level).await?;
    // A purchased-services organisation's staff work only within its running contracts (the
    // areas the contracting staff gave it), wherever the organisation itself is based.
    let today = today.to_string();
    if let Some(ranges) =
        minsheng_store::resources::contract_ranges(c, user.unit_id, &today).await?
    {
        scope = minsheng_store::Scope::from_ranges(ranges);
    }
    Ok(Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        unit_id: Some(user.unit_id),
        unit_name: user.unit_name.clone(),
        region_code: user.region_code,
        roles,
        scope,
        ip: ip.to_string(),
        csrf_token: csrf_token.to_string(),
        open311_key: None,
        via_token: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_common_passwords_are_refused() {
        for weak in [
            "12345678",
            "woaini1314",
            "Woaini1314",
            "qq123456",
            "1qaz2wsx",
            "zhang123456",
            "minsheng2026",
            "banan.town1",
            "password1",
            "aaaaaaaaaa",
        ] {
            assert!(
                check_password_policy("banan.town", weak).is_err(),
                "{weak} was accepted"
            );
        }
        for strong in [
            "Lantern-Harbour-47-Quietly",
            "ferry river tea 1987 orange",
            "矩阵测试-巴南-长江-2026",
        ] {
            assert!(
                check_password_policy("banan.town", strong).is_ok(),
                "{strong} was refused"
            );
        }
    }

    #[test]
    fn throttle_keys_are_bounded_and_delays_double() {
        let long = "x".repeat(5 << 20);
        assert!(pair_key(&long, "10.0.0.1").len() < 80);
        assert_eq!(
            pair_key("Banan.Town ", "1.2.3.4"),
            pair_key("banan.town", "1.2.3.4")
        );
        assert_ne!(
            pair_key("banan.town", "1.2.3.4"),
            pair_key("banan.town", "1.2.3.5")
        );
        let cap = 15 * 60 * 1000;
        assert_eq!(pair_delay_millis(2, 1000, cap), 0);
        assert_eq!(pair_delay_millis(3, 1000, cap), 1000);
        assert_eq!(pair_delay_millis(4, 1000, cap), 2000);
        assert_eq!(pair_delay_millis(6, 1000, cap), 8000);
        assert_eq!(pair_delay_millis(1000, 1000, cap), cap);
    }
}
