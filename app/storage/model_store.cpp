#include "storage/model_store.h"

#include "storage/database.h"
#include "storage/statement.h"
#include "storage/storage_error.h"

namespace nibble::storage {

namespace {

constexpr const char* kColumns =
    "id, name, architecture, parameter_count, license, source, created_at, has_chat_template";

Model readModel(const Statement& row) {
    Model model{row.int64(0), row.text(1), row.text(2), row.int64(3), row.text(4), row.text(5), row.dateTime(6)};
    if (const auto hasChatTemplate = row.optionalInt64(7)) model.hasChatTemplate = *hasChatTemplate != 0;
    return model;
}

std::optional<qint64> asInteger(std::optional<bool> flag) {
    return flag ? std::optional<qint64>(*flag ? 1 : 0) : std::nullopt;
}

}  // namespace

Model ModelStore::add(Model model) {
    model.createdAt = QDateTime::currentDateTimeUtc();
    db_.prepare("INSERT INTO models (name, architecture, parameter_count, license, source, created_at, "
                "has_chat_template) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bindAll(model.name, model.architecture, model.parameterCount, model.license, model.source, model.createdAt,
                 asInteger(model.hasChatTemplate))
        .run();
    model.id = db_.lastInsertId();
    return model;
}

std::optional<Model> ModelStore::find(qint64 id) const {
    Statement query = db_.prepare(std::string("SELECT ") + kColumns + " FROM models WHERE id = ?1");
    if (!query.bindAll(id).step()) return std::nullopt;
    return readModel(query);
}

Model ModelStore::get(qint64 id) const {
    if (auto model = find(id)) return *model;
    throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The model no longer exists in Nibble's catalogue."));
}

QList<Model> ModelStore::list() const {
    Statement query = db_.prepare(std::string("SELECT ") + kColumns + " FROM models ORDER BY name COLLATE NOCASE, id");
    QList<Model> models;
    while (query.step()) models.append(readModel(query));
    return models;
}

void ModelStore::setHasChatTemplate(qint64 id, bool hasChatTemplate) {
    db_.prepare("UPDATE models SET has_chat_template = ?2 WHERE id = ?1").bindAll(id, hasChatTemplate ? 1 : 0).run();
}

void ModelStore::remove(qint64 id) { db_.prepare("DELETE FROM models WHERE id = ?1").bindAll(id).run(); }

}  // namespace nibble::storage
