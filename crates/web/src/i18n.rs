//! Interface texts, Chinese first with an English switch. Templates read them as `t.key`, so a
//! missing translation is a compile error, not a blank on a page.

use minsheng_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        match self {
            Lang::Zh => role.label_zh(),
            Lang::En => role.label_en(),
        }
    }
}

macro_rules! texts {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        /// Every text of the interface, in one language.
        pub struct Texts { $(pub $key: &'static str,)* }
        pub static ZH: Texts = Texts { $($key: $zh,)* };
        pub static EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    app_name: "民生", "minsheng";
    app_tagline: "困难群众主动发现与综合帮扶平台", "Proactive social assistance platform";
    other_lang: "English", "中文";
    other_lang_code: "en", "zh";
    home: "首页", "Home";
    households: "家庭户", "Households";
    persons: "人员", "Persons";
    regions: "行政区划", "Regions";
    units: "单位", "Units";
    users: "用户", "Users";
    audit: "审计日志", "Audit log";
    account: "我的账户", "My account";
    login: "登录", "Sign in";
    logout: "退出", "Sign out";
    username: "用户名", "User name";
    password: "密码", "Password";
    login_failed: "用户名或密码错误。", "Wrong user name or password.";
    locked: "登录失败次数过多，请稍后再试（分钟）：", "Too many failed sign-ins. Try again in (minutes): ";
    welcome: "您好，", "Hello, ";
    your_roles: "您的角色", "Your roles";
    your_unit: "所在单位", "Your unit";
    your_area: "管辖区域", "Your area";
    what_you_can_do: "您可以", "What you can do";
    no_household_access: "您的角色不查看家庭户信息。线索上报等功能将在后续版本提供。", "Your role does not see household files. Reporting clues comes in a later release.";
    search: "搜索", "Search";
    export_xlsx: "导出 Excel", "Export Excel";
    export_csv: "导出 CSV", "Export CSV";
    search_hint: "姓名、地址或身份证号", "Name, address or ID number";
    region_filter: "区划代码", "Region code";
    address: "地址", "Address";
    region: "所属区划", "Region";
    head: "户主", "Head";
    id_number: "身份证号", "ID number";
    members: "人数", "Members";
    member_list: "家庭成员", "Members";
    name: "姓名", "Name";
    sex: "性别", "Sex";
    male: "男", "male";
    female: "女", "female";
    birth_date: "出生日期", "Birth date";
    age: "年龄", "Age";
    phone: "电话", "Phone";
    relation: "与户主关系", "Relation to head";
    household: "家庭户", "Household";
    person: "人员", "Person";
    open: "查看", "Open";
    reveal: "显示完整号码", "Show full number";
    reveal_note: "查看完整身份证号将被记录审计。", "Viewing a full ID number is recorded in the audit log.";
    total: "共", "Total";
    more_than: "超过", "more than";
    page: "页", "Page";
    previous: "上一页", "Previous";
    next: "下一页", "Next";
    none_found: "没有找到记录。", "Nothing found.";
    edit: "编辑", "Edit";
    save: "保存", "Save";
    saved: "已保存。", "Saved.";
    stale: "该记录已被他人修改，请刷新后重试。您的修改未保存。", "Someone else changed this record since you opened it. Reload and try again; your change was not saved.";
    add_member: "添加成员", "Add member";
    new_household: "新建家庭户", "New household";
    create: "创建", "Create";
    history: "户籍变动记录", "Membership history";
    joined: "迁入", "Joined";
    left: "迁出", "Left";
    version: "版本", "Version";
    updated_at: "更新时间", "Updated";
    children: "下级区划", "Sub-regions";
    level: "级别", "Level";
    code: "代码", "Code";
    kind: "类型", "Kind";
    add_community: "新增村社区", "Add village or community";
    roles: "角色", "Roles";
    status: "状态", "Status";
    active: "正常", "Active";
    disabled: "已停用", "Disabled";
    disable: "停用", "Disable";
    enable: "启用", "Enable";
    add_user: "新增用户", "Add user";
    display_name: "显示名称", "Display name";
    unit: "单位", "Unit";
    reset_password: "重置密码", "Reset password";
    new_password: "新密码", "New password";
    old_password: "当前密码", "Current password";
    change_password: "修改密码", "Change password";
    password_changed: "密码已修改，其他会话已退出。", "Password changed; your other sessions were signed out.";
    api_tokens: "API 令牌", "API tokens";
    token_name: "令牌名称", "Token name";
    issue_token: "生成令牌", "Issue token";
    token_once: "请立即复制此令牌，它只显示一次：", "Copy this token now; it is shown only once:";
    time: "时间", "Time";
    user: "用户", "User";
    action: "操作", "Action";
    subject: "对象", "Subject";
    outcome: "结果", "Outcome";
    from_ip: "来源", "From";
    detail: "详情", "Detail";
    forbidden: "您无权执行此操作。", "You are not allowed to do this.";
    not_found: "未找到，或不在您的管辖区域内。", "Not found, or not in your area.";
    invalid: "输入有误：", "Please correct: ";
    error: "出错了", "Something went wrong";
    back: "返回", "Back";
    figures: "数据概览", "Figures";
    households_by_region: "各区划家庭户数", "Households by region";
    count: "数量", "Count";
    csrf_failed: "页面已过期，请刷新后重试。", "This page has expired; reload and try again.";
    report_clue: "上报线索", "Report a clue";
    report_hint: "看到有人可能遇到困难？写下您注意到的情况，社区会尽快上门核实。", "Noticed someone who may be in hardship? Say what you saw; the community will visit soon.";
    report_queued: "网络不通，线索已保存在手机上，联网后自动发送。", "No network: the report is kept on this phone and sent when it is back online.";
    report_sent: "已收到，谢谢！社区会尽快上门核实。", "Received, thank you. The community will visit soon.";
    my_clues: "我的线索", "My clues";
    channel: "渠道", "Channel";
    what_noticed: "看到了什么", "What you noticed";
    where_text: "在哪里（楼栋、地址）", "Where (building, address)";
    where_hint: "如：百节社区3栋2单元501", "e.g. building 3, unit 2, room 501";
    who: "是谁（姓名，可选）", "Who (name, optional)";
    id_number_optional: "身份证号（可选）", "ID number (optional)";
    region_optional: "村社区代码（可选，默认本社区）", "Community code (optional; default: yours)";
    urgency: "紧急程度", "Urgency";
    send: "发送", "Send";
    inbox: "待办", "Inbox";
    overdue: "逾期", "overdue";
    due: "走访期限", "Visit by";
    lead_subject: "对象", "Subject";
    sources: "线索数", "Clues";
    lead: "线索", "Lead";
    clues: "线索来源", "Clues";
    record_visit: "走访核实", "Verification visit";
    findings: "走访发现", "What the visit found";
    visit_outcome: "结论", "Outcome";
    outcome_register: "建档", "Register a household file";
    outcome_merge: "并入已有档案", "Merge into an existing file";
    outcome_close: "关闭", "Close";
    close_reason: "关闭原因", "Reason for closing";
    note: "说明", "Note";
    merge_into: "并入的户编号", "Household number to merge into";
    file: "档案", "File";
    file_state: "档案状态", "File state";
    timeline: "时间线", "Timeline";
    change_state: "变更状态", "Change state";
    fig_registered: "建档户数", "Households registered";
    fig_assisted: "已帮扶", "Assisted";
    fig_helped_outside: "政策外帮扶", "Helped outside policy";
    fig_leads: "新线索（户）", "New leads";
    fig_median: "线索到走访（小时，中位数）", "Clue to visit (hours, median)";
    fig_by_channel: "线索来源渠道", "Clues by channel";
    fig_by_state: "档案状态", "Files by state";
    fig_closed: "关闭原因", "Closed, by reason";
    fig_groups: "三级甄别体系", "Three-level groups";
    fig_group_count: "小组数", "Groups";
    fig_staff: "工作人员", "Staff";
    fig_volunteers: "志愿者", "Volunteers";
    sweeps: "扫楼排查", "Sweeps";
    photos: "照片（可选，最多4张，每张不超过5MB）", "Photos (optional; up to 4, 5 MB each)";
    add_location: "附上我现在的位置", "Add my current location";
    location_added: "已附上位置", "Location added";
    photo_rules: "只能上传照片，最多4张，每张不超过5MB。", "Photos only: up to 4, at most 5 MB each.";
    groups: "三级体系", "Work groups";
    new_group: "新建小组", "New group";
    position: "职务", "Position";
    recruit: "加入成员", "Recruit a member";
    remove: "移出", "Remove";
    new_sweep: "新建扫楼", "New sweep";
    coverage: "覆盖", "Coverage";
    concerns: "发现困难", "Concerns";
    finding: "结果", "Finding";
    level_community: "社区：本社区全部待走访线索", "Community: every lead waiting for a visit";
    level_town: "镇街：社区逾期未走访的线索", "Town: leads overdue at the community";
    level_district: "区县：镇街逾期仍未走访的线索", "District: leads still overdue at the town";
    assessments: "甄别评估", "Assessments";
    whole_area: "本辖区全部", "Whole area";
    mine_only: "只看我的", "Mine only";
    assessor: "评估员", "Assessor";
    state: "状态", "State";
    score: "得分", "Score";
    conclusion: "结论", "Conclusion";
    assigned_at: "分派时间", "Assigned";
    all: "全部", "All";
    open_work: "待完成", "Open";
    assign_assessment: "发起家庭评估", "Assign an assessment";
    current_result: "当前认定结果", "Current recognised result";
    mutual_recognition_hint: "评估结果在有效期内互认共享；再次评估须有举报、家庭情况变化或审核人要求等事由并记录。", "A recognised result is shared while valid; a new survey needs a recorded trigger (a report, a change of circumstances or a reviewer's decision).";
    model: "评估模型", "Model";
    trigger: "评估事由", "Trigger";
    assign: "分派", "Assign";
    autosaved: "已自动保存", "Saved";
    assessment: "家庭评估", "Assessment";
    valid_until: "有效期至", "Valid until";
    expired: "已过期", "expired";
    review_comment: "审核意见", "Review comments";
    print_report: "打印评估报告（A4）", "Print the report (A4)";
    result: "评估结果", "Result";
    points: "分", "points";
    deduction: "自救能力扣减", "Self-help deduction";
    partial_survey: "调查不完整，按部分信息评分", "partial survey, scored as partial";
    could_change: "补全后结论可能改变", "recording it could change the conclusion";
    veto: "否决条件", "Veto";
    missing_facts: "未采集的信息", "Facts not recorded";
    what_would_change: "哪些变化会改变结论", "What would change the conclusion";
    indicators: "全部指标", "All indicators";
    indicator: "指标", "Indicator";
    dimension: "维度", "Dimension";
    value: "取值", "Value";
    weight: "权重", "Weight";
    review: "镇街审核", "Town review";
    approve: "审核通过，予以认定", "Approve and recognise";
    return_for_correction: "退回修改", "Return for correction";
    survey: "家庭家境调查", "Household survey";
    autosave_hint: "填写内容自动保存；未知的项目请留空（按“未采集”处理）。", "Your entries save themselves; leave unknown facts empty (not recorded).";
    save_draft: "保存草稿", "Save draft";
    submit_for_review: "提交审核", "Submit for review";
    report_title: "家庭困难程度评估报告", "Household hardship assessment report";
    report_number: "编号", "No.";
    printed_at: "打印时间", "Printed";
    household_summary: "家庭基本情况", "Household";
    health: "健康状况", "Health";
    employment: "就业状况", "Employment";
    report_privacy_note: "本报告不含身份证号码等敏感信息，仅限救助工作使用。", "This report carries no ID numbers and is for assistance work only.";
    score_meaning: "0–100分，分值越高困难程度越深、越需优先帮扶", "0–100: the higher, the deeper the hardship";
    dimension_scores: "各维度得分", "Scores by dimension";
    main_reasons: "主要困难因素", "Main reasons";
    not_recorded: "未采集", "not recorded";
    recommendations: "帮扶建议", "Recommendations";
    recommendations_none: "按救助事项目录，暂无建议的救助事项。", "The assistance catalog recommends no items.";
    reviewer: "审核人", "Reviewer";
    submitted_at: "提交时间", "Submitted";
    reviewed_at: "审核时间", "Reviewed";
    signature: "签字：", "Signature:";
    models: "评估模型", "Models";
    created_at: "创建时间", "Created";
    in_use: "已使用", "used";
    upload_model: "上传新版本", "Upload a new version";
    model_source: "模型文件（TOML）", "Model file (TOML)";
    check_and_upload: "检查并上传（草稿）", "Check and upload (as draft)";
    activate: "启用此版本", "Activate this version";
    what_if: "模拟测算（不改变任何记录）", "What-if (changes nothing)";
    would_change: "结论将改变", "would change conclusion";
    skipped: "跳过", "skipped";
    changed_households: "结论改变的家庭", "Households that would change";
    parameters: "参数", "Parameters";
    deducted: "扣减项", "deducted";
    rule: "计算规则", "Rule";
    vetoes: "否决条件", "Vetoes";
    conclusions: "结论规则（依次判断）", "Conclusion rules (in order)";
    yes: "是", "yes";
    no: "否", "no";
    new_member: "新增成员（填写关系与年龄即添加）", "New member (fill relation and age to add)";
    member: "成员", "Member";
    other_facts: "其他情况", "Other facts";
    otherwise: "其余情形", "otherwise";
    assess_household: "发起评估", "Assess";
    shipped: "内置", "shipped";
    assessment_history: "评估过程记录", "History of the assessment";
    help_title: "救助帮扶", "Help";
    back_to_household: "返回家庭户", "Back to the household";
    no_recognised_assessment: "尚无已认定的评估结果，认定后才能生成救助建议。", "No recognised assessment yet: recommendations come from one.";
    item: "救助事项", "Item";
    category: "类别", "Category";
    amount: "金额", "Amount";
    reason: "理由", "Reason";
    undetermined_items: "因信息未采集而无法判断的事项", "Items that could not be decided (facts not recorded)";
    new_plan: "按最新评估重新制定方案", "Make a new plan from the latest assessment";
    create_plan: "按建议制定救助方案", "Make the plan from the recommendations";
    plan: "救助方案", "Assistance plan";
    approval_level: "审批层级", "Approved by";
    accept: "采纳", "Accept";
    decline_reason: "不采纳理由", "Reason to decline";
    decline: "不采纳", "Decline";
    approve_item: "审批", "Approve";
    deliver: "发放", "Pay";
    add_item: "增加救助事项", "Add an item";
    add: "增加", "Add";
    referrals: "转介", "Referrals";
    receiver: "承接单位", "Receiver";
    emergency_aid: "急难型临时救助", "Emergency assistance";
    started_at: "发现于", "Found";
    paid_at: "发放于", "Paid";
    time_left: "距3个工作日时限还剩", "Time left of the 3 working days:";
    hours: "小时", "hours";
    pay_from_fund: "从备用金先行发放", "Pay now from the reserve fund";
    paperwork_done: "审批手续已补办", "Paperwork completed";
    open_emergency: "启动急难救助", "Open an emergency case";
    benefits: "已享受救助", "Benefits received";
    period: "期间", "Period";
    referral_inbox: "转介待办", "Referrals to my unit";
    referral_privacy: "仅显示转介给本单位的事项，以及办理该事项所需的信息。", "Only referrals addressed to your unit, with only the facts the item needs.";
    start: "开始办理", "Start";
    complete: "办结", "Complete";
    service_delivered: "提供的服务", "Service delivered";
    return_referral: "退回", "Return";
    fail: "无法办理", "Cannot deliver";
    reserve_fund: "临时救助备用金", "Reserve fund";
    balance: "余额", "Balance";
    top_up: "拨入", "Top up";
    deadline: "办理时限", "Deadline";
    followups: "回访", "Follow-up visits";
    tier: "关注等级", "Tier";
    done_at: "完成于", "Done";
    satisfaction: "满意度", "Satisfaction";
    record_followup: "记录回访", "Record the visit";
    help_figures: "救助帮扶数据", "Help figures";
    fig_assisted_households: "获得救助帮扶的户数", "households helped";
    fig_linked: "链接社会资源", "resources linked";
    fig_in_time: "急难救助3个工作日内发放占比", "emergency payments within 3 working days";
    fig_emergency_paid: "急难救助发放笔数", "emergency payments";
    fig_amount_by_category: "分类救助金额", "Amounts by category";
    fig_items_by_category: "分类救助笔数", "Grants by category";
    resend: "改派", "Refer elsewhere";
    screening_hit_rates: "大数据比对预警准确率", "Are the data-matching warnings right?";
    screening_hit_rates_hint: "按预警规则统计：线索经走访核实为困难（建档或并档）的比例。", "Per warning rule: the share of its clues that visits confirmed as hardship (a file registered or merged).";
    fig_warned: "预警线索", "Warnings filed";
    fig_confirmed: "核实困难", "Confirmed";
    fig_not_in_difficulty: "核实不困难", "Not in difficulty";
    fig_hit_rate: "准确率", "Hit rate";
    screening_runs: "比对运行记录", "Screening runs";
    run_by: "操作人", "Run by";
    run_purpose: "目的与授权", "Purpose and authorisation";
    run_feeds: "比对数据", "Feeds";
    fig_warnings: "预警户数", "Households warned";
    fig_raised_before: "此前已提出", "Raised before";
    help_link: "救助帮扶（建议、方案、转介、急难救助）", "Help: recommendations, plan, referrals, emergency aid";
    hotline_desk: "12345热线受理", "12345 hotline desk";
    grid_network: "配电网自愈", "Self-healing grid";
    grid_alarms: "站房监测告警", "Station alarms";
    grid_dependents: "生命用电户", "Power-dependent households";
    grid_fault_on: "故障回放：选择故障线路", "Replay a fault: choose the line";
    grid_replay: "回放", "Replay";
    grid_prev: "上一步", "Previous";
    grid_next: "下一步", "Next";
    grid_play: "播放", "Play";
    grid_steps: "处置步骤", "Steps";
    grid_lost: "停电负荷", "Load lost";
    grid_restored: "恢复供电", "Restored";
    grid_left_dark: "待抢修恢复", "Left for repair";
    grid_generator: "应急电源接入", "Mobile generator";
    grid_priority: "生命用电户", "depend on power for life";
    grid_customers: "户", "customers";
    grid_too_big: "网络太大，不在此绘制；请用 minsheng grid 命令。", "Too large to draw here; use the minsheng grid commands.";
    grid_legend: "实心方块为合闸开关，空心为分闸；灰色为停电；红色为故障区段；心形为生命用电户。", "Filled squares: closed switches; hollow: open. Grey: no supply; red: the faulted section; ♥: customers who depend on power for life.";
    grid_sensor: "传感器", "Sensor";
    grid_station: "站房", "Station";
    grid_rule: "规则", "Rule";
    grid_severity: "级别", "Severity";
    grid_value: "读数", "Value";
    grid_raised: "告警时间", "Raised";
    grid_acknowledge: "确认", "Acknowledge";
    grid_ack_note: "处置说明", "What was done";
    grid_open_alarms: "未确认告警", "Open alarms";
    grid_recent_alarms: "最近告警", "Recent alarms";
    grid_no_alarms: "没有告警。", "No alarms.";
    grid_links: "已关联的生命用电户", "Linked households";
    grid_link_new: "关联家庭与供电负荷（须经本人或监护人同意）", "Link a household to the load that feeds it (with the consent of the person or guardian)";
    grid_load: "负荷（配电房）", "Load (room)";
    grid_household_id: "家庭编号", "Household number";
    grid_consent_by: "同意人（本人或监护人）", "Consent given by (the person or guardian)";
    grid_need: "用电需求（如家庭透析、制氧机）", "What the power is for (home dialysis, oxygen, …)";
    grid_link: "关联", "Link";
    grid_unlink: "解除", "Unlink";
    grid_alerts: "停电提醒", "Outage alerts";
    grid_no_alerts: "暂无停电提醒。", "No outage alerts.";
    grid_alert_outage: "停电，等待抢修", "without supply, waiting for repair";
    grid_alert_slow: "恢复较慢", "restored slowly";
    grid_expected: "预计时长（分钟）", "Expected minutes";
    grid_fault: "故障", "Fault";
    grid_channel: "或整条电缆通道", "or a whole cable channel";
    hotline_tickets: "热线工单", "Hotline tickets";
    hotline_ranking: "每周热点排行", "Weekly hot topics";
    hotline_public_form: "12345网上留言", "Write to 12345";
    take_call: "受理来电", "Record a call";
    request_description: "诉求内容", "What the caller says";
    request_place: "地点（区县、街道、小区或路名）", "Where (district, street, estate or road)";
    contact_name: "联系人", "Name";
    contact_email: "电子邮箱", "E-mail";
    classification: "自动分类", "Classification";
    subcategory: "事项", "Subcategory";
    request_type: "诉求类型", "Type";
    confidence: "置信度", "Confidence";
    answering_unit: "承办单位", "Answering unit";
    manual_dispatch: "中心人工派单", "Manual dispatch by the centre";
    as_classified: "按自动分类", "As classified";
    create_ticket: "提交工单", "Create the ticket";
    possible_duplicates: "可能重复的在办诉求", "Open requests this may duplicate";
    merge_request: "合并到此诉求", "Merge into this one";
    queue: "待办工单", "Queue";
    transfers: "退单次数", "Returns";
    reworks: "重办次数", "Reworks";
    dispatch: "派单", "Dispatch";
    return_ticket: "退单", "Return (not ours)";
    ask_extension: "申请延期", "Ask for more time";
    workdays: "个工作日", "working days";
    grant: "同意", "Grant";
    refuse: "不同意", "Refuse";
    reply: "答复", "Reply";
    problem_solved: "问题已解决", "The problem is solved";
    replied_not_solved: "已答复，问题未解决", "Replied, problem not solved";
    callback: "回访", "Call-back";
    satisfied: "满意", "Satisfied";
    basically_satisfied: "基本满意", "Basically satisfied";
    unsatisfied: "不满意（重办）", "Unsatisfied (handle again)";
    reopen: "重新办理", "Reopen";
    correct_class: "更正分类", "Correct the classification";
    to_clue: "转社会救助线索", "Hand to social assistance as a clue";
    clue_person: "当事人姓名（可选）", "Person's name (optional)";
    town_code: "镇街代码（诉求未写明镇街时）", "Town code (when the request names none)";
    linked_clue: "已转救助线索", "Handed to social assistance: clue";
    chase_overdue: "催办超期工单", "Chase overdue tickets";
    steps: "办理过程", "Steps";
    ranking_rule: "按该周受理的诉求统计；合并的重复诉求只计一次；类别以最终分类为准。", "Counts the requests received that week; merged duplicates count once; each by its final category.";
    solved_list: "已解决的诉求", "Solved requests";
    unsolved_list: "未解决的诉求", "Unsolved requests";
    week: "周次", "Week";
    total_requests: "诉求总数", "Requests";
    public_form_note: "请勿在诉求内容中填写身份证号码等个人信息。联系方式仅工作人员可见，不会公开。", "Do not write ID numbers in the description. Your contact is seen by staff only and never published.";
    request_received: "已收到您的诉求", "Your request has been received";
    request_number: "诉求编号", "Request number";
    status_page: "办理进度", "Progress";
    contact_hidden: "联系方式仅热线中心和承办单位可见。", "The contact is visible to the centre and the answering unit only.";
    merged_into: "已合并到", "Merged into";
    res_nav: "社会资源", "Social resources";
    res_provider_nav: "爱心捐助", "Giving";
    res_volunteers: "志愿服务", "Volunteer services";
    res_appeals: "急难众筹", "Emergency appeals";
    res_contracts: "购买服务", "Purchased services";
    res_needs: "待对接需求", "Needs to match";
    res_needs_note: "方案未获批的事项、转介未落实的事项，以及“不符合条件但需帮扶”的家庭。", "Declined plan items, referrals no unit could take, and households not eligible but helped.";
    res_no_needs: "没有待对接的需求。", "No needs waiting.";
    res_need: "需求", "Need";
    res_match_offer: "对接", "Match";
    res_providers: "爱心单位与个人", "Donors and providers";
    res_provider: "提供方", "Provider";
    res_provider_new: "登记提供方", "Register a provider";
    res_kind: "类型", "Kind";
    res_region: "区域代码", "Region code";
    res_contact: "联系方式", "Contact";
    res_unit_id: "机构账号单位编号（可选）", "Its own unit number (optional)";
    res_offers: "可提供的资源", "Offers";
    res_offer_new: "登记资源", "Add an offer";
    res_what: "内容", "What";
    res_description: "说明", "Description";
    res_capacity: "数量", "Capacity";
    res_remaining: "剩余", "Left";
    res_unit: "单位", "Unit";
    res_valid_until: "有效期至", "Valid until";
    res_matches: "已对接", "Matches";
    res_no_matches: "还没有对接。", "No matches yet.";
    res_quantity: "数量", "Quantity";
    res_consent_by: "同意向提供方提供信息的家庭成员（必填）", "Who in the household agreed to share with the provider (required)";
    res_consent: "同意人", "Consent";
    res_state: "状态", "State";
    res_deliver: "登记送达", "Record the delivery";
    res_value_yuan: "价值（元）", "Value (¥)";
    res_delivered_on: "送达日期", "Delivered on";
    res_delivered_by: "送达人", "Delivered by";
    res_feedback: "感谢与反馈（可选）", "Thanks and feedback (optional)";
    res_deliveries: "送达记录", "Deliveries";
    res_offers_here: "可以送到这户的资源", "Offers that reach this household";
    res_no_offers: "没有可对接的资源。", "No offer reaches this household.";
    res_assign: "安排志愿者定期探访", "Assign a volunteer for regular visits";
    res_volunteer: "志愿者", "Volunteer";
    res_service: "服务内容", "Service";
    res_every_days: "每几天一次", "Every (days)";
    res_starts_on: "开始日期", "Starts on";
    res_ends_on: "结束日期（可选）", "Ends on (optional)";
    res_stipend: "每次补贴（元，可选）", "Stipend per visit (¥, optional)";
    res_stipend_payer: "补贴支付方", "Paid by";
    res_visits: "探访", "Visits";
    res_hours: "小时", "Hours";
    res_stipends: "补贴", "Stipends";
    res_missed: "漏访周期", "Missed periods";
    res_log_visit: "登记探访", "Log a visit";
    res_visited_on: "探访日期", "Visited on";
    res_note: "备注", "Note";
    res_no_assignments: "还没有志愿服务安排。", "No volunteer assignments yet.";
    res_appeal_open: "发起急难众筹", "Open an emergency appeal";
    res_title: "公开标题（不含姓名、地址、号码）", "Public title (no names, addresses or numbers)";
    res_target: "目标（元）", "Target (¥)";
    res_surplus_rule: "结余处理规则（公开）", "What happens to a surplus (public)";
    res_pledged: "认捐", "Pledged";
    res_received: "到账", "Received";
    res_disbursed: "拨付", "Disbursed";
    res_balance: "结余", "Balance";
    res_entry: "登记账目", "Record an entry";
    res_pledge: "认捐", "Pledge";
    res_receipt: "到账", "Receipt";
    res_disbursement: "拨付给家庭", "Disbursement to the household";
    res_surplus: "结余转出", "Surplus moved out";
    res_amount: "金额（元）", "Amount (¥)";
    res_donor: "登记的捐赠方", "Registered donor";
    res_close: "结束众筹", "Close the appeal";
    res_overdue: "已过截止日期，请结束", "Past its end date: close it";
    res_public_page: "公开页面", "Public page";
    res_ledger: "账目", "Ledger";
    res_no_appeals: "没有众筹。", "No appeals.";
    res_public_note: "本页只公开众筹的标题与数字，不含受助家庭的任何个人信息。", "This page shows the appeal's title and figures only, nothing personal about the household.";
    res_contract_new: "登记购买服务合同", "Record a purchased-services contract";
    res_org_unit: "承接机构单位编号", "Organisation's unit number";
    res_budget: "预算（元）", "Budget (¥)";
    res_deliverable: "交付指标", "Deliverable";
    res_assessments: "完成评估（户）", "Assessments submitted";
    res_service_visits: "服务探访（次）", "Service visits";
    res_milestones: "付款节点（每行：名称,金额,完成比例 0–1）", "Payment milestones (one a line: name,amount,share 0–1)";
    res_pay: "支付", "Pay";
    res_paid: "已付", "Paid";
    res_delivery_rate: "完成率", "Delivery rate";
    res_no_contracts: "没有合同。", "No contracts.";
    res_units_list: "单位", "Units";
    res_my_offers: "我们的资源", "Our offers";
    res_my_matches: "对接给我们的家庭（已获同意）", "Households matched to us (with consent)";
    res_open_appeals: "进行中的急难众筹", "Open emergency appeals";
    res_give: "认捐或登记到账", "Pledge or record a payment";
    res_figures: "社会资源", "Social resources";
    res_by_kind: "按提供方类型", "By provider kind";
    res_by_district: "按区县", "By district";
    res_funds: "众筹善款", "Appeal funds";
    res_address: "地址", "Address";
    res_household: "家庭", "Household";
    res_match_for: "对接到", "Match to";
    res_days: "天", "days";
    res_name: "名称", "Name";
}
