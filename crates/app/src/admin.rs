//! Administration: users, units and regions, scoped to the administrator's own area.

use minsheng_domain::{Action, RegionCode, RegionLevel, Role, UnitKind};
use minsheng_i18n::msg;
use minsheng_store::regions::{self, RegionRow};
use minsheng_store::users::{self, NewUser, UnitRow, UserRow};
use serde::Serialize;

use crate::auth::{check_password_policy, hash_password};
use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

/// Whether a role, granted by an administrator, waits for a second administrator's approval:
/// it opens household files or full ID numbers, or makes users (who could then approve).
pub fn needs_second_approval(role: Role) -> bool {
    [
        Action::ViewHouseholds,
        Action::RevealIdNumber,
        Action::ManageUsers,
    ]
    .into_iter()
    .any(|action| minsheng_domain::role_permits(role, action))
}

#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    /// The unit's exact name.
    pub unit: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// A user as shown in lists (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
}

pub(crate) fn validate_username(name: &str) -> AppResult<String> {
    let name = name.trim();
    let ok = (3..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(AppError::invalid("username", msg!("username-rule")));
    }
    Ok(name.to_string())
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_user(&self, actor: &Actor, input: &NewUserInput) -> AppResult<i64> {
        self.authorize(actor, Action::ManageUsers, Subject::new("user", ""))
            .await?;
        let username = validate_username(&input.username)?;
        check_password_policy(&username, &input.password)?;
        let display_name = crate::registry::validate_name(&input.display_name)
            .map_err(|_| AppError::invalid("display_name", msg!("display-name-required")))?;
        if input.roles.is_empty() {
            return Err(AppError::invalid("roles", msg!("roles-required")));
        }
        let unit = self.unit_in_scope(actor, &input.unit).await?;
        let hash = hash_password(input.password.clone()).await?;
        // A signed-in administrator's grant of a role that opens household files waits for a
        // second administrator; the operator at the command line (shell access to the data
        // anyway) grants at once.
        let (pending, roles): (Vec<Role>, Vec<Role>) = input
            .roles
            .iter()
            .partition(|r| actor.user_id().is_some() && needs_second_approval(**r));
        let roles: Vec<String> = roles.iter().map(|r| r.code().to_string()).collect();
        let mut tx = self.store().begin().await?;
        if users::user_by_name(&mut tx, &username).await?.is_some() {
            return Err(AppError::invalid(
                "username",
                msg!("username-taken", username = username),
            ));
        }
        let id = users::insert_user(
            &mut tx,
            &NewUser {
                username: &username,
                display_name: &display_name,
                unit_id: unit.id,
                password_hash: &hash,
                roles: &roles,
                now: self.now(),
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "user.create",
            Subject::new("user", &id.to_string()),
            true,
            &roles.join(","),
        )
        .await?;
        let now = self.now();
        for role in pending {
            let grant = users::request_role_grant(
                &mut tx,
                id,
                role.code(),
                actor.user_id(),
                actor.username(),
                now,
            )
            .await?;
            // The audit line is the auditors' alert: a role that opens files was asked for.
            write_audit(
                &mut tx,
                actor,
                "user.role_grant.request",
                Subject::new("role_grant", &grant.to_string()),
                true,
                &format!(
                    "{} for user {id}: opens household files or makes users, waits for a second administrator",
                    role.code()
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Role grants waiting for approval, of users in the administrator's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn pending_role_grants(&self, actor: &Actor) -> AppResult<Vec<users::RoleGrantRow>> {
        self.authorize(actor, Action::ManageUsers, Subject::new("role_grant", ""))
            .await?;
        Ok(users::pending_role_grants(&mut reader(self), actor.scope()).await?)
    }

    /// A second administrator approves or refuses a pending role grant; the one who asked for
    /// it cannot.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn decide_role_grant(&self, actor: &Actor, id: i64, approve: bool) -> AppResult<()> {
        let subject_id = id.to_string();
        let subject = Subject::new("role_grant", &subject_id);
        self.authorize(actor, Action::ManageUsers, subject).await?;
        let Some(grant) = users::pending_role_grant(&mut reader(self), actor.scope(), id).await?
        else {
            return Err(self
                .not_found_audited(
                    actor,
                    "user.role_grant.decide",
                    subject,
                    "not pending in area",
                )
                .await);
        };
        let me = actor.user_id().ok_or(AppError::Forbidden)?;
        if grant.requested_by == Some(me) || grant.user_id == me {
            return Err(AppError::invalid("grant", msg!("grant-second-admin")));
        }
        let mut tx = self.store().begin().await?;
        if !users::decide_role_grant(&mut tx, id, me, approve, self.now()).await? {
            return Err(AppError::Stale);
        }
        write_audit(
            &mut tx,
            actor,
            if approve {
                "user.role_grant.approve"
            } else {
                "user.role_grant.refuse"
            },
            subject,
            true,
            &format!("{} for {}", grant.role, grant.username),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn unit_in_scope(&self, actor: &Actor, unit_name: &str) -> AppResult<UnitRow> {
        match users::unit_by_name(&mut reader(self), unit_name.trim()).await? {
            Some(unit) if actor.scope().contains(unit.region_code) => Ok(unit),
            Some(_) => Err(AppError::invalid("unit", msg!("unit-outside-area"))),
            None => Err(AppError::invalid(
                "unit",
                msg!("no-unit-named", name = unit_name.trim()),
            )),
        }
    }

    async fn user_in_scope(&self, actor: &Actor, username: &str) -> AppResult<UserRow> {
        match users::user_by_name(&mut reader(self), username.trim()).await? {
            Some(user) if actor.scope().contains(user.region_code) => Ok(user),
            _ => Err(AppError::NotFound),
        }
    }

    /// Sets another user's password (an administrator's reset); their sessions end.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reset_password(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
    ) -> AppResult<()> {
        self.authorize(actor, Action::ManageUsers, Subject::new("user", username))
            .await?;
        let user = self.user_in_scope(actor, username).await?;
        check_password_policy(&user.username, password)?;
        let roles = users::user_roles(&mut reader(self), user.id).await?;
        let sensitive = roles
            .iter()
            .filter_map(|r| Role::from_code(r))
            .any(needs_second_approval);
        let hash = hash_password(password.to_string()).await?;
        let mut tx = self.store().begin().await?;
        users::set_password(&mut tx, user.id, &hash, self.now()).await?;
        crate::auth::end_credentials(&mut tx, user.id, None, self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "user.password",
            Subject::new("user", &user.id.to_string()),
            true,
            // The auditors' alert: an administrator now knows the password of someone who
            // opens household files.
            if sensitive {
                "reset of a user who opens household files: alert"
            } else {
                "reset"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or re-enables) a user; a disabled user's sessions end at once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        username: &str,
        disabled: bool,
    ) -> AppResult<()> {
        self.authorize(actor, Action::ManageUsers, Subject::new("user", username))
            .await?;
        let user = self.user_in_scope(actor, username).await?;
        if actor.user_id() == Some(user.id) && disabled {
            return Err(AppError::invalid("username", msg!("cannot-disable-self")));
        }
        let mut tx = self.store().begin().await?;
        users::set_disabled(&mut tx, user.id, disabled).await?;
        if disabled {
            crate::auth::end_credentials(&mut tx, user.id, None, self.now()).await?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        write_audit(
            &mut tx,
            actor,
            action,
            Subject::new("user", &user.id.to_string()),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_users(&self, actor: &Actor) -> AppResult<Vec<UserView>> {
        self.authorize(actor, Action::ManageUsers, Subject::new("user", ""))
            .await?;
        let mut c = reader(self);
        let rows = users::users_in_scope(&mut c, actor.scope()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let roles = users::user_roles(&mut c, row.id)
                .await?
                .iter()
                .filter_map(|r| Role::from_code(r))
                .collect();
            out.push(UserView {
                id: row.id,
                username: row.username,
                display_name: row.display_name,
                unit_name: row.unit_name,
                roles,
                disabled: row.disabled,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_units(&self, actor: &Actor) -> AppResult<Vec<UnitRow>> {
        self.authorize(actor, Action::ViewUnits, Subject::new("unit", ""))
            .await?;
        Ok(users::units_in_scope(&mut reader(self), actor.scope()).await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_unit(
        &self,
        actor: &Actor,
        name: &str,
        kind: UnitKind,
        region: RegionCode,
    ) -> AppResult<i64> {
        self.authorize(actor, Action::ManageUnits, Subject::new("unit", ""))
            .await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", msg!("unit-name-length")));
        }
        if !actor.scope().contains(region.as_i64()) {
            return Err(AppError::invalid(
                "region_code",
                msg!("region-outside-area"),
            ));
        }
        if regions::get(&mut reader(self), region.as_i64())
            .await?
            .is_none()
        {
            return Err(AppError::invalid("region_code", msg!("no-such-region")));
        }
        let mut tx = self.store().begin().await?;
        let (id, _) =
            users::upsert_unit(&mut tx, name, kind.code(), region.as_i64(), self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "unit.save",
            Subject::new("unit", &id.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A region and its children, for browsing the tree.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn region_children(
        &self,
        actor: &Actor,
        code: Option<RegionCode>,
    ) -> AppResult<RegionBranch> {
        self.authorize(actor, Action::ViewRegions, Subject::NONE)
            .await?;
        let mut c = reader(self);
        let (node, children) = match code {
            Some(code) => {
                let node = regions::get(&mut c, code.as_i64())
                    .await?
                    .ok_or(AppError::NotFound)?;
                let children = regions::children(&mut c, code.as_i64()).await?;
                (Some(node), children)
            }
            None => (None, regions::roots(&mut c).await?),
        };
        let path = match &node {
            Some(n) => regions::ancestry(&mut c, n.code).await?,
            None => Vec::new(),
        };
        Ok(RegionBranch {
            node,
            path,
            children,
        })
    }

    /// Adds a village or community under a town; `code` may be omitted to take the next free one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_community(
        &self,
        actor: &Actor,
        town: RegionCode,
        name: &str,
        code: Option<RegionCode>,
    ) -> AppResult<i64> {
        self.authorize(actor, Action::ManageRegions, Subject::new("region", ""))
            .await?;
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            errors.push(FieldError::new("name", msg!("name-length-60")));
        }
        if town.level() != RegionLevel::Town {
            errors.push(FieldError::new("town", msg!("community-under-town")));
        }
        if !actor.scope().contains(town.as_i64()) {
            errors.push(FieldError::new("town", msg!("town-outside-area")));
        }
        if let Some(code) = code
            && (code.level() != RegionLevel::Community || code.numeric_parent() != Some(town))
        {
            errors.push(FieldError::new("code", msg!("community-code-rule")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        if regions::get(&mut tx, town.as_i64()).await?.is_none() {
            return Err(AppError::invalid("town", msg!("no-such-town")));
        }
        let code = match code {
            Some(c) => c.as_i64(),
            None => regions::next_free_child_code(&mut tx, town.as_i64())
                .await?
                .ok_or_else(|| AppError::invalid("town", msg!("town-codes-full")))?,
        };
        if regions::get(&mut tx, code).await?.is_some() {
            return Err(AppError::invalid("code", msg!("code-taken")));
        }
        regions::upsert(
            &mut tx,
            &RegionRow {
                code,
                name: name.to_string(),
                parent_code: Some(town.as_i64()),
                level: "community".into(),
                official: false,
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "region.create",
            Subject::new("region", &code.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionBranch {
    pub node: Option<RegionRow>,
    pub path: Vec<RegionRow>,
    pub children: Vec<RegionRow>,
}
