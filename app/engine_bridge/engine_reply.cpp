#include "engine_bridge/engine_reply.h"

#include "engine_bridge/engine_host.h"

namespace nibble::app {

EngineReply::EngineReply(EngineHost* host, quint64 requestId) : host_(host), requestId_(requestId) {}

EngineReply::~EngineReply() {
    if (EngineHost* host = host_.load(); host && !finished_) host->abandon(requestId_);
}

void EngineReply::cancel() {
    if (EngineHost* host = host_.load()) host->cancel(requestId_, false);
}

void EngineReply::cancelPreemptingApi() {
    if (EngineHost* host = host_.load()) host->cancel(requestId_, true);
}

}  // namespace nibble::app
