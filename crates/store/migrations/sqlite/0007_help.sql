-- Help (帮助): assistance plans and their items, referrals, the towns' reserve funds, benefits
-- paid (one per household, item and period), and emergency cases with their 3-working-day clock.

CREATE TABLE assistance_plans (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    assessment_id INTEGER REFERENCES assessments (id),
    catalog_version TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX assistance_plans_household ON assistance_plans (household_id, id);
CREATE INDEX assistance_plans_region ON assistance_plans (region_code);

CREATE TABLE plan_items (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES assistance_plans (id),
    item_code TEXT NOT NULL,
    category TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('recommended', 'added')),
    state TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'declined', 'approved', 'delivered')),
    amount REAL,
    reason TEXT NOT NULL DEFAULT '',
    decline_reason TEXT NOT NULL DEFAULT '',
    approval_level TEXT NOT NULL CHECK (approval_level IN ('community', 'town', 'district')),
    approved_by INTEGER REFERENCES users (id),
    approved_at INTEGER,
    row_version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (plan_id, item_code)
);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    plan_item_id INTEGER REFERENCES plan_items (id),
    item_code TEXT NOT NULL,
    receiver_unit_id INTEGER NOT NULL REFERENCES units (id),
    receiver_kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'accepted', 'returned', 'in_progress', 'completed', 'failed')),
    facts TEXT NOT NULL DEFAULT '{}',
    sent_by INTEGER REFERENCES users (id),
    sent_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    accepted_at INTEGER,
    closed_at INTEGER,
    return_reason TEXT NOT NULL DEFAULT '',
    fail_reason TEXT NOT NULL DEFAULT '',
    outcome_amount REAL,
    outcome_service TEXT NOT NULL DEFAULT '',
    outcome_date TEXT,
    chased_at INTEGER,
    escalated INTEGER NOT NULL DEFAULT 0,
    row_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX referrals_receiver ON referrals (receiver_unit_id, state);
CREATE INDEX referrals_region ON referrals (region_code, state);
CREATE INDEX referrals_household ON referrals (household_id);

-- A town's reserve fund (临时备用金): the balance never goes below zero, whatever connects.
CREATE TABLE reserve_funds (
    town_code INTEGER PRIMARY KEY REFERENCES regions (code),
    balance_cents INTEGER NOT NULL DEFAULT 0 CHECK (balance_cents >= 0)
);
CREATE TABLE fund_ledger (
    id INTEGER PRIMARY KEY,
    town_code INTEGER NOT NULL REFERENCES reserve_funds (town_code),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('top_up', 'disbursement')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    balance_after_cents INTEGER NOT NULL CHECK (balance_after_cents >= 0),
    household_id INTEGER REFERENCES households (id),
    user_id INTEGER REFERENCES users (id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fund_ledger_town ON fund_ledger (town_code, at);

-- What a household was given: one grant of an item per period (no duplicate benefit).
CREATE TABLE benefits (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    item_code TEXT NOT NULL,
    category TEXT NOT NULL,
    period_key TEXT NOT NULL,
    amount_cents INTEGER NOT NULL DEFAULT 0,
    paid_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_id INTEGER,
    UNIQUE (household_id, item_code, period_key)
);
CREATE INDEX benefits_region ON benefits (region_code, paid_at);

-- 急难型临时救助: the clock runs from the clue; money within 3 working days; paperwork after.
CREATE TABLE emergency_cases (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    town_code INTEGER NOT NULL REFERENCES regions (code),
    item_code TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    paid_at INTEGER,
    amount_cents INTEGER,
    paperwork TEXT NOT NULL DEFAULT 'pending' CHECK (paperwork IN ('pending', 'completed')),
    paperwork_at INTEGER,
    opened_by INTEGER REFERENCES users (id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX emergency_cases_town ON emergency_cases (town_code, paid_at);
CREATE INDEX emergency_cases_region ON emergency_cases (region_code);
CREATE INDEX emergency_cases_household ON emergency_cases (household_id);

-- Follow-up visits (回访) by risk tier: severe monthly, watch every two months, stable quarterly.
CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    tier TEXT NOT NULL CHECK (tier IN ('severe', 'watch', 'stable')),
    due_on TEXT NOT NULL,
    done_at INTEGER,
    done_by INTEGER REFERENCES users (id),
    note TEXT NOT NULL DEFAULT '',
    satisfaction TEXT CHECK (satisfaction IN ('satisfied', 'neutral', 'unsatisfied'))
);
CREATE INDEX followups_region_due ON followups (region_code, done_at, due_on);
CREATE INDEX followups_household ON followups (household_id, id);
