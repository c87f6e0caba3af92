#include "engine_bridge/engine_arbiter.h"

#include "engine_bridge/engine_host.h"

#include <QFileInfo>
#include <QPointer>


namespace nibble::app {

ModelLease::~ModelLease() {
    if (arbiter_) arbiter_->leave(this);
}

EngineArbiter::EngineArbiter(EngineHost& host, uint64_t budgetBytes, QObject* parent)
    : QObject(parent), host_(host), budget_(budgetBytes) {
    // The chat's model coming and going, and its replies ending, are what free room.
    connect(&host_, &EngineHost::stateChanged, this, &EngineArbiter::reconsider);
}

EngineArbiter::~EngineArbiter() {
    for (ModelLease* lease : leases_) lease->arbiter_ = nullptr;
}

uint64_t EngineArbiter::modelBytes(const QString& filePath) {
    const QFileInfo file(filePath);
    return file.isFile() ? uint64_t(file.size()) : 0;
}

std::unique_ptr<ModelLease> EngineArbiter::request(uint64_t bytes) {
    std::unique_ptr<ModelLease> lease(new ModelLease(this, bytes));
    leases_.push_back(lease.get());
    reconsider();
    return lease;
}

uint64_t EngineArbiter::leasedBytes() const {
    uint64_t total = 0;
    for (const ModelLease* lease : leases_)
        if (lease->granted_) total += lease->bytes_;
    return total;
}

uint64_t EngineArbiter::chatBytes() const { return modelBytes(host_.heldFilePath()); }

void EngineArbiter::leave(ModelLease* lease) {
    std::erase(leases_, lease);
    if (lease->granted_) emit leasesChanged();
    reconsider();
}

void EngineArbiter::setWaiting(ModelLease& lease, const QString& reason) {
    if (lease.waitingReason_ == reason) return;
    lease.waitingReason_ = reason;
    emit lease.waitingReasonChanged();
}

void EngineArbiter::reconsider() {
    const uint64_t chat = chatBytes();
    uint64_t leased = leasedBytes();
    std::vector<QPointer<ModelLease>> grantedNow;
    bool blocked = false;
    for (ModelLease* lease : leases_) {
        if (lease->granted_) continue;
        if (blocked) {
            setWaiting(*lease, tr("Waiting for another measurement or variant to finish…"));
            continue;
        }
        const uint64_t held = leased + chat;
        if (held == 0 || held + lease->bytes_ <= budget_) {
            lease->granted_ = true;
            lease->waitingReason_.clear();
            leased += lease->bytes_;
            grantedNow.emplace_back(lease);
            continue;
        }
        // Leases go in the order asked: none overtakes this one.
        blocked = true;
        const bool chatInTheWay = chat > 0 && (leased == 0 || leased + lease->bytes_ <= budget_);
        if (chatInTheWay) {
            setWaiting(*lease, tr("Waiting for the chat model to be unloaded…"));
            host_.releaseIfIdle();
        } else {
            setWaiting(*lease, tr("Waiting for another measurement or variant to finish…"));
        }
    }
    if (grantedNow.empty()) return;
    emit leasesChanged();
    // A slot may start work or delete its lease: announced only once the queue is settled.
    for (const QPointer<ModelLease>& lease : grantedNow) {
        if (!lease) continue;
        emit lease->waitingReasonChanged();
        emit lease->granted();
    }
}

}  // namespace nibble::app
