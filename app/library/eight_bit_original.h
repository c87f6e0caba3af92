#pragma once
// The 8-bit original of a catalog model, offered where the library holds no
// real 8-bit file of it: on the card of the file the user has (the bundled
// 4-bit one), or, once Nibble made an 8-bit copy from that file, on the copy's
// card. A copy holds no more than the 4-bit file, so comparing against it
// shows what 8 bits cost in size and speed but nothing about what 4 bits
// lose; the catalog's real 8-bit file shows that. It is downloaded through the
// DownloadManager like any catalog file. Offline, or when the download fails,
// the offer says so in words instead.
//
// The first run asks the same question once, in a banner: download the 8-bit
// original, make the copy, or neither for now.
#include <QObject>
#include <QString>
#include <QVariantMap>

#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class AppSettings;
class DownloadManager;
class NetworkReachability;
class VariantListModel;

class EightBitOriginal : public QObject {
    Q_OBJECT
    // Changes whenever an offer may have; QML bindings read it to re-ask offerFor().
    Q_PROPERTY(int revision READ revision NOTIFY changed)
    // The variant the first run's question is about (0: nothing to ask).
    Q_PROPERTY(qint64 firstRunVariantId READ firstRunVariantId NOTIFY changed)

public:
    EightBitOriginal(const storage::Database& db, VariantListModel& variants, DownloadManager& downloads,
                     const NetworkReachability& network, AppSettings& settings, QObject* parent = nullptr);

    int revision() const { return revision_; }
    qint64 firstRunVariantId() const;
    // For the library card of variantId: {state, text, canMakeCopy}. state is
    // "" (nothing to offer), "offer" (the button), "downloading", "offline" or
    // "failed" (text says why, and what a copy made from 4 bits is worth).
    // canMakeCopy: no 8-bit copy of this file exists yet, so one can be made.
    Q_INVOKABLE QVariantMap offerFor(qint64 variantId) const;
    // Starts downloading the 8-bit original offered on variantId's card.
    Q_INVOKABLE void download(qint64 variantId);
    // The first run's question is answered (a copy asked for) or put off:
    // not asked again. Downloading the original keeps it open, so that how
    // the download goes shows where it was asked.
    Q_INVOKABLE void closeFirstRunQuestion();

signals:
    void changed();

private:
    // The catalog download id of the 8-bit original for variantId, when it is offered.
    std::optional<QString> downloadIdFor(qint64 variantId) const;
    // Whether an 8-bit copy made by Nibble from variantId exists.
    bool hasEightBitCopy(qint64 variantId) const;
    // Whether the library holds an 8-bit file of the model that Nibble did not make.
    bool hasRealEightBit(qint64 modelId) const;
    void bump();

    const storage::Database& db_;
    VariantListModel& variants_;
    DownloadManager& downloads_;
    const NetworkReachability& network_;
    AppSettings& settings_;
    int revision_ = 0;
};

}  // namespace nibble::app
