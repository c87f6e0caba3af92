#pragma once
// The built-in catalog of chat models Nibble offers to download
// (resources/catalog.json, schema 2): each model names its Hugging Face
// repository, architecture, licence, size and what it is for, and the files
// it comes in, one per precision. It holds no sizes or checksums: a download
// asks the Hub for them when it starts (DownloadManager::downloadFromHub), so
// the catalog cannot fall out of step with the files it names.
//
// CatalogFile is one file with its URL, size and sha256 known in advance:
// what a DownloadTask fetches and checks.
#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

#include <cstdint>

namespace nibble::app {

struct CatalogFile {
    QString id;  // the download's id, unique among downloads
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

// One file of a catalog model, as its Hub repository names it.
struct CatalogModelFile {
    QString fileName;   // "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    QString precision;  // "Q4_K_M"
    int bits = 0;       // 4, 8, 16
};

struct CatalogModel {
    QString id;  // "llama-3.2-1b-instruct"
    QString name;
    QString publisher;
    QString repo;          // "bartowski/Llama-3.2-1B-Instruct-GGUF"
    QString architecture;  // GGUF general.architecture
    QString purpose;       // what it is good for, one sentence
    QString license;
    qint64 parameters = 0;
    bool instruct = false;  // tuned to follow instructions; false: a base model
    // The shape of its key/value cache, for the memory a context takes.
    int layers = 0;
    int kvHeads = 0;
    int headDim = 0;
    int contextLength = 0;  // trained
    QList<CatalogModelFile> files;

    // Bytes of KV cache for a context of tokens (the engine keeps keys and
    // values in float32), at most the trained length.
    qint64 kvCacheBytes(int tokens) const;
    // A file's size before the Hub has said it: parameters times the
    // precision's bits per weight.
    qint64 estimatedFileBytes(const CatalogModelFile& file) const;
};

// The context a model gets when none is chosen: its trained length, capped
// at this (the engine's default).
inline constexpr int kDefaultContextTokens = 4096;

// Bits per weight of a GGUF precision as files in it average them (block
// scales included); 0 for a name it does not know.
double bitsPerWeight(const QString& precision);

class ModelCatalog {
public:
    static constexpr int kSchema = 2;

    // Parses catalog JSON; throws nibble::Error naming the first model or
    // file that lacks a field, names a path instead of a file, or repeats one.
    static ModelCatalog parse(const QByteArray& json);
    // The catalog compiled into the app.
    static ModelCatalog builtIn();
    static constexpr const char* kResourcePath = ":/nibble/catalog.json";

    const QList<CatalogModel>& models() const { return models_; }
    const CatalogModel* findModel(const QString& id) const;

private:
    QList<CatalogModel> models_;
};

}  // namespace nibble::app
