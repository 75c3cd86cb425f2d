# The words for the codes the product stores, `group-code`: pages show these instead of a
# code; a code without a word shows as it is (a value the product did not write).

## Discovery (主动发现): channels, urgencies, lead and clue states, close reasons, file states, work-group roles and levels, sweep findings.

discovery-volunteer = volunteer
discovery-grid_worker = grid worker
discovery-sweep = sweep
discovery-hotline = 12345 hotline
discovery-screening = data screening
discovery-application = one-stop application
discovery-department = department transfer
discovery-normal = normal
discovery-urgent = urgent
discovery-emergency = emergency (same day)
discovery-received = received
discovery-visited = visited
discovery-helped = helped
discovery-closed = closed
discovery-open = waiting for a visit
discovery-registered = registered
discovery-merged = merged
discovery-not_in_difficulty = not in difficulty
discovery-moved_away = moved away
discovery-unreachable = unreachable
discovery-duplicate = duplicate
discovery-other = other
discovery-watch = under watch
discovery-assisted = assisted
discovery-not_eligible_helped = helped outside policy
discovery-leader = leader
discovery-deputy = deputy
discovery-liaison = liaison
discovery-staff = staff
discovery-fine = fine
discovery-concern = concern
discovery-absent = nobody home
discovery-district = district project group
discovery-town = town work group
discovery-community = community action group

## Assessment (甄别): states, triggers and model version states.

assessment-assigned = assigned
assessment-draft = draft
assessment-submitted = waiting for review
assessment-returned = returned
assessment-recognised = recognised
assessment-superseded = superseded
assessment-withdrawn = withdrawn
assessment-first = first assessment
assessment-expiry = validity expired
assessment-report = a report of wrong facts
assessment-change = change of circumstances
assessment-reviewer = reviewer's decision
assessment-active = active
assessment-retired = retired

## The household timeline: what a line is about.

timeline-clue = clue
timeline-visit = visit
timeline-file = file
timeline-assessment = assessment
timeline-plan = assistance plan
timeline-referral = referral
timeline-benefit = benefit paid
timeline-emergency = emergency aid
timeline-followup = follow-up
timeline-resources = social resources
timeline-move = household change

## Help (帮扶): plan item and referral states, fund entries, follow-up tiers and satisfaction, levels.

help-proposed = proposed
help-accepted = accepted
help-declined = declined
help-approved = approved
help-delivered = delivered
help-sent = sent
help-returned = returned
help-in_progress = in progress
help-completed = completed
help-failed = failed
help-top_up = top-up
help-disbursement = payment
help-community = community
help-severe = severe (monthly)
help-watch = watch (every two months)
help-stable = stable (quarterly)
help-satisfied = satisfied
help-neutral = neutral
help-unsatisfied = unsatisfied
help-town = town
help-district = district

## The 12345 hotline: request states.

hotline-centre = at the centre
hotline-dispatched = dispatched
hotline-accepted = in progress
hotline-replied = replied, call-back due
hotline-closed = closed
hotline-merged = merged

## Kinds of unit.

unit_kind-civil_affairs_bureau = Civil affairs bureau
unit_kind-town_office = Town or street office
unit_kind-community_committee = Village or community committee
unit_kind-education_dept = Education department
unit_kind-health_dept = Health department
unit_kind-housing_dept = Housing department
unit_kind-human_resources_dept = Human resources and social security
unit_kind-charity = Charity
unit_kind-social_work_org = Social-work organisation
unit_kind-assessment_org = Third-party assessment organisation
unit_kind-hotline_centre = 12345 hotline centre
unit_kind-grid_company = Power supply company
unit_kind-system_operator = System operations
unit_kind-government_dept = Government department

## Roles.

role-admin = Administrator
role-district_officer = District officer
role-town_officer = Town officer
role-community_worker = Community worker
role-grid_worker = Grid worker
role-volunteer = Volunteer
role-assessor = Assessor
role-department_handler = Department handler
role-charity_handler = Charity handler
role-hotline_agent = Hotline agent
role-grid_operator = Grid operator
role-leader = Leader
role-auditor = Auditor

