#include "shell/device_list.h"

#include <nibble/engine.h>

#include <QFutureWatcher>
#include <QLocale>
#include <QtConcurrent>

namespace nibble::app {
namespace {

struct Found {
    std::vector<DeviceInfo> devices;
    QString error;
};

QVariantList baseEntries() {
    return {QVariantMap{{"value", "auto"}, {"label", DeviceList::tr("Automatic")},
                        {"detail", DeviceList::tr("Let Nibble pick the fastest device")}},
            QVariantMap{{"value", "cpu"}, {"label", DeviceList::tr("CPU")},
                        {"detail", DeviceList::tr("Works everywhere")}},
            QVariantMap{{"value", "cpu-exact"}, {"label", DeviceList::tr("CPU, exact arithmetic")},
                        {"detail", DeviceList::tr("Several times slower; the reference other devices are checked against")}}};
}

}  // namespace

DeviceList::DeviceList(QObject* parent) : QObject(parent), devices_(baseEntries()) {}

void DeviceList::refresh() {
    if (refreshing_) return;
    refreshing_ = true;
    auto* watcher = new QFutureWatcher<Found>(this);
    connect(watcher, &QFutureWatcher<Found>::finished, this, [this, watcher] {
        const Found found = watcher->result();
        watcher->deleteLater();
        refreshing_ = false;
        QVariantList entries = baseEntries();
        for (const DeviceInfo& device : found.devices) {
            QString detail = QString::fromStdString(device.type);
            if (device.deviceLocalBytes)
                detail += " · " + QLocale().formattedDataSize(qint64(device.deviceLocalBytes), 1, QLocale::DataSizeSIFormat);
            if (!device.driver.empty()) detail += " · " + QString::fromStdString(device.driver);
            entries.append(QVariantMap{{"value", QString::fromStdString(device.name)},
                                       {"label", QString::fromStdString(device.name)},
                                       {"detail", detail}});
        }
        devices_ = entries;
        note_ = found.error;
        found_ = found.devices;
        emit devicesChanged();
    });
    watcher->setFuture(QtConcurrent::run([] {
        Found found;
        try {
            found.devices = listDevices();
        } catch (const Error& e) {
            found.error = QString::fromUtf8(e.what());
        }
        return found;
    }));
}

}  // namespace nibble::app
