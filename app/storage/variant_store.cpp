#include "storage/variant_store.h"

#include "storage/database.h"
#include "storage/statement.h"
#include "storage/storage_error.h"

#include <string>

namespace nibble::storage {

namespace {

constexpr const char* kColumns =
    "id, model_id, precision, file_path, size_bytes, sha256, origin, derived_from_variant_id, "
    "ppl, kld_mean, same_top_pct, tokens_per_second, measured_at, created_at";

Variant readVariant(const Statement& row) {
    Variant v;
    v.id = row.int64(0);
    v.modelId = row.int64(1);
    v.precision = row.text(2);
    v.filePath = row.text(3);
    v.sizeBytes = row.int64(4);
    v.sha256 = row.text(5);
    // The column's CHECK constraint admits only known origins.
    v.origin = variantOriginFromText(row.text(6)).value_or(VariantOrigin::Imported);
    v.derivedFromVariantId = row.optionalInt64(7);
    v.quality = QualityFigures{row.optionalReal(8), row.optionalReal(9), row.optionalReal(10),
                               row.optionalReal(11), row.optionalDateTime(12)};
    v.createdAt = row.dateTime(13);
    return v;
}

}  // namespace

QString toText(VariantOrigin origin) {
    switch (origin) {
    case VariantOrigin::Bundled: return QStringLiteral("bundled");
    case VariantOrigin::Downloaded: return QStringLiteral("downloaded");
    case VariantOrigin::Imported: return QStringLiteral("imported");
    case VariantOrigin::Derived: return QStringLiteral("derived");
    }
    return {};
}

std::optional<VariantOrigin> variantOriginFromText(const QString& text) {
    for (auto origin : {VariantOrigin::Bundled, VariantOrigin::Downloaded, VariantOrigin::Imported,
                        VariantOrigin::Derived})
        if (toText(origin) == text) return origin;
    return std::nullopt;
}

Variant VariantStore::add(Variant variant) {
    variant.createdAt = QDateTime::currentDateTimeUtc();
    db_.prepare("INSERT INTO variants (model_id, precision, file_path, size_bytes, sha256, origin, "
                "derived_from_variant_id, ppl, kld_mean, same_top_pct, tokens_per_second, measured_at, created_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
        .bindAll(variant.modelId, variant.precision, variant.filePath, variant.sizeBytes, variant.sha256,
                 toText(variant.origin), variant.derivedFromVariantId, variant.quality.perplexity,
                 variant.quality.kldMean, variant.quality.sameTopPercent, variant.quality.tokensPerSecond,
                 variant.quality.measuredAt, variant.createdAt)
        .run();
    variant.id = db_.lastInsertId();
    return variant;
}

QList<Variant> VariantStore::query(const char* where, qint64 key) const {
    Statement select = db_.prepare(std::string("SELECT ") + kColumns + " FROM variants WHERE " + where + " ORDER BY id");
    select.bindAll(key);
    QList<Variant> variants;
    while (select.step()) variants.append(readVariant(select));
    return variants;
}

std::optional<Variant> VariantStore::find(qint64 id) const {
    const QList<Variant> found = query("id = ?1", id);
    if (found.isEmpty()) return std::nullopt;
    return found.front();
}

Variant VariantStore::get(qint64 id) const {
    if (auto variant = find(id)) return *variant;
    throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The model file no longer exists in Nibble's catalogue."));
}

std::optional<Variant> VariantStore::findByPath(const QString& filePath) const {
    Statement select = db_.prepare(std::string("SELECT ") + kColumns + " FROM variants WHERE file_path = ?1");
    if (!select.bindAll(filePath).step()) return std::nullopt;
    return readVariant(select);
}

QList<Variant> VariantStore::forModel(qint64 modelId) const { return query("model_id = ?1", modelId); }

QList<Variant> VariantStore::derivedFrom(qint64 variantId) const {
    return query("derived_from_variant_id = ?1", variantId);
}

void VariantStore::setQuality(qint64 id, const QualityFigures& quality) {
    db_.prepare("UPDATE variants SET ppl = ?2, kld_mean = ?3, same_top_pct = ?4, tokens_per_second = ?5, "
                "measured_at = ?6 WHERE id = ?1")
        .bindAll(id, quality.perplexity, quality.kldMean, quality.sameTopPercent, quality.tokensPerSecond,
                 quality.measuredAt)
        .run();
    if (db_.changes() == 0)
        throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The model file no longer exists in Nibble's catalogue."));
}

void VariantStore::remove(qint64 id) { db_.prepare("DELETE FROM variants WHERE id = ?1").bindAll(id).run(); }

}  // namespace nibble::storage