## Sex.

sex-male = male
sex-female = female

## Levels of region.

region_level-province = province
region_level-city = city
region_level-district = district
region_level-town = town
region_level-community = community

## Form fields, as refusals name them.

field-action = action
field-address = address
field-amount = amount
field-amount_yuan = amount
field-assessor = assessor
field-authorization = authorisation
field-capacity = capacity
field-channel = channel
field-client_key = submission key
field-client_name = client name
field-close_reason = reason for closing
field-code = code
field-comment = comment
field-consent_by = consent given by
field-contact = contact
field-date = date
field-days = days
field-deliverables = deliverables
field-delivered_on = delivered on
field-description = description
field-display_name = display name
field-email = e-mail
field-ends_on = ends on
field-events = events
field-every_days = every (days)
field-fault = fault
field-feedback = feedback
field-finding = finding
field-findings = findings
field-form = form
field-format = format
field-grant = grant
field-hours = hours
field-household_id = household
field-id_number = ID number
field-into = merge into
field-item = item
field-item_code = item
field-job = job
field-kind = kind
field-lat = latitude
field-load_id = load
field-location = location
field-long = longitude
field-match = match
field-milestone = milestone
field-milestones = milestones
field-model_id = model
field-name = name
field-need = need
field-network_id = network
field-note = note
field-offer_id = offer
field-old_password = current password
field-outcome = outcome
field-password = password
field-phone = phone
field-photos = photos
field-plan = plan
field-position = position
field-provider_id = provider
field-purpose = purpose
field-q = search
field-quantity = quantity
field-readings = readings
field-reason = reason
field-receiver = receiver
field-region = area
field-region_code = region
field-relation_code = relation to the head
field-reply = reply
field-request_type = request type
field-roles = roles
field-satisfaction = satisfaction
field-source = model file
field-starts_on = starts on
field-state = state
field-step = step
field-stipend_payer = stipend payer
field-subcategory = subcategory
field-survey = survey
field-tier = tier
field-title = title
field-to = to
field-town = town
field-town_code = town
field-trigger = reason for assessing
field-unit = unit
field-unit_id = unit
field-urgency = urgency
field-username = user name
field-valid_until = valid until
field-value_yuan = value (yuan)
field-version = version
field-visited_on = visited on
field-week = week
field-id = number
field-head_name = name of the head
field-relation = relation

## Why an appeal's entry is refused.

appeal_refusal-closed = the appeal is closed
appeal_refusal-over_pledged = more than was pledged
appeal_refusal-over_balance = more than the balance

## Audit log: what was done (action codes, written as they are stored).

