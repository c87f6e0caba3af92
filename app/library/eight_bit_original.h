#pragma once
// The 8-bit original of a catalog model, offered where the library's only
// 8-bit copy of it is one Nibble made from its 4-bit file: that copy holds no
// more than the 4-bit file, so comparing against it shows nothing about what
// 4 bits lose. The catalog's real 8-bit file does; it is downloaded through
// the DownloadManager like any catalog file. When the download cannot start
// or fails, the offer says so in words instead.
#include <QObject>
#include <QString>
#include <QVariantMap>

#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class DownloadManager;
class VariantListModel;

class EightBitOriginal : public QObject {
    Q_OBJECT
    // Changes whenever an offer may have; QML bindings read it to re-ask offerFor().
    Q_PROPERTY(int revision READ revision NOTIFY changed)

public:
    EightBitOriginal(const storage::Database& db, VariantListModel& variants, DownloadManager& downloads,
                     QObject* parent = nullptr);

    int revision() const { return revision_; }
    // For the library card of variantId: {state, text}. state is "" (nothing
    // to offer), "offer" (the button), "downloading" or "failed" (text says
    // why, and what the copy made from 4 bits is worth meanwhile).
    Q_INVOKABLE QVariantMap offerFor(qint64 variantId) const;
    // Starts downloading the 8-bit original offered on variantId's card.
    Q_INVOKABLE void download(qint64 variantId);

signals:
    void changed();

private:
    // The catalog download id of the 8-bit original for variantId, when it is offered.
    std::optional<QString> downloadIdFor(qint64 variantId) const;
    void bump();

    const storage::Database& db_;
    VariantListModel& variants_;
    DownloadManager& downloads_;
    int revision_ = 0;
};

}  // namespace nibble::app
