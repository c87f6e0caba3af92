#pragma once
// What the engine worker should have resident: one variant's file, loaded
// with given options. Two targets that load the same way share a load.
#include <nibble/engine.h>

#include <QMetaType>
#include <QString>

namespace nibble::app {

struct EngineTarget {
    qint64 variantId = 0;
    QString filePath;
    QString label;  // for status messages: "SmolLM2 135M - 4-bit (Q4_1)"
    BackendKind backend = BackendKind::Auto;
    QString device;
    int contextLength = 0;

    // variantId's file, loaded as options say.
    static EngineTarget of(qint64 variantId, QString filePath, QString label, const LoadOptions& options) {
        EngineTarget target;
        target.variantId = variantId;
        target.filePath = std::move(filePath);
        target.label = std::move(label);
        target.backend = options.backend;
        target.device = QString::fromStdString(options.device);
        target.contextLength = int(options.contextLength);
        return target;
    }
    bool loadsLike(const EngineTarget& other) const {
        return filePath == other.filePath && backend == other.backend && device == other.device &&
               contextLength == other.contextLength;
    }
    LoadOptions loadOptions() const {
        LoadOptions options;
        options.backend = backend;
        options.device = device.toStdString();
        options.contextLength = uint32_t(contextLength);
        return options;
    }
};

}  // namespace nibble::app

Q_DECLARE_METATYPE(nibble::app::EngineTarget)
