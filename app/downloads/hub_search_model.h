#pragma once
// Hugging Face search results as a list for QML: search() asks the Hub for
// models with GGUF files in the chosen order; each row is one repository
// with its licence, size in parameters, whether it follows instructions and
// whether it is gated. An answer to an older search that arrives after a
// newer one was started is dropped.
#include "downloads/hub_client.h"

#include <QAbstractListModel>
#include <QList>

namespace nibble::app {

class HubSearchModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    Q_PROPERTY(QString query READ query NOTIFY busyChanged)
    // "downloads", "likes" or "updated"; a change searches again.
    Q_PROPERTY(QString sort READ sort WRITE setSort NOTIFY sortChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    // Why the last search failed, in words; empty when it did not.
    Q_PROPERTY(QString error READ error NOTIFY busyChanged)

public:
    enum Role {
        RepoRole = Qt::UserRole + 1,
        AuthorRole,
        DownloadsRole,
        LikesRole,
        LicenseRole,
        InstructRole,
        ParametersTextRole,  // "135M", "1.7B"; empty when not published
        GatedRole,
        ArchitectureRole,
        UpdatedRole,    // QDateTime
        SupportedRole,  // false only when the Hub names an architecture Nibble cannot run
    };

    static constexpr int kLimit = 50;

    explicit HubSearchModel(HubClient& hub, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    const QString& query() const { return query_; }
    QString sort() const;
    void setSort(const QString& sort);
    bool busy() const { return busy_; }
    const QString& error() const { return error_; }

    Q_INVOKABLE void search(const QString& query);

signals:
    void countChanged();
    void sortChanged();
    void busyChanged();

private:
    HubClient& hub_;
    QList<HubModel> models_;
    QString query_;
    HubSort sort_ = HubSort::Downloads;
    bool busy_ = false;
    QString error_;
    int generation_ = 0;  // of the latest search; older answers are stale
};

// 134515008 -> "135M", 1711376384 -> "1.7B"; empty for 0.
QString parametersText(qint64 parameters);

}  // namespace nibble::app
