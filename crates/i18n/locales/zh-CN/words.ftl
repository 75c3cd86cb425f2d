# The words for the codes the product stores, `group-code`: pages show these instead of a
# code; a code without a word shows as it is (a value the product did not write).

## Discovery (主动发现): channels, urgencies, lead and clue states, close reasons, file states, work-group roles and levels, sweep findings.

discovery-volunteer = 眼线志愿者
discovery-grid_worker = 网格员
discovery-sweep = 扫楼排查
discovery-hotline = 12345热线
discovery-screening = 大数据比对
discovery-application = 一门受理
discovery-department = 部门转介
discovery-normal = 一般
discovery-urgent = 紧急
discovery-emergency = 特急（当天）
discovery-received = 已收到
discovery-visited = 已走访
discovery-helped = 已帮扶
discovery-closed = 已关闭
discovery-open = 待走访
discovery-registered = 已建档
discovery-merged = 已并档
discovery-not_in_difficulty = 经核实不困难
discovery-moved_away = 已搬离
discovery-unreachable = 无法联系
discovery-duplicate = 重复线索
discovery-other = 其他
discovery-watch = 关注中
discovery-assisted = 已救助
discovery-not_eligible_helped = 政策外帮扶
discovery-leader = 组长
discovery-deputy = 副组长
discovery-liaison = 联络员
discovery-staff = 工作人员
discovery-fine = 正常
discovery-concern = 有困难
discovery-absent = 不在家
discovery-district = 区县项目组
discovery-town = 镇街工作组
discovery-community = 村社区行动小组

## Assessment (甄别): states, triggers and model version states.

assessment-assigned = 已分派
assessment-draft = 填写中
assessment-submitted = 待审核
assessment-returned = 已退回
assessment-recognised = 已认定
assessment-superseded = 已更新
assessment-withdrawn = 已撤回
assessment-first = 首次评估
assessment-expiry = 有效期届满
assessment-report = 群众举报
assessment-change = 家庭情况变化
assessment-reviewer = 审核人要求
assessment-active = 使用中
assessment-retired = 已停用

## The household timeline: what a line is about.

timeline-clue = 线索
timeline-visit = 走访
timeline-file = 档案
timeline-assessment = 家庭评估
timeline-plan = 救助方案
timeline-referral = 转介
timeline-benefit = 发放
timeline-emergency = 急难救助
timeline-followup = 回访
timeline-resources = 社会资源
timeline-move = 户籍变动

## Help (帮扶): plan item and referral states, fund entries, follow-up tiers and satisfaction, levels.

help-proposed = 待确认
help-accepted = 已采纳
help-declined = 不予采纳
help-approved = 已审批
help-delivered = 已落实
help-sent = 已转介
help-returned = 已退回
help-in_progress = 办理中
help-completed = 已办结
help-failed = 未能办理
help-top_up = 拨入
help-disbursement = 支出
help-community = 社区
help-severe = 重点（每月）
help-watch = 关注（每两月）
help-stable = 稳定（每季度）
help-satisfied = 满意
help-neutral = 基本满意
help-unsatisfied = 不满意
help-town = 镇街
help-district = 区县

## The 12345 hotline: request states.

hotline-centre = 中心待派
hotline-dispatched = 已派单
hotline-accepted = 办理中
hotline-replied = 已答复待回访
hotline-closed = 已办结
hotline-merged = 已合并

## Kinds of unit.

unit_kind-civil_affairs_bureau = 民政局
unit_kind-town_office = 镇街办事处
unit_kind-community_committee = 村（居）委会
unit_kind-education_dept = 教育部门
unit_kind-health_dept = 卫生健康部门
unit_kind-housing_dept = 住房城建部门
unit_kind-human_resources_dept = 人力社保部门
unit_kind-charity = 慈善组织
unit_kind-social_work_org = 社工机构
unit_kind-assessment_org = 第三方评估机构
unit_kind-hotline_centre = 12345热线中心
unit_kind-grid_company = 供电公司
unit_kind-system_operator = 系统运维
unit_kind-government_dept = 政府部门

## Roles.

role-admin = 系统管理员
role-district_officer = 区县民政干部
role-town_officer = 镇街干部
role-community_worker = 社区工作者
role-grid_worker = 网格员
role-volunteer = 志愿者
role-assessor = 评估员
role-department_handler = 部门经办人
role-charity_handler = 慈善组织经办人
role-hotline_agent = 热线座席
role-grid_operator = 电网调度员
role-leader = 领导
role-auditor = 审计员

## Sex.

sex-male = 男
sex-female = 女

