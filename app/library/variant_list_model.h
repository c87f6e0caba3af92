#pragma once
// Every model variant in the catalogue, grouped by model: the rows of the
// precision dropdown ("SmolLM2 135M - 4-bit (Q4_1)") and of the model library.
#include "library/model_kind.h"
#include "storage/model_store.h"
#include "storage/variant_store.h"

#include <QAbstractListModel>
#include <QHash>

#include <utility>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class VariantListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role {
        VariantIdRole = Qt::UserRole + 1,
        LabelRole,
        ModelIdRole,
        ModelNameRole,
        ArchitectureRole,
        ParametersRole,
        LicenseRole,
        PrecisionRole,
        BitsRole,
        FilePathRole,
        FileExistsRole,
        SizeBytesRole,
        SizeTextRole,
        OriginRole,
        PerplexityRole,
        KldMeanRole,
        SameTopPercentRole,
        MeasuredTokensPerSecondRole,
        DerivedFromLabelRole,
        QualityNoteRole,
        KindRole,  // "instruct", "base" (only continues text) or "" when it cannot be told
        MadeFromFewerBitsRole,  // derived from a file of fewer bits: it cannot be better than that file
    };

    explicit VariantListModel(const storage::Database& db, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void reload();
    Q_INVOKABLE int indexOf(qint64 variantId) const;
    Q_INVOKABLE qint64 variantIdAt(int row) const;
    Q_INVOKABLE QString labelOf(qint64 variantId) const;
    // As KindRole.
    Q_INVOKABLE QString kindOf(qint64 variantId) const;
    // {perplexity, kldMean, sameTopPercent, tokensPerSecond}: only the figures measured so far.
    Q_INVOKABLE QVariantMap qualityOf(qint64 variantId) const;
    std::optional<storage::Variant> variant(qint64 variantId) const;
    // The largest and the smallest file of variantId's model, the two most
    // different precisions to compare; when the model has one variant only,
    // that one and another model's (or itself when there is no other).
    std::pair<qint64, qint64> mostDifferentPair(qint64 variantId) const;

signals:
    void countChanged();

private:
    struct Row {
        storage::Model model;
        storage::Variant variant;
        QString label;
        QString qualityNote;  // what the quality figures were measured against, and on what
        ModelKind kind = ModelKind::Unknown;
        bool madeFromFewerBits = false;
    };

    const storage::Database& db_;
    QList<Row> rows_;
};

// "91.7 MB"
QString fileSizeText(qint64 bytes);

}  // namespace nibble::app
