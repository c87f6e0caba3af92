#include "library/eight_bit_original.h"

#include "downloads/download_manager.h"
#include "library/model_registration.h"
#include "library/variant_list_model.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/variant_store.h"

#include <QFileInfo>

namespace nibble::app {

EightBitOriginal::EightBitOriginal(const storage::Database& db, VariantListModel& variants, DownloadManager& downloads,
                                   QObject* parent)
    : QObject(parent), db_(db), variants_(variants), downloads_(downloads) {
    connect(&downloads_, &DownloadManager::stateChanged, this, &EightBitOriginal::bump);
    connect(&downloads_, &DownloadManager::hubDownloadFailed, this, &EightBitOriginal::bump);
    connect(&downloads_, &DownloadManager::modelAdded, this, &EightBitOriginal::bump);
    connect(&variants_, &QAbstractItemModel::modelReset, this, &EightBitOriginal::bump);
}

void EightBitOriginal::bump() {
    ++revision_;
    emit changed();
}

std::optional<QString> EightBitOriginal::downloadIdFor(qint64 variantId) const {
    const auto variant = variants_.variant(variantId);
    if (!variant || variant->origin != storage::VariantOrigin::Derived || !variant->derivedFromVariantId ||
        precisionBits(variant->precision) != QLatin1String("8-bit"))
        return std::nullopt;
    try {
        const storage::VariantStore store(db_);
        const auto source = store.find(*variant->derivedFromVariantId);
        if (!source || !madeFromFewerBits(*variant, &*source)) return std::nullopt;
        // A real 8-bit file of the model is already in the library: nothing to offer.
        for (const storage::Variant& other : store.forModel(variant->modelId))
            if (other.origin != storage::VariantOrigin::Derived && precisionBits(other.precision) == QLatin1String("8-bit"))
                return std::nullopt;
        const storage::Model model = storage::ModelStore(db_).get(variant->modelId);
        const QString sourceName = QFileInfo(source->filePath).fileName();
        for (const CatalogModel& entry : downloads_.catalog().models()) {
            const bool same = entry.name == model.name ||
                              std::any_of(entry.files.begin(), entry.files.end(),
                                          [&](const CatalogModelFile& file) { return file.fileName == sourceName; });
            if (!same) continue;
            for (const CatalogModelFile& file : entry.files)
                if (file.bits == 8) return DownloadManager::catalogDownloadId(entry, file);
        }
    } catch (const storage::StorageError&) {
        // Without the library's rows there is nothing to compare; the card shows what it can.
    }
    return std::nullopt;
}

QVariantMap EightBitOriginal::offerFor(qint64 variantId) const {
    const auto id = downloadIdFor(variantId);
    if (!id) return {{"state", QString()}, {"text", QString()}};
    const QString worth = tr("Until then, this copy made from the 4-bit file cannot answer better than that file.");
    if (downloads_.isLookingUp(*id))
        return {{"state", "downloading"}, {"text", tr("Asking Hugging Face for the 8-bit original…")}};
    QString failure = downloads_.hubFailure(*id);
    if (const DownloadTask* task = downloads_.task(*id)) {
        switch (task->state()) {
        case DownloadState::Preparing:
        case DownloadState::Downloading:
        case DownloadState::Verifying:
            return {{"state", "downloading"},
                    {"text", tr("Downloading the 8-bit original (Downloads shows how far it is). %1").arg(worth)}};
        case DownloadState::Paused:
            return {{"state", "offer"}, {"text", tr("The download of the 8-bit original is paused. %1").arg(worth)}};
        case DownloadState::Failed: failure = task->message(); break;
        case DownloadState::Idle:
        case DownloadState::Finished: break;
        }
    }
    if (!failure.isEmpty())
        return {{"state", "failed"},
                {"text", tr("The 8-bit original cannot be downloaded now: %1 %2").arg(failure, worth)}};
    return {{"state", "offer"},
            {"text", tr("To see what 4 bits lose, compare the 4-bit file with the 8-bit original.")}};
}

void EightBitOriginal::download(qint64 variantId) {
    if (const auto id = downloadIdFor(variantId)) downloads_.start(*id);
    bump();
}

}  // namespace nibble::app
