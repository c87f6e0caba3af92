#include "storage/evaluation_store.h"

#include "storage/database.h"
#include "storage/statement.h"
#include "storage/transaction.h"

#include <QJsonDocument>

#include <string>

namespace nibble::storage {

namespace {

constexpr const char* kColumns =
    "SELECT id, reference_variant_id, variant_id, kind, dataset, results, created_at FROM evaluations ";

Evaluation readEvaluation(const Statement& row) {
    return Evaluation{row.int64(0), row.int64(1), row.int64(2), row.text(3), row.text(4),
                      QJsonDocument::fromJson(row.text(5).toUtf8()).object(), row.dateTime(6)};
}

}  // namespace

Evaluation EvaluationStore::add(Evaluation evaluation) {
    evaluation.createdAt = QDateTime::currentDateTimeUtc();
    db_.prepare("INSERT INTO evaluations (reference_variant_id, variant_id, kind, dataset, results, created_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bindAll(evaluation.referenceVariantId, evaluation.variantId, evaluation.kind, evaluation.dataset,
                 QString::fromUtf8(QJsonDocument(evaluation.results).toJson(QJsonDocument::Compact)),
                 evaluation.createdAt)
        .run();
    evaluation.id = db_.lastInsertId();
    return evaluation;
}

Evaluation EvaluationStore::record(Evaluation evaluation, const QualityFigures& figures) {
    Transaction transaction(db_);
    evaluation = add(std::move(evaluation));
    VariantStore(db_).setQuality(evaluation.variantId, figures);
    transaction.commit();
    return evaluation;
}

QList<Evaluation> EvaluationStore::forVariant(qint64 variantId) const {
    Statement query = db_.prepare(std::string(kColumns) + "WHERE variant_id = ?1 ORDER BY created_at DESC, id DESC");
    query.bindAll(variantId);
    QList<Evaluation> evaluations;
    while (query.step()) evaluations.append(readEvaluation(query));
    return evaluations;
}

std::optional<Evaluation> EvaluationStore::latest(qint64 referenceVariantId, qint64 variantId) const {
    Statement query = db_.prepare(std::string(kColumns) +
                                  "WHERE reference_variant_id = ?1 AND variant_id = ?2 "
                                  "ORDER BY created_at DESC, id DESC LIMIT 1");
    if (!query.bindAll(referenceVariantId, variantId).step()) return std::nullopt;
    return readEvaluation(query);
}

void EvaluationStore::remove(qint64 id) { db_.prepare("DELETE FROM evaluations WHERE id = ?1").bindAll(id).run(); }

}  // namespace nibble::storage
