#include "library/variant_list_model.h"

#include "library/model_registration.h"
#include "storage/evaluation_store.h"

#include <QFileInfo>
#include <QLocale>

#include <algorithm>

namespace nibble::app {

QString fileSizeText(qint64 bytes) {
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

VariantListModel::VariantListModel(const storage::Database& db, QObject* parent) : QAbstractListModel(parent), db_(db) {
    reload();
}

void VariantListModel::reload() {
    QList<Row> rows;
    const storage::VariantStore variants(db_);
    for (const storage::Model& model : storage::ModelStore(db_).list()) {
        const QList<storage::Variant> ofModel = variants.forModel(model.id);
        // From the store alone: reload runs on the UI thread, which never waits on a file.
        const ModelKind kind = ofModel.isEmpty() ? ModelKind::Unknown
                                                 : modelKindOf(model.name, ofModel.first().filePath, model.hasChatTemplate);
        for (const storage::Variant& variant : ofModel) {
            const storage::Variant* source = nullptr;
            for (const storage::Variant& other : ofModel)
                if (variant.derivedFromVariantId && other.id == *variant.derivedFromVariantId) source = &other;
            QString label = variantLabel(model, variant, source);
            if (kind == ModelKind::Base) label += tr(" · base model");
            rows.append({model, variant, label, {}, kind, madeFromFewerBits(variant, source)});
        }
    }
    // Labels first: a note names the reference, which may be any row.
    const storage::EvaluationStore evaluations(db_);
    for (Row& row : rows) {
        if (!row.variant.quality.measuredAt) continue;
        for (const storage::Evaluation& evaluation : evaluations.forVariant(row.variant.id)) {
            if (evaluation.kind != QLatin1String("chats")) continue;
            const auto reference = std::find_if(rows.cbegin(), rows.cend(), [&](const Row& r) {
                return r.variant.id == evaluation.referenceVariantId;
            });
            const QString referenceName = reference == rows.cend() ? tr("a removed variant") : reference->label;
            row.qualityNote = tr("against %1, on %2, %3")
                                  .arg(referenceName, evaluation.dataset,
                                       QLocale().toString(evaluation.createdAt.toLocalTime().date(), QLocale::ShortFormat));
            break;
        }
    }
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
    emit countChanged();
}

int VariantListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

QVariant VariantListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const Row& row = rows_.at(index.row());
    const auto optional = [](const std::optional<double>& value) { return value ? QVariant(*value) : QVariant(); };
    switch (role) {
    case Qt::DisplayRole:
    case LabelRole: return row.label;
    case VariantIdRole: return row.variant.id;
    case ModelIdRole: return row.model.id;
    case ModelNameRole: return row.model.name;
    case ArchitectureRole: return row.model.architecture;
    case ParametersRole: return parameterCountLabel(row.model.parameterCount);
    case LicenseRole: return row.model.license;
    case PrecisionRole: return row.variant.precision;
    case BitsRole: return precisionBits(row.variant.precision);
    case FilePathRole: return row.variant.filePath;
    case FileExistsRole: return QFileInfo::exists(row.variant.filePath);
    case SizeBytesRole: return row.variant.sizeBytes;
    case SizeTextRole: return fileSizeText(row.variant.sizeBytes);
    case OriginRole: return storage::toText(row.variant.origin);
    case PerplexityRole: return optional(row.variant.quality.perplexity);
    case KldMeanRole: return optional(row.variant.quality.kldMean);
    case SameTopPercentRole: return optional(row.variant.quality.sameTopPercent);
    case MeasuredTokensPerSecondRole: return optional(row.variant.quality.tokensPerSecond);
    case DerivedFromLabelRole: return row.variant.derivedFromVariantId ? labelOf(*row.variant.derivedFromVariantId) : QString();
    case QualityNoteRole: return row.qualityNote;
    case KindRole: return modelKindName(row.kind);
    case MadeFromFewerBitsRole: return row.madeFromFewerBits;
    default: return {};
    }
}

QHash<int, QByteArray> VariantListModel::roleNames() const {
    return {
        {VariantIdRole, "variantId"},
        {LabelRole, "label"},
        {ModelIdRole, "modelId"},
        {ModelNameRole, "modelName"},
        {ArchitectureRole, "architecture"},
        {ParametersRole, "parameters"},
        {LicenseRole, "license"},
        {PrecisionRole, "precision"},
        {BitsRole, "bits"},
        {FilePathRole, "filePath"},
        {FileExistsRole, "fileExists"},
        {SizeBytesRole, "sizeBytes"},
        {SizeTextRole, "sizeText"},
        {OriginRole, "origin"},
        {PerplexityRole, "perplexity"},
        {KldMeanRole, "kldMean"},
        {SameTopPercentRole, "sameTopPercent"},
        {MeasuredTokensPerSecondRole, "measuredTokensPerSecond"},
        {DerivedFromLabelRole, "derivedFromLabel"},
        {QualityNoteRole, "qualityNote"},
        {KindRole, "kind"},
        {MadeFromFewerBitsRole, "madeFromFewerBits"},
    };
}

int VariantListModel::indexOf(qint64 variantId) const {
    for (int i = 0; i < rows_.size(); ++i)
        if (rows_[i].variant.id == variantId) return i;
    return -1;
}

qint64 VariantListModel::variantIdAt(int row) const {
    return row >= 0 && row < rows_.size() ? rows_[row].variant.id : 0;
}

QString VariantListModel::labelOf(qint64 variantId) const {
    const int row = indexOf(variantId);
    return row < 0 ? QString() : rows_[row].label;
}

QString VariantListModel::kindOf(qint64 variantId) const {
    const int row = indexOf(variantId);
    return row < 0 ? QString() : modelKindName(rows_[row].kind);
}

QVariantMap VariantListModel::qualityOf(qint64 variantId) const {
    QVariantMap figures;
    const auto found = variant(variantId);
    if (!found) return figures;
    const auto put = [&](const char* key, const std::optional<double>& value) {
        if (value) figures.insert(key, *value);
    };
    put("perplexity", found->quality.perplexity);
    put("kldMean", found->quality.kldMean);
    put("sameTopPercent", found->quality.sameTopPercent);
    put("tokensPerSecond", found->quality.tokensPerSecond);
    return figures;
}

std::optional<storage::Variant> VariantListModel::variant(qint64 variantId) const {
    const int row = indexOf(variantId);
    if (row < 0) return std::nullopt;
    return rows_[row].variant;
}

std::pair<qint64, qint64> VariantListModel::mostDifferentPair(qint64 variantId) const {
    const int row = indexOf(variantId);
    if (row < 0) return {variantId, variantId};
    const qint64 modelId = rows_[row].model.id;
    QList<const Row*> siblings;
    for (const Row& candidate : rows_)
        if (candidate.model.id == modelId) siblings.append(&candidate);
    if (siblings.size() > 1) {
        const auto [smallest, largest] = std::minmax_element(
            siblings.cbegin(), siblings.cend(),
            [](const Row* a, const Row* b) { return a->variant.sizeBytes < b->variant.sizeBytes; });
        return {(*largest)->variant.id, (*smallest)->variant.id};
    }
    for (const Row& other : rows_)
        if (other.variant.id != variantId) return {variantId, other.variant.id};
    return {variantId, variantId};
}

}  // namespace nibble::app
