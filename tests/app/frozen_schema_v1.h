#pragma once
// Schema version 1 exactly as Nibble 0.1 created it. Kept here, frozen, so
// the upgrade path from real old files stays tested after the schema moves on.
namespace nibble::test {

inline constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    architecture TEXT NOT NULL,
    parameter_count INTEGER NOT NULL CHECK (parameter_count >= 0),
    license TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE TABLE variants (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    precision TEXT NOT NULL,
    file_path TEXT NOT NULL UNIQUE,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL CHECK (origin IN ('bundled', 'downloaded', 'imported', 'derived')),
    derived_from_variant_id INTEGER REFERENCES variants(id) ON DELETE SET NULL,
    ppl REAL,
    kld_mean REAL,
    same_top_pct REAL,
    tokens_per_second REAL,
    measured_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX variants_by_model ON variants(model_id);
CREATE INDEX variants_by_source_variant ON variants(derived_from_variant_id);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    variant_id INTEGER REFERENCES variants(id) ON DELETE SET NULL,
    system_prompt TEXT NOT NULL DEFAULT '',
    sampling TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(sampling)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX conversations_by_recency ON conversations(deleted_at, updated_at);
CREATE INDEX conversations_by_variant ON conversations(variant_id);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES messages(id),
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content TEXT NOT NULL DEFAULT '',
    token_count INTEGER,
    tokens_per_second REAL,
    variant_id INTEGER REFERENCES variants(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'complete'
        CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_by_variant ON messages(variant_id);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    reference_variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    dataset TEXT NOT NULL DEFAULT '',
    results TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(results)),
    created_at INTEGER NOT NULL
);
CREATE INDEX evaluations_by_variant ON evaluations(variant_id, created_at);
CREATE INDEX evaluations_by_reference ON evaluations(reference_variant_id);
PRAGMA user_version = 1;
)sql";

}  // namespace nibble::test
