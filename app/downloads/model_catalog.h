#pragma once
// The built-in catalog of models Nibble offers to download
// (resources/catalog.json): each model with the files it comes in, one per
// precision, with the URL, size and sha256 a download is checked against.
#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

namespace nibble::app {

struct CatalogFile {
    QString id;  // "<model id>/<precision>", unique in the catalog
    QString modelName;
    QString publisher;
    QString parameters;  // "135M"
    QString license;
    QUrl homepage;
    QString precision;  // "Q4_1"
    int bits = 0;
    QString fileName;  // what the file is called in the models folder
    QUrl url;
    qint64 sizeBytes = 0;
    QString sha256;  // lower-case hex
};

// Whether text is a sha256 as downloads are checked against: 64 lower-case hex digits.
bool isSha256Hex(const QString& text);

class ModelCatalog {
public:
    // Parses catalog JSON; throws nibble::Error naming the first entry that
    // lacks an https URL, a positive size, a 64-digit sha256 or a plain file name.
    static ModelCatalog parse(const QByteArray& json);
    // The catalog compiled into the app.
    static ModelCatalog builtIn();
    // A catalog of entries the caller has built (and checked) itself.
    static ModelCatalog fromFiles(QList<CatalogFile> files);
    static constexpr const char* kResourcePath = ":/nibble/catalog.json";

    const QList<CatalogFile>& files() const { return files_; }
    const CatalogFile* find(const QString& id) const;

private:
    QList<CatalogFile> files_;
};

}  // namespace nibble::app
