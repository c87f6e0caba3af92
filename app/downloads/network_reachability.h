#pragma once
// Whether this computer is known to be offline, from the operating system's
// network status (Qt's QNetworkInformation), so an offer to download is not
// made where it cannot work. Unknown counts as online: where the system does
// not say, the app tries and reports what happened.
#include <QObject>

#include <optional>

namespace nibble::app {

class NetworkReachability : public QObject {
    Q_OBJECT

public:
    explicit NetworkReachability(QObject* parent = nullptr);

    bool knownOffline() const;
    // Replaces what the system says (std::nullopt: follow it again); for
    // tests, which cannot unplug the machine they run on.
    void overrideOffline(std::optional<bool> offline);

signals:
    void changed();

private:
    std::optional<bool> override_;
};

}  // namespace nibble::app
