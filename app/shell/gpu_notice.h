#pragma once
// Says once, in plain words, that Nibble runs on the CPU because no GPU is
// reachable through Vulkan (no Vulkan loader, no driver, the instance cannot
// be created, or the only device is a software implementation such as
// lavapipe). "Once" per
// situation: the situation last seen is kept in the settings, and the notice
// comes back only when it changes, e.g. when a GPU that was there has gone.
// Also gives the status bar a short reason for running on the CPU.
#include <nibble/engine.h>

#include <QObject>
#include <QString>

#include <functional>
#include <vector>

namespace nibble::app {

class AppSettings;

class GpuNotice : public QObject {
    Q_OBJECT
    // The notice to show now; empty when there is nothing (more) to say.
    Q_PROPERTY(QString text READ text NOTIFY changed)
    // Why the CPU runs the models, for the status bar; empty when a GPU is there.
    Q_PROPERTY(QString cpuReason READ cpuReason NOTIFY changed)

public:
    // loaderInstalled says whether the Vulkan loader is there; asked only
    // when a survey finds no device, to tell that reason apart.
    explicit GpuNotice(AppSettings& settings, std::function<bool()> loaderInstalled = vulkanLoaderInstalled,
                       QObject* parent = nullptr);

    QString text() const { return text_; }
    QString cpuReason() const { return cpuReason_; }
    // Whether a survey has been seen since the app started.
    bool surveyed() const { return surveyed_; }

    // What a device survey found: the Vulkan devices, or, when there are
    // none, the error that says why (no driver, no instance).
    void update(const std::vector<DeviceInfo>& devices, const QString& error);
    Q_INVOKABLE void dismiss();

signals:
    void changed();

private:
    AppSettings& settings_;
    std::function<bool()> loaderInstalled_;
    QString text_;
    QString cpuReason_;
    bool surveyed_ = false;
};

}  // namespace nibble::app
