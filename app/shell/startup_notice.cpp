#include "shell/startup_notice.h"

namespace nibble::app {

void StartupNotice::add(const QString& line) {
    lines_.append(line);
    emit changed();
}

void StartupNotice::dismiss() {
    if (lines_.isEmpty()) return;
    lines_.clear();
    emit changed();
}

}  // namespace nibble::app
