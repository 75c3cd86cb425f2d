-- Emergency crowdfunding (急难众筹) for a household hit by a sudden disaster: an appeal with a
-- public title and target (no personal data), and a ledger of pledges, receipts, disbursements
-- and the surplus moved out by the appeal's stated rule. The appeal row carries the running
-- totals in fen (分, exact), changed only by guarded updates with their ledger entry in the same transaction, so
-- the ledger always reconciles and the balance is never negative.
CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    title TEXT NOT NULL,
    target_fen INTEGER NOT NULL CHECK (target_fen > 0),
    ends_on TEXT NOT NULL,
    surplus_rule TEXT NOT NULL CHECK (surplus_rule <> ''),
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    pledged_fen INTEGER NOT NULL DEFAULT 0,
    received_fen INTEGER NOT NULL DEFAULT 0,
    disbursed_fen INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    CHECK (received_fen <= pledged_fen AND disbursed_fen <= received_fen)
);
CREATE INDEX appeals_region ON appeals (region_code);

CREATE TABLE appeal_entries (
    id INTEGER PRIMARY KEY,
    appeal_id INTEGER NOT NULL REFERENCES appeals (id),
    kind TEXT NOT NULL CHECK (kind IN ('pledge', 'receipt', 'disbursement', 'surplus')),
    provider_id INTEGER REFERENCES resource_providers (id),
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    note TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id),
    at INTEGER NOT NULL
);
CREATE INDEX appeal_entries_appeal ON appeal_entries (appeal_id, id);
