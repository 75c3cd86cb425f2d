-- Social resources (社会资源): donors and providers — caring units (爱心单位), companies (爱心企业),
-- individuals (爱心人士), charities — and what they offer; offers matched to households' needs
-- that government items do not cover, with the household's consent recorded before a provider
-- sees anything; and every delivery.
CREATE TABLE resource_providers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('caring_unit', 'company', 'individual', 'charity')),
    -- Where the provider is based: staff of that area manage it.
    region_code INTEGER NOT NULL REFERENCES regions (code),
    contact TEXT NOT NULL DEFAULT '',
    -- The provider's own unit, when it has accounts in the product.
    unit_id INTEGER REFERENCES units (id),
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX resource_providers_region ON resource_providers (region_code);

CREATE TABLE resource_offers (
    id INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES resource_providers (id),
    kind TEXT NOT NULL CHECK (kind IN ('money', 'goods', 'service', 'job')),
    -- What exactly: home_care, rehabilitation, tutoring, meals, repairs, … (free for goods).
    what TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Where it can go: households in this region's subtree (region_code to region_end).
    region_code INTEGER NOT NULL REFERENCES regions (code),
    region_end INTEGER NOT NULL,
    -- How much (yuan for money) or how many (items, visits, places).
    capacity REAL NOT NULL CHECK (capacity > 0),
    remaining REAL NOT NULL CHECK (remaining >= 0 AND remaining <= capacity),
    unit TEXT NOT NULL CHECK (unit IN ('yuan', 'items', 'visits', 'places', 'hours')),
    valid_until INTEGER,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX resource_offers_region ON resource_offers (region_code);

CREATE TABLE resource_matches (
    id INTEGER PRIMARY KEY,
    offer_id INTEGER NOT NULL REFERENCES resource_offers (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    -- The need it answers: a declined or unavailable plan item, or "not eligible but helped".
    need TEXT NOT NULL,
    quantity REAL NOT NULL CHECK (quantity > 0),
    state TEXT NOT NULL CHECK (state IN ('confirmed', 'delivered', 'cancelled')),
    -- Who agreed to share what the offer needs with the provider, and when.
    consent_by TEXT NOT NULL CHECK (consent_by <> ''),
    consent_at INTEGER NOT NULL,
    confirmed_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX resource_matches_offer ON resource_matches (offer_id);
CREATE INDEX resource_matches_region ON resource_matches (region_code);

CREATE TABLE resource_deliveries (
    id INTEGER PRIMARY KEY,
    match_id INTEGER NOT NULL REFERENCES resource_matches (id),
    what TEXT NOT NULL,
    value_yuan REAL NOT NULL CHECK (value_yuan >= 0),
    delivered_on TEXT NOT NULL,
    delivered_by TEXT NOT NULL,
    feedback TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX resource_deliveries_match ON resource_deliveries (match_id);
