#include "shell/gpu_notice.h"

#include "shell/app_settings.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace nibble::app {
namespace {

// The situation, as remembered in the settings, and what to say about it.
struct Situation {
    QString key;  // "gpu", "noloader", "none" or "cpu:<device names>"
    QString notice;
    QString cpuReason;
};

// "llvmpipe (LLVM 15.0.6, 256 bits)" -> "llvmpipe"
QString shortName(const std::string& name) {
    const QString full = QString::fromStdString(name);
    const qsizetype paren = full.indexOf(QLatin1String(" ("));
    return paren > 0 ? full.left(paren) : full;
}

Situation situationOf(const std::vector<DeviceInfo>& devices, const QString& error,
                      const std::function<bool()>& loaderInstalled) {
    const bool gpu = std::any_of(devices.begin(), devices.end(), [](const DeviceInfo& d) { return d.type != "CPU"; });
    if (gpu) return {QStringLiteral("gpu"), {}, {}};
    if (devices.empty()) {
        if (!error.isEmpty()) spdlog::info("no Vulkan device: {}", error.toStdString());
        // The engine's error names the missing loader in plain words.
        if (!loaderInstalled())
            return {QStringLiteral("noloader"), GpuNotice::tr("%1 Replies will be slower.").arg(error),
                    GpuNotice::tr("Vulkan loader not installed")};
        return {QStringLiteral("none"),
                GpuNotice::tr("No GPU with Vulkan was found, so Nibble runs on the CPU. Replies will be slower."),
                GpuNotice::tr("no Vulkan GPU found")};
    }
    QStringList names, shortNames;
    for (const DeviceInfo& d : devices) {
        names.append(QString::fromStdString(d.name));
        shortNames.append(shortName(d.name));
    }
    return {QStringLiteral("cpu:") + names.join(QLatin1Char(',')),
            GpuNotice::tr("No GPU with Vulkan was found: the only Vulkan device, %1, is a software driver that runs "
                          "on the processor. Nibble runs on the CPU, so replies will be slower.")
                .arg(names.join(QStringLiteral(", "))),
            GpuNotice::tr("no Vulkan GPU, only %1").arg(shortNames.join(QStringLiteral(", ")))};
}

}  // namespace

GpuNotice::GpuNotice(AppSettings& settings, std::function<bool()> loaderInstalled, QObject* parent)
    : QObject(parent), settings_(settings), loaderInstalled_(std::move(loaderInstalled)) {}

void GpuNotice::update(const std::vector<DeviceInfo>& devices, const QString& error) {
    const Situation now = situationOf(devices, error, loaderInstalled_);
    const bool news = now.key != settings_.gpuSituation();
    settings_.setGpuSituation(now.key);
    cpuReason_ = now.cpuReason;
    surveyed_ = true;
    // Someone who chose the CPU in the settings needs no telling.
    if (news && !now.notice.isEmpty() && settings_.device() != QLatin1String("cpu") &&
        settings_.device() != QLatin1String("cpu-exact"))
        text_ = now.notice;
    if (now.notice.isEmpty()) text_.clear();
    emit changed();
}

void GpuNotice::dismiss() {
    text_.clear();
    emit changed();
}

}  // namespace nibble::app
