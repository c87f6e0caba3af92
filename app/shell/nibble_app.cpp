#include "shell/nibble_app.h"

#include "api_server/api_server.h"
#include "nibble/available_memory.h"
#include "shell/app_settings.h"
#include "chat/chat_controller.h"
#include "quality/compare_controller.h"
#include "library/default_model.h"
#include "shell/device_list.h"
#include "downloads/download_list_model.h"
#include "downloads/download_manager.h"
#include "engine_bridge/engine_arbiter.h"
#include "engine_bridge/engine_host.h"
#include "shell/gpu_notice.h"
#include "shell/load_marker.h"
#include "library/model_library.h"
#include "quality/quality_evaluator.h"
#include "shell/startup_notice.h"
#include "storage/conversation_store.h"
#include "storage/schema.h"
#include "storage/storage_error.h"
#include "shell/theme.h"
#include "library/variant_builder.h"
#include "library/variant_list_model.h"

#include <spdlog/spdlog.h>

#include <QDir>
#include <QFileInfo>
#include <QQmlContext>
#include <QQuickStyle>
#include <QQuickWindow>

#include <limits>

namespace nibble::app {

NibbleApp::NibbleApp(const DataFolder& folder, QObject* parent)
    : QObject(parent), folder_(folder), db_(storage::Database::open(folder.databasePath())) {
    if (const int interrupted = storage::schema::recoverInterruptedMessages(db_))
        spdlog::info("{} replies were cut short when Nibble last stopped", interrupted);
    // Deletes are undoable only while the app runs.
    storage::ConversationStore(db_).purgeDeletedBefore(QDateTime::currentDateTimeUtc());
    try {
        registerDefaultModelOnFirstRun(db_);
    } catch (const Error& e) {
        spdlog::error("the bundled model cannot be used: {}", e.what());
    }

    settings_ = std::make_unique<AppSettings>(folder_.settingsFile(), folder_.root());
    theme_ = std::make_unique<Theme>(*settings_);
    startupNotice_ = std::make_unique<StartupNotice>();
    loadMarker_ = std::make_unique<LoadMarker>(folder_.settingsFile());
    const auto interrupted = loadMarker_->interrupted();
    engine_ = std::make_unique<EngineHost>();
    connect(
        engine_.get(), &EngineHost::loadBeginning, this,
        [marker = loadMarker_.get()](const EngineTarget& target) { marker->begin(target); }, Qt::DirectConnection);
    connect(
        engine_.get(), &EngineHost::loadEnded, this, [marker = loadMarker_.get()] { marker->end(); },
        Qt::DirectConnection);
    // Measured before any model is loaded; where the platform cannot say, jobs are not held back.
    arbiter_ = std::make_unique<EngineArbiter>(*engine_, nibble::availableMemoryBytes().value_or(std::numeric_limits<uint64_t>::max()));
    variants_ = std::make_unique<VariantListModel>(db_);
    if (interrupted) {
        const QString name = !interrupted->label.isEmpty() ? interrupted->label
                                                           : QFileInfo(interrupted->filePath).fileName();
        spdlog::warn("{} did not finish loading the last time; not loading it at start",
                     interrupted->filePath.toStdString());
        startupNotice_->add(tr("Nibble did not open %1 automatically because it stopped Nibble the last time it "
                               "was opened. Send a message to try it again, or choose another model.")
                                .arg(name));
    }
    chat_ = std::make_unique<ChatController>(db_, *engine_, *settings_, *variants_,
                                             interrupted ? interrupted->variantId : 0);
    evaluator_ = std::make_unique<QualityEvaluator>(db_, *variants_, *settings_, *arbiter_);
    compare_ = std::make_unique<CompareController>(*engine_, *settings_, *chat_, *evaluator_);
    library_ = std::make_unique<ModelLibrary>(db_, *variants_, folder_.modelsFolder());
    builder_ = std::make_unique<VariantBuilder>(db_, *variants_, folder_.modelsFolder(), *arbiter_);
    connect(library_.get(), &ModelLibrary::variantRemoved, this, &NibbleApp::onVariantRemoved);
    devices_ = std::make_unique<DeviceList>();
    gpuNotice_ = std::make_unique<GpuNotice>(*settings_);
    connect(devices_.get(), &DeviceList::devicesChanged, gpuNotice_.get(),
            [this] { gpuNotice_->update(devices_->found(), devices_->note()); });
    ModelCatalog catalog = ModelCatalog::fromFiles({});
    try {
        catalog = ModelCatalog::builtIn();
    } catch (const Error& e) {
        spdlog::error("no models to download: {}", e.what());
    }
    downloads_ = std::make_unique<DownloadManager>(db_, std::move(catalog), QDir(folder_.root()).filePath("models"));
    downloadList_ = std::make_unique<DownloadListModel>(*downloads_);
    connect(downloads_.get(), &DownloadManager::modelAdded, variants_.get(), &VariantListModel::reload);
    connect(variants_.get(), &QAbstractItemModel::modelReset, downloadList_.get(), &DownloadListModel::refresh);
    api_ = std::make_unique<ApiServer>(db_, *engine_, *settings_, *variants_);
    connect(settings_.get(), &AppSettings::changed, api_.get(), &ApiServer::applySettings);
    api_->applySettings();

    QQuickStyle::setStyle("Basic");
    qml_ = std::make_unique<QQmlApplicationEngine>();
    QQmlContext* context = qml_->rootContext();
    context->setContextProperty("appSettings", settings_.get());
    context->setContextProperty("theme", theme_.get());
    context->setContextProperty("engine", engine_.get());
    context->setContextProperty("variants", variants_.get());
    context->setContextProperty("chat", chat_.get());
    context->setContextProperty("compare", compare_.get());
    context->setContextProperty("library", library_.get());
    context->setContextProperty("builder", builder_.get());
    context->setContextProperty("evaluator", evaluator_.get());
    context->setContextProperty("devices", devices_.get());
    context->setContextProperty("gpuNotice", gpuNotice_.get());
    context->setContextProperty("startupNotice", startupNotice_.get());
    context->setContextProperty("downloads", downloadList_.get());
    context->setContextProperty("apiServer", api_.get());
    deriveBundledVariantOnFirstRun();
}

void NibbleApp::deriveBundledVariantOnFirstRun() {
    if (settings_->bundledVariantDerived()) return;
    try {
        const storage::VariantStore store(db_);
        for (int row = 0; row < variants_->rowCount(); ++row) {
            const auto variant = variants_->variant(variants_->variantIdAt(row));
            if (!variant || variant->origin != storage::VariantOrigin::Bundled || variant->precision == "Q8_0") continue;
            if (!store.derivedFrom(variant->id).isEmpty()) break;
            // A second precision from the start, so the precision dropdown
            // and the comparison have something to offer.
            connect(builder_.get(), &VariantBuilder::finished, this,
                    [this, bundled = variant->id](qint64 source, const QString&, qint64 made, bool cancelled) {
                        if (source == bundled && (made || cancelled)) settings_->setBundledVariantDerived();
                    });
            builder_->create(variant->id, QStringLiteral("Q8_0"));
            return;
        }
    } catch (const storage::StorageError& e) {
        spdlog::error("cannot look for the bundled model's variants: {}", e.what());
        return;
    }
    settings_->setBundledVariantDerived();
}

void NibbleApp::onVariantRemoved(qint64 variantId) {
    if (chat_->variantId() == variantId) chat_->setVariantId(variants_->variantIdAt(0));
    if (engine_->residentVariantId() == variantId && chat_->variantId() == 0) engine_->unload();
}

NibbleApp::~NibbleApp() {
    // The window goes first: its bindings read the controllers.
    qml_.reset();
}

bool NibbleApp::show() {
    qml_->load(QUrl(QString::fromLatin1(kMainQml)));
    if (!window()) return false;
    devices_->refresh();
    return true;
}

QQuickWindow* NibbleApp::window() const {
    const auto roots = qml_->rootObjects();
    return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(roots.first());
}

}  // namespace nibble::app
