#include "schedules/arm64.h"

#include <algorithm>
#include <map>

namespace mncc {

namespace {

// Per kind, the knobs whose arm64 default differs from x86's. A conv/pointwise
// tile of co_vectors x x_block accumulators: 4 x 4 = 16 q registers, plus 4 for
// the weights and a few for broadcast inputs, fits the 32 NEON registers without
// spilling. Depthwise keeps 2 x 4 accumulators plus the 3x3 window's weights.
// Fusion stays off: its gain on x86 came from fewer fork/joins and L2 traffic on
// AVX-512 and has not been measured on an arm64 device (qemu times say nothing).
const std::map<KernelKind, Knobs>& overrides() {
    static const std::map<KernelKind, Knobs> m{
        {KernelKind::Conv, {{"co_vectors", 4}, {"x_block", 4}}},
        {KernelKind::Pointwise, {{"co_vectors", 4}, {"x_block", 4}, {"fuse", 0}}},
        {KernelKind::Depthwise, {{"c_vectors", 2}, {"x_block", 4}}},
        {KernelKind::FullyConnected, {{"co_vectors", 8}}},
    };
    return m;
}

std::vector<KnobDecl> make_space(KernelKind k) {
    std::vector<KnobDecl> space = x86_knob_space(k);
    const auto o = overrides().find(k);
    for (KnobDecl& d : space) {
        if (o == overrides().end()) break;
        const auto v = o->second.find(d.name);
        if (v == o->second.end()) continue;
        d.default_value = v->second;
        if (std::find(d.choices.begin(), d.choices.end(), v->second) == d.choices.end()) d.choices.push_back(v->second);
    }
    return space;
}

}  // namespace

const std::vector<KnobDecl>& arm64_knob_space(KernelKind k) {
    static const std::map<KernelKind, std::vector<KnobDecl>> spaces = [] {
        std::map<KernelKind, std::vector<KnobDecl>> m;
        for (KernelKind x : {KernelKind::Conv, KernelKind::Depthwise, KernelKind::Pointwise, KernelKind::AvgPool,
                             KernelKind::FullyConnected, KernelKind::Softmax})
            m[x] = make_space(x);
        return m;
    }();
    return spaces.at(k);
}

Knobs arm64_default_knobs(KernelKind k) {
    Knobs r;
    for (const KnobDecl& d : arm64_knob_space(k)) r[d.name] = d.default_value;
    return r;
}

void apply_arm64_schedule(LayerFunc& L, const Halide::Target& t, const Knobs& knobs) {
    apply_x86_schedule(L, t, knobs);
}

}  // namespace mncc