audit-appeal_close = close an appeal
audit-appeal_entry = appeal entry
audit-appeal_list = list appeals
audit-appeal_open = open an appeal
audit-assessment_assign = assign an assessment
audit-assessment_list = list assessments
audit-assessment_read = read an assessment
audit-assessment_review = review an assessment
audit-assessment_save = save a survey
audit-assessment_submit = submit an assessment
audit-audit_search = search the audit log
audit-auth_login = sign in
audit-auth_logout = sign out
audit-calendar_import = import the calendar
audit-channel_add = add a notification channel
audit-channel_disable = disable a notification channel
audit-channel_enable = enable a notification channel
audit-clue_submit = report a clue
audit-contract_create = record a contract
audit-contract_pay = pay a contract milestone
audit-contract_view = read contracts
audit-demo_create = create the demo
audit-emergency_open = open an emergency case
audit-emergency_paperwork = complete emergency paperwork
audit-emergency_pay = pay an emergency case
audit-file_state = change a file's state
audit-followup_list = list follow-ups
audit-followup_record = record a follow-up
audit-fund_read = read a reserve fund
audit-fund_top_up = top up a reserve fund
audit-grid_acknowledge = acknowledge an alarm
audit-grid_alert_ack = acknowledge an outage alert
audit-grid_alerts = read outage alerts
audit-grid_fault = handle a grid fault
audit-grid_install = install a network
audit-grid_link = link a power-dependent household
audit-grid_links = read power-dependent links
audit-grid_readings = post readings
audit-grid_silence = sensor silence alarm
audit-grid_unlink = unlink a power-dependent household
audit-group_create = create a work group
audit-group_member = add a group member
audit-group_member_removed = remove a group member
audit-group_read = read a work group
audit-help_read = read help
audit-hotline_accept = accept a ticket
audit-hotline_callback = call the citizen back
audit-hotline_chase = chase a ticket
audit-hotline_citizen_update = citizen update
audit-hotline_correct = correct a ticket
audit-hotline_dispatch = dispatch a ticket
audit-hotline_extension_decide = decide an extension
audit-hotline_extension_request = ask for an extension
audit-hotline_intake = take a call
audit-hotline_labels = label requests
audit-hotline_merge = merge tickets
audit-hotline_reopen = reopen a ticket
audit-hotline_reply = reply to a ticket
audit-hotline_return = return a ticket
audit-hotline_step = a ticket step
audit-hotline_to_clue = turn into a clue
audit-hotline_view = read a ticket
audit-household_add_member = add a member
audit-household_create = create a household
audit-household_export = export households
audit-household_list = list households
audit-household_read = read a household
audit-household_update = update a household
audit-import_persons = import persons
audit-lead_inbox = read the lead inbox
audit-lead_read = read a lead
audit-lead_visit = visit a lead
audit-model_activate = activate a model
audit-model_upload = upload a model
audit-model_what_if = what-if of a model
audit-person_list = list persons
audit-person_move = move a person
audit-person_read = read a person
audit-person_reveal_id = reveal an ID number
audit-person_update = update a person
audit-photo_read = read a photo
audit-plan_add_item = add a plan item
audit-plan_approve = approve a plan item
audit-plan_create = create a plan
audit-plan_deliver = deliver a plan item
audit-referral_act = act on a referral
audit-referral_chase = chase a referral
audit-referral_list = list referrals
audit-referral_read = read a referral
audit-referral_resend = resend a referral
audit-region_create = create a region
audit-resources_cancel = cancel a match
audit-resources_deliver = record a delivery
audit-resources_deliveries = read deliveries
audit-resources_match = match a resource
audit-resources_matches = read matches
audit-resources_needs = read needs
audit-resources_offer = record an offer
audit-resources_offers = read offers
audit-resources_provider = record a provider
audit-screening_population = load the screening population
audit-screening_run = run a screening
audit-sweep_create = create a sweep
audit-sweep_read = read a sweep
audit-sweep_visit = record a sweep visit
audit-token_issue = issue a token
audit-token_revoke = revoke a token
audit-unit_save = save a unit
audit-user_create = create a user
audit-user_disable = disable a user
audit-user_enable = enable a user
audit-user_password = change a password
audit-user_role_grant_approve = approve a role grant
audit-user_role_grant_decide = decide a role grant
audit-user_role_grant_refuse = refuse a role grant
audit-user_role_grant_request = ask for a role grant
audit-volunteer_assign = assign a volunteer
audit-volunteer_list = list volunteer assignments
audit-volunteer_visit = log a volunteer visit
audit-use_account = use the account
audit-view_regions = view regions
audit-manage_regions = manage regions
audit-view_units = view units
audit-manage_units = manage units
audit-manage_users = manage users
audit-view_households = view households
audit-edit_households = edit households
audit-reveal_id_number = reveal ID numbers
audit-view_audit = view the audit log
audit-view_figures = view figures
audit-report_clue = report clues
audit-view_leads = view leads
audit-visit_leads = visit leads
audit-manage_files = manage files
audit-run_sweeps = run sweeps
audit-manage_groups = manage work groups
audit-assign_assessments = assign assessments
audit-survey_households = survey households
audit-review_assessments = review assessments
audit-manage_models = manage models
audit-manage_help = manage help
audit-approve_help = approve help
audit-handle_referrals = handle referrals
audit-manage_funds = manage funds
audit-run_screening = run screening
audit-take_calls = take calls
audit-answer_tickets = answer tickets
audit-operate_grid = operate the grid
audit-link_power_dependents = link power dependents
audit-manage_resources = manage resources
audit-provide_resources = provide resources
audit-retrain_classifier = retrain the hotline classifier

