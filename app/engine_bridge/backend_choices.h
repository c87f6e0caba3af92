#pragma once
// Which backend won each model's race (nibble/backend_race.h) against which
// GPU, kept in a JSON file in the data folder so a model races once, not at
// every load. A model file that changed (size or time) races again; so does
// one whose GPU is no longer the one Auto takes. Used on the engine thread only.
#include <QHash>
#include <QString>

#include <optional>

namespace nibble::app {

struct BackendChoice {
    QString gpuName;
    bool gpuWon = false;
    double gpuTokensPerSecond = 0;
    double cpuTokensPerSecond = 0;

    // Why this backend, for the status bar: "2.4x faster than llvmpipe here (41 vs 17 tokens/s)".
    QString reason() const;
};

class BackendChoices {
public:
    // An empty filePath keeps the choices in memory only.
    explicit BackendChoices(QString filePath = {});

    std::optional<BackendChoice> find(const QString& modelPath) const;
    // Kept, and written at once: a crash later loses nothing.
    void remember(const QString& modelPath, const BackendChoice& choice);
    void forget(const QString& modelPath);

private:
    void save() const;

    QString filePath_;
    // By modelPath; each remembers the file's size and time it was raced on.
    struct Entry {
        qint64 size = 0;
        qint64 modified = 0;
        BackendChoice choice;
    };
    QHash<QString, Entry> entries_;
};

}  // namespace nibble::app
