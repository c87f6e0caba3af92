#include "model/layer_plan.h"

namespace nibble {

std::vector<LayerPlan> planLayers(const ModelConfig& c) {
    std::vector<LayerPlan> plans;
    plans.reserve(c.nLayer);
    for (uint32_t l = 0; l < c.nLayer; ++l) {
        const bool sliding = l < c.layerIsSliding.size() && c.layerIsSliding[l];
        LayerPlan p;
        p.rope = {c.ropeDims, c.ropeStyle == RopeStyle::NeoX, sliding ? c.ropeBaseSliding : c.ropeBase,
                  sliding ? c.ropeFreqScaleSliding : c.ropeFreqScale, c.ropeAttnFactor};
        p.window = sliding ? c.slidingWindow : 0;
        p.attentionScale = c.attentionScale;
        p.attnSoftcap = c.attnSoftcap;
        p.qkvBias = c.qkvBias;
        p.qkNorm = c.qkNorm;
        p.postNorms = c.postNorms;
        p.activation = c.activation;
        plans.push_back(p);
    }
    return plans;
}

}  // namespace nibble
