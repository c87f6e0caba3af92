#include "downloads/model_catalog.h"

#include <nibble/error.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>

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

qint64 requiredCount(const QJsonObject& object, const char* key, const QString& where) {
    const qint64 value = object.value(QLatin1String(key)).toInteger();
    if (value <= 0) reject(where, QStringLiteral("needs a positive \"%1\"").arg(QLatin1String(key)));
    return value;
}

CatalogModelFile parseFile(const QJsonObject& object, const QString& modelId) {
    CatalogModelFile file;
    file.fileName = requiredText(object, "fileName", modelId);
    const QString where = modelId + '/' + file.fileName;
    file.precision = requiredText(object, "precision", where);
    file.bits = int(requiredCount(object, "bits", where));
    // The name becomes a path in the models folder.
    if (file.fileName.contains('/') || file.fileName.contains('\\') || file.fileName.startsWith('.') ||
        !file.fileName.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive))
        reject(where, QStringLiteral("needs a plain .gguf file name"));
    return file;
}

CatalogModel parseModel(const QJsonObject& object) {
    CatalogModel model;
    model.id = requiredText(object, "id", QStringLiteral("a model"));
    model.name = requiredText(object, "name", model.id);
    model.publisher = object.value("publisher").toString();
    model.repo = requiredText(object, "repo", model.id);
    static const QRegularExpression repoName(QStringLiteral("^[A-Za-z0-9][\\w.-]*/[A-Za-z0-9][\\w.-]*$"));
    if (!repoName.match(model.repo).hasMatch()) reject(model.id, QStringLiteral("needs a repo named \"owner/name\""));
    model.architecture = requiredText(object, "architecture", model.id);
    model.purpose = requiredText(object, "purpose", model.id);
    model.license = requiredText(object, "license", model.id);
    model.parameters = requiredCount(object, "parameters", model.id);
    // Said outright: a base model passed off as a chat model is the mistake this field prevents.
    if (!object.value("instruct").isBool()) reject(model.id, QStringLiteral("must say whether it is \"instruct\""));
    model.instruct = object.value("instruct").toBool();
    model.layers = int(requiredCount(object, "layers", model.id));
    model.kvHeads = int(requiredCount(object, "kvHeads", model.id));
    model.headDim = int(requiredCount(object, "headDim", model.id));
    model.contextLength = int(requiredCount(object, "contextLength", model.id));
    const QJsonArray files = object.value("files").toArray();
    if (files.isEmpty()) reject(model.id, QStringLiteral("lists no files"));
    for (const QJsonValue& value : files) model.files.append(parseFile(value.toObject(), model.id));
    return model;
}

}  // namespace

bool isSha256Hex(const QString& text) {
    static const QRegularExpression sha256Hex(QStringLiteral("^[0-9a-f]{64}$"));
    return sha256Hex.match(text).hasMatch();
}

double bitsPerWeight(const QString& precision) {
    // Averages over real files (block scales and the tensors kept at higher
    // precision included), as llama.cpp's quantize table gives them.
    static const QList<std::pair<QString, double>> table{
        {"F32", 32.0},    {"F16", 16.0},   {"BF16", 16.0},  {"Q8_0", 8.5},    {"Q6_K", 6.56},
        {"Q5_K_M", 5.69}, {"Q5_K_S", 5.54}, {"Q5_0", 5.5},  {"Q5_1", 6.0},    {"Q4_K_M", 4.89},
        {"Q4_K_S", 4.58}, {"Q4_0", 4.5},   {"Q4_1", 5.0},   {"Q3_K_M", 3.91}, {"Q2_K", 3.0},
    };
    const QString upper = precision.toUpper();
    for (const auto& [name, bits] : table)
        if (name == upper) return bits;
    return 0;
}

qint64 CatalogModel::kvCacheBytes(int tokens) const {
    const qint64 used = std::min(tokens, contextLength);
    return qint64(layers) * used * kvHeads * 2 * headDim * qint64(sizeof(float));
}

qint64 CatalogModel::estimatedFileBytes(const CatalogModelFile& file) const {
    const double bits = bitsPerWeight(file.precision) > 0 ? bitsPerWeight(file.precision) : double(file.bits);
    return qint64(std::llround(double(parameters) * bits / 8.0));
}

ModelCatalog ModelCatalog::parse(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        reject(QStringLiteral("at byte %1:").arg(error.offset), error.errorString());
    if (document.object().value("schema").toInt() != kSchema)
        reject(QStringLiteral("schema"), QStringLiteral("is not version %1").arg(kSchema));

    ModelCatalog catalog;
    QSet<QString> ids;
    QSet<QString> fileNames;
    for (const QJsonValue& value : document.object().value("models").toArray()) {
        CatalogModel model = parseModel(value.toObject());
        if (ids.contains(model.id)) reject(model.id, QStringLiteral("appears twice"));
        ids.insert(model.id);
        for (const CatalogModelFile& file : model.files) {
            // Every file lands in one models folder.
            if (fileNames.contains(file.fileName.toLower()))
                reject(model.id + '/' + file.fileName, QStringLiteral("reuses another entry's file name"));
            fileNames.insert(file.fileName.toLower());
        }
        catalog.models_.append(std::move(model));
    }
    if (catalog.models_.isEmpty()) reject(QStringLiteral("models"), QStringLiteral("lists no models"));
    return catalog;
}

ModelCatalog ModelCatalog::builtIn() {
    QFile file(QString::fromLatin1(kResourcePath));
    if (!file.open(QIODevice::ReadOnly))
        throw Error(ErrorKind::Internal, "the built-in model catalog is missing from the app");
    return parse(file.readAll());
}

const CatalogModel* ModelCatalog::findModel(const QString& id) const {
    for (const CatalogModel& model : models_)
        if (model.id == id) return &model;
    return nullptr;
}

}  // namespace nibble::app
