//! The three-level organisation (三级本土甄别体系): district project groups, town work groups
//! (leader, deputy, liaison) and community action groups (secretary, liaison, grid workers,
//! volunteers). Officers set up the groups of their area and recruit members into them.

use minsheng_domain::{Action, RegionCode, RegionLevel};
use minsheng_i18n::msg;
use minsheng_store::discovery::{self, GroupRow, MemberRow};
use minsheng_store::{regions, users};
use serde::Serialize;

use crate::{Actor, App, AppError, AppResult, Subject, reader, write_audit};

pub const POSITIONS: [&str; 6] = [
    "leader",
    "deputy",
    "liaison",
    "staff",
    "grid_worker",
    "volunteer",
];

#[derive(Debug, Clone, Serialize)]
pub struct GroupDetail {
    pub group: GroupRow,
    pub members: Vec<MemberRow>,
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_groups(&self, actor: &Actor) -> AppResult<Vec<GroupRow>> {
        self.authorize(actor, Action::ManageGroups, Subject::new("group", ""))
            .await?;
        Ok(discovery::groups_in_scope(&mut reader(self), actor.scope(), 200).await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn group_detail(&self, actor: &Actor, id: i64) -> AppResult<GroupDetail> {
        self.authorize(
            actor,
            Action::ManageGroups,
            Subject::new("group", &id.to_string()),
        )
        .await?;
        let group = self.group_in_area(actor, id).await?;
        let members = discovery::group_members(&mut reader(self), id).await?;
        Ok(GroupDetail { group, members })
    }

    async fn group_in_area(&self, actor: &Actor, id: i64) -> AppResult<GroupRow> {
        if let Some(group) = discovery::group(&mut reader(self), actor.scope(), id).await? {
            return Ok(group);
        }
        self.audit_now(
            actor,
            "group.read",
            Subject::new("group", &id.to_string()),
            false,
            "not found in area",
        )
        .await?;
        Err(AppError::NotFound)
    }

    /// Sets up the group of a district, town or community (one per region); returns its id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_group(&self, actor: &Actor, region: &str, name: &str) -> AppResult<i64> {
        self.authorize(actor, Action::ManageGroups, Subject::new("group", ""))
            .await?;
        let code =
            RegionCode::parse(region).map_err(|e| AppError::invalid("region_code", e.message()))?;
        let level = match code.level() {
            RegionLevel::District => "district",
            RegionLevel::Town => "town",
            RegionLevel::Community => "community",
            _ => {
                return Err(AppError::invalid("region_code", msg!("group-region-level")));
            }
        };
        if !actor.scope().contains(code.as_i64())
            || regions::get(&mut reader(self), code.as_i64())
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "region_code",
                msg!("no-such-region-in-area"),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", msg!("group-name-required")));
        }
        let mut tx = self.store().begin().await?;
        let id = discovery::upsert_group(&mut tx, level, code.as_i64(), name, self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "group.create",
            Subject::new("group", &id.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Recruits a user into a group (or changes their position); the user's unit must be in the
    /// officer's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_group_member(
        &self,
        actor: &Actor,
        group_id: i64,
        username: &str,
        position: &str,
    ) -> AppResult<()> {
        let subject_id = group_id.to_string();
        let subject = Subject::new("group", &subject_id);
        self.authorize(actor, Action::ManageGroups, subject).await?;
        self.group_in_area(actor, group_id).await?;
        if !POSITIONS.contains(&position) {
            return Err(AppError::invalid(
                "position",
                msg!("group-position-choices"),
            ));
        }
        let user = users::user_by_name(&mut reader(self), username.trim())
            .await?
            .filter(|u| actor.scope().contains(u.region_code))
            .ok_or_else(|| AppError::invalid("username", msg!("no-such-user-in-area")))?;
        let mut tx = self.store().begin().await?;
        discovery::add_group_member(&mut tx, group_id, user.id, position, self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "group.member",
            subject,
            true,
            &format!("{} {position}", user.username),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove_group_member(
        &self,
        actor: &Actor,
        group_id: i64,
        username: &str,
    ) -> AppResult<()> {
        let subject_id = group_id.to_string();
        let subject = Subject::new("group", &subject_id);
        self.authorize(actor, Action::ManageGroups, subject).await?;
        self.group_in_area(actor, group_id).await?;
        let user = users::user_by_name(&mut reader(self), username.trim())
            .await?
            .ok_or_else(|| AppError::invalid("username", msg!("no-such-user")))?;
        let mut tx = self.store().begin().await?;
        discovery::remove_group_member(&mut tx, group_id, user.id).await?;
        write_audit(
            &mut tx,
            actor,
            "group.member_removed",
            subject,
            true,
            &user.username,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
