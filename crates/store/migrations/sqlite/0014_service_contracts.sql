-- Purchased services (政府购买服务): contracts with social-work and third-party assessment
-- organisations (their unit), over an area and a period, with a budget, deliverables (assessments
-- to complete, service visits to make) whose progress is counted from the work recorded in the
-- product by the organisation's staff, and payment milestones paid only when enough is delivered.
CREATE TABLE service_contracts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    region_end INTEGER NOT NULL,
    budget_fen INTEGER NOT NULL CHECK (budget_fen > 0),
    paid_fen INTEGER NOT NULL DEFAULT 0,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CHECK (paid_fen <= budget_fen)
);
CREATE INDEX service_contracts_unit ON service_contracts (unit_id);

CREATE TABLE contract_deliverables (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES service_contracts (id),
    kind TEXT NOT NULL CHECK (kind IN ('assessments', 'service_visits')),
    target INTEGER NOT NULL CHECK (target > 0)
);

CREATE TABLE contract_milestones (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES service_contracts (id),
    name TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    -- Paid when at least this share of every deliverable is done (0 to 1).
    needs_share REAL NOT NULL CHECK (needs_share >= 0 AND needs_share <= 1),
    paid_at INTEGER,
    paid_by INTEGER REFERENCES users (id)
);
