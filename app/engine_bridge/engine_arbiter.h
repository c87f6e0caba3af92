#pragma once
// Who may have a model in memory: the chat's resident model (EngineHost's)
// and the background jobs that load models of their own (a quality
// measurement, a variant being made). A job asks for a ModelLease with the
// bytes it will load and starts only once the lease is granted, so that
// together they stay within the memory budget. The chat always gets its
// model; when a waiting job needs the room, the arbiter asks the engine to
// let go of an idle chat model (it loads again with the next message, as
// after a precision switch), never of one writing a reply. Leases are granted
// in the order asked; one larger than the whole budget is granted once
// nothing else is in memory, so it runs alone rather than never. Lives on the
// UI thread.
#include <QObject>
#include <QString>

#include <cstdint>
#include <memory>
#include <vector>

namespace nibble::app {

class EngineHost;
class EngineArbiter;

class ModelLease : public QObject {
    Q_OBJECT

public:
    // Gives the memory back, or leaves the queue when still waiting.
    ~ModelLease() override;

    bool isGranted() const { return granted_; }
    uint64_t bytes() const { return bytes_; }
    // Why it is still waiting, in words; empty once granted.
    QString waitingReason() const { return waitingReason_; }

signals:
    void granted();
    void waitingReasonChanged();

private:
    friend class EngineArbiter;
    ModelLease(EngineArbiter* arbiter, uint64_t bytes) : arbiter_(arbiter), bytes_(bytes) {}

    EngineArbiter* arbiter_;  // null once the arbiter is gone
    uint64_t bytes_;
    bool granted_ = false;
    QString waitingReason_;
};

class EngineArbiter : public QObject {
    Q_OBJECT

public:
    EngineArbiter(EngineHost& host, uint64_t budgetBytes, QObject* parent = nullptr);
    ~EngineArbiter() override;

    // What loading the model in filePath takes: its file, which the engine
    // reads whole (its KV cache and scratch are small beside it at the
    // context lengths background jobs use). 0 when the file is missing.
    static uint64_t modelBytes(const QString& filePath);

    // Queues a lease for bytes; it is granted (at once, when it fits) through
    // its granted() signal. Deleting it gives the memory back.
    std::unique_ptr<ModelLease> request(uint64_t bytes);

    uint64_t budgetBytes() const { return budget_; }
    // The bytes of the leases granted now.
    uint64_t leasedBytes() const;
    // The bytes of the chat's model, resident or being loaded.
    uint64_t chatBytes() const;

signals:
    // A lease was granted or given back.
    void leasesChanged();

private:
    friend class ModelLease;

    void leave(ModelLease* lease);
    // Grants what now fits, in order, and asks for the chat's model when the first waiting lease needs its room.
    void reconsider();
    void setWaiting(ModelLease& lease, const QString& reason);

    EngineHost& host_;
    uint64_t budget_;
    // Every lease not yet deleted: the granted ones, then the waiting ones in the order asked.
    std::vector<ModelLease*> leases_;
};

}  // namespace nibble::app
