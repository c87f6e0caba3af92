#include "api_test_app.h"

#include "library/model_registration.h"

namespace nibble::test {
namespace {

storage::Database openWithModel(const QString& dataFolder, const QString& modelPath) {
    auto db = storage::Database::open(dataFolder + "/nibble.db");
    app::registerModelFile(db, modelPath, storage::VariantOrigin::Imported);
    return db;
}

}  // namespace

ApiTestApp::ApiTestApp(const QString& dataFolder, const QString& modelPath)
    : db(openWithModel(dataFolder, modelPath)),
      settings(dataFolder + "/settings.ini", dataFolder),
      variants(db),
      server(db, engine, settings, variants) {
    settings.setDevice("cpu");
    settings.setContextLength(kContextLength);
}

}  // namespace nibble::test
