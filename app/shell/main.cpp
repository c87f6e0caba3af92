// Nibble's desktop app: chat with a local language model, offline.
#include "shell/app_launcher.h"
#include "shell/data_folder.h"

#include <nibble/error.h>
#include <nibble/log.h>

#include <spdlog/spdlog.h>

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQuickStyle>

namespace {

// Qt's own warnings (QML errors above all) belong in the same log as the engine's.
void logQtMessage(QtMsgType type, const QMessageLogContext&, const QString& message) {
    const std::string text = message.toStdString();
    switch (type) {
    case QtDebugMsg: spdlog::debug("qt: {}", text); break;
    case QtInfoMsg: spdlog::info("qt: {}", text); break;
    case QtWarningMsg: spdlog::warn("qt: {}", text); break;
    case QtCriticalMsg:
    case QtFatalMsg: spdlog::error("qt: {}", text); break;
    }
}

// When Nibble has no data folder, say why in a window rather than only in a log.
int showStartupError(QGuiApplication& app, const QString& message) {
    QQuickStyle::setStyle("Basic");
    QQmlApplicationEngine qml;
    qml.setInitialProperties({{"message", message}});
    qml.load(QUrl("qrc:/qt/qml/Nibble/StartupError.qml"));
    return qml.rootObjects().isEmpty() ? 1 : app.exec();
}

}  // namespace

int main(int argc, char* argv[]) {
    QGuiApplication app(argc, argv);
    QGuiApplication::setOrganizationName("Nibble");
    QGuiApplication::setApplicationName("Nibble");
    QGuiApplication::setApplicationDisplayName("Nibble");
    QGuiApplication::setApplicationVersion(NIBBLE_VERSION);
    QGuiApplication::setDesktopFileName("io.github.nibble.Nibble");
    QGuiApplication::setWindowIcon(QIcon(":/nibble/icons/nibble.svg"));

    QCommandLineParser parser;
    parser.setApplicationDescription("Chat with a local language model, offline.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption verbose("verbose", "Log debugging detail.");
    parser.addOption(verbose);
    parser.process(app);

    try {
        const auto folder = nibble::app::DataFolder::resolve();
        nibble::configureLogging(folder.logFile().toStdString(), parser.isSet(verbose));
        qInstallMessageHandler(logQtMessage);
        spdlog::info("Nibble {} starting; data in {}", NIBBLE_VERSION, folder.root().toStdString());

        nibble::app::AppLauncher launcher(folder);
        if (!launcher.launch()) return 1;
        return app.exec();
    } catch (const nibble::Error& e) {
        spdlog::error("cannot start: {}", e.what());
        return showStartupError(app, QString::fromUtf8(e.what()));
    }
}
