#pragma once
// One generation asked of the engine, as a QNetworkReply is one request
// asked of the network: EngineHost::generate() and generateExact() return
// it, and it reports that request alone, so nobody sorts the engine's
// results by request.
//
// It lives on the UI thread, and its signals come from the event loop, never
// from inside generate(): connecting right after the call misses nothing. It
// may start() (the request has the engine), report promptProgress() and
// pieces, and then ends exactly once, with finished(), failed() or
// rejected(); nothing is emitted after that.
//
// The caller owns it. Delete it once it has ended (with deleteLater() from a
// slot connected to it); deleting it sooner cancels the request. A reply that
// outlives its EngineHost stays as it is, never ending.
#include "engine_bridge/generation_stats.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace nibble::app {

class EngineHost;

class EngineReply : public QObject {
    Q_OBJECT

public:
    ~EngineReply() override;

    // Safe from any thread. Stops the request within a layer of the model,
    // even mid-prompt; one still queued ends (finished, Cancelled, having
    // never run) at once. Pieces the engine sent before the cancel reached
    // it still arrive; nothing else is stopped.
    void cancel();
    // The user's Stop on a chat reply: cancel(), and when the request still
    // waits behind an API request, stops that request too, so the chat gets
    // the engine.
    void cancelPreemptingApi();
    // Whether it has ended: finished, failed or rejected.
    bool isFinished() const { return finished_; }

signals:
    // The request left the queue and its model is loaded: it has the engine.
    void started();
    // How much of the prompt has been read: done of total tokens.
    void promptProgress(int done, int total);
    void piece(const QString& piece);
    // It ran to its end, or was cancelled (stats.stopReason Cancelled).
    void finished(const nibble::app::GenerationStats& stats);
    void failed(const QString& message);
    // It cannot be served as asked (its prompt does not fit the context).
    void rejected(const QString& message);

private:
    // Only the host makes replies, and it alone emits their signals.
    friend class EngineHost;
    EngineReply(EngineHost* host, quint64 requestId);

    // Cleared when the host goes first; read by cancel() on any thread.
    std::atomic<EngineHost*> host_;
    const quint64 requestId_;
    bool finished_ = false;
};

}  // namespace nibble::app
