#include "storage/schema.h"

#include "storage/database.h"
#include "storage/statement.h"
#include "storage/transaction.h"

#include <QDateTime>

#include <iterator>
#include <string>

namespace nibble::storage::schema {

namespace {

// Times are UTC milliseconds since the epoch; JSON columns are checked to be
// JSON so a bad write fails where it happens, not where it is read.
constexpr const char* kMigration1 = R"sql(
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
)sql";

// Full-text search over message content. A reply is indexed once it stops
// streaming: re-indexing the whole text on every few tokens would make a
// long reply quadratic. The index reads its text through a view of the
// messages it covers, so FTS5's own integrity check holds.
constexpr const char* kMigration2 = R"sql(
CREATE VIEW message_search_source AS
    SELECT id, content FROM messages WHERE status <> 'streaming';
CREATE VIRTUAL TABLE message_search USING fts5(
    content, content = 'message_search_source', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO message_search(rowid, content) SELECT id, content FROM message_search_source;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN new.status <> 'streaming' BEGIN
    INSERT INTO message_search(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF content, status ON messages
WHEN old.status <> 'streaming' OR new.status <> 'streaming' BEGIN
    INSERT INTO message_search(message_search, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.status <> 'streaming';
    INSERT INTO message_search(rowid, content)
        SELECT new.id, new.content WHERE new.status <> 'streaming';
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN old.status <> 'streaming' BEGIN
    INSERT INTO message_search(message_search, rowid, content) VALUES ('delete', old.id, old.content);
END;
)sql";

// Whether a model's file carries a chat template, as its header said when
// the model was registered: the library tells base from chat models without
// opening files on the UI thread. NULL until read; rows from before this
// migration are filled in off the UI thread at the next start.
constexpr const char* kMigration3 = R"sql(
ALTER TABLE models ADD COLUMN has_chat_template INTEGER CHECK (has_chat_template IN (0, 1));
)sql";

constexpr const char* kMigrations[] = {kMigration1, kMigration2, kMigration3};

}  // namespace

int latestVersion() { return int(std::size(kMigrations)); }

void upgrade(const Database& db) {
    if (db.schemaVersion() >= latestVersion()) return;
    Transaction transaction(db);
    // Another process may have upgraded the file while this one waited.
    for (int version = db.schemaVersion(); version < latestVersion(); ++version) {
        db.exec(kMigrations[version]);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    }
    transaction.commit();
}

int recoverInterruptedMessages(const Database& db) {
    // Runs even when nothing streams: it takes the write lock, so a file held
    // by another program is reported at open rather than on the first save.
    Transaction transaction(db);
    Statement recover(db, "UPDATE messages SET status = 'interrupted', updated_at = ?1 WHERE status = 'streaming'");
    recover.bindAll(QDateTime::currentDateTimeUtc()).run();
    const int count = db.changes();
    transaction.commit();
    return count;
}

}  // namespace nibble::storage::schema
