#include "model_library.h"

#include "model_registration.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "variant_list_model.h"

#include <nibble/error.h>

#include <QDesktopServices>
#include <QFileInfo>

namespace nibble::app {

ModelLibrary::ModelLibrary(const storage::Database& db, VariantListModel& variants, QObject* parent)
    : QObject(parent), db_(db), variants_(variants) {}

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

void ModelLibrary::removeVariant(qint64 variantId) {
    try {
        const auto variant = variants_.variant(variantId);
        if (!variant) return;
        const QString label = variants_.labelOf(variantId);
        storage::Transaction transaction(db_);
        storage::VariantStore store(db_);
        store.remove(variantId);
        // A model with no files left has nothing to offer.
        if (store.forModel(variant->modelId).isEmpty()) storage::ModelStore(db_).remove(variant->modelId);
        transaction.commit();
        variants_.reload();
        setMessage(tr("Removed %1 from the library; the file is still on disk.").arg(label));
    } catch (const storage::StorageError& e) {
        setMessage(e.message());
    }
}

void ModelLibrary::revealFolder(const QString& filePath) const {
    QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(filePath).absolutePath()));
}

}  // namespace nibble::app
