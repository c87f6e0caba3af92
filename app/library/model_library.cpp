#include "library/model_library.h"

#include "library/dropped_models.h"
#include "library/model_registration.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "library/variant_list_model.h"

#include <nibble/error.h>

#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

namespace nibble::app {

ModelLibrary::ModelLibrary(const storage::Database& db, VariantListModel& variants, QString modelsFolder,
                           QObject* parent)
    : QObject(parent), db_(db), variants_(variants), modelsFolder_(std::move(modelsFolder)) {}

QObject* ModelLibrary::variants() { return &variants_; }

void ModelLibrary::setMessage(const QString& text) {
    message_ = text;
    emit messageChanged();
}

ModelLibrary::Added ModelLibrary::add(const QString& path) {
    try {
        const storage::Variant variant = registerModelFile(db_, path, storage::VariantOrigin::Imported);
        variants_.reload();
        return {variant.id, {}};
    } catch (const Error& e) {
        return {0, tr("%1 cannot be used: %2").arg(QFileInfo(path).fileName(), QString::fromUtf8(e.what()))};
    } catch (const storage::StorageError& e) {
        return {0, e.message()};
    }
}

qint64 ModelLibrary::importFile(const QUrl& file) {
    const Added added = add(file.isLocalFile() ? file.toLocalFile() : file.toString());
    setMessage(added.variantId ? tr("Added %1.").arg(variants_.labelOf(added.variantId)) : added.failure);
    return added.variantId;
}

bool ModelLibrary::importUrls(const QList<QUrl>& urls) {
    const DroppedModels dropped = DroppedModels::from(urls);
    if (batch_) {
        for (const QString& file : dropped.modelFiles)
            if (!batch_->files.contains(file)) batch_->files.append(file);
        batch_->notModels += dropped.notModels;
        batch_->emptyFolders += dropped.emptyFolders;
        return !dropped.modelFiles.isEmpty();
    }
    if (dropped.modelFiles.isEmpty()) {
        QStringList reasons;
        if (!dropped.notModels.isEmpty())
            reasons.append((dropped.notModels.size() == 1 ? tr("%1 is not a .gguf model file")
                                                           : tr("%1 are not .gguf model files"))
                               .arg(dropped.notModels.join(QStringLiteral(", "))));
        if (!dropped.emptyFolders.isEmpty())
            reasons.append(tr("no .gguf file inside %1").arg(dropped.emptyFolders.join(QStringLiteral(", "))));
        setMessage(tr("Nothing was added (%1). Nibble reads models in GGUF files: drop .gguf files, or a folder "
                      "that holds them.")
                       .arg(reasons.join(QStringLiteral("; "))));
        return false;
    }
    batch_.emplace();
    batch_->files = dropped.modelFiles;
    batch_->notModels = dropped.notModels;
    batch_->emptyFolders = dropped.emptyFolders;
    emit importingChanged();
    importNextOfBatch();
    return true;
}

void ModelLibrary::importNextOfBatch() {
    if (batch_->next == batch_->files.size()) {
        const QString summary = batchSummary();
        batch_.reset();
        setMessage(summary);
        emit importingChanged();
        return;
    }
    const QString path = batch_->files.at(batch_->next++);
    setMessage(tr("Adding models: %1 of %2 (%3)…")
                   .arg(batch_->next)
                   .arg(batch_->files.size())
                   .arg(QFileInfo(path).fileName()));
    const Added added = add(path);
    if (added.variantId) {
        batch_->added.append(variants_.labelOf(added.variantId));
    } else {
        batch_->failures.append(added.failure);
    }
    // The next file on the next turn, so the progress message gets drawn.
    QTimer::singleShot(0, this, &ModelLibrary::importNextOfBatch);
}

QString ModelLibrary::batchSummary() const {
    QStringList parts;
    if (batch_->added.size() == 1) {
        parts.append(tr("Added %1.").arg(batch_->added.first()));
    } else if (!batch_->added.isEmpty()) {
        parts.append(tr("Added %1 model files.").arg(batch_->added.size()));
    }
    parts += batch_->failures;
    if (!batch_->notModels.isEmpty())
        parts.append(tr("Skipped what is not a .gguf file: %1.").arg(batch_->notModels.join(QStringLiteral(", "))));
    if (!batch_->emptyFolders.isEmpty())
        parts.append(tr("No .gguf file inside %1.").arg(batch_->emptyFolders.join(QStringLiteral(", "))));
    return parts.join(QLatin1Char(' '));
}

std::optional<QString> ModelLibrary::forget(const storage::Variant& variant) {
    const QString label = variants_.labelOf(variant.id);
    try {
        storage::Transaction transaction(db_);
        storage::VariantStore store(db_);
        store.remove(variant.id);
        // A model with no files left has nothing to offer.
        if (store.forModel(variant.modelId).isEmpty()) storage::ModelStore(db_).remove(variant.modelId);
        transaction.commit();
    } catch (const storage::StorageError& e) {
        setMessage(e.message());
        return std::nullopt;
    }
    variants_.reload();
    emit variantRemoved(variant.id);
    return label;
}

bool ModelLibrary::ownsFile(qint64 variantId) const {
    const auto variant = variants_.variant(variantId);
    if (!variant || modelsFolder_.isEmpty()) return false;
    const QString folder = QFileInfo(modelsFolder_).canonicalFilePath();
    return !folder.isEmpty() && QFileInfo(variant->filePath).canonicalPath() == folder;
}

void ModelLibrary::deleteVariant(qint64 variantId) {
    const auto variant = variants_.variant(variantId);
    if (!variant) return;
    const bool owned = ownsFile(variantId);
    const auto label = forget(*variant);
    if (!label) return;
    if (!owned) {
        setMessage(tr("Removed %1 from the library; the file is still on disk.").arg(*label));
    } else if (QFile::exists(variant->filePath) && !QFile::remove(variant->filePath)) {
        setMessage(tr("Removed %1 from the library, but its file %2 could not be deleted.")
                       .arg(*label, variant->filePath));
    } else {
        setMessage(tr("Deleted %1 and its file (%2).").arg(*label, fileSizeText(variant->sizeBytes)));
    }
}

void ModelLibrary::revealFolder(const QString& filePath) const {
    QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(filePath).absolutePath()));
}

}  // namespace nibble::app
