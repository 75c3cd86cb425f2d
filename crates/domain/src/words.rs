//! The words for the codes the product stores (channels, states, reasons), by domain, in Chinese
//! and English: what pages show, and what timeline lines written in Chinese say instead of a code.
//! An unknown code is returned as it is (it is data the product did not write).

/// Discovery (主动发现): channels, urgencies, lead and clue statuses, close reasons, file states,
/// work-group roles and levels, sweep findings.
pub fn discovery(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "volunteer" => ("眼线志愿者", "volunteer"),
        "grid_worker" => ("网格员", "grid worker"),
        "sweep" => ("扫楼排查", "sweep"),
        "hotline" => ("12345热线", "12345 hotline"),
        "screening" => ("大数据比对", "data screening"),
        "application" => ("一门受理", "one-stop application"),
        "department" => ("部门转介", "department transfer"),
        "normal" => ("一般", "normal"),
        "urgent" => ("紧急", "urgent"),
        "emergency" => ("特急（当天）", "emergency (same day)"),
        "received" => ("已收到", "received"),
        "visited" => ("已走访", "visited"),
        "helped" => ("已帮扶", "helped"),
        "closed" => ("已关闭", "closed"),
        "open" => ("待走访", "waiting for a visit"),
        "registered" => ("已建档", "registered"),
        "merged" => ("已并档", "merged"),
        "not_in_difficulty" => ("经核实不困难", "not in difficulty"),
        "moved_away" => ("已搬离", "moved away"),
        "unreachable" => ("无法联系", "unreachable"),
        "duplicate" => ("重复线索", "duplicate"),
        "other" => ("其他", "other"),
        "watch" => ("关注中", "under watch"),
        "assisted" => ("已救助", "assisted"),
        "not_eligible_helped" => ("政策外帮扶", "helped outside policy"),
        "leader" => ("组长", "leader"),
        "deputy" => ("副组长", "deputy"),
        "liaison" => ("联络员", "liaison"),
        "staff" => ("工作人员", "staff"),
        "fine" => ("正常", "fine"),
        "concern" => ("有困难", "concern"),
        "absent" => ("不在家", "nobody home"),
        "district" => ("区县项目组", "district project group"),
        "town" => ("镇街工作组", "town work group"),
        "community" => ("村社区行动小组", "community action group"),
        _ => return None,
    })
}

/// Assessment (甄别): states, triggers and model version states.
pub fn assessment(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "assigned" => ("已分派", "assigned"),
        "draft" => ("填写中", "draft"),
        "submitted" => ("待审核", "waiting for review"),
        "returned" => ("已退回", "returned"),
        "recognised" => ("已认定", "recognised"),
        "superseded" => ("已更新", "superseded"),
        "withdrawn" => ("已撤回", "withdrawn"),
        "first" => ("首次评估", "first assessment"),
        "expiry" => ("有效期届满", "validity expired"),
        "report" => ("群众举报", "a report of wrong facts"),
        "change" => ("家庭情况变化", "change of circumstances"),
        "reviewer" => ("审核人要求", "reviewer's decision"),
        "active" => ("使用中", "active"),
        "retired" => ("已停用", "retired"),
        _ => return None,
    })
}

/// The Chinese word of a discovery code, or the code.
pub fn discovery_zh(code: &str) -> &str {
    discovery(code).map_or(code, |w| w.0)
}

/// The Chinese word of an assessment code, or the code.
pub fn assessment_zh(code: &str) -> &str {
    assessment(code).map_or(code, |w| w.0)
}

/// The household timeline's kinds of line (what the line is about).
pub fn timeline_kind(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "clue" => ("线索", "clue"),
        "visit" => ("走访", "visit"),
        "file" => ("档案", "file"),
        "assessment" => ("家庭评估", "assessment"),
        "plan" => ("救助方案", "assistance plan"),
        "referral" => ("转介", "referral"),
        "benefit" => ("发放", "benefit paid"),
        "emergency" => ("急难救助", "emergency aid"),
        "followup" => ("回访", "follow-up"),
        "resources" => ("社会资源", "social resources"),
        "move" => ("户籍变动", "household change"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_codes_stay_as_they_are() {
        assert_eq!(super::discovery_zh("watch"), "关注中");
        assert_eq!(super::discovery_zh("zzz"), "zzz");
        assert_eq!(super::assessment_zh("submitted"), "待审核");
    }
}
