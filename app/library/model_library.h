#pragma once
// The model library page's actions: importing .gguf files (picked, or
// dropped with folders), removing a variant from the catalogue (an imported
// file stays on disk) and deleting one Nibble made (with its file).
// Downloading and deriving variants by quantizing are separate features with
// their own objects.
#include <QList>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace nibble::storage {
class Database;
struct Variant;
}

namespace nibble::app {

class VariantListModel;

class ModelLibrary : public QObject {
    Q_OBJECT
    Q_PROPERTY(QObject* variants READ variants CONSTANT)
    Q_PROPERTY(QString message READ message NOTIFY messageChanged)
    Q_PROPERTY(bool importing READ importing NOTIFY importingChanged)

public:
    // modelsFolder holds the files Nibble made itself: only those does
    // deleting a variant delete from disk.
    ModelLibrary(const storage::Database& db, VariantListModel& variants, QString modelsFolder = {},
                 QObject* parent = nullptr);

    QObject* variants();
    QString message() const { return message_; }
    bool importing() const { return batch_.has_value(); }

    // Returns the new (or already known) variant's id, 0 on failure, with the
    // reason in message.
    Q_INVOKABLE qint64 importFile(const QUrl& file);
    // Imports every .gguf file among urls, searching folders recursively: one
    // file per event-loop turn, with a progress message, then one summary
    // message. Returns false, adding nothing, when there is no .gguf file
    // among them (message says why). Urls dropped while a batch runs join it.
    Q_INVOKABLE bool importUrls(const QList<QUrl>& urls);
    // Whether deleting the variant deletes its file too (a file Nibble made).
    Q_INVOKABLE bool ownsFile(qint64 variantId) const;
    // Removes the variant from the library and, when Nibble owns it, deletes its file.
    Q_INVOKABLE void deleteVariant(qint64 variantId);
    Q_INVOKABLE void revealFolder(const QString& filePath) const;

signals:
    void messageChanged();
    void importingChanged();
    // After a variant left the library, so whoever used it can pick another.
    void variantRemoved(qint64 variantId);

private:
    // A multi-file import under way.
    struct Batch {
        QStringList files;
        int next = 0;
        QStringList added;     // labels of the variants added
        QStringList failures;  // "name (reason)"
        QStringList notModels;
        QStringList emptyFolders;
    };
    struct Added {
        qint64 variantId = 0;
        QString failure;  // why the file cannot be used, when variantId is 0
    };

    void setMessage(const QString& text);
    Added add(const QString& path);
    void importNextOfBatch();
    QString batchSummary() const;
    // Removes the variant (and a model left without variants); returns its
    // label, or nothing when the database refused.
    std::optional<QString> forget(const storage::Variant& variant);

    const storage::Database& db_;
    VariantListModel& variants_;
    QString modelsFolder_;
    QString message_;
    std::optional<Batch> batch_;
};

}  // namespace nibble::app
