#pragma once
// The one place that says how a variant answers when nothing more specific is
// set: chat (under a conversation's own settings), Compare and the API (under
// a request's own values) all start from it, so one model samples alike in
// all three.
#include "chat/conversation_settings.h"

#include <QtGlobal>

namespace nibble::app {

class AppSettings;
class VariantListModel;

// The global system prompt, reply length and seed; for sampling the values the
// user set in Settings, else the model's recommended ones, else the engine's.
ConversationSettings variantDefaults(const AppSettings& settings, const VariantListModel& variants, qint64 variantId);

}  // namespace nibble::app
