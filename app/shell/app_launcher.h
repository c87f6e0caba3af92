#pragma once
// Starts the app, or, when it cannot start, the window that says why. For a
// damaged chat history that window offers to move it aside (kept, renamed,
// see storage::Database::quarantine) and start with a fresh one; the main
// window then says where the old file is. main() and the GUI tests use it.
#include "shell/data_folder.h"

#include <QObject>
#include <QString>

#include <memory>

class QQmlApplicationEngine;
class QQuickWindow;

namespace nibble::app {

class NibbleApp;

class AppLauncher : public QObject {
    Q_OBJECT

public:
    explicit AppLauncher(DataFolder folder, QObject* parent = nullptr);
    ~AppLauncher() override;

    // Shows the main window, or the startup error window; false when
    // neither could be shown.
    bool launch();

    // The running app; null while the error window is shown.
    NibbleApp* app() const { return app_.get(); }
    // The startup error window; null while the app runs.
    QQuickWindow* errorWindow() const;
    // Where the damaged chat history was moved; empty when it was not.
    const QString& movedTo() const { return movedTo_; }

    static constexpr const char* kErrorQml = "qrc:/qt/qml/Nibble/StartupError.qml";

private slots:
    // The error window's "Move it aside and start fresh".
    void startFresh();

private:
    bool showError(const QString& message, bool canStartFresh);

    DataFolder folder_;
    std::unique_ptr<NibbleApp> app_;
    std::unique_ptr<QQmlApplicationEngine> errorQml_;
    QString movedTo_;
};

}  // namespace nibble::app
