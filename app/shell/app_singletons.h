#pragma once
// The app's objects as the QML module "Nibble.App" sees them: one typed
// singleton each (Chat, Library, Theme, ...), so qmllint and qmlcachegen know
// every property and call the QML makes. The objects stay NibbleApp's: each
// create() hands QML the instance owned by the NibbleApp that owns the asking
// engine, so several apps one after another (as the GUI tests run them) each
// see their own.
#include "api_server/api_server.h"
#include "chat/chat_controller.h"
#include "chat/conversation_list_model.h"
#include "chat/conversations_controller.h"
#include "chat/message_list_model.h"
#include "downloads/download_list_model.h"
#include "downloads/hub_file_list_model.h"
#include "downloads/hub_search_model.h"
#include "engine_bridge/engine_host.h"
#include "library/eight_bit_original.h"
#include "library/model_library.h"
#include "library/variant_builder.h"
#include "library/variant_list_model.h"
#include "quality/compare_controller.h"
#include "quality/quality_evaluator.h"
#include "shell/app_settings.h"
#include "shell/device_list.h"
#include "shell/gpu_notice.h"
#include "shell/nibble_app.h"
#include "shell/startup_notice.h"
#include "shell/theme.h"

#include <QJSEngine>
#include <QQmlEngine>

namespace nibble::app::qml {

// The engine keeps singletons it did not make only when told so; otherwise it
// would delete NibbleApp's objects with itself.
template <class T>
T* keptByApp(T& object) {
    QJSEngine::setObjectOwnership(&object, QJSEngine::CppOwnership);
    return &object;
}

struct AppSettingsSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::AppSettings)
    QML_NAMED_ELEMENT(AppSettings)
    QML_SINGLETON
public:
    static AppSettings* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).settings());
    }
};

struct ThemeSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::Theme)
    QML_NAMED_ELEMENT(Theme)
    QML_SINGLETON
public:
    static Theme* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).theme());
    }
};

struct EngineSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::EngineHost)
    QML_NAMED_ELEMENT(Engine)
    QML_SINGLETON
public:
    static EngineHost* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).engine());
    }
};

struct VariantsSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::VariantListModel)
    QML_NAMED_ELEMENT(Variants)
    QML_SINGLETON
public:
    static VariantListModel* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).variants());
    }
};

struct ChatSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::ChatController)
    QML_NAMED_ELEMENT(Chat)
    QML_SINGLETON
public:
    static ChatController* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).chat());
    }
};

struct ConversationsSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::ConversationsController)
    QML_NAMED_ELEMENT(Conversations)
    QML_SINGLETON
public:
    static ConversationsController* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).conversations());
    }
};

struct CompareSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::CompareController)
    QML_NAMED_ELEMENT(Compare)
    QML_SINGLETON
public:
    static CompareController* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).compare());
    }
};

struct LibrarySingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::ModelLibrary)
    QML_NAMED_ELEMENT(Library)
    QML_SINGLETON
public:
    static ModelLibrary* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).library());
    }
};

struct BuilderSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::VariantBuilder)
    QML_NAMED_ELEMENT(Builder)
    QML_SINGLETON
public:
    static VariantBuilder* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).builder());
    }
};

struct EightBitOriginalSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::EightBitOriginal)
    QML_NAMED_ELEMENT(EightBitOriginal)
    QML_SINGLETON
public:
    static EightBitOriginal* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).eightBitOriginal());
    }
};

struct EvaluatorSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::QualityEvaluator)
    QML_NAMED_ELEMENT(Evaluator)
    QML_SINGLETON
public:
    static QualityEvaluator* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).evaluator());
    }
};

struct DevicesSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::DeviceList)
    QML_NAMED_ELEMENT(Devices)
    QML_SINGLETON
public:
    static DeviceList* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).devices());
    }
};

struct GpuNoticeSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::GpuNotice)
    QML_NAMED_ELEMENT(GpuNotice)
    QML_SINGLETON
public:
    static GpuNotice* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).gpuNotice());
    }
};

struct StartupNoticeSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::StartupNotice)
    QML_NAMED_ELEMENT(StartupNotice)
    QML_SINGLETON
public:
    static StartupNotice* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).startupNotice());
    }
};

struct DownloadsSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::DownloadListModel)
    QML_NAMED_ELEMENT(Downloads)
    QML_SINGLETON
public:
    static DownloadListModel* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).downloadList());
    }
};

struct HubSearchSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::HubSearchModel)
    QML_NAMED_ELEMENT(HubSearch)
    QML_SINGLETON
public:
    static HubSearchModel* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).hubSearch());
    }
};

struct HubFilesSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::HubFileListModel)
    QML_NAMED_ELEMENT(HubFiles)
    QML_SINGLETON
public:
    static HubFileListModel* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).hubFiles());
    }
};

struct ApiServerSingleton {
    Q_GADGET
    QML_FOREIGN(nibble::app::ApiServer)
    QML_NAMED_ELEMENT(ApiServer)
    QML_SINGLETON
public:
    static ApiServer* create(QQmlEngine* engine, QJSEngine*) {
        return keptByApp(NibbleApp::owning(*engine).api());
    }
};

// Types QML meets only as Chat's properties (Chat.messages, Chat.conversations).
struct MessageListModelType {
    Q_GADGET
    QML_FOREIGN(nibble::app::MessageListModel)
    QML_ANONYMOUS
};

struct ConversationListModelType {
    Q_GADGET
    QML_FOREIGN(nibble::app::ConversationListModel)
    QML_ANONYMOUS
};

}  // namespace nibble::app::qml
