#pragma once
// The GGUF files of the one Hugging Face repository open in the library's
// search: each with its size, quantization type and bits, whether it comes
// in parts, and the state of its download (which DownloadManager runs,
// checked against the sha256 the Hub publishes). Opening another repository
// replaces the list; an answer for a repository no longer open is dropped.
#include "downloads/hub_client.h"

#include <QAbstractListModel>
#include <QHash>
#include <QList>

namespace nibble::app {

class DownloadManager;

class HubFileListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY changed)
    // The repository open now; empty when none is.
    Q_PROPERTY(QString repo READ repo NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    // Why the file list could not be had, in words; empty when it could.
    Q_PROPERTY(QString error READ error NOTIFY changed)
    // Of the open repository, as its file list says.
    Q_PROPERTY(bool supported READ supported NOTIFY changed)
    Q_PROPERTY(QString architecture READ architecture NOTIFY changed)

public:
    enum Role {
        EntryIdRole = Qt::UserRole + 1,  // the download's id
        FileNameRole,
        QuantizationRole,  // "Q4_K_M"; empty when the name does not say
        BitsRole,          // "4-bit"; empty when not known
        SizeTextRole,
        PartsRole,  // 1, or how many parts a split file has
        StateRole,  // as DownloadListModel's
        InLibraryRole,
        ProgressRole,
        ProgressTextRole,
        MessageRole,
    };

    explicit HubFileListModel(DownloadManager& manager, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    const QString& repo() const { return repo_; }
    bool busy() const { return busy_; }
    const QString& error() const { return error_; }
    bool supported() const;
    const QString& architecture() const { return files_.model.architecture; }

    // Asks the Hub for the repository's files.
    Q_INVOKABLE void open(const QString& repo);
    Q_INVOKABLE void close();
    Q_INVOKABLE void download(const QString& fileName);
    Q_INVOKABLE void pause(const QString& fileName);
    Q_INVOKABLE void cancel(const QString& fileName);
    // Asks the library again which files it holds (after one was removed or imported).
    void refresh();

signals:
    void changed();

private:
    int rowOf(const QString& entryId) const;
    void refreshInLibrary();

    DownloadManager& manager_;
    QString repo_;
    HubModelFiles files_;
    bool busy_ = false;
    QString error_;
    int generation_ = 0;
    QHash<QString, bool> inLibrary_;  // by download id; asked of the library when the list comes
};

}  // namespace nibble::app
