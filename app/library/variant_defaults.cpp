#include "library/variant_defaults.h"

#include "shell/app_settings.h"
#include "library/recommended_sampling.h"
#include "library/variant_list_model.h"

namespace nibble::app {

ConversationSettings variantDefaults(const AppSettings& settings, const VariantListModel& variants, qint64 variantId) {
    const int row = variants.indexOf(variantId);
    if (row < 0) return settings.conversationDefaults();
    const QModelIndex index = variants.index(row);
    return settings.conversationDefaults(
        recommendedSampling(variants.data(index, VariantListModel::ModelNameRole).toString(),
                            variants.data(index, VariantListModel::ArchitectureRole).toString()));
}

}  // namespace nibble::app
