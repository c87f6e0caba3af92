#pragma once
// Comparisons of a variant against a reference variant (perplexity, KL
// divergence, speed, ...). The full results stay here as JSON; the headline
// figures of the latest one are copied onto the variant for the catalogue.
#include "storage/variant_store.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace nibble::storage {

class Database;

struct Evaluation {
    qint64 id = 0;
    qint64 referenceVariantId = 0;
    qint64 variantId = 0;
    QString kind;     // e.g. "perplexity", "kld", "speed"
    QString dataset;  // a description of the text it ran on
    QJsonObject results;
    QDateTime createdAt;
};

class EvaluationStore {
public:
    explicit EvaluationStore(const Database& db) : db_(db) {}

    // Stores evaluation (its id and createdAt are assigned) and returns it.
    Evaluation add(Evaluation evaluation);
    // Stores evaluation and makes figures the variant's current quality
    // figures, both or neither.
    Evaluation record(Evaluation evaluation, const QualityFigures& figures);
    QList<Evaluation> forVariant(qint64 variantId) const;  // newest first
    std::optional<Evaluation> latest(qint64 referenceVariantId, qint64 variantId) const;
    void remove(qint64 id);

private:
    const Database& db_;
};

}  // namespace nibble::storage
