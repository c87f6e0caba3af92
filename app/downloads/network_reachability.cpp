#include "downloads/network_reachability.h"

#include <QNetworkInformation>

namespace nibble::app {

NetworkReachability::NetworkReachability(QObject* parent) : QObject(parent) {
    // Qt keeps one instance per process; loading it again is a no-op.
    if (!QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) return;
    connect(QNetworkInformation::instance(), &QNetworkInformation::reachabilityChanged, this,
            &NetworkReachability::changed);
}

bool NetworkReachability::knownOffline() const {
    if (override_) return *override_;
    const QNetworkInformation* info = QNetworkInformation::instance();
    if (!info) return false;
    // Local: a network without a way out, which cannot reach the Hub either.
    const auto reach = info->reachability();
    return reach == QNetworkInformation::Reachability::Disconnected ||
           reach == QNetworkInformation::Reachability::Local;
}

void NetworkReachability::overrideOffline(std::optional<bool> offline) {
    override_ = offline;
    emit changed();
}

}  // namespace nibble::app
