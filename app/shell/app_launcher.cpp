#include "shell/app_launcher.h"

#include "shell/nibble_app.h"
#include "shell/startup_notice.h"
#include "storage/database.h"
#include "storage/storage_error.h"

#include <nibble/error.h>

#include <spdlog/spdlog.h>

#include <QCoreApplication>
#include <QDir>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>

namespace nibble::app {

AppLauncher::AppLauncher(DataFolder folder, QObject* parent) : QObject(parent), folder_(std::move(folder)) {}

AppLauncher::~AppLauncher() {
    // The windows go before the objects their bindings read.
    errorQml_.reset();
    app_.reset();
}

QQuickWindow* AppLauncher::errorWindow() const {
    if (!errorQml_ || errorQml_->rootObjects().isEmpty()) return nullptr;
    return qobject_cast<QQuickWindow*>(errorQml_->rootObjects().first());
}

bool AppLauncher::launch() {
    try {
        auto app = std::make_unique<NibbleApp>(folder_);
        if (!movedTo_.isEmpty())
            app->startupNotice().add(tr("Nibble started with a fresh chat history. The damaged one is kept at %1.")
                                         .arg(QDir::toNativeSeparators(movedTo_)));
        if (!app->show()) return false;
        app_ = std::move(app);
        return true;
    } catch (const storage::StorageError& e) {
        spdlog::error("cannot open the database: {}", e.what());
        return showError(e.message(), e.kind() == storage::StorageErrorKind::Corrupt);
    } catch (const Error& e) {
        spdlog::error("cannot start: {}", e.what());
        return showError(QString::fromUtf8(e.what()), false);
    }
}

bool AppLauncher::showError(const QString& message, bool canStartFresh) {
    QQuickStyle::setStyle("Basic");
    // Replaced, not reused: a failure after starting fresh gets a window of its own.
    if (errorQml_) errorQml_.release()->deleteLater();
    errorQml_ = std::make_unique<QQmlApplicationEngine>();
    errorQml_->setInitialProperties({{"message", message}, {"canStartFresh", canStartFresh}});
    errorQml_->load(QUrl(QString::fromLatin1(kErrorQml)));
    QQuickWindow* window = errorWindow();
    if (!window) return false;
    // Queued: the button's click handler returns before its window goes.
    connect(window, SIGNAL(startFreshChosen()), this, SLOT(startFresh()), Qt::QueuedConnection);
    return true;
}

void AppLauncher::startFresh() {
    try {
        movedTo_ = storage::Database::quarantine(folder_.databasePath());
    } catch (const storage::StorageError& e) {
        spdlog::error("cannot move the damaged database aside: {}", e.what());
        if (QQuickWindow* window = errorWindow()) window->setProperty("message", e.message());
        return;
    }
    spdlog::warn("moved the damaged database aside to {}", movedTo_.toStdString());
    if (!launch()) {
        QCoreApplication::exit(1);
        return;
    }
    // The main window is up, so closing this one does not quit the app.
    if (app_ && errorQml_) errorQml_.release()->deleteLater();
}

}  // namespace nibble::app
