#include "model_library.h"

#include "model_registration.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "variant_list_model.h"

#include <nibble/error.h>

#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>

namespace nibble::app {

ModelLibrary::ModelLibrary(const storage::Database& db, VariantListModel& variants, QString modelsFolder,
                           QObject* parent)
    : QObject(parent), db_(db), variants_(variants), modelsFolder_(std::move(modelsFolder)) {}

QObject* ModelLibrary::variants() { return &variants_; }

void ModelLibrary::setMessage(const QString& text) {
    message_ = text;
    emit messageChanged();
}

qint64 ModelLibrary::importFile(const QUrl& file) {
    const QString path = file.isLocalFile() ? file.toLocalFile() : file.toString();
    try {
        const storage::Variant variant = registerModelFile(db_, path, storage::VariantOrigin::Imported);
        variants_.reload();
        setMessage(tr("Added %1.").arg(variants_.labelOf(variant.id)));
        return variant.id;
    } catch (const Error& e) {
        setMessage(tr("%1 cannot be used: %2").arg(QFileInfo(path).fileName(), QString::fromUtf8(e.what())));
    } catch (const storage::StorageError& e) {
        setMessage(e.message());
    }
    return 0;
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
