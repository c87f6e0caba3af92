#pragma once
// The pieces of Nibble the API server needs, on a fresh data folder with one
// model registered, the CPU backend and a small context (so that overflowing
// it is cheap to test). Shared by the API tests and the server driver that
// the openai client test talks to.
#include "api_server/api_server.h"
#include "shell/app_settings.h"
#include "engine_bridge/engine_host.h"
#include "storage/database.h"
#include "library/variant_list_model.h"

#include <QString>

namespace nibble::test {

struct ApiTestApp {
    ApiTestApp(const QString& dataFolder, const QString& modelPath);

    storage::Database db;
    app::AppSettings settings;
    app::EngineHost engine;
    app::VariantListModel variants;
    app::ApiServer server;

    static constexpr int kContextLength = 512;
};

}  // namespace nibble::test
