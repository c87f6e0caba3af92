#include "library/model_header_backfill.h"

#include "storage/database.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "storage/variant_store.h"

#include <nibble/error.h>
#include <nibble/model_file.h>

#include <spdlog/spdlog.h>

#include <QtConcurrent>

namespace nibble::app {

ModelHeaderBackfill::ModelHeaderBackfill(const storage::Database& db, QObject* parent) : QObject(parent), db_(db) {
    connect(&watcher_, &QFutureWatcher<QList<Answer>>::finished, this, [this] { store(watcher_.result()); });
}

ModelHeaderBackfill::~ModelHeaderBackfill() { watcher_.waitForFinished(); }

bool ModelHeaderBackfill::start() {
    if (watcher_.isRunning()) return true;
    QList<Pending> pending;
    try {
        const storage::VariantStore variants(db_);
        for (const storage::Model& model : storage::ModelStore(db_).list()) {
            if (model.hasChatTemplate) continue;
            Pending entry{model.id, {}};
            for (const storage::Variant& variant : variants.forModel(model.id)) entry.filePaths.append(variant.filePath);
            if (!entry.filePaths.isEmpty()) pending.append(entry);
        }
    } catch (const storage::StorageError& e) {
        spdlog::error("cannot list the models to read headers for: {}", e.what());
        return false;
    }
    if (pending.isEmpty()) return false;
    spdlog::info("reading the headers of {} models registered by an earlier Nibble", pending.size());
    watcher_.setFuture(QtConcurrent::run(&ModelHeaderBackfill::readHeaders, pending));
    return true;
}

QList<ModelHeaderBackfill::Answer> ModelHeaderBackfill::readHeaders(const QList<Pending>& pending) {
    QList<Answer> answers;
    for (const Pending& model : pending) {
        for (const QString& path : model.filePaths) {
            try {
                answers.append({model.modelId, inspectModelFile(path.toStdString()).hasChatTemplate});
                break;
            } catch (const Error& e) {
                spdlog::info("cannot read the header of {}: {}", path.toStdString(), e.what());
            }
        }
    }
    return answers;
}

void ModelHeaderBackfill::store(const QList<Answer>& answers) {
    try {
        storage::Transaction transaction(db_);
        storage::ModelStore models(db_);
        for (const Answer& answer : answers) models.setHasChatTemplate(answer.modelId, answer.hasChatTemplate);
        transaction.commit();
    } catch (const storage::StorageError& e) {
        spdlog::error("cannot store what the model headers say: {}", e.what());
        emit finished(0);
        return;
    }
    emit finished(int(answers.size()));
}

}  // namespace nibble::app
