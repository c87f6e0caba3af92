#pragma once
// The model library page's actions: importing a .gguf file and removing a
// variant from the catalogue (the file itself stays on disk). Downloading
// and deriving variants by quantizing are separate features that add their
// own actions here.
#include <QObject>
#include <QUrl>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class VariantListModel;

class ModelLibrary : public QObject {
    Q_OBJECT
    Q_PROPERTY(QObject* variants READ variants CONSTANT)
    Q_PROPERTY(QString message READ message NOTIFY messageChanged)

public:
    ModelLibrary(const storage::Database& db, VariantListModel& variants, QObject* parent = nullptr);

    QObject* variants();
    QString message() const { return message_; }

    // Returns the new (or already known) variant's id, 0 on failure, with the
    // reason in message.
    Q_INVOKABLE qint64 importFile(const QUrl& file);
    Q_INVOKABLE void removeVariant(qint64 variantId);
    Q_INVOKABLE void revealFolder(const QString& filePath) const;

signals:
    void messageChanged();

private:
    void setMessage(const QString& text);

    const storage::Database& db_;
    VariantListModel& variants_;
    QString message_;
};

}  // namespace nibble::app
