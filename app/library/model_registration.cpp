#include "library/model_registration.h"

#include "storage/database.h"
#include "storage/model_store.h"
#include "storage/transaction.h"

#include <nibble/error.h>
#include <nibble/model_file.h>

#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace nibble::app {
namespace {

// Model files are named for the model and precision ("SmolLM2-135M-Instruct.Q4_1.gguf"),
// which groups the precisions of one model and reads better than general.name,
// often a training-run label ("Smollm2 135M 8k Lc100K Mix1 Ep2").
QString modelNameFromFile(const QFileInfo& file) {
    static const QRegularExpression precisionSuffix(QStringLiteral("[.\\-_](I?Q\\d\\w*|B?F16|F32)$"),
                                                    QRegularExpression::CaseInsensitiveOption);
    QString stem = file.completeBaseName();
    stem.remove(precisionSuffix);
    return stem.replace('-', ' ').replace('_', ' ').simplified();
}

// The precision name the established tools give the file (general.file_type),
// else its most common quantized tensor type.
QString precisionOf(const ModelFileSummary& summary) {
    if (!summary.fileTypeName.empty()) return QString::fromStdString(summary.fileTypeName);
    // Norms and biases stay F32 in every quantized file, so they do not count.
    const std::pair<std::string, uint64_t>* best = nullptr;
    for (const auto& entry : summary.tensorTypes)
        if ((entry.first != "F32" || summary.tensorTypes.size() == 1) && (!best || entry.second > best->second))
            best = &entry;
    return best ? QString::fromStdString(best->first) : QStringLiteral("unknown");
}

}  // namespace

storage::Variant registerModelFile(const storage::Database& db, const QString& filePath, storage::VariantOrigin origin,
                                   const QString& sha256) {
    const QFileInfo file(filePath);
    const QString path = file.canonicalFilePath();
    if (path.isEmpty())
        throw Error(ErrorKind::Io, "the model file " + filePath.toStdString() + " does not exist");
    storage::VariantStore variants(db);
    if (auto known = variants.findByPath(path)) return *known;

    const ModelFileSummary summary = inspectModelFile(path.toStdString());
    QString name = modelNameFromFile(file);
    if (name.isEmpty()) name = QString::fromStdString(summary.name).trimmed();
    QString architecture = QString::fromStdString(summary.architecture);
    if (architecture.isEmpty()) architecture = QStringLiteral("unknown");

    storage::Transaction transaction(db);
    storage::ModelStore models(db);
    const auto all = models.list();
    auto existing = std::find_if(all.begin(), all.end(), [&](const storage::Model& m) {
        return m.name == name && m.architecture == architecture;
    });
    qint64 modelId = 0;
    if (existing != all.end()) {
        modelId = existing->id;
        // A model from before the store kept this learns it from its next file.
        if (!existing->hasChatTemplate) models.setHasChatTemplate(modelId, summary.hasChatTemplate);
    } else {
        storage::Model model;
        model.name = name;
        model.architecture = architecture;
        model.parameterCount = qint64(summary.parameterCount);
        model.license = QString::fromStdString(summary.license);
        model.hasChatTemplate = summary.hasChatTemplate;
        modelId = models.add(model).id;
    }
    storage::Variant variant;
    variant.modelId = modelId;
    variant.precision = precisionOf(summary);
    variant.filePath = path;
    variant.sizeBytes = file.size();
    variant.origin = origin;
    variant.sha256 = sha256;
    variant = variants.add(variant);
    transaction.commit();
    return variant;
}

QString precisionBits(const QString& precision) {
    static const QRegularExpression quantized(QStringLiteral("^[IQ]+(\\d)"));
    if (precision == "F32") return QStringLiteral("32-bit");
    if (precision == "F16" || precision == "BF16") return QStringLiteral("16-bit");
    if (auto match = quantized.match(precision); match.hasMatch()) return match.captured(1) + QStringLiteral("-bit");
    return {};
}

QString parameterCountLabel(qint64 parameters) {
    if (parameters >= 1'000'000'000) return QString::number(double(parameters) / 1e9, 'f', 1) + "B";
    if (parameters >= 1'000'000) return QString::number(qRound64(double(parameters) / 1e6)) + "M";
    if (parameters >= 1'000) return QString::number(qRound64(double(parameters) / 1e3)) + "K";
    return QString::number(parameters);
}

bool madeFromFewerBits(const storage::Variant& variant, const storage::Variant* source) {
    if (!source) return false;
    const QString bits = precisionBits(variant.precision);
    const QString sourceBits = precisionBits(source->precision);
    // "8-bit" -> 8
    return !bits.isEmpty() && !sourceBits.isEmpty() && sourceBits.chopped(4).toInt() < bits.chopped(4).toInt();
}

QString variantLabel(const storage::Model& model, const storage::Variant& variant, const storage::Variant* source) {
    const QString bits = precisionBits(variant.precision);
    if (madeFromFewerBits(variant, source))
        return QStringLiteral("%1 - %2 made from the %3 file (%4, cannot be better)")
            .arg(model.name, bits, precisionBits(source->precision), variant.precision);
    return bits.isEmpty() ? QStringLiteral("%1 - %2").arg(model.name, variant.precision)
                          : QStringLiteral("%1 - %2 (%3)").arg(model.name, bits, variant.precision);
}

}  // namespace nibble::app
