#pragma once
// Runs what a QML call asked for; a storage or file failure becomes a message
// for the user (the chat's notice line) instead of an exception escaping into QML.
#include "storage/storage_error.h"

#include "nibble/error.h"

#include <spdlog/spdlog.h>

#include <QString>

#include <utility>

namespace nibble::app {

// True when action ran to the end; otherwise report got the reason in words.
template <typename F, typename Report>
bool runGuarded(F&& action, Report&& report) {
    try {
        std::forward<F>(action)();
        return true;
    } catch (const storage::StorageError& e) {
        spdlog::error("storage: {}", e.what());
        report(e.message());
    } catch (const Error& e) {
        report(QString::fromUtf8(e.what()));
    }
    return false;
}

}  // namespace nibble::app