## Levels of region.

region_level-province = 省级
region_level-city = 市级
region_level-district = 区县
region_level-town = 镇街
region_level-community = 村社区

## Form fields, as refusals name them.

field-action = 操作
field-address = 地址
field-amount = 金额
field-amount_yuan = 金额
field-assessor = 评估员
field-authorization = 授权
field-capacity = 数量
field-channel = 渠道
field-client_key = 提交编号
field-client_name = 客户端名称
field-close_reason = 关闭原因
field-code = 代码
field-comment = 意见
field-consent_by = 同意人
field-contact = 联系方式
field-date = 日期
field-days = 天数
field-deliverables = 交付指标
field-delivered_on = 送达日期
field-description = 描述
field-display_name = 显示名称
field-email = 电子邮件
field-ends_on = 结束日期
field-events = 通知事件
field-every_days = 间隔天数
field-fault = 故障
field-feedback = 反馈
field-finding = 排查结果
field-findings = 走访情况
field-form = 表单
field-format = 格式
field-grant = 授权
field-hours = 小时数
field-household_id = 家庭户
field-id_number = 身份证号
field-into = 合并到
field-item = 救助事项
field-item_code = 救助事项
field-job = 任务
field-kind = 类型
field-lat = 纬度
field-load_id = 负荷
field-location = 位置
field-long = 经度
field-match = 对接
field-milestone = 付款节点
field-milestones = 付款节点
field-model_id = 评估模型
field-name = 名称
field-need = 需求
field-network_id = 电网
field-note = 备注
field-offer_id = 资源
field-old_password = 当前密码
field-outcome = 处理结果
field-password = 密码
field-phone = 电话
field-photos = 照片
field-plan = 救助方案
field-position = 职务
field-provider_id = 提供方
field-purpose = 目的
field-q = 搜索
field-quantity = 数量
field-readings = 读数
field-reason = 原因
field-receiver = 接收单位
field-region = 区域
field-region_code = 区划
field-relation_code = 与户主关系
field-reply = 答复
field-request_type = 诉求类型
field-roles = 角色
field-satisfaction = 满意度
field-source = 模型文件
field-starts_on = 开始日期
field-state = 状态
field-step = 步骤
field-stipend_payer = 补贴支付方
field-subcategory = 诉求小类
field-survey = 调查表
field-tier = 关注等级
field-title = 标题
field-to = 结束日期
field-town = 镇街
field-town_code = 镇街
field-trigger = 评估原因
field-unit = 单位
field-unit_id = 单位
field-urgency = 紧急程度
field-username = 用户名
field-valid_until = 有效期至
field-value_yuan = 价值（元）
field-version = 版本
field-visited_on = 探访日期
field-week = 周
field-id = 编号
field-head_name = 户主姓名
field-relation = 关系

## Why an appeal's entry is refused.

appeal_refusal-closed = 众筹已结束
appeal_refusal-over_pledged = 超过认捐金额
appeal_refusal-over_balance = 超过结余

## Audit log: what was done (action codes, written as they are stored).

