#pragma once
// What the engine did for every request queued from now on, whoever made it
// (the chat window, the API server, the test): how many started, how each
// that finished went and why each that failed did, in order. For tests
// linking nibble_app.
#include "engine_bridge/engine_host.h"
#include "engine_bridge/engine_reply.h"

#include <QList>
#include <QObject>
#include <QStringList>

namespace nibble::test {

class EngineWatch : public QObject {
public:
    explicit EngineWatch(app::EngineHost& engine) {
        connect(&engine, &app::EngineHost::requestQueued, this, [this](app::EngineReply* reply) {
            connect(reply, &app::EngineReply::started, this, [this] { ++started_; });
            connect(reply, &app::EngineReply::finished, this,
                    [this](const app::GenerationStats& stats) { finished_ << stats; });
            connect(reply, &app::EngineReply::failed, this, [this](const QString& message) { failed_ << message; });
        });
    }

    int started() const { return started_; }
    const QList<app::GenerationStats>& finished() const { return finished_; }
    const QStringList& failed() const { return failed_; }

private:
    int started_ = 0;
    QList<app::GenerationStats> finished_;
    QStringList failed_;
};

}  // namespace nibble::test
