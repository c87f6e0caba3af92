#pragma once
// The whole desktop app short of main(): opens the database in the data
// folder, registers the bundled model on first run, starts the engine thread,
// builds the controllers and loads the QML into a QQmlApplicationEngine.
// A model whose load never ended the last time (it crashed or hung Nibble)
// is not loaded on its own at start; the startup notice says why.
// The GUI tests create one of these to drive the real app.
#include "shell/data_folder.h"
#include "storage/database.h"

#include <QObject>
#include <QQmlApplicationEngine>

#include <memory>

class QQuickWindow;

namespace nibble::app {

class ApiServer;
class AppSettings;
class ChatController;
class ConversationsController;
class CompareController;
class DeviceList;
class DownloadListModel;
class DownloadManager;
class EightBitOriginal;
class NetworkReachability;
class EngineArbiter;
class EngineHost;
class GpuNotice;
class HubFileListModel;
class HubSearchModel;
class LoadMarker;
class ModelHeaderBackfill;
class ModelLibrary;
class QualityEvaluator;
class StartupNotice;
class Theme;
class VariantBuilder;
class VariantListModel;

class NibbleApp : public QObject {
    Q_OBJECT

public:
    // Throws storage::StorageError when the database cannot be opened.
    explicit NibbleApp(const DataFolder& folder, QObject* parent = nullptr);
    ~NibbleApp() override;

    // Loads the main window; false when the QML failed to load.
    bool show();
    QQuickWindow* window() const;

    QQmlApplicationEngine& qml() { return *qml_; }
    const storage::Database& database() const { return db_; }
    AppSettings& settings() { return *settings_; }
    Theme& theme() { return *theme_; }
    EngineHost& engine() { return *engine_; }
    VariantListModel& variants() { return *variants_; }
    ConversationsController& conversations() { return *conversations_; }
    ChatController& chat() { return *chat_; }
    CompareController& compare() { return *compare_; }
    ModelLibrary& library() { return *library_; }
    DownloadManager& downloads() { return *downloads_; }
    DownloadListModel& downloadList() { return *downloadList_; }
    HubSearchModel& hubSearch() { return *hubSearch_; }
    HubFileListModel& hubFiles() { return *hubFiles_; }
    DeviceList& devices() { return *devices_; }
    VariantBuilder& builder() { return *builder_; }
    EightBitOriginal& eightBitOriginal() { return *eightBitOriginal_; }
    NetworkReachability& network() { return *network_; }
    QualityEvaluator& evaluator() { return *evaluator_; }
    ApiServer& api() { return *api_; }
    GpuNotice& gpuNotice() { return *gpuNotice_; }
    StartupNotice& startupNotice() { return *startupNotice_; }

    // The app whose window engine is engine: the Nibble.App singletons' owner.
    static NibbleApp& owning(QQmlEngine& engine);

    static constexpr const char* kMainQml = "qrc:/qt/qml/Nibble/Main.qml";

private:
    void measureMemoryBandwidthOnce();
    void onVariantRemoved(qint64 variantId);

    DataFolder folder_;
    storage::Database db_;
    std::unique_ptr<AppSettings> settings_;
    std::unique_ptr<Theme> theme_;
    std::unique_ptr<StartupNotice> startupNotice_;
    // Before engine_: the engine thread writes it until the thread stops.
    std::unique_ptr<LoadMarker> loadMarker_;
    std::unique_ptr<EngineHost> engine_;
    // Before the jobs that hold its leases.
    std::unique_ptr<EngineArbiter> arbiter_;
    std::unique_ptr<VariantListModel> variants_;
    std::unique_ptr<ModelHeaderBackfill> headerBackfill_;
    std::unique_ptr<ConversationsController> conversations_;
    std::unique_ptr<ChatController> chat_;
    // Before compare_, which hands it the prompts it measures on.
    std::unique_ptr<QualityEvaluator> evaluator_;
    std::unique_ptr<CompareController> compare_;
    std::unique_ptr<ModelLibrary> library_;
    std::unique_ptr<VariantBuilder> builder_;
    std::unique_ptr<DeviceList> devices_;
    std::unique_ptr<GpuNotice> gpuNotice_;
    std::unique_ptr<DownloadManager> downloads_;
    std::unique_ptr<NetworkReachability> network_;
    std::unique_ptr<EightBitOriginal> eightBitOriginal_;
    std::unique_ptr<DownloadListModel> downloadList_;
    std::unique_ptr<HubSearchModel> hubSearch_;
    std::unique_ptr<HubFileListModel> hubFiles_;
    std::unique_ptr<ApiServer> api_;
    std::unique_ptr<QQmlApplicationEngine> qml_;
};

}  // namespace nibble::app