## Audit log: outcomes.

audit_outcome-allowed = allowed
audit_outcome-denied = denied

## Audit log: what an entry is about.

subject-api_token = token
subject-appeal = appeal
subject-appeals = appeals
subject-assessment = assessment
subject-assignment = assignment
subject-assignments = assignments
subject-audit = audit log
subject-calendar = calendar
subject-channel = channel
subject-clue = clue
subject-contract = contract
subject-demo = demo
subject-emergency = emergency case
subject-figures = figures
subject-followup = follow-up
subject-fund = reserve fund
subject-grid = grid
subject-grid_alarm = grid alarm
subject-grid_alert = outage alert
subject-grid_alerts = outage alerts
subject-grid_link = power link
subject-grid_links = power links
subject-grid_network = network
subject-group = work group
subject-hotline = hotline
subject-hotline_labels = hotline labels
subject-hotline_request = hotline request
subject-household = household
subject-household_file = household file
subject-import = import
subject-lead = lead
subject-match = match
subject-matches = matches
subject-model = model
subject-needs = needs
subject-offer = offer
subject-person = person
subject-photo = photo
subject-plan = plan
subject-plan_item = plan item
subject-provider = provider
subject-referral = referral
subject-region = region
subject-role_grant = role grant
subject-route = page
subject-screening = screening
subject-sweep = sweep
subject-unit = unit
subject-user = user

## Why a switch is operated in a restoration plan.

grid_why-isolate = isolate
grid_why-reclose = reclose
grid_why-tie = tie
grid_why-split = split
grid_why-generator = generator

## How a request came in.

hotline_channel-phone = phone
hotline_channel-web = web
hotline_channel-open311 = Open311

## The citizen's satisfaction at the call-back.

hotline_satisfaction-satisfied = satisfied
hotline_satisfaction-basically_satisfied = basically satisfied
hotline_satisfaction-unsatisfied = unsatisfied

## The steps of a request's log.

hotline_event-received = received
hotline_event-dispatched = dispatched
hotline_event-redispatched = dispatched again
hotline_event-centre = held by the centre
hotline_event-corrected = classification corrected
hotline_event-clue = turned into a clue
hotline_event-accepted = accepted
hotline_event-returned = returned
hotline_event-extension_requested = extension asked
hotline_event-extension_granted = extension granted
hotline_event-extension_refused = extension refused
hotline_event-replied = replied
hotline_event-rework = rework
hotline_event-closed = closed
hotline_event-merged = merged
hotline_event-reopened = reopened
hotline_event-escalated = escalated
hotline_event-chased = chased
hotline_event-citizen_update = update from the citizen

## Kinds of JSON value, as the survey reader names them.

json_kind-whole_number = a whole number
json_kind-money = an amount of yuan
json_kind-number = a number
json_kind-code = one of the listed codes
json_kind-object = an object
json_kind-list = a list
json_kind-null = null
json_kind-bool = true/false
json_kind-text = text

## Kinds of resource provider.

provider_kind-caring_unit = Caring unit
provider_kind-company = Company
provider_kind-individual = Individual
provider_kind-charity = Charity

## Kinds of offer.

offer_kind-money = Money
offer_kind-goods = Goods
offer_kind-service = Service
offer_kind-job = Job

## Units an offer is counted in.

offer_unit-yuan = yuan
offer_unit-items = items
offer_unit-visits = visits
offer_unit-places = places
offer_unit-hours = hours

## Who did something when it was not a person signed in.

actor-demo = demo data
actor-command_line = command line
actor-system = the system

## Alarm severities.

severity-minor = minor
severity-major = major
severity-critical = critical

## Who classified a hotline request.

hotline_classified_by-model = classifier
hotline_classified_by-agent = agent
hotline_classified_by-centre = centre
retrain_reason-not_worse = activated: not worse
retrain_reason-worse = kept the model in use: the retrained one is worse
retrain_reason-no_new_labels = kept the model in use: no new confirmed corrections
