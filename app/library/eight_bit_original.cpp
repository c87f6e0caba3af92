#include "library/eight_bit_original.h"

#include "downloads/download_manager.h"
#include "downloads/network_reachability.h"
#include "library/model_registration.h"
#include "library/variant_list_model.h"
#include "shell/app_settings.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/variant_store.h"

#include <QFileInfo>

namespace nibble::app {

namespace {

// "8-bit" -> 8; 0 for a precision without a bit count.
int bitsOf(const storage::Variant& variant) {
    const QString bits = precisionBits(variant.precision);
    return bits.isEmpty() ? 0 : bits.chopped(4).toInt();
}

}  // namespace

EightBitOriginal::EightBitOriginal(const storage::Database& db, VariantListModel& variants, DownloadManager& downloads,
                                   const NetworkReachability& network, AppSettings& settings, QObject* parent)
    : QObject(parent), db_(db), variants_(variants), downloads_(downloads), network_(network), settings_(settings) {
    connect(&downloads_, &DownloadManager::stateChanged, this, &EightBitOriginal::bump);
    connect(&downloads_, &DownloadManager::hubDownloadFailed, this, &EightBitOriginal::bump);
    connect(&downloads_, &DownloadManager::modelAdded, this, &EightBitOriginal::bump);
    connect(&variants_, &QAbstractItemModel::modelReset, this, &EightBitOriginal::bump);
    connect(&network_, &NetworkReachability::changed, this, &EightBitOriginal::bump);
}

void EightBitOriginal::bump() {
    ++revision_;
    emit changed();
}

bool EightBitOriginal::hasEightBitCopy(qint64 variantId) const {
    const QList<storage::Variant> copies = storage::VariantStore(db_).derivedFrom(variantId);
    return std::any_of(copies.begin(), copies.end(), [](const storage::Variant& copy) { return bitsOf(copy) == 8; });
}

bool EightBitOriginal::hasRealEightBit(qint64 modelId) const {
    const QList<storage::Variant> files = storage::VariantStore(db_).forModel(modelId);
    return std::any_of(files.begin(), files.end(), [](const storage::Variant& file) {
        return file.origin != storage::VariantOrigin::Derived && bitsOf(file) == 8;
    });
}

std::optional<QString> EightBitOriginal::downloadIdFor(qint64 variantId) const {
    const auto variant = variants_.variant(variantId);
    if (!variant) return std::nullopt;
    try {
        const storage::VariantStore store(db_);
        // The file the user has, fewer than 8 bits: its card carries the offer
        // until an 8-bit copy of it exists, then the copy's card does.
        QString sourceName;
        if (variant->origin == storage::VariantOrigin::Derived) {
            if (bitsOf(*variant) != 8 || !variant->derivedFromVariantId) return std::nullopt;
            const auto source = store.find(*variant->derivedFromVariantId);
            if (!source || !madeFromFewerBits(*variant, &*source)) return std::nullopt;
            sourceName = QFileInfo(source->filePath).fileName();
        } else {
            const int bits = bitsOf(*variant);
            if (bits == 0 || bits >= 8 || hasEightBitCopy(variant->id)) return std::nullopt;
            sourceName = QFileInfo(variant->filePath).fileName();
        }
        if (hasRealEightBit(variant->modelId)) return std::nullopt;
        const storage::Model model = storage::ModelStore(db_).get(variant->modelId);
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
    if (!id) return {{"state", QString()}, {"text", QString()}, {"canMakeCopy", false}};
    const bool onCopy = variants_.variant(variantId)->origin == storage::VariantOrigin::Derived;
    const auto answer = [onCopy](const char* state, const QString& text) {
        return QVariantMap{{"state", QString::fromLatin1(state)}, {"text", text}, {"canMakeCopy", !onCopy}};
    };
    const QString worth =
        onCopy ? tr("Until then, this copy made from the 4-bit file cannot answer better than that file.")
               : tr("An 8-bit copy made from this file shows what 8 bits cost in size and speed, not what 4 bits lose.");
    if (downloads_.isLookingUp(*id)) return answer("downloading", tr("Asking Hugging Face for the 8-bit original…"));
    QString failure = downloads_.hubFailure(*id);
    if (const DownloadTask* task = downloads_.task(*id)) {
        switch (task->state()) {
        case DownloadState::Preparing:
        case DownloadState::Downloading:
        case DownloadState::Verifying:
            return answer("downloading",
                          tr("Downloading the 8-bit original (Downloads shows how far it is). %1").arg(worth));
        case DownloadState::Paused:
            return answer("offer", tr("The download of the 8-bit original is paused. %1").arg(worth));
        case DownloadState::Failed: failure = task->message(); break;
        case DownloadState::Idle:
        case DownloadState::Finished: break;
        }
    }
    if (!failure.isEmpty())
        return answer("failed", tr("The 8-bit original cannot be downloaded now: %1 %2").arg(failure, worth));
    if (network_.knownOffline())
        return answer("offline", tr("This computer is offline, so the 8-bit original cannot be downloaded from "
                                    "Hugging Face now; it is offered here again once it is online. %1")
                                     .arg(worth));
    return answer("offer", onCopy ? tr("To see what 4 bits lose, compare the 4-bit file with the 8-bit original.")
                                  : tr("To see what 4 bits lose, compare this file with the model's 8-bit original "
                                       "from Hugging Face."));
}

qint64 EightBitOriginal::firstRunVariantId() const {
    if (settings_.firstRunEightBitAnswered()) return 0;
    try {
        for (int row = 0; row < variants_.rowCount(); ++row) {
            const auto variant = variants_.variant(variants_.variantIdAt(row));
            if (!variant || variant->origin != storage::VariantOrigin::Bundled) continue;
            const int bits = bitsOf(*variant);
            // Asked until answered, or until a second precision is there
            // (the original downloaded from the question, or a copy).
            if (bits > 0 && bits < 8 && !hasEightBitCopy(variant->id) && !hasRealEightBit(variant->modelId))
                return variant->id;
        }
    } catch (const storage::StorageError&) {
        // Nothing to ask about without the library's rows.
    }
    return 0;
}

void EightBitOriginal::download(qint64 variantId) {
    if (const auto id = downloadIdFor(variantId)) downloads_.start(*id);
    bump();
}

void EightBitOriginal::closeFirstRunQuestion() {
    settings_.setFirstRunEightBitAnswered();
    bump();
}

}  // namespace nibble::app