audit-appeal_close = 结束众筹
audit-appeal_entry = 登记众筹账目
audit-appeal_list = 查看众筹
audit-appeal_open = 发起众筹
audit-assessment_assign = 分派评估
audit-assessment_list = 查看评估列表
audit-assessment_read = 查看评估
audit-assessment_review = 审核评估
audit-assessment_save = 保存调查表
audit-assessment_submit = 提交评估
audit-audit_search = 查询审计日志
audit-auth_login = 登录
audit-auth_logout = 退出
audit-calendar_import = 导入工作日历
audit-channel_add = 添加通知渠道
audit-channel_disable = 停用通知渠道
audit-channel_enable = 启用通知渠道
audit-clue_submit = 上报线索
audit-contract_create = 登记服务合同
audit-contract_pay = 合同付款
audit-contract_view = 查看服务合同
audit-demo_create = 生成演示数据
audit-emergency_open = 急难救助立案
audit-emergency_paperwork = 补齐急难救助手续
audit-emergency_pay = 急难救助付款
audit-file_state = 变更档案状态
audit-followup_list = 查看回访
audit-followup_record = 登记回访
audit-fund_read = 查看备用金
audit-fund_top_up = 备用金拨入
audit-grid_acknowledge = 确认告警
audit-grid_alert_ack = 确认停电提醒
audit-grid_alerts = 查看停电提醒
audit-grid_fault = 处理电网故障
audit-grid_install = 安装电网模型
audit-grid_link = 关联用电依赖户
audit-grid_links = 查看用电依赖户
audit-grid_readings = 上传读数
audit-grid_silence = 传感器失联告警
audit-grid_unlink = 解除用电依赖关联
audit-group_create = 建立工作组
audit-group_member = 添加工作组成员
audit-group_member_removed = 移除工作组成员
audit-group_read = 查看工作组
audit-help_read = 查看帮扶
audit-hotline_accept = 接收工单
audit-hotline_callback = 回访群众
audit-hotline_chase = 催办工单
audit-hotline_citizen_update = 群众补充
audit-hotline_correct = 更正工单
audit-hotline_dispatch = 派单
audit-hotline_extension_decide = 审批延期
audit-hotline_extension_request = 申请延期
audit-hotline_intake = 受理来电
audit-hotline_labels = 标注分类
audit-hotline_merge = 合并工单
audit-hotline_reopen = 重办工单
audit-hotline_reply = 答复工单
audit-hotline_return = 退回工单
audit-hotline_step = 办理工单
audit-hotline_to_clue = 转为困难线索
audit-hotline_view = 查看工单
audit-household_add_member = 添加家庭成员
audit-household_create = 新建家庭户
audit-household_export = 导出家庭户
audit-household_list = 查看家庭户列表
audit-household_read = 查看家庭户
audit-household_update = 修改家庭户
audit-import_persons = 导入人员
audit-lead_inbox = 查看线索待办
audit-lead_read = 查看线索
audit-lead_visit = 走访线索
audit-model_activate = 启用评估模型
audit-model_upload = 上传评估模型
audit-model_what_if = 模型试算
audit-person_list = 查看人员列表
audit-person_move = 人员迁移
audit-person_read = 查看人员
audit-person_reveal_id = 查看完整身份证号
audit-person_update = 修改人员
audit-photo_read = 查看照片
audit-plan_add_item = 添加救助事项
audit-plan_approve = 审批救助事项
audit-plan_create = 制定救助方案
audit-plan_deliver = 落实救助事项
audit-referral_act = 办理转介
audit-referral_chase = 催办转介
audit-referral_list = 查看转介
audit-referral_read = 查看转介详情
audit-referral_resend = 重新转介
audit-region_create = 新建行政区划
audit-resources_cancel = 取消对接
audit-resources_deliver = 登记送达
audit-resources_deliveries = 查看送达
audit-resources_match = 资源对接
audit-resources_matches = 查看对接
audit-resources_needs = 查看需求
audit-resources_offer = 登记资源
audit-resources_offers = 查看资源
audit-resources_provider = 登记提供方
audit-screening_population = 导入比对人口
audit-screening_run = 大数据比对
audit-sweep_create = 建立扫楼排查
audit-sweep_read = 查看扫楼排查
audit-sweep_visit = 登记排查结果
audit-token_issue = 签发令牌
audit-token_revoke = 吊销令牌
audit-unit_save = 保存单位
audit-user_create = 新建用户
audit-user_disable = 停用用户
audit-user_enable = 启用用户
audit-user_password = 修改密码
audit-user_role_grant_approve = 批准角色授权
audit-user_role_grant_decide = 决定角色授权
audit-user_role_grant_refuse = 拒绝角色授权
audit-user_role_grant_request = 申请角色授权
audit-volunteer_assign = 安排志愿服务
audit-volunteer_list = 查看志愿服务
audit-volunteer_visit = 登记志愿探访
audit-use_account = 使用账户
audit-view_regions = 查看行政区划
audit-manage_regions = 管理行政区划
audit-view_units = 查看单位
audit-manage_units = 管理单位
audit-manage_users = 管理用户
audit-view_households = 查看家庭户
audit-edit_households = 编辑家庭户
audit-reveal_id_number = 查看完整身份证号
audit-view_audit = 查看审计日志
audit-view_figures = 查看统计
audit-report_clue = 上报线索
audit-view_leads = 查看线索
audit-visit_leads = 走访线索
audit-manage_files = 管理档案
audit-run_sweeps = 扫楼排查
audit-manage_groups = 管理工作组
audit-assign_assessments = 分派评估
audit-survey_households = 入户调查
audit-review_assessments = 审核评估
audit-manage_models = 管理评估模型
audit-manage_help = 管理帮扶
audit-approve_help = 审批帮扶
audit-handle_referrals = 办理转介
audit-manage_funds = 管理备用金
audit-run_screening = 大数据比对
audit-take_calls = 受理来电
audit-answer_tickets = 办理工单
audit-operate_grid = 电网调度
audit-link_power_dependents = 关联用电依赖户
audit-manage_resources = 管理社会资源
audit-provide_resources = 提供社会资源
audit-retrain_classifier = 重新训练热线分类模型

