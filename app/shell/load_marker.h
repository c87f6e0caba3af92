#pragma once
// Which model Nibble is loading, written to settings.ini (and synced) before
// the engine opens the file and removed once the load has ended, loaded,
// failed or cancelled. Still there at the next start, it names a model that
// crashed or hung Nibble while loading, which the app then does not load on
// its own again. Safe to call from any thread: each call uses its own
// QSettings on the file.
#include "engine_bridge/engine_target.h"

#include <QString>

#include <optional>

namespace nibble::app {

class LoadMarker {
public:
    struct Interrupted {
        qint64 variantId = 0;
        QString filePath;
        QString label;
    };

    explicit LoadMarker(QString settingsFile) : settingsFile_(std::move(settingsFile)) {}

    void begin(const EngineTarget& target) const;
    void end() const;
    // The load that never ended, if any.
    std::optional<Interrupted> interrupted() const;

private:
    QString settingsFile_;
};

}  // namespace nibble::app
