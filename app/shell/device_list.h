#pragma once
// The compute devices the settings page offers: automatic choice, the CPU,
// and every Vulkan device the engine finds (looked up off the UI thread,
// since starting a Vulkan driver can take a moment).
#include <QObject>
#include <QVariantList>

#include <nibble/engine.h>

#include <vector>

namespace nibble::app {

class DeviceList : public QObject {
    Q_OBJECT
    Q_PROPERTY(QVariantList devices READ devices NOTIFY devicesChanged)
    Q_PROPERTY(QString note READ note NOTIFY devicesChanged)

public:
    explicit DeviceList(QObject* parent = nullptr);

    // Each entry: {value: "auto" | "cpu" | device name, label, detail}.
    QVariantList devices() const { return devices_; }
    // Why no GPU is listed, when none is.
    QString note() const { return note_; }
    // The devices as the engine describes them, from the last refresh.
    const std::vector<DeviceInfo>& found() const { return found_; }
    Q_INVOKABLE void refresh();

signals:
    void devicesChanged();

private:
    QVariantList devices_;
    QString note_;
    std::vector<DeviceInfo> found_;
    bool refreshing_ = false;
};

}  // namespace nibble::app