## Audit log: outcomes.

audit_outcome-allowed = 允许
audit_outcome-denied = 拒绝

## Audit log: what an entry is about.

subject-api_token = 令牌
subject-appeal = 众筹
subject-appeals = 众筹
subject-assessment = 评估
subject-assignment = 志愿服务安排
subject-assignments = 志愿服务安排
subject-audit = 审计日志
subject-calendar = 工作日历
subject-channel = 通知渠道
subject-clue = 线索
subject-contract = 服务合同
subject-demo = 演示数据
subject-emergency = 急难救助
subject-figures = 统计
subject-followup = 回访
subject-fund = 备用金
subject-grid = 电网
subject-grid_alarm = 电网告警
subject-grid_alert = 停电提醒
subject-grid_alerts = 停电提醒
subject-grid_link = 用电依赖关联
subject-grid_links = 用电依赖关联
subject-grid_network = 电网
subject-group = 工作组
subject-hotline = 热线
subject-hotline_labels = 热线分类标注
subject-hotline_request = 热线诉求
subject-household = 家庭户
subject-household_file = 困难档案
subject-import = 导入
subject-lead = 线索
subject-match = 对接
subject-matches = 对接
subject-model = 评估模型
subject-needs = 需求
subject-offer = 资源
subject-person = 人员
subject-photo = 照片
subject-plan = 救助方案
subject-plan_item = 救助事项
subject-provider = 提供方
subject-referral = 转介
subject-region = 行政区划
subject-role_grant = 角色授权
subject-route = 页面
subject-screening = 大数据比对
subject-sweep = 扫楼排查
subject-unit = 单位
subject-user = 用户

## Why a switch is operated in a restoration plan.

grid_why-isolate = 隔离故障
grid_why-reclose = 重合闸
grid_why-tie = 联络转供
grid_why-split = 分段减载
grid_why-generator = 发电车供电

## How a request came in.

hotline_channel-phone = 电话
hotline_channel-web = 网站
hotline_channel-open311 = Open311 接口

## The citizen's satisfaction at the call-back.

hotline_satisfaction-satisfied = 满意
hotline_satisfaction-basically_satisfied = 基本满意
hotline_satisfaction-unsatisfied = 不满意

## The steps of a request's log.

hotline_event-received = 受理
hotline_event-dispatched = 派单
hotline_event-redispatched = 重新派单
hotline_event-centre = 转人工派单
hotline_event-corrected = 更正分类
hotline_event-clue = 转为困难线索
hotline_event-accepted = 签收
hotline_event-returned = 退回
hotline_event-extension_requested = 申请延期
hotline_event-extension_granted = 同意延期
hotline_event-extension_refused = 不同意延期
hotline_event-replied = 答复
hotline_event-rework = 重新办理
hotline_event-closed = 办结
hotline_event-merged = 合并
hotline_event-reopened = 重办
hotline_event-escalated = 升级督办
hotline_event-chased = 催办
hotline_event-citizen_update = 群众补充

## Kinds of JSON value, as the survey reader names them.

json_kind-whole_number = 整数
json_kind-money = 金额（元）
json_kind-number = 数字
json_kind-code = 可选项代码
json_kind-object = 对象
json_kind-list = 列表
json_kind-null = 空值
json_kind-bool = 是/否
json_kind-text = 文字

## Kinds of resource provider.

provider_kind-caring_unit = 爱心单位
provider_kind-company = 爱心企业
provider_kind-individual = 爱心人士
provider_kind-charity = 慈善组织

## Kinds of offer.

offer_kind-money = 资金
offer_kind-goods = 物资
offer_kind-service = 服务
offer_kind-job = 就业岗位

## Units an offer is counted in.

offer_unit-yuan = 元
offer_unit-items = 份
offer_unit-visits = 次
offer_unit-places = 个岗位
offer_unit-hours = 小时

## Who did something when it was not a person signed in.

actor-demo = 演示数据
actor-command_line = 命令行
actor-system = 系统

## Alarm severities.

severity-minor = 一般
severity-major = 重要
severity-critical = 紧急

## Who classified a hotline request.

hotline_classified_by-model = 自动分类
hotline_classified_by-agent = 座席
hotline_classified_by-centre = 中心
retrain_reason-not_worse = 已启用：不比原模型差
retrain_reason-worse = 未启用：新模型更差，继续使用原模型
retrain_reason-no_new_labels = 未启用：没有新的已确认更正
