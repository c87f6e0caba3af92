#include "downloads/model_catalog.h"

#include <nibble/error.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

namespace nibble::app {
namespace {

[[noreturn]] void reject(const QString& where, const QString& problem) {
    throw Error(ErrorKind::InvalidFile, QStringLiteral("model catalog: %1 %2").arg(where, problem).toStdString());
}

QString requiredText(const QJsonObject& object, const char* key, const QString& where) {
    const QString value = object.value(QLatin1String(key)).toString().trimmed();
    if (value.isEmpty()) reject(where, QStringLiteral("has no \"%1\"").arg(QLatin1String(key)));
    return value;
}

CatalogFile parseFile(const QJsonObject& model, const QJsonObject& file, const QString& modelId) {
    CatalogFile entry;
    entry.modelName = requiredText(model, "name", modelId);
    entry.publisher = model.value("publisher").toString();
    entry.parameters = model.value("parameters").toString();
    entry.license = requiredText(model, "license", modelId);
    entry.homepage = QUrl(model.value("homepage").toString());
    entry.precision = requiredText(file, "precision", modelId);
    entry.id = modelId + '/' + entry.precision;
    entry.bits = file.value("bits").toInt();
    entry.fileName = requiredText(file, "fileName", entry.id);
    entry.url = QUrl(requiredText(file, "url", entry.id), QUrl::StrictMode);
    entry.sizeBytes = file.value("sizeBytes").toInteger();
    entry.sha256 = file.value("sha256").toString().toLower();

    if (!entry.url.isValid() || entry.url.scheme() != QLatin1String("https") || entry.url.host().isEmpty())
        reject(entry.id, QStringLiteral("needs an https URL, not \"%1\"").arg(entry.url.toString()));
    if (entry.sizeBytes <= 0) reject(entry.id, QStringLiteral("needs a positive sizeBytes"));
    if (!isSha256Hex(entry.sha256)) reject(entry.id, QStringLiteral("needs a sha256 of 64 hex digits"));
    // The name becomes a path in the models folder.
    if (entry.fileName.contains('/') || entry.fileName.contains('\\') || entry.fileName.startsWith('.'))
        reject(entry.id, QStringLiteral("has a file name that is not a plain name"));
    if (entry.bits <= 0) reject(entry.id, QStringLiteral("needs the number of bits of its precision"));
    return entry;
}

}  // namespace

bool isSha256Hex(const QString& text) {
    static const QRegularExpression sha256Hex(QStringLiteral("^[0-9a-f]{64}$"));
    return sha256Hex.match(text).hasMatch();
}

ModelCatalog ModelCatalog::parse(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        reject(QStringLiteral("at byte %1:").arg(error.offset), error.errorString());
    if (document.object().value("schema").toInt() != 1)
        reject(QStringLiteral("schema"), QStringLiteral("is not version 1"));

    ModelCatalog catalog;
    QSet<QString> ids;
    QSet<QString> fileNames;
    for (const QJsonValue& modelValue : document.object().value("models").toArray()) {
        const QJsonObject model = modelValue.toObject();
        const QString modelId = requiredText(model, "id", QStringLiteral("a model"));
        const QJsonArray files = model.value("files").toArray();
        if (files.isEmpty()) reject(modelId, QStringLiteral("lists no files"));
        for (const QJsonValue& fileValue : files) {
            CatalogFile entry = parseFile(model, fileValue.toObject(), modelId);
            if (ids.contains(entry.id)) reject(entry.id, QStringLiteral("appears twice"));
            if (fileNames.contains(entry.fileName))
                reject(entry.id, QStringLiteral("reuses another entry's file name"));
            ids.insert(entry.id);
            fileNames.insert(entry.fileName);
            catalog.files_.append(std::move(entry));
        }
    }
    return catalog;
}

ModelCatalog ModelCatalog::builtIn() {
    QFile file(QString::fromLatin1(kResourcePath));
    if (!file.open(QIODevice::ReadOnly))
        throw Error(ErrorKind::Internal, "the built-in model catalog is missing from the app");
    return parse(file.readAll());
}

ModelCatalog ModelCatalog::fromFiles(QList<CatalogFile> files) {
    ModelCatalog catalog;
    catalog.files_ = std::move(files);
    return catalog;
}

const CatalogFile* ModelCatalog::find(const QString& id) const {
    for (const CatalogFile& file : files_)
        if (file.id == id) return &file;
    return nullptr;
}

}  // namespace nibble::app
