#pragma once
// Model variants: one file of a model at one precision ("Q4_1", "Q8_0"),
// where it came from, and how it fared in its last comparison against a
// reference.
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace nibble::storage {

class Database;

enum class VariantOrigin { Bundled, Downloaded, Imported, Derived };

QString toText(VariantOrigin origin);
std::optional<VariantOrigin> variantOriginFromText(const QString& text);

// Figures from the last comparison with a reference variant; absent until
// one has run.
struct QualityFigures {
    std::optional<double> perplexity;
    std::optional<double> kldMean;            // mean KL divergence from the reference
    std::optional<double> sameTopPercent;     // how often the top token matches the reference
    std::optional<double> tokensPerSecond;
    std::optional<QDateTime> measuredAt;

    bool operator==(const QualityFigures&) const = default;
};

struct Variant {
    qint64 id = 0;
    qint64 modelId = 0;
    QString precision;  // tensor type name, e.g. "Q4_1"
    QString filePath;
    qint64 sizeBytes = 0;
    QString sha256;
    VariantOrigin origin = VariantOrigin::Downloaded;
    std::optional<qint64> derivedFromVariantId;  // set for Derived variants
    QualityFigures quality;
    QDateTime createdAt;
};

class VariantStore {
public:
    explicit VariantStore(const Database& db) : db_(db) {}

    // Stores variant (its id and createdAt are assigned) and returns it.
    Variant add(Variant variant);
    std::optional<Variant> find(qint64 id) const;
    Variant get(qint64 id) const;  // throws NotFound
    std::optional<Variant> findByPath(const QString& filePath) const;
    QList<Variant> forModel(qint64 modelId) const;
    QList<Variant> derivedFrom(qint64 variantId) const;
    void setQuality(qint64 id, const QualityFigures& quality);
    // Conversations and messages that used it keep their text and forget it.
    void remove(qint64 id);

private:
    QList<Variant> query(const char* where, qint64 key) const;

    const Database& db_;
};

}  // namespace nibble::storage
